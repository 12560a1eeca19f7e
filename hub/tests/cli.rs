//! The `hub` binary's commands, run as a user would run them.

use std::path::Path;
use std::process::{Command, Output};

use treiter_certs_dev::{Layout, Options};

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("run hub")
}

fn pki(dir: &Path) -> Layout {
    treiter_certs_dev::generate(
        &dir.join("pki"),
        &Options {
            test_certs: false,
            now: time::OffsetDateTime::now_utc(),
            force: false,
        },
    )
    .expect("pki")
}

fn write_config(dir: &Path, persons: &str) -> std::path::PathBuf {
    write_config_with(dir, persons, "master.key")
}

/// The configuration with `master_key_file = master_key`; the key is generated with
/// `hub master-key generate` when absent.
fn write_config_with(dir: &Path, persons: &str, master_key: &str) -> std::path::PathBuf {
    let key_path = dir.join(master_key);
    if !key_path.exists() {
        if let Some(parent) = key_path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        let out = hub(&[
            "master-key",
            "generate",
            "--out",
            key_path.to_str().expect("utf-8"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let covenant = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant");
    let text = format!(
        r#"listen = "127.0.0.1:1"
admin_listen = "127.0.0.1:2"
covenant = "{}"
persons = "{persons}"
data_dir = "data"
master_key_file = "{master_key}"
[tls]
cert = "pki/hub/hub.pem"
key = "pki/hub/hub.key"
[[trust_anchor]]
cert = "pki/ca/root.pem"
crl = "pki/ca/root.crl.pem"
"#,
        covenant.display()
    );
    let path = dir.join("hub.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn check_config_accepts_a_complete_configuration() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let out = hub(&["check-config", "--config", config.to_str().expect("utf-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configuration ok"), "{stdout}");
    assert!(stdout.contains("7 parties"), "{stdout}");
    assert!(
        stdout.contains(
            "admin endpoint: http://127.0.0.1:2/healthz, /status and /metrics (loopback)"
        ),
        "{stdout}"
    );
}

/// Flips one bit of the signature of the CRL file at `path` (PEM), in place.
fn tamper_crl(path: &Path) {
    use base64::Engine as _;
    use rustls_pki_types::pem::PemObject as _;
    let pem = std::fs::read(path).expect("crl");
    let mut der = rustls_pki_types::CertificateRevocationListDer::from_pem_slice(&pem)
        .expect("pem")
        .as_ref()
        .to_vec();
    // The signature is the CRL's last element.
    if let Some(last) = der.last_mut() {
        *last ^= 0x01;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    std::fs::write(
        path,
        format!(
            "-----BEGIN X509 CRL-----\n{}\n-----END X509 CRL-----\n",
            lines.join("\n")
        ),
    )
    .expect("write crl");
}

#[test]
fn check_config_refuses_a_crl_whose_signature_does_not_verify() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    tamper_crl(&layout.ca_crl());
    let out = hub(&["check-config", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the signature of CRL")
            && stderr.contains("pki/ca/root.crl.pem")
            && stderr.contains("trust anchor")
            && stderr.contains("pki/ca/root.pem"),
        "{stderr}"
    );
}

/// Every entry under `dir`: its path, kind, mode and content, in a fixed order.
fn tree(dir: &Path) -> Vec<(String, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&current)
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let mode = meta.permissions().mode();
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link {mode:o} -> {}",
                    std::fs::read_link(&path).expect("link").display()
                )
            } else if meta.is_dir() {
                stack.push(path.clone());
                format!("dir {mode:o}")
            } else {
                let bytes = std::fs::read(&path).expect("read");
                format!("file {mode:o} {bytes:?}")
            };
            let name = path
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string();
            out.push((name, what));
        }
    }
    out
}

#[test]
fn check_config_changes_nothing_on_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let config = config.to_str().expect("utf-8");
    let before = tree(dir.path());
    let out = hub(&["check-config", "--config", config]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before, "check-config changed the disk");
    // It says what the first start would create.
    for what in [
        format!(
            "log key {} does not exist yet: `hub serve` creates it",
            dir.path().join("data.log.key").display()
        ),
        format!(
            "key store {} does not exist yet",
            dir.path().join("data.keys").display()
        ),
        format!(
            "data directory {} does not exist yet",
            dir.path().join("data").display()
        ),
    ] {
        assert!(stdout.contains(&what), "{what}\n{stdout}");
    }
    assert!(!stdout.contains("verifier key"), "{stdout}");

    // After `hub init` the check finds them, and still changes nothing.
    let out = hub(&["init", "--config", config]);
    let init = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verifier = init
        .lines()
        .find_map(|l| l.strip_prefix("decision log verifier key: "))
        .expect("init prints the verifier");
    let before = tree(dir.path());
    let out = hub(&["check-config", "--config", config]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before, "check-config changed the disk");
    assert!(stdout.contains("opens with the master key"), "{stdout}");
    assert!(
        stdout.contains(&format!("decision log verifier key: {verifier}")),
        "{stdout}"
    );
}

#[test]
fn check_config_refuses_a_log_key_inside_the_data_dir() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, format!("log_key = \"data/log.key\"\n{text}")).expect("write");
    for command in ["check-config", "init"] {
        let out = hub(&[command, "--config", config.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("the log key") && stderr.contains("is inside the data directory"),
            "{command}: {stderr}"
        );
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn check_config_names_the_missing_file() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/nobody.toml");
    let out = hub(&["check-config", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("cannot read the person registry") && stderr.contains("nobody.toml"),
        "{stderr}"
    );
}

#[test]
fn check_config_refuses_a_misspelt_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1\"\ncovnant = \"x\"\n").expect("write");
    let out = hub(&["check-config", "--config", path.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("covnant"), "{stderr}");
}

#[test]
fn status_says_when_no_hub_is_running() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let out = hub(&["status", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("cannot reach the hub's admin endpoint"),
        "{stderr}"
    );
}

#[test]
fn log_verify_checks_the_decision_log() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let config = config.to_str().expect("utf-8");
    // `hub init` creates the log and its signing key next to the data dir.
    let out = hub(&["init", "--config", config]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("data.log.key").exists(),
        "the key is outside the data dir"
    );
    let out = hub(&["log", "verify", "--config", config]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("decision log ok: 0 entries"), "{stdout}");

    // Damage a segment: verification must fail and say so.
    let log_dir = dir.path().join("data/log");
    let segment = std::fs::read_dir(&log_dir)
        .expect("log dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"));
    {
        let segment = segment.expect("the log has a segment file from its first start");
        let mut bytes = std::fs::read(&segment).expect("read");
        if let Some(first) = bytes.get_mut(0) {
            *first ^= 0xff;
        }
        std::fs::write(&segment, bytes).expect("write");
        let out = hub(&["log-verify", "--config", config]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("does NOT verify"));
    }
}

#[test]
fn master_key_generate_writes_an_owner_only_file_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_path = dir.path().join("master.key");
    let path = out_path.to_str().expect("utf-8");
    let out = hub(&["master-key", "generate", "--out", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let first = std::fs::read(&out_path).expect("read");
    let out = hub(&["master-key", "generate", "--out", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("never overwritten"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&out_path).expect("read"), first);
}

#[cfg(unix)]
#[test]
fn check_config_refuses_a_master_key_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let key = dir.path().join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = hub(&["check-config", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!("chmod 600 {}", key.display())) && stderr.contains("644"),
        "{stderr}"
    );
}

#[test]
fn check_config_refuses_a_master_key_inside_the_data_dir() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config_with(dir.path(), "pki/persons.toml", "data/master.key");
    let out = hub(&["check-config", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("is inside the data directory") && stderr.contains("master.key"),
        "{stderr}"
    );
}

#[test]
fn check_config_refuses_a_wrong_master_key_clearly() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let config = config.to_str().expect("utf-8");
    let out = hub(&["init", "--config", config]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another master key for the same key store.
    std::fs::remove_file(dir.path().join("master.key")).expect("rm");
    write_config(dir.path(), "pki/persons.toml");
    let out = hub(&["check-config", "--config", config]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("is not the master key this key store was created with"),
        "{stderr}"
    );
}

#[test]
fn retention_sweep_runs_once_and_reports() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let out = hub(&[
        "retention-sweep",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("retention sweep done: 0 case(s) deleted"),
        "{stdout}"
    );
}

#[test]
fn the_master_key_can_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let key = std::fs::read_to_string(dir.path().join("master.key")).expect("key");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text.replace("master_key_file = \"master.key\"\n", ""),
    )
    .expect("write");
    let run = |env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
        command
            .args(["check-config", "--config", config.to_str().expect("utf-8")])
            .env("RUST_LOG", "error")
            .env_remove("TREITER_HUB_MASTER_KEY");
        if let Some(value) = env {
            command.env("TREITER_HUB_MASTER_KEY", value);
        }
        command.output().expect("run hub")
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no master key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(Some(key.trim()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A hub's decision log with `n` entries (retention deletions: they need no case) and a
/// checkpoint after all but the last two, written through the library as the hub does.
fn write_log(dir: &Path, n: u64) -> std::path::PathBuf {
    use treiter_hub::log::entry::{CaseId, LogTime, RetentionDeletion};
    use treiter_hub::log::{Entry, Event, Log, LogKey, LogOptions};
    let key_path = dir.join("data.log.key");
    let (key, _) =
        LogKey::load_or_generate(&key_path, treiter_hub::state::LOG_ORIGIN).expect("log key");
    let log_dir = dir.join("data/log");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (log, _) = Log::open(&log_dir, key, LogOptions::default()).expect("open log");
        let ended =
            LogTime::from_datetime(time::macros::datetime!(2024-01-31 12:00 UTC)).expect("time");
        for i in 0..n {
            let entry = Entry {
                time: ended,
                covenant_version: 1,
                event: Event::RetentionDeletion(RetentionDeletion {
                    case: CaseId::parse(&format!("C-2024-{i:04}")).expect("case id"),
                    case_ended: ended,
                    article: "9.1".parse().expect("article"),
                }),
            };
            log.append(entry).await.expect("append");
            if i + 3 == n {
                log.checkpoint().await.expect("checkpoint");
            }
        }
    });
    log_dir
}

#[test]
fn a_cut_log_is_named_by_log_verify_and_refused_by_serve() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let config = write_config(dir.path(), "pki/persons.toml");
    let config = config.to_str().expect("utf-8");
    let log_dir = write_log(dir.path(), 12);
    let out = hub(&["log", "verify", "--config", config]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("decision log ok: 12 entries"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Cut the segment at a record boundary: the last 4 entries, 2 of them checkpointed.
    let segment = log_dir.join(format!("{:020}.seg", 0));
    let bytes = std::fs::read(&segment).expect("read");
    let starts = record_starts(&bytes);
    std::fs::write(&segment, &bytes[..starts[8]]).expect("write");

    let out = hub(&["log", "verify", "--config", config]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("does NOT verify: entries 8 to 11 are missing or damaged"),
        "{stderr}"
    );

    let out = hub(&["serve", "--config", config]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("does not verify, so the hub will not start: entries 8 to 11"),
        "{stderr}"
    );
    assert!(
        stderr.contains("What to do: change or delete nothing"),
        "{stderr}"
    );
    // The refusal left the evidence as it was.
    assert_eq!(std::fs::read(&segment).expect("read").len(), starts[8]);
}

/// Where each record of a segment starts (the record format of `hub::log`'s module
/// doc: kind, u32 body length, u64 seq, 32-byte tag, body).
fn record_starts(segment: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut pos = 16;
    while let Some(len) = segment.get(pos + 1..pos + 5) {
        starts.push(pos);
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        pos += 45 + len;
    }
    // Entries only: checkpoint records (kind 2) are skipped.
    starts.into_iter().filter(|&p| segment[p] == 1).collect()
}

#[test]
fn an_error_prints_each_cause_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("absent.toml");
    let out = hub(&["check-config", "--config", missing.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("hub: cannot read the hub configuration"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
}

/// A stand-in for a hub's admin endpoint that answers every request with `status`.
fn fake_admin(status: &treiter_hub::admin::StatusDocument) -> std::net::SocketAddr {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let body = serde_json::to_string(status).expect("json");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// The status of a hub whose one agent claims a version that would clear the screen
/// and add a row of its own, under a party name with a bidi override.
fn hostile_status() -> treiter_hub::admin::StatusDocument {
    treiter_hub::admin::StatusDocument {
        hub_version: "0.1.0".into(),
        covenant_version: 1,
        agents: vec![treiter_hub::admin::AgentStatus {
            oin: "00000002000000000002".into(),
            name: "Politie \u{202e}madretsmA".into(),
            kind: "politie".into(),
            connected: true,
            link_id: Some("l-1".into()),
            since_unix: Some(0),
            agent_version: "0.1\u{1b}[2J\n00000009000000000009 FAKE connected".into(),
            covenant_version: 1,
            links_opened: 1,
            certificate_not_after_unix: None,
        }],
        refusals: [("bad\u{7}reason".to_owned(), 1)].into_iter().collect(),
        witness_alerts: vec![treiter_hub::admin::WitnessAlertStatus {
            oin: "00000002000000000002".into(),
            name: "Politie\n00000009000000000009 FAKE connected".into(),
            tree_size: 12,
            from_tree_size: 4,
            held_tree_size: 8,
            reason: "fork\u{1b}[2J".into(),
            detail: "line\u{1b}]0;title\u{7}\n  FAKE: all fine".into(),
            first_refused_unix: 0,
            last_refused_unix: 0,
            refusals: 1,
        }],
        witness_refusals: [("fork\u{1b}[2J".to_owned(), 1)].into_iter().collect(),
        replica: Some("61b8\u{1b}[2J".into()),
    }
}

fn config_with_admin(dir: &Path, admin: std::net::SocketAddr) -> std::path::PathBuf {
    pki(dir);
    let config = write_config(dir, "pki/persons.toml");
    let text = std::fs::read_to_string(&config).expect("read config");
    let text = text.replace(
        "admin_listen = \"127.0.0.1:2\"",
        &format!("admin_listen = \"{admin}\""),
    );
    std::fs::write(&config, text).expect("write config");
    config
}

#[test]
fn status_escapes_what_an_agent_or_the_covenant_says() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_with_admin(dir.path(), fake_admin(&hostile_status()));
    let out = hub(&["status", "--config", config.to_str().expect("utf-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout
            .chars()
            .any(|c| c != '\n' && treiter_proto::text::is_hidden(c)),
        "{stdout:?}"
    );
    // The heading, a blank line, the column names, one agent row; a blank line, the
    // witness alerts heading and one alert; a blank line, the witness refusals heading
    // and one; a blank line, the refusals heading and one refusal: no row of the
    // agent's making.
    assert_eq!(stdout.lines().count(), 13, "{stdout}");
    assert!(stdout.contains("fork\\u{1b}[2J"), "{stdout}");
    // A replica names itself in the heading (as `hub log verify` names signers).
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|heading| heading.contains(" · replica 61b8\\u{1b}[2J · ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("0.1\\u{1b}[2J\\n00000009000000000009 FAKE connected"),
        "{stdout}"
    );
    assert!(stdout.contains("Politie \\u{202e}madretsmA"), "{stdout}");
    assert!(stdout.contains("bad\\u{7}reason"), "{stdout}");
    // The JSON form means the same and shows only visible characters too.
    let out = hub(&[
        "status",
        "--json",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout
            .chars()
            .any(|c| c != '\n' && treiter_proto::text::is_hidden(c)),
        "{stdout:?}"
    );
    let back: treiter_hub::admin::StatusDocument =
        serde_json::from_str(&stdout).expect("status JSON");
    assert_eq!(back, hostile_status());
}

#[test]
fn status_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_with_admin(dir.path(), fake_admin(&hostile_status()));
    for json in [true, false] {
        let mut args = vec!["status", "--config", config.to_str().expect("utf-8")];
        if json {
            args.push("--json");
        }
        // `hub status --json | head -0`: the reader is gone before the hub writes.
        let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
            .args(&args)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run hub");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json {json}: {stderr}");
        assert!(!stderr.contains("panicked"), "json {json}: {stderr}");
    }
}
