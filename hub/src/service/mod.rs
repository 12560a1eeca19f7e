//! The gRPC services: thin handlers that authenticate the caller, translate between the
//! wire and the hub's own types, and call into the hub.

pub mod agent_input;
pub mod agent_link;
pub mod auth;
pub mod casefile_status;
pub mod coordinator;
pub mod error;
pub mod privacy_officer;
pub mod status;

/// A `google.protobuf.Timestamp` for a system time.
pub use crate::clock::system_timestamp as timestamp;
