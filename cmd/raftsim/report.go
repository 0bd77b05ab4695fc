package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/harness"
)

// Progress display.
const (
	barWidth       = 30
	barRedrawEvery = 100 * time.Millisecond
	progressLines  = 10 // plain progress lines per campaign...
	progressSeeds  = 20 // ...of at least this many seeds
)

// tally adds up the outcomes of a campaign.
type tally struct {
	seeds, passed, failed int
	// validated counts the runs whose whole trace followed the spec.
	validated        int
	ops              int
	virtual          time.Duration
	violations       int
	faultsByKind     map[string]int
	readsByMode      map[string]int
	membership       map[string]int
	violationsByKind map[string]int
	failures         []outcome
	artifactErrors   int
}

// add counts one outcome.
func (t *tally) add(out outcome) {
	t.seeds++
	if out.failed {
		t.failed++
		t.failures = append(t.failures, out)
	} else {
		t.passed++
	}
	t.ops += out.ops
	if out.validated {
		t.validated++
	}
	t.virtual += out.virtual
	for kind, n := range out.faults {
		t.faultsByKind[kind] += n
	}
	for mode, n := range out.reads {
		t.readsByMode[mode] += n
	}
	if t.membership == nil {
		t.membership = make(map[string]int)
	}
	for what, n := range out.membership {
		t.membership[what] += n
	}
	for _, v := range out.violations {
		t.violations++
		t.violationsByKind[v.Kind]++
	}
	if out.err != nil {
		t.artifactErrors++
	}
}

// reporter prints the outcomes of a campaign as they come, in seed order,
// then the summary.
type reporter struct {
	opts  options
	total int
	// human gets the lines for a person: stdout, or stderr under -json.
	human io.Writer
	// stdout gets the summary: the table, or the JSON document.
	stdout io.Writer
	stderr io.Writer
	bar    bool
	now    func() time.Time
	start  time.Time
	drawn  time.Time
	t      tally
}

// newReporter starts the clock of a campaign of total seeds.
func (sim simulator) newReporter(opts options, stdout, stderr io.Writer, total int) *reporter {
	human := stdout
	if opts.json {
		human = stderr
	}
	r := &reporter{
		opts: opts, total: total, human: human, stdout: stdout, stderr: stderr,
		bar: sim.terminal(human), now: sim.now, start: sim.now(),
		t: tally{faultsByKind: make(map[string]int), readsByMode: make(map[string]int), violationsByKind: make(map[string]int)},
	}
	if opts.json && r.bar {
		// The bar shares standard error with the messages; keep it simple.
		r.bar = false
	}
	return r
}

// seed reports one outcome.
func (r *reporter) seed(out outcome) {
	r.t.add(out)
	if out.failed || out.err != nil {
		r.clearBar()
		r.printOutcome(out)
	}
	if r.bar {
		r.drawBar()
		return
	}
	if r.total < progressSeeds || r.t.seeds == r.total {
		return
	}
	if before, after := (r.t.seeds-1)*progressLines/r.total, r.t.seeds*progressLines/r.total; after > before {
		fmt.Fprintf(r.human, "raftsim: %d/%d seeds, %d failed, %.1f s\n", r.t.seeds, r.total, r.t.failed, r.wall().Seconds())
	}
}

// printOutcome prints what went wrong with a seed and how to replay it.
func (r *reporter) printOutcome(out outcome) {
	if out.failed {
		fmt.Fprintf(r.human, "seed %d: FAIL: %s\n", out.seed, describeViolations(out.violations))
		if out.eventsRun != out.eventsShrunk {
			fmt.Fprintf(r.human, "  schedule shrunk from %d to %d events\n", out.eventsRun, out.eventsShrunk)
		}
	}
	if out.err != nil {
		fmt.Fprintf(r.stderr, "raftsim: %v\n", out.err)
	} else if out.dir != "" && out.failed {
		fmt.Fprintf(r.human, "  artifacts: %s\n", out.dir)
	}
	if out.replay != "" {
		fmt.Fprintf(r.human, "  replay: %s\n", out.replay)
	}
}

// describeViolations says what the violations of a run were: the first in
// full, then how many more.
func describeViolations(vs []harness.Violation) string {
	if len(vs) == 0 {
		return "the run failed without naming a violation"
	}
	s := fmt.Sprintf("%s at %v: %s", vs[0].Kind, vs[0].At, vs[0].Message)
	if len(vs) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(vs)-1)
	}
	return s
}

// drawBar redraws the progress bar, at most every barRedrawEvery.
func (r *reporter) drawBar() {
	now := r.now()
	if now.Sub(r.drawn) < barRedrawEvery && r.t.seeds < r.total {
		return
	}
	r.drawn = now
	filled := barWidth
	if r.total > 0 {
		filled = r.t.seeds * barWidth / r.total
	}
	fmt.Fprintf(r.human, "\r[%s%s] %d/%d seeds, %d failed, %.1f s", strings.Repeat("#", filled),
		strings.Repeat(".", barWidth-filled), r.t.seeds, r.total, r.t.failed, r.wall().Seconds())
}

// clearBar erases the progress bar's line, so that a message can take it.
func (r *reporter) clearBar() {
	if r.bar && r.t.seeds > 1 {
		fmt.Fprint(r.human, "\r\033[K")
	}
}

// wall is the wall time since the campaign started.
func (r *reporter) wall() time.Duration { return r.now().Sub(r.start) }

// finish prints the summary and the last line, and returns the exit status.
func (r *reporter) finish() int {
	wall := r.wall()
	if r.bar && r.t.seeds > 0 {
		fmt.Fprintln(r.human)
	}
	if r.opts.json {
		if err := writeJSON(r.stdout, r.opts, r.t, wall); err != nil {
			fmt.Fprintf(r.stderr, "raftsim: write the JSON summary: %v\n", err)
			return exitFailed
		}
	} else {
		writeTable(r.human, r.opts, r.t, wall)
	}
	fmt.Fprintln(r.human, lastLine(r.t, wall))
	if r.t.failed > 0 || r.t.artifactErrors > 0 {
		return exitFailed
	}
	return exitOK
}

// lastLine is the line raftsim ends with.
func lastLine(t tally, wall time.Duration) string {
	return fmt.Sprintf("raftsim: %d seeds, %d violations, %d ops, %.1f virtual-s in %.2f s (%.0f x real time)",
		t.seeds, t.violations, t.ops, t.virtual.Seconds(), wall.Seconds(), speed(t.virtual, wall))
}

// speed is virtual time per wall time; 0 when no wall time has passed.
func speed(virtual, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return virtual.Seconds() / wall.Seconds()
}

// kindsInOrder lists the kinds counted in m: the fault kinds of the harness
// in their order, then any others sorted.
func kindsInOrder(m map[string]int) []string {
	var kinds []string
	for _, k := range harness.FaultKinds {
		if _, ok := m[k]; ok {
			kinds = append(kinds, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(harness.FaultKinds, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(kinds, rest...)
}
