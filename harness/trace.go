package harness

import (
	"encoding/json"
	"io"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/spec"
)

// tracer writes the run's NDJSON trace: the core's actions, with the spec's
// names and variables, and the simulator's own events (faults, client
// operations, violations), all stamped with virtual time in nanoseconds.
// With no writer it does nothing.
type tracer struct {
	enc *json.Encoder
	err error
	// check, if set, sees every core event first: the trace validator.
	check func(raft.TraceEvent)
}

func newTracer(w io.Writer) *tracer {
	if w == nil {
		return &tracer{}
	}
	return &tracer{enc: json.NewEncoder(w)}
}

// traceRaft is one line for an action of a node's core: the spec's action,
// its message as the spec's record (with node IDs for servers), and the
// node's variables after it. tla/TraceRaft.tla reads these lines.
type traceRaft struct {
	T     int64           `json:"t"`
	Name  string          `json:"name"`
	Node  uint64          `json:"nid"`
	Msg   *traceMsg       `json:"msg,omitempty"`
	State raft.TraceState `json:"state"`
	// Read is the read of a read-path event (raft.TraceEvent.Read).
	Read *raft.TraceRead `json:"read,omitempty"`
}

// traceMsg is a message under the spec's field names. Every field is
// written, whatever the type, so that a reader builds records without
// asking which fields exist.
type traceMsg struct {
	Type          string       `json:"mtype"`
	Source        uint64       `json:"msource"`
	Dest          uint64       `json:"mdest"`
	Term          uint64       `json:"mterm"`
	LastLogTerm   uint64       `json:"mlastLogTerm"`
	LastLogIndex  uint64       `json:"mlastLogIndex"`
	Transfer      bool         `json:"mtransfer"`
	Granted       bool         `json:"mgranted"`
	PrevLogIndex  uint64       `json:"mprevLogIndex"`
	PrevLogTerm   uint64       `json:"mprevLogTerm"`
	CommitIndex   uint64       `json:"mcommitIndex"`
	Success       bool         `json:"msuccess"`
	MatchIndex    uint64       `json:"mmatchIndex"`
	Seq           uint64       `json:"mseq"`
	Index         uint64       `json:"mindex"`
	SnapshotIndex uint64       `json:"msnapshotIndex"`
	SnapshotTerm  uint64       `json:"msnapshotTerm"`
	Entries       []traceEntry `json:"mentries"`
}

type traceEntry struct {
	Term  uint64 `json:"term"`
	Value uint8  `json:"value"`
}

func newTraceMsg(m *raft.Message) *traceMsg {
	if m == nil {
		return nil
	}
	sm, _ := specMessage(m, 0, valueEntries) // valueEntries never fails
	out := &traceMsg{Type: m.Type.String(), Source: m.From, Dest: m.To, Term: m.Term,
		LastLogTerm: uint64(sm.LastLogTerm), LastLogIndex: uint64(sm.LastLogIndex), Transfer: sm.Transfer,
		Granted: sm.Granted, PrevLogIndex: uint64(sm.PrevLogIndex), PrevLogTerm: uint64(sm.PrevLogTerm),
		CommitIndex: uint64(sm.CommitIndex), Success: sm.Success, MatchIndex: uint64(sm.MatchIndex),
		Seq: uint64(sm.Seq), Index: uint64(sm.Index), SnapshotIndex: uint64(sm.SnapshotIndex),
		SnapshotTerm: uint64(sm.SnapshotTerm), Entries: []traceEntry{}}
	for k := 1; k <= sm.Entries.Len(); k++ {
		e := sm.Entries.At(k)
		out.Entries = append(out.Entries, traceEntry{Term: uint64(e.Term), Value: e.Value})
	}
	return out
}

// valueEntries is the entries of a trace file: their terms, with value 0
// for a leader's no-op and 1 for anything else (a configuration entry
// included).
func valueEntries(ents []raft.Entry) (spec.Log, error) {
	es := make([]spec.Entry, len(ents))
	for k, e := range ents {
		es[k].Term = num(e.Term)
		if e.Type != raft.EntryNormal || len(e.Data) > 0 {
			es[k].Value = 1
		}
	}
	return spec.LogOf(es...), nil
}

// traceSim is one line for an event of the simulator.
type traceSim struct {
	T      int64  `json:"t"`
	Sim    string `json:"sim"`
	Node   uint64 `json:"nid,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func (t *tracer) write(v traceSim) {
	if t.enc != nil && t.err == nil {
		t.err = t.enc.Encode(v)
	}
}

func (t *tracer) writeRaft(now int64, ev raft.TraceEvent) {
	if t.check != nil {
		t.check(ev)
	}
	if t.enc != nil && t.err == nil {
		st := ev.State
		st.Config = listedConf(st.Config)
		t.err = t.enc.Encode(traceRaft{T: now, Name: ev.Name, Node: ev.Node, Msg: newTraceMsg(ev.Msg), State: st, Read: ev.Read})
	}
}

// listedConf is cs with an empty list, never null, for each empty set of
// nodes: TLC's Json module reads a JSON null as no value, which
// TraceRaft.tla could not even compare to an empty set.
func listedConf(cs raft.ConfState) raft.ConfState {
	for _, ids := range []*[]uint64{&cs.Voters, &cs.VotersOutgoing, &cs.Learners} {
		if *ids == nil {
			*ids = []uint64{}
		}
	}
	return cs
}
