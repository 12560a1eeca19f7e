//! Telling agents the covenant in force (article 13.2): after the Welcome to an agent
//! whose Hello named another version, and to every linked agent on a switch.

use treiter_policies::Covenant;
use treiter_proto::v1::{CovenantUpdate, HubMessage, hub_message};

use crate::state::Hub;

/// The CovenantUpdate message for `covenant`.
pub fn update_message(covenant: &Covenant) -> HubMessage {
    let text = covenant.source().to_owned();
    HubMessage {
        body: Some(hub_message::Body::CovenantUpdate(CovenantUpdate {
            version: covenant.version(),
            text_sha256: crate::log::hash::sha256(text.as_bytes()).0.to_vec(),
            text,
        })),
    }
}

/// Sends the covenant in force to every linked agent. A link whose queue is full is
/// skipped with a warning: that agent answers "covenant-version-mismatch" until it
/// reconnects, and gets the version with the Welcome then.
pub fn broadcast(hub: &Hub) {
    let covenant = hub.covenant.current();
    let message = update_message(&covenant);
    for party in hub.parties.iter() {
        let Some(link) = hub.agents.link(&party.oin) else {
            continue;
        };
        let (sender, _gone) = link.split();
        if sender.try_send(Ok(message.clone())).is_err() {
            tracing::warn!(
                oin = %party.oin,
                version = covenant.version(),
                "cannot queue the new covenant version for this agent; it gets it when it reconnects"
            );
        } else {
            tracing::info!(oin = %party.oin, version = covenant.version(), "sent the covenant in force to the agent");
        }
    }
}
