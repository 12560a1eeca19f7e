//! Accepted agents are listed by OIN: in the hub's agent table, over gRPC
//! (`HubStatus.GetStatus`, called with a person certificate) and on the admin endpoint.

use std::sync::Arc;
use std::time::Duration;

use treiter_certs_dev::PARTIES;
use treiter_hub::identity::Oin;
use treiter_node_agent::link::{Agent, LinkStatus};
use treiter_proto::v1::GetStatusRequest;
use treiter_proto::v1::hub_status_client::HubStatusClient;

use crate::support::{Pki, TestHub, agent_config, person_channel, wait_until};

const POLITIE_OIN: &str = "00000002000000000002";

#[tokio::test]
async fn accepted_agent_is_listed_by_oin() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("politie");
    let agent = Arc::new(Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent"));
    let mut status = agent.status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let agent = agent.clone();
        tokio::spawn(async move {
            agent
                .run(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| matches!(s, LinkStatus::Connected { .. })),
    )
    .await
    .expect("agent connects within 10 s")
    .expect("agent alive");
    match &*status.borrow() {
        LinkStatus::Connected {
            party_oin,
            party_name,
            ..
        } => {
            assert_eq!(party_oin, POLITIE_OIN);
            assert_eq!(party_name, "Politie Eenheid Amsterdam");
        }
        other => panic!("not connected: {other:?}"),
    }

    // The hub's own table.
    let oin = Oin::parse(POLITIE_OIN).expect("oin");
    let state = hub.hub.agents.get(&oin).expect("listed");
    assert!(state.connected());
    assert_eq!(state.agent_version, env!("CARGO_PKG_VERSION"));

    // Heartbeats flow (interval 1 s in the test configuration).
    let table = &hub.hub.agents;
    assert!(
        wait_until(Duration::from_secs(5), || table
            .get(&oin)
            .is_some_and(|s| s.last_heartbeat.is_some()))
        .await,
        "no heartbeat from the agent"
    );

    // Over gRPC, with a coordinator's person certificate.
    let channel = person_channel(&pki, "p-gemeente-004", hub.addr).await;
    let report = HubStatusClient::new(channel)
        .get_status(GetStatusRequest {})
        .await
        .expect("status")
        .into_inner();
    assert_eq!(report.agents.len(), PARTIES.len());
    let connected: Vec<_> = report
        .agents
        .iter()
        .filter(|a| a.connected)
        .filter_map(|a| a.party.as_ref().map(|p| p.oin.as_str()))
        .collect();
    assert_eq!(connected, [POLITIE_OIN]);

    let _ = stop.send(());
    running.await.expect("agent task");
    assert!(
        wait_until(Duration::from_secs(5), || !table
            .get(&oin)
            .is_some_and(|s| s.connected()))
        .await,
        "the hub must notice the agent left"
    );
    hub.stop().await;
}

#[tokio::test]
async fn admin_endpoint_lists_every_party_and_refusals() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let admin_addr = admin.local_addr().expect("addr");
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = tokio::spawn(treiter_hub::admin::serve(hub.hub.clone(), admin, async {
        let _ = admin_stopped.await;
    }));

    let (cert, key) = pki.party("degracht");
    let agent = Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent");
    let welcome = agent.connect_once().await.expect("linked");
    assert_eq!(welcome.party.expect("party").oin, "00000004000000000004");
    let (cert, key) = pki.test_cert(treiter_certs_dev::TestCert::UnknownOin);
    let refused = Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent");
    refused.connect_once().await.expect_err("refused");

    let status = treiter_hub::admin::fetch_status(admin_addr)
        .await
        .expect("status");
    assert_eq!(status.agents.len(), PARTIES.len());
    let degracht = status
        .agents
        .iter()
        .find(|a| a.oin == "00000004000000000004")
        .expect("listed");
    assert_eq!(degracht.name, "Woonstichting De Gracht");
    assert_eq!(degracht.kind, "woningcorporatie");
    assert_eq!(status.refusals.get("oin-not-a-party"), Some(&1));

    let _ = stop_admin.send(());
    admin_task.await.expect("admin task").expect("admin served");
    hub.stop().await;
}
