package main

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/kv/client"
)

// Bounds of the clock rate the fault hook may set. A rate is how fast the
// node's clock runs against real time: 2 means its ticks come twice as
// often, so it believes twice the time passed (its election timeouts and
// lease expire early); 0.5 means half as often (a leader holds its lease
// twice as long in real time, which is unsafe for lease reads once the
// skew exceeds raft.Config.LeaseDriftBound). The bounds keep a hook call
// from stopping a node's clock or spinning it.
const (
	clockRateMin = 0.1
	clockRateMax = 10
)

// skewClock is the node's clock: a ticker whose rate the fault hook may
// change while the node runs. It implements node.IntervalClock, so Run
// counts ticks from the monotonic clock at the current rate.
type skewClock struct {
	base time.Duration
	t    *time.Ticker

	mu   sync.Mutex
	rate float64
}

func newSkewClock(base time.Duration) *skewClock {
	return &skewClock{base: base, t: time.NewTicker(base), rate: 1}
}

// Ticks implements node.Clock.
func (c *skewClock) Ticks() <-chan time.Time { return c.t.C }

// Interval implements node.IntervalClock: the base tick shortened or
// stretched by the rate.
func (c *skewClock) Interval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.intervalLocked()
}

func (c *skewClock) intervalLocked() time.Duration {
	return time.Duration(float64(c.base) / c.rate)
}

// SetRate makes the clock run rate times as fast as real time.
func (c *skewClock) SetRate(rate float64) error {
	if math.IsNaN(rate) || rate < clockRateMin || rate > clockRateMax {
		return fmt.Errorf("clock rate %v outside [%v, %v]", rate, clockRateMin, clockRateMax)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rate = rate
	c.t.Reset(c.intervalLocked())
	return nil
}

// Rate returns the clock's rate.
func (c *skewClock) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// Stop stops the ticker.
func (c *skewClock) Stop() { c.t.Stop() }

// clockBody is the answer of the clock fault hook.
type clockBody struct {
	Rate float64 `json:"rate"`
	Tick string  `json:"tick"`
}

// handleClockRate serves POST /admin/fault/clock?rate=R, which exists only
// with -fault-hooks: it sets this node's clock rate (see clockRateMin).
func (s *server) handleClockRate(w http.ResponseWriter, r *http.Request) {
	rate, err := strconv.ParseFloat(r.URL.Query().Get("rate"), 64)
	if err == nil {
		err = s.clock.SetRate(rate)
	}
	if err != nil {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("clock fault: want ?rate=R in [%v, %v]: %v", clockRateMin, clockRateMax, err), 0)
		return
	}
	s.cfg.Logf("raftkv %d: fault hook: clock rate %v", s.cfg.ID, rate)
	writeJSON(w, http.StatusOK, clockBody{Rate: s.clock.Rate(), Tick: s.clock.Interval().String()})
}
