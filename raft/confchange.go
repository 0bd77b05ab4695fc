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
// in its log, committed or not; if there is none after its snapshot, the
// snapshot's; if there is no snapshot, the bootstrap Config.Voters and
// Config.Learners. So a configuration takes effect at a node as soon as the
// node appends its entry, and is undone if the entry is overwritten. Why
// not once it is committed: a node that never hears that a change was
// committed would keep the old configuration, and could be elected by a
// majority of the old voters who lack what the new configuration has
// committed since. With the rule above, every node that holds a
// configuration's entry decides by it.
//
// Joint consensus. Any change of the voters goes through a joint
// configuration, in which every decision (election, commit, CheckQuorum,
// read rounds, the lease) needs a majority of the new voters and a majority
// of the old. Once the joint configuration's entry is committed, the
// leader appends the configuration with the new voters only (LeaveJoint),
// unless the change asked to leave explicitly. Why a joint phase: moving
// from {1,2,3} to {1,4,5} in one step would let {2,3}, on the old
// configuration, and {1,4,5}, on the new one, each commit at the same index
// (TestJointPhaseKeepsTheOldSideFromElectingALeader). Each configuration's
// quorums intersect those of the configuration before and after it.
//
// One change at a time. A leader refuses a change while an earlier one is
// not committed or while the configuration is joint (other than leaving
// it), and until it has committed an entry of its own term: before that it
// cannot know whether an earlier leader's uncommitted change will survive,
// and a second change on top of an unknown one could break the overlap
// above.
//
// Removal. A leader that is not a voter of its configuration leads without
// counting itself until that configuration's entry is committed, then
// steps down. Nodes that are not voters never campaign. Any node votes
// when asked, whatever its own configuration says: a learner that was
// promoted may not have the entry yet, and the new configuration may need
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

// ErrUnknownNode is wrapped, with ErrConfChangeInvalid, by the error for a
// change that removes a node that is not a member.
var ErrUnknownNode = errors.New("raft conf change of an unknown node")

// ErrNoVoters is wrapped, with ErrConfChangeInvalid, by the error for a
// change that would leave no voters.
var ErrNoVoters = errors.New("raft conf change would leave no voters")

// ErrConfUnknown is wrapped by ConfStateAt's error for an index before the
// configuration entry through which a node started with Config.Join
// learned of the group: the configuration then is not known to it.
var ErrConfUnknown = errors.New("raft configuration not known at this index")

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
				return ConfState{}, fmt.Errorf("%w: %w: node %d is not a member of %v", ErrConfChangeInvalid, ErrUnknownNode, id, cs)
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
		return ConfState{}, fmt.Errorf("%w: %w: %v", ErrConfChangeInvalid, ErrNoVoters, cs)
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

// After is the configuration that cc makes of cs, which must not be joint,
// once any joint configuration on the way is left; or why cc cannot be
// made of cs (errors wrapping ErrConfChangeInvalid, and ErrUnknownNode or
// ErrNoVoters where they apply). An application uses it to know what to
// wait for.
func (cs ConfState) After(cc ConfChange) (ConfState, error) {
	if cs.IsJoint() {
		return ConfState{}, fmt.Errorf("%w: %v is joint", ErrConfChangeInFlight, cs)
	}
	next, err := cs.next(cc, false)
	if err != nil {
		return ConfState{}, err
	}
	return next.leave(), nil
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
	case !r.committedInTerm():
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
// change in flight. The configuration is in effect once appended.
func (r *core) appendConf(cs ConfState, action string) {
	r.pendingConfIndex = r.log.lastIndex() + 1
	r.appendEntriesNoCommit(Entry{Type: EntryConfChange, Data: EncodeConfState(cs)})
	r.traceAction(action, nil)
	r.appendPending = true
	// A group of one commits at once.
	r.AdvanceCommitIndex()
}

// confEntry is a configuration entry of the log.
type confEntry struct {
	index uint64
	cs    ConfState
}

// confLog tracks the configuration entries in the log, so that the one in
// effect is always that of the last of them.
type confLog struct {
	// base is the configuration before the first entry of entries: the
	// snapshot's, the bootstrap one, or that of an entry compacted away.
	base      ConfState
	baseIndex uint64
	entries   []confEntry
}

// last is the configuration in effect and the index of its entry.
func (c *confLog) last() (ConfState, uint64) {
	if n := len(c.entries); n > 0 {
		return c.entries[n-1].cs, c.entries[n-1].index
	}
	return c.base, c.baseIndex
}

// at is the configuration in effect at index i, and whether it is known:
// the base holds from baseIndex on, and nothing is known before it but
// the entries.
func (c *confLog) at(i uint64) (ConfState, bool) {
	for k := len(c.entries) - 1; k >= 0; k-- {
		if c.entries[k].index <= i {
			return c.entries[k].cs, true
		}
	}
	return c.base, i >= c.baseIndex
}

// appended updates the configuration entries for ents, which replace the
// log from ents[0].Index on. It reports whether the configuration in
// effect may have changed. Entries of the log below first are forgotten,
// keeping the configuration they leave in effect as the base.
func (c *confLog) appended(ents []Entry, first uint64) bool {
	at := ents[0].Index
	n := len(c.entries)
	for n > 0 && c.entries[n-1].index >= at {
		n--
	}
	changed := n != len(c.entries)
	c.entries = c.entries[:n]
	for i := range ents {
		if ents[i].Type != EntryConfChange {
			continue
		}
		cs, err := DecodeConfState(ents[i].Data)
		if err != nil {
			// Step validated the entries of every message, and the
			// leader encodes its own: this one was corrupted since.
			panic(fmt.Sprintf("raft: configuration entry %d: %v", ents[i].Index, err))
		}
		c.entries = append(c.entries, confEntry{index: ents[i].Index, cs: cs})
		changed = true
	}
	// Forget the entries compacted away; the last of them is in effect
	// at the first index, so it becomes the base.
	k := 0
	for k < len(c.entries) && c.entries[k].index < first {
		k++
	}
	if k > 0 {
		c.base, c.baseIndex = c.entries[k-1].cs, c.entries[k-1].index
		c.entries = slices.Delete(c.entries, 0, k)
	}
	return changed
}

// reset makes cs, of the snapshot or bootstrap at index, the base.
func (c *confLog) reset(cs ConfState, index uint64) {
	*c = confLog{base: cloneConfState(cs), baseIndex: index}
}

// onAppend is called by the log for every append, leader's or follower's.
func (r *core) onAppend(ents []Entry) {
	if r.confs.appended(ents, r.log.firstIndex()) {
		r.applyConf()
	}
}

// applyConf puts the configuration of the last configuration entry in
// effect.
func (r *core) applyConf() {
	cs, index := r.confs.last()
	if index == r.confIndex && r.trk.conf.Equal(cs) {
		return
	}
	r.confIndex = index
	r.trk.setConf(cs, r.id, r.log.lastIndex())
	if r.role == Leader && r.leadTransferee != None && !cs.IsVoter(r.leadTransferee) {
		// The target of a transfer left the voters: it cannot win.
		r.abortTransfer()
	}
}

// commitTo raises the commit index to i. A leader that is not a voter of
// its configuration steps down once that configuration is committed; the
// step down is part of the action that committed it, and is traced with
// it by the caller.
func (r *core) commitTo(i uint64) {
	r.log.commitTo(i)
	if r.role == Leader && r.confIndex <= r.log.committed && !r.trk.conf.IsVoter(r.id) && !r.bugs.KeepRemovedLeader {
		// A leader outside its configuration would go on committing with
		// a quorum it is not part of and keep every other node from
		// electing one that is.
		r.becomeFollower(r.term, None)
	}
}

// maybeLeaveJoint appends the configuration that leaves a joint one whose
// entry is committed, unless the change asked to leave explicitly or a
// configuration entry is still uncommitted (on a new leader, whatever its
// log may hold). A leader elected while the group is joint thus leaves it
// once its first entry commits.
func (r *core) maybeLeaveJoint() {
	cs := r.trk.conf
	if r.role == Leader && cs.IsJoint() && cs.AutoLeave && r.confIndex <= r.log.committed && r.pendingConfIndex <= r.log.committed {
		r.appendConf(cs.leave(), "LeaveJoint")
	}
}

// confStateAt is the configuration in effect at index i: that of the last
// configuration entry at or below i, else that of the snapshot, else the
// bootstrap configuration. i must be at most the last index and at least
// the snapshot's.
func (r *core) confStateAt(i uint64) (ConfState, error) {
	if i > r.log.lastIndex() {
		return ConfState{}, fmt.Errorf("raft: configuration at %d asked, past the last index %d", i, r.log.lastIndex())
	}
	cs, ok := r.confs.at(i)
	if !ok || i+1 < r.log.firstIndex() {
		return ConfState{}, fmt.Errorf("raft: configuration at %d asked: %w", i, ErrCompacted)
	}
	if len(cs.Voters) == 0 {
		return ConfState{}, fmt.Errorf("raft: configuration at %d asked: %w", i, ErrConfUnknown)
	}
	return cloneConfState(cs), nil
}

// initConf finds the configuration entries of the log on start, after the
// snapshot's or bootstrap configuration cs.
func (r *core) initConf(cs ConfState) error {
	first := r.log.firstIndex()
	// cs holds from the snapshot's index on; entries kept below it do not
	// tell what held before them.
	base := first - 1
	if snap, err := r.cfg.Storage.Snapshot(); err == nil && !snap.IsEmpty() {
		base = max(base, snap.Metadata.Index)
	}
	r.confs.reset(cs, base)
	if r.log.lastIndex() >= first {
		ents, err := r.log.slice(first, r.log.lastIndex()+1, noLimit)
		if err != nil {
			return fmt.Errorf("raft: read the log for its configuration: %w", err)
		}
		for i := range ents {
			if ents[i].Type == EntryConfChange {
				if _, err := DecodeConfState(ents[i].Data); err != nil {
					return fmt.Errorf("raft: stored configuration entry %d: %w", ents[i].Index, err)
				}
			}
		}
		r.confs.appended(ents, first)
	}
	r.confIndex = ^uint64(0) // force applyConf
	r.applyConf()
	return nil
}

// normalizeConf sorts a configuration given by a user.
func normalizeConf(cs ConfState) ConfState {
	cs = cloneConfState(cs)
	for _, ids := range [][]uint64{cs.Voters, cs.VotersOutgoing, cs.Learners} {
		slices.Sort(ids)
	}
	return cs
}
