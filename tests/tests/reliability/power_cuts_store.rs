//! Power cuts for the hub's state store (issue 22): sled writes its files itself, so no
//! wrapper of ours sees them; the power cut is simulated under the process instead, by
//! the `LD_PRELOAD` shim `tests/powercut` (LazyFS-style: its module doc says what it
//! journals and what makes each change durable). A process runs with the shim watching
//! its data directory, is killed with SIGKILL at a random moment, and [`Journal::rollback`]
//! undoes every change no sync made durable. Then everything acknowledged must be
//! there, and nothing believed that was never acknowledged or never written whole.
//!
//! - `the_rollback_keeps_exactly_what_was_synced`: the simulation itself, on small
//!   file scenarios (a write after the last fsync is gone; a file whose directory was
//!   never synced is gone; a rename or an unlink not made durable is undone), and an
//!   operation it cannot model is refused, not passed.
//! - `acknowledged_store_batches_survive_power_cuts`: the sled store (`SledStore`) in
//!   a child process applying batches from several threads, cut at random moments.
//! - `batches_applied_soon_survive_power_cuts_once_soon_has_passed`: batches applied
//!   with `Store::apply_soon` are durable by the store's background barrier within
//!   `SOON`, with no other write to carry them.
//! - `a_store_without_its_syncs_loses_acknowledged_batches_at_a_power_cut`: the
//!   control. With the store's sync after sled's flush left out (sled's flush alone
//!   ends with `sync_file_range`, which makes nothing durable), or the flush left out
//!   too, acknowledged batches are lost at every cut, and the check sees it.
//! - `acknowledged_changes_survive_power_cuts_of_a_running_hub`: a real `hub serve`
//!   with the shim watching its whole data directory (state store and decision log;
//!   the key store lives outside it), under case changes from two clients, cut at random moments; after each
//!   restart every acknowledged change is there, the log verifies, and (every fifth cut)
//!   nothing is stored that the log does not record.
//! - `a_running_hubs_data_directory_turned_read_only_fails_closed_is_reported_and_recovers`:
//!   the shim's read-only switch makes every write under a running hub's data
//!   directory fail with EROFS (the kernel refuses a read-only remount while files are
//!   open for writing): the hub fails closed, says so in `/healthz`, and recovers.
//!
//! `RELIABILITY_SCALE=N` multiplies the number of cuts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use treiter_hub::log::{LogKey, verify_dir};
use treiter_hub::store::{Batch, SledStore, Store as _};
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
// The store's keyspaces cannot be named outside the hub; a public table of opaque
// values (the witness alerts, by a free-form key) carries the test's records.
use treiter_hub::tables::meta::{delete_witness_alert, put_witness_alert, witness_alerts};

use super::crash_points::{
    Acked, Cases, IM_OOST, Process, SDR_OOST, Shared, acked_against_log, check, connect, load,
    log_entries, stored_against_log,
};
use super::{Kind, config, tally};
use crate::support::{Pki, hub_config_text, log_key_path, workspace_bin};

// --- the shim and its journal ----------------------------------------------------------

// The record kinds of the shim's journal (`tests/powercut/src/lib.rs`, `K_*`).
const K_DATA: u8 = 1;
const K_FILE_SYNC: u8 = 2;
const K_CREATE: u8 = 3;
const K_MKDIR: u8 = 4;
const K_RENAME: u8 = 5;
const K_UNLINK: u8 = 6;
const K_RMDIR: u8 = 7;
const K_DIR_SYNC: u8 = 8;
const K_LINK: u8 = 9;
const K_SYNC_ALL: u8 = 10;
const K_UNMODELLED: u8 = 11;

/// The shim, built by `cargo test --workspace` (the tests crate depends on it) beside
/// the test binaries.
fn shim() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let path = exe
        .parent()
        .expect("target/<profile>/deps")
        .join("libtreiter_powercut.so");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p treiter-powercut` (cargo test \
         --workspace does)",
        path.display()
    );
    path
}

/// Where the shim journals the changes one process makes under `watched`.
struct Journal {
    watched: PathBuf,
    path: PathBuf,
}

/// What a rollback found.
#[derive(Debug, Default)]
struct Undone {
    /// Records in the journal.
    records: usize,
    /// Changes undone (not made durable by a sync).
    undone: usize,
}

impl Journal {
    /// A journal in `at` (outside `watched`, on the same file system: it keeps hard
    /// links of removed files).
    fn new(watched: &Path, at: &Path) -> Journal {
        Journal {
            watched: std::fs::canonicalize(watched).expect("the watched directory"),
            path: at.join("powercut.journal"),
        }
    }

    fn keep_dir(&self) -> PathBuf {
        PathBuf::from(format!("{}.keep", self.path.display()))
    }

    /// Runs `command` under the shim, beside what is preloaded already (`.ci/run`'s
    /// second e2e run preloads libfaketime into the tests and every process they
    /// start, which must keep one clock).
    fn preload(&self, command: &mut Command) {
        let mut preload = shim().into_os_string();
        if let Some(others) = std::env::var_os("LD_PRELOAD").filter(|o| !o.is_empty()) {
            preload.push(":");
            preload.push(others);
        }
        command
            .env("LD_PRELOAD", preload)
            .env("POWERCUT_DIR", &self.watched)
            .env("POWERCUT_JOURNAL", &self.path);
    }

    /// After the process was killed: undoes, newest first, every change no sync made
    /// durable, leaving what a power cut would have left; then starts a fresh journal.
    /// An operation the shim could not model fails the rollback.
    fn rollback(&self) -> Result<Undone, String> {
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        let records = parse(&bytes)?;
        if let Some(Record::Unmodelled(what)) =
            records.iter().find(|r| matches!(r, Record::Unmodelled(_)))
        {
            return Err(format!("the shim could not model {what}"));
        }
        // How many records each sync covers (the records before it started).
        let mut file_synced: HashMap<(u64, u64), u64> = HashMap::new();
        let mut dir_synced: HashMap<PathBuf, u64> = HashMap::new();
        let mut all_synced = 0u64;
        for record in &records {
            match record {
                Record::FileSync { covers, dev, ino } => {
                    let e = file_synced.entry((*dev, *ino)).or_default();
                    *e = (*e).max(*covers);
                }
                Record::DirSync { covers, path } => {
                    let e = dir_synced.entry(path.clone()).or_default();
                    *e = (*e).max(*covers);
                }
                Record::SyncAll { covers } => all_synced = all_synced.max(*covers),
                _ => {}
            }
        }
        let entry_durable = |i: u64, path: &Path| {
            i < all_synced
                || path
                    .parent()
                    .and_then(|p| dir_synced.get(p))
                    .is_some_and(|c| i < *c)
        };
        let mut inodes = Inodes::new(&self.watched, &self.keep_dir());
        let mut undone = Undone {
            records: records.len(),
            ..Undone::default()
        };
        for (i, record) in records.iter().enumerate().rev() {
            let i = i as u64;
            let durable = match record {
                Record::Data { dev, ino, .. } => {
                    i < all_synced || file_synced.get(&(*dev, *ino)).is_some_and(|c| i < *c)
                }
                Record::Create(p) | Record::Mkdir(p) | Record::Link(p) | Record::Rmdir(p) => {
                    entry_durable(i, p)
                }
                Record::Unlink { path, .. } => entry_durable(i, path),
                Record::Rename { from, to, .. } => entry_durable(i, from) && entry_durable(i, to),
                _ => true,
            };
            if durable {
                continue;
            }
            undone.undone += 1;
            undo(record, &mut inodes).map_err(|e| format!("undoing {record:?}: {e}"))?;
        }
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir_all(self.keep_dir());
        Ok(undone)
    }
}

#[derive(Debug)]
enum Record {
    Data {
        dev: u64,
        ino: u64,
        offset: u64,
        old_size: u64,
        old: Vec<u8>,
    },
    FileSync {
        covers: u64,
        dev: u64,
        ino: u64,
    },
    Create(PathBuf),
    Mkdir(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
        kept: Option<PathBuf>,
    },
    Unlink {
        path: PathBuf,
        kept: PathBuf,
    },
    Rmdir(PathBuf),
    DirSync {
        covers: u64,
        path: PathBuf,
    },
    Link(PathBuf),
    SyncAll {
        covers: u64,
    },
    Unmodelled(String),
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u64(&mut self) -> Result<u64, String> {
        let (head, rest) = self
            .0
            .split_at_checked(8)
            .ok_or("a journal record ends early")?;
        self.0 = rest;
        Ok(u64::from_le_bytes(head.try_into().map_err(|_| "length")?))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let len = usize::try_from(self.u64()?).map_err(|_| "length")?;
        let (head, rest) = self
            .0
            .split_at_checked(len)
            .ok_or("a journal record ends early")?;
        self.0 = rest;
        Ok(head.to_vec())
    }
    fn path(&mut self) -> Result<PathBuf, String> {
        use std::os::unix::ffi::OsStringExt;
        Ok(PathBuf::from(std::ffi::OsString::from_vec(self.bytes()?)))
    }
}

/// The journal's records; a record cut short at the end (the process killed while
/// writing it) was never followed by its change and is left out.
fn parse(mut bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    while bytes.len() >= 4 {
        let len = u32::from_le_bytes(bytes[..4].try_into().map_err(|_| "length")?) as usize;
        let Some(body) = bytes.get(4..4 + len) else {
            break;
        };
        bytes = &bytes[4 + len..];
        let (&kind, rest) = body.split_first().ok_or("an empty journal record")?;
        let mut r = Reader(rest);
        records.push(match kind {
            K_DATA => Record::Data {
                dev: r.u64()?,
                ino: r.u64()?,
                offset: r.u64()?,
                old_size: r.u64()?,
                old: r.bytes()?,
            },
            K_FILE_SYNC => Record::FileSync {
                covers: r.u64()?,
                dev: r.u64()?,
                ino: r.u64()?,
            },
            K_CREATE => Record::Create(r.path()?),
            K_MKDIR => Record::Mkdir(r.path()?),
            K_RENAME => {
                let (from, to, kept) = (r.path()?, r.path()?, r.path()?);
                Record::Rename {
                    from,
                    to,
                    kept: (!kept.as_os_str().is_empty()).then_some(kept),
                }
            }
            K_UNLINK => Record::Unlink {
                path: r.path()?,
                kept: r.path()?,
            },
            K_RMDIR => Record::Rmdir(r.path()?),
            K_DIR_SYNC => Record::DirSync {
                covers: r.u64()?,
                path: r.path()?,
            },
            K_LINK => Record::Link(r.path()?),
            K_SYNC_ALL => Record::SyncAll { covers: r.u64()? },
            K_UNMODELLED => Record::Unmodelled(String::from_utf8_lossy(&r.bytes()?).into_owned()),
            other => return Err(format!("unknown journal record kind {other}")),
        });
    }
    Ok(records)
}

/// Finds a file by its inode under the watched directory or among the kept links.
struct Inodes {
    roots: Vec<PathBuf>,
    known: HashMap<(u64, u64), PathBuf>,
}

impl Inodes {
    fn new(watched: &Path, keep: &Path) -> Inodes {
        Inodes {
            roots: vec![watched.to_path_buf(), keep.to_path_buf()],
            known: HashMap::new(),
        }
    }

    fn find(&mut self, dev: u64, ino: u64) -> Option<PathBuf> {
        let still =
            |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.dev() == dev && m.ino() == ino);
        if let Some(p) = self.known.get(&(dev, ino))
            && still(p)
        {
            return Some(p.clone());
        }
        self.known.clear();
        let mut stack = self.roots.clone();
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    stack.push(entry.path());
                } else if meta.is_file() {
                    self.known.insert((meta.dev(), meta.ino()), entry.path());
                }
            }
        }
        self.known.get(&(dev, ino)).cloned()
    }
}

fn undo(record: &Record, inodes: &mut Inodes) -> std::io::Result<()> {
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    match record {
        Record::Data {
            dev,
            ino,
            offset,
            old_size,
            old,
        } => {
            // Gone with an undone creation: nothing to put back.
            let Some(path) = inodes.find(*dev, *ino) else {
                return Ok(());
            };
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            if !old.is_empty() {
                file.write_all_at(old, *offset)?;
            }
            file.set_len(*old_size)?;
        }
        Record::Create(path) | Record::Link(path) => {
            if exists(path) {
                std::fs::remove_file(path)?;
            }
        }
        Record::Mkdir(path) => {
            if exists(path) {
                std::fs::remove_dir_all(path)?;
            }
        }
        Record::Rename { from, to, kept } => {
            // Not done if the process died between the record and the call.
            if !exists(from) && exists(to) {
                std::fs::rename(to, from)?;
                if let Some(kept) = kept {
                    std::fs::hard_link(kept, to)?;
                }
            }
        }
        Record::Unlink { path, kept } => {
            if !exists(path) {
                std::fs::hard_link(kept, path)?;
            }
        }
        Record::Rmdir(path) => {
            if !exists(path) {
                std::fs::create_dir(path)?;
            }
        }
        Record::FileSync { .. }
        | Record::DirSync { .. }
        | Record::SyncAll { .. }
        | Record::Unmodelled(_) => {}
    }
    Ok(())
}

// --- the simulation itself ---------------------------------------------------------

const SCENARIO_ENV: &str = "TREITER_POWERCUT_SCENARIO_DIR";

fn sync_dir(dir: &Path) {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .expect("sync dir");
}

/// Not a test on its own: the file operations the child process makes under the shim
/// (it returns at once in a normal test run, where the environment variable is unset).
#[test]
fn powercut_scenario_child() {
    use std::io::Write as _;
    let Ok(dir) = std::env::var(SCENARIO_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    // Synced data, then a write after the sync.
    let mut synced = std::fs::File::create(dir.join("synced")).expect("create");
    sync_dir(dir);
    synced.write_all(b"first").expect("write");
    synced.sync_all().expect("fsync");
    synced.write_all(b" second").expect("write");
    synced.write_all_at(b"F", 0).expect("pwrite");
    // A file synced, but its directory entry never.
    std::fs::create_dir(dir.join("sub")).expect("mkdir");
    std::fs::create_dir(dir.join("other")).expect("mkdir");
    sync_dir(dir);
    let mut orphan = std::fs::File::create(dir.join("sub/orphan")).expect("create");
    orphan.write_all(b"data").expect("write");
    orphan.sync_all().expect("fsync");
    // A rename replacing a synced file, and an unlink, neither made durable.
    std::fs::write(dir.join("config"), b"old").expect("write");
    std::fs::File::open(dir.join("config"))
        .and_then(|f| f.sync_all())
        .expect("fsync");
    std::fs::write(dir.join("gone"), b"kept").expect("write");
    std::fs::File::open(dir.join("gone"))
        .and_then(|f| f.sync_all())
        .expect("fsync");
    sync_dir(dir);
    std::fs::write(dir.join("config.tmp"), b"new").expect("write");
    std::fs::File::open(dir.join("config.tmp"))
        .and_then(|f| f.sync_all())
        .expect("fsync");
    std::fs::rename(dir.join("config.tmp"), dir.join("config")).expect("rename");
    std::fs::remove_file(dir.join("gone")).expect("unlink");
    // Truncated after its sync.
    std::fs::File::options()
        .write(true)
        .open(dir.join("synced"))
        .and_then(|f| f.set_len(2))
        .expect("truncate");
    // A rename made durable by a sync of its directory (another one).
    let other = dir.join("other");
    std::fs::write(other.join("durable.tmp"), b"durable").expect("write");
    std::fs::File::open(other.join("durable.tmp"))
        .and_then(|f| f.sync_all())
        .expect("fsync");
    std::fs::rename(other.join("durable.tmp"), other.join("durable")).expect("rename");
    sync_dir(&other);
    if std::env::var_os("TREITER_POWERCUT_UNMODELLED").is_some() {
        // A symlink: the shim cannot model it, and must refuse (abort), not pass.
        let _ = std::os::unix::fs::symlink("synced", dir.join("link"));
    }
    println!("done");
}

fn run_scenario(unmodelled: bool) -> (tempfile::TempDir, Journal, std::process::Output) {
    let root = tempfile::tempdir().expect("tmp");
    let watched = root.path().join("data");
    std::fs::create_dir(&watched).expect("mkdir");
    let journal = Journal::new(&watched, root.path());
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "reliability::power_cuts_store::powercut_scenario_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO_ENV, &journal.watched);
    if unmodelled {
        command.env("TREITER_POWERCUT_UNMODELLED", "1");
    }
    journal.preload(&mut command);
    let out = command.output().expect("run the scenario");
    (root, journal, out)
}

#[test]
fn the_rollback_keeps_exactly_what_was_synced() {
    let (_root, journal, out) = run_scenario(false);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("done"),
        "the scenario did not finish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = journal.watched.clone();
    // Before the cut, the process's view.
    assert_eq!(std::fs::read(dir.join("synced")).expect("read"), b"Fi");
    assert_eq!(std::fs::read(dir.join("config")).expect("read"), b"new");
    let undone = journal.rollback().expect("rollback");
    assert!(
        undone.undone > 0 && undone.records > undone.undone,
        "{undone:?}"
    );
    assert_eq!(
        std::fs::read(dir.join("synced")).expect("read"),
        b"first",
        "only the synced write survives (the later write, pwrite and truncation gone)"
    );
    assert!(
        !dir.join("sub/orphan").exists(),
        "a file whose directory entry was never synced is gone"
    );
    assert!(dir.join("sub").is_dir(), "the synced directory stays");
    assert_eq!(
        std::fs::read(dir.join("config")).expect("read"),
        b"old",
        "a rename not made durable is undone"
    );
    assert!(
        !dir.join("config.tmp").exists(),
        "its source was never durable"
    );
    assert_eq!(
        std::fs::read(dir.join("gone")).expect("read"),
        b"kept",
        "an unlink not made durable is undone"
    );
    assert_eq!(
        std::fs::read(dir.join("other/durable")).expect("read"),
        b"durable",
        "a rename made durable stays"
    );
    assert!(!dir.join("other/durable.tmp").exists());
    tally("power-cuts-shim", Kind::PowerCuts, 1, 0, 0);
}

#[test]
fn an_operation_the_shim_cannot_model_is_refused() {
    let (_root, journal, out) = run_scenario(true);
    assert!(
        !out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("done"),
        "the process went on after an unmodelled operation"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be modelled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match journal.rollback() {
        Err(e) => assert!(e.contains("a symlink made"), "{e}"),
        Ok(undone) => panic!("the rollback passed an unmodelled operation: {undone:?}"),
    }
}

// --- the sled store in a child process -------------------------------------------------

const STORE_CHILD_ENV: &str = "TREITER_POWERCUT_STORE_DIR";
const STORE_FAULT_ENV: &str = "TREITER_POWERCUT_STORE_FAULT";

fn value(key: &str) -> Vec<u8> {
    // Different lengths, so that a value cut short or from another key shows.
    let mut v = key.as_bytes().repeat(1 + key.len() % 7);
    v.extend_from_slice(&[0x5a; 300]);
    v
}

/// Not a test on its own: the child applies batches to the store from three threads,
/// printing each acknowledged one (it returns at once in a normal test run).
#[test]
fn powercut_store_child() {
    let Ok(dir) = std::env::var(STORE_CHILD_ENV) else {
        return;
    };
    let round = std::env::var("TREITER_POWERCUT_ROUND").unwrap_or_default();
    let store = SledStore::open(Path::new(&dir)).expect("open");
    let fault = std::env::var(STORE_FAULT_ENV).unwrap_or_default();
    match fault.as_str() {
        "sync" => store.faults().skip_sync_after_flush(),
        "flush" | "soon-flush" => store.faults().skip_flush(),
        _ => {}
    }
    // `soon`: batches applied with `apply_soon`, acknowledged ten at a time once three
    // times `SOON` passed, with no other write in between.
    let soon = fault.starts_with("soon");
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (store, out, round) = (store.clone(), out.clone(), round.clone());
            std::thread::spawn(move || {
                use std::io::Write as _;
                let mut applied = Vec::new();
                for n in 0..20_000 {
                    let key = format!("r{round}-t{t}-{n:05}");
                    let write = |batch: Batch| {
                        if soon {
                            store.apply_soon(batch).expect("apply soon");
                        } else {
                            store.apply(batch).expect("apply");
                        }
                    };
                    if n > 0 && n % 9 == 0 {
                        // A delete too, in a batch of its own (a single key takes another
                        // path into sled than a batch): acknowledged deletions must stay
                        // deleted.
                        let mut batch = Batch::new();
                        delete_witness_alert(&mut batch, &format!("r{round}-t{t}-{:05}", n - 1));
                        write(batch);
                    }
                    if n % 9 == 3 {
                        // The pair as two single-key batches, the pair first: after a
                        // cut the record may be missing while its pair is there (not
                        // acknowledged yet), never the other way round.
                        let mut pair = Batch::new();
                        put_witness_alert(&mut pair, &format!("{key}#"), key.clone().into_bytes());
                        write(pair);
                        let mut record = Batch::new();
                        put_witness_alert(&mut record, &key, value(&key));
                        write(record);
                    } else {
                        // Two records in one batch (atomicity is part of the promise).
                        let mut batch = Batch::new();
                        put_witness_alert(&mut batch, &key, value(&key));
                        put_witness_alert(&mut batch, &format!("{key}#"), key.clone().into_bytes());
                        write(batch);
                    }
                    applied.push(key);
                    if soon {
                        if applied.len() < 10 {
                            continue;
                        }
                        std::thread::sleep(treiter_hub::store::sled_store::SOON * 3);
                    }
                    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                    for key in applied.drain(..) {
                        let _ = writeln!(out, "acknowledged {key}");
                    }
                    let _ = out.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

/// Starts the store child on `dir` under the shim, kills it once it acknowledged
/// `kill_after` batches, and returns the keys it acknowledged.
fn cut_store_child(journal: &Journal, round: u32, kill_after: usize, fault: &str) -> Vec<String> {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "reliability::power_cuts_store::powercut_store_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(STORE_CHILD_ENV, &journal.watched)
        .env(STORE_FAULT_ENV, fault)
        .env("TREITER_POWERCUT_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    journal.preload(&mut command);
    let mut child = command.spawn().expect("spawn the store child");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked = Vec::new();
    let start = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(key) = line.strip_prefix("acknowledged ") {
            acked.push(key.to_owned());
            if acked.len() >= kill_after {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the store child is too slow"
        );
    }
    // The power cut: whatever it wrote after this moment is not on "disk" either.
    let _ = child.kill();
    let _ = child.wait();
    acked
}

/// What a rollback and reopen of the store showed.
#[derive(Debug, Default)]
struct StoreRound {
    lost: Vec<String>,
    invented: Vec<String>,
}

/// Checks the store after a cut: every acknowledged batch whole (both keyspaces, the
/// value unchanged), every acknowledged deletion still deleted, and nothing there
/// that was never written whole.
fn check_store(dir: &Path, acked: &BTreeMap<String, Promised>) -> StoreRound {
    let mut round = StoreRound::default();
    let store = match SledStore::open(dir) {
        Ok(store) => store,
        Err(e) => {
            round.lost.push(format!("the store does not open: {e}"));
            return round;
        }
    };
    let stored: BTreeMap<String, Vec<u8>> = match witness_alerts(&store) {
        Ok(all) => all.into_iter().collect(),
        Err(e) => {
            round.lost.push(format!("the store does not scan: {e}"));
            return round;
        }
    };
    for (key, promised) in acked {
        let record = stored.get(key);
        let pair = stored.get(&format!("{key}#"));
        let (may_be_there, may_be_gone) = match promised {
            Promised::There => (true, false),
            Promised::Deleted => (false, true),
            Promised::Either => (true, true),
        };
        match (record, pair) {
            (None, Some(m)) if may_be_gone && m == key.as_bytes() => {}
            (Some(v), Some(m)) if may_be_there && *v == value(key) && m == key.as_bytes() => {}
            (Some(_), Some(_)) if !may_be_there => {
                round
                    .lost
                    .push(format!("{key}: its acknowledged deletion is undone"));
            }
            (record, pair) => round.lost.push(format!(
                "{key}: record {}, its pair {}",
                if record.is_some() { "wrong" } else { "missing" },
                if pair.is_some() { "there" } else { "missing" }
            )),
        }
    }
    for (key, v) in &stored {
        let known = match key.strip_suffix('#') {
            Some(base) => {
                v == base.as_bytes() && stored.get(base).is_none_or(|r| *r == value(base))
            }
            None => *v == value(key) && stored.contains_key(&format!("{key}#")),
        };
        if !known {
            round
                .invented
                .push(format!("{key}: a record never written whole"));
        }
    }
    round
}

/// What an acknowledged key promises after a cut.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Promised {
    /// Its batch was acknowledged: record and pair there.
    There,
    /// The batch deleting its record was acknowledged: the pair there, the record gone.
    Deleted,
    /// The batch deleting its record may have been in flight at the cut: the pair
    /// there, the record there or gone.
    Either,
}

/// Runs `cuts` power cuts of the store child on one store directory (each round goes
/// on from what the last cut left), with `fault` set in the child; returns the number
/// of acknowledged batches and the failures.
fn store_cuts(cuts: u32, fault: &str) -> (u64, Vec<String>) {
    let root = tempfile::tempdir().expect("tmp");
    let dir = root.path().join("state");
    std::fs::create_dir(&dir).expect("mkdir");
    let journal = Journal::new(&dir, root.path());
    let mut runner = TestRunner::new(config(cuts));
    let mut acked: BTreeMap<String, Promised> = BTreeMap::new();
    let (mut total, mut failures) = (0u64, Vec::new());
    for cut in 0..cuts {
        let kill_after = (1usize..120).new_tree(&mut runner).expect("draw").current();
        let keys = cut_store_child(&journal, cut, kill_after, fault);
        total += keys.len() as u64;
        for key in keys {
            let Some((prefix, n)) = key.rsplit_once('-') else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            // Batch n deletes the record of n - 1 (same thread): acknowledged, it is
            // gone; until then, once n - 1 is acknowledged, it may be either.
            if n > 0 && n % 9 == 0 {
                acked.insert(format!("{prefix}-{:05}", n - 1), Promised::Deleted);
            }
            let promised = if (n + 1) % 9 == 0 {
                Promised::Either
            } else {
                Promised::There
            };
            acked.entry(key).or_insert(promised);
        }
        if let Err(e) = journal.rollback() {
            failures.push(format!("cut {cut}: {e}"));
            break;
        }
        let round = check_store(&dir, &acked);
        if !round.lost.is_empty() || !round.invented.is_empty() {
            failures.push(format!(
                "cut {cut} (after {kill_after} acknowledged): {} lost {:?}; {} invented {:?}",
                round.lost.len(),
                round.lost.iter().take(3).collect::<Vec<_>>(),
                round.invented.len(),
                round.invented.iter().take(3).collect::<Vec<_>>()
            ));
            // Go on from a state the next round can check again.
            for key in round.lost.iter().filter_map(|l| l.split(':').next()) {
                acked.remove(key);
            }
        }
    }
    (total, failures)
}

#[test]
fn acknowledged_store_batches_survive_power_cuts() {
    let cuts = config(24).cases;
    let (acknowledged, failures) = store_cuts(cuts, "");
    tally(
        "power-cuts-store",
        Kind::PowerCuts,
        u64::from(cuts),
        failures.len() as u64,
        0,
    );
    tally(
        "power-cuts-store-acknowledged",
        Kind::AcknowledgedChecked,
        acknowledged,
        failures.len() as u64,
        0,
    );
    assert!(acknowledged > 0, "nothing was acknowledged before the cuts");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `Store::apply_soon`: a batch is durable within `SOON` of being applied with no other
/// write to carry it (the background barrier alone), so every batch acknowledged after
/// that wait survives the cut.
#[test]
fn batches_applied_soon_survive_power_cuts_once_soon_has_passed() {
    let cuts = config(6).cases;
    let (acknowledged, failures) = store_cuts(cuts, "soon");
    tally(
        "power-cuts-store-soon",
        Kind::PowerCuts,
        u64::from(cuts),
        failures.len() as u64,
        0,
    );
    assert!(acknowledged > 0, "nothing was acknowledged before the cuts");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The check can fail: without the store's sync after sled's flush (sled's flush
/// alone), or without the flush too (for `apply_soon`: its background barrier left
/// out), acknowledged batches are lost at the cut.
#[test]
fn a_store_without_its_syncs_loses_acknowledged_batches_at_a_power_cut() {
    for fault in ["sync", "flush", "soon-flush"] {
        let (acknowledged, failures) = store_cuts(3, fault);
        assert!(acknowledged > 0, "{fault}: nothing was acknowledged");
        assert_eq!(
            failures.len(),
            3,
            "{fault}: every cut loses acknowledged batches: {failures:#?}"
        );
        assert!(failures.iter().all(|f| f.contains("lost")), "{failures:#?}");
    }
}

// --- a running hub -------------------------------------------------------------------

/// Starts `hub serve` under the shim (watching its data directory), its stderr to
/// `stderr` (a file: a pipe nobody reads while it runs could fill and stall it).
fn spawn_hub_under(journal: &Journal, config: &Path, stderr: &Path) -> Process {
    let log = std::fs::File::create(stderr).expect("the hub's stderr file");
    let mut command = Command::new(workspace_bin("hub"));
    command
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(log);
    journal.preload(&mut command);
    Process(command.spawn().expect("start hub"))
}

/// The end of what the killed hub said on stderr (the shim's refusal, a panic).
fn said(stderr: &Path) -> String {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    let skip = text.chars().count().saturating_sub(2000);
    text.chars().skip(skip).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_power_cuts_of_a_running_hub() {
    let cuts = config(20).cases;
    let pki = Pki::new();
    let dir = pki.dir.path();
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let listen = std::net::SocketAddr::new(ip, crate::support::stable_port(ip));
    let data_dir = dir.join("hub-data");
    let hub_config = dir.join("hub.toml");
    std::fs::write(&hub_config, hub_config_text(&pki, listen, None, &data_dir)).expect("write");
    // The data directory, on disk before the first start (the shim watches it); the hub
    // creates `log` in it and syncs it into the data directory.
    std::fs::create_dir_all(&data_dir).expect("data dir");
    sync_dir(&data_dir);
    let journal = Journal::new(&data_dir, dir);
    let key = LogKey::load(&log_key_path(&pki), treiter_hub::state::LOG_ORIGIN).expect("log key");
    let log_dir = data_dir.join("log");

    let mut runner = TestRunner::new(config(cuts));
    let (mut all, mut wrong): (Vec<Acked>, Vec<String>) = (Vec::new(), Vec::new());
    let mut gone = BTreeSet::new();
    let ready: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut undone = 0usize;
    let stderr = dir.join("hub.stderr");
    let mut hub = spawn_hub_under(&journal, &hub_config, &stderr);
    let mut sdr = connect(&pki, SDR_OOST, listen).await;
    let mut im = connect(&pki, IM_OOST, listen).await;
    for cut in 1..=cuts {
        let acked: Shared = Arc::default();
        let tasks = [
            tokio::spawn(load(
                sdr.clone(),
                format!("p{cut}-sdr"),
                Cases::Closing,
                acked.clone(),
                ready.clone(),
            )),
            tokio::spawn(load(
                im.clone(),
                format!("p{cut}-im"),
                Cases::ForFiles,
                acked.clone(),
                ready.clone(),
            )),
        ];
        let wait = (0u64..300).new_tree(&mut runner).expect("draw").current();
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let before: Vec<Acked> = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // The power cut.
        hub.0.kill().expect("kill -9 the hub");
        hub.0.wait().expect("reap the hub");
        for task in tasks {
            let _ = task.await;
        }
        match journal.rollback() {
            Ok(u) => undone += u.undone,
            Err(e) => {
                wrong.push(format!("cut {cut}: {e}; the hub said: {}", said(&stderr)));
                break;
            }
        }
        if let Err(e) = verify_dir(&log_dir, &key, &[]) {
            wrong.push(format!(
                "cut {cut}: the log does not verify after the cut: {e}"
            ));
            break;
        }
        if cut % 5 == 0 {
            match log_entries(&log_dir, &log_key_path(&pki)) {
                Ok(entries) => wrong.extend(
                    stored_against_log(&pki, &data_dir, &entries)
                        .await
                        .into_iter()
                        .map(|w| format!("cut {cut}: {w}")),
                ),
                Err(e) => wrong.push(format!("cut {cut}: {e}")),
            }
        }
        hub = spawn_hub_under(&journal, &hub_config, &stderr);
        sdr = connect(&pki, SDR_OOST, listen).await;
        im = connect(&pki, IM_OOST, listen).await;
        wrong.extend(
            check(&pki, listen, &sdr, &im, &before, &mut gone)
                .await
                .into_iter()
                .map(|w| format!("cut {cut}: {w}")),
        );
        all.extend(before);
        if !wrong.is_empty() {
            break;
        }
    }
    // At the end: everything acknowledged through all the cuts, each with the log
    // entry its answer named, nothing stored without its entry, `hub log verify`.
    wrong.extend(check(&pki, listen, &sdr, &im, &all, &mut gone).await);
    hub.0.kill().expect("stop the hub");
    hub.0.wait().expect("reap the hub");
    let _ = journal.rollback();
    match log_entries(&log_dir, &log_key_path(&pki)) {
        Ok(entries) => {
            wrong.extend(acked_against_log(&all, &entries, &gone));
            wrong.extend(stored_against_log(&pki, &data_dir, &entries).await);
        }
        Err(e) => wrong.push(e),
    }
    let out = Command::new(workspace_bin("hub"))
        .args(["log", "verify", "--config"])
        .arg(&hub_config)
        .output()
        .expect("hub log verify");
    if !out.status.success() {
        wrong.push(format!(
            "hub log verify: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    eprintln!(
        "power cuts of the hub: {cuts} cuts, {} acknowledged changes checked, {undone} unsynced changes undone",
        all.len()
    );
    tally(
        "power-cuts-hub",
        Kind::PowerCuts,
        u64::from(cuts),
        wrong.len() as u64,
        0,
    );
    tally(
        "power-cuts-hub-acknowledged",
        Kind::AcknowledgedChecked,
        all.len() as u64,
        wrong.len() as u64,
        0,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        !all.is_empty(),
        "no change was acknowledged between the cuts"
    );
    assert!(undone > 0, "no cut undid anything: the shim saw no writes");
}

// --- a running hub's data directory turned read-only ---------------------------------

/// The raw HTTP/1.1 answer to `GET path` at `addr`.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("write");
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut text))
        .await
        .expect("answered within 10 s")
        .expect("read");
    text
}

async fn add_subject(
    sdr: &mut CoordinatorClient<HubChannel>,
    case: &str,
    n: usize,
) -> Result<wire::CaseUpdate, tonic::Status> {
    sdr.add_subject(wire::AddSubjectRequest {
        client_request_id: format!("ro-{n}"),
        case_id: case.to_owned(),
        subject: Some(wire::SubjectPseudonym {
            hex: subject_hex(n),
        }),
        role: "melder".into(),
        label: String::new(),
    })
    .await
    .map(tonic::Response::into_inner)
}

fn subject_hex(n: usize) -> String {
    format!("{:064x}", 0x0e0f_0000 + n)
}

async fn subjects(sdr: &mut CoordinatorClient<HubChannel>, case: &str) -> Vec<String> {
    sdr.get_case(wire::GetCaseRequest {
        case_id: case.to_owned(),
    })
    .await
    .expect("the case")
    .into_inner()
    .subjects
    .into_iter()
    .filter_map(|s| s.subject.map(|p| p.hex))
    .collect()
}

/// A running hub's data directory (decision log and state store, files held open)
/// turned read-only under it — every write there failing with EROFS from a moment on,
/// which the kernel's own read-only remount refuses to do while files are open for
/// writing: every case change is refused with nothing stored that the log does not
/// record, `/healthz` says which store cannot write and why, and once the directory is
/// writable again the same requests pass without a restart; everything acknowledged
/// is there after a power cut and a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_hubs_data_directory_turned_read_only_fails_closed_is_reported_and_recovers() {
    let pki = Pki::new();
    let dir = pki.dir.path();
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let listen = std::net::SocketAddr::new(ip, crate::support::stable_port(ip));
    let admin = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free admin port");
    let data_dir = dir.join("hub-data");
    let hub_config = dir.join("hub.toml");
    std::fs::write(
        &hub_config,
        hub_config_text(&pki, listen, Some(admin), &data_dir),
    )
    .expect("write");
    std::fs::create_dir_all(data_dir.join("log")).expect("data dir");
    sync_dir(&data_dir);
    let journal = Journal::new(&data_dir, dir);
    let switch = dir.join("data-dir-read-only");
    let spawn = |journal: &Journal| {
        let mut command = Command::new(workspace_bin("hub"));
        command
            .args(["serve", "--config"])
            .arg(&hub_config)
            .env("RUST_LOG", "error")
            .env("POWERCUT_READONLY", &switch)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        journal.preload(&mut command);
        Process(command.spawn().expect("start hub"))
    };
    let mut hub = spawn(&journal);
    let mut sdr = CoordinatorClient::new(connect(&pki, SDR_OOST, listen).await);
    let case = sdr
        .create_case(wire::CreateCaseRequest {
            client_request_id: "ro-case".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                std::time::SystemTime::now() - Duration::from_secs(3600),
            )),
            external_reference: String::new(),
        })
        .await
        .expect("create a case")
        .into_inner()
        .case
        .expect("the case")
        .id;
    let mut acknowledged = Vec::new();
    for n in 0..3 {
        add_subject(&mut sdr, &case, n)
            .await
            .expect("a change before the directory turns read-only");
        acknowledged.push(subject_hex(n));
    }
    let healthy = http_get(admin, "/healthz").await;
    assert!(
        healthy.starts_with("HTTP/1.1 200"),
        "healthy at the start: {healthy}"
    );

    std::fs::write(&switch, b"").expect("turn the data directory read-only");
    let (mut refused, mut wrong) = (Vec::new(), Vec::new());
    for n in 3..8 {
        match add_subject(&mut sdr, &case, n).await {
            Err(status) if status.code() == tonic::Code::Unavailable => refused.push(n),
            Err(status) => wrong.push(format!("change {n} on a read-only directory: {status:?}")),
            // Acknowledged although nothing can be written: it must last all the same.
            Ok(_) => acknowledged.push(subject_hex(n)),
        }
    }
    let degraded = http_get(admin, "/healthz").await;
    std::fs::remove_file(&switch).expect("writable again");
    let start = Instant::now();
    for &n in &refused {
        loop {
            match add_subject(&mut sdr, &case, n).await {
                Ok(_) => break,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(status) => {
                    wrong.push(format!(
                        "change {n} refused once writable again: {status:?}"
                    ));
                    break;
                }
            }
        }
        acknowledged.push(subject_hex(n));
    }
    let recovered = http_get(admin, "/healthz").await;

    // A power cut, then what the log records and what is stored.
    hub.0.kill().expect("kill -9 the hub");
    hub.0.wait().expect("reap the hub");
    if let Err(e) = journal.rollback() {
        wrong.push(e);
    }
    match log_entries(&data_dir.join("log"), &log_key_path(&pki)) {
        Ok(entries) => wrong.extend(stored_against_log(&pki, &data_dir, &entries).await),
        Err(e) => wrong.push(e),
    }
    hub = spawn(&journal);
    let mut sdr = CoordinatorClient::new(connect(&pki, SDR_OOST, listen).await);
    let stored = subjects(&mut sdr, &case).await;
    for s in &acknowledged {
        if !stored.contains(s) {
            wrong.push(format!("an acknowledged subject is lost: {s}"));
        }
    }
    for s in &stored {
        if !acknowledged.contains(s) {
            wrong.push(format!("a subject stored but never acknowledged: {s}"));
        }
    }
    hub.0.kill().expect("stop the hub");
    hub.0.wait().expect("reap the hub");
    let _ = journal.rollback();
    tally(
        "read-only-data-dir-hub",
        Kind::FaultsInjected,
        5,
        wrong.len() as u64,
        0,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        !refused.is_empty(),
        "a read-only data directory refused nothing"
    );
    assert!(
        degraded.starts_with("HTTP/1.1 503")
            && degraded.contains("cannot write")
            && degraded.contains("Read-only file system"),
        "/healthz says which store cannot write and why: {degraded}"
    );
    assert!(
        recovered.starts_with("HTTP/1.1 200"),
        "healthy again once writable: {recovered}"
    );
}
