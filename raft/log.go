package raft

import (
	"errors"
	"fmt"
)

// raftLog is the log as the core sees it: what Storage holds, followed by
// the unstable entries (and possibly a snapshot) that a Ready has handed out
// but the driver has not yet confirmed durable.
type raftLog struct {
	storage Storage

	// unstableSnapshot is a snapshot received from the leader and not yet
	// durable. When it is set, unstable entries follow it.
	unstableSnapshot *Snapshot
	// unstable holds the entries from index offset on that are not yet
	// durable.
	unstable []Entry
	offset   uint64

	// committed is the highest index known to be committed. It never
	// decreases.
	committed uint64
	// applied is the highest index handed to the application.
	applied uint64
	// onAppend, if set, is told of every append: the core follows the
	// configuration entries through it.
	onAppend func([]Entry)
}

func newLog(storage Storage) (*raftLog, error) {
	first, err := storage.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("storage first index: %w", err)
	}
	last, err := storage.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("storage last index: %w", err)
	}
	return &raftLog{
		storage:   storage,
		offset:    last + 1,
		committed: first - 1,
		applied:   first - 1,
	}, nil
}

// mustOK panics on a storage error that the Storage contract rules out:
// the core asked for an index it knows the storage holds.
func mustOK(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("raft: storage broke its contract on %s: %v", what, err))
	}
}

func (l *raftLog) firstIndex() uint64 {
	if l.unstableSnapshot != nil {
		return l.unstableSnapshot.Metadata.Index + 1
	}
	i, err := l.storage.FirstIndex()
	mustOK(err, "FirstIndex")
	return i
}

func (l *raftLog) lastIndex() uint64 {
	if n := len(l.unstable); n > 0 {
		return l.offset + uint64(n) - 1
	}
	if l.unstableSnapshot != nil {
		return l.unstableSnapshot.Metadata.Index
	}
	i, err := l.storage.LastIndex()
	mustOK(err, "LastIndex")
	return i
}

func (l *raftLog) lastTerm() uint64 {
	t, err := l.term(l.lastIndex())
	mustOK(err, "term of last index")
	return t
}

// term returns the term of entry i. It returns ErrCompacted below the
// snapshot and ErrUnavailable past the last index.
func (l *raftLog) term(i uint64) (uint64, error) {
	if i >= l.offset {
		if k := i - l.offset; k < uint64(len(l.unstable)) {
			return l.unstable[k].Term, nil
		}
		if i > l.lastIndex() {
			return 0, ErrUnavailable
		}
	}
	if s := l.unstableSnapshot; s != nil {
		if i == s.Metadata.Index {
			return s.Metadata.Term, nil
		}
		if i < s.Metadata.Index {
			return 0, ErrCompacted
		}
	}
	return l.storage.Term(i)
}

// termOrZero is term for callers that treat a missing entry as a mismatch.
func (l *raftLog) termOrZero(i uint64) uint64 {
	t, err := l.term(i)
	if err != nil {
		return 0
	}
	return t
}

func (l *raftLog) matchTerm(i, term uint64) bool {
	t, err := l.term(i)
	return err == nil && t == term
}

// isUpToDate reports whether a log ending at (lastIndex, lastTerm) is at
// least as up to date as ours: this is the voting restriction that gives
// leader completeness (Raft paper, section 5.4.1).
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	ours := l.lastTerm()
	return lastTerm > ours || (lastTerm == ours && lastIndex >= l.lastIndex())
}

// slice returns the entries in [lo, hi), within maxBytes but at least one.
func (l *raftLog) slice(lo, hi, maxBytes uint64) ([]Entry, error) {
	if lo < l.firstIndex() {
		return nil, ErrCompacted
	}
	if hi > l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: slice [%d, %d) past last index %d", lo, hi, l.lastIndex()))
	}
	if lo >= hi {
		return nil, nil
	}
	var ents []Entry
	if lo < l.offset {
		stored, err := l.storage.Entries(lo, min(hi, l.offset), maxBytes)
		if err != nil {
			return nil, err
		}
		// Storage may stop early at the size limit.
		if uint64(len(stored)) < min(hi, l.offset)-lo || hi <= l.offset {
			return stored, nil
		}
		ents = stored
	}
	if hi > l.offset {
		from := max(lo, l.offset)
		u := l.unstable[from-l.offset : hi-l.offset]
		if len(ents) == 0 {
			return LimitSize(u, maxBytes), nil
		}
		// Copy so that appending never writes into storage's slice.
		combined := make([]Entry, 0, len(ents)+len(u))
		combined = append(append(combined, ents...), u...)
		ents = LimitSize(combined, maxBytes)
	}
	return ents, nil
}

// findConflict returns the index of the first entry in ents whose term
// differs from ours at that index, or whose index is past our log. It
// returns 0 when every entry is already present.
func (l *raftLog) findConflict(ents []Entry) uint64 {
	for _, e := range ents {
		if !l.matchTerm(e.Index, e.Term) {
			return e.Index
		}
	}
	return 0
}

// maybeAppend appends the entries of an AppendEntriesRequest whose previous
// entry is (index, logTerm). It returns the index of the last entry that is
// now known to match the leader's log, and false if the consistency check
// fails.
func (l *raftLog) maybeAppend(index, logTerm uint64, ents []Entry) (lastNew uint64, ok bool) {
	if !l.matchTerm(index, logTerm) {
		return 0, false
	}
	lastNew = index + uint64(len(ents))
	if c := l.findConflict(ents); c != 0 {
		if c <= l.committed {
			panic(fmt.Sprintf("raft: entry %d conflicts with a committed entry (committed %d)", c, l.committed))
		}
		l.truncateAndAppend(ents[c-ents[0].Index:])
	}
	return lastNew, true
}

// append adds entries at the end of the log and returns the new last index.
func (l *raftLog) append(ents ...Entry) uint64 {
	if len(ents) == 0 {
		return l.lastIndex()
	}
	if ents[0].Index != l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: append at %d does not follow last index %d", ents[0].Index, l.lastIndex()))
	}
	l.truncateAndAppend(ents)
	return l.lastIndex()
}

// truncateAndAppend puts ents into the log, replacing any entries from
// ents[0].Index on.
func (l *raftLog) truncateAndAppend(ents []Entry) {
	if l.onAppend != nil {
		defer l.onAppend(ents)
	}
	at := ents[0].Index
	switch {
	case at == l.offset+uint64(len(l.unstable)):
		l.unstable = append(l.unstable, ents...)
	case at <= l.offset:
		// Replaces everything unstable and part of what storage holds: the
		// driver overwrites storage from at on when it persists.
		l.offset = at
		l.unstable = append([]Entry(nil), ents...)
	default:
		keep := l.unstable[:at-l.offset]
		l.unstable = append(append(make([]Entry, 0, len(keep)+len(ents)), keep...), ents...)
	}
}

// commitTo raises the commit index. The commit index never decreases and
// never passes the last entry.
func (l *raftLog) commitTo(tocommit uint64) bool {
	if tocommit <= l.committed {
		return false
	}
	if tocommit > l.lastIndex() {
		panic(fmt.Sprintf("raft: invariant commit <= lastIndex broken: commit %d, last index %d", tocommit, l.lastIndex()))
	}
	l.committed = tocommit
	return true
}

func (l *raftLog) appliedTo(i uint64) {
	if i < l.applied || i > l.committed {
		panic(fmt.Sprintf("raft: applied %d outside [%d, %d]", i, l.applied, l.committed))
	}
	l.applied = i
}

// nextCommitted returns the committed entries not yet handed to the
// application, within maxBytes.
func (l *raftLog) nextCommitted(maxBytes uint64) []Entry {
	lo := max(l.applied+1, l.firstIndex())
	if l.committed+1 <= lo {
		return nil
	}
	ents, err := l.slice(lo, l.committed+1, maxBytes)
	mustOK(err, "committed entries")
	return ents
}

func (l *raftLog) hasNextCommitted() bool {
	return l.committed > max(l.applied, l.firstIndex()-1)
}

// restore replaces the log by a snapshot from the leader.
func (l *raftLog) restore(s Snapshot) {
	l.committed = s.Metadata.Index
	l.unstableSnapshot = &s
	l.unstable = nil
	l.offset = s.Metadata.Index + 1
}

// stableTo records that the entries up to (index, term) are durable.
func (l *raftLog) stableTo(index, term uint64) {
	if index < l.offset || !l.matchTerm(index, term) {
		// A newer append replaced these entries; they are handed out again.
		return
	}
	n := index - l.offset + 1
	l.unstable = l.unstable[n:]
	l.offset = index + 1
	if len(l.unstable) == 0 {
		l.unstable = nil
	}
}

// stableSnapTo records that the unstable snapshot at index is durable.
func (l *raftLog) stableSnapTo(index uint64) {
	if l.unstableSnapshot != nil && l.unstableSnapshot.Metadata.Index == index {
		l.unstableSnapshot = nil
	}
}

// errIsMissing reports whether err means an entry is not in the log.
func errIsMissing(err error) bool {
	return errors.Is(err, ErrCompacted) || errors.Is(err, ErrUnavailable)
}

func (l *raftLog) snapshot() (Snapshot, error) {
	if l.unstableSnapshot != nil {
		return *l.unstableSnapshot, nil
	}
	return l.storage.Snapshot()
}
