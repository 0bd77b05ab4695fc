// Package model is the Porcupine model of the replicated key-value store in
// kv/: a register per key, with Get, Put, Append, CAS and Delete.
//
// # Semantics
//
// Keys and values are strings. A key that was never written, or was deleted,
// is missing: Get returns Value "" and Found false. Put sets the value,
// Append concatenates to it (a missing key is treated as ""), Delete makes the
// key missing. CAS(expected, new) succeeds only when the key is present and
// its value equals expected; on a missing key it fails, so CAS never creates
// a key. This matches Jepsen's register, where a cas on nil fails.
//
// # Metadata
//
// The input of every operation carries the client id, and the input of a Get
// carries its read mode ([ReadLog], [ReadIndex], [ReadLease],
// [ReadFollower]). Both are ignored by the sequential specification but shown
// in the visualization: the read mode in the operation's description, for
// example `get(k) [lease] -> "v"`, so that a stale read points at its read
// path at once.
//
// # Operations with an unknown outcome
//
// A write whose client timed out may or may not have taken effect. Its output
// has Unknown set, and the model accepts it with its effect applied. The
// "did not take effect" case is covered by Porcupine's own convention: the
// return time of an unknown operation is the end of the history, so the
// checker may always linearize it after every other operation, where its
// effect is observed by nobody. The model is therefore only correct when
// unknown operations return at the end of the history; linearizability.History
// does that for you. A Get with an unknown outcome observed nothing: the model
// accepts it without a change, and the linearizability package drops it from
// the checked history altogether.
//
// # Partitions
//
// Operations on different keys commute, so the model partitions the history
// by key (P-compositionality) and its state is the register of one key.
package model

import (
	"errors"
	"fmt"
	"strconv"
)

// Op is the kind of an operation.
type Op uint8

const (
	// OpGet reads a key.
	OpGet Op = iota + 1
	// OpPut sets a key to a value.
	OpPut
	// OpAppend appends a value to a key's value.
	OpAppend
	// OpCAS sets a key to a new value if its value equals the expected one.
	OpCAS
	// OpDelete removes a key.
	OpDelete
)

// String returns the lower-case name of the operation, for example "cas".
// It is also the operation's name in history files.
func (o Op) String() string {
	switch o {
	case OpGet:
		return "get"
	case OpPut:
		return "put"
	case OpAppend:
		return "append"
	case OpCAS:
		return "cas"
	case OpDelete:
		return "delete"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp returns the Op named s ("get", "put", "append", "cas", "delete").
func ParseOp(s string) (Op, error) {
	for o := OpGet; o <= OpDelete; o++ {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown operation %q (want get, put, append, cas or delete)", s)
}

// ReadMode is the read path a Get took. The empty ReadMode means the caller
// did not say.
type ReadMode string

const (
	// ReadLog reads through the replicated log: the read is an entry.
	ReadLog ReadMode = "log"
	// ReadIndex reads after a ReadIndex round confirmed leadership.
	ReadIndex ReadMode = "readindex"
	// ReadLease reads on the leader under its lease, without a round.
	ReadLease ReadMode = "lease"
	// ReadFollower reads on a follower after it learned a read index.
	ReadFollower ReadMode = "follower"
)

// ParseReadMode returns the ReadMode named s; the empty string is the
// unspecified mode.
func ParseReadMode(s string) (ReadMode, error) {
	switch m := ReadMode(s); m {
	case "", ReadLog, ReadIndex, ReadLease, ReadFollower:
		return m, nil
	}
	return "", fmt.Errorf("unknown read mode %q (want log, readindex, lease or follower)", s)
}

// ClientMax is the largest client id. Porcupine draws one row per client id
// from zero, so ids are bounded to keep the visualization drawable.
const ClientMax = 1 << 16

// Input is the call of an operation: what a client asked for.
type Input struct {
	// Op is the kind of operation.
	Op Op
	// Key is the key operated on; the model partitions by it.
	Key string
	// Value is the value written by Put and Append, and the new value of CAS.
	Value string
	// Expected is the value CAS compares against.
	Expected string
	// Mode is the read path of a Get; it must be empty for other operations.
	Mode ReadMode
	// Client is the id of the client that issued the operation, in
	// [0, ClientMax].
	Client int
}

// Output is the response of an operation: what the client saw.
type Output struct {
	// Value is the value a Get read; "" when the key is missing.
	Value string
	// Found reports whether the key a Get read was present.
	Found bool
	// OK reports whether a CAS succeeded.
	OK bool
	// Unknown reports that the client does not know whether the operation
	// took effect (it timed out or lost its connection). The other fields
	// are then meaningless and must be zero.
	Unknown bool
}

// Get returns the input of a Get of key through the read path mode.
func Get(key string, mode ReadMode) Input { return Input{Op: OpGet, Key: key, Mode: mode} }

// Put returns the input of a Put of value to key.
func Put(key, value string) Input { return Input{Op: OpPut, Key: key, Value: value} }

// Append returns the input of an Append of value to key.
func Append(key, value string) Input { return Input{Op: OpAppend, Key: key, Value: value} }

// CAS returns the input of a compare-and-swap of key from expected to value.
func CAS(key, expected, value string) Input {
	return Input{Op: OpCAS, Key: key, Expected: expected, Value: value}
}

// Delete returns the input of a Delete of key.
func Delete(key string) Input { return Input{Op: OpDelete, Key: key} }

// UnknownOutput returns the output of an operation whose outcome the client
// does not know.
func UnknownOutput() Output { return Output{Unknown: true} }

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("invalid operation")

// Validate reports whether in is a well-formed input: a known operation, a
// client id in range, a read mode only on a Get, and no field the operation
// does not use.
func (in Input) Validate() error {
	if in.Op < OpGet || in.Op > OpDelete {
		return fmt.Errorf("%w: unknown op %d", ErrInvalid, in.Op)
	}
	if in.Client < 0 || in.Client > ClientMax {
		return fmt.Errorf("%w: client %d outside [0, %d]", ErrInvalid, in.Client, ClientMax)
	}
	if _, err := ParseReadMode(string(in.Mode)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if in.Mode != "" && in.Op != OpGet {
		return fmt.Errorf("%w: read mode %q on %s", ErrInvalid, in.Mode, in.Op)
	}
	if in.Value != "" && (in.Op == OpGet || in.Op == OpDelete) {
		return fmt.Errorf("%w: value on %s", ErrInvalid, in.Op)
	}
	if in.Expected != "" && in.Op != OpCAS {
		return fmt.Errorf("%w: expected value on %s", ErrInvalid, in.Op)
	}
	return nil
}

// ValidateOutput reports whether out is a response the operation in can give:
// only a Get reads a value, only a CAS reports OK, a missing key reads as "",
// and an unknown output carries nothing else.
func (in Input) ValidateOutput(out Output) error {
	switch {
	case out.Unknown && out != UnknownOutput():
		return fmt.Errorf("%w: unknown output of %s carries a result", ErrInvalid, in.Op)
	case in.Op != OpGet && (out.Found || out.Value != ""):
		return fmt.Errorf("%w: %s returned a read value", ErrInvalid, in.Op)
	case in.Op == OpGet && !out.Found && out.Value != "":
		return fmt.Errorf("%w: get of a missing key returned value %q", ErrInvalid, out.Value)
	case in.Op != OpCAS && out.OK:
		return fmt.Errorf("%w: %s returned ok", ErrInvalid, in.Op)
	}
	return nil
}
