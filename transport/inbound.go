package transport

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

var (
	// ErrClusterMismatch is why a peer of another cluster is refused.
	ErrClusterMismatch = errors.New("transport: cluster ID mismatch")
	// ErrUnknownPeer is why a node that is not a known peer is refused.
	ErrUnknownPeer = errors.New("transport: unknown peer")
	// ErrWrongNode is why a hello addressed to another node is refused:
	// the dialer has a stale address for the node it wants.
	ErrWrongNode = errors.New("transport: hello for another node")
	// ErrMisaddressed is why a connection carrying a message that is not
	// from its peer, or not to us, is closed.
	ErrMisaddressed = errors.New("transport: message not from the connection's peer or not to us")
)

// acceptRetryDelay is the wait after a failed Accept (too many open files,
// say) before the next, so the loop does not spin.
const acceptRetryDelay = 10 * time.Millisecond

// checkHello checks a hello received from the other end.
func checkHello(h hello, clusterID, id uint64, known func(uint64) bool) error {
	switch {
	case h.ClusterID != clusterID:
		return fmt.Errorf("peer %d is of cluster %d, we are of %d: %w", h.From, h.ClusterID, clusterID, ErrClusterMismatch)
	case h.To != id:
		return fmt.Errorf("peer %d meant node %d, we are %d: %w", h.From, h.To, id, ErrWrongNode)
	case !known(h.From):
		return fmt.Errorf("node %d: %w", h.From, ErrUnknownPeer)
	}
	return nil
}

// verifyPeer runs Config.VerifyPeer on a TLS connection to or from id.
func verifyPeer(cfg *Config, id uint64, conn net.Conn) error {
	tc, ok := conn.(*tls.Conn)
	if !ok || cfg.VerifyPeer == nil {
		return nil
	}
	if err := cfg.VerifyPeer(id, tc.ConnectionState()); err != nil {
		return fmt.Errorf("peer %d failed verification: %w", id, err)
	}
	return nil
}

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		raw, err := t.listener.Accept()
		if err != nil {
			if t.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			t.cfg.Logf("transport %d: accept: %v", t.cfg.ID, err)
			select {
			case <-t.done:
				return
			case <-time.After(acceptRetryDelay):
			}
			continue
		}
		if !t.admit(raw) {
			t.stats.connsRefused.Add(1)
			t.cfg.Logf("transport %d: refused connection from %s: %d handshakes pending already", t.cfg.ID, raw.RemoteAddr(), t.cfg.HandshakesPendingMax)
			raw.Close()
			continue
		}
		t.wg.Add(1)
		go t.serve(raw)
	}
}

func (t *Transport) isClosed() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// admit records raw as in its handshake, within HandshakesPendingMax.
func (t *Transport) admit(raw net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || len(t.pending) >= t.cfg.HandshakesPendingMax {
		return false
	}
	t.pending[raw] = struct{}{}
	return true
}

// serve runs one inbound connection: handshake, then frames until the
// connection ends or a frame is malformed.
func (t *Transport) serve(raw net.Conn) {
	defer t.wg.Done()
	defer raw.Close()
	from, conn, err := t.acceptHandshake(raw)
	t.mu.Lock()
	delete(t.pending, raw)
	t.mu.Unlock()
	if err != nil {
		if !t.isClosed() {
			t.stats.connsRefused.Add(1)
			t.cfg.Logf("transport %d: refused connection from %s: %v", t.cfg.ID, raw.RemoteAddr(), err)
		}
		return
	}
	if !t.register(from, raw) {
		return
	}
	defer t.unregister(from, raw)
	err = t.readLoop(from, conn)
	switch {
	case t.isClosed() || errors.Is(err, net.ErrClosed):
		// Closed by us: Close, RemovePeer or a newer connection.
	case errors.Is(err, io.EOF):
		t.cfg.Logf("transport %d: connection from peer %d closed by peer", t.cfg.ID, from)
	default:
		t.stats.connsLost.Add(1)
		t.cfg.Logf("transport %d: closing connection from peer %d: %v", t.cfg.ID, from, err)
	}
}

// acceptHandshake runs TLS, if configured, and the hello exchange within
// HandshakeTimeout. Before it succeeds a frame may be no larger than a
// hello, so an unauthenticated client cannot make us allocate.
func (t *Transport) acceptHandshake(raw net.Conn) (from uint64, conn net.Conn, err error) {
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	conn = raw
	if t.cfg.TLS != nil {
		tc := tls.Server(raw, t.cfg.TLS)
		if err := tc.Handshake(); err != nil {
			return 0, nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	body, err := readFrame(conn, helloBytes)
	if err != nil {
		return 0, nil, fmt.Errorf("hello: %w", err)
	}
	payload, err := checkBody(body, kindHello)
	if err != nil {
		return 0, nil, fmt.Errorf("hello: %w", err)
	}
	h, err := decodeHello(payload)
	if err != nil {
		return 0, nil, err
	}
	if err := checkHello(h, t.cfg.ClusterID, t.cfg.ID, t.isPeer); err != nil {
		return 0, nil, err
	}
	if err := verifyPeer(&t.cfg, h.From, conn); err != nil {
		return 0, nil, err
	}
	answer := hello{ClusterID: t.cfg.ClusterID, From: t.cfg.ID, To: h.From}
	if _, err := conn.Write(appendHello(nil, answer)); err != nil {
		return 0, nil, fmt.Errorf("answer hello: %w", err)
	}
	raw.SetDeadline(time.Time{})
	return h.From, conn, nil
}

func (t *Transport) isPeer(id uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.peers[id]
	return ok
}

// register makes raw the inbound connection of peer from. An older one is
// closed: a peer that connects again has given up on it, and one
// connection per peer bounds what half-open connections can hold.
func (t *Transport) register(from uint64, raw net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.peers[from]; t.closed || !ok {
		return false
	}
	if old := t.inbound[from]; old != nil {
		old.Close()
	}
	t.inbound[from] = raw
	return true
}

func (t *Transport) unregister(from uint64, raw net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inbound[from] == raw {
		delete(t.inbound, from)
	}
}

// readLoop hands each message from peer from to the Handler. Any bad frame
// ends the connection: after one, the stream cannot be trusted to be in
// step, and the peer's redial starts it afresh.
func (t *Transport) readLoop(from uint64, conn net.Conn) error {
	br := bufio.NewReaderSize(conn, 64<<10)
	for {
		body, err := readFrame(br, t.cfg.FrameBytesMax)
		if err != nil {
			return err
		}
		payload, err := checkBody(body, kindMessage)
		if err != nil {
			return err
		}
		m, err := decodeMessagePayload(payload)
		if err != nil {
			return err
		}
		if m.From != from || m.To != t.cfg.ID {
			return fmt.Errorf("%s: %w", m, ErrMisaddressed)
		}
		t.stats.received.Add(1)
		t.cfg.Handler(m)
	}
}
