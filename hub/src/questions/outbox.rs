//! The outbox: questions for offline agents, kept durably in [`Space::Outbox`] until the
//! party's agent links and answers them, or until they expire.
//!
//! Key: the party's OIN (20 ASCII digits), `/`, the request id. Because request ids
//! start with their creation time, a party's entries scan oldest first.
//!
//! Value, version 1:
//! ```text
//! 0x01 | queued_at (u64 BE, Unix ms) | expires_at (u64 BE, Unix ms) | Question (protobuf)
//! ```
//! The question is the exact wire message that is (re-)delivered, so a delivery after a
//! restart carries the same request id: the agent answers a repeated id identically.
//!
//! Owner (the table of [`Space::Outbox`], see [`crate::tables`]): the case the question
//! was asked for, named by its writer ([`Outbox::put_for_case`]; a bevraging carries
//! only a pseudonym), else the case of a share request; a question asked for no case is
//! sealed under the hub-wide transit key (short-lived: it expires).
//!
//! The late answers this module keeps ([`Outbox::settle`], `Space::LateAnswers`) are
//! `casefile`'s record kind; their owner is still worked out by the sealing layer.
//!
//! Every method here does blocking store I/O; async callers run them on the blocking
//! pool.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use treiter_proto::v1::Question;

use super::id::RequestId;
use crate::identity::Oin;
use crate::store::{Batch, Owner, Space, Store, StoreError};
use crate::tables::{Ownership, Table};

pub const TABLE: Table = Table {
    space: Space::Outbox,
    ownership: Ownership::Sealed("the case asked for, else a share request's case, else transit"),
};

const VERSION: u8 = 1;
/// The value's header before the question: version, queued_at, expires_at.
pub(crate) const HEADER: usize = 1 + 8 + 8;

/// The outbox failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Written by a newer hub, or damaged on disk. The entry is left in place so that
    /// nothing is lost silently.
    #[error("queued question {key} in the outbox is unreadable: {why}")]
    Corrupt { key: String, why: &'static str },
    /// The blocking task running the store operation panicked or was cancelled at
    /// runtime shutdown; whether the write happened is unknown.
    #[error("the outbox operation was interrupted: {0}")]
    Interrupted(String),
}

/// One queued question.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    pub party: Oin,
    /// The wire message; its `request_id` is the entry's id, and its `deadline` is
    /// `expires_at` (the hub waits that long for the answer).
    pub question: Question,
    pub queued_at: SystemTime,
    pub expires_at: SystemTime,
}

impl OutboxEntry {
    pub fn request_id(&self) -> RequestId {
        RequestId::from_wire(self.question.request_id.clone())
    }

    /// True when the entry must no longer be delivered. An entry expires at
    /// `expires_at` itself, so an expiry of zero never delivers.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    pub fn key(&self) -> Vec<u8> {
        key(&self.party, &self.question.request_id)
    }

    pub fn encode(&self) -> Vec<u8> {
        let question = self.question.encode_to_vec();
        let mut value = Vec::with_capacity(HEADER + question.len());
        value.push(VERSION);
        value.extend_from_slice(&unix_millis(self.queued_at).to_be_bytes());
        value.extend_from_slice(&unix_millis(self.expires_at).to_be_bytes());
        value.extend_from_slice(&question);
        value
    }

    /// Reads an entry back from its key (without the keyspace prefix) and value.
    pub fn decode(key: &[u8], value: &[u8]) -> Result<OutboxEntry, OutboxError> {
        let corrupt = |why| OutboxError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            why,
        };
        let text = std::str::from_utf8(key).map_err(|_| corrupt("the key is not UTF-8"))?;
        let (oin, id) = text
            .split_once('/')
            .ok_or_else(|| corrupt("the key has no `/`"))?;
        let party = Oin::parse(oin).map_err(|_| corrupt("the key's OIN is malformed"))?;
        let (header, question) = (value.get(..HEADER), value.get(HEADER..));
        let (Some(header), Some(question)) = (header, question) else {
            return Err(corrupt("the value is shorter than its header"));
        };
        if header.first() != Some(&VERSION) {
            return Err(corrupt("unknown value version"));
        }
        let millis = |at: usize| {
            header
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
        };
        let (Some(queued_at), Some(expires_at)) = (millis(1), millis(9)) else {
            return Err(corrupt("the value is shorter than its header"));
        };
        let question =
            Question::decode(question).map_err(|_| corrupt("the question does not decode"))?;
        if question.request_id != id {
            return Err(corrupt("the question's request id differs from the key's"));
        }
        Ok(OutboxEntry {
            party,
            question,
            queued_at,
            expires_at,
        })
    }
}

fn key(party: &Oin, request_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(party.as_str().len() + 1 + request_id.len());
    key.extend_from_slice(party.as_str().as_bytes());
    key.push(b'/');
    key.extend_from_slice(request_id.as_bytes());
    key
}

fn party_prefix(party: &Oin) -> Vec<u8> {
    key(party, "")
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What a party's agent gets when it links.
#[derive(Debug, Default)]
pub struct Due {
    /// Unexpired entries, oldest first, to deliver.
    pub deliver: Vec<OutboxEntry>,
    /// Entries that expired; already deleted.
    pub expired: Vec<RequestId>,
    /// Entries that could not be read; left in place.
    pub unreadable: Vec<OutboxError>,
}

/// The outbox over the hub's store.
#[derive(Clone, Debug)]
pub struct Outbox {
    store: Arc<dyn Store>,
}

impl Outbox {
    pub fn new(store: Arc<dyn Store>) -> Outbox {
        Outbox { store }
    }

    /// Queues `entry` durably: on `Ok` it survives a crash. A share request is sealed
    /// under the key of the case it names; any other question under the transit key.
    pub fn put(&self, entry: &OutboxEntry) -> Result<(), OutboxError> {
        let owner = match &entry.question.kind {
            Some(treiter_proto::v1::question::Kind::ShareRequest(share)) => match &share.case {
                // A share request that names a case without its id cannot say whose it is.
                Some(case) if case.id.is_empty() => {
                    return Err(OutboxError::Store(StoreError::Unseal {
                        space: Space::Outbox,
                        detail: "the share request names no case id, so it cannot be sealed".into(),
                    }));
                }
                Some(case) => Owner::case(&case.id),
                None => Owner::Transit,
            },
            _ => Owner::Transit,
        };
        let mut batch = Batch::new();
        batch.put_sealed(Space::Outbox, entry.key(), entry.encode(), owner);
        Ok(self.store.apply(batch)?)
    }

    /// Queues `entry`, asked for `case`, durably: the entry (and later its kept answer)
    /// is sealed under that case's key and deleted with the case (article 9).
    pub fn put_for_case(&self, entry: &OutboxEntry, case: &str) -> Result<(), OutboxError> {
        let mut batch = Batch::new();
        batch.put_sealed(
            Space::Outbox,
            entry.key(),
            entry.encode(),
            Owner::case(case),
        );
        Ok(self.store.apply(batch)?)
    }

    /// The queued question `request_id` of `party`, if any.
    pub fn get(&self, party: &Oin, request_id: &str) -> Result<Option<OutboxEntry>, OutboxError> {
        let key = key(party, request_id);
        match self.store.get(Space::Outbox, &key)? {
            Some(value) => OutboxEntry::decode(&key, &value).map(Some),
            None => Ok(None),
        }
    }

    /// Whether `party` has a queued question `request_id` (readable or not).
    pub fn contains(&self, party: &Oin, request_id: &str) -> Result<bool, OutboxError> {
        Ok(self
            .store
            .get(Space::Outbox, &key(party, request_id))?
            .is_some())
    }

    /// Removes every question queued for `party`, durably, returning how many: for a
    /// party that left the covenant (article 2.3), whose agent can never fetch them.
    pub fn drop_party(&self, party: &Oin) -> Result<usize, OutboxError> {
        let prefix = format!("{}/", party.as_str());
        let mut batch = Batch::new();
        let mut dropped = 0;
        for (key, _) in self.store.scan(Space::Outbox, prefix.as_bytes())? {
            batch.delete(Space::Outbox, key);
            dropped += 1;
        }
        if dropped > 0 {
            self.store.apply(batch)?;
        }
        Ok(dropped)
    }

    /// Removes the queued question `request_id` of `party` durably; false when there is
    /// none (never queued, or already answered). The entry is not decoded: an answer to
    /// a damaged entry still settles it.
    ///
    /// Not atomic with respect to another `take` of the same key: the caller serialises.
    pub fn take(&self, party: &Oin, request_id: &str) -> Result<bool, OutboxError> {
        let key = key(party, request_id);
        if self.store.get(Space::Outbox, &key)?.is_none() {
            return Ok(false);
        }
        let mut batch = Batch::new();
        batch.delete(Space::Outbox, key);
        self.store.apply(batch)?;
        Ok(true)
    }

    /// Takes an answered question out of the outbox and keeps its answer, in one durable
    /// batch: from then on the answer survives a crash until its reader forgets it
    /// ([`crate::casefile::late_record::forget`]) in the batch that stores what it made of it.
    pub fn settle(
        &self,
        party: &Oin,
        request_id: &str,
        answer: &treiter_proto::v1::Answer,
    ) -> Result<bool, OutboxError> {
        let key = key(party, request_id);
        // The answer is the question's: sealed under the owner its writer named for
        // the question, read without opening the question. A store that does not seal
        // names none, and needs none: there, only whether the question is queued counts.
        let owner = match self.store.owner(Space::Outbox, &key)? {
            Some(owner) => owner,
            None if self.store.get(Space::Outbox, &key)?.is_some() => crate::store::Owner::Transit,
            None => return Ok(false),
        };
        let mut batch = Batch::new();
        batch.delete(Space::Outbox, key);
        crate::casefile::late_record::put(&mut batch, owner, party, request_id, answer);
        self.store.apply(batch)?;
        Ok(true)
    }

    /// Answers kept by [`Outbox::settle`] that their reader has not yet forgotten (after
    /// a crash: to be handled again).
    pub fn kept_answers(
        &self,
    ) -> Result<Vec<(Oin, String, treiter_proto::v1::Answer)>, OutboxError> {
        Ok(crate::casefile::late_record::kept(self.store.as_ref())?
            .into_iter()
            .map(|k| (k.party, k.request_id, k.answer))
            .collect())
    }

    /// Every queued question of `party`, oldest first, and those that cannot be read.
    pub fn for_party(
        &self,
        party: &Oin,
    ) -> Result<(Vec<OutboxEntry>, Vec<OutboxError>), OutboxError> {
        let mut entries = Vec::new();
        let mut unreadable = Vec::new();
        for (key, value) in self.store.scan(Space::Outbox, &party_prefix(party))? {
            match OutboxEntry::decode(&key, &value) {
                Ok(entry) => entries.push(entry),
                Err(error) => unreadable.push(error),
            }
        }
        Ok((entries, unreadable))
    }

    /// What to deliver to `party` now: its unexpired entries. Expired entries are
    /// deleted durably (in one batch) before this returns.
    pub fn take_due(&self, party: &Oin, now: SystemTime) -> Result<Due, OutboxError> {
        let (entries, unreadable) = self.for_party(party)?;
        let (expired, deliver): (Vec<_>, Vec<_>) =
            entries.into_iter().partition(|e| e.is_expired(now));
        if !expired.is_empty() {
            let mut batch = Batch::new();
            for entry in &expired {
                batch.delete(Space::Outbox, entry.key());
            }
            self.store.apply(batch)?;
        }
        Ok(Due {
            deliver,
            expired: expired.iter().map(OutboxEntry::request_id).collect(),
            unreadable,
        })
    }

    /// The number of queued questions of every party (expired ones included).
    pub fn len(&self) -> Result<usize, OutboxError> {
        Ok(self.store.scan(Space::Outbox, &[])?.len())
    }

    pub fn is_empty(&self) -> Result<bool, OutboxError> {
        Ok(self.len()? == 0)
    }
}

#[cfg(test)]
mod tests {
    use treiter_proto::v1::{Bevraging, SubjectPseudonym, question};

    use super::*;
    use crate::store::SledStore;

    fn oin(n: u8) -> Oin {
        Oin::parse(&format!("0000000{n}00000000000{n}")).unwrap()
    }

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn entry(party: Oin, id: &str, queued: u64, expires: u64) -> OutboxEntry {
        OutboxEntry {
            party,
            question: Question {
                request_id: id.into(),
                deadline: Some(prost_types::Timestamp::from(at(expires))),
                kind: Some(question::Kind::Bevraging(Bevraging {
                    subject: Some(SubjectPseudonym::default()),
                    more_subjects: Vec::new(),
                })),
            },
            queued_at: at(queued),
            expires_at: at(expires),
        }
    }

    fn outbox() -> (tempfile::TempDir, Outbox) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        (dir, Outbox::new(store))
    }

    #[test]
    fn a_party_that_left_has_its_queued_questions_dropped_and_others_keep_theirs() {
        let (_dir, outbox) = outbox();
        for (party, id) in [(2, "a"), (2, "b"), (3, "c")] {
            outbox.put(&entry(oin(party), id, 1, 2)).unwrap();
        }
        assert_eq!(outbox.drop_party(&oin(2)).unwrap(), 2);
        assert!(!outbox.contains(&oin(2), "a").unwrap());
        assert!(!outbox.contains(&oin(2), "b").unwrap());
        assert!(outbox.contains(&oin(3), "c").unwrap());
        assert_eq!(outbox.drop_party(&oin(2)).unwrap(), 0);
    }

    #[test]
    fn an_entry_round_trips_through_its_encoding() {
        let e = entry(oin(2), "0190aa", 1_700_000_000_123, 1_700_000_360_456);
        assert_eq!(e.key(), b"00000002000000000002/0190aa");
        let value = e.encode();
        assert_eq!(value[0], VERSION);
        assert_eq!(OutboxEntry::decode(&e.key(), &value).unwrap(), e);
    }

    #[test]
    fn damaged_entries_are_refused_by_name() {
        let e = entry(oin(2), "abc", 1, 2);
        let value = e.encode();
        let why = |key: &[u8], value: &[u8]| match OutboxEntry::decode(key, value) {
            Err(OutboxError::Corrupt { why, .. }) => why,
            other => panic!("expected Corrupt, got {other:?}"),
        };
        assert_eq!(
            why(&e.key(), &value[..5]),
            "the value is shorter than its header"
        );
        let mut newer = value.clone();
        newer[0] = 2;
        assert_eq!(why(&e.key(), &newer), "unknown value version");
        assert_eq!(
            why(b"00000002000000000002/other", &value),
            "the question's request id differs from the key's"
        );
        assert_eq!(why(b"no-slash", &value), "the key has no `/`");
        assert_eq!(why(b"123/abc", &value), "the key's OIN is malformed");
    }

    #[test]
    fn expiry_is_inclusive_and_zero_expiry_never_delivers() {
        let e = entry(oin(2), "abc", 1000, 2000);
        assert!(!e.is_expired(at(1999)));
        assert!(e.is_expired(at(2000)));
        let zero = entry(oin(2), "abc", 1000, 1000);
        assert!(zero.is_expired(at(1000)));
    }

    #[test]
    fn take_due_delivers_unexpired_oldest_first_and_deletes_expired() {
        let (_dir, outbox) = outbox();
        outbox.put(&entry(oin(2), "02-late", 20, 5000)).unwrap();
        outbox.put(&entry(oin(2), "01-early", 10, 5000)).unwrap();
        outbox.put(&entry(oin(2), "03-expired", 30, 100)).unwrap();
        outbox.put(&entry(oin(3), "04-other", 10, 5000)).unwrap();
        let due = outbox.take_due(&oin(2), at(1000)).unwrap();
        let ids: Vec<_> = due.deliver.iter().map(|e| e.request_id()).collect();
        assert_eq!(
            ids,
            [
                RequestId::from_wire("01-early"),
                RequestId::from_wire("02-late")
            ]
        );
        assert_eq!(due.expired, [RequestId::from_wire("03-expired")]);
        assert!(outbox.get(&oin(2), "03-expired").unwrap().is_none());
        // Delivery does not remove: only an answer does.
        assert!(outbox.get(&oin(2), "01-early").unwrap().is_some());
        assert_eq!(outbox.len().unwrap(), 3);
    }

    #[test]
    fn take_removes_once() {
        let (_dir, outbox) = outbox();
        let e = entry(oin(2), "abc", 10, 5000);
        outbox.put(&e).unwrap();
        assert!(!outbox.take(&oin(3), "abc").unwrap(), "another party's id");
        assert!(outbox.take(&oin(2), "abc").unwrap());
        assert!(!outbox.take(&oin(2), "abc").unwrap(), "only once");
        assert!(outbox.is_empty().unwrap());
    }

    #[test]
    fn unreadable_entries_are_reported_and_kept() {
        let (_dir, outbox) = outbox();
        let mut batch = Batch::new();
        batch.put(
            Space::Outbox,
            b"00000002000000000002/bad".to_vec(),
            vec![9, 9],
        );
        outbox.store.apply(batch).unwrap();
        let due = outbox.take_due(&oin(2), at(0)).unwrap();
        assert!(due.deliver.is_empty());
        assert_eq!(due.unreadable.len(), 1);
        assert_eq!(outbox.len().unwrap(), 1);
    }
}
