package linearizability

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/raftcheck/raftcheck/model"
)

// RegisterKey is the key that operations of Jepsen's single-register
// workload (values without a key) act on.
const RegisterKey = "register"

// jepsenRecord is one line of a Jepsen history: an invocation or a
// completion of process.
type jepsenRecord struct {
	line    int
	typ     string // "invoke", "ok", "fail" or "info"
	f       string
	value   any
	process int
	nemesis bool
	time    int64
	hasTime bool
}

// DecodeJepsenEDN reads a Jepsen history in EDN (history.edn): one map per
// operation, such as
//
//	{:type :invoke, :f :write, :value 3, :process 0, :time 123, :index 0}
//
// or a single vector of such maps. See the package comment for the
// workloads understood and how they map onto the KV model.
func DecodeJepsenEDN(r io.Reader) (History, error) {
	data, err := readAllMax(r)
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen edn: %w", err)
	}
	records, err := parseEDNRecords(data)
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen edn: %w", err)
	}
	h, err := convertJepsen(records)
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen edn: %w", err)
	}
	return h, nil
}

// DecodeJepsenLog reads a Jepsen history in its text form: lines of
// process, type, f and value separated by whitespace, as in history.txt,
// optionally behind a logger prefix ending in "jepsen.util - ", as in
// jepsen.log:
//
//	INFO  jepsen.util - 3	:invoke	:cas	[1 4]
//
// When some line has that prefix, lines without it are log noise and
// skipped. Columns after the value are ignored.
func DecodeJepsenLog(r io.Reader) (History, error) {
	data, err := readAllMax(r)
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen log: %w", err)
	}
	records, err := parseLogRecords(string(data))
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen log: %w", err)
	}
	h, err := convertJepsen(records)
	if err != nil {
		return History{}, fmt.Errorf("decode jepsen log: %w", err)
	}
	return h, nil
}

func parseEDNRecords(data []byte) ([]jepsenRecord, error) {
	r := newEDNReader(data)
	var records []jepsenRecord
	for {
		r.skipSpace()
		line := r.line
		form, err := r.next()
		if errors.Is(err, errEOF) {
			return records, nil
		}
		if err != nil {
			return nil, err
		}
		maps, ok := form.([]any)
		if !ok {
			maps = []any{form}
		}
		for i, m := range maps {
			rec, err := recordFromMap(m)
			if err != nil && len(maps) > 1 {
				return nil, fmt.Errorf("%w: line %d: entry %d: %w", ErrMalformed, line, i, err)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrMalformed, line, err)
			}
			rec.line = line
			records = append(records, rec)
		}
	}
}

func recordFromMap(form any) (jepsenRecord, error) {
	m, ok := form.(ednMap)
	if !ok {
		return jepsenRecord{}, fmt.Errorf("want an operation map, got %s", formatEDN(form))
	}
	var rec jepsenRecord
	typ, _ := m.get("type")
	f, _ := m.get("f")
	process, _ := m.get("process")
	rec.value, _ = m.get("value")
	if err := rec.setFields(typ, f, process); err != nil {
		return jepsenRecord{}, err
	}
	if t, ok := m.get("time"); ok {
		n, isInt := t.(int64)
		if !isInt {
			return jepsenRecord{}, fmt.Errorf(":time %s is not an integer", formatEDN(t))
		}
		rec.time, rec.hasTime = n, true
	}
	return rec, nil
}

// setFields checks and sets the type, f and process of a record.
func (rec *jepsenRecord) setFields(typ, f, process any) error {
	t, ok := typ.(keyword)
	switch {
	case !ok:
		return fmt.Errorf(":type %s is not a keyword", formatEDN(typ))
	case t != "invoke" && t != "ok" && t != "fail" && t != "info":
		return fmt.Errorf("unknown :type :%s (want :invoke, :ok, :fail or :info)", t)
	}
	rec.typ = string(t)
	switch x := f.(type) {
	case keyword:
		rec.f = string(x)
	case string:
		rec.f = x
	default:
		return fmt.Errorf(":f %s is not a keyword", formatEDN(f))
	}
	switch x := process.(type) {
	case int64:
		if x < 0 || x > model.ClientMax {
			return fmt.Errorf(":process %d outside [0, %d]", x, model.ClientMax)
		}
		rec.process = int(x)
	case keyword:
		if x != "nemesis" {
			return fmt.Errorf("unknown :process :%s", x)
		}
		rec.nemesis = true
	default:
		return fmt.Errorf(":process %s is not an integer or :nemesis", formatEDN(process))
	}
	return nil
}

const logPrefix = "jepsen.util - "

func parseLogRecords(text string) ([]jepsenRecord, error) {
	lines := strings.Split(text, "\n")
	prefixed := strings.Contains(text, logPrefix)
	var records []jepsenRecord
	for i, line := range lines {
		if prefixed {
			at := strings.Index(line, logPrefix)
			if at < 0 {
				continue
			}
			line = line[at+len(logPrefix):]
		}
		if trimmed := strings.TrimSpace(line); trimmed == "" || trimmed[0] == ';' {
			continue
		}
		rec, err := parseLogLine(line, i+1)
		if err != nil {
			return nil, err
		}
		records = append(records, rec)
	}
	return records, nil
}

// parseLogLine reads "process type f value..." as EDN forms.
func parseLogLine(line string, lineNo int) (jepsenRecord, error) {
	r := newEDNReader([]byte(line))
	r.line = lineNo
	var fields [3]any
	for i := range fields {
		v, err := r.next()
		if errors.Is(err, errEOF) {
			return jepsenRecord{}, fmt.Errorf("%w: line %d: want process, type, f and value", ErrMalformed, lineNo)
		}
		if err != nil {
			return jepsenRecord{}, err
		}
		fields[i] = v
	}
	rec := jepsenRecord{line: lineNo}
	if err := rec.setFields(fields[1], fields[2], fields[0]); err != nil {
		return jepsenRecord{}, fmt.Errorf("%w: line %d: %w", ErrMalformed, lineNo, err)
	}
	value, err := r.next()
	switch {
	case errors.Is(err, errEOF):
		value = nil
	case err != nil && (rec.typ == "invoke" || rec.typ == "ok"):
		return jepsenRecord{}, err
	case err != nil:
		// The value of a completion that failed or whose outcome is
		// unknown is an error message, which is not always EDN; it is
		// not used.
		value = nil
	}
	rec.value = value
	return rec, nil
}
