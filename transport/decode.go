package transport

import (
	"encoding/binary"
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// decoder reads fixed-width fields from a payload. The first error sticks
// and every later read returns zero, so decoding code stays straight-line
// and checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format+": %w", append(args, ErrMalformed)...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("%s needs %d bytes, %d left", what, n, len(d.b))
		return nil
	}
	v := d.b[:n:n] // capped, so an append by the receiver cannot reach the next field
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8(what string) uint8 {
	if v := d.take(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if v := d.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if v := d.take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) bool(what string) bool {
	switch v := d.u8(what); v {
	case 0:
		return false
	case 1:
		return true
	default:
		// Only 0 and 1, so that each message has one encoding.
		d.fail("%s is %d, want 0 or 1", what, v)
		return false
	}
}

// count reads a count of items of at least itemBytes each and refuses it
// when the payload left cannot hold that many, before anything is
// allocated for them.
func (d *decoder) count(itemBytes int, what string) int {
	n := uint64(d.u32(what))
	if d.err == nil && n*uint64(itemBytes) > uint64(len(d.b)) {
		d.fail("%s %d needs at least %d bytes, %d left", what, n, n*uint64(itemBytes), len(d.b))
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed byte string; empty is nil.
func (d *decoder) bytes(what string) []byte {
	n := d.count(1, what)
	if n == 0 {
		return nil
	}
	return d.take(n, what)
}

func (d *decoder) ids(what string) []uint64 {
	n := d.count(8, what)
	if n == 0 {
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = d.u64(what)
	}
	return ids
}

func decodeMessagePayload(payload []byte) (raft.Message, error) {
	d := decoder{b: payload}
	var m raft.Message
	m.Type = raft.MessageType(d.u8("type"))
	if d.err == nil && (m.Type < raft.PreVoteRequest || m.Type > messageTypeKnownMax) {
		// The core has no handler for it; refusing it here keeps a bad
		// peer from reaching the node with it.
		d.fail("unknown message type %d", uint8(m.Type))
	}
	m.To, m.From = d.u64("to"), d.u64("from")
	m.Term, m.LogTerm = d.u64("term"), d.u64("logTerm")
	m.Index, m.Commit = d.u64("index"), d.u64("commit")
	m.Reject = d.bool("reject")
	m.RejectHint, m.Seq, m.Context = d.u64("rejectHint"), d.u64("seq"), d.u64("context")
	m.Transfer = d.bool("transfer")
	m.Entries = d.entries()
	if d.bool("hasSnapshot") {
		m.Snapshot = d.snapshot()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return raft.Message{}, d.err
	}
	return m, nil
}

func (d *decoder) entries() []raft.Entry {
	n := d.count(entryFixedBytes, "entries")
	if n == 0 {
		return nil
	}
	ents := make([]raft.Entry, n)
	for i := range ents {
		ents[i].Term = d.u64("entry term")
		ents[i].Index = d.u64("entry index")
		ents[i].Type = raft.EntryType(d.u8("entry type"))
		ents[i].Data = d.bytes("entry data")
	}
	return ents
}

func (d *decoder) snapshot() *raft.Snapshot {
	s := &raft.Snapshot{}
	s.Metadata.Index = d.u64("snapshot index")
	s.Metadata.Term = d.u64("snapshot term")
	s.Metadata.ConfState.Voters = d.ids("voters")
	s.Metadata.ConfState.VotersOutgoing = d.ids("outgoing voters")
	s.Metadata.ConfState.Learners = d.ids("learners")
	s.Metadata.ConfState.AutoLeave = d.bool("auto leave")
	s.Data = d.bytes("snapshot data")
	return s
}
