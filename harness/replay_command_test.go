package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The replay command must run the seed as it ran: a seed run without trace
// validation replays without it too, or its replay could fail differently.
func TestReplayCommandKeepsValidationOff(t *testing.T) {
	cfg := Config{Seed: 7, Nodes: 3}
	assert.NotContains(t, ReplayCommand(cfg, "s.json"), "-validate")
	cfg.SkipValidation = true
	assert.Contains(t, ReplayCommand(cfg, "s.json"), " -validate=false")
}
