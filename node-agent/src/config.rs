//! The node agent's one configuration file (TOML).
//!
//! Relative paths resolve against the file's directory; unknown keys are refused; every
//! error names the file and the setting. See `node-agent/etc/node-agent.example.toml`.
//!
//! Settings: `hub_url` (or `hub_urls`, a list of hub addresses the agent fails over
//! between), `cert`, `key`, `trust_anchors` and `covenant` (required);
//! `categories`, `[source]` and `[category.<name>]` tables (optional); `pseudonym_key`
//! (required once a category reads SQLite); `receipts`; `covenant_state` (where the
//! covenant version the hub sent is kept, article 13.2); `[link]` timing, `[index]`,
//! `[health]` and `[log]` (defaults below); `[inbox]` (`dir`, `key_file`,
//! `sweep_seconds`: where delivered case data is kept, see [`crate::inbox`]);
//! `[witness]` (`log_verifier`, `key_file`, `state`: witnessing the hub's log
//! checkpoints, article 10.2; absent: no witnessing). Without any source the agent still links,
//! but answers every question "source-unavailable"; without `categories` it serves
//! every category its sources have.
//!
//! A `[category.<name>]` table chooses that category's source: `kind = "sqlite"` (a
//! read-only query on a SQLite database, [`crate::sources::sqlite`]) or
//! `kind = "json-dir"` (a directory of JSON exports). Categories without a table are
//! served by the `[source]` table, if any.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use treiter_policies::Category;

/// Default first reconnect wait (milliseconds).
pub const DEFAULT_INITIAL_BACKOFF_MS: u64 = 500;
/// Default longest reconnect wait (milliseconds): the bound within which the agent is
/// back after the hub returns.
pub const DEFAULT_MAX_BACKOFF_MS: u64 = 30_000;
/// Default seconds to wait for TCP connect + TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: u64 = 10;
/// Default heartbeat interval (seconds) until the hub's Welcome sets its own.
pub const DEFAULT_HEARTBEAT_INTERVAL_SECONDS: u64 = 10;
/// Default seconds between checks of the certificate and key files for a renewal.
pub const DEFAULT_CERTIFICATE_CHECK_SECONDS: u64 = 30;
/// Default seconds between rebuilds of the SQLite pseudonym indexes: a person entered
/// in the partner's system is a hit at most this long after.
pub const DEFAULT_INDEX_REFRESH_SECONDS: u64 = 300;

/// Default seconds within which a `/healthz` or `/metrics` request must arrive and be
/// answered; the connection is closed then.
pub const DEFAULT_HEALTH_REQUEST_TIMEOUT_SECONDS: u64 = 10;

/// Default seconds between inbox sweeps (deleting received shares whose retention
/// ended): a share is deleted at most this long after its moment.
pub const DEFAULT_INBOX_SWEEP_SECONDS: u64 = 3600;

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The first hub address: the one commands such as `test-connection` use.
    pub hub: HubEndpoint,
    /// Every hub address, `hub` first (`hub_urls`; one when `hub_url` is set): the link
    /// tries the next one when one cannot be reached, and backs off only after trying
    /// all (hub replicas behind separate addresses, issue 21).
    pub hubs: Vec<HubEndpoint>,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// How the key is unlocked when it is encrypted (`key_passphrase`).
    pub key_passphrase: treiter_proto::tls::KeyPassphrase,
    pub trust_anchors: Vec<PathBuf>,
    pub link: LinkSettings,
    /// The encoded covenant the agent pre-checks its shares with (article 13.2: its
    /// version goes into Hello).
    pub covenant: PathBuf,
    /// Where the answers come from; `None`: every question is answered
    /// "source-unavailable".
    pub source: Option<SourceConfig>,
    /// The categories (article 6) this agent answers for, when the file lists them;
    /// `None`: every category its sources have.
    pub categories: Option<Vec<Category>>,
    /// Per-category sources (`[category.<name>]`), by category.
    pub category_sources: Vec<(Category, CategorySource)>,
    /// The covenant-wide pseudonym key file (article 8.4), to index SQLite sources.
    pub pseudonym_key: Option<PathBuf>,
    /// The receipt log (article 10.3): every share sent and every checkpoint seen.
    pub receipts: Option<PathBuf>,
    /// Where the agent keeps the covenant version in force that the hub sent (article
    /// 13.2), so a restart uses it; `None`: kept in memory only (the hub sends it again
    /// after the next Welcome).
    pub covenant_state: Option<PathBuf>,
    /// How often the SQLite pseudonym indexes are rebuilt.
    pub index_refresh: Duration,
    /// The local address of `/healthz` and `/metrics`, if any; loopback unless
    /// `health.allow_non_loopback` is set (warned about at start).
    pub health_listen: Option<SocketAddr>,
    /// How long a health request may take to arrive and be answered.
    pub health_request_timeout: Duration,
    /// The log format.
    pub log_format: LogFormat,
    /// `[witness]`: witnessing the hub's log checkpoints (article 10.2); `None`: the
    /// agent does not witness.
    pub witness: Option<WitnessSettings>,
    /// The inbox for case data the hub delivers (`[inbox]`); `None`: deliveries are
    /// not accepted (not acknowledged, so the hub keeps them).
    pub inbox: Option<InboxSettings>,
}

/// Where received shares are kept (see [`crate::inbox`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxSettings {
    /// The directory of sealed shares.
    pub dir: PathBuf,
    /// The AES-256-GCM key file (32 bytes, mode 0600; generated if absent).
    pub key_file: PathBuf,
    /// How often shares whose retention ended are deleted.
    pub sweep_interval: Duration,
}

/// The `[witness]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessSettings {
    /// The hub log's verifier key, `origin+keyid+base64` (`hub check-config` prints it).
    pub log_verifier: String,
    /// The agent's Ed25519 witness key (PKCS#8 PEM, mode 0600; generated if absent).
    pub key_file: PathBuf,
    /// Where the last witnessed checkpoint is kept.
    pub state: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWitness {
    log_verifier: String,
    key_file: PathBuf,
    state: PathBuf,
}

/// How the agent writes its log to standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// The source of one category, from its `[category.<name>]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CategorySource {
    /// A directory with this category's folder of JSON files.
    JsonDir {
        /// The directory (holding `<category>/<pseudonym>.json`).
        path: PathBuf,
    },
    /// A read-only query on a SQLite database.
    Sqlite(SqliteSettings),
}

/// A category read from SQLite (see [`crate::sources::sqlite`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteSettings {
    /// The setting's name for messages, e.g. `category.huurgegevens`.
    pub setting: String,
    /// The database file; opened read-only.
    pub database: PathBuf,
    /// One row per person the category has records about: row key, name, birth
    /// date, postcode, house number (in that order).
    pub identity_query: String,
    /// The records of one person: one parameter, bound to the row key.
    pub records_query: String,
    /// The column with the source's own reference of a record.
    pub reference_column: String,
    /// The column with the moment the source recorded it.
    pub recorded_at_column: String,
    /// Source column to covenant field name; every other column stays in the agent.
    pub fields: Vec<(String, String)>,
}

/// The configured data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceConfig {
    /// A directory with one folder per category and one JSON file per subject
    /// (see [`crate::sources::json_dir`]).
    JsonDir {
        /// The directory.
        path: PathBuf,
    },
}

pub use treiter_proto::client::HubEndpoint;

/// Timing of the link to the hub.
#[derive(Clone, Copy, Debug)]
pub struct LinkSettings {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub connect_timeout: Duration,
    pub heartbeat_interval: Duration,
    /// How often the certificate and key files are checked for a renewal; `None`
    /// (`certificate_check_seconds = 0`): never, a renewal needs a restart.
    pub certificate_check: Option<Duration>,
}

/// The configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the agent configuration {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the agent configuration {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    hub_url: Option<String>,
    hub_urls: Option<Vec<String>>,
    cert: PathBuf,
    key: PathBuf,
    key_passphrase: Option<String>,
    trust_anchors: Vec<PathBuf>,
    covenant: PathBuf,
    categories: Option<Vec<String>>,
    pseudonym_key: Option<PathBuf>,
    receipts: Option<PathBuf>,
    covenant_state: Option<PathBuf>,
    source: Option<RawSource>,
    #[serde(default)]
    category: BTreeMap<String, RawCategory>,
    #[serde(default)]
    link: RawLink,
    #[serde(default)]
    index: RawIndex,
    #[serde(default)]
    health: RawHealth,
    #[serde(default)]
    log: RawLog,
    witness: Option<RawWitness>,
    inbox: Option<RawInbox>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInbox {
    dir: PathBuf,
    key_file: PathBuf,
    sweep_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum RawSource {
    JsonDir { path: PathBuf },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum RawCategory {
    JsonDir {
        path: PathBuf,
    },
    Sqlite {
        database: PathBuf,
        identity_query: String,
        records_query: String,
        reference_column: String,
        recorded_at_column: String,
        fields: BTreeMap<String, String>,
    },
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    connect_timeout_seconds: Option<u64>,
    heartbeat_interval_seconds: Option<u64>,
    certificate_check_seconds: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    refresh_seconds: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    listen: Option<String>,
    #[serde(default)]
    allow_non_loopback: bool,
    request_timeout_seconds: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
}

impl AgentConfig {
    /// Reads and validates the configuration file.
    pub fn load(path: &Path) -> Result<AgentConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses configuration text; relative paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<AgentConfig, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let hubs = parse_hub_urls(raw.hub_url.as_deref(), raw.hub_urls.as_deref())?;
        let hub = hubs[0].clone();
        if raw.trust_anchors.is_empty() {
            return Err("trust_anchors is empty: name the CA certificate(s) that issued the hub's certificate".into());
        }
        let initial = raw
            .link
            .initial_backoff_ms
            .unwrap_or(DEFAULT_INITIAL_BACKOFF_MS);
        let max = raw.link.max_backoff_ms.unwrap_or(DEFAULT_MAX_BACKOFF_MS);
        if initial == 0 {
            return Err("link.initial_backoff_ms must be at least 1".into());
        }
        if max < initial {
            return Err(format!(
                "link.max_backoff_ms ({max}) is below link.initial_backoff_ms ({initial})"
            ));
        }
        let connect = raw
            .link
            .connect_timeout_seconds
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECONDS);
        let heartbeat = raw
            .link
            .heartbeat_interval_seconds
            .unwrap_or(DEFAULT_HEARTBEAT_INTERVAL_SECONDS);
        if connect == 0 || heartbeat == 0 {
            return Err("link.connect_timeout_seconds and link.heartbeat_interval_seconds must be at least 1".into());
        }
        let categories = match raw.categories {
            None => None,
            Some(words) => {
                let mut categories = Vec::with_capacity(words.len());
                for word in &words {
                    let category = parse_category("categories", word)?;
                    if categories.contains(&category) {
                        return Err(format!("categories: '{category}' is listed twice"));
                    }
                    categories.push(category);
                }
                Some(categories)
            }
        };
        let source = raw.source.map(|s| match s {
            RawSource::JsonDir { path } => SourceConfig::JsonDir {
                path: resolve(path),
            },
        });
        let mut category_sources = Vec::with_capacity(raw.category.len());
        for (name, table) in raw.category {
            let category = parse_category(&format!("[category.{name}]"), &name)?;
            if let Some(listed) = &categories
                && !listed.contains(&category)
            {
                return Err(format!(
                    "[category.{name}] configures a source for a category that `categories` does not list; add it there or remove the table"
                ));
            }
            let setting = format!("category.{name}");
            let chosen = match table {
                RawCategory::JsonDir { path } => CategorySource::JsonDir {
                    path: resolve(path),
                },
                RawCategory::Sqlite {
                    database,
                    identity_query,
                    records_query,
                    reference_column,
                    recorded_at_column,
                    fields,
                } => {
                    if fields.is_empty() {
                        return Err(format!(
                            "{setting}.fields is empty: map at least one column to a field of '{name}'"
                        ));
                    }
                    for (label, query) in [
                        ("identity_query", &identity_query),
                        ("records_query", &records_query),
                    ] {
                        if query.trim().is_empty() {
                            return Err(format!("{setting}.{label} is empty"));
                        }
                    }
                    let mut targets: Vec<&String> = Vec::new();
                    for (column, field) in &fields {
                        if targets.contains(&field) {
                            return Err(format!(
                                "{setting}.fields maps two columns to the field '{field}'; each field comes from one column"
                            ));
                        }
                        if column == &reference_column || column == &recorded_at_column {
                            return Err(format!(
                                "{setting}.fields.{column}: the column is already the reference_column or recorded_at_column"
                            ));
                        }
                        targets.push(field);
                    }
                    CategorySource::Sqlite(SqliteSettings {
                        setting: setting.clone(),
                        database: resolve(database),
                        identity_query,
                        records_query,
                        reference_column,
                        recorded_at_column,
                        fields: fields.into_iter().collect(),
                    })
                }
            };
            category_sources.push((category, chosen));
        }
        let pseudonym_key = raw.pseudonym_key.map(resolve);
        if pseudonym_key.is_none()
            && let Some((category, _)) = category_sources
                .iter()
                .find(|(_, s)| matches!(s, CategorySource::Sqlite(_)))
        {
            return Err(format!(
                "pseudonym_key is missing: category.{category} reads SQLite, and the agent pseudonymises its records with the covenant's pseudonym key (article 8.4)"
            ));
        }
        let certificate_check = raw
            .link
            .certificate_check_seconds
            .unwrap_or(DEFAULT_CERTIFICATE_CHECK_SECONDS);
        let index_refresh = raw
            .index
            .refresh_seconds
            .unwrap_or(DEFAULT_INDEX_REFRESH_SECONDS);
        if index_refresh == 0 {
            return Err("index.refresh_seconds must be at least 1".into());
        }
        let health_listen = match raw.health.listen {
            None => None,
            Some(text) => {
                let addr: SocketAddr = text.parse().map_err(|_| {
                    format!(
                        "health.listen = \"{text}\" is not an address with a port, e.g. \"127.0.0.1:9464\""
                    )
                })?;
                // /metrics and /healthz carry no personal data, but they have no
                // authentication: the partner's monitoring scrapes them locally, unless
                // the operator says a firewall guards another address.
                if !addr.ip().is_loopback() && !raw.health.allow_non_loopback {
                    return Err(format!(
                        "health.listen = \"{text}\" is not a loopback address; /healthz and /metrics have no authentication: listen on 127.0.0.1 or ::1, or set health.allow_non_loopback = true if a firewall guards this address"
                    ));
                }
                Some(addr)
            }
        };
        let health_request_timeout = raw
            .health
            .request_timeout_seconds
            .unwrap_or(DEFAULT_HEALTH_REQUEST_TIMEOUT_SECONDS);
        if health_request_timeout == 0 {
            return Err("health.request_timeout_seconds must be at least 1".into());
        }
        let log_format = match raw.log.format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(format!(
                    "log.format = \"{other}\" is not \"text\" or \"json\""
                ));
            }
        };
        let inbox = match raw.inbox {
            None => None,
            Some(raw) => {
                let sweep = raw.sweep_seconds.unwrap_or(DEFAULT_INBOX_SWEEP_SECONDS);
                if sweep == 0 {
                    return Err("inbox.sweep_seconds must be at least 1".into());
                }
                Some(InboxSettings {
                    dir: resolve(raw.dir),
                    key_file: resolve(raw.key_file),
                    sweep_interval: Duration::from_secs(sweep),
                })
            }
        };
        let key_passphrase = treiter_proto::tls::KeyPassphrase {
            source: match raw.key_passphrase.as_deref() {
                None => treiter_proto::keyfile::PassphraseSource::None,
                // The agent is a service: nobody is at a terminal to answer a prompt.
                Some(value) => treiter_proto::keyfile::PassphraseSource::parse(
                    "key_passphrase",
                    value,
                    base,
                    false,
                )?,
            },
            setting: "key_passphrase",
            prompt_allowed: false,
        };
        Ok(AgentConfig {
            inbox,
            hub,
            hubs,
            key_passphrase,
            cert: resolve(raw.cert),
            key: resolve(raw.key),
            trust_anchors: raw.trust_anchors.into_iter().map(resolve).collect(),
            covenant: resolve(raw.covenant),
            source,
            categories,
            category_sources,
            pseudonym_key,
            receipts: raw.receipts.map(resolve),
            covenant_state: raw.covenant_state.map(resolve),
            index_refresh: Duration::from_secs(index_refresh),
            health_listen,
            health_request_timeout: Duration::from_secs(health_request_timeout),
            log_format,
            witness: raw.witness.map(|w| WitnessSettings {
                log_verifier: w.log_verifier,
                key_file: resolve(w.key_file),
                state: resolve(w.state),
            }),
            link: LinkSettings {
                initial_backoff: Duration::from_millis(initial),
                max_backoff: Duration::from_millis(max),
                connect_timeout: Duration::from_secs(connect),
                heartbeat_interval: Duration::from_secs(heartbeat),
                certificate_check: (certificate_check > 0)
                    .then(|| Duration::from_secs(certificate_check)),
            },
        })
    }
}

/// A category word, or an error naming the setting it came from.
fn parse_category(setting: &str, word: &str) -> Result<Category, String> {
    word.parse().map_err(|e: treiter_policies::UnknownWord| {
        let hint = e
            .suggestion
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        format!("{setting}: {}{hint}", e.redacted())
    })
}

/// Parses `https://host:port` (IPv6 literals in brackets). Only https: the link is
/// always mutually authenticated TLS (article 12.1).
fn parse_hub_url(url: &str) -> Result<HubEndpoint, String> {
    HubEndpoint::parse(url)
}

/// The hub addresses: exactly one of `hub_url` and `hub_urls`, the list not empty and
/// without repeats. Never empty on `Ok`.
fn parse_hub_urls(one: Option<&str>, list: Option<&[String]>) -> Result<Vec<HubEndpoint>, String> {
    match (one, list) {
        (Some(_), Some(_)) => Err(
            "both hub_url and hub_urls are set: use hub_url for one hub, or hub_urls for the addresses of several hub replicas".into(),
        ),
        (None, None) => Err(
            "hub_url is missing: the hub's address, e.g. hub_url = \"https://hub.example.nl:7443\" (or hub_urls = [...] for several hub replicas)".into(),
        ),
        (Some(url), None) => Ok(vec![parse_hub_url(url)?]),
        (None, Some([])) => Err(
            "hub_urls is empty: list the hub addresses, e.g. hub_urls = [\"https://hub-a.example.nl:7443\", \"https://hub-b.example.nl:7443\"]".into(),
        ),
        (None, Some(urls)) => {
            let mut hubs: Vec<HubEndpoint> = Vec::with_capacity(urls.len());
            for url in urls {
                let hub = parse_hub_url(url)?;
                if hubs.iter().any(|h| h.host == hub.host && h.port == hub.port) {
                    return Err(format!(
                        "hub_urls names {}:{} twice; list each hub address once",
                        hub.host, hub.port
                    ));
                }
                hubs.push(hub);
            }
            Ok(hubs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
hub_url = "https://127.0.0.1:7443"
cert = "agent.pem"
key = "agent.key"
trust_anchors = ["/etc/pki/root.pem"]
covenant = "treiteraanpak.covenant"
"#;

    #[test]
    fn parses_with_defaults_and_relative_paths() {
        let c = AgentConfig::parse(MINIMAL, Path::new("/etc/treiter")).unwrap();
        assert_eq!(c.hub.host, "127.0.0.1");
        assert_eq!(c.hub.port, 7443);
        assert_eq!(c.cert, Path::new("/etc/treiter/agent.pem"));
        assert_eq!(c.trust_anchors, [PathBuf::from("/etc/pki/root.pem")]);
        assert_eq!(c.link.max_backoff, Duration::from_secs(30));
        assert_eq!(c.covenant, Path::new("/etc/treiter/treiteraanpak.covenant"));
        assert_eq!(c.source, None);
        assert_eq!(c.categories, None);
    }

    #[test]
    fn the_example_file_is_valid() {
        let text = include_str!("../etc/node-agent.example.toml");
        let c = AgentConfig::parse(text, Path::new("/etc/treiter")).unwrap();
        assert_eq!(
            c.source,
            Some(SourceConfig::JsonDir {
                path: PathBuf::from("/etc/treiter/export")
            })
        );
        assert_eq!(c.covenant, Path::new("/etc/treiter/treiteraanpak.covenant"));
    }

    #[test]
    fn parses_a_source_and_categories() {
        let text = format!(
            "{MINIMAL}categories = [\"huurgegevens\", \"overlastmeldingen\"]\n[source]\nkind = \"json-dir\"\npath = \"export\"\n"
        );
        let c = AgentConfig::parse(&text, Path::new("/etc/treiter")).unwrap();
        assert_eq!(
            c.source,
            Some(SourceConfig::JsonDir {
                path: PathBuf::from("/etc/treiter/export")
            })
        );
        assert_eq!(
            c.categories,
            Some(vec![Category::Huurgegevens, Category::Overlastmeldingen])
        );
    }

    #[test]
    fn refuses_a_missing_covenant_bad_categories_and_unknown_sources() {
        let err = AgentConfig::parse(
            &MINIMAL.replace("covenant = \"treiteraanpak.covenant\"\n", ""),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("missing field `covenant`"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}categories = [\"huurgegeven\"]\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("unknown category 'huurgegeven'"), "{err}");
        assert!(err.contains("did you mean 'huurgegevens'"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}categories = [\"handhaving\", \"handhaving\"]\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("listed twice"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[source]\nkind = \"sqlite\"\npath = \"x\"\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("unknown variant `sqlite`"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[source]\nkind = \"json-dir\"\npath = \"x\"\nextra = 1\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("unknown field `extra`"), "{err}");
    }

    #[test]
    fn operations_settings() {
        let c = AgentConfig::parse(
            &format!(
                "{MINIMAL}receipts = \"state/receipts.log\"\n[health]\nlisten = \"127.0.0.1:9464\"\n[log]\nformat = \"json\"\n[link]\ncertificate_check_seconds = 0\n"
            ),
            Path::new("/etc/treiter"),
        )
        .unwrap();
        assert_eq!(
            c.receipts,
            Some(PathBuf::from("/etc/treiter/state/receipts.log"))
        );
        assert_eq!(c.health_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.link.certificate_check, None);
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[health]\nlisten = \"0.0.0.0:9464\"\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("not a loopback address"), "{err}");
        assert!(err.contains("health.allow_non_loopback = true"), "{err}");
        let c = AgentConfig::parse(
            &format!("{MINIMAL}[health]\nlisten = \"0.0.0.0:9464\"\nallow_non_loopback = true\n"),
            Path::new("."),
        )
        .expect("explicitly allowed");
        assert_eq!(c.health_listen, Some("0.0.0.0:9464".parse().unwrap()));
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[log]\nformat = \"xml\"\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("log.format"), "{err}");
    }

    #[test]
    fn category_tables_choose_the_source() {
        let table = "[category.huurgegevens]\nkind = \"sqlite\"\ndatabase = \"wc.sqlite\"\nidentity_query = \"SELECT 1\"\nrecords_query = \"SELECT 1\"\nreference_column = \"r\"\nrecorded_at_column = \"t\"\n[category.huurgegevens.fields]\nstatus = \"huurstatus\"\n";
        let err = AgentConfig::parse(&format!("{MINIMAL}{table}"), Path::new(".")).unwrap_err();
        assert!(err.contains("pseudonym_key is missing"), "{err}");
        let c = AgentConfig::parse(
            &format!("pseudonym_key = \"k\"\n{MINIMAL}{table}[category.handhaving]\nkind = \"json-dir\"\npath = \"export\"\n"),
            Path::new("/etc/treiter"),
        )
        .unwrap();
        assert_eq!(c.category_sources.len(), 2);
        let Some((Category::Huurgegevens, CategorySource::Sqlite(s))) = c.category_sources.get(1)
        else {
            panic!("{:?}", c.category_sources);
        };
        assert_eq!(s.database, Path::new("/etc/treiter/wc.sqlite"));
        assert_eq!(s.fields, [("status".to_owned(), "huurstatus".to_owned())]);
        let err = AgentConfig::parse(
            &format!("pseudonym_key = \"k\"\n{MINIMAL}categories = [\"handhaving\"]\n{table}"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("`categories` does not list"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[category.huurgegeven]\nkind = \"json-dir\"\npath = \"x\"\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("[category.huurgegeven]"), "{err}");
    }

    #[test]
    fn inbox_settings() {
        assert_eq!(
            AgentConfig::parse(MINIMAL, Path::new("/etc/treiter"))
                .unwrap()
                .inbox,
            None
        );
        let text = format!("{MINIMAL}\n[inbox]\ndir = \"inbox\"\nkey_file = \"inbox.key\"\n");
        let inbox = AgentConfig::parse(&text, Path::new("/etc/treiter"))
            .unwrap()
            .inbox
            .unwrap();
        assert_eq!(inbox.dir, Path::new("/etc/treiter/inbox"));
        assert_eq!(inbox.key_file, Path::new("/etc/treiter/inbox.key"));
        assert_eq!(
            inbox.sweep_interval,
            Duration::from_secs(DEFAULT_INBOX_SWEEP_SECONDS)
        );
        let zero = format!("{text}sweep_seconds = 0\n");
        let error = AgentConfig::parse(&zero, Path::new("/")).unwrap_err();
        assert!(error.contains("inbox.sweep_seconds"), "{error}");
        let unknown = format!("{text}purpose = \"aanpak\"\n");
        let error = AgentConfig::parse(&unknown, Path::new("/")).unwrap_err();
        assert!(error.contains("purpose"), "{error}");
    }

    #[test]
    fn a_list_of_hub_addresses_replaces_the_one() {
        let without_url = MINIMAL.replace("hub_url = \"https://127.0.0.1:7443\"\n", "");
        let text = format!(
            "hub_urls = [\"https://127.0.0.1:7443\", \"https://[::1]:7444\"]\n{without_url}"
        );
        let c = AgentConfig::parse(&text, Path::new("/")).unwrap();
        assert_eq!(c.hubs.len(), 2);
        assert_eq!(c.hub, c.hubs[0]);
        assert_eq!((c.hubs[1].host.as_str(), c.hubs[1].port), ("::1", 7444));
        let one = AgentConfig::parse(MINIMAL, Path::new("/")).unwrap();
        assert_eq!(one.hubs, vec![one.hub.clone()]);
        for (text, expected) in [
            (
                format!("hub_urls = [\"https://a:1\"]\n{MINIMAL}"),
                "both hub_url and hub_urls",
            ),
            (without_url.clone(), "hub_url is missing"),
            (format!("hub_urls = []\n{without_url}"), "hub_urls is empty"),
            (
                format!("hub_urls = [\"https://a:1\", \"https://a:1/\"]\n{without_url}"),
                "names a:1 twice",
            ),
            (
                format!("hub_urls = [\"http://a:1\"]\n{without_url}"),
                "does not start with https://",
            ),
        ] {
            let err = AgentConfig::parse(&text, Path::new("/")).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn hub_urls() {
        assert_eq!(parse_hub_url("https://[::1]:7443").unwrap().host, "::1");
        assert_eq!(parse_hub_url("https://localhost:1/").unwrap().port, 1);
        for (url, why) in [
            ("http://127.0.0.1:7443", "https://"),
            ("https://127.0.0.1", "no port"),
            ("https://127.0.0.1:99999", "invalid port"),
            ("https://h:1/x", "path"),
        ] {
            let err = parse_hub_url(url).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn refuses_unknown_keys_and_inverted_backoff() {
        let err = AgentConfig::parse(&format!("{MINIMAL}hub = 1\n"), Path::new(".")).unwrap_err();
        assert!(err.contains("unknown field `hub`"), "{err}");
        let err = AgentConfig::parse(
            &format!("{MINIMAL}[link]\ninitial_backoff_ms = 500\nmax_backoff_ms = 100\n"),
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.contains("below"), "{err}");
    }
}
