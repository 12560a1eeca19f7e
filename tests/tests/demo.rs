//! The README's demo command, run end to end as a test: `scripts/demo.sh` with the
//! binaries `cargo test --workspace` built, in a temporary directory, on free loopback
//! ports. It walks the whole case of DOMAIN.md (melding to afgesloten) with real
//! processes, so a change that breaks the story a new user sees fails here.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::workspace_bin;

/// The demo takes 10–30 s here; this only stops a hung run.
const LIMIT: Duration = Duration::from_secs(300);

/// A port p such that p and p + 1 (the admin port) are both free right now.
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = first.local_addr().expect("addr").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of loopback ports");
}

/// The partners' SYNTHETIC sample databases, as `cargo run -p treiter-node-agent
/// --example samples` builds them (people.sql, then each kind's own .sql), written to
/// `<out>/<kind>/<kind>.sqlite` — the databases are not committed.
fn build_sample_databases(root: &Path, out: &Path) {
    let examples = root.join("node-agent/examples");
    let people = std::fs::read_to_string(examples.join("people.sql")).expect("people.sql");
    for kind in [
        "politie",
        "om",
        "woningcorporatie",
        "zorgpartner",
        "gemeente",
    ] {
        let dir = out.join(kind);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let sql = std::fs::read_to_string(examples.join(kind).join(format!("{kind}.sql")))
            .expect("the kind's .sql");
        let db = rusqlite::Connection::open(dir.join(format!("{kind}.sqlite"))).expect("open");
        db.execute_batch(&people).expect("people.sql");
        db.execute_batch(&sql).expect("kind .sql");
    }
}

#[test]
fn the_demo_runs_from_melding_to_afgesloten_and_the_log_verifies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let run = tempfile::tempdir().expect("run dir");
    let bin = workspace_bin("hub")
        .parent()
        .expect("binary dir")
        .to_path_buf();
    for name in ["node-agent", "hubctl", "certs-dev"] {
        workspace_bin(name);
    }
    let samples = tempfile::tempdir().expect("samples dir");
    build_sample_databases(root, samples.path());
    let mut child = Command::new("bash")
        .arg(root.join("scripts/demo.sh"))
        .env("TREITER_DEMO_DIR", run.path())
        .env("TREITER_DEMO_BIN", &bin)
        .env("TREITER_DEMO_SAMPLES", samples.path())
        .env("TREITER_DEMO_PORT", free_port_pair().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash scripts/demo.sh");
    // Drain both pipes while waiting, so a chatty run cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the demo did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = out.join().expect("stdout reader");
    let err = err.join().expect("stderr reader");
    let logs = || {
        let mut text = String::new();
        if let Ok(dir) = std::fs::read_dir(run.path().join("logs")) {
            for entry in dir.flatten() {
                let body = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: String = body.lines().rev().take(15).collect::<Vec<_>>().join("\n");
                text += &format!(
                    "--- {} (last lines, newest first)\n{tail}\n",
                    entry.path().display()
                );
            }
        }
        text
    };
    assert!(
        status.success(),
        "the demo failed ({status}).\n--- stdout\n{out}\n--- stderr\n{err}\n{}",
        logs()
    );
    // The story, as a reader sees it.
    for expected in [
        "7 of 7 partner agents connected",
        "all 7 agents linked again",
        "went from melding to afgesloten",
        "decision log ok:",
        // The privacy officers' part: a party's log entries, its verification, the
        // notification of the refused diagnose record, and the victim's inzage.
        "share-decision",
        "decision log verified",
        "reject (art. 7.1)",
        "Overzicht van gedeelde gegevens",
    ] {
        assert!(
            out.contains(expected),
            "the demo's output lacks {expected:?}:\n{out}"
        );
    }
    // Every refusal the story shows was a refusal (the script exits non-zero if a
    // refused step succeeds); and no step printed an error of hubctl.
    assert!(out.contains("(exit code"), "{out}");
    assert!(
        !err.contains("hubctl: "),
        "hubctl reported an error:\n{err}"
    );
    assert!(!out.contains("NOT YET BUILT"), "{out}");
    // Every process the demo started has stopped: the hub's port is free again.
    let log_text = std::fs::read_to_string(run.path().join("hub.toml")).expect("hub.toml");
    let listen = log_text
        .lines()
        .find_map(|l| l.strip_prefix("listen = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("listen address in hub.toml")
        .to_owned();
    assert!(
        TcpListener::bind(&listen).is_ok(),
        "the hub still listens on {listen} after the demo ended"
    );
}
