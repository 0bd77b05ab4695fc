package spec

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// localKeyLen is the size of the part of a server's encoding that does not
// name other servers: term, role, lease flag, commit, snapshot, log, timer
// and reads.
const localKeyLen = 18 + 6*MaxLogCap

// msgKeyLen is the size of the encoding of one bag element: its fields,
// its entries, and the configurations of its configuration entries.
const msgKeyLen = 20 + 2*MaxLogCap + confBytes*MaxLogCap

// confBytes is the size of a configuration in an encoding.
const confBytes = 3

type localKey [localKeyLen]byte
type msgKey [msgKeyLen]byte

// encoder computes canonical encodings and fingerprints. Symmetry
// reduction: the canonical encoding of a state is the least encoding over
// all permutations of the servers. The encoding starts with the
// permutation-independent part of every server (localKey), so only the
// permutations that sort those keys can be least; ties are tried in full.
// An encoder is not safe for concurrent use; each worker has its own.
type encoder struct {
	n     int
	init  int  // Cardinality(InitServer): servers 0..init-1
	confs bool // logs may hold configuration entries
	keys  [MaxServers]localKey
	order []int // servers sorted by key: order[pos] = old id
	buf   []byte
	best  []byte
	msgs  []msgKey
}

func newEncoder(c Config) *encoder {
	return &encoder{n: c.Servers, init: c.initServers(), confs: c.Membership, order: make([]int, c.Servers)}
}

func (e *encoder) localKey(s *State, i int) localKey {
	var k localKey
	k[0] = byte(s.CurrentTerm[i])
	k[1] = byte(s.State[i])
	if s.LeaderRecent[i] {
		k[2] = 1
	}
	k[3] = byte(s.CommitIndex[i])
	k[4] = byte(s.SnapshotIndex[i])
	k[5] = byte(s.SnapshotTerm[i])
	l := &s.Log[i]
	k[6] = byte(l.Len())
	if i < e.init {
		k[7] = 1 // i \in InitServer
	}
	putLog(k[8:], l)
	r := k[8+2*MaxLogCap:]
	r[0] = byte(s.HeardAt[i])
	r[1] = byte(s.ReadSeq[i])
	r[2] = byte(s.RoundStart[i])
	r[3] = byte(s.PendingRead[i].Index)
	r[4] = byte(s.PendingRead[i].Required.Len())
	r[5] = byte(s.PendingRead[i].Seq)
	putLog(r[6:], &s.PendingRead[i].Required)
	f := r[6+2*MaxLogCap:]
	f[0] = byte(s.FollowerRead[i].Index)
	f[1] = byte(s.FollowerRead[i].Phase)
	f[2] = byte(s.FollowerRead[i].Required.Len())
	f[3] = byte(s.FollowerRead[i].Seq)
	putLog(f[4:], &s.FollowerRead[i].Required)
	return k
}

// putLog writes the entries of l into b, two bytes each: the checker's
// bounds keep terms below 256 and values below 128. A configuration entry
// names servers, which symmetry renames, so here it is only marked (bit
// 7) with a summary that no renaming changes; appendConfs writes it in
// full.
func putLog(b []byte, l *Log) {
	for x := 0; x < l.Len(); x++ {
		e := l.s[x*entryBytes:]
		b[2*x] = e[0]
		b[2*x+1] = entryValueByte(e)
	}
}

func entryValueByte(e string) byte {
	if e[3] == 0 {
		return e[2]
	}
	return 0x80 | byte(Set(e[3]).Count()) | byte(Set(e[4]).Count())<<3 | e[5]&0x80>>1
}

// appendLog appends the length and entries of l to b.
func appendLog(b []byte, l *Log) []byte {
	b = append(b, byte(l.Len()))
	for x := 0; x < l.Len(); x++ {
		e := l.s[x*entryBytes:]
		b = append(b, e[0], entryValueByte(e))
	}
	return b
}

// appendConfs appends the configurations of l's configuration entries,
// with the servers renamed.
func appendConfs(b []byte, l *Log, rename *[MaxServers]byte) []byte {
	for x := 0; x < l.Len(); x++ {
		e := l.s[x*entryBytes:]
		if e[3] != 0 {
			b = append(b, renameSet(Set(e[3]), rename), renameSet(Set(e[4]), rename), renameSet(Set(e[5]&^0x80), rename)|e[5]&0x80)
		}
	}
	return b
}

// renameSet is set with its servers renamed.
func renameSet(set Set, rename *[MaxServers]byte) byte {
	var out byte
	for old := range MaxServers {
		if set.Has(old) {
			out |= 1 << rename[old]
		}
	}
	return out
}

// Fingerprint is the 64-bit fingerprint of the canonical encoding of s. It
// is never 0, which the seen set uses to mark empty slots.
func (e *encoder) Fingerprint(s *State) uint64 {
	fp := hash64(e.Canonical(s))
	if fp == 0 {
		fp = 1
	}
	return fp
}

// Canonical is the least encoding of s over the server permutations that
// could yield it. The result is valid until the next call.
func (e *encoder) Canonical(s *State) []byte {
	for i := range e.n {
		e.keys[i] = e.localKey(s, i)
		e.order[i] = i
	}
	slices.SortStableFunc(e.order, func(a, b int) int { return bytes.Compare(e.keys[a][:], e.keys[b][:]) })
	e.best = e.best[:0]
	first := true
	e.permuteTies(s, 0, &first)
	return e.best
}

// permuteTies tries every order of the servers whose keys tie, from
// position pos on, keeping the least encoding in e.best.
func (e *encoder) permuteTies(s *State, pos int, first *bool) {
	if pos == e.n {
		e.buf = e.encode(s, e.buf[:0])
		if *first || bytes.Compare(e.buf, e.best) < 0 {
			e.best = append(e.best[:0], e.buf...)
			*first = false
		}
		return
	}
	end := pos + 1
	for end < e.n && e.keys[e.order[end]] == e.keys[e.order[pos]] {
		end++
	}
	if end == pos+1 {
		e.permuteTies(s, pos+1, first)
		return
	}
	// Put each member of the tie group [pos, end) first in turn.
	for k := pos; k < end; k++ {
		e.order[pos], e.order[k] = e.order[k], e.order[pos]
		e.permuteTies(s, pos+1, first)
		e.order[pos], e.order[k] = e.order[k], e.order[pos]
	}
}

// encode writes s with the servers renamed so that e.order[pos] becomes pos.
func (e *encoder) encode(s *State, b []byte) []byte {
	var rename [MaxServers]byte
	for pos, old := range e.order {
		rename[old] = byte(pos)
	}
	mapSet := func(set Set) byte {
		var out byte
		for old := range e.n {
			if set.Has(old) {
				out |= 1 << rename[old]
			}
		}
		return out
	}
	for _, old := range e.order {
		b = append(b, e.keys[old][:]...)
	}
	for _, old := range e.order {
		v := byte(0xFF)
		if s.VotedFor[old] != Nil {
			v = rename[s.VotedFor[old]]
		}
		lt := byte(0xFF)
		if s.LeadTransferee[old] != Nil {
			lt = rename[s.LeadTransferee[old]]
		}
		ld := byte(0xFF)
		if s.Leader[old] != Nil {
			ld = rename[s.Leader[old]]
		}
		from := byte(0)
		if f := s.PendingRead[old].From; f != 0 {
			from = rename[f-1] + 1
		}
		b = append(b, v, ld, mapSet(s.VotesGranted[old]), mapSet(s.VotesRejected[old]), mapSet(s.RecentActive[old]), lt, mapSet(s.ReadAcks[old]), from)
		for _, peer := range e.order {
			b = append(b, byte(s.NextIndex[old][peer]), byte(s.MatchIndex[old][peer]))
		}
	}
	b = append(b, byte(s.Now))
	b = appendLog(b, &s.LastRead.Served)
	b = appendLog(b, &s.LastRead.Required)
	if e.confs {
		for _, old := range e.order {
			b = appendConfs(b, &s.Log[old], &rename)
			b = appendConfs(b, &s.PendingRead[old].Required, &rename)
			b = appendConfs(b, &s.FollowerRead[old].Required, &rename)
		}
		b = appendConfs(b, &s.LastRead.Served, &rename)
		b = appendConfs(b, &s.LastRead.Required, &rename)
	}
	e.msgs = e.msgs[:0]
	for _, p := range s.Messages {
		e.msgs = append(e.msgs, encodeMessage(&p.Msg, p.Count, &rename))
	}
	slices.SortFunc(e.msgs, func(a, b msgKey) int { return bytes.Compare(a[:], b[:]) })
	b = append(b, byte(len(e.msgs)))
	for k := range e.msgs {
		b = append(b, e.msgs[k][:]...)
	}
	return b
}

func encodeMessage(m *Message, count uint8, rename *[MaxServers]byte) msgKey {
	var k msgKey
	k[0] = byte(m.Type)
	k[1] = rename[m.Source]
	k[2] = rename[m.Dest]
	k[3] = byte(m.Term)
	k[4] = byte(m.LastLogTerm)
	k[5] = byte(m.LastLogIndex)
	k[6] = boolByte(m.Granted)
	k[7] = byte(m.PrevLogIndex)
	k[8] = byte(m.PrevLogTerm)
	k[9] = byte(m.CommitIndex)
	k[10] = boolByte(m.Success)
	k[11] = byte(m.MatchIndex)
	k[12] = byte(m.SnapshotIndex)
	k[13] = byte(m.SnapshotTerm)
	k[14] = byte(m.Entries.Len())
	k[15] = count
	k[16] = boolByte(m.Transfer)
	k[17] = byte(m.Seq)
	k[18] = byte(m.Index)
	putLog(k[20:], &m.Entries)
	appendConfs(k[20+2*MaxLogCap:20+2*MaxLogCap], &m.Entries, rename)
	return k
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// hash64 is a 64-bit hash of b (murmur3's finaliser over 8-byte words).
// Like TLC's fingerprints, distinct states may collide with probability
// about n²/2⁶⁵ for n states.
func hash64(b []byte) uint64 {
	h := uint64(len(b)) * 0x9E3779B97F4A7C15
	for len(b) >= 8 {
		h = mix64(h ^ binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail [8]byte
	copy(tail[:], b)
	return mix64(h ^ binary.LittleEndian.Uint64(tail[:]) ^ 0xA5)
}

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
