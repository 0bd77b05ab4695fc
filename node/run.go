package node

import (
	"context"
	"fmt"
	"time"

	"github.com/raftcheck/raftcheck/raft"
)

// ticksMax bounds the ticks taken at once after a stall: past an election
// timeout or two, more ticks change nothing but cost time. The cap Run
// uses is tickCap, never below two election timeouts.
const ticksMax = 1000

// tickCap is the most ticks taken at once after a stall for a node whose
// election timeout is electionTicks (raft.DefaultElectionTicks if zero):
// at least two election timeouts, because a leader counts its lease in
// its own ticks (up to an election timeout): with a cap below that, a
// stall longer than the lease would be counted as shorter, and the leader
// would keep serving lease reads with a lease it lost.
func tickCap(electionTicks int) int {
	if electionTicks <= 0 {
		electionTicks = raft.DefaultElectionTicks
	}
	return max(ticksMax, 2*electionTicks)
}

// tickCounter turns a monotonic clock into whole ticks of interval. It is
// how Run counts time that a time.Ticker would drop during a stall (a
// pause, a long GC): the ticker's channel then holds one stale tick, so
// counting ticks received would undercount, and a leader would hold its
// lease too long.
type tickCounter struct {
	interval time.Duration
	last     time.Time
	// max is the most ticks one call returns (ticksMax if zero).
	max int
	// clock, if set, is asked for the interval at every count, so that a
	// clock whose rate changes while Run runs (a fault hook skewing a
	// node's clock) is followed; a non-positive answer keeps the last one.
	clock IntervalClock
}

// due returns how many ticks passed since the last call that took some,
// at most c.max, and moves last forward by that many intervals. A new
// interval counts from the last tick taken.
func (c *tickCounter) due(now time.Time) int {
	if c.clock != nil {
		if d := c.clock.Interval(); d > 0 {
			c.interval = d
		}
	}
	if c.last.IsZero() {
		c.last = now
		return 0
	}
	n := int(now.Sub(c.last) / c.interval)
	if n <= 0 {
		return 0
	}
	c.last = c.last.Add(time.Duration(n) * c.interval)
	if c.max > 0 {
		return min(n, c.max)
	}
	return min(n, ticksMax)
}

// Run drives the node from the calling goroutine until ctx ends or the
// node stops: it ticks as the clock says, runs every function handed to
// Submit, and calls Process after each. With an IntervalClock the ticks
// are counted from the monotonic clock before anything else is handled,
// so no request is served with a count of time from before a stall;
// with another Clock, each tick received is one tick. It returns why it
// ended; after it returns, the node is stopped.
func (n *Node) Run(ctx context.Context, clock Clock) error {
	if err := n.check(); err != nil {
		return err
	}
	ticks := clock.Ticks()
	var counter *tickCounter
	if ic, ok := clock.(IntervalClock); ok && ic.Interval() > 0 {
		counter = &tickCounter{interval: ic.Interval(), clock: ic, max: tickCap(n.cfg.Raft.ElectionTicks)}
		counter.due(time.Now())
	}
	for {
		select {
		case <-ctx.Done():
			return n.stop(ctx.Err())
		case <-ticks:
			if counter == nil {
				n.tick()
			}
		case fn := <-n.inbox:
			if counter != nil {
				n.catchUp(counter)
			}
			fn(n)
			n.drainInbox(counter)
		}
		if counter != nil {
			n.catchUp(counter)
		}
		if err := n.Process(); err != nil {
			return err
		}
	}
}

// drainInbox calls the functions already queued, up to SubmitBatchMax in
// all with the one Run took, so that their Ready is processed once.
// Without it every proposal would get a Ready, and an fsync, of its own.
// The ticks due are taken before each, as before the first: a function
// that stalled must not leave the next one a lease that has run out.
func (n *Node) drainInbox(counter *tickCounter) {
	for range n.cfg.SubmitBatchMax - 1 {
		select {
		case fn := <-n.inbox:
			if counter != nil {
				n.catchUp(counter)
			}
			fn(n)
		default:
			return
		}
	}
}

// catchUp takes the ticks the monotonic clock says are due.
func (n *Node) catchUp(c *tickCounter) {
	for range c.due(time.Now()) {
		n.tick()
	}
}

// Submit hands fn to Run, to be called on its goroutine with the node,
// followed by Process (shared by up to SubmitBatchMax functions queued
// together). It is safe for concurrent use, and how other
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
