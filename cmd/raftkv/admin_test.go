package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
)

// join starts node id with -join semantics: it knows every member's
// address and has none of the membership.
func (c *cluster) join(id uint64) (*server, config) {
	c.t.Helper()
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(c.t, err)
	cl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(c.t, err)
	peers := maps.Clone(c.cfgs[0].Peers)
	peers[id] = rl.Addr().String()
	cfg := config{
		ID: id, ClusterID: 1, Peers: peers, Join: true,
		DataDir:      fmt.Sprintf("%s/node%d", c.t.TempDir(), id),
		RaftListener: rl, ClientListener: cl, ListenAddr: rl.Addr().String(), ClientAddr: cl.Addr().String(),
		TickInterval: testTick, RequestTimeout: time.Second, Logf: c.t.Logf,
	}
	s, err := startNode(cfg)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { assert.NoError(c.t, s.Close()) })
	return s, cfg
}

// leaderOf waits (bounded) until one of servers other than not leads, and
// returns its id.
func leaderOf(t *testing.T, servers []*server, not uint64) uint64 {
	t.Helper()
	var lead uint64
	require.Eventually(t, func() bool {
		for _, s := range servers {
			st, err := getStatus(s.ClientURL())
			if err == nil && st.Role == "Leader" && st.ID != not {
				lead = st.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no leader other than %d", not)
	return lead
}

// post sends an admin request and decodes the answer.
func post(t *testing.T, url string, body []byte) (int, client.ErrorAnswer) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var eb client.ErrorAnswer
	_ = json.Unmarshal(data, &eb)
	return resp.StatusCode, eb
}

func TestJoinedNodeIsAddedAsALearnerPromotedAndTheRemovedLeaderIsReplaced(t *testing.T) {
	c := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := client.New(c.urls(), 1)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Put(ctx, "k", "v"))

	s4, cfg4 := c.join(4)
	m, err := cl.Membership(ctx)
	require.NoError(t, err)
	for _, s := range c.servers {
		if s.cfg.ID != m.Leader {
			require.NoError(t, cl.AddPeer(ctx, s.ClientURL(), 4, cfg4.ListenAddr), "followers learn where 4 is")
		}
	}
	m, err = cl.AddLearner(ctx, 4, cfg4.ListenAddr)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3}, m.Voters)
	assert.Equal(t, []uint64{4}, m.Learners)

	require.Eventually(t, func() bool {
		m, err := cl.Membership(ctx)
		return err == nil && m.Match[4] >= m.Commit
	}, 5*time.Second, 20*time.Millisecond, "the learner catches up")
	m, err = cl.Promote(ctx, 4)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3, 4}, m.Voters)
	assert.Empty(t, m.VotersOutgoing, "out of the joint phase")
	c4, err := client.New([]string{s4.ClientURL()}, 2)
	require.NoError(t, err)
	defer c4.Close()
	require.Eventually(t, func() bool {
		v, found, err := c4.Get(ctx, "k", kv.ReadFollower)
		return err == nil && found && v == "v"
	}, 5*time.Second, 20*time.Millisecond, "the new voter serves what was written before it joined")

	// The client must know the new node's URL: a follower names a leader
	// it has no client URL of by its id only.
	cl.Close()
	cl, err = client.New(append(c.urls(), s4.ClientURL()), 3)
	require.NoError(t, err)
	defer cl.Close()
	all := append(c.servers[:3:3], s4)
	old := leaderOf(t, all, 0)
	m, err = cl.RemoveNode(ctx, old)
	require.NoError(t, err, "answered as the removed leader steps down")
	assert.NotContains(t, m.Voters, old)
	lead := leaderOf(t, all, old)
	require.NoError(t, cl.Put(ctx, "k", "after"))
	got, _, err := cl.Get(ctx, "k", kv.ReadIndex)
	require.NoError(t, err)
	assert.Equal(t, "after", got)
	t.Logf("leader %d removed; %d leads", old, lead)
}

func TestAdminEndpointsAnswerBadRequestsWithTheirCodes(t *testing.T) {
	c := startCluster(t, 3)
	lead := c.leader(0)
	base := c.servers[lead-1].ClientURL()
	follower := c.servers[lead%3].ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.Eventually(t, func() bool {
		// The leader takes changes once it has committed in its term.
		cl, err := client.New([]string{base}, 1)
		require.NoError(t, err)
		defer cl.Close()
		return cl.Put(ctx, "k", "v") == nil
	}, 5*time.Second, 20*time.Millisecond)

	tests := []struct {
		name   string
		url    string
		body   string
		status int
		code   string
	}{
		{"remove an unknown node", base + "/admin/remove?id=9", "", 404, client.CodeUnknownNode},
		{"promote an unknown node", base + "/admin/promote?id=9", "", 404, client.CodeUnknownNode},
		{"promote a voter", base + fmt.Sprintf("/admin/promote?id=%d", lead), "", 400, client.CodeBadRequest},
		{"no id", base + "/admin/demote", "", 400, client.CodeBadRequest},
		{"id zero", base + "/admin/add-voter?id=0", "", 400, client.CodeBadRequest},
		{"bad addr", base + "/admin/add-learner?id=5&addr=nonsense", "", 400, client.CodeBadRequest},
		{"addr where none is taken", base + "/admin/remove?id=2&addr=127.0.0.1:1", "", 400, client.CodeBadRequest},
		{"no voters left", base + "/admin/membership", `{"changes":[{"type":"remove","id":1},{"type":"remove","id":2},{"type":"remove","id":3}]}`, 400, client.CodeNoVoters},
		{"unknown change type", base + "/admin/membership", `{"changes":[{"type":"promote","id":2}]}`, 400, client.CodeBadRequest},
		{"no changes", base + "/admin/membership", `{"changes":[]}`, 400, client.CodeBadRequest},
		{"malformed body", base + "/admin/membership", `{"changes":`, 400, client.CodeBadRequest},
		{"unknown field", base + "/admin/membership", `{"change":[]}`, 400, client.CodeBadRequest},
		{"not the leader", follower + "/admin/add-learner?id=5", "", 421, client.CodeNotLeader},
		{"peer is this node", base + fmt.Sprintf("/admin/peer?id=%d&addr=127.0.0.1:1", lead), "", 400, client.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, eb := post(t, tt.url, []byte(tt.body))
			assert.Equal(t, tt.status, status, eb.Error)
			assert.Equal(t, tt.code, eb.Code)
			assert.NotEmpty(t, eb.Error)
			if tt.code == client.CodeNotLeader {
				assert.Equal(t, lead, eb.Leader)
			}
		})
	}
	cl, err := client.New(c.urls(), 2)
	require.NoError(t, err)
	defer cl.Close()
	_, err = cl.RemoveNode(ctx, 9)
	assert.ErrorIs(t, err, client.ErrUnknownNode)
	assert.ErrorIs(t, err, client.ErrBadRequest)
	_, err = cl.ChangeMembership(ctx, []client.Change{{Type: client.ChangeRemove, ID: 1}, {Type: client.ChangeRemove, ID: 2}, {Type: client.ChangeRemove, ID: 3}})
	assert.ErrorIs(t, err, client.ErrNoVoters)
	m, err := cl.Membership(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3}, m.Voters, "nothing changed")
}

func TestJoinFlagStartsWithNoMembership(t *testing.T) {
	args := []string{"-id", "4", "-peers", "1=127.0.0.1:7001,4=127.0.0.1:7004", "-data", t.TempDir(), "-client", "127.0.0.1:8004", "-join"}
	cfg, _, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.Join)
	assert.Empty(t, bootstrapVoters(cfg))
	cfg.Join = false
	assert.Equal(t, []uint64{1, 4}, bootstrapVoters(cfg))
}
