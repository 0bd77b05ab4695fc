package node

import (
	"time"

	"github.com/raftcheck/raftcheck/raft"
)

// Transport carries messages to other nodes. Send must not block for long
// and must not call back into the Node: messages may be lost, duplicated or
// reordered, and Raft copes. A transport that learns an
// InstallSnapshotRequest was not delivered tells the Node with
// ReportSnapshot(to, false), from the Node's goroutine (through Submit when
// the Node runs under Run), so the leader retries instead of waiting.
type Transport interface {
	Send(msgs []raft.Message)
}

// StateMachine is the application the log is applied to. It is called
// from within Process, in log order, and must be deterministic: every node
// applies the same entries to the same state. It starts empty; the Node
// restores it from the Storage's snapshot when it is created.
type StateMachine interface {
	// Apply applies one committed entry with data. Leader no-ops (entries
	// with no data) are counted as applied without a call. An error means
	// the entry could not be applied at all (not that the command failed,
	// which is a result of the application); it stops the Node.
	Apply(e raft.Entry) error
	// ApplySnapshot replaces the whole state with the snapshot's. An error
	// stops the Node.
	ApplySnapshot(snap raft.Snapshot) error
	// Snapshot returns the state as of the last applied entry, to be
	// stored and sent to slow followers.
	Snapshot() ([]byte, error)
}

// RoleObserver may be implemented by a StateMachine that wants to hear
// when the node's leader or role changes, for example to fail proposals
// waiting on a leader that stepped down. It is called from Process after
// the Ready that carried the change was applied.
type RoleObserver interface {
	RoleChanged(ss raft.SoftState)
}

// ReadObserver may be implemented by a StateMachine that serves reads
// outside the log. After every Ready is applied, Process hands it the reads
// that Ready confirmed and the index applied so far: a read may be served
// once applied reaches its ReadState.Index.
type ReadObserver interface {
	ReadsReady(reads []raft.ReadState, applied uint64)
}

// TickObserver may be implemented by a StateMachine that measures waits
// in ticks, for example to give up on a read whose answer was lost. Ticked
// is called after each tick of the core, on the node's goroutine.
type TickObserver interface {
	Ticked()
}

// Clock tells a running Node when to tick. The Node reads no wall clock
// itself: time is only the ticks it is told of.
type Clock interface {
	// Ticks delivers one value per tick.
	Ticks() <-chan time.Time
}

// IntervalClock is a Clock that says how far apart its ticks are. Run then
// counts ticks by the time each carries, not one per receive, and asks for
// the interval again at every count, so it may change while Run runs: a
// time.Ticker drops ticks while the process is stopped (a pause, a long
// GC), and a leader that counted only the ticks it received would believe
// less time had passed and hold its lease too long.
type IntervalClock interface {
	Clock
	Interval() time.Duration
}
