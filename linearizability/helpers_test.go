package linearizability

import (
	"sync/atomic"
	"time"

	"github.com/raftcheck/raftcheck/model"
)

// testTimeout is the check timeout of tests that expect a verdict.
const testTimeout = 10 * time.Second

// stepClock is a virtual clock that advances by one on every reading, as a
// simulator's would between events. It is safe for concurrent use.
type stepClock struct{ now atomic.Int64 }

func (c *stepClock) Now() int64 { return c.now.Add(1) }

// fixedClock is a virtual clock the test sets by hand.
type fixedClock struct{ now int64 }

func (c *fixedClock) Now() int64 { return c.now }

func op(client int, in model.Input, call, ret int64, out model.Output) Operation {
	in.Client = client
	return Operation{Input: in, Output: out, Call: call, Return: ret}
}

func withClient(in model.Input, client int) model.Input {
	in.Client = client
	return in
}

func unknownOp(client int, in model.Input, call int64) Operation {
	in.Client = client
	return Operation{Input: in, Output: model.UnknownOutput(), Call: call}
}

func read(v string) model.Output { return model.Output{Value: v, Found: true} }

func missing() model.Output { return model.Output{} }

func done() model.Output { return model.Output{} }

// staleReadHistory is a lease read that returns a value overwritten before
// it began: not linearizable.
func staleReadHistory() History {
	return History{
		Ops: []Operation{
			op(0, model.Put("x", "1"), 0, 10, done()),
			op(0, model.Put("x", "2"), 20, 30, done()),
			op(1, model.Get("x", model.ReadLease), 40, 50, read("1")),
		},
		Faults:  []Fault{{Kind: "clock-drift", Nodes: []uint64{2}, Start: 5, End: 60, Description: "n2 clock runs 30% fast"}},
		Leaders: []Leader{{Term: 3, Node: 2, Start: 0, End: 60}},
		Retries: []Retry{{Op: 2, Attempt: 1, Time: 45, Description: "not leader"}},
	}
}

// linearizableHistory is a small concurrent history with an unknown write
// that took effect and one that did not.
func linearizableHistory() History {
	return History{Ops: []Operation{
		op(0, model.Put("x", "1"), 0, 100, done()),
		op(1, model.Get("x", model.ReadIndex), 10, 20, missing()),
		op(2, model.Get("x", model.ReadLog), 30, 120, read("1")),
		unknownOp(1, model.Append("x", "2"), 110),
		op(2, model.Get("x", model.ReadFollower), 130, 140, read("12")),
		unknownOp(0, model.Put("y", "1"), 150),
		op(2, model.Get("y", model.ReadLease), 160, 170, missing()),
		op(0, model.CAS("x", "12", "3"), 180, 190, model.Output{OK: true}),
		op(1, model.Delete("x"), 200, 210, done()),
	}}
}
