package spec

import (
	"fmt"
	"strings"
)

// Label names one step of Next: the action and its parameters.
type Label struct {
	Action string
	Params [3]int   // servers (as s1..sn), values, indexes or server sets, in TLA+ order
	Msg    *Message // the message of a receive or network action, if any
	kinds  string   // one letter per parameter used: s server, v value, x index, m set of servers
}

// String renders the label as a TLA+ action instance, e.g. Timeout(s1).
func (l Label) String() string {
	var args []string
	for k := range len(l.kinds) {
		p := l.Params[k]
		switch l.kinds[k] {
		case 's':
			args = append(args, fmt.Sprintf("s%d", p+1))
		case 'm':
			args = append(args, Set(p).String())
		default:
			args = append(args, fmt.Sprint(p))
		}
	}
	if l.Msg != nil {
		args = append(args, l.Msg.String())
	}
	return l.Action + "(" + strings.Join(args, ", ") + ")"
}

// Emit receives one successor of a state. next is scratch space, valid only
// during the call.
type Emit func(l Label, next *State)

// Action is one action of Next with the enumeration of its parameters.
// Successors calls emit with each successor of s, built in the scratch t.
type Action struct {
	Name       string
	Successors func(sp *Spec, s, t *State, emit Emit)

	// The action's function, by the kind of its parameters; one is set.
	// The trace validator calls it with the parameters an event names.
	global  func(*Spec, *State, *State) bool
	server  func(*Spec, *State, int, *State) bool
	pair    func(*Spec, *State, int, int, *State) bool
	value   func(*Spec, *State, int, int, *State) bool // value or index
	receive func(*Spec, *State, int, int, Message, *State) bool
	message func(*Spec, *State, Message, *State) bool
	conf    func(*Spec, *State, int, Set, Set, *State) bool
}

// GlobalAction is an action without parameters.
func GlobalAction(name string, fn func(*Spec, *State, *State) bool) Action {
	return Action{Name: name, global: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		if fn(sp, s, t) {
			emit(Label{Action: name}, t)
		}
	}}
}

// ServerAction enumerates fn over i \in Server.
func ServerAction(name string, fn func(*Spec, *State, int, *State) bool) Action {
	return Action{Name: name, server: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for i := range sp.n() {
			if fn(sp, s, i, t) {
				emit(Label{Action: name, Params: [3]int{i}, kinds: "s"}, t)
			}
		}
	}}
}

// PairAction enumerates fn over i, j \in Server.
func PairAction(name string, fn func(*Spec, *State, int, int, *State) bool) Action {
	return Action{Name: name, pair: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for i := range sp.n() {
			for j := range sp.n() {
				if fn(sp, s, i, j, t) {
					emit(Label{Action: name, Params: [3]int{i, j}, kinds: "ss"}, t)
				}
			}
		}
	}}
}

// ValueAction enumerates fn over i \in Server, v \in Value (1..Values).
func ValueAction(name string, fn func(*Spec, *State, int, int, *State) bool) Action {
	return Action{Name: name, value: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for i := range sp.n() {
			for v := 1; v <= sp.Config.Values; v++ {
				if fn(sp, s, i, v, t) {
					emit(Label{Action: name, Params: [3]int{i, v}, kinds: "sv"}, t)
				}
			}
		}
	}}
}

// IndexAction enumerates fn over i \in Server, idx \in 1..MaxLogLen.
func IndexAction(name string, fn func(*Spec, *State, int, int, *State) bool) Action {
	return Action{Name: name, value: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for i := range sp.n() {
			for idx := 1; idx <= sp.Config.MaxLogLen; idx++ {
				if fn(sp, s, i, idx, t) {
					emit(Label{Action: name, Params: [3]int{i, idx}, kinds: "sx"}, t)
				}
			}
		}
	}}
}

// ReceiveAction enumerates fn(i, j, m) over m \in DOMAIN messages with
// i = m.mdest and j = m.msource, as Receive(m) does.
func ReceiveAction(name string, fn func(*Spec, *State, int, int, Message, *State) bool) Action {
	return Action{Name: name, receive: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for k := range s.Messages {
			m := &s.Messages[k].Msg
			i, j := int(m.Dest), int(m.Source)
			if fn(sp, s, i, j, *m, t) {
				emit(Label{Action: name, Params: [3]int{i, j}, Msg: m, kinds: "ss"}, t)
			}
		}
	}}
}

// MessageAction enumerates fn over m \in DOMAIN messages.
func MessageAction(name string, fn func(*Spec, *State, Message, *State) bool) Action {
	return Action{Name: name, message: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		for k := range s.Messages {
			m := &s.Messages[k].Msg
			if fn(sp, s, *m, t) {
				emit(Label{Action: name, Msg: m}, t)
			}
		}
	}}
}

// DefaultActions are the disjuncts of Next in tla/Raft.tla, in its order,
// with Receive(m) expanded into its disjuncts.
func DefaultActions() []Action {
	return []Action{
		ServerAction("Restart", (*Spec).Restart),
		ServerAction("Timeout", (*Spec).Timeout),
		ServerAction("BecomeCandidate", (*Spec).BecomeCandidate),
		ServerAction("BecomeLeader", (*Spec).BecomeLeader),
		ServerAction("CheckQuorum", (*Spec).CheckQuorum),
		ServerAction("ElectionTimerElapsed", (*Spec).ElectionTimerElapsed),
		ValueAction("ClientRequest", (*Spec).ClientRequest),
		ConfAction("ChangeConf", (*Spec).ChangeConf),
		ServerAction("LeaveJoint", (*Spec).LeaveJoint),
		ServerAction("AdvanceCommitIndex", (*Spec).AdvanceCommitIndex),
		PairAction("AppendEntries", (*Spec).AppendEntries),
		PairAction("Heartbeat", (*Spec).Heartbeat),
		PairAction("SendSnapshot", (*Spec).SendSnapshot),
		IndexAction("CompactLog", (*Spec).CompactLog),
		PairAction("TransferLeadership", (*Spec).TransferLeadership),
		ServerAction("SendTimeoutNow", (*Spec).SendTimeoutNow),
		ServerAction("AbortTransfer", (*Spec).AbortTransfer),
		GlobalAction("Tick", (*Spec).Tick),
		ServerAction("ReadIndex", (*Spec).ReadIndex),
		ServerAction("ServeReadIndex", (*Spec).ServeReadIndex),
		ServerAction("LeaseRead", (*Spec).LeaseRead),
		PairAction("ForwardReadIndex", (*Spec).ForwardReadIndex),
		ServerAction("ServeFollowerRead", (*Spec).ServeFollowerRead),
		ReceiveAction("UpdateTerm", (*Spec).UpdateTerm),
		ReceiveAction("HandlePreVoteRequest", (*Spec).HandlePreVoteRequest),
		ReceiveAction("HandlePreVoteResponse", (*Spec).HandlePreVoteResponse),
		ReceiveAction("HandleRequestVoteRequest", (*Spec).HandleRequestVoteRequest),
		ReceiveAction("HandleRequestVoteResponse", (*Spec).HandleRequestVoteResponse),
		ReceiveAction("HandleAppendEntriesRequest", (*Spec).HandleAppendEntriesRequest),
		ReceiveAction("HandleAppendEntriesResponse", (*Spec).HandleAppendEntriesResponse),
		ReceiveAction("HandleHeartbeatRequest", (*Spec).HandleHeartbeatRequest),
		ReceiveAction("HandleHeartbeatResponse", (*Spec).HandleHeartbeatResponse),
		ReceiveAction("HandleInstallSnapshotRequest", (*Spec).HandleInstallSnapshotRequest),
		ReceiveAction("HandleTimeoutNowRequest", (*Spec).HandleTimeoutNowRequest),
		ReceiveAction("HandleReadIndexRequest", (*Spec).HandleReadIndexRequest),
		ReceiveAction("HandleReadIndexResponse", (*Spec).HandleReadIndexResponse),
		MessageAction("DropMessage", (*Spec).DropMessage),
		MessageAction("DuplicateMessage", (*Spec).DuplicateMessage),
	}
}

// ActionNames is the registry of the actions of Raft.tla's Next.
func ActionNames() []string {
	var names []string
	for _, a := range DefaultActions() {
		names = append(names, a.Name)
	}
	return names
}

// ReplaceAction swaps the action called name for a, so that a test can
// plant a bug. It panics if there is no such action.
func (sp *Spec) ReplaceAction(name string, a Action) {
	inner := a.Successors
	a.Name = name
	a.Successors = func(sp *Spec, s, t *State, emit Emit) {
		inner(sp, s, t, func(l Label, next *State) {
			l.Action = name
			emit(l, next)
		})
	}
	for k := range sp.Actions {
		if sp.Actions[k].Name == name {
			sp.Actions[k] = a
			return
		}
	}
	panic("spec: no action " + name)
}

// Successors calls emit for every successor of s under Next.
func (sp *Spec) Successors(s *State, emit Emit) {
	var t State
	for k := range sp.Actions {
		sp.Actions[k].Successors(sp, s, &t, emit)
	}
}

// Constraint is StateConstraint: the bounds of the model.
func (sp *Spec) Constraint(s *State) bool {
	c := sp.Config
	for i := range c.Servers {
		if int(s.CurrentTerm[i]) > c.MaxTerm || s.Log[i].Len() > c.MaxLogLen {
			return false
		}
	}
	for i := range c.Servers {
		if int(s.ReadSeq[i]) > c.MaxReads || int(s.FollowerRead[i].Seq) > c.MaxReads {
			return false
		}
	}
	return s.MessageCount() <= c.MaxMessages && int(s.Now) <= c.MaxTime
}
