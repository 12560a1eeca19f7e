//! The inbox: case data the hub delivered to this agent's party, kept encrypted with
//! its obligations, used only for its purpose, and deleted when its retention ends.
//!
//! - Each received delivery is one file `shares/<delivery id>.delivery` in the inbox
//!   directory: the delivery's shares (a JSON list of [`StoredShare`]), sealed together
//!   with AES-256-GCM under the inbox key ([`seal`], article 12.2), the delivery id
//!   bound as associated data, so a file renamed to another delivery's name does not
//!   open. It is written atomically (temporary file, fsync, rename, fsync of the
//!   directory) before the agent acknowledges the delivery, so an acknowledged delivery
//!   survives a crash: one file created and synced per delivery, however many shares it
//!   holds (issue 20: a file per share made creating and syncing files most of the
//!   recipient's work).
//! - A share is tagged with its purpose, obligations, case, source party, category,
//!   subject pseudonym and field names. Reading values requires stating the purpose:
//!   [`Inbox::export`] refuses any other purpose (article 3.2).
//! - The delete moment is the delivery's `delete_at`, or set later by a
//!   RetentionNotice once the case's term is known (article 9.1/9.2); the notice's
//!   moment is kept per case, so a delivery that arrives after it gets it too. A notice
//!   rewrites each of its case's delivery files once. [`Inbox::sweep`] deletes the
//!   shares whose moment has passed: a delivery whose shares are all due is one file
//!   removed; one with only some due (older data) is rewritten without them. It takes
//!   `now`, so tests control the clock.
//! - Every store and deletion is written to the receipt log (`share-received`,
//!   `share-deleted`, one per share) when one is configured; values never are.
//! - What is held is counted per share, not per file, from an index in memory
//!   ([`index`]) built by opening every delivery file once: at start in an agent (with
//!   metrics), else at the first notice or sweep. Until it is built, [`Inbox::len`]
//!   opens the files to count (an inbox opened beside the agent counts what is on
//!   disk).
//! - Inboxes of the format before (one file `shares/<share id>.share` per share, sealed
//!   with the share id as associated data) are migrated when opened for use (not by
//!   [`Inbox::check`]): each delivery's share files are written into its delivery file
//!   and synced, then the share files are removed and the removals synced. A crash at
//!   any point loses and duplicates nothing: the next open finds both, the delivery
//!   file wins (it holds the shares it has), and the share files left are removed (or
//!   added to it, if it lacks them). A share file that does not open is left in place
//!   and reported as unreadable, never deleted.
//! - Writers take turns across processes too: the agent and an `inbox` command run
//!   beside it (`node-agent inbox sweep`) each hold the `LOCK` file in the inbox
//!   directory (`flock`) while they store, apply a notice, sweep or migrate, after the
//!   process's own lock (and so does the count of shares an agent makes at start).
//!   The file counts the turns taken; a process whose index was built before another
//!   process took one builds it again.
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
/// The file writers of every process lock ([`Inbox::write_guard`]).
const LOCK_FILE: &str = "LOCK";
/// The file name suffix of a delivery's sealed shares.
pub const SUFFIX: &str = ".delivery";
/// The file name suffix of one sealed share in the format before delivery files
/// (migrated when the inbox is opened).
const LEGACY_SUFFIX: &str = ".share";
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
    /// No share of that id is held (its delivery's file is gone or lacks it).
    #[error("no share {id} is held in the inbox")]
    NoShare {
        /// The share's id.
        id: String,
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

/// A received share, as sealed with the others of its delivery in the delivery's file.
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

/// The content of a delivery file, sealed: the delivery's id (checked against the
/// file's name too, by the associated data) and its shares.
#[derive(Serialize)]
struct DeliveryFile<'a> {
    delivery: &'a str,
    shares: &'a [StoredShare],
}

/// A delivery file opened.
#[derive(Deserialize)]
struct OpenedDelivery {
    delivery: String,
    shares: Vec<StoredShare>,
}

/// Seals the shares of `delivery` as the content of its delivery file
/// (`shares/<delivery><SUFFIX>`); the shares must be `<delivery>.<n>`. For the
/// benchmark's pre-grown inbox; the inbox writes its own files.
pub fn sealed_delivery(
    key: &InboxKey,
    delivery: &str,
    shares: &[StoredShare],
) -> Result<Vec<u8>, InboxError> {
    let plain = serde_json::to_vec(&DeliveryFile { delivery, shares }).map_err(|e| {
        InboxError::Corrupt {
            id: delivery.to_owned(),
            why: e.to_string(),
        }
    })?;
    Ok(key.seal_delivery(delivery, &plain)?)
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Ids of the shares deleted because their retention ended.
    pub deleted: Vec<String>,
    /// Files left because they do not open (a delivery file, or a share file of the
    /// format before that the migration left): reported, never deleted silently.
    pub unreadable: usize,
}

/// What [`Inbox::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboxCheck {
    /// The key file exists (and loaded); `false`: the first start generates it.
    pub key_exists: bool,
    /// The shares held, when the inbox exists (a file that does not open counts as
    /// one).
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
    /// The inbox's `LOCK` file, held by a writer of any process ([`Inbox::write_guard`]);
    /// `None` for an inbox opened only to be checked.
    lock_file: Option<File>,
    /// The turn count this process last wrote into the lock file: another, found
    /// there, means another process changed the inbox (only used under `lock`).
    turns_seen: std::sync::atomic::AtomicU64,
    /// Directory fsyncs of the shares folder so far (one per delivery, not per share).
    dir_syncs: std::sync::atomic::AtomicU64,
    /// Files of the shares folder opened (read and decrypted) so far.
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
                    lock_file: None,
                    turns_seen: std::sync::atomic::AtomicU64::new(u64::MAX),
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
        let lock_path = dir.join(LOCK_FILE);
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(|source| InboxError::Io {
                path: lock_path,
                source,
            })?;
        let inbox = Inbox {
            dir: dir.to_path_buf(),
            key,
            receipts: None,
            metrics: None,
            lock: std::sync::Mutex::new(None),
            lock_file: Some(lock_file),
            turns_seen: std::sync::atomic::AtomicU64::new(u64::MAX),
            dir_syncs: std::sync::atomic::AtomicU64::new(0),
            opened: std::sync::atomic::AtomicU64::new(0),
            receipt_bytes_read: std::sync::atomic::AtomicU64::new(0),
            storing: Arc::new(tokio::sync::Semaphore::new(link::STORING)),
            syncs,
        };
        inbox.migrate()?;
        Ok(inbox)
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

    fn delivery_path(&self, delivery: &str) -> PathBuf {
        self.shares_dir().join(format!("{delivery}{SUFFIX}"))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, Option<Index>> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The process's lock and then the `LOCK` file's, for a writer: another process
    /// (the agent, an `inbox` command) writes only when this one is done. When another
    /// process took a turn since this one's last, the index is dropped (built again
    /// from the files when next needed).
    fn write_guard(&self) -> Result<WriteGuard<'_>, InboxError> {
        let index = self.guard();
        let Some(file) = &self.lock_file else {
            return Ok(WriteGuard { index, file: None });
        };
        let io = |source: std::io::Error| InboxError::Io {
            path: self.dir.join(LOCK_FILE),
            source,
        };
        rustix::fs::flock(file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| io(e.into()))?;
        // Unlocked when dropped, from here on.
        let mut guard = WriteGuard {
            index,
            file: Some(file),
        };
        let mut count = [0u8; 8];
        let read = rustix::io::pread(file, &mut count, 0).map_err(|e| io(e.into()))?;
        let turns = if read == count.len() {
            u64::from_le_bytes(count)
        } else {
            0
        };
        if turns != self.turns_seen.load(std::sync::atomic::Ordering::Relaxed) {
            *guard.index = None;
        }
        let next = turns.wrapping_add(1);
        // Not synced: after a power cut every process builds its index anew anyway.
        rustix::io::pwrite(file, &next.to_le_bytes(), 0).map_err(|e| io(e.into()))?;
        self.turns_seen
            .store(next, std::sync::atomic::Ordering::Relaxed);
        Ok(guard)
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
        let mut guard = self.write_guard()?;
        let delete_at = match delivery
            .delete_at
            .as_ref()
            .and_then(|t| timestamp_text(t.seconds))
        {
            Some(at) => Some(at),
            None => self.term_of(&delivery.case_id)?,
        };
        let received_at = now.format(&Rfc3339).unwrap_or_default();
        // A delivery sent again (its Ack was lost) has its file already: its shares
        // are held. Only this path opens the file, to store a share it lacks (an
        // inbox migrated from one file per share may hold part of a delivery whose
        // store a crash cut short).
        let (mut shares, held_ids) = match self.held_shares(&delivery.delivery_id) {
            Held::None => (Vec::new(), std::collections::BTreeSet::new()),
            Held::Shares(shares) => {
                let ids = shares.iter().map(|s| s.id.clone()).collect();
                (shares, ids)
            }
            Held::Unreadable => {
                // Left in place and reported by the sweep; the delivery counts as held
                // (as its shares' files did), so it is acknowledged.
                let ids = (0..delivery.shares.len())
                    .map(|n| format!("{}.{n}", delivery.delivery_id))
                    .collect();
                (Vec::new(), ids)
            }
        };
        let mut stored = Vec::new();
        let mut events = Vec::new();
        let mut held = Vec::new();
        for (n, share) in delivery.shares.iter().enumerate() {
            let id = format!("{}.{n}", delivery.delivery_id);
            if held_ids.contains(&id) {
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
            events.push(Event::ShareReceived {
                id: id.clone(),
                category: record.category.clone(),
                subject: record.subject.clone(),
                purpose: record.purpose.clone(),
                fields: record.fields.iter().map(|f| f.name.clone()).collect(),
                delete_at: record.delete_at.clone().unwrap_or_default(),
            });
            shares.push(record);
            stored.push(id);
        }
        if !stored.is_empty() {
            shares.sort_by_key(|s| index::split(&s.id).map(|(_, n)| n));
            self.write_delivery(&delivery.delivery_id, &shares)?;
            // One directory fsync for the whole delivery, before the caller
            // acknowledges it: until then a crash may lose the rename, and the hub
            // sends the delivery again.
            self.sync_shares_dir()?;
            if let Some(index) = guard.as_mut() {
                for share in &shares {
                    index.insert(&share.id, &share.case, share.moment());
                }
            }
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
        // held (a sweep counts the index again).
        if let Some(m) = &self.metrics {
            m.inbox_shares
                .inc_by(i64::try_from(stored.len()).unwrap_or(i64::MAX));
        }
        Ok(stored)
    }

    /// The shares held of `delivery`, from its file if it has one.
    fn held_shares(&self, delivery: &str) -> Held {
        if !self.delivery_path(delivery).exists() {
            return Held::None;
        }
        match self.read_delivery(delivery) {
            Ok(shares) => Held::Shares(shares),
            Err(error) if is_gone(&error) => Held::None,
            Err(error) => {
                tracing::error!(%error, "an inbox delivery file does not open; left in place");
                Held::Unreadable
            }
        }
    }

    /// Sets the delete moment of every share of the notice's case; returns how many.
    /// Each of the case's delivery files is rewritten once, not once per share.
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
        let mut guard = self.write_guard()?;
        self.write_term(&notice.case_id, &delete_at)?;
        let index = self.index(&mut guard)?;
        let mut changed = 0;
        let mut rewritten = 0;
        // Only the case's own delivery files are opened, found by the index.
        for delivery in index.deliveries_of(&notice.case_id) {
            let mut shares = match self.read_delivery(&delivery) {
                Ok(shares) => shares,
                // Deleted beside the agent by `node-agent inbox sweep`.
                Err(error) if is_gone(&error) => {
                    index.remove_delivery(&delivery);
                    continue;
                }
                Err(error) => return Err(error),
            };
            let mut set = 0;
            for share in &mut shares {
                if share.delete_at.as_ref() != Some(&delete_at) {
                    share.delete_at = Some(delete_at.clone());
                    set += 1;
                }
            }
            if set > 0 {
                self.write_delivery(&delivery, &shares)?;
                rewritten += 1;
                changed += set;
            }
            // The index follows the file (which a sweep beside the agent may have
            // rewritten).
            index.remove_delivery(&delivery);
            for share in &shares {
                index.insert(&share.id, &share.case, share.moment());
            }
        }
        if rewritten > 0 {
            self.sync_shares_dir()?;
        }
        Ok(changed)
    }

    /// Deletes the shares whose delete moment is at or before `now` and writes a
    /// `share-deleted` receipt for each: a delivery whose shares are all due is one file
    /// removed, one with only some due is rewritten without them.
    pub fn sweep(&self, now: OffsetDateTime) -> Result<SweepReport, InboxError> {
        let mut guard = self.write_guard()?;
        let index = self.index(&mut guard)?;
        // Files that did not open when the index was built are tried again: left in
        // place and reported while they still do not open.
        let mut unreadable = 0;
        for name in index.unreadable.clone() {
            let path = self.shares_dir().join(&name);
            if !path.exists() {
                index.unreadable.remove(&name);
                continue;
            }
            let Some(delivery) = name.strip_suffix(SUFFIX) else {
                // A share file of the format before, left by the migration.
                tracing::error!("an inbox share file does not open; left in place");
                unreadable += 1;
                continue;
            };
            match self.read_delivery(delivery) {
                Ok(shares) => {
                    for share in &shares {
                        index.insert(&share.id, &share.case, share.moment());
                    }
                    index.unreadable.remove(&name);
                }
                Err(error) if is_gone(&error) => {
                    index.unreadable.remove(&name);
                }
                Err(error) => {
                    tracing::error!(%error, "an inbox delivery file does not open; left in place");
                    unreadable += 1;
                }
            }
        }
        let mut report = SweepReport {
            unreadable,
            ..SweepReport::default()
        };
        // Only the shares whose moment has come, found by the index, per delivery.
        let mut due: std::collections::BTreeMap<String, (String, Vec<String>)> =
            std::collections::BTreeMap::new();
        for (id, case) in index.due(now.unix_timestamp()) {
            if let Some((delivery, _)) = index::split(&id) {
                let entry = due
                    .entry(delivery.to_owned())
                    .or_insert_with(|| (case, Vec::new()));
                entry.1.push(id);
            }
        }
        let mut changed = false;
        let mut emptied = std::collections::BTreeSet::new();
        for (delivery, (case, ids)) in due {
            if ids.len() == index.shares_of(&delivery) {
                let path = self.delivery_path(&delivery);
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        report.deleted.extend(ids);
                        changed = true;
                    }
                    // Deleted already (by `node-agent inbox sweep` beside the agent,
                    // which wrote the receipts).
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => return Err(InboxError::Io { path, source }),
                }
                index.remove_delivery(&delivery);
            } else {
                // Only some due (their moments came apart: older data): the file is
                // rewritten without them.
                let shares = match self.read_delivery(&delivery) {
                    Ok(shares) => shares,
                    Err(error) if is_gone(&error) => {
                        index.remove_delivery(&delivery);
                        emptied.insert(case);
                        continue;
                    }
                    Err(error) => {
                        tracing::error!(%error, "an inbox delivery file does not open; left in place");
                        index.remove_delivery(&delivery);
                        index.unreadable.insert(format!("{delivery}{SUFFIX}"));
                        report.unreadable += 1;
                        continue;
                    }
                };
                let (gone, kept): (Vec<StoredShare>, Vec<StoredShare>) =
                    shares.into_iter().partition(|s| ids.contains(&s.id));
                if !gone.is_empty() {
                    if kept.is_empty() {
                        let path = self.delivery_path(&delivery);
                        std::fs::remove_file(&path)
                            .map_err(|source| InboxError::Io { path, source })?;
                    } else {
                        self.write_delivery(&delivery, &kept)?;
                    }
                    changed = true;
                    report.deleted.extend(gone.into_iter().map(|s| s.id));
                }
                index.remove_delivery(&delivery);
                for share in &kept {
                    index.insert(&share.id, &share.case, share.moment());
                }
            }
            emptied.insert(case);
        }
        report.deleted.sort();
        // A case's term is kept while shares of it remain; a delivery that comes after
        // the last one was deleted has its own delete_at (the hub sets it once known).
        for case in emptied {
            if !index.has_case(&case) {
                let _ = std::fs::remove_file(self.dir.join(TERMS).join(&case));
            }
        }
        let held = index.len();
        if changed {
            self.sync_shares_dir()?;
        }
        if !report.deleted.is_empty() {
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

    /// The number of shares held (a file that does not open counts as one). Counted
    /// by the index once it is built (an agent with metrics builds it at start, and
    /// keeps it as it stores and deletes); before that, by opening every delivery file,
    /// without keeping anything, so an inbox opened beside the running agent (`inbox`
    /// commands, tests) counts what is on disk now.
    pub fn len(&self) -> Result<usize, InboxError> {
        if let Some(index) = self.guard().as_ref() {
            return Ok(index.len());
        }
        let mut held = 0;
        for file in self.files()? {
            held += match &file {
                ShareFile::Delivery(delivery) => match self.read_delivery(delivery) {
                    Ok(shares) => shares.len(),
                    Err(error) if is_gone(&error) => 0,
                    Err(_) => 1,
                },
                ShareFile::Share(_) => 1,
            };
        }
        Ok(held)
    }

    /// True when no share is held.
    pub fn is_empty(&self) -> Result<bool, InboxError> {
        Ok(self.len()? == 0)
    }

    /// Builds the index (opening every delivery file once, what the first notice or
    /// sweep would do) and sets the count of shares held from it; from then on
    /// deliveries, notices and sweeps keep the count.
    fn update_size(&self) {
        let Some(m) = &self.metrics else {
            return;
        };
        // A writer's turn: the index is built from files no other process is changing,
        // and this process's first store does not build it again.
        let mut guard = match self.write_guard() {
            Ok(guard) => guard,
            Err(error) => {
                tracing::error!(%error, "the inbox's shares cannot be counted");
                return;
            }
        };
        match self.index(&mut guard) {
            Ok(index) => {
                m.inbox_shares
                    .set(i64::try_from(index.len()).unwrap_or(i64::MAX));
            }
            Err(error) => {
                tracing::error!(%error, "the inbox's shares cannot be counted");
            }
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

    /// The files of the shares folder, sorted: delivery files and share files of the
    /// format before (only those the migration left, or before it ran); temporary
    /// files are not listed.
    fn files(&self) -> Result<Vec<ShareFile>, InboxError> {
        let dir = self.shares_dir();
        let io = |source| InboxError::Io {
            path: dir.clone(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str().filter(|n| !n.starts_with('.')) else {
                continue;
            };
            if let Some(delivery) = name.strip_suffix(SUFFIX) {
                files.push(ShareFile::Delivery(delivery.to_owned()));
            } else if let Some(id) = name.strip_suffix(LEGACY_SUFFIX) {
                files.push(ShareFile::Share(id.to_owned()));
            }
        }
        files.sort();
        Ok(files)
    }

    /// Every share that opens, and the errors of the files that do not.
    fn read_all(&self) -> Result<(Vec<StoredShare>, Vec<InboxError>), InboxError> {
        let mut shares = Vec::new();
        let mut unreadable = Vec::new();
        for file in self.files()? {
            let read = match &file {
                ShareFile::Delivery(delivery) => self.read_delivery(delivery),
                ShareFile::Share(id) => self.read_share_file(id).map(|share| vec![share]),
            };
            match read {
                Ok(read) => shares.extend(read),
                Err(error) if is_gone(&error) => {}
                Err(error) => unreadable.push(error),
            }
        }
        Ok((shares, unreadable))
    }

    /// The index of the shares, built on first use by opening every delivery file
    /// once (the only time a RetentionNotice or a sweep reads them all).
    fn index<'g>(&self, guard: &'g mut Option<Index>) -> Result<&'g mut Index, InboxError> {
        if guard.is_none() {
            let mut index = Index::default();
            for file in self.files()? {
                let ShareFile::Delivery(delivery) = &file else {
                    // A share file of the format before: left by the migration because
                    // it does not open (or, for `check`, not migrated yet: one share).
                    index.unreadable.insert(file.name());
                    continue;
                };
                let indexed = match self.read_delivery(delivery) {
                    Ok(shares) => {
                        for share in &shares {
                            index.insert(&share.id, &share.case, share.moment());
                        }
                        true
                    }
                    Err(error) => is_gone(&error),
                };
                if !indexed {
                    index.unreadable.insert(file.name());
                }
            }
            *guard = Some(index);
        }
        match guard.as_mut() {
            Some(index) => Ok(index),
            None => unreachable!("the index was built above"),
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

    /// How many files of the shares folder were opened (read and decrypted) since the
    /// inbox was opened: a delivery file with all its shares counts once.
    pub fn files_opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Opens one share (its delivery's file).
    pub fn read(&self, id: &str) -> Result<StoredShare, InboxError> {
        let no_share = || InboxError::NoShare { id: id.to_owned() };
        let (delivery, _) = index::split(id).ok_or_else(no_share)?;
        if check_id("delivery", delivery).is_err() {
            return Err(no_share());
        }
        match self.read_delivery(delivery) {
            Ok(shares) => shares
                .into_iter()
                .find(|share| share.id == id)
                .ok_or_else(no_share),
            Err(error) if is_gone(&error) => Err(no_share()),
            Err(error) => Err(error),
        }
    }

    /// Opens the file of `delivery`: its shares, in number order.
    fn read_delivery(&self, delivery: &str) -> Result<Vec<StoredShare>, InboxError> {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.delivery_path(delivery);
        let sealed = std::fs::read(&path).map_err(|source| InboxError::Io {
            path: path.clone(),
            source,
        })?;
        let plain = self.key.open_delivery(delivery, &sealed)?;
        let corrupt = |why: String| InboxError::Corrupt {
            id: delivery.to_owned(),
            why,
        };
        let opened: OpenedDelivery =
            serde_json::from_slice(&plain).map_err(|e| corrupt(e.to_string()))?;
        if opened.delivery != delivery {
            return Err(corrupt("the content names another delivery".into()));
        }
        for share in &opened.shares {
            if share.delivery != delivery
                || index::split(&share.id).is_none_or(|(of, _)| of != delivery)
            {
                return Err(corrupt(
                    "the content holds a share of another delivery".into(),
                ));
            }
        }
        Ok(opened.shares)
    }

    /// Opens a share file of the format before delivery files.
    fn read_share_file(&self, id: &str) -> Result<StoredShare, InboxError> {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.shares_dir().join(format!("{id}{LEGACY_SUFFIX}"));
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

    /// Moves the share files of the format before into delivery files, durably and
    /// idempotently (see the module doc): every delivery file written and synced (one
    /// directory fsync for all), then the share files it holds removed (one more).
    fn migrate(&self) -> Result<(), InboxError> {
        let _turn = self.write_guard()?;
        let mut old: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for file in self.files()? {
            let ShareFile::Share(id) = file else {
                continue;
            };
            match index::split(&id) {
                Some((delivery, _)) if check_id("delivery", delivery).is_ok() => {
                    old.entry(delivery.to_owned()).or_default().push(id);
                }
                _ => tracing::error!(
                    "an inbox share file is named as the inbox never names one; left in place"
                ),
            }
        }
        if old.is_empty() {
            return Ok(());
        }
        let (mut written, mut removable, mut left) = (0usize, Vec::new(), 0usize);
        for (delivery, ids) in &old {
            // Held already (a migration cut short after writing it): it wins.
            let mut shares = if self.delivery_path(delivery).exists() {
                match self.read_delivery(delivery) {
                    Ok(shares) => shares,
                    Err(error) => {
                        tracing::error!(%error, "an inbox delivery file does not open; its share files are left in place");
                        left += ids.len();
                        continue;
                    }
                }
            } else {
                Vec::new()
            };
            let mut added = false;
            for id in ids {
                if shares.iter().any(|s| &s.id == id) {
                    removable.push(id.clone());
                    continue;
                }
                match self.read_share_file(id) {
                    Ok(share) if share.delivery == *delivery => {
                        shares.push(share);
                        removable.push(id.clone());
                        added = true;
                    }
                    Ok(_) => {
                        tracing::error!(
                            "an inbox share file names another delivery; left in place"
                        );
                        left += 1;
                    }
                    Err(error) => {
                        tracing::error!(%error, "an inbox share file does not open; left in place");
                        left += 1;
                    }
                }
            }
            if added {
                shares.sort_by_key(|s| index::split(&s.id).map(|(_, n)| n));
                self.write_delivery(delivery, &shares)?;
                written += 1;
            }
        }
        // The delivery files are durable before any share file goes: a crash between
        // the two leaves both, which the next open resolves.
        if written > 0 {
            self.sync_shares_dir()?;
        }
        for id in &removable {
            let path = self.shares_dir().join(format!("{id}{LEGACY_SUFFIX}"));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(InboxError::Io { path, source }),
            }
        }
        if !removable.is_empty() {
            self.sync_shares_dir()?;
        }
        tracing::info!(
            deliveries = written,
            shares = removable.len(),
            left,
            "the inbox's share files were migrated into one file per delivery"
        );
        Ok(())
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

    /// Seals and writes the file of `delivery` atomically (temporary file, fsync,
    /// rename), without the directory fsync: writers sync the directory once after all
    /// their files ([`Inbox::sync_shares_dir`]); until then the file may be lost to a
    /// crash (never half written).
    fn write_delivery(&self, delivery: &str, shares: &[StoredShare]) -> Result<(), InboxError> {
        let sealed = sealed_delivery(&self.key, delivery, shares)?;
        let dir = self.shares_dir();
        let target = self.delivery_path(delivery);
        let temp = dir.join(format!(".{delivery}.tmp"));
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

/// What the shares folder holds of a delivery about to be stored.
enum Held {
    /// No file.
    None,
    /// Its file, with these shares.
    Shares(Vec<StoredShare>),
    /// Its file, which does not open.
    Unreadable,
}

/// A file of the shares folder.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ShareFile {
    /// `<delivery id>.delivery`.
    Delivery(String),
    /// `<share id>.share`, the format before.
    Share(String),
}

impl ShareFile {
    fn name(&self) -> String {
        match self {
            ShareFile::Delivery(delivery) => format!("{delivery}{SUFFIX}"),
            ShareFile::Share(id) => format!("{id}{LEGACY_SUFFIX}"),
        }
    }
}

/// The error says the file is gone (deleted beside the agent by `node-agent inbox
/// sweep`).
fn is_gone(error: &InboxError) -> bool {
    matches!(error, InboxError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
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

/// A writer's hold of the inbox: the process's lock (with the index) and the `LOCK`
/// file's, released in that order's reverse.
struct WriteGuard<'a> {
    index: std::sync::MutexGuard<'a, Option<Index>>,
    file: Option<&'a File>,
}

impl std::ops::Deref for WriteGuard<'_> {
    type Target = Option<Index>;
    fn deref(&self) -> &Option<Index> {
        &self.index
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut Option<Index> {
        &mut self.index
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if let Some(file) = self.file {
            // Closing the file would release it too; an unlock that fails leaves it
            // held until the process ends, which the next writer waits out.
            let _ = rustix::fs::flock(file, rustix::fs::FlockOperation::Unlock);
        }
    }
}

#[cfg(test)]
mod tests;
