package raft

import (
	"errors"
	"fmt"
)

// SendSnapshot sends the latest snapshot to a member whose next entry was
// compacted away, and waits in ProgressSnapshot until the member
// acknowledges it, ReportSnapshot says it failed, or an election timeout
// passes.
func (r *core) SendSnapshot(to uint64) bool {
	pr := r.trk.progress[to]
	snap, err := r.log.snapshot()
	if err != nil {
		if errors.Is(err, ErrSnapshotTemporarilyUnavailable) {
			return false
		}
		panic(fmt.Sprintf("raft: snapshot for %d: %v", to, err))
	}
	if snap.IsEmpty() {
		panic(fmt.Sprintf("raft: entries for %d were compacted but there is no snapshot", to))
	}
	pr.becomeSnapshot(snap.Metadata.Index)
	r.send(Message{Type: InstallSnapshotRequest, To: to, Snapshot: &snap})
	r.traceAction("SendSnapshot", &r.msgs[len(r.msgs)-1])
	return true
}

// ReportSnapshot tells the leader whether a snapshot reached member id. On
// failure the member goes back to probing, and a new snapshot is sent if it
// still needs one.
func (r *core) reportSnapshot(id uint64, ok bool) {
	pr, found := r.trk.progress[id]
	if r.role != Leader || !found || pr.State != ProgressSnapshot {
		return
	}
	if !ok {
		pr.PendingSnapshot = 0
	}
	pr.becomeProbe()
}

// tickSnapshots gives up on snapshots that were neither acknowledged nor
// reported within an election timeout: a lost InstallSnapshotRequest must
// not leave a member in ProgressSnapshot for ever.
func (r *core) tickSnapshots() {
	for _, pr := range r.trk.progress {
		if pr.State != ProgressSnapshot {
			continue
		}
		pr.snapshotElapsed++
		if pr.snapshotElapsed >= r.cfg.ElectionTicks {
			pr.PendingSnapshot = 0
			pr.becomeProbe()
		}
	}
}

// HandleInstallSnapshotRequest installs the leader's snapshot, unless our
// log already holds what it covers.
func (r *core) HandleInstallSnapshotRequest(m Message) {
	r.assertNotLeader(m)
	r.heardFromLeader(m.From)
	s := *m.Snapshot
	idx, term := s.Metadata.Index, s.Metadata.Term
	switch {
	case idx <= r.log.committed:
		// Stale: we hold all of it already.
	case r.log.matchTerm(idx, term):
		// Our log holds the snapshot's last entry, so it matches the
		// leader's up to it: keep the log, which may hold more.
		r.commitTo(idx)
	default:
		r.log.restore(s)
		r.confs.reset(s.Metadata.ConfState, idx)
		r.applyConf()
	}
	r.send(Message{Type: AppendEntriesResponse, To: m.From, Index: r.log.committed})
	r.traceAction("HandleInstallSnapshotRequest", &m)
}
