//! `node-agent`: a partner's link to the Treiteraanpak hub.

#![forbid(unsafe_code)]

/// jemalloc instead of glibc's malloc, as in the hub: the agents' CPU per case file
/// under load is 0.81-0.95 of what it was with glibc's, at 1-3 MiB more RSS each; its
/// settings are in `.cargo/config.toml` (BENCHMARKS.md, "Allocator and page cache").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// `println!` that returns the error instead of panicking: output piped into `head`
/// that stops reading ends the command quietly with 0 (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)
    };
}

mod inbox_cmd;

use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use treiter_node_agent::answer::Answerer;
use treiter_node_agent::config::{AgentConfig, LogFormat};
use treiter_node_agent::health;
use treiter_node_agent::inbox::Inbox;
use treiter_node_agent::link::{AGENT_VERSION, Agent};
use treiter_node_agent::receipts::ReceiptLog;
use treiter_node_agent::tls;
use treiter_pseudonym::{Identity, PseudonymKey};

/// The node agent: dials out to the Treiteraanpak hub over mutual TLS, keeps the link
/// open, answers the hub's questions, and reconnects by itself.
#[derive(Parser)]
#[command(version, about, long_about = None)]
// `node-agent --config FILE` runs the agent; a subcommand does something else instead.
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct Cli {
    /// The agent's configuration file (TOML); see node-agent/etc/node-agent.example.toml.
    #[arg(long, short, required = true)]
    config: Option<PathBuf>,
    /// The same as the `check-config` command (kept for existing scripts).
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check the configuration, certificates (expiry within 30 days is a warning),
    /// trust anchors, covenant, pseudonym key and every source (databases opened,
    /// queries prepared, indexes built), print what the agent would share per
    /// category, and exit: 0 when the agent would start, 1 otherwise. Does not contact
    /// the hub.
    CheckConfig {
        /// The agent's configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Test whether the hub accepts this agent: the real mutual-TLS handshake with
    /// the configured certificate and trust anchors, and one authenticated call. Does
    /// not open the agent link, so a running agent keeps its link. Says what the hub
    /// said, in words. Exit codes: 0 accepted; 1 the configuration cannot be used;
    /// 3 cannot reach the hub; 4 the hub's certificate is not trusted by
    /// `trust_anchors` (or not issued for the name in `hub_url`); 5 the hub refused
    /// this agent (its certificate or its OIN); 6 the hub answered unexpectedly.
    TestConnection {
        /// The agent's configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Print the keyed pseudonym (article 8.4) of a person, to key the partner's
    /// exports with. The normalisation is documented in treiter_pseudonym.
    ///
    /// With --name, --birth-date, --postcode and --house-number: one person. With
    /// --stdin: one person per line of standard input, the four values separated by
    /// tabs, one pseudonym per output line (values on a command line end up in shell
    /// history and process lists; prefer --stdin for real data).
    Pseudonym(PseudonymArgs),
    /// Read or maintain the inbox of case data the hub delivered.
    #[command(subcommand)]
    Inbox(inbox_cmd::InboxCommand),
    /// Fetch the inclusion proof of one decision-log entry about a share this party
    /// provided or received (article 10.3), verify it against the checkpoint this
    /// agent witnessed (`[witness] state`), and print the entry's kind, case, category
    /// and field names. Exit 0 when it verifies, 1 otherwise.
    LogProof {
        /// The agent's configuration file (needs a `[witness]` section).
        #[arg(long, short)]
        config: PathBuf,
        /// The entry's leaf index in the log.
        #[arg(long)]
        leaf: u64,
    },
}

#[derive(Args)]
struct PseudonymArgs {
    /// The covenant-wide pseudonym key: a file of hexadecimal, mode 600.
    #[arg(long)]
    key: PathBuf,
    /// Given names and family name, e.g. "José van der Berg-Smit".
    #[arg(long, required_unless_present = "stdin", conflicts_with = "stdin")]
    name: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, required_unless_present = "stdin", conflicts_with = "stdin")]
    birth_date: Option<String>,
    /// Dutch postcode, e.g. "1234 AB".
    #[arg(long, required_unless_present = "stdin", conflicts_with = "stdin")]
    postcode: Option<String>,
    /// House number with optional addition, e.g. "12-a".
    #[arg(long, required_unless_present = "stdin", conflicts_with = "stdin")]
    house_number: Option<String>,
    /// Read tab-separated lines (name, birth date, postcode, house number) from
    /// standard input.
    #[arg(long)]
    stdin: bool,
}

/// What `main` was asked to do, after parsing the command line.
enum Mode {
    Run(PathBuf),
    Check(PathBuf),
    Pseudonym(PseudonymArgs),
    Inbox(inbox_cmd::InboxCommand),
    LogProof(PathBuf, u64),
    TestConnection(PathBuf),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = match (cli.command, cli.config) {
        (Some(Command::Pseudonym(args)), _) => Mode::Pseudonym(args),
        (Some(Command::Inbox(command)), _) => Mode::Inbox(command),
        (Some(Command::CheckConfig { config }), _) => Mode::Check(config),
        (Some(Command::LogProof { config, leaf }), _) => Mode::LogProof(config, leaf),
        (Some(Command::TestConnection { config }), _) => Mode::TestConnection(config),
        (None, Some(config)) if cli.check_config => Mode::Check(config),
        (None, Some(config)) => Mode::Run(config),
        (None, None) => {
            eprintln!("node-agent: --config is required");
            return ExitCode::FAILURE;
        }
    };
    if let Mode::TestConnection(path) = &mode {
        init_logging(LogFormat::Text, "warn");
        return test_connection(path);
    }
    let result = match mode {
        Mode::Pseudonym(args) => {
            init_logging(LogFormat::Text, "warn");
            pseudonym(&args)
        }
        Mode::Check(path) => {
            // The checks' own findings go to standard output; only problems are logged.
            init_logging(LogFormat::Text, "warn");
            check_config(&path)
        }
        Mode::Inbox(command) => {
            init_logging(LogFormat::Text, "warn");
            inbox_cmd::run(&command)
        }
        Mode::Run(path) => run(&path),
        Mode::LogProof(path, leaf) => {
            init_logging(LogFormat::Text, "warn");
            log_proof(&path, leaf)
        }
        // Handled above: it has exit codes of its own.
        Mode::TestConnection(_) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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
            // Each cause once, and no control character of the hub's message.
            eprintln!(
                "node-agent: {}",
                treiter_proto::text::error_chain(e.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}

/// `node-agent test-connection` (see [`treiter_node_agent::connection_test`]): the
/// verdict on standard output when the hub was asked, on standard error otherwise.
fn test_connection(config_path: &Path) -> ExitCode {
    use treiter_node_agent::connection_test::{self, Verdict};
    let config = match AgentConfig::load(config_path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("node-agent: {}", treiter_proto::text::error_chain(&e));
            return ExitCode::from(connection_test::EXIT_CONFIGURATION);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("node-agent: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let verdict = runtime.block_on(connection_test::test_connection(&config));
    let text = verdict.describe(&config);
    // A closed standard output (e.g. `| head`) is no reason to change the exit code.
    let _ = match &verdict {
        Verdict::Accepted(_) => writeln!(std::io::stdout().lock(), "{text}"),
        Verdict::Failed(_) => writeln!(std::io::stderr().lock(), "node-agent: {text}"),
    };
    ExitCode::from(verdict.exit_code())
}

/// Logs to standard error, as text or JSON lines; `RUST_LOG` overrides the level.
fn init_logging(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .init(),
        // Colours only on a terminal: log files and journald get plain text.
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

/// `node-agent log-proof`: fetches and verifies one entry's inclusion proof against
/// the witnessed checkpoint.
fn log_proof(config_path: &Path, leaf: u64) -> anyhow::Result<()> {
    use treiter_translog::{Hash, hash::leaf_hash, verify_inclusion};
    let config = AgentConfig::load(config_path)?;
    let witness = treiter_node_agent::witness::open(&config)?.with_context(|| {
        format!(
            "{} has no [witness] section: without a witnessed checkpoint a proof proves nothing",
            config_path.display()
        )
    })?;
    let held = witness.held().context(
        "this agent has not witnessed a checkpoint yet (witness.state is absent); run the agent first",
    )?;
    let head = held.checkpoint().clone();
    let runtime = tokio::runtime::Runtime::new()?;
    let proof = runtime.block_on(async {
        let tls = Arc::new(tls::client_config(&config)?);
        let (channel, _) = tls::channel(&config.hub, tls, config.link.connect_timeout)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the hub at {}: {e}", config.hub.url))?;
        let mut client = treiter_proto::v1::agent_link_client::AgentLinkClient::new(channel);
        let proof = client
            .get_inclusion_proof(treiter_proto::v1::InclusionProofRequest {
                leaf_index: leaf,
                tree_size: head.size,
            })
            .await
            .map_err(|s| anyhow::anyhow!("the hub refused the proof: {}", s.message()))?;
        Ok::<_, anyhow::Error>(proof.into_inner())
    })?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| Hash::from_slice(h).context("the proof holds a hash that is not 32 bytes"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let entry: serde_json::Value = serde_json::from_slice(&proof.entry)
        .context("the hub's entry is not the canonical JSON of a log entry")?;
    let event = &entry["event"];
    // The entry's words come from the hub (and its field names from a partner):
    // escaped, so that none can act on the terminal.
    let esc = treiter_proto::text::escape_control;
    let text = |v: &serde_json::Value| esc(v.as_str().unwrap_or("-")).into_owned();
    let names = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str())
                    .map(|n| esc(n).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    outln!(
        "entry {leaf} of {} (checkpoint witnessed by this agent)",
        head.size
    )?;
    outln!("  kind:     {}", text(&event["kind"]))?;
    outln!("  case:     {}", text(&event["case"]))?;
    outln!("  category: {}", text(&event["category"]))?;
    outln!("  fields:   {}", names(&event["fields_offered"]))?;
    outln!("  stripped: {}", names(&event["fields_stripped"]))?;
    verify_inclusion(
        &leaf_hash(&proof.entry),
        leaf,
        head.size,
        &hashes,
        &head.root,
    )
    .map_err(|e| anyhow::anyhow!("NOT verified: {e}"))?;
    outln!("verified: the entry is in the log under the witnessed checkpoint")?;
    Ok(())
}

/// Runs the agent until SIGTERM or Ctrl-C.
fn run(config_path: &Path) -> anyhow::Result<()> {
    let config = AgentConfig::load(config_path)?;
    init_logging(config.log_format, "info");
    let own = tls::own_certificate(&config.cert)?;
    if own.seconds_left < 0 {
        // The agent keeps running: the operator can replace the files, and the agent
        // picks the renewed certificate up (link.certificate_check_seconds).
        tracing::error!(
            cert = %config.cert.display(),
            oin = %own.oin,
            not_after = %own.not_after,
            "this agent's certificate (setting `cert`) has expired: the hub will refuse it; replace the certificate and key files"
        );
    } else if own.seconds_left < 30 * 24 * 3600 {
        tracing::warn!(cert = %config.cert.display(), oin = %own.oin, not_after = %own.not_after, "this agent's certificate expires within 30 days");
    }
    let agent = Arc::new(Agent::new(config.clone())?);
    let answerer = agent.answerer();
    for category in answerer.categories_without_data() {
        tracing::warn!(%category, "the source has no data for this served category; it yields nothing");
    }
    tracing::info!(
        version = AGENT_VERSION,
        oin = %own.oin,
        hub = %config.hub.url,
        covenant_version = answerer.covenant_version(),
        source = answerer.source_description().unwrap_or_else(|| "none".into()),
        categories = %categories(answerer.categories()),
        "node agent starting"
    );
    // One thread runs the link, the TLS connection and the answers' async parts; the
    // blocking work (sources, fsyncs) runs on the blocking pool as before. The agent
    // does little CPU work per message, so worker threads only added wake-ups handing
    // each message from thread to thread (issue 20).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let health = match config.health_listen {
            None => None,
            Some(addr) => {
                let listener = health::bind(addr).await?;
                if !addr.ip().is_loopback() {
                    tracing::warn!(%addr, "/healthz and /metrics listen off loopback (health.allow_non_loopback = true): they have no authentication, so let only the monitoring network reach this address");
                }
                tracing::info!(%addr, "serving /healthz and /metrics");
                let state = health::HealthState {
                    status: agent.status(),
                    metrics: agent.metrics().clone(),
                };
                let mut stopped = stopped.clone();
                Some(tokio::spawn(health::serve_with_timeout(
                    listener,
                    state,
                    config.health_request_timeout,
                    async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    },
                )))
            }
        };
        let signal = async {
            treiter_proto::signal::wait_for_signal().await;
            tracing::info!("stop signal received; closing the link");
        };
        if let (Some(inbox), Some(settings)) = (agent.answerer().inbox(), &config.inbox) {
            let (inbox, every) = (inbox.clone(), settings.sweep_interval);
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(every);
                loop {
                    tokio::select! {
                        _ = ticker.tick() => {}
                        _ = stopped.wait_for(|s| *s) => return,
                    }
                    let inbox = inbox.clone();
                    let now = treiter_node_agent::inbox::now();
                    match tokio::task::spawn_blocking(move || inbox.sweep(now)).await {
                        Ok(Ok(report)) if !report.deleted.is_empty() => {
                            tracing::info!(deleted = report.deleted.len(), "inbox: deleted shares whose retention ended (article 9)");
                        }
                        Ok(Ok(_)) => {}
                        Ok(Err(error)) => tracing::error!(%error, "inbox sweep failed; retried at the next interval"),
                        Err(error) => tracing::error!(%error, "inbox sweep interrupted"),
                    }
                }
            });
        }
        // Graceful: the link loop returns at the signal; answers being computed are
        // not sent, and the hub delivers their questions again at the next start.
        agent.run(signal).await;
        stop.send_replace(true);
        if let Some(health) = health {
            let _ = health.await;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}

/// `node-agent check-config`: everything the agent checks at start, without the hub,
/// and what it would share. Read-only: the inbox, the witness key and the receipt log
/// are checked when they exist and reported when the first start would create them.
fn check_config(config_path: &Path) -> anyhow::Result<()> {
    let config = AgentConfig::load(config_path)?;
    let own = tls::own_certificate(&config.cert)?;
    if own.seconds_left < 0 {
        anyhow::bail!(
            "the certificate {} (setting `cert`) expired on {}: the hub will refuse it; install the renewed certificate and key",
            config.cert.display(),
            own.not_after
        );
    }
    // The trust anchors and the chain, as the hub will judge them; then the TLS
    // identity, as the link would load it.
    tls::check_chain(&config)?;
    tls::client_config(&config)?;
    // The answerer without what it would create on disk; those are checked below.
    let answerer = Answerer::from_config(&AgentConfig {
        receipts: None,
        inbox: None,
        witness: None,
        ..config.clone()
    })?;
    tls::check_party(&config, &own.oin, &answerer.covenant())?;
    let inbox = match &config.inbox {
        Some(settings) => Some(Inbox::check(&settings.dir, &settings.key_file)?),
        None => None,
    };
    let witness = treiter_node_agent::witness::check(&config)?;
    let receipts = match &config.receipts {
        Some(path) => Some(ReceiptLog::check(path)?),
        None => None,
    };
    let first_start = "created on the first start";
    let mut warnings = Vec::new();
    let days_left = own.seconds_left / 86_400;
    if own.seconds_left < 30 * 86_400 {
        warnings.push(format!(
            "the certificate {} (setting `cert`) expires in {days_left} days ({}): request its renewal",
            config.cert.display(),
            own.not_after
        ));
    }
    outln!("configuration ok: {}", config_path.display())?;
    outln!("  hub:          {}", config.hub.url)?;
    outln!("  party (OIN):  {}", own.oin)?;
    outln!(
        "  certificate:  valid {} .. {} ({days_left} days left)",
        own.not_before,
        own.not_after
    )?;
    outln!("  trust anchors: {}", config.trust_anchors.len())?;
    for anchor in &config.trust_anchors {
        outln!("                 {}", anchor.display())?;
    }
    outln!(
        "  backoff:      {:?} .. {:?}",
        config.link.initial_backoff,
        config.link.max_backoff
    )?;
    outln!(
        "  renewal:      {}",
        match config.link.certificate_check {
            Some(every) => format!("certificate and key files checked every {every:?}"),
            None =>
                "not watched (link.certificate_check_seconds = 0): restart after renewal".into(),
        }
    )?;
    outln!(
        "  covenant:     version {} ({})",
        answerer.covenant_version(),
        config.covenant.display()
    )?;
    if let Some(key) = &config.pseudonym_key {
        outln!("  pseudonym key: {} (loaded)", key.display())?;
    }
    outln!(
        "  receipts:     {}",
        match (&config.receipts, receipts) {
            (Some(path), Some(true)) => path.display().to_string(),
            (Some(path), _) => format!("{} ({first_start})", path.display()),
            (None, _) => "none (set `receipts` to keep a receipt log, article 10.3)".into(),
        }
    )?;
    outln!(
        "  inbox:        {}",
        match (&config.inbox, inbox) {
            (Some(settings), Some(found)) => format!(
                "{} (key {}; {}; swept every {:?})",
                settings.dir.display(),
                settings.key_file.display(),
                match (found.key_exists, found.shares) {
                    (true, Some(n)) => format!("mode 600 checked; {n} share(s)"),
                    (true, None) => format!("mode 600 checked; inbox {first_start}"),
                    (false, _) => format!("key and inbox {first_start}"),
                },
                settings.sweep_interval
            ),
            _ => "none: case data the hub delivers is not accepted".into(),
        }
    )?;
    outln!(
        "  witness:      {}",
        match (&config.witness, witness) {
            (Some(w), Some(found)) => format!(
                "witnesses the hub's log checkpoints (article 10.2); key {}{}, holds {}{}",
                w.key_file.display(),
                if found.key_exists {
                    String::new()
                } else {
                    format!(" ({first_start})")
                },
                w.state.display(),
                match found.held_size {
                    Some(size) => format!(" (a checkpoint of {size} entries)"),
                    None => " (none witnessed yet)".into(),
                }
            ),
            _ => "off: this agent does not witness the hub's log (add a [witness] section)".into(),
        }
    )?;
    outln!(
        "  health:       {}",
        config.health_listen.map_or("off".into(), |a| if a.ip().is_loopback() {
            format!("http://{a}/healthz and http://{a}/metrics")
        } else {
            format!(
                "http://{a}/healthz and http://{a}/metrics, OFF LOOPBACK (health.allow_non_loopback = true): no authentication, so only the monitoring network may reach it"
            )
        })
    )?;
    outln!(
        "  source:       {}",
        answerer
            .source_description()
            .unwrap_or_else(|| "none: every question is answered source-unavailable".into())
    )?;
    outln!("  categories:   {}", categories(answerer.categories()))?;
    let covenant = answerer.covenant();
    // Listed: `check_party` refused the configuration otherwise.
    let kind = covenant.party(&own.oin).map(|p| p.kind);
    outln!()?;
    outln!("what this agent would share, per category (the covenant decides each record again):")?;
    for (category, plan, listed) in answerer.plans() {
        outln!("  {category}")?;
        let Some(plan) = plan else {
            outln!("    source:     none: yields nothing")?;
            warnings.push(format!(
                "{category} is served but no source has data for it"
            ));
            continue;
        };
        outln!("    source:     {}", plan.source)?;
        if let Some(n) = plan.subjects {
            outln!(
                "    index:      {n} subjects{}",
                if plan.skipped > 0 {
                    format!(
                        " ({} rows left out: identity not normalisable)",
                        plan.skipped
                    )
                } else {
                    String::new()
                }
            )?;
        }
        if plan.fields.is_empty() {
            outln!(
                "    sends:      the fields named in the export files, where the covenant lists them"
            )?;
        } else {
            let sends: Vec<String> = plan
                .fields
                .iter()
                .map(|(column, field)| {
                    if column == field {
                        field.clone()
                    } else {
                        format!("{field} (column {column})")
                    }
                })
                .collect();
            outln!("    sends:      {}", sends.join(", "))?;
            let missing: Vec<&String> = listed
                .iter()
                .filter(|f| !plan.fields.iter().any(|(_, mapped)| mapped == *f))
                .collect();
            if !missing.is_empty() {
                outln!(
                    "    not mapped: {} (the covenant lists them; this source does not provide them)",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
        }
        if !plan.never_sent.is_empty() {
            outln!(
                "    never sent: {} (columns of the query that are not mapped)",
                plan.never_sent.join(", ")
            )?;
        }
        if let Some(kind) = kind
            && !answerer.may_provide(kind, category)
        {
            warnings.push(format!(
                "a party of kind {kind} may not provide {category} (article 8.2): the pre-check refuses every record"
            ));
        }
    }
    for category in answerer.categories_without_data() {
        warnings.push(format!(
            "{category} is listed in `categories` but the source has no data for it: it yields nothing"
        ));
    }
    if !warnings.is_empty() {
        outln!()?;
        for w in &warnings {
            outln!("warning: {w}")?;
        }
    }
    Ok(())
}

fn categories(list: &[treiter_policies::Category]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `node-agent pseudonym`: prints pseudonyms; errors name the component (and the line
/// with --stdin), never a value (article 12.3).
fn pseudonym(args: &PseudonymArgs) -> anyhow::Result<()> {
    let key = PseudonymKey::load(&args.key)?;
    if !args.stdin {
        let (Some(name), Some(birth_date), Some(postcode), Some(house_number)) = (
            &args.name,
            &args.birth_date,
            &args.postcode,
            &args.house_number,
        ) else {
            anyhow::bail!("give --name, --birth-date, --postcode and --house-number, or --stdin");
        };
        let p = key.pseudonym(&Identity {
            name,
            birth_date,
            postcode,
            house_number,
        })?;
        outln!("{p}")?;
        return Ok(());
    }
    let mut failed = 0usize;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("cannot read line {n} of standard input"))?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        let parts: Vec<&str> = line.split('\t').collect();
        let result = match parts.as_slice() {
            [name, birth_date, postcode, house_number] => key
                .pseudonym(&Identity {
                    name,
                    birth_date,
                    postcode,
                    house_number,
                })
                .map_err(|e| e.to_string()),
            _ => Err(format!(
                "expected 4 tab-separated values (name, birth date, postcode, house number), found {}",
                parts.len()
            )),
        };
        match result {
            Ok(p) => outln!("{p}")?,
            Err(e) => {
                // An empty output line keeps output lines aligned with input lines.
                outln!()?;
                eprintln!("node-agent: line {n}: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} line(s) could not be pseudonymised");
    }
    Ok(())
}
