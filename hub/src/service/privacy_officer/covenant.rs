//! Covenant versions (article 13): list, get, propose, approve, preview. The work is in
//! [`crate::covenants::flow`]; this module is the RPC boundary.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::BoxStream;
use super::Officer;
use crate::covenants::flow;
use crate::state::Hub;

/// Every privacy officer sees every version: the covenant is common to all parties
/// (privacy_officer.proto, "covenant-approval: always").
pub async fn list_covenant_versions(
    hub: &Hub,
    _officer: &Officer,
    request: wire::ListCovenantVersionsRequest,
) -> Result<wire::ListCovenantVersionsResponse, Status> {
    flow::list(hub, &request)
}

pub async fn get_covenant_version(
    hub: &Hub,
    _officer: &Officer,
    request: wire::GetCovenantVersionRequest,
) -> Result<wire::CovenantVersion, Status> {
    flow::get(hub, &request)
}

pub async fn propose_covenant_version(
    hub: &Hub,
    officer: &Officer,
    request: wire::ProposeCovenantVersionRequest,
) -> Result<wire::ProposeCovenantVersionResponse, Status> {
    flow::propose(hub, officer, request).await
}

pub async fn approve_covenant_version(
    hub: &Hub,
    officer: &Officer,
    request: wire::ApproveCovenantVersionRequest,
) -> Result<wire::CovenantVersion, Status> {
    flow::approve(hub, officer, request).await
}

/// Not available yet: replaying logged share decisions needs the inputs the engine took
/// them on, and the log's share-decision entry keeps the case id and subject but not the
/// case facts (phase, participants, consent, emergency, the recipient's stadsdeel)
/// that the decision rested on. `covenant diff` (GetCovenantVersion with
/// `include_diff`) shows the effect on every kind of share meanwhile.
pub async fn preview_covenant_change(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::PreviewCovenantChangeRequest,
) -> Result<BoxStream<wire::PreviewEvent>, Status> {
    Err(Status::unimplemented(
        "preview_covenant_change is not available yet: the logged share decisions do not hold every case fact the engine decided on; use `hubctl covenant diff VERSION`, which shows the effect on every kind of share",
    ))
}
