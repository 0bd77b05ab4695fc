package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/transport"
)

// testTick makes elections take a fifth of the production time.
const testTick = 20 * time.Millisecond

func TestBadFlagsExitTwoWithAMessage(t *testing.T) {
	good := []string{"-id", "1", "-peers", "1=127.0.0.1:7001", "-data", t.TempDir(), "-client", "127.0.0.1:8001"}
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(good); i += 2 {
			if good[i] != flag {
				out = append(out, good[i], good[i+1])
			}
		}
		return out
	}
	with := func(extra ...string) []string { return append(append([]string{}, good...), extra...) }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", with("-bogus"), "bogus"},
		{"no id", without("-id"), "-id"},
		{"id zero", append(without("-id"), "-id", "0"), "-id"},
		{"id not a number", append(without("-id"), "-id", "x"), "-id"},
		{"no peers", without("-peers"), "-peers"},
		{"peers without id", append(without("-peers"), "-peers", "2=127.0.0.1:7002"), "does not name"},
		{"malformed peers", append(without("-peers"), "-peers", "1:127.0.0.1:7001"), "-peers"},
		{"duplicate peer", append(without("-peers"), "-peers", "1=a:1,1=b:2"), "twice"},
		{"no data", without("-data"), "-data"},
		{"no client", without("-client"), "-client"},
		{"bad client address", append(without("-client"), "-client", "nonsense"), "nonsense"},
		{"cluster zero", with("-cluster", "0"), "-cluster"},
		{"bad client peers", with("-client-peers", "x=y"), "-client-peers"},
		{"dev with others", []string{"-dev", "-id", "1"}, "-dev"},
		{"stray argument", with("extra"), "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 2, run(tt.args, &stdout, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

// cluster is a test cluster of raftkv nodes on loopback.
type cluster struct {
	t       *testing.T
	cfgs    []config
	servers []*server
}

func startCluster(t *testing.T, n int) *cluster {
	cfgs, err := loopbackConfigs(n, t.TempDir())
	require.NoError(t, err)
	c := &cluster{t: t, cfgs: cfgs, servers: make([]*server, n)}
	t.Cleanup(c.close)
	for i := range cfgs {
		c.cfgs[i].TickInterval = testTick
		c.cfgs[i].RequestTimeout = time.Second
		c.cfgs[i].Logf = t.Logf
		s, err := startNode(c.cfgs[i])
		require.NoError(t, err)
		c.servers[i] = s
	}
	return c
}

func (c *cluster) close() {
	for i, s := range c.servers {
		if s != nil {
			assert.NoError(c.t, s.Close())
			c.servers[i] = nil
		}
	}
}

func (c *cluster) urls() []string {
	var us []string
	for _, cfg := range c.cfgs {
		us = append(us, "http://"+cfg.ClientAddr)
	}
	return us
}

// stop closes node id.
func (c *cluster) stop(id uint64) {
	require.NoError(c.t, c.servers[id-1].Close())
	c.servers[id-1] = nil
}

// restart starts node id again on its addresses and data dir.
func (c *cluster) restart(id uint64) {
	cfg := c.cfgs[id-1]
	var err error
	cfg.RaftListener, err = net.Listen("tcp", cfg.ListenAddr)
	require.NoError(c.t, err)
	cfg.ClientListener, err = net.Listen("tcp", cfg.ClientAddr)
	require.NoError(c.t, err)
	s, err := startNode(cfg)
	require.NoError(c.t, err)
	c.servers[id-1] = s
}

// leader waits (bounded) until one live node leads, and returns its id.
func (c *cluster) leader(not uint64) uint64 {
	var lead uint64
	require.Eventually(c.t, func() bool {
		for _, s := range c.servers {
			if s == nil {
				continue
			}
			st, err := getStatus(s.ClientURL())
			if err == nil && st.Role == "Leader" && st.ID != not {
				lead = st.ID
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "no leader")
	return lead
}

func getStatus(base string) (statusBody, error) {
	var st statusBody
	resp, err := http.Get(base + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// lookup reads key straight from node id's replica, on its goroutine.
func (c *cluster) lookup(id uint64, key string) (string, bool) {
	s := c.servers[id-1]
	type kvOut struct {
		v  string
		ok bool
	}
	out := make(chan kvOut, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.svc.Node().Submit(ctx, func(*node.Node) {
		v, ok := s.svc.Store().Lookup(key)
		out <- kvOut{v, ok}
	}); err != nil {
		return "", false
	}
	select {
	case o := <-out:
		return o.v, o.ok
	case <-ctx.Done():
		return "", false
	}
}

func TestClusterServesEveryReadModeAndSurvivesAStoppedNode(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	c := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	cl, err := client.New(c.urls(), 1)
	require.NoError(t, err)

	require.NoError(t, cl.Put(ctx, "x", "1"))
	require.NoError(t, cl.Append(ctx, "x", "2"))
	ok, err := cl.CAS(ctx, "x", "12", "123")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = cl.CAS(ctx, "x", "nope", "z")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, cl.Put(ctx, "gone", "v"))
	require.NoError(t, cl.Delete(ctx, "gone"))
	for _, mode := range append([]kv.ReadMode{""}, kv.ReadModes...) {
		v, found, err := cl.Get(ctx, "x", mode)
		require.NoError(t, err, "mode %q", mode)
		assert.True(t, found, "mode %q", mode)
		assert.Equal(t, "123", v, "mode %q", mode)
		_, found, err = cl.Get(ctx, "gone", mode)
		require.NoError(t, err, "mode %q", mode)
		assert.False(t, found, "mode %q", mode)
	}

	// A follower read served by a follower itself.
	lead := c.leader(0)
	follower := lead%3 + 1
	fcl, err := client.New([]string{c.servers[follower-1].ClientURL()}, 2)
	require.NoError(t, err)
	v, _, err := fcl.Get(ctx, "x", kv.ReadFollower)
	require.NoError(t, err)
	assert.Equal(t, "123", v)
	fcl.Close()

	// Stop the leader: the other two elect one and serve.
	c.stop(lead)
	c.leader(lead)
	require.NoError(t, cl.Put(ctx, "y", "while-down"))
	for _, mode := range kv.ReadModes {
		v, _, err = cl.Get(ctx, "y", mode)
		require.NoError(t, err, "mode %q", mode)
		assert.Equal(t, "while-down", v, "mode %q", mode)
	}

	// Restart it from its data dir: it has the old data and catches up.
	c.restart(lead)
	require.Eventually(t, func() bool {
		x, _ := c.lookup(lead, "x")
		y, _ := c.lookup(lead, "y")
		return x == "123" && y == "while-down"
	}, 5*time.Second, 20*time.Millisecond)

	cl.Close()
	c.close()
	assertNoLeak(t, goroutines)
}

func TestLeadershipTransferMovesTheLeaderAndWritesFollow(t *testing.T) {
	// The transport must carry the core's TimeoutNowRequest, or a
	// transfer cannot complete over TCP.
	frame, err := transport.AppendMessage(nil, raft.Message{Type: raft.TimeoutNowRequest, To: 2, From: 1, Term: 1}, transport.FrameBytesMaxDefault)
	if err == nil {
		_, err = transport.DecodeMessage(frame, transport.FrameBytesMaxDefault)
	}
	if err != nil {
		t.Skipf("transport cannot carry TimeoutNowRequest (%v): transfers cannot complete over TCP", err)
	}
	goroutines := runtime.NumGoroutine()
	c := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := client.New(c.urls(), 1)
	require.NoError(t, err)
	require.NoError(t, cl.Put(ctx, "k", "before"))
	lead := c.leader(0)
	to := lead%3 + 1
	require.NoError(t, cl.Transfer(ctx, to))
	require.Eventually(t, func() bool { return c.leader(0) == to }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, cl.Put(ctx, "k", "after"))
	v, _, err := cl.Get(ctx, "k", kv.ReadIndex)
	require.NoError(t, err)
	assert.Equal(t, "after", v)
	cl.Close()
	c.close()
	assertNoLeak(t, goroutines)
}

func TestHTTPAnswersBadRequestsWithAMessage(t *testing.T) {
	c := startCluster(t, 1)
	base := c.servers[0].ClientURL()
	c.leader(0)
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"bad read mode", "GET", "/kv/k?mode=psychic", "", http.StatusBadRequest},
		{"bad cas body", "POST", "/kv/k/cas", "not json", http.StatusBadRequest},
		{"seq without client", "PUT", "/kv/k?seq=1", "v", http.StatusBadRequest},
		{"key too long", "PUT", "/kv/" + strings.Repeat("k", kv.KeyBytesMax+1), "v", http.StatusBadRequest},
		{"body over bodyBytesMax", "PUT", "/kv/k", strings.Repeat("v", bodyBytesMax+1), http.StatusRequestEntityTooLarge},
		{"value over ValueBytesMax", "PUT", "/kv/k", strings.Repeat("v", kv.ValueBytesMax+1), http.StatusBadRequest},
		{"transfer without target", "POST", "/admin/transfer", "", http.StatusBadRequest},
		{"expired session", "PUT", "/kv/k?client=77&seq=5", "v", http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var eb client.ErrorAnswer
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
			assert.Equal(t, tt.status, resp.StatusCode, "%+v", eb)
			assert.NotEmpty(t, eb.Error)
		})
	}
}

func TestRetryWithTheSameSessionAppliesOnce(t *testing.T) {
	c := startCluster(t, 1)
	base := c.servers[0].ClientURL()
	c.leader(0)
	for range 3 {
		req, err := http.NewRequest("POST", base+"/kv/k/append?client=9&seq=1", strings.NewReader("a"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	v, _ := c.lookup(1, "k")
	assert.Equal(t, "a", v)
}

func assertNoLeak(t *testing.T, before int) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
