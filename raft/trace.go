package raft

// TraceEvent is one action of the core, named as in the TLA+ specification
// (tla/Raft.tla), with the spec's variables as they are after the action.
// The trace validator in spec/ replays a sequence of them against the spec.
type TraceEvent struct {
	// Name is the spec action: Restart, Timeout, BecomeCandidate,
	// BecomeLeader, ClientRequest, AdvanceCommitIndex, AppendEntries,
	// Heartbeat, SendSnapshot, CheckQuorum, UpdateTerm, DropStaleMessage, or
	// Handle<MessageType> for a message received.
	Name string `json:"name"`
	// Node is the node that took the action.
	Node uint64 `json:"nid"`
	// Msg is the message received or sent by the action, if any.
	Msg *Message `json:"msg,omitempty"`
	// State is the node's state after the action.
	State TraceState `json:"state"`
}

// TraceState is the part of a node's state the spec models, under the
// spec's variable names.
type TraceState struct {
	CurrentTerm uint64 `json:"currentTerm"`
	State       string `json:"state"`
	VotedFor    uint64 `json:"votedFor"`
	CommitIndex uint64 `json:"commitIndex"`
	// LastIndex and LastTerm stand for the log: the spec's log variable is
	// matched by its last entry, which the log matching property makes
	// enough.
	LastIndex uint64 `json:"lastIndex"`
	LastTerm  uint64 `json:"lastTerm"`
	Leader    uint64 `json:"leader"`
}

// traceAction reports an action to the trace hook, if there is one. With
// no hook it does nothing and allocates nothing.
func (r *core) traceAction(name string, m *Message) {
	if r.cfg.Trace == nil {
		return
	}
	ev := TraceEvent{
		Name: name,
		Node: r.id,
		State: TraceState{
			CurrentTerm: r.term,
			State:       r.role.String(),
			VotedFor:    r.vote,
			CommitIndex: r.log.committed,
			LastIndex:   r.log.lastIndex(),
			LastTerm:    r.log.lastTerm(),
			Leader:      r.lead,
		},
	}
	if m != nil {
		c := *m
		ev.Msg = &c
	}
	r.cfg.Trace(ev)
}

// handlerName is the spec action that receives a message of type t.
func handlerName(t MessageType) string { return "Handle" + t.String() }
