//! Case events kept apart from their case record.
//!
//! - Keyspace: [`Space::CaseEvents`].
//! - Key: `<case id>/<sequence, 20 digits>`, so a scan of `<case id>/` returns the
//!   case's events in order.
//! - Value: the event as its writer encodes it.
//! - Owner: the case named by the key.
//!
//! This version of the hub keeps a case's history inside the case record
//! ([`super::cases`]) and writes nothing here; the space is reserved (prefix 2) and its
//! layout fixed so that a writer, when it comes, cannot get the owner wrong.

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space};

pub const TABLE: Table = Table {
    space: Space::CaseEvents,
    ownership: Ownership::Sealed("the case named by the key"),
};

fn key(case: &str, sequence: u64) -> Vec<u8> {
    format!("{case}/{sequence:020}").into_bytes()
}

/// Adds event `sequence` of `case` to `batch`, sealed under the case's key.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the space is reserved; nothing writes events apart yet"
    )
)]
pub(crate) fn put(batch: &mut Batch, case: &str, sequence: u64, value: Vec<u8>) {
    batch.put_sealed(
        Space::CaseEvents,
        key(case, sequence),
        value,
        Owner::case(case),
    );
}
