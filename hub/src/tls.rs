//! The hub's mTLS listener (articles 2.2, 12.1).
//!
//! tonic's own TLS settings take no CRLs and cannot be limited to TLS 1.3, so the hub
//! builds its rustls `ServerConfig` itself: a client certificate is required and must
//! chain to a configured trust anchor, be within its validity period, not be listed in
//! that anchor's CRL, and follow the client profile ([`check_client_profile`]:
//! extendedKeyUsage clientAuth, keyUsage digitalSignature, RSA keys of 2048 bits or
//! more). Trust anchors must be CA certificates and their CRLs must verify against
//! them, or the hub does not start. The handshakes themselves run in
//! [`crate::listener`].
//!
//! Every refused handshake is counted and recorded by reason in [`Refusals`]: with
//! TLS 1.3 the client cannot tell "expired" from "not yet valid" (both arrive as the
//! same alert), so the hub's record is where an operator sees the real reason.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};
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
        "CRL {path} was issued by \"{issuer}\", not by its trust anchor {anchor} (\"{anchor_subject}\"): configure the CRL of that CA"
    )]
    CrlIssuer {
        path: PathBuf,
        issuer: String,
        anchor: PathBuf,
        anchor_subject: String,
    },
    #[error(
        "the signature of CRL {path} does not verify with the key of its trust anchor {anchor}: the CRL is damaged or forged, or was signed by another key of a CA with the same name; fetch it again from the CA"
    )]
    CrlSignature { path: PathBuf, anchor: PathBuf },
    #[error(
        "trust anchor {anchor} may not sign CRLs (its keyUsage lacks cRLSign), so its CRL {path} cannot be trusted: every certificate of this anchor would be refused"
    )]
    AnchorNotCrlSigner { path: PathBuf, anchor: PathBuf },
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
        let certs = add_anchor(&mut roots, anchor)?;
        match &anchor.crl {
            Some(path) => crls.extend(load_crl(path, &anchor.cert, &certs, SystemTime::now())?),
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
    let key = wire_tls::load_key_with(&tls.key, &tls.key_passphrase)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(wire_tls::PROTOCOL_VERSIONS)
        .map_err(|e| TlsSetupError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::ServerIdentity {
            cert: tls.cert.clone(),
            key: tls.key.clone(),
            detail: treiter_proto::client::identity_problem(&e),
        })?;
    config.alpn_protocols = vec![wire_tls::ALPN_H2.to_vec()];
    Ok(config)
}

/// Adds the certificates of a trust anchor file to `roots`, each checked to be a CA
/// certificate that may sign certificates ([`wire_tls::check_trust_anchor`]); returns
/// them for the CRL check.
fn add_anchor(
    roots: &mut RootCertStore,
    anchor: &TrustAnchor,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = wire_tls::load_trust_anchors(&anchor.cert).map_err(|e| match e {
        wire_tls::AnchorError::Pem(e) => TlsSetupError::Pem(e),
        wire_tls::AnchorError::Problem { path, problem } => TlsSetupError::TrustAnchor {
            path,
            detail: problem.to_string(),
        },
    })?;
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|e| TlsSetupError::TrustAnchor {
                path: anchor.cert.clone(),
                detail: e.to_string(),
            })?;
    }
    Ok(certs)
}

/// Loads the CRL file of the trust anchor in `anchor_path` (whose certificates are
/// `anchor_certs`) and refuses it unless each CRL in it was issued and signed by that
/// anchor, and is not already past its nextUpdate. webpki would otherwise ignore a CRL
/// of another issuer (revoking nothing) and refuse every certificate of the anchor
/// over a CRL with a bad signature or a stale date, long after the hub started.
fn load_crl(
    path: &Path,
    anchor_path: &Path,
    anchor_certs: &[CertificateDer<'_>],
    now: SystemTime,
) -> Result<Vec<rustls::pki_types::CertificateRevocationListDer<'static>>, TlsSetupError> {
    let crls = wire_tls::load_crls(path)?;
    let now_unix = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let anchors = anchor_certs
        .iter()
        .map(|der| {
            x509_parser::parse_x509_certificate(der.as_ref())
                .map(|(_, cert)| cert)
                .map_err(|e| TlsSetupError::TrustAnchor {
                    path: anchor_path.to_path_buf(),
                    detail: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for crl in &crls {
        let (_, parsed) =
            CertificateRevocationList::from_der(crl.as_ref()).map_err(|e| TlsSetupError::Crl {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        let Some(issuer) = anchors
            .iter()
            .find(|a| a.subject().as_raw() == parsed.issuer().as_raw())
        else {
            return Err(TlsSetupError::CrlIssuer {
                path: path.to_path_buf(),
                issuer: parsed.issuer().to_string(),
                anchor: anchor_path.to_path_buf(),
                anchor_subject: anchors
                    .iter()
                    .map(|a| a.subject().to_string())
                    .collect::<Vec<_>>()
                    .join("\", \""),
            });
        };
        if issuer
            .key_usage()
            .ok()
            .flatten()
            .is_some_and(|ku| !ku.value.crl_sign())
        {
            return Err(TlsSetupError::AnchorNotCrlSigner {
                path: path.to_path_buf(),
                anchor: anchor_path.to_path_buf(),
            });
        }
        // webpki refuses SHA-1 signatures at every handshake; x509-parser would accept.
        let algorithm = &parsed.signature_algorithm.algorithm;
        if *algorithm == x509_parser::oid_registry::OID_PKCS1_SHA1WITHRSA
            || *algorithm == x509_parser::oid_registry::OID_SHA1_WITH_RSA
        {
            return Err(TlsSetupError::Crl {
                path: path.to_path_buf(),
                detail: "it is signed with SHA-1, which the hub does not accept; ask the CA for a CRL signed with SHA-256 or better".into(),
            });
        }
        if parsed.verify_signature(issuer.public_key()).is_err() {
            return Err(TlsSetupError::CrlSignature {
                path: path.to_path_buf(),
                anchor: anchor_path.to_path_buf(),
            });
        }
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
        rustls::Error::InvalidCertRevocationList(_) => RefusalReason::BadCrl,
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                RefusalReason::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                RefusalReason::NotYetValid
            }
            CertificateError::UnknownIssuer => RefusalReason::UnknownCa,
            CertificateError::Revoked => RefusalReason::Revoked,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                RefusalReason::NotForClientAuth
            }
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => RefusalReason::CrlExpired,
            CertificateError::UnknownRevocationStatus => RefusalReason::UnknownRevocationStatus,
            _ => RefusalReason::BadCertificate,
        },
        _ => RefusalReason::Handshake,
    }
}

/// The smallest RSA modulus the hub accepts in a client certificate, in bits (the
/// floor of BSI TR-02102 and NIST SP 800-131A; PKIoverheid issues 2048 and up).
pub const MIN_RSA_BITS: usize = 2048;

/// A client certificate that chains to a trust anchor but breaks the profile the hub
/// requires of a TLS client certificate. webpki leaves these to the application: it
/// accepts a leaf without extendedKeyUsage, never looks at keyUsage, and judges a key's
/// size only when that key signs (which a TLS 1.3 server sees after the certificate).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "the certificate has no extendedKeyUsage extension: a client certificate must be marked for TLS client authentication (clientAuth)"
    )]
    NoExtendedKeyUsage,
    #[error(
        "the certificate's extendedKeyUsage does not include clientAuth: it is not meant for TLS client authentication"
    )]
    NoClientAuth,
    #[error(
        "the certificate's keyUsage does not allow digitalSignature, with which a TLS client signs its handshake"
    )]
    NoDigitalSignature,
    #[error("the certificate's RSA key has {bits} bits; the hub requires at least {MIN_RSA_BITS}")]
    WeakRsaKey { bits: usize },
    #[error("the certificate cannot be read: {0}")]
    Unreadable(String),
}

impl ProfileError {
    /// The refusal reason this counts under.
    pub fn reason(&self) -> RefusalReason {
        match self {
            ProfileError::NoExtendedKeyUsage | ProfileError::NoClientAuth => {
                RefusalReason::NotForClientAuth
            }
            ProfileError::NoDigitalSignature => RefusalReason::KeyUsageWithoutDigitalSignature,
            ProfileError::WeakRsaKey { .. } => RefusalReason::WeakKey,
            ProfileError::Unreadable(_) => RefusalReason::BadCertificate,
        }
    }

    /// The TLS error the handshake fails with, which decides the client's alert: a
    /// wrong usage is `unsupported_certificate`, anything else `certificate_unknown`.
    fn tls_error(&self) -> rustls::Error {
        let certificate = match self {
            ProfileError::NoExtendedKeyUsage
            | ProfileError::NoClientAuth
            | ProfileError::NoDigitalSignature => CertificateError::InvalidPurpose,
            ProfileError::WeakRsaKey { .. } | ProfileError::Unreadable(_) => {
                CertificateError::Other(rustls::OtherError(Arc::new(self.clone())))
            }
        };
        rustls::Error::InvalidCertificate(certificate)
    }
}

/// Checks a client leaf certificate against the profile: extendedKeyUsage with
/// clientAuth, keyUsage with digitalSignature where keyUsage is present, and an RSA
/// key of at least [`MIN_RSA_BITS`].
pub fn check_client_profile(der: &[u8]) -> Result<(), ProfileError> {
    let unreadable = |e: &dyn std::fmt::Display| ProfileError::Unreadable(e.to_string());
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| unreadable(&e))?;
    match cert.extended_key_usage().map_err(|e| unreadable(&e))? {
        None => return Err(ProfileError::NoExtendedKeyUsage),
        Some(eku) if !eku.value.client_auth => return Err(ProfileError::NoClientAuth),
        Some(_) => {}
    }
    if let Some(ku) = cert.key_usage().map_err(|e| unreadable(&e))?
        && !ku.value.digital_signature()
    {
        return Err(ProfileError::NoDigitalSignature);
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let bits = rsa.key_size();
        if bits < MIN_RSA_BITS {
            return Err(ProfileError::WeakRsaKey { bits });
        }
    }
    Ok(())
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
        let record = |reason: RefusalReason| {
            let (oin, person) = match identity_from_der(end_entity.as_ref()) {
                Ok(CertIdentity::Organisation { oin }) => (Some(oin.to_string()), None),
                Ok(CertIdentity::Person { oin, person }) => (Some(oin.to_string()), Some(person)),
                Err(_) => (None, None),
            };
            self.refusals.record(Refusal {
                oin,
                person,
                ..Refusal::of(reason)
            });
        };
        // The chain, validity and revocation first: a weak key of an unknown CA is
        // refused as an unknown CA.
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
            .inspect_err(|error| record(reason_for(error)))?;
        check_client_profile(end_entity.as_ref()).map_err(|problem| {
            tracing::warn!(%problem, "refused a client certificate that breaks the profile");
            record(problem.reason());
            problem.tls_error()
        })?;
        Ok(verified)
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
    static SEEN: IdentityMemo = IdentityMemo::new(IdentityMemo::MAX);
    SEEN.identity(leaf.as_ref())
}

/// The identities of the certificates seen lately, by their DER bytes. A coordinator's
/// client makes every call over one connection with one certificate, and parsing it
/// again for each call was about 1 % of the hub's CPU per case file (issue 20). Only
/// the certificate's own bytes are remembered, and the same bytes always assert the
/// same identity: whether the certificate is still trusted (validity, revocation) is
/// the handshake's check, and what the identity may do is looked up in the registry
/// for every call, as before. Certificates whose identity cannot be read are not
/// remembered (they are parsed each time, as they are rare); those of identities the
/// registry does not know or refuses are, as the registry is asked every time.
struct IdentityMemo {
    seen: std::sync::Mutex<Option<std::collections::HashMap<Box<[u8]>, CertIdentity>>>,
    max: usize,
}

impl IdentityMemo {
    /// Certificates remembered at most (about 2 MB with this project's certificates of
    /// 1 to 2 KB): the hub's people and agents, many times over. When full, the memo
    /// starts again.
    const MAX: usize = 1024;

    const fn new(max: usize) -> IdentityMemo {
        IdentityMemo {
            seen: std::sync::Mutex::new(None),
            max,
        }
    }

    fn identity(&self, der: &[u8]) -> Result<CertIdentity, IdentityError> {
        let lock = || self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = lock().as_ref().and_then(|seen| seen.get(der)) {
            return Ok(known.clone());
        }
        let identity = identity_from_der(der)?;
        let mut seen = lock();
        let seen = seen.get_or_insert_with(Default::default);
        if seen.len() >= self.max {
            seen.clear();
        }
        seen.insert(der.into(), identity.clone());
        Ok(identity)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |seen| seen.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject as _;
    use std::time::Duration;
    use treiter_certs_dev::{Layout, Options};

    fn pki(dir: &Path) -> Layout {
        treiter_certs_dev::generate(
            dir,
            &Options {
                test_certs: true,
                now: time::OffsetDateTime::now_utc(),
                force: false,
            },
        )
        .expect("pki")
    }

    fn settings(layout: &Layout, anchor: PathBuf, crl: Option<PathBuf>) -> TlsSettings {
        TlsSettings {
            cert: layout.hub_cert(),
            key: layout.hub_key(),
            key_passphrase: treiter_proto::tls::KeyPassphrase::none("tls.key_passphrase"),
            trust_anchors: vec![TrustAnchor { cert: anchor, crl }],
            handshake_timeout: Duration::from_secs(5),
        }
    }

    fn build(settings: &TlsSettings) -> Result<rustls::ServerConfig, TlsSetupError> {
        server_config(settings, Arc::new(Refusals::default()))
    }

    #[cfg(unix)]
    #[test]
    fn an_encrypted_hub_key_opens_with_tls_key_passphrase() {
        use pkcs8::der::Decode as _;
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        let pem = std::fs::read_to_string(layout.hub_key()).unwrap();
        let (_, doc) = pkcs8::der::Document::from_pem(&pem).unwrap();
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            2048,
            b"synthetic-salt16",
            [3u8; 16],
        )
        .unwrap();
        let encrypted = pkcs8::PrivateKeyInfoRef::from_der(doc.as_bytes())
            .unwrap()
            .encrypt_with_params(params, "hub test passphrase")
            .unwrap()
            .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::der::pem::LineEnding::LF)
            .unwrap();
        let key = dir.path().join("hub.encrypted.key");
        let pass = dir.path().join("hub.key.pass");
        for (path, text) in [(&key, encrypted.as_str()), (&pass, "hub test passphrase\n")] {
            std::fs::write(path, text).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut settings = settings(&layout, layout.ca_cert(), Some(layout.ca_crl()));
        settings.key = key;
        let err = build(&settings).unwrap_err().to_string();
        assert!(err.contains("is encrypted"), "{err}");
        assert!(err.contains("tls.key_passphrase"), "{err}");
        settings.key_passphrase.source = treiter_proto::keyfile::PassphraseSource::File(pass);
        build(&settings).expect("the hub's encrypted key opens with its passphrase");
    }

    #[test]
    fn the_dev_pki_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        build(&settings(&layout, layout.ca_cert(), Some(layout.ca_crl()))).expect("accepted");
    }

    #[test]
    fn a_crl_whose_signature_does_not_verify_is_refused_naming_the_crl_and_the_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        let pem = std::fs::read(layout.ca_crl()).unwrap();
        let mut der = rustls::pki_types::CertificateRevocationListDer::from_pem_slice(&pem)
            .unwrap()
            .as_ref()
            .to_vec();
        // The signature is the last element of the CRL: change its last byte.
        if let Some(last) = der.last_mut() {
            *last ^= 0x01;
        }
        let tampered = dir.path().join("tampered.crl.pem");
        std::fs::write(&tampered, pem_of("X509 CRL", &der)).unwrap();
        let err = build(&settings(&layout, layout.ca_cert(), Some(tampered.clone()))).unwrap_err();
        match &err {
            TlsSetupError::CrlSignature { path, anchor } => {
                assert_eq!(path, &tampered);
                assert_eq!(anchor, &layout.ca_cert());
            }
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("tampered.crl.pem") && text.contains("ca/root.pem"),
            "{text}"
        );
    }

    #[test]
    fn a_crl_of_another_key_under_the_same_ca_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(&dir.path().join("a"));
        // Another dev PKI: its root has the same name and another key.
        let other = pki(&dir.path().join("b"));
        let err = build(&settings(&layout, layout.ca_cert(), Some(other.ca_crl()))).unwrap_err();
        assert!(matches!(err, TlsSetupError::CrlSignature { .. }), "{err:?}");
    }

    #[test]
    fn a_crl_of_another_ca_is_refused_naming_both_names() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        let err = build(&settings(
            &layout,
            layout.other_ca_cert(),
            Some(layout.ca_crl()),
        ))
        .unwrap_err();
        assert!(matches!(err, TlsSetupError::CrlIssuer { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("Treiteraanpak Dev Root CA") && text.contains("Other Dev CA"),
            "{text}"
        );
    }

    #[test]
    fn remembered_identities_are_those_of_the_certificate_bytes_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        let der = |path: PathBuf| CertificateDer::from_pem_file(&path).unwrap().to_vec();
        let gemeente = der(layout.party_cert("gemeente"));
        let politie = der(layout.party_cert("politie"));
        let person = der(layout.person_cert("p-om-010"));
        let memo = IdentityMemo::new(2);
        for _ in 0..2 {
            for cert in [&gemeente, &politie] {
                assert_eq!(
                    memo.identity(cert).unwrap(),
                    identity_from_der(cert).unwrap()
                );
            }
        }
        assert_eq!(memo.len(), 2);
        // A third certificate: the memo starts again rather than grow.
        assert_eq!(
            memo.identity(&person).unwrap(),
            identity_from_der(&person).unwrap()
        );
        assert!(matches!(
            memo.identity(&person).unwrap(),
            CertIdentity::Person { .. }
        ));
        assert_eq!(memo.len(), 1);
        // Bytes that are not a certificate are refused each time and not remembered.
        let mut broken = politie.clone();
        broken.truncate(broken.len() / 2);
        memo.identity(&broken).unwrap_err();
        memo.identity(&broken).unwrap_err();
        assert_eq!(memo.len(), 1);
        // One byte changed (in the signature, so it still parses) is another entry.
        let mut other = gemeente.clone();
        let last = other.len() - 1;
        other[last] ^= 1;
        assert_eq!(memo.identity(&other).ok(), identity_from_der(&other).ok());
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn a_leaf_certificate_cannot_be_a_trust_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let layout = pki(dir.path());
        for leaf in [layout.party_cert("gemeente"), layout.hub_cert()] {
            let err = build(&settings(&layout, leaf.clone(), None)).unwrap_err();
            match &err {
                TlsSetupError::TrustAnchor { path, detail } => {
                    assert_eq!(path, &leaf);
                    assert!(detail.contains("not a CA certificate"), "{detail}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    fn pem_of(label: &str, der: &[u8]) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }
}
