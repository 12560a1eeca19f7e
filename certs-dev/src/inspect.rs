//! Reading a PKI back for `certs-dev list`: what each certificate and CRL says.

use std::fs;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use x509_parser::der_parser::oid::Oid;
use x509_parser::oid_registry::{
    OID_USERID, OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_ORGANIZATION_NAME,
    OID_X509_SERIALNUMBER,
};
use x509_parser::prelude::{X509Name, parse_x509_certificate, parse_x509_crl, parse_x509_pem};

use crate::Error;
use crate::layout::{Layout, OWNED_DIRS};

/// The subject attributes the hub looks at. An attribute that occurs more than once
/// is shown with its values joined by `+`, so a duplicate is visible.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// `C`.
    pub country: Option<String>,
    /// `O`: the party's name.
    pub organisation: Option<String>,
    /// `CN`.
    pub common_name: Option<String>,
    /// `serialNumber`: the OIN (also on person certificates: their party's OIN).
    pub oin: Option<String>,
    /// `UID`: a person's id; present only on person certificates.
    pub uid: Option<String>,
}

/// One certificate file.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// The file.
    pub path: PathBuf,
    /// Its subject.
    pub subject: Subject,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The serial, as colon-separated hex.
    pub serial: String,
}

/// One CRL file.
#[derive(Clone, Debug)]
pub struct CrlInfo {
    /// The file.
    pub path: PathBuf,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// When the CRL was issued.
    pub this_update: OffsetDateTime,
    /// When the next CRL is due.
    pub next_update: Option<OffsetDateTime>,
    /// Serials of the revoked certificates, as colon-separated hex.
    pub revoked: Vec<String>,
}

/// A PEM file of the PKI.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A certificate.
    Certificate(CertInfo),
    /// A certificate revocation list.
    Crl(CrlInfo),
}

/// Every `*.pem` file of the PKI under `root`, sorted by path. Directories of the tree
/// that do not exist (such as `test/` without `--test-certs`) are skipped; `root`
/// itself must exist.
pub fn list(root: &Path) -> Result<Vec<Entry>, Error> {
    let layout = Layout::new(root);
    fs::metadata(layout.root()).map_err(|source| Error::Read {
        path: layout.root().to_owned(),
        source,
    })?;
    let mut paths = Vec::new();
    for dir in OWNED_DIRS {
        let dir = layout.root().join(dir);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::Read { path: dir, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "pem") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths.iter().map(|path| read_entry(path)).collect()
}

fn read_entry(path: &Path) -> Result<Entry, Error> {
    let bytes = fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let parse_err = |reason: String| Error::Parse {
        path: path.to_owned(),
        reason,
    };
    let (_, pem) = parse_x509_pem(&bytes).map_err(|e| parse_err(format!("not PEM: {e}")))?;
    match pem.label.as_str() {
        "CERTIFICATE" => {
            let (_, cert) = parse_x509_certificate(&pem.contents)
                .map_err(|e| parse_err(format!("bad certificate: {e}")))?;
            Ok(Entry::Certificate(CertInfo {
                path: path.to_owned(),
                subject: subject(cert.subject()),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.to_datetime(),
                not_after: cert.validity().not_after.to_datetime(),
                serial: cert.raw_serial_as_string(),
            }))
        }
        "X509 CRL" => {
            let (_, crl) =
                parse_x509_crl(&pem.contents).map_err(|e| parse_err(format!("bad CRL: {e}")))?;
            Ok(Entry::Crl(CrlInfo {
                path: path.to_owned(),
                issuer: crl.issuer().to_string(),
                this_update: crl.last_update().to_datetime(),
                next_update: crl.next_update().map(|t| t.to_datetime()),
                revoked: crl
                    .iter_revoked_certificates()
                    .map(|r| r.raw_serial_as_string())
                    .collect(),
            }))
        }
        other => Err(parse_err(format!(
            "unexpected PEM label {other:?}, expected CERTIFICATE or X509 CRL"
        ))),
    }
}

fn subject(name: &X509Name<'_>) -> Subject {
    Subject {
        country: attribute(name, &OID_X509_COUNTRY_NAME),
        organisation: attribute(name, &OID_X509_ORGANIZATION_NAME),
        common_name: attribute(name, &OID_X509_COMMON_NAME),
        oin: attribute(name, &OID_X509_SERIALNUMBER),
        uid: attribute(name, &OID_USERID),
    }
}

fn attribute(name: &X509Name<'_>, oid: &Oid<'_>) -> Option<String> {
    let values: Vec<&str> = name
        .iter_by_oid(oid)
        .map(|a| a.as_str().unwrap_or("<not a string>"))
        .collect();
    (!values.is_empty()).then(|| values.join("+"))
}
