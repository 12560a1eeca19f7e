//! The agent's link to the hub: dial out, say Hello, keep heartbeats, answer questions,
//! and when the link drops, reconnect with exponential backoff and full jitter.
//!
//! The link is the agent's only connection: partners' firewalls allow outbound traffic
//! only, so everything the hub wants from the partner comes down this one stream.
//!
//! No acknowledged question loses its answer: every answer waits in the agent's
//! pending queue until the hub acknowledges it, and is sent again at the start of the
//! next link when the link broke first (the hub answers a repeated answer with an Ack
//! and ignores it). When the certificate files are renewed ([`crate::rotation`]), the
//! link finishes sending what it is answering, waits for the hub's acks (bounded by
//! [`DRAIN_LIMIT`]), closes, and reconnects at once with the new certificate.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status, Streaming};
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::{
    Ack, AgentMessage, Answer, Heartbeat, Hello, HubMessage, Question, Welcome, agent_message,
    hub_message,
};

use crate::answer::Answerer;
use crate::backoff::Backoff;
use crate::config::AgentConfig;
use crate::error::SetupError;
use crate::gate::OwnParty;
use crate::metrics::Metrics;
use crate::receipts::Event;
use crate::rotation::{CertWatch, Renewal};
use crate::tls::{self, AlertSlot, TlsSetupError};
use treiter_proto::client::HubEndpoint;

/// The agent's software version, sent in Hello.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Heartbeat intervals of silence from the hub after which the agent drops the link.
const SILENT_INTERVALS: u32 = 3;

/// Questions answered at the same time. Each holds a blocking thread while it reads
/// the source; more would only contend for the same disk.
const MAX_CONCURRENT_ANSWERS: usize = 8;

/// The longest a link waits, after a certificate renewal, for its answers in progress
/// to be sent and acknowledged before it reconnects with the new certificate. What is
/// not acknowledged by then is sent again on the new link.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// How long an answer may take before the agent acknowledges its question on its own.
/// An answer sent within it stands for the Ack (the usual case: one message fewer per
/// question for both ends, and one wake-up fewer for the hub); a slower one (a busy
/// source, all answering slots taken) is preceded by an Ack, so the hub knows the
/// question arrived even if the answer takes a while or the link drops before it.
pub const ACK_WINDOW: Duration = Duration::from_millis(50);

/// Answers kept for the hub's Ack at most; beyond it the oldest is dropped (with a
/// warning): a hub that never acknowledges must not make the agent hold personal data
/// without bound. The hub's outbox delivers an unanswered question again anyway.
pub const MAX_PENDING_ANSWERS: usize = 4096;

/// Why the hub refused the agent's certificate during TLS, as the alert tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateRefusal {
    /// TLS 1.3 sends the same alert for both; the hub's log says which.
    ExpiredOrNotYetValid,
    /// The certificate was not issued by a CA the hub trusts.
    UnknownCa,
    /// The certificate is on its CA's revocation list.
    Revoked,
    /// The agent sent no certificate.
    Required,
    /// The certificate is not made for TLS client authentication (extendedKeyUsage
    /// clientAuth, keyUsage digitalSignature).
    NotForClientAuth,
    /// The hub refused the certificate for another reason it does not tell the client
    /// (e.g. an RSA key under 2048 bits); the hub's log says which.
    Unacceptable,
    /// Any other alert.
    Other(String),
}

impl std::fmt::Display for CertificateRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateRefusal::ExpiredOrNotYetValid => f.write_str(
                "the certificate is expired or not yet valid; check its dates and the clocks, and renew it",
            ),
            CertificateRefusal::UnknownCa => f.write_str(
                "the certificate was not issued by a CA the hub trusts; use the PKIoverheid organisation certificate registered for the covenant",
            ),
            CertificateRefusal::Revoked => f.write_str(
                "the certificate is revoked; request a new organisation certificate",
            ),
            CertificateRefusal::Required => f.write_str(
                "no certificate was sent; set `cert` and `key` in the agent configuration",
            ),
            CertificateRefusal::NotForClientAuth => f.write_str(
                "the certificate is not made for TLS client authentication: it needs extendedKeyUsage clientAuth and keyUsage digitalSignature; request an organisation certificate with that profile",
            ),
            CertificateRefusal::Unacceptable => f.write_str(
                "the hub refused the certificate (for example an RSA key under 2048 bits); the hub's operator sees the reason in its log",
            ),
            CertificateRefusal::Other(alert) => write!(f, "TLS alert {alert}"),
        }
    }
}

impl CertificateRefusal {
    /// The refusal a TLS alert from the hub stands for.
    pub fn from_alert(alert: rustls::AlertDescription) -> Self {
        use rustls::AlertDescription as A;
        match alert {
            A::CertificateExpired => CertificateRefusal::ExpiredOrNotYetValid,
            A::UnknownCA => CertificateRefusal::UnknownCa,
            A::CertificateRevoked => CertificateRefusal::Revoked,
            A::CertificateRequired => CertificateRefusal::Required,
            A::UnsupportedCertificate => CertificateRefusal::NotForClientAuth,
            A::CertificateUnknown => CertificateRefusal::Unacceptable,
            other => CertificateRefusal::Other(format!("{other:?}")),
        }
    }
}

/// Why a link could not be opened or ended.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The agent's own TLS settings are unusable; retrying will not help.
    #[error(transparent)]
    Setup(#[from] TlsSetupError),
    /// No TCP/TLS connection to the hub (network, firewall, hub down).
    #[error("cannot reach the hub at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The hub's certificate is not trusted by this agent's `trust_anchors` (or not
    /// issued for the name in `hub_url`); retrying will not help.
    #[error("the hub at {url} is not trusted: {detail}")]
    HubCertificate { url: String, detail: String },
    /// The hub refused the agent's certificate in the TLS handshake.
    #[error("the hub refused this agent's certificate: {0}")]
    CertificateRefused(CertificateRefusal),
    /// The hub accepted TLS but refused the agent (its OIN, or the kind of certificate).
    #[error("the hub refused this agent: {message}")]
    Refused { code: Code, message: String },
    /// The hub ended the link (shutting down, superseded, silence).
    #[error("the hub closed the link: {}", closed_text(*code, message))]
    Closed { code: Code, message: String },
    /// The connection broke.
    #[error("the link to the hub broke: {detail}")]
    Lost { detail: String },
    /// The certificate files were renewed: the agent closed the link to reconnect
    /// with the new certificate.
    #[error("the certificate was renewed; reconnecting with the new one")]
    Renewed,
    /// The hub did not speak the protocol as expected.
    #[error("protocol error on the link: {0}")]
    Protocol(String),
}

impl LinkError {
    /// True when the hub closed this link because another link of the same party
    /// replaced it: normal once after a quick restart, a misconfiguration if repeated.
    pub fn superseded(&self) -> bool {
        matches!(
            self,
            LinkError::Closed {
                code: Code::Aborted,
                ..
            }
        )
    }

    /// True when retrying cannot succeed without someone changing a certificate or
    /// the hub's registry: logged at error level, still retried at the backoff's pace.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            LinkError::Setup(_)
                | LinkError::HubCertificate { .. }
                | LinkError::CertificateRefused(_)
                | LinkError::Refused { .. }
        )
    }
}

/// What the agent's link is doing now; watched by health checks and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// Opening a link (attempt number since the last success).
    Connecting { attempt: u32 },
    /// Linked: the hub's Welcome.
    Connected {
        link_id: String,
        party_oin: String,
        party_name: String,
        since: SystemTime,
    },
    /// Waiting before the next attempt, after this error.
    Waiting { delay: Duration, error: String },
    /// Shut down.
    Stopped,
}

/// A node agent: its configuration, TLS settings, answerer and link status.
pub struct Agent {
    config: AgentConfig,
    /// The TLS configuration in use; replaced when the certificate is renewed.
    tls: RwLock<Arc<rustls::ClientConfig>>,
    instance_id: String,
    status: watch::Sender<LinkStatus>,
    answerer: Arc<Answerer>,
    /// Bounds the questions answered at once (see [`MAX_CONCURRENT_ANSWERS`]).
    answering: Arc<Semaphore>,
    /// Questions being answered now (received, answer not yet handed to a link).
    in_flight: Arc<AtomicUsize>,
    /// Answers sent or to be sent, not yet acknowledged by the hub, oldest first.
    pending: Arc<PendingAnswers>,
    /// The witness of the hub's log checkpoints (`[witness]`), if configured.
    witness: Option<Arc<crate::witness::Witness>>,
    /// Which of the configured hub addresses (`hubs`) the next link dials: it stays on
    /// one that works and moves on when a link cannot be opened or drops.
    hub_index: AtomicUsize,
    /// How long an answer may take before its question is acknowledged on its own
    /// ([`ACK_WINDOW`] unless set).
    ack_window: Duration,
}

/// Answers waiting for the hub's Ack. A std mutex: held only to push, remove or copy.
#[derive(Debug, Default)]
pub struct PendingAnswers {
    answers: Mutex<VecDeque<Answer>>,
}

impl PendingAnswers {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Answer>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `answer` until it is acknowledged (once per request id).
    fn push(&self, answer: Answer, metrics: &Metrics) {
        let mut answers = self.lock();
        if answers.iter().any(|a| a.request_id == answer.request_id) {
            return;
        }
        if answers.len() >= MAX_PENDING_ANSWERS
            && let Some(dropped) = answers.pop_front()
        {
            tracing::warn!(request = %dropped.request_id, "too many unacknowledged answers; the oldest is no longer sent again");
        }
        answers.push_back(answer);
        metrics.queue_depth.set(answers.len() as i64);
    }

    /// Forgets the answer to `request_id`; whether it was pending.
    fn acknowledge(&self, request_id: &str, metrics: &Metrics) -> bool {
        let mut answers = self.lock();
        // Each request id is kept once (`push`), and the hub acknowledges answers
        // about in the order they were sent: the search usually ends at the front.
        let Some(at) = answers.iter().position(|a| a.request_id == request_id) else {
            return false;
        };
        answers.remove(at);
        metrics.queue_depth.set(answers.len() as i64);
        true
    }

    /// Copies of the pending answers, oldest first.
    fn snapshot(&self) -> Vec<Answer> {
        self.lock().iter().cloned().collect()
    }

    /// How many answers wait for an Ack.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// An open link: what the hub said, and both directions of the stream.
struct OpenLink {
    welcome: Welcome,
    /// The agent's party as the Welcome names it: the source of every share.
    own: OwnParty,
    outbound: mpsc::Sender<AgentMessage>,
    inbound: Streaming<HubMessage>,
}

fn message(body: agent_message::Body) -> AgentMessage {
    AgentMessage { body: Some(body) }
}

impl Agent {
    /// Prepares an agent; fails when its certificate, key or trust anchors, its
    /// covenant or its data source are unusable.
    pub fn new(config: AgentConfig) -> Result<Agent, SetupError> {
        let answerer = Answerer::from_config(&config)?;
        Self::with_answerer(config, answerer)
    }

    /// Prepares an agent that answers with `answerer` (tests supply their own).
    pub fn with_answerer(config: AgentConfig, answerer: Answerer) -> Result<Agent, SetupError> {
        let tls = Arc::new(tls::client_config(&config)?);
        let witness = crate::witness::open(&config)?.map(Arc::new);
        let (status, _) = watch::channel(LinkStatus::Connecting { attempt: 0 });
        let instance_id = format!("{:016x}", rand::random::<u64>());
        if let Ok(own) = tls::own_certificate(&config.cert) {
            answerer
                .metrics()
                .certificate_expiry_seconds
                .set(own.seconds_left);
        }
        Ok(Agent {
            config,
            tls: RwLock::new(tls),
            instance_id,
            status,
            answerer: Arc::new(answerer),
            answering: Arc::new(Semaphore::new(MAX_CONCURRENT_ANSWERS)),
            in_flight: Arc::new(AtomicUsize::new(0)),
            pending: Arc::new(PendingAnswers::default()),
            witness,
            hub_index: AtomicUsize::new(0),
            ack_window: ACK_WINDOW,
        })
    }

    /// Acknowledges a question on its own only when its answer is not sent within
    /// `window` ([`ACK_WINDOW`] by default; zero acknowledges every question first).
    pub fn with_ack_window(self, window: Duration) -> Agent {
        Agent {
            ack_window: window,
            ..self
        }
    }

    /// The agent's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        self.answerer.metrics()
    }

    /// The answers waiting for the hub's Ack.
    pub fn pending(&self) -> &PendingAnswers {
        &self.pending
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    fn current_tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a renewed certificate in use for the next connection.
    fn install(&self, renewal: Renewal) {
        tracing::info!(
            oin = %renewal.certificate.oin,
            not_after = %renewal.certificate.not_after,
            "renewed certificate loaded; the next connection uses it"
        );
        let metrics = self.metrics();
        metrics.certificate_reloads.inc();
        metrics
            .certificate_expiry_seconds
            .set(renewal.certificate.seconds_left);
        *self.tls.write().unwrap_or_else(|e| e.into_inner()) = renewal.tls;
    }

    /// Waits until the certificate files hold a renewed pair that loads, and puts it
    /// in use; never completes without a watch.
    async fn next_renewal(&self, watch: &mut Option<CertWatch>) {
        let Some(watch) = watch else {
            return std::future::pending().await;
        };
        loop {
            if let Some(renewal) = watch.next_check().await {
                self.install(renewal);
                return;
            }
            if let Ok(own) = tls::own_certificate(&self.config.cert) {
                self.metrics()
                    .certificate_expiry_seconds
                    .set(own.seconds_left);
            }
        }
    }

    /// Rebuilds the sources' pseudonym indexes every `index.refresh_seconds`, on a
    /// blocking thread; never completes.
    async fn refresh_indexes(&self) {
        let every = self.config.index_refresh;
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let answerer = self.answerer.clone();
            match tokio::task::spawn_blocking(move || answerer.refresh_sources()).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, "rebuilding a pseudonym index failed; the previous index stays in use")
                }
                Err(error) => tracing::error!(%error, "the index rebuild did not finish"),
            }
        }
    }

    /// What answers the hub's questions.
    pub fn answerer(&self) -> &Answerer {
        &self.answerer
    }

    /// Watches the link status.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.subscribe()
    }

    /// Keeps a link to the hub open until `shutdown` completes, reconnecting with
    /// backoff whenever it drops or cannot be opened. `shutdown` must wake its task
    /// when it becomes ready, as every future of Tokio and the standard library does:
    /// it is polled only after it has woken it ([`crate::polled_when_woken`]).
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        // The link's loop wakes for every message; the stop signal need not be asked
        // each time.
        let shutdown = crate::polled_when_woken::PolledWhenWoken::new(shutdown);
        tokio::pin!(shutdown);
        let refresh = self.refresh_indexes();
        tokio::pin!(refresh);
        let links = self.run_links(&mut shutdown);
        tokio::select! {
            () = links => {}
            () = &mut refresh => {}
        }
        self.metrics().connected.set(0);
        // Receipts written unsynced are synced before the agent stops, not left to a
        // task the runtime may drop.
        if let Some(log) = self.answerer.receipts().cloned() {
            crate::receipts::sync_written_blocking(log).await;
        }
        self.status.send_replace(LinkStatus::Stopped);
        tracing::info!("agent stopped");
    }

    async fn run_links(&self, shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) {
        let mut backoff = Backoff::new(
            self.config.link.initial_backoff,
            self.config.link.max_backoff,
            StdRng::from_os_rng(),
        );
        let mut watch = self
            .config
            .link
            .certificate_check
            .map(|every| CertWatch::new(&self.config, every));
        let mut attempt = 0u32;
        // Hub addresses that failed since the last link or backoff: with several, the
        // next one is tried at once, and the agent backs off only after trying them all.
        let mut failed_addresses = 0usize;
        loop {
            attempt = attempt.saturating_add(1);
            self.status.send_replace(LinkStatus::Connecting { attempt });
            let error = tokio::select! {
                () = shutdown.as_mut() => break,
                opened = self.open_link() => match opened {
                    Ok(link) => {
                        backoff.reset();
                        attempt = 0;
                        failed_addresses = 0;
                        let ended = self.serve_link(link, shutdown, &mut watch).await;
                        self.metrics().connected.set(0);
                        match ended {
                            None => break,
                            Some(error) => error,
                        }
                    }
                    Err(error) => error,
                },
            };
            if matches!(error, LinkError::Renewed) {
                // Straight back, with the new certificate.
                tracing::info!("reconnecting with the renewed certificate");
                continue;
            }
            failed_addresses += 1;
            if self.next_hub() && failed_addresses < self.config.hubs.len() {
                tracing::warn!(%error, "link to this hub address failed");
                continue;
            }
            failed_addresses = 0;
            let delay = backoff.next_delay();
            if error.superseded() {
                tracing::error!(
                    %error,
                    retry_in_ms = delay.as_millis() as u64,
                    "another agent with this party's certificate took over the link; run one agent per party"
                );
            } else if error.needs_attention() {
                // Name the files the operator has to look at (setting `cert`).
                tracing::error!(
                    %error,
                    cert = %self.config.cert.display(),
                    retry_in_ms = delay.as_millis() as u64,
                    "link refused"
                );
            } else {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "link down");
            }
            self.status.send_replace(LinkStatus::Waiting {
                delay,
                error: error.to_string(),
            });
            tokio::select! {
                () = shutdown.as_mut() => break,
                () = tokio::time::sleep(delay) => {}
                // A renewed certificate may be what the hub was waiting for (an
                // expired one is refused): try it at once.
                () = self.next_renewal(&mut watch) => backoff.reset(),
            }
        }
    }

    /// The hub address the next link dials.
    pub fn current_hub(&self) -> &HubEndpoint {
        let hubs = &self.config.hubs;
        &hubs[self.hub_index.load(Ordering::Relaxed) % hubs.len().max(1)]
    }

    /// Moves on to the next configured hub address; returns whether there is more than
    /// one to move to.
    fn next_hub(&self) -> bool {
        let count = self.config.hubs.len();
        if count > 1 {
            let next = (self.hub_index.load(Ordering::Relaxed) + 1) % count;
            self.hub_index.store(next, Ordering::Relaxed);
            tracing::info!(hub = %self.config.hubs[next].url, "trying the next hub address");
        }
        count > 1
    }

    /// Opens one link: TCP, TLS, the Link stream, Hello, and the hub's Welcome.
    pub async fn connect_once(&self) -> Result<Welcome, LinkError> {
        self.open_link().await.map(|link| link.welcome)
    }

    async fn open_link(&self) -> Result<OpenLink, LinkError> {
        let hub = self.current_hub();
        let timeout = self.config.link.connect_timeout;
        let (channel, slot) = tls::channel(hub, self.current_tls(), timeout)
            .await
            .map_err(|e| channel_error(hub, e))?;
        // What the hub may send on the link, and what the agent sends it, is bounded
        // by the size both ends agree on; a larger message from the hub ends the link
        // with OUT_OF_RANGE naming the limit, instead of the agent buffering it.
        let mut client = AgentLinkClient::new(channel)
            .max_decoding_message_size(treiter_proto::limits::MAX_LINK_MESSAGE)
            .max_encoding_message_size(treiter_proto::limits::MAX_LINK_MESSAGE);
        let (outbound, rx) = mpsc::channel(64);
        let hello = Hello {
            agent_version: AGENT_VERSION.to_owned(),
            covenant_version: self.answerer.covenant_version(),
            instance_id: self.instance_id.clone(),
            categories: self
                .answerer
                .categories()
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            witnessed_tree_size: self.witness.as_ref().map_or(0, |w| w.held_size()),
            witness_key: self
                .witness
                .as_ref()
                .map(|w| w.verifier_text())
                .unwrap_or_default(),
            bevraging_of_many_subjects: true,
            share_request_of_many_subjects: true,
        };
        // The receiver is alive (held by `rx` until the call takes it): cannot fail.
        let _ = outbound
            .send(message(agent_message::Body::Hello(hello)))
            .await;
        let response = tokio::time::timeout(timeout, client.link(ReceiverStream::new(rx)))
            .await
            .map_err(|_| LinkError::Unreachable {
                url: hub.url.clone(),
                detail: format!("no answer to Hello within {} s", timeout.as_secs()),
            })?
            .map_err(|status| classify(status, &slot))?;
        let mut inbound = response.into_inner();
        let first = tokio::time::timeout(timeout, inbound.message())
            .await
            .map_err(|_| LinkError::Protocol("no Welcome after Hello".into()))?
            .map_err(|status| classify(status, &slot))?;
        match first.and_then(|m| m.body) {
            Some(hub_message::Body::Welcome(welcome)) => {
                let party = welcome.party.clone().unwrap_or_default();
                // The pre-check decides as this party (article 2.3 checks it against
                // the covenant); without it no share could be checked.
                let own = OwnParty::from_proto(&party).map_err(|e| {
                    LinkError::Protocol(format!("the hub's Welcome names no usable party: {e}"))
                })?;
                if welcome.covenant_version != self.answerer.covenant_version() {
                    tracing::warn!(
                        hub = welcome.covenant_version,
                        agent = self.answerer.covenant_version(),
                        "the hub decides with another covenant version than this agent's pre-check; install the covenant in force"
                    );
                }
                tracing::info!(
                    hub = %hub.url,
                    link = %welcome.link_id,
                    oin = %party.oin,
                    party = %party.name,
                    hub_version = %welcome.hub_version,
                    covenant_version = welcome.covenant_version,
                    "linked to the hub"
                );
                let metrics = self.metrics();
                metrics.connected.set(1);
                metrics.links_opened.inc();
                metrics.last_heartbeat_seconds.set(unix_now());
                self.status.send_replace(LinkStatus::Connected {
                    link_id: welcome.link_id.clone(),
                    party_oin: party.oin,
                    party_name: party.name,
                    since: SystemTime::now(),
                });
                Ok(OpenLink {
                    welcome,
                    own,
                    outbound,
                    inbound,
                })
            }
            Some(_) => Err(LinkError::Protocol(
                "the hub's first message was not Welcome".into(),
            )),
            None => Err(LinkError::Protocol(
                "the hub closed the link before Welcome".into(),
            )),
        }
    }

    /// Serves an open link until it ends (`Some(why)`) or `shutdown` completes (`None`).
    async fn serve_link(
        &self,
        link: OpenLink,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        watch: &mut Option<CertWatch>,
    ) -> Option<LinkError> {
        let OpenLink {
            welcome,
            own,
            outbound,
            mut inbound,
        } = link;
        let interval = match welcome.heartbeat_interval_seconds {
            0 => self.config.link.heartbeat_interval,
            s => Duration::from_secs(s.into()),
        };
        // Answers the previous link could not deliver (or the hub did not acknowledge)
        // go first.
        let unacknowledged = self.pending.snapshot();
        if !unacknowledged.is_empty() {
            tracing::info!(
                count = unacknowledged.len(),
                "sending the answers the hub has not acknowledged again"
            );
        }
        for answer in unacknowledged {
            if outbound
                .send(message(agent_message::Body::Answer(answer)))
                .await
                .is_err()
            {
                return Some(LinkError::Lost {
                    detail: "outbound stream closed".into(),
                });
            }
        }
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        let mut last_heard = Instant::now();
        let mut sequence = 0u64;
        // Set after a certificate renewal: when the link must be closed at the latest.
        let mut draining: Option<tokio::time::Instant> = None;
        let mut drain_check = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                () = shutdown.as_mut() => return None,
                received = inbound.message() => match received {
                    Ok(Some(msg)) => {
                        last_heard = Instant::now();
                        self.metrics().last_heartbeat_seconds.set(unix_now());
                        let msg = match msg.body {
                            Some(hub_message::Body::Checkpoint(checkpoint)) => {
                                // In order, before the next message: article 10.2.
                                self.witness_checkpoint(checkpoint, &outbound).await;
                                continue;
                            }
                            body => HubMessage { body },
                        };
                        let Some(msg) = crate::inbox::link::intercept(self.answerer.inbox(), msg, &outbound).await else { continue };
                        if let Some(question) = self.handle(msg)
                            && let Some(question) = self.answer_at_once(question, &own, &outbound)
                        {
                            // Acknowledged by its answer, or by an Ack of its own when
                            // the answer takes longer than the window (`ACK_WINDOW`).
                            self.spawn_answer(question, own, outbound.clone());
                        }
                    }
                    Ok(None) => return Some(LinkError::Closed {
                        code: Code::Ok,
                        message: "the hub ended the stream".into(),
                    }),
                    Err(status) => return Some(classify_running(status)),
                },
                _ = ticker.tick() => {
                    if last_heard.elapsed() > interval * SILENT_INTERVALS {
                        return Some(LinkError::Lost {
                            detail: format!("nothing heard from the hub for {SILENT_INTERVALS} heartbeat intervals"),
                        });
                    }
                    sequence += 1;
                    let beat = Heartbeat {
                        sequence,
                        sent_at: Some(prost_types::Timestamp::from(SystemTime::now())),
                    };
                    if outbound.send(message(agent_message::Body::Heartbeat(beat))).await.is_err() {
                        return Some(LinkError::Lost { detail: "outbound stream closed".into() });
                    }
                }
                () = self.next_renewal(watch), if draining.is_none() => {
                    tracing::info!("certificate renewed: finishing the answers in progress before reconnecting");
                    draining = Some(tokio::time::Instant::now() + DRAIN_LIMIT);
                }
                _ = drain_check.tick(), if draining.is_some() => {
                    let idle = self.in_flight.load(Ordering::SeqCst) == 0 && self.pending.is_empty();
                    if idle || draining.is_some_and(|limit| tokio::time::Instant::now() >= limit) {
                        if !idle {
                            tracing::warn!(
                                unacknowledged = self.pending.len(),
                                "answers still unacknowledged after the drain limit; they are sent again on the new link"
                            );
                        }
                        return Some(LinkError::Renewed);
                    }
                }
            }
        }
    }

    /// Handles a message from the hub; returns the question to answer, if it is one.
    fn handle(&self, msg: HubMessage) -> Option<Question> {
        match msg.body? {
            hub_message::Body::Heartbeat(_) => None,
            // Taken by `inbox::link::intercept` before `handle`.
            hub_message::Body::Delivery(_) | hub_message::Body::RetentionNotice(_) => None,
            hub_message::Body::Question(question) => Some(question),
            hub_message::Body::Welcome(_) => {
                tracing::warn!("the hub sent a second Welcome; ignored");
                None
            }
            hub_message::Body::Ack(ack) => {
                tracing::debug!(request = %ack.request_id, "hub acknowledged an answer");
                if self.pending.acknowledge(&ack.request_id, self.metrics()) {
                    self.receipt(Event::AnswerAcknowledged {
                        request: ack.request_id,
                    });
                }
                None
            }
            hub_message::Body::CovenantUpdate(update) => {
                // Applied here, before the next message is read, so the questions that
                // follow it are pre-checked with it (article 13.2).
                self.covenant_update(&update);
                None
            }
            // Witnessed in `serve_link` (it answers with a Cosignature or a CheckpointRefusal).
            hub_message::Body::Checkpoint(_) => None,
        }
    }

    /// Witnesses a checkpoint ([`crate::witness`]) and sends the cosignature, or the
    /// refusal that tells the hub why not.
    async fn witness_checkpoint(
        &self,
        checkpoint: treiter_proto::v1::Checkpoint,
        outbound: &mpsc::Sender<AgentMessage>,
    ) {
        let witness = self.witness.clone();
        let metrics = self.metrics().clone();
        let receipts = self.answerer.receipts().cloned();
        let done = tokio::task::spawn_blocking(move || {
            crate::witness::handle(
                witness.as_deref(),
                &metrics,
                receipts.as_deref(),
                &checkpoint,
            )
        })
        .await;
        match done {
            Ok(Some(reply)) => {
                if outbound.send(message(reply)).await.is_err() {
                    // The hub sends its newest checkpoint again on the next link, so the
                    // cosignature or refusal is given again then.
                    tracing::warn!("the link closed before the reply to the checkpoint was sent");
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "witnessing the hub's checkpoint failed");
            }
        }
    }

    /// Switches the pre-check to the covenant version the hub has in force.
    fn covenant_update(&self, update: &treiter_proto::v1::CovenantUpdate) {
        let state = self.config.covenant_state.as_deref();
        match crate::covenant_update::apply(self.answerer.gate(), state, update) {
            Ok(crate::covenant_update::Applied::Switched { from, to }) => {
                self.metrics().covenant_version.set(i64::from(to));
                tracing::info!(
                    from,
                    to,
                    "switched to the covenant version in force at the hub (article 13.2)"
                );
            }
            Ok(crate::covenant_update::Applied::Unchanged) => {
                tracing::debug!(
                    version = update.version,
                    "covenant version in force unchanged"
                );
            }
            Err(error) => {
                tracing::error!(%error, "covenant update from the hub refused; share requests of another version are answered covenant-version-mismatch");
            }
        }
    }

    /// Writes a receipt nobody waits for: at once, synced soon
    /// ([`crate::receipts::write_soon`]).
    fn receipt(&self, event: Event) {
        if let Some(log) = self.answerer.receipts() {
            crate::receipts::write_soon(log, time::OffsetDateTime::now_utc(), event);
        }
    }

    /// Answers `question` here, on the link's own task, when nothing needs waiting for:
    /// a bevraging of an in-memory index ([`Answerer::answer_from_memory`]), the
    /// question most partners get most. Its answer stands for the Ack, and it needs no
    /// task, timer, answering slot or thread of its own (with 50 partners, each of them
    /// woken for each case file, those were a tenth of a partner's work per
    /// bevraging). Returns the question when it must be answered by a task
    /// ([`Agent::spawn_answer`]): another kind, a source that must be read, or an agent
    /// that acknowledges every question first (a zero Ack window).
    fn answer_at_once(
        &self,
        question: Question,
        own: &OwnParty,
        outbound: &mpsc::Sender<AgentMessage>,
    ) -> Option<Question> {
        if self.ack_window.is_zero() {
            return Some(question);
        }
        let Some(answer) = self
            .answerer
            .answer_from_memory(&question, own, SystemTime::now())
        else {
            return Some(question);
        };
        // Kept until the hub acknowledges it, so a broken link loses nothing.
        self.pending.push(answer.clone(), self.metrics());
        match outbound.try_send(message(agent_message::Body::Answer(answer))) {
            Ok(()) => {}
            // The hub reads more slowly than it asks: the answer waits for room on a
            // task, and the link goes on reading (its Acks among what it reads). A
            // later answer may then leave first; the hub takes answers in any order.
            Err(mpsc::error::TrySendError::Full(answer)) => {
                let outbound = outbound.clone();
                let id = question.request_id;
                tokio::spawn(async move {
                    if outbound.send(answer).await.is_err() {
                        tracing::warn!(request = %id, "the link closed before the answer was sent; it is kept for re-delivery");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!(request = %question.request_id, "the link closed before the answer was sent; it is kept for re-delivery");
            }
        }
        None
    }

    /// Answers a question on a blocking thread (the source reads files; a bevraging of
    /// an in-memory index is answered on the event loop, [`Answerer::answer_from_memory`]) and
    /// sends the answer down `outbound`, preceded by an Ack of the question when the
    /// answer is not ready within the Ack window ([`ACK_WINDOW`]). If the link is gone by then, the
    /// answer is dropped here but kept by the answerer, so the hub's re-delivery gets it
    /// unchanged.
    fn spawn_answer(
        &self,
        question: Question,
        own: OwnParty,
        outbound: mpsc::Sender<AgentMessage>,
    ) {
        let answerer = self.answerer.clone();
        let answering = self.answering.clone();
        let pending = self.pending.clone();
        let in_flight = self.in_flight.clone();
        in_flight.fetch_add(1, Ordering::SeqCst);
        let ack_window = self.ack_window;
        tokio::spawn(async move {
            // Counted down however this task ends.
            let _guard = InFlight(in_flight);
            let id = question.request_id.clone();
            let metrics = answerer.metrics().clone();
            let answering = async move {
                // The semaphore is never closed, so this only waits.
                let _permit = answering.acquire_owned().await.ok()?;
                // A bevraging of an in-memory index: no thread hand-off.
                if let Some(answer) =
                    answerer.answer_from_memory(&question, &own, SystemTime::now())
                {
                    return Some(Ok(answer));
                }
                Some(
                    tokio::task::spawn_blocking(move || {
                        answerer.answer(&question, &own, SystemTime::now())
                    })
                    .await,
                )
            };
            tokio::pin!(answering);
            // A closed link fails the answer's send below too, which says so.
            let ack = || async {
                let ack = agent_message::Body::Ack(Ack {
                    request_id: id.clone(),
                });
                let _ = outbound.send(message(ack)).await;
            };
            // The window runs from the question's arrival, waiting for a slot included.
            let answered = if ack_window.is_zero() {
                ack().await;
                answering.await
            } else {
                tokio::select! {
                    biased;
                    answered = &mut answering => answered,
                    () = tokio::time::sleep(ack_window) => {
                        ack().await;
                        answering.await
                    }
                }
            };
            match answered {
                None => {}
                Some(Ok(answer)) => {
                    // Kept until the hub acknowledges it, so a broken link loses nothing.
                    pending.push(answer.clone(), &metrics);
                    if outbound
                        .send(message(agent_message::Body::Answer(answer)))
                        .await
                        .is_err()
                    {
                        tracing::warn!(request = %id, "the link closed before the answer was sent; it is kept for re-delivery");
                    }
                }
                Some(Err(e)) => {
                    tracing::error!(request = %id, error = %e, "answering the question failed")
                }
            }
        });
    }
}

/// Decrements the in-flight count when an answering task ends.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Classifies the failure of the first call on a link.
/// The link error for a connection that could not be opened.
pub(crate) fn channel_error(
    hub: &crate::config::HubEndpoint,
    error: tls::ChannelError,
) -> LinkError {
    match error {
        tls::ChannelError::ServerName { host } => {
            LinkError::Setup(TlsSetupError::ServerName { host })
        }
        tls::ChannelError::Connect(detail) => LinkError::Unreachable {
            url: hub.url.clone(),
            detail,
        },
        error @ tls::ChannelError::HubCertificate { .. } => LinkError::HubCertificate {
            url: hub.url.clone(),
            detail: format!("{error} (setting `trust_anchors`)"),
        },
    }
}

/// Classifies a failed first call on a new connection: a TLS alert from the hub is
/// its refusal of the certificate; UNAUTHENTICATED or PERMISSION_DENIED its refusal
/// of the agent.
pub(crate) fn classify(status: Status, slot: &AlertSlot) -> LinkError {
    if let Some(alert) = *slot.lock().unwrap_or_else(|e| e.into_inner()) {
        return LinkError::CertificateRefused(CertificateRefusal::from_alert(alert));
    }
    match status.code() {
        Code::Unauthenticated | Code::PermissionDenied => LinkError::Refused {
            code: status.code(),
            message: status.message().to_owned(),
        },
        Code::Unavailable | Code::Unknown | Code::Cancelled => LinkError::Lost {
            detail: status_detail(&status),
        },
        code => LinkError::Closed {
            code,
            message: status.message().to_owned(),
        },
    }
}

/// Classifies the end of a running link.
fn classify_running(status: Status) -> LinkError {
    match status.code() {
        Code::Unknown | Code::Cancelled => LinkError::Lost {
            detail: status_detail(&status),
        },
        code => LinkError::Closed {
            code,
            message: status.message().to_owned(),
        },
    }
}

/// A status's message and its causes, each said once (tonic's transport errors carry
/// their source's text as their message too).
fn status_detail(status: &Status) -> String {
    use std::error::Error;
    let message = status.message();
    match status.source() {
        Some(source) => {
            let chain = error_chain(source);
            if message.is_empty() || chain.starts_with(message) {
                chain
            } else if message.contains(&chain) {
                message.to_owned()
            } else {
                format!("{message}: {chain}")
            }
        }
        None => message.to_owned(),
    }
}

/// Why the hub closed a link: its message, or what the status code means when it sent
/// none (never the code's Rust name).
fn closed_text(code: Code, message: &str) -> String {
    if !message.is_empty() {
        return message.to_owned();
    }
    match code {
        Code::Aborted => "another link of this party replaced this one".into(),
        Code::Unavailable => "the hub is unavailable (restarting or shutting down)".into(),
        Code::DeadlineExceeded => "it waited too long for this agent".into(),
        Code::ResourceExhausted => "too many connections or messages".into(),
        Code::FailedPrecondition => "the link's state did not allow the last message".into(),
        other => other.description().to_lowercase(),
    }
}

pub use treiter_proto::client::error_chain;

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &str = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    const UNKNOWN: &str = "0b1c2d3e4f5061728394a5b6c7d8e9f00b1c2d3e4f5061728394a5b6c7d8e9f0";

    /// An agent (politie, a JSON export knowing `KNOWN`) that is never started: its
    /// answering is called directly.
    fn unstarted_agent(dir: &std::path::Path) -> Agent {
        let layout = treiter_certs_dev::generate(
            &dir.join("pki"),
            &treiter_certs_dev::Options {
                test_certs: false,
                now: time::OffsetDateTime::now_utc(),
                force: false,
            },
        )
        .expect("pki");
        let folder = dir.join("export/politie-incidenten");
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::write(
            folder.join(format!("{KNOWN}.json")),
            r#"[{"reference": "BVH-1", "recorded_at": "2026-11-01T09:00:00Z",
                 "fields": {"datum": "2026-10-30", "incidentsoort": "bedreiging"}}]"#,
        )
        .expect("write");
        let covenant = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policies/treiteraanpak.covenant");
        let text = format!(
            r#"hub_url = "https://127.0.0.1:1"
cert = "{cert}"
key = "{key}"
trust_anchors = ["{ca}"]
covenant = "{covenant}"

[source]
kind = "json-dir"
path = "export"
"#,
            cert = layout.party_cert("politie").display(),
            key = layout.party_key("politie").display(),
            ca = layout.ca_cert().display(),
            covenant = covenant.display(),
        );
        let agent = Agent::new(AgentConfig::parse(&text, dir).expect("config")).expect("agent");
        // As a running agent does first (`refresh_indexes`): the export is read and
        // watched, so its bevragingen are answered from memory.
        agent.answerer().refresh_sources().expect("export read");
        agent
    }

    fn bevraging(id: &str, subject: &str) -> Question {
        Question {
            request_id: id.into(),
            deadline: Some(prost_types::Timestamp::from(
                SystemTime::now() + Duration::from_secs(60),
            )),
            kind: Some(treiter_proto::v1::question::Kind::Bevraging(
                treiter_proto::v1::Bevraging {
                    subject: Some(treiter_proto::v1::SubjectPseudonym {
                        hex: subject.into(),
                    }),
                    more_subjects: Vec::new(),
                },
            )),
        }
    }

    fn own() -> OwnParty {
        OwnParty {
            oin: treiter_policies::Oin::parse("00000002000000000002").expect("oin"),
            kind: treiter_policies::PartyKind::Politie,
        }
    }

    fn hit(message: Option<AgentMessage>, id: &str) -> bool {
        match message.and_then(|m| m.body) {
            Some(agent_message::Body::Answer(Answer {
                request_id,
                kind: Some(treiter_proto::v1::answer::Kind::Bevraging(b)),
            })) if request_id == id => b.hit,
            other => panic!("expected the bevraging answer of {id}, got {other:?}"),
        }
    }

    /// A bevraging of an in-memory index is answered on the link's task, its answer
    /// kept until the hub's Ack however its sending goes: at once, after the hub has
    /// read what was queued before it, or not at all (the link closed). Other questions,
    /// and every question of an agent that acknowledges first, go to a task.
    #[tokio::test]
    async fn a_bevraging_from_memory_is_answered_at_once_and_kept_until_acknowledged() {
        let dir = tempfile::tempdir().expect("tmp");
        let agent = unstarted_agent(dir.path());
        let own = own();
        // Each subject's file is looked at once (on a blocking thread, as the first
        // bevraging about a subject is); from then on it is answered from memory.
        for subject in [KNOWN, UNKNOWN] {
            let first = bevraging(&format!("first-{subject}"), subject);
            assert!(
                agent
                    .answerer()
                    .answer_from_memory(&first, &own, SystemTime::now())
                    .is_none()
            );
            agent.answerer().answer(&first, &own, SystemTime::now());
        }

        let (tx, mut rx) = mpsc::channel(1);
        assert!(
            agent
                .answer_at_once(bevraging("q-1", KNOWN), &own, &tx)
                .is_none()
        );
        assert!(hit(rx.try_recv().ok(), "q-1"), "answered, and sent at once");
        assert_eq!(agent.pending().len(), 1, "kept until the hub's Ack");

        // The outbound queue is full: the answer waits on a task for room.
        tx.try_send(message(
            agent_message::Body::Heartbeat(Heartbeat::default()),
        ))
        .expect("room for one");
        assert!(
            agent
                .answer_at_once(bevraging("q-2", UNKNOWN), &own, &tx)
                .is_none()
        );
        assert!(matches!(
            rx.recv().await.and_then(|m| m.body),
            Some(agent_message::Body::Heartbeat(_))
        ));
        let waited = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("sent once there was room");
        assert!(!hit(waited, "q-2"));

        // The link closed: nothing is sent, the answer stays for the next link.
        drop(rx);
        assert!(
            agent
                .answer_at_once(bevraging("q-3", KNOWN), &own, &tx)
                .is_none()
        );
        let kept = |agent: &Agent| -> Vec<String> {
            let answers = agent.pending().snapshot();
            answers.into_iter().map(|a| a.request_id).collect()
        };
        assert_eq!(kept(&agent), ["q-1", "q-2", "q-3"]);
        // The hub's Ack forgets one, once.
        assert!(agent.pending().acknowledge("q-2", agent.metrics()));
        assert!(!agent.pending().acknowledge("q-2", agent.metrics()));
        assert_eq!(kept(&agent), ["q-1", "q-3"]);

        // A share request reads the source: a task of its own answers it.
        let (tx, mut rx) = mpsc::channel(4);
        let mut share = bevraging("q-4", KNOWN);
        share.kind = Some(treiter_proto::v1::question::Kind::ShareRequest(
            treiter_proto::v1::ShareRequest::default(),
        ));
        assert!(agent.answer_at_once(share, &own, &tx).is_some());
        // An agent that acknowledges every question first answers none here.
        let agent = agent.with_ack_window(Duration::ZERO);
        assert!(
            agent
                .answer_at_once(bevraging("q-5", KNOWN), &own, &tx)
                .is_some()
        );
        assert!(rx.try_recv().is_err(), "nothing sent for either");
    }

    /// A transport error whose message is its source's text, as tonic makes them.
    #[derive(Debug)]
    struct Canceled;
    impl std::fmt::Display for Canceled {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("operation was canceled: connection closed")
        }
    }
    impl std::error::Error for Canceled {}

    #[test]
    fn a_lost_link_says_its_cause_once() {
        let status = Status::from_error(Box::new(Canceled));
        let detail = status_detail(&status);
        assert_eq!(
            detail.matches("operation was canceled").count(),
            1,
            "{detail}"
        );
        assert!(detail.contains("connection closed"), "{detail}");
    }

    #[test]
    fn refusals_and_closes_are_said_without_grpc_code_names() {
        let refused = LinkError::Refused {
            code: Code::PermissionDenied,
            message: "the OIN 00000009000000000009 is not a party of the covenant".into(),
        }
        .to_string();
        assert_eq!(
            refused,
            "the hub refused this agent: the OIN 00000009000000000009 is not a party of the covenant"
        );
        let closed = LinkError::Closed {
            code: Code::Aborted,
            message: String::new(),
        }
        .to_string();
        assert!(!closed.contains("Aborted"), "{closed}");
        assert!(closed.starts_with("the hub closed the link: "), "{closed}");
    }
}
