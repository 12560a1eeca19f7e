//! The `certs-dev` binary end to end: init, refusal, force, list, help.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

fn certs_dev(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certs-dev"))
        .args(args)
        .output()
        .expect("run certs-dev")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

#[test]
fn init_then_refuse_then_force_then_list() {
    let dir = TempDir::new().expect("temp dir");
    let out = dir.path().join("pki");

    let first = certs_dev(&["init", "--out", path(&out), "--test-certs"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.contains("DEVELOPMENT-ONLY"), "{stdout}");
    assert!(stdout.contains("7 organisation certificates"), "{stdout}");
    assert!(stdout.contains("root.pem"), "{stdout}");

    let again = certs_dev(&["init", "--out", path(&out)]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert!(stderr.starts_with("certs-dev: "), "{stderr}");
    assert!(
        stderr.contains("ca/root.key") && stderr.contains("--force"),
        "{stderr}"
    );

    let forced = certs_dev(&["init", "--out", path(&out), "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));

    let list = certs_dev(&["list", path(&out)]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let stdout = text(&list.stdout);
    assert!(
        stdout.contains("OIN=00000002000000000002 UID=p-politie-017"),
        "{stdout}"
    );
    assert!(stdout.contains("revoked:  none"), "{stdout}");
}

#[test]
fn list_of_a_missing_directory_fails_naming_it() {
    let dir = TempDir::new().expect("temp dir");
    let missing = dir.path().join("missing");
    let list = certs_dev(&["list", path(&missing)]);
    assert_eq!(list.status.code(), Some(1));
    let err = text(&list.stderr);
    assert!(err.contains(path(&missing)));
    // Each cause once: the library's errors leave their cause to the chain.
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}

#[test]
fn help_says_development_only() {
    for args in [&["--help"][..], &["init", "--help"]] {
        let help = certs_dev(args);
        assert!(help.status.success());
        assert!(text(&help.stdout).contains("DEVELOPMENT"), "{args:?}");
    }
}
