package harness

import (
	"errors"
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/spec"
)

// traceValidator replays the run's core events against the spec as they
// happen (spec.Validator), so that a run whose implementation takes a step
// the spec does not allow fails like any other violation, at the event
// that diverged.
type traceValidator struct {
	v   *spec.Validator
	n   int
	err error
	// stopped says why validation ended before the run did, without a
	// failure: the run changed its membership, which the spec does not
	// describe yet, or outgrew the spec's numbers.
	stopped string
	// msg is scratch for the message of the event being validated.
	msg      spec.Message
	msgTypes [64]spec.MsgType
}

// newTraceValidator validates a cluster of nodes 1..n with the features the
// simulator turns on in every core.
func newTraceValidator(n int) (*traceValidator, error) {
	sp := spec.New(spec.Config{Servers: n, Values: 1, PreVote: true, CheckQuorum: true, Snapshot: true, Transfer: true})
	v, err := spec.NewValidator(sp)
	if err != nil {
		return nil, err
	}
	return &traceValidator{v: v, n: n, msgTypes: msgTypeTable()}, nil
}

// step validates one event. After the first failure it does nothing: the
// run stops at that violation.
func (tv *traceValidator) step(ev raft.TraceEvent) error {
	if tv.err != nil || tv.stopped != "" {
		return nil
	}
	if ev.Name == "ChangeConf" || ev.Name == "LeaveJoint" || ev.Node > uint64(tv.n) {
		// Raft.tla has a fixed configuration; from a membership change on,
		// its quorums are not the run's.
		tv.stopped = fmt.Sprintf("membership changes at trace event %d (%s of node %d), which the spec does not describe", tv.v.Events(), ev.Name, ev.Node)
		return nil
	}
	sev, err := tv.convert(ev)
	if errors.Is(err, errTooLong) {
		tv.stopped = fmt.Sprintf("trace event %d (%s of node %d): term %d or index %d is past %d, the largest the spec's State holds",
			tv.v.Events(), ev.Name, ev.Node, ev.State.CurrentTerm, ev.State.LastIndex, spec.MaxNum)
		return nil
	}
	if err != nil {
		tv.err = fmt.Errorf("trace event %d: %w", tv.v.Events(), err)
		return tv.err
	}
	tv.err = tv.v.Step(sev) // its error names the event
	return tv.err
}

// convert maps an event of the core to the spec's terms: node IDs 1..n
// become servers 0..n-1, None becomes Nil. The message it returns is
// scratch, valid until the next call.
func (tv *traceValidator) convert(ev raft.TraceEvent) (spec.TraceEvent, error) {
	st := ev.State
	role, ok := roleOf(st.State)
	if !ok {
		return spec.TraceEvent{}, fmt.Errorf("%s of node %d: unknown state %q", ev.Name, ev.Node, st.State)
	}
	// A node's term and last index bound every term and index it reports
	// or sends (a message's commit index included).
	if st.CurrentTerm > spec.MaxNum || st.LastIndex > spec.MaxNum {
		return spec.TraceEvent{}, errTooLong
	}
	ids := [...]uint64{ev.Node, st.VotedFor, st.LeadTransferee, st.Leader, 0, 0}
	if ev.Msg != nil {
		ids[4], ids[5] = ev.Msg.From, ev.Msg.To
	}
	for _, id := range ids {
		if id > uint64(tv.n) {
			return spec.TraceEvent{}, fmt.Errorf("%s of node %d: node %d is not one of 1..%d", ev.Name, ev.Node, id, tv.n)
		}
	}
	out := spec.TraceEvent{
		Action: ev.Name,
		Node:   int(serverOf(ev.Node)),
		Peer:   -1,
		State: spec.Observed{
			CurrentTerm: num(st.CurrentTerm), State: role, VotedFor: serverOf(st.VotedFor), Leader: serverOf(st.Leader),
			CommitIndex: num(st.CommitIndex), LastIndex: num(st.LastIndex), LastTerm: num(st.LastTerm),
			SnapshotIndex: num(st.SnapshotIndex), SnapshotTerm: num(st.SnapshotTerm),
			LeadTransferee: serverOf(st.LeadTransferee), LeaderRecent: st.LeaderRecent,
		},
	}
	if ev.Name == "TransferLeadership" {
		out.Peer = int(serverOf(st.LeadTransferee))
	}
	if m := ev.Msg; m != nil {
		typ := tv.msgTypes[m.Type%raft.MessageType(len(tv.msgTypes))]
		if typ == 0 {
			return spec.TraceEvent{}, fmt.Errorf("%s of node %d: message type %v has no spec counterpart", ev.Name, ev.Node, m.Type)
		}
		// Only the receiver reads an append's entries; the sender's are
		// the spec's own.
		tv.msg = specMessage(m, typ, ev.Name == "HandleAppendEntriesRequest" || ev.Name == "UpdateTerm")
		tv.msg.Source, tv.msg.Dest = uint8(serverOf(m.From)), uint8(serverOf(m.To))
		out.Msg = &tv.msg
	}
	return out, nil
}

// errTooLong stops validation, without failing the run, at a term or index
// past spec.MaxNum: a very long run is validated up to there.
var errTooLong = errors.New("past the spec's numbers")

// num is x as a spec number; convert has checked that it fits.
func num(x uint64) spec.Num { return spec.Num(x) }

// serverOf is the spec's server of node id, or Nil for None.
func serverOf(id uint64) int8 {
	if id == raft.None {
		return spec.Nil
	}
	return int8(id - 1)
}

// specMessage is m as the spec's record of type typ, with node IDs for
// servers, and the entries only if withEntries.
func specMessage(m *raft.Message, typ spec.MsgType, withEntries bool) spec.Message {
	sm := spec.Message{Type: typ, Source: uint8(m.From), Dest: uint8(m.To), Term: num(m.Term)}
	switch m.Type {
	case raft.PreVoteRequest, raft.RequestVoteRequest:
		sm.LastLogTerm, sm.LastLogIndex, sm.Transfer = num(m.LogTerm), num(m.Index), m.Transfer
	case raft.PreVoteResponse, raft.RequestVoteResponse:
		sm.Granted = !m.Reject
	case raft.AppendEntriesRequest:
		sm.PrevLogIndex, sm.PrevLogTerm, sm.CommitIndex = num(m.Index), num(m.LogTerm), num(m.Commit)
		if withEntries {
			sm.Entries = entries(m.Entries)
		}
	case raft.AppendEntriesResponse:
		// A rejection's hint is the first index to try again; the spec's
		// is the last that may match.
		sm.Success = !m.Reject
		sm.MatchIndex = num(m.Index)
		if m.Reject {
			sm.MatchIndex = num(max(m.RejectHint, 1) - 1)
		}
	case raft.HeartbeatRequest:
		sm.CommitIndex, sm.Seq = num(m.Commit), num(m.Seq)
	case raft.HeartbeatResponse:
		sm.Seq = num(m.Seq)
	case raft.InstallSnapshotRequest:
		if m.Snapshot != nil {
			sm.SnapshotIndex, sm.SnapshotTerm = num(m.Snapshot.Metadata.Index), num(m.Snapshot.Metadata.Term)
		}
	case raft.ReadIndexResponse:
		sm.Success, sm.Index = !m.Reject, num(m.Index)
	}
	return sm
}

// entries is the spec's view of entries: their terms, with value 0 for a
// leader's no-op and 1 for anything else.
func entries(ents []raft.Entry) spec.Log {
	es := make([]spec.Entry, len(ents))
	for k, e := range ents {
		es[k].Term = num(e.Term)
		if e.Type != raft.EntryNormal || len(e.Data) > 0 {
			es[k].Value = 1
		}
	}
	return spec.LogOf(es...)
}

// roleOf is the spec's state of a role's name.
func roleOf(name string) (spec.ServerState, bool) {
	for _, st := range []spec.ServerState{spec.Follower, spec.PreCandidate, spec.Candidate, spec.Leader} {
		if st.String() == name {
			return st, true
		}
	}
	return 0, false
}

// msgTypeTable maps the core's message types to the spec's, by their
// shared names; 0 marks a type the spec does not have.
func msgTypeTable() [64]spec.MsgType {
	byName := map[string]spec.MsgType{}
	for t := spec.MsgType(1); t.String() != fmt.Sprintf("MsgType(%d)", uint8(t)); t++ {
		byName[t.String()] = t
	}
	var out [64]spec.MsgType
	for t := range out {
		out[t] = byName[raft.MessageType(t).String()]
	}
	return out
}

// startValidation validates the run's trace as it is written.
func (s *sim) startValidation() {
	tv, err := newTraceValidator(s.cfg.Nodes)
	if err != nil {
		s.violate("trace-validation", "%v", err)
		return
	}
	s.validator = tv
	s.trace.check = func(ev raft.TraceEvent) {
		if err := tv.step(ev); err != nil {
			s.violate("trace-validation", "%v", err)
		}
	}
}

// validated reports whether every event of the run was validated, and how
// many were.
func (s *sim) validated() (bool, int) {
	if s.validator == nil {
		return false, 0
	}
	tv := s.validator
	return tv.err == nil && tv.stopped == "", tv.v.Events()
}
