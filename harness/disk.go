package harness

import (
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// disk is a node's simulated disk. Reads see every write, as a page cache
// would; only synced writes survive a crash. It implements node.Storage.
type disk struct {
	*raft.MemoryStorage // what reads see
	durable             *raft.MemoryStorage
	unsynced            []func(*raft.MemoryStorage) error
}

func newDisk() *disk {
	return &disk{MemoryStorage: raft.NewMemoryStorage(), durable: raft.NewMemoryStorage()}
}

// write applies op to what reads see and remembers it until the next Sync.
func (d *disk) write(op func(*raft.MemoryStorage) error) error {
	if err := op(d.MemoryStorage); err != nil {
		return err
	}
	d.unsynced = append(d.unsynced, op)
	return nil
}

// ApplySnapshot implements node.Storage.
func (d *disk) ApplySnapshot(s raft.Snapshot) error {
	return d.write(func(m *raft.MemoryStorage) error { return m.ApplySnapshot(s) })
}

// Append implements node.Storage.
func (d *disk) Append(ents []raft.Entry) error {
	return d.write(func(m *raft.MemoryStorage) error { return m.Append(ents) })
}

// SetHardState implements node.Storage.
func (d *disk) SetHardState(hs raft.HardState) error {
	return d.write(func(m *raft.MemoryStorage) error { m.SetHardState(hs); return nil })
}

// CreateSnapshot implements node.Storage.
func (d *disk) CreateSnapshot(i uint64, cs raft.ConfState, data []byte) (raft.Snapshot, error) {
	snap, err := d.MemoryStorage.CreateSnapshot(i, cs, data)
	if err != nil {
		return snap, err
	}
	d.unsynced = append(d.unsynced, func(m *raft.MemoryStorage) error {
		_, err := m.CreateSnapshot(i, cs, data)
		return err
	})
	return snap, nil
}

// Compact implements node.Storage.
func (d *disk) Compact(i uint64) error {
	return d.write(func(m *raft.MemoryStorage) error { return m.Compact(i) })
}

// Sync implements node.Storage: the writes so far become durable.
func (d *disk) Sync() error {
	for _, op := range d.unsynced {
		if err := op(d.durable); err != nil {
			return fmt.Errorf("sim disk: replaying a synced write: %w", err)
		}
	}
	d.unsynced = d.unsynced[:0]
	return nil
}

// crash drops every write that was not synced: after it, reads see only
// the durable state.
func (d *disk) crash() error {
	d.unsynced = nil
	live := raft.NewMemoryStorage()
	snap, err := d.durable.Snapshot()
	if err != nil {
		return err
	}
	if !snap.IsEmpty() {
		if err := live.ApplySnapshot(snap); err != nil {
			return err
		}
	}
	first, _ := d.durable.FirstIndex()
	last, _ := d.durable.LastIndex()
	if last >= first {
		ents, err := d.durable.Entries(first, last+1, ^uint64(0))
		if err != nil {
			return err
		}
		if err := live.Append(ents); err != nil {
			return err
		}
	}
	hs, _, _ := d.durable.InitialState()
	live.SetHardState(hs)
	d.MemoryStorage = live
	return nil
}
