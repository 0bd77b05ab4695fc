package quorum

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

func TestMajorityCommittedIndexIsAckedByAMajority(t *testing.T) {
	tests := []struct {
		name   string
		voters []uint64
		acked  MapAckIndexer
		want   Index
	}{
		{"single voter", []uint64{1}, MapAckIndexer{1: 5}, 5},
		{"three voters, two ahead", []uint64{1, 2, 3}, MapAckIndexer{1: 5, 2: 5, 3: 1}, 5},
		{"three voters, one ahead", []uint64{1, 2, 3}, MapAckIndexer{1: 9, 2: 4, 3: 1}, 4},
		{"unknown voters count as zero", []uint64{1, 2, 3}, MapAckIndexer{1: 9}, 0},
		{"four voters need three", []uint64{1, 2, 3, 4}, MapAckIndexer{1: 9, 2: 8, 3: 2, 4: 1}, 2},
		{"five voters need three", []uint64{1, 2, 3, 4, 5}, MapAckIndexer{1: 9, 2: 8, 3: 7, 4: 1, 5: 1}, 7},
		{"large cluster", []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9}, MapAckIndexer{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NewMajority(tt.voters...).CommittedIndex(tt.acked))
		})
	}
}

func TestMajorityVoteResult(t *testing.T) {
	c := NewMajority(1, 2, 3)
	assert.Equal(t, VotePending, c.VoteResult(map[uint64]bool{1: true}))
	assert.Equal(t, VoteWon, c.VoteResult(map[uint64]bool{1: true, 3: true}))
	assert.Equal(t, VotePending, c.VoteResult(map[uint64]bool{1: true, 2: false}))
	assert.Equal(t, VoteLost, c.VoteResult(map[uint64]bool{1: true, 2: false, 3: false}))
	assert.Equal(t, VoteWon, c.VoteResult(map[uint64]bool{1: true, 2: true, 4: false}), "non-voters are ignored")
	assert.Equal(t, VoteLost, c.VoteResult(map[uint64]bool{2: false, 3: false, 4: true}), "a non-voter's grant does not count")
}

func TestJointNeedsAMajorityOfBothHalves(t *testing.T) {
	// Old voters (1 2 3), new voters (3 4 5): 1, 2 and 3 alone are a
	// majority of the old but only one vote of the new.
	c := Joint{NewMajority(3, 4, 5), NewMajority(1, 2, 3)}
	assert.True(t, c.IsJoint())
	assert.Equal(t, VotePending, c.VoteResult(map[uint64]bool{1: true, 2: true, 3: true}))
	assert.Equal(t, VoteWon, c.VoteResult(map[uint64]bool{1: true, 3: true, 4: true}))
	assert.Equal(t, VoteLost, c.VoteResult(map[uint64]bool{1: false, 2: false, 4: true, 5: true, 3: true}))
	assert.Equal(t, VoteLost, c.VoteResult(map[uint64]bool{4: false, 5: false, 1: true, 2: true, 3: true}))

	acked := MapAckIndexer{1: 10, 2: 10, 3: 10, 4: 2, 5: 1}
	assert.Equal(t, Index(2), c.CommittedIndex(acked), "the new half holds commit back")
	assert.Equal(t, []uint64{1, 2, 3, 4, 5}, c.IDs())
	assert.Equal(t, "(3 4 5)&&(1 2 3)", c.String())
}

func TestJointWithEmptyOutgoingHalfDecidesAsMajority(t *testing.T) {
	c := Joint{NewMajority(1, 2, 3)}
	assert.False(t, c.IsJoint())
	acked := MapAckIndexer{1: 7, 2: 3, 3: 1}
	assert.Equal(t, c[0].CommittedIndex(acked), c.CommittedIndex(acked))
	assert.Equal(t, VoteWon, c.VoteResult(map[uint64]bool{1: true, 2: true}))
	assert.Equal(t, "(1 2 3)", c.String())
}

// TestMajorityCommittedIndexMatchesDefinition checks the sorting shortcut
// against the definition: the largest index that at least a majority of
// voters have acknowledged.
func TestMajorityCommittedIndexMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 9).Draw(t, "voters")
		c := make(Majority)
		acked := make(MapAckIndexer)
		for id := uint64(1); id <= uint64(n); id++ {
			c[id] = struct{}{}
			if rapid.Bool().Draw(t, "known") {
				acked[id] = rapid.Uint64Range(0, 20).Draw(t, "idx")
			}
		}
		var want Index
		for cand := Index(0); cand <= 20; cand++ {
			count := 0
			for id := range c {
				if acked[id] >= cand {
					count++
				}
			}
			if count >= c.Size() {
				want = cand
			}
		}
		if got := c.CommittedIndex(acked); got != want {
			t.Fatalf("CommittedIndex = %d, want %d", got, want)
		}
	})
}
