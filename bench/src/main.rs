//! `load`: the load benchmark of issue 20.
//!
//! Starts the demo's hub and partner agents on 127.0.0.1 from release binaries, brings
//! the demo's case to `aanpak`, and has one load client (the stadsdeelregisseur, one
//! mTLS connection) request its cross-partner case file with 1, 4 and 16 requests in
//! flight. Beside it, in the same run, a bare baseline: a minimal tonic mTLS relay of
//! the same shape with no covenant, log or storage (see [`baseline`]). Prints a table:
//! case files/s, p50/p95/p99 latency, hub CPU per case file (from /proc), agents' CPU
//! per case file, RSS of hub and agents, and our throughput as a share of the
//! baseline's at the same load.
//!
//!   cargo build --release -p treiter-hub -p treiter-node-agent -p treiter-hubctl -p treiter-bench
//!   target/release/load                  # fresh system, 10 s per load level
//!   target/release/load --pre-grown      # first grow the stored data (see `grow`)
//!   target/release/load --soak 50000     # RSS over 50,000 case files at 4 in flight
//!   target/release/load --soak 50000 --soak-every 2500   # a row every 2,500
//!   target/release/load --smoke          # a few seconds: that it runs at all
//!   target/release/load --store postgres                # the hub on PostgreSQL
//!   target/release/load --store postgres --replicas 3   # three hub replicas on it
//!   target/release/load --compare        # sled, PostgreSQL ×1, ×3, sled again: ratios
//!
//! `--store postgres` starts its own PostgreSQL server (Debian's `postgresql`, through
//! `treiter-testpg`, as the tests do; see [`database`]) with the hub's data and keys
//! databases, and stops it at the end, on an error and on Ctrl-C. With `--replicas N`
//! the hub runs as N processes on that one database; every agent gets all replicas'
//! addresses, rotated so that the agents start out spread over them, and the load
//! client opens one connection per replica and sends the calls to them in turn, so
//! every case file asks agents linked to other replicas (routed through the
//! database). The hub's CPU per case file is then all replicas' together; the
//! database server's (all its processes) is reported beside it.
//!
//! The machine is shared: compare figures of one run with each other (ratios), not
//! with another run's.
#![forbid(unsafe_code)]

mod baseline;
mod database;
mod grow;
mod measure;
mod system;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::{CaseFileRequest, InclusionProofRequest};

use measure::{CpuMeter, Run, Until};

#[derive(Parser)]
#[command(
    name = "load",
    about = "Load benchmark: the hub and its agents beside a bare relay"
)]
struct Cli {
    #[command(subcommand)]
    role: Option<Role>,
    /// Seconds of load per level (after a warm-up of a fifth of it).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests in flight, one load level each.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    in_flight: Vec<usize>,
    /// Partner agents: of the hub's system (the demo's seven, then synthetic housing
    /// corporations that know no one) and echo agents of the bare baseline.
    #[arg(long, default_value_t = 7)]
    agents: usize,
    /// Grow the stored data first: delivered records in the recipient's inbox and
    /// decision log entries (see --grow-records, --grow-log).
    #[arg(long)]
    pre_grown: bool,
    /// Records delivered into the recipient agent's inbox by --pre-grown.
    #[arg(long, default_value_t = 100_000)]
    grow_records: u64,
    /// Decision log entries appended by --pre-grown.
    #[arg(long, default_value_t = 1_000_000)]
    grow_log: u64,
    /// Instead of the table: this many case files at 4 in flight, printing the RSS of
    /// hub and agents as it goes.
    #[arg(long)]
    soak: Option<usize>,
    /// With --soak: a row every this many case files (default: a tenth of them).
    #[arg(long)]
    soak_every: Option<usize>,
    /// A few seconds at 1 and 4 in flight: that the benchmark runs (for CI).
    #[arg(long)]
    smoke: bool,
    /// Skip the bare baseline.
    #[arg(long)]
    no_baseline: bool,
    /// The directory of the release binaries (default: target/release of this
    /// workspace).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Keep the run directory here instead of a temporary one (wiped first).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where the hub keeps its state: `sled` (embedded) or `postgres`: a PostgreSQL
    /// server (Debian's) that the benchmark starts itself on 127.0.0.1, with the data
    /// and the keys database, and stops at the end.
    #[arg(long, value_enum, default_value_t = StoreKind::Sled)]
    store: StoreKind,
    /// Hub replicas on the one PostgreSQL database (--store postgres): the agents
    /// spread over them, one load connection per replica, the calls in turn.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// In one run: sled, PostgreSQL with 1 replica, PostgreSQL with 3 replicas, and
    /// sled again; then the table of ratios to the first sled figures.
    #[arg(long)]
    compare: bool,
}

#[derive(Subcommand)]
enum Role {
    /// The bare baseline's relay (started by the benchmark itself).
    #[command(hide = true)]
    Relay {
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        ca: PathBuf,
    },
    /// One echo agent of the bare baseline (started by the benchmark itself).
    #[command(hide = true)]
    Echo {
        #[arg(long)]
        url: String,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        ca: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.role {
        Some(Role::Relay {
            listen,
            cert,
            key,
            ca,
        }) => runtime.block_on(baseline::relay(listen, baseline::Tls { cert, key, ca })),
        Some(Role::Echo { url, cert, key, ca }) => {
            runtime.block_on(baseline::echo(&url, baseline::Tls { cert, key, ca }))
        }
        None => runtime.block_on(async {
            // Dropping the benchmark on Ctrl-C or SIGTERM stops what it started: the
            // agents and hubs, and the PostgreSQL server (which runs in a session of
            // its own and would survive the terminal's Ctrl-C).
            tokio::select! {
                result = bench(cli) => result,
                signal = interrupted() => {
                    signal?;
                    bail!("interrupted: the hub, its agents and the database server were stopped")
                }
            }
        }),
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM.
async fn interrupted() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// Where the hub keeps its state.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum StoreKind {
    /// Embedded sled in the data directory (the hub's default).
    Sled,
    /// A PostgreSQL server that the benchmark starts and stops itself.
    Postgres,
}

/// One system measured: where its state is and how many hub replicas it runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Setup {
    store: StoreKind,
    replicas: usize,
}

impl Setup {
    const SLED: Setup = Setup {
        store: StoreKind::Sled,
        replicas: 1,
    };

    fn name(&self) -> String {
        match self.store {
            StoreKind::Sled => "sled".into(),
            StoreKind::Postgres if self.replicas == 1 => "PostgreSQL, 1 replica".into(),
            StoreKind::Postgres => format!("PostgreSQL, {} replicas", self.replicas),
        }
    }

    /// The run directory's name of the `i`-th setup of a comparison.
    fn dir_name(&self, i: usize) -> String {
        match self.store {
            StoreKind::Sled => format!("{i}-sled"),
            StoreKind::Postgres => format!("{i}-postgres-{}", self.replicas),
        }
    }
}

/// One row of the table.
struct Row {
    run: Run,
    /// All hub replicas together (the relay, in the baseline).
    hub_cpu_ms: f64,
    agents_cpu_ms: f64,
    /// The PostgreSQL server, all its processes, per case file.
    database: Option<database::ServerCpuMs>,
}

/// How long the system is measured with no load before the first level.
const IDLE: Duration = Duration::from_secs(4);

/// CPU time with no load, per second.
struct Idle {
    hubs_ms_per_s: f64,
    database_ms_per_s: Option<f64>,
}

/// What one setup measured.
struct Measured {
    setup: Setup,
    label: String,
    rows: Vec<Row>,
    idle: Idle,
    /// Per replica, after the load.
    hub_rss: Vec<f64>,
    agents_rss: Vec<(String, f64)>,
    database_rss: Option<f64>,
    /// Agents linked to each replica before the load.
    linked: Vec<usize>,
    load_before: String,
    load_after: String,
}

/// The comparison of `--compare`: sled, PostgreSQL with 1 and with 3 replicas, then
/// sled again (to show how much the machine's load moved during the run).
const COMPARE: &[Setup] = &[
    Setup::SLED,
    Setup {
        store: StoreKind::Postgres,
        replicas: 1,
    },
    Setup {
        store: StoreKind::Postgres,
        replicas: 3,
    },
    Setup::SLED,
];

async fn bench(mut cli: Cli) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("workspace root")?
        .to_path_buf();
    let bin = cli
        .bin
        .clone()
        .unwrap_or_else(|| root.join("target/release"));
    for name in ["hub", "node-agent", "hubctl"] {
        if !bin.join(name).is_file() {
            bail!(
                "{} is missing: build the release binaries first with\n  cargo build --release -p treiter-hub -p treiter-node-agent -p treiter-hubctl -p treiter-bench",
                bin.join(name).display()
            );
        }
    }
    if cli.agents < system::PARTIES.len() {
        bail!(
            "--agents {} is fewer than the demo's {} partners",
            cli.agents,
            system::PARTIES.len()
        );
    }
    if cli.replicas == 0 {
        bail!("--replicas must be at least 1");
    }
    if cli.replicas > 1 && cli.store != StoreKind::Postgres && !cli.compare {
        bail!(
            "--replicas {} needs --store postgres: replicas share one PostgreSQL database; sled is one hub's",
            cli.replicas
        );
    }
    if cli.pre_grown && (cli.store != StoreKind::Sled || cli.compare) {
        bail!("--pre-grown grows sled's decision log and is for --store sled alone");
    }
    if cli.compare && cli.soak.is_some() {
        bail!("--compare and --soak do not go together: --soak measures one system");
    }
    if cli.smoke {
        cli.seconds = 2;
        cli.in_flight = vec![1, 4];
    }
    let ticks = measure::clock_ticks();
    let warmup = Duration::from_secs(cli.seconds).div_f64(5.0);
    let stretch = Duration::from_secs(cli.seconds);

    let temp = tempfile::tempdir()?;
    let dir = match &cli.dir {
        Some(d) => {
            let _ = std::fs::remove_dir_all(d);
            std::fs::create_dir_all(d)?;
            d.canonicalize()?
        }
        None => temp.path().to_path_buf(),
    };

    println!("# treiter load benchmark");
    println!(
        "machine: {} cores ({}), load average before start: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average()
    );

    let setups = if cli.compare {
        COMPARE.to_vec()
    } else {
        vec![Setup {
            store: cli.store,
            replicas: cli.replicas,
        }]
    };
    let mut measured = Vec::new();
    for (i, setup) in setups.iter().enumerate() {
        let setup_dir = if setups.len() == 1 {
            dir.clone()
        } else {
            dir.join(setup.dir_name(i))
        };
        let label = if setups[..i].contains(setup) {
            format!("{} (again)", setup.name())
        } else {
            setup.name()
        };
        match measure_setup(&cli, &root, &bin, &setup_dir, *setup, label, ticks).await? {
            Some(m) => measured.push(m),
            // The soak printed its own table.
            None => return Ok(()),
        }
    }
    let first_dir = if setups.len() == 1 {
        dir.clone()
    } else {
        dir.join(setups[0].dir_name(0))
    };

    let baseline_rows = if cli.no_baseline {
        Vec::new()
    } else {
        run_baseline(
            &first_dir,
            cli.agents,
            &cli.in_flight,
            warmup,
            stretch,
            ticks,
        )
        .await?
    };
    let load_end = load_average();

    for m in &measured {
        print_setup(&cli, m, &baseline_rows);
    }
    if !baseline_rows.is_empty() {
        println!();
        println!(
            "## bare baseline: tonic mTLS relay, {} echo agents, 2 round trips each",
            cli.agents
        );
        println!();
        println!(
            "| in flight | calls/s | p50 ms | p95 ms | p99 ms | relay CPU ms/call | agents CPU ms/call |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|");
        for row in &baseline_rows {
            println!(
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} |",
                row.run.in_flight,
                row.run.per_second(),
                row.run.percentile_ms(50.0),
                row.run.percentile_ms(95.0),
                row.run.percentile_ms(99.0),
                row.hub_cpu_ms,
                row.agents_cpu_ms,
            );
        }
    }
    if measured.len() > 1 {
        print_comparison(&measured);
    }
    println!();
    println!("load average at the end: {load_end}");
    if measured
        .iter()
        .any(|m| m.rows.iter().any(|r| r.run.completed == 0))
    {
        bail!("a load level completed no case file");
    }
    Ok(())
}

/// Prepares, starts and loads one setup in `dir`; its figures, or `None` after a soak
/// (which prints its own). Everything it started is stopped when it returns, also on
/// an error: the agents and hub replicas first, then the database server.
async fn measure_setup(
    cli: &Cli,
    root: &Path,
    bin: &Path,
    dir: &Path,
    setup: Setup,
    label: String,
    ticks: u64,
) -> anyhow::Result<Option<Measured>> {
    let warmup = Duration::from_secs(cli.seconds).div_f64(5.0);
    let stretch = Duration::from_secs(cli.seconds);
    let load_before = load_average();
    println!();
    println!("### {label}: load average {load_before}");
    std::fs::create_dir_all(dir)?;
    let database = match setup.store {
        StoreKind::Sled => None,
        StoreKind::Postgres => {
            let t = Instant::now();
            let database = database::Database::start()?;
            println!(
                "PostgreSQL started, databases {} and {} created ({:.1} s)",
                database::DATA,
                database::KEYS,
                t.elapsed().as_secs_f64()
            );
            Some(database)
        }
    };
    let store = database
        .as_ref()
        .map(database::Database::store_config)
        .unwrap_or_default();
    let mut hub_ports: Vec<u16> = Vec::new();
    while hub_ports.len() < setup.replicas {
        let port = system::free_port()?;
        if !hub_ports.contains(&port) {
            hub_ports.push(port);
        }
    }
    let prepare = Instant::now();
    system::prepare(root, bin, dir, &hub_ports, cli.agents, &store)?;
    println!(
        "prepared {} in {:.1} s",
        dir.display(),
        prepare.elapsed().as_secs_f64()
    );
    let mut system = system::System::start(bin, dir, &hub_ports, None, cli.agents)?;
    let linked = system.linked_per_replica();
    println!(
        "{} hub replica(s) and {} agents linked (per replica: {}); case {} in aanpak",
        system.hubs.len(),
        system.agents.len(),
        join(&linked, |n| n.to_string()),
        system.case_id
    );
    if cli.pre_grown {
        // One real case file first: the log's share decisions are copied from it.
        let url = format!("https://localhost:{}", hub_ports[0]);
        let channel = baseline::connect(&url, &system.requester_tls()).await?;
        CoordinatorClient::new(channel)
            .request_case_file(CaseFileRequest {
                case_id: system.case_id.clone(),
                purpose: "aanpak".into(),
                ..Default::default()
            })
            .await
            .context("the case file before growing")?;
        let case_id = system.case_id.clone();
        drop(system);
        let t = Instant::now();
        grow(dir, cli.grow_records, cli.grow_log).await?;
        let grown = t.elapsed();
        system = system::System::start(bin, dir, &hub_ports, Some(case_id), cli.agents)?;
        println!(
            "pre-grown: {} records delivered into the gemeente's inbox, {} decision log entries ({:.0} s)",
            cli.grow_records,
            cli.grow_log,
            grown.as_secs_f64()
        );
    }

    // One load client connection per replica; the calls go round them in turn, so a
    // case file is assembled on every replica and asks agents linked to the others.
    let mut clients = Vec::new();
    for port in &hub_ports {
        let url = format!("https://localhost:{port}");
        let channel = baseline::connect(&url, &system.requester_tls()).await?;
        clients.push(CoordinatorClient::new(channel));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let case_id = system.case_id.clone();
    let call = move || {
        let mut client = clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()].clone();
        let request = CaseFileRequest {
            case_id: case_id.clone(),
            purpose: "aanpak".into(),
            ..Default::default()
        };
        async move {
            let file = client.request_case_file(request).await?.into_inner();
            let summary = file.summary.unwrap_or_default();
            if summary.entries_passed == 0 {
                bail!("a case file passed nothing: {summary:?}");
            }
            Ok(())
        }
    };
    // One case file on each replica first: the system works before anything is
    // measured.
    for _ in 0..hub_ports.len() {
        call().await.context("the first case file")?;
    }

    if let Some(total) = cli.soak {
        let every = cli.soak_every.unwrap_or(total / 10).max(1);
        soak(&system, call, total, every, ticks).await?;
        return Ok(None);
    }

    let hub_pids = system.hub_pids();
    let agent_pids = system.agent_pids();
    // What the system costs with no load at all: what the replicas do on their own
    // (heartbeats; with PostgreSQL the mailbox, link-row, marker and covenant polls),
    // which every case file shares at the measured rate.
    let idle = {
        let hubs = CpuMeter::start(&hub_pids);
        let database_cpu = database.as_ref().map(database::Database::cpu);
        tokio::time::sleep(IDLE).await;
        let s = IDLE.as_secs_f64();
        Idle {
            hubs_ms_per_s: hubs.used_ms(ticks) / s,
            database_ms_per_s: database_cpu.map(|c| c.used_ms(ticks).total() / s),
        }
    };
    let mut rows = Vec::new();
    for &in_flight in &cli.in_flight {
        drive_quiet(in_flight, warmup, call.clone()).await;
        let hub_cpu = CpuMeter::start(&hub_pids);
        let agents_cpu = CpuMeter::start(&agent_pids);
        let database_cpu = database.as_ref().map(database::Database::cpu);
        let run = measure::drive(in_flight, Until::Elapsed(stretch), call.clone()).await;
        let per = run.completed.max(1) as f64;
        rows.push(Row {
            hub_cpu_ms: hub_cpu.used_ms(ticks) / per,
            agents_cpu_ms: agents_cpu.used_ms(ticks) / per,
            database: database_cpu.map(|c| c.used_ms(ticks).per(per)),
            run,
        });
    }
    let hub_rss = hub_pids.iter().map(|p| measure::rss_mib(*p)).collect();
    let agents_rss: Vec<(String, f64)> = system
        .agents
        .iter()
        .map(|(slug, child)| (slug.clone(), measure::rss_mib(child.id())))
        .collect();
    let database_rss = database.as_ref().map(database::Database::rss_mib);
    drop(system);
    drop(database);
    Ok(Some(Measured {
        setup,
        label,
        rows,
        idle,
        hub_rss,
        agents_rss,
        database_rss,
        linked,
        load_before,
        load_after: load_average(),
    }))
}

/// One setup's table, beside the bare relay of the same run.
fn print_setup(cli: &Cli, m: &Measured, baseline_rows: &[Row]) {
    let postgres = m.setup.store == StoreKind::Postgres;
    println!();
    println!(
        "## {}: hub + {} agents (demo case, purpose aanpak){}; load average {} before, {} after",
        m.label,
        cli.agents,
        if cli.pre_grown {
            ", pre-grown"
        } else {
            ", fresh"
        },
        m.load_before,
        m.load_after
    );
    println!();
    let hub_cpu = if m.setup.replicas > 1 {
        format!("hub CPU ms/file ({} replicas together)", m.setup.replicas)
    } else {
        "hub CPU ms/file".to_owned()
    };
    if postgres {
        println!(
            "| in flight | case files/s | p50 ms | p95 ms | p99 ms | {hub_cpu} | database CPU ms/file | agents CPU ms/file | failed | bare relay/s | ratio |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!(
            "| in flight | case files/s | p50 ms | p95 ms | p99 ms | {hub_cpu} | agents CPU ms/file | failed | bare relay/s | ratio |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    for row in &m.rows {
        let bare = baseline_rows
            .iter()
            .find(|b| b.run.in_flight == row.run.in_flight)
            .map(|b| b.run.per_second());
        let database = if postgres {
            format!(" {:.2} |", row.database.map_or(f64::NAN, |d| d.total()))
        } else {
            String::new()
        };
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} |{database} {:.2} | {} | {} | {} |",
            row.run.in_flight,
            row.run.per_second(),
            row.run.percentile_ms(50.0),
            row.run.percentile_ms(95.0),
            row.run.percentile_ms(99.0),
            row.hub_cpu_ms,
            row.agents_cpu_ms,
            row.run.failed,
            bare.map_or("-".into(), |b| format!("{b:.0}")),
            bare.map_or("-".into(), |b| format!(
                "{:.0} %",
                100.0 * row.run.per_second() / b
            )),
        );
        if let Some(error) = &row.run.first_error {
            println!("  first failure: {error}");
        }
    }
    if postgres {
        println!();
        println!("The database server's CPU per case file, by the processes' work:");
        println!();
        println!(
            "| in flight | data database connections | keys database connections | server background (WAL writer, checkpointer, autovacuum, ...) |"
        );
        println!("|---:|---:|---:|---:|");
        for row in &m.rows {
            let d = row.database.unwrap_or_default();
            println!(
                "| {} | {:.2} | {:.2} | {:.2} |",
                row.run.in_flight, d.data, d.keys, d.background
            );
        }
    }
    println!();
    println!(
        "With no load ({} s before the first level): hub{} {:.1} ms of CPU per second{}.",
        IDLE.as_secs(),
        if m.hub_rss.len() > 1 {
            " replicas together"
        } else {
            ""
        },
        m.idle.hubs_ms_per_s,
        m.idle.database_ms_per_s.map_or(String::new(), |d| format!(
            ", the database server {d:.1} ms per second"
        ))
    );
    if m.hub_rss.len() > 1 {
        println!(
            "agents linked per replica before the load: {}",
            join(&m.linked, |n| n.to_string())
        );
    }
    println!(
        "RSS after the load: {} {} MiB; {}agents {}",
        if m.hub_rss.len() > 1 {
            "hub replicas"
        } else {
            "hub"
        },
        join(&m.hub_rss, |r| format!("{r:.1}")),
        m.database_rss.map_or(String::new(), |r| format!(
            "PostgreSQL's processes {r:.1} MiB (summed: shared buffers count once per process); "
        )),
        m.agents_rss
            .iter()
            .map(|(s, r)| format!("{s} {r:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The setups side by side, as ratios to the first one's figure (sled) at the same
/// number in flight: the machine is shared, so only figures of one run compare.
fn print_comparison(measured: &[Measured]) {
    let Some(reference) = measured.first() else {
        return;
    };
    println!();
    println!(
        "## {} against the others, this run: ratios to the first {} figure at the same number in flight",
        reference.label, reference.label
    );
    println!();
    println!(
        "| in flight | setup | case files/s | × | p50 ms | × | p99 ms | × | hub CPU ms/file | database CPU ms/file | hub + database CPU ms/file | × | agents CPU ms/file | failed |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ratio = |a: f64, b: f64| {
        if b > 0.0 && a.is_finite() && b.is_finite() {
            format!("{:.2}", a / b)
        } else {
            "-".to_owned()
        }
    };
    for (level, base) in reference.rows.iter().enumerate() {
        let base_cpu = base.hub_cpu_ms + base.database.map_or(0.0, |d| d.total());
        for m in measured {
            let Some(row) = m.rows.get(level) else {
                continue;
            };
            let database = row.database.map(|d| d.total());
            let cpu = row.hub_cpu_ms + database.unwrap_or(0.0);
            println!(
                "| {} | {} | {:.0} | {} | {:.1} | {} | {:.1} | {} | {:.2} | {} | {:.2} | {} | {:.2} | {} |",
                row.run.in_flight,
                m.label,
                row.run.per_second(),
                ratio(row.run.per_second(), base.run.per_second()),
                row.run.percentile_ms(50.0),
                ratio(row.run.percentile_ms(50.0), base.run.percentile_ms(50.0)),
                row.run.percentile_ms(99.0),
                ratio(row.run.percentile_ms(99.0), base.run.percentile_ms(99.0)),
                row.hub_cpu_ms,
                database.map_or("-".to_owned(), |d| format!("{d:.2}")),
                cpu,
                ratio(cpu, base_cpu),
                row.agents_cpu_ms,
                row.run.failed,
            );
        }
    }
}

/// `items` as "a, b, c".
fn join<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(", ")
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A warm-up: load whose figures are not kept.
async fn drive_quiet<F, Fut>(in_flight: usize, d: Duration, call: F)
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    if !d.is_zero() {
        measure::drive(in_flight, Until::Elapsed(d), call).await;
    }
}

/// The soak: `total` case files at 4 in flight, RSS printed every `step`.
async fn soak<F, Fut>(
    system: &system::System,
    call: F,
    total: usize,
    step: usize,
    ticks: u64,
) -> anyhow::Result<()>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let hub_pids = system.hub_pids();
    println!();
    println!("## soak: {total} case files at 4 in flight");
    println!();
    println!(
        "| case files | seconds | case files/s | hub CPU ms/file | hub RSS MiB | largest agent RSS MiB (which) |"
    );
    println!("|---:|---:|---:|---:|---:|---|");
    let started = Instant::now();
    let mut done = 0;
    let mut failed = 0;
    while done < total {
        let cpu = CpuMeter::start(&hub_pids);
        let run = measure::drive(4, Until::Calls(step.min(total - done)), call.clone()).await;
        done += run.completed;
        failed += run.failed;
        let (slug, largest) = system
            .agents
            .iter()
            .map(|(s, c)| (s.clone(), measure::rss_mib(c.id())))
            .fold((String::new(), 0.0), |a, b| if b.1 > a.1 { b } else { a });
        println!(
            "| {done} | {:.0} | {:.0} | {:.2} | {} | {largest:.1} ({slug}) |",
            started.elapsed().as_secs_f64(),
            run.per_second(),
            cpu.used_ms(ticks) / run.completed.max(1) as f64,
            join(&hub_pids, |p| format!("{:.1}", measure::rss_mib(*p))),
        );
        if run.completed == 0 {
            bail!("the soak stopped: {}", run.first_error.unwrap_or_default());
        }
    }
    println!();
    println!("failed calls: {failed}");
    Ok(())
}

/// Kills its processes when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        // The echo agents first: they report a relay that goes away as an error.
        for child in self.0.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The bare baseline: the relay and `agents` echo agents as processes of this binary,
/// and the same load levels from one client connection.
async fn run_baseline(
    dir: &Path,
    agents: usize,
    levels: &[usize],
    warmup: Duration,
    stretch: Duration,
    ticks: u64,
) -> anyhow::Result<Vec<Row>> {
    let me = std::env::current_exe()?;
    let pki = dir.join("pki");
    let port = system::free_port()?;
    let mut processes = Processes(Vec::new());
    processes.0.push(
        Command::new(&me)
            .args(["relay", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--cert")
            .arg(pki.join("hub/hub.pem"))
            .arg("--key")
            .arg(pki.join("hub/hub.key"))
            .arg("--ca")
            .arg(pki.join("ca/root.pem"))
            .stdin(Stdio::null())
            .spawn()?,
    );
    let url = format!("https://localhost:{port}");
    let relay_pid = processes.0[0].id();
    // Wait for the relay to listen.
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the bare relay did not listen within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for i in 0..agents {
        let parties = system::parties(agents);
        let slug = parties.get(i).map_or("gemeente", |(_, s)| s.as_str());
        processes.0.push(
            Command::new(&me)
                .args(["echo", "--url", &url])
                .arg("--cert")
                .arg(pki.join(format!("parties/{slug}.pem")))
                .arg("--key")
                .arg(pki.join(format!("parties/{slug}.key")))
                .arg("--ca")
                .arg(pki.join("ca/root.pem"))
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
    }
    let tls = baseline::Tls {
        cert: pki.join("persons/p-gemeente-004.pem"),
        key: pki.join("persons/p-gemeente-004.key"),
        ca: pki.join("ca/root.pem"),
    };
    let client = AgentLinkClient::new(baseline::connect(&url, &tls).await?);
    // Every echo agent linked: a call gets the bytes of all of them.
    let started = Instant::now();
    loop {
        let answer = client
            .clone()
            .get_inclusion_proof(InclusionProofRequest::default())
            .await;
        let bytes = answer.map(|a| a.into_inner().entry.len()).unwrap_or(0);
        // Each echo agent answers with the same number of value bytes.
        if bytes > 0 && bytes % agents == 0 && bytes / agents == echo_bytes() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the bare relay's echo agents did not all link within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let call = move || {
        let mut client = client.clone();
        async move {
            let proof = client
                .get_inclusion_proof(InclusionProofRequest::default())
                .await?
                .into_inner();
            if proof.entry.is_empty() {
                bail!("the relay answered without the agents' bytes");
            }
            Ok(())
        }
    };
    let echo_pids: Vec<u32> = processes.0[1..].iter().map(Child::id).collect();
    let mut rows = Vec::new();
    for &in_flight in levels {
        drive_quiet(in_flight, warmup, call.clone()).await;
        let relay_cpu = CpuMeter::start(&[relay_pid]);
        let agents_cpu = CpuMeter::start(&echo_pids);
        let run = measure::drive(in_flight, Until::Elapsed(stretch), call.clone()).await;
        let per = run.completed.max(1) as f64;
        rows.push(Row {
            hub_cpu_ms: relay_cpu.used_ms(ticks) / per,
            agents_cpu_ms: agents_cpu.used_ms(ticks) / per,
            database: None,
            run,
        });
    }
    Ok(rows)
}

/// The value bytes one echo agent returns per call (see `baseline::echo`).
fn echo_bytes() -> usize {
    let mut n = 0;
    for record in 1..=2 {
        for name in ["datum", "soort", "samenvatting"] {
            n += format!("synthetische waarde {record} van {name}").len();
        }
    }
    n
}

/// Grows the stored data of the stopped system in `dir` (see [`grow`](mod@grow)).
async fn grow(dir: &Path, records: u64, log_entries: u64) -> anyhow::Result<()> {
    let state = dir.join("state/gemeente");
    grow::inbox(&state.join("inbox"), &state.join("inbox.key"), records)?;
    grow::log(dir, log_entries).await
}

/// The CPU model, from /proc/cpuinfo.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into())
}
