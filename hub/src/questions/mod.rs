//! Questions to partners' agents: pushing them down the agent's link, waiting for the
//! answer with a deadline, and store-and-forward for agents that are offline.
//!
//! [`Questions::ask`] sends one question to one party and waits until the answer
//! arrives, the deadline passes, or the link is lost. A question for a party whose agent
//! is offline (or whose link is lost while the hub waits) can be queued: it is written
//! durably to the outbox ([`outbox`]) before `ask` returns, delivered when the party's
//! agent links again (after its Welcome), and its answer, whenever it comes, goes out on
//! [`Questions::late_answers`]. An outbox entry leaves the outbox only when its answer
//! arrived (or it expired): the delete is applied durably first, then the answer is
//! handed on, so an answer whose entry is already gone (a re-delivery after a crash
//! answered twice) is not processed twice.
//!
//! Answers are matched by request id *and* by the party whose link they came in on: a
//! party never answers for another.
//!
//! Logging names request ids, party OINs, the question kind and the outcome only; never
//! a pseudonym or a field value.

pub mod id;
pub mod outbox;
pub mod pending;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::broadcast;
use treiter_proto::v1::{Answer, HubMessage, Question, answer, hub_message, question};

pub use self::id::{RequestId, RequestIds};
use self::outbox::{Outbox, OutboxEntry, OutboxError};
use self::pending::{Acked, Offered, Pending};
use crate::agents::{AgentTable, LinkHandle};
use crate::clock::system_timestamp as timestamp;
use crate::config::QuestionSettings;
use crate::identity::Oin;
use crate::store::Store;

/// Late answers buffered for the slowest reader. When it is full, further answers to
/// queued questions are not taken (they stay queued), so no reader ever misses one.
pub const LATE_ANSWER_CAPACITY: usize = 1024;

/// How one question ended for the `ask` that waited for it.
#[derive(Clone, Debug, PartialEq)]
pub enum AskOutcome {
    /// The agent answered (hit/no-hit or shares). The answer is passed on as the agent
    /// sent it: the caller checks that its kind fits the question.
    Answered(Answer),
    /// The agent said it cannot answer (`Unanswerable` in agent_link.proto).
    Unanswerable { reason: String, detail: String },
    /// No answer came. `queued` is set when the question waits in the outbox: its
    /// answer will come on [`Questions::late_answers`].
    NoAnswer {
        why: NoAnswerWhy,
        queued: Option<Queued>,
    },
}

impl AskOutcome {
    /// Whether the question waits in the outbox.
    pub fn is_queued(&self) -> bool {
        matches!(
            self,
            AskOutcome::NoAnswer {
                queued: Some(_),
                ..
            }
        )
    }
}

/// Why no answer came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAnswerWhy {
    /// The party's agent had no open link, so the question was not sent.
    Offline,
    /// The question was sent but no answer came before the deadline.
    DeadlineExceeded,
    /// The question was sent, then the link ended before an answer came.
    LinkLost,
}

impl NoAnswerWhy {
    /// The word the coordinator API uses (`no_answer_reason` in coordinator.proto): a
    /// lost link means the agent went offline.
    pub fn as_reason(self) -> &'static str {
        match self {
            NoAnswerWhy::Offline | NoAnswerWhy::LinkLost => "offline",
            NoAnswerWhy::DeadlineExceeded => "deadline",
        }
    }
}

/// A question that waits in the outbox for the party's agent to link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The id its late answer will carry.
    pub request_id: RequestId,
    /// When it expires undelivered (`queued_until` in coordinator.proto).
    pub until: SystemTime,
}

/// The answer to a queued question, arriving after its `ask` returned.
#[derive(Clone, Debug, PartialEq)]
pub struct LateAnswer {
    /// The party that answered (always the party that was asked).
    pub party: Oin,
    pub request_id: RequestId,
    pub answer: Answer,
}

/// What the hub did with an answer from an agent. The link handler acknowledges the
/// answer to the agent unless [`AnswerReceipt::acknowledge`] says otherwise.
#[derive(Debug, PartialEq, Eq)]
pub enum AnswerReceipt {
    /// An `ask` was waiting and has it.
    Taken,
    /// It answered a queued question; it went out on the late-answer channel.
    Late,
    /// Its request id belongs to a question asked of another party; not used.
    WrongParty,
    /// Nothing waits for it: never asked, past its deadline, or already settled (a
    /// repeated answer after a re-delivery). Not used.
    Unknown,
    /// It answers a queued question, but the hub could not take it now (the store
    /// failed, or nobody reads late answers); the question stays queued and will be
    /// delivered and answered again.
    Kept,
}

impl AnswerReceipt {
    /// Whether to send the agent an Ack (it may then forget the answer). A kept answer
    /// is not acknowledged, so that an agent that resends unacknowledged answers may.
    pub fn acknowledge(&self) -> bool {
        !matches!(self, AnswerReceipt::Kept)
    }
}

/// The point in time an `ask` waits until, on both clocks: the monotonic one for
/// waiting, the wall clock for the Question's `deadline` field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    instant: tokio::time::Instant,
    at: SystemTime,
}

impl Deadline {
    pub(crate) fn after(wait: Duration) -> Deadline {
        let now = SystemTime::now();
        Deadline {
            instant: tokio::time::Instant::now() + wait,
            at: now.checked_add(wait).unwrap_or(now),
        }
    }
}

/// The hub's question routing. Clones share one state.
#[derive(Clone, Debug)]
pub struct Questions {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    agents: AgentTable,
    outbox: Outbox,
    pending: Pending,
    ids: RequestIds,
    queue_expiry: Duration,
    late: broadcast::Sender<LateAnswer>,
    /// Serialises taking answers of queued questions out of the outbox: after a
    /// supersede, an old and a new link of one party can deliver the same answer at
    /// once, and only one of them may hand it on.
    settling: tokio::sync::Mutex<()>,
    /// With several hub replicas: the way to agents linked to another replica
    /// ([`crate::relay`]). Unset with one hub process.
    relay: std::sync::OnceLock<Arc<crate::relay::Relay>>,
}

impl Questions {
    /// Question routing over the agents of `agents`, queueing in `store`.
    pub fn new(store: Arc<dyn Store>, agents: AgentTable, settings: QuestionSettings) -> Self {
        Self::with_ids(store, agents, settings, RequestIds::random())
    }

    /// As [`Questions::new`], with a given request-id generator.
    pub fn with_ids(
        store: Arc<dyn Store>,
        agents: AgentTable,
        settings: QuestionSettings,
        ids: RequestIds,
    ) -> Self {
        let (late, _) = broadcast::channel(LATE_ANSWER_CAPACITY);
        Questions {
            inner: Arc::new(Inner {
                agents,
                outbox: Outbox::new(store),
                pending: Pending::default(),
                ids,
                queue_expiry: settings.queue_expiry,
                late,
                settling: tokio::sync::Mutex::new(()),
                relay: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Routes questions for agents linked to other hub replicas through `relay`
    /// (several replicas on one PostgreSQL). Set once, at start.
    pub fn use_relay(&self, relay: Arc<crate::relay::Relay>) {
        let _ = self.inner.relay.set(relay);
    }

    /// Asks `party` `question` and waits at most `deadline` for the answer. With
    /// `queue_if_offline`, a question that cannot reach the agent (offline, or the link
    /// is lost while waiting) is queued durably before this returns.
    pub async fn ask(
        &self,
        party: &Oin,
        question: question::Kind,
        deadline: Duration,
        queue_if_offline: bool,
    ) -> AskOutcome {
        self.ask_until(party, question, Deadline::after(deadline), queue_if_offline)
            .await
    }

    /// As [`Questions::ask`] with queueing, for a question asked for `case`: when
    /// queued, the question and its late answer are sealed under the case's key and
    /// deleted with the case (articles 9, 12.2).
    pub async fn ask_for_case(
        &self,
        party: &Oin,
        question: question::Kind,
        deadline: Duration,
        case: &str,
    ) -> AskOutcome {
        self.ask_queueing(
            party,
            question,
            Deadline::after(deadline),
            QueueFor::Case(case),
        )
        .await
    }

    /// Late answers kept in the store whose reader did not yet forget them (after a
    /// crash or restart): the reader handles them again, then forgets them.
    pub fn kept_late_answers(&self) -> Vec<LateAnswer> {
        match self.inner.outbox.kept_answers() {
            Ok(kept) => kept
                .into_iter()
                .map(|(party, request_id, answer)| LateAnswer {
                    party,
                    request_id: RequestId::from_wire(request_id),
                    answer,
                })
                .collect(),
            Err(error) => {
                tracing::error!(%error, "cannot read the kept late answers");
                Vec::new()
            }
        }
    }

    /// Answers to queued questions, from now on. Subscribe before asking, and keep
    /// reading: an answer that arrives while nobody subscribes, or while a reader is
    /// [`LATE_ANSWER_CAPACITY`] answers behind, is not taken (its question stays queued
    /// and is delivered again at the agent's next link). A reader therefore never sees
    /// `RecvError::Lagged`.
    pub fn late_answers(&self) -> broadcast::Receiver<LateAnswer> {
        self.inner.late.subscribe()
    }

    /// The outbox, for inspection (status, tests).
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// The number of `ask`s waiting for an answer now.
    pub fn waiting(&self) -> usize {
        self.inner.pending.len()
    }

    pub(crate) async fn ask_until(
        &self,
        party: &Oin,
        kind: question::Kind,
        deadline: Deadline,
        queue_if_offline: bool,
    ) -> AskOutcome {
        let queue = if queue_if_offline {
            QueueFor::NoCase
        } else {
            QueueFor::No
        };
        self.ask_queueing(party, kind, deadline, queue).await
    }

    async fn ask_queueing(
        &self,
        party: &Oin,
        kind: question::Kind,
        deadline: Deadline,
        queue_if_offline: QueueFor<'_>,
    ) -> AskOutcome {
        let request_id = self.inner.ids.next(SystemTime::now());
        let kind_name = kind_name(&kind);
        let question = Question {
            request_id: request_id.to_string(),
            deadline: Some(timestamp(deadline.at)),
            kind: Some(kind),
        };
        let Some(link) = self.inner.agents.link(party) else {
            if let Some(relay) = self.inner.relay.get() {
                let (r, p) = (Arc::clone(relay), party.clone());
                if let Ok(Some(to)) = tokio::task::spawn_blocking(move || r.route(&p)).await {
                    return self
                        .ask_remote(to, party, question, deadline, queue_if_offline)
                        .await;
                }
            }
            return self
                .not_delivered(party, question, NoAnswerWhy::Offline, queue_if_offline)
                .await;
        };
        let link_id = link.link_id.clone();
        // Registered before sending, so that an answer cannot overtake the wait.
        let mut waiting = self.inner.pending.register(party, &question.request_id);
        let (sender, mut gone) = link.split();
        let sent = tokio::select! {
            biased;
            sent = sender.send(Ok(question_message(&question))) => sent.is_ok(),
            () = gone.gone() => false,
            () = tokio::time::sleep_until(deadline.instant) => {
                // The agent is not reading its link fast enough.
                tracing::info!(oin = %party, request = %request_id, kind = kind_name, link = %link_id,
                    outcome = "deadline", "question could not be sent before the deadline");
                return AskOutcome::NoAnswer { why: NoAnswerWhy::DeadlineExceeded, queued: None };
            }
        };
        // A held sender keeps the agent's stream open; do not keep it while waiting.
        drop(sender);
        if !sent {
            drop(waiting);
            return self
                .not_delivered(party, question, NoAnswerWhy::Offline, queue_if_offline)
                .await;
        }
        tracing::debug!(oin = %party, request = %request_id, kind = kind_name, link = %link_id, "question sent");
        let answer = tokio::select! {
            biased;
            answer = &mut waiting.answer => answer.ok(),
            () = gone.gone() => None,
            () = tokio::time::sleep_until(deadline.instant) => {
                tracing::info!(oin = %party, request = %request_id, kind = kind_name, link = %link_id,
                    acked = waiting.acked(), outcome = "deadline", "no answer within the deadline");
                return AskOutcome::NoAnswer { why: NoAnswerWhy::DeadlineExceeded, queued: None };
            }
        };
        drop(waiting);
        match answer {
            Some(answer) => {
                tracing::info!(oin = %party, request = %request_id, kind = kind_name,
                    outcome = answer_name(&answer), "answer received");
                outcome_of(answer)
            }
            None => {
                self.not_delivered(party, question, NoAnswerWhy::LinkLost, queue_if_offline)
                    .await
            }
        }
    }

    /// Asks `party`, whose agent is linked to replica `to`, through the relay
    /// ([`crate::relay`]), and waits for the answer as for a local agent. The other
    /// replica's link cannot be watched from here, so a lost link shows at the
    /// deadline.
    async fn ask_remote(
        &self,
        to: String,
        party: &Oin,
        question: Question,
        deadline: Deadline,
        queue_if_offline: QueueFor<'_>,
    ) -> AskOutcome {
        let Some(relay) = self.inner.relay.get().cloned() else {
            return self
                .not_delivered(party, question, NoAnswerWhy::Offline, queue_if_offline)
                .await;
        };
        let request_id = RequestId::from_wire(question.request_id.clone());
        let kind_name = question.kind.as_ref().map_or("empty", kind_name);
        // Registered before sending, so that an answer cannot overtake the wait.
        let mut waiting = self.inner.pending.register(party, &question.request_id);
        let (p, q, at, target) = (party.clone(), question.clone(), deadline.at, to.clone());
        let sent = tokio::task::spawn_blocking(move || {
            relay.send(
                &target,
                &p,
                at,
                crate::tables::relay::RelayBody::Question(Box::new(q)),
            )
        })
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            drop(waiting);
            tracing::warn!(oin = %party, request = %request_id, kind = kind_name, replica = %to,
                "cannot hand the question to the agent's replica");
            return self
                .not_delivered(party, question, NoAnswerWhy::Offline, queue_if_offline)
                .await;
        }
        tracing::debug!(oin = %party, request = %request_id, kind = kind_name, replica = %to, "question relayed");
        let answer = tokio::select! {
            biased;
            answer = &mut waiting.answer => answer.ok(),
            () = tokio::time::sleep_until(deadline.instant) => {
                tracing::info!(oin = %party, request = %request_id, kind = kind_name, replica = %to,
                    outcome = "deadline", "no answer through the relay within the deadline");
                return AskOutcome::NoAnswer { why: NoAnswerWhy::DeadlineExceeded, queued: None };
            }
        };
        drop(waiting);
        match answer {
            Some(answer) => {
                tracing::info!(oin = %party, request = %request_id, kind = kind_name, replica = %to,
                    outcome = answer_name(&answer), "answer received through the relay");
                outcome_of(answer)
            }
            None => {
                self.not_delivered(party, question, NoAnswerWhy::LinkLost, queue_if_offline)
                    .await
            }
        }
    }

    /// The question did not reach the agent (or the link broke before the answer):
    /// queue it if asked to.
    async fn not_delivered(
        &self,
        party: &Oin,
        mut question: Question,
        why: NoAnswerWhy,
        queue: QueueFor<'_>,
    ) -> AskOutcome {
        let request_id = RequestId::from_wire(question.request_id.clone());
        let kind_name = question.kind.as_ref().map_or("empty", kind_name);
        if matches!(queue, QueueFor::No) {
            tracing::info!(oin = %party, request = %request_id, kind = kind_name,
                outcome = why.as_reason(), "question not delivered; not queued");
            return AskOutcome::NoAnswer { why, queued: None };
        }
        let now = SystemTime::now();
        let until = now.checked_add(self.inner.queue_expiry).unwrap_or(now);
        // A queued question is waited for until it expires; tell the agent so.
        question.deadline = Some(timestamp(until));
        let entry = OutboxEntry {
            party: party.clone(),
            question,
            queued_at: now,
            expires_at: until,
        };
        let outbox = self.inner.outbox.clone();
        let write = entry.clone();
        let case = match queue {
            QueueFor::Case(case) => Some(case.to_owned()),
            QueueFor::No | QueueFor::NoCase => None,
        };
        let written = blocking(move || match case {
            Some(case) => outbox.put_for_case(&write, &case),
            None => outbox.put(&write),
        })
        .await;
        if let Err(error) = written {
            tracing::error!(oin = %party, request = %request_id, kind = kind_name, %error,
                "could not queue the question; it is not delivered");
            return AskOutcome::NoAnswer { why, queued: None };
        }
        tracing::info!(oin = %party, request = %request_id, kind = kind_name,
            outcome = why.as_reason(), "question queued for the agent's next link");
        // The agent may have linked between the look-up and the write, and its link's
        // delivery pass may have missed this entry. Sending it once more is harmless:
        // the agent answers a repeated request id identically.
        if !entry.is_expired(SystemTime::now())
            && let Some(link) = self.inner.agents.link(party)
        {
            let questions = self.clone();
            tokio::spawn(async move { questions.send_queued(link, vec![entry]).await });
        }
        AskOutcome::NoAnswer {
            why,
            queued: Some(Queued { request_id, until }),
        }
    }

    /// Delivers `party`'s unexpired queued questions down its link of `generation`, and
    /// drops the expired ones. The link handler runs this after the Welcome.
    pub async fn deliver_queued(&self, party: &Oin, generation: u64) {
        let outbox = self.inner.outbox.clone();
        let owner = party.clone();
        let now = SystemTime::now();
        let due = match blocking(move || outbox.take_due(&owner, now)).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(oin = %party, %error,
                    "cannot read the outbox; queued questions wait for the next link");
                return;
            }
        };
        for request_id in &due.expired {
            tracing::info!(request = %request_id, "queued question expired; dropped");
        }
        for error in &due.unreadable {
            tracing::error!(oin = %party, %error, "queued question left in the outbox");
        }
        if due.deliver.is_empty() {
            return;
        }
        // A newer link does its own delivery pass; a closed one gets none.
        match self.inner.agents.link(party) {
            Some(link) if link.generation == generation => {
                self.send_queued(link, due.deliver).await;
            }
            _ => {}
        }
    }

    async fn send_queued(&self, link: LinkHandle, entries: Vec<OutboxEntry>) {
        let link_id = link.link_id.clone();
        let (sender, mut gone) = link.split();
        for entry in entries {
            let sent = tokio::select! {
                biased;
                sent = sender.send(Ok(question_message(&entry.question))) => sent.is_ok(),
                () = gone.gone() => false,
            };
            if !sent {
                tracing::info!(oin = %entry.party, link = %link_id,
                    "link ended while delivering queued questions; the rest wait for the next link");
                return;
            }
            tracing::info!(oin = %entry.party, request = %entry.request_id(), link = %link_id,
                kind = entry.question.kind.as_ref().map_or("empty", kind_name),
                "queued question delivered");
        }
    }

    /// Takes an answer that arrived on `from`'s link.
    pub async fn receive_answer(&self, from: &Oin, answer: Answer) -> AnswerReceipt {
        if answer.request_id.is_empty() {
            tracing::warn!(oin = %from, "answer without a request id; ignored");
            return AnswerReceipt::Unknown;
        }
        let request_id = RequestId::from_wire(answer.request_id.clone());
        match self.inner.pending.offer(from, answer) {
            // The waiting `ask` logs the outcome.
            Offered::Taken => AnswerReceipt::Taken,
            Offered::WrongParty { asked } => {
                tracing::warn!(oin = %from, asked = %asked, request = %request_id,
                    "answer to a question asked of another party; ignored");
                AnswerReceipt::WrongParty
            }
            Offered::NotWaiting(answer) => {
                // A question another replica asked through this one: its answer goes
                // back there.
                if let Some(relay) = self.inner.relay.get()
                    && let Some((origin, until)) = relay.origin_of(from, request_id.as_str())
                {
                    return if crate::relay::return_answer(relay, origin, from, answer, until).await
                    {
                        AnswerReceipt::Taken
                    } else {
                        AnswerReceipt::Kept
                    };
                }
                self.settle_queued(from, request_id, answer).await
            }
        }
    }

    /// An answer no `ask` waits for: it settles a queued question, or nothing.
    async fn settle_queued(
        &self,
        from: &Oin,
        request_id: RequestId,
        answer: Answer,
    ) -> AnswerReceipt {
        let _one_at_a_time = self.inner.settling.lock().await;
        let outbox = self.inner.outbox.clone();
        let (party, id) = (from.clone(), request_id.clone());
        match blocking(move || outbox.contains(&party, id.as_str())).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(oin = %from, request = %request_id, outcome = answer_name(&answer),
                    "answer to no open question (not asked, past its deadline, or already settled); ignored");
                return AnswerReceipt::Unknown;
            }
            Err(error) => {
                tracing::error!(oin = %from, request = %request_id, %error,
                    "cannot read the outbox; the answer is not taken");
                return AnswerReceipt::Kept;
            }
        }
        if self.inner.late.receiver_count() == 0 {
            tracing::warn!(oin = %from, request = %request_id,
                "nobody reads late answers; the question stays queued");
            return AnswerReceipt::Kept;
        }
        // A reader that falls behind by the channel's capacity would silently miss
        // answers whose questions are already out of the outbox. Only this function
        // sends (one call at a time), so refusing at a full buffer means no reader ever
        // lags: the question stays queued and is delivered and answered again.
        if self.inner.late.len() >= LATE_ANSWER_CAPACITY {
            tracing::warn!(oin = %from, request = %request_id,
                "late-answer readers are behind; the question stays queued");
            return AnswerReceipt::Kept;
        }
        let outbox = self.inner.outbox.clone();
        let (party, id, kept) = (from.clone(), request_id.clone(), answer.clone());
        match blocking(move || outbox.settle(&party, id.as_str(), &kept)).await {
            Ok(true) => {}
            Ok(false) => return AnswerReceipt::Unknown,
            Err(error) => {
                tracing::error!(oin = %from, request = %request_id, %error,
                    "cannot remove the answered question from the outbox; it stays queued");
                return AnswerReceipt::Kept;
            }
        }
        tracing::info!(oin = %from, request = %request_id, outcome = answer_name(&answer),
            "late answer to a queued question");
        let late = LateAnswer {
            party: from.clone(),
            request_id: request_id.clone(),
            answer,
        };
        if self.inner.late.send(late).is_err() {
            // The last reader went away between the check and now; the answer is kept
            // in the store and handed on again by `kept_late_answers` at the next start.
            tracing::error!(oin = %from, request = %request_id,
                "the late answer had no reader after all; it is kept for the next start");
        }
        AnswerReceipt::Late
    }

    /// Records that `from`'s agent acknowledged receipt of a question. True when the
    /// id is that of a question being waited for: then it names no delivery and no
    /// retention notice, and the caller need not look for one in the store (each
    /// question of a case file is acknowledged, so that look-up would cost every
    /// question a store read).
    pub fn receive_ack(&self, from: &Oin, request_id: &str) -> bool {
        match self.inner.pending.ack(from, request_id) {
            Acked::Recorded => {
                tracing::debug!(oin = %from, request = request_id, "question acknowledged");
                true
            }
            Acked::WrongParty => {
                tracing::warn!(oin = %from, request = request_id,
                    "acknowledgement of a question asked of another party; ignored");
                true
            }
            Acked::NotWaiting => {
                // A queued question, one whose `ask` already ended, or no question.
                tracing::debug!(oin = %from, request = request_id, "question acknowledged (not waited for)");
                false
            }
        }
    }
}

/// Whether, and for which case, a question that cannot reach its agent is queued.
#[derive(Clone, Copy, Debug)]
enum QueueFor<'a> {
    No,
    /// Queued, sealed under the hub-wide transit key.
    NoCase,
    /// Queued, sealed under this case's key.
    Case(&'a str),
}

/// Runs blocking store I/O off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, OutboxError> + Send + 'static,
) -> Result<T, OutboxError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(OutboxError::Interrupted(e.to_string())))
}

fn question_message(question: &Question) -> HubMessage {
    HubMessage {
        body: Some(hub_message::Body::Question(question.clone())),
    }
}

fn outcome_of(answer: Answer) -> AskOutcome {
    match answer.kind {
        Some(answer::Kind::Unanswerable(u)) => AskOutcome::Unanswerable {
            reason: u.reason,
            detail: u.detail,
        },
        _ => AskOutcome::Answered(answer),
    }
}

/// The question's kind, for logs.
pub fn kind_name(kind: &question::Kind) -> &'static str {
    match kind {
        question::Kind::Bevraging(_) => "bevraging",
        question::Kind::ShareRequest(_) => "share-request",
    }
}

/// The answer's outcome, for logs: no values.
fn answer_name(answer: &Answer) -> &'static str {
    match &answer.kind {
        Some(answer::Kind::Bevraging(b)) if b.hit => "hit",
        Some(answer::Kind::Bevraging(_)) => "no-hit",
        Some(answer::Kind::Shares(_)) => "shares",
        Some(answer::Kind::Unanswerable(_)) => "unanswerable",
        None => "empty",
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;
    use treiter_proto::v1::{Bevraging, BevragingAnswer, SubjectPseudonym};

    use super::*;
    use crate::agents::{AgentHello, Outbound};
    use crate::parties::Party;
    use crate::store::SledStore;

    const LIMIT: Duration = Duration::from_secs(5);

    fn party(n: u8) -> Party {
        Party {
            oin: Oin::parse(&format!("0000000{n}00000000000{n}")).unwrap(),
            name: format!("party {n}"),
            kind: treiter_policies::vocab::PartyKind::Politie,
        }
    }

    fn bevraging() -> question::Kind {
        question::Kind::Bevraging(Bevraging {
            subject: Some(SubjectPseudonym {
                hex: "ab".repeat(32),
            }),
            more_subjects: Vec::new(),
        })
    }

    fn hit(request_id: &str, hit: bool) -> Answer {
        Answer {
            request_id: request_id.into(),
            kind: Some(answer::Kind::Bevraging(BevragingAnswer {
                hit,
                more_hits: Vec::new(),
            })),
        }
    }

    struct Setup {
        _dir: tempfile::TempDir,
        agents: AgentTable,
        questions: Questions,
    }

    fn setup(queue_expiry: Duration) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let agents = AgentTable::default();
        let settings = QuestionSettings {
            answer_deadline: Duration::from_secs(5),
            queue_expiry,
        };
        let questions = Questions::new(store, agents.clone(), settings);
        Setup {
            _dir: dir,
            agents,
            questions,
        }
    }

    /// Links `party` in the table; returns the generation and what the hub sends.
    fn link(agents: &AgentTable, party: &Party) -> (u64, mpsc::Receiver<crate::agents::LinkItem>) {
        let (tx, rx): (Outbound, _) = mpsc::channel(8);
        let hello = AgentHello {
            agent_version: "test",
            covenant_version: 1,
            instance_id: "i",
            certificate_not_after: None,
            bevraging_of_many_subjects: false,
            share_request_of_many_subjects: false,
        };
        let ticket = agents.open(party, hello, SystemTime::now());
        agents.attach(&party.oin, ticket.generation, tx);
        (ticket.generation, rx)
    }

    async fn next_question(rx: &mut mpsc::Receiver<crate::agents::LinkItem>) -> Question {
        match tokio::time::timeout(LIMIT, rx.recv()).await {
            Ok(Some(Ok(HubMessage {
                body: Some(hub_message::Body::Question(q)),
            }))) => q,
            other => panic!("expected a question, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_answer_of_the_asked_party_settles_the_ask() {
        let s = setup(Duration::from_secs(60));
        let p = party(2);
        let (_, mut rx) = link(&s.agents, &p);
        let questions = s.questions.clone();
        let oin = p.oin.clone();
        let asking = tokio::spawn(async move {
            questions
                .ask(&oin, bevraging(), Duration::from_secs(5), false)
                .await
        });
        let question = next_question(&mut rx).await;
        assert_eq!(
            s.questions
                .receive_answer(&party(3).oin, hit(&question.request_id, true))
                .await,
            AnswerReceipt::WrongParty
        );
        assert_eq!(
            s.questions
                .receive_answer(&p.oin, hit(&question.request_id, false))
                .await,
            AnswerReceipt::Taken
        );
        let outcome = asking.await.unwrap();
        assert_eq!(
            outcome,
            AskOutcome::Answered(hit(&question.request_id, false))
        );
        assert_eq!(s.questions.waiting(), 0);
    }

    #[tokio::test]
    async fn an_unanswerable_answer_is_its_own_outcome() {
        let s = setup(Duration::from_secs(60));
        let p = party(2);
        let (_, mut rx) = link(&s.agents, &p);
        let questions = s.questions.clone();
        let oin = p.oin.clone();
        let asking = tokio::spawn(async move {
            questions
                .ask(&oin, bevraging(), Duration::from_secs(5), false)
                .await
        });
        let question = next_question(&mut rx).await;
        let answer = Answer {
            request_id: question.request_id,
            kind: Some(answer::Kind::Unanswerable(
                treiter_proto::v1::Unanswerable {
                    reason: "source-unavailable".into(),
                    detail: "down".into(),
                },
            )),
        };
        s.questions.receive_answer(&p.oin, answer).await;
        assert_eq!(
            asking.await.unwrap(),
            AskOutcome::Unanswerable {
                reason: "source-unavailable".into(),
                detail: "down".into()
            }
        );
    }

    #[tokio::test]
    async fn a_silent_agent_misses_the_deadline_and_a_lost_link_queues() {
        let s = setup(Duration::from_secs(60));
        let p = party(2);
        let (generation, mut rx) = link(&s.agents, &p);
        let outcome = s
            .questions
            .ask(&p.oin, bevraging(), Duration::from_millis(100), true)
            .await;
        assert_eq!(
            outcome,
            AskOutcome::NoAnswer {
                why: NoAnswerWhy::DeadlineExceeded,
                queued: None
            },
            "a linked agent that does not answer is not queued"
        );
        let _ = next_question(&mut rx).await;

        let questions = s.questions.clone();
        let oin = p.oin.clone();
        let asking =
            tokio::spawn(async move { questions.ask(&oin, bevraging(), LIMIT, true).await });
        let question = next_question(&mut rx).await;
        s.agents.close(&p.oin, generation, SystemTime::now());
        match asking.await.unwrap() {
            AskOutcome::NoAnswer {
                why: NoAnswerWhy::LinkLost,
                queued: Some(queued),
            } => assert_eq!(queued.request_id.as_str(), question.request_id),
            other => panic!("expected LinkLost and queued, got {other:?}"),
        }
        assert_eq!(s.questions.outbox().len().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_queued_answer_is_handed_on_once() {
        let s = setup(Duration::from_secs(60));
        let p = party(2);
        let mut late = s.questions.late_answers();
        let outcome = s
            .questions
            .ask(&p.oin, bevraging(), Duration::from_secs(1), true)
            .await;
        let Some(queued) = (match outcome {
            AskOutcome::NoAnswer {
                why: NoAnswerWhy::Offline,
                queued,
            } => queued,
            other => panic!("expected Offline, got {other:?}"),
        }) else {
            panic!("expected queued");
        };
        let (generation, mut rx) = link(&s.agents, &p);
        s.questions.deliver_queued(&p.oin, generation).await;
        let question = next_question(&mut rx).await;
        assert_eq!(question.request_id, queued.request_id.as_str());
        assert_eq!(
            question.deadline,
            Some(timestamp(queued.until)),
            "a queued question is waited for until it expires"
        );
        let answer = hit(&question.request_id, true);
        assert_eq!(
            s.questions
                .receive_answer(&party(3).oin, answer.clone())
                .await,
            AnswerReceipt::Unknown,
            "another party cannot settle it"
        );
        assert_eq!(
            s.questions.receive_answer(&p.oin, answer.clone()).await,
            AnswerReceipt::Late
        );
        assert_eq!(
            late.try_recv().unwrap(),
            LateAnswer {
                party: p.oin.clone(),
                request_id: queued.request_id,
                answer: answer.clone()
            }
        );
        assert!(s.questions.outbox().is_empty().unwrap());
        // A re-delivered question answered again is not processed twice.
        assert_eq!(
            s.questions.receive_answer(&p.oin, answer).await,
            AnswerReceipt::Unknown
        );
        assert_eq!(
            late.try_recv(),
            Err(broadcast::error::TryRecvError::Empty),
            "handed on once"
        );
    }

    #[tokio::test]
    async fn without_a_late_reader_the_question_stays_queued() {
        let s = setup(Duration::from_secs(60));
        let p = party(2);
        let outcome = s.questions.ask(&p.oin, bevraging(), LIMIT, true).await;
        assert!(outcome.is_queued(), "{outcome:?}");
        let (generation, mut rx) = link(&s.agents, &p);
        s.questions.deliver_queued(&p.oin, generation).await;
        let question = next_question(&mut rx).await;
        let receipt = s
            .questions
            .receive_answer(&p.oin, hit(&question.request_id, true))
            .await;
        assert_eq!(receipt, AnswerReceipt::Kept);
        assert!(!receipt.acknowledge());
        assert_eq!(s.questions.outbox().len().unwrap(), 1);
    }

    #[tokio::test]
    async fn offline_without_queueing_is_not_queued() {
        let s = setup(Duration::from_secs(60));
        let outcome = s
            .questions
            .ask(&party(2).oin, bevraging(), LIMIT, false)
            .await;
        assert_eq!(
            outcome,
            AskOutcome::NoAnswer {
                why: NoAnswerWhy::Offline,
                queued: None
            }
        );
        assert!(s.questions.outbox().is_empty().unwrap());
    }
}
