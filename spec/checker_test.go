package spec

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The state counts below are golden: a change in the spec that changes
// them must be deliberate (and mirrored in tla/Raft.tla).
// model is a model to check with its expected count of distinct states.
type model struct {
	name     string
	cfg      Config
	distinct int
}

func TestSmallModelsSatisfyEveryInvariant(t *testing.T) {
	tests := []model{
		{"two terms, logs of one", Config{Servers: 3, Values: 1, MaxTerm: 2, MaxLogLen: 1, MaxMessages: 2}, 516685},
		{"prevote", Config{Servers: 3, Values: 1, MaxTerm: 1, MaxLogLen: 1, MaxMessages: 2, PreVote: true}, 1225617},
		{"checkquorum", Config{Servers: 3, Values: 1, MaxTerm: 1, MaxLogLen: 1, MaxMessages: 2, CheckQuorum: true}, 864522},
		{"snapshots in one term", Config{Servers: 3, Values: 1, MaxTerm: 1, MaxLogLen: 1, MaxMessages: 2, Snapshot: true}, 300905},
	}
	if *long {
		tests = append(tests,
			model{"snapshots", Config{Servers: 3, Values: 1, MaxTerm: 2, MaxLogLen: 1, MaxMessages: 2, Snapshot: true}, 1435494},
			model{"leadership transfer", Config{Servers: 3, Values: 1, MaxTerm: 2, MaxLogLen: 1, MaxMessages: 2, Transfer: true}, 1463408})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := New(tt.cfg).Check(Options{})
			if res.Violation != nil {
				t.Fatalf("unexpected violation:\n%s", res.Violation.Format(tt.cfg.Servers))
			}
			assert.True(t, res.Complete)
			assert.Equal(t, tt.distinct, res.Distinct, "distinct states")
			t.Logf("%d distinct states, depth %d, %v (%.0f states/s)", res.Distinct, res.Depth,
				res.Elapsed, float64(res.Distinct)/res.Elapsed.Seconds())
		})
	}
}

func TestWorkerCountDoesNotChangeTheResult(t *testing.T) {
	cfg := Config{Servers: 3, Values: 1, MaxTerm: 1, MaxLogLen: 1, MaxMessages: 2}
	one := New(cfg).Check(Options{Workers: 1})
	four := New(cfg).Check(Options{Workers: 4})
	assert.Equal(t, one.Distinct, four.Distinct)
	assert.Equal(t, one.Generated, four.Generated)
	assert.Equal(t, one.Depth, four.Depth)
}

func TestMaxStatesStopsTheSearchIncomplete(t *testing.T) {
	res := New(DefaultConfig()).Check(Options{MaxStates: 1000})
	assert.False(t, res.Complete)
	assert.Nil(t, res.Violation)
	assert.Greater(t, res.Distinct, 1000)
}

// permute renames server i to perm[i] everywhere in s.
func permute(s State, perm []int, n int) State {
	var t State
	for i := range n {
		p := perm[i]
		t.CurrentTerm[p] = s.CurrentTerm[i]
		t.State[p] = s.State[i]
		t.VotedFor[p] = Nil
		if s.VotedFor[i] != Nil {
			t.VotedFor[p] = int8(perm[s.VotedFor[i]])
		}
		t.Log[p] = s.Log[i]
		t.CommitIndex[p] = s.CommitIndex[i]
		t.SnapshotIndex[p] = s.SnapshotIndex[i]
		t.SnapshotTerm[p] = s.SnapshotTerm[i]
		t.LeaderRecent[p] = s.LeaderRecent[i]
		t.HeardAt[p] = s.HeardAt[i]
		t.ReadSeq[p] = s.ReadSeq[i]
		t.RoundStart[p] = s.RoundStart[i]
		t.ReadAcks[p] = permuteSet(s.ReadAcks[i], perm, n)
		t.PendingRead[p] = s.PendingRead[i]
		if f := s.PendingRead[i].From; f != 0 {
			t.PendingRead[p].From = uint8(perm[f-1]) + 1
		}
		t.FollowerRead[p] = s.FollowerRead[i]
		t.Leader[p] = Nil
		if s.Leader[i] != Nil {
			t.Leader[p] = int8(perm[s.Leader[i]])
		}
		t.LeadTransferee[p] = Nil
		if s.LeadTransferee[i] != Nil {
			t.LeadTransferee[p] = int8(perm[s.LeadTransferee[i]])
		}
		t.VotesGranted[p] = permuteSet(s.VotesGranted[i], perm, n)
		t.VotesRejected[p] = permuteSet(s.VotesRejected[i], perm, n)
		t.RecentActive[p] = permuteSet(s.RecentActive[i], perm, n)
		for j := range n {
			t.NextIndex[p][perm[j]] = s.NextIndex[i][j]
			t.MatchIndex[p][perm[j]] = s.MatchIndex[i][j]
		}
	}
	t.Now, t.LastRead = s.Now, s.LastRead
	for k := len(s.Messages) - 1; k >= 0; k-- { // reversed, so the bag order differs too
		p := s.Messages[k]
		p.Msg.Source, p.Msg.Dest = uint8(perm[p.Msg.Source]), uint8(perm[p.Msg.Dest])
		t.Messages = append(t.Messages, p)
	}
	return t
}

func permuteSet(s Set, perm []int, n int) Set {
	var out Set
	for i := range n {
		if s.Has(i) {
			out = out.With(perm[i])
		}
	}
	return out
}

// randomWalk returns the states of a random behaviour of sp.
func randomWalk(sp *Spec, rng *rand.Rand, steps int) []State {
	s := sp.Init()
	out := []State{s}
	for range steps {
		var next []State
		sp.Successors(&s, func(_ Label, t *State) {
			if sp.Constraint(t) {
				next = append(next, *t)
			}
		})
		if len(next) == 0 {
			break
		}
		s = next[rng.IntN(len(next))]
		out = append(out, s)
	}
	return out
}

func TestSymmetricStatesHaveTheSameFingerprint(t *testing.T) {
	cfg := Config{Servers: 4, Values: 2, MaxTerm: 3, MaxLogLen: 3, MaxMessages: 4, PreVote: true, CheckQuorum: true,
		Snapshot: true, Transfer: true, Reads: true, ElectionTimeout: 2, MaxClockDrift: 1, MaxTime: 4, MaxReads: 2}
	sp := New(cfg)
	enc := newEncoder(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[uint64]string{}
	for walk := range 50 {
		for _, s := range randomWalk(sp, rng, 60) {
			fp := enc.Fingerprint(&s)
			perm := rng.Perm(cfg.Servers)
			ps := permute(s, perm, cfg.Servers)
			require.Equal(t, fp, enc.Fingerprint(&ps), "walk %d: permutation %v changed the fingerprint", walk, perm)
			// Distinct canonical encodings must not collide.
			c := string(enc.Canonical(&s))
			if prev, ok := seen[fp]; ok {
				require.Equal(t, prev, c, "fingerprint collision")
			}
			seen[fp] = c
		}
	}
	assert.Greater(t, len(seen), 100, "the walks should reach many distinct states")
}

func TestTLCConfigsParseIntoGoConfigs(t *testing.T) {
	paths, err := filepath.Glob("../tla/MCRaft*.cfg")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		cfg, err := ParseTLCConfig(string(text))
		require.NoError(t, err, path)
		assert.Equal(t, 3, cfg.Servers, path)
	}
	cfg, err := ParseTLCConfig(mustRead(t, "../tla/MCRaft.cfg"))
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), cfg, "raftmc's defaults are MCRaft.cfg")
	_, err = ParseTLCConfig("CONSTANTS\n Server = {s1}\n Bogus = 3\n")
	assert.ErrorContains(t, err, "unknown constant Bogus")
	_, err = ParseTLCConfig("CONSTANTS\n Server = {s1}\n")
	assert.ErrorContains(t, err, "is not set")
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
