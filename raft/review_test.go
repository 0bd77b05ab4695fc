package raft_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// A follower promised, by acknowledging the leader, not to vote for
// another for an election timeout; the leader's lease counts on it. A
// message of a later term that does not come from a leader (here the
// answer to a stale heartbeat) raises the follower's term but must not
// cancel the promise, or a second leader could win while the first still
// serves lease reads.
func TestHigherTermMessageNotFromALeaderKeepsTheVoteRefusal(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.CheckQuorum = true })
	nw.Elect(1)
	nd := nw.Nodes[2]
	require.NoError(t, nd.Step(raft.Message{Type: raft.AppendEntriesResponse, From: 3, To: 2, Term: 5}))
	require.Equal(t, uint64(5), nd.Status().Term)
	require.NoError(t, nd.Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 2, Term: 6, Index: 9, LogTerm: 5}))
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 && m.Type == raft.RequestVoteResponse })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject, "the promise to leader 1 still holds")
	assert.Equal(t, uint64(5), nd.Status().Term, "a refused vote request does not raise the term")
}

func TestLeaderRefusesAnswersToWhatItNeverSent(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.CheckQuorum = true })
	nw.Elect(1)
	st := nw.Nodes[1].Status()
	err := nw.Nodes[1].Step(raft.Message{Type: raft.AppendEntriesResponse, From: 2, To: 1, Term: st.Term, Index: st.LastIndex + 5})
	require.ErrorIs(t, err, raft.ErrMalformedMessage, "an acknowledgement past the leader's log")
	nw.Isolate(1)
	require.NoError(t, nw.Nodes[1].ReadIndex(77))
	nw.Process(1)
	err = nw.Nodes[1].Step(raft.Message{Type: raft.HeartbeatResponse, From: 2, To: 1, Term: st.Term, Seq: 1 << 40})
	require.ErrorIs(t, err, raft.ErrMalformedMessage, "a heartbeat never sent")
	nw.Process(1)
	assert.Empty(t, nw.Nodes[1].ReadStates)
	assert.Equal(t, st, nw.Nodes[1].Status())
}

func TestMessagesOfTermZeroAreRefused(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	m := raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 0,
		Entries: []raft.Entry{{Index: 1, Term: 0, Data: []byte("bogus")}}, Commit: 1}
	require.ErrorIs(t, nw.Nodes[2].Step(m), raft.ErrMalformedMessage)
	m.Term = 1
	require.ErrorIs(t, nw.Nodes[2].Step(m), raft.ErrMalformedMessage, "an entry of term 0")
	nw.Process(2)
	assert.Empty(t, nw.AppliedData(2))
	// A pre-vote rejection from a node still at term 0 is legitimate.
	nw.Nodes[1].Campaign()
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.PreVoteResponse, From: 2, To: 1, Term: 0, Reject: true}))
}

func TestNoLeaseAfterATimeoutNowWasSentInTheTerm(t *testing.T) {
	nw := rafttest.New(t, 3, preVoteAndCheckQuorum)
	nw.Elect(1)
	nw.Tick(1, 1)
	nw.DeliverAll()
	require.NoError(t, nw.Nodes[1].TransferLeadership(2))
	nw.ProcessAll()
	// The TimeoutNow is delayed; the transfer is abandoned meanwhile.
	held := nw.Drop(func(m raft.Message) bool { return m.Type == raft.TimeoutNowRequest })
	require.Len(t, held, 1)
	for range raft.DefaultElectionTicks {
		nw.Tick(1, 1)
		nw.DeliverAll()
	}
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")), "the transfer was abandoned")
	_, err := nw.Nodes[1].LeaseRead()
	assert.ErrorIs(t, err, raft.ErrLeaseNotHeld, "the delayed TimeoutNow may still elect 2 at once")
}

func TestLeaderWithCheckQuorumIgnoresHigherTermVoteRequests(t *testing.T) {
	nw := rafttest.New(t, 3, checkQuorum)
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 1, Term: 9, Index: 9, LogTerm: 1}))
	st := nw.Nodes[1].Status()
	assert.Equal(t, raft.Leader, st.Role, "a node that kept timing out alone does not depose a live leader")
	assert.Equal(t, uint64(1), st.Term)
}

// The same promise holds for a vote request of the term a stale message
// moved the follower to, not only for later terms.
func TestVoteRefusalHoldsInTheTermAStaleMessageMovedUsTo(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.CheckQuorum = true })
	nw.Elect(1)
	nd := nw.Nodes[2]
	require.NoError(t, nd.Step(raft.Message{Type: raft.PreVoteResponse, From: 3, To: 2, Term: 2, Reject: true}))
	require.Equal(t, uint64(2), nd.Status().Term)
	require.NoError(t, nd.Step(raft.Message{Type: raft.RequestVoteRequest, From: 3, To: 2, Term: 2, Index: 9, LogTerm: 1}))
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 && m.To == 3 && m.Type == raft.RequestVoteResponse })
	require.Len(t, resp, 1)
	assert.True(t, resp[0].Reject)
	assert.Equal(t, raft.None, nd.Status().Vote)
}

// A follower restarted in the same term may number a new forwarded read as
// an earlier incarnation did; a delayed answer to the earlier read must not
// be taken for the new one, whose index it may not cover.
func TestAnswerToAReadForwardedBeforeARestartIsDropped(t *testing.T) {
	nw := rafttest.New(t, 3, func(c *raft.Config) { c.Rand = rand.New(rand.NewPCG(1, c.ID)) })
	nw.Elect(1)
	require.NoError(t, nw.Nodes[2].ReadIndex(1))
	var old []raft.Message
	for round := 0; round < 1000; round++ {
		nw.ProcessAll()
		old = append(old, nw.Drop(func(m raft.Message) bool { return m.Type == raft.ReadIndexResponse })...)
		if len(nw.Pending) == 0 {
			break
		}
		nw.Deliver(0)
	}
	require.NotEmpty(t, old, "the leader answered")
	nw.Crash(2)
	nw.Restart(2)
	nw.Tick(1, 1)
	nw.DeliverAll() // 2 learns its leader again
	for _, m := range old {
		require.NoError(t, nw.Nodes[2].Step(m))
	}
	nw.Process(2)
	assert.Empty(t, nw.Nodes[2].ReadStates, "the old answer is not for this incarnation")
}
