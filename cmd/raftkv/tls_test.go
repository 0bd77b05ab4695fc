package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/certs"
	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
	"github.com/raftcheck/raftcheck/transport"
)

// testCA is a certificate authority made for one test, with its
// certificate written to path.
type testCA struct {
	*certs.CA
	path string
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	ca, err := certs.NewCA(name, time.Hour)
	require.NoError(t, err)
	path, err := ca.WriteCA(dir, name+"-ca")
	require.NoError(t, err)
	return &testCA{CA: ca, path: path}
}

// issue writes a certificate for 127.0.0.1 that names node id (none if 0)
// and its key, and returns the TLS flags that use them with trustedCA.
func (ca *testCA) issue(t *testing.T, dir, name string, id uint64, serial int64, trustedCA string) []string {
	t.Helper()
	leaf := certs.Leaf{Name: name, Serial: serial, IPs: []net.IP{net.ParseIP("127.0.0.1")}}
	if id != 0 {
		leaf.URIs = []string{transport.NodeURI(id)}
	}
	c, err := ca.Issue(leaf)
	require.NoError(t, err)
	certPath, keyPath, err := c.Write(dir, name)
	require.NoError(t, err)
	return []string{"-tls-cert", certPath, "-tls-key", keyPath, "-tls-ca", trustedCA}
}

// syncLog collects a node's log lines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestMutualTLSBetweenPeersRefusesACertificateOfAnotherCA(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := newTestCA(t, dir, "cluster"), newTestCA(t, dir, "rogue")
	tlsArgs := [][]string{
		ca.issue(t, dir, "node1", 1, 2, ca.path),
		ca.issue(t, dir, "node2", 2, 3, ca.path),
		// Node 3 trusts the cluster's CA, but its own certificate is the
		// rogue CA's: only that makes the others refuse it.
		rogue.issue(t, dir, "node3", 3, 2, ca.path),
	}
	servers, logs := startTLSCluster(t, dir, tlsArgs)
	requireQuorumOfTwoAndNodeThreeOut(t, servers, logs, "tls")
}

// startTLSCluster starts one node per tlsArgs on loopback, with those TLS
// flags, and closes them at the end of the test.
func startTLSCluster(t *testing.T, dir string, tlsArgs [][]string) ([]*server, []*syncLog) {
	t.Helper()
	cfgs, err := loopbackConfigs(len(tlsArgs), dir)
	require.NoError(t, err)
	logs := make([]*syncLog, len(cfgs))
	var servers []*server
	t.Cleanup(func() {
		for _, s := range servers {
			assert.NoError(t, s.Close())
		}
	})
	for i := range cfgs {
		args := append([]string{"-id", "1", "-peers", "1=127.0.0.1:1", "-data", dir, "-client", "127.0.0.1:1"}, tlsArgs[i]...)
		parsed, _, err := parseFlags(args, &bytes.Buffer{})
		require.NoError(t, err)
		require.NotNil(t, parsed.TLS)
		logs[i] = &syncLog{}
		cfgs[i].TLS, cfgs[i].TickInterval, cfgs[i].Logf = parsed.TLS, testTick, logs[i].logf
		s, err := startNode(cfgs[i])
		require.NoError(t, err)
		servers = append(servers, s)
	}
	return servers, logs
}

// requireQuorumOfTwoAndNodeThreeOut checks that nodes 1 and 2 serve a
// write over TLS, that both log refusing node 3 with refusal in the
// line, and that node 3 never saw anything committed.
func requireQuorumOfTwoAndNodeThreeOut(t *testing.T, servers []*server, logs []*syncLog, refusal string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := client.New([]string{servers[0].ClientURL(), servers[1].ClientURL()}, 1)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Put(ctx, "k", "over TLS"), "nodes 1 and 2 form a quorum over mutual TLS")
	v, _, err := cl.Get(ctx, "k", kv.ReadIndex)
	require.NoError(t, err)
	assert.Equal(t, "over TLS", v)

	assert.Eventually(t, func() bool {
		return strings.Contains(logs[0].String(), refusal) && strings.Contains(logs[1].String(), refusal)
	}, 5*time.Second, 20*time.Millisecond, "both refuse node 3")
	st, err := getStatus(servers[2].ClientURL())
	require.NoError(t, err)
	assert.Equal(t, uint64(0), st.Commit, "node 3 never took part: nothing it saw committed")
}

// TestPeerWithACertificateOfTheClusterCAForAnotherNodeIsRefused: node 3's
// certificate is signed by the cluster's CA, so the TLS handshake passes,
// but it names node 1. Nodes 1 and 2 refuse it once its hello claims 3.
func TestPeerWithACertificateOfTheClusterCAForAnotherNodeIsRefused(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "cluster")
	servers, logs := startTLSCluster(t, dir, [][]string{
		ca.issue(t, dir, "node1", 1, 2, ca.path),
		ca.issue(t, dir, "node2", 2, 3, ca.path),
		ca.issue(t, dir, "node3", 1, 4, ca.path),
	})
	requireQuorumOfTwoAndNodeThreeOut(t, servers, logs, "peer 3 failed verification: "+transport.ErrPeerIdentity.Error())
	assert.NotContains(t, logs[0].String()+logs[1].String(), "tls handshake", "the handshake itself passed: the CA signed it")
}

// TestPeerWhoseCertificateNamesNoNodeIsRefused: a certificate of the
// cluster's CA with no raft://node/<id> name speaks for no node.
func TestPeerWhoseCertificateNamesNoNodeIsRefused(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "cluster")
	servers, logs := startTLSCluster(t, dir, [][]string{
		ca.issue(t, dir, "node1", 1, 2, ca.path),
		ca.issue(t, dir, "node2", 2, 3, ca.path),
		ca.issue(t, dir, "node3", 0, 4, ca.path),
	})
	requireQuorumOfTwoAndNodeThreeOut(t, servers, logs, "names no node")
}

func TestTLSFlagsGoTogetherAndMustLoad(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "cluster")
	good := ca.issue(t, dir, "node1", 1, 2, ca.path)
	base := []string{"-id", "1", "-peers", "1=127.0.0.1:7001", "-data", dir, "-client", "127.0.0.1:8001"}
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"cert alone", good[:2], "go together"},
		{"no ca", good[:4], "go together"},
		{"missing key file", []string{"-tls-cert", good[1], "-tls-key", filepath.Join(dir, "nope"), "-tls-ca", ca.path}, "-tls-key"},
		{"ca without a certificate", []string{"-tls-cert", good[1], "-tls-key", good[3], "-tls-ca", garbage}, "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 2, run(append(base, tt.args...), &stdout, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
	cfg, _, err := parseFlags(append(base, good...), &bytes.Buffer{})
	require.NoError(t, err)
	assert.NotNil(t, cfg.TLS)
	cfg, _, err = parseFlags(base, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Nil(t, cfg.TLS, "no TLS flag, no TLS")
}
