//! `node-agent`: a partner's link to the Treiteraanpak hub.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::{AGENT_VERSION, Agent};
use treiter_node_agent::tls;

/// The node agent: dials out to the Treiteraanpak hub over mutual TLS, keeps the link
/// open, answers the hub's questions, and reconnects by itself.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The agent's configuration file (TOML); see node-agent/etc/node-agent.example.toml.
    #[arg(long, short)]
    config: PathBuf,
    /// Check the configuration and certificates, print what the agent would use, and
    /// exit (0 when the agent would start) without contacting the hub.
    #[arg(long)]
    check_config: bool,
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
    let config = AgentConfig::load(&cli.config)?;
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
        return Ok(());
    }
    tracing::info!(version = AGENT_VERSION, oin = %own.oin, hub = %config.hub.url, "node agent starting");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(agent.run(wait_for_signal()));
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
