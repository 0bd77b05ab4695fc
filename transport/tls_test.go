package transport

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/certs"
	"github.com/raftcheck/raftcheck/raft"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	*certs.CA
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	ca, err := certs.NewCA(name, time.Hour)
	require.NoError(t, err)
	return &testCA{CA: ca, pool: ca.Pool()}
}

// issue makes a certificate for a node on 127.0.0.1, good for both ends of
// a connection.
func (ca *testCA) issue(t *testing.T, name string, serial int64) tls.Certificate {
	t.Helper()
	c, err := ca.Issue(certs.Leaf{Name: name, Serial: serial, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	require.NoError(t, err)
	return c.TLS
}

// mutualTLS is the config of a node that presents cert and trusts ca, as
// client and as server.
func mutualTLS(ca *testCA, cert *tls.Certificate) *tls.Config {
	c := &tls.Config{
		RootCAs:    ca.pool,
		ClientCAs:  ca.pool,
		ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS13,
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c
}

func TestMutualTLSRefusesPeerWithoutValidClientCert(t *testing.T) {
	checkNoGoroutineLeak(t)
	ca, rogue := newTestCA(t, "cluster CA"), newTestCA(t, "rogue CA")
	certA, certB, certRogue := ca.issue(t, "node 1", 2), ca.issue(t, "node 2", 3), rogue.issue(t, "node 4", 2)
	withTLS := func(c *tls.Config) func(*Config) { return func(cfg *Config) { cfg.TLS = c } }

	a := newNode(t, 7, 1, withTLS(mutualTLS(ca, &certA)))
	b := newNode(t, 7, 2, withTLS(mutualTLS(ca, &certB)))
	noCert := newNode(t, 7, 3, withTLS(mutualTLS(ca, nil)))
	// The rogue trusts our CA, so only its client certificate is wrong.
	rogueCfg := mutualTLS(ca, &certRogue)
	imposter := newNode(t, 7, 4, withTLS(rogueCfg))
	connectAll(a, b, noCert, imposter)

	got := deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 1, Commit: 3})
	assert.Equal(t, uint64(3), got.Commit)

	noCert.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 3, To: 2}})
	imposter.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 4, To: 2}})
	eventually(t, "both refused", func() bool { return b.log.count("tls handshake") >= 2 })
	eventually(t, "the dialer logs its failure too", func() bool { return noCert.log.has("peer 2") })

	// Plain TCP to a TLS transport is refused as well.
	c, err := net.Dial("tcp", b.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitMax)))
	_, err = c.Write(appendHello(nil, hello{ClusterID: 7, From: 1, To: 2}))
	require.NoError(t, err)
	requireClosedByPeer(t, c)

	_, ok := b.rec.find(func(m raft.Message) bool { return m.From == 3 || m.From == 4 })
	assert.False(t, ok, "a message got through without a valid client certificate")
}

func TestVerifyPeerBindsCertificatesToNodeIDs(t *testing.T) {
	checkNoGoroutineLeak(t)
	ca := newTestCA(t, "cluster CA")
	// Each certificate names its node; VerifyPeer holds the name to the ID
	// the hello claims.
	verify := func(id uint64, cs tls.ConnectionState) error {
		if want := fmt.Sprintf("node %d", id); cs.PeerCertificates[0].Subject.CommonName != want {
			return fmt.Errorf("certificate of %q, want %q", cs.PeerCertificates[0].Subject.CommonName, want)
		}
		return nil
	}
	certA, certB := ca.issue(t, "node 1", 2), ca.issue(t, "node 2", 3)
	stolen := ca.issue(t, "node 1", 4) // node 3 presents node 1's name
	with := func(cert *tls.Certificate) func(*Config) {
		return func(c *Config) { c.TLS = mutualTLS(ca, cert); c.VerifyPeer = verify }
	}
	a, b, c := newNode(t, 7, 1, with(&certA)), newNode(t, 7, 2, with(&certB)), newNode(t, 7, 3, with(&stolen))
	connectAll(a, b, c)
	deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 1})
	c.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 3, To: 2}})
	eventually(t, "refusal logged", func() bool { return b.log.has("peer 3 failed verification") })
	_, ok := b.rec.find(func(m raft.Message) bool { return m.From == 3 })
	assert.False(t, ok)
}
