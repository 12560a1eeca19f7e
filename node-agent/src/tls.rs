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

/// The agent's certificate or trust anchors would make the hub refuse it, found
/// before any connection (`node-agent check-config`). Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum IdentityCheckError {
    /// A trust anchor is an end-entity certificate: a party's, a person's or a server
    /// certificate configured instead of the CA's.
    #[error(
        "trust anchor {path} (setting `trust_anchors`) is {whom}, not a CA certificate: a trust anchor is the certificate of the CA that issues the parties' certificates; set `trust_anchors` to that CA's root certificate (from the hub's operator, e.g. ca/root.pem), and keep this certificate in `cert`"
    )]
    EndEntityAsAnchor { path: PathBuf, whom: String },
    /// The agent's certificate does not chain to any configured trust anchor; the hub
    /// trusts the same CA, so it would refuse it as `unknown-ca`.
    #[error(
        "the certificate {cert} (setting `cert`) is not issued by any of the trust anchors ({anchors}): it was issued by \"{issuer}\". The hub trusts the same CA as your trust anchors, so it would refuse this certificate (unknown-ca). Install the certificate your CA issued for this party, or, if the certificate is right, set `trust_anchors` to the root certificate of the CA that issued it"
    )]
    NotIssuedByAnchors {
        cert: PathBuf,
        anchors: String,
        issuer: String,
    },
    /// The chain is there but fails another check the hub makes too.
    #[error("the certificate {cert} (setting `cert`) would be refused by the hub: {problem}")]
    Unacceptable { cert: PathBuf, problem: String },
    /// The certificate's OIN is not a party of the covenant in force.
    #[error(
        "the certificate {cert} (setting `cert`) carries OIN {oin}, which is not a party of the covenant in force (version {version}, Annex A; article 2.3): the hub refuses this agent (oin-not-a-party). Configure your party's own organisation certificate; if your organisation is joining, the hub accepts it once the covenant version that lists it in Annex A is approved and in force"
    )]
    NotAParty {
        cert: PathBuf,
        oin: String,
        version: u32,
    },
}

/// Who an end-entity certificate belongs to, in words: "the organisation certificate
/// of OIN …", "a person certificate (OIN …)", or "an end-entity certificate
/// (subject …)". The subject is escaped.
fn end_entity_owner(cert: &X509Certificate<'_>) -> String {
    match identity_from_cert(cert) {
        Ok(CertIdentity::Organisation { oin }) => {
            format!("the organisation certificate of OIN {oin} (a party's certificate)")
        }
        Ok(CertIdentity::Person { oin, .. }) => format!("a person certificate (OIN {oin})"),
        Err(_) => format!(
            "an end-entity certificate (subject \"{}\")",
            treiter_proto::text::escape_control(&cert.subject().to_string())
        ),
    }
}

/// Checks the trust anchors and the agent's certificate as the hub will: every anchor
/// is a CA certificate (a party certificate here is named as such), and the agent's
/// certificate chains to one of them and is acceptable for TLS client authentication.
/// The expiry is the caller's to report.
pub fn check_chain(config: &AgentConfig) -> Result<(), IdentityCheckError> {
    let mut roots = rustls::RootCertStore::empty();
    for path in &config.trust_anchors {
        // Unreadable files are reported by `client_config` with its own message.
        let Ok(certs) = wire_tls::load_certs(path) else {
            continue;
        };
        for der in certs {
            if let Ok((_, cert)) = X509Certificate::from_der(der.as_ref())
                && wire_tls::check_trust_anchor(&der) == Err(wire_tls::AnchorProblem::NotACa)
            {
                return Err(IdentityCheckError::EndEntityAsAnchor {
                    path: path.clone(),
                    whom: end_entity_owner(&cert),
                });
            }
            let _ = roots.add(der);
        }
    }
    let Ok(chain) = wire_tls::load_certs(&config.cert) else {
        return Ok(());
    };
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Ok(());
    };
    if roots.is_empty() {
        return Ok(());
    }
    let verifier = match rustls::server::WebPkiClientVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        wire_tls::provider(),
    )
    .build()
    {
        Ok(verifier) => verifier,
        // The anchors themselves are reported by `client_config`.
        Err(_) => return Ok(()),
    };
    let now = rustls_pki_types::UnixTime::now();
    match verifier.verify_client_cert(leaf, intermediates, now) {
        Ok(_) => {
            client_profile(leaf.as_ref()).map_err(|problem| IdentityCheckError::Unacceptable {
                cert: config.cert.clone(),
                problem,
            })
        }
        Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)) => {
            let issuer = X509Certificate::from_der(leaf.as_ref())
                .map(|(_, c)| c.issuer().to_string())
                .unwrap_or_else(|_| "an unreadable issuer".into());
            Err(IdentityCheckError::NotIssuedByAnchors {
                cert: config.cert.clone(),
                anchors: config
                    .trust_anchors
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                issuer: treiter_proto::text::escape_control(&issuer).into_owned(),
            })
        }
        // Expiry is reported by the caller, with the date.
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. },
        )) => Ok(()),
        Err(rustls::Error::InvalidCertificate(problem)) => Err(IdentityCheckError::Unacceptable {
            cert: config.cert.clone(),
            problem: certificate_problem(&problem),
        }),
        Err(other) => Err(IdentityCheckError::Unacceptable {
            cert: config.cert.clone(),
            problem: other.to_string(),
        }),
    }
}

pub use treiter_proto::tls::certificate_problem;

/// The smallest RSA key the hub accepts in a client certificate.
const MIN_RSA_BITS: usize = 2048;

/// The client certificate profile the hub checks after the chain (the hub's
/// `treiter_hub::tls::check_client_profile`, which webpki leaves to the application):
/// extendedKeyUsage with clientAuth, keyUsage with digitalSignature where present, an
/// RSA key of at least 2048 bits. The problem in words, with what to do.
fn client_profile(der: &[u8]) -> Result<(), String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("it cannot be read: {e}"))?;
    let ask = "request an organisation certificate with the covenant's profile";
    match cert.extended_key_usage() {
        Ok(Some(eku)) if eku.value.client_auth => {}
        Ok(Some(_)) => {
            return Err(format!(
                "its extendedKeyUsage does not include TLS client authentication (clientAuth); {ask}"
            ));
        }
        Ok(None) => {
            return Err(format!(
                "it has no extendedKeyUsage extension, so it is not marked for TLS client authentication (clientAuth); {ask}"
            ));
        }
        Err(e) => return Err(format!("its extendedKeyUsage cannot be read: {e}")),
    }
    if let Ok(Some(ku)) = cert.key_usage()
        && !ku.value.digital_signature()
    {
        return Err(format!(
            "its keyUsage does not allow digitalSignature, with which a TLS 1.3 client signs its handshake; {ask}"
        ));
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let bits = rsa.key_size();
        if bits < MIN_RSA_BITS {
            return Err(format!(
                "its RSA key has {bits} bits; the hub requires at least {MIN_RSA_BITS}: request a new certificate for a stronger key"
            ));
        }
    }
    Ok(())
}

/// Checks that the agent's OIN is a party of `covenant` (Annex A).
pub fn check_party(
    config: &AgentConfig,
    oin: &str,
    covenant: &treiter_policies::Covenant,
) -> Result<(), IdentityCheckError> {
    if covenant.party(oin).is_some() {
        return Ok(());
    }
    Err(IdentityCheckError::NotAParty {
        cert: config.cert.clone(),
        oin: oin.to_owned(),
        version: covenant.version(),
    })
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
    treiter_proto::client::client_config_with(
        &config.cert,
        &config.key,
        &config.key_passphrase,
        &config.trust_anchors,
    )
    .map_err(|e| match e {
        ClientTlsError::Pem(e) => TlsSetupError::Pem(e),
        ClientTlsError::TrustAnchor { path, detail } => TlsSetupError::TrustAnchor { path, detail },
        ClientTlsError::Identity { cert, key, detail } => {
            TlsSetupError::ClientIdentity { cert, key, detail }
        }
        ClientTlsError::Config(detail) => TlsSetupError::Config(detail),
    })
}
