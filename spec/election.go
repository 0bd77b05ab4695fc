package spec

// This file holds the election actions of tla/Raft.tla: Restart, Timeout,
// BecomeCandidate, BecomeLeader, CheckQuorum, ElectionTimerElapsed and the
// handlers of the (pre-)vote messages and of a higher term. Every action
// method reports whether the action is enabled in s and, if it is, writes
// the successor state into t (s and t must not be the same State).

// Spec is a model of tla/Raft.tla: its constants, and the actions and
// invariants the checker uses. Tests replace an action to plant a bug.
type Spec struct {
	Config     Config
	Actions    []Action
	Invariants []Invariant
}

// New is the spec of a model with every action and invariant of Raft.tla.
func New(c Config) *Spec {
	return &Spec{Config: c, Actions: DefaultActions(), Invariants: DefaultInvariants()}
}

func (sp *Spec) n() int { return sp.Config.Servers }

// IsMajority is IsMajority(S, voters).
func IsMajority(set, voters Set) bool { return 2*(set&voters).Count() > voters.Count() }

// Configuration is a TLA+ configuration record [voters, outgoing,
// learners, autoLeave]; it is joint when Outgoing is not empty. A server
// may be an outgoing voter and a learner at once (a voter being demoted).
type Configuration struct {
	Voters    Set
	Outgoing  Set
	Learners  Set
	AutoLeave bool
}

// IsJoint is cfg.outgoing # {}.
func (cfg Configuration) IsJoint() bool { return cfg.Outgoing != 0 }

// AllVoters is AllVoters(cfg): the voters of either half.
func (cfg Configuration) AllVoters() Set { return cfg.Voters | cfg.Outgoing }

// Members is Members(cfg): the servers a leader replicates to.
func (cfg Configuration) Members() Set { return cfg.Voters | cfg.Outgoing | cfg.Learners }

// IsQuorumOf is IsQuorumOf(S, cfg): a majority of the voters and, in a
// joint configuration, a majority of the outgoing voters too.
func IsQuorumOf(set Set, cfg Configuration) bool {
	return IsMajority(set, cfg.Voters) && (cfg.Outgoing == 0 || IsMajority(set, cfg.Outgoing))
}

// InitConfiguration is InitConfiguration(i): the bootstrap configuration
// of the servers in InitServer; the others start with none and wait for a
// leader to contact them.
func (sp *Spec) InitConfiguration(i int) Configuration {
	k := sp.Config.initServers()
	if i >= k {
		return Configuration{}
	}
	return Configuration{Voters: Set(1<<uint(k) - 1)}
}

// Configuration is Configuration(i): that of the last configuration entry
// of i's log, committed or not, else the initial one. It takes effect when
// appended, on every server: a server that kept the old configuration
// until it learned of the commit could be elected by an old majority after
// the new configuration had committed entries that majority lacks. The
// log keeps its compacted prefix (see snapshotIndex), so a snapshot's
// configuration is that of its last configuration entry.
func (sp *Spec) Configuration(s *State, i int) Configuration {
	if !sp.Config.Membership {
		return sp.InitConfiguration(i)
	}
	if idx := s.Log[i].LastConf(); idx > 0 {
		return s.Log[i].At(idx).Conf
	}
	return sp.InitConfiguration(i)
}

// IsVoter is IsVoter(i): i votes in its own configuration. Only a voter
// campaigns: a learner's election would need votes it does not count.
func (sp *Spec) IsVoter(s *State, i int) bool {
	return sp.Configuration(s, i).AllVoters().Has(i)
}

// IsQuorum is IsQuorum(i, S): S is a quorum of i's configuration. A server
// outside it counts for nothing, so a leader that removed itself commits
// without counting itself.
func (sp *Spec) IsQuorum(s *State, i int, set Set) bool {
	return IsQuorumOf(set, sp.Configuration(s, i))
}

// LastIndex is LastIndex(i).
func (s *State) LastIndex(i int) int { return s.Log[i].Len() }

// TermAt is TermAt(i, idx): the term at idx as an implementation reads it
// after compaction.
func (s *State) TermAt(i, idx int) int {
	switch {
	case idx == 0:
		return 0
	case idx == int(s.SnapshotIndex[i]):
		return int(s.SnapshotTerm[i])
	}
	return int(s.Log[i].At(idx).Term)
}

// LastTerm is LastTerm(i).
func (s *State) LastTerm(i int) int { return s.TermAt(i, s.LastIndex(i)) }

// LogUpToDate is LogUpToDate(i, m): votes go only to logs at least as up to
// date, so that every leader holds every committed entry.
func (s *State) LogUpToDate(i int, m Message) bool {
	lt := s.LastTerm(i)
	return int(m.LastLogTerm) > lt || (int(m.LastLogTerm) == lt && int(m.LastLogIndex) >= s.LastIndex(i))
}

// InLease is InLease(i): leader stickiness under CheckQuorum.
func (sp *Spec) InLease(s *State, i int) bool { return sp.Config.CheckQuorum && s.LeaderRecent[i] }

// Restart is Restart(i): volatile state is lost; currentTerm, votedFor, the
// commit index, the log and the snapshot are durable (a forgotten vote is a
// second vote; the commit index is part of the hard state the
// implementation persists with them). A
// restarted server starts its election timer as if it had just heard from
// a leader: it may have acknowledged a leader's lease just before the
// crash, and must not vote for a rival inside that lease.
func (sp *Spec) Restart(s *State, i int, t *State) bool {
	*t = *s
	t.State[i] = Follower
	t.Leader[i] = Nil
	sp.ResetLeaderState(t, i)
	t.LeaderRecent[i] = sp.Config.CheckQuorum
	t.HeardAt[i] = s.Now
	t.endFollowerRead(i)
	return true
}

// ResetLeaderState is ResetLeaderState(i), writing into t. Stepping down
// forgets the leader's view of its peers and the votes of a campaign, as
// the implementation's reset does; stale values would only split equal
// states apart.
func (sp *Spec) ResetLeaderState(t *State, i int) {
	t.VotesGranted[i] = 0
	t.VotesRejected[i] = 0
	for j := range sp.n() {
		t.NextIndex[i][j] = 1
		t.MatchIndex[i][j] = 0
	}
	t.RecentActive[i] = 0
	t.LeadTransferee[i] = Nil
	t.ReadSeq[i] = 0
	t.RoundStart[i] = 0
	t.ReadAcks[i] = 0
	t.PendingRead[i] = PendingRead{}
}

// voteRequests sends VoteRequest(i, typ, term, transfer) to every other
// server. The transfer flag marks the campaign of a leadership transfer,
// which voters grant even in their leader lease: the old leader asked.
func (sp *Spec) voteRequests(t *State, s *State, i int, typ MsgType, term int, transfer bool) {
	voters := sp.Configuration(s, i).AllVoters()
	for j := range sp.n() {
		if j == i || !voters.Has(j) {
			continue
		}
		t.send(Message{Type: typ, Term: Num(term), LastLogTerm: Num(s.LastTerm(i)),
			LastLogIndex: Num(s.LastIndex(i)), Transfer: transfer, Source: uint8(i), Dest: uint8(j)})
	}
}

// Campaign is Campaign(i): a new term, a vote for itself. It writes the
// successor into t; the caller sends CampaignRequests.
func (sp *Spec) Campaign(s *State, i int, t *State) {
	*t = *s
	t.CurrentTerm[i] = s.CurrentTerm[i] + 1
	t.State[i] = Candidate
	t.VotedFor[i] = int8(i)
	t.Leader[i] = Nil
	t.VotesGranted[i] = Set(0).With(i)
	t.VotesRejected[i] = 0
	t.LeaderRecent[i] = false
}

// CampaignRequests sends CampaignRequests(i, transfer) into t.
func (sp *Spec) CampaignRequests(t, s *State, i int, transfer bool) {
	sp.voteRequests(t, s, i, RequestVoteRequest, int(s.CurrentTerm[i])+1, transfer)
}

// Timeout is Timeout(i): the election timer of a non-leader fires. With
// PreVote it asks for pre-votes for currentTerm+1 without changing its
// term, so that a server that cannot win does not disrupt the cluster.
func (sp *Spec) Timeout(s *State, i int, t *State) bool {
	if s.State[i] == Leader || !sp.TimerElapsed(s, i) || !sp.IsVoter(s, i) {
		return false
	}
	if !sp.Config.PreVote {
		sp.Campaign(s, i, t)
		sp.CampaignRequests(t, s, i, false)
		return true
	}
	*t = *s
	t.State[i] = PreCandidate
	t.Leader[i] = Nil
	t.VotesGranted[i] = Set(0).With(i)
	t.VotesRejected[i] = 0
	t.LeaderRecent[i] = false
	sp.voteRequests(t, s, i, PreVoteRequest, int(s.CurrentTerm[i])+1, false)
	return true
}

// BecomeCandidate is BecomeCandidate(i): a pre-candidate that a quorum
// would vote for starts the real election.
func (sp *Spec) BecomeCandidate(s *State, i int, t *State) bool {
	if !sp.Config.PreVote || s.State[i] != PreCandidate || !sp.IsQuorum(s, i, s.VotesGranted[i]) {
		return false
	}
	sp.Campaign(s, i, t)
	sp.CampaignRequests(t, s, i, false)
	return true
}

// BecomeLeader is BecomeLeader(i). The new leader appends a no-op of its
// term so that it can commit, and so learn, all earlier entries.
func (sp *Spec) BecomeLeader(s *State, i int, t *State) bool {
	if s.State[i] != Candidate || !sp.IsQuorum(s, i, s.VotesGranted[i]) {
		return false
	}
	*t = *s
	t.State[i] = Leader
	t.Leader[i] = int8(i)
	t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i]})
	sp.ResetLeaderState(t, i)
	for j := range sp.n() {
		t.NextIndex[i][j] = Num(s.LastIndex(i) + 1)
	}
	t.LeaderRecent[i] = sp.Config.CheckQuorum
	t.HeardAt[i] = s.Now
	return true
}

// CheckQuorum is CheckQuorum(i): a leader that has not heard from a quorum
// in an election timeout steps down; otherwise a new interval starts.
func (sp *Spec) CheckQuorum(s *State, i int, t *State) bool {
	if !sp.Config.CheckQuorum || s.State[i] != Leader {
		return false
	}
	*t = *s
	if sp.IsQuorum(s, i, s.RecentActive[i].With(i)) {
		t.RecentActive[i] = 0
	} else {
		t.State[i] = Follower
		t.Leader[i] = Nil
		t.LeaderRecent[i] = false
		sp.ResetLeaderState(t, i)
	}
	return true
}

// ElectionTimerElapsed is ElectionTimerElapsed(i): an election timeout
// passed without news from the leader, so i grants (pre-)votes again.
func (sp *Spec) ElectionTimerElapsed(s *State, i int, t *State) bool {
	if s.State[i] == Leader || !s.LeaderRecent[i] || !sp.TimerElapsed(s, i) {
		return false
	}
	*t = *s
	t.LeaderRecent[i] = false
	return true
}

// UpdateTerm is UpdateTerm(i, j, m): a higher term makes i a follower of
// it, except for a pre-vote request (its sender has not changed term), a
// granted pre-vote (it carries the term the pre-candidate would use) and a
// vote request that reaches i in its leader lease.
func (sp *Spec) UpdateTerm(s *State, i, j int, m Message, t *State) bool {
	if int(m.Term) <= int(s.CurrentTerm[i]) || m.Type == PreVoteRequest ||
		(m.Type == PreVoteResponse && m.Granted) ||
		(m.Type == RequestVoteRequest && sp.InLease(s, i) && !m.Transfer) {
		return false
	}
	*t = *s
	t.CurrentTerm[i] = m.Term
	t.State[i] = Follower
	t.VotedFor[i] = Nil
	sp.ResetLeaderState(t, i)
	t.Leader[i] = Nil
	if fromLeader(m.Type) {
		t.Leader[i] = int8(j)
	}
	t.LeaderRecent[i] = false
	return true
}

// fromLeader is FromLeader(type): only a leader sends messages of these
// types, so their sender is the leader of their term.
func fromLeader(t MsgType) bool {
	return t == AppendEntriesRequest || t == HeartbeatRequest || t == InstallSnapshotRequest
}

// HandlePreVoteRequest is HandlePreVoteRequest(i, j, m). A rejection
// carries i's term so that a lagging pre-candidate learns it.
func (sp *Spec) HandlePreVoteRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != PreVoteRequest {
		return false
	}
	// Only a later term: a pre-vote says i would vote in term m.Term but
	// records nothing, and only in a term after its own is i's vote sure to
	// be free. A pre-candidate at or below i's term has missed that term's
	// election; a grant would let it campaign and depose a leader for nothing.
	grant := int(m.Term) > int(s.CurrentTerm[i]) && s.LogUpToDate(i, m) && !sp.InLease(s, i)
	term := s.CurrentTerm[i]
	if grant {
		term = m.Term
	}
	*t = *s
	t.reply(Message{Type: PreVoteResponse, Term: term, Granted: grant,
		Source: uint8(i), Dest: uint8(j)}, m)
	return true
}

// HandlePreVoteResponse is HandlePreVoteResponse(i, j, m); stale responses
// are dropped. A rejection of this term counts towards losing.
func (sp *Spec) HandlePreVoteResponse(s *State, i, j int, m Message, t *State) bool {
	if m.Type != PreVoteResponse || !(m.Granted || m.Term <= s.CurrentTerm[i]) {
		return false
	}
	*t = *s
	first := !s.answered(i, j)
	if s.State[i] == PreCandidate && first && m.Granted && int(m.Term) == int(s.CurrentTerm[i])+1 {
		t.VotesGranted[i] = s.VotesGranted[i].With(j)
	}
	if s.State[i] == PreCandidate && first && !m.Granted && m.Term == s.CurrentTerm[i] {
		sp.countRejection(t, i, j)
	}
	t.discard(m)
	return true
}

// answered is Answered(i, j): j's answer to i's campaign is counted
// already. Only the first counts: a stale answer of an earlier campaign in
// the same term, delayed or duplicated, must not change it.
func (s *State) answered(i, j int) bool { return (s.VotesGranted[i] | s.VotesRejected[i]).Has(j) }

// countRejection is CountRejection(i, j), writing into t: a (pre-)candidate
// that the servers yet to reject can no longer make a quorum goes back to
// follower in its term, and its timer runs again.
func (sp *Spec) countRejection(t *State, i, j int) {
	t.VotesRejected[i] = t.VotesRejected[i].With(j)
	cfg := sp.Configuration(t, i)
	if !IsQuorumOf(cfg.AllVoters()&^t.VotesRejected[i], cfg) {
		t.State[i] = Follower
		t.Leader[i] = Nil
		t.VotesGranted[i] = 0
		t.VotesRejected[i] = 0
	}
}

// HandleRequestVoteRequest is HandleRequestVoteRequest(i, j, m): at most
// one vote per term, and only for an up-to-date log; none to a new
// candidate in a term whose leader i knows. Within its lease a server
// votes for no one new, whatever the term, except in a transfer: the lease
// of the leader it heard from counts on that promise.
func (sp *Spec) HandleRequestVoteRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != RequestVoteRequest || !(m.Term <= s.CurrentTerm[i] || (sp.InLease(s, i) && !m.Transfer)) {
		return false
	}
	grant := m.Term == s.CurrentTerm[i] && s.LogUpToDate(i, m) &&
		(s.VotedFor[i] == int8(j) || (s.VotedFor[i] == Nil && s.Leader[i] == Nil && (!sp.InLease(s, i) || m.Transfer)))
	*t = *s
	if grant {
		t.VotedFor[i] = int8(j)
	}
	t.reply(Message{Type: RequestVoteResponse, Term: s.CurrentTerm[i], Granted: grant,
		Source: uint8(i), Dest: uint8(j)}, m)
	return true
}

// HandleRequestVoteResponse is HandleRequestVoteResponse(i, j, m).
func (sp *Spec) HandleRequestVoteResponse(s *State, i, j int, m Message, t *State) bool {
	if m.Type != RequestVoteResponse || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	first := !s.answered(i, j)
	if s.State[i] == Candidate && first && m.Granted && m.Term == s.CurrentTerm[i] {
		t.VotesGranted[i] = s.VotesGranted[i].With(j)
	}
	if s.State[i] == Candidate && first && !m.Granted && m.Term == s.CurrentTerm[i] {
		sp.countRejection(t, i, j)
	}
	t.discard(m)
	return true
}
