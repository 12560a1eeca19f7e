//! The tamper-evident decision log (articles 10, 11.1, 12.3 and 13.2).
//!
//! Every decision on a share and every case change is appended here, durably, before
//! its result is returned. The log is a Merkle-tree transparency log in the manner of
//! Certificate Transparency (RFC 6962 / RFC 9162 hashing, SHA-256): the hub signs
//! checkpoints (tree size + root hash, Ed25519, the C2SP signed-note checkpoint
//! format); each party's agent witnesses them (a consistency proof from the checkpoint
//! it holds, then its cosignature) and can ask for an inclusion proof of each entry
//! about a share it provided or received, without seeing anyone else's entries. A hub
//! that rewrites or forks its history is caught by the first agent that sees its next
//! checkpoint; `verify` names the first entry that was changed, removed or reordered.
//!
//! # Layout
//! - [`hash`], [`tree`], [`proof`], [`checkpoint`]: re-exported from
//!   `treiter_translog` (shared with the node agents, which witness checkpoints
//!   and verify proofs).
//! - [`key`]: the hub's log key file (PKCS#8, mode 0600, generated on first start).
//! - [`entry`]: the log entry of article 10.1, which cannot hold personal data, and its
//!   canonical encoding.
//! - [`segment`]: the segment file and record format, and the scan that rebuilds the
//!   tree.
//! - [`head`]: the head record, outside the segments: how far the log reached, so a
//!   cut or zeroed log is never taken for a crash.
//! - [`store`]: the [`Log`] handle: group commit with `fdatasync`, failing closed,
//!   recovery of a torn last write, proofs, checkpoints.
//! - [`faults`]: the switch that makes the log's writes or syncs fail, in test builds
//!   only (the `fault-injection` feature); inert in the hub built for use.
//! - [`verify`]: `hub log verify`, naming the first bad entry.
//! - [`postgres`]: the same log in the data database (`[store] backend = "postgres"`),
//!   shared by several hub replicas: entries sequenced under a row lock, one signer at
//!   a time, checkpoints published by compare-and-swap.
//!
//! # On-disk format (version 1)
//! A log directory holds:
//! - `LOCK`: empty; the running log holds an exclusive `flock` on it.
//! - `HEAD`: the head record ([`head`]): the entries the log held after its last
//!   durable batch, and the latest signed and cosigned checkpoints, each as size and
//!   root, authenticated with the record key. Written before the first segment.
//! - `NNNNNNNNNNNNNNNNNNNN.seg` (20 decimal digits: the index of the segment's first
//!   entry): the segment files, in order. A new one starts when the current one passes
//!   64 MiB; all but the last are never written again.
//! - `NNNNNNNNNNNNNNNNNNNN.seg.torn-OFFSET`: the bytes of an incomplete last write that
//!   open moved aside (kept as evidence, never read back).
//!
//! A segment is a 16-byte header — the magic `TRTLOG01` and the first entry index
//! (u64, big-endian) — followed by records. All integers are big-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | kind: `0x01` entry, `0x02` checkpoint |
//! | 4 | body length *n* (u32; at most 16 KiB for an entry, 64 KiB for a checkpoint) |
//! | 8 | seq: the entry's leaf index, or the checkpoint's tree size |
//! | 32 | tag: HMAC-SHA-256 under the record key of `"treiter-log-record-v1" ‖ kind ‖ n ‖ seq ‖ body` |
//! | *n* | body: the entry's canonical JSON with its random salt ([`entry`]), or the signed checkpoint note |
//!
//! The leaf hash of an entry is `SHA-256(0x00 ‖ body)`. Entry records appear in index
//! order with no gaps across all segments. A checkpoint record follows the entries it
//! covers (signed after a batch, written with it); a cosigned copy of an earlier
//! checkpoint may follow later. The record key is derived from the log's signing key
//! ([`key`]), so records cannot be altered without that key, and checkpoints — signed,
//! and held by the witnesses — cannot be altered at all.
//!
//! Opening reads the head record and then every segment (about 1–2 s per million
//! entries), checks every tag, sequence number and stored checkpoint, and refuses a log
//! that does not verify. A damaged end of the last segment is taken for a write a crash
//! cut short only where it can be one: it is smaller than one batch (4 MiB), looks like
//! one (the last record runs past the end of the file, or the tail has a run of zero
//! bytes where pages were lost), no authentic record (entry or checkpoint) starts after
//! the damage, and it starts at or beyond what the head record says was acknowledged,
//! signed or cosigned. It is then moved aside and cut off. A log shorter than the head
//! record says, or whose root there differs, was cut or rewritten. Anything else fails
//! the open, and `hub serve` refuses to start: the operator runs `hub log verify`, which
//! names the first missing or damaged entry, and changes nothing.
//!
//! # Keys
//! The hub's log key is an Ed25519 key in a PKCS#8 file (PEM), mode 0600, outside the
//! data directory; see [`key`] for how it is loaded or generated on the first start.
//! Its key name is the log's origin (e.g. `hub.treiteraanpak.example/decision-log`),
//! which agents are configured with, together with its verifier key
//! ([`checkpoint::NoteVerifier`]'s text form).

// Data read from disk or the network must never panic the hub: a damaged log is an
// error to report, not a crash.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// Hashing, the tree, proofs and checkpoints live in `treiter_translog`, because
// the node agents verify the hub's checkpoints and proofs with the same code.
pub use treiter_translog::{checkpoint, hash, proof, tree};

pub mod entry;
pub mod faults;
pub mod head;
pub mod key;
pub mod postgres;
pub mod recording;
pub mod segment;
pub mod store;
pub mod verify;

pub use checkpoint::{
    Checkpoint, CheckpointError, NoteSigner, NoteVerifier, OpenedCheckpoint, SignedCheckpoint,
    WitnessError, open_checkpoint, witness_checkpoint,
};
pub use entry::{Entry, EntryError, EntryKind, Event};
#[cfg(any(test, feature = "fault-injection"))]
pub use faults::FaultSwitch;
pub use hash::Hash;
pub use head::{Evidence, Head, Reach};
pub use key::{KeyError, KeySource, LogKey};
pub use proof::{
    ConsistencyError, InclusionError, ProofError, verify_consistency, verify_inclusion,
};
pub use recording::RecordingError;
pub use segment::TornTail;
pub use store::{
    AppendsDurable, CheckpointSigned, Log, LogError, LogOptions, LogStats, OpenReport,
    PreparedAppends, StoredEntry, SyncMode,
};
pub use verify::{Finding, Problem, VerifyError, VerifyReport, verify_dir};

#[cfg(test)]
mod postgres_tests;
#[cfg(test)]
mod tests;
