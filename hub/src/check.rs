//! `hub check-config`: everything the hub checks at start that can be checked without
//! changing anything on disk.
//!
//! A check is read-only: it creates no data directory, key store, log key or log, and
//! registers no covenant version. What `hub serve` would create on its first start (or
//! `hub init` creates explicitly) is reported instead, one line each. The state store
//! is not opened either: sled has no read-only mode, and a running hub holds its lock;
//! `hub serve` checks it against the key store and takes the covenant version in force
//! from it. With `[store] backend = "postgres"` both databases are connected to and
//! read (durability settings, schema version, the key store's master check), never
//! written: an empty database is reported as what the first start will migrate.

use std::path::Path;
use std::sync::Arc;

use crate::config::HubConfig;
use crate::parties::PartyDirectory;
use crate::persons::PersonRegistry;
use crate::refusals::Refusals;
use crate::seal::{KeyStore, KeyStoreState, MasterKey};
use crate::state::{LOG_ORIGIN, StartupError, log_dir};

/// What a successful check found.
#[derive(Debug)]
pub struct CheckReport {
    /// The version of the covenant file (the store may hold a later one in force).
    pub covenant_version: u32,
    pub parties: usize,
    pub persons: usize,
    pub trust_anchors: usize,
    /// The decision log's verifier key, when the log key exists.
    pub log_verifier: Option<String>,
    /// What the first start would create, one sentence each.
    pub to_create: Vec<String>,
    /// What exists and was checked, or was left alone, one sentence each.
    pub found: Vec<String>,
}

/// Checks `config` read-only (module doc).
pub fn check(config: &HubConfig) -> Result<CheckReport, StartupError> {
    crate::state::check_key_locations(config)?;
    let covenant = crate::state::load_covenant(&config.covenant)?;
    crate::state::case_policy(&covenant, &config.covenant)?;
    let parties =
        PartyDirectory::from_covenant(&covenant).map_err(|source| StartupError::CovenantParty {
            path: config.covenant.clone(),
            source,
        })?;
    let persons = PersonRegistry::load(&config.persons, &parties)?;
    crate::tls::server_config(&config.tls, Arc::new(Refusals::default()))?;
    let master = crate::state::load_master_key(config)?;

    let mut to_create = Vec::new();
    let mut found = vec![admin_endpoint(config)];
    found.push(format!(
        "master key: {} (usable)",
        config.master_key_location()
    ));
    if let crate::config::StoreBackend::Postgres(settings) = &config.store_backend {
        check_postgres(settings, &master, &mut found, &mut to_create)?;
    } else {
        check_key_dir(config, &master, &mut found, &mut to_create)?;
    }
    check_log_and_data(config, covenant.version(), &mut found, &mut to_create).map(|log_verifier| {
        CheckReport {
            covenant_version: covenant.version(),
            parties: parties.len(),
            persons: persons.len(),
            trust_anchors: config.tls.trust_anchors.len(),
            log_verifier,
            to_create,
            found,
        }
    })
}

const FIRST_START: &str = "`hub serve` creates it on its first start (or `hub init` now)";

/// The key store in `keys_dir` (sled backend).
fn check_key_dir(
    config: &HubConfig,
    master: &MasterKey,
    found: &mut Vec<String>,
    to_create: &mut Vec<String>,
) -> Result<(), StartupError> {
    let first_start = FIRST_START;
    match KeyStore::check_existing(&config.keys_dir, master).map_err(|source| {
        StartupError::KeyStore {
            path: config.keys_dir.clone(),
            source,
        }
    })? {
        KeyStoreState::Missing => to_create.push(format!(
            "key store {} does not exist yet: {first_start}",
            config.keys_dir.display()
        )),
        KeyStoreState::Uninitialised => to_create.push(format!(
            "key store {} is empty: {first_start}, bound to this master key",
            config.keys_dir.display()
        )),
        KeyStoreState::Ready => found.push(format!(
            "key store {} opens with the master key",
            config.keys_dir.display()
        )),
    }
    Ok(())
}

/// Both databases of `[store] backend = "postgres"`, read-only: reachable, durable
/// commits, schema not newer than this hub, the key store bound to this master key.
fn check_postgres(
    settings: &crate::config::PostgresSettings,
    master: &MasterKey,
    found: &mut Vec<String>,
    to_create: &mut Vec<String>,
) -> Result<(), StartupError> {
    use crate::store::postgres::{Database, migrate};
    let password = match &settings.password_file {
        Some(path) => Some(crate::state::read_password_file(path)?),
        None => None,
    };
    let password = password.as_deref().map(|p| p.as_str());
    let store_error = |e: crate::store::postgres::PgError| {
        StartupError::Store(crate::store::StoreError::Open {
            path: std::path::PathBuf::from(format!("postgres: {}", e.database)),
            detail: e.detail,
        })
    };
    for (schema, url, migrations, what) in [
        (
            "data",
            &settings.url,
            migrate::DATA,
            "data database (store.url)",
        ),
        (
            "keys",
            &settings.keys_url,
            migrate::KEYS,
            "keys database (store.keys_url)",
        ),
    ] {
        let database =
            Database::connect(url, password, 1, settings.tls_ca.as_deref()).map_err(store_error)?;
        migrate::check_durability(&database).map_err(store_error)?;
        let known = migrations.last().map_or(0, |m| m.version);
        match migrate::schema_version(&database, schema).map_err(store_error)? {
            Some(version) if version > known => {
                return Err(store_error(crate::store::postgres::PgError {
                    database: database.name().to_owned(),
                    detail: format!(
                        "the {schema} schema is at version {version}, newer than this hub knows ({known}); run the hub version that migrated it"
                    ),
                }));
            }
            Some(version) if version == known => found.push(format!(
                "{what} {} is reachable, commits durably, and its schema is current (version {version})",
                database.name()
            )),
            Some(version) => to_create.push(format!(
                "{what} {} is at schema version {version}: `hub serve` migrates it to version {known} at start",
                database.name()
            )),
            None => to_create.push(format!(
                "{what} {} is reachable and empty: {FIRST_START} (schema version {known})",
                database.name()
            )),
        }
        if schema == "keys" {
            let name = database.name().to_owned();
            match KeyStore::check_existing_postgres(database, master).map_err(|source| {
                StartupError::KeyStore {
                    path: std::path::PathBuf::from(format!("postgres: {name}")),
                    source,
                }
            })? {
                KeyStoreState::Ready => {
                    found.push(format!("key store in {name} opens with the master key"))
                }
                KeyStoreState::Missing | KeyStoreState::Uninitialised => to_create.push(format!(
                    "key store in {name} is empty: {FIRST_START}, bound to this master key"
                )),
            }
        }
    }
    Ok(())
}

/// The log key, and the data directory (which holds the decision log, and the state
/// with the sled backend); returns the log's verifier key when the log key exists.
fn check_log_and_data(
    config: &HubConfig,
    covenant_version: u32,
    found: &mut Vec<String>,
    to_create: &mut Vec<String>,
) -> Result<Option<String>, StartupError> {
    let first_start = FIRST_START;

    let log_verifier = if let Some((hsm, label)) = config.log_key_in_token() {
        let location = hsm.describe(label);
        let in_token = |source| StartupError::LogKeyInToken {
            location: location.clone(),
            source,
        };
        let token = crate::hsm::Token::open(hsm).map_err(|e| in_token(e.into()))?;
        match token.ed25519_key(label).map_err(|e| in_token(e.into()))? {
            Some(key) => {
                let key =
                    crate::log::LogKey::from_token(LOG_ORIGIN, key, &location).map_err(in_token)?;
                found.push(format!(
                    "log key: {location} (usable; it signs in the token)"
                ));
                Some(key.verifier().to_string())
            }
            None => {
                to_create.push(format!(
                    "log key: {location} does not exist yet: {first_start}, in the token"
                ));
                None
            }
        }
    } else if exists(&config.log_key).map_err(|source| StartupError::LogKey {
        path: config.log_key.clone(),
        source: crate::log::KeyError::Read {
            path: config.log_key.clone(),
            source,
        },
    })? {
        let key = crate::log::LogKey::load(&config.log_key, LOG_ORIGIN).map_err(|source| {
            StartupError::LogKey {
                path: config.log_key.clone(),
                source,
            }
        })?;
        found.push(format!(
            "log key: file {} (usable)",
            config.log_key.display()
        ));
        Some(key.verifier().to_string())
    } else {
        to_create.push(format!(
            "log key {} does not exist yet: {first_start}",
            config.log_key.display()
        ));
        None
    };

    let data_exists = exists(&config.data_dir).map_err(|e| {
        StartupError::Store(crate::store::StoreError::Open {
            path: config.data_dir.clone(),
            detail: e.to_string(),
        })
    })?;
    let on_postgres = matches!(
        config.store_backend,
        crate::config::StoreBackend::Postgres(_)
    );
    if on_postgres {
        found.push(
            "decision log: in the data database with the state (tables hub_log_*), shared by every replica; `hub log verify` checks it"
                .into(),
        );
    } else if data_exists {
        found.push(format!(
            "data directory {} exists; its state store is not opened by this check (`hub serve` checks it against the key store, and `hub log verify` checks the decision log)",
            config.data_dir.display()
        ));
    } else {
        to_create.push(format!(
            "data directory {} does not exist yet: {first_start}, with its state store and decision log ({}); the covenant file becomes version {covenant_version} in force",
            config.data_dir.display(),
            log_dir(config).display(),
        ));
    }
    Ok(log_verifier)
}

/// Whether anything is at `path` (a dangling symlink counts: it is not "missing").
/// Where `/healthz`, `/status` and `/metrics` are served, in one sentence.
fn admin_endpoint(config: &HubConfig) -> String {
    match config.admin_listen {
        None => "admin endpoint: off (admin_listen is not set): no /healthz, /status or /metrics, and `hub status` has nothing to ask".into(),
        Some(addr) if addr.ip().is_loopback() => {
            format!("admin endpoint: http://{addr}/healthz, /status and /metrics (loopback)")
        }
        Some(addr) => format!(
            "admin endpoint: http://{addr}/healthz, /status and /metrics, OFF LOOPBACK (admin_allow_non_loopback = true): it has no authentication, so only the monitoring network may reach it"
        ),
    }
}

fn exists(path: &Path) -> std::io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
