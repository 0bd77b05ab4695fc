package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// rejoinAfterPartition isolates node 3 from a healthy group led by 1, lets
// it time out many times, heals, and returns the leader's term before and
// after.
func rejoinAfterPartition(t *testing.T, configure func(*raft.Config)) (before, after raft.Status, nw *rafttest.Network) {
	nw = rafttest.New(t, 3, configure)
	nw.Elect(1)
	before = nw.Nodes[1].Status()
	nw.Isolate(3)
	nw.Tick(3, 100)
	nw.DeliverAll()
	nw.Heal()
	// Let the group exchange heartbeats; 3's messages now arrive.
	nw.Tick(1, 1)
	nw.DeliverAll()
	nw.Tick(3, 1)
	nw.DeliverAll()
	return before, nw.Nodes[1].Status(), nw
}

func TestPreVotePartitionedNodeDoesNotDisruptLeaderWhenItRejoins(t *testing.T) {
	before, after, nw := rejoinAfterPartition(t, func(c *raft.Config) { c.PreVote = true })
	assert.Equal(t, raft.Leader, after.Role)
	assert.Equal(t, before.Term, after.Term, "the leader kept its term")
	assert.Equal(t, before.Term, nw.Nodes[3].Status().Term, "the isolated node never raised its term")
}

func TestWithoutPreVoteARejoiningNodeDisruptsTheLeader(t *testing.T) {
	// The counterexample PreVote exists for.
	before, after, _ := rejoinAfterPartition(t, nil)
	assert.Greater(t, after.Term, before.Term)
}

func TestPreVoteRequestNeverChangesTheTerm(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.PreVote = true })
	nd := nw.Nodes[2]
	require.NoError(t, nd.Step(raft.Message{Type: raft.PreVoteRequest, From: 1, To: 2, Term: 5}))
	nw.Process(2)
	assert.Equal(t, uint64(0), nd.Status().Term)
	assert.Equal(t, uint64(0), nd.Status().Vote)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 })
	require.Len(t, resp, 1)
	assert.Equal(t, raft.PreVoteResponse, resp[0].Type)
	assert.False(t, resp[0].Reject)
	assert.Equal(t, uint64(5), resp[0].Term, "a grant carries the term asked about")
}

func TestPreVoteFromLowerTermIsRejectedWithCurrentTerm(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.PreVote = true })
	nw.Elect(1)
	nw.Elect(2) // term 2
	nd := nw.Nodes[3]
	require.Equal(t, uint64(2), nd.Status().Term)
	require.NoError(t, nd.Step(raft.Message{Type: raft.PreVoteRequest, From: 1, To: 3, Term: 1, Index: 9, LogTerm: 1}))
	nw.Process(3)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 3 && m.To == 1 })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
	assert.Equal(t, uint64(2), resp[0].Term)
}

func TestPreCandidateLearnsHigherTermFromRejection(t *testing.T) {
	// Nodes at different terms that all pre-vote must not deadlock: the
	// pre-candidate at the lower term adopts the term a rejection carries,
	// and can then win a pre-vote for the term after it.
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.PreVote = true })
	nw.Nodes[1].Campaign()
	nw.Process(1)
	require.Equal(t, raft.PreCandidate, nw.Nodes[1].Status().Role)
	nw.Pending = nil
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.PreVoteResponse, From: 2, To: 1, Term: 7, Reject: true}))
	st := nw.Nodes[1].Status()
	assert.Equal(t, raft.Follower, st.Role)
	assert.Equal(t, uint64(7), st.Term)
}

func TestPreVoteElectionRaisesTermOnlyOnce(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.PreVote = true })
	nw.Elect(1)
	assert.Equal(t, uint64(1), nw.Nodes[1].Status().Term)
	assert.Positive(t, nw.Delivered[raft.PreVoteRequest])
}
