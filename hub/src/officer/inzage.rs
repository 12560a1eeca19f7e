//! Inzage (article 11): the overview for one subject of what was shared about it.
//!
//! Only a privacy officer of a party of kind `gemeente` may ask (art. 11.1): the hub
//! produces the overview from the whole log, every party's shares included. It holds
//! what the log holds: parties, roles, categories, purposes, field names, outcomes and
//! times. It never holds a field value (the log has none, article 12.3), a person's
//! name or any free text; the gemeente's own reference is kept with the request but
//! never logged.
//!
//! Reports are stored in [`crate::tables::inzages`] under `r/<id>` (prost-encoded, with
//! items and documents), ids `I-<year>-<nnnn>` counted per year in
//! [`crate::tables::meta`] as `inzage-seq/<year>`.

use std::sync::Arc;

use treiter_policies::vocab::PartyKind;
use treiter_proto::calendar::{self, date_text};
use treiter_proto::v1 as wire;

use super::{Officer, idempotency, render};
use crate::clock::timestamp;
use crate::error::HubError;
use crate::log::Event;
use crate::log::entry::CaseChangeKind;
use crate::state::Hub;
use crate::store::Batch;
use crate::tables::inzages;

mod document;

/// Article 11.2: four weeks, from the Amsterdam day the request was received.
const ANSWER_WITHIN_WEEKS: u32 = 4;
/// InzageRequest.reference.
const MAX_REFERENCE_CHARS: usize = 100;
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The overview of one subject from the log's first `size` entries.
fn overview(
    hub: &Hub,
    subject: &str,
    size: u64,
) -> Result<(Vec<wire::InzageCase>, Vec<wire::InzageItem>), HubError> {
    let mut cases: Vec<wire::InzageCase> = Vec::new();
    let mut items = Vec::new();
    for index in 0..size {
        let stored = hub.log.entry(index).map_err(|e| {
            HubError::unavailable(format!("the decision log could not be read: {e}; retry"))
        })?;
        let at = stored.entry.time.to_datetime().map(timestamp);
        match &stored.entry.event {
            Event::ShareDecision(d) if d.subject.as_str() == subject => {
                items.push(wire::InzageItem {
                    decided_at: at,
                    case_id: d.case.as_str().to_owned(),
                    source: Some(render::party(hub, d.source)),
                    recipient_party: Some(render::party(hub, d.recipient)),
                    recipient_role: d.requester.role.as_str().to_owned(),
                    category: d.category.as_str().to_owned(),
                    purpose: d.purpose.as_str().to_owned(),
                    outcome: d.outcome.as_str().to_owned(),
                    fields_passed: d.fields_passed().iter().map(|f| f.to_string()).collect(),
                    fields_stripped: d.fields_stripped.iter().map(|f| f.to_string()).collect(),
                    articles: d.articles.iter().map(|a| a.to_string()).collect(),
                    emergency: d.emergency,
                    log_leaf_index: index,
                });
            }
            Event::CaseChange(c) => match &c.change {
                CaseChangeKind::SubjectAdded { subject: s, role } if s.as_str() == subject => {
                    cases.push(wire::InzageCase {
                        case_id: c.case.as_str().to_owned(),
                        role: role.as_str().to_owned(),
                        added_at: at,
                        ..Default::default()
                    });
                }
                CaseChangeKind::SubjectUpdated { subject: s, role } if s.as_str() == subject => {
                    if let Some(case) = cases
                        .iter_mut()
                        .rev()
                        .find(|k| k.case_id == c.case.as_str())
                    {
                        case.role = role.as_str().to_owned();
                    }
                }
                CaseChangeKind::SubjectRemoved { subject: s } if s.as_str() == subject => {
                    if let Some(case) = cases
                        .iter_mut()
                        .rev()
                        .find(|k| k.case_id == c.case.as_str())
                    {
                        case.removed_at = at;
                    }
                }
                _ => {}
            },
            Event::RetentionDeletion(r) => {
                for case in cases.iter_mut().filter(|k| k.case_id == r.case.as_str()) {
                    case.deleted_at = at;
                }
            }
            _ => {}
        }
    }
    Ok((cases, items))
}

fn next_id(hub: &Hub, year: i32) -> Result<(String, Batch), HubError> {
    let mut batch = Batch::new();
    let next = crate::tables::meta::next_counter(
        hub.store.as_ref(),
        &format!("inzage-seq/{year}"),
        &mut batch,
    )
    .map_err(HubError::Store)?;
    Ok((format!("I-{year}-{next:04}"), batch))
}

fn load(hub: &Hub, id: &str) -> Result<Option<wire::InzageReport>, HubError> {
    inzages::get(hub.store.as_ref(), id).map_err(HubError::Store)
}

fn of_party(report: &wire::InzageReport, officer: &Officer) -> bool {
    report
        .produced_by
        .as_ref()
        .and_then(|p| p.party.as_ref())
        .is_some_and(|p| p.oin == officer.party.oin.to_string())
}

pub async fn request_inzage(
    hub: &Arc<Hub>,
    officer: &Officer,
    request: wire::InzageRequest,
) -> Result<wire::InzageReport, HubError> {
    if officer.party.kind != PartyKind::Gemeente {
        return Err(HubError::permission_denied(format!(
            "inzage is produced for the gemeente's privacy officer only; {} is of kind {} \
             (art. 11.1)",
            officer.party.name,
            officer.party.kind.as_str()
        )));
    }
    let subject = super::log_access::subject_hex("subject.hex", request.subject.as_ref())?;
    if subject.is_empty() {
        return Err(HubError::invalid_argument(
            "subject.hex: the subject's pseudonym is required",
        ));
    }
    let now = hub.clock.now();
    let today = calendar::today(now);
    let received = if request.received_on.is_empty() {
        today
    } else {
        calendar::check_not_future("received_on", &request.received_on, now)
            .map_err(|e| HubError::invalid_argument(e.to_string()))?
    };
    // Shown in `hubctl inzage list` and in the report.
    treiter_proto::text::check_line("reference", &request.reference, MAX_REFERENCE_CHARS)
        .map_err(|e| HubError::invalid_argument(e.to_string()))?;
    let _writing = super::writing(hub).await?;
    let fingerprint = format!(
        "inzage:{subject}:{}:{}",
        date_text(received),
        request.reference
    );
    if let Some(id) = idempotency::replay(hub, officer, &request.client_request_id, &fingerprint)? {
        return load(hub, &id)?.ok_or_else(|| {
            HubError::internal(format!("inzage {id} was recorded but cannot be read"))
        });
    }
    let size = hub.log.tree_size();
    // Reading the whole log is blocking file I/O: off the async threads.
    let (cases, items) = {
        let (hub, subject) = (Arc::clone(hub), subject.clone());
        tokio::task::spawn_blocking(move || overview(&hub, &subject, size))
            .await
            .map_err(|e| HubError::internal(format!("the inzage overview failed: {e}")))??
    };
    let (id, mut batch) = next_id(hub, today.year())?;
    let mut report = wire::InzageReport {
        id: id.clone(),
        subject: Some(wire::SubjectPseudonym {
            hex: subject.clone(),
        }),
        received_on: date_text(received),
        due_on: date_text(calendar::weeks_after(received, ANSWER_WITHIN_WEEKS)),
        reference: request.reference.clone(),
        produced_at: Some(timestamp(now)),
        produced_by: Some(render::officer(officer)),
        tree_size: size,
        cases,
        items,
        markdown: String::new(),
        json: String::new(),
    };
    report.markdown = document::markdown(&report);
    report.json = document::json(&report);
    inzages::put(&mut batch, &id, &report);
    idempotency::record(officer, &request.client_request_id, &fingerprint, &id)?.put(&mut batch);
    hub.store.apply(batch).map_err(HubError::Store)?;
    tracing::info!(
        inzage = %id,
        party = %officer.party.oin,
        person = %officer.person.id,
        items = report.items.len(),
        "inzage overview produced"
    );
    Ok(report)
}

pub async fn get_inzage(
    hub: &Hub,
    officer: &Officer,
    request: wire::GetInzageRequest,
) -> Result<wire::InzageReport, HubError> {
    load(hub, &request.inzage_id)?
        .filter(|r| of_party(r, officer))
        .ok_or_else(|| {
            HubError::not_found(format!(
                "inzage {} does not exist for {}",
                request.inzage_id, officer.party.name
            ))
        })
}

pub async fn list_inzages(
    hub: &Hub,
    officer: &Officer,
    request: wire::ListInzagesRequest,
) -> Result<wire::ListInzagesResponse, HubError> {
    let size = match request.page_size {
        0 => DEFAULT_PAGE,
        n => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
    };
    let offset = if request.page_token.is_empty() {
        0
    } else {
        request
            .page_token
            .parse::<usize>()
            .map_err(|_| HubError::invalid_argument("page_token: not a token this hub gave out"))?
    };
    let mut reports: Vec<wire::InzageReport> = inzages::all(hub.store.as_ref())
        .map_err(HubError::Store)?
        .into_iter()
        .filter(|r| of_party(r, officer))
        .collect();
    // Newest first: by when produced, then id.
    reports.sort_by(|a, b| {
        let key = |r: &wire::InzageReport| {
            (
                r.produced_at.as_ref().map(|t| (t.seconds, t.nanos)),
                r.id.clone(),
            )
        };
        key(b).cmp(&key(a))
    });
    let next = offset.saturating_add(size);
    let more = next < reports.len();
    Ok(wire::ListInzagesResponse {
        inzages: reports
            .into_iter()
            .skip(offset)
            .take(size)
            .map(|mut r| {
                r.cases.clear();
                r.items.clear();
                r.markdown.clear();
                r.json.clear();
                r
            })
            .collect(),
        next_page_token: if more {
            next.to_string()
        } else {
            String::new()
        },
    })
}
