package raft

import (
	"errors"
	"fmt"
)

// ErrProposalDropped is returned by Propose when the leader cannot take a
// proposal now: too much is uncommitted. The caller may retry later.
var ErrProposalDropped = errors.New("raft proposal dropped")

// ErrProposalTooLarge is returned by Propose for data beyond EntryBytesMax.
var ErrProposalTooLarge = errors.New("raft proposal too large")

// tickLeader sends heartbeats and, with CheckQuorum, steps down when a
// quorum was silent for an election timeout.
func (r *core) tickLeader() {
	r.heartbeatElapsed++
	r.electionElapsed++
	r.tickSnapshots()
	if r.leadTransferee != None {
		r.transferElapsed++
		if r.transferElapsed >= r.cfg.ElectionTicks {
			r.abortTransfer()
		}
	}
	if r.electionElapsed >= r.cfg.ElectionTicks {
		r.electionElapsed = 0
		r.pruneSentTicks()
		if r.cfg.CheckQuorum {
			r.CheckQuorum()
			if r.role != Leader {
				return
			}
		}
	}
	if r.heartbeatElapsed >= r.cfg.HeartbeatTicks {
		r.heartbeatElapsed = 0
		r.bcastHeartbeat()
	}
}

// CheckQuorum steps down if a quorum has not been heard from since the last
// round. A leader cut off by a partition thus stops acting as leader within
// two election timeouts, before the other side elects a new one... and it
// starts the next round.
func (r *core) CheckQuorum() {
	if !r.trk.quorumActive(r.id) {
		r.becomeFollower(r.term, None)
		r.traceAction("CheckQuorum", nil)
		return
	}
	for id, pr := range r.trk.progress {
		if id != r.id {
			pr.RecentActive = false
		}
	}
	r.traceAction("CheckQuorum", nil)
}

// Propose appends data to the log, to be replicated and committed. Only
// the leader takes proposals; others return a *NotLeaderError. The entries
// are sent with the next Ready, batched with other proposals.
func (r *core) propose(data ...[]byte) error {
	if r.role != Leader {
		return &NotLeaderError{Leader: r.lead, Term: r.term}
	}
	if r.leadTransferee != None {
		// New entries would keep the transferee behind for ever.
		return fmt.Errorf("%w: to %d", ErrTransferInProgress, r.leadTransferee)
	}
	var bytes uint64
	for _, d := range data {
		if uint64(len(d)) > r.cfg.EntryBytesMax {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrProposalTooLarge, len(d), r.cfg.EntryBytesMax)
		}
		bytes += uint64(len(d))
	}
	// Refuse rather than grow memory without bound when followers cannot
	// keep up. An empty log of uncommitted data always takes one proposal.
	if r.uncommittedBytes > 0 && r.uncommittedBytes+bytes > r.cfg.UncommittedBytesMax {
		return fmt.Errorf("%w: %d uncommitted bytes, limit %d", ErrProposalDropped, r.uncommittedBytes, r.cfg.UncommittedBytesMax)
	}
	ents := make([]Entry, len(data))
	for i, d := range data {
		ents[i] = Entry{Type: EntryNormal, Data: d}
	}
	r.appendEntries(ents...)
	r.traceAction("ClientRequest", nil)
	r.appendPending = true
	return nil
}

// appendEntries appends entries of the current term to the leader's log.
func (r *core) appendEntries(ents ...Entry) {
	r.appendEntriesNoCommit(ents...)
	// A group of one commits at once.
	r.AdvanceCommitIndex()
}

func (r *core) appendEntriesNoCommit(ents ...Entry) {
	last := r.log.lastIndex()
	for i := range ents {
		ents[i].Term = r.term
		ents[i].Index = last + 1 + uint64(i)
	}
	r.uncommittedBytes += payloadSize(ents)
	last = r.log.append(ents...)
	r.trk.progress[r.id].maybeUpdate(last)
}

// flushAppends sends the entries that proposals appended since the last
// Ready, in as few messages as the size limits allow.
func (r *core) flushAppends() {
	if r.appendPending && r.role == Leader {
		r.bcastAppend()
	}
	r.appendPending = false
	r.maybeStartReadRound()
}

// AdvanceCommitIndex commits the highest index that a quorum holds, if it
// is of the current term. An entry of an earlier term is never committed
// by counting replicas: Figure 8 of the Raft paper shows such an entry,
// stored on a majority, overwritten by a later leader. It is committed
// only when an entry of the current term after it is.
func (r *core) AdvanceCommitIndex() bool {
	mci := r.trk.committed()
	if mci <= r.log.committed {
		return false
	}
	if r.log.termOrZero(mci) != r.term && !r.bugs.CommitPreviousTermByCounting {
		return false
	}
	r.commitTo(mci)
	r.traceAction("AdvanceCommitIndex", nil)
	r.maybeLeaveJoint()
	return true
}

func (r *core) bcastAppend() {
	for _, id := range r.trk.memberIDs() {
		if id != r.id {
			r.sendAppends(id)
		}
	}
}

// sendAppends sends a member what it lacks: one message in probe, and in
// replicate as many as the in-flight window allows.
func (r *core) sendAppends(to uint64) {
	pr := r.trk.progress[to]
	for r.sendAppend(to, false) && pr.State == ProgressReplicate {
	}
}

func (r *core) bcastHeartbeat() {
	// Each broadcast has its own sequence number: an acknowledgement of it
	// confirms every read round started before it, and the lease runs from
	// when it was sent.
	r.reads.seq++
	r.reads.sentTick[r.reads.seq] = r.ticks
	for _, id := range r.trk.memberIDs() {
		if id != r.id {
			r.Heartbeat(id)
		}
	}
}

// Heartbeat asserts leadership to one member. It carries the commit index
// only up to what that member is known to hold: a follower must never
// commit past the last entry it knows matches the leader.
func (r *core) Heartbeat(to uint64) {
	pr := r.trk.progress[to]
	m := Message{Type: HeartbeatRequest, To: to, Commit: min(pr.Match, r.log.committed), Seq: r.reads.seq}
	if r.bugs.AckReadByClientContext && len(r.reads.rounds) > 0 {
		m.Context = r.reads.rounds[len(r.reads.rounds)-1].reqs[0].id
	}
	r.send(m)
	r.traceAction("Heartbeat", &r.msgs[len(r.msgs)-1])
}

// sendAppend sends the entries a member lacks, or a snapshot if they were
// compacted away. With sendEmpty, a message goes out even with no entries
// (to carry a commit index or probe).
func (r *core) sendAppend(to uint64, sendEmpty bool) bool {
	pr := r.trk.progress[to]
	if pr.isPaused() {
		return false
	}
	prevIndex := pr.Next - 1
	prevTerm, errTerm := r.log.term(prevIndex)
	ents, errEnts := r.log.slice(pr.Next, r.log.lastIndex()+1, r.cfg.MsgBytesMax)
	if errTerm != nil || errEnts != nil {
		if !errIsMissing(errTerm) && !errIsMissing(errEnts) {
			panic(fmt.Sprintf("raft: reading the log for %d: %v %v", to, errTerm, errEnts))
		}
		return r.SendSnapshot(to)
	}
	// A follower commits at most up to the last entry of the message, so
	// that bounds what an empty append can tell it.
	commitUsable := min(r.log.committed, prevIndex+uint64(len(ents)))
	if len(ents) == 0 && !sendEmpty && pr.State == ProgressReplicate && commitUsable <= pr.sentCommit {
		return false
	}
	pr.sentCommit = max(pr.sentCommit, commitUsable)
	r.send(Message{
		Type: AppendEntriesRequest, To: to,
		Index: prevIndex, LogTerm: prevTerm, Entries: ents, Commit: r.log.committed,
	})
	pr.sentEntries(prevIndex+uint64(len(ents)), entriesSize(ents), len(ents))
	r.traceAction("AppendEntries", &r.msgs[len(r.msgs)-1])
	return true
}

// HandleAppendEntriesRequest is a follower taking entries from the leader
// of its term.
func (r *core) HandleAppendEntriesRequest(m Message) {
	r.assertNotLeader(m)
	r.heardFromLeader(m.From)
	if m.Index < r.log.committed {
		// Everything up to our commit index matches the leader already;
		// say so, and the leader moves on from there.
		r.send(Message{Type: AppendEntriesResponse, To: m.From, Index: r.log.committed})
		r.traceAction("HandleAppendEntriesRequest", &m)
		return
	}
	lastNew, ok := r.log.maybeAppend(m.Index, m.LogTerm, m.Entries)
	if !ok {
		hintIndex, hintTerm := r.conflictHint(m.Index)
		r.send(Message{Type: AppendEntriesResponse, To: m.From, Index: m.Index,
			Reject: true, RejectHint: hintIndex, LogTerm: hintTerm})
		r.traceAction("HandleAppendEntriesRequest", &m)
		return
	}
	// Commit only up to lastNew: entries after it may be left over from an
	// older leader and need not match the current leader's log.
	tocommit := min(m.Commit, lastNew)
	if r.bugs.FollowerCommitPastMatch {
		tocommit = min(m.Commit, r.log.lastIndex())
	}
	r.commitTo(tocommit)
	r.send(Message{Type: AppendEntriesResponse, To: m.From, Index: lastNew})
	r.traceAction("HandleAppendEntriesRequest", &m)
}

// conflictHint tells the leader where to retry after the consistency check
// failed at index: the first index of the term we hold at index, so the
// leader skips a whole term per round trip; or, if our log is shorter, our
// last index plus one with term 0.
func (r *core) conflictHint(index uint64) (hintIndex, hintTerm uint64) {
	last := r.log.lastIndex()
	if index > last {
		return last + 1, 0
	}
	term := r.log.termOrZero(index)
	first := index
	// Entries up to the commit index match the leader, so the search
	// stops there; it never walks the whole log.
	for first-1 > r.log.committed && r.log.termOrZero(first-1) == term {
		first--
	}
	return first, term
}

// HandleAppendEntriesResponse updates a member's progress, commits what a
// quorum now holds, and sends what the member still lacks.
func (r *core) HandleAppendEntriesResponse(m Message) {
	pr := r.trk.progress[m.From]
	pr.RecentActive = true
	r.traceAction("HandleAppendEntriesResponse", &m)
	if m.Reject {
		if pr.maybeDecrTo(m.Index, r.nextAfterRejection(pr, m)) {
			r.sendAppend(m.From, false)
		}
		return
	}
	if !pr.maybeUpdate(m.Index) {
		return
	}
	switch {
	case pr.State == ProgressProbe:
		pr.becomeReplicate()
	case pr.State == ProgressSnapshot && pr.Match >= pr.PendingSnapshot:
		pr.becomeProbe()
		pr.becomeReplicate()
	case pr.State == ProgressReplicate:
		pr.inflights.freeLE(m.Index)
	}
	if r.AdvanceCommitIndex() {
		if r.role != Leader {
			return // the commit settled a configuration without us: we stepped down
		}
		r.bcastAppend() // tell everyone the new commit index
		if !r.trk.isMember(m.From) {
			return // the commit settled a configuration without the sender
		}
	}
	r.sendAppends(m.From)
	r.maybeSendTimeoutNow(m.From)
}

// nextAfterRejection finds where to retry from the follower's hint: past
// the last entry we hold of the follower's conflicting term, or at the
// start of that term in the follower's log if we hold none of it.
func (r *core) nextAfterRejection(pr *Progress, m Message) uint64 {
	if m.LogTerm == 0 {
		return m.RejectHint
	}
	i := min(m.Index, r.log.lastIndex())
	for i > pr.Match {
		t, err := r.log.term(i)
		if err != nil || t < m.LogTerm {
			break
		}
		if t == m.LogTerm {
			return i + 1
		}
		i--
	}
	return m.RejectHint
}

// HandleHeartbeatRequest is a follower hearing from the leader of its term.
func (r *core) HandleHeartbeatRequest(m Message) {
	r.heardFromLeader(m.From)
	// The leader sends at most its Match for us, which we made durable
	// before acknowledging it; the min guards the commit invariant.
	r.commitTo(min(m.Commit, r.log.lastIndex()))
	r.send(Message{Type: HeartbeatResponse, To: m.From, Seq: m.Seq, Context: m.Context})
	r.traceAction("HandleHeartbeatRequest", &m)
}

// HandleHeartbeatResponse notes that the member is alive and sends it what
// it lacks.
func (r *core) HandleHeartbeatResponse(m Message) {
	pr := r.trk.progress[m.From]
	pr.RecentActive = true
	pr.ProbeSent = false
	pr.ackedSeq = max(pr.ackedSeq, m.Seq)
	r.ackRead(m)
	// A full window whose messages were lost would never drain: free one
	// slot so replication resumes. A lost message shows up as a rejection
	// of the next one, which sends the member back to probe.
	if pr.State == ProgressReplicate && pr.inflights.full() {
		pr.inflights.freeFirst()
	}
	r.traceAction("HandleHeartbeatResponse", &m)
	if pr.Match < r.log.lastIndex() {
		// Send even if there is nothing new to send: the member may have
		// lost what was in flight (it restarted, or messages were
		// dropped), and only an append tells us by its rejection.
		r.sendAppend(m.From, true)
	}
}

// assertNotLeader guards the rule that a leader never truncates its own
// log: it only ever appends. Two leaders in one term would break election
// safety, so a leader handed entries by another of its term is a bug.
func (r *core) assertNotLeader(m Message) {
	if r.role == Leader {
		panic(fmt.Sprintf("raft: invariant broken: leader %d of term %d handed %s; a leader never truncates its own log", r.id, r.term, m))
	}
}
