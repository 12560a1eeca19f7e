//! The hub's one configuration file (TOML).
//!
//! Relative paths are resolved against the directory of the file, so a config and its
//! certificates can move together. Unknown keys are refused: a misspelt setting must
//! not silently fall back to a default.
//!
//! ```toml
//! listen = "127.0.0.1:7443"          # the mTLS gRPC port agents and clients dial
//! admin_listen = "127.0.0.1:7444"    # plain HTTP /healthz, /status, /metrics; loopback
//! # admin_allow_non_loopback = true  # needed for any other address (warned at start)
//! covenant = "treiteraanpak.covenant"
//! persons = "persons.toml"           # the hub's person registry
//! data_dir = "/var/lib/treiter-hub/data" # cases, queued questions (sled), the log
//! log_key = "/var/lib/treiter-hub/log.key" # the log's Ed25519 signing key (PKCS#8, 0600);
//!                                    # created on first start; default: next to data_dir
//! master_key_file = "/etc/treiter-hub/master.key" # 32 random bytes (base64), 0600;
//!                                    # or env TREITER_HUB_MASTER_KEY; never in data_dir
//! keys_dir = "/var/lib/treiter-hub/keys" # wrapped per-case keys; default: next to data_dir
//!
//! # [hsm]                            # keys in a hardware token (PKCS#11), see crate::hsm
//! # module = "/usr/lib/softhsm/libsofthsm2.so"
//! # token_label = "treiter-hub"      # or slot = 0
//! # pin = "file:/etc/treiter-hub/hsm.pin" # or "env:NAME"; never the PIN itself
//! # log_key_label = "treiter-hub-log"      # instead of log_key
//! # master_key_label = "treiter-hub-master" # instead of master_key_file / the env
//!
//! [retention]
//! sweep_interval_seconds = 3600      # how often cases past retention are deleted
//!
//! [store]
//! backend = "sled"                   # "sled" (embedded, in data_dir) or "postgres"
//! cache_bytes = 33554432             # sled's page cache (32 MiB; at least 1 MiB)
//! # With backend = "postgres" (hub/README.md, "The hub on PostgreSQL"):
//! # url = "host=db.example port=5432 user=treiter_hub dbname=treiter_data"
//! # keys_url = "host=keys.example port=5432 user=treiter_hub dbname=treiter_keys"
//! # password_file = "/etc/treiter-hub/postgres.pass" # 0600; or in PGPASSWORD-free URLs
//! # tls_ca = "/etc/treiter-hub/database-ca.pem" # TLS to the databases, checked
//! #                                  # against this CA; required unless they are local
//! # pool_size = 16                   # connections per database
//!
//! [tls]
//! cert = "hub/hub.pem"
//! key = "hub/hub.key"
//! # key_passphrase = "file:/etc/treiter-hub/hub.key.pass" # or "env:NAME"; an
//! #                                  # encrypted PKCS#8 key
//! handshake_timeout_seconds = 10
//!
//! [[trust_anchor]]
//! cert = "ca/root.pem"
//! crl = "ca/root.crl.pem"            # optional, but without it nothing is revoked
//!
//! [limits]
//! http2_start_timeout_seconds = 10   # an authenticated connection must start HTTP/2
//! max_handshakes_per_address = 16    # TLS handshakes in progress from one IP address
//! max_connections_per_identity = 32  # open connections of one OIN or person certificate
//! admin_request_timeout_seconds = 10 # an admin request must be answered within this
//! max_admin_connections = 16         # admin connections open at once
//! max_handshakes = 1024              # TLS handshakes in progress, from all addresses
//! max_concurrent_streams = 100       # calls in progress on one HTTP/2 connection
//! max_streaming_calls_per_person = 8 # WatchCaseFile, QueryLog, PreviewCovenantChange
//! http2_keepalive_interval_seconds = 60 # ping every connection this often
//! http2_keepalive_timeout_seconds = 20 # a ping unanswered this long closes it
//! shutdown_grace_seconds = 10        # a stop waits this long for calls in progress
//!
//! [link]
//! heartbeat_interval_seconds = 10
//!
//! [questions]
//! answer_deadline_seconds = 5        # how long a case file waits for a partner
//! queue_expiry_hours = 72            # how long a question waits for an offline agent
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Default seconds between heartbeats on an agent link.
pub const DEFAULT_HEARTBEAT_INTERVAL_SECONDS: u32 = 10;
/// Default seconds a client has to finish its TLS handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT_SECONDS: u64 = 10;
/// Default seconds an agent has to send its Hello after opening the link.
pub const DEFAULT_HELLO_TIMEOUT_SECONDS: u64 = 10;
/// Default seconds a case file waits for each partner's answer.
pub const DEFAULT_ANSWER_DEADLINE_SECONDS: u64 = 5;
/// Default hours a question stays queued for an offline agent.
pub const DEFAULT_QUEUE_EXPIRY_HOURS: u64 = 72;
/// Default bytes of the state store's page cache: sled's own default (1 GiB) would let
/// the hub's memory grow with its data; 32 MiB holds the working set of a busy hub (a
/// soak of 50,000 case files ran as fast with 32 as with 64 MiB, and its hub's RSS ended
/// at 116 instead of 154 MiB: BENCHMARKS.md, "Allocator and page cache").
pub const DEFAULT_STORE_CACHE_BYTES: u64 = 32 * 1024 * 1024;
/// The smallest page cache the store is given: below it every read goes to disk.
pub const MIN_STORE_CACHE_BYTES: u64 = 1024 * 1024;
/// Default seconds between retention sweeps (article 9).
pub const DEFAULT_SWEEP_INTERVAL_SECONDS: u64 = 3600;
/// Default seconds an authenticated connection has to start HTTP/2 (its preface and
/// SETTINGS) after the TLS handshake.
pub const DEFAULT_HTTP2_START_TIMEOUT_SECONDS: u64 = 10;
/// Default number of TLS handshakes one IP address may have in progress at once: an
/// agent or client needs one at a time; a partner's NAT a few.
pub const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS: usize = 16;
/// Default number of connections one certificate identity (an OIN, or an OIN and a
/// person) may hold open at once: an agent holds one, a person's hubctl one per
/// command running.
pub const DEFAULT_MAX_CONNECTIONS_PER_IDENTITY: usize = 32;
/// Default seconds within which an admin request (`/healthz`, `/status`) must arrive
/// and be answered; its connection is closed then.
pub const DEFAULT_ADMIN_REQUEST_TIMEOUT_SECONDS: u64 = 10;
/// Default number of admin connections open at once.
pub const DEFAULT_MAX_ADMIN_CONNECTIONS: usize = 16;
/// Default number of TLS handshakes in progress at once from all addresses together:
/// the per-address bound alone lets a flood from many addresses (an IPv6 prefix, a
/// botnet) hold a task and a socket each until the handshake timeout. A handshake
/// takes milliseconds, so 1,024 at once is far beyond what the parties need.
pub const DEFAULT_MAX_HANDSHAKES: usize = 1024;
/// Default number of calls in progress at once on one HTTP/2 connection (the
/// SETTINGS_MAX_CONCURRENT_STREAMS the hub announces; gRPC's customary 100). tonic
/// leaves it unlimited unless set.
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 100;
/// Default number of streaming calls (WatchCaseFile, QueryLog, PreviewCovenantChange)
/// one person may have in progress at once: each may keep the hub asking every
/// partner's agent (a case file) or reading the whole log; a person follows one or
/// two at a time.
pub const DEFAULT_MAX_STREAMING_CALLS_PER_PERSON: usize = 8;
/// Default seconds between HTTP/2 pings on a connection, idle or not: a peer that
/// vanished (powered off, a route gone) without closing its TCP connection would hold
/// the connection, and its identity's slot, for ever.
pub const DEFAULT_HTTP2_KEEPALIVE_INTERVAL_SECONDS: u64 = 60;
/// Default seconds a peer has to answer an HTTP/2 ping before its connection is
/// closed.
pub const DEFAULT_HTTP2_KEEPALIVE_TIMEOUT_SECONDS: u64 = 20;
/// Default seconds a stop waits for the calls in progress to finish (agent links are
/// told to close at once): a peer that stopped reading must not keep the hub from
/// stopping, or a service manager from restarting it.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct HubConfig {
    pub listen: SocketAddr,
    /// The admin endpoint (`/healthz`, `/status`, `/metrics`); none: not served. A
    /// loopback address unless `admin_allow_non_loopback` is set.
    pub admin_listen: Option<SocketAddr>,
    /// Whether `admin_listen` was explicitly allowed off loopback (the endpoint has no
    /// authentication; the hub warns at start).
    pub admin_allow_non_loopback: bool,
    pub covenant: PathBuf,
    pub persons: PathBuf,
    pub data_dir: PathBuf,
    /// The decision log's signing key; kept outside `data_dir` so that a copy of the
    /// data cannot forge checkpoints.
    pub log_key: PathBuf,
    /// The master key file (0600, outside `data_dir`); `None`: the environment
    /// variable `TREITER_HUB_MASTER_KEY`.
    pub master_key_file: Option<PathBuf>,
    /// The key store: per-case keys wrapped under the master key. Outside `data_dir`,
    /// backed up separately: deleting a key here is what deletes a case for good.
    pub keys_dir: PathBuf,
    pub tls: TlsSettings,
    pub limits: ConnectionLimits,
    pub link: LinkSettings,
    pub questions: QuestionSettings,
    pub retention: RetentionSettings,
    /// Bytes of the state store's page cache (`[store] cache_bytes`): what bounds the
    /// hub's memory as its data grows.
    pub store_cache_bytes: u64,
    /// Where the state and the case keys live (`[store] backend`).
    pub store_backend: StoreBackend,
    /// A hardware token holding the log key and/or the master key (`[hsm]`); `None`:
    /// both are files (or the master key the environment).
    pub hsm: Option<crate::hsm::HsmSettings>,
}

impl HubConfig {
    /// The label of the log key in the token, when the log key lives there.
    pub fn log_key_in_token(&self) -> Option<(&crate::hsm::HsmSettings, &str)> {
        let hsm = self.hsm.as_ref()?;
        Some((hsm, hsm.log_key_label.as_deref()?))
    }

    /// The label of the master key in the token, when the master key lives there.
    pub fn master_key_in_token(&self) -> Option<(&crate::hsm::HsmSettings, &str)> {
        let hsm = self.hsm.as_ref()?;
        Some((hsm, hsm.master_key_label.as_deref()?))
    }

    /// Where the log key lives, in words.
    pub fn log_key_location(&self) -> String {
        match self.log_key_in_token() {
            Some((hsm, label)) => hsm.describe(label),
            None => format!("file {}", self.log_key.display()),
        }
    }

    /// Where the master key lives, in words.
    pub fn master_key_location(&self) -> String {
        match (self.master_key_in_token(), &self.master_key_file) {
            (Some((hsm, label)), _) => hsm.describe(label),
            (None, Some(path)) => format!("file {}", path.display()),
            (None, None) => format!("environment variable {}", crate::seal::MASTER_KEY_ENV),
        }
    }
}

impl HubConfig {
    /// Where the case keys are kept, in words: `keys_dir`, or the keys database.
    pub fn key_store_place(&self) -> String {
        match &self.store_backend {
            StoreBackend::Sled => self.keys_dir.display().to_string(),
            StoreBackend::Postgres(_) => "in the keys database (store.keys_url)".into(),
        }
    }
}

/// Where the hub keeps its state and its case keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreBackend {
    /// sled in `data_dir/state`, the case keys as files in `keys_dir` (the default).
    Sled,
    /// PostgreSQL: the state in one database, the case keys in another.
    Postgres(PostgresSettings),
}

/// `[store] backend = "postgres"`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresSettings {
    /// The data database (libpq connection string or `postgresql://` URL).
    pub url: String,
    /// The keys database: a different database, backed up apart.
    pub keys_url: String,
    /// A file holding the password for both (its first line); `None`: the URLs carry
    /// what the server needs (or the server trusts the connection).
    pub password_file: Option<PathBuf>,
    /// Connections per database.
    pub pool_size: usize,
    /// The CA that issued the database servers' certificates: connections are TLS and
    /// checked against it. Required unless both databases are on this machine.
    pub tls_ca: Option<PathBuf>,
}

// The URLs may carry a password: never print them.
impl std::fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("password_file", &self.password_file)
            .field("pool_size", &self.pool_size)
            .field("tls_ca", &self.tls_ca)
            .finish_non_exhaustive()
    }
}

/// Default connections per PostgreSQL database.
pub const DEFAULT_POSTGRES_POOL_SIZE: usize = 16;

/// Bounds on connections, so that no peer can hold the hub's sockets or memory with
/// connections that do nothing (`[limits]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long an authenticated connection may take to start HTTP/2.
    pub http2_start_timeout: Duration,
    /// TLS handshakes in progress from one IP address.
    pub max_handshakes_per_address: usize,
    /// Open connections of one certificate identity.
    pub max_connections_per_identity: usize,
    /// How long an admin connection may take to send its request and get its answer.
    pub admin_request_timeout: Duration,
    /// Admin connections open at once.
    pub max_admin_connections: usize,
    /// TLS handshakes in progress from all addresses together.
    pub max_handshakes: usize,
    /// Calls in progress at once on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
    /// Streaming calls one person may have in progress at once.
    pub max_streaming_calls_per_person: usize,
    /// Time between HTTP/2 pings on a connection.
    pub http2_keepalive_interval: Duration,
    /// Time a peer has to answer a ping before its connection is closed.
    pub http2_keepalive_timeout: Duration,
    /// Time a stop waits for the calls in progress before it stops without them.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            http2_start_timeout: Duration::from_secs(DEFAULT_HTTP2_START_TIMEOUT_SECONDS),
            max_handshakes_per_address: DEFAULT_MAX_HANDSHAKES_PER_ADDRESS,
            max_connections_per_identity: DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
            admin_request_timeout: Duration::from_secs(DEFAULT_ADMIN_REQUEST_TIMEOUT_SECONDS),
            max_admin_connections: DEFAULT_MAX_ADMIN_CONNECTIONS,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_streaming_calls_per_person: DEFAULT_MAX_STREAMING_CALLS_PER_PERSON,
            http2_keepalive_interval: Duration::from_secs(DEFAULT_HTTP2_KEEPALIVE_INTERVAL_SECONDS),
            http2_keepalive_timeout: Duration::from_secs(DEFAULT_HTTP2_KEEPALIVE_TIMEOUT_SECONDS),
            shutdown_grace: Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECONDS),
        }
    }
}

/// The retention sweeper (article 9).
#[derive(Clone, Copy, Debug)]
pub struct RetentionSettings {
    /// Time between sweeps.
    pub sweep_interval: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            sweep_interval: Duration::from_secs(DEFAULT_SWEEP_INTERVAL_SECONDS),
        }
    }
}

/// Timing of questions to agents.
#[derive(Clone, Copy, Debug)]
pub struct QuestionSettings {
    /// How long a case file or bevraging waits for a partner's answer.
    pub answer_deadline: Duration,
    /// How long a question waits in the queue of an offline agent.
    pub queue_expiry: Duration,
}

impl Default for QuestionSettings {
    fn default() -> Self {
        QuestionSettings {
            answer_deadline: Duration::from_secs(DEFAULT_ANSWER_DEADLINE_SECONDS),
            queue_expiry: Duration::from_secs(DEFAULT_QUEUE_EXPIRY_HOURS * 3600),
        }
    }
}

/// Where the hub's TLS identity and its trust anchors are.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// How the key is unlocked when it is encrypted (`tls.key_passphrase`).
    pub key_passphrase: treiter_proto::tls::KeyPassphrase,
    pub trust_anchors: Vec<TrustAnchor>,
    pub handshake_timeout: Duration,
}

/// A CA whose certificates the hub accepts, with its revocation list.
#[derive(Clone, Debug)]
pub struct TrustAnchor {
    pub cert: PathBuf,
    pub crl: Option<PathBuf>,
}

/// Timing of the agent link.
#[derive(Clone, Copy, Debug)]
pub struct LinkSettings {
    pub heartbeat_interval: Duration,
    pub hello_timeout: Duration,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            heartbeat_interval: Duration::from_secs(DEFAULT_HEARTBEAT_INTERVAL_SECONDS.into()),
            hello_timeout: Duration::from_secs(DEFAULT_HELLO_TIMEOUT_SECONDS),
        }
    }
}

/// The configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the hub configuration {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the hub configuration {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: String,
    admin_listen: Option<String>,
    #[serde(default)]
    admin_allow_non_loopback: bool,
    covenant: PathBuf,
    persons: PathBuf,
    data_dir: PathBuf,
    log_key: Option<PathBuf>,
    master_key_file: Option<PathBuf>,
    keys_dir: Option<PathBuf>,
    tls: RawTls,
    #[serde(default)]
    trust_anchor: Vec<RawAnchor>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    link: RawLink,
    #[serde(default)]
    questions: RawQuestions,
    #[serde(default)]
    retention: RawRetention,
    #[serde(default)]
    store: RawStore,
    hsm: Option<RawHsm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHsm {
    module: PathBuf,
    token_label: Option<String>,
    slot: Option<u64>,
    pin: Option<String>,
    log_key_label: Option<String>,
    master_key_label: Option<String>,
}

impl RawHsm {
    fn validate(
        self,
        base: &Path,
        log_key_file: bool,
        master_key_file: bool,
    ) -> Result<crate::hsm::HsmSettings, String> {
        use crate::hsm::TokenSelector;
        let token = match (self.token_label, self.slot) {
            (Some(label), None) if !label.is_empty() => TokenSelector::Label(label),
            (None, Some(slot)) => TokenSelector::Slot(slot),
            (Some(_), Some(_)) => {
                return Err("hsm: set token_label or slot, not both".into());
            }
            _ => return Err("hsm: set token_label (the token's label) or slot".into()),
        };
        let pin = match self.pin.as_deref() {
            Some(value) => {
                treiter_proto::keyfile::PassphraseSource::parse("hsm.pin", value, base, false)?
            }
            None => {
                return Err(
                    "hsm.pin is missing: set it to \"file:PATH\" (a file holding the PIN, mode 600) or \"env:NAME\"; the PIN itself never goes in the configuration".into(),
                );
            }
        };
        for (setting, label) in [
            ("hsm.log_key_label", &self.log_key_label),
            ("hsm.master_key_label", &self.master_key_label),
        ] {
            if label
                .as_deref()
                .is_some_and(|l| l.is_empty() || l.len() > 64)
            {
                return Err(format!("{setting} must be 1 to 64 bytes"));
            }
        }
        if self.log_key_label.is_none() && self.master_key_label.is_none() {
            return Err(
                "hsm: set log_key_label and/or master_key_label: without either no key lives in the token".into(),
            );
        }
        if self.log_key_label.is_some() && log_key_file {
            return Err(
                "log_key and hsm.log_key_label are both set: the log key is either a file or in the token".into(),
            );
        }
        if self.master_key_label.is_some() && master_key_file {
            return Err(
                "master_key_file and hsm.master_key_label are both set: the master key is either a file or in the token".into(),
            );
        }
        let module = if self.module.is_absolute() {
            self.module
        } else {
            base.join(self.module)
        };
        Ok(crate::hsm::HsmSettings {
            module,
            token,
            pin,
            log_key_label: self.log_key_label,
            master_key_label: self.master_key_label,
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    backend: Option<String>,
    cache_bytes: Option<u64>,
    url: Option<String>,
    keys_url: Option<String>,
    password_file: Option<PathBuf>,
    pool_size: Option<usize>,
    tls_ca: Option<PathBuf>,
}

impl RawStore {
    /// The backend and its settings; settings of the other backend are refused, so a
    /// half-switched configuration is caught before the hub starts.
    fn backend(&self, resolve: impl Fn(PathBuf) -> PathBuf) -> Result<StoreBackend, String> {
        match self.backend.as_deref().unwrap_or("sled") {
            "sled" => {
                for (key, set) in [
                    ("url", self.url.is_some()),
                    ("keys_url", self.keys_url.is_some()),
                    ("password_file", self.password_file.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                    ("tls_ca", self.tls_ca.is_some()),
                ] {
                    if set {
                        return Err(format!(
                            "store.{key} is a setting of backend = \"postgres\", but the backend is sled (the default); set store.backend = \"postgres\" or remove store.{key}"
                        ));
                    }
                }
                Ok(StoreBackend::Sled)
            }
            "postgres" => {
                if self.cache_bytes.is_some() {
                    return Err("store.cache_bytes is sled's page cache and means nothing with backend = \"postgres\"; remove it (PostgreSQL's own shared_buffers bound its cache)".into());
                }
                let url = self.url.clone().ok_or(
                    "backend = \"postgres\" needs store.url, the data database (e.g. \"host=127.0.0.1 port=5432 user=treiter_hub dbname=treiter_data\")",
                )?;
                let keys_url = self.keys_url.clone().ok_or(
                    "backend = \"postgres\" needs store.keys_url, the case keys' database: a different database from store.url, backed up apart (article 9)",
                )?;
                if url.trim() == keys_url.trim() {
                    return Err("store.keys_url names the same database as store.url: keep the case keys in a database of their own, so a backup of the data carries no key that opens it (article 9)".into());
                }
                for (key, value) in [("url", &url), ("keys_url", &keys_url)] {
                    let parsed = crate::store::postgres::database::parse_url(value)
                        .map_err(|e| format!("store.{key}: {e}"))?;
                    if self.tls_ca.is_none() && !crate::store::postgres::database::is_local(&parsed)
                    {
                        return Err(format!(
                            "store.{key} connects to a database server on another host without TLS: the case data and keys would cross the network readable; set store.tls_ca to the CA certificate that issued the server's certificate (its name must be the host in store.{key}), or use a Unix socket or 127.0.0.1"
                        ));
                    }
                }
                let pool_size = self.pool_size.unwrap_or(DEFAULT_POSTGRES_POOL_SIZE);
                if pool_size == 0 {
                    return Err("store.pool_size must be at least 1".into());
                }
                Ok(StoreBackend::Postgres(PostgresSettings {
                    url,
                    keys_url,
                    password_file: self.password_file.clone().map(&resolve),
                    pool_size,
                    tls_ca: self.tls_ca.clone().map(&resolve),
                }))
            }
            other => Err(format!(
                "store.backend is {other:?}; expected \"sled\" or \"postgres\""
            )),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    sweep_interval_seconds: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    http2_start_timeout_seconds: Option<u64>,
    max_handshakes_per_address: Option<usize>,
    max_connections_per_identity: Option<usize>,
    admin_request_timeout_seconds: Option<u64>,
    max_admin_connections: Option<usize>,
    max_handshakes: Option<usize>,
    max_concurrent_streams: Option<u32>,
    max_streaming_calls_per_person: Option<usize>,
    http2_keepalive_interval_seconds: Option<u64>,
    http2_keepalive_timeout_seconds: Option<u64>,
    shutdown_grace_seconds: Option<u64>,
}

impl RawLimits {
    fn validate(self) -> Result<ConnectionLimits, String> {
        let at_least_one = |key: &str, value: u64| {
            if value == 0 {
                Err(format!("limits.{key} must be at least 1"))
            } else {
                Ok(value)
            }
        };
        let defaults = ConnectionLimits::default();
        Ok(ConnectionLimits {
            http2_start_timeout: Duration::from_secs(at_least_one(
                "http2_start_timeout_seconds",
                self.http2_start_timeout_seconds
                    .unwrap_or(DEFAULT_HTTP2_START_TIMEOUT_SECONDS),
            )?),
            max_handshakes_per_address: at_least_one(
                "max_handshakes_per_address",
                self.max_handshakes_per_address
                    .unwrap_or(defaults.max_handshakes_per_address) as u64,
            )? as usize,
            max_connections_per_identity: at_least_one(
                "max_connections_per_identity",
                self.max_connections_per_identity
                    .unwrap_or(defaults.max_connections_per_identity) as u64,
            )? as usize,
            admin_request_timeout: Duration::from_secs(at_least_one(
                "admin_request_timeout_seconds",
                self.admin_request_timeout_seconds
                    .unwrap_or(DEFAULT_ADMIN_REQUEST_TIMEOUT_SECONDS),
            )?),
            max_admin_connections: at_least_one(
                "max_admin_connections",
                self.max_admin_connections
                    .unwrap_or(defaults.max_admin_connections) as u64,
            )? as usize,
            max_handshakes: at_least_one(
                "max_handshakes",
                self.max_handshakes.unwrap_or(defaults.max_handshakes) as u64,
            )? as usize,
            max_concurrent_streams: at_least_one(
                "max_concurrent_streams",
                self.max_concurrent_streams
                    .unwrap_or(defaults.max_concurrent_streams)
                    .into(),
            )? as u32,
            max_streaming_calls_per_person: at_least_one(
                "max_streaming_calls_per_person",
                self.max_streaming_calls_per_person
                    .unwrap_or(defaults.max_streaming_calls_per_person) as u64,
            )? as usize,
            http2_keepalive_interval: Duration::from_secs(at_least_one(
                "http2_keepalive_interval_seconds",
                self.http2_keepalive_interval_seconds
                    .unwrap_or(DEFAULT_HTTP2_KEEPALIVE_INTERVAL_SECONDS),
            )?),
            http2_keepalive_timeout: Duration::from_secs(at_least_one(
                "http2_keepalive_timeout_seconds",
                self.http2_keepalive_timeout_seconds
                    .unwrap_or(DEFAULT_HTTP2_KEEPALIVE_TIMEOUT_SECONDS),
            )?),
            shutdown_grace: Duration::from_secs(at_least_one(
                "shutdown_grace_seconds",
                self.shutdown_grace_seconds
                    .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECONDS),
            )?),
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestions {
    answer_deadline_seconds: Option<u64>,
    queue_expiry_hours: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: PathBuf,
    key: PathBuf,
    key_passphrase: Option<String>,
    handshake_timeout_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnchor {
    cert: PathBuf,
    crl: Option<PathBuf>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    heartbeat_interval_seconds: Option<u32>,
    hello_timeout_seconds: Option<u64>,
}

impl HubConfig {
    /// Reads and validates the configuration file.
    pub fn load(path: &Path) -> Result<HubConfig, ConfigError> {
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
    pub fn parse(text: &str, base: &Path) -> Result<HubConfig, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let listen = parse_addr("listen", &raw.listen)?;
        let admin_listen = raw
            .admin_listen
            .as_deref()
            .map(|a| parse_addr("admin_listen", a))
            .transpose()?;
        if let Some(admin) = admin_listen
            && same_socket(listen, admin)
        {
            return Err(format!(
                "admin_listen = \"{admin}\" takes the address of listen = \"{listen}\": the plain-HTTP admin endpoint needs a port of its own (e.g. \"127.0.0.1:{}\"), or the two cannot both listen",
                listen.port().wrapping_add(1)
            ));
        }
        if let Some(admin) = admin_listen
            && !admin.ip().is_loopback()
            && !raw.admin_allow_non_loopback
        {
            return Err(format!(
                "admin_listen = \"{admin}\" is not a loopback address: the admin endpoint (/healthz, /status, /metrics) has no authentication; use \"127.0.0.1:{}\", or set admin_allow_non_loopback = true if a firewall or management network guards it",
                admin.port()
            ));
        }
        if raw.trust_anchor.is_empty() {
            return Err("no [[trust_anchor]] is configured: the hub must know which CA issues the parties' certificates".into());
        }
        let heartbeat = raw
            .link
            .heartbeat_interval_seconds
            .unwrap_or(DEFAULT_HEARTBEAT_INTERVAL_SECONDS);
        if heartbeat == 0 {
            return Err("link.heartbeat_interval_seconds must be at least 1".into());
        }
        let handshake = raw
            .tls
            .handshake_timeout_seconds
            .unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT_SECONDS);
        if handshake == 0 {
            return Err("tls.handshake_timeout_seconds must be at least 1".into());
        }
        let answer_deadline = raw
            .questions
            .answer_deadline_seconds
            .unwrap_or(DEFAULT_ANSWER_DEADLINE_SECONDS);
        if answer_deadline == 0 {
            return Err("questions.answer_deadline_seconds must be at least 1".into());
        }
        let limits = raw.limits.validate()?;
        let queue_expiry = raw
            .questions
            .queue_expiry_hours
            .unwrap_or(DEFAULT_QUEUE_EXPIRY_HOURS);
        let sweep_interval = raw
            .retention
            .sweep_interval_seconds
            .unwrap_or(DEFAULT_SWEEP_INTERVAL_SECONDS);
        if sweep_interval == 0 {
            return Err("retention.sweep_interval_seconds must be at least 1".into());
        }
        let store_backend = raw.store.backend(resolve)?;
        let store_cache_bytes = raw.store.cache_bytes.unwrap_or(DEFAULT_STORE_CACHE_BYTES);
        if store_cache_bytes < MIN_STORE_CACHE_BYTES {
            return Err(format!(
                "store.cache_bytes must be at least {MIN_STORE_CACHE_BYTES} (1 MiB); the default is {DEFAULT_STORE_CACHE_BYTES} ({} MiB)",
                DEFAULT_STORE_CACHE_BYTES / (1024 * 1024)
            ));
        }
        let hsm = match raw.hsm {
            Some(hsm) => {
                Some(hsm.validate(base, raw.log_key.is_some(), raw.master_key_file.is_some())?)
            }
            None => None,
        };
        Ok(HubConfig {
            hsm,
            listen,
            master_key_file: raw.master_key_file.map(resolve),
            keys_dir: match raw.keys_dir {
                Some(path) => resolve(path),
                None => next_to(&resolve(raw.data_dir.clone()), ".keys"),
            },
            retention: RetentionSettings {
                sweep_interval: Duration::from_secs(sweep_interval),
            },
            store_cache_bytes,
            store_backend,
            admin_listen,
            admin_allow_non_loopback: raw.admin_allow_non_loopback,
            covenant: resolve(raw.covenant),
            persons: resolve(raw.persons),
            log_key: match raw.log_key {
                Some(path) => resolve(path),
                None => next_to(&resolve(raw.data_dir.clone()), ".log.key"),
            },
            data_dir: resolve(raw.data_dir),
            questions: QuestionSettings {
                answer_deadline: Duration::from_secs(answer_deadline),
                queue_expiry: Duration::from_secs(queue_expiry.saturating_mul(3600)),
            },
            tls: TlsSettings {
                cert: resolve(raw.tls.cert),
                key: resolve(raw.tls.key),
                key_passphrase: treiter_proto::tls::KeyPassphrase {
                    source: match raw.tls.key_passphrase.as_deref() {
                        None => treiter_proto::keyfile::PassphraseSource::None,
                        // The hub is a service: nobody is at a terminal to answer.
                        Some(value) => treiter_proto::keyfile::PassphraseSource::parse(
                            "tls.key_passphrase",
                            value,
                            base,
                            false,
                        )?,
                    },
                    setting: "tls.key_passphrase",
                    prompt_allowed: false,
                },
                trust_anchors: raw
                    .trust_anchor
                    .into_iter()
                    .map(|a| TrustAnchor {
                        cert: resolve(a.cert),
                        crl: a.crl.map(resolve),
                    })
                    .collect(),
                handshake_timeout: Duration::from_secs(handshake),
            },
            limits,
            link: LinkSettings {
                heartbeat_interval: Duration::from_secs(heartbeat.into()),
                hello_timeout: Duration::from_secs(
                    raw.link
                        .hello_timeout_seconds
                        .unwrap_or(DEFAULT_HELLO_TIMEOUT_SECONDS),
                ),
            },
        })
    }
}

/// `<data_dir><suffix>`: next to the data directory, not in it.
fn next_to(data_dir: &Path, suffix: &str) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "hub-data".into());
    name.push(suffix);
    data_dir.with_file_name(name)
}

/// Whether two listen addresses would claim the same socket: the same port (not 0,
/// which picks a free one) on the same address, or on any address when either is the
/// wildcard (`0.0.0.0` or `::`, which takes the port on every address).
fn same_socket(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port()
        && a.port() != 0
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn parse_addr(key: &str, value: &str) -> Result<SocketAddr, String> {
    value.parse().map_err(|_| {
        format!("{key} = \"{value}\" is not an address with a port, e.g. \"127.0.0.1:7443\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
listen = "127.0.0.1:7443"
covenant = "c.covenant"
persons = "persons.toml"
data_dir = "data"
[tls]
cert = "hub.pem"
key = "/abs/hub.key"
[[trust_anchor]]
cert = "ca.pem"
crl = "ca.crl.pem"
"#;

    #[test]
    fn keys_in_a_hardware_token_are_configured_by_module_token_pin_and_labels() {
        let config = HubConfig::parse(MINIMAL, Path::new("/etc/treiter")).unwrap();
        assert!(config.hsm.is_none());
        assert_eq!(config.log_key_location(), "file /etc/treiter/data.log.key");
        assert_eq!(
            config.master_key_location(),
            "environment variable TREITER_HUB_MASTER_KEY"
        );
        let hsm = "[hsm]\nmodule = \"lib/softhsm2.so\"\ntoken_label = \"hub\"\npin = \"file:hsm.pin\"\nlog_key_label = \"log\"\nmaster_key_label = \"master\"\n";
        let config =
            HubConfig::parse(&format!("{MINIMAL}{hsm}"), Path::new("/etc/treiter")).unwrap();
        let settings = config.hsm.as_ref().unwrap();
        assert_eq!(settings.module, Path::new("/etc/treiter/lib/softhsm2.so"));
        assert_eq!(
            settings.pin,
            treiter_proto::keyfile::PassphraseSource::File("/etc/treiter/hsm.pin".into())
        );
        assert_eq!(
            config.log_key_location(),
            "PKCS#11 module /etc/treiter/lib/softhsm2.so, token \"hub\", key label \"log\""
        );
        assert_eq!(
            config.master_key_location(),
            "PKCS#11 module /etc/treiter/lib/softhsm2.so, token \"hub\", key label \"master\""
        );
        let slot = hsm.replace("token_label = \"hub\"", "slot = 3");
        let config = HubConfig::parse(&format!("{MINIMAL}{slot}"), Path::new("/")).unwrap();
        assert_eq!(
            config.hsm.unwrap().token,
            crate::hsm::TokenSelector::Slot(3)
        );
        for (text, needle) in [
            (
                hsm.replace("pin = \"file:hsm.pin\"\n", ""),
                "hsm.pin is missing",
            ),
            (
                hsm.replace("file:hsm.pin", "1234"),
                "not a passphrase source",
            ),
            (
                hsm.replace("token_label = \"hub\"\n", ""),
                "set token_label",
            ),
            (
                hsm.replace("token_label = \"hub\"", "token_label = \"hub\"\nslot = 1"),
                "not both",
            ),
            (
                hsm.replace(
                    "log_key_label = \"log\"\nmaster_key_label = \"master\"\n",
                    "",
                ),
                "no key lives in the token",
            ),
            (
                format!("log_key = \"x.key\"\n{hsm}"),
                "either a file or in the token",
            ),
            (
                format!("master_key_file = \"m.key\"\n{hsm}"),
                "either a file or in the token",
            ),
        ] {
            // A top-level key must come before the first table.
            let full = if text.starts_with("[hsm]") {
                format!("{MINIMAL}{text}")
            } else {
                let (top, table) = text.split_once("[hsm]").unwrap();
                format!("{top}{MINIMAL}[hsm]{table}")
            };
            let err = HubConfig::parse(&full, Path::new("/")).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn resolves_relative_paths_against_the_file_and_applies_defaults() {
        let config = HubConfig::parse(MINIMAL, Path::new("/etc/treiter")).unwrap();
        assert_eq!(config.tls.cert, Path::new("/etc/treiter/hub.pem"));
        assert_eq!(config.tls.key, Path::new("/abs/hub.key"));
        assert_eq!(
            config.tls.trust_anchors[0].crl.as_deref(),
            Some(Path::new("/etc/treiter/ca.crl.pem"))
        );
        assert_eq!(config.link.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(config.data_dir, Path::new("/etc/treiter/data"));
        assert_eq!(config.log_key, Path::new("/etc/treiter/data.log.key"));
        assert_eq!(config.keys_dir, Path::new("/etc/treiter/data.keys"));
        assert!(config.master_key_file.is_none());
        assert_eq!(config.retention.sweep_interval, Duration::from_secs(3600));
        assert_eq!(config.questions.answer_deadline, Duration::from_secs(5));
        assert!(config.admin_listen.is_none());
        assert_eq!(config.limits, ConnectionLimits::default());
    }

    /// The store's page cache is bounded by default (sled's own default is 1 GiB), may
    /// be set, and is refused below 1 MiB with the setting named.
    #[test]
    fn the_store_cache_is_bounded_by_default_settable_and_not_too_small() {
        let config = HubConfig::parse(MINIMAL, Path::new("/")).unwrap();
        assert_eq!(config.store_cache_bytes, 32 * 1024 * 1024);
        let text = format!("{MINIMAL}[store]\ncache_bytes = 16777216\n");
        let config = HubConfig::parse(&text, Path::new("/")).unwrap();
        assert_eq!(config.store_cache_bytes, 16 * 1024 * 1024);
        let text = format!("{MINIMAL}[store]\ncache_bytes = 4096\n");
        let err = HubConfig::parse(&text, Path::new("/")).unwrap_err();
        assert!(
            err.contains("store.cache_bytes must be at least 1048576"),
            "{err}"
        );
        let text = format!("{MINIMAL}[store]\ncache_megabytes = 16\n");
        let err = HubConfig::parse(&text, Path::new("/")).unwrap_err();
        assert!(err.contains("cache_megabytes"), "{err}");
    }

    /// sled is the default; PostgreSQL needs both databases, kept apart, and settings of
    /// the other backend are refused with the setting named.
    #[test]
    fn the_store_backend_is_sled_by_default_and_postgres_needs_two_databases() {
        let config = HubConfig::parse(MINIMAL, Path::new("/etc/treiter")).unwrap();
        assert_eq!(config.store_backend, StoreBackend::Sled);
        let text = format!(
            "{MINIMAL}[store]\nbackend = \"postgres\"\nurl = \"host=127.0.0.1 dbname=data\"\nkeys_url = \"host=127.0.0.1 dbname=keys\"\npassword_file = \"pg.pass\"\n"
        );
        let config = HubConfig::parse(&text, Path::new("/etc/treiter")).unwrap();
        assert_eq!(
            config.store_backend,
            StoreBackend::Postgres(PostgresSettings {
                url: "host=127.0.0.1 dbname=data".into(),
                keys_url: "host=127.0.0.1 dbname=keys".into(),
                password_file: Some(PathBuf::from("/etc/treiter/pg.pass")),
                pool_size: DEFAULT_POSTGRES_POOL_SIZE,
                tls_ca: None,
            })
        );
        for (store, expected) in [
            (
                "backend = \"postgres\"\nkeys_url = \"dbname=keys\"\n",
                "needs store.url",
            ),
            (
                "backend = \"postgres\"\nurl = \"dbname=data\"\n",
                "needs store.keys_url",
            ),
            (
                "backend = \"postgres\"\nurl = \"dbname=data\"\nkeys_url = \"dbname=data\"\n",
                "same database",
            ),
            (
                "backend = \"postgres\"\nurl = \"dbname=a\"\nkeys_url = \"dbname=b\"\ncache_bytes = 16777216\n",
                "store.cache_bytes is sled's page cache",
            ),
            (
                "backend = \"postgres\"\nurl = \"dbname=a\"\nkeys_url = \"dbname=b\"\npool_size = 0\n",
                "store.pool_size must be at least 1",
            ),
            ("url = \"dbname=a\"\n", "store.url is a setting of backend"),
            (
                "backend = \"postgres\"\nurl = \"host=db.example dbname=a\"\nkeys_url = \"host=/run/postgresql dbname=b\"\n",
                "store.url connects to a database server on another host without TLS",
            ),
            (
                "backend = \"postgres\"\nurl = \"host=::1 dbname=a\"\nkeys_url = \"postgresql://keys.example/b\"\n",
                "store.keys_url connects to a database server on another host without TLS",
            ),
            ("backend = \"mysql\"\n", "expected \"sled\" or \"postgres\""),
        ] {
            let text = format!("{MINIMAL}[store]\n{store}");
            let err = HubConfig::parse(&text, Path::new("/")).unwrap_err();
            assert!(err.contains(expected), "{store}: {err}");
        }
        // Another host is fine with TLS checked against a CA.
        let text = format!(
            "{MINIMAL}[store]\nbackend = \"postgres\"\nurl = \"host=db.example dbname=a\"\nkeys_url = \"host=keys.example dbname=b\"\ntls_ca = \"db-ca.pem\"\n"
        );
        let config = HubConfig::parse(&text, Path::new("/etc/treiter")).unwrap();
        let StoreBackend::Postgres(settings) = config.store_backend else {
            panic!("postgres")
        };
        assert_eq!(
            settings.tls_ca,
            Some(PathBuf::from("/etc/treiter/db-ca.pem"))
        );
        // The URLs may carry a password: the settings never print them.
        let text = format!(
            "{MINIMAL}[store]\nbackend = \"postgres\"\nurl = \"dbname=a password=secret\"\nkeys_url = \"dbname=b\"\n"
        );
        let config = HubConfig::parse(&text, Path::new("/")).unwrap();
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[test]
    fn reads_the_connection_limits_and_refuses_zero() {
        let text = format!(
            "{MINIMAL}[limits]\nhttp2_start_timeout_seconds = 2\nmax_handshakes_per_address = 3\nmax_connections_per_identity = 4\nadmin_request_timeout_seconds = 5\nmax_admin_connections = 6\nmax_handshakes = 7\nmax_concurrent_streams = 8\nmax_streaming_calls_per_person = 9\nhttp2_keepalive_interval_seconds = 10\nhttp2_keepalive_timeout_seconds = 11\nshutdown_grace_seconds = 12\n"
        );
        let config = HubConfig::parse(&text, Path::new("/")).unwrap();
        assert_eq!(
            config.limits,
            ConnectionLimits {
                http2_start_timeout: Duration::from_secs(2),
                max_handshakes_per_address: 3,
                max_connections_per_identity: 4,
                admin_request_timeout: Duration::from_secs(5),
                max_admin_connections: 6,
                max_handshakes: 7,
                max_concurrent_streams: 8,
                max_streaming_calls_per_person: 9,
                http2_keepalive_interval: Duration::from_secs(10),
                http2_keepalive_timeout: Duration::from_secs(11),
                shutdown_grace: Duration::from_secs(12),
            }
        );
        for (value, key) in [
            ("= 4", "limits.max_connections_per_identity"),
            ("= 7", "limits.max_handshakes"),
            ("= 8", "limits.max_concurrent_streams"),
            ("= 9", "limits.max_streaming_calls_per_person"),
            ("= 10", "limits.http2_keepalive_interval_seconds"),
            ("= 11", "limits.http2_keepalive_timeout_seconds"),
            ("= 12", "limits.shutdown_grace_seconds"),
        ] {
            let zero = text.replace(value, "= 0");
            let err = HubConfig::parse(&zero, Path::new("/")).unwrap_err();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn the_example_configuration_parses() {
        let config = HubConfig::parse(
            include_str!("../etc/hub.example.toml"),
            Path::new("/etc/treiter"),
        )
        .expect("hub/etc/hub.example.toml is valid");
        assert_eq!(config.log_key, Path::new("/var/lib/treiter-hub/log.key"));
        assert_eq!(
            config.master_key_file.as_deref(),
            Some(Path::new("/etc/treiter-hub/master.key"))
        );
    }

    #[test]
    fn refuses_unknown_keys_bad_addresses_and_no_anchor() {
        let typo = MINIMAL.replace("listen =", "listne =");
        let err = HubConfig::parse(&typo, Path::new(".")).unwrap_err();
        assert!(err.contains("listne"), "{err}");
        let bad = MINIMAL.replace("127.0.0.1:7443", "localhost");
        let err = HubConfig::parse(&bad, Path::new(".")).unwrap_err();
        assert!(err.contains("listen = \"localhost\""), "{err}");
        let none = MINIMAL.replace(
            "[[trust_anchor]]\ncert = \"ca.pem\"\ncrl = \"ca.crl.pem\"\n",
            "",
        );
        let err = HubConfig::parse(&none, Path::new(".")).unwrap_err();
        assert!(err.contains("trust_anchor"), "{err}");
    }

    #[test]
    fn an_admin_address_off_loopback_needs_the_explicit_setting() {
        let text = format!("admin_listen = \"0.0.0.0:7444\"\n{MINIMAL}");
        let err = HubConfig::parse(&text, Path::new("/etc/hub")).unwrap_err();
        assert!(err.contains("is not a loopback address"), "{err}");
        assert!(err.contains("admin_allow_non_loopback = true"), "{err}");
        let text =
            format!("admin_listen = \"0.0.0.0:7444\"\nadmin_allow_non_loopback = true\n{MINIMAL}");
        let config = HubConfig::parse(&text, Path::new("/etc/hub")).expect("allowed");
        assert!(config.admin_allow_non_loopback);
        let text = format!("admin_listen = \"[::1]:7444\"\n{MINIMAL}");
        let config = HubConfig::parse(&text, Path::new("/etc/hub")).expect("loopback");
        assert!(!config.admin_allow_non_loopback);
    }

    #[test]
    fn refuses_an_admin_address_that_takes_the_listen_address() {
        for (listen, admin) in [
            ("127.0.0.1:7443", "127.0.0.1:7443"),
            ("0.0.0.0:7443", "127.0.0.1:7443"),
            ("127.0.0.1:7443", "[::]:7443"),
        ] {
            let text = format!("admin_listen = \"{admin}\"\n{MINIMAL}").replace(
                "127.0.0.1:7443\"\ncovenant",
                &format!("{listen}\"\ncovenant"),
            );
            let err = HubConfig::parse(&text, Path::new(".")).unwrap_err();
            assert!(
                err.contains(&format!("admin_listen = \"{admin}\""))
                    && err.contains(&format!("listen = \"{listen}\""))
                    && err.contains("port of its own"),
                "{err}"
            );
        }
        for admin in ["127.0.0.1:7444", "127.0.0.2:7443"] {
            let text = format!("admin_listen = \"{admin}\"\n{MINIMAL}");
            HubConfig::parse(&text, Path::new(".")).expect("distinct sockets");
        }
        let text = format!("admin_listen = \"127.0.0.1:0\"\n{MINIMAL}")
            .replace("127.0.0.1:7443", "127.0.0.1:0");
        HubConfig::parse(&text, Path::new(".")).expect("port 0 picks two free ports");
    }

    #[test]
    fn reads_the_key_settings_and_refuses_a_zero_sweep_interval() {
        let text = format!(
            "master_key_file = \"keys/master.key\"\nkeys_dir = \"/srv/keys\"\n{MINIMAL}\n[retention]\nsweep_interval_seconds = 60\n"
        );
        let config = HubConfig::parse(&text, Path::new("/etc/treiter")).unwrap();
        assert_eq!(
            config.master_key_file.as_deref(),
            Some(Path::new("/etc/treiter/keys/master.key"))
        );
        assert_eq!(config.keys_dir, Path::new("/srv/keys"));
        assert_eq!(config.retention.sweep_interval, Duration::from_secs(60));
        let zero = text.replace("= 60", "= 0");
        let err = HubConfig::parse(&zero, Path::new(".")).unwrap_err();
        assert!(err.contains("retention.sweep_interval_seconds"), "{err}");
    }
}
