package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/raftcheck/raftcheck/raft"
)

// genBytes draws nil or a non-empty slice: the decoder returns nil for an
// empty one, and the property is identity, not identity up to nil.
func genBytes(t *rapid.T, label string) []byte {
	b := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, label)
	if len(b) == 0 {
		return nil
	}
	return b
}

func genIDs(t *rapid.T, label string) []uint64 {
	ids := rapid.SliceOfN(rapid.Uint64(), 0, 7).Draw(t, label)
	if len(ids) == 0 {
		return nil
	}
	return ids
}

func genMessage(t *rapid.T) raft.Message {
	m := raft.Message{
		Type:       raft.MessageType(rapid.IntRange(int(raft.PreVoteRequest), int(messageTypeKnownMax)).Draw(t, "type")),
		To:         rapid.Uint64().Draw(t, "to"),
		From:       rapid.Uint64().Draw(t, "from"),
		Term:       rapid.Uint64().Draw(t, "term"),
		LogTerm:    rapid.Uint64().Draw(t, "logTerm"),
		Index:      rapid.Uint64().Draw(t, "index"),
		Commit:     rapid.Uint64().Draw(t, "commit"),
		Reject:     rapid.Bool().Draw(t, "reject"),
		RejectHint: rapid.Uint64().Draw(t, "rejectHint"),
		Seq:        rapid.Uint64().Draw(t, "seq"),
		Context:    rapid.Uint64().Draw(t, "context"),
		Transfer:   rapid.Bool().Draw(t, "transfer"),
	}
	for range rapid.IntRange(0, 5).Draw(t, "entries") {
		m.Entries = append(m.Entries, raft.Entry{
			Term:  rapid.Uint64().Draw(t, "entryTerm"),
			Index: rapid.Uint64().Draw(t, "entryIndex"),
			Type:  raft.EntryType(rapid.Uint8().Draw(t, "entryType")),
			Data:  genBytes(t, "entryData"),
		})
	}
	if rapid.Bool().Draw(t, "hasSnapshot") {
		m.Snapshot = &raft.Snapshot{
			Metadata: raft.SnapshotMetadata{
				Index: rapid.Uint64().Draw(t, "snapIndex"),
				Term:  rapid.Uint64().Draw(t, "snapTerm"),
				ConfState: raft.ConfState{
					Voters:   genIDs(t, "voters"),
					Learners: genIDs(t, "learners"),
				},
			},
			Data: genBytes(t, "snapData"),
		}
	}
	return m
}

func TestEncodeDecodeIsIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t)
		frame, err := AppendMessage(nil, m, FrameBytesMaxDefault)
		require.NoError(t, err)
		n, err := messageBodyBytes(m)
		require.NoError(t, err)
		require.Len(t, frame, frameHeaderBytes+n, "size computed ahead must match the encoding")
		got, err := DecodeMessage(frame, FrameBytesMaxDefault)
		require.NoError(t, err)
		require.Equal(t, m, got)
	})
}

// snapshotOfFrameBytes returns a message whose frame body is exactly n bytes.
func snapshotOfFrameBytes(t *testing.T, n int) raft.Message {
	m := raft.Message{Type: raft.InstallSnapshotRequest, To: 2, From: 1, Snapshot: &raft.Snapshot{}}
	base, err := messageBodyBytes(m)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, base)
	m.Snapshot.Data = bytes.Repeat([]byte{0xAB}, n-base)
	return m
}

func TestFrameAtLimitPassesAndOneByteMoreIsRefused(t *testing.T) {
	const limit = 1 << 16
	at := snapshotOfFrameBytes(t, limit)
	frame, err := AppendMessage(nil, at, limit)
	require.NoError(t, err)
	got, err := DecodeMessage(frame, limit)
	require.NoError(t, err)
	assert.Equal(t, at, got)

	over := snapshotOfFrameBytes(t, limit+1)
	_, err = AppendMessage(nil, over, limit)
	assert.ErrorIs(t, err, ErrFrameTooLarge)
	frame, err = AppendMessage(nil, over, limit+1)
	require.NoError(t, err)
	_, err = DecodeMessage(frame, limit)
	assert.ErrorIs(t, err, ErrFrameTooLarge)
	_, err = readFrame(bytes.NewReader(frame), limit)
	assert.ErrorIs(t, err, ErrFrameTooLarge)
}

func TestReadFrameRefusesHugeLengthWithoutAllocating(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF)
	allocs := testing.AllocsPerRun(10, func() {
		_, err := readFrame(bytes.NewReader(hdr), FrameBytesMaxDefault)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
	// The error value itself allocates a little; the 4 GiB body must not.
	assert.Less(t, allocs, float64(10))
}

// sampleFrame is a valid frame with entries and a snapshot, for the
// corruption table and the fuzz seeds.
func sampleFrame(t testing.TB) []byte {
	m := raft.Message{
		Type: raft.AppendEntriesRequest, To: 2, From: 1, Term: 3, LogTerm: 2, Index: 7, Commit: 6,
		Entries: []raft.Entry{{Term: 3, Index: 8, Data: []byte("x")}, {Term: 3, Index: 9}},
		Seq:     4, Context: 5,
		Snapshot: &raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 5, Term: 2,
			ConfState: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}}, Data: []byte("snap")},
	}
	frame, err := AppendMessage(nil, m, FrameBytesMaxDefault)
	require.NoError(t, err)
	return frame
}

func TestDecodeIsStrict(t *testing.T) {
	frame := sampleFrame(t)
	body := frameHeaderBytes + bodyHeaderBytes
	offReject := body + 1 + 6*8
	offEntries := offReject + 1 + 3*8
	tests := []struct {
		name   string
		mutate func(b []byte) []byte
		want   error
	}{
		{"trailing byte", func(b []byte) []byte { return fixLen(append(b, 0)) }, ErrMalformed},
		{"truncated", func(b []byte) []byte { return fixLen(b[:len(b)-1]) }, ErrMalformed},
		{"length larger than bytes", func(b []byte) []byte { return b[:len(b)-1] }, ErrMalformed},
		{"empty", func(b []byte) []byte { return nil }, ErrMalformed},
		{"other version", func(b []byte) []byte { b[frameHeaderBytes] = Version + 1; return b }, ErrVersion},
		{"hello kind", func(b []byte) []byte { b[frameHeaderBytes+1] = byte(kindHello); return b }, ErrMalformed},
		{"type zero", func(b []byte) []byte { b[body] = 0; return b }, ErrMalformed},
		{"unknown type", func(b []byte) []byte { b[body] = byte(messageTypeKnownMax) + 1; return b }, ErrMalformed},
		{"reject not a bool", func(b []byte) []byte { b[offReject] = 2; return b }, ErrMalformed},
		{"entry count beyond bytes", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offEntries:], 1<<30)
			return b
		}, ErrMalformed},
		{"snapshot flag not a bool", func(b []byte) []byte {
			m, err := DecodeMessage(b, FrameBytesMaxDefault)
			require.NoError(t, err)
			m.Snapshot = nil
			b, err = AppendMessage(nil, m, FrameBytesMaxDefault)
			require.NoError(t, err)
			b[len(b)-1] = 7
			return b
		}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(frame))
			_, err := DecodeMessage(b, FrameBytesMaxDefault)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// fixLen rewrites a frame's length prefix to match its body.
func fixLen(b []byte) []byte {
	binary.BigEndian.PutUint32(b, uint32(len(b)-frameHeaderBytes))
	return b
}

func TestHelloRoundTrip(t *testing.T) {
	h := hello{ClusterID: 9, From: 1, To: 2}
	b := appendHello(nil, h)
	body, err := readFrame(bytes.NewReader(b), helloBytes)
	require.NoError(t, err)
	payload, err := checkBody(body, kindHello)
	require.NoError(t, err)
	got, err := decodeHello(payload)
	require.NoError(t, err)
	assert.Equal(t, h, got)
}

// BenchmarkEncodeDecode measures one round trip of a typical replication
// message, and checks each result so that it measures working code.
func BenchmarkEncodeDecode(b *testing.B) {
	m := raft.Message{Type: raft.AppendEntriesRequest, To: 2, From: 1, Term: 5, Index: 100, LogTerm: 5, Commit: 99}
	for i := range 16 {
		m.Entries = append(m.Entries, raft.Entry{Term: 5, Index: uint64(101 + i), Data: bytes.Repeat([]byte{byte(i)}, 128)})
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = AppendMessage(buf[:0], m, FrameBytesMaxDefault)
		if err != nil {
			b.Fatal(err)
		}
		got, err := DecodeMessage(buf, FrameBytesMaxDefault)
		if err != nil || len(got.Entries) != len(m.Entries) || got.Entries[15].Index != 116 {
			b.Fatalf("round trip: %v, %v", got, err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
