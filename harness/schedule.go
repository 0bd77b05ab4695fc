package harness

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/internal/partition"
)

// Fault kinds a schedule can hold. The names appear in -faults, in the JSON
// summary's counts, in schedule.json and in the visualization.
const (
	// FaultPartition cuts links between nodes for a while. Its Shape says
	// which links.
	FaultPartition = "partition"
	// FaultCrash stops a node, losing everything it had not synced, and
	// restarts it from its disk after Duration.
	FaultCrash = "crash"
	// FaultPause freezes a node (no ticks, no deliveries) for Duration,
	// as SIGSTOP would. Messages to it wait.
	FaultPause = "pause"
	// FaultLoss drops each message with probability Rate for Duration.
	FaultLoss = "loss"
	// FaultDuplicate delivers each message twice with probability Rate;
	// the copy may arrive seconds later (duplicateDelayMax).
	FaultDuplicate = "duplicate"
	// FaultReorder adds up to Jitter of random latency to each message,
	// so later messages overtake earlier ones.
	FaultReorder = "reorder"
	// FaultDelay stalls the links of its Shape for Duration: what is sent
	// on them is held and delivered in order when the delay ends (a
	// connection that stalls, then flushes its backlog), unless the link is
	// cut by then.
	FaultDelay = "delay"
	// FaultTransfer asks the leader of the moment to hand leadership to
	// Nodes[0] (or, if that is the leader, to the next node).
	FaultTransfer = "transfer"
	// FaultDrift runs each of Nodes' clocks at its rate in Rates (times
	// real speed) for Duration.
	FaultDrift = "drift"
	// FaultMembership has an operator make the membership change Change
	// (one of Changes), retrying for Duration (see membership.go).
	FaultMembership = "membership"
)

// FaultKinds lists every kind the simulator implements, in a fixed order.
var FaultKinds = []string{FaultPartition, FaultCrash, FaultPause, FaultLoss, FaultDuplicate, FaultReorder, FaultDrift, FaultTransfer, FaultMembership, FaultDelay}

// Partition shapes (see package partition for what each cuts).
const (
	ShapeHalves       = partition.Halves // a fixed minority against the rest
	ShapeRandomHalves = "random-halves"  // a random minority against the rest
	ShapeIsolate      = partition.Isolate
	ShapeBridge       = partition.Bridge
	ShapeRing         = partition.Ring
	ShapeOneWay       = partition.OneWay
)

// Shapes lists the partition shapes.
var Shapes = []string{ShapeHalves, ShapeRandomHalves, ShapeIsolate, ShapeBridge, ShapeRing, ShapeOneWay}

// Event is one fault in a schedule: a window of virtual time during which
// the fault is in force.
type Event struct {
	// At is when the fault starts, from the start of the run.
	At time.Duration `json:"at"`
	// Duration is how long it lasts.
	Duration time.Duration `json:"duration"`
	// Kind is one of FaultKinds.
	Kind string `json:"kind"`
	// Nodes are the nodes hit, for crash, pause and drift.
	Nodes []uint64 `json:"nodes,omitempty"`
	// Shape is the partition's shape.
	Shape string `json:"shape,omitempty"`
	// Links are the directed links a partition cuts, [from, to].
	Links [][2]uint64 `json:"links,omitempty"`
	// Rate is the probability of loss or duplication.
	Rate float64 `json:"rate,omitempty"`
	// Rates are the clock rates of a drift, one per node in Nodes.
	Rates []float64 `json:"rates,omitempty"`
	// Jitter is the extra latency of a reorder.
	Jitter time.Duration `json:"jitter,omitempty"`
	// Target "leader" aims the fault at whichever node leads when it
	// starts, as a Jepsen nemesis that targets the leader does: that node
	// is crashed, paused, isolated, or made the slow clock of a drift.
	// Empty means the nodes and links named.
	Target string `json:"target,omitempty"`
	// Change is the membership change, Count the voters a replace swaps,
	// and Explicit asks to leave the joint configuration by an explicit
	// empty change rather than automatically.
	Change   string `json:"change,omitempty"`
	Count    int    `json:"count,omitempty"`
	Explicit bool   `json:"explicit_leave,omitempty"`
}

// TargetLeader aims an event at the leader of the moment.
const TargetLeader = "leader"

func (e Event) String() string {
	s := fmt.Sprintf("%v+%v %s", e.At, e.Duration, e.Kind)
	if e.Target != "" {
		s += " @" + e.Target
	}
	switch e.Kind {
	case FaultPartition, FaultDelay:
		s += fmt.Sprintf(" %s %v", e.Shape, e.Links)
	case FaultCrash, FaultPause:
		s += fmt.Sprintf(" %v", e.Nodes)
	case FaultDrift:
		s += fmt.Sprintf(" %v x%.3f", e.Nodes, e.Rates)
	case FaultLoss, FaultDuplicate:
		s += fmt.Sprintf(" p=%.2f", e.Rate)
	case FaultReorder:
		s += fmt.Sprintf(" jitter=%v", e.Jitter)
	case FaultMembership:
		s += " " + e.Change
		if e.Count > 0 {
			s += fmt.Sprintf(" x%d", e.Count)
		}
		if e.Explicit {
			s += " explicit-leave"
		}
	}
	return s
}

// Schedule is a run's faults, as data: it can be saved, replayed, generated
// by rapid and shrunk.
type Schedule struct {
	Events []Event `json:"events"`
}

// End is when the last fault ends.
func (s Schedule) End() time.Duration {
	var end time.Duration
	for _, e := range s.Events {
		end = max(end, e.At+e.Duration)
	}
	return end
}

// Counts returns how many events of each kind the schedule holds.
func (s Schedule) Counts() map[string]int {
	c := make(map[string]int)
	for _, e := range s.Events {
		c[e.Kind]++
	}
	return c
}

// Validate checks a schedule against a cluster of n nodes.
func (s Schedule) Validate(n int) error {
	for i, e := range s.Events {
		if err := e.validate(n); err != nil {
			return fmt.Errorf("schedule event %d (%s): %w", i, e.Kind, err)
		}
	}
	return nil
}

func (e Event) validate(n int) error {
	if e.At < 0 || e.Duration < 0 {
		return fmt.Errorf("negative time")
	}
	if !slices.Contains(FaultKinds, e.Kind) {
		return fmt.Errorf("unknown fault kind %q (known: %s)", e.Kind, strings.Join(FaultKinds, ", "))
	}
	if e.Target != "" && e.Target != TargetLeader {
		return fmt.Errorf("unknown target %q", e.Target)
	}
	for _, id := range e.Nodes {
		if id < 1 || id > uint64(n) {
			return fmt.Errorf("node %d outside 1..%d", id, n)
		}
	}
	for _, l := range e.Links {
		if l[0] < 1 || l[0] > uint64(n) || l[1] < 1 || l[1] > uint64(n) || l[0] == l[1] {
			return fmt.Errorf("bad link %v", l)
		}
	}
	switch e.Kind {
	case FaultLoss, FaultDuplicate:
		if e.Rate < 0 || e.Rate > 1 {
			return fmt.Errorf("rate %v outside [0, 1]", e.Rate)
		}
	case FaultDrift:
		if len(e.Rates) != len(e.Nodes) || len(e.Nodes) == 0 {
			return fmt.Errorf("%d nodes but %d clock rates", len(e.Nodes), len(e.Rates))
		}
		for _, r := range e.Rates {
			if r <= 0 || r > 10 {
				return fmt.Errorf("clock rate %v outside (0, 10]", r)
			}
		}
	case FaultCrash, FaultPause, FaultTransfer:
		if len(e.Nodes) == 0 {
			return fmt.Errorf("no node")
		}
	case FaultMembership:
		if !slices.Contains(Changes, e.Change) {
			return fmt.Errorf("unknown membership change %q (known: %s)", e.Change, strings.Join(Changes, ", "))
		}
		if e.Count < 0 || e.Count > replaceMax {
			return fmt.Errorf("replace count %d outside 0..%d", e.Count, replaceMax)
		}
	}
	return nil
}

// MarshalSchedule encodes a schedule as indented JSON.
func MarshalSchedule(s Schedule) ([]byte, error) { return json.MarshalIndent(s, "", "  ") }

// UnmarshalSchedule decodes and validates a schedule for n nodes.
func UnmarshalSchedule(data []byte, n int) (Schedule, error) {
	var s Schedule
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Schedule{}, fmt.Errorf("decode schedule: %w", err)
	}
	if err := s.Validate(n); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// GenOptions bound the schedules Generate makes.
type GenOptions struct {
	Nodes int
	// Kinds are the fault kinds to draw from.
	Kinds []string
	// Span is the time within which faults start and end.
	Span time.Duration
	// EventsMax bounds the number of events.
	EventsMax int
	// DriftMax is the largest clock-rate deviation, e.g. 0.05 for ±5%.
	DriftMax float64
}

// chooser draws choices; a seeded source in Generate, rapid in Gen.
type chooser interface {
	intn(what string, n int) int
}

type seeded struct{ r *rand.Rand }

func (s seeded) intn(_ string, n int) int { return s.r.IntN(n) }

// Generate draws a schedule from seed.
func Generate(seed uint64, o GenOptions) Schedule {
	return generate(seeded{rand.New(rand.NewPCG(seed, 0x5c4ed))}, o)
}

func generate(c chooser, o GenOptions) Schedule {
	var s Schedule
	if len(o.Kinds) == 0 || o.Span <= 0 {
		return s
	}
	n := c.intn("events", o.EventsMax+1)
	const slot = 100 * time.Millisecond
	slots := max(1, int(o.Span/slot))
	for range n {
		e := Event{Kind: o.Kinds[c.intn("kind", len(o.Kinds))]}
		e.At = time.Duration(c.intn("at", slots)) * slot
		e.Duration = time.Duration(1+c.intn("duration", max(1, slots/4))) * slot
		if e.Kind == FaultDrift || e.Kind == FaultReorder || e.Kind == FaultDuplicate {
			// Clocks drift, and networks stay congested, for long
			// stretches, not in blips.
			e.Duration = time.Duration(slots/4+c.intn("drift-duration", max(1, slots-slots/4))) * slot
		}
		e.Duration = min(e.Duration, o.Span-e.At)
		fillEvent(c, &e, o)
		if targetable(e) && c.intn("target", 2) == 0 {
			e.Target = TargetLeader
		}
		s.Events = append(s.Events, e)
		if cutsLeader(e) && slices.Contains(o.Kinds, FaultPartition) {
			s.Events = append(s.Events, cutLeaderDuring(c, e, o.Span, FaultPartition))
		}
		if e.Kind == FaultDuplicate && slices.Contains(o.Kinds, FaultDelay) {
			s.Events = append(s.Events, stallLeaderDuring(c, e, o.Span))
		}
	}
	slices.SortStableFunc(s.Events, func(a, b Event) int { return int(a.At - b.At) })
	return s
}

// cutsLeader reports whether e is followed by a partition that cuts off
// the leader of the moment while e is in force. Drawn independently, such
// pairs rarely meet, as leadership moves with the other faults, yet they
// are where reads go wrong:
//
//   - a drift aimed at the leader: the slow leader counts its lease in slow
//     ticks while the others, cut off from it, count their election
//     timeouts in fast ones and elect a new leader, and readers that still
//     reach the old one read from it. This is the case the lease's drift
//     bound exists for.
//   - a reorder: networks degrade before they fail. The old leader's last
//     commit index is still in flight when it is cut off, so the new leader
//     does not know it, and a read's heartbeat round may overtake the new
//     leader's first entry. A read index taken before that entry commits is
//     stale.
//
// Likewise a duplicate is followed by a delay that stalls the leader's
// links (when delay is among the kinds): a congested network both
// retransmits and stalls. The others elect a new leader while the old one
// hears only late copies of what its followers said in its term, which must
// not confirm anything it asks after they were sent.
func cutsLeader(e Event) bool {
	return e.Kind == FaultDrift && e.Target == TargetLeader || e.Kind == FaultReorder
}

// cutLeaderDuring returns a partition (kind FaultPartition) or a stall
// (FaultDelay) that isolates the leader a while after e starts.
func cutLeaderDuring(c chooser, e Event, span time.Duration, kind string) Event {
	const slot = 100 * time.Millisecond
	cut := Event{Kind: kind, Shape: ShapeIsolate, Target: TargetLeader}
	cut.At = e.At + time.Duration(c.intn("cut-at", max(1, int(e.Duration/slot)/2)))*slot
	cut.Duration = time.Duration(10+c.intn("cut-duration", 30)) * slot
	cut.At = min(cut.At, span)
	cut.Duration = min(cut.Duration, span-cut.At)
	return cut
}

// stallLeaderDuring returns a delay that stalls the leader's links once
// e has duplicated messages for a while, so that late copies are on their
// way, for longer than an election takes.
func stallLeaderDuring(c chooser, e Event, span time.Duration) Event {
	const slot = 100 * time.Millisecond
	stall := Event{Kind: FaultDelay, Shape: ShapeIsolate, Target: TargetLeader}
	half := int(e.Duration/slot) / 2
	stall.At = e.At + time.Duration(half+c.intn("stall-at", max(1, half)))*slot
	stall.Duration = time.Duration(20+c.intn("stall-duration", 30)) * slot
	stall.At = min(stall.At, span)
	stall.Duration = min(stall.Duration, span-stall.At)
	return stall
}

func fillEvent(c chooser, e *Event, o GenOptions) {
	pick := func(what string) uint64 { return uint64(1 + c.intn(what, o.Nodes)) }
	switch e.Kind {
	case FaultPartition, FaultDelay:
		e.Shape = Shapes[c.intn("shape", len(Shapes))]
		e.Links = partitionLinks(c, e.Shape, o.Nodes)
	case FaultCrash, FaultPause:
		e.Nodes = []uint64{pick("node")}
	case FaultTransfer:
		e.Nodes = []uint64{pick("node")}
		e.Duration = 0
	case FaultMembership:
		fillChange(c, e, o.Span)
	case FaultLoss, FaultDuplicate:
		e.Rate = float64(1+c.intn("rate", 5)) / 10
	case FaultReorder:
		e.Jitter = time.Duration(1+c.intn("jitter", 20)) * 10 * time.Millisecond
	case FaultDrift:
		// One node's clock runs slow against the rest, which run fast: the
		// worst case for a leader's lease when the slow node leads. Rates
		// are within DriftMax of 1, in steps of DriftMax/10.
		slow := pick("slow")
		for id := uint64(1); id <= uint64(o.Nodes); id++ {
			step := 5 + c.intn("drift", 6)
			rate := 1 + o.DriftMax*float64(step)/10
			if id == slow {
				rate = 1 - o.DriftMax*float64(step)/10
			}
			e.Nodes = append(e.Nodes, id)
			e.Rates = append(e.Rates, max(0.01, rate))
		}
	}
}

// targetable reports whether an event can be aimed at the leader.
func targetable(e Event) bool {
	switch e.Kind {
	case FaultCrash, FaultPause, FaultDrift:
		return true
	case FaultPartition, FaultDelay:
		return true
	}
	return false
}

// aimAt returns e with its single node (or the isolated or slow node)
// replaced by id.
func (e Event) aimAt(id uint64, n int) Event {
	switch e.Kind {
	case FaultCrash, FaultPause:
		e.Nodes = []uint64{id}
	case FaultDrift:
		// The leader gets the slowest rate of the event.
		slowest := 0
		for i, r := range e.Rates {
			if r < e.Rates[slowest] {
				slowest = i
			}
		}
		e.Rates = append([]float64(nil), e.Rates...)
		e.Nodes = append([]uint64(nil), e.Nodes...)
		for i, node := range e.Nodes {
			if node == id {
				e.Rates[i], e.Rates[slowest] = e.Rates[slowest], e.Rates[i]
			}
		}
	case FaultPartition, FaultDelay:
		// A partition aimed at the leader cuts it off: alone, or deaf.
		if e.Shape != ShapeOneWay {
			e.Shape = ShapeIsolate
		}
		others := make([]uint64, 0, n)
		for other := uint64(1); other <= uint64(n); other++ {
			if other != id {
				others = append(others, other)
			}
		}
		if e.Shape == ShapeOneWay {
			e.Links = mustCut(partition.Links(ShapeOneWay, append([]uint64{id}, others...)))
		} else {
			// The leader alone, but last: Split then lists each pair's
			// links in, then out, the order in which a delay's end flushes
			// them; a recorded seed replays only while that order stays.
			e.Links = mustCut(partition.Split(append(others, id), len(others)))
		}
	}
	return e
}

// partitionLinks returns the directed links a partition of the given
// shape cuts, drawing the nodes' places from c.
func partitionLinks(c chooser, shape string, n int) [][2]uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	// first returns ids with x moved to the front.
	first := func(x uint64) []uint64 {
		return append([]uint64{x}, slices.DeleteFunc(slices.Clone(ids), func(id uint64) bool { return id == x })...)
	}
	switch shape {
	case ShapeRandomHalves:
		perm := slices.Clone(ids)
		for i := len(perm) - 1; i > 0; i-- {
			j := c.intn("perm", i+1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		k := 1 + c.intn("minority", max(1, n/2))
		return mustCut(partition.Split(perm, k))
	case ShapeIsolate:
		return mustCut(partition.Links(shape, first(ids[c.intn("isolated", n)])))
	case ShapeOneWay:
		return mustCut(partition.Links(shape, first(ids[c.intn("deaf", n)])))
	}
	return mustCut(partition.Links(shape, ids))
}

// mustCut returns links. The simulator asks only for shapes it lists,
// among the nodes 1..n it runs, so an error is a broken invariant.
func mustCut(links [][2]uint64, err error) [][2]uint64 {
	if err != nil {
		panic("harness: " + err.Error())
	}
	return links
}
