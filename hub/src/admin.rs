//! The admin endpoint for the hub's operator: plain HTTP, meant for loopback only.
//!
//! - `GET /healthz`: `200 ok` while the hub serves, its decision log writes and every
//!   witness agrees with its log; `503` with a `degraded: the decision log cannot
//!   write …` line while the log's last write failed (nothing that needs a log entry
//!   passes meanwhile, article 10), and one `degraded: witness alert: …` line per party
//!   whose agent refused a checkpoint of the log (article 10.2,
//!   [`crate::witness_alerts`]): who refused which checkpoint and why.
//! - `GET /metrics`: the hub's metrics in the Prometheus text format
//!   ([`crate::metrics`]): no personal data, only counts by reason, outcome and article.
//! - `GET /status`: JSON with the hub and covenant version, every party's agent link
//!   state, refusal counts by reason, the open witness alerts and the witness refusals
//!   since start by reason. It holds no personal data: party names and OINs are
//!   organisation identifiers, and the agents' texts are escaped and bounded.
//!
//! Each connection carries one request (no keep-alive) and is closed when its request
//! has not arrived and been answered within `limits.admin_request_timeout_seconds`;
//! at most `limits.max_admin_connections` are open at once, and more are closed at
//! once. A client that opens a connection and sends half a request cannot hold it.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::state::{HUB_VERSION, Hub};

/// The `/status` document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusDocument {
    pub hub_version: String,
    pub covenant_version: u32,
    pub agents: Vec<AgentStatus>,
    /// Refusals since start, by reason word.
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// The open witness alerts (article 10.2), one per party, in OIN order. (Defaults
    /// keep `hub status` working against a hub from before them.)
    #[serde(default)]
    pub witness_alerts: Vec<WitnessAlertStatus>,
    /// Checkpoints refused by the agents since start, by reason word.
    #[serde(default)]
    pub witness_refusals: std::collections::BTreeMap<String, u64>,
    /// This process's replica id with `[store] backend = "postgres"` (the id its
    /// checkpoints are signed under, shown by `hub log verify`); `None` with sled.
    #[serde(default)]
    pub replica: Option<String>,
}

/// A party's open witness alert in `/status`: its agent refused a checkpoint of the
/// hub's log (see [`crate::witness_alerts::WitnessAlert`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WitnessAlertStatus {
    pub oin: String,
    /// The party's name; empty when it is no longer listed in the covenant.
    pub name: String,
    /// The tree size of the refused checkpoint (0: the agent could not read it).
    pub tree_size: u64,
    /// The size the hub's consistency proof started from.
    pub from_tree_size: u64,
    /// The size of the checkpoint the agent holds.
    pub held_tree_size: u64,
    /// The reason word.
    pub reason: String,
    /// The agent's explanation, escaped and at most 300 characters.
    pub detail: String,
    /// Seconds since the Unix epoch of the first and the latest refusal.
    pub first_refused_unix: u64,
    pub last_refused_unix: u64,
    /// Refusals since the alert opened.
    pub refusals: u64,
}

/// One party's agent in `/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AgentStatus {
    pub oin: String,
    pub name: String,
    pub kind: String,
    pub connected: bool,
    pub link_id: Option<String>,
    /// Seconds since the Unix epoch when the current link opened or the last closed.
    pub since_unix: Option<u64>,
    pub agent_version: String,
    pub covenant_version: u32,
    pub links_opened: u64,
    /// Seconds since the Unix epoch when the certificate of the current or last link
    /// expires.
    pub certificate_not_after_unix: Option<u64>,
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The status document for this hub now.
pub fn status_document(hub: &Hub) -> StatusDocument {
    StatusDocument {
        hub_version: HUB_VERSION.to_owned(),
        covenant_version: hub.covenant.version(),
        agents: hub
            .agents
            .snapshot(&hub.parties.current())
            .into_iter()
            .map(|a| AgentStatus {
                connected: a.connected(),
                oin: a.party.oin.to_string(),
                name: a.party.name,
                kind: a.party.kind.as_str().to_owned(),
                link_id: a.link_id,
                since_unix: a.since.map(unix),
                agent_version: a.agent_version,
                covenant_version: a.covenant_version,
                links_opened: a.links_opened,
                certificate_not_after_unix: a.certificate_not_after.map(unix),
            })
            .collect(),
        refusals: hub
            .refusals
            .counts()
            .into_iter()
            .map(|(reason, count)| (reason.as_str().to_owned(), count))
            .collect(),
        witness_alerts: hub
            .witnesses
            .alerts
            .open()
            .into_iter()
            .map(|a| WitnessAlertStatus {
                name: party_name(hub, &a.oin).unwrap_or_default(),
                oin: a.oin,
                tree_size: a.tree_size,
                from_tree_size: a.from_tree_size,
                held_tree_size: a.held_tree_size,
                reason: a.reason,
                detail: a.detail,
                first_refused_unix: a.first_refused_unix,
                last_refused_unix: a.last_refused_unix,
                refusals: a.refusals,
            })
            .collect(),
        witness_refusals: hub.witnesses.alerts.counts(),
        replica: hub.relay.as_ref().map(|relay| relay.replica().to_owned()),
    }
}

/// The name of the party with this OIN, if the covenant lists it.
fn party_name(hub: &Hub, oin: &str) -> Option<String> {
    let oin = crate::identity::Oin::parse(oin).ok()?;
    hub.parties.get(&oin).ok().map(|p| p.name.clone())
}

async fn status(State(hub): State<Arc<Hub>>) -> Json<StatusDocument> {
    Json(status_document(&hub))
}

/// `/healthz`: the hub serves; degraded while the decision log cannot write or a
/// witness alert is open.
pub fn health(hub: &Hub) -> (StatusCode, String) {
    let alerts = hub.witnesses.alerts.open();
    let log_failure = hub.log.write_failure();
    let store_failure = hub.store.write_failure();
    if alerts.is_empty() && log_failure.is_none() && store_failure.is_none() {
        return (StatusCode::OK, "ok\n".to_owned());
    }
    let mut text = String::new();
    if let Some(error) = log_failure {
        // The error names the log's file and the OS error, never an entry's content.
        text.push_str("degraded: the decision log cannot write, so nothing that needs a log entry passes (article 10): ");
        text.push_str(&error);
        text.push('\n');
    }
    if let Some(error) = store_failure {
        // Issue 22: a full or read-only disk under the state store or the key store.
        // The error names the keyspace, the store and the OS error, never a value.
        text.push_str("degraded: the state store cannot write, so no change is stored or acknowledged until it can (clears at the next stored change): ");
        text.push_str(&error);
        text.push('\n');
    }
    for alert in &alerts {
        text.push_str("degraded: witness alert: ");
        text.push_str(&alert.describe(party_name(hub, &alert.oin).as_deref()));
        text.push('\n');
    }
    (StatusCode::SERVICE_UNAVAILABLE, text)
}

async fn healthz(State(hub): State<Arc<Hub>>) -> (StatusCode, String) {
    health(&hub)
}

async fn metrics(
    State(hub): State<Arc<Hub>>,
) -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        hub.metrics.render(&hub),
    )
}

/// Serves the admin endpoint on `listener` until `shutdown` completes (module doc).
/// Connections still open then end by their deadline.
pub async fn serve(
    hub: Arc<Hub>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = hub.listener.limits;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .with_state(hub);
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_admin_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accepting an admin connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(
                %peer,
                limit = limits.max_admin_connections,
                "too many admin connections open; closed this one"
            );
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            match tokio::time::timeout(limits.admin_request_timeout, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%peer, %error, "admin connection ended"),
                Err(_) => tracing::warn!(
                    %peer,
                    timeout = ?limits.admin_request_timeout,
                    "an admin request did not arrive and get its answer in time; connection closed"
                ),
            }
            drop(permit);
        });
    }
}

/// `hub status` could not get the status from a running hub.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "cannot reach the hub's admin endpoint at {addr}: {source}; is the hub running with admin_listen = \"{addr}\"?"
    )]
    Connect {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the admin endpoint at {addr} answered unexpectedly: {detail}")]
    Response {
        addr: std::net::SocketAddr,
        detail: String,
    },
}

/// Fetches `/status` from a hub's admin endpoint. A tiny HTTP/1.0 exchange suffices on
/// loopback and keeps an HTTP client library out of the hub.
pub async fn fetch_status(addr: std::net::SocketAddr) -> Result<StatusDocument, FetchError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io = |source| FetchError::Connect { addr, source };
    let mut stream = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| io(std::io::ErrorKind::TimedOut.into()))?
    .map_err(io)?;
    stream
        .write_all(b"GET /status HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .map_err(io)?;
    let mut response = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut response),
    )
    .await
    .map_err(|_| io(std::io::ErrorKind::TimedOut.into()))?
    .map_err(io)?;
    let bad = |detail: String| FetchError::Response { addr, detail };
    let text = String::from_utf8(response).map_err(|_| bad("not UTF-8".into()))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no HTTP header".into()))?;
    let status_line = head.lines().next().unwrap_or_default();
    if !status_line.contains(" 200 ") {
        return Err(bad(status_line.to_owned()));
    }
    serde_json::from_str(body).map_err(|e| bad(format!("not a status document: {e}")))
}
