//! Agents witness the hub's log checkpoints, and fetch proofs of their own entries
//! (article 10.2, 10.3). A refused checkpoint raises the whole alert at the agent
//! (metric, `/healthz`, receipt) and at the hub that sent it (`hub status`, `/healthz`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use treiter_hub::log::entry::{CaseId, FieldNames, PersonId, Pseudonym, Requester, ShareDecision};
use treiter_hub::log::{Entry, Event, NoteSigner, NoteVerifier, open_checkpoint};
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::Agent;
use treiter_node_agent::receipts::Event as ReceiptEvent;
use treiter_policies::request::{Oin, Outcome};
use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::v1 as wire;
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::hub_status_client::HubStatusClient;
use treiter_translog::hash::leaf_hash;
use treiter_translog::proof::consistency_proof;
use treiter_translog::tree::MerkleTree;
use treiter_translog::{Checkpoint, Hash, RefusalReason, verify_inclusion};

use crate::support::{
    Pki, TestHub, agent_config_text_witnessing, party_channel, person_channel, wait_until,
    witness_dir,
};

const POLITIE: &str = "00000002000000000002";
const GEMEENTE: &str = "00000001000000000001";
const GGD: &str = "00000005000000000006";
const OM: &str = "00000003000000000003";

/// A synthetic share decision from `source` to `recipient`; `n` makes entries differ.
fn share(n: u64, source: &str, recipient: &str) -> Entry {
    let oin = |s: &str| Oin::parse(s).expect("oin");
    Entry {
        time: treiter_hub::log::entry::LogTime::from_datetime(
            time::OffsetDateTime::from_unix_timestamp(1_795_000_000 + n as i64).expect("time"),
        )
        .expect("log time"),
        covenant_version: 1,
        event: Event::ShareDecision(ShareDecision {
            requester: Requester {
                party: oin(recipient),
                role: Role::Stadsdeelregisseur,
                person: PersonId::parse(&format!("p-gemeente-{:03}", n % 1000)).expect("person"),
            },
            source: oin(source),
            recipient: oin(recipient),
            case: CaseId::parse("C-2026-0007").expect("case"),
            subject: Pseudonym::parse(&"ab".repeat(32)).expect("pseudonym"),
            category: Category::PolitieIncidenten,
            purpose: Purpose::Duiding,
            fields_offered: FieldNames::parse_all(["datum", "locatie"]).expect("fields"),
            fields_stripped: FieldNames::new(),
            withheld_field_names: 0,
            outcome: Outcome::Permit,
            articles: ["6.3"]
                .iter()
                .map(|a| a.parse().expect("article"))
                .collect(),
            emergency: false,
            notifications: Default::default(),
        }),
    }
}

/// A politie agent witnessing into `dir`, running until the sender is set.
struct Running {
    agent: Arc<Agent>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts the agent; its receipt log is [`receipts_path`]`(dir)`.
    fn start(pki: &Pki, hub: &TestHub, dir: &Path) -> Running {
        let (cert, key) = pki.party("politie");
        let text = format!(
            "receipts = \"{}\"\n{}",
            receipts_path(dir).display(),
            agent_config_text_witnessing(pki, &cert, &key, hub.addr, dir)
        );
        let config = AgentConfig::parse(&text, Path::new("/")).expect("agent config");
        let agent = Arc::new(Agent::new(config).expect("agent"));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let running = agent.clone();
        let task = tokio::spawn(async move {
            running
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        Running { agent, stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the agent stops within 10 s")
            .expect("agent task");
    }
}

/// The receipt log of the agent witnessing into `dir`.
fn receipts_path(dir: &Path) -> PathBuf {
    dir.join("receipts.log")
}

/// The checkpoint receipts in the agent's receipt log: `witnessed <size>`, or
/// `refused <size> held <size> from <size> <reason word>`.
fn checkpoint_receipts(dir: &Path) -> Vec<String> {
    let (receipts, unreadable) =
        treiter_node_agent::receipts::read(&receipts_path(dir)).expect("receipt log");
    assert_eq!(unreadable, 0);
    receipts
        .into_iter()
        .filter_map(|r| match r.event {
            ReceiptEvent::CheckpointWitnessed { tree_size, .. } => {
                Some(format!("witnessed {tree_size}"))
            }
            ReceiptEvent::CheckpointRefused {
                tree_size,
                held_size,
                from_size,
                code,
                ..
            } => Some(format!(
                "refused {tree_size} held {held_size} from {from_size} {code}"
            )),
            _ => None,
        })
        .collect()
}

/// The hub's admin endpoint (`/healthz`, `/status`) on a free loopback port.
struct Admin {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Admin {
    async fn start(hub: &TestHub) -> Admin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(treiter_hub::admin::serve(
            hub.hub.clone(),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        Admin { addr, stop, task }
    }

    /// The raw HTTP answer to `GET path`.
    async fn get(&self, path: &str) -> String {
        http_get(self.addr, path).await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("admin task").expect("admin served");
    }
}

/// The raw HTTP/1.1 answer to `GET path` at `addr`.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("write");
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut text))
        .await
        .expect("answered within 10 s")
        .expect("read");
    text
}

/// The hub's open witness alert of the politie party, if any.
fn politie_alert(hub: &TestHub) -> Option<treiter_hub::admin::WitnessAlertStatus> {
    treiter_hub::admin::status_document(&hub.hub)
        .witness_alerts
        .into_iter()
        .find(|a| a.oin == POLITIE)
}

/// The politie agent's witness key, as the hub should have it.
fn witness_verifier(dir: &Path) -> NoteVerifier {
    let der = std::fs::read(dir.join("witness.key")).expect("witness key");
    NoteSigner::from_pkcs8(&format!("{POLITIE}.witness.treiteraanpak"), &der)
        .expect("witness key parses")
        .verifier()
        .clone()
}

/// Whether the hub's latest checkpoint has `size` entries and the witness's signature.
fn cosigned_at(hub: &TestHub, witness: &NoteVerifier, size: u64) -> bool {
    hub.hub
        .log
        .latest_checkpoint()
        .is_some_and(|cp| cp.checkpoint().size == size && cp.is_signed_by(witness))
}

/// The tree size of the checkpoint the agent keeps in its state file.
fn held_size(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("witnessed.checkpoint")).expect("state");
    text.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("size")
}

/// The agent's `/healthz` answer, served on a free loopback port for one request.
async fn healthz(agent: &Agent) -> String {
    let listener = treiter_node_agent::health::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = treiter_node_agent::health::HealthState {
        status: agent.status(),
        metrics: agent.metrics().clone(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(treiter_node_agent::health::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let text = http_get(addr, "/healthz").await;
    let _ = stop.send(());
    let _ = server.await;
    text
}

/// Whether the agent refused exactly one checkpoint, for `reason`.
fn refused(agent: &Agent, reason: RefusalReason) -> bool {
    let metrics = agent.metrics();
    RefusalReason::ALL.iter().all(|r| {
        let expected = u64::from(*r == reason);
        metrics.refused_count(*r) == expected
    }) && metrics.render().contains(&format!(
        "hub_agent_checkpoints_refused_total{{reason=\"{reason}\"}} 1"
    ))
}

/// Whether the agent refused no checkpoint.
fn refused_none(agent: &Agent) -> bool {
    RefusalReason::ALL
        .iter()
        .all(|r| agent.metrics().refused_count(*r) == 0)
}

#[tokio::test]
async fn witness_agent_cosigns_checkpoints_and_refuses_a_forked_history() {
    let pki = Pki::new();
    let data_a: PathBuf = pki.dir.path().join("hub-a");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data_a, "").await;
    for n in 0..5 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    let dir = witness_dir(&pki);
    let agent = Running::start(&pki, &hub, &dir);
    // On link the hub signs a checkpoint over the 5 entries and sends it; the agent's
    // cosignature comes back and is stored with it.
    assert!(
        wait_until(Duration::from_secs(10), || dir.join("witness.key").exists()).await,
        "the witness key is generated on the first start"
    );
    let witness = witness_verifier(&dir);
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 5)).await,
        "the agent's cosignature of the checkpoint of size 5 reaches the hub"
    );
    let cp = hub.hub.log.latest_checkpoint().expect("checkpoint");
    let opened = open_checkpoint(
        treiter_hub::state::LOG_ORIGIN,
        &[hub.hub.log.verifier(), witness.clone()],
        &cp.to_bytes(),
    )
    .expect("the cosigned checkpoint verifies");
    assert_eq!(opened.cosigned_by, vec![witness.name().to_owned()]);

    // A new checkpoint goes down the link with a proof from 5; it is witnessed too.
    for n in 5..8 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    treiter_hub::witnesses::checkpoint(&hub.hub)
        .await
        .expect("checkpoint");
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 8)).await,
        "the checkpoint of size 8 is cosigned"
    );
    assert_eq!(held_size(&dir), 8);
    assert_eq!(checkpoint_receipts(&dir), ["witnessed 5", "witnessed 8"]);
    assert!(politie_alert(&hub).is_none());
    agent.stop().await;
    let addr = hub.addr;
    hub.stop().await;

    // Another history under the same log key: a fresh data directory, other entries.
    let data_b = pki.dir.path().join("hub-b");
    let forged = TestHub::start_in(&pki, addr, &data_b, "").await;
    for n in 0..10 {
        forged
            .hub
            .log
            .append(share(100 + n, GGD, OM))
            .await
            .expect("append");
    }
    let admin = Admin::start(&forged).await;
    let agent = Running::start(&pki, &forged, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || refused(
            &agent.agent,
            RefusalReason::Inconsistent
        ))
        .await,
        "the agent refuses the forked history: {}",
        agent.agent.metrics().render()
    );
    let alert = agent
        .agent
        .metrics()
        .witness_alert
        .read()
        .expect("alert")
        .clone()
        .expect("the health alert is set");
    assert!(
        alert.contains("size 10") && alert.contains("holding size 8"),
        "{alert}"
    );
    let healthz = healthz(&agent.agent).await;
    assert!(
        healthz.starts_with("HTTP/1.1 503") && healthz.contains("degraded: witness alert"),
        "{healthz}"
    );
    // Not kept, not cosigned; the agent keeps its checkpoint and its link.
    assert_eq!(held_size(&dir), 8);
    assert!(
        forged
            .hub
            .log
            .latest_checkpoint()
            .is_some_and(|cp| !cp.is_signed_by(&witness))
    );
    assert!(matches!(
        *agent.agent.status().borrow(),
        treiter_node_agent::link::LinkStatus::Connected { .. }
    ));
    // The receipt: refused, with the sizes and the reason word.
    assert_eq!(
        checkpoint_receipts(&dir),
        [
            "witnessed 5",
            "witnessed 8",
            "refused 10 held 8 from 8 inconsistent"
        ]
    );
    // The hub that sent the forked checkpoint is told, and alerts: status and /healthz.
    assert!(
        wait_until(Duration::from_secs(10), || politie_alert(&forged).is_some()).await,
        "the forked hub shows the witness alert"
    );
    let shown = politie_alert(&forged).expect("alert");
    assert_eq!(
        (
            shown.name.as_str(),
            shown.tree_size,
            shown.from_tree_size,
            shown.held_tree_size,
            shown.reason.as_str(),
            shown.refusals
        ),
        ("Politie Eenheid Amsterdam", 10, 8, 8, "inconsistent", 1)
    );
    assert!(shown.detail.contains("size 10"), "{}", shown.detail);
    let status = treiter_hub::admin::status_document(&forged.hub);
    assert_eq!(status.witness_refusals.get("inconsistent"), Some(&1));
    // …and the metric hub/README.md says to alert on counts it (issue 22).
    let metrics = forged.hub.metrics.render(&forged.hub);
    assert!(
        metrics.contains("treiter_hub_witness_refusals_total{reason=\"inconsistent\"} 1"),
        "{metrics}"
    );
    let hub_health = admin.get("/healthz").await;
    assert!(
        hub_health.starts_with("HTTP/1.1 503")
            && hub_health.contains(
                "degraded: witness alert: Politie Eenheid Amsterdam (00000002000000000002) refused the log checkpoint of size 10 (proof from size 8, holding size 8): inconsistent"
            ),
        "{hub_health}"
    );
    let fetched = treiter_hub::admin::fetch_status(admin.addr)
        .await
        .expect("status");
    assert_eq!(fetched.witness_alerts, status.witness_alerts);
    let report = HubStatusClient::new(person_channel(&pki, "p-gemeente-004", forged.addr).await)
        .get_status(wire::GetStatusRequest {})
        .await
        .expect("status over gRPC")
        .into_inner();
    let alerts: Vec<_> = report
        .witness_alerts
        .iter()
        .map(|a| {
            (
                a.party.as_ref().map(|p| p.oin.clone()).unwrap_or_default(),
                a.tree_size,
                a.reason.clone(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [(POLITIE.to_owned(), 10, "inconsistent".to_owned())]
    );
    agent.stop().await;
    admin.stop().await;
    forged.stop().await;

    // The alert survives a restart of the forked hub.
    let forged = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data_b, "").await;
    assert_eq!(
        politie_alert(&forged).map(|a| (a.tree_size, a.reason)),
        Some((10, "inconsistent".to_owned()))
    );
    let admin = Admin::start(&forged).await;
    assert!(admin.get("/healthz").await.starts_with("HTTP/1.1 503"));
    admin.stop().await;
    forged.stop().await;

    // The honest hub again, with two more entries: consistent, witnessed.
    let hub = TestHub::start_in(&pki, addr, &data_a, "").await;
    for n in 8..10 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    let agent = Running::start(&pki, &hub, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 10)).await,
        "the honest log's next checkpoint is witnessed"
    );
    assert_eq!(held_size(&dir), 10);
    assert!(refused_none(&agent.agent));
    assert_eq!(
        checkpoint_receipts(&dir).last().map(String::as_str),
        Some("witnessed 10")
    );
    // The honest hub has nothing to alert about.
    assert!(politie_alert(&hub).is_none());
    let admin = Admin::start(&hub).await;
    let hub_health = admin.get("/healthz").await;
    assert!(hub_health.starts_with("HTTP/1.1 200"), "{hub_health}");
    admin.stop().await;
    agent.stop().await;
    hub.stop().await;
}

/// A hub whose log was forked sends its checkpoint with a consistency proof that is
/// valid for the forked history but starts from another size than the one the agent
/// holds: a proof that says nothing about the agent's checkpoint. The agent refuses it
/// with the whole alert, and the hub that sent it shows the alert until the agent
/// cosigns a later checkpoint of the real log.
/// A witness is paced (hub `witnesses` module doc): checkpoints signed one after the
/// other while it is still answering the last are not each sent to it; it gets the
/// newest once it is free, and cosigns that. (Before pacing, a witness checked, kept and
/// cosigned every checkpoint: one per case file.)
#[tokio::test]
async fn witness_is_sent_the_newest_checkpoint_not_every_one() {
    let pki = Pki::new();
    let data = pki.dir.path().join("hub");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data, "").await;
    hub.hub
        .log
        .append(share(0, POLITIE, GEMEENTE))
        .await
        .expect("append");
    let dir = witness_dir(&pki);
    let agent = Running::start(&pki, &hub, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || dir.join("witness.key").exists()).await,
        "the witness key is generated"
    );
    let witness = witness_verifier(&dir);
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 1)).await,
        "the agent witnessed the checkpoint of size 1"
    );
    // Twenty checkpoints back to back, as twenty case files would sign them.
    const SIGNED: u64 = 20;
    for n in 1..=SIGNED {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
        treiter_hub::witnesses::checkpoint(&hub.hub)
            .await
            .expect("checkpoint");
    }
    let newest = SIGNED + 1;
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(
            &hub, &witness, newest
        ))
        .await,
        "the newest checkpoint is sent and cosigned"
    );
    assert_eq!(held_size(&dir), newest);
    let receipts = checkpoint_receipts(&dir);
    assert_eq!(
        receipts.last().map(String::as_str),
        Some(format!("witnessed {newest}").as_str())
    );
    assert!(
        receipts.len() < usize::try_from(SIGNED).expect("small"),
        "the witness was not sent every checkpoint: {receipts:?}"
    );
    assert!(politie_alert(&hub).is_none());
    agent.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn witness_alert_for_a_proof_from_another_size() {
    let pki = Pki::new();
    let data = pki.dir.path().join("hub");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data, "").await;
    for n in 0..8 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    let dir = witness_dir(&pki);
    let agent = Running::start(&pki, &hub, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || dir.join("witness.key").exists()).await,
        "the witness key is generated"
    );
    let witness = witness_verifier(&dir);
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 8)).await,
        "the agent witnessed the checkpoint of size 8"
    );

    // The malicious hub: the real log key, a forked history of 12 entries, and a proof
    // from size 4 of that history, down the agent's own link.
    let key = treiter_hub::log::LogKey::load(
        &crate::support::log_key_path(&pki),
        treiter_hub::state::LOG_ORIGIN,
    )
    .expect("the hub's log key");
    let forked =
        MerkleTree::from_leaves((0..12).map(|i| leaf_hash(format!("forked entry {i}").as_bytes())));
    let note = key
        .sign_checkpoint(Checkpoint {
            origin: treiter_hub::state::LOG_ORIGIN.to_owned(),
            size: 12,
            root: forked.root_at(12).expect("root"),
        })
        .expect("signed");
    let proof = consistency_proof(&forked, 4, 12).expect("proof");
    let link = hub
        .hub
        .agents
        .link(&treiter_hub::identity::Oin::parse(POLITIE).expect("oin"))
        .expect("the agent is linked");
    link.sender
        .send(Ok(wire::HubMessage {
            body: Some(wire::hub_message::Body::Checkpoint(wire::Checkpoint {
                note: note.to_bytes(),
                consistency_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
                from_tree_size: 4,
            })),
        }))
        .await
        .expect("sent");
    drop(link);

    // The agent: the metric, /healthz, the receipt; its checkpoint and link are kept.
    assert!(
        wait_until(Duration::from_secs(10), || refused(
            &agent.agent,
            RefusalReason::WrongFromSize
        ))
        .await,
        "the agent refuses the checkpoint: {}",
        agent.agent.metrics().render()
    );
    let healthz_text = healthz(&agent.agent).await;
    assert!(
        healthz_text.starts_with("HTTP/1.1 503")
            && healthz_text.contains(
                "degraded: witness alert: refused the hub's log checkpoint of size 12 (proof from size 4, holding size 8): wrong-from-size"
            ),
        "{healthz_text}"
    );
    assert_eq!(
        checkpoint_receipts(&dir),
        ["witnessed 8", "refused 12 held 8 from 4 wrong-from-size"]
    );
    assert_eq!(held_size(&dir), 8);

    // The hub: the alert in its status (JSON and `hub status`) and its /healthz.
    assert!(
        wait_until(Duration::from_secs(10), || politie_alert(&hub).is_some()).await,
        "the hub shows the witness alert"
    );
    let shown = politie_alert(&hub).expect("alert");
    assert_eq!(
        (
            shown.tree_size,
            shown.from_tree_size,
            shown.held_tree_size,
            shown.reason.as_str()
        ),
        (12, 4, 8, "wrong-from-size")
    );
    let admin = Admin::start(&hub).await;
    let hub_health = admin.get("/healthz").await;
    assert!(
        hub_health.starts_with("HTTP/1.1 503")
            && hub_health.contains(
                "degraded: witness alert: Politie Eenheid Amsterdam (00000002000000000002) refused the log checkpoint of size 12 (proof from size 4, holding size 8): wrong-from-size"
            ),
        "{hub_health}"
    );
    let config = pki.dir.path().join("hub.toml");
    std::fs::write(
        &config,
        crate::support::hub_config_text(&pki, hub.addr, Some(admin.addr), &data),
    )
    .expect("write the hub config");
    let hub_status = |json: bool| {
        let config = config.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut command = std::process::Command::new(crate::support::workspace_bin("hub"));
                command.args(["status", "--config"]).arg(&config);
                if json {
                    command.arg("--json");
                }
                command.output().expect("hub status runs")
            })
            .await
            .expect("join")
        }
    };
    let table = hub_status(false).await;
    let table_text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success(),
        "{table_text}{}",
        String::from_utf8_lossy(&table.stderr)
    );
    assert!(
        table_text.contains("WITNESS ALERTS (article 10.2)")
            && table_text.contains(
                "Politie Eenheid Amsterdam (00000002000000000002): size 12 (proof from 4, holding 8): wrong-from-size, 1 refusal(s)"
            ),
        "{table_text}"
    );
    let json = hub_status(true).await;
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(document["witness_alerts"][0]["oin"], POLITIE);
    assert_eq!(document["witness_alerts"][0]["reason"], "wrong-from-size");
    assert_eq!(document["witness_refusals"]["wrong-from-size"], 1);

    // The real log grows past the claimed size; its next checkpoint goes down with a
    // proof from the size the agent holds, is witnessed, and resolves both alerts.
    for n in 8..13 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    treiter_hub::witnesses::checkpoint(&hub.hub)
        .await
        .expect("checkpoint");
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 13)).await,
        "the real log's checkpoint of size 13 is witnessed"
    );
    assert!(
        wait_until(Duration::from_secs(10), || politie_alert(&hub).is_none()).await,
        "the hub's witness alert is resolved"
    );
    assert!(admin.get("/healthz").await.starts_with("HTTP/1.1 200"));
    assert!(healthz(&agent.agent).await.starts_with("HTTP/1.1 200"));
    // What was refused stays counted and recorded.
    assert_eq!(
        agent
            .agent
            .metrics()
            .refused_count(RefusalReason::WrongFromSize),
        1
    );
    assert_eq!(
        treiter_hub::admin::status_document(&hub.hub)
            .witness_refusals
            .get("wrong-from-size"),
        Some(&1)
    );
    assert_eq!(
        checkpoint_receipts(&dir).last().map(String::as_str),
        Some("witnessed 13")
    );
    admin.stop().await;
    agent.stop().await;
    hub.stop().await;
}

/// An agent that cannot keep a checkpoint on its own disk refuses it too, and the hub
/// shows that; the hub's next checkpoint then comes with a proof from the size the agent
/// still holds (not from the one it refused), so witnessing resumes by itself once the
/// disk is fixed, and the alert resolves.
#[tokio::test]
async fn witness_alert_when_the_agent_cannot_keep_a_checkpoint() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    for n in 0..8 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    let dir = witness_dir(&pki);
    let agent = Running::start(&pki, &hub, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || dir.join("witness.key").exists()).await,
        "the witness key is generated"
    );
    let witness = witness_verifier(&dir);
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 8)).await,
        "the agent witnessed the checkpoint of size 8"
    );
    // The state file's place taken by a directory: the agent cannot keep a new one.
    let state = dir.join("witnessed.checkpoint");
    let held_note = std::fs::read(&state).expect("state");
    std::fs::remove_file(&state).expect("remove");
    std::fs::create_dir(&state).expect("mkdir");
    std::fs::write(state.join("occupied"), b"x").expect("occupy");
    for n in 8..10 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    treiter_hub::witnesses::checkpoint(&hub.hub)
        .await
        .expect("checkpoint");
    assert!(
        wait_until(Duration::from_secs(10), || refused(
            &agent.agent,
            RefusalReason::StateUnwritable
        ))
        .await,
        "the agent refuses what it cannot keep: {}",
        agent.agent.metrics().render()
    );
    assert!(
        wait_until(Duration::from_secs(10), || politie_alert(&hub).is_some()).await,
        "the hub shows the alert"
    );
    let shown = politie_alert(&hub).expect("alert");
    assert_eq!(
        (shown.tree_size, shown.held_tree_size, shown.reason.as_str()),
        (10, 8, "state-unwritable")
    );
    assert_eq!(
        checkpoint_receipts(&dir),
        ["witnessed 8", "refused 10 held 8 from 8 state-unwritable"]
    );

    // The disk fixed: the next checkpoint's proof starts at 8, what the agent holds.
    std::fs::remove_dir_all(&state).expect("rmdir");
    std::fs::write(&state, held_note).expect("restore the state");
    for n in 10..12 {
        hub.hub
            .log
            .append(share(n, POLITIE, GEMEENTE))
            .await
            .expect("append");
    }
    treiter_hub::witnesses::checkpoint(&hub.hub)
        .await
        .expect("checkpoint");
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, 12)).await,
        "the checkpoint of size 12 is witnessed: {}",
        agent.agent.metrics().render()
    );
    assert!(refused(&agent.agent, RefusalReason::StateUnwritable));
    assert!(
        wait_until(Duration::from_secs(10), || politie_alert(&hub).is_none()).await,
        "the alert is resolved"
    );
    assert_eq!(held_size(&dir), 12);
    agent.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn witness_inclusion_proofs_for_own_entries_only() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // A few hundred entries; every third one is a politie share.
    const N: u64 = 300;
    for n in 0..N {
        let entry = if n % 3 == 0 {
            share(n, POLITIE, GEMEENTE)
        } else {
            share(n, GGD, OM)
        };
        hub.hub.log.append(entry).await.expect("append");
    }
    let cp = treiter_hub::witnesses::checkpoint(&hub.hub)
        .await
        .expect("checkpoint");
    let head = cp.checkpoint().clone();
    assert_eq!(head.size, N);
    let mut client = AgentLinkClient::new(party_channel(&pki, "politie", hub.addr).await);
    let max_len = (N as f64).log2().ceil() as usize;
    for index in (0..N).step_by(3) {
        let proof = client
            .get_inclusion_proof(wire::InclusionProofRequest {
                leaf_index: index,
                tree_size: N,
            })
            .await
            .expect("own entry")
            .into_inner();
        assert!(
            proof.hashes.len() <= max_len,
            "{} hashes",
            proof.hashes.len()
        );
        let hashes: Vec<Hash> = proof
            .hashes
            .iter()
            .map(|h| Hash::from_slice(h).expect("32 bytes"))
            .collect();
        let leaf = treiter_translog::hash::leaf_hash(&proof.entry);
        verify_inclusion(&leaf, index, N, &hashes, &head.root).expect("the proof verifies");
        if index == 0 {
            // A forged entry (altered bytes) does not verify.
            let mut forged = proof.entry.clone();
            if let Some(b) = forged.iter_mut().find(|b| **b == b'2') {
                *b = b'3';
            }
            let leaf = treiter_translog::hash::leaf_hash(&forged);
            assert!(verify_inclusion(&leaf, index, N, &hashes, &head.root).is_err());
        }
    }
    // Another party's entry: refused under article 10.3.
    let denied = client
        .get_inclusion_proof(wire::InclusionProofRequest {
            leaf_index: 1,
            tree_size: N,
        })
        .await
        .expect_err("another party's entry");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert!(denied.message().contains("10.3"), "{}", denied.message());
    // Beyond the signed checkpoint, or past the tree size.
    for (leaf_index, tree_size) in [(0, N + 1), (N, N)] {
        let bad = client
            .get_inclusion_proof(wire::InclusionProofRequest {
                leaf_index,
                tree_size,
            })
            .await
            .expect_err("invalid");
        assert_eq!(bad.code(), Code::InvalidArgument);
    }
    let consistency = client
        .get_consistency_proof(wire::ConsistencyProofRequest {
            from_tree_size: 100,
            to_tree_size: N,
        })
        .await
        .expect("consistency proof")
        .into_inner();
    assert!(!consistency.hashes.is_empty());

    // `node-agent log-proof` verifies against the checkpoint the agent witnessed.
    let dir = witness_dir(&pki);
    let agent = Running::start(&pki, &hub, &dir);
    let witness = {
        assert!(
            wait_until(Duration::from_secs(10), || dir.join("witness.key").exists()).await,
            "the witness key is generated"
        );
        witness_verifier(&dir)
    };
    assert!(
        wait_until(Duration::from_secs(10), || cosigned_at(&hub, &witness, N)).await,
        "the agent witnessed the checkpoint of size {N}"
    );
    agent.stop().await;
    let (cert, key) = pki.party("politie");
    let config = dir.join("agent.toml");
    std::fs::write(
        &config,
        agent_config_text_witnessing(&pki, &cert, &key, hub.addr, &dir),
    )
    .expect("write config");
    let run = |leaf: u64| {
        let config = config.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(crate::support::workspace_bin("node-agent"))
                    .args(["log-proof", "--config"])
                    .arg(&config)
                    .args(["--leaf", &leaf.to_string()])
                    .output()
                    .expect("node-agent runs")
            })
            .await
            .expect("join")
        }
    };
    let own = run(3).await;
    let stdout = String::from_utf8_lossy(&own.stdout);
    assert!(
        own.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&own.stderr)
    );
    assert!(
        stdout.contains("share-decision") && stdout.contains("C-2026-0007"),
        "{stdout}"
    );
    assert!(
        stdout.contains("datum, locatie") && stdout.contains("verified"),
        "{stdout}"
    );
    let other = run(4).await;
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("10.3"));
    hub.stop().await;
}

/// Two links of one party whose Hellos are handled out of order (the older link's
/// waited longer for its checkpoint): the newer link stays the party's witness and its
/// witness key stays pinned; the older one is sent no checkpoint and registers nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_links_late_hello_does_not_replace_the_newer_link() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let oin = treiter_hub::identity::Oin::parse(POLITIE).expect("oin");
    let party = hub.hub.parties.get(&oin).expect("the politie is a party");
    let key = |byte: u8| {
        NoteVerifier::new(&format!("{POLITIE}.witness.treiteraanpak"), [byte; 32]).expect("key")
    };
    let hello = |key: &NoteVerifier| wire::Hello {
        witness_key: key.to_string(),
        ..Default::default()
    };
    let (newer, older) = (key(1), key(2));
    let (newer_tx, mut newer_rx) = tokio::sync::mpsc::channel(8);
    let (older_tx, mut older_rx) = tokio::sync::mpsc::channel(8);
    treiter_hub::witnesses::on_hello(&hub.hub, &party, 8, &hello(&newer), &newer_tx).await;
    treiter_hub::witnesses::on_hello(&hub.hub, &party, 7, &hello(&older), &older_tx).await;
    assert!(
        newer_rx.try_recv().is_ok(),
        "the newer link got the checkpoint"
    );
    assert!(
        older_rx.try_recv().is_err(),
        "the older link registered nothing"
    );
    let pinned = treiter_hub::tables::witness_keys::get(hub.hub.store.as_ref(), POLITIE)
        .expect("read the pinned key")
        .expect("a key is pinned");
    assert_eq!(String::from_utf8_lossy(&pinned), newer.to_string());
    hub.stop().await;
}
