package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/raftcheck/raftcheck/harness"
)

func TestBadUsageExitsTwoWithAMessage(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(notJSON, []byte("not json"), 0o644))
	badNode := filepath.Join(dir, "node9.json")
	require.NoError(t, os.WriteFile(badNode, []byte(`{"events":[{"at":0,"duration":1,"kind":"crash","nodes":[9]}]}`), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no seeds", []string{"-seeds", "0"}, "-seeds must be in 1.."},
		{"seeds not a number", []string{"-seeds", "many"}, "invalid value"},
		{"too many seeds", []string{"-seeds", "10000001"}, "-seeds must be in 1.."},
		{"seed range past the end", []string{"-seed", "18446744073709551615", "-seeds", "2"}, "past the largest seed"},
		{"no nodes", []string{"-nodes", "0"}, "-nodes must be in 1..9"},
		{"too many nodes", []string{"-nodes", "10"}, "-nodes must be in 1..9"},
		{"time within the liveness bound", []string{"-time", "5s"}, "longer than the liveness bound"},
		{"negative time", []string{"-time", "-1s"}, "-time must be"},
		{"time not a duration", []string{"-time", "30"}, "invalid value"},
		{"unknown fault", []string{"-faults", "crash,meteor"}, `unknown fault kind "meteor" (known kinds: partition, crash, pause`},
		{"empty fault", []string{"-faults", "crash,"}, "empty kind"},
		{"no workers", []string{"-parallel", "0"}, "-parallel must be in 1.."},
		{"shard zero", []string{"-shard", "0/4"}, "i counts from 1"},
		{"shard past n", []string{"-shard", "5/4"}, "outside 1..n"},
		{"no shards", []string{"-shard", "1/0"}, "n must be in 1.."},
		{"shard without slash", []string{"-shard", "2"}, "no slash"},
		{"shard not numbers", []string{"-shard", "a/b"}, "not a whole number"},
		{"negative shrink", []string{"-shrink", "-1"}, "-shrink must not be negative"},
		{"empty out", []string{"-out", ""}, "-out must name a directory"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"-seedz", "3"}, "flag provided but not defined"},
		{"missing replay file", []string{"-replay", filepath.Join(dir, "nope.json")}, "no such file"},
		{"replay file not JSON", []string{"-replay", notJSON}, "decode schedule"},
		{"replay file for more nodes", []string{"-replay", badNode}, "node 9 outside 1..5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			out := f.invoke(t, tt.args...)
			assert.Equal(t, exitBadUsage, out.code)
			assert.Contains(t, out.stderr, tt.want)
			assert.Empty(t, f.configs, "nothing runs on bad usage")
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	out := newFake().invoke(t, "-h")
	assert.Equal(t, exitOK, out.code)
	assert.Contains(t, out.stderr, "-shard")
}

func TestFaultsReachTheHarnessInItsOrder(t *testing.T) {
	tests := []struct {
		flag string
		want []string
	}{
		{"all", harness.FaultKinds},
		{"drift, crash,partition", []string{harness.FaultPartition, harness.FaultCrash, harness.FaultDrift}},
		{"crash,crash", []string{harness.FaultCrash}},
		{"none", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			f := newFake()
			require.Equal(t, exitOK, f.invoke(t, "-seeds", "1", "-faults", tt.flag).code)
			require.Len(t, f.configs, 1)
			assert.Equal(t, tt.want, f.configs[0].Faults)
			assert.NotNil(t, f.configs[0].Faults, "nil would mean all faults to the harness")
		})
	}
	f := newFake()
	require.Equal(t, exitOK, f.invoke(t, "-seeds", "1").code)
	assert.Equal(t, harness.FaultKinds, f.configs[0].Faults, "the default is every implemented kind")
}

func TestShardsAreDisjointAndCoverTheRange(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		first := rapid.Uint64Range(0, 1<<40).Draw(t, "first")
		count := rapid.Uint64Range(1, 300).Draw(t, "count")
		n := rapid.Uint64Range(1, 20).Draw(t, "n")
		var all []uint64
		for i := uint64(1); i <= n; i++ {
			seeds := seedsOf(first, count, shard{index: i, of: n})
			if !slices.IsSorted(seeds) {
				t.Fatalf("shard %d/%d not in order: %v", i, n, seeds)
			}
			if l := uint64(len(seeds)); l < count/n || l > count/n+1 {
				t.Fatalf("shard %d/%d holds %d of %d seeds: unbalanced", i, n, l, count)
			}
			all = append(all, seeds...)
		}
		slices.Sort(all)
		if uint64(len(all)) != count {
			t.Fatalf("shards hold %d seeds, the range %d", len(all), count)
		}
		for k, s := range all {
			if s != first+uint64(k) {
				t.Fatalf("seed %d missing or repeated (found %d)", first+uint64(k), s)
			}
		}
	})
}

func TestShardCountsFromOne(t *testing.T) {
	f := newFake()
	out := f.invoke(t, "-seed", "10", "-seeds", "10", "-shard", "2/3")
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Equal(t, []uint64{11, 14, 17}, f.seedsRun())
	assert.Contains(t, out.stdout, "shard 2/3 of 10..19")
	assert.Contains(t, out.lastLine(out.stdout), "raftsim: 3 seeds,")
}

func TestShardMayBeEmpty(t *testing.T) {
	f := newFake()
	out := f.invoke(t, "-seeds", "2", "-shard", "3/4")
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Empty(t, f.seedsRun())
	assert.Equal(t, "raftsim: 0 seeds, 0 violations, 0 ops, 0.0 virtual-s in 0.01 s (0 x real time)", out.lastLine(out.stdout))
}

func TestFlagsReachTheHarness(t *testing.T) {
	f := newFake()
	out := f.invoke(t, "-seeds", "3", "-seed", "7", "-nodes", "3", "-time", "12s", "-parallel", "2")
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Equal(t, []uint64{7, 8, 9}, f.seedsRun())
	for _, c := range f.configs {
		assert.Equal(t, 3, c.Nodes)
		assert.Equal(t, "12s", c.Duration.String())
		assert.Nil(t, c.Trace, "no trace unless a seed fails or -keep")
	}
}

func TestTracesAreValidatedUnlessTurnedOff(t *testing.T) {
	f := newFake()
	require.Equal(t, exitOK, f.invoke(t, "-seeds", "2").code)
	for _, c := range f.configs {
		assert.False(t, c.SkipValidation, "validation is on by default")
	}
	f = newFake()
	require.Equal(t, exitOK, f.invoke(t, "-seeds", "2", "-validate=false").code)
	for _, c := range f.configs {
		assert.True(t, c.SkipValidation, "-validate=false turns it off")
	}
}
