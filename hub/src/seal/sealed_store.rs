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
//! Which case a record belongs to, by keyspace (see the key layouts in `store`):
//! - cases: the key is the case id; case events: the key up to its first `/`;
//! - case files: `file/CF-<year>-<n>-<m>` is case `C-<year>-<n>`; `owner/<case>/..`;
//!   `req/<request>` from the `file_id` in its value;
//! - idempotency records: the `case_id` in their value;
//! - queued questions: the case the writer names ([`Batch::put_for_case`]; a bevraging
//!   carries only a pseudonym), else the case of a share request; late answers: the case
//!   of the queued question they settle, or of the case file's index of it.
//!
//! A queued question asked for no case, and its late answer, are sealed under the
//! hub-wide `_transit` key: encrypted at rest, but not shredded with a case. Both are
//! short-lived (queue expiry, joining the file).

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use ring::rand::SystemRandom;

use super::KeyStore;
use super::aead::Key;
use crate::store::{Batch, Entry, Space, Store, StoreError};

const MAGIC: u8 = 0xC5;
const VERSION: u8 = 1;
/// The owner of records that belong to no case that is known when they are written.
pub const TRANSIT: &str = "_transit";

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

/// `C-2026-0042` from `CF-2026-0042-0003`.
fn case_of_file(file_id: &str) -> Option<String> {
    let (case, _) = file_id.strip_prefix("CF-")?.rsplit_once('-')?;
    Some(format!("C-{case}"))
}

fn json_field(value: &[u8], field: &str) -> Option<String> {
    let parsed: serde_json::Value = serde_json::from_slice(value).ok()?;
    parsed.get(field)?.as_str().map(str::to_owned)
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

    /// The key store.
    pub fn keys(&self) -> &Arc<KeyStore> {
        &self.keys
    }

    fn keys_error(e: super::KeyStoreError) -> StoreError {
        StoreError::Keys(e.to_string())
    }

    /// The case a record written now belongs to (see the module documentation).
    fn owner_of(&self, space: Space, key: &[u8], value: &[u8]) -> Result<String, StoreError> {
        let text = std::str::from_utf8(key).ok();
        let owner = match space {
            Space::Cases => text.map(str::to_owned),
            Space::CaseEvents => text.and_then(|k| k.split('/').next()).map(str::to_owned),
            // A privacy officer's request (`officer/…`) belongs to no case: its
            // response is sealed under the hub-wide key.
            Space::Idempotency => json_field(value, "case_id").or_else(|| {
                text.filter(|k| k.starts_with("officer/"))
                    .map(|_| TRANSIT.to_owned())
            }),
            // An inzage overview names a subject (by pseudonym) and who shared what
            // about it; it outlives any one case, so the hub-wide key seals it.
            Space::Inzages => Some(TRANSIT.to_owned()),
            Space::CaseFiles => match text {
                Some(k) if k.starts_with("file/") => k.strip_prefix("file/").and_then(case_of_file),
                Some(k) if k.starts_with("owner/") => k
                    .strip_prefix("owner/")
                    .and_then(|rest| rest.split('/').next())
                    .map(str::to_owned),
                Some(k) if k.starts_with("req/") => {
                    json_field(value, "file_id").and_then(|f| case_of_file(&f))
                }
                _ => None,
            },
            Space::Outbox => {
                let question = value
                    .get(crate::questions::outbox::HEADER..)
                    .and_then(|q| treiter_proto::v1::Question::decode(q).ok());
                Some(
                    match question.and_then(|q| q.kind) {
                        Some(treiter_proto::v1::question::Kind::ShareRequest(share)) => {
                            share.case.map(|c| c.id)
                        }
                        _ => None,
                    }
                    .unwrap_or_else(|| TRANSIT.to_owned()),
                )
            }
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
            // A notice names its case; a notice's review state (`state/<OIN>/<id>`,
            // which may hold the reviewer's note) is the case's too: the id is
            // `<nanos>.<case file id>.<n>`.
            Space::Notifications => match text.and_then(|k| k.strip_prefix("state/")) {
                Some(rest) => rest
                    .rsplit('/')
                    .next()
                    .and_then(|id| id.split('.').nth(1))
                    .and_then(case_of_file),
                None => json_field(value, "case_id"),
            },
            // `<party OIN>/<case>/<delivery id>`: the case is the second part.
            Space::Deliveries => text.and_then(|k| k.split('/').nth(1)).map(str::to_owned),
            Space::Meta | Space::CovenantVersions | Space::DeliveryHolders | Space::WitnessKeys => {
                None
            }
        };
        owner
            .filter(|o| !o.is_empty())
            .ok_or_else(|| StoreError::Unseal {
                space,
                detail:
                    "the record's case cannot be told from its key or value, so it cannot be sealed"
                        .into(),
            })
    }

    fn seal(
        &self,
        space: Space,
        key: &[u8],
        value: &[u8],
        case: Option<String>,
        keys: &mut HashMap<String, Key>,
    ) -> Result<Vec<u8>, StoreError> {
        let owner = match case {
            Some(case) => case,
            None => self.owner_of(space, key, value)?,
        };
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
        for (space, key, value, case) in batch.into_ops() {
            match value {
                Some(value) if space.is_sealed() => {
                    let value = self.seal(space, &key, &value, case, &mut keys)?;
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
        batch.put(
            Space::Cases,
            b"C-2026-0001".to_vec(),
            b"synthetic-note-1".to_vec(),
        );
        batch.put(
            Space::Cases,
            b"C-2026-0002".to_vec(),
            b"synthetic-note-2".to_vec(),
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

    #[test]
    fn owners_follow_the_key_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let owner = |space, key: &[u8], value: &[u8]| store.owner_of(space, key, value).unwrap();
        assert_eq!(
            owner(Space::CaseEvents, b"C-2026-0001/7", b""),
            "C-2026-0001"
        );
        assert_eq!(
            owner(Space::CaseFiles, b"file/CF-2026-0042-0003", b""),
            "C-2026-0042"
        );
        assert_eq!(
            owner(
                Space::CaseFiles,
                b"owner/C-2026-0042/p/CF-2026-0042-0003",
                b""
            ),
            "C-2026-0042"
        );
        assert_eq!(
            owner(
                Space::CaseFiles,
                b"req/r1",
                br#"{"file_id":"CF-2026-0042-0003"}"#
            ),
            "C-2026-0042"
        );
        assert_eq!(
            owner(Space::Idempotency, b"p\0r", br#"{"case_id":"C-2026-0009"}"#),
            "C-2026-0009"
        );
        assert_eq!(owner(Space::LateAnswers, b"unknown", b"x"), TRANSIT);
        // Privacy officers' notices and their review state go with their case.
        assert_eq!(
            owner(
                Space::Notifications,
                b"00000001000000000001/17/CF-2026-0042-0003/0",
                br#"{"case_id":"C-2026-0042"}"#
            ),
            "C-2026-0042"
        );
        assert_eq!(
            owner(
                Space::Notifications,
                b"state/00000001000000000001/1795.CF-2026-0042-0003.4",
                b"{}"
            ),
            "C-2026-0042"
        );
        // An officer's own request belongs to no case; an inzage to none either.
        assert_eq!(owner(Space::Idempotency, b"officer/p\0r", b"{}"), TRANSIT);
        assert_eq!(owner(Space::Inzages, b"I-2026-0001", b"{}"), TRANSIT);
        assert!(matches!(
            store.owner_of(Space::Idempotency, b"p\0r", b"{}"),
            Err(StoreError::Unseal { .. })
        ));
    }

    #[test]
    fn shredding_a_case_makes_its_records_unreadable_then_deletes_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let mut batch = Batch::new();
        batch.put(Space::Cases, b"C-2026-0001".to_vec(), b"one".to_vec());
        batch.put(
            Space::CaseFiles,
            b"owner/C-2026-0001/p/f".to_vec(),
            b"".to_vec(),
        );
        batch.put(Space::Cases, b"C-2026-0002".to_vec(), b"two".to_vec());
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
