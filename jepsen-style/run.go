package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

// Defaults and limits of Config.
const (
	NodesDefault        = 5
	KeysDefault         = 5
	KeysMax             = 1000
	ClientsMax          = 512
	GapDefault          = 2 * time.Second
	HoldMaxDefault      = 3 * time.Second
	CheckTimeoutDefault = time.Minute
	// TimeMax bounds the workload of one run.
	TimeMax = 24 * time.Hour
	// setupMax bounds starting the cluster and electing a first leader;
	// healMax the wait for a leader after healing and the final reads.
	setupMax = 30 * time.Second
	healMax  = 30 * time.Second
	// finalReadTimeout bounds one final read, retries included.
	finalReadTimeout = 10 * time.Second
)

// ErrConfig is wrapped by the errors Run returns for a bad Config.
var ErrConfig = errors.New("jepsen: bad config")

// Config configures a run. Zero fields take their defaults.
type Config struct {
	// Binary is the raftkv executable; see BuildRaftkv.
	Binary string
	// Nodes is the cluster size (NodesDefault), in [1, NodesMax].
	Nodes int
	// Time is how long the workload and the nemesis run.
	Time time.Duration
	// Nemeses are the nemesis kinds (see ParseNemeses); none is allowed.
	Nemeses []string
	// Rate bounds the operations started per second, over all clients;
	// zero is no bound.
	Rate float64
	// Clients is the number of concurrent clients (2 per node by default).
	Clients int
	// Keys is the number of keys (KeysDefault).
	Keys int
	// Reads are the read modes the gets draw from (all of kv.ReadModes).
	Reads []kv.ReadMode
	// Seed drives the workload and the nemesis's choices. Real processes
	// are not deterministic: a seed does not replay a run.
	Seed uint64
	// OutDir receives history.json, history.html and cluster/ with the
	// nodes' data and logs.
	OutDir string
	// Tick is the nodes' -tick; zero is raftkv's default.
	Tick time.Duration
	// Gap is the mean quiet time between faults; HoldMax the longest a
	// fault lasts.
	Gap, HoldMax time.Duration
	// Skew bounds the clock nemesis's rates to [1-Skew, 1+Skew]
	// (SkewDefault).
	Skew float64
	// CheckTimeout bounds each Porcupine check (CheckTimeoutDefault).
	CheckTimeout time.Duration
	// TLS runs the peers over mutual TLS (certificates made for the run).
	TLS bool
	// ExtraArgs are passed to every raftkv node.
	ExtraArgs []string
	// Logf receives progress and nemesis events.
	Logf func(format string, args ...any)
}

func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = NodesDefault
	}
	if c.Clients == 0 {
		c.Clients = 2 * c.Nodes
	}
	if c.Keys == 0 {
		c.Keys = KeysDefault
	}
	if len(c.Reads) == 0 {
		c.Reads = kv.ReadModes
	}
	if c.Gap == 0 {
		c.Gap = GapDefault
	}
	if c.HoldMax == 0 {
		c.HoldMax = HoldMaxDefault
	}
	if c.Skew == 0 {
		c.Skew = SkewDefault
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = CheckTimeoutDefault
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

func (c Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Binary == "":
		return bad("no raftkv binary")
	case c.Nodes < 1 || c.Nodes > NodesMax:
		return bad("%d nodes, want 1 to %d", c.Nodes, NodesMax)
	case c.Time <= 0 || c.Time > TimeMax:
		return bad("time %v, want (0, %v]", c.Time, TimeMax)
	case c.Rate < 0:
		return bad("negative rate %v", c.Rate)
	case c.Clients < 1 || c.Clients > ClientsMax:
		return bad("%d clients, want 1 to %d", c.Clients, ClientsMax)
	case c.Keys < 1 || c.Keys > KeysMax:
		return bad("%d keys, want 1 to %d", c.Keys, KeysMax)
	case c.Gap < 0 || c.HoldMax < holdMin:
		return bad("gap %v must be >= 0 and hold %v >= %v", c.Gap, c.HoldMax, holdMin)
	case c.Skew < 0 || c.Skew > SkewMax:
		return bad("skew %v outside [0, %v]", c.Skew, SkewMax)
	case c.CheckTimeout < 0:
		return bad("negative check timeout")
	case c.OutDir == "":
		return bad("no output directory")
	}
	for _, m := range c.Reads {
		if _, err := kv.ParseReadMode(string(m)); err != nil {
			return bad("%v", err)
		}
	}
	for _, k := range c.Nemeses {
		if _, err := ParseNemeses(k); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

// Deadline is the longest a run of cfg may take, all included; Run stops
// itself there.
func Deadline(cfg Config) time.Duration {
	cfg = cfg.withDefaults()
	return setupMax + cfg.Time + opTimeout + cfg.HoldMax + healMax + 2*cfg.CheckTimeout + time.Minute
}

// Result is what a run found.
type Result struct {
	// Nodes is the cluster size.
	Nodes int
	// Ops counts the workload's operations; Acked those whose outcome the
	// client learned, Unknown the others. FinalReads counts final reads.
	Ops, Acked, Unknown, FinalReads int
	// Faults counts the nemesis events by kind.
	Faults map[string]int
	// Membership counts the membership changes completed, by Change name
	// (with LeaderSuffix when the leader was the target).
	Membership map[string]int
	// LeaderTerms counts the terms in which a leader was seen.
	LeaderTerms int
	// ConnsRefused counts Raft connections reset by cut links.
	ConnsRefused int64
	// Verdict is the checker's verdict on the whole history.
	Verdict linearizability.Verdict
	// Violations are what failed; none means the run passed.
	Violations []Violation
	// HistoryPath and HTMLPath are the files written.
	HistoryPath, HTMLPath string
	// Workload is how long the workload ran; Wall the whole run.
	Workload, Wall time.Duration
}

// FaultCount is the number of nemesis events.
func (r Result) FaultCount() int {
	n := 0
	for _, c := range r.Faults {
		n += c
	}
	return n
}

// Run starts a cluster, runs the workload and the nemesis for cfg.Time,
// heals, reads every key, checks the history and writes the report. It
// kills every node before it returns, and stops by itself at
// Deadline(cfg). An error means the run could not be made (bad config,
// a cluster that would not start); what the run found is in Result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, Deadline(cfg))
	defer cancel()
	c, err := startRunCluster(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()

	rec := linearizability.NewRecorder(nil)
	mon := newMonitor(c, rec)
	monCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan struct{})
	go func() { defer close(monDone); mon.run(monCtx) }()
	defer func() { stopMon(); <-monDone }()

	w := &workload{c: c, rec: rec, keys: cfg.Keys, reads: cfg.Reads, seed: cfg.Seed}
	nem := newNemesis(c, rec, mon, cfg.Nemeses, rand.New(rand.NewPCG(cfg.Seed, 0x6e656d)))
	nem.skew, nem.holdMax, nem.gap, nem.logf = cfg.Skew, cfg.HoldMax, cfg.Gap, cfg.Logf
	workStart := time.Now()
	runCtx, stopRun := context.WithTimeout(ctx, cfg.Time)
	w.tokens = rateTokens(runCtx, cfg.Rate)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.run(runCtx, cfg.Clients) }()
	go func() { defer wg.Done(); nem.run(runCtx) }()
	wg.Wait()
	stopRun()
	res := Result{Nodes: cfg.Nodes, Ops: int(w.all.Load()), Acked: int(w.ok.Load()), Unknown: int(w.unknown.Load()),
		Faults: nem.counts, Membership: nem.changes, ConnsRefused: c.Net().Refused(), Workload: time.Since(workStart)}
	cfg.Logf("workload done: %d ops (%d unknown), %d nemesis events; healed, reading every key", res.Ops, res.Unknown, res.FaultCount())

	finalFrom := len(rec.History().Ops)
	if err := waitLeader(ctx, c, healMax); err != nil {
		res.Violations = append(res.Violations, Violation{ViolationUnavailable, fmt.Sprintf("no leader %v after healing: %v", healMax, err)})
	} else {
		res.FinalReads, res.Violations = finalReads(ctx, w, cfg.Clients, cfg.Keys)
	}
	stopMon()
	<-monDone
	res.LeaderTerms = mon.termsSeen()

	err = checkAndWrite(&res, rec.History(), finalFrom, cfg)
	res.Wall = time.Since(began)
	return res, err
}

// checkAndWrite checks h (final reads from finalFrom), adds the verdict and
// violations to res, and writes history.json and history.html.
func checkAndWrite(res *Result, h linearizability.History, finalFrom int, cfg Config) error {
	checked, vs, err := CheckHistory(h, finalFrom, cfg.CheckTimeout)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	res.Verdict = checked.Verdict
	res.Violations = append(res.Violations, vs...)
	res.HistoryPath = filepath.Join(cfg.OutDir, "history.json")
	res.HTMLPath = filepath.Join(cfg.OutDir, "history.html")
	if err := linearizability.Save(res.HistoryPath, h); err != nil {
		return err
	}
	return linearizability.WriteHTMLFile(res.HTMLPath, checked)
}

// startRunCluster starts the cluster of a run in a fresh OutDir/cluster and
// waits for its first leader.
func startRunCluster(ctx context.Context, cfg Config) (*Cluster, error) {
	dir := filepath.Join(cfg.OutDir, "cluster")
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c, err := StartCluster(ctx, ClusterConfig{Binary: cfg.Binary, Nodes: cfg.Nodes, Dir: dir, Tick: cfg.Tick,
		FaultHooks: true, TLS: cfg.TLS, ExtraArgs: cfg.ExtraArgs})
	if err != nil {
		return nil, err
	}
	if err := waitLeader(ctx, c, setupMax); err != nil {
		c.Close()
		return nil, fmt.Errorf("first election: %w", err)
	}
	cfg.Logf("cluster of %d up in %s; workload for %v, nemesis %v", cfg.Nodes, dir, cfg.Time, cfg.Nemeses)
	return c, nil
}

// waitLeader waits until some node says it leads, at most d.
func waitLeader(ctx context.Context, c *Cluster, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		if id, _ := c.Leader(ctx); id != 0 {
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// finalReads reads every key through the log, as client row, and records
// the reads. A read that fails is a violation: the faults have healed. The
// client goes to the current leader first: after membership changes, the
// nodes of the start may be gone.
func finalReads(ctx context.Context, w *workload, row, keys int) (int, []Violation) {
	lead, _ := w.c.Leader(ctx)
	cl := w.newClient(lead)
	defer cl.Close()
	var vs []Violation
	n := 0
	for i := range keys {
		in := model.Input{Op: model.OpGet, Key: key(i), Mode: model.ReadLog}
		id := w.rec.Invoke(row, in)
		rctx, cancel := context.WithTimeout(ctx, finalReadTimeout)
		out, err := do(rctx, cl, in)
		cancel()
		if err != nil {
			_ = w.rec.Unknown(id)
			vs = append(vs, Violation{ViolationUnavailable, fmt.Sprintf("final read of %s after healing: %v", in.Key, err)})
			continue
		}
		_ = w.rec.Return(id, out)
		n++
	}
	return n, vs
}
