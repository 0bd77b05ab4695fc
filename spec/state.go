package spec

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// MaxServers is the largest cluster the fixed-size State can hold.
const MaxServers = 5

// MaxLogCap bounds MaxLogLen: the fingerprint gives each log a fixed-size
// slot of this many entries. MaxLogLen must stay below it, since a
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

// Num is the type of terms, indexes, times and read sequence numbers. It is
// wide enough for the trace validator to hold the state of a long
// simulated run (up to MaxNum) in the same State the model checker
// explores, and no wider: the checker copies and stores States by the
// million, and 32 bits made it a third slower. The checker's bounds
// (Config.Validate) keep every value below 256, and its fingerprints encode
// each value in one byte.
type Num = uint16

// MaxNum is the largest term or index a State holds.
const MaxNum = math.MaxUint16

// Entry is a log entry. Value 0 is the no-op (Nil) a new leader appends;
// client values are 1..Config.Values. A configuration entry carries the
// whole configuration after the change in Conf (its Value is 0); any other
// entry has the zero Conf, which has no voters and so is no configuration.
type Entry struct {
	Term  Num
	Value uint8
	Conf  Configuration
}

// IsConf is IsConfEntry(e): e is a configuration entry.
func (e Entry) IsConf() bool { return e.Conf.Voters != 0 }

// entryBytes is the size of an entry in a Log's encoding: the term, low
// byte first, the value, then the configuration: voters, outgoing voters,
// and learners with autoLeave as bit 7.
const entryBytes = 6

// Log is a sequence of entries, 1-based as in TLA+. It is an immutable
// string of fixed-width entries, for three reasons: it is a value that ==
// compares (so Message, PendingRead and State compare as TLA+ records);
// Prefix and SubSeq are substrings and cost nothing; and it has no fixed
// capacity, so the one implementation of each action serves both the model
// checker (logs of a few entries) and the trace validator (logs of a whole
// simulated run). Appending copies the log, which is cheap at the
// checker's bounds and linear in a validated trace.
type Log struct {
	s string
}

// Len is the number of entries.
func (l Log) Len() int { return len(l.s) / entryBytes }

// At is the entry at the 1-based index idx.
func (l Log) At(idx int) Entry {
	b := l.s[(idx-1)*entryBytes:]
	return Entry{Term: Num(b[0]) | Num(b[1])<<8, Value: b[2],
		Conf: Configuration{Voters: Set(b[3]), Outgoing: Set(b[4]), Learners: Set(b[5] &^ 0x80), AutoLeave: b[5]&0x80 != 0}}
}

func (e Entry) bytes() [entryBytes]byte {
	l := byte(e.Conf.Learners)
	if e.Conf.AutoLeave {
		l |= 0x80
	}
	return [entryBytes]byte{byte(e.Term), byte(e.Term >> 8), e.Value, byte(e.Conf.Voters), byte(e.Conf.Outgoing), l}
}

func (e Entry) encode() string {
	b := e.bytes()
	return string(b[:])
}

// LastConf is the index of the last configuration entry of l, 0 if none.
func (l Log) LastConf() int {
	for idx := l.Len(); idx >= 1; idx-- {
		if l.s[(idx-1)*entryBytes+3] != 0 {
			return idx
		}
	}
	return 0
}

// Append is l with e appended.
func (l Log) Append(e Entry) Log { return Log{l.s + e.encode()} }

// Prefix is SubSeq(l, 1, n).
func (l Log) Prefix(n int) Log { return Log{l.s[:n*entryBytes]} }

// SubSeq is SubSeq(l, from, to), empty when to < from.
func (l Log) SubSeq(from, to int) Log {
	if to < from {
		return Log{}
	}
	return Log{l.s[(from-1)*entryBytes : to*entryBytes]}
}

// Concat is l \o m.
func (l Log) Concat(m Log) Log {
	if m.s == "" {
		return l
	}
	return Log{l.s + m.s}
}

// LogOf builds a log from entries.
func LogOf(entries ...Entry) Log {
	b := make([]byte, 0, len(entries)*entryBytes)
	for _, e := range entries {
		eb := e.bytes()
		b = append(b, eb[:]...)
	}
	return Log{string(b)}
}

// Set is a set of servers as a bit mask.
type Set uint8

// Has reports whether i is in the set.
func (s Set) Has(i int) bool { return s&(1<<uint(i)) != 0 }

// With is s \cup {i}.
func (s Set) With(i int) Set { return s | 1<<uint(i) }

// String renders the set as TLA+, e.g. {s1, s3}.
func (s Set) String() string {
	var names []string
	for i := range MaxServers {
		if s.Has(i) {
			names = append(names, fmt.Sprintf("s%d", i+1))
		}
	}
	return "{" + strings.Join(names, ", ") + "}"
}

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
	MaxReads        int  // bound on each leader's read rounds and each follower's forwarded reads

	// Membership is MembershipEnabled: leaders change the configuration
	// (ChangeConf, LeaveJoint). InitServers is Cardinality(InitServer),
	// the voters of the initial configuration, servers s1..sInitServers;
	// 0 means every server. The other servers start outside the cluster.
	Membership  bool
	InitServers int
}

// initServers is the number of servers in InitServer.
func (c Config) initServers() int {
	if c.InitServers == 0 {
		return c.Servers
	}
	return c.InitServers
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
	if c.InitServers < 0 || c.InitServers > c.Servers {
		errs = append(errs, fmt.Errorf("init-servers must be in 0..servers (%d), got %d", c.Servers, c.InitServers))
	}
	if c.InitServers != 0 && c.InitServers != c.Servers && !c.Membership {
		errs = append(errs, fmt.Errorf("init-servers %d < servers %d needs membership changes, or the others never join", c.InitServers, c.Servers))
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
	Term          Num     // mterm
	LastLogTerm   Num     // mlastLogTerm: vote requests
	LastLogIndex  Num     // mlastLogIndex: vote requests
	Transfer      bool    // mtransfer: vote requests of a leadership transfer
	Granted       bool    // mgranted: vote responses
	PrevLogIndex  Num     // mprevLogIndex: AppendEntriesRequest
	PrevLogTerm   Num     // mprevLogTerm: AppendEntriesRequest
	CommitIndex   Num     // mcommitIndex: AppendEntries and Heartbeat requests
	Success       bool    // msuccess: AppendEntriesResponse
	MatchIndex    Num     // mmatchIndex: AppendEntriesResponse (a hint on rejection)
	Seq           Num     // mseq: heartbeats, the leader's read round; read requests and responses, the follower's read number
	Index         Num     // mindex: ReadIndexResponse, the read index
	SnapshotIndex Num     // msnapshotIndex: InstallSnapshotRequest
	SnapshotTerm  Num     // msnapshotTerm: InstallSnapshotRequest
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
	CurrentTerm    [MaxServers]Num             `tla:"currentTerm"`
	State          [MaxServers]ServerState     `tla:"state"`
	VotedFor       [MaxServers]int8            `tla:"votedFor"`
	Leader         [MaxServers]int8            `tla:"leader"`
	Log            [MaxServers]Log             `tla:"log"`
	CommitIndex    [MaxServers]Num             `tla:"commitIndex"`
	SnapshotIndex  [MaxServers]Num             `tla:"snapshotIndex"`
	SnapshotTerm   [MaxServers]Num             `tla:"snapshotTerm"`
	VotesGranted   [MaxServers]Set             `tla:"votesGranted"`
	VotesRejected  [MaxServers]Set             `tla:"votesRejected"`
	NextIndex      [MaxServers][MaxServers]Num `tla:"nextIndex"`
	MatchIndex     [MaxServers][MaxServers]Num `tla:"matchIndex"`
	LeaderRecent   [MaxServers]bool            `tla:"leaderRecent"`
	RecentActive   [MaxServers]Set             `tla:"recentActive"`
	LeadTransferee [MaxServers]int8            `tla:"leadTransferee"`
	Now            Num                         `tla:"now"`
	HeardAt        [MaxServers]Num             `tla:"heardAt"`
	ReadSeq        [MaxServers]Num             `tla:"readSeq"`
	RoundStart     [MaxServers]Num             `tla:"roundStart"`
	ReadAcks       [MaxServers]Set             `tla:"readAcks"`
	PendingRead    [MaxServers]PendingRead     `tla:"pendingRead"`
	FollowerRead   [MaxServers]FollowerRead    `tla:"followerRead"`
	LastRead       ReadResult                  `tla:"lastRead"`
	Messages       []Packet                    `tla:"messages"`
}

// PendingRead is a leader's ReadIndex read waiting for its round: the
// record [index, required, from, seq]. The zero value is NoRead.
type PendingRead struct {
	Index    Num   // the read index
	Required Log   // CommittedLog when the read began
	From     uint8 // the follower that forwarded it, plus one; 0 is Nil
	Seq      Num   // the forwarded read's number, which the answer echoes
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
// [index, required, phase, seq]. The zero value is NoFollowerRead. Seq is
// the number of the follower's latest forwarded read, kept when the read
// ends (see ForwardReadIndex).
type FollowerRead struct {
	Index    Num // the leader's read index, once Ready
	Required Log // CommittedLog when the read began
	Phase    ReadPhase
	Seq      Num
}

// endFollowerRead is EndFollowerRead(i): i has no forwarded read, and
// keeps the number of its latest.
func (s *State) endFollowerRead(i int) {
	s.FollowerRead[i] = FollowerRead{Seq: s.FollowerRead[i].Seq}
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
		s.Leader[i] = Nil
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
