//! Retention (article 9) and encryption at rest (article 12.2): cases are deleted when
//! their time is up, by the hub's clock; the deletion is logged first (fail closed);
//! the case key is shredded, so an old copy of the data cannot be read; and nothing
//! written through the API is on disk in the clear. Synthetic data only.

use std::path::Path;

use tonic::Code;
use treiter_hub::log::{EntryKind, Event};
use treiter_hub::retention::RetentionError;
use treiter_hub::store::StoreError;
use treiter_hub::tables::cases;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use crate::support::{Pki, TestHub, keys_dir_path, master_key_path, person_channel};

const SDR_OOST: &str = "p-gemeente-004";
/// Distinctive synthetic texts written through the API, searched for on disk.
const LABEL: &str = "SYNTHLABEL-qz7w";
const REFERENCE: &str = "SYNTHREF-k3vx";
const REASON: &str = "SYNTHNOTE-m8pj";

async fn client(pki: &Pki, hub: &TestHub) -> CoordinatorClient<HubChannel> {
    CoordinatorClient::new(person_channel(pki, SDR_OOST, hub.addr).await)
}

/// A case in oost with a labelled subject, moved through `path`.
async fn case_through(c: &mut CoordinatorClient<HubChannel>, tag: &str, path: &[&str]) -> String {
    let case = c
        .create_case(wire::CreateCaseRequest {
            client_request_id: format!("{tag}-create"),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
            )),
            external_reference: REFERENCE.into(),
        })
        .await
        .expect("create")
        .into_inner()
        .case
        .expect("case")
        .id;
    c.add_subject(wire::AddSubjectRequest {
        client_request_id: format!("{tag}-subject"),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym {
            hex: "d0".repeat(32),
        }),
        role: "dader".into(),
        label: LABEL.into(),
    })
    .await
    .expect("subject");
    for phase in path {
        c.move_phase(wire::MovePhaseRequest {
            client_request_id: format!("{tag}-{phase}"),
            case_id: case.clone(),
            to_phase: (*phase).into(),
            reason: REASON.into(),
            expected_phase: String::new(),
        })
        .await
        .expect("move");
    }
    case
}

const TO_AFGESLOTEN: &[&str] = &["registratie", "duiding", "aanpak", "afgesloten"];
const TO_BUITEN_AANPAK: &[&str] = &["registratie", "duiding", "buiten-aanpak"];

async fn readable(c: &mut CoordinatorClient<HubChannel>, case: &str) -> Result<(), Code> {
    c.get_case(wire::GetCaseRequest {
        case_id: case.into(),
    })
    .await
    .map(|_| ())
    .map_err(|s| s.code())
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).expect("read file")));
            }
        }
    }
    out
}

/// Where `needle` occurs in the files under `dir`.
fn hits(dir: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(path, _)| path)
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in files_under(from) {
        let target = to.join(path.strip_prefix(from).expect("under"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("copy");
    }
}

fn retention_deletions(hub: &TestHub) -> Vec<(String, String)> {
    let log = &hub.hub.log;
    log.entries(0, log.tree_size())
        .expect("log entries")
        .into_iter()
        .filter(|e| e.entry.kind() == EntryKind::RetentionDeletion)
        .filter_map(|e| match e.entry.event {
            Event::RetentionDeletion(d) => Some((d.case.to_string(), d.article.to_string())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn closed_cases_are_deleted_when_their_retention_ends_and_old_copies_stay_unreadable() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("retention-hub-data");
    let backup = pki.dir.path().join("retention-backup");
    let loopback = "127.0.0.1:0".parse().expect("addr");

    let first = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut c = client(&pki, &first).await;
    let closed = case_through(&mut c, "a", TO_AFGESLOTEN).await;
    let outside = case_through(&mut c, "b", TO_BUITEN_AANPAK).await;
    first.stop().await;

    // Encrypted at rest: the synthetic texts are nowhere in the data directory or the
    // key store, though the API returned them.
    for needle in [LABEL, REFERENCE, REASON] {
        assert_eq!(
            hits(&data_dir, needle),
            Vec::<std::path::PathBuf>::new(),
            "{needle} on disk"
        );
        assert_eq!(
            hits(&keys_dir_path(&data_dir), needle),
            Vec::<std::path::PathBuf>::new()
        );
    }
    // An operator's backup of the data directory, taken before any deletion.
    copy_dir(&data_dir, &backup);

    let hub = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut c = client(&pki, &hub).await;
    let got = c
        .get_case(wire::GetCaseRequest {
            case_id: closed.clone(),
        })
        .await
        .expect("readable after a restart")
        .into_inner();
    assert_eq!(got.external_reference, REFERENCE);

    let report = hub.hub.sweep_retention().await.expect("sweep");
    assert!(report.deleted.is_empty(), "{report:?}");

    // 3 months after buiten-aanpak (9.2): that case goes, the afgesloten one stays.
    hub.hub.clock.advance(time::Duration::days(93));
    let report = hub.hub.sweep_retention().await.expect("sweep");
    let deleted: Vec<_> = report.deleted.iter().map(|d| d.case.clone()).collect();
    assert_eq!(deleted, std::slice::from_ref(&outside));
    assert!(report.records_deleted >= 2, "{report:?}");
    assert_eq!(readable(&mut c, &outside).await, Err(Code::NotFound));
    assert_eq!(readable(&mut c, &closed).await, Ok(()));

    // Still there just before 24 months after afgesloten (9.1) ...
    hub.hub.clock.advance(time::Duration::days(700 - 93));
    let report = hub.hub.sweep_retention().await.expect("sweep");
    assert!(report.deleted.is_empty(), "{report:?}");
    assert_eq!(readable(&mut c, &closed).await, Ok(()));
    // ... and gone after.
    hub.hub.clock.advance(time::Duration::days(745 - 700));
    let report = hub.hub.sweep_retention().await.expect("sweep");
    let deleted: Vec<_> = report.deleted.iter().map(|d| d.case.clone()).collect();
    assert_eq!(deleted, std::slice::from_ref(&closed));
    assert_eq!(readable(&mut c, &closed).await, Err(Code::NotFound));
    let counts = hub.hub.sealed.record_counts().expect("scan");
    for space in ["cases", "idempotency", "case-files"] {
        assert_eq!(counts.get(space), Some(&0), "{space}");
    }

    // The deletions are in the decision log, which still verifies (art. 10.2, 10.4).
    assert_eq!(
        retention_deletions(&hub),
        [
            (outside.clone(), "9.2".to_owned()),
            (closed.clone(), "9.1".to_owned())
        ]
    );
    hub.hub
        .log
        .verify()
        .expect("the log verifies after the deletions");
    hub.stop().await;
    // And as an operator checks it, on the stopped hub.
    let config_file = pki.dir.path().join("retention-hub.toml");
    std::fs::write(
        &config_file,
        crate::support::hub_config_text(
            &pki,
            "127.0.0.1:1".parse().expect("addr"),
            None,
            &data_dir,
        ),
    )
    .expect("write config");
    let out = std::process::Command::new(crate::support::workspace_bin("hub"))
        .args(["log-verify", "--config"])
        .arg(&config_file)
        .env("RUST_LOG", "error")
        .output()
        .expect("run hub log-verify");
    assert!(
        out.status.success(),
        "hub log-verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The backup holds the cases' records, but with the key store as it is now they
    // do not open: the keys are gone (crypto-shredding).
    let text =
        crate::support::hub_config_text(&pki, "127.0.0.1:1".parse().expect("addr"), None, &backup);
    let mut config = treiter_hub::config::HubConfig::parse(&text, Path::new("/")).expect("config");
    config.master_key_file = Some(master_key_path(&data_dir));
    config.keys_dir = keys_dir_path(&data_dir);
    let old = treiter_hub::state::open_store(&config).expect("open the backup");
    for case in [&closed, &outside] {
        assert!(
            cases::get(old.raw().as_ref(), case).expect("raw").is_some(),
            "the backup still holds {case}'s sealed record"
        );
        match cases::get(old.as_ref(), case) {
            Err(StoreError::Shredded { case: c, .. }) => assert_eq!(&c, case),
            other => panic!("{case} must not open from the backup: {other:?}"),
        }
        assert!(old.keys().get(case).expect("key store").is_none());
    }
}

#[tokio::test]
async fn a_sweep_deletes_nothing_while_the_log_refuses_and_deletes_once_it_accepts() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut c = client(&pki, &hub).await;
    let case = case_through(&mut c, "f", TO_BUITEN_AANPAK).await;
    hub.hub.clock.advance(time::Duration::days(100));

    hub.hub.log.faults().fail_writes();
    match hub.hub.sweep_retention().await {
        Err(RetentionError::LogRefused { case: refused, .. }) => assert_eq!(refused, case),
        other => panic!("the sweep must fail closed: {other:?}"),
    }
    assert_eq!(readable(&mut c, &case).await, Ok(()), "nothing deleted");
    assert!(hub.hub.sealed.keys().get(&case).expect("keys").is_some());
    assert!(retention_deletions(&hub).is_empty());

    hub.hub.log.faults().clear();
    let report = hub.hub.sweep_retention().await.expect("sweep");
    assert_eq!(report.deleted.len(), 1);
    assert_eq!(readable(&mut c, &case).await, Err(Code::NotFound));
    assert_eq!(retention_deletions(&hub), [(case, "9.2".to_owned())]);
    hub.hub.log.verify().expect("the log verifies");
    hub.stop().await;
}

#[tokio::test]
async fn a_hub_pointed_at_another_key_store_refuses_to_start() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("bound-hub-data");
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut c = client(&pki, &hub).await;
    case_through(&mut c, "k", &[]).await;
    hub.stop().await;

    let text = crate::support::hub_config_text(
        &pki,
        "127.0.0.1:1".parse().expect("addr"),
        None,
        &data_dir,
    );
    let mut config = treiter_hub::config::HubConfig::parse(&text, Path::new("/")).expect("config");
    config.keys_dir = pki.dir.path().join("an-empty-key-store");
    let error = loop {
        match treiter_hub::state::open_store(&config) {
            Err(treiter_hub::state::StartupError::Store(_)) => {
                // The stopped hub's last tasks may hold the store's lock for a moment.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => break error,
            Ok(_) => panic!("another key store must be refused"),
        }
    };
    assert!(
        matches!(
            error,
            treiter_hub::state::StartupError::KeyStoreMismatch { .. }
        ),
        "{error}"
    );
}
