package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// BenchmarkAppendSync measures one Ready's worth of work: a batch of
// entries and a hard state, then one Sync. It checks that every entry is
// there and that each Sync cost exactly one fsync.
func BenchmarkAppendSync(b *testing.B) {
	for _, batch := range []int{1, 16, 128} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			w, err := Open(b.TempDir(), Options{})
			require.NoError(b, err)
			defer w.Close()
			data := make([]byte, 128)
			es := make([]raft.Entry, batch)
			next := uint64(1)
			fsyncs := w.Stats().Fsyncs
			b.SetBytes(int64(batch * len(data)))
			for b.Loop() {
				for i := range es {
					es[i] = raft.Entry{Index: next, Term: 1, Data: data}
					next++
				}
				if err := w.Append(es); err != nil {
					b.Fatal(err)
				}
				if err := w.SetHardState(raft.HardState{Term: 1, Commit: next - 1}); err != nil {
					b.Fatal(err)
				}
				if err := w.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			last, _ := w.LastIndex()
			require.Equal(b, next-1, last)
			require.Equal(b, uint64(b.N), w.Stats().Fsyncs-fsyncs, "one fsync per Sync")
			b.ReportMetric(float64(batch), "entries/sync")
		})
	}
}

// BenchmarkFsync is the disk's own fsync latency, for comparison with
// BenchmarkAppendSync in the same run.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	require.NoError(b, err)
	defer f.Close()
	for b.Loop() {
		if _, err := f.Write([]byte{0}); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
