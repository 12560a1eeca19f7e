//! sled 0.34 is durable only after an explicit flush, so the hub's store flushes before
//! `apply` returns. This proves it the only convincing way: a child process applies
//! batches and reports each acknowledged one on stdout; the parent `kill -9`s it
//! mid-stream, reopens the store, and finds every acknowledged batch, whole.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;

use crate::seal::{KeyStore, MasterKey, SealedStore};
use crate::store::{Batch, Owner, SledStore, Space, Store};

const CHILD_ENV: &str = "TREITER_DURABILITY_CHILD_DIR";
const SEALED_CHILD_ENV: &str = "TREITER_DURABILITY_SEALED_CHILD_DIR";
/// The synthetic master key of the sealed child (tests only).
const TEST_MASTER: [u8; 32] = [0x5e; 32];

/// The sealed store as the hub opens it: state under `dir/state`, keys in `dir/keys`.
fn sealed(dir: &std::path::Path) -> SealedStore {
    let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.join("state")).expect("open"));
    let keys =
        KeyStore::open(&dir.join("keys"), MasterKey::from_bytes(&TEST_MASTER)).expect("key store");
    SealedStore::new(inner, Arc::new(keys))
}
/// Batches the child writes at most; the parent kills it long before.
const MAX_BATCHES: u64 = 100_000;

/// Not a test on its own: the body the child process runs (it returns at once in a
/// normal test run, where the environment variable is unset).
#[test]
fn durability_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = SledStore::open(std::path::Path::new(&dir)).expect("open");
    for i in 0..MAX_BATCHES {
        let mut batch = Batch::new();
        // Two keyspaces in one batch: atomicity across them is part of the claim.
        batch.put(
            Space::Cases,
            format!("case-{i:08}").into_bytes(),
            vec![7u8; 512],
        );
        batch.put(
            Space::Meta,
            format!("count-{i:08}").into_bytes(),
            i.to_be_bytes().to_vec(),
        );
        store.apply(batch).expect("apply");
        println!("acknowledged {i}");
    }
}

/// Runs the child test `name` (this binary, with `env` naming its store directory),
/// reads its "acknowledged N" lines and kills it (SIGKILL) once it acknowledged
/// `kill_after`; returns the last number it acknowledged.
fn kill_child_after(name: &str, env: &str, dir: &std::path::Path, kill_after: u64) -> u64 {
    let acknowledged = kill_child_collecting(name, env, dir, |n, _| n >= kill_after);
    acknowledged
        .last()
        .copied()
        .expect("the child acknowledged batches")
}

/// Runs the child test `name` like [`kill_child_after`], and kills it once `enough`
/// (given the latest number and how many came) says so; returns every number it
/// acknowledged, in the order they came.
fn kill_child_collecting(
    name: &str,
    env: &str,
    dir: &std::path::Path,
    enough: impl Fn(u64, usize) -> bool,
) -> Vec<u64> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(env, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acknowledged = Vec::new();
    let start = Instant::now();
    while let Some(Ok(line)) = lines.next() {
        if let Some(n) = line.strip_prefix("acknowledged ") {
            let n: u64 = n.trim().parse().expect("number");
            acknowledged.push(n);
            if enough(n, acknowledged.len()) {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "child too slow");
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    acknowledged
}

#[test]
fn acknowledged_batches_survive_kill_9() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("tmp");
        // Kill after a different number of acknowledgements each round.
        let last = kill_child_after(
            "store::durability::durability_child",
            CHILD_ENV,
            dir.path(),
            40 + round * 57,
        );

        let store = SledStore::open(dir.path()).expect("reopen after kill");
        for i in 0..=last {
            assert!(
                store
                    .get(Space::Cases, format!("case-{i:08}").as_bytes())
                    .expect("read")
                    .is_some(),
                "round {round}: acknowledged batch {i} lost its case (last acknowledged {last})"
            );
            assert_eq!(
                store
                    .get(Space::Meta, format!("count-{i:08}").as_bytes())
                    .expect("read"),
                Some(i.to_be_bytes().to_vec()),
                "round {round}: acknowledged batch {i} lost its counter"
            );
        }
        // A batch in flight at the kill is either whole or absent.
        let next = last + 1;
        let case = store
            .get(Space::Cases, format!("case-{next:08}").as_bytes())
            .expect("read");
        let count = store
            .get(Space::Meta, format!("count-{next:08}").as_bytes())
            .expect("read");
        assert_eq!(
            case.is_some(),
            count.is_some(),
            "round {round}: batch {next} is torn"
        );
    }
}

/// The child of the sealed round: every batch is a new case, so every acknowledgement
/// also covers a freshly created case key in the key store.
#[test]
fn durability_sealed_child() {
    let Ok(dir) = std::env::var(SEALED_CHILD_ENV) else {
        return;
    };
    let store = sealed(std::path::Path::new(&dir));
    for i in 0..MAX_BATCHES {
        let mut batch = Batch::new();
        batch.put_sealed(
            Space::Cases,
            format!("C-2026-{i:06}").into_bytes(),
            format!("synthetic case {i}").into_bytes(),
            Owner::Case(format!("C-2026-{i:06}")),
        );
        batch.put(
            Space::Meta,
            format!("count-{i:08}").into_bytes(),
            i.to_be_bytes().to_vec(),
        );
        store.apply(batch).expect("apply");
        println!("acknowledged {i}");
    }
}

/// A case key must be durable before anything sealed under it is acknowledged: after a
/// `kill -9`, every acknowledged case still opens.
#[test]
fn acknowledged_sealed_batches_and_their_keys_survive_kill_9() {
    for round in 0..2 {
        let dir = tempfile::tempdir().expect("tmp");
        let last = kill_child_after(
            "store::durability::durability_sealed_child",
            SEALED_CHILD_ENV,
            dir.path(),
            20 + round * 33,
        );

        let store = sealed(dir.path());
        for i in 0..=last {
            assert_eq!(
                store
                    .get(Space::Cases, format!("C-2026-{i:06}").as_bytes())
                    .expect("an acknowledged case opens: its key is durable"),
                Some(format!("synthetic case {i}").into_bytes()),
                "round {round}: acknowledged case {i} lost (last acknowledged {last})"
            );
        }
        // A batch in flight at the kill is either whole or absent, and readable if there.
        let next = last + 1;
        let case = store
            .get(Space::Cases, format!("C-2026-{next:06}").as_bytes())
            .expect("a case in flight is whole or absent");
        let count = store
            .get(Space::Meta, format!("count-{next:08}").as_bytes())
            .expect("read");
        assert_eq!(
            case.is_some(),
            count.is_some(),
            "round {round}: batch {next} is torn"
        );
    }
}

const CONCURRENT_CHILD_ENV: &str = "TREITER_DURABILITY_CONCURRENT_CHILD_DIR";
/// Writers of the concurrent child.
const WRITERS: u64 = 4;

/// The child of the group-commit round: four writers apply at once, so most of them
/// return on a barrier another one ran (`Handles::make_durable`). Writer `w`'s batch
/// `i` is number `w * MAX_BATCHES + i`.
#[test]
fn durability_concurrent_child() {
    let Ok(dir) = std::env::var(CONCURRENT_CHILD_ENV) else {
        return;
    };
    let store = Arc::new(SledStore::open(std::path::Path::new(&dir)).expect("open"));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..MAX_BATCHES {
                    let n = w * MAX_BATCHES + i;
                    let mut batch = Batch::new();
                    batch.put(
                        Space::Cases,
                        format!("case-{n:012}").into_bytes(),
                        vec![7u8; 512],
                    );
                    batch.put(
                        Space::Meta,
                        format!("count-{n:012}").into_bytes(),
                        n.to_be_bytes().to_vec(),
                    );
                    store.apply(batch).expect("apply");
                    println!("acknowledged {n}");
                }
            })
        })
        .collect();
    for writer in writers {
        let _ = writer.join();
    }
}

/// Group commit: with four writers at once, every batch acknowledged to any of them is
/// there after a `kill -9`, whole, although most returned on another's barrier.
#[test]
fn batches_acknowledged_to_concurrent_writers_survive_kill_9() {
    for round in 0..2 {
        let dir = tempfile::tempdir().expect("tmp");
        let acknowledged = kill_child_collecting(
            "store::durability::durability_concurrent_child",
            CONCURRENT_CHILD_ENV,
            dir.path(),
            |_, count| count >= 120 + round * 77,
        );
        let store = SledStore::open(dir.path()).expect("reopen after kill");
        for n in acknowledged {
            assert!(
                store
                    .get(Space::Cases, format!("case-{n:012}").as_bytes())
                    .expect("read")
                    .is_some(),
                "round {round}: acknowledged batch {n} lost its case"
            );
            assert_eq!(
                store
                    .get(Space::Meta, format!("count-{n:012}").as_bytes())
                    .expect("read"),
                Some(n.to_be_bytes().to_vec()),
                "round {round}: acknowledged batch {n} lost its counter"
            );
        }
    }
}
