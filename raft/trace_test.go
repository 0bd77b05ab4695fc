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
	assert.Equal(t, raft.TraceState{CurrentTerm: 1, State: "Leader", VotedFor: 1, LastIndex: 1, LastTerm: 1, Leader: 1,
		Config: raft.ConfState{Voters: []uint64{1, 2, 3}}}, leader.State,
		"the state is taken after the action, which appends the no-op as the spec's BecomeLeader does")
}

// TestNilTraceHookCostsNothing compares handling the same heartbeat with
// no hook and with a hook that does nothing: the event (and the copy of
// the message in it) is built only when there is a hook.
func TestNilTraceHookCostsNothing(t *testing.T) {
	allocs := func(hook func(raft.TraceEvent)) float64 {
		nw := rafttest.New(t, 3, func(c *raft.Config) { c.Trace = hook })
		nw.Elect(1)
		nd := nw.Nodes[2]
		hb := raft.Message{Type: raft.HeartbeatRequest, From: 1, To: 2, Term: 1, Commit: 1, Seq: 1}
		return testing.AllocsPerRun(200, func() {
			if err := nd.Step(hb); err != nil {
				t.Fatal(err)
			}
		})
	}
	without, with := allocs(nil), allocs(func(raft.TraceEvent) {})
	assert.Less(t, without, with, "a hook costs an event per action")
	assert.LessOrEqual(t, without, 1.0, "without one, handling a heartbeat only queues its answer")
}
