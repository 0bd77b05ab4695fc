package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlaModule is a TLA+ module split into its top-level definitions.
type tlaModule struct {
	text string
	defs map[string]string // operator name -> body
}

var (
	defRe   = regexp.MustCompile(`(?m)^([A-Za-z][A-Za-z0-9_]*)(\([^)]*\))?\s*==`)
	callRe  = regexp.MustCompile(`\b([A-Z][A-Za-z0-9_]*)\(`)
	commRe  = regexp.MustCompile(`\(\*[\s\S]*?\*\)|\\\*.*`)
	identRe = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_]*`)
)

func readTLA(t *testing.T, path string) tlaModule {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text := commRe.ReplaceAllString(string(raw), "")
	m := tlaModule{text: text, defs: map[string]string{}}
	locs := defRe.FindAllStringSubmatchIndex(text, -1)
	for k, loc := range locs {
		end := len(text)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		name := text[loc[2]:loc[3]]
		require.NotContains(t, m.defs, name, "operator %s defined twice", name)
		m.defs[name] = text[loc[1]:end]
	}
	return m
}

// nextActions lists the operators Next applies, expanding Receive(m) into
// its disjuncts, in order.
func (m tlaModule) nextActions(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(m.defs["Next"], "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, `\/`) {
			continue
		}
		if k := strings.LastIndex(line, ":"); k >= 0 {
			line = line[k+1:]
		}
		name := identRe.FindString(line)
		if name == "Receive" {
			for _, inner := range callRe.FindAllStringSubmatch(m.defs["Receive"], -1) {
				names = append(names, inner[1])
			}
			continue
		}
		names = append(names, name)
	}
	require.NotEmpty(t, names, "no actions found in Next")
	return names
}

// variables lists the names of the VARIABLES declaration.
func (m tlaModule) variables(t *testing.T) []string {
	t.Helper()
	start := strings.Index(m.text, "VARIABLES")
	require.GreaterOrEqual(t, start, 0, "no VARIABLES")
	end := strings.Index(m.text[start:], "\n\n")
	require.Greater(t, end, 0)
	return identRe.FindAllString(m.text[start+len("VARIABLES"):start+end], -1)
}

// cfgList is the names listed under a section (e.g. INVARIANT) of a TLC
// config, up to the next section keyword.
func cfgList(t *testing.T, path, section string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var names []string
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(strings.Split(line, `\*`)[0])
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if fields[0] == strings.ToUpper(fields[0]) && identRe.MatchString(fields[0]) &&
			!strings.ContainsAny(fields[0], "0123456789") {
			in = fields[0] == section || fields[0] == section+"S"
			fields = fields[1:]
		}
		if in {
			names = append(names, fields...)
		}
	}
	return names
}

func TestGoActionsAreTheActionsOfNextInRaftTLA(t *testing.T) {
	m := readTLA(t, "../tla/Raft.tla")
	assert.Equal(t, m.nextActions(t), ActionNames())
	for _, name := range ActionNames() {
		assert.Contains(t, m.defs, name, "action %s is not defined in Raft.tla", name)
	}
}

func TestGoInvariantsAreTheInvariantsOfMCRaftCfg(t *testing.T) {
	m := readTLA(t, "../tla/Raft.tla")
	invs := cfgList(t, "../tla/MCRaft.cfg", "INVARIANT")
	assert.ElementsMatch(t, invs, InvariantNames())
	for _, name := range InvariantNames() {
		assert.Contains(t, m.defs, name, "invariant %s is not defined in Raft.tla", name)
	}
}

func TestStateFieldsAreTheVariablesOfRaftTLA(t *testing.T) {
	m := readTLA(t, "../tla/Raft.tla")
	var tags []string
	st := reflect.TypeFor[State]()
	for k := range st.NumField() {
		f := st.Field(k)
		tag := f.Tag.Get("tla")
		require.NotEmpty(t, tag, "field %s has no tla tag", f.Name)
		assert.True(t, strings.EqualFold(tag, f.Name), "field %s is not TLA+ variable %s", f.Name, tag)
		tags = append(tags, tag)
	}
	assert.Equal(t, m.variables(t), tags)
	names := make([]string, 0, len(tags))
	for _, kv := range (&State{}).Variables(3) {
		names = append(names, kv[0])
	}
	assert.Equal(t, tags, names, "Variables renders the variables in declaration order")
}

func TestEveryModelConfigNamesKnownInvariantsAndConstants(t *testing.T) {
	cfgs, err := filepath.Glob("../tla/MC*.cfg")
	require.NoError(t, err)
	require.NotEmpty(t, cfgs)
	m := readTLA(t, "../tla/Raft.tla")
	for _, path := range cfgs {
		for _, inv := range cfgList(t, path, "INVARIANT") {
			assert.True(t, slices.Contains(InvariantNames(), inv), "%s: unknown invariant %s", path, inv)
			assert.Contains(t, m.defs, inv)
		}
		for _, op := range append(cfgList(t, path, "CONSTRAINT"), cfgList(t, path, "SYMMETRY")...) {
			assert.Contains(t, m.defs, op, "%s: %s is not defined", path, op)
		}
	}
}

// TestEveryTLAActionConstrainsEveryVariable is a lint TLC would otherwise
// do at run time: each action of Next, with the operators it calls, must
// prime or leave UNCHANGED every variable. It works on the text, so it
// catches a variable missing from an action, not one missing from a
// single branch.
func TestEveryTLAActionConstrainsEveryVariable(t *testing.T) {
	m := readTLA(t, "../tla/Raft.tla")
	vars := m.variables(t)
	unchangedRe := regexp.MustCompile(`UNCHANGED\s*(<<[^>]*>>|[A-Za-z]+)`)
	for _, action := range m.nextActions(t) {
		body := m.expand(action, map[string]bool{})
		constrained := map[string]bool{}
		for _, u := range unchangedRe.FindAllStringSubmatch(body, -1) {
			for _, v := range identRe.FindAllString(u[1], -1) {
				constrained[v] = true
				// A tuple of variables defined as an operator (readVars).
				for _, w := range identRe.FindAllString(m.defs[v], -1) {
					constrained[w] = true
				}
			}
		}
		for _, v := range vars {
			if strings.Contains(body, v+"'") {
				constrained[v] = true
			}
			assert.True(t, constrained[v], "%s neither primes nor leaves UNCHANGED %s", action, v)
		}
	}
}

// expand is the body of op with the bodies of the operators it calls.
func (m tlaModule) expand(op string, done map[string]bool) string {
	if done[op] {
		return ""
	}
	done[op] = true
	body := m.defs[op]
	out := body
	for _, call := range callRe.FindAllStringSubmatch(body, -1) {
		if _, ok := m.defs[call[1]]; ok {
			out += m.expand(call[1], done)
		}
	}
	return out
}

// TestRaftTLADefinesEveryOperatorBeforeUse is a lint SANY would otherwise
// do: TLA+ needs every operator defined before it is used, and comments
// balanced.
func TestRaftTLADefinesEveryOperatorBeforeUse(t *testing.T) {
	for _, path := range []string{"../tla/Raft.tla", "../tla/TraceRaft.tla"} {
		t.Run(filepath.Base(path), func(t *testing.T) { checkDefinedBeforeUse(t, path) })
	}
}

func checkDefinedBeforeUse(t *testing.T, path string) {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, strings.Count(string(raw), "(*"), strings.Count(string(raw), "*)"), "unbalanced comments")
	m := readTLA(t, path)
	pos := map[string]int{}
	for k, loc := range defRe.FindAllStringSubmatchIndex(m.text, -1) {
		pos[m.text[loc[2]:loc[3]]] = k
	}
	strRe := regexp.MustCompile(`"[^"]*"`)
	for name, body := range m.defs {
		for _, id := range identRe.FindAllString(strRe.ReplaceAllString(body, ""), -1) {
			if p, ok := pos[id]; ok {
				assert.Less(t, p, pos[name], "%s uses %s before its definition", name, id)
			}
		}
	}
}

// TestEveryModelConfigAssignsEveryConstant is a check TLC would otherwise
// make at start-up: each config assigns exactly the CONSTANTS of Raft.tla.
func TestEveryModelConfigAssignsEveryConstant(t *testing.T) {
	m := readTLA(t, "../tla/Raft.tla")
	start := strings.Index(m.text, "CONSTANTS")
	require.GreaterOrEqual(t, start, 0)
	end := strings.Index(m.text[start:], "\n\n")
	declared := identRe.FindAllString(m.text[start+len("CONSTANTS"):start+end], -1)
	require.Contains(t, declared, "Server")
	paths, err := filepath.Glob("../tla/MC*.cfg")
	require.NoError(t, err)
	for _, path := range paths {
		var assigned []string
		for _, line := range strings.Split(mustRead(t, path), "\n") {
			line = strings.TrimSpace(strings.Split(line, `\*`)[0])
			if name, _, ok := strings.Cut(line, "="); ok {
				assigned = append(assigned, strings.TrimSpace(name))
			}
		}
		assert.ElementsMatch(t, declared, assigned, path)
	}
}

// TestTraceRaftTakesTheActionsOfRaftTLA checks that tla/TraceRaft.tla maps
// each trace line to the Raft.tla action of the same name, that those are
// the actions the Go validator takes, and that TraceRaft.cfg assigns every
// constant of Raft.tla.
func TestTraceRaftTakesTheActionsOfRaftTLA(t *testing.T) {
	m := readTLA(t, "../tla/TraceRaft.tla")
	caseRe := regexp.MustCompile(`line\.name = "([A-Za-z]+)" -> ([A-Za-z]+)\(`)
	cases := caseRe.FindAllStringSubmatch(m.defs["LineAction"], -1)
	require.NotEmpty(t, cases, "no actions in LineAction")
	var names []string
	for _, c := range cases {
		assert.Equal(t, c[1], c[2], "line %s takes action %s", c[1], c[2])
		assert.Contains(t, ActionNames(), c[2], "%s is not an action of Raft.tla", c[2])
		names = append(names, c[1])
	}
	assert.Contains(t, m.text, `IsLine("ClientRequest")`)
	names = append(names, "ClientRequest")
	// The read path's lines are checked against ReadLinearizable, not
	// replayed (ReadFromLine), as the Go validator does (Validator.read).
	for _, read := range []string{"ReadIndex", "ServeReadIndex", "LeaseRead", "ForwardReadIndex"} {
		assert.Contains(t, m.defs["ReadLines"], `"`+read+`"`)
		assert.Contains(t, m.defs["ReadFromLine"], `line.name = "`+read+`" ->`)
		names = append(names, read)
	}
	for _, name := range names {
		assert.NotNil(t, New(DefaultConfig()).action(name), "the Go validator has no action %s", name)
	}
	for _, name := range ActionNames() {
		switch name {
		case "CompactLog", "DropMessage", "DuplicateMessage", "Tick", "ServeFollowerRead":
			// Not actions of the core: the runtime compacts (inferred), the
			// network drops and duplicates, time is not traced, and a
			// follower's read is served by the application once applied.
			continue
		}
		assert.Contains(t, names, name, "TraceRaft.tla takes no line for %s", name)
	}
	// A constant is assigned a value (=) or replaced by a definition (<-),
	// as TraceRaft.cfg does with the servers the trace names.
	constants := func(path string) []string {
		var out []string
		for _, line := range strings.Split(mustRead(t, path), "\n") {
			line = strings.TrimSpace(strings.Split(line, `\*`)[0])
			name, _, ok := strings.Cut(line, "<-")
			if !ok {
				name, _, ok = strings.Cut(line, "=")
			}
			if ok {
				out = append(out, strings.TrimSpace(name))
			}
		}
		return out
	}
	assert.ElementsMatch(t, constants("../tla/MCRaft.cfg"), constants("../tla/TraceRaft.cfg"))
}
