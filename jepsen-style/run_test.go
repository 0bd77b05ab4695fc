package jepsen

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

// testTick makes elections take half a second instead of one.
const testTick = 50 * time.Millisecond

func TestShortCampaignUnderEveryNemesisIsLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("a campaign of real processes takes about 25 s")
	}
	out := t.TempDir()
	cfg := Config{
		Binary: raftkvBinary, Nodes: 5, Time: 15 * time.Second, Nemeses: Kinds, Rate: 150,
		Tick: testTick, Gap: 600 * time.Millisecond, HoldMax: 1500 * time.Millisecond,
		CheckTimeout: 20 * time.Second, OutDir: out, Seed: 1, Logf: t.Logf,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	require.NoError(t, err)

	assert.Empty(t, res.Violations)
	assert.Equal(t, linearizability.Ok, res.Verdict, "the history was checked and is linearizable")
	assert.Greater(t, res.Acked, 200, "the clients got answers")
	assert.Equal(t, KeysDefault, res.FinalReads, "every key was read after healing")
	for _, kind := range Kinds {
		assert.GreaterOrEqual(t, res.Faults[kind], 1, "nemesis %s never struck", kind)
	}
	assert.Positive(t, res.ConnsRefused, "partitions reset real Raft connections")
	assert.GreaterOrEqual(t, res.LeaderTerms, 2, "faults moved the leadership")

	h, err := linearizability.Load(res.HistoryPath)
	require.NoError(t, err)
	kinds := make(map[string]bool)
	for _, f := range h.Faults {
		kinds[f.Kind] = true
	}
	for _, kind := range Kinds {
		assert.True(t, kinds[kind], "the history records %s faults", kind)
	}
	assert.NotEmpty(t, h.Leaders)
	page, err := os.ReadFile(res.HTMLPath)
	require.NoError(t, err)
	assert.Contains(t, string(page), "fault: partition", "the report annotates the nemesis")
	_, err = os.Stat(filepath.Join(out, "cluster", "n1.log"))
	assert.NoError(t, err, "the nodes' logs are kept")
}

// TestFinalReadsCatchAWipedCluster plants a lost write in real processes:
// every node is killed and its disk wiped, so the acknowledged writes are
// gone, and the final reads must say so.
func TestFinalReadsCatchAWipedCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	c, err := StartCluster(ctx, ClusterConfig{Binary: raftkvBinary, Nodes: 3, Dir: t.TempDir(), Tick: testTick})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, waitLeader(ctx, c, setupMax))

	rec := linearizability.NewRecorder(nil)
	w := &workload{urls: c.ClientURLs(), rec: rec, keys: 2}
	cl := w.newClient()
	for i := range 2 {
		in := model.Input{Op: model.OpPut, Key: key(i), Value: "acknowledged"}
		id := rec.Invoke(0, in)
		out, err := do(ctx, cl, in)
		require.NoError(t, err)
		require.NoError(t, rec.Return(id, out))
	}
	cl.Close()

	for _, id := range c.IDs() {
		require.NoError(t, c.Kill(id))
		require.NoError(t, os.RemoveAll(c.DataDir(id)))
	}
	for _, id := range c.IDs() {
		require.NoError(t, c.Restart(ctx, id))
	}
	require.NoError(t, waitLeader(ctx, c, setupMax))
	finalFrom := len(rec.History().Ops)
	n, vs := finalReads(ctx, w, 1, 2)
	require.Empty(t, vs)
	require.Equal(t, 2, n)

	res, vs, err := CheckHistory(rec.History(), finalFrom, 10*time.Second)
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assert.Equal(t, ViolationLostWrite, vs[0].Kind, vs[0].Message)
	assert.Contains(t, vs[0].Message, "<missing>")
	assert.Equal(t, linearizability.Illegal, res.Verdict)
}
