package raft_test

import (
	"testing"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func change(cs ...raft.ConfChangeSingle) raft.ConfChange { return raft.ConfChange{Changes: cs} }

func addVoter(id uint64) raft.ConfChangeSingle {
	return raft.ConfChangeSingle{Type: raft.AddVoter, NodeID: id}
}
func addLearner(id uint64) raft.ConfChangeSingle {
	return raft.ConfChangeSingle{Type: raft.AddLearner, NodeID: id}
}
func remove(id uint64) raft.ConfChangeSingle {
	return raft.ConfChangeSingle{Type: raft.RemoveNode, NodeID: id}
}

// proposeN proposes n entries at the leader and delivers everything.
func proposeN(t *testing.T, nw *rafttest.Network, lead uint64, n int) {
	t.Helper()
	for range n {
		require.NoError(t, nw.Nodes[lead].Propose([]byte("v")))
		nw.DeliverAll()
	}
}

// startLearner starts id as a learner of the bootstrap configuration.
func startLearner(nw *rafttest.Network, id uint64, voters ...uint64) {
	nw.Join(id, func(c *raft.Config) { c.Join, c.Voters, c.Learners = false, voters, []uint64{id} })
}

func confOf(nw *rafttest.Network, id uint64) raft.ConfState { return nw.Nodes[id].Status().ConfState }

func TestAddedLearnerCatchesUpAndCountsTowardNoQuorum(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	proposeN(t, nw, 1, 5)
	nw.Join(4, nil)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(4))))
	nw.DeliverAll()

	want := raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}
	for _, id := range nw.IDs() {
		assert.True(t, want.Equal(confOf(nw, id)), "node %d: %v", id, confOf(nw, id))
	}
	assert.Equal(t, nw.Nodes[1].Status().Commit, nw.Nodes[4].Status().Commit, "the learner holds the log")
	assert.Len(t, nw.Nodes[4].Applied, len(nw.Nodes[2].Applied))

	// With two voters cut off, the learner's acknowledgement commits
	// nothing.
	nw.Isolate(2)
	nw.Isolate(3)
	commit := nw.Nodes[1].Status().Commit
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.DeliverAll()
	assert.Equal(t, commit, nw.Nodes[1].Status().Commit)
	assert.Equal(t, nw.Nodes[1].Status().LastIndex, nw.Nodes[4].Status().LastIndex, "the learner has it")
	nw.CheckStateMachineSafety()
}

func TestLearnerNeverCampaigns(t *testing.T) {
	nw := rafttest.New(t, 2, func(c *raft.Config) { c.Learners = []uint64{3} })
	startLearner(nw, 3, 1, 2)
	nw.Nodes[3].Campaign()
	nw.Tick(3, 100)
	nw.ProcessAll()
	for _, m := range nw.Pending {
		assert.NotEqual(t, uint64(3), m.From, "learner sent %v", m)
	}
}

func TestPromotionGoesThroughJointAndLeavesByItself(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.Learners = []uint64{4} })
	startLearner(nw, 4, 1, 2, 3)
	nw.Elect(1)
	proposeN(t, nw, 1, 3)
	before := nw.Nodes[1].Status().LastIndex
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(4))))
	nw.DeliverAll()

	final := raft.ConfState{Voters: []uint64{1, 2, 3, 4}}
	for _, id := range nw.IDs() {
		assert.True(t, final.Equal(confOf(nw, id)), "node %d: %v", id, confOf(nw, id))
	}
	// The log holds the joint configuration, then the one that leaves it.
	joint, err := nw.Nodes[1].ConfStateAt(before + 1)
	require.NoError(t, err)
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2, 3, 4}, VotersOutgoing: []uint64{1, 2, 3}, AutoLeave: true}.Equal(joint), "%v", joint)
	left, err := nw.Nodes[1].ConfStateAt(before + 2)
	require.NoError(t, err)
	assert.True(t, final.Equal(left), "%v", left)
	old, err := nw.Nodes[1].ConfStateAt(before)
	require.NoError(t, err)
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}.Equal(old), "%v", old)
}

func TestJointConfigurationNeedsAMajorityOfBothHalves(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Join(4, nil)
	nw.Join(5, nil)
	cc := change(addVoter(4), addVoter(5), remove(2), remove(3))
	cc.ExplicitLeave = true
	require.NoError(t, nw.Nodes[1].ProposeConfChange(cc))
	nw.DeliverAll()
	joint := raft.ConfState{Voters: []uint64{1, 4, 5}, VotersOutgoing: []uint64{1, 2, 3}}
	require.True(t, joint.Equal(confOf(nw, 1)), "%v", confOf(nw, 1))

	// 1, 4 and 5 are a majority of the new voters but not of the old.
	nw.Isolate(2)
	nw.Isolate(3)
	commit := nw.Nodes[1].Status().Commit
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.DeliverAll()
	assert.Equal(t, commit, nw.Nodes[1].Status().Commit, "no commit without the old majority")

	// With 2 back, both majorities hold it.
	nw.Heal()
	nw.Isolate(3)
	nw.TickAll(3)
	assert.Greater(t, nw.Nodes[1].Status().Commit, commit)

	// Leaving is explicit: an empty change.
	require.ErrorIs(t, nw.Nodes[1].ProposeConfChange(change(addVoter(6))), raft.ErrConfChangeInFlight, "no change on top of a joint one")
	require.NoError(t, nw.Nodes[1].ProposeConfChange(raft.ConfChange{}))
	nw.DeliverAll()
	assert.True(t, raft.ConfState{Voters: []uint64{1, 4, 5}}.Equal(confOf(nw, 1)), "%v", confOf(nw, 1))
	nw.CheckStateMachineSafety()
}

func TestChangeRefusedBeforeTheLeadersFirstCommitInItsTerm(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Nodes[1].Campaign()
	// Votes arrive, the no-op's acknowledgements do not.
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.AppendEntriesResponse })
	require.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
	last := nw.Nodes[1].Status().LastIndex
	err := nw.Nodes[1].ProposeConfChange(change(addLearner(4)))
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight)
	assert.Contains(t, err.Error(), "not yet committed an entry of its term")
	assert.Equal(t, last, nw.Nodes[1].Status().LastIndex, "nothing appended")
	nw.TickAll(2)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(4))), "fine once the no-op is committed")
}

func TestOnlyOneChangeInFlight(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(4))))
	last := nw.Nodes[1].Status().LastIndex
	err := nw.Nodes[1].ProposeConfChange(change(addLearner(5)))
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight)
	assert.Equal(t, last, nw.Nodes[1].Status().LastIndex)
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(5))), "the first is committed")
}

func TestBadChangesAreRefusedAndChangeNothing(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.Learners = []uint64{4} })
	nw.Elect(1)
	for name, cc := range map[string]raft.ConfChange{
		"unknown node":       change(remove(9)),
		"node 0":             change(addVoter(0)),
		"already a voter":    change(addVoter(2)),
		"already a learner":  change(addLearner(4)),
		"twice in one":       change(addVoter(5), remove(5)),
		"no voters left":     change(remove(1), remove(2), remove(3)),
		"leave when not in":  {},
		"unknown change":     change(raft.ConfChangeSingle{Type: 9, NodeID: 5}),
		"learner out, no ID": change(raft.ConfChangeSingle{Type: raft.AddLearner}),
	} {
		before := nw.Nodes[1].Status()
		err := nw.Nodes[1].ProposeConfChange(cc)
		require.ErrorIs(t, err, raft.ErrConfChangeInvalid, name)
		after := nw.Nodes[1].Status()
		assert.Equal(t, before.LastIndex, after.LastIndex, name)
		assert.True(t, before.ConfState.Equal(after.ConfState), name)
	}
	require.ErrorIs(t, nw.Nodes[2].ProposeConfChange(change(addLearner(5))), raft.ErrNotLeader)
}

func TestRemovedLeaderStepsDownAndTheRestGoOn(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(remove(1))))
	nw.DeliverAll()
	st := nw.Nodes[1].Status()
	assert.Equal(t, raft.Follower, st.Role, "a removed leader steps down")
	assert.True(t, raft.ConfState{Voters: []uint64{2, 3}}.Equal(st.ConfState), "%v", st.ConfState)

	// No heartbeats from 1, and it never campaigns; 2 or 3 takes over.
	nw.TickAll(60)
	lead := nw.Leader()
	require.Contains(t, []uint64{2, 3}, lead)
	proposeN(t, nw, lead, 2)
	assert.Equal(t, nw.Nodes[lead].Status().Commit, nw.Nodes[lead].Status().LastIndex)
	for _, m := range nw.Pending {
		assert.NotEqual(t, uint64(1), m.From)
	}
	nw.CheckStateMachineSafety()
}

func TestRemovedNodeThatMissedItsRemovalDoesNotDisruptTheGroup(t *testing.T) {
	nw := rafttest.New(t, 4, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Isolate(4)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(remove(4))))
	nw.DeliverAll()
	require.True(t, raft.ConfState{Voters: []uint64{1, 2, 3}}.Equal(confOf(nw, 1)))
	assert.True(t, confOf(nw, 4).IsVoter(4), "4 did not hear of it")
	nw.Heal()
	term := nw.Nodes[1].Status().Term
	for range 100 {
		nw.Tick(4, 1)
		nw.Tick(1, 1)
		nw.Tick(2, 1)
		nw.Tick(3, 1)
		nw.DeliverAll()
	}
	assert.Equal(t, uint64(1), nw.Leader())
	assert.Equal(t, term, nw.Nodes[1].Status().Term, "PreVote and CheckQuorum keep 4 from raising the term")
}

func TestPromotedLearnerThatHasNotLearnedItStillVotes(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.Learners = []uint64{4} })
	startLearner(nw, 4, 1, 2, 3)
	nw.Elect(1)
	proposeN(t, nw, 1, 2)
	// 4 hears nothing of its promotion: 1, 2 and 3 are a majority of both
	// halves of the joint configuration and of the new one.
	nw.Cut(1, 4)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(4))))
	nw.DeliverAll()
	require.True(t, raft.ConfState{Voters: []uint64{1, 2, 3, 4}}.Equal(confOf(nw, 2)), "%v", confOf(nw, 2))
	require.False(t, confOf(nw, 4).IsVoter(4), "4 does not know it was promoted: %v", confOf(nw, 4))

	// 2 needs 3 votes of 4, so it needs 4's.
	nw.Crash(1)
	nw.Heal()
	nw.Nodes[2].Campaign()
	nw.ProcessAll()
	granted := false
	for !granted && len(nw.Pending) > 0 {
		m := nw.Pending[0]
		if m.Type == raft.RequestVoteResponse && m.From == 4 && !m.Reject {
			granted = true
		}
		nw.Deliver(0)
		nw.ProcessAll()
	}
	assert.True(t, granted, "the learner voted")
	nw.DeliverAll()
	assert.Equal(t, raft.Leader, nw.Nodes[2].Status().Role)
}

func TestLeaderIgnoresAnswersFromOutsideItsConfiguration(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	before := nw.Nodes[1].Status()
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.AppendEntriesResponse, From: 9, To: 1, Term: before.Term, Index: before.LastIndex}))
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.HeartbeatResponse, From: 9, To: 1, Term: before.Term}))
	after := nw.Nodes[1].Status()
	assert.Equal(t, before.Commit, after.Commit)
	assert.NotContains(t, after.Progress, uint64(9))
}

func TestRestartRecoversTheCommittedConfiguration(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Join(4, nil)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(4), remove(3))))
	nw.DeliverAll()
	want := raft.ConfState{Voters: []uint64{1, 2, 4}}
	for _, id := range []uint64{1, 2, 4} {
		nw.Crash(id)
		nw.Restart(id)
		assert.True(t, want.Equal(confOf(nw, id)), "node %d after restart: %v", id, confOf(nw, id))
	}
	nw.Elect(2)
	proposeN(t, nw, 2, 1)
	nw.CheckStateMachineSafety()
}

func TestJoinWithVotersIsABadConfig(t *testing.T) {
	_, err := raft.New(raft.Config{ID: 1, Storage: raft.NewMemoryStorage(), Voters: []uint64{1}, Join: true})
	require.ErrorIs(t, err, raft.ErrBadConfig)
	_, err = raft.New(raft.Config{ID: 1, Storage: raft.NewMemoryStorage()})
	require.ErrorIs(t, err, raft.ErrBadConfig, "no voters and no Join")
}

func TestConfStateEncodingRoundTripsAndRefusesGarbage(t *testing.T) {
	for _, cs := range []raft.ConfState{
		{Voters: []uint64{1}},
		{Voters: []uint64{1, 4, 5}, VotersOutgoing: []uint64{1, 2, 3}, Learners: []uint64{2, 9}, AutoLeave: true},
		{Voters: []uint64{1 << 60}, Learners: []uint64{7}},
	} {
		got, err := raft.DecodeConfState(raft.EncodeConfState(cs))
		require.NoError(t, err)
		assert.True(t, cs.Equal(got), "%v != %v", cs, got)
	}
	good := raft.EncodeConfState(raft.ConfState{Voters: []uint64{1, 2}})
	for name, b := range map[string][]byte{
		"empty":          nil,
		"version":        append([]byte{2}, good[1:]...),
		"flags":          append([]byte{1, 4}, good[2:]...),
		"trailing":       append(append([]byte{}, good...), 0),
		"truncated":      good[:len(good)-1],
		"no voters":      raft.EncodeConfState(raft.ConfState{Learners: []uint64{1}}),
		"unsorted":       raft.EncodeConfState(raft.ConfState{Voters: []uint64{2, 1}}),
		"duplicate":      raft.EncodeConfState(raft.ConfState{Voters: []uint64{1, 1}}),
		"zero":           raft.EncodeConfState(raft.ConfState{Voters: []uint64{0, 1}}),
		"voter learner":  raft.EncodeConfState(raft.ConfState{Voters: []uint64{1}, Learners: []uint64{1}}),
		"leave not join": raft.EncodeConfState(raft.ConfState{Voters: []uint64{1}, AutoLeave: true}),
		"huge count":     {1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		_, err := raft.DecodeConfState(b)
		require.ErrorIs(t, err, raft.ErrConfChangeInvalid, name)
	}
}

func TestMalformedConfigurationEntryIsRefusedByStep(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	before := nw.Nodes[2].Status()
	err := nw.Nodes[2].Step(raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 1,
		Entries: []raft.Entry{{Term: 1, Index: 1, Type: raft.EntryConfChange, Data: []byte{1, 0, 0}}}})
	require.ErrorIs(t, err, raft.ErrMalformedMessage)
	after := nw.Nodes[2].Status()
	assert.Equal(t, before.LastIndex, after.LastIndex)
	assert.Equal(t, before.Term, after.Term)
}

func TestSingleVoterGroupChangesAtOnce(t *testing.T) {
	nw := rafttest.New(t, 1, nil)
	nw.Elect(1)
	nw.Join(2, nil)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(2))))
	nw.DeliverAll()
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2}}.Equal(confOf(nw, 1)), "%v", confOf(nw, 1))
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2}}.Equal(confOf(nw, 2)), "%v", confOf(nw, 2))
}

func TestNewLeaderLeavesAJointConfigurationItInherits(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Join(4, nil)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(4))))
	require.NoError(t, nw.Nodes[1].Propose([]byte("after the change")))
	nw.ProcessAll()
	// 2 and 3 get the joint configuration and the entry after it; 1
	// crashes before it hears back.
	for i := 0; i < len(nw.Pending); {
		if m := nw.Pending[i]; m.From == 1 && (m.To == 2 || m.To == 3) {
			nw.Deliver(i)
			continue
		}
		i++
	}
	nw.Crash(1)
	nw.Pending = nil
	require.True(t, confOf(nw, 2).IsJoint(), "%v", confOf(nw, 2))
	nw.Elect(2)
	nw.DeliverAll()
	want := raft.ConfState{Voters: []uint64{1, 2, 3, 4}}
	for _, id := range []uint64{2, 3, 4} {
		assert.True(t, want.Equal(confOf(nw, id)), "node %d: %v", id, confOf(nw, id))
	}
	nw.CheckStateMachineSafety()
}

// replaceTwoVotersThenElectFromTheOldSide replaces voters 2 and 3 of
// {1,2,3} by 4 and 5. Node 3 receives the change but never hears that it
// is committed, then campaigns on the old configuration with 2's vote.
// It returns the state machine safety verdict.
func replaceTwoVotersThenElectFromTheOldSide(t *testing.T, bugs *plant.Bugs) error {
	withBugs := func(c *raft.Config) { c.Bugs = bugs }
	nw := rafttest.New(t, 3, withBugs)
	nw.Join(4, withBugs)
	nw.Join(5, withBugs)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addVoter(4), addVoter(5), remove(2), remove(3))))
	nw.ProcessAll()
	// 3 gets the entry of the change, then loses 1.
	for i := 0; i < len(nw.Pending); {
		if nw.Pending[i].To == 3 {
			nw.Deliver(i)
			continue
		}
		i++
	}
	nw.Cut(1, 3)
	nw.Cut(3, 1)
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.DeliverAll()
	nw.Nodes[3].Campaign()
	nw.DeliverAll()
	nw.TickAll(3)
	return nw.StateMachineSafety()
}

// TestJointPhaseKeepsTheOldSideFromElectingALeader is the counterexample
// the joint phase prevents. Without it, 1 puts {1,4,5} in effect once 1
// and 2 hold the change, and commits x with 4; 3, still on {1,2,3}, is
// elected by 2 and commits its own entry at x's index. With it, the joint
// configuration needs 4 or 5 as well, 1 leaves it in an entry 2 holds,
// and 2 refuses 3, whose log is behind.
func TestJointPhaseKeepsTheOldSideFromElectingALeader(t *testing.T) {
	require.NoError(t, replaceTwoVotersThenElectFromTheOldSide(t, nil))
	err := replaceTwoVotersThenElectFromTheOldSide(t, &plant.Bugs{SkipJointPhase: true})
	require.Error(t, err, "without the joint phase two leaders commit different entries")
	assert.Contains(t, err.Error(), "state machine safety")
}

func TestTransferToANodeTheCommitRemovesIsAbandoned(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Isolate(3)
	proposeN(t, nw, 1, 2)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(remove(3))))
	nw.ProcessAll()
	// The transfer starts while the removal is in flight; 3 is behind, so
	// no TimeoutNow yet.
	require.NoError(t, nw.Nodes[1].TransferLeadership(3))
	nw.DeliverAll()
	require.True(t, raft.ConfState{Voters: []uint64{1, 2}}.Equal(confOf(nw, 1)), "%v", confOf(nw, 1))
	assert.Equal(t, raft.None, nw.Nodes[1].Status().LeadTransferee)
	require.NoError(t, nw.Nodes[1].Propose([]byte("taken again")), "proposals are taken again at once")
}

func TestConfStateAfterIsTheConfigurationOutOfTheJointPhase(t *testing.T) {
	cs := raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}
	got, err := cs.After(change(addVoter(4), remove(3), addLearner(5)))
	require.NoError(t, err)
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2, 4}, Learners: []uint64{5}}.Equal(got), "%v", got)

	_, err = cs.After(change(remove(9)))
	require.ErrorIs(t, err, raft.ErrUnknownNode)
	require.ErrorIs(t, err, raft.ErrConfChangeInvalid)
	_, err = cs.After(change(remove(1), remove(2), remove(3)))
	require.ErrorIs(t, err, raft.ErrNoVoters)
	require.ErrorIs(t, err, raft.ErrConfChangeInvalid)
	joint := raft.ConfState{Voters: []uint64{1, 2}, VotersOutgoing: []uint64{1, 2, 3}}
	_, err = joint.After(change(addVoter(4)))
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight)
}

// A node that joined does not know the configuration before the entry that
// told it of the group, and says so rather than answer with no voters,
// which a snapshot would carry to others.
func TestJoinedNodeDoesNotKnowTheConfigurationBeforeItsAddition(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	proposeN(t, nw, 1, 5)
	nw.Join(4, nil)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(4))))
	nw.DeliverAll()
	added := nw.Nodes[4].Status().ConfIndex
	_, err := nw.Nodes[4].ConfStateAt(added - 1)
	require.ErrorIs(t, err, raft.ErrConfUnknown)
	cs, err := nw.Nodes[4].ConfStateAt(added)
	require.NoError(t, err)
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}.Equal(cs), "%v", cs)
	leaders, err := nw.Nodes[1].ConfStateAt(added - 1)
	require.NoError(t, err)
	assert.True(t, raft.ConfState{Voters: []uint64{1, 2, 3}}.Equal(leaders), "%v", leaders)
}

// After a restart from a snapshot whose log keeps entries below it, the
// configuration below the snapshot is not guessed from the snapshot's.
func TestConfStateAtBelowTheSnapshotAfterRestart(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	proposeN(t, nw, 1, 3)
	require.NoError(t, nw.Nodes[1].ProposeConfChange(change(addLearner(4))))
	nw.DeliverAll()
	at := nw.Nodes[2].Status().ConfIndex
	proposeN(t, nw, 1, 3)
	nd := nw.Nodes[2]
	s := nd.Status().Applied
	cs, err := nd.ConfStateAt(s)
	require.NoError(t, err)
	_, err = nd.Storage.CreateSnapshot(s, cs, []byte("snap"))
	require.NoError(t, err)
	require.NoError(t, nd.Storage.Compact(at-2))
	nw.Crash(2)
	nw.Restart(2)
	nd = nw.Nodes[2]
	_, err = nd.ConfStateAt(at - 1)
	require.ErrorIs(t, err, raft.ErrCompacted, "before the kept configuration entry, nothing is known")
	got, err := nd.ConfStateAt(at)
	require.NoError(t, err)
	assert.True(t, cs.Equal(got), "%v", got)
	assert.True(t, cs.Equal(nd.Status().ConfState))
}

func TestBadBootstrapConfigurationIsABadConfig(t *testing.T) {
	for name, c := range map[string]raft.Config{
		"duplicate voter":   {Voters: []uint64{1, 2, 2}},
		"voter and learner": {Voters: []uint64{1, 2, 3}, Learners: []uint64{3}},
		"zero voter":        {Voters: []uint64{0, 1, 2}},
		"learners only":     {Learners: []uint64{1}},
	} {
		c.ID, c.Storage = 1, raft.NewMemoryStorage()
		_, err := raft.New(c)
		require.ErrorIs(t, err, raft.ErrBadConfig, name)
	}
	_, err := raft.New(raft.Config{ID: 1, Storage: raft.NewMemoryStorage(), Voters: []uint64{3, 1, 2}})
	require.NoError(t, err, "order does not matter")
}
