//! Versioned schema migrations, kept in the repository (`hub/migrations/<schema>/`) and
//! applied when the hub starts.
//!
//! Several replicas may start at once, so the migrations of one schema run in one
//! transaction under a transaction-level advisory lock: the first replica applies them,
//! the others wait and then find nothing to do. A database whose schema is newer than
//! this hub knows is refused: an older hub would write records a newer schema may read
//! differently (roll the hubs forward, never back).

use super::database::{Database, PgError, db_error, pool_error};

/// One migration: its version (the file's number), name, and SQL.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The data database's migrations, oldest first.
pub const DATA: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_records",
        sql: include_str!("../../../migrations/data/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "0002_decision_log",
        sql: include_str!("../../../migrations/data/0002_decision_log.sql"),
    },
    Migration {
        version: 3,
        name: "0003_checkpoint_signer",
        sql: include_str!("../../../migrations/data/0003_checkpoint_signer.sql"),
    },
];

/// The keys database's migrations, oldest first.
pub const KEYS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_case_keys",
    sql: include_str!("../../../migrations/keys/0001_case_keys.sql"),
}];

/// Brings the schema `schema` ("data" or "keys") of `database` up to date with
/// `migrations`; refuses a schema newer than the last of them. Returns the versions it
/// applied (empty when the schema was current).
pub fn migrate(
    database: &Database,
    schema: &'static str,
    migrations: &'static [Migration],
) -> Result<Vec<i32>, PgError> {
    database.run(move |pool| async move {
        let mut client = pool.get().await.map_err(|e| pool_error(&e))?;
        let transaction = client.transaction().await.map_err(|e| db_error(&e))?;
        // One lock per schema name, held until commit: replicas starting together
        // migrate one after the other.
        transaction
            .execute(
                "SELECT pg_advisory_xact_lock(hashtext('treiter-hub migrations ' || $1))",
                &[&schema],
            )
            .await
            .map_err(|e| db_error(&e))?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS treiter_schema_migrations (
                     schema text NOT NULL,
                     version integer NOT NULL,
                     name text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (schema, version)
                 )",
            )
            .await
            .map_err(|e| db_error(&e))?;
        let current: i32 = transaction
            .query_one(
                "SELECT coalesce(max(version), 0) FROM treiter_schema_migrations WHERE schema = $1",
                &[&schema],
            )
            .await
            .map_err(|e| db_error(&e))?
            .get(0);
        let known = migrations.last().map_or(0, |m| m.version);
        if current > known {
            return Err(format!(
                "the {schema} schema is at version {current}, newer than this hub knows ({known}): \
                 a newer hub migrated it; run that version (hubs are rolled forward, never back)"
            ));
        }
        let mut applied = Vec::new();
        for migration in migrations.iter().filter(|m| m.version > current) {
            transaction
                .batch_execute(migration.sql)
                .await
                .map_err(|e| format!("migration {} failed: {}", migration.name, db_error(&e)))?;
            transaction
                .execute(
                    "INSERT INTO treiter_schema_migrations (schema, version, name) VALUES ($1, $2, $3)",
                    &[&schema, &migration.version, &migration.name],
                )
                .await
                .map_err(|e| db_error(&e))?;
            applied.push(migration.version);
        }
        transaction.commit().await.map_err(|e| db_error(&e))?;
        Ok(applied)
    })
}

/// Refuses a server that could acknowledge a commit it may lose: the store's contract
/// is that an acknowledged batch survives a crash, which PostgreSQL keeps only with
/// `fsync` on and `synchronous_commit` not `off`.
pub fn check_durability(database: &Database) -> Result<(), PgError> {
    database.run(|pool| async move {
        let client = pool.get().await.map_err(|e| pool_error(&e))?;
        for (setting, unsafe_value) in [("fsync", "off"), ("synchronous_commit", "off")] {
            let value: String = client
                .query_one(&format!("SHOW {setting}"), &[])
                .await
                .map_err(|e| db_error(&e))?
                .get(0);
            if value == unsafe_value {
                return Err(format!(
                    "the server runs with {setting} = {value}: a commit it acknowledges can be lost in a crash, \
                     and the hub acknowledges nothing that is not durable; set {setting} = on"
                ));
            }
        }
        Ok(())
    })
}

/// The version the schema `schema` of `database` is at, read-only (for `hub
/// check-config`): `None` when no hub has migrated it yet.
pub fn schema_version(database: &Database, schema: &'static str) -> Result<Option<i32>, PgError> {
    database.run(move |pool| async move {
        let client = pool.get().await.map_err(|e| pool_error(&e))?;
        let exists: bool = client
            .query_one(
                "SELECT to_regclass('treiter_schema_migrations') IS NOT NULL",
                &[],
            )
            .await
            .map_err(|e| db_error(&e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let version: Option<i32> = client
            .query_one(
                "SELECT max(version) FROM treiter_schema_migrations WHERE schema = $1",
                &[&schema],
            )
            .await
            .map_err(|e| db_error(&e))?
            .get(0);
        Ok(version)
    })
}
