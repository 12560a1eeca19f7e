//! The system under load: the demo's hub and its seven partner agents, set up as
//! `scripts/demo.sh` sets them up (a development PKI, the SYNTHETIC sample databases,
//! the same configuration files), started from release binaries on 127.0.0.1, and the
//! demo's case brought to `aanpak` with `hubctl`, as the informatiemakelaar and the
//! stadsdeelregisseur do in the demo.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The demo's partners: (source kind, party slug). Kind `json` exports JSON files.
pub const PARTIES: &[(&str, &str)] = &[
    ("gemeente", "gemeente"),
    ("politie", "politie"),
    ("om", "om"),
    ("woningcorporatie", "degracht"),
    ("json", "lieflijkwonen"),
    ("zorgpartner", "ggd"),
    ("json", "amstel"),
];

/// The partners of a system with `agents` agents (at least the demo's seven): the
/// demo's, then synthetic housing corporations (`extra-NN`, JSON exports that know no
/// one: each answers every bevraging with no hit), each listed in the covenant
/// ([`covenant_with`]) and holding a development certificate ([`extra_parties`]).
pub fn parties(agents: usize) -> Vec<(String, String)> {
    PARTIES
        .iter()
        .map(|(k, s)| ((*k).to_owned(), (*s).to_owned()))
        .chain((PARTIES.len()..agents).map(|i| ("json".to_owned(), extra_slug(i))))
        .collect()
}

fn extra_slug(i: usize) -> String {
    format!("extra-{i:02}")
}

/// The OIN of synthetic partner `i`: 20 digits, in a range Annex A does not use.
fn extra_oin(i: usize) -> String {
    format!("000000090000000{i:05}")
}

/// The development-certificate form of the synthetic partners beyond the demo's
/// seven. (Leaked: a handful of short strings, once per benchmark process.)
fn extra_parties(agents: usize) -> Vec<treiter_certs_dev::DevParty> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    (PARTIES.len()..agents)
        .map(|i| treiter_certs_dev::DevParty {
            slug: leak(extra_slug(i)),
            oin: leak(extra_oin(i)),
            name: leak(format!("Synthetische Woningcorporatie {i:02}")),
            kind: "woningcorporatie",
        })
        .collect()
}

/// The demo covenant with the synthetic partners added to its Annex A.
fn covenant_with(text: &str, agents: usize) -> String {
    let mut text = text.trim_end().to_owned();
    text.push('\n');
    for party in extra_parties(agents) {
        text.push_str(&format!(
            "party {} \"{}\" is {}\n",
            party.oin, party.name, party.kind
        ));
    }
    text
}

/// The sample databases' kinds (`node-agent/examples/<kind>/<kind>.sql`).
const KINDS: &[&str] = &[
    "politie",
    "om",
    "woningcorporatie",
    "zorgpartner",
    "gemeente",
];

/// A running hub (one or more replicas) with its agents; stopped (killed) when
/// dropped.
pub struct System {
    pub dir: PathBuf,
    pub bin: PathBuf,
    /// The replicas' ports, replica 0 first (the one `hubctl` and `hub init` use).
    pub hub_ports: Vec<u16>,
    pub hubs: Vec<Child>,
    pub agents: Vec<(String, Child)>,
    pub case_id: String,
    /// How many partner agents it runs.
    pub agent_count: usize,
}

impl Drop for System {
    fn drop(&mut self) {
        for (_, agent) in &mut self.agents {
            let _ = agent.kill();
            let _ = agent.wait();
        }
        for hub in &mut self.hubs {
            let _ = hub.kill();
            let _ = hub.wait();
        }
    }
}

/// The configuration file of hub replica `n` (`hub.toml` for the first, as the demo
/// names it; `hub-<n>.toml` for the others).
pub fn hub_config(dir: &Path, n: usize) -> PathBuf {
    if n == 0 {
        dir.join("hub.toml")
    } else {
        dir.join(format!("hub-{n}.toml"))
    }
}

/// A free loopback port now (the kernel's choice).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs a binary to completion; its standard output, or an error with its output.
fn run(command: &mut Command) -> anyhow::Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a binary with `input` on its standard input; its standard output.
fn run_with_input(command: &mut Command, input: &str) -> anyhow::Result<String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {command:?}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The partners' sample databases, as the demo test builds them.
fn build_samples(root: &Path, out: &Path) -> anyhow::Result<()> {
    let examples = root.join("node-agent/examples");
    let people = std::fs::read_to_string(examples.join("people.sql"))?;
    for kind in KINDS {
        let dir = out.join(kind);
        std::fs::create_dir_all(&dir)?;
        let sql = std::fs::read_to_string(examples.join(kind).join(format!("{kind}.sql")))?;
        let db = dir.join(format!("{kind}.sqlite"));
        let _ = std::fs::remove_file(&db);
        let connection = rusqlite::Connection::open(&db)?;
        connection.execute_batch(&people)?;
        connection.execute_batch(&sql)?;
    }
    Ok(())
}

/// Prepares `dir` as the demo prepares its run directory (PKI, master key, hub
/// configuration, `hub init`, sources and agent configurations), for one hub replica
/// per port in `hub_ports` with `store` (a `[store]` table, or empty for the default,
/// sled) appended to each replica's configuration. Replicas share the master key and
/// the decision log's key (as the hub README asks) and have a data directory each.
/// With several replicas every agent gets all their addresses (`hub_urls`), rotated so
/// that the agents start out spread over the replicas.
pub fn prepare(
    root: &Path,
    bin: &Path,
    dir: &Path,
    hub_ports: &[u16],
    agents: usize,
    store: &str,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("logs"))?;
    build_samples(root, &dir.join("samples"))?;
    treiter_certs_dev::generate_with_parties(
        &dir.join("pki"),
        &treiter_certs_dev::Options {
            test_certs: false,
            now: time::OffsetDateTime::now_utc(),
            force: true,
        },
        &extra_parties(agents),
    )
    .context("the development PKI")?;
    run(Command::new(bin.join("hub"))
        .args(["master-key", "generate", "--out"])
        .arg(dir.join("master.key")))?;
    let mut covenant = root.join("policies/treiteraanpak.covenant");
    if agents > PARTIES.len() {
        let text = std::fs::read_to_string(&covenant)?;
        covenant = dir.join("treiteraanpak-bench.covenant");
        std::fs::write(&covenant, covenant_with(&text, agents))?;
    }
    for (n, hub_port) in hub_ports.iter().enumerate() {
        let admin_port = free_port()?;
        let data_dir = if n == 0 {
            "data".to_owned()
        } else {
            format!("data-{n}")
        };
        std::fs::write(
            hub_config(dir, n),
            format!(
                r#"listen = "127.0.0.1:{hub_port}"
admin_listen = "127.0.0.1:{admin_port}"
covenant = "{covenant}"
persons = "pki/persons.toml"
data_dir = "{data_dir}"
master_key_file = "master.key"
log_key = "data.log.key"

[tls]
cert = "pki/hub/hub.pem"
key = "pki/hub/hub.key"

[[trust_anchor]]
cert = "pki/ca/root.pem"
crl = "pki/ca/root.crl.pem"

[link]
heartbeat_interval_seconds = 5
{store}"#,
                covenant = covenant.display()
            ),
        )?;
    }
    let init = run(Command::new(bin.join("hub"))
        .args(["init", "--config"])
        .arg(dir.join("hub.toml")))?;
    let verifier = init
        .lines()
        .find_map(|l| l.strip_prefix("decision log verifier key: "))
        .context("`hub init` printed no verifier key")?
        .trim()
        .to_owned();
    let mut key = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut key)?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&dir.join("pseudonym.key"), &format!("{hex}\n"))?;

    for (i, (kind, slug)) in parties(agents).iter().enumerate() {
        // This agent's hub address(es): one hub, or every replica starting at the
        // i-th, so that the agents start out spread over the replicas.
        let hub_address = if hub_ports.len() == 1 {
            format!("hub_url = \"https://localhost:{}\"", hub_ports[0])
        } else {
            let urls: Vec<String> = (0..hub_ports.len())
                .map(|k| {
                    format!(
                        "\"https://localhost:{}\"",
                        hub_ports[(i + k) % hub_ports.len()]
                    )
                })
                .collect();
            format!("hub_urls = [{}]", urls.join(", "))
        };
        let source = dir.join("sources").join(slug);
        let state = dir.join("state").join(slug);
        std::fs::create_dir_all(&source)?;
        std::fs::create_dir_all(&state)?;
        let pki = dir.join("pki");
        if kind == "json" {
            std::fs::create_dir_all(source.join("export"))?;
            std::fs::write(
                source.join("node-agent.toml"),
                format!(
                    r#"{hub_address}
cert = "{pki}/parties/{slug}.pem"
key = "{pki}/parties/{slug}.key"
trust_anchors = ["{pki}/ca/root.pem"]
covenant = "{covenant}"

[source]
kind = "json-dir"
path = "export"

[witness]
log_verifier = "{verifier}"
key_file = "{state}/witness.key"
state = "{state}/witnessed.checkpoint"

[link]
initial_backoff_ms = 200
max_backoff_ms = 5000
"#,
                    pki = pki.display(),
                    covenant = covenant.display(),
                    state = state.display(),
                ),
            )?;
            continue;
        }
        std::fs::copy(
            dir.join("samples")
                .join(kind)
                .join(format!("{kind}.sqlite")),
            source.join(format!("{kind}.sqlite")),
        )?;
        let template = std::fs::read_to_string(
            root.join(format!("node-agent/examples/{kind}/node-agent.toml")),
        )?;
        let mut text = String::new();
        for line in template.lines() {
            let replaced = if line.starts_with("hub_url = ") {
                hub_address.clone()
            } else if line.starts_with("cert = ") {
                format!("cert = \"{}/parties/{slug}.pem\"", pki.display())
            } else if line.starts_with("key = ") {
                format!("key = \"{}/parties/{slug}.key\"", pki.display())
            } else if line.starts_with("trust_anchors = ") {
                format!("trust_anchors = [\"{}/ca/root.pem\"]", pki.display())
            } else if line.starts_with("covenant = ") {
                format!("covenant = \"{}\"", covenant.display())
            } else if line.starts_with("pseudonym_key = ") {
                format!(
                    "pseudonym_key = \"{}\"",
                    dir.join("pseudonym.key").display()
                )
            } else if line.starts_with("receipts = ") {
                format!("receipts = \"{}/receipts.log\"", state.display())
            } else if line.starts_with("log_verifier = ") {
                format!("log_verifier = \"{verifier}\"")
            } else if line == "key_file = \"state/witness.key\"" {
                format!("key_file = \"{}/witness.key\"", state.display())
            } else if line == "key_file = \"state/inbox.key\"" {
                format!("key_file = \"{}/inbox.key\"", state.display())
            } else if line == "dir = \"state/inbox\"" {
                format!("dir = \"{}/inbox\"", state.display())
            } else if line.starts_with("state = ") {
                format!("state = \"{}/witnessed.checkpoint\"", state.display())
            } else if line.starts_with("listen = ") {
                // The agents' health endpoints would all want the same port.
                continue;
            } else {
                line.to_owned()
            };
            text.push_str(&replaced);
            text.push('\n');
        }
        std::fs::write(source.join("node-agent.toml"), text)?;
    }
    // Zorgcollectief Amstel's export: Tobias's record with a diagnose (refused, 7.1).
    let tobias = run(Command::new(bin.join("node-agent"))
        .args(["pseudonym", "--key"])
        .arg(dir.join("pseudonym.key"))
        .args([
            "--name",
            "Tobias Testdader",
            "--birth-date",
            "1980-01-01",
            "--postcode",
            "1091 AB",
            "--house-number",
            "12",
        ]))?;
    let export = dir.join("sources/amstel/export/zorgbetrokkenheid");
    std::fs::create_dir_all(&export)?;
    std::fs::write(
        export.join(format!("{}.json", tobias.trim())),
        r#"[{ "reference": "ZCA-2026-0031", "recorded_at": "2026-10-12T10:00:00Z",
   "fields": { "zorg_betrokken": "ja", "contactpersoon": "wijkteam Oost",
               "diagnose": "synthetische diagnose" } }]
"#,
    )?;
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Starts a process with its output in `log`.
fn spawn(command: &mut Command, log: &Path) -> anyhow::Result<Child> {
    let out = std::fs::File::create(log)?;
    let err = out.try_clone()?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("start {command:?}"))
}

impl System {
    /// Starts the hub and the agents of a prepared `dir`, waits for every agent to
    /// link, and (unless `case_id` is given) brings the demo's case to `aanpak`.
    pub fn start(
        bin: &Path,
        dir: &Path,
        hub_ports: &[u16],
        case_id: Option<String>,
        agents: usize,
    ) -> anyhow::Result<System> {
        let mut system = System {
            dir: dir.to_owned(),
            bin: bin.to_owned(),
            hub_ports: hub_ports.to_vec(),
            hubs: Vec::new(),
            agents: Vec::new(),
            case_id: String::new(),
            agent_count: agents,
        };
        for n in 0..hub_ports.len() {
            let log = if n == 0 {
                dir.join("logs/hub.log")
            } else {
                dir.join(format!("logs/hub-{n}.log"))
            };
            let hub = spawn(
                Command::new(bin.join("hub"))
                    .args(["serve", "--config"])
                    .arg(hub_config(dir, n))
                    .env("RUST_LOG", "warn"),
                &log,
            )?;
            system.hubs.push(hub);
        }
        // Every replica listening before the agents start: an agent whose first
        // address does not answer yet would link to the next one, and the agents
        // would not be spread.
        let start = Instant::now();
        for port in hub_ports {
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                if start.elapsed() > Duration::from_secs(60) {
                    bail!(
                        "hub replica on port {port} did not listen within 60 s; see {}/logs/",
                        dir.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        for (_, slug) in &parties(agents) {
            let agent = spawn(
                Command::new(bin.join("node-agent"))
                    .arg("--config")
                    .arg(dir.join("sources").join(slug).join("node-agent.toml"))
                    .env("RUST_LOG", "warn"),
                &dir.join(format!("logs/agent-{slug}.log")),
            )?;
            system.agents.push(((*slug).to_owned(), agent));
        }
        system.wait_linked()?;
        system.case_id = match case_id {
            Some(id) => id,
            None => system.create_case()?,
        };
        Ok(system)
    }

    /// How many agents each replica has linked now (its own links, from `hub status`).
    pub fn linked_per_replica(&self) -> Vec<usize> {
        (0..self.hubs.len())
            .map(|n| {
                Command::new(self.bin.join("hub"))
                    .args(["status", "--json", "--config"])
                    .arg(hub_config(&self.dir, n))
                    .output()
                    .map(|o| {
                        String::from_utf8_lossy(&o.stdout)
                            .matches("\"connected\": true")
                            .count()
                    })
                    .unwrap_or(0)
            })
            .collect()
    }

    fn wait_linked(&self) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            if self.linked_per_replica().iter().sum::<usize>() >= self.agent_count {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(120) {
                bail!(
                    "not every agent linked within 120 s; see {}/logs/",
                    self.dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A hubctl profile for a person; returns its path.
    fn profile(&self, name: &str, person: &str, with_key: bool) -> anyhow::Result<PathBuf> {
        let pki = self.dir.join("pki");
        let mut text = format!(
            "hub_url = \"https://localhost:{}\"\ncert = \"{p}/persons/{person}.pem\"\nkey = \"{p}/persons/{person}.key\"\ntrust_anchors = [\"{p}/ca/root.pem\"]\n",
            self.hub_ports[0],
            p = pki.display()
        );
        if with_key {
            text += &format!(
                "pseudonym_key = \"{}\"\n",
                self.dir.join("pseudonym.key").display()
            );
        }
        std::fs::create_dir_all(self.dir.join("profiles"))?;
        let path = self.dir.join("profiles").join(format!("{name}.toml"));
        std::fs::write(&path, text)?;
        Ok(path)
    }

    fn hubctl(&self, profile: &Path, args: &[&str], input: Option<&str>) -> anyhow::Result<String> {
        let mut command = Command::new(self.bin.join("hubctl"));
        command.args(args).env("HUBCTL_PROFILE", profile);
        match input {
            Some(input) => run_with_input(&mut command, input),
            None => run(&mut command),
        }
    }

    /// The demo's steps 1–5: the melding, registratie with the two subjects, duiding,
    /// the victim's consent and the move to aanpak. Returns the case id.
    fn create_case(&self) -> anyhow::Result<String> {
        let im = self.profile("im", "p-gemeente-001", true)?;
        let sdr = self.profile("sdr", "p-gemeente-004", true)?;
        let created = self.hubctl(
            &im,
            &[
                "case",
                "create",
                "--stadsdeel",
                "oost",
                "--melding-at",
                "now-3h",
                "--reference",
                "14020-2026-118",
            ],
            None,
        )?;
        let case_id = created
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| w.starts_with("C-") && w.len() >= 11)
            .context("`case create` printed no case id")?
            .to_owned();
        let c = case_id.as_str();
        self.hubctl(&im, &["case", "contact", c, "--at", "now-30m"], None)?;
        self.hubctl(
            &im,
            &[
                "case",
                "move",
                c,
                "registratie",
                "--reason",
                "melding complete",
            ],
            None,
        )?;
        self.hubctl(
            &im,
            &[
                "subject",
                "add",
                c,
                "--role",
                "slachtoffer",
                "--label",
                "melder, bewoner 14-2",
                "--stdin",
            ],
            Some("Sanne Slachtoffer\t1975-05-05\t1091 AB\t14-2\n"),
        )?;
        self.hubctl(
            &im,
            &[
                "subject",
                "add",
                c,
                "--role",
                "dader",
                "--label",
                "buurman nr. 12",
                "--stdin",
            ],
            Some("Tobias Testdader\t1980-01-01\t1091 AB\t12\n"),
        )?;
        self.hubctl(
            &im,
            &["case", "move", c, "duiding", "--reason", "assess"],
            None,
        )?;
        self.hubctl(
            &sdr,
            &[
                "consent",
                "record",
                c,
                "--subject",
                "melder, bewoner 14-2",
                "--category",
                "slachtofferinformatie",
                "--date",
                "today",
            ],
            None,
        )?;
        self.hubctl(
            &sdr,
            &[
                "case",
                "move",
                c,
                "aanpak",
                "--reason",
                "complex case: joint approach",
                "--expect",
                "duiding",
            ],
            None,
        )?;
        Ok(case_id)
    }

    /// The stadsdeelregisseur's TLS files (the load client's identity).
    pub fn requester_tls(&self) -> crate::baseline::Tls {
        let pki = self.dir.join("pki");
        crate::baseline::Tls {
            cert: pki.join("persons/p-gemeente-004.pem"),
            key: pki.join("persons/p-gemeente-004.key"),
            ca: pki.join("ca/root.pem"),
        }
    }

    /// Process ids: the hub replicas', then the agents'.
    pub fn hub_pids(&self) -> Vec<u32> {
        self.hubs.iter().map(Child::id).collect()
    }

    pub fn agent_pids(&self) -> Vec<u32> {
        self.agents.iter().map(|(_, c)| c.id()).collect()
    }
}
