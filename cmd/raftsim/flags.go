package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/harness"
	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/raft"
)

// Defaults and limits of the flags.
const (
	seedsDefault     = 100
	seedsMax         = 10_000_000 // a campaign bigger than this belongs in shards
	seedFirst        = 1
	nodesDefault     = 5
	nodesMax         = 9 // node ids, links and partitions stay readable
	timeDefault      = 30 * time.Second
	timeMax          = 24 * time.Hour
	outDefault       = "./raftsim-out"
	shrinkDefault    = 200
	parallelMax      = 1024
	shardsMax        = 1 << 16
	replayBytesMax   = 64 << 20 // a schedule file is a few kilobytes
	faultsAllKeyword = "all"
	readsAllKeyword  = "all"
	driftDefault     = 0.05
	faultsNoKeyword  = "none"
)

// options are the parsed and validated command line.
type options struct {
	seeds    uint64
	seed     uint64
	nodes    int
	duration time.Duration
	faults   []string
	parallel int
	shard    shard
	out      string
	replay   string
	keep     bool
	json     bool
	shrink   int
	// reads are the read modes of clients' Gets; drift the largest clock
	// drift injected; leaseBound the drift leaders assume for leases.
	reads      []kv.ReadMode
	drift      float64
	leaseBound float64
	// validate validates every run's trace against the spec.
	validate bool
}

// shard is a slice of the seed range: index counts from 1 to of.
type shard struct {
	index, of uint64
}

// String writes the shard as the flag takes it.
func (s shard) String() string { return fmt.Sprintf("%d/%d", s.index, s.of) }

// flagSet declares raftsim's flags on a new set writing to stderr, with
// their defaults in opts, and returns the text flags for parseArgs to check.
func flagSet(opts *options, stderr io.Writer) (fs *flag.FlagSet, faults, shardText, reads *string) {
	fs = flag.NewFlagSet("raftsim", flag.ContinueOnError)
	reads = fs.String("reads", readsAllKeyword, "comma-separated read `modes` of clients' Gets, or all; modes: log,readindex,lease,follower")
	fs.SetOutput(stderr)
	fs.Uint64Var(&opts.seeds, "seeds", seedsDefault, "number of seeds in the campaign")
	fs.Uint64Var(&opts.seed, "seed", seedFirst, "first seed of the campaign; the seed of a -replay")
	fs.IntVar(&opts.nodes, "nodes", nodesDefault, "nodes in the cluster")
	fs.DurationVar(&opts.duration, "time", timeDefault, "virtual time of each run")
	faults = fs.String("faults", faultsAllKeyword, "comma-separated fault `kinds` to inject, all, or none; kinds: "+strings.Join(harness.FaultKinds, ","))
	fs.IntVar(&opts.parallel, "parallel", runtime.GOMAXPROCS(0), "seeds run at once")
	shardText = fs.String("shard", "1/1", "run only slice `i/n` of the seeds (i from 1 to n): those at offsets k with k mod n == i-1")
	fs.StringVar(&opts.out, "out", outDefault, "`dir`ectory for the artifacts of failing seeds")
	fs.StringVar(&opts.replay, "replay", "", "replay this schedule.json `file` with -seed, -nodes and -time")
	fs.BoolVar(&opts.keep, "keep", false, "write the artifacts of passing seeds too")
	fs.BoolVar(&opts.json, "json", false, "print the summary as JSON instead of a table")
	fs.BoolVar(&opts.validate, "validate", true, "validate every run's trace against the spec (spec/); a trace that does not follow it fails the seed")
	fs.IntVar(&opts.shrink, "shrink", shrinkDefault, "budget in runs for shrinking a failing schedule; 0 disables")
	fs.Float64Var(&opts.drift, "drift", driftDefault, "largest clock-rate drift injected, e.g. 0.05 for clocks within 5% of real speed")
	fs.Float64Var(&opts.leaseBound, "lease-drift-bound", raft.DefaultLeaseDriftBound, "clock drift the leaders assume for lease reads; lease reads are linearizable only when -drift is within it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: raftsim [flags]\n       raftsim -replay DIR/seed-S/schedule.json -seed S [-nodes N] [-time D]")
		fs.PrintDefaults()
	}
	return fs, faults, shardText, reads
}

// parseArgs parses and checks the command line. Every error names the flag
// and the value at fault.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs, faults, shardText, reads := flagSet(&opts, stderr)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() != 0 {
		return options{}, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	var err error
	if opts.faults, err = parseFaults(*faults); err != nil {
		return options{}, err
	}
	if opts.shard, err = parseShard(*shardText); err != nil {
		return options{}, err
	}
	if opts.reads, err = parseReads(*reads); err != nil {
		return options{}, err
	}
	if err := opts.check(); err != nil {
		return options{}, err
	}
	return opts, nil
}

// check checks the numeric flags against their limits.
func (o options) check() error {
	switch {
	case o.seeds < 1 || o.seeds > seedsMax:
		return fmt.Errorf("-seeds must be in 1..%d, got %d", seedsMax, o.seeds)
	case o.replay == "" && o.seed > math.MaxUint64-(o.seeds-1):
		return fmt.Errorf("-seed %d with -seeds %d runs past the largest seed", o.seed, o.seeds)
	case o.nodes < 1 || o.nodes > nodesMax:
		return fmt.Errorf("-nodes must be in 1..%d, got %d", nodesMax, o.nodes)
	case o.duration <= harness.LivenessBound || o.duration > timeMax:
		// Faults fall before the last LivenessBound of a run, after which
		// the cluster must make progress; a shorter run has no room.
		return fmt.Errorf("-time must be longer than the liveness bound %v and at most %v, got %v",
			harness.LivenessBound, timeMax, o.duration)
	case o.parallel < 1 || o.parallel > parallelMax:
		return fmt.Errorf("-parallel must be in 1..%d, got %d", parallelMax, o.parallel)
	case o.shrink < 0:
		return fmt.Errorf("-shrink must not be negative, got %d", o.shrink)
	case o.out == "":
		return fmt.Errorf("-out must name a directory")
	case o.drift < 0 || o.drift >= 1:
		return fmt.Errorf("-drift must be in [0, 1), got %v", o.drift)
	case o.leaseBound <= 0 || o.leaseBound >= 1:
		return fmt.Errorf("-lease-drift-bound must be in (0, 1), got %v", o.leaseBound)
	}
	return nil
}

// parseFaults reads the -faults list: fault kinds separated by commas,
// "all" or "none". The kinds come back in the order of harness.FaultKinds,
// each once; "none" is an empty list, not nil, which the harness would read
// as all.
func parseFaults(text string) ([]string, error) {
	known := strings.Join(harness.FaultKinds, ", ")
	switch strings.TrimSpace(text) {
	case faultsAllKeyword:
		return slices.Clone(harness.FaultKinds), nil
	case faultsNoKeyword:
		return []string{}, nil
	}
	var kinds []string
	for _, k := range strings.Split(text, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, fmt.Errorf("-faults %q has an empty kind (known kinds: %s; or all, or none)", text, known)
		}
		if !slices.Contains(harness.FaultKinds, k) {
			return nil, fmt.Errorf("-faults: unknown fault kind %q (known kinds: %s; or all, or none)", k, known)
		}
		kinds = append(kinds, k)
	}
	return slices.DeleteFunc(slices.Clone(harness.FaultKinds), func(k string) bool {
		return !slices.Contains(kinds, k)
	}), nil
}

// parseReads reads the -reads list: read modes separated by commas, or
// "all".
func parseReads(text string) ([]kv.ReadMode, error) {
	if strings.TrimSpace(text) == readsAllKeyword {
		return slices.Clone(kv.ReadModes), nil
	}
	var modes []kv.ReadMode
	for _, m := range strings.Split(text, ",") {
		mode, err := kv.ParseReadMode(strings.TrimSpace(m))
		if err != nil {
			return nil, fmt.Errorf("-reads: %w", err)
		}
		if !slices.Contains(modes, mode) {
			modes = append(modes, mode)
		}
	}
	return modes, nil
}

// parseShard reads -shard i/n, where 1 <= i <= n.
func parseShard(text string) (shard, error) {
	bad := func(why string) (shard, error) {
		return shard{}, fmt.Errorf("-shard %q: %s (want i/n with 1 <= i <= n, e.g. 2/4)", text, why)
	}
	is, ns, ok := strings.Cut(text, "/")
	if !ok {
		return bad("no slash")
	}
	i, err := strconv.ParseUint(strings.TrimSpace(is), 10, 64)
	if err != nil {
		return bad("i is not a whole number")
	}
	n, err := strconv.ParseUint(strings.TrimSpace(ns), 10, 64)
	if err != nil {
		return bad("n is not a whole number")
	}
	switch {
	case n < 1 || n > shardsMax:
		return bad(fmt.Sprintf("n must be in 1..%d", shardsMax))
	case i < 1 || i > n:
		return bad("i is outside 1..n (i counts from 1)")
	}
	return shard{index: i, of: n}, nil
}

// seedsOf lists the seeds of shard s of the range [first, first+count), in
// increasing order: those at offsets k with k mod s.of == s.index-1.
func seedsOf(first, count uint64, s shard) []uint64 {
	var seeds []uint64
	for k := s.index - 1; k < count; k += s.of {
		seeds = append(seeds, first+k)
	}
	return seeds
}
