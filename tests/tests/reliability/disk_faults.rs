//! Disk faults on a real file system (issue 22): the hub's data directory (decision
//! log, state store) and key store, and an agent's inbox, on a small tmpfs the test
//! mounts itself, filled until the kernel answers ENOSPC, then given space again; or a
//! directory bind-mounted onto itself and remounted read-only (EROFS), then writable.
//! (The kernel refuses the read-only remount while a file below is open for writing,
//! so the log and sled of a running hub cannot be made read-only this way; see
//! `RELIABILITY.md`.)
//!
//! The hub must fail closed while the disk is full (nothing passes without its log
//! entry, nothing is acknowledged that was not stored), say so in `/healthz` and its
//! metrics, and take requests again by itself once space returns — without a restart
//! and without losing anything acknowledged before. The agent's inbox must not
//! acknowledge a delivery it cannot store (the hub keeps it queued), say so in its
//! `/healthz` and metrics, and store again once space returns.
//!
//! Mounting needs root (CI runs as root in its container, `.ci/run`). Elsewhere the
//! tests say why and pass without running, except under `CI=true`, where they fail:
//! CI must not lose them silently.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tonic::Code;
use treiter_proto::v1 as wire;

use super::{Kind, tally};
use crate::casefile::{SDR_OOST, case_in, client};
use crate::support::{Pki, TestHub};

/// A size-limited tmpfs mounted at a directory of the test's own; unmounted (lazily,
/// so a file still open cannot keep it) when dropped.
pub struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes` at `at` (created). `None` (with the reason
    /// printed) where this machine cannot mount; a panic under `CI=true` instead.
    pub fn mount(at: &Path, megabytes: u32) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={megabytes}m,mode=0700"))
            .arg("treiter-test-disk")
            .arg(at)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(SmallDisk {
                at: at.to_path_buf(),
            }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true: the disk-fault tests need to mount a tmpfs (run as root): {why}"
                );
                eprintln!("skipped: cannot mount a small tmpfs here (needs root): {why}");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.at
    }

    /// Fills the file system until the kernel refuses with ENOSPC; the filler is
    /// `<mount>/filler`. Returns the bytes written.
    pub fn fill(&self) -> u64 {
        let path = self.at.join("filler");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("filler");
        let mut written = 0u64;
        for chunk in [1 << 20, 1 << 12, 1] {
            let bytes = vec![0x5a; chunk];
            loop {
                match file.write(&bytes) {
                    Ok(0) => break,
                    Ok(n) => written += n as u64,
                    Err(e) if e.raw_os_error() == Some(28) => break,
                    Err(e) => panic!("filling the disk: {e}"),
                }
            }
        }
        let _ = file.sync_all();
        written
    }

    /// Gives the space back.
    pub fn free(&self) {
        std::fs::remove_file(self.at.join("filler")).expect("remove the filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// A directory bind-mounted onto itself, so that it can be switched read-only and
/// back with `mount -o remount,bind,ro|rw` while the rest of its file system stays
/// writable. The kernel refuses that switch (EBUSY) while a file below is open for
/// writing: it works for the key store and the inbox, which open files only for a
/// moment, not for the log or sled, which keep theirs open.
pub struct ReadOnlySwitch {
    at: PathBuf,
}

fn mount(args: &[&str], at: &Path) -> Result<(), String> {
    let out = Command::new("mount")
        .args(args)
        .arg(at)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

impl ReadOnlySwitch {
    /// Bind-mounts `at` (which must exist) onto itself. Panics if it cannot: only
    /// called after [`SmallDisk::mount`] showed that this machine can mount.
    pub fn bind(at: &Path) -> ReadOnlySwitch {
        let out = Command::new("mount")
            .arg("--bind")
            .arg(at)
            .arg(at)
            .output()
            .expect("mount --bind");
        assert!(
            out.status.success(),
            "bind-mount {}: {}",
            at.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        ReadOnlySwitch {
            at: at.to_path_buf(),
        }
    }

    /// Read-only from now on (writes fail with EROFS). Retried for a moment: a file
    /// opened for writing a moment ago may still be closing.
    pub fn read_only(&self) {
        let start = Instant::now();
        loop {
            match mount(&["-o", "remount,bind,ro"], &self.at) {
                Ok(()) => return,
                Err(e) if start.elapsed() > Duration::from_secs(10) => {
                    panic!("remount {} read-only: {e}", self.at.display())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Writable again.
    pub fn writable(&self) {
        mount(&["-o", "remount,bind,rw"], &self.at).expect("remount read-write");
    }
}

impl Drop for ReadOnlySwitch {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

fn health(hub: &TestHub) -> (u16, String) {
    let (status, text) = treiter_hub::admin::health(&hub.hub);
    (status.as_u16(), text)
}

/// The hub's count of failed state-store writes.
const STORE_APPLY_ERRORS: &str = "treiter_hub_store_errors_total{operation=\"apply\"}";

fn metric(hub: &TestHub, name: &str) -> Option<u64> {
    let text = hub.hub.metrics.render(&hub.hub);
    text.lines()
        .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

async fn add_subject(
    sdr: &mut wire::coordinator_client::CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    case: &str,
    id: &str,
    n: usize,
) -> Result<wire::CaseUpdate, tonic::Status> {
    sdr.add_subject(wire::AddSubjectRequest {
        client_request_id: id.to_owned(),
        case_id: case.to_owned(),
        subject: Some(wire::SubjectPseudonym {
            hex: format!("{:064x}", 0xd15c_0000 + n),
        }),
        role: "melder".into(),
        label: String::new(),
    })
    .await
    .map(tonic::Response::into_inner)
}

async fn subjects(
    sdr: &mut wire::coordinator_client::CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    case: &str,
) -> Vec<String> {
    sdr.get_case(wire::GetCaseRequest {
        case_id: case.to_owned(),
    })
    .await
    .expect("the case")
    .into_inner()
    .subjects
    .into_iter()
    .filter_map(|s| s.subject.map(|p| p.hex))
    .collect()
}

/// The hub's data directory and key store on a real tmpfs that runs full: every case
/// change is refused (UNAVAILABLE) with nothing stored and nothing logged, `/healthz`
/// says which store cannot write and why, and once the space is back the same
/// requests pass without a restart; everything acknowledged before is there, also
/// after a restart, and the log verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_hub_fails_closed_is_reported_and_recovers() {
    let pki = Pki::new();
    let Some(disk) = SmallDisk::mount(&pki.dir.path().join("disk"), 48) else {
        return;
    };
    let data_dir = disk.path().join("data");
    let addr = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, addr, &data_dir, "").await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    // The dader and slachtoffer case_in adds.
    let initial = subjects(&mut sdr, &case).await;
    let mut acknowledged = Vec::new();
    for n in 0..3 {
        add_subject(&mut sdr, &case, &format!("before-{n}"), n)
            .await
            .expect("a change before the disk runs full");
        acknowledged.push(format!("{:064x}", 0xd15c_0000 + n));
    }
    assert_eq!(
        health(&hub).0,
        200,
        "healthy at the start: {:?}",
        health(&hub)
    );
    let stored_before = subjects(&mut sdr, &case).await;
    let size_before = hub.hub.log.tree_size();

    let filled = disk.fill();
    assert!(filled > 0, "the filler took the space");
    let mut faults = 0u64;
    let mut passed = Vec::new();
    // Refused changes, retried once the space is back. A change may still fit (in the
    // slack of a page the log's segment already holds): then it is acknowledged and
    // must last like any other.
    let mut refused = Vec::new();
    for n in 3..8 {
        faults += 1;
        match add_subject(&mut sdr, &case, &format!("full-{n}"), n).await {
            Err(status) if status.code() == Code::Unavailable => refused.push(n),
            Ok(_) => acknowledged.push(format!("{:064x}", 0xd15c_0000 + n)),
            Err(status) => passed.push(format!("change {n} on a full disk: {status:?}")),
        }
    }
    assert!(!refused.is_empty(), "a full disk refused nothing");
    let (status, text) = health(&hub);
    assert_eq!(status, 503, "/healthz says the hub is degraded: {text}");
    assert!(
        (text.contains("the state store cannot write")
            || text.contains("the decision log cannot write"))
            && text.contains("No space left on device"),
        "/healthz names the store that cannot write and why: {text}"
    );
    let counted = metric(&hub, STORE_APPLY_ERRORS).unwrap_or(0)
        + metric(&hub, "treiter_hub_log_append_failures_total").unwrap_or(0);
    assert!(counted > 0, "a metric counts the failed writes");
    // Reads may fail too while the disk is full (the state store reopens only once
    // there is room); what was stored is checked once it is back.
    let _ = (stored_before, size_before);

    disk.free();
    let start = Instant::now();
    for n in refused {
        loop {
            match add_subject(&mut sdr, &case, &format!("full-{n}"), n).await {
                Ok(_) => break,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(status) => panic!("the hub does not recover once space is back: {status:?}"),
            }
        }
        acknowledged.push(format!("{:064x}", 0xd15c_0000 + n));
    }
    assert_eq!(health(&hub).0, 200, "healthy again: {:?}", health(&hub));
    hub.stop().await;

    let hub = TestHub::start_in(&pki, addr, &data_dir, "").await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let stored = subjects(&mut sdr, &case).await;
    // Every subject stored was acknowledged (the refused ones were retried and
    // acknowledged then), and every one acknowledged is stored.
    for s in &stored {
        if !acknowledged.contains(s) && !initial.contains(s) {
            passed.push(format!("a subject stored but never acknowledged: {s}"));
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|s| !stored.contains(s))
        .collect();
    tally(
        "disk-full-hub",
        Kind::FaultsInjected,
        faults,
        (passed.len() + lost.len()) as u64,
        0,
    );
    assert!(passed.is_empty(), "passed on a full disk: {passed:#?}");
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    hub.stop().await;
}

/// The hub's key store made read-only (a real read-only bind mount) while the hub
/// runs: a new case, which needs a new case key, is refused (UNAVAILABLE) and nothing
/// of it is stored or acknowledged; `/healthz` says the state store cannot write and
/// why (read-only file system); changes to an existing case, whose key exists, still
/// pass; once the directory is writable again the same request passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_key_store_refuses_new_cases_is_reported_and_recovers() {
    let pki = Pki::new();
    let Some(disk) = SmallDisk::mount(&pki.dir.path().join("disk"), 48) else {
        return;
    };
    let data_dir = disk.path().join("data");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data_dir, "").await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let keys = ReadOnlySwitch::bind(&crate::support::keys_dir_path(&data_dir));
    keys.read_only();

    let create = |id: &'static str| wire::CreateCaseRequest {
        client_request_id: id.into(),
        stadsdeel: "oost".into(),
        melding_at: Some(prost_types::Timestamp::from(
            std::time::SystemTime::now() - Duration::from_secs(60),
        )),
        external_reference: String::new(),
    };
    let mut wrong = Vec::new();
    match sdr.create_case(create("ro-1")).await {
        Err(status) if status.code() == Code::Unavailable => {}
        other => wrong.push(format!(
            "a case was registered on a read-only key store: {other:?}"
        )),
    }
    let (status, text) = health(&hub);
    let counted = metric(&hub, STORE_APPLY_ERRORS).unwrap_or(0);
    // An existing case's key is there: its changes do not need the key store.
    add_subject(&mut sdr, &case, "ro-subject", 1)
        .await
        .expect("a change to an existing case");

    keys.writable();
    let created = sdr
        .create_case(create("ro-1"))
        .await
        .expect("the same request passes once the key store is writable");
    assert!(
        created.into_inner().case.is_some(),
        "the case is registered"
    );
    let (status_after, _) = health(&hub);
    tally(
        "read-only-keys-hub",
        Kind::FaultsInjected,
        1,
        wrong.len() as u64,
        0,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(status, 503, "/healthz says so: {text}");
    assert!(
        text.contains("the state store cannot write") && text.contains("Read-only file system"),
        "/healthz names the store and the reason: {text}"
    );
    assert_eq!(status_after, 200, "healthy again");
    assert!(
        counted > 0,
        "treiter_hub_store_errors_total counts the failed write"
    );
    drop(keys);
    hub.stop().await;
}

/// A hub whose data directory is read-only (a real read-only mount) does not start,
/// and says which directory and why: it cannot keep the log entries and changes it
/// would acknowledge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_on_a_read_only_data_directory_refuses_to_start_and_says_why() {
    let pki = Pki::new();
    let Some(disk) = SmallDisk::mount(&pki.dir.path().join("disk"), 48) else {
        return;
    };
    let data_dir = disk.path().join("data");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data_dir, "").await;
    hub.stop().await;
    let data = ReadOnlySwitch::bind(&data_dir);
    data.read_only();
    let text = crate::support::hub_config_text(
        &pki,
        "127.0.0.1:1".parse().expect("addr"),
        None,
        &data_dir,
    );
    let config = treiter_hub::config::HubConfig::parse(&text, Path::new("/")).expect("config");
    let refused = match treiter_hub::state::Hub::load(&config) {
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    };
    data.writable();
    tally(
        "read-only-data-hub",
        Kind::FaultsInjected,
        1,
        u64::from(refused.is_none()),
        0,
    );
    let refused = refused.expect("a hub on a read-only data directory does not start");
    assert!(
        refused.contains("Read-only file system") && refused.contains(&*data_dir.to_string_lossy()),
        "the refusal names the directory and the reason: {refused}"
    );
}

// --- the agent's inbox ---------------------------------------------------------------

mod inbox {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::{mpsc, watch};
    use treiter_node_agent::inbox::{Inbox, InboxKey};
    use treiter_node_agent::link::LinkStatus;
    use treiter_node_agent::metrics::Metrics;
    use treiter_proto::v1::{
        AgentMessage, DeliveredShare, Delivery, Field, HubMessage, RetentionNotice,
        SubjectPseudonym, agent_message, hub_message,
    };

    use super::super::{Kind, tally};
    use super::SmallDisk;

    fn delivery(n: usize) -> HubMessage {
        HubMessage {
            body: Some(hub_message::Body::Delivery(Delivery {
                delivery_id: format!("D-disk-{n}"),
                case_id: format!("C-2026-8{n:03}"),
                case_file_id: "CF-1".into(),
                purpose: "hulpverlening".into(),
                shares: vec![DeliveredShare {
                    source_oin: "00000001000000000001".into(),
                    category: "huurgegevens".into(),
                    subject: Some(SubjectPseudonym {
                        hex: "ef".repeat(32),
                    }),
                    fields: vec![Field {
                        name: "huurachterstand".into(),
                        value: format!("Synthetisch-{n}"),
                    }],
                    obligations: vec![],
                    log_leaf_index: n as u64,
                }],
                delete_at: None,
            })),
        }
    }

    fn notice(n: usize) -> HubMessage {
        HubMessage {
            body: Some(hub_message::Body::RetentionNotice(RetentionNotice {
                notice_id: format!("N-disk-{n}"),
                case_id: format!("C-2026-8{n:03}"),
                delete_at: Some(prost_types::Timestamp {
                    seconds: 1_798_761_600,
                    nanos: 0,
                }),
            })),
        }
    }

    async fn http_get(addr: SocketAddr, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect health");
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .expect("write");
        let mut text = String::new();
        stream.read_to_string(&mut text).await.expect("read");
        text
    }

    /// The ids acknowledged on `rx` so far, waiting up to 10 s for `want` of them.
    async fn acks(rx: &mut mpsc::Receiver<AgentMessage>, want: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < want {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(AgentMessage {
                    body: Some(agent_message::Body::Ack(ack)),
                })) => out.push(ack.request_id),
                Ok(other) => panic!("not an Ack: {other:?}"),
                Err(_) => break,
            }
        }
        out
    }

    /// Waits (up to 10 s) until the inbox has counted `n` failed stores.
    async fn failures_reach(metrics: &Metrics, n: u64) {
        let start = Instant::now();
        while metrics.inbox_store_failures.get() < n {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the inbox did not fail {n} stores"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What goes wrong under the inbox.
    #[derive(Clone, Copy, Debug)]
    enum Fault {
        /// The file system is full (ENOSPC).
        Full,
        /// The inbox's directory is read-only (EROFS).
        ReadOnly,
    }

    /// The agent's inbox on a real tmpfs that runs full: deliveries and retention
    /// notices that arrive meanwhile are not acknowledged (so the hub keeps them
    /// queued), the agent's `/healthz` says why and its metric counts them; once the
    /// space is back, the hub's next sending of each is stored and acknowledged once,
    /// and the delivery stored before is unharmed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_under_the_inbox_acknowledges_nothing_is_reported_and_recovers() {
        inbox_under(Fault::Full).await;
    }

    /// The same with the inbox's directory read-only (a real read-only bind mount).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_only_inbox_acknowledges_nothing_is_reported_and_recovers() {
        inbox_under(Fault::ReadOnly).await;
    }

    async fn inbox_under(fault: Fault) {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), 4) else {
            return;
        };
        let metrics = Arc::new(Metrics::new());
        let inbox = Arc::new(
            Inbox::with_key(
                &disk.path().join("inbox"),
                InboxKey::from_bytes(&[0x33; 32]),
            )
            .expect("inbox")
            .with_metrics(metrics.clone()),
        );
        let (link_tx, link_rx) = watch::channel(LinkStatus::Connected {
            link_id: "L-disk".into(),
            party_oin: "00000001000000000002".into(),
            party_name: "synthetisch".into(),
            since: std::time::SystemTime::now(),
        });
        let listener = treiter_node_agent::health::bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let health = listener.local_addr().expect("addr");
        let state = treiter_node_agent::health::HealthState {
            status: link_rx,
            metrics: metrics.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(treiter_node_agent::health::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let (tx, mut rx) = mpsc::channel::<AgentMessage>(64);
        let send = |message: HubMessage| {
            let passed = treiter_node_agent::inbox::link::intercept(Some(&inbox), message, &tx);
            async move {
                assert!(
                    passed.await.is_none(),
                    "the inbox takes deliveries and notices"
                );
            }
        };

        send(delivery(0)).await;
        assert_eq!(
            acks(&mut rx, 1).await,
            ["D-disk-0"],
            "stored and acknowledged"
        );
        let healthy = http_get(health, "/healthz").await;
        assert!(healthy.starts_with("HTTP/1.1 200"), "{healthy}");

        let inbox_dir = disk.path().join("inbox");
        let switch = match fault {
            Fault::Full => {
                disk.fill();
                None
            }
            Fault::ReadOnly => {
                let switch = super::ReadOnlySwitch::bind(&inbox_dir);
                switch.read_only();
                Some(switch)
            }
        };
        let reason = match fault {
            Fault::Full => "No space left on device",
            Fault::ReadOnly => "Read-only file system",
        };
        let mut faults = 0u64;
        for n in 1..4 {
            send(delivery(n)).await;
            faults += 1;
            failures_reach(&metrics, faults).await;
        }
        send(notice(0)).await;
        faults += 1;
        failures_reach(&metrics, faults).await;
        // Each store failed (counted) before its task could acknowledge: nothing was.
        let mut wrongly = 0u64;
        if let Ok(message) = rx.try_recv() {
            wrongly += 1;
            eprintln!("acknowledged on a full disk: {message:?}");
        }
        let degraded = http_get(health, "/healthz").await;
        let reported = degraded.starts_with("HTTP/1.1 503")
            && degraded.contains("degraded: the inbox cannot store deliveries")
            && degraded.contains(reason);
        let counted = http_get(health, "/metrics")
            .await
            .contains(&format!("hub_agent_inbox_store_failures_total {faults}"));

        match &switch {
            None => disk.free(),
            Some(switch) => switch.writable(),
        }
        // The hub sends again what it has no Ack for.
        for n in 1..4 {
            send(delivery(n)).await;
        }
        send(notice(0)).await;
        let mut acked = acks(&mut rx, 4).await;
        acked.sort();
        let recovered = http_get(health, "/healthz").await;
        tally("disk-full-inbox", Kind::FaultsInjected, faults, wrongly, 0);
        assert_eq!(wrongly, 0, "nothing is acknowledged that was not stored");
        assert!(reported, "{fault:?}: /healthz says why: {degraded}");
        assert!(counted, "the metric counts every failed store");
        assert_eq!(
            acked,
            ["D-disk-1", "D-disk-2", "D-disk-3", "N-disk-0"],
            "each sent again is stored and acknowledged once"
        );
        assert!(recovered.starts_with("HTTP/1.1 200"), "{recovered}");
        for n in 0..4 {
            let share = inbox.read(&format!("D-disk-{n}.0")).expect("stored");
            assert_eq!(share.fields[0].value, format!("Synthetisch-{n}"));
        }
        assert_eq!(
            inbox
                .read("D-disk-0.0")
                .expect("stored")
                .delete_at
                .as_deref(),
            Some("2027-01-01T00:00:00Z"),
            "the notice applied once stored"
        );
        let _ = stop.send(());
        let _ = server.await;
        drop((link_tx, switch));
    }
}
