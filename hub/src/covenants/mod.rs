//! Versions of the encoded covenant (article 13): the registry in the store, proposals,
//! approvals by the privacy officers of the parties, and the switch of the hub and its
//! agents to an approved version.
//!
//! A version is proposed (parsed and validated exactly as `covenant check` does; an
//! invalid text is not stored), approved per party for the exact SHA-256 of its text,
//! and takes effect once privacy officers of at least two different parties, one of
//! kind `gemeente`, approved it (article 13.1). It is then in force: the hub decides
//! with it at once ([`crate::covenant_in_force`]), accepts the parties it lists and
//! refuses those it no longer lists ([`switch`]), every linked agent is sent it, the
//! version it replaces and every lower proposal become superseded, and it stays in
//! force across restarts ([`startup`]). Every proposal, approval and activation is a
//! covenant-approval entry in the decision log, appended before the store changes.
//!
//! # Layout
//! - [`record`]: the versions and idempotency records in the store (space 10).
//! - [`rules`]: article 13.1 and 13.2 as pure functions, and what changes with a
//!   version besides the decisions (parties joining or leaving, the case policy).
//! - [`notify`]: the notifications of a proposal to the other parties' privacy officers.
//! - [`parties`]: the parties as the stored versions list them (in force, left, named).
//! - [`switch`]: putting an approved version in force with its parties and case policy.
//! - [`startup`]: which version the hub starts with.
//! - [`flow`]: propose, approve, list, get.
//! - [`preview`]: past decisions replayed under a proposal (and what cannot be).
//! - [`wire`]: versions and diagnostics in their wire form.
//! - [`agents`]: the CovenantUpdate message to agents.

pub mod agents;
pub mod flow;
pub mod notify;
pub mod parties;
pub mod preview;
pub mod record;
pub mod rules;
pub mod startup;
pub mod switch;
pub mod wire;

pub use startup::{StartError, in_force_at_start};
