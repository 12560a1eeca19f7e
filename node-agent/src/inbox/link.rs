//! Deliveries and retention notices arriving on the link: stored on a blocking thread
//! (the inbox fsyncs), then acknowledged. Nothing is acknowledged that was not stored:
//! the hub keeps what it has no Ack for and sends it again on the next link.
//!
//! At most [`STORING`] deliveries are stored at a time; the link reads its next
//! message only once one of them is done. Storing costs fsyncs under the inbox's lock,
//! so a hub that delivers faster than the disk syncs must wait for the agent (HTTP/2
//! flow control holds it back) instead of the agent parking every delivery on a
//! blocking thread of its own: that took up to 512 threads and grew the recipient's
//! memory with the backlog (issue 20).

use std::sync::Arc;

use tokio::sync::mpsc;
use treiter_proto::v1::{Ack, AgentMessage, HubMessage, agent_message, hub_message};

use super::Inbox;

/// Deliveries and notices stored at once, at most.
pub const STORING: usize = 2;

/// Takes a Delivery or RetentionNotice out of the link's stream and handles it in the
/// background, once fewer than [`STORING`] are being stored (until then it waits);
/// every other message is given back to the caller at once.
pub async fn intercept(
    inbox: Option<&Arc<Inbox>>,
    message: HubMessage,
    outbound: &mpsc::Sender<AgentMessage>,
) -> Option<HubMessage> {
    let body = match message.body {
        Some(body @ (hub_message::Body::Delivery(_) | hub_message::Body::RetentionNotice(_))) => {
            body
        }
        body => return Some(HubMessage { body }),
    };
    let Some(inbox) = inbox.cloned() else {
        // Not acknowledged: the hub keeps the data until an agent with an inbox links.
        tracing::warn!(
            "the hub delivered case data, but this agent has no [inbox] configured; not acknowledged"
        );
        return None;
    };
    let outbound = outbound.clone();
    // The semaphore is never closed, so this only waits.
    let Ok(permit) = inbox.storing.clone().acquire_owned().await else {
        return None;
    };
    tokio::spawn(async move {
        let stored = tokio::task::spawn_blocking(move || store(&inbox, body)).await;
        drop(permit);
        let ack = match stored {
            Ok(Some(id)) => id,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, "storing in the inbox was interrupted; not acknowledged");
                return;
            }
        };
        let message = AgentMessage {
            body: Some(agent_message::Body::Ack(Ack { request_id: ack })),
        };
        // A closed link: the hub sends it again on the next one; storing is idempotent.
        let _ = outbound.send(message).await;
    });
    None
}

/// Stores the delivery or applies the notice; the id to acknowledge on success.
fn store(inbox: &Inbox, body: hub_message::Body) -> Option<String> {
    match body {
        hub_message::Body::Delivery(delivery) => match inbox.receive(&delivery, super::now()) {
            Ok(stored) => {
                tracing::info!(
                    delivery = %delivery.delivery_id,
                    case = %delivery.case_id,
                    stored = stored.len(),
                    "delivery stored in the inbox"
                );
                Some(delivery.delivery_id)
            }
            Err(error) => {
                tracing::error!(%error, delivery = %delivery.delivery_id, "cannot store the delivery; not acknowledged");
                None
            }
        },
        hub_message::Body::RetentionNotice(notice) => match inbox.apply_notice(&notice) {
            Ok(changed) => {
                tracing::info!(case = %notice.case_id, changed, "retention term applied to the inbox");
                Some(notice.notice_id)
            }
            Err(error) => {
                tracing::error!(%error, case = %notice.case_id, "cannot apply the retention notice; not acknowledged");
                None
            }
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;

    use treiter_proto::v1::{DeliveredShare, Delivery};

    use super::*;

    fn delivery(n: usize) -> HubMessage {
        HubMessage {
            body: Some(hub_message::Body::Delivery(Delivery {
                delivery_id: format!("D-{n}"),
                case_id: "C-1".into(),
                case_file_id: "CF-1".into(),
                purpose: "aanpak".into(),
                shares: vec![DeliveredShare {
                    source_oin: "00000001000000000001".into(),
                    category: "huurgegevens".into(),
                    ..DeliveredShare::default()
                }],
                delete_at: None,
            })),
        }
    }

    /// While the inbox is busy (its lock held here, as by a slow fsync), the link takes
    /// [`STORING`] deliveries and then waits, instead of parking each further delivery
    /// on a blocking thread of its own (before: one thread per delivery, up to 512, and
    /// the backlog in memory).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[expect(
        clippy::await_holding_lock,
        reason = "the guard held across the awaits is what keeps the inbox busy; the stores take the lock on blocking threads, never on this task"
    )]
    async fn the_link_waits_while_the_inbox_stores_as_many_as_it_may() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Arc::new(
            Inbox::open(&dir.path().join("inbox"), &dir.path().join("inbox.key")).unwrap(),
        );
        let (tx, mut rx) = mpsc::channel::<AgentMessage>(16);
        let busy = inbox.guard();
        for n in 0..STORING {
            assert!(intercept(Some(&inbox), delivery(n), &tx).await.is_none());
        }
        let mut next = std::pin::pin!(intercept(Some(&inbox), delivery(STORING), &tx));
        let waiting =
            std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx).is_pending())).await;
        assert!(waiting, "a further delivery waits while the inbox is busy");
        drop(busy);
        assert!(next.await.is_none());
        let mut acked = Vec::new();
        while acked.len() <= STORING {
            match rx.recv().await.and_then(|m| m.body) {
                Some(agent_message::Body::Ack(ack)) => acked.push(ack.request_id),
                other => panic!("{other:?}"),
            }
        }
        acked.sort();
        assert_eq!(acked, ["D-0", "D-1", "D-2"]);
    }
}
