package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/quorum"
)

// Membership changes in the nemesis.
//
// A FaultMembership event is an operator at work: for the event's Duration
// it tries to make one change, asking whichever node leads at the time and
// retrying every changeRetry while the leader refuses for a reason that
// passes (not leader, a change or a transfer in flight). It computes the
// change from the leader's configuration of the moment, as an admin tool
// that reads the membership first would. Several events may overlap, as
// several operators may: it is the core's job to refuse a second change
// while one is in flight, not the nemesis's.
//
// The cluster grows with fresh nodes, started empty with raft.Config.Join
// under IDs no node ever had, and added as learners before they may vote.
// A removed node keeps running, with whatever it believes, unless the
// schedule crashes it. A "stranger" is a node that was never added: it was
// started with a peer list that names itself and the voters, as a
// misconfigured deployment would, so it campaigns and sends its stale view
// to the members.

// Membership changes a FaultMembership event can make.
const (
	// ChangeAddLearner adds a fresh node as a learner.
	ChangeAddLearner = "add-learner"
	// ChangePromote makes a caught-up learner a voter (adding a fresh
	// learner first if there is none).
	ChangePromote = "promote"
	// ChangeRemove removes a voter other than the leader.
	ChangeRemove = "remove"
	// ChangeRemoveLeader removes the leader of the moment.
	ChangeRemoveLeader = "remove-leader"
	// ChangeReplace adds Count fresh nodes as learners, waits until they
	// caught up, then makes them voters and removes Count other voters in
	// one joint change.
	ChangeReplace = "replace"
	// ChangeReplaceLeader is ChangeReplace with the leader among the
	// voters removed.
	ChangeReplaceLeader = "replace-leader"
	// ChangeDemote makes a voter, perhaps the leader, a learner.
	ChangeDemote = "demote"
	// ChangeStranger starts a node that was never a member.
	ChangeStranger = "stranger"
)

// Changes lists the membership changes, in a fixed order.
var Changes = []string{ChangeAddLearner, ChangePromote, ChangeRemove, ChangeRemoveLeader, ChangeReplace,
	ChangeReplaceLeader, ChangeDemote, ChangeStranger}

// Limits of the membership nemesis.
const (
	// votersMin is the fewest voters a change may leave (or the initial
	// number, if smaller). Faults hit a node or a minority at a time, and a
	// group of three survives one down; below that the schedule could
	// stop the group for good, which tells nothing about the protocol.
	votersMin = 3
	// votersMax is the most voters a change may make.
	votersMax = 7
	// replaceMax bounds the voters one replace swaps.
	replaceMax = 2
	// simNodesMax bounds the nodes a run ever starts, members or not: IDs
	// are never reused, so every fresh node and stranger takes one.
	simNodesMax = 32
	// changeRetry is the pause between two attempts of an operator.
	changeRetry = 100 * time.Millisecond
	// catchUpPoll is how often an operator looks whether its learners
	// caught up: finer than changeRetry, as catching up takes a few round
	// trips, and the catch-up figure is measured to within it.
	catchUpPoll = 5 * time.Millisecond
	// changeWindowMin is the least time an operator keeps trying.
	changeWindowMin = 2 * time.Second
	// catchUpLagMax is how far a learner's log may trail the leader's
	// commit index and still count as caught up, for a promotion.
	catchUpLagMax = 10
	// leaveDelayMax bounds how long an operator that asked to leave a
	// joint configuration explicitly waits before it does.
	leaveDelayMax = 2 * time.Second
)

// Outcome counters in Result.Membership. Refusals are counted per
// attempt, under "refused " and the class of the reason.
const (
	countProposed  = "change proposed"
	countCompleted = "change completed"
	// countLost: the change was appended but a new leader overwrote it.
	countLost = "change lost"
	// countAbandoned: the operator's window ended before its change
	// completed.
	countAbandoned      = "change abandoned"
	countRefused        = "change refused "
	countStrangers      = "stranger started"
	countFresh          = "node added"
	countTransfer       = "transfer requested"
	countTransferDone   = "transfer completed"
	countTransferRefuse = "transfer refused "
)

// refusalClass names the class of a refused change or transfer.
func refusalClass(err error) string {
	var nl *raft.NotLeaderError
	switch {
	case errors.As(err, &nl):
		return "not-leader"
	case errors.Is(err, raft.ErrTransferInProgress):
		return "transfer-in-progress"
	case errors.Is(err, raft.ErrConfChangeInFlight):
		return "in-flight"
	case errors.Is(err, raft.ErrConfChangeInvalid):
		return "invalid"
	case errors.Is(err, raft.ErrTransferRefused):
		return "target-cannot-lead"
	case errors.Is(err, node.ErrStopped):
		return "stopped"
	}
	return "other"
}

// membership is the simulator's view of the group's configuration, from
// the configuration entries the checker saw committed.
type membership struct {
	rand *rand.Rand
	// conf is the configuration of the committed entry of highest index
	// seen, at confIndex.
	conf      raft.ConfState
	confIndex uint64
	// confs are the committed configuration entries, by index, and
	// confOrder their indexes in increasing order; bootstrap is the
	// configuration before the first.
	confs     map[uint64]raft.ConfState
	confOrder []uint64
	bootstrap raft.ConfState
	// counts are Result.Membership.
	counts map[string]int
	// transfers in flight: target and when it was asked for.
	transfers []pendingTransfer
	// transferTimes and catchUps are Result's figures.
	transferTimes []time.Duration
	catchUps      []CatchUp
}

type pendingTransfer struct {
	to uint64
	at int64
}

// CatchUp is how long fresh learners took to catch up: from the proposal
// that adds them to the moment the leader knows their logs are within
// catchUpLagMax of its commit index.
type CatchUp struct {
	// Log is the leader's commit index when the learner was added.
	Log uint64
	// Took is the virtual time it took, to within catchUpPoll.
	Took time.Duration
}

func newMembership(seed uint64, voters int) *membership {
	m := &membership{rand: rand.New(rand.NewPCG(seed, 3)), confs: map[uint64]raft.ConfState{}, counts: map[string]int{}}
	for id := 1; id <= voters; id++ {
		m.conf.Voters = append(m.conf.Voters, uint64(id))
	}
	m.bootstrap = m.conf
	return m
}

// committedConf records a configuration entry seen committed for the
// first time.
func (s *sim) committedConf(e raft.Entry) {
	cs, err := raft.DecodeConfState(e.Data)
	if err != nil {
		s.violate("state-machine-safety", "committed configuration entry %d does not decode: %v", e.Index, err)
		return
	}
	m := s.members
	m.confs[e.Index] = cs
	i, _ := slices.BinarySearch(m.confOrder, e.Index)
	m.confOrder = slices.Insert(m.confOrder, i, e.Index)
	if e.Index > m.confIndex {
		m.conf, m.confIndex = cs, e.Index
	}
	prev := m.bootstrap
	if i > 0 {
		prev = m.confs[m.confOrder[i-1]]
	}
	s.checkConfTransition(prev, cs, e.Index)
	if i+1 < len(m.confOrder) {
		s.checkConfTransition(cs, m.confs[m.confOrder[i+1]], m.confOrder[i+1])
	}
}

// checkConfTransition checks that the committed configuration next, at
// index, follows prev, the committed configuration before it, by joint
// consensus: a change of voters enters a joint configuration whose
// outgoing half is prev's voters, and a joint configuration is only ever
// left, keeping its incoming voters. A step that skips the joint phase lets
// a majority of the old voters and a majority of the new, which may not
// overlap, each decide alone; a second change made while one is in flight
// builds on a configuration that may never take effect.
func (s *sim) checkConfTransition(prev, next raft.ConfState, index uint64) {
	// quorum-overlap refines joint-consensus: it names the step that lets
	// two quorums miss each other, as a single-step change of two or more
	// voters does (Ongaro's thesis, §4.3), and shows the two quorums. A
	// change of one voter skipping the joint phase keeps the overlap and is
	// reported as joint-consensus below.
	if a, b, ok := disjointQuorums(prev, next); ok {
		s.violate("quorum-overlap", "committed configuration %v at index %d follows %v, and %v and %v are quorums of each that do not meet",
			next, index, prev, a, b)
		return
	}
	var ok bool
	switch {
	case prev.IsJoint():
		ok = !next.IsJoint() && slices.Equal(next.Voters, prev.Voters)
	case next.IsJoint():
		ok = slices.Equal(next.VotersOutgoing, prev.Voters)
	default:
		ok = slices.Equal(next.Voters, prev.Voters)
	}
	if !ok {
		s.violate("joint-consensus", "committed configuration %v at index %d follows %v", next, index, prev)
	}
}

// memberIDs lists the members of the latest committed configuration.
func (m *membership) memberIDs() []uint64 {
	ids := slices.Concat(m.conf.Voters, m.conf.VotersOutgoing, m.conf.Learners)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// randomMember picks a member of the latest committed configuration, for a
// client that looks for the leader.
func (s *sim) randomMember(r *rand.Rand) uint64 {
	ids := s.members.memberIDs()
	return ids[r.IntN(len(ids))]
}

// otherMember picks a member other than id, or id if it is the only one.
func (s *sim) otherMember(r *rand.Rand, id uint64) uint64 {
	ids := slices.DeleteFunc(s.members.memberIDs(), func(x uint64) bool { return x == id })
	if len(ids) == 0 {
		return id
	}
	return ids[r.IntN(len(ids))]
}

// remapToMembers maps the nodes a schedule event names, 1 to Config.Nodes,
// to the members of the moment: node k is the k-th member in order of ID.
// Until the first change the members are 1 to Config.Nodes and nothing
// changes; after it, crashes, pauses, partitions and transfers still hit
// the members rather than nodes long removed.
func (s *sim) remapToMembers(e Event) Event {
	ids := s.members.memberIDs()
	slot := func(id uint64) uint64 {
		if id >= 1 && int(id) <= len(ids) {
			return ids[id-1]
		}
		return id
	}
	if len(e.Nodes) > 0 {
		e.Nodes = slices.Clone(e.Nodes)
		for i, id := range e.Nodes {
			e.Nodes[i] = slot(id)
		}
	}
	if len(e.Links) > 0 {
		e.Links = slices.Clone(e.Links)
		for i, l := range e.Links {
			e.Links[i] = [2]uint64{slot(l[0]), slot(l[1])}
		}
	}
	return e
}

// addNode starts a node under a new ID: a fresh one that joins, or a
// stranger that believes it is a voter with the voters of the moment.
func (s *sim) addNode(stranger bool) (*simNode, bool) {
	if len(s.nodes) >= simNodesMax {
		return nil, false
	}
	n := &simNode{id: uint64(len(s.nodes) + 1), disk: newDisk(), joined: !stranger}
	if stranger {
		n.bootstrap = append(slices.Clone(s.members.conf.Voters), n.id)
	}
	s.nodes = append(s.nodes, n)
	if s.validator != nil {
		s.validator.nodeStarting(n.id, stranger)
	}
	if err := s.startNode(n); err != nil {
		s.violate("restart", "%v", err)
	}
	s.trace.write(traceSim{T: s.now, Sim: "node-start", Node: n.id, Detail: fmt.Sprintf("stranger=%v", stranger)})
	return n, true
}

// changeOp is one operator's change in progress.
type changeOp struct {
	s        *sim
	e        Event
	deadline int64
	// fresh are the nodes this operator started, to add as learners.
	fresh []uint64
	// learnersIn marks that the fresh nodes' addition took effect.
	learnersIn bool
	// addedAt and addedLog are when the addition was proposed, and the
	// leader's commit index then, for the catch-up figure.
	addedAt  int64
	addedLog uint64
	caughtUp bool
	// index and term identify the configuration entry in flight; final
	// says whether it is the operator's last.
	index, term uint64
	final       bool
	leaveAt     int64
}

// startChange begins the operator of event e.
func (s *sim) startChange(e Event) {
	if e.Change == ChangeStranger {
		if _, ok := s.addNode(true); ok {
			s.members.counts[countStrangers]++
		} else {
			s.members.counts[countRefused+"guard"]++
		}
		return
	}
	o := &changeOp{s: s, e: e, deadline: s.now + int64(max(e.Duration, changeWindowMin))}
	o.poll()
}

func (o *changeOp) again() { o.s.after(changeRetry, o.poll) }

// poll takes the operator's next step, if it can, and comes back later.
func (o *changeOp) poll() {
	s := o.s
	if s.now > o.deadline {
		s.members.counts[countAbandoned]++
		s.trace.write(traceSim{T: s.now, Sim: "change-abandoned", Detail: o.e.String()})
		return
	}
	if o.index != 0 && !o.settle() {
		if o.final {
			o.again()
		} else {
			s.after(catchUpPoll, o.poll) // the learners' addition, timed
		}
		return
	}
	if o.index != 0 {
		return // done
	}
	lead := s.leader()
	if lead == 0 || s.nodes[lead-1].paused {
		o.again()
		return
	}
	ln := s.nodes[lead-1]
	ms := ln.svc.Node().Membership()
	if ms.Role != raft.Leader {
		o.again()
		return
	}
	cc, final, st := o.next(lead, ms)
	switch st {
	case stepWait:
		s.after(catchUpPoll, o.poll)
		return
	case stepGuard:
		s.members.counts[countRefused+"guard"]++
		s.trace.write(traceSim{T: s.now, Sim: "change-refused", Node: lead, Detail: o.e.String() + ": guard"})
		return
	}
	cc.ExplicitLeave = o.e.Explicit
	err := ln.svc.Node().ProposeConfChange(*cc)
	s.trace.write(traceSim{T: s.now, Sim: "change", Node: lead, Detail: fmt.Sprintf("%s: %+v: %v", o.e, *cc, err)})
	if err != nil {
		s.members.counts[countRefused+refusalClass(err)]++
		o.again()
		return
	}
	s.members.counts[countProposed]++
	bs := ln.svc.Node().BasicStatus()
	o.index, o.term, o.final = bs.LastIndex, bs.Term, final
	if !final && !o.learnersIn {
		o.addedAt, o.addedLog = s.now, bs.Commit
	}
	s.process(ln, nil)
	o.again()
}

// settle follows the entry in flight. It returns false while the operator
// must wait, and true once it may go on (o.index is then 0) or is done.
func (o *changeOp) settle() bool {
	s := o.s
	ce, ok := s.checks.committed[o.index]
	if !ok {
		return false
	}
	cs, isConf := s.members.confs[o.index]
	if ce.term != o.term || !isConf {
		s.members.counts[countLost]++
		o.index = 0
		return true
	}
	if cs.IsJoint() {
		if s.members.confIndex == o.index && o.e.Explicit {
			o.maybeLeave()
			return false
		}
		// Left once a later configuration without the outgoing half is
		// committed.
		if s.members.confIndex == o.index || s.members.conf.IsJoint() {
			return false
		}
	}
	if !o.final {
		o.index = 0
		o.learnersIn = true
		return true
	}
	s.members.counts[countCompleted]++
	s.trace.write(traceSim{T: s.now, Sim: "change-completed", Detail: o.e.String()})
	return true
}

// maybeLeave proposes the empty change that leaves a joint configuration
// entered with ExplicitLeave, once the operator's pause is over.
func (o *changeOp) maybeLeave() {
	s := o.s
	if o.leaveAt == 0 {
		o.leaveAt = s.now + s.members.rand.Int64N(int64(leaveDelayMax))
	}
	lead := s.leader()
	if s.now < o.leaveAt || lead == 0 || s.nodes[lead-1].paused {
		return
	}
	ln := s.nodes[lead-1]
	err := ln.svc.Node().ProposeConfChange(raft.ConfChange{})
	s.trace.write(traceSim{T: s.now, Sim: "change", Node: lead, Detail: fmt.Sprintf("%s: leave joint: %v", o.e, err)})
	if err != nil {
		s.members.counts[countRefused+refusalClass(err)]++
		return
	}
	s.members.counts[countProposed]++
	s.process(ln, nil)
}

// step is what an operator does next.
type step int

const (
	stepWait    step = iota // nothing yet: learners are catching up, or nobody to pick
	stepGuard               // the change would take the voters out of bounds
	stepPropose             // propose the change
)

// next computes the operator's next change from the leader's view ms, and
// whether it is the operator's last.
func (o *changeOp) next(lead uint64, ms node.Membership) (cc *raft.ConfChange, final bool, st step) {
	cs := ms.ConfState
	switch o.e.Change {
	case ChangeAddLearner:
		return o.addFresh(1, true)
	case ChangePromote:
		if (o.fresh == nil && len(cs.Learners) == 0) || (o.fresh != nil && !allMembers(cs, o.fresh)) {
			return o.addFresh(1, false)
		}
		id := o.pickLearner(cs)
		if id == 0 || !o.caughtUpAll(ms, []uint64{id}) {
			return nil, false, stepWait
		}
		return o.guard(cs, &raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: raft.AddVoter, NodeID: id}}})
	case ChangeRemove, ChangeRemoveLeader, ChangeDemote:
		victims := o.pickVoters(cs, lead, 1, o.e.Change == ChangeRemoveLeader)
		if len(victims) == 0 {
			return nil, true, stepGuard
		}
		t := raft.RemoveNode
		if o.e.Change == ChangeDemote {
			t = raft.AddLearner
		}
		return o.guard(cs, &raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: t, NodeID: victims[0]}}})
	case ChangeReplace, ChangeReplaceLeader:
		if o.fresh == nil || !allMembers(cs, o.fresh) {
			return o.addFresh(min(max(o.e.Count, 1), replaceMax), false)
		}
		if !o.caughtUpAll(ms, o.fresh) {
			return nil, false, stepWait
		}
		victims := o.pickVoters(cs, lead, len(o.fresh), o.e.Change == ChangeReplaceLeader)
		if len(victims) < len(o.fresh) {
			return nil, true, stepGuard
		}
		cc := &raft.ConfChange{}
		for _, id := range o.fresh {
			cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddVoter, NodeID: id})
		}
		for _, id := range victims {
			cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.RemoveNode, NodeID: id})
		}
		return o.guard(cs, cc)
	}
	return nil, true, stepGuard
}

// allMembers reports whether every one of ids is a member of cs.
func allMembers(cs raft.ConfState, ids []uint64) bool {
	for _, id := range ids {
		if !cs.IsMember(id) {
			return false
		}
	}
	return true
}

// addFresh starts k fresh nodes, once, and returns the change that adds
// them as learners.
func (o *changeOp) addFresh(k int, final bool) (*raft.ConfChange, bool, step) {
	s := o.s
	if o.fresh == nil {
		for range k {
			n, ok := s.addNode(false)
			if !ok {
				return nil, true, stepGuard
			}
			o.fresh = append(o.fresh, n.id)
			s.members.counts[countFresh]++
		}
	}
	cc := &raft.ConfChange{}
	for _, id := range o.fresh {
		cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddLearner, NodeID: id})
	}
	return cc, final, stepPropose
}

// caughtUpAll reports whether the leader knows ids' logs to be within
// catchUpLagMax of its commit index, and records the catch-up figure the
// first time all of them are.
func (o *changeOp) caughtUpAll(ms node.Membership, ids []uint64) bool {
	for _, id := range ids {
		if ms.Match[id]+catchUpLagMax < ms.Commit {
			return false
		}
	}
	if o.learnersIn && !o.caughtUp {
		o.caughtUp = true
		o.s.members.catchUps = append(o.s.members.catchUps,
			CatchUp{Log: o.addedLog, Took: time.Duration(o.s.now - o.addedAt)})
	}
	return true
}

// pickLearner picks a learner of cs to promote: the operator's own fresh
// one, else one at random.
func (o *changeOp) pickLearner(cs raft.ConfState) uint64 {
	for _, id := range o.fresh {
		if slices.Contains(cs.Learners, id) {
			return id
		}
	}
	if o.fresh != nil || len(cs.Learners) == 0 {
		return 0
	}
	return cs.Learners[o.s.members.rand.IntN(len(cs.Learners))]
}

// pickVoters picks k voters of cs at random: the leader first if
// withLeader, else never the leader.
func (o *changeOp) pickVoters(cs raft.ConfState, lead uint64, k int, withLeader bool) []uint64 {
	var out []uint64
	if withLeader {
		out = append(out, lead)
	}
	others := slices.DeleteFunc(slices.Clone(cs.Voters), func(id uint64) bool { return id == lead || slices.Contains(o.fresh, id) })
	for len(out) < k && len(others) > 0 {
		i := o.s.members.rand.IntN(len(others))
		out = append(out, others[i])
		others = slices.Delete(others, i, i+1)
	}
	return out
}

// guard returns cc unless it would leave the voters outside
// [votersMin, votersMax].
func (o *changeOp) guard(cs raft.ConfState, cc *raft.ConfChange) (*raft.ConfChange, bool, step) {
	voters := len(cs.Voters)
	for _, c := range cc.Changes {
		isVoter := slices.Contains(cs.Voters, c.NodeID)
		switch {
		case c.Type == raft.AddVoter && !isVoter:
			voters++
		case c.Type != raft.AddVoter && isVoter:
			voters--
		}
	}
	if voters < min(votersMin, o.s.cfg.Nodes) || voters > max(votersMax, o.s.cfg.Nodes) {
		return nil, true, stepGuard
	}
	return cc, true, stepPropose
}

// transferAsked records a transfer the leader accepted.
func (s *sim) transferAsked(to uint64) {
	s.members.counts[countTransfer]++
	s.members.transfers = append(s.members.transfers, pendingTransfer{to: to, at: s.now})
}

// transferRefused counts a transfer the leader refused.
func (s *sim) transferRefused(err error) {
	s.members.counts[countTransferRefuse+refusalClass(err)]++
}

// leaderElected completes the transfers to id asked for within an
// election timeout or two (after that the leader gave up).
func (s *sim) leaderElected(id uint64) {
	m := s.members
	m.transfers = slices.DeleteFunc(m.transfers, func(p pendingTransfer) bool {
		if s.now-p.at > int64(2*ElectionTicks*TickInterval) {
			return true
		}
		if p.to != id {
			return false
		}
		m.counts[countTransferDone]++
		m.transferTimes = append(m.transferTimes, time.Duration(s.now-p.at))
		return true
	})
}

// checkLeaderIsVoter checks that a leader is a voter of its own
// configuration, in either half of a joint one: a leader outside it would
// commit with a quorum it is not part of.
func (c *checker) checkLeaderIsVoter(n *simNode, st raft.BasicStatus) {
	if st.Role != raft.Leader {
		delete(c.leaderCommit, n.id)
		return
	}
	if prev, ok := c.leaderCommit[n.id]; ok && prev == st.Commit && !c.newLeader[n.id] {
		return
	}
	c.leaderCommit[n.id] = st.Commit
	m := n.svc.Node().Membership()
	// A leader outside its configuration leads, without counting itself,
	// until that configuration's entry is committed.
	if !m.ConfState.IsVoter(n.id) && m.ConfIndex <= m.Commit {
		c.s.violate("leader-is-voter", "node %d leads term %d but is not a voter of its committed configuration %v (at %d, commit %d)",
			n.id, st.Term, m.ConfState, m.ConfIndex, m.Commit)
	}
}

// fillChange draws a membership event: the change, how many voters a
// replace swaps, whether it leaves the joint configuration explicitly, and
// an operator's window of at least changeWindowMin within span.
func fillChange(c chooser, e *Event, span time.Duration) {
	e.Change = Changes[c.intn("change", len(Changes))]
	if e.Change == ChangeReplace || e.Change == ChangeReplaceLeader {
		e.Count = 1 + c.intn("replace", replaceMax)
	}
	e.Explicit = c.intn("explicit", 4) == 0
	e.Duration = min(max(e.Duration, changeWindowMin), max(0, span-e.At))
}

// slotMember is the k-th member (counting from 1, wrapping around), where
// client k starts.
func (s *sim) slotMember(k int) uint64 {
	ids := s.members.memberIDs()
	return ids[(k-1)%len(ids)]
}

// isQuorum reports whether ids hold a majority of cs's voters, and of its
// outgoing voters too if cs is joint.
func isQuorum(cs raft.ConfState, ids []uint64) bool {
	votes := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		votes[id] = true
	}
	joint := quorum.Joint{quorum.NewMajority(cs.Voters...), quorum.NewMajority(cs.VotersOutgoing...)}
	return joint.VoteResult(votes) == quorum.VoteWon
}

// disjointQuorums looks for a quorum of a and a quorum of b that share no
// node: two such configurations in a row could each elect a leader, or
// commit, without the other knowing. Quorums only grow by adding nodes, so
// it is enough to try each split of the voters of both into two parts.
func disjointQuorums(a, b raft.ConfState) (qa, qb []uint64, found bool) {
	all := slices.Concat(a.Voters, a.VotersOutgoing, b.Voters, b.VotersOutgoing)
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) > confVotersCheckedMax {
		return nil, nil, false
	}
	for mask := 0; mask < 1<<len(all); mask++ {
		qa, qb = qa[:0], qb[:0]
		for i, id := range all {
			if mask&(1<<i) != 0 {
				qa = append(qa, id)
			} else {
				qb = append(qb, id)
			}
		}
		if isQuorum(a, qa) && isQuorum(b, qb) {
			return qa, qb, true
		}
	}
	return nil, nil, false
}

// confVotersCheckedMax bounds the voters, of two configurations together,
// for which disjointQuorums tries every split (2^n of them). The nemesis
// keeps at most votersMax voters, so two joint configurations in a row
// name well under this many. Above it the search is skipped (it would take
// too long) and joint-consensus alone judges the step.
const confVotersCheckedMax = 16
