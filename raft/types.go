package raft

import (
	"fmt"
	"strconv"
)

// None is the zero node ID: no node, no vote, no known leader.
const None uint64 = 0

// EntryType tells the application how to read an entry's data.
type EntryType uint8

const (
	// EntryNormal carries application data. A leader's no-op entry is an
	// EntryNormal entry with no data.
	EntryNormal EntryType = iota
	// EntryConfChange carries a configuration, encoded by EncodeConfState.
	// The application applies it by doing nothing: the core puts it in
	// effect itself once it is committed.
	EntryConfChange
)

// Entry is one entry of the replicated log.
type Entry struct {
	Term  uint64
	Index uint64
	Type  EntryType
	Data  []byte
}

// entryOverheadBytes is what an entry costs beyond its data when sizes are
// counted for flow control: its term, index and type.
const entryOverheadBytes = 17

// Size is the number of bytes the entry counts for in size limits.
func (e Entry) Size() uint64 { return uint64(len(e.Data)) + entryOverheadBytes }

func entriesSize(ents []Entry) uint64 {
	var n uint64
	for _, e := range ents {
		n += e.Size()
	}
	return n
}

// payloadSize counts only the data, which is what the limit on uncommitted
// bytes is about: the no-op entry of a new leader costs nothing, so it can
// never be refused.
func payloadSize(ents []Entry) uint64 {
	var n uint64
	for _, e := range ents {
		n += uint64(len(e.Data))
	}
	return n
}

// HardState is the state that must be durable before any message that
// depends on it is sent: the term, the vote in that term and the commit
// index.
type HardState struct {
	Term   uint64
	Vote   uint64
	Commit uint64
}

// IsEmpty reports whether hs is the zero HardState.
func (hs HardState) IsEmpty() bool { return hs == HardState{} }

// ConfState is the membership of the group: who votes and who only learns.
// The sets are in increasing order.
type ConfState struct {
	// Voters are the voters; in a joint configuration, the incoming ones.
	Voters []uint64
	// VotersOutgoing is empty except in a joint configuration, where it
	// holds the voters of the configuration being left. Every decision
	// then needs a majority of Voters and a majority of VotersOutgoing.
	VotersOutgoing []uint64
	// Learners receive the log but do not vote. A voter being demoted is
	// in VotersOutgoing and Learners at once.
	Learners []uint64
	// AutoLeave makes the leader leave this joint configuration as soon as
	// it takes effect.
	AutoLeave bool
}

// SnapshotMetadata says which prefix of the log a snapshot covers and the
// membership at its last entry.
type SnapshotMetadata struct {
	Index     uint64
	Term      uint64
	ConfState ConfState
}

// Snapshot is the application's state as of Metadata.Index.
type Snapshot struct {
	Metadata SnapshotMetadata
	Data     []byte
}

// IsEmpty reports whether the snapshot covers no entry.
func (s Snapshot) IsEmpty() bool { return s.Metadata.Index == 0 }

// Role is the part a node plays in its current term.
type Role uint8

const (
	// Follower accepts entries from the leader of its term.
	Follower Role = iota
	// PreCandidate asks for pre-votes without raising its term.
	PreCandidate
	// Candidate has raised its term and asks for votes.
	Candidate
	// Leader replicates its log to the others.
	Leader
)

var roleNames = [...]string{"Follower", "PreCandidate", "Candidate", "Leader"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// MessageType names a message between nodes. The names are those of the
// TLA+ specification, and each has a handler of the name Handle<Type>.
type MessageType uint8

const (
	// PreVoteRequest asks whether the sender could win an election at
	// Term without anyone raising their term.
	PreVoteRequest MessageType = iota + 1
	// PreVoteResponse answers a PreVoteRequest. A grant carries the term
	// asked about; a rejection carries the responder's term.
	PreVoteResponse
	// RequestVoteRequest asks for a vote in Term. Index and LogTerm describe
	// the candidate's last entry.
	RequestVoteRequest
	// RequestVoteResponse answers a RequestVoteRequest.
	RequestVoteResponse
	// AppendEntriesRequest carries Entries that follow the entry at Index of
	// term LogTerm, and the leader's commit index.
	AppendEntriesRequest
	// AppendEntriesResponse acknowledges the log up to Index, or rejects an
	// AppendEntriesRequest at Index with a hint: RejectHint is the first
	// index of the conflicting term LogTerm (LogTerm 0 when the follower's
	// log is shorter, and RejectHint is then its last index plus one).
	AppendEntriesResponse
	// HeartbeatRequest asserts leadership and carries a commit index the
	// recipient is known to have matched.
	HeartbeatRequest
	// HeartbeatResponse acknowledges a HeartbeatRequest.
	HeartbeatResponse
	// InstallSnapshotRequest carries a snapshot to a follower whose next
	// entry was compacted away. It is answered by an AppendEntriesResponse.
	InstallSnapshotRequest
	// ReadIndexRequest asks the leader for a read index on behalf of a
	// follower's read. Context is the follower's request ID.
	ReadIndexRequest
	// ReadIndexResponse gives a follower the read index (Index) for its
	// request Context, once the leader confirmed its leadership.
	ReadIndexResponse
	// TimeoutNowRequest tells the target of a leadership transfer, which
	// holds the leader's whole log, to campaign at once.
	TimeoutNowRequest
	messageTypeEnd
)

var messageTypeNames = [...]string{
	PreVoteRequest:         "PreVoteRequest",
	PreVoteResponse:        "PreVoteResponse",
	RequestVoteRequest:     "RequestVoteRequest",
	RequestVoteResponse:    "RequestVoteResponse",
	AppendEntriesRequest:   "AppendEntriesRequest",
	AppendEntriesResponse:  "AppendEntriesResponse",
	HeartbeatRequest:       "HeartbeatRequest",
	HeartbeatResponse:      "HeartbeatResponse",
	InstallSnapshotRequest: "InstallSnapshotRequest",
	ReadIndexRequest:       "ReadIndexRequest",
	ReadIndexResponse:      "ReadIndexResponse",
	TimeoutNowRequest:      "TimeoutNowRequest",
}

func (t MessageType) String() string {
	if t > 0 && t < messageTypeEnd {
		return messageTypeNames[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Message is what nodes send each other. Which fields are used depends on
// Type; see the constants of MessageType.
type Message struct {
	Type       MessageType
	To         uint64
	From       uint64
	Term       uint64
	LogTerm    uint64
	Index      uint64
	Entries    []Entry
	Commit     uint64
	Snapshot   *Snapshot
	Reject     bool
	RejectHint uint64
	// Seq is the leader's heartbeat sequence number, echoed by the
	// HeartbeatResponse. Read rounds and the lease are confirmed by it,
	// never by an application's request ID.
	Seq uint64
	// Context is an application's read request ID, in ReadIndexRequest and
	// ReadIndexResponse.
	Context uint64
	// Transfer marks the RequestVoteRequest of a leadership transfer's
	// campaign: voters grant it even while they heard from the leader
	// recently, since that leader asked for it.
	Transfer bool
}

func (m Message) String() string {
	s := fmt.Sprintf("%s %d->%d term=%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case AppendEntriesRequest:
		s += fmt.Sprintf(" prev=%d/%d entries=%d commit=%d", m.Index, m.LogTerm, len(m.Entries), m.Commit)
	case AppendEntriesResponse:
		if m.Reject {
			return s + fmt.Sprintf(" reject index=%d hint=%d/%d", m.Index, m.RejectHint, m.LogTerm)
		}
		s += fmt.Sprintf(" index=%d", m.Index)
	case HeartbeatRequest:
		s += fmt.Sprintf(" commit=%d seq=%d", m.Commit, m.Seq)
	case HeartbeatResponse:
		s += fmt.Sprintf(" seq=%d", m.Seq)
	case ReadIndexRequest:
		s += fmt.Sprintf(" ctx=%d", m.Context)
	case ReadIndexResponse:
		s += fmt.Sprintf(" ctx=%d index=%d", m.Context, m.Index)
	case PreVoteRequest, RequestVoteRequest:
		s += fmt.Sprintf(" last=%d/%d", m.Index, m.LogTerm)
	case PreVoteResponse, RequestVoteResponse:
		if m.Reject {
			s += " reject"
		} else {
			s += " grant"
		}
	case InstallSnapshotRequest:
		if m.Snapshot != nil {
			s += fmt.Sprintf(" snapshot=%d/%d", m.Snapshot.Metadata.Index, m.Snapshot.Metadata.Term)
		}
	}
	return s
}
