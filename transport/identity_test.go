package transport

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/internal/certs"
	"github.com/raftcheck/raftcheck/raft"
)

// issueNamed makes a certificate of ca for 127.0.0.1 whose URI SANs are
// uris.
func (ca *testCA) issueNamed(t *testing.T, serial int64, uris ...string) tls.Certificate {
	t.Helper()
	c, err := ca.Issue(certs.Leaf{Name: "peer", Serial: serial, IPs: []net.IP{net.ParseIP("127.0.0.1")}, URIs: uris})
	require.NoError(t, err)
	return c.TLS
}

func TestVerifyNodeURIAcceptsOnlyTheCertificateOfTheClaimedNode(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	state := func(cert tls.Certificate) tls.ConnectionState {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		require.NoError(t, err)
		return tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	}
	tests := []struct {
		name string
		uris []string
		want string // "" accepts
	}{
		{"its own node", []string{NodeURI(7)}, ""},
		{"its own node among other URIs", []string{"spiffe://cluster/raft", NodeURI(7)}, ""},
		{"another node", []string{NodeURI(3)}, "claims node 7, its certificate names raft://node/3"},
		{"a longer id sharing the prefix", []string{NodeURI(70)}, "names raft://node/70"},
		{"no node", nil, "names no node"},
		{"only other URIs", []string{"spiffe://cluster/node/7"}, "names no node"},
		{"two nodes", []string{NodeURI(7), NodeURI(8)}, "names 2 nodes"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyNodeURI(7, state(ca.issueNamed(t, int64(i+2), tt.uris...)))
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrPeerIdentity)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.ErrorIs(t, VerifyNodeURI(7, tls.ConnectionState{}), ErrPeerIdentity, "no certificate at all")
	assert.Equal(t, "raft://node/7", NodeURI(7))
}

// TestPeerWithAValidCertificateOfAnotherNodeIsRefused: node 3 holds a
// certificate the cluster's CA signed, but for node 1. Both ends refuse
// it: node 2 when node 3 dials in, and node 2 when it dials node 3.
func TestPeerWithAValidCertificateOfAnotherNodeIsRefused(t *testing.T) {
	checkNoGoroutineLeak(t)
	ca := newTestCA(t, "cluster CA")
	certs := []tls.Certificate{
		ca.issueNamed(t, 2, NodeURI(1)), ca.issueNamed(t, 3, NodeURI(2)),
		ca.issueNamed(t, 4, NodeURI(1)), // node 3 presents a certificate of node 1
	}
	nodes := make([]*node, len(certs))
	for i := range certs {
		nodes[i] = newNode(t, 7, uint64(i+1), func(c *Config) {
			c.TLS, c.VerifyPeer = mutualTLS(ca, &certs[i]), VerifyNodeURI
		})
	}
	a, b, imposter := nodes[0], nodes[1], nodes[2]
	connectAll(a, b, imposter)
	deliver(t, a, b, raft.Message{Type: raft.HeartbeatRequest, Seq: 1})

	// Inbound: the imposter dials node 2 as node 3.
	imposter.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 3, To: 2}})
	eventually(t, "node 2 refuses node 3's connection", func() bool {
		return b.log.has("refused connection from 127.0.0.1") && b.log.has("peer 3 failed verification: "+ErrPeerIdentity.Error())
	})
	// Outbound: node 2 dials node 3 and finds node 1's certificate there.
	b.Send([]raft.Message{{Type: raft.HeartbeatRequest, From: 2, To: 3}})
	eventually(t, "node 2's dial to node 3 is refused", func() bool {
		for _, line := range strings.Split(b.log.String(), "\n") {
			if strings.HasPrefix(line, "transport 2: peer 3: handshake with") && strings.Contains(line, "failed verification") {
				return true
			}
		}
		return false
	})
	_, ok := b.rec.find(func(m raft.Message) bool { return m.From == 3 })
	assert.False(t, ok, "node 2 took a message from the imposter")
	_, ok = imposter.rec.find(func(m raft.Message) bool { return m.From == 2 })
	assert.False(t, ok, "node 2 sent to the imposter")
}
