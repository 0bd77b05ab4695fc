package linearizability

import (
	"errors"
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/raftcheck/raftcheck/model"
)

// Verdict is the outcome of a linearizability check.
type Verdict string

const (
	// Ok means the history is linearizable.
	Ok Verdict = "ok"
	// Illegal means the history is not linearizable: some client saw
	// something no sequential execution explains.
	Illegal Verdict = "illegal"
	// Unknown means the checker ran out of time. It is not a pass.
	Unknown Verdict = "unknown"
)

// ErrTimeout is returned by Check when the timeout is not positive. An
// unbounded check is never what a caller means: a hard history then runs
// for ever.
var ErrTimeout = errors.New("timeout must be positive")

// Result is the outcome of Check, with what WriteHTML needs to draw it.
type Result struct {
	// Verdict is Ok, Illegal or Unknown.
	Verdict Verdict
	// Info is Porcupine's linearization (or longest partial
	// linearizations) per partition, for the visualization.
	Info porcupine.LinearizationInfo
	// History is the history checked, with its annotations.
	History History
	// Timeout is the time the checker was given.
	Timeout time.Duration
	// Elapsed is the time the checker took.
	Elapsed time.Duration
}

// String summarizes the result in one line.
func (r Result) String() string {
	dropped := 0
	for _, op := range r.History.Ops {
		if Dropped(op) {
			dropped++
		}
	}
	s := fmt.Sprintf("%s: %d operations", r.Verdict, len(r.History.Ops))
	if dropped > 0 {
		s += fmt.Sprintf(" (%d unknown gets dropped)", dropped)
	}
	s += fmt.Sprintf(", checked in %v", r.Elapsed.Round(time.Microsecond))
	if r.Verdict == Unknown {
		s += fmt.Sprintf(" (timed out after %v; not a pass)", r.Timeout)
	}
	return s
}

// Check decides whether h is linearizable with respect to model.KV, within
// timeout. A check that runs out of time yields Unknown, never Ok. Check
// returns an error, and no verdict, if h is malformed (see
// History.Validate) or the timeout is not positive.
func Check(h History, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		return Result{}, fmt.Errorf("check: %w, got %v", ErrTimeout, timeout)
	}
	if err := h.Validate(); err != nil {
		return Result{}, fmt.Errorf("check: %w", err)
	}
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(model.KV(), h.Porcupine(), timeout)
	return Result{
		Verdict: verdictOf(res),
		Info:    info,
		History: h,
		Timeout: timeout,
		Elapsed: time.Since(start),
	}, nil
}

func verdictOf(res porcupine.CheckResult) Verdict {
	switch res {
	case porcupine.Ok:
		return Ok
	case porcupine.Illegal:
		return Illegal
	}
	// Unknown, and anything a future Porcupine adds: never a pass.
	return Unknown
}

// IllegalKeys returns, for an Illegal result, the keys for which the checker
// found no linearization of all their operations, in order of first
// appearance. If the check also ran out of time, keys it did not finish are
// included. For other verdicts it returns nil.
func (r Result) IllegalKeys() []string {
	if r.Verdict != Illegal {
		return nil
	}
	parts := model.PartitionByKey(r.History.Porcupine())
	partials := r.Info.PartialLinearizations()
	var keys []string
	for i, part := range parts {
		if i >= len(partials) || !hasFullLinearization(partials[i], len(part)) {
			keys = append(keys, part[0].Input.(model.Input).Key)
		}
	}
	return keys
}

func hasFullLinearization(partials [][]int, n int) bool {
	for _, p := range partials {
		if len(p) == n {
			return true
		}
	}
	return false
}
