package harness

import (
	"encoding/json"
	"io"

	"github.com/raftcheck/raftcheck/raft"
)

// tracer writes the run's NDJSON trace: the core's actions, with the spec's
// names and variables, and the simulator's own events (faults, client
// operations, violations), all stamped with virtual time in nanoseconds.
// With no writer it does nothing.
type tracer struct {
	enc *json.Encoder
	err error
}

func newTracer(w io.Writer) *tracer {
	if w == nil {
		return &tracer{}
	}
	return &tracer{enc: json.NewEncoder(w)}
}

// traceRaft is one line for an action of a node's core.
type traceRaft struct {
	T int64 `json:"t"`
	raft.TraceEvent
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
	if t.enc != nil && t.err == nil {
		t.err = t.enc.Encode(traceRaft{T: now, TraceEvent: ev})
	}
}
