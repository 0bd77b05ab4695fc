package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/raftcheck/raftcheck/internal/plant"
)

// Defaults for the limits of Config. Each limit has a test at its edge.
const (
	// DefaultElectionTicks is the election timeout in ticks.
	DefaultElectionTicks = 10
	// DefaultHeartbeatTicks is the heartbeat interval in ticks.
	DefaultHeartbeatTicks = 1
	// DefaultMsgBytesMax bounds the entries of one AppendEntriesRequest.
	DefaultMsgBytesMax = 1 << 20
	// DefaultInflightMsgsMax bounds the pipelined AppendEntriesRequests to
	// one follower.
	DefaultInflightMsgsMax = 256
	// DefaultInflightBytesMax bounds the bytes of entries in flight to one
	// follower.
	DefaultInflightBytesMax = 32 << 20
	// DefaultUncommittedBytesMax bounds the data of entries that a leader
	// has appended but not committed; proposals past it are refused.
	DefaultUncommittedBytesMax = 64 << 20
	// DefaultEntryBytesMax bounds the data of one proposal.
	DefaultEntryBytesMax = 1 << 20
	// DefaultLeaseDriftBound is the clock-rate drift between any two
	// nodes that lease reads assume: 5%.
	DefaultLeaseDriftBound = 0.05
)

// Config configures one node's core. Zero limits take the defaults above.
type Config struct {
	// ID is this node's ID. It must not be zero.
	ID uint64
	// Storage is what the core reads its durable state from.
	Storage Storage
	// Voters and Learners bootstrap the membership of a new group. They
	// are used only when Storage holds no membership yet.
	Voters   []uint64
	Learners []uint64
	// Join starts a node with no membership, to be added to a running
	// group: it never campaigns, and learns its configuration from the
	// leader that adds it. It may not be set with Voters or Learners.
	Join bool
	// Applied is the last index the application has applied, on restart.
	Applied uint64

	// ElectionTicks is the election timeout. A follower that hears nothing
	// from a leader for a random time in [ElectionTicks, 2*ElectionTicks)
	// starts an election; a leader with CheckQuorum steps down if a quorum
	// was silent for ElectionTicks.
	ElectionTicks int
	// HeartbeatTicks is how often a leader sends heartbeats. It must be
	// less than ElectionTicks.
	HeartbeatTicks int

	// PreVote makes a node check that it could win before it raises its
	// term, so a node that comes back from a partition does not depose a
	// healthy leader.
	PreVote bool
	// CheckQuorum makes a leader step down when a quorum has not been heard
	// from within an election timeout, and makes followers that heard from
	// a leader within it refuse to vote (leader stickiness).
	CheckQuorum bool

	// MsgBytesMax bounds the entries in one AppendEntriesRequest. A single
	// entry larger than it is still sent, alone.
	MsgBytesMax uint64
	// InflightMsgsMax and InflightBytesMax bound the pipeline to each
	// follower.
	InflightMsgsMax  int
	InflightBytesMax uint64
	// UncommittedBytesMax bounds the data a leader holds uncommitted.
	UncommittedBytesMax uint64
	// EntryBytesMax bounds the data of one proposal.
	EntryBytesMax uint64

	// LeaseDriftBound is the largest relative difference in clock rate
	// between two nodes that lease reads assume (0.05 means a tick may be
	// 5% longer or shorter on one node than on another). A larger bound
	// makes the lease shorter. If real clocks drift more, lease reads can
	// return stale data. Zero takes DefaultLeaseDriftBound.
	LeaseDriftBound float64

	// Rand is the source of election jitter and of the random start of
	// the numbers a follower gives its forwarded reads. When nil, a source
	// seeded with ID is used, so a run is still a function of its inputs.
	// A production node should seed it afresh at each start: then answers
	// to reads forwarded before a restart cannot be mistaken for answers
	// to new ones.
	Rand *rand.Rand
	// Trace, if set, receives one event for every action the core takes.
	// A nil Trace costs nothing.
	Trace func(TraceEvent)

	// Bugs plants bugs, for tests of the checkers only.
	Bugs *plant.Bugs
}

// ErrBadConfig is wrapped by every configuration error.
var ErrBadConfig = errors.New("bad raft config")

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.ID == None {
		return cfg, fmt.Errorf("%w: ID must not be zero", ErrBadConfig)
	}
	if cfg.Storage == nil {
		return cfg, fmt.Errorf("%w: Storage is nil", ErrBadConfig)
	}
	if cfg.ElectionTicks == 0 {
		cfg.ElectionTicks = DefaultElectionTicks
	}
	if cfg.HeartbeatTicks == 0 {
		cfg.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if cfg.HeartbeatTicks < 0 || cfg.ElectionTicks <= cfg.HeartbeatTicks {
		return cfg, fmt.Errorf("%w: need 0 < HeartbeatTicks (%d) < ElectionTicks (%d)",
			ErrBadConfig, cfg.HeartbeatTicks, cfg.ElectionTicks)
	}
	if cfg.InflightMsgsMax < 0 {
		return cfg, fmt.Errorf("%w: InflightMsgsMax %d is negative", ErrBadConfig, cfg.InflightMsgsMax)
	}
	cfg.MsgBytesMax = orDefault(cfg.MsgBytesMax, DefaultMsgBytesMax)
	cfg.InflightBytesMax = orDefault(cfg.InflightBytesMax, DefaultInflightBytesMax)
	cfg.UncommittedBytesMax = orDefault(cfg.UncommittedBytesMax, DefaultUncommittedBytesMax)
	cfg.EntryBytesMax = orDefault(cfg.EntryBytesMax, DefaultEntryBytesMax)
	if cfg.InflightMsgsMax == 0 {
		cfg.InflightMsgsMax = DefaultInflightMsgsMax
	}
	if cfg.EntryBytesMax > cfg.UncommittedBytesMax {
		return cfg, fmt.Errorf("%w: EntryBytesMax %d exceeds UncommittedBytesMax %d, so a proposal could never fit",
			ErrBadConfig, cfg.EntryBytesMax, cfg.UncommittedBytesMax)
	}
	if cfg.LeaseDriftBound == 0 {
		cfg.LeaseDriftBound = DefaultLeaseDriftBound
	}
	if cfg.LeaseDriftBound < 0 || cfg.LeaseDriftBound >= 1 {
		return cfg, fmt.Errorf("%w: LeaseDriftBound %v outside [0, 1)", ErrBadConfig, cfg.LeaseDriftBound)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(cfg.ID, 0x7261667463686b))
	}
	return cfg, nil
}

func orDefault(v, d uint64) uint64 {
	if v == 0 {
		return d
	}
	return v
}
