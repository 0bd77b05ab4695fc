package spec

import "testing"

// BenchmarkCheck measures the checker's speed in distinct states per
// second on two models, and verifies each result, so that a faster but
// wrong checker cannot pass. Run with: go test ./spec -run '^$' -bench Check
func BenchmarkCheck(b *testing.B) {
	models := []struct {
		name     string
		cfg      Config
		distinct int
	}{
		{"MCRaft", DefaultConfig(), 7426705},
		{"small", Config{Servers: 3, Values: 1, MaxTerm: 2, MaxLogLen: 1, MaxMessages: 2}, 516685},
	}
	for _, m := range models {
		b.Run(m.name, func(b *testing.B) {
			var states int
			for b.Loop() {
				res := New(m.cfg).Check(Options{})
				if res.Violation != nil || !res.Complete || res.Distinct != m.distinct {
					b.Fatalf("wrong result: %d states (want %d), complete %v, violation %v",
						res.Distinct, m.distinct, res.Complete, res.Violation != nil)
				}
				states += res.Distinct
			}
			b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
		})
	}
}
