//! The key store: each case's data key, wrapped under the master key, in a file of its
//! own in `keys_dir` (outside the data directory), or in a row of its own in the keys
//! database when the hub runs on PostgreSQL (a separate database from the data, so the
//! two are backed up apart; [`super::key_place`]). The names below are file names or
//! row names alike.
//!
//! - `<case>.key`: `0x01 | nonce | AES-256-GCM(case key) | tag`, with the case id as
//!   associated data, so a key file renamed to another case does not open.
//! - `<case>.shredded`: an empty tombstone, written (durably) before the key file is
//!   removed: the case was deleted under the retention rules, and its records that are
//!   still in the state store (a sweep interrupted by a crash) are leftovers to delete,
//!   not a misconfigured key store.
//! - `master.check`: a known text sealed under the master key, so a wrong master key is
//!   reported at start instead of as unreadable records later.
//! - `store.id`: a random id, which the state store records on first start, so a hub
//!   pointed at another (say, an empty) key store refuses to start instead of sealing
//!   new records under new keys next to records it cannot open.
//!
//! Every write is made durable (file `fsync`, rename, directory `fsync`) before the call
//! returns: a key must be on disk before anything sealed under it is acknowledged, and a
//! deletion must be on disk before the sweep reports it.
//!
//! Names beginning with `_` are the hub's own keys (e.g. `_transit`), never case ids.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ring::rand::SystemRandom;

use super::aead::{KEY_LEN, Key, random_key};
use super::key_place::{KeyPlace, PlaceError};
use super::master::MasterKey;
use crate::log::faults::FaultSwitch;

const KEY_VERSION: u8 = 1;
const CHECK_FILE: &str = "master.check";
const CHECK_TEXT: &[u8] = b"treiter-hub key store";
const CHECK_AAD: &[u8] = b"treiter-hub master check v1";
const ID_FILE: &str = "store.id";

/// The key store failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("key store {dir}: {operation} failed: {source}")]
    Io {
        dir: PathBuf,
        operation: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// Reading, writing or deleting a key where the store keeps them failed.
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error(
        "the master key does not open the key store {place}: it is not the master key this key store was created with"
    )]
    WrongMasterKey { place: String },
    #[error("the key of {owner} in {place} does not open under the master key (damaged or moved)")]
    Damaged { place: String, owner: String },
    #[error("the key of case {owner} was deleted under the retention rules (art. 9)")]
    Shredded { owner: String },
    #[error("{owner:?} cannot name a key (expected letters, digits, '.', '_', '-')")]
    BadOwner { owner: String },
    #[error("the system random generator failed")]
    Random,
    /// The master key failed (a hardware token that does not answer).
    #[error(transparent)]
    Master(#[from] super::master::MasterKeyError),
}

/// What [`KeyStore::check_existing`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStoreState {
    /// No directory yet: `hub serve` creates it.
    Missing,
    /// The directory exists but was never opened by a hub: `hub serve` binds it to the
    /// master key.
    Uninitialised,
    /// The directory is a key store of this master key.
    Ready,
}

/// Case keys on disk, wrapped under the master key, with an in-memory cache of the
/// unwrapped ones.
#[derive(Debug)]
pub struct KeyStore {
    place: KeyPlace,
    master: MasterKey,
    rng: SystemRandom,
    /// This key store's random id (`store.id`).
    id: String,
    /// Unwrapped keys by owner, with when the key was last seen in its place. The lock
    /// also serialises creating and shredding, so a key is never created for a case that
    /// is being shredded (in this process).
    cache: Mutex<HashMap<String, Cached>>,
    /// Every sync of a key file and of the directory goes through it: inert in a hub
    /// built for use; in test builds the power-cut tests keep their ledger with it
    /// (issue 22, [`crate::log::faults`]).
    syncs: FaultSwitch,
}

/// A cached unwrapped key and when it was last seen in the key store's place.
#[derive(Debug)]
struct Cached {
    bytes: [u8; KEY_LEN],
    seen: std::time::Instant,
}

/// How long a cached key of a shared keys database is used before the hub looks
/// again whether it is still there. Several replicas share the keys database, and a
/// key one of them shreds (article 9) must stop opening records on every other one
/// too: within this time, at the cost of one indexed read per case and second. A key
/// directory belongs to one hub process, which shreds through its own cache.
pub const SHARED_KEY_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

fn valid_owner(owner: &str) -> bool {
    !owner.is_empty()
        && owner.len() <= 64
        && !owner.starts_with('.')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn key_aad(owner: &str) -> Vec<u8> {
    let mut aad = b"treiter-hub case key v1\0".to_vec();
    aad.extend_from_slice(owner.as_bytes());
    aad
}

impl KeyStore {
    /// Opens (or creates) the key store in `dir` and checks that `master` is its master
    /// key.
    pub fn open(dir: &Path, master: MasterKey) -> Result<KeyStore, KeyStoreError> {
        KeyStore::open_at(KeyPlace::Dir(dir.to_path_buf()), master)
    }

    /// Opens (or creates) the key store in the keys database `database` (its schema
    /// already migrated) and checks that `master` is its master key.
    pub fn open_postgres(
        database: crate::store::postgres::Database,
        master: MasterKey,
    ) -> Result<KeyStore, KeyStoreError> {
        KeyStore::open_at(KeyPlace::Postgres(database), master)
    }

    fn open_at(place: KeyPlace, master: MasterKey) -> Result<KeyStore, KeyStoreError> {
        let mut store = KeyStore {
            place,
            master,
            rng: SystemRandom::new(),
            id: String::new(),
            cache: Mutex::new(HashMap::new()),
            syncs: FaultSwitch::new(),
        };
        store.place.create()?;
        match store.place.read(CHECK_FILE)? {
            Some(sealed) => {
                let opened = store.master.open(CHECK_AAD, &sealed)?;
                if opened.as_deref() != Some(CHECK_TEXT) {
                    return Err(KeyStoreError::WrongMasterKey {
                        place: store.place.to_string(),
                    });
                }
            }
            None => {
                let sealed = store.master.seal(&store.rng, CHECK_AAD, CHECK_TEXT)?;
                // Another replica starting at the same moment may have written its
                // own: then that one must open with this master key too.
                if !store.place.write_new(CHECK_FILE, &sealed, &store.syncs)? {
                    return Self::open_at(store.place, store.master);
                }
            }
        }
        store.id = match store.place.read(ID_FILE)? {
            Some(id) => String::from_utf8_lossy(&id).trim().to_owned(),
            None => {
                let bytes = random_key(&store.rng).map_err(|_| KeyStoreError::Random)?;
                let id: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
                if store
                    .place
                    .write_new(ID_FILE, id.as_bytes(), &store.syncs)?
                {
                    id
                } else {
                    // Another replica named the key store first: its name it is.
                    let stored = store.place.read(ID_FILE)?.unwrap_or_default();
                    String::from_utf8_lossy(&stored).trim().to_owned()
                }
            }
        };
        Ok(store)
    }

    /// Checks the key store in `dir` against `master` without changing anything on
    /// disk (for `hub check-config`): whether it exists, and if so whether `master` is
    /// the master key it was created with.
    pub fn check_existing(dir: &Path, master: &MasterKey) -> Result<KeyStoreState, KeyStoreError> {
        let io = |operation, source| KeyStoreError::Io {
            dir: dir.to_path_buf(),
            operation,
            source,
        };
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(io("open", std::io::Error::other("it is not a directory")));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(KeyStoreState::Missing);
            }
            Err(e) => return Err(io("open", e)),
        }
        match std::fs::read(dir.join(CHECK_FILE)) {
            Ok(sealed) => {
                let opened = master.open(CHECK_AAD, &sealed)?;
                if opened.as_deref() == Some(CHECK_TEXT) {
                    Ok(KeyStoreState::Ready)
                } else {
                    Err(KeyStoreError::WrongMasterKey {
                        place: dir.display().to_string(),
                    })
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyStoreState::Uninitialised),
            Err(e) => Err(io("read master.check", e)),
        }
    }

    /// Checks the key store in the keys database `database` against `master`, read-only
    /// (for `hub check-config`), like [`KeyStore::check_existing`] does a directory.
    pub fn check_existing_postgres(
        database: crate::store::postgres::Database,
        master: &MasterKey,
    ) -> Result<KeyStoreState, KeyStoreError> {
        let place = KeyPlace::Postgres(database.clone());
        let migrated =
            crate::store::postgres::migrate::schema_version(&database, "keys").map_err(|e| {
                PlaceError {
                    place: place.to_string(),
                    operation: "read the schema version",
                    detail: e.detail,
                }
            })?;
        if migrated.is_none() {
            return Ok(KeyStoreState::Missing);
        }
        match place.read(CHECK_FILE)? {
            Some(sealed) => {
                if master.open(CHECK_AAD, &sealed)?.as_deref() == Some(CHECK_TEXT) {
                    Ok(KeyStoreState::Ready)
                } else {
                    Err(KeyStoreError::WrongMasterKey {
                        place: place.to_string(),
                    })
                }
            }
            None => Ok(KeyStoreState::Uninitialised),
        }
    }

    /// This key store's random id; the state store it belongs to records it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The switch every sync of this key store goes through, for the power-cut tests
    /// (issue 22; [`FaultSwitch::record_power_loss`] on the key directory); only in
    /// test builds.
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn faults(&self) -> &FaultSwitch {
        &self.syncs
    }

    /// Where the key store keeps its keys (a directory or the keys database).
    pub fn place(&self) -> &KeyPlace {
        &self.place
    }

    fn check(owner: &str) -> Result<(), KeyStoreError> {
        if valid_owner(owner) {
            Ok(())
        } else {
            Err(KeyStoreError::BadOwner {
                owner: owner.to_owned(),
            })
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `owner`'s cached key, if it may still be used: always for a key directory; for a
    /// shared keys database, if it was seen there within [`SHARED_KEY_RECHECK`] or is
    /// there now (else it was shredded by another replica, and is forgotten).
    fn cached(
        &self,
        cache: &mut HashMap<String, Cached>,
        owner: &str,
    ) -> Result<Option<[u8; KEY_LEN]>, KeyStoreError> {
        let Some(entry) = cache.get_mut(owner) else {
            return Ok(None);
        };
        if matches!(self.place, KeyPlace::Dir(_)) || entry.seen.elapsed() < SHARED_KEY_RECHECK {
            return Ok(Some(entry.bytes));
        }
        if self.place.exists(&format!("{owner}.key"))? {
            entry.seen = std::time::Instant::now();
            return Ok(Some(entry.bytes));
        }
        cache.remove(owner);
        Ok(None)
    }

    fn remember(cache: &mut HashMap<String, Cached>, owner: &str, bytes: [u8; KEY_LEN]) {
        cache.insert(
            owner.to_owned(),
            Cached {
                bytes,
                seen: std::time::Instant::now(),
            },
        );
    }

    /// Whether `owner`'s key was deleted under the retention rules.
    pub fn is_shredded(&self, owner: &str) -> Result<bool, KeyStoreError> {
        Self::check(owner)?;
        Ok(self.place.exists(&format!("{owner}.shredded"))?)
    }

    /// `owner`'s key, if there is one.
    pub fn get(&self, owner: &str) -> Result<Option<Key>, KeyStoreError> {
        Self::check(owner)?;
        let mut cache = self.lock();
        if let Some(bytes) = self.cached(&mut cache, owner)? {
            return Ok(Some(Key::new(&bytes)));
        }
        let Some(bytes) = self.read_key(owner)? else {
            return Ok(None);
        };
        Self::remember(&mut cache, owner, bytes);
        Ok(Some(Key::new(&bytes)))
    }

    fn read_key(&self, owner: &str) -> Result<Option<[u8; KEY_LEN]>, KeyStoreError> {
        let Some(wrapped) = self.place.read(&format!("{owner}.key"))? else {
            return Ok(None);
        };
        let damaged = || KeyStoreError::Damaged {
            place: self.place.to_string(),
            owner: owner.to_owned(),
        };
        let (version, sealed) = wrapped.split_first().ok_or_else(damaged)?;
        if *version != KEY_VERSION {
            return Err(damaged());
        }
        let plain = self
            .master
            .open(&key_aad(owner), sealed)?
            .ok_or_else(damaged)?;
        <[u8; KEY_LEN]>::try_from(plain.as_slice())
            .map(Some)
            .map_err(|_| damaged())
    }

    /// `owner`'s key, created (durably, before this returns) if it has none. Refused
    /// for a shredded case: its id is never brought back to life.
    pub fn get_or_create(&self, owner: &str) -> Result<Key, KeyStoreError> {
        Self::check(owner)?;
        let mut cache = self.lock();
        if let Some(bytes) = self.cached(&mut cache, owner)? {
            return Ok(Key::new(&bytes));
        }
        if let Some(bytes) = self.read_key(owner)? {
            Self::remember(&mut cache, owner, bytes);
            return Ok(Key::new(&bytes));
        }
        if self.is_shredded(owner)? {
            return Err(KeyStoreError::Shredded {
                owner: owner.to_owned(),
            });
        }
        let bytes = random_key(&self.rng).map_err(|_| KeyStoreError::Random)?;
        let mut wrapped = vec![KEY_VERSION];
        wrapped.extend_from_slice(&self.master.seal(&self.rng, &key_aad(owner), &bytes)?);
        if !self
            .place
            .write_new(&format!("{owner}.key"), &wrapped, &self.syncs)?
        {
            // Another replica created this key a moment ago: use the stored one, or
            // records sealed here would not open there.
            let stored = self
                .read_key(owner)?
                .ok_or_else(|| KeyStoreError::Shredded {
                    owner: owner.to_owned(),
                })?;
            Self::remember(&mut cache, owner, stored);
            return Ok(Key::new(&stored));
        }
        Self::remember(&mut cache, owner, bytes);
        tracing::info!(case = owner, "created a case key");
        Ok(Key::new(&bytes))
    }

    /// Deletes `owner`'s key for good: a tombstone first, then the key file, both
    /// durable before this returns. Deleting twice is harmless.
    pub fn shred(&self, owner: &str) -> Result<(), KeyStoreError> {
        Self::check(owner)?;
        let mut cache = self.lock();
        self.place
            .write_durably(&format!("{owner}.shredded"), &[], &self.syncs)?;
        self.place
            .remove_durably(&format!("{owner}.key"), &self.syncs)?;
        cache.remove(owner);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master(n: u8) -> MasterKey {
        MasterKey::from_bytes(&[n; KEY_LEN])
    }

    /// A case key shredded by one replica stops opening records on the others within
    /// [`SHARED_KEY_RECHECK`], although they had it cached (issue 21, article 9); and
    /// none of them creates it again.
    #[test]
    fn a_key_shredded_by_one_replica_is_gone_for_the_others_too() {
        let Some(server) = treiter_testpg::TestPostgres::start_or_skip(
            "a_key_shredded_by_one_replica_is_gone_for_the_others_too",
        ) else {
            return;
        };
        server.create_database("keys_shred").unwrap();
        let url = server.url("keys_shred");
        let open = || {
            let database = crate::store::postgres::Database::connect(&url, None, 2, None).unwrap();
            KeyStore::open_postgres(database, master(4)).unwrap()
        };
        let database = crate::store::postgres::Database::connect(&url, None, 2, None).unwrap();
        crate::store::postgres::migrate::migrate(
            &database,
            "keys",
            crate::store::postgres::migrate::KEYS,
        )
        .unwrap();
        let (a, b) = (open(), open());
        let owner = "C-2026-0042";
        let sealed = a
            .get_or_create(owner)
            .unwrap()
            .seal(&SystemRandom::new(), b"aad", b"synthetic")
            .unwrap();
        let cached = b.get(owner).unwrap().expect("b has a's key");
        assert_eq!(cached.open(b"aad", &sealed).unwrap(), b"synthetic");
        a.shred(owner).unwrap();
        std::thread::sleep(SHARED_KEY_RECHECK + std::time::Duration::from_millis(100));
        assert!(
            b.get(owner).unwrap().is_none(),
            "b still opens a shredded case"
        );
        assert!(matches!(
            b.get_or_create(owner),
            Err(KeyStoreError::Shredded { .. })
        ));
    }

    /// Several hub replicas start at once on an empty keys database and create the
    /// same case key at once: they agree on one key store and one key, so what one
    /// seals the others open (issue 21).
    #[test]
    fn replicas_starting_and_creating_keys_at_once_agree_on_them() {
        let Some(server) = treiter_testpg::TestPostgres::start_or_skip(
            "replicas_starting_and_creating_keys_at_once_agree_on_them",
        ) else {
            return;
        };
        server.create_database("keys_race").unwrap();
        let url = server.url("keys_race");
        let database = crate::store::postgres::Database::connect(&url, None, 2, None).unwrap();
        crate::store::postgres::migrate::migrate(
            &database,
            "keys",
            crate::store::postgres::migrate::KEYS,
        )
        .unwrap();
        for round in 0..5 {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let replicas: Vec<KeyStore> = (0..4)
                .map(|_| {
                    let (url, barrier) = (url.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let database =
                            crate::store::postgres::Database::connect(&url, None, 2, None).unwrap();
                        barrier.wait();
                        KeyStore::open_postgres(database, master(3)).unwrap()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            assert!(
                replicas.iter().all(|r| r.id() == replicas[0].id()),
                "one key store id"
            );
            let owner = format!("C-2026-{round:04}");
            let replicas = std::sync::Arc::new(replicas);
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let keys: Vec<Key> = (0..4)
                .map(|i| {
                    let (replicas, barrier, owner) =
                        (replicas.clone(), barrier.clone(), owner.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        replicas[i].get_or_create(&owner).unwrap()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            let rng = SystemRandom::new();
            let sealed = keys[0].seal(&rng, b"aad", b"synthetic").unwrap();
            for key in &keys {
                assert_eq!(
                    key.open(b"aad", &sealed).unwrap(),
                    b"synthetic",
                    "round {round}"
                );
            }
        }
    }

    #[test]
    fn check_reads_and_never_creates() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        assert_eq!(
            KeyStore::check_existing(&keys, &master(1)).unwrap(),
            KeyStoreState::Missing
        );
        assert!(!keys.exists(), "the check created nothing");
        std::fs::create_dir(&keys).unwrap();
        assert_eq!(
            KeyStore::check_existing(&keys, &master(1)).unwrap(),
            KeyStoreState::Uninitialised
        );
        assert_eq!(std::fs::read_dir(&keys).unwrap().count(), 0);
        drop(KeyStore::open(&keys, master(1)).unwrap());
        assert_eq!(
            KeyStore::check_existing(&keys, &master(1)).unwrap(),
            KeyStoreState::Ready
        );
        assert!(matches!(
            KeyStore::check_existing(&keys, &master(2)),
            Err(KeyStoreError::WrongMasterKey { .. })
        ));
    }

    #[test]
    fn keys_survive_reopening_and_shredding_is_final() {
        let dir = tempfile::tempdir().unwrap();
        let rng = SystemRandom::new();
        let sealed = {
            let keys = KeyStore::open(dir.path(), master(1)).unwrap();
            let key = keys.get_or_create("C-2026-0001").unwrap();
            key.seal(&rng, b"aad", b"synthetic").unwrap()
        };
        let keys = KeyStore::open(dir.path(), master(1)).unwrap();
        let key = keys.get("C-2026-0001").unwrap().unwrap();
        assert_eq!(key.open(b"aad", &sealed).unwrap(), b"synthetic");
        keys.shred("C-2026-0001").unwrap();
        assert!(keys.get("C-2026-0001").unwrap().is_none());
        assert!(keys.is_shredded("C-2026-0001").unwrap());
        assert!(matches!(
            keys.get_or_create("C-2026-0001"),
            Err(KeyStoreError::Shredded { .. })
        ));
    }

    #[test]
    fn a_wrong_master_key_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        KeyStore::open(dir.path(), master(1)).unwrap();
        let err = KeyStore::open(dir.path(), master(2)).unwrap_err();
        assert!(matches!(err, KeyStoreError::WrongMasterKey { .. }), "{err}");
    }

    #[test]
    fn a_key_file_renamed_to_another_case_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyStore::open(dir.path(), master(1)).unwrap();
        keys.get_or_create("C-2026-0001").unwrap();
        std::fs::copy(
            dir.path().join("C-2026-0001.key"),
            dir.path().join("C-2026-0002.key"),
        )
        .unwrap();
        assert!(matches!(
            keys.get("C-2026-0002"),
            Err(KeyStoreError::Damaged { .. })
        ));
        assert!(matches!(
            keys.get("../etc"),
            Err(KeyStoreError::BadOwner { .. })
        ));
    }
}
