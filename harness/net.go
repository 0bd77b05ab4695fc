package harness

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/raft"
)

// network is the state of the simulated network: the links cut, and the
// loss, duplication and reordering in force. Faults overlap, so each is a
// count or a list of what is active.
type network struct {
	cut       map[[2]uint64]int
	loss      []float64
	duplicate []float64
	jitter    []time.Duration
	// stalled counts the delays in force on each link, and held keeps,
	// in order, what was sent on a stalled link until the link flows.
	stalled map[[2]uint64]int
	held    map[[2]uint64][]raft.Message

	sent, dropped, duplicated int
}

// duplicateDelayMax bounds how much later than its original a duplicate
// arrives. A retransmitted packet may sit in a congested queue for
// seconds, and arrive after everything its sender said since: a response
// from an earlier leadership round, long after a newer leader took over.
const duplicateDelayMax = 3 * time.Second

// heldMax bounds the messages a stalled link holds, as a send buffer
// does: past it, messages are dropped.
const heldMax = 1024

func maxOf[T float64 | time.Duration](xs []T) T {
	var m T
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func removeOne[T comparable](xs []T, x T) []T {
	for i, y := range xs {
		if y == x {
			return append(xs[:i], xs[i+1:]...)
		}
	}
	return xs
}

// transport is a node's network interface.
type transport struct {
	s    *sim
	from uint64
}

// Send implements node.Transport.
func (t transport) Send(msgs []raft.Message) {
	for _, m := range msgs {
		t.s.send(m)
	}
}

func (s *sim) latency() time.Duration {
	d := latencyMin + time.Duration(s.netRand.Int64N(int64(latencyMax-latencyMin)))
	if j := maxOf(s.net.jitter); j > 0 {
		d += time.Duration(s.netRand.Int64N(int64(j)))
	}
	return d
}

func (s *sim) send(m raft.Message) {
	s.net.sent++
	if s.net.cut[[2]uint64{m.From, m.To}] > 0 {
		s.net.dropped++
		return
	}
	if p := maxOf(s.net.loss); p > 0 && s.netRand.Float64() < p {
		s.net.dropped++
		return
	}
	link := [2]uint64{m.From, m.To}
	if s.net.stalled[link] > 0 {
		if len(s.net.held[link]) >= heldMax {
			s.net.dropped++
			return
		}
		s.net.held[link] = append(s.net.held[link], m)
		return
	}
	s.after(s.latency(), func() { s.deliver(m) })
	if p := maxOf(s.net.duplicate); p > 0 && s.netRand.Float64() < p {
		s.net.duplicated++
		late := time.Duration(s.netRand.Int64N(int64(duplicateDelayMax)))
		s.after(s.latency()+late, func() { s.deliver(m) })
	}
}

// flush delivers, in the order sent, what a link held while it was
// stalled, as a connection that stalled sends its backlog when it flows
// again. A link cut by then drops it all.
func (s *sim) flush(link [2]uint64) {
	msgs := s.net.held[link]
	delete(s.net.held, link)
	if len(msgs) == 0 {
		return
	}
	// The backlog goes out before anything sent from now on, which takes
	// at least latencyMin.
	s.after(latencyMin, func() {
		for _, m := range msgs {
			s.deliver(m)
		}
	})
}

func (s *sim) deliver(m raft.Message) {
	if m.To < 1 || m.To > uint64(len(s.nodes)) {
		s.net.dropped++
		return // no such node was ever started
	}
	n := s.nodes[m.To-1]
	switch {
	case !n.up:
		return
	case s.net.cut[[2]uint64{m.From, m.To}] > 0:
		// A partition that started while the message was in flight
		// drops it too, as a firewall rule drops packets on the wire.
		s.net.dropped++
		return
	case n.paused:
		n.inbox = append(n.inbox, m)
		return
	}
	s.process(n, n.svc.Node().Step(m))
}

// applyFault puts a schedule event in force and schedules its end.
func (s *sim) applyFault(e Event) {
	e = s.remapToMembers(e)
	if e.Target == TargetLeader {
		if lead := s.leader(); lead != 0 {
			e = e.aimAt(lead, len(s.nodes))
		}
	}
	start, end := s.now, s.now+int64(e.Duration)
	s.rec.AddFault(linearizability.Fault{Kind: e.Kind, Nodes: e.Nodes, Start: start, End: end, Description: e.String()})
	s.trace.write(traceSim{T: s.now, Sim: "fault-start", Detail: e.String()})
	undo := s.startFault(e)
	s.at(end, func() {
		undo()
		s.trace.write(traceSim{T: s.now, Sim: "fault-end", Detail: e.String()})
	})
}

// startFault puts e in force and returns what ends it.
func (s *sim) startFault(e Event) func() {
	switch e.Kind {
	case FaultPartition:
		for _, l := range e.Links {
			s.net.cut[l]++
		}
		return func() {
			for _, l := range e.Links {
				s.net.cut[l]--
			}
		}
	case FaultDelay:
		if s.net.stalled == nil {
			s.net.stalled, s.net.held = map[[2]uint64]int{}, map[[2]uint64][]raft.Message{}
		}
		for _, l := range e.Links {
			s.net.stalled[l]++
		}
		return func() {
			for _, l := range e.Links {
				if s.net.stalled[l]--; s.net.stalled[l] == 0 {
					s.flush(l)
				}
			}
		}
	case FaultLoss:
		s.net.loss = append(s.net.loss, e.Rate)
		return func() { s.net.loss = removeOne(s.net.loss, e.Rate) }
	case FaultDuplicate:
		s.net.duplicate = append(s.net.duplicate, e.Rate)
		return func() { s.net.duplicate = removeOne(s.net.duplicate, e.Rate) }
	case FaultReorder:
		s.net.jitter = append(s.net.jitter, e.Jitter)
		return func() { s.net.jitter = removeOne(s.net.jitter, e.Jitter) }
	case FaultMembership:
		s.startChange(e)
		return func() {}
	}
	return s.startNodeFault(e)
}

func (s *sim) startNodeFault(e Event) func() {
	var undo []func()
	for i, id := range e.Nodes {
		n := s.nodes[id-1]
		switch e.Kind {
		case FaultCrash:
			s.crash(n)
			undo = append(undo, func() { s.restart(n) })
		case FaultPause:
			s.pause(n, true)
			undo = append(undo, func() { s.pause(n, false) })
		case FaultDrift:
			d := &e.Rates[i]
			n.drifts = append(n.drifts, d)
			n.rate = *d
			undo = append(undo, func() { n.endDrift(d) })
		case FaultTransfer:
			s.transfer(id)
		}
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// leader returns the node that leads the highest term among those up, or
// 0 if none does.
func (s *sim) leader() uint64 {
	var lead, term uint64
	for _, n := range s.nodes {
		if n.up && n.leading && n.term >= term {
			lead, term = n.id, n.term
		}
	}
	return lead
}

// transfer asks the leader, if any, to hand leadership to id, or to the
// node after it if id leads. A refusal (a transfer already under way, the
// target unknown) is part of the test, not a failure of it.
func (s *sim) transfer(id uint64) {
	lead := s.leader()
	if lead == 0 {
		return
	}
	if id == lead {
		id = s.otherMember(s.members.rand, lead)
	}
	n := s.nodes[lead-1]
	if n.paused || id == lead {
		return
	}
	err := n.svc.Node().TransferLeadership(id)
	s.trace.write(traceSim{T: s.now, Sim: "transfer", Node: lead, Detail: fmt.Sprintf("to %d: %v", id, err)})
	if err != nil {
		s.transferRefused(err)
	} else {
		s.transferAsked(id)
	}
	s.process(n, nil)
}

// endDrift ends the drift whose rate is d; the latest drift still in force
// sets the rate, or none does and the clock runs true again.
func (n *simNode) endDrift(d *float64) {
	n.drifts = slices.DeleteFunc(n.drifts, func(x *float64) bool { return x == d })
	n.rate = 1
	if k := len(n.drifts); k > 0 {
		n.rate = *n.drifts[k-1]
	}
}
