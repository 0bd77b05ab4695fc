package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
)

// findPlanted runs seeds 1..seeds with bugs planted until one fails with a
// violation of one of kinds, and checks that the same seed passes without
// the plant.
func findPlanted(t *testing.T, bugs *plant.Bugs, faults []string, seeds uint64, kinds ...string) {
	t.Helper()
	for seed := uint64(1); seed <= seeds; seed++ {
		cfg := Config{Seed: seed, Faults: faults, Bugs: bugs}
		res := Run(cfg)
		if !res.Failed() {
			continue
		}
		require.Contains(t, kinds, res.Violations[0].Kind, "seed %d: %v", seed, res.Violations)
		t.Logf("seed %d: %v", seed, res.Violations[0])
		cfg.Bugs = nil
		clean := Run(cfg)
		require.False(t, clean.Failed(), "seed %d fails without the plant: %v", seed, clean.Violations)
		assert.Positive(t, clean.Membership[countCompleted])
		return
	}
	t.Fatalf("the planted bug survived %d seeds", seeds)
}

func TestPlantedSkipJointPhaseIsFoundWhenTwoVotersChangeAtOnce(t *testing.T) {
	// Only a change of two or more voters at once can have a majority of
	// the old voters and one of the new that do not meet; a single removal
	// without a joint phase is flagged as joint-consensus, not this.
	findPlanted(t, &plant.Bugs{SkipJointPhase: true}, []string{FaultMembership, FaultPartition, FaultCrash, FaultLoss}, 60,
		"quorum-overlap", "joint-consensus")
	for seed := uint64(1); seed <= 60; seed++ {
		res := Run(Config{Seed: seed, Faults: []string{FaultMembership, FaultPartition, FaultCrash, FaultLoss},
			Bugs: &plant.Bugs{SkipJointPhase: true}})
		if res.Failed() && res.Violations[0].Kind == "quorum-overlap" {
			t.Logf("seed %d: %v", seed, res.Violations[0])
			return
		}
	}
	t.Fatal("no change of two voters without a joint phase in 60 seeds")
}

func TestPlantedSecondConfChangeIsFound(t *testing.T) {
	findPlanted(t, &plant.Bugs{AllowSecondConfChange: true}, []string{FaultMembership, FaultPartition, FaultCrash, FaultLoss}, 40,
		"joint-consensus", "quorum-overlap")
}

func TestPlantedKeepRemovedLeaderIsFound(t *testing.T) {
	findPlanted(t, &plant.Bugs{KeepRemovedLeader: true}, []string{FaultMembership, FaultTransfer, FaultPartition}, 40, "leader-is-voter")
}

func TestMembershipAndTransfersMixWithEveryFault(t *testing.T) {
	total := map[string]int{}
	for seed := uint64(1); seed <= 12; seed++ {
		res := Run(Config{Seed: seed})
		require.False(t, res.Failed(), "seed %d: %v", seed, res.Violations)
		for k, v := range res.Membership {
			total[k] += v
		}
	}
	t.Log(total)
	for _, k := range []string{countProposed, countCompleted, countFresh, countTransfer, countTransferDone} {
		assert.Positive(t, total[k], k)
	}
}

// A schedule that replaces the leader and two others, removes the new
// leader and leaves clients to find the leader among the new members.
func TestClusterIsReplacedWholeAndStaysLinearizable(t *testing.T) {
	sched := Schedule{Events: []Event{
		{At: 1 * time.Second, Duration: 6 * time.Second, Kind: FaultMembership, Change: ChangeReplaceLeader, Count: 2},
		{At: 8 * time.Second, Duration: 6 * time.Second, Kind: FaultMembership, Change: ChangeReplace, Count: 2, Explicit: true},
		{At: 15 * time.Second, Duration: 3 * time.Second, Kind: FaultMembership, Change: ChangeRemoveLeader},
		{At: 15 * time.Second, Duration: 0, Kind: FaultMembership, Change: ChangeStranger},
	}}
	res := Run(Config{Seed: 4, Schedule: &sched, Duration: 30 * time.Second})
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.Equal(t, 3, res.Membership[countCompleted], "%v", res.Membership)
	assert.Equal(t, 4, res.Membership[countFresh])
	assert.Equal(t, 1, res.Membership[countStrangers])
	assert.Len(t, res.CatchUps, 2)
	assert.Positive(t, res.Ops)
}

func TestVoterBoundsRefuseChangesAtTheEdge(t *testing.T) {
	run := func(nodes int, changes ...string) Result {
		var sched Schedule
		for i, change := range changes {
			sched.Events = append(sched.Events, Event{At: time.Duration(1+4*i) * time.Second, Duration: 3 * time.Second,
				Kind: FaultMembership, Change: change})
		}
		return Run(Config{Seed: 1, Nodes: nodes, Schedule: &sched, Duration: 25 * time.Second})
	}
	// votersMin: three voters may not become two; four may become three.
	res := run(votersMin, ChangeRemove)
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.Equal(t, 1, res.Membership[countRefused+"guard"])
	res = run(votersMin+1, ChangeRemove)
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.Equal(t, 1, res.Membership[countCompleted])
	// votersMax: five voters become six, then seven, and no more.
	require.Equal(t, 7, votersMax)
	res = run(5, ChangePromote, ChangePromote, ChangePromote)
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.Equal(t, 2, res.Membership[countCompleted], "%v", res.Membership)
	assert.Equal(t, 1, res.Membership[countRefused+"guard"], "%v", res.Membership)
}

func TestNodesAreNeverStartedPastTheLimit(t *testing.T) {
	s := newSim(Config{Seed: 1, Nodes: 5, Duration: 15 * time.Second, Clients: 1, Keys: 1, Faults: []string{},
		DriftMax: 0.05, LeaseDriftBound: raft.DefaultLeaseDriftBound, CheckTimeout: time.Second}, Schedule{})
	for len(s.nodes) < simNodesMax {
		_, ok := s.addNode(len(s.nodes)%2 == 0)
		require.True(t, ok)
	}
	_, ok := s.addNode(false)
	assert.False(t, ok)
	assert.Len(t, s.nodes, simNodesMax)
}

func TestDisjointQuorumsAreFound(t *testing.T) {
	c := func(voters, outgoing []uint64) raft.ConfState {
		return raft.ConfState{Voters: voters, VotersOutgoing: outgoing}
	}
	old := []uint64{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		name     string
		a, b     raft.ConfState
		disjoint bool
	}{
		{"one voter removed", c(old, nil), c([]uint64{1, 2, 3, 4}, nil), false},
		{"one voter added", c(old, nil), c([]uint64{1, 2, 3, 4, 5, 6}, nil), false},
		{"one swapped for another", c(old, nil), c([]uint64{1, 2, 3, 4, 6}, nil), true},
		{"two swapped", c(old, nil), c([]uint64{3, 4, 5, 6, 7}, nil), true},
		{"two swapped through joint", c(old, nil), c([]uint64{3, 4, 5, 6, 7}, old), false},
		{"joint left", c([]uint64{3, 4, 5, 6, 7}, old), c([]uint64{3, 4, 5, 6, 7}, nil), false},
		{"joint left to the wrong side", c([]uint64{3, 4, 5, 6, 7}, old), c([]uint64{5, 6, 7, 8, 9}, nil), true},
	} {
		_, _, got := disjointQuorums(tc.a, tc.b)
		assert.Equal(t, tc.disjoint, got, tc.name)
	}
}

func TestBadMembershipEventIsRefused(t *testing.T) {
	_, err := UnmarshalSchedule([]byte(`{"events":[{"at":0,"duration":1,"kind":"membership","change":"explode"}]}`), 5)
	require.ErrorContains(t, err, "unknown membership change")
	_, err = UnmarshalSchedule([]byte(`{"events":[{"at":0,"duration":1,"kind":"membership","change":"replace","count":3}]}`), 5)
	require.ErrorContains(t, err, "replace count")
	s, err := UnmarshalSchedule([]byte(`{"events":[{"at":0,"duration":1,"kind":"membership","change":"replace","count":2}]}`), 5)
	require.NoError(t, err)
	assert.Equal(t, ChangeReplace, s.Events[0].Change)
}
