//! A generated corpus of hostile client certificates (issue 22), each presented to a
//! real hub by an agent, and each asserted refused under the reason the hub counts
//! (`treiter_hub::refusals`); and the agent's own start-up checks
//! (`treiter_node_agent::tls::{own_certificate, check_chain}`) asserted to refuse the
//! same certificate wherever the agent can know (it has no CRL and leaves expiry to the
//! hub). The README's table "Which client certificates are accepted" is this corpus in
//! words; keep the two in step.
//!
//! The corpus has its own root ("Corpus Root CA", without a path length limit, with an
//! empty CRL), trusted by the hub beside the dev CA, so that chains with intermediates
//! can be built; the dev CA allows none (path length 0).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CustomExtension, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, GeneralSubtree,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, NameConstraints, SanType, SerialNumber,
    SigningKey,
};
use treiter_hub::refusals::RefusalReason;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::Agent;

use super::{Kind, tally};
use crate::support::{Pki, TestHub, agent_config_text, wait_until};

const GEMEENTE_OIN: &str = "00000001000000000001";

/// What the hub must do with a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hub {
    Accepts,
    Refuses(RefusalReason),
}

/// Whether the agent's own checks refuse it at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgentCheck {
    Accepts,
    Refuses,
}

struct Case {
    name: &'static str,
    /// The chain as PEM: the leaf first, then any intermediates.
    chain: String,
    /// The private key, PEM.
    key: String,
    hub: Hub,
    agent: AgentCheck,
}

fn dn(oin: Option<DnValue>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString(PrintableString::try_from("NL").expect("nl")),
    );
    dn.push(DnType::OrganizationName, "Gemeente Amsterdam (synthetisch)");
    dn.push(DnType::CommonName, "corpus node agent");
    if let Some(oin) = oin {
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), oin);
    }
    dn
}

fn printable(s: &str) -> DnValue {
    DnValue::PrintableString(PrintableString::try_from(s).expect("printable"))
}

/// A client certificate of the gemeente that the hub accepts, as parameters to vary.
fn leaf_params(serial: u64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(Some(printable(GEMEENTE_OIN)));
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(SerialNumber::from(serial));
    params
}

fn ca_params(name: &str, serial: u64) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::OrganizationName,
        "Treiteraanpak corpus (synthetisch)",
    );
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    params.serial_number = Some(SerialNumber::from(serial));
    params
}

// ---------------------------------------------------------------- DER surgery

/// The length of a DER element's header and its content length, at `at`.
fn header(der: &[u8], at: usize) -> (usize, usize) {
    let first = der[at + 1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = der[at + 2..at + 2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    (2 + n, len)
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(u8::try_from(len).expect("short length"));
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).expect("length of length"));
        out.extend(bytes);
    }
}

fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    encode_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

/// A certificate whose to-be-signed part was changed by `patch` (same length or not)
/// and signed again by `signer`: what a CA that signs whatever it is given would issue.
/// `outer_algorithm` replaces the outer signatureAlgorithm when given.
fn resigned(
    der: &[u8],
    signer: &KeyPair,
    patch: impl FnOnce(&mut Vec<u8>),
    outer_algorithm: Option<Vec<u8>>,
) -> Vec<u8> {
    let (outer_header, _) = header(der, 0);
    let tbs_at = outer_header;
    let (tbs_header, tbs_len) = header(der, tbs_at);
    let tbs_end = tbs_at + tbs_header + tbs_len;
    let (alg_header, alg_len) = header(der, tbs_end);
    let alg_end = tbs_end + alg_header + alg_len;
    let mut tbs = der[tbs_at..tbs_end].to_vec();
    patch(&mut tbs);
    // Fix the tbs SEQUENCE's own length after a patch that changed it.
    let (h, _) = header(&tbs, 0);
    let tbs = element(0x30, &tbs[h..]);
    let signature = signer.sign(&tbs).expect("sign");
    let mut bits = vec![0u8];
    bits.extend(signature);
    let mut body = tbs;
    body.extend(outer_algorithm.unwrap_or_else(|| der[tbs_end..alg_end].to_vec()));
    body.extend(element(0x03, &bits));
    element(0x30, &body)
}

fn replace_first(haystack: &mut [u8], needle: &[u8], with: &[u8]) -> bool {
    assert_eq!(needle.len(), with.len(), "a same-length patch");
    match haystack.windows(needle.len()).position(|w| w == needle) {
        Some(at) => {
            haystack[at..at + needle.len()].copy_from_slice(with);
            true
        }
        None => false,
    }
}

fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// ecdsa-with-SHA256 (1.2.840.10045.4.3.2) and ecdsa-with-SHA512 (…4.3.4), as DER OIDs.
const ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA512: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
/// commonName (2.5.4.3) and serialNumber (2.5.4.5) attribute types, as DER OIDs.
const CN: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
const SERIAL_NUMBER: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x05];

// ---------------------------------------------------------------- the corpus

struct Corpus {
    root: CertifiedIssuer<'static, KeyPair>,
    root_key: KeyPair,
    /// A second trust anchor, name-constrained to gemeente.test: its certificate and
    /// issuer.
    constrained: (String, Issuer<'static, KeyPair>),
    serial: u64,
}

impl Corpus {
    fn new() -> Corpus {
        let root_key = KeyPair::generate().expect("key");
        let root = CertifiedIssuer::self_signed(
            ca_params("Corpus Root CA", 1),
            KeyPair::from_pem(&root_key.serialize_pem()).expect("key"),
        )
        .expect("root");
        let mut params = ca_params("Corpus Constrained CA", 2);
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("gemeente.test".into())],
            excluded_subtrees: Vec::new(),
        });
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("constrained CA");
        let constrained = (cert.pem(), Issuer::new(params, key));
        Corpus {
            root,
            root_key,
            constrained,
            serial: 100,
        }
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// A leaf from `params`, signed by the corpus root.
    fn leaf(&mut self, params: CertificateParams) -> (String, KeyPair) {
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &*self.root).expect("sign");
        (cert.pem(), key)
    }

    /// An intermediate CA from `params` under the root, and its issuer.
    fn intermediate(&mut self, params: CertificateParams) -> (String, Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().expect("key");
        let cert = params.clone().signed_by(&key, &*self.root).expect("sign");
        (cert.pem(), Issuer::new(params, key))
    }

    fn cases(&mut self) -> Vec<Case> {
        let mut cases = Vec::new();
        let mut case = |name, (chain, key): (String, KeyPair), hub, agent| {
            cases.push(Case {
                name,
                chain,
                key: key.serialize_pem(),
                hub,
                agent,
            })
        };
        use AgentCheck as A;
        use Hub::{Accepts, Refuses};
        use RefusalReason as R;

        // The control: the profile itself is accepted under the corpus root.
        let s = self.next_serial();
        case("control", self.leaf(leaf_params(s)), Accepts, A::Accepts);

        // Two serialNumber attributes (the CN made a second one, same length, signed
        // again by the root).
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params
            .distinguished_name
            .push(DnType::CommonName, printable("00000002000000000002"));
        let key = KeyPair::generate().expect("key");
        let der = params
            .signed_by(&key, &*self.root)
            .expect("sign")
            .der()
            .to_vec();
        let der = resigned(
            &der,
            &self.root_key,
            |tbs| {
                // The subject's CN (the issuer's name has one too: take the last).
                let at = tbs
                    .windows(CN.len())
                    .rposition(|w| w == CN)
                    .expect("a CN in the subject");
                tbs[at..at + CN.len()].copy_from_slice(SERIAL_NUMBER);
            },
            None,
        );
        case(
            "two-serial-numbers",
            (pem(&der), key),
            Refuses(R::MalformedOin),
            A::Refuses,
        );

        // The OIN only in a subjectAltName, none in the subject.
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params.distinguished_name = dn(None);
        params.subject_alt_names = vec![
            SanType::URI(Ia5String::try_from(format!("urn:oin:{GEMEENTE_OIN}")).expect("uri")),
            SanType::DnsName(
                Ia5String::try_from(format!("{GEMEENTE_OIN}.oin.treiter.test")).expect("dns"),
            ),
        ];
        case(
            "oin-only-in-a-san",
            self.leaf(params),
            Refuses(R::MalformedOin),
            A::Refuses,
        );

        // Unicode digits that look like an OIN: Arabic-Indic and fullwidth.
        for (name, digits) in [
            ("arabic-indic-digits", '\u{0660}'),
            ("fullwidth-digits", '\u{ff10}'),
        ] {
            let oin: String = GEMEENTE_OIN
                .chars()
                .map(|c| char::from_u32(digits as u32 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect();
            let s = self.next_serial();
            let mut params = leaf_params(s);
            params.distinguished_name = dn(Some(DnValue::Utf8String(oin)));
            case(
                name,
                self.leaf(params),
                Refuses(R::MalformedOin),
                A::Refuses,
            );
        }
        // An OIN of 20 digits with a trailing space (PrintableString allows it).
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params.distinguished_name = dn(Some(printable(&format!("{GEMEENTE_OIN} "))));
        case(
            "oin-with-a-trailing-space",
            self.leaf(params),
            Refuses(R::MalformedOin),
            A::Refuses,
        );

        // A CA certificate used as the client's own.
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ];
        case(
            "ca-as-leaf",
            self.leaf(params),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        // A forged issuer: a CA of its own with the root's very name and an
        // authority key id that is not the root's.
        let forged_key = KeyPair::generate().expect("key");
        let forged = Issuer::new(ca_params("Corpus Root CA", 1), forged_key);
        let s = self.next_serial();
        let key = KeyPair::generate().expect("key");
        let cert = leaf_params(s).signed_by(&key, &forged).expect("sign");
        // webpki finds the root by name and its signature fails: bad-certificate.
        case(
            "forged-issuer",
            (cert.pem(), key),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        // An intermediate that expired yesterday, and a leaf it signed while valid.
        let s = self.next_serial();
        let mut params = ca_params("Corpus Expired Intermediate", s);
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
        params.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        let (intermediate, issuer) = self.intermediate(params);
        let s = self.next_serial();
        let key = KeyPair::generate().expect("key");
        let leaf = leaf_params(s).signed_by(&key, &issuer).expect("sign");
        case(
            "expired-intermediate",
            (leaf.pem() + &intermediate, key),
            Refuses(R::Expired),
            // The agent leaves expiry to the hub (it reports it with the date).
            A::Accepts,
        );

        // A leaf under an intermediate the hub has no CRL for: its revocation status
        // is unknown, and the hub refuses it (a trust anchor must be the issuing CA,
        // with its CRL).
        let s = self.next_serial();
        let (intermediate, issuer) = self.intermediate(ca_params("Corpus Intermediate", s));
        let s = self.next_serial();
        let key = KeyPair::generate().expect("key");
        let leaf = leaf_params(s).signed_by(&key, &issuer).expect("sign");
        case(
            "valid-chain-through-an-intermediate",
            (leaf.pem() + &intermediate, key),
            Refuses(R::UnknownRevocationStatus),
            A::Accepts,
        );

        // A trust anchor constrained to names under gemeente.test (the anchor is
        // [`Corpus::constrained`], with its CRL), and a leaf for another name.
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params.subject_alt_names = vec![SanType::DnsName(
            Ia5String::try_from("agent.evil.test").expect("dns"),
        )];
        let key = KeyPair::generate().expect("key");
        let leaf = params.signed_by(&key, &self.constrained.1).expect("sign");
        case(
            "name-constraint-violation",
            (leaf.pem(), key),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        // A wrong signature algorithm: the outer algorithm differs from the signed one,
        // and both say one (ECDSA P-256 with SHA-512) the hub does not verify.
        let s = self.next_serial();
        let key = KeyPair::generate().expect("key");
        let der = leaf_params(s)
            .signed_by(&key, &*self.root)
            .expect("sign")
            .der()
            .to_vec();
        // The outer signatureAlgorithm: SEQUENCE { ecdsa-with-SHA512 }.
        let alg = element(0x30, ECDSA_SHA512);
        let mismatch = resigned(&der, &self.root_key, |_| {}, Some(alg.clone()));
        case(
            "signature-algorithm-mismatch",
            (pem(&mismatch), key),
            Refuses(R::BadCertificate),
            A::Refuses,
        );
        let s = self.next_serial();
        let key = KeyPair::generate().expect("key");
        let der = leaf_params(s)
            .signed_by(&key, &*self.root)
            .expect("sign")
            .der()
            .to_vec();
        let unsupported = resigned(
            &der,
            &self.root_key,
            |tbs| assert!(replace_first(tbs, ECDSA_SHA256, ECDSA_SHA512)),
            Some(alg),
        );
        case(
            "unsupported-signature-algorithm",
            (pem(&unsupported), key),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        // Duplicate extensions: a second extendedKeyUsage (clientAuth again).
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[2, 5, 29, 37],
                vec![
                    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
                ],
            ));
        case(
            "duplicate-extension",
            self.leaf(params),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        // A huge certificate: 100 kB in a private extension, past what a TLS
        // handshake message may carry.
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 99999, 1],
                element(0x04, &vec![0x41; 100_000]),
            ));
        case(
            "huge-certificate",
            self.leaf(params),
            Refuses(R::Handshake),
            A::Refuses,
        );

        // A person certificate's shape with an empty UID.
        let s = self.next_serial();
        let mut params = leaf_params(s);
        params.distinguished_name.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]),
            "",
        );
        // The hub has no reason word of its own for a bad UID: bad-certificate.
        case(
            "empty-person-id",
            self.leaf(params),
            Refuses(R::BadCertificate),
            A::Refuses,
        );

        cases
    }

    /// An empty CRL of `issuer`, for the hub's trust anchor.
    fn crl(issuer: &Issuer<'_, KeyPair>) -> String {
        CertificateRevocationListParams {
            this_update: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
            next_update: time::OffsetDateTime::now_utc() + time::Duration::days(30),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(issuer)
        .expect("crl")
        .pem()
        .expect("crl pem")
    }
}

fn write_key(path: &Path, key: &str) {
    std::fs::write(path, key).expect("write key");
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod key");
}

/// The agent's configuration for `cert` and `key`, trusting the dev CA and the corpus
/// root.
fn agent_text(pki: &Pki, hub: &TestHub, cert: &Path, key: &Path, root: &Path) -> String {
    let ca = pki.layout.ca_cert().display().to_string();
    agent_config_text(pki, cert, key, hub.addr).replace(
        &format!("trust_anchors = [\"{ca}\"]"),
        &format!(
            "trust_anchors = [\"{ca}\", \"{}\", \"{}\"]",
            root.display(),
            root.with_file_name("constrained.pem").display()
        ),
    )
}

/// Presents `chain` (PEM) with `key` in a TLS 1.3 handshake with the hub, with no
/// check of the client's own; `Err` when the hub ends the connection with an alert.
async fn present_raw(pki: &Pki, hub: &TestHub, chain: &str, key: &str) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = treiter_proto::tls::provider();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("pem: {e}"))?;
    let der = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| format!("key: {e}"))?;
    // A key ring cannot sign with (RSA under 2048 bits) is presented with a signer
    // that never signs for real: the hub judges the certificate first.
    let signing = provider
        .key_provider
        .load_private_key(der)
        .unwrap_or_else(|_| Arc::new(crate::refusal::NeverSigningKey));
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(pki.layout.ca_cert()).expect("ca") {
        roots.add(ca.expect("ca")).expect("root");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("tls 1.3")
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(crate::refusal::PresentCertificate(Arc::new(
            rustls::sign::CertifiedKey::new(certs, signing),
        ))));
    tls.alpn_protocols = vec![b"h2".to_vec()];
    let mut stream = crate::support::raw_tls(Arc::new(tls), hub.addr)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    // TLS 1.3: the client's handshake is done before the hub judges its certificate;
    // the verdict arrives as an alert on the first read.
    use tokio::io::AsyncWriteExt as _;
    let _ = stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
    match crate::support::read_until_closed(&mut stream).await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("refused: {e}")),
    }
}

/// What the agent's own start-up checks say about its certificate.
fn agent_check(config: &AgentConfig) -> Result<(), String> {
    let own = treiter_node_agent::tls::own_certificate(&config.cert).map_err(|e| e.to_string())?;
    treiter_node_agent::tls::check_chain(config).map_err(|e| e.to_string())?;
    let covenant =
        treiter_policies::Covenant::parse("covenant", treiter_policies::TREITERAANPAK_COVENANT)
            .map_err(|e| format!("{e:?}"))?;
    treiter_node_agent::tls::check_party(config, &own.oin, &covenant).map_err(|e| e.to_string())
}

/// The dev PKI's broken test certificates (`certs-dev`, each with its own test in
/// `refusal.rs`), in the corpus too, so the table counts every kind.
fn dev_test_certs(pki: &Pki) -> Vec<Case> {
    use treiter_certs_dev::TestCert as T;
    use treiter_hub::refusals::RefusalReason as R;
    let expected = |which: T| match which {
        // The agent leaves validity to the hub, and has no CRL.
        T::Expired => (R::Expired, AgentCheck::Accepts),
        T::NotYetValid => (R::NotYetValid, AgentCheck::Refuses),
        T::WrongCa => (R::UnknownCa, AgentCheck::Refuses),
        T::Revoked => (R::Revoked, AgentCheck::Accepts),
        T::MalformedOin => (R::MalformedOin, AgentCheck::Refuses),
        T::UnknownOin => (R::NotAParty, AgentCheck::Refuses),
        T::NoOin => (R::MalformedOin, AgentCheck::Refuses),
        T::NoClientAuth => (R::NotForClientAuth, AgentCheck::Refuses),
        T::NoDigitalSignature => (R::KeyUsageWithoutDigitalSignature, AgentCheck::Refuses),
        T::WeakRsa => (R::WeakKey, AgentCheck::Refuses),
    };
    T::ALL
        .into_iter()
        .map(|which| {
            let (cert, key) = pki.test_cert(which);
            let (reason, agent) = expected(which);
            Case {
                name: which.name(),
                chain: std::fs::read_to_string(cert).expect("test cert"),
                key: std::fs::read_to_string(key).expect("test key"),
                hub: Hub::Refuses(reason),
                agent,
            }
        })
        .collect()
}

fn grew(
    before: &BTreeMap<RefusalReason, u64>,
    after: &BTreeMap<RefusalReason, u64>,
) -> Vec<RefusalReason> {
    after
        .iter()
        .filter(|(reason, n)| before.get(reason).copied().unwrap_or(0) < **n)
        .map(|(reason, _)| *reason)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_client_certificate_is_refused_under_its_counted_reason() {
    let pki = Pki::new();
    let dir: PathBuf = pki.dir.path().join("corpus");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut corpus = Corpus::new();
    let root = dir.join("root.pem");
    std::fs::write(&root, corpus.root.pem()).expect("root");
    std::fs::write(dir.join("root.crl.pem"), Corpus::crl(&corpus.root)).expect("crl");
    // The constrained CA's file also holds the root, so one agent setting trusts both.
    std::fs::write(dir.join("constrained.pem"), &corpus.constrained.0).expect("anchor");
    std::fs::write(
        dir.join("constrained.crl.pem"),
        Corpus::crl(&corpus.constrained.1),
    )
    .expect("crl");
    let mut anchors = String::new();
    for name in ["root", "constrained"] {
        anchors.push_str(&format!(
            "\n[[trust_anchor]]\ncert = \"{}\"\ncrl = \"{}\"\n",
            dir.join(format!("{name}.pem")).display(),
            dir.join(format!("{name}.crl.pem")).display()
        ));
    }
    let data_dir = pki.dir.path().join("hub-data-corpus");
    let hub = TestHub::start_in(
        &pki,
        "127.0.0.1:0".parse().expect("addr"),
        &data_dir,
        &anchors,
    )
    .await;

    let mut cases = corpus.cases();
    cases.extend(dev_test_certs(&pki));
    let mut wrong = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let cert = dir.join(format!("{n:02}-{}.pem", case.name));
        let key = dir.join(format!("{n:02}-{}.key", case.name));
        // Each attempt from a fresh hub state would be slower; the refusal counts are
        // compared before and after instead, one attempt at a time.
        std::fs::write(&cert, &case.chain).expect("write cert");
        write_key(&key, &case.key);
        let text = agent_text(&pki, &hub, &cert, &key, &root);
        let config = AgentConfig::parse(&text, Path::new("/")).expect("agent config");

        // The agent's own checks.
        let agent = agent_check(&config);
        match (case.agent, &agent) {
            (AgentCheck::Accepts, Ok(())) | (AgentCheck::Refuses, Err(_)) => {}
            (expected, got) => wrong.push(format!(
                "{}: the agent's checks: expected {expected:?}, got {got:?}",
                case.name
            )),
        }

        // The hub.
        let before = hub.hub.refusals.counts();
        let linked = match Agent::new(config) {
            Ok(agent) => tokio::time::timeout(Duration::from_secs(20), agent.connect_once())
                .await
                .map(|r| r.map(|_| ()).map_err(|e| e.to_string())),
            // The agent's TLS stack will not even load it: present it with a client
            // that sends whatever it is given, as an attacker's would.
            Err(_) => Ok(present_raw(&pki, &hub, &case.chain, &case.key).await),
        };
        let refusals = hub.hub.refusals.clone();
        let counted = match case.hub {
            Hub::Accepts => Vec::new(),
            Hub::Refuses(_) => {
                wait_until(Duration::from_secs(5), || refusals.counts() != before).await;
                grew(&before, &refusals.counts())
            }
        };
        match (case.hub, linked) {
            (Hub::Accepts, Ok(Ok(()))) => {}
            (Hub::Refuses(reason), Ok(Err(_))) if counted == [reason] => {}
            (expected, got) => wrong.push(format!(
                "{}: the hub: expected {expected:?}, got {got:?}, counted {counted:?}",
                case.name
            )),
        }
    }
    let refused = cases
        .iter()
        .filter(|c| matches!(c.hub, Hub::Refuses(_)))
        .count();
    // The README's table names every certificate of the corpus.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../hub/README.md"))
            .expect("hub/README.md");
    for case in &cases {
        if !readme.contains(&format!("`{}`", case.name)) {
            wrong.push(format!(
                "{}: not in hub/README.md's table of accepted certificates",
                case.name
            ));
        }
    }
    tally(
        "certificate-corpus",
        Kind::Certificates,
        cases.len() as u64,
        wrong.len() as u64,
        0,
    );
    assert!(
        refused >= 25,
        "the corpus has {refused} hostile certificates"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    hub.stop().await;
}
