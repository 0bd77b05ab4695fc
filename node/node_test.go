package node

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

func TestEveryNodeAppliesProposalsInProposalOrder(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.elect(1)
	want := c.proposeN(1, "x", 20)
	for _, id := range c.ids {
		assert.Equal(t, want, c.sms[id].data, "node %d", id)
		assert.Equal(t, c.nodes[1].Applied(), c.nodes[id].Applied(), "node %d", id)
	}
}

func TestFollowerProposalIsRefusedNamingTheLeader(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.elect(1)
	err := c.nodes[2].Propose([]byte("x"))
	var nle *raft.NotLeaderError
	require.ErrorAs(t, err, &nle)
	assert.Equal(t, uint64(1), nle.Leader)
	assert.ErrorIs(t, err, raft.ErrNotLeader)
}

// Each Process call handles one Ready (ReadyRoundsMax 1), so within one
// call the events of every node must come in the order persist, sync,
// send, apply.
func TestReadyIsPersistedThenSentThenApplied(t *testing.T) {
	recs := map[uint64]*recorder{}
	c := newCluster(t, 3, func(cfg *Config) {
		rec := &recorder{}
		recs[cfg.Raft.ID] = rec
		cfg.ReadyRoundsMax = 1
		cfg.Storage = recordingStorage{MemoryStorage: cfg.Storage.(*MemoryStorage), rec: rec}
		cfg.Transport = recordingTransport{Transport: cfg.Transport, rec: rec}
		sm := cfg.StateMachine.(*listSM)
		sm.onApply = func(raft.Entry) error { rec.add(evApply); return nil }
	})
	seen := map[string]bool{}
	check := func() {
		for _, id := range c.ids {
			rec := recs[id]
			rec.events = nil
			require.NoError(t, c.nodes[id].Process())
			for i := 1; i < len(rec.events); i++ {
				require.LessOrEqual(t, phase[rec.events[i-1]], phase[rec.events[i]],
					"node %d did %v within one Ready", id, rec.events)
			}
			if len(rec.events) > 0 {
				seen[string(rec.events[0])+">"+string(rec.events[len(rec.events)-1])] = true
			}
		}
	}
	require.NoError(t, c.nodes[1].Campaign())
	for range 200 {
		check()
		if len(c.net.queue) == 0 {
			break
		}
		m := c.net.queue[0]
		c.net.queue = c.net.queue[1:]
		require.NoError(t, c.nodes[m.To].Step(m))
	}
	for i := range 5 {
		require.NoError(t, c.nodes[1].Propose([]byte{byte('a' + i)}))
		for range 200 {
			check()
			if len(c.net.queue) == 0 {
				break
			}
			m := c.net.queue[0]
			c.net.queue = c.net.queue[1:]
			require.NoError(t, c.nodes[m.To].Step(m))
		}
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, c.sms[3].data)
	// The check saw Readies that had all four parts, so it checked the
	// whole order at least once.
	assert.True(t, seen["persist>apply"], "no Ready persisted and applied: %v", seen)
}

func TestRestartRecoversAppliedStateFromSnapshotAndLog(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotEveryEntries = 5
		cfg.LogKeepEntries = 2
	})
	c.elect(1)
	want := c.proposeN(1, "x", 13)
	first, err := c.stores[3].FirstIndex()
	require.NoError(t, err)
	snap, err := c.stores[3].Snapshot()
	require.NoError(t, err)
	require.Greater(t, snap.Metadata.Index, uint64(0), "node 3 took no snapshot")
	require.Greater(t, first, uint64(1), "node 3 compacted nothing")
	require.Less(t, snap.Metadata.Index, c.nodes[3].Applied(), "the test wants entries after the snapshot")

	c.crash(3)
	c.start(3)
	assert.Equal(t, snap.Metadata.Index, c.nodes[3].Applied(), "restored from the snapshot")
	require.NoError(t, c.nodes[3].Process())
	assert.Equal(t, want, c.sms[3].data, "snapshot plus the log's committed entries")

	more := c.proposeN(1, "y", 3)
	assert.Equal(t, append(want, more...), c.sms[3].data)
}

func TestLaggingFollowerCatchesUpFromSnapshot(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotEveryEntries = 4
		cfg.LogKeepEntries = 1
	})
	c.elect(1)
	c.crash(3)
	want := c.proposeN(1, "x", 12)
	c.start(3)
	c.tickAll(3)
	assert.Equal(t, want, c.sms[3].data)
	assert.Equal(t, c.nodes[1].Applied(), c.nodes[3].Applied())
}

func TestFailedSnapshotSendIsReportedAndLeaderProbesAgain(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotEveryEntries = 4
		cfg.LogKeepEntries = 1
	})
	c.elect(1)
	c.crash(3)
	c.proposeN(1, "x", 12)
	c.start(3)
	c.net.drop = func(m raft.Message) bool { return m.Type == raft.InstallSnapshotRequest }
	c.tickAll(1)
	require.NotEmpty(t, c.net.dropped, "the leader sent no snapshot")
	require.Equal(t, raft.ProgressSnapshot, c.nodes[1].Status().Progress[3].State)

	// The transport reports the snapshot it could not send.
	require.NoError(t, c.nodes[1].ReportSnapshot(3, false))
	assert.Equal(t, raft.ProgressProbe, c.nodes[1].Status().Progress[3].State)
	c.net.drop = nil
	c.tickAll(2)
	assert.Equal(t, c.sms[1].data, c.sms[3].data)
}

func TestStorageFailureStopsTheNodeWithItsError(t *testing.T) {
	var disk *failingStorage
	c := newCluster(t, 3, func(cfg *Config) {
		if cfg.Raft.ID == 1 {
			disk = &failingStorage{MemoryStorage: cfg.Storage.(*MemoryStorage)}
			cfg.Storage = disk
		}
	})
	c.elect(1)
	disk.failing = true
	require.NoError(t, c.nodes[1].Propose([]byte("x")))
	sent := len(c.net.queue)
	err := c.nodes[1].Process()
	require.ErrorIs(t, err, ErrStopped)
	require.ErrorIs(t, err, errDisk)
	assert.Contains(t, err.Error(), "append entries")
	assert.Len(t, c.net.queue, sent, "nothing is sent when persisting failed")
	assert.ErrorIs(t, c.nodes[1].Err(), errDisk)
	assert.ErrorIs(t, c.nodes[1].Tick(), ErrStopped)
	assert.ErrorIs(t, c.nodes[1].Propose([]byte("y")), ErrStopped)
	select {
	case <-c.nodes[1].Done():
	default:
		t.Fatal("Done is not closed after the node stopped")
	}
}

func TestStateMachineFailureStopsTheNode(t *testing.T) {
	errSM := errors.New("state machine broke")
	c := newCluster(t, 1, func(cfg *Config) {
		cfg.StateMachine.(*listSM).onApply = func(raft.Entry) error { return errSM }
	})
	require.NoError(t, c.nodes[1].Campaign())
	require.NoError(t, c.nodes[1].Process())
	require.NoError(t, c.nodes[1].Propose([]byte("x")))
	var err error
	for range 3 {
		if err = c.nodes[1].Process(); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, errSM)
	assert.ErrorIs(t, err, ErrStopped)
	assert.Empty(t, c.sms[1].data)
}

func TestCallFromWithinProcessIsRefused(t *testing.T) {
	var nd *Node
	var got error
	c := newCluster(t, 1, func(cfg *Config) {
		cfg.StateMachine.(*listSM).onApply = func(raft.Entry) error {
			got = nd.Propose([]byte("again"))
			return nil
		}
	})
	nd = c.nodes[1]
	require.NoError(t, nd.Campaign())
	require.NoError(t, nd.Process())
	require.NoError(t, nd.Propose([]byte("x")))
	c.settle()
	assert.ErrorIs(t, got, ErrReentrant)
	assert.Equal(t, []string{"x"}, c.sms[1].data)
}

func TestMalformedMessageIsRefusedAndNodeRuns(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.elect(1)
	err := c.nodes[2].Step(raft.Message{Type: raft.MessageType(200), From: 1, To: 2})
	require.ErrorIs(t, err, raft.ErrMalformedMessage)
	assert.NoError(t, c.nodes[2].Err())
	want := c.proposeN(1, "x", 2)
	assert.Equal(t, want, c.sms[2].data)
}

func TestConfigWithoutItsPartsIsRefused(t *testing.T) {
	good := func() Config {
		return Config{Raft: raft.Config{ID: 1, Voters: []uint64{1}}, Storage: NewMemoryStorage(),
			Transport: netTransport{net: &net{}}, StateMachine: &listSM{}}
	}
	for name, breakIt := range map[string]func(*Config){
		"no storage":       func(c *Config) { c.Storage = nil },
		"no transport":     func(c *Config) { c.Transport = nil },
		"no state machine": func(c *Config) { c.StateMachine = nil },
		"raft storage set": func(c *Config) { c.Raft.Storage = raft.NewMemoryStorage() },
		"raft applied set": func(c *Config) { c.Raft.Applied = 3 },
		"negative rounds":  func(c *Config) { c.ReadyRoundsMax = -1 },
		"negative inbox":   func(c *Config) { c.InboxLen = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good()
			breakIt(&cfg)
			_, err := New(cfg)
			assert.ErrorIs(t, err, ErrBadConfig)
		})
	}
	_, err := New(good())
	assert.NoError(t, err)
}

// dirtyStorage tracks writes not yet synced.
type dirtyStorage struct {
	*MemoryStorage
	dirty bool
}

func (s *dirtyStorage) Append(ents []raft.Entry) error {
	s.dirty = true
	return s.MemoryStorage.Append(ents)
}

func (s *dirtyStorage) SetHardState(hs raft.HardState) error {
	s.dirty = true
	return s.MemoryStorage.SetHardState(hs)
}

func (s *dirtyStorage) ApplySnapshot(snap raft.Snapshot) error {
	s.dirty = true
	return s.MemoryStorage.ApplySnapshot(snap)
}

func (s *dirtyStorage) Sync() error {
	s.dirty = false
	return nil
}

// checkedTransport fails the test if a message leaves while its sender has
// writes that are not durable.
type checkedTransport struct {
	Transport
	t    *testing.T
	disk *dirtyStorage
}

func (c checkedTransport) Send(msgs []raft.Message) {
	if c.disk.dirty {
		c.t.Errorf("%v sent before the storage synced", msgs[0])
	}
	hs, _, err := c.disk.InitialState()
	require.NoError(c.t, err)
	last, err := c.disk.LastIndex()
	require.NoError(c.t, err)
	for _, m := range msgs {
		switch {
		case m.Type != raft.PreVoteRequest && m.Type != raft.PreVoteResponse && m.Term > hs.Term:
			c.t.Errorf("%v sent while the durable term is %d", m, hs.Term)
		case m.Type == raft.RequestVoteResponse && !m.Reject && hs.Vote != m.To:
			c.t.Errorf("%v sent while the durable vote is for %d", m, hs.Vote)
		case m.Type == raft.AppendEntriesResponse && !m.Reject && m.Index > last:
			c.t.Errorf("%v acknowledges past the durable last index %d", m, last)
		}
	}
	c.Transport.Send(msgs)
}

func TestNoMessageLeavesBeforeItsStateIsDurableNorAnyEntryAppliesBefore(t *testing.T) {
	disks := map[uint64]*dirtyStorage{}
	c := newCluster(t, 3, func(cfg *Config) {
		disk, ok := disks[cfg.Raft.ID]
		if !ok { // the first start; a restart keeps the disk
			disk = &dirtyStorage{MemoryStorage: cfg.Storage.(*MemoryStorage)}
			disks[cfg.Raft.ID] = disk
		}
		cfg.Storage = disk
		cfg.Transport = checkedTransport{Transport: cfg.Transport, t: t, disk: disk}
		cfg.SnapshotEveryEntries, cfg.LogKeepEntries = 3, 1
		cfg.StateMachine.(*listSM).onApply = func(e raft.Entry) error {
			if disk.dirty {
				t.Errorf("entry %d applied before the storage synced", e.Index)
			}
			if term, err := disk.Term(e.Index); err != nil || term != e.Term {
				t.Errorf("entry %d/%d applied, storage has term %d (%v)", e.Index, e.Term, term, err)
			}
			return nil
		}
	})
	c.elect(1)
	c.crash(3)
	c.proposeN(1, "x", 10)
	c.start(3) // catches up through a snapshot
	c.tickAll(3)
	c.crash(1) // and a new leader takes over
	c.elect(2)
	want := c.proposeN(2, "y", 4)
	assert.Equal(t, want, c.sms[3].data[len(c.sms[3].data)-4:])
}
