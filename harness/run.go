package harness

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
)

// Violation is a check that failed.
type Violation struct {
	// Kind names the check: election-safety, state-machine-safety,
	// leader-completeness, committed-lost, liveness, linearizability,
	// linearizability-unknown, node-error, restart, client, panic, config,
	// trace-validation, quorum-overlap, joint-consensus, leader-is-voter.
	Kind    string
	At      time.Duration
	Message string
}

func (v Violation) String() string { return fmt.Sprintf("%v %s: %s", v.At, v.Kind, v.Message) }

// Result is the outcome of one run.
type Result struct {
	Seed       uint64
	Schedule   Schedule
	Violations []Violation
	// Ops is the number of client operations recorded.
	Ops int
	// Virtual is the virtual time simulated.
	Virtual time.Duration
	// Faults counts the schedule's events by kind.
	Faults map[string]int
	// Messages counts messages sent, dropped and duplicated.
	Messages, Dropped, Duplicated int
	// Steps counts the events the simulator ran.
	Steps int
	// Reads counts the Gets that completed, by read mode.
	Reads map[string]int
	// Membership counts the membership nemesis's changes and transfers by
	// outcome: proposed, completed, lost, abandoned, refused (by class of
	// reason), nodes added, strangers started, transfers requested,
	// completed and refused.
	Membership map[string]int
	// TransferTimes is, for each transfer that completed, the virtual time
	// from the request to the target's election; CatchUps is how long each
	// fresh learner took to catch up.
	TransferTimes []time.Duration
	CatchUps      []CatchUp
	// Validated reports whether the whole trace was validated against the
	// spec, and TraceEvents how many of its core events were. A run that
	// goes where Raft.tla does not follow (more nodes than the spec's
	// servers, a stranger, an explicit leave of a joint configuration, a
	// term or index past spec.MaxNum) is validated up to there, and does
	// not count as validated.
	Validated   bool
	TraceEvents int
	History     linearizability.History
	Check       linearizability.Result
}

// Failed reports whether any check failed.
func (r Result) Failed() bool { return len(r.Violations) > 0 }

// Run simulates one run. It is a function of cfg: the same cfg gives the
// same Result and the same trace, byte for byte.
func Run(cfg Config) (res Result) {
	cfg, err := cfg.withDefaults()
	res.Seed = cfg.Seed
	if err != nil {
		res.Violations = []Violation{{Kind: "config", Message: err.Error()}}
		return res
	}
	sched := cfg.schedule()
	res.Schedule, res.Faults = sched, sched.Counts()
	if err := sched.Validate(cfg.Nodes); err != nil {
		res.Violations = []Violation{{Kind: "config", Message: err.Error()}}
		return res
	}
	s := newSim(cfg, sched)
	defer func() {
		if p := recover(); p != nil {
			s.violations = append(s.violations, Violation{Kind: "panic", At: time.Duration(s.now), Message: fmt.Sprintf("%v\n%s", p, debug.Stack())})
			res = s.result(res, false)
		}
	}()
	s.loop()
	return s.result(res, true)
}

// schedule returns the run's schedule: the given one, or one drawn from
// the seed with faults before the last LivenessBound of the run.
func (c Config) schedule() Schedule {
	if c.Schedule != nil {
		return *c.Schedule
	}
	return Generate(c.Seed, GenOptions{Nodes: c.Nodes, Kinds: c.Faults, Span: c.Duration - LivenessBound, EventsMax: 12, DriftMax: c.DriftMax})
}

func newSim(cfg Config, sched Schedule) *sim {
	s := &sim{
		cfg:        cfg,
		end:        int64(cfg.Duration),
		netRand:    rand.New(rand.NewPCG(cfg.Seed, 1)),
		clientRand: rand.New(rand.NewPCG(cfg.Seed, 2)),
		net:        network{cut: map[[2]uint64]int{}},
		trace:      newTracer(cfg.Trace),
		reads:      map[string]int{},
	}
	s.rec = linearizability.NewRecorder(s)
	s.checks = newChecker(s)
	s.members = newMembership(cfg.Seed, cfg.Nodes)
	if !cfg.SkipValidation {
		s.startValidation()
	}
	for id := 1; id <= cfg.Nodes; id++ {
		s.nodes = append(s.nodes, &simNode{id: uint64(id), disk: newDisk()})
	}
	for _, n := range s.nodes {
		if err := s.startNode(n); err != nil {
			s.violate("restart", "%v", err)
		}
	}
	for _, e := range sched.Events {
		s.at(int64(e.At), func() { s.applyFault(e) })
	}
	stopAt := s.end - int64(LivenessBound)
	for i := 1; i <= cfg.Clients; i++ {
		c := s.newClient(i, stopAt)
		s.clients = append(s.clients, c)
		c.startLoop()
	}
	// The probe starts when the faults are over, and at the latest a
	// LivenessBound before the end: a fault still in force then (a
	// partition that never heals) fails the run, as it should.
	s.at(min(int64(sched.End()), stopAt), s.probeLiveness)
	return s
}

// probeLiveness runs once every fault is over: a write must commit within
// LivenessBound, or the run fails.
func (s *sim) probeLiveness() {
	deadline := s.now + int64(LivenessBound)
	done := false
	probe := s.newClient(len(s.clients)+1, s.end)
	probe.onDone = func(ok bool) {
		done = ok
		if !ok && s.now < deadline {
			probe.begin(kv.Put("liveness", "again"))
		}
	}
	probe.begin(kv.Put("liveness", "probe"))
	s.at(deadline, func() {
		if !done {
			s.violate("liveness", "no write committed within %v of the last fault ending at %v", LivenessBound, time.Duration(deadline)-LivenessBound)
		}
	})
}

func (s *sim) result(res Result, check bool) Result {
	for _, n := range s.nodes {
		s.endLeadership(n)
	}
	res.Virtual = time.Duration(s.now)
	res.History = s.rec.History()
	res.Ops = len(res.History.Ops)
	res.Messages, res.Dropped, res.Duplicated = s.net.sent, s.net.dropped, s.net.duplicated
	res.Steps = s.steps
	res.Reads = s.reads
	res.Membership, res.TransferTimes, res.CatchUps = s.members.counts, s.members.transferTimes, s.members.catchUps
	res.Validated, res.TraceEvents = s.validated()
	if check {
		s.checkHistory(&res)
	}
	res.Violations = slices.Clone(s.violations)
	return res
}

func (s *sim) checkHistory(res *Result) {
	r, err := linearizability.Check(res.History, s.cfg.CheckTimeout)
	res.Check = r
	switch {
	case err != nil:
		s.violate("linearizability", "history not checkable: %v", err)
	case r.Verdict == linearizability.Illegal:
		s.violate("linearizability", "history is not linearizable: %s", r)
	case r.Verdict == linearizability.Unknown:
		s.violate("linearizability-unknown", "check timed out after %v: %s", s.cfg.CheckTimeout, r)
	}
}
