package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/harness"
)

// violationPanic is the kind of the violation raftsim records when a run
// panics out of the harness instead of reporting a failing seed.
const violationPanic = "harness-panic"

// outcome is what raftsim keeps of one seed's run. It holds no history or
// trace, so a campaign's memory does not grow with the length of its runs.
type outcome struct {
	seed       uint64
	failed     bool
	violations []harness.Violation
	ops        int
	virtual    time.Duration
	faults     map[string]int
	reads      map[string]int
	// membership counts membership changes and transfers by outcome.
	membership map[string]int
	// validated reports whether the run's whole trace followed the spec.
	validated bool
	// eventsRun and eventsShrunk count the events of the schedule that ran
	// and of the schedule the artifacts replay.
	eventsRun, eventsShrunk int
	// dir is where the artifacts went, if they were written.
	dir string
	// replay is the command that replays a failing seed.
	replay string
	// err says why the artifacts could not be written, or why the run
	// could not finish.
	err error
}

// config is the harness configuration of one seed of the campaign.
func (o options) config(seed uint64) harness.Config {
	return harness.Config{Seed: seed, Nodes: o.nodes, Duration: o.duration, Faults: o.faults,
		Reads: o.reads, DriftMax: o.drift, LeaseDriftBound: o.leaseBound, SkipValidation: !o.validate}
}

// campaign runs the seeds of opts's shard, reports each in seed order and
// prints the summary. It returns the exit status.
func (sim simulator) campaign(opts options, stdout, stderr io.Writer) int {
	seeds := seedsOf(opts.seed, opts.seeds, opts.shard)
	rep := sim.newReporter(opts, stdout, stderr, len(seeds))
	sim.runAll(opts, seeds, rep.seed)
	return rep.finish()
}

// runAll runs seeds on opts.parallel workers and calls report once per seed,
// in the order of seeds, from the calling goroutine.
func (sim simulator) runAll(opts options, seeds []uint64, report func(outcome)) {
	type indexed struct {
		i   int
		out outcome
	}
	jobs := make(chan int)
	done := make(chan indexed, opts.parallel)
	var wg sync.WaitGroup
	for range min(opts.parallel, len(seeds)) {
		wg.Go(func() {
			for i := range jobs {
				done <- indexed{i, sim.runSeed(opts, seeds[i])}
			}
		})
	}
	go func() {
		for i := range seeds {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(done)
	}()
	// Outcomes arrive in any order; hold each until those of all earlier
	// seeds have been reported. At most len(seeds) wait.
	pending := make(map[int]outcome)
	next := 0
	for d := range done {
		pending[d.i] = d.out
		for out, ok := pending[next]; ok; out, ok = pending[next] {
			delete(pending, next)
			report(out)
			next++
		}
	}
}

// runSeed runs one seed and, if it fails or -keep asks for it, writes its
// artifacts. A panic out of the harness becomes a failing seed, so one
// broken run does not take the campaign down with it.
func (sim simulator) runSeed(opts options, seed uint64) (out outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = outcome{seed: seed, failed: true, err: fmt.Errorf("seed %d: the harness panicked: %v", seed, p),
				violations: []harness.Violation{{Kind: violationPanic, Message: fmt.Sprint(p)}}}
		}
	}()
	cfg := opts.config(seed)
	var trace bytes.Buffer
	if opts.keep {
		cfg.Trace = &trace
	}
	res := sim.run(cfg)
	out = outcome{
		seed: seed, failed: res.Failed(), violations: res.Violations, ops: res.Ops,
		virtual: res.Virtual, faults: res.Faults, reads: res.Reads, eventsRun: len(res.Schedule.Events),
		validated: res.Validated,
	}
	out.membership = res.Membership
	if out.failed {
		cfg.Trace = nil
		sim.saveFailing(opts, cfg, res, &out)
		return out
	}
	if opts.keep {
		out.eventsShrunk = out.eventsRun
		out.dir = seedDir(opts, seed)
		out.err = sim.write(out.dir, cfg, res, trace.Bytes())
	}
	return out
}

// saveFailing shrinks the failing schedule of res, re-runs the shrunk
// schedule with a trace and writes the artifacts of that run. Should the
// shrunk schedule not fail again, which would be a bug in the shrinker or a
// nondeterministic run, the whole schedule is saved instead. Should the
// whole schedule not fail again either, the run is not deterministic, and
// its artifacts cannot show the failure: that is reported as an error.
func (sim simulator) saveFailing(opts options, cfg harness.Config, res harness.Result, out *outcome) {
	schedule := res.Schedule
	if opts.shrink > 0 {
		schedule, _ = sim.shrink(cfg, res.Schedule, opts.shrink)
	}
	cfg.Schedule = &schedule
	again, trace := sim.traced(cfg)
	if !again.Failed() {
		whole := res.Schedule
		cfg.Schedule = &whole
		again, trace = sim.traced(cfg)
	}
	var nondeterministic error
	if !again.Failed() {
		nondeterministic = fmt.Errorf("seed %d: the run is not deterministic: its schedule passed when run again, so the artifacts do not show the failure", cfg.Seed)
	}
	out.eventsShrunk = len(cfg.Schedule.Events)
	out.dir = seedDir(opts, cfg.Seed)
	out.err = errors.Join(nondeterministic, sim.write(out.dir, cfg, again, trace))
	out.replay = sim.replayCommand(cfg, filepath.Join(out.dir, "schedule.json"))
}

// traced runs cfg and returns its result and its trace.
func (sim simulator) traced(cfg harness.Config) (harness.Result, []byte) {
	var trace bytes.Buffer
	cfg.Trace = &trace
	res := sim.run(cfg)
	return res, trace.Bytes()
}

// write writes the artifacts of a run into dir, creating it.
func (sim simulator) write(dir string, cfg harness.Config, res harness.Result, trace []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts of seed %d: %w", cfg.Seed, err)
	}
	if err := sim.writeArtifacts(dir, cfg, res, trace); err != nil {
		return fmt.Errorf("artifacts of seed %d in %s: %w", cfg.Seed, dir, err)
	}
	return nil
}

// seedDir is the artifacts directory of seed.
func seedDir(opts options, seed uint64) string {
	return filepath.Join(opts.out, fmt.Sprintf("seed-%d", seed))
}
