package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftcheck/raftcheck/raft"
)

const (
	snapshotSuffix = ".snap"
	tmpSuffix      = ".tmp"
	snapshotMagic  = "RCSNAP02"
)

func snapshotName(r ref) string { return fmt.Sprintf("%016x-%016x%s", r.index, r.term, snapshotSuffix) }

// encodeSnapshot returns the snapshot file's bytes, checksum last.
func encodeSnapshot(s raft.Snapshot) []byte {
	b := []byte(snapshotMagic)
	b = putU64(b, s.Metadata.Index, s.Metadata.Term)
	cs := s.Metadata.ConfState
	for _, ids := range [][]uint64{cs.Voters, cs.VotersOutgoing, cs.Learners} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ids)))
		b = putU64(b, ids...)
	}
	autoLeave := uint64(0)
	if cs.AutoLeave {
		autoLeave = 1
	}
	b = putU64(b, autoLeave)
	b = putU64(b, uint64(len(s.Data)))
	b = append(b, s.Data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errSnapshotFile = errors.New("bad snapshot file")

// decodeSnapshot checks and parses a snapshot file's bytes.
func decodeSnapshot(b []byte) (raft.Snapshot, error) {
	var s raft.Snapshot
	if len(b) < len(snapshotMagic)+4 || !bytes.HasPrefix(b, []byte(snapshotMagic)) {
		return s, fmt.Errorf("%w: too short or wrong magic", errSnapshotFile)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return s, fmt.Errorf("%w: checksum mismatch", errSnapshotFile)
	}
	d := decoder{b: body[len(snapshotMagic):]}
	s.Metadata.Index, s.Metadata.Term = d.u64(), d.u64()
	s.Metadata.ConfState.Voters = d.ids()
	s.Metadata.ConfState.VotersOutgoing = d.ids()
	s.Metadata.ConfState.Learners = d.ids()
	autoLeave := d.u64()
	s.Metadata.ConfState.AutoLeave = autoLeave == 1
	n := d.u64()
	if d.bad || autoLeave > 1 || uint64(len(d.b)) != n {
		return s, fmt.Errorf("%w: malformed body", errSnapshotFile)
	}
	if n > 0 {
		s.Data = d.b
	}
	return s, nil
}

func (d *decoder) ids() []uint64 {
	if len(d.b) < 4 {
		d.bad = true
		return nil
	}
	n := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	if uint64(n)*8 > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	var ids []uint64
	for range n {
		ids = append(ids, d.u64())
	}
	return ids
}

// writeSnapshot makes the snapshot durable under its final name. It writes
// a temporary file and fsyncs it before the rename, so the final name
// never points at a partial file; then it fsyncs the directory, because
// the rename itself is only durable once the directory entry is.
func (w *WAL) writeSnapshot(s raft.Snapshot) error {
	final := filepath.Join(w.dir, snapshotName(ref{s.Metadata.Index, s.Metadata.Term}))
	tmp := final + tmpSuffix
	if err := w.writeFileSynced(tmp, encodeSnapshot(s)); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename snapshot %s: %w", tmp, err)
	}
	return w.syncDir()
}

func (w *WAL) writeFileSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = w.fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readSnapshot loads and checks the snapshot file of r.
func readSnapshot(dir string, r ref) (raft.Snapshot, error) {
	path := filepath.Join(dir, snapshotName(r))
	b, err := os.ReadFile(path)
	if err != nil {
		return raft.Snapshot{}, fmt.Errorf("read snapshot: %w", err)
	}
	s, err := decodeSnapshot(b)
	if err != nil {
		return s, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if s.Metadata.Index != r.index || s.Metadata.Term != r.term {
		return s, fmt.Errorf("%w: %s holds snapshot %d/%d", ErrCorrupt, path, s.Metadata.Index, s.Metadata.Term)
	}
	return s, nil
}

// removeSnapshotsBelow deletes snapshot files older than index, and
// leftover temporary files.
func (w *WAL) removeSnapshotsBelow(index uint64) error {
	des, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", w.dir, err)
	}
	for _, de := range des {
		name := de.Name()
		var i, t uint64
		old := strings.HasSuffix(name, snapshotSuffix) &&
			fmtSscan(name, &i, &t) && i < index
		if old || strings.HasSuffix(name, tmpSuffix) {
			if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
				return fmt.Errorf("remove old snapshot: %w", err)
			}
		}
	}
	return nil
}

func fmtSscan(name string, i, t *uint64) bool {
	n, err := fmt.Sscanf(name, "%016x-%016x"+snapshotSuffix, i, t)
	return err == nil && n == 2
}
