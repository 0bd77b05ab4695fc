package node

import (
	"errors"
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// Defaults for the limits of Config.
const (
	// DefaultSnapshotEveryEntries is how many entries are applied between
	// two snapshots.
	DefaultSnapshotEveryEntries = 10000
	// DefaultLogKeepEntries is how many applied entries are kept in the
	// log behind a snapshot, so a follower that lags by less than that
	// catches up with entries instead of a whole snapshot.
	DefaultLogKeepEntries = 1000
	// DefaultReadyRoundsMax bounds the Readies one Process call handles.
	// Whatever is left is handled by the next call.
	DefaultReadyRoundsMax = 64
	// DefaultInboxLen is the length of the queue of functions Submit hands
	// to Run.
	DefaultInboxLen = 256
	// DefaultSubmitBatchMax is how many queued functions Run calls before
	// it processes their Ready.
	DefaultSubmitBatchMax = 64
)

// ErrBadConfig is wrapped by every configuration error.
var ErrBadConfig = errors.New("bad node config")

// Config configures a Node. Zero limits take the defaults above.
type Config struct {
	// Raft configures the core. Its Storage and Applied are set by New
	// from Storage; leave them zero.
	Raft raft.Config
	// Storage is the node's durable state.
	Storage Storage
	// Transport carries messages to the other nodes.
	Transport Transport
	// StateMachine is the application.
	StateMachine StateMachine

	// SnapshotEveryEntries is how many entries (no-ops included) are
	// applied between two snapshots.
	SnapshotEveryEntries uint64
	// LogKeepEntries is how many entries a snapshot leaves in the log
	// behind it.
	LogKeepEntries uint64
	// ReadyRoundsMax bounds the Readies one Process call handles.
	ReadyRoundsMax int
	// InboxLen is the queue length of Submit.
	InboxLen int
	// SubmitBatchMax is how many functions queued by Submit Run calls
	// before one Process, so that proposals and messages that arrive
	// together share one Ready, and so one fsync. The bound keeps ticks
	// and sends from waiting behind a long queue.
	SubmitBatchMax int
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Storage == nil:
		return c, fmt.Errorf("%w: Storage is nil", ErrBadConfig)
	case c.Transport == nil:
		return c, fmt.Errorf("%w: Transport is nil", ErrBadConfig)
	case c.StateMachine == nil:
		return c, fmt.Errorf("%w: StateMachine is nil", ErrBadConfig)
	case c.Raft.Storage != nil:
		return c, fmt.Errorf("%w: set Storage, not Raft.Storage", ErrBadConfig)
	case c.Raft.Applied != 0:
		return c, fmt.Errorf("%w: Raft.Applied is set from the storage's snapshot", ErrBadConfig)
	case c.ReadyRoundsMax < 0 || c.InboxLen < 0 || c.SubmitBatchMax < 0:
		return c, fmt.Errorf("%w: negative ReadyRoundsMax %d, InboxLen %d or SubmitBatchMax %d",
			ErrBadConfig, c.ReadyRoundsMax, c.InboxLen, c.SubmitBatchMax)
	}
	if c.SnapshotEveryEntries == 0 {
		c.SnapshotEveryEntries = DefaultSnapshotEveryEntries
	}
	if c.LogKeepEntries == 0 {
		c.LogKeepEntries = DefaultLogKeepEntries
	}
	if c.ReadyRoundsMax == 0 {
		c.ReadyRoundsMax = DefaultReadyRoundsMax
	}
	if c.InboxLen == 0 {
		c.InboxLen = DefaultInboxLen
	}
	if c.SubmitBatchMax == 0 {
		c.SubmitBatchMax = DefaultSubmitBatchMax
	}
	return c, nil
}
