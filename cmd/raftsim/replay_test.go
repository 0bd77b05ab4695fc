package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/harness"
)

// writeSchedule saves a schedule of one crash and returns its path.
func writeSchedule(t *testing.T) (string, harness.Schedule) {
	t.Helper()
	s := harness.Schedule{Events: []harness.Event{{At: time.Second, Duration: 2 * time.Second, Kind: harness.FaultCrash, Nodes: []uint64{2}}}}
	data, err := harness.MarshalSchedule(s)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "schedule.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path, s
}

func TestReplayRunsTheScheduleFileAndExitsOneIfItFails(t *testing.T) {
	path, s := writeSchedule(t)
	f := newFake(42)
	dir := filepath.Join(t.TempDir(), "out")
	out := f.invoke(t, "-out", dir, "-replay", path, "-seed", "42", "-nodes", "3", "-time", "20s")
	require.Equal(t, exitFailed, out.code, out.stderr)
	require.Len(t, f.configs, 1, "a replay runs once, and does not shrink")
	c := f.configs[0]
	assert.Equal(t, uint64(42), c.Seed)
	assert.Equal(t, 3, c.Nodes)
	assert.Equal(t, 20*time.Second, c.Duration)
	require.NotNil(t, c.Schedule)
	assert.Equal(t, s, *c.Schedule)
	requireFiles(t, filepath.Join(dir, "replay-seed-42"))
	assert.Contains(t, out.stdout, "seed 42: FAIL: election-safety")
	assert.Contains(t, out.lastLine(out.stdout), "raftsim: 1 seeds, 2 violations")
}

func TestReplayOfAPassingScheduleExitsZero(t *testing.T) {
	path, _ := writeSchedule(t)
	dir := filepath.Join(t.TempDir(), "out")
	out := newFake().invoke(t, "-out", dir, "-replay", path, "-seed", "7")
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Contains(t, out.stdout, "seed 7: ok")
	requireFiles(t, filepath.Join(dir, "replay-seed-7"))
	assert.Contains(t, out.lastLine(out.stdout), "raftsim: 1 seeds, 0 violations, 10 ops")
}
