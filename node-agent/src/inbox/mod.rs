//! The inbox: case data the hub delivered to this agent's party, kept encrypted with
//! its obligations, used only for its purpose, and deleted when its retention ends.
//!
//! - Each received share is one file `shares/<id>.share` in the inbox directory,
//!   sealed with AES-256-GCM under the inbox key ([`seal`], article 12.2). It is
//!   written atomically (temporary file, fsync, rename, fsync of the directory) before
//!   the agent acknowledges the delivery, so an acknowledged delivery survives a crash.
//! - A share is tagged with its purpose, obligations, case, source party, category,
//!   subject pseudonym and field names. Reading values requires stating the purpose:
//!   [`Inbox::export`] refuses any other purpose (article 3.2).
//! - The delete moment is the delivery's `delete_at`, or set later by a
//!   RetentionNotice once the case's term is known (article 9.1/9.2); the notice's
//!   moment is kept per case, so a delivery that arrives after it gets it too. [`Inbox::sweep`]
//!   deletes the shares whose moment has passed; it takes `now`, so tests control the
//!   clock.
//! - Every store and deletion is written to the receipt log (`share-received`,
//!   `share-deleted`) when one is configured; values never are.
//!
//! Share ids are `<delivery_id>.<n>`: a delivery received twice (the hub re-sends
//! until it sees the Ack) is stored once.

mod index;
pub mod link;
pub mod seal;
pub mod syncs;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use treiter_proto::v1::{Delivery, RetentionNotice};

use crate::metrics::Metrics;
use crate::receipts::{Event, ReceiptError, ReceiptLog};
pub use seal::{InboxKey, SealError};
pub use syncs::SyncSwitch;

use index::Index;

/// The subdirectory holding the sealed shares.
const SHARES: &str = "shares";
/// The file name suffix of a sealed share.
const SUFFIX: &str = ".share";
/// The subdirectory holding each case's delete moment once a RetentionNotice set it
/// (`<case id>`, RFC 3339 text; no personal data), so that a delivery of that case
/// stored after the notice gets the moment too, whatever order they arrived in.
const TERMS: &str = "terms";

/// The inbox cannot store, read or delete a share.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A file or directory of the inbox cannot be used.
    #[error("the inbox {path} cannot be used: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key is unusable or a share does not open.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The receipt of a store or deletion cannot be written.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// A share opened but its content is not a share of this format.
    #[error("share {id} opened but its content is unreadable: {why}")]
    Corrupt {
        /// The share's id.
        id: String,
        /// Why.
        why: String,
    },
    /// An id from the hub cannot name a file.
    #[error(
        "the hub sent a {what} id that is not 1 to 128 of A-Z a-z 0-9 - _ ; refusing to store it"
    )]
    BadId {
        /// `delivery` or `case`.
        what: &'static str,
    },
    /// Values were asked for another purpose than the shares were received for.
    #[error(
        "refused: the shares of case {case} were received for {received}, not for {asked}; data received for one purpose may not be used for another (covenant article 3.2)"
    )]
    PurposeRefused {
        /// The case.
        case: String,
        /// The purposes the case's shares were received for.
        received: String,
        /// The purpose stated.
        asked: String,
    },
}

/// One field of a stored share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredField {
    /// The field's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// One obligation of a stored share, as the hub's decision stated it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObligation {
    /// `retention`, `purpose-binding` or `review`.
    pub kind: String,
    /// The article it rests on.
    pub article: String,
    /// For `purpose-binding`: the purpose.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
}

/// A received share as sealed in its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredShare {
    /// `<delivery_id>.<n>`.
    pub id: String,
    /// The delivery it came in.
    pub delivery: String,
    /// The hub's case id.
    pub case: String,
    /// The case file it came from.
    pub case_file: String,
    /// OIN of the party that provided it.
    pub source: String,
    /// The category.
    pub category: String,
    /// The subject's pseudonym.
    pub subject: String,
    /// The only purpose it may be used for (article 3.2).
    pub purpose: String,
    /// The obligations of the decision.
    pub obligations: Vec<StoredObligation>,
    /// The fields, with values.
    pub fields: Vec<StoredField>,
    /// The decision's leaf index in the hub's log.
    pub log_leaf_index: u64,
    /// When it was stored (RFC 3339).
    pub received_at: String,
    /// When it must be deleted (RFC 3339); `None` while the case's term is unknown.
    pub delete_at: Option<String>,
}

impl StoredShare {
    /// Its delete moment as Unix seconds, if set.
    fn moment(&self) -> Option<i64> {
        self.delete_at.as_deref().and_then(parse_moment)
    }

    /// The share without its values, for listings.
    pub fn summary(&self) -> ShareSummary {
        ShareSummary {
            id: self.id.clone(),
            case: self.case.clone(),
            source: self.source.clone(),
            category: self.category.clone(),
            purpose: self.purpose.clone(),
            fields: self.fields.iter().map(|f| f.name.clone()).collect(),
            delete_at: self.delete_at.clone(),
        }
    }
}

/// A share without values: what `node-agent inbox list` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareSummary {
    pub id: String,
    pub case: String,
    pub source: String,
    pub category: String,
    pub purpose: String,
    pub fields: Vec<String>,
    pub delete_at: Option<String>,
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Ids of the shares deleted because their retention ended.
    pub deleted: Vec<String>,
    /// Shares left because they do not open (reported, never deleted silently).
    pub unreadable: usize,
}

/// What [`Inbox::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboxCheck {
    /// The key file exists (and loaded); `false`: the first start generates it.
    pub key_exists: bool,
    /// The shares held, when the inbox exists.
    pub shares: Option<usize>,
}

/// The open inbox.
#[derive(Debug)]
pub struct Inbox {
    dir: PathBuf,
    key: InboxKey,
    receipts: Option<Arc<ReceiptLog>>,
    metrics: Option<Arc<Metrics>>,
    /// Serialises writers (a sweep and a RetentionNotice must not rewrite the same
    /// file at once) and holds the index of the shares, once built.
    lock: std::sync::Mutex<Option<Index>>,
    /// Directory fsyncs of the shares folder so far (one per delivery, not per share).
    dir_syncs: std::sync::atomic::AtomicU64,
    /// Shares opened (read and decrypted) so far.
    opened: std::sync::atomic::AtomicU64,
    /// Bytes of the receipt log read so far (for a delivery sent again).
    receipt_bytes_read: std::sync::atomic::AtomicU64,
    /// Permits to store a delivery or notice from the link ([`link::STORING`]).
    storing: Arc<tokio::sync::Semaphore>,
    /// Every file and directory sync goes through it: plain syncs in an agent built
    /// for use, a power-loss ledger in the tests ([`syncs`]).
    syncs: SyncSwitch,
}

impl Inbox {
    /// Opens the inbox in `dir` (created if absent) with the key in `key_file`
    /// (generated if absent, mode 0600 checked).
    pub fn open(dir: &Path, key_file: &Path) -> Result<Inbox, InboxError> {
        let key = InboxKey::load_or_create(key_file)?;
        Self::with_key(dir, key)
    }

    /// Checks the inbox for `check-config` without creating anything: an existing key
    /// file loads (length and mode checked), and an existing inbox's shares are
    /// counted.
    pub fn check(dir: &Path, key_file: &Path) -> Result<InboxCheck, InboxError> {
        let key = match std::fs::symlink_metadata(key_file) {
            Ok(_) => Some(InboxKey::load(key_file)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(InboxError::Io {
                    path: key_file.to_path_buf(),
                    source,
                });
            }
        };
        let shares = match (key, std::fs::metadata(dir.join(SHARES))) {
            (Some(key), Ok(_)) => Some(
                Inbox {
                    dir: dir.to_path_buf(),
                    key,
                    receipts: None,
                    metrics: None,
                    lock: std::sync::Mutex::new(None),
                    dir_syncs: std::sync::atomic::AtomicU64::new(0),
                    opened: std::sync::atomic::AtomicU64::new(0),
                    receipt_bytes_read: std::sync::atomic::AtomicU64::new(0),
                    storing: Arc::new(tokio::sync::Semaphore::new(link::STORING)),
                    syncs: SyncSwitch::new(),
                }
                .len()?,
            ),
            _ => None,
        };
        Ok(InboxCheck {
            key_exists: std::fs::symlink_metadata(key_file).is_ok(),
            shares,
        })
    }

    /// Opens the inbox in `dir` with `key`.
    pub fn with_key(dir: &Path, key: InboxKey) -> Result<Inbox, InboxError> {
        Self::with_key_and_syncs(dir, key, SyncSwitch::new())
    }

    /// Opens the inbox in `dir` with `key`, syncing through `syncs` (the power-cut
    /// tests' ledger; only in test builds).
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn with_syncs(dir: &Path, key: InboxKey, syncs: SyncSwitch) -> Result<Inbox, InboxError> {
        Self::with_key_and_syncs(dir, key, syncs)
    }

    fn with_key_and_syncs(
        dir: &Path,
        key: InboxKey,
        syncs: SyncSwitch,
    ) -> Result<Inbox, InboxError> {
        let shares = dir.join(SHARES);
        create_dir_durably(&shares, &syncs)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Inbox {
            dir: dir.to_path_buf(),
            key,
            receipts: None,
            metrics: None,
            lock: std::sync::Mutex::new(None),
            dir_syncs: std::sync::atomic::AtomicU64::new(0),
            opened: std::sync::atomic::AtomicU64::new(0),
            receipt_bytes_read: std::sync::atomic::AtomicU64::new(0),
            storing: Arc::new(tokio::sync::Semaphore::new(link::STORING)),
            syncs,
        })
    }

    /// Writes `share-received` and `share-deleted` receipts to `receipts`.
    pub fn with_receipts(self, receipts: Arc<ReceiptLog>) -> Inbox {
        Inbox {
            receipts: Some(receipts),
            ..self
        }
    }

    /// Counts into `metrics`.
    pub fn with_metrics(self, metrics: Arc<Metrics>) -> Inbox {
        let inbox = Inbox {
            metrics: Some(metrics),
            ..self
        };
        inbox.update_size();
        inbox
    }

    fn shares_dir(&self) -> PathBuf {
        self.dir.join(SHARES)
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.shares_dir().join(format!("{id}{SUFFIX}"))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, Option<Index>> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores every share of `delivery` durably (before the caller acknowledges it);
    /// returns the ids newly stored (none for a repeated delivery). A failure (a full
    /// or read-only disk) is counted and shown in `/healthz` until a store succeeds.
    pub fn receive(
        &self,
        delivery: &Delivery,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, InboxError> {
        let result = self.receive_unwatched(delivery, now);
        self.note_store(result.as_ref().err());
        result
    }

    /// Counts a failed store and keeps its reason for `/healthz`, or clears it.
    fn note_store(&self, error: Option<&InboxError>) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        if error.is_some() {
            metrics.inbox_store_failures.inc();
        }
        *metrics
            .inbox_failure
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = error.map(ToString::to_string);
    }

    fn receive_unwatched(
        &self,
        delivery: &Delivery,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, InboxError> {
        check_id("delivery", &delivery.delivery_id)?;
        check_id("case", &delivery.case_id)?;
        let mut guard = self.guard();
        let delete_at = match delivery
            .delete_at
            .as_ref()
            .and_then(|t| timestamp_text(t.seconds))
        {
            Some(at) => Some(at),
            None => self.term_of(&delivery.case_id)?,
        };
        let moment = delete_at.as_deref().and_then(parse_moment);
        let received_at = now.format(&Rfc3339).unwrap_or_default();
        let mut stored = Vec::new();
        let mut events = Vec::new();
        let mut held = Vec::new();
        for (n, share) in delivery.shares.iter().enumerate() {
            let id = format!("{}.{n}", delivery.delivery_id);
            if self.path_of(&id).exists() {
                held.push((id, share));
                continue;
            }
            let record = StoredShare {
                id: id.clone(),
                delivery: delivery.delivery_id.clone(),
                case: delivery.case_id.clone(),
                case_file: delivery.case_file_id.clone(),
                source: share.source_oin.clone(),
                category: share.category.clone(),
                subject: share
                    .subject
                    .as_ref()
                    .map(|s| s.hex.clone())
                    .unwrap_or_default(),
                purpose: delivery.purpose.clone(),
                obligations: share
                    .obligations
                    .iter()
                    .map(|o| StoredObligation {
                        kind: o.kind.clone(),
                        article: o.article.clone(),
                        purpose: o.purpose.clone(),
                    })
                    .collect(),
                fields: share
                    .fields
                    .iter()
                    .map(|f| StoredField {
                        name: f.name.clone(),
                        value: f.value.clone(),
                    })
                    .collect(),
                log_leaf_index: share.log_leaf_index,
                received_at: received_at.clone(),
                delete_at: delete_at.clone(),
            };
            self.write_file(&record)?;
            if let Some(index) = guard.as_mut() {
                index.insert(&record.id, &record.case, moment);
            }
            events.push(Event::ShareReceived {
                id: id.clone(),
                category: record.category.clone(),
                subject: record.subject.clone(),
                purpose: record.purpose.clone(),
                fields: record.fields.iter().map(|f| f.name.clone()).collect(),
                delete_at: record.delete_at.clone().unwrap_or_default(),
            });
            stored.push(id);
        }
        if !stored.is_empty() {
            // One directory fsync for the whole delivery, before the caller
            // acknowledges it: until then a crash may lose the renames, and the hub
            // sends the delivery again.
            self.sync_shares_dir()?;
        }
        // Shares already held: a delivery sent again because it was not acknowledged.
        // A crash between storing its shares and writing their receipts (a `kill -9`
        // of the agent, found by the crash points) left shares without a receipt; the
        // receipts missing are written now. Only this path reads the receipt log, and
        // only for a delivery already stored.
        let unreceipted = self.without_receipt(held.iter().map(|(id, _)| id.as_str()))?;
        for (id, share) in held {
            if unreceipted.contains(&id) {
                events.push(Event::ShareReceived {
                    category: share.category.clone(),
                    subject: share
                        .subject
                        .as_ref()
                        .map(|s| s.hex.clone())
                        .unwrap_or_default(),
                    purpose: delivery.purpose.clone(),
                    fields: share.fields.iter().map(|f| f.name.clone()).collect(),
                    delete_at: delete_at.clone().unwrap_or_default(),
                    id,
                });
            }
        }
        self.log(now, events)?;
        // Counted, not listed: a delivery costs the same with 10 or 100,000 shares
        // held (a sweep counts the folder again).
        if let Some(m) = &self.metrics {
            m.inbox_shares
                .inc_by(i64::try_from(stored.len()).unwrap_or(i64::MAX));
        }
        Ok(stored)
    }

    /// Sets the delete moment of every share of the notice's case; returns how many.
    /// Applying the same notice twice is harmless. A failure is counted and shown in
    /// `/healthz` like a delivery's.
    pub fn apply_notice(&self, notice: &RetentionNotice) -> Result<usize, InboxError> {
        let result = self.apply_notice_unwatched(notice);
        self.note_store(result.as_ref().err());
        result
    }

    fn apply_notice_unwatched(&self, notice: &RetentionNotice) -> Result<usize, InboxError> {
        check_id("case", &notice.case_id)?;
        let Some(delete_at) = notice
            .delete_at
            .as_ref()
            .and_then(|t| timestamp_text(t.seconds))
        else {
            return Ok(0);
        };
        let mut guard = self.guard();
        self.write_term(&notice.case_id, &delete_at)?;
        let index = self.index(&mut guard)?;
        let moment = parse_moment(&delete_at);
        let mut changed = 0;
        // Only the case's own shares are opened, found by the index.
        for id in index.of_case(&notice.case_id) {
            let Some(share) = self.read_indexed(index, &id)? else {
                continue;
            };
            if share.delete_at.as_ref() != Some(&delete_at) {
                let share = StoredShare {
                    delete_at: Some(delete_at.clone()),
                    ..share
                };
                self.write_file(&share)?;
                index.set_moment(&id, moment);
                changed += 1;
            }
        }
        if changed > 0 {
            self.sync_shares_dir()?;
        }
        Ok(changed)
    }

    /// Deletes the shares whose delete moment is at or before `now` and writes a
    /// `share-deleted` receipt for each.
    pub fn sweep(&self, now: OffsetDateTime) -> Result<SweepReport, InboxError> {
        let mut guard = self.guard();
        let index = self.index(&mut guard)?;
        // Shares that did not open when the index was built are tried again: left in
        // place and reported while they still do not open.
        let mut unreadable = 0;
        for id in index.unreadable.clone() {
            match self.read(&id) {
                Ok(share) if index.insert(&share.id, &share.case, share.moment()) => {
                    index.unreadable.remove(&id);
                }
                Ok(_) => {
                    tracing::error!(
                        "an inbox share is named as the inbox never names one; left in place"
                    );
                    unreadable += 1;
                }
                Err(error) => {
                    if self.path_of(&id).exists() {
                        tracing::error!(%error, "inbox share does not open; left in place");
                        unreadable += 1;
                    } else {
                        index.unreadable.remove(&id);
                    }
                }
            }
        }
        let mut report = SweepReport {
            unreadable,
            ..SweepReport::default()
        };
        // Only the shares whose moment has come, found by the index.
        let mut emptied = std::collections::BTreeSet::new();
        for (id, case) in index.due(now.unix_timestamp()) {
            let path = self.path_of(&id);
            match std::fs::remove_file(&path) {
                Ok(()) => report.deleted.push(id.clone()),
                // Deleted already (by `node-agent inbox sweep` beside the agent).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(InboxError::Io { path, source }),
            }
            index.remove(&id);
            emptied.insert(case);
        }
        // A case's term is kept while shares of it remain; a delivery that comes after
        // the last one was deleted has its own delete_at (the hub sets it once known).
        for case in emptied {
            if !index.has_case(&case) {
                let _ = std::fs::remove_file(self.dir.join(TERMS).join(&case));
            }
        }
        let held = index.len();
        if !report.deleted.is_empty() {
            self.sync_shares_dir()?;
            let events = report
                .deleted
                .iter()
                .map(|id| Event::ShareDeleted {
                    id: id.clone(),
                    reason: "retention".into(),
                })
                .collect();
            self.log(now, events)?;
            if let Some(m) = &self.metrics {
                m.inbox_deleted.inc_by(report.deleted.len() as u64);
            }
        }
        if let Some(m) = &self.metrics {
            m.inbox_shares.set(i64::try_from(held).unwrap_or(i64::MAX));
        }
        Ok(report)
    }

    /// Every share, without values.
    pub fn list(&self) -> Result<Vec<ShareSummary>, InboxError> {
        let (shares, unreadable) = self.read_all()?;
        if let Some(error) = unreadable.into_iter().next() {
            return Err(error);
        }
        Ok(shares.iter().map(StoredShare::summary).collect())
    }

    /// The shares of `case`, with values, for `purpose`. Refused when any share of the
    /// case was received for another purpose than the one stated (article 3.2).
    pub fn export(&self, case: &str, purpose: &str) -> Result<Vec<StoredShare>, InboxError> {
        let (shares, unreadable) = self.read_all()?;
        if let Some(error) = unreadable.into_iter().next() {
            return Err(error);
        }
        let of_case: Vec<StoredShare> = shares.into_iter().filter(|s| s.case == case).collect();
        let mut others: Vec<&str> = of_case
            .iter()
            .filter(|s| s.purpose != purpose)
            .map(|s| s.purpose.as_str())
            .collect();
        others.sort_unstable();
        others.dedup();
        if !others.is_empty() {
            return Err(InboxError::PurposeRefused {
                case: case.to_owned(),
                received: others.join(", "),
                asked: purpose.to_owned(),
            });
        }
        Ok(of_case)
    }

    /// The number of shares held.
    pub fn len(&self) -> Result<usize, InboxError> {
        Ok(self.share_ids()?.len())
    }

    /// True when no share is held.
    pub fn is_empty(&self) -> Result<bool, InboxError> {
        Ok(self.len()? == 0)
    }

    fn update_size(&self) {
        if let (Some(m), Ok(n)) = (&self.metrics, self.len()) {
            m.inbox_shares.set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Which of `ids` (shares held) have no `share-received` receipt in the receipt
    /// log; none without a receipt log. The log is read from its end backward, only
    /// until every id's receipt is found ([`crate::receipts::remove_received`]).
    fn without_receipt<'a>(
        &self,
        ids: impl Iterator<Item = &'a str>,
    ) -> Result<std::collections::BTreeSet<String>, InboxError> {
        let mut missing: std::collections::BTreeSet<String> = ids.map(str::to_owned).collect();
        let Some(log) = &self.receipts else {
            return Ok(Default::default());
        };
        if missing.is_empty() {
            return Ok(missing);
        }
        let read = crate::receipts::remove_received(log.path(), &mut missing)?;
        self.receipt_bytes_read
            .fetch_add(read, std::sync::atomic::Ordering::Relaxed);
        Ok(missing)
    }

    fn log(&self, now: OffsetDateTime, events: Vec<Event>) -> Result<(), InboxError> {
        if let Some(log) = &self.receipts
            && !events.is_empty()
        {
            log.append(now, events)?;
        }
        Ok(())
    }

    fn share_ids(&self) -> Result<Vec<String>, InboxError> {
        let dir = self.shares_dir();
        let io = |source| InboxError::Io {
            path: dir.clone(),
            source,
        };
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Every share that opens, and the errors of those that do not.
    fn read_all(&self) -> Result<(Vec<StoredShare>, Vec<InboxError>), InboxError> {
        let mut shares = Vec::new();
        let mut unreadable = Vec::new();
        for id in self.share_ids()? {
            match self.read(&id) {
                Ok(share) => shares.push(share),
                Err(error) => unreadable.push(error),
            }
        }
        Ok((shares, unreadable))
    }

    /// The index of the shares, built on first use by opening every share once (the
    /// only time a RetentionNotice or a sweep reads them all).
    fn index<'g>(&self, guard: &'g mut Option<Index>) -> Result<&'g mut Index, InboxError> {
        if guard.is_none() {
            let mut index = Index::default();
            for id in self.share_ids()? {
                let indexed = match self.read(&id) {
                    Ok(share) => index.insert(&share.id, &share.case, share.moment()),
                    Err(_) => false,
                };
                if !indexed {
                    index.unreadable.insert(id);
                }
            }
            *guard = Some(index);
        }
        match guard.as_mut() {
            Some(index) => Ok(index),
            None => unreachable!("the index was built above"),
        }
    }

    /// Opens an indexed share; `None` (and out of the index) when its file is gone
    /// (deleted beside the agent by `node-agent inbox sweep`).
    fn read_indexed(&self, index: &mut Index, id: &str) -> Result<Option<StoredShare>, InboxError> {
        match self.read(id) {
            Ok(share) => Ok(Some(share)),
            Err(InboxError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                index.remove(id);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// How many entries the index of the shares keeps (none before it is built).
    #[cfg(test)]
    fn index_entries(&self) -> usize {
        self.guard().as_ref().map_or(0, Index::entries)
    }

    /// How many bytes of the receipt log were read since the inbox was opened (to find
    /// the receipts of a delivery sent again).
    pub fn receipt_bytes_read(&self) -> u64 {
        self.receipt_bytes_read
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many shares were opened (read and decrypted) since the inbox was opened.
    pub fn shares_opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Opens one share.
    pub fn read(&self, id: &str) -> Result<StoredShare, InboxError> {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.path_of(id);
        let sealed = std::fs::read(&path).map_err(|source| InboxError::Io {
            path: path.clone(),
            source,
        })?;
        let plain = self.key.open(id, &sealed)?;
        let share: StoredShare =
            serde_json::from_slice(&plain).map_err(|e| InboxError::Corrupt {
                id: id.to_owned(),
                why: e.to_string(),
            })?;
        if share.id != id {
            return Err(InboxError::Corrupt {
                id: id.to_owned(),
                why: "the content names another id".into(),
            });
        }
        Ok(share)
    }

    /// The delete moment a RetentionNotice set for `case`, if any.
    fn term_of(&self, case: &str) -> Result<Option<String>, InboxError> {
        let path = self.dir.join(TERMS).join(case);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(InboxError::Io { path, source }),
        }
    }

    /// Keeps the delete moment of `case` durably (temporary file, fsync, rename, fsync
    /// of the directory) before the notice is acknowledged: the hub does not send it
    /// again, and a delivery of the case stored later must still get its moment.
    fn write_term(&self, case: &str, delete_at: &str) -> Result<(), InboxError> {
        let dir = self.dir.join(TERMS);
        let target = dir.join(case);
        let temp = dir.join(format!(".{case}.tmp"));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| InboxError::Io { path, source }
        };
        create_dir_durably(&dir, &self.syncs)?;
        let mut file = File::create(&temp).map_err(io(&temp))?;
        file.write_all(delete_at.as_bytes()).map_err(io(&temp))?;
        self.syncs.sync_all(&file).map_err(io(&temp))?;
        drop(file);
        std::fs::rename(&temp, &target).map_err(io(&target))?;
        // Without it the rename may be lost to a power cut after the Ack (the term's
        // file never reached the directory on disk).
        self.syncs.sync_dir(&dir).map_err(io(&dir))
    }

    /// How many times the shares folder was synced (fsync of the directory) since
    /// the inbox was opened.
    pub fn dir_syncs(&self) -> u64 {
        self.dir_syncs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes the renames in the shares folder durable (one fsync of the directory).
    fn sync_shares_dir(&self) -> Result<(), InboxError> {
        self.dir_syncs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self.shares_dir();
        self.syncs
            .sync_dir(&dir)
            .map_err(|source| InboxError::Io { path: dir, source })
    }

    /// Seals and writes one share atomically (temporary file, fsync, rename), without
    /// the directory fsync: writers sync the directory once after all their files
    /// ([`Inbox::sync_shares_dir`]); until then the share may be lost to a crash
    /// (never half written).
    fn write_file(&self, share: &StoredShare) -> Result<(), InboxError> {
        let plain = serde_json::to_vec(share).map_err(|e| InboxError::Corrupt {
            id: share.id.clone(),
            why: e.to_string(),
        })?;
        let sealed = self.key.seal(&share.id, &plain)?;
        let dir = self.shares_dir();
        let target = self.path_of(&share.id);
        let temp = dir.join(format!(".{}.tmp", share.id));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| InboxError::Io { path, source }
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp).map_err(io(&temp))?;
        file.write_all(&sealed).map_err(io(&temp))?;
        self.syncs.sync_all(&file).map_err(io(&temp))?;
        drop(file);
        std::fs::rename(&temp, &target).map_err(io(&target))
    }
}

/// A stored delete moment as Unix seconds.
fn parse_moment(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Creates `dir` and any missing parents, each made durable in its parent (fsync of
/// the parent directory), so that a power cut after the first delivery's Ack cannot
/// take the whole folder with it.
fn create_dir_durably(dir: &Path, syncs: &SyncSwitch) -> Result<(), InboxError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InboxError::Io { path, source }
    };
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(path);
        at = path.parent();
    }
    if missing.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for made in missing.iter().rev() {
        let parent = match made.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        syncs.sync_dir(parent).map_err(io(parent))?;
    }
    Ok(())
}

/// Ids from the hub become file names: only a safe alphabet, bounded length.
fn check_id(what: &'static str, id: &str) -> Result<(), InboxError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InboxError::BadId { what })
    }
}

fn timestamp_text(seconds: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
}

/// `now` as the inbox's clock type.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from(SystemTime::now())
}

#[cfg(test)]
mod tests;
