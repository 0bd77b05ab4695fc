package raft

import (
	"errors"
	"fmt"
)

// ErrMalformedMessage is wrapped by every error Step returns for a message
// it refuses. Such a message changes nothing.
var ErrMalformedMessage = errors.New("malformed raft message")

// validate checks a message before it can change anything.
func (r *core) validate(m Message) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrMalformedMessage, m.Type, fmt.Sprintf(format, args...))
	}
	if m.Type == 0 || m.Type >= messageTypeEnd {
		return fmt.Errorf("%w: unknown type %d", ErrMalformedMessage, uint8(m.Type))
	}
	if m.To != r.id {
		return bad("addressed to %d, this is %d", m.To, r.id)
	}
	if m.From == None || m.From == r.id {
		return bad("bad sender %d", m.From)
	}
	// A sender outside our configuration is not refused: it may lead a
	// configuration this node has not learned of yet, or be a node that
	// was removed, whose messages of old terms are dropped as stale and
	// whose answers a leader ignores (stepLeader).
	// Every message carries the sender's term, which is at least 1 once
	// anyone has campaigned; only a pre-vote rejection may come from a node
	// still at term 0.
	if m.Term == 0 && !(m.Type == PreVoteResponse && m.Reject) {
		return bad("term 0")
	}
	if err := r.validateAgainstLeader(m, bad); err != nil {
		return err
	}
	if m.Type != AppendEntriesRequest && len(m.Entries) > 0 {
		return bad("carries %d entries", len(m.Entries))
	}
	if m.Type != InstallSnapshotRequest && m.Snapshot != nil {
		return bad("carries a snapshot")
	}
	switch m.Type {
	case AppendEntriesRequest:
		return validateEntries(m, bad)
	case InstallSnapshotRequest:
		s := m.Snapshot
		if s == nil || s.IsEmpty() || s.Metadata.Term == 0 {
			return bad("no snapshot")
		}
		if s.Metadata.Term > m.Term {
			return bad("snapshot term %d after message term %d", s.Metadata.Term, m.Term)
		}
		if err := s.Metadata.ConfState.validate(); err != nil {
			return bad("snapshot configuration: %v", err)
		}
	case PreVoteRequest, RequestVoteRequest:
		if m.LogTerm > m.Term {
			return bad("last log term %d after term %d", m.LogTerm, m.Term)
		}
	}
	return nil
}

// validateEntries checks that an AppendEntriesRequest's entries follow its
// previous entry, with consecutive indexes and terms that never decrease
// and never pass the message's term.
func validateEntries(m Message, bad func(string, ...any) error) error {
	if m.LogTerm > m.Term {
		return bad("previous term %d after term %d", m.LogTerm, m.Term)
	}
	prevIndex, prevTerm := m.Index, m.LogTerm
	for i, e := range m.Entries {
		if e.Index != prevIndex+1 {
			return bad("entry %d has index %d, want %d", i, e.Index, prevIndex+1)
		}
		if e.Term == 0 || e.Term < prevTerm || e.Term > m.Term {
			return bad("entry %d has term %d, outside [%d, %d]", i, e.Term, prevTerm, m.Term)
		}
		switch e.Type {
		case EntryNormal:
		case EntryConfChange:
			if _, err := DecodeConfState(e.Data); err != nil {
				return bad("entry %d: %v", i, err)
			}
		default:
			return bad("entry %d has unknown type %d", i, e.Type)
		}
		prevIndex, prevTerm = e.Index, e.Term
	}
	return nil
}

// validateAgainstLeader refuses answers of our own term that claim what the
// leader never sent: an acknowledgement past its last entry, or of a
// heartbeat it has not numbered yet. Answers of other terms are stale or
// change the term, and are handled as such.
func (r *core) validateAgainstLeader(m Message, bad func(string, ...any) error) error {
	if r.role != Leader || m.Term != r.term {
		return nil
	}
	switch {
	case m.Type == AppendEntriesResponse && !m.Reject && m.Index > r.log.lastIndex():
		return bad("acknowledges index %d past the last index %d", m.Index, r.log.lastIndex())
	case m.Type == HeartbeatResponse && m.Seq > r.reads.seq:
		return bad("acknowledges heartbeat %d, the last sent is %d", m.Seq, r.reads.seq)
	}
	return nil
}
