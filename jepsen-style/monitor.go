package jepsen

import (
	"context"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/linearizability"
)

// monitorInterval is how often the monitor asks the nodes who leads.
const monitorInterval = 200 * time.Millisecond

// monitor polls the nodes' status and records each leader's term as an
// annotation of the history, as far as polling can see it.
type monitor struct {
	c   *Cluster
	rec *linearizability.Recorder

	mu      sync.Mutex
	current linearizability.Leader // Node == 0: none known
	terms   map[uint64]bool
}

func newMonitor(c *Cluster, rec *linearizability.Recorder) *monitor {
	return &monitor{c: c, rec: rec, terms: make(map[uint64]bool)}
}

// run polls until ctx ends, then closes the last leadership.
func (m *monitor) run(ctx context.Context) {
	t := time.NewTicker(monitorInterval)
	defer t.Stop()
	for {
		id, term := m.c.Leader(ctx)
		m.observe(id, term, m.rec.Now())
		select {
		case <-ctx.Done():
			m.observe(0, 0, m.rec.Now())
			return
		case <-t.C:
		}
	}
}

// observe notes that id leads term at now (id 0: nobody seen to lead).
func (m *monitor) observe(id, term uint64, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current.Node == id && m.current.Term == term {
		m.current.End = now
		return
	}
	if m.current.Node != 0 {
		m.current.End = now
		m.rec.AddLeader(m.current)
	}
	m.current = linearizability.Leader{Term: term, Node: id, Start: now, End: now}
	if id != 0 {
		m.terms[term] = true
	}
}

// leader returns the leader last seen, or 0.
func (m *monitor) leader() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current.Node
}

// termsSeen counts the terms in which a leader was seen.
func (m *monitor) termsSeen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.terms)
}
