//! `HubStatus`: which agents are connected. Any authenticated party or person may ask.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use treiter_proto::v1::hub_status_server::HubStatus;
use treiter_proto::v1::{AgentState as WireAgentState, GetStatusRequest, StatusReport};

use crate::agents::AgentState;
use crate::service::timestamp;
use crate::state::{HUB_VERSION, Hub};

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
            .snapshot(&hub.parties)
            .iter()
            .map(agent_to_proto)
            .collect(),
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
