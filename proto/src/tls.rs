//! The TLS profile of the wire (article 12.1): mutually authenticated TLS 1.3 only,
//! with the ring provider and HTTP/2 negotiated by ALPN.
//!
//! Both ends build their rustls configs from here so they cannot drift apart, and both
//! load PEM files through here so that every error names the file and says what to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

/// The only protocol version either end accepts.
pub static PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// ALPN identifier for HTTP/2; without it tonic's client fails with "HTTP/2 was not
/// negotiated".
pub const ALPN_H2: &[u8] = b"h2";

/// The crypto provider of the whole tree. The tree is ring-only; building configs with
/// an explicit provider avoids depending on a process-wide default.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A PEM file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid PEM.
    #[error("{path} is not valid PEM: {detail}")]
    Malformed { path: PathBuf, detail: String },
    /// A private key file failed the checks every key file gets
    /// ([`crate::keyfile`]): readable by others, not a file, too large.
    #[error(transparent)]
    KeyFile(#[from] crate::keyfile::KeyFileError),
    /// The file is PEM but holds nothing of the expected kind.
    #[error("{path} holds no {expected}; check that the setting points at the right file")]
    Empty {
        path: PathBuf,
        expected: &'static str,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|source| PemError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn malformed(path: &Path, err: rustls_pki_types::pem::Error) -> PemError {
    PemError::Malformed {
        path: path.to_path_buf(),
        detail: err.to_string(),
    }
}

/// Every certificate in a PEM file, in file order (a leaf first, then its chain).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, e))?;
    if certs.is_empty() {
        return Err(PemError::Empty {
            path: path.to_path_buf(),
            expected: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file. The file is checked
/// as every private key file is ([`crate::keyfile::read_private`]): a key that group
/// or others can read is refused.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    let bytes = crate::keyfile::read_private(path, "the TLS private key file")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => PemError::Empty {
            path: path.to_path_buf(),
            expected: "PRIVATE KEY",
        },
        other => malformed(path, other),
    })
}

/// Why a certificate cannot serve as a trust anchor. A trust anchor vouches for every
/// certificate it signs, so it must be a CA certificate that may sign certificates;
/// a leaf configured by mistake would otherwise be accepted silently.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnchorProblem {
    /// Not X.509.
    #[error("it is not an X.509 certificate: {0}")]
    Unparseable(String),
    /// basicConstraints is absent or does not say CA.
    #[error(
        "it is not a CA certificate (its basicConstraints do not say CA): configure the certificate of the CA that issues the certificates, not a leaf or server certificate"
    )]
    NotACa,
    /// No keyUsage extension: a CA certificate must state keyCertSign (RFC 5280 4.2.1.3).
    #[error("it has no keyUsage extension; a CA certificate must allow keyCertSign")]
    NoKeyUsage,
    /// keyUsage without keyCertSign.
    #[error("its keyUsage does not allow keyCertSign: it may not sign certificates")]
    NoKeyCertSign,
}

/// Checks that `der` is a CA certificate that may sign certificates (basicConstraints
/// CA, keyUsage keyCertSign). Both ends check every trust anchor with this.
pub fn check_trust_anchor(der: &CertificateDer<'_>) -> Result<(), AnchorProblem> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
        .map_err(|e| AnchorProblem::Unparseable(e.to_string()))?;
    let is_ca = cert
        .basic_constraints()
        .map_err(|e| AnchorProblem::Unparseable(e.to_string()))?
        .is_some_and(|bc| bc.value.ca);
    if !is_ca {
        return Err(AnchorProblem::NotACa);
    }
    match cert
        .key_usage()
        .map_err(|e| AnchorProblem::Unparseable(e.to_string()))?
    {
        None => Err(AnchorProblem::NoKeyUsage),
        Some(ku) if !ku.value.key_cert_sign() => Err(AnchorProblem::NoKeyCertSign),
        Some(_) => Ok(()),
    }
}

/// Every certificate of a trust anchor file, each checked with [`check_trust_anchor`];
/// the error names the file and says what is wrong.
pub fn load_trust_anchors(path: &Path) -> Result<Vec<CertificateDer<'static>>, AnchorError> {
    let certs = load_certs(path)?;
    for cert in &certs {
        check_trust_anchor(cert).map_err(|problem| AnchorError::Problem {
            path: path.to_path_buf(),
            problem,
        })?;
    }
    Ok(certs)
}

/// A trust anchor file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The file cannot be read as PEM certificates.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// A certificate in it is no CA certificate.
    #[error("trust anchor {path} cannot be used: {problem}")]
    Problem {
        path: PathBuf,
        problem: AnchorProblem,
    },
}

/// A certificate problem in words, without rustls' variant names (`UnknownIssuer`
/// means nothing to a partner's IT department).
pub fn certificate_problem(problem: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    match problem {
        E::BadEncoding => "it is not a well-formed certificate".into(),
        E::Expired | E::ExpiredContext { .. } => "it has expired".into(),
        E::NotValidYet | E::NotValidYetContext { .. } => {
            "its validity has not begun yet (check the clock of this machine)".into()
        }
        E::Revoked => "it is revoked (listed in its CA's revocation list)".into(),
        E::UnknownIssuer => "it is not issued by a CA of the configured trust anchors".into(),
        E::BadSignature => "its signature does not verify".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "it is not issued for the name it was reached by".into()
        }
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => {
            "it is not marked for this use (extendedKeyUsage)".into()
        }
        E::UnknownRevocationStatus => "its revocation status cannot be checked".into(),
        E::ExpiredRevocationList | E::ExpiredRevocationListContext { .. } => {
            "the revocation list of its CA has expired".into()
        }
        E::ApplicationVerificationFailure => "the application refused it".into(),
        _ => "it is not acceptable to TLS (an unusual certificate error)".into(),
    }
}

/// Every CRL in a PEM file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, PemError> {
    let bytes = read(path)?;
    let crls = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, e))?;
    if crls.is_empty() {
        return Err(PemError::Empty {
            path: path.to_path_buf(),
            expected: "X509 CRL",
        });
    }
    Ok(crls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_names_the_path() {
        let err = load_certs(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(err, PemError::Read { .. }));
        assert!(err.to_string().contains("/nonexistent/ca.pem"));
    }

    #[test]
    fn file_without_certificates_is_refused_by_kind() {
        let dir = std::env::temp_dir().join(format!("treiter-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not pem at all\n").unwrap();
        assert!(matches!(
            load_certs(&path),
            Err(PemError::Empty {
                expected: "CERTIFICATE",
                ..
            })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(matches!(
            load_key(&path),
            Err(PemError::Empty {
                expected: "PRIVATE KEY",
                ..
            })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_tls_key_that_group_or_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.key");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_key(&path).unwrap_err();
        assert!(
            matches!(
                err,
                PemError::KeyFile(crate::keyfile::KeyFileError::Permissions { mode: 0o640, .. })
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("the TLS private key file"), "{text}");
        assert!(
            text.contains(&format!("chmod 600 {}", path.display())),
            "{text}"
        );
    }
}
