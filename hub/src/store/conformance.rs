//! The [`Store`] contract, checked the same way against every backend: sled and a real
//! PostgreSQL (started by the test; skipped on a developer's machine without one, never
//! in CI).
//!
//! Each check gets a fresh store from the backend, and can open the same store again
//! (after dropping its handle) to see what survived.

use std::sync::Arc;

use super::{Batch, PgStore, SledStore, Space, Store, StoreError};
use crate::seal::{KeyStore, KeyStoreError, MasterKey, SealedStore};
use crate::store::Owner;

/// Opens store number `n` of a backend: the same `n` opens the same store again.
trait Backend {
    fn open(&mut self, n: usize) -> Arc<dyn Store>;
    /// A key store for sealed-store checks, kept where this backend keeps keys.
    fn keys(&mut self, n: usize, master: MasterKey) -> Result<KeyStore, KeyStoreError>;
}

struct Sled {
    dir: tempfile::TempDir,
}

impl Backend for Sled {
    fn open(&mut self, n: usize) -> Arc<dyn Store> {
        // sled releases its file lock from a background thread a moment after the last
        // handle is dropped, so reopening retries for a while (as the hub's tests do).
        let dir = self.dir.path().join(format!("store-{n}"));
        let start = std::time::Instant::now();
        loop {
            match SledStore::open(&dir) {
                Ok(store) => return Arc::new(store),
                Err(e) if start.elapsed() > std::time::Duration::from_secs(10) => {
                    panic!("cannot reopen the sled store: {e}")
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    }
    fn keys(&mut self, n: usize, master: MasterKey) -> Result<KeyStore, KeyStoreError> {
        KeyStore::open(&self.dir.path().join(format!("keys-{n}")), master)
    }
}

struct Postgres {
    server: treiter_testpg::TestPostgres,
    created: std::collections::HashSet<String>,
}

impl Postgres {
    fn database(&mut self, name: String) -> String {
        if self.created.insert(name.clone()) {
            self.server.create_database(&name).unwrap();
        }
        self.server.url(&name)
    }
}

impl Backend for Postgres {
    fn open(&mut self, n: usize) -> Arc<dyn Store> {
        let url = self.database(format!("data_{n}"));
        Arc::new(PgStore::open(&url, None, 4, None).unwrap())
    }
    fn keys(&mut self, n: usize, master: MasterKey) -> Result<KeyStore, KeyStoreError> {
        let url = self.database(format!("keys_{n}"));
        let database = crate::store::postgres::Database::connect(&url, None, 2, None).unwrap();
        crate::store::postgres::migrate::migrate(
            &database,
            "keys",
            crate::store::postgres::migrate::KEYS,
        )
        .unwrap();
        KeyStore::open_postgres(database, master)
    }
}

/// One check of the contract, run on store number `n` of a backend.
type Check = fn(&mut dyn Backend, usize);

/// Every check, each on a fresh store of `backend`.
fn conformance(backend: &mut dyn Backend) {
    let checks: [(&str, Check); 8] = [
        (
            "reads what was written, overwritten and deleted",
            read_write_delete,
        ),
        ("keyspaces do not collide", spaces_do_not_collide),
        ("prefix scans are in byte order", prefix_scans_in_byte_order),
        ("a batch applies in order", batch_applies_in_order),
        ("applied batches survive reopening", survives_reopening),
        ("counters count", counters_count),
        ("concurrent batches all land", concurrent_batches_all_land),
        (
            "sealed records open and shred",
            sealed_records_open_and_shred,
        ),
    ];
    for (n, (name, check)) in checks.into_iter().enumerate() {
        eprintln!("store conformance: {name}");
        check(backend, n);
    }
}

#[test]
fn sled_keeps_the_store_contract() {
    conformance(&mut Sled {
        dir: tempfile::tempdir().unwrap(),
    });
}

#[test]
fn postgres_keeps_the_store_contract() {
    let Some(server) =
        treiter_testpg::TestPostgres::start_or_skip("postgres_keeps_the_store_contract")
    else {
        return;
    };
    conformance(&mut Postgres {
        server,
        created: Default::default(),
    });
}

fn put(store: &dyn Store, space: Space, key: &[u8], value: &[u8]) {
    let mut batch = Batch::new();
    batch.put(space, key.to_vec(), value.to_vec());
    store.apply(batch).unwrap();
}

fn read_write_delete(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    assert_eq!(store.get(Space::Cases, b"C-1").unwrap(), None);
    assert!(!store.contains(Space::Cases, b"C-1").unwrap());
    put(store.as_ref(), Space::Cases, b"C-1", b"first");
    assert!(store.contains(Space::Cases, b"C-1").unwrap());
    assert!(!store.contains(Space::Outbox, b"C-1").unwrap());
    assert_eq!(store.get(Space::Cases, b"C-1").unwrap().unwrap(), b"first");
    put(store.as_ref(), Space::Cases, b"C-1", b"second");
    assert_eq!(store.get(Space::Cases, b"C-1").unwrap().unwrap(), b"second");
    // Values of any size and content, keys of any bytes.
    let big: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    put(store.as_ref(), Space::Cases, &[0, 0xff, 0x27, 0x5c], &big);
    assert_eq!(
        store.get(Space::Cases, &[0, 0xff, 0x27, 0x5c]).unwrap(),
        Some(big)
    );
    put(store.as_ref(), Space::Cases, b"empty", b"");
    assert_eq!(store.get(Space::Cases, b"empty").unwrap(), Some(vec![]));
    let mut batch = Batch::new();
    batch.delete(Space::Cases, b"C-1".to_vec());
    // Deleting what is not there is harmless.
    batch.delete(Space::Cases, b"never".to_vec());
    store.apply(batch).unwrap();
    assert_eq!(store.get(Space::Cases, b"C-1").unwrap(), None);
    // An empty batch is fine.
    store.apply(Batch::new()).unwrap();
}

fn spaces_do_not_collide(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    let mut batch = Batch::new();
    batch.put(Space::Cases, b"C-1".to_vec(), b"case".to_vec());
    batch.put(Space::Outbox, b"C-1".to_vec(), b"question".to_vec());
    store.apply(batch).unwrap();
    assert_eq!(store.get(Space::Cases, b"C-1").unwrap().unwrap(), b"case");
    assert_eq!(
        store.get(Space::Outbox, b"C-1").unwrap().unwrap(),
        b"question"
    );
    assert_eq!(store.scan(Space::Meta, b"").unwrap(), vec![]);
    let mut batch = Batch::new();
    batch.delete(Space::Cases, b"C-1".to_vec());
    store.apply(batch).unwrap();
    assert!(store.get(Space::Outbox, b"C-1").unwrap().is_some());
}

fn prefix_scans_in_byte_order(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    let keys: [&[u8]; 9] = [
        b"a",
        b"a\x00",
        b"a\x01",
        b"a\x7f",
        b"a\x80",
        b"a\xff",
        b"a\xff\xff",
        b"b",
        b"\xff\xff",
    ];
    let mut batch = Batch::new();
    // Written in reverse, so the order must come from the store.
    for key in keys.iter().rev() {
        batch.put(Space::Notifications, key.to_vec(), key.to_vec());
    }
    batch.put(Space::Inzages, b"a-other".to_vec(), b"x".to_vec());
    store.apply(batch).unwrap();

    let under_a: Vec<Vec<u8>> = keys[..7].iter().map(|k| k.to_vec()).collect();
    let scanned = store.scan(Space::Notifications, b"a").unwrap();
    assert_eq!(
        scanned.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        under_a
    );
    assert!(scanned.iter().all(|(k, v)| k == v), "values beside keys");
    assert_eq!(
        store.scan_keys(Space::Notifications, b"a").unwrap(),
        under_a
    );
    assert_eq!(
        store.scan_keys(Space::Notifications, b"a\xff").unwrap(),
        vec![b"a\xff".to_vec(), b"a\xff\xff".to_vec()]
    );
    assert_eq!(
        store.scan_keys(Space::Notifications, b"\xff").unwrap(),
        vec![b"\xff\xff".to_vec()]
    );
    let everything = store.scan_keys(Space::Notifications, b"").unwrap();
    assert_eq!(
        everything,
        keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(store.scan(Space::Notifications, b"c").unwrap(), vec![]);
}

fn batch_applies_in_order(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    let mut batch = Batch::new();
    batch.put(Space::Meta, b"written-then-deleted".to_vec(), b"1".to_vec());
    batch.delete(Space::Meta, b"written-then-deleted".to_vec());
    batch.delete(Space::Meta, b"deleted-then-written".to_vec());
    batch.put(Space::Meta, b"deleted-then-written".to_vec(), b"2".to_vec());
    batch.put(Space::Meta, b"twice".to_vec(), b"old".to_vec());
    batch.put(Space::Meta, b"twice".to_vec(), b"new".to_vec());
    store.apply(batch).unwrap();
    assert_eq!(
        store.get(Space::Meta, b"written-then-deleted").unwrap(),
        None
    );
    assert_eq!(
        store.get(Space::Meta, b"deleted-then-written").unwrap(),
        Some(b"2".to_vec())
    );
    assert_eq!(
        store.get(Space::Meta, b"twice").unwrap(),
        Some(b"new".to_vec())
    );
}

fn survives_reopening(backend: &mut dyn Backend, n: usize) {
    {
        let store = backend.open(n);
        let mut batch = Batch::new();
        for i in 0..100u32 {
            batch.put(
                Space::CaseEvents,
                i.to_be_bytes().to_vec(),
                vec![i as u8; 64],
            );
        }
        batch.put(
            Space::Meta,
            b"next-case".to_vec(),
            7u64.to_be_bytes().to_vec(),
        );
        store.apply(batch).unwrap();
    }
    let store = backend.open(n);
    assert_eq!(store.scan(Space::CaseEvents, b"").unwrap().len(), 100);
    assert_eq!(
        store.get(Space::Meta, b"next-case").unwrap().unwrap(),
        7u64.to_be_bytes()
    );
}

fn counters_count(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    let mut batch = Batch::new();
    assert_eq!(
        crate::tables::meta::next_counter(store.as_ref(), "seq", &mut batch).unwrap(),
        1
    );
    store.apply(batch).unwrap();
    let mut batch = Batch::new();
    assert_eq!(
        crate::tables::meta::next_counter(store.as_ref(), "seq", &mut batch).unwrap(),
        2
    );
    let mut damage = Batch::new();
    damage.put(Space::Meta, b"seq".to_vec(), b"xyz".to_vec());
    store.apply(damage).unwrap();
    assert!(matches!(
        crate::tables::meta::next_counter(store.as_ref(), "seq", &mut Batch::new()),
        Err(StoreError::Damaged { .. })
    ));
}

fn concurrent_batches_all_land(backend: &mut dyn Backend, n: usize) {
    let store = backend.open(n);
    std::thread::scope(|scope| {
        for thread in 0..4u8 {
            let store = Arc::clone(&store);
            scope.spawn(move || {
                for i in 0..25u8 {
                    let mut batch = Batch::new();
                    batch.put(Space::Idempotency, vec![thread, i], vec![thread]);
                    batch.put(Space::Deliveries, vec![thread, i], vec![i]);
                    store.apply(batch).unwrap();
                }
            });
        }
    });
    assert_eq!(store.scan_keys(Space::Idempotency, b"").unwrap().len(), 100);
    assert_eq!(store.scan_keys(Space::Deliveries, b"").unwrap().len(), 100);
}

fn sealed_records_open_and_shred(backend: &mut dyn Backend, n: usize) {
    let master = || MasterKey::from_bytes(&[0x42; 32]);
    let inner = backend.open(n);
    let keys = backend.keys(n, master()).unwrap();
    let sealed = SealedStore::new(Arc::clone(&inner), Arc::new(keys));
    let mut batch = Batch::new();
    batch.put_sealed(
        Space::Cases,
        b"C-2026-0009".to_vec(),
        b"synthetic case".to_vec(),
        Owner::case("C-2026-0009"),
    );
    sealed.apply(batch).unwrap();
    // Below the sealing layer only ciphertext is stored.
    let raw = inner.get(Space::Cases, b"C-2026-0009").unwrap().unwrap();
    assert!(!raw.windows(9).any(|w| w == b"synthetic"));
    assert_eq!(
        sealed.get(Space::Cases, b"C-2026-0009").unwrap().unwrap(),
        b"synthetic case"
    );
    // A key store opened again (another replica, or after a restart) opens it too.
    let again = SealedStore::new(
        Arc::clone(&inner),
        Arc::new(backend.keys(n, master()).unwrap()),
    );
    assert_eq!(
        again.get(Space::Cases, b"C-2026-0009").unwrap().unwrap(),
        b"synthetic case"
    );
    // A wrong master key is refused at open.
    assert!(matches!(
        backend.keys(n, MasterKey::from_bytes(&[0x43; 32])),
        Err(KeyStoreError::WrongMasterKey { .. })
    ));
    // Shredding the key makes the record unreadable for every holder of the data.
    let keys = backend.keys(n, master()).unwrap();
    keys.shred("C-2026-0009").unwrap();
    let after = SealedStore::new(
        Arc::clone(&inner),
        Arc::new(backend.keys(n, master()).unwrap()),
    );
    assert!(matches!(
        after.get(Space::Cases, b"C-2026-0009"),
        Err(StoreError::Shredded { .. })
    ));
}

/// PostgreSQL's side of the durability contract: the server is stopped the way a crash
/// stops it (`pg_ctl -m immediate`: no checkpoint, no clean shutdown) while batches are
/// being applied; after it restarts, every acknowledged batch is there, whole. (The
/// hub's side — a `kill -9`ed hub process — is in `tests/tests/postgres.rs`.)
#[test]
fn postgres_keeps_every_acknowledged_batch_through_a_server_crash() {
    let Some(mut server) = treiter_testpg::TestPostgres::start_or_skip(
        "postgres_keeps_every_acknowledged_batch_through_a_server_crash",
    ) else {
        return;
    };
    server.create_database("crash").unwrap();
    let url = server.url("crash");
    let store = Arc::new(PgStore::open(&url, None, 2, None).unwrap());
    let acknowledged = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let (store, acknowledged) = (Arc::clone(&store), Arc::clone(&acknowledged));
        std::thread::spawn(move || {
            for i in 1..=100_000u64 {
                let mut batch = Batch::new();
                // Two keyspaces in one batch: atomicity across them is part of the claim.
                batch.put(Space::Cases, i.to_be_bytes().to_vec(), vec![7u8; 256]);
                batch.put(Space::Meta, b"last".to_vec(), i.to_be_bytes().to_vec());
                if store.apply(batch).is_err() {
                    return;
                }
                acknowledged.store(i, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    let start = std::time::Instant::now();
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 200 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the writer is too slow"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.crash().unwrap();
    writer.join().unwrap();
    let last_acknowledged = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
    server.restart().unwrap();

    let store = PgStore::open(&url, None, 2, None).unwrap();
    let last_stored = u64::from_be_bytes(
        store
            .get(Space::Meta, b"last")
            .unwrap()
            .unwrap()
            .try_into()
            .unwrap(),
    );
    assert!(
        last_stored >= last_acknowledged,
        "acknowledged batch {last_acknowledged} lost; the store has {last_stored}"
    );
    // Nothing torn: every batch up to the last stored one is there, whole, and none after.
    let cases = store.scan_keys(Space::Cases, b"").unwrap();
    assert_eq!(cases.len() as u64, last_stored, "one case per batch");
    eprintln!("{last_acknowledged} batches acknowledged before the crash; {last_stored} stored");
}

/// A CA, and a server certificate for 127.0.0.1 and localhost that it issued (PEM:
/// CA certificate, server certificate, server key).
fn database_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "synthetic database CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = server_params.signed_by(&server_key, &ca).unwrap();
    (ca.pem(), server.pem(), server_key.serialize_pem())
}

/// With `store.tls_ca` the hub speaks TLS to the database and checks the server's
/// certificate: the CA that issued it is accepted, another CA is refused before any
/// data is sent, and the certificate must name the host connected to.
#[test]
fn postgres_over_tls_checks_the_server_certificate() {
    let (ca, cert, key) = database_pki();
    let Some(server) = treiter_testpg::TestPostgres::start_with_tls_or_skip(
        "postgres_over_tls_checks_the_server_certificate",
        &cert,
        &key,
    ) else {
        return;
    };
    server.create_database("tls").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let right_ca = dir.path().join("ca.pem");
    std::fs::write(&right_ca, &ca).unwrap();
    let (other_ca, _, _) = database_pki();
    let wrong_ca = dir.path().join("other-ca.pem");
    std::fs::write(&wrong_ca, other_ca).unwrap();

    let store = PgStore::open(&server.url("tls"), None, 2, Some(&right_ca)).unwrap();
    put(&store, Space::Meta, b"over-tls", b"yes");
    // The server itself says the connection is encrypted.
    let encrypted = store
        .database()
        .run(|pool| async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            let row = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(row.get::<_, bool>(0))
        })
        .unwrap();
    assert!(encrypted, "the connection is TLS");

    let refused = PgStore::open(&server.url("tls"), None, 2, Some(&wrong_ca)).unwrap_err();
    assert!(
        refused.to_string().contains("certificate"),
        "a server certificate of another CA is refused, in words: {refused}"
    );
    // The name must match: the same server, reached at 127.0.0.1 (`hostaddr`) but
    // named db.example, which its certificate does not carry.
    let wrong_name = server
        .url("tls")
        .replace("host=127.0.0.1", "host=db.example hostaddr=127.0.0.1");
    let refused = PgStore::open(&wrong_name, None, 2, Some(&right_ca)).unwrap_err();
    assert!(
        refused.to_string().contains("certificate"),
        "a certificate that does not name the host is refused: {refused}"
    );
    eprintln!("refused: {refused}");
}

/// A database migrated by a newer hub is refused at start, naming both versions
/// (hub/README.md: hubs are rolled forward, never back).
#[test]
fn postgres_refuses_a_schema_newer_than_this_hub() {
    let Some(server) = treiter_testpg::TestPostgres::start_or_skip(
        "postgres_refuses_a_schema_newer_than_this_hub",
    ) else {
        return;
    };
    server.create_database("newer").unwrap();
    let url = server.url("newer");
    let store = PgStore::open(&url, None, 1, None).unwrap();
    store
        .database()
        .run(|pool| async move {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            client
                .execute(
                    "INSERT INTO treiter_schema_migrations (schema, version, name) VALUES ('data', 99, '0099_future')",
                    &[],
                )
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .unwrap();
    drop(store);
    let refused = PgStore::open(&url, None, 1, None).unwrap_err().to_string();
    let known = crate::store::postgres::migrate::DATA
        .last()
        .map_or(0, |m| m.version);
    assert!(
        refused.contains(&format!("version 99, newer than this hub knows ({known})")),
        "{refused}"
    );
}

/// Hub replicas on one database take counters one at a time under
/// [`Store::lock_shared`]: numbers handed out by two stores (two replicas' pools) at
/// once never repeat, and the lock excludes the other pool while held.
#[test]
fn postgres_shared_locks_exclude_other_replicas() {
    let Some(server) =
        treiter_testpg::TestPostgres::start_or_skip("postgres_shared_locks_exclude_other_replicas")
    else {
        return;
    };
    server.create_database("locks").unwrap();
    let url = server.url("locks");
    let replicas: Vec<Arc<dyn Store>> = (0..2)
        .map(|_| Arc::new(PgStore::open(&url, None, 4, None).unwrap()) as Arc<dyn Store>)
        .collect();

    // Held by one replica, the lock is not had by the other until released.
    let held = replicas[0]
        .lock_shared("test")
        .unwrap()
        .expect("a lock on PostgreSQL");
    let taken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (store, taken) = (replicas[1].clone(), taken.clone());
        std::thread::spawn(move || {
            let _lock = store.lock_shared("test").unwrap();
            taken.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !taken.load(std::sync::atomic::Ordering::SeqCst),
        "both held the lock"
    );
    drop(held);
    waiter.join().unwrap();
    assert!(taken.load(std::sync::atomic::Ordering::SeqCst));

    // Counters taken under the lock by both replicas at once: every number once.
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = replicas[t % 2].clone();
            std::thread::spawn(move || {
                (0..15)
                    .map(|_| {
                        let _lock = store.lock_shared("counter").unwrap();
                        let mut batch = Batch::new();
                        let n =
                            crate::tables::meta::next_counter(store.as_ref(), "seq", &mut batch)
                                .unwrap();
                        store.apply(batch).unwrap();
                        n
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut numbers: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=90).collect::<Vec<u64>>(),
        "a number handed out twice"
    );
}
