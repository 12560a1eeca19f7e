//! Network faults between agents and the hub (issue 22): agents dial the hub in this
//! process through a [`FaultProxy`] on loopback, which the test switches while they
//! run to latency, a bandwidth limit, cuts mid-stream, resets, a black hole and a
//! half-open link.
//!
//! What must hold: store-and-forward gives the agent every question and every delivery
//! exactly once (past its idempotence) however often its link is cut or reset; a case
//! file asked while a partner is black-holed says that partner did not answer (never
//! that it had no records), and the answer that comes once the fault is gone joins the
//! file late; the hub gives up a black-holed link within its silence bound even with
//! much in flight to it; and after every fault is switched off, no stream stays stuck: each agent
//! links again within its backoff bound plus an allowance, heartbeats flow both ways,
//! and a new case file is answered by every partner.
//!
//! Bounds here are generous limits on waiting, never measurements of speed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use treiter_certs_dev::PARTIES;
use treiter_hub::identity::Oin;
use treiter_hub::questions::{AskOutcome, LateAnswer};
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::inbox::Inbox;
use treiter_node_agent::link::{Agent, LinkStatus};
use treiter_node_agent::receipts::{self, Event};
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use super::fault_proxy::{Direction, FaultProxy, Mode};
use super::{Kind, tally};
use crate::casefile::{Partners, SDR_OOST, case_file, client, dader, partner, slachtoffer};
use crate::support::{Pki, TestHub, agent_config_text, wait_until};

/// The agents' `max_backoff_ms` in the test configuration (`support`).
const MAX_BACKOFF: Duration = Duration::from_millis(1000);
/// The agents' and the hub's heartbeat interval in the test configuration.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// The agents' `connect_timeout_seconds`: a dial that went into a black hole gives up
/// after it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed on top of the bounds for a TCP + TLS connect and the Hello exchange on
/// a loaded 2-core machine (as in `restart.rs`).
const ALLOWANCE: Duration = Duration::from_secs(4);
/// The longest an agent may take to be linked again after a fault is switched off: a
/// link that went silent is noticed within three heartbeat intervals and a tick (both
/// ends), a dial caught in the fault gives up after its connect timeout, then the
/// backoff, then the allowance.
fn relink_bound() -> Duration {
    HEARTBEAT * 4 + CONNECT_TIMEOUT + MAX_BACKOFF + ALLOWANCE
}
/// How long a test waits for something that should happen within seconds.
const LIMIT: Duration = Duration::from_secs(20);

fn oin(slug: &str) -> Oin {
    let party = PARTIES
        .iter()
        .find(|p| p.slug == slug)
        .expect("a dev party");
    Oin::parse(party.oin).expect("oin")
}

/// Agents run by a test, each kept at hand (its status and metrics).
struct Fleet {
    agents: Vec<(&'static str, Arc<Agent>)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            agents: Vec::new(),
            stop: watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    /// Starts `slug`'s agent, answering from the export `casefile::write_sources`
    /// wrote, dialling `hub` (the proxy's address), with the top-level keys `top` and
    /// the tables `tables` added to its configuration; waits until it linked.
    async fn add(
        &mut self,
        pki: &Pki,
        slug: &'static str,
        hub: std::net::SocketAddr,
        top: &str,
        tables: &str,
    ) {
        let (cert, key) = pki.party(slug);
        let text = format!(
            "{top}\n{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n{tables}",
            agent_config_text(pki, &cert, &key, hub),
            pki.dir.path().join("exports").join(slug).display()
        );
        let config = AgentConfig::parse(&text, Path::new("/")).expect("agent config");
        let agent = Arc::new(Agent::new(config).expect("agent"));
        let mut status = agent.status();
        let mut stopped = self.stop.subscribe();
        let running = agent.clone();
        self.tasks.push(tokio::spawn(async move {
            running
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }));
        tokio::time::timeout(
            LIMIT,
            status.wait_for(|s| matches!(s, LinkStatus::Connected { .. })),
        )
        .await
        .expect("the agent links")
        .expect("agent alive");
        self.agents.push((slug, agent));
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The hub's view of `slug`'s agent.
fn hub_state(hub: &TestHub, slug: &str) -> treiter_hub::agents::AgentState {
    let oin = oin(slug);
    hub.hub
        .agents
        .snapshot(&hub.hub.parties.current())
        .into_iter()
        .find(|a| a.party.oin == oin)
        .expect("every party is in the table")
}

/// Registers a case in oost with a dader and a slachtoffer, moved to aanpak; `tag`
/// keeps the request ids of one test's cases apart.
pub(super) async fn new_case(c: &mut CoordinatorClient<HubChannel>, tag: &str) -> String {
    let case = c
        .create_case(wire::CreateCaseRequest {
            client_request_id: format!("create-{tag}"),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                SystemTime::now() - Duration::from_secs(3600),
            )),
            external_reference: String::new(),
        })
        .await
        .expect("case")
        .into_inner()
        .case
        .expect("case")
        .id;
    for (subject, role) in [(dader(), "dader"), (slachtoffer(), "slachtoffer")] {
        c.add_subject(wire::AddSubjectRequest {
            client_request_id: format!("add-{role}-{tag}"),
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: subject }),
            role: role.into(),
            label: String::new(),
        })
        .await
        .expect("subject");
    }
    for next in ["registratie", "duiding", "aanpak"] {
        c.move_phase(wire::MovePhaseRequest {
            client_request_id: format!("move-{next}-{tag}"),
            case_id: case.clone(),
            to_phase: next.into(),
            reason: "next step".into(),
            expected_phase: String::new(),
        })
        .await
        .expect("move");
    }
    case
}

async fn stored_file(c: &mut CoordinatorClient<HubChannel>, id: &str) -> wire::CaseFile {
    c.get_case_file(wire::GetCaseFileRequest {
        case_file_id: id.to_owned(),
    })
    .await
    .expect("the stored case file")
    .into_inner()
}

/// Entries that occur more than once in a file: the same partner's same record.
fn duplicate_entries(file: &wire::CaseFile) -> usize {
    let mut seen = BTreeSet::new();
    let mut duplicates = 0;
    for p in &file.partners {
        let party = p.party.as_ref().map(|p| p.oin.clone()).unwrap_or_default();
        for e in &p.entries {
            // Withheld lines carry no reference; records that passed do.
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
            let key = (party.clone(), e.category.clone(), subject, reference);
            if !seen.insert(key) {
                duplicates += 1;
            }
        }
    }
    duplicates
}

fn bevraging() -> wire::question::Kind {
    wire::question::Kind::Bevraging(wire::Bevraging {
        subject: Some(wire::SubjectPseudonym { hex: slachtoffer() }),
        more_subjects: Vec::new(),
    })
}

/// A small xorshift generator for the random moments of the faults (no crate needed).
struct Jitter(u64);

impl Jitter {
    /// Seeded from `NETWORK_FAULTS_SEED`, or from the clock (and printed).
    fn seeded() -> Jitter {
        let seed = std::env::var("NETWORK_FAULTS_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            .max(1);
        eprintln!("network faults: NETWORK_FAULTS_SEED={seed}");
        Jitter(seed)
    }

    /// A number below `n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Takes every late answer that came so far.
fn drain(late: &mut tokio::sync::broadcast::Receiver<LateAnswer>, into: &mut Vec<LateAnswer>) {
    while let Ok(answer) = late.try_recv() {
        into.push(answer);
    }
}

#[tokio::test]
async fn store_and_forward_gives_every_question_and_delivery_once_under_cuts_and_resets() {
    // Four rounds in CI; `RELIABILITY_SCALE` multiplies them.
    let rounds = 4 * super::scale() as usize;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // The gemeente's agent, which answers questions and receives deliveries in its
    // inbox, and the OM's, which has a record for every file, link through the proxy;
    // every other partner directly.
    let partners = Partners::start(&pki, &hub, &["gemeente", "om"]).await;
    let proxy = FaultProxy::start(hub.addr).await;
    let root = pki.dir.path().join("gemeente-agent");
    std::fs::create_dir_all(&root).expect("mkdir");
    let receipts_path = root.join("receipts.jsonl");
    let top = format!("receipts = \"{}\"\n", receipts_path.display());
    let inbox_table = format!(
        "[inbox]\ndir = \"{}\"\nkey_file = \"{}\"\n",
        root.join("inbox").display(),
        root.join("inbox.key").display()
    );
    let mut fleet = Fleet::new();
    fleet
        .add(&pki, "gemeente", proxy.addr(), &top, &inbox_table)
        .await;
    let om_receipts = pki.dir.path().join("om-receipts.jsonl");
    let om_top = format!("receipts = \"{}\"\n", om_receipts.display());
    fleet.add(&pki, "om", proxy.addr(), &om_top, "").await;

    let gemeente = oin("gemeente");
    let questions = hub.hub.questioner.clone();
    let mut late = questions.late_answers();
    let mut late_seen = Vec::new();
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    // The moments of the cuts are random; the seed is printed to run one again.
    let mut rng = Jitter::seeded();
    let mut files = Vec::new();
    let mut asked = Vec::new();
    for round in 0..rounds {
        let fault = if round % 2 == 0 {
            Mode::Cut
        } else {
            Mode::Reset
        };
        proxy.set(fault);
        assert!(
            wait_until(LIMIT, || !hub_state(&hub, "gemeente").connected()
                && !hub_state(&hub, "om").connected())
            .await,
            "the hub notices the {fault:?}"
        );
        // While the gemeente and the OM are cut off: a case file, and a question of
        // the gemeente's own.
        let case = new_case(&mut sdr, &format!("saf-{round}")).await;
        let file = case_file(&mut sdr, &case, "aanpak", 1000)
            .await
            .expect("case file");
        assert_eq!(partner(&file, "gemeente").status, "offline-queued");
        assert_eq!(partner(&file, "om").status, "offline-queued");
        files.push((case, file.id.clone()));
        match questions
            .ask(&gemeente, bevraging(), Duration::from_secs(1), true)
            .await
        {
            AskOutcome::NoAnswer {
                queued: Some(queued),
                ..
            } => asked.push(queued.request_id.as_str().to_owned()),
            other => panic!("expected the question to be queued, got {other:?}"),
        }
        // The link comes back and is cut again at a random moment while the queued
        // questions and the deliveries are on their way, once or twice.
        for _ in 0..rng.below(2) + 1 {
            proxy.set(Mode::Pass);
            tokio::time::sleep(Duration::from_millis(50 + rng.below(650))).await;
            proxy.set(fault);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drain(&mut late, &mut late_seen);
    }
    proxy.set(Mode::Pass);

    // Once the faults are gone, everything arrives: the outbox and the deliveries
    // queue empty, every file complete with the gemeente's late answer.
    let inbox = Inbox::open(&root.join("inbox"), &root.join("inbox.key")).expect("inbox");
    let store = hub.hub.store.clone();
    let mut settled = false;
    let deadline = tokio::time::Instant::now() + LIMIT * 2;
    while tokio::time::Instant::now() < deadline {
        drain(&mut late, &mut late_seen);
        let mut all = questions.outbox().is_empty().unwrap_or(false)
            && treiter_hub::deliveries::pending(store.as_ref(), &gemeente)
                .is_ok_and(|p| p.is_empty());
        for (case, id) in &files {
            let now = stored_file(&mut sdr, id).await;
            all &= now.complete
                && inbox
                    .list()
                    .is_ok_and(|l| l.iter().any(|s| &s.case == case));
        }
        if all {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drain(&mut late, &mut late_seen);

    // Exactly once: each late answer handed on once, each file entry once, each share
    // stored once and received (receipt) once.
    let mut answers = BTreeMap::<String, usize>::new();
    for answer in &late_seen {
        *answers
            .entry(answer.request_id.as_str().to_owned())
            .or_default() += 1;
    }
    let mut duplicates: usize = answers.values().map(|n| n - 1).sum();
    let lost_questions = asked.iter().filter(|id| !answers.contains_key(*id)).count();
    for (_, id) in &files {
        duplicates += duplicate_entries(&stored_file(&mut sdr, id).await);
    }
    let shares = inbox.list().expect("inbox list");
    let mut share_keys = BTreeSet::new();
    for share in &shares {
        if !share_keys.insert((
            share.case.clone(),
            share.category.clone(),
            share.source.clone(),
        )) {
            duplicates += 1;
        }
    }
    let (log, _) = receipts::read(&receipts_path).expect("receipts");
    let (om_log, _) = receipts::read(&om_receipts).expect("the OM's receipts");
    let mut received = BTreeMap::<String, usize>::new();
    for receipt in &log {
        if let Event::ShareReceived { id, .. } = &receipt.event {
            *received.entry(id.clone()).or_default() += 1;
        }
    }
    duplicates += received.values().map(|n| n - 1).sum::<usize>();
    // The agent's side of the questions: a share request delivered again is answered
    // from its cache, so each record is sent (and receipted) once per question.
    let mut sent = BTreeMap::<(String, String, String, String), usize>::new();
    for receipt in log.iter().chain(&om_log) {
        if let Event::ShareSent {
            request,
            category,
            subject,
            reference,
            ..
        } = &receipt.event
        {
            *sent
                .entry((
                    request.clone(),
                    category.clone(),
                    subject.clone(),
                    reference.clone(),
                ))
                .or_default() += 1;
        }
    }
    duplicates += sent.values().map(|n| n - 1).sum::<usize>();
    let lost_shares = shares
        .iter()
        .filter(|s| !received.contains_key(&s.id))
        .count();
    // Every file's OM record was sent (at least once: each file asked for it).
    let lost_records = rounds.saturating_sub(sent.len());
    let lost = lost_questions + lost_shares + lost_records + usize::from(!settled);
    tally(
        "network-store-and-forward",
        Kind::FaultsInjected,
        proxy.faults(),
        (duplicates + lost) as u64,
        0,
    );
    assert!(
        settled,
        "every queued question and delivery arrived after the faults"
    );
    assert_eq!(
        lost_questions, 0,
        "queued questions lost: {asked:?} vs {answers:?}"
    );
    assert_eq!(lost_shares, 0, "shares in the inbox without a receipt");
    assert_eq!(
        lost_records, 0,
        "the OM sent a record for every file: {sent:?}"
    );
    assert_eq!(
        duplicates, 0,
        "duplicates: answers {answers:?}, received {received:?}, sent {sent:?}"
    );
    eprintln!(
        "{} faults, {} late answers, {} records sent, {} shares in the inbox, each once",
        proxy.faults(),
        answers.len(),
        sent.len(),
        shares.len()
    );
    fleet.stop().await;
    partners.stop().await;
    hub.stop().await;
}

/// Whether a partner's subjects say something the partner never said: that it answered,
/// had no hit or had no records.
fn claims_an_answer(p: &wire::PartnerResult) -> bool {
    p.status == "answered"
        || !p.entries.is_empty()
        || p.subjects
            .iter()
            .any(|s| matches!(s.status.as_str(), "hit" | "no-hit" | "no-records"))
}

#[tokio::test]
async fn a_black_holed_partner_is_reported_as_not_answering_and_its_late_answer_joins() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // The OM's agent links through the proxy; every other partner directly.
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let proxy = FaultProxy::start(hub.addr).await;
    let mut fleet = Fleet::new();
    fleet.add(&pki, "om", proxy.addr(), "", "").await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let first_case = new_case(&mut sdr, "bh-1").await;
    let second_case = new_case(&mut sdr, "bh-2").await;
    let mut wrong = 0u64;

    // The network between the OM and the hub swallows everything; both ends still hold
    // the link open.
    proxy.set(Mode::BlackHole);
    // A short deadline: the question goes out on the link the hub still believes in,
    // and nothing comes back before the deadline.
    let short = case_file(&mut sdr, &first_case, "aanpak", 1500)
        .await
        .expect("case file");
    let om = partner(&short, "om").clone();
    wrong += u64::from(claims_an_answer(&om));
    assert!(
        !claims_an_answer(&om),
        "a black-holed partner must not be shown as having answered: {om:?}"
    );
    assert!(
        (om.status == "no-answer"
            && ["deadline", "link-lost"].contains(&om.no_answer_reason.as_str()))
            || om.status == "offline-queued",
        "the black-holed OM is reported as not answering: {om:?}"
    );
    // (`complete` may be true here: a question whose deadline passed is not queued, so
    // nothing more is expected for this file; the OM's line says why it has nothing.)
    assert_eq!(
        partner(&short, "politie").status,
        "answered",
        "the others' answers arrive meanwhile"
    );

    // A deadline longer than the hub's silence bound: the hub notices the link went
    // silent, and queues the question for the OM's next link.
    let long = case_file(&mut sdr, &second_case, "aanpak", 15_000)
        .await
        .expect("case file");
    let om = partner(&long, "om").clone();
    wrong += u64::from(claims_an_answer(&om));
    assert_eq!(om.status, "offline-queued", "{om:?}");
    assert!(om.queued_until.is_some());
    assert!(!long.complete);

    // The fault is gone: the OM's agent links again, gets the queued question, and its
    // answer joins the stored file, marked late.
    proxy.set(Mode::Pass);
    let mut joined = None;
    let deadline = tokio::time::Instant::now() + relink_bound() + LIMIT;
    while tokio::time::Instant::now() < deadline {
        let now = stored_file(&mut sdr, &long.id).await;
        if partner(&now, "om").status == "answered" {
            joined = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wrong += u64::from(joined.is_none());
    let duplicates = joined.as_ref().map_or(0, duplicate_entries);
    wrong += duplicates as u64;
    // The short file's question was never queued (its deadline passed on a link the hub
    // still held): it keeps saying the OM did not answer, never more.
    let short_now = stored_file(&mut sdr, &short.id).await;
    wrong += u64::from(claims_an_answer(partner(&short_now, "om")));
    tally(
        "network-black-hole",
        Kind::FaultsInjected,
        proxy.faults(),
        wrong,
        0,
    );
    let joined = joined.expect("the OM's late answer joins the file after the black hole");
    let om = partner(&joined, "om");
    assert!(om.late, "{om:?}");
    let justitie: Vec<_> = om
        .entries
        .iter()
        .filter(|e| e.category == "justitiele-gegevens")
        .collect();
    assert_eq!(justitie.len(), 1, "{om:?}");
    assert!(justitie[0].late);
    assert_eq!(duplicates, 0);
    assert!(
        !claims_an_answer(partner(&short_now, "om")),
        "{:?}",
        partner(&short_now, "om")
    );
    fleet.stop().await;
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn after_every_fault_is_switched_off_no_stream_stays_stuck() {
    /// A fault shorter than the silence bound (three heartbeat intervals): the links
    /// may live through it, and must carry on after it.
    const SHORT: Duration = Duration::from_millis(1500);
    /// A fault longer than the silence bound: the end that hears nothing must give the
    /// link up by itself, and the agent must link again once the fault is gone (the
    /// half-open link open only towards the hub tests the agent's silence bound, the
    /// other the hub's; without the agent's, the first fails "never given up").
    const LONG: Duration = Duration::from_millis(4500);
    let faults = [
        (Mode::Latency(Duration::from_millis(300)), SHORT),
        (Mode::Bandwidth(2048), SHORT),
        (Mode::Cut, SHORT),
        (Mode::Reset, SHORT),
        (Mode::BlackHole, SHORT),
        (Mode::BlackHole, LONG),
        (
            Mode::HalfOpen {
                open: Direction::ToHub,
            },
            LONG,
        ),
        (
            Mode::HalfOpen {
                open: Direction::ToAgent,
            },
            LONG,
        ),
    ];
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    crate::casefile::write_sources(&pki.dir.path().join("exports"));
    let proxy = FaultProxy::start(hub.addr).await;
    let mut fleet = Fleet::new();
    for party in PARTIES {
        fleet.add(&pki, party.slug, proxy.addr(), "", "").await;
    }
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let mut stuck = Vec::new();
    for (round, (mode, lasting)) in faults.into_iter().enumerate() {
        let opened_before: Vec<u64> = fleet
            .agents
            .iter()
            .map(|(slug, _)| hub_state(&hub, slug).links_opened)
            .collect();
        proxy.set(mode);
        tokio::time::sleep(lasting).await;
        proxy.set(Mode::Pass);
        let off = SystemTime::now();
        let off_seconds = off
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // Linked again, and heartbeats heard after the fault both ways: the hub heard
        // the agent, the agent heard the hub.
        let relinked = |fleet: &Fleet| {
            fleet
                .agents
                .iter()
                .filter(|(slug, agent)| {
                    let state = hub_state(&hub, slug);
                    state.connected()
                        && state.last_heartbeat.is_some_and(|at| at > off)
                        && matches!(*agent.status().borrow(), LinkStatus::Connected { .. })
                        && agent.metrics().last_heartbeat_seconds.get() > off_seconds
                })
                .count()
        };
        if !wait_until(relink_bound(), || relinked(&fleet) == fleet.agents.len()).await {
            stuck.push(format!(
                "{mode:?} for {lasting:?}: {} of {} agents linked with heartbeats after {:?}",
                relinked(&fleet),
                fleet.agents.len(),
                relink_bound()
            ));
            continue;
        }
        // A cut, a reset, and a silence longer than its bound end every link: each
        // agent is on a new one (so the fault was real, and was noticed).
        if mode.ends_connections() || lasting == LONG {
            let kept: Vec<_> = fleet
                .agents
                .iter()
                .zip(&opened_before)
                .filter(|((slug, _), before)| hub_state(&hub, slug).links_opened <= **before)
                .map(|((slug, _), _)| *slug)
                .collect();
            if !kept.is_empty() {
                stuck.push(format!(
                    "{mode:?} for {lasting:?}: the links of {kept:?} were never given up"
                ));
            }
        }
        eprintln!(
            "{mode:?} for {lasting:?}: every agent linked, heartbeats flowing, {:?} after the fault",
            off.elapsed().unwrap_or_default()
        );
        // A new case file is answered by every partner.
        let case = new_case(&mut sdr, &format!("stuck-{round}")).await;
        let file = case_file(&mut sdr, &case, "aanpak", 5000)
            .await
            .expect("case file");
        let silent: Vec<_> = file
            .partners
            .iter()
            .filter(|p| matches!(p.status.as_str(), "no-answer" | "offline-queued"))
            .map(|p| p.party.as_ref().map(|p| p.name.clone()).unwrap_or_default())
            .collect();
        if !file.complete || !silent.is_empty() {
            stuck.push(format!(
                "{mode:?} for {lasting:?}: the case file after the fault missed answers from {silent:?}"
            ));
        }
    }
    tally(
        "network-no-stream-stuck",
        Kind::FaultsInjected,
        proxy.faults(),
        stuck.len() as u64,
        0,
    );
    assert!(stuck.is_empty(), "streams stayed stuck: {stuck:#?}");
    fleet.stop().await;
    hub.stop().await;
}

/// The hub gives up a black-holed link within its silence bound also while much is in
/// flight to the agent: more questions than an HTTP/2 window, its send buffer and the
/// link's queue hold (so the hub's sends wait for room), each ending at its deadline
/// without an answer. A link task that waited for room to send its heartbeat would
/// stop checking the silence, and the hub would show the party as linked (and send
/// its questions into the void rather than queue them) for as long as the fault lasts.
#[tokio::test]
async fn the_hub_gives_up_a_black_holed_link_with_much_in_flight() {
    /// About 1.2 MB of questions: more than the window, h2's send buffer and the
    /// queue together.
    const QUESTIONS: usize = 6000;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    crate::casefile::write_sources(&pki.dir.path().join("exports"));
    let proxy = FaultProxy::start(hub.addr).await;
    let mut fleet = Fleet::new();
    fleet.add(&pki, "om", proxy.addr(), "", "").await;
    let om = oin("om");
    let before = hub_state(&hub, "om").links_opened;

    proxy.set(Mode::BlackHole);
    let mut asking = tokio::task::JoinSet::new();
    for _ in 0..QUESTIONS {
        let questions = hub.hub.questioner.clone();
        let om = om.clone();
        asking.spawn(async move {
            questions
                .ask(&om, bevraging(), Duration::from_secs(2), false)
                .await
        });
    }
    let started = std::time::Instant::now();
    let noticed = wait_until(HEARTBEAT * 4 + ALLOWANCE + Duration::from_secs(2), || {
        !hub_state(&hub, "om").connected()
    })
    .await;
    eprintln!(
        "silent link given up: {noticed}, after {:?}",
        started.elapsed()
    );
    let mut outcomes = BTreeMap::<String, usize>::new();
    while let Some(done) = asking.join_next().await {
        let key = match done {
            Ok(AskOutcome::NoAnswer { why, .. }) => format!("{why:?}"),
            Ok(other) => format!("{other:?}").chars().take(30).collect(),
            Err(_) => "panic".into(),
        };
        *outcomes.entry(key).or_default() += 1;
    }
    eprintln!("the questions into the black hole: {outcomes:?}");
    let unanswered = outcomes.get("DeadlineExceeded").copied().unwrap_or(0)
        + outcomes.get("LinkLost").copied().unwrap_or(0);
    proxy.set(Mode::Pass);
    let relinked = wait_until(relink_bound(), || {
        let state = hub_state(&hub, "om");
        state.connected() && state.links_opened > before
    })
    .await;
    tally(
        "network-much-in-flight",
        Kind::FaultsInjected,
        proxy.faults(),
        u64::from(!noticed) + u64::from(!relinked) + (QUESTIONS - unanswered) as u64,
        0,
    );
    assert_eq!(
        unanswered, QUESTIONS,
        "nothing answers from a black hole: {outcomes:?}"
    );
    assert!(
        noticed,
        "the hub still shows the black-holed OM as linked after {:?}",
        HEARTBEAT * 4 + ALLOWANCE + Duration::from_secs(2)
    );
    assert!(relinked, "the OM links again after the black hole");
    fleet.stop().await;
    hub.stop().await;
}
