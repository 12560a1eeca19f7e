//! Deliveries: the records a completed case file passed on, sent to the agent of the
//! recipient's party for its inbox, and the retention notices that follow once the
//! case's term is known (articles 3.2, 9).
//!
//! Store-and-forward like the outbox ([`crate::questions::outbox`]):
//! - [`crate::tables::deliveries`]: the `Delivery` wire messages queued per party.
//!   Sealed under the case's key (it holds field values), so it is deleted with the
//!   case. Removed when the agent acknowledges the id.
//! - [`crate::tables::delivery_holders`]: [`Holder`]s, which parties received data of a
//!   case, and the retention notice sent to them. Holds ids and a time only, no
//!   personal data, so it is not sealed.
//!
//! Delivered on every attach of the party's agent, and at once when the agent is
//! linked. [`run`] checks the holders periodically and sends a `RetentionNotice` once
//! the case registry knows the case's retention term, and a new one when a covenant
//! version that changed the term took effect; a holder whose case is gone (deleted by
//! retention) is dropped. A party that leaves the covenant has its queued deliveries
//! dropped ([`drop_party`]).

use std::sync::Arc;
use std::time::Duration;

use treiter_proto::v1::{
    self as wire, DeliveredShare, Delivery, HubMessage, RetentionNotice, hub_message,
};

use crate::cases::model::Case;
use crate::identity::Oin;
use crate::state::Hub;
use crate::store::{Batch, Store, StoreError};

/// How often [`run`] looks for cases whose retention term became known.
pub const NOTICE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

pub use crate::tables::delivery_holders::Holder;
use crate::tables::{deliveries as queue, delivery_holders as holders_table};

fn message(body: hub_message::Body) -> HubMessage {
    HubMessage { body: Some(body) }
}

/// The delivery of `file` for its requester's party, if it passed any record.
pub fn delivery_of(file: &wire::CaseFile, delete_at: Option<i64>) -> Option<(Oin, Delivery)> {
    let party = file
        .requester
        .as_ref()
        .and_then(|p| p.party.as_ref())
        .and_then(|p| Oin::parse(&p.oin).ok())?;
    let shares: Vec<DeliveredShare> = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| {
            e.decision.as_ref().is_some_and(|d| d.outcome == "permit") && !e.fields.is_empty()
        })
        .map(|e| DeliveredShare {
            source_oin: e.source.as_ref().map(|p| p.oin.clone()).unwrap_or_default(),
            category: e.category.clone(),
            subject: e.subject.clone(),
            fields: e.fields.clone(),
            obligations: e
                .decision
                .as_ref()
                .map(|d| d.obligations.clone())
                .unwrap_or_default(),
            log_leaf_index: e.provenance.as_ref().map(|p| p.log_leaf_index).unwrap_or(0),
        })
        .collect();
    if shares.is_empty() {
        return None;
    }
    Some((
        party,
        Delivery {
            delivery_id: format!("D-{}", file.id),
            case_id: file.case_id.clone(),
            case_file_id: file.id.clone(),
            purpose: file.purpose.clone(),
            shares,
            delete_at: delete_at.map(|seconds| prost_types::Timestamp { seconds, nanos: 0 }),
        },
    ))
}

/// Queues `delivery` for `party` durably, with the holder record.
pub fn enqueue(store: &dyn Store, party: &Oin, delivery: &Delivery) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    queue_in(&mut batch, store, party, delivery)?;
    store.apply(batch)
}

/// Adds to `batch` the queuing of `delivery` for `party`, with the holder record if
/// `store` has none yet. The case-file store writes a completed file and its delivery
/// in one batch ([`crate::casefile::record::save`]): a file stored without its delivery
/// queued would never reach the recipient's inbox (a crash between two writes lost it).
pub fn queue_in(
    batch: &mut Batch,
    store: &dyn Store,
    party: &Oin,
    delivery: &Delivery,
) -> Result<(), StoreError> {
    queue::put(batch, party.as_str(), delivery);
    if !holders_table::exists(store, &delivery.case_id, party.as_str())? {
        holders_table::put(batch, &delivery.case_id, party.as_str(), &Holder::default());
    }
    Ok(())
}

/// What `party`'s agent must still acknowledge: deliveries, then retention notices.
pub fn pending(store: &dyn Store, party: &Oin) -> Result<Vec<HubMessage>, StoreError> {
    let mut messages = Vec::new();
    for (_, decoded) in queue::queued(store, party.as_str())? {
        match decoded {
            Ok(d) => messages.push(message(hub_message::Body::Delivery(d))),
            Err(_) => {
                tracing::error!(oin = %party, "a queued delivery does not decode; left in place")
            }
        }
    }
    for (case, holder_party, holder) in holders(store)? {
        if holder_party != party.as_str() || holder.acknowledged {
            continue;
        }
        if let (Some(id), Some(at)) = (holder.notice_id, holder.delete_at) {
            messages.push(notice_message(id, case, at));
        }
    }
    Ok(messages)
}

fn notice_message(notice_id: String, case_id: String, delete_at: i64) -> HubMessage {
    message(hub_message::Body::RetentionNotice(RetentionNotice {
        notice_id,
        case_id,
        delete_at: Some(prost_types::Timestamp {
            seconds: delete_at,
            nanos: 0,
        }),
    }))
}

/// Every holder record: case, party OIN, record.
fn holders(store: &dyn Store) -> Result<Vec<(String, String, Holder)>, StoreError> {
    holders_table::all(store)
}

/// Removes every delivery queued for `party`, durably, returning how many: for a party
/// that left the covenant (article 2.3), whose agent can never fetch them. Its holder
/// records stay: they say which cases' data it received.
pub fn drop_party(store: &dyn Store, party: &Oin) -> Result<usize, StoreError> {
    let mut batch = Batch::new();
    let mut dropped = 0;
    for (key, _) in queue::queued(store, party.as_str())? {
        queue::delete(&mut batch, key);
        dropped += 1;
    }
    if dropped > 0 {
        store.apply(batch)?;
    }
    Ok(dropped)
}

/// Settles an Ack from `party`'s agent: a delivery leaves the store, a notice is
/// marked acknowledged. False when the id is neither (e.g. a question's Ack).
pub fn acknowledge(store: &dyn Store, party: &Oin, id: &str) -> Result<bool, StoreError> {
    if let Some(key) = queue::find(store, party.as_str(), id)? {
        let mut batch = Batch::new();
        queue::delete(&mut batch, key);
        // Durable soon, not before the next message: lost in a crash, the delivery is
        // sent again and the inbox stores it once (its shares are named by its id).
        store.apply_soon(batch)?;
        return Ok(true);
    }
    for (case, holder_party, holder) in holders(store)? {
        if holder_party == party.as_str() && holder.notice_id.as_deref() == Some(id) {
            let _writes = lock_holder_writes(store)?;
            // Read again under the lock: a newer notice written since the scan (a term
            // that changed) is not marked acknowledged by this Ack of the older one.
            let Some(holder) = holders_table::get(store, &case, &holder_party)? else {
                return Ok(true);
            };
            if holder.notice_id.as_deref() != Some(id) || holder.acknowledged {
                return Ok(true);
            }
            let holder = Holder {
                acknowledged: true,
                ..holder
            };
            let mut batch = Batch::new();
            holders_table::put(&mut batch, &case, &holder_party, &holder);
            store.apply(batch)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Held by each read-then-write of a holder record in this process: an Ack's (on a
/// blocking thread of its own) and the notice pass's.
static HOLDER_WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The turn of one read-then-write of a holder record: this process's, and with
/// several replicas on one database (each runs the notice pass, and an Ack comes in at
/// the replica its agent is linked to) the replicas' too.
struct HolderWrites {
    _process: std::sync::MutexGuard<'static, ()>,
    _replicas: Option<crate::store::SharedLock>,
}

fn lock_holder_writes(store: &dyn Store) -> Result<HolderWrites, StoreError> {
    // It guards no data: a panic while it was held leaves nothing half-changed.
    let process = HOLDER_WRITES.lock().unwrap_or_else(|e| e.into_inner());
    Ok(HolderWrites {
        _process: process,
        _replicas: store.lock_shared("delivery holders")?,
    })
}

/// Pushes `message` to `party`'s agent if it is linked now; otherwise it goes with the
/// next attach.
fn push(hub: &Hub, party: &Oin, message: HubMessage) {
    if let Some(link) = hub.agents.link(party) {
        let (sender, _gone) = link.split();
        if sender.try_send(Ok(message)).is_err() {
            tracing::warn!(oin = %party, "cannot queue a delivery on the agent's link; it is sent at the next link");
        }
    } else if let Some(relay) = &hub.relay {
        // Linked to another replica: that one sends what is in the store.
        crate::relay::nudge_deliveries(relay, party);
    }
}

/// The delivery a completed case file makes to its requester's party (with the
/// retention term of `case` when it is known), to be queued in the same batch as the
/// file ([`crate::casefile::record::save`]); `None` for an incomplete file or one that
/// passed no record.
///
/// `case` may be the case as the file was planned, not as it is now. Planning refuses
/// closed cases and a closed case never opens again, so a case closed while its file
/// was assembled was open until then: no holder of it has had a retention notice yet,
/// and [`check_notices`] sends one to each holder (the new one included) once the
/// term is known, as for a case closed after its files were delivered.
pub fn of_completed_file(
    hub: &Hub,
    file: &wire::CaseFile,
    case: Option<&Case>,
) -> Option<(Oin, Delivery)> {
    if !file.complete {
        return None;
    }
    let delete_at = case
        .and_then(|case| hub.cases.retention_until(case))
        .map(|t| t.unix_timestamp());
    delivery_of(file, delete_at)
}

/// Sends a delivery queued with its case file to the party's agent, if it is linked
/// now (otherwise it goes at the next link, from the queue).
pub fn send_queued(hub: &Hub, file_id: &str, party: &Oin, delivery: Delivery) {
    tracing::info!(file = %file_id, oin = %party, shares = delivery.shares.len(), "case file queued for delivery to the recipient's agent");
    push(hub, party, message(hub_message::Body::Delivery(delivery)));
}

/// Sends `party`'s pending deliveries and notices down its new link.
pub async fn deliver_pending(hub: Arc<Hub>, party: Oin) {
    let store = hub.store.clone();
    let owner = party.clone();
    let pending = tokio::task::spawn_blocking(move || pending(store.as_ref(), &owner)).await;
    match pending {
        Ok(Ok(messages)) => {
            for message in messages {
                push(&hub, &party, message);
            }
        }
        Ok(Err(error)) => {
            tracing::error!(oin = %party, %error, "cannot read the pending deliveries; they wait for the next link")
        }
        Err(error) => tracing::error!(%error, "reading the pending deliveries was interrupted"),
    }
}

/// Handles an Ack from `party`'s agent on a blocking thread.
pub async fn receive_ack(store: Arc<dyn Store>, party: Oin, id: String) {
    let settled =
        tokio::task::spawn_blocking(move || acknowledge(store.as_ref(), &party, &id)).await;
    if let Ok(Err(error)) = settled {
        tracing::error!(%error, "cannot settle an acknowledged delivery; it is sent again");
    }
}

/// One pass: a notice for every holder whose case's term became known; holders of
/// deleted cases are dropped (the case's deliveries went with it: they are sealed
/// under its key and deleted by the retention sweep).
pub fn check_notices(hub: &Hub) -> Result<usize, StoreError> {
    let mut sent = 0;
    for (case_id, party, holder) in holders(hub.store.as_ref())? {
        let case = match hub.cases.load(&case_id) {
            Ok(case) => case,
            Err(error) => {
                tracing::warn!(case = %case_id, %error, "cannot read the case for its retention notice");
                continue;
            }
        };
        let mut batch = Batch::new();
        let Some(case) = case else {
            let _writes = lock_holder_writes(hub.store.as_ref())?;
            holders_table::delete(&mut batch, &case_id, &party);
            hub.store.apply(batch)?;
            continue;
        };
        let Some(until) = hub.cases.retention_until(&case) else {
            continue;
        };
        let delete_at = until.unix_timestamp();
        if !notice_due(&holder, delete_at) {
            continue;
        }
        let Some(notice_id) = renew_notice(hub.store.as_ref(), &case_id, &party, delete_at)? else {
            continue;
        };
        if let Ok(oin) = Oin::parse(&party) {
            push(hub, &oin, notice_message(notice_id, case_id, delete_at));
            sent += 1;
        }
    }
    Ok(sent)
}

/// Writes a new retention notice, for the delete moment `delete_at`, into `party`'s
/// holder record of `case_id`, unless the record (read under the holders' lock, as an
/// Ack may have changed it since the pass read it) already has one for that moment or
/// is gone. The new notice's id, when one was written.
fn renew_notice(
    store: &dyn Store,
    case_id: &str,
    party: &str,
    delete_at: i64,
) -> Result<Option<String>, StoreError> {
    let _writes = lock_holder_writes(store)?;
    match holders_table::get(store, case_id, party)? {
        Some(holder) if notice_due(&holder, delete_at) => {}
        _ => return Ok(None),
    }
    let notice_id = format!("N-{case_id}-{delete_at}");
    let holder = Holder {
        notice_id: Some(notice_id.clone()),
        delete_at: Some(delete_at),
        acknowledged: false,
    };
    let mut batch = Batch::new();
    holders_table::put(&mut batch, case_id, party, &holder);
    store.apply(batch)?;
    Ok(Some(notice_id))
}

/// Whether `holder` needs a (new) notice for the delete moment `delete_at`: it has none
/// yet, or a version that changed the retention term (article 13.1) moved the moment.
fn notice_due(holder: &Holder, delete_at: i64) -> bool {
    holder.notice_id.is_none() || holder.delete_at != Some(delete_at)
}

/// Sends retention notices until the hub shuts down.
pub async fn run(hub: Arc<Hub>) {
    let mut shutdown = hub.shutdown_signal();
    loop {
        let pass = hub.clone();
        match tokio::task::spawn_blocking(move || check_notices(&pass)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(sent)) => {
                tracing::info!(sent, "retention notices sent to agents holding case data")
            }
            Ok(Err(error)) => tracing::error!(%error, "retention notice pass failed; retried"),
            Err(error) => tracing::error!(%error, "retention notice pass interrupted"),
        }
        tokio::select! {
            () = tokio::time::sleep(NOTICE_CHECK_INTERVAL) => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    fn oin() -> Oin {
        Oin::parse("00000001000000000009").unwrap()
    }

    fn delivery(id: &str) -> Delivery {
        Delivery {
            delivery_id: id.into(),
            case_id: "C-2026-0001".into(),
            case_file_id: "CF-2026-0001-0001".into(),
            purpose: "aanpak".into(),
            shares: vec![DeliveredShare::default()],
            delete_at: None,
        }
    }

    #[test]
    fn a_delivery_is_pending_until_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        enqueue(&store, &oin(), &delivery("D-1")).unwrap();
        enqueue(&store, &oin(), &delivery("D-2")).unwrap();
        assert_eq!(pending(&store, &oin()).unwrap().len(), 2);
        let other = Oin::parse("00000001000000000008").unwrap();
        assert!(pending(&store, &other).unwrap().is_empty());
        assert!(!acknowledge(&store, &other, "D-1").unwrap());
        assert!(acknowledge(&store, &oin(), "D-1").unwrap());
        assert!(!acknowledge(&store, &oin(), "D-1").unwrap(), "only once");
        assert_eq!(pending(&store, &oin()).unwrap().len(), 1);
        assert_eq!(
            holders(&store).unwrap().len(),
            1,
            "one holder per case and party"
        );
    }

    #[test]
    fn a_party_that_left_has_its_deliveries_dropped_and_its_holder_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let other = Oin::parse("00000001000000000008").unwrap();
        enqueue(&store, &oin(), &delivery("D-1")).unwrap();
        enqueue(&store, &oin(), &delivery("D-2")).unwrap();
        enqueue(&store, &other, &delivery("D-3")).unwrap();
        assert_eq!(drop_party(&store, &oin()).unwrap(), 2);
        assert!(pending(&store, &oin()).unwrap().is_empty());
        assert_eq!(
            pending(&store, &other).unwrap().len(),
            1,
            "others keep theirs"
        );
        assert_eq!(holders(&store).unwrap().len(), 2);
        assert_eq!(drop_party(&store, &oin()).unwrap(), 0);
    }

    /// An Ack of a notice and a newer notice for the same holder (a covenant version
    /// moved the delete moment) at the same moment: the newer notice always stays,
    /// unacknowledged (an Ack written after it from an earlier read would hide it).
    #[test]
    fn an_ack_of_an_older_notice_never_hides_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let d = delivery("D-1");
        enqueue(&store, &oin(), &d).unwrap();
        let (case, party) = (d.case_id.as_str(), oin().to_string());
        for round in 0..200 {
            let older = 1_000 + 2 * round;
            let older_id = renew_notice(&store, case, &party, older)
                .unwrap()
                .expect("the first notice");
            let at_once = std::sync::Barrier::new(2);
            let newer_id = std::thread::scope(|s| {
                s.spawn(|| {
                    at_once.wait();
                    // False when the newer notice was written before the Ack looked.
                    acknowledge(&store, &oin(), &older_id).unwrap();
                });
                let newer = s.spawn(|| {
                    at_once.wait();
                    renew_notice(&store, case, &party, older + 1).unwrap()
                });
                newer.join().unwrap().expect("the newer notice")
            });
            let holder = holders_table::get(&store, case, &party).unwrap().unwrap();
            assert_eq!(
                (holder.notice_id.as_deref(), holder.acknowledged),
                (Some(newer_id.as_str()), false),
                "round {round}"
            );
        }
    }

    #[test]
    fn a_moved_delete_moment_needs_a_new_notice() {
        let sent = Holder {
            notice_id: Some("N-C-100".into()),
            delete_at: Some(100),
            acknowledged: true,
        };
        assert!(notice_due(&Holder::default(), 100));
        assert!(!notice_due(&sent, 100));
        assert!(notice_due(&sent, 50), "a shorter term (art. 9) moves it");
    }
}
