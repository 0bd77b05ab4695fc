package raft

import (
	"fmt"

	"github.com/raftcheck/raftcheck/raft/quorum"
)

// tickElection advances the election timer of a follower or candidate.
func (r *core) tickElection() {
	r.electionElapsed++
	if r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout {
		r.electionElapsed = 0
		r.Timeout()
	}
}

// campaignNow starts an election now, as an election timeout would. It does
// nothing on a leader or a learner.
func (r *core) campaignNow() {
	if r.role != Leader && r.promotable() {
		r.Timeout()
	}
}

// Timeout is the election timeout: with PreVote the node first asks
// whether it could win, without raising its term; otherwise it becomes a
// candidate at once.
func (r *core) Timeout() {
	if !r.cfg.PreVote {
		r.becomeCandidate("Timeout")
		return
	}
	r.reset(r.term)
	r.role = PreCandidate
	r.traceAction("Timeout", nil)
	r.campaign(PreVoteRequest, r.term+1)
}

// BecomeCandidate raises the term, votes for itself and asks for votes.
func (r *core) BecomeCandidate() { r.becomeCandidate("BecomeCandidate") }

// becomeCandidate is BecomeCandidate as part of the spec action traced as
// action: the spec's Timeout (without PreVote) and HandleTimeoutNowRequest
// campaign in the same step.
func (r *core) becomeCandidate(action string) {
	r.reset(r.term + 1)
	r.role = Candidate
	r.setVote(r.id)
	r.traceAction(action, r.traceMsg)
	r.campaign(RequestVoteRequest, r.term)
}

// campaign records our own vote and asks every other voter for theirs.
func (r *core) campaign(t MessageType, term uint64) {
	r.trk.recordVote(r.id, true)
	if r.trk.tallyVotes() == quorum.VoteWon {
		// A single-voter group wins at once.
		r.wonElection(t)
		return
	}
	lastIndex, lastTerm := r.log.lastIndex(), r.log.lastTerm()
	for _, id := range r.trk.voters.IDs() {
		if id == r.id {
			continue
		}
		r.send(Message{Type: t, To: id, Term: term, Index: lastIndex, LogTerm: lastTerm, Transfer: r.transferCampaign})
	}
}

func (r *core) wonElection(t MessageType) {
	if t == PreVoteRequest {
		r.BecomeCandidate()
	} else {
		r.BecomeLeader()
	}
}

// BecomeLeader takes leadership of the current term and appends a no-op
// entry of that term. Until an entry of its own term is committed, a new
// leader does not know which entries are committed (Figure 8); the no-op
// gets there without waiting for a client.
func (r *core) BecomeLeader() {
	if r.role != Candidate {
		panic(fmt.Sprintf("raft: BecomeLeader from %s", r.role))
	}
	r.reset(r.term)
	r.role = Leader
	r.lead = r.id
	// reset left every member in probe at our last index plus one: the
	// leader does not know their logs yet and optimistically assumes they
	// match its own.
	r.trk.progress[r.id].becomeReplicate()
	// Entries from earlier terms may hold a configuration not yet known
	// to be committed: no change until they are.
	r.pendingConfIndex = r.log.lastIndex()
	r.appendEntries(Entry{})
	r.traceAction("BecomeLeader", nil)
	r.bcastAppend()
}

// HandlePreVoteRequest answers a pre-vote. It never changes the term or the
// vote: a pre-vote only asks whether a vote would be granted.
func (r *core) HandlePreVoteRequest(m Message) {
	// m.Term > r.term here, or the request came from our own term. In our
	// own term a pre-vote is granted only under the rules of a real vote.
	canVote := m.Term > r.term || r.vote == m.From || (r.vote == None && r.lead == None)
	if canVote && (r.log.isUpToDate(m.Index, m.LogTerm) || r.bugs.GrantVoteWithoutLogCheck) {
		r.send(Message{Type: PreVoteResponse, To: m.From, Term: m.Term})
	} else {
		r.send(Message{Type: PreVoteResponse, To: m.From, Reject: true})
	}
	r.traceAction("HandlePreVoteRequest", &m)
}

// HandleRequestVoteRequest grants a vote to a candidate whose log is at
// least as up to date as ours, if we have not voted for another in this
// term and know of no leader in it.
func (r *core) HandleRequestVoteRequest(m Message) {
	// Step has already refused a vote our promise to a leader forbids.
	canVote := r.vote == m.From || (r.vote == None && r.lead == None)
	upToDate := r.log.isUpToDate(m.Index, m.LogTerm) || r.bugs.GrantVoteWithoutLogCheck
	if canVote && upToDate {
		r.setVote(m.From)
		// Granting a vote restarts our timer: the candidate needs time
		// to win before we compete with it.
		r.electionElapsed = 0
		r.send(Message{Type: RequestVoteResponse, To: m.From})
	} else {
		r.send(Message{Type: RequestVoteResponse, To: m.From, Reject: true})
	}
	r.traceAction("HandleRequestVoteRequest", &m)
}

// HandlePreVoteResponse counts a pre-vote. A grant carries the term the
// pre-candidate asked about; a rejection carries the responder's term,
// which Step has already handled if it is higher.
func (r *core) HandlePreVoteResponse(m Message) {
	if r.role != PreCandidate || (!m.Reject && m.Term != r.term+1) {
		r.traceAction(handlerName(m.Type), &m)
		return
	}
	r.trk.recordVote(m.From, !m.Reject)
	r.tally(PreVoteRequest, &m)
}

// HandleRequestVoteResponse counts a vote of the current term.
func (r *core) HandleRequestVoteResponse(m Message) {
	if r.role != Candidate {
		r.traceAction(handlerName(m.Type), &m)
		return
	}
	r.trk.recordVote(m.From, !m.Reject)
	r.tally(RequestVoteRequest, &m)
}

// tally acts on the votes after the response m: a lost election is part of
// the spec's handler of m, a won one the next action.
func (r *core) tally(t MessageType, m *Message) {
	switch r.trk.tallyVotes() {
	case quorum.VoteWon:
		r.traceAction(handlerName(m.Type), m)
		r.wonElection(t)
	case quorum.VoteLost:
		// Back to follower in the same term; our timer runs again.
		r.becomeFollower(r.term, None)
		r.traceAction(handlerName(m.Type), m)
	default:
		r.traceAction(handlerName(m.Type), m)
	}
}
