package model

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// end is the end of the test histories: unknown operations return here.
const end = 1000

func op(client int, in Input, call, ret int64, out Output) porcupine.Operation {
	in.Client = client
	return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
}

func read(v string) Output { return Output{Value: v, Found: true} }

func missing() Output { return Output{} }

func done() Output { return Output{} }

func casOK(ok bool) Output { return Output{OK: ok} }

func linearizable(t *testing.T, history []porcupine.Operation) bool {
	t.Helper()
	res := porcupine.CheckOperationsTimeout(KV(), history, 0)
	require.NotEqual(t, porcupine.Unknown, res)
	return res == porcupine.Ok
}

func TestLinearizableConcurrentHistoryPasses(t *testing.T) {
	history := []porcupine.Operation{
		op(0, Put("x", "1"), 0, 100, done()),
		op(1, Get("x", ReadLease), 10, 20, missing()), // before the put took effect
		op(2, Get("x", ReadIndex), 30, 120, read("1")),
		op(1, Append("x", "2"), 110, 130, done()),
		op(0, CAS("x", "12", "3"), 140, 150, casOK(true)),
		op(2, CAS("x", "12", "4"), 145, 155, casOK(false)),
		op(1, Get("x", ReadLog), 160, 170, read("3")),
		op(0, Delete("x"), 180, 190, done()),
		op(2, Get("x", ReadFollower), 200, 210, missing()),
	}
	assert.True(t, linearizable(t, history))
}

func TestNonLinearizableHistoriesAreRejected(t *testing.T) {
	tests := []struct {
		name    string
		history []porcupine.Operation
	}{
		{"stale read after a newer write completed", []porcupine.Operation{
			op(0, Put("x", "1"), 0, 10, done()),
			op(0, Put("x", "2"), 20, 30, done()),
			op(1, Get("x", ReadLease), 40, 50, read("1")),
		}},
		{"lost write: a completed put is not seen", []porcupine.Operation{
			op(0, Put("x", "1"), 0, 10, done()),
			op(1, Get("x", ReadIndex), 20, 30, missing()),
		}},
		{"lost append", []porcupine.Operation{
			op(0, Append("x", "a"), 0, 10, done()),
			op(1, Append("x", "b"), 20, 30, done()),
			op(2, Get("x", ReadLog), 40, 50, read("b")),
		}},
		{"cas applied twice: both of two concurrent cas succeed", []porcupine.Operation{
			op(0, Put("x", "a"), 0, 10, done()),
			op(1, CAS("x", "a", "b"), 20, 40, casOK(true)),
			op(2, CAS("x", "a", "b"), 25, 45, casOK(true)),
		}},
		{"append applied twice: a retried append shows twice", []porcupine.Operation{
			op(0, Append("x", "a"), 0, 10, done()),
			op(1, Get("x", ReadLog), 20, 30, read("aa")),
		}},
		{"read of a value never written", []porcupine.Operation{
			op(0, Put("x", "1"), 0, 10, done()),
			op(1, Get("x", ReadFollower), 5, 30, read("7")),
		}},
		{"cas on a missing key succeeds", []porcupine.Operation{
			op(0, CAS("x", "", "1"), 0, 10, casOK(true)),
		}},
		{"read of a deleted key", []porcupine.Operation{
			op(0, Put("x", "1"), 0, 10, done()),
			op(0, Delete("x"), 20, 30, done()),
			op(1, Get("x", ReadLease), 40, 50, read("1")),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.False(t, linearizable(t, tt.history))
		})
	}
}

func TestUnknownWriteThatTookEffectIsAccepted(t *testing.T) {
	tests := []struct {
		in   Input
		want string
	}{
		{Put("x", "1"), "1"},
		{Append("x", "1"), "01"},
		{CAS("x", "0", "1"), "1"},
	}
	for _, tt := range tests {
		t.Run(tt.in.Op.String(), func(t *testing.T) {
			history := []porcupine.Operation{
				op(0, Put("x", "0"), 0, 5, done()),
				op(1, tt.in, 10, end, UnknownOutput()),
				op(2, Get("x", ReadLog), 20, 30, read(tt.want)),
				op(2, Get("x", ReadLog), 40, 50, read(tt.want)),
			}
			assert.True(t, linearizable(t, history))
		})
	}
}

func TestUnknownWriteThatDidNotTakeEffectIsAccepted(t *testing.T) {
	for _, in := range []Input{Put("x", "1"), Append("x", "1"), CAS("x", "0", "1"), Delete("x")} {
		t.Run(in.Op.String(), func(t *testing.T) {
			history := []porcupine.Operation{
				op(0, Put("x", "0"), 0, 5, done()),
				op(1, in, 10, end, UnknownOutput()),
				op(2, Get("x", ReadLog), 20, 30, read("0")),
				op(2, Get("x", ReadLog), 40, 50, read("0")),
			}
			assert.True(t, linearizable(t, history))
		})
	}
}

func TestUnknownWriteTakesEffectAtMostOnce(t *testing.T) {
	// Seen, then unseen with no other write: no single point explains both.
	history := []porcupine.Operation{
		op(1, Put("x", "1"), 10, end, UnknownOutput()),
		op(2, Get("x", ReadLog), 20, 30, read("1")),
		op(2, Get("x", ReadLog), 40, 50, missing()),
	}
	assert.False(t, linearizable(t, history))
}

func TestUnknownWriteMustReturnAtEndOfHistory(t *testing.T) {
	// The model applies an unknown write's effect; "not applied" is
	// linearizing it last. With a return time before a later read that
	// missed it, the checker cannot do that, and a legal history is
	// rejected. This is why unknown operations return at the end.
	history := []porcupine.Operation{
		op(1, Put("x", "1"), 10, 15, UnknownOutput()),
		op(2, Get("x", ReadLog), 20, 30, missing()),
	}
	assert.False(t, linearizable(t, history))
	history[0].Return = end
	assert.True(t, linearizable(t, history))
}

func TestUnknownGetIsAcceptedWithoutEffect(t *testing.T) {
	history := []porcupine.Operation{
		op(0, Put("x", "1"), 0, 5, done()),
		op(1, Get("x", ReadLease), 10, end, UnknownOutput()),
		op(2, Get("x", ReadLog), 20, 30, read("1")),
	}
	assert.True(t, linearizable(t, history))
}

func TestPartitionByKeyChecksKeysIndependently(t *testing.T) {
	history := []porcupine.Operation{
		op(0, Put("a", "1"), 0, 10, done()),
		op(1, Put("b", "1"), 0, 10, done()),
		op(0, Get("a", ReadLog), 20, 30, read("1")),
		op(1, Get("b", ReadLog), 20, 30, read("1")),
		op(2, Get("c", ReadLog), 20, 30, missing()),
	}
	parts := PartitionByKey(history)
	require.Len(t, parts, 3)
	for i, key := range []string{"a", "b", "c"} {
		for _, o := range parts[i] {
			assert.Equal(t, key, o.Input.(Input).Key)
		}
	}
	assert.Len(t, parts[0], 2)
	assert.True(t, linearizable(t, history))

	// A stale read on b alone is found although a is fine.
	history = append(history, op(2, Get("b", ReadLease), 40, 50, missing()))
	assert.False(t, linearizable(t, history))
}

func TestPartitionEventsByKeyFollowsCallIDs(t *testing.T) {
	events := []porcupine.Event{
		{ClientId: 0, Kind: porcupine.CallEvent, Value: Put("a", "1"), Id: 0},
		{ClientId: 1, Kind: porcupine.CallEvent, Value: Get("b", ReadLog), Id: 1},
		{ClientId: 0, Kind: porcupine.ReturnEvent, Value: done(), Id: 0},
		{ClientId: 1, Kind: porcupine.ReturnEvent, Value: missing(), Id: 1},
		{ClientId: 1, Kind: porcupine.CallEvent, Value: Get("a", ReadLog), Id: 2},
		{ClientId: 1, Kind: porcupine.ReturnEvent, Value: read("1"), Id: 2},
	}
	parts := PartitionEventsByKey(events)
	require.Len(t, parts, 2)
	assert.Len(t, parts[0], 4)
	assert.Len(t, parts[1], 2)
	assert.True(t, porcupine.CheckEvents(KV(), events))

	events[5].Value = missing()
	assert.False(t, porcupine.CheckEvents(KV(), events))
}
