package jepsen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcheck/raftcheck/kv/client"
)

const (
	// NodesMax bounds the cluster size: every node gets its own loopback
	// address 127.0.0.(hostBase+id), and proxies grow as the square.
	NodesMax = 9
	// IDsMax bounds the node ids of a run, the nodes that join it later
	// included: ids are never reused (a removed node's id means that node,
	// to its old peers), so each join takes a new id and a new address.
	IDsMax = 64
	// hostBase is added to a node's id to make its loopback address.
	hostBase = 10
	// readyTimeout bounds how long a started node has to answer /status.
	readyTimeout = 15 * time.Second
	// statusTimeout bounds one /status request.
	statusTimeout = 500 * time.Millisecond
	// adminTimeout bounds one admin request: a fault hook, a transfer,
	// a peer address, a node's membership.
	adminTimeout = 4 * time.Second
	// exitTimeout bounds the wait for a killed process to be reaped.
	exitTimeout = 5 * time.Second
)

// ClusterConfig says how to start a cluster of raftkv processes.
type ClusterConfig struct {
	// Binary is the raftkv executable (see BuildRaftkv).
	Binary string
	// Nodes is the number of nodes, in [1, NodesMax].
	Nodes int
	// Dir holds each node's data directory and log file.
	Dir string
	// Tick is the nodes' -tick; zero keeps raftkv's default.
	Tick time.Duration
	// FaultHooks starts the nodes with -fault-hooks (needed by the clock
	// nemesis).
	FaultHooks bool
	// ExtraArgs are passed to every node.
	ExtraArgs []string
	// TLS runs the peers over mutual TLS, with a CA and certificates
	// made for this cluster in Dir/tls.
	TLS bool
}

// Cluster is a running set of raftkv processes on loopback whose Raft
// traffic goes through a Net of proxies. Nodes may join it (AddNode) and
// leave it (Retire) while it runs.
type Cluster struct {
	cfg  ClusterConfig
	net  *Net
	http *http.Client // for /status and the fault hooks
	// adm makes the admin calls kv/client has, each at one node: only its
	// one-node calls (AddPeer, TransferAt, MembershipAt) are used, so the
	// URLs it was made with are never followed.
	adm *client.Client
	ca  *certAuthority // nil without TLS
	// version counts the changes of the current nodes, so that clients
	// know when to pick up new client URLs.
	version atomic.Uint64

	mu    sync.Mutex
	nodes []*proc // by id-1: every node started in the run, retired ones too
}

// proc is one raftkv process, which may be killed and started again.
type proc struct {
	id                   uint64
	raftAddr, clientAddr string
	args                 []string
	logPath              string
	// peersAtStart are the peers its -peers names; it is told of the
	// others (/admin/peer) each time it starts.
	peersAtStart map[uint64]bool

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	retired bool // no longer a node of the cluster: never restarted
}

// BuildRaftkv builds cmd/raftkv into dir and returns the binary's path. It
// needs the go command and a working directory inside the module.
func BuildRaftkv(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "raftkv")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/raftcheck/raftcheck/cmd/raftkv")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build raftkv: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// StartCluster starts cfg.Nodes processes and waits until each answers.
// Node id listens on 127.0.0.(10+id); its peers' addresses in its -peers
// are the proxies of its outgoing links. Close it, whatever happens.
func StartCluster(ctx context.Context, cfg ClusterConfig) (_ *Cluster, err error) {
	if cfg.Nodes < 1 || cfg.Nodes > NodesMax {
		return nil, fmt.Errorf("cluster: %d nodes, want 1 to %d", cfg.Nodes, NodesMax)
	}
	c := &Cluster{cfg: cfg, net: &Net{proxies: make(map[Link]*proxy)},
		http: &http.Client{Timeout: adminTimeout}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if cfg.TLS {
		if c.ca, err = newCertAuthority(filepath.Join(cfg.Dir, "tls")); err != nil {
			return nil, err
		}
	}
	for range cfg.Nodes {
		if _, err := c.newProc(); err != nil {
			return nil, err
		}
	}
	if c.adm, err = client.New(c.ClientURLs(0), adminClientID); err != nil {
		return nil, err
	}
	for _, p := range c.nodes {
		if err := c.setArgs(p, false); err != nil {
			return nil, err
		}
		if err := c.start(p); err != nil {
			return nil, err
		}
	}
	for _, p := range c.nodes {
		if err := c.waitReady(ctx, p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// newProc makes the next node, with its addresses and a proxy each way to
// and from every current node, and adds it to the cluster, not started.
func (c *Cluster) newProc() (*proc, error) {
	c.mu.Lock()
	id := uint64(len(c.nodes) + 1)
	c.mu.Unlock()
	if id > IDsMax {
		return nil, fmt.Errorf("cluster: no node id left (at most %d in a run)", IDsMax)
	}
	p := &proc{id: id, logPath: filepath.Join(c.cfg.Dir, fmt.Sprintf("n%d.log", id))}
	var err error
	if p.raftAddr, err = freeAddr(host(id)); err != nil {
		return nil, err
	}
	if p.clientAddr, err = freeAddr(host(id)); err != nil {
		return nil, err
	}
	for _, q := range c.current() {
		for _, l := range []Link{{p.id, q.id}, {q.id, p.id}} {
			to := q.raftAddr
			if l[1] == p.id {
				to = p.raftAddr
			}
			px, err := newProxy(l, host(l[0]), to)
			if err != nil {
				return nil, err
			}
			c.net.add(px)
		}
	}
	c.mu.Lock()
	c.nodes = append(c.nodes, p)
	c.mu.Unlock()
	c.version.Add(1)
	return p, nil
}

// setArgs sets p's command line: -peers names p and every current node
// (through p's outgoing proxies), -client-peers their client addresses.
// A joiner starts with no membership (-join), on every start.
func (c *Cluster) setArgs(p *proc, join bool) error {
	peers := []string{fmt.Sprintf("%d=%s", p.id, p.raftAddr)}
	clientPeers := []string{fmt.Sprintf("%d=%s", p.id, p.clientAddr)}
	p.peersAtStart = map[uint64]bool{}
	for _, q := range c.current() {
		if q == p {
			continue
		}
		px := c.net.proxy(Link{p.id, q.id})
		if px == nil {
			return fmt.Errorf("cluster: no proxy %d->%d", p.id, q.id)
		}
		peers = append(peers, fmt.Sprintf("%d=%s", q.id, px.Addr()))
		clientPeers = append(clientPeers, fmt.Sprintf("%d=%s", q.id, q.clientAddr))
		p.peersAtStart[q.id] = true
	}
	p.args = []string{"-id", strconv.FormatUint(p.id, 10), "-peers", strings.Join(peers, ","),
		"-data", c.DataDir(p.id), "-client", p.clientAddr, "-client-peers", strings.Join(clientPeers, ",")}
	if join {
		p.args = append(p.args, "-join")
	}
	if c.cfg.Tick > 0 {
		p.args = append(p.args, "-tick", c.cfg.Tick.String())
	}
	if c.cfg.FaultHooks {
		p.args = append(p.args, "-fault-hooks")
	}
	if c.ca != nil {
		tlsArgs, err := c.ca.issue(p.id)
		if err != nil {
			return err
		}
		p.args = append(p.args, tlsArgs...)
	}
	p.args = append(p.args, c.cfg.ExtraArgs...)
	return nil
}

// current lists the nodes not retired, by id.
func (c *Cluster) current() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ps []*proc
	for _, p := range c.nodes {
		p.mu.Lock()
		if !p.retired {
			ps = append(ps, p)
		}
		p.mu.Unlock()
	}
	return ps
}

// AddNode starts a new node with -join (no membership: a leader must add
// it), with proxies to and from every current node, and waits until it
// answers. The others do not know its address yet: see Introduce.
func (c *Cluster) AddNode(ctx context.Context) (uint64, error) {
	p, err := c.newProc()
	if err != nil {
		return 0, err
	}
	if err = c.setArgs(p, true); err == nil {
		if err = c.start(p); err == nil {
			err = c.waitReady(ctx, p)
		}
	}
	if err != nil {
		_ = c.Retire(p.id)
		return 0, err
	}
	return p.id, nil
}

// Introduce tells every current node other than id where id's Raft port
// is (its proxy from that node): raftkv accepts and reaches only peers it
// knows, and every member that may lead must reach every other.
func (c *Cluster) Introduce(ctx context.Context, id uint64) error {
	var errs []error
	for _, q := range c.current() {
		if q.id == id {
			continue
		}
		if err := c.tell(ctx, q, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tell tells node q where node id's Raft port is.
func (c *Cluster) tell(ctx context.Context, q *proc, id uint64) error {
	px := c.net.proxy(Link{q.id, id})
	if px == nil {
		return fmt.Errorf("cluster: no proxy %d->%d", q.id, id)
	}
	return c.adminAt(ctx, q.id, func(ctx context.Context, u string) error { return c.adm.AddPeer(ctx, u, id, px.Addr()) })
}

// reintroduce tells node p, just started, of the current nodes its -peers
// does not name: what it was told before it lost with its process.
func (c *Cluster) reintroduce(ctx context.Context, p *proc) error {
	var errs []error
	for _, q := range c.current() {
		if q != p && !p.peersAtStart[q.id] {
			errs = append(errs, c.tell(ctx, p, q.id))
		}
	}
	return errors.Join(errs...)
}

// Retire takes node id out of the cluster: it is no longer among IDs and
// ClientURLs, and is never restarted. Its process, if running, keeps
// running (a removed node that sends stale messages) until killed.
func (c *Cluster) Retire(id uint64) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.retired = true
	p.mu.Unlock()
	c.version.Add(1)
	return nil
}

// Version changes whenever a node joins or retires.
func (c *Cluster) Version() uint64 { return c.version.Load() }

// host is node id's loopback address.
func host(id uint64) string { return fmt.Sprintf("127.0.0.%d", hostBase+id) }

// freeAddr returns an address on host with a port free just now. The port
// is released before the node binds it; another process could take it in
// between, and the node would then fail to start with a clear error.
func freeAddr(host string) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("cluster: find a free port on %s: %w", host, err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func (c *Cluster) start(p *proc) error {
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("node %d: log: %w", p.id, err)
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command(c.cfg.Binary, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("node %d: start: %w", p.id, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	return nil
}

// waitReady waits until node p answers /status, or fails if it exits.
func (c *Cluster) waitReady(ctx context.Context, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		if _, err := c.Status(ctx, p.id); err == nil {
			return nil
		}
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		select {
		case <-exited:
			return fmt.Errorf("node %d exited at start; see %s", p.id, p.logPath)
		case <-ctx.Done():
			return fmt.Errorf("node %d not ready: %w; see %s", p.id, ctx.Err(), p.logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Nodes is the number of current nodes (not retired).
func (c *Cluster) Nodes() int { return len(c.current()) }

// IDs lists the current nodes' ids, in order.
func (c *Cluster) IDs() []uint64 {
	var ids []uint64
	for _, p := range c.current() {
		ids = append(ids, p.id)
	}
	return ids
}

// Retired lists the ids of the retired nodes whose process still runs.
func (c *Cluster) Retired() []uint64 {
	c.mu.Lock()
	ps := slices.Clone(c.nodes)
	c.mu.Unlock()
	var ids []uint64
	for _, p := range ps {
		p.mu.Lock()
		if p.retired && p.cmd != nil {
			ids = append(ids, p.id)
		}
		p.mu.Unlock()
	}
	return ids
}

// Net is the cluster's proxies.
func (c *Cluster) Net() *Net { return c.net }

// ClientURLs are the base URLs of the current nodes' HTTP APIs, by id
// order; with first (if current) first.
func (c *Cluster) ClientURLs(first uint64) []string {
	var urls []string
	for _, p := range c.current() {
		u := "http://" + p.clientAddr
		if p.id == first {
			urls = append([]string{u}, urls...)
		} else {
			urls = append(urls, u)
		}
	}
	return urls
}

// DataDir is node id's data directory.
func (c *Cluster) DataDir(id uint64) string {
	return filepath.Join(c.cfg.Dir, fmt.Sprintf("n%d", id))
}

func (c *Cluster) node(id uint64) (*proc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < 1 || id > uint64(len(c.nodes)) {
		return nil, fmt.Errorf("no node %d among the %d of the run", id, len(c.nodes))
	}
	return c.nodes[id-1], nil
}

// Kill sends node id SIGKILL and waits until it is gone.
func (c *Cluster) Kill(id uint64) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Kill() // SIGKILL; it also ends a stopped process
	select {
	case <-exited:
	case <-time.After(exitTimeout):
		return fmt.Errorf("node %d: not gone %v after SIGKILL", id, exitTimeout)
	}
	p.mu.Lock()
	p.cmd = nil
	p.mu.Unlock()
	return nil
}

// Restart starts node id again, on its addresses and data directory, and
// waits until it answers; then tells it where the nodes that its -peers
// does not name are. A node still running is killed first; a retired node
// is not started.
func (c *Cluster) Restart(ctx context.Context, id uint64) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	if err := c.Kill(id); err != nil {
		return err
	}
	p.mu.Lock()
	retired := p.retired
	p.mu.Unlock()
	if retired {
		return fmt.Errorf("node %d is retired", id)
	}
	if err := c.start(p); err != nil {
		return err
	}
	if err := c.waitReady(ctx, p); err != nil {
		return err
	}
	return c.reintroduce(ctx, p)
}

// Running reports whether node id's process is up (paused or not).
func (c *Cluster) Running(id uint64) bool {
	p, err := c.node(id)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Pause stops node id with SIGSTOP.
func (c *Cluster) Pause(id uint64) error { return c.signal(id, true) }

// Resume continues node id with SIGCONT.
func (c *Cluster) Resume(id uint64) error { return c.signal(id, false) }

func (c *Cluster) signal(id uint64, stop bool) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("node %d is not running", id)
	}
	if stop {
		err = pause(p.cmd.Process)
	} else {
		err = resume(p.cmd.Process)
	}
	if err != nil {
		return fmt.Errorf("node %d: %w", id, err)
	}
	return nil
}

// Status is what a node's GET /status says.
type Status struct {
	ID     uint64 `json:"id"`
	Term   uint64 `json:"term"`
	Role   string `json:"role"`
	Leader uint64 `json:"leader"`
	Commit uint64 `json:"commit"`
}

// Status asks node id for its status.
func (c *Cluster) Status(ctx context.Context, id uint64) (Status, error) {
	var st Status
	err := c.admin(ctx, id, http.MethodGet, "/status", &st, statusTimeout)
	return st, err
}

// SetClockRate makes node id's clock run rate times as fast as real time
// (raftkv's fault hook; the cluster must have FaultHooks).
func (c *Cluster) SetClockRate(ctx context.Context, id uint64, rate float64) error {
	return c.admin(ctx, id, http.MethodPost, "/admin/fault/clock?rate="+strconv.FormatFloat(rate, 'f', -1, 64), nil, adminTimeout)
}

// Membership asks node id for the membership as it sees it.
func (c *Cluster) Membership(ctx context.Context, id uint64) (client.Membership, error) {
	var m client.Membership
	err := c.adminAt(ctx, id, func(ctx context.Context, u string) (err error) {
		m, err = c.adm.MembershipAt(ctx, u)
		return err
	})
	return m, err
}

// Transfer asks node from, which should lead, to hand leadership to to.
// Only from is asked, once: a node that no longer leads refuses.
func (c *Cluster) Transfer(ctx context.Context, from, to uint64) error {
	return c.adminAt(ctx, from, func(ctx context.Context, u string) error { return c.adm.TransferAt(ctx, u, to) })
}

// adminAt makes call, one kv/client call at node id's client URL u,
// within adminTimeout.
func (c *Cluster) adminAt(ctx context.Context, id uint64, call func(ctx context.Context, u string) error) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	if err := call(ctx, "http://"+p.clientAddr); err != nil {
		return fmt.Errorf("node %d: %w", id, err)
	}
	return nil
}

// admin makes one request to node id and decodes a 200 answer into out:
// for the calls kv/client does not make (/status, the fault hooks).
func (c *Cluster) admin(ctx context.Context, id uint64, method, path string, out any, timeout time.Duration) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+p.clientAddr+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("node %d: %s %s: %w", id, method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return fmt.Errorf("node %d: %s %s: HTTP %d: %s", id, method, path, resp.StatusCode, eb.Error)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Leader returns the current node that says it leads with the highest
// term, among those that answer, or 0.
// The nodes are asked at once, so a paused one costs one statusTimeout.
func (c *Cluster) Leader(ctx context.Context) (id, term uint64) {
	ps := c.current()
	sts := make([]Status, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, err := c.Status(ctx, p.id); err == nil {
				sts[i] = st
			}
		}()
	}
	wg.Wait()
	for _, st := range sts {
		if st.Role == "Leader" && st.Term >= term {
			id, term = st.ID, st.Term
		}
	}
	return id, term
}

// Close kills every node and stops the proxies. It is safe to call twice.
func (c *Cluster) Close() {
	c.mu.Lock()
	ps := slices.Clone(c.nodes)
	c.mu.Unlock()
	for _, p := range ps {
		// A process that will not die is reaped by the kernel's parent-
		// death signal when the runner exits; nothing more to do here.
		_ = c.Kill(p.id)
	}
	c.net.close()
	c.http.CloseIdleConnections()
	if c.adm != nil {
		c.adm.Close()
	}
}

// sortIDs sorts ids in place and returns them.
func sortIDs(ids []uint64) []uint64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
