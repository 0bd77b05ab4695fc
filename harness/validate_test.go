package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/spec"
)

// noMembership is every fault kind but membership changes, whose strangers
// and fresh nodes past the spec's servers stop validation early.
var noMembership = []string{FaultPartition, FaultCrash, FaultPause, FaultLoss, FaultDuplicate, FaultReorder, FaultDrift, FaultTransfer}

func TestEveryRunValidatesItsTraceUnlessTurnedOff(t *testing.T) {
	res := Run(Config{Seed: 1, Faults: noMembership})
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.True(t, res.Validated)
	assert.Greater(t, res.TraceEvents, 1000, "a run of 30 s has thousands of core events")

	res = Run(Config{Seed: 1, Faults: noMembership, SkipValidation: true})
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.False(t, res.Validated)
	assert.Zero(t, res.TraceEvents)
}

func TestValidationRefusesAClusterLargerThanTheSpecHolds(t *testing.T) {
	res := Run(Config{Seed: 1, Nodes: 7})
	require.True(t, res.Failed())
	assert.Equal(t, "trace-validation", res.Violations[0].Kind)
	assert.Contains(t, res.Violations[0].Message, "7 servers, the validator holds 1..5")
	assert.False(t, res.Validated)
}

// TestPlantedImplementationBugFailsValidation plants bugs in the core and
// checks that the trace validator, not a later check, catches them, at the
// event where the implementation left the spec, naming the variable.
func TestPlantedImplementationBugFailsValidation(t *testing.T) {
	tests := []struct {
		name   string
		bugs   plant.Bugs
		faults []string
		want   []string
	}{
		{"forgotten vote", plant.Bugs{ForgetVoteOnRestart: true}, []string{FaultCrash},
			[]string{"(Restart, node s", "votedFor: spec s", "implementation Nil"}},
		{"vote without the log check", plant.Bugs{GrantVoteWithoutLogCheck: true}, []string{FaultCrash, FaultPartition},
			[]string{"(HandleRequestVoteRequest, node s", "votedFor: spec "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 40; seed++ {
				res := Run(Config{Seed: seed, Bugs: &tt.bugs, Faults: tt.faults})
				if !res.Failed() {
					continue
				}
				v := res.Violations[0]
				require.Equal(t, "trace-validation", v.Kind, "seed %d: %v", seed, v)
				for _, w := range tt.want {
					assert.Contains(t, v.Message, w)
				}
				assert.False(t, res.Validated)
				t.Logf("seed %d: %s", seed, v.Message)
				return
			}
			t.Fatal("the planted bug survived 40 seeds")
		})
	}
}

// TestValidationStopsWithoutFailingPastTheSpecsNumbers is the edge of
// spec.MaxNum: a run whose terms or indexes outgrow the spec's State is
// validated up to there, and does not fail for it.
func TestValidationStopsWithoutFailingPastTheSpecsNumbers(t *testing.T) {
	tv, err := newTraceValidator(3)
	require.NoError(t, err)
	at := func(last uint64) raft.TraceEvent {
		return raft.TraceEvent{Name: "Restart", Node: 1, State: raft.TraceState{State: "Follower", LastIndex: last}}
	}
	err = tv.step(at(spec.MaxNum))
	require.Error(t, err, "an index of MaxNum reaches the spec, whose empty log differs")
	assert.Contains(t, err.Error(), "log (last index): spec 0, implementation 65535")

	tv, err = newTraceValidator(3)
	require.NoError(t, err)
	require.NoError(t, tv.step(at(spec.MaxNum+1)))
	assert.Contains(t, tv.stopped, "is past 65535, the largest the spec's State holds")
	assert.NoError(t, tv.err)
}
