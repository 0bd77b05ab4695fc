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
	"os"
	"path/filepath"
	"time"
)

// tlsValidity is how long the certificates of a run are valid; a run is
// bounded by Deadline, far below it.
const tlsValidity = 48 * time.Hour

// writeTLS makes a CA for one run in dir and a certificate per node signed
// by it, and returns each node's raftkv TLS flags by id-1. Every
// certificate names every node's loopback address: a node dials its peers
// through proxies on its own address, and verifies the peer's certificate
// against the host it dialed.
func writeTLS(dir string, nodes int) ([][]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raftjepsen CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(tlsValidity),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := writePEM(caPath, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	var ips []net.IP
	for id := range uint64(nodes) {
		ips = append(ips, net.ParseIP(host(id+1)))
	}
	args := make([][]string, nodes)
	for i := range nodes {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: fmt.Sprintf("node %d", i+1)},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(tlsValidity),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, fmt.Errorf("tls: node %d: %w", i+1, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("tls: node %d: %w", i+1, err)
		}
		certPath := filepath.Join(dir, fmt.Sprintf("n%d.pem", i+1))
		keyPath := filepath.Join(dir, fmt.Sprintf("n%d-key.pem", i+1))
		if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
			return nil, err
		}
		if err := writePEM(keyPath, "PRIVATE KEY", keyDER); err != nil {
			return nil, err
		}
		args[i] = []string{"-tls-cert", certPath, "-tls-key", keyPath, "-tls-ca", caPath}
	}
	return args, nil
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	return nil
}
