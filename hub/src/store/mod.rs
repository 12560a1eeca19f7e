//! The hub's storage, behind a small trait so the backend can change (design card:
//! sled as the embedded default).
//!
//! The contract that matters is durability: when [`Store::apply`] returns `Ok`, every
//! write of the batch survives a crash or `kill -9`, and a batch is applied entirely or
//! not at all. Callers acknowledge nothing (to a coordinator, to an agent) before that.
//!
//! Keys live in named keyspaces (`Space`), so cases, events, queued questions and
//! idempotency records cannot collide. A keyspace is named only here, in the sealing
//! layer and in its record kind's table module ([`crate::tables`]), which fixes its
//! key layout, codec and owner; a sealed record's write names that owner
//! ([`Batch::put_sealed`], [`Owner`]).

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod durability;
pub mod postgres;
pub mod sled_store;
mod space;

use std::fmt;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sled_store::SledStore;
/// Only the store, the sealing layer and the table modules ([`crate::tables`]) name a
/// keyspace; outside the crate it cannot be named at all (the type is public only so
/// that the [`Store`] trait can mention it).
pub(crate) use space::Space;

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

/// One key (without its keyspace prefix) and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The rows a batch becomes in a PostgreSQL data database (`hub_records`: keyspace
/// name, key, value or `None` to delete), in the batch's order and sealed: what the
/// decision log writes in the transaction of the entries that record the change
/// ([`crate::log::Log::append_recording`]), so that both commit or neither does.
#[derive(Debug, Default)]
pub struct RecordRows {
    pub(crate) rows: Vec<(String, Vec<u8>, Option<Vec<u8>>)>,
}

impl RecordRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds `other`'s rows after these (a later batch in the same transaction).
    pub(crate) fn extend(&mut self, other: RecordRows) {
        self.rows.extend(other.rows);
    }
}

/// A durable, atomic key-value store.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// The value of `key` in `space`.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every entry of `space` whose key starts with `prefix`, in key order, keys
    /// without the space's prefix.
    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError>;

    /// Applies `batch` atomically and durably: on `Ok`, all of it survives a crash.
    fn apply(&self, batch: Batch) -> Result<(), StoreError>;

    /// Applies `batch` atomically, visible at once but durable only soon after: with
    /// the next write's durability barrier or a background one within
    /// [`sled_store::SOON`]; a crash before loses it. Only for changes whose loss
    /// repeats idempotent work: the removal of a delivery its agent acknowledged (lost,
    /// the delivery is sent again and the inbox stores it once). A store without a
    /// cheaper way applies it durably.
    fn apply_soon(&self, batch: Batch) -> Result<(), StoreError> {
        self.apply(batch)
    }

    /// The keys of `space` that start with `prefix`, in key order, without their
    /// values: for finding a record by part of its key without opening (for a sealed
    /// store: decrypting) every value beside it.
    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .scan(space, prefix)?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    /// Whether `key` is present in `space`, without reading (for a sealed store:
    /// decrypting) its value.
    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(space, key)?.is_some())
    }

    /// The owner the record `key` of `space` was sealed under, as its writer named it:
    /// for a writer that derives one record from another in one batch (a kept answer
    /// from the question it settles) without knowing whose it is. `None` when the
    /// record is absent or this store does not seal (then no owner is needed).
    fn owner(&self, space: Space, key: &[u8]) -> Result<Option<Owner>, StoreError> {
        let _ = (space, key);
        Ok(None)
    }

    /// Why the store cannot write, while its last batch failed and none was applied
    /// since (a full or read-only disk; issue 22): `/healthz` says so. `None` for a
    /// store that does not keep track (the counting wrapper the hub uses does,
    /// [`crate::metrics::CountingStore`]).
    fn write_failure(&self) -> Option<String> {
        None
    }

    /// Takes the lock `name` across every hub process that shares this store, held
    /// until the returned guard is dropped; waits for it (bounded). For several hub
    /// replicas on one database, around a read-modify-write that the process's own
    /// locks serialise only within one process (a counter, a case's record). `None`:
    /// this store has one process (sled), whose own locks suffice.
    fn lock_shared(&self, name: &str) -> Result<Option<SharedLock>, StoreError> {
        let _ = name;
        Ok(None)
    }

    /// Tells every hub process sharing this store that `topic` changed, after the
    /// caller's writes about it (PostgreSQL `NOTIFY`): a process listening for it
    /// ([`Store::listen`]) looks at once rather than at its next poll. Nothing with one
    /// process (sled).
    fn announce(&self, topic: &str) -> Result<(), StoreError> {
        let _ = topic;
        Ok(())
    }

    /// Wakes `wake` whenever a process announces `topic` ([`Store::announce`]), and
    /// whenever the listening connection is made again after a loss. `None`: this
    /// store has one process (sled) and nobody else announces anything; a caller that
    /// gets a listener still polls (less often) in case notifications are lost.
    fn listen(&self, topic: &str, wake: Arc<tokio::sync::Notify>) -> Option<postgres::Listener> {
        let _ = (topic, wake);
        None
    }

    /// The name of the PostgreSQL data database that holds this store's records, where
    /// the decision log can write a batch in the transaction of its own entries
    /// ([`Store::record_rows`]). `None` (sled): the log is written first, then the store.
    fn data_database(&self) -> Option<String> {
        None
    }

    /// The rows `batch` becomes in the data database, sealed as [`Store::apply`] would
    /// seal them, without writing them: for a store with a [`Store::data_database`].
    fn record_rows(&self, batch: Batch) -> Result<RecordRows, StoreError> {
        let _ = batch;
        Err(StoreError::Io {
            operation: "write",
            space: Space::Meta,
            detail: "this store cannot write in the decision log's transaction (not PostgreSQL)"
                .into(),
        })
    }
}

/// A lock held across hub processes ([`Store::lock_shared`]); released on drop.
pub struct SharedLock {
    /// What holds the lock (its `Drop` releases it); never read.
    _held: Box<dyn Send + Sync>,
}

impl SharedLock {
    pub fn new(held: impl Send + Sync + 'static) -> SharedLock {
        SharedLock {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for SharedLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedLock")
    }
}
