//! Where each file of the development PKI lives, relative to its root directory.
//!
//! The hub's tests and the end-to-end tests find certificates through these methods
//! rather than by spelling paths themselves, so the tree can change in one place.

use std::path::{Path, PathBuf};

/// The deliberately broken certificates written with `--test-certs`, one per refusal
/// the hub must make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestCert {
    /// A gemeente organisation certificate whose validity ended yesterday.
    Expired,
    /// A gemeente organisation certificate that becomes valid tomorrow.
    NotYetValid,
    /// A gemeente organisation certificate signed by another CA ("Other Dev CA").
    WrongCa,
    /// A gemeente organisation certificate listed in the root's CRL.
    Revoked,
    /// An organisation certificate whose `serialNumber` is not 20 digits.
    MalformedOin,
    /// An organisation certificate with a well-formed OIN of no party ([`crate::UNKNOWN_OIN`]).
    UnknownOin,
    /// An organisation certificate without a `serialNumber` attribute.
    NoOin,
    /// A gemeente organisation certificate without an extendedKeyUsage extension: it
    /// does not say it is meant for TLS client authentication.
    NoClientAuth,
    /// A gemeente organisation certificate whose keyUsage allows keyEncipherment only,
    /// not digitalSignature (which a TLS 1.3 client signs its handshake with).
    NoDigitalSignature,
    /// A gemeente organisation certificate for a 1024-bit RSA key, too weak for the
    /// hub. The key is a fixed, synthetic test-only key (see `certs-dev/README.md`).
    WeakRsa,
}

impl TestCert {
    /// Every test certificate, in the order they are written.
    pub const ALL: [TestCert; 10] = [
        TestCert::Expired,
        TestCert::NotYetValid,
        TestCert::WrongCa,
        TestCert::Revoked,
        TestCert::MalformedOin,
        TestCert::UnknownOin,
        TestCert::NoOin,
        TestCert::NoClientAuth,
        TestCert::NoDigitalSignature,
        TestCert::WeakRsa,
    ];

    /// The file stem under `test/`.
    pub fn name(self) -> &'static str {
        match self {
            TestCert::Expired => "expired",
            TestCert::NotYetValid => "not-yet-valid",
            TestCert::WrongCa => "wrong-ca",
            TestCert::Revoked => "revoked",
            TestCert::MalformedOin => "malformed-oin",
            TestCert::UnknownOin => "unknown-oin",
            TestCert::NoOin => "no-oin",
            TestCert::NoClientAuth => "no-client-auth",
            TestCert::NoDigitalSignature => "no-digital-signature",
            TestCert::WeakRsa => "weak-rsa",
        }
    }
}

/// The directory tree of a development PKI:
///
/// ```text
/// ca/root.pem  ca/root.key  ca/root.crl.pem
/// hub/hub.pem  hub/hub.key
/// parties/<slug>.pem  parties/<slug>.key
/// persons/<id>.pem    persons/<id>.key
/// test/<name>.pem     test/<name>.key   test/other-ca.pem
/// persons.toml
/// ```
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

/// Subdirectories that belong to the PKI; `--force` removes exactly these (and
/// `persons.toml`), never anything else in the output directory.
pub(crate) const OWNED_DIRS: [&str; 5] = ["ca", "hub", "parties", "persons", "test"];

impl Layout {
    /// A layout rooted at `root`; nothing is read or written.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    /// The PKI's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root CA certificate: the trust anchor for the hub and the agents.
    pub fn ca_cert(&self) -> PathBuf {
        self.root.join("ca/root.pem")
    }

    /// The root CA's private key.
    pub fn ca_key(&self) -> PathBuf {
        self.root.join("ca/root.key")
    }

    /// The root CA's certificate revocation list.
    pub fn ca_crl(&self) -> PathBuf {
        self.root.join("ca/root.crl.pem")
    }

    /// The hub's TLS server certificate.
    pub fn hub_cert(&self) -> PathBuf {
        self.root.join("hub/hub.pem")
    }

    /// The hub's TLS server key.
    pub fn hub_key(&self) -> PathBuf {
        self.root.join("hub/hub.key")
    }

    /// The organisation certificate of the party with this slug.
    pub fn party_cert(&self, slug: &str) -> PathBuf {
        self.root.join("parties").join(format!("{slug}.pem"))
    }

    /// The organisation key of the party with this slug.
    pub fn party_key(&self, slug: &str) -> PathBuf {
        self.root.join("parties").join(format!("{slug}.key"))
    }

    /// The person certificate of the person with this id.
    pub fn person_cert(&self, id: &str) -> PathBuf {
        self.root.join("persons").join(format!("{id}.pem"))
    }

    /// The person key of the person with this id.
    pub fn person_key(&self, id: &str) -> PathBuf {
        self.root.join("persons").join(format!("{id}.key"))
    }

    /// A broken test certificate (written only with `--test-certs`).
    pub fn test_cert(&self, which: TestCert) -> PathBuf {
        self.root.join("test").join(format!("{}.pem", which.name()))
    }

    /// The key of a broken test certificate.
    pub fn test_key(&self, which: TestCert) -> PathBuf {
        self.root.join("test").join(format!("{}.key", which.name()))
    }

    /// The certificate of "Other Dev CA", which signed [`TestCert::WrongCa`]; the hub
    /// must not trust it.
    pub fn other_ca_cert(&self) -> PathBuf {
        self.root.join("test/other-ca.pem")
    }

    /// The hub's person registry for the demo.
    pub fn registry(&self) -> PathBuf {
        self.root.join("persons.toml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_documented_tree() {
        let l = Layout::new("/pki");
        assert_eq!(l.ca_cert(), Path::new("/pki/ca/root.pem"));
        assert_eq!(l.ca_key(), Path::new("/pki/ca/root.key"));
        assert_eq!(l.ca_crl(), Path::new("/pki/ca/root.crl.pem"));
        assert_eq!(l.hub_cert(), Path::new("/pki/hub/hub.pem"));
        assert_eq!(l.hub_key(), Path::new("/pki/hub/hub.key"));
        assert_eq!(l.party_cert("om"), Path::new("/pki/parties/om.pem"));
        assert_eq!(l.party_key("om"), Path::new("/pki/parties/om.key"));
        assert_eq!(
            l.person_cert("p-om-010"),
            Path::new("/pki/persons/p-om-010.pem")
        );
        assert_eq!(
            l.person_key("p-om-010"),
            Path::new("/pki/persons/p-om-010.key")
        );
        assert_eq!(
            l.test_cert(TestCert::NotYetValid),
            Path::new("/pki/test/not-yet-valid.pem")
        );
        assert_eq!(
            l.test_key(TestCert::NoOin),
            Path::new("/pki/test/no-oin.key")
        );
        assert_eq!(l.other_ca_cert(), Path::new("/pki/test/other-ca.pem"));
        assert_eq!(l.registry(), Path::new("/pki/persons.toml"));
    }

    #[test]
    fn test_cert_names_are_distinct() {
        let mut names: Vec<_> = TestCert::ALL.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TestCert::ALL.len());
        // `other-ca` shares the directory; no test certificate may take its name.
        assert!(!names.contains(&"other-ca"));
    }
}
