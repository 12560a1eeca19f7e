//! `hubctl`: the Treiteraanpak hub from a terminal, for coordinators and partnercontacts,
//! with the person's own certificate.
//!
//! Every command maps to one RPC of the `Coordinator` service
//! (`proto/treiter/hub/v1/coordinator.proto`), or, for privacy officers, of the
//! `PrivacyOfficer` service (`privacy_officer.proto`). Identity, roles and stadsdeel come from
//! the certificate and the hub's person registry only; hubctl sends none of them.
//! Identifying data given to `subject add` is pseudonymised here with the covenant's
//! key (article 8.4) and never leaves the machine, nor appears in any output.
//!
//! # Layout
//! - [`cli`]: the command line (clap derive), one subcommand per RPC.
//! - [`profile`]: the profile file: hub URL, certificate, key, trust anchors, pseudonym
//!   key; unknown keys refused.
//! - [`hub`]: the mTLS connection, one retry with the same request id after a transport
//!   error, refusals explained (who you are, why the certificate was refused).
//! - [`covenant`]: `hubctl covenant ...` for privacy officers: covenant versions
//!   (article 13) on the `PrivacyOfficer` service.
//! - [`commands`]: builds each request, calls the hub (through [`queries`] and
//!   [`changes`]), prints the answer.
//! - [`queries`]: the hub's answers as data, for the commands and the console alike.
//! - [`changes`]: the changes to a case as data (each RPC's update), for the commands
//!   and the console alike; finding the subject or party a person named.
//! - [`console`]: `hubctl console`, the web console on 127.0.0.1 (its own module doc
//!   says where each page lives).
//! - [`report`]: what a person reads: cases, lists, bevragingen, the case file per
//!   partner.
//! - [`reasons`]: why something was withheld or not asked, in words, with the command
//!   that fixes it.
//! - [`json`]: `--json`: the wire messages as JSON.
//! - [`officer_cli`], [`officer`], [`officer_report`], [`logverify`]: the privacy
//!   officers' commands (`log`, `inzage`, `notifications`) and what they print; `log
//!   verify` checks proofs with `treiter_translog`.
//! - [`when`]: Amsterdam time for input and output.
//! - [`error`]: errors that say what to do, and the exit codes.
#![forbid(unsafe_code)]

pub mod changes;
pub mod cli;
pub mod commands;
pub mod console;
pub mod covenant;
pub mod error;
pub mod hub;
pub mod json;
pub mod logverify;
pub mod officer;
pub mod officer_cli;
pub mod officer_report;
pub mod profile;
pub mod queries;
pub mod reasons;
pub mod report;
pub mod when;
// `hubctl evidence` and `hubctl log logboek` (issue 23).
pub mod evidence;
pub mod logboek;

pub use cli::Cli;
pub use commands::run;
pub use error::{Error, Exit};
