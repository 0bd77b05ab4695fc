package model

import (
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// State is the register of one key: its value and whether it is present.
// The zero State is a missing key.
type State struct {
	// Value is the key's value; "" when the key is missing.
	Value string
	// Found reports whether the key is present.
	Found bool
}

// Step applies the operation (in, out) to s. It reports whether a
// sequential store in state s could have answered in with out, and returns
// the state after the operation. It does not look at in.Key: a state is one
// key's register. An unknown output is always legal and the effect of the
// operation is applied (see the package comment for why that is enough).
func (s State) Step(in Input, out Output) (bool, State) {
	switch in.Op {
	case OpGet:
		return out.Unknown || (out.Found == s.Found && out.Value == s.Value), s
	case OpPut:
		return true, State{Value: in.Value, Found: true}
	case OpAppend:
		return true, State{Value: s.Value + in.Value, Found: true}
	case OpCAS:
		applies := s.Found && s.Value == in.Expected
		if !out.Unknown && out.OK != applies {
			return false, s
		}
		if applies {
			return true, State{Value: in.Value, Found: true}
		}
		return true, s
	case OpDelete:
		return true, State{}
	}
	return false, s
}

// String describes the state for the visualization: the quoted value, or
// <missing>.
func (s State) String() string {
	if !s.Found {
		return "<missing>"
	}
	return strconv.Quote(s.Value)
}

// Describe returns the operation as the visualization shows it, with the
// read mode of a Get in brackets: `get(k) [lease] -> "v"`, `put(k, "v")`,
// `cas(k, "a", "b") -> ok`. An unknown outcome is shown as `-> ?`.
func Describe(in Input, out Output) string {
	call := describeCall(in)
	switch {
	case out.Unknown:
		return call + " -> ?"
	case in.Op == OpGet && !out.Found:
		return call + " -> <missing>"
	case in.Op == OpGet:
		return call + " -> " + strconv.Quote(out.Value)
	case in.Op == OpCAS && out.OK:
		return call + " -> ok"
	case in.Op == OpCAS:
		return call + " -> fail"
	}
	return call
}

func describeCall(in Input) string {
	switch in.Op {
	case OpGet:
		if in.Mode == "" {
			return fmt.Sprintf("get(%s)", in.Key)
		}
		return fmt.Sprintf("get(%s) [%s]", in.Key, in.Mode)
	case OpPut, OpAppend:
		return fmt.Sprintf("%s(%s, %q)", in.Op, in.Key, in.Value)
	case OpCAS:
		return fmt.Sprintf("cas(%s, %q, %q)", in.Key, in.Expected, in.Value)
	case OpDelete:
		return fmt.Sprintf("delete(%s)", in.Key)
	}
	return fmt.Sprintf("%s(%s)", in.Op, in.Key)
}

// KV returns the Porcupine model of the key-value store, partitioned by key.
// Inputs must be Input and outputs Output (values, not pointers). Operation
// metadata, if any, is shown in the visualization's tooltip with %v.
func KV() porcupine.Model {
	return porcupine.Model{
		Partition:      PartitionByKey,
		PartitionEvent: PartitionEventsByKey,
		Init:           func() any { return State{} },
		Step: func(state, input, output any) (bool, any) {
			return state.(State).Step(input.(Input), output.(Output))
		},
		Equal: func(a, b any) bool { return a.(State) == b.(State) },
		Hash:  func(state any) uint64 { return hashState(state.(State)) },
		DescribeOperation: func(input, output any) string {
			return Describe(input.(Input), output.(Output))
		},
		DescribeState:             func(state any) string { return state.(State).String() },
		DescribeOperationMetadata: describeMetadata,
	}
}

func hashState(s State) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s.Value))
	if s.Found {
		_, _ = h.Write([]byte{1})
	}
	return h.Sum64()
}

func describeMetadata(metadata any) string {
	switch m := metadata.(type) {
	case nil:
		return ""
	case string:
		return m
	}
	return fmt.Sprint(metadata)
}

// PartitionByKey splits a history of operations into one history per key,
// in the order in which the keys first appear. The order of operations
// within a key is kept.
func PartitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	index := make(map[string]int)
	var parts [][]porcupine.Operation
	for _, op := range history {
		key := op.Input.(Input).Key
		i, ok := index[key]
		if !ok {
			i = len(parts)
			index[key] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// PartitionEventsByKey splits a history of events into one history per key,
// in the order in which the keys first appear. A return event carries no
// key, so it goes where the call with the same Id went; a return without a
// call panics, as it is a broken history.
func PartitionEventsByKey(history []porcupine.Event) [][]porcupine.Event {
	index := make(map[string]int)
	partOfID := make(map[int]int)
	var parts [][]porcupine.Event
	for _, ev := range history {
		if ev.Kind == porcupine.ReturnEvent {
			i, ok := partOfID[ev.Id]
			if !ok {
				panic(fmt.Sprintf("model: return event %d without a call", ev.Id))
			}
			parts[i] = append(parts[i], ev)
			continue
		}
		key := ev.Value.(Input).Key
		i, ok := index[key]
		if !ok {
			i = len(parts)
			index[key] = i
			parts = append(parts, nil)
		}
		partOfID[ev.Id] = i
		parts[i] = append(parts[i], ev)
	}
	return parts
}
