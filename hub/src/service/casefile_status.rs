//! Case-file errors as gRPC statuses: the one mapping, with the codes and messages
//! coordinators have always had.

use tonic::Status;

use crate::casefile::CaseFileError;

impl From<CaseFileError> for Status {
    fn from(error: CaseFileError) -> Self {
        let message = error.to_string();
        match error {
            CaseFileError::BadPurpose(_)
            | CaseFileError::BadCategory { .. }
            | CaseFileError::EvaluatieSharesNothing
            | CaseFileError::DeadlineTooLong { .. }
            | CaseFileError::BadRequestId
            | CaseFileError::RequestedSubjectTwice { .. } => Status::invalid_argument(message),
            CaseFileError::RequestIdReused(_) => Status::already_exists(message),
            CaseFileError::CaseClosed { .. } | CaseFileError::PurposeDoesNotFit { .. } => {
                Status::failed_precondition(message)
            }
            CaseFileError::RequestedSubjectNotInCase(_)
            | CaseFileError::SubjectNotInCase(_)
            | CaseFileError::NoSuchFile(_)
            | CaseFileError::NotYours(_)
            | CaseFileError::CaseGone(_) => Status::not_found(message),
            CaseFileError::Store(_)
            | CaseFileError::NotStored(_)
            | CaseFileError::Unlogged(_)
            | CaseFileError::LateRecordsUnlogged(_)
            | CaseFileError::LateAnswerUnlogged(_)
            | CaseFileError::AssemblyFailed { .. }
            | CaseFileError::TakenOver(_) => Status::unavailable(message),
            CaseFileError::Damaged(_)
            | CaseFileError::Identity(_)
            | CaseFileError::Oin(_)
            | CaseFileError::MalformedOin { .. } => Status::internal(message),
            CaseFileError::Case(case) => Status::from(case),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseError;
    use crate::store::StoreError;

    fn store_error() -> StoreError {
        StoreError::Flush("disk full".into())
    }

    /// Every variant, with what the hub's own classification says of it.
    fn all() -> Vec<CaseFileError> {
        vec![
            CaseFileError::BadPurpose("x".into()),
            CaseFileError::BadCategory {
                index: 1,
                why: "x".into(),
            },
            CaseFileError::EvaluatieSharesNothing,
            CaseFileError::DeadlineTooLong { max_ms: 60_000 },
            CaseFileError::CaseClosed {
                case: "C-2026-0001".into(),
                phase: "afgesloten".into(),
            },
            CaseFileError::PurposeDoesNotFit {
                purpose: "aanpak".into(),
                phase: "melding".into(),
                case: "C-2026-0001".into(),
                fitting: "registratie".into(),
            },
            CaseFileError::RequestedSubjectNotInCase("C-2026-0001".into()),
            CaseFileError::RequestedSubjectTwice { index: 1, first: 0 },
            CaseFileError::SubjectNotInCase("C-2026-0001".into()),
            CaseFileError::NoSuchFile("CF-2026-0001-0001".into()),
            CaseFileError::NotYours("CF-2026-0001-0001".into()),
            CaseFileError::CaseGone("C-2026-0001".into()),
            CaseFileError::Store(store_error()),
            CaseFileError::NotStored(store_error()),
            CaseFileError::Unlogged("x".into()),
            CaseFileError::LateRecordsUnlogged("x".into()),
            CaseFileError::LateAnswerUnlogged("x".into()),
            CaseFileError::AssemblyFailed {
                id: "CF-2026-0001-0001".into(),
                why: "x".into(),
            },
            CaseFileError::TakenOver("CF-2026-0001-0001".into()),
            CaseFileError::BadRequestId,
            CaseFileError::RequestIdReused("r-1".into()),
            CaseFileError::Damaged("a case file without owner"),
            CaseFileError::MalformedOin {
                what: "source party",
            },
            CaseFileError::Case(CaseError::Store(store_error())),
            CaseFileError::Case(CaseError::NotFound("case C-2026-0001".into())),
            CaseFileError::Case(CaseError::Corrupt("x".into())),
        ]
    }

    #[test]
    fn the_hub_s_own_classification_agrees_with_the_codes() {
        for error in all() {
            let (transient, fault) = (error.is_transient(), error.is_hub_fault());
            let shown = error.to_string();
            let status = Status::from(error);
            let code = status.code();
            assert_eq!(
                transient,
                code == tonic::Code::Unavailable,
                "{shown}: {code:?}"
            );
            assert_eq!(
                fault,
                matches!(code, tonic::Code::Unavailable | tonic::Code::Internal),
                "{shown}: {code:?}"
            );
        }
    }

    #[test]
    fn messages_are_today_s() {
        let status = Status::from(CaseFileError::NotStored(store_error()));
        assert_eq!(
            status.message(),
            "store flush failed; the last change may not be durable: disk full; the case file was not stored, retry"
        );
        let status = Status::from(CaseFileError::AssemblyFailed {
            id: "CF-2026-0001-0001".into(),
            why: "the decision log refused an entry".into(),
        });
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "case file CF-2026-0001-0001 could not be completed and was not stored (the decision log refused an entry); nothing of it can be shown: request a new one"
        );
        let status = Status::from(CaseFileError::DeadlineTooLong { max_ms: 60_000 });
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "deadline_ms is above the maximum of 60000 ms"
        );
    }
}
