package spec

import (
	"strings"
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

// forwarded are the actions of follower-forwarded reads, which the tests of
// the leader's read paths leave out.
func forwarded(names ...string) []string {
	return append(names, "ForwardReadIndex", "ServeFollowerRead", "HandleReadIndexRequest", "HandleReadIndexResponse")
}

// readsSpec leaves out the actions no lease counterexample needs (client
// writes are the leaders' no-ops; ReadIndex rounds give the lease, and
// ReadIndex reads have their own test), to keep the search to seconds.
func readsSpec(cfg Config) *Spec {
	sp := New(cfg)
	withoutActions(sp, forwarded("Restart", "DuplicateMessage", "CheckQuorum", "ServeReadIndex")...)
	withoutEmptyAppends(sp)
	return sp
}

// withoutEmptyAppends leaves out AppendEntries messages without entries:
// heartbeats carry the commit index too, and no read counterexample needs
// a probe.
func withoutEmptyAppends(sp *Spec) {
	sp.ReplaceAction("AppendEntries", PairAction("", func(sp *Spec, s *State, i, j int, t *State) bool {
		return int(s.NextIndex[i][j]) <= s.LastIndex(i) && sp.AppendEntries(s, i, j, t)
	}))
}

func TestLeaseReadsAreLinearizableWhenTheLeaseCoversTheDrift(t *testing.T) {
	if !*long {
		t.Skip("a larger model: run with -spec.long (CI does)")
	}
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
	sp := New(cfg)
	withoutActions(sp, forwarded("Restart", "DuplicateMessage", "CheckQuorum")...)
	withoutEmptyAppends(sp)
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

// A leader that aborts a transfer gets its lease back, but its
// TimeoutNowRequest may still be in flight: the transferee then campaigns
// with mtransfer, which voters grant inside their lease, and wins while the
// old leader serves lease reads. The model shows it; the core must not
// serve lease reads for the rest of a term in which it started a transfer
// (or voters must not grant mtransfer votes inside the lease).
func TestLeaseReadAfterAnAbortedTransferIsStale(t *testing.T) {
	cfg := readsConfig(2)
	cfg.Transfer, cfg.MaxTime = true, 0 // no time needs to pass
	sp := readsSpec(cfg)
	withoutActions(sp, "ElectionTimerElapsed")
	v := requireCounterexample(t, sp, "ReadLinearizable")
	var actions []string
	for _, st := range v.Trace {
		actions = append(actions, st.Action)
	}
	assert.Contains(t, strings.Join(actions, "\n"), "AbortTransfer")
}

// A read round must be confirmed by acknowledgements of heartbeats sent
// after the read began; an acknowledgement of an older heartbeat may
// predate a rival's election. This is why rounds carry the leader's own
// sequence number.
func TestCountingAcksOfEarlierRoundsBreaksReadLinearizable(t *testing.T) {
	cfg := readsConfig(0)
	cfg.CheckQuorum, cfg.MaxTime = false, 0 // no lease, no time: ReadIndex alone
	sp := New(cfg)
	withoutActions(sp, forwarded("Restart", "DuplicateMessage", "CheckQuorum")...)
	withoutEmptyAppends(sp)
	sp.ReplaceAction("HandleHeartbeatResponse", ReceiveAction("", func(sp *Spec, s *State, i, j int, m Message, t *State) bool {
		if !sp.HandleHeartbeatResponse(s, i, j, m, t) {
			return false
		}
		if m.Term == s.CurrentTerm[i] && s.State[i] == Leader && s.ReadSeq[i] > 0 {
			t.ReadAcks[i] = s.ReadAcks[i].With(j) // BUG: m.Seq not compared with the round
		}
		return true
	}))
	requireCounterexample(t, sp, "ReadLinearizable")
}

// readIndexConfig has ReadIndex reads only: no lease, no time.
func readIndexConfig() Config {
	cfg := readsConfig(0)
	cfg.CheckQuorum, cfg.MaxTime = false, 0
	return cfg
}

func TestFollowerServingBeforeApplyingTheReadIndexBreaksReadLinearizable(t *testing.T) {
	cfg := readIndexConfig()
	cfg.MaxLogLen = 1 // the follower's stale entry and the new leader's no-op share index 1
	sp := New(cfg)
	withoutActions(sp, "Restart", "DuplicateMessage", "CheckQuorum", "ReadIndex")
	withoutEmptyAppends(sp)
	sp.ReplaceAction("ServeFollowerRead", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		r := s.FollowerRead[i]
		if r.Phase != ReadReady || s.LastIndex(i) < int(r.Index) { // BUG: has the entries, not applied
			return false
		}
		*t = *s
		t.LastRead = ReadResult{Served: s.Log[i].Prefix(int(r.Index)), Required: r.Required}
		t.FollowerRead[i] = FollowerRead{}
		return true
	}))
	requireCounterexample(t, sp, "ReadLinearizable")
}

// forwardedReadConfig is the smallest model in which an answer to one
// forwarded read can reach a later one: two servers (a leader and the
// follower that reads), one term, a value written between two forwarded
// reads of the follower.
func forwardedReadConfig() Config {
	return Config{Servers: 2, Values: 1, MaxTerm: 1, MaxLogLen: 2, MaxMessages: 2, Reads: true,
		ElectionTimeout: 2, MaxReads: 2}
}

// forwardedReadSpec leaves out the leader's own reads, probes,
// CheckQuorum and lost messages (a loss delivers no late answer), which no
// forwarded-read counterexample needs; Restart and DuplicateMessage, which
// deliver late answers, stay.
func forwardedReadSpec(cfg Config) *Spec {
	sp := New(cfg)
	withoutActions(sp, "CheckQuorum", "ReadIndex", "DropMessage")
	withoutEmptyAppends(sp)
	return sp
}

func TestForwardedReadsAreLinearizable(t *testing.T) {
	sp := forwardedReadSpec(forwardedReadConfig())
	res := sp.Check(Options{})
	if res.Violation != nil {
		t.Fatalf("unexpected violation:\n%s", res.Violation.Format(2))
	}
	require.True(t, res.Complete)
	assert.Equal(t, 455515, res.Distinct, "distinct states")
	t.Logf("%d states, depth %d, %v", res.Distinct, res.Depth, res.Elapsed)
}

// A follower that takes any answer for its waiting read takes a late
// answer to an earlier read (duplicated, or sent before the follower
// restarted), whose index may miss entries committed since. This is why
// forwarded reads are numbered.
func TestAcceptingAnyAnswerToAForwardedReadBreaksReadLinearizable(t *testing.T) {
	sp := forwardedReadSpec(forwardedReadConfig())
	sp.ReplaceAction("HandleReadIndexResponse", ReceiveAction("", func(sp *Spec, s *State, i, j int, m Message, t *State) bool {
		if m.Type != ReadIndexResponse || m.Term > s.CurrentTerm[i] {
			return false
		}
		*t = *s
		if s.FollowerRead[i].Phase == ReadWaiting { // BUG: m.Seq not compared with the read's
			if m.Success {
				t.FollowerRead[i].Index = m.Index
				t.FollowerRead[i].Phase = ReadReady
			} else {
				t.endFollowerRead(i)
			}
		}
		t.discard(m)
		return true
	}))
	v := requireCounterexample(t, sp, "ReadLinearizable")
	last := v.Trace[len(v.Trace)-1].Action
	assert.Contains(t, last, "ServeFollowerRead", "the stale read is a forwarded read")
}
