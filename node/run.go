package node

import (
	"context"
	"fmt"
)

// Run drives the node from the calling goroutine until ctx ends or the
// node stops: it ticks on every tick of clock, runs every function handed
// to Submit, and calls Process after each. It returns why it ended; after
// it returns, the node is stopped.
func (n *Node) Run(ctx context.Context, clock Clock) error {
	if err := n.check(); err != nil {
		return err
	}
	ticks := clock.Ticks()
	for {
		select {
		case <-ctx.Done():
			return n.stop(ctx.Err())
		case <-ticks:
			n.raft.Tick()
		case fn := <-n.inbox:
			fn(n)
		}
		if err := n.Process(); err != nil {
			return err
		}
	}
}

// Submit hands fn to Run, to be called on its goroutine with the node,
// followed by Process. It is safe for concurrent use, and how other
// goroutines (a transport's receive loop, a client handler) reach a
// running node. It waits until fn is queued, ctx ends, or the node stops.
func (n *Node) Submit(ctx context.Context, fn func(*Node)) error {
	select {
	case <-n.done:
		// Checked first: a select picks at random among ready cases, and
		// the inbox may still have room.
		return fmt.Errorf("submit to node: %w", ErrStopped)
	default:
	}
	select {
	case n.inbox <- fn:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("submit to node: %w", ctx.Err())
	case <-n.done:
		return fmt.Errorf("submit to node: %w", ErrStopped)
	}
}
