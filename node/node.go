package node

import (
	"errors"
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// ErrStopped is wrapped by every error a Node returns once it stopped: after
// a storage or state machine failure, or after Run returned.
var ErrStopped = errors.New("node stopped")

// ErrReentrant is returned by a call into a Node from within its own
// Process, such as a StateMachine or a callback that proposes while an
// entry is being applied. Queue the work and do it after Process returns.
var ErrReentrant = errors.New("node called from within Process")

// Node drives one raft core. See the package documentation.
type Node struct {
	cfg  Config
	raft *raft.Raft
	st   Storage
	tr   Transport
	sm   StateMachine

	// applied is the index of the last entry applied to sm (or covered by
	// the snapshot it was restored from); snapIndex that of the latest
	// snapshot in storage.
	applied   uint64
	snapIndex uint64

	processing bool
	// err is why the node stopped; nil while it runs.
	err error

	inbox chan func(*Node)
	done  chan struct{}
}

// New returns a Node restored from cfg.Storage: the state machine is
// restored from the storage's snapshot, and the core hands out the
// committed entries after it to be applied again. A node with an empty
// storage starts a new group with cfg.Raft.Voters.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	snap, err := cfg.Storage.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("node %d: read snapshot: %w", cfg.Raft.ID, err)
	}
	if !snap.IsEmpty() {
		if err := cfg.StateMachine.ApplySnapshot(snap); err != nil {
			return nil, fmt.Errorf("node %d: restore state machine from snapshot at %d: %w",
				cfg.Raft.ID, snap.Metadata.Index, err)
		}
	}
	rcfg := cfg.Raft
	rcfg.Storage = cfg.Storage
	rcfg.Applied = snap.Metadata.Index
	r, err := raft.New(rcfg)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", cfg.Raft.ID, err)
	}
	return &Node{
		cfg: cfg, raft: r, st: cfg.Storage, tr: cfg.Transport, sm: cfg.StateMachine,
		applied: snap.Metadata.Index, snapIndex: snap.Metadata.Index,
		inbox: make(chan func(*Node), cfg.InboxLen), done: make(chan struct{}),
	}, nil
}

// ID returns the node's ID.
func (n *Node) ID() uint64 { return n.raft.ID() }

// Status returns the core's status.
func (n *Node) Status() raft.Status { return n.raft.Status() }

// BasicStatus returns the core's state without membership or progress; it
// does not allocate.
func (n *Node) BasicStatus() raft.BasicStatus { return n.raft.BasicStatus() }

// Applied returns the index of the last entry applied to the state machine.
func (n *Node) Applied() uint64 { return n.applied }

// Err returns why the node stopped, or nil while it runs.
func (n *Node) Err() error { return n.err }

// Done is closed when the node stops. It is safe for concurrent use.
func (n *Node) Done() <-chan struct{} { return n.done }

// check returns the error a call must return instead of going ahead.
func (n *Node) check() error {
	if n.err != nil {
		return n.err
	}
	if n.processing {
		return ErrReentrant
	}
	return nil
}

// Tick advances the node's clock by one tick.
func (n *Node) Tick() error {
	if err := n.check(); err != nil {
		return err
	}
	n.tick()
	return nil
}

// tick ticks the core and tells a TickObserver state machine.
func (n *Node) tick() {
	n.raft.Tick()
	if o, ok := n.sm.(TickObserver); ok {
		o.Ticked()
	}
}

// Step hands the core a message from another node. A malformed message is
// refused with an error wrapping raft.ErrMalformedMessage and changes
// nothing; the node keeps running.
func (n *Node) Step(m raft.Message) error {
	if err := n.check(); err != nil {
		return err
	}
	return n.raft.Step(m)
}

// Campaign starts an election now.
func (n *Node) Campaign() error {
	if err := n.check(); err != nil {
		return err
	}
	n.raft.Campaign()
	return nil
}

// Propose proposes data for the log, one entry per argument. A follower
// returns a *raft.NotLeaderError naming the leader it knows of.
func (n *Node) Propose(data ...[]byte) error {
	if err := n.check(); err != nil {
		return err
	}
	return n.raft.Propose(data...)
}

// ReadIndex asks the core for a linearizable read with the application's
// request ID; the confirmed read comes back through ReadObserver.
func (n *Node) ReadIndex(requestID uint64) error {
	if err := n.check(); err != nil {
		return err
	}
	return n.raft.ReadIndex(requestID)
}

// LeaseRead returns the index a lease read may be served at once applied,
// or why the leader holds no lease now (see raft.Raft.LeaseRead).
func (n *Node) LeaseRead() (uint64, error) {
	if err := n.check(); err != nil {
		return 0, err
	}
	return n.raft.LeaseRead()
}

// TransferLeadership hands leadership to member to (see
// raft.Raft.TransferLeadership).
func (n *Node) TransferLeadership(to uint64) error {
	if err := n.check(); err != nil {
		return err
	}
	return n.raft.TransferLeadership(to)
}

// ReportSnapshot tells the leader whether a snapshot sent to member id
// arrived. A transport calls it with ok false when an
// InstallSnapshotRequest could not be sent, so the leader goes back to
// probing that member instead of waiting for an election timeout.
func (n *Node) ReportSnapshot(id uint64, ok bool) error {
	if err := n.check(); err != nil {
		return err
	}
	n.raft.ReportSnapshot(id, ok)
	return nil
}

// stop records why the node stopped, once, and returns the error callers
// will see from now on.
func (n *Node) stop(err error) error {
	if n.err == nil {
		n.err = fmt.Errorf("node %d: %w: %w", n.raft.ID(), ErrStopped, err)
		close(n.done)
	}
	return n.err
}
