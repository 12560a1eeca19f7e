//! Segment files and their records: the on-disk format (see the module doc of
//! [`super`]) and the scan that rebuilds the tree from it, used both by
//! [`super::Log::open`] (which then repairs a torn tail) and by `verify`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::checkpoint::{SignedCheckpoint, open_checkpoint};
use super::entry::{Entry, MAX_ENTRY_BYTES};
use super::hash::{Hash, leaf_hash};
use super::head::{Evidence, Head, Reach};
use super::key::LogKey;
use super::store::LogError;
use super::tree::MerkleTree;
use super::verify::{Finding, Problem};

/// The first 8 bytes of every segment file (format version 1).
pub(crate) const MAGIC: &[u8; 8] = b"TRTLOG01";
/// Magic plus the first leaf index.
pub(crate) const HEADER_LEN: usize = 16;
/// kind (1) + body length (4) + seq (8) + tag (32).
pub(crate) const RECORD_HEADER_LEN: usize = 45;
/// Record kind: a log entry; seq is its leaf index.
pub(crate) const KIND_ENTRY: u8 = 0x01;
/// Record kind: a signed checkpoint note; seq is its tree size.
pub(crate) const KIND_CHECKPOINT: u8 = 0x02;
/// Domain separation for record tags.
const TAG_DOMAIN: &[u8] = b"treiter-log-record-v1";
/// The largest record body (a checkpoint note may hold many cosignatures).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// The most bytes one group commit writes.
pub(crate) const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// The largest damaged tail of the last segment that is taken for a write cut short by
/// a crash: one batch (which may pass [`MAX_BATCH_BYTES`] by its last requests), with
/// room to spare.
pub(crate) const MAX_TORN_TAIL: usize = 2 * MAX_BATCH_BYTES;
/// A run of this many zero bytes never occurs in a record (the kind byte, the tag and
/// the JSON or note body are never zero for this long) but does where the file system
/// lost pages of an unsynced write.
const ZERO_RUN: usize = 64;

/// Where a leaf's record is: the segment (by position in the segment list) and the
/// byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub segment: u32,
    pub offset: u32,
}

/// A segment as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentFile {
    pub first_index: u64,
    pub path: PathBuf,
    /// Bytes up to the end of the last good record.
    pub valid_len: u64,
}

/// The end of the last segment that a crash left incompletely written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the incomplete write starts; the file is truncated here on open.
    pub offset: u64,
    /// How many bytes are moved aside.
    pub bytes: u64,
    /// The leaf index the next entry gets (no acknowledged entry is in the tail).
    pub next_index: u64,
}

/// The file name of the segment whose first leaf is `first_index`.
pub(crate) fn segment_name(first_index: u64) -> String {
    format!("{first_index:020}.seg")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// The segment files in `dir`, by first index.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let read = std::fs::read_dir(dir).map_err(|e| LogError::read(dir, e))?;
    let mut out = Vec::new();
    for item in read {
        let item = item.map_err(|e| LogError::read(dir, e))?;
        if let Some(first) = item.file_name().to_str().and_then(parse_segment_name) {
            out.push((first, item.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// A segment header.
pub(crate) fn segment_header(first_index: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let (magic, index) = h.split_at_mut(8);
    magic.copy_from_slice(MAGIC);
    index.copy_from_slice(&first_index.to_be_bytes());
    h
}

pub(crate) fn tag(key: &LogKey, kind: u8, len: u32, seq: u64, body: &[u8]) -> [u8; 32] {
    key.record_tag(&[
        TAG_DOMAIN,
        &[kind],
        &len.to_be_bytes(),
        &seq.to_be_bytes(),
        body,
    ])
}

/// Appends one record to `out`.
pub(crate) fn encode_record(out: &mut Vec<u8>, key: &LogKey, kind: u8, seq: u64, body: &[u8]) {
    // Bodies are bounded by MAX_ENTRY_BYTES / MAX_BODY, far below u32::MAX.
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&tag(key, kind, len, seq, body));
    out.extend_from_slice(body);
}

/// One record read from a segment.
pub(crate) struct Record<'a> {
    pub kind: u8,
    pub seq: u64,
    pub body: &'a [u8],
    /// The offset just past the record.
    pub end: usize,
}

/// Why the bytes at an offset are not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordProblem {
    /// The file ends inside the record.
    Incomplete,
    /// Unknown kind or impossible length.
    Malformed,
    /// The tag does not match.
    BadTag,
}

fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn be_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

/// Reads the record at `pos`, checking its tag.
pub(crate) fn read_record<'a>(
    data: &'a [u8],
    pos: usize,
    key: &LogKey,
) -> Result<Record<'a>, RecordProblem> {
    let rest = data.get(pos..).ok_or(RecordProblem::Incomplete)?;
    let header = rest
        .get(..RECORD_HEADER_LEN)
        .ok_or(RecordProblem::Incomplete)?;
    let kind = *header.first().ok_or(RecordProblem::Incomplete)?;
    let len = header
        .get(1..5)
        .and_then(be_u32)
        .ok_or(RecordProblem::Malformed)?;
    let seq = header
        .get(5..13)
        .and_then(be_u64)
        .ok_or(RecordProblem::Malformed)?;
    let stored_tag = header.get(13..45).ok_or(RecordProblem::Malformed)?;
    let body_len = usize::try_from(len).map_err(|_| RecordProblem::Malformed)?;
    let max = match kind {
        KIND_ENTRY => MAX_ENTRY_BYTES,
        KIND_CHECKPOINT => MAX_BODY,
        _ => return Err(RecordProblem::Malformed),
    };
    if body_len > max {
        return Err(RecordProblem::Malformed);
    }
    let body = rest
        .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + body_len)
        .ok_or(RecordProblem::Incomplete)?;
    let authentic = key.verify_record_tag(
        &[
            TAG_DOMAIN,
            &[kind],
            &len.to_be_bytes(),
            &seq.to_be_bytes(),
            body,
        ],
        stored_tag,
    );
    if !authentic {
        return Err(RecordProblem::BadTag);
    }
    Ok(Record {
        kind,
        seq,
        body,
        end: pos + RECORD_HEADER_LEN + body_len,
    })
}

/// Whether an authentic record (entry or checkpoint) starts anywhere in `data` after
/// `pos`: then the bytes at `pos` were damaged after later records were written, which
/// no crash does. Cheap: almost every offset fails on its kind byte or length before a
/// tag is computed.
fn authentic_record_after(data: &[u8], pos: usize, key: &LogKey) -> bool {
    (pos + 1..data.len()).any(|p| read_record(data, p, key).is_ok())
}

/// The finding for a log that ends (or is damaged) at entry `index`, before the size
/// the head record says it reached.
fn cut(index: u64, floor: (Reach, Evidence), path: &Path, offset: usize) -> Finding {
    Finding {
        index,
        problem: Problem::Cut {
            reached: floor.0.size,
            evidence: floor.1,
        },
        segment: Some(path.to_path_buf()),
        offset: Some(offset as u64),
    }
}

fn has_zero_run(data: &[u8], run: usize) -> bool {
    let mut count = 0;
    for &b in data {
        if b == 0 {
            count += 1;
            if count >= run {
                return true;
            }
        } else {
            count = 0;
        }
    }
    false
}

/// How much of the segments to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Everything on disk.
    None,
    /// A running log's committed state: its first `segments` segments, the last of
    /// them up to `last_len` bytes.
    Committed { segments: usize, last_len: u64 },
}

/// How to treat what is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanMode {
    /// Take a damaged end of the last segment for a crash's incomplete write
    /// ([`TornTail`]) rather than tampering, when it can be one (see [`scan`]).
    pub allow_torn_tail: bool,
    /// Decode every entry (verify) rather than only authenticate it (open).
    pub parse_entries: bool,
    /// What the head record says the log reached ([`Head::floor`]): damage before
    /// this size is never a torn write, whatever it looks like.
    pub floor: (Reach, Evidence),
}

impl ScanMode {
    /// Opening or verifying a stopped log, against what its head record says.
    pub fn at_rest(parse_entries: bool, head: Option<&Head>) -> ScanMode {
        ScanMode {
            allow_torn_tail: true,
            parse_entries,
            floor: head.map_or((Reach::none(), Evidence::Appended), Head::floor),
        }
    }
}

/// A stored checkpoint that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckpointSummary {
    pub size: u64,
    pub root: Hash,
}

/// The result of reading every segment.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub tree: MerkleTree,
    pub locations: Vec<Location>,
    pub segments: Vec<SegmentFile>,
    pub checkpoints: Vec<CheckpointSummary>,
    /// The stored checkpoint of the largest size, with every signature stored for it.
    pub latest: Option<SignedCheckpoint>,
    /// Every stored checkpoint by tree size, with every signature stored for it (for
    /// privacy officers asking for the checkpoint of a given size).
    pub by_size: BTreeMap<u64, SignedCheckpoint>,
    pub torn: Option<TornTail>,
    pub finding: Option<Finding>,
    /// Sizes of checkpoints that verified.
    good_sizes: BTreeSet<u64>,
}

impl Scan {
    /// The largest verified checkpoint size below `size` (0 if none): where a
    /// rewritten stretch ending at `size` can start.
    pub fn good_size_below(&self, size: u64) -> u64 {
        self.good_sizes
            .range(..size)
            .next_back()
            .copied()
            .unwrap_or(0)
    }
}

/// Reads every segment in `dir`, rebuilding the tree and checking records and
/// checkpoints; stops at the first problem, which it records in `finding`.
pub(crate) fn scan(
    dir: &Path,
    key: &LogKey,
    limit: Limit,
    mode: ScanMode,
) -> Result<Scan, LogError> {
    let mut segs = list_segments(dir)?;
    if let Limit::Committed { segments, .. } = limit {
        segs.truncate(segments);
    }
    let mut out = Scan::default();
    let verifier = [key.verifier().clone()];
    let count = segs.len();
    'segments: for (ordinal, (first, path)) in segs.into_iter().enumerate() {
        let is_last = ordinal + 1 == count;
        let mut data = std::fs::read(&path).map_err(|e| LogError::read(&path, e))?;
        if let (true, Limit::Committed { last_len, .. }) = (is_last, limit) {
            data.truncate(usize::try_from(last_len).unwrap_or(usize::MAX));
        }
        let expected = out.tree.len();
        let finding = |problem, offset: usize| Finding {
            index: expected,
            problem,
            segment: Some(path.clone()),
            offset: Some(offset as u64),
        };
        // The header.
        let header_ok = data.get(..8) == Some(&MAGIC[..])
            && data.get(8..HEADER_LEN).and_then(be_u64) == Some(first);
        if !header_ok {
            let torn_header = data.len() < HEADER_LEN
                && segment_header(first).starts_with(&data)
                && is_last
                && mode.allow_torn_tail;
            if torn_header && expected < mode.floor.0.size {
                out.finding = Some(cut(expected, mode.floor, &path, 0));
            } else if torn_header {
                out.torn = Some(TornTail {
                    segment: path.clone(),
                    offset: 0,
                    bytes: data.len() as u64,
                    next_index: expected,
                });
            } else {
                out.finding = Some(finding(
                    Problem::BadSegment {
                        detail: "a segment file has a broken header",
                    },
                    0,
                ));
            }
            break 'segments;
        }
        if first != expected {
            let detail = if first > expected {
                "a segment file is missing"
            } else {
                "a segment file overlaps the one before it"
            };
            out.finding = Some(finding(Problem::BadSegment { detail }, 0));
            break 'segments;
        }
        let Ok(seg_no) = u32::try_from(ordinal) else {
            out.finding = Some(finding(
                Problem::BadSegment {
                    detail: "too many segment files",
                },
                0,
            ));
            break 'segments;
        };
        let mut pos = HEADER_LEN;
        while pos < data.len() {
            let index = out.tree.len();
            let at = |problem| Finding {
                index,
                problem,
                segment: Some(path.clone()),
                offset: Some(pos as u64),
            };
            let record = match read_record(&data, pos, key) {
                Ok(r) => r,
                Err(problem) => {
                    // A crash can leave an unfinished write only at the very end, only
                    // beyond what the head record says was acknowledged or signed, and
                    // only as a cut record or pages of zeros; nothing written before the
                    // crash can follow it.
                    let tail = data.get(pos..).unwrap_or_default();
                    let looks_torn = is_last
                        && mode.allow_torn_tail
                        && tail.len() <= MAX_TORN_TAIL
                        && (problem == RecordProblem::Incomplete || has_zero_run(tail, ZERO_RUN))
                        && !authentic_record_after(&data, pos, key);
                    if looks_torn && index < mode.floor.0.size {
                        out.finding = Some(cut(index, mode.floor, &path, pos));
                    } else if looks_torn {
                        out.torn = Some(TornTail {
                            segment: path.clone(),
                            offset: pos as u64,
                            bytes: tail.len() as u64,
                            next_index: index,
                        });
                    } else if tail.first() == Some(&KIND_CHECKPOINT) {
                        // A changed checkpoint record: the entries around it may be
                        // intact, but the log is not as written.
                        out.finding = Some(at(Problem::BadCheckpoint {
                            detail: "its record does not authenticate".into(),
                        }));
                    } else {
                        out.finding = Some(at(Problem::Changed));
                    }
                    out.segments.push(SegmentFile {
                        first_index: first,
                        path: path.clone(),
                        valid_len: pos as u64,
                    });
                    break 'segments;
                }
            };
            match record.kind {
                KIND_ENTRY => {
                    if record.seq != index {
                        out.finding = Some(at(Problem::Removed { found: record.seq }));
                        break 'segments;
                    }
                    if mode.parse_entries && Entry::from_canonical(record.body).is_err() {
                        out.finding = Some(at(Problem::NotAnEntry));
                        break 'segments;
                    }
                    let Ok(offset) = u32::try_from(pos) else {
                        out.finding = Some(at(Problem::BadSegment {
                            detail: "a segment file is larger than 4 GiB",
                        }));
                        break 'segments;
                    };
                    out.tree.push(leaf_hash(record.body));
                    out.locations.push(Location {
                        segment: seg_no,
                        offset,
                    });
                }
                KIND_CHECKPOINT => {
                    if let Err(problem) = check_checkpoint(&mut out, &verifier, key, &record) {
                        out.finding = Some(match problem {
                            Problem::RootMismatch { checkpoint_size } => Finding {
                                index: out.good_size_below(checkpoint_size),
                                ..at(problem)
                            },
                            other => at(other),
                        });
                        break 'segments;
                    }
                }
                _ => {
                    out.finding = Some(at(Problem::Changed));
                    break 'segments;
                }
            }
            pos = record.end;
        }
        out.segments.push(SegmentFile {
            first_index: first,
            path,
            valid_len: pos as u64,
        });
    }
    if let Some(f) = &mut out.finding
        && let Problem::Removed { found } = f.problem
    {
        f.problem = classify_misplaced(dir, key, limit, f.index, found)?;
    }
    Ok(out)
}

fn check_checkpoint(
    out: &mut Scan,
    verifier: &[super::checkpoint::NoteVerifier],
    key: &LogKey,
    record: &Record<'_>,
) -> Result<(), Problem> {
    let opened = open_checkpoint(key.origin(), verifier, record.body).map_err(|e| {
        Problem::BadCheckpoint {
            detail: e.to_string(),
        }
    })?;
    let cp = opened.checkpoint().clone();
    if cp.size != record.seq {
        return Err(Problem::BadCheckpoint {
            detail: format!(
                "its record says size {} but the note says {}",
                record.seq, cp.size
            ),
        });
    }
    if cp.size > out.tree.len() {
        return Err(Problem::Missing {
            checkpoint_size: cp.size,
        });
    }
    if out.tree.root_at(cp.size).ok() != Some(cp.root) {
        return Err(Problem::RootMismatch {
            checkpoint_size: cp.size,
        });
    }
    out.good_sizes.insert(cp.size);
    out.checkpoints.push(CheckpointSummary {
        size: cp.size,
        root: cp.root,
    });
    match out.by_size.get_mut(&cp.size) {
        Some(stored) => {
            let _ = stored.merge(&opened.note);
        }
        None => {
            out.by_size.insert(cp.size, opened.note.clone());
        }
    }
    match &mut out.latest {
        Some(latest) if latest.checkpoint().size == cp.size => {
            // Cosignatures stored later for the same head: keep them all.
            let _ = latest.merge(&opened.note);
        }
        Some(latest) if latest.checkpoint().size > cp.size => {}
        _ => out.latest = Some(opened.note),
    }
    Ok(())
}

/// Position `index` holds entry `found`: was `index` removed, moved or overwritten?
fn classify_misplaced(
    dir: &Path,
    key: &LogKey,
    limit: Limit,
    index: u64,
    found: u64,
) -> Result<Problem, LogError> {
    if found < index {
        return Ok(Problem::Duplicated { found });
    }
    let mut segs = list_segments(dir)?;
    if let Limit::Committed { segments, .. } = limit {
        segs.truncate(segments);
    }
    for (_, path) in segs {
        let data = std::fs::read(&path).map_err(|e| LogError::read(&path, e))?;
        let mut pos = HEADER_LEN;
        while let Ok(record) = read_record(&data, pos, key) {
            if record.kind == KIND_ENTRY && record.seq == index {
                return Ok(Problem::Reordered { found });
            }
            pos = record.end;
        }
    }
    Ok(Problem::Removed { found })
}
