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
