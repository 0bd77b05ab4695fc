package raft_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func TestCandidateWithMajorityBecomesLeader(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	for _, id := range []uint64{2, 3} {
		st := nw.Nodes[id].Status()
		assert.Equal(t, raft.Follower, st.Role)
		assert.Equal(t, uint64(1), st.Lead)
		assert.Equal(t, uint64(1), st.Term)
	}
}

func TestSingleVoterElectsItselfAndCommitsAlone(t *testing.T) {
	nw := rafttest.New(t, 1, nil)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.DeliverAll()
	assert.Equal(t, []string{"x"}, nw.AppliedData(1))
}

func TestNewLeaderAppendsNoOpEntryOfItsTerm(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(2)
	st := nw.Nodes[2].Status()
	require.Equal(t, uint64(1), st.LastIndex)
	for _, id := range nw.IDs() {
		applied := nw.Nodes[id].Applied
		require.Len(t, applied, 1, "node %d", id)
		assert.Equal(t, raft.Entry{Term: st.Term, Index: 1}, applied[0], "the no-op is empty and of the leader's term")
	}
}

func TestVoteDeniedToCandidateWithLessUpToDateLog(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	// 3 misses an entry that 1 and 2 hold.
	nw.Isolate(3)
	require.NoError(t, nw.Nodes[1].Propose([]byte("a")))
	nw.DeliverAll()
	nw.Heal()

	nw.Nodes[3].Campaign()
	nw.DeliverAll()
	assert.NotEqual(t, raft.Leader, nw.Nodes[3].Status().Role, "a candidate missing a committed entry must not win")
	assert.Equal(t, []string{"a"}, nw.AppliedData(1))
}

func TestElectionTimeoutIsRandomizedWithinOneToTwoTimeouts(t *testing.T) {
	const election = 10
	seen := make(map[int]bool)
	for seed := uint64(1); seed <= 40; seed++ {
		nw := rafttest.New(t, 3, func(c *raft.Config) {
			c.ElectionTicks = election
			c.Rand = rand.New(rand.NewPCG(seed, c.ID))
		})
		nd := nw.Nodes[2]
		ticks := 0
		for nd.Status().Role == raft.Follower {
			nd.Tick()
			ticks++
			require.Less(t, ticks, 2*election+1)
		}
		require.GreaterOrEqual(t, ticks, election)
		seen[ticks] = true
	}
	assert.Greater(t, len(seen), 3, "timeouts must vary between nodes")
}

func TestElectionJitterIsAFunctionOfTheSeed(t *testing.T) {
	timeout := func() int {
		nw := rafttest.New(t, 3, nil)
		ticks := 0
		for nw.Nodes[2].Status().Role == raft.Follower {
			nw.Nodes[2].Tick()
			ticks++
		}
		return ticks
	}
	assert.Equal(t, timeout(), timeout())
}

// voteAcrossRestart has node 3 vote for 1 in term 1, crash and restart,
// and then be asked by 2 for a vote in the same term. It returns 3's
// answer to 2.
func voteAcrossRestart(t *testing.T, bugs *plant.Bugs) raft.Message {
	nw := rafttest.New(t, 3, func(c *raft.Config) {
		if c.ID == 3 {
			c.Bugs = bugs
		}
	})
	nw.Nodes[1].Campaign()
	nw.Process(1)
	// The grant is durable before it is sent.
	require.True(t, nw.Deliver(indexOf(nw, 1, 3, raft.RequestVoteRequest)))
	nw.Process(3)
	nw.Crash(3)
	nw.Restart(3)
	// 2 also campaigns in term 1 (its term was 0), and asks 3.
	nw.Nodes[2].Campaign()
	nw.Process(2)
	require.True(t, nw.Deliver(indexOf(nw, 2, 3, raft.RequestVoteRequest)))
	nw.Process(3)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 3 && m.To == 2 })
	require.Len(t, resp, 1)
	return resp[0]
}

func TestVoteGrantedAtMostOncePerTermEvenAcrossRestart(t *testing.T) {
	assert.True(t, voteAcrossRestart(t, nil).Reject, "3 already voted for 1 in term 1")
}

func TestPlantedForgetVoteOnRestartGrantsTwoVotes(t *testing.T) {
	// The test above would fail on this bug.
	assert.False(t, voteAcrossRestart(t, &plant.Bugs{ForgetVoteOnRestart: true}).Reject)
}

func TestNodeThatKnowsALeaderDoesNotVoteInItsTerm(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	// 2 is a follower of 1 in term 1 and has not voted (1 won with 3's vote
	// or 2's; either way 2 knows the leader). A vote request of the same
	// term from 3 is refused.
	err := nw.Nodes[2].Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 2, Term: 1, Index: 9, LogTerm: 1})
	require.NoError(t, err)
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
}

// indexOf finds the pending message of type t from one node to another.
func indexOf(nw *rafttest.Network, from, to uint64, t raft.MessageType) int {
	for i, m := range nw.Pending {
		if m.From == from && m.To == to && m.Type == t {
			return i
		}
	}
	panic("no such message pending")
}
