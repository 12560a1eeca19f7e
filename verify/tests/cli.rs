//! The `treiter-verify` binary as a court's expert meets it: exit codes and messages for
//! wrong use and for files that are no bundle. (Real bundles from a real hub:
//! `tests/tests/evidence.rs` in the workspace's e2e tests, which run this binary too;
//! this test target is also what makes `cargo test --workspace` build it.)

use std::path::Path;
use std::process::{Command, Output};

fn verify(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_treiter-verify"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("treiter-verify runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_missing_bundle_is_wrong_use_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = verify(&["absent.tar"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read absent.tar"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no verdict for a file that is not there"
    );
}

#[test]
fn a_hub_key_that_is_no_key_is_wrong_use_before_the_bundle_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("b.tar"), b"irrelevant").expect("write");
    let out = verify(&["b.tar", "--hub-key", "sha256:nothex"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--hub-key sha256:nothex"), "{stderr}");
    assert!(
        !text(&out.stdout).contains("VERIFIED"),
        "no verdict on wrong use"
    );

    let out = verify(&["b.tar", "--witness-key", "no-key-at-all"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--witness-key no-key-at-all: not a verifier key"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_file_that_is_no_bundle_does_not_verify_in_text_and_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.tar"), b"dit is geen tar-archief\n").expect("write");

    let out = verify(&["notes.tar"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("NOT VERIFIED: "), "{stdout}");
    assert!(
        stdout.contains("NIET echt"),
        "the Dutch verdict line: {stdout}"
    );

    let out = verify(&["notes.tar", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdict: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(verdict["verified"], false);
    assert!(verdict["problem"].as_str().is_some_and(|p| !p.is_empty()));
    assert!(verdict["reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[test]
fn help_lists_the_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = verify(&["--help"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for line in [
        "0  verified",
        "1  the bundle does NOT verify",
        "2  wrong use",
        "3  verified, but",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}
