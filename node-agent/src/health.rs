//! `/healthz` and `/metrics` on a local-only address (`[health] listen`), for the
//! partner's monitoring: plain HTTP/1.1, nothing else served, no personal data.
//!
//! - `GET /healthz`: `200 ok: linked to the hub` while the link is open, otherwise
//!   `503` and the link's state in one line (the error, which names no values).
//!   A refused log checkpoint (article 10.2), whatever the reason, makes it `503
//!   degraded: witness alert: …` (sizes and reason word) until a checkpoint verifies
//!   again.
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

/// The `/healthz` answer for the link's state and the witness alert, if any.
fn healthz(status: &LinkStatus, alert: Option<String>) -> (StatusCode, String) {
    // A refused checkpoint outweighs a healthy link: the hub's log is suspect. It is
    // named whatever the link's state, so a cut link cannot hide it.
    match (status, alert) {
        (LinkStatus::Connected { .. }, Some(alert)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("degraded: witness alert: {alert}"),
        ),
        (LinkStatus::Connected { link_id, .. }, None) => {
            (StatusCode::OK, format!("ok: linked to the hub ({link_id})"))
        }
        (other, Some(alert)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}; witness alert: {alert}", link_state(other)),
        ),
        (other, None) => (StatusCode::SERVICE_UNAVAILABLE, link_state(other)),
    }
}

/// The link's state in words (the error names no values).
fn link_state(status: &LinkStatus) -> String {
    match status {
        LinkStatus::Connected { link_id, .. } => format!("linked to the hub ({link_id})"),
        LinkStatus::Connecting { attempt } => format!("connecting to the hub (attempt {attempt})"),
        LinkStatus::Waiting { error, .. } => format!("not linked: {error}"),
        LinkStatus::Stopped => "stopped".into(),
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
            let (code, line) = healthz(&status, alert);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_alert_shows_whatever_the_link_state() {
        let alert = || Some("refused the hub's log checkpoint of size 12".to_owned());
        let connected = LinkStatus::Connected {
            link_id: "link-1".into(),
            party_oin: "00000002000000000002".into(),
            party_name: "Politie".into(),
            since: std::time::SystemTime::now(),
        };
        assert_eq!(
            healthz(&connected, None),
            (StatusCode::OK, "ok: linked to the hub (link-1)".into())
        );
        let (code, line) = healthz(&connected, alert());
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            line.starts_with("degraded: witness alert: refused"),
            "{line}"
        );
        for other in [LinkStatus::Connecting { attempt: 2 }, LinkStatus::Stopped] {
            let (code, line) = healthz(&other, alert());
            assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
            assert!(line.contains("; witness alert: refused"), "{line}");
        }
    }
}
