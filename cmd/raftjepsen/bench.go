package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	jepsen "github.com/raftcheck/raftcheck/jepsen-style"
)

// benchTimeDefault is how long each concurrency level of -bench runs when
// -time is not given.
const benchTimeDefault = 10 * time.Second

// runBench runs -bench and prints its table; the exit status is 1 when a
// level lost an acknowledged Put on read-back, and 2 when the benchmark
// could not run.
func runBench(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	dir := filepath.Join(opts.cfg.OutDir, "bench")
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
		return exitBadUsage
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
		return exitBadUsage
	}
	began := time.Now()
	res, err := jepsen.Bench(ctx, jepsen.BenchConfig{Binary: opts.cfg.Binary, Dir: dir, Time: opts.cfg.Time, Logf: opts.cfg.Logf})
	if errors.Is(err, jepsen.ErrLostWrite) {
		fmt.Fprintf(stdout, "VIOLATION %v\n", err)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftjepsen: bench: %v\n", err)
		return exitBadUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "clients\tputs\tputs/s\tp50\tp99\tmax\terrors\t\n")
	puts := 0
	for _, l := range res.Levels {
		puts += l.Puts
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%v\t%v\t%v\t%d\t\n", l.Clients, l.Puts, l.Throughput,
			round(l.Latency.P50), round(l.Latency.P99), round(l.Latency.Max), l.Errors)
	}
	tw.Flush()
	for _, f := range []struct {
		name string
		l    jepsen.Latencies
	}{{"before", res.FsyncBefore}, {"after", res.FsyncAfter}} {
		fmt.Fprintf(stdout, "disk fsync of 4 KiB (%s, %d samples): p50 %v, p99 %v, max %v\n",
			f.name, f.l.N, round(f.l.P50), round(f.l.P99), round(f.l.Max))
	}
	fmt.Fprintf(stdout, "round trip (GET /status on the leader, %d samples): p50 %v, p99 %v\n",
		res.RoundTrip.N, round(res.RoundTrip.P50), round(res.RoundTrip.P99))
	if len(res.Levels) > 0 {
		budget := 2*max(res.FsyncBefore.P50, res.FsyncAfter.P50) + res.RoundTrip.P50
		fmt.Fprintf(stdout, "put p50 with %d client(s): %v; 2 fsyncs + 1 round trip: %v (%.1fx)\n",
			res.Levels[0].Clients, round(res.Levels[0].Latency.P50), round(budget),
			float64(res.Levels[0].Latency.P50)/float64(max(budget, 1)))
	}
	fmt.Fprintf(stdout, "raftjepsen: %d nodes, 0 violations, %d ops, 0 nemesis events, %.1f s of puts in %.2f s (bench)\n",
		res.Nodes, puts, float64(len(res.Levels))*opts.cfg.Time.Seconds(), time.Since(began).Seconds())
	return exitOK
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
