// Command lincheck checks a recorded client history for linearizability and
// draws it.
//
// Usage:
//
//	lincheck [-timeout D] [-format json|edn|log|auto] [-html out.html] FILE
//
// FILE is a history in the JSON format of package linearizability (what the
// simulator and the Jepsen-style runner save), a Jepsen history.edn, or a
// Jepsen text log (history.txt, jepsen.log). With -format auto, the default,
// the format is told from the content. The verdict is printed on standard
// output; with -html, the annotated Porcupine visualization is written too.
//
// Exit status: 0 if the history is linearizable; 1 if it is not, or if the
// check timed out (a timeout is never a pass); 2 on bad usage, or a file that
// cannot be read or parsed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/raftcheck/raftcheck/linearizability"
)

// Exit statuses.
const (
	exitOK       = 0
	exitNotLin   = 1
	exitBadUsage = 2
)

// defaultTimeout is the check's budget when -timeout is not given.
const defaultTimeout = time.Minute

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	timeout time.Duration
	format  string
	html    string
	path    string
}

// run is the command, with its arguments and outputs passed in so tests can
// call it. It returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "lincheck: %v\n", err)
		return exitBadUsage
	}
	h, err := load(opts.path, opts.format)
	if err != nil {
		fmt.Fprintf(stderr, "lincheck: %v\n", err)
		return exitBadUsage
	}
	res, err := linearizability.Check(h, opts.timeout)
	if err != nil {
		fmt.Fprintf(stderr, "lincheck: %s: %v\n", opts.path, err)
		return exitBadUsage
	}
	report(stdout, opts.path, res)
	if opts.html != "" {
		if err := linearizability.WriteHTMLFile(opts.html, res); err != nil {
			fmt.Fprintf(stderr, "lincheck: %v\n", err)
			return exitBadUsage
		}
		fmt.Fprintf(stdout, "visualization: %s\n", opts.html)
	}
	if res.Verdict != linearizability.Ok {
		return exitNotLin
	}
	return exitOK
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("lincheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&opts.timeout, "timeout", defaultTimeout, "time budget of the check; running out is a failure, not a pass")
	fs.StringVar(&opts.format, "format", "auto", "history format: json, edn, log (Jepsen text) or auto")
	fs.StringVar(&opts.html, "html", "", "write the annotated visualization to this HTML `file`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lincheck [-timeout D] [-format json|edn|log|auto] [-html out.html] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	switch {
	case fs.NArg() != 1:
		fs.Usage()
		return options{}, fmt.Errorf("want one history file, got %d arguments", fs.NArg())
	case opts.timeout <= 0:
		return options{}, fmt.Errorf("-timeout must be positive, got %v", opts.timeout)
	}
	switch opts.format {
	case "json", "edn", "log", "auto":
	default:
		return options{}, fmt.Errorf("unknown -format %q (want json, edn, log or auto)", opts.format)
	}
	opts.path = fs.Arg(0)
	return opts, nil
}

// load reads the history at path in format, telling the format from the
// content when it is "auto".
func load(path, format string) (linearizability.History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return linearizability.History{}, err
	}
	if format == "auto" {
		format = detectFormat(data)
	}
	var h linearizability.History
	switch format {
	case "json":
		h, err = linearizability.Decode(bytes.NewReader(data))
	case "edn":
		h, err = linearizability.DecodeJepsenEDN(bytes.NewReader(data))
	default:
		h, err = linearizability.DecodeJepsenLog(bytes.NewReader(data))
	}
	if err != nil {
		return linearizability.History{}, fmt.Errorf("%s (read as %s): %w", path, format, err)
	}
	return h, nil
}

// detectFormat tells the history formats apart by their first characters:
// JSON opens an object with a quoted field name, EDN with a keyword, a
// vector or a tag; anything else is a Jepsen text log.
func detectFormat(data []byte) string {
	text := strings.TrimLeft(string(data), " \t\r\n")
	switch {
	case strings.HasPrefix(text, "{") && strings.HasPrefix(strings.TrimLeft(text[1:], " \t\r\n"), `"`):
		return "json"
	case strings.HasPrefix(text, "{"), strings.HasPrefix(text, "["), strings.HasPrefix(text, "#"),
		strings.HasPrefix(text, ";"):
		return "edn"
	}
	return "log"
}

func report(w io.Writer, path string, res linearizability.Result) {
	fmt.Fprintf(w, "%s: %s\n", path, res)
	if keys := res.IllegalKeys(); len(keys) > 0 {
		fmt.Fprintf(w, "no linearization for key(s): %s\n", strings.Join(keys, ", "))
	}
}
