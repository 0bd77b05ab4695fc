package raft_test

import (
	"encoding/binary"
	"testing"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// benchmarkCommit proposes b.N entries to a 3-node in-memory group, batch
// proposals per round, and verifies that every one of them was applied, in
// order, on every node: a proposal counts only once it is committed.
func benchmarkCommit(b *testing.B, batch int) {
	nw := rafttest.New(b, 3, nil)
	nw.Elect(1)
	leader := nw.Nodes[1]
	data := make([]byte, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for proposed := 0; proposed < b.N; {
		for i := 0; i < batch && proposed < b.N; i++ {
			binary.BigEndian.PutUint64(data, uint64(proposed))
			if err := leader.Propose(append([]byte(nil), data...)); err != nil {
				b.Fatal(err)
			}
			proposed++
		}
		nw.DeliverAll()
		// Drop what nodes applied so far after checking it, to keep
		// memory flat over long runs.
		verifyApplied(b, nw, proposed)
	}
	b.StopTimer()
	nw.Tick(1, 1)
	nw.DeliverAll()
	verifyApplied(b, nw, b.N)
	for _, id := range nw.IDs() {
		if got := nw.Nodes[id].Status().Applied; got < uint64(b.N)+1 {
			b.Fatalf("node %d applied %d of %d", id, got, b.N+1)
		}
	}
}

// verifyApplied checks that each node applied the proposals in order and
// forgets them.
func verifyApplied(b *testing.B, nw *rafttest.Network, proposed int) {
	for _, id := range nw.IDs() {
		nd := nw.Nodes[id]
		for _, e := range nd.Applied {
			if len(e.Data) == 0 {
				continue
			}
			want := e.Index - 2 // index 1 is the no-op
			if got := binary.BigEndian.Uint64(e.Data); got != want || got >= uint64(proposed) {
				b.Fatalf("node %d applied proposal %d at index %d", id, got, e.Index)
			}
		}
		nd.Applied = nd.Applied[:0]
	}
	if lead := nw.Nodes[1].Status(); lead.Role != raft.Leader || lead.Commit != uint64(proposed)+1 {
		b.Fatalf("leader commit %d after %d proposals", lead.Commit, proposed)
	}
}

func BenchmarkCommit3Nodes(b *testing.B)        { benchmarkCommit(b, 1) }
func BenchmarkCommit3NodesBatch64(b *testing.B) { benchmarkCommit(b, 64) }
