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
// that workers rarely contend. Each shard is an open-addressing table in
// which 0 marks an empty slot; fingerprints are never 0.
type seenSet struct {
	shards [shardCount]seenShard
}

type seenShard struct {
	sync.Mutex
	keys    []uint64
	parents []uint64
	used    int
}

func newSeenSet() *seenSet {
	ss := &seenSet{}
	for k := range ss.shards {
		ss.shards[k].keys = make([]uint64, 1024)
		ss.shards[k].parents = make([]uint64, 1024)
	}
	return ss
}

// slot is the index of fp in the table, or of the empty slot where it goes.
func (sh *seenShard) slot(fp uint64) int {
	mask := len(sh.keys) - 1
	for k := int(fp>>8) & mask; ; k = (k + 1) & mask {
		if sh.keys[k] == fp || sh.keys[k] == 0 {
			return k
		}
	}
}

func (sh *seenShard) grow() {
	keys, parents := sh.keys, sh.parents
	sh.keys = make([]uint64, 2*len(keys))
	sh.parents = make([]uint64, 2*len(keys))
	for k, fp := range keys {
		if fp != 0 {
			x := sh.slot(fp)
			sh.keys[x], sh.parents[x] = fp, parents[k]
		}
	}
}

// insert adds fp with its parent and reports whether it was new.
func (ss *seenSet) insert(fp, parent uint64) bool {
	sh := &ss.shards[fp%shardCount]
	sh.Lock()
	defer sh.Unlock()
	x := sh.slot(fp)
	if sh.keys[x] == fp {
		return false
	}
	sh.keys[x], sh.parents[x] = fp, parent
	sh.used++
	if 2*sh.used > len(sh.keys) {
		sh.grow()
	}
	return true
}

func (ss *seenSet) parent(fp uint64) uint64 {
	sh := &ss.shards[fp%shardCount]
	sh.Lock()
	defer sh.Unlock()
	return sh.parents[sh.slot(fp)]
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
	fp := newEncoder(sp.Config).Fingerprint(&init)
	seen.insert(fp, fp)
	res.Distinct = 1
	frontier := [][]node{{{init, fp}}}
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
		res.Distinct += levelLen(frontier)
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

// blockLen is the number of states in a block of a level. Levels are
// lists of blocks so that they grow without copying states.
const blockLen = 256

// expand computes the next level: the new distinct successors of the
// states in blocks. Each worker claims whole blocks.
func (sp *Spec) expand(blocks [][]node, seen *seenSet, workers int) ([][]node, []found, int64) {
	var next atomic.Int64
	var generated atomic.Int64
	outs := make([][][]node, workers)
	bads := make([][]found, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := newEncoder(sp.Config)
			var gen int64
			var cur []node
			for b := int(next.Add(1)) - 1; b < len(blocks); b = int(next.Add(1)) - 1 {
				for k := range blocks[b] {
					parent := &blocks[b][k]
					sp.Successors(&parent.s, func(_ Label, t *State) {
						if !sp.Constraint(t) {
							return
						}
						gen++
						fp := enc.Fingerprint(t)
						if !seen.insert(fp, parent.fp) {
							return
						}
						if len(cur) == blockLen {
							outs[w] = append(outs[w], cur)
							cur = make([]node, 0, blockLen)
						}
						if cur == nil {
							cur = make([]node, 0, blockLen)
						}
						cur = append(cur, node{*t, fp})
						if name := sp.violated(t); name != "" {
							bads[w] = append(bads[w], found{name, fp})
						}
					})
				}
			}
			if len(cur) > 0 {
				outs[w] = append(outs[w], cur)
			}
			generated.Add(gen)
		}()
	}
	wg.Wait()
	var out [][]node
	var bad []found
	for w := range workers {
		out = append(out, outs[w]...)
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

func levelLen(blocks [][]node) int {
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	return n
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
	enc := newEncoder(sp.Config)
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
