//! Connections that do nothing are closed, and connections per peer are bounded
//! (`[limits]`): one test per bound, each asserting the reason the hub recorded. The
//! bounds are configured small, so the tests wait a second, not the defaults.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use treiter_hub::refusals::{Refusal, RefusalReason};
use treiter_proto::v1::GetStatusRequest;
use treiter_proto::v1::hub_status_client::HubStatusClient;

use crate::support::{Pki, TestHub, client_tls, raw_tls, read_until_closed, wait_until};

const GEMEENTE_OIN: &str = "00000001000000000001";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A hub with `limits` as its `[limits]` table, in a data directory of its own.
async fn hub_with(pki: &Pki, limits: &str) -> TestHub {
    let data: PathBuf = pki.dir.path().join("hub-data-limits");
    TestHub::start_in(
        pki,
        "127.0.0.1:0".parse().expect("addr"),
        &data,
        &format!("\n[limits]\n{limits}"),
    )
    .await
}

/// Waits for the first refusal for `reason` and returns it.
async fn refusal(hub: &TestHub, reason: RefusalReason) -> Refusal {
    let refusals = hub.hub.refusals.clone();
    assert!(
        wait_until(Duration::from_secs(10), || refusals
            .recent()
            .iter()
            .any(|r| r.reason == reason))
        .await,
        "no {} refusal among {:?}",
        reason.as_str(),
        refusals.recent()
    );
    refusals
        .recent()
        .into_iter()
        .find(|r| r.reason == reason)
        .expect("found above")
}

#[tokio::test]
async fn an_authenticated_connection_that_never_starts_http2_is_closed() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "http2_start_timeout_seconds = 1\n").await;
    let (cert, key) = pki.party("gemeente");
    let mut stream = raw_tls(client_tls(&pki, &cert, &key, hub.addr), hub.addr)
        .await
        .expect("the handshake succeeds");
    // Sends nothing: the hub must close it by itself, within its bound.
    let received = read_until_closed(&mut stream).await.unwrap_or_default();
    assert!(received.is_empty(), "{received:?}");
    let refusal = refusal(&hub, RefusalReason::Http2NotStarted).await;
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
    assert_eq!(refusal.address, Some(LOOPBACK));
    hub.stop().await;
}

#[tokio::test]
async fn a_connection_that_sends_something_else_than_http2_is_closed() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "http2_start_timeout_seconds = 5\n").await;
    let (cert, key) = pki.party("gemeente");
    let mut stream = raw_tls(client_tls(&pki, &cert, &key, hub.addr), hub.addr)
        .await
        .expect("the handshake succeeds");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n\r\n")
        .await
        .expect("write");
    let received = read_until_closed(&mut stream).await.unwrap_or_default();
    assert!(received.is_empty(), "{received:?}");
    let refusal = refusal(&hub, RefusalReason::Http2NotStarted).await;
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
    hub.stop().await;
}

#[tokio::test]
async fn more_handshakes_from_one_address_than_the_bound_are_refused() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "max_handshakes_per_address = 2\n").await;
    // Two connections that start no handshake hold both of the address's slots
    // (until the handshake timeout, 5 s in the tests' configuration).
    let first = tokio::net::TcpStream::connect(hub.addr).await.expect("tcp");
    let second = tokio::net::TcpStream::connect(hub.addr).await.expect("tcp");
    let mut third = tokio::net::TcpStream::connect(hub.addr).await.expect("tcp");
    let received = read_until_closed(&mut third).await.unwrap_or_default();
    assert!(received.is_empty(), "{received:?}");
    let refusal = refusal(&hub, RefusalReason::TooManyHandshakesFromAddress).await;
    assert_eq!(refusal.address, Some(LOOPBACK));
    assert_eq!(
        hub.hub
            .refusals
            .counts()
            .get(&RefusalReason::TooManyHandshakesFromAddress),
        Some(&1),
        "only the third was refused"
    );
    drop((first, second));
    // Once the slots are free again, a real client gets in.
    let channel = crate::support::party_channel(&pki, "politie", hub.addr).await;
    HubStatusClient::new(channel)
        .get_status(GetStatusRequest::default())
        .await
        .expect("a client within the bound is served");
    hub.stop().await;
}

#[tokio::test]
async fn more_connections_of_one_identity_than_the_bound_are_refused() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "max_connections_per_identity = 2\n").await;
    let status = |channel: treiter_node_agent::tls::HubChannel| async move {
        HubStatusClient::new(channel)
            .get_status(GetStatusRequest::default())
            .await
    };
    let first = crate::support::party_channel(&pki, "gemeente", hub.addr).await;
    let second = crate::support::party_channel(&pki, "gemeente", hub.addr).await;
    status(first.clone()).await.expect("first connection");
    status(second.clone()).await.expect("second connection");
    // The third connection of the same OIN: TLS completes, then the hub closes it.
    let (cert, key) = pki.party("gemeente");
    let tls = client_tls(&pki, &cert, &key, hub.addr);
    let endpoint = treiter_node_agent::config::HubEndpoint {
        url: format!("https://{}", hub.addr),
        host: "127.0.0.1".into(),
        port: hub.addr.port(),
    };
    // A channel error means the hub closed it before HTTP/2 got going: refused too.
    if let Ok((third, _)) =
        treiter_node_agent::tls::channel(&endpoint, tls, Duration::from_secs(5)).await
    {
        status(third)
            .await
            .expect_err("the third connection of one identity is refused");
    }
    let refusal = refusal(&hub, RefusalReason::TooManyConnectionsForIdentity).await;
    assert_eq!(refusal.oin.as_deref(), Some(GEMEENTE_OIN));
    assert_eq!(refusal.address, Some(LOOPBACK));
    // Another party has its own bound.
    let politie = crate::support::party_channel(&pki, "politie", hub.addr).await;
    status(politie).await.expect("another identity is served");
    // The first two still work; closing one frees its slot.
    status(first.clone()).await.expect("first still served");
    drop(first);
    let mut served = false;
    for _ in 0..50 {
        let again = crate::support::party_channel(&pki, "gemeente", hub.addr).await;
        if status(again).await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "a closed connection gives its slot back");
    drop(second);
    hub.stop().await;
}

#[tokio::test]
async fn an_admin_request_whose_headers_do_not_arrive_is_closed() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "admin_request_timeout_seconds = 1\n").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let admin = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(treiter_hub::admin::serve(
        hub.hub.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let mut half = tokio::net::TcpStream::connect(admin).await.expect("tcp");
    half.write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("write");
    let received = read_until_closed(&mut half).await.unwrap_or_default();
    assert!(
        received.is_empty(),
        "no answer to half a request: {received:?}"
    );
    // A whole request is still answered.
    let status = treiter_hub::admin::fetch_status(admin)
        .await
        .expect("status");
    assert!(!status.agents.is_empty());
    let _ = stop.send(());
    server
        .await
        .expect("admin task")
        .expect("admin endpoint stops cleanly");
    hub.stop().await;
}
