package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// readStates processes every node and returns, and forgets, the
// ReadStates node id handed out.
func readStates(nw *rafttest.Network, id uint64) []raft.ReadState {
	nw.ProcessAll()
	got := nw.Nodes[id].ReadStates
	nw.Nodes[id].ReadStates = nil
	return got
}

func TestReadIndexIsServedAfterAQuorumConfirmsLeadership(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	commit := nw.Nodes[1].Status().Commit
	require.NoError(t, nw.Nodes[1].ReadIndex(7))
	assert.Empty(t, readStates(nw, 1), "not before the round is acknowledged")
	hb := 0
	for _, m := range nw.Pending {
		if m.Type == raft.HeartbeatRequest {
			hb++
			assert.Positive(t, m.Seq)
		}
	}
	assert.Equal(t, 2, hb, "one heartbeat per follower")
	nw.DeliverAll()
	assert.Equal(t, []raft.ReadState{{RequestID: 7, Index: commit}}, readStates(nw, 1))
}

func TestConcurrentReadsShareOneRound(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	for id := uint64(1); id <= 5; id++ {
		require.NoError(t, nw.Nodes[1].ReadIndex(id))
	}
	readStates(nw, 1)
	assert.Len(t, appendsOrHeartbeats(nw, raft.HeartbeatRequest), 2, "five reads, one heartbeat per follower")
	nw.DeliverAll()
	assert.Len(t, readStates(nw, 1), 5)
}

func appendsOrHeartbeats(nw *rafttest.Network, t raft.MessageType) []raft.Message {
	var out []raft.Message
	for _, m := range nw.Pending {
		if m.Type == t {
			out = append(out, m)
		}
	}
	return out
}

// newLeaderBeforeCommitInTerm elects 2 in term 2 after 1 committed "x" in
// term 1, where 2 holds "x" but does not know it is committed, and 2's
// no-op has not committed. It returns the index of "x".
func newLeaderBeforeCommitInTerm(t *testing.T, bugs *plant.Bugs) *rafttest.Network {
	nw := rafttest.New(t, 3, func(c *raft.Config) {
		if c.ID == 2 {
			c.Bugs = bugs
		}
	})
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	// 1 commits "x" with 3's acknowledgement; 2 gets "x" but not the commit.
	nw.DeliverAllExcept(func(m raft.Message) bool {
		return m.From == 2 || m.To == 2 && (m.Type != raft.AppendEntriesRequest || m.Commit >= 2)
	})
	require.Equal(t, uint64(2), nw.Nodes[1].Status().Commit)
	require.Equal(t, uint64(1), nw.Nodes[2].Status().Commit)
	nw.Crash(1)
	// 2 wins term 2; its no-op does not reach anyone yet.
	nw.Nodes[2].Campaign()
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.AppendEntriesRequest })
	require.Equal(t, raft.Leader, nw.Nodes[2].Status().Role)
	return nw
}

// readBeforeNoOpCommits asks new leader 2 for a read index while none of
// its appends (its no-op among them) get through, and returns the
// ReadStates it hands out meanwhile.
func readBeforeNoOpCommits(nw *rafttest.Network) []raft.ReadState {
	if err := nw.Nodes[2].ReadIndex(1); err != nil {
		panic(err)
	}
	var got []raft.ReadState
	nw.DeliverAllExcept(func(m raft.Message) bool {
		got = append(got, readStates(nw, 2)...)
		return m.Type == raft.AppendEntriesRequest
	})
	return append(got, readStates(nw, 2)...)
}

func TestReadIndexWaitsForACommittedEntryOfTheLeadersTerm(t *testing.T) {
	nw := newLeaderBeforeCommitInTerm(t, nil)
	got := readBeforeNoOpCommits(nw)
	assert.Empty(t, got, "no read index before the no-op commits")
	// Once the no-op commits, the read is served at or past "x".
	nw.Tick(2, 1)
	for round := 0; round < 100 && len(got) == 0; round++ {
		if len(nw.Pending) == 0 {
			nw.Tick(2, 1)
			continue
		}
		nw.Deliver(0)
		got = append(got, readStates(nw, 2)...)
		nw.ProcessAll()
	}
	require.Len(t, got, 1)
	assert.GreaterOrEqual(t, got[0].Index, uint64(2), "the read index covers the write committed in term 1")
}

func TestPlantedReadIndexBeforeCommitInTermServesAStaleIndex(t *testing.T) {
	nw := newLeaderBeforeCommitInTerm(t, &plant.Bugs{ReadIndexBeforeCommitInTerm: true})
	got := readBeforeNoOpCommits(nw)
	require.Len(t, got, 1)
	assert.Less(t, got[0].Index, uint64(2), "the read index misses the write committed in term 1")
}

// delayedAck starts a read round with request ID 5, holds back the
// followers' acknowledgements, cuts the leader off, starts a second round
// with the same request ID, and then delivers the held-back
// acknowledgements. It returns the ReadStates of the second round.
func delayedAck(t *testing.T, bugs *plant.Bugs) []raft.ReadState {
	nw := rafttest.New(t, 3, func(c *raft.Config) {
		if c.ID == 1 {
			c.Bugs = bugs
		}
	})
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].ReadIndex(5))
	readStates(nw, 1)
	// The followers answer; their answers are delayed in the network.
	for len(appendsOrHeartbeats(nw, raft.HeartbeatRequest)) > 0 {
		for i, m := range nw.Pending {
			if m.Type == raft.HeartbeatRequest {
				nw.Deliver(i)
				break
			}
		}
		nw.ProcessAll()
	}
	held := nw.Drop(func(m raft.Message) bool { return m.Type == raft.HeartbeatResponse })
	require.Len(t, held, 2)
	// The first round is answered by the held messages' duplicates later;
	// meanwhile the leader is cut off and a second read arrives.
	nw.Isolate(1)
	require.NoError(t, nw.Nodes[1].ReadIndex(5))
	readStates(nw, 1)
	nw.Pending = append(nw.Pending, held...)
	var got []raft.ReadState
	for range held {
		require.NoError(t, nw.Nodes[1].Step(nw.Pending[len(nw.Pending)-1]))
		nw.Pending = nw.Pending[:len(nw.Pending)-1]
		got = append(got, readStates(nw, 1)...)
	}
	return got
}

func TestDelayedAcknowledgementDoesNotConfirmALaterRound(t *testing.T) {
	got := delayedAck(t, nil)
	require.Len(t, got, 1, "the first round is confirmed")
	assert.Equal(t, uint64(5), got[0].RequestID)
}

func TestPlantedAckByClientContextConfirmsALaterRound(t *testing.T) {
	got := delayedAck(t, &plant.Bugs{AckReadByClientContext: true})
	assert.Len(t, got, 2, "the delayed answers confirm the second round too")
}

func TestDeposedLeaderCutOffByPartitionNeverServesReadIndex(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.PreVote = true })
	nw.Elect(1)
	nw.Partition([]uint64{1}, []uint64{2, 3})
	nw.Tick(3, 3*raft.DefaultElectionTicks)
	nw.DeliverAll()
	nw.Elect(2)
	require.NoError(t, nw.Nodes[2].Propose([]byte("new")))
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[1].ReadIndex(3))
	var got []raft.ReadState
	for range 5 * raft.DefaultElectionTicks {
		nw.Nodes[1].Tick()
		got = append(got, readStates(nw, 1)...)
		nw.DeliverAll()
	}
	assert.Empty(t, got)
}

func TestFollowerReadGetsItsIndexFromTheLeader(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	err := nw.Nodes[3].ReadIndex(9)
	require.ErrorIs(t, err, raft.ErrNotLeader, "no leader known yet")
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("w")))
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[3].ReadIndex(9))
	var got []raft.ReadState
	for round := 0; round < 100 && len(got) == 0; round++ {
		got = append(got, readStates(nw, 3)...)
		if len(nw.Pending) > 0 {
			nw.Deliver(0)
		}
		nw.ProcessAll()
	}
	require.Len(t, got, 1)
	assert.Equal(t, raft.ReadState{RequestID: 9, Index: nw.Nodes[1].Status().Commit}, got[0])
	assert.Positive(t, nw.Delivered[raft.ReadIndexResponse])
}

func TestLeaseReadNeedsCheckQuorum(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	_, err := nw.Nodes[1].LeaseRead()
	require.ErrorIs(t, err, raft.ErrLeaseDisabled)
}

func TestLeaseIsHeldOnlyAfterAQuorumAcknowledgesAHeartbeat(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	_, err := nw.Nodes[1].LeaseRead()
	require.ErrorIs(t, err, raft.ErrLeaseNotHeld, "right after the election there is no lease")
	nw.Tick(1, 1)
	nw.DeliverAll()
	idx, err := nw.Nodes[1].LeaseRead()
	require.NoError(t, err)
	assert.Equal(t, nw.Nodes[1].Status().Commit, idx)
	_, err = nw.Nodes[2].LeaseRead()
	require.ErrorIs(t, err, raft.ErrNotLeader)
}

// ticksLeaseHeld counts the ticks for which leader 1 holds its lease after
// a quorum acknowledged a heartbeat and then fell silent.
func ticksLeaseHeld(t *testing.T, bound float64) int {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.CheckQuorum = true; c.LeaseDriftBound = bound })
	nw.Elect(1)
	nw.Tick(1, 1)
	nw.DeliverAll()
	nw.Isolate(1)
	held := 0
	for range raft.DefaultElectionTicks {
		if _, err := nw.Nodes[1].LeaseRead(); err == nil {
			held++
		}
		nw.Tick(1, 1)
	}
	return held
}

func TestLeaseExpiresWhenTheQuorumFallsSilent(t *testing.T) {
	// floor((10-1) * 0.95/1.05) - 1 = 7 ticks with the default bound.
	assert.Equal(t, 7, ticksLeaseHeld(t, 0))
}

func TestLeaseShrinksWithTheDriftBound(t *testing.T) {
	tests := []struct {
		bound float64
		held  int
	}{{0.01, 7}, {0.05, 7}, {0.2, 5}, {0.5, 2}}
	for _, tt := range tests {
		assert.Equal(t, tt.held, ticksLeaseHeld(t, tt.bound), "bound %v", tt.bound)
	}
}

func TestRestartedNodeRefusesVotesForAnElectionTimeout(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	nw.Crash(3)
	nw.Restart(3)
	// 3 may have acknowledged a heartbeat of 1 just before it crashed: a
	// lease of 1 may still count on it.
	require.NoError(t, nw.Nodes[3].Step(raft.Message{Type: raft.RequestVoteRequest, From: 2, To: 3, Term: 2, Index: 9, LogTerm: 1}))
	nw.Process(3)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 3 && m.To == 2 })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
	assert.Equal(t, uint64(1), nw.Nodes[3].Status().Term)
}
