package spec

// This file holds the membership actions of tla/Raft.tla: ChangeConf and
// LeaveJoint. A configuration is a log entry and takes effect when
// appended (see Configuration).

// ConfAction enumerates fn(i, voters, learners) over i \in Server, voters
// \in SUBSET Server \ {{}} and learners \in SUBSET (Server \ voters).
func ConfAction(name string, fn func(*Spec, *State, int, Set, Set, *State) bool) Action {
	return Action{Name: name, conf: fn, Successors: func(sp *Spec, s, t *State, emit Emit) {
		if !sp.Config.Membership {
			return
		}
		all := Set(1<<uint(sp.n()) - 1)
		for i := range sp.n() {
			if s.State[i] != Leader {
				continue
			}
			for v := Set(1); v <= all; v++ {
				rest := all &^ v
				// Every subset l of rest, rest itself first.
				for l := rest; ; l = (l - 1) & rest {
					if fn(sp, s, i, v, l, t) {
						emit(Label{Action: name, Params: [3]int{i, int(v), int(l)}, kinds: "smm"}, t)
					}
					if l == 0 {
						break
					}
				}
			}
		}
	}}
}

// ConfIndex is ConfIndex(i): the index of the last configuration entry of
// i's log, 0 if none.
func (s *State) ConfIndex(i int) int { return s.Log[i].LastConf() }

// ConfChangeAllowed is ConfChangeAllowed(i): the leader may append a
// configuration entry. One change at a time: a leader whose configuration
// entry is not committed could otherwise append a second one whose quorums
// do not intersect those of the first's predecessor. A new leader first
// commits an entry of its term, which commits (or overwrites) whatever
// configuration entry an earlier leader left uncommitted. No change while
// a leadership transfer is under way, which could move the leadership to
// a server the change removes.
func (sp *Spec) ConfChangeAllowed(s *State, i int) bool {
	return sp.Config.Membership && s.State[i] == Leader && s.LeadTransferee[i] == Nil &&
		s.CommittedInTerm(i) && s.ConfIndex(i) <= int(s.CommitIndex[i])
}

// ChangeConf is ChangeConf(i, voters, learners): the leader appends the
// configuration with these voters and learners. A change of the voter set
// goes through the joint configuration (the old voters outgoing), whose
// quorums intersect those of both the old and the new configuration; the
// model leaves it automatically (autoLeave, LeaveJoint). A change of the
// learners only is direct: learners count in no quorum.
func (sp *Spec) ChangeConf(s *State, i int, voters, learners Set, t *State) bool {
	if !sp.ConfChangeAllowed(s, i) || voters == 0 || voters&learners != 0 {
		return false
	}
	cur := sp.Configuration(s, i)
	if cur.IsJoint() || (voters == cur.Voters && learners == cur.Learners) {
		return false
	}
	next := Configuration{Voters: voters, Learners: learners}
	if voters != cur.Voters {
		next.Outgoing = cur.Voters
		next.AutoLeave = true
	}
	*t = *s
	t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i], Conf: next})
	return true
}

// LeaveJoint is LeaveJoint(i): once the joint configuration's entry is
// committed (so a quorum of the old voters knows of the new ones), the
// leader appends the configuration of the new voters alone.
func (sp *Spec) LeaveJoint(s *State, i int, t *State) bool {
	if !sp.Config.Membership || s.State[i] != Leader {
		return false
	}
	cur := sp.Configuration(s, i)
	if !cur.IsJoint() || !cur.AutoLeave || s.ConfIndex(i) > int(s.CommitIndex[i]) {
		return false
	}
	*t = *s
	t.Log[i] = s.Log[i].Append(Entry{Term: s.CurrentTerm[i],
		Conf: Configuration{Voters: cur.Voters, Learners: cur.Learners}})
	return true
}

// LeaderIsVoter is LeaderIsVoter: a leader is a voter of its
// configuration, or that configuration's entry is not yet committed (the
// leader that removed itself leads until then, without counting itself).
func LeaderIsVoter(sp *Spec, s *State) bool {
	for i := range sp.n() {
		if s.State[i] == Leader && !sp.IsVoter(s, i) && s.ConfIndex(i) <= int(s.CommitIndex[i]) {
			return false
		}
	}
	return true
}
