package node

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// fakePeers answers for nodes 2 and 3 while acking is on, as a quorum
// that acknowledges everything would.
type fakePeers struct {
	nd     *Node
	acking atomic.Bool
	ctx    context.Context
}

func (p *fakePeers) Send(msgs []raft.Message) {
	if !p.acking.Load() {
		return
	}
	for _, m := range msgs {
		var r raft.Message
		switch m.Type {
		case raft.RequestVoteRequest:
			r = raft.Message{Type: raft.RequestVoteResponse, Term: m.Term}
		case raft.AppendEntriesRequest:
			r = raft.Message{Type: raft.AppendEntriesResponse, Term: m.Term, Index: m.Index + uint64(len(m.Entries))}
		case raft.HeartbeatRequest:
			r = raft.Message{Type: raft.HeartbeatResponse, Term: m.Term, Seq: m.Seq}
		default:
			continue
		}
		r.From, r.To = m.To, m.From
		go p.nd.Submit(p.ctx, func(n *Node) { _ = n.Step(r) })
	}
}

// TestLeaseIsNotServedRightAfterAStallInRun stalls the node's goroutine
// for 50 ticks while its peers fall silent: a time.Ticker drops the ticks
// missed, so Run must count them from the monotonic clock before it serves
// the next request, or the leader serves a lease read long after its
// lease ran out.
func TestLeaseIsNotServedRightAfterAStallInRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peers := &fakePeers{ctx: ctx}
	peers.acking.Store(true)
	nd, err := New(Config{Raft: raft.Config{ID: 1, Voters: []uint64{1, 2, 3}, CheckQuorum: true, ElectionTicks: 10, HeartbeatTicks: 1},
		Storage: NewMemoryStorage(), Transport: peers, StateMachine: &listSM{}})
	require.NoError(t, err)
	peers.nd = nd
	clock := NewTickerClock(20 * time.Millisecond)
	defer clock.Stop()
	done := make(chan struct{})
	go func() { defer close(done); _ = nd.Run(ctx, clock) }()
	defer func() { cancel(); <-done }()
	require.NoError(t, nd.Submit(ctx, func(n *Node) { _ = n.Campaign() }))
	lease := func() error {
		ch := make(chan error, 1)
		require.NoError(t, nd.Submit(ctx, func(n *Node) { _, err := n.LeaseRead(); ch <- err }))
		return <-ch
	}
	require.Eventually(t, func() bool { return lease() == nil }, 5*time.Second, 5*time.Millisecond)

	// The peers go silent and the process stalls for 1 s = 50 ticks, far
	// past the lease (7 ticks) and the election timeout (10 ticks).
	peers.acking.Store(false)
	require.NoError(t, nd.Submit(ctx, func(*Node) { time.Sleep(time.Second) }))
	got := make(chan error, 1)
	require.NoError(t, nd.Submit(ctx, func(n *Node) { _, err := n.LeaseRead(); got <- err }))
	err = <-got
	t.Logf("lease read right after a 50-tick stall: %v", err)
	require.Error(t, err, "lease read served after a stall longer than the lease")
}
