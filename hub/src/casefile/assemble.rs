//! Assembling a case file: the request checked and planned ([`super::plan`]), every
//! partner with something to provide asked at once under one deadline through one
//! [`FanOut`] (per partner, its subjects in turn fanned out, [`super::ask`]), each
//! partner's result settled as it comes and shown ([`super::progress`], and streamed
//! for WatchCaseFile), and the file stored once every partner has settled.
//!
//! Fails closed: when the decision log refuses a decision, nothing of the file passes
//! and it is not stored (article 10.1).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use treiter_policies::vocab::{Category, Purpose};
use treiter_proto::v1 as wire;

use super::ask::{
    SubjectOutcome, Together, ask_subject, asks_together, bevraag_together, keep_decided,
    share_together,
};
use super::decide::ShareContext;
use super::file_log::FileLog;
use super::plan::{Plan, context, deadline_of, plan};
use super::records::LogBatch;
use super::settle::{settle, summarise};
use super::{CaseFileError, progress, record, repeat, resume, subject_hex};
use crate::clock::timestamp;
use crate::fanout::FanOut;
use crate::parties::Party;
use crate::persons::Person;
use crate::state::Hub;

/// Where the steps of a case file are streamed (WatchCaseFile): the file started, each
/// partner as it settles, the summary. A failure is the caller's to send.
pub type Events = mpsc::Sender<wire::CaseFileEvent>;

/// Sends the event `event` makes, if the file is watched: a file requested without
/// WatchCaseFile builds no events (each a copy of what it reports).
async fn send(events: Option<&Events>, event: impl FnOnce() -> wire::case_file_event::Event) {
    if let Some(events) = events {
        // A watcher that went away does not stop the assembly: GetCaseFile shows it.
        let _ = events
            .send(wire::CaseFileEvent {
                event: Some(event()),
            })
            .await;
    }
}

/// A partner's outcome: per planned subject, its outcome (`None`: not asked about it),
/// and when it was asked (for its latency).
struct PartnerOutcome {
    subjects: Vec<Option<SubjectOutcome>>,
    asked_at: Instant,
}

/// A new assembly's file id, or the file an earlier request with the same
/// `client_request_id` started.
enum FileNumber {
    New(String),
    Earlier(String),
}

/// The first item of `items` that an earlier one equals: its index and the earlier's.
fn first_repeat<'a>(items: impl Iterator<Item = &'a str>) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::new();
    for (index, item) in items.enumerate() {
        if let Some(&first) = seen.get(item) {
            return Some((index, first));
        }
        seen.insert(item, index);
    }
    None
}

/// The next case-file id of a case (`CF-<year>-<n>-<m>` for case `C-<year>-<n>`),
/// taken in one write with the new assembly's marker ([`resume`]), or the file an
/// earlier request with the assembly's `client_request_id` started.
async fn next_file_id(
    hub: &Hub,
    case_id: &str,
    assembly: &resume::NewAssembly<'_>,
) -> Result<FileNumber, CaseFileError> {
    // Taking a number reads the case's counter and writes it back: the hub's async
    // workers run side by side, so two assemblies of one case take their numbers one at
    // a time ([`Hub::case_file_numbers`]), and so do replicas on one database.
    let _process = hub.case_file_numbers.lock().await;
    let _replicas = hub.store.lock_shared("case-file ids")?;
    // A repeat sent while its first request was being numbered (a double submit, a
    // client's retry) found no earlier file before the lock; the first has written its
    // request id with its number by now, and the repeat gets that file, not a second.
    if let Some(key) = assembly.request_key
        && let Some(file_id) = key.earlier(hub, assembly.requester)?
    {
        return Ok(FileNumber::Earlier(file_id));
    }
    let mut batch = crate::store::Batch::new();
    let next = crate::tables::meta::next_counter(
        hub.store.as_ref(),
        &format!("casefile-seq/{case_id}"),
        &mut batch,
    )?;
    let id = format!("CF-{}-{next:04}", case_id.trim_start_matches("C-"));
    assembly.mark(hub, &id, &mut batch);
    hub.store.apply(batch)?;
    Ok(FileNumber::New(id))
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

/// Assembles a case file for `person` (see the module doc). With `events`, every step is
/// also streamed (WatchCaseFile). Until it is stored, the file as it stands is in
/// [`Hub::assembling`] for GetCaseFile (see [`progress`]).
pub async fn request_case_file(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::CaseFileRequest,
    events: Option<Events>,
) -> Result<wire::CaseFile, CaseFileError> {
    counted(
        hub,
        assemble_case_file(hub, person, party, req, events, None),
    )
    .await
}

/// Assembles file `file_id` again, taken over from a hub process that died while
/// assembling it ([`resume`]); counted as any case file.
pub(super) async fn resume_case_file(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::CaseFileRequest,
    file_id: &str,
) -> Result<wire::CaseFile, CaseFileError> {
    counted(
        hub,
        assemble_case_file(hub, person, party, req, None, Some(file_id.to_owned())),
    )
    .await
}

/// Counts an assembly's outcome and time in the metrics.
async fn counted(
    hub: &Hub,
    assembly: impl std::future::Future<Output = Result<wire::CaseFile, CaseFileError>>,
) -> Result<wire::CaseFile, CaseFileError> {
    let started = Instant::now();
    let result = assembly.await;
    let counted = match &result {
        Ok(file) if file.complete => crate::metrics::CaseFileResult::Complete,
        Ok(_) => crate::metrics::CaseFileResult::Partial,
        Err(error) if error.is_hub_fault() => crate::metrics::CaseFileResult::Failed,
        Err(_) => crate::metrics::CaseFileResult::Refused,
    };
    hub.metrics.case_file(counted, started.elapsed());
    result
}

/// [`request_case_file`] without its counting; with `taken_over`, the id of a file
/// another process started ([`resume`]).
async fn assemble_case_file(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::CaseFileRequest,
    events: Option<Events>,
    taken_over: Option<String>,
) -> Result<wire::CaseFile, CaseFileError> {
    let started = Instant::now();
    let at = hub.clock.now();
    let purpose: Purpose =
        req.purpose
            .parse()
            .map_err(|e: treiter_policies::vocab::UnknownWord| {
                CaseFileError::BadPurpose(e.redacted())
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
                    .ok_or_else(|| CaseFileError::RequestedSubjectNotInCase(ctx.case.id.clone()))
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
                    .map_err(
                        |e: treiter_policies::vocab::UnknownWord| CaseFileError::BadCategory {
                            index: i,
                            why: e.redacted(),
                        },
                    )
            })
            .collect::<Result<_, _>>()?
    };
    let wait = deadline_of(hub, req.deadline_ms)?;
    let resumed = taken_over.is_some();
    // A repeat of a request (same `client_request_id`) gets the file the first started.
    let request_key = if resumed {
        None
    } else {
        repeat::RequestKey::of(req)?
    };
    if let Some(key) = &request_key
        && let Some(file_id) = key.earlier(hub, &person.id)?
    {
        return repeat::stored_file(hub, person, &file_id, events.as_ref()).await;
    }
    // A subject named twice would be asked about, queued and passed twice. Checked for
    // new requests only: a repeat of a request the hub accepted before this check gets
    // its file above, and a file taken over is assembled as it was asked.
    if !resumed
        && let Some((index, first)) = first_repeat(req.subjects.iter().map(|s| s.hex.as_str()))
    {
        return Err(CaseFileError::RequestedSubjectTwice { index, first });
    }
    let file_id = match taken_over {
        Some(id) => id,
        None => match next_file_id(
            hub,
            &ctx.case.id,
            &resume::NewAssembly {
                case_id: &ctx.case.id,
                requester: &person.id,
                party: &party.oin,
                purpose: purpose.as_str(),
                subjects: &subjects,
                categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
                deadline_ms: req.deadline_ms,
                wait,
                request_key: request_key.as_ref(),
            },
        )
        .await?
        {
            FileNumber::New(id) => id,
            FileNumber::Earlier(file_id) => {
                return repeat::stored_file(hub, person, &file_id, events.as_ref()).await;
            }
        },
    };
    // Until the file is stored, its marker lets another process finish it if this one
    // dies; an assembly that stops here for a reason its requester hears of drops it.
    let marker = resume::MarkerGuard::new(hub, &file_id, resumed);
    let plans = plan(hub, &ctx, &subjects, &categories)?;
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
    send(events.as_ref(), || {
        wire::case_file_event::Event::Started(wire::CaseFileStarted {
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
        })
    })
    .await;
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
    let mut results: Vec<Option<wire::PartnerResult>> = Vec::new();
    let mut remember = Vec::new();
    let mut notices = Vec::new();
    // The plans of the parties asked, in the order asked, with their place in `results`.
    let mut asked: Vec<(usize, &Plan)> = Vec::new();
    let mut partners = FanOut::new();
    // The partners' decisions go to the log together, with the file's checkpoint,
    // as far as they settle together ([`FileLog`]).
    let file_log = FileLog::new(
        plans
            .iter()
            .filter(|plan| plan.subjects.iter().any(|(_, c)| !c.is_empty()))
            .count(),
        deadline,
    );
    for (index, plan) in plans.iter().enumerate() {
        if plan.subjects.iter().all(|(_, c)| c.is_empty()) {
            results.push(Some(not_asked(plan)));
            continue;
        }
        results.push(None);
        asked.push((index, plan));
        let (hub, ctx, file_id) = (hub.clone(), ctx.clone(), file_id.clone());
        let (party, subjects) = (plan.party.clone(), plan.subjects.clone());
        let unanswered = subjects.clone();
        let file_log = file_log.clone();
        partners.spawn(
            plan.party.oin.clone(),
            ask_partner(hub, ctx, file_id, party, subjects, deadline, file_log),
            move || PartnerOutcome {
                subjects: unanswered
                    .iter()
                    .map(|(s, c)| (!c.is_empty()).then(|| SubjectOutcome::no_answer(s)))
                    .collect(),
                asked_at: Instant::now(),
            },
        );
    }
    while let Some(settled) = partners.next().await {
        let Some(&(index, plan)) = asked.get(settled.index) else {
            continue;
        };
        let PartnerOutcome {
            subjects: outcomes,
            asked_at,
        } = settled.outcome;
        let mut partner = wire::PartnerResult {
            party: Some(plan.party.to_proto()),
            ..Default::default()
        };
        let mut last_answer = None;
        for ((subject, _), outcome) in plan.subjects.iter().zip(outcomes) {
            if let Some(why) = outcome.as_ref().and_then(|o| o.log_failure.as_ref()) {
                // Fail closed: without a durable log entry no decision may pass.
                tracing::error!(case = %ctx.case.id, error = %why, "the decision log refused an append; the case file is withheld");
                running.failed(&format!(
                    "the decision log could not durably record a decision: {why}"
                ));
                return Err(CaseFileError::Unlogged(why.clone()));
            }
            let Some(outcome) = outcome else {
                partner.subjects.push(wire::PartnerSubjectResult {
                    subject: subject_hex(subject),
                    status: "not-asked".into(),
                    articles: plan.refused.iter().cloned().collect(),
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
        partner.settled_at = Some(timestamp(hub.clock.now()));
        settle(&mut partner);
        running.settled(&partner);
        send(events.as_ref(), || {
            wire::case_file_event::Event::Partner(partner.clone())
        })
        .await;
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
        settled_at: Some(timestamp(hub.clock.now())),
        complete: false,
        partners: results.into_iter().flatten().collect(),
        summary: None,
        covenant_version: hub.covenant.version(),
    };
    summarise(&mut file, started);
    // The recipient party's agent gets the passed records for its inbox: queued in the
    // same write as the file. Its retention term is that of the case as planned, open,
    // so none: the notice pass sends it once the case closes (`of_completed_file`);
    // reading the case again here cost the hub 2.5 % of its instructions per file.
    let delivery = crate::deliveries::of_completed_file(hub, &file, Some(&ctx.case));
    let (file, delivery, saved) = {
        let _guard = hub.case_file_writes.lock(hub.store.as_ref()).await?;
        if let Err(error) = resume::still_ours(hub, &file.id) {
            // Another process took it over: it stores the file, this one nothing.
            marker.keep();
            running.failed("another hub replica took it over and completes it");
            return Err(error);
        }
        // The write ends with a flush (an fsync): on a blocking thread, so that the
        // async workers (two on a 2-core machine) go on with the other case files
        // meanwhile instead of one of them waiting for the disk under this lock.
        let (store, requester) = (hub.store.clone(), person.id.clone());
        let written = tokio::task::spawn_blocking(move || {
            let saved = record::save(
                store.as_ref(),
                &file.case_id,
                &file,
                &requester,
                &remember,
                &[],
                &notices,
                delivery.as_ref(),
                true,
            );
            (file, delivery, saved)
        })
        .await;
        match written {
            Ok(written) => written,
            Err(interrupted) => {
                let e = record::write_interrupted(&interrupted);
                running.failed(&format!("the store could not take it: {e}"));
                return Err(CaseFileError::NotStored(e));
            }
        }
    };
    if let Err(e) = saved {
        running.failed(&format!("the store could not take it: {e}"));
        return Err(CaseFileError::NotStored(e));
    }
    // Stored, and its marker removed in the same write.
    marker.keep();
    running.stored();
    if let Some((party, delivery)) = delivery {
        crate::deliveries::send_queued(hub, &file.id, &party, delivery);
    }
    // The decisions of this file are covered by a signed tree head (article 10.2): by
    // one signed now over the log as it stands, unless one signed since its last
    // decision was logged covers them already (with several files in flight, another
    // file's), which was sent to the witnesses when it was signed.
    if !checkpoint_covers(hub, &file)
        && let Err(error) = crate::witnesses::checkpoint(hub).await
    {
        tracing::error!(%error, "cannot sign a log checkpoint");
    }
    if let Some(summary) = &file.summary {
        send(events.as_ref(), || {
            wire::case_file_event::Event::Summary(summary.clone())
        })
        .await;
    }
    Ok(file)
}

/// Whether the latest signed checkpoint covers every decision of `file` (its size is
/// beyond the largest leaf index of the file's entries). A file without decisions is
/// not taken as covered: its checkpoint covers what else was logged since the last one
/// (case changes), as it always did.
fn checkpoint_covers(hub: &Hub, file: &wire::CaseFile) -> bool {
    let Some(latest) = hub.log.latest_checkpoint() else {
        return false;
    };
    let last_decision = file
        .partners
        .iter()
        .flat_map(|p| &p.entries)
        .filter_map(|e| e.provenance.as_ref())
        .map(|p| p.log_leaf_index)
        .max();
    last_decision.is_some_and(|index| latest.checkpoint().size > index)
}

/// Asks one partner about each of its planned subjects at once, all by `deadline`
/// (one fan-out per partner: a subject's bevraging and share request run in turn). An
/// agent that can is asked about all the subjects in one bevraging first
/// ([`super::ask`]), and then for the records of all its hits in one share request;
/// the share requests of an agent that cannot run at once.
async fn ask_partner(
    hub: Arc<Hub>,
    ctx: Arc<ShareContext>,
    file_id: String,
    party: Party,
    subjects: Vec<(String, Vec<Category>)>,
    deadline: tokio::time::Instant,
    file_log: Arc<FileLog>,
) -> PartnerOutcome {
    let asked_at = Instant::now();
    let mut outcomes: Vec<Option<SubjectOutcome>> = subjects.iter().map(|_| None).collect();
    // The positions (in `subjects`) of the subjects with categories planned.
    let planned: Vec<usize> = (0..subjects.len())
        .filter(|&i| !subjects[i].1.is_empty())
        .collect();
    let heard = if asks_together(planned.len(), || hub.agents.asks_many_subjects(&party.oin)) {
        let hexes: Vec<&str> = planned.iter().map(|&i| subjects[i].0.as_str()).collect();
        match bevraag_together(&hub, &party, &hexes, deadline).await {
            Together::Hits(hits) => hits,
            Together::NoAnswer(reason, detail) => {
                for &i in &planned {
                    outcomes[i] = Some(SubjectOutcome::not_answered(
                        &hub,
                        &file_id,
                        &party,
                        &subjects[i].0,
                        (reason.clone(), detail.clone()),
                    ));
                }
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    // The hits of a bevraging about several subjects: their records in one share
    // request, where the agent can; what it does not settle is asked below.
    let hits: Vec<usize> = planned
        .iter()
        .zip(&heard)
        .filter(|&(_, &hit)| hit)
        .map(|(&i, _)| i)
        .collect();
    if asks_together(hits.len(), || hub.agents.shares_many_subjects(&party.oin)) {
        let asked: Vec<(&str, &[Category])> = hits
            .iter()
            .map(|&i| (subjects[i].0.as_str(), subjects[i].1.as_slice()))
            .collect();
        let settled = share_together(&hub, &ctx, &file_id, &party, &asked, deadline).await;
        for (&i, outcome) in hits.iter().zip(settled) {
            outcomes[i] = outcome;
        }
    }
    let mut fan_out = FanOut::new();
    // The positions of the subjects asked about in tasks, in the order started.
    let mut asked = Vec::new();
    for (n, &i) in planned.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        let (subject, categories) = &subjects[i];
        let heard = heard.get(n).copied();
        if heard == Some(false) {
            // Nothing more to ask: no task for it.
            outcomes[i] = Some(SubjectOutcome::heard(
                &hub, &file_id, &party, subject, false,
            ));
            continue;
        }
        asked.push(i);
        let unanswered = subject.clone();
        fan_out.spawn(
            party.oin.clone(),
            ask_subject(
                hub.clone(),
                ctx.clone(),
                file_id.clone(),
                party.clone(),
                subject.clone(),
                categories.clone(),
                deadline,
                heard,
            ),
            move || SubjectOutcome::no_answer(&unanswered),
        );
    }
    for settled in fan_out.collect().await {
        if let Some(slot) = asked.get(settled.index).and_then(|&i| outcomes.get_mut(i)) {
            *slot = Some(settled.outcome);
        }
    }
    // The partner's records about all its subjects are logged together (nothing of
    // them is shown before the partner is settled anyway), and with those of the
    // file's other partners that settle about the same time; the last partner's batch
    // holds the file's checkpoint, instead of the file signing one on its own after it
    // is stored. Whether it covers every decision of the file is checked then
    // ([`checkpoint_covers`]), and a file it does not cover signs its own as before.
    keep_decided(
        &hub,
        &party,
        outcomes.iter_mut().flatten(),
        LogBatch::WithFile(&file_log),
    )
    .await;
    PartnerOutcome {
        subjects: outcomes,
        asked_at,
    }
}
