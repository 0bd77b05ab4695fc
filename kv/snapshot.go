package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// ErrCorruptSnapshot is wrapped by every error of Restore about the
// snapshot's bytes.
var ErrCorruptSnapshot = errors.New("kv: corrupt snapshot")

// snapshotMagic and snapshotVersion open every snapshot.
const (
	snapshotMagic   = "RKVS"
	snapshotVersion = 1
	checksumBytes   = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot encodes the store: magic and version; the keys in increasing
// order with their values; the sessions from least to most recently used,
// each with its client, last seq and result; and a CRC-32C of all of it.
// Equal stores encode to equal bytes.
func (s *Store) Snapshot() []byte {
	var w writer
	w.buf = append(w.buf, snapshotMagic...)
	w.byte(snapshotVersion)
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.string(k)
		w.string(s.data[k])
	}
	w.uvarint(uint64(s.sessions.len()))
	s.sessions.each(func(sess *session) {
		w.uvarint(sess.client)
		w.uvarint(sess.seq)
		w.string(sess.result.Value)
		w.bool(sess.result.Found)
		w.bool(sess.result.OK)
		w.byte(byte(sess.result.Code))
	})
	w.uint32(crc32.Checksum(w.buf, castagnoli))
	return w.buf
}

// Restore replaces the store's state with the snapshot's. A snapshot that
// is corrupt (bad checksum, magic or version, truncated, keys out of
// order, sizes past the limits, more sessions than this store's bound)
// is refused with an error wrapping ErrCorruptSnapshot, and the store is
// unchanged.
func (s *Store) Restore(snap []byte) error {
	data, sess, err := decodeSnapshot(snap, s.sessions.max)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
	}
	s.data, s.sessions = data, sess
	return nil
}

func decodeSnapshot(snap []byte, sessionsMax int) (map[string]string, sessions, error) {
	if len(snap) < len(snapshotMagic)+1+checksumBytes {
		return nil, sessions{}, fmt.Errorf("%d bytes: %w", len(snap), errTruncated)
	}
	body, sum := snap[:len(snap)-checksumBytes], snap[len(snap)-checksumBytes:]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(sum); got != want {
		return nil, sessions{}, fmt.Errorf("checksum %08x, want %08x", got, want)
	}
	if string(body[:len(snapshotMagic)]) != snapshotMagic {
		return nil, sessions{}, fmt.Errorf("magic %q, want %q", body[:len(snapshotMagic)], snapshotMagic)
	}
	r := reader{buf: body[len(snapshotMagic):]}
	if v := r.byte(); v != snapshotVersion {
		return nil, sessions{}, fmt.Errorf("version %d, want %d", v, snapshotVersion)
	}
	data, err := decodeData(&r)
	if err != nil {
		return nil, sessions{}, err
	}
	sess, err := decodeSessions(&r, sessionsMax)
	if err != nil {
		return nil, sessions{}, err
	}
	if err := r.end(); err != nil {
		return nil, sessions{}, err
	}
	return data, sess, nil
}

func decodeData(r *reader) (map[string]string, error) {
	n := r.count()
	data := make(map[string]string, n)
	prev := ""
	for i := range n {
		k, v := r.string(KeyBytesMax), r.string(ValueBytesMax)
		if r.err != nil {
			return nil, fmt.Errorf("key %d of %d: %w", i, n, r.err)
		}
		if k == "" || (i > 0 && k <= prev) {
			return nil, fmt.Errorf("key %d %q after %q: keys must be non-empty and increasing", i, k, prev)
		}
		data[k], prev = v, k
	}
	return data, r.err
}

func decodeSessions(r *reader, sessionsMax int) (sessions, error) {
	n := r.count()
	if n > sessionsMax {
		return sessions{}, fmt.Errorf("%d sessions, limit %d", n, sessionsMax)
	}
	t := newSessions(sessionsMax)
	for i := range n {
		client, seq := r.uvarint(), r.uvarint()
		res := Result{Value: r.string(ValueBytesMax), Found: r.bool(), OK: r.bool(), Code: Code(r.byte())}
		if r.err != nil {
			return sessions{}, fmt.Errorf("session %d of %d: %w", i, n, r.err)
		}
		if client == 0 || seq == 0 || res.Code >= codeEnd || t.get(client) != nil {
			return sessions{}, fmt.Errorf("session %d of %d: client %d seq %d code %d: zero, unknown or repeated",
				i, n, client, seq, res.Code)
		}
		t.record(client, seq, res)
	}
	return t, nil
}
