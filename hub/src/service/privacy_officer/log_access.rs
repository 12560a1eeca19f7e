//! What a party's privacy officer may see of the decision log (article 10.3), and the log's proofs.
//!
//! Scaffolding: each RPC answers UNIMPLEMENTED until its issue-10 work lands here.

use tonic::Status;
use treiter_proto::v1 as wire;

use super::BoxStream;
use super::Officer;
use crate::state::Hub;

pub async fn query_log(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::QueryLogRequest,
) -> Result<BoxStream<wire::LogEntry>, Status> {
    Err(Status::unimplemented("query_log is not available yet"))
}

pub async fn get_checkpoint(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::GetCheckpointRequest,
) -> Result<wire::LogCheckpoint, Status> {
    Err(Status::unimplemented("get_checkpoint is not available yet"))
}

pub async fn get_inclusion_proof(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::InclusionProofRequest,
) -> Result<wire::InclusionProof, Status> {
    Err(Status::unimplemented(
        "get_inclusion_proof is not available yet",
    ))
}

pub async fn get_consistency_proof(
    _hub: &Hub,
    _officer: &Officer,
    _request: wire::ConsistencyProofRequest,
) -> Result<wire::ConsistencyProof, Status> {
    Err(Status::unimplemented(
        "get_consistency_proof is not available yet",
    ))
}
