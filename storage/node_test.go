package storage_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/storage"
)

// listSM keeps the data of every applied entry.
type listSM struct{ data []string }

func (s *listSM) Apply(e raft.Entry) error {
	s.data = append(s.data, string(e.Data))
	return nil
}

func (s *listSM) ApplySnapshot(snap raft.Snapshot) error {
	return json.Unmarshal(snap.Data, &s.data)
}

func (s *listSM) Snapshot() ([]byte, error) { return json.Marshal(s.data) }

// noTransport drops messages; a single-node group sends none that matter.
type noTransport struct{}

func (noTransport) Send([]raft.Message) {}

func startNode(t *testing.T, dir string) (*node.Node, *listSM, *storage.WAL) {
	t.Helper()
	w, err := storage.Open(dir, storage.Options{SegmentBytesMax: 1 << 10})
	require.NoError(t, err)
	sm := &listSM{}
	nd, err := node.New(node.Config{
		Raft:                 raft.Config{ID: 1, Voters: []uint64{1}, ElectionTicks: 10, HeartbeatTicks: 1},
		Storage:              w,
		Transport:            noTransport{},
		StateMachine:         sm,
		SnapshotEveryEntries: 7,
		LogKeepEntries:       3,
	})
	require.NoError(t, err)
	require.NoError(t, nd.Process())
	return nd, sm, w
}

// A node restarted from the directory alone finds what it applied: the
// snapshot restores part of it and the log replays the rest.
func TestNodeOverWALRestartsWithItsAppliedState(t *testing.T) {
	dir := t.TempDir()
	nd, sm, w := startNode(t, dir)
	require.NoError(t, nd.Campaign())
	require.NoError(t, nd.Process())
	require.Equal(t, raft.Leader, nd.Status().Role)
	var want []string
	for i := range 40 {
		d := fmt.Sprint("x", i)
		require.NoError(t, nd.Propose([]byte(d)))
		require.NoError(t, nd.Process())
		want = append(want, d)
	}
	require.Equal(t, want, sm.data)
	applied := nd.Applied()
	require.NoError(t, w.Close())

	nd, sm, w = startNode(t, dir)
	defer w.Close()
	snap, err := w.Snapshot()
	require.NoError(t, err)
	assert.Positive(t, snap.Metadata.Index, "the node took snapshots")
	first, _ := w.FirstIndex()
	assert.Greater(t, first, uint64(1), "the node compacted the log")
	assert.Equal(t, applied, nd.Applied())
	assert.Equal(t, want, sm.data)

	// And it goes on: a new term, new proposals.
	require.NoError(t, nd.Campaign())
	require.NoError(t, nd.Process())
	require.NoError(t, nd.Propose([]byte("after")))
	require.NoError(t, nd.Process())
	assert.Equal(t, append(want, "after"), sm.data)
}
