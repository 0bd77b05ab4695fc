package transport_test

import (
	"fmt"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/transport"
)

// The node's driver sends through a Transport; check it fits.
var _ node.Transport = (*transport.Transport)(nil)

// Two nodes of one cluster on loopback. In a server, the Handler would hand
// each message to the node with Submit, and SnapshotDropped would call
// ReportSnapshot(to, false) the same way.
func Example() {
	got := make(chan raft.Message, 1)
	start := func(id uint64) *transport.Transport {
		t, err := transport.New(transport.Config{
			ClusterID:  42,
			ID:         id,
			ListenAddr: "127.0.0.1:0",
			Handler:    func(m raft.Message) { got <- m },
		})
		if err != nil {
			panic(err)
		}
		return t
	}
	a, b := start(1), start(2)
	defer a.Close()
	defer b.Close()
	// b learns of a first, so that a's first dial is not refused: a message
	// sent while a peer is unreachable may be dropped.
	b.AddPeer(1, a.Addr().String())
	a.AddPeer(2, b.Addr().String())

	a.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 1, To: 2, Term: 3, Commit: 7}})
	fmt.Println(<-got)
	// Output: HeartbeatRequest 1->2 term=3 commit=7 seq=0
}
