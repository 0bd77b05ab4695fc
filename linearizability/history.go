package linearizability

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/raftcheck/raftcheck/model"
)

// OpsMax is the largest number of operations a history may hold. It bounds
// the memory a history file can make the checker use.
const OpsMax = 1 << 20

// ErrMalformed is wrapped by every error about a history that does not make
// sense (return before call, unknown operation, dangling reference...).
var ErrMalformed = errors.New("malformed history")

// Operation is one client operation of a history, as plain data. The client
// is Input.Client.
type Operation struct {
	// Input is what the client asked for.
	Input model.Input
	// Output is what the client saw. If Output.Unknown is set, the client
	// does not know whether the operation took effect, and Return is
	// ignored: the operation is treated as returning at the end of the
	// history.
	Output model.Output
	// Call is when the client invoked the operation, in nanoseconds of the
	// recorder's clock.
	Call int64
	// Return is when the client received the response; Return >= Call.
	Return int64
}

// Fault is a window during which a fault was in force, such as a network
// partition, a crash, a paused process or a drifting clock. End == Start is
// a point in time.
type Fault struct {
	// Kind names the fault: "partition", "crash", "pause", "clock-drift"...
	// Faults of one kind share a row in the visualization.
	Kind string
	// Nodes are the nodes the fault hit, if any.
	Nodes []uint64
	// Start and End bound the window, in the history's clock.
	Start, End int64
	// Description says what happened, for a person.
	Description string
}

// Leader records that Node was the leader of Term from Start to End, as far
// as the observer (a simulator or a test) knows.
type Leader struct {
	// Term is the Raft term.
	Term uint64
	// Node is the id of the leader.
	Node uint64
	// Start and End bound the leadership, in the history's clock.
	Start, End int64
}

// Retry records that the client of operation Op sent it again (attempt
// number Attempt, from 1) at Time. A retry does not make a new operation:
// the operation's interval already covers all its attempts.
type Retry struct {
	// Op is the index in History.Ops of the operation retried.
	Op int
	// Attempt counts the retries of Op, from 1.
	Attempt int
	// Time is when the retry was sent.
	Time int64
	// Description says why, for a person (for example "not leader").
	Description string
}

// History is what the clients of a run saw, plus annotations on what the
// system did meanwhile. It is plain data: a simulator can build one
// directly, or use a Recorder.
type History struct {
	// Ops are the client operations, in any order.
	Ops []Operation
	// Faults are fault windows, shown as annotations.
	Faults []Fault
	// Leaders are the leaders per term, shown as annotations.
	Leaders []Leader
	// Retries are client retries, shown on the client's row.
	Retries []Retry
}

// Validate reports the first thing wrong with h, naming the operation or
// annotation by its index. Every error wraps ErrMalformed.
func (h History) Validate() error {
	if len(h.Ops) > OpsMax {
		return fmt.Errorf("%w: %d operations, more than %d", ErrMalformed, len(h.Ops), OpsMax)
	}
	for i, op := range h.Ops {
		if err := validateOperation(op); err != nil {
			return fmt.Errorf("%w: operation %d: %w", ErrMalformed, i, err)
		}
	}
	for i, f := range h.Faults {
		switch {
		case f.Kind == "":
			return fmt.Errorf("%w: fault %d: empty kind", ErrMalformed, i)
		case f.End < f.Start:
			return fmt.Errorf("%w: fault %d: end %d before start %d", ErrMalformed, i, f.End, f.Start)
		}
	}
	for i, l := range h.Leaders {
		if l.End < l.Start {
			return fmt.Errorf("%w: leader %d: end %d before start %d", ErrMalformed, i, l.End, l.Start)
		}
	}
	for i, r := range h.Retries {
		switch {
		case r.Op < 0 || r.Op >= len(h.Ops):
			return fmt.Errorf("%w: retry %d: operation %d does not exist", ErrMalformed, i, r.Op)
		case r.Attempt < 1:
			return fmt.Errorf("%w: retry %d: attempt %d, want >= 1", ErrMalformed, i, r.Attempt)
		case r.Time < h.Ops[r.Op].Call:
			return fmt.Errorf("%w: retry %d: at %d, before its operation was called at %d",
				ErrMalformed, i, r.Time, h.Ops[r.Op].Call)
		}
	}
	return nil
}

func validateOperation(op Operation) error {
	if err := op.Input.Validate(); err != nil {
		return err
	}
	if err := op.Input.ValidateOutput(op.Output); err != nil {
		return err
	}
	if !op.Output.Unknown && op.Return < op.Call {
		return fmt.Errorf("return time %d before call time %d", op.Return, op.Call)
	}
	return nil
}

// End returns the end of the history: one past its latest timestamp,
// annotations included. Operations with an unknown outcome return at End.
func (h History) End() int64 {
	var last int64
	for _, op := range h.Ops {
		last = max(last, op.Call)
		if !op.Output.Unknown {
			last = max(last, op.Return)
		}
	}
	for _, f := range h.Faults {
		last = max(last, f.End)
	}
	for _, l := range h.Leaders {
		last = max(last, l.End)
	}
	for _, r := range h.Retries {
		last = max(last, r.Time)
	}
	return last + 1
}

// Dropped reports whether operation op is left out of the checked history:
// a Get with an unknown outcome observed nothing, so it constrains nothing.
// It stays in the History and the visualization shows it as an annotation.
func Dropped(op Operation) bool {
	return op.Output.Unknown && op.Input.Op == model.OpGet
}

// Porcupine returns the history as Porcupine operations for model.KV. An
// operation with an unknown outcome returns at End, so the checker may
// linearize it anywhere after its call, including after everything else,
// where its effect is never observed (see package model). Gets with an
// unknown outcome are dropped (see Dropped). Each operation's metadata
// names its index in h.Ops, its client and its retries, for the tooltip.
func (h History) Porcupine() []porcupine.Operation {
	end := h.End()
	retries := make(map[int]int)
	for _, r := range h.Retries {
		retries[r.Op]++
	}
	ops := make([]porcupine.Operation, 0, len(h.Ops))
	for i, op := range h.Ops {
		if Dropped(op) {
			continue
		}
		ret := op.Return
		if op.Output.Unknown {
			ret = end
		}
		ops = append(ops, porcupine.Operation{
			ClientId: op.Input.Client,
			Input:    op.Input,
			Call:     op.Call,
			Output:   op.Output,
			Return:   ret,
			Metadata: describeOp(i, op, retries[i]),
		})
	}
	return ops
}

func describeOp(i int, op Operation, retries int) string {
	parts := []string{"op " + strconv.Itoa(i), "client " + strconv.Itoa(op.Input.Client)}
	if retries > 0 {
		parts = append(parts, "retried "+strconv.Itoa(retries)+"x")
	}
	if op.Output.Unknown {
		parts = append(parts, "outcome unknown")
	}
	return strings.Join(parts, ", ")
}

// clone returns a deep copy of h, so that a snapshot does not share slices
// with a history still being recorded.
func (h History) clone() History {
	c := History{
		Ops:     slices.Clone(h.Ops),
		Faults:  slices.Clone(h.Faults),
		Leaders: slices.Clone(h.Leaders),
		Retries: slices.Clone(h.Retries),
	}
	for i := range c.Faults {
		c.Faults[i].Nodes = slices.Clone(c.Faults[i].Nodes)
	}
	return c
}
