//! Runs the hub: the mTLS gRPC listener and, optionally, the admin endpoint.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use treiter_proto::v1::agent_link_server::AgentLinkServer;
use treiter_proto::v1::coordinator_server::CoordinatorServer;
use treiter_proto::v1::hub_status_server::HubStatusServer;
use treiter_proto::v1::privacy_officer_server::PrivacyOfficerServer;

use crate::service::agent_link::AgentLinkService;
use crate::service::coordinator::CoordinatorService;
use crate::service::privacy_officer::PrivacyOfficerService;
use crate::service::status::StatusService;
use crate::state::Hub;

/// The largest request a coordinator may send; larger ones get RESOURCE_EXHAUSTED.
/// Case requests are small (ids, words, short notes); 256 KiB leaves ample room.
pub const MAX_COORDINATOR_MESSAGE: usize = 256 * 1024;

/// The largest request a privacy officer may send: a covenant text of at most 1 MiB
/// plus its description.
pub const MAX_PRIVACY_OFFICER_MESSAGE: usize = 1024 * 1024 + 64 * 1024;

/// Serves the gRPC API on `listener` until `shutdown` completes; then closes every agent
/// link and waits for in-flight calls to finish.
pub async fn serve(
    hub: Arc<Hub>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let incoming = crate::listener::incoming(
        listener,
        hub.tls_config.clone(),
        hub.listener.clone(),
        hub.refusals.clone(),
    );
    // Answers to questions queued for offline partners join their case files.
    tokio::spawn(crate::casefile::run_late_answers(hub.clone()));
    // Cases whose retention ran out are deleted (article 9).
    tokio::spawn(crate::retention::run(hub.clone()));
    // Agents holding delivered case data learn its retention term (article 9).
    tokio::spawn(crate::deliveries::run(hub.clone()));
    // Replicas on one PostgreSQL: questions to agents linked to other replicas.
    if let Some(relay) = &hub.relay {
        tokio::spawn(crate::relay::run(hub.clone(), relay.clone()));
    }
    let shutdown_hub = hub.clone();
    tonic::transport::Server::builder()
        .add_service(AgentLinkServer::new(AgentLinkService::new(hub.clone())))
        .add_service(HubStatusServer::new(StatusService::new(hub.clone())))
        .add_service(
            CoordinatorServer::new(CoordinatorService::new(hub.clone()))
                .max_decoding_message_size(MAX_COORDINATOR_MESSAGE),
        )
        .add_service(
            // Covenant proposals carry up to 1 MiB of text (privacy_officer.proto).
            PrivacyOfficerServer::new(PrivacyOfficerService::new(hub.clone()))
                .max_decoding_message_size(MAX_PRIVACY_OFFICER_MESSAGE),
        )
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            tracing::info!("shutting down: closing agent links");
            shutdown_hub.begin_shutdown();
        })
        .await
}
