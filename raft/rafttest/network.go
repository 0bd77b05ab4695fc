// Package rafttest runs several raft cores in memory with message delivery
// by hand, for scenario tests: a test decides which message is delivered,
// dropped, duplicated or delayed, and when each node ticks. It drives the
// cores through their public API only, the way a real driver does. It is
// not the simulator: it has no time, no clients and no randomness.
package rafttest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/raftcheck/raftcheck/raft"
)

// Node is one member of a Network.
type Node struct {
	*raft.Raft
	// Storage is the node's durable state; it survives Crash.
	Storage *raft.MemoryStorage
	// Applied is every entry the node applied, in order, since it last
	// started; Snapshots counts the snapshots it installed.
	Applied   []raft.Entry
	Snapshots []raft.Snapshot
	// ReadStates are the confirmed reads the node handed out.
	ReadStates []raft.ReadState
	// Down is set between Crash and Restart.
	Down bool

	cfg raft.Config
}

// Network is a group of cores and the messages in flight between them.
type Network struct {
	t     testing.TB
	Nodes map[uint64]*Node
	// Pending holds the messages sent and not yet delivered, in the order
	// they were sent.
	Pending []raft.Message
	cut     map[[2]uint64]bool
	// Delivered counts the messages delivered, by type.
	Delivered map[raft.MessageType]int

	// applied is every entry any node ever applied, by index, across
	// crashes; safetyErr is the first conflict found in it.
	applied   map[uint64]raft.Entry
	safetyErr error
}

// New starts a group of n voters with IDs 1..n. Each config gets ID,
// Storage and Voters filled in before configure, if not nil, adjusts it.
func New(t testing.TB, n int, configure func(*raft.Config)) *Network {
	t.Helper()
	nw := &Network{t: t, Nodes: make(map[uint64]*Node), cut: make(map[[2]uint64]bool),
		Delivered: make(map[raft.MessageType]int), applied: make(map[uint64]raft.Entry)}
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	for _, id := range voters {
		cfg := raft.Config{ID: id, Storage: raft.NewMemoryStorage(), Voters: voters}
		if configure != nil {
			configure(&cfg)
		}
		nw.Nodes[id] = &Node{Storage: cfg.Storage.(*raft.MemoryStorage), cfg: cfg}
		nw.start(id)
	}
	return nw
}

// Join starts a node that is not a member yet (raft.Config.Join), to be
// added by a membership change. configure, if not nil, adjusts its config
// after ID, Storage and Join are filled in.
func (nw *Network) Join(id uint64, configure func(*raft.Config)) *Node {
	nw.t.Helper()
	if _, ok := nw.Nodes[id]; ok {
		nw.t.Fatalf("node %d exists", id)
	}
	cfg := raft.Config{ID: id, Storage: raft.NewMemoryStorage(), Join: true}
	if configure != nil {
		configure(&cfg)
	}
	nw.Nodes[id] = &Node{Storage: cfg.Storage.(*raft.MemoryStorage), cfg: cfg}
	nw.start(id)
	return nw.Nodes[id]
}

func (nw *Network) start(id uint64) {
	nw.t.Helper()
	nd := nw.Nodes[id]
	cfg := nd.cfg
	// The applied state is lost in a crash; the node applies again from
	// its snapshot on.
	snap, err := nd.Storage.Snapshot()
	if err != nil {
		nw.t.Fatalf("node %d: %v", id, err)
	}
	cfg.Applied = snap.Metadata.Index
	r, err := raft.New(cfg)
	if err != nil {
		nw.t.Fatalf("start node %d: %v", id, err)
	}
	nd.Raft, nd.Down, nd.Applied = r, false, nil
}

// IDs returns the node IDs in order.
func (nw *Network) IDs() []uint64 {
	ids := make([]uint64, 0, len(nw.Nodes))
	for id := range nw.Nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Process runs one node's Ready loop until it has nothing ready: persist,
// send (into Pending), apply, advance. It reports whether anything was
// ready.
func (nw *Network) Process(id uint64) bool {
	nd := nw.Nodes[id]
	if nd.Down {
		return false
	}
	any := false
	for nd.HasReady() {
		any = true
		rd := nd.Ready()
		if !rd.Snapshot.IsEmpty() {
			if err := nd.Storage.ApplySnapshot(rd.Snapshot); err != nil {
				nw.t.Fatalf("node %d: apply snapshot: %v", id, err)
			}
			nd.Snapshots = append(nd.Snapshots, rd.Snapshot)
		}
		if err := nd.Storage.Append(rd.Entries); err != nil {
			nw.t.Fatalf("node %d: append: %v", id, err)
		}
		if !rd.HardState.IsEmpty() {
			nd.Storage.SetHardState(rd.HardState)
		}
		nw.Pending = append(nw.Pending, rd.Messages...)
		nd.Applied = append(nd.Applied, rd.CommittedEntries...)
		nd.ReadStates = append(nd.ReadStates, rd.ReadStates...)
		nw.recordApplied(id, rd.CommittedEntries)
		nd.Advance(rd)
	}
	return any
}

// ProcessAll runs Process on every node.
func (nw *Network) ProcessAll() bool {
	any := false
	for _, id := range nw.IDs() {
		any = nw.Process(id) || any
	}
	return any
}

// Deliver delivers Pending[i] and removes it from Pending. A message on a
// cut link or to a node that is down is dropped instead. It reports
// whether the message was delivered.
func (nw *Network) Deliver(i int) bool {
	nw.t.Helper()
	m := nw.Pending[i]
	nw.Pending = slices.Delete(nw.Pending, i, i+1)
	to, ok := nw.Nodes[m.To]
	if !ok || to.Down || nw.cut[[2]uint64{m.From, m.To}] {
		return false
	}
	if err := to.Step(m); err != nil {
		nw.t.Fatalf("deliver %v: %v", m, err)
	}
	nw.Delivered[m.Type]++
	return true
}

// DeliverAll delivers every pending message, in order, including those the
// deliveries cause, until nothing is pending and no node has anything
// ready. It fails the test if the group does not settle within a bound.
func (nw *Network) DeliverAll() {
	nw.t.Helper()
	nw.DeliverAllExcept(func(raft.Message) bool { return false })
}

// DeliverAllExcept is DeliverAll, dropping every message that matches
// drop instead of delivering it.
func (nw *Network) DeliverAllExcept(drop func(raft.Message) bool) {
	nw.t.Helper()
	for round := 0; ; round++ {
		if round > 100000 {
			nw.t.Fatalf("network did not settle; %d messages pending", len(nw.Pending))
		}
		nw.ProcessAll()
		nw.Drop(drop)
		if len(nw.Pending) == 0 {
			return
		}
		nw.Deliver(0)
	}
}

// Drop removes the pending messages that match pred and returns them.
func (nw *Network) Drop(pred func(raft.Message) bool) []raft.Message {
	var dropped []raft.Message
	nw.Pending = slices.DeleteFunc(nw.Pending, func(m raft.Message) bool {
		if pred(m) {
			dropped = append(dropped, m)
			return true
		}
		return false
	})
	return dropped
}

// Cut stops delivery from a to b, one way.
func (nw *Network) Cut(a, b uint64) { nw.cut[[2]uint64{a, b}] = true }

// Isolate cuts every link to and from id.
func (nw *Network) Isolate(id uint64) {
	for _, other := range nw.IDs() {
		if other != id {
			nw.Cut(id, other)
			nw.Cut(other, id)
		}
	}
}

// Partition cuts every link between the two groups.
func (nw *Network) Partition(a, b []uint64) {
	for _, x := range a {
		for _, y := range b {
			nw.Cut(x, y)
			nw.Cut(y, x)
		}
	}
}

// Heal restores every link.
func (nw *Network) Heal() { clear(nw.cut) }

// Tick ticks one node n times, processing its Ready after each tick.
func (nw *Network) Tick(id uint64, n int) {
	for range n {
		if !nw.Nodes[id].Down {
			nw.Nodes[id].Tick()
			nw.Process(id)
		}
	}
}

// TickAll ticks every node up, then delivers everything, n times.
func (nw *Network) TickAll(n int) {
	for range n {
		for _, id := range nw.IDs() {
			nw.Tick(id, 1)
		}
		nw.DeliverAll()
	}
}

// Crash stops a node: its volatile state is lost, its Storage is kept, and
// messages to it are dropped until Restart.
func (nw *Network) Crash(id uint64) {
	nw.Nodes[id].Down = true
	nw.Nodes[id].Raft = nil
}

// Restart starts a crashed node from its Storage.
func (nw *Network) Restart(id uint64) { nw.start(id) }

// Elect makes id campaign and delivers everything; it fails the test if id
// does not become leader.
func (nw *Network) Elect(id uint64) {
	nw.t.Helper()
	nw.Nodes[id].Campaign()
	nw.DeliverAll()
	if st := nw.Nodes[id].Status(); st.Role != raft.Leader {
		nw.t.Fatalf("node %d did not become leader: %s in term %d", id, st.Role, st.Term)
	}
}

// Leader returns the leader of the highest term among the nodes up, or
// None.
func (nw *Network) Leader() uint64 {
	var lead, term uint64
	for _, id := range nw.IDs() {
		nd := nw.Nodes[id]
		if nd.Down {
			continue
		}
		if st := nd.Status(); st.Role == raft.Leader && st.Term >= term {
			lead, term = id, st.Term
		}
	}
	return lead
}

func (nw *Network) recordApplied(id uint64, ents []raft.Entry) {
	for _, e := range ents {
		prev, ok := nw.applied[e.Index]
		if ok && nw.safetyErr == nil && (prev.Term != e.Term || !bytes.Equal(prev.Data, e.Data)) {
			nw.safetyErr = fmt.Errorf("state machine safety: node %d applied %d/%q at index %d, another node applied %d/%q",
				id, e.Term, e.Data, e.Index, prev.Term, prev.Data)
		}
		if !ok {
			nw.applied[e.Index] = e
		}
	}
}

// StateMachineSafety returns an error if two nodes ever applied different
// entries at the same index, crashes included.
func (nw *Network) StateMachineSafety() error { return nw.safetyErr }

// CheckStateMachineSafety fails the test if StateMachineSafety does.
func (nw *Network) CheckStateMachineSafety() {
	nw.t.Helper()
	if err := nw.StateMachineSafety(); err != nil {
		nw.t.Fatal(err)
	}
}

// AppliedData returns the data of the non-empty entries a node applied.
func (nw *Network) AppliedData(id uint64) []string {
	var out []string
	for _, e := range nw.Nodes[id].Applied {
		if len(e.Data) > 0 {
			out = append(out, string(e.Data))
		}
	}
	return out
}

// String describes the nodes, for failure messages.
func (nw *Network) String() string {
	var b bytes.Buffer
	for _, id := range nw.IDs() {
		nd := nw.Nodes[id]
		if nd.Down {
			fmt.Fprintf(&b, "%d: down\n", id)
			continue
		}
		st := nd.Status()
		fmt.Fprintf(&b, "%d: %s term=%d lead=%d commit=%d last=%d\n", id, st.Role, st.Term, st.Lead, st.Commit, st.LastIndex)
	}
	return b.String()
}
