//! What can go wrong with a case file, in the hub's own terms.
//!
//! `service/` turns a [`CaseFileError`] into a gRPC status (one `From`, in
//! `service/casefile_status.rs`); nothing in `casefile/` knows the wire's error codes.
//! The messages are the ones coordinators have always seen, and, as article 12.3 wants,
//! name cases, files, articles and field names, never a person's data.

use crate::cases::CaseError;
use crate::identity::{CertProfileError, IdentityError};
use crate::store::StoreError;

/// A case file (or a bevraging) could not be made, read or completed.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    // --- The request does not fit: the coordinator can change it. ---
    /// The requested purpose is not a word of the covenant (redacted as the engine does).
    #[error("purpose: {0}")]
    BadPurpose(String),
    /// A requested category is not a word of the covenant.
    #[error("categories[{index}]: {why}")]
    BadCategory { index: usize, why: String },
    /// Purpose evaluatie never shares personal data (article 3.3).
    #[error(
        "purpose evaluatie: no personal data is shared for it, only aggregated figures (art. 3.3)"
    )]
    EvaluatieSharesNothing,
    /// The requested per-partner deadline is longer than the hub allows.
    #[error("deadline_ms is above the maximum of {max_ms} ms")]
    DeadlineTooLong { max_ms: u128 },
    /// A closed case takes no new shares (article 4.4).
    #[error("case {case} is in phase {phase}: no new shares take place (art. 4.4)")]
    CaseClosed { case: String, phase: String },
    /// The purpose does not fit the case's phase (article 4.2).
    #[error(
        "purpose {purpose} does not fit phase {phase} of case {case} (art. 4.2); in this phase: {fitting}"
    )]
    PurposeDoesNotFit {
        purpose: String,
        phase: String,
        case: String,
        fitting: String,
    },
    /// A subject of the case-file request is not in the case.
    #[error("a requested subject is not in case {0}")]
    RequestedSubjectNotInCase(String),
    /// The case-file request names a subject twice (its partners would be asked about
    /// it twice, and its records passed twice).
    #[error(
        "subjects[{index}] names a subject that subjects[{first}] names already; name each subject once"
    )]
    RequestedSubjectTwice { index: usize, first: usize },
    /// The request's `client_request_id` is not a token.
    #[error(
        "client_request_id: at most 128 printable ASCII characters without spaces (a random id per intended case file)"
    )]
    BadRequestId,
    /// The `client_request_id` started another case file, asked differently.
    #[error(
        "client_request_id {0} was used before for a different case-file request; use a new id for a new request"
    )]
    RequestIdReused(String),
    /// The bevraging's subject is not in the case.
    #[error("the subject is not in case {0}")]
    SubjectNotInCase(String),

    // --- The file asked for is not there for the caller. ---
    #[error("no case file {0}")]
    NoSuchFile(String),
    /// The file exists but belongs to someone else: told apart only in the message.
    #[error("no case file {0} of yours")]
    NotYours(String),
    /// A late answer's case was deleted meanwhile.
    #[error("case {0} is gone")]
    CaseGone(String),

    // --- The hub cannot do it now: retrying may help. ---
    /// The store failed.
    #[error("{0}")]
    Store(StoreError),
    /// The finished file could not be stored: nothing of it was passed on.
    #[error("{0}; the case file was not stored, retry")]
    NotStored(StoreError),
    /// The decision log refused a decision of the file: nothing passed (article 10.1).
    #[error(
        "the decision log could not durably record a decision ({0}); nothing was passed on, retry"
    )]
    Unlogged(String),
    /// The log refused the decisions on records asked for after a late hit; the answer
    /// is kept and joined again.
    #[error(
        "the decision log could not record the decisions on the partner's records ({0}); the answer is kept and retried"
    )]
    LateRecordsUnlogged(String),
    /// The log refused the decisions of a late share answer; it is kept and joined again.
    #[error(
        "the decision log could not record the late answer's decisions ({0}); it is kept and retried"
    )]
    LateAnswerUnlogged(String),
    /// An assembly stopped without storing its file (see `progress`).
    #[error(
        "case file {id} could not be completed and was not stored ({why}); nothing of it can be shown: request a new one"
    )]
    AssemblyFailed { id: String, why: String },
    /// The assembly outlived its deadline by so much that another hub replica took the
    /// file over and completes it (see `resume`); this one stored nothing.
    #[error(
        "case file {0} took longer than its deadline allows and another hub replica took it over; it is stored there when done: see `hubctl casefile list`"
    )]
    TakenOver(String),

    // --- The hub's own records do not add up: retrying cannot help. ---
    /// A stored case file lacks something every file has (its owner, role, purpose).
    #[error("{0}")]
    Damaged(&'static str),
    /// A party or person a stored file names is not (or no longer) known.
    #[error("{0}")]
    Identity(#[from] IdentityError),
    /// An OIN a stored file names is malformed.
    #[error("{0}")]
    Oin(#[from] CertProfileError),
    /// An OIN the engine would have to decide with is malformed: nothing is decided
    /// with a stand-in, the share is refused (fail closed).
    #[error("the {what} names a malformed OIN; no decision is made with it and nothing is shared")]
    MalformedOin { what: &'static str },

    /// The case registry refused or failed (its own codes and messages).
    #[error(transparent)]
    Case(#[from] CaseError),
}

impl CaseFileError {
    /// The hub's own trouble rather than the request's: the metrics count it as a
    /// failed case file, not a refused one (`service` maps these to `unavailable` or
    /// `internal`).
    pub fn is_hub_fault(&self) -> bool {
        self.is_transient()
            || matches!(
                self,
                CaseFileError::Damaged(_)
                    | CaseFileError::Identity(_)
                    | CaseFileError::Oin(_)
                    | CaseFileError::MalformedOin { .. }
                    | CaseFileError::Case(CaseError::Corrupt(_))
                    | CaseFileError::Case(CaseError::Store(StoreError::Damaged { .. }))
            )
    }

    /// Whether trying again later may succeed (the store or the decision log is
    /// unavailable for now): a late answer is then kept and joined again.
    pub fn is_transient(&self) -> bool {
        match self {
            CaseFileError::Store(_)
            | CaseFileError::NotStored(_)
            | CaseFileError::Unlogged(_)
            | CaseFileError::LateRecordsUnlogged(_)
            | CaseFileError::LateAnswerUnlogged(_)
            | CaseFileError::AssemblyFailed { .. }
            | CaseFileError::TakenOver(_) => true,
            CaseFileError::Case(CaseError::Store(StoreError::Damaged { .. })) => false,
            CaseFileError::Case(CaseError::Store(_) | CaseError::LogUnavailable { .. }) => true,
            _ => false,
        }
    }
}

impl From<StoreError> for CaseFileError {
    fn from(error: StoreError) -> Self {
        CaseFileError::Store(error)
    }
}
