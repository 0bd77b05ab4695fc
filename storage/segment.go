package storage

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const segmentSuffix = ".wal"

func segmentName(seq uint64) string { return fmt.Sprintf("%016x%s", seq, segmentSuffix) }

// listSegments returns the sequence numbers of the segments in dir, in
// order. A file that looks like a segment but whose name does not parse is
// an error: guessing could skip a segment that holds committed entries.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var seqs []uint64
	for _, de := range des {
		name := de.Name()
		if !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segmentSuffix), 16, 64)
		if err != nil || segmentName(seq) != name {
			return nil, fmt.Errorf("%w: unexpected segment file name %s", ErrCorrupt, filepath.Join(dir, name))
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs, nil
}

// rawRecord is one record as read from a segment.
type rawRecord struct {
	typ     recordType
	payload []byte
	offset  int64
}

// scanResult is what a segment holds: its valid records, and where the
// valid part ends if a torn tail follows it.
type scanResult struct {
	records []rawRecord
	// tornAt is the offset of the torn tail, or -1 if there is none.
	tornAt int64
}

// scanSegment splits buf, the contents of the segment at path, into
// records. A bad record is a torn tail only in the last segment, and only
// if nothing valid can follow it: it runs past the end of the file, ends
// exactly at it, or is followed by nothing but zeros (a file system that
// extended the file before the data reached it). Anything else is
// corruption.
func scanSegment(path string, buf []byte, last bool) (scanResult, error) {
	res := scanResult{tornAt: -1}
	off := 0
	for off < len(buf) {
		n, ok := recordAt(buf, off)
		if !ok {
			if last && canBeTorn(buf, off, n) {
				res.tornAt = int64(off)
				return res, nil
			}
			return res, fmt.Errorf("%w: %s at byte offset %d: bad record (length %d, file size %d)",
				ErrCorrupt, path, off, n, len(buf))
		}
		res.records = append(res.records, rawRecord{
			typ: recordType(buf[off+frameHeaderBytes]), payload: buf[off+frameHeaderBytes+1 : off+n], offset: int64(off),
		})
		off += n
	}
	return res, nil
}

// recordAt returns the framed length of the record at off (as far as it
// can be read) and whether the record is whole, checksummed and typed.
func recordAt(buf []byte, off int) (int, bool) {
	if len(buf)-off < frameHeaderBytes {
		return len(buf) - off + 1, false // past the end: cannot be whole
	}
	n := int(binary.LittleEndian.Uint32(buf[off:])) + frameHeaderBytes
	if n <= frameHeaderBytes || n > len(buf)-off {
		return n, false
	}
	b := buf[off : off+n]
	if binary.LittleEndian.Uint32(b[4:8]) != frameChecksum(b) {
		return n, false
	}
	t := recordType(b[frameHeaderBytes])
	return n, t >= recHeader && t < recTypeEnd
}

func canBeTorn(buf []byte, off, n int) bool {
	if n > len(buf)-off || n == len(buf)-off {
		return true
	}
	for _, c := range buf[off:] {
		if c != 0 {
			return false
		}
	}
	return true
}

// segmentWriter appends records to one segment through a buffer.
type segmentWriter struct {
	seq  uint64
	f    *os.File
	w    *bufio.Writer
	size int64
	// records counts the records written, the header included.
	records int
	// dirty says bytes were written since the last fsync.
	dirty bool
	// maxIndex is the highest entry index written to the segment; the
	// segment may be deleted once a durable compact point reaches it.
	maxIndex uint64
}

const writeBufferBytes = 256 << 10

func createSegment(dir string, seq uint64) (*segmentWriter, error) {
	path := filepath.Join(dir, segmentName(seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	return &segmentWriter{seq: seq, f: f, w: bufio.NewWriterSize(f, writeBufferBytes)}, nil
}

func (s *segmentWriter) write(rec []byte) error {
	if _, err := s.w.Write(rec); err != nil {
		return fmt.Errorf("write %s: %w", s.f.Name(), err)
	}
	s.size += int64(len(rec))
	s.records++
	s.dirty = true
	return nil
}

// flush hands the buffered records to the OS (not yet durable).
func (s *segmentWriter) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("flush %s: %w", s.f.Name(), err)
	}
	return nil
}
