//! Inzage (article 11): the overview for one subject of what was shared about it.
//!
//! Scaffolding: each RPC answers UNIMPLEMENTED until its issue-10 work lands here.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::Officer;
use crate::state::Hub;

pub async fn request_inzage(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::InzageRequest,
) -> Result<wire::InzageReport, Status> {
    Err(Status::unimplemented("request_inzage is not available yet"))
}

pub async fn get_inzage(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::GetInzageRequest,
) -> Result<wire::InzageReport, Status> {
    Err(Status::unimplemented("get_inzage is not available yet"))
}

pub async fn list_inzages(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ListInzagesRequest,
) -> Result<wire::ListInzagesResponse, Status> {
    Err(Status::unimplemented("list_inzages is not available yet"))
}
