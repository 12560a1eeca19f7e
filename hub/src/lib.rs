//! The hub of the Treiteraanpak data exchange.
//!
//! Partners' node agents dial out to the hub over mutually authenticated TLS 1.3 and
//! keep one long-lived stream open; coordinators and privacy officers call it with their
//! person certificates. Who a caller is comes only from its certificate (the OIN in the
//! subject `serialNumber`, plus a UID for persons) and the hub's own registries.
//!
//! # Layout
//! - [`config`]: the one TOML configuration file, validated, paths relative to it.
//! - [`check`]: `hub check-config`: every start-up check that changes nothing on disk.
//! - [`covenants`]: covenant versions (article 13): proposals, approvals, the switch.
//! - [`covenant_in_force`]: the covenant decisions are made with, swapped atomically
//!   when an approved version takes effect (article 13.2).
//! - [`identity`]: the OIN and person id in a client certificate.
//! - [`parties`]: the parties of the covenant in force, by OIN (article 2.3).
//! - [`persons`]: the hub's person registry: roles and stadsdelen.
//! - [`tls`]: the rustls server config (TLS 1.3, CRLs, the client certificate
//!   profile) and the trust anchors' checks.
//! - [`listener`]: accepting connections with bounds: handshakes per address, the
//!   handshake and HTTP/2 start under timeouts, connections per identity.
//! - [`refusals`]: refused peers, counted and recorded by reason.
//! - [`agents`]: the table of agent links and their outbound senders.
//! - [`questions`]: questions to agents: request ids, waiting for answers with a
//!   deadline, the durable outbox for offline agents, late answers.
//! - [`deliveries`]: completed case files' records for the recipient party's agent
//!   (its inbox), and retention notices once the case's term is known.
//! - [`fanout`]: asking many parties concurrently with one deadline; partial answers.
//! - [`clock`]: the hub's clock, which tests can move forward.
//! - [`casefile`]: cross-partner case files: bevraging, share requests, every record decided.
//! - [`cases`]: the case registry: phases, subjects, consent, participants, emergencies.
//! - [`error`]: the hub's domain error, [`error::HubError`]; [`service::error`] maps it to
//!   gRPC statuses, the only place that does.
//! - [`officer`]: the privacy officers' work: log access, inzage, notifications,
//!   covenant versions, evaluation figures.
//! - [`state`]: the shared [`Hub`](state::Hub) and call authentication.
//! - [`service`]: the gRPC handlers.
//! - [`server`]: serving the gRPC API until shutdown.
//! - [`store`]: the durable key-value store behind a trait (sled by default).
//! - [`tables`]: one module per stored record kind: its keyspace, key layout, codec
//!   and owner (the case whose key seals it, or transit); the only code that touches
//!   a keyspace.
//! - [`seal`]: encryption at rest: the master key, per-case keys in a separate key
//!   store, and the sealing store wrapper (articles 12.2, 9).
//! - [`retention`]: the retention sweeper: deleting cases whose time is up (article 9).
//! - [`witnesses`]: the agents as witnesses of the log's checkpoints (article 10.2);
//!   [`witness_alerts`]: the parties' open alerts after a witness refused a checkpoint.
//! - [`admin`]: the loopback HTTP endpoint (`/healthz`, `/status`, `/metrics`) and its
//!   client.
//! - [`metrics`]: what the hub counts for `/metrics`, and the store wrapper that counts
//!   store errors.
//! - [`log`]: the tamper-evident decision log: Merkle tree, proofs, signed checkpoints,
//!   durable segment files with group commit, verification.
#![forbid(unsafe_code)]

pub mod admin;
pub mod agents;
pub mod casefile;
pub mod cases;
pub mod check;
pub mod clock;
pub mod config;
pub mod covenant_in_force;
pub mod covenants;
pub mod deliveries;
pub mod error;
pub mod fanout;
pub mod identity;
pub mod listener;
pub mod log;
pub mod metrics;
pub mod officer;
pub mod parties;
pub mod persons;
pub mod questions;
pub mod refusals;
pub mod retention;
pub mod seal;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
pub mod tables;
pub mod tls;
pub mod witness_alerts;
pub mod witnesses;
