// Package jepsen tests raftkv the way Jepsen does, with real processes,
// real disks and real sockets: what the simulator (package harness) does
// in virtual time.
//
// Run starts a Cluster of raftkv processes, node id on 127.0.0.(10+id),
// each with its own data directory and log file. Every Raft connection goes
// through a proxy of the runner (one per directed link, see Net), so a
// partition is a set of cut links. Concurrent clients (kv/client, with
// sessions) run a workload of gets in every read mode, puts, CAS, appends
// and deletes on a few keys, recorded with monotonic timestamps by a
// linearizability.Recorder. Meanwhile a nemesis injects one fault at a
// time, its kinds in shuffled rounds: kill (SIGKILL a minority of the
// voters, restart it from its disk), pause (SIGSTOP/SIGCONT a minority),
// partition (a shape of internal/partition: halves, isolate, bridge,
// majorities-ring, one-way), clock (raftkv's -fault-hooks skew a node's tick
// rate, within Skew), transfer (leadership transfer) and membership
// (raftkv's admin API: a fresh node with -join on a new address and its
// own proxies becomes a learner and is promoted once caught up; a voter,
// the leader half the time, is removed, replaced or demoted; see the
// Change constants). Each fault is recorded as a fault window
// of the history, and a monitor records the leaders it sees.
//
// After the workload, every fault is healed and every key is read through
// the log, by a client that goes to the current leader first.
// CheckHistory checks the workload with Porcupine, then the
// workload with the final reads: a final read that disagrees with a
// linearizable workload is a lost write. The history is saved as
// history.json (cmd/lincheck reads it) and drawn as history.html.
//
// A run stops by itself (Deadline), and every process it started is killed
// when it returns; on Linux the kernel also kills them if the runner dies.
// Real processes are not deterministic: a seed chooses the workload and
// the faults, but does not replay a run.
//
// The cluster changes under the nemesis: a joining node takes a new id and
// address (ids are never reused), every node is told its address, and the
// clients take new URLs between operations. Kill, pause and partition hit
// the members of the moment, and at least 3 voters always stay. A removed
// node is stopped, at once or after running on for a while with its
// proxies intact, so its stale messages reach the others.
package jepsen
