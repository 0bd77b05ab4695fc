package linearizability

import (
	"strings"
	"testing"

	"github.com/raftcheck/raftcheck/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registerEDN is a Jepsen register history in history.edn form: a write
// that times out (:info) and turns out to have taken effect, a failed cas,
// and a partition by the nemesis. The last read is substituted.
const registerEDN = `{:type :invoke, :f :read, :value nil, :process 0, :time 1000, :index 0}
{:type :invoke, :f :write, :value 3, :process 1, :time 1100, :index 1}
{:type :ok, :f :read, :value nil, :process 0, :time 1200, :index 2}
{:type :ok, :f :write, :value 3, :process 1, :time 1500, :index 3}
{:type :invoke, :f :cas, :value [3 4], :process 2, :time 1600, :index 4}
{:type :invoke, :f :start, :value nil, :process :nemesis, :time 1650, :index 5}
{:type :info, :f :start, :value [:isolated {"n1" #{"n2" "n3"}}], :process :nemesis, :time 1700, :index 6}
{:type :ok, :f :cas, :value [3 4], :process 2, :time 1800, :index 7}
{:type :invoke, :f :write, :value 5, :process 1, :time 1900, :index 8}
{:type :info, :f :write, :value 5, :process 1, :time 2900, :index 9, :error :timeout}
{:type :invoke, :f :read, :value nil, :process 0, :time 3000, :index 10}
{:type :ok, :f :read, :value 4, :process 0, :time 3100, :index 11}
{:type :invoke, :f :cas, :value [1 2], :process 2, :time 3200, :index 12}
{:type :fail, :f :cas, :value [1 2], :process 2, :time 3300, :index 13, :error :mismatch}
{:type :invoke, :f :stop, :value nil, :process :nemesis, :time 3350, :index 14}
{:type :info, :f :stop, :value :network-healed, :process :nemesis, :time 3400, :index 15}
{:type :invoke, :f :read, :value nil, :process 6, :time 3500, :index 16}
{:type :ok, :f :read, :value LAST, :process 6, :time 3600, :index 17}
`

func decodeEDN(t *testing.T, text string) History {
	t.Helper()
	h, err := DecodeJepsenEDN(strings.NewReader(text))
	require.NoError(t, err)
	return h
}

func TestJepsenRegisterHistoryIsImported(t *testing.T) {
	h := decodeEDN(t, strings.Replace(registerEDN, "LAST", "5", 1))
	require.Len(t, h.Ops, 6, "the failed cas is dropped")
	assert.Equal(t, op(0, model.Get(RegisterKey, ""), 1000, 1200, missing()), h.Ops[0])
	assert.Equal(t, op(1, model.Put(RegisterKey, "3"), 1100, 1500, done()), h.Ops[1])
	assert.Equal(t, op(2, model.CAS(RegisterKey, "3", "4"), 1600, 1800, model.Output{OK: true}), h.Ops[2])
	assert.Equal(t, unknownOp(1, model.Put(RegisterKey, "5"), 1900), h.Ops[3])
	require.Len(t, h.Faults, 1)
	assert.Equal(t, "nemesis", h.Faults[0].Kind)
	assert.Equal(t, int64(1700), h.Faults[0].Start)
	assert.Equal(t, int64(3400), h.Faults[0].End)
	assert.Contains(t, h.Faults[0].Description, `:isolated {"n1" #{"n2" "n3"}}`)
	assert.Contains(t, h.Faults[0].Description, ":stop :network-healed")
}

func TestJepsenRegisterHistoryIsChecked(t *testing.T) {
	tests := []struct {
		last string
		want Verdict
	}{
		{"5", Ok},        // the timed-out write took effect
		{"4", Ok},        // or it did not
		{"3", Illegal},   // 3 was replaced by a cas that completed and was read
		{"nil", Illegal}, // the register was never deleted
	}
	for _, tt := range tests {
		t.Run(tt.last, func(t *testing.T) {
			h := decodeEDN(t, strings.Replace(registerEDN, "LAST", tt.last, 1))
			assert.Equal(t, tt.want, check(t, h).Verdict)
		})
	}
}

func TestJepsenIndependentRegistersAreKeyed(t *testing.T) {
	text := `[{:type :invoke, :f :write, :value [0 1], :process 0}
 {:type :ok, :f :write, :value [0 1], :process 0}
 {:type :invoke, :f :read, :value [1 nil], :process 1}
 {:type :ok, :f :read, :value [1 nil], :process 1}
 {:type :invoke, :f :cas, :value [0 [1 2]], :process 1}
 {:type :ok, :f :cas, :value [0 [1 2]], :process 1}
 {:type :invoke, :f :read, :value [0 nil], :process 0}
 {:type :ok, :f :read, :value [0 VALUE], :process 0}]`
	h := decodeEDN(t, strings.Replace(text, "VALUE", "2", 1))
	require.Len(t, h.Ops, 4)
	assert.Equal(t, op(0, model.Put("0", "1"), 0, 1, done()), h.Ops[0], "times are positions without :time")
	assert.Equal(t, withClient(model.Get("1", ""), 1), h.Ops[1].Input)
	assert.Equal(t, withClient(model.CAS("0", "1", "2"), 1), h.Ops[2].Input)
	assert.Equal(t, Ok, check(t, h).Verdict)

	h = decodeEDN(t, strings.Replace(text, "VALUE", "1", 1))
	assert.Equal(t, Illegal, check(t, h).Verdict)
}

func TestJepsenAppendListsAreCompared(t *testing.T) {
	text := `{:type :invoke, :f :append, :value [:x 1], :process 0}
{:type :ok, :f :append, :value [:x 1], :process 0}
{:type :invoke, :f :append, :value [:x 23], :process 1}
{:type :ok, :f :append, :value [:x 23], :process 1}
{:type :invoke, :f :read, :value [:x nil], :process 0}
{:type :ok, :f :read, :value [:x LIST], :process 0}`
	h := decodeEDN(t, strings.Replace(text, "LIST", "[1 23]", 1))
	assert.Equal(t, model.Append(":x", "1 "), h.Ops[0].Input)
	assert.Equal(t, read("1 23 "), h.Ops[2].Output)
	assert.Equal(t, Ok, check(t, h).Verdict)

	for _, list := range []string{"[12 3]", "[23 1]", "[1]", "[]", "nil"} {
		h = decodeEDN(t, strings.Replace(text, "LIST", list, 1))
		assert.Equal(t, Illegal, check(t, h).Verdict, list)
	}
}

func TestJepsenInvocationNeverCompletedIsUnknown(t *testing.T) {
	h := decodeEDN(t, `{:type :invoke, :f :write, :value 1, :process 3, :time 10}
{:type :invoke, :f :read, :value nil, :process 0, :time 20}
{:type :ok, :f :read, :value 1, :process 0, :time 30}`)
	require.Len(t, h.Ops, 2)
	assert.Equal(t, unknownOp(3, model.Put(RegisterKey, "1"), 10), h.Ops[1])
	assert.Equal(t, Ok, check(t, h).Verdict)
}

// etcdLog is in the form of jepsen.log files of Jepsen's etcd test, as in
// Porcupine's test data: one logger line per operation, among other lines.
const etcdLog = `2017-01-01 00:00:00 INFO jepsen.core - Running test
INFO  jepsen.util - 0	:invoke	:read	nil
INFO  jepsen.util - 3	:invoke	:write	4
INFO  jepsen.util - 0	:ok	:read	nil
INFO  jepsen.util - :nemesis	:info	:start	nil
INFO  jepsen.util - 3	:ok	:write	4
INFO  jepsen.util - 1	:invoke	:cas	[4 0]
INFO  jepsen.util - 1	:ok	:cas	[4 0]
INFO  jepsen.util - 2	:invoke	:read	nil
INFO  jepsen.util - 2	:info	:read	:timed-out
INFO  jepsen.util - 4	:invoke	:read	nil
INFO  jepsen.util - 4	:ok	:read	READ
INFO  jepsen.util - :nemesis	:info	:stop	nil
`

func TestJepsenTextLogIsImportedAndChecked(t *testing.T) {
	h, err := DecodeJepsenLog(strings.NewReader(strings.Replace(etcdLog, "READ", "0", 1)))
	require.NoError(t, err)
	require.Len(t, h.Ops, 5)
	assert.True(t, Dropped(h.Ops[3]), "the timed-out read")
	require.Len(t, h.Faults, 1)
	res := check(t, h)
	assert.Equal(t, Ok, res.Verdict)

	h, err = DecodeJepsenLog(strings.NewReader(strings.Replace(etcdLog, "READ", "4", 1)))
	require.NoError(t, err)
	assert.Equal(t, Illegal, check(t, h).Verdict)

	// history.txt: the same columns without a logger prefix.
	h, err = DecodeJepsenLog(strings.NewReader("0\t:invoke\t:write\t1\n0\t:ok\t:write\t1\t\n\n1\t:invoke\t:read\tnil\n1\t:ok\t:read\t1\n"))
	require.NoError(t, err)
	assert.Len(t, h.Ops, 2)
	assert.Equal(t, Ok, check(t, h).Verdict)
}

func TestMalformedJepsenHistoryNamesTheLine(t *testing.T) {
	inv := `{:type :invoke, :f :write, :value 1, :process 0}` + "\n"
	tests := []struct {
		name string
		text string
		want string
	}{
		{"completion without invocation", inv + `{:type :ok, :f :write, :value 1, :process 1}`,
			"line 2: :ok of process 1, which has no pending invocation"},
		{"double invocation", inv + inv, "line 2: process 0 invokes again while its :write from line 1 is pending"},
		{"mismatched f", inv + `{:type :ok, :f :read, :value 1, :process 0}`, "line 2: :ok :read of process 0 completes an :invoke :write (line 1)"},
		{"transactions", `{:type :invoke, :f :txn, :value [[:r 1 nil]], :process 0}`, "line 1: unsupported :f :txn"},
		{"bad type", `{:type :done, :f :read, :process 0}`, "line 1: unknown :type :done"},
		{"bad process", `{:type :invoke, :f :read, :process "p"}`, `line 1: :process "p" is not an integer or :nemesis`},
		{"negative process", `{:type :invoke, :f :read, :process -1}`, "line 1: :process -1 outside"},
		{"missing f", `{:type :invoke, :process 0}`, "line 1: :f nil is not a keyword"},
		{"not a map", "\n:oops", "line 2: want an operation map, got :oops"},
		{"time goes back", `{:type :invoke, :f :read, :process 0, :time 9}` + "\n" + `{:type :ok, :f :read, :process 0, :time 3}`,
			"line 2: time 3 goes back before 9"},
		{"read of another key", `{:type :invoke, :f :read, :value [1 nil], :process 0}` + "\n" + `{:type :ok, :f :read, :value [2 5], :process 0}`,
			`line 2: :read of key "1" completed with key "2"`},
		{"bad cas", `{:type :invoke, :f :cas, :value 3, :process 0}`, "line 1: :cas value 3 is not [old new]"},
		{"append without key", `{:type :invoke, :f :append, :value 3, :process 0}`, "line 1: :append value 3 is not a [key element] tuple"},
		{"bad EDN", inv + "{:type :ok", "line 2: unterminated collection"},
		{"bad entry in a vector", "[" + inv + "3]", "line 1: entry 1: want an operation map, got 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := DecodeJepsenEDN(strings.NewReader(tt.text))
			assert.ErrorIs(t, err, ErrMalformed)
			assert.ErrorContains(t, err, tt.want)
			assert.Zero(t, h)
		})
	}
}

func TestMalformedJepsenLogNamesTheLine(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"0\t:invoke\n", "line 1: want process, type, f and value"},
		{"0\t:invoke\t:write\t1\n0\t:ok\t:write\t[1\n", "line 2: unterminated collection"},
		{"x\t:invoke\t:write\t1\n", "line 1: :process x is not an integer"},
	}
	for _, tt := range tests {
		_, err := DecodeJepsenLog(strings.NewReader(tt.text))
		assert.ErrorIs(t, err, ErrMalformed)
		assert.ErrorContains(t, err, tt.want)
	}
}
