package raft

// Raft is one node's protocol core. It is not safe for concurrent use: one
// driver calls it from one goroutine (see the package documentation for
// the driver's loop).
type Raft struct {
	c *core
}

// New returns a node's core, restored from cfg.Storage. A node with an
// empty Storage starts a new group with cfg.Voters and cfg.Learners.
func New(cfg Config) (*Raft, error) {
	c, err := newCore(cfg)
	if err != nil {
		return nil, err
	}
	return &Raft{c: c}, nil
}

// ID returns this node's ID.
func (r *Raft) ID() uint64 { return r.c.id }

// Tick advances the node's clock by one tick. Election and heartbeat
// timeouts are counted in ticks.
func (r *Raft) Tick() { r.c.tick() }

// Step hands the core a message from another node. A malformed message or
// one of an unknown type is refused with an error wrapping
// ErrMalformedMessage, and changes nothing. A message from a node outside
// this node's configuration is taken: the sender may lead a configuration
// this node has not learned yet; a leader ignores the answers of nodes
// outside its configuration.
func (r *Raft) Step(m Message) error { return r.c.step(m) }

// Campaign starts an election now, as an election timeout would. It does
// nothing on a leader or a learner.
func (r *Raft) Campaign() { r.c.campaignNow() }

// Propose appends data to the log, to be replicated and committed, one
// entry per argument. Only the leader takes proposals; others return a
// *NotLeaderError (errors.Is(err, ErrNotLeader)) naming the leader they
// know of. ErrProposalDropped means too much is uncommitted, and
// ErrProposalTooLarge that an entry is over Config.EntryBytesMax. The
// entries go out with the next Ready, batched with other proposals.
func (r *Raft) Propose(data ...[]byte) error { return r.c.propose(data...) }

// HasReady reports whether Ready would hand out anything.
func (r *Raft) HasReady() bool { return r.c.hasReady() }

// ProposeConfChange proposes a membership change (see ConfChange). Only
// the leader takes it; others return a *NotLeaderError. A change that can
// never be made returns an error wrapping ErrConfChangeInvalid; one that
// must wait for an earlier change, or for the leader's first commit in its
// term, an error wrapping ErrConfChangeInFlight. Either way nothing
// changes. The new configuration takes effect at each node as soon as the
// node appends its entry (see confchange.go).
func (r *Raft) ProposeConfChange(cc ConfChange) error { return r.c.proposeConfChange(cc) }

// ConfStateAt is the configuration in effect at index i, at most the last
// index; an application takes a snapshot at its applied index with
// ConfStateAt(applied). It returns an error wrapping ErrCompacted for an
// index whose configuration this node no longer knows (below its snapshot
// or compacted log), and ErrConfUnknown for one before the configuration
// entry through which a node started with Config.Join learned of the
// group: such a node cannot snapshot there yet.
func (r *Raft) ConfStateAt(i uint64) (ConfState, error) { return r.c.confStateAt(i) }

// Ready returns what to persist, send and apply. Call Advance when done.
func (r *Raft) Ready() Ready { return r.c.ready() }

// Advance tells the core that rd was persisted, sent and applied. It
// panics if Storage does not hold what rd asked to persist.
func (r *Raft) Advance(rd Ready) { r.c.advance(rd) }

// ReportSnapshot tells the leader whether a snapshot reached member id.
// On failure the member goes back to probing.
func (r *Raft) ReportSnapshot(id uint64, ok bool) { r.c.reportSnapshot(id, ok) }

// Status returns the node's current state.
func (r *Raft) Status() Status { return r.c.status() }

// BasicStatus returns the node's state without membership or progress; it
// does not allocate.
func (r *Raft) BasicStatus() BasicStatus { return r.c.basicStatus() }

// ReadIndex asks for a linearizable read with the application's request
// ID. On the leader, the read joins the next round of heartbeats: once a
// quorum acknowledges a heartbeat sent after the read arrived, Ready hands
// out a ReadState with the commit index taken when the round started (not
// before an entry of the leader's term is committed). On a follower, the
// request goes to the leader and its answer comes back as a ReadState (a
// follower read). The read may be served once the applied index reaches
// ReadState.Index. A node that knows no leader returns a *NotLeaderError.
// A read that is never answered (the leader lost, a message dropped) must
// be retried by the application after a timeout.
func (r *Raft) ReadIndex(requestID uint64) error { return r.c.readIndex(requestID) }

// LeaseRead returns the index at which a read may be served at once, with
// no message exchanged, while the leader holds its lease: CheckQuorum is
// on, an entry of its term is committed, no leadership transfer is under
// way, and a quorum acknowledged a heartbeat sent fewer than the lease's
// ticks ago (see Config.LeaseDriftBound). The read may be served once the
// applied index reaches the returned index. Otherwise it returns
// ErrLeaseNotHeld, ErrLeaseDisabled or a *NotLeaderError.
func (r *Raft) LeaseRead() (uint64, error) { return r.c.leaseRead() }

// TransferLeadership hands leadership to member to: the leader stops
// taking proposals (they return ErrTransferInProgress), brings to up to
// date, and tells it to campaign at once. The transfer is abandoned after
// an election timeout. A target that is unknown, a learner, or this node
// is refused with an error wrapping ErrTransferRefused.
func (r *Raft) TransferLeadership(to uint64) error { return r.c.transferLeadership(to) }
