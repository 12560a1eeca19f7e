//! The transparency log's mathematics, shared by the hub (which appends, proves and
//! signs) and by node agents and hubctl (which witness checkpoints and verify proofs):
//! RFC 9162 hashing, the Merkle tree, inclusion and consistency proofs, and C2SP
//! signed-note checkpoints with cosignatures. Storage lives in the hub (`hub::log`).
//!
//! # Layout
//! - [`hash`]: leaf and node hashing (RFC 6962 §2.1), the empty-tree root.
//! - [`tree`]: the Merkle tree head over the leaf hashes, O(1) amortised appends, roots
//!   at any earlier size; the compact range (frontier).
//! - [`proof`]: inclusion and consistency proofs: generation, and verification as free
//!   functions over hashes.
//! - [`checkpoint`]: signed notes and checkpoints, `open_checkpoint` (parse and verify
//!   in one), cosigning by witnesses.
//! - [`refusal`]: why a witness refuses a checkpoint: the reason words agents send the
//!   hub, and the bounds on the text that comes with them.

// Data read from disk or the network must never panic its reader.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod checkpoint;
pub mod hash;
pub mod proof;
pub mod refusal;
pub mod tree;

pub use checkpoint::{
    Checkpoint, CheckpointError, NoteSigner, NoteVerifier, OpenedCheckpoint, SignedCheckpoint,
    WitnessError, open_checkpoint, witness_checkpoint,
};
pub use hash::Hash;
pub use proof::{
    ConsistencyError, InclusionError, ProofError, verify_consistency, verify_inclusion,
};
pub use refusal::RefusalReason;
