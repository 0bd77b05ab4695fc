package jepsen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
)

// Bench limits.
const (
	// benchValueBytes is the size of each value Put.
	benchValueBytes = 64
	// fsyncSamples is how many fsyncs measure the disk, before and after
	// the Puts; fsyncBlockBytes is what each one makes durable.
	fsyncSamples    = 200
	fsyncBlockBytes = 4096
)

// BenchConcurrencyDefault are the client counts measured by default.
var BenchConcurrencyDefault = []int{1, 16, 128}

// ErrLostWrite marks a Bench failure where a client's last acknowledged Put
// did not read back: a durability violation, not a failure to run.
var ErrLostWrite = errors.New("jepsen: acknowledged put lost")

// BenchConfig configures Bench.
type BenchConfig struct {
	// Binary is the raftkv executable.
	Binary string
	// Nodes is the cluster size (3 if zero).
	Nodes int
	// Dir holds the cluster's data; its disk is the one measured.
	Dir string
	// Concurrency lists the numbers of concurrent clients to measure
	// (BenchConcurrencyDefault if empty).
	Concurrency []int
	// Time is how long each level runs.
	Time time.Duration
	// Logf receives progress.
	Logf func(format string, args ...any)
}

// Latencies summarizes a sample of durations.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

func summarize(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Latencies{N: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

// BenchLevel is the outcome of one concurrency level.
type BenchLevel struct {
	Clients    int
	Puts       int
	Throughput float64 // acknowledged Puts per second
	Latency    Latencies
	Errors     int
}

// BenchResult is what Bench measured.
type BenchResult struct {
	Nodes  int
	Levels []BenchLevel
	// FsyncBefore and FsyncAfter are the disk's fsync latency in the
	// cluster's directory, before and after the Puts.
	FsyncBefore, FsyncAfter Latencies
	// RoundTrip is the latency of GET /status on the leader: one HTTP
	// round trip on loopback plus a turn of the node's loop, no disk.
	RoundTrip Latencies
}

// Bench measures Put throughput and latency on a cluster with fsync on,
// for each number of concurrent clients, and the disk's own fsync latency
// in the same run. Each level checks that every client's last Put is read
// back, so a level that lost writes fails instead of reporting a figure.
func Bench(ctx context.Context, cfg BenchConfig) (BenchResult, error) {
	if cfg.Nodes == 0 {
		cfg.Nodes = 3
	}
	if len(cfg.Concurrency) == 0 {
		cfg.Concurrency = BenchConcurrencyDefault
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	for _, n := range cfg.Concurrency {
		if n < 1 || n > ClientsMax {
			return BenchResult{}, fmt.Errorf("%w: %d clients, want 1 to %d", ErrConfig, n, ClientsMax)
		}
	}
	if cfg.Time <= 0 || cfg.Time > TimeMax {
		return BenchResult{}, fmt.Errorf("%w: time %v, want (0, %v]", ErrConfig, cfg.Time, TimeMax)
	}
	res := BenchResult{Nodes: cfg.Nodes}
	var err error
	if res.FsyncBefore, err = measureFsync(cfg.Dir); err != nil {
		return res, err
	}
	c, err := StartCluster(ctx, ClusterConfig{Binary: cfg.Binary, Nodes: cfg.Nodes, Dir: cfg.Dir})
	if err != nil {
		return res, err
	}
	defer c.Close()
	if err := waitLeader(ctx, c, setupMax); err != nil {
		return res, fmt.Errorf("first election: %w", err)
	}
	if res.RoundTrip, err = measureRoundTrip(ctx, c); err != nil {
		return res, err
	}
	var nextID uint64
	for _, n := range cfg.Concurrency {
		level, err := benchLevel(ctx, c.ClientURLs(0), n, cfg.Time, &nextID)
		if err != nil {
			return res, err
		}
		cfg.Logf("%d clients: %.0f puts/s, p50 %v, p99 %v", n, level.Throughput, level.Latency.P50, level.Latency.P99)
		res.Levels = append(res.Levels, level)
	}
	if res.FsyncAfter, err = measureFsync(cfg.Dir); err != nil {
		return res, err
	}
	return res, nil
}

// benchLevel runs n clients doing Puts back to back for d, then reads back
// each client's last value.
func benchLevel(ctx context.Context, urls []string, n int, d time.Duration, nextID *uint64) (BenchLevel, error) {
	type clientOut struct {
		lat  []time.Duration
		last string
		// unacked are the values of Puts since last whose outcome is
		// unknown (the last one is cut off when the level ends): any of
		// them may be what a read finds.
		unacked []string
		errors  int
	}
	outs := make([]clientOut, n)
	clients := make([]*client.Client, n)
	for i := range clients {
		*nextID++
		cl, err := client.New(urls, *nextID)
		if err != nil {
			return BenchLevel{}, err
		}
		defer cl.Close()
		clients[i] = cl
	}
	value := func(i, seq int) string {
		return fmt.Sprintf("%0*d", benchValueBytes, i*1_000_000+seq)
	}
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 1; runCtx.Err() == nil; seq++ {
				v := value(i, seq)
				t0 := time.Now()
				if err := clients[i].Put(runCtx, fmt.Sprintf("bench-%d-%d", n, i), v); err != nil {
					if runCtx.Err() == nil {
						outs[i].errors++
					}
					outs[i].unacked = append(outs[i].unacked, v)
					continue
				}
				outs[i].lat = append(outs[i].lat, time.Since(t0))
				outs[i].last, outs[i].unacked = v, outs[i].unacked[:0]
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	level := BenchLevel{Clients: n}
	var all []time.Duration
	for i, o := range outs {
		all = append(all, o.lat...)
		level.Errors += o.errors
		if o.last == "" {
			continue
		}
		got, _, err := clients[i].Get(ctx, fmt.Sprintf("bench-%d-%d", n, i), kv.ReadIndex)
		if err != nil {
			return level, fmt.Errorf("bench: read back client %d: %w", i, err)
		}
		if got != o.last && !slices.Contains(o.unacked, got) {
			return level, fmt.Errorf("bench: client %d's last acknowledged put %q reads back as %q: %w", i, o.last, got, ErrLostWrite)
		}
	}
	level.Puts = len(all)
	level.Throughput = float64(len(all)) / elapsed.Seconds()
	level.Latency = summarize(all)
	if level.Puts == 0 {
		return level, errors.New("bench: no put was acknowledged")
	}
	return level, nil
}

// measureRoundTrip times fsyncSamples GET /status on the leader.
func measureRoundTrip(ctx context.Context, c *Cluster) (Latencies, error) {
	lead, _ := c.Leader(ctx)
	if lead == 0 {
		return Latencies{}, errors.New("bench: no leader to time round trips to")
	}
	lat := make([]time.Duration, 0, fsyncSamples)
	for range fsyncSamples {
		t0 := time.Now()
		if _, err := c.Status(ctx, lead); err != nil {
			return Latencies{}, fmt.Errorf("bench: round trip: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	return summarize(lat), nil
}

// measureFsync writes and fsyncs a block fsyncSamples times in a file in
// dir, as the WAL does for a batch, and returns the fsync latencies.
func measureFsync(dir string) (Latencies, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return Latencies{}, fmt.Errorf("fsync probe: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, fsyncBlockBytes)
	lat := make([]time.Duration, 0, fsyncSamples)
	for range fsyncSamples {
		if _, err := f.Write(block); err != nil {
			return Latencies{}, fmt.Errorf("fsync probe %s: %w", filepath.Base(f.Name()), err)
		}
		t0 := time.Now()
		if err := f.Sync(); err != nil {
			return Latencies{}, fmt.Errorf("fsync probe %s: %w", filepath.Base(f.Name()), err)
		}
		lat = append(lat, time.Since(t0))
	}
	return summarize(lat), nil
}
