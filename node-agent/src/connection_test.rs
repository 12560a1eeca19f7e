//! `node-agent test-connection`: does the hub accept this agent?
//!
//! Does what the link does up to the point where the hub decides about the agent:
//! TCP, the mutually authenticated TLS 1.3 handshake with the configured certificate
//! and trust anchors, and one authenticated call (`HubStatus.GetStatus`), which the
//! hub answers only for a party's certificate. It does **not** open the agent link, so
//! a running agent of the same party keeps its link (the hub allows one per party).
//!
//! The answer is one [`Verdict`] with its exit code ([`Verdict::exit_code`]), said in
//! words: accepted as which party; refused because of what; cannot reach the hub; the
//! hub's certificate not trusted by the trust anchors.

use std::sync::Arc;

use treiter_proto::v1::GetStatusRequest;
use treiter_proto::v1::hub_status_client::HubStatusClient;

use crate::config::AgentConfig;
use crate::link::LinkError;

/// The hub accepted this agent's certificate: what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The party's OIN, as the hub knows it.
    pub oin: String,
    /// The party's name in the covenant (Annex A).
    pub name: String,
    /// The party's kind (e.g. `politie`).
    pub kind: String,
    /// The hub's software version.
    pub hub_version: String,
    /// The covenant version in force at the hub.
    pub hub_covenant_version: u32,
    /// The covenant version this agent's pre-check would start with.
    pub agent_covenant_version: u32,
    /// Whether an agent of this party holds its link now (e.g. the running agent).
    pub linked_now: bool,
}

/// The outcome of a connection test.
#[derive(Debug)]
pub enum Verdict {
    /// The hub accepted this agent.
    Accepted(Accepted),
    /// The test could not start or ended otherwise: the link's own error, which
    /// says what happened in words.
    Failed(LinkError),
}

/// Exit code: the hub accepts this agent.
pub const EXIT_ACCEPTED: u8 = 0;
/// Exit code: the agent's own configuration or files cannot be used.
pub const EXIT_CONFIGURATION: u8 = 1;
/// Exit code: no connection to the hub (address, network, firewall, hub down).
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit code: the hub's certificate is not trusted by `trust_anchors`, or not issued
/// for the name in `hub_url`.
pub const EXIT_HUB_NOT_TRUSTED: u8 = 4;
/// Exit code: the hub refused this agent (its certificate, or its OIN).
pub const EXIT_REFUSED: u8 = 5;
/// Exit code: the hub answered, but not as expected.
pub const EXIT_UNEXPECTED: u8 = 6;

impl Verdict {
    /// The documented exit code of `node-agent test-connection` for this verdict.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Accepted(_) => EXIT_ACCEPTED,
            Verdict::Failed(error) => match error {
                LinkError::Setup(_) => EXIT_CONFIGURATION,
                LinkError::Unreachable { .. } | LinkError::Lost { .. } => EXIT_UNREACHABLE,
                LinkError::HubCertificate { .. } => EXIT_HUB_NOT_TRUSTED,
                LinkError::CertificateRefused(_) | LinkError::Refused { .. } => EXIT_REFUSED,
                LinkError::Closed { .. } | LinkError::Protocol(_) | LinkError::Renewed => {
                    EXIT_UNEXPECTED
                }
            },
        }
    }

    /// The verdict in words, one line or a few.
    pub fn describe(&self, config: &AgentConfig) -> String {
        match self {
            Verdict::Accepted(a) => {
                let mut text = format!(
                    "accepted: the hub at {} accepts this agent as party {} (OIN {}, {})\n  hub version {}, covenant version in force {}",
                    config.hub.url,
                    treiter_proto::text::escape_control(&a.name),
                    a.oin,
                    treiter_proto::text::escape_control(&a.kind),
                    treiter_proto::text::escape_control(&a.hub_version),
                    a.hub_covenant_version,
                );
                if a.hub_covenant_version != a.agent_covenant_version {
                    text.push_str(&format!(
                        "\n  this agent starts with covenant version {}; the hub sends version {} when the agent links",
                        a.agent_covenant_version, a.hub_covenant_version
                    ));
                }
                text.push_str(if a.linked_now {
                    "\n  an agent of this party is linked to the hub now (this test did not disturb its link)"
                } else {
                    "\n  no agent of this party is linked to the hub now"
                });
                text
            }
            // The error says what happened and, mostly, what to do; said once.
            Verdict::Failed(error) => {
                let mut text = treiter_proto::text::escape_control(&error.to_string()).into_owned();
                match error {
                    LinkError::Unreachable { .. } | LinkError::Lost { .. } => text.push_str(
                        "\n  check `hub_url`, that this machine may open TCP connections to it, and that the hub runs",
                    ),
                    LinkError::Closed { .. } | LinkError::Protocol(_) => text.push_str(
                        "\n  give this message to the hub's operator",
                    ),
                    _ => {}
                }
                text
            }
        }
    }
}

/// Tests the connection to the hub configured in `config` (module doc).
pub async fn test_connection(config: &AgentConfig) -> Verdict {
    match run(config).await {
        Ok(accepted) => Verdict::Accepted(accepted),
        Err(error) => Verdict::Failed(error),
    }
}

async fn run(config: &AgentConfig) -> Result<Accepted, LinkError> {
    let own = crate::tls::own_certificate(&config.cert)?;
    let agent_covenant_version = crate::covenant_update::load_in_force(config)
        .map(|c| c.version())
        .unwrap_or(0);
    let tls = Arc::new(crate::tls::client_config(config)?);
    let timeout = config.link.connect_timeout;
    let (channel, slot) = crate::tls::channel(&config.hub, tls.clone(), timeout)
        .await
        .map_err(|e| crate::link::channel_error(&config.hub, e))?;
    let report = tokio::time::timeout(
        timeout,
        HubStatusClient::new(channel).get_status(GetStatusRequest {}),
    )
    .await
    .map_err(|_| LinkError::Unreachable {
        url: config.hub.url.clone(),
        detail: format!(
            "the TLS connection opened, but the hub did not answer within {} s",
            timeout.as_secs()
        ),
    })?
    .map_err(|status| crate::link::classify(status, &slot));
    let report = match report {
        Ok(response) => response.into_inner(),
        // The connection broke without a readable alert: ask again, writing nothing
        // after the handshake, so that a refusal alert is not lost to a reset
        // (see `probe_alert`).
        Err(LinkError::Lost { detail }) => {
            return Err(
                match treiter_proto::client::probe_alert(&config.hub, tls, timeout).await {
                    Some(alert) => LinkError::CertificateRefused(
                        crate::link::CertificateRefusal::from_alert(alert),
                    ),
                    None => LinkError::Lost { detail },
                },
            );
        }
        Err(error) => return Err(error),
    };
    let own_state = report
        .agents
        .iter()
        .find(|a| a.party.as_ref().is_some_and(|p| p.oin == own.oin));
    let Some(state) = own_state else {
        return Err(LinkError::Protocol(format!(
            "the hub accepted the certificate of OIN {} but does not list that party in its status",
            own.oin
        )));
    };
    let party = state.party.clone().unwrap_or_default();
    Ok(Accepted {
        oin: party.oin,
        name: party.name,
        kind: party.kind,
        hub_version: report.hub_version,
        hub_covenant_version: report.covenant_version,
        agent_covenant_version,
        linked_now: state.connected,
    })
}
