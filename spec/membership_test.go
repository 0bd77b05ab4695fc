package spec

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// membershipConfig is the model of tla/MCRaftMembership.cfg.
func membershipConfig(t *testing.T) Config {
	t.Helper()
	raw, err := os.ReadFile("../tla/MCRaftMembership.cfg")
	require.NoError(t, err)
	c, err := ParseTLCConfig(string(raw))
	require.NoError(t, err)
	require.Equal(t, Config{Servers: 3, InitServers: 1, Membership: true, MaxTerm: 2, MaxLogLen: 3,
		MaxMessages: 1, ElectionTimeout: 2}, c)
	return c
}

func TestMembershipModelSatisfiesEveryInvariant(t *testing.T) {
	c := membershipConfig(t)
	res := New(c).Check(Options{})
	if res.Violation != nil {
		t.Fatalf("unexpected violation:\n%s", res.Violation.Format(c.Servers))
	}
	assert.True(t, res.Complete)
	assert.Equal(t, 667309, res.Distinct, "distinct states")
	t.Logf("%d distinct states, depth %d, %v", res.Distinct, res.Depth, res.Elapsed)
}

// The model reaches what it is for: a configuration entry committed by a
// leader that then removed itself and stepped down, and a learner
// promoted to voter.
func TestMembershipModelReachesRemovalsAndPromotions(t *testing.T) {
	sp := New(membershipConfig(t))
	var removed, promoted bool
	sp.Invariants = []Invariant{{"Probe", func(sp *Spec, s *State) bool {
		for i := range sp.n() {
			cfg := sp.Configuration(s, i)
			if s.State[i] == Follower && s.ConfIndex(i) > 0 && s.ConfIndex(i) <= int(s.CommitIndex[i]) &&
				!cfg.AllVoters().Has(i) && s.CurrentTerm[i] == 1 && s.Log[i].At(1).Term == 1 && i == 0 {
				removed = true
			}
			for idx := 1; idx < s.Log[i].Len(); idx++ {
				a, b := s.Log[i].At(idx).Conf, s.Log[i].At(idx+1).Conf
				if a.Learners != 0 && b.Voters&a.Learners != 0 {
					promoted = true
				}
			}
		}
		return true
	}}}
	sp.Check(Options{})
	assert.True(t, removed, "no leader removed itself and stepped down")
	assert.True(t, promoted, "no learner was promoted")
}

// changeConfWithoutJointPhase is ChangeConf applying every change
// directly, without the joint configuration.
func changeConfWithoutJointPhase(sp *Spec, s *State, i int, voters, learners Set, t *State) bool {
	if !sp.ConfChangeAllowed(s, i) || voters == 0 || voters&learners != 0 {
		return false
	}
	cur := sp.Configuration(s, i)
	if voters == cur.Voters && learners == cur.Learners {
		return false
	}
	*t = *s
	t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i], Conf: Configuration{Voters: voters, Learners: learners}}) // BUG: no joint phase
	return true
}

func TestChangingTwoVotersWithoutTheJointPhaseBreaksCommittedIsDurable(t *testing.T) {
	sp := New(membershipConfig(t))
	sp.ReplaceAction("ChangeConf", ConfAction("", changeConfWithoutJointPhase))
	v := requireCounterexample(t, sp, "CommittedIsDurable")
	last := v.Trace[len(v.Trace)-1].State
	// The change that broke it added two voters at once to s1 alone.
	var grew bool
	for i := range sp.n() {
		if c := sp.Configuration(&last, i); c.Voters.Count() >= 3 && !c.IsJoint() {
			grew = true
		}
	}
	assert.True(t, grew, "the counterexample adds two voters in one step")
}

func TestRemovedLeaderThatStaysBreaksLeaderIsVoter(t *testing.T) {
	sp := New(membershipConfig(t))
	sp.ReplaceAction("AdvanceCommitIndex", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		if s.State[i] != Leader {
			return false
		}
		best := 0
		for idx := int(s.CommitIndex[i]) + 1; idx <= s.LastIndex(i); idx++ {
			if sp.IsQuorum(s, i, sp.Agree(s, i, idx)) && s.Log[i].At(idx).Term == s.CurrentTerm[i] {
				best = idx
			}
		}
		if best == 0 {
			return false
		}
		*t = *s
		t.CommitIndex[i] = Num(best) // BUG: a leader outside its committed configuration stays
		return true
	}))
	requireCounterexample(t, sp, "LeaderIsVoter")
}

// A leader proposing a second change before the first is committed breaks
// safety too: the one-change-at-a-time rule is load-bearing.
func TestASecondChangeInFlightBreaksCommittedIsDurable(t *testing.T) {
	sp := New(membershipConfig(t))
	sp.ReplaceAction("ChangeConf", ConfAction("", func(sp *Spec, s *State, i int, voters, learners Set, t *State) bool {
		if !sp.Config.Membership || s.State[i] != Leader || !s.CommittedInTerm(i) || voters == 0 || voters&learners != 0 {
			return false // BUG: no check that the configuration entry is committed, nor that it is not joint
		}
		cur := sp.Configuration(s, i)
		if voters == cur.Voters && learners == cur.Learners {
			return false
		}
		next := Configuration{Voters: voters, Learners: learners}
		if voters != cur.Voters {
			next.Outgoing, next.AutoLeave = cur.Voters, true
		}
		*t = *s
		t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i], Conf: next})
		return true
	}))
	requireCounterexample(t, sp, "CommittedIsDurable")
}
