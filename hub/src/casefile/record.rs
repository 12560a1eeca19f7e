//! How case files are kept in the store ([`Space::CaseFiles`]); nothing else touches
//! that space.
//!
//! Every record here belongs to one case, the case whose file it is: it is sealed under
//! that case's key and shredded with it (article 9). Every write names that case
//! explicitly (`case`), so the sealing layer never has to work it out from the key.
//!
//! Four kinds of key share the space, told apart by their prefix:
//! - `file/<case-file id>`: the [`wire::CaseFile`] as the coordinator sees it
//!   (protobuf);
//! - `owner/<case id>/<person id>/<case-file id>`, empty value: the requester's index
//!   of their files per case (the person id is the only one who may read the file);
//! - `req/<request id>`: a [`QueuedRequest`] (JSON), where the answer to a question
//!   queued for an offline partner belongs;
//! - `assembling/<case-file id>`: an [`AssemblyMarker`] (JSON), a file being assembled
//!   and not stored yet, so that another replica (or this hub after a restart) can
//!   finish it when its assembler died ([`super::resume`]).
//!
//! Nothing here is readable by another person than the requester: the file holds
//! personal data of the case's subjects.

use prost::Message;
use serde::{Deserialize, Serialize};
use treiter_proto::v1 as wire;
use treiter_proto::v1::Delivery;

use super::late_record;
use super::notices::Notice;
use crate::identity::Oin;
use crate::store::{Batch, Owner, Space, Store, StoreError};
use crate::tables::{Ownership, Table};

pub const TABLE: Table = Table {
    space: Space::CaseFiles,
    ownership: Ownership::Sealed("the case the file is of, named by every writer"),
};

/// Where a queued question's answer belongs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueuedRequest {
    pub file_id: String,
    pub party: String,
    pub subject: String,
    /// "bevraging" or "shares".
    pub kind: String,
    /// For "shares": the categories asked.
    pub categories: Vec<String>,
}

fn file_key(id: &str) -> Vec<u8> {
    format!("file/{id}").into_bytes()
}

fn requester_prefix(case_id: &str) -> String {
    format!("owner/{case_id}/")
}

fn requester_key(case_id: &str, person: &str, id: &str) -> Vec<u8> {
    format!("owner/{case_id}/{person}/{id}").into_bytes()
}

fn request_key(request_id: &str) -> Vec<u8> {
    format!("req/{request_id}").into_bytes()
}

const ASSEMBLY_PREFIX: &str = "assembling/";

fn assembly_key(file_id: &str) -> Vec<u8> {
    format!("{ASSEMBLY_PREFIX}{file_id}").into_bytes()
}

/// A case file being assembled and not stored yet: what it takes to assemble it again
/// (the request as planned), and who assembles it until when.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssemblyMarker {
    pub file_id: String,
    pub case_id: String,
    /// The requester's person id and party OIN.
    pub requester: String,
    pub party: String,
    pub purpose: String,
    /// The subjects (pseudonyms, hex) and categories asked about.
    pub subjects: Vec<String>,
    pub categories: Vec<String>,
    /// The deadline the requester gave (0: the hub's default).
    pub deadline_ms: u32,
    /// The hub process assembling it ([`super::progress::Assembling::instance`]).
    pub instance: String,
    /// Until when (unix milliseconds) that process is expected to have stored it: after
    /// this another replica may take it over.
    pub expires_ms: u64,
    /// How often it was taken over already.
    pub resumed: u32,
}

/// Adds to `batch` the marker of a file of case `case` being assembled.
pub fn put_assembly(batch: &mut Batch, case: &str, marker: &AssemblyMarker) {
    // Serialising plain strings and numbers cannot fail.
    if let Ok(bytes) = serde_json::to_vec(marker) {
        batch.put_sealed(
            Space::CaseFiles,
            assembly_key(&marker.file_id),
            bytes,
            Owner::case(case),
        );
    }
}

/// Adds to `batch` the removal of file `file_id`'s assembly marker.
pub fn forget_assembly(batch: &mut Batch, file_id: &str) {
    batch.delete(Space::CaseFiles, assembly_key(file_id));
}

/// The assembly marker of file `file_id`, if it is being assembled.
pub fn assembly(store: &dyn Store, file_id: &str) -> Result<Option<AssemblyMarker>, StoreError> {
    store
        .get(Space::CaseFiles, &assembly_key(file_id))?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Damaged {
                space: Space::CaseFiles,
                key: format!("{ASSEMBLY_PREFIX}{file_id}"),
                detail: "not an assembly marker",
            })
        })
        .transpose()
}

/// Every assembly marker (of cases not deleted), in file id order; the ids of markers
/// that do not decode are left out (they cannot be taken over, and say so in the log).
pub fn all_assemblies(store: &dyn Store) -> Result<Vec<AssemblyMarker>, StoreError> {
    Ok(store
        .scan(Space::CaseFiles, ASSEMBLY_PREFIX.as_bytes())?
        .into_iter()
        .filter_map(|(key, bytes)| {
            let marker = serde_json::from_slice(&bytes).ok();
            if marker.is_none() {
                tracing::error!(
                    key = %String::from_utf8_lossy(&key),
                    "an assembly marker does not decode; its case file cannot be taken over"
                );
            }
            marker
        })
        .collect())
}

/// A stored case file; `None` when there is none (or it does not decode).
pub fn load(store: &dyn Store, id: &str) -> Result<Option<wire::CaseFile>, StoreError> {
    Ok(store
        .get(Space::CaseFiles, &file_key(id))?
        .and_then(|bytes| wire::CaseFile::decode(bytes.as_slice()).ok()))
}

/// Every stored case file in id order (for aggregated figures); `None` for one that
/// does not decode, so that the reader can say how many it could not count.
pub fn all(store: &dyn Store) -> Result<Vec<Option<wire::CaseFile>>, StoreError> {
    Ok(store
        .scan(Space::CaseFiles, b"file/")?
        .into_iter()
        .map(|(_, bytes)| wire::CaseFile::decode(bytes.as_slice()).ok())
        .collect())
}

/// The ids of `person`'s case files of one case, newest first.
pub fn list(store: &dyn Store, case_id: &str, person: &str) -> Result<Vec<String>, StoreError> {
    let prefix = format!("{}{person}/", requester_prefix(case_id));
    let mut ids: Vec<String> = store
        .scan(Space::CaseFiles, prefix.as_bytes())?
        .into_iter()
        .filter_map(|(k, _)| String::from_utf8(k).ok())
        .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
        .collect();
    ids.sort();
    ids.reverse();
    Ok(ids)
}

/// Who requested a case file (their person id), from the requester index.
pub fn requester(store: &dyn Store, case_id: &str, id: &str) -> Result<Option<String>, StoreError> {
    let prefix = requester_prefix(case_id);
    Ok(store
        .scan(Space::CaseFiles, prefix.as_bytes())?
        .into_iter()
        .filter_map(|(k, _)| String::from_utf8(k).ok())
        .find_map(|k| {
            let rest = k.strip_prefix(&prefix)?;
            let (person, file) = rest.split_once('/')?;
            (file == id).then(|| person.to_owned())
        }))
}

/// The queued request an answer belongs to.
pub fn queued(store: &dyn Store, request_id: &str) -> Result<Option<QueuedRequest>, StoreError> {
    Ok(store
        .get(Space::CaseFiles, &request_key(request_id))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Adds to `batch` the write of `file`, a file of case `case`, with its requester
/// index entry for `requester` (a person id).
pub fn put_file(batch: &mut Batch, case: &str, file: &wire::CaseFile, requester: &str) {
    batch.put_sealed(
        Space::CaseFiles,
        file_key(&file.id),
        file.encode_to_vec(),
        Owner::case(case),
    );
    batch.put_sealed(
        Space::CaseFiles,
        requester_key(&file.case_id, requester, &file.id),
        Vec::new(),
        Owner::case(case),
    );
}

/// Adds to `batch` where the answer to queued question `request_id`, asked for a file
/// of case `case`, belongs.
pub fn put_queued(batch: &mut Batch, case: &str, request_id: &str, queued: &QueuedRequest) {
    // Serialising plain strings cannot fail.
    if let Ok(bytes) = serde_json::to_vec(queued) {
        batch.put_sealed(
            Space::CaseFiles,
            request_key(request_id),
            bytes,
            Owner::case(case),
        );
    }
}

/// Adds to `batch` the removal of queued request `request_id` (its answer has joined).
pub fn forget_queued(batch: &mut Batch, request_id: &str) {
    batch.delete(Space::CaseFiles, request_key(request_id));
}

/// The error of a case-file write whose blocking task did not finish (it panicked or
/// was cancelled): nothing is known to be stored.
pub fn write_interrupted(why: &dyn std::fmt::Display) -> StoreError {
    StoreError::Io {
        operation: "write",
        space: Space::CaseFiles,
        detail: format!("the write was interrupted: {why}"),
    }
}

/// Saves `file`, a file of case `case`, with its requester index, the queued requests
/// to remember and the ones whose answers joined it (forgotten together with their kept
/// answers), the privacy officers' notices, and the delivery of a completed file to its
/// recipient's agent ([`crate::deliveries::of_completed_file`]), in one durable batch:
/// a file is never stored complete without its delivery queued. A newly assembled file's
/// assembly marker goes in the same batch: stored, or still to be taken over.
#[expect(
    clippy::too_many_arguments,
    reason = "one batch of everything a file's save writes"
)]
pub fn save(
    store: &dyn Store,
    case: &str,
    file: &wire::CaseFile,
    requester: &str,
    remember: &[(String, QueuedRequest)],
    forget: &[String],
    notices: &[(String, Notice)],
    delivery: Option<&(Oin, Delivery)>,
    assembled: bool,
) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    if assembled {
        forget_assembly(&mut batch, &file.id);
    }
    if let Some((party, delivery)) = delivery {
        crate::deliveries::queue_in(&mut batch, store, party, delivery)?;
    }
    for request_id in forget {
        // A late answer is forgotten together with its queued request.
        late_record::forget(&mut batch, request_id);
    }
    put_file(&mut batch, case, file, requester);
    for (request_id, queued) in remember {
        put_queued(&mut batch, case, request_id, queued);
    }
    for request_id in forget {
        forget_queued(&mut batch, request_id);
    }
    super::notices::put(&mut batch, notices);
    store.apply(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_kinds_of_key_have_their_own_prefixes() {
        assert!(file_key("CF-2026-0001-0001").starts_with(b"file/"));
        assert!(requester_key("C-2026-0001", "p", "CF-2026-0001-0001").starts_with(b"owner/"));
        assert!(request_key("r1").starts_with(b"req/"));
        assert!(assembly_key("CF-2026-0001-0001").starts_with(b"assembling/"));
    }
}
