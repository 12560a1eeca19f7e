//! The command line (clap derive). Each command maps to one RPC of
//! `proto/treiter/hub/v1/coordinator.proto`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::error::EXIT_CODES;
pub use crate::officer_cli::*;

/// The stadsdelen of article 1.5.
pub const STADSDELEN: [&str; 8] = [
    "centrum",
    "nieuw-west",
    "noord",
    "oost",
    "west",
    "zuid",
    "zuidoost",
    "weesp",
];
/// The phases of article 4.1.
pub const PHASES: [&str; 6] = [
    "melding",
    "registratie",
    "duiding",
    "aanpak",
    "afgesloten",
    "buiten-aanpak",
];
/// The subject roles of article 1.3.
pub const SUBJECT_ROLES: [&str; 3] = ["dader", "slachtoffer", "melder"];
/// The purposes of article 3.1 a case file may be requested for (`evaluatie` shares no
/// personal data, article 3.3; the hub refuses it).
pub const PURPOSES: [&str; 3] = ["registratie", "duiding", "aanpak"];

const ABOUT: &str = "The Treiteraanpak hub from a terminal, with your own person certificate.";

const LONG_ABOUT: &str = "\
The Treiteraanpak hub from a terminal, with your own person certificate.

For coordinators (informatiemakelaars, stadsdeelregisseurs, the stedelijk regisseur) and
partnercontacts: register a case, add its subjects (identifying data is pseudonymised
HERE, with the covenant's key; only the pseudonym is sent), move it through the phases
of article 4.1, record contact and consent, register the parties of the plan van aanpak,
declare an emergency, ask who knows a subject (bevraging), and request the
cross-partner case file as a readable report.

For privacy officers: read your party's decision-log entries (`log entries`), verify
them against the hub's signed checkpoints (`log verify`), produce a data subject's
inzage overview (`inzage`, gemeente only), and handle notifications of rejected and
emergency shares (`notifications`); export an evidence bundle a court checks offline
with `treiter-verify` (`evidence`), and Logboek Dataverwerkingen records (`log
logboek`).

The hub decides who may do what from your certificate and its own person registry;
hubctl sends no role or stadsdeel. A refusal says which article applies and who the
certificate says you are.

The profile (TOML) names the hub and your certificate:

    hub_url = \"https://hub.example.nl:7443\"
    cert = \"pki/persons/p-gemeente-001.pem\"
    key = \"pki/persons/p-gemeente-001.key\"
    trust_anchors = [\"pki/ca/root.pem\"]
    pseudonym_key = \"pseudonym.key\"      # optional; for `subject add --name ..`
    log_verifier = \"<origin>+<id>+<key>\"  # optional; for `log verify`

Relative paths resolve against the profile's directory; unknown keys are refused.
It is read from --profile FILE, else $HUBCTL_PROFILE, else ./hubctl.toml.

TIME values: \"now\", \"now-2h\" (m, h, d), \"2026-11-20 09:30\" (Amsterdam time),
\"2026-11-20\", or RFC 3339. Every time shown is Amsterdam time.";

/// `hubctl`.
#[derive(Debug, Parser)]
#[command(
    name = "hubctl",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = "Run `hubctl --help` for the profile format and the exit codes.",
    after_long_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// The profile file (TOML: hub_url, cert, key, trust_anchors, pseudonym_key);
    /// default ./hubctl.toml.
    #[arg(long, global = true, env = "HUBCTL_PROFILE", value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Machine output: the hub's answer as JSON on standard output (errors as JSON on
    /// standard error; `casefile request --watch` writes one JSON object per line).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Who the hub takes you to be: person, party, roles and stadsdeel (from the hub's
    /// person registry).
    Whoami,
    /// Cases: register, list, show, move through the phases, escalate, record contact.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Subjects (betrokkenen) of a case: add (pseudonymised locally), update, remove.
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// A subject's consent (toestemming, art. 11.3) per category: record, withdraw.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// The parties of the plan van aanpak (art. 5.4): add, remove.
    #[command(subcommand)]
    Participant(ParticipantCommand),
    /// Declare an emergency (spoed, art. 15.1) on a case, with a written reason; for a
    /// stadsdeelregisseur or a partnercontact of the politie. Lasts 72 hours.
    Emergency(EmergencyArgs),
    /// Ask every partner whether it knows a subject (bevraging, art. 8.4): hit or no hit,
    /// nothing more.
    Bevraag(BevraagArgs),
    /// Case files: request the cross-partner case file, show one, list yours.
    #[command(subcommand)]
    Casefile(CasefileCommand),
    /// For privacy officers: covenant versions (art. 13): list, show, propose, diff,
    /// approve, preview.
    #[command(subcommand)]
    Covenant(crate::covenant::CovenantCommand),
    /// For privacy officers: your party's decision-log entries (art. 10.3) and their
    /// verification against the hub's signed checkpoints (10.2).
    #[command(subcommand)]
    Log(LogCommand),
    /// For the gemeente's privacy officer: a data subject's inzage overview (art. 11).
    #[command(subcommand)]
    Inzage(InzageCommand),
    /// For privacy officers: rejected shares (art. 7) and emergency shares to review
    /// (art. 15.2) of which your party was the source.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// A web console on this machine (127.0.0.1) for the person of the profile: prints a
    /// one-time sign-in link and serves until Ctrl-C.
    #[command(
        long_about = "A web console on this machine for the person of the profile, in Dutch: Wie ben ik, Mijn casussen, Casus, Bevraging and Casusdossiers, and for privacy officers Logboek, Meldingen, Inzage and Convenant. It talks to the hub exactly as hubctl does, with your own certificate; identifying data typed into a form is pseudonymised here (art. 8.4) and never leaves the machine.\n\nIt listens on loopback only and prints a link with a one-time token: the first browser that opens it gets the session (an HttpOnly, SameSite=Strict cookie); the link then no longer works. Start it again for a new link.",
        after_help = "Example:\n  hubctl console --profile im-oost.toml --open"
    )]
    Console(ConsoleArgs),
    /// For privacy officers: an evidence bundle of your party's decision-log entries
    /// (one tar file) that a court checks offline with `treiter-verify`.
    #[command(
        long_about = "For privacy officers: an evidence bundle of your party's decision-log entries, for a court or a supervisory authority. One tar file holds the entries exactly as logged, their inclusion proofs, the signed checkpoints they are proven against with the witnesses' (party agents') cosignatures, the hub's and the witnesses' keys, a manifest and LEESMIJ.txt: what the bundle proves and what it does not, in Dutch. It holds nothing the log does not (pseudonyms, field names, ids).\n\nThe hub gives only entries your party may see (art. 10.3) and refuses other roles (art. 5.2). With `log_verifier` in the profile, the hub's key must be that one; with a checkpoint `log verify` remembered, the bundle also proves the log grew unchanged since. The bundle is checked with the offline verifier before it is written.\n\nCheck it anywhere, without a network: treiter-verify BUNDLE.tar --hub-key '<the hub's verifier key>'",
        after_help = "Examples:\n  hubctl evidence --case C-2026-0001 --out bewijs-C-2026-0001.tar\n  hubctl evidence --entries 17,20-24 --out bewijs.tar\n  hubctl evidence --subject 5a5a...5a --from 2026-11-01 --out bewijs-november.tar"
    )]
    Evidence(EvidenceArgs),
}

/// `evidence`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selection").required(true).multiple(true).args(["case", "entries", "subject", "from", "until"])))]
pub struct EvidenceArgs {
    /// The entries about this case.
    #[arg(long)]
    pub case: Option<String>,
    /// These entries, by leaf index: numbers and ranges, e.g. 17,20-24 (`log entries`
    /// shows the indices). A single index of another party's entry is refused (art.
    /// 10.3); a range takes your party's entries in it.
    #[arg(long, value_name = "LIST")]
    pub entries: Option<String>,
    /// The entries about this subject: its pseudonym (64 hex characters).
    #[arg(long, value_name = "HEX")]
    pub subject: Option<String>,
    /// Only entries logged at or after TIME.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only entries logged at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// The bundle file to write (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// How long to wait for the witnesses' cosignatures on the latest checkpoint.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub wait: u64,
}

/// `console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Where to listen: a loopback address and port (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Open the sign-in link in the default browser (xdg-open; open on macOS).
    #[arg(long)]
    pub open: bool,
}

/// `hubctl case ...`.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Register a new case in phase melding; starts the 2-working-day contact deadline
    /// (art. 4.3). Only in your own stadsdeel (art. 5.3).
    #[command(
        after_help = "Example:\n  hubctl case create --stadsdeel oost --melding-at now-2h --reference 14020-77"
    )]
    Create(CaseCreateArgs),
    /// The cases you have access to, newest first, with their contact deadline.
    List(CaseListArgs),
    /// One case: phase and the phases allowed next, contact deadline, subjects,
    /// consent, participants by name, emergency, history.
    Show(CaseIdArgs),
    /// Move a case to another phase, only along art. 4.1 (melding → registratie →
    /// duiding → aanpak → afgesloten, or duiding → buiten-aanpak).
    Move(CaseMoveArgs),
    /// Escalate a case in phase aanpak to city level (art. 4.5, 14); for its
    /// stadsdeelregisseur.
    Escalate(ReasonArgs),
    /// Record that the melder was contacted (art. 4.3).
    Contact(CaseContactArgs),
}

/// `case create`.
#[derive(Debug, Args)]
pub struct CaseCreateArgs {
    /// The case's stadsdeel (art. 1.5); must be your own.
    #[arg(long, value_parser = STADSDELEN)]
    pub stadsdeel: String,
    /// When the melding was made (TIME, not in the future), e.g. "now-2h".
    #[arg(long, value_name = "TIME")]
    pub melding_at: String,
    /// The melding's reference in another system (e.g. the 14020 ticket), at most 100
    /// characters; a working note, shown to the case team only.
    #[arg(long, value_name = "R")]
    pub reference: Option<String>,
}

/// `case list`.
#[derive(Debug, Args)]
pub struct CaseListArgs {
    /// Only cases of this stadsdeel.
    #[arg(long, value_parser = STADSDELEN)]
    pub stadsdeel: Option<String>,
    /// Only cases in this phase (repeat for several).
    #[arg(long, value_parser = PHASES)]
    pub phase: Vec<String>,
    /// Only cases whose contact deadline passed without recorded contact.
    #[arg(long)]
    pub overdue: bool,
    /// Only escalated cases.
    #[arg(long)]
    pub escalated: bool,
    /// Only cases with an emergency active now.
    #[arg(long)]
    pub emergency: bool,
}

/// A command naming one case.
#[derive(Debug, Args)]
pub struct CaseIdArgs {
    /// The case id, e.g. C-2026-0042.
    pub case: String,
}

/// `case move`.
#[derive(Debug, Args)]
pub struct CaseMoveArgs {
    /// The case id.
    pub case: String,
    /// The target phase.
    #[arg(value_parser = PHASES)]
    pub phase: String,
    /// Why, in a few words (a working note for the case team; never logged).
    #[arg(long)]
    pub reason: String,
    /// Refuse (exit 8) if the case is no longer in this phase (someone moved it).
    #[arg(long, value_parser = PHASES, value_name = "PHASE")]
    pub expect: Option<String>,
}

/// A change that takes a case and a reason.
#[derive(Debug, Args)]
pub struct ReasonArgs {
    /// The case id.
    pub case: String,
    /// Why (a working note for the case team; never logged).
    #[arg(long)]
    pub reason: String,
}

/// `case contact`.
#[derive(Debug, Args)]
pub struct CaseContactArgs {
    /// The case id.
    pub case: String,
    /// When the melder was contacted (TIME); default now.
    #[arg(long, value_name = "TIME", default_value = "now")]
    pub at: String,
}

/// `hubctl subject ...`.
#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// Add a subject with its role, from identifying data (pseudonymised here with the
    /// covenant's key; the data itself is neither sent nor printed) or a pseudonym.
    #[command(
        after_help = "Examples:\n  printf 'Sanne Slachtoffer\\t1975-05-05\\t1091 AB\\t14-2\\n' | hubctl subject add C-2026-0001 --role slachtoffer --label melder --stdin\n  hubctl subject add C-2026-0001 --role dader --name \"Tobias Testdader\" --birth-date 1980-01-01 --postcode \"1091 AB\" --house-number 12"
    )]
    Add(SubjectAddArgs),
    /// Change a subject's role and/or label (consent records are kept).
    Update(SubjectUpdateArgs),
    /// Remove a subject added by mistake.
    Remove(SubjectRemoveArgs),
}

/// `subject add`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["name", "stdin", "pseudonym"])))]
pub struct SubjectAddArgs {
    /// The case id.
    pub case: String,
    /// The subject's role (art. 1.3); a melder who is also the victim is a slachtoffer.
    #[arg(long, value_parser = SUBJECT_ROLES)]
    pub role: String,
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
    /// birth, postcode, house number, separated by tabs), so it stays out of the shell
    /// history and the process list.
    #[arg(long)]
    pub stdin: bool,
    /// The subject's keyed pseudonym (64 lowercase hex characters), if you have it.
    #[arg(long, value_name = "HEX")]
    pub pseudonym: Option<String>,
    /// A display label for the case team ("buurman 3-hoog"); prefer a description to a
    /// name. At most 100 characters.
    #[arg(long)]
    pub label: Option<String>,
}

/// `subject update`.
#[derive(Debug, Args)]
pub struct SubjectUpdateArgs {
    /// The case id.
    pub case: String,
    /// The subject: its pseudonym, a unique start of it (8+ characters), or its label.
    pub subject: String,
    /// The new role.
    #[arg(long, value_parser = SUBJECT_ROLES)]
    pub role: Option<String>,
    /// The new label.
    #[arg(long, conflicts_with = "clear_label")]
    pub label: Option<String>,
    /// Remove the label.
    #[arg(long)]
    pub clear_label: bool,
}

/// `subject remove`.
#[derive(Debug, Args)]
pub struct SubjectRemoveArgs {
    /// The case id.
    pub case: String,
    /// The subject: its pseudonym, a unique start of it (8+ characters), or its label.
    pub subject: String,
    /// Why (a working note for the case team; never logged).
    #[arg(long)]
    pub reason: String,
}

/// `hubctl consent ...`.
#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Record a subject's consent for one category (needed for art. 6.7, 6.9, 6.10).
    Record(ConsentArgs),
    /// Record that a subject withdrew consent; shares that depend on it stop at once.
    Withdraw(ConsentArgs),
}

/// `consent record|withdraw`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// The case id.
    pub case: String,
    /// The subject: its pseudonym, a unique start of it (8+ characters), or its label.
    #[arg(long)]
    pub subject: String,
    /// The category (art. 6), e.g. slachtofferinformatie.
    #[arg(long)]
    pub category: String,
    /// The date the subject gave or withdrew consent (YYYY-MM-DD or "today").
    #[arg(long, value_name = "DATE", default_value = "today")]
    pub date: String,
}

/// `hubctl participant ...`.
#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Register a party in the plan van aanpak: its partnercontacts get access (art.
    /// 5.4).
    Add(ParticipantArgs),
    /// End a party's participation.
    Remove(ParticipantRemoveArgs),
}

const PARTY_HELP: &str = "The party: its OIN (20 digits), or its name or a unique part of it (\"politie\", \"De Gracht\"), or its kind when only one party has it (\"om\"). Names are those of the covenant's parties (Annex A), which hubctl asks the hub for.";

/// `participant add`.
#[derive(Debug, Args)]
pub struct ParticipantArgs {
    /// The case id.
    pub case: String,
    #[arg(help = PARTY_HELP)]
    pub party: String,
}

/// `participant remove`.
#[derive(Debug, Args)]
pub struct ParticipantRemoveArgs {
    /// The case id.
    pub case: String,
    #[arg(help = PARTY_HELP)]
    pub party: String,
    /// Why (a working note for the case team; never logged).
    #[arg(long)]
    pub reason: String,
}

/// `emergency`.
#[derive(Debug, Args)]
pub struct EmergencyArgs {
    /// The case id.
    pub case: String,
    /// The acute threat to someone's life or safety. The reviewing privacy officers read
    /// it (art. 15.2): write it without names or other identifying data.
    #[arg(long)]
    pub reason: String,
}

/// `bevraag`.
#[derive(Debug, Args)]
pub struct BevraagArgs {
    /// The case id.
    pub case: String,
    /// The subject: its pseudonym, a unique start of it (8+ characters), or its label.
    #[arg(long)]
    pub subject: String,
    /// How long to wait for the partners, in milliseconds (default: the hub's).
    #[arg(long, value_name = "N")]
    pub deadline_ms: Option<u32>,
}

/// `hubctl casefile ...`.
#[derive(Debug, Subcommand)]
pub enum CasefileCommand {
    /// Assemble the cross-partner case file and show it per partner.
    #[command(
        after_help = "Examples:\n  hubctl casefile request C-2026-0001 --purpose duiding\n  hubctl casefile request C-2026-0001 --purpose aanpak --subject buurman --category politie-incidenten,huurgegevens --watch"
    )]
    Request(CasefileRequestArgs),
    /// A case file as it is now (answers that arrived later through the queue included).
    Show(CasefileShowArgs),
    /// Your case files of a case, newest first.
    List(CaseIdArgs),
}

/// `casefile request`.
#[derive(Debug, Args)]
pub struct CasefileRequestArgs {
    /// The case id.
    pub case: String,
    /// The purpose (art. 3.1); it must fit the case's phase (art. 4.2).
    #[arg(long, value_parser = PURPOSES)]
    pub purpose: String,
    /// Only these subjects (pseudonym, unique start of it, or label; repeat); default
    /// every subject of the case.
    #[arg(long)]
    pub subject: Vec<String>,
    /// Only these categories (art. 6; repeat or separate with commas); default all.
    #[arg(long, value_delimiter = ',')]
    pub category: Vec<String>,
    /// How long the hub waits for each partner, in milliseconds (default: the hub's).
    #[arg(long, value_name = "N")]
    pub deadline_ms: Option<u32>,
    /// Show each partner's answer as it arrives.
    #[arg(long)]
    pub watch: bool,
}

/// `casefile show`.
#[derive(Debug, Args)]
pub struct CasefileShowArgs {
    /// The case file id, e.g. CF-2026-0042-0003.
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn subject_add_needs_all_identifying_data_or_a_pseudonym() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(
                ["hubctl", "subject", "add", "C-1", "--role", "dader"]
                    .iter()
                    .chain(args),
            )
        };
        parse(&["--pseudonym", "ab"]).unwrap();
        parse(&["--stdin"]).unwrap();
        parse(&[
            "--name",
            "x",
            "--birth-date",
            "1980-01-01",
            "--postcode",
            "1091AB",
            "--house-number",
            "1",
        ])
        .unwrap();
        let missing = parse(&["--name", "x"]).unwrap_err();
        assert_eq!(
            missing.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        let nothing = parse(&[]).unwrap_err();
        assert_eq!(
            nothing.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        let both = parse(&["--pseudonym", "ab", "--stdin"]).unwrap_err();
        assert_eq!(both.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn vocabulary_words_are_checked_locally() {
        let err = Cli::try_parse_from([
            "hubctl",
            "case",
            "create",
            "--stadsdeel",
            "oosterpark",
            "--melding-at",
            "now",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        let ok = Cli::try_parse_from([
            "hubctl",
            "casefile",
            "request",
            "C-1",
            "--purpose",
            "duiding",
            "--category",
            "identificatie,politie-incidenten",
        ])
        .unwrap();
        let Command::Casefile(CasefileCommand::Request(args)) = ok.command else {
            panic!("casefile request");
        };
        assert_eq!(args.category, ["identificatie", "politie-incidenten"]);
    }
}
