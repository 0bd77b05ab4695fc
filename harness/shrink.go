package harness

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/raftcheck/raftcheck/linearizability"
)

// Shrink looks for a smaller schedule that still fails, greedily: it drops
// one event at a time, then halves durations, keeping each change that
// still fails. It runs at most budget simulations and returns the smallest
// failing schedule found with its result.
func Shrink(cfg Config, failing Schedule, budget int) (Schedule, Result) {
	best := failing
	cfg.Schedule = &best
	cfg.Trace = nil
	bestRes := Run(cfg)
	if !bestRes.Failed() {
		return best, bestRes
	}
	runs := 1
	try := func(cand Schedule) bool {
		if runs >= budget {
			return false
		}
		runs++
		c := cfg
		c.Schedule = &cand
		res := Run(c)
		if res.Failed() {
			best, bestRes = cand, res
			return true
		}
		return false
	}
	for changed := true; changed && runs < budget; {
		changed = false
		for i := 0; i < len(best.Events) && runs < budget; {
			cand := Schedule{Events: append(append([]Event(nil), best.Events[:i]...), best.Events[i+1:]...)}
			if try(cand) {
				changed = true
				continue
			}
			i++
		}
		for i := range best.Events {
			if runs >= budget || best.Events[i].Duration <= 100*time.Millisecond {
				continue
			}
			cand := Schedule{Events: append([]Event(nil), best.Events...)}
			cand.Events[i].Duration = (cand.Events[i].Duration / 2).Round(100 * time.Millisecond)
			if try(cand) {
				changed = true
			}
		}
	}
	return best, bestRes
}

// Gen is a rapid generator of schedules, so that a property over runs
// shrinks a failing schedule to a small one.
func Gen(o GenOptions) *rapid.Generator[Schedule] {
	return rapid.Custom(func(t *rapid.T) Schedule {
		return generate(rapidChooser{t}, o)
	})
}

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(what string, n int) int { return rapid.IntRange(0, n-1).Draw(c.t, what) }

// ReplayCommand is the one command that replays a run from its schedule
// file.
func ReplayCommand(cfg Config, scheduleFile string) string {
	cfg, _ = cfg.withDefaults()
	reads := make([]string, len(cfg.Reads))
	for i, m := range cfg.Reads {
		reads[i] = string(m)
	}
	cmd := fmt.Sprintf("go run ./cmd/raftsim -replay %s -seed %d -nodes %d -time %v -reads %s -drift %v -lease-drift-bound %v",
		scheduleFile, cfg.Seed, cfg.Nodes, cfg.Duration, strings.Join(reads, ","), cfg.DriftMax, cfg.LeaseDriftBound)
	if cfg.SkipValidation {
		cmd += " -validate=false"
	}
	return cmd
}

// WriteArtifacts writes what a person needs to audit a run into dir:
// history.html, trace.ndjson, schedule.json and replay.txt.
func WriteArtifacts(dir string, cfg Config, res Result, trace []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	sched, err := MarshalSchedule(res.Schedule)
	if err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	schedPath := filepath.Join(dir, "schedule.json")
	var replay bytes.Buffer
	fmt.Fprintf(&replay, "%s\n\n", ReplayCommand(cfg, schedPath))
	for _, v := range res.Violations {
		fmt.Fprintf(&replay, "%s\n", v)
	}
	files := map[string][]byte{"schedule.json": sched, "trace.ndjson": trace, "replay.txt": replay.Bytes()}
	for _, name := range []string{"schedule.json", "trace.ndjson", "replay.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("artifacts: %w", err)
		}
	}
	check := res.Check
	if check.Verdict == "" {
		// The run stopped before the history was checked; check it now so
		// the page shows it.
		cfg, _ = cfg.withDefaults()
		if check, err = linearizability.Check(res.History, cfg.CheckTimeout); err != nil {
			return fmt.Errorf("artifacts: %w", err)
		}
	}
	if err := linearizability.WriteHTMLFile(filepath.Join(dir, "history.html"), check); err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	return nil
}
