//! Passphrase-protected keys end to end: an agent whose key is encrypted PKCS#8 links
//! to the hub with the passphrase from a file or an environment variable, and says
//! so when none is configured; `hubctl` works with a person's PKCS#12 bundle. Every
//! encrypted key is made here from the per-test dev PKI: nothing secret is committed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::Agent;

use crate::support::{Pki, TestHub, agent_config_text, hubctl, hubctl_profile_with, workspace_bin};

const PASSPHRASE: &str = "synthetic test passphrase";

fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The PKCS#8 DER of a dev PKI key file (PEM `PRIVATE KEY`).
fn pkcs8_der(key: &Path) -> Vec<u8> {
    let pem = std::fs::read_to_string(key).expect("key");
    let (label, doc) = pkcs8::der::Document::from_pem(&pem).expect("pem");
    assert_eq!(label, "PRIVATE KEY");
    doc.as_bytes().to_vec()
}

/// `key` encrypted under [`PASSPHRASE`] (PBES2: PBKDF2-SHA256, AES-256-CBC), written
/// next to it.
fn encrypted_key(key: &Path) -> PathBuf {
    use pkcs8::der::Decode as _;
    let der = pkcs8_der(key);
    let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        2048,
        b"synthetic-salt16",
        [9u8; 16],
    )
    .expect("params");
    let pem = pkcs8::PrivateKeyInfoRef::from_der(&der)
        .expect("pkcs8")
        .encrypt_with_params(params, PASSPHRASE)
        .expect("encrypt")
        .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::der::pem::LineEnding::LF)
        .expect("pem")
        .to_string();
    let path = key.with_extension("encrypted.key");
    write_private(&path, pem.as_bytes());
    path
}

fn passphrase_file(dir: &Path) -> PathBuf {
    let path = dir.join("key.pass");
    write_private(&path, format!("{PASSPHRASE}\n").as_bytes());
    path
}

#[tokio::test]
async fn an_agent_with_an_encrypted_key_links_with_the_passphrase_from_a_file() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("degracht");
    let encrypted = encrypted_key(&key);
    let pass = passphrase_file(pki.dir.path());
    let text = format!(
        "key_passphrase = \"file:{}\"\n{}",
        pass.display(),
        agent_config_text(&pki, &cert, &encrypted, hub.addr)
    );
    let config = AgentConfig::parse(&text, Path::new("/")).expect("config");
    let agent = Agent::new(config).expect("the encrypted key opens");
    let welcome = agent.connect_once().await.expect("linked");
    assert_eq!(welcome.party.expect("party").oin, "00000004000000000004");

    // Without the setting, the same key is refused as encrypted, naming the setting.
    let bare = AgentConfig::parse(
        &agent_config_text(&pki, &cert, &encrypted, hub.addr),
        Path::new("/"),
    )
    .expect("config");
    let Err(err) = Agent::new(bare) else {
        panic!("an encrypted key without a passphrase must be refused");
    };
    let err = treiter_proto::text::error_chain(&err);
    assert!(err.contains("is encrypted"), "{err}");
    assert!(err.contains("key_passphrase"), "{err}");
    assert!(!err.contains("holds no PRIVATE KEY"), "{err}");
    hub.stop().await;
}

#[tokio::test]
async fn test_connection_reads_the_passphrase_from_the_environment() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let (cert, key) = pki.party("politie");
    let encrypted = encrypted_key(&key);
    let config = pki.dir.path().join("agent-env.toml");
    std::fs::write(
        &config,
        format!(
            "key_passphrase = \"env:TREITER_TEST_AGENT_KEY_PASSPHRASE\"\n{}",
            agent_config_text(&pki, &cert, &encrypted, hub.addr)
        ),
    )
    .expect("config");
    let run = |passphrase: Option<&str>| {
        let mut command = tokio::process::Command::new(workspace_bin("node-agent"));
        command
            .args(["test-connection", "--config"])
            .arg(&config)
            .env("RUST_LOG", "error")
            .env_remove("TREITER_TEST_AGENT_KEY_PASSPHRASE")
            .kill_on_drop(true);
        if let Some(p) = passphrase {
            command.env("TREITER_TEST_AGENT_KEY_PASSPHRASE", p);
        }
        async move {
            tokio::time::timeout(Duration::from_secs(30), command.output())
                .await
                .expect("ends within 30 s")
                .expect("run node-agent")
        }
    };
    let out = run(Some(PASSPHRASE)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Politie Eenheid Amsterdam"), "{stdout}");

    let out = run(None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("TREITER_TEST_AGENT_KEY_PASSPHRASE"),
        "{stderr}"
    );
    assert!(stderr.contains("not set"), "{stderr}");

    let out = run(Some("not the passphrase")).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the passphrase does not open"), "{stderr}");
    assert!(!stderr.contains("not the passphrase"), "{stderr}");
    hub.stop().await;
}

#[tokio::test]
async fn hubctl_works_with_a_pkcs12_person_bundle() {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let person = "p-gemeente-001";
    let (cert, key) = pki.person(person);
    let cert_der = {
        let pem = std::fs::read_to_string(&cert).expect("cert");
        let start = pem.find("-----BEGIN CERTIFICATE-----").expect("cert pem");
        let end = pem.find("-----END CERTIFICATE-----").expect("cert end")
            + "-----END CERTIFICATE-----".len();
        let (_, doc) = pkcs8::der::Document::from_pem(&pem[start..end]).expect("pem");
        doc.as_bytes().to_vec()
    };
    let mut store = KeyStore::new();
    store.add_entry(
        person,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            [1u8, 2, 3, 4].as_slice(),
            PrivateKey::from_der(&pkcs8_der(&key)).expect("key"),
            [Certificate::from_der(&cert_der).expect("cert")],
        )),
    );
    let bundle = pki.dir.path().join(format!("{person}.p12"));
    write_private(&bundle, &store.writer(PASSPHRASE).write().expect("p12"));
    let profile = hubctl_profile_with(&pki, hub.addr, "p12", &bundle, &bundle, None);
    let pass = passphrase_file(pki.dir.path());
    let mut text = std::fs::read_to_string(&profile).expect("profile");
    text.push_str(&format!("key_passphrase = \"file:{}\"\n", pass.display()));
    std::fs::write(&profile, text).expect("profile");
    let me = hubctl(&profile, &["--json", "whoami"], None).await.json();
    assert_eq!(me["roles"], serde_json::json!(["informatiemakelaar"]));

    // The same bundle without the passphrase setting: that error, not a PEM one.
    let bare = hubctl_profile_with(&pki, hub.addr, "p12-bare", &bundle, &bundle, None);
    let run = hubctl(&bare, &["whoami"], None).await;
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("is encrypted (a PKCS#12 bundle)"),
        "{run:?}"
    );
    assert!(run.stderr.contains("key_passphrase"), "{run:?}");
    hub.stop().await;
}
