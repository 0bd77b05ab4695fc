package linearizability

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAllEDN(t *testing.T, text string) ([]any, error) {
	t.Helper()
	r := newEDNReader([]byte(text))
	var forms []any
	for {
		v, err := r.next()
		if errors.Is(err, errEOF) {
			return forms, nil
		}
		if err != nil {
			return nil, err
		}
		forms = append(forms, v)
	}
}

func TestEDNReaderReadsTheJepsenSubset(t *testing.T) {
	tests := []struct {
		text string
		want any
	}{
		{"nil", nil},
		{"true", true},
		{"-42", int64(-42)},
		{"7N", int64(7)},
		{"1.5", 1.5},
		{`"a\"b\n\u0041"`, "a\"b\nA"},
		{`\a`, "a"},
		{`\space`, " "},
		{":invoke", keyword("invoke")},
		{":jepsen.history/op", keyword("jepsen.history/op")},
		{"foo", symbol("foo")},
		{"[1 [2 nil]]", []any{int64(1), []any{int64(2), nil}}},
		{"(1, 2)", []any{int64(1), int64(2)}},
		{"#{1}", ednSet{int64(1)}},
		{"{:a 1, [1 2] :b}", ednMap{{keyword("a"), int64(1)}, {[]any{int64(1), int64(2)}, keyword("b")}}},
		{`#jepsen.history.Op{:f :read}`, ednMap{{keyword("f"), keyword("read")}}},
		{`#inst "2024-01-01"`, "2024-01-01"},
		{"#_ :skipped :kept", keyword("kept")},
		{"; a comment\n[]", []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			forms, err := readAllEDN(t, tt.text)
			require.NoError(t, err)
			require.Len(t, forms, 1)
			assert.Equal(t, tt.want, forms[0])
		})
	}
}

func TestEDNReaderNamesTheLineOfAnError(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"{:a 1}\n{:a", "line 2: unterminated collection opened on line 2"},
		{"\n\n\"abc", "line 3: unterminated string"},
		{"[1 2}", "line 1: unexpected '}'"},
		{"{:a}", "line 1: map has an odd number of forms"},
		{"\n12abc", "line 2: bad number"},
		{`"\q"`, `line 1: unknown string escape \q`},
		{":", "line 1: empty keyword"},
		{`\nope`, `unknown character \nope`},
		{strings.Repeat("[", ednDepthMax+2), "nested deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := readAllEDN(t, tt.text)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestFormatEDNWritesValuesBack(t *testing.T) {
	forms, err := readAllEDN(t, `{:f :start, :value [:isolated #{"n1"} nil 3]}`)
	require.NoError(t, err)
	assert.Equal(t, `{:f :start, :value [:isolated #{"n1"} nil 3]}`, formatEDN(forms[0]))
}
