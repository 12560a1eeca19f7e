//! The hub on PostgreSQL (issue 21), with a real server started by the test:
//! - a real hub process keeps every acknowledged case through `kill -9`, round after
//!   round, and its retried requests find their cases instead of making new ones;
//! - when the database goes away the hub fails closed (nothing acknowledged that was
//!   not committed) and serves again once the database is back, without a restart;
//! - `hub check-config` reads both databases without changing them.
//!
//! The case-file walk-through on PostgreSQL is in `hubctl.rs`, the `Store` contract in
//! the hub's `store::conformance`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_testpg::TestPostgres;

use crate::support::{
    Pki, TestHub, agent_config, hub_config_text, postgres_store_config, stable_port, workspace_bin,
};

const SDR_OOST: &str = "p-gemeente-004";
/// Kill rounds of the process test: each kills the hub at a different moment of a
/// stream of case registrations.
const ROUNDS: usize = 4;

/// Kills the child on drop, so a failing test leaves no processes behind.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn_hub(config: &Path) -> Process {
    Process(
        Command::new(workspace_bin("hub"))
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hub"),
    )
}

/// A coordinator connection to `hub`, or `None` while it does not answer.
async fn try_coordinator(pki: &Pki, hub: SocketAddr) -> Option<CoordinatorClient<HubChannel>> {
    try_coordinator_as(pki, hub, SDR_OOST).await
}

/// A connection to `hub` as `person`, or `None` while it does not answer.
pub(crate) async fn try_coordinator_as(
    pki: &Pki,
    hub: SocketAddr,
    person: &str,
) -> Option<CoordinatorClient<HubChannel>> {
    let (cert, key) = pki.person(person);
    let config = agent_config(pki, &cert, &key, hub);
    let tls = treiter_node_agent::tls::client_config(&config).ok()?;
    let (channel, _) =
        treiter_node_agent::tls::channel(&config.hub, Arc::new(tls), Duration::from_secs(2))
            .await
            .ok()?;
    Some(CoordinatorClient::new(channel))
}

/// Waits (at most 30 s) until `hub` accepts a coordinator call.
pub(crate) async fn coordinator(pki: &Pki, hub: SocketAddr) -> CoordinatorClient<HubChannel> {
    let start = Instant::now();
    loop {
        if let Some(mut client) = try_coordinator(pki, hub).await
            && client
                .list_cases(wire::ListCasesRequest::default())
                .await
                .is_ok()
        {
            return client;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the hub on PostgreSQL does not serve within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn melding_at() -> Option<prost_types::Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    Some(prost_types::Timestamp {
        seconds: now - 3600,
        nanos: 0,
    })
}

pub(crate) fn create_request(
    id: &str,
    melding_at: Option<prost_types::Timestamp>,
) -> wire::CreateCaseRequest {
    wire::CreateCaseRequest {
        client_request_id: id.into(),
        stadsdeel: "oost".into(),
        melding_at,
        external_reference: String::new(),
    }
}

/// Every case id `client` can list, all pages.
pub(crate) async fn all_cases(client: &mut CoordinatorClient<HubChannel>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_cases(wire::ListCasesRequest {
                page_size: 1000,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("list cases")
            .into_inner();
        ids.extend(page.cases.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        token = page.next_page_token;
    }
}

pub(crate) fn run_hub_command(args: &[&str], config: &Path) -> std::process::Output {
    Command::new(workspace_bin("hub"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run hub")
}

#[tokio::test]
async fn a_hub_process_on_postgres_keeps_every_acknowledged_case_through_kill_9() {
    let Some(postgres) = TestPostgres::start_or_skip(
        "a_hub_process_on_postgres_keeps_every_acknowledged_case_through_kill_9",
    ) else {
        return;
    };
    let pki = Pki::new();
    let dir = pki.dir.path();
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let listen = SocketAddr::new(ip, stable_port(ip));
    let config = dir.join("hub.toml");
    std::fs::write(
        &config,
        hub_config_text(&pki, listen, None, &dir.join("hub-data"))
            + &postgres_store_config(&postgres, "kill9"),
    )
    .expect("write config");

    // Read-only before the first start: both databases reachable and empty.
    let check = run_hub_command(&["check-config"], &config);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(said.contains("data database (store.url)"), "{said}");
    assert!(said.contains("is reachable and empty"), "{said}");

    let melding = melding_at();
    // (client_request_id, case id) of every acknowledged registration.
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    for round in 0..ROUNDS {
        let mut hub = spawn_hub(&config);
        let client = coordinator(&pki, listen).await;
        let writer = {
            let acknowledged = Arc::clone(&acknowledged);
            let mut client = client.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let id = format!("round-{round}-case-{n}");
                    match client.create_case(create_request(&id, melding)).await {
                        Ok(update) => {
                            let case = update.into_inner().case.expect("case").id;
                            acknowledged.lock().expect("lock").push((id, case));
                        }
                        // The hub died under the call: not acknowledged, nothing owed.
                        Err(_) => return,
                    }
                }
            })
        };
        // A different moment in each round: 150 ms .. 1.35 s into the stream.
        let delay = 150 + (round as u64 * 397 + u64::from(std::process::id() % 300)) % 1200;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        hub.0.kill().expect("kill -9 the hub");
        hub.0.wait().expect("reap the hub");
        tokio::time::timeout(Duration::from_secs(10), writer)
            .await
            .expect("the writer notices the dead hub")
            .expect("writer task");
    }

    let _hub = spawn_hub(&config);
    let mut client = coordinator(&pki, listen).await;
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= ROUNDS,
        "each round acknowledged something ({} in all)",
        acknowledged.len()
    );
    let present = all_cases(&mut client).await;
    for (_, case) in &acknowledged {
        assert!(
            present.contains(case),
            "acknowledged case {case} is gone after kill -9 ({} acknowledged, {} present)",
            acknowledged.len(),
            present.len()
        );
    }
    // A retried request finds the case it made: the idempotency record was committed
    // in the same transaction as the case.
    for (id, case) in acknowledged.iter().step_by(7) {
        let again = client
            .create_case(create_request(id, melding))
            .await
            .expect("retry")
            .into_inner();
        assert_eq!(&again.case.expect("case").id, case, "retry of {id}");
    }
    eprintln!(
        "{} acknowledged cases over {ROUNDS} kill -9 rounds, all present",
        acknowledged.len()
    );
    drop(_hub);

    let check = run_hub_command(&["check-config"], &config);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}");
    assert!(said.contains("its schema is current (version 3)"), "{said}");
    assert!(
        said.contains("decision log: in the data database"),
        "{said}"
    );
    assert!(said.contains("opens with the master key"), "{said}");
    // The decision log is in the data database too: it verifies there, holding at
    // least one entry per acknowledged registration, and nothing is in the data
    // directory.
    let verify = run_hub_command(&["log", "verify"], &config);
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let entries: usize = said
        .strip_prefix("decision log ok: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no entry count in {said}"));
    assert!(entries >= acknowledged.len(), "{entries} entries: {said}");
    assert!(!dir.join("hub-data").join("log").exists());
}

#[tokio::test]
async fn the_hub_fails_closed_while_postgres_is_down_and_serves_again_when_it_is_back() {
    let Some(mut postgres) = TestPostgres::start_or_skip(
        "the_hub_fails_closed_while_postgres_is_down_and_serves_again_when_it_is_back",
    ) else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start_in(
        &pki,
        "127.0.0.1:0".parse().expect("addr"),
        &pki.dir.path().join("hub-data"),
        &postgres_store_config(&postgres, "outage"),
    )
    .await;
    let mut client = coordinator(&pki, hub.addr).await;
    let melding = melding_at();
    client
        .create_case(create_request("before", melding))
        .await
        .expect("registered while the database is up");

    postgres.crash().expect("stop PostgreSQL at once");
    let refused = tokio::time::timeout(
        Duration::from_secs(40),
        client.create_case(create_request("during", melding)),
    )
    .await
    .expect("a refusal within the store's bounded waits, not a hang");
    let status = refused.expect_err("nothing is acknowledged without the database");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(
        !status.message().contains("password"),
        "{}",
        status.message()
    );

    postgres.restart().expect("start PostgreSQL again");
    // The pool replaces the connections the restart broke; a retry of the same request
    // (same id) is how a client goes on.
    let start = Instant::now();
    let after = loop {
        match client.create_case(create_request("after", melding)).await {
            Ok(update) => break update.into_inner(),
            Err(status) => {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "the hub does not serve again after the database came back: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let cases = all_cases(&mut client).await;
    assert_eq!(
        cases.len(),
        2,
        "the refused registration left nothing behind: {cases:?}"
    );
    assert!(cases.contains(&after.case.expect("case").id));
    hub.stop().await;
}
