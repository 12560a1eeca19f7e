//! A partner's answers at the hub's edge, with the OM's agent driven by hand: a late
//! answer while the decision log cannot write is kept and joins once it can, never
//! without its log entries; a record about someone outside the case never reaches the
//! case file and is counted as the hub's refusal.

use std::time::Duration;

use treiter_hub::refusals::RefusalReason;
use treiter_proto::v1 as wire;
use treiter_proto::v1::{Question, agent_message, answer, hub_message, question};

use crate::casefile::{
    IM_OOST, Partners, SDR_OOST, case_file, case_in, client, dader, entries, partner, slachtoffer,
};
use crate::questions::RawAgent;
use crate::support::{Pki, TestHub, wait_until};

/// How long a test waits for something that should happen within seconds.
const LIMIT: Duration = Duration::from_secs(15);

/// The OM's record about `subject`: one line of justitiele-gegevens (synthetic).
fn justitie(subject: &str, reference: &str) -> wire::Record {
    wire::Record {
        category: "justitiele-gegevens".into(),
        subject: Some(wire::SubjectPseudonym {
            hex: subject.to_owned(),
        }),
        fields: vec![wire::Field {
            name: "afdoening".into(),
            value: "taakstraf (synthetisch)".into(),
        }],
        source_reference: reference.into(),
        ..Default::default()
    }
}

/// Acknowledges a question and sends the answer of `kind` (the hub's Ack to it is read
/// and passed over by [`next_share_request`]).
async fn reply(om: &RawAgent, q: &Question, kind: answer::Kind) {
    om.send(agent_message::Body::Ack(wire::Ack {
        request_id: q.request_id.clone(),
    }))
    .await;
    om.send(agent_message::Body::Answer(wire::Answer {
        request_id: q.request_id.clone(),
        kind: Some(kind),
    }))
    .await;
}

/// Reads what the hub sends the hand-driven OM, answers every bevraging at once (a
/// hit for the dader only), and returns the first share request.
async fn next_share_request(om: &mut RawAgent) -> Question {
    loop {
        match om.next_within(LIMIT).await {
            Some(hub_message::Body::Question(q)) => match &q.kind {
                Some(question::Kind::Bevraging(b)) => {
                    let hit = b.subject.as_ref().map(|s| s.hex.clone()) == Some(dader());
                    reply(
                        om,
                        &q,
                        answer::Kind::Bevraging(wire::BevragingAnswer {
                            hit,
                            more_hits: Vec::new(),
                        }),
                    )
                    .await;
                }
                Some(question::Kind::ShareRequest(_)) => return q,
                None => panic!("a question without a kind"),
            },
            Some(_) => continue,
            None => panic!("no share request within {LIMIT:?}"),
        }
    }
}

/// Answers a share request with `records`.
async fn answer_records(om: &RawAgent, q: &Question, records: Vec<wire::Record>) {
    reply(
        om,
        q,
        answer::Kind::Shares(wire::ShareAnswer {
            records,
            withheld: Vec::new(),
            more_subjects_answered: false,
        }),
    )
    .await;
}

async fn stored_file(
    sdr: &mut wire::coordinator_client::CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    id: &str,
) -> wire::CaseFile {
    sdr.get_case_file(wire::GetCaseFileRequest {
        case_file_id: id.to_owned(),
    })
    .await
    .expect("the stored case file")
    .into_inner()
}

/// The partner's result for the subject with pseudonym `hex`, if it lists one.
fn subject_result<'a>(
    p: &'a wire::PartnerResult,
    hex: &str,
) -> Option<&'a wire::PartnerSubjectResult> {
    p.subjects
        .iter()
        .find(|s| s.subject.as_ref().is_some_and(|s| s.hex == hex))
}

fn subject_status<'a>(p: &'a wire::PartnerResult, hex: &str) -> &'a str {
    subject_result(p, hex).map_or("-", |s| s.status.as_str())
}

#[tokio::test]
async fn a_late_answer_under_a_failing_log_is_kept_and_joins_once_the_log_writes() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 1500)
        .await
        .expect("case file");
    assert_eq!(partner(&file, "om").status, "offline-queued");

    // The disk under the decision log fails; the OM's agent comes back, knows the
    // dader, and sends its record.
    let log = &hub.hub.log;
    hub.hub.log.faults().fail_syncs();
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let first = next_share_request(&mut om).await;
    let size = log.tree_size();
    let failed = log.stats().failed_batches;
    answer_records(&om, &first, vec![justitie(&dader(), "OM-1")]).await;
    let log_refused = wait_until(LIMIT, || log.stats().failed_batches > failed).await;
    assert!(
        log_refused,
        "the hub tried to log the decisions, and the log refused"
    );

    // Nothing joined and nothing was lost: the file is as it was, the hit is kept, and
    // the hub asks for the records again.
    let again = next_share_request(&mut om).await;
    let now = stored_file(&mut sdr, &file.id).await;
    let om_now = partner(&now, "om");
    assert!(om_now.entries.is_empty(), "{om_now:?}");
    assert!(entries(&now, "justitiele-gegevens").is_empty());
    assert_eq!(
        subject_status(om_now, &dader()),
        "offline-queued",
        "{om_now:?}"
    );
    assert_eq!(
        subject_status(om_now, &slachtoffer()),
        "no-hit",
        "{om_now:?}"
    );
    assert_eq!(log.tree_size(), size, "nothing entered the log");
    assert_eq!(
        hub.hub
            .questioner
            .outbox()
            .kept_answers()
            .expect("scan")
            .len(),
        1,
        "the OM's hit is kept"
    );

    // The disk works again: the records join, each with its log entry.
    hub.hub.log.faults().clear();
    answer_records(&om, &again, vec![justitie(&dader(), "OM-1")]).await;
    let mut joined = None;
    for _ in 0..150 {
        let now = stored_file(&mut sdr, &file.id).await;
        if partner(&now, "om").status == "answered" {
            joined = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = joined.expect("the kept answer joined once the log could write");
    let justitie_entries = entries(&joined, "justitiele-gegevens");
    assert_eq!(justitie_entries.len(), 1);
    let entry = justitie_entries[0];
    assert!(entry.late);
    let index = entry
        .provenance
        .as_ref()
        .expect("provenance")
        .log_leaf_index;
    let logged = log
        .entry(index)
        .expect("the entry's decision is in the log");
    let treiter_hub::log::Event::ShareDecision(decision) = &logged.entry.event else {
        panic!("log entry {index} is not a share decision");
    };
    assert_eq!(decision.category.as_str(), "justitiele-gegevens");
    assert_eq!(decision.case.as_str(), case);
    assert!(
        hub.hub
            .questioner
            .outbox()
            .kept_answers()
            .expect("scan")
            .is_empty(),
        "the kept answer is forgotten once joined"
    );
    drop(om);
    partners.stop().await;
    hub.stop().await;
}

/// The other late path: a share request whose link was lost while the hub waited is
/// queued (kind "shares"); its answer arrives while the decision log cannot write. It
/// is kept, nothing of it joins the file, and it joins with its log entries once the
/// log writes (issue 22).
#[tokio::test]
async fn a_late_share_answer_under_a_failing_log_is_kept_and_joins_once_the_log_writes() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;

    // The OM is linked, knows the dader, and drops its link while the hub waits for
    // the records: the share request is queued for its next link.
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut asking = sdr.clone();
    let asked = {
        let case = case.clone();
        tokio::spawn(async move { case_file(&mut asking, &case, "aanpak", 8000).await })
    };
    let first = next_share_request(&mut om).await;
    drop(om);
    let file = asked
        .await
        .expect("the case file task")
        .expect("the case file");
    let om_then = partner(&file, "om");
    assert!(om_then.entries.is_empty(), "{om_then:?}");
    assert_eq!(
        subject_status(om_then, &dader()),
        "offline-queued",
        "{om_then:?}"
    );

    // The disk under the decision log fails; the OM comes back and sends its record.
    let log = &hub.hub.log;
    log.faults().fail_syncs();
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let queued = next_share_request(&mut om).await;
    assert_eq!(
        queued.request_id, first.request_id,
        "the same share request"
    );
    let size = log.tree_size();
    let failed = log.stats().failed_batches;
    answer_records(&om, &queued, vec![justitie(&dader(), "OM-2")]).await;
    let log_refused = wait_until(LIMIT, || log.stats().failed_batches > failed).await;
    assert!(
        log_refused,
        "the hub tried to log the decision, and the log refused"
    );
    // Give a wrongly joining answer time to be saved before looking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = stored_file(&mut sdr, &file.id).await;
    let om_now = partner(&now, "om");
    assert!(
        om_now.entries.is_empty(),
        "joined without its log entry: {om_now:?}"
    );
    assert_eq!(
        subject_status(om_now, &dader()),
        "offline-queued",
        "{om_now:?}"
    );
    assert_eq!(log.tree_size(), size, "nothing entered the log");
    assert_eq!(
        hub.hub
            .questioner
            .outbox()
            .kept_answers()
            .expect("scan")
            .len(),
        1,
        "the OM's answer is kept"
    );

    // The disk works again: the kept answer joins (it is retried by itself), with its
    // log entry.
    log.faults().clear();
    let mut joined = None;
    for _ in 0..300 {
        let now = stored_file(&mut sdr, &file.id).await;
        if !partner(&now, "om").entries.is_empty() {
            joined = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = joined.expect("the kept answer joined once the log could write");
    let justitie_entries = entries(&joined, "justitiele-gegevens");
    assert_eq!(justitie_entries.len(), 1);
    let entry = justitie_entries[0];
    assert!(entry.late);
    let index = entry
        .provenance
        .as_ref()
        .expect("provenance")
        .log_leaf_index;
    let logged = log
        .entry(index)
        .expect("the entry's decision is in the log");
    let treiter_hub::log::Event::ShareDecision(decision) = &logged.entry.event else {
        panic!("log entry {index} is not a share decision");
    };
    assert_eq!(decision.category.as_str(), "justitiele-gegevens");
    assert_eq!(decision.case.as_str(), case);
    assert!(index >= size, "logged after the failure, not before");
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn a_record_about_someone_outside_the_case_is_dropped_and_counted() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let outsider = "ee".repeat(32);

    let requested = {
        let mut sdr = sdr.clone();
        let case = case.clone();
        tokio::spawn(async move { case_file(&mut sdr, &case, "aanpak", 8000).await })
    };
    let q = next_share_request(&mut om).await;
    let Some(question::Kind::ShareRequest(request)) = &q.kind else {
        unreachable!()
    };
    assert_eq!(
        request.subject.as_ref().map(|s| s.hex.clone()),
        Some(dader())
    );
    // The asked record, one about a person the case does not hold, and a line saying
    // a record about that person was withheld (which the hub, decided for the dader,
    // would refuse and log: article 7.1).
    reply(
        &om,
        &q,
        answer::Kind::Shares(wire::ShareAnswer {
            records: vec![justitie(&dader(), "OM-1"), justitie(&outsider, "OM-2")],
            withheld: vec![wire::WithheldAtSource {
                category: "justitiele-gegevens".into(),
                decision: Some(wire::ShareDecision {
                    outcome: "reject".into(),
                    articles: vec!["7.1".into()],
                    stripped: vec!["afdoening".into(), "diagnose".into()],
                    ..Default::default()
                }),
                subject: Some(wire::SubjectPseudonym {
                    hex: outsider.clone(),
                }),
            }],
            more_subjects_answered: false,
        }),
    )
    .await;
    let file = requested
        .await
        .expect("the request ran")
        .expect("case file");

    let om_result = partner(&file, "om");
    assert_eq!(om_result.entries.len(), 1, "{om_result:?}");
    let subjects: Vec<&str> = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter_map(|e| e.subject.as_ref().map(|s| s.hex.as_str()))
        .collect();
    assert!(!subjects.contains(&outsider.as_str()), "{subjects:?}");
    assert!(
        om_result.entries.iter().all(|e| e
            .provenance
            .as_ref()
            .is_none_or(|p| p.source_reference != "OM-2")),
        "{om_result:?}"
    );
    // Both counted as the hub's refusal, with the party's OIN and nothing of the record.
    assert_eq!(
        hub.hub.refusals.counts().get(&RefusalReason::UnaskedRecord),
        Some(&2)
    );
    let refusal = hub
        .hub
        .refusals
        .recent()
        .into_iter()
        .find(|r| r.reason == RefusalReason::UnaskedRecord)
        .expect("recorded");
    assert_eq!(refusal.oin.as_deref(), Some("00000003000000000003"));
    assert_eq!(refusal.person, None);
    let status = treiter_hub::admin::status_document(&hub.hub);
    let log = &hub.hub.log;
    assert_eq!(status.refusals.get("unasked-record"), Some(&2));
    // The outsider's pseudonym is nowhere in the decision log.
    for stored in log.entries(0, log.tree_size()).expect("entries") {
        assert!(
            !String::from_utf8_lossy(&stored.bytes).contains(&outsider),
            "entry {} names the outsider",
            stored.index
        );
    }
    drop(om);
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn a_malformed_answer_is_taken_as_no_answer_naming_the_field() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let requested = {
        let mut sdr = sdr.clone();
        let case = case.clone();
        tokio::spawn(async move { case_file(&mut sdr, &case, "aanpak", 8000).await })
    };
    let q = next_share_request(&mut om).await;
    // A reference that would clear the coordinator's screen, and a value of Jansen.
    let mut record = justitie(&dader(), "OM-1\u{1b}[2J");
    record.fields[0].value = "Jan Jansen".into();
    answer_records(&om, &q, vec![record]).await;
    let file = requested
        .await
        .expect("the request ran")
        .expect("case file");
    let om_result = partner(&file, "om");
    assert!(om_result.entries.is_empty(), "{om_result:?}");
    assert_eq!(om_result.status, "no-answer", "{om_result:?}");
    assert_eq!(om_result.no_answer_reason, "malformed-answer");
    assert!(
        om_result
            .no_answer_detail
            .contains("ShareAnswer.records[0].source_reference holds a control"),
        "{}",
        om_result.no_answer_detail
    );
    assert!(!om_result.no_answer_detail.contains("Jansen"));
    assert!(!om_result.no_answer_detail.contains('\u{1b}'));
    drop(om);
    partners.stop().await;
    hub.stop().await;
}

/// A partner's answers about several subjects are logged together once all are in
/// (one write and one sync instead of one per answer, issue 20), and still before
/// anything of them passes: a case change logged between the OM's two answers comes
/// before both their decisions in the log.
#[tokio::test]
async fn a_partners_answers_about_its_subjects_are_logged_together_once_all_are_in() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let log = &hub.hub.log;

    let requested = {
        let (mut sdr, case) = (sdr.clone(), case.clone());
        tokio::spawn(async move { case_file(&mut sdr, &case, "aanpak", 10_000).await })
    };
    // The OM knows both subjects: a hit for each, then a share request for each.
    let mut share_requests = Vec::new();
    while share_requests.len() < 2 {
        match om.next_within(LIMIT).await {
            Some(hub_message::Body::Question(q)) => match &q.kind {
                Some(question::Kind::Bevraging(_)) => {
                    reply(
                        &om,
                        &q,
                        answer::Kind::Bevraging(wire::BevragingAnswer {
                            hit: true,
                            more_hits: Vec::new(),
                        }),
                    )
                    .await;
                }
                Some(question::Kind::ShareRequest(_)) => share_requests.push(q),
                None => panic!("a question without a kind"),
            },
            Some(_) => continue,
            None => panic!("two share requests within {LIMIT:?}"),
        }
    }
    // A record of the first category asked, about the subject asked.
    let record_for = |q: &Question, reference: &str| match &q.kind {
        Some(question::Kind::ShareRequest(r)) => wire::Record {
            category: r.categories.first().expect("a category").clone(),
            ..justitie(&r.subject.as_ref().expect("subject").hex, reference)
        },
        _ => unreachable!("only share requests are kept"),
    };

    // The first answer, and time for the other partners' answers (real agents) and a
    // decision logged at once to be logged; then a case change is logged.
    let first = share_requests.remove(0);
    answer_records(&om, &first, vec![record_for(&first, "OM-A")]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    case_in(&mut client(&pki, &hub, IM_OOST).await, "melding").await;
    let after_the_change = log.tree_size();

    let second = share_requests.remove(0);
    answer_records(&om, &second, vec![record_for(&second, "OM-B")]).await;
    let file = requested
        .await
        .expect("the case file task")
        .expect("the case file");
    let om_entries = &partner(&file, "om").entries;
    assert_eq!(om_entries.len(), 2, "{om_entries:?}");
    let mut indices: Vec<u64> = om_entries
        .iter()
        .map(|e| e.provenance.as_ref().expect("provenance").log_leaf_index)
        .collect();
    indices.sort_unstable();
    assert!(
        indices.iter().all(|&i| i >= after_the_change),
        "the first answer's decision was logged before the second answer came: \
         indices {indices:?}, the case change ended at {after_the_change}"
    );
    assert_eq!(
        indices[1],
        indices[0] + 1,
        "logged in one batch: {indices:?}"
    );
    for index in indices {
        let logged = log.entry(index).expect("the decision is in the log");
        assert!(
            matches!(
                logged.entry.event,
                treiter_hub::log::Event::ShareDecision(_)
            ),
            "log entry {index} is a share decision"
        );
    }
    drop(om);
    partners.stop().await;
    hub.stop().await;
}

/// The next question to `agent`, passing over the hub's Acks of its answers.
async fn next_question(agent: &mut RawAgent) -> Question {
    loop {
        match agent.next_within(LIMIT).await {
            Some(hub_message::Body::Question(q)) => return q,
            Some(hub_message::Body::Ack(_)) => continue,
            other => panic!("expected a question, got {other:?}"),
        }
    }
}

/// Answers every bevraging `agent` is asked with no hit, `n` of them.
async fn no_hits(agent: &mut RawAgent, n: usize) {
    for _ in 0..n {
        let q = next_question(agent).await;
        assert!(
            matches!(q.kind, Some(question::Kind::Bevraging(_))),
            "a bevraging: {q:?}"
        );
        reply(
            agent,
            &q,
            answer::Kind::Bevraging(wire::BevragingAnswer {
                hit: false,
                more_hits: Vec::new(),
            }),
        )
        .await;
    }
}

/// A case file whose decisions a checkpoint signed meanwhile (another file's) already
/// covers signs none of its own (issue 20): file Y's decisions are logged, file X
/// completes and signs a checkpoint over them, a case change is logged, then Y
/// completes; the latest checkpoint is still X's, and it covers all of Y's decisions.
#[tokio::test]
async fn a_case_file_whose_decisions_a_checkpoint_already_covers_signs_none_of_its_own() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om", "degracht"]).await;
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut degracht = RawAgent::link(&pki, "degracht", &hub).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let log = &hub.hub.log;
    let request = |sdr: &wire::coordinator_client::CoordinatorClient<_>| {
        let (mut sdr, case) = (sdr.clone(), case.clone());
        tokio::spawn(async move { case_file(&mut sdr, &case, "aanpak", 10_000).await })
    };

    // File Y: the OM sends a record (logged as soon as the OM is done); De Gracht
    // holds its two bevragingen.
    let y = request(&sdr);
    let share = next_share_request(&mut om).await;
    answer_records(&om, &share, vec![justitie(&dader(), "OM-Y")]).await;
    let held = [
        degracht.next_question().await,
        degracht.next_question().await,
    ];
    let om_decision_logged = wait_until(LIMIT, || {
        (0..log.tree_size()).any(|i| {
            log.entry(i).is_ok_and(|e| match &e.entry.event {
                treiter_hub::log::Event::ShareDecision(d) => {
                    d.category.as_str() == "justitiele-gegevens"
                }
                _ => false,
            })
        })
    })
    .await;
    assert!(om_decision_logged, "the OM's decision for file Y is logged");
    // Every other partner (real agents) has answered Y: only De Gracht's two held
    // bevragingen are still waited for.
    let questioner = &hub.hub.questioner;
    assert!(
        wait_until(LIMIT, || questioner.waiting() == 2).await,
        "only De Gracht's two bevragingen for file Y are open"
    );

    // File X: everyone answers at once; it signs a checkpoint over Y's decisions too.
    let x = request(&sdr);
    no_hits(&mut om, 2).await;
    no_hits(&mut degracht, 2).await;
    x.await.expect("file X task").expect("file X");
    let signed_for_x = log
        .latest_checkpoint()
        .expect("file X signed a checkpoint")
        .checkpoint()
        .size;

    // A case change is logged after X's checkpoint; then Y completes.
    case_in(&mut client(&pki, &hub, IM_OOST).await, "melding").await;
    assert!(log.tree_size() > signed_for_x, "the case change is logged");
    for q in &held {
        reply(
            &degracht,
            q,
            answer::Kind::Bevraging(wire::BevragingAnswer {
                hit: false,
                more_hits: Vec::new(),
            }),
        )
        .await;
    }
    let file_y = y.await.expect("file Y task").expect("file Y");
    let indices: Vec<u64> = file_y
        .partners
        .iter()
        .flat_map(|p| &p.entries)
        .filter_map(|e| e.provenance.as_ref().map(|p| p.log_leaf_index))
        .collect();
    assert!(!indices.is_empty(), "file Y has decisions");
    assert!(
        indices.iter().all(|&i| i < signed_for_x),
        "X's checkpoint covers Y's decisions: {indices:?} against size {signed_for_x}"
    );
    assert_eq!(
        log.latest_checkpoint()
            .expect("a checkpoint")
            .checkpoint()
            .size,
        signed_for_x,
        "file Y signed no checkpoint of its own"
    );
    drop((om, degracht));
    partners.stop().await;
    hub.stop().await;
}

/// Asserts that `agent` is asked nothing within 300 ms (`after` says after what).
async fn asked_nothing_more(agent: &mut RawAgent, after: &str) {
    assert!(
        !matches!(
            agent.next_within(Duration::from_millis(300)).await,
            Some(hub_message::Body::Question(_))
        ),
        "{after}"
    );
}

/// The subjects a bevraging asks about, in order.
fn asked_about(q: &Question) -> Vec<String> {
    match &q.kind {
        Some(question::Kind::Bevraging(b)) => b
            .subject
            .iter()
            .chain(&b.more_subjects)
            .map(|s| s.hex.clone())
            .collect(),
        other => panic!("expected a bevraging, got {other:?}"),
    }
}

/// A hub, every partner's agent but the OM's, the OM's driven by hand with a Hello that
/// offers bevragingen about several subjects (and share requests for several when
/// `shares` is set), and a case file of a case in `aanpak` (its two subjects) being
/// requested.
async fn om_offering_many_subjects(
    pki: &Pki,
    shares: bool,
) -> (
    TestHub,
    Partners,
    RawAgent,
    tokio::task::JoinHandle<Result<wire::CaseFile, tonic::Status>>,
) {
    let hub = TestHub::start(pki).await;
    let partners = Partners::start(pki, &hub, &["om"]).await;
    let mut sdr = client(pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let om = RawAgent::link_offering(pki, "om", &hub, true, shares).await;
    let file = tokio::spawn(async move { case_file(&mut sdr, &case, "aanpak", 10_000).await });
    (hub, partners, om, file)
}

/// An agent whose Hello offers it is asked about all the file's subjects in one
/// bevraging, and gets a share request only for the subject it has a hit for.
#[tokio::test]
async fn an_agent_that_offers_it_is_asked_about_all_subjects_in_one_bevraging() {
    let pki = Pki::new();
    let (hub, partners, mut om, file) = om_offering_many_subjects(&pki, false).await;

    let bevraging = next_question(&mut om).await;
    let subjects = asked_about(&bevraging);
    let mut sorted = subjects.clone();
    sorted.sort();
    let mut expected = vec![dader(), slachtoffer()];
    expected.sort();
    assert_eq!(sorted, expected, "one bevraging about both subjects");
    let hits: Vec<bool> = subjects.iter().map(|s| *s == dader()).collect();
    reply(
        &om,
        &bevraging,
        answer::Kind::Bevraging(wire::BevragingAnswer {
            hit: hits[0],
            more_hits: hits[1..].to_vec(),
        }),
    )
    .await;
    let request = next_question(&mut om).await;
    match &request.kind {
        Some(question::Kind::ShareRequest(r)) => {
            assert_eq!(r.subject.as_ref().map(|s| s.hex.clone()), Some(dader()));
        }
        other => panic!("expected the share request for the dader, got {other:?}"),
    }
    answer_records(&om, &request, vec![justitie(&dader(), "OM-1")]).await;
    let file = file.await.expect("task").expect("case file");
    let result = partner(&file, "om");
    assert_eq!(subject_status(result, &dader()), "answered");
    assert_eq!(subject_status(result, &slachtoffer()), "no-hit");
    assert_eq!(entries(&file, "justitiele-gegevens").len(), 1);
    // Nothing else was asked.
    asked_nothing_more(&mut om, "no question after the share request").await;
    partners.stop().await;
    hub.stop().await;
}

/// An answer with fewer hits than subjects asked about (an agent that answers one
/// subject at a time took the link) is used for the subjects it covers; the others are
/// asked one by one.
#[tokio::test]
async fn a_bevraging_answered_for_fewer_subjects_has_the_rest_asked_one_by_one() {
    let pki = Pki::new();
    let (hub, partners, mut om, file) = om_offering_many_subjects(&pki, false).await;

    let together = next_question(&mut om).await;
    let subjects = asked_about(&together);
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    // The answer of an agent that knows only `subject`: a hit for the first, nothing
    // about the second.
    let first_hit = subjects[0] == dader();
    reply(
        &om,
        &together,
        answer::Kind::Bevraging(wire::BevragingAnswer {
            hit: first_hit,
            more_hits: Vec::new(),
        }),
    )
    .await;
    let mut share_requests = 0;
    let mut alone = Vec::new();
    while share_requests < 1 || alone.is_empty() {
        let q = next_question(&mut om).await;
        match &q.kind {
            Some(question::Kind::Bevraging(_)) => {
                let about = asked_about(&q);
                let hit = about == [dader()];
                alone.extend(about);
                reply(
                    &om,
                    &q,
                    answer::Kind::Bevraging(wire::BevragingAnswer {
                        hit,
                        more_hits: Vec::new(),
                    }),
                )
                .await;
            }
            Some(question::Kind::ShareRequest(_)) => {
                share_requests += 1;
                answer_records(&om, &q, vec![justitie(&dader(), "OM-2")]).await;
            }
            None => panic!("a question without a kind"),
        }
    }
    assert_eq!(
        alone,
        vec![subjects[1].clone()],
        "the second subject asked on its own"
    );
    let file = file.await.expect("task").expect("case file");
    let result = partner(&file, "om");
    assert_eq!(subject_status(result, &dader()), "answered");
    assert_eq!(subject_status(result, &slachtoffer()), "no-hit");
    partners.stop().await;
    hub.stop().await;
}

/// The subjects a share request asks records of, each with its categories, in order.
fn records_asked(q: &Question) -> Vec<(String, Vec<String>)> {
    match &q.kind {
        Some(question::Kind::ShareRequest(r)) => {
            let first = (
                r.subject
                    .as_ref()
                    .map(|s| s.hex.clone())
                    .unwrap_or_default(),
                r.categories.clone(),
            );
            std::iter::once(first)
                .chain(r.more_subjects.iter().map(|m| {
                    (
                        m.subject
                            .as_ref()
                            .map(|s| s.hex.clone())
                            .unwrap_or_default(),
                        m.categories.clone(),
                    )
                }))
                .collect()
        }
        other => panic!("expected a share request, got {other:?}"),
    }
}

/// The OM's record about `subject` in the first of the `categories` asked for it
/// (justitiele-gegevens or identificatie, synthetic).
fn first_asked(subject: &str, categories: &[String], reference: &str) -> wire::Record {
    match categories.first().map(String::as_str) {
        Some("justitiele-gegevens") => justitie(subject, reference),
        Some("identificatie") => wire::Record {
            category: "identificatie".into(),
            fields: vec![wire::Field {
                name: "geboortedatum".into(),
                value: "1970-01-01 (synthetisch)".into(),
            }],
            ..justitie(subject, reference)
        },
        other => panic!("the OM is not asked for {other:?}"),
    }
}

/// Answers the OM's bevraging about both subjects of [`om_offering_many_subjects`]
/// with a hit for each.
async fn both_hit(om: &mut RawAgent) {
    let bevraging = next_question(om).await;
    assert_eq!(asked_about(&bevraging).len(), 2, "{bevraging:?}");
    reply(
        om,
        &bevraging,
        answer::Kind::Bevraging(wire::BevragingAnswer {
            hit: true,
            more_hits: vec![true],
        }),
    )
    .await;
}

/// An agent whose Hello offers it is asked for the records of all the subjects it has
/// a hit on in one share request (each with its role and categories), and its one
/// answer is decided per subject: each record goes with the subject it names (how
/// withheld lines go: `casefile::ask`'s unit test).
#[tokio::test]
async fn an_agent_that_offers_it_is_asked_for_the_records_of_all_its_hits_in_one_share_request() {
    let pki = Pki::new();
    let (hub, partners, mut om, file) = om_offering_many_subjects(&pki, true).await;
    both_hit(&mut om).await;

    let request = next_question(&mut om).await;
    let asked = records_asked(&request);
    let mut subjects: Vec<String> = asked.iter().map(|(s, _)| s.clone()).collect();
    subjects.sort();
    let mut expected = vec![dader(), slachtoffer()];
    expected.sort();
    assert_eq!(subjects, expected, "one share request for both hits");
    if let Some(question::Kind::ShareRequest(r)) = &request.kind {
        let first = (r.subject.as_ref(), r.subject_role.as_str());
        let more = r
            .more_subjects
            .iter()
            .map(|m| (m.subject.as_ref(), m.subject_role.as_str()));
        for (subject, role) in std::iter::once(first).chain(more) {
            let hex = subject.map(|s| s.hex.clone());
            let expected = if hex == Some(dader()) {
                "dader"
            } else {
                "slachtoffer"
            };
            assert_eq!(role, expected, "each subject with its role");
        }
    }
    // A record about each subject in a category asked for it: were they decided
    // against the wrong subject, they would be dropped as not asked for.
    let records: Vec<wire::Record> = asked
        .iter()
        .enumerate()
        .map(|(i, (subject, categories))| first_asked(subject, categories, &format!("OM-{i}")))
        .collect();
    reply(
        &om,
        &request,
        answer::Kind::Shares(wire::ShareAnswer {
            records,
            withheld: Vec::new(),
            more_subjects_answered: true,
        }),
    )
    .await;
    let file = file.await.expect("task").expect("case file");
    let result = partner(&file, "om");
    assert_eq!(subject_status(result, &dader()), "answered");
    assert_eq!(subject_status(result, &slachtoffer()), "answered");
    for (subject, categories) in &asked {
        let passed = entries(&file, &categories[0]);
        assert_eq!(
            passed
                .iter()
                .filter(|e| e.source.as_ref().is_some_and(|p| p.kind == "om"))
                .filter(|e| e.subject.as_ref().is_some_and(|s| &s.hex == subject))
                .count(),
            1,
            "{subject}: {passed:?}"
        );
    }
    // Nothing else was asked.
    asked_nothing_more(&mut om, "no question after the share request").await;
    partners.stop().await;
    hub.stop().await;
}

/// A share answer that does not say it covers the further subjects (an agent that
/// answers one subject at a time took the link) settles the first subject only; the
/// others are asked for on their own.
#[tokio::test]
async fn a_share_answer_for_the_first_subject_only_has_the_rest_asked_one_by_one() {
    let pki = Pki::new();
    let (hub, partners, mut om, file) = om_offering_many_subjects(&pki, true).await;
    both_hit(&mut om).await;

    let together = next_question(&mut om).await;
    let asked = records_asked(&together);
    assert_eq!(asked.len(), 2, "{asked:?}");
    answer_records(
        &om,
        &together,
        vec![first_asked(&asked[0].0, &asked[0].1, "OM-1")],
    )
    .await;
    let alone = next_question(&mut om).await;
    assert_eq!(
        records_asked(&alone),
        vec![asked[1].clone()],
        "the second subject asked for on its own"
    );
    answer_records(
        &om,
        &alone,
        vec![first_asked(&asked[1].0, &asked[1].1, "OM-2")],
    )
    .await;
    let file = file.await.expect("task").expect("case file");
    let result = partner(&file, "om");
    assert_eq!(subject_status(result, &dader()), "answered");
    assert_eq!(subject_status(result, &slachtoffer()), "answered");
    partners.stop().await;
    hub.stop().await;
}

/// A share request for several subjects that the agent cannot answer settles every
/// one of them as no answer, with the agent's reason; none is asked again.
#[tokio::test]
async fn a_share_request_for_several_subjects_not_answered_settles_each_as_no_answer() {
    let pki = Pki::new();
    let (hub, partners, mut om, file) = om_offering_many_subjects(&pki, true).await;
    both_hit(&mut om).await;

    let together = next_question(&mut om).await;
    assert_eq!(records_asked(&together).len(), 2);
    reply(
        &om,
        &together,
        answer::Kind::Unanswerable(wire::Unanswerable {
            reason: "source-unavailable".into(),
            detail: "the register is down (synthetic)".into(),
        }),
    )
    .await;
    let file = file.await.expect("task").expect("case file");
    let result = partner(&file, "om");
    for subject in [dader(), slachtoffer()] {
        let status = subject_result(result, &subject).expect("the subject");
        assert_eq!(status.status, "no-answer", "{status:?}");
        assert_eq!(status.no_answer_reason, "source-unavailable", "{status:?}");
    }
    asked_nothing_more(&mut om, "nothing asked again").await;
    partners.stop().await;
    hub.stop().await;
}
