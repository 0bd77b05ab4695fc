package raft

// BasicStatus is the part of Status that costs no allocation to read.
type BasicStatus struct {
	ID        uint64
	Term      uint64
	Vote      uint64
	Role      Role
	Lead      uint64
	Commit    uint64
	Applied   uint64
	LastIndex uint64
	// LeadTransferee is, on a leader, the target of the leadership
	// transfer under way, or None.
	LeadTransferee uint64
}

// Status is a read-only view of a node's core.
type Status struct {
	BasicStatus
	ConfState ConfState
	// ConfIndex is the index of the entry that holds ConfState: of the
	// last configuration entry of the log, or of the snapshot (0 for the
	// bootstrap configuration). A configuration is in effect once
	// appended; it is settled once ConfIndex <= Commit.
	ConfIndex uint64
	// Progress is the leader's view of each member; nil on other roles.
	Progress map[uint64]ProgressStatus
}

// ProgressStatus is a copy of one member's Progress.
type ProgressStatus struct {
	Match, Next     uint64
	State           ProgressState
	PendingSnapshot uint64
	RecentActive    bool
	IsLearner       bool
	Inflight        int
}

// Status returns the node's current state.
func (r *core) status() Status {
	s := Status{BasicStatus: r.basicStatus(), ConfState: r.trk.confState(), ConfIndex: r.confIndex}
	if r.role == Leader {
		s.Progress = make(map[uint64]ProgressStatus, len(r.trk.progress))
		for id, pr := range r.trk.progress {
			s.Progress[id] = ProgressStatus{
				Match: pr.Match, Next: pr.Next, State: pr.State, PendingSnapshot: pr.PendingSnapshot,
				RecentActive: pr.RecentActive, IsLearner: pr.IsLearner, Inflight: pr.inflights.count(),
			}
		}
	}
	return s
}

func (r *core) basicStatus() BasicStatus {
	return BasicStatus{
		ID:        r.id,
		Term:      r.term,
		Vote:      r.vote,
		Role:      r.role,
		Lead:      r.lead,
		Commit:    r.log.committed,
		Applied:   r.log.applied,
		LastIndex: r.log.lastIndex(),

		LeadTransferee: r.leadTransferee,
	}
}
