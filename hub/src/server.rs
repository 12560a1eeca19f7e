//! Runs the hub: the mTLS gRPC listener and, optionally, the admin endpoint.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use treiter_proto::v1::agent_link_server::AgentLinkServer;
use treiter_proto::v1::coordinator_server::CoordinatorServer;
use treiter_proto::v1::hub_status_server::HubStatusServer;
use treiter_proto::v1::privacy_officer_server::PrivacyOfficerServer;

use crate::listener::StillOpen;
use crate::service::agent_link::AgentLinkService;
use crate::service::coordinator::CoordinatorService;
use crate::service::privacy_officer::PrivacyOfficerService;
use crate::service::status::StatusService;
use crate::state::Hub;

/// The largest request a coordinator may send; larger ones get OUT_OF_RANGE from
/// tonic, naming the size found and this limit in bytes. Case requests are small (ids,
/// words, short notes); 256 KiB leaves ample room.
pub const MAX_COORDINATOR_MESSAGE: usize = 256 * 1024;

/// The largest request a privacy officer may send: a covenant text of at most 1 MiB
/// plus its description.
pub const MAX_PRIVACY_OFFICER_MESSAGE: usize = 1024 * 1024 + 64 * 1024;

/// The largest request to `HubStatus`: its requests are empty.
pub const MAX_STATUS_MESSAGE: usize = 64 * 1024;

/// The largest message an agent may send on its link, and the largest the hub sends
/// it (and the largest answer to any client): [`treiter_proto::limits::MAX_LINK_MESSAGE`].
pub const MAX_LINK_MESSAGE: usize = treiter_proto::limits::MAX_LINK_MESSAGE;

/// The largest header block (gRPC metadata included) of a request: hyper's own
/// default, made explicit because tonic replaces hyper's other defaults with its own.
pub const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

/// The most streams one connection may reset by sending what the hub must refuse
/// (hyper's default against the "rapid reset" kind of floods; tonic switches it off
/// unless it is set).
pub const MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;

/// How a stop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection closed within the grace.
    Gracefully,
    /// The grace (`limits.shutdown_grace_seconds`) ran out with these connections
    /// still open; the server stopped without them.
    GraceRanOut(StillOpen),
}

/// Serves the gRPC API on `listener` until `shutdown` completes; then closes every agent
/// link and waits for in-flight calls to finish, for at most `limits.shutdown_grace`.
pub async fn serve(
    hub: Arc<Hub>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, tonic::transport::Error> {
    let (incoming, open) = crate::listener::incoming(
        listener,
        hub.tls_config.clone(),
        hub.listener.clone(),
        hub.refusals.clone(),
    );
    // Answers to questions queued for offline partners join their case files.
    tokio::spawn(crate::casefile::run_late_answers(hub.clone()));
    tokio::spawn(crate::casefile::resume::run_resumptions(hub.clone()));
    // Cases whose retention ran out are deleted (article 9).
    tokio::spawn(crate::retention::run(hub.clone()));
    // Agents holding delivered case data learn its retention term (article 9).
    tokio::spawn(crate::deliveries::run(hub.clone()));
    // Replicas on one PostgreSQL: questions to agents linked to other replicas.
    // ... and a covenant version another replica's approval put in force.
    if let Some(relay) = &hub.relay {
        tokio::spawn(crate::relay::run(hub.clone(), relay.clone()));
        tokio::spawn(crate::covenants::switch::follow(hub.clone()));
    }
    let shutdown_hub = hub.clone();
    let limits = hub.listener.limits;
    // The grace counts from this server's own stop, not from a shutdown begun
    // elsewhere.
    let (stop_began, stopping) = tokio::sync::oneshot::channel::<()>();
    let server = tonic::transport::Server::builder()
        // tonic passes "unlimited" to hyper for what it is not told (hyper's own
        // default is 200 streams); every HTTP/2 bound is set here explicitly.
        .max_concurrent_streams(limits.max_concurrent_streams)
        .http2_max_header_list_size(MAX_HEADER_LIST_SIZE)
        .http2_max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESET_STREAMS))
        .http2_keepalive_interval(Some(limits.http2_keepalive_interval))
        .http2_keepalive_timeout(Some(limits.http2_keepalive_timeout))
        .add_service(
            AgentLinkServer::new(AgentLinkService::new(hub.clone()))
                .max_decoding_message_size(MAX_LINK_MESSAGE)
                .max_encoding_message_size(MAX_LINK_MESSAGE),
        )
        .add_service(
            HubStatusServer::new(StatusService::new(hub.clone()))
                .max_decoding_message_size(MAX_STATUS_MESSAGE)
                .max_encoding_message_size(MAX_LINK_MESSAGE),
        )
        .add_service(
            CoordinatorServer::new(CoordinatorService::new(hub.clone()))
                .max_decoding_message_size(MAX_COORDINATOR_MESSAGE)
                .max_encoding_message_size(MAX_LINK_MESSAGE),
        )
        .add_service(
            // Covenant proposals carry up to 1 MiB of text (privacy_officer.proto).
            PrivacyOfficerServer::new(PrivacyOfficerService::new(hub.clone()))
                .max_decoding_message_size(MAX_PRIVACY_OFFICER_MESSAGE)
                .max_encoding_message_size(MAX_LINK_MESSAGE),
        )
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            tracing::info!("shutting down: closing agent links");
            shutdown_hub.begin_shutdown();
            let _ = stop_began.send(());
        });
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => return served.map(|()| Stopped::Gracefully),
        _ = stopping => {}
    }
    match tokio::time::timeout(limits.shutdown_grace, &mut server).await {
        Ok(served) => served.map(|()| Stopped::Gracefully),
        Err(_) => {
            // Dropping the server stops waiting; the connections' own tasks end with
            // the process.
            let still_open = open.now();
            tracing::warn!(
                grace_seconds = limits.shutdown_grace.as_secs(),
                %still_open,
                "stopping without the calls still in progress: the shutdown grace ran out"
            );
            Ok(Stopped::GraceRanOut(still_open))
        }
    }
}
