//! The hub's storage, behind a small trait so the backend can change (design card:
//! sled as the embedded default).
//!
//! The contract that matters is durability: when [`Store::apply`] returns `Ok`, every
//! write of the batch survives a crash or `kill -9`, and a batch is applied entirely or
//! not at all. Callers acknowledge nothing (to a coordinator, to an agent) before that.
//!
//! Keys live in named keyspaces ([`Space`]), so cases, events, queued questions and
//! idempotency records cannot collide.

pub mod sled_store;

use std::fmt;

pub use sled_store::SledStore;

/// A keyspace of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// Case records, by case id.
    Cases,
    /// Case events (the case's own history), by case id, `/`, sequence: the key must
    /// begin with the case id and a `/` (the sealing layer takes the case from it).
    CaseEvents,
    /// Counters and other small hub-wide values.
    Meta,
    /// Idempotency records of change requests, by person + client request id.
    Idempotency,
    /// Questions queued for agents (store-and-forward), by party OIN + request id.
    Outbox,
    /// Case files, by case-file id, with their owner and queued-request indexes.
    CaseFiles,
    /// Notifications for privacy officers (articles 7, 15.2), by party OIN + sequence.
    Notifications,
    /// Answers to queued questions, kept from the moment the question leaves the outbox
    /// until their reader has stored what it made of them, by request id.
    LateAnswers,
    /// Versions of the encoded covenant (article 13) and the idempotency records of
    /// proposals and approvals; see [`crate::covenants::record`].
    CovenantVersions,
    /// Inzage requests and their overviews (article 11), by inzage id.
    Inzages,
    /// Case-file records queued for the recipient party's agent until it acknowledges
    /// them, by party OIN + case id + delivery id ([`crate::deliveries`]).
    Deliveries,
    /// Which parties hold delivered data of a case and the retention notice sent to
    /// them, by case id + party OIN; ids and a time only.
    DeliveryHolders,
    /// The witness key each party's agent presented (article 10.2), by party OIN.
    WitnessKeys,
}

impl Space {
    /// The one-byte prefix of the space's keys. Never renumber: stored data uses these.
    pub(crate) const fn prefix(self) -> u8 {
        match self {
            Space::Cases => 1,
            Space::CaseEvents => 2,
            Space::Meta => 3,
            Space::Idempotency => 4,
            Space::Outbox => 5,
            Space::CaseFiles => 6,
            Space::Notifications => 7,
            Space::LateAnswers => 8,
            Space::CovenantVersions => 10,
            Space::Inzages => 9,
            Space::Deliveries => 14,
            Space::DeliveryHolders => 15,
            Space::WitnessKeys => 12,
        }
    }

    fn key(self, key: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(key.len() + 1);
        full.push(self.prefix());
        full.extend_from_slice(key);
        full
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Space::Cases => "cases",
            Space::CaseEvents => "case-events",
            Space::Meta => "meta",
            Space::Idempotency => "idempotency",
            Space::Outbox => "outbox",
            Space::CaseFiles => "case-files",
            Space::Notifications => "notifications",
            Space::LateAnswers => "late-answers",
            Space::CovenantVersions => "covenant-versions",
            Space::Inzages => "inzages",
            Space::Deliveries => "deliveries",
            Space::DeliveryHolders => "delivery-holders",
            Space::WitnessKeys => "witness-keys",
        };
        f.write_str(name)
    }
}

impl Space {
    /// Whether the space's records may hold personal data and are therefore sealed
    /// under their case's key ([`crate::seal::SealedStore`]). A new space must decide
    /// here, and be added to [`Space::ALL`] (retention scans the sealed spaces in it).
    pub const fn is_sealed(self) -> bool {
        match self {
            Space::Cases
            | Space::CaseEvents
            | Space::Idempotency
            | Space::Outbox
            | Space::CaseFiles
            | Space::LateAnswers
            | Space::Inzages
            | Space::Notifications
            | Space::Deliveries => true,
            // Counters; covenant texts and approvals, which hold no personal data;
            // delivery holders: a case id, an OIN, a notice id and a time; witness keys:
            // public keys named after an organisation.
            Space::Meta | Space::CovenantVersions | Space::DeliveryHolders | Space::WitnessKeys => {
                false
            }
        }
    }

    /// Every space, for scans over the whole store.
    pub const ALL: [Space; 13] = [
        Space::Cases,
        Space::CaseEvents,
        Space::Meta,
        Space::Idempotency,
        Space::Outbox,
        Space::CaseFiles,
        Space::Notifications,
        Space::LateAnswers,
        Space::Inzages,
        Space::CovenantVersions,
        Space::Deliveries,
        Space::DeliveryHolders,
        Space::WitnessKeys,
    ];
}

/// Who a sealed record belongs to: the case whose key seals it (and whose deletion
/// shreds it, article 9), or the hub-wide transit key for records that outlive or
/// precede any one case. Every write of a sealed record names its owner
/// ([`Batch::put_sealed`]); the table module of the record kind decides which.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The case with this id.
    Case(String),
    /// No case: sealed under the hub-wide [`TRANSIT`] key, not shredded with a case.
    Transit,
}

/// The owner name of records that belong to no case (the transit key's name).
pub const TRANSIT: &str = "_transit";

impl Owner {
    /// The owner of a record of case `id`.
    pub fn case(id: impl Into<String>) -> Owner {
        Owner::Case(id.into())
    }

    /// The name the sealing layer keeps the owner's key under.
    pub fn as_str(&self) -> &str {
        match self {
            Owner::Case(id) => id,
            Owner::Transit => TRANSIT,
        }
    }
}

/// Writes to apply together.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    ops: Vec<Op>,
}

/// One write of a batch: keyspace, key, value (`None`: delete), and the owner of a
/// sealed record as its writer named it.
pub(crate) type Op = (Space, Vec<u8>, Option<Vec<u8>>, Option<Owner>);

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` in `space` to `value`, a record that names no owner: for the spaces
    /// that are not sealed. In a sealed space the sealing store refuses it, except in
    /// the two spaces whose owner it still works out itself (case files and late
    /// answers, see [`crate::seal::sealed_store`]).
    pub fn put(&mut self, space: Space, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((space, key.into(), Some(value.into()), None));
    }

    /// Sets `key` in `space` to `value`, a record of `owner`: the sealing layer seals it
    /// under the owner's key. Only table modules call this; they know the owner.
    pub(crate) fn put_sealed(
        &mut self,
        space: Space,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
        owner: Owner,
    ) {
        self.ops
            .push((space, key.into(), Some(value.into()), Some(owner)));
    }

    /// Removes `key` from `space`.
    pub fn delete(&mut self, space: Space, key: impl Into<Vec<u8>>) {
        self.ops.push((space, key.into(), None, None));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The writes, in order (for store wrappers such as the sealing one).
    pub(crate) fn into_ops(self) -> Vec<Op> {
        self.ops
    }
}

/// The store failed. The message names the operation and the keyspace, never a value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {detail}")]
    Open {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("store {operation} in {space} failed: {detail}")]
    Io {
        operation: &'static str,
        space: Space,
        detail: String,
    },
    #[error("store flush failed; the last change may not be durable: {0}")]
    Flush(String),
    /// A sealed record does not open: damaged, tampered with, copied from another
    /// record, or sealed under a key the key store does not hold (is `keys_dir` the one
    /// that belongs to this data directory?).
    #[error("a record in {space} cannot be opened: {detail}")]
    Unseal { space: Space, detail: String },
    /// The record belongs to a case whose key was deleted under the retention rules
    /// (article 9): it can never be read again.
    #[error(
        "a record in {space} belongs to case {case}, deleted under the retention rules (art. 9)"
    )]
    Shredded { space: Space, case: String },
    /// The key store failed (creating, reading or deleting a case key).
    #[error("{0}")]
    Keys(String),
    /// A record does not have the form its space requires.
    #[error("the record {key} in {space} is damaged: {detail}")]
    Damaged {
        space: Space,
        key: String,
        detail: &'static str,
    },
}

/// The counters of [`Space::Meta`] are [`crate::tables::meta`]'s; re-exported here for
/// `casefile`, which still calls it by this path.
pub use crate::tables::meta::next_counter;

/// One key (without its keyspace prefix) and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A durable, atomic key-value store.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// The value of `key` in `space`.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every entry of `space` whose key starts with `prefix`, in key order, keys
    /// without the space's prefix.
    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError>;

    /// Applies `batch` atomically and durably: on `Ok`, all of it survives a crash.
    fn apply(&self, batch: Batch) -> Result<(), StoreError>;
}
