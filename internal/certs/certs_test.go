package certs

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIssuedCertificateVerifiesAgainstItsCAOnly(t *testing.T) {
	ca, err := NewCA("test CA", time.Hour)
	require.NoError(t, err)
	other, err := NewCA("other CA", time.Hour)
	require.NoError(t, err)
	c, err := ca.Issue(Leaf{Name: "node 7", Serial: 2, IPs: []net.IP{net.ParseIP("127.0.0.7")}, URIs: []string{"raft://node/7"}})
	require.NoError(t, err)

	leaf, err := x509.ParseCertificate(c.TLS.Certificate[0])
	require.NoError(t, err)
	opts := x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	_, err = leaf.Verify(opts)
	require.NoError(t, err)
	opts.Roots = other.Pool()
	_, err = leaf.Verify(opts)
	require.Error(t, err, "another CA does not vouch for it")
	require.NoError(t, leaf.VerifyHostname("127.0.0.7"))
	require.Len(t, leaf.URIs, 1)
	assert.Equal(t, "raft://node/7", leaf.URIs[0].String())

	dir := t.TempDir()
	certPath, keyPath, err := c.Write(dir, "n7")
	require.NoError(t, err)
	caPath, err := ca.WriteCA(dir, "ca")
	require.NoError(t, err)
	for _, p := range []string{certPath, keyPath, caPath} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		blk, _ := pem.Decode(b)
		require.NotNil(t, blk, p)
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
	_, err = ca.Issue(Leaf{Name: "bad", Serial: 3, URIs: []string{"%zz"}})
	require.Error(t, err, "a URI that does not parse")
}
