//! Late answers: answers to questions that were queued for an offline partner, joined
//! to the stored case file they belong to when they arrive (or, after a restart, from
//! where they were kept, [`super::late_record`]), decided against the case as it is
//! then.
//!
//! A late answer whose decisions cannot be logged, or that cannot be stored, is kept
//! and tried again: nothing of it joins the file before its decisions are in the log.
//! Joins of answers to one file are serialised by [`FileWrites`].

use std::sync::Arc;
use std::time::Duration;

use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::v1::answer;

use super::ask::{SubjectOutcome, keep_decided, share_request};
use super::decide::ShareContext;
use super::records::{LogBatch, decide_records};
use super::settle::{settle, summarise};
use super::{CaseFileError, late_record, record};
use crate::clock::timestamp;
use crate::questions::LateAnswer;
use crate::state::Hub;

/// The lock over read-modify-write of stored case files, held by [`Hub`].
///
/// Why it exists: a stored file changes after it was first saved only when a late
/// answer joins it, by reading the file, adding the answer and saving it whole. Two
/// partners' late answers for one file may arrive at once; without the lock the second
/// save would overwrite the first one's answer. One lock for all files keeps it simple:
/// a join takes milliseconds and late answers are rare.
/// With several replicas on one database the lock is also taken across them.
#[derive(Debug, Default)]
pub struct FileWrites(tokio::sync::Mutex<()>);

/// A held [`FileWrites`] lock.
#[derive(Debug)]
pub struct FileWritesGuard<'a> {
    _process: tokio::sync::MutexGuard<'a, ()>,
    _replicas: Option<crate::store::SharedLock>,
}

impl FileWrites {
    /// Waits until no other write of a case file runs (in this process, and in the
    /// other replicas sharing `store`); held until the guard drops.
    pub async fn lock(
        &self,
        store: &dyn crate::store::Store,
    ) -> Result<FileWritesGuard<'_>, crate::store::StoreError> {
        let process = self.0.lock().await;
        Ok(FileWritesGuard {
            _process: process,
            _replicas: store.lock_shared("case-file writes")?,
        })
    }
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
            () = crate::state::shutdown_begun(&mut shutdown) => return,
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
            Err(error) if error.is_transient() => {
                tracing::warn!(
                    party = %late.party,
                    request = %late.request_id,
                    %error,
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "a late answer cannot join its case file yet; it is kept and tried again"
                );
            }
            Err(error) => {
                tracing::error!(
                    party = %late.party,
                    request = %late.request_id,
                    %error,
                    "a late answer could not be joined to its case file"
                );
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
        wait = (wait * 2).min(JOIN_RETRY_MAX);
    }
}

async fn join_late(hub: &Arc<Hub>, late: LateAnswer) -> Result<(), CaseFileError> {
    let store = hub.store.as_ref();
    let Some(queued) = record::queued(store, late.request_id.as_str())? else {
        // Joined already (a repeat), or asked for no case file: nothing waits for it.
        late_record::forget_now(store, late.request_id.as_str())?;
        return Ok(());
    };
    let Some(file) = record::load(store, &queued.file_id)? else {
        return Ok(());
    };
    let requester = record::requester(store, &file.case_id, &file.id)?
        .ok_or(CaseFileError::Damaged("a case file without owner"))?;
    let party = hub.parties.get(&late.party)?.clone();
    let requester_party_oin = file
        .requester
        .as_ref()
        .and_then(|r| r.party.as_ref())
        .map(|p| p.oin.clone())
        .unwrap_or_default();
    let requester_party_oin = crate::identity::Oin::parse(&requester_party_oin)?;
    let requester_party = hub.parties.get(&requester_party_oin)?.clone();
    let person = hub.persons.resolve(&requester, &requester_party_oin)?;
    let at = hub.clock.now();
    let case = hub
        .cases
        .load(&file.case_id)?
        .ok_or_else(|| CaseFileError::CaseGone(file.case_id.clone()))?;
    let role: Role = file
        .requester
        .as_ref()
        .and_then(|r| r.roles.first())
        .and_then(|r| r.parse().ok())
        .ok_or(CaseFileError::Damaged("a case file without requester role"))?;
    let purpose: Purpose = file
        .purpose
        .parse()
        .map_err(|_| CaseFileError::Damaged("a case file without purpose"))?;
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
    let mut outcome = SubjectOutcome::no_answer(&queued.subject);
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
            keep_decided(hub, &party, [&mut outcome], LogBatch::Alone).await;
            // Records whose decisions the log refused may not pass (article 10.1), and
            // the subject is not "no answer" either: the partner did answer. The file
            // stays as it is and the hit stays kept, so the records are asked for again
            // when this answer is retried (see `join_until_done`).
            if let Some(why) = outcome.log_failure.take() {
                return Err(CaseFileError::LateRecordsUnlogged(why));
            }
        }
        (Some(answer::Kind::Bevraging(b)), "bevraging") => {
            outcome.result.status = if b.hit { "no-records" } else { "no-hit" }.into();
        }
        (Some(answer::Kind::Shares(shares)), "shares") if !closed => {
            outcome.decided = Some(decide_records(
                &ctx,
                &file.id,
                &party,
                &queued.subject,
                &categories,
                shares,
                true,
            ));
            keep_decided(hub, &party, [&mut outcome], LogBatch::Alone).await;
            if let Some(why) = outcome.log_failure.take() {
                return Err(CaseFileError::LateAnswerUnlogged(why));
            }
        }
        (Some(answer::Kind::Unanswerable(u)), _) => {
            outcome.result.no_answer_reason = u.reason.clone();
        }
        _ => {
            outcome.result.no_answer_reason = "no longer applicable".into();
        }
    }
    let _guard = hub.case_file_writes.lock(store).await?;
    // A repeat of this answer may have been joined while this one was being decided.
    if record::queued(store, late.request_id.as_str())?.is_none() {
        return Ok(());
    }
    // Re-read under the lock: another late answer may have changed the file meanwhile.
    let Some(mut file) = record::load(store, &queued.file_id)? else {
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
        partner.settled_at = Some(timestamp(hub.clock.now()));
        settle(partner);
    }
    let duration = file.summary.as_ref().map(|s| s.duration_ms).unwrap_or(0);
    summarise(&mut file, std::time::Instant::now());
    if let Some(summary) = &mut file.summary {
        summary.duration_ms = duration;
    }
    // A file the late answer completes is stored with its delivery queued, in one
    // write (a crash between two writes lost the delivery).
    let case = hub.cases.load(&file.case_id).ok().flatten();
    let delivery = crate::deliveries::of_completed_file(hub, &file, case.as_ref());
    record::save(
        store,
        &file.case_id,
        &file,
        &requester,
        &remember,
        &[late.request_id.as_str().to_owned()],
        &outcome.notices,
        delivery.as_ref(),
        false,
    )?;
    tracing::info!(file = %file.id, party = %queued.party, "late answer joined its case file");
    if let Some((party, delivery)) = delivery {
        crate::deliveries::send_queued(hub, &file.id, &party, delivery);
    }
    Ok(())
}
