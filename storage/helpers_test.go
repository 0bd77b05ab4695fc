package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// open opens dir with small segments, failing the test on error.
func open(t *testing.T, dir string, opts Options) *WAL {
	t.Helper()
	w, err := Open(dir, opts)
	require.NoError(t, err)
	return w
}

// ents returns entries [lo, hi] of term, with data naming them.
func ents(lo, hi, term uint64) []raft.Entry {
	var es []raft.Entry
	for i := lo; i <= hi; i++ {
		es = append(es, raft.Entry{Index: i, Term: term, Data: []byte(fmt.Sprintf("e%d.%d", i, term))})
	}
	return es
}

// allEntries returns every entry the storage holds.
func allEntries(t *testing.T, w *WAL) []raft.Entry {
	t.Helper()
	first, err := w.FirstIndex()
	require.NoError(t, err)
	last, err := w.LastIndex()
	require.NoError(t, err)
	es, err := w.Entries(first, last+1, 1<<62)
	require.NoError(t, err)
	return es
}

// copyDir copies the regular files of src into a new temporary dir.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	des, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644))
	}
	return dst
}

// segments returns the paths of the segment files of dir, in order.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	seqs, err := listSegments(dir)
	require.NoError(t, err)
	var paths []string
	for _, s := range seqs {
		paths = append(paths, filepath.Join(dir, segmentName(s)))
	}
	return paths
}

// recordOffsets returns the start offsets of the records of a segment.
func recordOffsets(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	res, err := scanSegment(path, b, false)
	require.NoError(t, err)
	var offs []int64
	for _, r := range res.records {
		offs = append(offs, r.offset)
	}
	return offs
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}
