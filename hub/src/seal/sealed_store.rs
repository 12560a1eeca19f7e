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
//! **The one remaining exception** is [`legacy_owner`]: a late answer kept when a
//! queued question is settled (`questions::outbox::Outbox::settle`) is written without
//! an owner, because that writer does not see the question's. Its owner is then read
//! from the sealed header of the outbox record settled in the same batch (or of the
//! case file's index of the request): an owner recorded by its writer, not one worked
//! out from key layouts.

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
pub fn owner_of_value(value: &[u8]) -> Option<(&str, &[u8])> {
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

    /// The owner of a late answer written without one (see the module documentation):
    /// the owner recorded in the sealed record of the question it settles. Every other
    /// sealed write without an owner is refused.
    fn legacy_owner(&self, space: Space, key: &[u8], value: &[u8]) -> Result<Owner, StoreError> {
        let owner = match space {
            Space::LateAnswers => {
                // The answer's value is `<party OIN>/<answer>`; the question it settles
                // (`<party>/<request>` in the outbox, deleted in the same batch) and the
                // case file's index of it (`req/<request>`) name its case.
                let mut queued = value
                    .iter()
                    .position(|b| *b == b'/')
                    .and_then(|slash| value.get(..=slash))
                    .unwrap_or_default()
                    .to_vec();
                queued.extend_from_slice(key);
                let mut request = b"req/".to_vec();
                request.extend_from_slice(key);
                let owner = [(Space::Outbox, queued), (Space::CaseFiles, request)]
                    .into_iter()
                    .find_map(|(space, key)| {
                        let raw = self.inner.get(space, &key).ok()??;
                        owner_of_value(&raw)
                            .map(|(o, _)| o.to_owned())
                            .filter(|o| o != TRANSIT)
                    });
                Some(owner.unwrap_or_else(|| TRANSIT.to_owned()))
            }
            _ => {
                return Err(StoreError::Unseal {
                    space,
                    detail: "a sealed record was written without naming its owner (write it through its table)".into(),
                });
            }
        };
        match owner.filter(|o| !o.is_empty()) {
            Some(o) if o == TRANSIT => Ok(Owner::Transit),
            Some(o) => Ok(Owner::Case(o)),
            None => Err(StoreError::Unseal {
                space,
                detail:
                    "the record's case cannot be told from its key or value, so it cannot be sealed"
                        .into(),
            }),
        }
    }

    fn seal(
        &self,
        space: Space,
        key: &[u8],
        value: &[u8],
        owner: Option<Owner>,
        keys: &mut HashMap<String, Key>,
    ) -> Result<Vec<u8>, StoreError> {
        let owner = match owner {
            Some(owner) => owner,
            None => self.legacy_owner(space, key, value)?,
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
        let Some((owner, sealed)) = owner_of_value(value) else {
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
                    self.keys.dir().display()
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
                let Some((owner, _)) = owner_of_value(&value) else {
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

impl Store for SealedStore {
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

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
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
        self.inner.apply(sealed)
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
        assert_eq!(owner_of_value(&raw).unwrap().0, "C-2026-0001");
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

    /// A late answer whose writer names no owner takes the one recorded with the
    /// question it settles; every other sealed space must name its owner. (What
    /// `owner_of` did for the other spaces, their tables now say: see
    /// `crate::tables::tests`.)
    #[test]
    fn only_a_late_answer_may_leave_its_owner_to_the_question_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let owner = |space, key: &[u8], value: &[u8]| {
            store
                .legacy_owner(space, key, value)
                .unwrap()
                .as_str()
                .to_owned()
        };
        assert_eq!(owner(Space::LateAnswers, b"unknown", b"x"), TRANSIT);
        let mut settled = Batch::new();
        settled.put_sealed(
            Space::Outbox,
            b"00000002000000000002/r1".to_vec(),
            b"question".to_vec(),
            Owner::case("C-2026-0042"),
        );
        store.apply(settled).unwrap();
        assert_eq!(
            owner(Space::LateAnswers, b"r1", b"00000002000000000002/answer"),
            "C-2026-0042"
        );
        // Any other sealed space must name its owner.
        for space in [
            Space::Cases,
            Space::CaseEvents,
            Space::Idempotency,
            Space::Inzages,
            Space::CaseFiles,
            Space::Notifications,
        ] {
            assert!(matches!(
                store.legacy_owner(space, b"C-2026-0001", br#"{"case_id":"C-2026-0001"}"#),
                Err(StoreError::Unseal { .. })
            ));
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
                })),
            },
            queued_at: UNIX_EPOCH + Duration::from_secs(1),
            expires_at: UNIX_EPOCH + Duration::from_secs(1_000_000_000_000),
        };
        let owner = |space, key: &[u8]| {
            let raw = store.raw().get(space, key).unwrap().unwrap();
            owner_of_value(&raw).unwrap().0.to_owned()
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
