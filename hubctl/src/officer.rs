//! The privacy officers' commands: read the options, ask the `PrivacyOfficer` service
//! through [`crate::queries::officer`] (which the console's officer pages share), print
//! the answer.
//!
//! A privacy officer receives no case data (article 5.2): nothing here prints a field
//! value or a person's name, only what the hub's answers hold (parties by name, field
//! names, pseudonyms, articles). Identifying data given to `inzage request` was
//! pseudonymised before any connection was made ([`crate::commands`]).

use std::path::Path;

use time::OffsetDateTime;

use crate::cli::*;
use crate::commands::{Out, new_request_id, usage};
use crate::error::Error;
use crate::hub::Hub;
use crate::officer_report as report;
use crate::queries::officer::{self as queries, LogFilter, NotificationFilter};
use crate::when;

/// Added to a PERMISSION_DENIED explanation of these commands.
/// Added to the hub's refusal, which already says why (art. 5.2, 10.3): only what to do.
const FOR_OFFICERS: &str = "use the certificate of your party's privacy officer";

/// The moments of `--from` and `--until`, read as the command line reads times.
fn moments(
    from: Option<&str>,
    until: Option<&str>,
    now: OffsetDateTime,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), Error> {
    let from = from
        .map(|t| when::parse_time("--from", t, now).map_err(usage))
        .transpose()?;
    let until = until
        .map(|t| when::parse_time("--until", t, now).map_err(usage))
        .transpose()?;
    Ok((from, until))
}

/// `hubctl log ...`.
pub(crate) async fn log(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: LogCommand,
    now: OffsetDateTime,
) -> Result<(), Error> {
    hub.explain_refusals_with(FOR_OFFICERS);
    match c {
        LogCommand::Entries(a) => {
            let (from, until) = moments(a.from.as_deref(), a.until.as_deref(), now)?;
            let filter = LogFilter {
                case_id: a.case,
                from,
                until,
                kinds: a.kind,
                outcomes: a.outcome,
                categories: a.category,
                purposes: a.purpose,
                subject: a.subject,
                direction: a.direction,
                emergency_only: a.emergency_only,
            };
            let req = filter.request(a.from_leaf, a.max.unwrap_or(0), a.include_entry);
            let entries = queries::query_log(hub, req).await?;
            if out.json {
                return out.answer(|| report::entries_json(&entries), String::new);
            }
            match a.format {
                LogFormat::Table => out.text(&report::entries_table(&entries)),
                LogFormat::Jsonl => {
                    for e in &entries {
                        out.json_line(&report::entry_json(e))?;
                    }
                    Ok(())
                }
                LogFormat::Csv => out.text(&report::entries_csv(&entries)),
            }
        }
        LogCommand::Verify => {
            let outcome = crate::logverify::verify(hub, now).await?;
            out.answer(|| outcome.to_json(), || outcome.to_text())
        }
        LogCommand::Logboek(a) => logboek(hub, out, a, now).await,
    }
}

/// `hubctl log logboek`: the records on standard output, the count on standard error.
async fn logboek(
    hub: &mut Hub,
    out: &mut Out<'_>,
    a: LogboekArgs,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let (from, until) = moments(a.from.as_deref(), a.until.as_deref(), now)?;
    if !a.activity_prefix.contains(':') || a.activity_prefix.contains(char::is_whitespace) {
        return Err(Error::Usage(
            "--activity-prefix: give the start of a URI, e.g. https://register.example.nl/verwerkingsactiviteiten/".into(),
        ));
    }
    let filter = LogFilter {
        case_id: a.case,
        from,
        until,
        subject: a.subject,
        ..LogFilter::default()
    };
    let entries = queries::query_log(hub, filter.request(0, 0, false)).await?;
    let origin = queries::latest_checkpoint(hub).await?.origin;
    let mut skipped = 0usize;
    let mut written = 0usize;
    for e in &entries {
        let Some(record) = crate::logboek::record(e, &origin, &a.activity_prefix) else {
            skipped += 1;
            continue;
        };
        // Never hand a Logboek a record outside the documented form.
        crate::logboek::validate(&record).map_err(|problem| {
            Error::Usage(format!(
                "entry {} does not map to a valid Logboek record ({problem}); nothing more was written",
                e.leaf_index
            ))
        })?;
        out.json_line(&record)?;
        written += 1;
    }
    eprintln!(
        "{written} Logboek record(s) written; {skipped} entr{} about no data subject left out (docs/LOGBOEK.md)",
        if skipped == 1 { "y" } else { "ies" }
    );
    Ok(())
}

/// `hubctl evidence`.
pub(crate) async fn evidence(
    hub: &mut Hub,
    out: &mut Out<'_>,
    a: EvidenceArgs,
    now: OffsetDateTime,
) -> Result<(), Error> {
    hub.explain_refusals_with(
        "an evidence bundle is made by your party's privacy officer, of your party's entries only (art. 5.2, 10.3): use that certificate",
    );
    let (from, until) = moments(a.from.as_deref(), a.until.as_deref(), now)?;
    let entries = a
        .entries
        .as_deref()
        .map(crate::evidence::parse_entries)
        .transpose()
        .map_err(Error::Usage)?
        .unwrap_or_default();
    let mut words = Vec::new();
    if let Some(c) = &a.case {
        words.push(format!("zaak {c}"));
    }
    if let Some(e) = &a.entries {
        words.push(format!("regels {e}"));
    }
    if let Some(s) = &a.subject {
        words.push(format!("betrokkene {s}"));
    }
    if let Some(f) = from {
        words.push(format!("gelogd vanaf {}", when::show(f)));
    }
    if let Some(u) = until {
        words.push(format!("gelogd tot en met {}", when::show(u)));
    }
    let selection = crate::evidence::Selection {
        case_id: a.case,
        subject: a.subject,
        from,
        until,
        entries,
        words: words.join("; "),
    };
    let written = crate::evidence::export(
        hub,
        &selection,
        &a.out,
        std::time::Duration::from_secs(a.wait),
        now,
    )
    .await?;
    out.answer(|| written.to_json(), || written.to_text())
}

fn write_document(out: &mut Out<'_>, file: Option<&Path>, text: &str) -> Result<(), Error> {
    match file {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display()))),
        None => out.text(text),
    }
}

/// `hubctl inzage ...`.
pub(crate) async fn inzage(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: InzageCommand,
    pseudonym: Option<String>,
    now: OffsetDateTime,
) -> Result<(), Error> {
    hub.explain_refusals_with(
        "inzage is produced for the gemeente's privacy officer only (art. 11.1): use that certificate",
    );
    match c {
        InzageCommand::Request(a) => {
            let subject = pseudonym.ok_or_else(|| {
                Error::Usage("give the subject's identifying data or --pseudonym".into())
            })?;
            let received_on =
                when::parse_date("--received-on", &a.received_on, now).map_err(usage)?;
            let report = queries::request_inzage(
                hub,
                &new_request_id(),
                &subject,
                &received_on,
                a.reference.as_deref().unwrap_or_default(),
            )
            .await?;
            if out.json {
                return out.answer(|| report::inzage_json(&report), String::new);
            }
            write_document(out, a.out.as_deref(), &report.markdown)?;
            if let Some(path) = &a.out {
                out.text(&format!(
                    "inzage {} written to {} ({} shares); answer by {} (art. 11.2)\n",
                    report.id,
                    path.display(),
                    report.items.len(),
                    report.due_on
                ))?;
            }
            Ok(())
        }
        InzageCommand::List => {
            let inzages = queries::list_inzages(hub).await?;
            out.answer(
                || serde_json::Value::Array(inzages.iter().map(report::inzage_json).collect()),
                || report::inzage_list(&inzages, now),
            )
        }
        InzageCommand::Show(a) => {
            let report = queries::get_inzage(hub, &a.id).await?;
            if out.json {
                return out.answer(|| report::inzage_json(&report), String::new);
            }
            write_document(out, a.out.as_deref(), &report.markdown)
        }
    }
}

/// `hubctl notifications ...`.
pub(crate) async fn notifications(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: NotificationsCommand,
    now: OffsetDateTime,
) -> Result<(), Error> {
    hub.explain_refusals_with(FOR_OFFICERS);
    match c {
        NotificationsCommand::List(a) => {
            let (from, until) = moments(a.from.as_deref(), a.until.as_deref(), now)?;
            let filter = NotificationFilter {
                kinds: a.kind,
                open_only: a.open,
                case_id: a.case,
                from,
                until,
            };
            let list = queries::list_notifications(hub, &filter).await?;
            let (all, open, overdue) = (&list.notifications, list.open, list.overdue);
            out.answer(
                || report::notifications_json(all, open, overdue),
                || report::notifications(all, open, overdue, now),
            )
        }
        NotificationsCommand::Ack(a) => {
            let ids = full_notification_ids(hub, &a.ids).await?;
            let now_seen = queries::acknowledge_notifications(hub, &new_request_id(), &ids).await?;
            out.answer(
                || report::notifications_json(&now_seen, 0, 0),
                || report::notifications(&now_seen, 0, 0, now),
            )
        }
        NotificationsCommand::Review(a) => {
            let ids = full_notification_ids(hub, &a.ids).await?;
            let reviewed = queries::record_review(
                hub,
                &new_request_id(),
                &ids,
                &a.verdict,
                a.note.as_deref().unwrap_or_default(),
            )
            .await?;
            out.answer(
                || report::notifications_json(&reviewed, 0, 0),
                || report::notifications(&reviewed, 0, 0, now),
            )
        }
    }
}

/// The notification ids the command line names, each given whole or by a unique start
/// (as `notifications list` prints them), looked up among the party's notifications.
async fn full_notification_ids(hub: &mut Hub, given: &[String]) -> Result<Vec<String>, Error> {
    let known = queries::list_notifications(hub, &NotificationFilter::default()).await?;
    let ids: Vec<&str> = known.notifications.iter().map(|n| n.id.as_str()).collect();
    given
        .iter()
        .map(|g| complete_notification_id(g, &ids))
        .collect()
}

/// `given` completed among `known`: itself when it is one, else the one id that starts
/// with it. Several candidates: a usage error that lists them; none: not found.
fn complete_notification_id(given: &str, known: &[&str]) -> Result<String, Error> {
    let g = given.trim();
    if known.contains(&g) {
        return Ok(g.to_owned());
    }
    let candidates: Vec<&str> = if g.is_empty() {
        Vec::new()
    } else {
        known
            .iter()
            .copied()
            .filter(|id| id.starts_with(g))
            .collect()
    };
    match candidates.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(Error::NotFound(format!(
            "no notification of your party has an id that is or starts with \"{}\"; `hubctl notifications list` shows their ids",
            crate::report::esc(g)
        ))),
        several => Err(Error::Usage(format!(
            "\"{}\" starts {} notification ids: {}; give more of the id",
            crate::report::esc(g),
            several.len(),
            several.join(", ")
        ))),
    }
}

#[cfg(test)]
mod notification_id_tests {
    use super::*;

    #[test]
    fn a_unique_start_of_a_notification_id_is_enough() {
        let known = ["N-2026-0001-ab12", "N-2026-0001-ab34", "N-2026-0002-cd56"];
        assert_eq!(
            complete_notification_id("N-2026-0002", &known).unwrap(),
            "N-2026-0002-cd56"
        );
        assert_eq!(
            complete_notification_id("N-2026-0001-ab12", &known).unwrap(),
            "N-2026-0001-ab12"
        );
        let several = complete_notification_id("N-2026-0001", &known).unwrap_err();
        assert_eq!(several.exit(), crate::error::Exit::Usage);
        let text = several.to_string();
        assert!(
            text.contains("N-2026-0001-ab12") && text.contains("N-2026-0001-ab34"),
            "{text}"
        );
        let none = complete_notification_id("X-1", &known).unwrap_err();
        assert_eq!(none.exit(), crate::error::Exit::NotFound);
        assert!(none.to_string().contains("notifications list"), "{none}");
        assert_eq!(
            complete_notification_id("", &known).unwrap_err().exit(),
            crate::error::Exit::NotFound
        );
    }
}
