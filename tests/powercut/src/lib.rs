//! A power-cut simulation at the file layer for processes we cannot wrap (issue 22): an
//! `LD_PRELOAD` shim in the manner of LazyFS. Loaded into a process with
//! `POWERCUT_DIR=<dir>` and `POWERCUT_JOURNAL=<file>`, it journals, before each change
//! under `<dir>`, what is needed to undo it:
//!
//! - file data (`write`, `pwrite`, `writev`, `pwritev`, `ftruncate`, `O_TRUNC`,
//!   `fallocate` without flags): the inode, the offset, the file's old size and the
//!   bytes overwritten; made durable by `fsync`/`fdatasync` of that file;
//! - directory entries (file creation, `mkdir`, `rename`, `unlink`, `rmdir`, `link`):
//!   the path(s), and for a file a rename replaces or an unlink removes a hard link
//!   kept beside the journal (`<journal>.keep/`), so that it can be put back; made
//!   durable by `fsync` of the parent directory (both parents for a rename);
//! - `sync`/`syncfs`: everything before it durable.
//!
//! `sync_file_range` makes nothing durable: it neither writes the file's size nor
//! flushes the disk's cache (its man page: "there are no guarantees that the data will
//! be available after a crash"), and LazyFS, behind FUSE, does not see it either.
//!
//! The "power cut" is a `kill -9` of the process: the page cache survives it, so the
//! journal needs no syncs of its own. The test then applies the undo records that no
//! sync made durable, newest first (`tests/tests/reliability/power_cuts_store.rs`,
//! `rollback`), which leaves exactly what was synced.
//!
//! What the shim cannot model it refuses loudly: a shared writable `mmap`,
//! `copy_file_range`/`sendfile`/`splice` into, `truncate` by path, `fallocate` with
//! flags, or a symlink under the directory write an `Unmodelled` record and abort the
//! process, and the test fails on that record. Calls made with raw `syscall(2)` or
//! `io_uring` bypass it: sled 0.34 is built without its `io_uring` feature.
//!
//! `POWERCUT_READONLY=<file>`: while that file exists, every change under the directory
//! fails with `EROFS` (a data directory turned read-only under a running process).
//!
//! The journal format (all integers little-endian u64, byte strings length-prefixed):
//! a record is `len: u32, kind: u8, fields…`; kinds are the `K_*` constants below.

#![allow(clippy::missing_safety_doc)] // every export has libc's contract, nothing more

use std::cell::Cell;
use std::ffi::{CStr, CString, OsStr, c_char, c_int, c_uint, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use libc::{iovec, mode_t, off_t, size_t, ssize_t};

pub const K_DATA: u8 = 1;
pub const K_FILE_SYNC: u8 = 2;
pub const K_CREATE: u8 = 3;
pub const K_MKDIR: u8 = 4;
pub const K_RENAME: u8 = 5;
pub const K_UNLINK: u8 = 6;
pub const K_RMDIR: u8 = 7;
pub const K_DIR_SYNC: u8 = 8;
pub const K_LINK: u8 = 9;
pub const K_SYNC_ALL: u8 = 10;
pub const K_UNMODELLED: u8 = 11;

struct Config {
    dir: PathBuf,
    journal_fd: c_int,
    keep: PathBuf,
    readonly: Option<CString>,
}

/// Serialises capture, journal record and the call itself, so that undo records are in
/// the order the changes happened.
static LOCK: Mutex<()> = Mutex::new(());
static KEPT: AtomicU64 = AtomicU64::new(0);
/// Records written so far: a sync record names how many of them it covers.
static SEQ: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set while the shim itself calls libc (through std), so those calls pass through.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Resolves the next definition of a libc function (the real one).
macro_rules! real {
    ($name:literal : $ty:ty) => {{
        static PTR: OnceLock<usize> = OnceLock::new();
        let ptr = *PTR.get_or_init(|| {
            let name = concat!($name, "\0");
            // SAFETY: dlsym with a NUL-terminated name.
            unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr().cast()) as usize }
        });
        if ptr == 0 {
            abort_with(concat!("powercut: libc has no ", $name));
        }
        // SAFETY: the symbol has the C signature `$ty` (libc's).
        unsafe { std::mem::transmute::<usize, $ty>(ptr) }
    }};
}

/// Holds the lock (unless the shim itself is calling) while `$body` runs.
macro_rules! locked {
    ($body:expr) => {{
        let _lock = if INSIDE.with(Cell::get) {
            None
        } else {
            Some(LOCK.lock().unwrap_or_else(|e| e.into_inner()))
        };
        $body
    }};
}

fn abort_with(message: &str) -> ! {
    let line = format!("{message}\n");
    // SAFETY: writing a buffer we own to stderr.
    unsafe {
        libc::syscall(
            libc::SYS_write,
            2,
            line.as_ptr().cast::<c_void>(),
            line.len(),
        );
    }
    std::process::abort()
}

fn config() -> Option<&'static Config> {
    static CONFIG: OnceLock<Option<Config>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let dir = std::env::var_os("POWERCUT_DIR")?;
            let journal = std::env::var_os("POWERCUT_JOURNAL")?;
            let dir = std::fs::canonicalize(&dir)
                .unwrap_or_else(|_| abort_with("powercut: POWERCUT_DIR does not exist"));
            let keep = PathBuf::from(format!("{}.keep", Path::new(&journal).display()));
            let _ = std::fs::create_dir_all(&keep);
            let path = CString::new(journal.as_bytes())
                .unwrap_or_else(|_| abort_with("powercut: bad POWERCUT_JOURNAL"));
            let open = real!("open64": unsafe extern "C" fn(*const c_char, c_int, c_uint) -> c_int);
            // SAFETY: a NUL-terminated path.
            let journal_fd = unsafe {
                open(
                    path.as_ptr(),
                    libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC,
                    0o600,
                )
            };
            if journal_fd < 0 {
                abort_with("powercut: cannot open POWERCUT_JOURNAL");
            }
            let readonly =
                std::env::var_os("POWERCUT_READONLY").and_then(|p| CString::new(p.as_bytes()).ok());
            Some(Config {
                dir,
                journal_fd,
                keep,
                readonly,
            })
        })
        .as_ref()
}

/// Runs `f` with the shim's own libc calls passing through; `None` when the shim is
/// inactive or already inside.
fn guarded<T>(f: impl FnOnce(&'static Config) -> T) -> Option<T> {
    if INSIDE.with(Cell::get) {
        return None;
    }
    INSIDE.with(|c| c.set(true));
    let result = config().map(f);
    INSIDE.with(|c| c.set(false));
    result
}

struct Record(Vec<u8>);

impl Record {
    fn new(kind: u8) -> Record {
        Record(vec![0, 0, 0, 0, kind])
    }
    fn u64(mut self, n: u64) -> Record {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }
    fn bytes(mut self, b: &[u8]) -> Record {
        self = self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
    fn path(self, p: &Path) -> Record {
        self.bytes(p.as_os_str().as_bytes())
    }
    fn write(mut self, config: &Config) {
        let len = u32::try_from(self.0.len() - 4)
            .unwrap_or_else(|_| abort_with("powercut: record too large"));
        self.0[..4].copy_from_slice(&len.to_le_bytes());
        let write = real!("write": unsafe extern "C" fn(c_int, *const c_void, size_t) -> ssize_t);
        // SAFETY: our own buffer, to our own descriptor. One write: O_APPEND places
        // it whole, and a kill -9 cannot split a write to a regular file.
        let n = unsafe { write(config.journal_fd, self.0.as_ptr().cast(), self.0.len()) };
        if n != self.0.len() as ssize_t {
            abort_with("powercut: cannot write the journal");
        }
        SEQ.fetch_add(1, Ordering::SeqCst);
    }
}

fn unmodelled(config: &Config, what: &str) -> ! {
    Record::new(K_UNMODELLED)
        .bytes(what.as_bytes())
        .write(config);
    abort_with(&format!(
        "powercut: {what} under the watched directory cannot be modelled; aborting"
    ))
}

fn under(config: &Config, path: &Path) -> bool {
    path.starts_with(&config.dir) && path != config.dir
}

/// The path a descriptor names (`/proc/self/fd`), without a " (deleted)" suffix.
fn fd_path(fd: c_int) -> Option<PathBuf> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let bytes = link.as_os_str().as_bytes();
    let bytes = bytes.strip_suffix(b" (deleted)").unwrap_or(bytes);
    Some(PathBuf::from(OsStr::from_bytes(bytes)))
}

/// An absolute path for `path` relative to `dirfd`, its parent resolved (the name
/// itself may not exist yet).
fn resolve(dirfd: c_int, path: *const c_char) -> Option<PathBuf> {
    if path.is_null() {
        return None;
    }
    // SAFETY: libc's contract: a NUL-terminated path.
    let raw = Path::new(OsStr::from_bytes(
        unsafe { CStr::from_ptr(path) }.to_bytes(),
    ));
    let joined = if raw.is_absolute() {
        raw.to_path_buf()
    } else if dirfd == libc::AT_FDCWD {
        std::env::current_dir().ok()?.join(raw)
    } else {
        fd_path(dirfd)?.join(raw)
    };
    let name = joined.file_name()?.to_os_string();
    let parent = std::fs::canonicalize(joined.parent()?).ok()?;
    Some(parent.join(name))
}

struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    regular: bool,
    dir: bool,
}

fn fstat(fd: c_int) -> Option<Stat> {
    // SAFETY: a zeroed stat buffer filled by fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some(Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        size: u64::try_from(st.st_size).unwrap_or(0),
        regular: st.st_mode & libc::S_IFMT == libc::S_IFREG,
        dir: st.st_mode & libc::S_IFMT == libc::S_IFDIR,
    })
}

/// The watched regular file behind `fd`, with its path.
fn watched_file(config: &Config, fd: c_int) -> Option<(Stat, PathBuf)> {
    let st = fstat(fd)?;
    if !st.regular {
        return None;
    }
    let path = fd_path(fd)?;
    under(config, &path).then_some((st, path))
}

fn readonly(config: &Config) -> bool {
    config
        .readonly
        .as_ref()
        // SAFETY: a NUL-terminated path.
        .is_some_and(|p| unsafe { libc::access(p.as_ptr(), libc::F_OK) } == 0)
}

/// Journals the bytes `[offset, offset + len)` of a watched file before they change,
/// and its size, reading them from `path` (`/proc/self/fd/N` for a descriptor: that
/// opens a file renamed or unlinked since, and the writer's own may be write-only).
fn journal_data(config: &Config, st: &Stat, path: &Path, offset: u64, len: u64) {
    let end = (offset.saturating_add(len)).min(st.size);
    let mut old = Vec::new();
    if offset < end {
        match std::fs::File::open(path) {
            Ok(file) => {
                use std::os::unix::fs::FileExt;
                old = vec![0; (end - offset) as usize];
                if file.read_exact_at(&mut old, offset).is_err() {
                    abort_with("powercut: cannot read the bytes a write overwrites");
                }
            }
            Err(_) => abort_with("powercut: cannot open a watched file to journal it"),
        }
    }
    Record::new(K_DATA)
        .u64(st.dev)
        .u64(st.ino)
        .u64(offset)
        .u64(st.size)
        .bytes(&old)
        .write(config);
}

/// What a call on a descriptor does before the real call: `Err(errno)` to fail it.
fn before_write(fd: c_int, offset: Option<u64>, len: u64) -> Result<(), c_int> {
    guarded(|config| {
        let Some((st, _)) = watched_file(config, fd) else {
            return Ok(());
        };
        if readonly(config) {
            return Err(libc::EROFS);
        }
        let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
        let offset = match offset {
            Some(o) => o,
            None => {
                // SAFETY: fcntl/lseek on the caller's descriptor, no side effect.
                let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
                if flags >= 0 && flags & libc::O_APPEND != 0 {
                    st.size
                } else {
                    let at = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
                    u64::try_from(at).unwrap_or(0)
                }
            }
        };
        journal_data(config, &st, &path, offset, len);
        Ok(())
    })
    .unwrap_or(Ok(()))
}

fn before_truncate(fd: c_int, new_size: u64) -> Result<(), c_int> {
    guarded(|config| {
        let Some((st, _)) = watched_file(config, fd) else {
            return Ok(());
        };
        if readonly(config) {
            return Err(libc::EROFS);
        }
        let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
        // The bytes cut off (if any), and the old size.
        journal_data(
            config,
            &st,
            &path,
            new_size,
            st.size.saturating_sub(new_size),
        );
        Ok(())
    })
    .unwrap_or(Ok(()))
}

/// The records a sync starting now covers: those whose change is done (taken under
/// the lock, which spans each record and its change).
fn sync_covers() -> u64 {
    locked!(SEQ.load(Ordering::SeqCst))
}

fn after_sync(fd: c_int, covers: u64) {
    guarded(|config| {
        let Some(st) = fstat(fd) else { return };
        let Some(path) = fd_path(fd) else { return };
        if st.regular && under(config, &path) {
            Record::new(K_FILE_SYNC)
                .u64(covers)
                .u64(st.dev)
                .u64(st.ino)
                .write(config);
        } else if st.dir && path.starts_with(&config.dir) {
            Record::new(K_DIR_SYNC)
                .u64(covers)
                .path(&path)
                .write(config);
        }
    });
}

fn errno(e: c_int) {
    // SAFETY: errno is thread-local.
    unsafe { *libc::__errno_location() = e };
}

/// Keeps a hard link to `path` beside the journal, so that an undo can put it back.
fn keep(config: &Config, path: &Path) -> Vec<u8> {
    let n = KEPT.fetch_add(1, Ordering::SeqCst);
    let kept = config.keep.join(format!("{}-{n}", std::process::id()));
    if std::fs::hard_link(path, &kept).is_err() {
        abort_with("powercut: cannot keep a hard link of a removed file");
    }
    kept.as_os_str().as_bytes().to_vec()
}

/// Journals a file creation by `open` with `O_CREAT` (when the name is new), or the
/// data an `O_TRUNC` throws away.
fn before_open(dirfd: c_int, path: *const c_char, flags: c_int) -> Result<(), c_int> {
    if flags & (libc::O_CREAT | libc::O_TRUNC) == 0 {
        return Ok(());
    }
    guarded(|config| {
        let Some(full) = resolve(dirfd, path) else {
            return Ok(());
        };
        if !under(config, &full) {
            return Ok(());
        }
        let exists = std::fs::symlink_metadata(&full).ok();
        match exists {
            None if flags & libc::O_CREAT != 0 => {
                if readonly(config) {
                    return Err(libc::EROFS);
                }
                Record::new(K_CREATE).path(&full).write(config);
            }
            Some(meta) if flags & libc::O_TRUNC != 0 && meta.is_file() && meta.len() > 0 => {
                if readonly(config) {
                    return Err(libc::EROFS);
                }
                use std::os::unix::fs::MetadataExt;
                let st = Stat {
                    dev: meta.dev(),
                    ino: meta.ino(),
                    size: meta.len(),
                    regular: true,
                    dir: false,
                };
                journal_data(config, &st, &full, 0, meta.len());
            }
            _ => {}
        }
        Ok(())
    })
    .unwrap_or(Ok(()))
}

fn ret_err<T: From<i8>>(e: c_int) -> T {
    errno(e);
    T::from(-1)
}

// --- opening -----------------------------------------------------------------------

#[unsafe(no_mangle)]
pub unsafe extern "C" fn open(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    if let Err(e) = before_open(libc::AT_FDCWD, path, flags) {
        return ret_err(e);
    }
    let f = real!("open": unsafe extern "C" fn(*const c_char, c_int, c_uint) -> c_int);
    unsafe { f(path, flags, mode) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn open64(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    if let Err(e) = before_open(libc::AT_FDCWD, path, flags) {
        return ret_err(e);
    }
    let f = real!("open64": unsafe extern "C" fn(*const c_char, c_int, c_uint) -> c_int);
    unsafe { f(path, flags, mode) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn openat(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: c_uint,
) -> c_int {
    if let Err(e) = before_open(dirfd, path, flags) {
        return ret_err(e);
    }
    let f = real!("openat": unsafe extern "C" fn(c_int, *const c_char, c_int, c_uint) -> c_int);
    unsafe { f(dirfd, path, flags, mode) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn openat64(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: c_uint,
) -> c_int {
    if let Err(e) = before_open(dirfd, path, flags) {
        return ret_err(e);
    }
    let f = real!("openat64": unsafe extern "C" fn(c_int, *const c_char, c_int, c_uint) -> c_int);
    unsafe { f(dirfd, path, flags, mode) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn creat(path: *const c_char, mode: mode_t) -> c_int {
    unsafe { open(path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, mode) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn creat64(path: *const c_char, mode: mode_t) -> c_int {
    unsafe { open64(path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, mode) }
}

// --- file data ---------------------------------------------------------------------

#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: size_t) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, None, n as u64) {
            return ret_err(e);
        }
        let f = real!("write": unsafe extern "C" fn(c_int, *const c_void, size_t) -> ssize_t);
        unsafe { f(fd, buf, n) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, Some(off as u64), n as u64) {
            return ret_err(e);
        }
        let f =
            real!("pwrite": unsafe extern "C" fn(c_int, *const c_void, size_t, off_t) -> ssize_t);
        unsafe { f(fd, buf, n, off) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite64(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, Some(off as u64), n as u64) {
            return ret_err(e);
        }
        let f =
            real!("pwrite64": unsafe extern "C" fn(c_int, *const c_void, size_t, off_t) -> ssize_t);
        unsafe { f(fd, buf, n, off) }
    })
}

fn iov_len(iov: *const iovec, count: c_int) -> u64 {
    if iov.is_null() || count <= 0 {
        return 0;
    }
    // SAFETY: libc's contract: `count` iovecs.
    let iovs = unsafe { std::slice::from_raw_parts(iov, count as usize) };
    iovs.iter().map(|v| v.iov_len as u64).sum()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn writev(fd: c_int, iov: *const iovec, count: c_int) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, None, iov_len(iov, count)) {
            return ret_err(e);
        }
        let f = real!("writev": unsafe extern "C" fn(c_int, *const iovec, c_int) -> ssize_t);
        unsafe { f(fd, iov, count) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev(
    fd: c_int,
    iov: *const iovec,
    count: c_int,
    off: off_t,
) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, Some(off as u64), iov_len(iov, count)) {
            return ret_err(e);
        }
        let f =
            real!("pwritev": unsafe extern "C" fn(c_int, *const iovec, c_int, off_t) -> ssize_t);
        unsafe { f(fd, iov, count, off) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev64(
    fd: c_int,
    iov: *const iovec,
    count: c_int,
    off: off_t,
) -> ssize_t {
    locked!({
        if let Err(e) = before_write(fd, Some(off as u64), iov_len(iov, count)) {
            return ret_err(e);
        }
        let f =
            real!("pwritev64": unsafe extern "C" fn(c_int, *const iovec, c_int, off_t) -> ssize_t);
        unsafe { f(fd, iov, count, off) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev2(
    fd: c_int,
    iov: *const iovec,
    count: c_int,
    off: off_t,
    flags: c_int,
) -> ssize_t {
    locked!({
        // An offset of -1 writes at the file position.
        let at = u64::try_from(off).ok();
        if let Err(e) = before_write(fd, at, iov_len(iov, count)) {
            return ret_err(e);
        }
        let f = real!("pwritev2": unsafe extern "C" fn(c_int, *const iovec, c_int, off_t, c_int) -> ssize_t);
        unsafe { f(fd, iov, count, off, flags) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev64v2(
    fd: c_int,
    iov: *const iovec,
    count: c_int,
    off: off_t,
    flags: c_int,
) -> ssize_t {
    unsafe { pwritev2(fd, iov, count, off, flags) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftruncate(fd: c_int, len: off_t) -> c_int {
    locked!({
        if let Err(e) = before_truncate(fd, u64::try_from(len).unwrap_or(0)) {
            return ret_err(e);
        }
        let f = real!("ftruncate": unsafe extern "C" fn(c_int, off_t) -> c_int);
        unsafe { f(fd, len) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftruncate64(fd: c_int, len: off_t) -> c_int {
    locked!({
        if let Err(e) = before_truncate(fd, u64::try_from(len).unwrap_or(0)) {
            return ret_err(e);
        }
        let f = real!("ftruncate64": unsafe extern "C" fn(c_int, off_t) -> c_int);
        unsafe { f(fd, len) }
    })
}

fn refuse_path(what: &str, path: *const c_char) {
    guarded(|config| {
        if resolve(libc::AT_FDCWD, path).is_some_and(|p| under(config, &p)) {
            unmodelled(config, what);
        }
    });
}

fn refuse_fd(what: &str, fd: c_int) {
    guarded(|config| {
        if watched_file(config, fd).is_some() {
            unmodelled(config, what);
        }
    });
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn truncate(path: *const c_char, len: off_t) -> c_int {
    refuse_path("truncate by path", path);
    let f = real!("truncate": unsafe extern "C" fn(*const c_char, off_t) -> c_int);
    unsafe { f(path, len) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn truncate64(path: *const c_char, len: off_t) -> c_int {
    refuse_path("truncate by path", path);
    let f = real!("truncate64": unsafe extern "C" fn(*const c_char, off_t) -> c_int);
    unsafe { f(path, len) }
}

fn before_fallocate(fd: c_int, mode: c_int, off: off_t, len: off_t) -> Result<(), c_int> {
    if mode != 0 {
        refuse_fd("fallocate with flags", fd);
        return Ok(());
    }
    // Mode 0 only extends the file (zeros past the end): undone by the old size.
    let _ = off;
    let _ = len;
    before_write(fd, Some(u64::MAX / 2), 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fallocate(fd: c_int, mode: c_int, off: off_t, len: off_t) -> c_int {
    locked!({
        if let Err(e) = before_fallocate(fd, mode, off, len) {
            return ret_err(e);
        }
        let f = real!("fallocate": unsafe extern "C" fn(c_int, c_int, off_t, off_t) -> c_int);
        unsafe { f(fd, mode, off, len) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fallocate64(fd: c_int, mode: c_int, off: off_t, len: off_t) -> c_int {
    locked!({
        if let Err(e) = before_fallocate(fd, mode, off, len) {
            return ret_err(e);
        }
        let f = real!("fallocate64": unsafe extern "C" fn(c_int, c_int, off_t, off_t) -> c_int);
        unsafe { f(fd, mode, off, len) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_fallocate(fd: c_int, off: off_t, len: off_t) -> c_int {
    locked!({
        if before_fallocate(fd, 0, off, len).is_err() {
            return libc::EROFS;
        }
        let f = real!("posix_fallocate": unsafe extern "C" fn(c_int, off_t, off_t) -> c_int);
        unsafe { f(fd, off, len) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_fallocate64(fd: c_int, off: off_t, len: off_t) -> c_int {
    unsafe { posix_fallocate(fd, off, len) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mmap(
    addr: *mut c_void,
    len: size_t,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: off_t,
) -> *mut c_void {
    if fd >= 0 && prot & libc::PROT_WRITE != 0 && flags & libc::MAP_SHARED != 0 {
        refuse_fd("a shared writable mmap", fd);
    }
    // The raw call, not dlsym's next mmap: malloc maps memory while dlsym may itself
    // be allocating.
    unsafe { libc::syscall(libc::SYS_mmap, addr, len, prot, flags, fd, off) as *mut c_void }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mmap64(
    addr: *mut c_void,
    len: size_t,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: off_t,
) -> *mut c_void {
    unsafe { mmap(addr, len, prot, flags, fd, off) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn copy_file_range(
    fd_in: c_int,
    off_in: *mut off_t,
    fd_out: c_int,
    off_out: *mut off_t,
    len: size_t,
    flags: c_uint,
) -> ssize_t {
    refuse_fd("copy_file_range into a file", fd_out);
    let f = real!("copy_file_range": unsafe extern "C" fn(c_int, *mut off_t, c_int, *mut off_t, size_t, c_uint) -> ssize_t);
    unsafe { f(fd_in, off_in, fd_out, off_out, len, flags) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendfile(out: c_int, fd_in: c_int, off: *mut off_t, n: size_t) -> ssize_t {
    refuse_fd("sendfile into a file", out);
    let f = real!("sendfile": unsafe extern "C" fn(c_int, c_int, *mut off_t, size_t) -> ssize_t);
    unsafe { f(out, fd_in, off, n) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendfile64(
    out: c_int,
    fd_in: c_int,
    off: *mut off_t,
    n: size_t,
) -> ssize_t {
    unsafe { sendfile(out, fd_in, off, n) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn splice(
    fd_in: c_int,
    off_in: *mut off_t,
    fd_out: c_int,
    off_out: *mut off_t,
    len: size_t,
    flags: c_uint,
) -> ssize_t {
    refuse_fd("splice into a file", fd_out);
    let f = real!("splice": unsafe extern "C" fn(c_int, *mut off_t, c_int, *mut off_t, size_t, c_uint) -> ssize_t);
    unsafe { f(fd_in, off_in, fd_out, off_out, len, flags) }
}

// --- syncs -------------------------------------------------------------------------

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fsync(fd: c_int) -> c_int {
    let covers = sync_covers();
    let f = real!("fsync": unsafe extern "C" fn(c_int) -> c_int);
    let r = unsafe { f(fd) };
    if r == 0 {
        locked!(after_sync(fd, covers));
    }
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    let covers = sync_covers();
    let f = real!("fdatasync": unsafe extern "C" fn(c_int) -> c_int);
    let r = unsafe { f(fd) };
    if r == 0 {
        locked!(after_sync(fd, covers));
    }
    r
}

fn sync_all(covers: u64) {
    guarded(|config| Record::new(K_SYNC_ALL).u64(covers).write(config));
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn sync() {
    let covers = sync_covers();
    let f = real!("sync": unsafe extern "C" fn());
    unsafe { f() };
    locked!(sync_all(covers));
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn syncfs(fd: c_int) -> c_int {
    let covers = sync_covers();
    let f = real!("syncfs": unsafe extern "C" fn(c_int) -> c_int);
    let r = unsafe { f(fd) };
    if r == 0 {
        locked!(sync_all(covers));
    }
    r
}

// --- directory entries -------------------------------------------------------------

/// Journals a directory change of `paths` (resolved against `dirfd`) built by `record`
/// when any of them is watched; refuses it with `EROFS` in read-only mode.
fn before_dir_change(
    dirfd: c_int,
    paths: &[*const c_char],
    record: impl FnOnce(&Config, &[PathBuf]) -> Option<Record>,
) -> Result<(), c_int> {
    guarded(|config| {
        let resolved: Vec<PathBuf> = paths
            .iter()
            .map(|p| resolve(dirfd, *p).unwrap_or_default())
            .collect();
        if !resolved.iter().any(|p| under(config, p)) {
            return Ok(());
        }
        if readonly(config) {
            return Err(libc::EROFS);
        }
        if let Some(r) = record(config, &resolved) {
            r.write(config);
        }
        Ok(())
    })
    .unwrap_or(Ok(()))
}

fn rename_record(config: &Config, p: &[PathBuf]) -> Option<Record> {
    let (from, to) = (&p[0], &p[1]);
    if !under(config, from) || !under(config, to) {
        unmodelled(config, "a rename across the watched directory's edge");
    }
    let kept = match std::fs::symlink_metadata(to) {
        Ok(meta) if meta.is_file() => keep(config, to),
        Ok(meta) if meta.is_dir() => unmodelled(config, "a rename replacing a directory"),
        _ => Vec::new(),
    };
    if std::fs::symlink_metadata(from).is_ok_and(|m| m.is_dir()) {
        unmodelled(config, "a directory renamed");
    }
    Some(Record::new(K_RENAME).path(from).path(to).bytes(&kept))
}

fn unlink_record(config: &Config, p: &[PathBuf]) -> Option<Record> {
    match std::fs::symlink_metadata(&p[0]) {
        Ok(meta) if meta.is_file() => {
            let kept = keep(config, &p[0]);
            Some(Record::new(K_UNLINK).path(&p[0]).bytes(&kept))
        }
        Ok(meta) if meta.is_dir() => Some(Record::new(K_RMDIR).path(&p[0])),
        Ok(_) => unmodelled(config, "a symlink removed"),
        Err(_) => None,
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn rename(from: *const c_char, to: *const c_char) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(libc::AT_FDCWD, &[from, to], rename_record) {
            return ret_err(e);
        }
        let f = real!("rename": unsafe extern "C" fn(*const c_char, *const c_char) -> c_int);
        unsafe { f(from, to) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn renameat(
    fromfd: c_int,
    from: *const c_char,
    tofd: c_int,
    to: *const c_char,
) -> c_int {
    locked!({
        if fromfd != tofd {
            refuse_path("renameat with two directory descriptors", from);
        }
        if let Err(e) = before_dir_change(fromfd, &[from, to], rename_record) {
            return ret_err(e);
        }
        let f = real!("renameat": unsafe extern "C" fn(c_int, *const c_char, c_int, *const c_char) -> c_int);
        unsafe { f(fromfd, from, tofd, to) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn renameat2(
    fromfd: c_int,
    from: *const c_char,
    tofd: c_int,
    to: *const c_char,
    flags: c_uint,
) -> c_int {
    locked!({
        if fromfd != tofd || flags & libc::RENAME_EXCHANGE != 0 {
            refuse_path("renameat2 with two descriptors or an exchange", from);
        }
        if let Err(e) = before_dir_change(fromfd, &[from, to], rename_record) {
            return ret_err(e);
        }
        let f = real!("renameat2": unsafe extern "C" fn(c_int, *const c_char, c_int, *const c_char, c_uint) -> c_int);
        unsafe { f(fromfd, from, tofd, to, flags) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn unlink(path: *const c_char) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(libc::AT_FDCWD, &[path], unlink_record) {
            return ret_err(e);
        }
        let f = real!("unlink": unsafe extern "C" fn(*const c_char) -> c_int);
        unsafe { f(path) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmdir(path: *const c_char) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(libc::AT_FDCWD, &[path], unlink_record) {
            return ret_err(e);
        }
        let f = real!("rmdir": unsafe extern "C" fn(*const c_char) -> c_int);
        unsafe { f(path) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn unlinkat(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(dirfd, &[path], unlink_record) {
            return ret_err(e);
        }
        let f = real!("unlinkat": unsafe extern "C" fn(c_int, *const c_char, c_int) -> c_int);
        unsafe { f(dirfd, path, flags) }
    })
}

fn mkdir_record(_: &Config, p: &[PathBuf]) -> Option<Record> {
    if std::fs::symlink_metadata(&p[0]).is_ok() {
        return None; // EEXIST: nothing changes
    }
    Some(Record::new(K_MKDIR).path(&p[0]))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mkdir(path: *const c_char, mode: mode_t) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(libc::AT_FDCWD, &[path], mkdir_record) {
            return ret_err(e);
        }
        let f = real!("mkdir": unsafe extern "C" fn(*const c_char, mode_t) -> c_int);
        unsafe { f(path, mode) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mkdirat(dirfd: c_int, path: *const c_char, mode: mode_t) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(dirfd, &[path], mkdir_record) {
            return ret_err(e);
        }
        let f = real!("mkdirat": unsafe extern "C" fn(c_int, *const c_char, mode_t) -> c_int);
        unsafe { f(dirfd, path, mode) }
    })
}

fn link_record(config: &Config, p: &[PathBuf]) -> Option<Record> {
    if !under(config, &p[1]) {
        return None; // a link made elsewhere changes nothing here
    }
    Some(Record::new(K_LINK).path(&p[1]))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn link(from: *const c_char, to: *const c_char) -> c_int {
    locked!({
        if let Err(e) = before_dir_change(libc::AT_FDCWD, &[from, to], link_record) {
            return ret_err(e);
        }
        let f = real!("link": unsafe extern "C" fn(*const c_char, *const c_char) -> c_int);
        unsafe { f(from, to) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn linkat(
    fromfd: c_int,
    from: *const c_char,
    tofd: c_int,
    to: *const c_char,
    flags: c_int,
) -> c_int {
    locked!({
        if fromfd != tofd {
            refuse_path("linkat with two directory descriptors", to);
        }
        if let Err(e) = before_dir_change(fromfd, &[from, to], link_record) {
            return ret_err(e);
        }
        let f = real!("linkat": unsafe extern "C" fn(c_int, *const c_char, c_int, *const c_char, c_int) -> c_int);
        unsafe { f(fromfd, from, tofd, to, flags) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn symlink(target: *const c_char, path: *const c_char) -> c_int {
    refuse_path("a symlink made", path);
    let f = real!("symlink": unsafe extern "C" fn(*const c_char, *const c_char) -> c_int);
    unsafe { f(target, path) }
}
