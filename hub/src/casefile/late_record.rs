//! How answers to queued questions are kept in the store ([`Space::LateAnswers`]);
//! nothing else touches that space.
//!
//! An answer is kept from the moment its question leaves the outbox
//! ([`crate::questions::outbox::Outbox::settle`], in the same batch) until the case file
//! it belongs to has taken it in ([`forget`], in the batch that stores the file): a
//! crash in between loses nothing, the answer is joined again at the next start.
//!
//! Key: the request id. Value: the answering party's OIN (20 digits), `/`, the
//! [`wire::Answer`] (protobuf).
//!
//! Owner: the owner of the question it answers: the case the question was asked for,
//! or hub-wide transit for one asked without a case. The writer names it ([`put`]'s
//! `owner`): the outbox reads it from the question's sealed record
//! ([`crate::store::Store::owner`]), deleted in the same batch.

use prost::Message;
use treiter_proto::v1 as wire;

use crate::identity::Oin;
use crate::store::{Batch, Owner, Space, Store, StoreError};
use crate::tables::{Ownership, Table};

pub const TABLE: Table = Table {
    space: Space::LateAnswers,
    ownership: Ownership::Sealed(
        "the owner of the question it answers, read from its sealed record",
    ),
};

/// One kept answer.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptAnswer {
    pub party: Oin,
    pub request_id: String,
    pub answer: wire::Answer,
}

fn encode(party: &Oin, answer: &wire::Answer) -> Vec<u8> {
    let mut value = party.as_str().as_bytes().to_vec();
    value.push(b'/');
    value.extend_from_slice(&answer.encode_to_vec());
    value
}

fn decode(key: Vec<u8>, value: &[u8]) -> Option<KeptAnswer> {
    let request_id = String::from_utf8(key).ok()?;
    let slash = value.iter().position(|b| *b == b'/')?;
    let (party, answer) = value.split_at(slash);
    let party = Oin::parse(std::str::from_utf8(party).ok()?).ok()?;
    let answer = wire::Answer::decode(answer.get(1..)?).ok()?;
    Some(KeptAnswer {
        party,
        request_id,
        answer,
    })
}

/// Adds to `batch` the keeping of `party`'s answer to `request_id`, sealed under the
/// answered question's `owner`.
pub fn put(batch: &mut Batch, owner: Owner, party: &Oin, request_id: &str, answer: &wire::Answer) {
    let (key, value) = (request_id.as_bytes().to_vec(), encode(party, answer));
    batch.put_sealed(Space::LateAnswers, key, value, owner);
}

/// Adds to `batch` the removal of a kept answer: its reader calls this in the same
/// batch that stores what it made of the answer, so the two happen together or not.
pub fn forget(batch: &mut Batch, request_id: &str) {
    batch.delete(Space::LateAnswers, request_id.as_bytes().to_vec());
}

/// Forgets a kept answer that belongs to no case file (any more), now.
pub fn forget_now(store: &dyn Store, request_id: &str) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    forget(&mut batch, request_id);
    store.apply(batch)
}

/// Every kept answer that reads; one that does not (damaged, or written by another
/// version) is left in place and skipped.
pub fn kept(store: &dyn Store) -> Result<Vec<KeptAnswer>, StoreError> {
    Ok(store
        .scan(Space::LateAnswers, &[])?
        .into_iter()
        .filter_map(|(key, value)| decode(key, &value))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_answer_reads_back_as_written() {
        let party = Oin::parse("00000001003214345000").expect("oin");
        let answer = wire::Answer {
            request_id: "r1".into(),
            ..Default::default()
        };
        let read = decode(b"r1".to_vec(), &encode(&party, &answer)).expect("decodes");
        assert_eq!(
            read,
            KeptAnswer {
                party,
                request_id: "r1".into(),
                answer
            }
        );
        assert!(decode(b"r1".to_vec(), b"no slash").is_none());
    }
}
