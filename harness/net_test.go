package harness

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// A stalled link holds up to heldMax messages and drops the rest, as a full
// send buffer does; when the delay ends, the backlog goes out in the order
// it was sent.
func TestDelayHoldsUpToHeldMaxThenFlushesInOrder(t *testing.T) {
	s := &sim{netRand: rand.New(rand.NewPCG(1, 1)), net: network{cut: map[[2]uint64]int{}}}
	undo := s.startFault(Event{Kind: FaultDelay, Links: [][2]uint64{{1, 2}}})
	for i := range heldMax + 1 {
		s.send(raft.Message{Type: raft.HeartbeatRequest, From: 1, To: 2, Seq: uint64(i + 1)})
	}
	s.send(raft.Message{Type: raft.HeartbeatRequest, From: 2, To: 1})
	held := s.net.held[[2]uint64{1, 2}]
	require.Len(t, held, heldMax, "the link holds heldMax messages")
	assert.Equal(t, 1, s.net.dropped, "the one past heldMax is dropped")
	for i, m := range held {
		assert.Equal(t, uint64(i+1), m.Seq, "held in the order sent")
	}
	assert.Equal(t, 1, s.queue.Len(), "the other direction flows")
	undo()
	assert.Empty(t, s.net.held, "the delay's end flushes the link")
	assert.Equal(t, 2, s.queue.Len(), "the backlog goes out in one delivery")
}
