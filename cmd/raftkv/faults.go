package main

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/raftcheck/raftcheck/kv/client"
)

// Bounds of the clock rate the fault hook may set (see node.TickerClock
// for what a rate does). They keep a hook call from stopping a node's clock
// or spinning it.
const (
	clockRateMin = 0.1
	clockRateMax = 10
)

// clockBody is the answer of the clock fault hook.
type clockBody struct {
	Rate float64 `json:"rate"`
	Tick string  `json:"tick"`
}

// handleClockRate serves POST /admin/fault/clock?rate=R, which exists only
// with -fault-hooks: it sets this node's clock rate (see clockRateMin).
func (s *server) handleClockRate(w http.ResponseWriter, r *http.Request) {
	rate, err := strconv.ParseFloat(r.URL.Query().Get("rate"), 64)
	if err == nil && (math.IsNaN(rate) || rate < clockRateMin || rate > clockRateMax) {
		err = fmt.Errorf("clock rate %v outside [%v, %v]", rate, clockRateMin, clockRateMax)
	}
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
