//go:build linux

package harness

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/raftcheck/raftcheck/raft"
)

// threadCPU is the CPU time this thread has used. The benchmark compares
// CPU times, not wall times: on a shared machine the wall time of either
// part swings with the load, the CPU time of the thread much less.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTraceValidation measures what validating a run's trace costs
// against what simulating the run costs: it simulates default 5-node runs
// under every fault but membership changes, recording the core's events,
// checks the history as Run does, then validates the events. It reports
// the ratio of the thread CPU times to the simulation alone
// ("validation/sim"; the budget is 0.10) and to the whole run with its
// history check ("validation/run"), and the validation's cost per event;
// it fails if a run fails or a trace does not validate. Run with:
// go test ./harness -run '^$' -bench TraceValidation -benchtime 20x
func BenchmarkTraceValidation(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var simCPU, checkCPU, valCPU time.Duration
	events := 0
	for i := range b.N {
		cfg := Config{Seed: uint64(i%20 + 1), Faults: noMembership, SkipValidation: true}
		cfg, err := cfg.withDefaults()
		if err != nil {
			b.Fatal(err)
		}
		var evs []raft.TraceEvent
		s := newSim(cfg, cfg.schedule())
		s.trace.check = func(ev raft.TraceEvent) { evs = append(evs, ev) }
		start := threadCPU(b)
		s.loop()
		simCPU += threadCPU(b) - start
		start = threadCPU(b)
		res := s.result(Result{Seed: cfg.Seed}, true)
		checkCPU += threadCPU(b) - start
		if res.Failed() {
			b.Fatalf("seed %d: %v", cfg.Seed, res.Violations)
		}

		start = threadCPU(b)
		tv, err := newTraceValidator(cfg.Nodes)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			if err := tv.step(ev); err != nil {
				b.Fatalf("seed %d: %v", cfg.Seed, err)
			}
		}
		valCPU += threadCPU(b) - start
		events += len(evs)
	}
	b.ReportMetric(float64(valCPU)/float64(simCPU), "validation/sim")
	b.ReportMetric(float64(valCPU)/float64(simCPU+checkCPU), "validation/run")
	b.ReportMetric(float64(valCPU.Nanoseconds())/float64(events), "cpu-ns/event")
}
