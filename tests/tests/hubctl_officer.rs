//! `hubctl` for privacy officers, end to end: the real binary against an in-process hub
//! with real agents (the world of `officer.rs`). Each command is shown to succeed and to
//! be refused where it must be, with the exit code and a message saying what to do.

use std::path::{Path, PathBuf};

use crate::officer::{DADER, KEY_BYTES, PLANTED, World, dader, oin};
use crate::support::{hubctl, hubctl_profile};

const SDR_OOST: &str = "p-gemeente-004";
const POLITIE_CONTACT: &str = "p-politie-017";
const PO_GEMEENTE: &str = "p-gemeente-090";
const PO_POLITIE: &str = "p-politie-090";
const PO_DEGRACHT: &str = "p-degracht-090";
const PO_GGD: &str = "p-ggd-090";

/// Exit codes of `hubctl --help`.
const SETUP: i32 = 3;
const PERMISSION_DENIED: i32 = 6;
const STATE: i32 = 8;
const LOG_NOT_VERIFIED: i32 = 11;

fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("officer-pseudonym.key");
    let hex: String = KEY_BYTES.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("{hex}\n")).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// A profile for `person`, with the pseudonym key and, if given, the log verifier key.
fn profile(world: &World, person: &str, verifier: Option<&str>) -> PathBuf {
    let key = key_file(world.pki.dir.path());
    let path = hubctl_profile(&world.pki, world.hub.addr, person, Some(&key));
    if let Some(v) = verifier {
        let mut text = std::fs::read_to_string(&path).expect("profile");
        text.push_str(&format!("log_verifier = \"{v}\"\n"));
        std::fs::write(&path, text).expect("profile");
    }
    path
}

#[tokio::test]
async fn log_entries_as_table_csv_and_json_lines_for_privacy_officers_only() {
    let world = World::start().await;
    world.case_with_shares().await;
    let po = profile(&world, PO_POLITIE, None);

    let table = hubctl(&po, &["log", "entries"], None).await;
    let text = table.ok();
    assert!(text.contains("Politie Eenheid Amsterdam"), "{text}");
    assert!(text.contains("share-decision"), "{text}");
    assert!(
        !text.contains("Woonstichting De Gracht →"),
        "only politie's entries: {text}"
    );

    let csv = hubctl(
        &po,
        &[
            "log",
            "entries",
            "--format",
            "csv",
            "--direction",
            "provided",
        ],
        None,
    )
    .await;
    let lines: Vec<&str> = csv.ok().lines().collect();
    assert!(lines[0].starts_with("leaf_index,logged_at,kind"));
    assert!(lines.len() > 1);
    assert!(lines[1..].iter().all(|l| l.contains(oin("politie"))));

    let jsonl = hubctl(
        &po,
        &["log", "entries", "--format", "jsonl", "--include-entry"],
        None,
    )
    .await;
    for line in jsonl.ok().lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(v["share_decision"]["source"]["oin"], oin("politie"));
        assert!(v["entry"].is_string());
        for planted in PLANTED {
            assert!(!line.contains(planted));
        }
    }
    let json = hubctl(&po, &["--json", "log", "entries", "--max", "1"], None).await;
    assert_eq!(json.json().as_array().map(Vec::len), Some(1));

    // A coordinator is told who they are and whose commands these are.
    let sdr = profile(&world, SDR_OOST, None);
    let refused = hubctl(&sdr, &["log", "entries"], None).await;
    let stderr = refused.refused(PERMISSION_DENIED);
    assert!(stderr.contains("p-gemeente-004"), "{stderr}");
    assert!(stderr.contains("stadsdeelregisseur"), "{stderr}");
    assert!(stderr.contains("privacy officers"), "{stderr}");
    world.stop().await;
}

#[tokio::test]
async fn log_verify_checks_signatures_inclusion_and_consistency() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let verifier = world.hub.hub.log.verifier().to_string();
    let po = profile(&world, PO_DEGRACHT, Some(&verifier));

    let first = hubctl(&po, &["log", "verify"], None).await;
    let text = first.ok();
    assert!(text.contains("decision log verified"), "{text}");
    assert!(text.contains("first verification"), "{text}");

    // The log grows; the next run proves it extends the one verified before.
    let mut sdr = world.coordinator(SDR_OOST).await;
    world.case_file(&mut sdr, &case).await;
    let second = hubctl(&po, &["--json", "log", "verify"], None).await;
    let v = second.json();
    assert_eq!(v["verified"], true);
    assert!(v["consistent_with_tree_size"].is_u64(), "{v}");
    assert!(v["entries_proven"].as_u64().is_some_and(|n| n > 0), "{v}");

    // Without the verifier key: say where to get it.
    let bare = profile(&world, PO_GGD, None);
    let missing = hubctl(&bare, &["log", "verify"], None).await;
    assert!(missing.refused(SETUP).contains("log_verifier"));

    // With another key: the hub's checkpoint does not verify.
    let other =
        treiter_translog::checkpoint::NoteVerifier::new(world.hub.hub.log.origin(), [7u8; 32])
            .expect("verifier")
            .to_string();
    let wrong = profile(&world, PO_POLITIE, Some(&other));
    let refused = hubctl(&wrong, &["log", "verify"], None).await;
    assert!(
        refused
            .refused(LOG_NOT_VERIFIED)
            .contains("does NOT verify")
    );
    world.stop().await;
}

#[tokio::test]
async fn inzage_request_pseudonymises_locally_and_writes_the_overview() {
    let world = World::start().await;
    world.case_with_shares().await;
    let po = profile(&world, PO_GEMEENTE, None);
    let out = world.pki.dir.path().join("inzage.md");
    let line = format!("{}\t{}\t{}\t{}\n", DADER[0], DADER[1], DADER[2], DADER[3]);
    let run = hubctl(
        &po,
        &[
            "inzage",
            "request",
            "--stdin",
            "--reference",
            "AVG-2026-17",
            "--out",
            out.to_str().expect("path"),
        ],
        Some(&line),
    )
    .await;
    let said = run.ok();
    assert!(said.contains("written to"), "{said}");
    let markdown = std::fs::read_to_string(&out).expect("the overview");
    assert!(
        markdown.contains(&dader()),
        "the locally computed pseudonym: {markdown}"
    );
    for name in [
        "GGD Amsterdam",
        "Politie Eenheid Amsterdam",
        "Openbaar Ministerie",
    ] {
        assert!(markdown.contains(name), "{name}: {markdown}");
    }
    for text in PLANTED.iter().chain(&DADER[..1]) {
        assert!(!markdown.contains(text), "{text} in the overview");
        assert!(!said.contains(text));
    }
    let list = hubctl(&po, &["--json", "inzage", "list"], None).await;
    let listed = list.json();
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let shown = hubctl(&po, &["inzage", "show", &id], None).await;
    assert_eq!(shown.ok(), markdown);

    // A pseudonym works as well; another party's officer is refused (11.1).
    let politie = profile(&world, PO_POLITIE, None);
    let refused = hubctl(
        &politie,
        &["inzage", "request", "--pseudonym", &dader()],
        None,
    )
    .await;
    let stderr = refused.refused(PERMISSION_DENIED);
    assert!(stderr.contains("11.1"), "{stderr}");
    world.stop().await;
}

#[tokio::test]
async fn notifications_list_ack_and_review() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let ggd = profile(&world, PO_GGD, None);
    let list = hubctl(&ggd, &["notifications", "list", "--open"], None).await;
    let text = list.ok();
    assert!(text.contains("reject (art. 7.1)"), "{text}");
    assert!(
        text.contains("diagnose"),
        "the offered field by name: {text}"
    );
    assert!(!text.contains(PLANTED[3]));
    let json = hubctl(&ggd, &["--json", "notifications", "list"], None).await;
    let ids: Vec<String> = json.json()["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    let mut args = vec!["notifications", "ack"];
    args.extend(ids.iter().map(String::as_str));
    let acked = hubctl(&ggd, &args, None).await;
    assert!(acked.ok().contains("[acknowledged]"));
    let not_review = hubctl(
        &ggd,
        &["notifications", "review", &ids[0], "--verdict", "justified"],
        None,
    )
    .await;
    assert!(not_review.refused(STATE).contains("15.2"));

    // An emergency share from De Gracht, reviewed by its privacy officer.
    let mut politie = world.coordinator(POLITIE_CONTACT).await;
    politie
        .declare_emergency(treiter_proto::v1::DeclareEmergencyRequest {
            client_request_id: "spoed".into(),
            case_id: case.clone(),
            reason: "acute dreiging".into(),
        })
        .await
        .expect("declared");
    world.case_file(&mut politie, &case).await;
    let degracht = profile(&world, PO_DEGRACHT, None);
    let reviews = hubctl(
        &degracht,
        &[
            "--json",
            "notifications",
            "list",
            "--kind",
            "emergency-review",
        ],
        None,
    )
    .await;
    let id = reviews.json()["notifications"][0]["id"]
        .as_str()
        .expect("an emergency review")
        .to_owned();
    // A unique start of the id is enough (issue 18); a start shared by none is not found.
    let all = hubctl(&degracht, &["--json", "notifications", "list"], None)
        .await
        .json();
    let ids: Vec<&str> = all["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let start = (1..=id.len())
        .map(|n| &id[..n])
        .find(|start| ids.iter().filter(|i| i.starts_with(start)).count() == 1)
        .expect("a unique start");
    hubctl(
        &degracht,
        &["notifications", "ack", "no-such-notification"],
        None,
    )
    .await
    .refused(7);
    let reviewed = hubctl(
        &degracht,
        &[
            "notifications",
            "review",
            start,
            "--verdict",
            "justified",
            "--note",
            "terecht",
        ],
        None,
    )
    .await;
    let text = reviewed.ok();
    assert!(text.contains("[reviewed]"), "{text}");
    assert!(text.contains("justified"), "{text}");
    // A coordinator may not read them.
    let sdr = profile(&world, SDR_OOST, None);
    hubctl(&sdr, &["notifications", "list"], None)
        .await
        .refused(PERMISSION_DENIED);
    world.stop().await;
}

// The console's officer pages share hubctl's calls (`queries::officer`); this one
// once read only the first page of ListInzages.

#[tokio::test]
async fn inzage_list_reads_every_page() {
    use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;
    let world = World::start().await;
    let mut po = PrivacyOfficerClient::new(
        crate::support::person_channel(&world.pki, PO_GEMEENTE, world.hub.addr).await,
    );
    // One more than the hub's page of 100.
    for n in 0..101u32 {
        po.request_inzage(treiter_proto::v1::InzageRequest {
            client_request_id: format!("inzage-{n}"),
            subject: Some(treiter_proto::v1::SubjectPseudonym {
                hex: format!("{:064x}", n + 1),
            }),
            received_on: String::new(),
            reference: format!("AVG-{n}"),
        })
        .await
        .expect("inzage");
    }
    let profile = profile(&world, PO_GEMEENTE, None);
    let listed = hubctl(&profile, &["--json", "inzage", "list"], None).await;
    assert_eq!(
        listed.json().as_array().map(Vec::len),
        Some(101),
        "every request, over the pages"
    );
    let table = hubctl(&profile, &["inzage", "list"], None).await;
    assert!(
        table.ok().contains("AVG-0 "),
        "the oldest, on the second page"
    );
    world.stop().await;
}
