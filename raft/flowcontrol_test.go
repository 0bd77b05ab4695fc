package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// appendsTo returns the pending AppendEntriesRequests to id.
func appendsTo(nw *rafttest.Network, id uint64) []raft.Message {
	var out []raft.Message
	for _, m := range nw.Pending {
		if m.To == id && m.Type == raft.AppendEntriesRequest {
			out = append(out, m)
		}
	}
	return out
}

// replicating returns a group whose leader 1 has every follower in
// ProgressReplicate.
func replicating(t *testing.T, configure func(*raft.Config)) *rafttest.Network {
	nw := rafttest.New(t, 3, configure)
	nw.Elect(1)
	for id, pr := range nw.Nodes[1].Status().Progress {
		require.Equal(t, raft.ProgressReplicate, pr.State, "node %d", id)
	}
	return nw
}

func TestProposalsBetweenReadiesAreBatchedIntoOneAppend(t *testing.T) {
	nw := replicating(t, nil)
	for range 10 {
		require.NoError(t, nw.Nodes[1].Propose([]byte("v")))
	}
	nw.Process(1)
	for _, id := range []uint64{2, 3} {
		apps := appendsTo(nw, id)
		require.Len(t, apps, 1, "one message to %d", id)
		assert.Len(t, apps[0].Entries, 10)
	}
}

func TestAppendsAreSplitAtMsgBytesMax(t *testing.T) {
	nw := replicating(t, func(c *raft.Config) { c.MsgBytesMax = 3 * (10 + 17) })
	for range 10 {
		require.NoError(t, nw.Nodes[1].Propose(make([]byte, 10)))
	}
	nw.Process(1)
	apps := appendsTo(nw, 2)
	require.Len(t, apps, 4, "10 entries at 3 per message")
	for _, m := range apps[:3] {
		assert.Len(t, m.Entries, 3)
	}
}

func TestEntryLargerThanMsgBytesMaxIsSentAlone(t *testing.T) {
	nw := replicating(t, func(c *raft.Config) { c.MsgBytesMax = 8 })
	require.NoError(t, nw.Nodes[1].Propose(make([]byte, 100)))
	nw.DeliverAll()
	assert.Len(t, nw.AppliedData(2), 1)
}

func TestPipelineStopsAtInflightMsgsMax(t *testing.T) {
	nw := replicating(t, func(c *raft.Config) { c.InflightMsgsMax = 2; c.MsgBytesMax = 1 })
	for range 5 {
		require.NoError(t, nw.Nodes[1].Propose([]byte("v")))
	}
	nw.Process(1)
	assert.Len(t, appendsTo(nw, 2), 2, "the window holds two messages")
	assert.Equal(t, 2, nw.Nodes[1].Status().Progress[2].Inflight)
	// Acknowledgements open the window again, and everything commits.
	nw.DeliverAll()
	assert.Len(t, nw.AppliedData(1), 5)
}

func TestPipelineStopsAtInflightBytesMax(t *testing.T) {
	const size = 100
	nw := replicating(t, func(c *raft.Config) { c.InflightBytesMax = 2 * (size + 17); c.MsgBytesMax = 1 })
	for range 5 {
		require.NoError(t, nw.Nodes[1].Propose(make([]byte, size)))
	}
	nw.Process(1)
	assert.Len(t, appendsTo(nw, 2), 2, "two entries fill the byte budget")
	nw.DeliverAll()
	assert.Len(t, nw.AppliedData(1), 5)
}

func TestProbingFollowerGetsOneMessageAtATime(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Nodes[1].Campaign()
	// Deliver only the votes; the followers stay in probe.
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.AppendEntriesRequest })
	require.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
	require.Equal(t, raft.ProgressProbe, nw.Nodes[1].Status().Progress[2].State)
	for range 5 {
		require.NoError(t, nw.Nodes[1].Propose([]byte("v")))
		nw.Process(1)
	}
	assert.Empty(t, appendsTo(nw, 2), "a probe is outstanding: nothing more is sent")
	// A heartbeat response shows 2 is alive and unpauses it: one probe.
	nw.Tick(1, 1)
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.AppendEntriesRequest })
	nw.Tick(1, 1)
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.HeartbeatResponse, From: 2, To: 1, Term: 1}))
	nw.Process(1)
	assert.Len(t, appendsTo(nw, 2), 1)
}

func TestUncommittedBytesMaxRefusesProposals(t *testing.T) {
	const limit = 100
	nw := replicating(t, func(c *raft.Config) { c.UncommittedBytesMax = limit; c.EntryBytesMax = 50 })
	nw.Isolate(1) // nothing commits
	require.NoError(t, nw.Nodes[1].Propose(make([]byte, 50)))
	require.NoError(t, nw.Nodes[1].Propose(make([]byte, 50)), "exactly at the limit is fine")
	err := nw.Nodes[1].Propose(make([]byte, 1))
	require.ErrorIs(t, err, raft.ErrProposalDropped)
	// Once entries commit and apply, proposals are taken again.
	nw.Heal()
	nw.DeliverAll()
	nw.Tick(1, 1)
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[1].Propose(make([]byte, 50)))
}

func TestEntryBytesMaxRefusesOversizedProposal(t *testing.T) {
	nw := replicating(t, func(c *raft.Config) { c.EntryBytesMax = 64 })
	require.NoError(t, nw.Nodes[1].Propose(make([]byte, 64)))
	err := nw.Nodes[1].Propose(make([]byte, 65))
	require.ErrorIs(t, err, raft.ErrProposalTooLarge)
	assert.Equal(t, uint64(2), nw.Nodes[1].Status().LastIndex, "the refused proposal changed nothing")
}

func TestLostAppendsInReplicateAreRecovered(t *testing.T) {
	nw := replicating(t, func(c *raft.Config) { c.InflightMsgsMax = 2; c.MsgBytesMax = 1 })
	for range 6 {
		require.NoError(t, nw.Nodes[1].Propose([]byte("v")))
		nw.Process(1)
		nw.Drop(func(m raft.Message) bool { return m.To == 2 && m.Type == raft.AppendEntriesRequest })
	}
	nw.DeliverAll()
	for range 10 {
		nw.TickAll(1)
	}
	assert.Equal(t, nw.AppliedData(1), nw.AppliedData(2))
	assert.Len(t, nw.AppliedData(2), 6)
}
