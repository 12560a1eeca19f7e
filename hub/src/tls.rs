//! The hub's mTLS listener (articles 2.2, 12.1).
//!
//! tonic's own TLS settings take no CRLs and cannot be limited to TLS 1.3, so the hub
//! builds its rustls `ServerConfig` itself: a client certificate is required and must
//! chain to a configured trust anchor, be within its validity period and not be listed
//! in that anchor's CRL. Handshakes run here, under a timeout, and only finished TLS
//! streams reach tonic (`serve_with_incoming`), as exactly
//! `tokio_rustls::server::TlsStream<TcpStream>` so that `Request::peer_certs()` works.
//!
//! Every refused handshake is counted and recorded by reason in [`Refusals`]: with
//! TLS 1.3 the client cannot tell "expired" from "not yet valid" (both arrive as the
//! same alert), so the hub's record is where an operator sees the real reason.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use treiter_proto::tls::{self as wire_tls, PemError};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::config::{TlsSettings, TrustAnchor};
use crate::identity::{CertIdentity, IdentityError, identity_from_der};
use crate::refusals::{Refusal, RefusalReason, Refusals};

/// The TLS settings could not be turned into a listener.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("trust anchor {path} cannot be used: {detail}")]
    TrustAnchor { path: PathBuf, detail: String },
    #[error("CRL {path} cannot be used: {detail}")]
    Crl { path: PathBuf, detail: String },
    #[error(
        "CRL {path} expired at {next_update}; fetch a fresh CRL from the CA (the hub refuses every certificate of an anchor whose CRL is stale)"
    )]
    CrlExpired { path: PathBuf, next_update: String },
    #[error("the hub's certificate {cert} or key {key} cannot be used: {detail}")]
    ServerIdentity {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("the TLS configuration is inconsistent: {0}")]
    Config(String),
}

/// Builds the hub's rustls server configuration.
pub fn server_config(
    tls: &TlsSettings,
    refusals: Arc<Refusals>,
) -> Result<rustls::ServerConfig, TlsSetupError> {
    let provider = wire_tls::provider();
    let mut roots = RootCertStore::empty();
    let mut crls = Vec::new();
    let mut every_anchor_has_crl = true;
    for anchor in &tls.trust_anchors {
        add_anchor(&mut roots, anchor)?;
        match &anchor.crl {
            Some(path) => crls.extend(load_crl(path, SystemTime::now())?),
            None => {
                every_anchor_has_crl = false;
                tracing::warn!(
                    anchor = %anchor.cert.display(),
                    "trust anchor has no CRL: revoked certificates of this anchor will be accepted"
                );
            }
        }
    }
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .with_crls(crls)
            .enforce_revocation_expiration();
    if !every_anchor_has_crl {
        // Without this, certificates of an anchor without a CRL would be refused as
        // "unknown revocation status"; anchors that have a CRL are still checked.
        builder = builder.allow_unknown_revocation_status();
    }
    let verifier = builder
        .build()
        .map_err(|e| TlsSetupError::Config(e.to_string()))?;
    let verifier = Arc::new(RecordingVerifier {
        inner: verifier,
        refusals,
    });

    let chain = wire_tls::load_certs(&tls.cert)?;
    let key = wire_tls::load_key(&tls.key)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(wire_tls::PROTOCOL_VERSIONS)
        .map_err(|e| TlsSetupError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::ServerIdentity {
            cert: tls.cert.clone(),
            key: tls.key.clone(),
            detail: e.to_string(),
        })?;
    config.alpn_protocols = vec![wire_tls::ALPN_H2.to_vec()];
    Ok(config)
}

fn add_anchor(roots: &mut RootCertStore, anchor: &TrustAnchor) -> Result<(), TlsSetupError> {
    for cert in wire_tls::load_certs(&anchor.cert)? {
        roots.add(cert).map_err(|e| TlsSetupError::TrustAnchor {
            path: anchor.cert.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

/// Loads a CRL file and refuses one that is already past its nextUpdate: with
/// revocation expiry enforced, a stale CRL would silently lock out its whole anchor.
fn load_crl(
    path: &Path,
    now: SystemTime,
) -> Result<Vec<rustls::pki_types::CertificateRevocationListDer<'static>>, TlsSetupError> {
    let crls = wire_tls::load_crls(path)?;
    let now_unix = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    for crl in &crls {
        let (_, parsed) =
            CertificateRevocationList::from_der(crl.as_ref()).map_err(|e| TlsSetupError::Crl {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        if let Some(next) = parsed.next_update()
            && next.timestamp() < now_unix
        {
            return Err(TlsSetupError::CrlExpired {
                path: path.to_path_buf(),
                next_update: next.to_string(),
            });
        }
    }
    Ok(crls)
}

/// Delegates to webpki and records why a certificate was refused, with the OIN and
/// person id it carried when those can be read.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    refusals: Arc<Refusals>,
}

/// Maps a rustls certificate error to the refusal reason an operator reads.
pub fn reason_for(error: &rustls::Error) -> RefusalReason {
    match error {
        rustls::Error::NoCertificatesPresented => RefusalReason::NoCertificate,
        rustls::Error::PeerIncompatible(_) => RefusalReason::ProtocolVersion,
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                RefusalReason::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                RefusalReason::NotYetValid
            }
            CertificateError::UnknownIssuer => RefusalReason::UnknownCa,
            CertificateError::Revoked => RefusalReason::Revoked,
            _ => RefusalReason::BadCertificate,
        },
        _ => RefusalReason::Handshake,
    }
}

impl ClientCertVerifier for RecordingVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
            .inspect_err(|error| {
                let (oin, person) = match identity_from_der(end_entity.as_ref()) {
                    Ok(CertIdentity::Organisation { oin }) => (Some(oin.to_string()), None),
                    Ok(CertIdentity::Person { oin, person }) => {
                        (Some(oin.to_string()), Some(person))
                    }
                    Err(_) => (None, None),
                };
                self.refusals.record(Refusal {
                    at: SystemTime::now(),
                    reason: reason_for(error),
                    oin,
                    person,
                });
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts TCP connections on `listener`, runs each TLS handshake under
/// `handshake_timeout`, and yields the finished streams. Refused handshakes are
/// recorded (certificate refusals already by the verifier, the rest here). The accept
/// loop ends when the returned stream is dropped.
pub fn incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    handshake_timeout: Duration,
    refusals: Arc<Refusals>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(64);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => break,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Usually EMFILE or a reset before accept; back off briefly so a
                    // persistent error does not spin.
                    tracing::warn!(%error, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            let refusals = refusals.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        // The receiver is gone only when the server is shutting down.
                        let _ = tx.send(Ok(stream)).await;
                    }
                    Ok(Err(error)) => handshake_failed(&refusals, &peer, &error),
                    Err(_) => {
                        tracing::warn!(%peer, "TLS handshake did not finish in time");
                        refusals.record(Refusal {
                            at: SystemTime::now(),
                            reason: RefusalReason::Handshake,
                            oin: None,
                            person: None,
                        });
                    }
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

fn handshake_failed(refusals: &Refusals, peer: &std::net::SocketAddr, error: &std::io::Error) {
    let tls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls_error {
        // Already recorded, with the certificate's OIN, by the verifier.
        Some(rustls::Error::InvalidCertificate(_)) => {}
        Some(tls_error) => refusals.record(Refusal {
            at: SystemTime::now(),
            reason: reason_for(tls_error),
            oin: None,
            person: None,
        }),
        None => tracing::debug!(%peer, %error, "connection ended during the TLS handshake"),
    }
}

/// When the accepted peer's certificate expires, for the hub's status (partner IT
/// renews before it does). `None` if there is no certificate or it cannot be parsed —
/// which [`peer_identity`] refuses anyway.
pub fn peer_certificate_not_after<T>(request: &tonic::Request<T>) -> Option<SystemTime> {
    let certs = request.peer_certs()?;
    let leaf = certs.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let seconds = u64::try_from(cert.validity().not_after.timestamp()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(seconds))
}

/// The identity of an accepted TLS peer, for a tonic request.
pub fn peer_identity<T>(request: &tonic::Request<T>) -> Result<CertIdentity, IdentityError> {
    let certs = request.peer_certs().ok_or(IdentityError::NoCertificate)?;
    let leaf = certs.first().ok_or(IdentityError::NoCertificate)?;
    Ok(identity_from_der(leaf.as_ref())?)
}
