//! The node agent's one configuration file (TOML).
//!
//! Relative paths resolve against the file's directory; unknown keys are refused; every
//! error names the file and the setting. See `node-agent/etc/node-agent.example.toml`.
//!
//! Settings: `hub_url`, `cert`, `key`, `trust_anchors` and `covenant` (required);
//! `categories` and `[source]` (optional); `[link]` timing (defaults below). Without a
//! `[source]` the agent still links, but answers every question "source-unavailable";
//! without `categories` it serves every category folder its source has.

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

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub hub: HubEndpoint,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub trust_anchors: Vec<PathBuf>,
    pub link: LinkSettings,
    /// The encoded covenant the agent pre-checks its shares with (article 13.2: its
    /// version goes into Hello).
    pub covenant: PathBuf,
    /// Where the answers come from; `None`: every question is answered
    /// "source-unavailable".
    pub source: Option<SourceConfig>,
    /// The categories (article 6) this agent answers for, when the file lists them;
    /// `None`: every category folder the source has.
    pub categories: Option<Vec<Category>>,
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

/// Where the hub is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubEndpoint {
    /// The URL as configured, e.g. `https://hub.example.nl:7443`.
    pub url: String,
    /// Host name or IP literal, used for TCP and as the TLS server name.
    pub host: String,
    pub port: u16,
}

/// Timing of the link to the hub.
#[derive(Clone, Copy, Debug)]
pub struct LinkSettings {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub connect_timeout: Duration,
    pub heartbeat_interval: Duration,
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
    hub_url: String,
    cert: PathBuf,
    key: PathBuf,
    trust_anchors: Vec<PathBuf>,
    covenant: PathBuf,
    categories: Option<Vec<String>>,
    source: Option<RawSource>,
    #[serde(default)]
    link: RawLink,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum RawSource {
    JsonDir { path: PathBuf },
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    connect_timeout_seconds: Option<u64>,
    heartbeat_interval_seconds: Option<u64>,
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
        let hub = parse_hub_url(&raw.hub_url)?;
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
                    let category: Category =
                        word.parse().map_err(|e: treiter_policies::UnknownWord| {
                            let hint = e
                                .suggestion
                                .map(|s| format!(" (did you mean '{s}'?)"))
                                .unwrap_or_default();
                            format!("categories: {}{hint}", e.redacted())
                        })?;
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
        Ok(AgentConfig {
            hub,
            cert: resolve(raw.cert),
            key: resolve(raw.key),
            trust_anchors: raw.trust_anchors.into_iter().map(resolve).collect(),
            covenant: resolve(raw.covenant),
            source,
            categories,
            link: LinkSettings {
                initial_backoff: Duration::from_millis(initial),
                max_backoff: Duration::from_millis(max),
                connect_timeout: Duration::from_secs(connect),
                heartbeat_interval: Duration::from_secs(heartbeat),
            },
        })
    }
}

/// Parses `https://host:port` (IPv6 literals in brackets). Only https: the link is
/// always mutually authenticated TLS (article 12.1).
fn parse_hub_url(url: &str) -> Result<HubEndpoint, String> {
    let bad = |why: &str| {
        format!("hub_url = \"{url}\" {why}; expected e.g. \"https://hub.example.nl:7443\"")
    };
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| bad("does not start with https://"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('/') {
        return Err(bad("has a path"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("has an unclosed '['"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = port.ok_or_else(|| bad("has no port"))?;
    let port: u16 = port.parse().map_err(|_| bad("has an invalid port"))?;
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    Ok(HubEndpoint {
        url: url.to_owned(),
        host: host.to_owned(),
        port,
    })
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
