package kv

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// join starts node id with no membership (raft.Config.Join), as a new
// server is started before it is added.
func (g *group) join(id uint64) {
	g.t.Helper()
	g.stores[id] = node.NewMemoryStorage()
	cfg := Config{Node: node.Config{
		Raft:    raft.Config{ID: id, Join: true, ElectionTicks: 10, HeartbeatTicks: 1},
		Storage: g.stores[id], Transport: memTransport{net: g.net},
	}}
	if g.cfg != nil {
		g.cfg(&cfg)
	}
	svc, err := NewService(cfg)
	require.NoError(g.t, err)
	g.svcs[id] = svc
	g.ids = append(g.ids, id)
}

// tickAll ticks every node once and settles, n times.
func (g *group) tickAll(n int) {
	g.t.Helper()
	for range n {
		for _, id := range g.ids {
			require.NoError(g.t, g.node(id).Tick())
		}
		g.settle()
	}
}

// changeAnswer is what a change's done callback received.
type changeAnswer struct {
	cs     raft.ConfState
	err    error
	called int
}

func (a *changeAnswer) done(cs raft.ConfState, err error) { a.cs, a.err = cs, err; a.called++ }

// change starts changes on id, with the extra check of an admin call
// (nil for ChangeMembership), and settles. A refusal is returned.
func (g *group) change(id uint64, extra func(raft.ConfState) error, changes ...raft.ConfChangeSingle) (*changeAnswer, error) {
	g.t.Helper()
	a := &changeAnswer{}
	if _, err := g.svcs[id].startChange(changes, extra, a.done); err != nil {
		return nil, err
	}
	g.settle()
	return a, nil
}

func one(t raft.ConfChangeType, id uint64) raft.ConfChangeSingle {
	return raft.ConfChangeSingle{Type: t, NodeID: id}
}

func TestNewNodeJoinsAsALearnerCatchesUpAndIsPromotedToAVoterThatCounts(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	s := NewSession(5)
	require.NoError(t, g.run(1, s.Next(Put("k", "v"))).err)
	g.join(4)

	a, err := g.change(1, newLearner(4), one(raft.AddLearner, 4))
	require.NoError(t, err)
	require.Equal(t, 1, a.called)
	require.NoError(t, a.err)
	assert.Equal(t, raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}, a.cs)
	v, _ := g.svcs[4].Store().Lookup("k")
	assert.Equal(t, "v", v, "the learner received the log")

	a, err = g.change(1, isLearner(4), one(raft.AddVoter, 4))
	require.NoError(t, err)
	require.Equal(t, 1, a.called)
	require.NoError(t, a.err)
	assert.Equal(t, raft.ConfState{Voters: []uint64{1, 2, 3, 4}}, a.cs, "in effect, out of the joint phase")
	assert.Equal(t, a.cs, g.node(4).Membership().ConfState, "the new voter knows it")

	// With 2 and 3 cut off, 1 and 4 are two of four: no quorum. With only
	// 2 cut off, 4's vote makes the third of four.
	g.net.cut[2] = true
	require.NoError(t, g.run(1, s.Next(Put("k", "w"))).err, "commits with 1, 3 and 4")
	g.net.cut[3] = true
	pa := &answer{}
	_, err = g.svcs[1].Start(s.Next(Put("k", "x")), pa.done)
	require.NoError(t, err)
	g.settle()
	assert.Equal(t, 0, pa.called, "1 and 4 alone are no quorum of four")
}

func TestPromotingALearnerIsRefusedWhileItLagsPastTheLimit(t *testing.T) {
	const lagMax = 5
	g := newGroup(t, 3, func(c *Config) { c.PromoteLagEntriesMax = lagMax })
	g.elect(1)
	g.join(4)
	_, err := g.change(1, newLearner(4), one(raft.AddLearner, 4))
	require.NoError(t, err)
	g.net.cut[4] = true
	s := NewSession(5)
	for range lagMax + 1 {
		require.NoError(t, g.run(1, s.Next(Append("k", "x"))).err)
	}
	last := g.node(1).BasicStatus().LastIndex
	_, err = g.change(1, isLearner(4), one(raft.AddVoter, 4))
	require.ErrorIs(t, err, ErrNotCaughtUp)
	assert.Contains(t, err.Error(), "limit 5")
	assert.Equal(t, last, g.node(1).BasicStatus().LastIndex, "nothing proposed")
	// ChangeMembership's AddVoter of a learner is a promotion too.
	_, err = g.change(1, nil, one(raft.AddVoter, 4))
	require.ErrorIs(t, err, ErrNotCaughtUp)

	g.net.cut[4] = false
	g.tickAll(1) // a heartbeat finds the learner behind; it catches up
	a, err := g.change(1, isLearner(4), one(raft.AddVoter, 4))
	require.NoError(t, err)
	require.NoError(t, a.err)
	assert.Equal(t, []uint64{1, 2, 3, 4}, a.cs.Voters)
}

func TestLearnerLagOfExactlyTheLimitIsCaughtUpAndOneMoreIsNot(t *testing.T) {
	m := node.Membership{Commit: 100, Match: map[uint64]uint64{4: 95, 5: 94}}
	assert.NoError(t, caughtUp(m, 4, 5))
	assert.ErrorIs(t, caughtUp(m, 5, 5), ErrNotCaughtUp)
	assert.ErrorIs(t, caughtUp(m, 6, 5), ErrNotCaughtUp, "a member the leader tracks no progress for has nothing")
	assert.NoError(t, caughtUp(node.Membership{Commit: 3}, 6, 5), "a log shorter than the limit")
}

func TestAdminRefusalsAreClassifiedAndChangeNothing(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	g.join(4)
	_, err := g.change(1, newLearner(4), one(raft.AddLearner, 4))
	require.NoError(t, err)
	conf := g.node(1).Membership().ConfState
	last := g.node(1).BasicStatus().LastIndex

	cases := []struct {
		name    string
		extra   func(raft.ConfState) error
		changes []raft.ConfChangeSingle
		want    []error
	}{
		{"remove an unknown node", nil, []raft.ConfChangeSingle{one(raft.RemoveNode, 7)}, []error{ErrUnknownNode, raft.ErrConfChangeInvalid}},
		{"promote an unknown node", isLearner(7), []raft.ConfChangeSingle{one(raft.AddVoter, 7)}, []error{ErrUnknownNode, raft.ErrConfChangeInvalid}},
		{"demote an unknown node", isVoter(7), []raft.ConfChangeSingle{one(raft.AddLearner, 7)}, []error{ErrUnknownNode, raft.ErrConfChangeInvalid}},
		{"promote a voter", isLearner(2), []raft.ConfChangeSingle{one(raft.AddVoter, 2)}, []error{raft.ErrConfChangeInvalid}},
		{"demote a learner", isVoter(4), []raft.ConfChangeSingle{one(raft.AddLearner, 4)}, []error{raft.ErrConfChangeInvalid}},
		{"add a voter as a learner", newLearner(2), []raft.ConfChangeSingle{one(raft.AddLearner, 2)}, []error{raft.ErrConfChangeInvalid}},
		{"add a voter twice", nil, []raft.ConfChangeSingle{one(raft.AddVoter, 2)}, []error{raft.ErrConfChangeInvalid}},
		{"add a learner twice", nil, []raft.ConfChangeSingle{one(raft.AddLearner, 4)}, []error{raft.ErrConfChangeInvalid}},
		{"node ID 0", nil, []raft.ConfChangeSingle{one(raft.AddLearner, 0)}, []error{raft.ErrConfChangeInvalid}},
		{"one node twice", nil, []raft.ConfChangeSingle{one(raft.AddLearner, 5), one(raft.RemoveNode, 5)}, []error{raft.ErrConfChangeInvalid}},
		{"no changes", nil, nil, []error{raft.ErrConfChangeInvalid}},
		{"unknown type", nil, []raft.ConfChangeSingle{one(99, 5)}, []error{raft.ErrConfChangeInvalid}},
		{"remove every voter", nil, []raft.ConfChangeSingle{one(raft.RemoveNode, 1), one(raft.RemoveNode, 2), one(raft.RemoveNode, 3)},
			[]error{ErrNoVoters, raft.ErrConfChangeInvalid}},
		{"demote every voter", nil, []raft.ConfChangeSingle{one(raft.AddLearner, 1), one(raft.AddLearner, 2), one(raft.AddLearner, 3)},
			[]error{ErrNoVoters, raft.ErrConfChangeInvalid}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := g.change(1, c.extra, c.changes...)
			require.Error(t, err)
			for _, want := range c.want {
				assert.ErrorIs(t, err, want)
			}
			if len(c.want) == 1 {
				assert.NotErrorIs(t, err, ErrUnknownNode)
				assert.NotErrorIs(t, err, ErrNoVoters)
			}
			assert.Equal(t, conf, g.node(1).Membership().ConfState)
			assert.Equal(t, last, g.node(1).BasicStatus().LastIndex, "nothing proposed")
		})
	}

	_, err = g.change(2, nil, one(raft.RemoveNode, 3))
	var nle *raft.NotLeaderError
	require.ErrorAs(t, err, &nle, "a follower refuses")
	assert.Equal(t, uint64(1), nle.Leader, "and names the leader")
}

func TestChangeWhileAnotherIsInFlightIsRefused(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	// Uncommitted: the first change's entry has not reached anyone.
	a := &changeAnswer{}
	_, err := g.svcs[1].StartChange([]raft.ConfChangeSingle{one(raft.AddLearner, 4)}, a.done)
	require.NoError(t, err)
	_, err = g.svcs[1].StartChange([]raft.ConfChangeSingle{one(raft.AddLearner, 5)}, a.done)
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight)
	g.settle()
	require.Equal(t, 1, a.called)
	require.NoError(t, a.err)

	// Joint: a change that asked to leave explicitly keeps the group joint.
	require.NoError(t, g.node(1).ProposeConfChange(raft.ConfChange{Changes: []raft.ConfChangeSingle{one(raft.RemoveNode, 3)}, ExplicitLeave: true}))
	g.settle()
	require.True(t, g.node(1).Membership().ConfState.IsJoint())
	_, err = g.change(1, nil, one(raft.RemoveNode, 4))
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight)
}

func TestChangeDuringALeadershipTransferIsRefused(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	g.net.cut[2] = true
	require.NoError(t, g.svcs[1].TransferLeadership(2))
	_, err := g.change(1, nil, one(raft.AddLearner, 4))
	require.ErrorIs(t, err, raft.ErrTransferInProgress)
}

func TestRemovedLeaderStepsDownAndTheOthersElectOneAndServe(t *testing.T) {
	g := newGroup(t, 3, func(c *Config) {
		c.Node.Raft.CheckQuorum = true
		c.Node.Raft.PreVote = true
	})
	g.elect(1)
	a, err := g.change(1, nil, one(raft.RemoveNode, 1))
	require.NoError(t, err)
	require.Equal(t, 1, a.called)
	require.NoError(t, a.err, "the change took effect as the leader stepped down")
	assert.Equal(t, raft.ConfState{Voters: []uint64{2, 3}}, a.cs)
	assert.NotEqual(t, raft.Leader, g.node(1).BasicStatus().Role)

	var lead uint64
	for range 50 {
		g.tickAll(1)
		if st := g.node(2).BasicStatus(); st.Role == raft.Leader {
			lead = 2
		} else if st := g.node(3).BasicStatus(); st.Role == raft.Leader {
			lead = 3
		}
		if lead != 0 {
			break
		}
	}
	require.NotZero(t, lead, "2 or 3 leads")
	require.NoError(t, g.run(lead, NewSession(5).Next(Put("k", "v"))).err)
	g.tickAll(30)
	assert.NotEqual(t, raft.Leader, g.node(1).BasicStatus().Role, "the removed node never leads again")
	assert.Equal(t, lead, g.node(lead).BasicStatus().Lead, "and does not disrupt the new leader")
}

func TestChangeOfALeaderThatStepsDownIsAnsweredUnknownNamingTheNewLeader(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	g.net.cut[1] = true
	a, err := g.change(1, nil, one(raft.AddLearner, 4))
	require.NoError(t, err)
	require.Equal(t, 0, a.called, "cut off, the change cannot commit")
	g.elect(2)
	g.net.cut[1] = false
	require.NoError(t, g.node(2).Tick())
	g.settle()
	require.Equal(t, 1, a.called)
	require.ErrorIs(t, a.err, ErrOutcomeUnknown)
	var nle *raft.NotLeaderError
	require.ErrorAs(t, a.err, &nle)
	assert.Equal(t, uint64(2), nle.Leader)
	assert.Empty(t, g.svcs[1].changes)
}

func TestCancelledChangeIsNotAnsweredButTakesEffect(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	cw, err := g.svcs[1].StartChange([]raft.ConfChangeSingle{one(raft.AddLearner, 4)}, func(raft.ConfState, error) {
		t.Fatal("a cancelled change is not answered")
	})
	require.NoError(t, err)
	cw.Cancel()
	cw.Cancel()
	g.settle()
	assert.Equal(t, []uint64{4}, g.node(1).Membership().ConfState.Learners)
}

func TestAdminCallsOnARunningNodeWaitForTheChangeOrSayItIsNotInEffect(t *testing.T) {
	svc, err := NewService(Config{Node: node.Config{
		Raft: raft.Config{ID: 1, Voters: []uint64{1}}, Storage: node.NewMemoryStorage(),
		Transport: memTransport{net: &memNet{}},
	}, PromoteLagEntriesMax: 1})
	require.NoError(t, err)
	clock := make(manualClock)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- svc.Node().Run(ctx, clock) }()
	require.NoError(t, svc.Node().Submit(ctx, func(n *node.Node) { _ = n.Campaign() }))
	_, err = svc.Do(ctx, NewSession(5).Next(Put("k", "v")))
	require.NoError(t, err)

	// A learner never contacted counts for no quorum: adding it commits.
	cs, err := svc.AddLearner(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, raft.ConfState{Voters: []uint64{1}, Learners: []uint64{2}}, cs)
	m, err := svc.Membership(ctx)
	require.NoError(t, err)
	assert.Equal(t, cs, m.ConfState)
	assert.Equal(t, uint64(0), m.Match[2])

	_, err = svc.Promote(ctx, 2)
	require.ErrorIs(t, err, ErrNotCaughtUp)
	_, err = svc.Demote(ctx, 2)
	require.ErrorIs(t, err, raft.ErrConfChangeInvalid)
	_, err = svc.RemoveNode(ctx, 9)
	require.ErrorIs(t, err, ErrUnknownNode)
	_, err = svc.Demote(ctx, 1)
	require.ErrorIs(t, err, ErrNoVoters)

	// A new voter that never answers keeps the joint configuration from
	// committing: the wait ends with the deadline, and says so.
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	_, err = svc.AddVoter(short, 3)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = svc.RemoveNode(ctx, 2)
	require.ErrorIs(t, err, raft.ErrConfChangeInFlight, "the change is still in flight")

	cancel()
	assert.ErrorIs(t, <-ran, context.Canceled)
	_, err = svc.RemoveNode(context.Background(), 2)
	assert.ErrorIs(t, err, node.ErrStopped)
	_, err = svc.Membership(context.Background())
	assert.ErrorIs(t, err, node.ErrStopped)
}

func TestChangeSeenAfterATermChangeHasAnUnknownOutcome(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	a := &changeAnswer{}
	cw, err := g.svcs[1].StartChange([]raft.ConfChangeSingle{one(raft.AddLearner, 4)}, a.done)
	require.NoError(t, err)
	require.Equal(t, g.node(1).Membership().Term, cw.w.term, "the proposing term is recorded")
	// As if proposed in an earlier term of this node: the configuration
	// now in effect may be another leader's that looks the same.
	cw.w.term--
	g.settle()
	require.Equal(t, 1, a.called)
	assert.ErrorIs(t, a.err, ErrOutcomeUnknown)
	assert.Equal(t, []uint64{4}, g.node(1).Membership().ConfState.Learners, "it looked committed")
}
