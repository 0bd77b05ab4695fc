package kv

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/raftcheck/raftcheck/raft"
)

// ReadMode is how a Get is served. The names are those of model.ReadMode.
type ReadMode string

const (
	// ReadLog puts the Get through the log like a write: always
	// linearizable, and the dearest.
	ReadLog ReadMode = "log"
	// ReadIndex asks the leader to confirm its leadership with one
	// heartbeat round to a quorum, then serves once the read index is
	// applied.
	ReadIndex ReadMode = "readindex"
	// ReadLease serves on the leader with no message while its lease
	// holds. It is linearizable only while clock drift stays within the
	// leader's raft.Config.LeaseDriftBound.
	ReadLease ReadMode = "lease"
	// ReadFollower serves on any node: a follower asks the leader for a
	// read index, then serves once it has applied up to it.
	ReadFollower ReadMode = "follower"
)

// ReadModes lists the modes.
var ReadModes = []ReadMode{ReadLog, ReadIndex, ReadLease, ReadFollower}

// ParseReadMode returns the mode named s.
func ParseReadMode(s string) (ReadMode, error) {
	m := ReadMode(s)
	if !slices.Contains(ReadModes, m) {
		return "", fmt.Errorf("kv: unknown read mode %q (known: log, readindex, lease, follower)", s)
	}
	return m, nil
}

// ErrReadAborted is returned to waiting reads when the node's leader
// changes (a read index asked of it may never come) or after
// ReadTicksMax ticks. Retry the read.
var ErrReadAborted = errors.New("kv: read aborted by a leader change")

// ReadTicksMax is how many ticks a read waits for its read index and for
// that index to apply before it is aborted with ErrReadAborted: a
// ReadIndexRequest or its answer may be lost, or the node cut off before
// it applies, and a read left waiting would hold a PendingMax slot for ever.
const ReadTicksMax = 50

// waitingRead is a read outside the log: its key, its read index once
// known, the ticks it has waited for it, and who to answer.
type waitingRead struct {
	key   string
	index uint64
	known bool
	ticks int
	done  func(Result, error)
}

// StartRead serves a Get of key in mode, other than ReadLog (use Start
// with a Get command for that). It returns at once; done is called once,
// from within a later node.Node.Process, with the value, or for a lease
// read that can be served at once, before StartRead returns. A mode that
// cannot be served now returns an error and done is not called: a
// *raft.NotLeaderError (redirect), raft.ErrLeaseNotHeld (retry, or use
// another mode), ErrTooManyPending. A read is never answered with a value
// older than a write that completed before it started.
func (s *Service) StartRead(key string, mode ReadMode, done func(Result, error)) error {
	if len(key) == 0 || len(key) > KeyBytesMax {
		return fmt.Errorf("%w: key of %d bytes", ErrInvalidCommand, len(key))
	}
	if n := s.waiting(); n >= s.pendingMax {
		return fmt.Errorf("%w: %d waiting, limit %d", ErrTooManyPending, n, s.pendingMax)
	}
	switch mode {
	case ReadLease:
		index, err := s.node.LeaseRead()
		if err != nil {
			return fmt.Errorf("kv: lease read of %q: %w", key, err)
		}
		if index <= s.node.Applied() {
			done(s.read(key), nil)
			return nil
		}
		s.readID++
		s.reads[s.readID] = &waitingRead{key: key, index: index, known: true, done: done}
		return nil
	case ReadIndex, ReadFollower:
		if mode == ReadIndex {
			if st := s.node.BasicStatus(); st.Role != raft.Leader {
				return fmt.Errorf("kv: readindex read of %q: %w", key, &raft.NotLeaderError{Leader: st.Lead, Term: st.Term})
			}
		}
		s.readID++
		if err := s.node.ReadIndex(s.readID); err != nil {
			return fmt.Errorf("kv: %s read of %q: %w", mode, key, err)
		}
		s.reads[s.readID] = &waitingRead{key: key, done: done}
		return nil
	}
	return fmt.Errorf("%w: read mode %q is not served by StartRead", ErrInvalidCommand, mode)
}

func (s *Service) read(key string) Result {
	v, ok := s.store.Lookup(key)
	return Result{Value: v, Found: ok}
}

// ReadsReady implements node.ReadObserver: reads learn their index, and
// those whose index is applied are served. As it runs after every Ready,
// it also answers the membership changes that took effect (admin.go).
func (m machine) ReadsReady(reads []raft.ReadState, applied uint64) {
	s := m.s
	s.checkChanges()
	for _, rs := range reads {
		if w, ok := s.reads[rs.RequestID]; ok {
			w.index, w.known = rs.Index, true
		}
	}
	if len(s.reads) == 0 {
		return
	}
	// In request order, so a simulation calls back in the same order on
	// every run.
	ids := make([]uint64, 0, len(s.reads))
	for id, w := range s.reads {
		if w.known && w.index <= applied {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		w := s.reads[id]
		delete(s.reads, id)
		w.done(s.read(w.key), nil)
	}
}

// Ticked implements node.TickObserver: reads that waited ReadTicksMax
// ticks are aborted, so the reader retries. This holds for reads whose
// index is known but not yet applied too: a partitioned follower may not
// apply up to it for ever, and its read would hold a PendingMax slot.
// Aborting a read is always safe: it was never answered.
func (m machine) Ticked() {
	s := m.s
	var expired []uint64
	for id, w := range s.reads {
		w.ticks++
		if w.ticks >= ReadTicksMax {
			expired = append(expired, id)
		}
	}
	slices.Sort(expired)
	for _, id := range expired {
		w := s.reads[id]
		delete(s.reads, id)
		what := "no read index"
		if w.known {
			what = fmt.Sprintf("read index %d not applied", w.index)
		}
		w.done(Result{}, fmt.Errorf("%w: %s after %d ticks", ErrReadAborted, what, ReadTicksMax))
	}
}

// abortReads fails every waiting read, in request order.
func (s *Service) abortReads(err error) {
	ids := slices.Sorted(maps.Keys(s.reads))
	for _, id := range ids {
		w := s.reads[id]
		delete(s.reads, id)
		w.done(Result{}, err)
	}
}

// TransferLeadership asks this node, which must lead, to hand leadership
// to node to. Bad input is refused with an error: this node is not the
// leader (a *raft.NotLeaderError), the target is unknown, a learner or
// this node (raft.ErrTransferRefused), or a transfer is already under way
// (raft.ErrTransferInProgress). Proposals are refused until it is done.
func (s *Service) TransferLeadership(to uint64) error {
	if err := s.node.TransferLeadership(to); err != nil {
		return fmt.Errorf("kv: transfer leadership to %d: %w", to, err)
	}
	return nil
}
