//! `--store postgres`: the benchmark's own PostgreSQL server (Debian's, through
//! `treiter-testpg`: `initdb` into a temporary directory, 127.0.0.1 only, `fsync = on`),
//! its two databases (the hub's data and its case keys, as the hub README asks), the
//! `[store]` table that points the hub replicas at them, and the server's CPU time
//! (the postmaster and every process it started, from /proc), split by what the
//! processes do: connections to the data database, to the keys database, and the
//! server's own background work (WAL writer, checkpointer, autovacuum, ...).
//!
//! The server stops when [`Database`] is dropped: at the end, on an error, and on
//! Ctrl-C / SIGTERM (see `main`, which drops the benchmark on either).

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};
use treiter_testpg::TestPostgres;

use crate::measure;

/// The data database's name.
pub const DATA: &str = "bench_data";
/// The keys database's name.
pub const KEYS: &str = "bench_keys";

/// A running PostgreSQL server with the hub's two databases; stopped when dropped.
pub struct Database {
    server: TestPostgres,
    /// The postmaster's process id (the parent of every server process).
    postmaster: u32,
}

impl Database {
    /// Starts a server and creates the two databases.
    pub fn start() -> anyhow::Result<Database> {
        let server = TestPostgres::start()
            .map_err(|e| anyhow!("cannot start PostgreSQL for --store postgres: {e}"))?;
        for name in [DATA, KEYS] {
            server
                .create_database(name)
                .map_err(|e| anyhow!("cannot create the database {name}: {e}"))?;
        }
        let postmaster = find_postmaster(server.port()).with_context(|| {
            format!(
                "no postgres process listening on port {} found in /proc",
                server.port()
            )
        })?;
        Ok(Database { server, postmaster })
    }

    /// The hub's `[store]` table for these databases. `pool_size` is the hub's default.
    pub fn store_config(&self) -> String {
        format!(
            "\n[store]\nbackend = \"postgres\"\nurl = \"{}\"\nkeys_url = \"{}\"\npool_size = 16\n",
            self.server.url(DATA),
            self.server.url(KEYS)
        )
    }

    /// Starts measuring the server's CPU time.
    pub fn cpu(&self) -> ServerCpu {
        ServerCpu {
            postmaster: self.postmaster,
            start: snapshot(self.postmaster),
            start_reaped: reaped_ticks(self.postmaster),
        }
    }

    /// Resident memory of the server's processes, summed (shared buffers are counted
    /// once per process that touched them, so this overstates what the server holds).
    pub fn rss_mib(&self) -> f64 {
        server_pids(self.postmaster)
            .iter()
            .map(|p| measure::rss_mib(*p))
            .sum()
    }
}

/// What the server's processes do, by their process title.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Work {
    /// Connections to the hub's data database (state, decision log, relay between
    /// replicas).
    Data,
    /// Connections to the keys database.
    Keys,
    /// The postmaster and the server's background processes.
    Background,
}

/// CPU time of the server over a stretch of load.
pub struct ServerCpu {
    postmaster: u32,
    start: HashMap<u32, (Work, u64)>,
    start_reaped: u64,
}

/// The server's CPU time over a stretch, in milliseconds.
#[derive(Clone, Copy, Default)]
pub struct ServerCpuMs {
    pub data: f64,
    pub keys: f64,
    pub background: f64,
}

impl ServerCpuMs {
    pub fn total(&self) -> f64 {
        self.data + self.keys + self.background
    }

    pub fn per(&self, n: f64) -> ServerCpuMs {
        ServerCpuMs {
            data: self.data / n,
            keys: self.keys / n,
            background: self.background / n,
        }
    }
}

impl ServerCpu {
    /// Milliseconds of CPU used since the start, by kind of work. The time of server
    /// processes that ended in between (their CPU time goes to the postmaster's
    /// reaped-children count) is counted as background work.
    pub fn used_ms(&self, ticks_per_second: u64) -> ServerCpuMs {
        let now = snapshot(self.postmaster);
        let mut ticks: HashMap<Work, u64> = HashMap::new();
        for (pid, (work, t)) in &now {
            let before = self.start.get(pid).map_or(0, |(_, t)| *t);
            *ticks.entry(*work).or_default() += t.saturating_sub(before);
        }
        // A process gone since the start: its whole CPU time is in the reaped count
        // now, of which only what it used after the start is this stretch's.
        let gone: u64 = self
            .start
            .iter()
            .filter(|(pid, _)| !now.contains_key(pid))
            .map(|(_, (_, t))| *t)
            .sum();
        let reaped = reaped_ticks(self.postmaster).saturating_sub(self.start_reaped);
        *ticks.entry(Work::Background).or_default() += reaped.saturating_sub(gone);
        let ms =
            |w: Work| ticks.get(&w).copied().unwrap_or(0) as f64 * 1000.0 / ticks_per_second as f64;
        ServerCpuMs {
            data: ms(Work::Data),
            keys: ms(Work::Keys),
            background: ms(Work::Background),
        }
    }
}

/// The postmaster of the server listening on `port`: a `postgres` process whose
/// command line has `-p <port>` (as `treiter-testpg` starts it).
fn find_postmaster(port: u16) -> Option<u32> {
    let port = port.to_string();
    for pid in process_ids() {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_postgres = args
            .first()
            .is_some_and(|a| a.ends_with(b"/postgres") || *a == b"postgres");
        let on_port = args
            .windows(2)
            .any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        if is_postgres && on_port {
            return Some(pid);
        }
    }
    None
}

/// Every process id in `/proc` now (none if it cannot be read).
fn process_ids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
}

/// The postmaster and its children.
fn server_pids(postmaster: u32) -> Vec<u32> {
    std::iter::once(postmaster)
        .chain(process_ids().filter(|pid| parent(*pid) == Some(postmaster)))
        .collect()
}

/// Every server process now: its kind of work and CPU ticks so far.
fn snapshot(postmaster: u32) -> HashMap<u32, (Work, u64)> {
    server_pids(postmaster)
        .into_iter()
        .map(|pid| (pid, (work(pid, postmaster), measure::cpu_ticks(pid))))
        .collect()
}

/// A server process's work, from its title (`postgres: treiter bench_data
/// 127.0.0.1(40000) idle`, `postgres: walwriter`, ...).
fn work(pid: u32, postmaster: u32) -> Work {
    if pid == postmaster {
        return Work::Background;
    }
    let title = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default();
    let mut words = title.split_whitespace();
    // "postgres:", then the user, then the database of a client connection.
    let database = words.nth(2).unwrap_or("");
    match database {
        DATA => Work::Data,
        KEYS => Work::Keys,
        _ => Work::Background,
    }
}

/// The parent process id of `pid`.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    // rest[0] is field 3 (state); the parent is field 4.
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// CPU ticks of the children `pid` has reaped (cutime + cstime, fields 16 and 17).
fn reaped_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> u64 { fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0) };
    field(13) + field(14)
}
