package harness

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
)

func TestRunWithoutFaultsPasses(t *testing.T) {
	res := Run(Config{Seed: 1, Faults: []string{}})
	for _, v := range res.Violations {
		t.Log(v)
	}
	require.False(t, res.Failed())
	assert.Greater(t, res.Ops, 100)
	assert.Equal(t, 30*time.Second, res.Virtual)
}

func TestSameSeedGivesByteIdenticalTrace(t *testing.T) {
	run := func() []byte {
		var b bytes.Buffer
		res := Run(Config{Seed: 42, Duration: 15 * time.Second, Trace: &b})
		require.False(t, res.Failed(), "%v", res.Violations)
		return b.Bytes()
	}
	a, b := run(), run()
	require.NotEmpty(t, a)
	assert.True(t, bytes.Equal(a, b), "traces differ")
}

// TLC's Json module (tla/TraceRaft.tla) reads a JSON null as no value at
// all, so a trace writes every list, empty or not.
func TestTraceWritesNoNull(t *testing.T) {
	var b bytes.Buffer
	res := Run(Config{Seed: 2, Duration: 15 * time.Second, Trace: &b})
	require.False(t, res.Failed(), "%v", res.Violations)
	for k, line := range strings.Split(b.String(), "\n") {
		require.NotContains(t, line, ":null", "line %d", k+1)
	}
	assert.True(t, strings.Contains(b.String(), `"VotersOutgoing":[],"Learners":[]`), "no configuration with empty lists")
}

func TestDefaultCampaignSeedsPassWithEveryFault(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		res := Run(Config{Seed: seed})
		require.False(t, res.Failed(), "seed %d: %v", seed, res.Violations)
		assert.Positive(t, res.Ops)
	}
}

func TestPartitionThatNeverHealsFailsLiveness(t *testing.T) {
	cfg := Config{Seed: 3, Nodes: 5, Duration: 20 * time.Second}
	// Every node alone, from 2s to past the end of the run.
	var links [][2]uint64
	for a := uint64(1); a <= 5; a++ {
		for b := uint64(1); b <= 5; b++ {
			if a != b {
				links = append(links, [2]uint64{a, b})
			}
		}
	}
	cfg.Schedule = &Schedule{Events: []Event{{At: 2 * time.Second, Duration: time.Hour, Kind: FaultPartition, Shape: "total", Links: links}}}
	res := Run(cfg)
	require.True(t, res.Failed())
	assert.Equal(t, "liveness", res.Violations[0].Kind)
}

func TestPlantedVoteBugIsFoundAndShrunk(t *testing.T) {
	bugs := &plant.Bugs{GrantVoteWithoutLogCheck: true}
	for seed := uint64(1); seed <= 60; seed++ {
		cfg := Config{Seed: seed, Bugs: bugs, Faults: []string{FaultCrash, FaultPartition}}
		res := Run(cfg)
		if !res.Failed() {
			continue
		}
		t.Logf("seed %d: %v", seed, res.Violations[0])
		small, sres := Shrink(cfg, res.Schedule, 60)
		require.True(t, sres.Failed())
		assert.LessOrEqual(t, len(small.Events), len(res.Schedule.Events))
		t.Logf("shrunk from %d to %d events: %v", len(res.Schedule.Events), len(small.Events), small.Events)
		return
	}
	t.Fatal("the planted bug survived 60 seeds")
}

func TestRapidSchedulesKeepSafety(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sched := Gen(GenOptions{Nodes: 5, Kinds: FaultKinds, Span: 10 * time.Second, EventsMax: 8, DriftMax: 0.05}).Draw(rt, "schedule")
		res := Run(Config{Seed: 7, Duration: 20 * time.Second, Schedule: &sched})
		if res.Failed() {
			rt.Fatalf("%v", res.Violations)
		}
	})
}

func TestArtifactsAreWritten(t *testing.T) {
	dir := t.TempDir()
	var trace bytes.Buffer
	cfg := Config{Seed: 5, Duration: 12 * time.Second, Trace: &trace}
	res := Run(cfg)
	require.NoError(t, WriteArtifacts(dir, cfg, res, trace.Bytes()))
	for _, name := range []string{"history.html", "trace.ndjson", "schedule.json", "replay.txt"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Positive(t, fi.Size(), name)
	}
	data, err := os.ReadFile(filepath.Join(dir, "schedule.json"))
	require.NoError(t, err)
	back, err := UnmarshalSchedule(data, 5)
	require.NoError(t, err)
	assert.Equal(t, res.Schedule, back)
}

func TestBadScheduleIsRefused(t *testing.T) {
	_, err := UnmarshalSchedule([]byte(`{"events":[{"at":0,"duration":1,"kind":"meteor"}]}`), 5)
	require.Error(t, err)
	_, err = UnmarshalSchedule([]byte(`{"events":[{"at":0,"duration":1,"kind":"crash","nodes":[9]}]}`), 5)
	require.Error(t, err)
	res := Run(Config{Seed: 1, Nodes: 3, Schedule: &Schedule{Events: []Event{{Kind: FaultCrash, Nodes: []uint64{7}}}}})
	require.True(t, res.Failed())
	assert.Equal(t, "config", res.Violations[0].Kind)
}

// staleLeaseSeedsMax bounds the seeds searched for a stale lease read. The
// campaign of the README (go run ./cmd/raftsim -reads lease -drift 0.5
// -lease-drift-bound 0.01) first finds one at seed 5.
const staleLeaseSeedsMax = 100

func TestStaleLeaseReadIsFoundWhenDriftExceedsTheBound(t *testing.T) {
	// The leader's clock may run at half speed while it assumes 1% drift:
	// its lease outlives the followers' promise not to elect another. Every
	// fault kind is drawn, as in the campaign of the README.
	beyond := func(seed uint64) Config {
		return Config{Seed: seed, Reads: []kv.ReadMode{kv.ReadLease}, DriftMax: 0.5, LeaseDriftBound: 0.01}
	}
	// Porcupine's find: trace validation would catch the read first
	// (TestPlantedReadBugsFailTraceValidation).
	porcupine := func(seed uint64) Config {
		cfg := beyond(seed)
		cfg.SkipValidation = true
		return cfg
	}
	for seed := uint64(1); seed <= staleLeaseSeedsMax; seed++ {
		cfg := porcupine(seed)
		res := Run(cfg)
		if !res.Failed() {
			continue
		}
		require.Equal(t, "linearizability", res.Violations[0].Kind, "%v", res.Violations)
		assert.Equal(t, linearizability.Illegal, res.Check.Verdict)
		dir := t.TempDir()
		require.NoError(t, WriteArtifacts(dir, cfg, res, nil))
		page, err := os.ReadFile(filepath.Join(dir, "history.html"))
		require.NoError(t, err)
		assert.Contains(t, string(page), "[lease]", "the page shows the read mode")
		t.Logf("seed %d: %v", seed, res.Violations[0])

		// The same seeds with the drift well within the bound: the same
		// kinds of schedule, slow leaders cut off included, and no stale
		// read.
		for s := uint64(1); s <= seed; s++ {
			cfg := beyond(s)
			cfg.DriftMax, cfg.LeaseDriftBound = 0.005, 0.05
			res := Run(cfg)
			require.False(t, res.Failed(), "seed %d within the bound: %v", s, res.Violations)
			assert.Positive(t, res.Reads["lease"])
		}
		return
	}
	t.Fatalf("no stale lease read in %d seeds", staleLeaseSeedsMax)
}

func TestLeaseReadsWithinTheDriftBoundStayLinearizable(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		res := Run(Config{Seed: seed, Reads: []kv.ReadMode{kv.ReadLease}, DriftMax: 0.05, LeaseDriftBound: 0.05,
			Faults: []string{FaultDrift, FaultPartition}})
		require.False(t, res.Failed(), "seed %d: %v", seed, res.Violations)
		assert.Positive(t, res.Reads["lease"])
	}
}

func TestTransfersHandLeadershipOverSafely(t *testing.T) {
	var trace bytes.Buffer
	res := Run(Config{Seed: 2, Faults: []string{FaultTransfer, FaultPartition}, Trace: &trace})
	require.False(t, res.Failed(), "%v", res.Violations)
	assert.Positive(t, res.Faults[FaultTransfer])
	assert.Contains(t, trace.String(), `"name":"HandleTimeoutNowRequest"`, "a transferee campaigned")
}

// A leader cut off and paused (SIGSTOP) must not resume believing its lease
// still holds: the ticks it missed are taken when it resumes, as a driver
// that reads a monotonic clock takes them.
func TestPausedIsolatedLeaderServesNoStaleLeaseRead(t *testing.T) {
	sched := Schedule{Events: []Event{
		{At: 3 * time.Second, Duration: 4 * time.Second, Kind: FaultPartition, Shape: ShapeIsolate, Target: TargetLeader},
		{At: 3 * time.Second, Duration: 3 * time.Second, Kind: FaultPause, Nodes: []uint64{1}, Target: TargetLeader},
	}}
	for seed := uint64(1); seed <= 20; seed++ {
		res := Run(Config{Seed: seed, Nodes: 3, Schedule: &sched, Reads: []kv.ReadMode{kv.ReadLog, kv.ReadLease}})
		require.False(t, res.Failed(), "seed %d: %v", seed, res.Violations)
	}
}
