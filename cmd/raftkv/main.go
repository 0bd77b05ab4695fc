// Command raftkv is a replicated key-value server built from node/, kv/,
// storage/ and transport/. Each process is one member of a Raft group; it
// speaks Raft to its peers over TCP (-listen) and serves clients over
// HTTP/JSON (-client).
//
// Usage:
//
//	raftkv -id 1 -peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003 \
//	       -data /var/lib/raftkv/1 -client 127.0.0.1:8001 \
//	       -client-peers 1=127.0.0.1:8001,2=127.0.0.1:8002,3=127.0.0.1:8003
//	raftkv -dev    # a local 3-node cluster in one process, on loopback
//
// With -tls-cert, -tls-key and -tls-ca, peers speak mutual TLS: each
// presents its certificate and accepts only peers whose certificate the CA
// signed. A certificate must name the host a peer dials (its IP address in
// -peers), and the node it belongs to, as the URI SAN raft://node/<id>:
// a peer whose certificate names another node is refused. The client API
// stays plain HTTP.
//
// -listen defaults to this node's address in -peers. -client-peers is
// optional: with it, a follower's not-leader answer names the leader's client
// URL, so a client can go there at once; without it, only the leader's id.
//
// # HTTP API
//
//	GET    /kv/{key}?mode=readindex        read (mode: log, readindex, lease, follower; default readindex)
//	PUT    /kv/{key}                       body is the value
//	POST   /kv/{key}/append                body is appended
//	POST   /kv/{key}/cas                   body {"expected": "...", "value": "..."}
//	DELETE /kv/{key}
//	POST   /admin/transfer?to=N            hand leadership to node N (on the leader)
//	GET    /admin/membership               members, and on the leader each one's Match
//	POST   /admin/add-learner?id=N&addr=A  membership changes (see admin.go for all of them)
//	POST   /admin/fault/clock?rate=R       only with -fault-hooks: run this node's clock R times as fast
//	GET    /status
//
// Writes take ?client=C&seq=S for exactly-once retries: a retry with the
// same client and seq is answered with the first result and does not take
// effect twice. Without them, the server uses a fresh one-off session, and
// a retry after an unknown outcome may apply twice.
//
// Answers are JSON. Success is 200 with {"value", "found", "ok"}. Errors are
// {"error", "code", "leader", "leader_url"} with: 421 not_leader (go to
// leader_url if set), 400 bad_request, 413 too_large (body over
// bodyBytesMax or value over kv.ValueBytesMax), 409 session (stale
// sequence or expired session), 503 outcome_unknown (retry with the same
// client and seq) or retry (nothing happened; retry), 500 internal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks flag errors, which exit with status 2.
var errUsage = errors.New("usage")

// run is the whole command; it returns the exit status: 0 after a clean
// stop, 1 when the server failed, 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, dev, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dev {
		return runDev(ctx, stdout, stderr)
	}
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	s, err := startNode(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "raftkv: node %d serving clients on %s\n", cfg.ID, s.ClientURL())
	return waitAndClose(ctx, s, stderr)
}

// waitAndClose waits until ctx ends or the node stops, then closes s.
func waitAndClose(ctx context.Context, s *server, stderr io.Writer) int {
	status := 0
	select {
	case <-ctx.Done():
	case <-s.Done():
		fmt.Fprintf(stderr, "raftkv: node %d stopped: %v\n", s.cfg.ID, s.Err())
		status = 1
	}
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "raftkv: close: %v\n", err)
		status = 1
	}
	return status
}

func parseFlags(args []string, stderr io.Writer) (config, bool, error) {
	fs := flag.NewFlagSet("raftkv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg                             config
		peers, clientPeers, clusterFlag string
		dev                             bool
		tlsf                            tlsFlags
	)
	fs.Uint64Var(&cfg.ID, "id", 0, "this node's id (> 0, a key of -peers)")
	fs.StringVar(&peers, "peers", "", "Raft addresses of all members: 1=host:port,2=host:port,...")
	fs.StringVar(&cfg.DataDir, "data", "", "directory for the durable log and snapshots")
	fs.StringVar(&cfg.ListenAddr, "listen", "", "Raft listen address (default: this node's address in -peers)")
	fs.StringVar(&cfg.ClientAddr, "client", "", "HTTP client API listen address")
	fs.StringVar(&clientPeers, "client-peers", "", "optional client URLs of members, for redirects: 1=host:port,...")
	fs.StringVar(&clusterFlag, "cluster", "1", "cluster id (> 0); peers of another cluster are refused")
	fs.DurationVar(&cfg.TickInterval, "tick", tickIntervalDefault, "length of a Raft tick (election timeout is 10 ticks)")
	fs.BoolVar(&cfg.FaultHooks, "fault-hooks", false, "serve fault-injection admin endpoints (POST /admin/fault/clock?rate=R); for tests only")
	fs.StringVar(&tlsf.cert, "tls-cert", "", "PEM certificate this node presents to its peers (mutual TLS between peers; with -tls-key and -tls-ca)")
	fs.StringVar(&tlsf.key, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&tlsf.ca, "tls-ca", "", "PEM certificate(s) of the CA that signs every peer's certificate; peers without one are refused")
	fs.BoolVar(&cfg.Join, "join", false, "start as a new node with no membership, to be added by the leader (POST /admin/add-learner); keep it on restarts")
	fs.BoolVar(&dev, "dev", false, "start a local 3-node cluster in this process and print its client URLs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, false, err
		}
		return cfg, false, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if dev {
		if fs.NFlag() > 1 {
			return cfg, false, fmt.Errorf("%w: -dev takes no other flags", errUsage)
		}
		return cfg, true, nil
	}
	var err error
	if cfg.ClusterID, err = strconv.ParseUint(clusterFlag, 10, 64); err != nil || cfg.ClusterID == 0 {
		return cfg, false, fmt.Errorf("%w: -cluster %q: want an integer > 0", errUsage, clusterFlag)
	}
	if cfg.Peers, err = parseIDMap("-peers", peers); err != nil {
		return cfg, false, err
	}
	if cfg.ClientPeers, err = parseIDMap("-client-peers", clientPeers); err != nil {
		return cfg, false, err
	}
	switch {
	case cfg.ID == 0:
		return cfg, false, fmt.Errorf("%w: -id is required and must be > 0", errUsage)
	case len(cfg.Peers) == 0:
		return cfg, false, fmt.Errorf("%w: -peers is required", errUsage)
	case cfg.Peers[cfg.ID] == "":
		return cfg, false, fmt.Errorf("%w: -peers does not name -id %d", errUsage, cfg.ID)
	case cfg.DataDir == "":
		return cfg, false, fmt.Errorf("%w: -data is required", errUsage)
	case cfg.ClientAddr == "":
		return cfg, false, fmt.Errorf("%w: -client is required", errUsage)
	case cfg.TickInterval < tickIntervalMin || cfg.TickInterval > tickIntervalMax:
		return cfg, false, fmt.Errorf("%w: -tick %v outside [%v, %v]", errUsage, cfg.TickInterval, tickIntervalMin, tickIntervalMax)
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = cfg.Peers[cfg.ID]
	}
	if cfg.TLS, err = tlsf.config(); err != nil {
		return cfg, false, err
	}
	for _, a := range []string{cfg.ListenAddr, cfg.ClientAddr} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return cfg, false, fmt.Errorf("%w: address %q: %v", errUsage, a, err)
		}
	}
	return cfg, false, nil
}

// parseIDMap parses "1=addr,2=addr". An empty string is an empty map.
func parseIDMap(name, s string) (map[uint64]string, error) {
	m := make(map[uint64]string)
	if s == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		idStr, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || id == 0 || addr == "" {
			return nil, fmt.Errorf("%w: %s: %q is not id=address with id > 0", errUsage, name, part)
		}
		if _, dup := m[id]; dup {
			return nil, fmt.Errorf("%w: %s: id %d given twice", errUsage, name, id)
		}
		m[id] = addr
	}
	return m, nil
}

// sortedIDs returns m's keys in increasing order.
func sortedIDs[V any](m map[uint64]V) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
