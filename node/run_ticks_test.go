package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRunCountsTicksMissedDuringAStall(t *testing.T) {
	t0 := time.Unix(100, 0)
	d := 100 * time.Millisecond
	assert.Equal(t, 1, ticksSince(time.Time{}, t0, d), "the first tick")
	assert.Equal(t, 1, ticksSince(t0, t0.Add(d), d))
	assert.Equal(t, 1, ticksSince(t0, t0.Add(d+d/3), d), "jitter rounds to one")
	assert.Equal(t, 30, ticksSince(t0, t0.Add(3*time.Second), d), "a 3 s pause is 30 ticks")
	assert.Equal(t, 1, ticksSince(t0, t0.Add(3*time.Second), 0), "unknown interval")
	assert.Equal(t, ticksMax, ticksSince(t0, t0.Add(time.Hour), d))
}
