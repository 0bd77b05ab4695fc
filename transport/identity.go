package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
)

// Node identity in certificates. Mutual TLS alone proves only that a peer
// holds some certificate of the cluster's CA; the hello then names the
// node it claims to be, and without a binding any member's certificate
// could claim any ID (and so vote or send entries as another node).
// NodeURI names a node in its certificate, and VerifyNodeURI, used as
// Config.VerifyPeer, holds the hello's ID to that name.

// nodeURIPrefix starts the URI SAN that names a node: "raft://node/7".
const nodeURIPrefix = "raft://node/"

// ErrPeerIdentity is wrapped when a peer's certificate does not name the
// node ID its hello claims.
var ErrPeerIdentity = errors.New("certificate does not name the peer's node ID")

// NodeURI is the URI subject alternative name that names node id in its
// certificate, "raft://node/<id>" (put it in x509.Certificate.URIs).
func NodeURI(id uint64) string { return nodeURIPrefix + strconv.FormatUint(id, 10) }

// VerifyNodeURI is a Config.VerifyPeer that accepts the peer only if its
// certificate names node id, and no other node, with NodeURI. A
// certificate naming two nodes is refused: one stolen key would then speak
// for both.
func VerifyNodeURI(id uint64, state tls.ConnectionState) error {
	if len(state.PeerCertificates) == 0 {
		return fmt.Errorf("%w: no certificate", ErrPeerIdentity)
	}
	var named []string
	for _, u := range state.PeerCertificates[0].URIs {
		if s := u.String(); len(s) > len(nodeURIPrefix) && s[:len(nodeURIPrefix)] == nodeURIPrefix {
			named = append(named, s)
		}
	}
	switch {
	case len(named) == 0:
		return fmt.Errorf("%w: node %d's certificate names no node (want URI %s)", ErrPeerIdentity, id, NodeURI(id))
	case len(named) > 1:
		return fmt.Errorf("%w: node %d's certificate names %d nodes %v; one certificate, one node", ErrPeerIdentity, id, len(named), named)
	case named[0] != NodeURI(id):
		return fmt.Errorf("%w: peer claims node %d, its certificate names %s", ErrPeerIdentity, id, named[0])
	}
	return nil
}
