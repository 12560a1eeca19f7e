//! The witness key each party's agent presented (article 10.2), pinned.
//!
//! - Keyspace: [`Space::WitnessKeys`].
//! - Key: the party's OIN (20 digits), UTF-8.
//! - Value: the key's text as the agent presented it.
//! - Owner: none; the space is not sealed (public keys named after an organisation).

use super::{Ownership, Table};
use crate::store::{Batch, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::WitnessKeys,
    ownership: Ownership::Plain,
};

/// The key pinned for party `oin`, if any.
pub fn get(store: &dyn Store, oin: &str) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(Space::WitnessKeys, oin.as_bytes())
}

/// Adds pinning `text` as party `oin`'s key to `batch`.
pub fn put(batch: &mut Batch, oin: &str, text: &str) {
    batch.put(
        Space::WitnessKeys,
        oin.as_bytes().to_vec(),
        text.as_bytes().to_vec(),
    );
}
