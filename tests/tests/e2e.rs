//! End-to-end tests: real hubs and real agents, talking mTLS over 127.0.0.1, with a
//! development PKI generated per test by `certs-dev`.
//!
//! # Layout
//! - `support`: PKI, hub and agent set-up, and waiting helpers.
//! - `link`: Hello first, heartbeats or close, one link per party, TLS 1.3 only.
//! - `refusal`: one test per refused identity, asserting both ends' reasons.
//! - `status`: accepted agents are listed by OIN (gRPC, admin endpoint).
//! - `restart`: agents come back by themselves after the hub is killed and restarted.

mod link;
mod refusal;
mod restart;
mod status;
mod support;
