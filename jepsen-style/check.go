package jepsen

import (
	"fmt"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

// Violation kinds.
const (
	// ViolationLinearizability: what the clients saw during the run has no
	// linearization.
	ViolationLinearizability = "linearizability"
	// ViolationLostWrite: the run was linearizable, but the final reads
	// after healing are not: a write the history says took effect is
	// missing (or one that never happened appeared).
	ViolationLostWrite = "lost-write"
	// ViolationCheckTimeout: the checker ran out of time; never a pass.
	ViolationCheckTimeout = "check-timeout"
	// ViolationUnavailable: after every fault healed, the cluster did not
	// elect a leader or answer a final read in time.
	ViolationUnavailable = "unavailable"
)

// Violation is one way a run failed.
type Violation struct {
	Kind    string
	Message string
}

func (v Violation) String() string { return v.Kind + ": " + v.Message }

// CheckHistory checks a run's history with Porcupine. Operations from index
// finalFrom on are the final reads made after healing; everything before is
// the workload. The workload alone is checked first, then with the final
// reads, so that a final read that disagrees with a linearizable run is
// named a lost write. It returns the result to draw (the failing one, if
// any) and the violations found; an error means the history is malformed.
func CheckHistory(h linearizability.History, finalFrom int, timeout time.Duration) (linearizability.Result, []Violation, error) {
	if finalFrom < 0 || finalFrom > len(h.Ops) {
		return linearizability.Result{}, nil, fmt.Errorf("check: final reads from %d, outside [0, %d]", finalFrom, len(h.Ops))
	}
	for i, op := range h.Ops[finalFrom:] {
		if op.Input.Op != model.OpGet {
			return linearizability.Result{}, nil, fmt.Errorf("check: final operation %d is a %v, not a get", finalFrom+i, op.Input.Op)
		}
	}
	work := h
	work.Ops = h.Ops[:finalFrom]
	work.Retries = nil
	for _, r := range h.Retries {
		if r.Op < finalFrom {
			work.Retries = append(work.Retries, r)
		}
	}
	res, err := linearizability.Check(work, timeout)
	if err != nil {
		return res, nil, err
	}
	if v, bad := verdictViolation(res, ViolationLinearizability, "the workload's history"); bad {
		return res, []Violation{v}, nil
	}
	full, err := linearizability.Check(h, timeout)
	if err != nil {
		return res, nil, err
	}
	v, bad := verdictViolation(full, ViolationLostWrite, "the final reads after healing")
	if !bad {
		return full, nil, nil
	}
	if v.Kind == ViolationLostWrite {
		v.Message += ": " + describeFinalReads(h.Ops[finalFrom:], full.IllegalKeys())
	}
	return full, []Violation{v}, nil
}

// verdictViolation turns a verdict that is not Ok into a violation of kind
// (or a check timeout).
func verdictViolation(res linearizability.Result, kind, what string) (Violation, bool) {
	switch res.Verdict {
	case linearizability.Ok:
		return Violation{}, false
	case linearizability.Illegal:
		return Violation{Kind: kind, Message: fmt.Sprintf("%s is not linearizable (keys %s)", what,
			strings.Join(res.IllegalKeys(), ", "))}, true
	}
	return Violation{Kind: ViolationCheckTimeout, Message: fmt.Sprintf("checking %s: %s", what, res)}, true
}

// describeFinalReads names what the final reads of keys saw.
func describeFinalReads(finals []linearizability.Operation, keys []string) string {
	var parts []string
	for _, op := range finals {
		for _, k := range keys {
			if op.Input.Key == k {
				parts = append(parts, model.Describe(op.Input, op.Output))
			}
		}
	}
	return "final " + strings.Join(parts, ", ") + " disagrees with the writes acknowledged before"
}
