//! One test per refused identity (articles 2.2, 2.3, 12.1). Each asserts what the agent
//! is told (its `LinkError`) and what the hub recorded (its `RefusalReason`): with TLS
//! 1.3 an expired and a not-yet-valid certificate look the same to the client, so only
//! the hub's record tells them apart. Certificates that chain to the root but break the
//! client profile (no clientAuth, no digitalSignature, a weak RSA key) and certificates
//! of the wrong kind for an API are each counted under their own reason.

use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use treiter_certs_dev::TestCert;
use treiter_hub::refusals::{Refusal, RefusalReason};
use treiter_node_agent::link::{Agent, CertificateRefusal, LinkError};
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::{AgentMessage, Hello, agent_message};

use crate::support::{Pki, TestHub, agent_config, wait_until};

const GEMEENTE_OIN: &str = "00000001000000000001";

/// Tries to link with a test certificate; returns the agent's error and the hub's
/// first refusal record.
async fn try_link(
    pki: &Pki,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> (LinkError, Refusal) {
    let hub = TestHub::start(pki).await;
    let agent = Agent::new(agent_config(pki, cert, key, hub.addr)).expect("agent config");
    let error = agent
        .connect_once()
        .await
        .expect_err("the hub must refuse this certificate");
    let refusals = hub.hub.refusals.clone();
    assert!(
        wait_until(Duration::from_secs(5), || !refusals.recent().is_empty()).await,
        "the hub recorded no refusal"
    );
    // One attempt is one connection: no hidden reconnects behind the agent's backoff.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(refusals.recent().len(), 1, "one attempt, one refusal");
    let recorded = refusals.recent().remove(0);
    assert!(
        hub.hub
            .agents
            .snapshot(&hub.hub.parties.current())
            .iter()
            .all(|a| !a.connected()),
        "a refused agent must not be listed as connected"
    );
    hub.stop().await;
    (error, recorded)
}

async fn try_test_cert(which: TestCert) -> (LinkError, Refusal) {
    let pki = Pki::new();
    let (cert, key) = pki.test_cert(which);
    try_link(&pki, &cert, &key).await
}

#[tokio::test]
async fn expired_certificate_is_refused_as_expired() {
    let (error, refusal) = try_test_cert(TestCert::Expired).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::ExpiredOrNotYetValid)
        ),
        "{error}"
    );
    assert_eq!(refusal.reason, RefusalReason::Expired);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
}

#[tokio::test]
async fn not_yet_valid_certificate_is_refused_as_not_yet_valid() {
    let (error, refusal) = try_test_cert(TestCert::NotYetValid).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::ExpiredOrNotYetValid)
        ),
        "{error}"
    );
    assert_eq!(refusal.reason, RefusalReason::NotYetValid);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
}

#[tokio::test]
async fn certificate_of_another_ca_is_refused_as_unknown_ca() {
    let (error, refusal) = try_test_cert(TestCert::WrongCa).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::UnknownCa)
        ),
        "{error}"
    );
    assert_eq!(refusal.reason, RefusalReason::UnknownCa);
}

#[tokio::test]
async fn revoked_certificate_is_refused_as_revoked() {
    let (error, refusal) = try_test_cert(TestCert::Revoked).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::Revoked)
        ),
        "{error}"
    );
    assert_eq!(refusal.reason, RefusalReason::Revoked);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
}

#[tokio::test]
async fn malformed_oin_is_refused_by_the_hub() {
    let (error, refusal) = try_test_cert(TestCert::MalformedOin).await;
    match &error {
        LinkError::Refused { code, message } => {
            assert_eq!(*code, Code::Unauthenticated);
            assert!(
                message.contains("expected exactly 20 digits, found 5"),
                "{message}"
            );
        }
        other => panic!("expected a refusal by the hub, got {other}"),
    }
    assert_eq!(refusal.reason, RefusalReason::MalformedOin);
}

#[tokio::test]
async fn certificate_without_oin_is_refused_by_the_hub() {
    let (error, refusal) = try_test_cert(TestCert::NoOin).await;
    match &error {
        LinkError::Refused { code, message } => {
            assert_eq!(*code, Code::Unauthenticated);
            assert!(message.contains("no serialNumber"), "{message}");
        }
        other => panic!("expected a refusal by the hub, got {other}"),
    }
    assert_eq!(refusal.reason, RefusalReason::MalformedOin);
}

#[tokio::test]
async fn oin_that_is_not_a_party_is_refused_under_article_2_3() {
    let (error, refusal) = try_test_cert(TestCert::UnknownOin).await;
    match &error {
        LinkError::Refused { code, message } => {
            assert_eq!(*code, Code::PermissionDenied);
            assert!(
                message.contains(treiter_certs_dev::UNKNOWN_OIN) && message.contains("article 2.3"),
                "{message}"
            );
        }
        other => panic!("expected a refusal by the hub, got {other}"),
    }
    assert_eq!(refusal.reason, RefusalReason::NotAParty);
    assert_eq!(refusal.oin.as_deref(), Some(treiter_certs_dev::UNKNOWN_OIN));
}

#[tokio::test]
async fn person_certificate_cannot_open_an_agent_link() {
    let pki = Pki::new();
    let (cert, key) = pki.person("p-gemeente-004");
    let (error, refusal) = try_link(&pki, &cert, &key).await;
    match &error {
        LinkError::Refused { code, message } => {
            assert_eq!(*code, Code::PermissionDenied);
            assert!(message.contains("organisation certificate"), "{message}");
        }
        other => panic!("expected a refusal by the hub, got {other}"),
    }
    assert_eq!(refusal.reason, RefusalReason::PersonCertificateOnAgentLink);
    assert_eq!(refusal.person.as_deref(), Some("p-gemeente-004"));
}

#[tokio::test]
async fn organisation_certificate_cannot_call_the_coordinator_api() {
    use treiter_proto::v1::WhoAmIRequest;
    use treiter_proto::v1::coordinator_client::CoordinatorClient;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let channel = crate::support::party_channel(&pki, "gemeente", hub.addr).await;
    let status = CoordinatorClient::new(channel)
        .who_am_i(WhoAmIRequest::default())
        .await
        .expect_err("an organisation certificate names no person");
    assert_eq!(status.code(), Code::PermissionDenied, "{status}");
    assert!(status.message().contains("person certificate"), "{status}");
    let refusals = hub.hub.refusals.recent();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(
        refusals[0].reason,
        RefusalReason::OrganisationCertificateForPerson
    );
    assert_eq!(refusals[0].oin.as_deref(), Some(GEMEENTE_OIN));
    assert_eq!(
        hub.hub
            .refusals
            .counts()
            .get(&RefusalReason::OrganisationCertificateForPerson),
        Some(&1)
    );
    hub.stop().await;
}

#[tokio::test]
async fn certificate_without_client_auth_usage_is_refused_as_not_for_client_auth() {
    let (error, refusal) = try_test_cert(TestCert::NoClientAuth).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::NotForClientAuth)
        ),
        "{error}"
    );
    assert_eq!(refusal.reason, RefusalReason::NotForClientAuth);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
}

#[tokio::test]
async fn certificate_whose_key_usage_lacks_digital_signature_is_refused() {
    let (error, refusal) = try_test_cert(TestCert::NoDigitalSignature).await;
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::NotForClientAuth)
        ),
        "{error}"
    );
    assert_eq!(
        refusal.reason,
        RefusalReason::KeyUsageWithoutDigitalSignature
    );
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
}

/// A client key that never signs for real: the hub must refuse the certificate (its
/// RSA-1024 key) before it sees the handshake signature. ring cannot sign with an RSA
/// key under 2048 bits, so the test's client cannot make a real one.
#[derive(Debug)]
pub(crate) struct NeverSigningKey;

#[derive(Debug)]
struct ZeroSigner;

impl rustls::sign::SigningKey for NeverSigningKey {
    fn choose_scheme(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<Box<dyn rustls::sign::Signer>> {
        offered
            .contains(&rustls::SignatureScheme::RSA_PSS_SHA256)
            .then(|| Box::new(ZeroSigner) as Box<dyn rustls::sign::Signer>)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::RSA
    }
}

impl rustls::sign::Signer for ZeroSigner {
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        Ok(vec![0; 128])
    }

    fn scheme(&self) -> rustls::SignatureScheme {
        rustls::SignatureScheme::RSA_PSS_SHA256
    }
}

#[derive(Debug)]
pub(crate) struct PresentCertificate(pub(crate) Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for PresentCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn certificate_with_a_weak_rsa_key_is_refused_as_weak_key() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, _key) = pki.test_cert(TestCert::WeakRsa);
    let chain = treiter_proto::tls::load_certs(&cert).expect("weak-rsa certificate");
    let mut roots = rustls::RootCertStore::empty();
    for ca in treiter_proto::tls::load_certs(&pki.layout.ca_cert()).expect("ca") {
        roots.add(ca).expect("root");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(treiter_proto::tls::provider())
        .with_protocol_versions(treiter_proto::tls::PROTOCOL_VERSIONS)
        .expect("tls 1.3")
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(PresentCertificate(Arc::new(
            rustls::sign::CertifiedKey::new(chain, Arc::new(NeverSigningKey)),
        ))));
    tls.alpn_protocols = vec![treiter_proto::tls::ALPN_H2.to_vec()];
    let mut stream = crate::support::raw_tls(Arc::new(tls), hub.addr)
        .await
        .expect("TLS 1.3 completes on the client's side before the hub judges it");
    let alert = crate::support::read_until_closed(&mut stream)
        .await
        .expect_err("the hub ends the connection with an alert");
    assert!(alert.to_string().contains("alert"), "{alert}");
    let refusals = hub.hub.refusals.clone();
    assert!(
        wait_until(Duration::from_secs(5), || !refusals.recent().is_empty()).await,
        "the hub recorded no refusal"
    );
    let refusal = refusals.recent().remove(0);
    assert_eq!(refusal.reason, RefusalReason::WeakKey);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
    hub.stop().await;
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut roots = rustls::RootCertStore::empty();
    for cert in treiter_proto::tls::load_certs(&pki.layout.ca_cert()).expect("ca") {
        roots.add(cert).expect("root");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(treiter_proto::tls::provider())
        .with_protocol_versions(treiter_proto::tls::PROTOCOL_VERSIONS)
        .expect("tls 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![treiter_proto::tls::ALPN_H2.to_vec()];
    let endpoint = treiter_node_agent::config::HubEndpoint {
        url: format!("https://{}", hub.addr),
        host: "127.0.0.1".into(),
        port: hub.addr.port(),
    };
    let (channel, alert) =
        treiter_node_agent::tls::channel(&endpoint, Arc::new(tls), Duration::from_secs(5))
            .await
            .expect("TLS 1.3 completes before the server judges the client");
    let hello = AgentMessage {
        body: Some(agent_message::Body::Hello(Hello {
            agent_version: "test".into(),
            ..Default::default()
        })),
    };
    let status = AgentLinkClient::new(channel)
        .link(tokio_stream_once(hello))
        .await
        .expect_err("no certificate, no link");
    assert_eq!(status.code(), Code::Unknown, "{status}");
    assert_eq!(
        *alert.lock().expect("slot"),
        Some(rustls::AlertDescription::CertificateRequired)
    );
    let refusals = hub.hub.refusals.clone();
    assert!(wait_until(Duration::from_secs(5), || !refusals.recent().is_empty()).await);
    assert_eq!(refusals.recent()[0].reason, RefusalReason::NoCertificate);
    hub.stop().await;
}

fn tokio_stream_once(
    message: AgentMessage,
) -> impl tonic::codegen::tokio_stream::Stream<Item = AgentMessage> {
    tonic::codegen::tokio_stream::iter([message])
}

#[tokio::test]
async fn certificates_are_refused_as_crl_expired_once_the_crl_runs_out() {
    use rcgen::{CertificateRevocationListParams, Issuer, KeyIdMethod, KeyPair, SerialNumber};
    let pki = Pki::new();
    // The root's CRL, re-signed to run out a few seconds after the hub starts.
    let ca_pem = std::fs::read_to_string(pki.layout.ca_cert()).expect("ca");
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(pki.layout.ca_key()).expect("key"))
        .expect("ca key");
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).expect("issuer");
    let now = time::OffsetDateTime::now_utc();
    let next_update = now + time::Duration::seconds(3);
    let crl = CertificateRevocationListParams {
        this_update: now - time::Duration::minutes(1),
        next_update,
        crl_number: SerialNumber::from(u64::try_from(now.unix_timestamp()).unwrap_or(0) + 1),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .and_then(|crl| crl.pem())
    .expect("crl");
    std::fs::write(pki.layout.ca_crl(), crl).expect("write crl");
    let hub = TestHub::start(&pki).await;
    // Past the CRL's nextUpdate (a second's margin for the certificate clock's seconds).
    let wait = next_update - time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    tokio::time::sleep(Duration::try_from(wait).unwrap_or(Duration::ZERO)).await;
    let (cert, key) = pki.party("gemeente");
    let agent = Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent config");
    let error = agent
        .connect_once()
        .await
        .expect_err("no certificate of an anchor whose CRL ran out is accepted");
    assert!(
        matches!(
            error,
            LinkError::CertificateRefused(CertificateRefusal::UnknownCa)
        ),
        "{error}"
    );
    let refusals = hub.hub.refusals.clone();
    assert!(wait_until(Duration::from_secs(5), || !refusals.recent().is_empty()).await);
    let refusal = refusals.recent().remove(0);
    assert_eq!(refusal.reason, RefusalReason::CrlExpired);
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
    // The metric hub/README.md says to alert on counts it (issue 22).
    let metrics = hub.hub.metrics.render(&hub.hub);
    assert!(
        metrics.contains("treiter_hub_refusals_total{reason=\"crl-expired\"} 1"),
        "{metrics}"
    );
    hub.stop().await;
}
