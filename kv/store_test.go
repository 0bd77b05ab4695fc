package kv

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/model"
)

// client numbers its commands as a Session would.
func cmd(client, seq uint64, c Command) Command {
	c.Client, c.Seq = client, seq
	return c
}

func TestStoreAnswersAsTheModelDoes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	st := NewStore(0)
	states := map[string]model.State{}
	keys, values := []string{"a", "b"}, []string{"", "x", "y"}
	for seq := uint64(1); seq <= 2000; seq++ {
		k, v, e := keys[rng.IntN(2)], values[rng.IntN(3)], values[rng.IntN(3)]
		c := []Command{Get(k), Put(k, v), Append(k, v), CAS(k, e, v), Delete(k)}[rng.IntN(5)]
		res := st.Apply(cmd(1, seq, c))
		require.NoError(t, res.Err())
		in := model.Input{Op: model.Op(c.Op), Key: c.Key, Value: c.Value, Expected: c.Expected}
		out := model.Output{Value: res.Value, Found: res.Found, OK: res.OK}
		require.NoError(t, in.ValidateOutput(out), "%s -> %+v", c, res)
		ok, next := states[k].Step(in, out)
		require.True(t, ok, "model refuses %s -> %+v in state %+v", c, res, states[k])
		states[k] = next
		require.Equal(t, model.Op(c.Op).String(), c.Op.String())
	}
}

func TestRetriedCommandTakesEffectOnceAndGetsTheFirstAnswer(t *testing.T) {
	st := NewStore(0)
	first := st.Apply(cmd(1, 1, Append("k", "x")))
	st.Apply(cmd(2, 1, Append("k", "y")))
	again := st.Apply(cmd(1, 1, Append("k", "x")))
	assert.Equal(t, first, again)
	v, _ := st.Lookup("k")
	assert.Equal(t, "xy", v)

	read := st.Apply(cmd(3, 1, Get("k")))
	st.Apply(cmd(1, 2, Put("k", "z")))
	assert.Equal(t, read, st.Apply(cmd(3, 1, Get("k"))), "a retried read answers what it read")
	assert.Equal(t, Result{Value: "xy", Found: true}, read)
}

func TestCommandOlderThanItsSessionsLastIsRefusedAndChangesNothing(t *testing.T) {
	st := NewStore(0)
	st.Apply(cmd(1, 1, Put("k", "a")))
	st.Apply(cmd(1, 2, Put("k", "b")))
	res := st.Apply(cmd(1, 1, Put("k", "c")))
	assert.ErrorIs(t, res.Err(), ErrStaleSequence)
	v, _ := st.Lookup("k")
	assert.Equal(t, "b", v)
	last, _ := st.LastSeq(1)
	assert.Equal(t, uint64(2), last)
}

func TestCommandPastTheFirstWithoutASessionIsRefusedAsExpired(t *testing.T) {
	st := NewStore(0)
	res := st.Apply(cmd(1, 2, Put("k", "a")))
	assert.ErrorIs(t, res.Err(), ErrSessionExpired)
	assert.Equal(t, 0, st.Len())
	assert.Equal(t, 0, st.Sessions())
}

func TestFullSessionTableEvictsTheLeastRecentlyUsed(t *testing.T) {
	st := NewStore(2)
	st.Apply(cmd(1, 1, Put("k", "1")))
	st.Apply(cmd(2, 1, Put("k", "2")))
	st.Apply(cmd(1, 2, Get("k"))) // 1 is now the most recently used
	st.Apply(cmd(3, 1, Put("k", "3")))
	assert.Equal(t, 2, st.Sessions(), "the table holds its bound")
	_, has2 := st.LastSeq(2)
	assert.False(t, has2, "client 2 was the least recently used")
	assert.ErrorIs(t, st.Apply(cmd(2, 2, Put("k", "late"))).Err(), ErrSessionExpired)
	assert.NoError(t, st.Apply(cmd(1, 3, Put("k", "ok"))).Err())
	v, _ := st.Lookup("k")
	assert.Equal(t, "ok", v)
}

func TestAppendUpToTheValueLimitIsAppliedAndPastItRefused(t *testing.T) {
	st := NewStore(0)
	st.Apply(cmd(1, 1, Put("k", strings.Repeat("v", ValueBytesMax-1))))
	assert.NoError(t, st.Apply(cmd(1, 2, Append("k", "w"))).Err())
	res := st.Apply(cmd(1, 3, Append("k", "x")))
	assert.ErrorIs(t, res.Err(), ErrValueTooLarge)
	v, _ := st.Lookup("k")
	assert.Len(t, v, ValueBytesMax)
	assert.True(t, strings.HasSuffix(v, "w"))
	assert.Equal(t, res, st.Apply(cmd(1, 3, Append("k", "x"))), "the refusal is recorded for retries")
}

func TestMalformedEntryChangesNothing(t *testing.T) {
	st := NewStore(0)
	st.Apply(cmd(1, 1, Put("k", "a")))
	before := st.Snapshot()
	_, _, err := st.ApplyEncoded([]byte{commandVersion, byte(OpPut), 1})
	require.ErrorIs(t, err, ErrInvalidCommand)
	assert.Equal(t, before, st.Snapshot())
}
