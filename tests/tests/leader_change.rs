//! A leader change of the decision log forced under load (issue 21): three hub replica
//! processes on one PostgreSQL, the seven demo agents spread over them, coordinators on
//! every replica registering cases, changing them and requesting case files. Mid-load
//! the replica that signed the most recent checkpoint (`hub_log_checkpoints.signed_by`)
//! is killed with `kill -9`, and the load goes on through the others.
//!
//! What must hold afterwards, each checked from the stored bytes rather than taken from
//! a hub: every acknowledged change is there; `hub log verify` passes; every checkpoint
//! in the database and every checkpoint an agent kept or cosigned is of the one tree
//! the entries make (its root at its size, and a consistency proof to the latest); no
//! agent refused a checkpoint; at least two replicas signed, and a survivor signed after
//! the kill; the killed replica's agents answer a later case file through the others.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_testpg::TestPostgres;
use treiter_translog::hash::leaf_hash;
use treiter_translog::proof::consistency_proof;
use treiter_translog::tree::MerkleTree;
use treiter_translog::{Hash, NoteVerifier, open_checkpoint, verify_consistency};

use crate::casefile::{IM_OOST, dader, slachtoffer, write_sources};
use crate::postgres::{Process, run_hub_command, try_coordinator_as};
use crate::support::{JsonAgents, Pki, log_verifier, workspace_bin};

const REPLICAS: usize = 3;
/// Rounds per coordinator at most: the load is bounded even if nothing stops it.
const ROUNDS: usize = 200;
/// Case files acknowledged before the kill, and by the survivors after it.
const FILES_BEFORE_KILL: usize = 6;
const FILES_AFTER_KILL: usize = 6;
/// How long the waits of this test may take at most (bounds, not timings).
const BOUND: Duration = Duration::from_secs(90);

/// A hub replica process whose log lines (its replica id among them) go to `log`.
fn spawn_replica(config: &Path, log: &Path) -> Process {
    let stderr = std::fs::File::create(log).expect("replica log file");
    Process(
        Command::new(workspace_bin("hub"))
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn,treiter_hub::state=info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start hub replica"),
    )
}

/// The replica id a replica process logged at start (`replica=...`, 16 hex digits).
async fn replica_id(log: &Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let id = text
            .lines()
            .filter(|line| line.contains("hub replica on PostgreSQL"))
            .find_map(|line| {
                let (_, rest) = line.split_once("replica=")?;
                let id: String = rest
                    .trim_start_matches('"')
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                (id.len() == 16).then_some(id)
            });
        if let Some(id) = id {
            return id;
        }
        assert!(
            start.elapsed() < BOUND,
            "no replica id in {}: {text}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A coordinator connection as the informatiemakelaar to `hub`, once it serves.
async fn informatiemakelaar(pki: &Pki, hub: SocketAddr) -> CoordinatorClient<HubChannel> {
    let start = Instant::now();
    loop {
        if let Some(mut client) = try_coordinator_as(pki, hub, IM_OOST).await
            && client
                .list_cases(wire::ListCasesRequest::default())
                .await
                .is_ok()
        {
            return client;
        }
        assert!(start.elapsed() < BOUND, "replica {hub} does not serve");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the coordinators were told took effect.
#[derive(Default)]
struct Acknowledged {
    /// Case id -> the phase and subjects acknowledged last.
    cases: BTreeMap<String, (String, usize)>,
    /// Case file id -> its case, and the replica that answered.
    files: BTreeMap<String, (String, usize)>,
    /// Case files acknowledged per replica after the kill.
    files_after_kill: usize,
    /// The first error a coordinator of a replica got, by replica.
    errors: BTreeMap<usize, String>,
}

/// One coordinator's load on replica `n`: round after round a case is registered, gets
/// its subjects, moves to duiding, and every other round a case file is requested for
/// it. Stops at `stop`, after [`ROUNDS`], or at the first error (its replica died).
async fn load(
    mut client: CoordinatorClient<HubChannel>,
    n: usize,
    acknowledged: Arc<Mutex<Acknowledged>>,
    killed: tokio::sync::watch::Receiver<Option<usize>>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let ack = |f: &mut dyn FnMut(&mut Acknowledged)| f(&mut acknowledged.lock().expect("lock"));
    let failed = |what: String| {
        acknowledged
            .lock()
            .expect("lock")
            .errors
            .entry(n)
            .or_insert(what);
    };
    let melding = crate::postgres::melding_at();
    for round in 0..ROUNDS {
        if *stop.borrow() {
            return;
        }
        let made = client
            .create_case(crate::postgres::create_request(
                &format!("r{n}-case-{round}"),
                melding,
            ))
            .await;
        let case = match made {
            Ok(made) => made.into_inner().case.expect("case").id,
            Err(status) => return failed(format!("create_case: {status:?}")),
        };
        ack(&mut |a| {
            a.cases.insert(case.clone(), ("melding".into(), 0));
        });
        for (i, (subject, role)) in [(dader(), "dader"), (slachtoffer(), "slachtoffer")]
            .into_iter()
            .enumerate()
        {
            let added = client
                .add_subject(wire::AddSubjectRequest {
                    client_request_id: format!("r{n}-{role}-{round}"),
                    case_id: case.clone(),
                    subject: Some(wire::SubjectPseudonym { hex: subject }),
                    role: role.into(),
                    label: String::new(),
                })
                .await;
            if let Err(status) = added {
                return failed(format!("add_subject: {status:?}"));
            }
            ack(&mut |a| {
                a.cases.insert(case.clone(), ("melding".into(), i + 1));
            });
        }
        for phase in ["registratie", "duiding"] {
            let moved = client
                .move_phase(wire::MovePhaseRequest {
                    client_request_id: format!("r{n}-{phase}-{round}"),
                    case_id: case.clone(),
                    to_phase: phase.into(),
                    reason: "load".into(),
                    expected_phase: String::new(),
                })
                .await;
            if let Err(status) = moved {
                return failed(format!("move_phase: {status:?}"));
            }
            ack(&mut |a| {
                a.cases.insert(case.clone(), (phase.into(), 2));
            });
        }
        if round % 2 == 0 {
            let file = client
                .request_case_file(wire::CaseFileRequest {
                    client_request_id: format!("r{n}-file-{round}"),
                    case_id: case.clone(),
                    purpose: "duiding".into(),
                    deadline_ms: 3000,
                    ..Default::default()
                })
                .await;
            match file {
                Ok(file) => {
                    let id = file.into_inner().id;
                    let after_kill = killed.borrow().is_some();
                    ack(&mut |a| {
                        a.files.insert(id.clone(), (case.clone(), n));
                        if after_kill {
                            a.files_after_kill += 1;
                        }
                    });
                }
                Err(status) => return failed(format!("request_case_file: {status:?}")),
            }
        }
    }
}

/// Waits (bounded) until `condition` holds for what was acknowledged. A coordinator of
/// a replica other than `killed` that got an error fails the test at once: the load
/// must go on through every live replica.
async fn wait_for(
    acknowledged: &Mutex<Acknowledged>,
    killed: Option<usize>,
    what: &str,
    condition: impl Fn(&Acknowledged) -> bool,
) {
    let start = Instant::now();
    loop {
        let (done, live_failed, state) = {
            let a = acknowledged.lock().expect("lock");
            (
                condition(&a),
                a.errors.keys().any(|n| Some(*n) != killed),
                format!(
                    "{} cases, {} case files, errors {:?}",
                    a.cases.len(),
                    a.files.len(),
                    a.errors
                ),
            )
        };
        if done {
            return;
        }
        assert!(!live_failed && start.elapsed() < BOUND, "{what}: {state}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A checkpoint as stored: its size, note and signer.
struct StoredCheckpoint {
    size: u64,
    note: Vec<u8>,
    signed_by: Option<String>,
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn stored_checkpoints(postgres: &TestPostgres, database: &str) -> Vec<StoredCheckpoint> {
    postgres
        .query(
            database,
            "SELECT tree_size, encode(note, 'hex'), coalesce(signed_by, '') \
             FROM hub_log_checkpoints ORDER BY tree_size",
        )
        .expect("read the checkpoints")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut columns = line.split('|');
            let size = columns.next().and_then(|s| s.parse().ok()).expect("size");
            let note = unhex(columns.next().expect("note"));
            let signed_by = columns.next().filter(|s| !s.is_empty()).map(str::to_owned);
            StoredCheckpoint {
                size,
                note,
                signed_by,
            }
        })
        .collect()
}

/// The tree of the entries as stored, rebuilt here: every index present, in order.
fn stored_tree(postgres: &TestPostgres, database: &str) -> MerkleTree {
    let rows = postgres
        .query(
            database,
            "SELECT idx, encode(body, 'hex') FROM hub_log_entries ORDER BY idx",
        )
        .expect("read the entries");
    let mut tree = MerkleTree::new();
    for (expected, line) in (0u64..).zip(rows.lines().filter(|l| !l.is_empty())) {
        let (idx, body) = line.split_once('|').expect("idx|body");
        assert_eq!(idx.parse::<u64>().expect("idx"), expected, "entry missing");
        tree.push(leaf_hash(&unhex(body)));
    }
    tree
}

/// Checks a checkpoint (`what` says whose) against the one tree: signed with the log's
/// key, of a size the log has, its root the tree's at that size, and consistent with
/// the latest checkpoint by a proof verified here.
fn check_against_tree(
    what: &str,
    verifier: &NoteVerifier,
    note: &[u8],
    tree: &MerkleTree,
    latest: (u64, Hash),
) -> u64 {
    let opened = open_checkpoint(
        treiter_hub::state::LOG_ORIGIN,
        std::slice::from_ref(verifier),
        note,
    )
    .unwrap_or_else(|e| panic!("{what}: not signed with the log's key: {e}"));
    let cp = opened.checkpoint();
    assert!(
        cp.size <= tree.len(),
        "{what}: size {} beyond the log ({} entries)",
        cp.size,
        tree.len()
    );
    assert_eq!(
        tree.root_at(cp.size).expect("root"),
        cp.root,
        "{what}: another view of size {}",
        cp.size
    );
    let (to, to_root) = latest;
    if cp.size <= to {
        let proof = consistency_proof(tree, cp.size, to).expect("proof");
        verify_consistency(cp.size, to, &cp.root, &to_root, &proof)
            .unwrap_or_else(|e| panic!("{what}: not consistent with the latest: {e}"));
    }
    cp.size
}

/// Every file named `name` under `dir`, one directory deep.
fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(name))
        .filter(|p| p.is_file())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_change_under_load_loses_nothing_and_never_signs_two_views() {
    let Some(postgres) = TestPostgres::start_or_skip(
        "a_leader_change_under_load_loses_nothing_and_never_signs_two_views",
    ) else {
        return;
    };
    let pki = Pki::new();
    let dir = pki.dir.path().to_path_buf();
    let store = crate::support::postgres_store_config(&postgres, "leader");
    let data = "data_leader";
    let (configs, addrs) = crate::support::replica_configs(&pki, &store, REPLICAS);
    let logs: Vec<PathBuf> = (0..REPLICAS)
        .map(|n| dir.join(format!("replica-{n}.stderr")))
        .collect();
    let mut replicas: Vec<Option<Process>> = configs
        .iter()
        .zip(&logs)
        .map(|(config, log)| Some(spawn_replica(config, log)))
        .collect();
    let mut clients = Vec::new();
    for addr in &addrs {
        clients.push(informatiemakelaar(&pki, *addr).await);
    }
    let mut ids = Vec::new();
    for log in &logs {
        ids.push(replica_id(log).await);
    }
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        REPLICAS,
        "each replica has its own id: {ids:?}"
    );

    // The seven agents, spread: agent k links to replica k % 3 first, the others are
    // its failover addresses.
    let exports = dir.join("exports");
    write_sources(&exports);
    let receipts = dir.join("receipts");
    std::fs::create_dir_all(&receipts).expect("receipts dir");
    let agents =
        JsonAgents::start_spread_keeping_receipts(&pki, &addrs, &exports, &[], &receipts).await;

    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (killed_tx, killed_rx) = tokio::sync::watch::channel(None::<usize>);
    let writers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, client)| {
            tokio::spawn(load(
                client,
                n,
                Arc::clone(&acknowledged),
                killed_rx.clone(),
                stopped.clone(),
            ))
        })
        .collect();

    // Mid-load: the replica that signed the most recent checkpoint is killed.
    wait_for(&acknowledged, None, "case files before the kill", |a| {
        a.files.len() >= FILES_BEFORE_KILL
    })
    .await;
    let latest_signer = stored_checkpoints(&postgres, data)
        .pop()
        .and_then(|cp| cp.signed_by)
        .expect("the latest checkpoint names its signer");
    let leader = ids
        .iter()
        .position(|id| *id == latest_signer)
        .unwrap_or_else(|| panic!("signer {latest_signer} is none of the replicas {ids:?}"));
    let mut process = replicas[leader].take().expect("the leader's process");
    process.0.kill().expect("kill -9 the leader");
    process.0.wait().expect("reap the leader");
    killed_tx.send_replace(Some(leader));
    let size_at_kill = stored_checkpoints(&postgres, data)
        .last()
        .map_or(0, |cp| cp.size);
    eprintln!(
        "killed replica {leader} ({latest_signer}), the latest signer, at checkpoint size {size_at_kill}"
    );

    // The load goes on through the survivors.
    wait_for(
        &acknowledged,
        Some(leader),
        "case files after the kill",
        |a| a.files_after_kill >= FILES_AFTER_KILL,
    )
    .await;
    stop.send_replace(true);
    for writer in writers {
        tokio::time::timeout(BOUND, writer)
            .await
            .expect("the load stops")
            .expect("load task");
    }
    let survivors: Vec<usize> = (0..REPLICAS).filter(|n| *n != leader).collect();
    let mut survivor = informatiemakelaar(&pki, addrs[survivors[0]]).await;

    // The killed replica's agents come back through the others within their backoff
    // (at most 1 s, then the link rows refresh): a later case file on a survivor has
    // an answer from every partner.
    let case = acknowledged
        .lock()
        .expect("lock")
        .cases
        .iter()
        .find(|(_, (phase, subjects))| phase == "duiding" && *subjects == 2)
        .map(|(case, _)| case.clone())
        .expect("a case in duiding");
    let start = Instant::now();
    loop {
        let file = survivor
            .request_case_file(wire::CaseFileRequest {
                case_id: case.clone(),
                purpose: "duiding".into(),
                deadline_ms: 3000,
                ..Default::default()
            })
            .await
            .expect("a case file on a survivor")
            .into_inner();
        let missing: Vec<String> = file
            .partners
            .iter()
            .filter(|p| {
                matches!(
                    p.status.as_str(),
                    "no-answer" | "offline-queued" | "pending"
                )
            })
            .map(|p| {
                format!(
                    "{} ({})",
                    p.party.as_ref().map_or("", |p| &p.name),
                    p.status
                )
            })
            .collect();
        if missing.is_empty() {
            assert_eq!(file.partners.len(), treiter_certs_dev::PARTIES.len());
            break;
        }
        assert!(
            start.elapsed() < BOUND,
            "partners still unreachable after the kill: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every acknowledged change is there, read through a survivor.
    let acknowledged = std::mem::take(&mut *acknowledged.lock().expect("lock"));
    for n in &survivors {
        assert!(
            !acknowledged.errors.contains_key(n),
            "a surviving replica failed its coordinator: {:?}",
            acknowledged.errors
        );
    }
    for (case, (phase, subjects)) in &acknowledged.cases {
        let stored = survivor
            .get_case(wire::GetCaseRequest {
                case_id: case.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("acknowledged case {case} is gone: {s:?}"))
            .into_inner();
        let order = ["melding", "registratie", "duiding"];
        let at = |p: &str| order.iter().position(|o| *o == p);
        assert!(
            at(&stored.phase) >= at(phase),
            "case {case}: acknowledged {phase}, stored {}",
            stored.phase
        );
        assert!(
            stored.subjects.len() >= *subjects,
            "case {case}: a subject acknowledged and lost"
        );
    }
    for (file, (case, _)) in &acknowledged.files {
        let stored = survivor
            .get_case_file(wire::GetCaseFileRequest {
                case_file_id: file.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("acknowledged case file {file} is gone: {s:?}"))
            .into_inner();
        assert_eq!(&stored.case_id, case);
    }
    agents.stop().await;
    drop(replicas);

    // The log verifies, and says who signed.
    let verify = run_hub_command(&["log", "verify"], &configs[survivors[0]]);
    let said = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(
        verify.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        said.contains(&format!("checkpoints signed by replica {latest_signer}: ")),
        "{said}"
    );
    let latest_line = said
        .lines()
        .find(|l| l.ends_with(", including the latest)"))
        .unwrap_or_else(|| panic!("no signer of the latest checkpoint: {said}"));
    assert!(
        survivors
            .iter()
            .any(|n| latest_line
                .starts_with(&format!("checkpoints signed by replica {}: ", ids[*n]))),
        "the latest checkpoint is not a survivor's: {said}"
    );
    eprint!("{said}");

    // Every checkpoint in the database is of the one tree the stored entries make.
    let tree = stored_tree(&postgres, data);
    let verifier = NoteVerifier::parse(&log_verifier(&pki)).expect("the log's verifier");
    let stored = stored_checkpoints(&postgres, data);
    let last = stored.last().expect("checkpoints");
    let latest_root = open_checkpoint(
        treiter_hub::state::LOG_ORIGIN,
        std::slice::from_ref(&verifier),
        &last.note,
    )
    .expect("the latest checkpoint")
    .checkpoint()
    .root;
    let latest = (last.size, latest_root);
    for cp in &stored {
        check_against_tree(
            &format!("stored checkpoint {}", cp.size),
            &verifier,
            &cp.note,
            &tree,
            latest,
        );
    }
    let signers: BTreeSet<&str> = stored
        .iter()
        .filter_map(|c| c.signed_by.as_deref())
        .collect();
    assert!(
        signers.len() >= 2,
        "one replica signed everything: {signers:?}"
    );
    for signer in &signers {
        assert!(ids.iter().any(|id| id == signer), "unknown signer {signer}");
    }
    // After the kill (beyond the largest size stored then), the survivors signed.
    let after_kill: Vec<&StoredCheckpoint> =
        stored.iter().filter(|c| c.size > size_at_kill).collect();
    assert!(
        after_kill.iter().any(|c| c
            .signed_by
            .as_ref()
            .is_some_and(|s| survivors.iter().any(|n| ids[*n] == *s))),
        "no survivor signed a checkpoint after the kill (size {size_at_kill})"
    );

    // Every checkpoint the agents kept, and every one they cosigned, is of that tree;
    // none was refused.
    let held = files_named(&dir, "witnessed.checkpoint");
    assert!(
        held.len() >= treiter_certs_dev::PARTIES.len(),
        "every agent witnessed: {held:?}"
    );
    for path in &held {
        let note = std::fs::read(path).expect("held checkpoint");
        check_against_tree(
            &format!("checkpoint kept in {}", path.display()),
            &verifier,
            &note,
            &tree,
            latest,
        );
    }
    let mut cosigned = 0;
    for entry in std::fs::read_dir(&receipts).expect("receipts") {
        let path = entry.expect("receipt log").path();
        for line in std::fs::read_to_string(&path).expect("receipts").lines() {
            let receipt: serde_json::Value = serde_json::from_str(line).expect("a receipt");
            match receipt["event"].as_str() {
                Some("checkpoint-witnessed") => {
                    let size = receipt["tree_size"].as_u64().expect("size");
                    let root = receipt["root"]
                        .as_str()
                        .and_then(Hash::from_base64)
                        .expect("root");
                    assert_eq!(
                        tree.root_at(size).ok(),
                        Some(root),
                        "{}: cosigned another view of size {size}",
                        path.display()
                    );
                    cosigned += 1;
                }
                Some("checkpoint-refused") => {
                    panic!("{}: an agent refused a checkpoint: {line}", path.display())
                }
                _ => {}
            }
        }
    }
    assert!(cosigned > 0, "the agents cosigned nothing");
    eprintln!(
        "{} cases and {} case files acknowledged over {REPLICAS} replicas; {} checkpoints by {} signers, {} after the kill; {cosigned} cosigned by the agents",
        acknowledged.cases.len(),
        acknowledged.files.len(),
        stored.len(),
        signers.len(),
        after_kill.len()
    );
}
