//! The one place the hub's errors become gRPC statuses: [`HubError`] and
//! [`CaseError`] to [`Status`], keeping the codes and messages callers know.

use tonic::Status;

use crate::cases::CaseError;
use crate::error::HubError;
use crate::store::StoreError;

impl From<HubError> for Status {
    fn from(error: HubError) -> Self {
        let message = error.to_string();
        match error {
            HubError::InvalidArgument(_) => Status::invalid_argument(message),
            HubError::PermissionDenied(_) => Status::permission_denied(message),
            HubError::Unauthenticated(_) => Status::unauthenticated(message),
            HubError::NotFound(_) => Status::not_found(message),
            HubError::AlreadyExists(_) => Status::already_exists(message),
            HubError::FailedPrecondition(_) => Status::failed_precondition(message),
            HubError::Aborted(_) => Status::aborted(message),
            HubError::DeadlineExceeded(_) => Status::deadline_exceeded(message),
            HubError::Cancelled(_) => Status::cancelled(message),
            HubError::Unavailable(_) => Status::unavailable(message),
            HubError::Internal(_) => Status::internal(message),
            // Today's code for every store failure of the officers' and the covenant
            // calls, damaged records included (cases map those to INTERNAL, below).
            HubError::Store(_) => Status::unavailable(message),
            HubError::Case(case) => case.into(),
        }
    }
}

impl From<CaseError> for Status {
    fn from(error: CaseError) -> Self {
        let message = error.to_string();
        match error {
            CaseError::PermissionDenied(_) => Status::permission_denied(message),
            CaseError::NotFound(_) => Status::not_found(message),
            CaseError::FailedPrecondition(_) => Status::failed_precondition(message),
            CaseError::AlreadyExists(_) => Status::already_exists(message),
            CaseError::Aborted(_) => Status::aborted(message),
            CaseError::InvalidArgument { .. } | CaseError::BadDate(_) => {
                Status::invalid_argument(message)
            }
            // A damaged record does not mend itself: retrying cannot help.
            CaseError::Store(StoreError::Damaged { .. }) => Status::internal(message),
            CaseError::Store(_) | CaseError::LogUnavailable { .. } => {
                Status::unavailable(format!("{message}; nothing was changed, retry"))
            }
            CaseError::Corrupt(_) => Status::internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_error_keeps_its_code_and_message() {
        let cases = [
            (
                HubError::InvalidArgument("text: empty".into()),
                tonic::Code::InvalidArgument,
            ),
            (
                HubError::PermissionDenied("no".into()),
                tonic::Code::PermissionDenied,
            ),
            (
                HubError::Unauthenticated("who".into()),
                tonic::Code::Unauthenticated,
            ),
            (HubError::NotFound("gone".into()), tonic::Code::NotFound),
            (
                HubError::AlreadyExists("twice".into()),
                tonic::Code::AlreadyExists,
            ),
            (
                HubError::FailedPrecondition("not now".into()),
                tonic::Code::FailedPrecondition,
            ),
            (HubError::Aborted("raced".into()), tonic::Code::Aborted),
            (
                HubError::DeadlineExceeded("late".into()),
                tonic::Code::DeadlineExceeded,
            ),
            (
                HubError::Cancelled("stopped".into()),
                tonic::Code::Cancelled,
            ),
            (
                HubError::Unavailable("down".into()),
                tonic::Code::Unavailable,
            ),
            (HubError::Internal("broken".into()), tonic::Code::Internal),
        ];
        for (error, code) in cases {
            let message = error.to_string();
            let status = Status::from(error);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
        }
    }

    #[test]
    fn a_store_failure_has_one_wording_and_asks_for_a_retry() {
        let status = Status::from(HubError::from(StoreError::Flush("disk full".into())));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "the hub's store failed: store flush failed; the last change may not be durable: disk full; retry"
        );
    }

    #[test]
    fn a_case_error_inside_a_hub_error_maps_as_a_case_error() {
        let damaged = || StoreError::Flush("io".into());
        let direct = Status::from(CaseError::Store(damaged()));
        let wrapped = Status::from(HubError::Case(CaseError::Store(damaged())));
        assert_eq!(direct.code(), tonic::Code::Unavailable);
        assert_eq!(wrapped.code(), direct.code());
        assert_eq!(wrapped.message(), direct.message());
    }
}
