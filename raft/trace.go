package raft

// TraceEvent is one action of the core, named as in the TLA+ specification
// (tla/Raft.tla), with the spec's variables as they are after the action.
// Each event is one step of the spec: the trace validator in spec/ replays
// a run's events against the spec's actions, and tla/TraceRaft.tla does the
// same with TLC.
type TraceEvent struct {
	// Name is the spec action: Restart, Timeout, BecomeCandidate,
	// BecomeLeader, ClientRequest, ChangeConf, LeaveJoint,
	// AdvanceCommitIndex, AppendEntries, Heartbeat, SendSnapshot,
	// CheckQuorum, ElectionTimerElapsed, TransferLeadership,
	// SendTimeoutNow, AbortTransfer, ReadIndex, ServeReadIndex,
	// ForwardReadIndex, LeaseRead, UpdateTerm, or Handle<MessageType> for a
	// message received, whatever the handler made of it (a stale message is
	// handled by being dropped or refused, as in the spec).
	Name string `json:"name"`
	// Node is the node that took the action.
	Node uint64 `json:"nid"`
	// Msg is the message received or sent by the action, if any.
	Msg *Message `json:"msg,omitempty"`
	// State is the node's state after the action.
	State TraceState `json:"state"`
	// Read is set on the events of the read path: the read round a leader
	// starts (ReadIndex) or finds confirmed (ServeReadIndex), the index a
	// lease read may be served at (LeaseRead), and the forwarded read a
	// follower sends (ForwardReadIndex) or learns the index of (a
	// HandleReadIndexResponse it accepts; one it drops has no Read).
	Read *TraceRead `json:"read,omitempty"`
}

// TraceRead is a read's number and index. Seq is the leader's round (the
// sequence number of the heartbeat broadcast that started it) or the
// follower's number for its forwarded read; Index is the read index, the
// commit index the read is served at once applied.
type TraceRead struct {
	Seq   uint64 `json:"seq"`
	Index uint64 `json:"index"`
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
	// SnapshotIndex and SnapshotTerm are those of the node's latest
	// snapshot. The runtime compacts the log without the core taking an
	// action, so the validator infers the spec's CompactLog from them.
	SnapshotIndex uint64 `json:"snapshotIndex"`
	SnapshotTerm  uint64 `json:"snapshotTerm"`
	// LeaderRecent is the spec's leaderRecent: with CheckQuorum, whether the
	// node keeps its promise not to vote for a rival of the leader it heard
	// from within an election timeout (always so on a leader).
	LeaderRecent bool `json:"leaderRecent"`
	// LeadTransferee is the member a leadership transfer hands over to, or
	// None.
	LeadTransferee uint64 `json:"leadTransferee"`
	// Leader is the leader the node knows of, or None; the spec has no such
	// variable, and the validator does not read it.
	Leader uint64 `json:"leader"`
	// Config is the spec's Configuration(i): the configuration in effect,
	// that of the last configuration entry of the log (empty on a node that
	// joined and has none yet). ChangeConf's event carries the change here.
	Config ConfState `json:"config"`
}

// traceAction reports an action to the trace hook, if there is one. With
// no hook it does nothing and allocates nothing.
func (r *core) traceAction(name string, m *Message) {
	r.traceRead(name, m, nil)
}

// traceRead is traceAction for an event of the read path, with its read.
func (r *core) traceRead(name string, m *Message, read *TraceRead) {
	if r.cfg.Trace == nil {
		return
	}
	snapIndex := r.log.firstIndex() - 1
	ev := TraceEvent{
		Name: name,
		Node: r.id,
		State: TraceState{
			CurrentTerm:    r.term,
			State:          r.role.String(),
			VotedFor:       r.vote,
			CommitIndex:    r.log.committed,
			LastIndex:      r.log.lastIndex(),
			LastTerm:       r.log.lastTerm(),
			SnapshotIndex:  snapIndex,
			SnapshotTerm:   r.log.termOrZero(snapIndex),
			LeaderRecent:   r.inLease(),
			LeadTransferee: r.leadTransferee,
			Leader:         r.lead,
			Config:         cloneConfState(r.trk.conf),
		},
	}
	if m != nil {
		c := *m
		ev.Msg = &c
	}
	ev.Read = read
	r.cfg.Trace(ev)
}

// traceLeaseLapse reports the spec's ElectionTimerElapsed at the tick on
// which a follower's promise to the leader it heard from runs out: from
// then on it may vote for a rival, and the spec must know.
func (r *core) traceLeaseLapse() {
	if r.cfg.Trace != nil && r.cfg.CheckQuorum && r.role != Leader && r.ticks == r.stickyUntil {
		r.traceAction("ElectionTimerElapsed", nil)
	}
}

// handlerName is the spec action that receives a message of type t.
func handlerName(t MessageType) string { return "Handle" + t.String() }
