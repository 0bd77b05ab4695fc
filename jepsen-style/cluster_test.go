package jepsen

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

// TestARestartedNodeIsToldOfTheNodesThatJoinedSince: node 4 joins after
// node 1 started, so node 1's -peers does not name it; node 1 learns its
// address by /admin/peer, and again after a restart. With node 1 leading
// and every other link into node 4 cut, node 4 still catches up: node 1
// reaches it.
func TestARestartedNodeIsToldOfTheNodesThatJoinedSince(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	c, err := StartCluster(ctx, ClusterConfig{Binary: raftkvBinary, Nodes: 3, Dir: t.TempDir(), Tick: testTick})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, waitLeader(ctx, c, setupMax))
	n := newNemesis(c, linearizability.NewRecorder(nil), nil, []string{KindMembership}, rand.New(rand.NewPCG(1, 1)))
	n.logf = t.Logf

	id, err := n.addVoter(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(4), id)
	v, err := n.leaderView(ctx, changeWaitMax)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3, 4}, v.voters)
	assert.Equal(t, []uint64{1, 2, 3, 4}, c.IDs())
	assert.Len(t, c.ClientURLs(0), 4, "clients are given the new node's URL")

	require.NoError(t, c.Restart(ctx, 1))
	require.NoError(t, c.Net().Cut([]Link{{2, 4}, {3, 4}}))
	require.Eventually(t, func() bool {
		lead, _ := c.Leader(ctx)
		if lead == 1 {
			return true
		}
		if lead != 0 {
			_ = c.Transfer(ctx, lead, 1)
		}
		return false
	}, 15*time.Second, 300*time.Millisecond, "node 1 leads")

	w := &workload{c: c, rec: linearizability.NewRecorder(nil)}
	cl := w.newClient(1)
	defer cl.Close()
	_, err = do(ctx, cl, model.Input{Op: model.OpPut, Key: "k", Value: "after the restart"})
	require.NoError(t, err)
	lead, err := c.Status(ctx, 1)
	require.NoError(t, err)
	assert.Eventually(t, func() bool {
		st, err := c.Status(ctx, 4)
		return err == nil && st.Commit >= lead.Commit
	}, 5*time.Second, 50*time.Millisecond, "node 4 caught up from node 1, the only node that reaches it")

	log, err := os.ReadFile(c.nodes[0].logPath)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(log), "admin: peer 4 at"), "node 1 was told of node 4 when it joined and after its restart")
}
