package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errTruncated and friends describe why bytes did not decode; callers wrap
// them in their package's sentinel.
var (
	errTruncated = errors.New("truncated")
	errTrailing  = errors.New("trailing bytes")
)

// writer appends the encodings this package uses.
type writer struct{ buf []byte }

func (w *writer) byte(b byte)      { w.buf = append(w.buf, b) }
func (w *writer) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *writer) string(s string)  { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }
func (w *writer) bool(b bool)      { w.byte(boolByte(b)) }
func (w *writer) uint32(v uint32)  { w.buf = binary.BigEndian.AppendUint32(w.buf, v) }
func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// reader decodes what writer encodes. The first error sticks: later reads
// return zero values, and end reports it.
type reader struct {
	buf []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.buf) < 1 {
		r.fail(errTruncated)
		return 0
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(fmt.Errorf("bad uvarint: %w", errTruncated))
		return 0
	}
	if n > 1 && r.buf[n-1] == 0 {
		// A padded varint decodes to the same number: refuse it, so every
		// command and snapshot has exactly one encoding.
		r.fail(fmt.Errorf("uvarint padded to %d bytes", n))
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// string reads a length-prefixed string of at most maxBytes.
func (r *reader) string(maxBytes int) string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(maxBytes) {
		r.fail(fmt.Errorf("string of %d bytes, limit %d", n, maxBytes))
		return ""
	}
	if uint64(len(r.buf)) < n {
		r.fail(fmt.Errorf("string of %d bytes, %d left: %w", n, len(r.buf), errTruncated))
		return ""
	}
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}

func (r *reader) bool() bool {
	switch b := r.byte(); b {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail(fmt.Errorf("bool byte %d", b))
		return false
	}
}

// count reads a count of items that each take at least one byte, and
// refuses counts the remaining bytes cannot hold, so a corrupt count
// cannot make the decoder allocate without bound.
func (r *reader) count() int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.buf)) {
		r.fail(fmt.Errorf("count %d with %d bytes left", n, len(r.buf)))
		return 0
	}
	return int(n)
}

// end reports the first error, or trailing bytes.
func (r *reader) end() error {
	if r.err == nil && len(r.buf) > 0 {
		r.fail(fmt.Errorf("%d %w", len(r.buf), errTrailing))
	}
	return r.err
}
