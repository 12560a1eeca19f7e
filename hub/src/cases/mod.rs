//! Cases (article 1.2): registration, phases, subjects, consent, participants,
//! escalation and emergencies, each change authorised and durably recorded.
//!
//! Dates and deadlines (the consent date, the 2-working-day contact deadline, the
//! retention terms, the year in a case id) are Amsterdam's calendar,
//! [`treiter_proto::calendar`].
//!
//! # Layout
//! - [`model`]: the stored case and the state rules of its life cycle.
//! - [`access`]: who may see and change a case.
//! - [`registry`]: the registry: authorise, check, prepare a change, store it.
//! - [`logged`]: each change as a decision-log entry, logged before it is stored.

pub mod access;
pub mod logged;
pub mod model;
pub mod registry;

pub use registry::{
    CasePolicy, CaseRegistry, Change, LabelChange, ListFilter, PendingChange, Prepared,
};

use treiter_proto::calendar::DateError;

use crate::log::LogError;
use crate::store::StoreError;

/// Why a case operation was refused. Messages name the case, the article and what is
/// needed; they never carry labels, reasons or other free text.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Aborted(String),
    #[error("{field} {message}")]
    InvalidArgument {
        field: &'static str,
        message: String,
    },
    /// A date given that is not a date, or after today in Amsterdam.
    #[error(transparent)]
    BadDate(#[from] DateError),
    #[error("the case store failed: {0}")]
    Store(#[from] StoreError),
    /// The decision log could not make the change's entry durable (article 10.1), so
    /// the change was not stored: the log fails closed.
    #[error(
        "the decision log could not durably record the change ({change}) to case {case}: {source}"
    )]
    LogUnavailable {
        change: &'static str,
        case: String,
        #[source]
        source: LogError,
    },
    #[error("a stored record cannot be read: {0}")]
    Corrupt(String),
}
