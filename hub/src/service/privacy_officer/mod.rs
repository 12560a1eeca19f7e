//! `PrivacyOfficer`: the decision log and its proofs (article 10), inzage (11.1),
//! notifications and emergency reviews (7, 15.2), covenant versions (13) and evaluation
//! figures (3.3), for privacy officers only.
//!
//! This module authenticates the caller and hands each call to the submodule for its
//! concern:
//! - [`log_access`]: QueryLog, GetCheckpoint, GetInclusionProof, GetConsistencyProof
//!   (what a party may see of the log, article 10.3);
//! - [`inzage`]: RequestInzage, GetInzage, ListInzages (article 11);
//! - [`notices`]: ListNotifications, AcknowledgeNotification, RecordReview;
//! - [`covenant`]: ListCovenantVersions, GetCovenantVersion, ProposeCovenantVersion,
//!   ApproveCovenantVersion, PreviewCovenantChange (article 13);
//! - [`figures`]: GetEvaluationFigures (article 3.3);
//! - `render`: log entries, parties and persons in wire form (parties by name);
//! - `idempotency`: `client_request_id` records for the officers' changes.

pub mod covenant;
pub mod figures;
mod idempotency;
pub mod inzage;
pub mod log_access;
pub mod notices;
mod render;

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use treiter_policies::vocab::Role;
use treiter_proto::v1 as wire;
use treiter_proto::v1::privacy_officer_server::PrivacyOfficer;

use crate::parties::Party;
use crate::persons::Person;
use crate::state::Hub;

/// Serialises the officers' read-modify-write changes (acknowledgements, reviews,
/// inzage ids): they are rare, and one at a time keeps idempotency checks race-free.
static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server stream of `T`, boxed.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The privacy officer calling: a person with role `privacy-officer` in the hub's
/// registry, acting for the party of their certificate.
#[derive(Clone, Debug)]
pub struct Officer {
    pub person: Person,
    pub party: Party,
}

pub struct PrivacyOfficerService {
    hub: Arc<Hub>,
}

impl PrivacyOfficerService {
    pub fn new(hub: Arc<Hub>) -> Self {
        PrivacyOfficerService { hub }
    }

    /// The caller, or a refusal: only a person whose registry role is
    /// `privacy-officer` may call this service (articles 5.2, 10.3).
    fn officer<T>(&self, request: &Request<T>) -> Result<Officer, Status> {
        let (person, party) = self.hub.authenticate_person(request)?;
        if person.roles.contains(&Role::PrivacyOfficer) {
            Ok(Officer { person, party })
        } else {
            Err(Status::permission_denied(format!(
                "person {} of {} is not a privacy-officer; the decision log, inzage \
                 and covenant versions are for privacy officers only (art. 5.2, 10.3)",
                person.id, party.name
            )))
        }
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
        let officer = self.officer(&request)?;
        log_access::query_log(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_checkpoint(
        &self,
        request: Request<wire::GetCheckpointRequest>,
    ) -> Result<Response<wire::LogCheckpoint>, Status> {
        let officer = self.officer(&request)?;
        log_access::get_checkpoint(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<wire::InclusionProofRequest>,
    ) -> Result<Response<wire::InclusionProof>, Status> {
        let officer = self.officer(&request)?;
        log_access::get_inclusion_proof(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_consistency_proof(
        &self,
        request: Request<wire::ConsistencyProofRequest>,
    ) -> Result<Response<wire::ConsistencyProof>, Status> {
        let officer = self.officer(&request)?;
        log_access::get_consistency_proof(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn request_inzage(
        &self,
        request: Request<wire::InzageRequest>,
    ) -> Result<Response<wire::InzageReport>, Status> {
        let officer = self.officer(&request)?;
        inzage::request_inzage(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_inzage(
        &self,
        request: Request<wire::GetInzageRequest>,
    ) -> Result<Response<wire::InzageReport>, Status> {
        let officer = self.officer(&request)?;
        inzage::get_inzage(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_inzages(
        &self,
        request: Request<wire::ListInzagesRequest>,
    ) -> Result<Response<wire::ListInzagesResponse>, Status> {
        let officer = self.officer(&request)?;
        inzage::list_inzages(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_notifications(
        &self,
        request: Request<wire::ListNotificationsRequest>,
    ) -> Result<Response<wire::ListNotificationsResponse>, Status> {
        let officer = self.officer(&request)?;
        notices::list_notifications(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn acknowledge_notification(
        &self,
        request: Request<wire::AcknowledgeNotificationRequest>,
    ) -> Result<Response<wire::NotificationsUpdate>, Status> {
        let officer = self.officer(&request)?;
        notices::acknowledge_notification(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_review(
        &self,
        request: Request<wire::RecordReviewRequest>,
    ) -> Result<Response<wire::NotificationsUpdate>, Status> {
        let officer = self.officer(&request)?;
        notices::record_review(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_covenant_versions(
        &self,
        request: Request<wire::ListCovenantVersionsRequest>,
    ) -> Result<Response<wire::ListCovenantVersionsResponse>, Status> {
        let officer = self.officer(&request)?;
        covenant::list_covenant_versions(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_covenant_version(
        &self,
        request: Request<wire::GetCovenantVersionRequest>,
    ) -> Result<Response<wire::CovenantVersion>, Status> {
        let officer = self.officer(&request)?;
        covenant::get_covenant_version(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn propose_covenant_version(
        &self,
        request: Request<wire::ProposeCovenantVersionRequest>,
    ) -> Result<Response<wire::ProposeCovenantVersionResponse>, Status> {
        let officer = self.officer(&request)?;
        covenant::propose_covenant_version(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn approve_covenant_version(
        &self,
        request: Request<wire::ApproveCovenantVersionRequest>,
    ) -> Result<Response<wire::CovenantVersion>, Status> {
        let officer = self.officer(&request)?;
        covenant::approve_covenant_version(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn preview_covenant_change(
        &self,
        request: Request<wire::PreviewCovenantChangeRequest>,
    ) -> Result<Response<Self::PreviewCovenantChangeStream>, Status> {
        let officer = self.officer(&request)?;
        covenant::preview_covenant_change(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_evaluation_figures(
        &self,
        request: Request<wire::EvaluationFiguresRequest>,
    ) -> Result<Response<wire::EvaluationFigures>, Status> {
        let officer = self.officer(&request)?;
        figures::get_evaluation_figures(&self.hub, &officer, request.into_inner())
            .await
            .map(Response::new)
    }
}
