package jepsen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/kv/client"
)

// Membership changes the nemesis makes (KindMembership). Each completed
// change is counted by its name in Result.Membership; "-leader" marks one
// that hit the node leading at the time.
const (
	// ChangeAddLearner starts a fresh node with -join on a new address,
	// introduces it to every node and adds it as a learner.
	ChangeAddLearner = "add-learner"
	// ChangePromote makes a learner a voter, once it has caught up.
	ChangePromote = "promote"
	// ChangeRemove removes a voter or a learner; its process is stopped
	// at once, or runs on for a while, sending stale messages.
	ChangeRemove = "remove"
	// ChangeReplace adds a new voter (learner, then promoted), then
	// removes an old one.
	ChangeReplace = "replace"
	// ChangeDemote makes a voter a learner.
	ChangeDemote = "demote"
	// LeaderSuffix marks a change whose target was the leader.
	LeaderSuffix = "-leader"
)

// Limits of the membership nemesis.
const (
	// votersMin is the fewest voters the nemesis leaves: it never removes
	// or demotes below it, so a kill or pause of a minority still leaves
	// a quorum.
	votersMin = 3
	// membersExtraMax is how many more members (voters and learners) than
	// the cluster started with the nemesis lets it have.
	membersExtraMax = 2
	// changeWaitMax bounds the retries of one change: a learner catching
	// up, an earlier change still in flight, a leader just elected.
	changeWaitMax = 15 * time.Second
	// refreshWaitMax bounds the wait for the leader's view after a change.
	refreshWaitMax = 3 * time.Second
	// changeAttemptTimeout bounds one admin request, retries to find the
	// leader included.
	changeAttemptTimeout = 5 * time.Second
	// changeRetryDelay is the pause between attempts of a change.
	changeRetryDelay = 200 * time.Millisecond
	// adminClientID is the kv/client session of the nemesis's admin
	// calls, which use no session; far above the workload's ids.
	adminClientID = 1 << 62
)

// view is the membership as the leader sees it.
type view struct {
	leader   uint64
	voters   []uint64
	learners []uint64
	joint    bool
}

func (v view) members() []uint64 { return sortIDs(append(slices.Clone(v.voters), v.learners...)) }

// leaderView asks the node that leads for the membership, until one
// answers as leader or d passes.
func (n *nemesis) leaderView(ctx context.Context, d time.Duration) (view, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var last error = errors.New("no leader")
	for {
		if lead, _ := n.c.Leader(ctx); lead != 0 {
			m, err := n.c.Membership(ctx, lead)
			if err == nil && m.Role == "Leader" {
				return view{leader: lead, voters: m.Voters, learners: m.Learners, joint: len(m.VotersOutgoing) > 0}, nil
			}
			if err == nil {
				err = fmt.Errorf("node %d is %s now", lead, m.Role)
			}
			last = err
		}
		if !sleep(ctx, changeRetryDelay) {
			return view{}, fmt.Errorf("membership: no leader's view in %v: %w", d, last)
		}
	}
}

// refresh updates what the nemesis knows of the membership from the
// leader, and retires the current nodes that are no longer members: their
// removal took effect although its answer was lost.
func (n *nemesis) refresh(ctx context.Context) {
	v, err := n.leaderView(ctx, refreshWaitMax)
	// A joint view is not adopted: while it is in force a commit needs a
	// majority of both the old and the new voters, and a minority() sized
	// from one set could stop a majority of the other.
	if err != nil || v.joint {
		return
	}
	n.voters, n.learners = v.voters, v.learners
	for _, id := range n.c.IDs() {
		if !slices.Contains(v.members(), id) {
			n.logf("nemesis: n%d is no member; retired and stopped", id)
			_ = n.c.Retire(id)
			_ = n.c.Kill(id)
		}
	}
}

// membership makes one membership change, chosen among those that keep
// at least votersMin voters and at most membersExtraMax members more than
// the start. Half the time a remove, replace or demote hits the leader.
// The fault lasts as long as the change takes; when a removed node runs
// on, the fault holds until it is stopped.
func (n *nemesis) membership(ctx context.Context) ([]uint64, string, func() error, error) {
	v, err := n.leaderView(ctx, changeWaitMax)
	if err != nil {
		return nil, "", nil, err
	}
	if v.joint {
		// Not adopted, as in refresh: faults sized from one voter set
		// could stop a majority of the other, which a commit also needs.
		return nil, "", nil, errors.New("membership: a joint configuration is in force")
	}
	n.voters, n.learners = v.voters, v.learners
	change := n.pickChange(v, n.c.Nodes())
	if change == "" {
		return nil, "", nil, fmt.Errorf("membership: no change possible with %s", membersString(v.voters, v.learners))
	}
	switch change {
	case ChangeAddLearner:
		return n.addLearner(ctx)
	case ChangePromote:
		id := v.learners[n.rng.IntN(len(v.learners))]
		if err := n.promote(ctx, id); err != nil {
			return nil, "", nil, err
		}
		n.completed(ChangePromote, false)
		return []uint64{id}, fmt.Sprintf("promote learner n%d", id), nil, nil
	case ChangeDemote:
		id := n.target(v)
		err := n.change(ctx, fmt.Sprintf("demote n%d", id), func(ctx context.Context, cl *client.Client) error {
			_, err := cl.Demote(ctx, id)
			return err
		}, func(v view) bool { return slices.Contains(v.learners, id) && !v.joint })
		if err != nil {
			return nil, "", nil, err
		}
		n.completed(ChangeDemote, id == v.leader)
		return []uint64{id}, fmt.Sprintf("demote %s to learner", leaderName(id, v.leader)), nil, nil
	case ChangeRemove:
		id := n.target(v)
		if len(v.voters) <= votersMin || n.rng.IntN(3) == 0 && len(v.learners) > 0 {
			id = v.learners[n.rng.IntN(len(v.learners))]
		}
		return n.remove(ctx, id, v.leader, ChangeRemove, "")
	case ChangeReplace:
		old := n.target(v)
		added, err := n.addVoter(ctx)
		if err != nil {
			return nil, "", nil, fmt.Errorf("replace n%d: %w", old, err)
		}
		leader := v.leader // who leads now, as the promotion may have moved it
		if now, err := n.leaderView(ctx, changeAttemptTimeout); err == nil {
			leader = now.leader
		}
		nodes, desc, undo, err := n.remove(ctx, old, leader, ChangeReplace, fmt.Sprintf("n%d joined as a voter; ", added))
		return append(nodes, added), desc, undo, err
	}
	return nil, "", nil, fmt.Errorf("membership: unknown change %q", change)
}

// pickChange draws a change possible in v with nodes current nodes,
// leaning back towards the cluster's starting number of voters.
func (n *nemesis) pickChange(v view, nodes int) string {
	var choices []string
	add := func(change string, weight int) {
		for range weight {
			choices = append(choices, change)
		}
	}
	voters, members := len(v.voters), len(v.voters)+len(v.learners)
	canAdd := max(members, nodes) < n.startVoters+membersExtraMax
	grow, shrink := 1, 1
	if voters < n.startVoters {
		grow = 3
	}
	if voters > n.startVoters {
		shrink = 3
	}
	if canAdd {
		add(ChangeAddLearner, grow)
		if voters >= votersMin {
			add(ChangeReplace, 2)
		}
	}
	if len(v.learners) > 0 {
		add(ChangePromote, grow)
		add(ChangeRemove, 1)
	}
	if voters > votersMin {
		add(ChangeRemove, shrink)
		add(ChangeDemote, shrink)
	}
	if len(choices) == 0 {
		return ""
	}
	return choices[n.rng.IntN(len(choices))]
}

// target picks the voter a remove, replace or demote hits: the leader
// half the time.
func (n *nemesis) target(v view) uint64 {
	if n.rng.IntN(2) == 0 {
		return v.leader
	}
	return v.voters[n.rng.IntN(len(v.voters))]
}

func leaderName(id, leader uint64) string {
	if id == leader {
		return fmt.Sprintf("n%d (the leader)", id)
	}
	return fmt.Sprintf("n%d", id)
}

func (n *nemesis) completed(change string, leader bool) {
	if leader {
		change += LeaderSuffix
	}
	n.changes[change]++
}

// addLearner starts a new node, adds it as a learner and, two times out
// of three, promotes it once it has caught up.
func (n *nemesis) addLearner(ctx context.Context) ([]uint64, string, func() error, error) {
	id, err := n.join(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	if n.rng.IntN(3) == 0 {
		return []uint64{id}, fmt.Sprintf("add learner n%d (stays a learner)", id), nil, nil
	}
	if err := n.promote(ctx, id); err != nil {
		return []uint64{id}, "", nil, fmt.Errorf("n%d added as a learner: %w", id, err)
	}
	n.completed(ChangePromote, false)
	return []uint64{id}, fmt.Sprintf("add learner n%d, promote it once caught up", id), nil, nil
}

// addVoter starts a new node, adds it as a learner and promotes it.
func (n *nemesis) addVoter(ctx context.Context) (uint64, error) {
	id, err := n.join(ctx)
	if err != nil {
		return 0, err
	}
	if err := n.promote(ctx, id); err != nil {
		return 0, fmt.Errorf("n%d added as a learner: %w", id, err)
	}
	n.completed(ChangePromote, false)
	return id, nil
}

// join starts a fresh node with -join, introduces it to every node and
// adds it as a learner. A node that could not be added is stopped.
func (n *nemesis) join(ctx context.Context) (uint64, error) {
	id, err := n.c.AddNode(ctx)
	if err != nil {
		return 0, err
	}
	if err = n.c.Introduce(ctx, id); err == nil {
		err = n.change(ctx, fmt.Sprintf("add learner n%d", id), func(ctx context.Context, cl *client.Client) error {
			_, err := cl.AddLearner(ctx, id, "")
			return err
		}, func(v view) bool { return slices.Contains(v.learners, id) && !v.joint })
	}
	if err != nil {
		// Not a member unless the leader says so (refresh looks again).
		if v, verr := n.leaderView(context.WithoutCancel(ctx), changeWaitMax); verr != nil || !slices.Contains(v.members(), id) {
			_ = n.c.Retire(id)
			_ = n.c.Kill(id)
		}
		return 0, err
	}
	n.completed(ChangeAddLearner, false)
	return id, nil
}

// promote makes learner id a voter, retrying while it catches up.
func (n *nemesis) promote(ctx context.Context, id uint64) error {
	return n.change(ctx, fmt.Sprintf("promote n%d", id), func(ctx context.Context, cl *client.Client) error {
		_, err := cl.Promote(ctx, id)
		return err
	}, func(v view) bool { return slices.Contains(v.voters, id) && !v.joint })
}

// remove removes node id and retires it; its process is stopped at once
// or, half the time, runs on until the fault ends. what is the change
// counted, and before starts the description.
func (n *nemesis) remove(ctx context.Context, id, leader uint64, what, before string) ([]uint64, string, func() error, error) {
	err := n.change(ctx, fmt.Sprintf("remove n%d", id), func(ctx context.Context, cl *client.Client) error {
		_, err := cl.RemoveNode(ctx, id)
		return err
	}, func(v view) bool { return !slices.Contains(v.members(), id) && !v.joint })
	if err != nil {
		return []uint64{id}, "", nil, err
	}
	n.completed(what, id == leader)
	_ = n.c.Retire(id)
	desc := before + "remove " + leaderName(id, leader)
	stop := func() error { return n.c.Kill(id) }
	if n.rng.IntN(2) == 0 {
		return []uint64{id}, desc + ", stopped", nil, stop()
	}
	return []uint64{id}, desc + "; it runs on, sending stale messages, then is stopped", stop, nil
}

// change makes one membership change through the leader, retrying while
// the answer says to retry later (in flight, not caught up), until done
// says the leader's view shows it or changeWaitMax passes. After an
// unknown outcome or any refusal, the leader's view decides: a change is
// not retried once it took effect.
func (n *nemesis) change(ctx context.Context, what string, do func(context.Context, *client.Client) error, done func(view) bool) error {
	deadline := time.Now().Add(changeWaitMax)
	for {
		lead, _ := n.c.Leader(ctx)
		cl, err := client.New(n.c.ClientURLs(lead), adminClientID)
		if err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, changeAttemptTimeout)
		err = do(actx, cl)
		cancel()
		cl.Close()
		if err == nil {
			return nil
		}
		if v, verr := n.leaderView(ctx, changeAttemptTimeout); verr == nil && done(v) {
			return nil
		}
		later := errors.Is(err, client.ErrInFlight) || errors.Is(err, client.ErrNotCaughtUp) ||
			errors.Is(err, client.ErrOutcomeUnknown) || errors.Is(err, client.ErrRetriesExhausted)
		if !later || time.Now().After(deadline) || !sleep(ctx, changeRetryDelay) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// membersString names the voters and learners, as "voters {1,2,3} learners {4}".
func membersString(voters, learners []uint64) string {
	var b strings.Builder
	b.WriteString("voters " + setString(voters))
	if len(learners) > 0 {
		b.WriteString(" learners " + setString(learners))
	}
	return b.String()
}
