//! The hub with its keys in a hardware token: SoftHSM2 (Debian's `softhsm2`), started
//! by the test in a directory of its own. The log key signs in the token and its
//! checkpoints verify with the published verifier key; case keys are wrapped by the
//! token's master key and open again after a restart.
//!
//! Skipped, loudly, when SoftHSM2 is not installed here; never on CI (`CI=true`), where
//! `.ci/run` installs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;
use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};

use crate::support::{Pki, hub_config_text, person_channel, stable_ports, workspace_bin};

const IM_OOST: &str = "p-gemeente-001";
const PRIVACY_GEMEENTE: &str = "p-gemeente-090";
const TOKEN_LABEL: &str = "treiter-hub-test";
const PIN: &str = "271828";

/// Where Debian, Fedora and a source build put the SoftHSM2 module.
const MODULES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// The SoftHSM2 module, or `None` (with a loud message) when it is not installed and
/// this is not CI. On CI a missing SoftHSM2 fails the test.
fn softhsm_module() -> Option<PathBuf> {
    let module = MODULES.iter().map(PathBuf::from).find(|p| p.exists());
    let util = Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match module {
        Some(module) if util => Some(module),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "SoftHSM2 is not installed, but CI=true: .ci/run installs the Debian package softhsm2; the HSM tests must run on CI"
        ),
        _ => {
            eprintln!(
                "\n!!!!!!!! SKIPPED: SoftHSM2 is not installed (apt-get install softhsm2); the hub's PKCS#11 keys are NOT tested here !!!!!!!!\n"
            );
            None
        }
    }
}

/// A SoftHSM2 with one initialised token, in `dir`.
struct SoftHsm {
    conf: PathBuf,
    module: PathBuf,
}

impl SoftHsm {
    fn start(dir: &Path, module: PathBuf) -> SoftHsm {
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("token directory");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", TOKEN_LABEL])
            .args(["--so-pin", "31415926", "--pin", PIN])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util runs");
        assert!(out.status.success(), "init token: {out:?}");
        SoftHsm { conf, module }
    }

    fn hub(&self, args: &[&str], config: &Path) -> std::process::Output {
        Command::new(workspace_bin("hub"))
            .args(args)
            .arg("--config")
            .arg(config)
            .env("SOFTHSM2_CONF", &self.conf)
            .env("RUST_LOG", "warn")
            .output()
            .expect("hub runs")
    }
}

/// Kills the hub process on drop, so a failing test leaves none behind.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The hub configuration with both keys in the token (no key files).
fn hsm_config(
    pki: &Pki,
    hsm: &SoftHsm,
    listen: SocketAddr,
    admin: SocketAddr,
    pin: &Path,
) -> String {
    let data = pki.dir.path().join("hsm-hub-data");
    let text = hub_config_text(pki, listen, Some(admin), &data);
    let mut out: String = text
        .lines()
        .filter(|l| !l.starts_with("master_key_file") && !l.starts_with("log_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!(
        "\n[hsm]\nmodule = \"{}\"\ntoken_label = \"{TOKEN_LABEL}\"\npin = \"file:{}\"\nlog_key_label = \"treiter-hub-log\"\nmaster_key_label = \"treiter-hub-master\"\n",
        hsm.module.display(),
        pin.display()
    ));
    out
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn wait_up(admin: SocketAddr) {
    let start = Instant::now();
    while treiter_hub::admin::fetch_status(admin).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the hub with its keys in SoftHSM2 did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn serve(hsm: &SoftHsm, config: &Path) -> Process {
    Process(
        Command::new(workspace_bin("hub"))
            .args(["serve", "--config"])
            .arg(config)
            .env("SOFTHSM2_CONF", &hsm.conf)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hub"),
    )
}

#[tokio::test]
async fn the_hub_signs_and_seals_with_keys_in_softhsm2() {
    let Some(module) = softhsm_module() else {
        return;
    };
    let pki = Pki::new();
    let hsm = SoftHsm::start(&pki.dir.path().join("softhsm"), module);
    let pin = pki.dir.path().join("hsm.pin");
    std::fs::write(&pin, format!("{PIN}\n")).expect("pin file");
    std::fs::set_permissions(&pin, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod pin");
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let port = stable_ports(ip, 2);
    let listen = SocketAddr::new(ip, port);
    let admin = SocketAddr::new(ip, port + 1);
    let config = pki.dir.path().join("hub-hsm.toml");
    std::fs::write(&config, hsm_config(&pki, &hsm, listen, admin, &pin)).expect("config");

    // Before the master key exists, the hub says where it looked.
    let (_, err) = text(&hsm.hub(&["check-config"], &config));
    assert!(
        err.contains("has no master key") && err.contains("treiter-hub-master"),
        "{err}"
    );
    // The master key is made inside the token, once.
    let made = hsm.hub(&["master-key", "generate"], &config);
    assert!(made.status.success(), "{made:?}");
    let again = hsm.hub(&["master-key", "generate"], &config);
    let (_, err) = text(&again);
    assert!(
        !again.status.success() && err.contains("never replaced"),
        "{err}"
    );

    // check-config says where each key lives; the log key does not exist yet.
    let checked = hsm.hub(&["check-config"], &config);
    let (out, err) = text(&checked);
    assert!(checked.status.success(), "{out}{err}");
    let module_text = format!("PKCS#11 module {}", hsm.module.display());
    assert!(
        out.contains(&format!(
            "master key: {module_text}, token \"{TOKEN_LABEL}\", key label \"treiter-hub-master\""
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "log key: {module_text}, token \"{TOKEN_LABEL}\", key label \"treiter-hub-log\" does not exist yet"
        )),
        "{out}"
    );

    // `hub init` generates the log key pair in the token and publishes its verifier key.
    let init = hsm.hub(&["init"], &config);
    let (out, err) = text(&init);
    assert!(init.status.success(), "{out}{err}");
    let published = out
        .lines()
        .find_map(|l| l.strip_prefix("decision log verifier key: "))
        .expect("init prints the verifier key")
        .to_owned();
    let (out, _) = text(&hsm.hub(&["check-config"], &config));
    assert!(
        out.contains("key label \"treiter-hub-log\" (usable; it signs in the token)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("decision log verifier key: {published}")),
        "{out}"
    );

    // The hub runs with both keys in the token: a case is sealed under a case key that
    // the token's master key wraps, and the checkpoint is signed by the token.
    let hub = serve(&hsm, &config);
    wait_up(admin).await;
    let mut coordinator = CoordinatorClient::new(person_channel(&pki, IM_OOST, listen).await);
    let created = coordinator
        .create_case(wire::CreateCaseRequest {
            client_request_id: "hsm-1".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp {
                seconds: 1_790_000_000,
                nanos: 0,
            }),
            external_reference: "14020-HSM".into(),
        })
        .await
        .expect("case created")
        .into_inner();
    let case_id = created.case.expect("case").id;
    let keys_dir = pki.dir.path().join("hsm-hub-data.keys");
    assert!(
        keys_dir.join(format!("{case_id}.key")).exists(),
        "the case key is wrapped into the key store"
    );

    let mut officer =
        PrivacyOfficerClient::new(person_channel(&pki, PRIVACY_GEMEENTE, listen).await);
    let checkpoint = officer
        .get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
        .await
        .expect("checkpoint")
        .into_inner();
    assert_eq!(checkpoint.verifier_key, published);
    let verifier = NoteVerifier::parse(&published).expect("published verifier key");
    let opened = open_checkpoint(
        &checkpoint.origin,
        std::slice::from_ref(&verifier),
        &checkpoint.note,
    )
    .expect("the token's signature verifies with the published verifier key");
    assert!(opened.checkpoint().size >= 1);
    drop(coordinator);
    drop(officer);
    drop(hub);

    // Stopped: `hub log verify` checks the log with the token's key.
    let verified = hsm.hub(&["log", "verify"], &config);
    let (out, err) = text(&verified);
    assert!(
        verified.status.success() && out.contains("decision log ok"),
        "{out}{err}"
    );

    // Restarted: the case's sealed records open under the token's master key.
    let _hub = serve(&hsm, &config);
    wait_up(admin).await;
    let mut coordinator = CoordinatorClient::new(person_channel(&pki, IM_OOST, listen).await);
    let case = coordinator
        .get_case(wire::GetCaseRequest {
            case_id: case_id.clone(),
        })
        .await
        .expect("the case opens after a restart")
        .into_inner();
    assert_eq!(case.external_reference, "14020-HSM");

    // Another key of the token is not the master key of this key store: refused at
    // start (the token's GCM refusal is read as "does not open", not as a token fault).
    let other_config = pki.dir.path().join("hub-hsm-other-master.toml");
    std::fs::write(
        &other_config,
        hsm_config(&pki, &hsm, listen, admin, &pin)
            .replace("\"treiter-hub-master\"", "\"treiter-hub-master-2\""),
    )
    .expect("config");
    let made = hsm.hub(&["master-key", "generate"], &other_config);
    assert!(made.status.success(), "{made:?}");
    let refused = hsm.hub(&["check-config"], &other_config);
    let (_, err) = text(&refused);
    assert!(
        !refused.status.success()
            && err.contains("is not the master key this key store was created with"),
        "{err}"
    );

    // A wrong PIN is refused in words, naming the token.
    let wrong = pki.dir.path().join("wrong.pin");
    std::fs::write(&wrong, "000000\n").expect("pin");
    std::fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let wrong_config = pki.dir.path().join("hub-hsm-wrong-pin.toml");
    std::fs::write(&wrong_config, hsm_config(&pki, &hsm, listen, admin, &wrong)).expect("config");
    let refused = hsm.hub(&["check-config"], &wrong_config);
    let (_, err) = text(&refused);
    assert!(
        !refused.status.success() && err.contains("refused the PIN") && err.contains(TOKEN_LABEL),
        "{err}"
    );
}
