//! Asking one partner about one subject: the bevraging (hit / no hit, article 8.4), and
//! after a hit the share request for the categories planned, whose answer is decided
//! ([`super::records`]) before anything of it is kept.
//!
//! An agent that says in its Hello that it can is asked about all of a file's subjects
//! in one bevraging ([`bevraag_together`]), and for the records of all its hits in one
//! share request ([`share_together`]): one question, answer and Ack instead of one per
//! subject. Such a question is not queued: when it does not reach the agent, or an
//! answer lacks subjects (an older agent took the link meanwhile), the subjects it said
//! nothing about are asked one by one, as for any other agent.
//!
//! A question to an offline partner is queued; where its answer belongs is returned
//! ([`SubjectOutcome::queued`]) and stored with the file ([`super::record`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use treiter_policies::vocab::Category;
use treiter_proto::limits::MAX_BEVRAGING_SUBJECTS;
use treiter_proto::v1 as wire;
use treiter_proto::v1::{answer, question};

use super::decide::ShareContext;
use super::notices::Notice;
use super::record::QueuedRequest;
use super::records::{
    Decided, LogBatch, count_unasked, decide_records, log_decisions, settled_without_decisions,
};
use super::subject_hex;
use crate::clock::timestamp;
use crate::parties::Party;
use crate::questions::{AskOutcome, NoAnswerWhy};
use crate::state::Hub;

/// The outcome of asking one party about one subject.
pub(super) struct SubjectOutcome {
    pub result: wire::PartnerSubjectResult,
    pub entries: Vec<wire::CaseFileEntry>,
    pub notices: Vec<(String, Notice)>,
    /// A queued question: its request id, until when it stays queued, and where its
    /// answer belongs.
    pub queued: Option<(String, SystemTime, QueuedRequest)>,
    pub no_answer_detail: String,
    /// When the last answer came (for the partner's latency, not a timestamp).
    pub answered_at: Option<std::time::Instant>,
    /// Set when the decision log refused the decisions: nothing of them may pass.
    pub log_failure: Option<String>,
    /// The records of a share answer, decided but not yet logged: nothing of them is
    /// in `entries` until [`keep_decided`] has logged them.
    pub decided: Option<Decided>,
}

impl SubjectOutcome {
    /// No answer about `subject`, for `reason` (the file's progress says so too).
    pub fn not_answered(
        hub: &Hub,
        file_id: &str,
        party: &Party,
        subject: &str,
        (reason, detail): (String, String),
    ) -> SubjectOutcome {
        hub.assembling.bevraging(
            file_id,
            &party.oin.to_string(),
            subject,
            "no-answer",
            &reason,
        );
        let mut outcome = SubjectOutcome::no_answer(subject);
        outcome.result.no_answer_reason = reason;
        outcome.no_answer_detail = detail;
        outcome
    }

    /// The bevraging about `subject` said `hit` (the file's progress says so too);
    /// after a hit the share request comes next.
    pub fn heard(
        hub: &Hub,
        file_id: &str,
        party: &Party,
        subject: &str,
        hit: bool,
    ) -> SubjectOutcome {
        let status = if hit { "hit" } else { "no-hit" };
        hub.assembling
            .bevraging(file_id, &party.oin.to_string(), subject, status, "");
        let mut outcome = SubjectOutcome::no_answer(subject);
        outcome.result.status = status.into();
        outcome.answered_at = Some(std::time::Instant::now());
        outcome
    }

    /// Nothing heard about `subject` yet: "no-answer" until the partner says more.
    pub fn no_answer(subject: &str) -> SubjectOutcome {
        SubjectOutcome {
            result: wire::PartnerSubjectResult {
                subject: subject_hex(subject),
                status: "no-answer".into(),
                ..Default::default()
            },
            entries: Vec::new(),
            notices: Vec::new(),
            queued: None,
            no_answer_detail: String::new(),
            answered_at: None,
            log_failure: None,
            decided: None,
        }
    }
}

/// The reason (and detail) of an outcome that is not the answer asked for.
pub(super) fn no_answer(outcome: &AskOutcome) -> (String, String) {
    match outcome {
        AskOutcome::Unanswerable { reason, detail } => (reason.clone(), detail.clone()),
        AskOutcome::NoAnswer { why, .. } => (why.as_reason().to_owned(), String::new()),
        AskOutcome::Answered(_) => (
            "protocol".into(),
            "the answer did not fit the question".into(),
        ),
    }
}

/// What a bevraging about several subjects at once said.
pub(super) enum Together {
    /// Hit or no hit for the first subjects asked about, in their order: for all of
    /// them, for fewer (an answer from an agent that answers one subject at a time), or
    /// for none (the question did not reach the agent). Those it says nothing about are
    /// asked one by one.
    Hits(Vec<bool>),
    /// No answer about any of them (the deadline passed, the agent could not answer):
    /// the reason and its detail.
    NoAnswer(String, String),
}

/// Whether `subjects` of one partner are asked about in one question (a bevraging
/// about the subjects planned, a share request for its hits): when there are several,
/// no more than one question may ask about ([`MAX_BEVRAGING_SUBJECTS`]; a case with
/// more is asked one by one), and the partner's agent `offers` it.
pub(super) fn asks_together(subjects: usize, offers: impl FnOnce() -> bool) -> bool {
    (2..=MAX_BEVRAGING_SUBJECTS).contains(&subjects) && offers()
}

/// Asks `party` a question about several subjects by `deadline`, without queueing it
/// (module doc).
async fn ask_unqueued(
    hub: &Hub,
    party: &Party,
    question: question::Kind,
    deadline: tokio::time::Instant,
) -> AskOutcome {
    let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
    hub.questioner
        .ask_until(
            &party.oin,
            question,
            crate::questions::Deadline::after(wait),
            false,
        )
        .await
}

/// Whether an unqueued question did not reach the agent (then each of its subjects is
/// asked, and queued, on its own).
fn not_delivered(asked: &AskOutcome) -> bool {
    matches!(
        asked,
        AskOutcome::NoAnswer {
            why: NoAnswerWhy::Offline | NoAnswerWhy::LinkLost,
            ..
        }
    )
}

/// Asks `party` about all `subjects` in one bevraging, by `deadline`, without queueing
/// it (module doc).
pub(super) async fn bevraag_together(
    hub: &Hub,
    party: &Party,
    subjects: &[&str],
    deadline: tokio::time::Instant,
) -> Together {
    let Some((first, more)) = subjects.split_first() else {
        return Together::Hits(Vec::new());
    };
    let bevraging = question::Kind::Bevraging(wire::Bevraging {
        subject: subject_hex(first),
        more_subjects: more.iter().filter_map(|s| subject_hex(s)).collect(),
    });
    match ask_unqueued(hub, party, bevraging, deadline).await {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Bevraging(b)),
            ..
        }) => {
            let mut hits = vec![b.hit];
            hits.extend(b.more_hits);
            if hits.len() > subjects.len() {
                tracing::warn!(oin = %party.oin, asked = subjects.len(), answered = hits.len(),
                    "a bevraging's answer has more hits than subjects asked about; the extra are ignored");
                hits.truncate(subjects.len());
            }
            Together::Hits(hits)
        }
        // Not delivered: each subject is asked (and queued) on its own.
        asked if not_delivered(&asked) => Together::Hits(Vec::new()),
        other => {
            let (reason, detail) = no_answer(&other);
            Together::NoAnswer(reason, detail)
        }
    }
}

/// Asks `party` about `subject` (bevraging, then the share request after a hit), all
/// by `deadline`; the file's progress shows the bevraging's answer as it arrives.
/// `heard`: what a bevraging about several subjects already said about this one (then
/// it is not asked again).
#[expect(
    clippy::too_many_arguments,
    reason = "one subject of one partner: the hub, the case context, the file, the party, the subject, its categories, the deadline and what was heard already; a struct would only rename them"
)]
pub(super) async fn ask_subject(
    hub: Arc<Hub>,
    ctx: Arc<ShareContext>,
    file_id: String,
    party: Party,
    subject: String,
    categories: Vec<Category>,
    deadline: tokio::time::Instant,
    heard: Option<bool>,
) -> SubjectOutcome {
    let remaining = || deadline.saturating_duration_since(tokio::time::Instant::now());
    let hit = match heard {
        Some(hit) => hit,
        None => match bevraag(
            &hub,
            &ctx,
            &file_id,
            &party,
            &subject,
            &categories,
            remaining(),
        )
        .await
        {
            Ok(hit) => hit,
            Err(not_answered) => return *not_answered,
        },
    };
    let mut outcome = SubjectOutcome::heard(&hub, &file_id, &party, &subject, hit);
    if !hit {
        return outcome;
    }
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

/// The bevraging of one subject: the hit, or the subject's outcome without one (the
/// question queued, or no answer).
async fn bevraag(
    hub: &Hub,
    ctx: &ShareContext,
    file_id: &str,
    party: &Party,
    subject: &str,
    categories: &[Category],
    wait: Duration,
) -> Result<bool, Box<SubjectOutcome>> {
    let bevraging = question::Kind::Bevraging(wire::Bevraging {
        subject: subject_hex(subject),
        more_subjects: Vec::new(),
    });
    let asked = hub
        .questioner
        .ask_for_case(&party.oin, bevraging, wait, &ctx.case.id)
        .await;
    let oin = party.oin.to_string();
    let mut outcome = SubjectOutcome::no_answer(subject);
    match &asked {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Bevraging(b)),
            ..
        }) => Ok(b.hit),
        AskOutcome::NoAnswer {
            queued: Some(q), ..
        } => {
            hub.assembling
                .bevraging(file_id, &oin, subject, "offline-queued", "");
            outcome.result.status = "offline-queued".into();
            outcome.queued = Some((
                q.request_id.as_str().to_owned(),
                q.until,
                QueuedRequest {
                    file_id: file_id.to_owned(),
                    party: oin,
                    subject: subject.to_owned(),
                    kind: "bevraging".into(),
                    categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
                },
            ));
            Err(Box::new(outcome))
        }
        other => Err(Box::new(SubjectOutcome::not_answered(
            hub,
            file_id,
            party,
            subject,
            no_answer(other),
        ))),
    }
}

/// Asks `party` for its records about `subject` in `categories`, waiting at most
/// `wait`, and decides what it sends into `outcome.decided` (`late`: for a late hit);
/// [`keep_decided`] logs the decisions and only then keeps the records.
#[expect(
    clippy::too_many_arguments,
    reason = "one share request: the hub, the case context, the file, the party, the subject, the categories, the wait, whether it is late and where its outcome goes; a struct would only rename them"
)]
pub(super) async fn share_request(
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
    let request = question::Kind::ShareRequest(wire_share_request(ctx, subject, categories));
    let asked = hub
        .questioner
        .ask_for_case(&party.oin, request, wait, &ctx.case.id)
        .await;
    match &asked {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Shares(shares)),
            ..
        }) => {
            outcome.decided = Some(decide_records(
                ctx, file_id, party, subject, categories, shares, late,
            ));
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
                    categories: category_words(categories),
                },
            ));
        }
        other => no_records(outcome, shares_not_answered(hub, party, other)),
    }
}

/// A share request about `subject` in `categories` (without further subjects).
fn wire_share_request(
    ctx: &ShareContext,
    subject: &str,
    categories: &[Category],
) -> wire::ShareRequest {
    wire::ShareRequest {
        case: Some(ctx.wire_context()),
        subject: subject_hex(subject),
        subject_role: subject_role(ctx, subject),
        categories: category_words(categories),
        purpose: ctx.purpose.as_str().to_owned(),
        recipient: Some(ctx.wire_recipient()),
        at: Some(timestamp(ctx.at)),
        // The agent pre-checks only with this version (article 13.2).
        covenant_version: ctx.covenant.version(),
        more_subjects: Vec::new(),
    }
}

fn subject_role(ctx: &ShareContext, subject: &str) -> String {
    ctx.case
        .subject(subject)
        .map(|s| s.role.as_str().to_owned())
        .unwrap_or_default()
}

fn category_words(categories: &[Category]) -> Vec<String> {
    categories.iter().map(|c| c.as_str().to_owned()).collect()
}

/// Why a share request got no records (`asked` is not a share answer); an agent that
/// missed a covenant switch is sent the version in force.
fn shares_not_answered(hub: &Hub, party: &Party, asked: &AskOutcome) -> (String, String) {
    let (reason, detail) = no_answer(asked);
    if reason == "covenant-version-mismatch" {
        // Article 13.2: the agent missed a switch; it gets the version now.
        crate::covenants::agents::send_to(hub, &party.oin);
    }
    (reason, detail)
}

/// `outcome` got no records, for `reason` (and its detail).
fn no_records(outcome: &mut SubjectOutcome, (reason, detail): (String, String)) {
    outcome.result.status = "no-answer".into();
    outcome.result.no_answer_reason = reason;
    outcome.no_answer_detail = detail;
}

/// Asks `party` in one share request for its records about each of `hits` (a subject
/// and its categories), by `deadline`, without queueing it (module doc), and decides
/// what it sends. Per hit, in order: its outcome (after [`SubjectOutcome::heard`], the
/// records decided and not yet logged, see [`keep_decided`]), or `None` when this
/// question settles nothing about it (it did not reach the agent, or an agent that
/// answers one subject at a time answered only the first): that subject is asked on
/// its own.
pub(super) async fn share_together(
    hub: &Hub,
    ctx: &ShareContext,
    file_id: &str,
    party: &Party,
    hits: &[(&str, &[Category])],
    deadline: tokio::time::Instant,
) -> Vec<Option<SubjectOutcome>> {
    let Some(((first, first_categories), more)) = hits.split_first() else {
        return Vec::new();
    };
    // The file's progress shows the hits while their records are asked for.
    let mut outcomes: Vec<SubjectOutcome> = hits
        .iter()
        .map(|(subject, _)| SubjectOutcome::heard(hub, file_id, party, subject, true))
        .collect();
    let mut request = wire_share_request(ctx, first, first_categories);
    request.more_subjects = more
        .iter()
        .map(|(subject, categories)| wire::SubjectShareRequest {
            subject: subject_hex(subject),
            subject_role: subject_role(ctx, subject),
            categories: category_words(categories),
        })
        .collect();
    let asked = ask_unqueued(hub, party, question::Kind::ShareRequest(request), deadline).await;
    let answered = match &asked {
        AskOutcome::Answered(wire::Answer {
            kind: Some(answer::Kind::Shares(shares)),
            ..
        }) => {
            let subjects: Vec<&str> = hits.iter().map(|(s, _)| *s).collect();
            // An answer that does not cover the further subjects is the first's: what
            // it says of others is dropped and counted there, as not asked for.
            let (answered, split) = if shares.more_subjects_answered {
                (hits.len(), split_by_subject(shares, &subjects))
            } else {
                (1, vec![shares.clone()])
            };
            for (((subject, categories), answer), outcome) in
                hits.iter().zip(&split).zip(&mut outcomes).take(answered)
            {
                outcome.decided = Some(decide_records(
                    ctx, file_id, party, subject, categories, answer, false,
                ));
                outcome.answered_at = Some(std::time::Instant::now());
            }
            answered
        }
        // Not delivered: each subject is asked (and queued) on its own.
        asked if not_delivered(asked) => 0,
        other => {
            let why = shares_not_answered(hub, party, other);
            for outcome in &mut outcomes {
                no_records(outcome, why.clone());
            }
            hits.len()
        }
    };
    outcomes
        .into_iter()
        .enumerate()
        .map(|(i, outcome)| (i < answered).then_some(outcome))
        .collect()
}

/// The answer to a share request for several `subjects`, as one answer per subject:
/// each record and withheld line goes with the subject it names (a withheld line that
/// names none, with the first). What names a subject that was not asked about goes
/// with the first too, where [`decide_records`] drops and counts it as not asked for.
fn split_by_subject(answer: &wire::ShareAnswer, subjects: &[&str]) -> Vec<wire::ShareAnswer> {
    let mut split: Vec<wire::ShareAnswer> = subjects
        .iter()
        .map(|_| wire::ShareAnswer::default())
        .collect();
    let place = |about: Option<&wire::SubjectPseudonym>| {
        about
            .and_then(|p| subjects.iter().position(|s| *s == p.hex))
            .unwrap_or(0)
    };
    for record in &answer.records {
        if let Some(one) = split.get_mut(place(record.subject.as_ref())) {
            one.records.push(record.clone());
        }
    }
    for withheld in &answer.withheld {
        if let Some(one) = split.get_mut(place(withheld.subject.as_ref())) {
            one.withheld.push(withheld.clone());
        }
    }
    split
}

/// Logs the decided records of a partner's answers (`outcomes`, one per subject asked)
/// in one batch, and only then keeps them in their outcomes; if the log refuses, every
/// outcome with decided records gets the failure and keeps nothing (article 10.1).
pub(super) async fn keep_decided<'a>(
    hub: &Hub,
    party: &Party,
    outcomes: impl IntoIterator<Item = &'a mut SubjectOutcome>,
    batch: LogBatch<'_>,
) {
    let mut answered: Vec<&mut SubjectOutcome> = outcomes
        .into_iter()
        .filter(|o| o.decided.is_some())
        .collect();
    let mut decided: Vec<Decided> = answered
        .iter_mut()
        .filter_map(|o| o.decided.take())
        .collect();
    if decided.is_empty() {
        settled_without_decisions(hub, batch).await;
        return;
    }
    if let Err(why) = log_decisions(hub, &mut decided, batch).await {
        for outcome in answered {
            outcome.log_failure = Some(why.clone());
        }
        return;
    }
    for (outcome, decided) in answered.into_iter().zip(decided) {
        count_unasked(hub, party, &decided);
        outcome.result.status = if decided.entries.is_empty() {
            "no-records"
        } else {
            "answered"
        }
        .into();
        outcome.entries = decided.entries;
        outcome.notices = decided.notices;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record and one withheld line about `subject` (`None`: a line that names
    /// none), of category `category`.
    fn about(subject: Option<&str>, category: &str) -> (wire::Record, wire::WithheldAtSource) {
        let named = subject.map(|s| wire::SubjectPseudonym { hex: s.into() });
        (
            wire::Record {
                category: category.into(),
                subject: named.clone(),
                ..Default::default()
            },
            wire::WithheldAtSource {
                category: category.into(),
                subject: named,
                ..Default::default()
            },
        )
    }

    #[test]
    fn an_answer_for_several_subjects_is_split_by_the_subject_each_line_names() {
        let lines = [
            about(Some("bb"), "huurgegevens"),
            about(Some("aa"), "identificatie"),
            about(Some("cc"), "handhaving"),
            about(None, "zorgbetrokkenheid"),
        ];
        let answer = wire::ShareAnswer {
            records: lines.iter().map(|(r, _)| r.clone()).collect(),
            withheld: lines.iter().map(|(_, w)| w.clone()).collect(),
            more_subjects_answered: true,
        };
        let split = split_by_subject(&answer, &["aa", "bb"]);
        let categories = |one: &wire::ShareAnswer| -> (Vec<String>, Vec<String>) {
            (
                one.records.iter().map(|r| r.category.clone()).collect(),
                one.withheld.iter().map(|w| w.category.clone()).collect(),
            )
        };
        // "cc" was not asked about: with the first, where deciding drops it; a withheld
        // line that names no subject is the first's.
        assert_eq!(
            categories(&split[0]),
            (
                vec![
                    "identificatie".into(),
                    "handhaving".into(),
                    "zorgbetrokkenheid".into()
                ],
                vec![
                    "identificatie".into(),
                    "handhaving".into(),
                    "zorgbetrokkenheid".into()
                ]
            )
        );
        assert_eq!(
            categories(&split[1]),
            (vec!["huurgegevens".into()], vec!["huurgegevens".into()])
        );
    }

    #[test]
    fn several_subjects_up_to_the_bound_are_asked_together_when_the_agent_offers_it() {
        assert!(
            !asks_together(1, || true),
            "one subject: a bevraging of its own"
        );
        assert!(asks_together(2, || true));
        assert!(asks_together(MAX_BEVRAGING_SUBJECTS, || true));
        assert!(
            !asks_together(MAX_BEVRAGING_SUBJECTS + 1, || true),
            "more than one bevraging may ask: one by one"
        );
        assert!(
            !asks_together(2, || false),
            "an agent that does not offer it"
        );
    }
}
