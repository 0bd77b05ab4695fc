package raft

import (
	"errors"
	"fmt"
)

// ErrTransferRefused is wrapped by the errors TransferLeadership returns
// for a target that cannot lead: unknown, a learner, or the leader itself.
var ErrTransferRefused = errors.New("raft leadership transfer refused")

// ErrTransferInProgress is returned by Propose while a leadership transfer
// is under way, and by TransferLeadership when one already is.
var ErrTransferInProgress = errors.New("raft leadership transfer in progress")

// transferLeadership starts handing leadership to member to: the leader
// stops taking proposals, brings to up to date, then sends it a
// TimeoutNowRequest. The transfer is abandoned if to has not won within an
// election timeout.
func (r *core) transferLeadership(to uint64) error {
	switch {
	case r.role != Leader:
		return &NotLeaderError{Leader: r.lead, Term: r.term}
	case to == r.id:
		return fmt.Errorf("%w: %d already leads", ErrTransferRefused, to)
	case !r.trk.isMember(to):
		return fmt.Errorf("%w: %d is not a member of %v", ErrTransferRefused, to, r.trk.voters)
	case !r.trk.voters.Contains(to):
		return fmt.Errorf("%w: %d is a learner", ErrTransferRefused, to)
	case r.leadTransferee != None:
		return fmt.Errorf("%w: to %d", ErrTransferInProgress, r.leadTransferee)
	}
	r.leadTransferee = to
	r.traceAction("TransferLeadership", nil)
	// The transfer has an election timeout to finish, counted from now on
	// a clock of its own: restarting the CheckQuorum round instead would
	// let a leader cut off from the rest keep leading for as long as it
	// is asked to transfer.
	r.transferElapsed = 0
	if r.trk.progress[to].Match != r.log.lastIndex() {
		// Send even with nothing new to send: what was in flight to the
		// target may be lost, and only its answer tells.
		r.sendAppend(to, true)
		return nil
	}
	r.maybeSendTimeoutNow(to)
	return nil
}

// maybeSendTimeoutNow tells the transferee to campaign once it holds the
// leader's whole log; until then it keeps replicating to it.
func (r *core) maybeSendTimeoutNow(to uint64) {
	if r.leadTransferee != to {
		return
	}
	if r.trk.progress[to].Match != r.log.lastIndex() {
		return // replication goes on; its next answer brings us back here
	}
	r.send(Message{Type: TimeoutNowRequest, To: to})
	r.leaseForfeited = true
	r.traceAction("SendTimeoutNow", &r.msgs[len(r.msgs)-1])
}

// abortTransfer gives up a transfer that did not finish within an election
// timeout; the leader takes proposals again.
func (r *core) abortTransfer() {
	if r.leadTransferee == None {
		return
	}
	r.leadTransferee = None
	r.traceAction("AbortTransfer", nil)
}

// HandleTimeoutNowRequest campaigns at once, skipping PreVote because the
// leader asked for it, and marking the vote requests so that voters who
// heard from that leader recently grant them anyway.
func (r *core) HandleTimeoutNowRequest(m Message) {
	if !r.promotable() {
		r.traceAction(handlerName(m.Type), &m)
		return
	}
	r.transferCampaign = true
	r.traceMsg = &m
	r.becomeCandidate("HandleTimeoutNowRequest")
	r.traceMsg = nil
	r.transferCampaign = false
}
