package storage

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func TestEntriesHardStateAndSnapshotSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{})
	require.NoError(t, w.Append(ents(1, 10, 1)))
	hs := raft.HardState{Term: 1, Vote: 2, Commit: 8}
	require.NoError(t, w.SetHardState(hs))
	cs := raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}
	snap, err := w.CreateSnapshot(5, cs, []byte("state@5"))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	w = open(t, dir, Options{})
	defer w.Close()
	gotHS, gotCS, err := w.InitialState()
	require.NoError(t, err)
	assert.Equal(t, hs, gotHS)
	assert.Equal(t, cs, gotCS)
	gotSnap, err := w.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, snap, gotSnap)
	assert.Equal(t, ents(1, 10, 1), allEntries(t, w))
	assert.Empty(t, w.Recovery().TornFile)
}

func TestAppendOverwritingASuffixSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{})
	require.NoError(t, w.Append(ents(1, 10, 1)))
	require.NoError(t, w.Append(ents(6, 8, 2)))
	want := append(ents(1, 5, 1), ents(6, 8, 2)...)
	assert.Equal(t, want, allEntries(t, w))
	require.NoError(t, w.Close())

	w = open(t, dir, Options{})
	defer w.Close()
	assert.Equal(t, want, allEntries(t, w))
	last, _ := w.LastIndex()
	assert.Equal(t, uint64(8), last)
}

func TestCompactedLogAndSnapshotSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytesMax: 512}
	w := open(t, dir, opts)
	require.NoError(t, w.Append(ents(1, 100, 1)))
	require.NoError(t, w.Sync())
	nSegments := len(segments(t, dir))
	require.Greater(t, nSegments, 3, "small segments must have rotated")
	_, err := w.CreateSnapshot(90, raft.ConfState{Voters: []uint64{1}}, []byte("s90"))
	require.NoError(t, err)
	require.NoError(t, w.Compact(80))
	require.NoError(t, w.Sync())
	assert.Less(t, len(segments(t, dir)), nSegments, "segments below the compact point are deleted")
	assert.Positive(t, w.Stats().SegmentsDeleted)
	require.NoError(t, w.Close())

	w = open(t, dir, opts)
	defer w.Close()
	check := func() {
		first, _ := w.FirstIndex()
		assert.Equal(t, uint64(81), first)
		term, err := w.Term(80)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), term)
		_, err = w.Term(79)
		assert.ErrorIs(t, err, raft.ErrCompacted)
		assert.Equal(t, ents(81, 100, 1), allEntries(t, w))
		s, _ := w.Snapshot()
		assert.Equal(t, uint64(90), s.Metadata.Index)
		assert.Equal(t, []byte("s90"), s.Data)
	}
	check()
	// A second reopen replays from the header of the first kept segment.
	require.NoError(t, w.Append(ents(101, 120, 2)))
	require.NoError(t, w.Close())
	w = open(t, dir, opts)
	assert.Equal(t, append(ents(81, 100, 1), ents(101, 120, 2)...), allEntries(t, w))
}

func TestAppliedSnapshotReplacesTheLogAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{SegmentBytesMax: 256})
	require.NoError(t, w.Append(ents(1, 20, 1)))
	snap := raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 50, Term: 3,
		ConfState: raft.ConfState{Voters: []uint64{1, 2}}}, Data: []byte("leader state")}
	require.NoError(t, w.ApplySnapshot(snap))
	require.NoError(t, w.Append(ents(51, 55, 3)))
	require.NoError(t, w.Close())

	w = open(t, dir, Options{SegmentBytesMax: 256})
	defer w.Close()
	got, _ := w.Snapshot()
	assert.Equal(t, snap, got)
	assert.Equal(t, ents(51, 55, 3), allEntries(t, w))
	term, err := w.Term(50)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), term)
	assert.ErrorIs(t, w.ApplySnapshot(snap), raft.ErrSnapshotOutOfDate)
}

func TestOversizedEntryIsRefusedAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	const recMax = 128
	w := open(t, dir, Options{RecordBytesMax: recMax})
	// The framed record is 8 + 1 + 17 + len(data) bytes.
	fits := raft.Entry{Index: 1, Term: 1, Data: make([]byte, recMax-26)}
	require.NoError(t, w.Append([]raft.Entry{fits}))
	before := allEntries(t, w)
	big := raft.Entry{Index: 3, Term: 1, Data: make([]byte, recMax-25)}
	err := w.Append([]raft.Entry{{Index: 2, Term: 1}, big})
	require.ErrorIs(t, err, ErrRecordTooLarge)
	assert.Equal(t, before, allEntries(t, w), "a refused Append writes nothing, not even its first entry")
	require.NoError(t, w.Close())
	w = open(t, dir, Options{RecordBytesMax: recMax})
	defer w.Close()
	assert.Equal(t, before, allEntries(t, w))
}

func TestSegmentIsRotatedAtTheSizeLimit(t *testing.T) {
	dir := t.TempDir()
	const segMax = 300
	w := open(t, dir, Options{SegmentBytesMax: segMax})
	// A record larger than a segment still fits: alone in its own.
	require.NoError(t, w.Append([]raft.Entry{{Index: 1, Term: 1, Data: make([]byte, 2*segMax)}}))
	require.NoError(t, w.Append(ents(2, 40, 1)))
	require.NoError(t, w.Close())
	paths := segments(t, dir)
	require.Greater(t, len(paths), 2)
	for _, p := range paths[1:] {
		offs := recordOffsets(t, p)
		size := fileSize(t, p)
		if len(offs) > 2 {
			assert.LessOrEqual(t, size, int64(segMax), "%s", p)
		}
	}
	w = open(t, dir, Options{SegmentBytesMax: segMax})
	defer w.Close()
	assert.Len(t, allEntries(t, w), 40)
}

func TestSyncIsOneFsyncForManyAppends(t *testing.T) {
	w := open(t, t.TempDir(), Options{})
	defer w.Close()
	before := w.Stats().Fsyncs
	for i := uint64(1); i <= 50; i++ {
		require.NoError(t, w.Append(ents(i, i, 1)))
		require.NoError(t, w.SetHardState(raft.HardState{Term: 1, Commit: i}))
	}
	assert.Equal(t, before, w.Stats().Fsyncs, "appends are buffered")
	require.NoError(t, w.Sync())
	assert.Equal(t, before+1, w.Stats().Fsyncs)
	require.NoError(t, w.Sync())
	assert.Equal(t, before+1, w.Stats().Fsyncs, "nothing to sync, no fsync")
}

func TestClosedStorageRefusesWrites(t *testing.T) {
	w := open(t, t.TempDir(), Options{})
	require.NoError(t, w.Close())
	assert.ErrorIs(t, w.Append(ents(1, 1, 1)), ErrClosed)
	assert.ErrorIs(t, w.Sync(), ErrClosed)
	assert.ErrorIs(t, w.Close(), ErrClosed)
}

func TestSnapshotBelowTheCompactPointIsRefused(t *testing.T) {
	w := open(t, t.TempDir(), Options{})
	defer w.Close()
	require.NoError(t, w.Append(ents(1, 10, 1)))
	require.NoError(t, w.Compact(8))
	err := w.ApplySnapshot(raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 7, Term: 1}})
	require.ErrorIs(t, err, raft.ErrSnapshotOutOfDate)
	assert.Equal(t, ents(9, 10, 1), allEntries(t, w))
}

// After a failed fsync the kernel may have dropped the data, so a later
// Sync must not report success; reopening recovers what is on disk.
func TestFailedFsyncIsSticky(t *testing.T) {
	dir := t.TempDir()
	fail := false
	errDisk := errors.New("disk on fire")
	opts := Options{syncFile: func(f *os.File) error {
		if fail {
			return errDisk
		}
		return f.Sync()
	}}
	w := open(t, dir, opts)
	require.NoError(t, w.Append(ents(1, 3, 1)))
	require.NoError(t, w.Sync())
	require.NoError(t, w.Append(ents(4, 6, 1)))
	fail = true
	err := w.Sync()
	require.ErrorIs(t, err, ErrFailed)
	require.ErrorIs(t, err, errDisk)
	fail = false
	assert.ErrorIs(t, w.Sync(), ErrFailed)
	assert.ErrorIs(t, w.Append(ents(7, 7, 1)), ErrFailed)
	assert.ErrorIs(t, w.Close(), ErrFailed)

	w = open(t, dir, Options{})
	defer w.Close()
	got := allEntries(t, w)
	require.GreaterOrEqual(t, len(got), 3, "what was synced survives")
	assert.Equal(t, ents(1, 3, 1), got[:3])
}

func TestSecondOpenOfADirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, Options{})
	_, err := Open(dir, Options{})
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, w.Close())
	w = open(t, dir, Options{})
	require.NoError(t, w.Close())
}
