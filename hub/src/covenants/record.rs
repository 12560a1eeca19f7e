//! How covenant versions are kept in the store ([`Space::CovenantVersions`]).
//!
//! Two kinds of key share the space, told apart by their first byte:
//! - `v` + the version as 4 big-endian bytes: a [`VersionRecord`] (JSON), so a scan
//!   returns the versions in increasing order;
//! - `r` + person id + `0x00` + client request id: an [`IdempotencyRecord`] (JSON), the
//!   first result of a proposal or approval, for retries (coordinator.proto's rule).
//!
//! Owner: none. The space is not sealed: nothing here is personal data (texts are the
//! encoded covenant, descriptions are written for the approvers without personal data
//! (privacy_officer.proto), people are named by person id and party OIN only).

use serde::{Deserialize, Serialize};

use crate::store::{Batch, Space, Store, StoreError};
use crate::tables::{Ownership, Table};

pub const TABLE: Table = Table {
    space: Space::CovenantVersions,
    ownership: Ownership::Plain,
};

/// Where a version stands (article 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionStatus {
    /// Article 13.1 is not met yet.
    Proposed,
    /// Decisions are made with it now.
    InForce,
    /// A higher version is, or was, in force: it can never take effect (again).
    Superseded,
}

impl VersionStatus {
    /// The word of `CovenantVersion.status`. "approved" is never stored: the switch to an
    /// approved version happens in the same store write as its last approval.
    pub const fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Proposed => "proposed",
            VersionStatus::InForce => "in-force",
            VersionStatus::Superseded => "superseded",
        }
    }

    /// The status named by a word of `ListCovenantVersionsRequest.statuses`; `None` for
    /// "approved" (never stored, so it matches nothing) and unknown words.
    pub fn parse(word: &str) -> Option<VersionStatus> {
        match word {
            "proposed" => Some(VersionStatus::Proposed),
            "in-force" => Some(VersionStatus::InForce),
            "superseded" => Some(VersionStatus::Superseded),
            _ => None,
        }
    }
}

/// A privacy officer, as the record names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRecord {
    /// The party's OIN (20 digits).
    pub party: String,
    /// The person id from the certificate.
    pub person: String,
}

/// One party's approval (article 13.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub by: ActorRecord,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The text hash approved (hex); always the version's.
    pub sha256: String,
}

/// One version of the encoded covenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: u32,
    pub status: VersionStatus,
    /// The encoded covenant, exactly as proposed.
    pub text: String,
    /// SHA-256 of `text`, lowercase hex.
    pub sha256: String,
    pub description: String,
    /// Unix milliseconds; `None` for the version the hub was first started with.
    pub proposed_at_ms: Option<i64>,
    pub proposed_by: Option<ActorRecord>,
    /// One per party, oldest first.
    pub approvals: Vec<ApprovalRecord>,
    pub in_force_from_ms: Option<i64>,
    pub superseded_at_ms: Option<i64>,
    /// 0 if none.
    pub superseded_by: u32,
}

impl VersionRecord {
    /// The stored text as a covenant, parsed under the name `version N` (what its
    /// diagnostics show). Only valid texts are stored, so an error means the store was
    /// changed outside the hub; each caller says what that means for it.
    pub fn covenant(
        &self,
    ) -> Result<treiter_policies::Covenant, treiter_policies::diagnostics::Diagnostics> {
        treiter_policies::Covenant::parse(&format!("version {}", self.version), &self.text)
    }
}

/// The first result of a proposal or approval, by person and client request id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// "propose" or "approve".
    pub operation: String,
    /// SHA-256 (hex) over what the request asked for, to tell a retry from reuse.
    pub fingerprint: String,
    /// The version the request concerned.
    pub version: u32,
}

fn version_key(version: u32) -> Vec<u8> {
    let mut key = vec![b'v'];
    key.extend_from_slice(&version.to_be_bytes());
    key
}

fn request_key(person: &str, client_request_id: &str) -> Vec<u8> {
    let mut key = vec![b'r'];
    key.extend_from_slice(person.as_bytes());
    key.push(0);
    key.extend_from_slice(client_request_id.as_bytes());
    key
}

/// A stored value that does not decode: the store was changed behind the hub's back
/// or by an incompatible version.
fn corrupt(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Io {
        operation: "decode",
        space: Space::CovenantVersions,
        detail: format!("{what}: {e}"),
    }
}

/// Every stored version, in increasing order.
pub fn all(store: &dyn Store) -> Result<Vec<VersionRecord>, StoreError> {
    store
        .scan(Space::CovenantVersions, b"v")?
        .into_iter()
        .map(|(_, value)| serde_json::from_slice(&value).map_err(|e| corrupt("a version", e)))
        .collect()
}

/// One version, if stored.
pub fn get(store: &dyn Store, version: u32) -> Result<Option<VersionRecord>, StoreError> {
    store
        .get(Space::CovenantVersions, &version_key(version))?
        .map(|v| serde_json::from_slice(&v).map_err(|e| corrupt("a version", e)))
        .transpose()
}

/// Adds the write of `record` to `batch`.
pub fn put(batch: &mut Batch, record: &VersionRecord) {
    // Serialising plain strings and numbers cannot fail.
    let value = serde_json::to_vec(record).unwrap_or_default();
    batch.put(Space::CovenantVersions, version_key(record.version), value);
}

/// The first result of this person's request, if any.
pub fn request(
    store: &dyn Store,
    person: &str,
    client_request_id: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    store
        .get(
            Space::CovenantVersions,
            &request_key(person, client_request_id),
        )?
        .map(|v| serde_json::from_slice(&v).map_err(|e| corrupt("a request record", e)))
        .transpose()
}

/// Adds the idempotency record of this person's request to `batch`.
pub fn put_request(
    batch: &mut Batch,
    person: &str,
    client_request_id: &str,
    record: &IdempotencyRecord,
) {
    let value = serde_json::to_vec(record).unwrap_or_default();
    batch.put(
        Space::CovenantVersions,
        request_key(person, client_request_id),
        value,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_sort_numerically_and_apart_from_requests() {
        assert!(version_key(2) < version_key(10));
        assert!(version_key(255) < version_key(256));
        // Scans of versions use the `v` prefix; a request key never starts with it.
        assert_eq!(request_key("v", "v")[0], b'r');
    }

    #[test]
    fn a_stored_version_parses_under_its_version_name() {
        let record = VersionRecord {
            version: 7,
            status: VersionStatus::Proposed,
            text: "not a covenant".into(),
            sha256: String::new(),
            description: String::new(),
            proposed_at_ms: None,
            proposed_by: None,
            approvals: Vec::new(),
            in_force_from_ms: None,
            superseded_at_ms: None,
            superseded_by: 0,
        };
        let diagnostics = record.covenant().expect_err("not a covenant");
        assert!(
            diagnostics.plain().starts_with("version 7:"),
            "{diagnostics}"
        );
    }
}
