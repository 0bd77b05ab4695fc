package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// writeFive leaves a closed storage whose only segment ends with entry 5.
func writeFive(t *testing.T) (dir, seg string) {
	t.Helper()
	dir = t.TempDir()
	w := open(t, dir, Options{})
	require.NoError(t, w.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: 3}))
	require.NoError(t, w.Append(ents(1, 4, 1)))
	require.NoError(t, w.Append([]raft.Entry{{Index: 5, Term: 1, Data: []byte(strings.Repeat("last", 10))}}))
	require.NoError(t, w.Close())
	paths := segments(t, dir)
	require.Len(t, paths, 1)
	return dir, paths[0]
}

func TestCutInsideTheLastRecordIsRepairedAtEveryOffset(t *testing.T) {
	dir, seg := writeFive(t)
	offs := recordOffsets(t, seg)
	start, end := offs[len(offs)-1], fileSize(t, seg)
	for cut := start; cut < end; cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			d := copyDir(t, dir)
			p := filepath.Join(d, filepath.Base(seg))
			require.NoError(t, os.Truncate(p, cut))
			var logged []string
			w, err := Open(d, Options{Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }})
			require.NoError(t, err)
			defer w.Close()
			assert.Equal(t, ents(1, 4, 1), allEntries(t, w))
			hs, _, _ := w.InitialState()
			assert.Equal(t, raft.HardState{Term: 1, Vote: 1, Commit: 3}, hs)
			rec := w.Recovery()
			if cut == start { // the record is wholly gone: a clean end
				assert.Empty(t, rec.TornFile)
				return
			}
			assert.Equal(t, p, rec.TornFile)
			assert.Equal(t, start, rec.TornOffset)
			assert.Equal(t, cut-start, rec.TornBytes)
			assert.Len(t, logged, 1)
			assert.Equal(t, start, fileSize(t, p), "the torn tail is cut from the file")
		})
	}
}

// The repair is itself durable and leaves a log that takes new entries
// and reopens cleanly.
func TestRepairedLogTakesNewEntriesAndReopensClean(t *testing.T) {
	dir, seg := writeFive(t)
	require.NoError(t, os.Truncate(seg, fileSize(t, seg)-3))
	w := open(t, dir, Options{})
	require.NotEmpty(t, w.Recovery().TornFile)
	require.NoError(t, w.Append(ents(5, 6, 2)))
	require.NoError(t, w.Close())
	w = open(t, dir, Options{})
	defer w.Close()
	assert.Empty(t, w.Recovery().TornFile)
	assert.Equal(t, append(ents(1, 4, 1), ents(5, 6, 2)...), allEntries(t, w))
}

func flipBit(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[off] ^= 0x10
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func TestFlippedBitInAnEarlierRecordStopsOpenNamingFileAndOffset(t *testing.T) {
	dir, seg := writeFive(t)
	offs := recordOffsets(t, seg)
	for i := 0; i < len(offs)-1; i++ {
		t.Run(fmt.Sprint("record", i), func(t *testing.T) {
			d := copyDir(t, dir)
			p := filepath.Join(d, filepath.Base(seg))
			mid := (offs[i] + offs[i+1]) / 2
			flipBit(t, p, mid)
			_, err := Open(d, Options{})
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), p)
			assert.Contains(t, err.Error(), fmt.Sprintf("byte offset %d", offs[i]))
		})
	}
}

func TestFlippedBitInTheLastRecordIsATornTail(t *testing.T) {
	dir, seg := writeFive(t)
	offs := recordOffsets(t, seg)
	last := offs[len(offs)-1]
	flipBit(t, seg, (last+fileSize(t, seg))/2)
	w := open(t, dir, Options{})
	defer w.Close()
	assert.Equal(t, ents(1, 4, 1), allEntries(t, w))
	assert.Equal(t, last, w.Recovery().TornOffset)
}

func TestZeroFilledTailIsATornTail(t *testing.T) {
	dir, seg := writeFive(t)
	size := fileSize(t, seg)
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 100))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	w := open(t, dir, Options{})
	defer w.Close()
	assert.Len(t, allEntries(t, w), 5)
	assert.Equal(t, size, w.Recovery().TornOffset)
}

// Only the last segment may be torn: a bad last record in an earlier
// segment may be followed by committed entries in the next.
func TestBadLastRecordOfAnEarlierSegmentIsCorruption(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{SegmentBytesMax: 200})
	require.NoError(t, w.Append(ents(1, 20, 1)))
	require.NoError(t, w.Close())
	paths := segments(t, dir)
	require.Greater(t, len(paths), 2)
	p := paths[0]
	offs := recordOffsets(t, p)
	flipBit(t, p, (offs[len(offs)-1]+fileSize(t, p))/2)
	_, err := Open(dir, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), fmt.Sprintf("%s at byte offset %d", p, offs[len(offs)-1]))
}

// snapshotsAt5And8 leaves a storage with snapshots at 5 and 8 and the log
// compacted to compact (0 for none).
func snapshotsAt5And8(t *testing.T, compact uint64) (dir, snap8 string) {
	t.Helper()
	dir = t.TempDir()
	w := open(t, dir, Options{})
	require.NoError(t, w.Append(ents(1, 10, 1)))
	cs := raft.ConfState{Voters: []uint64{1}}
	_, err := w.CreateSnapshot(5, cs, []byte("s5"))
	require.NoError(t, err)
	_, err = w.CreateSnapshot(8, cs, []byte("s8"))
	require.NoError(t, err)
	if compact > 0 {
		require.NoError(t, w.Compact(compact))
	}
	require.NoError(t, w.Close())
	return dir, filepath.Join(dir, snapshotName(ref{8, 1}))
}

func TestCorruptSnapshotFallsBackToThePreviousOneTheLogCovers(t *testing.T) {
	dir, snap8 := snapshotsAt5And8(t, 4)
	flipBit(t, snap8, 20)
	w := open(t, dir, Options{})
	defer w.Close()
	s, _ := w.Snapshot()
	assert.Equal(t, uint64(5), s.Metadata.Index)
	assert.Equal(t, []byte("s5"), s.Data)
	assert.Equal(t, snap8, w.Recovery().SnapshotFallback)
	assert.Equal(t, ents(5, 10, 1), allEntries(t, w))
}

func TestCorruptSnapshotWithoutACoveredPredecessorStopsOpen(t *testing.T) {
	dir, snap8 := snapshotsAt5And8(t, 7)
	flipBit(t, snap8, 20)
	_, err := Open(dir, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), snap8)
}

func TestTruncatedSnapshotFileIsDetected(t *testing.T) {
	dir, snap8 := snapshotsAt5And8(t, 7)
	require.NoError(t, os.Truncate(snap8, fileSize(t, snap8)-1))
	_, err := Open(dir, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "checksum")
}

// A crash while a segment is created can leave it empty; it is the last
// one, and Open removes it. An empty segment before the last is damage.
func TestEmptySegmentIsRemovedOnlyIfLast(t *testing.T) {
	dir, seg := writeFive(t)
	empty := filepath.Join(dir, segmentName(2))
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	w := open(t, dir, Options{})
	assert.Len(t, allEntries(t, w), 5)
	require.NoError(t, w.Close())

	d := copyDir(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(d, filepath.Base(seg)), nil, 0o644))
	_, err := Open(d, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "without a header")
}

// Unsynced writes may be lost, but never those before the last Sync: a
// segment cut back to its size at the last Sync opens with the synced
// state.
func TestCrashLosesOnlyWritesAfterTheLastSync(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{})
	require.NoError(t, w.Append(ents(1, 3, 1)))
	require.NoError(t, w.Sync())
	seg := filepath.Join(dir, segmentName(w.active.seq))
	synced := fileSize(t, seg)
	require.NoError(t, w.Append(ents(4, 6, 1)))
	require.NoError(t, w.Close())
	require.NoError(t, os.Truncate(seg, synced+5)) // a partial write after the Sync
	w = open(t, dir, Options{})
	defer w.Close()
	assert.Equal(t, ents(1, 3, 1), allEntries(t, w))
	assert.Equal(t, synced, w.Recovery().TornOffset)
}

func TestMissingMiddleSegmentStopsOpen(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{SegmentBytesMax: 200})
	require.NoError(t, w.Append(ents(1, 20, 1)))
	require.NoError(t, w.Close())
	paths := segments(t, dir)
	require.Greater(t, len(paths), 2)
	require.NoError(t, os.Remove(paths[1]))
	_, err := Open(dir, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), paths[1])
}

// One older snapshot file is kept for a fallback; older ones go once a
// newer snapshot is durable.
func TestOnlyTheTwoNewestSnapshotFilesAreKept(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{})
	defer w.Close()
	require.NoError(t, w.Append(ents(1, 10, 1)))
	for i := uint64(2); i <= 8; i += 2 {
		_, err := w.CreateSnapshot(i, raft.ConfState{Voters: []uint64{1}}, nil)
		require.NoError(t, err)
		require.NoError(t, w.Sync())
	}
	snaps, err := filepath.Glob(filepath.Join(dir, "*"+snapshotSuffix))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, snapshotName(ref{6, 1})), filepath.Join(dir, snapshotName(ref{8, 1}))}, snaps)
}
