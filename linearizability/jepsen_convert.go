package linearizability

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/raftcheck/raftcheck/model"
)

// pendingOp is an invocation waiting for its completion.
type pendingOp struct {
	line  int
	f     string
	input model.Input
	call  int64
}

// jepsenConverter turns Jepsen records, in history order, into a History.
type jepsenConverter struct {
	h        History
	pending  map[int]pendingOp // by process
	open     map[string]int    // open nemesis windows: kind -> index in h.Faults
	lastTime int64
}

// convertJepsen pairs each invocation with the next completion of the same
// process. :ok is a completed operation, :fail one that did not happen
// (dropped), :info one whose outcome is unknown; so is an invocation never
// completed. Times are the records' :time when all have one, else their
// position in the history.
func convertJepsen(records []jepsenRecord) (History, error) {
	c := jepsenConverter{pending: make(map[int]pendingOp), open: make(map[string]int)}
	timed := !slices.ContainsFunc(records, func(r jepsenRecord) bool { return !r.hasTime })
	for i, rec := range records {
		t := int64(i)
		if timed {
			t = rec.time
		}
		if t < c.lastTime {
			return History{}, fmt.Errorf("%w: line %d: time %d goes back before %d", ErrMalformed, rec.line, t, c.lastTime)
		}
		c.lastTime = t
		if err := c.add(rec, t); err != nil {
			return History{}, fmt.Errorf("%w: line %d: %w", ErrMalformed, rec.line, err)
		}
	}
	c.finish()
	if err := c.h.Validate(); err != nil {
		return History{}, err
	}
	return c.h, nil
}

func (c *jepsenConverter) add(rec jepsenRecord, t int64) error {
	if rec.nemesis {
		c.addNemesis(rec, t)
		return nil
	}
	if rec.typ == "invoke" {
		if p, ok := c.pending[rec.process]; ok {
			return fmt.Errorf("process %d invokes again while its :%s from line %d is pending", rec.process, p.f, p.line)
		}
		in, err := jepsenInput(rec.f, rec.value)
		if err != nil {
			return err
		}
		in.Client = rec.process
		c.pending[rec.process] = pendingOp{line: rec.line, f: rec.f, input: in, call: t}
		return nil
	}
	p, ok := c.pending[rec.process]
	if !ok {
		return fmt.Errorf(":%s of process %d, which has no pending invocation", rec.typ, rec.process)
	}
	if p.f != rec.f {
		return fmt.Errorf(":%s :%s of process %d completes an :invoke :%s (line %d)", rec.typ, rec.f, rec.process, p.f, p.line)
	}
	delete(c.pending, rec.process)
	switch rec.typ {
	case "info":
		c.h.Ops = append(c.h.Ops, Operation{Input: p.input, Output: model.UnknownOutput(), Call: p.call})
	case "ok":
		out, err := jepsenOutput(p.input, rec.value)
		if err != nil {
			return err
		}
		c.h.Ops = append(c.h.Ops, Operation{Input: p.input, Output: out, Call: p.call, Return: t})
	}
	// "fail": the operation did not happen; it is left out.
	return nil
}

// finish turns invocations never completed into operations with an
// unknown outcome, in process order, and closes open fault windows at the
// last time seen.
func (c *jepsenConverter) finish() {
	processes := make([]int, 0, len(c.pending))
	for p := range c.pending {
		processes = append(processes, p)
	}
	slices.Sort(processes)
	for _, p := range processes {
		op := c.pending[p]
		c.h.Ops = append(c.h.Ops, Operation{Input: op.input, Output: model.UnknownOutput(), Call: op.call})
	}
	for _, i := range c.open {
		c.h.Faults[i].End = c.lastTime
	}
}

// addNemesis records a nemesis completion as a fault annotation. The
// invocations are skipped: a fault is in force once the nemesis reports
// it. A :start... opens a window of its kind (:start-partition opens
// "partition"), the next :stop... of the same kind closes it; anything else
// is a point in time.
func (c *jepsenConverter) addNemesis(rec jepsenRecord, t int64) {
	if rec.typ == "invoke" {
		return
	}
	desc := ":" + rec.f + " " + formatEDN(rec.value)
	start, isStart := strings.CutPrefix(rec.f, "start")
	stop, isStop := strings.CutPrefix(rec.f, "stop")
	kind := nemesisKind(start)
	switch {
	case isStart:
		c.open[kind] = len(c.h.Faults)
	case isStop:
		kind = nemesisKind(stop)
		if i, ok := c.open[kind]; ok {
			delete(c.open, kind)
			c.h.Faults[i].End = t
			c.h.Faults[i].Description += "; " + desc
			return
		}
	default:
		kind = rec.f
	}
	c.h.Faults = append(c.h.Faults, Fault{Kind: kind, Start: t, End: t, Description: desc})
}

func nemesisKind(suffix string) string {
	if kind := strings.TrimPrefix(suffix, "-"); kind != "" {
		return kind
	}
	return "nemesis"
}

// jepsenInput maps an invocation onto the KV model. Register operations
// carry a bare value and act on RegisterKey; keyed ones (independent
// registers, KV workloads) carry a [key value] tuple.
func jepsenInput(f string, value any) (model.Input, error) {
	key, v, keyed := splitTuple(f, value)
	switch f {
	case "read":
		return model.Get(key, ""), nil
	case "write":
		return model.Put(key, valueString(v)), nil
	case "append":
		if !keyed {
			return model.Input{}, fmt.Errorf(":append value %s is not a [key element] tuple", formatEDN(value))
		}
		return model.Append(key, listElement(v)), nil
	case "cas":
		pair, ok := v.([]any)
		if !ok || len(pair) != 2 {
			return model.Input{}, fmt.Errorf(":cas value %s is not [old new] or [key [old new]]", formatEDN(value))
		}
		return model.CAS(key, valueString(pair[0]), valueString(pair[1])), nil
	}
	return model.Input{}, fmt.Errorf("unsupported :f :%s (want :read, :write, :cas or :append)", f)
}

// splitTuple tells a keyed value [k v] from a bare one. A cas is keyed when
// its second element is itself a pair: [k [old new]] and not [old new].
func splitTuple(f string, value any) (key string, v any, keyed bool) {
	tuple, ok := value.([]any)
	if !ok || len(tuple) != 2 {
		return RegisterKey, value, false
	}
	if f == "cas" {
		if _, nested := tuple[1].([]any); !nested {
			return RegisterKey, value, false
		}
	}
	return valueString(tuple[0]), tuple[1], true
}

// jepsenOutput maps the value of an :ok completion onto the output of in.
func jepsenOutput(in model.Input, value any) (model.Output, error) {
	if in.Op != model.OpGet {
		return model.Output{OK: in.Op == model.OpCAS}, nil
	}
	if in.Key != RegisterKey || isTuple(value) {
		tuple, ok := value.([]any)
		if !ok || len(tuple) != 2 {
			return model.Output{}, fmt.Errorf(":read of key %q completed with %s, not a [key value] tuple", in.Key, formatEDN(value))
		}
		if k := valueString(tuple[0]); k != in.Key {
			return model.Output{}, fmt.Errorf(":read of key %q completed with key %q", in.Key, k)
		}
		value = tuple[1]
	}
	return readOutput(value), nil
}

func isTuple(v any) bool {
	t, ok := v.([]any)
	return ok && len(t) == 2
}

// readOutput maps a read value: nil (or an empty list) is a missing key, a
// list is the elements appended, anything else is the value.
func readOutput(v any) model.Output {
	switch x := v.(type) {
	case nil:
		return model.Output{}
	case []any:
		if len(x) == 0 {
			return model.Output{}
		}
		var b strings.Builder
		for _, e := range x {
			b.WriteString(listElement(e))
		}
		return model.Output{Value: b.String(), Found: true}
	}
	return model.Output{Value: valueString(v), Found: true}
}

// listElement is how an appended element is stored: its text and a space,
// so that appending 1 then 23 ("1 23 ") differs from 12 then 3 ("12 3 ").
func listElement(v any) string {
	return valueString(v) + " "
}

// valueString is the text of a value: integers in decimal, strings as they
// are, anything else in EDN.
func valueString(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return formatEDN(v)
}
