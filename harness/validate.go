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
//
// Servers. The spec has spec.MaxServers server slots: the bootstrap voters
// 1..n are its InitServer, s1..sn, and every other node takes the next
// free slot when the trace first names it (a fresh node that joins, with
// no configuration, as the spec's servers outside InitServer start). A run
// that names more nodes than there are slots, or starts a stranger (a node
// that bootstraps with a configuration of its own, which no spec server
// does), is validated up to there.
type traceValidator struct {
	v   *spec.Validator
	err error
	// stopped says why validation ended before the run did, without a
	// failure: the run went where the spec does not follow (see step).
	stopped string
	// slots maps node IDs to spec servers; next is the next free one.
	slots map[uint64]int8
	next  int8
	// boot is the bootstrap configuration, InitConfiguration of s1..sn.
	boot spec.Configuration
	// msg and conf are scratch for the message and configuration of the
	// event being validated.
	msg      spec.Message
	conf     spec.Configuration
	msgTypes [64]spec.MsgType
}

// newTraceValidator validates a cluster of bootstrap voters 1..n, which
// others may join, with the features the simulator turns on in every core.
func newTraceValidator(n int) (*traceValidator, error) {
	if n < 1 || n > spec.MaxServers {
		return nil, fmt.Errorf("%w: %d servers, the validator holds 1..%d", spec.ErrTrace, n, spec.MaxServers)
	}
	sp := spec.New(spec.Config{Servers: spec.MaxServers, InitServers: n, Membership: true,
		Values: 1, PreVote: true, CheckQuorum: true, Snapshot: true, Transfer: true})
	v, err := spec.NewValidator(sp)
	if err != nil {
		return nil, err
	}
	tv := &traceValidator{v: v, slots: map[uint64]int8{}, boot: spec.Configuration{Voters: spec.Set(1<<uint(n) - 1)}, msgTypes: msgTypeTable()}
	for id := uint64(1); id <= uint64(n); id++ {
		tv.slots[id] = tv.next
		tv.next++
	}
	return tv, nil
}

// nodeStarting tells the validator of a node started during the run,
// before its first event. A stranger believes it is a voter of a
// configuration that no entry carries, which the spec does not describe.
func (tv *traceValidator) nodeStarting(id uint64, stranger bool) {
	if stranger && tv.err == nil && tv.stopped == "" {
		tv.stopped = fmt.Sprintf("node %d started at trace event %d as a stranger, with a configuration of its own, which the spec does not describe", id, tv.v.Events())
	}
}

// step validates one event. After the first failure it does nothing: the
// run stops at that violation.
func (tv *traceValidator) step(ev raft.TraceEvent) error {
	if tv.err != nil || tv.stopped != "" {
		return nil
	}
	sev, err := tv.convert(ev)
	switch {
	case errors.Is(err, errTooLong):
		tv.stopped = fmt.Sprintf("trace event %d (%s of node %d): term %d or index %d is past %d, the largest the spec's State holds",
			tv.v.Events(), ev.Name, ev.Node, ev.State.CurrentTerm, ev.State.LastIndex, spec.MaxNum)
		return nil
	case errors.Is(err, errNoSlot):
		tv.stopped = fmt.Sprintf("trace event %d (%s of node %d): %v", tv.v.Events(), ev.Name, ev.Node, err)
		return nil
	case err != nil:
		tv.err = fmt.Errorf("trace event %d: %w", tv.v.Events(), err)
		return tv.err
	}
	tv.err = tv.v.Step(sev) // its error names the event
	return tv.err
}

// server is the spec's server of node id, or Nil for None; a node not
// seen before takes the next free slot.
func (tv *traceValidator) server(id uint64) (int8, error) {
	if id == raft.None {
		return spec.Nil, nil
	}
	if k, ok := tv.slots[id]; ok {
		return k, nil
	}
	if int(tv.next) >= spec.MaxServers {
		return 0, fmt.Errorf("%w: node %d would be the spec's server %d", errNoSlot, id, tv.next+1)
	}
	k := tv.next
	tv.slots[id] = k
	tv.next++
	return k, nil
}

// set is ids as a set of the spec's servers.
func (tv *traceValidator) set(ids []uint64) (spec.Set, error) {
	var out spec.Set
	for _, id := range ids {
		if id == raft.None {
			return 0, fmt.Errorf("node ID 0 in a configuration")
		}
		k, err := tv.server(id)
		if err != nil {
			return 0, err
		}
		out = out.With(int(k))
	}
	return out, nil
}

// configuration is cs in the spec's terms.
func (tv *traceValidator) configuration(cs raft.ConfState) (spec.Configuration, error) {
	var c spec.Configuration
	var err error
	if c.Voters, err = tv.set(cs.Voters); err != nil {
		return c, err
	}
	if c.Outgoing, err = tv.set(cs.VotersOutgoing); err != nil {
		return c, err
	}
	if c.Learners, err = tv.set(cs.Learners); err != nil {
		return c, err
	}
	// Raft.tla's joint configurations all leave automatically; one the
	// core leaves on an explicit empty change is left by the same
	// LeaveJoint step, only later (tla/README.md), so it is the spec's
	// joint configuration with autoLeave.
	c.AutoLeave = cs.AutoLeave || cs.IsJoint()
	return c, nil
}

// convert maps an event of the core to the spec's terms: node IDs become
// servers (see traceValidator), None becomes Nil. The message and
// configuration it returns are scratch, valid until the next call.
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
	var srv [len(ids)]int8
	for k, id := range ids {
		var err error
		if srv[k], err = tv.server(id); err != nil {
			return spec.TraceEvent{}, err
		}
	}
	if ev.Node == raft.None {
		return spec.TraceEvent{}, fmt.Errorf("%s of node 0", ev.Name)
	}
	conf, err := tv.configuration(st.Config)
	if err != nil {
		return spec.TraceEvent{}, err
	}
	tv.conf = conf
	observed := &tv.conf
	if i := int(srv[0]); conf == tv.boot && tv.v.State().Log[i].LastConf() == 0 {
		// A node that joined and installed a snapshot taken before any
		// configuration entry holds the snapshot's configuration, the
		// bootstrap one; Raft.tla's Configuration(i) falls back to
		// InitConfiguration(i), which is none outside InitServer. Either
		// way the node is no voter (it can neither campaign nor lead), so
		// no action tells them apart, and the spec's does not hold the
		// implementation's: the configuration goes unchecked until the
		// node's log has a configuration entry.
		observed = nil
	}
	out := spec.TraceEvent{
		Action: ev.Name,
		Node:   int(srv[0]),
		Peer:   -1,
		State: spec.Observed{
			CurrentTerm: num(st.CurrentTerm), State: role, VotedFor: srv[1], Leader: srv[3],
			CommitIndex: num(st.CommitIndex), LastIndex: num(st.LastIndex), LastTerm: num(st.LastTerm),
			SnapshotIndex: num(st.SnapshotIndex), SnapshotTerm: num(st.SnapshotTerm),
			LeadTransferee: srv[2], LeaderRecent: st.LeaderRecent, Conf: observed,
		},
	}
	if ev.Name == "TransferLeadership" {
		out.Peer = int(srv[2])
	}
	if r := ev.Read; r != nil {
		if r.Index > spec.MaxNum {
			return spec.TraceEvent{}, errTooLong
		}
		out.Read = &spec.TraceRead{Seq: r.Seq, Index: num(r.Index)}
	}
	if m := ev.Msg; m != nil {
		var typ spec.MsgType
		if int(m.Type) < len(tv.msgTypes) {
			typ = tv.msgTypes[m.Type]
		}
		if typ == 0 {
			return spec.TraceEvent{}, fmt.Errorf("%s of node %d: message type %v has no spec counterpart", ev.Name, ev.Node, m.Type)
		}
		// Only the receiver reads an append's entries; the sender's are
		// the spec's own.
		var ents func([]raft.Entry) (spec.Log, error)
		if ev.Name == "HandleAppendEntriesRequest" || ev.Name == "UpdateTerm" {
			ents = tv.entries
		}
		var err error
		tv.msg, err = specMessage(m, typ, ents)
		if err != nil {
			return spec.TraceEvent{}, fmt.Errorf("%s of node %d: %w", ev.Name, ev.Node, err)
		}
		tv.msg.Source, tv.msg.Dest = uint8(srv[4]), uint8(srv[5])
		out.Msg = &tv.msg
	}
	return out, nil
}

// errNoSlot stops validation, without failing the run, at a node past the
// spec's server slots.
var errNoSlot = errors.New("past the spec's servers")

// errTooLong stops validation, without failing the run, at a term or index
// past spec.MaxNum: a very long run is validated up to there.
var errTooLong = errors.New("past the spec's numbers")

// num is x as a spec number; convert has checked that it fits.
func num(x uint64) spec.Num { return spec.Num(x) }

// specMessage is m as the spec's record of type typ, with the entries as
// ents makes them (none if ents is nil); the caller sets its servers.
func specMessage(m *raft.Message, typ spec.MsgType, ents func([]raft.Entry) (spec.Log, error)) (spec.Message, error) {
	sm := spec.Message{Type: typ, Term: num(m.Term)}
	switch m.Type {
	case raft.PreVoteRequest, raft.RequestVoteRequest:
		sm.LastLogTerm, sm.LastLogIndex, sm.Transfer = num(m.LogTerm), num(m.Index), m.Transfer
	case raft.PreVoteResponse, raft.RequestVoteResponse:
		sm.Granted = !m.Reject
	case raft.AppendEntriesRequest:
		sm.PrevLogIndex, sm.PrevLogTerm, sm.CommitIndex = num(m.Index), num(m.LogTerm), num(m.Commit)
		if ents != nil {
			var err error
			if sm.Entries, err = ents(m.Entries); err != nil {
				return sm, err
			}
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
	// A forwarded read's number (Seq of ReadIndexRequest and
	// ReadIndexResponse, the spec's mseq) is not mapped: the core's is
	// forwardSeq, counted from a random 64-bit start per incarnation, which
	// no spec.Num holds, and the spec's is 1, 2, ... per server. The trace
	// has no ForwardReadIndex event, so in validation the spec's
	// followerRead stays "None" and HandleReadIndexResponse discards every
	// answer whatever its mseq; a leader's pendingRead.seq, taken from the
	// request, is read only by ServeReadIndex, which no event replays. The
	// spec's mseq of a read is therefore 0 here, and in the NDJSON trace
	// that TraceRaft.tla replays the same way. Validating forwarded reads
	// would map each follower's numbers, in the order it forwards them, to
	// the spec's 1, 2, ....
	return sm, nil
}

// entries is the spec's view of entries: their terms, with value 0 for a
// leader's no-op and for a configuration entry, which carries its
// configuration, and 1 for anything else.
func (tv *traceValidator) entries(ents []raft.Entry) (spec.Log, error) {
	es := make([]spec.Entry, len(ents))
	for k, e := range ents {
		es[k].Term = num(e.Term)
		switch {
		case e.Type == raft.EntryConfChange:
			cs, err := raft.DecodeConfState(e.Data)
			if err != nil {
				return spec.Log{}, fmt.Errorf("configuration entry %d: %w", e.Index, err)
			}
			if es[k].Conf, err = tv.configuration(cs); err != nil {
				return spec.Log{}, err
			}
		case e.Type != raft.EntryNormal || len(e.Data) > 0:
			es[k].Value = 1
		}
	}
	return spec.LogOf(es...), nil
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
