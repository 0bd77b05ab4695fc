package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func TestThreeNodesExchangeMessages(t *testing.T) {
	checkNoGoroutineLeak(t)
	nodes := []*node{newNode(t, 7, 1, nil), newNode(t, 7, 2, nil), newNode(t, 7, 3, nil)}
	connectAll(nodes...)
	seq := uint64(0)
	for _, a := range nodes {
		for _, b := range nodes {
			if a == b {
				continue
			}
			seq++
			m := raft.Message{Type: raft.AppendEntriesRequest, Term: 2, Index: 5, LogTerm: 1, Commit: 4, Seq: seq,
				Entries: []raft.Entry{{Term: 2, Index: 6, Data: []byte("put x")}}}
			got := deliver(t, a, b, m)
			m.From, m.To = a.cfg.ID, b.cfg.ID
			assert.Equal(t, m, got)
		}
	}
	for _, n := range nodes {
		assert.NotZero(t, n.Stats().Sent)
		assert.NotZero(t, n.Stats().Received)
	}
}

func TestLargeSnapshotUnderLimitArrivesAndOverLimitIsRefused(t *testing.T) {
	checkNoGoroutineLeak(t)
	const limit = 4 << 20
	small := func(c *Config) { c.FrameBytesMax = limit }
	big := func(c *Config) { c.FrameBytesMax = 2 * limit }
	a, b, wide := newNode(t, 7, 1, small), newNode(t, 7, 2, small), newNode(t, 7, 3, big)
	connectAll(a, b, wide)

	under := snapshotOfFrameBytes(t, limit-64)
	under.Seq = 1
	got := deliver(t, a, b, under)
	require.NotNil(t, got.Snapshot)
	assert.True(t, bytes.Equal(under.Snapshot.Data, got.Snapshot.Data))

	// The sender refuses what its own limit forbids, and says so.
	over := snapshotOfFrameBytes(t, limit+1)
	over.From, over.To = a.cfg.ID, b.cfg.ID
	a.Send([]raft.Message{over})
	eventually(t, "sender drops the oversized frame", func() bool { return a.Stats().DroppedTooLarge == 1 })
	assert.True(t, a.log.has("frame too large"), a.log.String())

	// A sender with a larger limit gets its frame refused by the receiver,
	// which closes that connection; the next message goes on a new one.
	over.From = wide.cfg.ID
	wide.Send([]raft.Message{over})
	eventually(t, "receiver refuses the oversized frame", func() bool { return b.log.has("frame too large") })
	deliver(t, wide, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 2})
	_, ok := b.rec.find(func(m raft.Message) bool { return m.Snapshot != nil && m.From == wide.cfg.ID })
	assert.False(t, ok, "an oversized snapshot was delivered")
}

func TestNodeOfAnotherClusterIsRefused(t *testing.T) {
	checkNoGoroutineLeak(t)
	a, b := newNode(t, 7, 1, nil), newNode(t, 8, 2, nil)
	connectAll(a, b)
	a.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 1, To: 2}})
	eventually(t, "refusal logged", func() bool { return b.log.has("cluster") })
	eventually(t, "dialer logs it", func() bool { return a.log.has("refused") })
	assert.NotZero(t, b.Stats().ConnsRefused)
	assert.Zero(t, b.rec.len())
}

func TestUnknownNodeIsRefused(t *testing.T) {
	checkNoGoroutineLeak(t)
	a, b := newNode(t, 7, 1, nil), newNode(t, 7, 2, nil)
	a.AddPeer(2, b.Addr().String()) // b does not know a
	a.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 1, To: 2}})
	eventually(t, "refusal logged", func() bool { return b.log.has("unknown peer") })
	assert.Zero(t, b.rec.len())
}

func TestPeerThatComesBackIsRedialed(t *testing.T) {
	checkNoGoroutineLeak(t)
	a, b := newNode(t, 7, 1, nil), newNode(t, 7, 2, nil)
	connectAll(a, b)
	deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 1})
	addr := b.Addr().String()
	require.NoError(t, b.Close())

	// Messages sent while b is away are lost or dropped; none may block.
	a.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 1, To: 2, Seq: 2}})
	eventually(t, "loss noticed", func() bool { return a.log.has("peer 2") })

	var again *node
	eventually(t, "b listens again on its address", func() bool {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		again = newNode(t, 7, 2, func(c *Config) { c.Listener = ln })
		return true
	})
	again.AddPeer(1, a.Addr().String())
	deliver(t, a, again, raft.Message{Type: raft.HeartbeatRequest, Seq: 3})
}

func TestQueueFullDropsAreCounted(t *testing.T) {
	checkNoGoroutineLeak(t)
	// A peer that accepts but never answers the hello holds the sender in
	// its handshake, so nothing drains the queue.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	const queueLen, sent = 8, 100
	snapshots := 0
	a := newNode(t, 7, 1, func(c *Config) {
		c.QueueLen = queueLen
		c.SnapshotDropped = func(uint64) { snapshots++ }
	})
	a.AddPeer(2, ln.Addr().String())
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(waitMax):
		t.Fatal("sender never dialed")
	}
	msgs := make([]raft.Message, sent)
	for i := range msgs {
		msgs[i] = raft.Message{Type: raft.InstallSnapshotRequest, From: 1, To: 2, Snapshot: &raft.Snapshot{}}
	}
	a.Send(msgs)
	assert.Equal(t, uint64(sent-queueLen), a.Stats().DroppedQueueFull)
	assert.Equal(t, sent-queueLen, snapshots, "each dropped snapshot is reported")
	require.NoError(t, a.Close())
}

func TestSlowPeerGetsBackpressureNotUnboundedMemory(t *testing.T) {
	checkNoGoroutineLeak(t)
	// A peer that completes the handshake and then never reads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	stalled := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if _, err := readFrame(c, helloBytes); err == nil {
			c.Write(appendHello(nil, hello{ClusterID: 7, From: 2, To: 1}))
		}
		stalled <- c
	}()
	const queueLen = 16
	a := newNode(t, 7, 1, func(c *Config) { c.QueueLen = queueLen; c.WriteTimeout = waitMax })
	a.AddPeer(2, ln.Addr().String())
	var peerConn net.Conn
	select {
	case peerConn = <-stalled:
		defer peerConn.Close()
	case <-time.After(waitMax):
		t.Fatal("sender never connected")
	}
	payload := make([]byte, 256<<10)
	send := func() {
		a.Send([]raft.Message{{Type: raft.AppendEntriesRequest, From: 1, To: 2, Entries: []raft.Entry{{Data: payload}}}})
	}
	// First the connection carries messages, until the socket buffers
	// fill; then the queue fills, and then Send drops.
	eventually(t, "messages written", func() bool { send(); return a.Stats().Sent > 0 })
	droppedBefore := a.Stats().DroppedQueueFull
	for i := 0; a.Stats().DroppedQueueFull == droppedBefore; i++ {
		require.Less(t, i, 10_000, "queue never filled")
		send()
	}
	// What was written is bounded by the socket buffers and the queue.
	assert.Less(t, a.Stats().Sent, uint64(1000))
	require.NoError(t, a.Close())
}

// rawHello connects to n as node from and completes the handshake.
func rawHello(t *testing.T, n *node, from uint64) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitMax)))
	_, err = c.Write(appendHello(nil, hello{ClusterID: n.cfg.ClusterID, From: from, To: n.cfg.ID}))
	require.NoError(t, err)
	_, err = readFrame(c, helloBytes)
	require.NoError(t, err, "hello refused:\n%s", n.log)
	return c
}

// requireClosedByPeer waits until the peer closes c. A close with unread
// input is a reset, which counts as well; only the deadline is a failure.
func requireClosedByPeer(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := io.Copy(io.Discard, c)
	if !errors.Is(err, syscall.ECONNRESET) {
		require.NoError(t, err, "want the peer to close, not a timeout")
	}
}

func TestMalformedFrameClosesThatConnectionOnly(t *testing.T) {
	checkNoGoroutineLeak(t)
	a, b := newNode(t, 7, 1, nil), newNode(t, 7, 2, nil)
	connectAll(a, b)
	b.AddPeer(3, "127.0.0.1:1") // a raw client plays node 3
	deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 1})

	good, err := AppendMessage(nil, raft.Message{Type: raft.HeartbeatRequest, From: 3, To: 2}, FrameBytesMaxDefault)
	require.NoError(t, err)
	spoofed, err := AppendMessage(nil, raft.Message{Type: raft.HeartbeatRequest, From: 1, To: 2}, FrameBytesMaxDefault)
	require.NoError(t, err)
	badType := bytes.Clone(good)
	badType[frameHeaderBytes+bodyHeaderBytes] = 0xEE
	tests := []struct {
		name, logged string
		frame        []byte
	}{
		{"unknown message type", "unknown message type", badType},
		{"length over the limit", "frame too large", binary.BigEndian.AppendUint32(nil, 0xFFFFFFF0)},
		{"trailing bytes", "trailing", fixLen(append(bytes.Clone(good), 1, 2))},
		{"spoofed sender", "not from the connection's peer", spoofed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := rawHello(t, b, 3)
			defer c.Close()
			_, err := c.Write(tc.frame)
			require.NoError(t, err)
			requireClosedByPeer(t, c)
			eventually(t, "reason logged", func() bool { return b.log.has(tc.logged) })
		})
	}
	// Garbage instead of a hello is refused at the handshake.
	c, err := net.Dial("tcp", b.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitMax)))
	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	requireClosedByPeer(t, c)

	assert.Equal(t, uint64(len(tests)), b.Stats().ConnsLost)
	deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 2})
	_, ok := b.rec.find(func(m raft.Message) bool { return m.From == 3 })
	assert.False(t, ok)
}
