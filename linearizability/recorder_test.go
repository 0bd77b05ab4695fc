package linearizability

import (
	"fmt"
	"sync"
	"testing"

	"github.com/raftcheck/raftcheck/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecorderTakesTimesFromItsClock(t *testing.T) {
	clock := &fixedClock{now: 100}
	rec := NewRecorder(clock)
	id := rec.Invoke(7, model.Get("x", model.ReadLease))
	clock.now = 150
	require.NoError(t, rec.Return(id, read("v")))

	h := rec.History()
	require.Len(t, h.Ops, 1)
	assert.Equal(t, op(7, model.Get("x", model.ReadLease), 100, 150, read("v")), h.Ops[0])
	assert.Equal(t, int64(150), rec.Now())
}

func TestRecorderReportsPendingOpsAsUnknown(t *testing.T) {
	clock := &fixedClock{now: 5}
	rec := NewRecorder(clock)
	pending := rec.Invoke(1, model.Put("x", "1"))
	timedOut := rec.Invoke(2, model.Put("x", "2"))
	clock.now = 9
	require.NoError(t, rec.Return(timedOut, model.UnknownOutput()))

	h := rec.History()
	assert.Equal(t, unknownOp(1, model.Put("x", "1"), 5), h.Ops[pending])
	assert.Equal(t, unknownOp(2, model.Put("x", "2"), 5), h.Ops[timedOut])

	// The snapshot does not change as recording goes on.
	require.NoError(t, rec.Return(pending, done()))
	assert.True(t, h.Ops[pending].Output.Unknown)
	assert.False(t, rec.History().Ops[pending].Output.Unknown)
}

func TestRecorderRejectsBadIDs(t *testing.T) {
	rec := NewRecorder(&stepClock{})
	id := rec.Invoke(0, model.Put("x", "1"))
	require.NoError(t, rec.Return(id, done()))
	assert.ErrorIs(t, rec.Return(id, done()), ErrAlreadyReturned)
	assert.ErrorIs(t, rec.Unknown(id), ErrAlreadyReturned)
	assert.ErrorIs(t, rec.Retry(id, "late"), ErrAlreadyReturned)
	assert.ErrorIs(t, rec.Return(OpID(5), done()), ErrNoSuchOp)
	assert.ErrorIs(t, rec.Unknown(OpID(-1)), ErrNoSuchOp)
}

func TestRecorderRecordsAnnotations(t *testing.T) {
	clock := &fixedClock{now: 10}
	rec := NewRecorder(clock)
	id := rec.Invoke(3, model.CAS("x", "a", "b"))
	clock.now = 20
	require.NoError(t, rec.Retry(id, "not leader"))
	clock.now = 30
	require.NoError(t, rec.Retry(id, "timeout"))
	rec.AddFault(Fault{Kind: "partition", Nodes: []uint64{1, 2}, Start: 12, End: 25})
	rec.AddLeader(Leader{Term: 2, Node: 1, Start: 0, End: 40})

	h := rec.History()
	assert.Equal(t, []Retry{
		{Op: 0, Attempt: 1, Time: 20, Description: "not leader"},
		{Op: 0, Attempt: 2, Time: 30, Description: "timeout"},
	}, h.Retries)
	assert.Equal(t, []Fault{{Kind: "partition", Nodes: []uint64{1, 2}, Start: 12, End: 25}}, h.Faults)
	assert.Equal(t, []Leader{{Term: 2, Node: 1, Start: 0, End: 40}}, h.Leaders)
	require.NoError(t, h.Validate())

	h.Faults[0].Nodes[0] = 9
	assert.Equal(t, uint64(1), rec.History().Faults[0].Nodes[0], "snapshots are deep copies")
}

func TestZeroRecorderUsesAMonotonicClock(t *testing.T) {
	var rec Recorder
	id := rec.Invoke(0, model.Put("x", "1"))
	require.NoError(t, rec.Return(id, done()))
	o := rec.History().Ops[0]
	assert.GreaterOrEqual(t, o.Return, o.Call)

	var c MonotonicClock
	a := c.Now()
	assert.GreaterOrEqual(t, c.Now(), a)
}

func TestRecorderIsSafeForConcurrentClients(t *testing.T) {
	// Clients share one register through a mutex-protected "store", so
	// the recorded history is linearizable by construction. Run with
	// -race.
	const clients, opsPerClient = 8, 50
	rec := NewRecorder(&stepClock{})
	var store struct {
		sync.Mutex
		value string
		found bool
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range opsPerClient {
				if i%2 == 0 {
					v := fmt.Sprint(c, "-", i)
					id := rec.Invoke(c, model.Put("x", v))
					store.Lock()
					store.value, store.found = v, true
					store.Unlock()
					assert.NoError(t, rec.Return(id, done()))
					continue
				}
				id := rec.Invoke(c, model.Get("x", model.ReadLease))
				store.Lock()
				out := model.Output{Value: store.value, Found: store.found}
				store.Unlock()
				if i%10 == 9 {
					assert.NoError(t, rec.Unknown(id))
					continue
				}
				assert.NoError(t, rec.Return(id, out))
			}
		})
	}
	wg.Wait()
	h := rec.History()
	require.Len(t, h.Ops, clients*opsPerClient)
	res := check(t, h)
	assert.Equal(t, Ok, res.Verdict)
}
