package raft_test

import (
	"testing"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// benchmarkRead serves b.N reads on a 3-node in-memory group in one mode,
// checks that every read was answered at the current commit index, and
// reports the messages delivered per read.
func benchmarkRead(b *testing.B, read func(nw *rafttest.Network, i int) bool) {
	nw := rafttest.New(b, 3, func(c *raft.Config) { c.CheckQuorum = true })
	nw.Elect(1)
	nw.Tick(1, 1) // a heartbeat round establishes the lease
	nw.DeliverAll()
	before := delivered(nw)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if !read(nw, i) {
			b.Fatalf("read %d was not served", i)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(delivered(nw)-before)/float64(b.N), "msgs/read")
}

func delivered(nw *rafttest.Network) int {
	n := 0
	for _, c := range nw.Delivered {
		n += c
	}
	return n
}

// BenchmarkReadLog puts each read through the log, as a proposal that must
// commit.
func BenchmarkReadLog(b *testing.B) {
	benchmarkRead(b, func(nw *rafttest.Network, i int) bool {
		before := nw.Nodes[1].Status().Commit
		if err := nw.Nodes[1].Propose([]byte("get")); err != nil {
			return false
		}
		nw.DeliverAll()
		return nw.Nodes[1].Status().Commit == before+1
	})
}

// BenchmarkReadIndex confirms leadership with a heartbeat round per read.
func BenchmarkReadIndex(b *testing.B) {
	benchmarkRead(b, func(nw *rafttest.Network, i int) bool {
		nd := nw.Nodes[1]
		if err := nd.ReadIndex(uint64(i + 1)); err != nil {
			return false
		}
		nw.DeliverAll()
		rs := nd.ReadStates
		nd.ReadStates = nd.ReadStates[:0]
		return len(rs) == 1 && rs[0].RequestID == uint64(i+1) && rs[0].Index == nd.Status().Commit
	})
}

// BenchmarkReadLease serves from the leader's lease: no message. A
// heartbeat round every few hundred reads keeps the lease, as ticks would.
func BenchmarkReadLease(b *testing.B) {
	benchmarkRead(b, func(nw *rafttest.Network, i int) bool {
		if i%256 == 255 {
			nw.Tick(1, 1)
			nw.DeliverAll()
		}
		idx, err := nw.Nodes[1].LeaseRead()
		return err == nil && idx == nw.Nodes[1].Status().Commit
	})
}
