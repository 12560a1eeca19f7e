//! The client side of the wire: one mTLS connection to the hub for any generated gRPC
//! client — the node agent's link and a coordinator's or privacy officer's CLI alike.
//!
//! With TLS 1.3 the client's handshake completes before the hub has judged the client
//! certificate, so a refusal arrives as a fatal alert on the first read, which tonic
//! reports only as "transport error". [`AlertTap`] sits under hyper and remembers the
//! alert, so a client can say *why* it was refused.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::uri::{Authority, Scheme};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::AlertDescription;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::tls::{self as wire_tls, PemError};

/// Where the hub is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubEndpoint {
    /// The URL as configured, e.g. `https://hub.example.nl:7443`.
    pub url: String,
    /// Host name or IP literal, used for TCP and as the TLS server name.
    pub host: String,
    pub port: u16,
}

impl HubEndpoint {
    /// Parses `https://host:port` (IPv6 literals in brackets). Only https: the link is
    /// always mutually authenticated TLS (article 12.1). The error says what is wrong
    /// with the URL and gives an example.
    pub fn parse(url: &str) -> Result<HubEndpoint, String> {
        let bad = |why: &str| {
            format!("hub_url = \"{url}\" {why}; expected e.g. \"https://hub.example.nl:7443\"")
        };
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| bad("does not start with https://"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err(bad("has a path"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("has an unclosed '['"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = port.ok_or_else(|| bad("has no port"))?;
        let port: u16 = port.parse().map_err(|_| bad("has an invalid port"))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        Ok(HubEndpoint {
            url: url.to_owned(),
            host: host.to_owned(),
            port,
        })
    }
}

/// A client TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("trust anchor {path} cannot be used: {detail}")]
    TrustAnchor { path: PathBuf, detail: String },
    #[error("the certificate {cert} and key {key} cannot be used together: {detail}")]
    Identity {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("the TLS configuration is inconsistent: {0}")]
    Config(String),
}

/// A TLS 1.3-only rustls client configuration with this client certificate and key,
/// trusting these anchors for the hub's certificate.
pub fn client_config(
    cert: &Path,
    key: &Path,
    trust_anchors: &[PathBuf],
) -> Result<rustls::ClientConfig, ClientTlsError> {
    client_config_with(
        cert,
        key,
        &wire_tls::KeyPassphrase::none("key_passphrase"),
        trust_anchors,
    )
}

/// [`client_config`] for a key that may be encrypted (or a PKCS#12 bundle named as
/// both `cert` and `key`), unlocked with `passphrase`.
pub fn client_config_with(
    cert: &Path,
    key: &Path,
    passphrase: &wire_tls::KeyPassphrase,
    trust_anchors: &[PathBuf],
) -> Result<rustls::ClientConfig, ClientTlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for path in trust_anchors {
        let anchors = wire_tls::load_trust_anchors(path).map_err(|e| match e {
            wire_tls::AnchorError::Pem(e) => ClientTlsError::Pem(e),
            wire_tls::AnchorError::Problem { path, problem } => ClientTlsError::TrustAnchor {
                path,
                detail: problem.to_string(),
            },
        })?;
        for anchor in anchors {
            roots.add(anchor).map_err(|e| ClientTlsError::TrustAnchor {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        }
    }
    let (chain, private_key) = wire_tls::load_identity(cert, key, passphrase)?;
    let mut tls = rustls::ClientConfig::builder_with_provider(wire_tls::provider())
        .with_protocol_versions(wire_tls::PROTOCOL_VERSIONS)
        .map_err(|e| ClientTlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, private_key)
        .map_err(|e| ClientTlsError::Identity {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            detail: identity_problem(&e),
        })?;
    tls.alpn_protocols = vec![wire_tls::ALPN_H2.to_vec()];
    Ok(tls)
}

/// Why a certificate and key cannot be used together, in words: rustls's own text for
/// a mismatch is its variant's name ("keys may not be consistent: KeyMismatch").
pub fn identity_problem(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            "the private key does not belong to the certificate (their public keys differ); configure the key file that was issued together with this certificate".into()
        }
        rustls::Error::InconsistentKeys(_) => {
            "whether the private key belongs to the certificate cannot be checked; configure the key file that was issued together with this certificate".into()
        }
        rustls::Error::General(detail) => detail.clone(),
        other => other.to_string(),
    }
}

/// An error and its sources, joined: tonic's and hyper's useful detail is deep in the
/// chain.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

/// The TLS server name to verify the hub's certificate against.
pub fn server_name(host: &str) -> Result<ServerName<'static>, ChannelError> {
    ServerName::try_from(host.to_owned()).map_err(|_| ChannelError::ServerName {
        host: host.to_owned(),
    })
}

/// The last fatal alert the hub sent on a connection, shared with the link code.
pub type AlertSlot = Arc<Mutex<Option<AlertDescription>>>;

/// Connects TCP + TLS to the hub; the stream reports any received alert into `slot`.
pub async fn connect(
    connector: TlsConnector,
    host: String,
    port: u16,
    name: ServerName<'static>,
    slot: AlertSlot,
) -> io::Result<TokioIo<AlertTap<TlsStream<TcpStream>>>> {
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    tcp.set_nodelay(true)?;
    let tls = connector
        .connect(name, tcp)
        .await
        .inspect_err(|e| note_alert(&slot, e))?;
    Ok(TokioIo::new(AlertTap { inner: tls, slot }))
}

fn note_alert(slot: &AlertSlot, error: &io::Error) {
    let alert = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|e| match e {
            rustls::Error::AlertReceived(alert) => Some(*alert),
            _ => None,
        });
    if let Some(alert) = alert {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(alert);
    }
}

/// A transparent wrapper that notes TLS alerts seen while reading or writing.
#[derive(Debug)]
pub struct AlertTap<S> {
    inner: S,
    slot: AlertSlot,
}

impl<S: AsyncRead + Unpin> AsyncRead for AlertTap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Err(e)) = &result {
            note_alert(&this.slot, e);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AlertTap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Err(e)) = &result {
            note_alert(&this.slot, e);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A channel to the hub could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The hub's host is not a valid TLS server name.
    #[error("the hub address {host} is not a valid TLS server name")]
    ServerName { host: String },
    /// No TCP + TLS connection.
    #[error("{0}")]
    Connect(String),
    /// The TLS handshake failed on the hub's certificate: this client does not trust
    /// it. Most often the configured trust anchor is not the CA that issued the hub's
    /// certificate, or the hub's address is not a name in its certificate.
    #[error("{}", hub_certificate_text(problem, host))]
    HubCertificate {
        host: String,
        problem: rustls::CertificateError,
    },
}

fn hub_certificate_text(problem: &rustls::CertificateError, host: &str) -> String {
    use rustls::CertificateError as E;
    match problem {
        E::UnknownIssuer => "the hub's certificate is not issued by the CA of the configured trust anchor, so that trust anchor is wrong: configure the CA certificate that issued the hub's certificate (ask the hub's operator for it)".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => format!(
            "the hub's certificate is not issued for the name {host}: use the hub address its certificate names (ask the hub's operator)"
        ),
        other => format!(
            "the hub's certificate is not accepted: {}",
            crate::tls::certificate_problem(other)
        ),
    }
}

/// The hub's certificate problem in an I/O error from the TLS handshake, if that is
/// what failed.
fn hub_certificate_problem(error: &io::Error) -> Option<rustls::CertificateError> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(problem) => Some(problem.clone()),
        _ => None,
    }
}

/// One HTTP/2 connection to the hub, usable by every generated gRPC client.
///
/// Deliberately not a tonic `Channel`: a `Channel` reconnects by itself, at once and
/// without limit, when the hub drops the connection — after a certificate refusal that
/// meant a burst of doomed handshakes per attempt. Here one attempt is one connection,
/// and the caller's own backoff is the only retry policy.
#[derive(Clone, Debug)]
pub struct HubChannel {
    sender: SendRequest<tonic::body::Body>,
    authority: Authority,
}

impl tower::Service<http::Request<tonic::body::Body>> for HubChannel {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.sender.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        // tonic's generated clients send the path only; HTTP/2 needs scheme and
        // authority as well.
        let mut parts = request.uri().clone().into_parts();
        parts.scheme = Some(Scheme::HTTP);
        parts.authority = Some(self.authority.clone());
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
        Box::pin(self.sender.send_request(request))
    }
}

/// Opens one connection to the hub over our own TLS (TLS 1.3, the given client
/// identity), and the slot in which a refusal alert from the hub will appear. Used by
/// the agent link and by any client that calls the hub with a certificate.
pub async fn channel(
    hub: &HubEndpoint,
    tls: Arc<rustls::ClientConfig>,
    connect_timeout: std::time::Duration,
) -> Result<(HubChannel, AlertSlot), ChannelError> {
    let authority = if hub.host.contains(':') {
        format!("[{}]:{}", hub.host, hub.port)
    } else {
        format!("{}:{}", hub.host, hub.port)
    };
    let authority: Authority = authority
        .parse()
        .map_err(|e| ChannelError::Connect(format!("hub address {authority}: {e}")))?;
    let name = server_name(&hub.host)?;
    let slot = AlertSlot::default();
    let io = tokio::time::timeout(
        connect_timeout,
        connect(
            TlsConnector::from(tls),
            hub.host.clone(),
            hub.port,
            name,
            slot.clone(),
        ),
    )
    .await
    .map_err(|_| {
        ChannelError::Connect(format!(
            "no TCP and TLS connection within {} s",
            connect_timeout.as_secs()
        ))
    })?
    .map_err(|e| match hub_certificate_problem(&e) {
        Some(problem) => ChannelError::HubCertificate {
            host: hub.host.clone(),
            problem,
        },
        None => ChannelError::Connect(error_chain(&e)),
    })?;
    let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|e| ChannelError::Connect(error_chain(&e)))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection to the hub ended");
        }
    });
    Ok((HubChannel { sender, authority }, slot))
}

/// Opens a TCP + TLS connection to the hub and reads, writing nothing, until the hub
/// sends a fatal alert, closes the connection, or `wait` passes; returns the alert.
///
/// Why: in TLS 1.3 the hub judges the client certificate after the client's handshake
/// is complete, and answers a refusal with an alert. A client that writes at once (the
/// HTTP/2 preface) may have its unread bytes make the hub's TCP stack reset the
/// connection, which discards the alert before it is read. Writing nothing keeps it.
/// A hub that accepted the certificate sends nothing (it waits for the preface), so
/// this ends at `wait` or when the hub gives up on the connection.
pub async fn probe_alert(
    hub: &HubEndpoint,
    tls: Arc<rustls::ClientConfig>,
    wait: std::time::Duration,
) -> Option<AlertDescription> {
    use tokio::io::AsyncReadExt as _;
    let name = server_name(&hub.host).ok()?;
    let slot = AlertSlot::default();
    let attempt = async {
        let mut io = connect(
            TlsConnector::from(tls),
            hub.host.clone(),
            hub.port,
            name,
            slot.clone(),
        )
        .await
        .ok()?
        .into_inner();
        let mut buf = [0u8; 256];
        // Ends with the alert (an error), the close (0 bytes), or data (accepted).
        let _ = io.read(&mut buf).await;
        Some(())
    };
    let _ = tokio::time::timeout(wait, attempt).await;
    *slot.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_another_certificate_is_said_in_words() {
        let text = identity_problem(&rustls::Error::InconsistentKeys(
            rustls::InconsistentKeys::KeyMismatch,
        ));
        assert!(
            text.contains("does not belong to the certificate"),
            "{text}"
        );
        assert!(!text.contains("KeyMismatch"), "{text}");
    }

    #[test]
    fn hub_urls() {
        assert_eq!(
            HubEndpoint::parse("https://[::1]:7443").unwrap().host,
            "::1"
        );
        assert_eq!(HubEndpoint::parse("https://localhost:1/").unwrap().port, 1);
        for (url, why) in [
            ("http://127.0.0.1:7443", "https://"),
            ("https://127.0.0.1", "no port"),
            ("https://127.0.0.1:99999", "invalid port"),
            ("https://h:1/x", "path"),
        ] {
            let err = HubEndpoint::parse(url).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
