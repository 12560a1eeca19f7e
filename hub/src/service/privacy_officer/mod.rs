//! `PrivacyOfficer`: the decision log and its proofs (article 10), inzage (11.1),
//! notifications and emergency reviews (7, 15.2), covenant versions (13) and evaluation
//! figures (3.3), for privacy officers; and the reading part of it for auditors (5.5):
//! QueryLog (every party's entries), GetCheckpoint, GetInclusionProof,
//! GetConsistencyProof, ListCovenantVersions, GetCovenantVersion and
//! GetEvaluationFigures. Every other call changes something or is a party's own work
//! (inzage, notifications, proposing and previewing covenant versions) and takes a
//! privacy officer.
//!
//! Thin handlers: each authenticates the caller as a privacy officer (or a reader), calls the work in
//! [`crate::officer`] and maps its [`HubError`] to a status ([`crate::service::error`]).

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use treiter_proto::v1 as wire;
use treiter_proto::v1::privacy_officer_server::PrivacyOfficer;

use crate::error::HubError;
use crate::officer::{self, Officer, covenant, figures, inzage, log_access, notices};
use crate::service::auth::StreamingCall;
use crate::state::{Hub, Reader};

/// A server stream of `T`, boxed.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A domain stream as a server stream: each error becomes its status. It holds the
/// caller's streaming-call slot until it ends or the client drops it.
fn to_wire<T: Send + 'static>(stream: officer::BoxStream<T>, slot: StreamingCall) -> BoxStream<T> {
    Box::pin(stream.map(move |item| {
        let _held = &slot;
        item.map_err(Status::from)
    }))
}

/// A domain answer as a response.
fn respond<T>(result: Result<T, HubError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

pub struct PrivacyOfficerService {
    hub: Arc<Hub>,
}

impl PrivacyOfficerService {
    pub fn new(hub: Arc<Hub>) -> Self {
        PrivacyOfficerService { hub }
    }

    /// The caller, or a refusal: only a person whose registry role is
    /// `privacy-officer` may call this service ([`Officer::check`]).
    fn officer<T>(&self, request: &Request<T>) -> Result<Officer, Status> {
        let (person, party) = self.hub.authenticate_person(request)?;
        Ok(Officer::check(person, party)?)
    }

    /// The caller as a reader: a privacy officer or an auditor ([`Reader::check`]).
    fn reader<T>(&self, request: &Request<T>) -> Result<Reader, Status> {
        let (person, party) = self.hub.authenticate_person(request)?;
        Ok(Reader::check(person, party, &self.hub.covenant.current())?)
    }
}

#[tonic::async_trait]
impl PrivacyOfficer for PrivacyOfficerService {
    type QueryLogStream = BoxStream<wire::LogEntry>;
    type PreviewCovenantChangeStream = BoxStream<wire::PreviewEvent>;

    async fn query_log(
        &self,
        request: Request<wire::QueryLogRequest>,
    ) -> Result<Response<Self::QueryLogStream>, Status> {
        let reader = self.reader(&request)?;
        let slot = self.hub.streaming_call(reader.person())?;
        let stream = log_access::query_log(&self.hub, &reader, request.into_inner()).await?;
        Ok(Response::new(to_wire(stream, slot)))
    }

    async fn get_checkpoint(
        &self,
        request: Request<wire::GetCheckpointRequest>,
    ) -> Result<Response<wire::LogCheckpoint>, Status> {
        let reader = self.reader(&request)?;
        respond(log_access::get_checkpoint(&self.hub, &reader, request.into_inner()).await)
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<wire::InclusionProofRequest>,
    ) -> Result<Response<wire::InclusionProof>, Status> {
        let reader = self.reader(&request)?;
        respond(log_access::get_inclusion_proof(&self.hub, &reader, request.into_inner()).await)
    }

    async fn get_consistency_proof(
        &self,
        request: Request<wire::ConsistencyProofRequest>,
    ) -> Result<Response<wire::ConsistencyProof>, Status> {
        let reader = self.reader(&request)?;
        respond(log_access::get_consistency_proof(&self.hub, &reader, request.into_inner()).await)
    }

    async fn request_inzage(
        &self,
        request: Request<wire::InzageRequest>,
    ) -> Result<Response<wire::InzageReport>, Status> {
        let officer = self.officer(&request)?;
        respond(inzage::request_inzage(&self.hub, &officer, request.into_inner()).await)
    }

    async fn get_inzage(
        &self,
        request: Request<wire::GetInzageRequest>,
    ) -> Result<Response<wire::InzageReport>, Status> {
        let officer = self.officer(&request)?;
        respond(inzage::get_inzage(&self.hub, &officer, request.into_inner()).await)
    }

    async fn list_inzages(
        &self,
        request: Request<wire::ListInzagesRequest>,
    ) -> Result<Response<wire::ListInzagesResponse>, Status> {
        let officer = self.officer(&request)?;
        respond(inzage::list_inzages(&self.hub, &officer, request.into_inner()).await)
    }

    async fn list_notifications(
        &self,
        request: Request<wire::ListNotificationsRequest>,
    ) -> Result<Response<wire::ListNotificationsResponse>, Status> {
        let officer = self.officer(&request)?;
        respond(notices::list_notifications(&self.hub, &officer, request.into_inner()).await)
    }

    async fn acknowledge_notification(
        &self,
        request: Request<wire::AcknowledgeNotificationRequest>,
    ) -> Result<Response<wire::NotificationsUpdate>, Status> {
        let officer = self.officer(&request)?;
        respond(notices::acknowledge_notification(&self.hub, &officer, request.into_inner()).await)
    }

    async fn record_review(
        &self,
        request: Request<wire::RecordReviewRequest>,
    ) -> Result<Response<wire::NotificationsUpdate>, Status> {
        let officer = self.officer(&request)?;
        respond(notices::record_review(&self.hub, &officer, request.into_inner()).await)
    }

    async fn list_covenant_versions(
        &self,
        request: Request<wire::ListCovenantVersionsRequest>,
    ) -> Result<Response<wire::ListCovenantVersionsResponse>, Status> {
        let reader = self.reader(&request)?;
        respond(covenant::list_covenant_versions(&self.hub, &reader, request.into_inner()).await)
    }

    async fn get_covenant_version(
        &self,
        request: Request<wire::GetCovenantVersionRequest>,
    ) -> Result<Response<wire::CovenantVersion>, Status> {
        let reader = self.reader(&request)?;
        respond(covenant::get_covenant_version(&self.hub, &reader, request.into_inner()).await)
    }

    async fn propose_covenant_version(
        &self,
        request: Request<wire::ProposeCovenantVersionRequest>,
    ) -> Result<Response<wire::ProposeCovenantVersionResponse>, Status> {
        let officer = self.officer(&request)?;
        respond(covenant::propose_covenant_version(&self.hub, &officer, request.into_inner()).await)
    }

    async fn approve_covenant_version(
        &self,
        request: Request<wire::ApproveCovenantVersionRequest>,
    ) -> Result<Response<wire::CovenantVersion>, Status> {
        let officer = self.officer(&request)?;
        respond(covenant::approve_covenant_version(&self.hub, &officer, request.into_inner()).await)
    }

    async fn preview_covenant_change(
        &self,
        request: Request<wire::PreviewCovenantChangeRequest>,
    ) -> Result<Response<Self::PreviewCovenantChangeStream>, Status> {
        let officer = self.officer(&request)?;
        let slot = self.hub.streaming_call(&officer.person)?;
        let stream =
            covenant::preview_covenant_change(&self.hub, &officer, request.into_inner()).await?;
        Ok(Response::new(to_wire(stream, slot)))
    }

    async fn get_evaluation_figures(
        &self,
        request: Request<wire::EvaluationFiguresRequest>,
    ) -> Result<Response<wire::EvaluationFigures>, Status> {
        let reader = self.reader(&request)?;
        respond(figures::get_evaluation_figures(&self.hub, &reader, request.into_inner()).await)
    }
}
