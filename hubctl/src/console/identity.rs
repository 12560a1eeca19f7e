//! Identifying data typed into a console form (article 8.4): pseudonymised here, in
//! the console process, with the profile's covenant key, by the same function `hubctl
//! subject add` uses ([`crate::commands::pseudonymise`]); only the pseudonym goes to
//! the hub.
//!
//! The data never leaves the machine and appears in no log and no page: the form type
//! below has no `Debug` or `Display` that shows the values, the console logs no request
//! bodies, a page never echoes these fields back (a refused form is shown again with
//! the identifying fields empty), and an error names the field, never its value.
//! Forms that take identifying data (adding a subject on Casus, Inzage) read it
//! with [`IdentifyingData::from_form`] and pass the result to
//! [`IdentifyingData::pseudonym`].

use axum::body::Bytes;

use super::security::form_value;
use crate::commands::pseudonymise;
use crate::error::Error;
use crate::profile::Profile;
use treiter_pseudonym::Identity;

/// The form fields that carry identifying data.
pub mod field {
    /// Given names and family name.
    pub const NAME: &str = "naam";
    /// Date of birth, YYYY-MM-DD.
    pub const BIRTH_DATE: &str = "geboortedatum";
    /// Dutch postcode.
    pub const POSTCODE: &str = "postcode";
    /// House number with addition.
    pub const HOUSE_NUMBER: &str = "huisnummer";
    /// Every one of them, for checks that none is echoed or logged.
    pub const ALL: [&str; 4] = [NAME, BIRTH_DATE, POSTCODE, HOUSE_NUMBER];
}

/// Name, date of birth, postcode and house number as typed. Deliberately without
/// `Debug`, `Display`, `Clone` or `Serialize`: it can only be pseudonymised.
pub struct IdentifyingData {
    name: String,
    birth_date: String,
    postcode: String,
    house_number: String,
}

impl std::fmt::Debug for IdentifyingData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentifyingData(not shown)")
    }
}

/// A field of identifying data that was left empty (named, never its value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingField(pub &'static str);

impl IdentifyingData {
    /// The four fields of an urlencoded form body; the first empty one is named.
    pub fn from_form(body: &Bytes) -> Result<IdentifyingData, MissingField> {
        let get = |name: &'static str| {
            form_value(body, name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(MissingField(name))
        };
        Ok(IdentifyingData {
            name: get(field::NAME)?,
            birth_date: get(field::BIRTH_DATE)?,
            postcode: get(field::POSTCODE)?,
            house_number: get(field::HOUSE_NUMBER)?,
        })
    }

    /// The keyed pseudonym (64 hex characters), computed here with the profile's
    /// covenant key. The data is dropped with `self`.
    pub fn pseudonym(self, profile: &Profile) -> Result<String, Error> {
        pseudonymise(
            profile,
            &Identity {
                name: &self.name,
                birth_date: &self.birth_date,
                postcode: &self.postcode,
                house_number: &self.house_number,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_pseudonym::PseudonymKey;

    const BODY: &[u8] =
        b"_csrf=x&naam=Sanne+Slachtoffer&geboortedatum=1975-05-05&postcode=1091+AB&huisnummer=14-2";

    fn profile(dir: &std::path::Path) -> Profile {
        let key = dir.join("pseudonym.key");
        std::fs::write(&key, format!("{}\n", "42".repeat(32))).expect("key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let text = format!(
            "hub_url = \"https://127.0.0.1:1\"\ncert = \"c.pem\"\nkey = \"k.pem\"\ntrust_anchors = [\"ca.pem\"]\npseudonym_key = \"{}\"\n",
            key.display()
        );
        Profile::parse(&text, &dir.join("p.toml")).expect("profile")
    }

    #[test]
    fn the_console_pseudonymises_as_subject_add_does() {
        let dir = tempfile::tempdir().expect("dir");
        let data = IdentifyingData::from_form(&Bytes::from_static(BODY)).expect("complete");
        let shown = format!("{data:?}");
        assert!(
            !shown.contains("Sanne") && !shown.contains("1091"),
            "{shown}"
        );
        let hex = data.pseudonym(&profile(dir.path())).expect("pseudonym");
        let expected = PseudonymKey::from_bytes(&[0x42; 32])
            .expect("key")
            .pseudonym(&Identity {
                name: "Sanne Slachtoffer",
                birth_date: "1975-05-05",
                postcode: "1091 AB",
                house_number: "14-2",
            })
            .expect("pseudonym")
            .to_hex();
        assert_eq!(hex, expected);
    }

    #[test]
    fn a_missing_field_is_named_not_shown() {
        let body = Bytes::from_static(b"naam=Sanne+Slachtoffer&geboortedatum=&postcode=1091+AB");
        let missing = IdentifyingData::from_form(&body).unwrap_err();
        assert_eq!(missing, MissingField(field::BIRTH_DATE));
    }
}
