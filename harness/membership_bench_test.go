package harness

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkLearnerCatchUp adds a fresh learner after the log has grown for
// a while and reports how many ticks it took to catch up (its log within
// catchUpLagMax of the leader's commit index, as the leader sees it; the
// operator looks every catchUpPoll) and how long the log was. Logs are compacted
// behind snapshots, so a learner gets a snapshot and the tail.
func BenchmarkLearnerCatchUp(b *testing.B) {
	for _, after := range []time.Duration{2 * time.Second, 10 * time.Second, 40 * time.Second} {
		b.Run(fmt.Sprintf("after=%v", after), func(b *testing.B) {
			sched := Schedule{Events: []Event{{At: after, Duration: 5 * time.Second, Kind: FaultMembership, Change: ChangePromote}}}
			var took time.Duration
			var log, n int
			for i := range b.N {
				res := Run(Config{Seed: uint64(i + 1), Schedule: &sched, Duration: after + 15*time.Second})
				if res.Failed() || len(res.CatchUps) != 1 {
					b.Fatalf("seed %d: %v, catch-ups %v", i+1, res.Violations, res.CatchUps)
				}
				took += res.CatchUps[0].Took
				log += int(res.CatchUps[0].Log)
				n++
			}
			b.ReportMetric(float64(took)/float64(n)/float64(TickInterval), "ticks/catchup")
			b.ReportMetric(float64(log)/float64(n), "log-entries")
		})
	}
}

// BenchmarkLeadershipTransfer asks for transfers to random members with no
// other fault and reports the ticks from the request to the target's
// election.
func BenchmarkLeadershipTransfer(b *testing.B) {
	var sched Schedule
	for k := range 8 {
		sched.Events = append(sched.Events, Event{At: time.Duration(2+2*k) * time.Second, Kind: FaultTransfer, Nodes: []uint64{uint64(1 + k%5)}})
	}
	var took time.Duration
	var n int
	for i := range b.N {
		res := Run(Config{Seed: uint64(i + 1), Schedule: &sched, Duration: 30 * time.Second})
		if res.Failed() || len(res.TransferTimes) == 0 {
			b.Fatalf("seed %d: %v, transfers %v", i+1, res.Violations, res.TransferTimes)
		}
		for _, d := range res.TransferTimes {
			took += d
			n++
		}
	}
	b.ReportMetric(float64(took)/float64(n)/float64(TickInterval), "ticks/transfer")
}
