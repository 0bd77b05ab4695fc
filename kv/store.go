package kv

import (
	"fmt"
)

// Store is the replicated state: the key-value data and the session
// table. It is deterministic: stores that apply the same commands in the
// same order hold the same state and encode to the same snapshot. It is
// not safe for concurrent use.
type Store struct {
	data     map[string]string
	sessions sessions
}

// NewStore returns an empty Store whose session table holds at most
// sessionsMax sessions (DefaultSessionsMax if zero). Every replica must use
// the same bound, or they would evict different sessions.
func NewStore(sessionsMax int) *Store {
	if sessionsMax <= 0 {
		sessionsMax = DefaultSessionsMax
	}
	return &Store{data: map[string]string{}, sessions: newSessions(sessionsMax)}
}

// Apply applies cmd, which must be valid, exactly once per (client, seq):
// a retry is answered with the recorded result, a stale command and a
// command of an expired session are refused. It panics on an invalid
// command: the log only holds commands that decoded.
func (s *Store) Apply(cmd Command) Result {
	if err := cmd.Validate(); err != nil {
		panic("kv: apply: " + err.Error())
	}
	sess := s.sessions.get(cmd.Client)
	switch {
	case sess != nil && cmd.Seq == sess.seq:
		s.sessions.touch(cmd.Client)
		return sess.result
	case sess != nil && cmd.Seq < sess.seq:
		return Result{Code: CodeStaleSequence}
	case sess == nil && cmd.Seq != 1:
		return Result{Code: CodeSessionExpired}
	}
	res := s.execute(cmd)
	s.sessions.record(cmd.Client, cmd.Seq, res)
	return res
}

// ApplyEncoded decodes data and applies the command. Data that does not
// decode changes nothing and yields an error wrapping ErrInvalidCommand.
func (s *Store) ApplyEncoded(data []byte) (Command, Result, error) {
	cmd, err := DecodeCommand(data)
	if err != nil {
		return Command{}, Result{}, fmt.Errorf("apply: %w", err)
	}
	return cmd, s.Apply(cmd), nil
}

// execute runs cmd on the data, with the model's semantics.
func (s *Store) execute(cmd Command) Result {
	v, found := s.data[cmd.Key]
	switch cmd.Op {
	case OpGet:
		return Result{Value: v, Found: found}
	case OpPut:
		s.data[cmd.Key] = cmd.Value
	case OpAppend:
		if len(v)+len(cmd.Value) > ValueBytesMax {
			return Result{Code: CodeValueTooLarge}
		}
		s.data[cmd.Key] = v + cmd.Value
	case OpCAS:
		if !found || v != cmd.Expected {
			return Result{}
		}
		s.data[cmd.Key] = cmd.Value
		return Result{OK: true}
	case OpDelete:
		delete(s.data, cmd.Key)
	default:
		panic(fmt.Sprintf("kv: execute: op %d passed validation", cmd.Op))
	}
	return Result{}
}

// Lookup returns key's value on this replica, without going through the
// log: it may be stale. Tests and the read paths use it.
func (s *Store) Lookup(key string) (value string, found bool) {
	value, found = s.data[key]
	return value, found
}

// Len returns the number of keys.
func (s *Store) Len() int { return len(s.data) }

// Sessions returns the number of sessions held.
func (s *Store) Sessions() int { return s.sessions.len() }

// LastSeq returns the last sequence number applied for client, and whether
// it has a session.
func (s *Store) LastSeq(client uint64) (uint64, bool) {
	if sess := s.sessions.get(client); sess != nil {
		return sess.seq, true
	}
	return 0, false
}
