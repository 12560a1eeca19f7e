//! The inbox end to end: a coordinator's completed case file reaches the inbox of the
//! recipient party's agent (the gemeente's), sealed on disk; it is delivered again to
//! an agent that did not store it; the closed case's retention term reaches the agent;
//! the agent's sweep at an explicit moment deletes the share on time, with receipts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::watch;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::inbox::Inbox;
use treiter_node_agent::receipts::{self, Event};
use treiter_proto::v1 as wire;

use crate::casefile::{IM_OOST, Partners, SDR_OOST, case_file, case_in, client};
use crate::support::{Pki, TestHub, agent_config_text, wait_until, workspace_bin};

/// A value of the police export that passes to the informatiemakelaar in duiding.
const DISTINCTIVE: &str = "bedreiging";

/// The gemeente agent's configuration file, with or without an inbox.
fn gemeente_config(pki: &Pki, hub: &TestHub, with_inbox: bool) -> PathBuf {
    let (cert, key) = pki.party("gemeente");
    let root = pki.dir.path().join("gemeente-agent");
    std::fs::create_dir_all(&root).expect("mkdir");
    let mut text = format!(
        "receipts = \"{}\"\n{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
        root.join("receipts.jsonl").display(),
        agent_config_text(pki, &cert, &key, hub.addr),
        pki.dir.path().join("exports").join("gemeente").display()
    );
    if with_inbox {
        text.push_str(&format!(
            "[inbox]\ndir = \"{}\"\nkey_file = \"{}\"\n",
            root.join("inbox").display(),
            root.join("inbox.key").display()
        ));
    }
    let path = root.join(if with_inbox {
        "agent.toml"
    } else {
        "agent-no-inbox.toml"
    });
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs one gemeente agent until the returned sender is set.
async fn run_agent(config: &Path) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let config = AgentConfig::load(config).expect("agent config");
    let (stop, stopped) = watch::channel(false);
    let task = Partners::spawn(config, stopped).await;
    (stop, task)
}

fn inbox_of(pki: &Pki) -> Inbox {
    let root = pki.dir.path().join("gemeente-agent");
    Inbox::open(&root.join("inbox"), &root.join("inbox.key")).expect("inbox")
}

fn node_agent(args: &[&str]) -> std::process::Output {
    std::process::Command::new(workspace_bin("node-agent"))
        .args(args)
        .output()
        .expect("node-agent runs")
}

#[tokio::test]
async fn a_case_file_reaches_the_gemeente_inbox_and_is_deleted_when_its_retention_ends() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["gemeente"]).await;
    // First the gemeente's agent runs without an inbox: it answers, but does not
    // acknowledge the delivery, so the hub keeps it.
    let (stop_first, first) = run_agent(&gemeente_config(&pki, &hub, false)).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let case = case_in(&mut im, "duiding").await;
    let file = case_file(&mut im, &case, "duiding", 5000)
        .await
        .expect("case file");
    assert!(file.complete, "every partner answered");
    stop_first.send_replace(true);
    let _ = first.await;

    // The agent with an inbox links: the hub delivers again on attach.
    let config = gemeente_config(&pki, &hub, true);
    let (stop, agent) = run_agent(&config).await;
    let inbox = inbox_of(&pki);
    // Deliveries are stored one by one: wait for the one this test is about, not the
    // first to arrive (under load the identificatie share can come alone first).
    assert!(
        wait_until(Duration::from_secs(10), || {
            inbox
                .list()
                .is_ok_and(|l| l.iter().any(|s| s.category == "politie-incidenten"))
        })
        .await,
        "the delivery reaches the inbox after the agent links"
    );
    let listed = inbox.list().expect("list");
    assert!(
        listed
            .iter()
            .all(|s| s.case == case && s.purpose == "duiding")
    );
    assert!(
        listed.iter().any(|s| s.category == "politie-incidenten"),
        "{listed:?}"
    );
    assert!(listed.iter().all(|s| s.delete_at.is_none()), "term unknown");
    // Sealed at rest: no value in any file of the inbox.
    let shares_dir = pki.dir.path().join("gemeente-agent/inbox/shares");
    for entry in std::fs::read_dir(&shares_dir).expect("shares") {
        let raw = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!String::from_utf8_lossy(&raw).contains(DISTINCTIVE));
    }

    // Purpose binding (article 3.2): the CLI exports for duiding only.
    let config_arg = config.to_str().expect("utf-8 path");
    let export = node_agent(&[
        "inbox",
        "export",
        "--config",
        config_arg,
        "--case",
        &case,
        "--purpose",
        "duiding",
    ]);
    assert!(export.status.success(), "{export:?}");
    assert!(String::from_utf8_lossy(&export.stdout).contains(DISTINCTIVE));
    let refused = node_agent(&[
        "inbox",
        "export",
        "--config",
        config_arg,
        "--case",
        &case,
        "--purpose",
        "aanpak",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("article 3.2"));
    let list = node_agent(&["inbox", "list", "--config", config_arg]);
    assert!(list.status.success(), "{list:?}");
    assert!(!String::from_utf8_lossy(&list.stdout).contains(DISTINCTIVE));

    // The case is closed: its retention term (article 9.1) reaches the agent.
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    sdr.move_phase(wire::MovePhaseRequest {
        client_request_id: "close-aanpak".into(),
        case_id: case.clone(),
        to_phase: "aanpak".into(),
        reason: "next step".into(),
        expected_phase: String::new(),
    })
    .await
    .expect("aanpak");
    sdr.move_phase(wire::MovePhaseRequest {
        client_request_id: "close".into(),
        case_id: case.clone(),
        to_phase: "afgesloten".into(),
        reason: "closed".into(),
        expected_phase: String::new(),
    })
    .await
    .expect("afgesloten");
    assert!(
        wait_until(Duration::from_secs(10), || {
            inbox
                .list()
                .is_ok_and(|l| l.iter().all(|s| s.delete_at.is_some()))
        })
        .await,
        "the retention notice reaches the agent"
    );
    let delete_at = inbox.list().expect("list")[0]
        .delete_at
        .clone()
        .expect("delete_at");
    let at =
        time::OffsetDateTime::parse(&delete_at, &time::format_description::well_known::Rfc3339)
            .expect("rfc 3339");
    assert!(at > time::OffsetDateTime::now_utc() + time::Duration::days(700));
    stop.send_replace(true);
    let _ = agent.await;

    // The hub's clock moves past the term: the hub deletes its own copy of the case.
    hub.hub.clock.advance(time::Duration::days(25 * 31));
    hub.hub.sweep_retention().await.expect("hub sweep");
    let store = hub.hub.store.clone();
    assert!(
        wait_until(Duration::from_secs(10), || {
            treiter_hub::tables::delivery_holders::all(store.as_ref())
                .is_ok_and(|held| held.is_empty())
        })
        .await,
        "the hub forgets who held the deleted case's data"
    );

    // The agent's sweep at an explicit moment: not a second early, then on time.
    let before = (at - time::Duration::seconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let early = node_agent(&["inbox", "sweep", "--config", config_arg, "--at", &before]);
    assert!(early.status.success(), "{early:?}");
    assert!(inbox.len().expect("len") > 0, "kept until its moment");
    let on_time = node_agent(&["inbox", "sweep", "--config", config_arg, "--at", &delete_at]);
    assert!(on_time.status.success(), "{on_time:?}");
    assert_eq!(inbox.len().expect("len"), 0, "deleted at its moment");

    let (log, _) =
        receipts::read(&pki.dir.path().join("gemeente-agent/receipts.jsonl")).expect("receipts");
    let received = log
        .iter()
        .position(|r| matches!(r.event, Event::ShareReceived { .. }))
        .expect("share-received");
    let deleted = log
        .iter()
        .position(
            |r| matches!(&r.event, Event::ShareDeleted { reason, .. } if reason == "retention"),
        )
        .expect("share-deleted");
    assert!(received < deleted);
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn a_case_file_completed_while_the_gemeente_agent_was_offline_reaches_it_when_it_links() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["gemeente"]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    // The gemeente's agent is offline: its questions are queued, the file waits.
    let file = case_file(&mut sdr, &case, "aanpak", 2000)
        .await
        .expect("case file");
    assert!(!file.complete, "the gemeente's questions are queued");
    let config = gemeente_config(&pki, &hub, true);
    let (stop, agent) = run_agent(&config).await;
    let inbox = inbox_of(&pki);
    // It links, answers its queued questions, the file completes, and the delivery
    // follows on the same link.
    assert!(
        wait_until(Duration::from_secs(20), || inbox.len().unwrap_or(0) > 0).await,
        "the completed file's records reach the inbox"
    );
    let listed = inbox.list().expect("list");
    assert!(
        listed
            .iter()
            .all(|s| s.case == case && s.purpose == "aanpak")
    );
    stop.send_replace(true);
    let _ = agent.await;
    partners.stop().await;
    hub.stop().await;
}
