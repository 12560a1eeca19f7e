//! The command line of the privacy officers' commands (`log`, `inzage`,
//! `notifications`), one per RPC of `proto/treiter/hub/v1/privacy_officer.proto`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

/// The kinds of log entry.
pub const LOG_KINDS: [&str; 4] = [
    "share-decision",
    "case-change",
    "retention-deletion",
    "covenant-approval",
];
/// The outcomes of a share decision.
pub const OUTCOMES: [&str; 3] = ["permit", "deny", "reject"];
/// Every purpose of article 3.1.
pub const ALL_PURPOSES: [&str; 4] = ["registratie", "duiding", "aanpak", "evaluatie"];
/// The notification kinds.
pub const NOTIFICATION_KINDS: [&str; 3] = ["reject", "emergency-review", "covenant-proposal"];
/// The verdicts of an emergency review (art. 15.2).
pub const VERDICTS: [&str; 2] = ["justified", "not-justified"];

/// `hubctl log ...`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// The decision-log entries your party may see (art. 10.3): the shares it provided
    /// or received, and its case changes; as a table, JSON lines or CSV.
    #[command(
        after_help = "Examples:\n  hubctl log entries --case C-2026-0001\n  hubctl log entries --outcome reject --direction provided --format csv > rejected.csv\n  hubctl log entries --from 2026-11-01 --until now --format jsonl --include-entry"
    )]
    Entries(Box<LogEntriesArgs>),
    /// Check the log is tamper-evident for your party (art. 10.2): the hub's latest
    /// checkpoint signature (with `log_verifier` from the profile), an inclusion proof
    /// for each of your entries, and a consistency proof from the checkpoint this
    /// profile verified last.
    Verify,
    /// Your party's entries about a data subject as Logboek Dataverwerkingen records
    /// (Logius, draft), one JSON object per line, to feed your own Logboek; the mapping
    /// is docs/LOGBOEK.md.
    #[command(
        after_help = "Examples:\n  hubctl log logboek --subject 5a5a...5a > betrokkene.jsonl\n  hubctl log logboek --from 2026-11-01 --until 2026-12-01 > november.jsonl\n  hubctl log logboek --case C-2026-0001 --activity-prefix https://register.example.nl/verwerkingsactiviteiten/"
    )]
    Logboek(LogboekArgs),
}

/// `log logboek`.
#[derive(Debug, Args)]
pub struct LogboekArgs {
    /// Only entries about this subject: its pseudonym (64 hex characters).
    #[arg(long, value_name = "HEX")]
    pub subject: Option<String>,
    /// Only entries logged at or after TIME (e.g. "2026-11-01", "now-7d").
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only entries logged at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only entries about this case.
    #[arg(long)]
    pub case: Option<String>,
    /// The start of every `dpl.core.processing_activity_id`, to which the activity
    /// (the purpose, or `casusbeheer`) is appended: your Register van
    /// Verwerkingsactiviteiten.
    #[arg(long, value_name = "URI", default_value = crate::logboek::DEFAULT_ACTIVITY_PREFIX)]
    pub activity_prefix: String,
}

/// How `log entries` writes the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// A readable table, one line per entry (parties by name).
    Table,
    /// One JSON object per line (with `--include-entry`, the entry as logged).
    Jsonl,
    /// Comma-separated values with a header line; lists joined with `;`.
    Csv,
}

/// `log entries`.
#[derive(Debug, Args)]
pub struct LogEntriesArgs {
    /// Only entries about this case.
    #[arg(long)]
    pub case: Option<String>,
    /// Only entries logged at or after TIME (e.g. "2026-11-01", "now-7d").
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only entries logged at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only entries of this kind (repeat or separate with commas).
    #[arg(long, value_parser = LOG_KINDS, value_delimiter = ',')]
    pub kind: Vec<String>,
    /// Only share decisions with this outcome (repeat or separate with commas).
    #[arg(long, value_parser = OUTCOMES, value_delimiter = ',')]
    pub outcome: Vec<String>,
    /// Only entries about this category (art. 6; repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub category: Vec<String>,
    /// Only share decisions for this purpose (art. 3.1; repeat or separate with commas).
    #[arg(long, value_parser = ALL_PURPOSES, value_delimiter = ',')]
    pub purpose: Vec<String>,
    /// Only entries about this subject: its pseudonym (64 hex characters).
    #[arg(long, value_name = "HEX")]
    pub subject: Option<String>,
    /// Only shares your party provided, or only those it received.
    #[arg(long, value_parser = ["provided", "received"])]
    pub direction: Option<String>,
    /// Only emergency shares (art. 15.5).
    #[arg(long)]
    pub emergency_only: bool,
    /// Start at this leaf index (to resume where an earlier run stopped).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub from_leaf: u64,
    /// Stop after N entries.
    #[arg(long, value_name = "N")]
    pub max: Option<u32>,
    /// Also fetch each entry exactly as logged (JSON lines and `--json` show it).
    #[arg(long)]
    pub include_entry: bool,
    /// The output form.
    #[arg(long, value_enum, default_value_t = LogFormat::Table)]
    pub format: LogFormat,
}

/// `hubctl inzage ...`.
#[derive(Debug, Subcommand)]
pub enum InzageCommand {
    /// Produce the inzage overview for one data subject (art. 11.1), for a gemeente
    /// privacy officer: identifying data is pseudonymised HERE with the covenant's key,
    /// exactly as `subject add` does; only the pseudonym is sent. Writes the Markdown
    /// document.
    #[command(
        after_help = "Examples:\n  printf 'Sanne Slachtoffer\\t1975-05-05\\t1091 AB\\t14-2\\n' | hubctl inzage request --stdin --received-on 2026-11-20 --reference AVG-2026-17 --out inzage.md\n  hubctl inzage request --pseudonym 5a5a...5a"
    )]
    Request(InzageRequestArgs),
    /// Your party's inzage requests, newest first, with their due dates (art. 11.2).
    List,
    /// One inzage overview produced earlier (the Markdown document).
    Show(InzageShowArgs),
}

/// `inzage request`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["name", "stdin", "pseudonym"])))]
pub struct InzageRequestArgs {
    /// Given names and family name, as your register holds them.
    #[arg(long, requires_all = ["birth_date", "postcode", "house_number"])]
    pub name: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "name")]
    pub birth_date: Option<String>,
    /// Dutch postcode, e.g. "1091 AB".
    #[arg(long, requires = "name")]
    pub postcode: Option<String>,
    /// House number with addition, e.g. "14-2".
    #[arg(long, requires = "name")]
    pub house_number: Option<String>,
    /// Read the identifying data from standard input instead (one line: name, date of
    /// birth, postcode, house number, separated by tabs).
    #[arg(long)]
    pub stdin: bool,
    /// The subject's keyed pseudonym (64 lowercase hex characters), if you have it.
    #[arg(long, value_name = "HEX")]
    pub pseudonym: Option<String>,
    /// The date the gemeente received the request (YYYY-MM-DD or "today"); the 4 weeks
    /// of art. 11.2 count from it.
    #[arg(long, value_name = "DATE", default_value = "today")]
    pub received_on: String,
    /// Your own reference for the request (e.g. the AVG dossier number), at most 100
    /// characters; kept with the request, never logged.
    #[arg(long)]
    pub reference: Option<String>,
    /// Write the Markdown document to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `inzage show`.
#[derive(Debug, Args)]
pub struct InzageShowArgs {
    /// The inzage id, e.g. I-2026-0007.
    pub id: String,
    /// Write the Markdown document to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `hubctl notifications ...`.
#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Notifications to your party's privacy officer, newest first: rejected shares
    /// your party was the source of (art. 7) and emergency shares to review (15.2).
    List(NotificationsListArgs),
    /// Mark notifications as seen (an emergency review stays open until reviewed).
    Ack(NotificationIdsArgs),
    /// Record your review of emergency shares (art. 15.2), due within 1 working day.
    Review(ReviewArgs),
}

/// `notifications list`.
#[derive(Debug, Args)]
pub struct NotificationsListArgs {
    /// Only this kind (repeat or separate with commas).
    #[arg(long, value_parser = NOTIFICATION_KINDS, value_delimiter = ',')]
    pub kind: Vec<String>,
    /// Only notifications not yet done (a reject not acknowledged, a review not
    /// recorded).
    #[arg(long)]
    pub open: bool,
    /// Only notifications about this case.
    #[arg(long)]
    pub case: Option<String>,
    /// Only notifications raised at or after TIME.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only notifications raised at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// Notifications named by id.
#[derive(Debug, Args)]
pub struct NotificationIdsArgs {
    /// The notification ids, as `notifications list` shows them, each whole or by a
    /// unique start.
    #[arg(required = true)]
    pub ids: Vec<String>,
}

/// `notifications review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The emergency-review notification ids (e.g. every share of one emergency), each
    /// whole or by a unique start.
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Whether the emergency shares were justified.
    #[arg(long, value_parser = VERDICTS)]
    pub verdict: String,
    /// A note, at most 2000 characters, without names or other identifying data.
    #[arg(long)]
    pub note: Option<String>,
}
