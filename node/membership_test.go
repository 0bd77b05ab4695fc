package node

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func TestConfChangeThroughTheNodeTakesEffectAndMembershipShowsIt(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.elect(1)
	c.proposeN(1, "x", 2)

	require.NoError(t, c.nodes[1].ProposeConfChange(raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: raft.AddLearner, NodeID: 3}}}))
	c.settle()
	m := c.nodes[1].Membership()
	assert.Equal(t, []uint64{1, 2}, m.ConfState.Voters)
	assert.Equal(t, []uint64{3}, m.ConfState.Learners)
	assert.Equal(t, raft.Leader, m.Role)
	assert.Equal(t, uint64(1), m.Lead)
	for _, id := range []uint64{1, 2, 3} {
		assert.Equal(t, m.Commit, m.Match[id], "member %d caught up", id)
	}
	// A follower sees the configuration but no progress.
	f := c.nodes[2].Membership()
	assert.Equal(t, m.ConfState, f.ConfState)
	assert.Nil(t, f.Match)

	// The copy is the caller's: changing it changes nothing in the node.
	m.ConfState.Voters[0] = 99
	m.Match[1] = 0
	again := c.nodes[1].Membership()
	assert.Equal(t, []uint64{1, 2}, again.ConfState.Voters)
	assert.Equal(t, again.Commit, again.Match[1])
}

func TestConfChangeThroughTheNodeIsRefusedOnAFollowerAndAfterAStop(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.elect(1)
	cc := raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: raft.RemoveNode, NodeID: 3}}}
	var nle *raft.NotLeaderError
	require.ErrorAs(t, c.nodes[2].ProposeConfChange(cc), &nle)
	assert.Equal(t, uint64(1), nle.Leader)
	require.ErrorIs(t, c.nodes[1].ProposeConfChange(raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: raft.RemoveNode, NodeID: 7}}}),
		raft.ErrConfChangeInvalid)

	c.nodes[1].stop(assert.AnError)
	require.ErrorIs(t, c.nodes[1].ProposeConfChange(cc), ErrStopped)
	assert.Equal(t, []uint64{1, 2, 3}, c.nodes[1].Membership().ConfState.Voters, "nothing changed")
}
