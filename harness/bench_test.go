package harness

import (
	"testing"
	"time"

	"github.com/raftcheck/raftcheck/linearizability"
)

// BenchmarkSimulate5NodesUnderFaults measures the simulator's speed on a
// 5-node cluster with every fault kind, without the final history check.
// It reports virtual seconds simulated per wall second ("x-real-time"),
// and fails if a run breaks a check.
func BenchmarkSimulate5NodesUnderFaults(b *testing.B) {
	var virtual time.Duration
	start := time.Now()
	for i := range b.N {
		cfg := Config{Seed: uint64(i + 1), Nodes: 5, Duration: 30 * time.Second}
		cfg, _ = cfg.withDefaults()
		s := newSim(cfg, cfg.schedule())
		s.loop()
		if len(s.violations) > 0 {
			b.Fatalf("seed %d: %v", i+1, s.violations)
		}
		virtual += time.Duration(s.now)
	}
	b.ReportMetric(virtual.Seconds()/time.Since(start).Seconds(), "x-real-time")
}

// BenchmarkCheckHistory measures the Porcupine check of one default run's
// history, and fails unless it is linearizable.
func BenchmarkCheckHistory(b *testing.B) {
	res := Run(Config{Seed: 1})
	if res.Failed() {
		b.Fatal(res.Violations)
	}
	b.ReportMetric(float64(res.Ops), "ops/history")
	b.ResetTimer()
	for range b.N {
		r, err := linearizability.Check(res.History, 10*time.Second)
		if err != nil || r.Verdict != linearizability.Ok {
			b.Fatalf("%v %v", r.Verdict, err)
		}
	}
}
