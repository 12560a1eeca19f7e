//! The profile: which hub, with which certificate, trusting which CA, and (optionally)
//! the covenant's pseudonym key.
//!
//! ```toml
//! # hubctl.toml — relative paths resolve against this file's directory
//! hub_url = "https://hub.example.nl:7443"
//! cert = "pki/persons/p-gemeente-001.pem"       # your person certificate
//! key = "pki/persons/p-gemeente-001.key"        # its private key
//! # optional, for an encrypted key or a PKCS#12 bundle (.p12/.pfx, then named as both
//! # cert and key): "prompt" (asked on the terminal), "file:PATH" or "env:NAME"
//! key_passphrase = "prompt"
//! trust_anchors = ["pki/ca/root.pem"]           # the CA(s) of the hub's certificate
//! pseudonym_key = "pseudonym.key"               # optional: for `subject add --name ..`
//! # optional, for privacy officers' `log verify`: the hub's log verifier key, as the
//! # hub's operator gives it (`<origin>+<key id>+<base64 key>`)
//! log_verifier = "treiteraanpak.amsterdam/hub-log+1a2b3c4d+AT..."
//! ```
//!
//! `log verify` remembers the last checkpoint it verified in a state file next to the
//! profile ([`Profile::log_state_path`]).
//!
//! Chosen with `--profile FILE`, else `HUBCTL_PROFILE`, else `./hubctl.toml`. Unknown
//! keys are refused (a typo must not silently drop a setting); every error names the
//! file and the key.

use std::path::{Path, PathBuf};

use treiter_proto::client::HubEndpoint;

/// The profile read when neither `--profile` nor `HUBCTL_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "hubctl.toml";
/// The environment variable that names the profile.
pub const PROFILE_ENV: &str = "HUBCTL_PROFILE";
/// Every key a profile may hold.
pub const KEYS: [&str; 7] = [
    "hub_url",
    "cert",
    "key",
    "trust_anchors",
    "pseudonym_key",
    "log_verifier",
    "key_passphrase",
];

/// A profile, read and checked; paths are absolute or relative to the working
/// directory (resolved against the profile's directory).
#[derive(Clone, Debug)]
pub struct Profile {
    /// The profile file itself, as given.
    pub path: PathBuf,
    /// The hub.
    pub hub: HubEndpoint,
    /// The person certificate (PEM; chain allowed), or a PKCS#12 bundle.
    pub cert: PathBuf,
    /// Its private key (PEM, possibly encrypted), or the same PKCS#12 bundle.
    pub key: PathBuf,
    /// Where the passphrase of an encrypted key or bundle comes from (none: the key
    /// is not encrypted).
    pub key_passphrase: treiter_proto::keyfile::PassphraseSource,
    /// The CA certificates that may have issued the hub's certificate.
    pub trust_anchors: Vec<PathBuf>,
    /// The covenant-wide pseudonym key file (article 8.4), if set.
    pub pseudonym_key: Option<PathBuf>,
    /// The hub's decision-log verifier key (signed-note text form), if set: what
    /// `log verify` checks the hub's checkpoints with. Checked when used.
    pub log_verifier: Option<String>,
}

/// A profile that cannot be used. Every message names the file, and the key where one
/// is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file cannot be read (most often: it does not exist).
    #[error(
        "cannot read the profile {path}: {source}; pass --profile FILE or set {PROFILE_ENV} (a profile names hub_url, cert, key and trust_anchors; see `hubctl --help`)"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML.
    #[error("the profile {path} is not valid TOML: {detail}")]
    Syntax { path: PathBuf, detail: String },
    /// A key the profile format does not have.
    #[error(
        "the profile {path} has an unknown key `{key}`; a profile holds only hub_url, cert, key, key_passphrase, trust_anchors, pseudonym_key and log_verifier"
    )]
    UnknownKey { path: PathBuf, key: String },
    /// A required key is absent.
    #[error("the profile {path} lacks `{key}`: {what}")]
    Missing {
        path: PathBuf,
        key: &'static str,
        what: &'static str,
    },
    /// A file the profile names cannot be read.
    #[error("the profile {path}: `{key}` names {file}, which cannot be read: {source}")]
    File {
        path: PathBuf,
        key: &'static str,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A key holds a value of the wrong shape.
    #[error("the profile {path}: `{key}` {problem}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        problem: String,
    },
}

impl Profile {
    /// Reads the profile file at `path`.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses profile text; `path` names the file in errors and is the base of relative
    /// paths.
    pub fn parse(text: &str, path: &Path) -> Result<Profile, ProfileError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ProfileError::Syntax {
            path: path.to_path_buf(),
            detail: e.to_string().trim_end().replace('\n', " "),
        })?;
        if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(ProfileError::UnknownKey {
                path: path.to_path_buf(),
                key: key.clone(),
            });
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let invalid = |key: &'static str, problem: String| ProfileError::Invalid {
            path: path.to_path_buf(),
            key,
            problem,
        };
        let string = |key: &'static str| -> Result<Option<&str>, ProfileError> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) if s.trim().is_empty() => {
                    Err(invalid(key, "is empty".into()))
                }
                Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
                Some(other) => Err(invalid(
                    key,
                    format!("must be a string, not {}", other.type_str()),
                )),
            }
        };
        let required = |key: &'static str, what: &'static str| {
            string(key)?.ok_or_else(|| ProfileError::Missing {
                path: path.to_path_buf(),
                key,
                what,
            })
        };
        let url = required(
            "hub_url",
            "the hub's address, e.g. \"https://hub.example.nl:7443\"",
        )?;
        let hub = HubEndpoint::parse(url).map_err(|e| {
            // HubEndpoint's message starts with `hub_url = "..."`; keep its reason only.
            let why = e
                .split_once("\" ")
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or(e);
            invalid("hub_url", format!("= \"{url}\" {why}"))
        })?;
        let cert = base.join(required("cert", "your person certificate (PEM)")?);
        let key = base.join(required(
            "key",
            "the private key of your certificate (PEM)",
        )?);
        let trust_anchors = match table.get("trust_anchors") {
            None => {
                return Err(ProfileError::Missing {
                    path: path.to_path_buf(),
                    key: "trust_anchors",
                    what: "the CA certificate(s) of the hub, e.g. [\"pki/ca/root.pem\"]",
                });
            }
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    other => Err(invalid(
                        "trust_anchors",
                        format!("must list file names (strings), not {}", other.type_str()),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(
                    "trust_anchors",
                    format!("must be a list of file names, not {}", other.type_str()),
                ));
            }
        };
        if trust_anchors.is_empty() {
            return Err(invalid(
                "trust_anchors",
                "is empty: name at least one CA certificate".into(),
            ));
        }
        let trust_anchors = trust_anchors.iter().map(|a| base.join(a)).collect();
        let pseudonym_key = string("pseudonym_key")?.map(|k| base.join(k));
        let log_verifier = string("log_verifier")?.map(|v| v.trim().to_owned());
        let key_passphrase = match string("key_passphrase")? {
            None => treiter_proto::keyfile::PassphraseSource::None,
            Some(value) => {
                treiter_proto::keyfile::PassphraseSource::parse("key_passphrase", value, base, true)
                    .map_err(|problem| invalid("key_passphrase", problem))?
            }
        };
        Ok(Profile {
            path: path.to_path_buf(),
            hub,
            cert,
            key,
            key_passphrase,
            trust_anchors,
            pseudonym_key,
            log_verifier,
        })
    }

    /// Where `log verify` keeps the last checkpoint this profile verified: beside the
    /// profile, named after it (`hubctl.toml` → `hubctl.toml.log-checkpoint`).
    pub fn log_state_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "hubctl".into());
        name.push(".log-checkpoint");
        self.path.with_file_name(name)
    }
}

impl Profile {
    /// Checks that the certificate, key and trust anchor files can be opened, so that
    /// an error names the profile's key rather than only a path.
    pub fn check_files(&self) -> Result<(), ProfileError> {
        let mut files = vec![("cert", &self.cert), ("key", &self.key)];
        files.extend(self.trust_anchors.iter().map(|a| ("trust_anchors", a)));
        for (key, file) in files {
            std::fs::File::open(file).map_err(|source| ProfileError::File {
                path: self.path.clone(),
                key,
                file: file.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// The profile file to use: `--profile` (or `HUBCTL_PROFILE`, which clap folds into the
/// same option), else [`DEFAULT_PROFILE`] in the working directory.
pub fn choose(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PROFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
hub_url = "https://localhost:7443"
cert = "pki/persons/p-gemeente-001.pem"
key = "/abs/p-gemeente-001.key"
trust_anchors = ["pki/ca/root.pem", "other.pem"]
pseudonym_key = "pseudonym.key"
"#;

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(text, Path::new("/etc/hubctl/im.toml"))
    }

    #[test]
    fn a_full_profile_resolves_paths_against_its_directory() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.hub.host, "localhost");
        assert_eq!(p.hub.port, 7443);
        assert_eq!(
            p.cert,
            Path::new("/etc/hubctl/pki/persons/p-gemeente-001.pem")
        );
        assert_eq!(p.key, Path::new("/abs/p-gemeente-001.key"));
        assert_eq!(
            p.trust_anchors,
            [
                Path::new("/etc/hubctl/pki/ca/root.pem"),
                Path::new("/etc/hubctl/other.pem")
            ]
        );
        assert_eq!(
            p.pseudonym_key.as_deref(),
            Some(Path::new("/etc/hubctl/pseudonym.key"))
        );
    }

    #[test]
    fn the_pseudonym_key_is_optional_and_one_anchor_may_be_a_string() {
        let p = parse(
            "hub_url = \"https://[::1]:1\"\ncert = \"c\"\nkey = \"k\"\ntrust_anchors = \"ca.pem\"\n",
        )
        .unwrap();
        assert!(p.pseudonym_key.is_none());
        assert_eq!(p.trust_anchors, [Path::new("/etc/hubctl/ca.pem")]);
        assert_eq!(p.hub.host, "::1");
    }

    #[test]
    fn unknown_keys_are_refused_naming_file_and_key() {
        let err = parse(&format!("{GOOD}\npseudonym_kye = \"x\"\n")).unwrap_err();
        assert!(
            matches!(&err, ProfileError::UnknownKey { key, .. } if key == "pseudonym_kye"),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("/etc/hubctl/im.toml") && text.contains("`pseudonym_kye`"),
            "{text}"
        );
        // A table is a key too.
        let err = parse(&format!("{GOOD}\n[link]\nx = 1\n")).unwrap_err();
        assert!(
            matches!(&err, ProfileError::UnknownKey { key, .. } if key == "link"),
            "{err}"
        );
    }

    #[test]
    fn missing_and_malformed_values_name_the_key() {
        let err = parse("cert = \"c\"\nkey = \"k\"\ntrust_anchors = []\n").unwrap_err();
        assert!(
            matches!(err, ProfileError::Missing { key: "hub_url", .. }),
            "{err}"
        );
        let err =
            parse("hub_url = \"https://h:1\"\nkey = \"k\"\ntrust_anchors = [\"a\"]\n").unwrap_err();
        assert!(
            matches!(err, ProfileError::Missing { key: "cert", .. }),
            "{err}"
        );
        let err = parse("hub_url = \"https://h:1\"\ncert = \"c\"\nkey = \"k\"\n").unwrap_err();
        assert!(
            matches!(
                err,
                ProfileError::Missing {
                    key: "trust_anchors",
                    ..
                }
            ),
            "{err}"
        );
        let err =
            parse("hub_url = \"http://h:1\"\ncert = \"c\"\nkey = \"k\"\ntrust_anchors = [\"a\"]\n")
                .unwrap_err();
        assert!(
            matches!(err, ProfileError::Invalid { key: "hub_url", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("https://"), "{err}");
        let err =
            parse("hub_url = \"https://h:1\"\ncert = 3\nkey = \"k\"\ntrust_anchors = [\"a\"]\n")
                .unwrap_err();
        assert!(
            matches!(err, ProfileError::Invalid { key: "cert", .. }),
            "{err}"
        );
        let err =
            parse("hub_url = \"https://h:1\"\ncert = \"c\"\nkey = \"k\"\ntrust_anchors = []\n")
                .unwrap_err();
        assert!(
            matches!(
                err,
                ProfileError::Invalid {
                    key: "trust_anchors",
                    ..
                }
            ),
            "{err}"
        );
        let err =
            parse("hub_url = \"https://h:1\"\ncert = \"c\"\nkey = \"k\"\ntrust_anchors = [1]\n")
                .unwrap_err();
        assert!(
            matches!(
                err,
                ProfileError::Invalid {
                    key: "trust_anchors",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let err = parse("hub_url = ").unwrap_err();
        assert!(matches!(err, ProfileError::Syntax { .. }), "{err}");
        assert!(err.to_string().contains("/etc/hubctl/im.toml"), "{err}");
    }

    #[test]
    fn a_missing_file_says_how_to_choose_one() {
        let err = Profile::load(Path::new("/nonexistent/hubctl.toml")).unwrap_err();
        assert!(matches!(err, ProfileError::Read { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("--profile") && text.contains(PROFILE_ENV),
            "{text}"
        );
    }

    #[test]
    fn the_default_profile_is_in_the_working_directory() {
        assert_eq!(choose(None), Path::new("hubctl.toml"));
        assert_eq!(choose(Some(Path::new("x.toml"))), Path::new("x.toml"));
    }
}
