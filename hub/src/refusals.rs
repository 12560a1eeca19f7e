//! Every refused connection or call, counted by reason and kept in a short ring of
//! recent refusals for the operator (and the tests) to inspect.
//!
//! A refusal record holds the reason and, when the certificate could be read, the OIN
//! and person id it named: organisation identifiers and pseudonymous person ids, never
//! names (article 12.3).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::SystemTime;

/// How many recent refusals are kept.
const RECENT_CAPACITY: usize = 256;

/// Why a peer was refused, at the TLS layer or by the hub itself. Each reason is
/// counted on its own, so an operator can tell a misconfigured partner (wrong kind of
/// certificate, weak key) from an attack (connection floods) from the hub's own
/// trust configuration going stale (a CRL past its date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefusalReason {
    /// The client presented no certificate.
    NoCertificate,
    /// The certificate does not chain to a configured trust anchor.
    UnknownCa,
    /// The certificate's validity ended.
    Expired,
    /// The certificate's validity has not begun.
    NotYetValid,
    /// The certificate is listed in its trust anchor's CRL.
    Revoked,
    /// The certificate is not marked for TLS client authentication: no
    /// extendedKeyUsage, or one without clientAuth.
    NotForClientAuth,
    /// The certificate's keyUsage does not allow digitalSignature, with which a TLS
    /// 1.3 client signs its handshake.
    KeyUsageWithoutDigitalSignature,
    /// The certificate's key is too weak (RSA under 2048 bits).
    WeakKey,
    /// The trust anchor's CRL passed its nextUpdate while the hub ran: no certificate
    /// of that anchor is accepted until a fresh CRL is installed (the hub's operator
    /// must act, not the partner).
    CrlExpired,
    /// The trust anchor's CRL could not be used for this certificate (bad signature,
    /// unsupported form).
    BadCrl,
    /// Revocation could not be checked for the certificate.
    UnknownRevocationStatus,
    /// The certificate is otherwise unacceptable to TLS (bad signature, bad encoding,
    /// unsupported algorithm...).
    BadCertificate,
    /// The client offered only protocol versions below TLS 1.3.
    ProtocolVersion,
    /// The TLS handshake failed otherwise.
    Handshake,
    /// The TLS handshake did not finish within `tls.handshake_timeout_seconds`.
    HandshakeTimeout,
    /// An authenticated connection did not start HTTP/2 within
    /// `limits.http2_start_timeout_seconds` (or sent something else).
    Http2NotStarted,
    /// One address already had `limits.max_handshakes_per_address` TLS handshakes in
    /// progress.
    TooManyHandshakesFromAddress,
    /// One certificate identity (OIN, or OIN and person) already had
    /// `limits.max_connections_per_identity` connections open.
    TooManyConnectionsForIdentity,
    /// `limits.max_handshakes` TLS handshakes were in progress from all addresses
    /// together (a flood from many addresses).
    TooManyHandshakes,
    /// The person already had `limits.max_streaming_calls_per_person` streaming calls
    /// in progress; the call was refused with RESOURCE_EXHAUSTED.
    TooManyStreamingCalls,
    /// The subject serialNumber is missing, doubled or not a 20-digit OIN.
    MalformedOin,
    /// The OIN is well-formed but not a party of the covenant (article 2.3).
    NotAParty,
    /// A person certificate was used on the agent link, which takes the party's
    /// organisation certificate only.
    PersonCertificateOnAgentLink,
    /// An organisation certificate was used on an API for persons (coordinators,
    /// privacy officers).
    OrganisationCertificateForPerson,
    /// The person certificate names a person the hub's registry does not know.
    UnknownPerson,
    /// The registry places the person at another party than the certificate does.
    PersonPartyMismatch,
    /// A partner's agent answered with a record the hub did not ask for (about another
    /// subject than the one asked about, or of a category not asked): the record is
    /// dropped, never passed on, and not logged as a share (nothing of it is kept).
    UnaskedRecord,
}

impl RefusalReason {
    /// Every reason, so that `/metrics` shows each one from the start, at 0.
    pub const ALL: [RefusalReason; 27] = [
        RefusalReason::NoCertificate,
        RefusalReason::UnknownCa,
        RefusalReason::Expired,
        RefusalReason::NotYetValid,
        RefusalReason::Revoked,
        RefusalReason::NotForClientAuth,
        RefusalReason::KeyUsageWithoutDigitalSignature,
        RefusalReason::WeakKey,
        RefusalReason::CrlExpired,
        RefusalReason::BadCrl,
        RefusalReason::UnknownRevocationStatus,
        RefusalReason::BadCertificate,
        RefusalReason::ProtocolVersion,
        RefusalReason::Handshake,
        RefusalReason::HandshakeTimeout,
        RefusalReason::Http2NotStarted,
        RefusalReason::TooManyHandshakesFromAddress,
        RefusalReason::TooManyConnectionsForIdentity,
        RefusalReason::MalformedOin,
        RefusalReason::NotAParty,
        RefusalReason::PersonCertificateOnAgentLink,
        RefusalReason::OrganisationCertificateForPerson,
        RefusalReason::UnknownPerson,
        RefusalReason::PersonPartyMismatch,
        RefusalReason::UnaskedRecord,
        RefusalReason::TooManyHandshakes,
        RefusalReason::TooManyStreamingCalls,
    ];

    /// The stable word used in logs, metrics and status output.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::NoCertificate => "no-certificate",
            RefusalReason::UnknownCa => "unknown-ca",
            RefusalReason::Expired => "expired",
            RefusalReason::NotYetValid => "not-yet-valid",
            RefusalReason::Revoked => "revoked",
            RefusalReason::NotForClientAuth => "not-for-client-auth",
            RefusalReason::KeyUsageWithoutDigitalSignature => "key-usage-without-digital-signature",
            RefusalReason::WeakKey => "weak-key",
            RefusalReason::CrlExpired => "crl-expired",
            RefusalReason::BadCrl => "bad-crl",
            RefusalReason::UnknownRevocationStatus => "unknown-revocation-status",
            RefusalReason::BadCertificate => "bad-certificate",
            RefusalReason::ProtocolVersion => "protocol-version",
            RefusalReason::Handshake => "handshake",
            RefusalReason::HandshakeTimeout => "handshake-timeout",
            RefusalReason::Http2NotStarted => "http2-not-started",
            RefusalReason::TooManyHandshakesFromAddress => "too-many-handshakes-from-address",
            RefusalReason::TooManyConnectionsForIdentity => "too-many-connections-for-identity",
            RefusalReason::MalformedOin => "malformed-oin",
            RefusalReason::NotAParty => "oin-not-a-party",
            RefusalReason::PersonCertificateOnAgentLink => "person-certificate-on-agent-link",
            RefusalReason::OrganisationCertificateForPerson => {
                "organisation-certificate-for-person"
            }
            RefusalReason::UnknownPerson => "unknown-person",
            RefusalReason::PersonPartyMismatch => "person-party-mismatch",
            RefusalReason::UnaskedRecord => "unasked-record",
            RefusalReason::TooManyHandshakes => "too-many-handshakes",
            RefusalReason::TooManyStreamingCalls => "too-many-streaming-calls",
        }
    }
}

/// One refused peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub at: SystemTime,
    pub reason: RefusalReason,
    /// The OIN the certificate carried, when it could be read.
    pub oin: Option<String>,
    /// The person id the certificate carried, when it was a person certificate.
    pub person: Option<String>,
    /// The IP address the connection came from, when the refusal is about the
    /// connection (handshakes, limits) rather than a call.
    pub address: Option<std::net::IpAddr>,
}

impl Refusal {
    /// A refusal now, for `reason`, of a peer that showed no readable certificate.
    pub fn of(reason: RefusalReason) -> Refusal {
        Refusal {
            at: SystemTime::now(),
            reason,
            oin: None,
            person: None,
            address: None,
        }
    }

    /// The same refusal, recording the peer's address.
    pub fn from_address(mut self, address: std::net::IpAddr) -> Refusal {
        self.address = Some(address);
        self
    }
}

/// Counts and recent records of refusals; shared by the TLS listener and the services.
#[derive(Debug, Default)]
pub struct Refusals {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    counts: BTreeMap<RefusalReason, u64>,
    recent: VecDeque<Refusal>,
}

impl Refusals {
    pub fn record(&self, refusal: Refusal) {
        let address = refusal
            .address
            .map_or_else(|| "-".to_owned(), |a| a.to_string());
        tracing::warn!(
            reason = refusal.reason.as_str(),
            oin = refusal.oin.as_deref().unwrap_or("-"),
            person = refusal.person.as_deref().unwrap_or("-"),
            %address,
            "refused a peer"
        );
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner.counts.entry(refusal.reason).or_default() += 1;
        if inner.recent.len() == RECENT_CAPACITY {
            inner.recent.pop_front();
        }
        inner.recent.push_back(refusal);
    }

    /// Refusals so far, by reason.
    pub fn counts(&self) -> BTreeMap<RefusalReason, u64> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
            .clone()
    }

    /// The most recent refusals, oldest first.
    pub fn recent(&self) -> Vec<Refusal> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .recent
            .iter()
            .cloned()
            .collect()
    }
}
