//! Which parties hold delivered data of a case, and the retention notice sent to them
//! ([`crate::deliveries`]).
//!
//! - Keyspace: [`Space::DeliveryHolders`].
//! - Key: `<case id>/<party OIN>`, UTF-8.
//! - Value: a [`Holder`] as JSON.
//! - Owner: none; the space is not sealed (a case id, an OIN, a notice id and a time),
//!   so a holder outlives its case's key and its party can still be told the data must
//!   go.

use serde::{Deserialize, Serialize};

use super::{Ownership, Table};
use crate::store::{Batch, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::DeliveryHolders,
    ownership: Ownership::Plain,
};

/// A party holding delivered data of a case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The retention notice for it, once the term is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
    /// The notice's delete moment, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_at: Option<i64>,
    /// True once the agent acknowledged the notice.
    #[serde(default)]
    pub acknowledged: bool,
}

fn key(case: &str, party: &str) -> Vec<u8> {
    format!("{case}/{party}").into_bytes()
}

/// Whether `party` is recorded as a holder of `case`'s data.
pub fn exists(store: &dyn Store, case: &str, party: &str) -> Result<bool, StoreError> {
    Ok(store
        .get(Space::DeliveryHolders, &key(case, party))?
        .is_some())
}

/// `party`'s holder record of `case`, if there is one that reads back.
pub fn get(store: &dyn Store, case: &str, party: &str) -> Result<Option<Holder>, StoreError> {
    Ok(store
        .get(Space::DeliveryHolders, &key(case, party))?
        .and_then(|value| serde_json::from_slice(&value).ok()))
}

/// Every holder record that reads back: case, party OIN, record. A key or value that
/// does not read is passed over.
pub fn all(store: &dyn Store) -> Result<Vec<(String, String, Holder)>, StoreError> {
    let mut all = Vec::new();
    for (key, value) in store.scan(Space::DeliveryHolders, &[])? {
        let Ok(key) = String::from_utf8(key) else {
            continue;
        };
        let Some((case, party)) = key.rsplit_once('/') else {
            continue;
        };
        if let Ok(holder) = serde_json::from_slice::<Holder>(&value) {
            all.push((case.to_owned(), party.to_owned(), holder));
        }
    }
    Ok(all)
}

/// Adds the write of `party`'s holder record of `case` to `batch`.
pub fn put(batch: &mut Batch, case: &str, party: &str, holder: &Holder) {
    // Serialising strings, numbers and a flag cannot fail.
    let value = serde_json::to_vec(holder).unwrap_or_default();
    batch.put(Space::DeliveryHolders, key(case, party), value);
}

/// Adds removing `party`'s holder record of `case` to `batch`.
pub fn delete(batch: &mut Batch, case: &str, party: &str) {
    batch.delete(Space::DeliveryHolders, key(case, party));
}
