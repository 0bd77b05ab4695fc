package kv

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// memNet queues messages until the test delivers them.
type memNet struct {
	queue []raft.Message
	// cut drops messages from or to these nodes.
	cut map[uint64]bool
}

type memTransport struct{ net *memNet }

func (t memTransport) Send(msgs []raft.Message) { t.net.queue = append(t.net.queue, msgs...) }

// group is n Services wired through a memNet and driven from the test
// goroutine, as the simulator drives them.
type group struct {
	t      *testing.T
	net    *memNet
	svcs   map[uint64]*Service
	stores map[uint64]*node.MemoryStorage
	ids    []uint64
	cfg    func(*Config)
}

func newGroup(t *testing.T, n int, cfg func(*Config)) *group {
	t.Helper()
	g := &group{t: t, net: &memNet{cut: map[uint64]bool{}}, svcs: map[uint64]*Service{},
		stores: map[uint64]*node.MemoryStorage{}, cfg: cfg}
	for i := 1; i <= n; i++ {
		g.ids = append(g.ids, uint64(i))
	}
	for _, id := range g.ids {
		g.stores[id] = node.NewMemoryStorage()
		g.start(id)
	}
	return g
}

func (g *group) start(id uint64) {
	g.t.Helper()
	cfg := Config{Node: node.Config{
		Raft:    raft.Config{ID: id, Voters: g.ids, ElectionTicks: 10, HeartbeatTicks: 1},
		Storage: g.stores[id], Transport: memTransport{net: g.net},
	}}
	if g.cfg != nil {
		g.cfg(&cfg)
	}
	svc, err := NewService(cfg)
	require.NoError(g.t, err)
	g.svcs[id] = svc
}

func (g *group) node(id uint64) *node.Node { return g.svcs[id].Node() }

// settle processes and delivers until the network is quiet.
func (g *group) settle() {
	g.t.Helper()
	for round := 0; ; round++ {
		require.Less(g.t, round, 100000, "network did not settle")
		for _, id := range g.ids {
			if svc := g.svcs[id]; svc != nil {
				require.NoError(g.t, svc.Node().Process())
			}
		}
		if len(g.net.queue) == 0 {
			return
		}
		m := g.net.queue[0]
		g.net.queue = g.net.queue[1:]
		if svc := g.svcs[m.To]; svc != nil && !g.net.cut[m.To] && !g.net.cut[m.From] {
			require.NoError(g.t, svc.Node().Step(m))
		}
	}
}

func (g *group) elect(id uint64) {
	g.t.Helper()
	require.NoError(g.t, g.node(id).Campaign())
	g.settle()
	require.Equal(g.t, raft.Leader, g.node(id).Status().Role)
}

// answer is what a done callback received.
type answer struct {
	res    Result
	err    error
	called int
}

func (a *answer) done(res Result, err error) { a.res, a.err = res, err; a.called++ }

// run starts c on id, settles, and returns the answer.
func (g *group) run(id uint64, c Command) *answer {
	g.t.Helper()
	a := &answer{}
	_, err := g.svcs[id].Start(c, a.done)
	require.NoError(g.t, err)
	g.settle()
	require.Equal(g.t, 1, a.called, "%s was not answered once", c)
	return a
}

func TestServiceAnswersOnceTheCommandApplied(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	s := NewSession(5)
	require.NoError(t, g.run(1, s.Next(Put("k", "v"))).err)
	a := g.run(1, s.Next(Get("k")))
	require.NoError(t, a.err)
	assert.Equal(t, Result{Value: "v", Found: true}, a.res)
	for _, id := range g.ids {
		v, _ := g.svcs[id].Store().Lookup("k")
		assert.Equal(t, "v", v, "replica %d", id)
		assert.Equal(t, 0, g.svcs[id].Waiting())
	}
}

func TestFollowerRefusesACommandNamingTheLeader(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	_, err := g.svcs[2].Start(NewSession(5).Next(Put("k", "v")), func(Result, error) {
		t.Fatal("a refused command is never answered")
	})
	var nle *raft.NotLeaderError
	require.ErrorAs(t, err, &nle)
	assert.Equal(t, uint64(1), nle.Leader)
}

func TestRetryThroughANewLeaderTakesEffectOnce(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	c := NewSession(5).Next(Append("k", "x"))
	first := g.run(1, c)
	require.NoError(t, first.err)
	// The client never heard the answer; it retries on the next leader.
	g.elect(2)
	again := g.run(2, c)
	require.NoError(t, again.err)
	assert.Equal(t, first.res, again.res)
	for _, id := range g.ids {
		v, _ := g.svcs[id].Store().Lookup("k")
		assert.Equal(t, "x", v, "replica %d", id)
	}
}

func TestLeaderThatStepsDownAnswersItsWaitersUnknownNamingTheNewLeader(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	g.net.cut[1] = true
	a := &answer{}
	_, err := g.svcs[1].Start(NewSession(5).Next(Put("k", "v")), a.done)
	require.NoError(t, err)
	g.settle()
	require.Equal(t, 0, a.called, "cut off, the command cannot commit")
	g.elect(2)
	g.net.cut[1] = false
	require.NoError(t, g.node(2).Tick()) // a heartbeat tells 1 of the new term
	g.settle()
	require.Equal(t, 1, a.called)
	require.ErrorIs(t, a.err, ErrOutcomeUnknown)
	var nle *raft.NotLeaderError
	require.ErrorAs(t, a.err, &nle)
	assert.Equal(t, uint64(2), nle.Leader)
	assert.Equal(t, 0, g.svcs[1].Waiting())
}

func TestCancelledCommandIsNotAnswered(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	p, err := g.svcs[1].Start(NewSession(5).Next(Put("k", "v")), func(Result, error) {
		t.Fatal("a cancelled command is not answered")
	})
	require.NoError(t, err)
	p.Cancel()
	p.Cancel()
	assert.Equal(t, 0, g.svcs[1].Waiting())
	g.settle()
	v, _ := g.svcs[1].Store().Lookup("k")
	assert.Equal(t, "v", v, "the command still took effect")
}

func TestCommandsPastThePendingLimitAreRefused(t *testing.T) {
	g := newGroup(t, 3, func(c *Config) { c.PendingMax = 2 })
	g.elect(1)
	for client := uint64(1); client <= 2; client++ {
		_, err := g.svcs[1].Start(NewSession(client).Next(Put("k", "v")), func(Result, error) {})
		require.NoError(t, err, "within the limit")
	}
	_, err := g.svcs[1].Start(NewSession(3).Next(Put("k", "v")), func(Result, error) {})
	require.ErrorIs(t, err, ErrTooManyPending)
	g.settle()
	_, err = g.svcs[1].Start(NewSession(3).Next(Put("k", "v")), func(Result, error) {})
	assert.NoError(t, err, "answered commands free their places")
}

func TestInvalidCommandIsRefusedBeforeItIsProposed(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	last := g.node(1).Status().LastIndex
	_, err := g.svcs[1].Start(Put("k", "v"), func(Result, error) {})
	require.ErrorIs(t, err, ErrInvalidCommand)
	assert.Equal(t, last, g.node(1).Status().LastIndex)
}

func TestMalformedEntryIsSkippedAlikeOnEveryReplica(t *testing.T) {
	g := newGroup(t, 3, nil)
	g.elect(1)
	require.NoError(t, g.node(1).Propose([]byte("not a command")))
	g.settle()
	s := NewSession(5)
	require.NoError(t, g.run(1, s.Next(Put("k", "v"))).err)
	for _, id := range g.ids {
		assert.Equal(t, 1, g.svcs[id].Malformed(), "replica %d", id)
		assert.NoError(t, g.node(id).Err(), "replica %d", id)
	}
}

func TestRestartedReplicaRecoversTheStoreFromSnapshotAndLog(t *testing.T) {
	g := newGroup(t, 3, func(c *Config) {
		c.Node.SnapshotEveryEntries = 4
		c.Node.LogKeepEntries = 1
	})
	g.elect(1)
	s := NewSession(5)
	for range 11 {
		require.NoError(t, g.run(1, s.Next(Append("k", "x"))).err)
	}
	snap, err := g.stores[3].Snapshot()
	require.NoError(t, err)
	require.NotZero(t, snap.Metadata.Index)
	want := g.svcs[3].Store().Snapshot()

	g.start(3)
	require.NoError(t, g.node(3).Process())
	assert.Equal(t, want, g.svcs[3].Store().Snapshot())
	// The restored session table still recognizes a retry.
	g.elect(3)
	last := Command{Op: OpAppend, Key: "k", Value: "x", Client: 5, Seq: 11}
	require.NoError(t, g.run(3, last).err)
	v, _ := g.svcs[3].Store().Lookup("k")
	assert.Equal(t, "xxxxxxxxxxx", v)
}

func TestStateMachineOfTheConfigIsRefused(t *testing.T) {
	_, err := NewService(Config{Node: node.Config{StateMachine: machine{}}})
	assert.ErrorIs(t, err, node.ErrBadConfig)
	_, err = NewService(Config{PendingMax: -1})
	assert.ErrorIs(t, err, node.ErrBadConfig)
}

// manualClock ticks when the test sends on it.
type manualClock chan time.Time

func (c manualClock) Ticks() <-chan time.Time { return c }

func TestDoWaitsForTheCommandOnARunningNode(t *testing.T) {
	svc, err := NewService(Config{Node: node.Config{
		Raft: raft.Config{ID: 1, Voters: []uint64{1}}, Storage: node.NewMemoryStorage(),
		Transport: memTransport{net: &memNet{}},
	}})
	require.NoError(t, err)
	clock := make(manualClock)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- svc.Node().Run(ctx, clock) }()
	require.NoError(t, svc.Node().Submit(ctx, func(n *node.Node) { _ = n.Campaign() }))

	s := NewSession(5)
	_, err = svc.Do(ctx, s.Next(Put("k", "v")))
	require.NoError(t, err)
	res, err := svc.Do(ctx, s.Next(Get("k")))
	require.NoError(t, err)
	assert.Equal(t, Result{Value: "v", Found: true}, res)

	_, err = svc.Do(ctx, Put("k", "no session"))
	assert.ErrorIs(t, err, ErrInvalidCommand)

	short, stop := context.WithCancel(ctx)
	stop()
	_, err = svc.Do(short, s.Next(Put("k", "late")))
	assert.Error(t, err, "a cancelled context ends Do")

	cancel()
	assert.ErrorIs(t, <-ran, context.Canceled)
	_, err = svc.Do(context.Background(), s.Next(Put("k", "w")))
	assert.ErrorIs(t, err, node.ErrStopped)
}
