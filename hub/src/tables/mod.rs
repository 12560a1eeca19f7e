//! One module per durable record kind: the only code that touches its keyspace.
//!
//! Each table module fixes, in one place, its keyspace ([`Space`]), its key layout and
//! encoding, its value codec, and its owner: for a sealed record, the case whose key
//! seals it (and whose deletion shreds it, article 9) or the hub-wide transit key. A
//! sealed write names that owner ([`crate::store::Batch::put_sealed`]), so the sealing
//! layer never guesses. Model: [`crate::covenants::record`].
//!
//! Two tables live with their domain: [`crate::covenants::record`] (covenant versions)
//! and [`crate::questions::outbox`] (queued questions), and case files and the answers
//! kept for them with theirs ([`crate::casefile::record`],
//! [`crate::casefile::late_record`]).
//!
//! # Layout
//! - [`cases`]: case records, by case id; owner: the case.
//! - [`case_events`]: case events, by case id and sequence; owner: the case.
//! - [`meta`]: counters, the bound key store, witness alerts; not sealed.
//! - [`idempotency`]: first results of retried changes; owner: the changed case, or
//!   transit for a privacy officer's request.
//! - [`notifications`]: privacy officers' notices and their review state; owner: the
//!   notice's case, or transit for a covenant proposal.
//! - [`inzages`]: inzage overviews (article 11); owner: transit.
//! - [`deliveries`]: records queued for a recipient's agent; owner: the case.
//! - [`delivery_holders`]: who holds delivered data of a case; not sealed.
//! - [`witness_keys`]: the witness key pinned per party; not sealed.
//! - [`agent_links`]: which hub replica each party's agent is linked to; not sealed.
//! - [`relay`]: messages between hub replicas; owner: transit.

pub mod agent_links;
pub mod case_events;
pub mod cases;
pub mod deliveries;
pub mod delivery_holders;
pub mod idempotency;
pub mod inzages;
pub mod meta;
pub mod notifications;
pub mod relay;
pub mod witness_keys;

use crate::store::Space;

/// Who owns the records of a table, as its module states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The space is not sealed: the records hold no personal data.
    Plain,
    /// The space is sealed; every write names its owner by this rule.
    Sealed(&'static str),
}

/// What a table module declares about its keyspace.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub space: Space,
    pub ownership: Ownership,
}

/// Every table. A space that is in [`Space::ALL`] must be here exactly once, with the
/// sealing its space has: a test enforces it.
pub const ALL: [Table; 15] = [
    cases::TABLE,
    case_events::TABLE,
    meta::TABLE,
    idempotency::TABLE,
    crate::questions::outbox::TABLE,
    notifications::TABLE,
    crate::covenants::record::TABLE,
    inzages::TABLE,
    deliveries::TABLE,
    delivery_holders::TABLE,
    witness_keys::TABLE,
    crate::casefile::record::TABLE,
    crate::casefile::late_record::TABLE,
    agent_links::TABLE,
    relay::TABLE,
];

#[cfg(test)]
mod tests;
