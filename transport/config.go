package transport

import (
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/raftcheck/raftcheck/raft"
)

// Defaults for the limits of Config. Each bounds a resource a peer, slow
// or hostile, could otherwise make us spend without end.
const (
	// QueueLenDefault is the default length of a peer's send queue.
	QueueLenDefault = 4096
	// RedialDelayMinDefault is the default first wait before redialing.
	RedialDelayMinDefault = 20 * time.Millisecond
	// RedialDelayMaxDefault is the default cap of the redial backoff.
	RedialDelayMaxDefault = 2 * time.Second
	// HandshakeTimeoutDefault is the default time a connection has to
	// complete TLS and the hello exchange.
	HandshakeTimeoutDefault = 5 * time.Second
	// WriteTimeoutDefault is the default time one flush to a peer may take
	// before the connection is dropped as stuck and redialed.
	WriteTimeoutDefault = 10 * time.Second
	// HandshakesPendingMaxDefault is the default number of inbound
	// connections that may be in their handshake at once.
	HandshakesPendingMaxDefault = 64
)

// Config configures a Transport. Zero limits take their defaults.
type Config struct {
	// ClusterID identifies the cluster. A peer that presents another one
	// is refused, so two clusters on one network never exchange messages.
	ClusterID uint64
	// ID is this node's ID. It must not be raft.None.
	ID uint64
	// Peers maps the IDs of the other nodes to their addresses. Only these
	// IDs are accepted on inbound connections. An entry for ID itself is
	// ignored, so the whole membership may be passed. Use AddPeer and
	// RemovePeer for changes later.
	Peers map[uint64]string
	// Listener, if set, is where inbound connections are accepted. It is
	// closed by Close. Otherwise ListenAddr is listened on with TCP.
	Listener net.Listener
	// ListenAddr is the TCP address to listen on when Listener is nil.
	ListenAddr string
	// Handler receives every message that arrives, on the goroutine of its
	// connection: calls for different peers run concurrently, those of one
	// peer in order. It must not block for long (hand the message to the
	// node with Submit): a blocked handler stalls that peer's connection.
	// The message's slices are its own; the Handler may keep them.
	Handler func(raft.Message)
	// SnapshotDropped, if set, is called with the destination of an
	// InstallSnapshotRequest that was not sent, so the node can be told
	// with ReportSnapshot(to, false) and the leader retries at once.
	SnapshotDropped func(to uint64)
	// TLS, if set, secures every connection. For mutual TLS, set
	// Certificates, RootCAs, ClientCAs and ClientAuth to
	// tls.RequireAndVerifyClientCert: the same config serves both ends.
	TLS *tls.Config
	// VerifyPeer, if set with TLS, is called on both ends of a connection
	// once the hello names the peer, with the peer's TLS state; an error
	// refuses the connection. Without it, any certificate the CA signed may
	// claim any node ID: use it to bind certificates to IDs.
	VerifyPeer func(id uint64, state tls.ConnectionState) error
	// Logf, if set, receives the reasons connections are refused or lost.
	// It is called from many goroutines at once.
	Logf func(format string, args ...any)

	// FrameBytesMax limits a frame's body, both sent and received.
	FrameBytesMax int
	// QueueLen bounds each peer's send queue. When it is full, Send drops
	// the message and counts it: Raft tolerates loss, not unbounded memory.
	QueueLen int
	// RedialDelayMin and RedialDelayMax bound the exponential backoff
	// between attempts to reach a peer.
	RedialDelayMin, RedialDelayMax time.Duration
	// HandshakeTimeout bounds the TLS and hello exchange of a connection.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one flush to a peer, after which the connection
	// is taken as stuck and redialed. It must cover writing the largest
	// frame (a snapshot) at the slowest link speed expected.
	WriteTimeout time.Duration
	// HandshakesPendingMax bounds inbound connections in their handshake;
	// more are closed at once.
	HandshakesPendingMax int
}

// errConfig is wrapped by the errors New returns for a bad Config.
var errConfig = errors.New("transport: bad config")

func (c Config) withDefaults() Config {
	setDefault(&c.FrameBytesMax, FrameBytesMaxDefault)
	setDefault(&c.QueueLen, QueueLenDefault)
	setDefault(&c.RedialDelayMin, RedialDelayMinDefault)
	setDefault(&c.RedialDelayMax, RedialDelayMaxDefault)
	setDefault(&c.HandshakeTimeout, HandshakeTimeoutDefault)
	setDefault(&c.WriteTimeout, WriteTimeoutDefault)
	setDefault(&c.HandshakesPendingMax, HandshakesPendingMaxDefault)
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func (c Config) validate() error {
	switch {
	case c.ID == raft.None:
		return errors.Join(errConfig, errors.New("ID is raft.None"))
	case c.Handler == nil:
		return errors.Join(errConfig, errors.New("no Handler"))
	case c.FrameBytesMax < helloBytes || c.FrameBytesMax > maxU32:
		return errors.Join(errConfig, errors.New("FrameBytesMax out of range"))
	case c.QueueLen < 0 || c.RedialDelayMin < 0 || c.RedialDelayMax < c.RedialDelayMin:
		return errors.Join(errConfig, errors.New("negative limit or RedialDelayMax < RedialDelayMin"))
	case c.Listener == nil && c.ListenAddr == "":
		return errors.Join(errConfig, errors.New("neither Listener nor ListenAddr"))
	}
	return nil
}
