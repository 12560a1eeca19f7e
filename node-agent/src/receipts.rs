//! The agent's own receipt log (article 10.3): every share it sent or withheld, every
//! answer the hub acknowledged, every checkpoint of the hub's log it saw, and what the
//! inbox received and deleted, so the party can reconcile its view with the hub's log.
//!
//! An append-only file of JSON lines, one receipt per line, written with `fsync`
//! before the call returns: a receipt that was written survives a crash or power cut.
//! Receipts name request ids, pseudonyms, categories, source references, field NAMES,
//! outcomes and articles, never a field value (article 12.3). A torn last line (a
//! crash mid-write) is skipped by [`read`] and reported.
//!
//! ```text
//! {"at":"2026-11-23T10:00:01Z","event":"share-sent","request":"q-1","category":"huurgegevens","subject":"9f86…","reference":"DG-12","fields":["huurstatus"],"stripped":["huurachterstand"]}
//! {"at":"2026-11-23T10:00:01Z","event":"answer-acknowledged","request":"q-1"}
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The receipt log cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Opening, writing or syncing the file failed.
    #[error("the receipt log {path} cannot be written: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A record went to the hub in an answer.
    ShareSent {
        /// The question's request id.
        request: String,
        /// The category.
        category: String,
        /// The subject's pseudonym.
        subject: String,
        /// The source's reference of the record.
        reference: String,
        /// Names of the fields sent.
        fields: Vec<String>,
        /// Names of the fields the pre-check stripped.
        stripped: Vec<String>,
    },
    /// A record the pre-check withheld (`deny` or `reject`).
    ShareWithheld {
        /// The question's request id.
        request: String,
        /// The category.
        category: String,
        /// The subject's pseudonym.
        subject: String,
        /// `deny` or `reject`.
        outcome: String,
        /// The articles the decision rests on.
        articles: Vec<String>,
        /// Names of the fields offered.
        offered: Vec<String>,
    },
    /// The hub acknowledged the answer to a question.
    AnswerAcknowledged {
        /// The question's request id.
        request: String,
    },
    /// A checkpoint of the hub's log arrived.
    Checkpoint {
        /// The tree size it states (0 when the note could not be read).
        tree_size: u64,
        /// SHA-256 of the note as received, hexadecimal.
        note_sha256: String,
    },
    /// This agent witnessed (verified, stored and cosigned) a checkpoint.
    CheckpointWitnessed {
        /// Its tree size.
        tree_size: u64,
        /// Its root hash, base64.
        root: String,
    },
    /// This agent refused a checkpoint (article 10.2), whatever the reason: badly
    /// signed, inconsistent with the one it holds, a proof from another size, or one it
    /// could not keep. Every refusal is written; each is an alert.
    CheckpointRefused {
        /// The tree size it states (0 when the note could not be read).
        tree_size: u64,
        /// The tree size of the checkpoint this agent holds.
        held_size: u64,
        /// Why, in words, without personal data (at most 300 characters).
        reason: String,
        /// Why, as the reason word sent to the hub (e.g. `wrong-from-size`); empty in
        /// receipts written before it was recorded.
        #[serde(default)]
        code: String,
        /// The tree size the hub's consistency proof started from; 0 in receipts
        /// written before it was recorded.
        #[serde(default)]
        from_size: u64,
    },
    /// The inbox stored a received share.
    ShareReceived {
        /// The inbox's id of the share.
        id: String,
        /// The category.
        category: String,
        /// The subject's pseudonym.
        subject: String,
        /// The purpose it may be used for (article 3.2).
        purpose: String,
        /// Names of its fields.
        fields: Vec<String>,
        /// When it must be deleted (RFC 3339); empty while the case's retention term
        /// is unknown (a RetentionNotice sets it later, without another receipt).
        delete_at: String,
    },
    /// The inbox deleted a received share.
    ShareDeleted {
        /// The inbox's id of the share.
        id: String,
        /// Why: `retention` (its term ended) or another word.
        reason: String,
    },
}

/// One line of the log: the time and the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// When it was written, RFC 3339 UTC.
    pub at: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// The open receipt log.
#[derive(Debug)]
pub struct ReceiptLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl ReceiptLog {
    /// Checks the receipt log for `check-config` without creating or changing it:
    /// `true` when it exists and can be opened for appending, `false` when the first
    /// start creates it.
    pub fn check(path: &Path) -> Result<bool, ReceiptError> {
        let io = |source| ReceiptError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::symlink_metadata(path) {
            Ok(_) => {
                // Opening for append writes nothing.
                OpenOptions::new().append(true).open(path).map_err(io)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io(e)),
        }
    }

    /// Opens (or creates, mode 600) the log for appending.
    pub fn open(path: &Path) -> Result<ReceiptLog, ReceiptError> {
        let io = |source| ReceiptError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        // A crash mid-write leaves a torn last line; end it, so that the next receipt
        // starts a line of its own instead of being glued to the torn one.
        if !ends_with_newline(path).map_err(io)? {
            file.write_all(b"\n").map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        Ok(ReceiptLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends receipts at `now` and syncs them to disk before returning.
    pub fn append(&self, now: OffsetDateTime, events: Vec<Event>) -> Result<(), ReceiptError> {
        if events.is_empty() {
            return Ok(());
        }
        let at = now
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut text = String::new();
        for event in events {
            // Serialising plain strings and numbers cannot fail.
            if let Ok(line) = serde_json::to_string(&Receipt {
                at: at.clone(),
                event,
            }) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let io = |source| ReceiptError::Io {
            path: self.path.clone(),
            source,
        };
        // One write per batch under the lock: lines of concurrent answers never mix.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }
}

/// Whether the file is empty or ends with a newline.
fn ends_with_newline(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last == *b"\n")
}

/// Reads a receipt log: the receipts, and the number of lines that could not be read
/// (a torn last line after a crash).
pub fn read(path: &Path) -> Result<(Vec<Receipt>, usize), ReceiptError> {
    let io = |source| ReceiptError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut receipts = Vec::new();
    let mut bad = 0;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(r) => receipts.push(r),
            Err(_) => bad += 1,
        }
    }
    Ok((receipts, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_durably_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/receipts.log");
        let log = ReceiptLog::open(&path).unwrap();
        let now = time::macros::datetime!(2026-11-23 10:00 UTC);
        log.append(
            now,
            vec![
                Event::ShareSent {
                    request: "q-1".into(),
                    category: "huurgegevens".into(),
                    subject: "ab".repeat(32),
                    reference: "DG-12".into(),
                    fields: vec!["huurstatus".into()],
                    stripped: vec!["huurachterstand".into()],
                },
                Event::AnswerAcknowledged {
                    request: "q-1".into(),
                },
            ],
        )
        .unwrap();
        drop(log);
        // A crash mid-write tore the last line; reopening ends it, so the next receipt
        // is whole, and the torn line is counted, not fatal.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"at\":\"2026-")
            .unwrap();
        let log = ReceiptLog::open(&path).unwrap();
        log.append(
            now,
            vec![Event::Checkpoint {
                tree_size: 7,
                note_sha256: "00".into(),
            }],
        )
        .unwrap();
        let (receipts, bad) = read(&path).unwrap();
        assert_eq!(receipts.len(), 3, "{receipts:?}");
        assert_eq!(bad, 1);
        assert_eq!(receipts[0].at, "2026-11-23T10:00:00Z");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\"at\":\"2026-11-23T10:00:00Z\",\"event\":\"share-sent\""),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
