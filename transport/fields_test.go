package transport

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// TestCodecCarriesEveryMessageField fails when raft.Message gains a field
// the codec does not carry: each field in turn is set alone and must
// survive a round trip.
func TestCodecCarriesEveryMessageField(t *testing.T) {
	typ := reflect.TypeOf(raft.Message{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			m := raft.Message{Type: raft.AppendEntriesRequest, To: 2, From: 1}
			v := reflect.ValueOf(&m).Elem().Field(i)
			switch f.Name {
			case "Type":
				m.Type = raft.TimeoutNowRequest
			case "Entries":
				m.Entries = []raft.Entry{{Term: 3, Index: 4, Data: []byte("x")}}
			case "Snapshot":
				m.Snapshot = &raft.Snapshot{Metadata: raft.SnapshotMetadata{Index: 5, Term: 2,
					ConfState: raft.ConfState{Voters: []uint64{1, 2}, Learners: []uint64{3}}}, Data: []byte("s")}
			default:
				switch v.Kind() {
				case reflect.Uint64:
					v.SetUint(0x0102030405060708)
				case reflect.Bool:
					v.SetBool(true)
				default:
					t.Fatalf("field %s of kind %s: teach this test and the codec about it", f.Name, v.Kind())
				}
			}
			b, err := AppendMessage(nil, m, FrameBytesMaxDefault)
			require.NoError(t, err)
			got, err := DecodeMessage(b, FrameBytesMaxDefault)
			require.NoError(t, err)
			require.Equal(t, m, got, "field %s did not survive the round trip", f.Name)
		})
	}
}
