//! Leaf certificates: organisation, person, hub server and the broken test certificates.
//!
//! Subject conventions (the hub relies on them):
//! - organisation certificate: `C=NL, O=<party name>, CN=<party name> node agent,
//!   serialNumber=<OIN>`;
//! - person certificate: `C=NL, O=<party name>, CN=<person name>, serialNumber=<party
//!   OIN>, UID=<person id>`. The UID alone tells a person certificate from an
//!   organisation certificate.
//!
//! The OIN is a PrintableString as X.520 defines `serialNumber`; rcgen would encode a
//! plain string as UTF8String.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, string::PrintableString,
};
use time::{Duration, OffsetDateTime};

use crate::Error;
use crate::ca::Ca;
use crate::parties::{DevParty, DevPerson};

/// OID of the X.520 `serialNumber` attribute, which carries the OIN.
const OID_SERIAL_NUMBER: [u64; 4] = [2, 5, 4, 5];

/// OID of the `UID` attribute (RFC 4519 `uid`), which carries a person's id.
const OID_UID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];

/// The hub's common name.
pub const HUB_NAME: &str = "treiter hub (dev)";

/// How long party, person and hub certificates are valid.
const LEAF_LIFETIME: Duration = Duration::days(730);

/// A signed certificate and its private key, both PEM.
pub(crate) struct Issued {
    /// The certificate.
    pub(crate) cert_pem: String,
    /// The PKCS#8 private key.
    pub(crate) key_pem: String,
    /// The serial, so a CRL can name it.
    pub(crate) serial: SerialNumber,
}

/// Hands out certificate serials.
///
/// Each serial is `(unix seconds of now) << 16 | sequence`: the sequence makes serials
/// unique within one PKI, and the time makes them differ between regenerations, which
/// reuse the same CA name; a client that remembers a certificate by issuer and serial
/// would otherwise confuse the old one with the new one.
pub(crate) struct Serials {
    base: u64,
    next: u64,
}

impl Serials {
    pub(crate) fn new(now: OffsetDateTime) -> Self {
        let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        Serials {
            base: secs << 16,
            next: 1,
        }
    }

    pub(crate) fn next(&mut self) -> SerialNumber {
        let serial = self.base | (self.next & 0xffff);
        self.next += 1;
        SerialNumber::from(serial)
    }
}

/// The validity window of one leaf certificate.
pub(crate) struct Validity {
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
}

impl Validity {
    /// The ordinary window: from a day ago (tolerating a clock that is behind) for two years.
    pub(crate) fn normal(now: OffsetDateTime) -> Self {
        Validity {
            not_before: now - Duration::days(1),
            not_after: now + LEAF_LIFETIME,
        }
    }
}

/// What goes into the `serialNumber` of an organisation certificate.
#[derive(Clone, Copy)]
pub(crate) enum OinField<'a> {
    /// This value, as PrintableString (well-formed or, for tests, not).
    Value(&'a str),
    /// No `serialNumber` attribute at all.
    Absent,
}

fn printable(value: &str) -> Result<DnValue, rcgen::Error> {
    Ok(DnValue::PrintableString(PrintableString::try_from(value)?))
}

/// `C=NL, O=<organisation>, CN=<common name>[, serialNumber=<oin>]`.
fn org_subject(
    organisation: &str,
    common_name: &str,
    oin: OinField<'_>,
) -> Result<DistinguishedName, rcgen::Error> {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, printable("NL")?);
    dn.push(DnType::OrganizationName, organisation);
    dn.push(DnType::CommonName, common_name);
    if let OinField::Value(oin) = oin {
        dn.push(
            DnType::CustomDnType(OID_SERIAL_NUMBER.to_vec()),
            printable(oin)?,
        );
    }
    Ok(dn)
}

/// How a client certificate follows the profile the hub requires: every real one
/// does; the others exist for the refusal tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientProfile {
    /// keyUsage digitalSignature, extendedKeyUsage clientAuth, a fresh P-256 key.
    Standard,
    /// No extendedKeyUsage extension at all.
    NoExtendedKeyUsage,
    /// keyUsage keyEncipherment only.
    NoDigitalSignature,
    /// The embedded 1024-bit RSA key ([`crate::weak_rsa`]).
    WeakRsa,
}

/// Parameters shared by every client certificate.
fn client_params(
    subject: DistinguishedName,
    validity: Validity,
    profile: ClientProfile,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject;
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.key_usages = match profile {
        ClientProfile::NoDigitalSignature => vec![KeyUsagePurpose::KeyEncipherment],
        _ => vec![KeyUsagePurpose::DigitalSignature],
    };
    params.extended_key_usages = match profile {
        ClientProfile::NoExtendedKeyUsage => Vec::new(),
        _ => vec![ExtendedKeyUsagePurpose::ClientAuth],
    };
    params.use_authority_key_identifier_extension = true;
    params
}

/// Signs `params` with `issuer`, under `serial`, for a fresh key (or, for
/// [`ClientProfile::WeakRsa`], for the embedded weak key).
fn sign(
    mut params: CertificateParams,
    serial: SerialNumber,
    issuer: &Ca,
    profile: ClientProfile,
) -> Result<Issued, rcgen::Error> {
    params.serial_number = Some(serial.clone());
    let (cert, key_pem) = if profile == ClientProfile::WeakRsa {
        let key = crate::weak_rsa::WeakRsaKey::load()?;
        (
            params.signed_by(&key, issuer)?,
            crate::weak_rsa::PRIVATE_KEY_PEM.to_owned(),
        )
    } else {
        let key = KeyPair::generate()?;
        (params.signed_by(&key, issuer)?, key.serialize_pem())
    };
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem,
        serial,
    })
}

/// An organisation certificate, as a party's node agent presents it.
///
/// `organisation` and `oin` are separate from a [`DevParty`] so that the test
/// certificates can carry a broken or missing OIN under a real party's name.
pub(crate) fn organisation(
    issuer: &Ca,
    organisation: &str,
    common_name: &str,
    oin: OinField<'_>,
    serial: SerialNumber,
    validity: Validity,
    profile: ClientProfile,
) -> Result<Issued, Error> {
    let what = || format!("organisation certificate {common_name:?}");
    let subject =
        org_subject(organisation, common_name, oin).map_err(Error::certificate(what()))?;
    sign(
        client_params(subject, validity, profile),
        serial,
        issuer,
        profile,
    )
    .map_err(Error::certificate(what()))
}

/// The ordinary organisation certificate of `party`.
pub(crate) fn party(
    issuer: &Ca,
    party: &DevParty,
    serial: SerialNumber,
    now: OffsetDateTime,
) -> Result<Issued, Error> {
    organisation(
        issuer,
        party.name,
        &party_common_name(party.name),
        OinField::Value(party.oin),
        serial,
        Validity::normal(now),
        ClientProfile::Standard,
    )
}

/// The CN of an organisation certificate: it names the node agent that holds it.
pub(crate) fn party_common_name(party_name: &str) -> String {
    format!("{party_name} node agent")
}

/// A person certificate: the party's subject plus the person's UID.
pub(crate) fn person(
    issuer: &Ca,
    party: &DevParty,
    person: &DevPerson,
    serial: SerialNumber,
    now: OffsetDateTime,
) -> Result<Issued, Error> {
    let what = || format!("person certificate for {}", person.id);
    let mut subject = org_subject(party.name, person.name, OinField::Value(party.oin))
        .map_err(Error::certificate(what()))?;
    subject.push(DnType::CustomDnType(OID_UID.to_vec()), person.id);
    sign(
        client_params(subject, Validity::normal(now), ClientProfile::Standard),
        serial,
        issuer,
        ClientProfile::Standard,
    )
    .map_err(Error::certificate(what()))
}

/// The hub's TLS server certificate, for `localhost`, `127.0.0.1` and `::1`.
pub(crate) fn hub(issuer: &Ca, serial: SerialNumber, now: OffsetDateTime) -> Result<Issued, Error> {
    let what = || "hub server certificate".to_owned();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, HUB_NAME);
    params.distinguished_name = dn;
    params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(Error::certificate(what()))?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    let validity = Validity::normal(now);
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    sign(params, serial, issuer, ClientProfile::Standard).map_err(Error::certificate(what()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn serials_are_unique_positive_and_tied_to_the_clock() {
        let mut serials = Serials::new(datetime!(2026-11-23 10:00 UTC));
        let a = serials.next();
        let b = serials.next();
        assert_ne!(a, b);
        let mut later = Serials::new(datetime!(2026-11-23 10:00:01 UTC));
        assert_ne!(a, later.next());
    }

    #[test]
    fn a_clock_before_1970_still_gives_serials() {
        let mut serials = Serials::new(datetime!(1960-01-01 0:00 UTC));
        assert_eq!(serials.next(), SerialNumber::from(1u64));
    }
}
