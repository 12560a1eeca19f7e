//! Agents witness the hub's log checkpoints, and fetch proofs of their own entries
//! (article 10.2, 10.3).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use treiter_hub::log::entry::{CaseId, FieldNames, PersonId, Pseudonym, Requester, ShareDecision};
use treiter_hub::log::{Entry, Event, NoteSigner, NoteVerifier, open_checkpoint};
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::Agent;
use treiter_policies::request::{Oin, Outcome};
use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::translog::{Hash, verify_inclusion};
use treiter_proto::v1 as wire;
use treiter_proto::v1::agent_link_client::AgentLinkClient;

use crate::support::{
    Pki, TestHub, agent_config_text_witnessing, party_channel, wait_until, witness_dir,
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
    fn start(pki: &Pki, hub: &TestHub, dir: &Path) -> Running {
        let (cert, key) = pki.party("politie");
        let text = agent_config_text_witnessing(pki, &cert, &key, hub.addr, dir);
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
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
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
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("read");
    let _ = stop.send(());
    let _ = server.await;
    text
}

fn refused(agent: &Agent) -> bool {
    agent
        .metrics()
        .render()
        .contains("hub_agent_checkpoints_refused_total 1")
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
    let agent = Running::start(&pki, &forged, &dir);
    assert!(
        wait_until(Duration::from_secs(10), || refused(&agent.agent)).await,
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
    agent.stop().await;
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
    assert!(!refused(&agent.agent));
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
        let leaf = treiter_proto::translog::hash::leaf_hash(&proof.entry);
        verify_inclusion(&leaf, index, N, &hashes, &head.root).expect("the proof verifies");
        if index == 0 {
            // A forged entry (altered bytes) does not verify.
            let mut forged = proof.entry.clone();
            if let Some(b) = forged.iter_mut().find(|b| **b == b'2') {
                *b = b'3';
            }
            let leaf = treiter_proto::translog::hash::leaf_hash(&forged);
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
