package main

import (
	"github.com/raftcheck/raftcheck/kv"

	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// writeTable prints the summary of a campaign as a table.
func writeTable(w io.Writer, opts options, t tally, wall time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}
	row("seeds", "%d (%s)", t.seeds, describeRange(opts))
	row("passed", "%d", t.passed)
	row("failed", "%d%s", t.failed, failedSeeds(t.failures))
	row("traces validated", "%d", t.validated)
	row("ops", "%d", t.ops)
	row("virtual time", "%.1f s", t.virtual.Seconds())
	row("wall time", "%.2f s", wall.Seconds())
	row("speed", "%.0f x real time", speed(t.virtual, wall))
	for _, mode := range kindsInOrder(t.readsByMode) {
		row("reads "+mode, "%d", t.readsByMode[mode])
	}
	for _, kind := range kindsInOrder(t.faultsByKind) {
		row("fault "+kind, "%d", t.faultsByKind[kind])
	}
	for _, what := range slices.Sorted(maps.Keys(t.membership)) {
		row("membership "+what, "%d", t.membership[what])
	}
	row("violations", "%d", t.violations)
	for _, kind := range kindsInOrder(t.violationsByKind) {
		row("violation "+kind, "%d", t.violationsByKind[kind])
	}
	if t.artifactErrors > 0 {
		row("artifact errors", "%d", t.artifactErrors)
	}
	tw.Flush()
}

// describeRange says which seeds the campaign covers.
func describeRange(opts options) string {
	s := fmt.Sprintf("%d..%d", opts.seed, opts.seed+opts.seeds-1)
	if opts.shard.of > 1 {
		s = fmt.Sprintf("shard %s of %s", opts.shard, s)
	}
	faults := strings.Join(opts.faults, ",")
	if len(opts.faults) == 0 {
		faults = faultsNoKeyword
	}
	return fmt.Sprintf("%s, %d nodes, %v each, faults %s", s, opts.nodes, opts.duration, faults)
}

// failedSeedsShown bounds the failing seeds named in the table.
const failedSeedsShown = 20

// failedSeeds names the failing seeds, for the table.
func failedSeeds(failures []outcome) string {
	if len(failures) == 0 {
		return ""
	}
	var names []string
	for _, f := range failures[:min(len(failures), failedSeedsShown)] {
		names = append(names, fmt.Sprint(f.seed))
	}
	s := " (seeds " + strings.Join(names, ", ")
	if len(failures) > failedSeedsShown {
		s += fmt.Sprintf(", and %d more", len(failures)-failedSeedsShown)
	}
	return s + ")"
}

// jsonSummary is the -json output. Its field names are part of raftsim's
// interface: add fields, do not rename them.
type jsonSummary struct {
	FirstSeed        uint64         `json:"first_seed"`
	SeedRange        uint64         `json:"seed_range"`
	Shard            string         `json:"shard"`
	Nodes            int            `json:"nodes"`
	VirtualPerRun    string         `json:"time"`
	FaultsEnabled    []string       `json:"faults_enabled"`
	Seeds            int            `json:"seeds"`
	Passed           int            `json:"passed"`
	Failed           int            `json:"failed"`
	TracesValidated  int            `json:"traces_validated"`
	Ops              int            `json:"ops"`
	Violations       int            `json:"violations"`
	ViolationsByKind map[string]int `json:"violations_by_kind"`
	FaultsByKind     map[string]int `json:"faults_by_kind"`
	ReadsByMode      map[string]int `json:"reads_by_mode"`
	Reads            []string       `json:"reads_enabled"`
	Drift            float64        `json:"drift"`
	LeaseDriftBound  float64        `json:"lease_drift_bound"`
	VirtualSeconds   float64        `json:"virtual_seconds"`
	WallSeconds      float64        `json:"wall_seconds"`
	SpeedXRealTime   float64        `json:"speed_x_real_time"`
	ArtifactErrors   int            `json:"artifact_errors"`
	Failures         []jsonFailure  `json:"failures"`
	// Membership counts membership changes and leadership transfers by
	// outcome ("change proposed", "change completed", "change refused
	// in-flight", "transfer completed", ...).
	Membership map[string]int `json:"membership"`
}

// jsonFailure is one failing seed in the -json output.
type jsonFailure struct {
	Seed         uint64          `json:"seed"`
	Violations   []jsonViolation `json:"violations"`
	EventsRun    int             `json:"events_run"`
	EventsShrunk int             `json:"events_shrunk"`
	Dir          string          `json:"dir,omitempty"`
	Replay       string          `json:"replay,omitempty"`
	Error        string          `json:"error,omitempty"`
}

// jsonViolation is one violation in the -json output; at is in virtual
// seconds from the start of the run.
type jsonViolation struct {
	Kind    string  `json:"kind"`
	At      float64 `json:"at_seconds"`
	Message string  `json:"message"`
}

// writeJSON prints the summary of a campaign as one JSON document.
func writeJSON(w io.Writer, opts options, t tally, wall time.Duration) error {
	s := jsonSummary{
		FirstSeed: opts.seed, SeedRange: opts.seeds, Shard: opts.shard.String(), Nodes: opts.nodes,
		VirtualPerRun: opts.duration.String(), FaultsEnabled: opts.faults,
		Seeds: t.seeds, Passed: t.passed, Failed: t.failed, TracesValidated: t.validated, Ops: t.ops,
		Violations: t.violations, ViolationsByKind: t.violationsByKind, FaultsByKind: t.faultsByKind,
		ReadsByMode: t.readsByMode, Reads: readNames(opts.reads), Drift: opts.drift, LeaseDriftBound: opts.leaseBound,
		VirtualSeconds: t.virtual.Seconds(), WallSeconds: wall.Seconds(), SpeedXRealTime: speed(t.virtual, wall),
		ArtifactErrors: t.artifactErrors, Failures: []jsonFailure{},
	}
	s.Membership = t.membership
	if s.Membership == nil {
		s.Membership = map[string]int{}
	}
	for _, f := range t.failures {
		jf := jsonFailure{Seed: f.seed, EventsRun: f.eventsRun, EventsShrunk: f.eventsShrunk,
			Dir: f.dir, Replay: f.replay, Violations: []jsonViolation{}}
		if f.err != nil {
			jf.Error = f.err.Error()
		}
		for _, v := range f.violations {
			jf.Violations = append(jf.Violations, jsonViolation{Kind: v.Kind, At: v.At.Seconds(), Message: v.Message})
		}
		s.Failures = append(s.Failures, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	return nil
}

func readNames(modes []kv.ReadMode) []string {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = string(m)
	}
	return names
}
