//! `hub`: run the Treiteraanpak hub, or ask a running one for its status.

#![forbid(unsafe_code)]

/// jemalloc instead of glibc's malloc: glibc's took about a tenth of the hub's CPU under
/// load, much of it its chunk bookkeeping (`malloc_consolidate`, `unlink_chunk`); its
/// settings are in `.cargo/config.toml` (BENCHMARKS.md, "Allocator and page cache").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use treiter_hub::admin;
use treiter_hub::config::HubConfig;
use treiter_hub::state::Hub;

/// The Treiteraanpak hub: checks every share between partners against the covenant.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub until SIGINT or SIGTERM.
    Serve {
        /// The hub's configuration file (TOML); see hub/etc/hub.example.toml.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Check the configuration, covenant, person registry, certificates, trust anchors
    /// and CRLs, and the keys, then exit: 0 when the hub would start. Read-only: it
    /// creates nothing, and says what `hub serve` would create on its first start.
    CheckConfig {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Create what `hub serve` creates on its first start (data directory, key store,
    /// decision-log key, the covenant version in force), print the decision log's
    /// verifier key for agents and privacy officers, and exit. Anything that exists is
    /// used, never replaced.
    Init {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Verify the decision log: recompute the Merkle tree from the stored entries,
    /// check every stored checkpoint, and name the first entry that was changed,
    /// removed or reordered. Exit 0 when it verifies, 3 when it does not. Run it on a
    /// stopped hub or a copy of its data directory.
    LogVerify {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// The decision log: `hub log verify` is `hub log-verify`.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Run one retention sweep now (article 9) on a stopped hub's data, and exit: cases
    /// past their retention are logged, their keys deleted, their records removed. A
    /// running hub sweeps by itself every `[retention] sweep_interval_seconds`.
    RetentionSweep {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Manage the master key that wraps every case key (encryption at rest, art. 12.2).
    MasterKey {
        #[command(subcommand)]
        command: MasterKeyCommand,
    },
    /// Show which partners' agents are connected to a running hub (via its admin
    /// endpoint, `admin_listen` in the configuration).
    Status {
        #[arg(long, short)]
        config: PathBuf,
        /// Print the status document as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Verify the decision log (as `hub log-verify`): recompute the Merkle tree, check
    /// every stored checkpoint, name the first entry changed, removed or reordered.
    Verify {
        #[arg(long, short)]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum MasterKeyCommand {
    /// Write a new random master key (base64, mode 0600) to FILE; never overwrites.
    /// Keep it outside the data directory and back it up apart from it. With
    /// `--config` instead: generate it inside the hardware token the configuration's
    /// `[hsm]` section names (`master_key_label`); it never leaves the token.
    Generate {
        #[arg(long, required_unless_present = "config", conflicts_with = "config")]
        out: Option<PathBuf>,
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

/// `println!` that returns the error instead of panicking: `hub status --json | head`
/// closes the pipe early, and that ends the command quietly with 0 (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)
    };
}

/// The replicas that signed the checkpoints of a verified log in PostgreSQL, one line
/// each, the signer of the latest checkpoint last: with several replicas, which one
/// signed when (a replica id is in each replica's start-up log line).
fn print_checkpoint_signers(
    database: &treiter_hub::store::postgres::Database,
) -> std::io::Result<()> {
    let signers = match treiter_hub::log::postgres::checkpoint_signers(database) {
        Ok(signers) => signers,
        // The log verified; only this summary could not be read.
        Err(error) => {
            eprintln!("hub: cannot read who signed the checkpoints: {error}");
            return Ok(());
        }
    };
    for (n, count) in signers.iter().enumerate() {
        let who = match &count.signer {
            Some(replica) => format!("replica {}", treiter_proto::text::escape_control(replica)),
            None => "no recorded replica (signed before signers were recorded)".to_owned(),
        };
        let sizes = if count.first_size == count.last_size {
            format!("size {}", count.first_size)
        } else {
            format!("sizes {} to {}", count.first_size, count.last_size)
        };
        let latest = if n + 1 == signers.len() {
            ", including the latest"
        } else {
            ""
        };
        outln!(
            "checkpoints signed by {who}: {} ({sizes}{latest})",
            count.checkpoints
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: log files and journald get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hub: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        // Output piped into `head` that stops reading is not a failure (as in hubctl).
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Each cause once, and no control character of a peer's message.
            eprintln!("hub: {}", treiter_proto::text::error_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { config } => {
            let config = HubConfig::load(&config)?;
            let hub = Hub::load(&config)?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            tracing::info!(
                listen = %config.listen,
                parties = hub.parties.len(),
                persons = hub.persons.len(),
                covenant_version = hub.covenant.version(),
                "hub serving"
            );
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            if let Some(addr) = config.admin_listen {
                let admin_listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on admin address {addr}"))?;
                let mut stop = stop_rx.clone();
                let hub = hub.clone();
                tokio::spawn(async move {
                    let shutdown = async move {
                        let _ = stop.wait_for(|s| *s).await;
                    };
                    if let Err(e) = admin::serve(hub, admin_listener, shutdown).await {
                        tracing::error!(error = %e, "admin endpoint failed");
                    }
                });
                if !addr.ip().is_loopback() {
                    tracing::warn!(admin = %addr, "the admin endpoint listens off loopback (admin_allow_non_loopback = true): /healthz, /status and /metrics have no authentication, so let only the monitoring network reach this address");
                }
                tracing::info!(admin = %addr, "admin endpoint serving /healthz, /status and /metrics");
            }
            let shutdown = async move {
                treiter_proto::signal::wait_for_signal().await;
                let _ = stop_tx.send(true);
            };
            match treiter_hub::server::serve(hub, listener, shutdown).await? {
                treiter_hub::server::Stopped::Gracefully => tracing::info!("hub stopped"),
                // Already logged, with who held connections open.
                treiter_hub::server::Stopped::GraceRanOut(_) => {
                    tracing::info!("hub stopped (the shutdown grace ran out)")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { config } => {
            let config = HubConfig::load(&config)?;
            let report = treiter_hub::check::check(&config)?;
            outln!(
                "configuration ok: covenant file version {}, {} parties, {} persons, {} trust anchor(s), master key ok",
                report.covenant_version,
                report.parties,
                report.persons,
                report.trust_anchors,
            )?;
            for line in &report.found {
                outln!("  {line}")?;
            }
            for line in &report.to_create {
                outln!("  {line}")?;
            }
            // What privacy officers put in hubctl's `log_verifier` (and agents in their
            // hub log key): public, safe to hand out.
            if let Some(verifier) = &report.log_verifier {
                outln!("decision log verifier key: {verifier}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { config } => {
            let config = HubConfig::load(&config)?;
            let hub = Hub::load(&config)?;
            outln!(
                "hub initialised: data directory {}, key store {}, decision log key {}, master key {}; covenant version {} in force",
                config.data_dir.display(),
                config.key_store_place(),
                config.log_key_location(),
                config.master_key_location(),
                hub.covenant.version()
            )?;
            outln!("decision log verifier key: {}", hub.log.verifier())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::LogVerify { config }
        | Command::Log {
            command: LogCommand::Verify { config },
        } => {
            let config = HubConfig::load(&config)?;
            let key = treiter_hub::state::load_log_key(&config)?;
            // The log is in the data database with the PostgreSQL backend (what
            // `dir` names in the messages below), else in the data directory.
            let (dir, verified, database) = match &config.store_backend {
                treiter_hub::config::StoreBackend::Postgres(settings) => {
                    let database = treiter_hub::state::connect_data_database(settings)?;
                    let place = std::path::PathBuf::from(format!(
                        "PostgreSQL (tables hub_log_* of {})",
                        database.name()
                    ));
                    let verified =
                        treiter_hub::log::postgres::verify_database(&database, &key, &[]);
                    (place, verified, Some(database))
                }
                treiter_hub::config::StoreBackend::Sled => {
                    let dir = treiter_hub::state::log_dir(&config);
                    let verified = treiter_hub::log::verify_dir(&dir, &key, &[]);
                    (dir, verified, None)
                }
            };
            match verified {
                Ok(report) => {
                    outln!(
                        "decision log ok: {} entries, {} checkpoint(s), the latest covering {} entries; root {}",
                        report.entries,
                        report.checkpoints,
                        report.covered_by_checkpoint,
                        report.root
                    )?;
                    if report.torn_tail.is_some() {
                        outln!(
                            "an unfinished last write (never acknowledged) will be set aside at the next start"
                        )?;
                    }
                    if let Some(database) = &database {
                        print_checkpoint_signers(database)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(treiter_hub::log::VerifyError::Tampered(finding)) => {
                    eprintln!(
                        "hub: the decision log in {} does NOT verify: {finding}",
                        dir.display()
                    );
                    eprintln!(
                        "hub: change or delete nothing in {}; see hub/README.md, \"When the decision log does not verify\"",
                        dir.display()
                    );
                    Ok(ExitCode::from(3))
                }
                Err(treiter_hub::log::VerifyError::Storage(error)) => {
                    eprintln!("hub: cannot verify the decision log: {error}");
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::RetentionSweep { config } => {
            let config = HubConfig::load(&config)?;
            let hub = Hub::load(&config)?;
            let report = hub.sweep_retention().await?;
            for deleted in &report.deleted {
                outln!(
                    "deleted case {} (art. {}), decision-log entry {}",
                    deleted.case,
                    deleted.article,
                    deleted.log_index
                )?;
            }
            outln!(
                "retention sweep done: {} case(s) deleted, {} record(s) removed",
                report.deleted.len(),
                report.records_deleted
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::MasterKey {
            command: MasterKeyCommand::Generate { out, config },
        } => {
            if let Some(config) = config {
                let config = HubConfig::load(&config)?;
                let location = treiter_hub::state::generate_master_key_in_token(&config)?;
                outln!(
                    "generated a new master key in the hardware token ({location}); it cannot be exported: back the token up as its vendor describes"
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let out = out.context("name the master key file with --out FILE")?;
            treiter_hub::seal::master::generate(&out)?;
            outln!(
                "wrote a new master key to {} (mode 0600); set master_key_file to it",
                out.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { config, json } => {
            let config = HubConfig::load(&config)?;
            let addr = config.admin_listen.context(
                "the configuration has no admin_listen address, so the hub serves no status",
            )?;
            let status = admin::fetch_status(addr).await?;
            if json {
                let json = serde_json::to_string_pretty(&status)?;
                outln!("{}", treiter_proto::text::escape_json(&json))?;
            } else {
                print_status(&status)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The status table. Every string in it came over the admin endpoint, and the agent's
/// version from the agent itself: each is escaped, so that none can move the cursor,
/// clear the screen or start a row of its own.
fn print_status(status: &admin::StatusDocument) -> std::io::Result<()> {
    use treiter_proto::text::escape_control as esc;
    let connected = status.agents.iter().filter(|a| a.connected).count();
    // A replica says which one it is: `hub log verify` names checkpoint signers so.
    let replica = status
        .replica
        .as_deref()
        .map(|id| format!(" · replica {}", esc(id)))
        .unwrap_or_default();
    outln!(
        "hub {}{replica} · covenant version {} · {connected} of {} partner agents connected",
        esc(&status.hub_version),
        status.covenant_version,
        status.agents.len()
    )?;
    outln!()?;
    outln!(
        "{:<22} {:<54} {:<18} {:<10} {:<8} CERTIFICATE EXPIRES",
        "OIN",
        "PARTY",
        "KIND",
        "STATE",
        "AGENT"
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for agent in &status.agents {
        let state = if agent.connected {
            "connected"
        } else {
            "offline"
        };
        let version = if agent.agent_version.is_empty() {
            "-".to_owned()
        } else {
            esc(&agent.agent_version).into_owned()
        };
        let expires = agent
            .certificate_not_after_unix
            .map(|at| expiry_text(at, now))
            .unwrap_or_else(|| "-".to_owned());
        outln!(
            "{:<22} {:<54} {:<18} {:<10} {:<8} {}",
            esc(&agent.oin),
            esc(&agent.name),
            esc(&agent.kind),
            state,
            version,
            expires
        )?;
    }
    print_witness_alerts(status)?;
    if !status.refusals.is_empty() {
        outln!()?;
        outln!("refused since start:")?;
        for (reason, count) in &status.refusals {
            outln!("  {:<36} {count}", esc(reason))?;
        }
    }
    Ok(())
}

/// The open witness alerts (article 10.2) and the witness refusals since start, after
/// the agent table. The agents' texts were escaped by the hub; escaped again here in
/// case the document came from elsewhere.
fn print_witness_alerts(status: &admin::StatusDocument) -> std::io::Result<()> {
    use treiter_translog::refusal::{MAX_DETAIL_CHARS, bound_text};
    if !status.witness_alerts.is_empty() {
        outln!()?;
        outln!(
            "WITNESS ALERTS (article 10.2): a partner's agent refused the hub's log checkpoint; run `hub log verify` and tell the privacy officers"
        )?;
        for alert in &status.witness_alerts {
            let who = if alert.name.is_empty() {
                alert.oin.clone()
            } else {
                format!("{} ({})", alert.name, alert.oin)
            };
            outln!(
                "  {}: size {} (proof from {}, holding {}): {}, {} refusal(s), last at {}: {}",
                bound_text(&who, 100),
                alert.tree_size,
                alert.from_tree_size,
                alert.held_tree_size,
                bound_text(&alert.reason, 40),
                alert.refusals,
                timestamp_text(alert.last_refused_unix),
                bound_text(&alert.detail, MAX_DETAIL_CHARS),
            )?;
        }
    }
    if !status.witness_refusals.is_empty() {
        outln!()?;
        outln!("checkpoints refused by witnesses since start:")?;
        for (reason, count) in &status.witness_refusals {
            outln!("  {:<36} {count}", bound_text(reason, 40))?;
        }
    }
    Ok(())
}

/// A moment as RFC 3339 UTC (unambiguous whatever the reader's zone).
fn timestamp_text(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// A certificate's expiry as its date in Amsterdam (the covenant's calendar), flagged
/// when it is within the 30 days in which `node-agent check-config` warns too.
fn expiry_text(not_after_unix: u64, now_unix: u64) -> String {
    let date = i64::try_from(not_after_unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map(|t| treiter_proto::calendar::date_text(treiter_proto::calendar::today(t)))
        .unwrap_or_else(|| "?".to_owned());
    if not_after_unix <= now_unix {
        format!("{date} (EXPIRED)")
    } else if not_after_unix - now_unix < 30 * 24 * 3600 {
        format!("{date} (renew: within 30 days)")
    } else {
        date
    }
}

#[cfg(test)]
mod expiry_tests {
    use super::expiry_text;

    #[test]
    fn a_certificate_expires_on_its_amsterdam_date() {
        // 2027-12-06 23:30 UTC is 7 December 00:30 in Amsterdam.
        let not_after = 1_828_135_800;
        assert_eq!(expiry_text(not_after, 0), "2027-12-07");
        assert_eq!(
            expiry_text(not_after, not_after - 3600),
            "2027-12-07 (renew: within 30 days)"
        );
        assert_eq!(expiry_text(not_after, not_after), "2027-12-07 (EXPIRED)");
    }
}
