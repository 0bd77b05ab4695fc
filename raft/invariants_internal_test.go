package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestCore(t *testing.T, id uint64, voters ...uint64) *core {
	t.Helper()
	c, err := newCore(Config{ID: id, Storage: NewMemoryStorage(), Voters: voters})
	require.NoError(t, err)
	return c
}

func TestInvariantNextAboveMatchPanics(t *testing.T) {
	pr := &Progress{Match: 5, Next: 6, inflights: newInflights(4, 0)}
	assert.PanicsWithValue(t, "raft: invariant next > match broken: next 5, match 5", func() {
		pr.Next = 5
		pr.assertInvariant()
	})
}

func TestInvariantOneVotePerTermPanics(t *testing.T) {
	c := newTestCore(t, 1, 1, 2, 3)
	c.setVote(2)
	c.setVote(2) // the same vote again is fine
	assert.Panics(t, func() { c.setVote(3) })
}

func TestInvariantCommitNeverPassesLastIndex(t *testing.T) {
	c := newTestCore(t, 1, 1, 2, 3)
	assert.Panics(t, func() { c.log.commitTo(1) })
}

func TestInvariantCommitNeverDecreases(t *testing.T) {
	c := newTestCore(t, 1, 1)
	c.campaignNow()
	rd := c.ready()
	require.Equal(t, uint64(1), rd.HardState.Commit)
	c.prevHard = rd.HardState
	c.log.committed = 0 // a bug that moves the commit index back
	assert.Panics(t, func() { c.ready() })
}

func TestInvariantLeaderNeverTruncatesItsOwnLog(t *testing.T) {
	c := newTestCore(t, 1, 1)
	c.campaignNow()
	require.Equal(t, Leader, c.role)
	m := Message{Type: AppendEntriesRequest, From: 2, To: 1, Term: c.term, Entries: []Entry{{Index: 1, Term: c.term}}}
	// Through Step, as a second leader of our term would reach us.
	assert.Panics(t, func() { _ = c.step(m) })
	assert.Panics(t, func() { _ = c.step(Message{Type: HeartbeatRequest, From: 2, To: 1, Term: c.term}) })
	snap := &Snapshot{Metadata: SnapshotMetadata{Index: 9, Term: 1, ConfState: ConfState{Voters: []uint64{1}}}}
	assert.Panics(t, func() {
		_ = c.step(Message{Type: InstallSnapshotRequest, From: 2, To: 1, Term: c.term, Snapshot: snap})
	})
}

func TestInvariantSendingPastAFullWindowPanics(t *testing.T) {
	in := newInflights(1, 0)
	in.add(1, 10)
	assert.True(t, in.full())
	assert.Panics(t, func() { in.add(2, 10) })
}

func TestInflightsFreeInOrderAndCountBytes(t *testing.T) {
	in := newInflights(10, 100)
	in.add(3, 40)
	in.add(5, 40)
	assert.False(t, in.full())
	in.add(9, 40)
	assert.True(t, in.full(), "120 bytes is past the byte limit")
	in.freeLE(5)
	assert.Equal(t, 1, in.count())
	assert.Equal(t, uint64(40), in.bytesSum)
	in.freeFirst()
	assert.Equal(t, 0, in.count())
	assert.Equal(t, uint64(0), in.bytesSum)
}

func TestLogConflictWithCommittedEntryPanics(t *testing.T) {
	c := newTestCore(t, 1, 1)
	c.campaignNow()
	rd := c.ready()
	require.NoError(t, c.log.storage.(*MemoryStorage).Append(rd.Entries))
	c.log.storage.(*MemoryStorage).SetHardState(rd.HardState)
	c.advance(rd)
	assert.Panics(t, func() { c.log.maybeAppend(0, 0, []Entry{{Index: 1, Term: 99}}) })
}
