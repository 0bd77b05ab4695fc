package linearizability

import (
	"fmt"
	"testing"
	"time"

	"github.com/raftcheck/raftcheck/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func check(t *testing.T, h History) Result {
	t.Helper()
	res, err := Check(h, testTimeout)
	require.NoError(t, err)
	return res
}

func TestLinearizableHistoryIsOk(t *testing.T) {
	res := check(t, linearizableHistory())
	assert.Equal(t, Ok, res.Verdict)
	assert.Len(t, res.Info.PartialLinearizations(), 2, "one partition per key")
}

func TestStaleReadIsIllegal(t *testing.T) {
	res := check(t, staleReadHistory())
	assert.Equal(t, Illegal, res.Verdict)
	assert.Contains(t, res.String(), "illegal")
}

func TestEmptyHistoryIsOk(t *testing.T) {
	assert.Equal(t, Ok, check(t, History{}).Verdict)
}

// hardHistory is many concurrent writes and reads of one key, then a read
// of a value never written. Porcupine can only reject it after trying every
// order of the concurrent operations, which takes far longer than any test.
func hardHistory(n int) History {
	var h History
	for i := range n {
		v := fmt.Sprint(i)
		h.Ops = append(h.Ops,
			op(i, model.Put("x", v), 0, 1000, done()),
			op(n+i, model.Get("x", model.ReadLog), 0, 1000, read(v)))
	}
	h.Ops = append(h.Ops, op(0, model.Get("x", model.ReadLog), 2000, 2001, read("never written")))
	return h
}

func TestCheckThatTimesOutIsUnknownNotOk(t *testing.T) {
	for _, timeout := range []time.Duration{time.Nanosecond, 50 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			start := time.Now()
			res, err := Check(hardHistory(30), timeout)
			require.NoError(t, err)
			assert.Equal(t, Unknown, res.Verdict)
			assert.Contains(t, res.String(), "not a pass")
			assert.Less(t, time.Since(start), 5*time.Second, "the checker stops at its timeout")
		})
	}
}

func TestCheckRejectsNonPositiveTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{0, -time.Second} {
		_, err := Check(linearizableHistory(), timeout)
		assert.ErrorIs(t, err, ErrTimeout)
	}
}

func TestCheckRejectsMalformedHistory(t *testing.T) {
	h := linearizableHistory()
	h.Ops[3] = op(1, model.Put("x", "1"), 50, 40, done())
	_, err := Check(h, testTimeout)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.ErrorContains(t, err, "operation 3: return time 40 before call time 50")
}

func TestUnknownGetIsDroppedFromTheCheck(t *testing.T) {
	// The timed-out get would be a stale read had it returned; it did not,
	// so it constrains nothing.
	h := History{Ops: []Operation{
		op(0, model.Put("x", "1"), 0, 10, done()),
		unknownOp(1, model.Get("x", model.ReadLease), 20),
	}}
	require.True(t, Dropped(h.Ops[1]))
	assert.Len(t, h.Porcupine(), 1)
	res := check(t, h)
	assert.Equal(t, Ok, res.Verdict)
	assert.Contains(t, res.String(), "1 unknown gets dropped")
}

func TestUnknownWritesAreCheckedBothWays(t *testing.T) {
	tookEffect := History{Ops: []Operation{
		unknownOp(0, model.Put("x", "1"), 0),
		op(1, model.Get("x", model.ReadLog), 10, 20, read("1")),
		op(1, model.Get("x", model.ReadLog), 30, 40, read("1")),
	}}
	assert.Equal(t, Ok, check(t, tookEffect).Verdict)

	didNot := History{Ops: []Operation{
		unknownOp(0, model.CAS("x", "", "1"), 0),
		op(1, model.Put("x", "0"), 5, 6, done()),
		op(1, model.Get("x", model.ReadLog), 10, 20, read("0")),
		op(1, model.Get("x", model.ReadLog), 30, 40, read("0")),
	}}
	assert.Equal(t, Ok, check(t, didNot).Verdict)

	// Seen and then unseen, with nothing in between to undo it.
	flickers := History{Ops: []Operation{
		unknownOp(0, model.Put("x", "1"), 0),
		op(1, model.Get("x", model.ReadLog), 10, 20, read("1")),
		op(1, model.Get("x", model.ReadLog), 30, 40, missing()),
	}}
	assert.Equal(t, Illegal, check(t, flickers).Verdict)
}

func TestPorcupineHistoryReturnsUnknownOpsAtTheEnd(t *testing.T) {
	h := linearizableHistory()
	h.Leaders = []Leader{{Term: 1, Node: 1, Start: 0, End: 500}}
	end := h.End()
	assert.Equal(t, int64(501), end)
	ops := h.Porcupine()
	require.Len(t, ops, len(h.Ops))
	assert.Equal(t, end, ops[3].Return)
	assert.Equal(t, int64(100), ops[0].Return)
	assert.Equal(t, 1, ops[3].ClientId)
	assert.Equal(t, "op 3, client 1, outcome unknown", ops[3].Metadata)
}

func TestCheckedPerKey(t *testing.T) {
	// A stale read on one key among many fine ones.
	var h History
	for i := range 20 {
		k := fmt.Sprint("k", i)
		h.Ops = append(h.Ops,
			op(i, model.Put(k, "1"), 0, 10, done()),
			op(i, model.Get(k, model.ReadLease), 20, 30, read("1")))
	}
	res := check(t, h)
	assert.Equal(t, Ok, res.Verdict)
	assert.Len(t, res.Info.PartialLinearizations(), 20)

	h.Ops[len(h.Ops)-1].Output = missing()
	assert.Equal(t, Illegal, check(t, h).Verdict)
}

func TestIllegalKeysNamesTheKeysThatFailed(t *testing.T) {
	h := History{Ops: []Operation{
		op(0, model.Put("a", "1"), 0, 10, done()),
		op(0, model.Put("b", "1"), 0, 10, done()),
		op(0, model.Put("c", "1"), 0, 10, done()),
		op(1, model.Get("a", model.ReadLog), 20, 30, read("1")),
		op(1, model.Get("b", model.ReadLease), 20, 30, missing()),
		op(1, model.Get("c", model.ReadFollower), 20, 30, read("2")),
	}}
	res := check(t, h)
	require.Equal(t, Illegal, res.Verdict)
	assert.Equal(t, []string{"b", "c"}, res.IllegalKeys())
	assert.Nil(t, check(t, linearizableHistory()).IllegalKeys())
}
