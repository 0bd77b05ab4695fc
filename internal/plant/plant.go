// Package plant names the bugs that tests plant in the protocol to prove that
// the checkers can catch them. It is internal to this module, so an
// application that embeds raft/ cannot name these switches, let alone turn
// one on by accident. The zero value, and a nil pointer, plant nothing.
package plant

// Bugs is a set of planted bugs. Each field breaks one rule of the protocol
// on purpose.
type Bugs struct {
	// CommitPreviousTermByCounting lets a leader commit an entry of an earlier
	// term by counting replicas: the Figure 8 bug of the Raft paper.
	CommitPreviousTermByCounting bool
	// ForgetVoteOnRestart drops the persisted vote when a node restarts, so
	// it can vote twice in one term.
	ForgetVoteOnRestart bool
	// FollowerCommitPastMatch lets a follower advance its commit index to
	// the leader's commit even past the last entry it knows matches.
	FollowerCommitPastMatch bool
	// GrantVoteWithoutLogCheck grants votes without checking that the
	// candidate's log is at least as up to date, so a leader can lack
	// committed entries.
	GrantVoteWithoutLogCheck bool
	// ReadIndexBeforeCommitInTerm takes a read index before the leader has
	// committed an entry of its term, when its commit index may be behind
	// what an earlier leader committed.
	ReadIndexBeforeCommitInTerm bool
	// AckReadByClientContext confirms read rounds by the application's
	// request ID echoed in heartbeat responses instead of the leader's own
	// sequence number, so a delayed or duplicated response from an earlier
	// round with the same ID confirms a later one.
	AckReadByClientContext bool
	// SkipJointPhase puts a change of voters in effect in one step, with no
	// joint configuration, even when two or more voters change at once.
	SkipJointPhase bool
	// AllowSecondConfChange lets a leader propose a membership change while
	// an earlier one is not committed, or on top of a joint configuration.
	AllowSecondConfChange bool
	// KeepRemovedLeader leaves a leader in charge after a configuration
	// without it takes effect.
	KeepRemovedLeader bool
}

// On reports whether any bug is planted. It is safe on a nil pointer.
func (b *Bugs) On() bool {
	return b != nil && *b != Bugs{}
}
