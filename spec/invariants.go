package spec

// Invariant is a named state predicate of tla/Raft.tla.
type Invariant struct {
	Name  string
	Holds func(sp *Spec, s *State) bool
}

// DefaultInvariants are the INVARIANTS of tla/MCRaft.cfg.
func DefaultInvariants() []Invariant {
	return []Invariant{
		{"ElectionSafety", ElectionSafety},
		{"LogMatching", LogMatching},
		{"LeaderCompleteness", LeaderCompleteness},
		{"StateMachineSafety", StateMachineSafety},
		{"CommittedIsDurable", CommittedIsDurable},
		{"CommittedInElectableLogs", CommittedInElectableLogs},
		{"SnapshotIsCommitted", SnapshotIsCommitted},
		{"ReadLinearizable", ReadLinearizable},
		{"LeaderIsVoter", LeaderIsVoter},
	}
}

// InvariantNames is the registry of the invariants of tla/MCRaft.cfg.
func InvariantNames() []string {
	var names []string
	for _, inv := range DefaultInvariants() {
		names = append(names, inv.Name)
	}
	return names
}

// ElectionSafety is ElectionSafety: at most one leader per term.
func ElectionSafety(sp *Spec, s *State) bool {
	for i := range sp.n() {
		for j := i + 1; j < sp.n(); j++ {
			if s.State[i] == Leader && s.State[j] == Leader && s.CurrentTerm[i] == s.CurrentTerm[j] {
				return false
			}
		}
	}
	return true
}

// LogMatching is LogMatching: logs that agree on the term at an index agree
// on every entry up to it.
func LogMatching(sp *Spec, s *State) bool {
	for i := range sp.n() {
		for j := i + 1; j < sp.n(); j++ {
			a, b := s.Log[i], s.Log[j]
			for n := 1; n <= min(a.Len(), b.Len()); n++ {
				if a.At(n).Term == b.At(n).Term && a.Prefix(n) != b.Prefix(n) {
					return false
				}
			}
		}
	}
	return true
}

// LeaderCompleteness is LeaderCompleteness. A server learns that an entry
// is committed only in a term at least the term T in which it was
// committed, so a leader of a term >= currentTerm[i] holds every entry
// that i knows committed.
func LeaderCompleteness(sp *Spec, s *State) bool {
	for l := range sp.n() {
		if s.State[l] != Leader {
			continue
		}
		for i := range sp.n() {
			if s.CurrentTerm[i] > s.CurrentTerm[l] {
				continue
			}
			for n := 1; n <= int(s.CommitIndex[i]); n++ {
				if n > s.Log[l].Len() || n > s.Log[i].Len() || s.Log[l].At(n) != s.Log[i].At(n) {
					return false
				}
			}
		}
	}
	return true
}

// StateMachineSafety is StateMachineSafety: no two servers commit
// different entries at an index.
func StateMachineSafety(sp *Spec, s *State) bool {
	for i := range sp.n() {
		if int(s.CommitIndex[i]) > s.Log[i].Len() {
			return false
		}
	}
	for i := range sp.n() {
		for j := i + 1; j < sp.n(); j++ {
			for n := 1; n <= int(min(s.CommitIndex[i], s.CommitIndex[j])); n++ {
				if s.Log[i].At(n) != s.Log[j].At(n) {
					return false
				}
			}
		}
	}
	return true
}

// CouldElect is CouldElect(k): k may campaign (it is a voter of its
// configuration) and its log is at least as up to date as those of a
// quorum of that configuration, so it could win an election.
func (sp *Spec) CouldElect(s *State, k int) bool {
	cfg := sp.Configuration(s, k)
	return cfg.AllVoters().Has(k) && IsQuorumOf(sp.voters(s, k), cfg)
}

// CommittedIsDurable is CommittedIsDurable: a committed entry is held by a
// quorum of every configuration that could elect a leader, in the sense
// that no quorum of it lacks the entry (with an odd number of voters, a
// majority holds it). Under membership changes those are the
// configurations of the servers that could win an election now: a server
// removed before it learned of its removal keeps the old configuration,
// but the voters that did learn of it hold later entries and refuse it.
func CommittedIsDurable(sp *Spec, s *State) bool {
	all := Set(1<<uint(sp.n()) - 1)
	var electable [MaxServers]bool
	for k := range sp.n() {
		electable[k] = sp.CouldElect(s, k)
	}
	for i := range sp.n() {
		for n := 1; n <= int(s.CommitIndex[i]) && n <= s.Log[i].Len(); n++ {
			e := s.Log[i].At(n)
			var holders Set
			for k := range sp.n() {
				if n <= s.Log[k].Len() && s.Log[k].At(n) == e {
					holders = holders.With(k)
				}
			}
			for k := range sp.n() {
				if electable[k] && IsQuorumOf(all&^holders, sp.Configuration(s, k)) {
					return false
				}
			}
		}
	}
	return true
}

// CommittedInElectableLogs is CommittedInElectableLogs: a server whose log
// lacks a committed entry cannot collect a quorum of votes, because a
// quorum of logs is more up to date than its own. It fails as soon as a
// leader commits an entry that a later election could still overwrite
// (Figure 8 of the Raft paper), before any overwrite happens.
func CommittedInElectableLogs(sp *Spec, s *State) bool {
	for i := range sp.n() {
		for n := 1; n <= int(s.CommitIndex[i]) && n <= s.Log[i].Len(); n++ {
			e := s.Log[i].At(n)
			for k := range sp.n() {
				if n <= s.Log[k].Len() && s.Log[k].At(n) == e {
					continue
				}
				if sp.CouldElect(s, k) {
					return false
				}
			}
		}
	}
	return true
}

// voters is the set of servers whose log comparison would grant k a vote,
// i.e. {v : LogUpToDate(v, k's last entry)} in Raft.tla's Voters(k).
func (sp *Spec) voters(s *State, k int) Set {
	m := Message{LastLogTerm: Num(s.LastTerm(k)), LastLogIndex: Num(s.LastIndex(k))}
	var set Set
	for v := range sp.n() {
		if s.LogUpToDate(v, m) {
			set = set.With(v)
		}
	}
	return set
}

// SnapshotIsCommitted is SnapshotIsCommitted: the snapshot is a prefix of
// the committed log and snapshotTerm is the term of its last entry.
func SnapshotIsCommitted(sp *Spec, s *State) bool {
	for i := range sp.n() {
		idx := int(s.SnapshotIndex[i])
		if idx > int(s.CommitIndex[i]) || idx > s.Log[i].Len() {
			return false
		}
		if idx > 0 && s.SnapshotTerm[i] != s.Log[i].At(idx).Term {
			return false
		}
	}
	return true
}
