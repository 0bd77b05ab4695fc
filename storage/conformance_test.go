package storage_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/storage"
)

// The WAL is a node.Storage; checked at compile time.
var _ node.Storage = (*storage.WAL)(nil)

// conformance runs the same random operations against node.MemoryStorage
// (the reference) and the WAL, closing and reopening the WAL now and then,
// and compares every read after every operation.
type conformance struct {
	t    *testing.T
	rng  *rand.Rand
	dir  string
	opts storage.Options
	ref  *node.MemoryStorage
	wal  *storage.WAL
	term uint64
	ops  []string
}

// conformanceSeeds is how many random sequences the conformance test
// runs; each fsyncs for real, so raise it for a longer search.
var conformanceSeeds = flag.Uint64("conformance.seeds", 6, "random operation sequences in the storage conformance test")

func TestWALReadsMatchMemoryStorageAfterEveryOperation(t *testing.T) {
	for seed := uint64(1); seed <= *conformanceSeeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			c := &conformance{t: t, rng: rand.New(rand.NewPCG(seed, 7)), dir: t.TempDir(),
				opts: storage.Options{SegmentBytesMax: 400}, ref: node.NewMemoryStorage(), term: 1}
			var err error
			c.wal, err = storage.Open(c.dir, c.opts)
			require.NoError(t, err)
			defer func() {
				if c.wal != nil {
					c.wal.Close()
				}
			}()
			for range 150 {
				c.step()
				c.compare()
			}
		})
	}
}

func (c *conformance) step() {
	first, _ := c.ref.FirstIndex()
	last, _ := c.ref.LastIndex()
	switch k := c.rng.IntN(20); {
	case k < 9:
		c.appendSome(first, last)
	case k < 11:
		hs := raft.HardState{Term: c.term, Vote: c.rng.Uint64N(4), Commit: last}
		c.do(fmt.Sprintf("SetHardState(%+v)", hs), c.ref.SetHardState(hs), c.wal.SetHardState(hs))
	case k < 13 && last >= first:
		i := first + c.rng.Uint64N(last-first+1)
		cs := raft.ConfState{Voters: []uint64{1, 2, c.rng.Uint64N(9) + 3}}
		data := []byte(fmt.Sprint("snap", i))
		s1, e1 := c.ref.CreateSnapshot(i, cs, data)
		s2, e2 := c.wal.CreateSnapshot(i, cs, data)
		c.do(fmt.Sprintf("CreateSnapshot(%d)", i), e1, e2)
		require.Equal(c.t, s1, s2, c.ops)
	case k < 15:
		i := first - 1 + c.rng.Uint64N(last-first+3)
		c.do(fmt.Sprintf("Compact(%d)", i), c.ref.Compact(i), c.wal.Compact(i))
	case k < 16:
		c.applySnapshot(last)
	case k < 18:
		c.do("Sync", c.ref.Sync(), c.wal.Sync())
	default:
		c.reopen()
	}
}

func (c *conformance) appendSome(first, last uint64) {
	lo := first + c.rng.Uint64N(last-first+2)
	if c.rng.IntN(4) == 0 && first > 1 {
		lo = first - 1 // overlapping the compacted prefix
	}
	if c.rng.IntN(3) == 0 {
		c.term++
	}
	var es []raft.Entry
	for i := range c.rng.Uint64N(8) + 1 {
		e := raft.Entry{Index: lo + i, Term: c.term}
		if c.rng.IntN(5) > 0 {
			e.Data = []byte(fmt.Sprintf("d%d.%d", lo+i, c.term))
		}
		es = append(es, e)
	}
	c.do(fmt.Sprintf("Append[%d, %d]@%d", lo, lo+uint64(len(es))-1, c.term), c.ref.Append(es), c.wal.Append(es))
}

func (c *conformance) applySnapshot(last uint64) {
	s, _ := c.ref.Snapshot()
	c.term++
	snap := raft.Snapshot{Metadata: raft.SnapshotMetadata{
		Index: max(s.Metadata.Index, last) + c.rng.Uint64N(5), Term: c.term,
		ConfState: raft.ConfState{Voters: []uint64{1}, Learners: []uint64{2}}}, Data: []byte("leader")}
	c.do(fmt.Sprintf("ApplySnapshot(%d)", snap.Metadata.Index), c.ref.ApplySnapshot(snap), c.wal.ApplySnapshot(snap))
}

func (c *conformance) reopen() {
	c.ops = append(c.ops, "reopen")
	require.NoError(c.t, c.wal.Close())
	var err error
	c.wal, err = storage.Open(c.dir, c.opts)
	require.NoError(c.t, err, c.ops)
}

// do records op and requires both storages to fail, or not, alike.
func (c *conformance) do(op string, want, got error) {
	c.t.Helper()
	c.ops = append(c.ops, op)
	sameError(c.t, want, got, c.ops)
}

func sameError(t *testing.T, want, got error, ops []string) {
	t.Helper()
	if want == nil || got == nil {
		require.Equal(t, want == nil, got == nil, "want %v, got %v after %v", want, got, ops)
		return
	}
	for _, sentinel := range []error{raft.ErrCompacted, raft.ErrUnavailable, raft.ErrSnapshotOutOfDate} {
		require.Equal(t, errors.Is(want, sentinel), errors.Is(got, sentinel), "want %v, got %v after %v", want, got, ops)
	}
}

func (c *conformance) compare() {
	t, ops := c.t, c.ops
	hs1, cs1, _ := c.ref.InitialState()
	hs2, cs2, err := c.wal.InitialState()
	require.NoError(t, err)
	require.Equal(t, hs1, hs2, ops)
	require.Equal(t, cs1, cs2, ops)
	s1, _ := c.ref.Snapshot()
	s2, _ := c.wal.Snapshot()
	require.Equal(t, s1, s2, ops)
	first, _ := c.ref.FirstIndex()
	last, _ := c.ref.LastIndex()
	f2, _ := c.wal.FirstIndex()
	l2, _ := c.wal.LastIndex()
	require.Equal(t, []uint64{first, last}, []uint64{f2, l2}, ops)
	for i := first - 1; i <= last+1; i++ {
		t1, e1 := c.ref.Term(i)
		t2, e2 := c.wal.Term(i)
		sameError(t, e1, e2, ops)
		require.Equal(t, t1, t2, "Term(%d) after %v", i, ops)
	}
	maxBytes := c.rng.Uint64N(200)
	es1, e1 := c.ref.Entries(first, last+1, maxBytes)
	es2, e2 := c.wal.Entries(first, last+1, maxBytes)
	sameError(t, e1, e2, ops)
	require.Equal(t, es1, es2, ops)
}
