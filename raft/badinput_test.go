package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

func TestStepRefusesMalformedMessagesAndChangesNothing(t *testing.T) {
	snap := &raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 5, Term: 1, ConfState: raft.ConfState{Voters: []uint64{1, 2, 3}}}}
	tests := []struct {
		name string
		m    raft.Message
	}{
		{"unknown type", raft.Message{Type: 99, From: 1, To: 2, Term: 9}},
		{"zero type", raft.Message{From: 1, To: 2, Term: 9}},
		{"addressed to another node", raft.Message{Type: raft.HeartbeatRequest, From: 1, To: 3, Term: 9}},
		{"from no node", raft.Message{Type: raft.HeartbeatRequest, From: 0, To: 2, Term: 9}},
		{"from itself", raft.Message{Type: raft.HeartbeatRequest, From: 2, To: 2, Term: 9}},
		{"entries with a gap", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Index: 1, LogTerm: 1,
			Entries: []raft.Entry{{Index: 3, Term: 9}}}},
		{"entry term after the message term", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Index: 1, LogTerm: 1,
			Entries: []raft.Entry{{Index: 2, Term: 10}}}},
		{"entry terms decreasing", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Index: 1, LogTerm: 1,
			Entries: []raft.Entry{{Index: 2, Term: 5}, {Index: 3, Term: 4}}}},
		{"previous term after the message term", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Index: 1, LogTerm: 10}},
		{"entry of unknown type", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Index: 1, LogTerm: 1,
			Entries: []raft.Entry{{Index: 2, Term: 9, Type: 42}}}},
		{"entries on a heartbeat", raft.Message{Type: raft.HeartbeatRequest, From: 1, To: 2, Term: 9,
			Entries: []raft.Entry{{Index: 2, Term: 9}}}},
		{"snapshot request without a snapshot", raft.Message{Type: raft.InstallSnapshotRequest, From: 1, To: 2, Term: 9}},
		{"snapshot without voters", raft.Message{Type: raft.InstallSnapshotRequest, From: 1, To: 2, Term: 9,
			Snapshot: &raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 5, Term: 1}}}},
		{"snapshot term after the message term", raft.Message{Type: raft.InstallSnapshotRequest, From: 1, To: 2, Term: 1,
			Snapshot: &raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 5, Term: 2, ConfState: raft.ConfState{Voters: []uint64{1}}}}}},
		{"snapshot on an append", raft.Message{Type: raft.AppendEntriesRequest, From: 1, To: 2, Term: 9, Snapshot: snap}},
		{"vote with last term after its term", raft.Message{Type: raft.RequestVoteRequest, From: 1, To: 2, Term: 3, LogTerm: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nw := rafttest.New(t, 3, nil)
			nw.Elect(1)
			before := nw.Nodes[2].Status()
			err := nw.Nodes[2].Step(tt.m)
			require.ErrorIs(t, err, raft.ErrMalformedMessage)
			assert.Equal(t, before, nw.Nodes[2].Status())
			assert.False(t, nw.Nodes[2].HasReady(), "a refused message produces nothing")
		})
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	st := raft.NewMemoryStorage()
	tests := []struct {
		name string
		cfg  raft.Config
	}{
		{"zero ID", raft.Config{Storage: st, Voters: []uint64{1}}},
		{"no storage", raft.Config{ID: 1, Voters: []uint64{1}}},
		{"no voters", raft.Config{ID: 1, Storage: st}},
		{"heartbeat not below election", raft.Config{ID: 1, Storage: st, Voters: []uint64{1}, ElectionTicks: 3, HeartbeatTicks: 3}},
		{"entry cannot fit the uncommitted limit", raft.Config{ID: 1, Storage: st, Voters: []uint64{1}, EntryBytesMax: 10, UncommittedBytesMax: 5}},
		{"applied past commit", raft.Config{ID: 1, Storage: st, Voters: []uint64{1}, Applied: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := raft.New(tt.cfg)
			require.ErrorIs(t, err, raft.ErrBadConfig)
		})
	}
}
