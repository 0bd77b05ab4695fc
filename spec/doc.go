// Package spec is the TLA+ specification tla/Raft.tla written in Go, with an
// explicit-state model checker for it.
//
// The package mirrors the TLA+ module name for name: State has one field per
// TLA+ variable (the Go field is the TLA+ name with its first letter
// capitalised, and its struct tag carries the TLA+ spelling), every TLA+
// action is a method of Spec with the same name and parameters, and every
// invariant is a function with the same name. ActionNames and
// InvariantNames are the registries that tla_test.go compares with
// tla/Raft.tla and tla/MCRaft.cfg.
//
// Servers are numbered 0..n-1 (s1..sn in TLA+); Nil is -1 for votedFor and
// the value 0 of a no-op entry. Sets of servers are bit masks.
//
// Check runs a breadth-first search over the states that satisfy the bounds
// of a Config, with 64-bit fingerprints of a canonical encoding (the least
// encoding over all permutations of the servers, which is the symmetry
// reduction), on all cores, and reports the shortest counterexample it finds.
//
// Validator replays an implementation's trace (the core's raft.TraceEvent,
// converted by the simulator) with the same State and the same action
// functions: each event must be a step of the spec, and the node's reported
// variables must be the spec's after it (see validate.go for how a long
// trace fits the State).
package spec
