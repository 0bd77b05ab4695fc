package storage

import (
	"fmt"
	"slices"

	"github.com/raftcheck/raftcheck/raft"
)

// memLog is the in-memory copy of the live log, with the semantics of
// raft.MemoryStorage: ents[0] stands for the last compacted entry (only
// its Index and Term count), real entries start at ents[1].
type memLog struct {
	ents []raft.Entry
}

func newMemLog(dummy ref) memLog {
	return memLog{ents: []raft.Entry{{Index: dummy.index, Term: dummy.term}}}
}

func (l *memLog) offset() uint64 { return l.ents[0].Index }

func (l *memLog) lastIndex() uint64 { return l.offset() + uint64(len(l.ents)) - 1 }

func (l *memLog) last() ref {
	e := l.ents[len(l.ents)-1]
	return ref{e.Index, e.Term}
}

func (l *memLog) dummy() ref { return ref{l.ents[0].Index, l.ents[0].Term} }

func (l *memLog) term(i uint64) (uint64, error) {
	if i < l.offset() {
		return 0, raft.ErrCompacted
	}
	if i > l.lastIndex() {
		return 0, raft.ErrUnavailable
	}
	return l.ents[i-l.offset()].Term, nil
}

func (l *memLog) entries(lo, hi, maxBytes uint64) ([]raft.Entry, error) {
	if lo <= l.offset() {
		return nil, raft.ErrCompacted
	}
	if hi > l.lastIndex()+1 {
		return nil, fmt.Errorf("entries [%d, %d) beyond last index %d: %w", lo, hi, l.lastIndex(), raft.ErrUnavailable)
	}
	if lo >= hi {
		return nil, nil
	}
	return slices.Clone(raft.LimitSize(l.ents[lo-l.offset():hi-l.offset()], maxBytes)), nil
}

// live returns the part of ents not yet compacted, or an error if ents
// would leave a gap after the last entry or are not consecutive.
func (l *memLog) live(ents []raft.Entry) ([]raft.Entry, error) {
	for i := 1; i < len(ents); i++ {
		if ents[i].Index != ents[i-1].Index+1 {
			return nil, fmt.Errorf("entries not consecutive: %d after %d", ents[i].Index, ents[i-1].Index)
		}
	}
	if len(ents) == 0 || ents[len(ents)-1].Index <= l.offset() {
		return nil, nil
	}
	if first := l.offset() + 1; ents[0].Index < first {
		ents = ents[first-ents[0].Index:]
	}
	if ents[0].Index > l.lastIndex()+1 {
		return nil, fmt.Errorf("append at %d leaves a gap after last index %d", ents[0].Index, l.lastIndex())
	}
	return ents, nil
}

// append replaces the log from ents[0].Index on; ents come from live.
func (l *memLog) append(ents []raft.Entry) {
	if len(ents) == 0 {
		return
	}
	at := ents[0].Index - l.offset()
	// Entries hands out copies, so no reader shares the array.
	l.ents = append(l.ents[:at], ents...)
}

// compactTo makes c the last compacted entry, keeping the entries after
// it. It is lenient (c may lie beyond the last entry) because replay may
// meet a compact point before the entries it skipped past.
func (l *memLog) compactTo(c ref) {
	var rest []raft.Entry
	if c.index < l.lastIndex() && c.index >= l.offset() {
		rest = l.ents[c.index-l.offset()+1:]
	}
	ents := make([]raft.Entry, 1, 1+len(rest))
	ents[0] = raft.Entry{Index: c.index, Term: c.term}
	l.ents = append(ents, rest...)
}
