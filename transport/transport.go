// Package transport carries Raft messages between nodes over TCP, with
// optional mutual TLS. It implements node.Transport.
//
// Each node dials every peer it sends to and keeps that connection for its
// messages; it accepts the peers' connections for theirs. A connection
// opens with a hello exchange that names the cluster and both nodes, and
// then carries length-prefixed frames (see AppendMessage). Sending never
// blocks: each peer has a bounded queue, and when it is full the message
// is dropped and counted, as Raft tolerates loss but not unbounded memory.
package transport

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/raftcheck/raftcheck/raft"
)

// Transport sends messages to peers and hands the messages it receives to
// Config.Handler. Its methods are safe for concurrent use.
type Transport struct {
	cfg      Config
	listener net.Listener
	done     chan struct{} // closed by Close
	wg       sync.WaitGroup
	stats    counters

	mu      sync.Mutex
	closed  bool
	peers   map[uint64]*peer
	inbound map[uint64]net.Conn // the current inbound connection per peer
	pending map[net.Conn]struct{}
}

// counters are the figures Stats reports.
type counters struct {
	sent, received                           atomic.Uint64
	droppedQueueFull, droppedUnreachable     atomic.Uint64
	droppedTooLarge, connsRefused, connsLost atomic.Uint64
}

// Stats counts what a Transport did since it was created.
type Stats struct {
	// Sent counts messages written to a connection (not known delivered).
	Sent uint64
	// Received counts messages handed to the Handler.
	Received uint64
	// DroppedQueueFull counts messages dropped because a peer's queue was
	// full: the backpressure of a slow or unreachable peer.
	DroppedQueueFull uint64
	// DroppedUnreachable counts messages to unknown peers, messages that
	// waited while their peer could not be reached, and those lost with a
	// broken connection.
	DroppedUnreachable uint64
	// DroppedTooLarge counts messages whose frame would exceed the limit.
	DroppedTooLarge uint64
	// ConnsRefused counts inbound connections refused at the handshake.
	ConnsRefused uint64
	// ConnsLost counts established connections, either way, that were
	// closed for an error, including malformed frames.
	ConnsLost uint64
}

// New starts a Transport: it listens and accepts at once, and dials every
// peer, so that the first message finds a connection ready. Close it when
// done.
func New(cfg Config) (*Transport, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return nil, fmt.Errorf("transport: listen on %s: %w", cfg.ListenAddr, err)
		}
	}
	t := &Transport{
		cfg:      cfg,
		listener: ln,
		done:     make(chan struct{}),
		peers:    make(map[uint64]*peer),
		inbound:  make(map[uint64]net.Conn),
		pending:  make(map[net.Conn]struct{}),
	}
	for id, addr := range cfg.Peers {
		t.AddPeer(id, addr)
	}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Addr is the address the Transport accepts connections on.
func (t *Transport) Addr() net.Addr { return t.listener.Addr() }

// AddPeer makes id a known peer at addr, or moves it there. Its own ID is
// ignored. Messages already queued for id at an old address are sent to
// the new one.
func (t *Transport) AddPeer(id uint64, addr string) {
	if id == t.cfg.ID || id == raft.None {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if p, ok := t.peers[id]; ok {
		p.setAddr(addr)
		return
	}
	p := newPeer(t, id, addr)
	t.peers[id] = p
	t.wg.Add(1)
	go p.run()
}

// RemovePeer forgets id: its queue is dropped, its connections are closed
// and it is refused from now on.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	p := t.peers[id]
	delete(t.peers, id)
	in := t.inbound[id]
	delete(t.inbound, id)
	t.mu.Unlock()
	if p != nil {
		p.stop()
	}
	if in != nil {
		in.Close()
	}
}

// Send queues msgs for their destinations and returns without waiting. A
// message to an unknown peer, or to a peer whose queue is full, is dropped
// and counted. It implements node.Transport.
func (t *Transport) Send(msgs []raft.Message) {
	for _, m := range msgs {
		t.mu.Lock()
		p := t.peers[m.To]
		t.mu.Unlock()
		if p == nil {
			t.drop(m, &t.stats.droppedUnreachable)
			continue
		}
		select {
		case p.queue <- m:
		default:
			t.drop(m, &t.stats.droppedQueueFull)
		}
	}
}

// drop counts a message that will not be sent, and tells the node of a
// lost snapshot so the leader need not wait for an answer that never comes.
func (t *Transport) drop(m raft.Message, counter *atomic.Uint64) {
	counter.Add(1)
	if m.Type == raft.InstallSnapshotRequest && t.cfg.SnapshotDropped != nil {
		t.cfg.SnapshotDropped(m.To)
	}
}

// Stats returns the counters so far.
func (t *Transport) Stats() Stats {
	s := &t.stats
	return Stats{
		Sent:               s.sent.Load(),
		Received:           s.received.Load(),
		DroppedQueueFull:   s.droppedQueueFull.Load(),
		DroppedUnreachable: s.droppedUnreachable.Load(),
		DroppedTooLarge:    s.droppedTooLarge.Load(),
		ConnsRefused:       s.connsRefused.Load(),
		ConnsLost:          s.connsLost.Load(),
	}
}

// Close stops accepting, closes every connection and waits for the
// Transport's goroutines to end. Queued messages are dropped. Close is
// idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	conns := make([]net.Conn, 0, len(t.inbound)+len(t.pending))
	for _, c := range t.inbound {
		conns = append(conns, c)
	}
	for c := range t.pending {
		conns = append(conns, c)
	}
	peers := t.peers
	t.peers = map[uint64]*peer{}
	t.mu.Unlock()

	err := t.listener.Close()
	for _, c := range conns {
		c.Close()
	}
	for _, p := range peers {
		p.stop()
	}
	t.wg.Wait()
	return err
}
