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
admin_listen = "127.0.0.1:1"
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
    // Loading the hub creates the log and its signing key next to the data dir.
    let out = hub(&["check-config", "--config", config]);
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
    let out = hub(&["check-config", "--config", config]);
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
    }
}

fn config_with_admin(dir: &Path, admin: std::net::SocketAddr) -> std::path::PathBuf {
    pki(dir);
    let config = write_config(dir, "pki/persons.toml");
    let text = std::fs::read_to_string(&config).expect("read config");
    let text = text.replace(
        "admin_listen = \"127.0.0.1:1\"",
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
    // The heading, a blank line, the column names, one agent row, a blank line, the
    // refusals heading and one refusal: no row of the agent's making.
    assert_eq!(stdout.lines().count(), 7, "{stdout}");
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
