//! A real PostgreSQL server for the tests, started by the tests themselves (issue 21:
//! no mocks where the issue names the real thing).
//!
//! [`TestPostgres::start`] runs Debian's `initdb` into a temporary directory and starts
//! `postgres` listening on 127.0.0.1 only, on a free port, with its Unix socket in that
//! directory too; dropping the value stops the server (`pg_ctl -m immediate`) and
//! removes the directory. `initdb` and `postgres` refuse to run as root, so when the
//! tests run as root (CI does) the server runs as the unprivileged `postgres` user
//! through `runuser`, in a directory handed to that user.
//!
//! When PostgreSQL is not installed, [`TestPostgres::start_or_skip`] skips the test
//! with a loud message on a developer's machine, but fails it when `CI=true`: CI
//! installs PostgreSQL (`.ci/run`), so a skip there would hide a broken set-up.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The superuser role `initdb` creates (trust authentication on loopback only).
pub const SUPERUSER: &str = "treiter";

/// Why the server could not be started.
#[derive(Debug)]
pub enum StartError {
    /// No `initdb` on the PATH nor under `/usr/lib/postgresql/*/bin`.
    NotInstalled,
    /// A step failed; the text says which and what it printed.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NotInstalled => f.write_str(
                "PostgreSQL is not installed (no initdb on the PATH or under /usr/lib/postgresql/*/bin); \
                 install Debian's `postgresql` package",
            ),
            StartError::Failed(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for StartError {}

/// A running throwaway PostgreSQL server.
#[derive(Debug)]
pub struct TestPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    run_as: Option<String>,
    /// Extra server options (TLS).
    options: String,
    // Dropped last: the server is stopped before its directory goes.
    dir: tempfile::TempDir,
}

impl TestPostgres {
    /// Starts a server, or says why it cannot.
    pub fn start() -> Result<TestPostgres, StartError> {
        TestPostgres::start_inner(None)
    }

    /// Starts a server that also accepts TLS, with this certificate (chain) and key
    /// (PEM), or skips like [`TestPostgres::start_or_skip`].
    pub fn start_with_tls_or_skip(
        test: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Option<TestPostgres> {
        skip_if_missing(test, TestPostgres::start_inner(Some((cert_pem, key_pem))))
    }

    fn start_inner(tls: Option<(&str, &str)>) -> Result<TestPostgres, StartError> {
        let bin = find_bin_dir().ok_or(StartError::NotInstalled)?;
        let run_as = if is_root() {
            Some("postgres".to_owned())
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("treiter-pg-")
            .tempdir()
            .map_err(|e| StartError::Failed(format!("cannot create a temporary directory: {e}")))?;
        if let Some(user) = &run_as {
            hand_over(dir.path(), user)?;
        }
        let data = dir.path().join("data");
        let initdb = bin.join("initdb");
        let output = run(
            run_as.as_deref(),
            &initdb,
            &[
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        )?;
        if !output.status.success() {
            return Err(failed("initdb", &output));
        }
        let mut options = String::new();
        if let Some((cert, key)) = tls {
            let (cert_file, key_file) =
                (dir.path().join("server.crt"), dir.path().join("server.key"));
            write_private(&cert_file, cert)?;
            write_private(&key_file, key)?;
            if let Some(user) = &run_as {
                hand_over(&cert_file, user)?;
                hand_over(&key_file, user)?;
            }
            options = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert_file.display(),
                key_file.display()
            );
        }
        let port = free_port()?;
        let mut server = TestPostgres {
            bin,
            data,
            port,
            run_as,
            options,
            dir,
        };
        server.start_server()?;
        Ok(server)
    }

    /// Starts a server, or skips the calling test (returns `None`) with a message on
    /// stderr when PostgreSQL is not installed, unless `CI=true`, where it panics: CI
    /// installs PostgreSQL, so a missing one there is a broken set-up, not a skip.
    pub fn start_or_skip(test: &str) -> Option<TestPostgres> {
        skip_if_missing(test, TestPostgres::start())
    }

    fn start_server(&mut self) -> Result<(), StartError> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on -c max_connections=200{}",
            self.port,
            self.dir.path().display(),
            self.options
        );
        let log = self.dir.path().join("server.log");
        let output = run(
            self.run_as.as_deref(),
            &self.bin.join("pg_ctl"),
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "start".as_ref(),
            ],
        )?;
        if !output.status.success() {
            let server_log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(StartError::Failed(format!(
                "pg_ctl start failed: {}\n{}\nserver log:\n{server_log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(())
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection string for `database`, as libpq and tokio-postgres read it.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={SUPERUSER} dbname={database}",
            self.port
        )
    }

    /// Creates `database` (its name: letters, digits and `_`).
    pub fn create_database(&self, database: &str) -> Result<(), StartError> {
        assert!(
            database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "a test database name is letters, digits and '_'"
        );
        let port = self.port.to_string();
        let mut createdb = Command::new(self.bin.join("createdb"));
        createdb
            .args(["-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER, database])
            .stdin(Stdio::null());
        let output = without_faked_clock(&mut createdb)
            .output()
            .map_err(|e| StartError::Failed(format!("cannot run createdb: {e}")))?;
        if !output.status.success() {
            return Err(failed("createdb", &output));
        }
        Ok(())
    }

    /// Runs `sql` in `database` with `psql` and returns its rows, one line each, the
    /// columns separated by `|` (unaligned, no header): a test reads the tables as they
    /// are, without going through the code under test.
    pub fn query(&self, database: &str, sql: &str) -> Result<String, StartError> {
        let port = self.port.to_string();
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-X",
            "-q",
            "-A",
            "-t",
            "-F",
            "|",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .stdin(Stdio::null());
        let output = without_faked_clock(&mut psql)
            .output()
            .map_err(|e| StartError::Failed(format!("cannot run psql: {e}")))?;
        if !output.status.success() {
            return Err(failed("psql", &output));
        }
        String::from_utf8(output.stdout)
            .map_err(|_| StartError::Failed("psql printed something that is not UTF-8".into()))
    }

    /// Stops the server at once, the way a crash would (`-m immediate`: no checkpoint;
    /// what was committed must come back from the write-ahead log).
    pub fn crash(&mut self) -> Result<(), StartError> {
        self.pg_ctl_stop("immediate")
    }

    /// Starts the server again after [`TestPostgres::crash`], on the same port.
    pub fn restart(&mut self) -> Result<(), StartError> {
        self.start_server()
    }

    fn pg_ctl_stop(&self, mode: &str) -> Result<(), StartError> {
        let output = run(
            self.run_as.as_deref(),
            &self.bin.join("pg_ctl"),
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        )?;
        if !output.status.success() {
            return Err(failed("pg_ctl stop", &output));
        }
        Ok(())
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Already stopped after a crash() without restart: pg_ctl then says so, harmlessly.
        let _ = self.pg_ctl_stop("immediate");
    }
}

fn skip_if_missing(test: &str, started: Result<TestPostgres, StartError>) -> Option<TestPostgres> {
    match started {
        Ok(server) => Some(server),
        Err(StartError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!(
                "SKIPPED {test}: PostgreSQL is not installed (apt-get install postgresql); CI installs it and runs this test"
            );
            None
        }
        Err(e) => panic!("{test}: cannot start PostgreSQL: {e}"),
    }
}

/// Writes `text` to a new file only its owner may read (the server refuses a key file
/// others can read).
fn write_private(path: &Path, text: &str) -> Result<(), StartError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| StartError::Failed(format!("cannot write {}: {e}", path.display())))
}

fn failed(step: &str, output: &Output) -> StartError {
    StartError::Failed(format!(
        "{step} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Runs `program` with `args`, as `user` through `runuser` when given.
fn run(
    user: Option<&str>,
    program: &Path,
    args: &[&std::ffi::OsStr],
) -> Result<Output, StartError> {
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .stdin(Stdio::null())
        // The server inherits nothing of the test's locale surprises.
        .env("LC_ALL", "C.UTF-8");
    without_faked_clock(&mut command)
        .output()
        .map_err(|e| StartError::Failed(format!("cannot run {}: {e}", program.display())))
}

/// The tests run once more under libfaketime (`.ci/run`), which reaches every child
/// through `LD_PRELOAD` and `FAKETIME`. PostgreSQL is the database, not the product under
/// test: it keeps the real clock. It must: libfaketime shares its state through a
/// semaphore in `/dev/shm` made by the first (root) process, which the unprivileged
/// server cannot open, so under the faked clock the server would not start at all.
fn without_faked_clock(command: &mut Command) -> &mut Command {
    for variable in [
        "LD_PRELOAD",
        "FAKETIME",
        "FAKETIME_DONT_FAKE_MONOTONIC",
        "FAKETIME_SHARED",
    ] {
        command.env_remove(variable);
    }
    command
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.is_file() {
                // Debian links /usr/local/bin/initdb (and friends) to the versioned
                // directory; use that directory, where pg_ctl and createdb surely are.
                let resolved = std::fs::canonicalize(&initdb).unwrap_or(initdb);
                return resolved.parent().map(Path::to_path_buf);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Gives `dir` (or a file) to `user`, so the server running as that user can use it.
fn hand_over(dir: &Path, user: &str) -> Result<(), StartError> {
    let output = Command::new("chown")
        .arg(format!("{user}:"))
        .arg(dir)
        .output()
        .map_err(|e| StartError::Failed(format!("cannot run chown: {e}")))?;
    if !output.status.success() {
        return Err(failed("chown", &output));
    }
    Ok(())
}

fn free_port() -> Result<u16, StartError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| StartError::Failed(format!("cannot find a free port: {e}")))
}
