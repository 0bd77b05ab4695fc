package node

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// manualClock ticks when the test sends on it.
type manualClock chan time.Time

func (c manualClock) Ticks() <-chan time.Time { return c }

// lockedSM is a listSM whose data other goroutines may read.
type lockedSM struct {
	mu sync.Mutex
	listSM
}

func (s *lockedSM) Apply(e raft.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listSM.Apply(e)
}

func (s *lockedSM) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.data...)
}

func TestRunTicksAndRunsSubmittedWorkOnItsGoroutine(t *testing.T) {
	sm := &lockedSM{}
	nd, err := New(Config{Raft: raft.Config{ID: 1, Voters: []uint64{1}}, Storage: NewMemoryStorage(),
		Transport: netTransport{net: &net{}}, StateMachine: sm})
	require.NoError(t, err)
	clock := make(manualClock)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- nd.Run(ctx, clock) }()

	// A single voter elects itself once its election timeout passes.
	for range 2 * raft.DefaultElectionTicks {
		clock <- time.Time{}
	}
	proposed := make(chan error, 1)
	require.NoError(t, nd.Submit(ctx, func(n *Node) { proposed <- n.Propose([]byte("x")) }))
	require.NoError(t, <-proposed)
	require.Eventually(t, func() bool { return len(sm.list()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"x"}, sm.list())

	cancel()
	err = <-ran
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrStopped)
	err = nd.Submit(context.Background(), func(*Node) {})
	assert.True(t, errors.Is(err, ErrStopped), "submit after Run returned: %v", err)
}

// TestRunProcessesFunctionsQueuedTogetherOnce: proposals queued while Run
// is busy share Readies, SubmitBatchMax at most each, and so fsyncs.
func TestRunProcessesFunctionsQueuedTogetherOnce(t *testing.T) {
	// The function that holds Run counts toward the first batch.
	for _, tc := range []struct {
		batchMax, proposals, syncsMin, syncsMax int
	}{
		{batchMax: 1, proposals: 8, syncsMin: 8, syncsMax: 8},
		{batchMax: 4, proposals: 8, syncsMin: 2, syncsMax: 3},
		{batchMax: 0, proposals: 8, syncsMin: 1, syncsMax: 1}, // the default takes them all
	} {
		rec := &recorder{}
		nd, err := New(Config{Raft: raft.Config{ID: 1, Voters: []uint64{1}},
			Storage: recordingStorage{MemoryStorage: NewMemoryStorage(), rec: rec}, Transport: netTransport{net: &net{}},
			StateMachine: &listSM{}, SubmitBatchMax: tc.batchMax})
		require.NoError(t, err)
		require.NoError(t, nd.Campaign())
		require.NoError(t, nd.Process())
		clock := make(manualClock)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- nd.Run(ctx, clock) }()

		// Run is held in the first function while the proposals queue up.
		release, held := make(chan struct{}), make(chan struct{})
		require.NoError(t, nd.Submit(ctx, func(*Node) { close(held); <-release }))
		<-held
		done := make(chan error, tc.proposals)
		for i := range tc.proposals {
			require.NoError(t, nd.Submit(ctx, func(n *Node) { done <- n.Propose([]byte{byte('a' + i)}) }))
		}
		before := countSyncs(rec)
		close(release)
		for range tc.proposals {
			require.NoError(t, <-done)
		}
		applied := make(chan uint64, 1)
		require.Eventually(t, func() bool {
			require.NoError(t, nd.Submit(ctx, func(n *Node) { applied <- n.Applied() }))
			return <-applied == uint64(1+tc.proposals)
		}, 5*time.Second, time.Millisecond)
		cancel()
		<-ran
		syncs := countSyncs(rec) - before
		assert.LessOrEqual(t, syncs, tc.syncsMax, "batch max %d", tc.batchMax)
		assert.GreaterOrEqual(t, syncs, tc.syncsMin, "batch max %d", tc.batchMax)
	}
}

func countSyncs(rec *recorder) int {
	n := 0
	for _, e := range rec.events {
		if e == evSync {
			n++
		}
	}
	return n
}
