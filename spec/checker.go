package spec

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options bound a model-checking run.
type Options struct {
	Workers   int                       // goroutines; 0 means GOMAXPROCS
	MaxStates int                       // stop after the level that passes it; 0 means no limit
	Progress  func(depth, distinct int) // called after each level, if set
}

// Result is the outcome of Check.
type Result struct {
	Distinct  int           // distinct states (after symmetry reduction)
	Generated int64         // successors generated within the constraint
	Depth     int           // levels of the search; the initial state is level 1, as in TLC
	Elapsed   time.Duration // wall-clock time
	Complete  bool          // the whole bounded state space was explored
	Violation *Violation    // the shortest counterexample, or nil
}

// Violation is an invariant that fails, with the shortest behaviour that
// reaches a state where it fails.
type Violation struct {
	Invariant string
	Trace     []Step // Trace[0] is the initial state
}

// Step is one state of a behaviour and the action that led to it.
type Step struct {
	Action string // "Init" for the first state
	State  State
}

const shardCount = 256

// seenSet maps fingerprints to the fingerprint of the parent, sharded so
// that workers rarely contend.
type seenSet struct {
	shards [shardCount]struct {
		sync.Mutex
		m map[uint64]uint64
	}
}

func newSeenSet() *seenSet {
	ss := &seenSet{}
	for k := range ss.shards {
		ss.shards[k].m = make(map[uint64]uint64)
	}
	return ss
}

// insert adds fp with its parent and reports whether it was new.
func (ss *seenSet) insert(fp, parent uint64) bool {
	sh := &ss.shards[fp%shardCount]
	sh.Lock()
	defer sh.Unlock()
	if _, ok := sh.m[fp]; ok {
		return false
	}
	sh.m[fp] = parent
	return true
}

func (ss *seenSet) parent(fp uint64) uint64 {
	sh := &ss.shards[fp%shardCount]
	sh.Lock()
	defer sh.Unlock()
	return sh.m[fp]
}

type node struct {
	s  State
	fp uint64
}

type found struct {
	invariant string
	fp        uint64
}

// Check explores the states of sp reachable from Init within its
// Constraint, breadth first, level by level on all cores, and checks every
// invariant on every distinct state. On a violation it stops at the end of
// the level and returns the shortest counterexample.
func (sp *Spec) Check(opt Options) Result {
	start := time.Now()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	seen := newSeenSet()
	res := Result{}
	init := sp.Init()
	fp := newEncoder(sp.n()).Fingerprint(&init)
	seen.insert(fp, fp)
	res.Distinct = 1
	frontier := []node{{init, fp}}
	var bad []found
	if name := sp.violated(&init); name != "" {
		bad = append(bad, found{name, fp})
	}
	res.Depth = 1
	for len(frontier) > 0 && len(bad) == 0 {
		if opt.Progress != nil {
			opt.Progress(res.Depth, res.Distinct)
		}
		if opt.MaxStates > 0 && res.Distinct > opt.MaxStates {
			res.Elapsed = time.Since(start)
			return res
		}
		var gen int64
		frontier, bad, gen = sp.expand(frontier, seen, workers)
		res.Generated += gen
		res.Distinct += len(frontier)
		if len(frontier) > 0 {
			res.Depth++
		}
	}
	if len(bad) > 0 {
		res.Violation = sp.counterexample(seen, bad[0])
	} else {
		res.Complete = true
	}
	res.Elapsed = time.Since(start)
	return res
}

// violated is the name of the first invariant s violates, or "".
func (sp *Spec) violated(s *State) string {
	for _, inv := range sp.Invariants {
		if !inv.Holds(sp, s) {
			return inv.Name
		}
	}
	return ""
}

// expand computes the next level: the new distinct successors of frontier.
func (sp *Spec) expand(frontier []node, seen *seenSet, workers int) ([]node, []found, int64) {
	const chunk = 64
	var next atomic.Int64
	var generated atomic.Int64
	locals := make([][]node, workers)
	bads := make([][]found, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := newEncoder(sp.n())
			var gen int64
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(frontier) {
					break
				}
				for k := lo; k < min(lo+chunk, len(frontier)); k++ {
					parent := &frontier[k]
					sp.Successors(&parent.s, func(_ Label, t *State) {
						if !sp.Constraint(t) {
							return
						}
						gen++
						fp := enc.Fingerprint(t)
						if !seen.insert(fp, parent.fp) {
							return
						}
						locals[w] = append(locals[w], node{*t, fp})
						if name := sp.violated(t); name != "" {
							bads[w] = append(bads[w], found{name, fp})
						}
					})
				}
			}
			generated.Add(gen)
		}()
	}
	wg.Wait()
	var out []node
	var bad []found
	for w := range workers {
		out = append(out, locals[w]...)
		bad = append(bad, bads[w]...)
	}
	// Report the same violation whatever the scheduling was.
	if len(bad) > 1 {
		least := bad[0]
		for _, b := range bad[1:] {
			if b.fp < least.fp {
				least = b
			}
		}
		bad = []found{least}
	}
	return out, bad, generated.Load()
}

// counterexample rebuilds the behaviour that reaches bad.fp: it follows
// the parent fingerprints back to Init, then replays forward, picking at
// each step a successor with the next fingerprint. Replaying from the
// concrete state (not the canonical one) keeps server names stable along
// the trace.
func (sp *Spec) counterexample(seen *seenSet, bad found) *Violation {
	var chain []uint64
	for fp := bad.fp; ; {
		chain = append(chain, fp)
		p := seen.parent(fp)
		if p == fp {
			break
		}
		fp = p
	}
	enc := newEncoder(sp.n())
	cur := sp.Init()
	trace := []Step{{Action: "Init", State: cur}}
	for k := len(chain) - 2; k >= 0; k-- {
		var step *Step
		sp.Successors(&cur, func(l Label, t *State) {
			if step != nil || !sp.Constraint(t) || enc.Fingerprint(t) != chain[k] {
				return
			}
			step = &Step{Action: l.String(), State: *t}
		})
		if step == nil {
			panic("spec: counterexample replay lost the trace")
		}
		trace = append(trace, *step)
		cur = step.State
	}
	return &Violation{Invariant: bad.invariant, Trace: trace}
}
