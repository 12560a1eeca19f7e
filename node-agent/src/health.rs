//! `/healthz` and `/metrics` on a local-only address (`[health] listen`), for the
//! partner's monitoring: plain HTTP/1.1, nothing else served, no personal data.
//!
//! - `GET /healthz`: `200 ok: linked to the hub` while the link is open, otherwise
//!   `503` and the link's state in one line (the error, which names no values).
//!   A refused log checkpoint (article 10.2) makes it `503 degraded: witness alert: …`
//!   until a checkpoint verifies again.
//! - `GET /metrics`: [`crate::metrics::Metrics`] in the Prometheus text format.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::link::LinkStatus;
use crate::metrics::Metrics;

/// What the endpoints read.
#[derive(Clone)]
pub struct HealthState {
    /// The link's status.
    pub status: watch::Receiver<LinkStatus>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
}

/// Binds the health address; an error names it.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen for /healthz and /metrics on {addr} (health.listen): {e}"),
        )
    })
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, state: HealthState, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accepting a health connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(respond(&state, &request)) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "health connection ended");
            }
        });
    }
}

fn respond(state: &HealthState, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |code: StatusCode, content_type: &'static str, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = code;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        response
    };
    if request.method() != Method::GET {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET\n".into(),
        );
    }
    match request.uri().path() {
        "/healthz" => {
            let status = state.status.borrow().clone();
            let alert = state
                .metrics
                .witness_alert
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            // A refused checkpoint outweighs a healthy link: the hub's log is suspect.
            let (code, line) = match status {
                LinkStatus::Connected { .. } if alert.is_some() => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("degraded: witness alert: {}", alert.unwrap_or_default()),
                ),
                LinkStatus::Connected { link_id, .. } => {
                    (StatusCode::OK, format!("ok: linked to the hub ({link_id})"))
                }
                LinkStatus::Connecting { attempt } => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("connecting to the hub (attempt {attempt})"),
                ),
                LinkStatus::Waiting { error, .. } => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("not linked: {error}"),
                ),
                LinkStatus::Stopped => (StatusCode::SERVICE_UNAVAILABLE, "stopped".into()),
            };
            reply(code, "text/plain; charset=utf-8", format!("{line}\n"))
        }
        "/metrics" => reply(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            state.metrics.render(),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: /healthz or /metrics\n".into(),
        ),
    }
}
