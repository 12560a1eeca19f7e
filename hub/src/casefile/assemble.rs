//! Assembling a case file: relevance, bevraging, share requests, decisions.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tonic::Status;
use treiter_policies::request::Outcome;
use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::v1 as wire;
use treiter_proto::v1::{answer, question};

use super::decide::{ShareContext, permits, wire_decision};
use super::files::{self, Notice, QueuedRequest};
use super::progress;
use crate::cases::access::AccessKind;
use crate::parties::Party;
use crate::persons::Person;
use crate::questions::{AskOutcome, LateAnswer};
use crate::service::coordinator::timestamp;
use crate::state::Hub;

/// The longest per-partner deadline a request may ask for.
pub const MAX_DEADLINE: Duration = Duration::from_secs(60);

/// Serialises read-modify-write of stored case files (late answers may arrive for one
/// file from several partners at once).
static FILE_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type Events = mpsc::Sender<Result<wire::CaseFileEvent, Status>>;

fn event(e: wire::case_file_event::Event) -> Result<wire::CaseFileEvent, Status> {
    Ok(wire::CaseFileEvent { event: Some(e) })
}

fn subject_hex(hex: &str) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: hex.to_owned(),
    })
}

/// What was decided for one party and subject before anything was asked.
struct Plan {
    party: Party,
    /// Per subject: the categories the party may provide to the requester.
    subjects: Vec<(String, Vec<Category>)>,
    /// Articles of the refusals, for subjects (or a party) with nothing to ask.
    refused: BTreeSet<String>,
}

/// Works out, with the engine, what each party could provide: a party is asked about a
/// subject only for the categories an (empty) share of which would be permitted.
fn plan(hub: &Hub, ctx: &ShareContext, subjects: &[String], categories: &[Category]) -> Vec<Plan> {
    hub.parties
        .current()
        .iter()
        .map(|party| {
            let mut refused = BTreeSet::new();
            let subjects = subjects
                .iter()
                .map(|subject| {
                    let allowed = categories
                        .iter()
                        .copied()
                        .filter(|c| {
                            let decision = ctx.decide(party, subject, *c, Vec::new());
                            if !permits(&decision) {
                                refused.extend(decision.articles.iter().map(|a| a.to_string()));
                            }
                            permits(&decision)
                        })
                        .collect::<Vec<_>>();
                    (subject.clone(), allowed)
                })
                .collect();
            Plan {
                party: party.clone(),
                subjects,
                refused,
            }
        })
        .collect()
}

/// The privacy officers' notices a decision calls for (articles 7, 15.2), keyed by the
/// notified party's OIN, for the case-file entry at `position`.
fn notices_for(
    ctx: &ShareContext,
    file_id: &str,
    category: Category,
    decision: &treiter_policies::Decision,
    position: usize,
) -> Vec<(String, Notice)> {
    decision
        .notify
        .iter()
        .map(|n| {
            (
                format!("{:020}", n.oin.0),
                Notice {
                    article: n.article.to_string(),
                    case_id: ctx.case.id.clone(),
                    file_id: file_id.to_owned(),
                    category: category.as_str().to_owned(),
                    recipient_person: ctx.requester.id.clone(),
                    at: ctx.at,
                    log_leaf_index: None,
                    entry_position: Some(position),
                },
            )
        })
        .collect()
}

/// The category of a line the source withheld, if it was one asked for.
fn withheld_category(withheld: &wire::WithheldAtSource, asked: &[Category]) -> Option<Category> {
    withheld
        .category
        .parse::<Category>()
        .ok()
        .filter(|c| asked.contains(c))
}

/// The field names the source offered in a withheld line: for a refusal the agent's
/// decision lists them all under `stripped` (node-agent `gate::decision_to_proto`).
fn withheld_names(withheld: &wire::WithheldAtSource) -> Vec<String> {
    let mut names: Vec<String> = withheld
        .decision
        .iter()
        .flat_map(|d| d.passed.iter().chain(&d.stripped))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Decides the records (and the agent's own withheld lines) of one share answer.
pub fn decide_records(
    ctx: &ShareContext,
    file_id: &str,
    party: &Party,
    subject: &str,
    asked: &[Category],
    answer: &wire::ShareAnswer,
    late: bool,
) -> Decided {
    let team = crate::cases::access::access(&ctx.requester, &ctx.case, ctx.at)
        .is_some_and(|a| a.access == AccessKind::CaseTeam);
    let case_subject = ctx.case.subject(subject);
    let role = case_subject
        .map(|s| s.role.as_str().to_owned())
        .unwrap_or_default();
    let label = case_subject
        .filter(|_| team)
        .map(|s| s.label.clone())
        .unwrap_or_default();
    let mut entries = Vec::new();
    let mut notices = Vec::new();
    let mut log = Vec::new();
    let mut unasked = 0;
    for record in &answer.records {
        let category = record
            .category
            .parse::<Category>()
            .ok()
            .filter(|c| asked.contains(c));
        let about = record.subject.as_ref().map(|s| s.hex.as_str());
        let Some(category) = category.filter(|_| about == Some(subject)) else {
            // Never pass on what was not asked for, nor log it as a share: a record
            // about someone outside the case (or of a category not asked) was never
            // requested, and writing its pseudonym into the decision log would keep a
            // trace of that person for years. The hub's refusal is counted for the
            // operator (`unasked-record` in `hub status`) and logged here without the
            // record's subject or content.
            tracing::warn!(
                case = %ctx.case.id,
                party = %party.oin,
                why = if about == Some(subject) {
                    "a category that was not asked"
                } else {
                    "about a subject that was not asked about"
                },
                "a partner sent a record it was not asked for; dropped"
            );
            unasked += 1;
            continue;
        };
        let mut names: Vec<String> = Vec::new();
        let offered = record
            .fields
            .iter()
            .map(|f| &f.name)
            .chain(&record.stripped_at_source);
        for name in offered {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        let decision = ctx.decide(party, subject, category, names.clone());
        match super::decide::log_entry(ctx, party, subject, category, &names, &decision) {
            Ok(entry) => log.push((entries.len(), entry)),
            Err(error) => {
                // An entry that cannot be logged cannot pass (article 10.1).
                return Decided {
                    entries: Vec::new(),
                    notices: Vec::new(),
                    log: Vec::new(),
                    unloggable: Some(error.to_string()),
                    unasked,
                };
            }
        }
        let fields = decision
            .passed
            .iter()
            .filter_map(|name| record.fields.iter().find(|f| &f.name == name).cloned())
            .collect();
        tracing::info!(
            case = %ctx.case.id,
            source = %party.oin,
            recipient = %ctx.requester.id,
            role = %ctx.role,
            subject = %subject,
            category = %category,
            purpose = %ctx.purpose,
            outcome = decision.outcome.as_str(),
            articles = ?decision.articles.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            offered = ?names,
            stripped = ?decision.stripped,
            "share decided"
        );
        notices.extend(notices_for(
            ctx,
            file_id,
            category,
            &decision,
            entries.len(),
        ));
        let withheld = decision.outcome != Outcome::Permit;
        entries.push(wire::CaseFileEntry {
            source: Some(party.to_proto()),
            category: category.as_str().to_owned(),
            subject: subject_hex(subject),
            subject_role: role.clone(),
            subject_label: label.clone(),
            decision: Some(wire_decision(&decision)),
            fields,
            decided_by: "hub".into(),
            provenance: Some(wire::Provenance {
                source_reference: if withheld {
                    String::new()
                } else {
                    record.source_reference.clone()
                },
                recorded_at: if withheld { None } else { record.recorded_at },
                decided_at: Some(timestamp(ctx.at)),
                // The tamper-evident decision log arrives with issue 10.
                log_leaf_index: 0,
            }),
            late,
        });
    }
    for withheld in &answer.withheld {
        // The source's own pre-check refused a record and reported the names it
        // offered. Article 10.1 wants that refusal in the log like any other: the hub
        // decides the same offer with the same covenant and logs its decision, and the
        // privacy officers it names are notified (article 7).
        let hub_decision = withheld_category(withheld, asked).map(|category| {
            let names = withheld_names(withheld);
            let decision = ctx.decide(party, subject, category, names.clone());
            (category, names, decision)
        });
        match hub_decision {
            Some((category, names, decision)) if decision.outcome != Outcome::Permit => {
                match super::decide::log_entry(ctx, party, subject, category, &names, &decision) {
                    Ok(entry) => log.push((entries.len(), entry)),
                    Err(error) => {
                        return Decided {
                            entries: Vec::new(),
                            notices: Vec::new(),
                            log: Vec::new(),
                            unloggable: Some(error.to_string()),
                            unasked,
                        };
                    }
                }
                notices.extend(notices_for(
                    ctx,
                    file_id,
                    category,
                    &decision,
                    entries.len(),
                ));
            }
            _ => {
                // The hub would have let it pass (the agent decided under another
                // covenant version), or the line names a category that was not asked:
                // nothing passed, so there is no share decision of the hub's to log.
                tracing::warn!(
                    case = %ctx.case.id,
                    source = %party.oin,
                    category = %withheld.category,
                    "a record withheld by the source is not one the hub would refuse; not logged"
                );
            }
        }
        tracing::info!(
            case = %ctx.case.id,
            source = %party.oin,
            subject = %subject,
            category = %withheld.category,
            outcome = withheld.decision.as_ref().map(|d| d.outcome.as_str()).unwrap_or("-"),
            "share withheld by the source's own pre-check"
        );
        entries.push(wire::CaseFileEntry {
            source: Some(party.to_proto()),
            category: withheld.category.clone(),
            subject: subject_hex(subject),
            subject_role: role.clone(),
            subject_label: label.clone(),
            decision: withheld.decision.clone().map(|mut d| {
                // A withheld line shows no field names to the recipient.
                d.passed.clear();
                d.stripped.clear();
                d
            }),
            fields: Vec::new(),
            decided_by: "source".into(),
            provenance: Some(wire::Provenance {
                decided_at: Some(timestamp(ctx.at)),
                ..Default::default()
            }),
            late,
        });
    }
    Decided {
        entries,
        notices,
        log,
        unloggable: None,
        unasked,
    }
}

/// The decided records of one answer, and their decision-log entries.
pub struct Decided {
    pub entries: Vec<wire::CaseFileEntry>,
    pub notices: Vec<(String, Notice)>,
    /// Per hub-decided entry: its position in `entries` and its log entry.
    pub log: Vec<(usize, crate::log::Entry)>,
    /// Why a decision could not be turned into a log entry, if one could not.
    pub unloggable: Option<String>,
    /// Records the partner sent without being asked (another subject, a category not
    /// asked): dropped, see [`count_unasked`].
    pub unasked: usize,
}

/// Counts the records a partner sent without being asked, as the hub's refusals
/// (`unasked-record`, with the party's OIN and nothing of the records).
fn count_unasked(hub: &Hub, party: &Party, decided: &Decided) {
    for _ in 0..decided.unasked {
        hub.refusals.record(crate::refusals::Refusal {
            oin: Some(party.oin.to_string()),
            ..crate::refusals::Refusal::of(crate::refusals::RefusalReason::UnaskedRecord)
        });
    }
}

/// Appends the decisions to the log, durably, before anything of them may pass; the
/// entries get their leaf indices. On failure nothing of `decided` may pass (the log
/// fails closed, article 10).
async fn log_decisions(hub: &Hub, decided: &mut Decided) -> Result<(), String> {
    if let Some(why) = decided.unloggable.take() {
        return Err(why);
    }
    for (position, entry) in std::mem::take(&mut decided.log) {
        let counted = match &entry.event {
            crate::log::Event::ShareDecision(share) => Some((
                share.outcome.as_str().to_owned(),
                share
                    .articles
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        };
        let index = hub.log.append(entry).await.map_err(|e| e.to_string())?;
        if let Some((outcome, articles)) = counted {
            hub.metrics.decision(&outcome, &articles);
        }
        if let Some(provenance) = decided
            .entries
            .get_mut(position)
            .and_then(|e| e.provenance.as_mut())
        {
            provenance.log_leaf_index = index;
        }
        // The privacy officer's notification points at the entry that caused it.
        for (_, notice) in &mut decided.notices {
            if notice.entry_position == Some(position) {
                notice.log_leaf_index = Some(index);
            }
        }
    }
    Ok(())
}

/// The outcome of asking one party about one subject.
struct SubjectOutcome {
    result: wire::PartnerSubjectResult,
    entries: Vec<wire::CaseFileEntry>,
    notices: Vec<(String, Notice)>,
    queued: Option<(String, SystemTime, QueuedRequest)>,
    no_answer_detail: String,
    answered_at: Option<std::time::Instant>,
    /// Set when the decision log refused the decisions: nothing of them may pass.
    log_failure: Option<String>,
}

fn no_answer(outcome: &AskOutcome) -> (String, String) {
    match outcome {
        AskOutcome::Unanswerable { reason, detail } => (reason.clone(), detail.clone()),
        AskOutcome::NoAnswer { why, .. } => (why.as_reason().to_owned(), String::new()),
        AskOutcome::Answered(_) => (
            "protocol".into(),
            "the answer did not fit the question".into(),
        ),
    }
}

async fn ask_subject(
    hub: Arc<Hub>,
    ctx: Arc<ShareContext>,
    file_id: String,
    party: Party,
    subject: String,
    categories: Vec<Category>,
    deadline: tokio::time::Instant,
) -> SubjectOutcome {
    let mut outcome = SubjectOutcome {
        result: wire::PartnerSubjectResult {
            subject: subject_hex(&subject),
            status: "no-answer".into(),
            articles: Vec::new(),
            no_answer_reason: String::new(),
        },
        entries: Vec::new(),
        notices: Vec::new(),
        queued: None,
        no_answer_detail: String::new(),
        answered_at: None,
        log_failure: None,
    };
    let remaining = || deadline.saturating_duration_since(tokio::time::Instant::now());
    let bevraging = question::Kind::Bevraging(wire::Bevraging {
        subject: subject_hex(&subject),
    });
    let asked = hub
        .questioner
        .ask_for_case(&party.oin, bevraging, remaining(), &ctx.case.id)
        .await;
    let oin = party.oin.to_string();
    let hit = match &asked {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Bevraging(b)),
            ..
        }) => {
            let status = if b.hit { "hit" } else { "no-hit" };
            hub.assembling
                .bevraging(&file_id, &oin, &subject, status, "");
            b.hit
        }
        AskOutcome::NoAnswer {
            queued: Some(q), ..
        } => {
            hub.assembling
                .bevraging(&file_id, &oin, &subject, "offline-queued", "");
            outcome.result.status = "offline-queued".into();
            outcome.queued = Some((
                q.request_id.as_str().to_owned(),
                q.until,
                QueuedRequest {
                    file_id,
                    party: party.oin.to_string(),
                    subject,
                    kind: "bevraging".into(),
                    categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
                },
            ));
            return outcome;
        }
        other => {
            let (reason, detail) = no_answer(other);
            hub.assembling
                .bevraging(&file_id, &oin, &subject, "no-answer", &reason);
            outcome.result.no_answer_reason = reason;
            outcome.no_answer_detail = detail;
            return outcome;
        }
    };
    outcome.answered_at = Some(std::time::Instant::now());
    if !hit {
        outcome.result.status = "no-hit".into();
        return outcome;
    }
    outcome.result.status = "hit".into();
    share_request(
        &hub,
        &ctx,
        &file_id,
        &party,
        &subject,
        &categories,
        remaining(),
        false,
        &mut outcome,
    )
    .await;
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn share_request(
    hub: &Hub,
    ctx: &ShareContext,
    file_id: &str,
    party: &Party,
    subject: &str,
    categories: &[Category],
    wait: Duration,
    late: bool,
    outcome: &mut SubjectOutcome,
) {
    let role = ctx
        .case
        .subject(subject)
        .map(|s| s.role.as_str().to_owned())
        .unwrap_or_default();
    let request = question::Kind::ShareRequest(wire::ShareRequest {
        case: Some(ctx.wire_context()),
        subject: subject_hex(subject),
        subject_role: role,
        categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
        purpose: ctx.purpose.as_str().to_owned(),
        recipient: Some(ctx.wire_recipient()),
        at: Some(timestamp(ctx.at)),
        // The agent pre-checks only with this version (article 13.2).
        covenant_version: ctx.covenant.version(),
    });
    let asked = hub
        .questioner
        .ask_for_case(&party.oin, request, wait, &ctx.case.id)
        .await;
    match &asked {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Shares(shares)),
            ..
        }) => {
            let mut decided =
                decide_records(ctx, file_id, party, subject, categories, shares, late);
            if let Err(why) = log_decisions(hub, &mut decided).await {
                outcome.log_failure = Some(why);
                return;
            }
            count_unasked(hub, party, &decided);
            outcome.result.status = if decided.entries.is_empty() {
                "no-records"
            } else {
                "answered"
            }
            .into();
            outcome.entries = decided.entries;
            outcome.notices = decided.notices;
            outcome.answered_at = Some(std::time::Instant::now());
        }
        AskOutcome::NoAnswer {
            queued: Some(q), ..
        } => {
            outcome.result.status = "offline-queued".into();
            outcome.queued = Some((
                q.request_id.as_str().to_owned(),
                q.until,
                QueuedRequest {
                    file_id: file_id.to_owned(),
                    party: party.oin.to_string(),
                    subject: subject.to_owned(),
                    kind: "shares".into(),
                    categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
                },
            ));
        }
        other => {
            let (reason, detail) = no_answer(other);
            if reason == "covenant-version-mismatch" {
                // Article 13.2: the agent missed a switch; it gets the version now.
                crate::covenants::agents::send_to(hub, &party.oin);
            }
            outcome.result.status = "no-answer".into();
            outcome.result.no_answer_reason = reason;
            outcome.no_answer_detail = detail;
        }
    }
}

/// A party's status from its subjects and entries, by the precedence of
/// coordinator.proto's PartnerResult.status.
fn settle(partner: &mut wire::PartnerResult) {
    let any = |status: &str| partner.subjects.iter().any(|s| s.status == status);
    let passed = partner
        .entries
        .iter()
        .any(|e| e.decision.as_ref().is_some_and(|d| d.outcome == "permit"));
    let status = if passed {
        "answered"
    } else if !partner.entries.is_empty() {
        "withheld"
    } else if any("no-answer") {
        "no-answer"
    } else if any("offline-queued") || any("hit") {
        "offline-queued"
    } else if any("no-records") || any("answered") {
        "no-records"
    } else if any("no-hit") {
        "no-hit"
    } else {
        "not-asked"
    };
    partner.status = status.into();
    let mut articles: BTreeSet<String> = partner.articles.iter().cloned().collect();
    if status == "withheld" {
        for e in &partner.entries {
            if let Some(d) = &e.decision {
                articles.extend(d.articles.iter().cloned());
            }
        }
    }
    if status == "withheld" || status == "not-asked" {
        partner.articles = articles.into_iter().collect();
    } else {
        partner.articles.clear();
    }
    if status != "no-answer" {
        partner.no_answer_reason.clear();
        partner.no_answer_detail.clear();
    }
}

fn summarise(file: &mut wire::CaseFile, started: std::time::Instant) {
    let count = |s: &str| file.partners.iter().filter(|p| p.status == s).count() as u32;
    let entries = file.partners.iter().flat_map(|p| p.entries.iter());
    let permitted: Vec<_> = entries
        .clone()
        .filter_map(|e| e.decision.as_ref())
        .filter(|d| d.outcome == "permit")
        .collect();
    file.complete = !file
        .partners
        .iter()
        .flat_map(|p| p.subjects.iter())
        .any(|s| s.status == "offline-queued" || s.status == "hit");
    file.summary = Some(wire::CaseFileSummary {
        case_file_id: file.id.clone(),
        answered: count("answered"),
        withheld: count("withheld"),
        no_answer: count("no-answer"),
        offline_queued: count("offline-queued"),
        no_hit: count("no-hit"),
        not_asked: count("not-asked"),
        no_records: count("no-records"),
        entries_passed: permitted.len() as u32,
        entries_withheld: entries.count() as u32 - permitted.len() as u32,
        fields_stripped: permitted.iter().map(|d| d.stripped.len() as u32).sum(),
        emergency_entries: permitted.iter().filter(|d| d.emergency).count() as u32,
        complete: file.complete,
        duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
    });
}

fn next_file_id(hub: &Hub, case_id: &str) -> Result<String, Status> {
    let unavailable = |e: crate::store::StoreError| Status::unavailable(e.to_string());
    let mut batch = crate::store::Batch::new();
    let next = crate::store::next_counter(
        hub.store.as_ref(),
        &format!("casefile-seq/{case_id}"),
        &mut batch,
    )
    .map_err(unavailable)?;
    hub.store.apply(batch).map_err(unavailable)?;
    Ok(format!("CF-{}-{next:04}", case_id.trim_start_matches("C-")))
}

fn wire_subjects(ctx: &ShareContext, subjects: &[String], team: bool) -> Vec<wire::Subject> {
    subjects
        .iter()
        .filter_map(|s| ctx.case.subject(s))
        .map(|s| wire::Subject {
            subject: subject_hex(&s.pseudonym),
            role: s.role.as_str().to_owned(),
            label: if team { s.label.clone() } else { String::new() },
            added_at: Some(timestamp(s.added_at)),
            ..Default::default()
        })
        .collect()
}

/// The requester's context for a case file or bevraging on `case_id`.
fn context(
    hub: &Hub,
    person: &Person,
    party: &Party,
    case_id: &str,
    purpose: Purpose,
    at: OffsetDateTime,
) -> Result<(ShareContext, bool), Status> {
    let (case, acting) = hub.cases.get(person, case_id, at)?;
    if purpose == Purpose::Evaluatie {
        return Err(Status::invalid_argument(
            "purpose evaluatie: no personal data is shared for it, only aggregated figures (art. 3.3)",
        ));
    }
    if crate::cases::model::is_closed(case.phase) {
        return Err(Status::failed_precondition(format!(
            "case {} is in phase {}: no new shares take place (art. 4.4)",
            case.id, case.phase
        )));
    }
    // Article 4.2, as the encoding states it; the requester's own active emergency sets
    // it aside for purpose aanpak (article 15.1).
    let fits = |p: Purpose| hub.covenant.current().compiled().fit(p).0 & case.phase.bit() != 0;
    let own_emergency = purpose == Purpose::Aanpak
        && case
            .active_emergency(at)
            .is_some_and(|e| e.declared_by.person == person.id);
    if !fits(purpose) && !own_emergency {
        let fitting: Vec<&str> = Purpose::ALL
            .iter()
            .filter(|p| fits(**p))
            .map(|p| p.as_str())
            .collect();
        return Err(Status::failed_precondition(format!(
            "purpose {purpose} does not fit phase {} of case {} (art. 4.2); in this phase: {}",
            case.phase,
            case.id,
            fitting.join(", ")
        )));
    }
    let team = acting.access == AccessKind::CaseTeam;
    Ok((
        ShareContext {
            covenant: hub.covenant.current(),
            case,
            requester: person.clone(),
            requester_party: party.clone(),
            role: acting.role,
            purpose,
            at,
        },
        team,
    ))
}

fn deadline_of(hub: &Hub, ms: u32) -> Result<Duration, Status> {
    match ms {
        0 => Ok(hub.questions.answer_deadline),
        ms if Duration::from_millis(ms.into()) > MAX_DEADLINE => {
            Err(Status::invalid_argument(format!(
                "deadline_ms is above the maximum of {} ms",
                MAX_DEADLINE.as_millis()
            )))
        }
        ms => Ok(Duration::from_millis(ms.into())),
    }
}

/// Assembles a case file for `person` (see the module doc). With `events`, every step is
/// also streamed (WatchCaseFile). Until it is stored, the file as it stands is in
/// [`Hub::assembling`] for GetCaseFile (see [`progress`]).
pub async fn request_case_file(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::CaseFileRequest,
    events: Option<Events>,
) -> Result<wire::CaseFile, Status> {
    let started = std::time::Instant::now();
    let result = assemble_case_file(hub, person, party, req, events, started).await;
    hub.metrics.case_file(
        crate::metrics::CaseFileResult::of(&result),
        started.elapsed(),
    );
    result
}

/// [`request_case_file`] without its counting.
async fn assemble_case_file(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::CaseFileRequest,
    events: Option<Events>,
    started: std::time::Instant,
) -> Result<wire::CaseFile, Status> {
    let at = hub.clock.now();
    let purpose: Purpose =
        req.purpose
            .parse()
            .map_err(|e: treiter_policies::vocab::UnknownWord| {
                Status::invalid_argument(format!("purpose: {}", e.redacted()))
            })?;
    let (ctx, team) = context(hub, person, party, &req.case_id, purpose, at)?;
    let subjects: Vec<String> = if req.subjects.is_empty() {
        ctx.case
            .subjects
            .iter()
            .map(|s| s.pseudonym.clone())
            .collect()
    } else {
        req.subjects
            .iter()
            .map(|s| {
                ctx.case
                    .subject(&s.hex)
                    .map(|s| s.pseudonym.clone())
                    .ok_or_else(|| {
                        Status::not_found(format!(
                            "a requested subject is not in case {}",
                            ctx.case.id
                        ))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let categories: Vec<Category> = if req.categories.is_empty() {
        Category::ALL.to_vec()
    } else {
        req.categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.parse()
                    .map_err(|e: treiter_policies::vocab::UnknownWord| {
                        Status::invalid_argument(format!("categories[{i}]: {}", e.redacted()))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let wait = deadline_of(hub, req.deadline_ms)?;
    let file_id = next_file_id(hub, &ctx.case.id)?;
    let plans = plan(hub, &ctx, &subjects, &categories);
    let requester = wire::Person {
        id: person.id.clone(),
        party: Some(party.to_proto()),
        roles: vec![ctx.role.as_str().to_owned()],
        stadsdeel: person
            .stadsdeel
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        name: person.name.clone().unwrap_or_default(),
    };
    let not_asked = |plan: &Plan| wire::PartnerResult {
        party: Some(plan.party.to_proto()),
        status: "not-asked".into(),
        articles: plan.refused.iter().cloned().collect(),
        subjects: plan
            .subjects
            .iter()
            .map(|(s, _)| wire::PartnerSubjectResult {
                subject: subject_hex(s),
                status: "not-asked".into(),
                ..Default::default()
            })
            .collect(),
        settled_at: Some(timestamp(at)),
        ..Default::default()
    };
    let deadline = tokio::time::Instant::now() + wait;
    let under_emergency = ctx
        .case
        .active_emergency(at)
        .is_some_and(|e| e.declared_by.person == person.id);
    let file_subjects = wire_subjects(&ctx, &subjects, team);
    // The file as it stands, for GetCaseFile until it is stored: every asked partner
    // pending, the others final.
    let pending = |plan: &Plan| wire::PartnerResult {
        party: Some(plan.party.to_proto()),
        status: progress::PENDING.into(),
        subjects: plan
            .subjects
            .iter()
            .map(|(s, c)| wire::PartnerSubjectResult {
                subject: subject_hex(s),
                status: if c.is_empty() {
                    "not-asked"
                } else {
                    progress::ASKED
                }
                .into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let running = hub.assembling.start(
        wire::CaseFile {
            id: file_id.clone(),
            case_id: ctx.case.id.clone(),
            purpose: purpose.as_str().to_owned(),
            requester: Some(requester.clone()),
            phase: ctx.case.phase.as_str().to_owned(),
            under_emergency,
            subjects: file_subjects.clone(),
            categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
            requested_at: Some(timestamp(at)),
            deadline_ms: u32::try_from(wait.as_millis()).unwrap_or(u32::MAX),
            settled_at: None,
            complete: false,
            partners: plans
                .iter()
                .map(|plan| {
                    if plan.subjects.iter().all(|(_, c)| c.is_empty()) {
                        not_asked(plan)
                    } else {
                        pending(plan)
                    }
                })
                .collect(),
            summary: None,
            covenant_version: hub.covenant.version(),
        },
        &person.id,
    );
    if let Some(events) = &events {
        let _ = events
            .send(event(wire::case_file_event::Event::Started(
                wire::CaseFileStarted {
                    case_file_id: file_id.clone(),
                    case_id: ctx.case.id.clone(),
                    purpose: purpose.as_str().to_owned(),
                    requester: Some(requester.clone()),
                    subjects: wire_subjects(&ctx, &subjects, team),
                    categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
                    asked: plans
                        .iter()
                        .filter(|p| p.subjects.iter().any(|(_, c)| !c.is_empty()))
                        .map(|p| p.party.to_proto())
                        .collect(),
                    not_asked: plans
                        .iter()
                        .filter(|p| p.subjects.iter().all(|(_, c)| c.is_empty()))
                        .map(not_asked)
                        .collect(),
                    deadline: Some(timestamp(at + wait)),
                },
            )))
            .await;
    }
    tracing::info!(
        case = %ctx.case.id,
        file = %file_id,
        requester = %person.id,
        role = %ctx.role,
        purpose = %purpose,
        subjects = subjects.len(),
        "case file requested"
    );

    let ctx = Arc::new(ctx);
    let mut parties = tokio::task::JoinSet::new();
    let mut results: Vec<Option<wire::PartnerResult>> = Vec::new();
    let mut remember = Vec::new();
    let mut notices = Vec::new();
    for (index, plan) in plans.iter().enumerate() {
        if plan.subjects.iter().all(|(_, c)| c.is_empty()) {
            results.push(Some(not_asked(plan)));
            continue;
        }
        results.push(None);
        let (hub, ctx, file_id, party) = (
            hub.clone(),
            ctx.clone(),
            file_id.clone(),
            plan.party.clone(),
        );
        let subjects = plan.subjects.clone();
        let refused = plan.refused.clone();
        parties.spawn(async move {
            let asked_at = std::time::Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for (i, (subject, categories)) in subjects.iter().enumerate() {
                if categories.is_empty() {
                    continue;
                }
                let fut = ask_subject(
                    hub.clone(),
                    ctx.clone(),
                    file_id.clone(),
                    party.clone(),
                    subject.clone(),
                    categories.clone(),
                    deadline,
                );
                tasks.spawn(async move { (i, fut.await) });
            }
            let mut outcomes: Vec<Option<SubjectOutcome>> = subjects.iter().map(|_| None).collect();
            while let Some(done) = tasks.join_next().await {
                if let Ok((i, outcome)) = done
                    && let Some(slot) = outcomes.get_mut(i)
                {
                    *slot = Some(outcome);
                }
            }
            (index, party, subjects, refused, outcomes, asked_at)
        });
    }
    while let Some(done) = parties.join_next().await {
        let Ok((index, party, subjects, refused, outcomes, asked_at)) = done else {
            continue;
        };
        let mut partner = wire::PartnerResult {
            party: Some(party.to_proto()),
            ..Default::default()
        };
        let mut last_answer = None;
        for ((subject, _), outcome) in subjects.iter().zip(outcomes) {
            if let Some(why) = outcome.as_ref().and_then(|o| o.log_failure.as_ref()) {
                // Fail closed: without a durable log entry no decision may pass.
                tracing::error!(case = %ctx.case.id, error = %why, "the decision log refused an append; the case file is withheld");
                running.failed(&format!(
                    "the decision log could not durably record a decision: {why}"
                ));
                return Err(Status::unavailable(format!(
                    "the decision log could not durably record a decision ({why}); nothing was passed on, retry"
                )));
            }
            let Some(outcome) = outcome else {
                partner.subjects.push(wire::PartnerSubjectResult {
                    subject: subject_hex(subject),
                    status: "not-asked".into(),
                    articles: refused.iter().cloned().collect(),
                    ..Default::default()
                });
                continue;
            };
            if outcome.result.status == "no-answer" && partner.no_answer_reason.is_empty() {
                partner.no_answer_reason = outcome.result.no_answer_reason.clone();
                partner.no_answer_detail = outcome.no_answer_detail.clone();
            }
            if let Some((request_id, until, queued)) = outcome.queued {
                partner.queued_until = Some(prost_types::Timestamp::from(until));
                remember.push((request_id, queued));
            }
            last_answer = last_answer.max(outcome.answered_at);
            partner.subjects.push(outcome.result);
            partner.entries.extend(outcome.entries);
            notices.extend(outcome.notices);
        }
        partner.latency_ms = last_answer
            .map(|t| u32::try_from(t.duration_since(asked_at).as_millis()).unwrap_or(u32::MAX))
            .unwrap_or(0);
        partner.settled_at = Some(prost_types::Timestamp::from(SystemTime::now()));
        settle(&mut partner);
        running.settled(&partner);
        if let Some(events) = &events {
            let _ = events
                .send(event(wire::case_file_event::Event::Partner(
                    partner.clone(),
                )))
                .await;
        }
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(partner);
        }
    }

    let mut file = wire::CaseFile {
        id: file_id,
        case_id: ctx.case.id.clone(),
        purpose: purpose.as_str().to_owned(),
        requester: Some(requester),
        phase: ctx.case.phase.as_str().to_owned(),
        under_emergency,
        subjects: file_subjects,
        categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
        requested_at: Some(timestamp(at)),
        deadline_ms: u32::try_from(wait.as_millis()).unwrap_or(u32::MAX),
        settled_at: Some(prost_types::Timestamp::from(SystemTime::now())),
        complete: false,
        partners: results.into_iter().flatten().collect(),
        summary: None,
        covenant_version: hub.covenant.version(),
    };
    summarise(&mut file, started);
    let saved = {
        let _guard = FILE_WRITES.lock().await;
        files::save(
            hub.store.as_ref(),
            &file,
            &person.id,
            &remember,
            &[],
            &notices,
        )
    };
    if let Err(e) = saved {
        running.failed(&format!("the store could not take it: {e}"));
        return Err(Status::unavailable(format!(
            "{e}; the case file was not stored, retry"
        )));
    }
    running.stored();
    // The recipient party's agent gets the passed records for its inbox.
    crate::deliveries::on_file_completed(hub, &file);
    // Sign a checkpoint over the log as it now stands, so the decisions of this file
    // are covered by a signed tree head (article 10.2).
    if let Err(error) = crate::witnesses::checkpoint(hub).await {
        tracing::error!(%error, "cannot sign a log checkpoint");
    }
    if let Some(events) = &events
        && let Some(summary) = file.summary.clone()
    {
        let _ = events
            .send(event(wire::case_file_event::Event::Summary(summary)))
            .await;
    }
    Ok(file)
}

/// Asks every relevant party whether it knows one subject (article 8.4); nothing is
/// queued for offline partners.
pub async fn bevraag(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::BevraagRequest,
) -> Result<wire::BevragingResult, Status> {
    let at = hub.clock.now();
    let subject = req
        .subject
        .as_ref()
        .map(|s| s.hex.clone())
        .unwrap_or_default();
    let (case, _) = hub.cases.get(person, &req.case_id, at)?;
    let purpose = match case.phase {
        treiter_policies::vocab::Phase::Melding | treiter_policies::vocab::Phase::Registratie => {
            Purpose::Registratie
        }
        treiter_policies::vocab::Phase::Duiding => Purpose::Duiding,
        _ => Purpose::Aanpak,
    };
    let (ctx, _) = context(hub, person, party, &req.case_id, purpose, at)?;
    if ctx.case.subject(&subject).is_none() {
        return Err(Status::not_found(format!(
            "the subject is not in case {}",
            ctx.case.id
        )));
    }
    let wait = deadline_of(hub, req.deadline_ms)?;
    let plans = plan(hub, &ctx, std::slice::from_ref(&subject), Category::ALL);
    let mut asks = tokio::task::JoinSet::new();
    let mut partners: Vec<wire::PartnerHit> = Vec::new();
    for (index, plan) in plans.iter().enumerate() {
        partners.push(wire::PartnerHit {
            party: Some(plan.party.to_proto()),
            result: "not-asked".into(),
            articles: plan.refused.iter().cloned().collect(),
            ..Default::default()
        });
        if plan.subjects.iter().all(|(_, c)| c.is_empty()) {
            continue;
        }
        let (hub, oin, subject) = (hub.clone(), plan.party.oin.clone(), subject.clone());
        asks.spawn(async move {
            let kind = question::Kind::Bevraging(wire::Bevraging {
                subject: subject_hex(&subject),
            });
            (index, hub.questioner.ask(&oin, kind, wait, false).await)
        });
    }
    while let Some(done) = asks.join_next().await {
        let Ok((index, outcome)) = done else { continue };
        let Some(partner) = partners.get_mut(index) else {
            continue;
        };
        partner.articles.clear();
        match &outcome {
            AskOutcome::Answered(wire::Answer {
                kind: Some(answer::Kind::Bevraging(b)),
                ..
            }) => {
                partner.result = if b.hit { "hit" } else { "no-hit" }.into();
                partner.answered_at = Some(prost_types::Timestamp::from(SystemTime::now()));
            }
            other => {
                partner.result = "no-answer".into();
                partner.no_answer_reason = no_answer(other).0;
            }
        }
    }
    tracing::info!(case = %ctx.case.id, subject = %subject, requester = %person.id, "bevraging");
    Ok(wire::BevragingResult {
        case_id: ctx.case.id.clone(),
        subject: subject_hex(&subject),
        purpose: purpose.as_str().to_owned(),
        partners,
        asked_at: Some(timestamp(at)),
        log_leaf_index: 0,
    })
}

/// Takes answers to queued questions for as long as the hub runs and joins them to the
/// case files they belong to, decided against the case as it is when they arrive.
pub async fn run_late_answers(hub: Arc<Hub>) {
    let mut late = hub.questioner.late_answers();
    let mut shutdown = hub.shutdown_signal();
    // Answers that arrived before a crash or restart but were not joined yet.
    for answer in hub.questioner.kept_late_answers() {
        tokio::spawn(join_until_done(hub.clone(), answer));
    }
    loop {
        let answer = tokio::select! {
            received = late.recv() => received,
            _ = shutdown.changed() => return,
        };
        match answer {
            Ok(answer) => {
                tokio::spawn(join_until_done(hub.clone(), answer));
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::error!(
                    missed,
                    "late answers were missed; their questions stay queued"
                );
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The first wait before a late answer that could not be joined is tried again.
const JOIN_RETRY_FIRST: Duration = Duration::from_millis(500);
/// The longest wait between two tries.
const JOIN_RETRY_MAX: Duration = Duration::from_secs(30);

/// Joins a late answer, trying again while the hub cannot record it for now (the
/// decision log or the store is unavailable): the answer stays kept and its question
/// stays queued meanwhile, so nothing is lost, and nothing of it joins the file
/// before its decisions are in the log. Ends when the answer joined, when it cannot
/// ever join (logged), or when the hub shuts down (a kept answer is joined at the
/// next start).
async fn join_until_done(hub: Arc<Hub>, late: LateAnswer) {
    let mut shutdown = hub.shutdown_signal();
    let mut wait = JOIN_RETRY_FIRST;
    loop {
        match join_late(&hub, late.clone()).await {
            Ok(()) => return,
            Err(status) if status.code() == tonic::Code::Unavailable => {
                tracing::warn!(
                    party = %late.party,
                    request = %late.request_id,
                    error = %status.message(),
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "a late answer cannot join its case file yet; it is kept and tried again"
                );
            }
            Err(status) => {
                tracing::error!(
                    party = %late.party,
                    request = %late.request_id,
                    error = %status.message(),
                    "a late answer could not be joined to its case file"
                );
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        wait = (wait * 2).min(JOIN_RETRY_MAX);
    }
}

async fn join_late(hub: &Arc<Hub>, late: LateAnswer) -> Result<(), Status> {
    let store = hub.store.as_ref();
    let unavailable = |e: crate::store::StoreError| Status::unavailable(e.to_string());
    let Some(queued) = files::queued(store, late.request_id.as_str()).map_err(unavailable)? else {
        // Joined already (a repeat), or asked for no case file: nothing waits for it.
        files::forget_orphan(store, late.request_id.as_str()).map_err(unavailable)?;
        return Ok(());
    };
    let Some(file) = files::load(store, &queued.file_id).map_err(unavailable)? else {
        return Ok(());
    };
    let owner = files::owner(store, &file.case_id, &file.id)
        .map_err(unavailable)?
        .ok_or_else(|| Status::internal("a case file without owner"))?;
    let party = hub
        .parties
        .get(&late.party)
        .map_err(|e| Status::internal(e.to_string()))?
        .clone();
    let requester_party_oin = file
        .requester
        .as_ref()
        .and_then(|r| r.party.as_ref())
        .map(|p| p.oin.clone())
        .unwrap_or_default();
    let requester_party_oin = crate::identity::Oin::parse(&requester_party_oin)
        .map_err(|e| Status::internal(e.to_string()))?;
    let requester_party = hub
        .parties
        .get(&requester_party_oin)
        .map_err(|e| Status::internal(e.to_string()))?
        .clone();
    let person = hub
        .persons
        .resolve(&owner, &requester_party_oin)
        .map_err(|e| Status::internal(e.to_string()))?;
    let at = hub.clock.now();
    let case = hub
        .cases
        .load(&file.case_id)?
        .ok_or_else(|| Status::not_found(format!("case {} is gone", file.case_id)))?;
    let role: Role = file
        .requester
        .as_ref()
        .and_then(|r| r.roles.first())
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| Status::internal("a case file without requester role"))?;
    let purpose: Purpose = file
        .purpose
        .parse()
        .map_err(|_| Status::internal("a case file without purpose"))?;
    let ctx = ShareContext {
        covenant: hub.covenant.current(),
        case,
        requester: person,
        requester_party,
        role,
        purpose,
        at,
    };
    let categories: Vec<Category> = queued
        .categories
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let mut outcome = SubjectOutcome {
        result: wire::PartnerSubjectResult {
            subject: subject_hex(&queued.subject),
            status: "no-answer".into(),
            ..Default::default()
        },
        entries: Vec::new(),
        notices: Vec::new(),
        queued: None,
        no_answer_detail: String::new(),
        answered_at: None,
        log_failure: None,
    };
    let closed = crate::cases::model::is_closed(ctx.case.phase);
    match (&late.answer.kind, queued.kind.as_str()) {
        (Some(answer::Kind::Bevraging(b)), "bevraging") if b.hit && !closed => {
            // The partner is back: ask for the records now, under the usual deadline.
            share_request(
                hub,
                &ctx,
                &file.id,
                &party,
                &queued.subject,
                &categories,
                hub.questions.answer_deadline,
                true,
                &mut outcome,
            )
            .await;
            // Records whose decisions the log refused may not pass (article 10.1), and
            // the subject is not "no answer" either: the partner did answer. The file
            // stays as it is and the hit stays kept, so the records are asked for again
            // when this answer is retried (see `join_until_done`).
            if let Some(why) = outcome.log_failure.take() {
                return Err(Status::unavailable(format!(
                    "the decision log could not record the decisions on the partner's records ({why}); the answer is kept and retried"
                )));
            }
        }
        (Some(answer::Kind::Bevraging(b)), "bevraging") => {
            outcome.result.status = if b.hit { "no-records" } else { "no-hit" }.into();
        }
        (Some(answer::Kind::Shares(shares)), "shares") if !closed => {
            let mut decided = decide_records(
                &ctx,
                &file.id,
                &party,
                &queued.subject,
                &categories,
                shares,
                true,
            );
            log_decisions(hub, &mut decided).await.map_err(|why| {
                Status::unavailable(format!(
                    "the decision log could not record the late answer's decisions ({why}); it is kept and retried"
                ))
            })?;
            count_unasked(hub, &party, &decided);
            outcome.result.status = if decided.entries.is_empty() {
                "no-records"
            } else {
                "answered"
            }
            .into();
            outcome.entries = decided.entries;
            outcome.notices = decided.notices;
        }
        (Some(answer::Kind::Unanswerable(u)), _) => {
            outcome.result.no_answer_reason = u.reason.clone();
        }
        _ => {
            outcome.result.no_answer_reason = "no longer applicable".into();
        }
    }
    let _guard = FILE_WRITES.lock().await;
    // A repeat of this answer may have been joined while this one was being decided.
    if files::queued(store, late.request_id.as_str())
        .map_err(unavailable)?
        .is_none()
    {
        return Ok(());
    }
    // Re-read under the lock: another late answer may have changed the file meanwhile.
    let Some(mut file) = files::load(store, &queued.file_id).map_err(unavailable)? else {
        return Ok(());
    };
    let mut remember = Vec::new();
    if let Some(partner) = file
        .partners
        .iter_mut()
        .find(|p| p.party.as_ref().is_some_and(|p| p.oin == queued.party))
    {
        if let Some(slot) = partner
            .subjects
            .iter_mut()
            .find(|s| s.subject.as_ref().is_some_and(|s| s.hex == queued.subject))
        {
            *slot = outcome.result.clone();
        }
        partner.entries.extend(outcome.entries);
        partner.late = true;
        if let Some((request_id, until, next)) = outcome.queued {
            partner.queued_until = Some(prost_types::Timestamp::from(until));
            remember.push((request_id, next));
        }
        partner.settled_at = Some(prost_types::Timestamp::from(SystemTime::now()));
        settle(partner);
    }
    let duration = file.summary.as_ref().map(|s| s.duration_ms).unwrap_or(0);
    summarise(&mut file, std::time::Instant::now());
    if let Some(summary) = &mut file.summary {
        summary.duration_ms = duration;
    }
    files::save(
        store,
        &file,
        &owner,
        &remember,
        &[late.request_id.as_str().to_owned()],
        &outcome.notices,
    )
    .map_err(unavailable)?;
    tracing::info!(file = %file.id, party = %queued.party, "late answer joined its case file");
    crate::deliveries::on_file_completed(hub, &file);
    Ok(())
}

/// A stored case file for its requester, while they still have access to the case.
pub fn get_case_file(hub: &Hub, person: &Person, id: &str) -> Result<wire::CaseFile, Status> {
    let Some(file) =
        files::load(hub.store.as_ref(), id).map_err(|e| Status::unavailable(e.to_string()))?
    else {
        // Not stored (yet): one being assembled for this person shows as it stands.
        return match hub.assembling.get(id, &person.id) {
            Some(Ok(file)) => {
                hub.cases.get(person, &file.case_id, hub.clock.now())?;
                Ok(file)
            }
            Some(Err(failed)) => Err(failed),
            None => Err(Status::not_found(format!("no case file {id}"))),
        };
    };
    let owner = files::owner(hub.store.as_ref(), &file.case_id, id)
        .map_err(|e| Status::unavailable(e.to_string()))?;
    if owner.as_deref() != Some(person.id.as_str()) {
        return Err(Status::not_found(format!("no case file {id} of yours")));
    }
    let now = hub.clock.now();
    hub.cases.get(person, &file.case_id, now)?;
    Ok(with_expired_queues(file, now))
}

/// A file as of `now`: questions whose queue time ran out will never be answered, so
/// their partners show "no-answer" with reason "queue-expired" instead of waiting.
fn with_expired_queues(mut file: wire::CaseFile, now: OffsetDateTime) -> wire::CaseFile {
    let now = prost_types::Timestamp {
        seconds: now.unix_timestamp(),
        nanos: 0,
    };
    let mut changed = false;
    for partner in &mut file.partners {
        let expired = partner
            .queued_until
            .as_ref()
            .is_some_and(|until| until.seconds < now.seconds);
        if !expired {
            continue;
        }
        for subject in &mut partner.subjects {
            if subject.status == "offline-queued" || subject.status == "hit" {
                subject.status = "no-answer".into();
                subject.no_answer_reason = "queue-expired".into();
                partner.no_answer_reason = "queue-expired".into();
                changed = true;
            }
        }
        settle(partner);
    }
    if changed {
        let duration = file.summary.as_ref().map(|s| s.duration_ms).unwrap_or(0);
        summarise(&mut file, std::time::Instant::now());
        if let Some(summary) = &mut file.summary {
            summary.duration_ms = duration;
        }
    }
    file
}

/// The caller's own case files of one case, newest first, without their entries.
pub fn list_case_files(
    hub: &Hub,
    person: &Person,
    case_id: &str,
) -> Result<Vec<wire::CaseFile>, Status> {
    hub.cases.get(person, case_id, hub.clock.now())?;
    let ids = files::list(hub.store.as_ref(), case_id, &person.id)
        .map_err(|e| Status::unavailable(e.to_string()))?;
    // Files still being assembled are the newest; a file stored meanwhile is listed
    // once, from the store.
    let mut listed: Vec<wire::CaseFile> = hub
        .assembling
        .running(case_id, &person.id)
        .into_iter()
        .filter(|f| !ids.contains(&f.id))
        .collect();
    listed.extend(
        ids.iter()
            .filter_map(|id| files::load(hub.store.as_ref(), id).ok().flatten())
            .map(|mut f| {
                for p in &mut f.partners {
                    p.entries.clear();
                }
                f
            }),
    );
    Ok(listed)
}
