package linearizability

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONRoundTripKeepsTheHistory(t *testing.T) {
	for name, h := range map[string]History{
		"annotated": staleReadHistory(),
		"unknowns":  linearizableHistory(),
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Encode(&buf, h))
			got, err := Decode(&buf)
			require.NoError(t, err)
			assert.Equal(t, h, got)
		})
	}
}

func TestSaveAndLoadAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.json")
	h := staleReadHistory()
	require.NoError(t, Save(path, h))
	got, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, h, got)

	_, err = Load(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestEncodeRefusesAMalformedHistory(t *testing.T) {
	h := staleReadHistory()
	h.Retries[0].Op = 9
	var buf bytes.Buffer
	err := Encode(&buf, h)
	assert.ErrorContains(t, err, "retry 0: operation 9 does not exist")
	assert.Zero(t, buf.Len(), "nothing is written")
}

func TestTheDocumentedExampleDecodes(t *testing.T) {
	h, err := Decode(strings.NewReader(`{
	  "format": "raftcheck-history",
	  "version": 1,
	  "operations": [
	    {"client": 0, "input": {"op": "put", "key": "x", "value": "1"},
	     "output": {}, "call": 100, "return": 250},
	    {"client": 1, "input": {"op": "get", "key": "x", "mode": "lease"},
	     "output": {"value": "1", "found": true}, "call": 300, "return": 310},
	    {"client": 2, "input": {"op": "cas", "key": "x", "expected": "1", "value": "2"},
	     "output": {"unknown": true}, "call": 320}
	  ],
	  "faults": [{"kind": "partition", "nodes": [1, 2], "start": 120, "end": 400,
	              "description": "{1,2} | {3,4,5}"}],
	  "leaders": [{"term": 2, "leader": 3, "start": 0, "end": 500}],
	  "retries": [{"op": 2, "attempt": 1, "time": 330, "description": "not leader"}]
	}`))
	require.NoError(t, err)
	assert.Len(t, h.Ops, 3)
	assert.True(t, h.Ops[2].Output.Unknown)
	assert.Equal(t, uint64(3), h.Leaders[0].Node)
	assert.Equal(t, Ok, check(t, h).Verdict)
}

func TestMalformedJSONIsRejectedWithWhatIsWrong(t *testing.T) {
	const header = `"format": "raftcheck-history", "version": 1`
	opWith := func(fields string) string {
		return `{` + header + `, "operations": [{"client": 0, ` + fields + `}]}`
	}
	tests := []struct {
		name string
		file string
		want string
	}{
		{"not JSON", "{\n  \"format\": nope}", "line 2, column 14"},
		{"empty", "", "unexpected end of JSON input"},
		{"other format", `{"format": "porcupine", "version": 1}`, `format "porcupine"`},
		{"newer version", `{"format": "raftcheck-history", "version": 2}`, "version 2"},
		{"unknown field", `{` + header + `, "operations": [], "seed": 4}`, `unknown field "seed"`},
		{"wrong type", `{` + header + `, "operations": [{"client": "zero"}]}`, "line 1"},
		{"trailing data", `{` + header + `, "operations": []} {}`, "after top-level value"},
		{"unknown op", opWith(`"input": {"op": "incr", "key": "x"}, "output": {}, "call": 1, "return": 2`),
			`operation 0: unknown operation "incr"`},
		{"unknown read mode", opWith(`"input": {"op": "get", "key": "x", "mode": "stale"}, "output": {}, "call": 1, "return": 2`),
			`operation 0: unknown read mode "stale"`},
		{"return before call", opWith(`"input": {"op": "put", "key": "x", "value": "1"}, "output": {}, "call": 5, "return": 2`),
			"operation 0: return time 2 before call time 5"},
		{"missing call", opWith(`"input": {"op": "put", "key": "x", "value": "1"}, "output": {}, "return": 2`),
			`operation 0: missing "call" time`},
		{"missing return", opWith(`"input": {"op": "put", "key": "x", "value": "1"}, "output": {}, "call": 2`),
			`operation 0: missing "return" time`},
		{"return on unknown", opWith(`"input": {"op": "put", "key": "x", "value": "1"}, "output": {"unknown": true}, "call": 1, "return": 2`),
			`operation 0: "return" time on an operation with an unknown outcome`},
		{"value of a missing key", opWith(`"input": {"op": "get", "key": "x"}, "output": {"value": "1"}, "call": 1, "return": 2`),
			"operation 0: invalid operation: get of a missing key returned value"},
		{"mode on a put", opWith(`"input": {"op": "put", "key": "x", "mode": "lease"}, "output": {}, "call": 1, "return": 2`),
			"operation 0: invalid operation: read mode"},
		{"fault ends before it starts", `{` + header + `, "operations": [], "faults": [{"kind": "crash", "start": 5, "end": 1}]}`,
			"fault 0: end 1 before start 5"},
		{"retry before its op", `{` + header + `, "operations": [{"client": 0, "input": {"op": "delete", "key": "x"}, "output": {}, "call": 5, "return": 6}], "retries": [{"op": 0, "attempt": 1, "time": 1}]}`,
			"retry 0: at 1, before its operation was called at 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Decode(strings.NewReader(tt.file))
			assert.ErrorIs(t, err, ErrMalformed)
			assert.ErrorContains(t, err, tt.want)
			assert.Zero(t, h)
		})
	}
}
