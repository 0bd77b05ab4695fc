package kv

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/model"
	"github.com/raftcheck/raftcheck/raft"
)

func checkQuorumGroup(t *testing.T) *group {
	return newGroup(t, 3, func(c *Config) { c.Node.Raft.CheckQuorum = true })
}

// read starts a read of key in mode on id, settles, and returns the answer.
func (g *group) read(id uint64, key string, mode ReadMode) (*answer, error) {
	g.t.Helper()
	a := &answer{}
	if err := g.svcs[id].StartRead(key, mode, a.done); err != nil {
		return nil, err
	}
	g.settle()
	return a, nil
}

func TestEveryReadModeSeesACompletedWrite(t *testing.T) {
	g := checkQuorumGroup(t)
	g.elect(1)
	s := NewSession(7)
	require.NoError(t, g.run(1, s.Next(Put("k", "v"))).err)
	// A heartbeat round gives the leader its lease.
	require.NoError(t, g.node(1).Tick())
	g.settle()
	for _, tc := range []struct {
		node uint64
		mode ReadMode
	}{{1, ReadIndex}, {1, ReadLease}, {1, ReadFollower}, {2, ReadFollower}, {3, ReadFollower}} {
		a, err := g.read(tc.node, "k", tc.mode)
		require.NoError(t, err, "%s on %d", tc.mode, tc.node)
		require.Equal(t, 1, a.called, "%s on %d answered once", tc.mode, tc.node)
		assert.Equal(t, Result{Value: "v", Found: true}, a.res, "%s on %d", tc.mode, tc.node)
	}
}

func TestReadModesThatCannotBeServedNowSayWhy(t *testing.T) {
	g := checkQuorumGroup(t)
	g.elect(1)
	_, err := g.read(2, "k", ReadIndex)
	var nle *raft.NotLeaderError
	require.ErrorAs(t, err, &nle, "a readindex read is for the leader")
	assert.Equal(t, uint64(1), nle.Leader)
	_, err = g.read(2, "k", ReadLease)
	require.ErrorAs(t, err, &nle)
	_, err = g.read(1, "k", ReadLease)
	require.ErrorIs(t, err, raft.ErrLeaseNotHeld, "no lease before a quorum acknowledged a heartbeat")
	_, err = g.read(1, "k", ReadLog)
	require.ErrorIs(t, err, ErrInvalidCommand, "log reads go through Start")
	_, err = g.read(1, "", ReadIndex)
	require.ErrorIs(t, err, ErrInvalidCommand)
}

func TestFollowerReadWaitingForItsIndexIsAbortedByALeaderChange(t *testing.T) {
	g := checkQuorumGroup(t)
	g.elect(1)
	// The follower's request never reaches the leader.
	g.net.cut[1] = true
	a := &answer{}
	require.NoError(t, g.svcs[2].StartRead("k", ReadFollower, a.done))
	g.settle()
	require.Zero(t, a.called)
	// 2 and 3 hear nothing from 1 and elect one of them; 2's leader
	// changes, and the read that waits on 1 is told to retry.
	for tick := 0; a.called == 0; tick++ {
		require.Less(t, tick, 100, "no new leader")
		require.NoError(t, g.node(2).Tick())
		require.NoError(t, g.node(3).Tick())
		g.settle()
	}
	require.Equal(t, 1, a.called)
	assert.True(t, errors.Is(a.err, ErrReadAborted), "retryable: %v", a.err)
}

func TestReadWhoseIndexNeverComesIsAbortedAfterReadTicksMax(t *testing.T) {
	g := checkQuorumGroup(t)
	g.elect(1)
	g.net.cut[1] = true // the forwarded request is lost
	a := &answer{}
	require.NoError(t, g.svcs[2].StartRead("k", ReadFollower, a.done))
	g.settle()
	for range ReadTicksMax - 1 {
		// Tick only the follower, so its leader stays the same.
		g.svcs[2].machineTick()
	}
	require.Zero(t, a.called)
	g.svcs[2].machineTick()
	require.Equal(t, 1, a.called)
	assert.ErrorIs(t, a.err, ErrReadAborted)
	assert.Zero(t, g.svcs[2].Waiting(), "the slot is free again")
}

func TestReadWhoseIndexNeverAppliesIsAbortedAfterReadTicksMax(t *testing.T) {
	g := checkQuorumGroup(t)
	g.elect(1)
	s := g.svcs[2]
	// A read index the follower, cut off, will not apply to.
	a := &answer{}
	s.readID++
	s.reads[s.readID] = &waitingRead{key: "k", index: 1 << 40, known: true, done: a.done}
	require.Equal(t, 1, s.Waiting(), "the read holds a PendingMax slot")
	for range ReadTicksMax - 1 {
		s.machineTick()
	}
	require.Zero(t, a.called)
	s.machineTick()
	require.Equal(t, 1, a.called)
	assert.ErrorIs(t, a.err, ErrReadAborted)
	assert.Zero(t, s.Waiting(), "the slot is free again")
}

func TestPendingMaxBoundsWritesAndReadsTogether(t *testing.T) {
	g := newGroup(t, 3, func(c *Config) {
		c.PendingMax = 2
		c.Node.Raft.CheckQuorum = true
	})
	g.elect(1)
	_, err := g.svcs[1].Start(NewSession(1).Next(Put("k", "v")), func(Result, error) {})
	require.NoError(t, err)
	require.NoError(t, g.svcs[1].StartRead("k", ReadIndex, (&answer{}).done))
	require.Equal(t, 2, g.svcs[1].Waiting())
	_, err = g.svcs[1].Start(NewSession(2).Next(Put("k", "v")), func(Result, error) {})
	require.ErrorIs(t, err, ErrTooManyPending, "a write past writes+reads is refused")
	err = g.svcs[1].StartRead("k", ReadIndex, (&answer{}).done)
	require.ErrorIs(t, err, ErrTooManyPending, "a read past writes+reads is refused")
	g.settle()
	assert.Zero(t, g.svcs[1].Waiting(), "answered writes and reads free their places")
	_, err = g.svcs[1].Start(NewSession(2).Next(Put("k", "v")), func(Result, error) {})
	assert.NoError(t, err)
}

// The harness and the Jepsen tests cast kv.ReadMode to model.ReadMode by
// name; a mode model does not know would make their histories unreadable.
func TestEveryReadModeIsAModelReadMode(t *testing.T) {
	require.NotEmpty(t, ReadModes)
	for _, m := range ReadModes {
		got, err := model.ParseReadMode(string(m))
		require.NoError(t, err, "mode %q", m)
		assert.Equal(t, model.ReadMode(m), got)
	}
}

// machineTick is Ticked as the node calls it after a tick.
func (s *Service) machineTick() { machine{s}.Ticked() }
