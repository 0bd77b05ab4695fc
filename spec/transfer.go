package spec

// This file holds the leadership-transfer actions of tla/Raft.tla.

// TransferLeadership is TransferLeadership(i, j): the leader starts handing
// leadership to j. Until the transfer ends it takes no entries, so that j
// can catch up.
func (sp *Spec) TransferLeadership(s *State, i, j int, t *State) bool {
	if !sp.Config.Transfer || s.State[i] != Leader || i == j || s.LeadTransferee[i] != Nil ||
		!sp.Configuration(s, i).AllVoters().Has(j) {
		return false
	}
	*t = *s
	t.LeadTransferee[i] = int8(j)
	return true
}

// SendTimeoutNow is SendTimeoutNow(i): once the transferee holds the
// leader's whole log, the leader tells it to campaign at once. It may say
// so again, as acknowledgements keep coming.
func (sp *Spec) SendTimeoutNow(s *State, i int, t *State) bool {
	j := s.LeadTransferee[i]
	if s.State[i] != Leader || j == Nil || int(s.MatchIndex[i][j]) != s.LastIndex(i) {
		return false
	}
	*t = *s
	t.send(Message{Type: TimeoutNowRequest, Term: s.CurrentTerm[i], Source: uint8(i), Dest: uint8(j)})
	return true
}

// AbortTransfer is AbortTransfer(i): a transfer that did not finish within
// an election timeout is abandoned, and the leader takes entries again.
func (sp *Spec) AbortTransfer(s *State, i int, t *State) bool {
	if s.State[i] != Leader || s.LeadTransferee[i] == Nil {
		return false
	}
	*t = *s
	t.LeadTransferee[i] = Nil
	return true
}

// HandleTimeoutNowRequest is HandleTimeoutNowRequest(i, j, m): the
// transferee campaigns at once, skipping PreVote (the leader asked for it),
// in a new term as every campaign must, since its vote in the current term
// may already be spent. A stale request is dropped, and so is one that
// finds i campaigning already or no longer a voter, as the implementation
// does.
func (sp *Spec) HandleTimeoutNowRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != TimeoutNowRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	if m.Term != s.CurrentTerm[i] || s.State[i] != Follower || !sp.IsVoter(s, i) {
		*t = *s
		t.discard(m)
		return true
	}
	sp.Campaign(s, i, t)
	t.discard(m)
	sp.CampaignRequests(t, s, i, true)
	return true
}
