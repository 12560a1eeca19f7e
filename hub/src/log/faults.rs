//! Fault injection into the log's writes and syncs: the switch the fail-closed tests
//! flip to make the disk look full or failing, and the power-loss ledger (issue 22).
//!
//! Every sync of the log's files and directory goes through the switch
//! ([`FaultSwitch::sync_data`], [`FaultSwitch::sync_all`], [`FaultSwitch::sync_dir`]).
//! In a test build the switch can keep a ledger of what those syncs made durable, as
//! LazyFS does at the file-system layer: per file (inode) its contents at its last
//! sync, per directory its names at its last sync. A simulated power cut then puts
//! back exactly that and drops everything else — unsynced appends, files whose
//! directory entry was never synced — which a `kill -9` cannot show, since a killed
//! process's writes stay in the page cache. Remove a sync and what it covered is lost
//! at the next cut, so the power-loss tests fail.
//!
//! The key store syncs through a switch of this kind too (its own,
//! `KeyStore::faults`; the sync methods are crate-visible for it), so its power cuts
//! are simulated the same way (issue 22, `tests/tests/reliability/power_loss_keys_inbox.rs`).
//!
//! The switch exists only in test builds: the hub's own unit tests (`cfg(test)`) and
//! builds with the `fault-injection` feature, which the workspace's end-to-end tests
//! (`tests/`) enable. The hub built for use (`cargo build -p treiter-hub`) gets the
//! inert stand-in below, whose checks always pass and compile away, and has no way to
//! reach a switch at all.

#[cfg(any(test, feature = "fault-injection"))]
mod switch {
    use std::collections::{BTreeMap, HashMap};
    use std::ffi::OsString;
    use std::fs::File;
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::{Arc, Mutex};

    const FAULT_NONE: u8 = 0;
    const FAULT_WRITE: u8 = 1;
    const FAULT_SYNC: u8 = 2;
    /// Directory syncs do nothing (issue 22, the key store's power-cut control test:
    /// a store that never syncs its renames must be seen to lose keys).
    const FAULT_SKIP_DIR_SYNC: u8 = 3;
    /// Only the head record's writes fail: the segment takes a batch, its head record
    /// does not (a disk failing between the two writes).
    const FAULT_HEAD_WRITE: u8 = 4;

    /// A switch to make the log's writes or syncs fail (a full or failing disk). Inert
    /// unless set. Every clone flips the same switch; the log's own is
    /// [`Log::faults`](crate::log::Log::faults).
    #[derive(Debug, Clone, Default)]
    pub struct FaultSwitch(Arc<AtomicU8>, Arc<Mutex<Option<Ledger>>>);

    /// What the syncs since [`FaultSwitch::record_power_loss`] made durable in one
    /// directory.
    #[derive(Debug)]
    struct Ledger {
        dir: PathBuf,
        /// Per inode: the file's contents at its last sync.
        files: HashMap<u64, Vec<u8>>,
        /// The directory's names (and their inodes) at its last sync.
        names: BTreeMap<OsString, u64>,
        /// The power is cut: later syncs make nothing durable.
        cut: bool,
    }

    /// What a power cut dropped.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct PowerCut {
        /// Files put back as last synced.
        pub files_kept: usize,
        /// Files whose directory entry was never synced: gone.
        pub files_dropped: usize,
        /// Bytes written but never synced: gone.
        pub bytes_dropped: u64,
    }

    /// The whole contents of `file`, which may be open for writing only (the log's
    /// writer is): read through the process's own descriptor link (Linux).
    fn read_all(file: &File) -> std::io::Result<Vec<u8>> {
        std::fs::read(format!("/proc/self/fd/{}", file.as_raw_fd()))
    }

    fn names(dir: &Path) -> std::io::Result<BTreeMap<OsString, u64>> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() {
                out.insert(entry.file_name(), meta.ino());
            }
        }
        Ok(out)
    }

    impl FaultSwitch {
        /// A switch in the off position.
        pub fn new() -> Self {
            Self::default()
        }
        /// Every write fails as on a full disk (ENOSPC).
        pub fn fail_writes(&self) {
            self.0.store(FAULT_WRITE, Ordering::SeqCst);
        }
        /// Every sync fails as on a failing disk (EIO).
        pub fn fail_syncs(&self) {
            self.0.store(FAULT_SYNC, Ordering::SeqCst);
        }
        /// Every directory sync is skipped (neither done nor noted), as if the code
        /// never made its renames durable: the control of the power-cut tests.
        pub fn skip_dir_syncs(&self) {
            self.0.store(FAULT_SKIP_DIR_SYNC, Ordering::SeqCst);
        }
        /// Only the head record's writes fail (ENOSPC), the segment's succeed.
        pub fn fail_head_writes(&self) {
            self.0.store(FAULT_HEAD_WRITE, Ordering::SeqCst);
        }
        /// Back to normal.
        pub fn clear(&self) {
            self.0.store(FAULT_NONE, Ordering::SeqCst);
        }
        /// Before a write: fails while writes are switched to fail.
        pub(in crate::log) fn check_write(&self) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_WRITE {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "injected fault",
                ))
            } else {
                Ok(())
            }
        }
        /// Before a write of the head record: fails while head record writes are
        /// switched to fail.
        pub(in crate::log) fn check_head_write(&self) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_HEAD_WRITE {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "injected fault",
                ))
            } else {
                Ok(())
            }
        }
        /// Before a sync: fails while syncs are switched to fail.
        pub(in crate::log) fn check_sync(&self) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_SYNC {
                Err(std::io::Error::other("injected fault"))
            } else {
                Ok(())
            }
        }

        /// From now on, keeps the ledger of what the syncs make durable in `dir` (the
        /// log's directory), starting from what it holds now (the log syncs all it
        /// creates before [`Log::open`](crate::log::Log::open) returns).
        pub fn record_power_loss(&self, dir: &Path) -> std::io::Result<()> {
            let names = names(dir)?;
            let mut files = HashMap::new();
            for (name, ino) in &names {
                files.insert(*ino, std::fs::read(dir.join(name))?);
            }
            *self.ledger() = Some(Ledger {
                dir: dir.to_path_buf(),
                files,
                names,
                cut: false,
            });
            Ok(())
        }

        /// Cuts the power: what was synced so far is all that survives.
        pub fn power_cut(&self) {
            if let Some(ledger) = self.ledger().as_mut() {
                ledger.cut = true;
            }
        }

        /// After [`FaultSwitch::power_cut`] and once the log is closed: puts the
        /// directory back as the syncs left it (the machine came back up), and says
        /// what was dropped.
        pub fn restore_after_power_cut(&self) -> std::io::Result<PowerCut> {
            let Some(ledger) = self.ledger().take() else {
                return Err(std::io::Error::other("no power-loss ledger was kept"));
            };
            let mut report = PowerCut::default();
            for (name, ino) in names(&ledger.dir)? {
                let path = ledger.dir.join(&name);
                let now = std::fs::metadata(&path)?.len();
                match ledger.names.get(&name) {
                    Some(_) => {}
                    None => {
                        report.files_dropped += 1;
                        report.bytes_dropped += now;
                    }
                }
                let kept = ledger.files.get(&ino).map_or(0, |d| d.len() as u64);
                report.bytes_dropped += now.saturating_sub(kept);
                std::fs::remove_file(&path)?;
            }
            for (name, ino) in &ledger.names {
                let data = ledger.files.get(ino).map(Vec::as_slice).unwrap_or_default();
                std::fs::write(ledger.dir.join(name), data)?;
                report.files_kept += 1;
            }
            Ok(report)
        }

        fn ledger(&self) -> std::sync::MutexGuard<'_, Option<Ledger>> {
            self.1.lock().unwrap_or_else(|e| e.into_inner())
        }

        fn file_synced(&self, file: &File) -> std::io::Result<()> {
            let mut ledger = self.ledger();
            if let Some(ledger) = ledger.as_mut().filter(|l| !l.cut) {
                let ino = file.metadata()?.ino();
                ledger.files.insert(ino, read_all(file)?);
            }
            Ok(())
        }

        /// `fdatasync`s `file` (and notes what it made durable).
        pub(crate) fn sync_data(&self, file: &File) -> std::io::Result<()> {
            file.sync_data()?;
            self.file_synced(file)
        }

        /// `fsync`s `file` (and notes what it made durable).
        pub(crate) fn sync_all(&self, file: &File) -> std::io::Result<()> {
            file.sync_all()?;
            self.file_synced(file)
        }

        /// `fsync`s the directory `dir`: its names are durable (and noted).
        pub(crate) fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_SKIP_DIR_SYNC {
                return Ok(());
            }
            File::open(dir)?.sync_all()?;
            let mut ledger = self.ledger();
            if let Some(ledger) = ledger.as_mut().filter(|l| !l.cut && l.dir == dir) {
                ledger.names = names(dir)?;
            }
            Ok(())
        }
    }
}

#[cfg(not(any(test, feature = "fault-injection")))]
mod switch {
    /// The inert stand-in of the switch in a hub built for use: nothing can set it.
    #[derive(Debug, Clone, Default)]
    pub struct FaultSwitch;

    impl FaultSwitch {
        pub(crate) fn new() -> Self {
            FaultSwitch
        }
        #[inline(always)]
        pub(in crate::log) fn check_write(&self) -> std::io::Result<()> {
            Ok(())
        }
        #[inline(always)]
        pub(in crate::log) fn check_head_write(&self) -> std::io::Result<()> {
            Ok(())
        }
        #[inline(always)]
        pub(in crate::log) fn check_sync(&self) -> std::io::Result<()> {
            Ok(())
        }
        #[inline(always)]
        pub(crate) fn sync_data(&self, file: &std::fs::File) -> std::io::Result<()> {
            file.sync_data()
        }
        #[inline(always)]
        pub(crate) fn sync_all(&self, file: &std::fs::File) -> std::io::Result<()> {
            file.sync_all()
        }
        #[inline(always)]
        pub(crate) fn sync_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
            std::fs::File::open(dir)?.sync_all()
        }
    }
}

pub use switch::FaultSwitch;
#[cfg(any(test, feature = "fault-injection"))]
pub use switch::PowerCut;
