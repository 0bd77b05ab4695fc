package kv

import (
	"errors"
	"strconv"
)

// Errors a command can be refused with. They are results of the
// replicated state machine, the same on every replica, and a refused
// command changes nothing.
var (
	// ErrStaleSequence refuses a command older than the last one its
	// client had applied: the client has moved on, so nobody waits for it.
	ErrStaleSequence = errors.New("kv: command older than its session's last")
	// ErrSessionExpired refuses a command from a client without a session
	// whose sequence number is not 1: its session was evicted (or never
	// existed), and applying it could apply a retry twice.
	ErrSessionExpired = errors.New("kv: session expired")
	// ErrValueTooLarge refuses an Append whose result would pass
	// ValueBytesMax.
	ErrValueTooLarge = errors.New("kv: value too large")
)

// Code says whether a command took effect, and if not, why.
type Code uint8

const (
	// CodeOK means the command was applied (a failed CAS is applied too:
	// it is a successful read that found another value).
	CodeOK Code = iota
	// CodeStaleSequence is ErrStaleSequence.
	CodeStaleSequence
	// CodeSessionExpired is ErrSessionExpired.
	CodeSessionExpired
	// CodeValueTooLarge is ErrValueTooLarge.
	CodeValueTooLarge
	codeEnd
)

var codeErrs = [...]error{
	CodeStaleSequence:  ErrStaleSequence,
	CodeSessionExpired: ErrSessionExpired,
	CodeValueTooLarge:  ErrValueTooLarge,
}

// Err returns the error c stands for, or nil for CodeOK.
func (c Code) Err() error {
	if c > CodeOK && c < codeEnd {
		return codeErrs[c]
	}
	return nil
}

// String names the code.
func (c Code) String() string {
	if c == CodeOK {
		return "ok"
	}
	if err := c.Err(); err != nil {
		return err.Error()
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Result is what a command returned. Value, Found and OK are the fields
// of model.Output.
type Result struct {
	// Value is the value a Get read; "" when the key is missing.
	Value string
	// Found reports whether the key a Get read was present.
	Found bool
	// OK reports whether a CAS succeeded.
	OK bool
	// Code is CodeOK unless the command was refused.
	Code Code
}

// Err returns the error of a refused command, or nil.
func (r Result) Err() error { return r.Code.Err() }
