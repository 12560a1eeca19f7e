//! The decision log in PostgreSQL (issue 21), on a real server the tests start
//! (treiter-testpg; skipped without PostgreSQL, failing under `CI=true`): durability
//! across reopening, several replicas appending and signing at once, cosignatures seen
//! by every replica, tampering named, a database outage failing closed.

use std::collections::{BTreeMap, BTreeSet};

use super::checkpoint::NoteSigner;
use super::entry::tests::sample;
use super::tree::MerkleTree;
use super::*;
use crate::store::postgres::{Database, migrate};
use ring::signature::Ed25519KeyPair;
use treiter_testpg::TestPostgres;

const ORIGIN: &str = "hub.treiteraanpak.example/decision-log";

fn new_pkcs8() -> Vec<u8> {
    key::generate_pkcs8().unwrap()
}

fn log_key(pkcs8: &[u8]) -> LogKey {
    LogKey::from_pkcs8(ORIGIN, pkcs8).unwrap()
}

/// A fresh, migrated data database on `server`.
fn database(server: &TestPostgres, name: &str) -> Database {
    server.create_database(name).unwrap();
    let database = Database::connect(&server.url(name), None, 4, None).unwrap();
    migrate::migrate(&database, "data", migrate::DATA).unwrap();
    database
}

fn open_replica(database: &Database, pkcs8: &[u8]) -> Log {
    postgres::open(database.clone(), log_key(pkcs8), LogOptions::default())
        .unwrap()
        .0
}

fn sql(database: &Database, statement: &'static str) {
    database
        .run(move |pool| async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            client
                .batch_execute(statement)
                .await
                .map_err(|e| e.to_string())
        })
        .unwrap();
}

/// Waits (bounded) until `log` has caught up to `size` entries.
fn wait_for_size(log: &Log, size: u64) {
    let start = std::time::Instant::now();
    while log.tree_size() < size {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the replica did not catch up: {} of {size}",
            log.tree_size()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn signer(name: &str) -> NoteSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    NoteSigner::from_pkcs8(name, pkcs8.as_ref()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_log_in_postgres_keeps_entries_checkpoints_and_refuses_tampering() {
    let Some(server) = TestPostgres::start_or_skip(
        "the_log_in_postgres_keeps_entries_checkpoints_and_refuses_tampering",
    ) else {
        return;
    };
    let pkcs8 = new_pkcs8();

    // Appended, signed, cosigned, reopened: everything as it was.
    let db = database(&server, "durable");
    let witness = signer("agent.politie.example/witness");
    let (size, root, cosigned_size) = {
        let log = open_replica(&db, &pkcs8);
        let mut indices = Vec::new();
        for i in 0..20 {
            indices.push(log.append(sample(i)).await.unwrap());
        }
        let batch = log
            .append_all((20..30).map(sample).collect())
            .await
            .unwrap();
        indices.extend(batch);
        assert_eq!(indices, (0..30).collect::<Vec<u64>>());
        let cp = log.checkpoint().await.unwrap();
        assert_eq!(cp.checkpoint().size, 30);
        // No new entries: the same checkpoint again.
        assert_eq!(log.checkpoint().await.unwrap(), cp);
        let opened = open_checkpoint(ORIGIN, &[log.verifier()], &cp.to_bytes()).unwrap();
        let note = witness_checkpoint(None, &opened, &[], &witness).unwrap();
        let stored = log
            .add_cosignatures(&note.to_bytes(), &[witness.verifier().clone()])
            .await
            .unwrap();
        assert!(stored.is_signed_by(witness.verifier()));
        assert_eq!(log.entry(7).unwrap().entry, sample(7));
        assert_eq!(log.entries(25, 99).unwrap().len(), 5, "clamped to the log");
        let report = log.verify().unwrap();
        assert_eq!((report.entries, report.covered_by_checkpoint), (30, 30));
        (log.tree_size(), log.root(), cp.checkpoint().size)
    };
    let (log, report) = postgres::open(db.clone(), log_key(&pkcs8), LogOptions::default()).unwrap();
    assert_eq!((report.entries, report.checkpoints), (30, 1));
    assert_eq!((log.tree_size(), log.root()), (size, root));
    let latest = log.latest_checkpoint().unwrap();
    assert_eq!(latest.checkpoint().size, cosigned_size);
    assert!(latest.is_signed_by(witness.verifier()), "cosignature kept");
    let proof = log.inclusion_proof(3, 30).unwrap();
    verify_inclusion(&log.entry(3).unwrap().leaf_hash(), 3, 30, &proof, &root).unwrap();
    assert_eq!(
        log.append(sample(30)).await.unwrap(),
        30,
        "no gap after reopening"
    );
    drop(log);

    // Another key is refused, naming both keys.
    match postgres::open(db.clone(), log_key(&new_pkcs8()), LogOptions::default()) {
        Err(LogError::OtherKey { stored, ours, .. }) => assert_ne!(stored, ours),
        other => panic!("{other:?}"),
    }

    // Tampering, each on a copy of the same log: named at the right entry, refused at
    // open, and a supplied checkpoint is checked too.
    type Tampering = (&'static str, &'static str, u64, fn(&Problem) -> bool);
    let cases: [Tampering; 4] = [
        (
            "changed",
            "UPDATE hub_log_entries SET body = set_byte(body, 3, get_byte(body, 3) # 1) WHERE idx = 12",
            12,
            |p| matches!(p, Problem::Changed),
        ),
        (
            "removed",
            "DELETE FROM hub_log_entries WHERE idx = 5",
            5,
            |p| matches!(p, Problem::Removed { found: 6 }),
        ),
        (
            "cut",
            "DELETE FROM hub_log_entries WHERE idx >= 28",
            28,
            |p| matches!(p, Problem::Cut { reached: 30, .. }),
        ),
        (
            "inserted",
            "INSERT INTO hub_log_entries (idx, body, tag) SELECT 40, body, tag FROM hub_log_entries WHERE idx = 1",
            40,
            |p| matches!(p, Problem::BadCheckpoint { .. }),
        ),
    ];
    for (n, (name, statement, index, is_problem)) in cases.into_iter().enumerate() {
        let copy = database(&server, &format!("tampered_{n}"));
        {
            let log = open_replica(&copy, &pkcs8);
            log.append_all((0..30).map(sample).collect()).await.unwrap();
            log.checkpoint().await.unwrap();
        }
        sql(&copy, statement);
        match postgres::verify_database(&copy, &log_key(&pkcs8), &[]) {
            Err(VerifyError::Tampered(f)) => {
                assert_eq!(f.index, index, "{name}: {f}");
                assert!(is_problem(&f.problem), "{name}: {f}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(
            matches!(
                postgres::open(copy.clone(), log_key(&pkcs8), LogOptions::default()),
                Err(LogError::Tampered(_))
            ),
            "{name}: opened"
        );
    }
}

/// Three replicas of one log append and sign at once (a checkpoint by whichever
/// replica asks, as a leader change would): indices are unique and consecutive, every
/// checkpoint any replica signed is of the one tree, each replica serves proofs of the
/// others' entries, and cosignatures reach them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_one_log_and_never_sign_different_views() {
    let Some(server) =
        TestPostgres::start_or_skip("replicas_share_one_log_and_never_sign_different_views")
    else {
        return;
    };
    let pkcs8 = new_pkcs8();
    let db = database(&server, "replicas");
    let replicas: Vec<Log> = (0..3)
        .map(|_| {
            // Each replica with a pool of its own, as separate processes would have.
            let own = Database::connect(&server.url("replicas"), None, 4, None).unwrap();
            open_replica(&own, &pkcs8)
        })
        .collect();
    drop(db);

    let rounds = 12u64;
    let mut tasks = Vec::new();
    for (r, log) in replicas.iter().enumerate() {
        for writer in 0..3u64 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                let mut appended = Vec::new();
                let mut signed = Vec::new();
                for round in 0..rounds {
                    let n = (r as u64 * 1000) + writer * 100 + round;
                    if round % 3 == 0 {
                        appended.extend(
                            log.append_all(vec![sample(n), sample(n + 50)])
                                .await
                                .unwrap(),
                        );
                    } else {
                        appended.push(log.append(sample(n)).await.unwrap());
                    }
                    if (round + writer) % 4 == 0 {
                        signed.push(log.checkpoint().await.unwrap());
                    }
                }
                (appended, signed)
            }));
        }
    }
    let mut indices = Vec::new();
    let mut checkpoints = Vec::new();
    for task in tasks {
        let (appended, signed) = task.await.unwrap();
        indices.extend(appended);
        checkpoints.extend(signed);
    }
    let total = indices.len() as u64;
    let unique: BTreeSet<u64> = indices.iter().copied().collect();
    assert_eq!(unique.len() as u64, total, "an index was handed out twice");
    assert_eq!(unique, (0..total).collect(), "indices are consecutive");

    for log in &replicas {
        wait_for_size(log, total);
    }
    let root = replicas[0].root();
    for log in &replicas {
        assert_eq!(log.root(), root, "every replica holds the same tree");
    }
    // Every checkpoint signed by any replica is of that tree: one view.
    let mut by_size: BTreeMap<u64, Hash> = BTreeMap::new();
    for cp in &checkpoints {
        let c = cp.checkpoint();
        assert_eq!(
            replicas[1].root_at(c.size).unwrap(),
            c.root,
            "size {}",
            c.size
        );
        if let Some(other) = by_size.insert(c.size, c.root) {
            assert_eq!(other, c.root, "two roots for size {}", c.size);
        }
    }
    assert!(by_size.len() > 1, "several checkpoints were signed");

    // Each replica serves a proof of an entry another one appended, for the tree head
    // a third one signed.
    let head = replicas[2].checkpoint().await.unwrap();
    let size = head.checkpoint().size;
    assert_eq!(size, total);
    for (i, log) in replicas.iter().enumerate() {
        let index = (i as u64 * 7) % total;
        let leaf = log.entry(index).unwrap().leaf_hash();
        let proof = log.inclusion_proof(index, size).unwrap();
        verify_inclusion(&leaf, index, size, &proof, &head.checkpoint().root).unwrap();
    }

    // A witness cosigns through one replica; the others learn of it.
    let witness = signer("agent.ggd.example/witness");
    let opened = open_checkpoint(ORIGIN, &[replicas[0].verifier()], &head.to_bytes()).unwrap();
    let note = witness_checkpoint(None, &opened, &[], &witness).unwrap();
    replicas[0]
        .add_cosignatures(&note.to_bytes(), &[witness.verifier().clone()])
        .await
        .unwrap();
    let start = std::time::Instant::now();
    while !replicas[2]
        .checkpoint_of_size(size)
        .is_some_and(|cp| cp.is_signed_by(witness.verifier()))
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "cosignature not seen"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    for log in &replicas {
        let report = log.verify().unwrap();
        assert_eq!(report.entries, total);
    }
    let mut tree = MerkleTree::new();
    for e in replicas[1].entries(0, total).unwrap() {
        tree.push(e.leaf_hash());
    }
    assert_eq!(tree.root(), root);
}

/// While the database is down nothing is appended and the operator is told; once it
/// is back appends resume at the next index, with nothing acknowledged lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_fails_appends_closed_and_they_resume_after_it() {
    let Some(mut server) = TestPostgres::start_or_skip(
        "a_database_outage_fails_appends_closed_and_they_resume_after_it",
    ) else {
        return;
    };
    let pkcs8 = new_pkcs8();
    let db = database(&server, "outage");
    let log = open_replica(&db, &pkcs8);
    log.append_all((0..10).map(sample).collect()).await.unwrap();
    let before = log.checkpoint().await.unwrap();

    server.crash().unwrap();
    let refused = log.append(sample(10)).await;
    assert!(
        matches!(refused, Err(LogError::Write { .. })),
        "{refused:?}"
    );
    assert!(log.write_failure().is_some());
    assert!(
        log.checkpoint().await.is_err(),
        "no checkpoint without the database"
    );
    assert_eq!(log.tree_size(), 10);

    server.restart().unwrap();
    let start = std::time::Instant::now();
    let index = loop {
        match log.append(sample(11)).await {
            Ok(index) => break index,
            Err(_) if start.elapsed() < std::time::Duration::from_secs(60) => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("appends did not resume: {e}"),
        }
    };
    assert_eq!(index, 10, "no index lost to the failed append");
    assert!(log.write_failure().is_none());
    let after = log.checkpoint().await.unwrap();
    let proof = log
        .consistency_proof(before.checkpoint().size, after.checkpoint().size)
        .unwrap();
    verify_consistency(
        before.checkpoint().size,
        after.checkpoint().size,
        &before.checkpoint().root,
        &after.checkpoint().root,
        &proof,
    )
    .unwrap();
    drop(log);
    let reopened = postgres::verify_database(&db, &log_key(&pkcs8), &[before.to_bytes()]).unwrap();
    assert_eq!(reopened.entries, 11);
}

/// The state change the entries record is written in their transaction
/// (`log::recording`): the change's rows hold the indices the entries got; when the
/// database refuses a row of the change, the entries are not appended either (the
/// log-first order kept them, recording a change that never took effect); a change
/// that cannot be formed fails only its own caller, not the appends beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn entries_and_the_change_they_record_commit_together_or_not_at_all() {
    use crate::store::{Batch, PgStore, Store};
    use crate::tables::idempotency::{self, Record, Requester};
    use std::sync::Arc;

    let Some(server) = TestPostgres::start_or_skip(
        "entries_and_the_change_they_record_commit_together_or_not_at_all",
    ) else {
        return;
    };
    let pkcs8 = new_pkcs8();
    let db = database(&server, "recording");
    let log = open_replica(&db, &pkcs8);
    let store: Arc<dyn Store> =
        Arc::new(PgStore::open(&server.url("recording"), None, 4, None).unwrap());
    let officer = Requester::Officer { person: "po-1" };
    let change_storing = |id: &'static str| {
        move |indices: &[u64]| {
            let mut batch = Batch::new();
            let value = format!("{indices:?}").into_bytes();
            Record::officer("po-1", id, value).put(&mut batch);
            Ok::<_, String>((batch, indices.len()))
        }
    };

    // Stored with the indices its entries got.
    let (indices, n) = log
        .append_recording(
            vec![sample(1), sample(2)],
            Arc::clone(&store),
            change_storing("first"),
        )
        .await
        .unwrap();
    assert_eq!((indices.clone(), n), (vec![0, 1], 2));
    assert_eq!(
        idempotency::get(store.as_ref(), officer, "first").unwrap(),
        Some(b"[0, 1]".to_vec())
    );

    // The database refuses the change's row: the entry goes with it.
    sql(
        &db,
        "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.key LIKE '%refused%'::bytea THEN \
         RAISE EXCEPTION 'row refused by the test'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON hub_records \
         FOR EACH ROW EXECUTE FUNCTION refuse_row();",
    );
    let refused = log
        .append_recording(
            vec![sample(3)],
            Arc::clone(&store),
            change_storing("refused"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, RecordingError::Log(_)),
        "the refused change fails as the log's transaction: {refused}"
    );
    assert_eq!(log.tree_size(), 2, "no entry without its change");
    assert_eq!(
        idempotency::get(store.as_ref(), officer, "refused").unwrap(),
        None
    );
    // Another replica (a fresh open reads the tables) sees the same two entries.
    drop(log);
    let log = open_replica(&db, &pkcs8);
    assert_eq!(log.tree_size(), 2);

    // A change that cannot be formed fails alone; the append beside it is written and
    // takes the next index.
    let mut appends = Vec::new();
    for n in 0..8u64 {
        let log = log.clone();
        appends.push(tokio::spawn(
            async move { log.append(sample(10 + n)).await },
        ));
    }
    let unformable = log
        .append_recording(vec![sample(4)], Arc::clone(&store), |_: &[u64]| {
            Err::<(Batch, ()), _>("the change could not be formed".to_string())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&unformable, RecordingError::Change(e) if e == "the change could not be formed"),
        "{unformable}"
    );
    let mut indices = BTreeSet::new();
    for append in appends {
        indices.insert(append.await.unwrap().unwrap());
    }
    assert_eq!(
        indices,
        (2..10).collect(),
        "the others' indices are consecutive"
    );
    let (last, _) = log
        .append_recording(vec![sample(5)], Arc::clone(&store), change_storing("last"))
        .await
        .unwrap();
    assert_eq!(last, vec![10]);
    let report = log.verify().unwrap();
    assert_eq!(report.entries, 11);
}

/// The `signed_by` of every stored checkpoint, by size.
fn stored_signers(database: &Database) -> Vec<(i64, Option<String>)> {
    database
        .run(|pool| async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            let rows = client
                .query(
                    "SELECT tree_size, signed_by FROM hub_log_checkpoints ORDER BY tree_size",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
        .unwrap()
}

/// Every published checkpoint names the replica that signed it (`signed_by`, data
/// schema version 3) and keeps it when cosignatures are merged in; a log opened outside
/// a replica names none; [`postgres::checkpoint_signers`] counts them per replica, the
/// signer of the latest checkpoint last. A checkpoint stored before the migration keeps
/// no signer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_checkpoint_names_the_replica_that_signed_it() {
    let Some(server) =
        TestPostgres::start_or_skip("each_checkpoint_names_the_replica_that_signed_it")
    else {
        return;
    };
    // A row of schema version 2 stays without a signer through the migration.
    server.create_database("signers_v2").unwrap();
    let old = Database::connect(&server.url("signers_v2"), None, 1, None).unwrap();
    let version_2: &'static [migrate::Migration] = &migrate::DATA[..2];
    assert_eq!(version_2.last().map(|m| m.version), Some(2));
    migrate::migrate(&old, "data", version_2).unwrap();
    sql(
        &old,
        "INSERT INTO hub_log_checkpoints (tree_size, note) VALUES (1, '\\x00')",
    );
    assert_eq!(
        migrate::migrate(&old, "data", migrate::DATA).unwrap(),
        vec![3]
    );
    assert_eq!(stored_signers(&old), vec![(1, None)]);

    let pkcs8 = new_pkcs8();
    let db = database(&server, "signers");
    let own = || Database::connect(&server.url("signers"), None, 2, None).unwrap();
    let anonymous = open_replica(&own(), &pkcs8);
    let a = postgres::open_as_replica(own(), log_key(&pkcs8), LogOptions::default(), "replica-a")
        .unwrap()
        .0;
    let b = postgres::open_as_replica(own(), log_key(&pkcs8), LogOptions::default(), "replica-b")
        .unwrap()
        .0;
    // Each signs in turn over one log: sizes 1 (no replica), 2 (a), 3 (b), 4 (a).
    for (n, log) in [&anonymous, &a, &b, &a].into_iter().enumerate() {
        log.append(sample(n as u64)).await.unwrap();
        assert_eq!(
            log.checkpoint().await.unwrap().checkpoint().size,
            n as u64 + 1
        );
    }
    // Cosigned through b: a's checkpoint stays a's.
    let head = a.checkpoint().await.unwrap();
    let witness = signer("agent.om.example/witness");
    let opened = open_checkpoint(ORIGIN, &[a.verifier()], &head.to_bytes()).unwrap();
    let note = witness_checkpoint(None, &opened, &[], &witness).unwrap();
    wait_for_size(&b, 4);
    b.add_cosignatures(&note.to_bytes(), &[witness.verifier().clone()])
        .await
        .unwrap();

    let named = |s: &str| Some(s.to_owned());
    assert_eq!(
        stored_signers(&db),
        vec![
            (1, None),
            (2, named("replica-a")),
            (3, named("replica-b")),
            (4, named("replica-a")),
        ]
    );
    let count =
        |signer: Option<String>, checkpoints, first_size, last_size| postgres::SignerCount {
            signer,
            checkpoints,
            first_size,
            last_size,
        };
    assert_eq!(
        postgres::checkpoint_signers(&db).unwrap(),
        vec![
            count(None, 1, 1, 1),
            count(named("replica-b"), 1, 3, 3),
            count(named("replica-a"), 2, 2, 4),
        ]
    );
    postgres::verify_database(&db, &log_key(&pkcs8), &[]).unwrap();
}
