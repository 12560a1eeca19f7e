//! Several hub replicas on one PostgreSQL (issue 21): routing a question to the
//! replica a party's agent is linked to, and its answer back, through the shared store.
//!
//! Any replica serves any coordinator, so a case file assembled on replica A may need
//! agents linked to replicas B and C. Each replica:
//! - writes, every [`LINK_REFRESH`], which agents are linked to it
//!   ([`crate::tables::agent_links`]); a row older than [`LINK_FRESH`] is not followed
//!   (its replica died or the agent left), and a replica removes the rows of agents no
//!   longer linked to it;
//! - asked for a party that is not linked to it but is fresh at another replica, writes
//!   the question to that replica's mailbox ([`crate::tables::relay`], sealed under the
//!   transit key) and waits for the answer with the question's deadline, as for a local
//!   agent ([`crate::questions::Questions`]);
//! - reads its mailbox as soon as a message's writer notifies it (PostgreSQL `NOTIFY`
//!   after the write, heard on a `LISTEN` connection of its own), and every
//!   [`POLL_WHILE_LISTENING`] in case a notification was lost — every [`POLL`] (the
//!   bound on one hop) while its listening connection is down; sends each question down
//!   the party's link and remembers who asked; the answer that comes back on the link is
//!   written to the asking replica's mailbox instead of being taken locally;
//! - when a case file it completed queued deliveries for a party linked elsewhere,
//!   nudges that replica to send them (they are in the shared store already);
//! - deletes expired messages of every replica every [`SWEEP_EVERY`] (a replica that
//!   died leaves its mailbox behind).
//!
//! A question whose target replica dies before answering ends at its deadline as
//! `deadline` (the partner shows as not answering, honestly); the agent links again to
//! another replica within its backoff and is asked there next time. Nothing
//! acknowledged depends on the relay: it carries questions and answers in flight only;
//! queued questions (the outbox) and deliveries are in the shared store.
//!
//! With sled (one hub process) there is no relay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SecureRandom as _;
use treiter_proto::v1::{Answer, HubMessage, Question, hub_message};

use crate::identity::Oin;
use crate::state::Hub;
use crate::store::{Batch, Store, StoreError};
use crate::tables::agent_links::{self, AgentLink};
use crate::tables::relay::{self as mailbox, RelayBody, RelayMessage};

/// How often a replica writes its agents' link rows again.
pub const LINK_REFRESH: Duration = Duration::from_secs(1);
/// How old a link row may be and still be followed.
pub const LINK_FRESH: Duration = Duration::from_secs(5);
/// How often a replica reads its mailbox while it does not hear notifications (its
/// listening connection is down): the most a hop then adds to a question's time.
pub const POLL: Duration = Duration::from_millis(50);
/// How often a replica reads its mailbox while it listens: a message's writer notifies
/// its replica, which looks at once; this only catches a lost notification.
pub const POLL_WHILE_LISTENING: Duration = Duration::from_secs(1);
/// How often a replica deletes expired messages of every mailbox.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// How long a "send the deliveries" nudge is kept for a replica that does not read.
const NUDGE_LIFETIME: Duration = Duration::from_secs(60);

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// This replica's side of the relay.
#[derive(Debug)]
pub struct Relay {
    store: Arc<dyn Store>,
    /// A random id of this process (16 hex digits): a restarted replica is a new one.
    replica: String,
    sequence: AtomicU64,
    /// Questions this replica sent down a local link for another replica, by party and
    /// request id: the replica waiting for the answer, and until when.
    forwarded: Mutex<HashMap<(Oin, String), (String, SystemTime)>>,
}

impl Relay {
    /// A relay over `store` (shared by every replica) with a fresh replica id.
    pub fn new(store: Arc<dyn Store>) -> Result<Relay, StoreError> {
        let mut id = [0u8; 8];
        ring::rand::SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| StoreError::Keys("no randomness for the replica id".into()))?;
        Ok(Relay {
            store,
            replica: id.iter().map(|b| format!("{b:02x}")).collect(),
            sequence: AtomicU64::new(0),
            forwarded: Mutex::new(HashMap::new()),
        })
    }

    /// This replica's id.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    fn forwarded(&self) -> std::sync::MutexGuard<'_, HashMap<(Oin, String), (String, SystemTime)>> {
        // Plain inserts and removes: a poisoned map is still consistent.
        self.forwarded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The other replica `party`'s agent is linked to now, if its row is fresh.
    /// Blocking (one store read).
    pub fn route(&self, party: &Oin) -> Option<String> {
        let link = match agent_links::get(self.store.as_ref(), party.as_str()) {
            Ok(link) => link?,
            Err(error) => {
                tracing::warn!(oin = %party, %error, "cannot read where the agent is linked");
                return None;
            }
        };
        let fresh = unix_ms(SystemTime::now()).saturating_sub(link.refreshed_ms)
            <= u64::try_from(LINK_FRESH.as_millis()).unwrap_or(u64::MAX);
        (fresh && link.replica != self.replica).then_some(link.replica)
    }

    /// Writes `body` about `party` to replica `to`'s mailbox, kept until `expires`.
    /// Blocking (one store write).
    pub fn send(
        &self,
        to: &str,
        party: &Oin,
        expires: SystemTime,
        body: RelayBody,
    ) -> Result<(), StoreError> {
        let message = RelayMessage {
            from: self.replica.clone(),
            party: party.as_str().to_owned(),
            expires_ms: unix_ms(expires),
            body,
        };
        let mut batch = Batch::new();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        mailbox::put(&mut batch, to, sequence, &message);
        self.store.apply(batch)?;
        // The replica listening for its mailbox looks at once; if the notification is
        // lost it still finds the message at its next poll.
        if let Err(error) = self.store.announce(&mailbox_topic(to)) {
            tracing::warn!(%error, "cannot notify the replica of its relay message; it finds it at its next poll");
        }
        Ok(())
    }

    /// If the answer `request_id` from `party` is to a question another replica asked
    /// through this one, that replica (the entry is taken).
    pub fn origin_of(&self, party: &Oin, request_id: &str) -> Option<(String, SystemTime)> {
        self.forwarded()
            .remove(&(party.clone(), request_id.to_owned()))
    }

    /// Writes this replica's link rows for `linked` (party, generation) and removes
    /// its rows of agents no longer linked to it. Blocking.
    fn refresh_links(&self, linked: &[(Oin, u64)]) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        let mut batch = Batch::new();
        for (oin, generation) in linked {
            agent_links::put(
                &mut batch,
                oin.as_str(),
                &AgentLink {
                    replica: self.replica.clone(),
                    generation: *generation,
                    refreshed_ms: now,
                },
            );
        }
        for (oin, link) in agent_links::all(self.store.as_ref())? {
            if link.replica == self.replica && !linked.iter().any(|(o, _)| o.as_str() == oin) {
                agent_links::delete(&mut batch, &oin);
            }
        }
        self.store.apply(batch)
    }

    /// Takes this replica's waiting messages out of its mailbox (deleted in one batch
    /// before they are handled: a message is handled at most once). Blocking.
    fn take_waiting(&self) -> Result<Vec<RelayMessage>, StoreError> {
        let waiting = mailbox::waiting(self.store.as_ref(), &self.replica)?;
        if waiting.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = Batch::new();
        let mut messages = Vec::with_capacity(waiting.len());
        for (key, message) in waiting {
            mailbox::delete(&mut batch, key);
            match message {
                Ok(m) => messages.push(m),
                Err(error) => tracing::error!(%error, "a relay message is damaged; dropped"),
            }
        }
        self.store.apply(batch)?;
        Ok(messages)
    }

    /// Deletes the expired messages of every mailbox. Blocking.
    fn sweep(&self) -> Result<usize, StoreError> {
        let now = unix_ms(SystemTime::now());
        let mut batch = Batch::new();
        let mut swept = 0;
        for (key, message) in mailbox::all(self.store.as_ref())? {
            if message.map_or(true, |m| m.expires_ms < now) {
                mailbox::delete(&mut batch, key);
                swept += 1;
            }
        }
        if swept > 0 {
            self.store.apply(batch)?;
        }
        let mut forwarded = self.forwarded();
        let now = SystemTime::now();
        forwarded.retain(|_, (_, until)| *until >= now);
        Ok(swept)
    }
}

/// The topic a replica listens for: a message in its mailbox.
fn mailbox_topic(replica: &str) -> String {
    format!("relay {replica}")
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(StoreError::Keys(format!("interrupted: {e}"))))
}

/// Sends `question` (about `party`, from replica `from`) down the party's local link,
/// remembering whom to give the answer.
async fn forward_question(
    hub: &Arc<Hub>,
    relay: &Arc<Relay>,
    from: String,
    party: Oin,
    question: Question,
    expires: SystemTime,
) {
    let Some(link) = hub.agents.link(&party) else {
        // The agent left this replica; the asking one reports the partner at its
        // deadline.
        tracing::info!(oin = %party, "relayed question for an agent no longer linked here; dropped");
        return;
    };
    relay.forwarded().insert(
        (party.clone(), question.request_id.clone()),
        (from, expires),
    );
    let (sender, _gone) = link.split();
    let message = HubMessage {
        body: Some(hub_message::Body::Question(question)),
    };
    if sender.send(Ok(message)).await.is_err() {
        tracing::info!(oin = %party, "link ended while sending a relayed question");
    }
}

/// Hands an answer that arrived on `party`'s link here to the replica that asked.
/// False when it could not be written (the agent is then not acknowledged and may
/// send it again).
pub async fn return_answer(
    relay: &Arc<Relay>,
    to: String,
    party: &Oin,
    answer: Answer,
    expires: SystemTime,
) -> bool {
    let (relay, party_owned) = (Arc::clone(relay), party.clone());
    let expires = expires.max(SystemTime::now() + Duration::from_secs(5));
    match blocking(move || relay.send(&to, &party_owned, expires, RelayBody::Answer(answer))).await
    {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(oin = %party, %error, "cannot hand the answer to the replica that asked");
            false
        }
    }
}

/// Nudges the replica `party`'s agent is linked to, if another one, to send it the
/// deliveries now in the store. Blocking.
pub fn nudge_deliveries(relay: &Relay, party: &Oin) {
    if let Some(to) = relay.route(party) {
        let expires = SystemTime::now() + NUDGE_LIFETIME;
        if let Err(error) = relay.send(&to, party, expires, RelayBody::Deliveries) {
            tracing::warn!(oin = %party, %error, "cannot tell the agent's replica about new deliveries; they are sent at its next link");
        }
    }
}

/// The relay's loop: link rows, the mailbox, the sweep; until the hub shuts down.
pub async fn run(hub: Arc<Hub>, relay: Arc<Relay>) {
    let mut shutdown = hub.shutdown_signal();
    let mut last_refresh = tokio::time::Instant::now();
    let mut last_sweep = tokio::time::Instant::now();
    // What the link rows say of this replica's agents: rewritten as soon as an agent
    // links or leaves (the agent table wakes the loop), and every LINK_REFRESH to stay
    // fresh.
    let mut announced: Option<Vec<(Oin, u64)>> = None;
    // Woken by a notification of a message for this replica (PostgreSQL LISTEN).
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = relay
        .store
        .listen(&mailbox_topic(&relay.replica), Arc::clone(&wake));
    // Woken when an agent links here or leaves: the link rows are rewritten at once.
    let link_changes = hub.agents.changes();
    loop {
        let linked = hub.agents.linked();
        if announced.as_ref() != Some(&linked) || last_refresh.elapsed() >= LINK_REFRESH {
            last_refresh = tokio::time::Instant::now();
            let (r, rows) = (Arc::clone(&relay), linked.clone());
            match blocking(move || r.refresh_links(&rows)).await {
                Ok(()) => announced = Some(linked),
                Err(error) => {
                    announced = None;
                    tracing::warn!(%error, "cannot write which agents are linked to this replica");
                }
            }
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = tokio::time::Instant::now();
            let r = Arc::clone(&relay);
            match blocking(move || r.sweep()).await {
                Ok(0) => {}
                Ok(swept) => tracing::info!(swept, "expired relay messages deleted"),
                Err(error) => tracing::warn!(%error, "cannot sweep the relay"),
            }
        }
        let r = Arc::clone(&relay);
        match blocking(move || r.take_waiting()).await {
            Ok(messages) => {
                for message in messages {
                    handle(&hub, &relay, message).await;
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read this replica's relay messages"),
        }
        let poll = match &listener {
            Some(listener) if listener.is_listening() => POLL_WHILE_LISTENING,
            _ => POLL,
        };
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = wake.notified() => {}
            () = link_changes.notified() => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
    }
}

async fn handle(hub: &Arc<Hub>, relay: &Arc<Relay>, message: RelayMessage) {
    let Ok(party) = Oin::parse(&message.party) else {
        tracing::error!("a relay message names no party; dropped");
        return;
    };
    let expires = UNIX_EPOCH + Duration::from_millis(message.expires_ms);
    match message.body {
        RelayBody::Question(question) => {
            forward_question(hub, relay, message.from, party, *question, expires).await;
        }
        RelayBody::Answer(answer) => {
            // The `ask` waiting here takes it as if it came on a local link.
            hub.questioner.receive_answer(&party, answer).await;
        }
        RelayBody::Deliveries => {
            crate::deliveries::deliver_pending(Arc::clone(hub), party).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    fn party() -> Oin {
        Oin::parse("00000001000000000009").unwrap()
    }

    #[test]
    fn a_fresh_link_at_another_replica_is_followed_and_messages_reach_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let keys = crate::seal::KeyStore::open(
            &dir.path().join("keys"),
            crate::seal::MasterKey::from_bytes(&[7; 32]),
        )
        .unwrap();
        let store: Arc<dyn Store> = Arc::new(crate::seal::SealedStore::new(inner, Arc::new(keys)));
        let a = Relay::new(store.clone()).unwrap();
        let b = Relay::new(store.clone()).unwrap();
        assert_ne!(a.replica(), b.replica());
        assert_eq!(a.route(&party()), None, "nobody linked");
        b.refresh_links(&[(party(), 3)]).unwrap();
        assert_eq!(a.route(&party()).as_deref(), Some(b.replica()));
        assert_eq!(b.route(&party()), None, "its own agent is not routed");

        let question = Question {
            request_id: "R-1".into(),
            deadline: None,
            kind: None,
        };
        let expires = SystemTime::now() + Duration::from_secs(30);
        a.send(
            b.replica(),
            &party(),
            expires,
            RelayBody::Question(Box::new(question.clone())),
        )
        .unwrap();
        assert!(a.take_waiting().unwrap().is_empty(), "not for a");
        let got = b.take_waiting().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, a.replica());
        assert_eq!(got[0].body, RelayBody::Question(Box::new(question)));
        assert!(b.take_waiting().unwrap().is_empty(), "taken once");

        // An expired message is swept; the agent leaving b removes b's row.
        a.send(
            b.replica(),
            &party(),
            SystemTime::now() - Duration::from_secs(1),
            RelayBody::Deliveries,
        )
        .unwrap();
        assert_eq!(a.sweep().unwrap(), 1);
        b.refresh_links(&[]).unwrap();
        assert_eq!(a.route(&party()), None);

        // A stale row (its replica stopped refreshing) is not followed.
        let mut batch = Batch::new();
        agent_links::put(
            &mut batch,
            party().as_str(),
            &AgentLink {
                replica: b.replica().to_owned(),
                generation: 4,
                refreshed_ms: unix_ms(SystemTime::now() - LINK_FRESH - Duration::from_secs(1)),
            },
        );
        store.apply(batch).unwrap();
        assert_eq!(a.route(&party()), None);
    }
}
