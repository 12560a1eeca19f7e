//! The hub goes away and comes back: every agent reconnects by itself within its
//! backoff bound (`max_backoff_ms`): after a graceful restart of a hub in this process,
//! and after `kill -9` of a real hub process with real agent processes.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use treiter_certs_dev::PARTIES;
use treiter_node_agent::link::{Agent, LinkStatus};

use crate::support::{
    Pki, TestHub, agent_config, agent_config_text, hub_config_text, wait_until, workspace_bin,
};

/// The agents' `max_backoff_ms` in the test configuration.
const MAX_BACKOFF: Duration = Duration::from_millis(1000);
/// Time allowed on top of the backoff bound for one TCP + TLS connect and the Hello
/// exchange on a loaded 2-core machine.
const CONNECT_ALLOWANCE: Duration = Duration::from_secs(4);

#[tokio::test]
async fn agents_reconnect_after_a_graceful_hub_restart() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let addr = hub.addr;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut statuses = Vec::new();
    let mut tasks = Vec::new();
    for party in PARTIES {
        let (cert, key) = pki.party(party.slug);
        let agent = Arc::new(Agent::new(agent_config(&pki, &cert, &key, addr)).expect("agent"));
        statuses.push(agent.status());
        let mut stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            agent
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }));
    }
    let connected = |hub: &TestHub| {
        hub.hub
            .agents
            .snapshot(&hub.hub.parties.current())
            .iter()
            .filter(|a| a.connected())
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(10), || connected(&hub) == PARTIES.len()).await,
        "all agents connect"
    );

    hub.stop().await;
    for status in &mut statuses {
        tokio::time::timeout(
            Duration::from_secs(10),
            status.wait_for(|s| !matches!(s, LinkStatus::Connected { .. })),
        )
        .await
        .expect("agent notices the hub is gone within 10 s")
        .expect("agent alive");
    }
    // Stay down for a while, so the agents' backoff grows to its ceiling.
    tokio::time::sleep(MAX_BACKOFF * 2).await;

    let restarted_at = Instant::now();
    let hub = TestHub::start_on(&pki, addr).await;
    assert!(
        wait_until(MAX_BACKOFF + CONNECT_ALLOWANCE, || connected(&hub)
            == PARTIES.len())
        .await,
        "every agent must be back within its backoff bound; {} of {} are",
        connected(&hub),
        PARTIES.len()
    );
    let took = restarted_at.elapsed();
    eprintln!(
        "all {} agents back {took:?} after the restart",
        PARTIES.len()
    );

    stop.send_replace(true);
    for task in tasks {
        task.await.expect("agent task");
    }
    hub.stop().await;
}

/// Kills the child on drop, so a failing test leaves no processes behind.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port for a hub process that is killed and started again on it (see
/// `support::stable_port`).
fn free_port() -> SocketAddr {
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    SocketAddr::new(ip, crate::support::stable_port(ip))
}

fn spawn_hub(config: &std::path::Path) -> Process {
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

async fn connected_count(admin: SocketAddr) -> usize {
    match treiter_hub::admin::fetch_status(admin).await {
        Ok(status) => status.agents.iter().filter(|a| a.connected).count(),
        Err(_) => 0,
    }
}

async fn wait_for_connected(admin: SocketAddr, want: usize, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if connected_count(admin).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn agent_processes_reconnect_after_the_hub_process_is_killed() {
    let pki = Pki::new();
    let dir = pki.dir.path();
    let listen = free_port();
    let admin = free_port();
    let hub_config = dir.join("hub.toml");
    std::fs::write(
        &hub_config,
        hub_config_text(&pki, listen, Some(admin), &dir.join("hub-data")),
    )
    .expect("write");

    let mut hub = spawn_hub(&hub_config);
    let mut agents = Vec::new();
    for party in PARTIES {
        let (cert, key) = pki.party(party.slug);
        let config = dir.join(format!("agent-{}.toml", party.slug));
        std::fs::write(&config, agent_config_text(&pki, &cert, &key, listen)).expect("write");
        agents.push(Process(
            Command::new(workspace_bin("node-agent"))
                .arg("--config")
                .arg(&config)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start agent"),
        ));
    }
    assert!(
        wait_for_connected(admin, PARTIES.len(), Duration::from_secs(20)).await,
        "all agent processes connect; {} do",
        connected_count(admin).await
    );

    // SIGKILL: no shutdown, no goodbye on any link.
    hub.0.kill().expect("kill -9 the hub");
    hub.0.wait().expect("reap the hub");
    tokio::time::sleep(MAX_BACKOFF * 2).await;
    for agent in &mut agents {
        assert!(
            agent.0.try_wait().expect("poll agent").is_none(),
            "an agent must survive the hub's death"
        );
    }

    let restarted_at = Instant::now();
    let _hub = spawn_hub(&hub_config);
    // The restarted hub needs a moment to load before it serves; that start-up time is
    // included in the allowance.
    assert!(
        wait_for_connected(admin, PARTIES.len(), MAX_BACKOFF + CONNECT_ALLOWANCE).await,
        "every agent must be back within its backoff bound; {} of {} are",
        connected_count(admin).await,
        PARTIES.len()
    );
    eprintln!(
        "all {} agent processes back {:?} after the hub restarted",
        PARTIES.len(),
        restarted_at.elapsed()
    );
}

/// Agents of parties linked to `hub` right now.
fn linked(hub: &TestHub) -> usize {
    hub.hub
        .agents
        .snapshot(&hub.hub.parties.current())
        .iter()
        .filter(|a| a.connected())
        .count()
}

/// An agent given the addresses of two hubs (`hub_urls`) links to the first, moves to
/// the second when the first goes away — within its backoff bound, because it tries the
/// next address at once — and back when only the first is there again.
#[tokio::test]
async fn an_agent_with_two_hub_addresses_fails_over_between_them() {
    let pki = Pki::new();
    let first = TestHub::start(&pki).await;
    let second = TestHub::start(&pki).await;
    let first_addr = first.addr;
    let (cert, key) = pki.party(PARTIES[1].slug);
    let text = agent_config_text(&pki, &cert, &key, first_addr);
    // Two separate test hubs, each with a log of its own, not replicas of one log: the
    // agent does not witness here (a witness would rightly see two different logs).
    let witness_start = text.find("[witness]").expect("witness table");
    let link_start = text.find("[link]").expect("link table");
    let text = format!("{}{}", &text[..witness_start], &text[link_start..]).replace(
        &format!("hub_url = \"https://{first_addr}\""),
        &format!(
            "hub_urls = [\"https://{first_addr}\", \"https://{}\"]",
            second.addr
        ),
    );
    let config = treiter_node_agent::config::AgentConfig::parse(&text, std::path::Path::new("/"))
        .expect("agent config");
    assert_eq!(config.hubs.len(), 2);
    let agent = Arc::new(Agent::new(config).expect("agent"));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = {
        let agent = Arc::clone(&agent);
        tokio::spawn(async move {
            agent
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        })
    };
    assert!(
        wait_until(Duration::from_secs(10), || linked(&first) == 1).await,
        "the agent links to the first address"
    );
    assert_eq!(linked(&second), 0);

    first.stop().await;
    let failed_at = Instant::now();
    assert!(
        wait_until(MAX_BACKOFF + CONNECT_ALLOWANCE, || linked(&second) == 1).await,
        "the agent must move to the second address within its backoff bound"
    );
    eprintln!(
        "moved to the second hub address {:?} after the first went away",
        failed_at.elapsed()
    );

    let first = TestHub::start_on(&pki, first_addr).await;
    second.stop().await;
    assert!(
        wait_until(MAX_BACKOFF + CONNECT_ALLOWANCE, || linked(&first) == 1).await,
        "the agent must come back to the first address"
    );
    stop.send_replace(true);
    task.await.expect("agent task");
    first.stop().await;
}
