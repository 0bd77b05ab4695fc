package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStepFollowsSequentialKVSemantics(t *testing.T) {
	present := State{Value: "a", Found: true}
	tests := []struct {
		name   string
		state  State
		in     Input
		out    Output
		legal  bool
		wanted State
	}{
		{"get reads the value", present, Get("k", ReadLog), read("a"), true, present},
		{"get of a wrong value is illegal", present, Get("k", ReadLog), read("b"), false, present},
		{"missing key reads empty and not found", State{}, Get("k", ReadLog), missing(), true, State{}},
		{"empty value is not a missing key", State{Found: true}, Get("k", ReadLog), missing(), false, State{Found: true}},
		{"put sets", State{}, Put("k", "b"), done(), true, State{"b", true}},
		{"append to missing creates", State{}, Append("k", "b"), done(), true, State{"b", true}},
		{"append concatenates", present, Append("k", "b"), done(), true, State{"ab", true}},
		{"cas that matches succeeds", present, CAS("k", "a", "c"), casOK(true), true, State{"c", true}},
		{"cas that matches cannot fail", present, CAS("k", "a", "c"), casOK(false), false, present},
		{"cas that mismatches fails", present, CAS("k", "z", "c"), casOK(false), true, present},
		{"cas on missing fails", State{}, CAS("k", "", "c"), casOK(false), true, State{}},
		{"unknown cas applies when it matches", present, CAS("k", "a", "c"), UnknownOutput(), true, State{"c", true}},
		{"unknown cas is a no-op when it mismatches", present, CAS("k", "z", "c"), UnknownOutput(), true, present},
		{"unknown get changes nothing", present, Get("k", ReadLease), UnknownOutput(), true, present},
		{"delete removes", present, Delete("k"), done(), true, State{}},
		{"unknown op is illegal", present, Input{Op: 0}, done(), false, present},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legal, next := tt.state.Step(tt.in, tt.out)
			assert.Equal(t, tt.legal, legal)
			assert.Equal(t, tt.wanted, next)
		})
	}
}

func TestDescribeShowsReadModeAndOutcome(t *testing.T) {
	tests := []struct {
		in   Input
		out  Output
		want string
	}{
		{Get("k", ReadLease), read("v"), `get(k) [lease] -> "v"`},
		{Get("k", ReadFollower), missing(), `get(k) [follower] -> <missing>`},
		{Get("k", ""), read(""), `get(k) -> ""`},
		{Get("k", ReadIndex), UnknownOutput(), `get(k) [readindex] -> ?`},
		{Put("k", "v"), done(), `put(k, "v")`},
		{Put("k", "v"), UnknownOutput(), `put(k, "v") -> ?`},
		{Append("k", "v"), done(), `append(k, "v")`},
		{CAS("k", "a", "b"), casOK(true), `cas(k, "a", "b") -> ok`},
		{CAS("k", "a", "b"), casOK(false), `cas(k, "a", "b") -> fail`},
		{Delete("k"), done(), `delete(k)`},
	}
	m := KV()
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.DescribeOperation(tt.in, tt.out))
	}
	assert.Equal(t, `"v"`, m.DescribeState(State{Value: "v", Found: true}))
	assert.Equal(t, `<missing>`, m.DescribeState(State{}))
	assert.Equal(t, "client 3", m.DescribeOperationMetadata("client 3"))
	assert.Equal(t, "", m.DescribeOperationMetadata(nil))
}

func TestEqualStatesHashEqually(t *testing.T) {
	m := KV()
	a, b := State{Value: "", Found: true}, State{}
	assert.False(t, m.Equal(a, b))
	assert.NotEqual(t, m.Hash(a), m.Hash(b))
	assert.Equal(t, m.Hash(State{"x", true}), m.Hash(State{"x", true}))
}

func TestParseNamesRoundTrip(t *testing.T) {
	for o := OpGet; o <= OpDelete; o++ {
		got, err := ParseOp(o.String())
		require.NoError(t, err)
		assert.Equal(t, o, got)
	}
	_, err := ParseOp("incr")
	assert.ErrorContains(t, err, `"incr"`)
	assert.Equal(t, "Op(9)", Op(9).String())

	for _, m := range []ReadMode{"", ReadLog, ReadIndex, ReadLease, ReadFollower} {
		got, err := ParseReadMode(string(m))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err = ParseReadMode("stale")
	assert.ErrorContains(t, err, `"stale"`)
}

func TestValidateRejectsMalformedOperations(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		out  Output
		want string // "" means valid
	}{
		{"valid get", Get("k", ReadLease), read("v"), ""},
		{"valid unknown put", Put("k", "v"), UnknownOutput(), ""},
		{"unknown op", Input{Op: 42}, done(), "unknown op 42"},
		{"negative client", Input{Op: OpGet, Client: -1}, done(), "client -1"},
		{"client too big", Input{Op: OpGet, Client: ClientMax + 1}, done(), "client"},
		{"bad mode", Get("k", "stale"), done(), `"stale"`},
		{"mode on a put", Input{Op: OpPut, Mode: ReadLease}, done(), "read mode"},
		{"value on a get", Input{Op: OpGet, Value: "v"}, done(), "value on get"},
		{"expected on a put", Input{Op: OpPut, Expected: "v"}, done(), "expected value on put"},
		{"unknown with a result", Put("k", "v"), Output{Unknown: true, OK: true}, "carries a result"},
		{"put reads", Put("k", "v"), read("v"), "put returned a read value"},
		{"missing key with a value", Get("k", ""), Output{Value: "v"}, "missing key"},
		{"ok on a get", Get("k", ""), Output{OK: true}, "get returned ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if err == nil {
				err = tt.in.ValidateOutput(tt.out)
			}
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrInvalid)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
