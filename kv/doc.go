// Package kv is the replicated key-value state machine: Get, Put, Append,
// CAS and Delete on string keys and values, applied from the Raft log.
//
// # Commands and results
//
// A [Command] is encoded into an entry's data with a compact, versioned
// binary encoding ([Command.Encode], [DecodeCommand]). A [Result] is what
// the command returned. Their fields map one to one onto the Porcupine
// model in model/: Op has the same values and names as model.Op, and
// model.Output{Value, Found, OK} is Result's Value, Found and OK. The
// semantics are the model's: a missing key reads as "" with Found false,
// Append to a missing key appends to "", and CAS succeeds only on a
// present key whose value equals Expected.
//
// # Sessions: exactly once
//
// Every command carries a client id and a sequence number. The [Store]
// keeps, per client, the last sequence number it applied and its result.
// A retried command (same client, same sequence number) is answered with
// the recorded result and does not take effect again; a command older
// than the last is refused with [ErrStaleSequence]. A client numbers its
// commands from 1 and retries a command with the same number until it has
// an answer ([Session] does this for it).
//
// The session table is bounded ([DefaultSessionsMax]): when a new client
// would pass the bound, the least recently used session is evicted, where
// "used" means a command of that client was applied, in log order, so
// every replica evicts the same session. A command with a sequence
// number above 1 from a client without a session is refused with
// [ErrSessionExpired], because its session may have been evicted and
// applying it could apply a retried command twice. Such a client starts
// a new session under a new id. The one case the bound cannot catch is a
// retry of a client's first command after its session was evicted; with
// a bound far above the number of live clients it does not happen.
//
// # Snapshots
//
// [Store.Snapshot] encodes the data, sorted by key, and the session
// table, in least-recently-used order, so equal stores encode to equal
// bytes; a checksum covers the whole. [Store.Restore] rejects a corrupt
// snapshot with an error and changes nothing.
//
// # Service
//
// [Service] runs a Store on a node.Node and lets clients call it: [Service.Start]
// proposes a command and calls back when it was applied, for a
// single-threaded simulator; [Service.Do] blocks until then, for a real
// server whose node runs under node.Node.Run.
package kv
