//! `node-agent test-connection` against a real hub: what a partner's IT department
//! sees for a hub that accepts its agent, one that refuses it (by OIN and by
//! certificate), a hub its trust anchor does not trust, and no hub at all — each in
//! words, with its documented exit code.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use treiter_certs_dev::TestCert;

use crate::support::{Pki, TestHub, agent_config_text, workspace_bin};

/// Runs `node-agent test-connection` with the configuration `text`, in a task that
/// does not block the hub's runtime.
async fn test_connection(dir: &Path, text: &str) -> Output {
    let config = dir.join(format!(
        "agent-{}.toml",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos()
    ));
    std::fs::write(&config, text).expect("write config");
    let bin = workspace_bin("node-agent");
    let mut command = tokio::process::Command::new(bin);
    command
        .args(["test-connection", "--config"])
        .arg(&config)
        .env("RUST_LOG", "error")
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("test-connection ends within 30 s")
        .expect("run node-agent")
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_hub_that_accepts_says_as_which_party() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("politie");
    let out = test_connection(
        pki.dir.path(),
        &agent_config_text(&pki, &cert, &key, hub.addr),
    )
    .await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("accepted: "), "{stdout}");
    assert!(
        stdout.contains("as party Politie Eenheid Amsterdam (OIN 00000002000000000002, politie)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no agent of this party is linked to the hub now"),
        "{stdout}"
    );
    // The test opened no link: the hub's table shows no agent of the party linked.
    let oin = treiter_hub::identity::Oin::parse("00000002000000000002").expect("oin");
    assert!(
        !hub.hub.agents.get(&oin).is_some_and(|a| a.connected()),
        "test-connection must not open the agent link"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_hub_that_refuses_the_oin_says_why() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.test_cert(TestCert::UnknownOin);
    let out = test_connection(
        pki.dir.path(),
        &agent_config_text(&pki, &cert, &key, hub.addr),
    )
    .await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("node-agent: the hub refused this agent: "),
        "{stderr}"
    );
    assert!(stderr.contains(treiter_certs_dev::UNKNOWN_OIN), "{stderr}");
    assert!(stderr.contains("not a party"), "{stderr}");
    assert_eq!(
        hub.hub
            .refusals
            .counts()
            .get(&treiter_hub::refusals::RefusalReason::NotAParty),
        Some(&1)
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_hub_that_refuses_the_certificate_says_why() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.test_cert(TestCert::WrongCa);
    let out = test_connection(
        pki.dir.path(),
        &agent_config_text(&pki, &cert, &key, hub.addr),
    )
    .await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("node-agent: the hub refused this agent's certificate: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("not issued by a CA the hub trusts"),
        "{stderr}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_hub_the_trust_anchor_does_not_trust_says_the_trust_anchor_is_wrong() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("politie");
    let text = agent_config_text(&pki, &cert, &key, hub.addr).replace(
        &pki.layout.ca_cert().display().to_string(),
        &pki.layout.other_ca_cert().display().to_string(),
    );
    let out = test_connection(pki.dir.path(), &text).await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "node-agent: the hub at https://{} is not trusted: ",
            hub.addr
        )),
        "{stderr}"
    );
    assert!(stderr.contains("trust anchor is wrong"), "{stderr}");
    assert!(stderr.contains("trust_anchors"), "{stderr}");
    assert!(!stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(!stderr.contains("cannot reach"), "{stderr}");
    hub.stop().await;
}

#[tokio::test]
async fn no_hub_at_the_address_is_cannot_reach() {
    let pki = Pki::new();
    // A port that was free a moment ago: nothing listens there.
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let (cert, key) = pki.party("politie");
    let out = test_connection(pki.dir.path(), &agent_config_text(&pki, &cert, &key, addr)).await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "node-agent: cannot reach the hub at https://{addr}: "
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("cannot reach the hub").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains(&addr.to_string()), "{stderr}");
}
