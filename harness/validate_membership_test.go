package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
)

// membershipSchedule has operators add a learner, promote it, remove the
// leader, add and promote another, then demote a voter, one after the
// other, leaving every joint configuration automatically: two fresh nodes,
// so a group of three fits the spec's five servers, and never below the
// nemesis's three voters.
func membershipSchedule() *Schedule {
	var evs []Event
	for k, change := range []string{ChangeAddLearner, ChangePromote, ChangeRemoveLeader, ChangePromote, ChangeDemote} {
		evs = append(evs, Event{At: time.Duration(1+4*k) * time.Second, Duration: 3 * time.Second, Kind: FaultMembership, Change: change})
	}
	return &Schedule{Events: evs}
}

// runCounting runs cfg and counts the core's events by name.
func runCounting(t *testing.T, cfg Config) (*sim, map[string]int) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	require.NoError(t, err)
	s := newSim(cfg, *cfg.Schedule)
	counts := map[string]int{}
	check := s.trace.check
	s.trace.check = func(ev raft.TraceEvent) {
		counts[ev.Name]++
		check(ev)
	}
	s.loop()
	return s, counts
}

func TestMembershipChangesValidateWhole(t *testing.T) {
	whole, changes := 0, 0
	for seed := uint64(1); seed <= 3; seed++ {
		s, counts := runCounting(t, Config{Seed: seed, Nodes: 3, Schedule: membershipSchedule()})
		require.Empty(t, s.violations, "seed %d", seed)
		validated, events := s.validated()
		require.True(t, validated, "seed %d: stopped: %s", seed, s.validator.stopped)
		// counts misses the bootstrap nodes' first events, traced before
		// runCounting wraps the check.
		assert.GreaterOrEqual(t, events, sumCounts(counts), "seed %d", seed)
		assert.Equal(t, 5, s.members.counts[countCompleted], "seed %d: every change completed", seed)
		whole++
		changes += counts["ChangeConf"] + counts["LeaveJoint"]
		t.Logf("seed %d: %d events validated, %d ChangeConf, %d LeaveJoint, %d changes completed",
			seed, events, counts["ChangeConf"], counts["LeaveJoint"], s.members.counts[countCompleted])
	}
	assert.Equal(t, 3, whole)
	assert.GreaterOrEqual(t, changes, 3*(5+4), "five changes a run, four of them through a joint phase")
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// TestMembershipNemesisRunsValidate runs the membership nemesis as
// raftsim does: none fails validation, and some validate whole.
func TestMembershipNemesisRunsValidate(t *testing.T) {
	whole := 0
	for seed := uint64(1); seed <= 25; seed++ {
		res := Run(Config{Seed: seed, Nodes: 3, Faults: []string{FaultMembership}})
		require.False(t, res.Failed(), "seed %d: %v", seed, res.Violations)
		assert.Positive(t, res.TraceEvents)
		if res.Validated {
			whole++
		}
	}
	t.Logf("%d of 25 runs validated whole", whole)
	assert.Positive(t, whole)
}

func TestPlantedMembershipBugsFailValidation(t *testing.T) {
	tests := []struct {
		name string
		bugs plant.Bugs
		want []string
	}{
		// The change of voters goes in effect at once, where the spec
		// enters the joint configuration.
		{"skip joint phase", plant.Bugs{SkipJointPhase: true},
			[]string{"(ChangeConf, node s", "configuration: spec {{s1, s2, s3, s4} {s1, s2, s3} {} true}, implementation {{s1, s2, s3, s4} {} {} false}"}},
		// The removed leader stays leader once its removal commits, where
		// the spec steps down.
		{"keep removed leader", plant.Bugs{KeepRemovedLeader: true},
			[]string{"state: spec Follower, implementation Leader"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				res := Run(Config{Seed: seed, Nodes: 3, Schedule: membershipSchedule(), Bugs: &tt.bugs})
				if !res.Failed() {
					continue
				}
				v := res.Violations[0]
				require.Equal(t, "trace-validation", v.Kind, "seed %d: %v", seed, v)
				for _, w := range tt.want {
					assert.Contains(t, v.Message, w)
				}
				t.Logf("seed %d: %s", seed, v.Message)
				return
			}
			t.Fatal("the planted bug survived 5 seeds")
		})
	}
}

func TestValidationStopsWithoutFailingAtAStranger(t *testing.T) {
	tv, err := newTraceValidator(3)
	require.NoError(t, err)
	tv.nodeStarting(4, false)
	assert.Empty(t, tv.stopped, "a fresh node joins the spec")
	tv.nodeStarting(5, true)
	assert.Contains(t, tv.stopped, "node 5 started at trace event 0 as a stranger")
	assert.NoError(t, tv.err)
}

// TestExplicitLeaveValidates: a joint change left by an explicit empty
// change is the spec's automatic one, left later.
func TestExplicitLeaveValidates(t *testing.T) {
	sched := membershipSchedule()
	for k := range sched.Events {
		sched.Events[k].Explicit = true
	}
	s, counts := runCounting(t, Config{Seed: 1, Nodes: 3, Schedule: sched})
	require.Empty(t, s.violations)
	validated, _ := s.validated()
	require.True(t, validated, "stopped: %s", s.validator.stopped)
	assert.Positive(t, counts["LeaveJoint"])
	assert.Positive(t, s.members.counts[countCompleted])
}

// TestValidationStopsWithoutFailingPastTheSpecsServers is the edge of
// spec.MaxServers: nodes 4 and 5 join a group of three in the spec's last
// two slots; node 6 has none.
func TestValidationStopsWithoutFailingPastTheSpecsServers(t *testing.T) {
	tv, err := newTraceValidator(3)
	require.NoError(t, err)
	restart := func(id uint64) raft.TraceEvent {
		return raft.TraceEvent{Name: "Restart", Node: id, State: raft.TraceState{State: "Follower"}}
	}
	for id := uint64(4); id <= 5; id++ {
		require.NoError(t, tv.step(restart(id)))
		require.Empty(t, tv.stopped)
		assert.Equal(t, int8(id-1), tv.slots[id])
	}
	require.NoError(t, tv.step(restart(6)))
	assert.Contains(t, tv.stopped, "node 6 would be the spec's server 6")
	assert.NoError(t, tv.err)
	assert.Equal(t, 2, tv.v.Events())
}
