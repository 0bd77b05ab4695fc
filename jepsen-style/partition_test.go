package jepsen

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cuts(links []Link) map[Link]bool {
	m := make(map[Link]bool)
	for _, l := range links {
		m[l] = true
	}
	return m
}

func TestPartitionPatternsCutTheLinksTheyName(t *testing.T) {
	ids := []uint64{3, 1, 5, 2, 4}
	reach := func(links []Link, a, b uint64) bool { return !cuts(links)[Link{a, b}] }

	halves, _, err := PartitionLinks(PatternHalves, ids)
	require.NoError(t, err)
	assert.Len(t, halves, 2*2*3, "{3,1} | {5,2,4}, both ways")
	assert.False(t, reach(halves, 3, 5))
	assert.False(t, reach(halves, 5, 3))
	assert.True(t, reach(halves, 3, 1))

	iso, desc, err := PartitionLinks(PatternIsolate, ids)
	require.NoError(t, err)
	assert.Len(t, iso, 2*4)
	assert.Contains(t, desc, "n3")

	bridge, _, err := PartitionLinks(PatternBridge, ids)
	require.NoError(t, err)
	assert.False(t, reach(bridge, 3, 2), "the halves cannot talk")
	assert.True(t, reach(bridge, 3, 5) && reach(bridge, 5, 2), "the bridge talks to both")

	ring, _, err := PartitionLinks(PatternRing, ids)
	require.NoError(t, err)
	for _, a := range ids {
		heard := 0
		for _, b := range ids {
			if a != b && reach(ring, b, a) {
				heard++
			}
		}
		assert.Equal(t, 2, heard, "n%d hears only its two neighbours, a majority of 3 with itself", a)
	}
	small, _, err := PartitionLinks(PatternRing, []uint64{1, 2, 3})
	require.NoError(t, err)
	assert.Empty(t, small, "below ringNodesMin every node is a neighbour")

	oneWay, _, err := PartitionLinks(PatternOneWay, ids)
	require.NoError(t, err)
	assert.Len(t, oneWay, 4)
	assert.False(t, reach(oneWay, 1, 3), "n3 hears nobody")
	assert.True(t, reach(oneWay, 3, 1), "but is heard")

	_, _, err = PartitionLinks("moat", ids)
	assert.ErrorContains(t, err, "moat")
}

func TestParseNemesesRefusesUnknownKinds(t *testing.T) {
	all, err := ParseNemeses("all")
	require.NoError(t, err)
	assert.ElementsMatch(t, Kinds, all)
	none, err := ParseNemeses("none")
	require.NoError(t, err)
	assert.Empty(t, none)
	two, err := ParseNemeses("pause, kill,pause")
	require.NoError(t, err)
	assert.Equal(t, []string{KindKill, KindPause}, two)

	m, err := ParseNemeses(KindMembership + ",kill")
	require.NoError(t, err)
	assert.Equal(t, []string{KindKill, KindMembership}, m)
	assert.True(t, slices.Contains(all, KindMembership), "all includes membership changes")
	_, err = ParseNemeses("earthquake")
	assert.ErrorContains(t, err, "earthquake")
}
