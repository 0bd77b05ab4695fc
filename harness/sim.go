// Package harness is the deterministic simulator. It runs the real node
// driver, KV service and protocol core of a whole cluster in one thread, in
// virtual time, and swaps in only the disk, the network and the clock. One
// seed decides everything: the fault schedule, message latencies, loss and
// duplication, election jitter and what clients do. The same seed gives a
// byte-identical trace.
//
// Every run checks, after every event, election safety, state machine
// safety over the committed prefix, leader completeness and that no
// committed entry is lost across crashes; at the end, Porcupine checks the
// clients' history for linearizability, and a liveness probe must commit
// once the faults are over.
package harness

import (
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// Timing of the simulated cluster, in virtual time.
const (
	// TickInterval is the virtual time between two ticks of a node whose
	// clock runs at rate 1.
	TickInterval = 100 * time.Millisecond
	// ElectionTicks and HeartbeatTicks configure every node's core.
	ElectionTicks  = 10
	HeartbeatTicks = 1
	// LivenessBound is how long after the last fault ends a write must
	// commit.
	LivenessBound = 10 * time.Second
	// latencyMin and latencyMax bound a message's latency without faults.
	latencyMin = 1 * time.Millisecond
	latencyMax = 5 * time.Millisecond
)

// Config is one simulated run.
type Config struct {
	// Seed decides everything random in the run.
	Seed uint64
	// Nodes is the cluster size (default 5).
	Nodes int
	// Duration is the virtual time of the run (default 30s). Faults fall
	// in the part of it before the last LivenessBound.
	Duration time.Duration
	// Faults are the fault kinds to draw from; nil means all of FaultKinds.
	Faults []string
	// Clients and Keys shape the workload (defaults 5 and 3).
	Clients int
	Keys    int
	// Schedule, when set, replaces the schedule drawn from Seed.
	Schedule *Schedule
	// DriftMax bounds generated clock drift (default 0.05): a drifting
	// node's clock runs at a rate within [1-DriftMax, 1+DriftMax].
	DriftMax float64
	// LeaseDriftBound is the drift every leader assumes for its lease
	// (raft.Config.LeaseDriftBound; default raft.DefaultLeaseDriftBound).
	// Lease reads are linearizable only while DriftMax is within it.
	LeaseDriftBound float64
	// Reads are the read modes clients use for Gets; nil means all.
	Reads []kv.ReadMode
	// Bugs plants bugs in every node's core, to prove the checks fail.
	Bugs *plant.Bugs
	// Trace, when set, receives the run's NDJSON trace.
	Trace io.Writer
	// CheckTimeout bounds the linearizability check (default 10s).
	CheckTimeout time.Duration
	// SkipValidation turns off the validation of the run's trace against
	// the spec, which is on by default.
	SkipValidation bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Nodes == 0 {
		c.Nodes = 5
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Faults == nil {
		c.Faults = FaultKinds
	}
	if c.Clients == 0 {
		c.Clients = 5
	}
	if c.Keys == 0 {
		c.Keys = 3
	}
	if c.DriftMax == 0 {
		c.DriftMax = 0.05
	}
	if c.Reads == nil {
		c.Reads = kv.ReadModes
	}
	if len(c.Reads) == 0 {
		return c, fmt.Errorf("no read mode")
	}
	if c.LeaseDriftBound == 0 {
		c.LeaseDriftBound = raft.DefaultLeaseDriftBound
	}
	if c.DriftMax < 0 || c.DriftMax >= 1 {
		return c, fmt.Errorf("drift %v outside [0, 1)", c.DriftMax)
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = 10 * time.Second
	}
	switch {
	case c.Nodes < 1 || c.Nodes > 9:
		return c, fmt.Errorf("nodes %d outside 1..9", c.Nodes)
	case c.Duration <= LivenessBound:
		return c, fmt.Errorf("duration %v must be longer than the liveness bound %v", c.Duration, LivenessBound)
	case c.Clients < 1 || c.Clients > 100 || c.Keys < 1 || c.Keys > 100:
		return c, fmt.Errorf("clients %d and keys %d must be in 1..100", c.Clients, c.Keys)
	}
	for _, k := range c.Faults {
		if err := (Event{Kind: k, Rate: 1, Nodes: []uint64{1}, Rates: []float64{1}, Change: ChangeAddLearner}).validate(c.Nodes); err != nil {
			return c, err
		}
	}
	return c, nil
}

// event is something that happens at a virtual time. Events at the same
// time run in the order they were scheduled.
type event struct {
	at  int64
	seq uint64
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	return q[i].at < q[j].at || (q[i].at == q[j].at && q[i].seq < q[j].seq)
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// sim is one run in progress.
type sim struct {
	cfg   Config
	now   int64
	queue eventQueue
	seq   uint64
	end   int64

	netRand    *rand.Rand
	clientRand *rand.Rand

	nodes   []*simNode
	net     network
	clients []*client
	rec     *linearizability.Recorder
	checks  *checker
	trace   *tracer
	// members is the group's configuration as the checks saw it committed,
	// and the membership nemesis's state.
	members *membership
	// validator replays the core's events against the spec; nil if off.
	validator *traceValidator

	violations []Violation
	steps      int
	sessions   uint64
	// reads counts completed Gets by read mode.
	reads map[string]int
}

// simNode is one member of the cluster.
type simNode struct {
	id     uint64
	svc    *kv.Service
	disk   *disk
	up     bool
	paused bool
	inbox  []raft.Message
	rate   float64
	// drifts are the rates of the drift faults in force, oldest first:
	// the latest one sets rate, and when it ends the one before it does
	// again, so overlapping drifts do not end each other early.
	drifts []*float64
	gen    int // incarnation: ticks of an earlier one are ignored
	// missed counts the ticks a paused node did not take; it takes them
	// all when it resumes, as a driver that reads a monotonic clock would,
	// before it handles anything else.
	missed  int
	leading bool
	leadAt  int64
	// leadTerm is the term n leads in, while leading.
	leadTerm uint64
	term     uint64
	// joined marks a node started after the run began, with no membership
	// (raft.Config.Join); bootstrap, if set, is the voter list a stranger
	// was started with instead of the initial voters.
	joined    bool
	bootstrap []uint64
}

// Now implements linearizability.Clock with virtual time.
func (s *sim) Now() int64 { return s.now }

func (s *sim) at(t int64, fn func()) {
	s.seq++
	heap.Push(&s.queue, event{at: t, seq: s.seq, fn: fn})
}

func (s *sim) after(d time.Duration, fn func()) { s.at(s.now+int64(d), fn) }

func (s *sim) violate(kind, format string, args ...any) {
	v := Violation{Kind: kind, At: time.Duration(s.now), Message: fmt.Sprintf(format, args...)}
	s.violations = append(s.violations, v)
	s.trace.write(traceSim{T: s.now, Sim: "violation", Detail: v.Kind + ": " + v.Message})
}

// loop runs events until the end of the run or the first violation.
func (s *sim) loop() {
	for s.queue.Len() > 0 && len(s.violations) == 0 {
		e := heap.Pop(&s.queue).(event)
		if e.at > s.end {
			break
		}
		s.now = e.at
		s.steps++
		e.fn()
	}
	s.now = s.end
}

func (s *sim) startNode(n *simNode) error {
	n.gen++
	cfg := kv.Config{Node: node.Config{
		Raft: raft.Config{
			ID:              n.id,
			Voters:          s.voters(n),
			Join:            n.joined,
			ElectionTicks:   ElectionTicks,
			HeartbeatTicks:  HeartbeatTicks,
			PreVote:         true,
			CheckQuorum:     true,
			Rand:            rand.New(rand.NewPCG(s.cfg.Seed, n.id<<16|uint64(n.gen))),
			Trace:           s.traceHook(n),
			Bugs:            s.cfg.Bugs,
			LeaseDriftBound: s.cfg.LeaseDriftBound,
		},
		Storage:              n.disk,
		Transport:            transport{s: s, from: n.id},
		SnapshotEveryEntries: 200,
		LogKeepEntries:       50,
	}}
	svc, err := kv.NewService(cfg)
	if err != nil {
		return fmt.Errorf("start node %d: %w", n.id, err)
	}
	n.svc, n.up, n.paused, n.inbox, n.rate, n.missed = svc, true, false, nil, 1, 0
	n.leading = false
	s.checks.restarted(n)
	s.scheduleTick(n, n.gen)
	return nil
}

// voters is the voter list n boots with: the initial voters, none for a
// node that joins, or a stranger's own list.
func (s *sim) voters(n *simNode) []uint64 {
	switch {
	case n.joined:
		return nil
	case n.bootstrap != nil:
		return n.bootstrap
	}
	ids := make([]uint64, s.cfg.Nodes)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	return ids
}

func (s *sim) scheduleTick(n *simNode, gen int) {
	d := time.Duration(float64(TickInterval) / n.rate)
	s.after(d, func() {
		if n.gen != gen || !n.up {
			return
		}
		if n.paused {
			n.missed++
		} else {
			s.process(n, n.svc.Node().Tick())
		}
		s.scheduleTick(n, gen)
	})
}

// process runs a node's Ready loop after an input and checks the
// invariants that the input may have touched.
func (s *sim) process(n *simNode, inputErr error) {
	if inputErr != nil {
		s.violate("node-error", "node %d: %v", n.id, inputErr)
		return
	}
	if err := n.svc.Node().Process(); err != nil {
		s.violate("node-error", "node %d: %v", n.id, err)
		return
	}
	s.checks.afterProcess(n)
}

func (s *sim) crash(n *simNode) {
	if !n.up {
		return
	}
	n.up = false
	n.svc = nil
	s.endLeadership(n)
	if err := n.disk.crash(); err != nil {
		s.violate("node-error", "node %d: crash: %v", n.id, err)
	}
}

func (s *sim) restart(n *simNode) {
	if n.up {
		return
	}
	if err := s.startNode(n); err != nil {
		s.violate("restart", "%v", err)
	}
}

func (s *sim) pause(n *simNode, on bool) {
	if !n.up {
		return
	}
	n.paused = on
	if on {
		return
	}
	// Time passed while the process was stopped: without these ticks a
	// leader would count its lease from before the pause. They are taken
	// before the inbox is delivered, so a paused leader never serves a
	// lease read queued meanwhile from a lease that ran out.
	for ; n.missed > 0; n.missed-- {
		s.process(n, n.svc.Node().Tick())
	}
	inbox := n.inbox
	n.inbox = nil
	for _, m := range inbox {
		s.deliver(m)
	}
}
