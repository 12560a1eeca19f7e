//! Questions from the hub to agents (issue 5): asking one party, fan-out with one
//! deadline, store-and-forward for offline agents (also across a hub restart), answers
//! only from the party asked, and expiry of queued questions.
//!
//! The agents here are hand-driven links: the test decides what each "agent" answers
//! and when. They keep heartbeats going in the background so that the hub does not
//! close a link that is merely waiting.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use treiter_hub::fanout::{Ask, FanOut};
use treiter_hub::identity::Oin;
use treiter_hub::questions::{AskOutcome, LateAnswer, NoAnswerWhy, Queued};
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::{
    Ack, AgentMessage, Answer, Bevraging, BevragingAnswer, Heartbeat, Hello, HubMessage, Question,
    SubjectPseudonym, agent_message, answer, hub_message, question,
};

use crate::support::{Pki, TestHub, party_channel, wait_until};

/// How long a test waits for something that should happen at once.
const LIMIT: Duration = Duration::from_secs(10);

fn oin(slug: &str) -> Oin {
    let party = treiter_certs_dev::PARTIES
        .iter()
        .find(|p| p.slug == slug)
        .expect("a dev party");
    Oin::parse(party.oin).expect("oin")
}

fn bevraging() -> question::Kind {
    question::Kind::Bevraging(Bevraging {
        subject: Some(SubjectPseudonym {
            hex: "5e".repeat(32),
        }),
        more_subjects: Vec::new(),
    })
}

fn hit_answer(request_id: &str, hit: bool) -> Answer {
    Answer {
        request_id: request_id.into(),
        kind: Some(answer::Kind::Bevraging(BevragingAnswer {
            hit,
            more_hits: Vec::new(),
        })),
    }
}

/// A hand-driven agent link.
pub(crate) struct RawAgent {
    oin: Oin,
    outbound: mpsc::Sender<AgentMessage>,
    inbound: tonic::Streaming<HubMessage>,
    heartbeats: JoinHandle<()>,
}

impl Drop for RawAgent {
    fn drop(&mut self) {
        self.heartbeats.abort();
    }
}

impl RawAgent {
    /// Links as `slug`'s agent: Hello, Welcome, then heartbeats every 300 ms. Its Hello
    /// does not offer bevragingen about several subjects.
    pub(crate) async fn link(pki: &Pki, slug: &str, hub: &TestHub) -> RawAgent {
        Self::link_offering(pki, slug, hub, false, false).await
    }

    /// [`RawAgent::link`], with `bevraging_of_many_subjects` and
    /// `share_request_of_many_subjects` in its Hello as given.
    pub(crate) async fn link_offering(
        pki: &Pki,
        slug: &str,
        hub: &TestHub,
        bevraging_of_many_subjects: bool,
        share_request_of_many_subjects: bool,
    ) -> RawAgent {
        let channel = party_channel(pki, slug, hub.addr).await;
        let (outbound, rx) = mpsc::channel(16);
        outbound
            .send(AgentMessage {
                body: Some(agent_message::Body::Hello(Hello {
                    agent_version: "raw-test".into(),
                    covenant_version: 1,
                    instance_id: format!("raw-{slug}"),
                    bevraging_of_many_subjects,
                    share_request_of_many_subjects,
                    ..Default::default()
                })),
            })
            .await
            .expect("queue hello");
        let mut inbound = AgentLinkClient::new(channel)
            .link(ReceiverStream::new(rx))
            .await
            .expect("link")
            .into_inner();
        match tokio::time::timeout(LIMIT, inbound.message()).await {
            Ok(Ok(Some(HubMessage {
                body: Some(hub_message::Body::Welcome(_)),
            }))) => {}
            other => panic!("expected Welcome, got {other:?}"),
        }
        let beating = outbound.clone();
        let heartbeats = tokio::spawn(async move {
            for sequence in 1.. {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let beat = AgentMessage {
                    body: Some(agent_message::Body::Heartbeat(Heartbeat {
                        sequence,
                        sent_at: None,
                    })),
                };
                if beating.send(beat).await.is_err() {
                    return;
                }
            }
        });
        RawAgent {
            oin: oin(slug),
            outbound,
            inbound,
            heartbeats,
        }
    }

    /// The next message from the hub that is not a heartbeat or a log checkpoint (the
    /// hub sends one after the Welcome, article 10.2), or `None` if none comes within
    /// `limit`.
    pub(crate) async fn next_within(&mut self, limit: Duration) -> Option<hub_message::Body> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.inbound.message()).await {
                Err(_) => return None,
                Ok(Ok(Some(HubMessage {
                    body: Some(hub_message::Body::Heartbeat(_) | hub_message::Body::Checkpoint(_)),
                }))) => continue,
                Ok(Ok(Some(HubMessage { body: Some(body) }))) => return Some(body),
                Ok(other) => panic!("the hub ended or broke the link: {other:?}"),
            }
        }
    }

    pub(crate) async fn next_question(&mut self) -> Question {
        match self.next_within(LIMIT).await {
            Some(hub_message::Body::Question(question)) => question,
            other => panic!("{}: expected a Question, got {other:?}", self.oin),
        }
    }

    pub(crate) async fn expect_ack(&mut self, request_id: &str) {
        match self.next_within(LIMIT).await {
            Some(hub_message::Body::Ack(ack)) => assert_eq!(ack.request_id, request_id),
            other => panic!("{}: expected an Ack, got {other:?}", self.oin),
        }
    }

    pub(crate) async fn send(&self, body: agent_message::Body) {
        self.outbound
            .send(AgentMessage { body: Some(body) })
            .await
            .expect("the link is open");
    }

    /// Acknowledges the question, answers hit/no-hit and waits for the hub's Ack.
    pub(crate) async fn answer(&mut self, question: &Question, hit: bool) -> Answer {
        let id = question.request_id.clone();
        self.send(agent_message::Body::Ack(Ack {
            request_id: id.clone(),
        }))
        .await;
        let answer = hit_answer(&id, hit);
        self.send(agent_message::Body::Answer(answer.clone())).await;
        self.expect_ack(&id).await;
        answer
    }
}

fn queued(outcome: AskOutcome) -> Queued {
    match outcome {
        AskOutcome::NoAnswer {
            why: NoAnswerWhy::Offline,
            queued: Some(queued),
        } => queued,
        other => panic!("expected NoAnswer{{Offline}} and queued, got {other:?}"),
    }
}

async fn late_answer(late: &mut tokio::sync::broadcast::Receiver<LateAnswer>) -> LateAnswer {
    tokio::time::timeout(LIMIT, late.recv())
        .await
        .expect("a late answer within the limit")
        .expect("the late-answer channel is open")
}

#[tokio::test]
async fn an_online_agent_answers_a_bevraging() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut agent = RawAgent::link(&pki, "politie", &hub).await;
    let questions = hub.hub.questioner.clone();
    let party = agent.oin.clone();
    let asking =
        tokio::spawn(async move { questions.ask(&party, bevraging(), LIMIT, false).await });

    let question = agent.next_question().await;
    assert_eq!(question.request_id.len(), 32, "a hub-chosen 128-bit id");
    assert!(question.deadline.is_some());
    assert_eq!(question.kind, Some(bevraging()));
    let answer = agent.answer(&question, true).await;

    let outcome = asking.await.expect("ask");
    assert_eq!(outcome, AskOutcome::Answered(answer));
    assert_eq!(hub.hub.questioner.waiting(), 0);
    assert!(hub.hub.questioner.outbox().is_empty().expect("outbox"));
    drop(agent);
    hub.stop().await;
}

#[tokio::test]
async fn a_silent_agent_does_not_hold_up_the_others_in_a_fan_out() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut politie = RawAgent::link(&pki, "politie", &hub).await;
    let mut om = RawAgent::link(&pki, "om", &hub).await;
    let mut silent = RawAgent::link(&pki, "ggd", &hub).await;
    let asks = [&politie.oin, &om.oin, &silent.oin].map(|party| Ask {
        party: party.clone(),
        question: bevraging(),
    });
    let mut fan_out = FanOut::start(
        &hub.hub.questioner,
        asks,
        // Short, so the test is quick; long enough for two answers on a loaded machine.
        Duration::from_millis(1000),
        false,
    );
    assert_eq!(fan_out.len(), 3);

    let answering = tokio::spawn(async move {
        let p = politie.next_question().await;
        let o = om.next_question().await;
        let answers = (politie.answer(&p, true).await, om.answer(&o, false).await);
        (politie, om, answers)
    });
    let silent_question = silent.next_question().await;

    let first = fan_out.next().await.expect("first outcome");
    let second = fan_out.next().await.expect("second outcome");
    let third = fan_out.next().await.expect("third outcome");
    assert!(
        fan_out.next().await.is_none(),
        "three questions, three outcomes"
    );
    let (_politie, _om, (politie_answer, om_answer)) = answering.await.expect("agents");

    // The two answers settle first; the silent agent only at the deadline.
    let mut answered = [first, second];
    answered.sort_by_key(|s| s.index);
    assert_eq!(answered[0].party, oin("politie"));
    assert_eq!(answered[0].outcome, AskOutcome::Answered(politie_answer));
    assert_eq!(answered[1].party, oin("om"));
    assert_eq!(answered[1].outcome, AskOutcome::Answered(om_answer));
    assert_eq!(third.index, 2);
    assert_eq!(third.party, oin("ggd"));
    assert_eq!(
        third.outcome,
        AskOutcome::NoAnswer {
            why: NoAnswerWhy::DeadlineExceeded,
            queued: None
        }
    );
    // The deadline the agent was told is the fan-out's one deadline.
    let told = silent_question.deadline.expect("deadline");
    let told = SystemTime::try_from(told).expect("a valid timestamp");
    assert!(
        told <= SystemTime::now(),
        "the silent agent's deadline has passed"
    );
    drop(silent);
    hub.stop().await;
}

#[tokio::test]
async fn a_question_for_an_offline_agent_is_queued_and_delivered_when_it_links() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let questions = hub.hub.questioner.clone();
    let mut late = questions.late_answers();
    let party = oin("lieflijkwonen");

    let queued = queued(questions.ask(&party, bevraging(), LIMIT, true).await);
    assert_eq!(
        questions.outbox().len().expect("outbox"),
        1,
        "queued durably"
    );
    assert!(queued.until > SystemTime::now());

    let mut agent = RawAgent::link(&pki, "lieflijkwonen", &hub).await;
    let question = agent.next_question().await;
    assert_eq!(question.request_id, queued.request_id.as_str());
    assert_eq!(question.kind, Some(bevraging()));
    let answer = agent.answer(&question, true).await;

    let late = late_answer(&mut late).await;
    assert_eq!(
        late,
        LateAnswer {
            party,
            request_id: queued.request_id,
            answer
        }
    );
    assert!(
        questions.outbox().is_empty().expect("outbox"),
        "answered, so gone"
    );
    drop(agent);
    hub.stop().await;
}

#[tokio::test]
async fn a_queued_question_survives_a_hub_restart() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("durable-hub-data");
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let party = oin("degracht");

    let first = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let queued = queued(
        first
            .hub
            .questioner
            .ask(&party, bevraging(), LIMIT, true)
            .await,
    );
    first.stop().await;

    let second = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut late = second.hub.questioner.late_answers();
    assert_eq!(second.hub.questioner.outbox().len().expect("outbox"), 1);
    let mut agent = RawAgent::link(&pki, "degracht", &second).await;
    let question = agent.next_question().await;
    assert_eq!(
        question.request_id,
        queued.request_id.as_str(),
        "the same request id after the restart"
    );
    assert_eq!(question.kind, Some(bevraging()));
    let answer = agent.answer(&question, false).await;
    let late = late_answer(&mut late).await;
    assert_eq!(late.request_id, queued.request_id);
    assert_eq!(late.party, party);
    assert_eq!(late.answer, answer);
    assert!(second.hub.questioner.outbox().is_empty().expect("outbox"));
    drop(agent);
    second.stop().await;
}

#[tokio::test]
async fn an_answer_from_another_party_is_ignored() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut asked = RawAgent::link(&pki, "politie", &hub).await;
    let mut other = RawAgent::link(&pki, "amstel", &hub).await;
    let questions = hub.hub.questioner.clone();
    let party = asked.oin.clone();
    let asking =
        tokio::spawn(async move { questions.ask(&party, bevraging(), LIMIT, false).await });

    let question = asked.next_question().await;
    // Another party answers "hit" for the politie's question; the hub acknowledges
    // receipt but must not use it.
    other
        .send(agent_message::Body::Answer(hit_answer(
            &question.request_id,
            true,
        )))
        .await;
    other.expect_ack(&question.request_id).await;
    assert_eq!(
        hub.hub.questioner.waiting(),
        1,
        "still waiting for the politie"
    );

    let answer = asked.answer(&question, false).await;
    assert_eq!(asking.await.expect("ask"), AskOutcome::Answered(answer));
    drop((asked, other));
    hub.stop().await;
}

#[tokio::test]
async fn an_expired_queued_question_is_not_delivered() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("expiring-hub-data");
    // An expiry of zero: every queued question has expired by the time anyone links.
    let hub = TestHub::start_in(
        &pki,
        "127.0.0.1:0".parse().expect("addr"),
        &data_dir,
        "\n[questions]\nqueue_expiry_hours = 0\n",
    )
    .await;
    let questions = hub.hub.questioner.clone();
    let party = oin("ggd");
    queued(questions.ask(&party, bevraging(), LIMIT, true).await);
    assert_eq!(questions.outbox().len().expect("outbox"), 1);

    let mut agent = RawAgent::link(&pki, "ggd", &hub).await;
    let outbox = questions.outbox().clone();
    assert!(
        wait_until(LIMIT, || outbox.is_empty().unwrap_or(false)).await,
        "the expired question is dropped when the agent links"
    );
    let delivered = agent.next_within(Duration::from_millis(1500)).await;
    assert!(
        delivered.is_none(),
        "nothing is delivered, got {delivered:?}"
    );
    drop(agent);
    hub.stop().await;
}

/// Answers sent in a burst are each acknowledged (the hub gathers their Acks and sends
/// them together), and an answer whose Ack was still being gathered when the link was
/// lost is acknowledged when the agent sends it again on its next link.
#[tokio::test]
async fn answers_in_a_burst_are_each_acknowledged_and_one_cut_off_is_acknowledged_on_the_next_link()
{
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut agent = RawAgent::link(&pki, "politie", &hub).await;
    let party = agent.oin.clone();
    let mut asking = Vec::new();
    for _ in 0..3 {
        let (questions, party) = (hub.hub.questioner.clone(), party.clone());
        asking.push(tokio::spawn(async move {
            questions.ask(&party, bevraging(), LIMIT, false).await
        }));
    }
    let mut questions = Vec::new();
    for _ in 0..3 {
        questions.push(agent.next_question().await);
    }
    for question in &questions {
        agent
            .send(agent_message::Body::Answer(hit_answer(
                &question.request_id,
                true,
            )))
            .await;
    }
    let mut acked = Vec::new();
    for _ in 0..3 {
        match agent.next_within(LIMIT).await {
            Some(hub_message::Body::Ack(ack)) => acked.push(ack.request_id),
            other => panic!("expected an Ack, got {other:?}"),
        }
    }
    let mut asked: Vec<String> = questions.iter().map(|q| q.request_id.clone()).collect();
    asked.sort();
    acked.sort();
    assert_eq!(acked, asked, "every answer is acknowledged once");
    for asking in asking {
        assert!(matches!(
            asking.await.expect("ask"),
            AskOutcome::Answered(_)
        ));
    }

    // An answer whose Ack is being gathered when the link goes: sent again on the next
    // link, it is acknowledged (and not used twice).
    let asking = {
        let questions = hub.hub.questioner.clone();
        tokio::spawn(async move { questions.ask(&party, bevraging(), LIMIT, false).await })
    };
    let question = agent.next_question().await;
    let answer = hit_answer(&question.request_id, false);
    agent
        .send(agent_message::Body::Answer(answer.clone()))
        .await;
    drop(agent);
    assert_eq!(
        asking.await.expect("ask"),
        AskOutcome::Answered(answer.clone())
    );
    let mut again = RawAgent::link(&pki, "politie", &hub).await;
    again.send(agent_message::Body::Answer(answer)).await;
    again.expect_ack(&question.request_id).await;
    drop(again);
    hub.stop().await;
}
