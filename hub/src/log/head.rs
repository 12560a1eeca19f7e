//! The log's head record: how far the log reached, kept outside the segments it
//! guards (article 10.2).
//!
//! A segment file can be cut at a record boundary, or zeroed from some entry on, and
//! still read back as a shorter log that is internally consistent: every remaining
//! record authenticates, and a damaged end looks like a crash's unfinished write. The
//! head record tells a shorter log from a crash. After every batch is durable the
//! committer writes, in the file `HEAD` of the log directory:
//!
//! - the number of entries the log holds (every one of them was acknowledged) and the
//!   tree's root at that size;
//! - the size and root of the latest checkpoint the hub signed;
//! - the size and root of the largest checkpoint a witness cosigned.
//!
//! Opening the log and `hub log verify` read the head record first and then the
//! segments: a log shorter than what the head record says it reached, or whose root
//! at that size differs, was cut or rewritten; a damaged end of the last segment is
//! taken for a crash's unfinished write only beyond the head (see
//! [`super::segment`]).
//!
//! # Writes and crashes
//! The file holds two slots of [`SLOT_LEN`] bytes, 512 bytes apart (each in a sector of
//! its own), written in turn; each carries a generation number and an HMAC tag under
//! the log's record key, so a torn slot write is seen as such and the other slot,
//! which is older, is used. A slot is written only after the segment bytes it
//! describes are synced, so the head never claims more than the segments durably
//! hold. It is synced (`fdatasync`) in every batch that stores a checkpoint, before the
//! checkpoint is handed to anyone, and when the log closes; other batches leave the
//! sync to the kernel, so after a power loss the head may lag behind the segments —
//! which is safe (it then checks less) and never the other way round.
//!
//! # Slot format (all integers big-endian)
//! | bytes | field |
//! |---|---|
//! | 8 | magic `TRTHEAD1` |
//! | 8 | generation (the slot with the higher valid one is current) |
//! | 8 + 32 | entries, and the root at that size |
//! | 8 + 32 | latest signed checkpoint: size and root (0 and the empty root if none) |
//! | 8 + 32 | largest cosigned checkpoint: size and root (0 and the empty root if none) |
//! | 32 | tag: HMAC-SHA-256 under the record key of `"treiter-log-head-v1" ‖` the above |
//!
//! Someone who can write the log directory but cannot read the log key can replace the
//! head record with an older one of the same log, or delete it. A missing head record
//! beside a non-empty log is refused like a cut log; an older one checks less, and the
//! witnesses, who hold the hub's checkpoints, still see any cut beyond it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use super::faults::FaultSwitch;
use super::hash::{Hash, empty_root};
use super::key::LogKey;
use super::store::LogError;

/// The head record's file in the log directory.
pub(crate) const HEAD_FILE: &str = "HEAD";
/// The magic of a slot (format version 1).
const MAGIC: &[u8; 8] = b"TRTHEAD1";
/// Domain separation for the slot tag.
const TAG_DOMAIN: &[u8] = b"treiter-log-head-v1";
/// The bytes of one slot.
pub(crate) const SLOT_LEN: usize = 8 + 8 + 3 * (8 + 32) + 32;
/// Where the second slot starts: a sector apart from the first.
const SLOT_STRIDE: u64 = 512;

/// A tree size with the root at that size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub size: u64,
    pub root: Hash,
}

impl Reach {
    /// Nothing: size 0, the empty root.
    pub fn none() -> Reach {
        Reach {
            size: 0,
            root: empty_root(),
        }
    }
}

/// How far the log reached, as the head record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The entries the log held after its last durable batch.
    pub appended: Reach,
    /// The latest checkpoint the hub signed.
    pub signed: Reach,
    /// The largest checkpoint a witness cosigned.
    pub cosigned: Reach,
}

impl Head {
    /// The head of an empty log.
    pub fn empty() -> Head {
        Head {
            appended: Reach::none(),
            signed: Reach::none(),
            cosigned: Reach::none(),
        }
    }

    /// The fewest entries the segments must hold, and what says so (the largest of the
    /// three sizes; on a tie, the strongest evidence: cosigned, then signed).
    pub fn floor(&self) -> (Reach, Evidence) {
        let mut best = (self.appended, Evidence::Appended);
        for (reach, evidence) in [
            (self.signed, Evidence::Signed),
            (self.cosigned, Evidence::Cosigned),
        ] {
            if reach.size >= best.0.size && reach.size > 0 {
                best = (reach, evidence);
            }
        }
        best
    }
}

/// Which part of the head record a finding rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The hub had appended (and acknowledged) that many entries.
    Appended,
    /// The hub signed a checkpoint of that size.
    Signed,
    /// A witness cosigned a checkpoint of that size.
    Cosigned,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Evidence::Appended => "the hub had appended and acknowledged",
            Evidence::Signed => "a checkpoint the hub signed covers",
            Evidence::Cosigned => "a checkpoint a witness cosigned covers",
        })
    }
}

/// What was found in the head file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadRead {
    /// No head file.
    Missing,
    /// The file exists but neither slot authenticates.
    Damaged,
    /// The current head (the valid slot with the higher generation).
    Found { head: Head, generation: u64 },
}

fn put_reach(out: &mut Vec<u8>, reach: &Reach) {
    out.extend_from_slice(&reach.size.to_be_bytes());
    out.extend_from_slice(reach.root.as_bytes());
}

fn encode_slot(key: &LogKey, generation: u64, head: &Head) -> Vec<u8> {
    let mut out = Vec::with_capacity(SLOT_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&generation.to_be_bytes());
    put_reach(&mut out, &head.appended);
    put_reach(&mut out, &head.signed);
    put_reach(&mut out, &head.cosigned);
    let tag = key.record_tag(&[TAG_DOMAIN, &out]);
    out.extend_from_slice(&tag);
    out
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = data.split_at_checked(n)?;
    *data = rest;
    Some(head)
}

fn take_u64(data: &mut &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(take(data, 8)?.try_into().ok()?))
}

fn take_reach(data: &mut &[u8]) -> Option<Reach> {
    let size = take_u64(data)?;
    let root = Hash::from_slice(take(data, 32)?)?;
    Some(Reach { size, root })
}

fn decode_slot(key: &LogKey, slot: &[u8]) -> Option<(u64, Head)> {
    let (body, tag) = slot.get(..SLOT_LEN)?.split_at_checked(SLOT_LEN - 32)?;
    if !key.verify_record_tag(&[TAG_DOMAIN, body], tag) {
        return None;
    }
    let mut rest = body;
    if take(&mut rest, 8)? != MAGIC {
        return None;
    }
    let generation = take_u64(&mut rest)?;
    let head = Head {
        appended: take_reach(&mut rest)?,
        signed: take_reach(&mut rest)?,
        cosigned: take_reach(&mut rest)?,
    };
    Some((generation, head))
}

impl HeadRead {
    /// The head, if one was found.
    pub(crate) fn head(&self) -> Option<&Head> {
        match self {
            HeadRead::Found { head, .. } => Some(head),
            HeadRead::Missing | HeadRead::Damaged => None,
        }
    }
}

/// Reads the head record of the log in `dir`.
pub(crate) fn read(dir: &Path, key: &LogKey) -> Result<HeadRead, LogError> {
    let path = dir.join(HEAD_FILE);
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HeadRead::Missing),
        Err(e) => return Err(LogError::read(&path, e)),
    };
    let second = usize::try_from(SLOT_STRIDE).unwrap_or(usize::MAX);
    let slots = [data.get(..SLOT_LEN), data.get(second..second + SLOT_LEN)];
    let best = slots
        .into_iter()
        .flatten()
        .filter_map(|s| decode_slot(key, s))
        .max_by_key(|(generation, _)| *generation);
    Ok(match best {
        Some((generation, head)) => HeadRead::Found { head, generation },
        None => HeadRead::Damaged,
    })
}

/// The open head file of a running log, written by the committer only.
pub(crate) struct HeadFile {
    file: File,
    /// The log's fault switch, through which every sync goes ([`super::faults`]).
    faults: FaultSwitch,
    path: PathBuf,
    generation: u64,
    head: Head,
    /// A write or sync failed: the file may be behind `head`.
    stale: bool,
}

impl HeadFile {
    /// Opens the head file for writing, creating it (synced, with its directory) if it
    /// does not exist, as holding `head` at `generation`.
    pub(crate) fn open(
        dir: &Path,
        key: &LogKey,
        head: Head,
        generation: u64,
        faults: FaultSwitch,
    ) -> Result<HeadFile, LogError> {
        let path = dir.join(HEAD_FILE);
        let created = !path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| LogError::write(&path, e))?;
        let out = HeadFile {
            file,
            faults,
            path,
            generation,
            head,
            stale: false,
        };
        if created {
            // Both slots, so a later torn write of either leaves a valid one.
            out.write_slot(key, generation, 0)?;
            out.write_slot(key, generation, SLOT_STRIDE)?;
            out.sync()?;
            out.faults
                .sync_dir(dir)
                .map_err(|e| LogError::sync(dir, e))?;
        }
        Ok(out)
    }

    fn write_slot(&self, key: &LogKey, generation: u64, offset: u64) -> Result<(), LogError> {
        self.faults
            .check_head_write()
            .and_then(|()| {
                self.file
                    .write_all_at(&encode_slot(key, generation, &self.head), offset)
            })
            .map_err(|e| LogError::write(&self.path, e))
    }

    fn sync(&self) -> Result<(), LogError> {
        self.faults
            .sync_data(&self.file)
            .map_err(|e| LogError::sync(&self.path, e))
    }

    /// The head as last recorded.
    pub(crate) fn head(&self) -> Head {
        self.head
    }

    /// Whether a write or sync failed since the last successful [`HeadFile::record`].
    pub(crate) fn is_stale(&self) -> bool {
        self.stale
    }

    /// Records `head` in the older slot; syncs it when `durable`. On failure the
    /// previous slot still holds the previous head, which claims less: safe.
    pub(crate) fn record(
        &mut self,
        key: &LogKey,
        head: Head,
        durable: bool,
    ) -> Result<(), LogError> {
        let generation = self.generation + 1;
        self.head = head;
        let offset = if generation.is_multiple_of(2) {
            0
        } else {
            SLOT_STRIDE
        };
        let result = self
            .write_slot(key, generation, offset)
            .and_then(|()| if durable { self.sync() } else { Ok(()) });
        match result {
            Ok(()) => {
                self.generation = generation;
                self.stale = false;
                Ok(())
            }
            Err(e) => {
                self.stale = true;
                Err(e)
            }
        }
    }

    /// Syncs the file (at close).
    pub(crate) fn flush(&self) -> Result<(), LogError> {
        self.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::hash::leaf_hash;

    fn key() -> LogKey {
        let pkcs8 = crate::log::key::generate_pkcs8().unwrap();
        LogKey::from_pkcs8("hub.example/decision-log", &pkcs8).unwrap()
    }

    fn head(n: u64) -> Head {
        let reach = Reach {
            size: n,
            root: leaf_hash(&n.to_be_bytes()),
        };
        Head {
            appended: reach,
            signed: Reach::none(),
            cosigned: Reach::none(),
        }
    }

    #[test]
    fn the_newest_valid_slot_wins_and_a_torn_one_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = key();
        assert_eq!(read(dir.path(), &key).unwrap(), HeadRead::Missing);
        let mut file =
            HeadFile::open(dir.path(), &key, Head::empty(), 0, FaultSwitch::new()).unwrap();
        for n in 1..=5 {
            file.record(&key, head(n), n % 2 == 0).unwrap();
            assert_eq!(
                read(dir.path(), &key).unwrap(),
                HeadRead::Found {
                    head: head(n),
                    generation: n
                }
            );
        }
        // Generation 5 sits in the second slot; tear it: generation 4 is current.
        let path = dir.path().join(HEAD_FILE);
        let mut data = std::fs::read(&path).unwrap();
        data[512 + 20] ^= 0xff;
        std::fs::write(&path, &data).unwrap();
        assert_eq!(
            read(dir.path(), &key).unwrap(),
            HeadRead::Found {
                head: head(4),
                generation: 4
            }
        );
        // Both torn: damaged, never silently empty.
        data[20] ^= 0xff;
        std::fs::write(&path, &data).unwrap();
        assert_eq!(read(dir.path(), &key).unwrap(), HeadRead::Damaged);
    }

    #[test]
    fn a_head_written_under_another_key_does_not_authenticate() {
        let dir = tempfile::tempdir().unwrap();
        let mut file =
            HeadFile::open(dir.path(), &key(), Head::empty(), 0, FaultSwitch::new()).unwrap();
        file.record(&key(), head(3), true).unwrap();
        assert_eq!(read(dir.path(), &key()).unwrap(), HeadRead::Damaged);
    }

    #[test]
    fn the_floor_is_the_largest_size_and_names_its_evidence() {
        let mut h = head(7);
        assert_eq!(h.floor().1, Evidence::Appended);
        h.signed = Reach {
            size: 7,
            ..h.appended
        };
        assert_eq!(h.floor(), (h.signed, Evidence::Signed));
        h.cosigned = Reach {
            size: 7,
            ..h.appended
        };
        assert_eq!(h.floor(), (h.cosigned, Evidence::Cosigned));
        h.appended.size = 9;
        assert_eq!(h.floor(), (h.appended, Evidence::Appended));
    }
}
