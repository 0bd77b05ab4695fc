package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/raftcheck/raftcheck/transport"
)

// tlsFlags are the paths given by -tls-cert, -tls-key and -tls-ca.
type tlsFlags struct {
	cert, key, ca string
}

// errTLSFlags is wrapped when only some of the TLS flags are given.
var errTLSFlags = errors.New("-tls-cert, -tls-key and -tls-ca go together")

// config returns the mutual-TLS config of the Raft transport, or nil when
// no TLS flag is set. The same config serves both ends: a node presents
// its certificate when it dials and when it accepts, and requires one
// signed by the CA from every peer, so a node of another CA (or none) is
// refused at the handshake. Which node a certificate speaks for is
// checked after the handshake, by peerVerifier.
func (f tlsFlags) config() (*tls.Config, error) {
	if f == (tlsFlags{}) {
		return nil, nil
	}
	if f.cert == "" || f.key == "" || f.ca == "" {
		return nil, fmt.Errorf("%w: %w", errUsage, errTLSFlags)
	}
	cert, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return nil, fmt.Errorf("%w: -tls-cert %s, -tls-key %s: %v", errUsage, f.cert, f.key, err)
	}
	pem, err := os.ReadFile(f.ca)
	if err != nil {
		return nil, fmt.Errorf("%w: -tls-ca: %v", errUsage, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: -tls-ca %s: no PEM certificate in it", errUsage, f.ca)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// peerVerifier is the transport's VerifyPeer under mutual TLS: a peer's
// certificate must name the node ID its hello claims, as the URI SAN
// transport.NodeURI(id) ("raft://node/<id>"). Without it, any node with a
// certificate of the cluster's CA could claim to be any other: vote in its
// name, or answer for it as a leader. nil without TLS.
func peerVerifier(c *tls.Config) func(uint64, tls.ConnectionState) error {
	if c == nil {
		return nil
	}
	return transport.VerifyNodeURI
}
