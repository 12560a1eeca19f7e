//! The agent's side of the mTLS link (article 12.1): a TLS 1.3-only rustls client
//! config with the party's organisation certificate, a connector for tonic, and a tap
//! that keeps the TLS alert the hub sends when it refuses our certificate.
//!
//! With TLS 1.3 the client's handshake completes before the hub has judged the client
//! certificate, so a refusal arrives as a fatal alert on the first read, which tonic
//! reports only as "transport error". [`AlertTap`] sits under hyper and remembers the
//! alert, so the agent can say *why* it was refused.

use std::future::Future;
use std::io;
use std::path::PathBuf;
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
use treiter_proto::identity::{CertIdentity, CertProfileError, identity_from_cert};
use treiter_proto::tls::{self as wire_tls, PemError};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::{AgentConfig, HubEndpoint};

/// The agent's TLS settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("trust anchor {path} cannot be used: {detail}")]
    TrustAnchor { path: PathBuf, detail: String },
    #[error("the agent's certificate {cert} or key {key} cannot be used together: {detail}")]
    ClientIdentity {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("the agent's certificate {path} does not name a party: {source}")]
    Profile {
        path: PathBuf,
        #[source]
        source: CertProfileError,
    },
    #[error(
        "the agent's certificate {path} is a person certificate (it has a UID); a node agent needs its party's organisation certificate"
    )]
    PersonCertificate { path: PathBuf },
    #[error("the hub address {host} is not a valid TLS server name")]
    ServerName { host: String },
    #[error("the TLS configuration is inconsistent: {0}")]
    Config(String),
}

/// What the agent's own certificate says, for the start-up log and `--check-config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnCertificate {
    pub oin: String,
    pub not_before: String,
    pub not_after: String,
    /// Seconds of validity left (negative when expired).
    pub seconds_left: i64,
}

/// Reads the agent's own certificate: it must be an organisation certificate naming an
/// OIN. Its validity is reported, not enforced here: the hub is the judge, and an agent
/// with an expired certificate should keep saying so in its log rather than exit.
pub fn own_certificate(path: &std::path::Path) -> Result<OwnCertificate, TlsSetupError> {
    let chain = wire_tls::load_certs(path)?;
    let leaf = chain
        .first()
        .ok_or_else(|| TlsSetupError::Config(format!("{} holds no certificate", path.display())))?;
    let (_, cert) =
        X509Certificate::from_der(leaf.as_ref()).map_err(|e| TlsSetupError::Profile {
            path: path.to_path_buf(),
            source: CertProfileError::Unparseable(e.to_string()),
        })?;
    let identity = identity_from_cert(&cert).map_err(|source| TlsSetupError::Profile {
        path: path.to_path_buf(),
        source,
    })?;
    let oin = match identity {
        CertIdentity::Organisation { oin } => oin,
        CertIdentity::Person { .. } => {
            return Err(TlsSetupError::PersonCertificate {
                path: path.to_path_buf(),
            });
        }
    };
    let validity = cert.validity();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(OwnCertificate {
        oin: oin.to_string(),
        not_before: validity.not_before.to_string(),
        not_after: validity.not_after.to_string(),
        seconds_left: validity.not_after.timestamp() - now,
    })
}

/// Builds the agent's rustls client configuration.
pub fn client_config(config: &AgentConfig) -> Result<rustls::ClientConfig, TlsSetupError> {
    let mut roots = rustls::RootCertStore::empty();
    for path in &config.trust_anchors {
        for cert in wire_tls::load_certs(path)? {
            roots.add(cert).map_err(|e| TlsSetupError::TrustAnchor {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        }
    }
    let chain = wire_tls::load_certs(&config.cert)?;
    let key = wire_tls::load_key(&config.key)?;
    let mut tls = rustls::ClientConfig::builder_with_provider(wire_tls::provider())
        .with_protocol_versions(wire_tls::PROTOCOL_VERSIONS)
        .map_err(|e| TlsSetupError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| TlsSetupError::ClientIdentity {
            cert: config.cert.clone(),
            key: config.key.clone(),
            detail: e.to_string(),
        })?;
    tls.alpn_protocols = vec![wire_tls::ALPN_H2.to_vec()];
    Ok(tls)
}

/// The TLS server name to verify the hub's certificate against.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsSetupError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsSetupError::ServerName {
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
    #[error(transparent)]
    Setup(#[from] TlsSetupError),
    #[error("{0}")]
    Connect(String),
}

/// One HTTP/2 connection to the hub, usable by every generated gRPC client.
///
/// Deliberately not a tonic `Channel`: a `Channel` reconnects by itself, at once and
/// without limit, when the hub drops the connection — after a certificate refusal that
/// meant a burst of doomed handshakes per attempt. Here one attempt is one connection,
/// and the agent's backoff is the only retry policy.
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
    .map_err(|e| ChannelError::Connect(crate::link::error_chain(&e)))?;
    let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|e| ChannelError::Connect(crate::link::error_chain(&e)))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection to the hub ended");
        }
    });
    Ok((HubChannel { sender, authority }, slot))
}
