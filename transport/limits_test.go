package transport

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func (t *Transport) pendingLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// dialSilent opens a connection to n that never says hello.
func dialSilent(t *testing.T, n *node) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitMax)))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHandshakesPendingBeyondTheLimitAreClosed(t *testing.T) {
	checkNoGoroutineLeak(t)
	b := newNode(t, 7, 2, func(c *Config) { c.HandshakesPendingMax = 2 })
	dialSilent(t, b)
	dialSilent(t, b)
	eventually(t, "two handshakes pending", func() bool { return b.pendingLen() == 2 })
	requireClosedByPeer(t, dialSilent(t, b))
	assert.True(t, b.log.has("2 handshakes pending already"), b.log.String())
	assert.Equal(t, uint64(1), b.Stats().ConnsRefused)
}

func TestHandshakeNotCompletedInTimeIsClosed(t *testing.T) {
	checkNoGoroutineLeak(t)
	const timeout = 50 * time.Millisecond
	b := newNode(t, 7, 2, func(c *Config) { c.HandshakeTimeout = timeout })
	start := time.Now()
	requireClosedByPeer(t, dialSilent(t, b))
	assert.GreaterOrEqual(t, time.Since(start), timeout)
	eventually(t, "reason logged", func() bool { return b.log.has("timeout") })
}

func TestRedialBackoffDoublesUpToItsMax(t *testing.T) {
	checkNoGoroutineLeak(t)
	// A port nobody listens on: take one, then free it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	a := newNode(t, 7, 1, func(c *Config) {
		c.RedialDelayMin, c.RedialDelayMax = time.Millisecond, 4*time.Millisecond
	})
	a.AddPeer(2, addr)
	eventually(t, "backoff reaches its max", func() bool { return a.log.count("redial in 4ms") >= 3 })
	for _, d := range []string{"redial in 1ms", "redial in 2ms"} {
		assert.Equal(t, 1, a.log.count(d), "%q: the delay doubles once per failure", d)
	}
	assert.False(t, a.log.has("redial in 8ms"), "the delay exceeds RedialDelayMax")
}

func TestStuckPeerIsDroppedAfterWriteTimeout(t *testing.T) {
	checkNoGoroutineLeak(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	testDone := make(chan struct{})
	defer close(testDone)
	go func() {
		// Complete the handshake, then never read.
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := readFrame(c, helloBytes); err == nil {
			c.Write(appendHello(nil, hello{ClusterID: 7, From: 2, To: 1}))
		}
		<-testDone
	}()
	a := newNode(t, 7, 1, func(c *Config) { c.WriteTimeout = 50 * time.Millisecond; c.QueueLen = 4 })
	a.AddPeer(2, ln.Addr().String())
	payload := make([]byte, 1<<20)
	eventually(t, "connection dropped as stuck", func() bool {
		a.Send([]raft.Message{{Type: raft.AppendEntriesRequest, From: 1, To: 2, Entries: []raft.Entry{{Data: payload}}}})
		return a.log.has("i/o timeout")
	})
	assert.NotZero(t, a.Stats().ConnsLost)
}

func TestFlappingPeerDoesNotClearTheBackoff(t *testing.T) {
	checkNoGoroutineLeak(t)
	// A peer that answers the hello and hangs up at once, every time.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(waitMax))
			if _, err := readFrame(c, helloBytes); err == nil {
				c.Write(appendHello(nil, hello{ClusterID: 7, From: 2, To: 1}))
			}
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-served }()

	a := newNode(t, 7, 1, func(c *Config) {
		// A max well above how long a flapping connection lives, even on a
		// loaded machine.
		c.RedialDelayMin, c.RedialDelayMax = time.Millisecond, 32*time.Millisecond
	})
	a.AddPeer(2, ln.Addr().String())
	eventually(t, "backoff reaches its max", func() bool { return a.log.count("redial in 32ms") >= 2 })
	assert.True(t, a.log.has("connection lost"), a.log.String())
	assert.Equal(t, 1, a.log.count("redial in 1ms"), "a connection that did not last cleared the backoff")
}
