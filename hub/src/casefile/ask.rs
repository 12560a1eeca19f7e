//! Asking one partner about one subject: the bevraging (hit / no hit, article 8.4), and
//! after a hit the share request for the categories planned, whose answer is decided
//! ([`super::records`]) before anything of it is kept.
//!
//! A question to an offline partner is queued; where its answer belongs is returned
//! ([`SubjectOutcome::queued`]) and stored with the file ([`super::record`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use treiter_policies::vocab::Category;
use treiter_proto::v1 as wire;
use treiter_proto::v1::{answer, question};

use super::decide::ShareContext;
use super::notices::Notice;
use super::record::QueuedRequest;
use super::records::{Checkpoint, Decided, count_unasked, decide_records, log_decisions};
use super::subject_hex;
use crate::clock::timestamp;
use crate::parties::Party;
use crate::questions::AskOutcome;
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

/// Asks `party` about `subject` (bevraging, then the share request after a hit), all
/// by `deadline`; the file's progress shows the bevraging's answer as it arrives.
pub(super) async fn ask_subject(
    hub: Arc<Hub>,
    ctx: Arc<ShareContext>,
    file_id: String,
    party: Party,
    subject: String,
    categories: Vec<Category>,
    deadline: tokio::time::Instant,
) -> SubjectOutcome {
    let mut outcome = SubjectOutcome::no_answer(&subject);
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

/// Logs the decided records of a partner's answers (`outcomes`, one per subject asked)
/// in one batch, and only then keeps them in their outcomes; if the log refuses, every
/// outcome with decided records gets the failure and keeps nothing (article 10.1).
pub(super) async fn keep_decided<'a>(
    hub: &Hub,
    party: &Party,
    outcomes: impl IntoIterator<Item = &'a mut SubjectOutcome>,
    checkpoint: Checkpoint,
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
        return;
    }
    if let Err(why) = log_decisions(hub, &mut decided, checkpoint).await {
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
