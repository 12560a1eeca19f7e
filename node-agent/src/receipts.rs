//! The agent's own receipt log (article 10.3): every share it sent or withheld, every
//! answer the hub acknowledged, every checkpoint of the hub's log it saw, and what the
//! inbox received and deleted, so the party can reconcile its view with the hub's log.
//!
//! An append-only file of JSON lines, one receipt per line, written with `fsync`
//! before the call returns: a receipt that was written survives a crash or power cut.
//! One kind is the exception: the hub's acknowledgement of an answer is written at once
//! and synced with the next receipt's sync, or within [`SYNC_SOON`]
//! ([`ReceiptLog::write_unsynced`]).
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
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

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
///
/// Appends are group-committed: each append writes its lines under the file's lock,
/// then waits until an `fdatasync` that started after its write has finished. Appends
/// that come together (the receipts of one case file's share answers, a witnessed
/// checkpoint beside them) share one sync instead of each waiting for its own, and
/// none returns before its lines are durable. Lines written unsynced
/// ([`ReceiptLog::write_unsynced`]) count as appends too: the next sync covers them.
#[derive(Debug)]
pub struct ReceiptLog {
    path: PathBuf,
    file: Mutex<File>,
    /// A second handle of the file, for syncing without holding the write lock.
    sync_file: File,
    sync: Mutex<SyncState>,
    synced: Condvar,
    /// Whether a sync of lines written unsynced is due ([`ReceiptLog::write_unsynced`]).
    sync_due: Mutex<bool>,
    /// The `fdatasync`s run, for the tests.
    #[cfg(test)]
    syncs: std::sync::atomic::AtomicU64,
}

/// How soon a line written by [`ReceiptLog::write_unsynced`] is synced at the latest.
pub const SYNC_SOON: Duration = Duration::from_millis(500);

/// Which appends are durable.
#[derive(Debug, Default)]
struct SyncState {
    /// Appends written so far (numbered from 1).
    written: u64,
    /// Appends covered by a finished `fdatasync`.
    synced: u64,
    /// Whether an append is syncing now (the others wait for it).
    syncing: bool,
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
        let sync_file = file.try_clone().map_err(io)?;
        Ok(ReceiptLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            sync_file,
            sync: Mutex::new(SyncState::default()),
            synced: Condvar::new(),
            sync_due: Mutex::new(false),
            #[cfg(test)]
            syncs: std::sync::atomic::AtomicU64::new(0),
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
        let mine = self.write(now, events)?;
        self.sync_through(mine).map_err(|source| self.error(source))
    }

    /// Writes the receipts of `events` in one write under the file's lock (lines of
    /// concurrent answers never mix); the append's number.
    fn write(&self, now: OffsetDateTime, events: Vec<Event>) -> Result<u64, ReceiptError> {
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
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
            .map_err(|source| self.error(source))?;
        let mut state = self.lock_sync();
        state.written += 1;
        Ok(state.written)
    }

    fn error(&self, source: std::io::Error) -> ReceiptError {
        ReceiptError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes a receipt that no caller waits for (the hub's acknowledgement of an
    /// answer) at once, without a sync of its own: the next append's sync covers it, or
    /// [`ReceiptLog::sync_written`], which the caller runs (on a blocking thread)
    /// within [`SYNC_SOON`] when this returns `true` (no such sync was due yet).
    ///
    /// Why: every answer the hub acknowledges gets this receipt, several per case file
    /// and agent; each with a sync of its own cost an `fdatasync` and two thread
    /// hand-offs (issue 20). Written at once it survives the agent's crash (`kill -9`);
    /// only a power cut within [`SYNC_SOON`] of it can take it, and then the hub's
    /// decision log, which the party can obtain (article 10.3), still holds what the
    /// answer passed. The receipts of what an answer sends or withholds, and of what
    /// the inbox receives, are synced before the answer or Ack leaves, as ever.
    ///
    /// The write is one line into the page cache, short enough for the agent's async
    /// thread; the sync, which waits for the disk, is not.
    pub fn write_unsynced(&self, now: OffsetDateTime, event: Event) -> Result<bool, ReceiptError> {
        self.write(now, vec![event])?;
        let mut due = self.sync_due.lock().unwrap_or_else(|e| e.into_inner());
        Ok(!std::mem::replace(&mut *due, true))
    }

    /// Appends written but not yet covered by a finished sync (lines written unsynced,
    /// until their sync is due, and appends waiting for theirs).
    #[cfg(test)]
    fn unsynced(&self) -> u64 {
        let state = self.lock_sync();
        state.written.saturating_sub(state.synced)
    }

    /// Syncs every line written so far (nothing if a sync since covered them).
    pub fn sync_written(&self) -> Result<(), ReceiptError> {
        // Cleared before `written` is read: a line written from here on asks for a
        // sync of its own, so none is left unsynced past its due time.
        *self.sync_due.lock().unwrap_or_else(|e| e.into_inner()) = false;
        let mine = self.lock_sync().written;
        self.sync_through(mine).map_err(|source| self.error(source))
    }

    fn lock_sync(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once append number `mine` is durable: synced by this call, or by a sync
    /// another append started after `mine` was written. A failed sync fails only the
    /// append that ran it; the others try again themselves.
    fn sync_through(&self, mine: u64) -> std::io::Result<()> {
        let mut state = self.lock_sync();
        loop {
            if state.synced >= mine {
                return Ok(());
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.syncing = true;
            // Everything written so far is covered by the sync that starts now.
            let through = state.written;
            drop(state);
            let result = self.sync_file.sync_data();
            #[cfg(test)]
            self.syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            state = self.lock_sync();
            state.syncing = false;
            if result.is_ok() {
                state.synced = state.synced.max(through);
            }
            self.synced.notify_all();
            result?;
        }
    }
}

/// Writes `event` to `log` at once, unsynced ([`ReceiptLog::write_unsynced`]), and, if
/// no sync is due yet, has one run on a blocking thread after [`SYNC_SOON`] (a task on
/// the current tokio runtime). A failed write is logged: nobody waits for this receipt.
pub fn write_soon(log: &std::sync::Arc<ReceiptLog>, now: OffsetDateTime, event: Event) {
    match log.write_unsynced(now, event) {
        Ok(true) => {
            let log = log.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SYNC_SOON).await;
                sync_written_blocking(log).await;
            });
        }
        Ok(false) => {}
        Err(error) => tracing::error!(%error, "cannot write the receipt log"),
    }
}

/// [`ReceiptLog::sync_written`] on a blocking thread; a failure is logged.
pub async fn sync_written_blocking(log: std::sync::Arc<ReceiptLog>) {
    match tokio::task::spawn_blocking(move || log.sync_written()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "cannot sync the receipt log"),
        Err(error) => tracing::error!(%error, "syncing the receipt log did not finish"),
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

/// Takes out of `ids` every share id that has a `share-received` receipt in the log at
/// `path`, reading the log **from its end backward** and stopping as soon as none is
/// left. A delivery the hub sends again soon after it was stored finds its receipts
/// in the last lines, however long the log has grown; only shares whose receipts were
/// never written (a crash between storing them and writing the receipts) cost a
/// read of the whole log, line by line, in bounded memory. Returns the bytes read.
pub fn remove_received(
    path: &Path,
    ids: &mut std::collections::BTreeSet<String>,
) -> Result<u64, ReceiptError> {
    if ids.is_empty() {
        return Ok(0);
    }
    read_backward(path, u64::MAX, |line| {
        // Only share-received lines are parsed.
        if !contains(line, b"share-received") {
            return ControlFlow::Continue(());
        }
        if let Ok(Receipt {
            event: Event::ShareReceived { id, .. },
            ..
        }) = serde_json::from_slice(line)
        {
            ids.remove(&id);
        }
        if ids.is_empty() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
}

/// How far back from its last receipt the agent looks, when it starts, for answers the
/// hub never acknowledged: the hub's default `queue_expiry_hours`, the longest it asks
/// a question again.
pub const ASKED_AGAIN_WITHIN: Duration = Duration::from_secs(72 * 3600);

/// At most this much of the log's end is read for them.
const ASKED_AGAIN_READ_LIMIT: u64 = 64 << 20;

/// The share receipts (`share-sent`, `share-withheld`) of every answer in the log at
/// `path` that has no `answer-acknowledged` receipt, by request id, in the order
/// written: the answers the hub may ask for again after the agent restarts (an answer
/// lost with the killed process's link). Reads the log from its end backward, back to
/// [`ASKED_AGAIN_WITHIN`] before the last of these receipts, and at most 64 MiB; a
/// log that does not exist holds none.
pub fn unacknowledged_answers(
    path: &Path,
) -> Result<std::collections::HashMap<String, Vec<Event>>, ReceiptError> {
    use std::collections::{HashMap, HashSet};
    let mut acknowledged = HashSet::new();
    let mut answers: HashMap<String, Vec<Event>> = HashMap::new();
    let mut since: Option<OffsetDateTime> = None;
    let read = read_backward(path, ASKED_AGAIN_READ_LIMIT, |line| {
        if !(contains(line, b"share-") || contains(line, b"answer-acknowledged")) {
            return ControlFlow::Continue(());
        }
        let Ok(receipt) = serde_json::from_slice::<Receipt>(line) else {
            return ControlFlow::Continue(());
        };
        if let Ok(at) = OffsetDateTime::parse(&receipt.at, &Rfc3339) {
            let since = *since.get_or_insert_with(|| at - ASKED_AGAIN_WITHIN);
            if at < since {
                return ControlFlow::Break(());
            }
        }
        match receipt.event {
            Event::AnswerAcknowledged { request } => {
                acknowledged.insert(request);
            }
            Event::ShareSent { ref request, .. } | Event::ShareWithheld { ref request, .. }
                if !acknowledged.contains(request) =>
            {
                answers
                    .entry(request.clone())
                    .or_default()
                    .push(receipt.event);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    });
    match read {
        Ok(_) => {}
        Err(ReceiptError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    // Read backward: each answer's receipts back in the order written.
    for events in answers.values_mut() {
        events.reverse();
    }
    Ok(answers)
}

fn contains(line: &[u8], word: &[u8]) -> bool {
    line.windows(word.len()).any(|w| w == word)
}

/// Calls `visit` with every line of the log at `path`, the last first, until it breaks
/// or `limit` bytes were read; the lines are read in chunks, in bounded memory. The
/// first line of the file is visited only when the whole file was read. Returns the
/// bytes read.
fn read_backward(
    path: &Path,
    limit: u64,
    mut visit: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<u64, ReceiptError> {
    use std::io::{Read, Seek, SeekFrom};
    /// Bytes read at a time.
    const CHUNK: u64 = 64 << 10;
    let io = |source| ReceiptError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut end = file.metadata().map_err(io)?.len();
    let mut read = 0;
    // The start of a line whose beginning lies before the bytes read so far.
    let mut carry: Vec<u8> = Vec::new();
    while end > 0 && read < limit {
        let start = end.saturating_sub(CHUNK);
        let mut chunk = vec![0; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        file.read_exact(&mut chunk).map_err(io)?;
        read += end - start;
        chunk.extend_from_slice(&carry);
        // The first piece may be the end of a line that began further back: kept for
        // the next chunk, unless this chunk starts the file.
        let mut lines = chunk.split(|&b| b == b'\n');
        let first = lines.next().unwrap_or_default();
        let rest: Vec<&[u8]> = lines.collect();
        for line in rest.iter().rev() {
            if visit(line).is_break() {
                return Ok(read);
            }
        }
        if start == 0 {
            if visit(first).is_break() {
                return Ok(read);
            }
        } else {
            carry = first.to_vec();
        }
        end = start;
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finding receipts from the end backward: lines that span the chunks read, a
    /// torn line, ids found early (reading stops) and ids never found (the whole log).
    #[test]
    fn received_shares_are_found_from_the_end_backward() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.log");
        let log = ReceiptLog::open(&path).unwrap();
        let at = time::macros::datetime!(2026-11-23 10:00 UTC);
        let received = |id: String| Event::ShareReceived {
            id,
            category: "huurgegevens".into(),
            subject: "ab".repeat(32),
            purpose: "aanpak".into(),
            fields: vec!["huurachterstand".into()],
            delete_at: String::new(),
        };
        log.append(
            at,
            (0..3000).map(|n| received(format!("D-{n}.0"))).collect(),
        )
        .unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"at\":\"2026-11-23T10:00:00Z\",\"event\":\"share-rec\n")
            .unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > 3 * (64 << 10), "{size}");
        let ids = |names: &[&str]| -> std::collections::BTreeSet<String> {
            names.iter().map(|s| (*s).to_owned()).collect()
        };
        let mut recent = ids(&["D-2999.0", "D-2990.0"]);
        let read = remove_received(&path, &mut recent).unwrap();
        assert!(recent.is_empty());
        assert!(read <= 64 << 10, "{read}");
        let mut spread = ids(&["D-0.0", "D-1500.0", "D-7.0", "D-unknown.0"]);
        let read = remove_received(&path, &mut spread).unwrap();
        assert_eq!(spread, ids(&["D-unknown.0"]));
        assert_eq!(read, size);
        // Every id of the log is found, whatever chunk its line fell in.
        let mut all: std::collections::BTreeSet<String> =
            (0..3000).map(|n| format!("D-{n}.0")).collect();
        remove_received(&path, &mut all).unwrap();
        assert!(all.is_empty(), "{} not found", all.len());
    }

    /// Appends that come while a sync runs share the next one, and each returns only
    /// once a sync that started after its write has finished.
    /// The answers the hub may ask for again: share receipts without an
    /// acknowledgement, back to ASKED_AGAIN_WITHIN before the last one, over chunk
    /// boundaries and past a torn last line; a missing log holds none.
    #[test]
    fn unacknowledged_answers_are_read_from_the_end_back_to_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.log");
        assert!(unacknowledged_answers(&path).unwrap().is_empty());
        let log = ReceiptLog::open(&path).unwrap();
        let at = time::macros::datetime!(2026-11-23 10:00 UTC);
        let sent = |request: &str, reference: String| Event::ShareSent {
            request: request.into(),
            category: "huurgegevens".into(),
            subject: "ab".repeat(32),
            reference,
            fields: vec!["huurachterstand".into()],
            stripped: Vec::new(),
        };
        let withheld = |request: &str| Event::ShareWithheld {
            request: request.into(),
            category: "zorgsignalen".into(),
            subject: "ab".repeat(32),
            outcome: "deny".into(),
            articles: vec!["7.1".into()],
            offered: Vec::new(),
        };
        let acknowledged = |request: &str| Event::AnswerAcknowledged {
            request: request.into(),
        };
        // Older than the window, never acknowledged: not asked again any more.
        log.append(
            at - ASKED_AGAIN_WITHIN - Duration::from_secs(1),
            vec![sent("q-old", "R-0".into())],
        )
        .unwrap();
        log.append(at, vec![sent("q-1", "R-1".into()), withheld("q-1")])
            .unwrap();
        // Enough acknowledged answers to spread the log over several chunks.
        for n in 0..2000 {
            let request = format!("q-acked-{n}");
            log.append(
                at,
                vec![sent(&request, format!("R-{n}")), acknowledged(&request)],
            )
            .unwrap();
        }
        log.append(at, vec![sent("q-2", "R-2".into())]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"at\":\"2026-11-23T10:00:00Z\",\"event\":\"share-se\n")
            .unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 3 * (64 << 10));
        let answers = unacknowledged_answers(&path).unwrap();
        let mut requests: Vec<&String> = answers.keys().collect();
        requests.sort();
        assert_eq!(requests, ["q-1", "q-2"]);
        assert_eq!(answers["q-1"], [sent("q-1", "R-1".into()), withheld("q-1")]);
        assert_eq!(answers["q-2"], [sent("q-2", "R-2".into())]);
        // Once acknowledged, q-2 is no longer among them.
        log.append(at, vec![acknowledged("q-2")]).unwrap();
        assert!(!unacknowledged_answers(&path).unwrap().contains_key("q-2"));
    }

    #[test]
    fn appends_that_come_together_share_one_sync() {
        let dir = tempfile::tempdir().unwrap();
        let log = std::sync::Arc::new(ReceiptLog::open(&dir.path().join("receipts.log")).unwrap());
        // A sync is running (as if another append had started it).
        log.lock_sync().syncing = true;
        let appenders: Vec<_> = (0..8)
            .map(|i| {
                let log = log.clone();
                std::thread::spawn(move || {
                    log.append(
                        time::macros::datetime!(2026-11-23 10:00 UTC),
                        vec![Event::AnswerAcknowledged {
                            request: format!("q-{i}"),
                        }],
                    )
                })
            })
            .collect();
        while log.lock_sync().written < 8 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(
            appenders.iter().all(|a| !a.is_finished()),
            "nobody returns before a sync after its write"
        );
        // The running sync ends without covering them (it started before they wrote).
        {
            let mut state = log.lock_sync();
            state.syncing = false;
        }
        log.synced.notify_all();
        for appender in appenders {
            appender.join().unwrap().unwrap();
        }
        assert_eq!(
            log.syncs.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one sync for the eight appends"
        );
        let (receipts, bad) = read(&dir.path().join("receipts.log")).unwrap();
        assert_eq!((receipts.len(), bad), (8, 0));
    }

    /// A receipt written unsynced is in the file at once and costs no sync of its own:
    /// the first asks for a sync (and the ones after it, until that sync ran, do not);
    /// the next append's sync covers it; `sync_written` syncs what no sync covered.
    #[test]
    fn receipts_written_unsynced_are_there_at_once_and_synced_together() {
        use std::sync::atomic::Ordering::SeqCst;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.log");
        let log = ReceiptLog::open(&path).unwrap();
        let at = time::macros::datetime!(2026-11-23 10:00 UTC);
        let ack = |i: usize| Event::AnswerAcknowledged {
            request: format!("q-{i}"),
        };
        assert!(
            log.write_unsynced(at, ack(0)).unwrap(),
            "the first asks for a sync"
        );
        for i in 1..4 {
            assert!(
                !log.write_unsynced(at, ack(i)).unwrap(),
                "one sync is due already"
            );
        }
        assert_eq!(read(&path).unwrap().0.len(), 4, "written at once");
        assert_eq!(log.syncs.load(SeqCst), 0, "none synced on its own");
        // An append that must be durable syncs them with its own line.
        log.append(at, vec![ack(4)]).unwrap();
        assert_eq!(log.syncs.load(SeqCst), 1);
        // The due sync finds them covered: no second sync.
        log.sync_written().unwrap();
        assert_eq!(log.syncs.load(SeqCst), 1, "covered by the append's sync");
        // After it, the next one asks for a sync again, and gets it.
        assert!(log.write_unsynced(at, ack(5)).unwrap());
        log.sync_written().unwrap();
        assert_eq!(log.syncs.load(SeqCst), 2);
        let state = log.lock_sync();
        assert_eq!((state.written, state.synced), (6, 6), "every line synced");
        drop(state);
        let (receipts, bad) = read(&path).unwrap();
        let requests: Vec<String> = receipts
            .into_iter()
            .map(|r| match r.event {
                Event::AnswerAcknowledged { request } => request,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(bad, 0);
        assert_eq!(
            requests,
            (0..6).map(|i| format!("q-{i}")).collect::<Vec<_>>()
        );
    }

    /// A receipt written soon is synced by the agent within `SYNC_SOON` with nothing
    /// else written after it; the ones written while that sync is due ride with it.
    #[tokio::test]
    async fn receipts_written_soon_are_synced_within_sync_soon() {
        use std::sync::atomic::Ordering::SeqCst;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.log");
        let log = std::sync::Arc::new(ReceiptLog::open(&path).unwrap());
        let at = time::macros::datetime!(2026-11-23 10:00 UTC);
        let started = std::time::Instant::now();
        for i in 0..3 {
            write_soon(
                &log,
                at,
                Event::AnswerAcknowledged {
                    request: format!("q-{i}"),
                },
            );
        }
        assert_eq!(read(&path).unwrap().0.len(), 3, "written at once");
        while log.unsynced() > 0 {
            assert!(
                started.elapsed() < SYNC_SOON * 10,
                "still not synced after {:?}",
                started.elapsed()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(started.elapsed() >= SYNC_SOON, "synced soon, not at once");
        assert_eq!(log.syncs.load(SeqCst), 1, "one sync for the three");
    }

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
