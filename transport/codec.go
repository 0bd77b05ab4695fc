package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/raftcheck/raftcheck/raft"
)

// The wire format, version 1. All integers are big-endian and of fixed
// width, so every value has exactly one encoding: that is what lets the
// fuzzer check that whatever decodes re-encodes to the same bytes.
//
//	frame   = length:u32 body            length = len(body) <= FrameBytesMax
//	body    = version:u8 kind:u8 payload
//	hello   = clusterID:u64 from:u64 to:u64                  (kind 1)
//	message = type:u8 to:u64 from:u64 term:u64 logTerm:u64  (kind 2)
//	          index:u64 commit:u64 reject:u8 rejectHint:u64
//	          seq:u64 context:u64 transfer:u8
//	          nEntries:u32 entry* hasSnapshot:u8 [snapshot]
//	entry   = term:u64 index:u64 type:u8 nData:u32 data
//	snapshot= index:u64 term:u64 nVoters:u32 u64* nVotersOutgoing:u32 u64*
//	          nLearners:u32 u64* autoLeave:u8 nData:u32 data
//
// Booleans are 0 or 1, nothing else. Empty slices decode as nil.

// Version is the version of the wire format this package speaks. A frame
// of another version is refused: both ends of a connection must agree.
const Version = 2

// FrameBytesMaxDefault is the default limit on a frame's body. It bounds
// what one message may cost the receiver in memory, so it must exceed the
// largest snapshot the application sends.
const FrameBytesMaxDefault = 64 << 20

// frameHeaderBytes is the length prefix in front of every frame body.
const frameHeaderBytes = 4

// frameKind tells what a frame body carries.
type frameKind uint8

const (
	kindHello   frameKind = 1
	kindMessage frameKind = 2
)

const (
	bodyHeaderBytes     = 2 // version, kind
	helloBytes          = bodyHeaderBytes + 3*8
	messageFixedBytes   = 1 + 9*8 + 1 + 1 + 4 + 1 // fields before, between and after the entries
	entryFixedBytes     = 8 + 8 + 1 + 4
	snapshotFixedBytes  = 8 + 8 + 4 + 4 + 4 + 1 + 4
	messageTypeKnownMax = raft.TimeoutNowRequest
)

var (
	// ErrFrameTooLarge is returned for a frame whose body exceeds the limit.
	// A received frame over the limit is refused before it is read.
	ErrFrameTooLarge = errors.New("transport: frame too large")
	// ErrMalformed is returned for bytes that are not a valid frame.
	ErrMalformed = errors.New("transport: malformed frame")
	// ErrVersion is returned for a frame of a wire format version we do not
	// speak.
	ErrVersion = errors.New("transport: unsupported wire version")
)

// hello is the handshake: the dialer sends one, the acceptor answers with
// its own, and each end checks the other's cluster and node IDs.
type hello struct {
	ClusterID uint64
	From      uint64
	To        uint64
}

// AppendMessage appends m as one frame to dst. It fails with
// ErrFrameTooLarge when the frame's body would exceed frameBytesMax, so a
// sender never puts on the wire what a receiver with the same limit would
// refuse.
func AppendMessage(dst []byte, m raft.Message, frameBytesMax int) ([]byte, error) {
	dst, tail, err := appendMessageHead(dst, m, frameBytesMax)
	return append(dst, tail...), err
}

// appendMessageHead appends m's frame up to the snapshot's data, which is
// the frame's last field, and returns that data as tail. Writing the tail
// from where it lies spares a copy of what may be most of FrameBytesMax.
func appendMessageHead(dst []byte, m raft.Message, frameBytesMax int) (head, tail []byte, err error) {
	n, err := messageBodyBytes(m)
	if err != nil {
		return dst, nil, err
	}
	if n > frameBytesMax {
		return dst, nil, fmt.Errorf("message %s is %d bytes, limit %d: %w", m.Type, n, frameBytesMax, ErrFrameTooLarge)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, Version, byte(kindMessage))
	dst = appendMessagePayload(dst, m)
	if m.Snapshot != nil {
		tail = m.Snapshot.Data
	}
	return dst, tail, nil
}

// DecodeMessage decodes exactly one message frame, length prefix included.
// It is strict: the length must match, no byte may be left over, and counts
// are checked against the bytes present before anything is allocated.
// Slices of the result alias frame.
func DecodeMessage(frame []byte, frameBytesMax int) (raft.Message, error) {
	body, err := splitFrame(frame, frameBytesMax)
	if err != nil {
		return raft.Message{}, err
	}
	payload, err := checkBody(body, kindMessage)
	if err != nil {
		return raft.Message{}, err
	}
	return decodeMessagePayload(payload)
}

// messageBodyBytes is the size of m's frame body. It fails when a count
// does not fit the u32 of the wire format.
func messageBodyBytes(m raft.Message) (int, error) {
	n := bodyHeaderBytes + messageFixedBytes
	if uint64(len(m.Entries)) > maxU32 {
		return 0, fmt.Errorf("%d entries: %w", len(m.Entries), ErrFrameTooLarge)
	}
	for _, e := range m.Entries {
		if uint64(len(e.Data)) > maxU32 {
			return 0, fmt.Errorf("entry of %d bytes: %w", len(e.Data), ErrFrameTooLarge)
		}
		n += entryFixedBytes + len(e.Data)
	}
	if s := m.Snapshot; s != nil {
		cs := s.Metadata.ConfState
		if uint64(len(s.Data)) > maxU32 || uint64(len(cs.Voters)) > maxU32 || uint64(len(cs.VotersOutgoing)) > maxU32 ||
			uint64(len(cs.Learners)) > maxU32 {
			return 0, fmt.Errorf("snapshot counts exceed u32: %w", ErrFrameTooLarge)
		}
		n += snapshotFixedBytes + 8*(len(cs.Voters)+len(cs.VotersOutgoing)+len(cs.Learners)) + len(s.Data)
	}
	return n, nil
}

const maxU32 = 1<<32 - 1

func appendMessagePayload(b []byte, m raft.Message) []byte {
	b = append(b, byte(m.Type))
	for _, v := range [...]uint64{m.To, m.From, m.Term, m.LogTerm, m.Index, m.Commit} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	b = append(b, boolByte(m.Reject))
	for _, v := range [...]uint64{m.RejectHint, m.Seq, m.Context} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	b = append(b, boolByte(m.Transfer))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Entries)))
	for _, e := range m.Entries {
		b = binary.BigEndian.AppendUint64(b, e.Term)
		b = binary.BigEndian.AppendUint64(b, e.Index)
		b = append(b, byte(e.Type))
		b = appendBytes(b, e.Data)
	}
	if m.Snapshot == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return appendSnapshot(b, m.Snapshot)
}

func appendSnapshot(b []byte, s *raft.Snapshot) []byte {
	b = binary.BigEndian.AppendUint64(b, s.Metadata.Index)
	b = binary.BigEndian.AppendUint64(b, s.Metadata.Term)
	b = appendIDs(b, s.Metadata.ConfState.Voters)
	b = appendIDs(b, s.Metadata.ConfState.VotersOutgoing)
	b = appendIDs(b, s.Metadata.ConfState.Learners)
	b = append(b, boolByte(s.Metadata.ConfState.AutoLeave))
	return binary.BigEndian.AppendUint32(b, uint32(len(s.Data))) // the data follows as the tail
}

func appendIDs(b []byte, ids []uint64) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		b = binary.BigEndian.AppendUint64(b, id)
	}
	return b
}

func appendBytes(b, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendHello(dst []byte, h hello) []byte {
	dst = binary.BigEndian.AppendUint32(dst, helloBytes)
	dst = append(dst, Version, byte(kindHello))
	dst = binary.BigEndian.AppendUint64(dst, h.ClusterID)
	dst = binary.BigEndian.AppendUint64(dst, h.From)
	return binary.BigEndian.AppendUint64(dst, h.To)
}

func decodeHello(payload []byte) (hello, error) {
	if len(payload) != helloBytes-bodyHeaderBytes {
		return hello{}, fmt.Errorf("hello of %d bytes: %w", len(payload), ErrMalformed)
	}
	return hello{
		ClusterID: binary.BigEndian.Uint64(payload[0:]),
		From:      binary.BigEndian.Uint64(payload[8:]),
		To:        binary.BigEndian.Uint64(payload[16:]),
	}, nil
}

// splitFrame checks the length prefix of a whole frame and returns its body.
func splitFrame(frame []byte, frameBytesMax int) ([]byte, error) {
	if len(frame) < frameHeaderBytes {
		return nil, fmt.Errorf("frame of %d bytes: %w", len(frame), ErrMalformed)
	}
	n := uint64(binary.BigEndian.Uint32(frame))
	if n > uint64(frameBytesMax) {
		return nil, fmt.Errorf("frame body of %d bytes, limit %d: %w", n, frameBytesMax, ErrFrameTooLarge)
	}
	if n != uint64(len(frame)-frameHeaderBytes) {
		return nil, fmt.Errorf("frame says %d bytes, has %d: %w", n, len(frame)-frameHeaderBytes, ErrMalformed)
	}
	return frame[frameHeaderBytes:], nil
}

// checkBody checks a body's version and kind and returns its payload.
func checkBody(body []byte, want frameKind) ([]byte, error) {
	if len(body) < bodyHeaderBytes {
		return nil, fmt.Errorf("frame body of %d bytes: %w", len(body), ErrMalformed)
	}
	if body[0] != Version {
		return nil, fmt.Errorf("version %d, want %d: %w", body[0], Version, ErrVersion)
	}
	if frameKind(body[1]) != want {
		return nil, fmt.Errorf("frame kind %d, want %d: %w", body[1], want, ErrMalformed)
	}
	return body[bodyHeaderBytes:], nil
}

// readFrame reads one frame body from r. A length over frameBytesMax is
// refused before the body is allocated, so a peer cannot make us reserve
// memory by announcing a large frame.
func readFrame(r io.Reader, frameBytesMax int) ([]byte, error) {
	var hdr [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := uint64(binary.BigEndian.Uint32(hdr[:]))
	if n > uint64(frameBytesMax) {
		return nil, fmt.Errorf("frame body of %d bytes, limit %d: %w", n, frameBytesMax, ErrFrameTooLarge)
	}
	// A fresh buffer per frame: decoded messages alias it, so it must not
	// be reused for the next frame.
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("frame body: %w", unexpectedEOF(err))
	}
	return body, nil
}

// unexpectedEOF turns an EOF inside a frame into io.ErrUnexpectedEOF: a
// stream that ends between frames is a close, one that ends inside a frame
// is a cut.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
