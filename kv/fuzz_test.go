package kv

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzDecodedCommandReencodesToTheSameBytes(f *testing.F) {
	for _, c := range []Command{Get("k"), Put("k", "v"), Append("k", ""), CAS("k", "a", "b"), Delete("k")} {
		f.Add(withSession(c).Encode())
	}
	f.Add([]byte{})
	f.Add([]byte{commandVersion, byte(OpPut), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommand(data)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidCommand)
			return
		}
		require.Equal(t, data, c.Encode())
	})
}

func FuzzRestoreRefusesOrRoundTrips(f *testing.F) {
	st := NewStore(4)
	st.Apply(cmd(1, 1, Put("a", "x")))
	st.Apply(cmd(2, 1, CAS("a", "x", "y")))
	f.Add(st.Snapshot())
	f.Add(NewStore(4).Snapshot())
	f.Fuzz(func(t *testing.T, snap []byte) {
		st := NewStore(4)
		if err := st.Restore(snap); err != nil {
			require.True(t, errors.Is(err, ErrCorruptSnapshot), "%v", err)
			require.Equal(t, NewStore(4).Snapshot(), st.Snapshot(), "a refused snapshot changed the store")
			return
		}
		require.Equal(t, snap, st.Snapshot(), "a snapshot that decodes is the one encoding of its state")
	})
}

func TestRestoredStoreGoesOnAsTheOriginal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func() Command {
		k, v := []string{"a", "b", "c"}[rng.IntN(3)], []string{"", "x", "yy"}[rng.IntN(3)]
		return []Command{Get(k), Put(k, v), Append(k, v), CAS(k, v, "z"), Delete(k)}[rng.IntN(5)]
	}
	seqs := map[uint64]uint64{}
	next := func() Command {
		client := 1 + rng.Uint64N(6)
		if rng.IntN(4) > 0 || seqs[client] == 0 { // sometimes a retry
			seqs[client]++
		}
		return cmd(client, seqs[client], random())
	}
	orig := NewStore(4)
	for range 300 {
		orig.Apply(next())
	}
	copy := NewStore(4)
	require.NoError(t, copy.Restore(orig.Snapshot()))
	for i := range 300 {
		c := next()
		require.Equal(t, orig.Apply(c), copy.Apply(c), "command %d: %s", i, c)
	}
	require.Equal(t, orig.Snapshot(), copy.Snapshot())
}
