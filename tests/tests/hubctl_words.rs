//! What hubctl says to people, end to end: every exit code `hubctl/README.md`
//! documents, produced by the real binary against a real hub; people by their
//! registered names and subjects by their labels; and a profile whose trust anchor or
//! key is wrong, said in words that name the setting to fix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use treiter_hub::store::Batch;

use crate::support::{
    JsonAgents, Pki, TestHub, hubctl, hubctl_profile, hubctl_profile_with, write_export,
};

const IM_OOST: &str = "p-gemeente-001";
const SDR_OOST: &str = "p-gemeente-004";
const PO_POLITIE: &str = "p-politie-090";

/// The exit codes of the table under "When the hub says no" in hubctl/README.md.
fn documented_exit_codes() -> BTreeSet<i32> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../hubctl/README.md"))
            .expect("hubctl/README.md");
    let table = readme
        .split("| exit | meaning |")
        .nth(1)
        .expect("the README's exit-code table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.trim_matches('|').split('|').next()?.trim().parse().ok())
        .collect()
}

/// A profile for `person`, with the hub's CA replaced by `trust_anchor` when given.
fn profile_with_anchor(pki: &Pki, hub: std::net::SocketAddr, name: &str, anchor: &Path) -> PathBuf {
    let (cert, key) = pki.person(IM_OOST);
    let text = format!(
        "hub_url = \"https://{hub}\"\ncert = \"{}\"\nkey = \"{}\"\ntrust_anchors = [\"{}\"]\n",
        cert.display(),
        key.display(),
        anchor.display()
    );
    let path = pki.dir.path().join(format!("hubctl-{name}.toml"));
    std::fs::write(&path, text).expect("profile");
    path
}

async fn create_case(profile: &Path) -> String {
    let run = hubctl(
        profile,
        &[
            "--json",
            "case",
            "create",
            "--stadsdeel",
            "oost",
            "--melding-at",
            "now-1h",
        ],
        None,
    )
    .await;
    run.ok();
    run.json()["case"]["id"]
        .as_str()
        .expect("case id")
        .to_owned()
}

#[tokio::test]
async fn every_documented_exit_code_is_the_one_hubctl_returns() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let mut seen = BTreeSet::new();
    let mut expect = |code: i32, run: &crate::support::HubctlRun| {
        assert_eq!(run.code, code, "{run:?}");
        seen.insert(code);
    };

    // 0 done.
    expect(0, &hubctl(&im, &["whoami"], None).await);
    // 2 the command line is wrong.
    expect(2, &hubctl(&im, &["case", "frobnicate"], None).await);
    // 3 local setup: the key of another person's certificate.
    let (cert, _) = pki.person(IM_OOST);
    let (_, other_key) = pki.person(SDR_OOST);
    let mismatched = hubctl_profile_with(&pki, hub.addr, "mismatched", &cert, &other_key, None);
    expect(3, &hubctl(&mismatched, &["whoami"], None).await);
    // 5 the hub refused the certificate.
    let (cert, key) = pki.test_cert(treiter_certs_dev::TestCert::Expired);
    let expired = hubctl_profile_with(&pki, hub.addr, "expired", &cert, &key, None);
    expect(5, &hubctl(&expired, &["whoami"], None).await);
    // 6 permission denied.
    let west = [
        "case",
        "create",
        "--stadsdeel",
        "west",
        "--melding-at",
        "now-1h",
    ];
    expect(6, &hubctl(&im, &west, None).await);
    // 7 not found: a case, a subject, a party (the last two looked up by hubctl).
    expect(
        7,
        &hubctl(&im, &["case", "show", "C-2026-9999"], None).await,
    );
    let case = create_case(&im).await;
    let run = hubctl(&im, &["bevraag", &case, "--subject", "nobody"], None).await;
    expect(7, &run);
    assert!(
        run.stderr.contains("not found: no subject of case"),
        "{run:?}"
    );
    let sdr = hubctl_profile(&pki, hub.addr, SDR_OOST, None);
    let run = hubctl(&sdr, &["participant", "add", &case, "Utrecht"], None).await;
    expect(7, &run);
    assert!(
        run.stderr.contains("none of the parties of the covenant"),
        "{run:?}"
    );
    // 8 the case's state does not allow it (art. 4.1).
    let skip = ["case", "move", &case, "aanpak", "--reason", "skip"];
    expect(8, &hubctl(&im, &skip, None).await);
    // 9 exists already.
    expect(0, &hubctl(&im, &["case", "contact", &case], None).await);
    expect(9, &hubctl(&im, &["case", "contact", &case], None).await);
    // 10 a value the hub refuses.
    let future = [
        "case",
        "create",
        "--stadsdeel",
        "oost",
        "--melding-at",
        "2099-01-01",
    ];
    expect(10, &hubctl(&im, &future, None).await);
    // 11 `log verify` with a verifier key that is not the hub's.
    let po = hubctl_profile(&pki, hub.addr, PO_POLITIE, None);
    let other = treiter_translog::checkpoint::NoteVerifier::new(hub.hub.log.origin(), [7u8; 32])
        .expect("verifier")
        .to_string();
    let mut text = std::fs::read_to_string(&po).expect("profile");
    text.push_str(&format!("log_verifier = \"{other}\"\n"));
    std::fs::write(&po, text).expect("profile");
    expect(11, &hubctl(&po, &["log", "verify"], None).await);
    // 1 another error: a case record the hub cannot read is its internal error.
    let mut batch = Batch::new();
    treiter_hub::tables::cases::put_unencoded(&mut batch, &case, b"not a case".to_vec());
    hub.hub.store.apply(batch).expect("write");
    let run = hubctl(&im, &["case", "show", &case], None).await;
    expect(1, &run);
    // 4 the hub cannot be reached.
    hub.stop().await;
    expect(4, &hubctl(&im, &["whoami"], None).await);

    assert_eq!(
        seen,
        documented_exit_codes(),
        "every documented exit code is tried, and no other"
    );
}

#[tokio::test]
async fn a_wrong_trust_anchor_or_key_is_said_in_words() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;

    // The trust anchor of another CA: the hub's certificate is not accepted, which is
    // no "cannot reach the hub", nor a library's variant name.
    let other = Pki::new();
    let wrong = profile_with_anchor(&pki, hub.addr, "other-ca", &other.layout.ca_cert());
    let run = hubctl(&wrong, &["whoami"], None).await;
    let err = run.refused(3);
    assert!(
        err.contains("`trust_anchors`") && err.contains("wrong CA certificate"),
        "{err}"
    );
    assert!(err.contains(&wrong.display().to_string()), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");
    assert!(!err.contains("UnknownIssuer"), "{err}");

    // A trust anchor setting that names a key file: the message names the setting.
    let (_, some_key) = pki.person(IM_OOST);
    let key_as_anchor = profile_with_anchor(&pki, hub.addr, "key-as-anchor", &some_key);
    let run = hubctl(&key_as_anchor, &["whoami"], None).await;
    let err = run.refused(3);
    assert!(
        err.contains("holds no CERTIFICATE") && err.contains("(the setting is `trust_anchors`)"),
        "{err}"
    );

    // A key that belongs to another certificate.
    let (cert, _) = pki.person(IM_OOST);
    let (_, key) = pki.person(SDR_OOST);
    let mismatched = hubctl_profile_with(&pki, hub.addr, "mismatched", &cert, &key, None);
    let run = hubctl(&mismatched, &["whoami"], None).await;
    let err = run.refused(3);
    assert!(
        err.contains("the private key does not belong to the certificate"),
        "{err}"
    );
    assert!(err.contains("set `key`"), "{err}");
    assert!(!err.contains("KeyMismatch"), "{err}");
    hub.stop().await;
}

#[tokio::test]
async fn people_appear_by_name_and_subjects_by_label() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let case = create_case(&im).await;
    hubctl(
        &im,
        &["case", "move", &case, "registratie", "--reason", "complete"],
        None,
    )
    .await
    .ok();
    let pseudonym = "ab".repeat(32);
    hubctl(
        &im,
        &[
            "subject",
            "add",
            &case,
            "--role",
            "dader",
            "--pseudonym",
            &pseudonym,
            "--label",
            "buurman",
        ],
        None,
    )
    .await
    .ok();

    let text = hubctl(&im, &["case", "show", &case], None)
        .await
        .ok()
        .to_owned();
    assert!(
        text.contains("registered")
            && text.contains("by Anna Testpersoon (informatiemakelaar oost"),
        "{text}"
    );
    assert!(
        text.contains("added") && text.contains("by Anna Testpersoon"),
        "{text}"
    );
    assert!(
        text.contains("\"buurman\" (dader)"),
        "the history names the subject by label: {text}"
    );
    assert!(
        !text.contains(" p-gemeente-001 "),
        "no person by bare id: {text}"
    );
    let list = hubctl(&im, &["case", "list"], None).await.ok().to_owned();
    assert!(list.contains("\"buurman\" (dader)"), "{list}");
    let whoami = hubctl(&im, &["whoami"], None).await.ok().to_owned();
    assert!(
        whoami.contains("You are Anna Testpersoon (p-gemeente-001) of Gemeente Amsterdam"),
        "{whoami}"
    );
    let json = hubctl(&im, &["--json", "whoami"], None).await.json();
    assert_eq!(json["name"], "Anna Testpersoon");
    hub.stop().await;
}

#[tokio::test]
async fn a_person_the_registry_does_not_know_is_told_so_once() {
    let pki = Pki::new();
    // The registry without Bram (p-gemeente-002): his certificate is valid, but the hub
    // does not know him.
    let registry = pki.layout.registry();
    let text = std::fs::read_to_string(&registry).expect("registry");
    let kept: Vec<&str> = text
        .split("\n[[person]]\n")
        .filter(|block| !block.contains("id = \"p-gemeente-002\""))
        .collect();
    std::fs::write(&registry, kept.join("\n[[person]]\n")).expect("registry");
    let hub = TestHub::start(&pki).await;
    let bram = hubctl_profile(&pki, hub.addr, "p-gemeente-002", None);
    let run = hubctl(&bram, &["whoami"], None).await;
    let err = run.refused(5);
    assert_eq!(
        err.matches("person registry").count(),
        1,
        "the hub says to register the person; hubctl does not say it again: {err}"
    );
    assert!(
        err.contains("is for person p-gemeente-002")
            && err.contains("use your own person certificate"),
        "{err}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_share_refused_for_missing_consent_says_how_to_record_it() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let victim = "5a".repeat(32);
    let exports = pki.dir.path().join("exports");
    write_export(
        &exports,
        "gemeente",
        "slachtofferinformatie",
        &victim,
        &serde_json::json!([{ "reference": "GEM-S-9", "recorded_at": "2026-11-01T09:00:00Z",
            "fields": { "impact": "hoog", "behoeften": "rust" } }]),
    );
    let agents = JsonAgents::start(&pki, hub.addr, &exports, &[]).await;
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let sdr = hubctl_profile(&pki, hub.addr, SDR_OOST, None);
    let case = create_case(&im).await;
    for (phase, who) in [("registratie", &im), ("duiding", &im), ("aanpak", &sdr)] {
        hubctl(
            who,
            &["case", "move", &case, phase, "--reason", "next"],
            None,
        )
        .await
        .ok();
        if phase == "registratie" {
            let add = [
                "subject",
                "add",
                &case,
                "--role",
                "slachtoffer",
                "--pseudonym",
                &victim,
                "--label",
                "melder",
            ];
            hubctl(&im, &add, None).await.ok();
        }
    }
    let run = hubctl(
        &sdr,
        &[
            "casefile",
            "request",
            &case,
            "--purpose",
            "aanpak",
            "--category",
            "slachtofferinformatie",
        ],
        None,
    )
    .await;
    let text = run.ok();
    assert!(
        text.contains(&format!("record it with `hubctl consent record {case} --subject melder --category slachtofferinformatie`")),
        "{text}"
    );
    assert!(
        text.contains("no consent recorded for slachtofferinformatie"),
        "{text}"
    );
    assert!(!text.contains("rust"), "nothing of the record: {text}");
    agents.stop().await;
    hub.stop().await;
}
