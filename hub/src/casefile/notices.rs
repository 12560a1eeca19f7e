//! The privacy officers' notifications a case file causes (articles 7, 15.2), as kept
//! in [`Space::Notifications`]: written in the batch that stores the file.
//!
//! Key: the notified party's OIN, `/`, the moment in Unix nanoseconds (24 digits), `/`,
//! the case-file id, `/`, the notice's position in its batch (4 digits). Value: a
//! [`Notice`] (JSON). A notice names its case (`case_id`): it is that case's record.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::store::{Batch, Space, Store, StoreError};

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

/// Adds to `batch` the notices for the parties named (by OIN) with them.
pub fn put(batch: &mut Batch, notices: &[(String, Notice)]) {
    for (i, (party, notice)) in notices.iter().enumerate() {
        if let Ok(bytes) = serde_json::to_vec(notice) {
            // The index keeps two notices of one batch (same moment, same file) apart.
            let key = format!(
                "{party}/{:024}/{}/{i:04}",
                notice.at.unix_timestamp_nanos(),
                notice.file_id
            );
            batch.put_for_case(
                &notice.case_id,
                Space::Notifications,
                key.into_bytes(),
                bytes,
            );
        }
    }
}

/// The notifications for one party's privacy officer, oldest first.
pub fn for_party(store: &dyn Store, party: &str) -> Result<Vec<Notice>, StoreError> {
    Ok(store
        .scan(Space::Notifications, format!("{party}/").as_bytes())?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect())
}
