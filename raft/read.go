package raft

import (
	"errors"
	"math"

	"github.com/raftcheck/raftcheck/raft/quorum"
)

// ErrLeaseNotHeld is returned by LeaseRead when the leader cannot vouch
// that no other leader exists: the lease has expired or is not established
// yet. The read may be retried, or served another way.
var ErrLeaseNotHeld = errors.New("raft lease not held")

// ErrLeaseDisabled is returned by LeaseRead without CheckQuorum: without
// it, followers vote for a new leader while this one still believes it
// leads, so no lease is safe.
var ErrLeaseDisabled = errors.New("raft lease reads need CheckQuorum")

// ReadState says that the read with RequestID may be served once the
// applied index reaches Index. Index is a commit index the leader held
// while it was confirmed leader after the read arrived, so every write that
// completed before the read began is at or below it.
type ReadState struct {
	RequestID uint64
	Index     uint64
}

// readRequest is a read waiting for a read index: the application's
// request ID, and the follower that asked for it (None for a local read).
type readRequest struct {
	id   uint64
	from uint64
	seq  uint64 // the follower's own number for a forwarded read
}

// readRound is a read index awaiting confirmation by a quorum's
// acknowledgement of a heartbeat with sequence number seq or later.
type readRound struct {
	seq   uint64
	index uint64
	reqs  []readRequest
	acks  map[uint64]bool
}

// readState is a leader's state for reads.
type readState struct {
	// seq numbers heartbeat broadcasts; rounds are confirmed by it.
	seq uint64
	// waiting reads join the next round.
	waiting []readRequest
	rounds  []*readRound
	ready   []ReadState
	// sentTick is the leader's tick count when each recent heartbeat
	// broadcast went out, for the lease.
	sentTick map[uint64]uint64

	// forwardSeq numbers a follower's forwarded reads, from a random
	// start drawn when the node starts; forwarded maps the numbers still
	// outstanding to the application's request IDs, oldest first in
	// forwardOrder. An answer is taken only for a number outstanding in
	// this incarnation: request IDs may repeat after a restart, and a
	// delayed answer to the earlier incarnation's read carries an index
	// that may be stale for the new one.
	forwardSeq   uint64
	forwarded    map[uint64]uint64
	forwardOrder []uint64
}

// forwardedMax bounds the forwarded reads a follower remembers; the oldest
// is forgotten first, and its reader times out and retries.
const forwardedMax = 4096

// readIndex asks for a read index for request id. On the leader the read
// joins the next confirmation round; on a follower it is forwarded to the
// leader (a follower read).
func (r *core) readIndex(id uint64) error {
	switch {
	case r.role == Leader:
		r.reads.waiting = append(r.reads.waiting, readRequest{id: id})
		return nil
	case r.lead == None:
		return &NotLeaderError{Term: r.term}
	}
	r.reads.forwardSeq++
	seq := r.reads.forwardSeq
	r.reads.forwarded[seq] = id
	r.reads.forwardOrder = append(r.reads.forwardOrder, seq)
	if len(r.reads.forwardOrder) > forwardedMax {
		delete(r.reads.forwarded, r.reads.forwardOrder[0])
		r.reads.forwardOrder = r.reads.forwardOrder[1:]
	}
	r.send(Message{Type: ReadIndexRequest, To: r.lead, Context: id, Seq: seq})
	r.traceRead("ForwardReadIndex", &r.msgs[len(r.msgs)-1], &TraceRead{Seq: seq})
	return nil
}

// committedInTerm reports whether an entry of the leader's term is
// committed. Until then the leader does not know the commit index of the
// group: an earlier leader may have committed entries this one has not yet
// marked committed, and a read index taken now could miss them.
func (r *core) committedInTerm() bool {
	return r.log.termOrZero(r.log.committed) == r.term
}

func (r *core) canStartReadRound() bool {
	return r.role == Leader && len(r.reads.waiting) > 0 && (r.committedInTerm() || r.bugs.ReadIndexBeforeCommitInTerm)
}

// HandleReadIndexRequest takes a follower's read into the next round.
func (r *core) HandleReadIndexRequest(m Message) {
	r.reads.waiting = append(r.reads.waiting, readRequest{id: m.Context, from: m.From, seq: m.Seq})
	r.traceAction("HandleReadIndexRequest", &m)
}

// HandleReadIndexResponse hands a follower its read index.
func (r *core) HandleReadIndexResponse(m Message) {
	if id, ok := r.reads.forwarded[m.Seq]; !ok || id != m.Context {
		r.traceAction(handlerName(m.Type), &m)
		return
	}
	delete(r.reads.forwarded, m.Seq)
	r.reads.ready = append(r.reads.ready, ReadState{RequestID: m.Context, Index: m.Index})
	r.traceRead("HandleReadIndexResponse", &m, &TraceRead{Seq: m.Seq, Index: m.Index})
}

// maybeStartReadRound starts a confirmation round for the reads waiting, if
// the leader has committed an entry of its term. Reads that arrived since
// the last round share this one; a read never joins a round that started
// before it arrived, whose acknowledgements could predate it.
func (r *core) maybeStartReadRound() {
	if !r.canStartReadRound() {
		return
	}
	round := &readRound{index: r.log.committed, reqs: r.reads.waiting, acks: map[uint64]bool{r.id: true}}
	r.reads.waiting = nil
	r.reads.rounds = append(r.reads.rounds, round)
	r.bcastHeartbeat()
	round.seq = r.reads.seq
	r.traceRead("ReadIndex", nil, &TraceRead{Seq: round.seq, Index: round.index})
	r.releaseConfirmedReads()
}

// ackRead counts a heartbeat response towards the read rounds it confirms:
// every round that started no later than the heartbeat it answers.
func (r *core) ackRead(m Message) {
	for _, round := range r.reads.rounds {
		confirms := round.seq <= m.Seq
		if r.bugs.AckReadByClientContext {
			confirms = m.Context != 0 && m.Context == round.reqs[0].id
		}
		if confirms {
			round.acks[m.From] = true
		}
	}
	r.releaseConfirmedReads()
}

// releaseConfirmedReads hands out the reads of every round a quorum has
// confirmed, in order.
func (r *core) releaseConfirmedReads() {
	n := 0
	for i, round := range r.reads.rounds {
		if r.trk.voters.VoteResult(round.acks) == quorum.VoteWon {
			n = i + 1
		}
	}
	for _, round := range r.reads.rounds[:n] {
		r.traceRead("ServeReadIndex", nil, &TraceRead{Seq: round.seq, Index: round.index})
		for _, req := range round.reqs {
			if req.from == None {
				r.reads.ready = append(r.reads.ready, ReadState{RequestID: req.id, Index: round.index})
			} else {
				r.send(Message{Type: ReadIndexResponse, To: req.from, Index: round.index, Context: req.id, Seq: req.seq})
			}
		}
	}
	r.reads.rounds = r.reads.rounds[n:]
}

// leaseTicks is how many of its own ticks a leader may serve lease reads
// after a heartbeat that a quorum acknowledged. A follower that received
// that heartbeat refuses to vote for ElectionTicks of its own ticks; its
// first tick may come at once, so that is at least ElectionTicks-1 tick
// periods. With clock rates differing by a factor up to (1+b)/(1-b), and
// one more tick lost to the leader's own granularity, the lease is
//
//	floor((ElectionTicks-1) * (1-b) / (1+b)) - 1
//
// ticks, where b is LeaseDriftBound.
func (r *core) leaseTicks() uint64 {
	b := r.cfg.LeaseDriftBound
	t := math.Floor(float64(r.cfg.ElectionTicks-1)*(1-b)/(1+b)) - 1
	return uint64(max(0, t))
}

// leaseRead returns the index a lease read may be served at, once applied.
func (r *core) leaseRead() (uint64, error) {
	switch {
	case !r.cfg.CheckQuorum:
		return 0, ErrLeaseDisabled
	case r.role != Leader:
		return 0, &NotLeaderError{Leader: r.lead, Term: r.term}
	case !r.committedInTerm() || r.leadTransferee != None || r.leaseForfeited:
		// During a transfer the transferee may win at once, without
		// waiting out anyone's election timeout: there is no lease.
		return 0, ErrLeaseNotHeld
	}
	start, ok := r.leaseStart()
	if !ok || r.ticks-start >= r.leaseTicks() {
		return 0, ErrLeaseNotHeld
	}
	r.traceRead("LeaseRead", nil, &TraceRead{Index: r.log.committed})
	return r.log.committed, nil
}

// leaseStart is the tick at which the latest heartbeat that a quorum
// acknowledged was sent.
func (r *core) leaseStart() (uint64, bool) {
	seq := r.trk.voters.CommittedIndex(ackedSeqs{r})
	tick, ok := r.reads.sentTick[seq]
	return tick, ok && seq > 0
}

// ackedSeqs reports each voter's highest acknowledged heartbeat; the leader
// acknowledges its own latest.
type ackedSeqs struct{ r *core }

func (a ackedSeqs) AckedIndex(id uint64) (uint64, bool) {
	if id == a.r.id {
		return a.r.reads.seq, true
	}
	pr, ok := a.r.trk.progress[id]
	if !ok {
		return 0, false
	}
	return pr.ackedSeq, true
}

// pruneSentTicks forgets the send ticks of heartbeats older than the one
// the lease runs from; they can no longer extend it.
// Heartbeats sent more than a lease ago go too, so that the map stays
// small while followers are silent.
func (r *core) pruneSentTicks() {
	seq := r.trk.voters.CommittedIndex(ackedSeqs{r})
	for s, tick := range r.reads.sentTick {
		if s < seq || r.ticks-tick > r.leaseTicks() {
			delete(r.reads.sentTick, s)
		}
	}
}

// resetReads drops every read in progress: they are not confirmed, and
// the reader retries elsewhere.
func (r *core) resetReads() {
	r.reads.waiting, r.reads.rounds = nil, nil
	clear(r.reads.sentTick)
	// Answers to reads forwarded in an earlier term are stale anyway.
	clear(r.reads.forwarded)
	r.reads.forwardOrder = r.reads.forwardOrder[:0]
}
