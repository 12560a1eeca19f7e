//! [`Store`] on PostgreSQL (`[store] backend = "postgres"`, issue 21).
//!
//! Every keyspace lives in one table, `hub_records (space, key, value)`, keyed by
//! keyspace name and key bytes (`migrations/data/`). A [`Batch`] is one transaction,
//! committed before [`Store::apply`] returns; with the server's `fsync` on and
//! `synchronous_commit` not `off` (checked at open) a commit is in the write-ahead log
//! on disk, so the store's contract holds: acknowledged means committed means durable.
//! `bytea` compares bytewise, so a prefix scan returns keys in the same order as sled.
//!
//! The case keys are in a second database ([`crate::seal::KeyStore::open_postgres`]),
//! so data and keys are backed up apart.

pub mod database;
pub mod migrate;

use super::{Batch, Entry, RecordRows, SharedLock, Space, Store, StoreError};
pub use database::{Database, Listener, PgError};

/// The PostgreSQL-backed store.
#[derive(Clone, Debug)]
pub struct PgStore {
    database: Database,
}

impl PgStore {
    /// Connects to the data database of `url` with a pool of `pool_size`, checks that it
    /// keeps commits durably, and brings its schema up to date.
    pub fn open(
        url: &str,
        password: Option<&str>,
        pool_size: usize,
        tls_ca: Option<&std::path::Path>,
    ) -> Result<PgStore, StoreError> {
        let database = Database::connect(url, password, pool_size, tls_ca).map_err(open_error)?;
        migrate::check_durability(&database).map_err(open_error)?;
        migrate::migrate(&database, "data", migrate::DATA).map_err(open_error)?;
        Ok(PgStore { database })
    }

    /// The database, for messages.
    pub fn database(&self) -> &Database {
        &self.database
    }
}

fn open_error(e: PgError) -> StoreError {
    StoreError::Open {
        path: std::path::PathBuf::from(format!("postgres: {}", e.database)),
        detail: e.detail,
    }
}

fn io(operation: &'static str, space: Space) -> impl Fn(PgError) -> StoreError {
    move |e| StoreError::Io {
        operation,
        space,
        detail: e.to_string(),
    }
}

/// The smallest key greater than every key that starts with `prefix`, if there is one
/// (none for an empty prefix or one of only `0xff` bytes).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The rows of `space` whose key starts with `prefix`, in key order: `columns` is
/// `key` or `key, value`.
async fn select_prefix(
    pool: deadpool_postgres::Pool,
    columns: &'static str,
    space: Space,
    prefix: Vec<u8>,
) -> Result<Vec<tokio_postgres::Row>, String> {
    let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
    let name = space.to_string();
    let rows = match prefix_end(&prefix) {
        Some(end) => {
            let sql = format!(
                "SELECT {columns} FROM hub_records WHERE space = $1 AND key >= $2 AND key < $3 ORDER BY key"
            );
            let statement = client
                .prepare_cached(&sql)
                .await
                .map_err(|e| database::db_error(&e))?;
            client.query(&statement, &[&name, &prefix, &end]).await
        }
        None => {
            let sql = format!(
                "SELECT {columns} FROM hub_records WHERE space = $1 AND key >= $2 ORDER BY key"
            );
            let statement = client
                .prepare_cached(&sql)
                .await
                .map_err(|e| database::db_error(&e))?;
            client.query(&statement, &[&name, &prefix]).await
        }
    };
    rows.map_err(|e| database::db_error(&e))
}

impl PgStore {
    /// The row of `key` in `space`, with `columns` (`value`, or `1` to ask only whether
    /// it is there).
    fn row_of(
        &self,
        columns: &'static str,
        space: Space,
        key: &[u8],
    ) -> Result<Option<tokio_postgres::Row>, StoreError> {
        let key = key.to_vec();
        self.database
            .run(move |pool| async move {
                let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                let sql =
                    format!("SELECT {columns} FROM hub_records WHERE space = $1 AND key = $2");
                let statement = client
                    .prepare_cached(&sql)
                    .await
                    .map_err(|e| database::db_error(&e))?;
                client
                    .query_opt(&statement, &[&space.to_string(), &key])
                    .await
                    .map_err(|e| database::db_error(&e))
            })
            .map_err(io("read", space))
    }
}

/// The rows of `batch` in `hub_records`, in order.
fn rows_of(batch: Batch) -> RecordRows {
    RecordRows {
        rows: batch
            .ops
            .into_iter()
            .map(|(space, key, value, _owner)| (space.to_string(), key, value))
            .collect(),
    }
}

/// Writes `rows` in `client`'s open transaction, in order (a batch may write a key and
/// later delete it, or the reverse): for [`Store::apply`] and for the decision log's
/// transaction ([`crate::log::Log::append_recording`]).
pub(crate) async fn write_rows(
    client: &impl deadpool_postgres::GenericClient,
    rows: &RecordRows,
) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let upsert = client
        .prepare_cached(
            "INSERT INTO hub_records (space, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (space, key) DO UPDATE SET value = EXCLUDED.value",
        )
        .await
        .map_err(|e| database::db_error(&e))?;
    let delete = client
        .prepare_cached("DELETE FROM hub_records WHERE space = $1 AND key = $2")
        .await
        .map_err(|e| database::db_error(&e))?;
    for (space, key, value) in &rows.rows {
        let done = match value {
            Some(value) => client.execute(&upsert, &[space, key, value]).await,
            None => client.execute(&delete, &[space, key]).await,
        };
        done.map_err(|e| format!("{space}: {}", database::db_error(&e)))?;
    }
    Ok(())
}

impl Store for PgStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .row_of("value", space, key)?
            .map(|row| row.get::<_, Vec<u8>>(0)))
    }

    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.row_of("1", space, key)?.is_some())
    }

    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        let prefix = prefix.to_vec();
        self.database
            .run(move |pool| async move {
                let rows = select_prefix(pool, "key, value", space, prefix).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| (row.get::<_, Vec<u8>>(0), row.get::<_, Vec<u8>>(1)))
                    .collect())
            })
            .map_err(io("scan", space))
    }

    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let prefix = prefix.to_vec();
        self.database
            .run(move |pool| async move {
                let rows = select_prefix(pool, "key", space, prefix).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| row.get::<_, Vec<u8>>(0))
                    .collect())
            })
            .map_err(io("scan", space))
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let Some(first_space) = batch.ops.first().map(|op| op.0) else {
            return Ok(());
        };
        let rows = rows_of(batch);
        self.database
            .run(move |pool| async move {
                let mut client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                let transaction = client
                    .transaction()
                    .await
                    .map_err(|e| database::db_error(&e))?;
                write_rows(&transaction, &rows).await?;
                // On return the commit is in the write-ahead log on disk
                // (synchronous_commit, checked at open).
                transaction
                    .commit()
                    .await
                    .map_err(|e| format!("commit: {}", database::db_error(&e)))
            })
            .map_err(io("write", first_space))
    }

    fn data_database(&self) -> Option<String> {
        Some(self.database.name().to_owned())
    }

    fn announce(&self, topic: &str) -> Result<(), StoreError> {
        self.database
            .notify(topic)
            .map_err(io("notify", Space::Meta))
    }

    fn listen(&self, topic: &str, wake: std::sync::Arc<tokio::sync::Notify>) -> Option<Listener> {
        Some(self.database.listen(topic, wake))
    }

    fn record_rows(&self, batch: Batch) -> Result<RecordRows, StoreError> {
        Ok(rows_of(batch))
    }

    /// A session-level advisory lock on a pooled connection kept for the guard's life;
    /// the guard's drop unlocks it on the database runtime and returns the connection
    /// to the pool (a connection that cannot unlock is closed, which unlocks too).
    fn lock_shared(&self, name: &str) -> Result<Option<SharedLock>, StoreError> {
        let key = format!("treiter-hub {name}");
        let locked = key.clone();
        let client = self
            .database
            .run(move |pool| async move {
                let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                let statement =
                    database::prepared(&client, "SELECT pg_advisory_lock(hashtext($1))").await?;
                client
                    .execute(&statement, &[&locked])
                    .await
                    .map_err(|e| database::db_error(&e))?;
                Ok(client)
            })
            .map_err(|e| StoreError::Io {
                operation: "lock",
                space: Space::Meta,
                detail: e.to_string(),
            })?;
        Ok(Some(SharedLock::new(AdvisoryLock {
            database: self.database.clone(),
            client: Some(client),
            key,
        })))
    }
}

/// A held advisory lock ([`PgStore::lock_shared`]).
struct AdvisoryLock {
    database: Database,
    client: Option<deadpool_postgres::Object>,
    key: String,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        self.database.spawn(async move {
            let unlocked = match database::prepared(
                &client,
                "SELECT pg_advisory_unlock(hashtext($1))",
            )
            .await
            {
                Ok(statement) => client.execute(&statement, &[&key]).await.is_ok(),
                Err(_) => false,
            };
            if !unlocked {
                // Closing the session releases its locks.
                drop(deadpool_postgres::Object::take(client));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(30), "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Replicas wake each other through the database (the relay's mailbox): a
    /// listener hears its topic, and when the server ends its connection it connects
    /// again, says so (a wake-up, so its owner looks for what it missed) and hears the
    /// next notification.
    #[test]
    fn a_listener_hears_its_topic_and_listens_again_after_its_connection_is_lost() {
        let Some(server) = treiter_testpg::TestPostgres::start_or_skip(
            "a_listener_hears_its_topic_and_listens_again_after_its_connection_is_lost",
        ) else {
            return;
        };
        server.create_database("listen").unwrap();
        let store = PgStore::open(&server.url("listen"), None, 2, None).unwrap();
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let woken = |wake: &Arc<tokio::sync::Notify>, what: &str| {
            waiter
                .block_on(async {
                    tokio::time::timeout(Duration::from_secs(30), wake.notified()).await
                })
                .unwrap_or_else(|_| panic!("not woken: {what}"));
        };
        let wake = Arc::new(tokio::sync::Notify::new());
        let listener = store.listen("relay r1", Arc::clone(&wake)).unwrap();
        wait_until("the listener connects", || listener.is_listening());
        woken(&wake, "connected");

        store.announce("relay r2").unwrap();
        store.announce("relay r1").unwrap();
        woken(&wake, "its topic announced");

        let ended = store
            .database
            .run(|pool| async move {
                let client = pool.get().await.map_err(|e| database::pool_error(&e))?;
                let row = client
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                         WHERE query = 'LISTEN treiter_hub'",
                        &[],
                    )
                    .await
                    .map_err(|e| database::db_error(&e))?;
                Ok(row.get::<_, i64>(0))
            })
            .unwrap();
        assert_eq!(ended, 1, "one listening connection");
        wait_until("the loss is seen", || !listener.is_listening());
        wait_until("the listener connects again", || listener.is_listening());
        woken(&wake, "connected again");
        store.announce("relay r1").unwrap();
        woken(&wake, "its topic announced after the reconnection");
        drop(listener);
    }

    #[test]
    fn a_prefix_ends_where_its_last_byte_below_ff_is_raised() {
        assert_eq!(prefix_end(b"C-"), Some(b"C.".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }
}
