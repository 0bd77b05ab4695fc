package storage

import (
	"fmt"
	"os"

	"github.com/raftcheck/raftcheck/raft"
)

// Append implements node.Storage: it replaces the log from
// entries[0].Index on. Entries already compacted are skipped. An entry too
// large for a record refuses the whole call before anything is written.
func (w *WAL) Append(entries []raft.Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	ents, err := w.log.live(entries)
	if err != nil {
		return err
	}
	recs := make([][]byte, len(ents))
	for i, e := range ents {
		recs[i] = frame(recEntry, encodeEntry(e))
		if len(recs[i]) > w.opts.RecordBytesMax {
			return fmt.Errorf("entry %d: %d bytes over RecordBytesMax %d: %w",
				e.Index, len(recs[i]), w.opts.RecordBytesMax, ErrRecordTooLarge)
		}
	}
	for i, rec := range recs {
		if err := w.writeRecord(rec); err != nil {
			return fmt.Errorf("append entry %d: %w", ents[i].Index, err)
		}
		w.active.maxIndex = max(w.active.maxIndex, ents[i].Index)
		// Memory follows record by record: a rotation between two records
		// writes a header that must describe the records before it.
		w.log.append(ents[i : i+1])
	}
	return nil
}

// SetHardState implements node.Storage.
func (w *WAL) SetHardState(hs raft.HardState) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.writeRecord(frame(recHardState, encodeHardState(hs))); err != nil {
		return fmt.Errorf("set hard state: %w", err)
	}
	w.hs = hs
	return nil
}

// ApplySnapshot implements node.Storage: the snapshot from the leader
// replaces the whole log. Unlike raft.MemoryStorage it also refuses a
// snapshot below the compact point, with raft.ErrSnapshotOutOfDate. The snapshot file is durable when it returns;
// the record that makes it current is durable after Sync.
func (w *WAL) ApplySnapshot(snap raft.Snapshot) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	// The compact point never moves back: segment deletion and replay
	// rely on entries at or below it never being written again.
	if snap.Metadata.Index <= w.snap.Metadata.Index || snap.Metadata.Index < w.log.offset() {
		return fmt.Errorf("apply snapshot at %d (held snapshot %d, compacted to %d): %w",
			snap.Metadata.Index, w.snap.Metadata.Index, w.log.offset(), raft.ErrSnapshotOutOfDate)
	}
	r := ref{snap.Metadata.Index, snap.Metadata.Term}
	if err := w.saveSnapshot(snap, true); err != nil {
		return fmt.Errorf("apply snapshot %d/%d: %w", r.index, r.term, err)
	}
	w.log = newMemLog(r)
	w.compact = max(w.compact, r.index)
	return nil
}

// CreateSnapshot implements node.Storage. It does not compact the log.
func (w *WAL) CreateSnapshot(i uint64, cs raft.ConfState, data []byte) (raft.Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return raft.Snapshot{}, err
	}
	if i <= w.snap.Metadata.Index {
		return raft.Snapshot{}, raft.ErrSnapshotOutOfDate
	}
	term, err := w.log.term(i)
	if err != nil {
		return raft.Snapshot{}, fmt.Errorf("create snapshot at %d (log [%d, %d]): %w",
			i, w.log.offset()+1, w.log.lastIndex(), err)
	}
	snap := cloneSnapshot(raft.Snapshot{
		Metadata: raft.SnapshotMetadata{Index: i, Term: term, ConfState: cs}, Data: data,
	})
	if err := w.saveSnapshot(snap, false); err != nil {
		return raft.Snapshot{}, fmt.Errorf("create snapshot %d/%d: %w", i, term, err)
	}
	return cloneSnapshot(snap), nil
}

// saveSnapshot writes the snapshot file, then the record naming it. The
// file goes first: a record must never name a file that may not exist.
func (w *WAL) saveSnapshot(snap raft.Snapshot, reset bool) error {
	r := ref{snap.Metadata.Index, snap.Metadata.Term}
	if err := w.writeSnapshot(snap); err != nil {
		return w.fail(err)
	}
	if err := w.writeRecord(frame(recSnapshot, encodeSnapshotRecord(snapshotRecord{ref: r, reset: reset}))); err != nil {
		return err
	}
	w.snap = cloneSnapshot(snap)
	w.refs = append(w.refs, r)
	return nil
}

// Compact implements node.Storage: entries up to and including i are
// discarded. Segments that held only such entries are deleted by the Sync
// that makes the compaction durable.
func (w *WAL) Compact(i uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if i <= w.log.offset() {
		return raft.ErrCompacted
	}
	term, err := w.log.term(i)
	if err != nil {
		return fmt.Errorf("compact %d beyond last index %d: %w", i, w.log.lastIndex(), err)
	}
	if err := w.writeRecord(frame(recCompact, encodeRef(ref{i, term}))); err != nil {
		return fmt.Errorf("compact %d: %w", i, err)
	}
	w.log.compactTo(ref{i, term})
	w.compact = max(w.compact, i)
	return nil
}

// Sync implements node.Storage: one fsync makes every write since the
// last Sync durable. Then files that durable state no longer needs are
// removed.
func (w *WAL) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.sync()
}

func (w *WAL) sync() error {
	if !w.active.dirty {
		return nil
	}
	if err := w.active.flush(); err != nil {
		return w.fail(err)
	}
	if err := w.fsync(w.active.f); err != nil {
		return w.fail(fmt.Errorf("sync %s: %w", w.active.f.Name(), err))
	}
	w.active.dirty = false
	w.compactDurable = w.compact
	w.refsDurable = len(w.refs)
	return w.fail(w.purge())
}

// fail makes an I/O error sticky. After a failed write or fsync the
// kernel may have dropped the dirty pages, and a later fsync that
// succeeds would not bring them back; so no later call may report
// success. Open recovers from the files.
func (w *WAL) fail(err error) error {
	if err != nil && w.failed == nil {
		w.failed = fmt.Errorf("%w: %w", ErrFailed, err)
	}
	if err != nil {
		return w.failed
	}
	return nil
}

// usable returns why no call may go ahead, or nil.
func (w *WAL) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.failed
}

// writeRecord buffers rec in the active segment, rotating first if rec
// would take the segment past SegmentBytesMax.
func (w *WAL) writeRecord(rec []byte) error {
	if w.active.size+int64(len(rec)) > w.opts.SegmentBytesMax && w.active.records > 1 {
		if err := w.rotate(); err != nil {
			return w.fail(err)
		}
	}
	return w.fail(w.active.write(rec))
}

// rotate seals the active segment and starts the next. The sealed segment
// is fsynced first: only the last segment may have a torn tail, so no
// later segment may reach the disk before an earlier one is whole.
func (w *WAL) rotate() error {
	old := w.active
	if err := old.flush(); err != nil {
		return err
	}
	if err := w.fsync(old.f); err != nil {
		return fmt.Errorf("sync %s: %w", old.f.Name(), err)
	}
	// Everything written so far is durable now.
	w.compactDurable, w.refsDurable = w.compact, len(w.refs)
	if err := old.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", old.f.Name(), err)
	}
	w.sealed = append(w.sealed, sealedSegment{seq: old.seq, maxIndex: old.maxIndex})
	return w.startSegment()
}

// startSegment creates the next segment and writes its header: the state
// of the log now, which is what replay needs once the segments before are
// gone. The directory is synced so the new file survives a crash.
func (w *WAL) startSegment() error {
	seq := uint64(1)
	if w.active != nil {
		seq = w.active.seq + 1
	} else if n := len(w.sealed); n > 0 {
		seq = w.sealed[n-1].seq + 1
	}
	s, err := createSegment(w.dir, seq)
	if err != nil {
		return err
	}
	w.active = s
	if err := s.write(frame(recHeader, encodeHeader(w.header(seq)))); err != nil {
		return err
	}
	return w.syncDir()
}

func (w *WAL) header(seq uint64) header {
	return header{seq: seq, hs: w.hs, snap: ref{w.snap.Metadata.Index, w.snap.Metadata.Term},
		compact: w.log.dummy(), last: w.log.last()}
}

// purge removes sealed segments whose every entry is at or below the
// durable compact point, oldest first so a crash midway leaves a prefix
// removed; and snapshot files older than the previous durable one (one
// older snapshot is kept for a fallback should the newest be damaged).
func (w *WAL) purge() error {
	n := 0
	for n < len(w.sealed) && w.sealed[n].maxIndex <= w.compactDurable {
		if err := os.Remove(w.segmentPath(w.sealed[n].seq)); err != nil {
			return fmt.Errorf("remove compacted segment: %w", err)
		}
		n++
	}
	w.sealed = w.sealed[n:]
	w.stats.SegmentsDeleted += uint64(n)
	// Only when a new snapshot became durable: listing the directory on
	// every Sync would cost every Ready a few syscalls.
	if w.refsDurable >= 2 && w.refsDurable != w.refsPurged {
		w.refsPurged = w.refsDurable
		return w.removeSnapshotsBelow(w.refs[w.refsDurable-2].index)
	}
	return nil
}
