//! Covenant versions (article 13): list, get, propose, approve, preview. The work is in
//! [`crate::covenants::flow`]; this module is the RPC boundary.

use std::sync::Arc;

use treiter_proto::v1 as wire;

use super::BoxStream;
use super::Officer;
use crate::covenants::flow;
use crate::error::HubError;
use crate::state::Hub;

/// Every privacy officer and every auditor sees every version: the covenant is common
/// to all parties (privacy_officer.proto, "covenant-approval: always").
pub async fn list_covenant_versions(
    hub: &Hub,
    _reader: &crate::state::Reader,
    request: wire::ListCovenantVersionsRequest,
) -> Result<wire::ListCovenantVersionsResponse, HubError> {
    flow::list(hub, &request)
}

pub async fn get_covenant_version(
    hub: &Hub,
    _reader: &crate::state::Reader,
    request: wire::GetCovenantVersionRequest,
) -> Result<wire::CovenantVersion, HubError> {
    flow::get(hub, &request).await
}

pub async fn propose_covenant_version(
    hub: &Hub,
    officer: &Officer,
    request: wire::ProposeCovenantVersionRequest,
) -> Result<wire::ProposeCovenantVersionResponse, HubError> {
    flow::propose(hub, officer, request).await
}

pub async fn approve_covenant_version(
    hub: &Hub,
    officer: &Officer,
    request: wire::ApproveCovenantVersionRequest,
) -> Result<wire::CovenantVersion, HubError> {
    flow::approve(hub, officer, request).await
}

/// Replays logged share decisions under the proposal; see
/// [`crate::covenants::preview`] for what the log lets it replay and what not.
///
/// Reading the whole log, deciding every share twice and diffing the two versions is
/// blocking work of seconds on a large log: off the async threads, so that agents'
/// heartbeats and other calls go on meanwhile.
pub async fn preview_covenant_change(
    hub: &Arc<Hub>,
    officer: &Officer,
    request: wire::PreviewCovenantChangeRequest,
) -> Result<BoxStream<wire::PreviewEvent>, HubError> {
    let (hub, officer) = (Arc::clone(hub), officer.clone());
    tokio::task::spawn_blocking(move || crate::covenants::preview::preview(&hub, &officer, request))
        .await
        .map_err(|e| HubError::internal(format!("the preview stopped: {e}")))?
}
