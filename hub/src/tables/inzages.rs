//! Inzage overviews (article 11), as produced for a privacy officer.
//!
//! - Keyspace: [`Space::Inzages`].
//! - Key: `r/<inzage id>` (`I-<year>-<nnnn>`, counted per year in [`super::meta`]).
//! - Value: the `InzageReport` wire message, prost-encoded, with its items and
//!   documents.
//! - Owner: transit. An overview names a subject (by pseudonym) and who shared what
//!   about it; it outlives any one case, so the hub-wide key seals it.

use prost::Message;
use treiter_proto::v1::InzageReport;

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Inzages,
    ownership: Ownership::Sealed("transit (an overview outlives any one case)"),
};

fn key(id: &str) -> Vec<u8> {
    format!("r/{id}").into_bytes()
}

/// The stored overview `id`, if it is stored and decodes.
pub fn get(store: &dyn Store, id: &str) -> Result<Option<InzageReport>, StoreError> {
    Ok(store
        .get(Space::Inzages, &key(id))?
        .and_then(|b| InzageReport::decode(b.as_slice()).ok()))
}

/// Every stored overview that decodes, in key order.
pub fn all(store: &dyn Store) -> Result<Vec<InzageReport>, StoreError> {
    Ok(store
        .scan(Space::Inzages, b"r/")?
        .into_iter()
        .filter_map(|(_, v)| InzageReport::decode(v.as_slice()).ok())
        .collect())
}

/// Adds the write of overview `report`, id `id`, to `batch`.
pub fn put(batch: &mut Batch, id: &str, report: &InzageReport) {
    batch.put_sealed(
        Space::Inzages,
        key(id),
        report.encode_to_vec(),
        Owner::Transit,
    );
}
