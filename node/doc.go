// Package node is the one driver of the protocol core in raft/. It takes a
// Ready from the core and, in this order, persists it, sends its messages,
// applies its committed entries, and advances the core:
//
//	persist → send → apply → advance
//
// The order is the persistence contract of raft.Ready: a message may depend
// on a vote or on entries, so they must be durable before it leaves, or a
// crash could let a node vote twice in one term or forget an entry a leader
// counted towards a commit.
//
// All I/O goes through interfaces: [Storage] (durable log, hard state and
// snapshots), [Transport] (messages to other nodes), [Clock] (when to tick)
// and [StateMachine] (the application). The simulator and a real server
// drive the same Node; the simulator swaps in its disks, network and clock.
//
// # Two ways to drive a Node
//
// Event-driven, from one goroutine: call [Node.Tick], [Node.Step],
// [Node.Propose] and then [Node.Process] whenever the caller decides. This is
// how the deterministic simulator steps a cluster in virtual time.
//
// Running, for a real server: [Node.Run] owns the Node in its own goroutine,
// ticks on a [Clock], and runs functions handed to [Node.Submit] by other
// goroutines (a transport's receive loop, a client handler), calling
// Process after each event.
//
// A Node is not safe for concurrent use: everything but Submit and Done
// must be called from the goroutine that drives it.
package node
