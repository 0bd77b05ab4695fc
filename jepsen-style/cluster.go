package jepsen

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// NodesMax bounds the cluster size: every node gets its own loopback
	// address 127.0.0.(hostBase+id), and proxies grow as the square.
	NodesMax = 9
	// hostBase is added to a node's id to make its loopback address.
	hostBase = 10
	// readyTimeout bounds how long a started node has to answer /status.
	readyTimeout = 15 * time.Second
	// statusTimeout bounds one /status request.
	statusTimeout = 500 * time.Millisecond
	// adminTimeout bounds one fault-hook or transfer request.
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
// traffic goes through a Net of proxies.
type Cluster struct {
	cfg   ClusterConfig
	nodes []*proc
	net   *Net
	http  *http.Client
}

// proc is one raftkv process, which may be killed and started again.
type proc struct {
	id                   uint64
	raftAddr, clientAddr string
	args                 []string
	logPath              string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	paused bool
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
	for i := range cfg.Nodes {
		id := uint64(i + 1)
		p := &proc{id: id, logPath: filepath.Join(cfg.Dir, fmt.Sprintf("n%d.log", id))}
		if p.raftAddr, err = freeAddr(host(id)); err != nil {
			return nil, err
		}
		if p.clientAddr, err = freeAddr(host(id)); err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, p)
	}
	for _, from := range c.nodes {
		for _, to := range c.nodes {
			if from != to {
				l := Link{from.id, to.id}
				px, err := newProxy(l, host(from.id), to.raftAddr)
				if err != nil {
					return nil, err
				}
				c.net.proxies[l] = px
			}
		}
	}
	var tlsArgs [][]string
	if cfg.TLS {
		if tlsArgs, err = writeTLS(filepath.Join(cfg.Dir, "tls"), cfg.Nodes); err != nil {
			return nil, err
		}
	}
	var clientPeers []string
	for _, p := range c.nodes {
		clientPeers = append(clientPeers, fmt.Sprintf("%d=%s", p.id, p.clientAddr))
	}
	for _, p := range c.nodes {
		peers := []string{fmt.Sprintf("%d=%s", p.id, p.raftAddr)}
		for _, q := range c.nodes {
			if q != p {
				peers = append(peers, fmt.Sprintf("%d=%s", q.id, c.net.proxies[Link{p.id, q.id}].Addr()))
			}
		}
		p.args = []string{"-id", strconv.FormatUint(p.id, 10), "-peers", strings.Join(peers, ","),
			"-data", filepath.Join(cfg.Dir, fmt.Sprintf("n%d", p.id)), "-client", p.clientAddr,
			"-client-peers", strings.Join(clientPeers, ",")}
		if cfg.Tick > 0 {
			p.args = append(p.args, "-tick", cfg.Tick.String())
		}
		if cfg.FaultHooks {
			p.args = append(p.args, "-fault-hooks")
		}
		if cfg.TLS {
			p.args = append(p.args, tlsArgs[p.id-1]...)
		}
		p.args = append(p.args, cfg.ExtraArgs...)
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
	p.cmd, p.exited, p.paused = cmd, exited, false
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

// Nodes is the number of nodes.
func (c *Cluster) Nodes() int { return len(c.nodes) }

// IDs lists the node ids, 1 to Nodes.
func (c *Cluster) IDs() []uint64 {
	ids := make([]uint64, len(c.nodes))
	for i, p := range c.nodes {
		ids[i] = p.id
	}
	return ids
}

// Net is the cluster's proxies.
func (c *Cluster) Net() *Net { return c.net }

// ClientURLs are the base URLs of the nodes' HTTP APIs, by id order.
func (c *Cluster) ClientURLs() []string {
	urls := make([]string, len(c.nodes))
	for i, p := range c.nodes {
		urls[i] = "http://" + p.clientAddr
	}
	return urls
}

// DataDir is node id's data directory.
func (c *Cluster) DataDir(id uint64) string {
	return filepath.Join(c.cfg.Dir, fmt.Sprintf("n%d", id))
}

func (c *Cluster) node(id uint64) (*proc, error) {
	if id < 1 || id > uint64(len(c.nodes)) {
		return nil, fmt.Errorf("no node %d in a cluster of %d", id, len(c.nodes))
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
	p.cmd, p.paused = nil, false
	p.mu.Unlock()
	return nil
}

// Restart starts node id again, on its addresses and data directory, and
// waits until it answers. A node still running is killed first.
func (c *Cluster) Restart(ctx context.Context, id uint64) error {
	p, err := c.node(id)
	if err != nil {
		return err
	}
	if err := c.Kill(id); err != nil {
		return err
	}
	if err := c.start(p); err != nil {
		return err
	}
	return c.waitReady(ctx, p)
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
	p.paused = stop
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

// Transfer asks node from, which should lead, to hand leadership to to.
func (c *Cluster) Transfer(ctx context.Context, from, to uint64) error {
	return c.admin(ctx, from, http.MethodPost, "/admin/transfer?to="+strconv.FormatUint(to, 10), nil, adminTimeout)
}

// admin makes one request to node id and decodes a 200 answer into out.
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

// Leader returns the node that says it leads with the highest term, among
// those that answer, or 0.
// The nodes are asked at once, so a paused one costs one statusTimeout.
func (c *Cluster) Leader(ctx context.Context) (id, term uint64) {
	sts := make([]Status, len(c.nodes))
	var wg sync.WaitGroup
	for i, p := range c.nodes {
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
	for _, p := range c.nodes {
		// A process that will not die is reaped by the kernel's parent-
		// death signal when the runner exits; nothing more to do here.
		_ = c.Kill(p.id)
	}
	c.net.close()
	c.http.CloseIdleConnections()
}

// sortIDs sorts ids in place and returns them.
func sortIDs(ids []uint64) []uint64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
