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
use super::head::{self, Evidence, HEAD_FILE, HeadRead};
use super::key::LogKey;
use super::segment::{Limit, Scan, ScanMode, TornTail, scan};
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
    /// The log ends, or is damaged, at this entry, but the head record says it reached
    /// `reached` entries ([`super::head`]): entries were cut or zeroed.
    Cut { reached: u64, evidence: Evidence },
    /// The recomputed root at `size` differs from the one the head record keeps: one of
    /// the entries from this index on was rewritten by someone holding the record key.
    HeadMismatch { size: u64, evidence: Evidence },
    /// The head record is missing beside a non-empty log (it is written before the
    /// first segment, so no crash removes it).
    HeadMissing,
    /// Neither slot of the head record authenticates.
    HeadDamaged,
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
            Problem::Cut { reached, evidence } => write!(
                f,
                "entries {k} to {} are missing or damaged: {evidence} {reached} entries (the log's head record), but the stored log ends or is damaged at entry {k}",
                reached.saturating_sub(1)
            )?,
            Problem::HeadMismatch { size, evidence } => write!(
                f,
                "the entries from {k} up to {} do not match the root at which {evidence} {size} entries (the log's head record): one of them, at or after entry {k}, was rewritten by someone holding the record key",
                size.saturating_sub(1)
            )?,
            Problem::HeadMissing => write!(
                f,
                "the log's head record ({HEAD_FILE}) is missing beside a log of {k} entries: it was removed, so entries cut from the end could not be seen"
            )?,
            Problem::HeadDamaged => write!(
                f,
                "the log's head record ({HEAD_FILE}) does not authenticate (the log holds {k} entries): it was changed or written with another key"
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
    // The head record first: a running hub writes it only after the segment bytes it
    // describes, so the segments read next hold at least what it says.
    let head = head::read(dir, key)?;
    let mode = ScanMode::at_rest(true, head.head());
    let scan = scan(dir, key, Limit::None, mode)?;
    let head_finding = check_head(&scan, &head, has_segments(dir)?);
    verify_scan(key, scan, head_finding, extra_checkpoints).map(|(report, _)| report)
}

/// Whether `dir` holds any segment file.
pub(crate) fn has_segments(dir: &Path) -> Result<bool, LogError> {
    Ok(!super::segment::list_segments(dir)?.is_empty())
}

/// What the head record says against what the scan found: the first entry the stored
/// log lacks or does not match. `None` when they agree (or the scan already stopped at
/// a problem, which comes first).
pub(crate) fn check_head(scan: &Scan, head: &HeadRead, has_segments: bool) -> Option<Finding> {
    if scan.finding.is_some() {
        return None;
    }
    let stored = scan.tree.len();
    let at = |index, problem| Finding {
        index,
        problem,
        segment: None,
        offset: None,
    };
    let head = match head {
        HeadRead::Found { head, .. } => head,
        HeadRead::Missing if has_segments => return Some(at(stored, Problem::HeadMissing)),
        HeadRead::Missing => return None,
        HeadRead::Damaged => return Some(at(stored, Problem::HeadDamaged)),
    };
    let (floor, evidence) = head.floor();
    if floor.size > stored {
        return Some(at(
            stored,
            Problem::Cut {
                reached: floor.size,
                evidence,
            },
        ));
    }
    [
        (head.appended, Evidence::Appended),
        (head.signed, Evidence::Signed),
        (head.cosigned, Evidence::Cosigned),
    ]
    .into_iter()
    .filter(|(reach, _)| scan.tree.root_at(reach.size).ok() != Some(reach.root))
    .map(|(reach, evidence)| {
        at(
            scan.good_size_below(reach.size),
            Problem::HeadMismatch {
                size: reach.size,
                evidence,
            },
        )
    })
    .min_by_key(|f| f.index)
}

/// A running log's stored state, up to what it committed (no head record: the running
/// log compares with what it appended itself, which is stronger).
pub(crate) fn verify_with(
    dir: &Path,
    key: &LogKey,
    limit: Limit,
) -> Result<(VerifyReport, MerkleTree), VerifyError> {
    let mode = ScanMode {
        allow_torn_tail: false,
        ..ScanMode::at_rest(true, None)
    };
    let scan = scan(dir, key, limit, mode)?;
    verify_scan(key, scan, None, &[])
}

fn verify_scan(
    key: &LogKey,
    scan: Scan,
    head_finding: Option<Finding>,
    extra_checkpoints: &[Vec<u8>],
) -> Result<(VerifyReport, MerkleTree), VerifyError> {
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
    // After the supplied checkpoints: at the same index, a checkpoint a party holds is
    // the stronger evidence to name.
    if let Some(f) = head_finding
        && first.as_ref().is_none_or(|g| f.index < g.index)
    {
        first = Some(f);
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
