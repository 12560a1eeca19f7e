//! The hub's shared state, loaded once from the configuration, and how a call is
//! authenticated against it.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::watch;

use treiter_policies::vocab::Phase;

use crate::agents::AgentTable;
use crate::cases::{CasePolicy, CaseRegistry};
use crate::config::{HubConfig, LinkSettings, QuestionSettings};
use crate::identity::{CertIdentity, CertProfileError, IdentityError};
use crate::parties::{PartiesInForce, Party};
use crate::persons::{Person, PersonRegistry, PersonsInForce, RegistryError};
use crate::questions::Questions;
use crate::refusals::{Refusal, RefusalReason, Refusals};
use crate::store::{SledStore, Store, StoreError};
use crate::tls::{self, TlsSetupError};

/// The hub's software version, reported to agents and in status.
pub const HUB_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot read the covenant {path}: {source}")]
    CovenantRead {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the covenant {path} is not valid; run `covenant check {path}` for the details:\n{report}"
    )]
    CovenantInvalid {
        path: std::path::PathBuf,
        report: String,
    },
    #[error("the covenant {path} lists a party with a malformed OIN: {source}")]
    CovenantParty {
        path: std::path::PathBuf,
        #[source]
        source: CertProfileError,
    },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Covenants(#[from] crate::covenants::StartError),
    #[error("the decision log's signing key {path} cannot be used: {source}")]
    LogKey {
        path: std::path::PathBuf,
        #[source]
        source: crate::log::KeyError,
    },
    #[error(
        "the decision log's signing key in the hardware token cannot be used ({location}): {source}"
    )]
    LogKeyInToken {
        location: String,
        #[source]
        source: crate::log::KeyError,
    },
    #[error(transparent)]
    MasterKey(#[from] crate::seal::MasterKeyError),
    #[error(
        "the log key {log_key} is inside the data directory {data_dir}: keep it elsewhere (log_key), so that a copy of the data cannot sign checkpoints"
    )]
    LogKeyInsideDataDir {
        log_key: std::path::PathBuf,
        data_dir: std::path::PathBuf,
    },
    #[error(
        "keys_dir {keys_dir} is inside the data directory {data_dir}: keep the key store apart, so that deleting a case key is not undone by a copy of the data"
    )]
    KeysInsideDataDir {
        keys_dir: std::path::PathBuf,
        data_dir: std::path::PathBuf,
    },
    #[error(
        "keys_dir {keys_dir} is not the key store of the data directory {data_dir}: its records were sealed with keys from another key store (restore the right keys_dir, or point keys_dir at it)"
    )]
    KeyStoreMismatch {
        keys_dir: std::path::PathBuf,
        data_dir: std::path::PathBuf,
    },
    #[error(
        "the keys database ({keys}) is not the key store of the data database ({data}): its records were sealed with keys from another key store (restore the right keys database, or point store.keys_url at it)"
    )]
    PostgresKeyStoreMismatch { keys: String, data: String },
    #[error(
        "the PostgreSQL password file {path} cannot be used: {detail} (store.password_file: one line, mode 0600)"
    )]
    PasswordFile {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("the keys database cannot be opened: {0}")]
    KeysDatabase(crate::store::postgres::PgError),
    #[error("the data database cannot be opened for the decision log: {0}")]
    LogDatabase(crate::store::postgres::PgError),
    #[error("the key store {path} cannot be opened: {source}")]
    KeyStore {
        path: std::path::PathBuf,
        #[source]
        source: crate::seal::KeyStoreError,
    },
    #[error("the decision log in {path} cannot be opened: {source}")]
    Log {
        path: std::path::PathBuf,
        source: crate::log::LogError,
    },
    /// The log was cut, zeroed or changed: the hub will not append to it (article 10.2).
    #[error(
        "the decision log in {path} does not verify, so the hub will not start: {finding}\n\
         What to do: change or delete nothing in {path}, and copy the whole directory aside as evidence. \
         `hub log verify --config <this config>` repeats this finding. Ask the privacy officers to \
         check the checkpoints the agents witnessed (`hubctl log verify`). If a backup of the log \
         directory passes `hub log verify` and reaches at least as far as those checkpoints, restore \
         it; otherwise the parties decide together how to go on (hub/README.md, \"When the decision \
         log does not verify\")."
    )]
    LogTampered {
        path: std::path::PathBuf,
        finding: crate::log::Finding,
    },
}

/// The origin line of the hub's checkpoints (the log's name in signed notes).
pub const LOG_ORIGIN: &str = "treiteraanpak.amsterdam/hub-log";

/// The decision log's directory under the data directory.
pub fn log_dir(config: &HubConfig) -> std::path::PathBuf {
    config.data_dir.join("log")
}

/// Refuses keys kept inside the data directory, as the configuration promises: a copy
/// of the data must carry neither the key that signs the log's checkpoints, nor the
/// key store whose deletions retention relies on. (The master key file is checked
/// when it is loaded.) Paths are compared after resolving symlinks and `..`.
pub fn check_key_locations(config: &HubConfig) -> Result<(), StartupError> {
    if config.log_key_in_token().is_none()
        && crate::seal::master::is_inside(&config.log_key, &config.data_dir)
    {
        return Err(StartupError::LogKeyInsideDataDir {
            log_key: config.log_key.clone(),
            data_dir: config.data_dir.clone(),
        });
    }
    if crate::seal::master::is_inside(&config.keys_dir, &config.data_dir) {
        return Err(StartupError::KeysInsideDataDir {
            keys_dir: config.keys_dir.clone(),
            data_dir: config.data_dir.clone(),
        });
    }
    Ok(())
}

/// Opens the state store, sealed under the case keys of the key store, with the
/// configured master key: sled in `data_dir/state` with the keys in `keys_dir`, or the
/// data and keys databases of `[store] backend = "postgres"`.
pub fn open_store(config: &HubConfig) -> Result<Arc<crate::seal::SealedStore>, StartupError> {
    let master = load_master_key(config)?;
    if let crate::config::StoreBackend::Postgres(settings) = &config.store_backend {
        return open_postgres_store(settings, master);
    }
    if crate::seal::master::is_inside(&config.keys_dir, &config.data_dir) {
        return Err(StartupError::KeysInsideDataDir {
            keys_dir: config.keys_dir.clone(),
            data_dir: config.data_dir.clone(),
        });
    }
    let keys = crate::seal::KeyStore::open(&config.keys_dir, master).map_err(|source| {
        StartupError::KeyStore {
            path: config.keys_dir.clone(),
            source,
        }
    })?;
    let inner: Arc<dyn Store> = Arc::new(SledStore::open_with_cache(
        &config.data_dir.join("state"),
        config.store_cache_bytes,
    )?);
    // The state store remembers its key store, so another key store is refused here.
    match crate::tables::meta::bound_key_store(inner.as_ref())? {
        Some(bound) if bound == keys.id().as_bytes() => {}
        Some(_) => {
            return Err(StartupError::KeyStoreMismatch {
                keys_dir: config.keys_dir.clone(),
                data_dir: config.data_dir.clone(),
            });
        }
        None => crate::tables::meta::bind_key_store(inner.as_ref(), keys.id().as_bytes())?,
    }
    Ok(Arc::new(crate::seal::SealedStore::new(
        inner,
        Arc::new(keys),
    )))
}

/// The state in the data database and the case keys in the keys database, both
/// migrated to this hub's schema, bound to each other like a sled store and its
/// `keys_dir`.
fn open_postgres_store(
    settings: &crate::config::PostgresSettings,
    master: crate::seal::MasterKey,
) -> Result<Arc<crate::seal::SealedStore>, StartupError> {
    use crate::store::postgres::{Database, PgStore, migrate};
    let password = match &settings.password_file {
        Some(path) => Some(read_password_file(path)?),
        None => None,
    };
    let keys_database = Database::connect(
        &settings.keys_url,
        password.as_deref().map(|p| p.as_str()),
        settings.pool_size,
        settings.tls_ca.as_deref(),
    )
    .map_err(StartupError::KeysDatabase)?;
    migrate::check_durability(&keys_database).map_err(StartupError::KeysDatabase)?;
    migrate::migrate(&keys_database, "keys", migrate::KEYS).map_err(StartupError::KeysDatabase)?;
    let keys_name = keys_database.name().to_owned();
    let keys = crate::seal::KeyStore::open_postgres(keys_database, master).map_err(|source| {
        StartupError::KeyStore {
            path: std::path::PathBuf::from(format!("postgres: {keys_name}")),
            source,
        }
    })?;
    let data = PgStore::open(
        &settings.url,
        password.as_deref().map(|p| p.as_str()),
        settings.pool_size,
        settings.tls_ca.as_deref(),
    )?;
    let data_name = data.database().name().to_owned();
    let inner: Arc<dyn Store> = Arc::new(data);
    match crate::tables::meta::bound_key_store(inner.as_ref())? {
        Some(bound) if bound == keys.id().as_bytes() => {}
        Some(_) => {
            return Err(StartupError::PostgresKeyStoreMismatch {
                keys: keys_name,
                data: data_name,
            });
        }
        None => crate::tables::meta::bind_key_store(inner.as_ref(), keys.id().as_bytes())?,
    }
    Ok(Arc::new(crate::seal::SealedStore::new(
        inner,
        Arc::new(keys),
    )))
}

/// The password in `path` (its first line), refused when others may read the file.
pub(crate) fn read_password_file(
    path: &std::path::Path,
) -> Result<zeroize::Zeroizing<String>, StartupError> {
    let fail = |detail: String| StartupError::PasswordFile {
        path: path.to_path_buf(),
        detail,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| fail(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(fail(format!(
                "its mode is {:o}, so others may read it; chmod 600 it",
                mode & 0o777
            )));
        }
    }
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(fail("it is empty".into()));
    }
    Ok(zeroize::Zeroizing::new(line.to_owned()))
}

/// The master key as configured: the hardware token's key of `hsm.master_key_label`,
/// the file `master_key_file`, or the environment.
pub fn load_master_key(config: &HubConfig) -> Result<crate::seal::MasterKey, StartupError> {
    use crate::seal::{MasterKey, MasterKeyError};
    let Some((hsm, label)) = config.master_key_in_token() else {
        return Ok(MasterKey::load(
            config.master_key_file.as_deref(),
            &config.data_dir,
        )?);
    };
    let token = crate::hsm::Token::open(hsm).map_err(MasterKeyError::from)?;
    match token.aes_key(label).map_err(MasterKeyError::from)? {
        Some(key) => Ok(MasterKey::from_token(key, hsm.describe(label))),
        None => Err(MasterKeyError::NotInToken {
            location: hsm.describe(label),
        }
        .into()),
    }
}

/// Generates the master key in the hardware token configured by `hsm.master_key_label`
/// (`hub master-key generate --config`); never replaces one. Returns where it is.
pub fn generate_master_key_in_token(config: &HubConfig) -> Result<String, StartupError> {
    use crate::seal::MasterKeyError;
    let (hsm, label) = config
        .master_key_in_token()
        .ok_or(MasterKeyError::NoTokenConfigured)?;
    let token = crate::hsm::Token::open(hsm).map_err(MasterKeyError::from)?;
    token.generate_aes(label).map_err(MasterKeyError::from)?;
    Ok(hsm.describe(label))
}

/// The decision log's key as configured, which must exist: a file (`log_key`) or the
/// hardware token's key pair (`hsm.log_key_label`).
pub fn load_log_key(config: &HubConfig) -> Result<crate::log::LogKey, StartupError> {
    match config.log_key_in_token() {
        Some((hsm, label)) => with_log_token(hsm, label, |token, location| {
            crate::log::LogKey::load_from_token(token, label, LOG_ORIGIN, location)
        }),
        None => crate::log::LogKey::load(&config.log_key, LOG_ORIGIN).map_err(|source| {
            StartupError::LogKey {
                path: config.log_key.clone(),
                source,
            }
        }),
    }
}

/// The decision log's key, created on the first start: in the file, or in the token.
fn load_or_generate_log_key(config: &HubConfig) -> Result<crate::log::LogKey, StartupError> {
    let (key, source) =
        match config.log_key_in_token() {
            Some((hsm, label)) => with_log_token(hsm, label, |token, location| {
                crate::log::LogKey::load_or_generate_in_token(token, label, LOG_ORIGIN, location)
            })?,
            None => crate::log::LogKey::load_or_generate(&config.log_key, LOG_ORIGIN).map_err(
                |source| StartupError::LogKey {
                    path: config.log_key.clone(),
                    source,
                },
            )?,
        };
    if matches!(source, crate::log::KeySource::Generated) {
        tracing::warn!(location = %config.log_key_location(), "generated a new decision-log signing key");
    }
    Ok(key)
}

/// Opens the token of `hsm` and runs `use_key` with it and the log key's location in
/// words (`label` in that token); a failure of either names the location.
fn with_log_token<T>(
    hsm: &crate::hsm::HsmSettings,
    label: &str,
    use_key: impl FnOnce(&std::sync::Arc<crate::hsm::Token>, &str) -> Result<T, crate::log::KeyError>,
) -> Result<T, StartupError> {
    let location = hsm.describe(label);
    let in_token = |source| StartupError::LogKeyInToken {
        location: location.clone(),
        source,
    };
    let token = crate::hsm::Token::open(hsm).map_err(|e| in_token(e.into()))?;
    use_key(&token, &location).map_err(in_token)
}

/// The data database of `[store] backend = "postgres"`, connected with the configured
/// password, pool and TLS, its durability checked and its schema migrated: where the
/// decision log is kept with the state (every replica shares it).
pub fn open_log_database(
    settings: &crate::config::PostgresSettings,
) -> Result<crate::store::postgres::Database, StartupError> {
    use crate::store::postgres::migrate;
    let database = connect_data_database(settings)?;
    migrate::check_durability(&database).map_err(StartupError::LogDatabase)?;
    migrate::migrate(&database, "data", migrate::DATA).map_err(StartupError::LogDatabase)?;
    Ok(database)
}

/// The data database of `[store] backend = "postgres"`, connected only (nothing is
/// checked or changed): what `hub log verify` reads.
pub fn connect_data_database(
    settings: &crate::config::PostgresSettings,
) -> Result<crate::store::postgres::Database, StartupError> {
    let password = match &settings.password_file {
        Some(path) => Some(read_password_file(path)?),
        None => None,
    };
    crate::store::postgres::Database::connect(
        &settings.url,
        password.as_deref().map(|p| p.as_str()),
        settings.pool_size,
        settings.tls_ca.as_deref(),
    )
    .map_err(StartupError::LogDatabase)
}

/// Opens the decision log, creating its signing key on first start: in the data
/// database with `[store] backend = "postgres"` (the checkpoints it publishes signed by
/// `replica`, this process's replica id), else in `data_dir/log`.
fn open_log(config: &HubConfig, replica: Option<&str>) -> Result<crate::log::Log, StartupError> {
    let key = load_or_generate_log_key(config)?;
    if let crate::config::StoreBackend::Postgres(settings) = &config.store_backend {
        let database = open_log_database(settings)?;
        let place = std::path::PathBuf::from(format!("postgres: {}", database.name()));
        let options = crate::log::LogOptions::default();
        let (log, _report) = match replica {
            Some(replica) => crate::log::postgres::open_as_replica(database, key, options, replica),
            None => crate::log::postgres::open(database, key, options),
        }
        .map_err(log_open_error(place))?;
        return Ok(log);
    }
    let dir = log_dir(config);
    let options = crate::log::LogOptions::default();
    // A torn tail that was set aside is logged by the log itself.
    let (log, _report) =
        crate::log::Log::open(&dir, key, options).map_err(log_open_error(dir.clone()))?;
    Ok(log)
}

/// Why the decision log at `place` (a directory, or `postgres: <database>`) did not
/// open: a log that does not verify gets the operator's instructions.
fn log_open_error(place: std::path::PathBuf) -> impl Fn(crate::log::LogError) -> StartupError {
    move |source| match source {
        crate::log::LogError::Tampered(finding) => StartupError::LogTampered {
            path: place.clone(),
            finding,
        },
        source => StartupError::Log {
            path: place.clone(),
            source,
        },
    }
}

/// Who is calling, as the hub established it from certificate and registry.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A party's node agent (organisation certificate).
    Agent(Party),
    /// A person acting for a party (person certificate + registry).
    Person { person: Person, party: Party },
}

/// The privacy officer calling: a person with role `privacy-officer` in the hub's
/// registry, acting for the party of their certificate. Only [`Officer::check`] makes
/// one, so holding an `Officer` means the role was checked. Here, beside [`Caller`],
/// because both the officers' work ([`crate::officer`]) and the covenant versions
/// ([`crate::covenants`]) act for one, and neither may depend on the other for it.
#[derive(Clone, Debug)]
pub struct Officer {
    pub person: Person,
    pub party: Party,
}

impl Officer {
    /// The person as a privacy officer, or a refusal: only a person whose registry
    /// role is `privacy-officer` may see the decision log, inzage and covenant versions
    /// (articles 5.2, 10.3).
    pub fn check(person: Person, party: Party) -> Result<Officer, crate::error::HubError> {
        if person
            .roles
            .contains(&treiter_policies::vocab::Role::PrivacyOfficer)
        {
            Ok(Officer { person, party })
        } else if person.has_role(treiter_policies::vocab::Role::Auditor) {
            Err(crate::error::HubError::permission_denied(format!(
                "person {} of {} is an auditor: an auditor reads and verifies the decision \
                 log but changes nothing, and sees no inzage or notifications; this is for \
                 privacy officers only (art. 5.5)",
                person.id, party.name
            )))
        } else {
            Err(crate::error::HubError::permission_denied(format!(
                "person {} of {} is not a privacy-officer; the decision log, inzage \
                 and covenant versions are for privacy officers only (art. 5.2, 10.3)",
                person.id, party.name
            )))
        }
    }
}

/// The auditor calling: a person with role `auditor` in the hub's registry, while the
/// covenant in force declares that role (article 5.5 of covenant version 2). Only
/// [`Auditor::check`] makes one. An auditor reads the decision log's metadata of every
/// party, the evaluation figures and the covenant versions, and verifies the log; it
/// changes nothing, so no change takes an `Auditor` (docs: hub/README.md, "The
/// auditor").
#[derive(Clone, Debug)]
pub struct Auditor {
    pub person: Person,
    pub party: Party,
}

impl Auditor {
    /// The person as an auditor, or a refusal naming what is missing: the role in the
    /// registry, or the covenant article that allows it.
    pub fn check(
        person: Person,
        party: Party,
        covenant: &treiter_policies::Covenant,
    ) -> Result<Auditor, crate::error::HubError> {
        use treiter_policies::vocab::Role;
        if !person.has_role(Role::Auditor) {
            return Err(crate::error::HubError::permission_denied(format!(
                "person {} of {} is neither a privacy-officer nor an auditor (art. 5.2, 5.5)",
                person.id, party.name
            )));
        }
        if !covenant.declares_role(Role::Auditor) {
            return Err(crate::error::HubError::permission_denied(format!(
                "person {} of {} is an auditor in the registry, but the covenant in force \
                 (version {}) has no auditor role: the role takes effect once a covenant \
                 version with article 5.5 is approved (art. 5.2, 13.1)",
                person.id,
                party.name,
                covenant.version()
            )));
        }
        Ok(Auditor { person, party })
    }
}

/// Who reads the decision log, its proofs, the evaluation figures and the covenant
/// versions: a privacy officer (their own party's entries, art. 10.3) or an auditor
/// (every party's entries, art. 5.5). Changes take an [`Officer`], never a `Reader`.
#[derive(Clone, Debug)]
pub enum Reader {
    Officer(Officer),
    Auditor(Auditor),
}

impl Reader {
    /// A privacy officer, else an auditor, else a refusal.
    pub fn check(
        person: Person,
        party: Party,
        covenant: &treiter_policies::Covenant,
    ) -> Result<Reader, crate::error::HubError> {
        if person.has_role(treiter_policies::vocab::Role::PrivacyOfficer) {
            return Officer::check(person, party).map(Reader::Officer);
        }
        if person.has_role(treiter_policies::vocab::Role::Auditor) {
            return Auditor::check(person, party, covenant).map(Reader::Auditor);
        }
        Officer::check(person, party).map(Reader::Officer)
    }

    /// The person reading.
    pub fn person(&self) -> &Person {
        match self {
            Reader::Officer(o) => &o.person,
            Reader::Auditor(a) => &a.person,
        }
    }
}

/// Everything the services share.
#[derive(Debug)]
pub struct Hub {
    /// The parties of the covenant in force (article 2.3), switched with it.
    pub parties: PartiesInForce,
    pub persons: PersonsInForce,
    /// The person registry file, read again when a party joins.
    pub persons_file: std::path::PathBuf,
    pub agents: AgentTable,
    pub refusals: Arc<Refusals>,
    pub link: LinkSettings,
    pub questions: QuestionSettings,
    /// Durable state: cases, queued questions, case files; sealed under case keys.
    pub store: Arc<dyn Store>,
    /// The same store as the sealing layer: the key store and finding a case's records.
    pub sealed: Arc<crate::seal::SealedStore>,
    /// The retention sweeper's settings and its one-sweep-at-a-time lock (article 9).
    pub retention: crate::retention::Retention,
    /// Questions to agents: sending, waiting for answers, the outbox of offline agents.
    pub questioner: Questions,
    /// The covenant in force (article 13.2).
    pub covenant: crate::covenant_in_force::CovenantInForce,
    /// The tamper-evident decision log (article 10).
    pub log: crate::log::Log,
    /// With `[store] backend = "postgres"`: this replica's way to agents linked to
    /// other replicas ([`crate::relay`]). `None` with sled (one hub process).
    pub relay: Option<Arc<crate::relay::Relay>>,
    /// The linked agents as witnesses of the log's checkpoints (article 10.2).
    pub witnesses: crate::witnesses::Witnesses,
    /// The case registry.
    pub cases: CaseRegistry,
    /// Case files being assembled, as their requesters may follow them before they
    /// are stored.
    pub assembling: crate::casefile::progress::Assembling,
    /// Serialises read-modify-write of stored case files (see its doc).
    pub case_file_writes: crate::casefile::FileWrites,
    /// Serialises taking a case's next case-file number (a read of its counter and a
    /// write of the next value): without it, two case files requested at the same
    /// moment about one case got the same number, and the second stored overwrote the
    /// first.
    pub case_file_numbers: tokio::sync::Mutex<()>,
    /// Serialises every change to the covenant versions (proposals, approvals: each
    /// reads a version's record and writes it back; [`crate::covenants`]).
    pub covenant_changes: tokio::sync::Mutex<()>,
    /// Serialises the officers' read-modify-write changes (acknowledgements, reviews,
    /// inzage ids; [`crate::officer`]).
    pub officer_writes: tokio::sync::Mutex<()>,
    /// The time decisions are taken at.
    pub clock: crate::clock::Clock,
    pub tls_config: Arc<rustls::ServerConfig>,
    /// The handshake timeout and connection limits of the listener and the admin
    /// endpoint.
    pub listener: crate::listener::ListenerSettings,
    /// Streaming calls in progress per person (OIN and person id), bounded by
    /// `limits.max_streaming_calls_per_person` ([`crate::service::auth`]).
    pub streaming_calls: Arc<crate::listener::Slots<(String, String)>>,
    /// What `/metrics` shows ([`crate::metrics`]).
    pub metrics: Arc<crate::metrics::HubMetrics>,
    shutdown: watch::Sender<bool>,
}

impl Hub {
    /// Loads the covenant, the person registry and the TLS identity named by `config`.
    pub fn load(config: &HubConfig) -> Result<Arc<Hub>, StartupError> {
        check_key_locations(config)?;
        let configured = load_covenant(&config.covenant)?;
        let sealed = open_store(config)?;
        let metrics = Arc::new(crate::metrics::HubMetrics::new());
        // Every service goes through the counting wrapper, so store errors show in
        // /metrics.
        let store: Arc<dyn Store> = Arc::new(crate::metrics::CountingStore::new(
            sealed.clone(),
            metrics.clone(),
        ));
        // The version in force is the store's once the hub has run (article 13.1: an
        // approved switch survives a restart); the file only seeds the first start.
        let covenant =
            crate::covenants::in_force_at_start(store.as_ref(), configured, &config.covenant)?;
        // The parties in force, and those that left with a version that took effect
        // (their refusal says so); the person registry may also name persons of a party
        // a proposal lists or a former version did (crate::covenants::parties).
        let versions = crate::covenants::record::all(store.as_ref())?;
        let party_error = |source| StartupError::CovenantParty {
            path: config.covenant.clone(),
            source,
        };
        let parties = crate::covenants::parties::directory_in_force(&covenant, &versions)
            .map_err(party_error)?;
        let named =
            crate::covenants::parties::every_listed(&covenant, &versions).map_err(party_error)?;
        let persons = PersonRegistry::load(&config.persons, &named)?;
        let refusals = Arc::new(Refusals::default());
        let tls_config = Arc::new(tls::server_config(&config.tls, refusals.clone())?);
        // Several replicas may share a PostgreSQL store; each routes questions for
        // agents linked elsewhere through it, and signs the log's checkpoints under its
        // replica id.
        let relay = match config.store_backend {
            crate::config::StoreBackend::Postgres(_) => {
                Some(Arc::new(crate::relay::Relay::new(store.clone())?))
            }
            crate::config::StoreBackend::Sled => None,
        };
        let log = open_log(config, relay.as_deref().map(crate::relay::Relay::replica))?;
        // The question routing shares the agent table: it pushes questions down links.
        let agents = AgentTable::default();
        let questioner = Questions::new(store.clone(), agents.clone(), config.questions);
        if let Some(relay) = &relay {
            questioner.use_relay(relay.clone());
            tracing::info!(
                replica = relay.replica(),
                "hub replica on PostgreSQL; questions for agents linked to other replicas go through the database, checkpoints are signed as this replica"
            );
        }
        let cases = CaseRegistry::new(store.clone(), case_policy(&covenant, &config.covenant)?);
        let (shutdown, _) = watch::channel(false);
        // With the open witness alerts of the last run (article 10.2).
        let witnesses = crate::witnesses::Witnesses::load(store.as_ref())?;
        let assembling = match &relay {
            Some(relay) => crate::casefile::progress::Assembling::with_instance(relay.replica()),
            None => crate::casefile::progress::Assembling::default(),
        };
        Ok(Arc::new(Hub {
            parties: PartiesInForce::new(parties),
            persons: PersonsInForce::new(persons),
            persons_file: config.persons.clone(),
            agents,
            refusals,
            link: config.link,
            questions: config.questions,
            store,
            sealed,
            retention: crate::retention::Retention::new(config.retention),
            questioner,
            covenant: crate::covenant_in_force::CovenantInForce::new(covenant),
            log,
            relay,
            witnesses,
            cases,
            assembling,
            case_file_writes: crate::casefile::FileWrites::default(),
            case_file_numbers: tokio::sync::Mutex::new(()),
            covenant_changes: tokio::sync::Mutex::new(()),
            officer_writes: tokio::sync::Mutex::new(()),
            clock: crate::clock::Clock::default(),
            tls_config,
            listener: crate::listener::ListenerSettings {
                handshake_timeout: config.tls.handshake_timeout,
                limits: config.limits,
            },
            streaming_calls: crate::listener::Slots::new(
                config.limits.max_streaming_calls_per_person,
            ),
            metrics,
            shutdown,
        }))
    }

    /// Resolves the caller from the identity its certificate gave (`peer`, from
    /// [`tls::peer_identity`]), recording and refusing an unacceptable one. The gRPC
    /// side is [`crate::service::auth`].
    pub fn identify(
        &self,
        peer: Result<CertIdentity, IdentityError>,
    ) -> Result<Caller, IdentityError> {
        let identity = peer.map_err(|e| self.refuse(None, e))?;
        let party = self
            .parties
            .get(identity.oin())
            .map_err(|e| self.refuse(Some(&identity), e))?;
        match identity {
            CertIdentity::Organisation { .. } => Ok(Caller::Agent(party)),
            CertIdentity::Person {
                ref oin,
                ref person,
            } => {
                let person = self
                    .persons
                    .resolve(person, oin)
                    .map_err(|e| self.refuse(Some(&identity), e))?;
                Ok(Caller::Person { person, party })
            }
        }
    }

    /// Resolves the caller of an agent-link call: it must be a party's organisation
    /// certificate.
    pub fn identify_agent(
        &self,
        peer: Result<CertIdentity, IdentityError>,
    ) -> Result<Party, IdentityError> {
        match self.identify(peer)? {
            Caller::Agent(party) => Ok(party),
            Caller::Person { person, party } => {
                let identity = CertIdentity::Person {
                    oin: party.oin.clone(),
                    person: person.id.clone(),
                };
                Err(self.refuse(
                    Some(&identity),
                    IdentityError::PersonCertificateOnAgentLink { person: person.id },
                ))
            }
        }
    }

    /// Resolves the caller of a call for persons (coordinators, privacy officers): it
    /// must be a person certificate; an organisation certificate is refused and
    /// counted as such.
    pub fn identify_person(
        &self,
        peer: Result<CertIdentity, IdentityError>,
    ) -> Result<(Person, Party), IdentityError> {
        match self.identify(peer)? {
            Caller::Person { person, party } => Ok((person, party)),
            Caller::Agent(party) => {
                let identity = CertIdentity::Organisation {
                    oin: party.oin.clone(),
                };
                Err(self.refuse(
                    Some(&identity),
                    IdentityError::OrganisationCertificateForPerson { oin: party.oin },
                ))
            }
        }
    }

    /// Records the refusal and gives the error back.
    fn refuse(&self, identity: Option<&CertIdentity>, error: IdentityError) -> IdentityError {
        let reason = match error {
            IdentityError::Certificate(
                CertProfileError::MissingOin
                | CertProfileError::SeveralOins { .. }
                | CertProfileError::MalformedOin { .. },
            ) => RefusalReason::MalformedOin,
            IdentityError::Certificate(
                CertProfileError::Unparseable(_) | CertProfileError::BadPersonId(_),
            ) => RefusalReason::BadCertificate,
            IdentityError::NotAParty { .. } | IdentityError::FormerParty { .. } => {
                RefusalReason::NotAParty
            }
            IdentityError::NoCertificate => RefusalReason::NoCertificate,
            IdentityError::PersonCertificateOnAgentLink { .. } => {
                RefusalReason::PersonCertificateOnAgentLink
            }
            IdentityError::OrganisationCertificateForPerson { .. } => {
                RefusalReason::OrganisationCertificateForPerson
            }
            IdentityError::UnknownPerson { .. } => RefusalReason::UnknownPerson,
            IdentityError::PartyMismatch { .. } => RefusalReason::PersonPartyMismatch,
        };
        let (oin, person) = match identity {
            Some(CertIdentity::Organisation { oin }) => (Some(oin.to_string()), None),
            Some(CertIdentity::Person { oin, person }) => {
                (Some(oin.to_string()), Some(person.clone()))
            }
            None => (None, None),
        };
        self.refusals.record(Refusal {
            at: SystemTime::now(),
            reason,
            oin,
            person,
            address: None,
        });
        error
    }

    /// A receiver that turns `true` when the hub begins to shut down. Wait on it with
    /// [`shutdown_begun`], never `changed()`: a receiver taken after the shutdown began
    /// (a link opened in that moment) sees no change, and would keep the graceful
    /// shutdown waiting for ever.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every open link to close, so that graceful shutdown does not wait on
    /// streams that would otherwise live forever.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

/// Completes once the hub's shutdown has begun: at once when it already has.
pub async fn shutdown_begun(signal: &mut watch::Receiver<bool>) {
    // An error means the hub itself is gone: nothing left to wait for either.
    let _ = signal.wait_for(|stopping| *stopping).await;
}

/// The numbers of the covenant the case registry applies; the encoding must state them.
pub(crate) fn case_policy(
    covenant: &treiter_policies::Covenant,
    path: &std::path::Path,
) -> Result<CasePolicy, StartupError> {
    let missing = |what: &str| StartupError::CovenantInvalid {
        path: path.to_path_buf(),
        report: format!("the encoding does not state {what}"),
    };
    let hours = covenant
        .emergency_hours()
        .ok_or_else(|| missing("how long an emergency lasts (art. 15.3)"))?;
    Ok(CasePolicy {
        emergency: time::Duration::hours(i64::from(hours)),
        retention_afgesloten_months: covenant
            .retention_months(Phase::Afgesloten)
            .ok_or_else(|| missing("the retention after afgesloten (art. 9.1)"))?,
        retention_buiten_aanpak_months: covenant
            .retention_months(Phase::BuitenAanpak)
            .ok_or_else(|| missing("the retention after buiten-aanpak (art. 9.2)"))?,
    })
}

/// Reads and validates the configured covenant file.
pub(crate) fn load_covenant(
    path: &std::path::Path,
) -> Result<treiter_policies::Covenant, StartupError> {
    treiter_policies::Covenant::load(path).map_err(|e| match e {
        treiter_policies::LoadError::Read { path, source } => {
            StartupError::CovenantRead { path, source }
        }
        treiter_policies::LoadError::Invalid { path, diagnostics } => {
            StartupError::CovenantInvalid {
                path,
                report: diagnostics.to_string(),
            }
        }
    })
}
