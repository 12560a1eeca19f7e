//! The README's demo command, run end to end as a test: `scripts/demo.sh` with the
//! binaries `cargo test --workspace` built, in a temporary directory, on free loopback
//! ports. It walks a whole Treiteraanpak case (melding to afgesloten) with real
//! processes, so a change that breaks the story a new user sees fails here.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::workspace_bin;

/// The demo takes 10–30 s here; this only stops a hung run.
const LIMIT: Duration = Duration::from_secs(300);

/// A port p such that p and p + 1 (the admin port) are both free right now, below the
/// kernel's ephemeral port range (see `support::stable_ports`): the other tests of this
/// binary run in parallel and bind port 0 and open connections all the time, and a
/// pair from the ephemeral range could be taken in the seconds between this check and
/// the hub's bind (it was: "cannot listen on admin address ...: Address already in use").
fn free_port_pair() -> u16 {
    crate::support::stable_ports(std::net::IpAddr::from([127, 0, 0, 1]), 2)
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

/// Personal data the demo feeds through its case: the people of the sample databases
/// (names, birth dates, postcodes) as the coordinators type them, the labels and
/// reasons they write, and record values. (The sample BSNs are zero-padded numbers
/// such as 000000012, which any zero-padded counter contains; they are never mapped,
/// so they cannot leave a partner's database.)
const PERSONAL: &[&str] = &[
    "Tobias Testdader",
    "Sanne Slachtoffer",
    "Mila van der Melder",
    "Jan de Vries-Testpersoon",
    "1980-01-01",
    "1975-05-05",
    "1990-09-09",
    "1962-12-24",
    "1091 AB",
    "1102 CD",
    "buurman nr. 12",
    "melder, bewoner 14-2",
    "structural harassment suspected",
    "threat with a weapon",
    "harasser moved",
    "synthetische samenvatting",
    "synthetische diagnose",
    "synthetische melding",
    "buurvrouw (synthetisch)",
    "wijkteam Oost",
    "NL00TEST",
];

/// Article 12.3: the hub's and every agent's log output (debug level), the refusals
/// hubctl printed (error messages), and the decision log's segment files hold none of
/// the personal data above, in any letter case.
fn no_personal_data_in_logs(run: &Path) {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for entry in std::fs::read_dir(run.join("logs")).expect("logs").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // hub.log, agent-*.log, and refused.out (the last refusal's message). Other
        // files there are what hubctl showed to entitled people on purpose.
        if name.ends_with(".log") && (name.starts_with("hub") || name.starts_with("agent-"))
            || name == "refused.out"
        {
            files.push(entry.path());
        }
    }
    assert!(files.len() >= 8, "the hub's and agents' logs: {files:?}");
    for entry in std::fs::read_dir(run.join("data/log"))
        .expect("log dir")
        .flatten()
    {
        files.push(entry.path());
    }
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).to_lowercase();
        for word in PERSONAL {
            assert!(
                !text.contains(&word.to_lowercase()),
                "{} holds personal data ({word:?}), against article 12.3",
                file.display()
            );
        }
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
        // Debug-level logs of the hub and every agent, for the scan of article 12.3.
        .env(
            "RUST_LOG",
            "info,treiter_hub=debug,hub=debug,treiter_node_agent=debug,node_agent=debug",
        )
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
        // Issue 23: covenant version 2 (art. 5.5) approved, and the auditor reading.
        "version is now in force",
        "is an auditor",
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
    no_personal_data_in_logs(run.path());
    // Every process the demo started has stopped: the hub's port is free again.
    let hub_toml = std::fs::read_to_string(run.path().join("hub.toml")).expect("hub.toml");
    let listen = hub_toml
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

/// Runs `scripts/demo.sh` with `env`, its standard output and error into one file (in
/// the order written, as a terminal shows them), and returns its exit status and that
/// text. Only for runs that fail early: stopped after [`LIMIT`] all the same.
fn run_demo_into_file(env: &[(&str, &std::ffi::OsStr)]) -> (std::process::ExitStatus, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let out_dir = tempfile::tempdir().expect("output dir");
    let out_path = out_dir.path().join("demo.out");
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut command = Command::new("bash");
    command
        .arg(root.join("scripts/demo.sh"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone"))
        .stderr(out);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("bash scripts/demo.sh");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the demo did not stop within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&out_path).expect("read the output");
    (status, text)
}

/// The last line that is not empty.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

#[test]
fn a_taken_port_stops_the_demo_before_it_starts_and_the_last_line_names_the_step_and_logs() {
    let run = tempfile::tempdir().expect("run dir");
    // Something else listens on the hub's port.
    let held = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port();
    // Nothing is built or run before the check: a directory without binaries will do.
    let no_binaries = tempfile::tempdir().expect("bin dir");
    let port_text = port.to_string();
    let (status, out) = run_demo_into_file(&[
        ("TREITER_DEMO_DIR", run.path().as_os_str()),
        ("TREITER_DEMO_BIN", no_binaries.path().as_os_str()),
        ("TREITER_DEMO_PORT", port_text.as_ref()),
    ]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("demo: port {port} is already in use")),
        "{out}"
    );
    assert!(out.contains("TREITER_DEMO_PORT="), "{out}");
    // ss (or lsof) names this test process as the holder, where either is installed.
    let ss = Command::new("ss")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if ss {
        assert!(
            out.contains(&format!("pid {}", std::process::id())),
            "the holder is not named:\n{out}"
        );
    }
    let logs = format!("{}/logs/", run.path().display());
    let last = last_line(&out);
    assert!(
        last.starts_with(&format!(
            "demo: FAILED at step \"Checking that ports {port} (hub) and {} (its admin endpoint) are free",
            port + 1
        )),
        "the last line does not name the step:\n{out}"
    );
    assert!(
        last.ends_with(&logs),
        "the last line does not name {logs}:\n{out}"
    );
    assert!(
        !run.path().join("pki").exists(),
        "the demo went on past the port check"
    );
    drop(held);
}

#[test]
fn a_failing_binary_makes_the_last_line_name_the_step_its_line_and_the_logs() {
    let run = tempfile::tempdir().expect("run dir");
    // certs-dev, the first binary the demo runs, fails as `false` does.
    let bin = tempfile::tempdir().expect("bin dir");
    let false_path = ["/bin/false", "/usr/bin/false"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("false(1)");
    std::os::unix::fs::symlink(false_path, bin.path().join("certs-dev")).expect("symlink");
    let port_text = free_port_pair().to_string();
    let (status, out) = run_demo_into_file(&[
        ("TREITER_DEMO_DIR", run.path().as_os_str()),
        ("TREITER_DEMO_BIN", bin.path().as_os_str()),
        ("TREITER_DEMO_PORT", port_text.as_ref()),
    ]);
    assert!(!status.success(), "{out}");
    let last = last_line(&out);
    let logs = format!("{}/logs/", run.path().display());
    assert!(
        last.starts_with(&format!(
            "demo: FAILED at step \"Writing a development PKI to {}/pki (dev only)\" (scripts/demo.sh line ",
            run.path().display()
        )),
        "the last line does not name the step and its line:\n{out}"
    );
    assert!(
        last.ends_with(&logs),
        "the last line does not name {logs}:\n{out}"
    );
    assert!(run.path().join("logs").is_dir(), "no log directory");
}

/// One HTTP/1.1 request to the console on `addr`; returns the whole answer (head and
/// body). `Connection: close`, so the answer ends with the connection.
fn console_get(addr: &str, path: &str, cookie: Option<&str>) -> String {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the console");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn the_demo_with_keep_ends_with_the_console_open_on_its_case() {
    use std::io::BufRead as _;
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
        .arg("--keep")
        .env("TREITER_DEMO_DIR", run.path())
        .env("TREITER_DEMO_BIN", &bin)
        .env("TREITER_DEMO_SAMPLES", samples.path())
        .env("TREITER_DEMO_PORT", free_port_pair().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bash scripts/demo.sh --keep");
    // Stops the demo (as Ctrl-C does) however the test ends.
    struct Stop(u32);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-INT", &self.0.to_string()])
                .status();
        }
    }
    let stop = Stop(child.id());
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut out = Vec::new();
    while !out
        .last()
        .is_some_and(|l: &String| l.contains("Running; press Ctrl-C to stop"))
    {
        let left = LIMIT.saturating_sub(started.elapsed());
        match received.recv_timeout(left) {
            Ok(line) => out.push(line),
            Err(_) => panic!(
                "the demo with --keep did not reach its end:\n{}",
                out.join("\n")
            ),
        }
    }
    let text = out.join("\n");
    let case = text
        .split_whitespace()
        .find(|w| w.starts_with("C-2") && w.len() > 6)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .expect("the demo names its case");
    // The informatiemakelaar's link comes first, then the privacy officer's.
    let links: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with("http://127.0.0.1:") && w.contains("token="))
        .collect();
    assert_eq!(links.len(), 2, "two console links:\n{text}");
    let link = links[0].strip_prefix("http://").expect("http link");
    let (addr, path) = link.split_once('/').expect("address and path");
    let signed_in = console_get(addr, &format!("/{path}"), None);
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
    let cookie = signed_in
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = console_get(addr, "/casussen", Some(&cookie));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Mijn casussen"), "{page}");
    assert!(
        page.contains(case),
        "the case {case} on Mijn casussen:\n{page}"
    );
    // Ctrl-C stops everything the demo started.
    drop(stop);
    let stopped = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the demo did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the console still listens after Ctrl-C"
    );
}

/// A second demo must not wipe a running one: started in the same directory (on other
/// ports) it refuses before touching anything, naming the running demo and what to do;
/// started elsewhere on the same ports it names the other demo's hub and directory.
#[test]
fn a_second_demo_refuses_to_start_beside_a_running_one() {
    use std::io::BufRead as _;
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
    let port = free_port_pair();
    let mut first = Command::new("bash")
        .arg(root.join("scripts/demo.sh"))
        .arg("--keep")
        .env("TREITER_DEMO_DIR", run.path())
        .env("TREITER_DEMO_BIN", &bin)
        .env("TREITER_DEMO_SAMPLES", samples.path())
        .env("TREITER_DEMO_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bash scripts/demo.sh --keep");
    struct Stop(u32);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-INT", &self.0.to_string()])
                .status();
        }
    }
    let stop = Stop(first.id());
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = first.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut out = Vec::new();
    while !out
        .last()
        .is_some_and(|l: &String| l.contains("Running; press Ctrl-C to stop"))
    {
        let left = LIMIT.saturating_sub(started.elapsed());
        match received.recv_timeout(left) {
            Ok(line) => out.push(line),
            Err(_) => panic!("the first demo did not reach its end:\n{}", out.join("\n")),
        }
    }
    let ca = run.path().join("pki/ca/root.pem");
    let ca_before = std::fs::read(&ca).expect("the first demo's CA");
    let hub_before = std::fs::read(run.path().join("pki/hub/hub.key")).expect("hub key");

    // The same directory, other ports: refused before anything is written.
    let other_port = free_port_pair().to_string();
    let (status, second) = run_demo_into_file(&[
        ("TREITER_DEMO_DIR", run.path().as_os_str()),
        ("TREITER_DEMO_BIN", bin.as_os_str()),
        ("TREITER_DEMO_SAMPLES", samples.path().as_os_str()),
        ("TREITER_DEMO_PORT", other_port.as_ref()),
    ]);
    assert_eq!(status.code(), Some(1), "{second}");
    let pid = first.id();
    assert!(
        second.contains(&format!(
            "demo: another demo is running in {} (script pid {pid}, hub on 127.0.0.1:{port}, started ",
            run.path().display()
        )),
        "{second}"
    );
    assert!(
        second.contains("starting here would wipe its data and certificates"),
        "{second}"
    );
    assert!(second.contains(&format!("kill {pid}")), "{second}");
    assert!(second.contains("TREITER_DEMO_DIR="), "{second}");
    assert!(
        last_line(&second).starts_with(&format!(
            "demo: FAILED at step \"Checking that no other demo is running in {}\"",
            run.path().display()
        )),
        "{second}"
    );
    assert_eq!(
        std::fs::read(&ca).expect("CA"),
        ca_before,
        "the CA was rewritten"
    );
    assert_eq!(
        std::fs::read(run.path().join("pki/hub/hub.key")).expect("hub key"),
        hub_before,
        "the hub's key was rewritten"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the first demo's hub stopped"
    );

    // Another directory, the same ports: the other demo's hub is named with its
    // directory (where ss or lsof can tell who listens).
    let elsewhere = tempfile::tempdir().expect("other run dir");
    let port_text = port.to_string();
    let (status, third) = run_demo_into_file(&[
        ("TREITER_DEMO_DIR", elsewhere.path().as_os_str()),
        ("TREITER_DEMO_BIN", bin.as_os_str()),
        ("TREITER_DEMO_PORT", port_text.as_ref()),
    ]);
    assert_eq!(status.code(), Some(1), "{third}");
    assert!(
        third.contains(&format!("demo: port {port} is already in use")),
        "{third}"
    );
    let ss = Command::new("ss")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if ss && Path::new("/proc/self/cmdline").exists() {
        assert!(
            third.contains(&format!(
                "the hub of another demo, running in {}",
                run.path().display()
            )),
            "{third}"
        );
    }
    assert!(!elsewhere.path().join("pki").exists(), "{third}");

    drop(stop);
    let stopped = Instant::now();
    while first.try_wait().expect("wait").is_none() {
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the first demo did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
