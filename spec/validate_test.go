package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// electionTrace is an election of s1 in a cluster of three without
// PreVote, as the core traces it: every node starts, s1 times out, s2
// learns term 1 and votes for s1, s1 counts the vote and leads.
func electionTrace() []TraceEvent {
	follower := Observed{State: Follower, VotedFor: Nil, Leader: Nil, LeadTransferee: Nil}
	vote := Message{Type: RequestVoteRequest, Source: 0, Dest: 1, Term: 1}
	granted := Message{Type: RequestVoteResponse, Source: 1, Dest: 0, Term: 1, Granted: true}
	voter := follower
	voter.CurrentTerm = 1
	votedS1 := voter
	votedS1.VotedFor = 0
	return []TraceEvent{
		{Action: "Restart", Node: 0, Peer: -1, State: follower},
		{Action: "Restart", Node: 1, Peer: -1, State: follower},
		{Action: "Restart", Node: 2, Peer: -1, State: follower},
		{Action: "Timeout", Node: 0, Peer: -1, State: Observed{CurrentTerm: 1, State: Candidate, VotedFor: 0, Leader: Nil, LeadTransferee: Nil}},
		{Action: "UpdateTerm", Node: 1, Peer: -1, Msg: &vote, State: voter},
		{Action: "HandleRequestVoteRequest", Node: 1, Peer: -1, Msg: &vote, State: votedS1},
		{Action: "HandleRequestVoteResponse", Node: 0, Peer: -1, Msg: &granted, State: Observed{CurrentTerm: 1, State: Candidate, VotedFor: 0, Leader: Nil, LeadTransferee: Nil}},
		{Action: "BecomeLeader", Node: 0, Peer: -1, State: Observed{CurrentTerm: 1, State: Leader, VotedFor: 0, Leader: 0, LastIndex: 1, LastTerm: 1, LeadTransferee: Nil}},
	}
}

func validate(t *testing.T, trace []TraceEvent) (*Validator, error) {
	t.Helper()
	v, err := NewValidator(New(Config{Servers: 3, Values: 1}))
	require.NoError(t, err)
	for _, ev := range trace {
		if err := v.Step(ev); err != nil {
			return v, err
		}
	}
	return v, nil
}

func TestValidatorAcceptsATraceOfTheSpec(t *testing.T) {
	v, err := validate(t, electionTrace())
	require.NoError(t, err)
	assert.Equal(t, 8, v.Events())
	assert.Equal(t, Leader, v.State().State[0])
	assert.Equal(t, LogOf(Entry{Term: 1}), v.State().Log[0], "the leader's no-op")
}

func TestValidatorNamesTheEventAndTheDivergingVariable(t *testing.T) {
	trace := electionTrace()
	trace[5].State.VotedFor = 2 // the implementation voted for s3 instead
	v, err := validate(t, trace)
	require.ErrorIs(t, err, ErrTrace)
	assert.Contains(t, err.Error(), "event 5 (HandleRequestVoteRequest, node s2): votedFor: spec s1, implementation s3")
	assert.Equal(t, 5, v.Events(), "the events before it were validated")
}

func TestValidatorRefusesAStepTheSpecDoesNotAllow(t *testing.T) {
	trace := electionTrace()
	trace = append(trace[:6:6], trace[7]) // a leader without a quorum of votes
	_, err := validate(t, trace)
	require.ErrorIs(t, err, ErrTrace)
	assert.Contains(t, err.Error(), "event 6 (BecomeLeader, node s1): BecomeLeader is not enabled in the spec's state")
}

func TestValidatorRefusesUnknownActionsAndServers(t *testing.T) {
	_, err := validate(t, []TraceEvent{{Action: "DropStaleMessage", Node: 0, Peer: -1}})
	assert.ErrorContains(t, err, "event 0 (DropStaleMessage, node s1): no action DropStaleMessage in the spec")
	_, err = validate(t, []TraceEvent{{Action: "Restart", Node: 3, Peer: -1}})
	assert.ErrorContains(t, err, "server out of range 0..2")
	_, err = NewValidator(New(Config{Servers: TraceMaxServers + 1}))
	assert.ErrorIs(t, err, ErrTrace)
}

// TestLongTracesFitTheSpecState checks the edge the validator needs from
// the State: a log far longer than the checker's MaxLogCap and terms past
// 255, through the same ClientRequest the checker runs.
func TestLongTracesFitTheSpecState(t *testing.T) {
	sp := New(Config{Servers: 1, Values: 1})
	var s, next State
	s = sp.Init()
	s.State[0], s.CurrentTerm[0] = Leader, 300
	for range 5000 {
		require.True(t, sp.ClientRequest(&s, 0, 1, &next))
		s = next
	}
	require.Equal(t, 5000, s.LastIndex(0))
	assert.Equal(t, 300, s.LastTerm(0))
	assert.Equal(t, Entry{Term: 300, Value: 1}, s.Log[0].At(4321))
	assert.Equal(t, 10, s.Log[0].SubSeq(11, 20).Len())
}

// TestValidatorRefusesARequestNoStepSent appends the leader's first
// AppendEntries to the election: received after the spec's AppendEntries
// sent it, it validates; received out of nowhere, it does not.
func TestValidatorRefusesARequestNoStepSent(t *testing.T) {
	leader := electionTrace()[7].State
	send := Message{Type: AppendEntriesRequest, Source: 0, Dest: 1, Term: 1}
	got := send
	got.Entries = LogOf(Entry{Term: 1})
	follower := Observed{CurrentTerm: 1, State: Follower, VotedFor: 0, Leader: 0, LastIndex: 1, LastTerm: 1, LeadTransferee: Nil}
	sent := TraceEvent{Action: "AppendEntries", Node: 0, Peer: -1, Msg: &send, State: leader}
	received := TraceEvent{Action: "HandleAppendEntriesRequest", Node: 1, Peer: -1, Msg: &got, State: follower}

	_, err := validate(t, append(electionTrace(), sent, received))
	require.NoError(t, err)

	_, err = validate(t, append(electionTrace(), received))
	require.ErrorIs(t, err, ErrTrace)
	assert.Contains(t, err.Error(), "event 8 (HandleAppendEntriesRequest, node s2): received [mtype |-> AppendEntriesRequest")
	assert.Contains(t, err.Error(), "which no step of the spec sent")

	wrong := got
	wrong.CommitIndex = 1 // not what the leader sent
	received.Msg = &wrong
	_, err = validate(t, append(electionTrace(), sent, received))
	assert.ErrorContains(t, err, "which no step of the spec sent")
}

// readEvent is an event of the read path of the leader s1 after
// electionTrace: its state is unchanged by a read.
func readEvent(action string, seq uint64, index Num) TraceEvent {
	return TraceEvent{Action: action, Node: 0, Peer: -1, Read: &TraceRead{Seq: seq, Index: index},
		State: Observed{CurrentTerm: 1, State: Leader, VotedFor: 0, Leader: 0, LastIndex: 1, LastTerm: 1, LeadTransferee: Nil}}
}

func TestValidatorHoldsReadsToReadLinearizable(t *testing.T) {
	// Nothing is committed: a round served at index 0 includes it all.
	_, err := validate(t, append(electionTrace(), readEvent("ReadIndex", 7, 0), readEvent("ServeReadIndex", 7, 0)))
	require.NoError(t, err)

	_, err = validate(t, append(electionTrace(), readEvent("ServeReadIndex", 8, 0)))
	require.ErrorIs(t, err, ErrTrace)
	assert.Contains(t, err.Error(), "(ServeReadIndex, node s1): serves read round 8, which it did not start")

	_, err = validate(t, append(electionTrace(), readEvent("LeaseRead", 0, 2)))
	assert.ErrorContains(t, err, "read index 2 is past the end of the log (1)")

	// Once s2 holds the no-op committed, a read at index 0 misses it.
	stale := func(events ...TraceEvent) error {
		v, err := validate(t, electionTrace())
		require.NoError(t, err)
		v.cur.Log[1], v.cur.CommitIndex[1] = LogOf(Entry{Term: 1}), 1
		for _, ev := range events {
			if err := v.Step(ev); err != nil {
				return err
			}
		}
		return nil
	}
	err = stale(readEvent("LeaseRead", 0, 0))
	require.ErrorIs(t, err, ErrTrace)
	assert.Contains(t, err.Error(), "event 8 (LeaseRead, node s1): ReadLinearizable: read served at index 0, but entries up to 1 were committed when it began")
	assert.NoError(t, stale(readEvent("LeaseRead", 0, 1)))
	assert.ErrorContains(t, stale(readEvent("ReadIndex", 3, 0), readEvent("ServeReadIndex", 3, 0)), "ReadLinearizable")

	// A forwarded read's answer must cover what was committed when the
	// read was sent; an answer to a read never sent is refused.
	follower := Observed{CurrentTerm: 1, State: Follower, VotedFor: 0, Leader: Nil, LeadTransferee: Nil}
	fwd := Message{Type: ReadIndexRequest, Source: 1, Dest: 0, Term: 1}
	answer := Message{Type: ReadIndexResponse, Source: 0, Dest: 1, Term: 1, Success: true}
	ev := func(action string, m *Message, index Num) TraceEvent {
		st := follower
		st.LastIndex, st.LastTerm, st.CommitIndex = 1, 1, 1
		return TraceEvent{Action: action, Node: 1, Peer: -1, Msg: m, Read: &TraceRead{Seq: 1 << 40, Index: index}, State: st}
	}
	err = stale(ev("ForwardReadIndex", &fwd, 0), ev("HandleReadIndexResponse", &answer, 0))
	assert.ErrorContains(t, err, "(HandleReadIndexResponse, node s2): ReadLinearizable: forwarded read answered with index 0, but entries up to 1 were committed when it was sent")
	err = stale(ev("HandleReadIndexResponse", &answer, 1))
	assert.ErrorContains(t, err, "takes an answer to forwarded read 1099511627776, which it did not send")
}
