package raft_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// compactLeader snapshots node id at its applied index and compacts its
// log there.
func compactLeader(t *testing.T, nw *rafttest.Network, id uint64) uint64 {
	nd := nw.Nodes[id]
	st := nd.Status()
	_, err := nd.Storage.CreateSnapshot(st.Applied, st.ConfState, []byte(fmt.Sprintf("state@%d", st.Applied)))
	require.NoError(t, err)
	require.NoError(t, nd.Storage.Compact(st.Applied))
	return st.Applied
}

// laggingFollower returns a group in which follower 3 was down while the
// leader appended and compacted past 3's log.
func laggingFollower(t *testing.T) (*rafttest.Network, uint64) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	nw.Crash(3)
	for i := range 10 {
		require.NoError(t, nw.Nodes[1].Propose([]byte(fmt.Sprint(i))))
		nw.DeliverAll()
	}
	snapIndex := compactLeader(t, nw, 1)
	require.Greater(t, snapIndex, uint64(5))
	nw.Restart(3)
	return nw, snapIndex
}

func TestLeaderSendsSnapshotToFollowerWhoseNextEntryWasCompacted(t *testing.T) {
	nw, snapIndex := laggingFollower(t)
	nw.Tick(1, 1)
	nw.DeliverAll()
	require.Positive(t, nw.Delivered[raft.InstallSnapshotRequest])
	nd := nw.Nodes[3]
	require.Len(t, nd.Snapshots, 1)
	assert.Equal(t, snapIndex, nd.Snapshots[0].Metadata.Index)
	assert.Equal(t, []byte(fmt.Sprintf("state@%d", snapIndex)), nd.Snapshots[0].Data)
	// The follower keeps up from the snapshot on.
	require.NoError(t, nw.Nodes[1].Propose([]byte("after")))
	nw.DeliverAll()
	nw.Tick(1, 1)
	nw.DeliverAll()
	assert.Equal(t, []string{"after"}, nw.AppliedData(3))
	assert.Equal(t, nw.Nodes[1].Status().Commit, nd.Status().Commit)
	first, _ := nd.Storage.FirstIndex()
	assert.Equal(t, snapIndex+1, first, "the follower discarded the log the snapshot covers")
	nw.CheckStateMachineSafety()
}

func TestLostSnapshotIsSentAgainAfterElectionTimeout(t *testing.T) {
	nw, _ := laggingFollower(t)
	nw.Tick(1, 1)
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.InstallSnapshotRequest })
	require.Equal(t, raft.ProgressSnapshot, nw.Nodes[1].Status().Progress[3].State)
	for range 2 * raft.DefaultElectionTicks {
		nw.Tick(1, 1)
		nw.DeliverAll()
	}
	assert.Len(t, nw.Nodes[3].Snapshots, 1)
	assert.Equal(t, raft.ProgressReplicate, nw.Nodes[1].Status().Progress[3].State)
}

func TestReportSnapshotFailureSendsFollowerBackToProbe(t *testing.T) {
	nw, _ := laggingFollower(t)
	nw.Tick(1, 1)
	nw.DeliverAllExcept(func(m raft.Message) bool { return m.Type == raft.InstallSnapshotRequest })
	nw.Nodes[1].ReportSnapshot(3, false)
	assert.Equal(t, raft.ProgressProbe, nw.Nodes[1].Status().Progress[3].State)
	nw.Tick(1, 1)
	nw.DeliverAll()
	assert.Len(t, nw.Nodes[3].Snapshots, 1)
}

func TestRestartedNodeStartsFromSnapshotPlusLog(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	for i := range 6 {
		require.NoError(t, nw.Nodes[1].Propose([]byte(fmt.Sprint(i))))
		nw.DeliverAll()
	}
	nw.Tick(1, 1)
	nw.DeliverAll()
	snapIndex := compactLeader(t, nw, 2)
	for i := 6; i < 9; i++ {
		require.NoError(t, nw.Nodes[1].Propose([]byte(fmt.Sprint(i))))
		nw.DeliverAll()
	}
	nw.Tick(1, 1)
	nw.DeliverAll()
	before := nw.Nodes[2].Status()
	nw.Crash(2)
	nw.Restart(2)
	after := nw.Nodes[2].Status()
	assert.Equal(t, before.Term, after.Term)
	assert.Equal(t, before.Commit, after.Commit)
	assert.Equal(t, before.LastIndex, after.LastIndex)
	assert.Equal(t, snapIndex, after.Applied, "applied restarts at the snapshot")
	// It applies the log after the snapshot again.
	nw.ProcessAll()
	assert.Equal(t, []string{"6", "7", "8"}, nw.AppliedData(2)[len(nw.AppliedData(2))-3:])
	assert.Equal(t, int(before.Commit-snapIndex), len(nw.Nodes[2].Applied))
}

func TestStaleSnapshotIsAnsweredWithCommitIndex(t *testing.T) {
	nw := rafttest.New(t, 3, nil)
	nw.Elect(1)
	for i := range 3 {
		require.NoError(t, nw.Nodes[1].Propose([]byte(fmt.Sprint(i))))
		nw.DeliverAll()
	}
	nw.Tick(1, 1)
	nw.DeliverAll()
	commit := nw.Nodes[2].Status().Commit
	snap := raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 2, Term: 1, ConfState: raft.ConfState{Voters: []uint64{1, 2, 3}}}}
	require.NoError(t, nw.Nodes[2].Step(raft.Message{Type: raft.InstallSnapshotRequest, From: 1, To: 2, Term: 1, Snapshot: &snap}))
	nw.Process(2)
	resp := nw.Drop(func(m raft.Message) bool { return m.From == 2 })
	require.Len(t, resp, 1)
	assert.Equal(t, commit, resp[0].Index)
	assert.Empty(t, nw.Nodes[2].Snapshots, "nothing was installed")
}
