//! The privacy officers' notifications a case file causes (articles 7, 15.2): written
//! in the batch that stores the file, kept in [`crate::tables::notifications`] (which
//! fixes their keys and seals each under its case, `case_id`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::store::{Batch, Store, StoreError};
use crate::tables::notifications;

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
        // The index keeps two notices of one batch (same moment, same file) apart.
        notifications::put_notice(batch, party, notice, i);
    }
}

/// The notifications for one party's privacy officer that decode, oldest first.
pub fn for_party(store: &dyn Store, party: &str) -> Result<Vec<Notice>, StoreError> {
    Ok(notifications::notices(store, party)?
        .into_iter()
        .filter_map(|(_, notice)| notice.ok())
        .collect())
}
