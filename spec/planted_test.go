package spec

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each test here plants one bug in the spec (a test-only variant of one
// action) and requires the checker to report a counterexample to the
// invariant that the bug breaks. A checker that cannot fail proves nothing.

// plantedConfig is small enough that the counterexamples are found in a
// second or so.
func plantedConfig(maxTerm, maxLog int) Config {
	return Config{Servers: 3, Values: 1, MaxTerm: maxTerm, MaxLogLen: maxLog, MaxMessages: 2}
}

// requireCounterexample checks the model with only the invariant named and
// requires a shortest counterexample that really is a behaviour of the
// (buggy) spec ending in the first state that violates the invariant.
func requireCounterexample(t *testing.T, sp *Spec, invariant string) *Violation {
	t.Helper()
	var inv []Invariant
	for _, x := range sp.Invariants {
		if x.Name == invariant {
			inv = append(inv, x)
		}
	}
	require.Len(t, inv, 1, "unknown invariant %s", invariant)
	sp.Invariants = inv
	res := sp.Check(Options{MaxStates: 8_000_000})
	require.NotNil(t, res.Violation, "the planted bug went unnoticed (%d states)", res.Distinct)
	v := res.Violation
	assert.Equal(t, invariant, v.Invariant)
	require.NotEmpty(t, v.Trace)
	assert.Equal(t, "Init", v.Trace[0].Action)
	enc := newEncoder(sp.Config)
	for k, step := range v.Trace {
		holds := inv[0].Holds(sp, &step.State)
		assert.Equal(t, k < len(v.Trace)-1, holds, "step %d: only the last state violates %s", k, invariant)
		if k == 0 {
			continue
		}
		want := enc.Fingerprint(&step.State)
		found := false
		sp.Successors(&v.Trace[k-1].State, func(l Label, next *State) {
			found = found || (l.String() == step.Action && enc.Fingerprint(next) == want)
		})
		assert.True(t, found, "step %d (%s) is not a step of the spec", k, step.Action)
	}
	t.Logf("%s: %d states, %d steps, %v", invariant, res.Distinct, len(v.Trace)-1, res.Elapsed)
	if testing.Verbose() {
		t.Log("\n" + v.Format(sp.n()))
	}
	return v
}

// grantIgnoringVotedFor is HandleRequestVoteRequest without the one vote
// per term rule.
func grantIgnoringVotedFor(sp *Spec, s *State, i, j int, m Message, t *State) bool {
	if m.Type != RequestVoteRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	grant := m.Term == s.CurrentTerm[i] && s.LogUpToDate(i, m) // BUG: votedFor ignored
	*t = *s
	if grant {
		t.VotedFor[i] = int8(j)
	}
	t.reply(Message{Type: RequestVoteResponse, Term: s.CurrentTerm[i], Granted: grant,
		Source: uint8(i), Dest: uint8(j)}, m)
	return true
}

func TestTwoVotesPerTermBreakElectionSafety(t *testing.T) {
	sp := New(plantedConfig(1, 1))
	sp.Config.MaxMessages = 3
	sp.ReplaceAction("HandleRequestVoteRequest", ReceiveAction("", grantIgnoringVotedFor))
	requireCounterexample(t, sp, "ElectionSafety")
}

func TestForgettingVotedForOnRestartBreaksElectionSafety(t *testing.T) {
	sp := New(plantedConfig(1, 1))
	sp.ReplaceAction("Restart", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		sp.Restart(s, i, t)
		t.VotedFor[i] = Nil // BUG: votedFor is not durable
		return true
	}))
	requireCounterexample(t, sp, "ElectionSafety")
}

func TestForgettingTheLogOnRestartBreaksCommittedIsDurable(t *testing.T) {
	sp := New(plantedConfig(1, 1))
	sp.ReplaceAction("Restart", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		sp.Restart(s, i, t)
		t.Log[i] = Log{} // BUG: the log is not durable
		t.CommitIndex[i] = 0
		return true
	}))
	requireCounterexample(t, sp, "CommittedIsDurable")
}

// rewriting runs a receive action on rewrite(m) in place of m: the
// planted bug is in how the handler reads the message.
func rewriting(fn func(*Spec, *State, int, int, Message, *State) bool,
	rewrite func(s *State, i int, m Message) Message) func(*Spec, *State, int, int, Message, *State) bool {
	return func(sp *Spec, s *State, i, j int, m Message, t *State) bool {
		m2 := rewrite(s, i, m)
		if m2 == m {
			return fn(sp, s, i, j, m, t)
		}
		u := *s
		u.discard(m)
		u.send(m2)
		return fn(sp, &u, i, j, m2, t)
	}
}

func TestVotingForAnOutOfDateLogBreaksLeaderCompleteness(t *testing.T) {
	sp := New(plantedConfig(2, 1))
	sp.ReplaceAction("HandleRequestVoteRequest", ReceiveAction("", rewriting((*Spec).HandleRequestVoteRequest,
		func(s *State, i int, m Message) Message {
			m.LastLogTerm, m.LastLogIndex = 255, 255 // BUG: every log looks up to date
			return m
		})))
	requireCounterexample(t, sp, "LeaderCompleteness")
}

func TestIgnoringPrevLogTermBreaksLogMatching(t *testing.T) {
	sp := New(plantedConfig(3, 2))
	sp.ReplaceAction("HandleAppendEntriesRequest", ReceiveAction("", rewriting((*Spec).HandleAppendEntriesRequest,
		func(s *State, i int, m Message) Message {
			if int(m.PrevLogIndex) <= s.LastIndex(i) {
				m.PrevLogTerm = Num(s.TermAt(i, int(m.PrevLogIndex))) // BUG: any entry at prev matches
			}
			return m
		})))
	requireCounterexample(t, sp, "LogMatching")
}

func TestHeartbeatCommitPastTheMatchedPrefixBreaksStateMachineSafety(t *testing.T) {
	sp := New(plantedConfig(2, 2))
	sp.ReplaceAction("Heartbeat", PairAction("", func(sp *Spec, s *State, i, j int, t *State) bool {
		if !sp.Heartbeat(s, i, j, t) {
			return false
		}
		m := Message{Type: HeartbeatRequest, Term: s.CurrentTerm[i],
			CommitIndex: min(s.CommitIndex[i], s.MatchIndex[i][j]), Source: uint8(i), Dest: uint8(j)}
		t.discard(m)
		m.CommitIndex = s.CommitIndex[i] // BUG: not bounded by what matches on j
		t.send(m)
		return true
	}))
	requireCounterexample(t, sp, "StateMachineSafety")
}

// withoutActions removes actions that a counterexample does not need, to
// keep a deep search short.
func withoutActions(sp *Spec, names ...string) {
	sp.Actions = slices.DeleteFunc(sp.Actions, func(a Action) bool { return slices.Contains(names, a.Name) })
}

func TestCommittingAnOlderTermEntryByCountingBreaksCommittedInElectableLogs(t *testing.T) {
	cfg := plantedConfig(3, 2)
	cfg.Values = 0 // the no-ops of three leaders are enough
	sp := New(cfg)
	withoutActions(sp, "Restart", "Heartbeat", "DuplicateMessage")
	// Figure 8 needs an older entry replicated without the leader's own,
	// which the implementation does when its message size limit cuts a
	// batch: here every message carries one entry.
	sp.ReplaceAction("AppendEntries", PairAction("", func(sp *Spec, s *State, i, j int, t *State) bool {
		next := int(s.NextIndex[i][j])
		if next > s.LastIndex(i) || !sp.AppendEntries(s, i, j, t) {
			return false
		}
		t.Messages = nil
		t.Messages = append(t.Messages, s.Messages...)
		t.send(Message{Type: AppendEntriesRequest, Term: s.CurrentTerm[i],
			PrevLogIndex: Num(next - 1), PrevLogTerm: Num(s.TermAt(i, next-1)),
			Entries: s.Log[i].SubSeq(next, next), CommitIndex: s.CommitIndex[i],
			Source: uint8(i), Dest: uint8(j)})
		return true
	}))
	sp.ReplaceAction("AdvanceCommitIndex", ServerAction("", func(sp *Spec, s *State, i int, t *State) bool {
		if s.State[i] != Leader {
			return false
		}
		best := 0
		for idx := int(s.CommitIndex[i]) + 1; idx <= s.LastIndex(i); idx++ {
			if sp.IsQuorum(s, i, sp.Agree(s, i, idx)) { // BUG: no check that the entry is of the current term
				best = idx
			}
		}
		if best == 0 {
			return false
		}
		*t = *s
		t.CommitIndex[i] = Num(best)
		return true
	}))
	requireCounterexample(t, sp, "CommittedInElectableLogs")
}

func TestCompactingUncommittedEntriesBreaksSnapshotIsCommitted(t *testing.T) {
	cfg := plantedConfig(1, 1)
	cfg.Snapshot = true
	sp := New(cfg)
	sp.ReplaceAction("CompactLog", IndexAction("", func(sp *Spec, s *State, i, idx int, t *State) bool {
		if idx <= int(s.SnapshotIndex[i]) || idx > s.LastIndex(i) { // BUG: not bounded by commitIndex
			return false
		}
		*t = *s
		t.SnapshotIndex[i] = Num(idx)
		t.SnapshotTerm[i] = s.Log[i].At(idx).Term
		return true
	}))
	requireCounterexample(t, sp, "SnapshotIsCommitted")
}

func TestTransfereeCampaigningInItsCurrentTermBreaksElectionSafety(t *testing.T) {
	cfg := plantedConfig(1, 2)
	cfg.Transfer = true
	sp := New(cfg)
	sp.ReplaceAction("HandleTimeoutNowRequest", ReceiveAction("", func(sp *Spec, s *State, i, j int, m Message, t *State) bool {
		if !sp.HandleTimeoutNowRequest(s, i, j, m, t) {
			return false
		}
		if t.State[i] != Candidate || t.CurrentTerm[i] == s.CurrentTerm[i] {
			return true
		}
		// BUG: campaign in the current term, spending a second vote in it.
		t.CurrentTerm[i] = s.CurrentTerm[i]
		msgs := append([]Packet(nil), t.Messages...)
		for k := range msgs {
			if msgs[k].Msg.Type == RequestVoteRequest && int(msgs[k].Msg.Source) == i {
				msgs[k].Msg.Term = s.CurrentTerm[i]
			}
		}
		t.Messages = msgs
		return true
	}))
	requireCounterexample(t, sp, "ElectionSafety")
}
