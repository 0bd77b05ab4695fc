package node

import (
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// Storage is the durable state of a node: what the core reads (raft.Storage)
// and the write side the driver uses. Writes may be buffered until Sync; a
// crash may lose anything written since the last successful Sync, and
// nothing before it. An error from any method is a storage failure: the
// Node stops.
type Storage interface {
	raft.Storage
	// ApplySnapshot replaces the log with a snapshot received from the
	// leader.
	ApplySnapshot(snap raft.Snapshot) error
	// Append saves entries, replacing any held entries from entries[0].Index
	// on.
	Append(entries []raft.Entry) error
	// SetHardState saves the hard state.
	SetHardState(hs raft.HardState) error
	// CreateSnapshot records the application's state as of applied index i.
	CreateSnapshot(i uint64, cs raft.ConfState, data []byte) (raft.Snapshot, error)
	// Compact discards the entries up to and including index i, which a
	// snapshot must cover.
	Compact(i uint64) error
	// Sync makes every write so far durable.
	Sync() error
}

// SaveReady persists what rd asks to persist: first its snapshot, then its
// entries, then its hard state (whose commit index may refer to those
// entries), and syncs if rd.MustSync(). It does nothing for a Ready with
// nothing to persist.
func SaveReady(st Storage, rd raft.Ready) error {
	if !rd.Snapshot.IsEmpty() {
		if err := st.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("save snapshot at %d: %w", rd.Snapshot.Metadata.Index, err)
		}
	}
	if len(rd.Entries) > 0 {
		if err := st.Append(rd.Entries); err != nil {
			return fmt.Errorf("append entries [%d, %d]: %w",
				rd.Entries[0].Index, rd.Entries[len(rd.Entries)-1].Index, err)
		}
	}
	if !rd.HardState.IsEmpty() {
		if err := st.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("save hard state %+v: %w", rd.HardState, err)
		}
	}
	if rd.MustSync() {
		if err := st.Sync(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	return nil
}

// MemoryStorage is a Storage held in memory, built on raft.MemoryStorage.
// Every write is "durable" at once and Sync does nothing, so it survives a
// simulated crash only as long as the caller keeps it. Tests and the
// simulator's disks build on it.
type MemoryStorage struct {
	*raft.MemoryStorage
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{MemoryStorage: raft.NewMemoryStorage()}
}

// SetHardState implements Storage.
func (ms *MemoryStorage) SetHardState(hs raft.HardState) error {
	ms.MemoryStorage.SetHardState(hs)
	return nil
}

// Sync implements Storage; memory needs no sync.
func (ms *MemoryStorage) Sync() error { return nil }
