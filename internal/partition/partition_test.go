package partition

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ids(n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i + 1)
	}
	return s
}

// TestShapesCutExactlyTheLinksTheyName lists every cut link, in order, so
// a change of order (which changes how the simulator replays a seed) fails
// here too.
func TestShapesCutExactlyTheLinksTheyName(t *testing.T) {
	tests := []struct {
		shape string
		ids   []uint64
		want  []Link
	}{
		{Halves, ids(1), nil},
		{Halves, ids(2), []Link{{1, 2}, {2, 1}}},
		{Halves, ids(3), []Link{{1, 2}, {2, 1}, {1, 3}, {3, 1}}},
		{Halves, []uint64{3, 1, 5, 2, 4}, []Link{{3, 5}, {5, 3}, {3, 2}, {2, 3}, {3, 4}, {4, 3}, {1, 5}, {5, 1}, {1, 2}, {2, 1}, {1, 4}, {4, 1}}},
		{Isolate, ids(1), nil},
		{Isolate, ids(2), []Link{{1, 2}, {2, 1}}},
		{Isolate, []uint64{3, 1, 2}, []Link{{3, 1}, {1, 3}, {3, 2}, {2, 3}}},
		{Bridge, ids(1), nil},
		{Bridge, ids(2), nil},
		{Bridge, ids(3), []Link{{1, 3}, {3, 1}}},
		{Bridge, ids(5), []Link{{1, 4}, {4, 1}, {1, 5}, {5, 1}, {2, 4}, {4, 2}, {2, 5}, {5, 2}}},
		{Ring, ids(1), nil},
		{Ring, ids(2), nil},
		{Ring, ids(3), nil},
		{Ring, ids(4), []Link{{1, 3}, {2, 4}, {3, 1}, {4, 2}}},
		{Ring, []uint64{5, 4, 3, 2, 1}, []Link{{5, 3}, {5, 2}, {4, 2}, {4, 1}, {3, 5}, {3, 1}, {2, 5}, {2, 4}, {1, 4}, {1, 3}}},
		{OneWay, ids(1), nil},
		{OneWay, ids(2), []Link{{2, 1}}},
		{OneWay, []uint64{2, 1, 3}, []Link{{1, 2}, {3, 2}}},
	}
	for _, tt := range tests {
		got, err := Links(tt.shape, tt.ids)
		require.NoError(t, err, "%s %v", tt.shape, tt.ids)
		assert.Equal(t, tt.want, got, "%s %v", tt.shape, tt.ids)
	}
}

func TestRingLeavesEveryNodeAMajorityButNoCommonOne(t *testing.T) {
	links, err := Links(Ring, []uint64{3, 1, 5, 2, 4})
	require.NoError(t, err)
	cut := make(map[Link]bool)
	for _, l := range links {
		cut[l] = true
	}
	for _, a := range ids(5) {
		heard := 0
		for _, b := range ids(5) {
			if a != b && !cut[Link{b, a}] {
				heard++
			}
		}
		assert.Equal(t, 2, heard, "n%d hears only its two neighbours, a majority of 3 with itself", a)
	}
	assert.True(t, cut[Link{3, 5}] && cut[Link{5, 3}], "3 and 5 are not neighbours on the ring 3-1-5-2-4")
}

func TestSplitCutsTheFirstKFromTheRest(t *testing.T) {
	got, err := Split([]uint64{4, 2, 1, 3}, 3)
	require.NoError(t, err)
	assert.Equal(t, []Link{{4, 3}, {3, 4}, {2, 3}, {3, 2}, {1, 3}, {3, 1}}, got)

	halves, err := Links(Halves, ids(5))
	require.NoError(t, err)
	split, err := Split(ids(5), 2)
	require.NoError(t, err)
	assert.Equal(t, halves, split, "Halves is Split(ids, n/2)")

	for _, k := range []int{0, 4} {
		none, err := Split(ids(4), k)
		require.NoError(t, err)
		assert.Empty(t, none, "k=%d leaves one side empty", k)
	}
}

func TestCuttingListsOnlyShapesThatCutALink(t *testing.T) {
	assert.Empty(t, Cutting(0))
	assert.Empty(t, Cutting(1), "one node has no links")
	assert.Equal(t, []string{Halves, Isolate, OneWay}, Cutting(2), "no middle to bridge, no ring")
	assert.Equal(t, []string{Halves, Isolate, Bridge, OneWay}, Cutting(3))
	assert.Equal(t, Shapes, Cutting(RingNodesMin))
	assert.Equal(t, Shapes, Cutting(9))
}

func TestBadInputIsRefusedWithItsReason(t *testing.T) {
	tests := []struct {
		name  string
		shape string
		ids   []uint64
		want  string
	}{
		{"unknown shape", "moat", ids(3), `unknown partition shape "moat"`},
		{"no nodes", Halves, nil, "no nodes"},
		{"node 0", Isolate, []uint64{1, 0, 2}, "node id 0"},
		{"a node twice", Ring, []uint64{1, 2, 3, 2}, "node 2 named twice"},
	}
	for _, tt := range tests {
		links, err := Links(tt.shape, tt.ids)
		assert.ErrorContains(t, err, tt.want, tt.name)
		assert.Nil(t, links, tt.name)
	}
	for _, k := range []int{-1, 4} {
		_, err := Split(ids(3), k)
		assert.ErrorContains(t, err, "outside 0..3", "k=%d", k)
	}
	_, err := Split([]uint64{1, 1}, 1)
	assert.ErrorContains(t, err, "node 1 named twice")
}
