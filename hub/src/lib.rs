//! The hub of the Treiteraanpak data exchange.
//!
//! Partners' node agents dial out to the hub over mutually authenticated TLS 1.3 and
//! keep one long-lived stream open; coordinators and privacy officers call it with their
//! person certificates. Who a caller is comes only from its certificate (the OIN in the
//! subject `serialNumber`, plus a UID for persons) and the hub's own registries.
//!
//! # Layout
//! Read from the edge inwards: a call comes in through the edge, is checked against the
//! hub's registries, is handled by the domain, and leaves its traces in the store and
//! the decision log. Only the edge knows gRPC (tonic); the domain answers with
//! [`error::HubError`] and its modules' own errors.
//!
//! **The edge**
//! - [`config`]: the one TOML configuration file, validated, paths relative to it.
//! - [`check`]: `hub check-config`: every start-up check that changes nothing on disk.
//! - [`tls`]: the rustls server config (TLS 1.3, CRLs, the client certificate
//!   profile) and the trust anchors' checks.
//! - [`listener`]: accepting connections with bounds: handshakes per address, the
//!   handshake and HTTP/2 start under timeouts, connections per identity.
//! - [`server`]: serving the gRPC API until shutdown.
//! - [`service`]: the gRPC handlers, thin: authenticate, call the domain, map its
//!   errors to statuses ([`service::error`], the only place that does).
//! - [`admin`]: the loopback HTTP endpoint (`/healthz`, `/status`, `/metrics`) and its
//!   client.
//! - [`metrics`]: what the hub counts for `/metrics`, and the store wrapper that counts
//!   store errors.
//!
//! **Who is calling**
//! - [`identity`]: the OIN and person id in a client certificate.
//! - [`parties`]: the parties of the covenant in force, by OIN (article 2.3).
//! - [`persons`]: the hub's person registry: names, roles and stadsdelen.
//! - [`refusals`]: refused peers, counted and recorded by reason.
//! - [`state`]: the shared [`Hub`](state::Hub), who a caller is, and the checked
//!   privacy officer.
//!
//! **The domain**
//! - [`error`]: the hub's domain error, [`error::HubError`].
//! - [`clock`]: the hub's clock (tests move it forward) and its wire timestamps.
//! - [`cases`]: the case registry: phases, subjects, consent, participants, emergencies.
//! - [`casefile`]: cross-partner case files: planning, asking, deciding every record,
//!   settling, late answers, and the stored files.
//! - [`fanout`]: asking many parties concurrently with one deadline; partial answers.
//! - [`questions`]: questions to agents: request ids, waiting for answers with a
//!   deadline, the durable outbox for offline agents.
//! - [`agents`]: the table of agent links and their outbound senders.
//! - [`deliveries`]: completed case files' records for the recipient party's agent
//!   (its inbox), and retention notices once the case's term is known.
//! - [`covenants`]: covenant versions (article 13): proposals, approvals, the switch
//!   (parties joining and leaving included).
//! - [`covenant_in_force`]: the covenant decisions are made with, swapped atomically
//!   when an approved version takes effect (article 13.2).
//! - [`officer`]: the privacy officers' work: log access, inzage, notifications,
//!   covenant versions, evaluation figures.
//! - [`retention`]: the retention sweeper: deleting cases whose time is up (article 9).
//! - [`witnesses`]: the agents as witnesses of the log's checkpoints (article 10.2);
//!   [`witness_alerts`]: the parties' open alerts after a witness refused a checkpoint.
//!
//! **What is kept**
//! - [`store`]: the durable key-value store behind a trait (sled by default); its
//!   keyspaces are named only here and in the tables.
//! - [`tables`]: one module per stored record kind: its keyspace, key layout, codec
//!   and owner (the case whose key seals it, or transit). Three live with their domain:
//!   [`covenants::record`], [`questions::outbox`], [`casefile::record`] (and
//!   [`casefile::late_record`]).
//! - [`seal`]: encryption at rest: the master key, per-case keys in a separate key
//!   store, and the sealing store wrapper (articles 12.2, 9).
//! - [`log`]: the tamper-evident decision log: Merkle tree, proofs, signed checkpoints,
//!   durable segment files with group commit, the head file, verification.
//! - [`hsm`]: the log key and the master key in a hardware token (PKCS#11): signing and
//!   wrapping case keys inside the token.
#![forbid(unsafe_code)]
// The crate's documentation is for its developers: public items may link to the
// private ones they rest on (`cargo doc --document-private-items` shows both).
#![allow(rustdoc::private_intra_doc_links)]

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
pub mod hsm;
pub mod identity;
pub mod listener;
pub mod log;
pub mod metrics;
pub mod officer;
pub mod parties;
pub mod persons;
pub mod questions;
pub mod refusals;
pub mod relay;
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
