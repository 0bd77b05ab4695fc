package node

import "github.com/raftcheck/raftcheck/raft"

// Membership is a copy of the membership as one node sees it: the
// configuration in effect at the node and, on the leader, how far each
// member's log is known to match the leader's.
type Membership struct {
	// ConfState is the configuration in effect at this node (see
	// raft.ConfState for when a configuration takes effect).
	ConfState raft.ConfState
	// ConfIndex is the index of the entry that holds ConfState (see
	// raft.Status): the configuration is settled once ConfIndex <= Commit.
	ConfIndex uint64
	// Role, Lead, Term and Commit are the node's, taken at the same time.
	Role   raft.Role
	Lead   uint64
	Term   uint64
	Commit uint64
	// Match is, on the leader only, the highest index known to be in each
	// member's log (learners included); nil on other roles.
	Match map[uint64]uint64
}

// ProposeConfChange proposes a membership change (see
// raft.Raft.ProposeConfChange): a follower returns a *raft.NotLeaderError,
// a change that can never be made an error wrapping
// raft.ErrConfChangeInvalid, and one that must wait an error wrapping
// raft.ErrConfChangeInFlight.
func (n *Node) ProposeConfChange(cc raft.ConfChange) error {
	if err := n.check(); err != nil {
		return err
	}
	return n.raft.ProposeConfChange(cc)
}

// Membership returns the node's view of the membership. It shares nothing
// with the core, so the caller may keep it or hand it to another goroutine;
// like every method but Submit, it must itself be called from the
// goroutine that drives the Node (through Submit under Run).
func (n *Node) Membership() Membership {
	st := n.raft.Status()
	m := Membership{ConfState: st.ConfState, ConfIndex: st.ConfIndex, Role: st.Role, Lead: st.Lead, Term: st.Term, Commit: st.Commit}
	if st.Progress != nil {
		m.Match = make(map[uint64]uint64, len(st.Progress))
		for id, pr := range st.Progress {
			m.Match[id] = pr.Match
		}
	}
	return m
}
