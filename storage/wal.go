package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/raftcheck/raftcheck/raft"
)

// Defaults for the limits of Options.
const (
	// DefaultSegmentBytesMax is the size at which a segment is closed and
	// the next one started.
	DefaultSegmentBytesMax = 64 << 20
	// DefaultRecordBytesMax bounds one entry's record; a bigger entry is
	// refused.
	DefaultRecordBytesMax = 16 << 20
)

// ErrCorrupt is wrapped by every error about damaged files that recovery
// may not repair.
var ErrCorrupt = errors.New("storage corrupt")

// ErrRecordTooLarge is returned by Append for an entry whose record would
// exceed Options.RecordBytesMax. Nothing is written.
var ErrRecordTooLarge = errors.New("record too large")

// ErrClosed is returned by every call after Close.
var ErrClosed = errors.New("storage closed")

// ErrLocked is returned by Open when another WAL holds the directory.
var ErrLocked = errors.New("storage directory in use")

// ErrFailed is wrapped by every error after a write or fsync failed: the
// WAL refuses all later calls, as it cannot know what reached the disk.
// Reopen it to recover.
var ErrFailed = errors.New("storage failed")

// Options configures a WAL. The zero value takes the defaults.
type Options struct {
	// SegmentBytesMax is the size at which a segment is rotated. A record
	// larger than it gets a segment of its own.
	SegmentBytesMax int64
	// RecordBytesMax bounds the framed size of one record.
	RecordBytesMax int
	// Logf, if set, is told of repairs made by Open.
	Logf func(format string, args ...any)

	// syncFile, if set, replaces (*os.File).Sync: tests inject failures.
	syncFile func(*os.File) error
}

func (o Options) withDefaults() Options {
	if o.SegmentBytesMax <= 0 {
		o.SegmentBytesMax = DefaultSegmentBytesMax
	}
	if o.RecordBytesMax <= 0 {
		o.RecordBytesMax = DefaultRecordBytesMax
	}
	return o
}

// Recovery reports what Open found and repaired.
type Recovery struct {
	// Segments and Records count what was replayed.
	Segments, Records int
	// TornFile is the segment whose torn tail was truncated, or "".
	TornFile string
	// TornOffset is where the torn tail began; TornBytes how many bytes
	// were cut.
	TornOffset, TornBytes int64
	// SnapshotFallback names the corrupt snapshot file that was passed
	// over for an older one, or "".
	SnapshotFallback string
}

// Stats counts the WAL's work since Open.
type Stats struct {
	// Fsyncs counts fsyncs of files and of the directory.
	Fsyncs uint64
	// SegmentsDeleted counts segments removed after compaction.
	SegmentsDeleted uint64
}

// WAL is a durable node.Storage kept in a directory. It is safe for
// concurrent use.
type WAL struct {
	mu   sync.Mutex
	dir  string
	opts Options

	hs   raft.HardState
	snap raft.Snapshot
	log  memLog
	// refs are the snapshots named by the log, oldest first; refsDurable
	// how many of them were synced.
	refs        []ref
	refsDurable int
	// refsPurged is refsDurable when old snapshot files were last removed.
	refsPurged int
	// compact is the highest compact point written; compactDurable the
	// highest synced. Segments wholly at or below compactDurable go.
	compact, compactDurable uint64
	// gapEnd is the last entry that replay knew only from a header; see
	// startGap.
	gapEnd uint64

	active *segmentWriter
	// sealed are the closed segments, oldest first.
	sealed []sealedSegment

	recovery Recovery
	stats    Stats
	closed   bool
	// failed is the sticky error of a failed write; see fail.
	failed error
	// lock holds the directory's lock until Close.
	lock *os.File
}

type sealedSegment struct{ seq, maxIndex uint64 }

// Open opens the storage in dir, creating dir if needed, and recovers it:
// see the package documentation.
func Open(dir string, opts Options) (*WAL, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	w := &WAL{dir: dir, opts: opts.withDefaults(), log: newMemLog(ref{}), lock: lock}
	err = w.recover()
	if err == nil {
		err = w.startSegment()
	}
	if err != nil {
		w.unlock()
		return nil, fmt.Errorf("open storage %s: %w", dir, err)
	}
	return w, nil
}

func (w *WAL) unlock() {
	if w.lock != nil {
		w.lock.Close() // closing the file releases the flock
	}
}

// Recovery returns what Open found and repaired.
func (w *WAL) Recovery() Recovery { return w.recovery }

// Stats returns the counters since Open.
func (w *WAL) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *WAL) logf(format string, args ...any) {
	if w.opts.Logf != nil {
		w.opts.Logf(format, args...)
	}
}

// InitialState implements raft.Storage.
func (w *WAL) InitialState() (raft.HardState, raft.ConfState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cs := w.snap.Metadata.ConfState
	return w.hs, cloneConf(cs), nil
}

// Entries implements raft.Storage.
func (w *WAL) Entries(lo, hi, maxBytes uint64) ([]raft.Entry, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.entries(lo, hi, maxBytes)
}

// Term implements raft.Storage.
func (w *WAL) Term(i uint64) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.term(i)
}

// LastIndex implements raft.Storage.
func (w *WAL) LastIndex() (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.lastIndex(), nil
}

// FirstIndex implements raft.Storage.
func (w *WAL) FirstIndex() (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.offset() + 1, nil
}

// Snapshot implements raft.Storage.
func (w *WAL) Snapshot() (raft.Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return cloneSnapshot(w.snap), nil
}

func cloneSnapshot(s raft.Snapshot) raft.Snapshot {
	cs := s.Metadata.ConfState
	s.Metadata.ConfState = cloneConf(cs)
	s.Data = slices.Clone(s.Data)
	return s
}

// Close syncs and closes the storage.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	err := w.failed
	if err == nil {
		err = w.sync()
	}
	if cerr := w.active.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close storage: %w", cerr)
	}
	w.closed = true
	w.unlock()
	return err
}

func (w *WAL) fsync(f *os.File) error {
	w.stats.Fsyncs++
	if w.opts.syncFile != nil {
		return w.opts.syncFile(f)
	}
	return f.Sync()
}

// syncDir makes creations, renames and removals in the directory durable.
func (w *WAL) syncDir() error {
	d, err := os.Open(w.dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	err = w.fsync(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", w.dir, err)
	}
	return nil
}

func (w *WAL) segmentPath(seq uint64) string { return filepath.Join(w.dir, segmentName(seq)) }

func cloneConf(cs raft.ConfState) raft.ConfState {
	return raft.ConfState{Voters: slices.Clone(cs.Voters), VotersOutgoing: slices.Clone(cs.VotersOutgoing),
		Learners: slices.Clone(cs.Learners), AutoLeave: cs.AutoLeave}
}
