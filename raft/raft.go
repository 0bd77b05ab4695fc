// Package raft is the Raft protocol as a deterministic state machine. It
// takes messages (Step), the passage of time (Tick) and proposals
// (Propose), and hands back, in a Ready, what to persist, what to send and
// what to apply. It starts no goroutines, reads no clock, uses no global
// randomness and does no I/O, so every run is a function of its inputs and
// every bug it has can be replayed.
//
// The driver's loop is: take a Ready; persist its HardState, Entries and
// Snapshot; send its Messages; apply its CommittedEntries; call Advance.
// Advance checks that the Ready was persisted, and panics if it was not.
//
// Membership changes by joint consensus (ProposeConfChange; see
// confchange.go for the rules). To add a node, start it with Config.Join,
// propose it as a learner, wait until the leader's Status shows its Match
// near the commit index, then propose it as a voter. A configuration is in
// effect at a node once appended to its log and settled once committed
// (Status.ConfIndex <= Status.Commit); snapshots carry ConfStateAt(index).
package raft

import (
	"errors"
	"fmt"

	"github.com/raftcheck/raftcheck/internal/plant"
)

// ErrNotLeader is returned by Propose on a node that is not the leader. The
// error is a *NotLeaderError that names the leader, if one is known.
var ErrNotLeader = errors.New("not leader")

// NotLeaderError says which node the caller should try instead.
type NotLeaderError struct {
	// Leader is the leader this node knows of, or None.
	Leader uint64
	// Term is this node's term.
	Term uint64
}

func (e *NotLeaderError) Error() string {
	if e.Leader == None {
		return fmt.Sprintf("not leader (term %d, leader unknown)", e.Term)
	}
	return fmt.Sprintf("not leader (term %d, leader is %d)", e.Term, e.Leader)
}

// Is makes errors.Is(err, ErrNotLeader) true.
func (e *NotLeaderError) Is(target error) bool { return target == ErrNotLeader }

// core is the protocol state machine. Its handlers carry the names of the
// spec's actions and are exported on this unexported type, so they can be
// found by those names but not called past Step's validation.
type core struct {
	id   uint64
	term uint64
	vote uint64
	role Role
	lead uint64

	log *raftLog
	trk tracker

	msgs []Message

	// electionElapsed counts ticks since the last election timeout reset:
	// on a follower, since it heard from the leader; on a leader, since the
	// last CheckQuorum round.
	electionElapsed           int
	heartbeatElapsed          int
	randomizedElectionTimeout int

	// uncommittedBytes is the data a leader has appended and not yet
	// committed.
	uncommittedBytes uint64
	// appendPending is set when proposals were appended and not yet sent:
	// they go out in one batch when the driver takes the next Ready.
	appendPending bool

	prevHard HardState
	prevSoft SoftState

	// ticks counts every tick since the node started; the lease is
	// measured in it.
	ticks uint64
	reads readState
	// leadTransferee is the member a leadership transfer hands over to,
	// or None. While it is set the leader takes no proposals and holds no
	// lease.
	leadTransferee uint64
	// transferCampaign marks the campaign of a TimeoutNowRequest.
	transferCampaign bool
	// transferElapsed counts the ticks of the transfer under way.
	transferElapsed int
	// stickyUntil is the tick before which this node refuses to vote for
	// anyone but through a transfer: ElectionTicks after it last heard from
	// a leader. A leader's lease counts on that promise, so it is kept in
	// the node's own tick count and survives a change of term: a message of
	// a later term that is not from a leader must not cancel it. A
	// restarted node keeps it too, as if it had just heard from a leader,
	// since it may have acknowledged a heartbeat before it crashed.
	stickyUntil uint64
	// confs follows the configuration entries of the log; confIndex is
	// the index of the one in effect (of the snapshot, or 0, for the
	// snapshot's or the bootstrap configuration).
	confs     confLog
	confIndex uint64
	// pendingConfIndex is, on a leader, the index of its last
	// configuration entry, or its last index when it took over: no new
	// change is made until the commit index reaches it.
	pendingConfIndex uint64
	// leaseForfeited is set once a leader has sent a TimeoutNowRequest in
	// its term: the target may win without waiting out anyone's promise,
	// whenever the request arrives, so no lease is safe in this term again.
	leaseForfeited bool

	// traceMsg is the message of the spec action under way, for a trace
	// event emitted below its handler (HandleTimeoutNowRequest campaigns).
	traceMsg *Message

	cfg  Config
	bugs plant.Bugs
}

func newCore(c Config) (*core, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	hs, cs, err := cfg.Storage.InitialState()
	if err != nil {
		return nil, fmt.Errorf("raft: storage initial state: %w", err)
	}
	if len(cs.Voters) == 0 && len(cs.Learners) == 0 {
		cs = normalizeConf(ConfState{Voters: cfg.Voters, Learners: cfg.Learners})
	}
	if !(cfg.Join && len(cs.Voters)+len(cs.Learners) == 0) {
		// A bad configuration would be refused by every change proposed
		// on top of it, and in every snapshot that carries it.
		if err := cs.validate(); err != nil {
			return nil, fmt.Errorf("%w: membership from storage or config: %v", ErrBadConfig, err)
		}
	}
	lg, err := newLog(cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("raft: %w", err)
	}
	r := &core{
		id:  cfg.ID,
		log: lg,
		trk: newTracker(cs, cfg.InflightMsgsMax, cfg.InflightBytesMax),
		cfg: cfg,
	}
	r.reads.sentTick = make(map[uint64]uint64)
	r.reads.forwarded = make(map[uint64]uint64)
	r.reads.forwardSeq = cfg.Rand.Uint64() >> 1 // room to count up
	if cfg.Bugs != nil {
		r.bugs = *cfg.Bugs
	}
	if hs.Commit < lg.committed || hs.Commit > lg.lastIndex() {
		if hs.Commit > lg.lastIndex() {
			return nil, fmt.Errorf("raft: stored commit %d is past the last stored index %d", hs.Commit, lg.lastIndex())
		}
		hs.Commit = lg.committed
	}
	lg.committed = hs.Commit
	// The configuration in effect is that of the last configuration entry
	// of the log, if any.
	if err := r.initConf(cs); err != nil {
		return nil, err
	}
	lg.onAppend = r.onAppend
	if len(r.trk.conf.Voters) == 0 && !cfg.Join {
		return nil, fmt.Errorf("%w: no voters in storage or config, and Join is not set", ErrBadConfig)
	}
	if cfg.Join && len(cfg.Voters)+len(cfg.Learners) > 0 {
		return nil, fmt.Errorf("%w: Join is set together with Voters or Learners", ErrBadConfig)
	}
	if cfg.Applied > 0 {
		if cfg.Applied > lg.committed {
			return nil, fmt.Errorf("%w: Applied %d is past the commit index %d", ErrBadConfig, cfg.Applied, lg.committed)
		}
		lg.applied = max(lg.applied, cfg.Applied)
	}
	if r.bugs.ForgetVoteOnRestart {
		hs.Vote = None
	}
	r.term, r.vote = hs.Term, hs.Vote
	r.prevHard = r.hardState()
	r.becomeFollower(r.term, None)
	if !hs.IsEmpty() {
		r.stickyUntil = uint64(cfg.ElectionTicks)
	}
	r.prevSoft = r.softState()
	r.traceAction("Restart", nil)
	return r, nil
}

func (r *core) hardState() HardState {
	return HardState{Term: r.term, Vote: r.vote, Commit: r.log.committed}
}

// send queues m. Responses to votes carry the term in m already; all other
// messages carry the current term.
func (r *core) send(m Message) {
	m.From = r.id
	if m.Term == 0 {
		m.Term = r.term
	}
	r.msgs = append(r.msgs, m)
}

func (r *core) tick() {
	r.ticks++
	r.traceLeaseLapse()
	if r.role == Leader {
		r.tickLeader()
	} else {
		r.tickElection()
	}
}

func (r *core) step(m Message) error {
	if err := r.validate(m); err != nil {
		return err
	}
	if r.refusesVote(m) {
		// Refuse without raising our term, or a node that was cut off
		// and kept timing out could depose a live leader.
		r.send(Message{Type: voteResponseType(m.Type), To: m.From, Reject: true})
		r.traceAction(handlerName(m.Type), &m)
		return nil
	}
	switch {
	case m.Term > r.term:
		if !r.stepHigherTerm(m) {
			return nil
		}
	case m.Term < r.term:
		r.stepLowerTerm(m)
		return nil
	}
	switch m.Type {
	case PreVoteRequest:
		r.HandlePreVoteRequest(m)
		return nil
	case RequestVoteRequest:
		r.HandleRequestVoteRequest(m)
		return nil
	case ReadIndexResponse:
		r.HandleReadIndexResponse(m)
		return nil
	}
	switch r.role {
	case Leader:
		r.stepLeader(m)
	case Candidate, PreCandidate:
		r.stepCandidate(m)
	default:
		r.stepFollower(m)
	}
	return nil
}

// refusesVote reports whether m asks for a (pre-)vote that our promise to
// a leader forbids: one of our term or a later one, while we are within
// an election timeout of hearing from a leader (or lead ourselves). The
// promise does not depend on the term: a message that was not from a
// leader may have moved us to a later term, and a vote in that term would
// elect a second leader while the first still serves lease reads. A
// transfer's campaign is exempt, since its leader asked for it, and so is
// a repeated request from the candidate we already voted for.
func (r *core) refusesVote(m Message) bool {
	if m.Type != PreVoteRequest && m.Type != RequestVoteRequest {
		return false
	}
	return m.Term >= r.term && !m.Transfer && r.inLease() && !(m.Term == r.term && r.vote == m.From)
}

// inLease reports whether this node heard from a live leader within the
// election timeout. With CheckQuorum such a node refuses to vote, so a node
// that merely lost touch with the leader cannot depose it (leader
// stickiness), and a leader's lease can count on the promise.
func (r *core) inLease() bool {
	// A leader knows a live leader: itself. Without this a node with a
	// higher term could depose a healthy leader by asking it for a vote.
	return r.cfg.CheckQuorum && (r.role == Leader || r.ticks < r.stickyUntil)
}

// heardFromLeader renews the promise not to vote for another leader for
// an election timeout, and restarts the election timer.
func (r *core) heardFromLeader(lead uint64) {
	r.electionElapsed = 0
	r.lead = lead
	r.stickyUntil = r.ticks + uint64(r.cfg.ElectionTicks)
}

// stepHigherTerm handles the term of a message from a later term. It
// returns false if the message was dealt with here.
func (r *core) stepHigherTerm(m Message) bool {
	switch m.Type {
	case PreVoteRequest:
		// Never change our term in response to a pre-vote.
		return true
	case PreVoteResponse:
		if !m.Reject {
			// A granted pre-vote carries the term the candidate asked
			// about, not a term anyone is in.
			return true
		}
	}
	lead := None
	if m.Type == AppendEntriesRequest || m.Type == HeartbeatRequest || m.Type == InstallSnapshotRequest {
		lead = m.From
	}
	r.becomeFollower(m.Term, lead)
	r.traceAction("UpdateTerm", &m)
	return true
}

// stepLowerTerm answers a message from an earlier term.
func (r *core) stepLowerTerm(m Message) {
	switch m.Type {
	case AppendEntriesRequest, HeartbeatRequest, InstallSnapshotRequest:
		// A leader of an old term that was partitioned away learns our
		// term from this answer and steps down. Without it, a node that
		// PreVote or CheckQuorum keeps from raising the term could wait
		// for ever on a leader that is not one.
		r.send(Message{Type: AppendEntriesResponse, To: m.From})
	case PreVoteRequest:
		// Reject with our term, so a pre-candidate with an old term learns
		// it. Ignoring it could deadlock a cluster whose nodes are at
		// different terms and all pre-vote.
		r.send(Message{Type: PreVoteResponse, To: m.From, Reject: true})
	default:
		// A stale response or vote request: drop it.
	}
	r.traceAction(handlerName(m.Type), &m)
}

func (r *core) stepLeader(m Message) {
	switch m.Type {
	case AppendEntriesRequest, HeartbeatRequest, InstallSnapshotRequest:
		// Only a leader of our own term sends these: a second leader in
		// one term, whatever its configuration.
		r.assertNotLeader(m)
	}
	if !r.trk.isMember(m.From) {
		// A node outside the configuration: removed, or never added.
		// Its answers must not count toward any quorum.
		r.traceAction(handlerName(m.Type), &m)
		return
	}
	switch m.Type {
	case AppendEntriesResponse:
		r.HandleAppendEntriesResponse(m)
	case HeartbeatResponse:
		r.HandleHeartbeatResponse(m)
	case ReadIndexRequest:
		r.HandleReadIndexRequest(m)
	default:
		// Vote responses of this term from an election already won, and
		// requests only a leader sends: nothing to do.
		r.traceAction(handlerName(m.Type), &m)
	}
}

func (r *core) stepCandidate(m Message) {
	switch m.Type {
	case PreVoteResponse:
		r.HandlePreVoteResponse(m)
	case RequestVoteResponse:
		r.HandleRequestVoteResponse(m)
	case AppendEntriesRequest, HeartbeatRequest, InstallSnapshotRequest:
		// A leader exists in our term: we lost.
		r.becomeFollower(m.Term, m.From)
		r.stepFollower(m)
	default:
		r.traceAction(handlerName(m.Type), &m)
	}
}

func (r *core) stepFollower(m Message) {
	switch m.Type {
	case AppendEntriesRequest:
		r.HandleAppendEntriesRequest(m)
	case HeartbeatRequest:
		r.HandleHeartbeatRequest(m)
	case InstallSnapshotRequest:
		r.HandleInstallSnapshotRequest(m)
	case TimeoutNowRequest:
		r.HandleTimeoutNowRequest(m)
	default:
		r.traceAction(handlerName(m.Type), &m)
	}
}

// becomeFollower sets the role to follower in term, with lead as the known
// leader. Raising the term clears the vote.
func (r *core) becomeFollower(term, lead uint64) {
	r.reset(term)
	r.role = Follower
	r.lead = lead
}

// reset clears the per-term state when the role changes.
func (r *core) reset(term uint64) {
	if term < r.term {
		panic(fmt.Sprintf("raft: invariant broken: term goes back from %d to %d", r.term, term))
	}
	if r.term != term {
		r.term = term
		r.vote = None
	}
	r.lead = None
	r.electionElapsed = 0
	r.heartbeatElapsed = 0
	r.resetRandomizedElectionTimeout()
	r.trk.resetVotes()
	r.uncommittedBytes = 0
	r.appendPending = false
	r.leadTransferee = None
	r.leaseForfeited = false
	r.resetReads()
	last := r.log.lastIndex()
	for id, pr := range r.trk.progress {
		// ackedSeq goes too: a new leadership earns its lease afresh.
		*pr = Progress{Next: last + 1, inflights: pr.inflights, IsLearner: pr.IsLearner}
		pr.inflights.reset()
		if id == r.id {
			pr.Match = last
		}
	}
}

func (r *core) resetRandomizedElectionTimeout() {
	r.randomizedElectionTimeout = r.cfg.ElectionTicks + r.cfg.Rand.IntN(r.cfg.ElectionTicks)
}

// setVote records a vote. A node votes at most once per term: the vote is
// part of the HardState, durable before the grant is sent.
func (r *core) setVote(id uint64) {
	if r.vote != None && r.vote != id {
		panic(fmt.Sprintf("raft: invariant at most one vote per term broken: term %d, voted %d, now %d", r.term, r.vote, id))
	}
	r.vote = id
}

// promotable reports whether this node may campaign: it must be a voter.
func (r *core) promotable() bool {
	pr, ok := r.trk.progress[r.id]
	return ok && !pr.IsLearner && r.trk.voters.Contains(r.id)
}

func voteResponseType(t MessageType) MessageType {
	if t == PreVoteRequest {
		return PreVoteResponse
	}
	return RequestVoteResponse
}
