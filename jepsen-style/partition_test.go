package jepsen

import (
	"slices"
	"testing"

	"github.com/raftcheck/raftcheck/internal/partition"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPartitionDescriptionsNameWhoEndsUpWhere(t *testing.T) {
	ids := []uint64{3, 1, 5, 2, 4}
	tests := map[string]string{
		partition.Halves:  "halves {1,3} | {2,4,5}",
		partition.Isolate: "isolate n3 | {1,2,4,5}",
		partition.Bridge:  "bridge {1,3} | {5} | {2,4}",
		partition.Ring:    "majorities-ring n3-n1-n5-n2-n4-n3",
		partition.OneWay:  "one-way: n3 hears nobody, is heard by all",
	}
	for shape, want := range tests {
		assert.Equal(t, want, describePartition(shape, ids))
	}
	assert.Len(t, tests, len(partition.Shapes), "every shape is described")
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
