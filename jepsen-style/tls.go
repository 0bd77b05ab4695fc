package jepsen

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/raftcheck/raftcheck/internal/certs"
	"github.com/raftcheck/raftcheck/transport"
)

// tlsValidity is how long the certificates of a run are valid; a run is
// bounded by Deadline, far below it.
const tlsValidity = 48 * time.Hour

// certAuthority is the CA of one run: it signs a certificate for each node
// as the node is first started, joiners included.
type certAuthority struct {
	*certs.CA
	dir    string
	caPath string
}

// newCertAuthority makes a CA for one run in dir.
func newCertAuthority(dir string) (*certAuthority, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	ca, err := certs.NewCA("raftjepsen CA", tlsValidity)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	caPath, err := ca.WriteCA(dir, "ca")
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &certAuthority{CA: ca, dir: dir, caPath: caPath}, nil
}

// issue writes node id's certificate and key and returns its raftkv TLS
// flags. The certificate names the node (transport.NodeURI), which raftkv
// holds to the id a peer claims, and every loopback address a node may
// have in the run (IDsMax of them): a node dials its peers through
// proxies on its own address, and verifies the peer's certificate against
// the host it dialed, which may be the address of a node that joins later.
func (ca *certAuthority) issue(id uint64) ([]string, error) {
	var ips []net.IP
	for other := range uint64(IDsMax) {
		ips = append(ips, net.ParseIP(host(other+1)))
	}
	c, err := ca.Issue(certs.Leaf{Name: fmt.Sprintf("node %d", id), Serial: int64(id) + 1, IPs: ips,
		URIs: []string{transport.NodeURI(id)}})
	if err != nil {
		return nil, fmt.Errorf("tls: node %d: %w", id, err)
	}
	certPath, keyPath, err := c.Write(ca.dir, fmt.Sprintf("n%d", id))
	if err != nil {
		return nil, fmt.Errorf("tls: node %d: %w", id, err)
	}
	return []string{"-tls-cert", certPath, "-tls-key", keyPath, "-tls-ca", ca.caPath}, nil
}
