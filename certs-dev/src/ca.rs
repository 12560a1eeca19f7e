//! The certificate authorities and the root's CRL.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::Error;

/// The development root CA's common name.
pub const ROOT_CA_NAME: &str = "Treiteraanpak Dev Root CA";

/// The common name of the second CA that signs [`crate::TestCert::WrongCa`].
pub const OTHER_CA_NAME: &str = "Other Dev CA";

/// A CA with its certificate and signing key.
pub(crate) type Ca = CertifiedIssuer<'static, KeyPair>;

/// About ten years: long enough that a developer never meets an expired dev root.
const CA_LIFETIME: Duration = Duration::days(3652);

/// Makes a self-signed CA named `common_name`, valid from a day before `now` (so a
/// clock that is slightly behind still accepts it) for about ten years.
pub(crate) fn self_signed_ca(
    common_name: &str,
    serial: SerialNumber,
    now: OffsetDateTime,
) -> Result<Ca, Error> {
    let what = || format!("CA certificate {common_name:?}");
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "NL");
    dn.push(DnType::OrganizationName, "Treiteraanpak development PKI");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    // Path length 0: this CA signs leaf certificates only, never another CA.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - Duration::days(1);
    params.not_after = now + CA_LIFETIME;
    params.serial_number = Some(serial);
    let key = KeyPair::generate().map_err(Error::certificate(what()))?;
    CertifiedIssuer::self_signed(params, key).map_err(Error::certificate(what()))
}

/// Makes the root's CRL, listing `revoked`, as PEM.
///
/// The CRL is written even when it is empty, because the hub loads one CRL per trust
/// anchor. It runs from an hour before `now` to a year after, so that it neither looks
/// issued in the future to a slow clock nor expires during development.
pub(crate) fn crl_pem(
    issuer: &Ca,
    revoked: &[SerialNumber],
    now: OffsetDateTime,
) -> Result<String, Error> {
    let this_update = now - Duration::hours(1);
    let params = CertificateRevocationListParams {
        this_update,
        next_update: now + Duration::days(365),
        // Seconds since the epoch: a later regeneration gets a higher CRL number.
        crl_number: SerialNumber::from(u64::try_from(now.unix_timestamp()).unwrap_or(0)),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: serial.clone(),
                revocation_time: this_update,
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let what = || format!("CRL of {ROOT_CA_NAME:?}");
    params
        .signed_by(issuer)
        .and_then(|crl| crl.pem())
        .map_err(Error::certificate(what()))
}
