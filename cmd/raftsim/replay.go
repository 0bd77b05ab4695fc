package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/raftcheck/raftcheck/harness"
)

// replay runs the schedule file of opts.replay with the seed, nodes and time
// of opts, writes its artifacts to DIR/replay-seed-S/, and reports it as a
// campaign of one seed. It returns the exit status: 2 if the file cannot be
// read or is not a schedule for opts.nodes nodes.
func (sim simulator) replay(opts options, stdout, stderr io.Writer) int {
	schedule, err := readSchedule(opts.replay, opts.nodes)
	if err != nil {
		fmt.Fprintf(stderr, "raftsim: -replay: %v\n", err)
		return exitBadUsage
	}
	opts.seeds = 1
	rep := sim.newReporter(opts, stdout, stderr, 1)
	out := sim.replayOne(opts, schedule)
	rep.seed(out)
	if !out.failed && out.err == nil {
		fmt.Fprintf(rep.human, "seed %d: ok\n  artifacts: %s\n", out.seed, out.dir)
	}
	return rep.finish()
}

// replayOne runs schedule under opts's seed with a trace and writes the
// artifacts, whether the run fails or not: a person replaying wants to see it.
func (sim simulator) replayOne(opts options, schedule harness.Schedule) (out outcome) {
	cfg := opts.config(opts.seed)
	defer func() {
		if p := recover(); p != nil {
			out = outcome{seed: cfg.Seed, failed: true, err: fmt.Errorf("seed %d: the harness panicked: %v", cfg.Seed, p),
				violations: []harness.Violation{{Kind: violationPanic, Message: fmt.Sprint(p)}}}
		}
	}()
	cfg.Schedule = &schedule
	res, trace := sim.traced(cfg)
	out = outcome{
		seed: cfg.Seed, failed: res.Failed(), violations: res.Violations, ops: res.Ops, virtual: res.Virtual,
		faults: res.Faults, eventsRun: len(schedule.Events), eventsShrunk: len(schedule.Events),
		dir: filepath.Join(opts.out, fmt.Sprintf("replay-seed-%d", cfg.Seed)),
	}
	out.err = sim.write(out.dir, cfg, res, trace)
	if out.failed {
		out.replay = sim.replayCommand(cfg, filepath.Join(out.dir, "schedule.json"))
	}
	return out
}

// readSchedule reads and checks the schedule file at path for n nodes.
func readSchedule(path string, n int) (harness.Schedule, error) {
	f, err := os.Open(path)
	if err != nil {
		return harness.Schedule{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, replayBytesMax+1))
	if err != nil {
		return harness.Schedule{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > replayBytesMax {
		return harness.Schedule{}, fmt.Errorf("%s is larger than %d bytes; not a schedule", path, replayBytesMax)
	}
	s, err := harness.UnmarshalSchedule(data, n)
	if err != nil {
		return harness.Schedule{}, fmt.Errorf("%s (for %d nodes): %w", path, n, err)
	}
	return s, nil
}
