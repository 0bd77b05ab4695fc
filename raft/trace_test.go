package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func TestTraceHookReceivesSpecActionsWithSpecVariables(t *testing.T) {
	var events []raft.TraceEvent
	nw := rafttest.New(t, 3, func(c *raft.Config) {
		c.PreVote = true
		c.Trace = func(ev raft.TraceEvent) { events = append(events, ev) }
	})
	nw.Elect(1)
	require.NoError(t, nw.Nodes[1].Propose([]byte("x")))
	nw.DeliverAll()

	names := make(map[string]bool)
	for _, ev := range events {
		names[ev.Name] = true
	}
	for _, want := range []string{"Restart", "Timeout", "HandlePreVoteRequest", "HandlePreVoteResponse",
		"BecomeCandidate", "HandleRequestVoteRequest", "HandleRequestVoteResponse", "BecomeLeader",
		"AppendEntries", "HandleAppendEntriesRequest", "HandleAppendEntriesResponse", "AdvanceCommitIndex", "ClientRequest"} {
		assert.True(t, names[want], "no %s event", want)
	}
	var leader *raft.TraceEvent
	for i := range events {
		if events[i].Name == "BecomeLeader" {
			leader = &events[i]
		}
	}
	require.NotNil(t, leader)
	assert.Equal(t, uint64(1), leader.Node)
	assert.Equal(t, raft.TraceState{CurrentTerm: 1, State: "Leader", VotedFor: 1, Leader: 1}, leader.State,
		"the state is taken after the action, before the no-op is appended")
}

func TestNilTraceHookCostsNoAllocations(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nd := nw.Nodes[2]
	allocs := testing.AllocsPerRun(100, func() {
		nd.Tick()
	})
	assert.Zero(t, allocs, "a follower's tick allocates nothing")
}
