//! The table of node agents and their links: who is connected now, since when, with
//! which software and covenant version.
//!
//! One party has at most one live link. A new link from the same party supersedes the
//! old one (the usual cause is an agent restarted while its old TCP connection is
//! still half-open); each link carries a generation number so that the old link's
//! clean-up cannot mark the new one disconnected.
//!
//! The table also holds each live link's outbound sender, so that questions can be
//! pushed down it ([`AgentTable::link`]). The table is a cheap, shared handle: the hub's
//! question routing keeps a clone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::{mpsc, watch};
use tonic::Status;
use treiter_proto::v1::HubMessage;

use crate::identity::Oin;
use crate::parties::{Party, PartyDirectory};

/// What the table knows of one party's agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentState {
    pub party: Party,
    /// The id of the open link; `None` while disconnected.
    pub link_id: Option<String>,
    /// When the open link was opened, or the last one closed.
    pub since: Option<SystemTime>,
    pub agent_version: String,
    pub covenant_version: u32,
    /// The agent process's random id from its Hello.
    pub instance_id: String,
    pub last_heartbeat: Option<SystemTime>,
    pub links_opened: u64,
    /// When the certificate of the current or last link expires (a rotated certificate
    /// shows here once the agent reconnects with it).
    pub certificate_not_after: Option<SystemTime>,
}

impl AgentState {
    fn new(party: Party) -> Self {
        AgentState {
            party,
            link_id: None,
            since: None,
            agent_version: String::new(),
            covenant_version: 0,
            instance_id: String::new(),
            last_heartbeat: None,
            links_opened: 0,
            certificate_not_after: None,
        }
    }

    pub fn connected(&self) -> bool {
        self.link_id.is_some()
    }
}

/// What an agent said about itself in its Hello.
#[derive(Clone, Copy, Debug)]
pub struct AgentHello<'a> {
    pub agent_version: &'a str,
    pub covenant_version: u32,
    pub instance_id: &'a str,
    /// When the certificate the link was opened with expires.
    pub certificate_not_after: Option<SystemTime>,
    /// The agent answers a bevraging about several subjects (`Hello` in
    /// agent_link.proto).
    pub bevraging_of_many_subjects: bool,
    /// The agent answers a share request for several subjects.
    pub share_request_of_many_subjects: bool,
}

/// One item of a link's outbound stream: the agent link's transport is the gRPC
/// stream itself, so an item is a message or the status that ends the stream.
pub type LinkItem = Result<HubMessage, Status>;

/// The sending half of a link's outbound stream (what the hub pushes to the agent).
pub type Outbound = mpsc::Sender<LinkItem>;

/// A registered link: its generation, and the receiver that fires when a newer link
/// of the same party supersedes it.
#[derive(Debug)]
pub struct LinkTicket {
    pub link_id: String,
    pub generation: u64,
    pub superseded: watch::Receiver<bool>,
}

/// A live link, for pushing messages down it.
///
/// Hold it only while sending: a clone of the sender keeps the agent's response stream
/// open. Race every send against [`LinkHandle::gone`], so that a link that ends (or an
/// agent that stops reading) never holds a sender for long.
#[derive(Debug)]
pub struct LinkHandle {
    pub link_id: String,
    pub generation: u64,
    pub sender: Outbound,
    gone: watch::Receiver<bool>,
}

impl LinkHandle {
    /// Completes when this link is superseded or closed.
    pub async fn gone(&mut self) {
        link_gone(&mut self.gone).await
    }

    /// Splits the handle, so that the sender can be dropped while the caller keeps
    /// watching whether the link is gone.
    pub fn split(self) -> (Outbound, LinkGone) {
        (self.sender, LinkGone(self.gone))
    }
}

/// Completes when a link is superseded or closed (see [`LinkHandle::split`]).
#[derive(Debug)]
pub struct LinkGone(watch::Receiver<bool>);

impl LinkGone {
    pub async fn gone(&mut self) {
        link_gone(&mut self.0).await
    }
}

async fn link_gone(gone: &mut watch::Receiver<bool>) {
    // `true` means superseded; a dropped sender means closed (see `close`).
    while !*gone.borrow_and_update() {
        if gone.changed().await.is_err() {
            return;
        }
    }
}

#[derive(Debug)]
struct Entry {
    state: AgentState,
    generation: u64,
    supersede: Option<watch::Sender<bool>>,
    /// The live link's outbound sender; `None` while disconnected.
    outbound: Option<Outbound>,
    /// What the link's Hello said of bevragingen about several subjects.
    bevraging_of_many_subjects: bool,
    /// What the link's Hello said of share requests for several subjects.
    share_request_of_many_subjects: bool,
}

/// The agents of every party, by OIN. Clones share one table.
#[derive(Clone, Debug, Default)]
pub struct AgentTable {
    inner: Arc<Mutex<Inner>>,
    /// Woken when a link becomes reachable or ends ([`AgentTable::changes`]).
    changed: Arc<tokio::sync::Notify>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: BTreeMap<Oin, Entry>,
    next_generation: u64,
}

impl AgentTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new link of `party`, superseding any older one. Nothing can be pushed
    /// down it until [`AgentTable::attach`] gives its outbound sender.
    pub fn open(&self, party: &Party, hello: AgentHello<'_>, now: SystemTime) -> LinkTicket {
        let mut inner = self.lock();
        inner.next_generation += 1;
        let generation = inner.next_generation;
        let link_id = format!("link-{generation}");
        let (tx, rx) = watch::channel(false);
        let entry = inner
            .entries
            .entry(party.oin.clone())
            .or_insert_with(|| Entry {
                state: AgentState::new(party.clone()),
                generation: 0,
                supersede: None,
                outbound: None,
                bevraging_of_many_subjects: false,
                share_request_of_many_subjects: false,
            });
        if let Some(old) = entry.supersede.take() {
            if entry.state.instance_id != hello.instance_id {
                // Usually an agent restarted before the hub noticed its old link die;
                // if it repeats, two agents run with one certificate and take the link
                // from each other.
                tracing::warn!(
                    oin = %party.oin,
                    "a second agent process of this party linked; the older link is closed (if this repeats, two agents share one certificate)"
                );
            }
            let _ = old.send(true);
        }
        entry.generation = generation;
        entry.supersede = Some(tx);
        entry.outbound = None;
        entry.state.party = party.clone();
        entry.state.link_id = Some(link_id.clone());
        entry.state.since = Some(now);
        entry.state.agent_version = hello.agent_version.to_owned();
        entry.state.covenant_version = hello.covenant_version;
        entry.state.instance_id = hello.instance_id.to_owned();
        entry.state.last_heartbeat = None;
        entry.state.links_opened += 1;
        entry.state.certificate_not_after = hello.certificate_not_after;
        entry.bevraging_of_many_subjects = hello.bevraging_of_many_subjects;
        entry.share_request_of_many_subjects = hello.share_request_of_many_subjects;
        LinkTicket {
            link_id,
            generation,
            superseded: rx,
        }
    }

    /// Woken whenever the set of [`AgentTable::linked`] parties may have changed: for a
    /// replica that tells the others which agents are linked to it (`relay`).
    pub fn changes(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.changed)
    }

    /// Makes the link of this generation reachable through `outbound`. The link handler
    /// calls this only after the Welcome is queued, so that nothing (a question) can
    /// overtake the Welcome.
    pub fn attach(&self, oin: &Oin, generation: u64, outbound: Outbound) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(oin)
            && entry.generation == generation
            && entry.supersede.is_some()
        {
            entry.outbound = Some(outbound);
            self.changed.notify_one();
        }
    }

    /// Ends the live link of `oin`, if any, as a newer link would: its handler closes the
    /// stream with the reason it finds (for a party that left the covenant: that it is
    /// no longer a party). Nothing can be pushed down it from now on.
    pub fn end_link(&self, oin: &Oin) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(oin) {
            entry.outbound = None;
            if let Some(supersede) = &entry.supersede {
                let _ = supersede.send(true);
            }
            self.changed.notify_one();
        }
    }

    /// Notes a heartbeat on the link of this generation.
    pub fn heartbeat(&self, oin: &Oin, generation: u64, now: SystemTime) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(oin)
            && entry.generation == generation
        {
            entry.state.last_heartbeat = Some(now);
        }
    }

    /// Marks the link of this generation closed; a newer link is left alone.
    pub fn close(&self, oin: &Oin, generation: u64, now: SystemTime) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(oin)
            && entry.generation == generation
        {
            entry.state.link_id = None;
            entry.state.since = Some(now);
            // Dropping the watch sender tells every `LinkHandle` of this link it is gone.
            entry.supersede = None;
            entry.outbound = None;
            self.changed.notify_one();
        }
    }

    /// Whether `oin`'s agent is linked now and said in its Hello that it answers a
    /// bevraging about several subjects.
    pub fn asks_many_subjects(&self, oin: &Oin) -> bool {
        self.lock().entries.get(oin).is_some_and(|e| {
            e.bevraging_of_many_subjects && e.supersede.is_some() && e.outbound.is_some()
        })
    }

    /// Whether `oin`'s agent is linked now and said in its Hello that it answers a
    /// share request for several subjects.
    pub fn shares_many_subjects(&self, oin: &Oin) -> bool {
        self.lock().entries.get(oin).is_some_and(|e| {
            e.share_request_of_many_subjects && e.supersede.is_some() && e.outbound.is_some()
        })
    }

    /// Every party whose agent is linked now (reachable), with its link's generation.
    pub fn linked(&self) -> Vec<(Oin, u64)> {
        self.lock()
            .entries
            .iter()
            .filter(|(_, e)| e.supersede.is_some() && e.outbound.is_some())
            .map(|(oin, e)| (oin.clone(), e.generation))
            .collect()
    }

    /// The live link of `oin`, if its agent is linked now.
    pub fn link(&self, oin: &Oin) -> Option<LinkHandle> {
        let inner = self.lock();
        let entry = inner.entries.get(oin)?;
        let (Some(supersede), Some(sender), Some(link_id)) =
            (&entry.supersede, &entry.outbound, &entry.state.link_id)
        else {
            return None;
        };
        Some(LinkHandle {
            link_id: link_id.clone(),
            generation: entry.generation,
            sender: sender.clone(),
            gone: supersede.subscribe(),
        })
    }

    /// The state of every party of the covenant, connected or not, in OIN order.
    pub fn snapshot(&self, parties: &PartyDirectory) -> Vec<AgentState> {
        let inner = self.lock();
        parties
            .iter()
            .map(|party| {
                inner
                    .entries
                    .get(&party.oin)
                    .map(|e| e.state.clone())
                    .unwrap_or_else(|| AgentState::new(party.clone()))
            })
            .collect()
    }

    /// The state of one party's agent.
    pub fn get(&self, oin: &Oin) -> Option<AgentState> {
        self.lock().entries.get(oin).map(|e| e.state.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party() -> Party {
        Party {
            oin: Oin::parse("00000002000000000002").unwrap(),
            name: "Politie".into(),
            kind: treiter_policies::vocab::PartyKind::Politie,
        }
    }

    fn outbound() -> Outbound {
        mpsc::channel(1).0
    }

    #[tokio::test]
    async fn an_ended_link_tells_its_handler_and_takes_no_more_messages() {
        let table = AgentTable::default();
        let hello = AgentHello {
            agent_version: "0.1.0",
            covenant_version: 1,
            instance_id: "a",
            certificate_not_after: None,
            bevraging_of_many_subjects: false,
            share_request_of_many_subjects: false,
        };
        let mut ticket = table.open(&party(), hello, SystemTime::now());
        table.attach(&party().oin, ticket.generation, outbound());
        assert!(table.link(&party().oin).is_some());
        table.end_link(&party().oin);
        assert!(
            table.link(&party().oin).is_none(),
            "nothing is pushed any more"
        );
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            ticket.superseded.changed(),
        )
        .await
        .expect("the link's handler is told")
        .expect("the table still holds the sender");
        // A party never linked: nothing to end.
        table.end_link(&Oin::parse("00000004000000000004").unwrap());
    }

    #[tokio::test]
    async fn a_link_handle_is_gone_when_superseded_or_closed() {
        let table = AgentTable::default();
        let now = SystemTime::now();
        let hello = AgentHello {
            agent_version: "0.1.0",
            covenant_version: 1,
            instance_id: "a",
            certificate_not_after: None,
            bevraging_of_many_subjects: false,
            share_request_of_many_subjects: false,
        };
        assert!(table.link(&party().oin).is_none(), "never linked");
        let first = table.open(&party(), hello, now);
        assert!(table.link(&party().oin).is_none(), "not before attach");
        table.attach(&party().oin, first.generation, outbound());
        let mut handle = table.link(&party().oin).expect("linked");
        assert_eq!(handle.generation, first.generation);
        let second = table.open(&party(), hello, now);
        tokio::time::timeout(std::time::Duration::from_secs(1), handle.gone())
            .await
            .expect("a superseded link is gone");
        table.attach(&party().oin, first.generation, outbound());
        assert!(
            table.link(&party().oin).is_none(),
            "a stale attach is ignored"
        );
        table.attach(&party().oin, second.generation, outbound());
        let (_sender, mut gone) = table.link(&party().oin).expect("linked").split();
        table.close(&party().oin, second.generation, now);
        tokio::time::timeout(std::time::Duration::from_secs(1), gone.gone())
            .await
            .expect("a closed link is gone");
        assert!(table.link(&party().oin).is_none(), "closed");
    }

    #[test]
    fn a_newer_link_supersedes_and_the_old_close_does_not_disconnect_it() {
        let table = AgentTable::default();
        let now = SystemTime::now();
        let hello = |version, instance| AgentHello {
            agent_version: version,
            covenant_version: 1,
            instance_id: instance,
            certificate_not_after: None,
            bevraging_of_many_subjects: false,
            share_request_of_many_subjects: false,
        };
        let first = table.open(&party(), hello("0.1.0", "a"), now);
        let second = table.open(&party(), hello("0.1.1", "b"), now);
        assert!(
            *first.superseded.borrow(),
            "the first link must be told to close"
        );
        assert!(!*second.superseded.borrow());
        table.close(&party().oin, first.generation, now);
        let state = table.get(&party().oin).unwrap();
        assert_eq!(state.link_id.as_deref(), Some(second.link_id.as_str()));
        assert_eq!(state.agent_version, "0.1.1");
        assert_eq!(state.links_opened, 2);
        table.close(&party().oin, second.generation, now);
        assert!(!table.get(&party().oin).unwrap().connected());
    }

    #[test]
    fn snapshot_lists_every_party_including_never_connected() {
        let table = AgentTable::default();
        let other = Party {
            oin: Oin::parse("00000001000000000001").unwrap(),
            name: "Gemeente".into(),
            kind: treiter_policies::vocab::PartyKind::Gemeente,
        };
        let dir = PartyDirectory::new([party(), other]);
        let hello = AgentHello {
            agent_version: "0.1.0",
            covenant_version: 1,
            instance_id: "a",
            certificate_not_after: None,
            bevraging_of_many_subjects: false,
            share_request_of_many_subjects: false,
        };
        table.open(&party(), hello, SystemTime::now());
        let snap = table.snapshot(&dir);
        assert_eq!(snap.len(), 2);
        assert!(!snap[0].connected(), "gemeente never connected");
        assert!(snap[1].connected(), "politie connected");
    }
}
