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
    /// The key is encrypted and its passphrase cannot be had (none configured, the
    /// variable unset, the file unusable). Boxed: it is large and rare.
    #[error(transparent)]
    Passphrase(Box<crate::keyfile::PassphraseError>),
    /// The passphrase does not open the key.
    #[error(
        "the passphrase does not open {path} ({form}): check the passphrase that {setting} names"
    )]
    WrongPassphrase {
        path: PathBuf,
        form: &'static str,
        setting: &'static str,
    },
    /// The key is protected in a way this software cannot open.
    #[error("{path} cannot be opened: {detail}")]
    Unsupported { path: PathBuf, detail: String },
}

impl From<crate::keyfile::PassphraseError> for PemError {
    fn from(error: crate::keyfile::PassphraseError) -> PemError {
        PemError::Passphrase(Box::new(error))
    }
}

/// How a TLS key (or PKCS#12 bundle) is unlocked: where its passphrase comes from and
/// which setting says so (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPassphrase {
    /// Where the passphrase comes from.
    pub source: crate::keyfile::PassphraseSource,
    /// The setting, e.g. `key_passphrase` or `tls.key_passphrase`.
    pub setting: &'static str,
    /// Whether the tool may ask on the terminal (hubctl: yes; services: no).
    pub prompt_allowed: bool,
}

impl KeyPassphrase {
    /// No passphrase configured, for the setting `setting`.
    pub fn none(setting: &'static str) -> KeyPassphrase {
        KeyPassphrase {
            source: crate::keyfile::PassphraseSource::None,
            setting,
            prompt_allowed: false,
        }
    }

    fn get(
        &self,
        what: &'static str,
        path: &Path,
        form: &'static str,
    ) -> Result<crate::keyfile::Passphrase, PemError> {
        match self.source.read(what, path, self.setting)? {
            Some(passphrase) => Ok(passphrase),
            None => Err(PemError::from(crate::keyfile::PassphraseError::Missing {
                what,
                path: path.to_path_buf(),
                form,
                setting: self.setting,
                prompt: if self.prompt_allowed {
                    ", or \"prompt\" (asked on the terminal)"
                } else {
                    ""
                },
            })),
        }
    }
}

const TLS_KEY: &str = "the TLS private key file";
const ENCRYPTED_PKCS8: &str = "encrypted PKCS#8";
const PKCS12: &str = "a PKCS#12 bundle";
const BEGIN_ENCRYPTED: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const END_ENCRYPTED: &str = "-----END ENCRYPTED PRIVATE KEY-----";

/// Whether `bytes` look like DER (an ASN.1 SEQUENCE), as a PKCS#12 bundle is stored,
/// rather than PEM text.
fn is_der(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x30)
}

/// Decrypts the `ENCRYPTED PRIVATE KEY` block of a PEM file.
fn decrypt_pkcs8(
    path: &Path,
    text: &str,
    passphrase: &KeyPassphrase,
) -> Result<PrivateKeyDer<'static>, PemError> {
    use pkcs8::der::Decode as _;
    let start = text.find(BEGIN_ENCRYPTED).unwrap_or(0);
    let end = text[start..]
        .find(END_ENCRYPTED)
        .map(|e| start + e + END_ENCRYPTED.len())
        .ok_or_else(|| PemError::Malformed {
            path: path.to_path_buf(),
            detail: "the ENCRYPTED PRIVATE KEY block has no end line".into(),
        })?;
    let (_, document) =
        pkcs8::der::Document::from_pem(&text[start..end]).map_err(|e| PemError::Malformed {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(document.as_bytes()).map_err(|e| {
        PemError::Malformed {
            path: path.to_path_buf(),
            detail: format!("not an encrypted PKCS#8 key: {e}"),
        }
    })?;
    let secret = passphrase.get(TLS_KEY, path, ENCRYPTED_PKCS8)?;
    match info.decrypt(secret.as_bytes()) {
        Ok(plain) => Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into())),
        Err(
            pkcs8::Error::EncryptedPrivateKey(
                pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. }
                | pkcs8::pkcs5::Error::NoPbes1CryptSupport
                | pkcs8::pkcs5::Error::AlgorithmParametersInvalid { .. },
            ),
        ) => Err(PemError::Unsupported {
            path: path.to_path_buf(),
            detail: "its encryption scheme is not supported (only PBES2: PBKDF2 or scrypt with AES-CBC); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`".into(),
        }),
        // A wrong key fails the padding check, or (rarely) decrypts to garbage.
        Err(_) => Err(PemError::WrongPassphrase {
            path: path.to_path_buf(),
            form: ENCRYPTED_PKCS8,
            setting: passphrase.setting,
        }),
    }
}

/// The certificate chain and key of a PKCS#12 bundle.
fn open_pkcs12(
    path: &Path,
    bytes: &[u8],
    passphrase: &KeyPassphrase,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PemError> {
    use p12_keystore::{KeyStore, Pkcs12ImportPolicy, error::Error as P12};
    let open = |secret: &str| KeyStore::from_pkcs12(bytes, secret, Pkcs12ImportPolicy::Strict);
    let store = if passphrase.source.is_configured() {
        let secret = passphrase.get(TLS_KEY, path, PKCS12)?;
        open(secret.as_str()).map_err(|e| pkcs12_error(path, passphrase, e))?
    } else {
        // Some bundles are exported with an empty password; any other needs one.
        match open("") {
            Ok(store) => store,
            Err(P12::MacError(_) | P12::UnpadError | P12::InvalidPrivateKey) => {
                // Not configured: this names the setting to add.
                let secret = passphrase.get(TLS_KEY, path, PKCS12)?;
                open(secret.as_str()).map_err(|e| pkcs12_error(path, passphrase, e))?
            }
            Err(e) => return Err(pkcs12_error(path, passphrase, e)),
        }
    };
    let (_, chain) = store.private_key_chain().ok_or_else(|| PemError::Empty {
        path: path.to_path_buf(),
        expected: "private key with its certificate (PKCS#12 key bag)",
    })?;
    let certs: Vec<CertificateDer<'static>> = chain
        .certs()
        .iter()
        .map(|c| CertificateDer::from(c.as_der().to_vec()))
        .collect();
    if certs.is_empty() {
        return Err(PemError::Empty {
            path: path.to_path_buf(),
            expected: "CERTIFICATE for its private key",
        });
    }
    Ok((
        certs,
        PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into()),
    ))
}

fn pkcs12_error(
    path: &Path,
    passphrase: &KeyPassphrase,
    error: p12_keystore::error::Error,
) -> PemError {
    use p12_keystore::error::Error as P12;
    match error {
        P12::MacError(_) | P12::UnpadError | P12::InvalidPrivateKey => PemError::WrongPassphrase {
            path: path.to_path_buf(),
            form: PKCS12,
            setting: passphrase.setting,
        },
        P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => PemError::Unsupported {
            path: path.to_path_buf(),
            detail: "its encryption or integrity scheme is not supported; export it again with AES-256 (e.g. `openssl pkcs12 -export` of OpenSSL 3, or \"AES256-SHA256\" in Windows' export wizard)".into(),
        },
        _ => PemError::Malformed {
            path: path.to_path_buf(),
            detail: "not a PKCS#12 bundle nor PEM".into(),
        },
    }
}

/// The private key in `path`: PEM (PKCS#8, PKCS#1 or SEC1), encrypted PKCS#8 PEM, or
/// a PKCS#12 bundle, unlocked with `passphrase` where it is encrypted. The file is
/// checked as every private key file is ([`crate::keyfile::read_private`]).
pub fn load_key_with(
    path: &Path,
    passphrase: &KeyPassphrase,
) -> Result<PrivateKeyDer<'static>, PemError> {
    let bytes = zeroize::Zeroizing::new(crate::keyfile::read_private(path, TLS_KEY)?);
    if is_der(&bytes) {
        return open_pkcs12(path, &bytes, passphrase).map(|(_, key)| key);
    }
    let text = String::from_utf8_lossy(&bytes);
    if text.contains(BEGIN_ENCRYPTED) {
        return decrypt_pkcs8(path, &text, passphrase);
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(PemError::Unsupported {
            path: path.to_path_buf(),
            detail: "it is encrypted in the legacy OpenSSL PEM form (Proc-Type: 4,ENCRYPTED); convert it to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`".into(),
        });
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => PemError::Empty {
            path: path.to_path_buf(),
            expected: "PRIVATE KEY",
        },
        other => malformed(path, other),
    })
}

/// A certificate chain and its key: `cert` and `key` PEM files (the key possibly
/// encrypted), or one PKCS#12 bundle named by both `cert` and `key`.
pub fn load_identity(
    cert: &Path,
    key: &Path,
    passphrase: &KeyPassphrase,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PemError> {
    let head = {
        use std::io::Read as _;
        let mut first = [0u8; 1];
        let mut file = std::fs::File::open(cert).map_err(|source| PemError::Read {
            path: cert.to_path_buf(),
            source,
        })?;
        let n = file.read(&mut first).map_err(|source| PemError::Read {
            path: cert.to_path_buf(),
            source,
        })?;
        first[..n].to_vec()
    };
    if !is_der(&head) {
        return Ok((load_certs(cert)?, load_key_with(key, passphrase)?));
    }
    // A bundle holds the private key: it gets the key file's checks.
    if cert != key {
        return Err(PemError::Unsupported {
            path: cert.to_path_buf(),
            detail: format!(
                "it is a PKCS#12 bundle, which holds its own key: set the key to the same file, not {}",
                key.display()
            ),
        });
    }
    let bytes = zeroize::Zeroizing::new(crate::keyfile::read_private(cert, "the PKCS#12 bundle")?);
    open_pkcs12(cert, &bytes, passphrase)
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

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file, with no passphrase
/// configured (an encrypted key is refused as such: [`load_key_with`]). The file is
/// checked as every private key file is ([`crate::keyfile::read_private`]): a key that
/// group or others can read is refused.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    load_key_with(path, &KeyPassphrase::none("key_passphrase"))
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

    /// Tests of passphrase-protected keys, each generated here: nothing secret is
    /// committed.
    #[cfg(unix)]
    mod encrypted {
        use super::*;
        use crate::keyfile::{PassphraseError, PassphraseSource};
        use std::os::unix::fs::PermissionsExt as _;

        const PASSPHRASE: &str = "correct horse battery staple";

        fn write_private(path: &Path, bytes: &[u8]) {
            std::fs::write(path, bytes).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }

        /// A fresh key pair and self-signed certificate: (PKCS#8 DER, certificate DER).
        fn key_and_cert() -> (Vec<u8>, Vec<u8>) {
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = rcgen::CertificateParams::new(vec!["agent.test".to_owned()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            (key.serialize_der(), cert.der().to_vec())
        }

        fn encrypted_pem(pkcs8_der: &[u8], passphrase: &str) -> String {
            use pkcs8::der::Decode as _;
            let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
                2048,
                b"test-salt-16byte",
                [7u8; 16],
            )
            .unwrap();
            pkcs8::PrivateKeyInfoRef::from_der(pkcs8_der)
                .unwrap()
                .encrypt_with_params(params, passphrase)
                .unwrap()
                .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::der::pem::LineEnding::LF)
                .unwrap()
                .to_string()
        }

        fn from_file(dir: &Path, passphrase: &str) -> KeyPassphrase {
            let file = dir.join("passphrase");
            write_private(&file, format!("{passphrase}\n").as_bytes());
            KeyPassphrase {
                source: PassphraseSource::File(file),
                setting: "key_passphrase",
                prompt_allowed: false,
            }
        }

        #[test]
        fn an_encrypted_pkcs8_key_opens_with_its_passphrase_from_a_file() {
            let dir = tempfile::tempdir().unwrap();
            let (der, _) = key_and_cert();
            let path = dir.path().join("agent.key");
            write_private(&path, encrypted_pem(&der, PASSPHRASE).as_bytes());
            let key = load_key_with(&path, &from_file(dir.path(), PASSPHRASE)).unwrap();
            assert_eq!(key.secret_der(), der.as_slice());
        }

        #[test]
        fn an_encrypted_key_without_a_passphrase_says_so() {
            let dir = tempfile::tempdir().unwrap();
            let (der, _) = key_and_cert();
            let path = dir.path().join("agent.key");
            write_private(&path, encrypted_pem(&der, PASSPHRASE).as_bytes());
            let err = load_key(&path).unwrap_err();
            assert!(
                matches!(
                    &err,
                    PemError::Passphrase(e) if matches!(**e, PassphraseError::Missing {
                        form: "encrypted PKCS#8",
                        ..
                    })
                ),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(!text.contains("holds no"), "{text}");
            assert!(text.contains("is encrypted"), "{text}");
            assert!(text.contains("key_passphrase = \"file:PATH\""), "{text}");
        }

        #[test]
        fn a_wrong_passphrase_is_named_as_such() {
            let dir = tempfile::tempdir().unwrap();
            let (der, _) = key_and_cert();
            let path = dir.path().join("agent.key");
            write_private(&path, encrypted_pem(&der, PASSPHRASE).as_bytes());
            let err = load_key_with(&path, &from_file(dir.path(), "wrong")).unwrap_err();
            assert!(matches!(&err, PemError::WrongPassphrase { .. }), "{err:?}");
            assert!(
                !err.to_string().contains("wrong"),
                "no passphrase in messages"
            );
        }

        #[test]
        fn an_unset_environment_variable_is_named() {
            let dir = tempfile::tempdir().unwrap();
            let (der, _) = key_and_cert();
            let path = dir.path().join("agent.key");
            write_private(&path, encrypted_pem(&der, PASSPHRASE).as_bytes());
            let passphrase = KeyPassphrase {
                source: PassphraseSource::Env("TREITER_TEST_UNSET_PASSPHRASE_VARIABLE".into()),
                setting: "key_passphrase",
                prompt_allowed: false,
            };
            let err = load_key_with(&path, &passphrase).unwrap_err();
            assert!(
                matches!(&err, PemError::Passphrase(e) if matches!(**e, PassphraseError::EnvUnset { .. })),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains("TREITER_TEST_UNSET_PASSPHRASE_VARIABLE")
            );
        }

        #[test]
        fn a_pkcs12_bundle_gives_its_certificate_and_key() {
            use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
            let dir = tempfile::tempdir().unwrap();
            let (der, cert) = key_and_cert();
            let mut store = KeyStore::new();
            store.add_entry(
                "person",
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
                    [1u8, 2, 3, 4].as_slice(),
                    PrivateKey::from_der(&der).unwrap(),
                    [Certificate::from_der(&cert).unwrap()],
                )),
            );
            let bundle = dir.path().join("person.p12");
            write_private(&bundle, &store.writer(PASSPHRASE).write().unwrap());
            let (chain, key) =
                load_identity(&bundle, &bundle, &from_file(dir.path(), PASSPHRASE)).unwrap();
            assert_eq!(chain.len(), 1);
            assert_eq!(chain[0].as_ref(), cert.as_slice());
            assert_eq!(key.secret_der(), der.as_slice());
            // Without a passphrase: that error, naming the bundle.
            let err = load_identity(&bundle, &bundle, &KeyPassphrase::none("key_passphrase"))
                .unwrap_err();
            assert!(
                matches!(
                    &err,
                    PemError::Passphrase(e) if matches!(**e, PassphraseError::Missing {
                        form: "a PKCS#12 bundle",
                        ..
                    })
                ),
                "{err:?}"
            );
            // A wrong one.
            let err = load_identity(&bundle, &bundle, &from_file(dir.path(), "wrong")).unwrap_err();
            assert!(matches!(&err, PemError::WrongPassphrase { .. }), "{err:?}");
            // A bundle that others can read is refused like any key.
            std::fs::set_permissions(&bundle, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err =
                load_identity(&bundle, &bundle, &from_file(dir.path(), PASSPHRASE)).unwrap_err();
            assert!(matches!(&err, PemError::KeyFile(_)), "{err:?}");
        }

        #[test]
        fn passphrase_settings_parse_and_prompt_is_for_interactive_tools_only() {
            let base = Path::new("/etc/agent");
            assert_eq!(
                PassphraseSource::parse("key_passphrase", "file:pass.txt", base, false),
                Ok(PassphraseSource::File(base.join("pass.txt")))
            );
            assert_eq!(
                PassphraseSource::parse("key_passphrase", "env:AGENT_KEY", base, false),
                Ok(PassphraseSource::Env("AGENT_KEY".into()))
            );
            assert_eq!(
                PassphraseSource::parse("key_passphrase", "prompt", base, true),
                Ok(PassphraseSource::Prompt)
            );
            let err = PassphraseSource::parse("key_passphrase", "prompt", base, false).unwrap_err();
            assert!(err.contains("a service cannot ask"), "{err}");
            let err =
                PassphraseSource::parse("key_passphrase", "hunter2", base, false).unwrap_err();
            assert!(err.contains("not a passphrase source"), "{err}");
        }
    }
}
