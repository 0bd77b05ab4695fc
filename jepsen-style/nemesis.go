package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/internal/partition"
	"github.com/raftcheck/raftcheck/linearizability"
)

// Nemesis kinds. Each is also the Kind of its fault windows in the history.
const (
	// KindKill sends SIGKILL to a minority and restarts it from its disk.
	KindKill = "kill"
	// KindPause stops a minority with SIGSTOP and continues it with SIGCONT.
	KindPause = "pause"
	// KindPartition cuts links through the proxies, in one of the shapes
	// of package partition that cut a link among the current nodes.
	KindPartition = "partition"
	// KindClock makes some nodes' clocks run fast or slow (raftkv's
	// -fault-hooks), within the skew given, until the next clock event:
	// skews overlap the other faults.
	KindClock = "clock"
	// KindTransfer asks the leader to hand leadership to another node.
	KindTransfer = "transfer"
	// KindMembership changes the membership through raftkv's admin API:
	// a new node joins as a learner and is promoted, a voter (the leader
	// half the time) is removed, replaced or demoted (see the Change
	// constants). The other kinds then hit the members of the moment.
	KindMembership = "membership"
)

// Kinds lists the nemesis kinds, in order; "all" means these.
var Kinds = []string{KindKill, KindPause, KindPartition, KindClock, KindTransfer, KindMembership}

// ParseNemeses parses a comma-separated list of kinds; "all" is Kinds and
// "none" or "" is no nemesis.
func ParseNemeses(list string) ([]string, error) {
	var kinds []string
	for _, name := range strings.Split(list, ",") {
		switch name = strings.TrimSpace(name); {
		case name == "" || name == "none":
		case name == "all":
			kinds = append(kinds, Kinds...)
		case slices.Contains(Kinds, name):
			kinds = append(kinds, name)
		default:
			return nil, fmt.Errorf("unknown nemesis %q (known: %s, all, none)", name, strings.Join(Kinds, ", "))
		}
	}
	slices.Sort(kinds)
	return slices.Compact(kinds), nil
}

// Skew bounds: the clock nemesis draws rates in [1-skew, 1+skew].
const (
	// SkewDefault stays under raft.DefaultLeaseDriftBound (0.05) even
	// between a fast and a slow node (a 4% difference), so lease reads
	// must stay linearizable under it.
	SkewDefault = 0.02
	// SkewMax keeps every rate within raftkv's accepted clock rates.
	SkewMax = 0.9
)

// nemesis injects one fault at a time into a cluster and records each as
// a fault window of the history.
type nemesis struct {
	c       *Cluster
	rec     *linearizability.Recorder
	mon     *monitor
	kinds   []string
	rng     *rand.Rand
	skew    float64
	holdMax time.Duration
	gap     time.Duration
	logf    func(string, ...any)

	counts map[string]int
	// changes counts the completed membership changes (see Change...).
	changes map[string]int
	// startVoters is the number of voters the cluster started with;
	// voters and learners are the membership as the leader last said it.
	startVoters      int
	voters, learners []uint64
}

// newNemesis returns a nemesis of kinds on c, whose nodes all vote.
func newNemesis(c *Cluster, rec *linearizability.Recorder, mon *monitor, kinds []string, rng *rand.Rand) *nemesis {
	return &nemesis{c: c, rec: rec, mon: mon, kinds: kinds, rng: rng, skew: SkewDefault, holdMax: HoldMaxDefault,
		gap: GapDefault, logf: func(string, ...any) {}, counts: make(map[string]int), changes: make(map[string]int),
		startVoters: c.Nodes(), voters: c.IDs()}
}

// holdMin is the shortest a fault lasts: long enough for an election.
const holdMin = 500 * time.Millisecond

// run injects faults until ctx ends: a quiet gap, a fault held for a
// while, its end; then everything is healed. A clock skew is the one
// fault that stays: it lasts until the next clock event or the end of the
// run, so it overlaps the other faults. A slow leader's clock is only
// dangerous together with a partition that elects another leader, and one
// fault at a time would never show that.
func (n *nemesis) run(ctx context.Context) {
	var skew *openFault
	defer func() {
		n.end(skew)
		n.healAll()
	}()
	if len(n.kinds) == 0 {
		return
	}
	var round []string
	for sleep(ctx, n.jitter(n.gap)) {
		// Kinds come in rounds, each in a new random order, so every kind
		// is exercised once per len(kinds) faults, not left to chance.
		if len(round) == 0 {
			round = slices.Clone(n.kinds)
			n.rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		}
		kind := round[0]
		round = round[1:]
		if kind == KindClock {
			n.end(skew)
			skew = nil
		}
		f := &openFault{kind: kind, start: n.rec.Now()}
		var err error
		if f.nodes, f.desc, f.undo, err = n.start(ctx, kind); err != nil {
			n.logf("nemesis: %s: %v", kind, err)
			if kind != KindMembership || len(f.nodes) == 0 {
				continue
			}
			// A change that failed half-way (a node started, or added
			// and not promoted) still changed the cluster: record it.
			f.desc, f.undo = fmt.Sprintf("incomplete: %v; now %s", err, membersString(n.voters, n.learners)), nil
		}
		n.logf("nemesis: %s", f.desc)
		n.counts[kind]++
		if kind == KindClock {
			skew = f
			continue
		}
		if f.undo != nil {
			sleep(ctx, holdMin+time.Duration(n.rng.Int64N(int64(max(n.holdMax-holdMin, 1)))))
		}
		n.end(f)
	}
}

// openFault is a fault in force.
type openFault struct {
	kind, desc string
	nodes      []uint64
	start      int64
	undo       func() error // nil for a point event
}

// end ends f, if any, and records its window.
func (n *nemesis) end(f *openFault) {
	if f == nil {
		return
	}
	if f.undo != nil {
		if err := f.undo(); err != nil {
			n.logf("nemesis: end of %s: %v", f.kind, err)
		}
	}
	n.rec.AddFault(linearizability.Fault{Kind: f.kind, Nodes: sortIDs(slices.Clone(f.nodes)), Start: f.start,
		End: n.rec.Now(), Description: f.desc})
}

// jitter returns a duration in [d/2, 3d/2).
func (n *nemesis) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(n.rng.Int64N(int64(max(d, 1))))
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// start puts a fault of kind in force. It returns the nodes hit, a
// description, and what ends the fault (nil for a point event).
func (n *nemesis) start(ctx context.Context, kind string) ([]uint64, string, func() error, error) {
	switch kind {
	case KindKill:
		nodes := n.minority()
		for _, id := range nodes {
			if err := n.c.Kill(id); err != nil {
				return nil, "", nil, errors.Join(err, n.restart(nodes))
			}
		}
		return nodes, fmt.Sprintf("SIGKILL %s, then restart", orderString(nodes)), func() error { return n.restart(nodes) }, nil
	case KindPause:
		nodes := n.minority()
		for i, id := range nodes {
			if err := n.c.Pause(id); err != nil {
				return nil, "", nil, errors.Join(err, n.resume(nodes[:i]))
			}
		}
		return nodes, fmt.Sprintf("SIGSTOP %s, then SIGCONT", orderString(nodes)), func() error { return n.resume(nodes) }, nil
	case KindPartition:
		return n.partition()
	case KindClock:
		return n.clock(ctx)
	case KindMembership:
		nodes, desc, undo, err := n.membership(ctx)
		n.refresh(context.WithoutCancel(ctx))
		return nodes, desc + "; now " + membersString(n.voters, n.learners), undo, err
	case KindTransfer:
		from := n.mon.leader()
		others := slices.DeleteFunc(slices.Clone(n.currentVoters()), func(id uint64) bool { return id == from })
		if from == 0 || len(others) == 0 {
			return nil, "", nil, errors.New("no leader known, or no other voter")
		}
		to := others[n.rng.IntN(len(others))]
		if err := n.c.Transfer(ctx, from, to); err != nil {
			return nil, "", nil, err
		}
		return []uint64{from, to}, fmt.Sprintf("transfer leadership n%d -> n%d", from, to), nil, nil
	}
	return nil, "", nil, fmt.Errorf("unknown nemesis %q", kind)
}

func (n *nemesis) partition() ([]uint64, string, func() error, error) {
	ids := n.shuffled()
	shapes := partition.Cutting(len(ids))
	if len(shapes) == 0 {
		return nil, "", nil, fmt.Errorf("no partition cuts a link among %d nodes", len(ids))
	}
	shape := shapes[n.rng.IntN(len(shapes))]
	// Half the time the leader goes first: the side cut off (halves,
	// isolate) or the deaf node (one-way). A leader cut off while it still
	// holds its lease is the case that tests lease reads.
	// The leader last seen may have left the cluster since.
	if i := slices.Index(ids, n.mon.leader()); i >= 0 && n.rng.IntN(2) == 0 {
		ids[0], ids[i] = ids[i], ids[0]
	}
	cut, err := partition.Links(shape, ids)
	if err == nil {
		links := make([]Link, len(cut))
		for i, l := range cut {
			links[i] = Link(l)
		}
		err = n.c.Net().Cut(links)
	}
	if err != nil {
		return nil, "", nil, err
	}
	return ids, describePartition(shape, ids), func() error { n.c.Net().Heal(); return nil }, nil
}

func (n *nemesis) clock(ctx context.Context) ([]uint64, string, func() error, error) {
	ids := n.shuffled()
	ids = ids[:1+n.rng.IntN(len(ids))]
	var parts []string
	reset := func(ids []uint64) error {
		var errs []error
		for _, id := range ids {
			// A node removed since is stopped, and a new process starts
			// at rate 1 anyway.
			if n.c.Running(id) {
				errs = append(errs, n.c.SetClockRate(context.Background(), id, 1))
			}
		}
		return errors.Join(errs...)
	}
	for i, id := range ids {
		rate := 1 + n.skew*(2*n.rng.Float64()-1)
		if err := n.c.SetClockRate(ctx, id, rate); err != nil {
			return nil, "", nil, errors.Join(err, reset(ids[:i]))
		}
		parts = append(parts, fmt.Sprintf("n%d x%.3f", id, rate))
	}
	return ids, "clock rates " + strings.Join(parts, ", "), func() error { return reset(ids) }, nil
}

// minority picks 1 to (v-1)/2 of the v voters in a random order (none
// of fewer than 3), with the leader first half of the time: losing the
// leader is what exercises elections and unknown outcomes. Half the time
// a learner comes too: it counts toward no quorum.
func (n *nemesis) minority() []uint64 {
	voters := n.currentVoters()
	k := (len(voters) - 1) / 2
	if k == 0 {
		return nil
	}
	n.rng.Shuffle(len(voters), func(i, j int) { voters[i], voters[j] = voters[j], voters[i] })
	ids := voters[:1+n.rng.IntN(k)]
	if lead := n.mon.leader(); lead != 0 && n.rng.IntN(2) == 0 && !slices.Contains(ids, lead) && slices.Contains(voters, lead) {
		ids[0] = lead
	}
	if learners := n.currentLearners(); len(learners) > 0 && n.rng.IntN(2) == 0 {
		ids = append(ids, learners[n.rng.IntN(len(learners))])
	}
	return ids
}

// currentVoters are the voters as last known that are current nodes.
func (n *nemesis) currentVoters() []uint64 { return n.current(n.voters) }

// currentLearners are the learners as last known that are current nodes.
func (n *nemesis) currentLearners() []uint64 { return n.current(n.learners) }

func (n *nemesis) current(ids []uint64) []uint64 {
	nodes := n.c.IDs()
	return slices.DeleteFunc(slices.Clone(ids), func(id uint64) bool { return !slices.Contains(nodes, id) })
}

// shuffled lists the current nodes (members, and a node about to join) in
// a random order.
func (n *nemesis) shuffled() []uint64 {
	ids := n.c.IDs()
	n.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

// restart starts the given nodes again, in a random order.
func (n *nemesis) restart(ids []uint64) error {
	ids = slices.Clone(ids)
	n.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var errs []error
	for _, id := range ids {
		if !n.c.Running(id) {
			errs = append(errs, n.c.Restart(context.Background(), id))
		}
	}
	return errors.Join(errs...)
}

func (n *nemesis) resume(ids []uint64) error {
	var errs []error
	for _, id := range ids {
		errs = append(errs, n.c.Resume(id))
	}
	return errors.Join(errs...)
}

// healAll ends every fault: links healed, nodes continued or restarted,
// clocks at rate 1, removed nodes stopped.
func (n *nemesis) healAll() {
	n.c.Net().Heal()
	for _, id := range n.c.Retired() {
		if err := n.c.Kill(id); err != nil {
			n.logf("nemesis: heal: %v", err)
		}
	}
	for _, id := range n.c.IDs() {
		if !n.c.Running(id) {
			if err := n.c.Restart(context.Background(), id); err != nil {
				n.logf("nemesis: heal: %v", err)
			}
			continue
		}
		_ = n.c.Resume(id) // harmless when it was not paused
		if slices.Contains(n.kinds, KindClock) {
			if err := n.c.SetClockRate(context.Background(), id, 1); err != nil {
				n.logf("nemesis: heal: %v", err)
			}
		}
	}
}

func orderString(ids []uint64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("n%d", id)
	}
	return strings.Join(parts, ", ")
}
