//! `/healthz` and `/metrics` on a local-only address (`[health] listen`), for the
//! partner's monitoring: plain HTTP/1.1, nothing else served, no personal data.
//!
//! - `GET /healthz`: `200 ok: linked to the hub` while the link is open, otherwise
//!   `503` and the link's state in one line (the error, which names no values).
//!   A refused log checkpoint (article 10.2), whatever the reason, makes it `503
//!   degraded: witness alert: …` (sizes and reason word) until a checkpoint verifies
//!   again. An inbox that cannot store a delivery or retention notice (a full or
//!   read-only disk) makes it `503 degraded: the inbox cannot store deliveries …`
//!   (the path and the OS error) until one is stored again.
//! - `GET /metrics`: [`crate::metrics::Metrics`] in the Prometheus text format.
//!
//! Each connection carries one request (no keep-alive) and is closed when the request
//! has not arrived and been answered within `[health] request_timeout_seconds`; at
//! most [`MAX_HEALTH_CONNECTIONS`] are open at once, more are closed at once. A client
//! that sends half a request cannot hold a connection.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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

/// How many health connections may be open at once: a monitoring system needs one or
/// two.
pub const MAX_HEALTH_CONNECTIONS: usize = 16;

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` completes, with the
/// default request timeout ([`crate::config::DEFAULT_HEALTH_REQUEST_TIMEOUT_SECONDS`]).
pub async fn serve(listener: TcpListener, state: HealthState, shutdown: impl Future<Output = ()>) {
    let timeout = Duration::from_secs(crate::config::DEFAULT_HEALTH_REQUEST_TIMEOUT_SECONDS);
    serve_with_timeout(listener, state, timeout, shutdown).await;
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` completes; a
/// connection whose request has not arrived and been answered within `timeout` is
/// closed. Connections still open at shutdown end by their deadline.
pub async fn serve_with_timeout(
    listener: TcpListener,
    state: HealthState,
    timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_HEALTH_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
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
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = MAX_HEALTH_CONNECTIONS, "too many health connections open; closed this one");
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(respond(&state, &request)) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(timeout, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%error, "health connection ended"),
                Err(_) => tracing::warn!(
                    %peer,
                    ?timeout,
                    "a health request did not arrive and get its answer in time; connection closed"
                ),
            }
            drop(permit);
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

/// The `/healthz` answer with the inbox's store failure, if any, in front: deliveries
/// are not acknowledged meanwhile (the hub keeps them queued), whatever the link's
/// state (issue 22).
fn with_inbox_failure(
    code: StatusCode,
    line: String,
    failure: Option<String>,
) -> (StatusCode, String) {
    match failure {
        None => (code, line),
        Some(failure) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "degraded: the inbox cannot store deliveries, so none is acknowledged and the hub keeps them queued: {failure}; {line}"
            ),
        ),
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
            let inbox = state
                .metrics
                .inbox_failure
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let (code, line) = with_inbox_failure(code, line, inbox);
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
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

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

    /// A health server with `timeout`; it stops when the returned sender is dropped.
    async fn server(
        timeout: Duration,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        watch::Sender<LinkStatus>,
    ) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (link, status) = watch::channel(LinkStatus::Stopped);
        let state = HealthState {
            status,
            metrics: Arc::new(Metrics::new()),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve_with_timeout(listener, state, timeout, async {
            let _ = stopped.await;
        }));
        (addr, stop, link)
    }

    #[tokio::test]
    async fn a_connection_that_sends_half_a_request_is_closed() {
        let (addr, _stop, _link) = server(Duration::from_secs(1)).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        // Bounded: the server's deadline is 1 s; 20 s means it has none.
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest))
            .await
            .expect("the server closes the connection by its deadline");
        assert!(rest.is_empty(), "no answer to half a request: {rest:?}");
        drop(read);
    }

    #[tokio::test]
    async fn a_whole_request_is_answered() {
        let (addr, _stop, _link) = server(Duration::from_secs(5)).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
            .await
            .expect("answered and closed")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("stopped"), "{answer}");
    }

    // Resource bounds (issue 22): what one local client can hold.

    /// [`MAX_HEALTH_CONNECTIONS`] connections that send nothing hold every slot; one
    /// more is closed at once, unanswered, and once a slot is free a whole request is
    /// answered again.
    #[tokio::test]
    async fn more_health_connections_than_the_bound_are_closed_at_once() {
        // A deadline far beyond the test: only the bound closes the extra connection.
        let (addr, _stop, _link) = server(Duration::from_secs(600)).await;
        let mut silent = Vec::new();
        for _ in 0..MAX_HEALTH_CONNECTIONS {
            silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let mut extra = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = extra
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), extra.read_to_end(&mut answer))
            .await
            .expect("the connection over the bound is closed");
        assert!(answer.is_empty(), "no answer over the bound: {answer:?}");
        silent.pop();
        let mut served = false;
        for _ in 0..50 {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await;
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
                .await
                .expect("answered or closed");
            if answer.starts_with(b"HTTP/1.1 503") {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(served, "a freed slot serves a request again");
    }

    /// A request whose headers never end is refused by hyper's buffer bound (about
    /// 400 KiB), not buffered without end.
    #[tokio::test]
    async fn a_request_with_endless_headers_is_refused() {
        let (addr, _stop, _link) = server(Duration::from_secs(600)).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            .await;
        let line = format!("x-padding: {}\r\n", "x".repeat(1000));
        let mut sent = 0;
        // Up to 2 MiB; the server stops reading (and closes) long before.
        while sent < 2 * 1024 * 1024 {
            if stream.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            sent += line.len();
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
            .await
            .expect("the server ends the connection");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
            "{answer}"
        );
    }
}
