package raft

import (
	"errors"
	"fmt"
)

// SoftState is the volatile state worth telling the application about.
type SoftState struct {
	Lead uint64
	Role Role
}

// Ready is what the core hands the driver. The driver must, in this order:
//
//  1. persist HardState (if not empty), Entries and Snapshot (if not
//     empty), durably;
//  2. send Messages: they may depend on the state of step 1, such as a
//     vote that must never be granted twice in one term, even across a
//     crash;
//  3. apply Snapshot and then CommittedEntries to the state machine;
//  4. call Advance with this Ready.
type Ready struct {
	// SoftState is set when the leader or role changed.
	SoftState *SoftState
	// HardState is the new hard state, or empty if it did not change.
	HardState HardState
	// Entries are to be appended to storage, replacing any entries from
	// Entries[0].Index on.
	Entries []Entry
	// Snapshot is a snapshot from the leader to be saved and applied.
	Snapshot Snapshot
	// CommittedEntries are to be applied, in order.
	CommittedEntries []Entry
	// Messages are to be sent once the above is durable.
	Messages []Message
	// ReadStates are reads whose index is confirmed: each may be served
	// once the applied index reaches its Index.
	ReadStates []ReadState
}

// MustSync reports whether the Ready holds state that must be synced to
// disk before its messages are sent.
func (rd Ready) MustSync() bool {
	return !rd.HardState.IsEmpty() || len(rd.Entries) > 0 || !rd.Snapshot.IsEmpty()
}

func (r *core) softState() SoftState { return SoftState{Lead: r.lead, Role: r.role} }

// HasReady reports whether Ready would hand out anything.
func (r *core) hasReady() bool {
	if r.softState() != r.prevSoft || len(r.msgs) > 0 || r.appendPending || len(r.reads.ready) > 0 ||
		r.canStartReadRound() {
		return true
	}
	if hs := r.hardState(); hs != r.prevHard {
		return true
	}
	return len(r.log.unstable) > 0 || r.log.unstableSnapshot != nil || r.log.hasNextCommitted()
}

// Ready returns what to persist, send and apply. Pending proposals are sent
// first, as one batch per member. Call Advance when the Ready is done.
func (r *core) ready() Ready {
	r.flushAppends()
	rd := Ready{
		Entries:          r.log.unstable,
		CommittedEntries: r.log.nextCommitted(r.cfg.MsgBytesMax),
		Messages:         r.msgs,
		ReadStates:       r.reads.ready,
	}
	r.reads.ready = nil
	if ss := r.softState(); ss != r.prevSoft {
		rd.SoftState = &ss
	}
	if hs := r.hardState(); hs != r.prevHard {
		if hs.Commit < r.prevHard.Commit {
			panic(fmt.Sprintf("raft: invariant broken: commit index went back from %d to %d", r.prevHard.Commit, hs.Commit))
		}
		if hs.Term < r.prevHard.Term {
			panic(fmt.Sprintf("raft: invariant broken: term went back from %d to %d", r.prevHard.Term, hs.Term))
		}
		rd.HardState = hs
	}
	if r.log.unstableSnapshot != nil {
		rd.Snapshot = *r.log.unstableSnapshot
	}
	r.msgs = nil
	return rd
}

// Advance tells the core that rd was persisted, sent and applied. It checks
// the persistence part against Storage: a driver that sends before it
// persists can lose a vote or an acknowledged entry in a crash, so it is
// stopped here rather than allowed to break safety quietly.
func (r *core) advance(rd Ready) {
	if err := r.checkPersisted(rd); err != nil {
		panic("raft: persistence contract broken: " + err.Error())
	}
	if rd.SoftState != nil {
		r.prevSoft = *rd.SoftState
	}
	if !rd.HardState.IsEmpty() {
		r.prevHard = rd.HardState
	}
	if !rd.Snapshot.IsEmpty() {
		r.log.stableSnapTo(rd.Snapshot.Metadata.Index)
		r.log.applied = max(r.log.applied, rd.Snapshot.Metadata.Index)
	}
	if n := len(rd.Entries); n > 0 {
		last := rd.Entries[n-1]
		r.log.stableTo(last.Index, last.Term)
	}
	if n := len(rd.CommittedEntries); n > 0 {
		r.log.appliedTo(rd.CommittedEntries[n-1].Index)
		if r.role == Leader {
			r.uncommittedBytes -= min(r.uncommittedBytes, payloadSize(rd.CommittedEntries))
		}
	}
}

func (r *core) checkPersisted(rd Ready) error {
	st := r.log.storage
	if !rd.HardState.IsEmpty() {
		hs, _, err := st.InitialState()
		if err != nil {
			return fmt.Errorf("reading hard state: %w", err)
		}
		if hs != rd.HardState {
			return fmt.Errorf("hard state %+v handed out, storage holds %+v", rd.HardState, hs)
		}
	}
	if !rd.Snapshot.IsEmpty() {
		snap, err := st.Snapshot()
		if err != nil {
			return fmt.Errorf("reading snapshot: %w", err)
		}
		if snap.Metadata.Index < rd.Snapshot.Metadata.Index {
			return fmt.Errorf("snapshot at %d handed out, storage holds %d", rd.Snapshot.Metadata.Index, snap.Metadata.Index)
		}
	}
	if n := len(rd.Entries); n > 0 {
		last := rd.Entries[n-1]
		t, err := st.Term(last.Index)
		if errors.Is(err, ErrCompacted) {
			return nil // compacted after it was persisted and applied
		}
		if err != nil || t != last.Term {
			return fmt.Errorf("entry %d of term %d handed out, storage has term %d (%v)", last.Index, last.Term, t, err)
		}
	}
	return nil
}
