//! Authenticating a gRPC call: the identity in the peer's certificate, resolved by
//! [`Hub::identify`] against the parties and persons in force, and an identity refusal as
//! a status.

use tonic::{Request, Status};

use crate::identity::IdentityError;
use crate::listener::Slot;
use crate::parties::Party;
use crate::persons::Person;
use crate::refusals::{Refusal, RefusalReason};
use crate::state::{Caller, Hub};
use crate::tls;

/// One streaming call of a person in progress; dropping it (the call's stream ended or
/// was dropped) gives the slot back.
pub type StreamingCall = Slot<(String, String)>;

impl Hub {
    /// A slot for one more streaming call of `person`, or RESOURCE_EXHAUSTED naming the
    /// limit when the person already has `limits.max_streaming_calls_per_person` in
    /// progress (recorded as `too-many-streaming-calls`).
    pub fn streaming_call(&self, person: &Person) -> Result<StreamingCall, Status> {
        let key = (person.party.to_string(), person.id.clone());
        self.streaming_calls.try_take(key).ok_or_else(|| {
            self.refusals.record(Refusal {
                oin: Some(person.party.to_string()),
                person: Some(person.id.clone()),
                ..Refusal::of(RefusalReason::TooManyStreamingCalls)
            });
            let limit = self.listener.limits.max_streaming_calls_per_person;
            Status::resource_exhausted(format!(
                "person {} already has {limit} streaming calls in progress (WatchCaseFile, QueryLog, PreviewCovenantChange), the most the hub allows at once (limits.max_streaming_calls_per_person); wait for one to end",
                person.id
            ))
        })
    }

    /// Resolves the caller of a request, recording and refusing an unacceptable one.
    pub fn authenticate<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        self.identify(tls::peer_identity(request))
            .map_err(|e| identity_status(&e))
    }

    /// Resolves the caller of an agent-link call: it must be a party's organisation
    /// certificate.
    pub fn authenticate_agent<T>(&self, request: &Request<T>) -> Result<Party, Status> {
        self.identify_agent(tls::peer_identity(request))
            .map_err(|e| identity_status(&e))
    }

    /// Resolves the caller of a call for persons (coordinators, privacy officers): it
    /// must be a person certificate.
    pub fn authenticate_person<T>(&self, request: &Request<T>) -> Result<(Person, Party), Status> {
        self.identify_person(tls::peer_identity(request))
            .map_err(|e| identity_status(&e))
    }
}

/// The gRPC status for an identity refusal: a party the covenant does not list is
/// PERMISSION_DENIED (authenticated, but not allowed); anything else about the
/// certificate is UNAUTHENTICATED. The message is the refusal's own text.
pub fn identity_status(error: &IdentityError) -> Status {
    match error {
        IdentityError::NotAParty { .. }
        | IdentityError::FormerParty { .. }
        | IdentityError::PersonCertificateOnAgentLink { .. }
        | IdentityError::OrganisationCertificateForPerson { .. } => {
            Status::permission_denied(error.to_string())
        }
        _ => Status::unauthenticated(error.to_string()),
    }
}
