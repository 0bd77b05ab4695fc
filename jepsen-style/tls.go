package jepsen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/raftcheck/raftcheck/transport"
)

// tlsValidity is how long the certificates of a run are valid; a run is
// bounded by Deadline, far below it.
const tlsValidity = 48 * time.Hour

// certAuthority is the CA of one run: it signs a certificate for each node
// as the node is first started, joiners included.
type certAuthority struct {
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	caPath string
}

// newCertAuthority makes a CA for one run in dir.
func newCertAuthority(dir string) (*certAuthority, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raftjepsen CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(tlsValidity),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	ca := &certAuthority{dir: dir, cert: cert, key: key, caPath: filepath.Join(dir, "ca.pem")}
	return ca, writePEM(ca.caPath, "CERTIFICATE", der)
}

// issue writes node id's certificate and key and returns its raftkv TLS
// flags. The certificate names the node (transport.NodeURI), which raftkv
// holds to the id a peer claims, and every loopback address a node may
// have in the run (IDsMax of them): a node dials its peers through
// proxies on its own address, and verifies the peer's certificate against
// the host it dialed, which may be the address of a node that joins later.
func (ca *certAuthority) issue(id uint64) ([]string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	var ips []net.IP
	for other := range uint64(IDsMax) {
		ips = append(ips, net.ParseIP(host(other+1)))
	}
	uri, err := url.Parse(transport.NodeURI(id))
	if err != nil {
		return nil, fmt.Errorf("tls: node %d: %w", id, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetUint64(id + 1), Subject: pkix.Name{CommonName: fmt.Sprintf("node %d", id)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(tlsValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: ips, URIs: []*url.URL{uri},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("tls: node %d: %w", id, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tls: node %d: %w", id, err)
	}
	certPath := filepath.Join(ca.dir, fmt.Sprintf("n%d.pem", id))
	keyPath := filepath.Join(ca.dir, fmt.Sprintf("n%d-key.pem", id))
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	if err := writePEM(keyPath, "PRIVATE KEY", keyDER); err != nil {
		return nil, err
	}
	return []string{"-tls-cert", certPath, "-tls-key", keyPath, "-tls-ca", ca.caPath}, nil
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	return nil
}
