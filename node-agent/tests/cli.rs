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

fn config(dir: &Path, cert: &str, key: &str) -> PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "hub_url = \"https://127.0.0.1:7443\"\ncert = \"{cert}\"\nkey = \"{key}\"\ntrust_anchors = [\"pki/ca/root.pem\"]\n"
        ),
    )
    .expect("write");
    path
}

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
}
