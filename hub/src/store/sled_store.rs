//! [`Store`] on sled 0.34.
//!
//! sled 0.34 makes writes durable only on an explicit `flush()` (its background flush,
//! every 500 ms by default, is turned off here), so [`SledStore::apply`] applies the
//! batch atomically with `apply_batch` (a single key's insert or removal for a batch of
//! one) and then flushes before it returns. `store/durability.rs` proves the claim with
//! `kill -9`.
//!
//! sled's flush is not enough at a power cut, though: on Linux it ends with
//! `sync_file_range`, which writes the pages but neither the file's size nor through
//! the disk's cache ("there are no guarantees that the data will be available after a
//! crash", its man page), and sled never syncs the directory holding its files, nor its
//! `conf` file or its blob files. So after each flush the store `fdatasync`s any new
//! blob file (sled hands them over, `sled::take_written_blobs`) and the `blobs`
//! directory, and then sled's `db` file; at open it syncs every file and directory of
//! the store and the directory holding it. A power
//! cut simulated at the file layer (`tests/tests/reliability/power_cuts_store.rs`,
//! issue 22) loses acknowledged changes without these syncs, and none with them.
//!
//! A failed write (a full or read-only disk) leaves sled refusing every later
//! operation with that same error, even once the disk works again: it keeps the first
//! I/O error of its flusher for good. So after a failed write the store closes its
//! sled handles and opens the directory again before the next operation (sled
//! recovers its own log up to the last durable flush): the hub takes writes again by
//! itself once space returns, without a restart, and what was flushed before is
//! there (issue 22, `tests/tests/reliability/disk_faults.rs`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{Batch, Entry, Space, Store, StoreError};

/// The sled-backed store: one sled tree, keyspaces as one-byte key prefixes, so that a
/// batch spanning keyspaces is still one atomic `apply_batch`. Clones share the same
/// handles.
#[derive(Clone, Debug)]
pub struct SledStore {
    dir: PathBuf,
    cache_bytes: u64,
    /// The open handles; `None` while a reopen after a failed write did not succeed.
    handles: Arc<RwLock<Option<Handles>>>,
    /// A write failed since the handles were opened: reopen before the next operation.
    broken: Arc<AtomicBool>,
    /// When a reopen last failed.
    last_reopen: Arc<Mutex<Option<Instant>>>,
    /// Test builds: durability barriers left out, for the power-cut controls.
    faults: StoreFaults,
    /// Makes the changes of [`Store::apply_soon`] durable in the background.
    soon: Arc<SoonFlusher>,
}

/// How long a change applied with [`Store::apply_soon`] waits at most for its barrier
/// (sooner when another write's barrier comes first).
pub const SOON: Duration = Duration::from_millis(100);

/// The background barrier for [`Store::apply_soon`]: a thread of its own, started at
/// the first such change, that runs one barrier [`SOON`] after it is asked for (one
/// for all the changes asked meanwhile), and ends once the store is dropped.
#[derive(Debug, Default)]
struct SoonFlusher {
    /// A barrier is asked for.
    due: Mutex<bool>,
    wake: std::sync::Condvar,
    started: std::sync::OnceLock<()>,
}

/// The sled store's fault switch (issue 22): the power-cut control tests leave out the
/// durability barrier of [`SledStore::apply`] and must see acknowledged changes lost.
/// It exists only in test builds (`cfg(test)`, the `fault-injection` feature); the hub
/// built for use gets the inert stand-in, whose checks compile away.
#[cfg(any(test, feature = "fault-injection"))]
#[derive(Clone, Debug, Default)]
pub struct StoreFaults(Arc<std::sync::atomic::AtomicU8>);

#[cfg(any(test, feature = "fault-injection"))]
impl StoreFaults {
    const SKIP_SYNC: u8 = 1;
    const SKIP_FLUSH: u8 = 2;

    /// `apply` flushes sled but does not sync its files after (sled's flush alone, as
    /// before the syncs were added).
    pub fn skip_sync_after_flush(&self) {
        self.0.store(Self::SKIP_SYNC, Ordering::SeqCst);
    }

    /// `apply` neither flushes sled nor syncs (no durability barrier at all).
    pub fn skip_flush(&self) {
        self.0.store(Self::SKIP_FLUSH, Ordering::SeqCst);
    }

    fn skip_sync(&self) -> bool {
        self.0.load(Ordering::SeqCst) != 0
    }

    fn skip_flush_now(&self) -> bool {
        self.0.load(Ordering::SeqCst) == Self::SKIP_FLUSH
    }
}

#[cfg(not(any(test, feature = "fault-injection")))]
#[derive(Clone, Debug, Default)]
struct StoreFaults;

#[cfg(not(any(test, feature = "fault-injection")))]
impl StoreFaults {
    #[inline(always)]
    fn skip_sync(&self) -> bool {
        false
    }

    #[inline(always)]
    fn skip_flush_now(&self) -> bool {
        false
    }
}

#[derive(Debug)]
struct Handles {
    db: sled::Db,
    tree: sled::Tree,
    /// sled's log file (`<dir>/db`), synced after each flush.
    file: std::fs::File,
    /// The blob files sled wrote that are not synced yet (sled writes a value over
    /// ~128 KiB to a file of its own in `<dir>/blobs`, and never syncs it).
    blobs: Mutex<UnsyncedBlobs>,
    /// Batches applied to `tree` since the handles were opened; each takes the next
    /// number once sled has it.
    applied: std::sync::atomic::AtomicU64,
    /// The number of the last batch a finished durability barrier (sled's flush and
    /// the syncs after it) covered; held while a barrier runs, so that writers who
    /// come meanwhile share the next one instead of each syncing on its own.
    durable: Mutex<u64>,
    /// Barriers run since the handles were opened.
    barriers: std::sync::atomic::AtomicU64,
}

/// The blob files sled wrote completely (vendored sled's patch 4,
/// `sled::take_written_blobs`, see `vendor/sled/PATCHED.md`) and a barrier has not
/// synced yet: kept here until one succeeds, so a failed sync leaves none behind.
#[derive(Debug, Default)]
struct UnsyncedBlobs {
    paths: std::collections::BTreeSet<PathBuf>,
    /// Blob files synced since the handles were opened (not those gone by then).
    synced: u64,
}

fn open_handles(dir: &Path, cache_bytes: u64) -> Result<Handles, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let db = sled::Config::new()
        .path(dir)
        // Our own flushes are the durability barrier; the periodic one only adds
        // background I/O.
        .flush_every_ms(None)
        .cache_capacity(cache_bytes)
        .open()
        .map_err(|e| e.to_string())?;
    let tree = db.open_tree("hub").map_err(|e| e.to_string())?;
    // What sled created or recovered at open (its files, `conf` unsynced by sled, and
    // their directory entries) made durable before the first change is acknowledged.
    sync_tree(dir).map_err(|e| format!("syncing the store's files: {e}"))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent).map_err(|e| format!("syncing {}: {e}", parent.display()))?;
    }
    let file = std::fs::File::open(dir.join("db")).map_err(|e| format!("sled's db file: {e}"))?;
    Ok(Handles {
        db,
        tree,
        file,
        blobs: Mutex::default(),
        applied: std::sync::atomic::AtomicU64::new(0),
        durable: Mutex::new(0),
        barriers: std::sync::atomic::AtomicU64::new(0),
    })
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Syncs every file under `dir`, then each directory (after its contents).
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            std::fs::File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

impl Handles {
    /// Applies `write` atomically (in sled's memory until a barrier); its number.
    fn apply_write(&self, write: SledWrite, space: Space) -> Result<u64, StoreError> {
        let written = match write {
            SledWrite::Batch(batch) => self.tree.apply_batch(batch),
            SledWrite::Put(key, value) => self.tree.insert(key, value).map(drop),
            SledWrite::Remove(key) => self.tree.remove(key).map(drop),
        };
        written.map_err(|e| StoreError::Io {
            operation: "write",
            space,
            detail: e.to_string(),
        })?;
        Ok(self.applied.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Returns once batch `mine` is durable: covered by a barrier that began after it
    /// was applied, this caller's own or one that another caller ran meanwhile (group
    /// commit: with several writers at once, one flush and one `fdatasync` serve all
    /// the batches applied before it began).
    fn make_durable(&self, mine: u64, dir: &Path, faults: &StoreFaults) -> Result<(), StoreError> {
        let mut durable = self.durable.lock().unwrap_or_else(|e| e.into_inner());
        if *durable >= mine {
            return Ok(());
        }
        // Every batch numbered up to here is in sled's memory, so this flush takes it.
        let through = self.applied.load(Ordering::SeqCst);
        self.barriers.fetch_add(1, Ordering::Relaxed);
        self.db
            .flush()
            .map_err(|e| StoreError::Flush(e.to_string()))?;
        if !faults.skip_sync() {
            self.sync_after_flush(dir)
                .map_err(|e| StoreError::Flush(format!("syncing sled's files: {e}")))?;
        }
        *durable = through;
        Ok(())
    }

    /// Makes what sled's flush wrote durable: its log file's data and size, and blob
    /// files written since the last time with their directory entries.
    fn sync_after_flush(&self, dir: &Path) -> std::io::Result<()> {
        // The blob files first, so that the log entries pointing at them are durable
        // no sooner than they are. Every blob file this barrier covers was written
        // completely before sled's flush returned, so it is taken here; one still being
        // written for a later batch is taken by a later barrier.
        self.sync_new_blobs(dir)?;
        self.file.sync_data()
    }

    /// Syncs the blob files sled wrote since the last time, and then their directory;
    /// none new (the usual case): no I/O.
    fn sync_new_blobs(&self, dir: &Path) -> std::io::Result<()> {
        let mut blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        blobs.paths.extend(sled::take_written_blobs(dir));
        if blobs.paths.is_empty() {
            return Ok(());
        }
        let mut synced = 0;
        for path in &blobs.paths {
            match std::fs::File::open(path) {
                Ok(file) => {
                    file.sync_data()?;
                    synced += 1;
                }
                // Removed by sled meanwhile (its value replaced, or its write
                // abandoned): nothing to keep.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        sync_dir(&dir.join("blobs"))?;
        // Only once all are synced: after a failure the next barrier tries them again.
        blobs.synced += synced;
        blobs.paths.clear();
        Ok(())
    }
}

impl SledStore {
    /// Opens (or creates) the store in `dir` with the default page cache.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_with_cache(dir, crate::config::DEFAULT_STORE_CACHE_BYTES)
    }

    /// Opens (or creates) the store in `dir`, its page cache bounded to `cache_bytes`
    /// (`[store] cache_bytes`).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<SledStore, StoreError> {
        let handles = open_handles(dir, cache_bytes).map_err(|detail| StoreError::Open {
            path: dir.to_path_buf(),
            detail,
        })?;
        Ok(SledStore {
            dir: dir.to_path_buf(),
            cache_bytes,
            handles: Arc::new(RwLock::new(Some(handles))),
            broken: Arc::new(AtomicBool::new(false)),
            last_reopen: Arc::new(Mutex::new(None)),
            faults: Default::default(),
            soon: Arc::default(),
        })
    }

    /// Asks the background barrier for the changes applied so far ([`SOON`]).
    fn barrier_soon(&self) {
        self.soon.started.get_or_init(|| {
            let handles = Arc::downgrade(&self.handles);
            let (soon, dir, faults, broken) = (
                self.soon.clone(),
                self.dir.clone(),
                self.faults.clone(),
                self.broken.clone(),
            );
            let spawned = std::thread::Builder::new()
                .name("store-soon".into())
                .spawn(move || run_soon_barriers(&handles, &soon, &dir, &faults, &broken));
            if let Err(error) = spawned {
                // Then such changes are durable with the next write's barrier only.
                tracing::error!(%error, "cannot start the store's background barrier");
            }
        });
        *self.soon.due.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.soon.wake.notify_one();
    }

    /// The store's fault switch (test builds only).
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn faults(&self) -> &StoreFaults {
        &self.faults
    }

    /// Runs `op` on the open handles, reopening them first after a failed write.
    fn with<T>(
        &self,
        operation: &'static str,
        space: Space,
        op: impl FnOnce(&Handles) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            self.reopen();
        }
        let guard = self.handles.read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(handles) => op(handles),
            None => Err(StoreError::Io {
                operation,
                space,
                detail: format!(
                    "the state store {} could not be opened again after a failed write \
                     (tried again at the next operation)",
                    self.dir.display()
                ),
            }),
        }
    }

    /// Closes the handles and opens the directory again. sled releases its file lock
    /// a moment after its last handle is dropped, so the open is retried briefly; a
    /// disk still full fails it, and it is tried again at most every [`REOPEN_EVERY`]
    /// so that operations meanwhile fail at once instead of waiting.
    fn reopen(&self) {
        let mut guard = self.handles.write().unwrap_or_else(|e| e.into_inner());
        if !self.broken.load(Ordering::SeqCst) {
            // Another caller reopened while this one waited for the lock.
            return;
        }
        let mut last = self.last_reopen.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < REOPEN_EVERY) {
            return;
        }
        drop(guard.take());
        let start = Instant::now();
        loop {
            match open_handles(&self.dir, self.cache_bytes) {
                Ok(handles) => {
                    *guard = Some(handles);
                    *last = None;
                    self.broken.store(false, Ordering::SeqCst);
                    tracing::info!(dir = %self.dir.display(), "the state store was opened again after a failed write");
                    return;
                }
                Err(detail) if start.elapsed() > Duration::from_millis(300) => {
                    *last = Some(Instant::now());
                    tracing::warn!(dir = %self.dir.display(), %detail, "the state store cannot be opened again yet");
                    return;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

/// How often a store whose reopen failed tries again (on the next operation after it).
const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// The background barrier's thread ([`SoonFlusher`]): waits until one is asked for,
/// lets [`SOON`] pass so that the changes of that moment share it, and runs it over
/// every batch applied by then. Ends once the store's handles are dropped.
fn run_soon_barriers(
    handles: &std::sync::Weak<RwLock<Option<Handles>>>,
    soon: &SoonFlusher,
    dir: &Path,
    faults: &StoreFaults,
    broken: &AtomicBool,
) {
    loop {
        {
            let mut due = soon.due.lock().unwrap_or_else(|e| e.into_inner());
            while !*due {
                if handles.strong_count() == 0 {
                    return;
                }
                due = soon
                    .wake
                    .wait_timeout(due, Duration::from_secs(1))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            *due = false;
        }
        std::thread::sleep(SOON);
        let Some(handles) = handles.upgrade() else {
            return;
        };
        let guard = handles.read().unwrap_or_else(|e| e.into_inner());
        let Some(h) = guard.as_ref() else {
            // Closed after a failed write: what was not durable is gone with it.
            continue;
        };
        if faults.skip_flush_now() {
            continue;
        }
        let through = h.applied.load(Ordering::SeqCst);
        if let Err(error) = h.make_durable(through, dir, faults) {
            tracing::error!(%error, "the state store's background barrier failed");
            broken.store(true, Ordering::SeqCst);
        }
    }
}

impl Store for SledStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.with("read", space, |h| {
            h.tree
                .get(space.key(key))
                .map(|v| v.map(|v| v.to_vec()))
                .map_err(|e| StoreError::Io {
                    operation: "read",
                    space,
                    detail: e.to_string(),
                })
        })
    }

    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        self.with("read", space, |h| {
            h.tree
                .contains_key(space.key(key))
                .map_err(|e| StoreError::Io {
                    operation: "read",
                    space,
                    detail: e.to_string(),
                })
        })
    }

    /// Only the keys are copied out, not the values beside them.
    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.with("scan", space, |h| {
            h.tree
                .scan_prefix(space.key(prefix))
                .keys()
                .map(|key| {
                    key.map(|k| k.get(1..).unwrap_or_default().to_vec())
                        .map_err(|e| StoreError::Io {
                            operation: "scan",
                            space,
                            detail: e.to_string(),
                        })
                })
                .collect()
        })
    }

    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.with("scan", space, |h| {
            h.tree
                .scan_prefix(space.key(prefix))
                .map(|entry| {
                    entry
                        .map(|(k, v)| (k.get(1..).unwrap_or_default().to_vec(), v.to_vec()))
                        .map_err(|e| StoreError::Io {
                            operation: "scan",
                            space,
                            detail: e.to_string(),
                        })
                })
                .collect()
        })
    }

    fn apply_soon(&self, batch: Batch) -> Result<(), StoreError> {
        let Some((first_space, write)) = sled_write(batch) else {
            return Ok(());
        };
        let result = self.with("write", first_space, |h| {
            h.apply_write(write, first_space).map(|_| ())
        });
        if result.is_err() {
            self.broken.store(true, Ordering::SeqCst);
        } else {
            self.barrier_soon();
        }
        result
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let Some((first_space, write)) = sled_write(batch) else {
            return Ok(());
        };
        let result = self.with("write", first_space, |h| {
            let mine = h.apply_write(write, first_space)?;
            if self.faults.skip_flush_now() {
                return Ok(());
            }
            h.make_durable(mine, &self.dir, &self.faults)
        });
        if result.is_err() {
            // The batch may sit in sled's memory unflushed, and sled now refuses
            // everything: the next operation reopens from what is on disk.
            self.broken.store(true, Ordering::SeqCst);
        }
        result
    }
}

/// One atomic write to sled's tree.
enum SledWrite {
    /// Several keys: sled's batch.
    Batch(sled::Batch),
    /// One key set. Why not a batch of one: sled writes every batch's start marker to
    /// disk in an I/O buffer of its own (and first writes out whatever its current
    /// buffer holds), two synchronous writes on its I/O threads for each batch. A
    /// single key's write is atomic by itself and waits in the buffer for the next
    /// barrier. The delivery acknowledgements, one per case file, are all single-key.
    Put(Vec<u8>, Vec<u8>),
    /// One key removed (as [`SledWrite::Put`]).
    Remove(Vec<u8>),
}

/// `batch` as one sled write (keyspaces as key prefixes), with its first keyspace for
/// error messages; `None` for an empty batch.
fn sled_write(mut batch: Batch) -> Option<(Space, SledWrite)> {
    let first_space = batch.ops.first().map(|op| op.0)?;
    if batch.ops.len() == 1 {
        let (space, key, value, _case) = batch.ops.pop()?;
        let key = space.key(&key);
        return Some((
            first_space,
            match value {
                Some(value) => SledWrite::Put(key, value),
                None => SledWrite::Remove(key),
            },
        ));
    }
    let mut sled_batch = sled::Batch::default();
    for (space, key, value, _case) in batch.ops {
        match value {
            Some(value) => sled_batch.insert(space.key(&key), value),
            None => sled_batch.remove(space.key(&key)),
        }
    }
    Some((first_space, SledWrite::Batch(sled_batch)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob_files(dir: &Path) -> std::collections::BTreeSet<std::ffi::OsString> {
        std::fs::read_dir(dir.join("blobs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    /// A durable write of a value sled keeps in a blob file of its own makes that file
    /// durable: the barrier takes the blob file sled wrote and syncs it; a write
    /// without one syncs no blob file.
    #[test]
    fn a_barrier_syncs_the_blob_file_sled_wrote_for_a_large_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let synced = |store: &SledStore| {
            let guard = store.handles.read().unwrap();
            let blobs = guard.as_ref().unwrap().blobs.lock().unwrap();
            assert!(blobs.paths.is_empty(), "a blob file left unsynced");
            blobs.synced
        };
        let mut small = Batch::new();
        small.put(Space::Meta, b"small".to_vec(), vec![1; 16]);
        store.apply(small).unwrap();
        assert!(blob_files(dir.path()).is_empty());
        assert_eq!(synced(&store), 0);

        let mut large = Batch::new();
        large.put(Space::Meta, b"large".to_vec(), vec![7; 512 * 1024]);
        store.apply(large).unwrap();
        assert!(
            !blob_files(dir.path()).is_empty(),
            "sled kept the large value inline"
        );
        assert!(synced(&store) >= 1, "the new blob file was not synced");
        assert!(
            sled::take_written_blobs(dir.path()).is_empty(),
            "the barrier left a written blob file to a later one"
        );
        assert_eq!(
            store.get(Space::Meta, b"large").unwrap().unwrap().len(),
            512 * 1024
        );
    }

    /// Two writers whose batches are both applied while a barrier is under way share
    /// the next one: the first to get it covers the other's batch too.
    #[test]
    fn writers_waiting_for_a_barrier_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let handles = store.handles.clone();
        let (applied, barriers_before) = {
            let guard = handles.read().unwrap();
            let h = guard.as_ref().unwrap();
            (
                h.applied.load(Ordering::SeqCst),
                h.barriers.load(Ordering::SeqCst),
            )
        };
        // A barrier "under way": its lock held until both writers applied their batch.
        let guard = handles.read().unwrap();
        let held = guard.as_ref().unwrap().durable.lock().unwrap();
        let writers: Vec<_> = (0..2u8)
            .map(|w| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut batch = Batch::new();
                    batch.put(Space::Meta, vec![b'w', w], vec![w]);
                    store.apply(batch)
                })
            })
            .collect();
        let h = guard.as_ref().unwrap();
        let start = Instant::now();
        while h.applied.load(Ordering::SeqCst) < applied + 2 {
            assert!(start.elapsed() < Duration::from_secs(10), "writers stuck");
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(held);
        for writer in writers {
            writer.join().unwrap().unwrap();
        }
        assert_eq!(h.barriers.load(Ordering::SeqCst) - barriers_before, 1);
        drop(guard);
        for w in 0..2u8 {
            assert_eq!(store.get(Space::Meta, &[b'w', w]).unwrap(), Some(vec![w]));
        }
    }

    #[test]
    fn counters_count_from_one_only_when_applied_and_refuse_a_damaged_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut batch).unwrap(),
            1
        );
        // Not applied: the number is not taken.
        let mut again = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut again).unwrap(),
            1
        );
        store.apply(again).unwrap();
        let mut batch = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut batch).unwrap(),
            2
        );
        let mut damage = Batch::new();
        damage.put(Space::Meta, b"seq".to_vec(), b"xyz".to_vec());
        store.apply(damage).unwrap();
        assert!(matches!(
            crate::tables::meta::next_counter(&store, "seq", &mut Batch::new()),
            Err(StoreError::Damaged { .. })
        ));
    }

    #[test]
    fn spaces_do_not_collide_and_batches_apply_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        batch.put(Space::Cases, b"C-1".to_vec(), b"case".to_vec());
        batch.put(Space::Outbox, b"C-1".to_vec(), b"question".to_vec());
        batch.put(Space::Cases, b"C-2".to_vec(), b"other".to_vec());
        store.apply(batch).unwrap();
        assert_eq!(store.get(Space::Cases, b"C-1").unwrap().unwrap(), b"case");
        assert_eq!(
            store.get(Space::Outbox, b"C-1").unwrap().unwrap(),
            b"question"
        );
        let cases = store.scan(Space::Cases, b"C-").unwrap();
        assert_eq!(
            cases,
            vec![
                (b"C-1".to_vec(), b"case".to_vec()),
                (b"C-2".to_vec(), b"other".to_vec())
            ]
        );
        let mut batch = Batch::new();
        batch.delete(Space::Cases, b"C-1".to_vec());
        store.apply(batch).unwrap();
        assert_eq!(store.get(Space::Cases, b"C-1").unwrap(), None);
        assert!(store.get(Space::Outbox, b"C-1").unwrap().is_some());
    }

    #[test]
    fn reopening_finds_what_was_applied() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            let mut batch = Batch::new();
            batch.put(
                Space::Meta,
                b"next-case".to_vec(),
                7u64.to_be_bytes().to_vec(),
            );
            store.apply(batch).unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(
            store.get(Space::Meta, b"next-case").unwrap().unwrap(),
            7u64.to_be_bytes()
        );
    }
}
