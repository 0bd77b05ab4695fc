package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/raft"
)

// Limits of one flush to a peer: messages are written in batches so that
// a burst costs one syscall, but a batch never grows without bound.
const (
	batchLenMax   = 256
	batchBytesMax = 1 << 20
	// bufBytesKept is the largest encoding buffer kept between messages, so
	// that one large snapshot does not pin its size for good.
	bufBytesKept = 1 << 20
)

// peer owns the outbound connection to one node: a bounded queue that Send
// fills and one goroutine that drains it onto the connection, dialing and
// redialing with backoff.
type peer struct {
	t      *Transport
	id     uint64
	queue  chan raft.Message
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc

	mu   sync.Mutex
	addr string
	conn net.Conn // the raw connection, closed by stop or setAddr
}

func newPeer(t *Transport, id uint64, addr string) *peer {
	ctx, cancel := context.WithCancel(context.Background())
	return &peer{t: t, id: id, addr: addr, queue: make(chan raft.Message, t.cfg.QueueLen), ctx: ctx, cancel: cancel}
}

// stop ends the peer's goroutine and closes its connection.
func (p *peer) stop() {
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close()
	}
}

// setAddr moves the peer; the current connection is closed so the next
// dial goes to the new address.
func (p *peer) setAddr(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.addr == addr {
		return
	}
	p.addr = addr
	if p.conn != nil {
		p.conn.Close()
	}
}

// setConn records the connection in use, so that stop can close it. It
// reports false, closing c, when the peer is already stopped.
func (p *peer) setConn(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		c.Close()
		return false
	}
	p.conn = c
	return true
}

// run connects, streams until the connection fails, and redials with
// exponential backoff. The backoff is cleared only by a connection that
// lasted RedialDelayMax: one that a peer accepts and then drops at once
// (a flapping peer, a frame it refuses) must not make us redial in a loop.
func (p *peer) run() {
	defer p.t.wg.Done()
	cfg := &p.t.cfg
	delay := cfg.RedialDelayMin
	for {
		conn, raw, err := p.connect()
		if err == nil {
			started := time.Now()
			err = p.stream(conn, raw)
			raw.Close()
			if p.ctx.Err() == nil {
				p.t.stats.connsLost.Add(1)
			}
			if time.Since(started) >= cfg.RedialDelayMax {
				delay = cfg.RedialDelayMin
			}
			err = fmt.Errorf("connection lost: %w", err)
		}
		if p.ctx.Err() != nil {
			return
		}
		cfg.Logf("transport %d: peer %d: %v; redial in %v", cfg.ID, p.id, err, delay)
		if !p.waitDropping(delay) {
			return
		}
		delay = min(2*delay, cfg.RedialDelayMax)
	}
}

// waitDropping waits d before the next dial. Messages queued meanwhile are
// dropped: they would be stale by the time the peer is back, and Raft
// resends what matters. It reports false when the peer was stopped.
func (p *peer) waitDropping(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return false
		case <-timer.C:
			return true
		case m := <-p.queue:
			p.t.drop(m, &p.t.stats.droppedUnreachable)
		}
	}
}

// connect dials the peer and runs the handshake within HandshakeTimeout.
// It returns the connection to use (TLS or not) and the raw TCP one.
func (p *peer) connect() (conn, raw net.Conn, err error) {
	cfg := &p.t.cfg
	ctx, cancel := context.WithTimeout(p.ctx, cfg.HandshakeTimeout)
	defer cancel()
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()

	var d net.Dialer
	if raw, err = d.DialContext(ctx, "tcp", addr); err != nil {
		return nil, nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if !p.setConn(raw) {
		return nil, nil, p.ctx.Err()
	}
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)
	conn = raw
	if cfg.TLS != nil {
		tc := tls.Client(raw, clientTLS(cfg.TLS, addr))
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	if err := p.hello(conn); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	raw.SetDeadline(time.Time{})
	return conn, raw, nil
}

// clientTLS names the server to verify after the host of addr, as tls.Dial
// would, unless the config names one.
func clientTLS(c *tls.Config, addr string) *tls.Config {
	if c.ServerName != "" {
		return c
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return c
	}
	c = c.Clone()
	c.ServerName = host
	return c
}

// hello sends our hello and checks the answer: it must come from the node
// we meant to reach, in our cluster. An acceptor that refuses us closes
// the connection without answering; it logs why.
func (p *peer) hello(conn net.Conn) error {
	cfg := &p.t.cfg
	if _, err := conn.Write(appendHello(nil, hello{ClusterID: cfg.ClusterID, From: cfg.ID, To: p.id})); err != nil {
		return err
	}
	body, err := readFrame(conn, helloBytes)
	if err != nil {
		return fmt.Errorf("no answer (refused by peer?): %w", err)
	}
	payload, err := checkBody(body, kindHello)
	if err != nil {
		return err
	}
	h, err := decodeHello(payload)
	if err != nil {
		return err
	}
	if err := checkHello(h, cfg.ClusterID, cfg.ID, func(id uint64) bool { return id == p.id }); err != nil {
		return err
	}
	return verifyPeer(cfg, p.id, conn)
}

// stream writes queued messages to conn until it fails or the peer stops.
func (p *peer) stream(conn, raw net.Conn) error {
	// The acceptor never writes after its hello, so a read returns only
	// when the connection ends. Noticing that at once makes the next write
	// fail instead of vanishing into a dead socket.
	ended := make(chan error, 1)
	p.t.wg.Add(1)
	go func() {
		defer p.t.wg.Done()
		var b [1]byte
		_, err := conn.Read(b[:])
		if err == nil {
			err = errors.New("peer wrote after its hello")
		}
		ended <- err
		raw.Close()
	}()
	w := batchWriter{p: p, conn: conn, bw: bufio.NewWriterSize(conn, 64<<10)}
	for {
		select {
		case <-p.ctx.Done():
			return nil
		case err := <-ended:
			return fmt.Errorf("closed by peer: %w", err)
		case m := <-p.queue:
			if err := w.writeBatch(m); err != nil {
				return err
			}
		}
	}
}

// batchWriter writes batches of messages to one connection.
type batchWriter struct {
	p     *peer
	conn  net.Conn
	bw    *bufio.Writer
	buf   []byte
	batch []raft.Message // written but not yet flushed
}

// writeBatch writes m and whatever else is queued, up to the batch
// limits, and flushes. On an error, the batch is counted as dropped.
func (w *batchWriter) writeBatch(m raft.Message) error {
	cfg := &w.p.t.cfg
	w.conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
	w.batch = w.batch[:0]
	bytes := 0
	for {
		n, err := w.write(m)
		if err != nil {
			return w.fail(err)
		}
		bytes += n
		if len(w.batch) >= batchLenMax || bytes >= batchBytesMax {
			break
		}
		var ok bool
		if m, ok = w.next(); !ok {
			break
		}
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	w.p.t.stats.sent.Add(uint64(len(w.batch)))
	clear(w.batch) // drop references to entries and snapshots
	return nil
}

// next takes a queued message without waiting.
func (w *batchWriter) next() (raft.Message, bool) {
	select {
	case m := <-w.p.queue:
		return m, true
	default:
		return raft.Message{}, false
	}
}

// write encodes m into the buffered writer. A message too large for a
// frame is dropped here, not sent for the receiver to refuse.
func (w *batchWriter) write(m raft.Message) (int, error) {
	t := w.p.t
	head, tail, err := appendMessageHead(w.buf[:0], m, t.cfg.FrameBytesMax)
	if err != nil {
		t.drop(m, &t.stats.droppedTooLarge)
		t.cfg.Logf("transport %d: dropped message to peer %d: %v", t.cfg.ID, w.p.id, err)
		return 0, nil
	}
	if cap(head) <= bufBytesKept {
		w.buf = head
	} else {
		w.buf = nil
	}
	w.batch = append(w.batch, m)
	if _, err := w.bw.Write(head); err != nil {
		return 0, err
	}
	// A large tail bypasses bufio's buffer: it is written from where it lies.
	_, err = w.bw.Write(tail)
	return len(head) + len(tail), err
}

func (w *batchWriter) fail(err error) error {
	t := w.p.t
	for _, m := range w.batch {
		t.drop(m, &t.stats.droppedUnreachable)
	}
	clear(w.batch)
	return err
}
