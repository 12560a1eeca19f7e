//! An agent killed mid-delivery and mid-answer (issue 22): the gemeente's agent runs as
//! a real `node-agent` process (inbox, receipts, witness), and so does the OM's (which
//! sends a record for every case file), and both are killed with SIGKILL at a random
//! moment of each round — while they answer the questions of a case file (and the
//! gemeente a question of its own), while the hub delivers the file's records to the
//! gemeente's inbox, while they witness a checkpoint or are still starting — and
//! started again. The hub and the other partners' agents run on.
//!
//! What must hold once it runs again: every delivery of every stored complete case
//! file is in its inbox exactly once (each share stored once, received once in the
//! receipts), nothing is left queued at the hub; every question was answered, or
//! reported as not answered and (when it was queued) answered late exactly once; each
//! case file the requester received is complete in the end, the gemeente's line late
//! where its answer came late, no record in it twice; and its witness refused no
//! checkpoint.
//!
//! `RELIABILITY_AGENT_KILLS=N` sets the number of kills (default 30 in CI, times
//! `RELIABILITY_SCALE`; each kills both processes at one moment).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use treiter_certs_dev::PARTIES;
use treiter_hub::identity::Oin;
use treiter_hub::questions::{AskOutcome, LateAnswer};
use treiter_node_agent::receipts::{self, Event as ReceiptEvent};
use treiter_proto::v1 as wire;

use super::crash_points::{
    Process, SDR_OOST, agent_files, deliveries_against_inbox, gemeente_inbox, spawn_agent,
    witness_findings,
};
use super::network::new_case;
use super::{Kind, config, scale, tally};
use crate::casefile::{Partners, client, partner, slachtoffer};
use crate::support::{Pki, TestHub};

/// How long the end waits for questions and deliveries to settle.
const SETTLE: Duration = Duration::from_secs(60);

fn gemeente_oin() -> Oin {
    let party = PARTIES
        .iter()
        .find(|p| p.slug == "gemeente")
        .expect("the gemeente");
    Oin::parse(party.oin).expect("oin")
}

/// Records that occur more than once in a file: the same partner's same record.
fn duplicate_entries(file: &wire::CaseFile) -> usize {
    let mut seen = BTreeSet::new();
    let mut duplicates = 0;
    for p in &file.partners {
        let party = p.party.as_ref().map(|p| p.oin.clone()).unwrap_or_default();
        for e in &p.entries {
            let reference = e
                .provenance
                .as_ref()
                .map(|p| p.source_reference.clone())
                .unwrap_or_default();
            if reference.is_empty() {
                continue;
            }
            let subject = e
                .subject
                .as_ref()
                .map(|s| s.hex.clone())
                .unwrap_or_default();
            if !seen.insert((party.clone(), e.category.clone(), subject, reference)) {
                duplicates += 1;
            }
        }
    }
    duplicates
}

fn drain(late: &mut tokio::sync::broadcast::Receiver<LateAnswer>, into: &mut Vec<LateAnswer>) {
    while let Ok(answer) = late.try_recv() {
        into.push(answer);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_delivery_and_mid_answer_loses_and_repeats_nothing() {
    // `.ci/run`'s second run of the end-to-end tests, at 23:30 UTC under libfaketime,
    // is for the Amsterdam calendar: five kills there, and the first run's counts stay
    // in the summary.
    let faked_clock = std::env::var_os("FAKETIME").is_some();
    let kills: u32 = match std::env::var("RELIABILITY_AGENT_KILLS") {
        _ if faked_clock => 5u32,
        Ok(text) => text.parse().unwrap_or(30),
        Err(_) => 30,
    }
    .saturating_mul(if faked_clock { 1 } else { scale() });
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // Every other partner's agent in this process; the gemeente's is the process that
    // is killed.
    let partners = Partners::start(&pki, &hub, &["gemeente", "om"]).await;
    let files = agent_files(&pki, "gemeente", hub.addr);
    // The OM's agent, killed with it: it sends a record for every file (the gemeente
    // shares none with itself), so it is killed while it sends records.
    let om = agent_files(&pki, "om", hub.addr);
    let gemeente = gemeente_oin();
    let questions = hub.hub.questioner.clone();
    let mut late = questions.late_answers();
    let mut late_seen: Vec<LateAnswer> = Vec::new();
    let mut sdr = client(&pki, &hub, SDR_OOST).await;

    let mut runner = TestRunner::new(config(kills));
    let mut draw = |below: u64| (0..below).new_tree(&mut runner).expect("draw").current();
    let mut acked_files: Vec<(String, wire::CaseFile)> = Vec::new();
    let mut asked: Vec<AskOutcome> = Vec::new();
    let started = Instant::now();
    let mut agent: Option<(Process, Process)> = None;
    for round in 0..kills {
        // Half of the rounds the agent is running when the questions come (it is
        // killed while it answers, or while the delivery that follows comes in); the
        // other half it is down, and killed while it takes the queued questions and
        // the pending deliveries after it links.
        let running_first = draw(2) == 0;
        if running_first {
            agent = Some((spawn_agent(&files), spawn_agent(&om)));
            tokio::time::sleep(Duration::from_millis(draw(800))).await;
        }
        // A case file (the gemeente answers its questions; the file's records are
        // then delivered to its inbox) and a question of the gemeente's own.
        let case = new_case(&mut sdr, &format!("ak-{round}")).await;
        let mut requester = sdr.clone();
        let file = tokio::spawn(async move {
            requester
                .request_case_file(wire::CaseFileRequest {
                    client_request_id: format!("ak-{round}-file"),
                    case_id: case.clone(),
                    purpose: "aanpak".into(),
                    subjects: Vec::new(),
                    categories: Vec::new(),
                    deadline_ms: 1500,
                })
                .await
                .map(|f| (case, f.into_inner()))
        });
        let asking = questions.clone();
        let to = gemeente.clone();
        let question = tokio::spawn(async move {
            let kind = wire::question::Kind::Bevraging(wire::Bevraging {
                subject: Some(wire::SubjectPseudonym { hex: slachtoffer() }),
                more_subjects: Vec::new(),
            });
            asking
                .ask(&to, kind, Duration::from_millis(1000), true)
                .await
        });
        if !running_first {
            tokio::time::sleep(Duration::from_millis(draw(1200))).await;
            agent = Some((spawn_agent(&files), spawn_agent(&om)));
        }
        tokio::time::sleep(Duration::from_millis(draw(1500))).await;
        if let Some((mut gemeente, mut om)) = agent.take() {
            for killed in [&mut gemeente, &mut om] {
                killed.0.kill().expect("kill -9 the agent");
                killed.0.wait().expect("reap the agent");
            }
        }
        match file.await.expect("case file task") {
            Ok(acked) => acked_files.push(acked),
            Err(status) => panic!("round {round}: the case file was refused: {status:?}"),
        }
        asked.push(question.await.expect("question task"));
        drain(&mut late, &mut late_seen);
    }
    let _agents = (spawn_agent(&files), spawn_agent(&om));
    let kill_time = started.elapsed();

    // It runs on: every queued question and every delivery settles.
    let inbox = gemeente_inbox(&pki);
    let store = hub.hub.store.clone();
    let settle = Instant::now();
    let expected = loop {
        drain(&mut late, &mut late_seen);
        let mut expected = BTreeMap::new();
        let mut files_complete = true;
        for stored in treiter_hub::casefile::record::all(store.as_ref())
            .expect("the case files read")
            .into_iter()
            .flatten()
        {
            files_complete &= stored.complete;
            if let (true, Some((_, delivery))) = (
                stored.complete,
                treiter_hub::deliveries::delivery_of(&stored, None),
            ) {
                expected.insert(delivery.delivery_id, delivery.shares.len());
            }
        }
        let held: BTreeSet<String> = inbox
            .list()
            .map(|l| l.into_iter().map(|s| s.id).collect())
            .unwrap_or_default();
        let settled = files_complete
            && questions.outbox().is_empty().unwrap_or(false)
            && treiter_hub::deliveries::pending(store.as_ref(), &gemeente)
                .is_ok_and(|p| p.is_empty())
            && expected
                .iter()
                .all(|(d, n)| (0..*n).all(|i| held.contains(&format!("{d}.{i}"))));
        if settled || settle.elapsed() > SETTLE {
            break expected;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drain(&mut late, &mut late_seen);
    let mut wrong: Vec<String> = Vec::new();
    if !questions.outbox().is_empty().unwrap_or(false) {
        wrong.push("questions left in the outbox".into());
    }
    if !treiter_hub::deliveries::pending(store.as_ref(), &gemeente).is_ok_and(|p| p.is_empty()) {
        wrong.push("deliveries or notices left queued for the gemeente".into());
    }

    // Deliveries: exactly once in the inbox and its receipts.
    let (delivery_wrong, shares_checked) =
        deliveries_against_inbox(&expected, &inbox, &files.receipts);
    wrong.extend(delivery_wrong);

    // Questions: answered, or reported unanswered and (queued) answered late once.
    let mut late_count = BTreeMap::<String, usize>::new();
    for answer in &late_seen {
        *late_count
            .entry(answer.request_id.as_str().to_owned())
            .or_default() += 1;
    }
    let (mut answered, mut answered_late) = (0, 0);
    for outcome in &asked {
        match outcome {
            AskOutcome::Answered(_) => answered += 1,
            AskOutcome::NoAnswer {
                queued: Some(queued),
                ..
            } => match late_count.get(queued.request_id.as_str()) {
                Some(1) => answered_late += 1,
                Some(n) => wrong.push(format!(
                    "question {}: its late answer came {n} times",
                    queued.request_id.as_str()
                )),
                None => wrong.push(format!(
                    "question {}: queued, never answered",
                    queued.request_id.as_str()
                )),
            },
            // Not sent, or its deadline passed unqueued: reported as such.
            AskOutcome::NoAnswer { queued: None, .. } => {}
            AskOutcome::Unanswerable { reason, .. } => {
                wrong.push(format!("a question was unanswerable: {reason}"))
            }
        }
    }

    // Case files: what the requester received, complete in the end; the gemeente's
    // line late where its answer was not there at first; no record twice.
    let (mut late_lines, mut files_checked) = (0u64, 0u64);
    for (case, received) in &acked_files {
        files_checked += 1;
        let Ok(Some(stored)) = treiter_hub::casefile::record::load(store.as_ref(), &received.id)
        else {
            wrong.push(format!(
                "case file {} of {case}: acknowledged, now missing",
                received.id
            ));
            continue;
        };
        if !stored.complete {
            wrong.push(format!("case file {}: never complete", received.id));
        }
        for slug in ["gemeente", "om"] {
            let first = partner(received, slug);
            let now = partner(&stored, slug);
            if first.status == "offline-queued" {
                if !now.late {
                    wrong.push(format!(
                        "case file {}: the {slug}'s queued answer did not join late ({} -> {})",
                        received.id, first.status, now.status
                    ));
                }
                late_lines += 1;
            }
            if first.status == "answered" && (now.late || now.status != "answered") {
                wrong.push(format!(
                    "case file {}: the {slug}'s answer changed after it was received",
                    received.id
                ));
            }
        }
        let duplicates = duplicate_entries(&stored);
        if duplicates > 0 {
            wrong.push(format!(
                "case file {}: {duplicates} records twice",
                received.id
            ));
        }
    }

    // Records sent: each receipted once per question, past the agent's idempotence (a
    // question delivered again is answered from its cache; one asked again after a
    // kill, its answer lost with the link, finds its receipts at the end of the log).
    let mut sent = BTreeMap::<(String, String, String, String), usize>::new();
    for path in [&files.receipts, &om.receipts] {
        let Ok((log, _)) = receipts::read(path) else {
            continue;
        };
        for r in log {
            if let ReceiptEvent::ShareSent {
                request,
                category,
                subject,
                reference,
                ..
            } = r.event
            {
                *sent
                    .entry((request, category, subject, reference))
                    .or_default() += 1;
            }
        }
    }
    for ((request, category, ..), n) in &sent {
        if *n > 1 {
            wrong.push(format!(
                "request {request}: a {category} record receipted as sent {n} times"
            ));
        }
    }
    let killed = [files, om];
    let (refusals, witnessed) = witness_findings(&killed);
    wrong.extend(refusals);

    let checked = files_checked + asked.len() as u64 + shares_checked;
    eprintln!(
        "{kills} kills of the gemeente's and the OM's agent processes in {kill_time:?}: {files_checked} case files \
         ({late_lines} lines of the two answered late), {} questions ({answered} answered, \
         {answered_late} answered late), {shares_checked} delivered shares, {} records sent, \
         {witnessed} checkpoints witnessed; settled in {:?}",
        asked.len(),
        sent.len(),
        settle.elapsed()
    );
    if !faked_clock {
        tally(
            "crash-points-agent",
            Kind::CrashPoints,
            u64::from(kills),
            wrong.len() as u64,
            0,
        );
        tally(
            "crash-points-agent-acknowledged",
            Kind::AcknowledgedChecked,
            checked,
            wrong.len() as u64,
            0,
        );
    }
    partners.stop().await;
    hub.stop().await;
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(shares_checked > 0, "nothing was delivered");
}
