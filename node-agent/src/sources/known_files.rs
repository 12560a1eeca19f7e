//! What a JSON export's files were last read to hold (records or none), kept exact by
//! the kernel's change notifications (inotify), so that a bevraging about a subject
//! whose files have not changed since is answered without reading them, on the link's
//! event loop (issue 20: a thread hand-off and a file read less per bevraging).
//!
//! Exact, not "fresh enough": every change made through a category folder (a file
//! written, truncated, replaced by a rename, removed, its mode changed) queues an
//! event in the kernel before the call that made it returns, and every lookup first
//! takes the queued events and forgets the files they name. A file is also remembered
//! with its inode, change time and size, and looked at again at every lookup: a change
//! made through another name of the file (a hard link made later elsewhere), which the
//! folder's watch does not hear of, changes its change time. So a lookup after a
//! change completed sees it, as a read of the file would.
//!
//! What the events cannot show is never remembered, or forgets more:
//! - a folder on a filesystem not known to report every change to inotify (a network
//!   share written by another machine, a ZFS dataset that can be received or rolled
//!   back, an overlay whose layers can be written directly): the source then reads
//!   its files at every question ([`Watch::start`] says why, once, in the log);
//! - a file that is a symbolic link or has more than one name when read: read at
//!   every question;
//! - an event naming a file that is not a subject's file by its exact name, and does
//!   not start with a dot (on a case-insensitive folder `ABC….JSON` is a subject's
//!   file): everything remembered of that category is forgotten;
//! - a category folder replaced, or the export's directory reached by another path
//!   (a symbolic link switched to a new export): each lookup checks that every watched
//!   folder is still the one its path leads to (device and inode); if one is not,
//!   nothing remembered is used, and the watch is set up anew by the next question
//!   answered from the files at least [`REWATCH_AFTER`] later;
//! - a lost event (the kernel's queue overflowed): everything remembered is forgotten.
//!
//! Not seen: a write through a memory mapping of the file made after its writer closed
//! it (the kernel reports the close, not the later page writes) and a file system
//! mounted over a single file; an export does not write that way.
//!
//! A read whose result may already be out of date when it is remembered (an event
//! arrived, or the file's stamp changed, while it was read) is not remembered
//! ([`KnownFiles::remember`]).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::fd::OwnedFd;
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use treiter_policies::Category;
use treiter_pseudonym::Pseudonym;

/// The most files remembered; past it, all are forgotten and remembered anew. This
/// bounds the memory it takes: an entry is 88 bytes and a control byte in the hash
/// table (`memory_of_an_entry`), and 100,000 fit in a table of 131,072 entries, some
/// 12 MB.
pub const MAX_KNOWN: usize = 100_000;
/// How long after the watch broke (a folder replaced) it may be set up again.
pub const REWATCH_AFTER: Duration = Duration::from_secs(2);

/// Filesystems whose changes, made on this machine, inotify reports: local disks and
/// memory. A network filesystem is left out on purpose (another machine's writes to
/// it are not reported here), and so are ZFS and overlayfs (see the module doc).
const LOCAL_FILESYSTEMS: &[u32] = &[
    0xEF53,      // ext2/3/4
    0x5846_5342, // xfs
    0x9123_683E, // btrfs
    0x0102_1994, // tmpfs
    0xF2F5_2010, // f2fs
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

/// A plain file with one name as found at its path: what changes when anything of it
/// changes, through whichever name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    inode: u64,
    changed: (i64, i64),
    size: u64,
}

/// What is at a subject file's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing.
    Absent,
    /// A plain file with one name.
    File(Stamp),
    /// Something that is never remembered: a symbolic link, a file with several names,
    /// a folder, a pipe, or what cannot be looked at.
    Other,
}

/// Looks at `path` without following a symbolic link.
pub fn look(path: &Path) -> Found {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() && meta.nlink() == 1 => Found::File(Stamp {
            inode: meta.ino(),
            changed: (meta.ctime(), meta.ctime_nsec()),
            size: meta.size(),
        }),
        Ok(_) => Found::Other,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found::Absent,
        Err(_) => Found::Other,
    }
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

/// What a file was read to hold.
#[derive(Debug, Clone, Copy)]
struct Known {
    held_records: bool,
    /// The file as it was then; `None`: absent (its creation is an event of the
    /// folder).
    stamp: Option<Stamp>,
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
    known: HashMap<(Category, Pseudonym), Known>,
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
        let number = WATCHES_STARTED.fetch_add(1, Ordering::Relaxed);
        if categories.is_empty() {
            return Ok(KnownFiles {
                number,
                inotify: None,
                folders: Vec::new(),
                known: HashMap::new(),
                events_seen: 0,
            });
        }
        let inotify = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC)
            .map_err(|e| format!("no inotify watch ({e})"))?;
        let mut folders: Vec<Folder> = Vec::with_capacity(categories.len());
        for &category in categories {
            let path = root.join(category.as_str());
            let fs = rustix::fs::statfs(&path)
                .map_err(|e| format!("cannot tell the filesystem of {} ({e})", path.display()))?;
            // A magic number, whose integer type differs per platform.
            let magic = fs.f_type as u32;
            if !LOCAL_FILESYSTEMS.contains(&magic) {
                return Err(format!(
                    "{} is not on a local filesystem known to report every change (type {magic:#x})",
                    path.display()
                ));
            }
            // The folder found before and after the watch is set must be the same one,
            // or the watch may be on a folder the path no longer leads to.
            let before = identity(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let watch = inotify::add_watch(&inotify, &path, folder_events())
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
            number,
            inotify: Some(inotify),
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
            if flags.intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::IGNORED)
            {
                return Err(Unusable::FolderChanged);
            }
            let name = event.file_name().and_then(|name| name.to_str().ok());
            let subject = name
                .and_then(|name| name.strip_suffix(".json"))
                .and_then(|hex| Pseudonym::parse(hex).ok());
            // Two category folders may be one folder (linked): the same watch.
            for folder in self.folders.iter().filter(|f| f.watch == event.wd()) {
                let category = folder.category;
                match (subject, name) {
                    (Some(subject), _) => {
                        self.known.remove(&(category, subject));
                    }
                    // A hidden file (a temporary one, renamed to a subject's file when
                    // done) is never a subject's file, whatever the folder's case rules.
                    (None, Some(name)) if name.starts_with('.') => {}
                    // The folder itself (a mode change), or a name that may be a
                    // subject's file on a case-insensitive folder.
                    (None, _) => self.known.retain(|(c, _), _| *c != category),
                }
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
    /// is remembered and unchanged since (after [`KnownFiles::catch_up`]). Looks at a
    /// remembered file (a `stat`), never reads one.
    pub fn lookup(&self, category: Category, subject: &Pseudonym) -> Option<bool> {
        let known = self.known.get(&(category, *subject))?;
        if let Some(stamp) = known.stamp {
            let folder = self.folders.iter().find(|f| f.category == category)?;
            if look(&subject_file(&folder.path, subject)) != Found::File(stamp) {
                return None;
            }
        }
        Some(known.held_records)
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
    /// after `mark` was taken and `before` was found there: only if no event came since
    /// (after [`KnownFiles::catch_up`]) and it is found as it was then, absent or a
    /// plain file with one name.
    pub fn remember(
        &mut self,
        mark: Mark,
        category: Category,
        subject: &Pseudonym,
        path: &Path,
        before: Found,
        held_records: bool,
    ) {
        if mark != self.mark() || !self.watches(category) {
            return;
        }
        let stamp = match (before, look(path)) {
            (Found::Absent, Found::Absent) if !held_records => None,
            (Found::File(before), Found::File(now)) if before == now => Some(now),
            _ => return,
        };
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
        }
        self.known.insert(
            (category, *subject),
            Known {
                held_records,
                stamp,
            },
        );
    }

    /// How many files are remembered.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.known.len()
    }
}

/// The file that holds `subject`'s records in the category folder `folder`.
pub fn subject_file(folder: &Path, subject: &Pseudonym) -> PathBuf {
    folder.join(format!("{subject}.json"))
}

/// The watch of a JSON export: running, broken for a while (a folder replaced), or
/// off for good (not a local filesystem).
#[derive(Debug)]
pub enum Watch {
    On(KnownFiles),
    Broken { since: Instant },
    Off,
}

/// Whether [`Watch::caught_up`] may set a broken watch up again (the calls it takes
/// are for a blocking thread, not the link's event loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewatch {
    Allowed,
    Not,
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
    /// cannot be used now. With [`Rewatch::Allowed`], a watch broken at least
    /// [`REWATCH_AFTER`] ago is set up again.
    pub fn caught_up(
        &mut self,
        root: &Path,
        categories: &[Category],
        rewatch: Rewatch,
    ) -> Option<&mut KnownFiles> {
        if let Watch::Broken { since } = self
            && rewatch == Rewatch::Allowed
            && since.elapsed() >= REWATCH_AFTER
        {
            *self = match KnownFiles::start(root, categories) {
                Ok(known) => {
                    tracing::info!(export = %root.display(), "the export's category folders are watched again");
                    Watch::On(known)
                }
                Err(why) => {
                    tracing::debug!(export = %root.display(), reason = %why, "the export's category folders cannot be watched yet");
                    Watch::Broken {
                        since: Instant::now(),
                    }
                }
            };
        }
        let Watch::On(known) = self else {
            return None;
        };
        if let Err(why) = known.catch_up() {
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
        match self {
            Watch::On(known) => Some(known),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figure in [`MAX_KNOWN`]'s doc.
    #[test]
    fn memory_of_an_entry() {
        assert_eq!(std::mem::size_of::<((Category, Pseudonym), Known)>(), 88);
    }

    #[test]
    fn a_read_that_a_change_overtook_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("huurgegevens")).unwrap();
        let subject = Pseudonym::parse(&"ab".repeat(32)).unwrap();
        let file = subject_file(&dir.path().join("huurgegevens"), &subject);
        let huur = Category::Huurgegevens;
        let mut known = KnownFiles::start(dir.path(), &[huur]).unwrap();

        // Absent when read; created before the result is remembered.
        known.catch_up().unwrap();
        let mark = known.mark();
        std::fs::write(&file, "[]").unwrap();
        known.catch_up().unwrap();
        known.remember(mark, huur, &subject, &file, Found::Absent, false);
        assert_eq!(known.lookup(huur, &subject), None);

        // Read with nothing changing meanwhile: remembered.
        known.catch_up().unwrap();
        let mark = known.mark();
        let before = look(&file);
        known.catch_up().unwrap();
        known.remember(mark, huur, &subject, &file, before, false);
        assert_eq!(known.lookup(huur, &subject), Some(false));
        assert_eq!(known.remembered(), 1);

        // A mark of an earlier watch is not taken for this one's.
        let mut again = KnownFiles::start(dir.path(), &[huur]).unwrap();
        again.catch_up().unwrap();
        let stale = Mark {
            watch: mark.watch,
            events_seen: again.mark().events_seen,
        };
        again.remember(stale, huur, &subject, &file, look(&file), false);
        assert_eq!(again.remembered(), 0);
    }
}
