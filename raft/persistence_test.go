package raft_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func TestAdvanceWithoutPersistingPanics(t *testing.T) {
	tests := []struct {
		name    string
		persist func(*raft.MemoryStorage, raft.Ready)
	}{
		{"nothing persisted", func(*raft.MemoryStorage, raft.Ready) {}},
		{"entries but not the hard state", func(st *raft.MemoryStorage, rd raft.Ready) { _ = st.Append(rd.Entries) }},
		{"hard state but not the entries", func(st *raft.MemoryStorage, rd raft.Ready) { st.SetHardState(rd.HardState) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := raft.NewMemoryStorage()
			r, err := raft.New(raft.Config{ID: 1, Storage: st, Voters: []uint64{1}})
			require.NoError(t, err)
			r.Campaign()
			rd := r.Ready()
			require.True(t, rd.MustSync())
			tt.persist(st, rd)
			assert.Panics(t, func() { r.Advance(rd) })
		})
	}
}

func TestVoteIsInTheHardStateOfTheReadyThatSendsTheGrant(t *testing.T) {
	st := raft.NewMemoryStorage()
	r, err := raft.New(raft.Config{ID: 2, Storage: st, Voters: []uint64{1, 2, 3}})
	require.NoError(t, err)
	require.NoError(t, r.Step(raft.Message{Type: raft.RequestVoteRequest, From: 1, To: 2, Term: 1}))
	rd := r.Ready()
	require.Len(t, rd.Messages, 1)
	require.False(t, rd.Messages[0].Reject)
	assert.Equal(t, raft.HardState{Term: 1, Vote: 1}, rd.HardState, "the grant goes out with the vote to persist first")
	assert.True(t, rd.MustSync())
}
