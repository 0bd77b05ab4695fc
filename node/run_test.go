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
