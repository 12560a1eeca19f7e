//! Case records.
//!
//! - Keyspace: [`Space::Cases`].
//! - Key: the case id (`C-<year>-<nnnn>`), UTF-8.
//! - Value: the [`Case`] as JSON, its history included.
//! - Owner: the case itself; deleting its key shreds the record (article 9).

use super::{Ownership, Table};
use crate::cases::model::Case;
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Cases,
    ownership: Ownership::Sealed("the case (its id is the key)"),
};

/// A stored case as it reads back: the case, or why its JSON does not decode.
pub type Decoded = Result<Case, serde_json::Error>;

/// The stored case `id`, undecoded decode result included: callers say what a damaged
/// record means to them.
pub fn get(store: &dyn Store, id: &str) -> Result<Option<Decoded>, StoreError> {
    Ok(store
        .get(Space::Cases, id.as_bytes())?
        .map(|bytes| serde_json::from_slice(&bytes)))
}

/// Every stored case in key order: the key (lossy text, for messages) and the decoded
/// case or why it does not decode.
pub fn all(store: &dyn Store) -> Result<Vec<(String, Decoded)>, StoreError> {
    Ok(store
        .scan(Space::Cases, b"")?
        .into_iter()
        .map(|(key, bytes)| {
            (
                String::from_utf8_lossy(&key).into_owned(),
                serde_json::from_slice(&bytes),
            )
        })
        .collect())
}

/// Adds the write of `case` to `batch`, sealed under the case's key.
pub fn put(batch: &mut Batch, case: &Case) -> Result<(), serde_json::Error> {
    let bytes = serde_json::to_vec(case)?;
    batch.put_sealed(
        Space::Cases,
        case.id.as_bytes().to_vec(),
        bytes,
        Owner::case(&case.id),
    );
    Ok(())
}

/// Adds `value` as the record of case `id` as it is, not encoded: for tests that need a
/// record the hub cannot read. Sealed under the case's key like any case record.
#[doc(hidden)]
pub fn put_unencoded(batch: &mut Batch, id: &str, value: Vec<u8>) {
    batch.put_sealed(Space::Cases, id.as_bytes().to_vec(), value, Owner::case(id));
}
