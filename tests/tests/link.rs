//! The agent link's own rules: Hello first, heartbeats or the link is closed, one link
//! per party, and TLS 1.3 only.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use treiter_hub::identity::Oin;
use treiter_hub::refusals::RefusalReason;
use treiter_node_agent::link::Agent;
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::{AgentMessage, Heartbeat, Hello, HubMessage, agent_message, hub_message};

use crate::support::{Pki, TestHub, agent_config, party_channel, wait_until};

/// A hand-driven link: the test decides what the "agent" sends and when.
struct RawLink {
    outbound: mpsc::Sender<AgentMessage>,
    inbound: tonic::Streaming<HubMessage>,
}

async fn raw_link(
    pki: &Pki,
    slug: &str,
    hub: &TestHub,
    first: Option<AgentMessage>,
) -> Result<RawLink, tonic::Status> {
    let channel = party_channel(pki, slug, hub.addr).await;
    let (outbound, rx) = mpsc::channel(8);
    if let Some(first) = first {
        outbound.send(first).await.expect("queue first message");
    }
    let inbound = AgentLinkClient::new(channel)
        .link(ReceiverStream::new(rx))
        .await?
        .into_inner();
    Ok(RawLink { outbound, inbound })
}

fn hello(instance: &str) -> AgentMessage {
    AgentMessage {
        body: Some(agent_message::Body::Hello(Hello {
            agent_version: "raw-test".into(),
            covenant_version: 1,
            instance_id: instance.into(),
            ..Default::default()
        })),
    }
}

async fn expect_welcome(link: &mut RawLink) -> String {
    let first = tokio::time::timeout(Duration::from_secs(5), link.inbound.message())
        .await
        .expect("welcome within 5 s")
        .expect("no error")
        .and_then(|m| m.body);
    match first {
        Some(hub_message::Body::Welcome(w)) => w.link_id,
        other => panic!("expected Welcome, got {other:?}"),
    }
}

/// Reads until the hub ends the stream; returns its final status.
async fn read_until_closed(link: &mut RawLink, limit: Duration) -> tonic::Status {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, link.inbound.message()).await {
            Err(_) => panic!("the hub did not close the link within {limit:?}"),
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) => return tonic::Status::ok("closed"),
            Ok(Err(status)) => return status,
        }
    }
}

#[tokio::test]
async fn first_message_must_be_hello() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let beat = AgentMessage {
        body: Some(agent_message::Body::Heartbeat(Heartbeat {
            sequence: 1,
            sent_at: None,
        })),
    };
    let status = match raw_link(&pki, "om", &hub, Some(beat)).await {
        Err(status) => status,
        Ok(mut link) => read_until_closed(&mut link, Duration::from_secs(5)).await,
    };
    assert_eq!(status.code(), Code::FailedPrecondition, "{status}");
    assert!(status.message().contains("must be Hello"), "{status}");
    hub.stop().await;
}

#[tokio::test]
async fn a_hello_that_would_fake_a_status_row_is_refused_naming_the_field() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    for (version, says) in [
        (
            "0.1\u{1b}[2J\n00000009000000000009 Fake party connected".to_owned(),
            "Hello.agent_version holds a control or invisible character (U+001B) at character 4",
        ),
        (
            "1".repeat(65),
            "Hello.agent_version is 65 characters long; at most 64 are accepted",
        ),
    ] {
        let first = AgentMessage {
            body: Some(agent_message::Body::Hello(Hello {
                agent_version: version,
                covenant_version: 1,
                instance_id: "hostile".into(),
                ..Default::default()
            })),
        };
        let status = match raw_link(&pki, "om", &hub, Some(first)).await {
            Err(status) => status,
            Ok(mut link) => read_until_closed(&mut link, Duration::from_secs(5)).await,
        };
        assert_eq!(status.code(), Code::InvalidArgument, "{status}");
        assert!(status.message().contains(says), "{status}");
    }
    let oin = Oin::parse("00000003000000000003").expect("oin");
    let agent = hub.hub.agents.get(&oin);
    assert!(
        agent.is_none_or(|a| !a.connected() && a.agent_version.is_empty()),
        "a refused Hello must leave nothing in the agent table"
    );
    hub.stop().await;
}

#[tokio::test]
async fn silent_agent_is_disconnected_after_three_heartbeat_intervals() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut link = raw_link(&pki, "ggd", &hub, Some(hello("silent")))
        .await
        .expect("link");
    expect_welcome(&mut link).await;
    let oin = Oin::parse("00000005000000000006").expect("oin");
    assert!(hub.hub.agents.get(&oin).is_some_and(|a| a.connected()));
    // Heartbeat interval is 1 s in the test configuration; send nothing.
    let status = read_until_closed(&mut link, Duration::from_secs(10)).await;
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status}");
    assert!(
        status.message().contains("3 heartbeat intervals"),
        "{status}"
    );
    let agents = &hub.hub.agents;
    assert!(
        wait_until(Duration::from_secs(2), || !agents
            .get(&oin)
            .is_some_and(|a| a.connected()))
        .await,
        "a silent agent must not stay listed as connected"
    );
    drop(link.outbound);
    hub.stop().await;
}

#[tokio::test]
async fn a_newer_link_of_the_same_party_supersedes_the_older() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut old = raw_link(&pki, "amstel", &hub, Some(hello("old")))
        .await
        .expect("link");
    let old_id = expect_welcome(&mut old).await;

    let (cert, key) = pki.party("amstel");
    let agent = Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent");
    let welcome = agent.connect_once().await.expect("second link");
    assert_ne!(welcome.link_id, old_id);

    let status = read_until_closed(&mut old, Duration::from_secs(5)).await;
    assert_eq!(status.code(), Code::Aborted, "{status}");
    assert!(status.message().contains("superseded"), "{status}");
    let oin = Oin::parse("00000005000000000007").expect("oin");
    let state = hub.hub.agents.get(&oin).expect("listed");
    assert_eq!(state.link_id.as_deref(), Some(welcome.link_id.as_str()));
    assert_eq!(state.links_opened, 2);
    hub.stop().await;
}

/// The stop of `TestHub::stop` in two steps: the shutdown begins (links are told to
/// close) while the server still takes streams, the way an agent's reconnect can reach
/// the hub between the two. A link opened then must close too, or the graceful shutdown
/// waits on it for ever (a crash test's hub once did not stop within 10 s).
#[tokio::test]
async fn a_link_opened_after_the_shutdown_began_is_closed_at_once() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut before = raw_link(&pki, "politie", &hub, Some(hello("before")))
        .await
        .expect("link");
    expect_welcome(&mut before).await;
    hub.hub.begin_shutdown();
    let status = read_until_closed(&mut before, Duration::from_secs(5)).await;
    assert_eq!(status.code(), Code::Unavailable, "{status}");

    let mut after = raw_link(&pki, "amstel", &hub, Some(hello("after")))
        .await
        .expect("the server still takes the stream");
    let status = read_until_closed(&mut after, Duration::from_secs(5)).await;
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert!(status.message().contains("shutting down"), "{status}");
    hub.stop().await;
}

#[tokio::test]
async fn tls_1_2_client_is_refused() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("politie");
    let mut roots = rustls::RootCertStore::empty();
    for ca in treiter_proto::tls::load_certs(&pki.layout.ca_cert()).expect("ca") {
        roots.add(ca).expect("root");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(treiter_proto::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("tls 1.2")
        .with_root_certificates(roots)
        .with_client_auth_cert(
            treiter_proto::tls::load_certs(&cert).expect("cert"),
            treiter_proto::tls::load_key(&key).expect("key"),
        )
        .expect("client auth");
    tls.alpn_protocols = vec![treiter_proto::tls::ALPN_H2.to_vec()];
    let config = agent_config(&pki, &cert, &key, hub.addr);
    let refused =
        treiter_node_agent::tls::channel(&config.hub, Arc::new(tls), Duration::from_secs(5)).await;
    assert!(
        matches!(
            refused,
            Err(treiter_node_agent::tls::ChannelError::Connect(_))
        ),
        "a TLS 1.2 handshake must fail"
    );
    let refusals = hub.hub.refusals.clone();
    assert!(wait_until(Duration::from_secs(5), || !refusals.recent().is_empty()).await);
    assert_eq!(refusals.recent()[0].reason, RefusalReason::ProtocolVersion);
    hub.stop().await;
}
