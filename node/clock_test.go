package node

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTickerClockRateScalesTheIntervalRunCounts(t *testing.T) {
	clock := NewTickerClock(100 * time.Millisecond)
	defer clock.Stop()
	assert.Equal(t, 1.0, clock.Rate())
	assert.Equal(t, 100*time.Millisecond, clock.Interval())

	t0 := time.Unix(100, 0)
	c := &tickCounter{interval: clock.Interval(), clock: clock}
	assert.Equal(t, 0, c.due(t0))
	assert.Equal(t, 1, c.due(t0.Add(100*time.Millisecond)))
	// Twice as fast: the node believes twice the time passed.
	require.NoError(t, clock.SetRate(2))
	assert.Equal(t, 50*time.Millisecond, clock.Interval())
	assert.Equal(t, 2, c.due(t0.Add(200*time.Millisecond)))
	require.NoError(t, clock.SetRate(0.5))
	assert.Equal(t, 200*time.Millisecond, clock.Interval())
	assert.Equal(t, 1, c.due(t0.Add(400*time.Millisecond)), "half as fast: one tick in 200ms")
}

func TestTickerClockRefusesARateItCannotRun(t *testing.T) {
	clock := NewTickerClock(time.Millisecond)
	defer clock.Stop()
	require.NoError(t, clock.SetRate(3))
	for _, rate := range []float64{0, -1, math.NaN(), math.Inf(1), 1e6 + 1, 1e-17} {
		assert.ErrorContains(t, clock.SetRate(rate), "want a positive rate", "rate %v", rate)
	}
	assert.Equal(t, 3.0, clock.Rate(), "a refused rate changes nothing")
	assert.Equal(t, time.Millisecond/3, clock.Interval())

	require.NoError(t, clock.SetRate(1e6), "at the edge: a 1ns tick")
	assert.Equal(t, time.Nanosecond, clock.Interval())
}
