//! The first result of a retried change (`client_request_id`, coordinator.proto).
//!
//! - Keyspace: [`Space::Idempotency`].
//! - Keys, two kinds:
//!   - a coordinator's change to a case: `<person id> 0x00 <client request id>`;
//!   - a privacy officer's request: `officer/<person id> 0x00 <client request id>`;
//!   - a coordinator's case-file request: `casefile/<person id> 0x00 <client request id>`
//!     (the prefixes keep them apart: no person id starts with `officer/` or `casefile/`).
//! - Value: JSON, the writer's record (a request fingerprint and what the first request
//!   made); this module passes it through.
//! - Owner: a case change's and a case-file request's record is its case's, so it is
//!   shredded with the case; an officer's request belongs to no case and is sealed under
//!   the transit key.

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Idempotency,
    ownership: Ownership::Sealed(
        "a case change: the changed case; a privacy officer's request: transit",
    ),
};

/// Whose request a record answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requester<'a> {
    /// A change to a case, by this person.
    CaseChange { person: &'a str },
    /// A privacy officer's request, by this person.
    Officer { person: &'a str },
    /// A case-file request, by this person.
    CaseFile { person: &'a str },
}

fn key(requester: Requester<'_>, client_request_id: &str) -> Vec<u8> {
    let mut key = match requester {
        Requester::CaseChange { person } => person.as_bytes().to_vec(),
        Requester::Officer { person } => format!("officer/{person}").into_bytes(),
        Requester::CaseFile { person } => format!("casefile/{person}").into_bytes(),
    };
    key.push(0);
    key.extend_from_slice(client_request_id.as_bytes());
    key
}

/// The stored record of this request, if any.
pub fn get(
    store: &dyn Store,
    requester: Requester<'_>,
    client_request_id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(Space::Idempotency, &key(requester, client_request_id))
}

/// A record to write with the change it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    key: Vec<u8>,
    value: Vec<u8>,
    owner: Owner,
}

impl Record {
    /// The record of a change to case `case`.
    pub fn case_change(
        person: &str,
        client_request_id: &str,
        case: &str,
        value: Vec<u8>,
    ) -> Record {
        Record {
            key: key(Requester::CaseChange { person }, client_request_id),
            value,
            owner: Owner::case(case),
        }
    }

    /// The record of a case-file request for a file of case `case`.
    pub fn case_file(person: &str, client_request_id: &str, case: &str, value: Vec<u8>) -> Record {
        Record {
            key: key(Requester::CaseFile { person }, client_request_id),
            value,
            owner: Owner::case(case),
        }
    }

    /// The record of a privacy officer's request.
    pub fn officer(person: &str, client_request_id: &str, value: Vec<u8>) -> Record {
        Record {
            key: key(Requester::Officer { person }, client_request_id),
            value,
            owner: Owner::Transit,
        }
    }

    /// Adds the write of the record to `batch`.
    pub fn put(self, batch: &mut Batch) {
        batch.put_sealed(Space::Idempotency, self.key, self.value, self.owner);
    }
}
