//! [`SealedStore`]: a [`Store`] that seals the records of the keyspaces holding personal
//! data ([`Space::is_sealed`]) under their case's key, below the code that reads and
//! writes cases, so that code does not change.
//!
//! A sealed value:
//! ```text
//! 0xC5 | 0x01 | owner length (u8) | owner (case id) | nonce (12) | ciphertext | tag (16)
//! ```
//! The owner (a case id, or `_transit`) is in the clear: it says which key opens the
//! record, and lets retention find every record of a case without opening any. A case
//! id is no personal data; the decision log carries it too. The associated data binds
//! the ciphertext to its keyspace, its record key and its owner.
//!
//! The sealing layer never guesses whose a record is: every write of a sealed record
//! names its owner ([`Batch::put_sealed`], called only by the record kind's table
//! module, see [`crate::tables`]), and a write that names none is refused.
//!
//! A writer that derives one record from another without knowing whose it is (a kept
//! answer from the question it settles) asks for the owner recorded with the first
//! ([`Store::owner`]) and names it.

use std::collections::HashMap;
use std::sync::Arc;

use ring::rand::SystemRandom;

use super::KeyStore;
use super::aead::Key;
pub use crate::store::TRANSIT;
use crate::store::{Batch, Entry, Owner, Space, Store, StoreError};

const MAGIC: u8 = 0xC5;
const VERSION: u8 = 1;

/// The sealing wrapper around the state store.
#[derive(Debug)]
pub struct SealedStore {
    inner: Arc<dyn Store>,
    keys: Arc<KeyStore>,
    rng: SystemRandom,
}

fn aad(space: Space, key: &[u8], owner: &str) -> Vec<u8> {
    let mut aad = b"treiter-hub record v1\0".to_vec();
    aad.push(space.prefix());
    aad.extend_from_slice(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
    aad.extend_from_slice(key);
    aad.extend_from_slice(owner.as_bytes());
    aad
}

/// The owner named in a sealed value's header, and the sealed part.
pub fn recorded_owner(value: &[u8]) -> Option<(&str, &[u8])> {
    let [magic, version, len, rest @ ..] = value else {
        return None;
    };
    if *magic != MAGIC || *version != VERSION {
        return None;
    }
    let (owner, sealed) = rest.split_at_checked(usize::from(*len))?;
    Some((std::str::from_utf8(owner).ok()?, sealed))
}

impl SealedStore {
    pub fn new(inner: Arc<dyn Store>, keys: Arc<KeyStore>) -> SealedStore {
        SealedStore {
            inner,
            keys,
            rng: SystemRandom::new(),
        }
    }

    /// The store underneath, holding sealed bytes (tests, inspection).
    pub fn raw(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    /// How many records each keyspace holds in the store underneath (sealed, readable
    /// or not), by the keyspace's name (`cases`, `late-answers`, …): for inspection and
    /// tests, which cannot name a keyspace.
    pub fn record_counts(&self) -> Result<std::collections::BTreeMap<String, usize>, StoreError> {
        Space::ALL
            .into_iter()
            .map(|space| Ok((space.to_string(), self.inner.scan(space, b"")?.len())))
            .collect()
    }

    /// The key store.
    pub fn keys(&self) -> &Arc<KeyStore> {
        &self.keys
    }

    fn keys_error(e: super::KeyStoreError) -> StoreError {
        StoreError::Keys(e.to_string())
    }

    fn seal(
        &self,
        space: Space,
        key: &[u8],
        value: &[u8],
        owner: Option<Owner>,
        keys: &mut HashMap<String, Key>,
    ) -> Result<Vec<u8>, StoreError> {
        let Some(owner) = owner else {
            return Err(StoreError::Unseal {
                space,
                detail: "a sealed record was written without naming its owner (write it through its table)".into(),
            });
        };
        let owner = owner.as_str().to_owned();
        let owner_len = u8::try_from(owner.len()).map_err(|_| StoreError::Unseal {
            space,
            detail: "the case id is too long".into(),
        })?;
        if !keys.contains_key(&owner) {
            // Created durably here, before the batch that uses it is applied.
            let key = self.keys.get_or_create(&owner).map_err(Self::keys_error)?;
            keys.insert(owner.clone(), key);
        }
        let Some(case_key) = keys.get(&owner) else {
            return Err(StoreError::Keys(format!("no key for {owner}")));
        };
        let sealed = case_key
            .seal(&self.rng, &aad(space, key, &owner), value)
            .map_err(|e| StoreError::Keys(e.to_string()))?;
        let mut out = Vec::with_capacity(3 + owner.len() + sealed.len());
        out.extend_from_slice(&[MAGIC, VERSION, owner_len]);
        out.extend_from_slice(owner.as_bytes());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, space: Space, key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let Some((owner, sealed)) = recorded_owner(value) else {
            return Err(StoreError::Unseal {
                space,
                detail:
                    "it is not sealed (written by a hub without encryption at rest, or damaged)"
                        .into(),
            });
        };
        let Some(case_key) = self.keys.get(owner).map_err(Self::keys_error)? else {
            if self.keys.is_shredded(owner).map_err(Self::keys_error)? {
                return Err(StoreError::Shredded {
                    space,
                    case: owner.to_owned(),
                });
            }
            return Err(StoreError::Unseal {
                space,
                detail: format!(
                    "the key store {} holds no key for {owner}: is it the key store of this data directory?",
                    self.keys.place()
                ),
            });
        };
        case_key
            .open(&aad(space, key, owner), sealed)
            .map_err(|e| StoreError::Unseal {
                space,
                detail: format!("{e} (record of {owner})"),
            })
    }

    /// Deletes every sealed record whose case key was shredded; returns how many records
    /// of each case went. One batch, applied durably.
    pub fn delete_shredded(&self) -> Result<HashMap<String, usize>, StoreError> {
        let mut shredded: HashMap<String, bool> = HashMap::new();
        let mut deleted: HashMap<String, usize> = HashMap::new();
        let mut batch = Batch::new();
        for space in Space::ALL.into_iter().filter(|s| s.is_sealed()) {
            for (key, value) in self.inner.scan(space, b"")? {
                let Some((owner, _)) = recorded_owner(&value) else {
                    continue;
                };
                let gone = match shredded.get(owner) {
                    Some(gone) => *gone,
                    None => {
                        let gone = self.keys.is_shredded(owner).map_err(Self::keys_error)?;
                        shredded.insert(owner.to_owned(), gone);
                        gone
                    }
                };
                if gone {
                    *deleted.entry(owner.to_owned()).or_default() += 1;
                    batch.delete(space, key);
                }
            }
        }
        self.inner.apply(batch)?;
        Ok(deleted)
    }
}

impl SealedStore {
    /// `batch` with every value of a sealed space sealed under its owner's key.
    fn sealed_batch(&self, batch: Batch) -> Result<Batch, StoreError> {
        let mut keys = HashMap::new();
        let mut sealed = Batch::new();
        for (space, key, value, owner) in batch.into_ops() {
            match value {
                Some(value) if space.is_sealed() => {
                    let value = self.seal(space, &key, &value, owner, &mut keys)?;
                    sealed.put(space, key, value);
                }
                Some(value) => sealed.put(space, key, value),
                None => sealed.delete(space, key),
            }
        }
        Ok(sealed)
    }
}

impl Store for SealedStore {
    fn owner(&self, space: Space, key: &[u8]) -> Result<Option<Owner>, StoreError> {
        if !space.is_sealed() {
            return Ok(None);
        }
        let Some(raw) = self.inner.get(space, key)? else {
            return Ok(None);
        };
        let Some((owner, _)) = recorded_owner(&raw) else {
            return Err(StoreError::Unseal {
                space,
                detail: "the record's sealed header does not name its owner".into(),
            });
        };
        Ok(Some(if owner == TRANSIT {
            Owner::Transit
        } else {
            Owner::case(owner)
        }))
    }

    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(value) = self.inner.get(space, key)? else {
            return Ok(None);
        };
        if !space.is_sealed() {
            return Ok(Some(value));
        }
        self.open(space, key, &value).map(Some)
    }

    /// Records of shredded cases that a crashed sweep left behind are skipped: they
    /// can never be read, and the next sweep deletes them.
    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        let entries = self.inner.scan(space, prefix)?;
        if !space.is_sealed() {
            return Ok(entries);
        }
        let mut opened = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match self.open(space, &key, &value) {
                Ok(plain) => opened.push((key, plain)),
                Err(StoreError::Shredded { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(opened)
    }

    /// Keys are not sealed: nothing is opened.
    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.scan_keys(space, prefix)
    }

    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        self.inner.contains(space, key)
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let sealed = self.sealed_batch(batch)?;
        self.inner.apply(sealed)
    }

    fn apply_soon(&self, batch: Batch) -> Result<(), StoreError> {
        let sealed = self.sealed_batch(batch)?;
        self.inner.apply_soon(sealed)
    }

    fn data_database(&self) -> Option<String> {
        self.inner.data_database()
    }

    fn announce(&self, topic: &str) -> Result<(), StoreError> {
        self.inner.announce(topic)
    }

    fn listen(
        &self,
        topic: &str,
        wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Option<crate::store::postgres::Listener> {
        self.inner.listen(topic, wake)
    }

    fn record_rows(&self, batch: Batch) -> Result<crate::store::RecordRows, StoreError> {
        let sealed = self.sealed_batch(batch)?;
        self.inner.record_rows(sealed)
    }

    fn lock_shared(&self, name: &str) -> Result<Option<crate::store::SharedLock>, StoreError> {
        self.inner.lock_shared(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::MasterKey;
    use crate::store::SledStore;

    fn store(dir: &std::path::Path) -> SealedStore {
        let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.join("state")).unwrap());
        let keys = KeyStore::open(&dir.join("keys"), MasterKey::from_bytes(&[3; 32])).unwrap();
        SealedStore::new(inner, Arc::new(keys))
    }

    #[test]
    fn records_are_sealed_per_case_and_do_not_open_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let mut batch = Batch::new();
        batch.put_sealed(
            Space::Cases,
            b"C-2026-0001".to_vec(),
            b"synthetic-note-1".to_vec(),
            Owner::case("C-2026-0001"),
        );
        batch.put_sealed(
            Space::Cases,
            b"C-2026-0002".to_vec(),
            b"synthetic-note-2".to_vec(),
            Owner::case("C-2026-0002"),
        );
        batch.put(Space::Meta, b"counter".to_vec(), b"plain".to_vec());
        store.apply(batch).unwrap();
        assert_eq!(
            store.get(Space::Cases, b"C-2026-0001").unwrap().unwrap(),
            b"synthetic-note-1"
        );
        let raw = store
            .raw()
            .get(Space::Cases, b"C-2026-0001")
            .unwrap()
            .unwrap();
        assert_eq!(recorded_owner(&raw).unwrap().0, "C-2026-0001");
        assert!(!raw.windows(9).any(|w| w == b"synthetic"));
        assert_eq!(
            store.raw().get(Space::Meta, b"counter").unwrap().unwrap(),
            b"plain"
        );
        // The first case's ciphertext written over the second's record does not open.
        let mut batch = Batch::new();
        batch.put(Space::Cases, b"C-2026-0002".to_vec(), raw);
        store.raw().apply(batch).unwrap();
        let err = store.get(Space::Cases, b"C-2026-0002").unwrap_err();
        assert!(matches!(err, StoreError::Unseal { .. }), "{err}");
    }

    /// The owner a record was sealed under reads back as its writer named it, and a
    /// sealed write that names none is refused in every sealed space.
    #[test]
    fn the_owner_named_at_writing_reads_back_and_none_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let mut batch = Batch::new();
        batch.put_sealed(
            Space::Outbox,
            b"00000002000000000002/r1".to_vec(),
            b"question".to_vec(),
            Owner::case("C-2026-0042"),
        );
        batch.put_sealed(
            Space::Outbox,
            b"00000002000000000002/r2".to_vec(),
            b"question".to_vec(),
            Owner::Transit,
        );
        store.apply(batch).unwrap();
        let owner = |key: &[u8]| store.owner(Space::Outbox, key).unwrap();
        assert_eq!(
            owner(b"00000002000000000002/r1"),
            Some(Owner::case("C-2026-0042"))
        );
        assert_eq!(owner(b"00000002000000000002/r2"), Some(Owner::Transit));
        assert_eq!(owner(b"00000002000000000002/r3"), None);
        for space in Space::ALL.into_iter().filter(|s| s.is_sealed()) {
            let mut batch = Batch::new();
            batch.put(space, b"C-2026-0001".to_vec(), b"{}".to_vec());
            assert!(
                matches!(store.apply(batch), Err(StoreError::Unseal { .. })),
                "{space}"
            );
        }
    }

    #[test]
    fn shredding_a_case_makes_its_records_unreadable_then_deletes_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let mut batch = Batch::new();
        batch.put_sealed(
            Space::Cases,
            b"C-2026-0001".to_vec(),
            b"one".to_vec(),
            Owner::case("C-2026-0001"),
        );
        batch.put_sealed(
            Space::CaseFiles,
            b"owner/C-2026-0001/p/f".to_vec(),
            b"".to_vec(),
            Owner::case("C-2026-0001"),
        );
        batch.put_sealed(
            Space::Cases,
            b"C-2026-0002".to_vec(),
            b"two".to_vec(),
            Owner::case("C-2026-0002"),
        );
        store.apply(batch).unwrap();
        store.keys().shred("C-2026-0001").unwrap();
        let err = store.get(Space::Cases, b"C-2026-0001").unwrap_err();
        assert!(matches!(err, StoreError::Shredded { .. }), "{err}");
        assert_eq!(store.scan(Space::Cases, b"").unwrap().len(), 1);
        let deleted = store.delete_shredded().unwrap();
        assert_eq!(deleted.get("C-2026-0001"), Some(&2));
        assert!(
            store
                .raw()
                .get(Space::Cases, b"C-2026-0001")
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.get(Space::Cases, b"C-2026-0002").unwrap().unwrap(),
            b"two"
        );
    }

    #[test]
    fn queued_questions_and_their_kept_answers_are_sealed_under_their_case() {
        use crate::questions::outbox::{Outbox, OutboxEntry};
        use std::time::{Duration, UNIX_EPOCH};
        use treiter_proto::v1 as wire;

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(store(dir.path()));
        let outbox = Outbox::new(store.clone());
        let party = crate::identity::Oin::parse("00000002000000000002").unwrap();
        let entry = |id: &str| OutboxEntry {
            party: party.clone(),
            question: wire::Question {
                request_id: id.into(),
                deadline: None,
                kind: Some(wire::question::Kind::Bevraging(wire::Bevraging {
                    subject: Some(wire::SubjectPseudonym {
                        hex: "d0".repeat(32),
                    }),
                    more_subjects: Vec::new(),
                })),
            },
            queued_at: UNIX_EPOCH + Duration::from_secs(1),
            expires_at: UNIX_EPOCH + Duration::from_secs(1_000_000_000_000),
        };
        let owner = |space, key: &[u8]| {
            let raw = store.raw().get(space, key).unwrap().unwrap();
            recorded_owner(&raw).unwrap().0.to_owned()
        };
        outbox.put_for_case(&entry("r1"), "C-2026-0007").unwrap();
        outbox.put(&entry("r2")).unwrap();
        assert_eq!(
            owner(Space::Outbox, b"00000002000000000002/r1"),
            "C-2026-0007"
        );
        assert_eq!(owner(Space::Outbox, b"00000002000000000002/r2"), TRANSIT);
        assert_eq!(outbox.get(&party, "r1").unwrap().unwrap(), entry("r1"));

        let answer = |id: &str| wire::Answer {
            request_id: id.into(),
            kind: Some(wire::answer::Kind::Bevraging(wire::BevragingAnswer {
                hit: true,
                more_hits: Vec::new(),
            })),
        };
        assert!(outbox.settle(&party, "r1", &answer("r1")).unwrap());
        assert!(outbox.settle(&party, "r2", &answer("r2")).unwrap());
        assert_eq!(owner(Space::LateAnswers, b"r1"), "C-2026-0007");
        assert_eq!(owner(Space::LateAnswers, b"r2"), TRANSIT);
        assert_eq!(outbox.kept_answers().unwrap().len(), 2);

        store.keys().shred("C-2026-0007").unwrap();
        assert_eq!(
            store.delete_shredded().unwrap().get("C-2026-0007"),
            Some(&1)
        );
        let kept = outbox.kept_answers().unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].1, "r2");
    }
}
