package transport

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/raftcheck/raftcheck/raft"
)

// fuzzFrameBytesMax keeps the fuzzer's frames small, so it explores
// structure rather than allocation.
const fuzzFrameBytesMax = 1 << 16

// FuzzDecode checks that decoding never panics, and that whatever decodes
// (a message or a hello) re-encodes to exactly the bytes it came from:
// there is one encoding per value, so no two peers can disagree on what a
// frame means.
func FuzzDecode(f *testing.F) {
	f.Add(sampleFrame(f))
	f.Add(appendHello(nil, hello{ClusterID: 1, From: 2, To: 3}))
	for _, m := range []raft.Message{
		{Type: raft.HeartbeatRequest, To: 2, From: 1, Term: 1, Commit: 3, Seq: 9},
		{Type: raft.AppendEntriesResponse, To: 1, From: 2, Reject: true, RejectHint: 4, LogTerm: 2},
		{Type: raft.InstallSnapshotRequest, To: 3, From: 1, Snapshot: &raft.Snapshot{Data: []byte("s")}},
	} {
		b, err := AppendMessage(nil, m, fuzzFrameBytesMax)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := DecodeMessage(data, fuzzFrameBytesMax); err == nil {
			again, err := AppendMessage(nil, m, fuzzFrameBytesMax)
			if err != nil {
				t.Fatalf("decoded %v but cannot encode it: %v", m, err)
			}
			if !bytes.Equal(again, data) {
				t.Fatalf("re-encoding differs:\n in  %x\n out %x", data, again)
			}
		}
		body, err := readFrame(bytes.NewReader(data), fuzzFrameBytesMax)
		if err != nil {
			return
		}
		if payload, err := checkBody(body, kindHello); err == nil {
			if h, err := decodeHello(payload); err == nil && len(data) == frameHeaderBytes+len(body) {
				if again := appendHello(nil, h); !bytes.Equal(again, data) {
					t.Fatalf("hello re-encoding differs:\n in  %x\n out %x", data, again)
				}
			}
		}
	})
}
