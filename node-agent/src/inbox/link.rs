//! Deliveries and retention notices arriving on the link: stored on a blocking thread
//! (the inbox fsyncs), then acknowledged. Nothing is acknowledged that was not stored:
//! the hub keeps what it has no Ack for and sends it again on the next link.

use std::sync::Arc;

use tokio::sync::mpsc;
use treiter_proto::v1::{Ack, AgentMessage, HubMessage, agent_message, hub_message};

use super::Inbox;

/// Takes a Delivery or RetentionNotice out of the link's stream and handles it in the
/// background; every other message is given back to the caller.
pub fn intercept(
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
    tokio::spawn(async move {
        let stored = tokio::task::spawn_blocking(move || store(&inbox, body)).await;
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
