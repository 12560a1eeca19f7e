//! Case files in the store: the file itself (prost-encoded, as the coordinator sees
//! it), an index of the requester's files per case, an index from queued request ids
//! to the file they belong to, and the privacy officers' notifications.

use prost::Message;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::store::{Batch, Space, Store, StoreError};

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

/// A notification for a party's privacy officer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Notice {
    /// "7.1", "7.2" (a rejected share) or "15.2" (an emergency share to review).
    pub article: String,
    pub case_id: String,
    pub file_id: String,
    pub category: String,
    pub recipient_person: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The share-decision entry that caused it, once logged; absent for a share the
    /// source's own agent refused (the hub did not decide it) and for notices stored
    /// before the log existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_leaf_index: Option<u64>,
    /// While deciding: the position of the decided entry in its answer, so that the
    /// leaf index can be filled in once the entry is logged. Not stored.
    #[serde(skip)]
    pub entry_position: Option<usize>,
}

fn file_key(id: &str) -> Vec<u8> {
    format!("file/{id}").into_bytes()
}

fn owner_key(case_id: &str, person: &str, id: &str) -> Vec<u8> {
    format!("owner/{case_id}/{person}/{id}").into_bytes()
}

fn request_key(request_id: &str) -> Vec<u8> {
    format!("req/{request_id}").into_bytes()
}

/// Reads a stored case file.
pub fn load(store: &dyn Store, id: &str) -> Result<Option<wire::CaseFile>, StoreError> {
    Ok(store
        .get(Space::CaseFiles, &file_key(id))?
        .and_then(|bytes| wire::CaseFile::decode(bytes.as_slice()).ok()))
}

/// The ids of `person`'s case files of one case, newest first.
pub fn list(store: &dyn Store, case_id: &str, person: &str) -> Result<Vec<String>, StoreError> {
    let prefix = format!("owner/{case_id}/{person}/");
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

/// Who requested a case file, from its owner index.
pub fn owner(store: &dyn Store, case_id: &str, id: &str) -> Result<Option<String>, StoreError> {
    let prefix = format!("owner/{case_id}/");
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

/// Saves a file with its owner index, queued requests to remember and ones to forget,
/// and notifications, in one durable batch.
pub fn save(
    store: &dyn Store,
    file: &wire::CaseFile,
    owner: &str,
    remember: &[(String, QueuedRequest)],
    forget: &[String],
    notices: &[(String, Notice)],
) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    for request_id in forget {
        // A late answer is forgotten together with its queued request.
        crate::questions::outbox::forget_late_answer(&mut batch, request_id);
    }
    batch.put(Space::CaseFiles, file_key(&file.id), file.encode_to_vec());
    batch.put(
        Space::CaseFiles,
        owner_key(&file.case_id, owner, &file.id),
        Vec::new(),
    );
    for (request_id, queued) in remember {
        if let Ok(bytes) = serde_json::to_vec(queued) {
            batch.put(Space::CaseFiles, request_key(request_id), bytes);
        }
    }
    for request_id in forget {
        batch.delete(Space::CaseFiles, request_key(request_id));
    }
    for (i, (party, notice)) in notices.iter().enumerate() {
        if let Ok(bytes) = serde_json::to_vec(notice) {
            // The index keeps two notices of one batch (same moment, same file) apart.
            let key = format!(
                "{party}/{:024}/{}/{i:04}",
                notice.at.unix_timestamp_nanos(),
                notice.file_id
            );
            batch.put(Space::Notifications, key.into_bytes(), bytes);
        }
    }
    store.apply(batch)
}

/// The notifications for one party's privacy officer, oldest first.
pub fn notices(store: &dyn Store, party: &str) -> Result<Vec<Notice>, StoreError> {
    Ok(store
        .scan(Space::Notifications, format!("{party}/").as_bytes())?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect())
}

/// Forgets a kept late answer that belongs to no case file (any more).
pub fn forget_orphan(store: &dyn Store, request_id: &str) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    crate::questions::outbox::forget_late_answer(&mut batch, request_id);
    store.apply(batch)
}
