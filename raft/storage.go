package raft

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrCompacted is returned by Storage when an index is below the first
// index it still holds: the entry was compacted into a snapshot.
var ErrCompacted = errors.New("requested index is compacted")

// ErrUnavailable is returned by Storage when an index is above its last
// index.
var ErrUnavailable = errors.New("requested entry is not available")

// ErrSnapshotOutOfDate is returned when a snapshot older than the one held
// is applied or created.
var ErrSnapshotOutOfDate = errors.New("snapshot is older than the one held")

// ErrSnapshotTemporarilyUnavailable is returned by Storage.Snapshot when no
// snapshot can be produced now. The leader tries again later.
var ErrSnapshotTemporarilyUnavailable = errors.New("snapshot is temporarily unavailable")

// Storage is the durable state the core reads: the hard state, the
// membership, the log and the latest snapshot. The core never writes to it.
// The driver writes what a Ready hands out, and only then may it send that
// Ready's messages (see Ready).
//
// Index conventions: the entry at FirstIndex()-1 is the last entry of the
// snapshot, and Term of that index must still be answered.
type Storage interface {
	// InitialState returns the persisted hard state and membership.
	InitialState() (HardState, ConfState, error)
	// Entries returns the entries in [lo, hi), at least one entry if any,
	// and no more than maxBytes of them beyond the first.
	Entries(lo, hi, maxBytes uint64) ([]Entry, error)
	// Term returns the term of entry i, for i in [FirstIndex()-1, LastIndex()].
	Term(i uint64) (uint64, error)
	// LastIndex returns the index of the last entry held.
	LastIndex() (uint64, error)
	// FirstIndex returns the index of the first entry that was not
	// compacted into the snapshot.
	FirstIndex() (uint64, error)
	// Snapshot returns the most recent snapshot.
	Snapshot() (Snapshot, error)
}

// MemoryStorage is a Storage held in memory. It is safe for concurrent use.
// It is what tests and the simulator's disks build on; a process that must
// survive a crash uses a durable Storage.
type MemoryStorage struct {
	mu        sync.Mutex
	hardState HardState
	snapshot  Snapshot
	// ents[0] stands for the snapshot's last entry: only its Index and
	// Term are used. Real entries start at ents[1].
	ents []Entry
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{ents: make([]Entry, 1)}
}

// InitialState implements Storage.
func (ms *MemoryStorage) InitialState() (HardState, ConfState, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hardState, cloneConfState(ms.snapshot.Metadata.ConfState), nil
}

// SetHardState saves the hard state.
func (ms *MemoryStorage) SetHardState(hs HardState) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.hardState = hs
}

// SetConfState records the membership of a node that starts with no
// snapshot: it bootstraps a new group.
func (ms *MemoryStorage) SetConfState(cs ConfState) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.snapshot.Metadata.ConfState = cloneConfState(cs)
}

func (ms *MemoryStorage) offset() uint64 { return ms.ents[0].Index }

func (ms *MemoryStorage) lastIndex() uint64 { return ms.ents[0].Index + uint64(len(ms.ents)) - 1 }

// Entries implements Storage.
func (ms *MemoryStorage) Entries(lo, hi, maxBytes uint64) ([]Entry, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if lo <= ms.offset() {
		return nil, ErrCompacted
	}
	if hi > ms.lastIndex()+1 {
		return nil, fmt.Errorf("entries [%d, %d) beyond last index %d: %w", lo, hi, ms.lastIndex(), ErrUnavailable)
	}
	if lo >= hi {
		return nil, nil
	}
	ents := ms.ents[lo-ms.offset() : hi-ms.offset()]
	return slices.Clone(LimitSize(ents, maxBytes)), nil
}

// Term implements Storage.
func (ms *MemoryStorage) Term(i uint64) (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if i < ms.offset() {
		return 0, ErrCompacted
	}
	if i > ms.lastIndex() {
		return 0, ErrUnavailable
	}
	return ms.ents[i-ms.offset()].Term, nil
}

// LastIndex implements Storage.
func (ms *MemoryStorage) LastIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.lastIndex(), nil
}

// FirstIndex implements Storage.
func (ms *MemoryStorage) FirstIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.offset() + 1, nil
}

// Snapshot implements Storage.
func (ms *MemoryStorage) Snapshot() (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return cloneSnapshot(ms.snapshot), nil
}

// ApplySnapshot replaces the storage's contents with a snapshot received
// from the leader: the log is discarded up to and including its index.
func (ms *MemoryStorage) ApplySnapshot(snap Snapshot) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if snap.Metadata.Index <= ms.snapshot.Metadata.Index {
		return ErrSnapshotOutOfDate
	}
	ms.snapshot = cloneSnapshot(snap)
	ms.ents = []Entry{{Term: snap.Metadata.Term, Index: snap.Metadata.Index}}
	return nil
}

// CreateSnapshot records the application's state as of index i, which must
// be applied, with the membership cs. It does not compact the log; call
// Compact for that.
func (ms *MemoryStorage) CreateSnapshot(i uint64, cs ConfState, data []byte) (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if i <= ms.snapshot.Metadata.Index {
		return Snapshot{}, ErrSnapshotOutOfDate
	}
	if i > ms.lastIndex() {
		return Snapshot{}, fmt.Errorf("snapshot at %d beyond last index %d: %w", i, ms.lastIndex(), ErrUnavailable)
	}
	ms.snapshot = Snapshot{
		Metadata: SnapshotMetadata{Index: i, Term: ms.ents[i-ms.offset()].Term, ConfState: cloneConfState(cs)},
		Data:     slices.Clone(data),
	}
	return cloneSnapshot(ms.snapshot), nil
}

// Compact discards the entries before compactIndex. The application calls
// it after a snapshot covers them; compactIndex must not pass the last
// applied index.
func (ms *MemoryStorage) Compact(compactIndex uint64) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if compactIndex <= ms.offset() {
		return ErrCompacted
	}
	if compactIndex > ms.lastIndex() {
		return fmt.Errorf("compact %d beyond last index %d: %w", compactIndex, ms.lastIndex(), ErrUnavailable)
	}
	i := compactIndex - ms.offset()
	ents := make([]Entry, 1, uint64(len(ms.ents))-i)
	ents[0] = Entry{Index: ms.ents[i].Index, Term: ms.ents[i].Term}
	ms.ents = append(ents, ms.ents[i+1:]...)
	return nil
}

// Append saves entries. Entries that overlap ones already held replace them
// and everything after them; entries already compacted are skipped.
func (ms *MemoryStorage) Append(entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	first := ms.offset() + 1
	last := entries[len(entries)-1].Index
	if last < first {
		return nil
	}
	if first > entries[0].Index {
		entries = entries[first-entries[0].Index:]
	}
	at := entries[0].Index - ms.offset()
	if at > uint64(len(ms.ents)) {
		return fmt.Errorf("append at %d leaves a gap after last index %d", entries[0].Index, ms.lastIndex())
	}
	// Entries hands out copies, so nothing else shares ms.ents' array
	// and it can be overwritten in place.
	ms.ents = append(ms.ents[:at], entries...)
	return nil
}

// LimitSize returns the longest prefix of ents within maxBytes, and never
// less than one entry: what Storage.Entries must return for a size limit.
func LimitSize(ents []Entry, maxBytes uint64) []Entry {
	if len(ents) == 0 {
		return ents
	}
	size := ents[0].Size()
	for i := 1; i < len(ents); i++ {
		size += ents[i].Size()
		if size > maxBytes {
			return ents[:i]
		}
	}
	return ents
}

func cloneConfState(cs ConfState) ConfState {
	return ConfState{Voters: slices.Clone(cs.Voters), VotersOutgoing: slices.Clone(cs.VotersOutgoing),
		Learners: slices.Clone(cs.Learners), AutoLeave: cs.AutoLeave}
}

func cloneSnapshot(s Snapshot) Snapshot {
	s.Metadata.ConfState = cloneConfState(s.Metadata.ConfState)
	s.Data = slices.Clone(s.Data)
	return s
}
