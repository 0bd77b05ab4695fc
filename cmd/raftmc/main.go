// Command raftmc model-checks one model of the Raft specification (the Go
// mirror of tla/Raft.tla in package spec) and prints the number of distinct
// states, the depth, the time and the verdict. On a violation it prints the
// shortest counterexample.
//
// Exit status: 0 no violation, 1 a violation (or a search stopped by
// -max-states), 2 bad flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/raftcheck/raftcheck/spec"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, checks the model and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, opt, verbose, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "raftmc: %v\n", err)
		}
		return 2
	}
	fmt.Fprintf(stdout, "model: servers=%d values=%d max-term=%d max-log=%d max-messages=%d prevote=%t checkquorum=%t snapshot=%t transfer=%t reads=%t membership=%t init-servers=%d workers=%d\n",
		cfg.Servers, cfg.Values, cfg.MaxTerm, cfg.MaxLogLen, cfg.MaxMessages,
		cfg.PreVote, cfg.CheckQuorum, cfg.Snapshot, cfg.Transfer, cfg.Reads,
		cfg.Membership, cfg.InitServers, opt.Workers)
	if cfg.Reads {
		fmt.Fprintf(stdout, "time: election-timeout=%d max-clock-drift=%d lease-drift-bound=%d max-time=%d max-reads=%d\n",
			cfg.ElectionTimeout, cfg.MaxClockDrift, cfg.LeaseDriftBound, cfg.MaxTime, cfg.MaxReads)
	}
	if verbose {
		opt.Progress = func(depth, distinct int) {
			fmt.Fprintf(stderr, "depth %d: %d distinct states\n", depth, distinct)
		}
	}
	res := spec.New(cfg).Check(opt)
	rate := float64(res.Distinct) / max(res.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(stdout, "distinct states: %d\ngenerated states: %d\ndepth: %d\ntime: %v\nrate: %.0f distinct states/s\n",
		res.Distinct, res.Generated, res.Depth, res.Elapsed.Round(time.Millisecond), rate)
	switch {
	case res.Violation != nil:
		fmt.Fprintf(stdout, "verdict: violation of %s\n\n%s", res.Violation.Invariant, res.Violation.Format(cfg.Servers))
		return 1
	case !res.Complete:
		fmt.Fprintf(stdout, "verdict: incomplete (stopped after %d states), no violation so far\n", opt.MaxStates)
		return 1
	}
	fmt.Fprintln(stdout, "verdict: no violation")
	return 0
}

func loadConfig(path string) (spec.Config, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return spec.Config{}, err
	}
	cfg, err := spec.ParseTLCConfig(string(text))
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func parseFlags(args []string, stderr io.Writer) (spec.Config, spec.Options, bool, error) {
	cfg := spec.DefaultConfig()
	opt := spec.Options{}
	fs := flag.NewFlagSet("raftmc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Servers, "servers", cfg.Servers, "number of servers (Server)")
	fs.IntVar(&cfg.Values, "values", cfg.Values, "number of client values (Value)")
	fs.IntVar(&cfg.MaxTerm, "max-term", cfg.MaxTerm, "bound on currentTerm (MaxTerm)")
	fs.IntVar(&cfg.MaxLogLen, "max-log", cfg.MaxLogLen, "bound on each log's length (MaxLogLen)")
	fs.IntVar(&cfg.MaxMessages, "max-messages", cfg.MaxMessages, "bound on messages in flight (MaxMessages)")
	fs.BoolVar(&cfg.PreVote, "prevote", cfg.PreVote, "PreVoteEnabled")
	fs.BoolVar(&cfg.CheckQuorum, "checkquorum", cfg.CheckQuorum, "CheckQuorumEnabled")
	fs.BoolVar(&cfg.Snapshot, "snapshot", cfg.Snapshot, "SnapshotEnabled")
	fs.BoolVar(&cfg.Transfer, "transfer", cfg.Transfer, "TransferEnabled")
	fs.BoolVar(&cfg.Reads, "reads", cfg.Reads, "ReadsEnabled: ReadIndex, lease reads and real time")
	fs.IntVar(&cfg.ElectionTimeout, "election-timeout", cfg.ElectionTimeout, "ElectionTimeout in ticks")
	fs.IntVar(&cfg.MaxClockDrift, "max-clock-drift", cfg.MaxClockDrift, "MaxClockDrift: the true error of a measured interval")
	fs.IntVar(&cfg.LeaseDriftBound, "lease-drift-bound", cfg.LeaseDriftBound, "LeaseDriftBound: the drift the lease subtracts")
	fs.IntVar(&cfg.MaxTime, "max-time", cfg.MaxTime, "bound on real time (MaxTime)")
	fs.IntVar(&cfg.MaxReads, "max-reads", cfg.MaxReads, "bound on each leader's read rounds (MaxReads)")
	fs.BoolVar(&cfg.Membership, "membership", cfg.Membership, "MembershipEnabled: ChangeConf and LeaveJoint")
	fs.IntVar(&cfg.InitServers, "init-servers", cfg.InitServers, "Cardinality(InitServer), the initial voters s1..sk (0: every server)")
	fs.IntVar(&opt.Workers, "workers", runtime.GOMAXPROCS(0), "worker goroutines")
	fs.IntVar(&opt.MaxStates, "max-states", 0, "stop after the level that passes this many states (0: no limit)")
	verbose := fs.Bool("v", false, "print progress per level on stderr")
	cfgPath := fs.String("cfg", "", "read the model's CONSTANTS from a TLC config (tla/MC*.cfg); other model flags then override it")
	if err := fs.Parse(args); err != nil {
		return cfg, opt, false, err
	}
	if *cfgPath != "" {
		var err error
		if cfg, err = loadConfig(*cfgPath); err != nil {
			return cfg, opt, false, err
		}
		// Flags given explicitly override the file.
		if err := fs.Parse(args); err != nil {
			return cfg, opt, false, err
		}
	}
	if fs.NArg() > 0 {
		return cfg, opt, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if opt.Workers < 1 {
		return cfg, opt, false, fmt.Errorf("workers must be at least 1, got %d", opt.Workers)
	}
	if opt.MaxStates < 0 {
		return cfg, opt, false, fmt.Errorf("max-states must not be negative, got %d", opt.MaxStates)
	}
	return cfg, opt, *verbose, cfg.Validate()
}
