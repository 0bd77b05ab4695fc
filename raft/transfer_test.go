package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func preVoteAndCheckQuorum(c *raft.Config) { c.PreVote, c.CheckQuorum = true, true }

func TestTransferToUpToDateFollowerMakesItLeader(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].TransferLeadership(2))
	nw.DeliverAll()
	st := nw.Nodes[2].Status()
	assert.Equal(t, raft.Leader, st.Role, "the voters granted despite having just heard from 1")
	assert.Equal(t, uint64(2), st.Term)
	assert.Equal(t, raft.Follower, nw.Nodes[1].Status().Role)
}

func TestTransferBringsALaggingTargetUpToDateFirst(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Isolate(3)
	for range 5 {
		require.NoError(t, nw.Nodes[1].Propose([]byte("v")))
		nw.DeliverAll()
	}
	nw.Heal()
	require.NoError(t, nw.Nodes[1].TransferLeadership(3))
	nw.ProcessAll()
	var targetLast, leaderLast uint64
	for round := 0; round < 1000 && len(nw.Pending) > 0; round++ {
		if m := nw.Pending[0]; m.Type == raft.TimeoutNowRequest && targetLast == 0 {
			targetLast, leaderLast = nw.Nodes[3].Status().LastIndex, nw.Nodes[1].Status().LastIndex
		}
		nw.Deliver(0)
		nw.ProcessAll()
	}
	require.Positive(t, leaderLast)
	assert.Equal(t, leaderLast, targetLast, "TimeoutNow only once 3 holds the whole log")
	assert.Equal(t, raft.Leader, nw.Nodes[3].Status().Role)
}

func TestTransferRefusesBadTargets(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.Learners = []uint64{4} })
	nw.Elect(1)
	require.ErrorIs(t, nw.Nodes[1].TransferLeadership(1), raft.ErrTransferRefused)
	require.ErrorIs(t, nw.Nodes[1].TransferLeadership(9), raft.ErrTransferRefused)
	require.ErrorIs(t, nw.Nodes[1].TransferLeadership(4), raft.ErrTransferRefused, "a learner cannot lead")
	require.ErrorIs(t, nw.Nodes[2].TransferLeadership(3), raft.ErrNotLeader)
}

func TestLeaderTakesNoProposalsAndHoldsNoLeaseDuringTransfer(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Tick(1, 1)
	nw.DeliverAll()
	_, err := nw.Nodes[1].LeaseRead()
	require.NoError(t, err)
	nw.Crash(2) // the transfer cannot finish
	require.NoError(t, nw.Nodes[1].TransferLeadership(2))
	require.ErrorIs(t, nw.Nodes[1].Propose([]byte("x")), raft.ErrTransferInProgress)
	require.ErrorIs(t, nw.Nodes[1].TransferLeadership(3), raft.ErrTransferInProgress)
	_, err = nw.Nodes[1].LeaseRead()
	require.ErrorIs(t, err, raft.ErrLeaseNotHeld)
}

func TestTransferIsAbandonedAfterAnElectionTimeout(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Crash(2)
	require.NoError(t, nw.Nodes[1].TransferLeadership(2))
	ticks := 0
	for nw.Nodes[1].Propose([]byte("x")) != nil {
		nw.Tick(1, 1)
		nw.Tick(3, 1)
		nw.DeliverAll()
		ticks++
		require.LessOrEqual(t, ticks, raft.DefaultElectionTicks)
	}
	assert.Equal(t, raft.Leader, nw.Nodes[1].Status().Role)
	assert.Equal(t, raft.DefaultElectionTicks, ticks)
}

// TestTransferTakesOneRoundTripWhenTheTargetIsCaughtUp measures the cost
// of a transfer in messages and ticks: with the target up to date it
// needs no tick at all, only a TimeoutNow and one election round.
func TestTransferTakesOneRoundTripWhenTheTargetIsCaughtUp(t *testing.T) {
	nw := rafttest.New(t, 5, preVoteAndCheckQuorum)
	nw.Elect(1)
	clear(nw.Delivered)
	require.NoError(t, nw.Nodes[1].TransferLeadership(4))
	nw.DeliverAll()
	require.Equal(t, raft.Leader, nw.Nodes[4].Status().Role)
	assert.Equal(t, 1, nw.Delivered[raft.TimeoutNowRequest])
	assert.Zero(t, nw.Delivered[raft.PreVoteRequest], "a transfer skips PreVote")
	assert.Equal(t, 4, nw.Delivered[raft.RequestVoteRequest], "one election round")
}

// TestTransferDoesNotDelayCheckQuorum: a leader cut off from the rest
// steps down within two election timeouts of its last contact even if it
// is asked to transfer just before its CheckQuorum round ends.
func TestTransferDoesNotDelayCheckQuorum(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Isolate(1)
	e := raft.DefaultElectionTicks
	nw.Tick(1, e-1)
	require.NoError(t, nw.Nodes[1].TransferLeadership(2))
	nw.Tick(1, e+1)
	assert.Equal(t, raft.Follower, nw.Nodes[1].Status().Role, "stepped down at tick %d", 2*e)
}
