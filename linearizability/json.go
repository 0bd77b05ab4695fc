package linearizability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/raftcheck/raftcheck/model"
)

// Identification of the JSON history format; see the package comment.
const (
	// FormatName is the value of the "format" field of a history file.
	FormatName = "raftcheck-history"
	// FormatVersion is the version of the history file format that Encode
	// writes and Decode reads.
	FormatVersion = 1
)

// FileBytesMax is the largest history file Decode and the importers read.
const FileBytesMax = 512 << 20

type fileV1 struct {
	Format     string       `json:"format"`
	Version    int          `json:"version"`
	Operations []fileOp     `json:"operations"`
	Faults     []fileFault  `json:"faults,omitempty"`
	Leaders    []fileLeader `json:"leaders,omitempty"`
	Retries    []fileRetry  `json:"retries,omitempty"`
}

type fileOp struct {
	Client int        `json:"client"`
	Input  fileInput  `json:"input"`
	Output fileOutput `json:"output"`
	Call   *int64     `json:"call"`
	Return *int64     `json:"return,omitempty"`
}

type fileInput struct {
	Op       string `json:"op"`
	Key      string `json:"key"`
	Value    string `json:"value,omitempty"`
	Expected string `json:"expected,omitempty"`
	Mode     string `json:"mode,omitempty"`
}

type fileOutput struct {
	Value   string `json:"value,omitempty"`
	Found   bool   `json:"found,omitempty"`
	OK      bool   `json:"ok,omitempty"`
	Unknown bool   `json:"unknown,omitempty"`
}

type fileFault struct {
	Kind        string   `json:"kind"`
	Nodes       []uint64 `json:"nodes,omitempty"`
	Start       int64    `json:"start"`
	End         int64    `json:"end"`
	Description string   `json:"description,omitempty"`
}

type fileLeader struct {
	Term   uint64 `json:"term"`
	Leader uint64 `json:"leader"`
	Start  int64  `json:"start"`
	End    int64  `json:"end"`
}

type fileRetry struct {
	Op          int    `json:"op"`
	Attempt     int    `json:"attempt"`
	Time        int64  `json:"time"`
	Description string `json:"description,omitempty"`
}

// Encode writes h to w in the JSON history format, indented, one field per
// line. It refuses a malformed history, so that every file it writes can be
// read back.
func Encode(w io.Writer, h History) error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	data, err := json.MarshalIndent(toFile(h), "", "  ")
	if err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	return nil
}

// Save writes h to the file at path in the JSON history format.
func Save(path string, h History) error {
	var buf bytes.Buffer
	if err := Encode(&buf, h); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Decode reads a history in the JSON history format from r. It rejects, with
// an error that says where and what, a file that is not JSON, has another
// format name or version, has fields the format does not define, or holds a
// malformed history (see History.Validate).
func Decode(r io.Reader) (History, error) {
	data, err := readAllMax(r)
	if err != nil {
		return History{}, fmt.Errorf("decode history: %w", err)
	}
	h, err := decodeBytes(data)
	if err != nil {
		return History{}, fmt.Errorf("decode history: %w", err)
	}
	return h, nil
}

// Load reads a history in the JSON history format from the file at path.
func Load(path string) (History, error) {
	f, err := os.Open(path)
	if err != nil {
		return History{}, fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	h, err := Decode(f)
	if err != nil {
		return History{}, fmt.Errorf("load %s: %w", path, err)
	}
	return h, nil
}

func readAllMax(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, FileBytesMax+1))
	if err != nil {
		return nil, err
	}
	if len(data) > FileBytesMax {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, FileBytesMax)
	}
	return data, nil
}

func decodeBytes(data []byte) (History, error) {
	// The header first, leniently, so that a file of another version
	// is reported as such and not as a list of unknown fields. Unmarshal
	// also rejects data after the object.
	var header struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &header); err != nil {
		return History{}, jsonError(data, err)
	}
	if header.Format != FormatName {
		return History{}, fmt.Errorf("%w: format %q, want %q", ErrMalformed, header.Format, FormatName)
	}
	if header.Version != FormatVersion {
		return History{}, fmt.Errorf("%w: version %d, this reader knows version %d",
			ErrMalformed, header.Version, FormatVersion)
	}
	var f fileV1
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return History{}, jsonError(data, err)
	}
	h, err := fromFile(f)
	if err != nil {
		return History{}, err
	}
	return h, h.Validate()
}

// jsonError adds the line and column to a JSON error that has an offset.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var offset int64 = -1
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	line, col := lineCol(data, offset)
	return fmt.Errorf("%w: line %d, column %d: %w", ErrMalformed, line, col, err)
}

func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(offset, int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	// The offset counts the offending byte: it is the column, from 1.
	col = max(int(offset)-(bytes.LastIndexByte(before, '\n')+1), 1)
	return line, col
}

func toFile(h History) fileV1 {
	f := fileV1{Format: FormatName, Version: FormatVersion, Operations: make([]fileOp, len(h.Ops))}
	for i, op := range h.Ops {
		call := op.Call
		fo := fileOp{
			Client: op.Input.Client,
			Input: fileInput{Op: op.Input.Op.String(), Key: op.Input.Key, Value: op.Input.Value,
				Expected: op.Input.Expected, Mode: string(op.Input.Mode)},
			Output: fileOutput(op.Output),
			Call:   &call,
		}
		if !op.Output.Unknown {
			ret := op.Return
			fo.Return = &ret
		}
		f.Operations[i] = fo
	}
	for _, x := range h.Faults {
		f.Faults = append(f.Faults, fileFault(x))
	}
	for _, x := range h.Leaders {
		f.Leaders = append(f.Leaders, fileLeader{Term: x.Term, Leader: x.Node, Start: x.Start, End: x.End})
	}
	for _, x := range h.Retries {
		f.Retries = append(f.Retries, fileRetry(x))
	}
	return f
}

func fromFile(f fileV1) (History, error) {
	var h History
	if len(f.Operations) > OpsMax {
		return History{}, fmt.Errorf("%w: %d operations, more than %d", ErrMalformed, len(f.Operations), OpsMax)
	}
	for i, fo := range f.Operations {
		op, err := fromFileOp(fo)
		if err != nil {
			return History{}, fmt.Errorf("%w: operation %d: %w", ErrMalformed, i, err)
		}
		h.Ops = append(h.Ops, op)
	}
	for _, x := range f.Faults {
		h.Faults = append(h.Faults, Fault(x))
	}
	for _, x := range f.Leaders {
		h.Leaders = append(h.Leaders, Leader{Term: x.Term, Node: x.Leader, Start: x.Start, End: x.End})
	}
	for _, x := range f.Retries {
		h.Retries = append(h.Retries, Retry(x))
	}
	return h, nil
}

func fromFileOp(fo fileOp) (Operation, error) {
	kind, err := model.ParseOp(fo.Input.Op)
	if err != nil {
		return Operation{}, err
	}
	mode, err := model.ParseReadMode(fo.Input.Mode)
	if err != nil {
		return Operation{}, err
	}
	if fo.Call == nil {
		return Operation{}, errors.New(`missing "call" time`)
	}
	op := Operation{
		Input: model.Input{Op: kind, Key: fo.Input.Key, Value: fo.Input.Value,
			Expected: fo.Input.Expected, Mode: mode, Client: fo.Client},
		Output: model.Output(fo.Output),
		Call:   *fo.Call,
	}
	switch {
	case op.Output.Unknown && fo.Return != nil:
		return Operation{}, errors.New(`"return" time on an operation with an unknown outcome`)
	case !op.Output.Unknown && fo.Return == nil:
		return Operation{}, errors.New(`missing "return" time (set output.unknown if the outcome is unknown)`)
	case fo.Return != nil:
		op.Return = *fo.Return
	}
	return op, nil
}
