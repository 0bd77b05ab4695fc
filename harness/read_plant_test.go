package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
)

// findPlantedReadBug runs seeds 1..seedsMax of cfg with bugs planted until
// Porcupine finds a read that is not linearizable, then checks that the
// same seeds pass without the plant: the violation is the bug's, not the
// workload's. It returns the seed that found it. Trace validation, which
// finds some of these bugs first (see TestPlantedReadBugsFailTraceValidation),
// is off: these tests are Porcupine's.
func findPlantedReadBug(t *testing.T, cfg func(seed uint64) Config, bugs *plant.Bugs, seedsMax uint64) uint64 {
	t.Helper()
	for seed := uint64(1); seed <= seedsMax; seed++ {
		c := cfg(seed)
		c.Bugs = bugs
		c.SkipValidation = true
		res := Run(c)
		if !res.Failed() {
			continue
		}
		require.Equal(t, "linearizability", res.Violations[0].Kind, "seed %d: %v", seed, res.Violations)
		assert.Equal(t, linearizability.Illegal, res.Check.Verdict)
		t.Logf("seed %d: %v", seed, res.Violations[0])
		for s := uint64(1); s <= seed; s++ {
			res := Run(cfg(s))
			require.False(t, res.Failed(), "seed %d without the plant: %v", s, res.Violations)
		}
		return seed
	}
	t.Fatalf("the planted bug survived %d seeds", seedsMax)
	return 0
}

// The trace validator holds every read of the core to ReadLinearizable on
// the spec's state of the whole group, so a read served below what was
// committed when it began fails at the core's event, before any client
// sees the answer, and the failure names the event.
func TestPlantedReadBugsFailTraceValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   func(seed uint64) Config
		event string
	}{
		{"ReadIndexBeforeCommitInTerm", func(seed uint64) Config {
			return Config{Seed: seed, Reads: []kv.ReadMode{kv.ReadIndex}, Faults: []string{FaultReorder, FaultPartition},
				Bugs: &plant.Bugs{ReadIndexBeforeCommitInTerm: true}}
		}, "ServeReadIndex"},
		{"lease beyond its drift bound", func(seed uint64) Config {
			return Config{Seed: seed, Reads: []kv.ReadMode{kv.ReadLease}, DriftMax: 0.5, LeaseDriftBound: 0.01,
				Faults: []string{FaultDrift, FaultPartition}}
		}, "LeaseRead"},
		{"AckReadByClientContext", func(seed uint64) Config {
			return Config{Seed: seed, Nodes: 3, Reads: []kv.ReadMode{kv.ReadIndex, kv.ReadFollower},
				Faults: []string{FaultDuplicate, FaultDelay}, Bugs: &plant.Bugs{AckReadByClientContext: true}}
		}, "ServeReadIndex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= plantedReadSeedsMax; seed++ {
				res := Run(tc.cfg(seed))
				if !res.Failed() {
					continue
				}
				require.Equal(t, "trace-validation", res.Violations[0].Kind, "seed %d: %v", seed, res.Violations)
				msg := res.Violations[0].Message
				assert.Contains(t, msg, "("+tc.event+", node ")
				assert.Contains(t, msg, "ReadLinearizable: read served at index")
				t.Logf("seed %d: %v", seed, res.Violations[0])
				return
			}
			t.Fatalf("trace validation passed %d seeds", plantedReadSeedsMax)
		})
	}
}

// plantedReadSeedsMax bounds the seeds searched for each planted read bug.
// A seed of these campaigns finds the bug with a chance of a few percent.
const plantedReadSeedsMax = 150

// A new leader that takes a read index before an entry of its term commits
// may not know the commit index of the group: the old leader's last commit
// was still in flight when it was cut off. Reorder makes that flight long
// and lets the read's heartbeat round overtake the new leader's first
// entry, so the read is served below a write that had completed.
func TestPlantedReadIndexBeforeCommitInTermIsFound(t *testing.T) {
	cfg := func(seed uint64) Config {
		return Config{Seed: seed, Reads: []kv.ReadMode{kv.ReadIndex}, Faults: []string{FaultReorder, FaultPartition}}
	}
	findPlantedReadBug(t, cfg, &plant.Bugs{ReadIndexBeforeCommitInTerm: true}, plantedReadSeedsMax)
}

// plantedAckByContextSeedsMax bounds the seeds searched for the read
// rounds confirmed by the client's context. That bug needs a rarer
// coincidence than the others: a late copy of an acknowledgement from
// before the leader was cut off, carrying a request ID that equals, by
// chance, the ID of a read the deposed leader takes after the new leader
// completed a write. About one seed in 200 of this campaign finds it.
const plantedAckByContextSeedsMax = 600

// A leader that matches acknowledgements by the request ID its heartbeats
// echo, rather than by its own sequence number, counts a late duplicate of
// an acknowledgement from an earlier round as confirming a later one with
// the same ID. Duplicates delayed by seconds, then a stall that cuts the
// leader off while the others elect a new leader, let such a copy confirm
// a read the deposed leader serves below a completed write. Request IDs
// are counters per node, so reads forwarded from followers and the
// leader's own reads share IDs.
func TestPlantedAckReadByClientContextIsFound(t *testing.T) {
	cfg := func(seed uint64) Config {
		return Config{Seed: seed, Nodes: 3, Reads: []kv.ReadMode{kv.ReadIndex, kv.ReadFollower},
			Faults: []string{FaultDuplicate, FaultDelay}, SkipValidation: true}
	}
	findPlantedReadBug(t, cfg, &plant.Bugs{AckReadByClientContext: true}, plantedAckByContextSeedsMax)
}
