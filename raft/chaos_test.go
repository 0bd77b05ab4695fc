package raft_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/raftcheck/raftcheck/internal/plant"
	"github.com/raftcheck/raftcheck/raft"
	"github.com/raftcheck/raftcheck/raft/rafttest"
)

// chooser is where a chaos run draws its choices from: rapid, so that a
// failure shrinks, or a seeded source, so that a search is repeatable.
type chooser interface {
	intn(what string, n int) int
}

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(what string, n int) int { return rapid.IntRange(0, n-1).Draw(c.t, what) }

type seededChooser struct{ r *rand.Rand }

func (c seededChooser) intn(_ string, n int) int { return c.r.IntN(n) }

// safety checks the Raft safety properties over a run of a Network.
type safety struct {
	leaders map[uint64]uint64 // term -> leader
	// committedAt is, per index, the committed entry and the lowest term
	// of a node that knew it committed: every leader of a later term must
	// hold it (leader completeness).
	committedAt map[uint64]committedEntry
}

type committedEntry struct {
	entry raft.Entry
	term  uint64
}

func newSafety() *safety {
	return &safety{leaders: make(map[uint64]uint64), committedAt: make(map[uint64]committedEntry)}
}

func (s *safety) check(nw *rafttest.Network) error {
	if err := nw.StateMachineSafety(); err != nil {
		return err
	}
	for _, id := range nw.IDs() {
		nd := nw.Nodes[id]
		if nd.Down {
			continue
		}
		st := nd.Status()
		for _, e := range nd.Applied {
			if c, ok := s.committedAt[e.Index]; !ok || st.Term < c.term {
				s.committedAt[e.Index] = committedEntry{entry: e, term: st.Term}
			}
		}
		if st.Role != raft.Leader {
			continue
		}
		if other, ok := s.leaders[st.Term]; ok && other != id {
			return fmt.Errorf("election safety: %d and %d both lead term %d", other, id, st.Term)
		}
		s.leaders[st.Term] = id
		if !st.ConfState.IsVoter(id) && st.ConfIndex <= st.Commit {
			return fmt.Errorf("leader is voter: %d leads term %d outside its committed configuration %v", id, st.Term, st.ConfState)
		}
		if err := s.checkLeaderCompleteness(nd, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *safety) checkLeaderCompleteness(nd *rafttest.Node, st raft.Status) error {
	first, _ := nd.Storage.FirstIndex()
	for idx, c := range s.committedAt {
		if c.term >= st.Term || idx < first {
			continue
		}
		term, err := nd.Storage.Term(idx)
		if err != nil || term != c.entry.Term {
			return fmt.Errorf("leader completeness: leader %d of term %d lacks entry %d/%d committed by term %d (has term %d, %v)",
				st.ID, st.Term, idx, c.entry.Term, c.term, term, err)
		}
	}
	return nil
}

// chaos runs a random schedule of ticks, deliveries, drops, duplicates,
// reorders, partitions, crashes and proposals against a group, checking
// safety after every step. It returns the first violation, or the panic of
// a broken invariant assertion.
func chaos(t *testing.T, c chooser, steps int, bugs *plant.Bugs) error {
	return chaosWith(t, c, steps, bugs, false)
}

// chaosWith is chaos, with membership changes among the steps when
// membership is set: learners added and promoted, voters removed, demoted
// and replaced, several at once, the leader included.
func chaosWith(t *testing.T, c chooser, steps int, bugs *plant.Bugs, membership bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if isRapidSignal(p) {
				panic(p)
			}
			err = fmt.Errorf("invariant assertion: %v\n%s", p, debug.Stack())
		}
	}()
	n := 3 + 2*c.intn("five", 2)
	preVote, checkQuorum := c.intn("prevote", 2) == 1, c.intn("checkquorum", 2) == 1
	// One entry per message lets acknowledgements move one entry at a time,
	// which the Figure 8 and commit-past-match bugs need.
	msgBytesMax := []uint64{1, 64}[c.intn("msgbytes", 2)]
	nw := rafttest.New(t, n, func(cfg *raft.Config) {
		cfg.PreVote, cfg.CheckQuorum = preVote, checkQuorum
		cfg.ElectionTicks, cfg.HeartbeatTicks = 4, 1
		cfg.InflightMsgsMax, cfg.MsgBytesMax = 4, msgBytesMax
		cfg.Bugs = bugs
	})
	s := newSafety()
	ids := nw.IDs()
	pick := func(what string) uint64 { return ids[c.intn(what, len(ids))] }
	ops := 20
	if membership {
		ops = 24
	}
	nextID := uint64(n + 1)
	for step := range steps {
		switch op := c.intn("op", ops); {
		case op < 6:
			nw.Tick(pick("tick"), 1)
		case op < 14:
			if len(nw.Pending) > 0 {
				nw.Deliver(c.intn("deliver", len(nw.Pending)))
			}
		case op < 15:
			if len(nw.Pending) > 0 {
				i := c.intn("drop", len(nw.Pending))
				nw.Drop(func(m raft.Message) bool { i--; return i == -1 })
			}
		case op < 16:
			if len(nw.Pending) > 0 {
				nw.Pending = append(nw.Pending, nw.Pending[c.intn("dup", len(nw.Pending))])
			}
		case op < 17:
			if id := pick("crash"); nw.Nodes[id].Down {
				nw.Restart(id)
			} else {
				nw.Crash(id)
			}
		case op < 18:
			if c.intn("heal", 3) == 0 {
				nw.Heal()
			} else {
				nw.Isolate(pick("isolate"))
			}
		case op < 20:
			if lead := nw.Leader(); lead != raft.None {
				_ = nw.Nodes[lead].Propose(fmt.Appendf(nil, "v%d", step))
			}
		case op >= 22:
			if err := snapshotAndCompact(c, nw.Nodes[pick("snapshot")]); err != nil {
				return fmt.Errorf("step %d: %w", step, err)
			}
		default:
			if lead := nw.Leader(); lead != raft.None {
				cc := randomConfChange(c, nw.Nodes[lead].Status().ConfState, &nextID)
				for _, ch := range cc.Changes {
					if _, ok := nw.Nodes[ch.NodeID]; !ok {
						nw.Join(ch.NodeID, func(cfg *raft.Config) {
							cfg.PreVote, cfg.CheckQuorum = preVote, checkQuorum
							cfg.ElectionTicks, cfg.HeartbeatTicks = 4, 1
							cfg.InflightMsgsMax, cfg.MsgBytesMax = 4, msgBytesMax
							cfg.Bugs = bugs
						})
						ids = nw.IDs()
					}
				}
				_ = nw.Nodes[lead].ProposeConfChange(cc)
			}
		}
		nw.ProcessAll()
		if err := s.check(nw); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	return nil
}

// isRapidSignal reports whether p is rapid's own panic for a test case
// that drew more data than rapid allows, which rapid discards rather than
// counts as a failure: it must reach rapid, not become an invariant
// assertion here.
func isRapidSignal(p any) bool { return fmt.Sprintf("%T", p) == "rapid.invalidData" }

// snapshotAndCompact snapshots a node at its applied index, with the
// configuration there, and compacts its log up to a few entries behind,
// as node/ does; it does nothing where the node cannot snapshot.
func snapshotAndCompact(c chooser, nd *rafttest.Node) error {
	if nd.Down {
		return nil
	}
	applied := nd.Status().Applied
	if snap, err := nd.Storage.Snapshot(); err != nil || applied <= snap.Metadata.Index {
		return nil
	}
	cs, err := nd.ConfStateAt(applied)
	if errors.Is(err, raft.ErrConfUnknown) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("node %d: configuration at %d: %w", nd.ID(), applied, err)
	}
	if _, err := nd.Storage.CreateSnapshot(applied, cs, []byte("snapshot")); err != nil {
		return fmt.Errorf("node %d: snapshot at %d: %w", nd.ID(), applied, err)
	}
	if keep := uint64(c.intn("keep", 4)); applied > keep {
		// An earlier compaction that kept less may have gone further.
		if err := nd.Storage.Compact(applied - keep); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return err
		}
	}
	return nil
}

// randomConfChange draws a membership change of cs: new nodes get fresh
// IDs from next. It may be one the leader refuses.
func randomConfChange(c chooser, cs raft.ConfState, next *uint64) raft.ConfChange {
	var cc raft.ConfChange
	fresh := func() uint64 { *next++; return *next - 1 }
	pickOf := func(what string, ids []uint64) uint64 { return ids[c.intn(what, len(ids))] }
	switch c.intn("cc", 7) {
	case 0:
		cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddLearner, NodeID: fresh()})
	case 1:
		if len(cs.Learners) > 0 {
			cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddVoter, NodeID: pickOf("promote", cs.Learners)})
		}
	case 2:
		cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.RemoveNode, NodeID: pickOf("remove", cs.Voters)})
	case 3:
		cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddLearner, NodeID: pickOf("demote", cs.Voters)})
	case 4:
		cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddVoter, NodeID: fresh()})
	default:
		// Replace up to two voters by fresh ones in one change.
		k := 1 + c.intn("replace", min(2, len(cs.Voters)))
		seen := map[uint64]bool{}
		for range k {
			if id := pickOf("replaced", cs.Voters); !seen[id] {
				seen[id] = true
				cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.RemoveNode, NodeID: id})
			}
			cc.Changes = append(cc.Changes, raft.ConfChangeSingle{Type: raft.AddVoter, NodeID: fresh()})
		}
	}
	cc.ExplicitLeave = c.intn("explicit", 4) == 0
	return cc
}

func TestSafetyUnderRandomFaultSchedules(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		if err := chaos(t, rapidChooser{rt}, 400, nil); err != nil {
			rt.Fatal(err)
		}
	})
}

// TestChaosCatchesPlantedBug proves the safety checks above can fail: a
// node that forgets its vote on restart is caught within a bounded number
// of seeded schedules. The Figure 8 and commit-past-match bugs need a
// three-way interleaving these schedules rarely hit (none in 3000 schedules
// of 1500 steps); scripted scenarios in replication_test.go catch them.
func TestChaosCatchesPlantedBug(t *testing.T) {
	const seeds = 3000
	b := plant.Bugs{ForgetVoteOnRestart: true}
	for seed := range uint64(seeds) {
		if err := chaos(t, seededChooser{rand.New(rand.NewPCG(seed, 1))}, 400, &b); err != nil {
			t.Logf("seed %d: %v", seed, err)
			return
		}
	}
	require.Fail(t, "planted bug not found", "ForgetVoteOnRestart survived %d schedules", seeds)
}

func TestSafetyUnderRandomMembershipChanges(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		if err := chaosWith(t, rapidChooser{rt}, 400, nil, true); err != nil {
			rt.Fatal(err)
		}
	})
}

// TestChaosCatchesARemovedLeaderLeftInCharge: the leader-is-voter check
// above can fail (seed 34 of 1000). The other planted membership bugs need
// an interleaving these schedules rarely hit (none in 3000); a scripted scenario
// (TestJointPhaseKeepsTheOldSideFromElectingALeader) and the simulator
// catch them.
func TestChaosCatchesARemovedLeaderLeftInCharge(t *testing.T) {
	const seeds = 1000
	b := plant.Bugs{KeepRemovedLeader: true}
	for seed := range uint64(seeds) {
		// A removal of the leader must be proposed, and then committed,
		// within a schedule: that takes longer ones than the rest.
		if err := chaosWith(t, seededChooser{rand.New(rand.NewPCG(seed, 2))}, 1500, &b, true); err != nil {
			t.Logf("seed %d: %v", seed, err)
			return
		}
	}
	require.Fail(t, "planted bug not found", "KeepRemovedLeader survived %d schedules", seeds)
}
