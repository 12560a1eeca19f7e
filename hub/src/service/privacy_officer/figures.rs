//! Evaluation figures (article 3.3): counts only, small counts suppressed.
//!
//! Scaffolding: each RPC answers UNIMPLEMENTED until its issue-10 work lands here.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::Officer;
use crate::state::Hub;

pub async fn get_evaluation_figures(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::EvaluationFiguresRequest,
) -> Result<wire::EvaluationFigures, Status> {
    Err(Status::unimplemented(
        "get_evaluation_figures is not available yet",
    ))
}
