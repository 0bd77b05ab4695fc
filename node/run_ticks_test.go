package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTickCounterCountsTimeMissedDuringAStall(t *testing.T) {
	t0 := time.Unix(100, 0)
	d := 100 * time.Millisecond
	c := &tickCounter{interval: d}
	assert.Equal(t, 0, c.due(t0), "the start")
	assert.Equal(t, 0, c.due(t0.Add(d/2)))
	assert.Equal(t, 1, c.due(t0.Add(d)))
	assert.Equal(t, 0, c.due(t0.Add(d+d/3)), "the rest of a tick is kept")
	assert.Equal(t, 1, c.due(t0.Add(2*d)))
	assert.Equal(t, 30, c.due(t0.Add(2*d+3*time.Second)), "a 3 s stall is 30 ticks")
	assert.Equal(t, ticksMax, c.due(t0.Add(time.Hour)))
}

// rateClock is an IntervalClock whose interval a test changes.
type rateClock struct{ d time.Duration }

func (c *rateClock) Ticks() <-chan time.Time { return nil }
func (c *rateClock) Interval() time.Duration { return c.d }

func TestTickCounterFollowsAClockWhoseIntervalChanges(t *testing.T) {
	t0 := time.Unix(100, 0)
	clock := &rateClock{d: 100 * time.Millisecond}
	c := &tickCounter{interval: clock.d, clock: clock}
	assert.Equal(t, 0, c.due(t0))
	assert.Equal(t, 1, c.due(t0.Add(100*time.Millisecond)))
	// Twice as fast: a skewed clock believes twice the time passed.
	clock.d = 50 * time.Millisecond
	assert.Equal(t, 2, c.due(t0.Add(200*time.Millisecond)), "the new interval counts from the last tick taken")
	clock.d = 0
	assert.Equal(t, 2, c.due(t0.Add(300*time.Millisecond)), "a non-positive interval keeps the last one")
}

func TestTickCapCoversTwoElectionTimeouts(t *testing.T) {
	assert.Equal(t, ticksMax, tickCap(0), "the default election timeout is well under the cap")
	assert.Equal(t, ticksMax, tickCap(ticksMax/2), "at the edge: two timeouts are ticksMax")
	assert.Equal(t, ticksMax+2, tickCap(ticksMax/2+1), "just past the edge the cap grows")
	assert.Equal(t, 6000, tickCap(3000))
}

func TestTickCounterCountsAStallLongerThanALongElectionTimeout(t *testing.T) {
	t0 := time.Unix(100, 0)
	d := time.Millisecond
	const election = 3000 // a lease of up to 3000 ticks
	c := &tickCounter{interval: d, max: tickCap(election)}
	assert.Equal(t, 0, c.due(t0))
	assert.Equal(t, election+1, c.due(t0.Add((election+1)*d)),
		"a stall past the lease is counted as past it, not cut to ticksMax")
	assert.Equal(t, 2*election, c.due(t0.Add(time.Hour)))
}
