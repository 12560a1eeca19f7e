//! Where the key store keeps its small named blobs (wrapped case keys, tombstones, the
//! master check and the store id): files in `keys_dir`, or rows of the keys database
//! when the hub runs on PostgreSQL (issue 21). The key store decides what the blobs
//! mean; this module only reads, writes and deletes them durably.
//!
//! Both places make a write durable before they return: a file through `fsync`, rename
//! and directory `fsync`; a row through its committed transaction.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::log::faults::FaultSwitch;
use crate::store::postgres::database::{self, Database};

/// Where the key store's blobs live.
#[derive(Clone, Debug)]
pub enum KeyPlace {
    /// One file per blob in this directory (mode 0700; files 0600).
    Dir(PathBuf),
    /// One row per blob in `hub_case_keys` of this database.
    Postgres(Database),
}

/// A blob could not be read, written or deleted.
#[derive(Debug, thiserror::Error)]
#[error("key store {place}: {operation} failed: {detail}")]
pub struct PlaceError {
    pub place: String,
    pub operation: &'static str,
    pub detail: String,
}

impl std::fmt::Display for KeyPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPlace::Dir(dir) => write!(f, "{}", dir.display()),
            KeyPlace::Postgres(database) => write!(f, "PostgreSQL database {}", database.name()),
        }
    }
}

impl KeyPlace {
    fn error(&self, operation: &'static str, detail: impl ToString) -> PlaceError {
        PlaceError {
            place: self.to_string(),
            operation,
            detail: detail.to_string(),
        }
    }

    /// Creates the place if needed (the directory; the database's table is made by the
    /// migrations when it is connected).
    pub fn create(&self) -> Result<(), PlaceError> {
        match self {
            KeyPlace::Dir(dir) => create_private_dir(dir).map_err(|e| self.error("create", e)),
            KeyPlace::Postgres(_) => Ok(()),
        }
    }

    /// The blob `name`, if there is one.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, PlaceError> {
        match self {
            KeyPlace::Dir(dir) => match std::fs::read(dir.join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.error("read", e)),
            },
            KeyPlace::Postgres(db) => {
                let name = name.to_owned();
                db.run(move |pool| async move {
                    let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                    let statement = database::prepared(
                        &client,
                        "SELECT value FROM hub_case_keys WHERE name = $1",
                    )
                    .await?;
                    let row = client
                        .query_opt(&statement, &[&name])
                        .await
                        .map_err(|e| database::db_error(&e))?;
                    Ok(row.map(|row| row.get::<_, Vec<u8>>(0)))
                })
                .map_err(|e| self.error("read", e.detail))
            }
        }
    }

    /// Whether the blob `name` exists.
    pub fn exists(&self, name: &str) -> Result<bool, PlaceError> {
        match self {
            KeyPlace::Dir(dir) => match std::fs::metadata(dir.join(name)) {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(self.error("stat", e)),
            },
            KeyPlace::Postgres(_) => self.read(name).map(|blob| blob.is_some()),
        }
    }

    /// Writes the blob `name`, durably before this returns. A directory's syncs go
    /// through `syncs` (the power-cut tests' ledger, issue 22; inert in a hub built for
    /// use).
    pub fn write_durably(
        &self,
        name: &str,
        bytes: &[u8],
        syncs: &FaultSwitch,
    ) -> Result<(), PlaceError> {
        match self {
            KeyPlace::Dir(dir) => write_file_durably(dir, name, bytes, syncs)
                .map_err(|(operation, e)| self.error(operation, e)),
            KeyPlace::Postgres(db) => {
                let (name, bytes) = (name.to_owned(), bytes.to_vec());
                db.run(move |pool| async move {
                    let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                    client
                        .execute(
                            "INSERT INTO hub_case_keys (name, value) VALUES ($1, $2) \
                             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                            &[&name, &bytes],
                        )
                        .await
                        .map(drop)
                        .map_err(|e| database::db_error(&e))
                })
                .map_err(|e| self.error("write", e.detail))
            }
        }
    }

    /// Writes the blob `name` only if there is none yet, durably before this returns;
    /// false when one was there (then it is left as it was). Several hub replicas
    /// creating the same key at once thus agree on one: each reads back what is
    /// stored.
    pub fn write_new(
        &self,
        name: &str,
        bytes: &[u8],
        syncs: &FaultSwitch,
    ) -> Result<bool, PlaceError> {
        match self {
            // One hub process owns a key directory (the state store beside it is
            // locked), so looking first cannot race.
            KeyPlace::Dir(_) => {
                if self.exists(name)? {
                    return Ok(false);
                }
                self.write_durably(name, bytes, syncs).map(|()| true)
            }
            KeyPlace::Postgres(db) => {
                let (name, bytes) = (name.to_owned(), bytes.to_vec());
                db.run(move |pool| async move {
                    let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                    client
                        .execute(
                            "INSERT INTO hub_case_keys (name, value) VALUES ($1, $2) \
                             ON CONFLICT (name) DO NOTHING",
                            &[&name, &bytes],
                        )
                        .await
                        .map(|inserted| inserted == 1)
                        .map_err(|e| database::db_error(&e))
                })
                .map_err(|e| self.error("write", e.detail))
            }
        }
    }

    /// Deletes the blob `name` (absent is fine), durably before this returns; a
    /// directory's sync goes through `syncs`.
    pub fn remove_durably(&self, name: &str, syncs: &FaultSwitch) -> Result<(), PlaceError> {
        match self {
            KeyPlace::Dir(dir) => {
                match std::fs::remove_file(dir.join(name)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(self.error("delete", e)),
                }
                syncs
                    .sync_dir(dir)
                    .map_err(|e| self.error("sync the directory", e))
            }
            KeyPlace::Postgres(db) => {
                let name = name.to_owned();
                db.run(move |pool| async move {
                    let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                    client
                        .execute("DELETE FROM hub_case_keys WHERE name = $1", &[&name])
                        .await
                        .map(drop)
                        .map_err(|e| database::db_error(&e))
                })
                .map_err(|e| self.error("delete", e.detail))
            }
        }
    }
}

/// Writes `name` in `dir` via a temporary file, `fsync`, rename and directory `fsync`.
fn write_file_durably(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    syncs: &FaultSwitch,
) -> Result<(), (&'static str, std::io::Error)> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(|e| ("create a key file", e))?;
    file.write_all(bytes).map_err(|e| ("write a key file", e))?;
    syncs.sync_all(&file).map_err(|e| ("sync a key file", e))?;
    drop(file);
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| ("rename a key file", e))?;
    syncs.sync_dir(dir).map_err(|e| ("sync the directory", e))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
