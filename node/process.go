package node

import (
	"errors"
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// Process handles what the core has ready, one Ready at a time, up to
// Config.ReadyRoundsMax Readies: persist, then send, then apply, then
// advance (see the package documentation for why in that order). Then it
// snapshots the state machine if enough entries were applied since the
// last snapshot. A storage or state machine failure stops the node and is
// returned; so is every later call.
func (n *Node) Process() error {
	if err := n.check(); err != nil {
		return err
	}
	n.processing = true
	defer func() { n.processing = false }()
	for range n.cfg.ReadyRoundsMax {
		if !n.raft.HasReady() {
			return nil
		}
		if err := n.handleReady(n.raft.Ready()); err != nil {
			return n.stop(err)
		}
	}
	return nil
}

// handleReady runs one Ready through the four steps, then the snapshot
// policy.
func (n *Node) handleReady(rd raft.Ready) error {
	if err := SaveReady(n.st, rd); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	if len(rd.Messages) > 0 {
		n.tr.Send(rd.Messages)
	}
	if err := n.apply(rd); err != nil {
		return err
	}
	n.raft.Advance(rd)
	if rd.SoftState != nil {
		if o, ok := n.sm.(RoleObserver); ok {
			o.RoleChanged(*rd.SoftState)
		}
	}
	if o, ok := n.sm.(ReadObserver); ok {
		o.ReadsReady(rd.ReadStates, n.applied)
	}
	return n.maybeSnapshot()
}

// apply applies rd's snapshot, then its committed entries, in order.
func (n *Node) apply(rd raft.Ready) error {
	if !rd.Snapshot.IsEmpty() {
		idx := rd.Snapshot.Metadata.Index
		if err := n.sm.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("apply snapshot at %d: %w", idx, err)
		}
		n.applied = max(n.applied, idx)
		n.snapIndex = max(n.snapIndex, idx)
	}
	for _, e := range rd.CommittedEntries {
		if e.Index != n.applied+1 {
			panic(fmt.Sprintf("node %d: committed entry %d handed out after applied %d: entries must be applied without gaps",
				n.raft.ID(), e.Index, n.applied))
		}
		// A configuration entry is the core's business: it puts it in
		// effect itself. The state machine sees application data only.
		if e.Type == raft.EntryNormal && len(e.Data) > 0 {
			if err := n.sm.Apply(e); err != nil {
				return fmt.Errorf("apply entry %d of term %d: %w", e.Index, e.Term, err)
			}
		}
		n.applied = e.Index
	}
	return nil
}

// maybeSnapshot snapshots the state machine once SnapshotEveryEntries were
// applied since the last snapshot, and compacts the log, keeping
// LogKeepEntries behind the snapshot for followers that lag a little. The
// snapshot is synced before the compaction, so a crash can never leave
// compacted entries that no durable snapshot covers.
func (n *Node) maybeSnapshot() error {
	if n.applied-n.snapIndex < n.cfg.SnapshotEveryEntries {
		return nil
	}
	// The snapshot must carry the configuration in effect at its own
	// index, which may differ from the latest one. A node that joined a
	// running group does not know the configuration before the entry that
	// told it of the group: it snapshots once it has applied past that.
	cs, err := n.raft.ConfStateAt(n.applied)
	if errors.Is(err, raft.ErrConfUnknown) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configuration at %d: %w", n.applied, err)
	}
	data, err := n.sm.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot state machine at %d: %w", n.applied, err)
	}
	if _, err := n.st.CreateSnapshot(n.applied, cs, data); err != nil {
		return fmt.Errorf("create snapshot at %d: %w", n.applied, err)
	}
	if err := n.st.Sync(); err != nil {
		return fmt.Errorf("sync snapshot at %d: %w", n.applied, err)
	}
	n.snapIndex = n.applied
	if n.applied <= n.cfg.LogKeepEntries {
		return nil
	}
	compact := n.applied - n.cfg.LogKeepEntries
	first, err := n.st.FirstIndex()
	if err != nil {
		return fmt.Errorf("read first index: %w", err)
	}
	if compact < first {
		return nil
	}
	if err := n.st.Compact(compact); err != nil {
		return fmt.Errorf("compact log to %d: %w", compact, err)
	}
	return nil
}
