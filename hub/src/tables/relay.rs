//! Messages one hub replica hands another through the shared store ([`crate::relay`]).
//!
//! - Keyspace: [`Space::Relay`].
//! - Key: `<target replica>/<sender replica>/<sequence, 20 digits>`, UTF-8: a replica
//!   reads its own messages with one prefix scan, in the order each sender wrote them.
//! - Value: a kind byte (1 question, 2 answer, 3 "send the party its deliveries"), the
//!   expiry (unix milliseconds, u64 big-endian), the party's OIN (20 bytes), then the
//!   question or answer as its protobuf bytes (`agent_link.proto`).
//! - Owner: transit. A question carries a pseudonym and an answer field values, so the
//!   record is sealed under the hub-wide transit key for the moment it is in the store;
//!   every replica deletes expired messages, so none outlives its question's deadline
//!   by more than a sweep.

use prost::Message as _;
use treiter_proto::v1::{Answer, Question};

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Relay,
    ownership: Ownership::Sealed("transit"),
};

/// What one replica hands another.
#[derive(Clone, Debug, PartialEq)]
pub enum RelayBody {
    /// Send this question down the party's link (the sender waits for its answer).
    Question(Box<Question>),
    /// The party's answer to a question the receiver sent through the relay.
    Answer(Answer),
    /// New deliveries for the party are in the store: send them down its link.
    Deliveries,
}

/// A message between replicas.
#[derive(Clone, Debug, PartialEq)]
pub struct RelayMessage {
    /// The sender, who gets the answer back.
    pub from: String,
    pub party: String,
    pub expires_ms: u64,
    pub body: RelayBody,
}

fn damaged(key: &[u8], detail: &'static str) -> StoreError {
    StoreError::Damaged {
        space: Space::Relay,
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    }
}

impl RelayMessage {
    fn encode(&self) -> Vec<u8> {
        let (kind, payload) = match &self.body {
            RelayBody::Question(q) => (1u8, q.as_ref().encode_to_vec()),
            RelayBody::Answer(a) => (2u8, a.encode_to_vec()),
            RelayBody::Deliveries => (3u8, Vec::new()),
        };
        let mut out = Vec::with_capacity(29 + payload.len());
        out.push(kind);
        out.extend_from_slice(&self.expires_ms.to_be_bytes());
        out.extend_from_slice(self.party.as_bytes());
        out.extend_from_slice(&payload);
        out
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<RelayMessage, StoreError> {
        let text = std::str::from_utf8(key).map_err(|_| damaged(key, "key not UTF-8"))?;
        let from = text
            .split('/')
            .nth(1)
            .ok_or_else(|| damaged(key, "key without a sender"))?
            .to_owned();
        let (&kind, rest) = value.split_first().ok_or_else(|| damaged(key, "empty"))?;
        let (expires, rest) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| damaged(key, "no expiry"))?;
        let (party, payload) = rest
            .split_at_checked(20)
            .ok_or_else(|| damaged(key, "no party"))?;
        let party = std::str::from_utf8(party)
            .map_err(|_| damaged(key, "party not UTF-8"))?
            .to_owned();
        let body = match kind {
            1 => RelayBody::Question(Box::new(
                Question::decode(payload).map_err(|_| damaged(key, "not a question"))?,
            )),
            2 => RelayBody::Answer(
                Answer::decode(payload).map_err(|_| damaged(key, "not an answer"))?,
            ),
            3 => RelayBody::Deliveries,
            _ => return Err(damaged(key, "unknown kind")),
        };
        Ok(RelayMessage {
            from,
            party,
            expires_ms: u64::from_be_bytes(*expires),
            body,
        })
    }
}

/// Adds `message` for replica `to` (the `sequence`-th of its sender) to `batch`.
pub fn put(batch: &mut Batch, to: &str, sequence: u64, message: &RelayMessage) {
    let key = format!("{to}/{}/{sequence:020}", message.from);
    batch.put_sealed(
        Space::Relay,
        key.into_bytes(),
        message.encode(),
        Owner::Transit,
    );
}

/// Messages read from the relay, each with its key (to delete it once handled); a
/// damaged one as its key and the error.
pub type Read = Vec<(Vec<u8>, Result<RelayMessage, StoreError>)>;

/// The messages waiting for replica `to`.
pub fn waiting(store: &dyn Store, to: &str) -> Result<Read, StoreError> {
    read(store, format!("{to}/").as_bytes())
}

/// Every message in the relay, for the sweep of expired ones.
pub fn all(store: &dyn Store) -> Result<Read, StoreError> {
    read(store, b"")
}

fn read(store: &dyn Store, prefix: &[u8]) -> Result<Read, StoreError> {
    Ok(store
        .scan(Space::Relay, prefix)?
        .into_iter()
        .map(|(key, value)| {
            let message = RelayMessage::decode(&key, &value);
            (key, message)
        })
        .collect())
}

/// Adds deleting the message of `key` to `batch`.
pub fn delete(batch: &mut Batch, key: Vec<u8>) {
    batch.delete(Space::Relay, key);
}
