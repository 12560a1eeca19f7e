//! The privacy officers' work (articles 3.3, 7, 10, 11, 13, 15.2): what a privacy
//! officer may see of the decision log and its proofs, inzage reports, notifications
//! and emergency reviews, covenant versions and evaluation figures.
//!
//! This is domain code: it takes an authenticated [`Officer`] and the request, and
//! answers with the wire response or a [`HubError`](crate::error::HubError). The gRPC handlers in
//! [`crate::service::privacy_officer`] only authenticate, call in here and map errors.
//!
//! # Layout
//! - [`log_access`]: QueryLog, GetCheckpoint, GetInclusionProof, GetConsistencyProof
//!   (what a party may see of the log, article 10.3);
//! - [`inzage`]: RequestInzage, GetInzage, ListInzages (article 11);
//! - [`notices`]: ListNotifications, AcknowledgeNotification, RecordReview;
//! - [`covenant`]: ListCovenantVersions, GetCovenantVersion, ProposeCovenantVersion,
//!   ApproveCovenantVersion, PreviewCovenantChange (article 13), over
//!   [`crate::covenants`];
//! - [`figures`]: GetEvaluationFigures (article 3.3);
//! - `render`: log entries, parties and persons in wire form (parties by name);
//! - `idempotency`: `client_request_id` records for the officers' changes.

pub mod covenant;
pub mod figures;
mod idempotency;
pub mod inzage;
pub mod log_access;
pub mod notices;
mod render;

pub use crate::error::HubStream as BoxStream;
pub use crate::state::Officer;

/// Holds the officers' write lock, in this hub (`Hub::officer_writes`) and, with several
/// replicas on one database, across them ([`crate::store::Store::lock_shared`]): one
/// inzage id, one acknowledgement or review at a time. They are rare, and one at a
/// time keeps their idempotency checks race-free. (The lock is the hub's, not the
/// process's: replicas started in one test process take only the shared lock between
/// them, as separate processes do.)
async fn writing(
    hub: &crate::state::Hub,
) -> Result<
    (
        tokio::sync::MutexGuard<'_, ()>,
        Option<crate::store::SharedLock>,
    ),
    crate::error::HubError,
> {
    let process = hub.officer_writes.lock().await;
    let replicas = hub
        .store
        .lock_shared("officer writes")
        .map_err(crate::error::HubError::Store)?;
    Ok((process, replicas))
}
