//! `generate`: builds the whole PKI in memory, then writes it.

use std::path::Path;

use rcgen::SerialNumber;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::ca::{self, OTHER_CA_NAME, ROOT_CA_NAME};
use crate::files::{self, Planned};
use crate::issue::{self, ClientProfile, OinField, Serials, Validity};
use crate::layout::{Layout, TestCert};
use crate::parties::{DevParty, PARTIES, PERSONS, UNKNOWN_OIN};
use crate::{Error, registry};

/// How to generate a PKI.
#[derive(Clone, Debug)]
pub struct Options {
    /// Also write the broken certificates under `test/` and revoke one in the CRL.
    pub test_certs: bool,
    /// The moment all validity windows are computed from. Passed in, not read from the
    /// clock, so tests get reproducible windows.
    pub now: OffsetDateTime,
    /// Replace an existing PKI in the output directory instead of refusing.
    pub force: bool,
}

/// The party whose name and OIN the test certificates borrow. Indexing a constant is
/// checked at compile time.
const GEMEENTE: &DevParty = &PARTIES[0];

/// The `serialNumber` of the `malformed-oin` test certificate: not 20 digits.
pub const MALFORMED_OIN: &str = "12345";

/// Writes a development PKI under `out` and returns its layout.
///
/// Refuses with [`Error::WouldOverwrite`] if `out` already holds a PKI (its
/// `ca/root.key`) unless `opts.force` is set; with `force` the previous PKI's
/// directories and registry are removed first. Everything is built before anything
/// is written, so a failure to build leaves `out` untouched.
pub fn generate(out: &Path, opts: &Options) -> Result<Layout, Error> {
    generate_with_parties(out, opts, &[])
}

/// As [`generate`], with organisation certificates (`parties/<slug>.pem`) for `extra`
/// parties beside Annex A's: synthetic partners for a load benchmark with more agents
/// than the covenant's seven. They get no persons and no registry entries.
pub fn generate_with_parties(
    out: &Path,
    opts: &Options,
    extra: &[DevParty],
) -> Result<Layout, Error> {
    let layout = Layout::new(out);
    if !opts.force && files::occupied(&layout.ca_key()) {
        return Err(Error::WouldOverwrite {
            path: layout.ca_key(),
        });
    }
    let planned = build(&layout, certificate_time(opts.now), opts.test_certs, extra)?;
    if opts.force {
        files::remove_previous(&layout)?;
    }
    files::write_all(&planned)?;
    Ok(layout)
}

/// `now` in UTC and whole seconds, as certificates record it; otherwise a test
/// comparing a window with `now` would be off by the dropped nanoseconds.
fn certificate_time(now: OffsetDateTime) -> OffsetDateTime {
    let utc = now.to_offset(UtcOffset::UTC);
    utc.replace_nanosecond(0).unwrap_or(utc)
}

/// Every file of the PKI, CA key first: if writing stops half-way, the CA key is
/// already there and a rerun without `--force` refuses instead of mixing two PKIs.
fn build(
    layout: &Layout,
    now: OffsetDateTime,
    test_certs: bool,
    extra: &[DevParty],
) -> Result<Vec<Planned>, Error> {
    let mut serials = Serials::new(now);
    let mut files = Vec::new();

    let root = ca::self_signed_ca(ROOT_CA_NAME, serials.next(), now)?;
    files.push(Planned::key(layout.ca_key(), root.key().serialize_pem()));
    files.push(Planned::public(layout.ca_cert(), root.pem()));

    let hub = issue::hub(&root, serials.next(), now)?;
    files.push(Planned::key(layout.hub_key(), hub.key_pem));
    files.push(Planned::public(layout.hub_cert(), hub.cert_pem));

    for party in PARTIES {
        let org = issue::party(&root, party, serials.next(), now)?;
        files.push(Planned::key(layout.party_key(party.slug), org.key_pem));
        files.push(Planned::public(layout.party_cert(party.slug), org.cert_pem));
        // Persons are found through their party, so a person whose slug names no party
        // (which a unit test rules out) can never get a certificate without an OIN.
        for person in PERSONS.iter().filter(|p| p.party_slug == party.slug) {
            let cert = issue::person(&root, party, person, serials.next(), now)?;
            files.push(Planned::key(layout.person_key(person.id), cert.key_pem));
            files.push(Planned::public(
                layout.person_cert(person.id),
                cert.cert_pem,
            ));
        }
    }

    for party in extra {
        let org = issue::party(&root, party, serials.next(), now)?;
        files.push(Planned::key(layout.party_key(party.slug), org.key_pem));
        files.push(Planned::public(layout.party_cert(party.slug), org.cert_pem));
    }

    let revoked = if test_certs {
        build_test_certs(layout, &root, &mut serials, now, &mut files)?
    } else {
        Vec::new()
    };
    files.push(Planned::public(
        layout.ca_crl(),
        ca::crl_pem(&root, &revoked, now)?,
    ));
    files.push(Planned::public(layout.registry(), registry::render()));
    Ok(files)
}

/// The broken certificates of [`TestCert`]; returns the serials to revoke.
fn build_test_certs(
    layout: &Layout,
    root: &ca::Ca,
    serials: &mut Serials,
    now: OffsetDateTime,
    files: &mut Vec<Planned>,
) -> Result<Vec<SerialNumber>, Error> {
    // The other CA's key is not written: nothing legitimate signs with it again.
    let other = ca::self_signed_ca(OTHER_CA_NAME, serials.next(), now)?;
    files.push(Planned::public(layout.other_ca_cert(), other.pem()));

    let mut revoked = Vec::new();
    for which in TestCert::ALL {
        let normal = Validity::normal(now);
        let (issuer, oin, validity) = match which {
            TestCert::Expired => (
                root,
                OinField::Value(GEMEENTE.oin),
                Validity {
                    not_before: now - Duration::days(30),
                    not_after: now - Duration::days(1),
                },
            ),
            TestCert::NotYetValid => (
                root,
                OinField::Value(GEMEENTE.oin),
                Validity {
                    not_before: now + Duration::days(1),
                    not_after: now + Duration::days(30),
                },
            ),
            TestCert::WrongCa => (&other, OinField::Value(GEMEENTE.oin), normal),
            TestCert::Revoked => (root, OinField::Value(GEMEENTE.oin), normal),
            TestCert::MalformedOin => (root, OinField::Value(MALFORMED_OIN), normal),
            TestCert::UnknownOin => (root, OinField::Value(UNKNOWN_OIN), normal),
            TestCert::NoOin => (root, OinField::Absent, normal),
            TestCert::NoClientAuth | TestCert::NoDigitalSignature | TestCert::WeakRsa => {
                (root, OinField::Value(GEMEENTE.oin), normal)
            }
        };
        let profile = match which {
            TestCert::NoClientAuth => ClientProfile::NoExtendedKeyUsage,
            TestCert::NoDigitalSignature => ClientProfile::NoDigitalSignature,
            TestCert::WeakRsa => ClientProfile::WeakRsa,
            _ => ClientProfile::Standard,
        };
        // The CN says which test certificate this is, so a refusal in the hub's log is
        // easy to match to the test that caused it.
        let common_name = format!(
            "{} (test: {})",
            issue::party_common_name(GEMEENTE.name),
            which.name()
        );
        let cert = issue::organisation(
            issuer,
            GEMEENTE.name,
            &common_name,
            oin,
            serials.next(),
            validity,
            profile,
        )?;
        if which == TestCert::Revoked {
            revoked.push(cert.serial.clone());
        }
        files.push(Planned::key(layout.test_key(which), cert.key_pem));
        files.push(Planned::public(layout.test_cert(which), cert.cert_pem));
    }
    Ok(revoked)
}
