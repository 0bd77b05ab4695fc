package linearizability

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/raftcheck/raftcheck/model"
)

// Colors of the annotations, by what they show.
const (
	colorFault   = "#f8d7da"
	colorLeader  = "#d1e7dd"
	colorRetry   = "#fff3cd"
	colorDropped = "#e2e3e5"
	colorVerdict = "#cfe2ff"
)

// Tags of the annotation rows that belong to no client. Porcupine sorts tag
// rows by name and draws them under the clients.
const (
	tagVerdict   = "check"
	tagLeader    = "leader"
	tagFaultStem = "fault: "
)

// WriteHTML writes Porcupine's interactive visualization of res to w: one
// panel per key, with the linearization found (or the longest partial ones
// and the point where they fail), and the history's annotations: fault
// windows on one row per kind, the leader of each term on a "leader" row,
// client retries and dropped unknown gets on the client's row, and the
// verdict on a "check" row.
func WriteHTML(w io.Writer, res Result) error {
	info := res.Info
	info.AddAnnotations(Annotations(res))
	if err := porcupine.Visualize(model.KV(), info, w); err != nil {
		return fmt.Errorf("write visualization: %w", err)
	}
	return nil
}

// WriteHTMLFile writes the visualization of res (see WriteHTML) to the file
// at path, replacing it.
func WriteHTMLFile(path string, res Result) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write visualization: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write visualization: %w", cerr)
		}
	}()
	return WriteHTML(f, res)
}

// Annotations returns the Porcupine annotations WriteHTML adds for res.
func Annotations(res Result) []porcupine.Annotation {
	h := res.History
	var out []porcupine.Annotation
	out = append(out, verdictAnnotation(res))
	for _, f := range h.Faults {
		out = append(out, faultAnnotation(f))
	}
	for _, l := range h.Leaders {
		out = append(out, porcupine.Annotation{
			Tag:             tagLeader,
			Start:           l.Start,
			End:             l.End,
			Description:     fmt.Sprintf("term %d: n%d", l.Term, l.Node),
			Details:         fmt.Sprintf("node %d led term %d from %d to %d", l.Node, l.Term, l.Start, l.End),
			BackgroundColor: colorLeader,
		})
	}
	for _, r := range h.Retries {
		out = append(out, retryAnnotation(h, r))
	}
	for i, op := range h.Ops {
		if Dropped(op) {
			out = append(out, porcupine.Annotation{
				ClientId:        op.Input.Client,
				Start:           op.Call,
				Description:     model.Describe(op.Input, op.Output) + " (dropped)",
				Details:         fmt.Sprintf("op %d: a get with an unknown outcome observed nothing and is not checked", i),
				BackgroundColor: colorDropped,
			})
		}
	}
	return out
}

func verdictAnnotation(res Result) porcupine.Annotation {
	var first int64
	for i, op := range res.History.Ops {
		if i == 0 || op.Call < first {
			first = op.Call
		}
	}
	return porcupine.Annotation{
		Tag:             tagVerdict,
		Start:           first,
		Description:     "verdict: " + string(res.Verdict),
		Details:         res.String(),
		BackgroundColor: colorVerdict,
	}
}

func faultAnnotation(f Fault) porcupine.Annotation {
	desc := f.Kind
	if len(f.Nodes) > 0 {
		nodes := make([]string, len(f.Nodes))
		for i, n := range f.Nodes {
			nodes[i] = fmt.Sprintf("n%d", n)
		}
		desc += " " + strings.Join(nodes, ",")
	}
	details := f.Description
	if details == "" {
		details = desc
	}
	return porcupine.Annotation{
		Tag:             tagFaultStem + f.Kind,
		Start:           f.Start,
		End:             f.End,
		Description:     desc,
		Details:         fmt.Sprintf("%s (from %d to %d)", details, f.Start, f.End),
		BackgroundColor: colorFault,
	}
}

func retryAnnotation(h History, r Retry) porcupine.Annotation {
	op := h.Ops[r.Op]
	details := fmt.Sprintf("retry %d of op %d, %s", r.Attempt, r.Op, model.Describe(op.Input, op.Output))
	if r.Description != "" {
		details += ": " + r.Description
	}
	return porcupine.Annotation{
		ClientId:        op.Input.Client,
		Start:           r.Time,
		Description:     fmt.Sprintf("retry #%d of op %d", r.Attempt, r.Op),
		Details:         details,
		BackgroundColor: colorRetry,
	}
}
