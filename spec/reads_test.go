package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readsConfig is the smallest model in which a second leader can commit
// while the first still reads: two terms, the no-ops of two leaders, one
// tick of real time, one read round per leader.
func readsConfig(leaseDriftBound int) Config {
	return Config{Servers: 3, MaxTerm: 2, MaxLogLen: 2, MaxMessages: 2, CheckQuorum: true,
		Reads: true, ElectionTimeout: 2, MaxClockDrift: 1, LeaseDriftBound: leaseDriftBound,
		MaxTime: 1, MaxReads: 1}
}

// readsSpec leaves out the actions no read counterexample needs (client
// writes are the leaders' no-ops), to keep the search to seconds.
func readsSpec(cfg Config) *Spec {
	sp := New(cfg)
	withoutActions(sp, "Restart", "DuplicateMessage", "CheckQuorum")
	return sp
}

func TestLeaseReadsAreLinearizableWhenTheLeaseCoversTheDrift(t *testing.T) {
	sp := readsSpec(readsConfig(2)) // LeaseDriftBound = 2 * MaxClockDrift
	res := sp.Check(Options{})
	if res.Violation != nil {
		t.Fatalf("unexpected violation:\n%s", res.Violation.Format(3))
	}
	require.True(t, res.Complete)
	t.Logf("%d states, depth %d, %v", res.Distinct, res.Depth, res.Elapsed)
}

func TestLeaseReadsBreakReadLinearizableWhenDriftExceedsTheBound(t *testing.T) {
	sp := readsSpec(readsConfig(0)) // the lease ignores drift
	v := requireCounterexample(t, sp, "ReadLinearizable")
	last := v.Trace[len(v.Trace)-1].Action
	assert.Contains(t, last, "LeaseRead", "the stale read is a lease read")
}

func TestReadIndexBeforeACurrentTermCommitBreaksReadLinearizable(t *testing.T) {
	cfg := readsConfig(0)
	cfg.CheckQuorum, cfg.MaxTime = false, 0 // no lease, no time: ReadIndex alone
	sp := readsSpec(cfg)
	sp.ReplaceAction("ReadIndex", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		if s.State[i] != Leader || s.PendingRead[i] != (PendingRead{}) { // BUG: no CommittedInTerm(i)
			return false
		}
		*t = *s
		t.ReadSeq[i] = s.ReadSeq[i] + 1
		t.RoundStart[i] = s.Now
		t.ReadAcks[i] = Set(0).With(i)
		t.PendingRead[i] = PendingRead{Index: s.CommitIndex[i], Required: sp.CommittedLog(s)}
		return true
	}))
	requireCounterexample(t, sp, "ReadLinearizable")
}
