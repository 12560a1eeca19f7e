//! `hub log verify`: recompute the whole tree from the stored entries, check it against
//! every stored checkpoint (and any checkpoints a party supplies), and name the first
//! entry that was changed, removed or reordered.
//!
//! What is checked, in stream order, stopping at the first problem:
//! - every segment starts where the previous one ended (a missing segment is a removal);
//! - every record authenticates (HMAC with the record key, see [`super::key`]): a
//!   changed byte anywhere in entry k's record names entry k;
//! - entry records carry their own index: position k holding entry m names entry k as
//!   removed (m > k and k is nowhere later), reordered (k appears later) or duplicated
//!   (m < k);
//! - every stored checkpoint opens with the log's key, and the recomputed root at its
//!   size equals its root: a mismatch means the entries since the last good checkpoint
//!   were rewritten by someone holding the record key; the first of them is named;
//! - a checkpoint larger than the stored log means entries were removed from the end.
//!
//! [`super::Log::verify`] does the same on a running log, and also compares every leaf
//! with what the running log appended, which names an altered entry exactly even when
//! the record key was used.

use std::path::{Path, PathBuf};

use super::checkpoint::open_checkpoint;
use super::hash::Hash;
use super::key::LogKey;
use super::segment::{Limit, ScanMode, TornTail, scan};
use super::store::LogError;
use super::tree::MerkleTree;

/// What is wrong at the first bad position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The record does not authenticate or cannot be read: its bytes were changed.
    Changed,
    /// The position holds a later entry and this entry is nowhere after it.
    Removed { found: u64 },
    /// The position holds a later entry and this entry appears further on.
    Reordered { found: u64 },
    /// The position holds an earlier entry again.
    Duplicated { found: u64 },
    /// The record authenticates but is not a canonical entry (a bug or a stolen key).
    NotAnEntry,
    /// A segment file is missing, misnamed or has a broken header.
    BadSegment { detail: &'static str },
    /// A stored checkpoint record does not open with the log's key.
    BadCheckpoint { detail: String },
    /// A checkpoint covers entries that are not stored: they were removed.
    Missing { checkpoint_size: u64 },
    /// The recomputed root differs from a checkpoint's: one of the entries since the
    /// last good checkpoint (from this index) was rewritten with the record key.
    RootMismatch { checkpoint_size: u64 },
    /// A running log: the stored entry differs from the one it appended.
    DiffersFromAppended,
    /// A running log: entries it appended are no longer stored.
    MissingSinceAppended { appended: u64 },
}

/// The first bad position in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The first entry index that is not as it was appended.
    pub index: u64,
    pub problem: Problem,
    /// The segment file and byte offset where it shows, if it shows in a file.
    pub segment: Option<PathBuf>,
    pub offset: Option<u64>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = self.index;
        match &self.problem {
            Problem::Changed => {
                write!(f, "entry {k} was changed: its record does not authenticate")?
            }
            Problem::Removed { found } => write!(
                f,
                "entry {k} was removed: its position holds entry {found}, and entry {k} is nowhere after it"
            )?,
            Problem::Reordered { found } => write!(
                f,
                "entry {k} was reordered: its position holds entry {found}, and entry {k} appears later"
            )?,
            Problem::Duplicated { found } => {
                write!(f, "entry {k} was replaced by a copy of entry {found}")?
            }
            Problem::NotAnEntry => write!(
                f,
                "entry {k} authenticates but is not a canonical log entry (software fault or a stolen key)"
            )?,
            Problem::BadSegment { detail } => {
                write!(f, "the log is damaged from entry {k} on: {detail}")?
            }
            Problem::BadCheckpoint { detail } => write!(
                f,
                "the stored checkpoint before entry {k} was changed or forged: {detail}"
            )?,
            Problem::Missing { checkpoint_size } => write!(
                f,
                "entries {k} to {} were removed: a checkpoint covers {checkpoint_size} entries, {k} are stored",
                checkpoint_size.saturating_sub(1)
            )?,
            Problem::RootMismatch { checkpoint_size } => write!(
                f,
                "the entries from {k} up to {} do not match the signed checkpoint of size {checkpoint_size}: one of them, at or after entry {k}, was rewritten by someone holding the record key",
                checkpoint_size.saturating_sub(1)
            )?,
            Problem::DiffersFromAppended => {
                write!(f, "entry {k} differs from the entry this hub appended")?
            }
            Problem::MissingSinceAppended { appended } => write!(
                f,
                "entries {k} to {} were removed: this hub appended {appended}",
                appended.saturating_sub(1)
            )?,
        }
        if let Some(seg) = &self.segment {
            write!(f, " ({}", seg.display())?;
            if let Some(off) = self.offset {
                write!(f, ", byte {off}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// What a verification found when all is well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries stored and verified.
    pub entries: u64,
    /// The recomputed root over all of them.
    pub root: Hash,
    /// Checkpoints checked (stored and supplied).
    pub checkpoints: usize,
    /// The largest tree size a checkpoint covers (0 if none): the entries beyond are
    /// protected by their record tags only until the next checkpoint.
    pub covered_by_checkpoint: u64,
    /// An incompletely written last batch (a crash before its sync), which the next
    /// open moves aside. Its entries were never acknowledged.
    pub torn_tail: Option<TornTail>,
}

/// Verification could not pass.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The log was tampered with (or damaged): the first bad position.
    #[error("the decision log does not verify: {0}")]
    Tampered(Finding),
    /// The log could not be read.
    #[error(transparent)]
    Storage(#[from] LogError),
}

/// Verifies the log in `dir` (the hub may be running or not), against its stored
/// checkpoints and the `extra_checkpoints` (notes a party holds, e.g. cosigned ones).
pub fn verify_dir(
    dir: &Path,
    key: &LogKey,
    extra_checkpoints: &[Vec<u8>],
) -> Result<VerifyReport, VerifyError> {
    verify_with(dir, key, extra_checkpoints, Limit::None, true).map(|(report, _)| report)
}

pub(crate) fn verify_with(
    dir: &Path,
    key: &LogKey,
    extra_checkpoints: &[Vec<u8>],
    limit: Limit,
    allow_torn_tail: bool,
) -> Result<(VerifyReport, MerkleTree), VerifyError> {
    let scan = scan(
        dir,
        key,
        limit,
        ScanMode {
            allow_torn_tail,
            parse_entries: true,
        },
    )?;
    let mut first: Option<Finding> = scan.finding.clone();
    let mut checkpoints = scan.checkpoints.len();
    let mut covered = scan.checkpoints.iter().map(|c| c.size).max().unwrap_or(0);
    let stored = scan.tree.len();
    for note in extra_checkpoints {
        checkpoints += 1;
        let finding = match open_checkpoint(key.origin(), &[key.verifier().clone()], note) {
            Err(e) => Some(Finding {
                index: 0,
                problem: Problem::BadCheckpoint {
                    detail: format!("a supplied checkpoint: {e}"),
                },
                segment: None,
                offset: None,
            }),
            Ok(opened) => {
                let cp = opened.checkpoint();
                if cp.size > stored {
                    Some(Finding {
                        index: stored,
                        problem: Problem::Missing {
                            checkpoint_size: cp.size,
                        },
                        segment: None,
                        offset: None,
                    })
                } else if scan.tree.root_at(cp.size).ok() != Some(cp.root) {
                    Some(Finding {
                        index: scan.good_size_below(cp.size),
                        problem: Problem::RootMismatch {
                            checkpoint_size: cp.size,
                        },
                        segment: None,
                        offset: None,
                    })
                } else {
                    covered = covered.max(cp.size);
                    None
                }
            }
        };
        if let Some(f) = finding
            && first.as_ref().is_none_or(|g| f.index < g.index)
        {
            first = Some(f);
        }
    }
    if let Some(f) = first {
        return Err(VerifyError::Tampered(f));
    }
    let report = VerifyReport {
        entries: stored,
        root: scan.tree.root(),
        checkpoints,
        covered_by_checkpoint: covered,
        torn_tail: scan.torn,
    };
    Ok((report, scan.tree))
}
