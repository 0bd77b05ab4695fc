package spec

import (
	"errors"
	"fmt"
)

// MaxServers is the largest cluster the fixed-size State can hold.
const MaxServers = 5

// MaxLogCap is the capacity of a Log. MaxLogLen must stay below it, since a
// successor may exceed MaxLogLen by one before the constraint discards it.
const MaxLogCap = 6

// Nil is votedFor when a server has not voted in its term.
const Nil int8 = -1

// ServerState is the role of a server: Follower, PreCandidate, Candidate or
// Leader.
type ServerState uint8

// The server states, with the TLA+ names.
const (
	Follower ServerState = iota
	PreCandidate
	Candidate
	Leader
)

// String is the TLA+ name of the state.
func (s ServerState) String() string {
	switch s {
	case Follower:
		return "Follower"
	case PreCandidate:
		return "PreCandidate"
	case Candidate:
		return "Candidate"
	case Leader:
		return "Leader"
	}
	return fmt.Sprintf("ServerState(%d)", uint8(s))
}

// Entry is a log entry. Value 0 is the no-op (Nil) a new leader appends;
// client values are 1..Config.Values.
type Entry struct {
	Term  uint8
	Value uint8
}

// Log is a sequence of entries, 1-based as in TLA+. It is a value type so
// that copying a State copies its logs.
type Log struct {
	n uint8
	e [MaxLogCap]Entry
}

// Len is the number of entries.
func (l Log) Len() int { return int(l.n) }

// At is the entry at the 1-based index idx.
func (l Log) At(idx int) Entry { return l.e[idx-1] }

// Append is l with e appended. It panics beyond MaxLogCap, which Config.Validate
// rules out.
func (l Log) Append(e Entry) Log {
	if int(l.n) >= MaxLogCap {
		panic("spec: log longer than MaxLogCap")
	}
	l.e[l.n] = e
	l.n++
	return l
}

// Prefix is SubSeq(l, 1, n).
func (l Log) Prefix(n int) Log {
	var p Log
	copy(p.e[:n], l.e[:n])
	p.n = uint8(n)
	return p
}

// SubSeq is SubSeq(l, from, to), empty when to < from.
func (l Log) SubSeq(from, to int) Log {
	var p Log
	for idx := from; idx <= to; idx++ {
		p = p.Append(l.At(idx))
	}
	return p
}

// Concat is l \o m.
func (l Log) Concat(m Log) Log {
	for idx := 1; idx <= m.Len(); idx++ {
		l = l.Append(m.At(idx))
	}
	return l
}

// LogOf builds a log from entries.
func LogOf(entries ...Entry) Log {
	var l Log
	for _, e := range entries {
		l = l.Append(e)
	}
	return l
}

// Set is a set of servers as a bit mask.
type Set uint8

// Has reports whether i is in the set.
func (s Set) Has(i int) bool { return s&(1<<uint(i)) != 0 }

// With is s \cup {i}.
func (s Set) With(i int) Set { return s | 1<<uint(i) }

// Count is Cardinality(s).
func (s Set) Count() int {
	n := 0
	for ; s != 0; s &= s - 1 {
		n++
	}
	return n
}

// Config holds the CONSTANTS of a model: the bounds of tla/MC*.cfg and the
// feature switches.
type Config struct {
	Servers     int  // Cardinality(Server)
	Values      int  // Cardinality(Value)
	MaxTerm     int  // bound on currentTerm
	MaxLogLen   int  // bound on the length of each log
	MaxMessages int  // bound on the messages in flight, duplicates counted
	PreVote     bool // PreVoteEnabled
	CheckQuorum bool // CheckQuorumEnabled
	Snapshot    bool // SnapshotEnabled
	Transfer    bool // TransferEnabled

	Reads           bool // ReadsEnabled: ReadIndex, lease reads and real time
	ElectionTimeout int  // ticks before an election timer fires
	MaxClockDrift   int  // the true bound on the error of a measured interval
	LeaseDriftBound int  // the drift the lease subtracts
	MaxTime         int  // bound on now
	MaxReads        int  // bound on each leader's read rounds
}

// DefaultConfig is the model of tla/MCRaft.cfg.
func DefaultConfig() Config {
	return Config{Servers: 3, Values: 1, MaxTerm: 2, MaxLogLen: 2, MaxMessages: 2, ElectionTimeout: 2}
}

// Validate reports bounds the fixed-size State cannot hold.
func (c Config) Validate() error {
	var errs []error
	if c.Servers < 1 || c.Servers > MaxServers {
		errs = append(errs, fmt.Errorf("servers must be in 1..%d, got %d", MaxServers, c.Servers))
	}
	if c.Values < 0 || c.Values > 8 {
		errs = append(errs, fmt.Errorf("values must be in 0..8, got %d", c.Values))
	}
	if c.MaxTerm < 0 || c.MaxTerm > 100 {
		errs = append(errs, fmt.Errorf("max-term must be in 0..100, got %d", c.MaxTerm))
	}
	if c.MaxLogLen < 0 || c.MaxLogLen >= MaxLogCap {
		errs = append(errs, fmt.Errorf("max-log must be in 0..%d, got %d", MaxLogCap-1, c.MaxLogLen))
	}
	for _, b := range []struct {
		name string
		v    int
	}{{"election-timeout", c.ElectionTimeout}, {"max-clock-drift", c.MaxClockDrift},
		{"lease-drift-bound", c.LeaseDriftBound}, {"max-time", c.MaxTime}, {"max-reads", c.MaxReads}} {
		if b.v < 0 || b.v > 50 {
			errs = append(errs, fmt.Errorf("%s must be in 0..50, got %d", b.name, b.v))
		}
	}
	if c.MaxMessages < 0 || c.MaxMessages > 32 {
		errs = append(errs, fmt.Errorf("max-messages must be in 0..32, got %d", c.MaxMessages))
	}
	return errors.Join(errs...)
}

// MsgType is the type of a message; the names are those of TLA+ and raft/.
type MsgType uint8

// The message types.
const (
	PreVoteRequest MsgType = iota + 1
	PreVoteResponse
	RequestVoteRequest
	RequestVoteResponse
	AppendEntriesRequest
	AppendEntriesResponse
	HeartbeatRequest
	HeartbeatResponse
	InstallSnapshotRequest
	TimeoutNowRequest
	ReadIndexRequest
	ReadIndexResponse
)

// String is the TLA+ name of the message type.
func (t MsgType) String() string {
	names := [...]string{"", "PreVoteRequest", "PreVoteResponse",
		"RequestVoteRequest", "RequestVoteResponse", "AppendEntriesRequest",
		"AppendEntriesResponse", "HeartbeatRequest", "HeartbeatResponse",
		"InstallSnapshotRequest", "TimeoutNowRequest", "ReadIndexRequest", "ReadIndexResponse"}
	if int(t) < len(names) && t != 0 {
		return names[t]
	}
	return fmt.Sprintf("MsgType(%d)", uint8(t))
}

// Message is a TLA+ message record. Fields a type does not have stay zero,
// so that == on Message is equality of TLA+ records.
type Message struct {
	Type          MsgType // mtype
	Source        uint8   // msource
	Dest          uint8   // mdest
	Term          uint8   // mterm
	LastLogTerm   uint8   // mlastLogTerm: vote requests
	LastLogIndex  uint8   // mlastLogIndex: vote requests
	Transfer      bool    // mtransfer: vote requests of a leadership transfer
	Granted       bool    // mgranted: vote responses
	PrevLogIndex  uint8   // mprevLogIndex: AppendEntriesRequest
	PrevLogTerm   uint8   // mprevLogTerm: AppendEntriesRequest
	CommitIndex   uint8   // mcommitIndex: AppendEntries and Heartbeat requests
	Success       bool    // msuccess: AppendEntriesResponse
	MatchIndex    uint8   // mmatchIndex: AppendEntriesResponse (a hint on rejection)
	Seq           uint8   // mseq: heartbeats, the leader's read round
	Index         uint8   // mindex: ReadIndexResponse, the read index
	SnapshotIndex uint8   // msnapshotIndex: InstallSnapshotRequest
	SnapshotTerm  uint8   // msnapshotTerm: InstallSnapshotRequest
	Entries       Log     // mentries: AppendEntries entries or the snapshot image
}

// Packet is one element of the messages bag with its multiplicity.
type Packet struct {
	Msg   Message
	Count uint8
}

// State holds the TLA+ variables. The tla tag is the TLA+ name. It is a
// value: copying it copies everything but the Messages slice, which actions
// never modify in place (they build a new slice).
type State struct {
	CurrentTerm    [MaxServers]uint8             `tla:"currentTerm"`
	State          [MaxServers]ServerState       `tla:"state"`
	VotedFor       [MaxServers]int8              `tla:"votedFor"`
	Log            [MaxServers]Log               `tla:"log"`
	CommitIndex    [MaxServers]uint8             `tla:"commitIndex"`
	SnapshotIndex  [MaxServers]uint8             `tla:"snapshotIndex"`
	SnapshotTerm   [MaxServers]uint8             `tla:"snapshotTerm"`
	VotesGranted   [MaxServers]Set               `tla:"votesGranted"`
	NextIndex      [MaxServers][MaxServers]uint8 `tla:"nextIndex"`
	MatchIndex     [MaxServers][MaxServers]uint8 `tla:"matchIndex"`
	LeaderRecent   [MaxServers]bool              `tla:"leaderRecent"`
	RecentActive   [MaxServers]Set               `tla:"recentActive"`
	LeadTransferee [MaxServers]int8              `tla:"leadTransferee"`
	Now            uint8                         `tla:"now"`
	HeardAt        [MaxServers]uint8             `tla:"heardAt"`
	ReadSeq        [MaxServers]uint8             `tla:"readSeq"`
	RoundStart     [MaxServers]uint8             `tla:"roundStart"`
	ReadAcks       [MaxServers]Set               `tla:"readAcks"`
	PendingRead    [MaxServers]PendingRead       `tla:"pendingRead"`
	FollowerRead   [MaxServers]FollowerRead      `tla:"followerRead"`
	LastRead       ReadResult                    `tla:"lastRead"`
	Messages       []Packet                      `tla:"messages"`
}

// PendingRead is a leader's ReadIndex read waiting for its round: the
// record [index, required, from]. The zero value is NoRead.
type PendingRead struct {
	Index    uint8 // the read index
	Required Log   // CommittedLog when the read began
	From     uint8 // the follower that forwarded it, plus one; 0 is Nil
}

// ReadPhase is the phase of a follower's forwarded read.
type ReadPhase uint8

// The phases of a forwarded read, "None", "Waiting" and "Ready" in TLA+.
const (
	ReadNone ReadPhase = iota
	ReadWaiting
	ReadReady
)

// FollowerRead is a follower's read forwarded to the leader: the record
// [index, required, phase]. The zero value is NoFollowerRead.
type FollowerRead struct {
	Index    uint8 // the leader's read index, once Ready
	Required Log   // CommittedLog when the read began
	Phase    ReadPhase
}

// ReadResult is lastRead: what a read returned and what it had to include.
type ReadResult struct {
	Served   Log
	Required Log
}

// Init is the initial state of a model.
func (sp *Spec) Init() State {
	var s State
	for i := range MaxServers {
		s.VotedFor[i] = Nil
		s.LeadTransferee[i] = Nil
		for j := range MaxServers {
			s.NextIndex[i][j] = 1
		}
	}
	return s
}

// MessageCount is BagCardinality(messages).
func (s *State) MessageCount() int {
	n := 0
	for _, p := range s.Messages {
		n += int(p.Count)
	}
	return n
}

// send is messages (+) SetToBag({m}).
func (s *State) send(m Message) {
	out := make([]Packet, 0, len(s.Messages)+1)
	found := false
	for _, p := range s.Messages {
		if p.Msg == m {
			p.Count++
			found = true
		}
		out = append(out, p)
	}
	if !found {
		out = append(out, Packet{Msg: m, Count: 1})
	}
	s.Messages = out
}

// discard is messages (-) SetToBag({m}); an element with count 0 leaves
// the bag, as in the Bags module.
func (s *State) discard(m Message) {
	out := make([]Packet, 0, len(s.Messages))
	for _, p := range s.Messages {
		if p.Msg == m {
			p.Count--
			if p.Count == 0 {
				continue
			}
		}
		out = append(out, p)
	}
	s.Messages = out
}

// reply is Reply(response, request).
func (s *State) reply(response, request Message) {
	s.discard(request)
	s.send(response)
}
