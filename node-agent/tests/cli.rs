//! The `node-agent` binary's configuration check, run as a partner's IT department
//! would run it before starting the agent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use treiter_certs_dev::{Layout, Options};

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

/// The covenant of the workspace.
fn covenant_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant")
}

fn config(dir: &Path, cert: &str, key: &str) -> PathBuf {
    config_with(dir, cert, key, "")
}

fn config_with(dir: &Path, cert: &str, key: &str, extra: &str) -> PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "hub_url = \"https://127.0.0.1:7443\"\ncert = \"{cert}\"\nkey = \"{key}\"\ntrust_anchors = [\"pki/ca/root.pem\"]\ncovenant = \"{covenant}\"\n{extra}",
            covenant = covenant_path().display()
        ),
    )
    .expect("write");
    path
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_node-agent"))
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run node-agent");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

/// The key of the known-answer test in treiter_pseudonym: bytes 0x00..0x1f.
fn key_file(dir: &Path, mode: u32) -> PathBuf {
    let path = dir.join("pseudonym.key");
    let hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("{hex}\n")).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let _ = mode;
    path
}

const KNOWN_ANSWER: &str = "98f7a6689b1f9ef8bba6c417971a39a0039487d27dfc0078dea223130738e32b";

fn check(config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_node-agent"))
        .args(["--check-config", "--config"])
        .arg(config)
        .env("RUST_LOG", "error")
        .output()
        .expect("run node-agent")
}

#[test]
fn check_config_shows_the_party_oin() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/om.key",
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("00000003000000000003"), "{stdout}");
}

#[test]
fn check_config_refuses_a_person_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config(
        dir.path(),
        "pki/persons/p-om-010.pem",
        "pki/persons/p-om-010.key",
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("person certificate"), "{stderr}");
}

fn pki_with_test_certs(dir: &Path) -> Layout {
    treiter_certs_dev::generate(
        &dir.join("pki"),
        &Options {
            test_certs: true,
            now: time::OffsetDateTime::now_utc(),
            force: false,
        },
    )
    .expect("pki")
}

/// `check-config` refused the configuration: exit 1, nothing claims it is ok, and
/// the message is returned.
fn refused(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stdout.contains("configuration ok"), "{stdout}");
    stderr
}

#[test]
fn check_config_says_when_metrics_listen_off_loopback() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config_with(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/om.key",
        "[health]\nlisten = \"0.0.0.0:9464\"\nallow_non_loopback = true\n",
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OFF LOOPBACK"), "{stdout}");
    let out = check(&config_with(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/om.key",
        "[health]\nlisten = \"0.0.0.0:9464\"\n",
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("health.allow_non_loopback = true"),
        "{stderr}"
    );
}

#[test]
fn check_config_refuses_a_certificate_whose_oin_is_no_party() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = pki_with_test_certs(dir.path());
    let cert = layout.test_cert(treiter_certs_dev::TestCert::UnknownOin);
    let key = layout.test_key(treiter_certs_dev::TestCert::UnknownOin);
    let stderr = refused(&check(&config(
        dir.path(),
        &cert.display().to_string(),
        &key.display().to_string(),
    )));
    assert!(stderr.contains(treiter_certs_dev::UNKNOWN_OIN), "{stderr}");
    assert!(stderr.contains("not a party"), "{stderr}");
    assert!(stderr.contains("Annex A"), "{stderr}");
    // What to do: the party's own certificate, or the covenant version that adds it.
    assert!(stderr.contains("organisation certificate"), "{stderr}");
}

#[test]
fn check_config_refuses_a_certificate_from_another_ca_than_the_trust_anchors() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = pki_with_test_certs(dir.path());
    let cert = layout.test_cert(treiter_certs_dev::TestCert::WrongCa);
    let key = layout.test_key(treiter_certs_dev::TestCert::WrongCa);
    let stderr = refused(&check(&config(
        dir.path(),
        &cert.display().to_string(),
        &key.display().to_string(),
    )));
    assert!(stderr.contains(&cert.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("not issued by any of the trust anchors"),
        "{stderr}"
    );
    assert!(stderr.contains("Other Dev CA"), "{stderr}");
    assert!(!stderr.contains("UnknownIssuer"), "{stderr}");
}

#[test]
fn check_config_refuses_certificates_the_hub_refuses_for_their_profile() {
    use treiter_certs_dev::TestCert;
    let dir = tempfile::tempdir().expect("tmp");
    let layout = pki_with_test_certs(dir.path());
    for (which, says) in [
        (TestCert::NoClientAuth, "clientAuth"),
        (TestCert::NoDigitalSignature, "digitalSignature"),
        (TestCert::WeakRsa, "the hub requires at least 2048"),
    ] {
        let stderr = refused(&check(&config(
            dir.path(),
            &layout.test_cert(which).display().to_string(),
            &layout.test_key(which).display().to_string(),
        )));
        assert!(stderr.contains("would be refused by the hub"), "{stderr}");
        assert!(stderr.contains(says), "{which:?}: {stderr}");
    }
}

#[test]
fn check_config_refuses_a_party_certificate_as_trust_anchor() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let path = config_with(dir.path(), "pki/parties/om.pem", "pki/parties/om.key", "");
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("pki/ca/root.pem", "pki/parties/om.pem");
    std::fs::write(&path, text).expect("write");
    let stderr = refused(&check(&path));
    assert!(stderr.contains("pki/parties/om.pem"), "{stderr}");
    assert!(stderr.contains("trust_anchors"), "{stderr}");
    assert!(stderr.contains("00000003000000000003"), "{stderr}");
    assert!(stderr.contains("not a CA certificate"), "{stderr}");
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
            let what = if meta.is_dir() {
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
    let hub_log = treiter_translog::NoteSigner::from_pkcs8(
        "treiteraanpak.test/hub-log",
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .expect("key")
            .as_ref(),
    )
    .expect("signer");
    let path = config_with(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/om.key",
        &format!(
            "receipts = \"state/receipts.log\"\ncovenant_state = \"state/covenant\"\n\
             [inbox]\ndir = \"state/inbox\"\nkey_file = \"state/inbox.key\"\n\
             [witness]\nlog_verifier = \"{}\"\nkey_file = \"state/witness.key\"\nstate = \"state/witnessed.checkpoint\"\n",
            hub_log.verifier()
        ),
    );
    let before = tree(dir.path());
    let out = check(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before, "check-config changed the disk");
    for what in [
        "state/receipts.log (created on the first start)",
        "key and inbox created on the first start",
        "state/witness.key (created on the first start)",
        "(none witnessed yet)",
    ] {
        assert!(stdout.contains(what), "{what}\n{stdout}");
    }
}

#[test]
fn check_config_refuses_a_trust_anchor_that_is_not_a_ca() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let path = config(dir.path(), "pki/parties/om.pem", "pki/parties/om.key");
    // The hub's server certificate instead of the CA that issued it.
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("pki/ca/root.pem", "pki/hub/hub.pem");
    std::fs::write(&path, text).expect("write");
    let out = check(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("hub/hub.pem") && stderr.contains("not a CA certificate"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn check_config_refuses_a_tls_key_others_can_read_naming_the_symlink_target() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let layout = pki(dir.path());
    let key = layout.party_key("om");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::os::unix::fs::symlink(&key, dir.path().join("agent.key")).expect("symlink");
    let out = check(&config(dir.path(), "pki/parties/om.pem", "agent.key"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let resolved = std::fs::canonicalize(&key).expect("canonical");
    assert!(
        stderr.contains("mode 0644")
            && stderr.contains(&format!("chmod 600 {}", resolved.display())),
        "{stderr}"
    );
}

#[test]
fn check_config_names_a_missing_key() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/gone.key",
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("gone.key"), "{stderr}");
}

#[test]
fn check_config_refuses_a_key_of_another_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/ggd.key",
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("cannot be used together"), "{stderr}");
    assert!(
        stderr.contains("the private key does not belong to the certificate"),
        "{stderr}"
    );
    assert!(!stderr.contains("KeyMismatch"), "{stderr}");
}

#[test]
fn check_config_shows_covenant_version_and_source() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    std::fs::create_dir_all(dir.path().join("export/politie-incidenten")).expect("mkdir");
    let out = check(&config_with(
        dir.path(),
        "pki/parties/politie.pem",
        "pki/parties/politie.key",
        "[source]\nkind = \"json-dir\"\npath = \"export\"\n",
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("covenant:     version 1"), "{stdout}");
    assert!(stdout.contains("json-dir"), "{stdout}");
    assert!(
        stdout.contains("categories:   politie-incidenten"),
        "{stdout}"
    );
}

#[test]
fn check_config_without_a_source_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let out = check(&config(
        dir.path(),
        "pki/parties/om.pem",
        "pki/parties/om.key",
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("source:       none"), "{stdout}");
}

#[test]
fn check_config_refuses_a_source_folder_that_is_not_a_category() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    std::fs::create_dir_all(dir.path().join("export/politie-incident")).expect("mkdir");
    let out = check(&config_with(
        dir.path(),
        "pki/parties/politie.pem",
        "pki/parties/politie.key",
        "[source]\nkind = \"json-dir\"\npath = \"export\"\n",
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("'politie-incident'"), "{stderr}");
    assert!(
        stderr.contains("did you mean 'politie-incidenten'"),
        "{stderr}"
    );
}

#[test]
fn check_config_names_a_missing_covenant() {
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        "hub_url = \"https://127.0.0.1:7443\"\ncert = \"pki/parties/om.pem\"\nkey = \"pki/parties/om.key\"\ntrust_anchors = [\"pki/ca/root.pem\"]\ncovenant = \"gone.covenant\"\n",
    )
    .expect("write");
    let out = check(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("cannot read the covenant"), "{stderr}");
    assert!(stderr.contains("gone.covenant"), "{stderr}");
}

#[test]
fn pseudonym_prints_the_known_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = key_file(dir.path(), 0o600);
    let key = key.to_str().expect("utf-8 path");
    let out = run(
        &[
            "pseudonym",
            "--key",
            key,
            "--name",
            "José  van der Berg-Smit",
            "--birth-date",
            "1985-03-07",
            "--postcode",
            "1234 ab",
            "--house-number",
            "12-a",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), KNOWN_ANSWER);
}

#[test]
fn pseudonym_reads_tab_separated_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = key_file(dir.path(), 0o600);
    let key = key.to_str().expect("utf-8 path");
    let out = run(
        &["pseudonym", "--key", key, "--stdin"],
        Some("JOSE VAN DER BERG SMIT\t1985-03-07\t1234AB\t12A\nJansen\t1985-02-30\t1234AB\t1\r\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, [KNOWN_ANSWER, ""]);
    assert!(
        stderr.contains("line 2: the date of birth is not a real calendar date"),
        "{stderr}"
    );
    assert!(!stderr.contains("Jansen"), "{stderr}");
}

#[test]
fn pseudonym_refuses_a_malformed_component_without_showing_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = key_file(dir.path(), 0o600);
    let key = key.to_str().expect("utf-8 path");
    let out = run(
        &[
            "pseudonym",
            "--key",
            key,
            "--name",
            "Jan",
            "--birth-date",
            "1985-03-07",
            "--postcode",
            "Damrak 1",
            "--house-number",
            "1",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("the postcode is not a Dutch postcode"),
        "{stderr}"
    );
    assert!(!stderr.contains("Damrak"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn pseudonym_refuses_a_key_others_can_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = key_file(dir.path(), 0o644);
    let key = key.to_str().expect("utf-8 path");
    let out = run(
        &[
            "pseudonym",
            "--key",
            key,
            "--name",
            "Jan",
            "--birth-date",
            "1985-03-07",
            "--postcode",
            "1234AB",
            "--house-number",
            "1",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("has mode 0644: group or others can access it"),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[test]
fn config_is_still_required_without_a_subcommand() {
    let out = run(&[], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("--config"), "{stderr}");
}

/// The agent as a service: JSON log lines, `/healthz` saying why it is not linked,
/// `/metrics`, and a clean exit on SIGTERM.
#[cfg(unix)]
#[test]
fn runs_with_json_logs_health_and_metrics_and_stops_on_sigterm() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tmp");
    pki(dir.path());
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
    };
    let (hub, health) = (free(), free());
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "hub_url = \"https://{hub}\"\ncert = \"pki/parties/om.pem\"\nkey = \"pki/parties/om.key\"\ntrust_anchors = [\"pki/ca/root.pem\"]\ncovenant = \"{covenant}\"\n[health]\nlisten = \"{health}\"\n[log]\nformat = \"json\"\n[link]\ninitial_backoff_ms = 100\nmax_backoff_ms = 200\n",
            covenant = covenant_path().display()
        ),
    )
    .expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_node-agent"))
        .arg("--config")
        .arg(&path)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let get = |what: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(health).ok()?;
        s.write_all(
            format!("GET {what} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        Some(text)
    };
    let start = std::time::Instant::now();
    let healthz = loop {
        if let Some(text) = get("/healthz")
            && text.contains("not linked")
        {
            break text;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no /healthz"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(healthz.starts_with("HTTP/1.1 503"), "{healthz}");
    assert!(healthz.contains("cannot reach the hub"), "{healthz}");
    let metrics = get("/metrics").expect("metrics");
    assert!(metrics.contains("hub_agent_connected 0"), "{metrics}");
    assert!(
        metrics.contains("hub_agent_certificate_expiry_seconds"),
        "{metrics}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "SIGTERM is a clean stop: {exit:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert!(value.get("level").is_some(), "{line}");
    }
    assert!(stderr.contains("agent stopped"), "{stderr}");
}

#[test]
fn an_error_prints_each_cause_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("absent.toml");
    let out = check(&missing);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("node-agent: cannot read the agent configuration"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tmp");
    let key = key_file(dir.path(), 0o600);
    // `node-agent pseudonym --stdin < people.tsv | head -0`: the reader is gone before
    // the first pseudonym is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_node-agent"))
        .args(["pseudonym", "--stdin", "--key"])
        .arg(&key)
        .env("RUST_LOG", "error")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run node-agent");
    drop(child.stdout.take());
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(b"JOSE VAN DER BERG SMIT\t1985-03-07\t1234AB\t12A\n")
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
