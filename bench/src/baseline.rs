//! The bare baseline: a minimal tonic mTLS relay of the hub's shape, with no covenant,
//! log or storage. A client asks the relay (one unary call per "case file"); the relay
//! asks every linked echo agent twice over its one long-lived stream (a bevraging,
//! then a share request, as the hub does) and answers once all have answered.
//!
//! It reuses the hub's wire (`AgentLink`): the echo agents open `Link` and answer each
//! `Question`; the client's call is `GetInclusionProof`, whose answer carries the bytes
//! the agents returned. The relay and every echo agent run as processes of their own
//! (this binary, re-executed), like the hub and its agents.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt as _};
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status, Streaming};
use treiter_proto::client::{HubEndpoint, channel, client_config};
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::agent_link_server::{AgentLink, AgentLinkServer};
use treiter_proto::v1::{
    AgentMessage, Answer, Bevraging, BevragingAnswer, ConsistencyProof, ConsistencyProofRequest,
    Field, Hello, HubMessage, InclusionProof, InclusionProofRequest, Question, Record, ShareAnswer,
    ShareRequest, SubjectPseudonym, agent_message, answer, hub_message, question,
};

type Outbox = mpsc::Sender<Result<HubMessage, Status>>;

/// The relay: the linked agents and the questions awaiting an answer.
#[derive(Default)]
struct Relay {
    agents: Mutex<Vec<Outbox>>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<Answer>>>>,
    next: AtomicU64,
}

impl Relay {
    /// Asks every linked agent one question of `kind` and waits for all answers.
    async fn round(&self, kind: question::Kind) -> Result<Vec<Answer>, Status> {
        let agents = self
            .agents
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .clone();
        let mut waiting = Vec::with_capacity(agents.len());
        for agent in &agents {
            let id = format!("q{}", self.next.fetch_add(1, Ordering::Relaxed));
            let (tx, rx) = oneshot::channel();
            self.pending
                .lock()
                .map_err(|_| Status::internal("poisoned"))?
                .insert(id.clone(), tx);
            let message = HubMessage {
                body: Some(hub_message::Body::Question(Question {
                    request_id: id,
                    deadline: None,
                    kind: Some(kind.clone()),
                })),
            };
            agent
                .send(Ok(message))
                .await
                .map_err(|_| Status::unavailable("an echo agent went away"))?;
            waiting.push(rx);
        }
        let mut answers = Vec::with_capacity(waiting.len());
        for rx in waiting {
            answers.push(
                rx.await
                    .map_err(|_| Status::unavailable("an echo agent went away"))?,
            );
        }
        Ok(answers)
    }
}

#[tonic::async_trait]
impl AgentLink for Relay {
    type LinkStream = Pin<Box<dyn Stream<Item = Result<HubMessage, Status>> + Send + 'static>>;

    async fn link(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::LinkStream>, Status> {
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(1024);
        let pending = self.pending.clone();
        let agents = self.agents.lock().map_err(|_| Status::internal("poisoned"));
        agents?.push(tx);
        tokio::spawn(async move {
            while let Some(Ok(message)) = inbound.next().await {
                if let Some(agent_message::Body::Answer(answer)) = message.body {
                    let waiter = pending
                        .lock()
                        .ok()
                        .and_then(|mut p| p.remove(&answer.request_id));
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(answer);
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_inclusion_proof(
        &self,
        _request: Request<InclusionProofRequest>,
    ) -> Result<Response<InclusionProof>, Status> {
        let subject = SubjectPseudonym {
            hex: "ab".repeat(32),
        };
        self.round(question::Kind::Bevraging(Bevraging {
            subject: Some(subject.clone()),
            more_subjects: Vec::new(),
        }))
        .await?;
        let answers = self
            .round(question::Kind::ShareRequest(ShareRequest {
                subject: Some(subject),
                ..Default::default()
            }))
            .await?;
        let mut entry = Vec::new();
        for answer in answers {
            if let Some(answer::Kind::Shares(shares)) = answer.kind {
                for record in shares.records {
                    for field in record.fields {
                        entry.extend_from_slice(field.value.as_bytes());
                    }
                }
            }
        }
        Ok(Response::new(InclusionProof {
            entry,
            ..Default::default()
        }))
    }

    async fn get_consistency_proof(
        &self,
        _request: Request<ConsistencyProofRequest>,
    ) -> Result<Response<ConsistencyProof>, Status> {
        Err(Status::unimplemented("the bare relay proves nothing"))
    }
}

/// TLS files of one end.
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// Runs the relay on `listen` until killed.
pub async fn relay(listen: std::net::SocketAddr, tls: Tls) -> anyhow::Result<()> {
    let identity = Identity::from_pem(std::fs::read(&tls.cert)?, std::fs::read(&tls.key)?);
    let ca = Certificate::from_pem(std::fs::read(&tls.ca)?);
    Server::builder()
        .tls_config(ServerTlsConfig::new().identity(identity).client_ca_root(ca))?
        .add_service(AgentLinkServer::new(Relay::default()))
        .serve(listen)
        .await
        .context("the relay stopped")
}

/// Connects to the relay (or the hub) at `url` with this identity.
pub async fn connect(url: &str, tls: &Tls) -> anyhow::Result<treiter_proto::client::HubChannel> {
    let endpoint = HubEndpoint::parse(url).map_err(anyhow::Error::msg)?;
    let config = client_config(&tls.cert, &tls.key, std::slice::from_ref(&tls.ca))?;
    let (channel, _alerts) = channel(&endpoint, Arc::new(config), Duration::from_secs(10)).await?;
    Ok(channel)
}

/// Runs one echo agent linked to the relay at `url` until the link ends: it answers a
/// bevraging with a hit and a share request with two records of three fields, about
/// the size of a demo partner's answer.
pub async fn echo(url: &str, tls: Tls) -> anyhow::Result<()> {
    let channel = connect(url, &tls).await?;
    let mut client = AgentLinkClient::new(channel);
    let (tx, rx) = mpsc::channel(1024);
    tx.send(AgentMessage {
        body: Some(agent_message::Body::Hello(Hello::default())),
    })
    .await?;
    let mut inbound = client
        .link(ReceiverStream::new(rx))
        .await
        .context("link to the relay")?
        .into_inner();
    let record = |n: usize| Record {
        category: "politie-incidenten".into(),
        subject: None,
        fields: ["datum", "soort", "samenvatting"]
            .iter()
            .map(|name| Field {
                name: (*name).into(),
                value: format!("synthetische waarde {n} van {name}"),
            })
            .collect(),
        source_reference: format!("REF-{n}"),
        recorded_at: None,
        stripped_at_source: Vec::new(),
    };
    while let Some(message) = inbound.next().await {
        let Some(hub_message::Body::Question(question)) = message?.body else {
            continue;
        };
        let kind = match question.kind {
            Some(question::Kind::Bevraging(_)) => answer::Kind::Bevraging(BevragingAnswer {
                hit: true,
                more_hits: Vec::new(),
            }),
            _ => answer::Kind::Shares(ShareAnswer {
                records: vec![record(1), record(2)],
                withheld: Vec::new(),
                more_subjects_answered: false,
            }),
        };
        tx.send(AgentMessage {
            body: Some(agent_message::Body::Answer(Answer {
                request_id: question.request_id,
                kind: Some(kind),
            })),
        })
        .await?;
    }
    Ok(())
}
