package kv

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// retryClient appends its tokens one at a time, retrying each until it is
// answered, against a group whose network loses, duplicates and reorders.
type retryClient struct {
	s        *Session
	cmd      Command
	left     int
	target   uint64
	p        *Pending
	deadline int
	answered bool
	err      error
	retries  int
}

func (c *retryClient) step(g *group, rng *rand.Rand, now int) {
	switch {
	case c.left == 0:
		return
	case c.p != nil && c.answered && c.err == nil:
		c.left--
		c.p, c.answered = nil, false
		if c.left > 0 {
			c.cmd = c.s.Next(Append("k", fmt.Sprintf("%d.%d;", c.s.Client(), c.left)))
		}
		return
	case c.p != nil && (c.answered || now > c.deadline):
		// Unknown outcome or timeout: retry the same command elsewhere.
		c.p.Cancel()
		c.p, c.answered, c.target = nil, false, g.ids[rng.IntN(len(g.ids))]
		c.retries++
		return
	case c.p != nil:
		return
	}
	p, err := g.svcs[c.target].Start(c.cmd, func(_ Result, err error) { c.answered, c.err = true, err })
	var nle *raft.NotLeaderError
	switch {
	case err == nil:
		c.p, c.deadline = p, now+3+rng.IntN(15)
	case errors.As(err, &nle) && nle.Leader != raft.None:
		c.target = nle.Leader
	default:
		c.target = g.ids[rng.IntN(len(g.ids))]
	}
}

// deliverLossy delivers the queued messages in random order, dropping and
// duplicating some, and dropping those from or to a cut node.
func (g *group) deliverLossy(rng *rand.Rand) {
	batch := g.net.queue
	g.net.queue = nil
	rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	for _, m := range batch {
		if rng.IntN(10) == 0 || g.net.cut[m.From] || g.net.cut[m.To] {
			continue
		}
		for range 1 + boolInt(rng.IntN(10) == 0) {
			require.NoError(g.t, g.node(m.To).Step(m))
			require.NoError(g.t, g.node(m.To).Process())
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRetriesUnderLossDuplicationAndReorderingTakeEffectOnce(t *testing.T) {
	retries := 0
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			g := newGroup(t, 3, func(c *Config) {
				c.Node.Raft.PreVote, c.Node.Raft.CheckQuorum = true, true
				c.Node.Raft.Rand = rand.New(rand.NewPCG(seed, c.Node.Raft.ID))
				c.Node.SnapshotEveryEntries, c.Node.LogKeepEntries = 8, 2
			})
			const perClient = 15
			var clients []*retryClient
			for id := uint64(1); id <= 3; id++ {
				s := NewSession(id)
				clients = append(clients, &retryClient{s: s, left: perClient, target: 1,
					cmd: s.Next(Append("k", fmt.Sprintf("%d.%d;", id, perClient)))})
			}
			for now := 0; now < 5000; now++ {
				if now%10 == 0 { // isolate a random node, or none, for a while
					clear(g.net.cut)
					if rng.IntN(2) == 0 {
						g.net.cut[g.ids[rng.IntN(len(g.ids))]] = true
					}
				}
				for _, id := range g.ids {
					require.NoError(t, g.node(id).Tick())
					require.NoError(t, g.node(id).Process())
				}
				g.deliverLossy(rng)
				busy := false
				for _, c := range clients {
					c.step(g, rng, now)
					busy = busy || c.left > 0
				}
				if !busy {
					break
				}
			}
			for _, c := range clients {
				require.Zero(t, c.left, "client %d did not finish", c.s.Client())
				retries += c.retries
			}
			clear(g.net.cut)
			g.settle()
			// Heartbeats from whichever node leads carry the last commit
			// index to every replica; a replica whose snapshot was lost
			// gets another after an election timeout.
			for range 3 * 10 {
				for _, id := range g.ids {
					require.NoError(t, g.node(id).Tick())
				}
				g.settle()
			}
			v, _ := g.svcs[1].Store().Lookup("k")
			for _, id := range g.ids {
				got, _ := g.svcs[id].Store().Lookup("k")
				assert.Equal(t, v, got, "replica %d", id)
			}
			for id := 1; id <= 3; id++ {
				var order []string
				for _, tok := range strings.Split(strings.TrimSuffix(v, ";"), ";") {
					if strings.HasPrefix(tok, fmt.Sprintf("%d.", id)) {
						order = append(order, tok)
					}
				}
				var want []string
				for left := perClient; left >= 1; left-- {
					want = append(want, fmt.Sprintf("%d.%d", id, left))
				}
				assert.Equal(t, want, order, "client %d's appends, each once and in order", id)
			}
		})
	}
	require.Positive(t, retries, "the faults caused no retry; the test checks nothing")
}
