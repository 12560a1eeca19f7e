//! Case-file records queued for the recipient party's agent until it acknowledges them
//! ([`crate::deliveries`]).
//!
//! - Keyspace: [`Space::Deliveries`].
//! - Key: `<party OIN>/<case id>/<delivery id>`, UTF-8, so a scan of `<party OIN>/`
//!   finds everything queued for one party.
//! - Value: the `Delivery` wire message, prost-encoded.
//! - Owner: the delivery's case: it holds field values, so it is shredded with the case.

use prost::Message;
use treiter_proto::v1::Delivery;

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Deliveries,
    ownership: Ownership::Sealed("the delivery's case"),
};

fn key(party: &str, case: &str, id: &str) -> Vec<u8> {
    format!("{party}/{case}/{id}").into_bytes()
}

fn party_prefix(party: &str) -> String {
    format!("{party}/")
}

/// A queued delivery as it reads back: the message, or why it does not decode.
pub type Decoded = Result<Delivery, prost::DecodeError>;

/// The stored key of a queued delivery, for deleting it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedKey(Vec<u8>);

/// Adds queueing `delivery` for `party` to `batch`, sealed under its case's key.
pub fn put(batch: &mut Batch, party: &str, delivery: &Delivery) {
    batch.put_sealed(
        Space::Deliveries,
        key(party, &delivery.case_id, &delivery.delivery_id),
        delivery.encode_to_vec(),
        Owner::case(&delivery.case_id),
    );
}

/// What is queued for `party`, in key order: each delivery, or why it does not decode.
pub fn queued(store: &dyn Store, party: &str) -> Result<Vec<(QueuedKey, Decoded)>, StoreError> {
    Ok(store
        .scan(Space::Deliveries, party_prefix(party).as_bytes())?
        .into_iter()
        .map(|(key, value)| (QueuedKey(key), Delivery::decode(value.as_slice())))
        .collect())
}

/// The key of the delivery `id` queued for `party`, if it is queued.
pub fn find(store: &dyn Store, party: &str, id: &str) -> Result<Option<QueuedKey>, StoreError> {
    let suffix = format!("/{id}");
    Ok(store
        .scan(Space::Deliveries, party_prefix(party).as_bytes())?
        .into_iter()
        .map(|(key, _)| key)
        .find(|key| key.ends_with(suffix.as_bytes()))
        .map(QueuedKey))
}

/// Adds removing a queued delivery to `batch`.
pub fn delete(batch: &mut Batch, key: QueuedKey) {
    batch.delete(Space::Deliveries, key.0);
}
