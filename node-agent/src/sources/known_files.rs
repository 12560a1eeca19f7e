//! What a JSON export's files were last read to hold (records or none), kept exact by
//! the kernel's change notifications (inotify), so that a bevraging about a subject
//! whose files have not changed since is answered without reading them, on the link's
//! event loop (issue 20: a thread hand-off and a file read less per bevraging).
//!
//! Exact, not "fresh enough": every change to a category folder (a file written,
//! replaced by a rename, removed, its mode changed) queues an event in the kernel
//! before the call that made it returns, and every lookup first takes the queued
//! events and forgets the files they name. So a lookup after a change completed sees
//! it, as a read of the file would; a lookup never waits for a change still being
//! made, and neither did a read.
//!
//! What the events cannot show is never remembered:
//! - a folder on a filesystem not known to report every change to inotify (a network
//!   share written by another machine): the source then reads its files at every
//!   question, as before ([`Watch::start`] says why, once, in the log);
//! - a file that is a symbolic link, or has more than one name (a change through the
//!   other name is reported to that name's folder): read at every question;
//! - a category folder replaced, or the export's directory reached by another path
//!   (a symbolic link switched to a new export): each lookup checks that every watched
//!   folder is still the one its path leads to (device and inode), and if one is not,
//!   nothing remembered is used and the watch is set up anew a little later
//!   ([`REWATCH_AFTER`]);
//! - a lost event (the kernel's queue overflowed): everything remembered is forgotten.
//!
//! A read whose result may already be out of date when it is remembered (an event
//! arrived while the file was read) is not remembered ([`KnownFiles::remember`]).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::fd::OwnedFd;
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use treiter_policies::Category;
use treiter_pseudonym::Pseudonym;

/// The most files remembered; past it, all are forgotten and remembered anew (a file
/// costs about 50 bytes, so this bounds the agent's memory at a few megabytes).
pub const MAX_KNOWN: usize = 100_000;
/// How long after the watch broke (a folder replaced) it is set up again.
pub const REWATCH_AFTER: Duration = Duration::from_secs(2);

/// Filesystems whose changes, made on this machine, inotify reports: local disks and
/// memory. A network filesystem is left out on purpose: another machine's writes to
/// it are not reported here.
const LOCAL_FILESYSTEMS: &[(u32, &str)] = &[
    (0xEF53, "ext2/3/4"),
    (0x5846_5342, "xfs"),
    (0x9123_683E, "btrfs"),
    (0x0102_1994, "tmpfs"),
    (0xF2F5_2010, "f2fs"),
    (0x2FC1_2FC1, "zfs"),
    (0x794C_7630, "overlayfs"),
];

/// The events of a category folder that change what a file in it holds, or which
/// folder it is.
fn folder_events() -> WatchFlags {
    WatchFlags::CREATE
        | WatchFlags::DELETE
        | WatchFlags::MODIFY
        | WatchFlags::CLOSE_WRITE
        | WatchFlags::MOVED_FROM
        | WatchFlags::MOVED_TO
        | WatchFlags::ATTRIB
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
        | WatchFlags::ONLYDIR
}

/// Numbers each watch set up in this process, so that a mark taken under one is not
/// taken for one of the next.
static WATCHES_STARTED: AtomicU64 = AtomicU64::new(0);

/// Taken before a file is read, to remember what it held only if nothing changed
/// meanwhile ([`KnownFiles::mark`], [`KnownFiles::remember`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    watch: u64,
    events_seen: u64,
}

/// A folder as found at a path: its device and inode.
type Identity = (u64, u64);

fn identity(path: &Path) -> std::io::Result<Identity> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// One watched category folder.
#[derive(Debug)]
struct Folder {
    category: Category,
    path: PathBuf,
    watch: i32,
    identity: Identity,
}

/// The inotify watch over an export's category folders and what their files were
/// read to hold.
#[derive(Debug)]
pub struct KnownFiles {
    /// This watch's number ([`WATCHES_STARTED`]).
    number: u64,
    /// None for an export without category folders (an inotify instance is a
    /// per-user resource, 128 by default).
    inotify: Option<OwnedFd>,
    folders: Vec<Folder>,
    /// Per category and subject: whether its file held at least one record.
    known: HashMap<(Category, Pseudonym), bool>,
    /// Counts the events taken, so that a read can tell whether one came meanwhile.
    events_seen: u64,
}

/// Why nothing remembered can be used now.
#[derive(Debug)]
pub enum Unusable {
    /// A watched folder went or was replaced, or its path leads elsewhere now.
    FolderChanged,
    /// The watch could not be read.
    Read(std::io::Error),
}

impl KnownFiles {
    /// Watches the folders of `categories` under `root`. Fails with a sentence for the
    /// log when a folder is not on a local filesystem or cannot be watched.
    pub fn start(root: &Path, categories: &[Category]) -> Result<KnownFiles, String> {
        let inotify = if categories.is_empty() {
            None
        } else {
            Some(
                inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC)
                    .map_err(|e| format!("no inotify watch ({e})"))?,
            )
        };
        let mut folders = Vec::with_capacity(categories.len());
        for (&category, inotify) in categories
            .iter()
            .filter_map(|c| Some((c, inotify.as_ref()?)))
        {
            let path = root.join(category.as_str());
            let fs = rustix::fs::statfs(&path)
                .map_err(|e| format!("cannot tell the filesystem of {} ({e})", path.display()))?;
            // `f_type` is a magic number; its width differs per platform.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let magic = fs.f_type as u32;
            if !LOCAL_FILESYSTEMS.iter().any(|(m, _)| *m == magic) {
                return Err(format!(
                    "{} is not on a local filesystem known to report its changes (type {magic:#x})",
                    path.display()
                ));
            }
            // The folder found before and after the watch is set must be the same one,
            // or the watch may be on a folder the path no longer leads to.
            let before = identity(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let watch = inotify::add_watch(inotify, &path, folder_events())
                .map_err(|e| format!("cannot watch {} ({e})", path.display()))?;
            let after = identity(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            if before != after {
                return Err(format!(
                    "{} was replaced while it was watched",
                    path.display()
                ));
            }
            folders.push(Folder {
                category,
                path,
                watch,
                identity: after,
            });
        }
        Ok(KnownFiles {
            number: WATCHES_STARTED.fetch_add(1, Ordering::Relaxed),
            inotify,
            folders,
            known: HashMap::new(),
            events_seen: 0,
        })
    }

    /// Takes the queued events (forgetting the files they name) and checks that every
    /// folder is still where its path leads. Call before every lookup.
    pub fn catch_up(&mut self) -> Result<(), Unusable> {
        let Some(inotify) = &self.inotify else {
            // An export without category folders: nothing to hear of.
            return Ok(());
        };
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut events = inotify::Reader::new(inotify, &mut buf);
        loop {
            let event = match events.next() {
                Ok(event) => event,
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(Unusable::Read(e.into())),
            };
            self.events_seen += 1;
            let flags = event.events();
            if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                // Events were lost: any file may have changed.
                self.known.clear();
                continue;
            }
            let Some(folder) = self.folders.iter().find(|f| f.watch == event.wd()) else {
                continue;
            };
            if flags.intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::IGNORED)
                || (flags.contains(ReadFlags::ATTRIB) && event.file_name().is_none())
            {
                return Err(Unusable::FolderChanged);
            }
            let category = folder.category;
            // Only a subject's own file name matters; a temporary file becomes one by a
            // rename, which is an event of that name.
            if let Some(subject) = event
                .file_name()
                .and_then(|name| name.to_str().ok())
                .and_then(|name| name.strip_suffix(".json"))
                .and_then(|hex| Pseudonym::parse(hex).ok())
            {
                self.known.remove(&(category, subject));
            }
        }
        for folder in &self.folders {
            if identity(&folder.path).ok() != Some(folder.identity) {
                return Err(Unusable::FolderChanged);
            }
        }
        Ok(())
    }

    /// Whether the file of `subject` in `category` held records when last read, if it
    /// is remembered and unchanged since (after [`KnownFiles::catch_up`]).
    pub fn lookup(&self, category: Category, subject: &Pseudonym) -> Option<bool> {
        self.known.get(&(category, *subject)).copied()
    }

    /// Whether `category` is watched.
    pub fn watches(&self, category: Category) -> bool {
        self.folders.iter().any(|f| f.category == category)
    }

    /// A mark to take before reading a file ([`KnownFiles::remember`] after it).
    pub fn mark(&self) -> Mark {
        Mark {
            watch: self.number,
            events_seen: self.events_seen,
        }
    }

    /// Remembers what the file at `path` (of `subject` in `category`) held when read
    /// after `mark` was taken: only if no event came since (after
    /// [`KnownFiles::catch_up`]), the file is not a symbolic link and has one name, or
    /// is absent.
    pub fn remember(
        &mut self,
        mark: Mark,
        category: Category,
        subject: &Pseudonym,
        path: &Path,
        held_records: bool,
    ) {
        if mark != self.mark() || !self.watches(category) {
            return;
        }
        let single = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta.file_type().is_file() && meta.nlink() == 1,
            // Absent: its creation is an event of the folder.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => !held_records,
            Err(_) => false,
        };
        if !single {
            return;
        }
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
        }
        self.known.insert((category, *subject), held_records);
    }

    /// How many files are remembered.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether no file is remembered.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// The watch of a JSON export: running, broken for a while (a folder replaced), or
/// off for good (not a local filesystem).
#[derive(Debug)]
pub enum Watch {
    On(KnownFiles),
    Broken { since: Instant },
    Off,
}

impl Watch {
    /// Starts the watch of `categories` under `root`; off, with the reason logged, when
    /// the export's files cannot be watched.
    pub fn start(root: &Path, categories: &[Category]) -> Watch {
        match KnownFiles::start(root, categories) {
            Ok(known) => Watch::On(known),
            Err(why) => {
                tracing::info!(
                    export = %root.display(),
                    reason = %why,
                    "the export's files are read at every question"
                );
                Watch::Off
            }
        }
    }

    /// The remembered files, caught up with every change so far; `None` when they
    /// cannot be used now. A broken watch is set up again after [`REWATCH_AFTER`].
    pub fn usable(&mut self, root: &Path, categories: &[Category]) -> Option<&mut KnownFiles> {
        if let Watch::Broken { since } = self
            && since.elapsed() >= REWATCH_AFTER
        {
            *self = match KnownFiles::start(root, categories) {
                Ok(known) => Watch::On(known),
                Err(_) => Watch::Broken {
                    since: Instant::now(),
                },
            };
        }
        let Watch::On(known) = self else {
            return None;
        };
        match known.catch_up() {
            Ok(()) => {}
            Err(why) => {
                tracing::info!(
                    export = %root.display(),
                    reason = ?why,
                    "a category folder of the export changed; its files are read until it is watched again"
                );
                *self = Watch::Broken {
                    since: Instant::now(),
                };
                return None;
            }
        }
        match self {
            Watch::On(known) => Some(known),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_a_change_overtook_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("huurgegevens")).unwrap();
        let subject = Pseudonym::parse(&"ab".repeat(32)).unwrap();
        let file = dir
            .path()
            .join("huurgegevens")
            .join(format!("{subject}.json"));
        let huur = Category::Huurgegevens;
        let mut known = KnownFiles::start(dir.path(), &[huur]).unwrap();

        // Absent when read; created before the result is remembered.
        known.catch_up().unwrap();
        let mark = known.mark();
        std::fs::write(&file, "[]").unwrap();
        known.catch_up().unwrap();
        known.remember(mark, huur, &subject, &file, false);
        assert_eq!(known.lookup(huur, &subject), None);

        // Read with nothing changing meanwhile: remembered.
        let mark = known.mark();
        known.catch_up().unwrap();
        known.remember(mark, huur, &subject, &file, false);
        assert_eq!(known.lookup(huur, &subject), Some(false));
        assert_eq!(known.len(), 1);
    }
}
