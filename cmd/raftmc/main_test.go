package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBadFlagsExitTwoWithAMessage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"too many servers", []string{"-servers", "9"}, "servers must be in 1..5"},
		{"log beyond capacity", []string{"-max-log", "40"}, "max-log must be in"},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"no workers", []string{"-workers", "0"}, "workers must be at least 1"},
		{"missing config", []string{"-cfg", "does-not-exist.cfg"}, "does-not-exist.cfg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, 2, run(tt.args, &out, &errOut))
			assert.Contains(t, errOut.String(), tt.want)
		})
	}
}

func TestSmallModelPrintsCountsAndNoViolation(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-servers", "3", "-max-term", "1", "-max-log", "1"}, &out, &errOut)
	assert.Equal(t, 0, code, errOut.String())
	for _, want := range []string{"distinct states: ", "depth: ", "time: ", "verdict: no violation"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestConfigFileSetsTheModelAndFlagsOverrideIt(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-cfg", "../../tla/MCRaftPreVote.cfg", "-max-term", "1", "-max-states", "10"}, &out, &errOut)
	assert.Equal(t, 1, code, "a search cut short is not a pass")
	assert.Contains(t, out.String(), "max-term=1 max-log=1 max-messages=2 prevote=true checkquorum=true")
	assert.Contains(t, out.String(), "verdict: incomplete")
}

func TestHeaderNamesTheMembershipModel(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-servers", "3", "-membership", "-init-servers", "2", "-max-states", "10"}, &out, &errOut)
	assert.Equal(t, 1, code, "a search cut short is not a pass: %s", errOut.String())
	assert.Contains(t, out.String(), "reads=false membership=true init-servers=2 workers=")
}
