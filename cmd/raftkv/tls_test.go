package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	path string // its certificate as PEM
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	path := filepath.Join(dir, name+"-ca.pem")
	writePEM(t, path, "CERTIFICATE", der)
	return &testCA{cert: cert, key: key, path: path}
}

// issue writes a certificate for 127.0.0.1 and its key, and returns the
// TLS flags that use them with trustedCA.
func (ca *testCA) issue(t *testing.T, dir, name string, serial int64, trustedCA string) []string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "PRIVATE KEY", keyDER)
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
		ca.issue(t, dir, "node1", 2, ca.path),
		ca.issue(t, dir, "node2", 3, ca.path),
		// Node 3 trusts the cluster's CA, but its own certificate is the
		// rogue CA's: only that makes the others refuse it.
		rogue.issue(t, dir, "node3", 2, ca.path),
	}
	cfgs, err := loopbackConfigs(3, dir)
	require.NoError(t, err)
	logs := make([]*syncLog, 3)
	var servers []*server
	defer func() {
		for _, s := range servers {
			assert.NoError(t, s.Close())
		}
	}()
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
		return strings.Contains(logs[0].String(), "tls") && strings.Contains(logs[1].String(), "tls")
	}, 5*time.Second, 20*time.Millisecond, "both refuse node 3's handshake")
	st, err := getStatus(servers[2].ClientURL())
	require.NoError(t, err)
	assert.Equal(t, uint64(0), st.Commit, "node 3 never took part: nothing it saw committed")
}

func TestTLSFlagsGoTogetherAndMustLoad(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "cluster")
	good := ca.issue(t, dir, "node1", 2, ca.path)
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
