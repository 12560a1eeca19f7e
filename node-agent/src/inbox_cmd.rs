//! `node-agent inbox list|export|sweep`: reading and maintaining the inbox of
//! delivered case data from the command line, while the agent runs or not. Opening an
//! inbox of the format before (one file per share) migrates it into one file per
//! delivery, as the agent's start does ([`treiter_node_agent::inbox`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::inbox::Inbox;
use treiter_node_agent::receipts::ReceiptLog;
use treiter_proto::text::escape_json;

#[derive(Subcommand)]
pub enum InboxCommand {
    /// List the received shares: id, case, source party, category, purpose, field
    /// names and delete moment; never values.
    List {
        /// The agent's configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Print the shares of one case with their values, as JSON, for the purpose they
    /// were received for. Any other purpose is refused (article 3.2).
    Export {
        /// The agent's configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// The hub's case id.
        #[arg(long)]
        case: String,
        /// The purpose the data is used for: registratie, duiding or aanpak.
        #[arg(long)]
        purpose: String,
    },
    /// Delete the shares whose retention ended, as the running agent does
    /// periodically, and write their receipts.
    Sweep {
        /// The agent's configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// The moment to sweep at (RFC 3339); default: now.
        #[arg(long)]
        at: Option<String>,
    },
}

pub fn run(command: &InboxCommand) -> anyhow::Result<()> {
    match command {
        InboxCommand::List { config } => {
            let inbox = open(config)?;
            let list = inbox.list()?;
            outln!("{}", escape_json(&serde_json::to_string_pretty(&list)?))?;
        }
        InboxCommand::Export {
            config,
            case,
            purpose,
        } => {
            let inbox = open(config)?;
            let shares = inbox.export(case, purpose)?;
            outln!("{}", escape_json(&serde_json::to_string_pretty(&shares)?))?;
        }
        InboxCommand::Sweep { config, at } => {
            let inbox = open(config)?;
            let now = match at {
                None => OffsetDateTime::now_utc(),
                Some(text) => OffsetDateTime::parse(text, &Rfc3339)
                    .with_context(|| format!("--at {text:?} is not an RFC 3339 moment"))?,
            };
            let report = inbox.sweep(now)?;
            outln!(
                "deleted {} share(s); {} unreadable file(s) left in place",
                report.deleted.len(),
                report.unreadable
            )?;
        }
    }
    Ok(())
}

/// The inbox the configuration names, with its receipt log.
fn open(config_path: &Path) -> anyhow::Result<Inbox> {
    let config = AgentConfig::load(config_path)?;
    let settings = config.inbox.as_ref().with_context(|| {
        format!(
            "{} has no [inbox] table: this agent keeps no delivered case data",
            config_path.display()
        )
    })?;
    let mut inbox = Inbox::open(&settings.dir, &settings.key_file)?;
    if let Some(path) = &config.receipts {
        inbox = inbox.with_receipts(std::sync::Arc::new(ReceiptLog::open(path)?));
    }
    Ok(inbox)
}
