//! Small hub-wide values: counters, the key store the data directory is bound to, and
//! the parties' open witness alerts.
//!
//! - Keyspace: [`Space::Meta`].
//! - Keys (UTF-8), each kind with its own prefix:
//!   - a counter, by the name its user gives (`case-seq/<year>`, `inzage-seq/<year>`,
//!     `casefile-seq/<case>`): 8 bytes, big-endian ([`next_counter`]);
//!   - `key-store-id`: the id of the key store whose keys seal this data directory;
//!   - `witness-alert/<OIN>`: a party's open witness alert, JSON
//!     ([`crate::witness_alerts`]).
//! - Owner: none; the space is not sealed (numbers, a key store id, OINs and reason
//!   words hold no personal data).

use super::{Ownership, Table};
use crate::store::{Batch, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Meta,
    ownership: Ownership::Plain,
};

/// Takes the next number of the counter `key` (1 the first time) and puts the
/// counter's new value into `batch`: applied together with what the number is used
/// for, no number is handed out twice. A stored value that is not a counter is an
/// error, never a silent restart at 1 (which would hand out numbers again).
pub fn next_counter(store: &dyn Store, key: &str, batch: &mut Batch) -> Result<u64, StoreError> {
    let next = match store.get(Space::Meta, key.as_bytes())? {
        None => 1,
        Some(bytes) => {
            let raw = <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Damaged {
                space: Space::Meta,
                key: key.to_owned(),
                detail: "not an 8-byte counter",
            })?;
            u64::from_be_bytes(raw) + 1
        }
    };
    batch.put(
        Space::Meta,
        key.as_bytes().to_vec(),
        next.to_be_bytes().to_vec(),
    );
    Ok(next)
}

const BOUND_KEY_STORE: &[u8] = b"key-store-id";

/// The id of the key store the data directory is bound to, if it is bound yet.
pub fn bound_key_store(store: &dyn Store) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(Space::Meta, BOUND_KEY_STORE)
}

/// Binds the data directory to the key store `id`, durably.
pub fn bind_key_store(store: &dyn Store, id: &[u8]) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    batch.put(Space::Meta, BOUND_KEY_STORE.to_vec(), id.to_vec());
    store.apply(batch)
}

/// The prefix of the witness alerts' keys.
const WITNESS_ALERT: &str = "witness-alert/";

fn witness_alert_key(oin: &str) -> Vec<u8> {
    format!("{WITNESS_ALERT}{oin}").into_bytes()
}

/// Every stored witness alert: the OIN from its key (lossy text) and the JSON value.
pub fn witness_alerts(store: &dyn Store) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    Ok(store
        .scan(Space::Meta, WITNESS_ALERT.as_bytes())?
        .into_iter()
        .map(|(key, value)| {
            let oin = String::from_utf8_lossy(key.get(WITNESS_ALERT.len()..).unwrap_or_default())
                .into_owned();
            (oin, value)
        })
        .collect())
}

/// Adds the write of `oin`'s witness alert (JSON) to `batch`.
pub fn put_witness_alert(batch: &mut Batch, oin: &str, value: Vec<u8>) {
    batch.put(Space::Meta, witness_alert_key(oin), value);
}

/// Adds the deletion of `oin`'s witness alert to `batch`.
pub fn delete_witness_alert(batch: &mut Batch, oin: &str) {
    batch.delete(Space::Meta, witness_alert_key(oin));
}
