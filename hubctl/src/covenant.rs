//! `hubctl covenant ...`: covenant versions (article 13) for privacy officers: list,
//! show, propose, diff, approve, preview. Each maps to one RPC of the `PrivacyOfficer`
//! service (`proto/treiter/hub/v1/privacy_officer.proto`).
//!
//! An approval binds to the SHA-256 of the text (article 13.1): `approve` shows the
//! version's `covenant diff` and hash and asks for confirmation, and sends exactly the
//! hash it showed; scripts pass `--sha256 HEX` (the hash they reviewed) or `--yes`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use serde_json::{Value, json};
use tonic::Code;
use treiter_proto::v1 as wire;

use crate::commands::new_request_id;
use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, Retry};
use crate::queries;
use crate::report::{esc, party_name, person_words};
use crate::when;

/// The statuses of `CovenantVersion.status`.
const STATUSES: [&str; 4] = ["proposed", "approved", "in-force", "superseded"];

/// `hubctl covenant ...`.
#[derive(Debug, Subcommand)]
pub enum CovenantCommand {
    /// The versions of the encoded covenant, newest first, and the one in force.
    List(ListArgs),
    /// One version: status, text hash, description, approvals, what article 13.1 still
    /// needs; with --text, the encoded covenant itself.
    Show(ShowArgs),
    /// Propose a new version from a covenant file (the version it declares must be
    /// higher than every existing one). Prints every error and warning with
    /// line:column, as `covenant check` does; proposing is not approving.
    #[command(
        after_help = "Example:\n  hubctl covenant propose treiteraanpak-v2.covenant --description \"art. 6.3: locatie no longer shared\""
    )]
    Propose(ProposeArgs),
    /// The `covenant diff` of a version against the version in force.
    Diff(VersionArg),
    /// Approve a proposed version for your party (art. 13.1): shows the diff and the
    /// text's SHA-256 and asks for confirmation; the approval binds to that hash.
    #[command(
        after_help = "Examples:\n  hubctl covenant approve 2\n  hubctl covenant approve 2 --sha256 3f2a...   (the hash you reviewed)\n  hubctl covenant approve 2 --yes"
    )]
    Approve(ApproveArgs),
    /// What a version (or a draft file) would change in past decisions.
    Preview(PreviewArgs),
}

/// `covenant list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only versions with this status (repeat for several).
    #[arg(long, value_parser = STATUSES)]
    pub status: Vec<String>,
}

/// A command naming one version.
#[derive(Debug, Args)]
pub struct VersionArg {
    /// The version number.
    #[arg(value_name = "VERSION")]
    pub number: u32,
}

/// `covenant show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The version number; 0 for the version in force.
    #[arg(value_name = "VERSION")]
    pub number: u32,
    /// Also print the encoded covenant.
    #[arg(long)]
    pub text: bool,
}

/// `covenant propose`.
#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The covenant file.
    pub file: PathBuf,
    /// What changes and why, for the approvers (at most 2000 characters, no personal
    /// data).
    #[arg(long)]
    pub description: String,
}

/// `covenant approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The version to approve.
    #[arg(value_name = "VERSION")]
    pub number: u32,
    /// The SHA-256 (64 hex digits) of the text you reviewed; no question is asked.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Approve the version's current text without asking (the diff and hash are still
    /// printed).
    #[arg(long, conflicts_with = "sha256")]
    pub yes: bool,
}

/// `covenant preview`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["number", "file"])))]
pub struct PreviewArgs {
    /// A stored version.
    #[arg(value_name = "VERSION")]
    pub number: Option<u32>,
    /// A draft covenant file, not proposed.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(text: &str) -> Result<Vec<u8>, Error> {
    let text = text.trim();
    let bad = || Error::Usage(format!("--sha256 {text:?}: expected 64 hex digits"));
    if text.len() != 64 || !text.is_ascii() {
        return Err(bad());
    }
    (0..32)
        .map(|i| {
            text.get(2 * i..2 * i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

fn read_file(path: &PathBuf) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))
}

/// Prints text with every control or invisible character escaped but its line breaks
/// (a proposed text, a description or a diff is another person's text).
fn write(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(treiter_proto::text::escape_lines(text).as_bytes())
        .map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

fn pretty(out: &mut dyn Write, value: &Value) -> Result<(), Error> {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    out.write_all(treiter_proto::text::escape_json(&s).as_bytes())
        .map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

fn ts_json(ts: Option<&prost_types::Timestamp>) -> Value {
    ts.and_then(when::rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn person_json(p: Option<&wire::Person>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({
            "id": p.id,
            "party": p.party.as_ref().map(|p| json!({"oin": p.oin, "name": p.name, "kind": p.kind})),
        }),
    }
}

fn diagnostic_json(d: &wire::CovenantDiagnostic) -> Value {
    json!({
        "severity": d.severity, "code": d.code, "message": d.message,
        "line": d.line, "column": d.column, "end_line": d.end_line, "end_column": d.end_column,
        "help": d.help, "article": d.article,
    })
}

/// A version as JSON.
pub fn version_json(v: &wire::CovenantVersion) -> Value {
    json!({
        "version": v.version,
        "status": v.status,
        "text_sha256": hex(&v.text_sha256),
        "description": v.description,
        "proposed_at": ts_json(v.proposed_at.as_ref()),
        "proposed_by": person_json(v.proposed_by.as_ref()),
        "approvals": v.approvals.iter().map(|a| json!({
            "approver": person_json(a.approver.as_ref()),
            "approved_at": ts_json(a.approved_at.as_ref()),
            "text_sha256": hex(&a.text_sha256),
        })).collect::<Vec<_>>(),
        "approvals_missing": v.approvals_missing,
        "in_force_from": ts_json(v.in_force_from.as_ref()),
        "superseded_at": ts_json(v.superseded_at.as_ref()),
        "superseded_by": v.superseded_by,
        "warnings": v.warnings.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "text": if v.text.is_empty() { Value::Null } else { Value::String(v.text.clone()) },
        "diff": if v.diff.is_empty() { Value::Null } else { Value::String(v.diff.clone()) },
    })
}

/// One diagnostic as `covenant check` prints it: `FILE:line:col: error[code]: message`.
pub fn diagnostic_line(source: &str, d: &wire::CovenantDiagnostic) -> String {
    let mut line = format!(
        "{source}:{}:{}: {}[covenant::{}]: {}",
        d.line,
        d.column,
        esc(&d.severity),
        esc(&d.code),
        esc(&d.message)
    );
    if !d.article.is_empty() {
        line.push_str(&format!(" (art. {})", esc(&d.article)));
    }
    if !d.help.is_empty() {
        line.push_str(&format!(" (help: {})", esc(&d.help)));
    }
    line.push('\n');
    line
}

/// A version in words.
pub fn version_words(v: &wire::CovenantVersion) -> String {
    let mut s = format!("covenant version {}: {}\n", v.version, v.status);
    s.push_str(&format!("  text sha256:  {}\n", hex(&v.text_sha256)));
    if !v.description.is_empty() {
        s.push_str(&format!("  description:  {}\n", esc(&v.description)));
    }
    match &v.proposed_by {
        Some(p) => s.push_str(&format!(
            "  proposed:     {} by {}\n",
            when::show_ts(v.proposed_at.as_ref()),
            person_words(Some(p))
        )),
        None => s.push_str("  proposed:     - (the version the hub was first started with)\n"),
    }
    for a in &v.approvals {
        s.push_str(&format!(
            "  approved:     {} by {}\n",
            when::show_ts(a.approved_at.as_ref()),
            person_words(a.approver.as_ref())
        ));
    }
    if !v.approvals_missing.is_empty() {
        s.push_str(&format!("  still needed: {}\n", v.approvals_missing));
    }
    if v.in_force_from.is_some() {
        s.push_str(&format!(
            "  in force:     from {}\n",
            when::show_ts(v.in_force_from.as_ref())
        ));
    }
    if v.superseded_by != 0 {
        s.push_str(&format!(
            "  superseded:   {} by version {}\n",
            when::show_ts(v.superseded_at.as_ref()),
            v.superseded_by
        ));
    }
    for w in &v.warnings {
        s.push_str(&format!(
            "  {}",
            diagnostic_line(&format!("version {}", v.version), w)
        ));
    }
    s
}

fn list_words(list: &wire::ListCovenantVersionsResponse) -> String {
    let mut s = format!("in force: version {}\n", list.in_force);
    for v in &list.versions {
        let parties: Vec<String> = v
            .approvals
            .iter()
            .map(|a| party_name(a.approver.as_ref().and_then(|p| p.party.as_ref())))
            .collect();
        let mut line = format!("  {:>4}  {:<11}", v.version, v.status);
        if !parties.is_empty() {
            line.push_str(&format!("  approved by {}", parties.join(", ")));
        }
        if !v.approvals_missing.is_empty() {
            line.push_str(&format!("  ({})", v.approvals_missing));
        }
        if !v.description.is_empty() {
            line.push_str(&format!("\n        {}", esc(&v.description)));
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// A preview's summary in words: the counts, then what the replay cannot see and the
/// widening the covenant diff finds (a replay of logged shares cannot show a share that
/// was refused before anyone was asked, so "0 outcome changed" alone would reassure
/// falsely), then every other diagnostic.
pub fn preview_words(summary: &wire::PreviewSummary, shown: u64) -> String {
    let mut s = format!(
        "version {} -> {}: {} logged decision(s) replayed: {} unchanged, {} outcome changed, {} fields changed, {} other; {shown} of your party's shown\n",
        summary.from_version,
        summary.to_version,
        summary.replayed,
        summary.unchanged,
        summary.outcome_changed,
        summary.fields_changed,
        summary.other_changed
    );
    let blind = summary
        .diagnostics
        .iter()
        .find(|d| d.code == "refused-shares-not-logged");
    if let Some(d) = blind {
        s.push_str(&format!(
            "\nwhat the replay cannot see: {}\n",
            esc(&d.message)
        ));
    }
    if summary.widening.is_empty() {
        if blind.is_some() {
            s.push_str("the covenant diff finds no new or wider permit\n");
        }
    } else {
        s.push_str(&format!(
            "what version {} lets through that version {} did not (from the covenant diff, {} kind(s) of share):\n",
            summary.to_version,
            summary.from_version,
            summary.widening.len()
        ));
        for line in &summary.widening {
            s.push_str(&format!("  {}\n", esc(line)));
        }
    }
    let others: Vec<&wire::CovenantDiagnostic> = summary
        .diagnostics
        .iter()
        .filter(|d| d.code != "refused-shares-not-logged")
        .collect();
    if !others.is_empty() {
        s.push('\n');
    }
    for d in others {
        if d.line == 0 {
            s.push_str(&format!("{}: {}\n", esc(&d.severity), esc(&d.message)));
        } else {
            s.push_str(&diagnostic_line("draft", d));
        }
    }
    s
}

fn hub_error(status: tonic::Status) -> Error {
    Error::Hub {
        code: status.code(),
        message: status.message().to_owned(),
        hint: None,
    }
}

async fn get(
    hub: &mut Hub,
    version: u32,
    text: bool,
    diff: bool,
) -> Result<wire::CovenantVersion, Error> {
    queries::covenant_version(hub, version, text, diff).await
}

/// Whether an answer to a yes/no question is yes: "yes"/"y", or the Dutch "ja"/"j",
/// in any case, surrounding blanks ignored.
pub fn is_yes(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "yes" | "y" | "ja" | "j"
    )
}

/// Refuses, as the hub would, an approval that cannot count: `me`'s party approved `v`
/// already (art. 13.1: each party counts once), or `v` is no longer proposed.
fn approvable_by(v: &wire::CovenantVersion, me: &wire::Person) -> Result<(), Error> {
    let my_party = me.party.as_ref().map(|p| p.oin.as_str()).unwrap_or("");
    if let Some(earlier) = v.approvals.iter().find(|a| {
        a.approver
            .as_ref()
            .and_then(|p| p.party.as_ref())
            .is_some_and(|p| !my_party.is_empty() && p.oin == my_party)
    }) {
        let by = earlier.approver.as_ref();
        return Err(Error::Hub {
            code: Code::AlreadyExists,
            message: format!(
                "{} approved version {} already ({}, {}); each party counts once (art. 13.1); nothing was sent",
                party_name(me.party.as_ref()),
                v.version,
                person_words(by),
                when::show_ts(earlier.approved_at.as_ref()),
            ),
            hint: Some(format!(
                "`hubctl covenant list` shows what version {} still needs",
                v.version
            )),
        });
    }
    match v.status.as_str() {
        "in-force" => Err(Error::Hub {
            code: Code::FailedPrecondition,
            message: format!(
                "version {} is in force already; nothing is left to approve (art. 13.1); nothing was sent",
                v.version
            ),
            hint: None,
        }),
        "superseded" => Err(Error::Hub {
            code: Code::FailedPrecondition,
            message: format!(
                "version {} is superseded by version {} and can never take effect (art. 13.2); nothing was sent",
                v.version, v.superseded_by
            ),
            hint: None,
        }),
        _ => Ok(()),
    }
}

/// Runs one `hubctl covenant` command.
pub async fn run(
    hub: &mut Hub,
    out: &mut dyn Write,
    json: bool,
    input: &mut dyn BufRead,
    command: CovenantCommand,
) -> Result<(), Error> {
    match command {
        CovenantCommand::List(a) => {
            let list = queries::covenant_versions(hub, a.status).await?;
            if json {
                pretty(
                    out,
                    &json!({
                        "in_force": list.in_force,
                        "versions": list.versions.iter().map(version_json).collect::<Vec<_>>(),
                    }),
                )
            } else {
                write(out, &list_words(&list))
            }
        }
        CovenantCommand::Show(a) => {
            let v = get(hub, a.number, a.text, false).await?;
            if json {
                return pretty(out, &version_json(&v));
            }
            let mut s = version_words(&v);
            if a.text {
                s.push('\n');
                s.push_str(&v.text);
            }
            write(out, &s)
        }
        CovenantCommand::Diff(a) => {
            let v = get(hub, a.number, false, true).await?;
            if json {
                return pretty(out, &version_json(&v));
            }
            if v.diff.is_empty() {
                write(
                    out,
                    &format!(
                        "version {} is the version in force: no difference\n",
                        v.version
                    ),
                )
            } else {
                write(out, &v.diff)
            }
        }
        CovenantCommand::Propose(a) => {
            let text = read_file(&a.file)?;
            let req = wire::ProposeCovenantVersionRequest {
                client_request_id: new_request_id(),
                text,
                description: a.description,
            };
            let answer = queries::propose_covenant_version(hub, req).await?;
            let source = a.file.display().to_string();
            if json {
                pretty(
                    out,
                    &json!({
                        "accepted": answer.accepted,
                        "version": answer.version.as_ref().map(version_json),
                        "diagnostics": answer.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
                    }),
                )?;
            }
            let lines: String = answer
                .diagnostics
                .iter()
                .map(|d| diagnostic_line(&source, d))
                .collect();
            match (&answer.version, answer.accepted) {
                (Some(v), true) => {
                    if !json {
                        write(
                            out,
                            &format!(
                                "{lines}proposed: {}\n{}\nit takes effect once privacy officers of two parties, one a gemeente, approved it (art. 13.1): hubctl covenant approve {}\n",
                                version_words(v),
                                v.diff,
                                v.version
                            ),
                        )?;
                    }
                    Ok(())
                }
                _ => {
                    let errors = answer
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == "error")
                        .count();
                    Err(Error::Hub {
                        code: Code::InvalidArgument,
                        message: format!(
                            "the hub did not accept {source}: {errors} error(s); nothing was stored\n{}",
                            lines.trim_end()
                        ),
                        hint: Some("fix the lines named and propose again; `covenant check` shows the same".into()),
                    })
                }
            }
        }
        CovenantCommand::Approve(a) => {
            let sha = match &a.sha256 {
                Some(given) => parse_hex(given)?,
                None => {
                    let v = get(hub, a.number, false, true).await?;
                    // Refused before the diff is printed: reading it all and then hearing
                    // that the party approved already wastes a lawyer's time.
                    let me = hub.whoami().await?;
                    approvable_by(&v, &me)?;
                    if !json {
                        write(
                            out,
                            &format!(
                                "{}\n{}\nApproving binds your party's approval to text sha256 {}\n",
                                version_words(&v),
                                v.diff,
                                hex(&v.text_sha256)
                            ),
                        )?;
                    }
                    if !a.yes {
                        write(
                            out,
                            &format!(
                                "Approve version {} for your party? Type yes (or ja): ",
                                v.version
                            ),
                        )?;
                        let mut answer = String::new();
                        input.read_line(&mut answer).map_err(Error::Output)?;
                        if !is_yes(&answer) {
                            return Err(Error::Usage(
                                "not approved: the answer was not \"yes\" (or \"ja\"); nothing was sent".into(),
                            ));
                        }
                    }
                    v.text_sha256
                }
            };
            let req = wire::ApproveCovenantVersionRequest {
                client_request_id: new_request_id(),
                version: a.number,
                text_sha256: sha,
            };
            let v = queries::approve_covenant_version(hub, req).await?;
            if json {
                return pretty(out, &version_json(&v));
            }
            let effect = if v.status == "in-force" {
                "version is now in force: the hub and its agents decide with it (art. 13.1, 13.2)"
                    .to_owned()
            } else {
                format!("not in force yet: {}", v.approvals_missing)
            };
            write(out, &format!("approved.\n{}{effect}\n", version_words(&v)))
        }
        CovenantCommand::Preview(a) => {
            let proposal = match (a.number, &a.file) {
                (_, Some(file)) => {
                    wire::preview_covenant_change_request::Proposal::Text(read_file(file)?)
                }
                (Some(v), None) => wire::preview_covenant_change_request::Proposal::Version(v),
                (None, None) => return Err(Error::Usage("name a VERSION or --file FILE".into())),
            };
            let req = wire::PreviewCovenantChangeRequest {
                proposal: Some(proposal),
                ..Default::default()
            };
            let mut stream = hub
                .call_as::<crate::hub::OfficerClient, _, _, _>(
                    Retry::Once,
                    CALL_TIMEOUT,
                    |mut c| {
                        let r = req.clone();
                        async move { c.preview_covenant_change(r).await }
                    },
                )
                .await?;
            let mut changes = 0u64;
            while let Some(event) = stream.message().await.map_err(hub_error)? {
                if let Some(change) = event.change {
                    changes += 1;
                    let line = format!(
                        "leaf {}: {} {} for {}: {:?}\n",
                        change.leaf_index,
                        change.case_id,
                        change.category,
                        change.purpose,
                        change.changed
                    );
                    if !json {
                        write(out, &line)?;
                    }
                }
                if let Some(summary) = event.summary {
                    let text = preview_words(&summary, changes);
                    if json {
                        pretty(
                            out,
                            &json!({
                                "summary": text.lines().next().unwrap_or_default(),
                                "from_version": summary.from_version,
                                "to_version": summary.to_version,
                                "replayed": summary.replayed,
                                "unchanged": summary.unchanged,
                                "outcome_changed": summary.outcome_changed,
                                "fields_changed": summary.fields_changed,
                                "other_changed": summary.other_changed,
                                "widening": summary.widening,
                                "diagnostics": summary.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
                            }),
                        )?;
                    } else {
                        write(out, &text)?;
                    }
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(code: &str, message: &str) -> wire::CovenantDiagnostic {
        wire::CovenantDiagnostic {
            severity: "warning".into(),
            code: code.into(),
            message: message.into(),
            ..Default::default()
        }
    }

    /// "23 replayed, 23 unchanged" is followed by what the replay cannot see and the
    /// widening, so that nobody reads it as "nothing changes".
    #[test]
    fn a_preview_of_a_widening_states_its_blind_spot_and_lists_the_widening() {
        let summary = wire::PreviewSummary {
            from_version: 1,
            to_version: 2,
            replayed: 23,
            unchanged: 23,
            diagnostics: vec![
                diagnostic("replayed-with-current-case-facts", "facts as they are now"),
                diagnostic(
                    "refused-shares-not-logged",
                    "a share refused before its partner was asked was never logged",
                ),
            ],
            widening: vec![
                "zorgbetrokkenheid to an informatiemakelaar of gemeente for duiding, now permitted, passing contactpersoon, zorg_betrokken".into(),
            ],
            ..Default::default()
        };
        let text = preview_words(&summary, 0);
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
        };
        let counts = at("23 logged decision(s) replayed: 23 unchanged, 0 outcome changed");
        let blind = at(
            "what the replay cannot see: a share refused before its partner was asked was never logged",
        );
        let widening = at(
            "what version 2 lets through that version 1 did not (from the covenant diff, 1 kind(s) of share):\n  zorgbetrokkenheid to an informatiemakelaar of gemeente for duiding, now permitted",
        );
        let facts = at("warning: facts as they are now");
        assert!(
            counts < blind && blind < widening && widening < facts,
            "{text}"
        );
    }

    #[test]
    fn yes_and_ja_approve_anything_else_does_not() {
        for yes in ["yes", "y", "ja", "j", " Ja\n", "YES\r\n", "J"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "no", "nee", "n", "yes please", "jawel", "\n"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    fn party(oin: &str, name: &str) -> Option<wire::Party> {
        Some(wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: String::new(),
        })
    }

    fn politie_officer() -> wire::Person {
        wire::Person {
            id: "p-politie-090".into(),
            party: party("00000002000000000002", "Politie Eenheid Amsterdam"),
            roles: vec!["privacy-officer".into()],
            stadsdeel: String::new(),
            name: String::new(),
        }
    }

    #[test]
    fn a_party_that_approved_already_is_refused_as_the_hub_would() {
        let mut v = wire::CovenantVersion {
            version: 2,
            status: "proposed".into(),
            ..Default::default()
        };
        approvable_by(&v, &politie_officer()).unwrap();
        v.approvals.push(wire::CovenantApproval {
            approver: Some(wire::Person {
                id: "p-politie-091".into(),
                ..politie_officer()
            }),
            ..Default::default()
        });
        match approvable_by(&v, &politie_officer()) {
            Err(Error::Hub { code, message, .. }) => {
                assert_eq!(code, Code::AlreadyExists);
                assert!(
                    message.contains("Politie Eenheid Amsterdam approved version 2 already"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Another party's approval does not stop this one.
        let gemeente = wire::Person {
            party: party("00000001000000000001", "Gemeente Amsterdam"),
            ..politie_officer()
        };
        approvable_by(&v, &gemeente).unwrap();
        v.status = "in-force".into();
        assert!(matches!(
            approvable_by(&v, &gemeente),
            Err(Error::Hub {
                code: Code::FailedPrecondition,
                ..
            })
        ));
    }
}
