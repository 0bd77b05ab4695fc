package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Membership changes.
//
// A configuration is a ConfState. It changes through entries of type
// EntryConfChange, whose data is the whole configuration after the change
// (EncodeConfState), never a delta, so a node that joins late needs only
// the last such entry.
//
// When a configuration takes effect. One rule holds for every node, leader
// or not: a node's configuration is that of the last EntryConfChange entry
// at or below its commit index; if none is after its snapshot, the
// snapshot's; if there is no snapshot, the bootstrap Config.Voters and
// Config.Learners. So a configuration takes effect at a node when the node
// learns that its entry is committed, and since committed entries are never
// truncated it is never undone. The spec's ChangeConf and LeaveJoint
// actions and its commit actions follow the same rule.
//
// Joint consensus. Any change of the voters goes through a joint
// configuration, in which every decision (election, commit, CheckQuorum,
// read rounds, the lease) needs a majority of the new voters and a majority
// of the old. Once the joint configuration takes effect at the leader, the
// leader appends the configuration with the new voters only (LeaveJoint),
// unless the change asked to leave explicitly. Why a joint phase: moving
// from {1,2,3} to {1,4,5} in one step would let {2,3}, still on the old
// configuration, and {4,5}, on the new one, each elect a leader in one term.
// Each configuration's quorums intersect those of the configuration before
// and after it, so no two leaders can be elected in one term by nodes that
// disagree on the configuration.
//
// One change at a time. A leader refuses a change while an earlier one is
// not committed or while the configuration is joint (other than leaving
// it), and until it has committed an entry of its own term: before that it
// cannot know whether an earlier leader's uncommitted change is in force,
// and a second change on top of an unknown one could break the overlap
// above.
//
// Removal. A leader that is not a voter of a configuration that takes
// effect steps down. Nodes that are not voters never campaign. Any node
// votes when asked, whatever its own configuration says: a learner that was
// promoted may not have learned it yet, and the new configuration may need
// its vote.

// ConfChangeType is the kind of one membership change.
type ConfChangeType uint8

const (
	// AddVoter adds a voter, or promotes a learner.
	AddVoter ConfChangeType = iota + 1
	// AddLearner adds a learner, or demotes a voter.
	AddLearner
	// RemoveNode removes a voter or a learner.
	RemoveNode
)

func (t ConfChangeType) String() string {
	switch t {
	case AddVoter:
		return "AddVoter"
	case AddLearner:
		return "AddLearner"
	case RemoveNode:
		return "RemoveNode"
	}
	return fmt.Sprintf("ConfChangeType(%d)", uint8(t))
}

// ConfChangeSingle changes one node's membership.
type ConfChangeSingle struct {
	Type   ConfChangeType
	NodeID uint64
}

// ConfChange is a set of changes made together. With no Changes it asks to
// leave the current joint configuration, which is needed only when the
// change that entered it set ExplicitLeave.
type ConfChange struct {
	Changes []ConfChangeSingle
	// ExplicitLeave keeps the group in the joint configuration until an
	// empty ConfChange is proposed. By default the leader leaves it as soon
	// as it takes effect.
	ExplicitLeave bool
}

// ErrConfChangeInvalid is wrapped by the errors for a change that can never
// be made: a node ID of zero, an unknown node, a change that changes
// nothing, or one that would leave no voters.
var ErrConfChangeInvalid = errors.New("raft conf change invalid")

// ErrConfChangeInFlight is wrapped by the errors for a change that cannot
// be made yet: an earlier change is not committed or the configuration is
// still joint, or the leader has not committed an entry of its term. The
// caller may retry later.
var ErrConfChangeInFlight = errors.New("raft conf change in flight")

// confMembersMax bounds the members of a configuration: a larger one is
// refused at the proposal and in decoding.
const confMembersMax = 1 << 10

// noLimit asks the log for entries without a size limit.
const noLimit = ^uint64(0)

// IsJoint reports whether cs is a joint configuration.
func (cs ConfState) IsJoint() bool { return len(cs.VotersOutgoing) > 0 }

// IsVoter reports whether id votes in either half of cs.
func (cs ConfState) IsVoter(id uint64) bool {
	return slices.Contains(cs.Voters, id) || slices.Contains(cs.VotersOutgoing, id)
}

// IsMember reports whether id is a voter or a learner of cs.
func (cs ConfState) IsMember(id uint64) bool {
	return cs.IsVoter(id) || slices.Contains(cs.Learners, id)
}

// Equal reports whether two configurations have the same members in the
// same roles.
func (cs ConfState) Equal(o ConfState) bool {
	return slices.Equal(cs.Voters, o.Voters) && slices.Equal(cs.VotersOutgoing, o.VotersOutgoing) &&
		slices.Equal(cs.Learners, o.Learners) && cs.AutoLeave == o.AutoLeave
}

func (cs ConfState) String() string {
	if cs.IsJoint() {
		return fmt.Sprintf("voters=%v&&%v learners=%v autoleave=%v", cs.Voters, cs.VotersOutgoing, cs.Learners, cs.AutoLeave)
	}
	return fmt.Sprintf("voters=%v learners=%v", cs.Voters, cs.Learners)
}

// EncodeConfState is the data of an EntryConfChange entry: a version byte,
// a flags byte (bit 0: AutoLeave), then Voters, VotersOutgoing and Learners,
// each as a count and increasing IDs, all as unsigned varints.
func EncodeConfState(cs ConfState) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64*(3+len(cs.Voters)+len(cs.VotersOutgoing)+len(cs.Learners)))
	var flags byte
	if cs.AutoLeave {
		flags |= 1
	}
	b = append(b, 1, flags)
	for _, ids := range [][]uint64{cs.Voters, cs.VotersOutgoing, cs.Learners} {
		b = binary.AppendUvarint(b, uint64(len(ids)))
		for _, id := range ids {
			b = binary.AppendUvarint(b, id)
		}
	}
	return b
}

// DecodeConfState decodes what EncodeConfState wrote. It refuses, with an
// error, anything EncodeConfState of a valid configuration could not have
// written.
func DecodeConfState(b []byte) (ConfState, error) {
	var cs ConfState
	if len(b) < 2 {
		return cs, fmt.Errorf("%w: configuration of %d bytes is too short", ErrConfChangeInvalid, len(b))
	}
	if b[0] != 1 {
		return cs, fmt.Errorf("%w: configuration version %d, want 1", ErrConfChangeInvalid, b[0])
	}
	if b[1]&^1 != 0 {
		return cs, fmt.Errorf("%w: configuration flags %#x unknown", ErrConfChangeInvalid, b[1])
	}
	cs.AutoLeave = b[1]&1 != 0
	rest := b[2:]
	sets := [3]*[]uint64{&cs.Voters, &cs.VotersOutgoing, &cs.Learners}
	for k, dst := range sets {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > confMembersMax || n > uint64(len(rest)) {
			return ConfState{}, fmt.Errorf("%w: bad member count in set %d", ErrConfChangeInvalid, k)
		}
		rest = rest[w:]
		if n == 0 {
			continue
		}
		ids := make([]uint64, 0, n)
		for range n {
			id, w := binary.Uvarint(rest)
			if w <= 0 {
				return ConfState{}, fmt.Errorf("%w: truncated member ID in set %d", ErrConfChangeInvalid, k)
			}
			rest = rest[w:]
			ids = append(ids, id)
		}
		*dst = ids
	}
	if len(rest) != 0 {
		return ConfState{}, fmt.Errorf("%w: %d bytes after the configuration", ErrConfChangeInvalid, len(rest))
	}
	if err := cs.validate(); err != nil {
		return ConfState{}, err
	}
	return cs, nil
}

// validate checks the shape of a configuration: some voter, IDs not zero
// and strictly increasing in each set, no learner among the incoming
// voters, and AutoLeave only in a joint configuration.
func (cs ConfState) validate() error {
	if len(cs.Voters) == 0 {
		return fmt.Errorf("%w: no voters", ErrConfChangeInvalid)
	}
	for name, ids := range map[string][]uint64{"voters": cs.Voters, "outgoing voters": cs.VotersOutgoing, "learners": cs.Learners} {
		for i, id := range ids {
			if id == None {
				return fmt.Errorf("%w: node ID 0 among the %s", ErrConfChangeInvalid, name)
			}
			if i > 0 && ids[i-1] >= id {
				return fmt.Errorf("%w: %s %v not strictly increasing", ErrConfChangeInvalid, name, ids)
			}
		}
	}
	for _, id := range cs.Learners {
		if slices.Contains(cs.Voters, id) {
			return fmt.Errorf("%w: node %d is both voter and learner", ErrConfChangeInvalid, id)
		}
	}
	if cs.AutoLeave && !cs.IsJoint() {
		return fmt.Errorf("%w: AutoLeave outside a joint configuration", ErrConfChangeInvalid)
	}
	if len(cs.Voters)+len(cs.VotersOutgoing)+len(cs.Learners) > confMembersMax {
		return fmt.Errorf("%w: more than %d members", ErrConfChangeInvalid, confMembersMax)
	}
	return nil
}

// next is the configuration that cc makes of cs, which is not joint.
func (cs ConfState) next(cc ConfChange, skipJoint bool) (ConfState, error) {
	voters := slices.Clone(cs.Voters)
	learners := slices.Clone(cs.Learners)
	seen := make(map[uint64]bool, len(cc.Changes))
	for _, c := range cc.Changes {
		id := c.NodeID
		if id == None {
			return ConfState{}, fmt.Errorf("%w: node ID 0", ErrConfChangeInvalid)
		}
		if seen[id] {
			return ConfState{}, fmt.Errorf("%w: node %d changed twice in one change", ErrConfChangeInvalid, id)
		}
		seen[id] = true
		isVoter, isLearner := slices.Contains(voters, id), slices.Contains(learners, id)
		switch c.Type {
		case AddVoter:
			if isVoter {
				return ConfState{}, fmt.Errorf("%w: node %d is already a voter", ErrConfChangeInvalid, id)
			}
			learners = slices.DeleteFunc(learners, func(x uint64) bool { return x == id })
			voters = append(voters, id)
		case AddLearner:
			if isLearner {
				return ConfState{}, fmt.Errorf("%w: node %d is already a learner", ErrConfChangeInvalid, id)
			}
			voters = slices.DeleteFunc(voters, func(x uint64) bool { return x == id })
			learners = append(learners, id)
		case RemoveNode:
			if !isVoter && !isLearner {
				return ConfState{}, fmt.Errorf("%w: node %d is not a member", ErrConfChangeInvalid, id)
			}
			voters = slices.DeleteFunc(voters, func(x uint64) bool { return x == id })
			learners = slices.DeleteFunc(learners, func(x uint64) bool { return x == id })
		default:
			return ConfState{}, fmt.Errorf("%w: unknown change type %v", ErrConfChangeInvalid, c.Type)
		}
	}
	slices.Sort(voters)
	slices.Sort(learners)
	if len(voters) == 0 {
		return ConfState{}, fmt.Errorf("%w: the change would leave no voters", ErrConfChangeInvalid)
	}
	out := ConfState{Voters: voters, Learners: learners}
	if !slices.Equal(voters, cs.Voters) && !skipJoint {
		out.VotersOutgoing = slices.Clone(cs.Voters)
		out.AutoLeave = !cc.ExplicitLeave
	}
	if err := out.validate(); err != nil {
		return ConfState{}, err
	}
	return out, nil
}

// leave is the configuration that leaves the joint configuration cs.
func (cs ConfState) leave() ConfState {
	return ConfState{Voters: slices.Clone(cs.Voters), Learners: slices.Clone(cs.Learners)}
}

// proposeConfChange appends the configuration cc makes (ChangeConf), or
// the one that leaves the joint configuration (LeaveJoint).
func (r *core) proposeConfChange(cc ConfChange) error {
	switch {
	case r.role != Leader:
		return &NotLeaderError{Leader: r.lead, Term: r.term}
	case r.leadTransferee != None:
		return fmt.Errorf("%w: to %d", ErrTransferInProgress, r.leadTransferee)
	case r.log.termOrZero(r.log.committed) != r.term:
		return fmt.Errorf("%w: the leader has not yet committed an entry of its term %d", ErrConfChangeInFlight, r.term)
	case r.pendingConfIndex > r.log.committed && !r.bugs.AllowSecondConfChange:
		return fmt.Errorf("%w: the change at index %d is not committed yet", ErrConfChangeInFlight, r.pendingConfIndex)
	}
	cur := r.trk.conf
	if len(cc.Changes) == 0 {
		if !cur.IsJoint() {
			return fmt.Errorf("%w: an empty change leaves a joint configuration, and %v is not one", ErrConfChangeInvalid, cur)
		}
		r.appendConf(cur.leave(), "LeaveJoint")
		return nil
	}
	if cur.IsJoint() && !r.bugs.AllowSecondConfChange {
		return fmt.Errorf("%w: the configuration %v is joint; leave it first", ErrConfChangeInFlight, cur)
	}
	if cur.IsJoint() {
		// Planted: a change on top of a joint configuration drops its
		// outgoing half.
		cur = cur.leave()
	}
	next, err := cur.next(cc, r.bugs.SkipJointPhase)
	if err != nil {
		return err
	}
	r.appendConf(next, "ChangeConf")
	return nil
}

// appendConf appends cs as an EntryConfChange entry and records it as the
// change in flight.
func (r *core) appendConf(cs ConfState, action string) {
	r.pendingConfIndex = r.log.lastIndex() + 1
	r.appendEntriesNoCommit(Entry{Type: EntryConfChange, Data: EncodeConfState(cs)})
	r.traceAction(action, nil)
	r.appendPending = true
	// A group of one commits at once.
	r.AdvanceCommitIndex()
}

// commitTo raises the commit index to i and puts in effect a configuration
// committed with it. The caller traces the action.
func (r *core) commitTo(i uint64) {
	prev := r.log.committed
	r.log.commitTo(i)
	r.confAfterCommit(prev)
}

// maybeLeaveJoint appends the configuration that leaves a joint one in
// effect at the leader, unless the change asked to leave explicitly or a
// configuration entry is still uncommitted (the leave itself, or, on a new
// leader, whatever its log may hold). A leader elected while the group is
// joint thus leaves it once its first entry commits.
func (r *core) maybeLeaveJoint() {
	cs := r.trk.conf
	if r.role == Leader && cs.IsJoint() && cs.AutoLeave && r.pendingConfIndex <= r.log.committed {
		r.appendConf(cs.leave(), "LeaveJoint")
	}
}

// confAfterCommit puts in effect the last configuration entry in
// (prev, commit]. Every change of the commit index goes through here.
func (r *core) confAfterCommit(prev uint64) {
	commit := r.log.committed
	if commit <= prev || commit <= r.confIndex || r.log.lastConf <= max(prev, r.confIndex) {
		return
	}
	lo := max(prev+1, r.confIndex+1, r.log.firstIndex())
	ents, err := r.log.slice(lo, commit+1, noLimit)
	mustOK(err, "committed entries")
	for i := len(ents) - 1; i >= 0; i-- {
		if ents[i].Type != EntryConfChange {
			continue
		}
		cs, err := DecodeConfState(ents[i].Data)
		if err != nil {
			// Only a leader's ChangeConf writes these entries; one that
			// does not decode was corrupted after Step checked it.
			panic(fmt.Sprintf("raft: committed configuration at index %d: %v", ents[i].Index, err))
		}
		r.setConf(ents[i].Index, cs)
		return
	}
}

// setConf puts cs, the configuration of the entry at index, in effect.
func (r *core) setConf(index uint64, cs ConfState) {
	r.confIndex = index
	r.trk.setConf(cs, r.id, r.log.lastIndex())
	if r.role != Leader {
		return
	}
	if !cs.IsVoter(r.id) && !r.bugs.KeepRemovedLeader {
		// A leader outside its configuration would go on committing with
		// a quorum it is not part of and keep every other node from
		// electing one that is; step down instead.
		// The step down is part of the action that committed the
		// configuration, and is traced with it.
		r.becomeFollower(r.term, None)
		return
	}
	if r.leadTransferee != None && !cs.IsVoter(r.leadTransferee) {
		// The target of a transfer left the voters: it cannot win.
		r.abortTransfer()
	}
}

// confStateAt is the configuration in effect at index i, for i at or after
// the snapshot and at or below the commit index: the configuration of the
// last EntryConfChange at or below i, else that of the snapshot, else the
// bootstrap configuration.
func (r *core) confStateAt(i uint64) (ConfState, error) {
	if i > r.log.committed {
		return ConfState{}, fmt.Errorf("raft: configuration at %d asked, past the commit index %d", i, r.log.committed)
	}
	first := r.log.firstIndex()
	if i+1 < first {
		return ConfState{}, fmt.Errorf("raft: configuration at %d asked: %w", i, ErrCompacted)
	}
	if i >= first {
		ents, err := r.log.slice(first, i+1, noLimit)
		if err != nil {
			return ConfState{}, err
		}
		for k := len(ents) - 1; k >= 0; k-- {
			if ents[k].Type == EntryConfChange {
				return DecodeConfState(ents[k].Data)
			}
		}
	}
	return r.baseConf()
}

// baseConf is the configuration before the first entry of the log: the
// snapshot's, else the bootstrap one.
func (r *core) baseConf() (ConfState, error) {
	snap, err := r.cfg.Storage.Snapshot()
	if err != nil && !errIsMissing(err) {
		return ConfState{}, err
	}
	if r.log.unstableSnapshot != nil {
		snap = *r.log.unstableSnapshot
	}
	if !snap.IsEmpty() {
		return cloneConfState(snap.Metadata.ConfState), nil
	}
	return normalizeConf(ConfState{Voters: r.cfg.Voters, Learners: r.cfg.Learners}), nil
}

// normalizeConf sorts a configuration given by a user.
func normalizeConf(cs ConfState) ConfState {
	cs = cloneConfState(cs)
	for _, ids := range [][]uint64{cs.Voters, cs.VotersOutgoing, cs.Learners} {
		slices.Sort(ids)
	}
	return cs
}
