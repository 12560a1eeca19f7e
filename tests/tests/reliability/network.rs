//! Network faults between agents and the hub (issue 22): agents dial the hub in this
//! process through a [`FaultProxy`] on loopback, which the test switches while they
//! run to latency, a bandwidth limit, cuts mid-stream, resets, a black hole and a
//! half-open link.
//!
//! What must hold: store-and-forward gives the agent every question and every delivery
//! exactly once (past its idempotence) however often its link is cut or reset; a case
//! file asked while a partner is black-holed says that partner did not answer (never
//! that it had no records), and the answer that comes once the fault is gone joins the
//! file late; and after every fault is switched off, no stream stays stuck: each agent
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
    let party = PARTIES.iter().find(|p| p.slug == slug).expect("a dev party");
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
async fn new_case(c: &mut CoordinatorClient<HubChannel>, tag: &str) -> String {
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
            let subject = e.subject.as_ref().map(|s| s.hex.clone()).unwrap_or_default();
            let key = (
                party.clone(),
                e.category.clone(),
                subject,
                reference,
            );
            if !seen.insert(key) {
                duplicates += 1;
            }
        }
    }
    duplicates
}

fn bevraging() -> wire::question::Kind {
    wire::question::Kind::Bevraging(wire::Bevraging {
        subject: Some(wire::SubjectPseudonym {
            hex: slachtoffer(),
        }),
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
    const ROUNDS: usize = 4;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // Every partner but the gemeente links directly; the gemeente's agent, which
    // answers questions and receives deliveries in its inbox, links through the proxy.
    let partners = Partners::start(&pki, &hub, &["gemeente"]).await;
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

    let gemeente = oin("gemeente");
    let questions = hub.hub.questioner.clone();
    let mut late = questions.late_answers();
    let mut late_seen = Vec::new();
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    // The moments of the cuts are random; the seed is printed to run one again.
    let mut rng = Jitter::seeded();
    let mut files = Vec::new();
    let mut asked = Vec::new();
    for round in 0..ROUNDS {
        let fault = if round % 2 == 0 { Mode::Cut } else { Mode::Reset };
        proxy.set(fault);
        assert!(
            wait_until(LIMIT, || !hub_state(&hub, "gemeente").connected()).await,
            "the hub notices the {fault:?}"
        );
        // While the gemeente is cut off: a case file, and a question of its own.
        let case = new_case(&mut sdr, &format!("saf-{round}")).await;
        let file = case_file(&mut sdr, &case, "aanpak", 1000)
            .await
            .expect("case file");
        assert_eq!(partner(&file, "gemeente").status, "offline-queued");
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
        if !share_keys.insert((share.case.clone(), share.category.clone(), share.source.clone()))
        {
            duplicates += 1;
        }
    }
    let (log, _) = receipts::read(&receipts_path).expect("receipts");
    let mut received = BTreeMap::<String, usize>::new();
    for receipt in &log {
        if let Event::ShareReceived { id, .. } = &receipt.event {
            *received.entry(id.clone()).or_default() += 1;
        }
    }
    duplicates += received.values().map(|n| n - 1).sum::<usize>();
    let lost_shares = shares.iter().filter(|s| !received.contains_key(&s.id)).count();
    let lost = lost_questions + lost_shares + usize::from(!settled);
    tally(
        "network_store_and_forward",
        Kind::FaultsInjected,
        proxy.faults(),
        (duplicates + lost) as u64,
        0,
    );
    assert!(settled, "every queued question and delivery arrived after the faults");
    assert_eq!(lost_questions, 0, "queued questions lost: {asked:?} vs {answers:?}");
    assert_eq!(lost_shares, 0, "shares in the inbox without a receipt");
    assert_eq!(duplicates, 0, "duplicates: answers {answers:?}, receipts {received:?}");
    eprintln!(
        "{} faults, {} late answers, {} shares in the inbox, each once",
        proxy.faults(),
        answers.len(),
        shares.len()
    );
    fleet.stop().await;
    partners.stop().await;
    hub.stop().await;
}
