//! Deciding what a partner sent: every record of a share answer (and every line the
//! partner's own pre-check withheld) is decided with the covenant engine, logged
//! durably, and only then may pass (article 10.1).
//!
//! Stripped fields never leave the hub; a refused record becomes a "withheld, article
//! X" line without data; a rejected one notifies the source party's privacy officer
//! (article 7). A record the partner was not asked for (another subject, another
//! category) is dropped without a trace of its subject and counted for the operator.

use std::sync::Arc;

use treiter_policies::request::Outcome;
use treiter_policies::vocab::Category;
use treiter_proto::decision::share_decision;
use treiter_proto::v1 as wire;

use super::decide::ShareContext;
use super::file_log::FileLog;
use super::notices::Notice;
use super::subject_hex;
use crate::cases::access::AccessKind;
use crate::clock::timestamp;
use crate::parties::Party;
use crate::state::Hub;

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
        // A share that cannot be decided, or whose decision cannot be logged, cannot
        // pass (article 10.1).
        let decided = ctx
            .decide(party, subject, category, names.clone())
            .map_err(|e| e.to_string())
            .and_then(|decision| {
                super::decide::log_entry(ctx, party, subject, category, &names, &decision)
                    .map(|entry| (decision, entry))
                    .map_err(|e| e.to_string())
            });
        let decision = match decided {
            Ok((decision, entry)) => {
                log.push((entries.len(), entry));
                decision
            }
            Err(error) => return Decided::unloggable(error, unasked),
        };
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
            decision: Some(share_decision(&decision)),
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
        if withheld.subject.as_ref().is_some_and(|s| s.hex != subject) {
            // A line about another subject than the one asked about (a line that
            // names none is about the one asked): like a record, it is neither decided
            // nor logged under a pseudonym it is not about, and counted.
            tracing::warn!(
                case = %ctx.case.id,
                party = %party.oin,
                why = "about a subject that was not asked about",
                "a partner reported withholding a record it was not asked for; dropped"
            );
            unasked += 1;
            continue;
        }
        // The source's own pre-check refused a record and reported the names it
        // offered. Article 10.1 wants that refusal in the log like any other: the hub
        // decides the same offer with the same covenant and logs its decision, and the
        // privacy officers it names are notified (article 7).
        let hub_decision = match withheld_category(withheld, asked) {
            Some(category) => {
                let names = withheld_names(withheld);
                match ctx.decide(party, subject, category, names.clone()) {
                    Ok(decision) => Some((category, names, decision)),
                    Err(error) => return Decided::unloggable(error.to_string(), unasked),
                }
            }
            None => None,
        };
        match hub_decision {
            Some((category, names, decision)) if decision.outcome != Outcome::Permit => {
                match super::decide::log_entry(ctx, party, subject, category, &names, &decision) {
                    Ok(entry) => log.push((entries.len(), entry)),
                    Err(error) => return Decided::unloggable(error.to_string(), unasked),
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

impl Decided {
    /// Nothing of an answer whose decisions cannot all be made and logged passes.
    fn unloggable(why: String, unasked: usize) -> Decided {
        Decided {
            entries: Vec::new(),
            notices: Vec::new(),
            log: Vec::new(),
            unloggable: Some(why),
            unasked,
        }
    }
}

/// Counts the records a partner sent without being asked, as the hub's refusals
/// (`unasked-record`, with the party's OIN and nothing of the records).
pub(super) fn count_unasked(hub: &Hub, party: &Party, decided: &Decided) {
    for _ in 0..decided.unasked {
        hub.refusals.record(crate::refusals::Refusal {
            oin: Some(party.oin.to_string()),
            ..crate::refusals::Refusal::of(crate::refusals::RefusalReason::UnaskedRecord)
        });
    }
}

/// With whose decisions a partner's go to the log.
#[derive(Clone, Copy, Debug)]
pub(super) enum LogBatch<'a> {
    /// In a batch of their own (a late answer).
    Alone,
    /// With those of the file's other partners that settle about the same time, and
    /// the file's checkpoint when they are the last ([`FileLog`]). A partner that has
    /// no decisions says so too.
    WithFile(&'a Arc<FileLog>),
}

/// Appends the decisions of one or more answers to the log, durably, before anything
/// of them may pass; the entries get their leaf indices. All answers' entries go to the
/// log in one batch (one write and one sync for a partner's answers about all its
/// subjects, instead of one per answer waited for in turn). On failure nothing of any
/// of them may pass (the log fails closed, article 10).
pub(super) async fn log_decisions(
    hub: &Hub,
    answers: &mut [Decided],
    batch: LogBatch<'_>,
) -> Result<(), String> {
    if let Some(why) = answers.iter_mut().find_map(|d| d.unloggable.take()) {
        settled_without_decisions(hub, batch).await;
        return Err(why);
    }
    // Per entry: which answer it belongs to and its position in that answer.
    let mut owners = Vec::new();
    let mut entries = Vec::new();
    for (answer, decided) in answers.iter_mut().enumerate() {
        for (position, entry) in std::mem::take(&mut decided.log) {
            owners.push((answer, position));
            entries.push(entry);
        }
    }
    let counted: Vec<_> = entries
        .iter()
        .map(|entry| match &entry.event {
            crate::log::Event::ShareDecision(share) => Some((
                share.outcome.as_str().to_owned(),
                share
                    .articles
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        })
        .collect();
    let indices = match batch {
        LogBatch::Alone => hub.log.append_all(entries).await,
        LogBatch::WithFile(file_log) => {
            file_log
                .log(&hub.log, entries, |cp| crate::witnesses::signed(hub, cp))
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    for (((answer, position), index), counted) in owners.into_iter().zip(indices).zip(counted) {
        if let Some((outcome, articles)) = counted {
            hub.metrics.decision(&outcome, &articles);
        }
        let Some(decided) = answers.get_mut(answer) else {
            continue;
        };
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

/// Tells the file's log that a partner settled without decisions to log (its answers
/// had none, or cannot be logged), so that the last partner to settle is known.
pub(super) async fn settled_without_decisions(hub: &Hub, batch: LogBatch<'_>) {
    if let LogBatch::WithFile(file_log) = batch {
        // Nothing of this partner's waits on it; the others' hear of any failure.
        let _ = file_log
            .log(&hub.log, Vec::new(), |cp| crate::witnesses::signed(hub, cp))
            .await;
    }
}
