//! The Convenant Gegevensuitwisseling Treiteraanpak as a language, its encoding, and
//! the pure decision engine that every share of the hub passes through.
//!
//! Privacy officers read and edit the covenant as plain text
//! ([`TREITERAANPAK_COVENANT`]), one line per rule, each line carrying the article it
//! encodes:
//!
//! ```text
//! article 6 "Data categories", paragraphs 6.1 to 6.10
//! art. 6.3  category politie-incidenten has fields datum, incidentsoort, rol_betrokkene, locatie and samenvatting
//! art. 6.3  politie-incidenten comes from politie
//! art. 6.3  politie-incidenten goes to an informatiemakelaar for registratie and duiding
//! art. 6.3a samenvatting of politie-incidenten is shared only with a stadsdeelregisseur or stedelijk-regisseur
//! ```
//!
//! [`Covenant::parse`] parses and validates such a text (every problem with its line
//! and column) and compiles it once into an indexed form; [`decide()`] then decides a
//! [`DecisionRequest`] without I/O, citing every article the decision rests on.
//!
//! # Layout
//! - [`vocab`]: the fixed vocabulary (party kinds, roles, purposes, phases, categories, ...).
//! - [`article`]: article numbers (`6.3a`) in reading order.
//! - [`syntax`]: lexer, parser and syntax tree of the covenant language, with spans.
//! - [`diagnostics`]: problems with line:column, rendered by miette.
//! - [`validate`]: vocabulary, completeness and consistency checks; builds the indexed form.
//! - [`compile`]: the indexed form (bit sets, article ids).
//! - [`model`]: the validated [`Covenant`] and its [`Party`]s.
//! - [`party_name`]: finding the party a person named (name, part of it, or kind).
//! - [`request`]: the JSON request and decision (docs/DECISION-JSON.md), with JSON-path errors.
//! - [`decide`](mod@decide): the decision engine.
//! - [`diff`]: what a new version changes, for whom.
//! - [`explain`]: a decision in plain words.
//! - [`fmt`]: the canonical layout of a covenant file.
//! - [`covtest`]: covenant tests in plain text, and their runner.
//! - [`timing`]: the timing loop the bench binaries share.
//! - `bin/covenant.rs`: the privacy officer's CLI (check, test, decide, explain, diff, fmt).
//! - `bin/covenant-bench.rs`: decisions per second; `benches/decide.rs` (a criterion
//!   bench of `bench-cedar/`, outside the workspace) measures the engine against Cedar.
#![forbid(unsafe_code)]
// The crate's documentation is for its developers: public items may link to the
// private ones they rest on (`cargo doc --document-private-items` shows both).
#![allow(rustdoc::private_intra_doc_links)]
// Every input here comes from a file, a network peer or a person: a panic would take
// down the hub or, in an agent's gate, skip a decision. Tests may unwrap.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod article;
pub mod compile;
pub mod covtest;
pub mod decide;
pub mod diagnostics;
pub mod diff;
pub mod explain;
pub mod fmt;
pub mod model;
pub mod party_name;
pub mod request;
pub mod syntax;
pub mod timing;
pub mod validate;
pub mod vocab;

pub use article::ArticleNo;
pub use decide::{decide, decide_traced};
pub use diagnostics::{Diagnostics, Level, Problem};
pub use model::{Covenant, LoadError, Party};
pub use request::{
    Decision, DecisionRequest, InputError, Obligation, Oin, Outcome, Requests, Timestamp,
};
pub use vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole, UnknownWord};

/// The encoded Treiteraanpak covenant, version 1 (`policies/treiteraanpak.covenant`).
pub const TREITERAANPAK_COVENANT: &str = include_str!("../treiteraanpak.covenant");
