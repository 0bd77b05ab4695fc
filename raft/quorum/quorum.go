// Package quorum holds the quorum arithmetic of Raft: simple majorities and
// joint configurations (a majority of the old voters and a majority of the
// new). Every quorum decision the protocol makes (elections, commit,
// CheckQuorum, read confirmation and the lease) goes through this package, so
// that joint consensus changes one place only.
package quorum

import (
	"slices"
	"strconv"
	"strings"
)

// Index is a log index as seen by the quorum arithmetic.
type Index = uint64

// VoteResult is the outcome of counting votes.
type VoteResult int

const (
	// VotePending means the outcome is not decided yet: neither a quorum of
	// grants nor a quorum of rejections can be ruled out.
	VotePending VoteResult = iota + 1
	// VoteLost means a quorum can no longer be reached.
	VoteLost
	// VoteWon means a quorum granted.
	VoteWon
)

func (v VoteResult) String() string {
	switch v {
	case VotePending:
		return "VotePending"
	case VoteLost:
		return "VoteLost"
	case VoteWon:
		return "VoteWon"
	}
	return "VoteResult(" + strconv.Itoa(int(v)) + ")"
}

// AckedIndexer reports the highest index a voter has acknowledged. ok is
// false when nothing is known about the voter.
type AckedIndexer interface {
	AckedIndex(id uint64) (idx Index, ok bool)
}

// MapAckIndexer is an AckedIndexer backed by a map.
type MapAckIndexer map[uint64]Index

// AckedIndex implements AckedIndexer.
func (m MapAckIndexer) AckedIndex(id uint64) (Index, bool) {
	idx, ok := m[id]
	return idx, ok
}

// Majority is a set of voters that decides by simple majority.
type Majority map[uint64]struct{}

// NewMajority returns a Majority of the given voters.
func NewMajority(ids ...uint64) Majority {
	m := make(Majority, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// IDs returns the voters in increasing order.
func (c Majority) IDs() []uint64 {
	ids := make([]uint64, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// String renders the voters as (1 2 3).
func (c Majority) String() string {
	ids := c.IDs()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// Size is the number of votes that make a majority.
func (c Majority) Size() int { return len(c)/2 + 1 }

// CommittedIndex returns the largest index that a majority has acknowledged.
// Voters with no known index count as zero. An empty configuration returns
// the largest index, so that it never holds back a joint configuration in
// which it is one half.
func (c Majority) CommittedIndex(l AckedIndexer) Index {
	n := len(c)
	if n == 0 {
		return ^Index(0)
	}
	var stack [7]Index // avoid an allocation for the common cluster sizes
	acked := stack[:0]
	if n > len(stack) {
		acked = make([]Index, 0, n)
	}
	for id := range c {
		idx, _ := l.AckedIndex(id)
		acked = append(acked, idx)
	}
	slices.Sort(acked)
	// Sorted ascending, the element at n-Size is acknowledged by Size voters:
	// itself and every voter above it.
	return acked[n-c.Size()]
}

// VoteResult counts votes: votes[id] is true for a grant and false for a
// rejection; a voter missing from votes has not answered. An empty
// configuration wins, for the same reason CommittedIndex returns the maximum.
func (c Majority) VoteResult(votes map[uint64]bool) VoteResult {
	if len(c) == 0 {
		return VoteWon
	}
	granted, missing := 0, 0
	for id := range c {
		v, ok := votes[id]
		switch {
		case !ok:
			missing++
		case v:
			granted++
		}
	}
	q := c.Size()
	if granted >= q {
		return VoteWon
	}
	if granted+missing >= q {
		return VotePending
	}
	return VoteLost
}

// Joint is a configuration during a membership change: decisions need a
// majority of the incoming voters (Joint[0]) and a majority of the outgoing
// voters (Joint[1]). Outside a change Joint[1] is empty, and Joint decides as
// Joint[0] alone.
type Joint [2]Majority

// IDs returns the union of both halves in increasing order.
func (c Joint) IDs() []uint64 {
	seen := make(Majority, len(c[0])+len(c[1]))
	for id := range c[0] {
		seen[id] = struct{}{}
	}
	for id := range c[1] {
		seen[id] = struct{}{}
	}
	return seen.IDs()
}

// IsJoint reports whether the outgoing half is in use.
func (c Joint) IsJoint() bool { return len(c[1]) > 0 }

// Contains reports whether id is a voter in either half.
func (c Joint) Contains(id uint64) bool {
	_, in0 := c[0][id]
	_, in1 := c[1][id]
	return in0 || in1
}

// String renders the configuration as (1 2 3)&&(1 2 4) when joint.
func (c Joint) String() string {
	if c.IsJoint() {
		return c[0].String() + "&&" + c[1].String()
	}
	return c[0].String()
}

// CommittedIndex returns the largest index acknowledged by a quorum of both
// halves: the smaller of the two halves' committed indexes.
func (c Joint) CommittedIndex(l AckedIndexer) Index {
	return min(c[0].CommittedIndex(l), c[1].CommittedIndex(l))
}

// VoteResult combines both halves: won only when both are won, lost when
// either is lost.
func (c Joint) VoteResult(votes map[uint64]bool) VoteResult {
	r0, r1 := c[0].VoteResult(votes), c[1].VoteResult(votes)
	switch {
	case r0 == r1:
		return r0
	case r0 == VoteLost || r1 == VoteLost:
		return VoteLost
	default:
		return VotePending
	}
}
