package raft_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func TestProposalsAreCommittedAndAppliedInOrderOnEveryNode(t *testing.T) {
	nw := rafttest.New(t, 5, nil)
	nw.Elect(3)
	for i := range 20 {
		require.NoError(t, nw.Nodes[3].Propose([]byte(fmt.Sprint(i))))
		if i%7 == 0 {
			nw.DeliverAll()
		}
	}
	nw.DeliverAll()
	nw.Tick(3, 1) // a heartbeat carries the last commit index
	nw.DeliverAll()
	want := nw.AppliedData(3)
	require.Len(t, want, 20)
	for _, id := range nw.IDs() {
		assert.Equal(t, want, nw.AppliedData(id), "node %d", id)
	}
	nw.CheckStateMachineSafety()
}

func TestProposalToFollowerReturnsNotLeaderNamingTheLeader(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	err := nw.Nodes[2].Propose([]byte("x"))
	var nl *raft.NotLeaderError
	require.ErrorAs(t, err, &nl)
	assert.Equal(t, raft.None, nl.Leader)

	nw.Elect(1)
	err = nw.Nodes[2].Propose([]byte("x"))
	require.ErrorIs(t, err, raft.ErrNotLeader)
	require.ErrorAs(t, err, &nl)
	assert.Equal(t, uint64(1), nl.Leader)
}

func TestAppendConsistencyCheckRejectsMismatchedPreviousEntry(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	// 2 holds index 1 of term 1; an append claiming index 1 has term 2 is
	// rejected, and nothing is appended.
	require.NoError(t, nw.Nodes[2].Step(raft.Message{Type: raft.AppendEntriesRequest, From: 3, To: 2, Term: 2,
		Index: 1, LogTerm: 2, Entries: []raft.Entry{{Index: 2, Term: 2}}}))
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
	assert.Equal(t, uint64(1), resp[0].LogTerm, "hint: the term we hold at the conflict")
	assert.Equal(t, uint64(1), nw.Nodes[2].Status().LastIndex)
}

// divergentFollower builds a group in which follower 3 holds many entries
// of stale terms that the leader never had, and returns it with 3 cut off.
func divergentFollower(t *testing.T, staleTerms, perTerm int) *rafttest.Network {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	for range staleTerms {
		// 3 leads alone for a term and appends entries nobody else gets.
		nw.Partition([]uint64{3}, []uint64{1, 2})
		nw.Nodes[3].Campaign()
		nw.Process(3)
		nw.Pending = nil
		nw.Heal()
		// Make 3 leader of its term without the others learning of it.
		st := nw.Nodes[3].Status()
		for _, from := range []uint64{1, 2} {
			require.NoError(t, nw.Nodes[3].Step(raft.Message{Type: raft.RequestVoteResponse, From: from, To: 3, Term: st.Term}))
			if nw.Nodes[3].Status().Role == raft.Leader {
				break
			}
		}
		require.Equal(t, raft.Leader, nw.Nodes[3].Status().Role)
		for range perTerm {
			require.NoError(t, nw.Nodes[3].Propose([]byte("stale")))
		}
		nw.Process(3)
		nw.Pending = nil
	}
	nw.Partition([]uint64{3}, []uint64{1, 2})
	// Meanwhile 1 and 2 move on at a term above all of 3's.
	for c := uint64(2); nw.Nodes[1].Status().Term <= nw.Nodes[3].Status().Term; c = 3 - c {
		nw.Elect(c)
	}
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("good")))
	nw.DeliverAll()
	return nw
}

func TestFastBacktrackingSkipsAConflictingTermPerRoundTrip(t *testing.T) {
	const staleTerms, perTerm = 3, 30
	nw := divergentFollower(t, staleTerms, perTerm)
	nw.Heal()
	rejectsBefore := 0
	nw.Tick(1, 1)
	for round := 0; round < 1000 && len(nw.Pending) > 0; round++ {
		m := nw.Pending[0]
		if m.Type == raft.AppendEntriesResponse && m.Reject && m.From == 3 {
			rejectsBefore++
		}
		nw.Deliver(0)
		nw.ProcessAll()
	}
	nw.DeliverAll()
	assert.Equal(t, nw.AppliedData(1), nw.AppliedData(3))
	// One rejection per stale term (plus the first probe), not one per
	// stale entry.
	assert.LessOrEqual(t, rejectsBefore, staleTerms+2, "rejections: %d for %d stale entries", rejectsBefore, staleTerms*perTerm)
	nw.CheckStateMachineSafety()
}

// figure8 plays Figure 8 of the Raft paper on five nodes. Node 1 leads
// term 1 and gets entry "x" (index 2) only to 2. Node 5 leads term 2 with
// the votes of 3 and 4 and appends index 2 of term 2 alone. Node 1 leads
// term 3 and copies "x" to 3: a majority holds it, but it is of term 1.
// Node 1 crashes; node 5 wins term 4 with 3's and 4's votes and overwrites
// index 2. Committing "x" by counting replicas would lose it.
func figure8(t *testing.T, bugs *plant.Bugs) *rafttest.Network {
	nw := rafttest.New(t, 5, func(c *raft.Config) {
		c.MsgBytesMax = 1 // one entry per message, to control who gets what
		if c.ID == 1 {
			c.Bugs = bugs
		}
	})
	appendsFrom := func(id uint64) func(raft.Message) bool {
		return func(m raft.Message) bool { return m.From == id && m.Type == raft.AppendEntriesRequest }
	}
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.Process(1)
	nw.Drop(func(m raft.Message) bool { return m.To != 2 })
	nw.DeliverAll()
	nw.Crash(1)

	nw.Nodes[5].Campaign()
	nw.DeliverAllExcept(appendsFrom(5))
	require.Equal(t, raft.Leader, nw.Nodes[5].Status().Role)
	require.Equal(t, uint64(2), nw.Nodes[5].Status().Term)
	nw.Crash(5)

	nw.Restart(1)
	for nw.Nodes[1].Status().Role != raft.Leader {
		nw.Nodes[1].Campaign()
		nw.DeliverAllExcept(appendsFrom(1))
	}
	require.Equal(t, uint64(3), nw.Nodes[1].Status().Term)
	// 1 probes 2 and 3; 3 lacks index 2 and gets "x", one entry per
	// message. Nothing of term 3 reaches 3 or 4.
	nw.Tick(1, 1)
	nw.DeliverAllExcept(func(m raft.Message) bool {
		if m.From != 1 || m.Type != raft.AppendEntriesRequest {
			return false
		}
		switch m.To {
		case 2:
			return false
		case 3:
			// Deliver the probe (which 3 rejects) and "x"; drop the rest.
			return nw.Nodes[3].Status().LastIndex >= 2
		}
		return true
	})
	require.Equal(t, uint64(2), nw.Nodes[3].Status().LastIndex, "3 holds x")
	nw.Crash(1)

	nw.Restart(5)
	for nw.Nodes[5].Status().Role != raft.Leader {
		nw.Nodes[5].Campaign()
		nw.DeliverAll()
	}
	nw.TickAll(3)
	return nw
}

func TestFigure8LeaderNeverCommitsPreviousTermEntryByCounting(t *testing.T) {
	nw := figure8(t, nil)
	nw.CheckStateMachineSafety()
	for _, id := range nw.IDs() {
		if !nw.Nodes[id].Down {
			assert.NotContains(t, nw.AppliedData(id), "x", "node %d", id)
		}
	}
}

func TestPlantedFigure8BugBreaksStateMachineSafety(t *testing.T) {
	// Node 1 applies "x"; node 5 then overwrites it. Either the state
	// machines diverge or node 5's invariants trip first (node 2 reports
	// "x" committed, which node 5's log contradicts).
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return figure8(t, &plant.Bugs{CommitPreviousTermByCounting: true}).StateMachineSafety()
	}()
	require.Error(t, err, "committing by counting an entry of term 1 must let node 5 overwrite it")
	require.Regexp(t, "state machine safety|invariant broken", err.Error())
}

// followerWithStaleTail leaves follower 2 with index 2 of term 1 that the
// leader of term 2 never had, then sends it a heartbeat-less append that
// matches only index 1 while the leader's commit index is 3.
func followerWithStaleTail(t *testing.T, bugs *plant.Bugs) *rafttest.Network {
	nw := rafttest.New(t, 3, func(c *raft.Config) {
		if c.ID == 2 {
			c.Bugs = bugs
		}
	})
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("stale")))
	nw.Process(1)
	nw.Drop(func(m raft.Message) bool { return m.To != 2 })
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.To == 1 })
	// 2 holds [1/1, 2/1 "stale"]. A leader of term 2 whose log is
	// [1/1, 2/2, 3/2] with commit 3 sends an append matching at index 1.
	require.NoError(t, nw.Nodes[2].Step(raft.Message{Type: raft.AppendEntriesRequest, From: 3, To: 2, Term: 2,
		Index: 1, LogTerm: 1, Commit: 3}))
	nw.Process(2)
	return nw
}

func TestFollowerNeverCommitsPastTheLastEntryKnownToMatch(t *testing.T) {
	nw := followerWithStaleTail(t, nil)
	assert.Equal(t, uint64(1), nw.Nodes[2].Status().Commit)
	assert.NotContains(t, nw.AppliedData(2), "stale")
}

func TestPlantedFollowerCommitPastMatchAppliesAStaleEntry(t *testing.T) {
	nw := followerWithStaleTail(t, &plant.Bugs{FollowerCommitPastMatch: true})
	assert.Contains(t, nw.AppliedData(2), "stale")
}

func TestStaleTermAppendIsAnsweredWithCurrentTerm(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Elect(2)
	require.NoError(t, nw.Nodes[3].Step(raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 3, Term: 1, Index: 1, LogTerm: 1}))
	nw.Process(3)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 3 })
	require.Len(t, resp, 1)
	assert.Equal(t, raft.AppendEntriesResponse, resp[0].Type)
	assert.Equal(t, uint64(2), resp[0].Term)
	assert.Equal(t, uint64(2), nw.Nodes[3].Status().Lead, "the stale leader changed nothing")
}

func TestStaleTermVoteResponseIsIgnored(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Nodes[1].Campaign()
	nw.Process(1)
	nw.Pending = nil
	nw.Nodes[1].Campaign() // term 2
	nw.Process(1)
	nw.Pending = nil
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.RequestVoteResponse, From: 2, To: 1, Term: 1}))
	assert.Equal(t, raft.Candidate, nw.Nodes[1].Status().Role, "a grant from term 1 does not count in term 2")
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.RequestVoteResponse, From: 2, To: 1, Term: 2}))
	assert.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
}
