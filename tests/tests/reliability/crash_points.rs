//! Crash points (issue 22): a real hub process under a mixed load is killed with
//! SIGKILL at a random moment, again and again, and restarted on the same data, with
//! real agent processes (`node-agent`, one per party) linked to it all along.
//!
//! The load, from several clients at once: case changes (registrations, subjects,
//! phase moves, cases closed as buiten-aanpak); case files the agents answer, whose
//! passed records the hub delivers to the gemeente agent's inbox and the agent
//! acknowledges; covenant versions proposed and approved by privacy officers (taking
//! effect, so the agents switch too); and, between some kills, a retention sweep
//! (`hub retention-sweep`) run with its clock 100 days ahead (libfaketime), itself
//! killed at a random moment half of the time.
//!
//! After every fifth kill the decision log verifies as the kill left it (`hub log
//! verify` itself every tenth), and every twentieth nothing is stored that the log does
//! not record (every stored case event, case-file decision and covenant step has its
//! log entry). After each restart: everything acknowledged before that kill is there (a
//! case only gone if the log records its retention deletion); every tenth, no agent's
//! witness refused a checkpoint and every agent process lives. At the end, all of that
//! again over the whole run, each acknowledgement's log entry recording what it
//! acknowledged, and every stored complete case file's delivery in the inbox exactly
//! once (a share, and its receipt, once), with nothing left queued at the hub.
//!
//! `RELIABILITY_CRASH_POINTS=N` sets the number of kills of the hub (default 200, the
//! CI run); a run also ends after [`TIME_BUDGET`] times `RELIABILITY_SCALE`, and the
//! summary table shows how many kills it made. (Measured on a shared 2-core machine:
//! 20 kills in 17 s at a load of 8; 147 kills in the 200 s budget at a load of 17, most
//! of it the hub's restarts.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use treiter_certs_dev::PARTIES;
use treiter_hub::log::entry::{ApprovalStep, CaseChangeKind};
use treiter_hub::log::{Event, LogKey, StoredEntry, verify_dir};
use treiter_node_agent::inbox::Inbox;
use treiter_node_agent::receipts::{self, Event as ReceiptEvent};
use treiter_node_agent::tls::HubChannel;
use treiter_policies::vocab::Phase;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;

use super::{Kind, config, scale, tally};
use crate::casefile::{dader, slachtoffer, write_sources};
use crate::covenant_versions::{PO_GEMEENTE, PO_POLITIE, covenant_text};
use crate::support::{
    Pki, agent_config_text, hub_config_text, log_key_path, open_state_store, workspace_bin,
};

/// The most time the kills may take in CI (the suite's budget is 8 minutes on 2 cores).
const TIME_BUDGET: Duration = Duration::from_secs(200);

pub(super) const SDR_OOST: &str = "p-gemeente-004";
pub(super) const IM_OOST: &str = "p-gemeente-001";

/// How far ahead of the hub's clock the retention sweeps run: past the 3 months of
/// article 9.2 (buiten-aanpak), short of the 24 of 9.1.
const SWEEP_AHEAD_DAYS: i64 = 100;

/// Kills the child on drop, so a failing test leaves no processes behind.
pub(super) struct Process(pub(super) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) fn spawn_hub(config: &Path) -> Process {
    Process(
        Command::new(workspace_bin("hub"))
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hub"),
    )
}

/// Where an agent process of the test keeps its files.
pub(super) struct AgentFiles {
    pub(super) slug: &'static str,
    pub(super) config: PathBuf,
    pub(super) receipts: PathBuf,
}

/// Writes the configuration of `slug`'s agent process dialling `hub`: answering from
/// the export `casefile::write_sources` wrote, with a receipt log, its own witness
/// files, and for the gemeente an inbox (`<root>/inbox`).
pub(super) fn agent_files(pki: &Pki, slug: &'static str, hub: std::net::SocketAddr) -> AgentFiles {
    let root = pki.dir.path().join(format!("{slug}-agent"));
    std::fs::create_dir_all(&root).expect("agent dir");
    let (cert, key) = pki.party(slug);
    let receipts = root.join("receipts.jsonl");
    let mut text = format!(
        "receipts = \"{}\"\n{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
        receipts.display(),
        agent_config_text(pki, &cert, &key, hub),
        pki.dir.path().join("exports").join(slug).display()
    );
    if slug == "gemeente" {
        text.push_str(&format!(
            "[inbox]\ndir = \"{}\"\nkey_file = \"{}\"\n",
            root.join("inbox").display(),
            root.join("inbox.key").display()
        ));
    }
    let config = root.join("agent.toml");
    std::fs::write(&config, text).expect("write agent config");
    AgentFiles {
        slug,
        config,
        receipts,
    }
}

pub(super) fn spawn_agent(files: &AgentFiles) -> Process {
    Process(
        Command::new(workspace_bin("node-agent"))
            .arg("--config")
            .arg(&files.config)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start agent"),
    )
}

/// The gemeente agent's inbox (see [`agent_files`]).
pub(super) fn gemeente_inbox(pki: &Pki) -> Inbox {
    let root = pki.dir.path().join("gemeente-agent");
    Inbox::open(&root.join("inbox"), &root.join("inbox.key")).expect("the gemeente's inbox")
}

/// What the hub acknowledged.
#[derive(Debug, Clone)]
pub(super) enum Acked {
    /// A case change, with the log entry its answer named.
    Change {
        case: String,
        what: Change,
        leaf: u64,
    },
    /// A case file as its requester received it: each decision's log entry, with its
    /// category.
    File {
        id: String,
        case: String,
        decisions: Vec<(u64, String)>,
    },
    /// A covenant version proposed, or approved by a person.
    Proposed {
        version: u32,
    },
    Approved {
        version: u32,
        person: String,
    },
    /// A case deleted by a retention sweep, with its log entry.
    Deleted {
        case: String,
        leaf: u64,
    },
}

#[derive(Debug, Clone)]
pub(super) enum Change {
    Registered,
    Subject(String),
    Moved(String),
}

/// Connects as `person`, retrying while the hub starts.
pub(super) async fn connect(pki: &Pki, person: &str, addr: std::net::SocketAddr) -> HubChannel {
    let start = Instant::now();
    loop {
        let (cert, key) = pki.person(person);
        let config = crate::support::agent_config(pki, &cert, &key, addr);
        let tls = treiter_node_agent::tls::client_config(&config).expect("tls");
        let attempt = tokio::time::timeout(
            Duration::from_secs(5),
            treiter_node_agent::tls::channel(&config.hub, Arc::new(tls), Duration::from_secs(2)),
        )
        .await;
        if let Ok(Ok((channel, _))) = attempt {
            let mut client = CoordinatorClient::new(channel.clone());
            if client.who_am_i(wire::WhoAmIRequest {}).await.is_ok() {
                return channel;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the hub did not serve within 30 s of its start"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub(super) type Shared = Arc<Mutex<Vec<Acked>>>;

fn push(acked: &Shared, a: Acked) {
    acked.lock().unwrap_or_else(|e| e.into_inner()).push(a);
}

/// Which cases a loader makes.
#[derive(Clone, Copy)]
pub(super) enum Cases {
    /// The stadsdeelregisseur's: registered, a subject, to registratie; every other
    /// one on to duiding and closed as buiten-aanpak (for the retention sweeps).
    Closing,
    /// The informatiemakelaar's: every other one with the dader and slachtoffer the
    /// agents have records of, moved to duiding, for the case files.
    ForFiles,
}

/// Makes case changes until the connection breaks, recording each acknowledged one;
/// cases ready for a case file go to `ready`.
pub(super) async fn load(
    channel: HubChannel,
    tag: String,
    cases: Cases,
    acked: Shared,
    ready: Arc<Mutex<Vec<String>>>,
) {
    let mut client = CoordinatorClient::new(channel);
    let ts = Some(prost_types::Timestamp::from(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    ));
    for n in 0u32.. {
        let Ok(created) = client
            .create_case(wire::CreateCaseRequest {
                client_request_id: format!("{tag}-{n}"),
                stadsdeel: "oost".into(),
                melding_at: ts,
                external_reference: String::new(),
            })
            .await
        else {
            return;
        };
        let created = created.into_inner();
        let (Some(case), Some(event)) = (created.case, created.event) else {
            return;
        };
        let case = case.id;
        let record = |what, leaf| {
            push(
                &acked,
                Acked::Change {
                    case: case.clone(),
                    what,
                    leaf,
                },
            )
        };
        record(Change::Registered, event.log_leaf_index);
        let special = n % 2 == 0;
        let subjects = match cases {
            Cases::ForFiles if special => vec![(dader(), "dader"), (slachtoffer(), "slachtoffer")],
            _ => vec![(format!("{:02x}", n % 250).repeat(32), "dader")],
        };
        for (subject, role) in subjects {
            let Ok(added) = client
                .add_subject(wire::AddSubjectRequest {
                    client_request_id: format!("{tag}-{n}-{role}"),
                    case_id: case.clone(),
                    subject: Some(wire::SubjectPseudonym {
                        hex: subject.clone(),
                    }),
                    role: role.into(),
                    label: String::new(),
                })
                .await
            else {
                return;
            };
            if let Some(event) = added.into_inner().event {
                record(Change::Subject(subject), event.log_leaf_index);
            }
        }
        let path: &[&str] = match cases {
            _ if !special => &["registratie"],
            Cases::Closing => &["registratie", "duiding", "buiten-aanpak"],
            Cases::ForFiles => &["registratie", "duiding"],
        };
        let mut from = "melding";
        for to in path {
            let Ok(moved) = client
                .move_phase(wire::MovePhaseRequest {
                    client_request_id: format!("{tag}-{n}-{to}"),
                    case_id: case.clone(),
                    to_phase: (*to).into(),
                    reason: "synthetic".into(),
                    expected_phase: from.into(),
                })
                .await
            else {
                return;
            };
            if let Some(event) = moved.into_inner().event {
                record(Change::Moved((*to).into()), event.log_leaf_index);
            }
            from = to;
        }
        if matches!(cases, Cases::ForFiles) && special {
            ready.lock().unwrap_or_else(|e| e.into_inner()).push(case);
        }
    }
}

/// Asks case files of the cases in `ready` (in turn) until the connection breaks,
/// recording each acknowledged one.
async fn files(channel: HubChannel, tag: String, acked: Shared, ready: Arc<Mutex<Vec<String>>>) {
    let mut client = CoordinatorClient::new(channel);
    for n in 0usize.. {
        let case = {
            let ready = ready.lock().unwrap_or_else(|e| e.into_inner());
            if ready.is_empty() {
                None
            } else {
                Some(ready[n % ready.len()].clone())
            }
        };
        let Some(case) = case else {
            // Nothing to ask about yet; still notice the hub going away.
            if client.who_am_i(wire::WhoAmIRequest {}).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Ok(file) = client
            .request_case_file(wire::CaseFileRequest {
                client_request_id: format!("{tag}-{n}"),
                case_id: case.clone(),
                purpose: "duiding".into(),
                subjects: Vec::new(),
                categories: Vec::new(),
                deadline_ms: 1500,
            })
            .await
        else {
            return;
        };
        let file = file.into_inner();
        push(
            &acked,
            Acked::File {
                id: file.id.clone(),
                case,
                decisions: decisions(&file),
            },
        );
    }
}

/// Each decided entry of a file: its log entry and category.
fn decisions(file: &wire::CaseFile) -> Vec<(u64, String)> {
    file.partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| e.decision.is_some())
        .filter_map(|e| {
            e.provenance
                .as_ref()
                .map(|p| (p.log_leaf_index, e.category.clone()))
        })
        .collect()
}

fn sha256(text: &str) -> Vec<u8> {
    treiter_translog::hash::sha256(text.as_bytes()).0.to_vec()
}

/// Takes the covenant one step on until the connection breaks: approves the highest
/// version still proposed (politie's officer, then the gemeente's, which makes it take
/// effect), or proposes the next one; records each acknowledged step.
async fn covenant_steps(politie: HubChannel, gemeente: HubChannel, tag: String, acked: Shared) {
    let mut politie = PrivacyOfficerClient::new(politie);
    let mut gemeente = PrivacyOfficerClient::new(gemeente);
    for n in 0u32.. {
        let Ok(list) = politie
            .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
            .await
        else {
            return;
        };
        let list = list.into_inner();
        let highest = list.versions.iter().max_by_key(|v| v.version).cloned();
        let Some(highest) = highest else { return };
        if highest.status == "proposed" {
            let text = covenant_text(highest.version, false);
            let approved_by = |person: &str| {
                highest
                    .approvals
                    .iter()
                    .any(|a| a.approver.as_ref().is_some_and(|p| p.id == person))
            };
            let (officer, person) = if approved_by(PO_POLITIE) {
                (&mut gemeente, PO_GEMEENTE)
            } else {
                (&mut politie, PO_POLITIE)
            };
            match officer
                .approve_covenant_version(wire::ApproveCovenantVersionRequest {
                    client_request_id: format!("{tag}-{n}-approve"),
                    version: highest.version,
                    text_sha256: sha256(&text),
                })
                .await
            {
                Ok(_) => push(
                    &acked,
                    Acked::Approved {
                        version: highest.version,
                        person: person.into(),
                    },
                ),
                // The hub went away mid-call.
                Err(status)
                    if matches!(
                        status.code(),
                        tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
                    ) =>
                {
                    return;
                }
                Err(status) => panic!("an approval was refused: {status:?}"),
            }
        } else {
            let version = highest.version + 1;
            let Ok(proposed) = politie
                .propose_covenant_version(wire::ProposeCovenantVersionRequest {
                    client_request_id: format!("{tag}-{n}-propose"),
                    text: covenant_text(version, false),
                    description: "synthetic crash-point change".into(),
                })
                .await
            else {
                return;
            };
            let proposed = proposed.into_inner();
            assert!(proposed.accepted, "{:?}", proposed.diagnostics);
            push(&acked, Acked::Proposed { version });
        }
    }
}

/// The log's entries, read from its directory (the hub stopped).
pub(super) fn log_entries(log_dir: &Path, key: &Path) -> Result<Vec<StoredEntry>, String> {
    let key = LogKey::load(key, treiter_hub::state::LOG_ORIGIN)
        .map_err(|e| format!("the log key does not load: {e}"))?;
    let (log, _) = treiter_hub::log::Log::open(log_dir, key, Default::default())
        .map_err(|e| format!("the log does not open: {e}"))?;
    log.entries(0, log.tree_size())
        .map_err(|e| format!("the log's entries do not read: {e}"))
}

/// Nothing stored that the log does not record: every event of every stored case,
/// every decided entry of every stored case file and every covenant step has its log
/// entry (checked on the stopped hub's data). Returns what is wrong.
pub(super) async fn stored_against_log(
    pki: &Pki,
    data_dir: &Path,
    entries: &[StoredEntry],
) -> Vec<String> {
    let mut wrong = Vec::new();
    let at = |leaf: u64| entries.get(usize::try_from(leaf).unwrap_or(usize::MAX));
    let store = open_state_store(pki, data_dir).await;
    match treiter_hub::tables::cases::all(store.as_ref()) {
        Ok(cases) => {
            for (id, decoded) in cases {
                let Ok(case) = decoded else {
                    wrong.push(format!("{id}: a stored case does not read"));
                    continue;
                };
                for event in &case.history {
                    match event.log_leaf_index.and_then(at).map(|e| &e.entry.event) {
                        Some(Event::CaseChange(c)) if c.case.as_str() == case.id => {}
                        other => wrong.push(format!(
                            "{id}: stored event {} has no log entry of its own: {other:?}",
                            event.sequence
                        )),
                    }
                }
            }
        }
        Err(e) => wrong.push(format!("the cases do not read: {e}")),
    }
    match treiter_hub::casefile::record::all(store.as_ref()) {
        Ok(files) => {
            for file in files.into_iter().flatten() {
                for (leaf, category) in decisions(&file) {
                    match at(leaf).map(|e| &e.entry.event) {
                        Some(Event::ShareDecision(d))
                            if d.case.as_str() == file.case_id
                                && d.category.as_str() == category => {}
                        other => wrong.push(format!(
                            "case file {}: a stored {category} decision has no log entry ({leaf}: {other:?})",
                            file.id
                        )),
                    }
                }
            }
        }
        Err(e) => wrong.push(format!("the case files do not read: {e}")),
    }
    let mut steps: BTreeSet<(u32, String)> = BTreeSet::new();
    for e in entries {
        if let Event::CovenantApproval(a) = &e.entry.event {
            let who = match a.step {
                ApprovalStep::Approved => a.actor.person.as_str().to_owned(),
                ApprovalStep::Proposed => "proposed".to_owned(),
                ApprovalStep::Activated => "activated".to_owned(),
            };
            steps.insert((a.version, who));
        }
    }
    match treiter_hub::covenants::record::all(store.as_ref()) {
        Ok(versions) => {
            for v in versions {
                let mut need = Vec::new();
                if v.proposed_by.is_some() {
                    need.push("proposed".to_owned());
                    if v.in_force_from_ms.is_some() {
                        need.push("activated".to_owned());
                    }
                }
                need.extend(v.approvals.iter().map(|a| a.by.person.clone()));
                for step in need {
                    if !steps.contains(&(v.version, step.clone())) {
                        wrong.push(format!(
                            "covenant version {}: stored step {step} has no log entry",
                            v.version
                        ));
                    }
                }
            }
        }
        Err(e) => wrong.push(format!("the covenant versions do not read: {e}")),
    }
    wrong
}

/// libfaketime's library, if installed (Debian's package `libfaketime`).
pub(super) fn libfaketime() -> Option<PathBuf> {
    let lib = Path::new("/usr/lib");
    let mut dirs = vec![lib.join("faketime")];
    if let Ok(read) = std::fs::read_dir(lib) {
        dirs.extend(read.flatten().map(|e| e.path().join("faketime")));
    }
    dirs.into_iter()
        .map(|d| d.join("libfaketime.so.1"))
        .find(|p| p.exists())
}

/// The `FAKETIME` offset `days` ahead of this process's clock: ahead of the faked one
/// when this test runs under libfaketime itself (`.ci/run`'s run at 23:30 UTC).
fn faketime_ahead(days: i64) -> String {
    let base: i64 = std::env::var("FAKETIME")
        .ok()
        .and_then(|f| f.trim_start_matches('+').parse().ok())
        .unwrap_or(0);
    format!("{:+}", base + days * 86_400)
}

/// Runs `hub retention-sweep` with its clock [`SWEEP_AHEAD_DAYS`] ahead, killed after
/// `kill_after` if given; returns the deletions it acknowledged (printed) and whether it
/// was killed before it finished.
fn sweep_ahead(config: &Path, faketime: &Path, kill_after: Option<Duration>) -> (Vec<Acked>, bool) {
    let mut child = Command::new(workspace_bin("hub"))
        .args(["retention-sweep", "--config"])
        .arg(config)
        .env("RUST_LOG", "error")
        .env("LD_PRELOAD", faketime)
        .env("FAKETIME", faketime_ahead(SWEEP_AHEAD_DAYS))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hub retention-sweep");
    let mut killed = false;
    if let Some(after) = kill_after {
        std::thread::sleep(after);
        killed = child.try_wait().ok().flatten().is_none();
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("hub retention-sweep");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut deleted = Vec::new();
    for line in text.lines() {
        // "deleted case C (art. 9.2), decision-log entry N"
        let mut words = line.split_whitespace();
        if let (Some("deleted"), Some("case"), Some(case)) =
            (words.next(), words.next(), words.next())
            && let Some(leaf) = line.rsplit(' ').next().and_then(|n| n.parse().ok())
        {
            deleted.push(Acked::Deleted {
                case: case.to_owned(),
                leaf,
            });
        }
    }
    if !killed {
        assert!(out.status.success(), "hub retention-sweep failed: {}", text);
    }
    (deleted, killed)
}

/// Checks acknowledged changes, files and covenant steps against the running hub;
/// returns what is wrong, and the cases found gone (for the log to account for).
pub(super) async fn check(
    pki: &Pki,
    listen: std::net::SocketAddr,
    sdr: &HubChannel,
    im: &HubChannel,
    acked: &[Acked],
    gone: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let coordinator = &mut CoordinatorClient::new(sdr.clone());
    let requester = &mut CoordinatorClient::new(im.clone());
    // A privacy officer's connection only for rounds that took a covenant step.
    let mut officer = None;
    let mut cases: BTreeMap<String, Option<wire::Case>> = BTreeMap::new();
    let mut versions: Option<Vec<wire::CovenantVersion>> = None;
    for a in acked {
        match a {
            Acked::Change { case: id, what, .. } => {
                if !cases.contains_key(id) {
                    let got = match coordinator
                        .get_case(wire::GetCaseRequest {
                            case_id: id.clone(),
                        })
                        .await
                    {
                        Ok(case) => Some(case.into_inner()),
                        Err(status) if status.code() == tonic::Code::NotFound => {
                            gone.insert(id.clone());
                            None
                        }
                        Err(status) => {
                            wrong.push(format!("{id}: acknowledged, now {status:?}"));
                            None
                        }
                    };
                    cases.insert(id.clone(), got);
                }
                let Some(Some(case)) = cases.get(id) else {
                    continue;
                };
                match what {
                    Change::Registered => {}
                    Change::Subject(hex) => {
                        if !case
                            .subjects
                            .iter()
                            .any(|s| s.subject.as_ref().is_some_and(|p| &p.hex == hex))
                        {
                            wrong.push(format!("{id}: an acknowledged subject is missing"));
                        }
                    }
                    Change::Moved(phase) => {
                        // A later move of the same run may have taken it further.
                        let order = ["melding", "registratie", "duiding", "buiten-aanpak"];
                        let rank = |p: &str| order.iter().position(|o| *o == p);
                        if rank(&case.phase) < rank(phase) {
                            wrong.push(format!(
                                "{id}: acknowledged move to {phase}, now {}",
                                case.phase
                            ));
                        }
                    }
                }
            }
            Acked::File {
                id,
                case,
                decisions: acked_decisions,
            } => {
                match requester
                    .get_case_file(wire::GetCaseFileRequest {
                        case_file_id: id.clone(),
                    })
                    .await
                {
                    Ok(file) => {
                        let stored: BTreeSet<(u64, String)> =
                            decisions(&file.into_inner()).into_iter().collect();
                        for d in acked_decisions {
                            if !stored.contains(d) {
                                wrong.push(format!(
                                    "case file {id}: an acknowledged {} decision is missing",
                                    d.1
                                ));
                            }
                        }
                    }
                    Err(status) if status.code() == tonic::Code::NotFound => {
                        gone.insert(case.clone());
                    }
                    Err(status) => wrong.push(format!("case file {id}: now {status:?}")),
                }
            }
            Acked::Proposed { version } | Acked::Approved { version, .. } => {
                if versions.is_none() {
                    let officer = match &mut officer {
                        Some(officer) => officer,
                        None => officer.insert(PrivacyOfficerClient::new(
                            connect(pki, PO_POLITIE, listen).await,
                        )),
                    };
                    match officer
                        .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
                        .await
                    {
                        Ok(list) => versions = Some(list.into_inner().versions),
                        Err(status) => {
                            wrong.push(format!("covenant versions: {status:?}"));
                            versions = Some(Vec::new());
                        }
                    }
                }
                let stored = versions
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .find(|v| v.version == *version);
                match (a, stored) {
                    (_, None) => wrong.push(format!(
                        "covenant version {version}: acknowledged, now missing"
                    )),
                    (Acked::Approved { person, .. }, Some(v))
                        if !v
                            .approvals
                            .iter()
                            .any(|x| x.approver.as_ref().is_some_and(|p| &p.id == person)) =>
                    {
                        wrong.push(format!(
                            "covenant version {version}: the acknowledged approval by {person} is missing"
                        ));
                    }
                    _ => {}
                }
            }
            Acked::Deleted { case, .. } => {
                match coordinator
                    .get_case(wire::GetCaseRequest {
                        case_id: case.clone(),
                    })
                    .await
                {
                    Err(status) if status.code() == tonic::Code::NotFound => {
                        gone.insert(case.clone());
                    }
                    other => wrong.push(format!(
                        "{case}: its acknowledged retention deletion, yet {:?}",
                        other.map(|_| "readable")
                    )),
                }
            }
        }
    }
    wrong
}

/// The log entries the acknowledgements named record what was acknowledged; a case
/// gone is gone only with its retention deletion in the log, after it was closed.
pub(super) fn acked_against_log(
    acked: &[Acked],
    entries: &[StoredEntry],
    gone: &BTreeSet<String>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let at = |leaf: u64| {
        entries
            .get(usize::try_from(leaf).unwrap_or(usize::MAX))
            .map(|e| &e.entry.event)
    };
    let deleted: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match &e.entry.event {
            Event::RetentionDeletion(d) => Some(d.case.as_str()),
            _ => None,
        })
        .collect();
    // Closed as the log records it: the closing move may have been stored and logged
    // without its answer reaching the client before a kill.
    let closed: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match &e.entry.event {
            Event::CaseChange(c)
                if matches!(
                    c.change,
                    CaseChangeKind::PhaseMoved {
                        to: Phase::BuitenAanpak | Phase::Afgesloten,
                        ..
                    }
                ) =>
            {
                Some(c.case.as_str())
            }
            _ => None,
        })
        .collect();
    for case in gone {
        if !deleted.contains(case.as_str()) {
            wrong.push(format!(
                "{case}: gone without a retention deletion in the log"
            ));
        }
        if !closed.contains(case.as_str()) {
            wrong.push(format!("{case}: deleted, but it was never closed"));
        }
    }
    for a in acked {
        match a {
            Acked::Change { case, leaf, .. } => match at(*leaf) {
                Some(Event::CaseChange(c)) if c.case.as_str() == case => {}
                other => wrong.push(format!("{case}: the acknowledged entry {leaf} records {other:?}")),
            },
            Acked::File { id, case, decisions } => {
                for (leaf, category) in decisions {
                    match at(*leaf) {
                        Some(Event::ShareDecision(d))
                            if d.case.as_str() == case && d.category.as_str() == category => {}
                        other => wrong.push(format!(
                            "case file {id}: the acknowledged decision {leaf} records {other:?}"
                        )),
                    }
                }
            }
            Acked::Deleted { case, leaf } => match at(*leaf) {
                Some(Event::RetentionDeletion(d)) if d.case.as_str() == case => {}
                other => wrong.push(format!("{case}: the acknowledged deletion {leaf} records {other:?}")),
            },
            Acked::Proposed { version } => {
                if !entries.iter().any(|e| matches!(&e.entry.event,
                    Event::CovenantApproval(c) if c.version == *version && c.step == ApprovalStep::Proposed))
                {
                    wrong.push(format!("covenant version {version}: its acknowledged proposal is not in the log"));
                }
            }
            Acked::Approved { version, person } => {
                if !entries.iter().any(|e| matches!(&e.entry.event,
                    Event::CovenantApproval(c) if c.version == *version && c.step == ApprovalStep::Approved && c.actor.person.as_str() == person))
                {
                    wrong.push(format!("covenant version {version}: the acknowledged approval by {person} is not in the log"));
                }
            }
        }
    }
    wrong
}

/// Refusals of checkpoints in the agents' receipts (each an alert), and how many
/// checkpoints they witnessed.
pub(super) fn witness_findings(agents: &[AgentFiles]) -> (Vec<String>, u64) {
    let mut wrong = Vec::new();
    let mut witnessed = 0;
    for agent in agents {
        let Ok((log, _)) = receipts::read(&agent.receipts) else {
            continue;
        };
        for r in log {
            match r.event {
                ReceiptEvent::CheckpointWitnessed { .. } => witnessed += 1,
                ReceiptEvent::CheckpointRefused {
                    tree_size,
                    held_size,
                    reason,
                    ..
                } => wrong.push(format!(
                    "{}'s witness refused a checkpoint of size {tree_size} (holding {held_size}): {reason}",
                    agent.slug
                )),
                _ => {}
            }
        }
    }
    (wrong, witnessed)
}

/// Exactly once: every delivery of a stored complete case file (as the hub would make
/// it) is in the inbox with all its shares, each share received (receipt) once, and
/// no share there that no stored file accounts for. Returns what is wrong and how many
/// shares were checked.
pub(super) fn deliveries_against_inbox(
    expected: &BTreeMap<String, usize>,
    inbox: &Inbox,
    receipts_path: &Path,
) -> (Vec<String>, u64) {
    let mut wrong = Vec::new();
    let shares = match inbox.list() {
        Ok(shares) => shares,
        Err(e) => return (vec![format!("the inbox does not list: {e}")], 0),
    };
    let held: BTreeSet<String> = shares.iter().map(|s| s.id.clone()).collect();
    let mut received = BTreeMap::<String, usize>::new();
    if let Ok((log, _)) = receipts::read(receipts_path) {
        for r in log {
            if let ReceiptEvent::ShareReceived { id, .. } = r.event {
                *received.entry(id).or_default() += 1;
            }
        }
    }
    let mut checked = 0;
    for (delivery, count) in expected {
        for n in 0..*count {
            let id = format!("{delivery}.{n}");
            checked += 1;
            if !held.contains(&id) {
                wrong.push(format!(
                    "share {id} of a stored case file is not in the inbox"
                ));
            }
            match received.get(&id) {
                Some(1) => {}
                Some(k) => wrong.push(format!("share {id} received {k} times")),
                None => wrong.push(format!("share {id} has no receipt")),
            }
        }
    }
    for id in &held {
        let delivery = id.rsplit_once('.').map_or(id.as_str(), |(d, _)| d);
        if !expected.contains_key(delivery) {
            wrong.push(format!("share {id} in the inbox, of no stored case file"));
        }
    }
    (wrong, checked)
}

/// The deliveries the stored complete case files make (id, number of shares), read
/// from the stopped hub's data, and whether any is still queued for the gemeente.
pub(super) async fn expected_deliveries(
    pki: &Pki,
    data_dir: &Path,
) -> (BTreeMap<String, usize>, usize) {
    let store = open_state_store(pki, data_dir).await;
    let mut expected = BTreeMap::new();
    for file in treiter_hub::casefile::record::all(store.as_ref())
        .expect("the case files read")
        .into_iter()
        .flatten()
    {
        if let (true, Some((_, delivery))) = (
            file.complete,
            treiter_hub::deliveries::delivery_of(&file, None),
        ) {
            expected.insert(delivery.delivery_id, delivery.shares.len());
        }
    }
    let gemeente = PARTIES
        .iter()
        .find(|p| p.slug == "gemeente")
        .expect("the gemeente");
    let oin = treiter_hub::identity::Oin::parse(gemeente.oin).expect("oin");
    let queued = treiter_hub::tables::deliveries::queued(store.as_ref(), oin.as_str())
        .map_or(usize::MAX, |q| q.len());
    (expected, queued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_kill_9_at_random_moments() {
    // `.ci/run` runs the end-to-end tests a second time under libfaketime, for the
    // Amsterdam calendar; durability is not what that run is for, so it makes ten
    // kills and leaves the counts of the first run in the summary.
    let faked_clock = std::env::var_os("FAKETIME").is_some();
    let kills: u32 = match std::env::var("RELIABILITY_CRASH_POINTS") {
        _ if faked_clock => 10,
        Ok(text) => text.parse().unwrap_or(200),
        Err(_) => 200,
    };
    let budget = TIME_BUDGET * scale();
    // Retention sweeps run at a moved clock through libfaketime; CI installs it.
    let faketime = libfaketime();
    if faketime.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "libfaketime is missing (apt-get install libfaketime): the crash points' retention sweeps need it"
        );
        eprintln!("libfaketime is missing: the crash points run without retention sweeps");
    }
    let pki = Pki::new();
    let dir = pki.dir.path();
    write_sources(&dir.join("exports"));
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let listen = std::net::SocketAddr::new(ip, crate::support::stable_port(ip));
    let data_dir = dir.join("hub-data");
    let hub_config = dir.join("hub.toml");
    std::fs::write(&hub_config, hub_config_text(&pki, listen, None, &data_dir)).expect("write");
    let key = LogKey::load(&log_key_path(&pki), treiter_hub::state::LOG_ORIGIN).expect("log key");
    let log_dir = data_dir.join("log");

    // One agent process per party, linked to the hub (again) after every restart.
    let agents: Vec<AgentFiles> = PARTIES
        .iter()
        .map(|p| agent_files(&pki, p.slug, listen))
        .collect();
    let mut hub = spawn_hub(&hub_config);
    let mut running: Vec<Process> = agents.iter().map(spawn_agent).collect();

    let mut runner = TestRunner::new(config(kills));
    let mut all: Vec<Acked> = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    let mut gone: BTreeSet<String> = BTreeSet::new();
    let ready: Arc<Mutex<Vec<String>>> = Arc::default();
    let (mut made, mut sweeps, mut sweeps_killed) = (0u32, 0u32, 0u32);
    let started = Instant::now();
    // One connection per person, made once per start of the hub: for the load and for
    // the checks after the next restart.
    let mut sdr = connect(&pki, SDR_OOST, listen).await;
    let mut im = connect(&pki, IM_OOST, listen).await;
    // Where the time goes: load, kill, checks of the killed hub's data, restart, checks
    // of the restarted hub.
    let mut phases = [Duration::ZERO; 5];
    while made < kills && started.elapsed() < budget {
        let mut mark = Instant::now();
        let mut lap = |phase: usize, mark: &mut Instant| {
            phases[phase] += mark.elapsed();
            *mark = Instant::now();
        };
        let acked: Shared = Arc::default();
        let mut tasks = vec![
            tokio::spawn(load(
                sdr.clone(),
                format!("k{made}-sdr"),
                Cases::Closing,
                acked.clone(),
                ready.clone(),
            )),
            tokio::spawn(load(
                im.clone(),
                format!("k{made}-im"),
                Cases::ForFiles,
                acked.clone(),
                ready.clone(),
            )),
        ];
        if made % 2 == 0 {
            tasks.push(tokio::spawn(files(
                im.clone(),
                format!("k{made}-file"),
                acked.clone(),
                ready.clone(),
            )));
        }
        if made % 4 == 1 {
            tasks.push(tokio::spawn(covenant_steps(
                connect(&pki, PO_POLITIE, listen).await,
                connect(&pki, PO_GEMEENTE, listen).await,
                format!("k{made}-cov"),
                acked.clone(),
            )));
        }
        let wait = (0u64..200).new_tree(&mut runner).expect("draw").current();
        tokio::time::sleep(Duration::from_millis(wait)).await;
        // What was acknowledged before the kill must be there after it.
        let before: Vec<Acked> = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        lap(0, &mut mark);
        hub.0.kill().expect("kill -9 the hub");
        hub.0.wait().expect("reap the hub");
        made += 1;
        for task in tasks {
            if let Err(e) = task.await
                && e.is_panic()
            {
                wrong.push(format!("kill {made}: a load task panicked: {e}"));
            }
        }

        lap(1, &mut mark);
        // The log as the kill left it verifies (every fifth kill: it is read whole).
        if made.is_multiple_of(5)
            && let Err(e) = verify_dir(&log_dir, &key, &[])
        {
            wrong.push(format!("kill {made}: the log does not verify: {e}"));
            all.extend(before);
            break;
        }
        if made.is_multiple_of(10) {
            let out = Command::new(workspace_bin("hub"))
                .args(["log", "verify", "--config"])
                .arg(&hub_config)
                .output()
                .expect("hub log verify");
            if !out.status.success() {
                wrong.push(format!(
                    "kill {made}: hub log verify: {}",
                    String::from_utf8_lossy(&out.stdout)
                ));
                all.extend(before);
                break;
            }
        }
        let mut round = before;
        // A retention sweep at a moved clock, killed at a random moment half of the
        // time.
        if let Some(faketime) = &faketime
            && made % 8 == 4
        {
            let at = (0u64..600).new_tree(&mut runner).expect("draw").current();
            let kill_after = (at % 2 == 0).then(|| Duration::from_millis(at));
            let (deleted, killed) = sweep_ahead(&hub_config, faketime, kill_after);
            sweeps += 1;
            sweeps_killed += u32::from(killed);
            round.extend(deleted);
        }
        // Nothing stored that the log does not record.
        if made.is_multiple_of(20) {
            match log_entries(&log_dir, &log_key_path(&pki)) {
                Ok(entries) => wrong.extend(
                    stored_against_log(&pki, &data_dir, &entries)
                        .await
                        .into_iter()
                        .map(|w| format!("kill {made}: {w}")),
                ),
                Err(e) => wrong.push(format!("kill {made}: {e}")),
            }
        }
        lap(2, &mut mark);
        hub = spawn_hub(&hub_config);
        // After the restart: what was acknowledged before this kill is there, and no
        // witness refused a checkpoint.
        sdr = connect(&pki, SDR_OOST, listen).await;
        im = connect(&pki, IM_OOST, listen).await;
        lap(3, &mut mark);
        wrong.extend(
            check(&pki, listen, &sdr, &im, &round, &mut gone)
                .await
                .into_iter()
                .map(|w| format!("kill {made}: {w}")),
        );
        all.extend(round);
        if made.is_multiple_of(10) {
            let (refusals, _) = witness_findings(&agents);
            wrong.extend(refusals.into_iter().map(|w| format!("kill {made}: {w}")));
            for (agent, process) in agents.iter().zip(running.iter_mut()) {
                if !matches!(process.0.try_wait(), Ok(None)) {
                    wrong.push(format!("kill {made}: {}'s agent process ended", agent.slug));
                }
            }
        }
        lap(4, &mut mark);
        if !wrong.is_empty() {
            break;
        }
    }
    eprintln!(
        "crash points: time under load {:?}, killing {:?}, checking the killed hub's data {:?}, restarting {:?}, checking the restarted hub {:?}",
        phases[0], phases[1], phases[2], phases[3], phases[4]
    );
    let load_time = started.elapsed();

    // The restarted hub holds every change acknowledged before any of the kills.
    wrong.extend(check(&pki, listen, &sdr, &im, &all, &mut gone).await);

    // Deliveries settle: the gemeente's agent takes every stored complete file's
    // records, then the hub stops and its queue is read.
    let inbox = gemeente_inbox(&pki);
    let gemeente = &agents[PARTIES
        .iter()
        .position(|p| p.slug == "gemeente")
        .expect("the gemeente")];
    let settle = Instant::now();
    let (expected, queued) = loop {
        // Wait for the files acknowledged as complete: once the inbox holds them all,
        // stop the hub and compare with what it stored.
        tokio::time::sleep(Duration::from_millis(500)).await;
        hub.0.kill().expect("stop the hub");
        hub.0.wait().expect("reap the hub");
        let (expected, queued) = expected_deliveries(&pki, &data_dir).await;
        let held: BTreeSet<String> = inbox
            .list()
            .map(|l| l.into_iter().map(|s| s.id).collect())
            .unwrap_or_default();
        let all_there = expected
            .iter()
            .all(|(d, n)| (0..*n).all(|i| held.contains(&format!("{d}.{i}"))));
        if (all_there && queued == 0) || settle.elapsed() > Duration::from_secs(60) {
            break (expected, queued);
        }
        hub = spawn_hub(&hub_config);
        let _ = connect(&pki, SDR_OOST, listen).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    if queued != 0 {
        wrong.push(format!(
            "{queued} deliveries still queued for the gemeente after 60 s"
        ));
    }
    let (delivery_wrong, shares_checked) =
        deliveries_against_inbox(&expected, &inbox, &gemeente.receipts);
    wrong.extend(delivery_wrong);

    // Each acknowledgement's log entry records what was acknowledged; nothing stored
    // without its entry.
    if let Err(e) = verify_dir(&log_dir, &key, &[]) {
        wrong.push(format!("the log does not verify at the end: {e}"));
    }
    match log_entries(&log_dir, &log_key_path(&pki)) {
        Ok(entries) => {
            wrong.extend(acked_against_log(&all, &entries, &gone));
            wrong.extend(stored_against_log(&pki, &data_dir, &entries).await);
        }
        Err(e) => wrong.push(e),
    }
    let (refusals, witnessed) = witness_findings(&agents);
    wrong.extend(refusals);
    drop(running);

    let count = |f: fn(&Acked) -> bool| all.iter().filter(|a| f(a)).count();
    let files_acked = count(|a| matches!(a, Acked::File { .. }));
    let steps_acked = count(|a| matches!(a, Acked::Proposed { .. } | Acked::Approved { .. }));
    let deletions_acked = count(|a| matches!(a, Acked::Deleted { .. }));
    eprintln!(
        "{made} kills of the hub in {load_time:?} (and {sweeps} retention sweeps, {sweeps_killed} of them killed), \
         {} acknowledged operations checked ({} case changes, {files_acked} case files, \
         {steps_acked} covenant steps, {deletions_acked} retention deletions), {} cases deleted, \
         {shares_checked} delivered shares checked, {witnessed} checkpoints witnessed",
        all.len(),
        all.len() - files_acked - steps_acked - deletions_acked,
        gone.len(),
    );
    // The faked-clock rerun's ten kills must not replace the first run's counts in the
    // summary (its tallies are rewritten per test).
    if !faked_clock {
        tally(
            "crash-points",
            Kind::CrashPoints,
            u64::from(made + sweeps_killed),
            wrong.len() as u64,
            0,
        );
        tally(
            "crash-points-acknowledged",
            Kind::AcknowledgedChecked,
            all.len() as u64 + shares_checked,
            wrong.len() as u64,
            0,
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        all.iter().any(|a| matches!(a, Acked::Change { .. })),
        "no case change was acknowledged between the kills"
    );
    assert!(made >= kills.min(50), "only {made} kills within {budget:?}");
    assert!(witnessed > 0, "no agent witnessed a checkpoint");
}
