//! The connection to the hub: one mTLS HTTP/2 connection with the person's own
//! certificate (`treiter_proto::client`), the coordinator stub on it, one retry after a
//! transport error, and refusals turned into errors that say what to do.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tonic::{Code, Status};
use treiter_proto::client::{self, AlertSlot, ChannelError, HubChannel};
use treiter_proto::identity::{CertIdentity, identity_from_der};
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::hub_status_client::HubStatusClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::Error;
use crate::profile::Profile;
use crate::report;
use crate::when;

/// How long opening the TCP + TLS connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an ordinary call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Hub::probe_alert`] listens for a refusal alert.
const PROBE_LISTEN: Duration = Duration::from_secs(2);
/// The pause before the one retry after a transport error.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The coordinator client as hubctl uses it.
pub type Client = CoordinatorClient<HubChannel>;
/// The privacy-officer client as hubctl uses it.
pub type OfficerClient = PrivacyOfficerClient<HubChannel>;

/// The status client: any authenticated person may call it.
pub type StatusClient = HubStatusClient<HubChannel>;

/// A generated client stub over the hub connection.
pub trait Stub {
    fn on(channel: HubChannel) -> Self;
}

impl Stub for Client {
    fn on(channel: HubChannel) -> Self {
        CoordinatorClient::new(channel)
    }
}

impl Stub for StatusClient {
    fn on(channel: HubChannel) -> Self {
        HubStatusClient::new(channel)
    }
}

impl Stub for OfficerClient {
    fn on(channel: HubChannel) -> Self {
        PrivacyOfficerClient::new(channel)
    }
}

/// When a certificate is valid: from `not_before` up to and including `not_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// The first moment it is valid.
    pub not_before: OffsetDateTime,
    /// The last moment it is valid.
    pub not_after: OffsetDateTime,
}

/// Whether a call may be sent a second time after a transport error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// A read, or a change carrying its `client_request_id`: the hub does it once.
    Once,
    /// A call the hub would carry out again (a bevraging asks the partners again).
    Never,
}

/// A connection to the hub, opened on first use and reopened after a transport error.
pub struct Hub {
    profile: Profile,
    tls: Arc<rustls::ClientConfig>,
    connection: Option<(HubChannel, AlertSlot)>,
    /// Whether a call has succeeded on the current connection (the hub accepted the
    /// certificate).
    proven: bool,
    /// Set while a refusal is being explained with a WhoAmI call, so that a refused
    /// WhoAmI is not explained in turn.
    explaining: bool,
    /// What the commands being run are for, added to a PERMISSION_DENIED explanation
    /// (e.g. "the decision log is for privacy officers").
    refusal_note: Option<&'static str>,
}

impl Hub {
    /// Prepares the TLS configuration from the profile's files (nothing is sent yet).
    pub fn new(profile: Profile) -> Result<Hub, Error> {
        profile.check_files()?;
        let passphrase = treiter_proto::tls::KeyPassphrase {
            source: profile.key_passphrase.clone(),
            setting: "key_passphrase",
            prompt_allowed: true,
        };
        let tls = client::client_config_with(
            &profile.cert,
            &profile.key,
            &passphrase,
            &profile.trust_anchors,
        )
        .map_err(|source| Error::Tls {
            profile: profile.path.clone(),
            setting: setting_of(&profile, &source),
            source,
        })?;
        Ok(Hub {
            profile,
            tls: Arc::new(tls),
            connection: None,
            proven: false,
            explaining: false,
            refusal_note: None,
        })
    }

    /// Another connection for the same person, sharing the checked TLS configuration:
    /// nothing is sent until its first call. The console keeps a few, so that one slow
    /// call (a bevraging waits for the partners) does not hold up a page.
    pub fn fresh(&self) -> Hub {
        Hub {
            profile: self.profile.clone(),
            tls: self.tls.clone(),
            connection: None,
            proven: false,
            explaining: false,
            refusal_note: self.refusal_note,
        }
    }

    /// Adds `note` to the explanation of a PERMISSION_DENIED answer.
    pub fn explain_refusals_with(&mut self, note: &'static str) {
        self.refusal_note = Some(note);
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    async fn connect(&mut self) -> Result<(HubChannel, AlertSlot), Error> {
        if let Some((channel, slot)) = &self.connection {
            return Ok((channel.clone(), slot.clone()));
        }
        let (channel, slot) =
            match client::channel(&self.profile.hub, self.tls.clone(), CONNECT_TIMEOUT).await {
                Ok(opened) => opened,
                Err(e) => {
                    // A hub that answers but whose certificate this profile cannot accept
                    // is not unreachable: say what is wrong with it, and where to fix it.
                    if let Some(why) = self.server_certificate_problem().await {
                        return Err(Error::HubCertificate {
                            url: self.profile.hub.url.clone(),
                            why: self.server_refusal_words(&why),
                        });
                    }
                    return Err(self.unreachable(e));
                }
            };
        self.connection = Some((channel.clone(), slot.clone()));
        self.proven = false;
        Ok((channel, slot))
    }

    /// Connects once more, only to learn why the TLS handshake failed: the rustls error
    /// about the hub's certificate, if that was the reason (the channel's error keeps
    /// only its text).
    async fn server_certificate_problem(&self) -> Option<rustls::Error> {
        let name = client::server_name(&self.profile.hub.host).ok()?;
        let connecting = client::connect(
            tokio_rustls::TlsConnector::from(self.tls.clone()),
            self.profile.hub.host.clone(),
            self.profile.hub.port,
            name,
            AlertSlot::default(),
        );
        let error = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Err(error)) => error,
            _ => return None,
        };
        let inner = error.get_ref()?.downcast_ref::<rustls::Error>()?;
        match inner {
            rustls::Error::InvalidCertificate(_) => Some(inner.clone()),
            _ => None,
        }
    }

    /// Why this profile cannot accept the hub's certificate, and which setting fixes it.
    fn server_refusal_words(&self, error: &rustls::Error) -> String {
        server_certificate_words(error, &self.profile.path, &self.profile.hub.host)
    }

    fn unreachable(&self, error: ChannelError) -> Error {
        Error::Unreachable {
            url: self.profile.hub.url.clone(),
            detail: error.to_string(),
            profile: self.profile.path.clone(),
        }
    }

    /// Calls the hub with `call` (given a fresh client each attempt), waiting at most
    /// `timeout`. A transport error (the connection broke, the hub restarted) or an
    /// UNAVAILABLE answer is retried once after a pause, on a new connection, when
    /// `retry` allows: callers pass the SAME request, with the same `client_request_id`,
    /// so the hub carries the change out once.
    pub async fn call<T, F, Fut>(
        &mut self,
        retry: Retry,
        timeout: Duration,
        call: F,
    ) -> Result<T, Error>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.call_as(retry, timeout, call).await
    }

    /// [`Hub::call`] with any service's stub (the privacy-officer service's).
    pub async fn call_as<S, T, F, Fut>(
        &mut self,
        retry: Retry,
        timeout: Duration,
        mut call: F,
    ) -> Result<T, Error>
    where
        S: Stub,
        F: FnMut(S) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let attempts = if retry == Retry::Once { 2 } else { 1 };
        let mut last = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            let (stub, slot) = match self.connect().await {
                Ok(c) => c,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let status = match tokio::time::timeout(timeout, call(S::on(stub))).await {
                Err(_) => {
                    self.connection = None;
                    return Err(Error::Timeout {
                        url: self.profile.hub.url.clone(),
                        seconds: timeout.as_secs(),
                    });
                }
                Ok(Ok(response)) => {
                    self.proven = true;
                    return Ok(response.into_inner());
                }
                Ok(Err(status)) => status,
            };
            let transport = is_transport(&status);
            if transport {
                self.connection = None;
                // The alert is noted by the connection's reader; give it a moment.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut alert = *slot.lock().unwrap_or_else(|e| e.into_inner());
            if alert.is_none() && transport && !self.proven {
                // The hub may have refused the certificate with an alert that the broken
                // write kept us from reading: ask once more, only listening.
                alert = self.probe_alert().await;
            }
            if let Some(alert) = alert {
                self.connection = None;
                return Err(Error::CertificateRefused {
                    url: self.profile.hub.url.clone(),
                    why: self.refusal_words(alert),
                });
            }
            if transport {
                last = Some(Error::Broken {
                    url: self.profile.hub.url.clone(),
                    detail: transport_detail(&status),
                });
                continue;
            }
            if status.code() == Code::Unavailable {
                last = Some(Error::Hub {
                    code: status.code(),
                    message: status.message().to_owned(),
                    hint: Some("nothing was changed; run the command again".to_owned()),
                });
                continue;
            }
            return Err(self.refused(status).await);
        }
        Err(last.unwrap_or_else(|| Error::Unreachable {
            url: self.profile.hub.url.clone(),
            detail: "no attempt was made".to_owned(),
            profile: self.profile.path.clone(),
        }))
    }

    /// Opens a TLS connection and only listens, briefly: a hub that refuses the
    /// certificate sends its alert right after the handshake. Returns the alert, if any.
    async fn probe_alert(&self) -> Option<rustls::AlertDescription> {
        use tokio::io::AsyncReadExt as _;
        let slot = AlertSlot::default();
        let name = client::server_name(&self.profile.hub.host).ok()?;
        let connecting = client::connect(
            tokio_rustls::TlsConnector::from(self.tls.clone()),
            self.profile.hub.host.clone(),
            self.profile.hub.port,
            name,
            slot.clone(),
        );
        if let Ok(Ok(io)) = tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            let mut stream = io.into_inner();
            let mut byte = [0u8; 1];
            let _ = tokio::time::timeout(PROBE_LISTEN, stream.read(&mut byte)).await;
        }
        *slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every party of the covenant in force, by name and OIN (the hub's status lists
    /// each with its link state), so that people can name parties as they know them.
    pub async fn parties(&mut self) -> Result<Vec<wire::Party>, Error> {
        let report = self
            .call_as::<StatusClient, _, _, _>(Retry::Once, CALL_TIMEOUT, |mut c| async move {
                c.get_status(wire::GetStatusRequest {}).await
            })
            .await?;
        Ok(report.agents.into_iter().filter_map(|a| a.party).collect())
    }

    /// Who the hub takes the caller to be.
    pub async fn whoami(&mut self) -> Result<wire::Person, Error> {
        self.call(Retry::Once, CALL_TIMEOUT, |mut c| async move {
            c.who_am_i(wire::WhoAmIRequest {}).await
        })
        .await
    }

    /// A refusal as an error, with what hubctl knows to add: who you are (a refusal
    /// for role or stadsdeel), or what your certificate says (a person the hub does not
    /// know).
    async fn refused(&mut self, status: Status) -> Error {
        let code = status.code();
        let message = status.message().to_owned();
        let hint = match code {
            Code::PermissionDenied if !self.explaining => {
                self.explaining = true;
                let me = Box::pin(self.whoami()).await;
                self.explaining = false;
                let who = match me {
                    // The hub's refusal already says the role and stadsdeel ("…; you
                    // are informatiemakelaar of oost"): only who the certificate names.
                    Ok(me) if message.contains("; you are ") => {
                        Some(report::certificate_is_for(&me))
                    }
                    Ok(me) => Some(report::you_are(&me)),
                    Err(_) => Some(certificate_says(&self.profile.cert).0),
                };
                match (who, self.refusal_note) {
                    (Some(who), Some(note)) => Some(format!("{who}; {note}")),
                    (who, None) => who,
                    (None, Some(note)) => Some(note.to_owned()),
                }
            }
            Code::PermissionDenied => None,
            Code::Unauthenticated => Some(match certificate_says(&self.profile.cert) {
                // The hub's refusal already says to have the person registered: only
                // what the certificate names, and the other way out.
                (who, CertificateSays::Person) if message.contains("person registry") => {
                    format!("{who}; if that is not you, use your own person certificate")
                }
                (who, CertificateSays::Person) => format!(
                    "{who}; ask the hub's operator to register this person in the hub's person registry, or use your own person certificate"
                ),
                (what, _) => what,
            }),
            _ => None,
        };
        Error::Hub {
            code,
            message,
            hint,
        }
    }

    /// The validity period of the profile's certificate (the first of its chain), or
    /// `None` when it cannot be read.
    pub fn certificate_validity(&self) -> Option<Validity> {
        let der = treiter_proto::tls::load_certs(&self.profile.cert)
            .ok()?
            .into_iter()
            .next()?;
        let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
        let v = cert.validity();
        Some(Validity {
            not_before: OffsetDateTime::from_unix_timestamp(v.not_before.timestamp()).ok()?,
            not_after: OffsetDateTime::from_unix_timestamp(v.not_after.timestamp()).ok()?,
        })
    }

    /// The validity period of the profile's certificate, as text.
    fn validity(&self) -> Option<String> {
        let v = self.certificate_validity()?;
        Some(format!(
            "{} is valid from {} until {}",
            self.profile.cert.display(),
            when::show(v.not_before),
            when::show(v.not_after)
        ))
    }

    fn refusal_words(&self, alert: rustls::AlertDescription) -> String {
        use rustls::AlertDescription as A;
        let profile = self.profile.path.display();
        match alert {
            A::CertificateExpired => format!(
                "it is expired or not yet valid ({}); renew it and point `cert` and `key` in {profile} at the new files",
                self.validity()
                    .unwrap_or_else(|| "its dates cannot be read".to_owned())
            ),
            A::UnknownCA => format!(
                "it was not issued by a CA the hub trusts; use the person certificate issued for the covenant (profile {profile})"
            ),
            A::CertificateRevoked => "it is revoked; request a new person certificate".to_owned(),
            A::CertificateRequired => {
                format!("no certificate was sent; set `cert` and `key` in {profile}")
            }
            A::UnsupportedCertificate => "it is not made for TLS client authentication (it needs extendedKeyUsage clientAuth and keyUsage digitalSignature); request a person certificate with that profile".to_owned(),
            A::CertificateUnknown => "the hub does not accept it (for example an RSA key under 2048 bits); the hub's operator sees the reason in the hub's log".to_owned(),
            other => format!(
                "it ended the TLS handshake ({}); the hub's operator sees the reason in the hub's log",
                alert_words(other)
            ),
        }
    }
}

/// Why the profile at `profile` cannot accept the hub's certificate for `host`, in
/// words, with the setting that fixes it.
fn server_certificate_words(
    error: &rustls::Error,
    profile: &std::path::Path,
    host: &str,
) -> String {
    use rustls::CertificateError as C;
    let profile = profile.display();
    let rustls::Error::InvalidCertificate(why) = error else {
        return error.to_string();
    };
    match why {
        C::UnknownIssuer => format!(
            "was not issued by a CA in the profile's trust anchors: `trust_anchors` in {profile} names the wrong CA certificate; set it to the CA certificate of the hub (ask the hub's operator)"
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "is not made out for the host name {host}: check `hub_url` in {profile} (use the name the hub's certificate carries)"
        ),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            "is expired or not yet valid (check this machine's clock; otherwise the hub's operator must renew it)".to_owned()
        }
        C::Revoked => "is revoked; tell the hub's operator".to_owned(),
        // A CA certificate of the same name but another key (an old or regenerated
        // CA): the issuer is found by name, and its signature does not verify.
        C::BadSignature => format!(
            "is not signed by the CA certificate in the profile's trust anchors (one of the same name but another key: an old or regenerated CA?): `trust_anchors` in {profile} names the wrong CA certificate; set it to the CA certificate of the hub (ask the hub's operator)"
        ),
        C::BadEncoding => format!(
            "cannot be read; check `hub_url` in {profile} and tell the hub's operator"
        ),
        other => format!(
            "cannot be accepted ({}); check `trust_anchors` and `hub_url` in {profile}",
            rustls::Error::InvalidCertificate(other.clone())
        ),
    }
}

/// The profile setting that names the file a TLS setup error is about. The trust
/// anchors are read first, then the certificate, then the key (`client_config`), so a
/// file named twice is taken in that order, by what it should have held.
fn setting_of(profile: &Profile, error: &client::ClientTlsError) -> Option<&'static str> {
    use treiter_proto::tls::PemError;
    let (path, wants_key) = match error {
        client::ClientTlsError::Pem(PemError::Empty { path, expected }) => {
            (path, expected.contains("KEY"))
        }
        client::ClientTlsError::Pem(PemError::Malformed { path, .. }) => (path, false),
        _ => return None,
    };
    if wants_key && *path == profile.key {
        Some("key")
    } else if profile.trust_anchors.contains(path) {
        Some("trust_anchors")
    } else if *path == profile.cert {
        Some("cert")
    } else if *path == profile.key {
        Some("key")
    } else {
        None
    }
}

/// A TLS alert in words: `HandshakeFailure` → "handshake failure".
fn alert_words(alert: rustls::AlertDescription) -> String {
    let name = format!("{alert:?}");
    let mut words = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() && !words.is_empty() {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

/// What broke, from the status's message and its sources (without repeats).
fn transport_detail(status: &Status) -> String {
    let mut text = status.message().to_owned();
    let mut source = std::error::Error::source(status);
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

/// Whether a status stands for a broken transport rather than the hub's answer.
fn is_transport(status: &Status) -> bool {
    use std::error::Error as _;
    match status.code() {
        Code::Unknown | Code::Unavailable | Code::Internal | Code::Cancelled => {
            status.source().is_some()
        }
        _ => false,
    }
}

/// What kind of identity the profile's certificate names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertificateSays {
    /// A person of a party: the hub's person registry decides whether it knows them.
    Person,
    /// A party itself (a node agent's certificate), or no party at all: no registry
    /// entry can make the hub accept it for hubctl.
    Other,
}

/// What the profile's certificate itself says, in a sentence for a refusal: the person
/// and party it names; that it is an organisation certificate; or that it names no
/// party because its OIN is missing or malformed (article 2.2).
fn certificate_says(cert: &std::path::Path) -> (String, CertificateSays) {
    let path = cert.display();
    let der = match treiter_proto::tls::load_certs(cert)
        .ok()
        .and_then(|certs| certs.into_iter().next())
    {
        Some(der) => der,
        None => {
            return (
                format!("hubctl cannot read your certificate ({path}) to tell whom it names"),
                CertificateSays::Other,
            );
        }
    };
    match identity_from_der(der.as_ref()) {
        Ok(CertIdentity::Person { oin, person }) => (
            format!(
                "your certificate ({path}) is for person {} of the party with OIN {oin}",
                report::esc(&person)
            ),
            CertificateSays::Person,
        ),
        Ok(CertIdentity::Organisation { oin }) => (
            format!(
                "your certificate ({path}) is an organisation certificate of OIN {oin} (a node agent's); hubctl needs your own person certificate"
            ),
            CertificateSays::Other,
        ),
        Err(why) => (
            format!(
                "your certificate ({path}) names no party: {why}; no registration at the hub can fix that: ask whoever issued it for a certificate whose subject serialNumber is your party's OIN"
            ),
            CertificateSays::Other,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_certs_dev::{Options, PERSONS, TestCert};

    #[test]
    fn an_unexplained_alert_is_in_words() {
        assert_eq!(
            alert_words(rustls::AlertDescription::HandshakeFailure),
            "handshake failure"
        );
    }

    #[test]
    fn a_hub_certificate_this_profile_cannot_accept_names_the_setting_to_fix() {
        use rustls::CertificateError as C;
        let profile = std::path::Path::new("/home/anna/hubctl.toml");
        let words = |e: C| {
            server_certificate_words(
                &rustls::Error::InvalidCertificate(e),
                profile,
                "hub.example.nl",
            )
        };
        for e in [C::UnknownIssuer, C::BadSignature] {
            let text = words(e);
            assert!(
                text.contains(
                    "`trust_anchors` in /home/anna/hubctl.toml names the wrong CA certificate"
                ),
                "{text}"
            );
            assert!(
                !text.contains("UnknownIssuer") && !text.contains("BadSignature"),
                "{text}"
            );
        }
        let text = words(C::NotValidForName);
        assert!(
            text.contains("host name hub.example.nl") && text.contains("`hub_url`"),
            "{text}"
        );
        assert!(words(C::Expired).contains("expired"));
    }

    #[test]
    fn a_refusal_says_what_the_certificate_names_or_why_it_names_no_party() {
        let dir = tempfile::tempdir().unwrap();
        let pki = treiter_certs_dev::generate(
            dir.path(),
            &Options {
                test_certs: true,
                now: OffsetDateTime::now_utc(),
                force: false,
            },
        )
        .unwrap();
        let (text, says) = certificate_says(&pki.test_cert(TestCert::MalformedOin));
        assert_eq!(says, CertificateSays::Other);
        assert!(text.contains("names no party"), "{text}");
        assert!(text.contains("serialNumber is not an OIN"), "{text}");
        assert!(!text.contains("names no person"), "{text}");
        let (text, says) = certificate_says(&pki.test_cert(TestCert::NoOin));
        assert_eq!(says, CertificateSays::Other);
        assert!(text.contains("has no serialNumber"), "{text}");
        let (text, says) = certificate_says(&pki.party_cert("politie"));
        assert_eq!(says, CertificateSays::Other);
        assert!(text.contains("organisation certificate"), "{text}");
        let person = PERSONS[0];
        let (text, says) = certificate_says(&pki.person_cert(person.id));
        assert_eq!(says, CertificateSays::Person);
        assert!(
            text.contains(&format!("is for person {}", person.id)),
            "{text}"
        );
        let (text, _) = certificate_says(&dir.path().join("absent.pem"));
        assert!(text.contains("cannot read your certificate"), "{text}");
    }
}
