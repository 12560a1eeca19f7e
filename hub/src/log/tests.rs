//! Tests of the log as a whole: durability (with `kill -9` and a real full disk),
//! group commit under concurrency, failing closed, recovery, tampering, witnessing.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::checkpoint::NoteSigner;
use super::entry::tests::{SALT, sample};
use super::segment::{
    self, HEADER_LEN, KIND_CHECKPOINT, KIND_ENTRY, encode_record, list_segments, read_record,
};
use super::tree::MerkleTree;
use super::*;
use ring::signature::Ed25519KeyPair;

const ORIGIN: &str = "hub.treiteraanpak.example/decision-log";

fn signer(name: &str) -> NoteSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    NoteSigner::from_pkcs8(name, pkcs8.as_ref()).unwrap()
}

/// One key, reusable across reopenings (a `LogKey` moves into the log).
struct TestKey(Vec<u8>);

impl TestKey {
    fn new() -> Self {
        TestKey(key::generate_pkcs8().unwrap())
    }
    fn key(&self) -> LogKey {
        LogKey::from_pkcs8(ORIGIN, &self.0).unwrap()
    }
}

fn open(dir: &Path, key: &TestKey) -> (Log, OpenReport) {
    open_retrying(dir, key, LogOptions::default())
}

fn open_with(dir: &Path, key: &TestKey, options: LogOptions) -> Log {
    open_retrying(dir, key, options).0
}

/// `Log::open`, waiting out (for up to 10 s) the lock of a log dropped a moment ago;
/// any other result, error or not, is returned as it is.
fn try_open(dir: &Path, key: &TestKey, options: LogOptions) -> Result<(Log, OpenReport), LogError> {
    let start = std::time::Instant::now();
    loop {
        match Log::open(dir, key.key(), options.clone()) {
            Err(LogError::Locked { .. })
                if start.elapsed() < std::time::Duration::from_secs(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Opens the log in `dir`. A log dropped a moment ago may still hold the directory's
/// lock while its committer winds down (seen under CI's load), so a `Locked` refusal is
/// retried for up to 10 s; every other error fails the test at once.
fn open_retrying(dir: &Path, key: &TestKey, options: LogOptions) -> (Log, OpenReport) {
    let start = std::time::Instant::now();
    loop {
        match Log::open(dir, key.key(), options.clone()) {
            Err(LogError::Locked { .. })
                if start.elapsed() < std::time::Duration::from_secs(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened.unwrap(),
        }
    }
}

/// Every record on disk: (kind, seq, segment path, start, end).
fn records(dir: &Path, key: &TestKey) -> Vec<(u8, u64, PathBuf, usize, usize)> {
    let key = key.key();
    let mut out = Vec::new();
    for (_, path) in list_segments(dir).unwrap() {
        let data = std::fs::read(&path).unwrap();
        let mut pos = HEADER_LEN;
        while let Ok(r) = read_record(&data, pos, &key) {
            out.push((r.kind, r.seq, path.clone(), pos, r.end));
            pos = r.end;
        }
    }
    out
}

fn entry_record(dir: &Path, key: &TestKey, index: u64) -> (PathBuf, usize, usize) {
    records(dir, key)
        .into_iter()
        .find(|r| r.0 == KIND_ENTRY && r.1 == index)
        .map(|(_, _, p, s, e)| (p, s, e))
        .unwrap()
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut data = std::fs::read(path).unwrap();
    f(&mut data);
    std::fs::write(path, data).unwrap();
}

fn tampered(r: Result<VerifyReport, VerifyError>) -> Finding {
    match r {
        Err(VerifyError::Tampered(f)) => f,
        other => panic!("expected a finding, got {other:?}"),
    }
}

/// A closed log of `n` entries with a checkpoint after every 5.
async fn build(dir: &Path, key: &TestKey, n: u64) -> Vec<SignedCheckpoint> {
    let (log, _) = open(dir, key);
    let mut cps = Vec::new();
    for i in 0..n {
        assert_eq!(log.append(sample(i)).await.unwrap(), i);
        if (i + 1) % 5 == 0 {
            cps.push(log.checkpoint().await.unwrap());
        }
    }
    cps
}

#[test]
fn the_handle_can_be_shared_between_tasks() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Log>();
}

#[tokio::test]
async fn appends_are_numbered_readable_and_provable() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 0);
    assert_eq!(log.root(), hash::empty_root());
    // The empty log can be checkpointed too.
    let empty = log.checkpoint().await.unwrap();
    assert_eq!(empty.checkpoint().size, 0);

    for i in 0..40 {
        assert_eq!(log.append(sample(i)).await.unwrap(), i);
    }
    assert_eq!(log.tree_size(), 40);
    let cp = log.checkpoint().await.unwrap();
    // What an agent does: open the checkpoint with the hub's key…
    let opened = open_checkpoint(ORIGIN, &[log.verifier()], &cp.to_bytes()).unwrap();
    assert_eq!(opened.checkpoint().size, 40);
    assert_eq!(opened.checkpoint().root, log.root());
    // …then check its own entries' inclusion, from the bytes it is given.
    for i in [0, 7, 39] {
        let stored = log.entry(i).unwrap();
        assert_eq!(stored.entry, sample(i));
        let proof = log.inclusion_proof(i, 40).unwrap();
        assert_eq!(proof.len(), proof::inclusion_proof_len(i, 40));
        assert_eq!(
            verify_inclusion(
                &stored.leaf_hash(),
                i,
                40,
                &proof,
                &opened.checkpoint().root
            ),
            Ok(())
        );
        // A forged entry does not verify.
        let mut forged = stored.bytes.clone();
        let at = forged.len() - 10;
        forged[at] ^= 1;
        assert_eq!(
            verify_inclusion(
                &hash::leaf_hash(&forged),
                i,
                40,
                &proof,
                &opened.checkpoint().root
            ),
            Err(InclusionError::RootMismatch {
                index: i,
                tree_size: 40
            })
        );
    }
    // Consistency from an older head.
    let proof = log.consistency_proof(13, 40).unwrap();
    assert_eq!(
        verify_consistency(13, 40, &log.root_at(13).unwrap(), &log.root(), &proof),
        Ok(())
    );
    // No new entries: the same checkpoint comes back, not a new record.
    assert_eq!(log.checkpoint().await.unwrap(), cp);
    assert_eq!(log.latest_checkpoint(), Some(cp));
    assert!(matches!(
        log.entry(40),
        Err(LogError::NoSuchEntry {
            index: 40,
            size: 40
        })
    ));
    assert!(matches!(
        log.inclusion_proof(3, 41),
        Err(LogError::Proof(ProofError::SizeBeyondLog {
            tree_size: 41,
            log_size: 40
        }))
    ));
    assert_eq!(log.entries(38, 100).unwrap().len(), 2);
    let report = log.verify().unwrap();
    assert_eq!(report.entries, 40);
    assert_eq!(report.covered_by_checkpoint, 40);
}

#[tokio::test]
async fn reopening_recovers_entries_tree_and_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (root, cp) = {
        let (log, _) = open(dir.path(), &key);
        for i in 0..25 {
            log.append(sample(i)).await.unwrap();
        }
        let cp = log.checkpoint().await.unwrap();
        for i in 25..31 {
            log.append(sample(i)).await.unwrap();
        }
        (log.root(), cp)
    };
    let (log, report) = open(dir.path(), &key);
    assert_eq!(
        report,
        OpenReport {
            entries: 31,
            segments: 1,
            checkpoints: 1,
            torn_tail: None
        }
    );
    assert_eq!(log.root(), root);
    assert_eq!(log.latest_checkpoint(), Some(cp));
    assert_eq!(log.entry(30).unwrap().entry, sample(30));
    assert_eq!(log.append(sample(31)).await.unwrap(), 31);
}

#[tokio::test]
async fn the_directory_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (log, _) = open(dir.path(), &key);
    assert!(matches!(
        Log::open(dir.path(), key.key(), LogOptions::default()),
        Err(LogError::Locked { .. })
    ));
    let clone = log.clone();
    drop(log);
    // A clone keeps it open.
    assert!(matches!(
        Log::open(dir.path(), key.key(), LogOptions::default()),
        Err(LogError::Locked { .. })
    ));
    drop(clone);
    let (_again, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_get_distinct_indices_and_share_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (log, _) = open(dir.path(), &key);
    let mut tasks = Vec::new();
    for t in 0..64u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for j in 0..10u64 {
                let seed = t * 1000 + j;
                got.push((log.append(sample(seed)).await.unwrap(), seed));
            }
            got
        }));
    }
    let mut by_index = BTreeMap::new();
    for t in tasks {
        for (index, seed) in t.await.unwrap() {
            assert!(
                by_index.insert(index, seed).is_none(),
                "index {index} twice"
            );
        }
    }
    assert_eq!(by_index.len(), 640);
    assert_eq!(
        by_index.keys().copied().collect::<Vec<_>>(),
        (0..640).collect::<Vec<_>>()
    );
    // Every index holds the entry its caller was told, and the root equals a
    // sequential recomputation over the stored entries in index order.
    let mut sequential = MerkleTree::new();
    for (index, seed) in &by_index {
        let stored = log.entry(*index).unwrap();
        assert_eq!(stored.entry, sample(*seed));
        sequential.push(stored.entry.leaf_hash(&stored.salt).unwrap());
    }
    assert_eq!(log.root(), sequential.root());
    let stats = log.stats();
    assert_eq!(stats.appended, 640);
    assert!(
        stats.batches < 640 && stats.max_batch > 1,
        "no group commit happened: {stats:?}"
    );
    log.verify().unwrap();
}

#[tokio::test]
async fn max_batch_one_syncs_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(
        dir.path(),
        &key,
        LogOptions {
            max_batch_entries: 1,
            ..LogOptions::default()
        },
    );
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move { log.append(sample(i)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(log.stats().batches, 20);
    assert_eq!(log.stats().max_batch, 1);
}

#[tokio::test]
async fn segments_roll_over_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let options = LogOptions {
        segment_bytes: 4096,
        ..LogOptions::default()
    };
    {
        let log = open_with(dir.path(), &key, options.clone());
        for i in 0..60 {
            log.append(sample(i)).await.unwrap();
            if i % 9 == 0 {
                log.checkpoint().await.unwrap();
            }
        }
        assert!(list_segments(dir.path()).unwrap().len() > 5);
        for i in [0, 17, 59] {
            assert_eq!(log.entry(i).unwrap().entry, sample(i));
        }
        log.verify().unwrap();
    }
    let log = open_with(dir.path(), &key, options);
    assert_eq!(log.tree_size(), 60);
    assert_eq!(log.entry(33).unwrap().entry, sample(33));
    // Segment names are the index of their first entry.
    for (first, path) in list_segments(dir.path()).unwrap() {
        let data = std::fs::read(&path).unwrap();
        if data.len() > HEADER_LEN {
            let r = read_record(&data, HEADER_LEN, &key.key()).unwrap();
            assert!(r.kind != KIND_ENTRY || r.seq == first);
        }
    }
    verify_dir(dir.path(), &key.key(), &[]).unwrap();
}

#[tokio::test]
async fn a_failed_write_or_sync_fails_closed_and_leaves_no_gap() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(dir.path(), &key, LogOptions::default());
    let faults = log.faults().clone();
    for i in 0..3 {
        log.append(sample(i)).await.unwrap();
    }
    let root = log.root();

    faults.fail_writes();
    let err = log.append(sample(100)).await.unwrap_err();
    assert!(matches!(err, LogError::Write { .. }), "{err:?}");
    assert!(
        err.to_string().contains("the entry was not appended"),
        "{err}"
    );
    assert!(matches!(
        log.checkpoint().await,
        Err(LogError::Write { .. })
    ));
    assert_eq!((log.tree_size(), log.root()), (3, root));

    faults.clear();
    assert_eq!(log.append(sample(3)).await.unwrap(), 3);

    faults.fail_syncs();
    let err = log.append(sample(101)).await.unwrap_err();
    assert!(matches!(err, LogError::Sync { .. }), "{err:?}");
    assert_eq!(log.tree_size(), 4);
    faults.clear();
    assert_eq!(log.append(sample(4)).await.unwrap(), 4);
    assert_eq!(log.stats().failed_batches, 3);
    log.verify().unwrap();
    drop(log);

    // Only acknowledged entries are stored, without a gap.
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 5);
    assert_eq!(report.torn_tail, None);
    for i in 0..5 {
        assert_eq!(log.entry(i).unwrap().entry, sample(i));
    }
}

#[tokio::test]
async fn a_fault_while_starting_a_segment_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(
        dir.path(),
        &key,
        LogOptions {
            segment_bytes: 2048,
            ..LogOptions::default()
        },
    );
    let faults = log.faults().clone();
    let mut i = 0;
    while list_segments(dir.path()).unwrap().len() == 1 || log.tree_size() < 5 {
        log.append(sample(i)).await.unwrap();
        i += 1;
        if i > 100 {
            break;
        }
    }
    // Fill the current segment past its size, then make the roll fail.
    for _ in 0..4 {
        log.append(sample(i)).await.unwrap();
        i += 1;
    }
    let segments = list_segments(dir.path()).unwrap().len();
    faults.fail_writes();
    let mut failed = false;
    for _ in 0..4 {
        if log.append(sample(999)).await.is_err() {
            failed = true;
        }
    }
    assert!(failed);
    assert_eq!(list_segments(dir.path()).unwrap().len(), segments);
    assert_eq!(log.tree_size(), i);
    faults.clear();
    assert_eq!(log.append(sample(i)).await.unwrap(), i);
    log.verify().unwrap();
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let cps = build(dir.path(), &key, 30).await;
    let held: Vec<Vec<u8>> = cps.iter().map(SignedCheckpoint::to_bytes).collect();
    let report = verify_dir(dir.path(), &key.key(), &held).unwrap();
    assert_eq!(report.entries, 30);
    assert_eq!(report.checkpoints, 12);
    assert_eq!(report.covered_by_checkpoint, 30);
    assert_eq!(report.torn_tail, None);
}

#[tokio::test]
async fn verify_names_a_changed_entry() {
    for k in [0u64, 12, 29] {
        let dir = tempfile::tempdir().unwrap();
        let key = TestKey::new();
        build(dir.path(), &key, 30).await;
        let (path, start, end) = entry_record(dir.path(), &key, k);
        // "permit" -> "permiu" inside the body.
        edit(&path, |d| {
            let body = &mut d[start + 45..end];
            let at = body.windows(6).position(|w| w == b"permit").unwrap();
            body[at + 5] = b'u';
        });
        let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
        assert_eq!((f.index, &f.problem), (k, &Problem::Changed), "{f}");
        assert_eq!(f.offset, Some(start as u64));
        assert!(
            f.to_string().contains(&format!("entry {k} was changed")),
            "{f}"
        );
        // The hub refuses to open it.
        match try_open(dir.path(), &key, LogOptions::default()) {
            Err(LogError::Tampered(f)) => assert_eq!(f.index, k),
            other => panic!("opened a tampered log: {other:?}"),
        }
    }
}

#[tokio::test]
async fn verify_names_a_removed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 30).await;
    let (path, start, end) = entry_record(dir.path(), &key, 17);
    edit(&path, |d| {
        d.drain(start..end);
    });
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (17, Problem::Removed { found: 18 }),
        "{f}"
    );
    assert!(f.to_string().contains("entry 17 was removed"), "{f}");
}

#[tokio::test]
async fn verify_names_reordered_entries() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 30).await;
    let (path, s1, e1) = entry_record(dir.path(), &key, 11);
    let (_, s2, e2) = entry_record(dir.path(), &key, 13);
    assert_eq!(e1 - s1, e2 - s2, "sample entries have one length");
    edit(&path, |d| {
        let a = d[s1..e1].to_vec();
        let b = d[s2..e2].to_vec();
        d[s1..e1].copy_from_slice(&b);
        d[s2..e2].copy_from_slice(&a);
    });
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (11, Problem::Reordered { found: 13 }),
        "{f}"
    );
}

#[tokio::test]
async fn verify_names_a_duplicated_entry() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 12).await;
    let (path, s1, e1) = entry_record(dir.path(), &key, 6);
    let (_, s2, e2) = entry_record(dir.path(), &key, 7);
    edit(&path, |d| {
        let copy = d[s1..e1].to_vec();
        d[s2..e2].copy_from_slice(&copy);
    });
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (7, Problem::Duplicated { found: 6 }),
        "{f}"
    );
}

#[tokio::test]
async fn a_rewrite_with_the_record_key_is_caught_by_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let cps = build(dir.path(), &key, 30).await;
    // Someone with the record key re-encodes entry 12 with other content.
    let (path, start, end) = entry_record(dir.path(), &key, 12);
    let mut other = sample(12);
    if let Event::ShareDecision(d) = &mut other.event {
        d.outcome = treiter_policies::request::Outcome::Deny;
        d.fields_stripped = entry::FieldNames::new();
    }
    let mut record = Vec::new();
    encode_record(
        &mut record,
        &key.key(),
        KIND_ENTRY,
        12,
        &other.to_canonical(&SALT).unwrap(),
    );
    edit(&path, |d| {
        d.splice(start..end, record);
    });
    // The stored checkpoint of size 15 no longer matches: entries 10..15 are suspect.
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (
            10,
            Problem::RootMismatch {
                checkpoint_size: 15
            }
        ),
        "{f}"
    );
    // Even with the stored checkpoints removed too, a witness's checkpoint catches it.
    let stripped = tempfile::tempdir().unwrap();
    for (_, p) in list_segments(dir.path()).unwrap() {
        let data = std::fs::read(&p).unwrap();
        let mut kept = data[..HEADER_LEN].to_vec();
        let mut pos = HEADER_LEN;
        while let Ok(r) = read_record(&data, pos, &key.key()) {
            if r.kind != KIND_CHECKPOINT {
                kept.extend_from_slice(&data[pos..r.end]);
            }
            pos = r.end;
        }
        std::fs::write(stripped.path().join(p.file_name().unwrap()), kept).unwrap();
    }
    // Without the head record, that is noticed too...
    let f = tampered(verify_dir(stripped.path(), &key.key(), &[]));
    assert_eq!((f.index, f.problem.clone()), (30, Problem::HeadMissing));
    // ... and a witness's checkpoint names where the rewrite can start.
    let held = cps[3].to_bytes(); // size 20
    let f = tampered(verify_dir(stripped.path(), &key.key(), &[held]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (
            0,
            Problem::RootMismatch {
                checkpoint_size: 20
            }
        )
    );
    // With the head record kept, its root catches the rewrite by itself.
    std::fs::copy(
        dir.path().join(head::HEAD_FILE),
        stripped.path().join(head::HEAD_FILE),
    )
    .unwrap();
    let f = tampered(verify_dir(stripped.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (
            0,
            Problem::HeadMismatch {
                size: 30,
                evidence: Evidence::Appended
            }
        ),
        "{f}"
    );
}

#[tokio::test]
async fn a_running_log_names_an_entry_rewritten_with_the_key_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (log, _) = open(dir.path(), &key);
    for i in 0..20 {
        log.append(sample(i)).await.unwrap();
    }
    let (path, start, end) = entry_record(dir.path(), &key, 13);
    let mut record = Vec::new();
    encode_record(
        &mut record,
        &key.key(),
        KIND_ENTRY,
        13,
        &sample(9013).to_canonical(&SALT).unwrap(),
    );
    assert_eq!(record.len(), end - start);
    edit(&path, |d| d[start..end].copy_from_slice(&record));
    let f = tampered(log.verify());
    assert_eq!((f.index, f.problem), (13, Problem::DiffersFromAppended));
}

#[tokio::test]
async fn a_running_log_sees_any_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let (log, _) = open(dir.path(), &key);
    for i in 0..12 {
        log.append(sample(i)).await.unwrap();
    }
    // Even a byte of the length field of the second-to-last entry, which a closed log
    // could take for a torn write, is named.
    let (path, start, _) = entry_record(dir.path(), &key, 10);
    edit(&path, |d| d[start + 2] ^= 0x40);
    let f = tampered(log.verify());
    assert_eq!((f.index, f.problem), (10, Problem::Changed));
}

#[tokio::test]
async fn entries_cut_from_the_end_are_caught_by_a_held_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let cps = build(dir.path(), &key, 30).await;
    // Cut the file after entry 21 (its checkpoints of 25 and 30 go with it).
    let (path, _, end) = entry_record(dir.path(), &key, 21);
    edit(&path, |d| d.truncate(end));
    // The head record alone catches it...
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (
            22,
            Problem::Cut {
                reached: 30,
                evidence: Evidence::Signed
            }
        )
    );
    // ... and so does a checkpoint a witness holds, without it.
    std::fs::remove_file(dir.path().join(head::HEAD_FILE)).unwrap();
    let held = cps.last().unwrap().to_bytes();
    let f = tampered(verify_dir(dir.path(), &key.key(), &[held]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (
            22,
            Problem::Missing {
                checkpoint_size: 30
            }
        )
    );
    assert!(
        f.to_string().contains("entries 22 to 29 were removed"),
        "{f}"
    );
}

#[tokio::test]
async fn a_removed_segment_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    {
        let log = open_with(
            dir.path(),
            &key,
            LogOptions {
                segment_bytes: 2048,
                ..LogOptions::default()
            },
        );
        for i in 0..30 {
            log.append(sample(i)).await.unwrap();
        }
    }
    let segs = list_segments(dir.path()).unwrap();
    let (first, path) = segs[1].clone();
    std::fs::remove_file(path).unwrap();
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(f.index, first);
    assert!(matches!(f.problem, Problem::BadSegment { .. }), "{f}");
}

#[tokio::test]
async fn a_forged_checkpoint_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 10).await;
    // A correctly tagged record holding a checkpoint signed by another key.
    let impostor = signer(ORIGIN);
    let forged = SignedCheckpoint::sign(
        Checkpoint {
            origin: ORIGIN.into(),
            size: 10,
            root: hash::empty_root(),
        },
        &impostor,
    )
    .unwrap();
    let mut record = Vec::new();
    encode_record(
        &mut record,
        &key.key(),
        KIND_CHECKPOINT,
        10,
        &forged.to_bytes(),
    );
    let (_, path) = list_segments(dir.path()).unwrap().pop().unwrap();
    edit(&path, |d| d.extend_from_slice(&record));
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(f.index, 10);
    assert!(matches!(f.problem, Problem::BadCheckpoint { .. }), "{f}");
}

#[tokio::test]
async fn a_changed_checkpoint_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 12).await;
    let (_, _, path, start, end) = records(dir.path(), &key)
        .into_iter()
        .find(|r| r.0 == KIND_CHECKPOINT && r.1 == 5)
        .unwrap();
    edit(&path, |d| d[end - 20] ^= 1);
    let f = tampered(verify_dir(dir.path(), &key.key(), &[]));
    assert_eq!(f.index, 5);
    assert_eq!(f.offset, Some(start as u64));
    assert!(matches!(f.problem, Problem::BadCheckpoint { .. }), "{f}");
    assert!(
        f.to_string()
            .contains("the stored checkpoint before entry 5 was changed"),
        "{f}"
    );
}

#[tokio::test]
async fn a_torn_last_write_is_moved_aside_and_the_log_continues() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    {
        let (log, _) = open(dir.path(), &key);
        for i in 0..10 {
            log.append(sample(i)).await.unwrap();
        }
    }
    let (_, path) = list_segments(dir.path()).unwrap().pop().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    // Half a record, as a crash in the middle of a write leaves it.
    let mut record = Vec::new();
    encode_record(
        &mut record,
        &key.key(),
        KIND_ENTRY,
        10,
        &sample(10).to_canonical(&SALT).unwrap(),
    );
    edit(&path, |d| d.extend_from_slice(&record[..record.len() / 2]));

    let report = verify_dir(dir.path(), &key.key(), &[]).unwrap();
    let torn = report.torn_tail.clone().unwrap();
    assert_eq!((torn.offset, torn.next_index), (len, 10));

    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 10);
    assert_eq!(
        report.torn_tail.as_ref().map(|t| t.bytes),
        Some(record.len() as u64 / 2)
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    let aside = PathBuf::from(format!("{}.torn-{len}", path.display()));
    assert_eq!(std::fs::read(&aside).unwrap(), record[..record.len() / 2]);
    assert_eq!(log.append(sample(10)).await.unwrap(), 10);
    log.verify().unwrap();
}

#[tokio::test]
async fn lost_pages_of_an_unsynced_write_count_as_torn() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    {
        let (log, _) = open(dir.path(), &key);
        for i in 0..4 {
            log.append(sample(i)).await.unwrap();
        }
    }
    let (_, path) = list_segments(dir.path()).unwrap().pop().unwrap();
    // A complete record whose second page came back as zeros.
    let mut record = Vec::new();
    encode_record(
        &mut record,
        &key.key(),
        KIND_ENTRY,
        4,
        &sample(4).to_canonical(&SALT).unwrap(),
    );
    for b in &mut record[100..] {
        *b = 0;
    }
    edit(&path, |d| d.extend_from_slice(&record));
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.torn_tail.map(|t| t.next_index), Some(4));
    assert_eq!(log.tree_size(), 4);
}

#[tokio::test]
async fn a_torn_segment_header_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 3).await;
    let new_seg = dir.path().join(segment::segment_name(3));
    std::fs::write(&new_seg, &segment::segment_header(3)[..5]).unwrap();
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.torn_tail.map(|t| t.offset), Some(0));
    assert!(!new_seg.exists());
    assert_eq!(log.append(sample(3)).await.unwrap(), 3);
}

#[tokio::test]
async fn a_changed_record_that_does_not_look_torn_is_not_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 10).await;
    // The last entry of the last segment: a changed byte is not a crash.
    let (path, start, end) = entry_record(dir.path(), &key, 9);
    edit(&path, |d| d[end - 3] ^= 1);
    match try_open(dir.path(), &key, LogOptions::default()) {
        Err(LogError::Tampered(f)) => assert_eq!((f.index, f.offset), (9, Some(start as u64))),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn witnesses_cosign_and_the_log_keeps_their_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let witness = signer("agent.politie.example/witness");
    {
        let (log, _) = open(dir.path(), &key);
        for i in 0..8 {
            log.append(sample(i)).await.unwrap();
        }
        let first = log.checkpoint().await.unwrap();
        let opened = open_checkpoint(ORIGIN, &[log.verifier()], &first.to_bytes()).unwrap();
        let cosigned = witness_checkpoint(None, &opened, &[], &witness).unwrap();
        let stored = log
            .add_cosignatures(&cosigned.to_bytes(), &[witness.verifier().clone()])
            .await
            .unwrap();
        assert!(stored.is_signed_by(witness.verifier()));
        assert!(
            log.latest_checkpoint()
                .unwrap()
                .is_signed_by(witness.verifier())
        );
        // A note without a known witness's signature is refused.
        assert!(matches!(
            log.add_cosignatures(&first.to_bytes(), &[witness.verifier().clone()])
                .await,
            Err(LogError::NoCosignature)
        ));
        // The next checkpoint: the witness checks consistency with the one it holds.
        for i in 8..13 {
            log.append(sample(i)).await.unwrap();
        }
        let next = log.checkpoint().await.unwrap();
        let opened = open_checkpoint(ORIGIN, &[log.verifier()], &next.to_bytes()).unwrap();
        let proof = log.consistency_proof(8, 13).unwrap();
        witness_checkpoint(Some(first.checkpoint()), &opened, &proof, &witness).unwrap();
    }
    // Cosignatures survive a restart.
    let (log, _) = open(dir.path(), &key);
    let latest = log.latest_checkpoint().unwrap();
    assert_eq!(latest.checkpoint().size, 13);
    let cps = records(dir.path(), &key)
        .into_iter()
        .filter(|r| r.0 == KIND_CHECKPOINT)
        .count();
    assert_eq!(cps, 3);
    verify_dir(dir.path(), &key.key(), &[]).unwrap();
}

// --- kill -9 ---------------------------------------------------------------------

const KILL_CHILD_ENV: &str = "TREITER_LOG_KILL_CHILD_DIR";
const KILL_CHILD_KEY_ENV: &str = "TREITER_LOG_KILL_CHILD_KEY";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Not a test on its own: the body of the child process the kill tests start (it
/// returns at once in a normal run, where the variable is unset). Eight tasks append
/// concurrently, checkpoint now and then, and print each acknowledged index with the
/// entry's seed.
#[test]
fn kill_child() {
    let Ok(dir) = std::env::var(KILL_CHILD_ENV) else {
        return;
    };
    let key = TestKey(unhex(&std::env::var(KILL_CHILD_KEY_ENV).unwrap()));
    // libtest has printed "test ... " without a newline: start a fresh line.
    println!();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async move {
        // Small segments, so that kills also land around the start of a new one.
        let (log, report) = Log::open(
            Path::new(&dir),
            key.key(),
            LogOptions {
                segment_bytes: 64 * 1024,
                ..LogOptions::default()
            },
        )
        .unwrap();
        let start = report.entries;
        let mut tasks = Vec::new();
        for t in 0..8u64 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0.. {
                    let seed = start * 100 + t + 8 * j;
                    let index = log.append(sample(seed)).await.unwrap();
                    println!("ack {index} {seed}");
                    if j % 50 == 49 {
                        let cp = log.checkpoint().await.unwrap();
                        println!("checkpoint {}", cp.checkpoint().size);
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
}

#[test]
fn acknowledged_entries_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let mut acknowledged: BTreeMap<u64, u64> = BTreeMap::new();
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "log::tests::kill_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(KILL_CHILD_ENV, dir.path())
            .env(KILL_CHILD_KEY_ENV, hex(&key.0))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let kill_after = 150 + round * 233;
        let mut acks = 0;
        let started = Instant::now();
        while let Some(Ok(line)) = lines.next() {
            if let Some(rest) = line.strip_prefix("ack ") {
                let (i, s) = rest.split_once(' ').unwrap();
                acknowledged.insert(i.parse().unwrap(), s.parse().unwrap());
                acks += 1;
                if acks >= kill_after {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "child too slow"
            );
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // Every acknowledged entry is there, with the content acknowledged, and the
        // log verifies; a write the kill cut short is moved aside, never counted.
        let (log, report) = open(dir.path(), &key);
        for (&index, &seed) in &acknowledged {
            assert_eq!(
                log.entry(index).unwrap().entry,
                sample(seed),
                "round {round}: acknowledged entry {index} lost or changed"
            );
        }
        assert!(report.entries >= acknowledged.len() as u64);
        log.verify().unwrap();
        let cp = log.latest_checkpoint();
        if let Some(cp) = cp {
            assert_eq!(
                log.root_at(cp.checkpoint().size).unwrap(),
                cp.checkpoint().root
            );
        }
    }
    verify_dir(dir.path(), &key.key(), &[]).unwrap();
}

// --- a really full disk -----------------------------------------------------------

const FULL_CHILD_ENV: &str = "TREITER_LOG_FULL_CHILD_DIR";

/// Not a test on its own: started by `a_full_disk_fails_closed_and_recovers` under a
/// soft file-size limit (`ulimit -S -f`), so writes past it fail with EFBIG as on a
/// full disk. It appends until an append fails, checks nothing counted, raises the
/// limit, and appends again.
#[test]
fn full_child() {
    let Ok(dir) = std::env::var(FULL_CHILD_ENV) else {
        return;
    };
    let key = TestKey(unhex(&std::env::var(KILL_CHILD_KEY_ENV).unwrap()));
    println!();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (log, _) = open(Path::new(&dir), &key);
        let mut next = 0;
        let failure = loop {
            match log.append(sample(next)).await {
                Ok(i) => {
                    assert_eq!(i, next);
                    next += 1;
                }
                Err(e) => break e,
            }
            assert!(next < 10_000, "the file size limit did not apply");
        };
        println!("failed after {next}: {failure}");
        assert!(matches!(failure, LogError::Write { .. }), "{failure:?}");
        assert_eq!(log.tree_size(), next);
        // Still full: still refused, still nothing counted.
        assert!(matches!(
            log.append(sample(next)).await,
            Err(LogError::Write { .. })
        ));
        assert_eq!(log.tree_size(), next);
        // Space again.
        let limit = rustix::process::getrlimit(rustix::process::Resource::Fsize);
        rustix::process::setrlimit(
            rustix::process::Resource::Fsize,
            rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        )
        .unwrap();
        assert_eq!(log.append(sample(next)).await.unwrap(), next);
        log.verify().unwrap();
        println!("recovered at {next}");
    });
}

#[test]
fn a_full_disk_fails_closed_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let output = Command::new("sh")
        .arg("-c")
        // 64 blocks of 512 bytes; SIGXFSZ ignored so the write fails with EFBIG.
        .arg("ulimit -S -f 64 && trap '' XFSZ && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "log::tests::full_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FULL_CHILD_ENV, dir.path())
        .env(KILL_CHILD_KEY_ENV, hex(&key.0))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let failed_at: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("failed after "))
        .and_then(|l| l.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no failure reported: {stdout}"));
    assert!(
        stdout.contains(&format!("recovered at {failed_at}")),
        "{stdout}"
    );
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, failed_at + 1);
    assert_eq!(report.torn_tail, None);
    let seeds: HashSet<u64> = (0..=failed_at).collect();
    for i in 0..=failed_at {
        assert!(seeds.contains(&i));
        assert_eq!(log.entry(i).unwrap().entry, sample(i));
    }
}

#[tokio::test]
async fn every_checkpoint_can_be_found_by_size_also_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let cps = build(dir.path(), &key, 12).await;
    let (log, _) = open(dir.path(), &key);
    for cp in &cps {
        let size = cp.checkpoint().size;
        assert_eq!(
            log.checkpoint_of_size(size).as_ref(),
            Some(cp),
            "size {size}"
        );
    }
    assert!(log.checkpoint_of_size(7).is_none(), "never signed");
    log.append(sample(12)).await.unwrap();
    let newer = log.checkpoint().await.unwrap();
    assert_eq!(log.checkpoint_of_size(13), Some(newer));
}

// --- the head record: a cut or zeroed log is never a crash's torn tail -------------
//
// The shape of a stopped demo run: 42 entries, a checkpoint after every 5 (the last
// of size 40), entries 40 and 41 acknowledged but not yet in a checkpoint.

const DEMO_ENTRIES: u64 = 42;

/// Both `verify_dir` and `Log::open` refuse the log, naming `index` and `problem`.
fn refused_at(dir: &Path, key: &TestKey, index: u64, problem: Problem) -> Finding {
    let listing = || {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, e.metadata().unwrap().len())
            })
            .collect();
        files.sort();
        files
    };
    let before = listing();
    let f = tampered(verify_dir(dir, &key.key(), &[]));
    assert_eq!(
        (f.index, f.problem.clone()),
        (index, problem.clone()),
        "{f}"
    );
    match try_open(dir, key, LogOptions::default()) {
        Err(LogError::Tampered(g)) => {
            assert_eq!((g.index, g.problem.clone()), (index, problem), "{g}")
        }
        Err(other) => panic!("open failed otherwise: {other}"),
        Ok((_, report)) => panic!("a tampered log was opened: {report:?}"),
    }
    // Nothing was moved aside, cut off or rewritten: the evidence stays as found.
    assert_eq!(listing(), before);
    f
}

#[tokio::test]
async fn zero_bytes_inside_an_early_entry_are_tampering_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    let (path, start, end) = entry_record(dir.path(), &key, 5);
    let before = std::fs::metadata(&path).unwrap().len();
    edit(&path, |d| d[start + 60..start + 124].fill(0));
    assert!(end > start + 124);
    let f = refused_at(dir.path(), &key, 5, Problem::Changed);
    assert_eq!(f.offset, Some(start as u64));
    assert!(f.to_string().starts_with("entry 5 was changed"), "{f}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), before);
}

#[tokio::test]
async fn zero_bytes_inside_the_last_entry_are_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    let (path, start, _) = entry_record(dir.path(), &key, 41);
    edit(&path, |d| d[start + 60..start + 124].fill(0));
    let f = refused_at(
        dir.path(),
        &key,
        41,
        Problem::Cut {
            reached: 42,
            evidence: Evidence::Appended,
        },
    );
    assert!(
        f.to_string().starts_with(
            "entries 41 to 41 are missing or damaged: the hub had appended and acknowledged 42 entries"
        ),
        "{f}"
    );
}

#[tokio::test]
async fn zero_bytes_from_a_late_entry_to_the_end_are_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    let (path, start, _) = entry_record(dir.path(), &key, 33);
    edit(&path, |d| d[start..].fill(0));
    refused_at(
        dir.path(),
        &key,
        33,
        Problem::Cut {
            reached: 42,
            evidence: Evidence::Appended,
        },
    );
}

#[tokio::test]
async fn a_cut_at_a_record_boundary_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    let (path, start, _) = entry_record(dir.path(), &key, 38);
    edit(&path, |d| d.truncate(start));
    let f = refused_at(
        dir.path(),
        &key,
        38,
        Problem::Cut {
            reached: 42,
            evidence: Evidence::Appended,
        },
    );
    assert!(
        f.to_string().contains("entries 38 to 41 are missing"),
        "{f}"
    );
}

#[tokio::test]
async fn a_cut_inside_the_last_checkpointed_entry_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    // The last entry, 39, is covered by the checkpoint of size 40 stored after it.
    build(dir.path(), &key, 40).await;
    let (path, start, end) = entry_record(dir.path(), &key, 39);
    edit(&path, |d| d.truncate((start + end) / 2));
    let f = refused_at(
        dir.path(),
        &key,
        39,
        Problem::Cut {
            reached: 40,
            evidence: Evidence::Signed,
        },
    );
    assert!(
        f.to_string()
            .contains("a checkpoint the hub signed covers 40 entries"),
        "{f}"
    );
}

#[tokio::test]
async fn a_cut_below_a_cosigned_checkpoint_names_the_witness_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let witness = signer("agent.politie.example/witness");
    {
        let (log, _) = open(dir.path(), &key);
        for i in 0..DEMO_ENTRIES {
            log.append(sample(i)).await.unwrap();
        }
        let cp = log.checkpoint().await.unwrap();
        let opened = open_checkpoint(ORIGIN, &[log.verifier()], &cp.to_bytes()).unwrap();
        let cosigned = witness_checkpoint(None, &opened, &[], &witness).unwrap();
        log.add_cosignatures(&cosigned.to_bytes(), &[witness.verifier().clone()])
            .await
            .unwrap();
    }
    let (path, start, _) = entry_record(dir.path(), &key, 30);
    edit(&path, |d| d.truncate(start));
    let f = refused_at(
        dir.path(),
        &key,
        30,
        Problem::Cut {
            reached: 42,
            evidence: Evidence::Cosigned,
        },
    );
    assert!(
        f.to_string()
            .contains("a checkpoint a witness cosigned covers 42 entries"),
        "{f}"
    );
}

#[tokio::test]
async fn a_missing_or_damaged_head_record_beside_a_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 12).await;
    let head_path = dir.path().join(head::HEAD_FILE);
    let saved = std::fs::read(&head_path).unwrap();
    std::fs::remove_file(&head_path).unwrap();
    refused_at(dir.path(), &key, 12, Problem::HeadMissing);
    let mut damaged = saved.clone();
    damaged[30] ^= 1;
    damaged[512 + 30] ^= 1;
    std::fs::write(&head_path, &damaged).unwrap();
    refused_at(dir.path(), &key, 12, Problem::HeadDamaged);
    // Put back, the log opens again.
    std::fs::write(&head_path, &saved).unwrap();
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 12);
    log.verify().unwrap();
}

/// Writes `records` to the end of the last segment, as an unsynced batch that a crash
/// cut short leaves them.
fn append_raw(dir: &Path, bytes: &[u8]) -> (PathBuf, u64) {
    let (_, path) = list_segments(dir).unwrap().pop().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    edit(&path, |d| d.extend_from_slice(bytes));
    (path, len)
}

fn entry_bytes(key: &TestKey, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in range {
        encode_record(
            &mut out,
            &key.key(),
            KIND_ENTRY,
            i,
            &sample(i).to_canonical(&SALT).unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn a_crash_during_an_unacknowledged_batch_still_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    // A batch of three entries: two written whole, the third cut in the middle; none
    // acknowledged, so the head record still says 42.
    let mut batch = entry_bytes(&key, 42..45);
    let whole = entry_bytes(&key, 42..44).len();
    batch.truncate(whole + 30);
    let (path, len) = append_raw(dir.path(), &batch);
    let report = verify_dir(dir.path(), &key.key(), &[]).unwrap();
    assert_eq!(report.torn_tail.as_ref().map(|t| t.next_index), Some(44));
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 44);
    assert_eq!(
        report.torn_tail.map(|t| (t.offset, t.bytes)),
        Some((len + whole as u64, 30))
    );
    assert_eq!(log.append(sample(44)).await.unwrap(), 44);
    log.verify().unwrap();
    drop(log);
    // The head record now covers the recovered entries: cutting them is caught.
    let (_, start, _) = entry_record(dir.path(), &key, 43);
    edit(&path, |d| d.truncate(start));
    refused_at(
        dir.path(),
        &key,
        43,
        Problem::Cut {
            reached: 45,
            evidence: Evidence::Appended,
        },
    );
}

#[tokio::test]
async fn lost_pages_of_an_unacknowledged_batch_still_recover() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    // The whole batch written, but a page of its first record came back as zeros and
    // the rest never reached the disk (zeros to the end of the file).
    let mut batch = entry_bytes(&key, 42..44);
    batch[100..].fill(0);
    append_raw(dir.path(), &batch);
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.torn_tail.map(|t| t.next_index), Some(42));
    assert_eq!(log.tree_size(), 42);
}

#[tokio::test]
async fn an_authentic_record_after_damaged_bytes_is_never_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, DEMO_ENTRIES).await;
    // Beyond the head record, but the damaged record is followed by an intact one: a
    // crash does not write after the bytes it lost.
    let mut batch = entry_bytes(&key, 42..44);
    batch[60..124].fill(0);
    let (_, len) = append_raw(dir.path(), &batch);
    let f = refused_at(dir.path(), &key, 42, Problem::Changed);
    assert_eq!(f.offset, Some(len));
}

#[tokio::test]
async fn a_crash_while_writing_the_last_checkpoint_record_still_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 40).await;
    let head_path = dir.path().join(head::HEAD_FILE);
    let head_before = std::fs::read(&head_path).unwrap();
    let (path, cp_start) = {
        let (log, _) = open(dir.path(), &key);
        log.append(sample(40)).await.unwrap();
        log.append(sample(41)).await.unwrap();
        let (path, len) = {
            let (_, path) = list_segments(dir.path()).unwrap().pop().unwrap();
            let len = std::fs::metadata(&path).unwrap().len();
            (path, len)
        };
        log.checkpoint().await.unwrap();
        (path, len)
    };
    // The checkpoint record cut in half, and the head record as it was before (the
    // crash came before the batch's sync, so the head was never written).
    let cp_end = std::fs::metadata(&path).unwrap().len();
    edit(&path, |d| d.truncate(((cp_start + cp_end) / 2) as usize));
    std::fs::write(&head_path, &head_before).unwrap();
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 42);
    assert_eq!(report.torn_tail.map(|t| t.offset), Some(cp_start));
    assert_eq!(log.latest_checkpoint().unwrap().checkpoint().size, 40);
    // Signed again, stored whole this time.
    assert_eq!(log.checkpoint().await.unwrap().checkpoint().size, 42);
    log.verify().unwrap();
}

#[tokio::test]
async fn a_head_record_behind_after_a_power_loss_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    build(dir.path(), &key, 10).await;
    let head_path = dir.path().join(head::HEAD_FILE);
    let old = std::fs::read(&head_path).unwrap();
    {
        let (log, _) = open(dir.path(), &key);
        for i in 10..20 {
            log.append(sample(i)).await.unwrap();
        }
    }
    // The head record's last writes were lost: it says 10, the segment holds 20.
    std::fs::write(&head_path, &old).unwrap();
    let (log, report) = open(dir.path(), &key);
    assert_eq!((report.entries, report.torn_tail), (20, None));
    drop(log);
    // Opening recorded 20 again, durably: a cut below 20 is caught.
    let (path, start, _) = entry_record(dir.path(), &key, 15);
    edit(&path, |d| d.truncate(start));
    refused_at(
        dir.path(),
        &key,
        15,
        Problem::Cut {
            reached: 20,
            evidence: Evidence::Appended,
        },
    );
}

#[tokio::test]
async fn the_same_cosignature_again_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let witness = signer("agent.politie.example/witness");
    let (log, _) = open(dir.path(), &key);
    for i in 0..5 {
        log.append(sample(i)).await.unwrap();
    }
    let cp = log.checkpoint().await.unwrap();
    let opened = open_checkpoint(ORIGIN, &[log.verifier()], &cp.to_bytes()).unwrap();
    let cosigned = witness_checkpoint(None, &opened, &[], &witness).unwrap();
    let verifiers = [witness.verifier().clone()];
    log.add_cosignatures(&cosigned.to_bytes(), &verifiers)
        .await
        .unwrap();
    let (_, path) = list_segments(dir.path()).unwrap().pop().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    // What every relink of the agent does: the same checkpoint, cosigned again, and a
    // checkpoint asked for while the tree has not grown.
    for _ in 0..3 {
        let again = log
            .add_cosignatures(&cosigned.to_bytes(), &verifiers)
            .await
            .unwrap();
        assert!(again.is_signed_by(witness.verifier()));
        assert_eq!(log.checkpoint().await.unwrap().checkpoint().size, 5);
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    // A second witness's signature is new: it is stored.
    let other = signer("agent.om.example/witness");
    let second = witness_checkpoint(None, &opened, &[], &other).unwrap();
    let stored = log
        .add_cosignatures(&second.to_bytes(), &[other.verifier().clone()])
        .await
        .unwrap();
    assert!(stored.is_signed_by(other.verifier()) && stored.is_signed_by(witness.verifier()));
    assert!(std::fs::metadata(&path).unwrap().len() > len);
}

/// A partner's answer is logged as one batch (`append_all`): every entry in order at
/// consecutive indices, durable together; and it fails closed like `append`.
#[tokio::test]
async fn append_all_logs_every_entry_in_order_and_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(dir.path(), &key, LogOptions::default());
    log.append(sample(0)).await.unwrap();
    let indices = log.append_all((1..12).map(sample).collect()).await.unwrap();
    assert_eq!(indices, (1..12).collect::<Vec<u64>>());
    for i in 0..12 {
        assert_eq!(log.entry(i).unwrap().entry, sample(i));
    }
    // Handed over at once: far fewer syncs than entries.
    assert!(log.stats().batches < 12, "{:?}", log.stats());

    let faults = log.faults().clone();
    faults.fail_syncs();
    let err = log
        .append_all((100..105).map(sample).collect())
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::Sync { .. }), "{err:?}");
    assert_eq!(log.tree_size(), 12);
    faults.clear();
    assert_eq!(log.append_all(vec![sample(12)]).await.unwrap(), [12]);
    assert_eq!(log.append_all(Vec::new()).await.unwrap(), Vec::<u64>::new());
    drop(log);
    let (_, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 13);
}

/// Several partners' answers and the file's checkpoint in one batch
/// (`prepare` and `send_prepared_with_checkpoint`, issue 20): the checkpoint covers the
/// entries, and all are handed to the committer as one message and written together
/// (one sync per round).
#[tokio::test]
async fn entries_and_the_checkpoint_after_them_are_written_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(dir.path(), &key, LogOptions::default());
    let before = log.stats().batches;
    for round in 0..20u64 {
        let first = round * 3;
        let (mut prepared, one) = log.prepare(vec![sample(first)]).unwrap();
        let (other, two) = log
            .prepare((first + 1..first + 3).map(sample).collect())
            .unwrap();
        prepared.append(other);
        let signed = log.send_prepared_with_checkpoint(prepared).unwrap();
        let mut indices = one.indices().await.unwrap();
        indices.extend(two.indices().await.unwrap());
        assert_eq!(indices, (first..first + 3).collect::<Vec<u64>>());
        let cp = signed.signed().await.unwrap();
        assert_eq!(
            cp.checkpoint().size,
            first + 3,
            "the checkpoint covers them"
        );
        assert_eq!(cp.checkpoint().root, log.root_at(first + 3).unwrap());
    }
    let batches = log.stats().batches - before;
    assert_eq!(batches, 20, "{batches} batches for 20 rounds");
    drop(log);
    let (log, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 60);
    assert_eq!(log.latest_checkpoint().unwrap().checkpoint().size, 60);
}

/// A checkpoint whose head record could not be written is refused to its caller and
/// is not handed out later either: the log's latest checkpoint stays the one a durable
/// head record covers, until the head record is written again (issue 22).
#[tokio::test]
async fn a_checkpoint_whose_head_record_failed_is_never_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    let log = open_with(dir.path(), &key, LogOptions::default());
    log.append_all((0..3).map(sample).collect()).await.unwrap();
    assert_eq!(log.checkpoint().await.unwrap().checkpoint().size, 3);
    log.append_all((3..5).map(sample).collect()).await.unwrap();

    let faults = log.faults().clone();
    faults.fail_head_writes();
    let err = log.checkpoint().await.unwrap_err();
    assert!(matches!(err, LogError::Write { .. }), "{err:?}");
    let latest = log.latest_checkpoint().map(|c| c.checkpoint().size);
    assert_eq!(latest, Some(3), "a checkpoint without its head record");
    // The entries themselves stay appended (durable in the segment).
    assert_eq!(log.tree_size(), 5);
    let failing = log.write_failure().expect("shown in /healthz");
    assert!(failing.contains("head record"), "{failing}");

    // A witness's cosignature is not stored either while the head record fails.
    let witness = signer("agent.politie.example/witness");
    let first = log.latest_checkpoint().unwrap();
    let opened = open_checkpoint(ORIGIN, &[log.verifier()], &first.to_bytes()).unwrap();
    let cosigned = witness_checkpoint(None, &opened, &[], &witness).unwrap();
    let verifiers = [witness.verifier().clone()];
    let err = log
        .add_cosignatures(&cosigned.to_bytes(), &verifiers)
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::Write { .. }), "{err:?}");
    let stored = log.checkpoint_of_size(3).unwrap();
    assert_eq!(stored.signatures().len(), 1, "only the log's own signature");
    assert_eq!(log.latest_checkpoint().unwrap().signatures().len(), 1);

    faults.clear();
    assert_eq!(log.checkpoint().await.unwrap().checkpoint().size, 5);
    let latest = log.latest_checkpoint().map(|c| c.checkpoint().size);
    assert_eq!(latest, Some(5));
    assert_eq!(log.write_failure(), None);
    let stored = log
        .add_cosignatures(&cosigned.to_bytes(), &verifiers)
        .await
        .unwrap();
    assert_eq!(stored.signatures().len(), 2);
    drop(log);
    let (_, report) = open(dir.path(), &key);
    assert_eq!(report.entries, 5);
}

/// A head record whose last write failed is written again when the log closes
/// cleanly: it then says what the hub signed, and a cut below it is caught as a cut
/// of signed entries (without the rewrite, only the unsigned appends were on record).
#[tokio::test]
async fn a_clean_close_writes_a_failed_head_record_again() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new();
    {
        let log = open_with(dir.path(), &key, LogOptions::default());
        log.append_all((0..3).map(sample).collect()).await.unwrap();
        log.checkpoint().await.unwrap();
        log.append_all((3..5).map(sample).collect()).await.unwrap();
        let faults = log.faults().clone();
        faults.fail_head_writes();
        log.checkpoint().await.unwrap_err();
        faults.clear();
    }
    let (path, start, _) = entry_record(dir.path(), &key, 4);
    edit(&path, |d| d.truncate(start));
    refused_at(
        dir.path(),
        &key,
        4,
        Problem::Cut {
            reached: 5,
            evidence: Evidence::Signed,
        },
    );
}
