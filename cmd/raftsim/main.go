// Command raftsim runs the deterministic simulator over a campaign of seeds:
// each seed is a 5-node cluster (by default) with clients, under a schedule
// of faults drawn from the seed, checked for Raft's safety invariants, for
// liveness once the faults stop and for linearizability of what the clients
// saw.
//
// Usage:
//
//	raftsim [-seeds N] [-seed S] [-nodes N] [-time D] [-faults LIST]
//	        [-parallel N] [-shard i/n] [-out DIR] [-keep] [-shrink N] [-json]
//	raftsim -replay DIR/seed-S/schedule.json -seed S [-nodes N] [-time D]
//
// Seeds run in parallel on -parallel workers (all cores by default), but are
// reported in seed order, so the output is the same from run to run apart
// from the timings. On a terminal a progress bar is drawn; otherwise a line
// is printed for each failing seed and a progress line every tenth of the
// campaign. A summary table follows, and the last line printed is
//
//	raftsim: N seeds, V violations, O ops, X virtual-s in Y s (R x real time)
//
// With -json the summary is one JSON document on standard output instead of
// the table, and the human-readable lines (failing seeds and the last line)
// go to standard error, so that standard output parses as JSON.
//
// For each failing seed, raftsim shrinks the fault schedule (-shrink runs at
// most; 0 keeps the schedule whole), re-runs the shrunk schedule with a trace
// and writes DIR/seed-S/ with history.html, trace.ndjson, schedule.json and
// replay.txt, then prints the command that replays it. -keep writes the same
// files for passing seeds too. The trace of a seed is byte-identical from
// run to run.
//
// -shard i/n runs the i-th of n disjoint slices of the seed range
// [S, S+N): i counts from 1, and slice i holds the seeds S+k for which
// k mod n == i-1. The n slices together cover the range once, so n CI
// machines given -shard 1/n ... n/n run the whole campaign between them.
//
// -replay runs one schedule file (from DIR/seed-S/schedule.json) with the
// given -seed, -nodes and -time, writes its artifacts to DIR/replay-seed-S/
// and reports it.
//
// Exit status: 0 when every seed passed every check; 1 when any seed failed
// a check (or its artifacts could not be written); 2 on bad usage: a bad flag
// value, an unknown fault kind, a bad shard or an unreadable replay file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/raftcheck/raftcheck/harness"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// simulator is what raftsim needs from package harness. Tests swap in fakes
// so that campaigns of hundreds of seeds run in milliseconds.
type simulator struct {
	// run runs one seed.
	run func(harness.Config) harness.Result
	// shrink reduces a failing schedule within a budget of runs.
	shrink func(cfg harness.Config, failing harness.Schedule, budget int) (harness.Schedule, harness.Result)
	// writeArtifacts writes a run's files into dir.
	writeArtifacts func(dir string, cfg harness.Config, res harness.Result, trace []byte) error
	// replayCommand is the command that replays scheduleFile under cfg.
	replayCommand func(cfg harness.Config, scheduleFile string) string
	// now reads the wall clock, for the timings of the summary.
	now func() time.Time
	// terminal reports whether w is a terminal, to draw a progress bar.
	terminal func(w io.Writer) bool
}

// realSimulator is the simulator of package harness and the real clock.
func realSimulator() simulator {
	return simulator{
		run:            harness.Run,
		shrink:         harness.Shrink,
		writeArtifacts: harness.WriteArtifacts,
		replayCommand:  harness.ReplayCommand,
		now:            time.Now,
		terminal:       isTerminal,
	}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run is the command with its arguments and outputs passed in, so tests can
// call it. It returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return realSimulator().main(args, stdout, stderr)
}

// main parses args and runs the campaign or the replay they ask for.
func (sim simulator) main(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftsim: %v\n", err)
		return exitBadUsage
	}
	if opts.replay != "" {
		return sim.replay(opts, stdout, stderr)
	}
	return sim.campaign(opts, stdout, stderr)
}
