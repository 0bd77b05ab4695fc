package linearizability

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a reader for the subset of EDN that Jepsen histories use:
// maps, vectors, lists, sets, keywords, symbols, integers, floats, strings,
// characters, nil and booleans. Tagged literals (#jepsen.history.Op{...},
// #inst "...") read as the value they tag; #_ discards the next form.
// Values read as:
//
//	nil -> nil, true/false -> bool, 42 -> int64, 1.5 -> float64,
//	"s" and \c -> string, :k -> keyword, sym -> symbol,
//	[...] and (...) -> []any, #{...} -> ednSet, {...} -> ednMap.

// ednDepthMax bounds the nesting of EDN collections, so that a hostile file
// cannot exhaust the stack.
const ednDepthMax = 64

type keyword string

type symbol string

type ednSet []any

type ednPair struct {
	key, value any
}

// ednMap keeps the pairs of an EDN map in file order. Keys may be
// collections, which Go maps cannot hold.
type ednMap []ednPair

// get returns the value of keyword key in m.
func (m ednMap) get(key string) (any, bool) {
	for _, p := range m {
		if k, ok := p.key.(keyword); ok && string(k) == key {
			return p.value, true
		}
	}
	return nil, false
}

// ednReader reads EDN forms from a buffer, counting lines for errors.
type ednReader struct {
	data []byte
	pos  int
	line int
}

func newEDNReader(data []byte) *ednReader {
	return &ednReader{data: data, line: 1}
}

func (r *ednReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrMalformed, r.line, fmt.Sprintf(format, args...))
}

// skipSpace skips whitespace, commas and ; comments.
func (r *ednReader) skipSpace() {
	for r.pos < len(r.data) {
		switch c := r.data[r.pos]; {
		case c == '\n':
			r.line++
			r.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == ',':
			r.pos++
		case c == ';':
			for r.pos < len(r.data) && r.data[r.pos] != '\n' {
				r.pos++
			}
		default:
			return
		}
	}
}

// next reads the next form. It returns errEOF at the end of the input,
// before any form.
func (r *ednReader) next() (any, error) {
	return r.read(0)
}

var errEOF = errors.New("end of input")

func (r *ednReader) read(depth int) (any, error) {
	if depth > ednDepthMax {
		return nil, r.errorf("nested deeper than %d", ednDepthMax)
	}
	r.skipSpace()
	if r.pos >= len(r.data) {
		return nil, errEOF
	}
	switch c := r.data[r.pos]; c {
	case '[', '(':
		r.pos++
		return r.readSeq(closer(c), depth)
	case '{':
		r.pos++
		return r.readMap(depth)
	case '"':
		r.pos++
		return r.readString()
	case '\\':
		r.pos++
		return r.readChar()
	case '#':
		r.pos++
		return r.readDispatch(depth)
	case ']', ')', '}':
		return nil, r.errorf("unexpected %q", c)
	}
	return r.readAtom()
}

func closer(open byte) byte {
	if open == '[' {
		return ']'
	}
	return ')'
}

func (r *ednReader) readSeq(end byte, depth int) ([]any, error) {
	start := r.line
	items := []any{}
	for {
		r.skipSpace()
		if r.pos >= len(r.data) {
			return nil, r.errorf("unterminated collection opened on line %d", start)
		}
		if r.data[r.pos] == end {
			r.pos++
			return items, nil
		}
		v, err := r.read(depth + 1)
		if errors.Is(err, errEOF) {
			return nil, r.errorf("unterminated collection opened on line %d", start)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
}

func (r *ednReader) readMap(depth int) (ednMap, error) {
	start := r.line
	items, err := r.readSeq('}', depth)
	if err != nil {
		return nil, err
	}
	if len(items)%2 != 0 {
		return nil, fmt.Errorf("%w: line %d: map has an odd number of forms", ErrMalformed, start)
	}
	m := make(ednMap, 0, len(items)/2)
	for i := 0; i < len(items); i += 2 {
		m = append(m, ednPair{key: items[i], value: items[i+1]})
	}
	return m, nil
}

func (r *ednReader) readDispatch(depth int) (any, error) {
	if r.pos >= len(r.data) {
		return nil, r.errorf("'#' at end of input")
	}
	switch r.data[r.pos] {
	case '{':
		r.pos++
		items, err := r.readSeq('}', depth)
		return ednSet(items), err
	case '_':
		r.pos++
		if _, err := r.read(depth + 1); err != nil {
			return nil, err
		}
		return r.read(depth)
	}
	// A tagged literal: the tag symbol, then the form it tags.
	tag, err := r.readAtom()
	if err != nil {
		return nil, err
	}
	if _, ok := tag.(symbol); !ok {
		return nil, r.errorf("bad tag %v after '#'", tag)
	}
	v, err := r.read(depth + 1)
	if errors.Is(err, errEOF) {
		return nil, r.errorf("tag #%s at end of input", tag)
	}
	return v, err
}

func (r *ednReader) readString() (string, error) {
	start := r.line
	var b strings.Builder
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		r.pos++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if err := r.readEscape(&b); err != nil {
				return "", err
			}
		case '\n':
			r.line++
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w: line %d: unterminated string", ErrMalformed, start)
}

func (r *ednReader) readEscape(b *strings.Builder) error {
	if r.pos >= len(r.data) {
		return r.errorf("unterminated string escape")
	}
	c := r.data[r.pos]
	r.pos++
	switch c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case '"', '\\':
		b.WriteByte(c)
	case 'u':
		if r.pos+4 > len(r.data) {
			return r.errorf("short \\u escape")
		}
		n, err := strconv.ParseUint(string(r.data[r.pos:r.pos+4]), 16, 32)
		if err != nil {
			return r.errorf("bad \\u escape %q", r.data[r.pos:r.pos+4])
		}
		r.pos += 4
		b.WriteRune(rune(n))
	default:
		return r.errorf("unknown string escape \\%c", c)
	}
	return nil
}

func (r *ednReader) readChar() (string, error) {
	tok := r.token()
	if tok == "" {
		if r.pos >= len(r.data) {
			return "", r.errorf("'\\' at end of input")
		}
		// A delimiter character such as \( or \space's first byte.
		ch, size := utf8.DecodeRune(r.data[r.pos:])
		r.pos += size
		return string(ch), nil
	}
	switch tok {
	case "newline":
		return "\n", nil
	case "space":
		return " ", nil
	case "tab":
		return "\t", nil
	case "return":
		return "\r", nil
	}
	if utf8.RuneCountInString(tok) == 1 {
		return tok, nil
	}
	return "", r.errorf("unknown character \\%s", tok)
}

// token reads up to the next delimiter.
func (r *ednReader) token() string {
	start := r.pos
	for r.pos < len(r.data) && !isDelimiter(r.data[r.pos]) {
		r.pos++
	}
	return string(r.data[start:r.pos])
}

func isDelimiter(c byte) bool {
	return strings.IndexByte(" \t\r\n,;()[]{}\"", c) >= 0
}

func (r *ednReader) readAtom() (any, error) {
	tok := r.token()
	switch {
	case tok == "":
		return nil, r.errorf("unexpected %q", r.data[r.pos])
	case tok == "nil":
		return nil, nil
	case tok == "true":
		return true, nil
	case tok == "false":
		return false, nil
	case tok[0] == ':':
		if len(tok) == 1 {
			return nil, r.errorf("empty keyword")
		}
		return keyword(tok[1:]), nil
	case isNumberStart(tok):
		return r.parseNumber(tok)
	}
	return symbol(tok), nil
}

func isNumberStart(tok string) bool {
	if tok[0] == '-' || tok[0] == '+' {
		tok = tok[1:]
	}
	return tok != "" && tok[0] >= '0' && tok[0] <= '9'
}

func (r *ednReader) parseNumber(tok string) (any, error) {
	if n, err := strconv.ParseInt(strings.TrimSuffix(tok, "N"), 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(strings.TrimSuffix(tok, "M"), 64); err == nil {
		return f, nil
	}
	return nil, r.errorf("bad number %q", tok)
}

// formatEDN writes v back as EDN, for descriptions and error messages.
func formatEDN(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case keyword:
		return ":" + string(x)
	case symbol:
		return string(x)
	case string:
		return strconv.Quote(x)
	case []any:
		return "[" + formatItems(x) + "]"
	case ednSet:
		return "#{" + formatItems(x) + "}"
	case ednMap:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = formatEDN(p.key) + " " + formatEDN(p.value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func formatItems(items []any) string {
	parts := make([]string, len(items))
	for i, item := range items {
		parts[i] = formatEDN(item)
	}
	return strings.Join(parts, " ")
}
