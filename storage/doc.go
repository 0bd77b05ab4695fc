// Package storage is a durable node.Storage: the Raft log, the hard state
// and snapshots in a directory, behind a small write-ahead log of our own.
//
// A log-structured file fits Raft's access pattern (append at the end,
// sometimes replace a suffix, drop a prefix after a snapshot) and keeps the
// batching of fsyncs under our control: writes are buffered, and [WAL.Sync]
// makes all of them durable with one fsync. The node calls Sync once per
// Ready, so every append of that Ready shares it.
//
// # On-disk format
//
// The directory holds segment files <seq>.wal (seq as 16 hex digits),
// snapshot files <index>-<term>.snap (both numbers as 16 hex digits) and
// a LOCK file. A segment is a sequence of records:
//
//	length uint32 LE | crc uint32 LE | type uint8 | payload
//
// length counts type and payload; crc is CRC-32C (Castagnoli) over the
// length bytes, the type and the payload. Integers in payloads are uint64
// little-endian. The types are:
//
//	header    (1) seq, hard state (term, vote, commit), snapshot (index, term),
//	              compact point (index, term), last entry (index, term)
//	entry     (2) term, index, entry type uint8, data
//	hardstate (3) term, vote, commit
//	compact   (4) index, term: entries up to index are discarded
//	snapshot  (5) index, term, reset uint8: snapshot <index>-<term>.snap is
//	              current; reset 1 (ApplySnapshot) discards the whole log
//
// Every segment starts with a header that states what the log looked like
// when the segment was opened, so the segments before it can be deleted
// once a durable compact point covers all of their entries. An entry
// record at an index at or below the last one replaces the log from that
// index on, as Append does, so no separate truncate record is needed.
//
// A snapshot file is
//
//	magic "RCSNAP01" | index | term | voters (count uint32, ids) |
//	learners (count uint32, ids) | data length | data | crc uint32
//
// with the CRC-32C over everything before it.
//
// # Recovery
//
// [Open] replays every segment in order. A torn tail is what a crash in
// the middle of a write leaves: in the last segment, a bad record (short,
// bad checksum or unknown type) that runs past or exactly to the end of
// the file, or is followed by nothing but zeros. It is truncated and
// reported in [Recovery]. Any other damage stops Open with an error that wraps [ErrCorrupt] and
// names the file and byte offset: a bad record in the middle of the log
// may be followed by committed entries, and dropping them silently would
// lose acknowledged writes. Open then starts a new segment, so a repaired
// segment is never written to again.
//
// The snapshot in use is the newest one a replayed record names. If its
// file fails its checksum, the one before it is used when the log still
// holds every entry after it (one older snapshot file is kept for that);
// otherwise Open fails naming the file. A snapshot file whose record was
// lost in a crash is ignored.
//
// # Failures and limits
//
// A failed write or fsync is sticky: every later call returns an error
// wrapping [ErrFailed], because a later fsync that succeeds would not
// bring back pages the kernel dropped. Reopen to recover from the files.
// The directory is locked (a LOCK file, flock on unix) while open.
// [Options.RecordBytesMax] bounds one entry's record and
// [Options.SegmentBytesMax] the size at which a segment is rotated.
//
// In this version every live entry is also kept in memory for reads, and
// Open reads each segment whole; the files are the source of truth on
// restart.
package storage
