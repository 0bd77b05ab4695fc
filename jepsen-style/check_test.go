package jepsen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

func op(client int, in model.Input, call, ret int64, out model.Output) linearizability.Operation {
	in.Client = client
	return linearizability.Operation{Input: in, Output: out, Call: call, Return: ret}
}

func put(k, v string) model.Input { return model.Input{Op: model.OpPut, Key: k, Value: v} }
func get(k string) model.Input    { return model.Input{Op: model.OpGet, Key: k, Mode: model.ReadLog} }
func saw(v string) model.Output   { return model.Output{Value: v, Found: true} }

func TestCheckHistoryTellsLostWritesFromStaleReads(t *testing.T) {
	workload := []linearizability.Operation{
		op(0, put("x", "1"), 0, 10, model.Output{}),
		op(1, put("x", "2"), 20, 30, model.Output{}),
		op(0, put("y", "a"), 0, 10, model.Output{}),
	}
	tests := []struct {
		name  string
		ops   []linearizability.Operation
		final int
		want  string // violation kind, "" for none
	}{
		{"final reads agree", append(workload[:3:3],
			op(2, get("x"), 100, 110, saw("2")), op(2, get("y"), 110, 120, saw("a"))), 3, ""},
		{"acknowledged write missing after healing", append(workload[:3:3],
			op(2, get("x"), 100, 110, saw("1")), op(2, get("y"), 110, 120, saw("a"))), 3, ViolationLostWrite},
		{"key gone after healing", append(workload[:3:3],
			op(2, get("x"), 100, 110, saw("2")), op(2, get("y"), 110, 120, model.Output{})), 3, ViolationLostWrite},
		{"stale read during the run", append(workload[:3:3],
			op(1, get("x"), 40, 50, saw("1"))), 4, ViolationLinearizability},
		{"unknown write may explain a final read", []linearizability.Operation{
			op(0, put("x", "1"), 0, 10, model.Output{}),
			op(1, put("x", "2"), 20, 0, model.UnknownOutput()),
			op(2, get("x"), 100, 110, saw("2"))}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, vs, err := CheckHistory(linearizability.History{Ops: tt.ops}, tt.final, 10*time.Second)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Empty(t, vs)
				assert.Equal(t, linearizability.Ok, res.Verdict)
				return
			}
			require.Len(t, vs, 1)
			assert.Equal(t, tt.want, vs[0].Kind, vs[0].Message)
			assert.Equal(t, linearizability.Illegal, res.Verdict)
		})
	}
}

func TestCheckHistoryRefusesBadFinalReads(t *testing.T) {
	h := linearizability.History{Ops: []linearizability.Operation{op(0, put("x", "1"), 0, 10, model.Output{})}}
	_, _, err := CheckHistory(h, 2, time.Second)
	assert.ErrorContains(t, err, "outside")
	_, _, err = CheckHistory(h, 0, time.Second)
	assert.ErrorContains(t, err, "not a get")
	_, _, err = CheckHistory(h, 1, 0)
	assert.ErrorIs(t, err, linearizability.ErrTimeout)
}
