package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// listSM is a state machine that keeps the data of every applied entry.
type listSM struct {
	data []string
	// onApply, if set, runs before each Apply.
	onApply func(raft.Entry) error
}

func (s *listSM) Apply(e raft.Entry) error {
	if s.onApply != nil {
		if err := s.onApply(e); err != nil {
			return err
		}
	}
	s.data = append(s.data, string(e.Data))
	return nil
}

func (s *listSM) ApplySnapshot(snap raft.Snapshot) error {
	var data []string
	if err := json.Unmarshal(snap.Data, &data); err != nil {
		return fmt.Errorf("decode list snapshot: %w", err)
	}
	s.data = data
	return nil
}

func (s *listSM) Snapshot() ([]byte, error) { return json.Marshal(s.data) }

// net is an in-memory network: messages wait in a queue until delivered.
type net struct {
	queue []raft.Message
	// drop, if set, drops the messages it matches when they are sent.
	drop func(raft.Message) bool
	// dropped collects what drop dropped.
	dropped []raft.Message
}

type netTransport struct {
	net *net
}

func (t netTransport) Send(msgs []raft.Message) {
	for _, m := range msgs {
		if t.net.drop != nil && t.net.drop(m) {
			t.net.dropped = append(t.net.dropped, m)
			continue
		}
		t.net.queue = append(t.net.queue, m)
	}
}

// cluster is n nodes wired through a net, driven from the test goroutine
// as the simulator drives them.
type cluster struct {
	t      *testing.T
	net    *net
	nodes  map[uint64]*Node
	sms    map[uint64]*listSM
	stores map[uint64]Storage
	ids    []uint64
	// configure, if set, adjusts each node's config before New.
	configure func(*Config)
}

func newCluster(t *testing.T, n int, configure func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, net: &net{}, nodes: map[uint64]*Node{}, sms: map[uint64]*listSM{},
		stores: map[uint64]Storage{}, configure: configure}
	for i := 1; i <= n; i++ {
		c.ids = append(c.ids, uint64(i))
	}
	for _, id := range c.ids {
		c.stores[id] = NewMemoryStorage()
		c.start(id)
	}
	return c
}

// start creates node id from its storage, with a fresh state machine, as a
// process does when it starts after a crash.
func (c *cluster) start(id uint64) {
	c.t.Helper()
	sm := &listSM{}
	cfg := Config{
		Raft:         raft.Config{ID: id, Voters: c.ids, ElectionTicks: 10, HeartbeatTicks: 1},
		Storage:      c.stores[id],
		Transport:    netTransport{net: c.net},
		StateMachine: sm,
	}
	if c.configure != nil {
		c.configure(&cfg)
	}
	nd, err := New(cfg)
	require.NoError(c.t, err)
	c.nodes[id], c.sms[id] = nd, sm
}

// crash drops node id's volatile state; its storage is kept.
func (c *cluster) crash(id uint64) {
	delete(c.nodes, id)
	delete(c.sms, id)
}

// settle processes every node and delivers every message until the
// network is quiet.
func (c *cluster) settle() {
	c.t.Helper()
	for round := 0; ; round++ {
		require.Less(c.t, round, 100000, "network did not settle")
		for _, id := range c.ids {
			if nd := c.nodes[id]; nd != nil {
				require.NoError(c.t, nd.Process())
			}
		}
		if len(c.net.queue) == 0 {
			return
		}
		m := c.net.queue[0]
		c.net.queue = c.net.queue[1:]
		if nd := c.nodes[m.To]; nd != nil {
			require.NoError(c.t, nd.Step(m))
		}
	}
}

// elect makes id campaign and settles; id must win.
func (c *cluster) elect(id uint64) {
	c.t.Helper()
	require.NoError(c.t, c.nodes[id].Campaign())
	c.settle()
	require.Equal(c.t, raft.Leader, c.nodes[id].Status().Role)
}

// proposeN proposes n entries "<prefix>i" on id, settling after each.
func (c *cluster) proposeN(id uint64, prefix string, n int) []string {
	c.t.Helper()
	var want []string
	for i := range n {
		d := fmt.Sprintf("%s%d", prefix, i)
		require.NoError(c.t, c.nodes[id].Propose([]byte(d)))
		c.settle()
		want = append(want, d)
	}
	return want
}

// tickAll ticks every node n times, settling after each round.
func (c *cluster) tickAll(n int) {
	c.t.Helper()
	for range n {
		for _, id := range c.ids {
			if nd := c.nodes[id]; nd != nil {
				require.NoError(c.t, nd.Tick())
			}
		}
		c.settle()
	}
}

// event is one call the recording wrappers saw.
type event string

const (
	evPersist event = "persist"
	evSync    event = "sync"
	evSend    event = "send"
	evApply   event = "apply"
)

// phase orders the events of one Ready: persist before sync before send
// before apply.
var phase = map[event]int{evPersist: 0, evSync: 1, evSend: 2, evApply: 3}

// recorder collects events from a recordingStorage, recordingTransport and
// recordingSM that share it.
type recorder struct{ events []event }

func (r *recorder) add(e event) { r.events = append(r.events, e) }

type recordingStorage struct {
	*MemoryStorage
	rec *recorder
}

func (s recordingStorage) Append(ents []raft.Entry) error {
	s.rec.add(evPersist)
	return s.MemoryStorage.Append(ents)
}

func (s recordingStorage) SetHardState(hs raft.HardState) error {
	s.rec.add(evPersist)
	return s.MemoryStorage.SetHardState(hs)
}

func (s recordingStorage) ApplySnapshot(snap raft.Snapshot) error {
	s.rec.add(evPersist)
	return s.MemoryStorage.ApplySnapshot(snap)
}

func (s recordingStorage) Sync() error {
	s.rec.add(evSync)
	return nil
}

type recordingTransport struct {
	Transport
	rec *recorder
}

func (t recordingTransport) Send(msgs []raft.Message) {
	t.rec.add(evSend)
	t.Transport.Send(msgs)
}

// errDisk is the failure a failingStorage injects.
var errDisk = errors.New("disk on fire")

// failingStorage fails every write once failing is set.
type failingStorage struct {
	*MemoryStorage
	failing bool
}

func (s *failingStorage) Append(ents []raft.Entry) error {
	if s.failing {
		return errDisk
	}
	return s.MemoryStorage.Append(ents)
}

func (s *failingStorage) Sync() error {
	if s.failing {
		return errDisk
	}
	return nil
}
