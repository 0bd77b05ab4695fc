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
// The directory holds segment files <seq>.wal (seq as 16 hex digits) and
// snapshot files <index>-<term>.snap. A segment is a sequence of records:
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
// [Open] replays every segment in order. A torn tail, an incomplete or
// checksum-failing last record of the last segment, is what a crash in the
// middle of a write leaves; it is truncated and reported in [Recovery].
// Any other damage stops Open with an error that wraps [ErrCorrupt] and
// names the file and byte offset: a bad record in the middle of the log
// may be followed by committed entries, and dropping them silently would
// lose acknowledged writes. Open then starts a new segment, so a repaired
// segment is never written to again.
//
// In this version every live entry is also kept in memory for reads; the
// files are the source of truth on restart.
package storage
