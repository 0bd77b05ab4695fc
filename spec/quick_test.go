package spec

import (
	"testing"
	"time"
)

func TestQuickMeasure(t *testing.T) {
	sp := New(DefaultConfig())
	r := sp.Check(Options{Progress: func(d, n int) { t.Logf("depth %d distinct %d", d, n) }, MaxStates: 400000})
	t.Logf("distinct=%d generated=%d depth=%d elapsed=%v complete=%v rate=%.0f/s", r.Distinct, r.Generated, r.Depth, r.Elapsed, r.Complete, float64(r.Distinct)/r.Elapsed.Seconds())
	if r.Violation != nil {
		t.Log(r.Violation.Format(3))
	}
	_ = time.Second
}
