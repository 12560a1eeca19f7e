//! The `hubctl` binary without a hub: help, profiles, local refusals and an unreachable
//! hub. (With a hub and agents: `tests/tests/hubctl.rs` in the workspace's e2e tests.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hubctl(dir: &Path, args: &[&str], profile_env: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hubctl"));
    cmd.args(args).current_dir(dir).env_remove("HUBCTL_PROFILE");
    if let Some(p) = profile_env {
        cmd.env("HUBCTL_PROFILE", p);
    }
    cmd.output().expect("hubctl runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A dev PKI and a profile for the informatiemakelaar of oost, dialling a port where
/// nothing listens.
fn setup(dir: &Path) -> (PathBuf, String) {
    let layout = treiter_certs_dev::generate(
        &dir.join("pki"),
        &treiter_certs_dev::Options {
            test_certs: false,
            now: time::OffsetDateTime::now_utc(),
            force: false,
        },
    )
    .expect("dev PKI");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("https://127.0.0.1:{port}");
    let profile = dir.join("im.toml");
    std::fs::write(
        &profile,
        format!(
            "hub_url = \"{url}\"\ncert = \"pki/persons/p-gemeente-001.pem\"\nkey = \"{}\"\ntrust_anchors = [\"pki/ca/root.pem\"]\n",
            layout.person_key("p-gemeente-001").display()
        ),
    )
    .expect("profile");
    (profile, url)
}

#[test]
fn help_lists_the_commands_and_the_exit_codes() {
    let dir = tempfile::tempdir().expect("dir");
    let out = hubctl(dir.path(), &["--help"], None);
    assert!(out.status.success());
    let text = stdout(&out);
    for command in [
        "whoami",
        "case",
        "subject",
        "consent",
        "participant",
        "emergency",
        "bevraag",
        "casefile",
        "covenant",
        "log",
        "inzage",
        "notifications",
    ] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "{command}: {text}"
        );
    }
    assert!(
        text.contains("Exit codes:") && text.contains("HUBCTL_PROFILE"),
        "{text}"
    );
    let out = hubctl(dir.path(), &["casefile", "request", "--help"], None);
    assert!(stdout(&out).contains("--purpose"));
}

#[test]
fn a_missing_or_wrong_profile_is_a_setup_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let out = hubctl(dir.path(), &["whoami"], None);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("hubctl.toml") && err.contains("--profile") && err.contains("HUBCTL_PROFILE"),
        "{err}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "hub_url = \"https://h:1\"\ncert = \"c\"\nkey = \"k\"\ntrust_anchors = [\"a\"]\nhub = \"x\"\n",
    )
    .expect("write");
    let out = hubctl(dir.path(), &["--profile", "bad.toml", "whoami"], None);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("bad.toml") && err.contains("`hub`"), "{err}");
    // The same through HUBCTL_PROFILE.
    let out = hubctl(dir.path(), &["whoami"], Some(&bad));
    assert!(stderr(&out).contains("`hub`"));
    // Certificate files that do not exist are named.
    std::fs::write(
        &bad,
        "hub_url = \"https://h:1\"\ncert = \"missing.pem\"\nkey = \"k\"\ntrust_anchors = [\"a\"]\n",
    )
    .expect("write");
    let out = hubctl(dir.path(), &["whoami"], Some(&bad));
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("`cert` names") && err.contains("missing.pem") && err.contains("bad.toml"),
        "{err}"
    );
    // The cause is told once, not once more by the error chain.
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}

#[test]
fn an_unreachable_hub_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let (profile, url) = setup(dir.path());
    let out = hubctl(dir.path(), &["case", "list"], Some(&profile));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&url) && err.contains("hub_url"), "{err}");
    // --json: the error as JSON on standard error.
    let out = hubctl(dir.path(), &["--json", "case", "list"], Some(&profile));
    let value: serde_json::Value = serde_json::from_str(stderr(&out).trim()).expect("a JSON error");
    assert_eq!(value["error"]["exit_code"], 4);
    assert_eq!(value["error"]["kind"], "unreachable");
}

#[test]
fn identifying_data_is_refused_locally_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let (profile, _) = setup(dir.path());
    let add = |extra: &[&str], profile: &Path| {
        let mut args = vec!["subject", "add", "C-2026-0001", "--role", "dader"];
        args.extend_from_slice(extra);
        hubctl(dir.path(), &args, Some(profile))
    };
    let identity = [
        "--name",
        "Tobias Testdader",
        "--birth-date",
        "1980-01-01",
        "--postcode",
        "1091 AB",
        "--house-number",
        "12",
    ];
    // No pseudonym key in the profile: refused before connecting (the hub is not
    // running, yet the error is about the key).
    let out = add(&identity, &profile);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("pseudonym_key"), "{}", stderr(&out));

    // With a key: a postcode that is not Dutch is refused, its value not shown.
    let key = dir.path().join("pseudonym.key");
    std::fs::write(&key, format!("{}\n", "42".repeat(32))).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let text = std::fs::read_to_string(&profile).expect("profile");
    std::fs::write(
        &profile,
        format!("{text}pseudonym_key = \"pseudonym.key\"\n"),
    )
    .expect("write");
    let out = add(
        &[
            "--name",
            "Tobias Testdader",
            "--birth-date",
            "1980-01-01",
            "--postcode",
            "ZZ 1091",
            "--house-number",
            "12",
        ],
        &profile,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("postcode") && !err.contains("ZZ 1091") && !err.contains("Tobias"),
        "{err}"
    );
    // --stdin with the wrong number of fields: the values are not repeated.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubctl"))
        .args([
            "subject",
            "add",
            "C-2026-0001",
            "--role",
            "dader",
            "--stdin",
        ])
        .current_dir(dir.path())
        .env("HUBCTL_PROFILE", &profile)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(b"Tobias Testdader 1980-01-01\n")
            .expect("write");
    }
    let out = child.wait_with_output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("four fields") && !err.contains("Tobias"),
        "{err}"
    );
    // A value typed without quotes: clap's complaint would quote part of the name.
    let out = add(
        &[
            "--name",
            "Tobias",
            "Testdader",
            "--birth-date",
            "1980-01-01",
            "--postcode",
            "1091 AB",
            "--house-number",
            "12",
        ],
        &profile,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("details not shown") && !err.contains("Testdader"),
        "{err}"
    );
    // A valid identity with the key: pseudonymised, then the (absent) hub is dialled.
    let out = add(&identity, &profile);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Tobias"));
}
