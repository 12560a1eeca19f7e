//! The agents as witnesses of the decision log (article 10.2).
//!
//! Each signed checkpoint goes down every linked agent's stream, with a consistency
//! proof from the last checkpoint that agent was sent (right after the Welcome: from the
//! size its Hello says it witnessed). The agent verifies, keeps and cosigns it; the
//! cosignature comes back up the link and is verified with the witness key the agent's
//! Hello presented, then stored with the checkpoint ([`crate::log::Log::add_cosignatures`]).
//!
//! Checkpoints are signed (and so sent) after each case file whose decisions no signed
//! checkpoint covers yet (with several in flight one often covers the others), after a
//! retention sweep
//! that deleted cases, when `QueryLog` finds the log grew, and when an agent links
//! after entries were appended: every caller signs through [`checkpoint`].
//!
//! A witness is paced: it has at most one checkpoint to answer at a time, and is sent
//! at most one every [`SPACING`]. A checkpoint signed meanwhile is not queued for it;
//! once its answer has come and the spacing has passed, it is sent the newest
//! checkpoint, with a proof from the last one it was sent (a task per link sees to it,
//! so the newest always goes out, even when nothing is signed after it). So under load
//! a witness checks, keeps and cosigns the log's latest state once a second,
//! instead of once per case file (each a verification, an fsync'd state file and
//! receipts at the agent, and a stored cosigned note at the hub); every checkpoint
//! signed meanwhile is covered by the consistency proof to the next. A witness that
//! does not answer within [`ANSWER_WAIT`] is sent newer checkpoints again.
//!
//! An agent that refuses a checkpoint says so with a `CheckpointRefusal` instead of a
//! cosignature ([`on_refusal`]): the hub logs an `ALERT` and keeps the party's open alert
//! ([`crate::witness_alerts`]), shown in `hub status` and the admin `/healthz` until that
//! agent cosigns a checkpoint at least as large; the next checkpoint for that agent
//! comes with a proof from the size it says it holds.
//!
//! The witness key each party presents is pinned in the store ([`crate::tables::witness_keys`]).
//! A different key from the same party is accepted, with a warning: the link is
//! authenticated by the party's organisation certificate, and an agent whose state dir
//! was rebuilt (or whose key was rotated) must be able to witness again; the warning
//! lets the operator check that the change was intended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;

use treiter_proto::v1::{
    Checkpoint, CheckpointRefusal, Cosignature, Hello, HubMessage, hub_message,
};

use crate::agents::Outbound;
use crate::identity::Oin;
use crate::log::{LogError, NoteVerifier, SignedCheckpoint};
use crate::parties::Party;
use crate::state::Hub;
use crate::store::{Batch, Store, StoreError};
use crate::witness_alerts::WitnessAlerts;

/// One linked agent, as a witness.
struct Linked {
    /// The link's generation ([`crate::agents::LinkTicket`]): a newer link of the party
    /// replaces an older one, never the other way round.
    generation: u64,
    /// The link's outbound queue.
    tx: Outbound,
    /// The witness key from its Hello; `None`: it does not cosign.
    key: Option<NoteVerifier>,
    /// The tree size of the last checkpoint sent down this link (proofs start there).
    sent_size: u64,
    /// When the last checkpoint went down this link.
    sent_at: Option<Instant>,
    /// Whether the witness has yet to answer (cosign or refuse) the last one.
    awaiting: bool,
    /// Wakes the link's pacer when a checkpoint was held back ([`pace`]).
    held_back: Arc<Notify>,
    /// The pacer was woken for a held-back checkpoint and has not yet sent the newest:
    /// checkpoints signed meanwhile need not wake it again (one wake-up per checkpoint
    /// sent, not one per case file).
    pacer_woken: bool,
}

/// The least time between two checkpoints sent to one witness. A second: a log that
/// was rewritten shows at every partner within about as long, and with 50 partners a
/// busy hub verifies and stores up to 50 cosignatures a second, not 250 (at 200 ms, the
/// witnesses' work made a 50-partner case file's p95 1.6–1.8× as long, BENCHMARKS.md).
pub const SPACING: Duration = Duration::from_secs(1);

/// How long a witness's answer to a checkpoint is waited for before newer checkpoints
/// are sent to it anyway.
pub const ANSWER_WAIT: Duration = Duration::from_secs(10);

impl Linked {
    fn new(generation: u64, tx: Outbound, key: Option<NoteVerifier>, sent_size: u64) -> Linked {
        Linked {
            generation,
            tx,
            key,
            sent_size,
            sent_at: None,
            awaiting: false,
            held_back: Arc::new(Notify::new()),
            pacer_woken: false,
        }
    }

    /// When the pacer must look at this witness again by itself: when it is free for
    /// a checkpoint, or, while its answer is awaited, when that wait runs out (an
    /// answer wakes the pacer earlier).
    fn look_again_at(&self) -> Instant {
        match (self.free_at(), self.sent_at) {
            (Some(at), _) => at,
            (None, Some(sent_at)) => sent_at + ANSWER_WAIT,
            (None, None) => Instant::now(),
        }
    }

    /// When a checkpoint may go to this witness (`None`: once it answers).
    fn free_at(&self) -> Option<Instant> {
        let Some(sent_at) = self.sent_at else {
            return Some(Instant::now());
        };
        if self.awaiting && self.key.is_some() && sent_at.elapsed() < ANSWER_WAIT {
            return None;
        }
        Some(sent_at + SPACING)
    }

    /// A checkpoint was not sent for now: the pacer sends the newest later. It is woken
    /// only if it was not already, so a witness that is answering or within its
    /// spacing costs one wake-up per checkpoint sent, not one per checkpoint signed.
    fn hold_back(&mut self) {
        if !self.pacer_woken {
            self.pacer_woken = true;
            self.held_back.notify_one();
        }
    }

    /// Sends `cp` (with a proof from the last size sent) if this witness has not had it
    /// and is free for it; otherwise wakes the pacer to send the newest later.
    fn offer(&mut self, hub: &Hub, cp: &SignedCheckpoint, oin: &Oin) {
        let size = cp.checkpoint().size;
        if self.sent_size >= size {
            return;
        }
        if self.free_at().is_none_or(|at| at > Instant::now()) {
            self.hold_back();
            return;
        }
        if self
            .tx
            .try_send(Ok(message(hub, cp, self.sent_size)))
            .is_err()
        {
            tracing::warn!(oin = %oin, tree_size = size, "cannot queue the log checkpoint for this agent; it gets the next one");
            return;
        }
        self.sent_size = size;
        self.sent_at = Some(Instant::now());
        // Only a witness with a key answers with a cosignature.
        self.awaiting = self.key.is_some();
    }
}

/// The linked agents' witness state. Sends happen under the lock, so checkpoints go
/// down each link in order and each proof starts where the previous one ended.
#[derive(Default)]
pub struct Witnesses {
    linked: Mutex<HashMap<Oin, Linked>>,
    /// The parties' open witness alerts and the refusal counts.
    pub alerts: WitnessAlerts,
}

impl std::fmt::Debug for Witnesses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Witnesses")
    }
}

impl Witnesses {
    /// No agent linked yet; the open witness alerts an earlier run kept in `store`.
    pub fn load(store: &dyn Store) -> Result<Witnesses, StoreError> {
        Ok(Witnesses {
            linked: Mutex::default(),
            alerts: WitnessAlerts::load(store)?,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Oin, Linked>> {
        self.linked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The Checkpoint message for `cp` with a proof from `from` (an empty proof when the
/// log cannot give one, e.g. `from` beyond `cp`: the agent then refuses and alerts, as
/// it must for a log that shrank).
fn message(hub: &Hub, cp: &SignedCheckpoint, from: u64) -> HubMessage {
    let to = cp.checkpoint().size;
    let proof = if from == 0 || from > to {
        Vec::new()
    } else {
        hub.log.consistency_proof(from, to).unwrap_or_default()
    };
    HubMessage {
        body: Some(hub_message::Body::Checkpoint(Checkpoint {
            note: cp.to_bytes(),
            consistency_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
            from_tree_size: from,
        })),
    }
}

/// Signs a checkpoint (if the log grew since the last one) and sends it to every linked
/// agent that has not had it. Use this instead of `hub.log.checkpoint()`.
pub async fn checkpoint(hub: &Hub) -> Result<SignedCheckpoint, LogError> {
    let cp = hub.log.checkpoint().await?;
    signed(hub, &cp);
    Ok(cp)
}

/// `cp` was just signed (by [`checkpoint`], or with a batch of decisions): counted and
/// offered to the witnesses.
pub fn signed(hub: &Hub, cp: &SignedCheckpoint) {
    hub.metrics.checkpoint_signed(SystemTime::now());
    broadcast(hub, cp);
}

/// Sends `cp` to every linked agent that was sent a smaller one.
pub fn broadcast(hub: &Hub, cp: &SignedCheckpoint) {
    let mut linked = hub.witnesses.lock();
    linked.retain(|_, l| !l.tx.is_closed());
    for (oin, l) in linked.iter_mut() {
        l.offer(hub, cp, oin);
    }
}

/// `oin`'s witness answered the checkpoint of `size` (cosigned or refused): it may be
/// sent another (by its pacer, once the spacing has passed).
fn answered(hub: &Hub, oin: &Oin, size: u64) {
    if let Some(l) = hub.witnesses.lock().get_mut(oin) {
        // An answer to an older checkpoint (a relink's repeat) does not free it.
        if size >= l.sent_size {
            l.awaiting = false;
            l.held_back.notify_one();
        }
    }
}

/// The pacer of one link: sends the witness the newest checkpoint when one was held
/// back for it, as soon as it is free for it (after the spacing, once its answer came
/// or the wait for it ran out); ends with the link.
async fn pace(hub: std::sync::Arc<Hub>, oin: Oin, tx: Outbound, held_back: Arc<Notify>) {
    loop {
        tokio::select! {
            () = held_back.notified() => {}
            () = tx.closed() => return,
        }
        loop {
            let (free_at, look_again_at) = match hub.witnesses.lock().get(&oin) {
                Some(l) if Arc::ptr_eq(&l.held_back, &held_back) => {
                    (l.free_at(), l.look_again_at())
                }
                // Another link of the party replaced this one.
                _ => return,
            };
            if free_at.is_none_or(|at| at > Instant::now()) {
                // Its answer (or another held-back checkpoint) wakes this pacer sooner.
                tokio::select! {
                    () = tokio::time::sleep_until(look_again_at.into()) => continue,
                    () = held_back.notified() => continue,
                    () = tx.closed() => return,
                }
            }
            let mut linked = hub.witnesses.lock();
            if let Some(l) = linked.get_mut(&oin)
                && Arc::ptr_eq(&l.held_back, &held_back)
            {
                l.pacer_woken = false;
                // The newest read under the lock: a checkpoint signed after it finds
                // the pacer no longer woken and wakes it again.
                if let Some(cp) = hub.log.latest_checkpoint() {
                    l.offer(&hub, &cp, &oin);
                }
            }
            break;
        }
    }
}

/// [`on_hello`] in a task of its own.
pub fn spawn_on_hello(
    hub: std::sync::Arc<Hub>,
    party: Party,
    generation: u64,
    hello: &Hello,
    tx: Outbound,
) {
    let hello = Hello {
        witnessed_tree_size: hello.witnessed_tree_size,
        witness_key: hello.witness_key.clone(),
        ..Hello::default()
    };
    tokio::spawn(async move {
        let held_back = on_hello(&hub, &party, generation, &hello, &tx).await;
        pace(hub, party.oin.clone(), tx, held_back).await;
    });
}

/// After the Welcome: registers the link and sends the newest checkpoint (signing one
/// first if entries were appended since the last), with a proof from the size the Hello
/// says the agent witnessed, and pins its witness key. A link of generation
/// `generation` whose Hello is handled after a newer link's of the same party (it waited
/// longer for the checkpoint) registers nothing: the newer stays. Returns what wakes the
/// link's pacer ([`pace`]).
pub async fn on_hello(
    hub: &Hub,
    party: &Party,
    generation: u64,
    hello: &Hello,
    tx: &Outbound,
) -> Arc<Notify> {
    let key = match hello.witness_key.as_str() {
        "" => None,
        text => match NoteVerifier::parse(text) {
            // The name must carry the party's OIN: cosignatures are attributed by it.
            Ok(key) if key.name().contains(&party.oin.to_string()) => Some(key),
            Ok(_) => {
                tracing::warn!(oin = %party.oin, "the agent's witness key is not named after its OIN; its cosignatures are ignored");
                None
            }
            Err(error) => {
                tracing::warn!(oin = %party.oin, %error, "the agent's witness key is not usable; its cosignatures are ignored");
                None
            }
        },
    };
    let cp = match hub.log.latest_checkpoint() {
        Some(cp) if cp.checkpoint().size >= hub.log.tree_size() => Some(cp),
        _ => match checkpoint(hub).await {
            Ok(cp) => Some(cp),
            Err(error) => {
                tracing::error!(%error, "cannot sign a log checkpoint for a linking agent");
                hub.log.latest_checkpoint()
            }
        },
    };
    let mut linked = hub.witnesses.lock();
    if linked
        .get(&party.oin)
        .is_some_and(|newer| newer.generation > generation)
    {
        tracing::debug!(oin = %party.oin, "a newer link of the party registered first; this one witnesses nothing");
        return Arc::new(Notify::new());
    }
    // Under the lock: keys are pinned in the order the links register, so the pinned
    // key is the registered link's, and a change of key is seen (and logged) once.
    if key.is_some() {
        pin_key(hub, party, &hello.witness_key);
    }
    let mut witness = Linked::new(generation, tx.clone(), key, hello.witnessed_tree_size);
    if let Some(cp) = cp {
        // Sent even when sizes are equal: the agent cosigns it (again) and a log that
        // changed its root at that size is caught.
        if tx
            .try_send(Ok(message(hub, &cp, hello.witnessed_tree_size)))
            .is_ok()
        {
            witness.sent_size = cp.checkpoint().size;
            witness.sent_at = Some(Instant::now());
            witness.awaiting = witness.key.is_some();
        }
    }
    let held_back = witness.held_back.clone();
    linked.insert(party.oin.clone(), witness);
    held_back
}

/// Pins `text` as `party`'s witness key; a changed key is logged and replaces the old.
fn pin_key(hub: &Hub, party: &Party, text: &str) {
    let oin = party.oin.to_string();
    match crate::tables::witness_keys::get(hub.store.as_ref(), &oin) {
        Ok(Some(old)) if old == text.as_bytes() => return,
        Ok(Some(_)) => {
            tracing::warn!(oin = %party.oin, "the agent presented another witness key than the one pinned for its party; the new key is pinned (check that this was intended)");
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!(oin = %party.oin, %error, "cannot read the pinned witness key");
            return;
        }
    }
    let mut batch = Batch::new();
    crate::tables::witness_keys::put(&mut batch, &oin, text);
    if let Err(error) = hub.store.apply(batch) {
        tracing::error!(oin = %party.oin, %error, "cannot pin the witness key");
    }
}

/// A cosignature from `party`'s agent: verified with its presented witness key and
/// stored with the checkpoint it signs.
pub async fn on_cosignature(hub: &Hub, party: &Party, cosignature: Cosignature) {
    let key = hub
        .witnesses
        .lock()
        .get(&party.oin)
        .and_then(|l| l.key.clone());
    let Some(key) = key else {
        tracing::warn!(oin = %party.oin, "cosignature from an agent that presented no witness key; ignored");
        return;
    };
    let Some(cp) = hub.log.checkpoint_of_size(cosignature.tree_size) else {
        tracing::warn!(oin = %party.oin, tree_size = cosignature.tree_size, "cosignature of a checkpoint this hub never signed; ignored");
        return;
    };
    let mut note = cp.to_text();
    note.push_str(&cosignature.signature_line);
    if !note.ends_with('\n') {
        note.push('\n');
    }
    match hub
        .log
        .add_cosignatures(note.as_bytes(), std::slice::from_ref(&key))
        .await
    {
        Ok(_) => {
            hub.metrics.cosignature(true);
            tracing::info!(oin = %party.oin, tree_size = cosignature.tree_size, "stored the agent's cosignature");
            resolve_alert(hub, party, cosignature.tree_size);
        }
        Err(error) => {
            hub.metrics.cosignature(false);
            tracing::warn!(oin = %party.oin, tree_size = cosignature.tree_size, %error, "the agent's cosignature does not verify; ignored");
        }
    }
    answered(hub, &party.oin, cosignature.tree_size);
}

/// The party's witness agrees with the log again: its open alert, if it refused a
/// checkpoint no larger than the one it cosigned now, is resolved.
fn resolve_alert(hub: &Hub, party: &Party, cosigned_size: u64) {
    match hub
        .witnesses
        .alerts
        .resolve(hub.store.as_ref(), &party.oin, cosigned_size)
    {
        None => {}
        Some(Ok(alert)) => {
            tracing::warn!(
                oin = %party.oin,
                party = %party.name,
                cosigned_size,
                refused_size = alert.tree_size,
                reason = %alert.reason,
                refusals = alert.refusals,
                "witness alert resolved: the agent cosigned the log's checkpoint after refusing one"
            );
        }
        Some(Err(error)) => {
            tracing::error!(oin = %party.oin, %error, "cannot delete the resolved witness alert; it stays open");
        }
    }
}

/// A refusal from `party`'s agent (article 10.2): it did not keep or cosign the
/// checkpoint. Logged as an alert, counted, kept as the party's open alert (see
/// [`crate::witness_alerts`]); the next checkpoint for this agent comes with a proof
/// from the size it says it holds.
pub fn on_refusal(hub: &Hub, party: &Party, refusal: &CheckpointRefusal) {
    let recorded =
        hub.witnesses
            .alerts
            .record(hub.store.as_ref(), &party.oin, refusal, SystemTime::now());
    let alert = &recorded.alert;
    if recorded.repeated {
        tracing::warn!(
            oin = %party.oin,
            tree_size = alert.tree_size,
            reason = %alert.reason,
            refusals = alert.refusals,
            "the agent refused the same log checkpoint again (witness alert still open)"
        );
    } else {
        // Every string here was checked and escaped by `record`.
        tracing::error!(
            oin = %party.oin,
            party = %party.name,
            tree_size = alert.tree_size,
            from_tree_size = alert.from_tree_size,
            held_tree_size = alert.held_tree_size,
            reason = %alert.reason,
            detail = %alert.detail,
            "ALERT: a witness refused the hub's log checkpoint (article 10.2); check the decision log (`hub log verify`) and tell the privacy officers"
        );
    }
    if let Err(error) = &recorded.stored {
        tracing::error!(oin = %party.oin, %error, "cannot keep the witness alert durably; it is shown until the hub restarts");
    }
    // The next checkpoint (not this one again: it would be refused again at once) comes
    // with a proof from the size the agent holds.
    answered(hub, &party.oin, u64::MAX);
    if let Some(linked) = hub.witnesses.lock().get_mut(&party.oin) {
        linked.sent_size = refusal.held_tree_size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `notified` (enabled before) has been woken.
    fn woken(notified: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        notified.poll(&mut cx).is_ready()
    }

    #[test]
    fn checkpoints_held_back_wake_the_pacer_once_until_it_sends() {
        let (tx, _rx) = tokio::sync::mpsc::channel(4);
        let mut witness = Linked::new(1, tx, None, 5);
        witness.sent_at = Some(Instant::now());
        let held_back = witness.held_back.clone();

        // The pacer waits; the first checkpoint held back wakes it.
        let mut first = std::pin::pin!(held_back.notified());
        first.as_mut().enable();
        witness.hold_back();
        assert!(woken(first.as_mut()));

        // It waits again (for the spacing or an answer); the checkpoints of the next
        // case files do not wake it again.
        let mut second = std::pin::pin!(held_back.notified());
        second.as_mut().enable();
        for _ in 0..20 {
            witness.hold_back();
        }
        assert!(!woken(second.as_mut()), "woken again for every checkpoint");

        // Once it sent the newest, the next one held back wakes it again.
        witness.pacer_woken = false;
        witness.hold_back();
        assert!(woken(second.as_mut()));
    }
}
