//! The gRPC services: thin handlers that authenticate the caller, translate between the
//! wire and the hub's own types, and call into the hub.

pub mod agent_input;
pub mod agent_link;
pub mod casefile_status;
pub mod coordinator;
pub mod privacy_officer;
pub mod status;

use std::time::SystemTime;

/// A `google.protobuf.Timestamp` for a system time.
pub fn timestamp(at: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(at)
}
