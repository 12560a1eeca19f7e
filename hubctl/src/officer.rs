//! The privacy officers' commands: build the request, call the `PrivacyOfficer`
//! service, print the answer.
//!
//! A privacy officer receives no case data (article 5.2): nothing here prints a field
//! value or a person's name, only what the hub's answers hold (parties by name, field
//! names, pseudonyms, articles). Identifying data given to `inzage request` was
//! pseudonymised before any connection was made ([`crate::commands`]).

use std::path::Path;

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::cli::*;
use crate::commands::{Out, new_request_id, usage};
use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, OfficerClient, Retry};
use crate::officer_report as report;
use crate::when;

/// Added to a PERMISSION_DENIED explanation of these commands.
const FOR_OFFICERS: &str = "the decision log, inzage and notifications are for privacy officers (art. 5.2, 10.3); use the certificate of your party's privacy officer";

/// Reads every entry of a QueryLog stream.
pub async fn query_log(
    hub: &mut Hub,
    req: wire::QueryLogRequest,
) -> Result<Vec<wire::LogEntry>, Error> {
    hub.call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
        let r = req.clone();
        async move {
            let mut stream = c.query_log(r).await?.into_inner();
            let mut entries = Vec::new();
            while let Some(entry) = stream.message().await? {
                entries.push(entry);
            }
            Ok(tonic::Response::new(entries))
        }
    })
    .await
}

fn period(
    from: Option<&str>,
    until: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<wire::Period>, Error> {
    if from.is_none() && until.is_none() {
        return Ok(None);
    }
    let from = from
        .map(|t| when::parse_time("--from", t, now).map_err(usage))
        .transpose()?;
    let until = until
        .map(|t| when::parse_time("--until", t, now).map_err(usage))
        .transpose()?;
    Ok(Some(wire::Period {
        from: from.map(when::to_timestamp),
        until: until.map(when::to_timestamp),
    }))
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
            let req = wire::QueryLogRequest {
                case_id: a.case.unwrap_or_default(),
                period: period(a.from.as_deref(), a.until.as_deref(), now)?,
                kinds: a.kind,
                outcomes: a.outcome,
                categories: a.category,
                purposes: a.purpose,
                subject: a.subject.map(|hex| wire::SubjectPseudonym { hex }),
                direction: a.direction.unwrap_or_default(),
                emergency_only: a.emergency_only,
                from_leaf_index: a.from_leaf,
                max_entries: a.max.unwrap_or(0),
                include_entry: a.include_entry,
            };
            let entries = query_log(hub, req).await?;
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
    }
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
        "inzage is produced for the gemeente's privacy officer only (art. 11.1); use that certificate",
    );
    match c {
        InzageCommand::Request(a) => {
            let subject = pseudonym.ok_or_else(|| {
                Error::Usage("give the subject's identifying data or --pseudonym".into())
            })?;
            let received_on =
                when::parse_date("--received-on", &a.received_on, now).map_err(usage)?;
            let req = wire::InzageRequest {
                client_request_id: new_request_id(),
                subject: Some(wire::SubjectPseudonym { hex: subject }),
                received_on,
                reference: a.reference.unwrap_or_default(),
            };
            let report = hub
                .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                    let r = req.clone();
                    async move { c.request_inzage(r).await }
                })
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
            let list = hub
                .call_as(
                    Retry::Once,
                    CALL_TIMEOUT,
                    |mut c: OfficerClient| async move {
                        c.list_inzages(wire::ListInzagesRequest::default()).await
                    },
                )
                .await?;
            out.answer(
                || serde_json::Value::Array(list.inzages.iter().map(report::inzage_json).collect()),
                || report::inzage_list(&list.inzages, now),
            )
        }
        InzageCommand::Show(a) => {
            let req = wire::GetInzageRequest { inzage_id: a.id };
            let report = hub
                .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                    let r = req.clone();
                    async move { c.get_inzage(r).await }
                })
                .await?;
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
            let mut req = wire::ListNotificationsRequest {
                kinds: a.kind,
                open_only: a.open,
                period: period(a.from.as_deref(), a.until.as_deref(), now)?,
                case_id: a.case.unwrap_or_default(),
                page_size: 1000,
                page_token: String::new(),
            };
            let mut all = Vec::new();
            let (open, overdue) = loop {
                let page = hub
                    .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                        let r = req.clone();
                        async move { c.list_notifications(r).await }
                    })
                    .await?;
                all.extend(page.notifications);
                if page.next_page_token.is_empty() {
                    break (page.open, page.overdue);
                }
                req.page_token = page.next_page_token;
            };
            out.answer(
                || report::notifications_json(&all, open, overdue),
                || report::notifications(&all, open, overdue, now),
            )
        }
        NotificationsCommand::Ack(a) => {
            let req = wire::AcknowledgeNotificationRequest {
                client_request_id: new_request_id(),
                notification_ids: a.ids,
            };
            let u = hub
                .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                    let r = req.clone();
                    async move { c.acknowledge_notification(r).await }
                })
                .await?;
            out.answer(
                || report::notifications_json(&u.notifications, 0, 0),
                || report::notifications(&u.notifications, 0, 0, now),
            )
        }
        NotificationsCommand::Review(a) => {
            let req = wire::RecordReviewRequest {
                client_request_id: new_request_id(),
                notification_ids: a.ids,
                verdict: a.verdict,
                note: a.note.unwrap_or_default(),
            };
            let u = hub
                .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                    let r = req.clone();
                    async move { c.record_review(r).await }
                })
                .await?;
            out.answer(
                || report::notifications_json(&u.notifications, 0, 0),
                || report::notifications(&u.notifications, 0, 0, now),
            )
        }
    }
}
