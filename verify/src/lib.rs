//! Evidence bundles of the hub's decision log, and their offline verifier.
//!
//! A privacy officer exports one with `hubctl evidence`: one tar file holding log
//! entries of their party, their inclusion proofs, the signed checkpoints they are
//! proved against with the witnesses' cosignatures, the hub's and the witnesses' keys,
//! a manifest and a Dutch summary. `treiter-verify` (this crate's binary) checks it
//! without a network: see [`check`] for what is checked and in which order.
//!
//! This crate has no network code and depends only on `treiter-translog` (the log's
//! mathematics, shared with the hub and the agents) and pure crates.
//!
//! # Layout
//! - [`tar`]: the deterministic ustar archive, written and read strictly.
//! - [`bundle`]: the bundle's files, the manifest, and [`bundle::build`].
//! - [`leesmij`]: the Dutch summary, a function of the manifest.
//! - [`check`]: [`verify`] and its [`Verdict`] or [`Failure`].

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod bundle;
pub mod check;
pub mod leesmij;
pub mod tar;

pub use check::{ExternalKey, Failure, Options, Problem, Verdict, verify};

#[cfg(test)]
mod tests;
