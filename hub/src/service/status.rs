//! `HubStatus`: which agents are connected, and the open witness alerts (article 10.2).
//! Any authenticated party or person may ask.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use treiter_proto::v1::hub_status_server::HubStatus;
use treiter_proto::v1::{
    AgentState as WireAgentState, GetStatusRequest, Party as WireParty, StatusReport,
    WitnessAlert as WireWitnessAlert,
};

use crate::agents::AgentState;
use crate::identity::Oin;
use crate::service::timestamp;
use crate::state::{HUB_VERSION, Hub};
use crate::witness_alerts::WitnessAlert;

pub struct StatusService {
    hub: Arc<Hub>,
}

impl StatusService {
    pub fn new(hub: Arc<Hub>) -> Self {
        StatusService { hub }
    }
}

/// The status report, as the gRPC service and the admin endpoint give it.
pub fn report(hub: &Hub) -> StatusReport {
    StatusReport {
        hub_version: HUB_VERSION.to_owned(),
        covenant_version: hub.covenant.version(),
        agents: hub
            .agents
            .snapshot(&hub.parties.current())
            .iter()
            .map(agent_to_proto)
            .collect(),
        witness_alerts: hub
            .witnesses
            .alerts
            .open()
            .iter()
            .map(|alert| alert_to_proto(hub, alert))
            .collect(),
    }
}

fn alert_to_proto(hub: &Hub, alert: &WitnessAlert) -> WireWitnessAlert {
    let party = Oin::parse(&alert.oin)
        .ok()
        .and_then(|oin| hub.parties.get(&oin).ok().map(|p| p.to_proto()))
        .unwrap_or_else(|| WireParty {
            oin: alert.oin.clone(),
            ..WireParty::default()
        });
    let at = |unix: u64| timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix));
    WireWitnessAlert {
        party: Some(party),
        tree_size: alert.tree_size,
        from_tree_size: alert.from_tree_size,
        held_tree_size: alert.held_tree_size,
        reason: alert.reason.clone(),
        detail: alert.detail.clone(),
        first_refused_at: Some(at(alert.first_refused_unix)),
        last_refused_at: Some(at(alert.last_refused_unix)),
        refusals: alert.refusals,
    }
}

fn agent_to_proto(state: &AgentState) -> WireAgentState {
    WireAgentState {
        party: Some(state.party.to_proto()),
        connected: state.connected(),
        since: state.since.map(timestamp),
        agent_version: state.agent_version.clone(),
        covenant_version: state.covenant_version,
        last_heartbeat: state.last_heartbeat.map(timestamp),
        links_opened: state.links_opened,
        certificate_not_after: state.certificate_not_after.map(timestamp),
    }
}

#[tonic::async_trait]
impl HubStatus for StatusService {
    async fn get_status(
        &self,
        request: Request<GetStatusRequest>,
    ) -> Result<Response<StatusReport>, Status> {
        self.hub.authenticate(&request)?;
        Ok(Response::new(report(&self.hub)))
    }
}
