package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOverlappingDriftsDoNotEndEachOther: when the first of two drifts on
// a node ends, the second still sets the node's rate.
func TestOverlappingDriftsDoNotEndEachOther(t *testing.T) {
	s := &sim{nodes: []*simNode{{id: 1, rate: 1}}}
	n := s.nodes[0]
	endSlow := s.startNodeFault(Event{Kind: FaultDrift, Nodes: []uint64{1}, Rates: []float64{0.5}})
	endFast := s.startNodeFault(Event{Kind: FaultDrift, Nodes: []uint64{1}, Rates: []float64{1.5}})
	assert.Equal(t, 1.5, n.rate, "the latest drift sets the rate")
	endSlow()
	assert.Equal(t, 1.5, n.rate, "the earlier drift's end leaves the later in force")
	endFast()
	assert.Equal(t, 1.0, n.rate, "no drift: the clock runs true")

	endSlow = s.startNodeFault(Event{Kind: FaultDrift, Nodes: []uint64{1}, Rates: []float64{0.5}})
	endFast = s.startNodeFault(Event{Kind: FaultDrift, Nodes: []uint64{1}, Rates: []float64{1.5}})
	endFast()
	assert.Equal(t, 0.5, n.rate, "the later drift's end gives the rate back to the earlier")
	endSlow()
	assert.Equal(t, 1.0, n.rate)
}
