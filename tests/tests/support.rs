//! Shared set-up for the end-to-end tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use treiter_certs_dev::{Layout, Options, TestCert};
use treiter_hub::config::HubConfig;
use treiter_hub::state::Hub;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::tls::HubChannel;

/// A development PKI in a temporary directory, with the broken test certificates.
pub struct Pki {
    pub dir: TempDir,
    pub layout: Layout,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let layout = treiter_certs_dev::generate(
            &dir.path().join("pki"),
            &Options {
                test_certs: true,
                now: time::OffsetDateTime::now_utc(),
                force: false,
            },
        )
        .expect("generate the dev PKI");
        Pki { dir, layout }
    }

    /// The organisation certificate and key of a party, by slug.
    pub fn party(&self, slug: &str) -> (PathBuf, PathBuf) {
        (self.layout.party_cert(slug), self.layout.party_key(slug))
    }

    /// A person's certificate and key.
    pub fn person(&self, id: &str) -> (PathBuf, PathBuf) {
        (self.layout.person_cert(id), self.layout.person_key(id))
    }

    /// A broken test certificate and its key.
    pub fn test_cert(&self, which: TestCert) -> (PathBuf, PathBuf) {
        (self.layout.test_cert(which), self.layout.test_key(which))
    }
}

/// The covenant encoding in the repository.
pub fn covenant_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant")
}

/// The master key file of the hub keeping its data in `data_dir`: next to it (never
/// in it), as `<data_dir>.master.key`.
pub fn master_key_path(data_dir: &Path) -> PathBuf {
    let mut name = data_dir.file_name().unwrap_or_default().to_os_string();
    name.push(".master.key");
    data_dir.with_file_name(name)
}

/// The key store of the hub keeping its data in `data_dir` (the configuration's
/// default, `<data_dir>.keys`).
pub fn keys_dir_path(data_dir: &Path) -> PathBuf {
    let mut name = data_dir.file_name().unwrap_or_default().to_os_string();
    name.push(".keys");
    data_dir.with_file_name(name)
}

/// The decision-log signing key of every hub started with this PKI (in its directory):
/// one key, so the agents can be configured with its verifier before a hub starts, and
/// a hub started on a fresh data directory shows another history under the same key.
pub fn log_key_path(pki: &Pki) -> PathBuf {
    pki.dir.path().join("hub.log.key")
}

/// The verifier key text of [`log_key_path`] (created on first use), as `hub
/// check-config` prints it and agents' `witness.log_verifier` takes it.
pub fn log_verifier(pki: &Pki) -> String {
    let (key, _) = treiter_hub::log::LogKey::load_or_generate(
        &log_key_path(pki),
        treiter_hub::state::LOG_ORIGIN,
    )
    .expect("the hub's log key");
    key.verifier().to_string()
}

/// Hub configuration text for this PKI, keeping its data in `data_dir`. Creates the
/// hub's master key ([`master_key_path`]) on first use, so each hub has its own.
pub fn hub_config_text(
    pki: &Pki,
    listen: SocketAddr,
    admin: Option<SocketAddr>,
    data_dir: &Path,
) -> String {
    let l = &pki.layout;
    // Created here, not by the hub, so a key exists before any agent config is made.
    log_verifier(pki);
    let master_key = master_key_path(data_dir);
    if !master_key.exists() {
        treiter_hub::seal::master::generate(&master_key).expect("generate a master key");
    }
    let admin = admin
        .map(|a| format!("admin_listen = \"{a}\"\n"))
        .unwrap_or_default();
    format!(
        r#"listen = "{listen}"
{admin}covenant = "{covenant}"
persons = "{persons}"
data_dir = "{data}"
master_key_file = "{master_key}"
log_key = "{log_key}"

[tls]
cert = "{cert}"
key = "{key}"
handshake_timeout_seconds = 5

[[trust_anchor]]
cert = "{ca}"
crl = "{crl}"

[link]
heartbeat_interval_seconds = 1
"#,
        covenant = covenant_path().display(),
        persons = l.registry().display(),
        data = data_dir.display(),
        master_key = master_key.display(),
        log_key = log_key_path(pki).display(),
        cert = l.hub_cert().display(),
        key = l.hub_key().display(),
        ca = l.ca_cert().display(),
        crl = l.ca_crl().display(),
    )
}

/// A `[store]` table putting a hub's state and case keys in `postgres`, in two new
/// databases named after `tag` (`data_<tag>`, `keys_<tag>`).
pub fn postgres_store_config(postgres: &treiter_testpg::TestPostgres, tag: &str) -> String {
    let (data, keys) = (format!("data_{tag}"), format!("keys_{tag}"));
    postgres
        .create_database(&data)
        .expect("create the data database");
    postgres
        .create_database(&keys)
        .expect("create the keys database");
    format!(
        "\n[store]\nbackend = \"postgres\"\nurl = \"{}\"\nkeys_url = \"{}\"\npool_size = 8\n",
        postgres.url(&data),
        postgres.url(&keys)
    )
}

/// The (sealed) state store of a stopped hub that kept its data in `data_dir`, opened
/// as the hub opens it. Retried for up to 10 s: a stopped hub's last tasks may still
/// hold the store's lock for a moment.
pub async fn open_state_store(pki: &Pki, data_dir: &Path) -> Arc<treiter_hub::seal::SealedStore> {
    let text = hub_config_text(pki, "127.0.0.1:1".parse().expect("addr"), None, data_dir);
    let config = HubConfig::parse(&text, Path::new("/")).expect("hub config");
    let start = Instant::now();
    loop {
        match treiter_hub::state::open_store(&config) {
            Ok(store) => return store,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("cannot open the store in {}: {error}", data_dir.display()),
        }
    }
}

/// A hub running in this process.
pub struct TestHub {
    pub hub: Arc<Hub>,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<treiter_hub::server::Stopped>,
}

/// Binds a loopback listener for a hub. For port 0 it takes a free port *below* the
/// kernel's range of automatic (ephemeral) ports: a test that stops a hub and starts
/// another on the same address (a restart the agents must find again) would otherwise
/// race every other test's outgoing connections and `:0` listeners for that port (seen:
/// "Address already in use" under load). Ports are handed out from a per-process
/// counter, starting at an offset from the process id, so tests of one run never try
/// the same port and two runs at once rarely do.
pub async fn bind_hub_listener(addr: SocketAddr) -> tokio::net::TcpListener {
    if addr.port() != 0 {
        // Retried for a moment: the hub stopped on this address may still hold it.
        let start = Instant::now();
        loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => return listener,
                Err(e) if start.elapsed() > Duration::from_secs(10) => {
                    panic!("bind {addr}: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    let port = stable_port(addr.ip());
    tokio::net::TcpListener::bind(SocketAddr::new(addr.ip(), port))
        .await
        .expect("bind a stable port")
}

/// A loopback port below the ephemeral range that was free a moment ago (see
/// [`bind_hub_listener`]); for processes the test starts itself (`hub serve`).
pub fn stable_port(ip: std::net::IpAddr) -> u16 {
    stable_ports(ip, 1)
}

/// The first of `n` consecutive loopback ports below the ephemeral range that were all
/// free a moment ago (see [`bind_hub_listener`]); e.g. the demo's hub and admin ports.
pub fn stable_ports(ip: std::net::IpAddr, n: u16) -> u16 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    const LOW: u16 = 12_000;
    let span = usize::from(ephemeral_low.saturating_sub(LOW).max(1000));
    let offset = std::process::id() as usize * 97;
    let free = |port: u16| std::net::TcpListener::bind(SocketAddr::new(ip, port)).is_ok();
    for _ in 0..span {
        let first = NEXT.fetch_add(usize::from(n), Ordering::Relaxed);
        let port = LOW + u16::try_from((offset + first) % span).expect("span fits u16");
        if (port..port + n).all(free) {
            return port;
        }
    }
    panic!("no free loopback port below {ephemeral_low}");
}

impl TestHub {
    /// Starts a hub on a free loopback port.
    pub async fn start(pki: &Pki) -> TestHub {
        Self::start_on(pki, "127.0.0.1:0".parse().expect("addr")).await
    }

    /// Starts a hub on `addr` (port 0 for any free port).
    pub async fn start_on(pki: &Pki, addr: SocketAddr) -> TestHub {
        let listener = bind_hub_listener(addr).await;
        let addr = listener.local_addr().expect("local addr");
        // Each in-process hub gets its own data directory: a stopped hub's last tasks
        // may still hold the store's lock for a moment.
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let data_dir = pki.dir.path().join(format!(
            "hub-data-{}",
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let config = HubConfig::parse(&hub_config_text(pki, addr, None, &data_dir), Path::new("/"))
            .expect("hub config");
        let hub = Hub::load(&config).expect("hub loads");
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = hub.clone();
        let task = tokio::spawn(async move {
            treiter_hub::server::serve(serving, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("hub serves")
        });
        TestHub {
            hub,
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Stops the hub gracefully: agent links are closed with UNAVAILABLE, then the
    /// server waits for in-flight calls, which must all end within the shutdown grace
    /// (a call or link that keeps the hub from stopping is a defect the panic names).
    /// (An aborted task cannot stand in for a killed process here: tonic's connection
    /// tasks would outlive it. `restart.rs` kills a real hub process for that.)
    pub async fn stop(self) {
        let stopped = self.stop_reporting().await;
        assert_eq!(
            stopped,
            treiter_hub::server::Stopped::Gracefully,
            "the hub's calls in progress did not all end within its shutdown grace"
        );
    }
}

impl TestHub {
    /// Stops the hub as [`TestHub::stop`] does, and says how the stop ended; panics
    /// only when the hub is not stopped within its grace and 5 s.
    pub async fn stop_reporting(mut self) -> treiter_hub::server::Stopped {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let grace = self.hub.listener.limits.shutdown_grace;
        tokio::time::timeout(grace + Duration::from_secs(5), &mut self.task)
            .await
            .expect("the hub stops within its shutdown grace")
            .expect("hub task")
    }
}

/// A fresh directory for one agent's witness key and witnessed checkpoint.
pub fn witness_dir(pki: &Pki) -> PathBuf {
    static AGENTS: AtomicUsize = AtomicUsize::new(0);
    let dir = pki.dir.path().join(format!(
        "witness-{}",
        AGENTS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("witness dir");
    dir
}

/// The `[witness]` table for an agent keeping its witness files in `dir`.
pub fn witness_section(pki: &Pki, dir: &Path) -> String {
    format!(
        "[witness]\nlog_verifier = \"{}\"\nkey_file = \"{}\"\nstate = \"{}\"\n",
        log_verifier(pki),
        dir.join("witness.key").display(),
        dir.join("witnessed.checkpoint").display(),
    )
}

/// Agent configuration text for a certificate and key, dialling `hub`. Every agent
/// witnesses the hub's checkpoints, with its own fresh [`witness_dir`].
pub fn agent_config_text(pki: &Pki, cert: &Path, key: &Path, hub: SocketAddr) -> String {
    agent_config_text_witnessing(pki, cert, key, hub, &witness_dir(pki))
}

/// [`agent_config_text`] with the witness files in `witness`: a restarted agent given
/// the same directory holds the checkpoint it witnessed before.
pub fn agent_config_text_witnessing(
    pki: &Pki,
    cert: &Path,
    key: &Path,
    hub: SocketAddr,
    witness: &Path,
) -> String {
    format!(
        r#"hub_url = "https://{hub}"
cert = "{cert}"
key = "{key}"
trust_anchors = ["{ca}"]
covenant = "{covenant}"

{witness}
[link]
initial_backoff_ms = 100
max_backoff_ms = 1000
connect_timeout_seconds = 5
heartbeat_interval_seconds = 1
"#,
        cert = cert.display(),
        key = key.display(),
        ca = pki.layout.ca_cert().display(),
        covenant = covenant_path().display(),
        witness = witness_section(pki, witness),
    )
}

/// Agent configuration for a certificate and key, dialling `hub`.
pub fn agent_config(pki: &Pki, cert: &Path, key: &Path, hub: SocketAddr) -> AgentConfig {
    AgentConfig::parse(&agent_config_text(pki, cert, key, hub), Path::new("/"))
        .expect("agent config")
}

/// One connection to the hub with a certificate and key from the dev PKI.
pub async fn channel_with(pki: &Pki, cert: &Path, key: &Path, hub: SocketAddr) -> HubChannel {
    let config = agent_config(pki, cert, key, hub);
    let tls = treiter_node_agent::tls::client_config(&config).expect("tls");
    let (channel, _) =
        treiter_node_agent::tls::channel(&config.hub, Arc::new(tls), Duration::from_secs(5))
            .await
            .expect("channel");
    channel
}

/// A connection to the hub as party `slug` (its organisation certificate).
pub async fn party_channel(pki: &Pki, slug: &str, hub: SocketAddr) -> HubChannel {
    let (cert, key) = pki.party(slug);
    channel_with(pki, &cert, &key, hub).await
}

/// A connection to the hub as a person (their person certificate).
pub async fn person_channel(pki: &Pki, person: &str, hub: SocketAddr) -> HubChannel {
    let (cert, key) = pki.person(person);
    channel_with(pki, &cert, &key, hub).await
}

/// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it
/// held.
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A binary of this workspace, built next to the test binary by `cargo test
/// --workspace` (target/<profile>/<name>).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds the binaries",
        path.display()
    );
    path
}

/// The data directory of hub replica `n` of a test (`replica-<n>` in the PKI's
/// directory), with the master key of replica 0 beside it: replicas on one database
/// need one master key to open each other's sealed records.
pub fn replica_data_dir(pki: &Pki, n: usize) -> PathBuf {
    let data_dir = pki.dir.path().join(format!("replica-{n}"));
    if n > 0 {
        std::fs::copy(
            master_key_path(&pki.dir.path().join("replica-0")),
            master_key_path(&data_dir),
        )
        .expect("copy the master key");
    }
    data_dir
}

/// `count` in-process hub replicas on the databases of `store` (a `[store]` table,
/// [`postgres_store_config`]), each on a free loopback port.
pub async fn start_replicas(pki: &Pki, store: &str, count: usize) -> Vec<TestHub> {
    let mut hubs = Vec::new();
    for n in 0..count {
        let data_dir = replica_data_dir(pki, n);
        let any = "127.0.0.1:0".parse().expect("addr");
        hubs.push(TestHub::start_in(pki, any, &data_dir, store).await);
    }
    hubs
}

/// The configuration files and addresses of `count` hub replica processes on the
/// databases of `store`, each on its own loopback port.
pub fn replica_configs(pki: &Pki, store: &str, count: usize) -> (Vec<PathBuf>, Vec<SocketAddr>) {
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let (mut configs, mut addrs) = (Vec::new(), Vec::new());
    for n in 0..count {
        let data_dir = replica_data_dir(pki, n);
        let listen = SocketAddr::new(ip, stable_port(ip));
        let config = pki.dir.path().join(format!("replica-{n}.toml"));
        std::fs::write(
            &config,
            hub_config_text(pki, listen, None, &data_dir) + store,
        )
        .expect("write config");
        configs.push(config);
        addrs.push(listen);
    }
    (configs, addrs)
}

impl TestHub {
    /// Starts a hub on `addr` that keeps its data in `data_dir`, which may hold an
    /// earlier hub's data (durability across a restart), with `extra_config` appended to
    /// the configuration text (e.g. a `[questions]` table). A stopped hub's last tasks
    /// may still hold the store's lock for a moment, so loading is retried for up to
    /// 10 s.
    pub async fn start_in(
        pki: &Pki,
        addr: SocketAddr,
        data_dir: &Path,
        extra_config: &str,
    ) -> TestHub {
        let listener = bind_hub_listener(addr).await;
        let addr = listener.local_addr().expect("local addr");
        let text = hub_config_text(pki, addr, None, data_dir) + extra_config;
        let config = HubConfig::parse(&text, Path::new("/")).expect("hub config");
        let start = Instant::now();
        let hub = loop {
            match Hub::load(&config) {
                Ok(hub) => break hub,
                Err(_) if start.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("the hub does not load on {}: {error}", data_dir.display()),
            }
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = hub.clone();
        let task = tokio::spawn(async move {
            treiter_hub::server::serve(serving, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("hub serves")
        });
        TestHub {
            hub,
            addr,
            stop: Some(stop),
            task,
        }
    }
}

/// An agent link that says Hello and keeps heartbeating, but never answers a question:
/// a partner that is there and slow. Dropping it closes the link.
pub struct SilentLink {
    _outbound: tokio::sync::mpsc::Sender<treiter_proto::v1::AgentMessage>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SilentLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens a [`SilentLink`] for the party `slug`.
pub async fn silent_link(pki: &Pki, slug: &str, hub: SocketAddr) -> SilentLink {
    use treiter_proto::v1::{AgentMessage, Heartbeat, Hello, agent_message};
    let channel = party_channel(pki, slug, hub).await;
    let (outbound, rx) = tokio::sync::mpsc::channel(8);
    let hello = AgentMessage {
        body: Some(agent_message::Body::Hello(Hello {
            agent_version: "silent-test".into(),
            covenant_version: 1,
            instance_id: "silent".into(),
            ..Default::default()
        })),
    };
    outbound.send(hello).await.expect("hello");
    let mut inbound = treiter_proto::v1::agent_link_client::AgentLinkClient::new(channel)
        .link(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("link")
        .into_inner();
    let beats = outbound.clone();
    let task = tokio::spawn(async move {
        let mut sequence = 0;
        loop {
            tokio::select! {
                message = inbound.message() => match message {
                    Ok(Some(_)) => {} // questions are received and ignored
                    _ => return,
                },
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    sequence += 1;
                    let beat = AgentMessage {
                        body: Some(agent_message::Body::Heartbeat(Heartbeat { sequence, sent_at: None })),
                    };
                    if beats.send(beat).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    SilentLink {
        _outbound: outbound,
        task,
    }
}

// -------------------------------------------------------------------------------------
// Agents answering from JSON exports, and the `hubctl` binary (tests/hubctl.rs).

/// Node agents of a test, one per party, each answering from its own folder of JSON
/// exports: `<exports>/<slug>/<category>/<pseudonym>.json`. Dropping them without
/// [`JsonAgents::stop`] leaves their tasks to the runtime's shutdown.
pub struct JsonAgents {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl JsonAgents {
    /// Starts an agent for every party of the dev PKI except `except`, and waits until
    /// each has linked to `hub`. Missing export folders are created (empty: no hits).
    pub async fn start(pki: &Pki, hub: SocketAddr, exports: &Path, except: &[&str]) -> JsonAgents {
        Self::start_spread(pki, &[hub], exports, except).await
    }

    /// As [`JsonAgents::start`], the agents spread over several hub replicas: the
    /// n-th agent links to `hubs[n % hubs.len()]` first, and has the others as its
    /// failover addresses (`hub_urls`), in turn.
    pub async fn start_spread(
        pki: &Pki,
        hubs: &[SocketAddr],
        exports: &Path,
        except: &[&str],
    ) -> JsonAgents {
        Self::start_spread_inner(pki, hubs, exports, except, None).await
    }

    /// As [`JsonAgents::start_spread`], each agent also keeping its receipt log (every
    /// checkpoint it witnessed or refused) in `<receipts>/<slug>.log`.
    pub async fn start_spread_keeping_receipts(
        pki: &Pki,
        hubs: &[SocketAddr],
        exports: &Path,
        except: &[&str],
        receipts: &Path,
    ) -> JsonAgents {
        Self::start_spread_inner(pki, hubs, exports, except, Some(receipts)).await
    }

    async fn start_spread_inner(
        pki: &Pki,
        hubs: &[SocketAddr],
        exports: &Path,
        except: &[&str],
        receipts: Option<&Path>,
    ) -> JsonAgents {
        use treiter_node_agent::link::{Agent, LinkStatus};
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for (n, party) in treiter_certs_dev::PARTIES
            .iter()
            .filter(|p| !except.contains(&p.slug))
            .enumerate()
        {
            let hub = hubs[n % hubs.len()];
            let data = exports.join(party.slug);
            std::fs::create_dir_all(&data).expect("export folder");
            let (cert, key) = pki.party(party.slug);
            let mut text = agent_config_text(pki, &cert, &key, hub);
            if hubs.len() > 1 {
                let urls: Vec<String> = (0..hubs.len())
                    .map(|i| format!("\"https://{}\"", hubs[(n + i) % hubs.len()]))
                    .collect();
                text = text.replacen(
                    &format!("hub_url = \"https://{hub}\""),
                    &format!("hub_urls = [{}]", urls.join(", ")),
                    1,
                );
            }
            let receipts = receipts
                .map(|dir| {
                    let file = dir.join(format!("{}.log", party.slug));
                    format!("receipts = \"{}\"\n", file.display())
                })
                .unwrap_or_default();
            let text = format!(
                "{receipts}{text}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
                data.display()
            );
            let config = AgentConfig::parse(&text, Path::new("/")).expect("agent config");
            let agent = Arc::new(Agent::new(config).expect("agent"));
            let mut status = agent.status();
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(async move {
                agent
                    .run(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            }));
            tokio::time::timeout(
                Duration::from_secs(10),
                status.wait_for(|s| matches!(s, LinkStatus::Connected { .. })),
            )
            .await
            .expect("agent links within 10 s")
            .expect("agent alive");
        }
        JsonAgents { stop, tasks }
    }

    /// Stops every agent and waits for them.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Writes `records` as the export of party `slug` for one subject and category.
pub fn write_export(
    exports: &Path,
    slug: &str,
    category: &str,
    pseudonym: &str,
    records: &serde_json::Value,
) {
    let dir = exports.join(slug).join(category);
    std::fs::create_dir_all(&dir).expect("export folder");
    std::fs::write(dir.join(format!("{pseudonym}.json")), records.to_string()).expect("export");
}

/// Writes a `hubctl` profile for `person` dialling `hub` into the PKI's directory, with
/// the pseudonym key file if given; returns its path.
pub fn hubctl_profile(
    pki: &Pki,
    hub: SocketAddr,
    person: &str,
    pseudonym_key: Option<&Path>,
) -> PathBuf {
    let (cert, key) = pki.person(person);
    hubctl_profile_with(pki, hub, person, &cert, &key, pseudonym_key)
}

/// A `hubctl` profile named `name` with any certificate and key.
pub fn hubctl_profile_with(
    pki: &Pki,
    hub: SocketAddr,
    name: &str,
    cert: &Path,
    key: &Path,
    pseudonym_key: Option<&Path>,
) -> PathBuf {
    let mut text = format!(
        "hub_url = \"https://{hub}\"\ncert = \"{}\"\nkey = \"{}\"\ntrust_anchors = [\"{}\"]\n",
        cert.display(),
        key.display(),
        pki.layout.ca_cert().display()
    );
    if let Some(k) = pseudonym_key {
        text.push_str(&format!("pseudonym_key = \"{}\"\n", k.display()));
    }
    let path = pki.dir.path().join(format!("hubctl-{name}.toml"));
    std::fs::write(&path, text).expect("profile");
    path
}

/// One run of the `hubctl` binary.
#[derive(Debug)]
pub struct HubctlRun {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl HubctlRun {
    /// The standard output as JSON (after `--json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("hubctl's output is not JSON ({e}): {self:?}"))
    }

    /// Asserts exit 0 and returns the standard output.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "hubctl failed: {self:?}");
        &self.stdout
    }

    /// Asserts the exit code and returns the standard error.
    pub fn refused(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "hubctl's exit code: {self:?}");
        &self.stderr
    }
}

/// Runs the `hubctl` binary with the profile named by `HUBCTL_PROFILE`, `args` and
/// `stdin`, on a blocking thread so that the in-process hub keeps serving.
pub async fn hubctl(profile: &Path, args: &[&str], stdin: Option<&str>) -> HubctlRun {
    use std::io::Write as _;
    let exe = workspace_bin("hubctl");
    let profile = profile.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(exe)
            .args(&args)
            .env("HUBCTL_PROFILE", &profile)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("hubctl starts");
        if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
            input.write_all(text.as_bytes()).expect("stdin");
        }
        let out = child.wait_with_output().expect("hubctl runs");
        HubctlRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("hubctl task")
}

/// A TCP and TLS connection to the hub with `tls`, and nothing more: no HTTP/2.
pub async fn raw_tls(
    tls: Arc<rustls::ClientConfig>,
    hub: SocketAddr,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(hub).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("server name");
    tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
}

/// The TLS configuration an agent with this certificate and key would use.
pub fn client_tls(
    pki: &Pki,
    cert: &Path,
    key: &Path,
    hub: SocketAddr,
) -> Arc<rustls::ClientConfig> {
    let config = agent_config(pki, cert, key, hub);
    Arc::new(treiter_node_agent::tls::client_config(&config).expect("client tls"))
}

/// Reads until the peer closes the connection (or it fails); panics when it is still
/// open after 20 s, far beyond any bound the tests configure.
pub async fn read_until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received))
        .await
        .expect("the hub closes the connection")
        .map(|_| received)
}
