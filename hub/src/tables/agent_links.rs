//! Which hub replica each party's agent is linked to now ([`crate::relay`]).
//!
//! - Keyspace: [`Space::AgentLinks`].
//! - Key: the party's OIN (20 digits), UTF-8.
//! - Value: `<replica id> <link generation> <refreshed at, unix milliseconds>`, UTF-8.
//! - Owner: none; the space is not sealed (an OIN, a replica id and times).
//!
//! A replica writes the rows of the agents linked to it again every
//! [`crate::relay::LINK_REFRESH`]; a row not refreshed for [`crate::relay::LINK_FRESH`]
//! names a replica that died or lost the link, and is not followed.

use super::{Ownership, Table};
use crate::store::{Batch, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::AgentLinks,
    ownership: Ownership::Plain,
};

/// Where a party's agent was linked when its row was last refreshed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentLink {
    pub replica: String,
    pub generation: u64,
    pub refreshed_ms: u64,
}

impl AgentLink {
    fn encode(&self) -> Vec<u8> {
        format!("{} {} {}", self.replica, self.generation, self.refreshed_ms).into_bytes()
    }

    fn decode(oin: &str, bytes: &[u8]) -> Result<AgentLink, StoreError> {
        let damaged = |detail| StoreError::Damaged {
            space: Space::AgentLinks,
            key: oin.to_owned(),
            detail,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| damaged("not UTF-8"))?;
        let mut parts = text.split(' ');
        let (Some(replica), Some(generation), Some(refreshed), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(damaged("not three fields"));
        };
        Ok(AgentLink {
            replica: replica.to_owned(),
            generation: generation.parse().map_err(|_| damaged("bad generation"))?,
            refreshed_ms: refreshed.parse().map_err(|_| damaged("bad time"))?,
        })
    }
}

/// The link row of party `oin`, if any.
pub fn get(store: &dyn Store, oin: &str) -> Result<Option<AgentLink>, StoreError> {
    store
        .get(Space::AgentLinks, oin.as_bytes())?
        .map(|bytes| AgentLink::decode(oin, &bytes))
        .transpose()
}

/// Every link row, by OIN.
pub fn all(store: &dyn Store) -> Result<Vec<(String, AgentLink)>, StoreError> {
    store
        .scan(Space::AgentLinks, b"")?
        .into_iter()
        .map(|(key, value)| {
            let oin = String::from_utf8_lossy(&key).into_owned();
            let link = AgentLink::decode(&oin, &value)?;
            Ok((oin, link))
        })
        .collect()
}

/// Adds "party `oin` is linked as `link`" to `batch`.
pub fn put(batch: &mut Batch, oin: &str, link: &AgentLink) {
    batch.put(Space::AgentLinks, oin.as_bytes().to_vec(), link.encode());
}

/// Adds removing party `oin`'s row to `batch`.
pub fn delete(batch: &mut Batch, oin: &str) {
    batch.delete(Space::AgentLinks, oin.as_bytes().to_vec());
}
