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

/// Why a peer was refused, at the TLS layer or by the hub itself.
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
    /// The certificate is otherwise unacceptable to TLS (bad signature, wrong usage...).
    BadCertificate,
    /// The client offered only protocol versions below TLS 1.3.
    ProtocolVersion,
    /// The TLS handshake failed otherwise or did not finish in time.
    Handshake,
    /// The subject serialNumber is missing, doubled or not a 20-digit OIN.
    MalformedOin,
    /// The OIN is well-formed but not a party of the covenant (article 2.3).
    NotAParty,
    /// The certificate is of the wrong kind for the call (person vs organisation), or
    /// the person is unknown to the registry or registered at another party.
    WrongIdentity,
    /// A partner's agent answered with a record the hub did not ask for (about another
    /// subject than the one asked about, or of a category not asked): the record is
    /// dropped, never passed on, and not logged as a share (nothing of it is kept).
    UnaskedRecord,
}

impl RefusalReason {
    /// The stable word used in logs, metrics and status output.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::NoCertificate => "no-certificate",
            RefusalReason::UnknownCa => "unknown-ca",
            RefusalReason::Expired => "expired",
            RefusalReason::NotYetValid => "not-yet-valid",
            RefusalReason::Revoked => "revoked",
            RefusalReason::BadCertificate => "bad-certificate",
            RefusalReason::ProtocolVersion => "protocol-version",
            RefusalReason::Handshake => "handshake",
            RefusalReason::MalformedOin => "malformed-oin",
            RefusalReason::NotAParty => "oin-not-a-party",
            RefusalReason::WrongIdentity => "wrong-identity",
            RefusalReason::UnaskedRecord => "unasked-record",
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
        tracing::warn!(
            reason = refusal.reason.as_str(),
            oin = refusal.oin.as_deref().unwrap_or("-"),
            person = refusal.person.as_deref().unwrap_or("-"),
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
