package node

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// TickerClock is an IntervalClock that ticks at a wall-clock interval: the
// base interval it was made with, divided by its rate. The rate is 1 until
// SetRate changes it, which a test or a fault hook may do while Run runs:
// at rate 2 the ticks come twice as often, so the node believes twice the
// time passed (its election timeouts and lease run out early); at 0.5 a
// leader holds its lease twice as long in real time, which is unsafe for
// lease reads once the skew exceeds raft.Config.LeaseDriftBound. Its
// methods are safe for concurrent use.
type TickerClock struct {
	t    *time.Ticker
	base time.Duration

	mu   sync.Mutex
	rate float64
}

// NewTickerClock returns a Clock that ticks every d (which must be
// positive). Stop it when done.
func NewTickerClock(d time.Duration) *TickerClock {
	return &TickerClock{t: time.NewTicker(d), base: d, rate: 1}
}

// Ticks implements Clock.
func (c *TickerClock) Ticks() <-chan time.Time { return c.t.C }

// Interval implements IntervalClock: the base interval shortened or
// stretched by the rate.
func (c *TickerClock) Interval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(float64(c.base) / c.rate)
}

// SetRate makes the clock run rate times as fast as real time. A rate that
// is not a positive number, or that would make the interval shorter than
// a nanosecond or longer than a time.Duration holds, is refused and
// changes nothing.
func (c *TickerClock) SetRate(rate float64) error {
	d := float64(c.base) / rate
	if math.IsNaN(rate) || rate <= 0 || d < 1 || d >= math.MaxInt64 {
		return fmt.Errorf("clock rate %v: want a positive rate that keeps the %v tick within 1ns..%v", rate, c.base, time.Duration(math.MaxInt64))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rate = rate
	c.t.Reset(time.Duration(d))
	return nil
}

// Rate returns the clock's rate.
func (c *TickerClock) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// Stop stops the ticker.
func (c *TickerClock) Stop() { c.t.Stop() }
