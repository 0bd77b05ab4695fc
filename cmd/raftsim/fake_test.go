package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/harness"
)

// fakeSim stands in for the harness: every run has a schedule of
// fakeEvents events, and the seeds in failing fail while their schedule
// holds at least one event, so shrinking can reduce them to one event.
type fakeSim struct {
	failing map[uint64]bool
	// panics holds seeds whose run panics.
	panics map[uint64]bool
	// flaky holds failing seeds that fail only in the campaign's own run,
	// not when their schedule is given again.
	flaky map[uint64]bool
	// delay makes low seeds slow, so that workers finish out of order.
	delay bool

	mu      sync.Mutex
	configs []harness.Config
	shrinks []int // budgets
}

// fakeEvents is the length of a fake run's schedule.
const fakeEvents = 4

// newFake fails the given seeds.
func newFake(failing ...uint64) *fakeSim {
	f := &fakeSim{failing: make(map[uint64]bool), panics: make(map[uint64]bool), flaky: make(map[uint64]bool)}
	for _, s := range failing {
		f.failing[s] = true
	}
	return f
}

func (f *fakeSim) run(cfg harness.Config) harness.Result {
	f.mu.Lock()
	f.configs = append(f.configs, cfg)
	f.mu.Unlock()
	if f.panics[cfg.Seed] {
		panic(fmt.Sprintf("boom %d", cfg.Seed))
	}
	if f.delay && cfg.Seed%7 == 1 {
		time.Sleep(2 * time.Millisecond)
	}
	sched := harness.Schedule{}
	for i := range fakeEvents {
		sched.Events = append(sched.Events, harness.Event{At: time.Duration(i) * time.Second, Duration: time.Second, Kind: harness.FaultCrash, Nodes: []uint64{1}})
	}
	if cfg.Schedule != nil {
		sched = *cfg.Schedule
	}
	res := harness.Result{Seed: cfg.Seed, Schedule: sched, Ops: 10, Virtual: cfg.Duration, Faults: sched.Counts()}
	if f.failing[cfg.Seed] && len(sched.Events) > 0 && !(f.flaky[cfg.Seed] && cfg.Schedule != nil) {
		res.Violations = []harness.Violation{
			{Kind: "election-safety", At: 3 * time.Second, Message: "two leaders in term 4"},
			{Kind: "linearizability", At: cfg.Duration, Message: "not linearizable"},
		}
	}
	if cfg.Trace != nil {
		fmt.Fprintf(cfg.Trace, "{\"seed\":%d,\"events\":%d}\n", cfg.Seed, len(sched.Events))
	}
	return res
}

// shrink drops all events but the last.
func (f *fakeSim) shrink(cfg harness.Config, failing harness.Schedule, budget int) (harness.Schedule, harness.Result) {
	f.mu.Lock()
	f.shrinks = append(f.shrinks, budget)
	f.mu.Unlock()
	s := harness.Schedule{Events: failing.Events[len(failing.Events)-1:]}
	cfg.Schedule = &s
	return s, f.run(cfg)
}

// seedsRun lists the seeds of runs without a given schedule: the
// campaign's own runs, not shrinking's or tracing's.
func (f *fakeSim) seedsRun() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var seeds []uint64
	for _, c := range f.configs {
		if c.Schedule == nil {
			seeds = append(seeds, c.Seed)
		}
	}
	slices.Sort(seeds)
	return seeds
}

// writeFakeArtifacts writes the four files, the trace as given.
func writeFakeArtifacts(dir string, cfg harness.Config, res harness.Result, trace []byte) error {
	data, err := harness.MarshalSchedule(res.Schedule)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"history.html":  []byte("<html></html>"),
		"trace.ndjson":  trace,
		"schedule.json": data,
		"replay.txt":    []byte(fakeReplay(cfg, filepath.Join(dir, "schedule.json")) + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fakeReplay(cfg harness.Config, file string) string {
	return fmt.Sprintf("go run ./cmd/raftsim -replay %s -seed %d", file, cfg.Seed)
}

// simulator returns the fake as a simulator with a clock that moves 10 ms
// per reading, so that timings, and with them the whole output, are the
// same from run to run.
func (f *fakeSim) simulator(terminal bool) simulator {
	var clock time.Time
	return simulator{
		run:            f.run,
		shrink:         f.shrink,
		writeArtifacts: writeFakeArtifacts,
		replayCommand:  fakeReplay,
		now: func() time.Time {
			clock = clock.Add(10 * time.Millisecond)
			return clock
		},
		terminal: func(io.Writer) bool { return terminal },
	}
}

// outputs is what one invocation printed and returned.
type outputs struct {
	code           int
	stdout, stderr string
}

// lastLine is the last line printed on w.
func (o outputs) lastLine(w string) string {
	lines := strings.Split(strings.TrimRight(w, "\n"), "\n")
	return lines[len(lines)-1]
}

// invoke runs raftsim on the fake with args, writing artifacts under a
// temporary directory unless args name one.
func (f *fakeSim) invoke(t *testing.T, args ...string) outputs {
	t.Helper()
	return f.invokeOn(t, false, args...)
}

func (f *fakeSim) invokeOn(t *testing.T, terminal bool, args ...string) outputs {
	t.Helper()
	if !slices.Contains(args, "-out") {
		args = append([]string{"-out", filepath.Join(t.TempDir(), "out")}, args...)
	}
	var stdout, stderr bytes.Buffer
	code := f.simulator(terminal).main(args, &stdout, &stderr)
	return outputs{code, stdout.String(), stderr.String()}
}

// requireFiles checks that dir holds the four artifacts.
func requireFiles(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"history.html", "trace.ndjson", "schedule.json", "replay.txt"} {
		require.FileExists(t, filepath.Join(dir, name))
	}
}
