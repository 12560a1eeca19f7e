//! Covenant versions (article 13): proposals, approvals, switching, previews.
//!
//! Scaffolding: each RPC answers UNIMPLEMENTED until its issue-10 work lands here.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::BoxStream;
use super::Officer;
use crate::state::Hub;

pub async fn list_covenant_versions(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ListCovenantVersionsRequest,
) -> Result<wire::ListCovenantVersionsResponse, Status> {
    Err(Status::unimplemented(
        "list_covenant_versions is not available yet",
    ))
}

pub async fn get_covenant_version(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::GetCovenantVersionRequest,
) -> Result<wire::CovenantVersion, Status> {
    Err(Status::unimplemented(
        "get_covenant_version is not available yet",
    ))
}

pub async fn propose_covenant_version(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ProposeCovenantVersionRequest,
) -> Result<wire::ProposeCovenantVersionResponse, Status> {
    Err(Status::unimplemented(
        "propose_covenant_version is not available yet",
    ))
}

pub async fn approve_covenant_version(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ApproveCovenantVersionRequest,
) -> Result<wire::CovenantVersion, Status> {
    Err(Status::unimplemented(
        "approve_covenant_version is not available yet",
    ))
}

pub async fn preview_covenant_change(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::PreviewCovenantChangeRequest,
) -> Result<BoxStream<wire::PreviewEvent>, Status> {
    Err(Status::unimplemented(
        "preview_covenant_change is not available yet",
    ))
}
