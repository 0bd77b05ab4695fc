package node

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// single returns a one-voter node, elected, whose storage records its
// calls; configure adjusts the config first.
func single(t *testing.T, configure func(*Config)) (*Node, *recorder, *MemoryStorage) {
	t.Helper()
	rec := &recorder{}
	ms := NewMemoryStorage()
	cfg := Config{Raft: raft.Config{ID: 1, Voters: []uint64{1}}, Storage: recordingStorage{MemoryStorage: ms, rec: rec},
		Transport: netTransport{net: &net{}}, StateMachine: &listSM{}}
	if configure != nil {
		configure(&cfg)
	}
	nd, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, nd.Campaign())
	return nd, rec, ms
}

func TestProcessHandlesAtMostReadyRoundsMaxReadies(t *testing.T) {
	nd, _, ms := single(t, nil)
	require.NoError(t, nd.Process())
	for i := range 5 {
		require.NoError(t, nd.Propose([]byte{byte('a' + i)}))
		require.NoError(t, nd.Process())
	}
	require.Equal(t, uint64(6), nd.Applied())

	// On restart the 6 committed entries are handed out again, one per
	// Ready since MsgBytesMax is below an entry's size.
	restart := func(rounds int) *Node {
		nd, err := New(Config{
			Raft:    raft.Config{ID: 1, Voters: []uint64{1}, MsgBytesMax: 1},
			Storage: ms, Transport: netTransport{net: &net{}}, StateMachine: &listSM{},
			ReadyRoundsMax: rounds,
		})
		require.NoError(t, err)
		return nd
	}
	nd = restart(2)
	require.NoError(t, nd.Process())
	assert.Equal(t, uint64(2), nd.Applied(), "two Readies per call at the limit of 2")
	require.NoError(t, nd.Process())
	assert.Equal(t, uint64(4), nd.Applied(), "the rest waits for the next call")

	nd = restart(0)
	require.NoError(t, nd.Process())
	assert.Equal(t, uint64(6), nd.Applied(), "the default takes all six in one call")
}

func TestSnapshotIsTakenAfterSnapshotEveryEntriesAndKeepsLogKeepEntries(t *testing.T) {
	nd, _, ms := single(t, func(c *Config) {
		c.SnapshotEveryEntries = 5
		c.LogKeepEntries = 2
	})
	require.NoError(t, nd.Process()) // applies the no-op at index 1
	for i := range 3 {
		require.NoError(t, nd.Propose([]byte{byte('a' + i)}))
		require.NoError(t, nd.Process())
	}
	require.Equal(t, uint64(4), nd.Applied())
	snap, err := ms.Snapshot()
	require.NoError(t, err)
	assert.True(t, snap.IsEmpty(), "4 applied entries, one short of the policy")

	require.NoError(t, nd.Propose([]byte("e")))
	require.NoError(t, nd.Process())
	snap, err = ms.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, uint64(5), snap.Metadata.Index, "snapshot at the 5th applied entry")
	assert.Equal(t, []uint64{1}, snap.Metadata.ConfState.Voters)
	assert.JSONEq(t, `["a","b","c","e"]`, string(snap.Data))
	first, err := ms.FirstIndex()
	require.NoError(t, err)
	assert.Equal(t, uint64(4), first, "entries 4 and 5 kept behind the snapshot")
}

func TestSubmitWaitsWhenTheInboxIsFull(t *testing.T) {
	nd, _, _ := single(t, func(c *Config) { c.InboxLen = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.NoError(t, nd.Submit(ctx, func(*Node) {}), "the one place")
	err := nd.Submit(ctx, func(*Node) {})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
