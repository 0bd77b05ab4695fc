// Command raftjepsen tests raftkv the way Jepsen does: it starts a cluster
// of real raftkv processes on loopback addresses (127.0.0.11, .12, ...), each
// with its own data directory, runs concurrent clients against it while a
// nemesis injects faults, then heals everything, reads every key, and checks
// the whole history with Porcupine.
//
// Usage:
//
//	raftjepsen [-nodes N] [-time D] [-nemesis LIST] [-rate R] [-out DIR]
//	           [-clients N] [-keys N] [-reads LIST] [-seed S] [-raftkv PATH]
//	           [-tick D] [-gap D] [-hold D] [-skew X] [-check-timeout D] [-tls]
//	raftjepsen -bench [-time D] [-out DIR] [-raftkv PATH]
//
// The nemeses (-nemesis, comma-separated, or all, or none) are kill
// (SIGKILL a minority, restart it from its disk), pause (SIGSTOP/SIGCONT a
// minority), partition (cut links in the fault-injecting TCP proxies that
// carry all Raft traffic: halves, isolate, bridge, majorities-ring,
// one-way), clock (skew some nodes' clock rates through raftkv's
// -fault-hooks endpoint, within -skew), transfer (leadership transfer) and
// membership (through raftkv's admin API: a fresh node joins on a new
// address as a learner and is promoted once caught up; a voter, the leader
// half the time, is removed, replaced or demoted; at least 3 voters stay).
// One fault is in force at a time, except a clock skew, which lasts until
// the next; kill, pause and partition hit the members of the moment. With
// -tls the peers speak mutual TLS, through the same proxies, each with a
// certificate naming its node.
//
// DIR receives history.json (readable by lincheck), history.html (the
// Porcupine page, annotated with every nemesis event and the leaders seen)
// and cluster/ with the nodes' data and logs. Without -raftkv, raftkv is
// built with the go command into a temporary directory first.
//
// The run stops by itself: the workload lasts -time, and the whole run is
// bounded by a hard deadline; every raftkv process is killed on exit.
// The last line printed is
//
//	raftjepsen: N nodes, V violations, O ops, F nemesis events, X s of faults in Y s (verdict)
//
// -bench measures instead Put throughput and latency on a 3-node cluster
// with fsync on, for 1, 16 and 128 concurrent clients (-time each, 10s if
// not given), and the disk's own fsync latency in the same run and directory,
// before and after the Puts, to compare with commit latency.
//
// Exit status: 0 when the history is linearizable and the final reads agree
// with it; 1 on a violation (including a check that timed out or a cluster
// that did not recover after healing); 2 on bad usage or when the cluster
// could not be run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	jepsen "github.com/raftcheck/raftcheck/jepsen-style"
	"github.com/raftcheck/raftcheck/kv"
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

// options are the parsed command line.
type options struct {
	cfg   jepsen.Config
	bench bool
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("raftjepsen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o                    options
		nemeses, reads, seed string
	)
	fs.IntVar(&o.cfg.Nodes, "nodes", jepsen.NodesDefault, fmt.Sprintf("cluster size, 1 to %d", jepsen.NodesMax))
	fs.DurationVar(&o.cfg.Time, "time", 60*time.Second, "how long the workload and the nemesis run")
	fs.StringVar(&nemeses, "nemesis", "all", "faults: comma-separated of "+strings.Join(jepsen.Kinds, ",")+"; all; none")
	fs.Float64Var(&o.cfg.Rate, "rate", 100, "operations started per second, over all clients (0: no bound)")
	fs.StringVar(&o.cfg.OutDir, "out", "raftjepsen-out", "directory for the history, the report and the nodes' data and logs")
	fs.IntVar(&o.cfg.Clients, "clients", 0, "concurrent clients (default 2 per node)")
	fs.IntVar(&o.cfg.Keys, "keys", jepsen.KeysDefault, "number of keys")
	fs.StringVar(&reads, "reads", "", "read modes of gets, comma-separated (default all: log,readindex,lease,follower)")
	fs.StringVar(&seed, "seed", "", "seed of the workload and nemesis choices (default: from the clock; printed)")
	fs.StringVar(&o.cfg.Binary, "raftkv", "", "raftkv binary (default: build it with the go command)")
	fs.DurationVar(&o.cfg.Tick, "tick", 0, "raftkv -tick (default raftkv's)")
	fs.DurationVar(&o.cfg.Gap, "gap", jepsen.GapDefault, "mean quiet time between faults")
	fs.DurationVar(&o.cfg.HoldMax, "hold", jepsen.HoldMaxDefault, "longest a fault lasts")
	fs.Float64Var(&o.cfg.Skew, "skew", jepsen.SkewDefault, "clock nemesis rates in [1-skew, 1+skew]; beyond the lease drift bound lease reads may go stale")
	fs.DurationVar(&o.cfg.CheckTimeout, "check-timeout", jepsen.CheckTimeoutDefault, "budget of each Porcupine check")
	fs.BoolVar(&o.cfg.TLS, "tls", false, "peers speak mutual TLS (raftkv -tls-*), with a CA and certificates made for the run")
	fs.BoolVar(&o.bench, "bench", false, "measure Put throughput and latency, and fsync latency, instead")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.bench {
		timeSet := false
		fs.Visit(func(f *flag.Flag) { timeSet = timeSet || f.Name == "time" })
		if !timeSet {
			o.cfg.Time = benchTimeDefault
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.cfg.Nemeses, err = jepsen.ParseNemeses(nemeses); err != nil {
		return o, err
	}
	if reads != "" {
		for _, r := range strings.Split(reads, ",") {
			m, err := kv.ParseReadMode(strings.TrimSpace(r))
			if err != nil {
				return o, fmt.Errorf("-reads: %w", err)
			}
			o.cfg.Reads = append(o.cfg.Reads, m)
		}
	}
	if seed == "" {
		o.cfg.Seed = uint64(time.Now().UnixNano())
	} else if _, err := fmt.Sscan(seed, &o.cfg.Seed); err != nil {
		return o, fmt.Errorf("-seed %q: want an unsigned integer", seed)
	}
	return o, nil
}

// run is the command, with its arguments and outputs passed in so tests can
// call it. It returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
		return exitBadUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.cfg.Binary == "" {
		dir, err := os.MkdirTemp("", "raftjepsen-bin-")
		if err != nil {
			fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
			return exitBadUsage
		}
		defer os.RemoveAll(dir)
		if opts.cfg.Binary, err = jepsen.BuildRaftkv(ctx, dir); err != nil {
			fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
			return exitBadUsage
		}
	}
	opts.cfg.Logf = func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
	}
	if opts.bench {
		return runBench(ctx, opts, stdout, stderr)
	}
	fmt.Fprintf(stdout, "raftjepsen: seed %d, %d nodes, %v, nemesis %s\n", opts.cfg.Seed, opts.cfg.Nodes, opts.cfg.Time,
		strings.Join(opts.cfg.Nemeses, ","))
	res, err := jepsen.Run(ctx, opts.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "raftjepsen: %v\n", err)
		return exitBadUsage
	}
	report(stdout, res)
	if len(res.Violations) > 0 {
		return exitFailed
	}
	return exitOK
}

// report prints the summary, the violations and the last line.
func report(w io.Writer, res jepsen.Result) {
	fmt.Fprintf(w, "ops: %d (%d acknowledged, %d unknown), final reads: %d\n", res.Ops, res.Acked, res.Unknown, res.FinalReads)
	kinds := make([]string, 0, len(res.Faults))
	for k := range res.Faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "fault %s: %d\n", k, res.Faults[k])
	}
	changes := make([]string, 0, len(res.Membership))
	for c := range res.Membership {
		changes = append(changes, c)
	}
	sort.Strings(changes)
	for _, c := range changes {
		fmt.Fprintf(w, "membership change %s: %d\n", c, res.Membership[c])
	}
	fmt.Fprintf(w, "leader terms seen: %d, raft connections reset by partitions: %d\n", res.LeaderTerms, res.ConnsRefused)
	for _, v := range res.Violations {
		fmt.Fprintf(w, "VIOLATION %s\n", v)
	}
	if res.HTMLPath != "" {
		fmt.Fprintf(w, "report: %s\nhistory: %s (lincheck %s)\n", res.HTMLPath, res.HistoryPath, res.HistoryPath)
	}
	fmt.Fprintln(w, lastLine(res))
}

// lastLine has the form of raftsim's last line, for a real run.
func lastLine(res jepsen.Result) string {
	verdict := string(res.Verdict)
	if len(res.Violations) > 0 {
		verdict = "FAIL"
	}
	return fmt.Sprintf("raftjepsen: %d nodes, %d violations, %d ops, %d nemesis events, %.1f s of faults in %.2f s (%s)",
		res.Nodes, len(res.Violations), res.Ops, res.FaultCount(), res.Workload.Seconds(), res.Wall.Seconds(), verdict)
}
