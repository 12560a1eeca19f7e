//! `node-agent`: a partner's link to the Treiteraanpak hub.

#![forbid(unsafe_code)]

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::{AGENT_VERSION, Agent};
use treiter_node_agent::tls;
use treiter_proto::pseudonym::{Identity, PseudonymKey};

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
    /// Check the configuration, certificates, covenant and source, print what the agent
    /// would use, and exit (0 when the agent would start) without contacting the hub.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the keyed pseudonym (article 8.4) of a person, to key the partner's
    /// exports with. The normalisation is documented in treiter_proto::pseudonym.
    ///
    /// With --name, --birth-date, --postcode and --house-number: one person. With
    /// --stdin: one person per line of standard input, the four values separated by
    /// tabs, one pseudonym per output line (values on a command line end up in shell
    /// history and process lists; prefer --stdin for real data).
    Pseudonym(PseudonymArgs),
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
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("node-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Pseudonym(args)) = cli.command {
        return pseudonym(&args);
    }
    let Some(config_path) = cli.config else {
        anyhow::bail!("--config is required");
    };
    let config = AgentConfig::load(&config_path)?;
    let own = tls::own_certificate(&config.cert)?;
    if own.seconds_left < 0 {
        tracing::error!(
            oin = %own.oin,
            not_after = %own.not_after,
            "this agent's certificate has expired: the hub will refuse it; renew it"
        );
    } else if own.seconds_left < 30 * 24 * 3600 {
        tracing::warn!(oin = %own.oin, not_after = %own.not_after, "this agent's certificate expires within 30 days");
    }
    let agent = Agent::new(config.clone())?;
    if cli.check_config {
        println!("configuration ok");
        println!("  hub:          {}", config.hub.url);
        println!("  party (OIN):  {}", own.oin);
        println!(
            "  certificate:  valid {} .. {}",
            own.not_before, own.not_after
        );
        println!("  trust anchors: {}", config.trust_anchors.len());
        println!(
            "  backoff:      {:?} .. {:?}",
            config.link.initial_backoff, config.link.max_backoff
        );
        let answerer = agent.answerer();
        println!(
            "  covenant:     version {} ({})",
            answerer.covenant_version(),
            config.covenant.display()
        );
        println!(
            "  source:       {}",
            answerer
                .source_description()
                .unwrap_or_else(|| "none: every question is answered source-unavailable".into())
        );
        println!("  categories:   {}", categories(answerer.categories()));
        let empty = answerer.categories_without_data();
        if !empty.is_empty() {
            println!(
                "  warning:      no folder in the source for {}: they yield nothing",
                categories(&empty)
            );
        }
        return Ok(());
    }
    let answerer = agent.answerer();
    for category in answerer.categories_without_data() {
        tracing::warn!(%category, "the source has no folder for this served category; it yields nothing");
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
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(agent.run(wait_for_signal()));
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
        println!("{p}");
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
            Ok(p) => println!("{p}"),
            Err(e) => {
                // An empty output line keeps output lines aligned with input lines.
                println!();
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

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
