//! Notifications to privacy officers (articles 7.1, 7.2) and emergency reviews (15.2).
//!
//! Scaffolding: each RPC answers UNIMPLEMENTED until its issue-10 work lands here.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::Officer;
use crate::state::Hub;

pub async fn list_notifications(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ListNotificationsRequest,
) -> Result<wire::ListNotificationsResponse, Status> {
    Err(Status::unimplemented(
        "list_notifications is not available yet",
    ))
}

pub async fn acknowledge_notification(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::AcknowledgeNotificationRequest,
) -> Result<wire::NotificationsUpdate, Status> {
    Err(Status::unimplemented(
        "acknowledge_notification is not available yet",
    ))
}

pub async fn record_review(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::RecordReviewRequest,
) -> Result<wire::NotificationsUpdate, Status> {
    Err(Status::unimplemented("record_review is not available yet"))
}
