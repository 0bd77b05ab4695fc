package main

import (
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	mrand "math/rand/v2"

	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/storage"
	"github.com/raftcheck/raftcheck/transport"
)

const (
	// tickIntervalDefault is the wall-clock length of one Raft tick.
	tickIntervalDefault = 100 * time.Millisecond
	// tickIntervalMin and tickIntervalMax bound -tick: shorter ticks
	// than a scheduler's slice make elections churn, longer ones make a
	// failover take minutes.
	tickIntervalMin = time.Millisecond
	tickIntervalMax = 10 * time.Second
	// electionTicks is the election timeout in ticks (1 s at the default
	// tick); heartbeatTicks is how often a leader sends heartbeats.
	electionTicks  = 10
	heartbeatTicks = 1
	// stepSubmitTimeout bounds how long a received message waits for room
	// in the node's inbox; after it the message is dropped (Raft copes
	// with loss, and a blocked handler would stall the peer's connection).
	stepSubmitTimeout = 50 * time.Millisecond
	// shutdownTimeout bounds how long Close waits for HTTP requests in
	// flight.
	shutdownTimeout = 2 * time.Second
)

// config configures one raftkv node.
type config struct {
	ID        uint64
	ClusterID uint64
	// Peers maps every member's id to its Raft address.
	Peers map[uint64]string
	// ClientPeers maps members' ids to their client addresses or URLs,
	// for redirects; it may be empty.
	ClientPeers map[uint64]string
	DataDir     string
	// ListenAddr and ClientAddr are where to listen for Raft and for
	// clients, unless RaftListener and ClientListener are set (tests pass
	// port-0 listeners, so peers know each other's addresses up front).
	ListenAddr, ClientAddr       string
	RaftListener, ClientListener net.Listener
	// TickInterval is the length of a tick (tickIntervalDefault if zero).
	TickInterval time.Duration
	// RequestTimeout bounds one client request (requestTimeoutDefault if
	// zero).
	RequestTimeout time.Duration
	// TLS, if set, secures the Raft transport with mutual TLS.
	TLS *tls.Config
	// FaultHooks enables the admin endpoints that inject faults (the
	// clock rate); off by default, as they let any client skew the node.
	FaultHooks bool
	// Join starts the node with no membership, to be added by a leader
	// (raft.Config.Join); -peers then only says where the others are.
	Join bool
	Logf func(format string, args ...any)
}

// server is one running raftkv node: storage, transport, the KV service on
// its node, and the HTTP API.
type server struct {
	cfg   config
	wal   *storage.WAL
	tr    *transport.Transport
	svc   *kv.Service
	clock *node.TickerClock
	http  *http.Server
	cln   net.Listener

	cancel  context.CancelFunc
	runDone chan struct{}
	runErr  error
	httpWG  sync.WaitGroup

	// oneOff numbers the one-off sessions of requests without a session.
	oneOff atomic.Uint64
	// oneOffBase makes one-off client ids unique across restarts and nodes.
	oneOffBase uint64

	closeOnce sync.Once
	closeErr  error
}

// startNode opens the node's storage, joins the transport, starts the node
// and serves the HTTP API. Close stops it all.
func startNode(cfg config) (_ *server, err error) {
	if cfg.TickInterval == 0 {
		cfg.TickInterval = tickIntervalDefault
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = requestTimeoutDefault
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &server{cfg: cfg, runDone: make(chan struct{}), oneOffBase: uint64(time.Now().UnixNano())}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if s.wal, err = storage.Open(cfg.DataDir, storage.Options{Logf: cfg.Logf}); err != nil {
		return nil, fmt.Errorf("open storage %s: %w", cfg.DataDir, err)
	}
	closers = append(closers, s.wal.Close)
	if r := s.wal.Recovery(); r.TornFile != "" || r.SnapshotFallback != "" {
		cfg.Logf("raftkv %d: storage recovery: %+v", cfg.ID, r)
	}

	var svcPtr atomic.Pointer[kv.Service]
	s.tr, err = transport.New(transport.Config{
		ClusterID:  cfg.ClusterID,
		ID:         cfg.ID,
		Peers:      cfg.Peers,
		Listener:   cfg.RaftListener,
		TLS:        cfg.TLS,
		VerifyPeer: peerVerifier(cfg.TLS),
		ListenAddr: cfg.ListenAddr,
		Handler: func(m raft.Message) {
			if svc := svcPtr.Load(); svc != nil {
				submitDrop(svc.Node(), func(n *node.Node) { _ = n.Step(m) })
			}
		},
		SnapshotDropped: func(to uint64) {
			if svc := svcPtr.Load(); svc != nil {
				submitDrop(svc.Node(), func(n *node.Node) { _ = n.ReportSnapshot(to, false) })
			}
		},
		Logf: cfg.Logf,
	})
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	closers = append(closers, s.tr.Close)

	s.svc, err = kv.NewService(kv.Config{Node: node.Config{
		Raft: raft.Config{
			ID:             cfg.ID,
			Voters:         bootstrapVoters(cfg),
			Join:           cfg.Join,
			ElectionTicks:  electionTicks,
			HeartbeatTicks: heartbeatTicks,
			PreVote:        true,
			CheckQuorum:    true,
			// A fresh seed at each start: a follower numbers its forwarded
			// reads from a random point, so answers to reads sent before a
			// restart are not taken for new ones.
			Rand: freshRand(),
		},
		Storage:   s.wal,
		Transport: s.tr,
	}})
	if err != nil {
		return nil, fmt.Errorf("kv service: %w", err)
	}
	svcPtr.Store(s.svc)

	s.cln = cfg.ClientListener
	if s.cln == nil {
		if s.cln, err = net.Listen("tcp", cfg.ClientAddr); err != nil {
			return nil, fmt.Errorf("client listen: %w", err)
		}
	}
	closers = append(closers, s.cln.Close)

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.clock = node.NewTickerClock(cfg.TickInterval)
	go func() {
		defer close(s.runDone)
		s.runErr = s.svc.Node().Run(ctx, s.clock)
	}()
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}
	s.httpWG.Add(1)
	go func() {
		defer s.httpWG.Done()
		_ = s.http.Serve(s.cln)
	}()
	return s, nil
}

// submitDrop hands fn to the node, or drops it when the node's inbox stays
// full for stepSubmitTimeout or the node stopped.
func submitDrop(n *node.Node, fn func(*node.Node)) {
	ctx, cancel := context.WithTimeout(context.Background(), stepSubmitTimeout)
	defer cancel()
	_ = n.Submit(ctx, fn)
}

// ClientURL returns the base URL of the HTTP API.
func (s *server) ClientURL() string { return "http://" + s.cln.Addr().String() }

// RaftAddr returns the address the transport listens on.
func (s *server) RaftAddr() string { return s.tr.Addr().String() }

// Done is closed when the node stopped.
func (s *server) Done() <-chan struct{} { return s.svc.Node().Done() }

// Err says why the node stopped.
func (s *server) Err() error { return s.svc.Node().Err() }

// Close stops the HTTP API, the node, the transport and the storage, in that
// order, and waits for their goroutines.
func (s *server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
		s.httpWG.Wait()
		s.cancel()
		<-s.runDone
		s.clock.Stop()
		var errs []error
		if s.runErr != nil && !errors.Is(s.runErr, context.Canceled) && !errors.Is(s.runErr, node.ErrStopped) {
			errs = append(errs, fmt.Errorf("node: %w", s.runErr))
		}
		if err := s.tr.Close(); err != nil {
			errs = append(errs, fmt.Errorf("transport: %w", err))
		}
		if err := s.wal.Close(); err != nil {
			errs = append(errs, fmt.Errorf("storage: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// clientURL returns the client URL of member id, or "" if unknown.
func (s *server) clientURL(id uint64) string {
	if id == s.cfg.ID {
		return s.ClientURL()
	}
	u := s.cfg.ClientPeers[id]
	if u != "" && !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return u
}

// devNodes is the size of the -dev cluster.
const devNodes = 3

// startDevCluster starts devNodes nodes on 127.0.0.1 port-0 listeners with
// data under dir.
func startDevCluster(dir string, logf func(string, ...any)) ([]*server, error) {
	cfgs, err := loopbackConfigs(devNodes, dir)
	if err != nil {
		return nil, err
	}
	var servers []*server
	for _, cfg := range cfgs {
		cfg.Logf = logf
		s, err := startNode(cfg)
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			for _, c := range cfgs[len(servers):] {
				_ = c.RaftListener.Close()
				_ = c.ClientListener.Close()
			}
			return nil, fmt.Errorf("node %d: %w", cfg.ID, err)
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// loopbackConfigs listens on port 0 of 127.0.0.1 for every node's Raft and
// client API, and returns configs that know all the addresses.
func loopbackConfigs(n int, dir string) ([]config, error) {
	cfgs := make([]config, n)
	peers := make(map[uint64]string)
	clientPeers := make(map[uint64]string)
	for i := range cfgs {
		rl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		cl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = rl.Close()
			return nil, err
		}
		id := uint64(i + 1)
		peers[id] = rl.Addr().String()
		clientPeers[id] = cl.Addr().String()
		cfgs[i] = config{
			ID: id, ClusterID: 1, Peers: peers, ClientPeers: clientPeers,
			DataDir:      fmt.Sprintf("%s/node%d", dir, id),
			RaftListener: rl, ClientListener: cl,
			ListenAddr: rl.Addr().String(), ClientAddr: cl.Addr().String(),
		}
	}
	return cfgs, nil
}

// runDev runs the -dev cluster until ctx ends.
func runDev(ctx context.Context, stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "raftkv-dev-")
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	servers, err := startDevCluster(dir, logf)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "raftkv: dev cluster of %d nodes, data in %s; interrupt to stop\n", devNodes, dir)
	for _, s := range servers {
		fmt.Fprintf(stdout, "node %d: %s\n", s.cfg.ID, s.ClientURL())
	}
	<-ctx.Done()
	status := 0
	for _, s := range servers {
		if err := s.Close(); err != nil {
			fmt.Fprintf(stderr, "raftkv: close node %d: %v\n", s.cfg.ID, err)
			status = 1
		}
	}
	return status
}

// freshRand returns a source seeded from the operating system's randomness.
func freshRand() *mrand.Rand {
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic("raftkv: no randomness from the operating system: " + err.Error())
	}
	return mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])))
}
