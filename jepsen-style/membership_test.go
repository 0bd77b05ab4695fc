package jepsen

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMembershipNemesisKeepsThreeVotersAndBoundsTheMembers(t *testing.T) {
	tests := []struct {
		name        string
		startVoters int
		v           view
		nodes       int
		want, never []string
	}{
		{name: "three voters: only grow or replace", startVoters: 3, v: view{leader: 1, voters: []uint64{1, 2, 3}}, nodes: 3,
			want: []string{ChangeAddLearner, ChangeReplace}, never: []string{ChangeRemove, ChangeDemote, ChangePromote}},
		{name: "five voters: anything but promote", startVoters: 5, v: view{leader: 1, voters: []uint64{1, 2, 3, 4, 5}}, nodes: 5,
			want: []string{ChangeAddLearner, ChangeReplace, ChangeRemove, ChangeDemote}, never: []string{ChangePromote}},
		{name: "a learner at three voters: promote or remove it", startVoters: 3,
			v: view{leader: 1, voters: []uint64{1, 2, 3}, learners: []uint64{4}}, nodes: 4,
			want: []string{ChangePromote, ChangeRemove, ChangeAddLearner}, never: []string{ChangeDemote}},
		{name: "members at the bound: no joining", startVoters: 3,
			v: view{leader: 1, voters: []uint64{1, 2, 3, 4}, learners: []uint64{5}}, nodes: 5,
			want: []string{ChangePromote, ChangeRemove, ChangeDemote}, never: []string{ChangeAddLearner, ChangeReplace}},
		{name: "a node about to join counts", startVoters: 3, v: view{leader: 1, voters: []uint64{1, 2, 3}}, nodes: 5,
			never: []string{ChangeAddLearner, ChangeReplace, ChangeRemove, ChangeDemote, ChangePromote}},
		{name: "two voters: only grow", startVoters: 2, v: view{leader: 1, voters: []uint64{1, 2}}, nodes: 2,
			want: []string{ChangeAddLearner}, never: []string{ChangeReplace, ChangeRemove, ChangeDemote}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &nemesis{rng: rand.New(rand.NewPCG(1, 2)), startVoters: tt.startVoters}
			seen := map[string]bool{}
			for range 500 {
				seen[n.pickChange(tt.v, tt.nodes)] = true
			}
			for _, c := range tt.want {
				assert.True(t, seen[c], "%s never drawn", c)
			}
			for _, c := range tt.never {
				assert.False(t, seen[c], "%s drawn", c)
			}
			if len(tt.want) == 0 {
				assert.Equal(t, map[string]bool{"": true}, seen, "no change possible")
			}
		})
	}
}

func TestMembershipNemesisHitsTheLeaderHalfTheTime(t *testing.T) {
	n := &nemesis{rng: rand.New(rand.NewPCG(3, 4))}
	v := view{leader: 2, voters: []uint64{1, 2, 3, 4, 5}}
	leader := 0
	for range 1000 {
		id := n.target(v)
		assert.True(t, slices.Contains(v.voters, id))
		if id == v.leader {
			leader++
		}
	}
	assert.InDelta(t, 600, leader, 80, "half the time the leader, and a fifth of the rest")
}
