package spec

// This file holds the replication actions of tla/Raft.tla: client
// requests, AppendEntries, heartbeats, commit, snapshots and their
// handlers, and the network faults.

// ClientRequest is ClientRequest(i, v): the leader appends v. A leader
// handing leadership over takes no new entries, so that the transferee
// stays caught up.
func (sp *Spec) ClientRequest(s *State, i, v int, t *State) bool {
	if s.State[i] != Leader || s.LeadTransferee[i] != Nil {
		return false
	}
	*t = *s
	t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i], Value: uint8(v)})
	return true
}

// Agree is Agree(i, idx): the servers that hold the leader's entry at idx,
// as far as the leader knows.
func (sp *Spec) Agree(s *State, i, idx int) Set {
	set := Set(0).With(i)
	for k := range sp.n() {
		if int(s.MatchIndex[i][k]) >= idx {
			set = set.With(k)
		}
	}
	return set
}

// AdvanceCommitIndex is AdvanceCommitIndex(i). A leader commits by counting
// replicas only entries of its own term (Figure 8 of the Raft paper): an
// older entry stored on a quorum can still be overwritten by a server whose
// last entry has a later term.
func (sp *Spec) AdvanceCommitIndex(s *State, i int, t *State) bool {
	if s.State[i] != Leader {
		return false
	}
	best := 0
	for idx := int(s.CommitIndex[i]) + 1; idx <= s.LastIndex(i); idx++ {
		if sp.IsQuorum(s, i, sp.Agree(s, i, idx)) && s.Log[i].At(idx).Term == s.CurrentTerm[i] {
			best = idx
		}
	}
	if best == 0 {
		return false
	}
	*t = *s
	t.CommitIndex[i] = Num(best)
	if sp.Config.Membership && s.ConfIndex(i) <= best && !sp.IsVoter(s, i) {
		// A leader outside its committed configuration steps down: it
		// would go on committing with a quorum it is not part of, and
		// keep the voters from electing one of their own.
		t.State[i] = Follower
		t.Leader[i] = Nil
		t.LeaderRecent[i] = false
		sp.ResetLeaderState(t, i)
	}
	return true
}

// AppendEntries is AppendEntries(i, j): send j its entries from nextIndex
// on, in one message, as the implementation batches them; with none to
// send, the message probes where the logs match and carries the commit
// index.
func (sp *Spec) AppendEntries(s *State, i, j int, t *State) bool {
	next := int(s.NextIndex[i][j])
	if i == j || s.State[i] != Leader || next <= int(s.SnapshotIndex[i]) || next > s.LastIndex(i)+1 ||
		!sp.Configuration(s, i).Members().Has(j) {
		return false
	}
	prev := next - 1
	*t = *s
	t.send(Message{Type: AppendEntriesRequest, Term: s.CurrentTerm[i],
		PrevLogIndex: Num(prev), PrevLogTerm: Num(s.TermAt(i, prev)),
		Entries: s.Log[i].SubSeq(next, s.LastIndex(i)), CommitIndex: s.CommitIndex[i],
		Source: uint8(i), Dest: uint8(j)})
	return true
}

// Heartbeat is Heartbeat(i, j). It carries min(commitIndex, matchIndex[j]):
// j may commit only what the leader knows matches on j. A leader contacts
// only the members of its configuration.
func (sp *Spec) Heartbeat(s *State, i, j int, t *State) bool {
	if i == j || s.State[i] != Leader || !sp.Configuration(s, i).Members().Has(j) {
		return false
	}
	*t = *s
	t.send(Message{Type: HeartbeatRequest, Term: s.CurrentTerm[i],
		CommitIndex: min(s.CommitIndex[i], s.MatchIndex[i][j]), Seq: s.ReadSeq[i],
		Source: uint8(i), Dest: uint8(j)})
	return true
}

// SendSnapshot is SendSnapshot(i, j): j needs compacted entries. The
// message's Entries are the compacted prefix, the state-machine image.
func (sp *Spec) SendSnapshot(s *State, i, j int, t *State) bool {
	if i == j || s.State[i] != Leader || s.NextIndex[i][j] > s.SnapshotIndex[i] ||
		!sp.Configuration(s, i).Members().Has(j) {
		return false
	}
	*t = *s
	t.send(Message{Type: InstallSnapshotRequest, Term: s.CurrentTerm[i],
		SnapshotIndex: s.SnapshotIndex[i], SnapshotTerm: s.SnapshotTerm[i],
		Entries: s.Log[i].Prefix(int(s.SnapshotIndex[i])),
		Source:  uint8(i), Dest: uint8(j)})
	return true
}

// CompactLog is CompactLog(i, idx): discard the log up to a committed index.
func (sp *Spec) CompactLog(s *State, i, idx int, t *State) bool {
	if !sp.Config.Snapshot || idx <= int(s.SnapshotIndex[i]) || idx > int(s.CommitIndex[i]) {
		return false
	}
	*t = *s
	t.SnapshotIndex[i] = Num(idx)
	t.SnapshotTerm[i] = s.Log[i].At(idx).Term
	return true
}

// appendEntriesReply is AppendEntriesReply(i, j, success, idx).
func appendEntriesReply(s *State, i, j int, success bool, idx int) Message {
	return Message{Type: AppendEntriesResponse, Term: s.CurrentTerm[i], Success: success,
		MatchIndex: Num(idx), Source: uint8(i), Dest: uint8(j)}
}

// follow is Follow(i, j): i heard from j, the leader of its term; a
// campaign of its own is over.
func (sp *Spec) follow(t *State, i, j int) {
	t.State[i] = Follower
	t.Leader[i] = int8(j)
	t.VotesGranted[i] = 0
	t.VotesRejected[i] = 0
	t.LeaderRecent[i] = sp.Config.CheckQuorum
	t.HeardAt[i] = t.Now
}

// HandleAppendEntriesRequest is HandleAppendEntriesRequest(i, j, m).
func (sp *Spec) HandleAppendEntriesRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != AppendEntriesRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if m.Term < s.CurrentTerm[i] {
		t.reply(appendEntriesReply(s, i, j, false, 0), m)
		return true
	}
	sp.AcceptAppendEntries(t, s, i, j, m)
	return true
}

// AcceptAppendEntries is AcceptAppendEntries(i, j, m), writing into t. The
// follower's commit index never passes the last entry it knows matches the
// leader (prev plus this message's entries): the rest of its log may be a
// stale suffix that the leader will overwrite.
func (sp *Spec) AcceptAppendEntries(t, s *State, i, j int, m Message) {
	prev := int(m.PrevLogIndex)
	lastNew := prev + m.Entries.Len()
	sp.follow(t, i, j)
	switch {
	case prev < int(s.CommitIndex[i]):
		// Below the commit index the logs match; the entries there may be
		// compacted, so answer with what is committed.
		t.reply(appendEntriesReply(s, i, j, true, int(s.CommitIndex[i])), m)
	case prev <= s.LastIndex(i) && s.TermAt(i, prev) == int(m.PrevLogTerm):
		present := m.Entries.Len() == 0 ||
			(lastNew <= s.LastIndex(i) && s.Log[i].At(lastNew).Term == m.Entries.At(m.Entries.Len()).Term)
		if !present {
			t.Log[i] = s.Log[i].Prefix(prev).Concat(m.Entries)
		}
		t.CommitIndex[i] = max(s.CommitIndex[i], min(m.CommitIndex, Num(lastNew)))
		t.reply(appendEntriesReply(s, i, j, true, lastNew), m)
	default:
		t.reply(appendEntriesReply(s, i, j, false, min(prev-1, s.LastIndex(i))), m)
	}
}

// HandleAppendEntriesResponse is HandleAppendEntriesResponse(i, j, m). On a
// rejection nextIndex moves back to at most hint+1 and by at least one,
// never below matchIndex+1.
func (sp *Spec) HandleAppendEntriesResponse(s *State, i, j int, m Message, t *State) bool {
	if m.Type != AppendEntriesResponse || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if m.Term == s.CurrentTerm[i] && s.State[i] == Leader {
		t.RecentActive[i] = s.RecentActive[i].With(j)
		next, match := int(s.NextIndex[i][j]), int(s.MatchIndex[i][j])
		if m.Success {
			t.NextIndex[i][j] = Num(max(next, int(m.MatchIndex)+1))
			t.MatchIndex[i][j] = Num(max(match, int(m.MatchIndex)))
		} else {
			t.NextIndex[i][j] = Num(max(min(next-1, int(m.MatchIndex)+1), match+1))
		}
	}
	t.discard(m)
	return true
}

// HandleHeartbeatRequest is HandleHeartbeatRequest(i, j, m).
func (sp *Spec) HandleHeartbeatRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != HeartbeatRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if m.Term == s.CurrentTerm[i] {
		sp.follow(t, i, j)
		t.CommitIndex[i] = max(s.CommitIndex[i], min(m.CommitIndex, Num(s.LastIndex(i))))
	}
	t.reply(Message{Type: HeartbeatResponse, Term: s.CurrentTerm[i], Seq: m.Seq,
		Source: uint8(i), Dest: uint8(j)}, m)
	return true
}

// HandleHeartbeatResponse is HandleHeartbeatResponse(i, j, m).
func (sp *Spec) HandleHeartbeatResponse(s *State, i, j int, m Message, t *State) bool {
	if m.Type != HeartbeatResponse || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if m.Term == s.CurrentTerm[i] && s.State[i] == Leader {
		t.RecentActive[i] = s.RecentActive[i].With(j)
		// Only an acknowledgement of the current round confirms it: one of
		// an earlier heartbeat may have been sent before the read began.
		if s.ReadSeq[i] > 0 && m.Seq == s.ReadSeq[i] {
			t.ReadAcks[i] = s.ReadAcks[i].With(j)
		}
	}
	t.discard(m)
	return true
}

// HandleInstallSnapshotRequest is HandleInstallSnapshotRequest(i, j, m),
// answered by an AppendEntriesResponse.
func (sp *Spec) HandleInstallSnapshotRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != InstallSnapshotRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if m.Term < s.CurrentTerm[i] {
		t.reply(appendEntriesReply(s, i, j, false, 0), m)
		return true
	}
	sp.AcceptSnapshot(t, s, i, j, m)
	return true
}

// AcceptSnapshot is AcceptSnapshot(i, j, m), writing into t. A snapshot at
// or below the commit index is stale; one that matches the log only
// advances the commit index; any other replaces the log.
func (sp *Spec) AcceptSnapshot(t, s *State, i, j int, m Message) {
	idx := int(m.SnapshotIndex)
	sp.follow(t, i, j)
	switch {
	case idx <= int(s.CommitIndex[i]):
		t.reply(appendEntriesReply(s, i, j, true, int(s.CommitIndex[i])), m)
	case idx <= s.LastIndex(i) && s.TermAt(i, idx) == int(m.SnapshotTerm):
		t.CommitIndex[i] = Num(idx)
		t.reply(appendEntriesReply(s, i, j, true, idx), m)
	default:
		t.Log[i] = m.Entries
		t.SnapshotIndex[i] = Num(idx)
		t.SnapshotTerm[i] = m.SnapshotTerm
		t.CommitIndex[i] = Num(idx)
		t.reply(appendEntriesReply(s, i, j, true, idx), m)
	}
}

// DropMessage is DropMessage(m): the network loses m.
func (sp *Spec) DropMessage(s *State, m Message, t *State) bool {
	*t = *s
	t.discard(m)
	return true
}

// DuplicateMessage is DuplicateMessage(m): the network delivers m twice.
func (sp *Spec) DuplicateMessage(s *State, m Message, t *State) bool {
	*t = *s
	t.send(m)
	return true
}
