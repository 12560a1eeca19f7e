//! The durable log: append-only segment files, written by one committer thread with
//! group commit, and the [`Log`] handle the hub uses.
//!
//! **Group commit.** [`Log::append`] hands the entry's canonical bytes to the committer
//! thread and waits. The committer takes every request waiting at that moment (up to
//! [`LogOptions::max_batch_entries`] and 4 MiB; the requests handed over together,
//! by [`Log::append_all`], [`Log::send_prepared`] or
//! [`Log::send_prepared_with_checkpoint`], whole), gives them
//! consecutive indices,
//! writes their records with one `pwrite`, makes them durable with one `fdatasync`,
//! and only then adds them to the tree and answers each caller with its index. While
//! one sync runs, the next batch gathers, so many concurrent decisions share one sync.
//!
//! **Fails closed.** If the write or the sync fails, every caller in the batch gets
//! [`LogError::Write`] or [`LogError::Sync`], no index is used, and the tree does not
//! change. The committer truncates the segment back to its last durable length and
//! syncs it before it writes anything else; until that succeeds, every append fails.
//! When the fault is gone (space freed, disk back) appends resume at the next index,
//! with no gap. A crash between a failed sync and that repair can leave the failed
//! batch on disk, so the log then holds decisions whose callers saw an error: the log
//! can hold more than what took effect, never less.
//!
//! **Cancellation.** If the future of an append is dropped after it was handed over,
//! the entry is still appended; the caller just does not learn its index. A share
//! whose append did not return `Ok` must not pass.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt as _, FileExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::checkpoint::{
    Checkpoint, CheckpointError, NoteVerifier, SignedCheckpoint, open_checkpoint,
};
use super::entry::{Entry, EntryError, Salt};
use super::faults::FaultSwitch;
use super::hash::{Hash, leaf_hash};
use super::head::{self, Head, HeadFile, HeadRead, Reach};
use super::key::LogKey;
use super::proof::{self, ProofError};
use super::segment::{
    self, HEADER_LEN, KIND_CHECKPOINT, KIND_ENTRY, Limit, Location, MAX_BATCH_BYTES,
    RECORD_HEADER_LEN, ScanMode, TornTail, read_record, segment_header, segment_name,
};
use super::tree::MerkleTree;
use super::verify::{self, Finding, Problem, VerifyError, VerifyReport, verify_with};

/// Default for [`LogOptions::max_batch_entries`].
pub const DEFAULT_MAX_BATCH_ENTRIES: usize = 1024;
/// Default for [`LogOptions::segment_bytes`]: a new segment file starts after 64 MiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// The largest segment size allowed (offsets in a segment are 32-bit).
const MAX_SEGMENT_BYTES: u64 = 1024 * 1024 * 1024;
/// The lock file in the log directory.
const LOCK_FILE: &str = "LOCK";

/// Something the log could not do. Messages name paths, sizes and indices, never
/// entry contents.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogError {
    /// The entry was refused before anything was written.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// Writing failed: nothing of this batch was appended.
    #[error("cannot write the decision log {path}: {source}; the entry was not appended")]
    Write {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Syncing failed: nothing of this batch was appended.
    #[error(
        "cannot make the decision log {path} durable (fdatasync): {source}; the entry was not appended"
    )]
    Sync {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Reading failed.
    #[error("cannot read the decision log {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Another process (or another `Log` in this one) has the directory open.
    #[error("the decision log in {dir} is already open in another process or handle")]
    Locked { dir: PathBuf },
    /// The stored log does not verify; it is not opened (run `hub log verify`).
    #[error("the decision log does not verify, refusing to open it: {0}")]
    Tampered(Finding),
    /// A stored record no longer authenticates.
    #[error("the record of entry {index} in {path} at byte {offset} does not authenticate")]
    Corrupt {
        index: u64,
        path: PathBuf,
        offset: u64,
    },
    /// No such entry.
    #[error("entry {index} does not exist; the log has {size} entries")]
    NoSuchEntry { index: u64, size: u64 },
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A cosigned checkpoint that this log did not sign.
    #[error(
        "the cosigned checkpoint of size {size} does not match this log's tree (the log has {log_size} entries)"
    )]
    NotThisLog { size: u64, log_size: u64 },
    /// A note given as cosigned carries no verified witness signature.
    #[error("the checkpoint carries no signature of a known witness")]
    NoCosignature,
    /// The log in the database was made with another key.
    #[error(
        "the decision log in {place} was made with another log key (its verifier key is {stored}; \
         this hub's is {ours}): configure the key that made it, or another database"
    )]
    OtherKey {
        place: PathBuf,
        stored: String,
        ours: String,
    },
    /// The committer thread is gone (the log was dropped or its thread failed).
    #[error("the decision log is closed")]
    Closed,
    /// The state change to be written with the entries could not be formed or
    /// written; neither the entries nor the change were stored.
    #[error("{0}; neither the log entries nor the change they record were stored")]
    Recording(String),
}

impl LogError {
    pub(crate) fn read(path: &Path, e: std::io::Error) -> LogError {
        LogError::Read {
            path: path.to_path_buf(),
            source: Arc::new(e),
        }
    }
    pub(crate) fn write(path: &Path, e: std::io::Error) -> LogError {
        LogError::Write {
            path: path.to_path_buf(),
            source: Arc::new(e),
        }
    }
    pub(crate) fn sync(path: &Path, e: std::io::Error) -> LogError {
        LogError::Sync {
            path: path.to_path_buf(),
            source: Arc::new(e),
        }
    }
}

/// Whether appends wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// `fdatasync` every batch before answering (the only mode for a hub).
    #[default]
    Fdatasync,
    /// Never sync: an append returns when the data is in the page cache. Loses
    /// acknowledged entries on power loss. For benchmarks only.
    NoSyncBenchmarkOnly,
}

/// How the log runs.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// The most entries one sync covers, but for entries handed over together
    /// ([`Log::append_all`]), which are never split; 1 syncs every entry of
    /// [`Log::append`] on its own.
    pub max_batch_entries: usize,
    /// A new segment file starts once the current one reaches this size.
    pub segment_bytes: u64,
    pub sync: SyncMode,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            max_batch_entries: DEFAULT_MAX_BATCH_ENTRIES,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            sync: SyncMode::Fdatasync,
        }
    }
}

/// What opening found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries recovered.
    pub entries: u64,
    /// Segment files.
    pub segments: usize,
    /// Stored checkpoints, all verified against the recovered tree.
    pub checkpoints: usize,
    /// An incomplete last write (a crash before its sync) that was moved aside to
    /// `<segment>.torn-<offset>` and cut off. It held no acknowledged entry.
    pub torn_tail: Option<TornTail>,
}

/// An entry as stored: its index, its canonical bytes (hash them with
/// [`leaf_hash`] for an inclusion proof; give them to the party checking one), the
/// decoded entry and its salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub index: u64,
    pub bytes: Vec<u8>,
    pub entry: Entry,
    pub salt: Salt,
}

impl StoredEntry {
    /// The leaf hash (RFC 6962 §2.1).
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.bytes)
    }
}

/// Counters, for metrics and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogStats {
    /// Entries appended since open.
    pub appended: u64,
    /// Batches written and synced (one sync each).
    pub batches: u64,
    /// Batches that failed (their callers got errors).
    pub failed_batches: u64,
    /// The most entries in one batch.
    pub max_batch: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) appended: AtomicU64,
    pub(super) batches: AtomicU64,
    pub(super) failed_batches: AtomicU64,
    pub(super) max_batch: AtomicU64,
    /// Why the last batch failed, while no batch has been written since: what the
    /// operator sees in `/healthz` while the log cannot write (and so nothing passes).
    failing: std::sync::Mutex<Option<String>>,
}

impl Counters {
    pub(super) fn batch_failed(&self, e: &LogError) {
        self.failed_batches.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut failing) = self.failing.lock() {
            *failing = Some(e.to_string());
        }
    }

    /// The head record could not be written: the batch's entries are appended, but
    /// no checkpoint is handed out until it is (shown like a failed batch).
    pub(super) fn head_failed(&self, e: &LogError) {
        if let Ok(mut failing) = self.failing.lock() {
            *failing = Some(format!("the head record: {e}"));
        }
    }

    pub(super) fn batch_written(&self) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut failing) = self.failing.lock() {
            *failing = None;
        }
    }
}

/// A segment as readers use it.
pub(super) struct SegmentRead {
    path: PathBuf,
    file: Arc<File>,
}

/// The committed state: only the committer changes it, after a sync (or, on
/// PostgreSQL, a commit).
pub(super) struct State {
    pub(super) tree: MerkleTree,
    /// Files only: where each entry's record is.
    pub(super) locations: Vec<Location>,
    /// Files only.
    pub(super) segments: Vec<SegmentRead>,
    /// Files only: durable length of the last segment.
    pub(super) last_len: u64,
    /// The stored checkpoint of the largest size, with its cosignatures.
    pub(super) latest: Option<SignedCheckpoint>,
    /// Every stored checkpoint by tree size, with its cosignatures.
    pub(super) by_size: BTreeMap<u64, SignedCheckpoint>,
}

pub(super) struct Shared {
    /// The log's directory, or for a log in PostgreSQL `postgres: <database>` (in
    /// messages only).
    pub(super) dir: PathBuf,
    pub(super) key: LogKey,
    pub(super) options: LogOptions,
    /// Inert in a hub built for use ([`super::faults`]).
    pub(super) faults: FaultSwitch,
    pub(super) state: RwLock<State>,
    pub(super) counters: Counters,
    /// For the entries' salts.
    pub(super) rng: ring::rand::SystemRandom,
    /// Where the records are kept.
    pub(super) place: Place,
}

/// Where a log keeps its records.
pub(super) enum Place {
    /// Segment files in `Shared::dir`; the directory's flock, held for the life of the
    /// log.
    Files { _lock: File },
    /// Tables of the data database ([`super::postgres`]), shared by every replica.
    Postgres(crate::store::postgres::Database),
}

/// Appends made ready by [`Log::prepare`] and not yet handed to the committer.
/// Dropped unsent, its callers hear [`LogError::Closed`].
#[derive(Default)]
pub struct PreparedAppends(Vec<Request>);

impl std::fmt::Debug for PreparedAppends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreparedAppends({} requests)", self.0.len())
    }
}

impl PreparedAppends {
    /// Whether it holds no append.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes `other`'s appends after its own, to go in the same message.
    pub fn append(&mut self, other: PreparedAppends) {
        self.0.extend(other.0);
    }
}

/// The leaf indices of prepared appends, once they are sent and durable.
#[derive(Debug)]
pub struct AppendsDurable(Vec<oneshot::Receiver<Result<u64, LogError>>>);

impl AppendsDurable {
    /// The leaf indices in order, once all are durable; the first error if any failed
    /// (every reply is awaited first, so none is still being appended then).
    pub async fn indices(self) -> Result<Vec<u64>, LogError> {
        Log::appended(self.0).await
    }
}

/// A checkpoint asked for with appends ([`Log::send_prepared_with_checkpoint`]), once signed and
/// stored.
#[derive(Debug)]
pub struct CheckpointSigned(oneshot::Receiver<Result<SignedCheckpoint, LogError>>);

impl CheckpointSigned {
    /// The checkpoint, once stored (after the appends sent with it are durable).
    pub async fn signed(self) -> Result<SignedCheckpoint, LogError> {
        self.0.await.map_err(|_| LogError::Closed).and_then(|r| r)
    }
}

pub(super) enum Request {
    Append {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<u64, LogError>>,
    },
    Checkpoint {
        reply: oneshot::Sender<Result<SignedCheckpoint, LogError>>,
    },
    StoreNote {
        note: SignedCheckpoint,
        reply: oneshot::Sender<Result<SignedCheckpoint, LogError>>,
    },
    /// Entries and the state change they record, in one transaction: only a log in
    /// PostgreSQL takes it ([`super::recording`]).
    AppendRecording {
        entries: Vec<Vec<u8>>,
        records: super::recording::RecordsOf,
        reply: oneshot::Sender<Result<Vec<u64>, LogError>>,
    },
}

impl Request {
    pub(super) fn bytes(&self) -> usize {
        match self {
            Request::Append { bytes, .. } => bytes.len() + RECORD_HEADER_LEN,
            Request::AppendRecording { entries, .. } => entries
                .iter()
                .map(|bytes| bytes.len() + RECORD_HEADER_LEN)
                .sum(),
            _ => 1024,
        }
    }
}

pub(super) struct Inner {
    pub(super) shared: Arc<Shared>,
    /// To the committer: each message one or more requests, taken into one batch
    /// whole ([`gather`]).
    pub(super) tx: Mutex<Option<mpsc::Sender<Vec<Request>>>>,
    pub(super) thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the committer after its current batch; joining it
        // releases the directory lock before the handle is gone.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Ok(mut thread) = self.thread.lock()
            && let Some(t) = thread.take()
        {
            let _ = t.join();
        }
    }
}

/// The decision log. Cheap to clone; every clone is the same log.
#[derive(Clone)]
pub struct Log {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Log({}, {} entries)",
            self.inner.shared.dir.display(),
            self.tree_size()
        )
    }
}

pub(super) fn read_state(shared: &Shared) -> std::sync::RwLockReadGuard<'_, State> {
    // A panic while holding the lock cannot leave State half-changed (it is changed
    // by plain pushes after the sync), so a poisoned lock is still good to read.
    shared.state.read().unwrap_or_else(|p| p.into_inner())
}

pub(super) fn write_state(shared: &Shared) -> std::sync::RwLockWriteGuard<'_, State> {
    shared.state.write().unwrap_or_else(|p| p.into_inner())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Log {
    /// Opens (or creates) the log in `dir`: takes the directory lock, reads every
    /// segment, checks every record and stored checkpoint, moves aside a torn last
    /// write, and starts the committer thread. Blocking; call it at start-up (or in
    /// `spawn_blocking`). A log that does not verify is not opened
    /// ([`LogError::Tampered`]).
    pub fn open(
        dir: &Path,
        key: LogKey,
        options: LogOptions,
    ) -> Result<(Log, OpenReport), LogError> {
        // The nearest directory that exists already: the ones created below it are
        // synced into their parents, so that a power cut right after the first start
        // cannot lose the log directory (and with it every entry) (issue 22).
        let existing = dir.ancestors().find(|a| a.exists()).map(Path::to_path_buf);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| LogError::write(dir, e))?;
        if let Some(existing) = existing.filter(|e| e.as_path() != dir) {
            for created in dir.ancestors() {
                let parent = created.parent().unwrap_or(created);
                sync_dir(parent).map_err(|e| LogError::write(parent, e))?;
                if parent == existing {
                    break;
                }
            }
        }
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| LogError::write(&lock_path, e))?;
        if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            return Err(LogError::Locked {
                dir: dir.to_path_buf(),
            });
        }

        // The head record before the segments (see `verify_dir`), then the two compared.
        let head_read = head::read(dir, &key)?;
        let scan = segment::scan(
            dir,
            &key,
            Limit::None,
            ScanMode::at_rest(false, head_read.head()),
        )?;
        let has_segments = verify::has_segments(dir)?;
        if let Some(finding) = scan
            .finding
            .clone()
            .or_else(|| verify::check_head(&scan, &head_read, has_segments))
        {
            return Err(LogError::Tampered(finding));
        }
        // Written before the first segment, so that no crash leaves segments without it.
        let (head_now, generation) = match &head_read {
            HeadRead::Found { head, generation } => (*head, *generation),
            HeadRead::Missing | HeadRead::Damaged => (Head::empty(), 0),
        };
        // The switch is the log's own, in the off position ([`super::faults`]); the
        // head file syncs through it too.
        let faults = FaultSwitch::new();
        let mut head_file = HeadFile::open(dir, &key, head_now, generation, faults.clone())?;
        if let Some(torn) = &scan.torn {
            quarantine(dir, torn)?;
            tracing::warn!(
                segment = %torn.segment.display(),
                offset = torn.offset,
                bytes = torn.bytes,
                next_index = torn.next_index,
                "the decision log's last write was incomplete (a crash before its sync); moved aside"
            );
        }
        let checkpoints = scan.checkpoints.len();
        let mut files = scan.segments;
        // The segment a torn header made unusable was removed by `quarantine`.
        files.retain(|s| s.path.exists());
        if files.is_empty() {
            let path = dir.join(segment_name(0));
            create_segment(dir, &path, 0, &faults)?;
            files.push(segment::SegmentFile {
                first_index: 0,
                path,
                valid_len: HEADER_LEN as u64,
            });
        }
        let mut segments = Vec::with_capacity(files.len());
        for s in &files {
            let file = File::open(&s.path).map_err(|e| LogError::read(&s.path, e))?;
            segments.push(SegmentRead {
                path: s.path.clone(),
                file: Arc::new(file),
            });
        }
        let (last_path, last_len, last_first) = match files.last() {
            Some(s) => (s.path.clone(), s.valid_len, s.first_index),
            None => return Err(LogError::Closed),
        };
        let writer_file = OpenOptions::new()
            .write(true)
            .open(&last_path)
            .map_err(|e| LogError::write(&last_path, e))?;
        let entries = scan.tree.len();
        let report = OpenReport {
            entries,
            segments: segments.len(),
            checkpoints,
            torn_tail: scan.torn.clone(),
        };
        let mut options = options;
        options.max_batch_entries = options.max_batch_entries.max(1);
        options.segment_bytes = options
            .segment_bytes
            .clamp(HEADER_LEN as u64 + 1, MAX_SEGMENT_BYTES);
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            key,
            options,
            faults,
            state: RwLock::new(State {
                tree: scan.tree,
                locations: scan.locations,
                segments,
                last_len,
                latest: scan.latest,
                by_size: scan.by_size,
            }),
            counters: Counters::default(),
            rng: ring::rand::SystemRandom::new(),
            place: Place::Files { _lock: lock },
        });
        // Bring the head up to what the segments hold (a power loss may have left it
        // behind), durably, before anything new is appended.
        let recovered = {
            let st = read_state(&shared);
            recovered_head(head_file.head(), &st)
        };
        head_file.record(&shared.key, recovered, true)?;
        let (tx, rx) = mpsc::channel();
        let committer = Committer {
            head: head_file,
            shared: Arc::clone(&shared),
            file: writer_file,
            path: last_path,
            first_index: last_first,
            len: last_len,
            dirty: false,
        };
        let thread = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || committer.run(rx))
            .map_err(|e| LogError::write(dir, e))?;
        let log = Log {
            inner: Arc::new(Inner {
                shared,
                tx: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
            }),
        };
        Ok((log, report))
    }

    pub(super) fn send(&self, request: Request) -> Result<(), LogError> {
        self.send_all(vec![request])
    }

    /// Appends an entry; returns its leaf index once it is durable (module doc: group
    /// commit, fails closed).
    pub async fn append(&self, entry: Entry) -> Result<u64, LogError> {
        let salt = Salt::random(&self.inner.shared.rng)?;
        let bytes = entry.to_canonical(&salt)?;
        let (reply, rx) = oneshot::channel();
        self.send(Request::Append { bytes, reply })?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    /// Appends several entries, handed to the committer at once so that they are
    /// written and synced together (one `fdatasync` for a partner's whole answer
    /// instead of one per entry, waited for in turn); returns their leaf indices in
    /// order, once all are durable. If any fails the caller gets that error and must
    /// let none of them pass; those that did become durable stay in the log (it can
    /// hold more than what took effect, never less).
    pub async fn append_all(&self, entries: Vec<Entry>) -> Result<Vec<u64>, LogError> {
        let (prepared, durable) = self.prepare(entries)?;
        self.send_prepared(prepared)?;
        durable.indices().await
    }

    /// Makes `entries` ready to append ([`PreparedAppends`]) without handing them to
    /// the committer yet, so that the entries of several callers can go in one message
    /// ([`Log::send_prepared`]); their leaf indices come through the returned
    /// [`AppendsDurable`] once sent and durable.
    pub fn prepare(
        &self,
        entries: Vec<Entry>,
    ) -> Result<(PreparedAppends, AppendsDurable), LogError> {
        let mut requests = Vec::with_capacity(entries.len() + 1);
        let mut waiting = Vec::with_capacity(entries.len());
        // The salts of all the entries from one draw of the random source: one
        // `getrandom` call per batch instead of one per entry.
        let salts = Salt::random_many(&self.inner.shared.rng, entries.len())?;
        for (entry, salt) in entries.into_iter().zip(salts) {
            let bytes = entry.to_canonical(&salt)?;
            let (reply, rx) = oneshot::channel();
            requests.push(Request::Append { bytes, reply });
            waiting.push(rx);
        }
        Ok((PreparedAppends(requests), AppendsDurable(waiting)))
    }

    /// Hands prepared appends to the committer as one message: written and synced in
    /// one batch. If this fails, every caller waiting on the appends hears
    /// [`LogError::Closed`].
    pub fn send_prepared(&self, appends: PreparedAppends) -> Result<(), LogError> {
        self.send_all(appends.0)
    }

    /// Hands prepared appends to the committer as [`Log::send_prepared`] does, with a
    /// checkpoint over the log as it stands after them, signed and stored in the same
    /// batch (one `fdatasync` for all instead of one each, waited for in turn).
    pub fn send_prepared_with_checkpoint(
        &self,
        appends: PreparedAppends,
    ) -> Result<CheckpointSigned, LogError> {
        let PreparedAppends(mut requests) = appends;
        let (reply, signed) = oneshot::channel();
        requests.push(Request::Checkpoint { reply });
        self.send_all(requests)?;
        Ok(CheckpointSigned(signed))
    }

    /// Hands `requests` to the committer as one message: taken into one batch whole,
    /// in order.
    fn send_all(&self, requests: Vec<Request>) -> Result<(), LogError> {
        let tx = self.inner.tx.lock().map_err(|_| LogError::Closed)?;
        tx.as_ref()
            .ok_or(LogError::Closed)?
            .send(requests)
            .map_err(|_| LogError::Closed)
    }

    /// The leaf indices of appended entries, once all are durable; the first error if
    /// any failed.
    async fn appended(
        waiting: Vec<oneshot::Receiver<Result<u64, LogError>>>,
    ) -> Result<Vec<u64>, LogError> {
        let mut indices = Vec::with_capacity(waiting.len());
        let mut failed = None;
        for rx in waiting {
            // Every reply is awaited, so no entry is still being appended when the
            // caller hears of a failure.
            match rx.await.map_err(|_| LogError::Closed).and_then(|r| r) {
                Ok(index) => indices.push(index),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(indices),
        }
    }

    /// Signs the tree head after every append handed over before this call, stores
    /// the checkpoint durably, and returns it. If the head has not moved since the
    /// last stored checkpoint, that one is returned (with its cosignatures).
    pub async fn checkpoint(&self) -> Result<SignedCheckpoint, LogError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Checkpoint { reply })?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    /// Stores the cosignatures of a checkpoint this log signed: `note` must open with
    /// the log's key plus at least one of `witnesses`, and match the log's tree.
    /// Returns the stored note. (Which witness keys to trust is the caller's choice.)
    pub async fn add_cosignatures(
        &self,
        note: &[u8],
        witnesses: &[NoteVerifier],
    ) -> Result<SignedCheckpoint, LogError> {
        let shared = &self.inner.shared;
        let mut verifiers = vec![shared.key.verifier().clone()];
        verifiers.extend(witnesses.iter().cloned());
        let opened = open_checkpoint(shared.key.origin(), &verifiers, note)?;
        if opened.cosigned_by.is_empty() {
            return Err(LogError::NoCosignature);
        }
        let cp = opened.checkpoint();
        {
            let st = read_state(shared);
            if st.tree.root_at(cp.size).ok() != Some(cp.root) {
                return Err(LogError::NotThisLog {
                    size: cp.size,
                    log_size: st.tree.len(),
                });
            }
            // A witness cosigns the same checkpoint again on every relink (Ed25519
            // signatures are deterministic): store a note only when it adds a signature,
            // so relinks do not grow the log.
            if let Some(stored) = st.by_size.get(&cp.size)
                && stored.checkpoint() == cp
                && opened
                    .note
                    .signatures()
                    .iter()
                    .all(|s| stored.signatures().contains(s))
            {
                return Ok(stored.clone());
            }
        }
        let (reply, rx) = oneshot::channel();
        self.send(Request::StoreNote {
            note: opened.note,
            reply,
        })?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    /// The last stored checkpoint (the largest), with its cosignatures, if any.
    pub fn latest_checkpoint(&self) -> Option<SignedCheckpoint> {
        read_state(&self.inner.shared).latest.clone()
    }

    /// The stored checkpoint of `size` entries, with its cosignatures, if one was
    /// signed for that size.
    pub fn checkpoint_of_size(&self, size: u64) -> Option<SignedCheckpoint> {
        read_state(&self.inner.shared).by_size.get(&size).cloned()
    }

    /// The number of durable entries.
    pub fn tree_size(&self) -> u64 {
        read_state(&self.inner.shared).tree.len()
    }

    /// The root hash over all durable entries.
    pub fn root(&self) -> Hash {
        read_state(&self.inner.shared).tree.root()
    }

    /// The root hash at an earlier size.
    pub fn root_at(&self, tree_size: u64) -> Result<Hash, LogError> {
        let st = read_state(&self.inner.shared);
        st.tree.root_at(tree_size).map_err(|_| {
            LogError::Proof(ProofError::SizeBeyondLog {
                tree_size,
                log_size: st.tree.len(),
            })
        })
    }

    /// The switch that makes this log's writes or syncs fail, for the tests that
    /// prove the hub fails closed; only in test builds ([`super::faults`]).
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn faults(&self) -> &FaultSwitch {
        &self.inner.shared.faults
    }

    /// The log's origin (its name in checkpoints).
    pub fn origin(&self) -> &str {
        self.inner.shared.key.origin()
    }

    /// The key that verifies the log's checkpoints, for agents and auditors.
    pub fn verifier(&self) -> NoteVerifier {
        self.inner.shared.key.verifier().clone()
    }

    /// The inclusion proof of entry `index` in the tree of `tree_size` entries.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, LogError> {
        let st = read_state(&self.inner.shared);
        Ok(proof::inclusion_proof(&st.tree, index, tree_size)?)
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to`.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, LogError> {
        let st = read_state(&self.inner.shared);
        Ok(proof::consistency_proof(&st.tree, from, to)?)
    }

    /// Reads entry `index` (a small blocking read, usually from the page cache),
    /// checking its record tag.
    pub fn entry(&self, index: u64) -> Result<StoredEntry, LogError> {
        if let Place::Postgres(database) = &self.inner.shared.place {
            let size = self.tree_size();
            return super::postgres::read_entries(self, database, index, index.saturating_add(1))?
                .pop()
                .ok_or(LogError::NoSuchEntry { index, size });
        }
        let (file, path, offset) = {
            let st = read_state(&self.inner.shared);
            let size = st.tree.len();
            let loc = usize::try_from(index)
                .ok()
                .and_then(|i| st.locations.get(i))
                .copied()
                .ok_or(LogError::NoSuchEntry { index, size })?;
            let seg = usize::try_from(loc.segment)
                .ok()
                .and_then(|s| st.segments.get(s))
                .ok_or(LogError::NoSuchEntry { index, size })?;
            (
                Arc::clone(&seg.file),
                seg.path.clone(),
                u64::from(loc.offset),
            )
        };
        let corrupt = || LogError::Corrupt {
            index,
            path: path.clone(),
            offset,
        };
        let mut header = [0u8; RECORD_HEADER_LEN];
        file.read_exact_at(&mut header, offset)
            .map_err(|e| LogError::read(&path, e))?;
        let len = header
            .get(1..5)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(corrupt)?;
        let len = usize::try_from(len).map_err(|_| corrupt())?;
        if len > segment::MAX_BODY {
            return Err(corrupt());
        }
        let mut record = vec![0u8; RECORD_HEADER_LEN + len];
        file.read_exact_at(&mut record, offset)
            .map_err(|e| LogError::read(&path, e))?;
        let rec = read_record(&record, 0, &self.inner.shared.key).map_err(|_| corrupt())?;
        if rec.kind != KIND_ENTRY || rec.seq != index {
            return Err(corrupt());
        }
        let (entry, salt) = Entry::from_canonical(rec.body)?;
        Ok(StoredEntry {
            index,
            bytes: rec.body.to_vec(),
            entry,
            salt,
        })
    }

    /// Reads entries `from..to` (clamped to the log), in order.
    pub fn entries(&self, from: u64, to: u64) -> Result<Vec<StoredEntry>, LogError> {
        if let Place::Postgres(database) = &self.inner.shared.place {
            return super::postgres::read_entries(self, database, from, to);
        }
        let to = to.min(self.tree_size());
        (from..to).map(|i| self.entry(i)).collect()
    }

    /// Verifies the stored log as [`super::verify_dir`] does, up to what this log has
    /// committed, and also that every stored entry is the one this log appended.
    /// Blocking: reads every segment.
    pub fn verify(&self) -> Result<VerifyReport, VerifyError> {
        let shared = &self.inner.shared;
        if let Place::Postgres(database) = &shared.place {
            return super::postgres::verify_running(self, database);
        }
        let (limit, size) = {
            let st = read_state(shared);
            (
                Limit::Committed {
                    segments: st.segments.len(),
                    last_len: st.last_len,
                },
                st.tree.len(),
            )
        };
        // A running log has no torn tail: everything up to `last_len` was synced.
        let (report, stored) = verify_with(&shared.dir, &shared.key, limit)?;
        let st = read_state(shared);
        let differs = (0..size.min(stored.len())).find(|&i| stored.leaf(i) != st.tree.leaf(i));
        let problem = match differs {
            Some(i) => Some((i, Problem::DiffersFromAppended)),
            None if stored.len() < size => Some((
                stored.len(),
                Problem::MissingSinceAppended { appended: size },
            )),
            None => None,
        };
        if let Some((index, problem)) = problem {
            return Err(VerifyError::Tampered(Finding {
                index,
                problem,
                segment: None,
                offset: None,
            }));
        }
        Ok(report)
    }

    /// Why the log cannot write, while its last batch failed and none was written
    /// since (`None` once a batch is written again). Meanwhile every append fails, so
    /// nothing that needs a log entry passes (article 10). A head record that could
    /// not be written shows here too: then every checkpoint fails.
    pub fn write_failure(&self) -> Option<String> {
        self.inner
            .shared
            .counters
            .failing
            .lock()
            .ok()
            .and_then(|failing| failing.clone())
    }

    /// Counters since open.
    pub fn stats(&self) -> LogStats {
        let c = &self.inner.shared.counters;
        LogStats {
            appended: c.appended.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            failed_batches: c.failed_batches.load(Ordering::Relaxed),
            max_batch: c.max_batch.load(Ordering::Relaxed),
        }
    }
}

/// The head record for a freshly opened log: what its segments hold, the largest
/// signed and cosigned checkpoints stored in them, and never less than `old` said.
fn recovered_head(old: Head, st: &State) -> Head {
    let reach_of = |cp: &SignedCheckpoint| Reach {
        size: cp.checkpoint().size,
        root: cp.checkpoint().root,
    };
    let larger = |a: Reach, b: Option<Reach>| match b {
        Some(b) if b.size > a.size => b,
        _ => a,
    };
    // A stored note with more than the log's own signature came back from a witness.
    let cosigned = st
        .by_size
        .values()
        .rev()
        .find(|cp| cp.signatures().len() > 1)
        .map(reach_of);
    Head {
        appended: Reach {
            size: st.tree.len(),
            root: st.tree.root(),
        },
        signed: larger(old.signed, st.latest.as_ref().map(reach_of)),
        cosigned: larger(old.cosigned, cosigned),
    }
}

/// Moves a torn tail aside to `<segment>.torn-<offset>` (synced), then cuts the segment
/// (or removes it, if even its header was torn).
fn quarantine(dir: &Path, torn: &TornTail) -> Result<(), LogError> {
    let data = std::fs::read(&torn.segment).map_err(|e| LogError::read(&torn.segment, e))?;
    let start = usize::try_from(torn.offset).unwrap_or(usize::MAX);
    let tail = data.get(start..).unwrap_or_default();
    let mut name = torn.segment.as_os_str().to_owned();
    name.push(format!(".torn-{}", torn.offset));
    let aside = PathBuf::from(name);
    std::fs::write(&aside, tail).map_err(|e| LogError::write(&aside, e))?;
    File::open(&aside)
        .and_then(|f| f.sync_all())
        .map_err(|e| LogError::sync(&aside, e))?;
    if torn.offset == 0 {
        std::fs::remove_file(&torn.segment).map_err(|e| LogError::write(&torn.segment, e))?;
    } else {
        let f = OpenOptions::new()
            .write(true)
            .open(&torn.segment)
            .map_err(|e| LogError::write(&torn.segment, e))?;
        f.set_len(torn.offset)
            .map_err(|e| LogError::write(&torn.segment, e))?;
        f.sync_all().map_err(|e| LogError::sync(&torn.segment, e))?;
    }
    sync_dir(dir).map_err(|e| LogError::sync(dir, e))
}

/// Creates a segment file with its header, synced with its directory.
fn create_segment(
    dir: &Path,
    path: &Path,
    first_index: u64,
    faults: &FaultSwitch,
) -> Result<File, LogError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| LogError::write(path, e))?;
    let written = faults
        .check_write()
        .and_then(|()| file.write_all_at(&segment_header(first_index), 0));
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(LogError::write(path, e));
    }
    let synced = faults
        .check_sync()
        .and_then(|()| faults.sync_all(&file))
        .and_then(|()| faults.sync_dir(dir));
    if let Err(e) = synced {
        let _ = std::fs::remove_file(path);
        return Err(LogError::sync(path, e));
    }
    Ok(file)
}

/// The committer thread's own state: the writable last segment and the head record.
struct Committer {
    shared: Arc<Shared>,
    head: HeadFile,
    file: File,
    path: PathBuf,
    first_index: u64,
    /// Durable length of `file`.
    len: u64,
    /// A failed batch may have left bytes past `len`.
    dirty: bool,
}

/// One answer to send once the batch is settled.
enum Reply {
    Append(oneshot::Sender<Result<u64, LogError>>, u64),
    Checkpoint(oneshot::Sender<Result<SignedCheckpoint, LogError>>),
    StoreNote(
        oneshot::Sender<Result<SignedCheckpoint, LogError>>,
        SignedCheckpoint,
    ),
}

impl Reply {
    fn fail(self, e: &LogError) {
        match self {
            Reply::Append(tx, _) => {
                let _ = tx.send(Err(e.clone()));
            }
            Reply::Checkpoint(tx) | Reply::StoreNote(tx, _) => {
                let _ = tx.send(Err(e.clone()));
            }
        }
    }
}

impl Committer {
    fn run(mut self, rx: mpsc::Receiver<Vec<Request>>) {
        let max = self.shared.options.max_batch_entries;
        while let Ok(first) = rx.recv() {
            let batch = gather(&rx, first, max);
            self.commit(batch);
        }
        // A clean stop leaves an exact head record behind (written again if its last
        // write failed).
        let closed = if self.head.is_stale() {
            let head = self.head.head();
            self.head.record(&self.shared.key, head, true)
        } else {
            self.head.flush()
        };
        if let Err(error) = closed {
            tracing::error!(%error, "cannot sync the decision log's head record at close");
        }
    }

    fn faults(&self) -> &FaultSwitch {
        &self.shared.faults
    }

    fn sync(&self) -> std::io::Result<()> {
        self.faults().check_sync()?;
        match self.shared.options.sync {
            SyncMode::Fdatasync => self.faults().sync_data(&self.file),
            SyncMode::NoSyncBenchmarkOnly => Ok(()),
        }
    }

    /// Cuts the segment back to its durable length after a failed batch.
    fn repair(&mut self) -> Result<(), LogError> {
        self.file
            .set_len(self.len)
            .map_err(|e| LogError::write(&self.path, e))?;
        self.sync().map_err(|e| LogError::sync(&self.path, e))?;
        self.dirty = false;
        Ok(())
    }

    /// Starts a new segment when the current one is full.
    fn maybe_roll(&mut self, next_index: u64) -> Result<(), LogError> {
        if self.len < self.shared.options.segment_bytes || next_index == self.first_index {
            return Ok(());
        }
        let dir = self.shared.dir.clone();
        let path = dir.join(segment_name(next_index));
        let file = create_segment(&dir, &path, next_index, self.faults())?;
        let reader = File::open(&path).map_err(|e| LogError::read(&path, e))?;
        {
            let mut st = write_state(&self.shared);
            st.segments.push(SegmentRead {
                path: path.clone(),
                file: Arc::new(reader),
            });
            st.last_len = HEADER_LEN as u64;
        }
        self.file = file;
        self.path = path;
        self.first_index = next_index;
        self.len = HEADER_LEN as u64;
        Ok(())
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let shared = Arc::clone(&self.shared);
        let key = &shared.key;
        let (start, mut frontier, latest) = {
            let st = read_state(&shared);
            (st.tree.len(), st.tree.compact_range(), st.latest.clone())
        };

        let mut replies = Vec::with_capacity(batch.len());
        let mut buf = Vec::new();
        let mut leaves = Vec::new();
        let mut locations = Vec::new();
        let mut wants_checkpoint = Vec::new();
        let mut notes = Vec::new();

        let prepared = (|| -> Result<(), LogError> {
            if self.dirty {
                self.repair()?;
            }
            self.maybe_roll(start)?;
            Ok(())
        })();
        if let Err(e) = prepared {
            self.fail_all(batch, &e);
            return;
        }
        let seg_no =
            u32::try_from(read_state(&shared).segments.len().saturating_sub(1)).unwrap_or(u32::MAX);

        for request in batch {
            match request {
                Request::Append { bytes, reply } => {
                    let index = start + leaves.len() as u64;
                    let offset = self.len + buf.len() as u64;
                    let Ok(offset) = u32::try_from(offset) else {
                        reply
                            .send(Err(LogError::write(
                                &self.path,
                                std::io::Error::other("segment offset beyond 4 GiB"),
                            )))
                            .ok();
                        continue;
                    };
                    segment::encode_record(&mut buf, key, KIND_ENTRY, index, &bytes);
                    let leaf = leaf_hash(&bytes);
                    frontier.push(leaf);
                    leaves.push(leaf);
                    locations.push(Location {
                        segment: seg_no,
                        offset,
                    });
                    replies.push(Reply::Append(reply, index));
                }
                Request::Checkpoint { reply } => wants_checkpoint.push(reply),
                Request::StoreNote { note, reply } => notes.push((note, reply)),
                // The files cannot hold a store's rows: `Log::append_recording` appends
                // and then applies for a log in files, and never sends this here.
                Request::AppendRecording { reply, .. } => {
                    let _ = reply.send(Err(LogError::Recording(
                        "a decision log in files cannot write a store's change in its own \
                         transaction"
                            .into(),
                    )));
                }
            }
        }

        // The checkpoint after this batch's entries, signed and stored with them.
        let new_size = start + leaves.len() as u64;
        let mut new_latest = latest.clone();
        // What the head record gains from this batch's checkpoint records.
        let mut head = self.head.head();
        head.appended = Reach {
            size: new_size,
            root: frontier.root(),
        };
        let mut stores_checkpoint = false;
        if !wants_checkpoint.is_empty() {
            let reuse = latest
                .as_ref()
                .filter(|l| l.checkpoint().size == new_size && leaves.is_empty())
                .cloned();
            let signed = match reuse {
                Some(l) => Ok(l),
                None => key
                    .sign_checkpoint(Checkpoint {
                        origin: key.origin().to_owned(),
                        size: new_size,
                        root: frontier.root(),
                    })
                    .inspect(|cp| {
                        segment::encode_record(
                            &mut buf,
                            key,
                            KIND_CHECKPOINT,
                            new_size,
                            &cp.to_bytes(),
                        );
                        head.signed = head.appended;
                        stores_checkpoint = true;
                    }),
            };
            match signed {
                Ok(cp) => {
                    new_latest = Some(cp);
                    for reply in wants_checkpoint {
                        replies.push(Reply::Checkpoint(reply));
                    }
                }
                Err(e) => {
                    let e = LogError::Checkpoint(e);
                    for reply in wants_checkpoint {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
        }
        for (note, reply) in notes {
            let size = note.checkpoint().size;
            segment::encode_record(&mut buf, key, KIND_CHECKPOINT, size, &note.to_bytes());
            stores_checkpoint = true;
            if size >= head.cosigned.size {
                head.cosigned = Reach {
                    size,
                    root: note.checkpoint().root,
                };
            }
            let stored = match &mut new_latest {
                Some(l) if l.checkpoint().size == size => {
                    let _ = l.merge(&note);
                    l.clone()
                }
                Some(l) if l.checkpoint().size > size => note,
                _ => {
                    new_latest = Some(note.clone());
                    note
                }
            };
            replies.push(Reply::StoreNote(reply, stored));
        }
        if buf.is_empty() {
            // Only reused checkpoints: nothing to write, unless the head record still
            // lacks them (its last write failed).
            let (replies, recorded) = self.record_head(head, self.head.is_stale(), replies);
            let latest = if recorded { new_latest } else { latest };
            self.settle(replies, latest, leaves, locations);
            return;
        }

        // Write and sync; on failure nothing of the batch counts.
        let written = self
            .faults()
            .check_write()
            .and_then(|()| self.file.write_all_at(&buf, self.len))
            .map_err(|e| LogError::write(&self.path, e))
            .and_then(|()| self.sync().map_err(|e| LogError::sync(&self.path, e)));
        if let Err(e) = written {
            self.dirty = true;
            // Try to cut the failed bytes off at once; if that fails too, the next
            // batch tries again before writing.
            let _ = self.repair();
            shared.counters.batch_failed(&e);
            tracing::error!(error = %e, "decision log append failed; the batch was not appended");
            for r in replies {
                r.fail(&e);
            }
            return;
        }
        self.len += buf.len() as u64;
        let n = leaves.len() as u64;
        shared.counters.batch_written();
        shared.counters.appended.fetch_add(n, Ordering::Relaxed);
        shared.counters.max_batch.fetch_max(n, Ordering::Relaxed);
        // The batch is durable; now the head record says so. A checkpoint is handed out
        // only once the head record covering it is durable too.
        let (replies, recorded) =
            self.record_head(head, stores_checkpoint || self.head.is_stale(), replies);
        // A checkpoint whose head record failed is not handed out (its callers got the
        // error): the latest stays the one before it, which a durable head covers.
        let latest = if recorded { new_latest } else { latest };
        self.settle(replies, latest, leaves, locations);
    }

    /// Writes `head` to the head record (synced when `durable`). If that fails, the
    /// batch's entries stay appended (they are durable in the segment, and the head
    /// record claiming less is safe), but its checkpoints are not handed out: their
    /// callers get the error, and the next batch writes the head record again (a
    /// checkpoint asked for again signs the same size anew and stores a second record
    /// of it, which opening merges with the first). Returns the replies still to
    /// settle, and whether the head record was written.
    fn record_head(
        &mut self,
        head: Head,
        durable: bool,
        replies: Vec<Reply>,
    ) -> (Vec<Reply>, bool) {
        let Err(e) = self.head.record(&self.shared.key, head, durable) else {
            return (replies, true);
        };
        tracing::error!(error = %e, "cannot write the decision log's head record; checkpoints wait until it is written");
        self.shared.counters.head_failed(&e);
        let mut kept = Vec::with_capacity(replies.len());
        for r in replies {
            match r {
                Reply::Append(..) => kept.push(r),
                Reply::Checkpoint(_) | Reply::StoreNote(..) => r.fail(&e),
            }
        }
        (kept, false)
    }

    /// Publishes a durable batch and answers its callers.
    fn settle(
        &self,
        replies: Vec<Reply>,
        latest: Option<SignedCheckpoint>,
        leaves: Vec<Hash>,
        locations: Vec<Location>,
    ) {
        {
            let mut st = write_state(&self.shared);
            for leaf in leaves {
                st.tree.push(leaf);
            }
            st.locations.extend(locations);
            st.last_len = self.len;
            st.latest = latest.clone();
            let stored = replies.iter().filter_map(|r| match r {
                Reply::StoreNote(_, note) => Some(note),
                _ => None,
            });
            for note in latest.iter().chain(stored) {
                match st.by_size.get_mut(&note.checkpoint().size) {
                    Some(known) => {
                        let _ = known.merge(note);
                    }
                    None => {
                        st.by_size.insert(note.checkpoint().size, note.clone());
                    }
                }
            }
        }
        for r in replies {
            match r {
                Reply::Append(tx, index) => {
                    let _ = tx.send(Ok(index));
                }
                Reply::Checkpoint(tx) => {
                    let _ = tx.send(latest.clone().ok_or(LogError::Closed));
                }
                Reply::StoreNote(tx, note) => {
                    let _ = tx.send(Ok(note));
                }
            }
        }
    }

    fn fail_all(&self, batch: Vec<Request>, e: &LogError) {
        fail_requests(&self.shared.counters, batch, e);
    }
}

/// The batch that starts with `first`: every request waiting now, up to `max` entries
/// and [`MAX_BATCH_BYTES`] (group commit; both committers).
pub(super) fn gather(
    rx: &mpsc::Receiver<Vec<Request>>,
    first: Vec<Request>,
    max: usize,
) -> Vec<Request> {
    // A message's requests stay together (a partner's decisions and the checkpoint
    // over them, `Log::send_prepared_with_checkpoint`), even beyond `max`.
    let mut bytes: usize = first.iter().map(Request::bytes).sum();
    let mut batch = first;
    while batch.len() < max && bytes < MAX_BATCH_BYTES {
        match rx.try_recv() {
            Ok(requests) => {
                bytes += requests.iter().map(Request::bytes).sum::<usize>();
                batch.extend(requests);
            }
            Err(_) => break,
        }
    }
    batch
}

/// Answers every request of a batch that was not appended with `e`, and counts it.
pub(super) fn fail_requests(counters: &Counters, batch: Vec<Request>, e: &LogError) {
    counters.batch_failed(e);
    tracing::error!(error = %e, "decision log append failed; the batch was not appended");
    for request in batch {
        match request {
            Request::Append { reply, .. } => {
                let _ = reply.send(Err(e.clone()));
            }
            Request::Checkpoint { reply } | Request::StoreNote { reply, .. } => {
                let _ = reply.send(Err(e.clone()));
            }
            Request::AppendRecording { reply, .. } => {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
