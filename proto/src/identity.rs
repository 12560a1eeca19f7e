//! The certificate profile of the wire: how a certificate names a party or a person
//! (articles 2.2, 12.1). Shared by the hub (who is calling?) and the agent (whom does
//! my own certificate name?), so both read certificates the same way.
//!
//! - `serialNumber` (2.5.4.5) holds exactly one OIN of exactly 20 ASCII digits;
//! - `UID` (0.9.2342.19200300.100.1.1), when present, names a person acting for the
//!   party of that OIN (a person certificate); without it, the certificate is the
//!   party's organisation certificate (what node agents use).

use std::fmt;

use x509_parser::oid_registry::{OID_USERID, OID_X509_SERIALNUMBER};
use x509_parser::prelude::{FromDer, X509Certificate};

/// An organisation identification number (OIN): exactly 20 ASCII digits (article 2.2).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oin(String);

impl Oin {
    /// Parses an OIN, refusing anything but exactly 20 ASCII digits.
    pub fn parse(text: &str) -> Result<Oin, CertProfileError> {
        if text.len() == 20 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Oin(text.to_owned()))
        } else {
            Err(CertProfileError::MalformedOin {
                length: text.chars().count(),
            })
        }
    }

    /// The 20 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Oin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Oin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oin({})", self.0)
    }
}

/// The identity a certificate asserts, before anyone has looked it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertIdentity {
    /// An organisation certificate: the party itself (a node agent).
    Organisation { oin: Oin },
    /// A person certificate: `person` acts for the party `oin`.
    Person { oin: Oin, person: String },
}

impl CertIdentity {
    /// The OIN of the party the certificate belongs to.
    pub fn oin(&self) -> &Oin {
        match self {
            CertIdentity::Organisation { oin } | CertIdentity::Person { oin, .. } => oin,
        }
    }

    /// The person id, for a person certificate.
    pub fn person(&self) -> Option<&str> {
        match self {
            CertIdentity::Organisation { .. } => None,
            CertIdentity::Person { person, .. } => Some(person),
        }
    }
}

/// Why a certificate does not fit the profile. Each says what is wrong and what the
/// certificate's owner should do; none quotes a value that could be personal data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertProfileError {
    /// Not well-formed X.509.
    #[error("the certificate cannot be parsed: {0}")]
    Unparseable(String),
    /// The subject has no serialNumber attribute.
    #[error(
        "the certificate subject has no serialNumber; it must carry the party's 20-digit OIN (article 2.2)"
    )]
    MissingOin,
    /// The subject has more than one serialNumber attribute.
    #[error(
        "the certificate subject has {count} serialNumber attributes; it must carry exactly one OIN (article 2.2)"
    )]
    SeveralOins { count: usize },
    /// The serialNumber is not exactly 20 ASCII digits.
    #[error(
        "the certificate subject serialNumber is not an OIN: expected exactly 20 digits, found {length} characters (article 2.2)"
    )]
    MalformedOin { length: usize },
    /// The UID attribute is empty, doubled or not a string.
    #[error("the certificate subject's UID is not a single person id: {0}")]
    BadPersonId(String),
}

/// Reads the identity from a DER certificate.
pub fn identity_from_der(der: &[u8]) -> Result<CertIdentity, CertProfileError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| CertProfileError::Unparseable(e.to_string()))?;
    identity_from_cert(&cert)
}

/// Reads the identity from a parsed certificate.
pub fn identity_from_cert(cert: &X509Certificate<'_>) -> Result<CertIdentity, CertProfileError> {
    let subject = cert.subject();
    let serials: Vec<_> = subject.iter_by_oid(&OID_X509_SERIALNUMBER).collect();
    let oin_text = match serials.as_slice() {
        [] => return Err(CertProfileError::MissingOin),
        [one] => one.as_str().map_err(|_| CertProfileError::MalformedOin {
            length: one.as_slice().len(),
        })?,
        several => {
            return Err(CertProfileError::SeveralOins {
                count: several.len(),
            });
        }
    };
    let oin = Oin::parse(oin_text)?;
    let uids: Vec<_> = subject.iter_by_oid(&OID_USERID).collect();
    match uids.as_slice() {
        [] => Ok(CertIdentity::Organisation { oin }),
        [one] => {
            let person = one
                .as_str()
                .map_err(|e| CertProfileError::BadPersonId(e.to_string()))?;
            if person.is_empty() {
                return Err(CertProfileError::BadPersonId("it is empty".into()));
            }
            Ok(CertIdentity::Person {
                oin,
                person: person.to_owned(),
            })
        }
        several => Err(CertProfileError::BadPersonId(format!(
            "{} UID attributes; a person certificate names exactly one person",
            several.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oin_must_be_twenty_ascii_digits() {
        assert_eq!(
            Oin::parse("00000001000000000001").map(|o| o.to_string()),
            Ok("00000001000000000001".to_owned())
        );
        assert_eq!(
            Oin::parse("12345"),
            Err(CertProfileError::MalformedOin { length: 5 })
        );
        assert_eq!(
            Oin::parse("0000000100000000000X"),
            Err(CertProfileError::MalformedOin { length: 20 })
        );
        // Non-ASCII digits (Arabic-Indic) are not OIN digits.
        assert!(matches!(
            Oin::parse(
                "\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{661}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{660}\u{661}"
            ),
            Err(CertProfileError::MalformedOin { length: 20 })
        ));
    }

    #[test]
    fn garbage_is_unparseable_not_a_panic() {
        assert!(matches!(
            identity_from_der(b"not a certificate"),
            Err(CertProfileError::Unparseable(_))
        ));
    }
}
