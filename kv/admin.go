package kv

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// The admin API: membership changes and leadership transfer.
//
// The rules come from raft/ (see raft.ConfChange): a change of the voters
// goes through a joint configuration, which the leader leaves by itself;
// one change is in flight at a time; and a leader takes none until it has
// committed an entry of its term. The Service adds one rule of its own: a
// learner is promoted only once it has caught up (PromoteLagEntriesMax),
// since a voter that lags stalls every commit that needs its vote.
//
// How an application adds a node: start it with raft.Config.Join (it
// waits, with no membership, to be contacted), AddLearner it, wait until
// it catches up (Membership shows its Match), then Promote it.

// DefaultPromoteLagEntriesMax is how many entries a learner's log may lag
// behind the leader's commit index and still be promoted. A learner
// further behind would, as a voter, hold up the commits that need its
// vote while it catches up: in a joint configuration of three old and
// three new voters, one lagging new voter leaves the new half no spare
// vote.
const DefaultPromoteLagEntriesMax = 100

// Errors of membership changes, beyond those of raft/: a
// *raft.NotLeaderError names the leader to go to, an error wrapping
// raft.ErrConfChangeInFlight says an earlier change (or the leader's
// first commit of its term) is not done yet and the call may be retried,
// raft.ErrTransferInProgress that a leadership transfer is under way, and
// raft.ErrConfChangeInvalid a change that can never be made. ErrUnknownNode
// and ErrNoVoters also wrap raft.ErrConfChangeInvalid.
var (
	// ErrUnknownNode refuses a change to a node that is not a member (to
	// remove, promote or demote it).
	ErrUnknownNode = raft.ErrUnknownNode
	// ErrNoVoters refuses a change that would leave no voters.
	ErrNoVoters = raft.ErrNoVoters
	// ErrNotCaughtUp refuses to promote a learner that lags more than
	// PromoteLagEntriesMax entries behind the leader's commit index. Retry
	// once it has caught up.
	ErrNotCaughtUp = errors.New("kv: learner not caught up")
)

// changeWaiter is a membership change waiting to take effect at the
// leader: its entry (and, for a change of the voters, the entry that
// leaves the joint configuration) committed, with conf in effect.
type changeWaiter struct {
	svc   *Service
	index uint64
	// term is the leader's term when the change was proposed.
	term uint64
	conf raft.ConfState
	done func(raft.ConfState, error)
}

// StartChange proposes changes together on this node, which must lead,
// and returns at once. done is called once, from within a later
// node.Node.Process: with the configuration in effect once the change has
// taken effect at this node (for a change of the voters, once the joint
// configuration has been left), or with an error wrapping
// ErrOutcomeUnknown and a *raft.NotLeaderError if the node stops leading
// first. done must not call into the Service or the Node. An error from
// StartChange means nothing was proposed and done will not be called; see
// the errors above. Adding a voter that is a learner promotes it, and is
// refused with ErrNotCaughtUp while it lags.
func (s *Service) StartChange(changes []raft.ConfChangeSingle, done func(raft.ConfState, error)) (*ChangeWait, error) {
	return s.startChange(changes, nil, done)
}

// startChange is StartChange, with an extra check of the leader's
// configuration, made in the same step as the proposal so that no other
// change can come between.
func (s *Service) startChange(changes []raft.ConfChangeSingle, extra func(raft.ConfState) error,
	done func(raft.ConfState, error)) (*ChangeWait, error) {
	m := s.node.Membership()
	target, err := s.checkChange(m, changes, extra)
	if err != nil {
		return nil, fmt.Errorf("kv: change membership %v: %w", changes, err)
	}
	if err := s.node.ProposeConfChange(raft.ConfChange{Changes: slices.Clone(changes)}); err != nil {
		return nil, fmt.Errorf("kv: change membership %v: %w", changes, err)
	}
	w := &changeWaiter{svc: s, index: s.node.BasicStatus().LastIndex, term: m.Term, conf: target, done: done}
	s.changes = append(s.changes, w)
	return &ChangeWait{w: w}, nil
}

// ChangeWait is a membership change waiting to take effect.
type ChangeWait struct{ w *changeWaiter }

// Cancel stops waiting: done will not be called. The change may still
// take effect.
func (c *ChangeWait) Cancel() {
	s := c.w.svc
	s.changes = slices.DeleteFunc(s.changes, func(w *changeWaiter) bool { return w == c.w })
}

// checkChange returns the configuration changes would make of m's, or why
// they are refused. The order of the checks is that of the questions a
// caller would ask: is this the leader, is another change under way, is
// the change possible (extra first, if set), has the learner caught up.
func (s *Service) checkChange(m node.Membership, changes []raft.ConfChangeSingle, extra func(raft.ConfState) error) (raft.ConfState, error) {
	if len(changes) == 0 {
		return raft.ConfState{}, fmt.Errorf("%w: no changes", raft.ErrConfChangeInvalid)
	}
	if m.Role != raft.Leader {
		return raft.ConfState{}, &raft.NotLeaderError{Leader: m.Lead, Term: m.Term}
	}
	// Before extra, so that a caller whose change extra would refuse in
	// the joint configuration hears "in flight" (retry later), not
	// "invalid".
	if m.ConfState.IsJoint() {
		return raft.ConfState{}, fmt.Errorf("%w: the configuration %v is still joint", raft.ErrConfChangeInFlight, m.ConfState)
	}
	if extra != nil {
		if err := extra(m.ConfState); err != nil {
			return raft.ConfState{}, err
		}
	}
	target, err := m.ConfState.After(raft.ConfChange{Changes: changes})
	if err != nil {
		return raft.ConfState{}, err
	}
	for _, c := range changes {
		if c.Type == raft.AddVoter && slices.Contains(m.ConfState.Learners, c.NodeID) {
			if err := caughtUp(m, c.NodeID, s.promoteLagMax); err != nil {
				return raft.ConfState{}, err
			}
		}
	}
	return target, nil
}

// caughtUp refuses a learner whose Match is more than lagMax entries
// behind the leader's commit index.
func caughtUp(m node.Membership, id, lagMax uint64) error {
	match := m.Match[id]
	if match+lagMax >= m.Commit {
		return nil
	}
	return fmt.Errorf("%w: learner %d has entries to %d, the leader has committed %d: %d behind, limit %d",
		ErrNotCaughtUp, id, match, m.Commit, m.Commit-match, lagMax)
}

// checkChanges answers the changes that took effect, and fails those
// whose node stopped leading before. It runs after every Ready.
func (s *Service) checkChanges() {
	if len(s.changes) == 0 {
		return
	}
	m := s.node.Membership()
	waiting := s.changes[:0:0]
	var answer []func()
	for _, w := range s.changes {
		switch {
		case m.Term != w.term:
			// The node lost leadership and may have regained it. The
			// entry at w.index may then be another leader's, with the
			// same configuration made by another caller's change (or a
			// change back and forth), and would look like ours taking
			// effect though ours was dropped.
			err := fmt.Errorf("%w: membership change at index %d: proposed in term %d, the node is now in term %d",
				ErrOutcomeUnknown, w.index, w.term, m.Term)
			if m.Role != raft.Leader {
				err = fmt.Errorf("%w: %w", err, &raft.NotLeaderError{Leader: m.Lead, Term: m.Term})
			}
			answer = append(answer, func() { w.done(raft.ConfState{}, err) })
		case m.Commit >= w.index && m.Commit >= m.ConfIndex && !m.ConfState.IsJoint() &&
			slices.Equal(m.ConfState.Voters, w.conf.Voters) && slices.Equal(m.ConfState.Learners, w.conf.Learners):
			// Checked before the role: a leader that removed itself steps
			// down as the change takes effect.
			answer = append(answer, func() { w.done(m.ConfState, nil) })
		case m.Role != raft.Leader:
			nle := &raft.NotLeaderError{Leader: m.Lead, Term: m.Term}
			answer = append(answer, func() {
				w.done(raft.ConfState{}, fmt.Errorf("%w: membership change at index %d: %w", ErrOutcomeUnknown, w.index, nle))
			})
		default:
			waiting = append(waiting, w)
		}
	}
	s.changes = waiting
	for _, a := range answer {
		a()
	}
}

// Membership returns the membership as this node sees it (see
// node.Membership), on a node that runs under node.Node.Run. It is safe
// for concurrent use.
func (s *Service) Membership(ctx context.Context) (node.Membership, error) {
	out := make(chan node.Membership, 1)
	if err := s.node.Submit(ctx, func(n *node.Node) { out <- n.Membership() }); err != nil {
		return node.Membership{}, fmt.Errorf("kv: membership: %w", err)
	}
	select {
	case m := <-out:
		return m, nil
	case <-ctx.Done():
		return node.Membership{}, fmt.Errorf("kv: membership: %w", ctx.Err())
	case <-s.node.Done():
		return node.Membership{}, fmt.Errorf("kv: membership: %w", node.ErrStopped)
	}
}

// ChangeMembership makes changes together on a node that runs under
// node.Node.Run, which must lead, and waits until they have taken effect
// at it (see StartChange), ctx ends, or the node stops. It returns the
// configuration then in effect. When ctx ends first the error wraps
// ErrOutcomeUnknown and ctx's error: the change may still take effect, so
// read Membership before making it again. It is safe for concurrent use.
func (s *Service) ChangeMembership(ctx context.Context, changes []raft.ConfChangeSingle) (raft.ConfState, error) {
	return s.changeMembership(ctx, changes, nil)
}

func (s *Service) changeMembership(ctx context.Context, changes []raft.ConfChangeSingle, extra func(raft.ConfState) error) (raft.ConfState, error) {
	return await(ctx, s, membershipChange(changes), func(done func(raft.ConfState, error)) (func(), error) {
		cw, err := s.startChange(changes, extra, done)
		if err != nil {
			return nil, err
		}
		return cw.Cancel, nil
	})
}

// membershipChange names a change in errors.
type membershipChange []raft.ConfChangeSingle

func (c membershipChange) String() string {
	return fmt.Sprintf("change membership %v", []raft.ConfChangeSingle(c))
}

// AddVoter adds node id as a voter (see ChangeMembership). A new node
// votes at once and may hold up commits until it has caught up; prefer
// AddLearner, then Promote. A learner is promoted as by Promote.
func (s *Service) AddVoter(ctx context.Context, id uint64) (raft.ConfState, error) {
	return s.ChangeMembership(ctx, []raft.ConfChangeSingle{{Type: raft.AddVoter, NodeID: id}})
}

// AddLearner adds node id as a learner, which receives the log but does
// not vote (see ChangeMembership). A voter is refused: use Demote.
func (s *Service) AddLearner(ctx context.Context, id uint64) (raft.ConfState, error) {
	return s.checkedChange(ctx, id, raft.AddLearner, newLearner(id))
}

// RemoveNode removes voter or learner id (see ChangeMembership). A leader
// that removes itself steps down once the change takes effect, and the
// others elect a new one.
func (s *Service) RemoveNode(ctx context.Context, id uint64) (raft.ConfState, error) {
	return s.ChangeMembership(ctx, []raft.ConfChangeSingle{{Type: raft.RemoveNode, NodeID: id}})
}

// Promote makes learner id a voter (see ChangeMembership), once it lags
// at most PromoteLagEntriesMax entries behind the leader's commit index;
// until then it returns an error wrapping ErrNotCaughtUp.
func (s *Service) Promote(ctx context.Context, id uint64) (raft.ConfState, error) {
	return s.checkedChange(ctx, id, raft.AddVoter, isLearner(id))
}

// Demote makes voter id a learner (see ChangeMembership).
func (s *Service) Demote(ctx context.Context, id uint64) (raft.ConfState, error) {
	return s.checkedChange(ctx, id, raft.AddLearner, isVoter(id))
}

// checkedChange makes one change, after check accepts the leader's
// configuration.
func (s *Service) checkedChange(ctx context.Context, id uint64, typ raft.ConfChangeType, check func(raft.ConfState) error) (raft.ConfState, error) {
	return s.changeMembership(ctx, []raft.ConfChangeSingle{{Type: typ, NodeID: id}}, check)
}

// newLearner refuses a voter: adding it as a learner would demote it,
// which a caller of AddLearner does not mean.
func newLearner(id uint64) func(raft.ConfState) error {
	return func(cs raft.ConfState) error {
		if cs.IsVoter(id) {
			return fmt.Errorf("%w: node %d is a voter; Demote makes it a learner", raft.ErrConfChangeInvalid, id)
		}
		return nil
	}
}

// isLearner refuses anything but a learner.
func isLearner(id uint64) func(raft.ConfState) error {
	return func(cs raft.ConfState) error {
		if !cs.IsMember(id) {
			return fmt.Errorf("%w: %w: node %d is not a member of %v; AddLearner it first", ErrUnknownNode, raft.ErrConfChangeInvalid, id, cs)
		}
		if !slices.Contains(cs.Learners, id) {
			return fmt.Errorf("%w: node %d is not a learner of %v", raft.ErrConfChangeInvalid, id, cs)
		}
		return nil
	}
}

// isVoter refuses anything but a voter.
func isVoter(id uint64) func(raft.ConfState) error {
	return func(cs raft.ConfState) error {
		if !cs.IsMember(id) {
			return fmt.Errorf("%w: %w: node %d is not a member of %v", ErrUnknownNode, raft.ErrConfChangeInvalid, id, cs)
		}
		if !slices.Contains(cs.Voters, id) {
			return fmt.Errorf("%w: node %d is not a voter of %v", raft.ErrConfChangeInvalid, id, cs)
		}
		return nil
	}
}
