package jepsen

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// proxyDialTimeout bounds the proxy's dial to the node behind it; a node
// that is down or paused refuses or stalls, and the dialer retries anyway.
const proxyDialTimeout = time.Second

// Link is a directed link between nodes: messages From sends To. The
// transport dials one connection per direction, so a link is one proxy.
type Link [2]uint64

// String names the link as "1->2".
func (l Link) String() string { return fmt.Sprintf("%d->%d", l[0], l[1]) }

// proxy forwards the TCP connections one node opens to another, unless its
// link is cut. A cut resets the connections in flight and every new one
// (as a firewall rejecting packets would), so the sender notices at once
// and redials with backoff until the link heals.
type proxy struct {
	link   Link
	ln     net.Listener
	target string

	mu  sync.Mutex
	cut bool
	// conns are the open connections; true marks the one accepted from the
	// sending node, so a forwarded pair counts once when a cut resets it.
	conns map[net.Conn]bool
	wg    sync.WaitGroup

	// refused counts connections reset because the link was cut, whether
	// refused on arrival or closed in flight: the proof that a partition
	// stopped real traffic.
	refused atomic.Int64
}

func newProxy(link Link, host, target string) (*proxy, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", link, err)
	}
	p := &proxy{link: link, ln: ln, target: target, conns: make(map[net.Conn]bool)}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address the sending node dials.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c, true) {
			p.refused.Add(1)
			_ = c.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track registers c (accepted: it came from the sending node), unless the
// link is cut.
func (p *proxy) track(c net.Conn, accepted bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = accepted
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		_ = c.Close()
	}
}

// forward copies both ways between in and a new connection to the target
// until either side ends or the link is cut.
func (p *proxy) forward(in net.Conn) {
	defer p.wg.Done()
	out, err := net.DialTimeout("tcp", p.target, proxyDialTimeout)
	if err != nil {
		p.untrack(in)
		return
	}
	if !p.track(out, false) {
		// Not counted: the cut that stopped out already closed and counted
		// in, or it was close, which is no partition.
		p.untrack(in, out)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	p.untrack(in, out) // unblocks the other copy
	<-done
}

// setCut cuts or heals the link. Cutting resets every connection in flight.
func (p *proxy) setCut(cut bool) {
	if cut {
		p.refused.Add(int64(p.drop()))
		return
	}
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// drop cuts the link and closes every open connection, returning how many
// forwarded pairs it reset.
func (p *proxy) drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	pairs := 0
	for c, accepted := range p.conns {
		if accepted {
			pairs++
		}
		_ = c.Close()
		delete(p.conns, c)
	}
	return pairs
}

// close shuts the proxy down; the connections it resets are not counted,
// as no partition cut them.
func (p *proxy) close() {
	_ = p.ln.Close()
	p.drop()
	p.wg.Wait()
}

// Net is the set of proxies between every ordered pair of nodes. It grows
// when a node joins.
type Net struct {
	mu      sync.Mutex
	proxies map[Link]*proxy
}

func (n *Net) add(p *proxy) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.proxies[p.link] = p
}

// proxy returns the proxy of l, or nil.
func (n *Net) proxy(l Link) *proxy {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proxies[l]
}

// all lists the proxies.
func (n *Net) all() []*proxy {
	n.mu.Lock()
	defer n.mu.Unlock()
	ps := make([]*proxy, 0, len(n.proxies))
	for _, p := range n.proxies {
		ps = append(ps, p)
	}
	return ps
}

// errUnknownLink is returned for a link between nodes the Net does not have.
var errUnknownLink = errors.New("no such link")

// Cut cuts the given links; the others keep their state.
func (n *Net) Cut(links []Link) error {
	for _, l := range links {
		if n.proxy(l) == nil {
			return fmt.Errorf("cut %s: %w", l, errUnknownLink)
		}
	}
	for _, l := range links {
		n.proxy(l).setCut(true)
	}
	return nil
}

// Heal restores every link.
func (n *Net) Heal() {
	for _, p := range n.all() {
		p.setCut(false)
	}
}

// Refused counts connections reset by cut links so far.
func (n *Net) Refused() int64 {
	var total int64
	for _, p := range n.all() {
		total += p.refused.Load()
	}
	return total
}

func (n *Net) close() {
	for _, p := range n.all() {
		p.close()
	}
}
