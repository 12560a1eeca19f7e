//! Generates a PKI into a temporary directory and reads every file back with
//! x509-parser, the way the hub will see it.

use std::collections::HashSet;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tempfile::TempDir;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use treiter_certs_dev::inspect::{self, Entry};
use treiter_certs_dev::{
    Error, Layout, MALFORMED_OIN, OTHER_CA_NAME, Options, PARTIES, PERSONS, ROOT_CA_NAME, TestCert,
    UNKNOWN_OIN, generate,
};
use x509_parser::asn1_rs::Tag;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_USERID, OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_ORGANIZATION_NAME,
    OID_X509_SERIALNUMBER,
};
use x509_parser::prelude::{
    X509Certificate, X509Error, X509Name, parse_x509_certificate, parse_x509_crl, parse_x509_pem,
};

const NOW: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

fn options(test_certs: bool, force: bool) -> Options {
    Options {
        test_certs,
        now: NOW,
        force,
    }
}

/// A fresh PKI with test certificates in a temporary directory.
fn pki() -> (TempDir, Layout) {
    let dir = TempDir::new().expect("temp dir");
    let layout = generate(dir.path(), &options(true, false)).expect("generate");
    (dir, layout)
}

/// The DER inside a PEM file.
fn der(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (_, pem) = parse_x509_pem(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    pem.contents
}

fn cert(der: &[u8]) -> X509Certificate<'_> {
    parse_x509_certificate(der).expect("certificate").1
}

/// All values of one subject attribute, with their ASN.1 string tags.
fn values<'a>(name: &X509Name<'a>, oid: &Oid<'a>) -> Vec<(&'a str, Tag)> {
    name.iter_by_oid(oid)
        .map(|a| (a.as_str().expect("string attribute"), a.attr_value().tag()))
        .collect()
}

/// The one value of a subject attribute.
fn single<'a>(name: &X509Name<'a>, oid: &Oid<'a>) -> &'a str {
    let found = values(name, oid);
    assert_eq!(found.len(), 1, "{oid} in {name}");
    found[0].0
}

/// Asserts the subject carries exactly `oin` as a PrintableString `serialNumber`.
fn assert_oin(name: &X509Name<'_>, oin: &str) {
    assert_eq!(
        values(name, &OID_X509_SERIALNUMBER),
        vec![(oin, Tag::PrintableString)],
        "{name}"
    );
}

fn assert_window(c: &X509Certificate<'_>, not_before: OffsetDateTime, not_after: OffsetDateTime) {
    assert_eq!(
        c.validity().not_before.to_datetime(),
        not_before,
        "{}",
        c.subject()
    );
    assert_eq!(
        c.validity().not_after.to_datetime(),
        not_after,
        "{}",
        c.subject()
    );
}

fn assert_client_auth_only(c: &X509Certificate<'_>) {
    let eku = c.extended_key_usage().expect("eku").expect("has eku").value;
    assert!(eku.client_auth && !eku.server_auth, "{}", c.subject());
}

#[test]
fn root_ca_is_a_self_signed_crl_signing_ca() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    assert_eq!(single(root.subject(), &OID_X509_COMMON_NAME), ROOT_CA_NAME);
    assert_eq!(root.subject(), root.issuer());
    assert!(root.is_ca());
    let ku = root
        .key_usage()
        .expect("key usage")
        .expect("has key usage")
        .value;
    assert!(ku.key_cert_sign() && ku.crl_sign() && ku.digital_signature());
    assert_window(&root, NOW - Duration::days(1), NOW + Duration::days(3652));
    root.verify_signature(None).expect("self-signed");
    let key = fs::read_to_string(layout.ca_key()).expect("root key");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
}

#[test]
fn party_certs_carry_their_oin_as_a_printable_string() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    assert_eq!(PARTIES.len(), 7);
    for party in PARTIES {
        let der = der(&layout.party_cert(party.slug));
        let c = cert(&der);
        let subject = c.subject();
        assert_oin(subject, party.oin);
        let oin = single(subject, &OID_X509_SERIALNUMBER);
        assert!(oin.len() == 20 && oin.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(single(subject, &OID_X509_COUNTRY_NAME), "NL");
        assert_eq!(single(subject, &OID_X509_ORGANIZATION_NAME), party.name);
        assert_eq!(
            single(subject, &OID_X509_COMMON_NAME),
            format!("{} node agent", party.name)
        );
        assert!(
            values(subject, &OID_USERID).is_empty(),
            "no UID on an org cert"
        );
        assert_client_auth_only(&c);
        assert_window(&c, NOW - Duration::days(1), NOW + Duration::days(730));
        assert_eq!(c.issuer(), root.subject());
        c.verify_signature(Some(root.public_key()))
            .expect("signed by the root");
    }
}

#[test]
fn person_certs_carry_uid_and_their_partys_oin() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    for person in PERSONS {
        let party = person.party().expect("party");
        let der = der(&layout.person_cert(person.id));
        let c = cert(&der);
        let subject = c.subject();
        assert_eq!(single(subject, &OID_USERID), person.id);
        assert_oin(subject, party.oin);
        assert_eq!(single(subject, &OID_X509_ORGANIZATION_NAME), party.name);
        assert_eq!(single(subject, &OID_X509_COMMON_NAME), person.name);
        assert_eq!(single(subject, &OID_X509_COUNTRY_NAME), "NL");
        assert_client_auth_only(&c);
        c.verify_signature(Some(root.public_key()))
            .expect("signed by the root");
    }
}

#[test]
fn persons_required_by_the_brief_exist() {
    let find = |id: &str| PERSONS.iter().find(|p| p.id == id).expect(id);
    for (id, role, stadsdeel) in [
        ("p-gemeente-001", "informatiemakelaar", Some("oost")),
        ("p-gemeente-002", "informatiemakelaar", Some("west")),
        ("p-gemeente-003", "stadsdeelregisseur", Some("west")),
        ("p-gemeente-004", "stadsdeelregisseur", Some("oost")),
        ("p-gemeente-005", "stedelijk-regisseur", None),
    ] {
        let p = find(id);
        assert_eq!((p.roles, p.stadsdeel), (&[role][..], stadsdeel), "{id}");
    }
    for party in PARTIES {
        let contact = if party.slug == "politie" {
            "017"
        } else {
            "010"
        };
        let id = format!("p-{}-{contact}", party.slug);
        assert_eq!(find(&id).roles, &["partnercontact"], "{id}");
        let id = format!("p-{}-090", party.slug);
        assert_eq!(find(&id).roles, &["privacy-officer"], "{id}");
    }
}

#[test]
fn hub_cert_serves_localhost_over_dns_and_both_loopbacks() {
    let (_dir, layout) = pki();
    let der = der(&layout.hub_cert());
    let c = cert(&der);
    assert_eq!(
        single(c.subject(), &OID_X509_COMMON_NAME),
        "treiter hub (dev)"
    );
    let san = c
        .subject_alternative_name()
        .expect("san")
        .expect("has san")
        .value;
    assert_eq!(
        san.general_names,
        vec![
            GeneralName::DNSName("localhost"),
            GeneralName::IPAddress(&Ipv4Addr::LOCALHOST.octets()),
            GeneralName::IPAddress(&Ipv6Addr::LOCALHOST.octets()),
        ]
    );
    let eku = c.extended_key_usage().expect("eku").expect("has eku").value;
    assert!(eku.server_auth && !eku.client_auth);
}

#[test]
fn crl_lists_exactly_the_revoked_test_cert() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    let revoked_der = der(&layout.test_cert(TestCert::Revoked));
    let revoked = cert(&revoked_der);
    let crl_der = der(&layout.ca_crl());
    let (_, crl) = parse_x509_crl(&crl_der).expect("crl");
    let serials: Vec<_> = crl
        .iter_revoked_certificates()
        .map(|r| r.serial().clone())
        .collect();
    assert_eq!(serials, vec![revoked.serial.clone()]);
    assert_eq!(crl.issuer(), root.subject());
    crl.verify_signature(root.public_key())
        .expect("signed by the root");
    assert_eq!(crl.last_update().to_datetime(), NOW - Duration::hours(1));
    assert_eq!(
        crl.next_update().map(|t| t.to_datetime()),
        Some(NOW + Duration::days(365))
    );
    // The revoked certificate is otherwise a perfectly good gemeente certificate, so
    // only the CRL can make the hub refuse it.
    assert_oin(revoked.subject(), PARTIES[0].oin);
    revoked
        .verify_signature(Some(root.public_key()))
        .expect("signed by the root");
}

#[test]
fn without_test_certs_the_crl_is_empty_and_there_is_no_test_dir() {
    let dir = TempDir::new().expect("temp dir");
    let layout = generate(dir.path(), &options(false, false)).expect("generate");
    let crl_der = der(&layout.ca_crl());
    let (_, crl) = parse_x509_crl(&crl_der).expect("crl");
    assert_eq!(crl.iter_revoked_certificates().count(), 0);
    assert!(!layout.root().join("test").exists());
}

#[test]
fn expired_and_not_yet_valid_windows() {
    let (_dir, layout) = pki();
    let der_expired = der(&layout.test_cert(TestCert::Expired));
    let expired = cert(&der_expired);
    assert_window(&expired, NOW - Duration::days(30), NOW - Duration::days(1));
    let der_future = der(&layout.test_cert(TestCert::NotYetValid));
    let future = cert(&der_future);
    assert_window(&future, NOW + Duration::days(1), NOW + Duration::days(30));
    for c in [&expired, &future] {
        assert_oin(c.subject(), PARTIES[0].oin);
        assert!(!c.validity().is_valid_at(NOW.into()));
    }
}

#[test]
fn wrong_ca_is_signed_by_the_other_ca_only() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    let other_der = der(&layout.other_ca_cert());
    let other = cert(&other_der);
    let wrong_der = der(&layout.test_cert(TestCert::WrongCa));
    let wrong = cert(&wrong_der);
    assert_eq!(
        single(other.subject(), &OID_X509_COMMON_NAME),
        OTHER_CA_NAME
    );
    assert_ne!(wrong.issuer(), root.subject());
    assert_eq!(wrong.issuer(), other.subject());
    wrong
        .verify_signature(Some(other.public_key()))
        .expect("signed by the other CA");
    assert!(
        matches!(
            wrong.verify_signature(Some(root.public_key())),
            Err(X509Error::SignatureVerificationError)
        ),
        "the root must not have signed wrong-ca"
    );
    assert_oin(wrong.subject(), PARTIES[0].oin);
}

#[test]
fn profile_test_certs_break_exactly_one_rule_of_the_client_profile() {
    let (_dir, layout) = pki();
    let root_der = der(&layout.ca_cert());
    let root = cert(&root_der);
    let gemeente = PARTIES[0];

    let no_eku_der = der(&layout.test_cert(TestCert::NoClientAuth));
    let no_eku = cert(&no_eku_der);
    assert!(no_eku.extended_key_usage().expect("eku").is_none());
    let ku = no_eku.key_usage().expect("ku").expect("has ku").value;
    assert!(ku.digital_signature());

    let no_ds_der = der(&layout.test_cert(TestCert::NoDigitalSignature));
    let no_ds = cert(&no_ds_der);
    assert_client_auth_only(&no_ds);
    let ku = no_ds.key_usage().expect("ku").expect("has ku").value;
    assert!(ku.key_encipherment() && !ku.digital_signature());

    let weak_der = der(&layout.test_cert(TestCert::WeakRsa));
    let weak = cert(&weak_der);
    assert_client_auth_only(&weak);
    match weak.public_key().parsed().expect("public key") {
        x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 1024),
        other => panic!("not RSA: {other:?}"),
    }
    let key = fs::read_to_string(layout.test_key(TestCert::WeakRsa)).expect("key");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");

    for c in [&no_eku, &no_ds, &weak] {
        c.verify_signature(Some(root.public_key()))
            .expect("signed by the root");
        assert_oin(c.subject(), gemeente.oin);
    }
}

#[test]
fn oin_test_certs_have_the_broken_subjects() {
    let (_dir, layout) = pki();
    let gemeente = PARTIES[0];
    let malformed_der = der(&layout.test_cert(TestCert::MalformedOin));
    let malformed = cert(&malformed_der);
    assert_oin(malformed.subject(), MALFORMED_OIN);
    assert_eq!(MALFORMED_OIN, "12345");

    let unknown_der = der(&layout.test_cert(TestCert::UnknownOin));
    let unknown = cert(&unknown_der);
    assert_oin(unknown.subject(), UNKNOWN_OIN);
    assert!(PARTIES.iter().all(|p| p.oin != UNKNOWN_OIN));

    let none_der = der(&layout.test_cert(TestCert::NoOin));
    let none = cert(&none_der);
    assert!(values(none.subject(), &OID_X509_SERIALNUMBER).is_empty());

    for c in [&malformed, &unknown, &none] {
        assert_eq!(
            single(c.subject(), &OID_X509_ORGANIZATION_NAME),
            gemeente.name
        );
        assert!(values(c.subject(), &OID_USERID).is_empty(), "org certs");
        assert_client_auth_only(c);
    }
}

#[test]
fn every_certificate_has_a_unique_serial() {
    let (_dir, layout) = pki();
    let mut paths = vec![layout.ca_cert(), layout.hub_cert(), layout.other_ca_cert()];
    paths.extend(PARTIES.iter().map(|p| layout.party_cert(p.slug)));
    paths.extend(PERSONS.iter().map(|p| layout.person_cert(p.id)));
    paths.extend(TestCert::ALL.iter().map(|t| layout.test_cert(*t)));
    let mut seen = HashSet::new();
    for path in &paths {
        let der = der(path);
        let serial = cert(&der).serial.clone();
        assert!(seen.insert(serial), "{} repeats a serial", path.display());
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn keys_are_0600_and_everything_else_0644() {
    let (_dir, layout) = pki();
    let files = files_under(layout.root());
    // 7 parties, PERSONS, hub, root, 7 test certs: a key and a cert each; plus the CRL,
    // other-ca.pem and persons.toml.
    let pairs = PARTIES.len() + PERSONS.len() + 2 + TestCert::ALL.len();
    assert_eq!(files.len(), 2 * pairs + 3);
    for path in files {
        let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        let is_key = path.extension().is_some_and(|e| e == "key");
        if is_key {
            assert_eq!(mode, 0o600, "{}", path.display());
        } else {
            // Certificates may lose bits to a strict umask, never gain any.
            assert_eq!(mode & !0o644, 0, "{}", path.display());
        }
    }
}

#[test]
fn a_second_generate_refuses_without_force() {
    let (dir, layout) = pki();
    let before = fs::read(layout.ca_cert()).expect("root");
    let err = generate(dir.path(), &options(true, false)).expect_err("must refuse");
    assert!(
        matches!(&err, Error::WouldOverwrite { path } if *path == layout.ca_key()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("--force") && message.contains("root.key"),
        "{message}"
    );
    assert_eq!(
        fs::read(layout.ca_cert()).expect("root"),
        before,
        "untouched"
    );
}

#[test]
fn force_replaces_the_whole_pki_and_nothing_else() {
    let (dir, layout) = pki();
    let unrelated = dir.path().join("notes.txt");
    fs::write(&unrelated, "keep me").expect("write");
    let before = fs::read(layout.ca_cert()).expect("root");

    let again = generate(dir.path(), &options(false, true)).expect("force");
    assert_eq!(again.root(), layout.root());
    assert_ne!(fs::read(layout.ca_cert()).expect("root"), before, "new CA");
    // The old test certificates were issued by the old CA; they must not linger.
    assert!(!layout.root().join("test").exists());
    assert_eq!(fs::read_to_string(&unrelated).expect("kept"), "keep me");
    // The new party certificates chain to the new root.
    let root_der = der(&layout.ca_cert());
    let party_der = der(&layout.party_cert("om"));
    cert(&party_der)
        .verify_signature(Some(cert(&root_der).public_key()))
        .expect("signed by the new root");
}

#[test]
fn a_stray_file_in_the_way_refuses_before_writing_anything() {
    let dir = TempDir::new().expect("temp dir");
    let layout = Layout::new(dir.path());
    fs::write(layout.registry(), "# someone else's").expect("write");
    let err = generate(dir.path(), &options(false, false)).expect_err("must refuse");
    assert!(
        matches!(&err, Error::WouldOverwrite { path } if *path == layout.registry()),
        "{err:?}"
    );
    assert!(!layout.ca_key().exists(), "nothing written");
}

/// The registry as the hub reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    person: Vec<RegistryPerson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryPerson {
    id: String,
    name: String,
    party: String,
    roles: Vec<String>,
    stadsdeel: Option<String>,
}

#[test]
fn persons_toml_parses_back_to_every_person() {
    let (_dir, layout) = pki();
    let text = fs::read_to_string(layout.registry()).expect("registry");
    let registry: Registry = toml::from_str(&text).expect("valid TOML");
    assert_eq!(registry.person.len(), PERSONS.len());
    for (entry, person) in registry.person.iter().zip(PERSONS) {
        assert_eq!(entry.id, person.id);
        assert_eq!(entry.name, person.name);
        assert_eq!(entry.party, person.party().expect("party").oin);
        assert_eq!(entry.roles, person.roles);
        assert_eq!(entry.stadsdeel.as_deref(), person.stadsdeel);
    }
}

#[test]
fn list_reads_back_every_certificate_and_the_crl() {
    let (_dir, layout) = pki();
    let entries = inspect::list(layout.root()).expect("list");
    let certs: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Certificate(c) => Some(c),
            Entry::Crl(_) => None,
        })
        .collect();
    let crls: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Crl(c) => Some(c),
            Entry::Certificate(_) => None,
        })
        .collect();
    assert_eq!(
        certs.len(),
        PARTIES.len() + PERSONS.len() + 2 + TestCert::ALL.len() + 1
    );
    assert_eq!(crls.len(), 1);
    assert_eq!(crls[0].revoked.len(), 1);
    let person = certs
        .iter()
        .find(|c| c.path == layout.person_cert("p-politie-017"))
        .expect("listed");
    assert_eq!(person.subject.uid.as_deref(), Some("p-politie-017"));
    assert_eq!(person.subject.oin.as_deref(), Some(PARTIES[1].oin));
}

#[test]
fn list_of_a_missing_directory_names_it() {
    let dir = TempDir::new().expect("temp dir");
    let missing = dir.path().join("nope");
    let err = inspect::list(&missing).expect_err("missing");
    assert!(
        matches!(&err, Error::Read { path, .. } if *path == missing),
        "{err:?}"
    );
}
