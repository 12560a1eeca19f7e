//! The agent's side of the mTLS link (article 12.1): its own certificate, which must be
//! its party's organisation certificate, and the TLS client configuration built from it.
//! The connection itself (one HTTP/2 connection per attempt, with the alert tap that
//! tells why the hub refused a certificate) is the wire's: [`treiter_proto::client`].

use std::path::PathBuf;

use treiter_proto::client::ClientTlsError;
use treiter_proto::identity::{CertIdentity, CertProfileError, identity_from_cert};
use treiter_proto::tls::{self as wire_tls, PemError};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::AgentConfig;

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

pub use treiter_proto::client::{AlertSlot, AlertTap, ChannelError, HubChannel, channel, connect};

/// Builds the agent's rustls client configuration.
pub fn client_config(config: &AgentConfig) -> Result<rustls::ClientConfig, TlsSetupError> {
    treiter_proto::client::client_config(&config.cert, &config.key, &config.trust_anchors).map_err(
        |e| match e {
            ClientTlsError::Pem(e) => TlsSetupError::Pem(e),
            ClientTlsError::TrustAnchor { path, detail } => {
                TlsSetupError::TrustAnchor { path, detail }
            }
            ClientTlsError::Identity { cert, key, detail } => {
                TlsSetupError::ClientIdentity { cert, key, detail }
            }
            ClientTlsError::Config(detail) => TlsSetupError::Config(detail),
        },
    )
}
