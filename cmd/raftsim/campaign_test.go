package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/harness"
)

func TestAllSeedsPassingExitsZero(t *testing.T) {
	f := newFake()
	out := f.invoke(t, "-seeds", "25")
	assert.Equal(t, exitOK, out.code)
	assert.Len(t, f.seedsRun(), 25)
	assert.NotContains(t, out.stdout, "FAIL")
	assert.Empty(t, out.stderr)
}

func TestAnyFailingSeedExitsOne(t *testing.T) {
	out := newFake(13).invoke(t, "-seeds", "25")
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stdout, "seed 13: FAIL: election-safety at 3s: two leaders in term 4 (and 1 more)")
}

func TestLastLineSaysWhatRan(t *testing.T) {
	out := newFake(2).invoke(t, "-seeds", "3", "-time", "30s")
	assert.Equal(t,
		"raftsim: 3 seeds, 2 violations, 30 ops, 90.0 virtual-s in 0.01 s (9000 x real time)",
		out.lastLine(out.stdout))
	// The format, as a person or a script may rely on it.
	re := regexp.MustCompile(`^raftsim: \d+ seeds, \d+ violations, \d+ ops, \d+\.\d virtual-s in \d+\.\d\d s \(\d+ x real time\)$`)
	assert.Regexp(t, re, out.lastLine(out.stdout))
}

func TestSummaryTableCountsFaultsAndViolationsByKind(t *testing.T) {
	out := newFake(2, 3).invoke(t, "-seeds", "4")
	for _, row := range []string{
		"seeds  ", "4 (1..4, 5 nodes, 30s each, faults " + strings.Join(harness.FaultKinds, ",") + ")",
		"passed ", "failed ", "2 (seeds 2, 3)", "ops ", "40\n", "virtual time", "120.0 s",
		"wall time", "speed ", "x real time",
		"fault crash", "violations ", "violation election-safety", "violation linearizability",
	} {
		assert.Contains(t, out.stdout, row)
	}
	assert.Regexp(t, `fault crash +16\n`, out.stdout, "campaign runs only: 4 seeds of 4 crashes")
	assert.Regexp(t, `violation election-safety +2\n`, out.stdout)
}

func TestFailingSeedIsShrunkAndItsArtifactsWritten(t *testing.T) {
	f := newFake(5)
	dir := filepath.Join(t.TempDir(), "out")
	out := f.invoke(t, "-out", dir, "-seeds", "6", "-shrink", "50")
	require.Equal(t, exitFailed, out.code)
	assert.Equal(t, []int{50}, f.shrinks)

	seedDir := filepath.Join(dir, "seed-5")
	requireFiles(t, seedDir)
	trace, err := os.ReadFile(filepath.Join(seedDir, "trace.ndjson"))
	require.NoError(t, err)
	assert.Equal(t, "{\"seed\":5,\"events\":1}\n", string(trace), "the trace is of the shrunk schedule")
	data, err := os.ReadFile(filepath.Join(seedDir, "schedule.json"))
	require.NoError(t, err)
	s, err := harness.UnmarshalSchedule(data, 5)
	require.NoError(t, err)
	assert.Len(t, s.Events, 1)

	assert.Contains(t, out.stdout, "schedule shrunk from 4 to 1 events")
	assert.Contains(t, out.stdout, "artifacts: "+seedDir)
	assert.Contains(t, out.stdout, "replay: go run ./cmd/raftsim -replay "+filepath.Join(seedDir, "schedule.json")+" -seed 5")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "passing seeds leave nothing without -keep")
}

func TestShrinkZeroKeepsTheWholeSchedule(t *testing.T) {
	f := newFake(1)
	dir := filepath.Join(t.TempDir(), "out")
	out := f.invoke(t, "-out", dir, "-seeds", "1", "-shrink", "0")
	require.Equal(t, exitFailed, out.code)
	assert.Empty(t, f.shrinks)
	trace, err := os.ReadFile(filepath.Join(dir, "seed-1", "trace.ndjson"))
	require.NoError(t, err)
	assert.Equal(t, "{\"seed\":1,\"events\":4}\n", string(trace))
	assert.NotContains(t, out.stdout, "shrunk")
}

func TestKeepWritesPassingSeedsToo(t *testing.T) {
	f := newFake()
	dir := filepath.Join(t.TempDir(), "out")
	out := f.invoke(t, "-out", dir, "-seeds", "3", "-seed", "4", "-keep")
	require.Equal(t, exitOK, out.code)
	for _, seed := range []string{"seed-4", "seed-5", "seed-6"} {
		requireFiles(t, filepath.Join(dir, seed))
	}
	trace, err := os.ReadFile(filepath.Join(dir, "seed-5", "trace.ndjson"))
	require.NoError(t, err)
	assert.Equal(t, "{\"seed\":5,\"events\":4}\n", string(trace))
}

func TestUnwritableArtifactsExitOne(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	out := newFake().invoke(t, "-out", file, "-seeds", "1", "-keep")
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stderr, "artifacts of seed 1")
}

func TestHarnessPanicFailsTheSeedNotTheCampaign(t *testing.T) {
	f := newFake()
	f.panics[2] = true
	out := f.invoke(t, "-seeds", "3")
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stdout, "seed 2: FAIL: harness-panic")
	assert.Contains(t, out.stderr, "the harness panicked: boom 2")
	assert.Contains(t, out.lastLine(out.stdout), "raftsim: 3 seeds, 1 violations")
}

func TestReportIsInSeedOrderWhateverTheParallelism(t *testing.T) {
	run := func(parallel string) outputs {
		f := newFake(3, 8, 21, 40)
		f.delay = true
		return f.invoke(t, "-out", filepath.Join(t.TempDir(), "out"), "-seeds", "40", "-parallel", parallel)
	}
	one := run("1")
	require.Equal(t, exitFailed, one.code)
	normalize := func(s string) string { // the out directory differs
		return regexp.MustCompile(`\S*/out/`).ReplaceAllString(s, "OUT/")
	}
	for range 3 {
		many := run("8")
		assert.Equal(t, normalize(one.stdout), normalize(many.stdout))
	}
	lines := regexp.MustCompile(`seed (\d+): FAIL`).FindAllStringSubmatch(one.stdout, -1)
	var seeds []string
	for _, l := range lines {
		seeds = append(seeds, l[1])
	}
	assert.Equal(t, []string{"3", "8", "21", "40"}, seeds)
	assert.Equal(t, 9, strings.Count(one.stdout, "/40 seeds,"), "a progress line every tenth, but not at the end")
}

func TestJSONSummaryParsesAndCountsByKind(t *testing.T) {
	out := newFake(2, 4).invoke(t, "-seeds", "5", "-json")
	require.Equal(t, exitFailed, out.code)
	var s jsonSummary
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &s), "stdout is one JSON document: %s", out.stdout)
	assert.Equal(t, 5, s.Seeds)
	assert.Equal(t, 3, s.Passed)
	assert.Equal(t, 2, s.Failed)
	assert.Equal(t, 50, s.Ops)
	assert.Equal(t, 4, s.Violations)
	assert.Equal(t, map[string]int{"election-safety": 2, "linearizability": 2}, s.ViolationsByKind)
	assert.Equal(t, map[string]int{harness.FaultCrash: 20}, s.FaultsByKind)
	assert.InDelta(t, 150.0, s.VirtualSeconds, 1e-9)
	assert.Equal(t, "1/1", s.Shard)
	require.Len(t, s.Failures, 2)
	assert.Equal(t, uint64(4), s.Failures[1].Seed)
	assert.Equal(t, 1, s.Failures[1].EventsShrunk)
	assert.Equal(t, "election-safety", s.Failures[1].Violations[0].Kind)
	assert.NotEmpty(t, s.Failures[1].Replay)
	// The lines for a person go to stderr, ending with the last line.
	assert.Contains(t, out.stderr, "seed 2: FAIL")
	assert.True(t, strings.HasPrefix(out.lastLine(out.stderr), "raftsim: 5 seeds, 4 violations, 50 ops"))
}

func TestJSONSummaryOfAPassingCampaignHasEmptyListsNotNull(t *testing.T) {
	out := newFake().invoke(t, "-seeds", "2", "-json", "-faults", "none")
	require.Equal(t, exitOK, out.code)
	assert.Contains(t, out.stdout, `"failures": []`)
	assert.Contains(t, out.stdout, `"faults_enabled": []`)
}

func TestProgressBarOnATerminal(t *testing.T) {
	f := newFake(2)
	out := f.invokeOn(t, true, "-seeds", "30")
	require.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stdout, "\r[")
	assert.Contains(t, out.stdout, "] 30/30 seeds, 1 failed")
	assert.Contains(t, out.stdout, "\r\033[Kseed 2: FAIL", "a failure erases the bar before it is printed")
	assert.NotContains(t, out.stdout, "raftsim: 10/30", "no plain progress lines on a terminal")
	assert.True(t, strings.HasPrefix(out.lastLine(out.stdout), "raftsim: 30 seeds,"))
}

func TestNondeterministicFailureIsReported(t *testing.T) {
	f := newFake(3)
	f.flaky[3] = true
	dir := filepath.Join(t.TempDir(), "out")
	out := f.invoke(t, "-out", dir, "-seeds", "4", "-shrink", "50")
	require.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stderr, "seed 3: the run is not deterministic")
	assert.NotContains(t, out.stdout, "artifacts: ", "artifacts that do not show the failure are not offered as its record")

	stable := newFake(3)
	out = stable.invoke(t, "-out", filepath.Join(t.TempDir(), "out"), "-seeds", "4", "-shrink", "50")
	require.Equal(t, exitFailed, out.code)
	assert.NotContains(t, out.stderr, "not deterministic", "a failure that comes back is not reported as nondeterministic")
}
