package storage

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// walState is what reads of a WAL can tell apart.
type walState struct {
	hs   raft.HardState
	snap ref
	ents []raft.Entry // ents[0] is the compact point
}

func stateOf(w *WAL) walState {
	return walState{hs: w.hs, snap: ref{w.snap.Metadata.Index, w.snap.Metadata.Term}, ents: slices.Clone(w.log.ents)}
}

func (s walState) String() string {
	return fmt.Sprintf("hs=%+v snap=%v log=(%d, %d]", s.hs, s.snap, s.ents[0].Index, s.ents[len(s.ents)-1].Index)
}

// A crash at any moment leaves, after Open, exactly the state after some
// operation at or after the last durable point (a Sync, or a rotation,
// which fsyncs the sealed segment). Every operation here writes one
// record, so "some operation" is "some record": the crash keeps a prefix
// of what was written. The crash keeps the synced bytes of the active
// segment and a random part of the rest.
// crashSeeds is how many random crashes the crash test tries.
var crashSeeds = flag.Uint64("crash.seeds", 15, "random crashes in the storage crash test")

func TestCrashAtAnyMomentLeavesAStateAfterTheLastDurablePoint(t *testing.T) {
	for seed := uint64(1); seed <= *crashSeeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { crashOnce(t, rand.New(rand.NewPCG(seed, 11))) })
	}
}

func crashOnce(t *testing.T, rng *rand.Rand) {
	dir := t.TempDir()
	w := open(t, dir, Options{SegmentBytesMax: 300})
	states := []walState{stateOf(w)}
	durable, syncedSize, seq := 0, int64(0), w.active.seq
	term := uint64(1)
	for range rng.IntN(60) + 1 {
		randomOp(t, w, rng, &term)
		states = append(states, stateOf(w))
		switch {
		case w.active.seq != seq: // rotated: all before this op is durable
			durable, syncedSize, seq = len(states)-2, 0, w.active.seq
		case !w.active.dirty: // synced
			durable, syncedSize = len(states)-1, w.active.size
		}
	}
	// The crash: the OS wrote some of the unsynced bytes, then lost power.
	require.NoError(t, w.active.flush())
	d := copyDir(t, dir)
	require.NoError(t, w.Close())
	active := filepath.Join(d, segmentName(seq))
	size := fileSize(t, active)
	require.NoError(t, os.Truncate(active, syncedSize+rng.Int64N(size-syncedSize+1)))
	rw, err := Open(d, Options{SegmentBytesMax: 300})
	require.NoError(t, err)
	defer rw.Close()
	got := stateOf(rw)
	for _, s := range states[durable:] {
		if s.hs == got.hs && s.snap == got.snap && slices.EqualFunc(s.ents, got.ents, sameEntry) {
			return
		}
	}
	t.Fatalf("reopened state %v is none of the states since the durable point %v", got, states[durable:])
}

func sameEntry(a, b raft.Entry) bool {
	return a.Index == b.Index && a.Term == b.Term && string(a.Data) == string(b.Data)
}

// randomOp does one operation that writes exactly one record.
func randomOp(t *testing.T, w *WAL, rng *rand.Rand, term *uint64) {
	first, last := w.log.offset()+1, w.log.lastIndex()
	switch k := rng.IntN(10); {
	case k < 5:
		if rng.IntN(4) == 0 {
			*term++
		}
		i := first + rng.Uint64N(last-first+2)
		require.NoError(t, w.Append([]raft.Entry{{Index: i, Term: *term, Data: []byte(fmt.Sprint("d", i))}}))
	case k < 6:
		require.NoError(t, w.SetHardState(raft.HardState{Term: *term, Commit: last}))
	case k < 7 && last > w.snap.Metadata.Index && last >= first:
		_, err := w.CreateSnapshot(last, raft.ConfState{Voters: []uint64{1}}, []byte("s"))
		require.NoError(t, err)
	case k < 8 && w.snap.Metadata.Index > w.log.offset() && w.snap.Metadata.Index <= last:
		require.NoError(t, w.Compact(w.snap.Metadata.Index))
	case k < 9:
		require.NoError(t, w.Sync())
	default:
		*term++
		snap := raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: max(last, w.snap.Metadata.Index) + 1, Term: *term}}
		require.NoError(t, w.ApplySnapshot(snap))
	}
}
