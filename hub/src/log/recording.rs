//! Decision-log entries and the state change they record, written together
//! ([`Log::append_recording`]; issue 21).
//!
//! Nothing takes effect without its log entry (article 10). How close the two writes
//! are depends on where they live:
//! - **Log and state in one PostgreSQL data database** (`[store] backend =
//!   "postgres"`): the log's committer writes the entries and the store's rows in one
//!   transaction, under the head row's lock, after it has handed out the entries'
//!   indices (the change may name them, as a case event names its leaf index). Both
//!   commit or neither does: the log holds exactly what took effect. A change that
//!   cannot be formed or sealed fails only its own caller; the other entries of the
//!   committer's batch are written without it.
//! - **Log in files, state in sled**: the entries are made durable first, then the
//!   store's batch is applied. A crash (or a store failure) between the two leaves
//!   entries for a change that did not take effect, never a change without its entries.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::entry::{Entry, Salt};
use super::store::{Log, LogError, Place, Request};
use crate::store::{Batch, RecordRows, Store, StoreError};

/// Forms a change's rows once its entries' indices are known; runs on the log's
/// committer inside the transaction. An error (its text) fails only this change.
pub(crate) type RecordsOf = Box<dyn FnOnce(&[u64]) -> Result<RecordRows, String> + Send>;

/// Why entries and the change they record were not both stored.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError<E> {
    /// The log could not take the entries: nothing was changed.
    #[error(transparent)]
    Log(LogError),
    /// The change could not be formed (its caller's error): nothing was changed with
    /// PostgreSQL; with a log in files the entries were appended already.
    #[error("{0}")]
    Change(E),
    /// The store could not seal or write the change: with PostgreSQL nothing was
    /// stored; with a log in files the entries were appended already (the log holds
    /// more than took effect, never less).
    #[error(transparent)]
    Store(StoreError),
}

/// What a change's closure left for its caller.
enum Formed<T, E> {
    Done(T),
    Change(E),
    Store(StoreError),
}

impl Log {
    /// Appends `entries` and stores the change they record: `change` gets the entries'
    /// leaf indices and returns the store's batch and what the caller wants back.
    /// Returns the indices and that value once both are durable (module doc: one
    /// transaction on PostgreSQL; entries first, then the store, with files).
    pub async fn append_recording<T, E>(
        &self,
        entries: Vec<Entry>,
        store: Arc<dyn Store>,
        change: impl FnOnce(&[u64]) -> Result<(Batch, T), E> + Send + 'static,
    ) -> Result<(Vec<u64>, T), RecordingError<E>>
    where
        T: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let joint = match (&self.inner.shared.place, store.data_database()) {
            (Place::Postgres(log_database), Some(data)) => log_database.name() == data,
            _ => false,
        };
        if !joint {
            let indices = self
                .append_all(entries)
                .await
                .map_err(RecordingError::Log)?;
            let (batch, value) = change(&indices).map_err(RecordingError::Change)?;
            store.apply(batch).map_err(RecordingError::Store)?;
            return Ok((indices, value));
        }

        let mut bodies = Vec::with_capacity(entries.len());
        for entry in entries {
            let salt =
                Salt::random(&self.inner.shared.rng).map_err(|e| RecordingError::Log(e.into()))?;
            bodies.push(
                entry
                    .to_canonical(&salt)
                    .map_err(|e| RecordingError::Log(e.into()))?,
            );
        }
        let formed: Arc<Mutex<Option<Formed<T, E>>>> = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&formed);
        let records: RecordsOf = Box::new(move |indices| {
            let (result, outcome) = match change(indices) {
                Err(e) => (Err(e.to_string()), Formed::Change(e)),
                Ok((batch, value)) => match store.record_rows(batch) {
                    Ok(rows) => (Ok(rows), Formed::Done(value)),
                    Err(e) => (Err(e.to_string()), Formed::Store(e)),
                },
            };
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            result
        });
        let (reply, rx) = oneshot::channel();
        self.send(Request::AppendRecording {
            entries: bodies,
            records,
            reply,
        })
        .map_err(RecordingError::Log)?;
        let written = rx
            .await
            .map_err(|_| RecordingError::Log(LogError::Closed))?;
        let outcome = formed.lock().unwrap_or_else(|e| e.into_inner()).take();
        match (written, outcome) {
            (Ok(indices), Some(Formed::Done(value))) => Ok((indices, value)),
            (Err(LogError::Recording(_)), Some(Formed::Change(e))) => {
                Err(RecordingError::Change(e))
            }
            (Err(LogError::Recording(_)), Some(Formed::Store(e))) => Err(RecordingError::Store(e)),
            (Err(e), _) => Err(RecordingError::Log(e)),
            // Written without the change having been formed: the committer broke its
            // contract; report it rather than pretend the change was stored.
            (Ok(_), _) => Err(RecordingError::Log(LogError::Recording(
                "the log committed the entries without forming the change they record".into(),
            ))),
        }
    }
}
