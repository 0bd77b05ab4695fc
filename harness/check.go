package harness

import (
	"hash/fnv"
	"maps"
	"slices"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/raft"
)

// committedEntry is an entry known committed: its term and a hash of its
// data, and the lowest term of a node that knew it committed.
type committedEntry struct {
	term    uint64
	hash    uint64
	knownAt uint64
	knownBy uint64
}

// checker holds what the invariant checks need across events.
type checker struct {
	s *sim
	// leaders maps each term to its leader: election safety.
	leaders map[uint64]uint64
	// committed is every entry any node has known committed, by index.
	committed map[uint64]committedEntry
	// checked is, per node, the commit index up to which its log was
	// compared with committed.
	checked map[uint64]uint64
	// newLeader marks nodes that became leader since their last check.
	newLeader map[uint64]bool
	// leaderCommit is, per leader, the commit index at which
	// LeaderIsVoter last checked it.
	leaderCommit map[uint64]uint64
}

func newChecker(s *sim) *checker {
	return &checker{s: s, leaders: map[uint64]uint64{}, committed: map[uint64]committedEntry{},
		checked: map[uint64]uint64{}, newLeader: map[uint64]bool{}, leaderCommit: map[uint64]uint64{}}
}

// restarted rescans a restarted node's log from its snapshot on: a
// committed entry it held before the crash must still be there.
func (c *checker) restarted(n *simNode) {
	snap, _ := n.disk.Snapshot()
	c.checked[n.id] = snap.Metadata.Index
}

// becameLeader is called from the trace hook when n wins term.
func (c *checker) becameLeader(n *simNode, term uint64) {
	if other, ok := c.leaders[term]; ok && other != n.id {
		c.s.violate("election-safety", "nodes %d and %d both lead term %d", other, n.id, term)
		return
	}
	c.leaders[term] = n.id
	c.newLeader[n.id] = true
	c.s.leaderElected(n.id)
}

// afterProcess checks a node once its Ready loop has persisted everything.
func (c *checker) afterProcess(n *simNode) {
	if !n.up {
		return
	}
	st := n.svc.Node().BasicStatus()
	c.checkCommitted(n, st.Commit)
	c.checkLeaderIsVoter(n, st)
	if c.newLeader[n.id] {
		delete(c.newLeader, n.id)
		c.checkLeaderCompleteness(n, st.Term)
	}
}

// checkCommitted compares the newly committed part of n's log with what
// other nodes committed: state machine safety, and no committed entry lost
// across crashes.
func (c *checker) checkCommitted(n *simNode, commit uint64) {
	from := c.checked[n.id] + 1
	if commit < from {
		return
	}
	first, _ := n.disk.FirstIndex()
	from = max(from, first)
	if from <= commit {
		ents, err := n.disk.Entries(from, commit+1, ^uint64(0))
		if err != nil {
			c.s.violate("committed-lost", "node %d: committed entries [%d, %d] unreadable: %v", n.id, from, commit, err)
			return
		}
		term := n.term
		for _, e := range ents {
			c.compare(n, e, term)
		}
	}
	c.checked[n.id] = commit
}

func (c *checker) compare(n *simNode, e raft.Entry, term uint64) {
	h := fnv.New64a()
	h.Write(e.Data)
	got := committedEntry{term: e.Term, hash: h.Sum64(), knownAt: term, knownBy: n.id}
	prev, ok := c.committed[e.Index]
	if !ok {
		c.committed[e.Index] = got
		if e.Type == raft.EntryConfChange {
			c.s.committedConf(e)
		}
		return
	}
	if prev.term != got.term || prev.hash != got.hash {
		c.s.violate("state-machine-safety", "index %d committed as term %d on node %d and as term %d on node %d",
			e.Index, prev.term, prev.knownBy, got.term, n.id)
		return
	}
	if term < prev.knownAt {
		prev.knownAt, prev.knownBy = term, n.id
		c.committed[e.Index] = prev
	}
}

// checkLeaderCompleteness checks that a new leader of term holds every
// entry known committed by a node of an earlier term.
func (c *checker) checkLeaderCompleteness(n *simNode, term uint64) {
	first, _ := n.disk.FirstIndex()
	// Sorted, so the violation reported is the same on every run.
	for _, idx := range slices.Sorted(maps.Keys(c.committed)) {
		ce := c.committed[idx]
		if idx < first || ce.knownAt >= term {
			continue
		}
		t, err := n.disk.Term(idx)
		if err != nil || t != ce.term {
			c.s.violate("leader-completeness", "leader %d of term %d lacks entry %d of term %d committed by term %d (holds term %d)",
				n.id, term, idx, ce.term, ce.knownAt, t)
			return
		}
	}
}

// traceHook follows a node's core: it records leaders for election safety
// and the visualization, and writes the trace.
func (s *sim) traceHook(n *simNode) func(raft.TraceEvent) {
	return func(ev raft.TraceEvent) {
		n.term = ev.State.CurrentTerm
		if ev.Name == "BecomeLeader" {
			n.leading, n.leadAt, n.leadTerm = true, s.now, ev.State.CurrentTerm
			s.checks.becameLeader(n, ev.State.CurrentTerm)
		} else if n.leading && ev.State.State != "Leader" {
			s.endLeadership(n)
		}
		s.trace.writeRaft(s.now, ev)
	}
}

// endLeadership records the window in which n led, for the visualization.
func (s *sim) endLeadership(n *simNode) {
	if !n.leading {
		return
	}
	n.leading = false
	s.rec.AddLeader(linearizability.Leader{Term: n.leadTerm, Node: n.id, Start: n.leadAt, End: s.now})
}
