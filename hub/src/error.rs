//! The hub's own error: why a domain operation was refused or failed, in words the
//! caller can act on.
//!
//! Domain code (covenants, cases, questions, the privacy officers' work in
//! [`crate::officer`]) returns [`HubError`]; it does not know gRPC. The one mapping to a
//! gRPC status is `impl From<HubError> for Status` in [`crate::service::error`],
//! the only place that chooses status codes.
//!
//! Messages name the case, the party, the article, the version or the field, never a
//! value given about a person (article 12.3): no labels, reasons, names or free text.
//! Each variant's doc says which situation it is for, so a new refusal finds its kind.

use std::pin::Pin;

use tokio_stream::Stream;

use crate::cases::CaseError;
use crate::store::StoreError;

/// Why a domain operation of the hub did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The request itself is wrong: a field missing, too long, malformed or not in the
    /// covenant's vocabulary. Sending it again unchanged fails again.
    #[error("{0}")]
    InvalidArgument(String),
    /// The caller may not do this (role, party, article).
    #[error("{0}")]
    PermissionDenied(String),
    /// The caller could not be identified from its certificate.
    #[error("{0}")]
    Unauthenticated(String),
    /// What the request names does not exist (a version, a notification, a report).
    #[error("{0}")]
    NotFound(String),
    /// The request repeats one already done, but differently (`client_request_id`
    /// reused), or creates what exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is valid but the state does not allow it now (e.g. a version already
    /// superseded).
    #[error("{0}")]
    FailedPrecondition(String),
    /// A concurrent change won; the caller may retry.
    #[error("{0}")]
    Aborted(String),
    /// The time for an answer ran out.
    #[error("{0}")]
    DeadlineExceeded(String),
    /// The work was stopped before it completed (the hub is shutting down).
    #[error("{0}")]
    Cancelled(String),
    /// Something the hub depends on (the decision log, an agent) cannot do its part
    /// now; nothing was changed and a retry may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// A stored record or an invariant of the hub is broken: a retry cannot help, the
    /// hub's operator must look.
    #[error("{0}")]
    Internal(String),
    /// The hub's store failed to read or write (the one wording for every store
    /// failure of a domain operation; nothing was changed).
    #[error("the hub's store failed: {0}; retry")]
    Store(#[from] StoreError),
    /// A case operation was refused or failed ([`crate::cases`]).
    #[error(transparent)]
    Case(#[from] CaseError),
}

impl HubError {
    /// [`HubError::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        HubError::InvalidArgument(message.into())
    }

    /// [`HubError::PermissionDenied`].
    pub fn permission_denied(message: impl Into<String>) -> Self {
        HubError::PermissionDenied(message.into())
    }

    /// [`HubError::Unauthenticated`].
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        HubError::Unauthenticated(message.into())
    }

    /// [`HubError::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        HubError::NotFound(message.into())
    }

    /// [`HubError::AlreadyExists`].
    pub fn already_exists(message: impl Into<String>) -> Self {
        HubError::AlreadyExists(message.into())
    }

    /// [`HubError::FailedPrecondition`].
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        HubError::FailedPrecondition(message.into())
    }

    /// [`HubError::Aborted`].
    pub fn aborted(message: impl Into<String>) -> Self {
        HubError::Aborted(message.into())
    }

    /// [`HubError::DeadlineExceeded`].
    pub fn deadline_exceeded(message: impl Into<String>) -> Self {
        HubError::DeadlineExceeded(message.into())
    }

    /// [`HubError::Cancelled`].
    pub fn cancelled(message: impl Into<String>) -> Self {
        HubError::Cancelled(message.into())
    }

    /// [`HubError::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        HubError::Unavailable(message.into())
    }

    /// [`HubError::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        HubError::Internal(message.into())
    }
}

/// A stream of `T` for a server-streaming call, boxed; an error ends it.
pub type HubStream<T> = Pin<Box<dyn Stream<Item = Result<T, HubError>> + Send + 'static>>;
