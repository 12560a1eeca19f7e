//! A connection pool to one PostgreSQL database, usable from the hub's synchronous
//! [`Store`](crate::store::Store) and key store.
//!
//! The store's methods are synchronous (sled's are), and they are called from the hub's
//! async tasks as well as from plain threads and current-thread test runtimes. A
//! blocking client that starts a runtime of its own (the `postgres` crate) panics inside
//! a tokio runtime, and `block_in_place` panics on a current-thread one. So the pool
//! lives on a small runtime of its own, and a call hands its work to that runtime and
//! waits for the answer on a plain channel: from any thread, in any context, it blocks
//! only the calling thread, exactly as a sled flush does.
//!
//! Every wait is bounded (connecting, waiting for a pooled connection, each statement),
//! so an unreachable database turns into an error within seconds, never a hang: the hub
//! fails closed (nothing is acknowledged without its commit).

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

/// How long a call waits for a connection from the pool, and a new connection for the
/// server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest any one statement may run before the server cancels it.
const STATEMENT_TIMEOUT_MS: u32 = 30_000;

/// Talking to PostgreSQL failed. The text names the database and what failed, never a
/// stored value (a server error is reduced to its code and message; its DETAIL, which
/// can quote a row, is left out).
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL ({database}): {detail}")]
pub struct PgError {
    pub database: String,
    pub detail: String,
}

/// A pool of connections to one database, driven by a runtime of its own.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    /// Taken on drop, to shut down without blocking (dropping a runtime inside another
    /// one's task would panic).
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    /// `dbname` (and host) from the connection string, for messages; never the password.
    name: String,
    /// How the pool connects, for the connection a listener keeps of its own
    /// ([`Database::listen`]; a pooled connection's notifications are not delivered).
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

/// The channel every hub process listens on; a notification's payload names its topic.
pub const CHANNEL: &str = "treiter_hub";
/// How long a listener whose connection was lost waits before it connects again.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// A connection listening for one topic ([`Database::listen`]); it stops when dropped.
#[derive(Debug)]
pub struct Listener {
    listening: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::AbortHandle,
}

impl Listener {
    /// Whether the listening connection is up now (so a notification would be heard).
    pub fn is_listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Database {
    /// A pool of at most `pool_size` connections to the database of `url` (a libpq
    /// connection string, `host=… port=… user=… dbname=…`, or a `postgresql://` URL).
    /// `password`, when given, is used instead of one in `url`. With `tls_ca` the
    /// connection is TLS, and the server's certificate must chain to that CA and name
    /// the host of `url` (libpq's `verify-full`); without it, plain TCP or a Unix socket
    /// (the configuration allows that only to the hub's own host). Connects once before
    /// it returns, so a wrong address, password or certificate is reported at start.
    pub fn connect(
        url: &str,
        password: Option<&str>,
        pool_size: usize,
        tls_ca: Option<&std::path::Path>,
    ) -> Result<Database, PgError> {
        // The parser's message may quote the string, password and all: not repeated.
        let mut config = parse_url(url).map_err(|detail| PgError {
            database: "?".into(),
            detail,
        })?;
        if let Some(password) = password {
            config.password(password);
        }
        let name = describe(&config);
        let fail = |detail: String| PgError {
            database: name.clone(),
            detail,
        };
        config.connect_timeout(CONNECT_TIMEOUT);
        config.options(format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        config.application_name("treiter-hub");
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let tls = match tls_ca {
            Some(ca) => {
                config.ssl_mode(tokio_postgres::config::SslMode::Require);
                Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                    tls_config(ca).map_err(&fail)?,
                ))
            }
            None => None,
        };
        let manager = match &tls {
            Some(tls) => Manager::from_config(config.clone(), tls.clone(), manager_config),
            None => Manager::from_config(config.clone(), tokio_postgres::NoTls, manager_config),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("treiter-pg")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the database runtime: {e}")))?;
        let pool = {
            // The pool's timeouts use the tokio timer of the runtime it is built in.
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(pool_size.max(1))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(CONNECT_TIMEOUT))
                .create_timeout(Some(CONNECT_TIMEOUT))
                .recycle_timeout(Some(CONNECT_TIMEOUT))
                .build()
                .map_err(|e| fail(format!("cannot build the connection pool: {e}")))?
        };
        let database = Database {
            inner: Arc::new(Inner {
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
                pool,
                name,
                config,
                tls,
            }),
        };
        database
            .run(|pool| async move { pool.get().await.map(drop).map_err(|e| pool_error(&e)) })?;
        Ok(database)
    }

    /// The database's name (and host), for messages.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Tells every process listening for `topic` ([`Database::listen`]) that it
    /// changed: a `NOTIFY` on [`CHANNEL`], heard once the caller's writes are committed
    /// (they are, when this is called after them).
    pub fn notify(&self, topic: &str) -> Result<(), PgError> {
        let topic = topic.to_owned();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(|e| pool_error(&e))?;
            client
                .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &topic])
                .await
                .map_err(|e| db_error(&e))?;
            Ok(())
        })
    }

    /// Wakes `wake` whenever some process notifies `topic`, and once each time the
    /// listening connection (one of its own, outside the pool) is made, so that nothing
    /// notified while it was down is missed by a caller that looks then. A lost
    /// connection is made again every [`LISTEN_RETRY`]; meanwhile
    /// [`Listener::is_listening`] is false and the caller should look on its own.
    pub fn listen(&self, topic: &str, wake: Arc<tokio::sync::Notify>) -> Listener {
        let listening = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let task = self.inner.handle.spawn(listen_loop(
            self.inner.config.clone(),
            self.inner.tls.clone(),
            topic.to_owned(),
            wake,
            Arc::clone(&listening),
            self.inner.name.clone(),
        ));
        Listener {
            listening,
            task: task.abort_handle(),
        }
    }

    /// Runs `work` on the database runtime without waiting for it (releasing a lock
    /// from a `Drop`, which cannot wait).
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        drop(self.inner.handle.spawn(work));
    }

    /// Runs `work` with the pool on the database runtime and waits for its result.
    /// Errors carry the text `work` gives them; this adds the database's name.
    pub fn run<T, F, Fut>(&self, work: F) -> Result<T, PgError>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, String>> + Send + 'static,
    {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let future = work(self.inner.pool.clone());
        self.inner.handle.spawn(async move {
            // The caller may have given up (it never does: it waits); nothing to do then.
            let _ = sender.send(future.await);
        });
        match receiver.recv() {
            Ok(result) => result.map_err(|detail| PgError {
                database: self.inner.name.clone(),
                detail,
            }),
            Err(_) => Err(PgError {
                database: self.inner.name.clone(),
                detail: "the database runtime stopped before the call finished".into(),
            }),
        }
    }
}

/// The listening connection of [`Database::listen`], made again whenever it is lost.
async fn listen_loop(
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    topic: String,
    wake: Arc<tokio::sync::Notify>,
    listening: Arc<std::sync::atomic::AtomicBool>,
    name: String,
) {
    let mut failing = false;
    loop {
        let ended = match &tls {
            Some(tls) => match config.connect(tls.clone()).await {
                Ok((client, connection)) => {
                    listen_on(client, connection, &topic, &wake, &listening).await
                }
                Err(e) => Err(db_error(&e)),
            },
            None => match config.connect(tokio_postgres::NoTls).await {
                Ok((client, connection)) => {
                    listen_on(client, connection, &topic, &wake, &listening).await
                }
                Err(e) => Err(db_error(&e)),
            },
        };
        listening.store(false, std::sync::atomic::Ordering::Release);
        match ended {
            Err(detail) if !failing => {
                failing = true;
                tracing::warn!(database = %name, %detail, "cannot listen for other hub replicas' notifications; looking every poll instead, and connecting again");
            }
            Err(_) => {}
            Ok(()) => failing = false,
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// Listens on one connection until it ends: `LISTEN`, then every notification of
/// `topic` wakes `wake`.
async fn listen_on<S, T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<S, T>,
    topic: &str,
    wake: &tokio::sync::Notify,
    listening: &std::sync::atomic::AtomicBool,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // The connection is driven here and the LISTEN sent beside it: the client's
    // statement completes only while the connection is polled.
    let subscribe = async {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| db_error(&e))?;
        listening.store(true, std::sync::atomic::Ordering::Release);
        // Whatever was notified while no connection listened: the caller looks now.
        wake.notify_one();
        // Keep the client (and so the session) until the connection ends.
        std::future::pending::<()>().await;
        Ok::<(), String>(())
    };
    let drive = async {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    if n.channel() == CHANNEL && n.payload() == topic {
                        wake.notify_one();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(db_error(&e)),
                None => return Ok(()),
            }
        }
    };
    tokio::select! {
        ended = drive => ended,
        failed = subscribe => failed,
    }
}

/// `sql` as a statement prepared once per pooled connection (the pool's statement
/// cache): a call is then one round trip, where a statement sent as text is parsed,
/// planned and described by the server first, every time.
pub async fn prepared(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
) -> Result<tokio_postgres::Statement, String> {
    client.prepare_cached(sql).await.map_err(|e| db_error(&e))
}

/// A TLS client configuration that trusts only the CA certificates in `ca` (PEM).
fn tls_config(ca: &std::path::Path) -> Result<rustls::ClientConfig, String> {
    let anchors = treiter_proto::tls::load_certs(ca)
        .map_err(|e| format!("store.tls_ca cannot be used: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for anchor in anchors {
        roots.add(anchor).map_err(|e| {
            format!(
                "store.tls_ca {}: a certificate is not usable as a trust anchor: {e}",
                ca.display()
            )
        })?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(treiter_proto::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// `dbname on host:port` from a connection string, without user or password.
fn describe(config: &tokio_postgres::Config) -> String {
    let database = config.get_dbname().unwrap_or("(default)");
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    match config.get_ports().first() {
        Some(port) => format!("{database} on {host}:{port}"),
        None => format!("{database} on {host}"),
    }
}

/// Parses a connection string; the error never repeats it (it may hold a password).
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, String> {
    tokio_postgres::Config::from_str(url).map_err(|_| {
        "the connection string does not parse: expected \"host=… port=… user=… dbname=…\" or a postgresql:// URL".into()
    })
}

/// Whether every host of `config` is this machine (a Unix socket, `localhost` or a
/// loopback address): the only places the hub talks to without TLS.
pub fn is_local(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|host| match host {
        tokio_postgres::config::Host::Unix(_) => true,
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }) && config.get_hostaddrs().iter().all(|ip| ip.is_loopback())
}

/// A server or connection error in words, without the server's DETAIL (which can quote
/// the row it is about).
pub fn db_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        // The causes too: "error performing TLS handshake" alone does not say that the
        // server's certificate was not trusted.
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// A pool error in words.
pub fn pool_error(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(e) => db_error(e),
        deadpool_postgres::PoolError::Timeout(_) => {
            "timed out waiting for a connection (is the database reachable, and the pool large enough?)".into()
        }
        other => other.to_string(),
    }
}
