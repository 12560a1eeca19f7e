//! The node agent a partner runs next to its own systems.
//!
//! It dials out to the hub over mutually authenticated TLS 1.3 with the party's
//! organisation certificate, keeps one long-lived stream open, answers the hub's
//! questions from the partner's own data, pre-checks every record it would send with
//! the covenant engine, and reconnects by itself, with backoff and jitter, when the hub
//! or the network goes away.
//!
//! # Layout
//! - [`config`]: the one TOML configuration file, validated, paths relative to it.
//! - [`error`]: why an agent cannot start (TLS, covenant, source).
//! - [`connection_test`]: `node-agent test-connection`: does the hub accept this agent?
//! - [`witness`]: witnessing the hub's log checkpoints (article 10.2): verify, keep,
//!   cosign; refuse and alert on a forked or rewritten history.
//! - [`tls`]: the TLS client config, the connector, and the alert tap that tells why
//!   the hub refused the certificate.
//! - [`backoff`]: exponential backoff with full jitter.
//! - [`link`]: the link: Hello, heartbeats, acks, reconnects; hands questions to the
//!   answerer.
//! - [`answer`]: answering a question without the hub: bevraging, share requests,
//!   deadlines, and the same answer for a re-delivered request id.
//! - [`cache`]: the bounded cache of recent answers by request id.
//! - [`covenant_update`]: the covenant version in force as the hub sends it: checked,
//!   kept, and switched to (article 13.2).
//! - [`gate`]: the outbound pre-check: a share request and a record as a covenant
//!   decision request, decided by the same engine as the hub.
//! - [`sources`]: the `Source` trait and its implementations ([`sources::json_dir`]:
//!   a directory of JSON files per category, keyed by pseudonym; [`sources::sqlite`]:
//!   a read-only query per category with a local pseudonym index;
//!   [`sources::routed`]: each category to the source its configuration chose).
//! - [`receipts`]: the durable receipt log of shares sent and checkpoints seen
//!   (article 10.3).
//! - [`inbox`]: case data the hub delivered: sealed at rest, tagged with its purpose
//!   and obligations, deleted when its retention ends.
//! - [`rotation`]: noticing renewed certificate files and loading them.
//! - [`metrics`]: what the agent counts; [`health`]: `/healthz` and `/metrics` on a
//!   local address.
#![forbid(unsafe_code)]
// The crate's documentation is for its developers: public items may link to the
// private ones they rest on (`cargo doc --document-private-items` shows both).
#![allow(rustdoc::private_intra_doc_links)]
// Everything the agent reads comes from a partner's files or from the network: a panic
// would drop the link or skip a pre-check. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod answer;
pub mod backoff;
pub mod cache;
pub mod config;
pub mod connection_test;
pub mod covenant_update;
pub mod error;
pub mod gate;
pub mod health;
pub mod inbox;
pub mod link;
pub mod metrics;
pub mod polled_when_woken;
pub mod receipts;
pub mod rotation;
pub mod sources;
pub mod tls;
pub mod witness;
