package jepsen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
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
	changes := 0
	for _, n := range res.Membership {
		changes += n
	}
	assert.Positive(t, changes, "a membership change completed: %v", res.Membership)
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
	assert.Contains(t, string(page), "fault: membership", "and the membership changes")
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
	w := &workload{c: c, rec: rec, keys: 2}
	cl := w.newClient(0)
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

func TestRunOverMutualTLSThroughTheProxies(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{
		Binary: raftkvBinary, Nodes: 3, Time: 4 * time.Second, Nemeses: []string{KindPartition, KindMembership}, Rate: 100,
		Tick: testTick, Gap: 300 * time.Millisecond, HoldMax: time.Second, TLS: true,
		CheckTimeout: 10 * time.Second, OutDir: out, Seed: 2, Logf: t.Logf,
	})
	require.NoError(t, err)
	assert.Empty(t, res.Violations)
	assert.Equal(t, linearizability.Ok, res.Verdict)
	assert.Greater(t, res.Acked, 20, "a quorum formed over TLS")
	assert.GreaterOrEqual(t, res.Faults[KindPartition], 1)
	assert.Positive(t, res.Membership[ChangeAddLearner], "a node joined, with a certificate made as it started")
	for id := 1; id <= 4; id++ {
		log, err := os.ReadFile(filepath.Join(out, "cluster", fmt.Sprintf("n%d.log", id)))
		require.NoError(t, err)
		assert.NotContains(t, string(log), "certificate", "no peer was refused for its certificate")
		assert.NotContains(t, string(log), "failed verification", "every certificate names its node")
	}
	_, err = os.Stat(filepath.Join(out, "cluster", "tls", "ca.pem"))
	assert.NoError(t, err)
}

func TestTLSClusterServesRaftOverTLSWithItsCertificates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	c, err := StartCluster(ctx, ClusterConfig{Binary: raftkvBinary, Nodes: 1, Dir: dir, Tick: testTick, TLS: true})
	require.NoError(t, err)
	defer c.Close()
	tdir := filepath.Join(dir, "tls")
	cert, err := tls.LoadX509KeyPair(filepath.Join(tdir, "n1.pem"), filepath.Join(tdir, "n1-key.pem"))
	require.NoError(t, err)
	caPEM, err := os.ReadFile(filepath.Join(tdir, "ca.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	conn, err := tls.Dial("tcp", c.nodes[0].raftAddr, &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13})
	require.NoError(t, err, "the Raft port speaks TLS with a certificate of the run's CA")
	defer conn.Close()
	assert.Equal(t, "node 1", conn.ConnectionState().PeerCertificates[0].Subject.CommonName)
}
