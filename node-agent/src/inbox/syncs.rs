//! The inbox's syncs (file `fsync`, directory `fsync`) go through one switch, so that
//! the power-cut tests (issue 22) can see what they made durable.
//!
//! In a test build the switch can keep a ledger, as LazyFS does at the file-system
//! layer: per file (inode) its contents at its last `fsync`, per directory under the
//! recorded root its entries at its last `fsync`. A simulated power cut puts the tree
//! back as exactly that: a file renamed into a directory that was not synced since is
//! gone, and so is a directory whose parent was not synced after it was made. A
//! `kill -9` cannot show a missing sync (the page cache outlives the process); this
//! can. The hub's log and key store have the same ledger for a single directory
//! (`treiter_hub::log::faults`); the inbox has subdirectories (`shares/`, `terms/`).
//!
//! The switch exists only in test builds: the agent's own unit tests (`cfg(test)`) and
//! builds with the `fault-injection` feature, which the workspace's end-to-end tests
//! enable. The agent built for use gets the inert stand-in, whose syncs are plain
//! `fsync`s.

#[cfg(any(test, feature = "fault-injection"))]
mod switch {
    use std::collections::{BTreeMap, HashMap};
    use std::ffi::OsString;
    use std::fs::File;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    /// An entry of a directory as a sync left it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Node {
        /// A file, by inode.
        File(u64),
        /// A subdirectory (its own entries are its own sync's business).
        Dir,
    }

    /// What the syncs since [`SyncSwitch::record_power_loss`] made durable under one
    /// root directory.
    #[derive(Debug)]
    struct Ledger {
        root: PathBuf,
        /// Per inode: the file's contents at its last sync.
        files: HashMap<u64, Vec<u8>>,
        /// Per directory (the root and below): its entries at its last sync.
        dirs: HashMap<PathBuf, BTreeMap<OsString, Node>>,
        /// The power is cut: later syncs make nothing durable.
        cut: bool,
    }

    /// The switch the inbox syncs through. Every clone is the same switch.
    #[derive(Debug, Clone, Default)]
    pub struct SyncSwitch {
        ledger: Arc<Mutex<Option<Ledger>>>,
        /// Directory syncs do nothing (the control test: an inbox that never syncs
        /// its renames must be seen to lose deliveries).
        skip_dir_syncs: Arc<AtomicBool>,
        /// File syncs made so far (the tests count them: one per delivery).
        file_syncs: Arc<AtomicU64>,
    }

    /// What a power cut dropped.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct PowerCut {
        /// Files put back as last synced.
        pub files_kept: usize,
        /// Files and directories present before the cut that are gone after it.
        pub entries_dropped: usize,
    }

    fn entries(dir: &Path) -> std::io::Result<BTreeMap<OsString, Node>> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                out.insert(entry.file_name(), Node::Dir);
            } else if meta.is_file() {
                out.insert(entry.file_name(), Node::File(meta.ino()));
            }
        }
        Ok(out)
    }

    /// Every directory at and under `dir`, with its entries; every file's contents.
    fn snapshot(
        dir: &Path,
        dirs: &mut HashMap<PathBuf, BTreeMap<OsString, Node>>,
        files: &mut HashMap<u64, Vec<u8>>,
    ) -> std::io::Result<()> {
        let here = entries(dir)?;
        for (name, node) in &here {
            match node {
                Node::File(ino) => {
                    files.insert(*ino, std::fs::read(dir.join(name))?);
                }
                Node::Dir => snapshot(&dir.join(name), dirs, files)?,
            }
        }
        dirs.insert(dir.to_path_buf(), here);
        Ok(())
    }

    fn count_entries(dir: &Path) -> std::io::Result<usize> {
        let mut n = 0;
        for (name, node) in entries(dir)? {
            n += 1;
            if node == Node::Dir {
                n += count_entries(&dir.join(name))?;
            }
        }
        Ok(n)
    }

    impl SyncSwitch {
        /// A switch that only syncs.
        pub fn new() -> Self {
            Self::default()
        }

        /// Directory syncs are skipped from now on (neither done nor noted).
        pub fn skip_dir_syncs(&self) {
            self.skip_dir_syncs.store(true, Ordering::SeqCst);
        }

        fn ledger(&self) -> std::sync::MutexGuard<'_, Option<Ledger>> {
            self.ledger.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// From now on, keeps the ledger of what the syncs make durable under `root`,
        /// starting from what it holds now (taken as durable).
        pub fn record_power_loss(&self, root: &Path) -> std::io::Result<()> {
            let mut dirs = HashMap::new();
            let mut files = HashMap::new();
            snapshot(root, &mut dirs, &mut files)?;
            *self.ledger() = Some(Ledger {
                root: root.to_path_buf(),
                files,
                dirs,
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

        /// After [`SyncSwitch::power_cut`] and once the inbox is closed: puts the tree
        /// under the root back as the syncs left it (the machine came back up).
        pub fn restore_after_power_cut(&self) -> std::io::Result<PowerCut> {
            let Some(ledger) = self.ledger().take() else {
                return Err(std::io::Error::other("no power-loss ledger was kept"));
            };
            let before = count_entries(&ledger.root)?;
            for (name, node) in entries(&ledger.root)? {
                let path = ledger.root.join(name);
                match node {
                    Node::File(_) => std::fs::remove_file(path)?,
                    Node::Dir => std::fs::remove_dir_all(path)?,
                }
            }
            let mut report = PowerCut::default();
            rebuild(&ledger, &ledger.root, &mut report)?;
            report.entries_dropped = before.saturating_sub(count_entries(&ledger.root)?);
            Ok(report)
        }

        /// How many files were synced through this switch so far.
        pub fn file_syncs(&self) -> u64 {
            self.file_syncs.load(Ordering::SeqCst)
        }

        /// `fsync`s `file` (and notes what it made durable).
        pub(crate) fn sync_all(&self, file: &File) -> std::io::Result<()> {
            file.sync_all()?;
            self.file_syncs.fetch_add(1, Ordering::SeqCst);
            let mut ledger = self.ledger();
            if let Some(ledger) = ledger.as_mut().filter(|l| !l.cut) {
                let ino = file.metadata()?.ino();
                let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
                ledger.files.insert(ino, std::fs::read(path)?);
            }
            Ok(())
        }

        /// `fsync`s the directory `dir`: its entries are durable (and noted).
        pub(crate) fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
            if self.skip_dir_syncs.load(Ordering::SeqCst) {
                return Ok(());
            }
            File::open(dir)?.sync_all()?;
            let mut ledger = self.ledger();
            if let Some(ledger) = ledger
                .as_mut()
                .filter(|l| !l.cut && dir.starts_with(&l.root))
            {
                ledger.dirs.insert(dir.to_path_buf(), entries(dir)?);
            }
            Ok(())
        }
    }

    /// Writes `dir`'s entries as its last sync left them, and below it likewise.
    fn rebuild(ledger: &Ledger, dir: &Path, report: &mut PowerCut) -> std::io::Result<()> {
        let Some(here) = ledger.dirs.get(dir) else {
            // Made after the recording began and never synced: empty.
            return Ok(());
        };
        for (name, node) in here {
            let path = dir.join(name);
            match node {
                Node::File(ino) => {
                    let data = ledger.files.get(ino).map(Vec::as_slice).unwrap_or_default();
                    std::fs::write(&path, data)?;
                    report.files_kept += 1;
                }
                Node::Dir => {
                    std::fs::create_dir(&path)?;
                    rebuild(ledger, &path, report)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(not(any(test, feature = "fault-injection")))]
mod switch {
    use std::fs::File;
    use std::path::Path;

    /// The inert stand-in of the switch in an agent built for use: plain syncs.
    #[derive(Debug, Clone, Default)]
    pub struct SyncSwitch;

    impl SyncSwitch {
        pub(crate) fn new() -> Self {
            SyncSwitch
        }
        #[inline(always)]
        pub(crate) fn sync_all(&self, file: &File) -> std::io::Result<()> {
            file.sync_all()
        }
        #[inline(always)]
        pub(crate) fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
            File::open(dir)?.sync_all()
        }
    }
}

#[cfg(any(test, feature = "fault-injection"))]
pub use switch::PowerCut;
pub use switch::SyncSwitch;
