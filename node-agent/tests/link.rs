//! The agent on a real link: a stand-in hub (mTLS, the generated AgentLink service)
//! pushes questions down the stream, and the agent answers each through its source and
//! gate (acknowledging it first only when the answer takes longer than its Ack window),
//! and answers a re-delivered question identically.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use treiter_certs_dev::{Layout, Options};
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::Agent;
use treiter_proto::v1::agent_link_server::{AgentLink, AgentLinkServer};
use treiter_proto::v1::{
    AgentMessage, Bevraging, CaseContext, CaseSubject, ConsistencyProof, ConsistencyProofRequest,
    HubMessage, InclusionProof, InclusionProofRequest, Party, Question, Recipient, ShareRequest,
    SubjectPseudonym, Welcome, agent_message, answer, hub_message, question,
};

const KNOWN: &str = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A hub that welcomes the agent as politie, sends its scripted questions, and hands
/// every message of the agent to the test.
struct StandInHub {
    questions: Mutex<Vec<Question>>,
    seen: mpsc::UnboundedSender<AgentMessage>,
}

#[tonic::async_trait]
impl AgentLink for StandInHub {
    type LinkStream = ReceiverStream<Result<HubMessage, Status>>;

    async fn link(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::LinkStream>, Status> {
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let seen = self.seen.clone();
        let questions = std::mem::take(&mut *self.questions.lock().expect("lock"));
        tokio::spawn(async move {
            if let Ok(Some(hello)) = inbound.message().await {
                let _ = seen.send(hello);
            }
            let welcome = Welcome {
                party: Some(Party {
                    oin: "00000002000000000002".into(),
                    name: "Politie Eenheid Amsterdam".into(),
                    kind: "politie".into(),
                }),
                hub_version: "test".into(),
                covenant_version: 1,
                heartbeat_interval_seconds: 1,
                link_id: "L-1".into(),
            };
            let body = |b| Ok(HubMessage { body: Some(b) });
            let _ = tx.send(body(hub_message::Body::Welcome(welcome))).await;
            for q in questions {
                let _ = tx.send(body(hub_message::Body::Question(q))).await;
            }
            while let Ok(Some(m)) = inbound.message().await {
                let _ = seen.send(m);
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn get_inclusion_proof(
        &self,
        _request: Request<InclusionProofRequest>,
    ) -> Result<Response<InclusionProof>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn get_consistency_proof(
        &self,
        _request: Request<ConsistencyProofRequest>,
    ) -> Result<Response<ConsistencyProof>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
}

fn server_tls(layout: &Layout) -> Arc<rustls::ServerConfig> {
    use treiter_proto::tls;
    let provider = tls::provider();
    let mut roots = rustls::RootCertStore::empty();
    for cert in tls::load_certs(&layout.ca_cert()).expect("ca") {
        roots.add(cert).expect("root");
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("verifier");
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(tls::PROTOCOL_VERSIONS)
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            tls::load_certs(&layout.hub_cert()).expect("hub cert"),
            tls::load_key(&layout.hub_key()).expect("hub key"),
        )
        .expect("server config");
    config.alpn_protocols = vec![tls::ALPN_H2.to_vec()];
    Arc::new(config)
}

/// Serves the stand-in hub on 127.0.0.1 with mTLS.
async fn start_hub(layout: &Layout, hub: StandInHub) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = tokio_rustls::TlsAcceptor::from(server_tls(layout));
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            if let Ok(stream) = acceptor.accept(tcp).await {
                let _ = tx.send(Ok::<_, std::io::Error>(stream)).await;
            }
        }
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(AgentLinkServer::new(hub))
            .serve_with_incoming(ReceiverStream::new(rx)),
    );
    addr
}

fn ts(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

fn share_request(id: &str) -> Question {
    let subject = SubjectPseudonym { hex: KNOWN.into() };
    Question {
        request_id: id.into(),
        deadline: Some(ts(SystemTime::now() + Duration::from_secs(60))),
        kind: Some(question::Kind::ShareRequest(ShareRequest {
            case: Some(CaseContext {
                id: "C-2026-0042".into(),
                stadsdeel: "oost".into(),
                phase: "duiding".into(),
                escalated: false,
                participants: vec![],
                subjects: vec![CaseSubject {
                    subject: Some(subject.clone()),
                    role: "dader".into(),
                    consent: vec![],
                }],
                emergency: None,
            }),
            subject: Some(subject),
            subject_role: "dader".into(),
            categories: vec!["politie-incidenten".into()],
            purpose: "duiding".into(),
            recipient: Some(Recipient {
                oin: "00000001000000000001".into(),
                kind: "gemeente".into(),
                role: "informatiemakelaar".into(),
                stadsdeel: "oost".into(),
                person: "p-gemeente-001".into(),
            }),
            at: Some(ts(SystemTime::now())),
            covenant_version: 1,
            more_subjects: vec![],
        })),
    }
}

fn expired_bevraging(id: &str) -> Question {
    Question {
        request_id: id.into(),
        deadline: Some(ts(SystemTime::now() - Duration::from_secs(1))),
        kind: Some(question::Kind::Bevraging(Bevraging {
            subject: Some(SubjectPseudonym { hex: KNOWN.into() }),
            more_subjects: Vec::new(),
        })),
    }
}

fn agent_config(dir: &Path, layout: &Layout, hub: SocketAddr) -> AgentConfig {
    let covenant = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant");
    let text = format!(
        r#"hub_url = "https://{hub}"
cert = "{cert}"
key = "{key}"
trust_anchors = ["{ca}"]
covenant = "{covenant}"

[source]
kind = "json-dir"
path = "export"

[link]
initial_backoff_ms = 100
max_backoff_ms = 1000
connect_timeout_seconds = 5
heartbeat_interval_seconds = 1
"#,
        cert = layout.party_cert("politie").display(),
        key = layout.party_key("politie").display(),
        ca = layout.ca_cert().display(),
        covenant = covenant.display(),
    );
    AgentConfig::parse(&text, dir).expect("config")
}

/// Runs the agent (Ack window `window`) against the stand-in hub that sends a share
/// request twice and an expired bevraging, until their three answers arrived; returns
/// every message of the agent but heartbeats, in order.
async fn answers_to_three_questions(window: Duration) -> Vec<agent_message::Body> {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = treiter_certs_dev::generate(
        &dir.path().join("pki"),
        &Options {
            test_certs: false,
            now: time::OffsetDateTime::now_utc(),
            force: false,
        },
    )
    .expect("pki");
    let folder = dir.path().join("export/politie-incidenten");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join(format!("{KNOWN}.json")),
        r#"[{"reference": "BVH-1", "recorded_at": "2026-11-01T09:00:00Z",
             "fields": {"datum": "2026-10-30", "incidentsoort": "bedreiging", "samenvatting": "SECRET"}}]"#,
    )
    .expect("write");

    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let hub = StandInHub {
        questions: Mutex::new(vec![
            share_request("q-1"),
            share_request("q-1"),
            expired_bevraging("q-2"),
        ]),
        seen: seen_tx,
    };
    let addr = start_hub(&layout, hub).await;
    let agent = Agent::new(agent_config(dir.path(), &layout, addr))
        .expect("agent")
        .with_ack_window(window);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        agent
            .run(async {
                let _ = stop_rx.await;
            })
            .await;
    });

    // Collect until three answers arrived (heartbeats ignored).
    let mut messages = Vec::new();
    let collected = tokio::time::timeout(Duration::from_secs(15), async {
        let mut answers = 0;
        while answers < 3 {
            let Some(m) = seen.recv().await else { break };
            match &m.body {
                Some(agent_message::Body::Heartbeat(_)) => continue,
                Some(agent_message::Body::Answer(_)) => answers += 1,
                _ => {}
            }
            messages.push(m);
        }
    })
    .await;
    let _ = stop_tx.send(());
    let _ = running.await;
    assert!(collected.is_ok(), "timed out; got {messages:?}");
    messages.into_iter().filter_map(|m| m.body).collect()
}

/// Whether the agent acknowledged question `id` on its own, and if so before its
/// (first) answer.
fn acked_before_answer(bodies: &[agent_message::Body], id: &str) -> Option<bool> {
    let ack = bodies
        .iter()
        .position(|b| matches!(b, agent_message::Body::Ack(a) if a.request_id == id))?;
    let answer = bodies
        .iter()
        .position(|b| matches!(b, agent_message::Body::Answer(a) if a.request_id == id));
    Some(answer.is_some_and(|answer| ack < answer))
}

/// An answer that takes longer than the Ack window (here: any, with a window of zero)
/// is preceded by an Ack of its question, so the hub knows the question arrived.
#[tokio::test]
async fn a_question_not_answered_within_the_ack_window_is_acknowledged_first() {
    let bodies = answers_to_three_questions(Duration::ZERO).await;
    for id in ["q-1", "q-2"] {
        assert_eq!(
            acked_before_answer(&bodies, id),
            Some(true),
            "{id}: {bodies:?}"
        );
    }
}

/// An answer sent within the Ack window stands for the Ack: no message of its own.
#[tokio::test]
async fn questions_are_answered_and_redelivery_is_idempotent() {
    let bodies = answers_to_three_questions(Duration::from_secs(60)).await;
    let Some(agent_message::Body::Hello(hello)) = bodies.first() else {
        panic!("the first message is not Hello: {bodies:?}");
    };
    assert_eq!(hello.covenant_version, 1);
    assert_eq!(hello.categories, ["politie-incidenten"]);

    // Answered within the window: the answers stand for the Acks.
    for id in ["q-1", "q-2"] {
        assert_eq!(acked_before_answer(&bodies, id), None, "{id}: {bodies:?}");
    }

    let answers: Vec<_> = bodies
        .iter()
        .filter_map(|b| match b {
            agent_message::Body::Answer(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    let q1: Vec<_> = answers.iter().filter(|a| a.request_id == "q-1").collect();
    assert_eq!(q1.len(), 2);
    assert_eq!(
        q1.first(),
        q1.last(),
        "a re-delivered question gets the same answer"
    );
    let Some(answer::Kind::Shares(shares)) = q1.first().and_then(|a| a.kind.as_ref()) else {
        panic!("q-1 was not answered with shares: {q1:?}");
    };
    let names: Vec<&str> = shares
        .records
        .iter()
        .flat_map(|r| r.fields.iter().map(|f| f.name.as_str()))
        .collect();
    assert_eq!(names, ["datum", "incidentsoort"]);
    let q2 = answers.iter().find(|a| a.request_id == "q-2").expect("q-2");
    match &q2.kind {
        Some(answer::Kind::Unanswerable(u)) => assert_eq!(u.reason, "expired"),
        other => panic!("q-2: {other:?}"),
    }
}
