package raft

import (
	"fmt"
	"slices"

	"github.com/raftcheck/raftcheck/raft/quorum"
)

// ProgressState is how the leader sends entries to one follower.
type ProgressState uint8

const (
	// ProgressProbe sends one AppendEntriesRequest at a time until the
	// leader learns where the follower's log matches its own.
	ProgressProbe ProgressState = iota
	// ProgressReplicate streams entries optimistically, pipelined up to the
	// in-flight window.
	ProgressReplicate
	// ProgressSnapshot waits for a snapshot to be installed.
	ProgressSnapshot
)

func (s ProgressState) String() string {
	switch s {
	case ProgressProbe:
		return "Probe"
	case ProgressReplicate:
		return "Replicate"
	case ProgressSnapshot:
		return "Snapshot"
	}
	return fmt.Sprintf("ProgressState(%d)", uint8(s))
}

// inflights is the window of AppendEntriesRequests sent to a follower and
// not yet acknowledged, bounded both in messages and in bytes. It remembers
// the last index and the size of each message, in order.
type inflights struct {
	last     []uint64
	bytes    []uint64
	bytesSum uint64

	msgsMax  int
	bytesMax uint64
}

func newInflights(msgsMax int, bytesMax uint64) *inflights {
	return &inflights{msgsMax: msgsMax, bytesMax: bytesMax}
}

func (in *inflights) add(last, bytes uint64) {
	if in.full() {
		panic("raft: invariant broken: sending past a full in-flight window")
	}
	if n := len(in.last); n > 0 && last <= in.last[n-1] {
		panic(fmt.Sprintf("raft: in-flight index %d does not follow %d", last, in.last[n-1]))
	}
	in.last = append(in.last, last)
	in.bytes = append(in.bytes, bytes)
	in.bytesSum += bytes
}

// freeLE releases the messages whose last entry is at or below index.
func (in *inflights) freeLE(index uint64) {
	n := 0
	for n < len(in.last) && in.last[n] <= index {
		in.bytesSum -= in.bytes[n]
		n++
	}
	if n == 0 {
		return
	}
	// Shift down rather than reslice, so the arrays do not creep forward
	// and grow for ever.
	in.last = append(in.last[:0], in.last[n:]...)
	in.bytes = append(in.bytes[:0], in.bytes[n:]...)
}

func (in *inflights) freeFirst() {
	if len(in.last) > 0 {
		in.freeLE(in.last[0])
	}
}

func (in *inflights) full() bool {
	return len(in.last) >= in.msgsMax || (in.bytesMax > 0 && in.bytesSum >= in.bytesMax)
}

func (in *inflights) count() int { return len(in.last) }

func (in *inflights) reset() {
	in.last, in.bytes, in.bytesSum = in.last[:0], in.bytes[:0], 0
}

// Progress is the leader's view of one follower's log.
type Progress struct {
	// Match is the highest index known to be in the follower's log.
	Match uint64
	// Next is the index of the next entry to send. Next > Match always.
	Next uint64
	// State is how entries are sent.
	State ProgressState
	// PendingSnapshot is the index of the snapshot in flight, in
	// ProgressSnapshot.
	PendingSnapshot uint64
	// RecentActive is set when the follower was heard from since the last
	// CheckQuorum round.
	RecentActive bool
	// ProbeSent pauses a probing leader until the follower answers or a
	// heartbeat response shows it is alive.
	ProbeSent bool
	// IsLearner is set for a member that receives the log but does not vote.
	IsLearner bool

	inflights       *inflights
	snapshotElapsed int
	// ackedSeq is the highest heartbeat sequence number the member has
	// acknowledged in this term.
	ackedSeq uint64
	// sentCommit is the highest commit index the member was sent in an
	// AppendEntriesRequest that it can act on. It tells the leader when an
	// empty append is worth sending to carry the commit index.
	sentCommit uint64
}

func (pr *Progress) assertInvariant() {
	if pr.Next <= pr.Match {
		panic(fmt.Sprintf("raft: invariant next > match broken: next %d, match %d", pr.Next, pr.Match))
	}
}

func (pr *Progress) resetState(state ProgressState) {
	pr.ProbeSent = false
	pr.PendingSnapshot = 0
	pr.snapshotElapsed = 0
	pr.sentCommit = 0
	pr.State = state
	pr.inflights.reset()
}

func (pr *Progress) becomeProbe() {
	// Coming out of a snapshot, the follower holds at least the snapshot.
	if pr.State == ProgressSnapshot {
		pending := pr.PendingSnapshot
		pr.resetState(ProgressProbe)
		pr.Next = max(pr.Match+1, pending+1)
	} else {
		pr.resetState(ProgressProbe)
		pr.Next = pr.Match + 1
	}
	pr.assertInvariant()
}

func (pr *Progress) becomeReplicate() {
	pr.resetState(ProgressReplicate)
	pr.Next = pr.Match + 1
}

func (pr *Progress) becomeSnapshot(index uint64) {
	pr.resetState(ProgressSnapshot)
	pr.PendingSnapshot = index
}

// maybeUpdate records that the follower holds the log up to n. It returns
// false for a stale acknowledgement.
func (pr *Progress) maybeUpdate(n uint64) bool {
	updated := false
	if pr.Match < n {
		pr.Match = n
		updated = true
		pr.ProbeSent = false
	}
	pr.Next = max(pr.Next, n+1)
	pr.assertInvariant()
	return updated
}

// sentEntries moves Next past entries just sent, and in ProgressReplicate
// counts the message against the in-flight window.
func (pr *Progress) sentEntries(last, bytes uint64, n int) {
	switch pr.State {
	case ProgressReplicate:
		if n > 0 {
			pr.Next = last + 1
			pr.inflights.add(last, bytes)
		}
	case ProgressProbe:
		pr.ProbeSent = true
	default:
		panic(fmt.Sprintf("raft: sending entries in state %s", pr.State))
	}
}

// maybeDecrTo handles a rejection of the AppendEntriesRequest whose previous
// index was rejected, moving Next back to next. It returns false if the
// rejection is stale.
func (pr *Progress) maybeDecrTo(rejected, next uint64) bool {
	// Entries up to Match are known to match, so a rejection at or below
	// it is a delayed answer to an older request. In probe too: a
	// reordered rejection of an earlier probe can name Next-1 after an
	// acceptance moved Match up to it.
	if rejected <= pr.Match {
		return false
	}
	if pr.State == ProgressReplicate {
		pr.becomeProbe()
		pr.Next = min(max(next, pr.Match+1), rejected)
		pr.assertInvariant()
		return true
	}
	// In probe only the last probe's answer counts.
	if pr.Next-1 != rejected {
		return false
	}
	pr.Next = min(max(next, pr.Match+1), rejected)
	pr.ProbeSent = false
	pr.assertInvariant()
	return true
}

// isPaused reports whether the leader must hold off sending entries.
func (pr *Progress) isPaused() bool {
	switch pr.State {
	case ProgressProbe:
		return pr.ProbeSent
	case ProgressReplicate:
		return pr.inflights.full()
	default:
		return true
	}
}

// tracker holds the membership and, on the leader, every member's progress.
type tracker struct {
	conf     ConfState
	voters   quorum.Joint
	learners map[uint64]struct{}
	progress map[uint64]*Progress
	votes    map[uint64]bool

	inflightMsgsMax  int
	inflightBytesMax uint64
}

func newTracker(cs ConfState, inflightMsgsMax int, inflightBytesMax uint64) tracker {
	t := tracker{
		progress:         make(map[uint64]*Progress),
		votes:            make(map[uint64]bool),
		inflightMsgsMax:  inflightMsgsMax,
		inflightBytesMax: inflightBytesMax,
	}
	t.setConf(cs, None, 0)
	return t
}

// setConf puts cs in effect. Members that stay keep their progress; new
// ones start in probe at the leader's last index plus one, counted active
// so that a leader does not step down for CheckQuorum before they had a
// chance to answer; members that leave are forgotten.
func (t *tracker) setConf(cs ConfState, self, lastIndex uint64) {
	t.conf = cloneConfState(cs)
	t.voters = quorum.Joint{quorum.NewMajority(cs.Voters...), quorum.NewMajority(cs.VotersOutgoing...)}
	t.learners = make(map[uint64]struct{}, len(cs.Learners))
	for _, id := range cs.Learners {
		// A voter being demoted is in VotersOutgoing and Learners at
		// once: it votes in the outgoing majority until the joint
		// configuration is left, or the old and new quorums need not
		// meet, so it is tracked as a voter until then.
		if !t.voters.Contains(id) {
			t.learners[id] = struct{}{}
		}
	}
	members := t.memberIDs()
	for id := range t.progress {
		// A leader keeps its own progress while it leads a configuration
		// it has left, until that configuration is committed.
		if id != self && !slices.Contains(members, id) {
			delete(t.progress, id)
		}
	}
	for _, id := range members {
		pr, ok := t.progress[id]
		if !ok {
			pr = &Progress{Next: lastIndex + 1, inflights: newInflights(t.inflightMsgsMax, t.inflightBytesMax), RecentActive: true}
			if id == self {
				pr.Match = lastIndex
			}
			t.progress[id] = pr
		}
		pr.IsLearner = t.isLearner(id)
	}
}

func (t *tracker) isLearner(id uint64) bool {
	_, ok := t.learners[id]
	return ok
}

// memberIDs returns voters and learners in increasing order.
func (t *tracker) memberIDs() []uint64 {
	ids := t.voters.IDs()
	for id := range t.learners {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (t *tracker) isMember(id uint64) bool {
	_, ok := t.progress[id]
	return ok
}

func (t *tracker) confState() ConfState { return cloneConfState(t.conf) }

// AckedIndex implements quorum.AckedIndexer over Match.
func (t *tracker) AckedIndex(id uint64) (uint64, bool) {
	pr, ok := t.progress[id]
	if !ok {
		return 0, false
	}
	return pr.Match, true
}

func (t *tracker) committed() uint64 { return t.voters.CommittedIndex(t) }

func (t *tracker) resetVotes() { clear(t.votes) }

func (t *tracker) recordVote(id uint64, granted bool) {
	if _, ok := t.votes[id]; !ok {
		t.votes[id] = granted
	}
}

func (t *tracker) tallyVotes() quorum.VoteResult { return t.voters.VoteResult(t.votes) }

// quorumActive reports whether a quorum was heard from recently. Learners
// do not count.
func (t *tracker) quorumActive(self uint64) bool {
	votes := make(map[uint64]bool, len(t.progress))
	for id, pr := range t.progress {
		if !pr.IsLearner {
			votes[id] = id == self || pr.RecentActive
		}
	}
	return t.voters.VoteResult(votes) == quorum.VoteWon
}
