package storage

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/raftcheck/raftcheck/raft"
)

// recordType says how to read a record's payload.
type recordType uint8

const (
	recHeader recordType = iota + 1
	recEntry
	recHardState
	recCompact
	recSnapshot
	recTypeEnd
)

// frameHeaderBytes is the length and checksum in front of every record.
const frameHeaderBytes = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame returns the on-disk bytes of a record.
func frame(t recordType, payload []byte) []byte {
	b := make([]byte, frameHeaderBytes, frameHeaderBytes+1+len(payload))
	binary.LittleEndian.PutUint32(b[0:4], uint32(1+len(payload)))
	b = append(b, byte(t))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[4:8], frameChecksum(b))
	return b
}

// frameChecksum covers the length too, so a flipped length bit is caught
// even when the record it now points to happens to parse.
func frameChecksum(b []byte) uint32 {
	c := crc32.Update(0, castagnoli, b[0:4])
	return crc32.Update(c, castagnoli, b[frameHeaderBytes:])
}

// header is the state of the log when a segment was opened.
type header struct {
	seq     uint64
	hs      raft.HardState
	snap    ref
	compact ref
	last    ref
}

// ref names an entry, or a snapshot, by index and term.
type ref struct{ index, term uint64 }

// snapshotRecord is the payload of a recSnapshot record.
type snapshotRecord struct {
	ref
	reset bool
}

func putU64(b []byte, vs ...uint64) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func encodeHeader(h header) []byte {
	return putU64(nil, h.seq, h.hs.Term, h.hs.Vote, h.hs.Commit,
		h.snap.index, h.snap.term, h.compact.index, h.compact.term, h.last.index, h.last.term)
}

func encodeEntry(e raft.Entry) []byte {
	b := putU64(make([]byte, 0, 17+len(e.Data)), e.Term, e.Index)
	b = append(b, byte(e.Type))
	return append(b, e.Data...)
}

func encodeHardState(hs raft.HardState) []byte { return putU64(nil, hs.Term, hs.Vote, hs.Commit) }

func encodeRef(r ref) []byte { return putU64(nil, r.index, r.term) }

func encodeSnapshotRecord(s snapshotRecord) []byte {
	b := putU64(nil, s.index, s.term)
	if s.reset {
		return append(b, 1)
	}
	return append(b, 0)
}

// errPayload says a record's checksum matched but its payload does not
// fit its type: written by a bug, not by a crash.
var errPayload = errors.New("malformed payload")

// decoder reads little-endian fields and remembers the first short read.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) u8() uint8 {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// done reports an error if a field was missing or bytes are left over.
func (d *decoder) done() error {
	if d.bad || len(d.b) != 0 {
		return errPayload
	}
	return nil
}

func decodeHeader(p []byte) (header, error) {
	d := decoder{b: p}
	h := header{seq: d.u64(), hs: raft.HardState{Term: d.u64(), Vote: d.u64(), Commit: d.u64()}}
	h.snap = ref{d.u64(), d.u64()}
	h.compact = ref{d.u64(), d.u64()}
	h.last = ref{d.u64(), d.u64()}
	return h, d.done()
}

func decodeEntry(p []byte) (raft.Entry, error) {
	d := decoder{b: p}
	e := raft.Entry{Term: d.u64(), Index: d.u64(), Type: raft.EntryType(d.u8())}
	if d.bad {
		return e, errPayload
	}
	if len(d.b) > 0 {
		e.Data = append([]byte(nil), d.b...)
	}
	return e, nil
}

func decodeHardState(p []byte) (raft.HardState, error) {
	d := decoder{b: p}
	hs := raft.HardState{Term: d.u64(), Vote: d.u64(), Commit: d.u64()}
	return hs, d.done()
}

func decodeRef(p []byte) (ref, error) {
	d := decoder{b: p}
	r := ref{d.u64(), d.u64()}
	return r, d.done()
}

func decodeSnapshotRecord(p []byte) (snapshotRecord, error) {
	d := decoder{b: p}
	s := snapshotRecord{ref: ref{d.u64(), d.u64()}}
	switch d.u8() {
	case 0:
	case 1:
		s.reset = true
	default:
		return s, errPayload
	}
	return s, d.done()
}
