package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func saveHistory(t *testing.T, lastRead string) string {
	t.Helper()
	in := func(c int, in model.Input) model.Input { in.Client = c; return in }
	h := linearizability.History{
		Ops: []linearizability.Operation{
			{Input: in(0, model.Put("x", "1")), Call: 0, Return: 10},
			{Input: in(0, model.Put("x", "2")), Call: 20, Return: 30},
			{Input: in(1, model.Get("x", model.ReadLease)), Output: model.Output{Value: lastRead, Found: true}, Call: 40, Return: 50},
		},
		Faults: []linearizability.Fault{{Kind: "partition", Nodes: []uint64{1}, Start: 15, End: 45, Description: "n1 isolated"}},
	}
	path := filepath.Join(t.TempDir(), "history.json")
	require.NoError(t, linearizability.Save(path, h))
	return path
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLinearizableHistoryExitsZero(t *testing.T) {
	code, out, errOut := runCmd(saveHistory(t, "2"))
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "ok: 3 operations")
}

func TestNonLinearizableHistoryExitsOneAndWritesHTML(t *testing.T) {
	html := filepath.Join(t.TempDir(), "out.html")
	code, out, errOut := runCmd("-html", html, "-timeout", "5s", saveHistory(t, "1"))
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "illegal")
	assert.Contains(t, out, "no linearization for key(s): x")
	assert.Contains(t, out, "visualization: "+html)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "n1 isolated")
}

func TestTimedOutCheckExitsOne(t *testing.T) {
	// Thirty concurrent writes, then a read of a value none wrote: the
	// checker must try every order of the writes before it can say no.
	var b strings.Builder
	for p := range 30 {
		fmt.Fprintf(&b, "{:type :invoke, :f :write, :value %d, :process %d, :time 0}\n", p, p)
	}
	for p := range 30 {
		fmt.Fprintf(&b, "{:type :ok, :f :write, :value %d, :process %d, :time 10}\n", p, p)
	}
	b.WriteString("{:type :invoke, :f :read, :process 31, :time 20}\n{:type :ok, :f :read, :value 99, :process 31, :time 30}\n")
	code, out, _ := runCmd("-timeout", "1ns", writeFile(t, "hard.edn", b.String()))
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "unknown")
	assert.Contains(t, out, "not a pass")
}

func TestFormatsAreDetected(t *testing.T) {
	edn := "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 1, :process 0}\n"
	log := "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n"
	for name, content := range map[string]string{"h.edn": edn, "jepsen.log": log} {
		code, out, errOut := runCmd(writeFile(t, name, content))
		assert.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "ok: 1 operations", name)
	}
	assert.Equal(t, "json", detectFormat([]byte(" {\n \"format\": 1}")))
	assert.Equal(t, "edn", detectFormat([]byte("{:type :invoke}")))
	assert.Equal(t, "edn", detectFormat([]byte("[{:type :invoke}]")))
	assert.Equal(t, "log", detectFormat([]byte("0\t:invoke\t:read\tnil")))
}

func TestBadUsageExitsTwoWithAMessage(t *testing.T) {
	good := saveHistory(t, "2")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "want one history file, got 0"},
		{"two files", []string{good, good}, "got 2 arguments"},
		{"bad flag", []string{"-nope", good}, "flag provided but not defined"},
		{"bad format", []string{"-format", "xml", good}, `unknown -format "xml"`},
		{"zero timeout", []string{"-timeout", "0s", good}, "-timeout must be positive"},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"malformed json", []string{writeFile(t, "bad.json", `{"format": "raftcheck-history", "version": 1, "operations": [{"client": 0, "input": {"op": "incr", "key": "x"}, "output": {}, "call": 1, "return": 2}]}`)},
			`bad.json (read as json): decode history: malformed history: operation 0: unknown operation "incr"`},
		{"wrong forced format", []string{"-format", "json", writeFile(t, "h.edn", "{:type :invoke}")}, "read as json"},
		{"unwritable html", []string{"-html", filepath.Join(t.TempDir(), "no", "dir.html"), good}, "write visualization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(tt.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	code, _, errOut := runCmd("-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "usage: lincheck")
}
