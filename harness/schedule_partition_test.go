package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// script is a chooser that answers from a list, in order.
type script []int

func (s *script) intn(_ string, n int) int {
	v := (*s)[0] % n
	*s = (*s)[1:]
	return v
}

// The links of a partition are the order in which a delay's end flushes
// them, so a recorded seed replays only while that order stays: these
// pin it.
func TestPartitionLinksKeepTheOrderSeedsWereRecordedWith(t *testing.T) {
	c := &script{2}
	assert.Equal(t, [][2]uint64{{3, 1}, {1, 3}, {3, 2}, {2, 3}, {3, 4}, {4, 3}}, partitionLinks(c, ShapeIsolate, 4))
	c = &script{0}
	assert.Equal(t, [][2]uint64{{2, 1}, {3, 1}}, partitionLinks(c, ShapeOneWay, 3))
	// Fisher-Yates over 1..4 drawing 0, 0, 0 gives 2,3,4,1; then a
	// minority of 1+1.
	c = &script{0, 0, 0, 1}
	assert.Equal(t, [][2]uint64{{2, 4}, {4, 2}, {2, 1}, {1, 2}, {3, 4}, {4, 3}, {3, 1}, {1, 3}}, partitionLinks(c, ShapeRandomHalves, 4))
	assert.Empty(t, *c, "every draw was taken")
}

func TestAPartitionAimedAtTheLeaderCutsItOff(t *testing.T) {
	alone := Event{Kind: FaultDelay, Shape: ShapeBridge, Target: TargetLeader}.aimAt(2, 3)
	assert.Equal(t, ShapeIsolate, alone.Shape)
	assert.Equal(t, [][2]uint64{{1, 2}, {2, 1}, {3, 2}, {2, 3}}, alone.Links, "in, then out, for each other node")
	deaf := Event{Kind: FaultPartition, Shape: ShapeOneWay, Target: TargetLeader}.aimAt(2, 3)
	assert.Equal(t, ShapeOneWay, deaf.Shape)
	assert.Equal(t, [][2]uint64{{1, 2}, {3, 2}}, deaf.Links, "deaf, but heard")
	assert.Empty(t, Event{Kind: FaultPartition, Shape: ShapeHalves}.aimAt(1, 1).Links, "a lone node has no links")
}
