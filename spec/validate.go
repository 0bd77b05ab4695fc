package spec

import (
	"errors"
	"fmt"
)

// This file holds the trace validator: it replays an implementation's trace
// against the spec's actions, one event at a time.
//
// Long traces. A simulated run has thousands of entries and may pass term
// 255, while the model checker wants a small State it can copy and
// fingerprint fast. The validator uses the very State and action functions
// the checker uses, so there is one function per action and no second copy
// of its logic: numbers are Num (16 bits, up to MaxNum; the checker's bounds
// keep them below 256 and its fingerprints encode them in a byte each), and a Log is
// an immutable string of fixed-width entries, with no capacity, whose
// Prefix and SubSeq are substrings. The alternatives were worse: a generic
// State would make every action generic (and slower to call in the
// checker); a log abstracted to its last index and term could not run
// HandleAppendEntriesRequest's consistency check or AdvanceCommitIndex's
// rule on the term of the entry it commits; and a per-node projection
// rebuilt into a small State would need a window of indexes chosen per
// action, which is action logic again. The messages bag is left empty: a
// received message is taken from the event, as TraceRaft.tla does.

// Observed is the part of a server's state a trace event reports, under
// the spec's variable names. The log is observed through its last index
// and term, which the log matching property makes enough.
type Observed struct {
	CurrentTerm    Num
	State          ServerState
	VotedFor       int8 // Nil or a server
	Leader         int8 // Nil or a server: the leader known in the current term
	CommitIndex    Num
	LastIndex      Num
	LastTerm       Num
	SnapshotIndex  Num
	SnapshotTerm   Num
	LeadTransferee int8 // Nil or a server
	// LeaderRecent is the implementation's own: the spec's actions read it
	// (votes, UpdateTerm) but its timing is the implementation's clock, so
	// the validator takes it after every event rather than checking it.
	LeaderRecent bool
	// Conf is Configuration(i), or nil if the trace does not report it.
	// ChangeConf takes its voters and learners from it.
	Conf *Configuration
}

// TraceEvent is one event of an implementation trace: a spec action taken
// by Node, with its message and the node's observed state after it.
type TraceEvent struct {
	Action string
	Node   int      // the server, 0..Servers-1
	Peer   int      // the other server of a pair action, or -1
	Msg    *Message // the message received or sent, if any
	State  Observed
	// Read is the read of an event of the read path, if any (see
	// Validator.read).
	Read *TraceRead
}

// TraceRead is the read of a read-path event: a leader's round (ReadIndex,
// ServeReadIndex) or a follower's forwarded read (ForwardReadIndex, the
// HandleReadIndexResponse it accepts) by its number, and the read index
// (ServeReadIndex, LeaseRead, HandleReadIndexResponse). The numbers are
// the implementation's own, which need not fit a Num.
type TraceRead struct {
	Seq   uint64
	Index Num
}

// TraceMaxServers is the largest cluster whose traces can be validated: the
// spec's State holds at most MaxServers servers.
const TraceMaxServers = MaxServers

// ErrTrace is wrapped by every validation failure.
var ErrTrace = errors.New("trace does not follow the spec")

// Validator replays a trace. Its zero value is not usable; use
// NewValidator.
type Validator struct {
	sp *Spec
	// cur is the state after the events so far; next is scratch for the
	// successor, and the two swap after each step, so that a step copies
	// the State once (in the action, as in the checker).
	cur, next *State
	actions   map[string]*Action
	events    int
	// sent holds the requests the spec's leader actions sent (ledgerKey),
	// so that a request received must be one of them.
	sent map[Message]struct{}
	// rounds and forwarded hold, for each read round a leader started and
	// each read a follower forwarded, CommittedLog when it began: what
	// the read must include (see read).
	rounds, forwarded map[readKey]Log
}

// readKey names a leader's read round or a follower's forwarded read.
type readKey struct {
	node int
	seq  uint64
}

// NewValidator starts the validation of a trace of a model with c's
// servers and features; bounds on terms, logs and messages do not apply.
func NewValidator(sp *Spec) (*Validator, error) {
	if sp.Config.Servers < 1 || sp.Config.Servers > TraceMaxServers {
		return nil, fmt.Errorf("%w: %d servers, the validator holds 1..%d", ErrTrace, sp.Config.Servers, TraceMaxServers)
	}
	init := sp.Init()
	v := &Validator{sp: sp, cur: &init, next: new(State), actions: map[string]*Action{}, sent: map[Message]struct{}{},
		rounds: map[readKey]Log{}, forwarded: map[readKey]Log{}}
	for k := range sp.Actions {
		v.actions[sp.Actions[k].Name] = &sp.Actions[k]
	}
	return v, nil
}

// State is the spec state after the events so far.
func (v *Validator) State() *State { return v.cur }

// Events is the number of events validated.
func (v *Validator) Events() int { return v.events }

// Step checks that ev is a step of the spec from the current state and
// that the node's observed state after it is the spec's. On failure it
// names the event and the diverging variable; the validator's state is
// then that of a partial step, and only good for reporting.
func (v *Validator) Step(ev TraceEvent) error {
	if err := v.step(ev); err != nil {
		return fmt.Errorf("%w: event %d (%s, node %s): %v", ErrTrace, v.events, ev.Action, server(uint8(ev.Node)), err)
	}
	v.events++
	return nil
}

func (v *Validator) step(ev TraceEvent) error {
	i := ev.Node
	if i < 0 || i >= v.sp.n() || ev.Peer >= v.sp.n() {
		return fmt.Errorf("server out of range 0..%d", v.sp.n()-1)
	}
	// The runtime compacts the log without the core acting; that is the
	// spec's CompactLog, here inferred from the snapshot index.
	if ev.State.SnapshotIndex > v.cur.SnapshotIndex[i] && !(ev.Action == "HandleInstallSnapshotRequest" && ev.Msg != nil && ev.Msg.SnapshotIndex == ev.State.SnapshotIndex) {
		if err := v.apply("CompactLog", func(a *Action, s, t *State) bool {
			return a.value(v.sp, s, i, int(ev.State.SnapshotIndex), t)
		}); err != nil {
			return err
		}
	}
	if err := v.read(ev); err != nil {
		return err
	}
	if err := v.action(ev); err != nil {
		return err
	}
	if err := v.compare(i, ev.State); err != nil {
		return err
	}
	v.cur.LeaderRecent[i] = ev.State.LeaderRecent
	v.forgetReads(i, ev)
	return nil
}

// read checks an event of the read path against ReadLinearizable.
//
// The implementation batches reads into rounds, several in flight, where
// Raft.tla has one pending read per leader, so these events are not
// replayed as the spec's read actions. Each read is held instead to the
// property those actions exist for, on the spec's state of the whole
// group: a read must include CommittedLog as it was when the read began.
// For a leader's round that is when the round started (ReadIndex): every
// read of the round arrived before, and a round a quorum confirms was
// started by the only leader that could commit at the time, so its index
// covers everything committed by then. A lease read (LeaseRead) begins
// and is answered at once. A follower's forwarded read begins when it is
// sent (ForwardReadIndex); the answer it accepts must cover what was
// committed then, which a stale answer (a duplicate, or one to an earlier
// read) may not. The leader and lease reads are checked entry by entry
// against the leader's log; a follower may not hold its read index yet,
// so its answer is checked by length, which log matching makes enough.
func (v *Validator) read(ev TraceEvent) error {
	i := ev.Node
	s := v.cur
	r := ev.Read
	switch ev.Action {
	case "ReadIndex", "ServeReadIndex", "LeaseRead", "ForwardReadIndex":
		if r == nil {
			return fmt.Errorf("%s without its read", ev.Action)
		}
	case "HandleReadIndexResponse":
		if r == nil { // an answer the follower dropped
			return nil
		}
	default:
		return nil
	}
	served := func(required Log) error {
		if int(r.Index) > s.Log[i].Len() {
			return fmt.Errorf("read index %d is past the end of the log (%d)", r.Index, s.Log[i].Len())
		}
		res := ReadResult{Served: s.Log[i].Prefix(int(r.Index)), Required: required}
		if !res.Linearizable() {
			return fmt.Errorf("ReadLinearizable: read served at index %d, but entries up to %d were committed when it began", r.Index, required.Len())
		}
		return nil
	}
	k := readKey{i, r.Seq}
	switch ev.Action {
	case "ReadIndex":
		v.rounds[k] = v.sp.CommittedLog(s)
	case "ServeReadIndex":
		required, ok := v.rounds[k]
		if !ok {
			return fmt.Errorf("serves read round %d, which it did not start", r.Seq)
		}
		delete(v.rounds, k)
		return served(required)
	case "LeaseRead":
		return served(v.sp.CommittedLog(s))
	case "ForwardReadIndex":
		v.forwarded[k] = v.sp.CommittedLog(s)
	case "HandleReadIndexResponse":
		required, ok := v.forwarded[k]
		if !ok {
			return fmt.Errorf("takes an answer to forwarded read %d, which it did not send", r.Seq)
		}
		delete(v.forwarded, k)
		if int(r.Index) < required.Len() {
			return fmt.Errorf("ReadLinearizable: forwarded read answered with index %d, but entries up to %d were committed when it was sent", r.Index, required.Len())
		}
	}
	return nil
}

// forgetReads drops the reads of i that can no longer be served: all of
// them on a restart, a leader's rounds once it no longer leads (the
// implementation drops them then), so the maps stay small.
func (v *Validator) forgetReads(i int, ev TraceEvent) {
	restart := ev.Action == "Restart"
	if !restart && ev.State.State == Leader {
		return
	}
	for k := range v.rounds {
		if k.node == i {
			delete(v.rounds, k)
		}
	}
	if restart {
		for k := range v.forwarded {
			if k.node == i {
				delete(v.forwarded, k)
			}
		}
	}
}

// action applies ev's action.
func (v *Validator) action(ev TraceEvent) error {
	i, j := ev.Node, ev.Peer
	s := v.cur
	var m Message
	if ev.Msg != nil {
		m = *ev.Msg
		if int(m.Source) >= v.sp.n() || int(m.Dest) >= v.sp.n() {
			return fmt.Errorf("message %v names a server out of range", m)
		}
	}
	if ev.Action == "Restart" && int(ev.State.LastIndex) < s.LastIndex(i) && ev.State.LastIndex >= s.CommitIndex[i] {
		// The runtime syncs a leader's new entries with the next Ready,
		// before it sends them; a crash before that loses them, unsent.
		// The spec's log has no durable part apart from the rest, so the
		// validator drops that unsent tail here, and only above the
		// commit index.
		s.Log[i] = s.Log[i].Prefix(int(ev.State.LastIndex))
	}
	needMsg := func() error {
		if ev.Msg == nil {
			return fmt.Errorf("no message")
		}
		return nil
	}
	switch ev.Action {
	case "ChangeConf":
		if ev.State.Conf == nil {
			return fmt.Errorf("ChangeConf without the configuration it made")
		}
		c := *ev.State.Conf
		return v.apply("ChangeConf", func(a *Action, s, t *State) bool { return a.conf(v.sp, s, i, c.Voters, c.Learners, t) })
	case "ClientRequest":
		// The implementation appends a batch of proposals in one action:
		// one ClientRequest per entry.
		n := int(ev.State.LastIndex) - s.LastIndex(i)
		if n < 1 {
			return fmt.Errorf("log: ClientRequest appended %d entries", n)
		}
		for range n {
			if err := v.apply("ClientRequest", func(a *Action, s, t *State) bool { return a.value(v.sp, s, i, 1, t) }); err != nil {
				return err
			}
		}
		return nil
	case "ReadIndex", "ServeReadIndex", "LeaseRead", "ForwardReadIndex":
		// Checked by read, not replayed (see read); they must change none
		// of the observed variables.
		return nil
	case "AppendEntries", "Heartbeat", "SendSnapshot":
		if err := needMsg(); err != nil {
			return err
		}
		j = int(m.Dest)
		// nextIndex is the implementation's to choose (it sends ahead of
		// acknowledgements): an append's message says what it was, and a
		// snapshot goes out only for a nextIndex at or below the compacted
		// prefix (the snapshot itself may be newer).
		switch ev.Action {
		case "AppendEntries":
			s.NextIndex[i][j] = m.PrevLogIndex + 1
		case "SendSnapshot":
			s.NextIndex[i][j] = min(s.NextIndex[i][j], s.SnapshotIndex[i])
		}
	case "HandleInstallSnapshotRequest":
		if err := needMsg(); err != nil {
			return err
		}
		// The image is the sender's committed prefix, which no later
		// action of the sender changes.
		src := int(m.Source)
		idx := int(m.SnapshotIndex)
		if idx > s.Log[src].Len() || s.TermAt(src, idx) != int(m.SnapshotTerm) {
			return fmt.Errorf("snapshot at %d term %d is not in the log of its sender %s", idx, m.SnapshotTerm, server(m.Source))
		}
		m.Entries = s.Log[src].Prefix(idx)
	}
	if ev.Msg != nil && ledgered(m.Type) && isReceive(ev.Action) {
		if _, ok := v.sent[ledgerKey(m)]; !ok {
			return fmt.Errorf("received %v, which no step of the spec sent", m)
		}
	}
	return v.apply(ev.Action, func(a *Action, s, t *State) bool {
		switch {
		case a.global != nil:
			return a.global(v.sp, s, t)
		case a.server != nil:
			return a.server(v.sp, s, i, t)
		case a.pair != nil:
			return j >= 0 && a.pair(v.sp, s, i, j, t)
		case a.receive != nil:
			return ev.Msg != nil && int(m.Dest) == i && a.receive(v.sp, s, i, int(m.Source), m, t)
		case a.message != nil:
			return ev.Msg != nil && a.message(v.sp, s, m, t)
		}
		return false
	})
}

// apply takes the step of the action called name from the current state,
// with the messages bag left empty: fn calls the action from s into t.
func (v *Validator) apply(name string, fn func(a *Action, s, t *State) bool) error {
	a := v.actions[name]
	if a == nil {
		return fmt.Errorf("no action %s in the spec", name)
	}
	v.cur.Messages = nil
	if !fn(a, v.cur, v.next) {
		return fmt.Errorf("%s is not enabled in the spec's state", name)
	}
	for _, p := range v.next.Messages {
		if ledgered(p.Msg.Type) {
			v.sent[ledgerKey(p.Msg)] = struct{}{}
		}
	}
	v.next.Messages = nil
	v.cur, v.next = v.next, v.cur
	return nil
}

// ledgered reports whether requests of type t are checked against what
// the spec sent: a leader's requests, which the trace shows being sent
// (their senders' actions carry them) and whose content the spec fixes.
// The implementation's read rounds number heartbeats differently (see
// ReadIndex), so a heartbeat is compared without its sequence number. An
// InstallSnapshotRequest is not checked: the implementation keeps entries
// after its latest snapshot (it compacts to some entries before it) and
// sends that snapshot, while the spec's one snapshotIndex is both.
func ledgered(t MsgType) bool {
	return t == AppendEntriesRequest || t == HeartbeatRequest || t == TimeoutNowRequest
}

func ledgerKey(m Message) Message {
	m.Seq = 0
	return m
}

// isReceive reports whether the action receives its message.
func isReceive(action string) bool {
	return action == "UpdateTerm" || len(action) > 6 && action[:6] == "Handle"
}

// action is the action called name, or nil.
func (sp *Spec) action(name string) *Action {
	for k := range sp.Actions {
		if sp.Actions[k].Name == name {
			return &sp.Actions[k]
		}
	}
	return nil
}

// compare reports the first observed variable of i on which the spec's
// state differs.
func (v *Validator) compare(i int, o Observed) error {
	s := v.cur
	diff := func(name string, spec, impl any) error {
		return fmt.Errorf("%s: spec %v, implementation %v", name, spec, impl)
	}
	switch {
	case s.CurrentTerm[i] != o.CurrentTerm:
		return diff("currentTerm", s.CurrentTerm[i], o.CurrentTerm)
	case s.State[i] != o.State:
		return diff("state", s.State[i], o.State)
	case s.VotedFor[i] != o.VotedFor:
		return diff("votedFor", serverOrNil(s.VotedFor[i]), serverOrNil(o.VotedFor))
	case s.Leader[i] != o.Leader:
		return diff("leader", serverOrNil(s.Leader[i]), serverOrNil(o.Leader))
	case Num(s.LastIndex(i)) != o.LastIndex:
		return diff("log (last index)", s.LastIndex(i), o.LastIndex)
	case Num(s.LastTerm(i)) != o.LastTerm:
		return diff("log (last term)", s.LastTerm(i), o.LastTerm)
	case s.CommitIndex[i] != o.CommitIndex:
		return diff("commitIndex", s.CommitIndex[i], o.CommitIndex)
	case s.SnapshotIndex[i] != o.SnapshotIndex:
		return diff("snapshotIndex", s.SnapshotIndex[i], o.SnapshotIndex)
	case s.SnapshotTerm[i] != o.SnapshotTerm:
		return diff("snapshotTerm", s.SnapshotTerm[i], o.SnapshotTerm)
	case s.LeadTransferee[i] != o.LeadTransferee:
		return diff("leadTransferee", serverOrNil(s.LeadTransferee[i]), serverOrNil(o.LeadTransferee))
	case o.Conf != nil && v.sp.Configuration(s, i) != *o.Conf:
		return diff("configuration", v.sp.Configuration(s, i), *o.Conf)
	}
	return nil
}
