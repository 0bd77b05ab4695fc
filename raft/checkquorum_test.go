package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func checkQuorum(c *raft.Config) { c.CheckQuorum = true }

func TestCheckQuorumLeaderWithoutQuorumStepsDown(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	nw.Isolate(1)
	nw.Tick(1, 2*raft.DefaultElectionTicks)
	st := nw.Nodes[1].Status()
	assert.Equal(t, raft.Follower, st.Role)
	assert.Equal(t, raft.None, st.Lead)
	assert.Equal(t, uint64(1), st.Term, "stepping down does not raise the term")
}

func TestWithoutCheckQuorumIsolatedLeaderStaysLeader(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Isolate(1)
	nw.Tick(1, 5*raft.DefaultElectionTicks)
	assert.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
}

func TestCheckQuorumLeaderWithQuorumStaysLeader(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	nw.Isolate(3)
	for range 5 * raft.DefaultElectionTicks {
		nw.Tick(1, 1)
		nw.Tick(2, 1)
		nw.DeliverAll()
	}
	assert.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
}

func TestLeaderStickinessFollowerRejectsVoteWhileLeaderIsLive(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	// 3 campaigns at a higher term; 2 heard from 1 just now.
	require.NoError(t, nw.Nodes[2].Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 2, Term: 5, Index: 10, LogTerm: 1}))
	nw.Process(2)
	st := nw.Nodes[2].Status()
	assert.Equal(t, uint64(1), st.Term, "the follower does not raise its term")
	assert.Equal(t, uint64(1), st.Lead)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
}

func TestLeaderStickinessEndsAfterElectionTimeout(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	nw.Crash(1)
	nw.Isolate(3)
	// 2 hears nothing for an election timeout, so it votes again. Ticking
	// may make 2 campaign itself; drop what it sends.
	for range raft.DefaultElectionTicks {
		nw.Nodes[2].Tick()
	}
	nw.Process(2)
	nw.Pending = nil
	term := nw.Nodes[2].Status().Term
	require.NoError(t, nw.Nodes[2].Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 2, Term: term + 1, Index: 10, LogTerm: 1}))
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 })
	require.Len(t, resp, 1)
	assert.False(t, resp[0].Reject)
}

func TestDeposedLeaderLearnsNewTermFromStaleHeartbeatAnswer(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.CheckQuorum = true; c.PreVote = true })
	nw.Elect(1)
	nw.Partition([]uint64{1}, []uint64{2, 3})
	// 3 must see the leader silent for an election timeout before it
	// votes for anyone else.
	nw.Tick(3, 2*raft.DefaultElectionTicks)
	nw.DeliverAll()
	nw.Elect(2)
	nw.Heal()
	// 1 still thinks it leads term 1; its heartbeat is answered with term 2.
	nw.Tick(1, 1)
	nw.DeliverAll()
	st := nw.Nodes[1].Status()
	assert.Equal(t, raft.Follower, st.Role)
	assert.Equal(t, uint64(2), st.Term)
}
