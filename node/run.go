package node

import (
	"context"
	"fmt"
	"time"
)

// ticksMax bounds the ticks taken at once after a stall: past an election
// timeout or two, more ticks change nothing but cost time.
const ticksMax = 1000

// ticksSince is how many ticks of interval passed from last to now: one
// for the first tick or a clock of unknown interval, and at least one.
func ticksSince(last, now time.Time, interval time.Duration) int {
	if last.IsZero() || interval <= 0 {
		return 1
	}
	n := int((now.Sub(last) + interval/2) / interval)
	return min(max(n, 1), ticksMax)
}

// Run drives the node from the calling goroutine until ctx ends or the
// node stops: it ticks on every tick of clock, runs every function handed
// to Submit, and calls Process after each. It returns why it ended; after
// it returns, the node is stopped.
func (n *Node) Run(ctx context.Context, clock Clock) error {
	if err := n.check(); err != nil {
		return err
	}
	ticks := clock.Ticks()
	var interval time.Duration
	if ic, ok := clock.(IntervalClock); ok {
		interval = ic.Interval()
	}
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return n.stop(ctx.Err())
		case now := <-ticks:
			for range ticksSince(last, now, interval) {
				n.raft.Tick()
			}
			last = now
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
