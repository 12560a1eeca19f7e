//! Telling agents the covenant in force (article 13.2): after the Welcome to an agent
//! whose Hello named another version, and to every linked agent on a switch.

use treiter_policies::Covenant;
use treiter_proto::v1::{CovenantUpdate, HubMessage, hub_message};

use crate::identity::Oin;
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
/// reconnects or answers so (see [`send_to`]), and gets the version then.
pub fn broadcast(hub: &Hub) {
    let covenant = hub.covenant.current();
    let message = update_message(&covenant);
    for party in hub.parties.current().iter() {
        send(hub, &party.oin, &message, covenant.version());
    }
}

/// Sends the covenant in force to one party's agent, if linked: after it answered
/// "covenant-version-mismatch", so it catches up without reconnecting.
pub fn send_to(hub: &Hub, oin: &Oin) {
    let covenant = hub.covenant.current();
    send(hub, oin, &update_message(&covenant), covenant.version());
}

fn send(hub: &Hub, oin: &Oin, message: &HubMessage, version: u32) {
    let Some(link) = hub.agents.link(oin) else {
        return;
    };
    let (sender, _gone) = link.split();
    if sender.try_send(Ok(message.clone())).is_err() {
        tracing::warn!(
            oin = %oin,
            version,
            "cannot queue the covenant version in force for this agent; it gets it when it reconnects"
        );
    } else {
        tracing::info!(oin = %oin, version, "sent the covenant version in force to the agent");
    }
}
