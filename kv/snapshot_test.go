package kv

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// busyStore holds data and three sessions, in a known LRU order.
func busyStore(t *testing.T) *Store {
	t.Helper()
	st := NewStore(3)
	for _, c := range []Command{
		cmd(1, 1, Put("b", "2")), cmd(2, 1, Put("a", "1")), cmd(3, 1, CAS("a", "1", "one")),
		cmd(1, 2, Get("a")), cmd(2, 2, Put("c", "")), cmd(3, 2, Append("a", "!")),
	} {
		require.NoError(t, st.Apply(c).Err())
	}
	return st
}

func TestSnapshotRoundTripRestoresDataAndSessions(t *testing.T) {
	st := busyStore(t)
	snap := st.Snapshot()
	got := NewStore(3)
	require.NoError(t, got.Restore(snap))
	assert.Equal(t, snap, got.Snapshot())
	v, found := got.Lookup("a")
	assert.Equal(t, "one!", v)
	assert.True(t, found)
	v, found = got.Lookup("c")
	assert.Equal(t, "", v)
	assert.True(t, found)
	// The recorded results answer retries on the restored store.
	assert.Equal(t, Result{Value: "one", Found: true}, got.Apply(cmd(1, 2, Get("a"))))
	// And the LRU order came along: client 2 is now the least recently
	// used on both, so a new client evicts it on both.
	st.Apply(cmd(1, 2, Get("a")))
	st.Apply(cmd(4, 1, Get("a")))
	got.Apply(cmd(4, 1, Get("a")))
	_, has2 := got.LastSeq(2)
	assert.False(t, has2)
	assert.Equal(t, st.Snapshot(), got.Snapshot())
}

func TestEqualStoresEncodeToEqualSnapshots(t *testing.T) {
	a, b := busyStore(t), busyStore(t)
	for range 10 {
		require.Equal(t, a.Snapshot(), b.Snapshot(), "map order must not leak into the encoding")
	}
}

// reseal replaces the checksum of a snapshot body, so a test can plant
// corruption the checksum does not catch.
func reseal(body []byte) []byte {
	return binary.BigEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
}

func TestCorruptSnapshotIsRefusedAndChangesNothing(t *testing.T) {
	good := busyStore(t).Snapshot()
	body := good[:len(good)-checksumBytes]
	unsorted := func() []byte {
		var w writer
		w.buf = append(w.buf, snapshotMagic...)
		w.byte(snapshotVersion)
		w.uvarint(2)
		w.string("b")
		w.string("")
		w.string("a")
		w.string("")
		w.uvarint(0)
		return reseal(w.buf)
	}
	cases := map[string][]byte{
		"empty":             nil,
		"truncated":         good[:len(good)/2],
		"bad magic":         reseal(append([]byte("XKVS"), body[4:]...)),
		"bad version":       reseal(append(append([]byte(snapshotMagic), 9), body[5:]...)),
		"trailing":          reseal(append(append([]byte{}, body...), 0)),
		"keys out of order": unsorted(),
	}
	for i := range good {
		flipped := append([]byte{}, good...)
		flipped[i] ^= 0x10
		cases[fmt.Sprintf("flip byte %d", i)] = flipped
	}
	for name, snap := range cases {
		st := NewStore(3)
		st.Apply(cmd(9, 1, Put("keep", "me")))
		before := st.Snapshot()
		err := st.Restore(snap)
		require.ErrorIs(t, err, ErrCorruptSnapshot, name)
		require.Equal(t, before, st.Snapshot(), "%s changed the store", name)
	}
}

func TestSnapshotWithMoreSessionsThanTheBoundIsRefused(t *testing.T) {
	snap := busyStore(t).Snapshot()
	st := NewStore(2)
	err := st.Restore(snap)
	require.ErrorIs(t, err, ErrCorruptSnapshot)
	assert.Contains(t, err.Error(), "3 sessions, limit 2")
	assert.NoError(t, NewStore(3).Restore(snap), "at the bound")
}
