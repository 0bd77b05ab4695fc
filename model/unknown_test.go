package model

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// nondeterministicKV is the obviously right model of unknown outcomes: an
// unknown write may have taken effect or not. KV() only applies the effect
// and relies on unknown operations returning at the end of the history.
func nondeterministicKV() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Partition: PartitionByKey,
		Init:      func() []any { return []any{State{}} },
		Step: func(state, input, output any) []any {
			s, in, out := state.(State), input.(Input), output.(Output)
			legal, next := s.Step(in, out)
			switch {
			case !legal:
				return nil
			case out.Unknown:
				return []any{next, s}
			}
			return []any{next}
		},
		Equal: func(a, b any) bool { return a.(State) == b.(State) },
	}
	return nm.ToModel()
}

func genHistory(t *rapid.T) []porcupine.Operation {
	const end = 100
	values := rapid.SampledFrom([]string{"a", "b"})
	n := rapid.IntRange(1, 7).Draw(t, "ops")
	history := make([]porcupine.Operation, n)
	for i := range history {
		var in Input
		switch kind := rapid.IntRange(1, 5).Draw(t, "op"); Op(kind) {
		case OpGet:
			in = Get("k", ReadLease)
		case OpPut:
			in = Put("k", values.Draw(t, "value"))
		case OpAppend:
			in = Append("k", values.Draw(t, "value"))
		case OpCAS:
			in = CAS("k", values.Draw(t, "expected"), values.Draw(t, "value"))
		case OpDelete:
			in = Delete("k")
		}
		call := rapid.Int64Range(0, 20).Draw(t, "call")
		ret := call + rapid.Int64Range(0, 10).Draw(t, "duration")
		out := Output{}
		switch {
		case rapid.IntRange(0, 3).Draw(t, "unknown") == 0:
			out, ret = UnknownOutput(), end
		case in.Op == OpGet && rapid.Bool().Draw(t, "found"):
			out = Output{Value: rapid.SampledFrom([]string{"", "a", "b", "ab", "ba"}).Draw(t, "read"), Found: true}
		case in.Op == OpCAS:
			out = Output{OK: rapid.Bool().Draw(t, "ok")}
		}
		history[i] = op(i, in, call, ret, out)
	}
	return history
}

func TestApplyingUnknownEffectsAgreesWithTheNondeterministicModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		history := genHistory(t)
		want := porcupine.CheckOperations(nondeterministicKV(), history)
		got := porcupine.CheckOperations(KV(), history)
		require.Equal(t, want, got, "KV() disagrees with the nondeterministic model")
	})
}
