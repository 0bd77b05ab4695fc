package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/raftcheck/raftcheck/raft"
)

// recover replays the segments in dir into w, truncating a torn tail of
// the last one, and loads the current snapshot.
func (w *WAL) recover() error {
	seqs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	for i, seq := range seqs {
		// Segments are deleted only as a prefix; a hole means a lost file,
		// and the entries in it may have been committed.
		if i > 0 && seq != seqs[i-1]+1 {
			return fmt.Errorf("%w: segment %s is missing", ErrCorrupt, w.segmentPath(seqs[i-1]+1))
		}
		last := i == len(seqs)-1
		if err := w.replaySegment(seq, i == 0, last); err != nil {
			return err
		}
	}
	if off := w.log.offset(); off < w.gapEnd {
		return fmt.Errorf("%w: entries (%d, %d] were in deleted segments and no compact point covers them",
			ErrCorrupt, off, w.gapEnd)
	}
	w.compactDurable, w.refsDurable = w.compact, len(w.refs)
	return w.loadSnapshot()
}

// replaySegment applies one segment's records. first says the segments
// before it, if any, were deleted; last that it may have a torn tail.
func (w *WAL) replaySegment(seq uint64, first, last bool) error {
	path := w.segmentPath(seq)
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read segment: %w", err)
	}
	res, err := scanSegment(path, buf, last)
	if err != nil {
		return err
	}
	if res.tornAt >= 0 {
		if err := w.truncateTorn(path, res.tornAt, int64(len(buf))); err != nil {
			return err
		}
	}
	if len(res.records) == 0 && !last {
		return fmt.Errorf("%w: %s at byte offset 0: segment without a header before the last one", ErrCorrupt, path)
	}
	if len(res.records) == 0 {
		// Only a segment whose header was torn can be empty, and only the
		// last one: remove it so the new segment takes its place.
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove empty segment: %w", err)
		}
		return nil
	}
	seg := sealedSegment{seq: seq}
	for i, rec := range res.records {
		if err := w.replayRecord(rec, i, seq, first, &seg); err != nil {
			return fmt.Errorf("%w: %s at byte offset %d: %w", ErrCorrupt, path, rec.offset, err)
		}
	}
	w.sealed = append(w.sealed, seg)
	w.recovery.Segments++
	w.recovery.Records += len(res.records)
	return nil
}

// truncateTorn cuts the torn tail and makes the cut durable before
// anything new is written after it.
func (w *WAL) truncateTorn(path string, at, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open torn segment: %w", err)
	}
	err = f.Truncate(at)
	if err == nil {
		err = w.fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("truncate torn tail of %s at %d: %w", path, at, err)
	}
	w.recovery.TornFile, w.recovery.TornOffset, w.recovery.TornBytes = path, at, size-at
	w.logf("storage: truncated torn tail of %s at byte offset %d (%d bytes)", path, at, size-at)
	return nil
}

func (w *WAL) replayRecord(rec rawRecord, i int, seq uint64, first bool, seg *sealedSegment) error {
	if (i == 0) != (rec.typ == recHeader) {
		return fmt.Errorf("record type %d at position %d: a header must come first and only first", rec.typ, i)
	}
	switch rec.typ {
	case recHeader:
		h, err := decodeHeader(rec.payload)
		if err != nil {
			return fmt.Errorf("header: %w", err)
		}
		return w.replayHeader(h, seq, first)
	case recEntry:
		e, err := decodeEntry(rec.payload)
		if err != nil {
			return fmt.Errorf("entry: %w", err)
		}
		seg.maxIndex = max(seg.maxIndex, e.Index)
		return w.replayEntry(e)
	case recHardState:
		hs, err := decodeHardState(rec.payload)
		w.hs = hs
		return err
	case recCompact:
		c, err := decodeRef(rec.payload)
		if err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		w.log.compactTo(c)
		w.compact = max(w.compact, c.index)
		return nil
	default: // recSnapshot: scanSegment lets no other type through.
		s, err := decodeSnapshotRecord(rec.payload)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		w.replaySnapshotRef(s)
		return nil
	}
}

// replayHeader starts the replay from the first segment's header, or
// checks a later header against the state replayed so far: the two must
// agree, as both describe the log at the same moment.
func (w *WAL) replayHeader(h header, seq uint64, first bool) error {
	if h.seq != seq {
		return fmt.Errorf("header of segment %d found in segment %d", h.seq, seq)
	}
	if first {
		w.hs = h.hs
		w.startGap(h)
		w.snap.Metadata.Index, w.snap.Metadata.Term = h.snap.index, h.snap.term
		if h.snap.index > 0 {
			w.refs = append(w.refs, h.snap)
		}
		return nil
	}
	want := w.header(seq)
	if h != want {
		return fmt.Errorf("header %+v disagrees with the replayed log %+v", h, want)
	}
	return nil
}

// startGap starts the log from the first kept segment's header h. The
// entries after h.compact up to h.last were in deleted segments. That is
// safe only because a durable compact point at or past h.last allowed the
// deletion, and its record is replayed later (or is h.compact itself).
// Until then placeholders stand for those entries, so that entry records
// that replace some of them truncate the log just as they did when
// written. The terms of the placeholders are unknown, but for the last;
// recover checks that none survives the replay.
func (w *WAL) startGap(h header) {
	w.log = newMemLog(h.compact)
	w.compact = h.compact.index
	w.gapEnd = h.last.index
	for i := h.compact.index + 1; i <= h.last.index; i++ {
		e := raft.Entry{Index: i}
		if i == h.last.index {
			e.Term = h.last.term
		}
		w.log.ents = append(w.log.ents, e)
	}
}

func (w *WAL) replayEntry(e raft.Entry) error {
	ents, err := w.log.live([]raft.Entry{e})
	if err != nil {
		return err
	}
	w.log.append(ents)
	return nil
}

func (w *WAL) replaySnapshotRef(s snapshotRecord) {
	w.refs = append(w.refs, s.ref)
	w.snap.Metadata.Index, w.snap.Metadata.Term = s.index, s.term
	if s.reset {
		w.log = newMemLog(s.ref)
		w.compact = max(w.compact, s.index)
	}
}

// loadSnapshot reads the newest snapshot the log names. If its file is
// damaged, an older named one is used if the log still holds every entry
// after it; otherwise Open fails, as the state it would need is gone.
func (w *WAL) loadSnapshot() error {
	w.snap = raft.Snapshot{}
	var firstErr error
	for i := len(w.refs) - 1; i >= 0; i-- {
		r := w.refs[i]
		s, err := readSnapshot(w.dir, r)
		if err == nil && (i == len(w.refs)-1 || w.logCovers(r)) {
			w.snap = s
			return nil
		}
		if firstErr != nil {
			continue
		}
		firstErr = err
		w.recovery.SnapshotFallback = filepath.Join(w.dir, snapshotName(r))
		w.logf("storage: snapshot %s unusable: %v", w.recovery.SnapshotFallback, err)
	}
	if firstErr != nil {
		return fmt.Errorf("no usable snapshot: %w", firstErr)
	}
	return nil
}

// logCovers reports whether an older snapshot r can stand in for a newer
// one: the log must still hold r's entry and every entry after it.
func (w *WAL) logCovers(r ref) bool {
	t, err := w.log.term(r.index)
	return err == nil && t == r.term
}
