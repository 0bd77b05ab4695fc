package spec

// This file holds the reads and time of tla/Raft.tla: Tick, ReadIndex,
// ServeReadIndex and LeaseRead. Servers' clocks are not variables: a
// server measures an interval with an error of at most MaxClockDrift,
// which TimerElapsed and LeaseValid fold in.

// TimerElapsed is TimerElapsed(i): with real time modelled, the election
// timer of a server that heard from a leader fires no sooner than
// ElectionTimeout after, by its clock, which may run fast by MaxClockDrift.
func (sp *Spec) TimerElapsed(s *State, i int) bool {
	c := sp.Config
	return !c.Reads || !s.LeaderRecent[i] || int(s.Now)+c.MaxClockDrift >= int(s.HeardAt[i])+c.ElectionTimeout
}

// Tick is Tick: real time passes.
func (sp *Spec) Tick(s *State, t *State) bool {
	if !sp.Config.Reads {
		return false
	}
	*t = *s
	t.Now = s.Now + 1
	return true
}

// CommittedInTerm is CommittedInTerm(i). A leader serves reads only once an
// entry of its own term is committed: before that its commit index may lag
// entries that earlier leaders committed.
func (s *State) CommittedInTerm(i int) bool {
	return s.CommitIndex[i] > 0 && s.TermAt(i, int(s.CommitIndex[i])) == int(s.CurrentTerm[i])
}

// CommittedLog is CommittedLog: the longest committed prefix anywhere,
// which a read that begins now must include. CHOOSE picks the first
// server with the largest commit index; by StateMachineSafety any would do.
func (sp *Spec) CommittedLog(s *State) Log {
	k := 0
	for x := range sp.n() {
		if s.CommitIndex[x] > s.CommitIndex[k] {
			k = x
		}
	}
	return s.Log[k].Prefix(int(s.CommitIndex[k]))
}

// ReadIndex is ReadIndex(i): the read index is the commit index, and the
// leader confirms that it still leads with a quorum round of its own
// sequence number (never the client's context), carried by heartbeats.
func (sp *Spec) ReadIndex(s *State, i int, t *State) bool {
	if !sp.Config.Reads || s.State[i] != Leader || !s.CommittedInTerm(i) || s.PendingRead[i] != (PendingRead{}) {
		return false
	}
	*t = *s
	startRound(s, i, t, PendingRead{Index: s.CommitIndex[i], Required: sp.CommittedLog(s)})
	return true
}

// startRound is StartRound(i, read): leader i starts a quorum round for
// read. The round has a new sequence number so that an acknowledgement of
// an earlier heartbeat does not confirm this later read.
func startRound(s *State, i int, t *State, read PendingRead) {
	t.ReadSeq[i] = s.ReadSeq[i] + 1
	t.RoundStart[i] = s.Now
	t.ReadAcks[i] = Set(0).With(i)
	t.PendingRead[i] = read
}

// ServeReadIndex is ServeReadIndex(i): the round is confirmed, so the
// leader serves its own read (its read index is applied) or answers the
// follower that forwarded it.
func (sp *Spec) ServeReadIndex(s *State, i int, t *State) bool {
	p := s.PendingRead[i]
	if s.State[i] != Leader || p == (PendingRead{}) || !sp.IsQuorum(s, i, s.ReadAcks[i]) || s.CommitIndex[i] < p.Index {
		return false
	}
	*t = *s
	if p.From == 0 {
		t.LastRead = ReadResult{Served: s.Log[i].Prefix(int(p.Index)), Required: p.Required}
	} else {
		t.send(Message{Type: ReadIndexResponse, Term: s.CurrentTerm[i], Success: true, Index: p.Index,
			Seq: p.Seq, Source: uint8(i), Dest: p.From - 1})
	}
	t.PendingRead[i] = PendingRead{}
	return true
}

// ForwardReadIndex is ForwardReadIndex(i, j): a follower forwards a read to
// the server it takes for the leader; what the read must include is fixed
// now, when it begins.
//
// The read has a number the server never used before, which the request
// carries and the answer echoes: a late answer to an earlier read
// (duplicated, or sent before the follower restarted) carries that read's
// index, which may miss entries committed since, and would complete this
// read stale. The number is followerRead[i].seq + 1, and seq survives the
// read's end and Restart: the implementation starts each incarnation's
// numbers at a random value, which the spec models as numbers that never
// repeat. readSeq is not reused for it: a server resets readSeq whenever
// it becomes leader or steps down (its rounds are per term), so its
// numbers repeat. MaxReads bounds seq as it bounds readSeq.
func (sp *Spec) ForwardReadIndex(s *State, i, j int, t *State) bool {
	if !sp.Config.Reads || s.State[i] != Follower || i == j || s.FollowerRead[i].Phase != ReadNone {
		return false
	}
	*t = *s
	seq := s.FollowerRead[i].Seq + 1
	t.FollowerRead[i] = FollowerRead{Required: sp.CommittedLog(s), Phase: ReadWaiting, Seq: seq}
	t.send(Message{Type: ReadIndexRequest, Term: s.CurrentTerm[i], Seq: seq, Source: uint8(i), Dest: uint8(j)})
	return true
}

// ServeFollowerRead is ServeFollowerRead(i): the follower serves its read
// once it has applied the leader's read index (having the entries is not
// enough: they must be committed).
func (sp *Spec) ServeFollowerRead(s *State, i int, t *State) bool {
	r := s.FollowerRead[i]
	if r.Phase != ReadReady || s.CommitIndex[i] < r.Index {
		return false
	}
	*t = *s
	t.LastRead = ReadResult{Served: s.Log[i].Prefix(int(r.Index)), Required: r.Required}
	t.endFollowerRead(i)
	return true
}

// HandleReadIndexRequest is HandleReadIndexRequest(i, j, m): a leader of
// the request's term, with an entry of its term committed and no read
// pending, starts a round for the follower; any other server rejects, and
// the follower gives the read up.
func (sp *Spec) HandleReadIndexRequest(s *State, i, j int, m Message, t *State) bool {
	if m.Type != ReadIndexRequest || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if s.State[i] == Leader && m.Term == s.CurrentTerm[i] && s.CommittedInTerm(i) && s.PendingRead[i] == (PendingRead{}) {
		startRound(s, i, t, PendingRead{Index: s.CommitIndex[i], From: uint8(j) + 1, Seq: m.Seq})
		t.discard(m)
		return true
	}
	t.reply(Message{Type: ReadIndexResponse, Term: s.CurrentTerm[i], Seq: m.Seq, Source: uint8(i), Dest: uint8(j)}, m)
	return true
}

// HandleReadIndexResponse is HandleReadIndexResponse(i, j, m): an answer to
// the waiting read, by its number, completes or ends it; any other answer
// is discarded (see ForwardReadIndex).
func (sp *Spec) HandleReadIndexResponse(s *State, i, j int, m Message, t *State) bool {
	if m.Type != ReadIndexResponse || m.Term > s.CurrentTerm[i] {
		return false
	}
	*t = *s
	if r := s.FollowerRead[i]; r.Phase == ReadWaiting && m.Seq == r.Seq {
		if m.Success {
			t.FollowerRead[i].Index = m.Index
			t.FollowerRead[i].Phase = ReadReady
		} else {
			t.endFollowerRead(i)
		}
	}
	t.discard(m)
	return true
}

// LeaseValid is LeaseValid(i). The lease runs from the start of the last
// round a quorum acknowledged, for ElectionTimeout - LeaseDriftBound on the
// leader's clock, which may run slow by MaxClockDrift. The followers that
// acknowledged do not vote before ElectionTimeout - MaxClockDrift after
// that start, so the lease is safe iff LeaseDriftBound >= 2*MaxClockDrift.
func (sp *Spec) LeaseValid(s *State, i int) bool {
	c := sp.Config
	return s.ReadSeq[i] > 0 && sp.IsQuorum(s, i, s.ReadAcks[i]) &&
		int(s.Now)+c.LeaseDriftBound < int(s.RoundStart[i])+c.ElectionTimeout+c.MaxClockDrift
}

// LeaseRead is LeaseRead(i). A lease read needs CheckQuorum (stickiness
// keeps rivals from being elected inside the lease) and no transfer under
// way (a transfer deposes the leader on purpose).
func (sp *Spec) LeaseRead(s *State, i int, t *State) bool {
	if !sp.Config.Reads || !sp.Config.CheckQuorum || s.State[i] != Leader || s.LeadTransferee[i] != Nil ||
		!s.CommittedInTerm(i) || !sp.LeaseValid(s, i) {
		return false
	}
	*t = *s
	t.LastRead = ReadResult{Served: s.Log[i].Prefix(int(s.CommitIndex[i])), Required: sp.CommittedLog(s)}
	return true
}

// ReadLinearizable is ReadLinearizable: a read returns a state that
// includes every entry committed before the read began.
func ReadLinearizable(sp *Spec, s *State) bool {
	return s.LastRead.Linearizable()
}

// Linearizable reports whether the read served what it had to include.
func (r ReadResult) Linearizable() bool {
	return r.Required.Len() <= r.Served.Len() && r.Served.Prefix(r.Required.Len()) == r.Required
}
