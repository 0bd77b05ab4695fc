package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postClock(t *testing.T, base, rate string) (int, clockBody) {
	t.Helper()
	resp, err := http.Post(base+"/admin/fault/clock?rate="+rate, "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b clockBody
	_ = json.NewDecoder(resp.Body).Decode(&b)
	return resp.StatusCode, b
}

func TestClockFaultHookIsOffByDefault(t *testing.T) {
	c := startCluster(t, 1)
	status, _ := postClock(t, c.servers[0].ClientURL(), "2")
	assert.NotEqual(t, http.StatusOK, status)
	assert.Equal(t, float64(1), c.servers[0].clock.Rate(), "the clock must not change without -fault-hooks")
}

func TestClockFaultHookSetsTheRateWithinItsBounds(t *testing.T) {
	cfgs, err := loopbackConfigs(1, t.TempDir())
	require.NoError(t, err)
	cfg := cfgs[0]
	cfg.TickInterval, cfg.FaultHooks = testTick, true
	s, err := startNode(cfg)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	base := s.ClientURL()

	status, b := postClock(t, base, "2")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2.0, b.Rate)
	assert.Equal(t, testTick/2, s.clock.Interval(), "twice as fast is half the tick")

	for _, bad := range []string{"", "x", "NaN", "0", "0.09", "10.01", "-1"} {
		status, _ := postClock(t, base, bad)
		assert.Equal(t, http.StatusBadRequest, status, "rate %q", bad)
	}
	assert.Equal(t, 2.0, s.clock.Rate(), "a refused rate changes nothing")
	for _, edge := range []string{"0.1", "10"} {
		status, _ := postClock(t, base, edge)
		assert.Equal(t, http.StatusOK, status, "rate %q is at the edge, allowed", edge)
	}
}

func TestTickFlagIsBounded(t *testing.T) {
	base := []string{"-id", "1", "-peers", "1=127.0.0.1:7001", "-data", t.TempDir(), "-client", "127.0.0.1:8001"}
	for _, tick := range []string{"0s", "999us", "10001ms"} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(append(base, "-tick", tick), &stdout, &stderr), tick)
		assert.Contains(t, stderr.String(), "-tick")
	}
	for _, tick := range []time.Duration{tickIntervalMin, tickIntervalMax} {
		cfg, _, err := parseFlags(append(base, "-tick", tick.String()), &bytes.Buffer{})
		require.NoError(t, err)
		assert.Equal(t, tick, cfg.TickInterval)
	}
}
