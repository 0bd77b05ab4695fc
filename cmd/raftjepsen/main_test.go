package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jepsen "github.com/raftcheck/raftcheck/jepsen-style"
	"github.com/raftcheck/raftcheck/linearizability"
)

func TestBadUsageExitsTwoWithAMessage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-bogus"}, "bogus"},
		{"unknown nemesis", []string{"-nemesis", "kill,flood"}, "flood"},
		{"bad read mode", []string{"-reads", "psychic"}, "psychic"},
		{"bad seed", []string{"-seed", "x"}, "-seed"},
		{"stray argument", []string{"extra"}, "unexpected"},
		// Bad config values are refused before anything is built or run.
		{"too many nodes", []string{"-raftkv", "/nonexistent", "-nodes", "10"}, "nodes"},
		{"no time", []string{"-raftkv", "/nonexistent", "-time", "0s"}, "time"},
		{"negative rate", []string{"-raftkv", "/nonexistent", "-rate", "-1"}, "rate"},
		{"skew beyond its bound", []string{"-raftkv", "/nonexistent", "-skew", "0.95"}, "skew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitBadUsage, run(append(tt.args, "-out", t.TempDir()), &stdout, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

func TestBenchDefaultsItsTimeUnlessGiven(t *testing.T) {
	o, err := parseArgs([]string{"-bench"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, benchTimeDefault, o.cfg.Time)
	o, err = parseArgs([]string{"-bench", "-time", "3s"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, o.cfg.Time)
}

func TestLastLineHasRaftsimsForm(t *testing.T) {
	res := jepsen.Result{Nodes: 5, Ops: 1234, Faults: map[string]int{"kill": 2, "pause": 1},
		Verdict: linearizability.Ok, Workload: 60 * time.Second, Wall: 71500 * time.Millisecond}
	assert.Equal(t, "raftjepsen: 5 nodes, 0 violations, 1234 ops, 3 nemesis events, 60.0 s of faults in 71.50 s (ok)", lastLine(res))
	res.Violations = []jepsen.Violation{{Kind: jepsen.ViolationLostWrite, Message: "x"}}
	assert.Regexp(t, regexp.MustCompile(`^raftjepsen: 5 nodes, 1 violations, .* \(FAIL\)$`), lastLine(res))
}
