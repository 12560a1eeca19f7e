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
//!
//! The machine is shared: compare figures of one run with each other (ratios), not
//! with another run's.
#![forbid(unsafe_code)]

mod baseline;
mod grow;
mod measure;
mod system;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
        None => runtime.block_on(bench(cli)),
    }
}

/// One row of the table.
struct Row {
    run: Run,
    hub_cpu_ms: f64,
    agents_cpu_ms: f64,
}

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
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // The system under test first: prepared, optionally grown, started.
    let hub_port = system::free_port()?;
    let prepare = Instant::now();
    system::prepare(&root, &bin, &dir, hub_port, cli.agents)?;
    println!(
        "prepared {} in {:.1} s",
        dir.display(),
        prepare.elapsed().as_secs_f64()
    );
    let mut system = system::System::start(&bin, &dir, hub_port, None, cli.agents)?;
    println!(
        "hub and {} agents linked; case {} in aanpak",
        system.agents.len(),
        system.case_id
    );
    let mut grown = None;
    if cli.pre_grown {
        // One real case file first: the log's share decisions are copied from it.
        let url = format!("https://localhost:{hub_port}");
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
        grow(&dir, cli.grow_records, cli.grow_log).await?;
        grown = Some(t.elapsed());
        system = system::System::start(&bin, &dir, hub_port, Some(case_id), cli.agents)?;
    }
    if let Some(t) = grown {
        println!(
            "pre-grown: {} records delivered into the gemeente's inbox, {} decision log entries ({:.0} s)",
            cli.grow_records,
            cli.grow_log,
            t.as_secs_f64()
        );
    }

    let url = format!("https://localhost:{hub_port}");
    let channel = baseline::connect(&url, &system.requester_tls()).await?;
    let client = CoordinatorClient::new(channel);
    let case_id = system.case_id.clone();
    let call = move || {
        let mut client = client.clone();
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
    // One case file first: the system works before anything is measured.
    call().await.context("the first case file")?;

    if let Some(total) = cli.soak {
        let every = cli.soak_every.unwrap_or(total / 10).max(1);
        return soak(&system, call, total, every, ticks).await;
    }

    let hub_pid = system.hub_pid();
    let agent_pids = system.agent_pids();
    let mut rows = Vec::new();
    for &in_flight in &cli.in_flight {
        drive_quiet(in_flight, warmup, call.clone()).await;
        let hub_cpu = CpuMeter::start(&[hub_pid]);
        let agents_cpu = CpuMeter::start(&agent_pids);
        let run = measure::drive(in_flight, Until::Elapsed(stretch), call.clone()).await;
        let per = run.completed.max(1) as f64;
        rows.push(Row {
            hub_cpu_ms: hub_cpu.used_ms(ticks) / per,
            agents_cpu_ms: agents_cpu.used_ms(ticks) / per,
            run,
        });
    }
    let hub_rss = measure::rss_mib(hub_pid);
    let agents_rss: Vec<(String, f64)> = system
        .agents
        .iter()
        .map(|(slug, child)| (slug.clone(), measure::rss_mib(child.id())))
        .collect();
    drop(system);

    let baseline_rows = if cli.no_baseline {
        Vec::new()
    } else {
        run_baseline(&dir, cli.agents, &cli.in_flight, warmup, stretch, ticks).await?
    };

    println!();
    println!(
        "## hub + {} agents (demo case, purpose aanpak){}",
        cli.agents,
        if cli.pre_grown {
            ", pre-grown"
        } else {
            ", fresh"
        }
    );
    println!();
    println!(
        "| in flight | case files/s | p50 ms | p95 ms | p99 ms | hub CPU ms/file | agents CPU ms/file | failed | bare relay/s | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let bare = baseline_rows
            .iter()
            .find(|b: &&Row| b.run.in_flight == row.run.in_flight)
            .map(|b| b.run.per_second());
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {} | {} |",
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
    println!();
    println!(
        "RSS after the load: hub {:.1} MiB; agents {}",
        hub_rss,
        agents_rss
            .iter()
            .map(|(s, r)| format!("{s} {r:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
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
    if rows.iter().any(|r| r.run.completed == 0) {
        bail!("a load level completed no case file");
    }
    Ok(())
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
    let hub_pid = system.hub_pid();
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
        let cpu = CpuMeter::start(&[hub_pid]);
        let run = measure::drive(4, Until::Calls(step.min(total - done)), call.clone()).await;
        done += run.completed;
        failed += run.failed;
        let (slug, largest) = system
            .agents
            .iter()
            .map(|(s, c)| (s.clone(), measure::rss_mib(c.id())))
            .fold((String::new(), 0.0), |a, b| if b.1 > a.1 { b } else { a });
        println!(
            "| {done} | {:.0} | {:.0} | {:.2} | {:.1} | {largest:.1} ({slug}) |",
            started.elapsed().as_secs_f64(),
            run.per_second(),
            cpu.used_ms(ticks) / run.completed.max(1) as f64,
            measure::rss_mib(hub_pid),
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

/// Grows the stored data of the stopped system in `dir` (see [`grow`]).
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
