package kv

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits on the sizes of commands. They are part of the replicated
// semantics, so every replica must use the same ones; hence constants.
const (
	// KeyBytesMax bounds the length of a key.
	KeyBytesMax = 256
	// ValueBytesMax bounds the length of a value, both in a command and
	// stored: an Append whose result would be longer is refused with
	// ErrValueTooLarge.
	ValueBytesMax = 64 << 10
)

// commandVersion is the first byte of every encoded command. Decoding
// refuses other versions rather than guessing at them.
const commandVersion = 1

// ErrInvalidCommand is wrapped by every error about a malformed command,
// encoded or not.
var ErrInvalidCommand = errors.New("kv: invalid command")

// Op is the kind of a command. Its values and names are those of model.Op.
type Op uint8

const (
	// OpGet reads a key.
	OpGet Op = iota + 1
	// OpPut sets a key to a value.
	OpPut
	// OpAppend appends a value to a key's value.
	OpAppend
	// OpCAS sets a key to Value if it is present and its value is Expected.
	OpCAS
	// OpDelete removes a key.
	OpDelete
)

var opNames = [...]string{OpGet: "get", OpPut: "put", OpAppend: "append", OpCAS: "cas", OpDelete: "delete"}

// String returns the lower-case name of the operation, as model.Op does.
func (o Op) String() string {
	if o >= OpGet && o <= OpDelete {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one operation of one client.
type Command struct {
	Op Op
	// Key is the key operated on; it must not be empty.
	Key string
	// Value is the value of Put and Append, and the new value of CAS.
	Value string
	// Expected is the value CAS compares against.
	Expected string
	// Client and Seq identify the command for exactly-once retries: a
	// client's session and its command's number in it, both from 1.
	Client uint64
	Seq    uint64
}

// Get returns a command that reads key, without a session yet.
func Get(key string) Command { return Command{Op: OpGet, Key: key} }

// Put returns a command that sets key to value, without a session yet.
func Put(key, value string) Command { return Command{Op: OpPut, Key: key, Value: value} }

// Append returns a command that appends value to key, without a session yet.
func Append(key, value string) Command { return Command{Op: OpAppend, Key: key, Value: value} }

// CAS returns a command that sets key from expected to value, without a
// session yet.
func CAS(key, expected, value string) Command {
	return Command{Op: OpCAS, Key: key, Expected: expected, Value: value}
}

// Delete returns a command that removes key, without a session yet.
func Delete(key string) Command { return Command{Op: OpDelete, Key: key} }

// String describes the command, for logs and failure messages.
func (c Command) String() string {
	s := fmt.Sprintf("%d#%d %s(%q", c.Client, c.Seq, c.Op, c.Key)
	switch c.Op {
	case OpPut, OpAppend:
		s += fmt.Sprintf(", %q", c.Value)
	case OpCAS:
		s += fmt.Sprintf(", %q, %q", c.Expected, c.Value)
	}
	return s + ")"
}

// Validate reports whether c is a well-formed command: a known operation,
// a session, a key, sizes within the limits, and no field the operation
// does not use.
func (c Command) Validate() error {
	switch {
	case c.Op < OpGet || c.Op > OpDelete:
		return fmt.Errorf("%w: unknown op %d", ErrInvalidCommand, c.Op)
	case c.Client == 0 || c.Seq == 0:
		return fmt.Errorf("%w: %s: client and seq must be set (from 1)", ErrInvalidCommand, c.Op)
	case c.Key == "":
		return fmt.Errorf("%w: %s: empty key", ErrInvalidCommand, c.Op)
	case len(c.Key) > KeyBytesMax:
		return fmt.Errorf("%w: %s: key of %d bytes, limit %d", ErrInvalidCommand, c.Op, len(c.Key), KeyBytesMax)
	case len(c.Value) > ValueBytesMax || len(c.Expected) > ValueBytesMax:
		return fmt.Errorf("%w: %s: value of %d bytes, limit %d", ErrInvalidCommand, c.Op,
			max(len(c.Value), len(c.Expected)), ValueBytesMax)
	case c.Value != "" && (c.Op == OpGet || c.Op == OpDelete):
		return fmt.Errorf("%w: %s carries a value", ErrInvalidCommand, c.Op)
	case c.Expected != "" && c.Op != OpCAS:
		return fmt.Errorf("%w: %s carries an expected value", ErrInvalidCommand, c.Op)
	}
	return nil
}

// Encode returns c's encoding for an entry's data: a version byte, the
// op, client and seq as uvarints, then key, value and expected, each as a
// uvarint length and its bytes. It panics if c is not valid: encoding a
// command nobody validated is a bug of the caller.
func (c Command) Encode() []byte {
	if err := c.Validate(); err != nil {
		panic("kv: encode: " + err.Error())
	}
	var w writer
	w.byte(commandVersion)
	w.byte(byte(c.Op))
	w.uvarint(c.Client)
	w.uvarint(c.Seq)
	w.string(c.Key)
	w.string(c.Value)
	w.string(c.Expected)
	return w.buf
}

// DecodeCommand decodes what Encode encoded. Malformed data (a wrong
// version, a truncated or oversized field, trailing bytes, or a command
// that does not validate) yields an error wrapping ErrInvalidCommand.
func DecodeCommand(data []byte) (Command, error) {
	r := reader{buf: data}
	if v := r.byte(); r.err == nil && v != commandVersion {
		return Command{}, fmt.Errorf("%w: version %d, want %d", ErrInvalidCommand, v, commandVersion)
	}
	c := Command{Op: Op(r.byte()), Client: r.uvarint(), Seq: r.uvarint()}
	c.Key = r.string(KeyBytesMax)
	c.Value = r.string(ValueBytesMax)
	c.Expected = r.string(ValueBytesMax)
	if err := r.end(); err != nil {
		return Command{}, fmt.Errorf("%w: %w", ErrInvalidCommand, err)
	}
	if err := c.Validate(); err != nil {
		return Command{}, err
	}
	return c, nil
}
