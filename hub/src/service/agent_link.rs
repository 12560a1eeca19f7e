//! `AgentLink`: the one long-lived stream each node agent opens to the hub.
//!
//! The handler authenticates the agent (organisation certificate of a listed party),
//! waits for its Hello, answers with a Welcome, registers the link in the agent table
//! and hands the stream to a task that keeps heartbeats in both directions. A link that
//! stays silent for three heartbeat intervals is closed; so is one superseded by a newer
//! link of the same party, and every link when the hub shuts down.
//!
//! After the Welcome the link is attached to the agent table, so questions can be pushed
//! down it, and the party's queued questions are delivered. Answers and acks coming up
//! the link go to the hub's question routing ([`crate::questions`]); every answer the
//! hub took is acknowledged with an Ack. The Acks are gathered for [`ACK_GATHERING`]
//! and sent together: Acks sent at once go out in one write, where each sent alone
//! costs a write at the hub and a wake-up at the agent (an answer whose Ack is lost
//! with the link is sent again on the next one and acknowledged then). Cosignatures
//! and checkpoint refusals go to [`crate::witnesses`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use treiter_proto::v1::agent_link_server::AgentLink;
use treiter_proto::v1::{
    Ack, AgentMessage, ConsistencyProof, ConsistencyProofRequest, Heartbeat, Hello, HubMessage,
    InclusionProof, InclusionProofRequest, Welcome, agent_message, hub_message,
};

use crate::agents::{AgentHello, LinkItem, Outbound};
use crate::parties::Party;
use crate::service::agent_input;
use crate::service::timestamp;
use crate::state::{HUB_VERSION, Hub};

/// Heartbeat intervals of silence after which a link is considered dead.
const SILENT_INTERVALS: u32 = 3;

/// Messages the hub may have queued for one agent before a slow reader is cut off.
const OUTBOUND_QUEUE: usize = 64;

/// How long the Acks of a link's answers are gathered before they are sent together
/// (module doc). Nothing waits for them: the agent keeps an answer until its Ack comes
/// (to send it again on a new link), so a tenth of a second costs it a few answers in
/// memory, while a shorter gathering woke every agent once more per case file, in the
/// middle of the next one under load (with 5 ms, a case file to 50 partners took
/// 1.12–1.14× as long and 1.23–1.24× the agents' CPU, BENCHMARKS.md).
pub const ACK_GATHERING: Duration = Duration::from_millis(100);

pub struct AgentLinkService {
    hub: Arc<Hub>,
}

impl AgentLinkService {
    pub fn new(hub: Arc<Hub>) -> Self {
        AgentLinkService { hub }
    }
}

fn hub_message(body: hub_message::Body) -> Result<HubMessage, Status> {
    Ok(HubMessage { body: Some(body) })
}

#[tonic::async_trait]
impl AgentLink for AgentLinkService {
    type LinkStream = LinkOutbound;

    async fn link(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::LinkStream>, Status> {
        let party = self.hub.authenticate_agent(&request)?;
        let certificate_not_after = crate::tls::peer_certificate_not_after(&request);
        let mut inbound = request.into_inner();
        let hello = receive_hello(&mut inbound, &self.hub, &party).await?;
        if hello.covenant_version != self.hub.covenant.version() {
            tracing::warn!(
                oin = %party.oin,
                agent = hello.covenant_version,
                hub = self.hub.covenant.version(),
                "agent pre-checks with a different covenant version than the one in force"
            );
        }
        let ticket = self.hub.agents.open(
            &party,
            AgentHello {
                agent_version: &hello.agent_version,
                covenant_version: hello.covenant_version,
                instance_id: &hello.instance_id,
                certificate_not_after,
                bevraging_of_many_subjects: hello.bevraging_of_many_subjects,
                share_request_of_many_subjects: hello.share_request_of_many_subjects,
            },
            SystemTime::now(),
        );
        tracing::info!(
            oin = %party.oin,
            party = %party.name,
            link = %ticket.link_id,
            agent_version = %hello.agent_version,
            "agent linked"
        );
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let (end, ended) = oneshot::channel();
        let welcome = Welcome {
            party: Some(party.to_proto()),
            hub_version: HUB_VERSION.to_owned(),
            covenant_version: self.hub.covenant.version(),
            heartbeat_interval_seconds: u32::try_from(self.hub.link.heartbeat_interval.as_secs())
                .unwrap_or(u32::MAX),
            link_id: ticket.link_id.clone(),
        };
        // The channel is fresh and has room: this cannot fail.
        let _ = tx
            .send(hub_message(hub_message::Body::Welcome(welcome)))
            .await;
        // Article 13.2: an agent with another version gets the one in force before any
        // question, so it pre-checks queued questions with it.
        if hello.covenant_version != self.hub.covenant.version() {
            let update = crate::covenants::agents::update_message(&self.hub.covenant.current());
            let _ = tx.send(Ok(update)).await;
        }
        // Only now may questions use the link: the Welcome is first in line.
        self.hub
            .agents
            .attach(&party.oin, ticket.generation, tx.clone());
        let questioner = self.hub.questioner.clone();
        let (oin, generation) = (party.oin.clone(), ticket.generation);
        tokio::spawn(async move { questioner.deliver_queued(&oin, generation).await });
        tokio::spawn(crate::deliveries::deliver_pending(
            self.hub.clone(),
            party.oin.clone(),
        ));
        // Article 10.2: the newest checkpoint, with a proof from what the agent holds.
        // In its own task: signing one waits for the log's disk, which must not delay
        // the Welcome (the stream is returned only when this call ends).
        crate::witnesses::spawn_on_hello(
            self.hub.clone(),
            party.clone(),
            ticket.generation,
            &hello,
            tx.clone(),
        );
        tokio::spawn(run_link(self.hub.clone(), party, ticket, inbound, tx, end));
        Ok(Response::new(LinkOutbound::new(rx, ended)))
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<InclusionProofRequest>,
    ) -> Result<Response<InclusionProof>, Status> {
        let party = self.hub.authenticate_agent(&request)?;
        crate::officer::log_access::party_inclusion_proof(&self.hub, &party, request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_consistency_proof(
        &self,
        request: Request<ConsistencyProofRequest>,
    ) -> Result<Response<ConsistencyProof>, Status> {
        self.hub.authenticate_agent(&request)?;
        crate::officer::log_access::consistency_proof(&self.hub, request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

async fn receive_hello(
    inbound: &mut Streaming<AgentMessage>,
    hub: &Hub,
    party: &Party,
) -> Result<Hello, Status> {
    let first = tokio::time::timeout(hub.link.hello_timeout, inbound.message())
        .await
        .map_err(|_| {
            Status::deadline_exceeded(format!(
                "no Hello within {} s of opening the link",
                hub.link.hello_timeout.as_secs()
            ))
        })??;
    match first.and_then(|m| m.body) {
        Some(agent_message::Body::Hello(hello)) => {
            if hello.agent_version.is_empty() {
                return Err(Status::invalid_argument(
                    "Hello.agent_version is empty; the agent must state its version",
                ));
            }
            // The version shows in `hub status`; the ids and key are kept and logged.
            if let Err(e) = agent_input::check_hello(&hello) {
                tracing::warn!(oin = %party.oin, refused = %e, "agent Hello refused");
                return Err(Status::invalid_argument(e.to_string()));
            }
            Ok(hello)
        }
        Some(_) => {
            tracing::warn!(oin = %party.oin, "agent opened a link without Hello");
            Err(Status::failed_precondition(
                "the first message on a link must be Hello",
            ))
        }
        None => Err(Status::cancelled("the agent closed the link before Hello")),
    }
}

/// Why a link ended, for the log line.
#[derive(Debug)]
enum LinkEnd {
    AgentClosed,
    Broken(Status),
    Silent,
    Superseded,
    /// The party left the covenant (article 2.3): a version that no longer lists it
    /// took effect.
    NoLongerAParty(String),
    Shutdown,
    ReaderGone,
}

async fn run_link(
    hub: Arc<Hub>,
    party: Party,
    mut ticket: crate::agents::LinkTicket,
    mut inbound: Streaming<AgentMessage>,
    tx: Outbound,
    stream_end: oneshot::Sender<Option<Status>>,
) {
    let interval = hub.link.heartbeat_interval;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut shutdown = hub.shutdown_signal();
    let mut last_heard = Instant::now();
    let mut sequence = 0u64;
    // The Acks gathered (module doc), and the timer that sends them.
    let mut acks = Vec::new();
    let ack_timer = tokio::time::sleep(ACK_GATHERING);
    tokio::pin!(ack_timer);
    let end = loop {
        tokio::select! {
            message = inbound.message() => match message {
                Ok(Some(message)) => {
                    last_heard = Instant::now();
                    let gathering = !acks.is_empty();
                    handle_message(&hub, &party, &ticket, message, &mut acks).await;
                    if !gathering && !acks.is_empty() {
                        ack_timer.as_mut().reset(tokio::time::Instant::now() + ACK_GATHERING);
                    }
                }
                Ok(None) => break LinkEnd::AgentClosed,
                Err(status) => break LinkEnd::Broken(status),
            },
            () = ack_timer.as_mut(), if !acks.is_empty() => {
                if send_acks(&tx, &mut acks).is_err() {
                    break LinkEnd::ReaderGone;
                }
                if !acks.is_empty() {
                    // The queue was full: the rest after another gathering time.
                    ack_timer.as_mut().reset(tokio::time::Instant::now() + ACK_GATHERING);
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > interval * SILENT_INTERVALS {
                    break LinkEnd::Silent;
                }
                sequence += 1;
                let beat = Heartbeat { sequence, sent_at: Some(timestamp(SystemTime::now())) };
                // Never waited for: with the queue full, the agent hears what is in it,
                // and the task must stay free to close the link.
                if let Err(mpsc::error::TrySendError::Closed(_)) =
                    tx.try_send(hub_message(hub_message::Body::Heartbeat(beat)))
                {
                    break LinkEnd::ReaderGone;
                }
            }
            _ = ticket.superseded.changed() => match hub.parties.get(&party.oin) {
                Ok(_) => break LinkEnd::Superseded,
                Err(refusal) => break LinkEnd::NoLongerAParty(refusal.to_string()),
            },
            () = crate::state::shutdown_begun(&mut shutdown) => break LinkEnd::Shutdown,
        }
    };
    let closing = match &end {
        LinkEnd::Superseded => Some(Status::aborted(
            "this link was superseded by a newer link of the same party",
        )),
        LinkEnd::NoLongerAParty(refusal) => Some(Status::permission_denied(refusal.clone())),
        LinkEnd::Shutdown => Some(Status::unavailable(
            "the hub is shutting down; reconnect later",
        )),
        LinkEnd::Silent => Some(Status::deadline_exceeded(format!(
            "no message from the agent for {} heartbeat intervals",
            SILENT_INTERVALS
        ))),
        _ => None,
    };
    // The Acks gathered still go, where the stream has room: an answer whose Ack does
    // not arrive is sent again on the next link (and acknowledged then).
    for request_id in acks.drain(..) {
        let _ = tx.try_send(hub_message(hub_message::Body::Ack(Ack { request_id })));
    }
    // The stream ends after what is queued, with the closing status if there is one,
    // however full the queue and whoever else still holds a sender.
    let _ = stream_end.send(closing);
    hub.agents
        .close(&party.oin, ticket.generation, SystemTime::now());
    let why = match &end {
        LinkEnd::AgentClosed => "the agent closed it".to_owned(),
        LinkEnd::Broken(status) => format!("it broke: {}", status.message()),
        LinkEnd::Silent => "the agent fell silent".to_owned(),
        LinkEnd::Superseded => "a newer link of the same party replaced it".to_owned(),
        LinkEnd::NoLongerAParty(_) => {
            "its party left the covenant (a version that no longer lists it took effect)".to_owned()
        }
        LinkEnd::Shutdown => "the hub is shutting down".to_owned(),
        LinkEnd::ReaderGone => "the agent stopped reading".to_owned(),
    };
    tracing::info!(oin = %party.oin, link = %ticket.link_id, why, "agent link closed");
}

/// What the hub sends down one link: the link's queue, until the link's task ends it
/// (`end`). Ending it there, not by a message in the queue, ends the stream even when
/// the queue is full (the status would not fit) or when a sender outlives the link (a
/// witness pacer, a question being pushed): a link the hub closed would otherwise stay
/// open, and keep a graceful shutdown waiting, for as long as those live.
pub struct LinkOutbound {
    queued: mpsc::Receiver<LinkItem>,
    /// `None` once the link's task has said the end.
    end: Option<oneshot::Receiver<Option<Status>>>,
    /// Set when the end was said: the status to close with (if any), sent once the
    /// queue is empty.
    closing: Option<Option<Status>>,
    done: bool,
}

impl LinkOutbound {
    fn new(queued: mpsc::Receiver<LinkItem>, end: oneshot::Receiver<Option<Status>>) -> Self {
        LinkOutbound {
            queued,
            end: Some(end),
            closing: None,
            done: false,
        }
    }

    /// `item` goes out; an error status is the last item (tonic ends the stream with
    /// it, and so does this).
    fn yield_item(&mut self, item: LinkItem) -> Poll<Option<LinkItem>> {
        if item.is_err() {
            self.done = true;
        }
        Poll::Ready(Some(item))
    }
}

impl Stream for LinkOutbound {
    type Item = LinkItem;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<LinkItem>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(closing) = &mut this.closing {
            // Everything the link's task queued before it said the end is in the
            // queue: it goes first, without waiting for more.
            return match this.queued.try_recv() {
                Ok(item) => this.yield_item(item),
                Err(_) => {
                    this.done = true;
                    Poll::Ready(closing.take().map(Err))
                }
            };
        }
        match this.queued.poll_recv(cx) {
            Poll::Ready(Some(item)) => return this.yield_item(item),
            Poll::Ready(None) => {
                this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let Some(end) = this.end.as_mut() else {
            return Poll::Pending;
        };
        match Pin::new(end).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(closing) => {
                this.end = None;
                // A dropped sender (the task panicked) ends the stream as well.
                this.closing = Some(closing.ok().flatten());
                Pin::new(this).poll_next(cx)
            }
        }
    }
}

/// Queues the gathered Acks, one after the other without waiting in between, so that
/// the stream takes them in one write. Those that do not fit (the agent reads slower
/// than the hub sends) stay in `acks` for the next try: the link's task never waits on
/// a full queue, so a link it must close (shutdown, superseded, silent) closes.
/// `Err` when the agent no longer reads the link.
fn send_acks(tx: &Outbound, acks: &mut Vec<String>) -> Result<(), ReaderGone> {
    let mut sent = 0;
    for request_id in acks.iter() {
        match tx.try_send(hub_message(hub_message::Body::Ack(Ack {
            request_id: request_id.clone(),
        }))) {
            Ok(()) => sent += 1,
            Err(mpsc::error::TrySendError::Full(_)) => break,
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(ReaderGone),
        }
    }
    acks.drain(..sent);
    Ok(())
}

/// Handles one message from the agent. The ids of the answers taken go to `acks`, to be
/// acknowledged together.
async fn handle_message(
    hub: &Hub,
    party: &Party,
    ticket: &crate::agents::LinkTicket,
    message: AgentMessage,
    acks: &mut Vec<String>,
) {
    match message.body {
        Some(agent_message::Body::Heartbeat(_)) => {
            hub.agents
                .heartbeat(&party.oin, ticket.generation, SystemTime::now());
        }
        Some(agent_message::Body::Hello(_)) => {
            tracing::warn!(oin = %party.oin, link = %ticket.link_id, "agent sent a second Hello; ignored");
        }
        Some(agent_message::Body::Answer(answer)) => {
            if let Err(e) = agent_input::check_request_id("Answer.request_id", &answer.request_id) {
                tracing::warn!(oin = %party.oin, refused = %e, "answer with a malformed request id; ignored");
                return;
            }
            // Nothing of a malformed answer is used: the partner could not answer, and
            // the case file says why.
            let answer = match agent_input::check_answer(&answer) {
                Ok(()) => answer,
                Err(e) => {
                    tracing::warn!(oin = %party.oin, request = %answer.request_id, refused = %e,
                        "the agent's answer is malformed; taken as no answer");
                    agent_input::refused_answer(answer.request_id, &e)
                }
            };
            let request_id = answer.request_id.clone();
            let receipt = hub.questioner.receive_answer(&party.oin, answer).await;
            if receipt.acknowledge() && !request_id.is_empty() {
                acks.push(request_id);
            }
        }
        Some(agent_message::Body::Ack(ack)) => {
            if let Err(e) = agent_input::check_request_id("Ack.request_id", &ack.request_id) {
                tracing::warn!(oin = %party.oin, refused = %e, "ack with a malformed request id; ignored");
                return;
            }
            if !hub.questioner.receive_ack(&party.oin, &ack.request_id) {
                // Or a delivery's or retention notice's id (crate::deliveries).
                tokio::spawn(crate::deliveries::receive_ack(
                    hub.store.clone(),
                    party.oin.clone(),
                    ack.request_id,
                ));
            }
        }
        Some(agent_message::Body::Cosignature(cosignature)) => {
            if let Err(e) = agent_input::check_signature_line(&cosignature.signature_line) {
                tracing::warn!(oin = %party.oin, refused = %e, "malformed cosignature; ignored");
                return;
            }
            crate::witnesses::on_cosignature(hub, party, cosignature).await;
        }
        Some(agent_message::Body::CheckpointRefusal(refusal)) => {
            crate::witnesses::on_refusal(hub, party, &refusal);
        }
        None => {
            tracing::warn!(oin = %party.oin, "empty message on the agent link; ignored");
        }
    }
}

/// The agent's end of the link no longer reads.
struct ReaderGone;

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    fn heartbeat(sequence: u64) -> LinkItem {
        hub_message(hub_message::Body::Heartbeat(Heartbeat {
            sequence,
            sent_at: None,
        }))
    }

    fn outbound(queue: usize) -> (Outbound, oneshot::Sender<Option<Status>>, LinkOutbound) {
        let (tx, rx) = mpsc::channel(queue);
        let (end, ended) = oneshot::channel();
        (tx, end, LinkOutbound::new(rx, ended))
    }

    /// The stream's next item, which must come (or the end) within 5 s.
    async fn next(stream: &mut LinkOutbound) -> Option<LinkItem> {
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the stream yields or ends at once")
    }

    fn sequence(item: Option<LinkItem>) -> Option<u64> {
        match item?.ok()?.body? {
            hub_message::Body::Heartbeat(beat) => Some(beat.sequence),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_link_ended_with_a_full_queue_sends_the_queue_then_its_status_and_ends() {
        let (tx, end, mut stream) = outbound(2);
        tx.try_send(heartbeat(1)).expect("room");
        tx.try_send(heartbeat(2)).expect("room");
        // Full: a status sent through the queue would not fit.
        assert!(tx.try_send(heartbeat(3)).is_err());
        end.send(Some(Status::unavailable("shutting down")))
            .expect("stream alive");
        assert_eq!(sequence(next(&mut stream).await), Some(1));
        assert_eq!(sequence(next(&mut stream).await), Some(2));
        match next(&mut stream).await {
            Some(Err(status)) => assert_eq!(status.code(), tonic::Code::Unavailable),
            other => panic!("expected the closing status, got {other:?}"),
        }
        // Ended, though a sender (`tx`) is still alive.
        assert!(next(&mut stream).await.is_none());
        drop(stream);
        assert!(tx.is_closed(), "the queue's receiver went with the stream");
    }

    #[test]
    fn acks_that_do_not_fit_the_queue_wait_for_the_next_try() {
        let (tx, mut rx) = mpsc::channel(2);
        tx.try_send(heartbeat(1)).expect("room");
        let mut acks = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert!(send_acks(&tx, &mut acks).is_ok());
        assert_eq!(acks, ["b", "c"], "one fitted, the rest wait");
        let _ = rx.try_recv();
        let _ = rx.try_recv();
        assert!(send_acks(&tx, &mut acks).is_ok());
        assert!(acks.is_empty(), "{acks:?}");
        drop(rx);
        acks.push("d".into());
        assert!(send_acks(&tx, &mut acks).is_err(), "the reader is gone");
    }

    #[tokio::test]
    async fn a_link_ended_without_a_status_ends_its_stream_while_senders_live() {
        let (tx, end, mut stream) = outbound(4);
        tx.try_send(heartbeat(1)).expect("room");
        drop(end);
        assert_eq!(sequence(next(&mut stream).await), Some(1));
        let next = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the stream ends at once");
        assert!(next.is_none(), "{next:?}");
        drop(tx);
    }
}
