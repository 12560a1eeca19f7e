//! Covenant versions end to end (article 13): privacy officers propose and approve with
//! their person certificates; the version takes effect only as article 13.1 says; then
//! the hub and its agents decide with it, every decision records it, and it survives a
//! restart of the hub (as do the parties it added or removed: tests/party_join_leave.rs).

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tonic::Code;
use treiter_hub::config::HubConfig;
use treiter_hub::log::Event;
use treiter_hub::state::Hub;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;

use crate::support::{JsonAgents, Pki, TestHub, hub_config_text, person_channel, write_export};

pub const PO_GEMEENTE: &str = "p-gemeente-090";
pub const PO_POLITIE: &str = "p-politie-090";
pub const PO_DEGRACHT: &str = "p-degracht-090";
const IM_OOST: &str = "p-gemeente-001";

/// The repository's covenant declaring `version`, with `locatie` removed from the
/// fields of politie-incidenten (article 6.3) when `drop_locatie`.
pub fn covenant_text(version: u32, drop_locatie: bool) -> String {
    let original =
        std::fs::read_to_string(crate::support::covenant_path()).expect("the covenant file");
    let text = original.replacen("version 1\n", &format!("version {version}\n"), 1);
    if drop_locatie {
        let dropped = text.replacen(
            "rol_betrokkene, locatie and samenvatting",
            "rol_betrokkene and samenvatting",
            1,
        );
        assert_ne!(
            dropped, text,
            "the fixture lists locatie for politie-incidenten"
        );
        dropped
    } else {
        text
    }
}

fn sha256(text: &str) -> Vec<u8> {
    treiter_translog::hash::sha256(text.as_bytes()).0.to_vec()
}

async fn officer(pki: &Pki, hub: &TestHub, person: &str) -> PrivacyOfficerClient<HubChannel> {
    PrivacyOfficerClient::new(person_channel(pki, person, hub.addr).await)
}

async fn propose(
    c: &mut PrivacyOfficerClient<HubChannel>,
    id: &str,
    text: &str,
) -> wire::ProposeCovenantVersionResponse {
    c.propose_covenant_version(wire::ProposeCovenantVersionRequest {
        client_request_id: id.into(),
        text: text.into(),
        description: "synthetic test change".into(),
    })
    .await
    .expect("propose answers")
    .into_inner()
}

async fn approve(
    c: &mut PrivacyOfficerClient<HubChannel>,
    id: &str,
    version: u32,
    sha: Vec<u8>,
) -> Result<wire::CovenantVersion, tonic::Status> {
    c.approve_covenant_version(wire::ApproveCovenantVersionRequest {
        client_request_id: id.into(),
        version,
        text_sha256: sha,
    })
    .await
    .map(|r| r.into_inner())
}

/// Proposes `text` (by politie) and approves it by politie and gemeente: in force.
pub async fn activate(pki: &Pki, hub: &TestHub, text: &str) -> u32 {
    let mut politie = officer(pki, hub, PO_POLITIE).await;
    let mut gemeente = officer(pki, hub, PO_GEMEENTE).await;
    let proposed = propose(&mut politie, "activate-propose", text).await;
    assert!(proposed.accepted, "{:?}", proposed.diagnostics);
    let version = proposed.version.expect("version").version;
    approve(&mut politie, "activate-p", version, sha256(text))
        .await
        .expect("politie approves");
    let v = approve(&mut gemeente, "activate-g", version, sha256(text))
        .await
        .expect("gemeente approves");
    assert_eq!(v.status, "in-force");
    version
}

fn covenant_steps(hub: &Hub) -> Vec<(String, u32)> {
    let size = hub.log.tree_size();
    hub.log
        .entries(0, size)
        .expect("log entries")
        .into_iter()
        .filter_map(|e| match e.entry.event {
            Event::CovenantApproval(a) => Some((format!("{:?}", a.step), a.version)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_version_takes_effect_only_with_two_parties_one_a_gemeente() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut politie = officer(&pki, &hub, PO_POLITIE).await;
    let mut degracht = officer(&pki, &hub, PO_DEGRACHT).await;
    let mut gemeente = officer(&pki, &hub, PO_GEMEENTE).await;
    let text = covenant_text(2, true);

    let proposed = propose(&mut politie, "p-1", &text).await;
    assert!(proposed.accepted, "{:?}", proposed.diagnostics);
    let v2 = proposed.version.expect("stored version");
    assert_eq!((v2.version, v2.status.as_str()), (2, "proposed"));
    assert_eq!(v2.text_sha256, sha256(&text));
    assert!(v2.diff.contains("Version: 1 -> 2"), "{}", v2.diff);
    // A retry with the same id gives the same answer; nothing new is stored.
    let again = propose(&mut politie, "p-1", &text).await;
    assert!(again.accepted);
    assert_eq!(again.version.expect("version").version, 2);

    // One approval does nothing.
    let one = approve(&mut politie, "a-1", 2, sha256(&text))
        .await
        .expect("approve");
    assert_eq!(one.status, "proposed");
    assert!(
        one.approvals_missing.contains("gemeente"),
        "{}",
        one.approvals_missing
    );
    assert_eq!(hub.hub.covenant.version(), 1);
    // The same party again is ALREADY_EXISTS.
    let twice = approve(&mut politie, "a-2", 2, sha256(&text))
        .await
        .expect_err("a party counts once");
    assert_eq!(twice.code(), Code::AlreadyExists, "{twice:?}");
    // Two parties without a gemeente do nothing.
    let two = approve(&mut degracht, "a-3", 2, sha256(&text))
        .await
        .expect("approve");
    assert_eq!(two.status, "proposed");
    assert_eq!(two.approvals.len(), 2);
    assert_eq!(hub.hub.covenant.version(), 1);
    // Another hash than the version's is FAILED_PRECONDITION.
    let other = approve(&mut gemeente, "a-4", 2, sha256("another text"))
        .await
        .expect_err("the hash binds the approval");
    assert_eq!(other.code(), Code::FailedPrecondition, "{other:?}");
    // The gemeente makes it take effect.
    let done = approve(&mut gemeente, "a-5", 2, sha256(&text))
        .await
        .expect("approve");
    assert_eq!(done.status, "in-force");
    assert!(done.approvals_missing.is_empty());
    assert!(done.in_force_from.is_some());
    assert_eq!(hub.hub.covenant.version(), 2);
    let after = approve(&mut gemeente, "a-6", 2, sha256(&text))
        .await
        .expect_err("nothing left to approve");
    assert_eq!(after.code(), Code::FailedPrecondition);

    let list = politie
        .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.in_force, 2);
    let statuses: Vec<(u32, &str)> = list
        .versions
        .iter()
        .map(|v| (v.version, v.status.as_str()))
        .collect();
    assert_eq!(statuses, [(2, "in-force"), (1, "superseded")]);
    assert_eq!(list.versions[1].superseded_by, 2);

    // Every step is in the decision log, in order.
    assert_eq!(
        covenant_steps(&hub.hub),
        [
            ("Proposed".to_owned(), 2),
            ("Approved".to_owned(), 2),
            ("Approved".to_owned(), 2),
            ("Approved".to_owned(), 2),
            ("Activated".to_owned(), 2),
        ]
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_older_or_equal_version_and_an_invalid_text_are_refused_with_diagnostics() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut politie = officer(&pki, &hub, PO_POLITIE).await;

    let equal = propose(&mut politie, "eq", &covenant_text(1, true)).await;
    assert!(!equal.accepted);
    assert!(equal.version.is_none());
    let d = equal
        .diagnostics
        .iter()
        .find(|d| d.severity == "error")
        .expect("an error");
    assert_eq!(d.code, "version-not-increasing");
    let version_line = covenant_text(1, true)
        .lines()
        .position(|l| l == "version 1")
        .expect("version line");
    assert_eq!(d.line as usize, version_line + 1);
    assert_eq!(d.column, 9, "at the number");

    let broken = covenant_text(2, false).replacen(
        "art. 6.3  category politie-incidenten",
        "art. 6.3  category politie-incidentn",
        1,
    );
    let invalid = propose(&mut politie, "bad", &broken).await;
    assert!(!invalid.accepted);
    assert!(
        invalid
            .diagnostics
            .iter()
            .any(|d| d.severity == "error" && d.line > 0 && d.column > 0),
        "{:?}",
        invalid.diagnostics
    );

    // A listed party keeps its kind; joining and leaving are versions like any other
    // (tests/party_join_leave.rs).
    let changed_kind = covenant_text(2, false).replacen(
        "\"GGD Amsterdam\" is zorgpartner",
        "\"GGD Amsterdam\" is gemeente",
        1,
    );
    let parties = propose(&mut politie, "parties", &changed_kind).await;
    assert!(!parties.accepted);
    assert!(
        parties
            .diagnostics
            .iter()
            .any(|d| d.code == "party-kind-changed"),
        "{:?}",
        parties.diagnostics
    );

    // Reusing an id for another text is ALREADY_EXISTS once the first was stored.
    assert!(
        propose(&mut politie, "v3", &covenant_text(3, false))
            .await
            .accepted
    );
    let reuse = politie
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: "v3".into(),
            text: covenant_text(4, false),
            description: String::new(),
        })
        .await
        .expect_err("id reused");
    assert_eq!(reuse.code(), Code::AlreadyExists);

    // A lower proposal is superseded when a higher one takes effect, and can no longer
    // be approved.
    let v4 = activate(&pki, &hub, &covenant_text(4, false)).await;
    assert_eq!(v4, 4);
    let v3 = politie
        .get_covenant_version(wire::GetCovenantVersionRequest {
            version: 3,
            include_text: true,
            include_diff: true,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((v3.status.as_str(), v3.superseded_by), ("superseded", 4));
    assert_eq!(v3.text, covenant_text(3, false));
    let late = approve(&mut politie, "late", 3, sha256(&covenant_text(3, false)))
        .await
        .expect_err("superseded");
    assert_eq!(late.code(), Code::FailedPrecondition);
    let missing = politie
        .get_covenant_version(wire::GetCovenantVersionRequest {
            version: 99,
            ..Default::default()
        })
        .await
        .expect_err("unknown");
    assert_eq!(missing.code(), Code::NotFound);
    hub.stop().await;
}

#[tokio::test]
async fn a_coordinator_can_neither_propose_nor_approve() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut im = PrivacyOfficerClient::new(person_channel(&pki, IM_OOST, hub.addr).await);
    let text = covenant_text(2, false);
    let refused = im
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: "x".into(),
            text: text.clone(),
            description: String::new(),
        })
        .await
        .expect_err("not a privacy officer");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("13") || refused.message().contains("5.2"));
    let refused = approve(&mut im, "y", 2, sha256(&text))
        .await
        .expect_err("not a privacy officer");
    assert_eq!(refused.code(), Code::PermissionDenied);
    hub.stop().await;
}

async fn coordinator(pki: &Pki, hub: &TestHub) -> CoordinatorClient<HubChannel> {
    CoordinatorClient::new(person_channel(pki, IM_OOST, hub.addr).await)
}

/// A case in oost, in duiding, with one dader.
async fn case_in_duiding(c: &mut CoordinatorClient<HubChannel>, dader: &str) -> String {
    let case = c
        .create_case(wire::CreateCaseRequest {
            client_request_id: "create".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                std::time::SystemTime::now() - Duration::from_secs(3600),
            )),
            external_reference: String::new(),
        })
        .await
        .expect("case")
        .into_inner()
        .case
        .expect("case")
        .id;
    c.add_subject(wire::AddSubjectRequest {
        client_request_id: "dader".into(),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym { hex: dader.into() }),
        role: "dader".into(),
        label: String::new(),
    })
    .await
    .expect("subject");
    for next in ["registratie", "duiding"] {
        c.move_phase(wire::MovePhaseRequest {
            client_request_id: format!("move-{next}"),
            case_id: case.clone(),
            to_phase: next.into(),
            reason: "next step".into(),
            expected_phase: String::new(),
        })
        .await
        .expect("move");
    }
    case
}

/// The politie-incidenten entry of a fresh case file for purpose duiding.
async fn incident(
    c: &mut CoordinatorClient<HubChannel>,
    case: &str,
) -> (wire::CaseFileEntry, wire::CaseFile) {
    let file = c
        .request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.into(),
            purpose: "duiding".into(),
            subjects: Vec::new(),
            categories: vec!["politie-incidenten".into()],
            deadline_ms: 5000,
        })
        .await
        .expect("case file")
        .into_inner();
    let entry = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .find(|e| e.category == "politie-incidenten")
        .cloned()
        .unwrap_or_else(|| panic!("an incident entry: {file:?}"));
    (entry, file)
}

#[tokio::test]
async fn after_a_switch_the_hub_and_every_agent_decide_with_the_new_version() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let exports = pki.dir.path().join("exports");
    let dader = "d0".repeat(32);
    write_export(
        &exports,
        "politie",
        "politie-incidenten",
        &dader,
        &json!([{ "reference": "BVH-0001", "recorded_at": "2026-11-01T09:00:00Z", "fields": {
            "datum": "2026-10-30", "incidentsoort": "bedreiging", "rol_betrokkene": "verdachte",
            "locatie": "Oost", "samenvatting": "synthetische samenvatting" } }]),
    );
    let agents = JsonAgents::start(&pki, hub.addr, &exports, &[]).await;
    let mut im = coordinator(&pki, &hub).await;
    let case = case_in_duiding(&mut im, &dader).await;

    let (before, _) = incident(&mut im, &case).await;
    let names: Vec<&str> = before.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"locatie"), "{names:?}");
    assert_eq!(
        before.decision.as_ref().expect("decision").covenant_version,
        1
    );

    // The preview of the draft replays that decision: locatie would be stripped. The
    // politie's officer sees its own share; the summary says what is approximate.
    let mut politie_officer = officer(&pki, &hub, PO_POLITIE).await;
    let mut events = politie_officer
        .preview_covenant_change(wire::PreviewCovenantChangeRequest {
            proposal: Some(wire::preview_covenant_change_request::Proposal::Text(
                covenant_text(2, true),
            )),
            ..Default::default()
        })
        .await
        .expect("preview")
        .into_inner();
    let mut changes = Vec::new();
    let mut summary = None;
    while let Some(event) = events.message().await.expect("event") {
        changes.extend(event.change);
        summary = summary.or(event.summary);
    }
    let summary = summary.expect("a summary last");
    assert_eq!((summary.from_version, summary.to_version), (1, 2));
    assert!(summary.fields_changed >= 1, "{summary:?}");
    assert_eq!(summary.streamed as usize, changes.len());
    assert!(
        changes.iter().any(|c| c
            .after
            .as_ref()
            .is_some_and(|d| d.stripped.contains(&"locatie".to_owned()))),
        "{changes:?}"
    );
    assert!(
        summary
            .diagnostics
            .iter()
            .any(|d| d.code == "replayed-with-current-case-facts"),
        "{summary:?}"
    );

    // Version 2 no longer lists locatie for politie-incidenten (article 6.3).
    activate(&pki, &hub, &covenant_text(2, true)).await;
    let (after, file) = incident(&mut im, &case).await;
    let names: Vec<&str> = after.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(!names.contains(&"locatie"), "{names:?}");
    assert!(names.contains(&"datum"), "{names:?}");
    let decision = after.decision.as_ref().expect("decision");
    assert_eq!(decision.covenant_version, 2);
    assert_eq!(file.covenant_version, 2);
    // The politie's agent answered (it pre-checked with version 2, not refused with
    // covenant-version-mismatch).
    let politie = file
        .partners
        .iter()
        .find(|p| {
            p.party
                .as_ref()
                .is_some_and(|p| p.oin == "00000002000000000002")
        })
        .expect("politie listed");
    assert_eq!(politie.status, "answered", "{politie:?}");
    // Every share decision logged after the switch records version 2 (article 13.2).
    let entries = hub
        .hub
        .log
        .entries(0, hub.hub.log.tree_size())
        .expect("log");
    let versions: Vec<u32> = entries
        .iter()
        .filter(|e| matches!(e.entry.event, Event::ShareDecision(_)))
        .map(|e| e.entry.covenant_version)
        .collect();
    assert!(
        versions.contains(&1) && versions.last() == Some(&2),
        "{versions:?}"
    );

    // Agents started with the old file get the version in force after the Welcome and
    // answer with it.
    agents.stop().await;
    let agents = JsonAgents::start(&pki, hub.addr, &exports, &[]).await;
    let (again, file) = incident(&mut im, &case).await;
    assert_eq!(
        again.decision.as_ref().expect("decision").covenant_version,
        2
    );
    let names: Vec<&str> = again.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(!names.contains(&"locatie"), "{names:?}");
    assert!(
        file.partners.iter().all(|p| p.no_answer_reason.is_empty()),
        "{:?}",
        file.partners
    );
    agents.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn the_version_in_force_survives_a_restart_and_a_newer_file_is_refused() {
    let pki = Pki::new();
    let data = pki.dir.path().join("hub-data-restart");
    let addr = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, addr, &data, "").await;
    activate(&pki, &hub, &covenant_text(2, true)).await;
    hub.stop().await;

    let hub = TestHub::start_in(&pki, addr, &data, "").await;
    assert_eq!(hub.hub.covenant.version(), 2);
    let mut politie = officer(&pki, &hub, PO_POLITIE).await;
    let list = politie
        .list_covenant_versions(wire::ListCovenantVersionsRequest {
            statuses: vec!["in-force".into()],
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.in_force, 2);
    assert_eq!(list.versions.len(), 1);
    hub.stop().await;

    // A configured file declaring a higher version than the one in force is refused:
    // it was never approved (article 13.1).
    let v3 = pki.dir.path().join("v3.covenant");
    std::fs::write(&v3, covenant_text(3, true)).expect("write");
    let text = hub_config_text(&pki, addr, None, &data).replace(
        &crate::support::covenant_path().display().to_string(),
        &v3.display().to_string(),
    );
    let config = HubConfig::parse(&text, Path::new("/")).expect("config");
    let mut refused = None;
    for _ in 0..200 {
        // A stopped hub's last tasks may hold the store's lock for a moment.
        match Hub::load(&config) {
            Err(treiter_hub::state::StartupError::Covenants(e)) => {
                refused = Some(e.to_string());
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            Ok(_) => panic!("a hub started with an unapproved version"),
        }
    }
    let refused = refused.expect("refused within 10 s");
    assert!(refused.contains("hubctl covenant propose"), "{refused}");
}

#[tokio::test]
async fn hubctl_proposes_diffs_approves_and_lists_a_version() {
    use crate::support::{hubctl, hubctl_profile};
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let politie = hubctl_profile(&pki, hub.addr, PO_POLITIE, None);
    let gemeente = hubctl_profile(&pki, hub.addr, PO_GEMEENTE, None);
    let v2 = pki.dir.path().join("v2.covenant");
    std::fs::write(&v2, covenant_text(2, true)).expect("write");
    let v2_path = v2.display().to_string();

    let run = hubctl(
        &politie,
        &[
            "covenant",
            "propose",
            &v2_path,
            "--description",
            "art. 6.3: no locatie",
        ],
        None,
    )
    .await;
    let out = run.ok();
    assert!(out.contains("covenant version 2: proposed"), "{out}");
    assert!(out.contains("Version: 1 -> 2"), "{out}");

    let run = hubctl(&politie, &["covenant", "diff", "2"], None).await;
    assert!(run.ok().contains("Version: 1 -> 2"), "{run:?}");
    let run = hubctl(&politie, &["covenant", "list"], None).await;
    assert!(run.ok().contains("in force: version 1"), "{run:?}");

    // The main refusal: a version not above the highest one, with line:column.
    let run = hubctl(
        &politie,
        &["covenant", "propose", &v2_path, "--description", "again"],
        None,
    )
    .await;
    let err = run.refused(10);
    assert!(
        err.contains(&format!("{v2_path}:"))
            && err.contains(":9: error[covenant::version-not-increasing]"),
        "{err}"
    );
    // A hash other than the version's is refused (exit 8), interactively declining
    // sends nothing (exit 2).
    let wrong = "00".repeat(32);
    let run = hubctl(
        &gemeente,
        &["covenant", "approve", "2", "--sha256", &wrong],
        None,
    )
    .await;
    run.refused(8);
    let run = hubctl(&gemeente, &["covenant", "approve", "2"], Some("no\n")).await;
    run.refused(2);

    // Politie confirms interactively, the gemeente by script: in force.
    let run = hubctl(&politie, &["covenant", "approve", "2"], Some("yes\n")).await;
    let out = run.ok();
    assert!(
        out.contains("sha256") && out.contains("not in force yet"),
        "{out}"
    );
    let run = hubctl(&gemeente, &["covenant", "approve", "2", "--yes"], None).await;
    assert!(run.ok().contains("now in force"), "{run:?}");
    let run = hubctl(&gemeente, &["--json", "covenant", "list"], None).await;
    assert_eq!(run.json()["in_force"], 2, "{run:?}");

    // A coordinator is refused (exit 6).
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    hubctl(&im, &["covenant", "list"], None).await.refused(6);
    hub.stop().await;
}

/// A proposal that widens what is shared: the log holds no refused share to replay
/// (they were refused before anyone was asked), so "0 outcome changed" would reassure
/// falsely. The preview states its blind spot and lists the widening from the diff,
/// in the hub's answer and in `hubctl covenant preview`.
#[tokio::test]
async fn a_preview_of_a_widening_states_its_blind_spot_and_lists_the_widening() {
    use crate::support::{hubctl, hubctl_profile};
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let widened = covenant_text(2, false).replacen(
        "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\n",
        "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\nart. 6.6  zorgbetrokkenheid goes to an informatiemakelaar for duiding\n",
        1,
    );
    assert_ne!(widened, covenant_text(2, false), "the fixture has art. 6.6");
    let expected = "zorgbetrokkenheid to an informatiemakelaar of gemeente for duiding, now permitted, passing contactpersoon, zorg_betrokken";

    let mut politie_officer = officer(&pki, &hub, PO_POLITIE).await;
    let mut events = politie_officer
        .preview_covenant_change(wire::PreviewCovenantChangeRequest {
            proposal: Some(wire::preview_covenant_change_request::Proposal::Text(
                widened.clone(),
            )),
            ..Default::default()
        })
        .await
        .expect("preview")
        .into_inner();
    let mut summary = None;
    while let Some(event) = events.message().await.expect("event") {
        summary = summary.or(event.summary);
    }
    let summary = summary.expect("a summary last");
    assert_eq!(summary.outcome_changed, 0, "{summary:?}");
    assert_eq!(summary.widening, [expected], "{summary:?}");
    let blind = summary
        .diagnostics
        .iter()
        .find(|d| d.code == "refused-shares-not-logged")
        .unwrap_or_else(|| panic!("the blind spot is stated: {summary:?}"));
    assert!(
        blind.message.contains("never logged") && blind.message.contains("1 kind(s) of share"),
        "{blind:?}"
    );

    let politie = hubctl_profile(&pki, hub.addr, PO_POLITIE, None);
    let draft = pki.dir.path().join("widened.covenant");
    std::fs::write(&draft, &widened).expect("write");
    let run = hubctl(
        &politie,
        &[
            "covenant",
            "preview",
            "--file",
            &draft.display().to_string(),
        ],
        None,
    )
    .await;
    let out = run.ok();
    assert!(out.contains("what the replay cannot see:"), "{out}");
    assert!(
        out.contains(&format!(
            "what version 2 lets through that version 1 did not (from the covenant diff, 1 kind(s) of share):\n  {expected}\n"
        )),
        "{out}"
    );
    hub.stop().await;
}

/// Every step is logged before it is stored: when the decision log cannot write, a
/// proposal and an approval are UNAVAILABLE and change nothing.
#[tokio::test]
async fn without_a_durable_log_entry_nothing_is_proposed_approved_or_switched() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut politie = officer(&pki, &hub, PO_POLITIE).await;
    let mut gemeente = officer(&pki, &hub, PO_GEMEENTE).await;
    let text = covenant_text(2, true);

    hub.hub.log.faults().fail_writes();
    let refused = politie
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: "p".into(),
            text: text.clone(),
            description: String::new(),
        })
        .await
        .expect_err("no log entry, no proposal");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    hub.hub.log.faults().clear();
    let list = politie
        .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.versions.len(), 1, "only the initial version");

    // The retry with the same id is carried out now.
    assert!(propose(&mut politie, "p", &text).await.accepted);
    approve(&mut politie, "a-p", 2, sha256(&text))
        .await
        .expect("politie approves");
    hub.hub.log.faults().fail_writes();
    let refused = approve(&mut gemeente, "a-g", 2, sha256(&text))
        .await
        .expect_err("no log entry, no switch");
    assert_eq!(refused.code(), Code::Unavailable);
    hub.hub.log.faults().clear();
    assert_eq!(hub.hub.covenant.version(), 1);
    let v2 = gemeente
        .get_covenant_version(wire::GetCovenantVersionRequest {
            version: 2,
            ..Default::default()
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((v2.status.as_str(), v2.approvals.len()), ("proposed", 1));
    let done = approve(&mut gemeente, "a-g", 2, sha256(&text))
        .await
        .expect("the retry takes effect");
    assert_eq!(done.status, "in-force");
    assert_eq!(hub.hub.covenant.version(), 2);
    hub.stop().await;
}

/// An agent whose pre-check uses another version than the hub's (here a higher one it
/// was configured with, which the hub's lower version cannot replace: no downgrade)
/// answers share requests "covenant-version-mismatch" instead of pre-checking.
#[tokio::test]
async fn an_agent_with_another_version_answers_covenant_version_mismatch() {
    use treiter_node_agent::config::AgentConfig;
    use treiter_node_agent::link::{Agent, LinkStatus};
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let exports = pki.dir.path().join("exports");
    let dader = "d0".repeat(32);
    write_export(
        &exports,
        "politie",
        "politie-incidenten",
        &dader,
        &json!([{ "reference": "BVH-0001", "recorded_at": "2026-11-01T09:00:00Z", "fields": {
            "datum": "2026-10-30", "incidentsoort": "bedreiging" } }]),
    );
    let v2 = pki.dir.path().join("agent-v2.covenant");
    std::fs::write(&v2, covenant_text(2, false)).expect("write");
    let (cert, key) = pki.party("politie");
    let text = format!(
        "{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
        crate::support::agent_config_text(&pki, &cert, &key, hub.addr).replace(
            &crate::support::covenant_path().display().to_string(),
            &v2.display().to_string()
        ),
        exports.join("politie").display()
    );
    let config = AgentConfig::parse(&text, Path::new("/")).expect("agent config");
    let agent = std::sync::Arc::new(Agent::new(config).expect("agent"));
    assert_eq!(agent.answerer().covenant_version(), 2);
    let mut status = agent.status();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let running = agent.clone();
    let task = tokio::spawn(async move {
        running
            .run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
    });
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| matches!(s, LinkStatus::Connected { .. })),
    )
    .await
    .expect("links within 10 s")
    .expect("agent alive");

    let mut im = coordinator(&pki, &hub).await;
    let case = case_in_duiding(&mut im, &dader).await;
    let file = im
        .request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case,
            purpose: "duiding".into(),
            subjects: Vec::new(),
            categories: vec!["politie-incidenten".into()],
            deadline_ms: 5000,
        })
        .await
        .expect("case file")
        .into_inner();
    let politie = file
        .partners
        .iter()
        .find(|p| {
            p.party
                .as_ref()
                .is_some_and(|p| p.oin == "00000002000000000002")
        })
        .expect("politie listed");
    assert_eq!(politie.status, "no-answer", "{politie:?}");
    assert_eq!(politie.no_answer_reason, "covenant-version-mismatch");
    // The hub's version 1 does not replace the agent's 2 (no downgrade).
    assert_eq!(agent.answerer().covenant_version(), 2);
    stop.send_replace(true);
    let _ = task.await;
    hub.stop().await;
}

/// Two hub replicas on one PostgreSQL (issue 21): a version approved on one is in force
/// on the other within seconds, without a restart; the other decides with it (the
/// version its ListCovenantVersions reports is the one its engine holds).
#[tokio::test]
async fn a_version_put_in_force_on_one_replica_is_in_force_on_the_others() {
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "a_version_put_in_force_on_one_replica_is_in_force_on_the_others",
    ) else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "follow");
    let hubs = crate::support::start_replicas(&pki, &store, 2).await;
    assert_eq!(hubs[1].hub.covenant.version(), 1);
    let version = activate(&pki, &hubs[0], &covenant_text(2, true)).await;
    assert_eq!(hubs[0].hub.covenant.version(), version);
    let mut other = officer(&pki, &hubs[1], PO_GEMEENTE).await;
    let start = std::time::Instant::now();
    loop {
        let listed = other
            .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
            .await
            .expect("list versions")
            .into_inner();
        if listed.in_force == version {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the other replica still has version {} in force",
            listed.in_force
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(hubs[1].hub.covenant.version(), version);
    for hub in hubs {
        hub.stop().await;
    }
}

/// Two privacy officers approve one version at the same moment on two replicas on one
/// PostgreSQL: both approvals count and the version is in force (each approval reads
/// the version's record and writes it back with its own; without the replicas taking
/// turns, one would overwrite the other). Three rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_at_once_on_two_replicas_both_count() {
    let Some(postgres) =
        treiter_testpg::TestPostgres::start_or_skip("approvals_at_once_on_two_replicas_both_count")
    else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "approvals");
    let hubs = crate::support::start_replicas(&pki, &store, 2).await;
    let mut proposer = officer(&pki, &hubs[0], PO_POLITIE).await;
    for round in 0..3u32 {
        let text = covenant_text(2 + round, round % 2 == 0);
        let proposed = propose(&mut proposer, &format!("propose-{round}"), &text).await;
        assert!(proposed.accepted, "{:?}", proposed.diagnostics);
        let version = proposed.version.expect("version").version;
        let approvals = [(0, PO_POLITIE), (1, PO_GEMEENTE)].map(|(replica, person)| {
            let (pki, hub, text) = (&pki, &hubs[replica], text.clone());
            async move {
                let mut c = officer(pki, hub, person).await;
                approve(&mut c, &format!("approve-{round}"), version, sha256(&text)).await
            }
        });
        let [first, second] = approvals;
        let (first, second) = tokio::join!(first, second);
        first.expect("politie approves");
        second.expect("gemeente approves");
        let listed = proposer
            .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
            .await
            .expect("list versions")
            .into_inner();
        let record = listed
            .versions
            .iter()
            .find(|v| v.version == version)
            .expect("the version is listed");
        assert_eq!(
            (record.approvals.len(), record.status.as_str()),
            (2, "in-force"),
            "round {round}: {record:?}"
        );
    }
    for hub in hubs {
        hub.stop().await;
    }
}

/// Inzage requests at the same moment on two replicas on one PostgreSQL get distinct
/// ids: each takes the year's next number (a read and a write), and the replicas take
/// turns through the database's lock. The hub's own turn lock is the hub's, not the
/// process's, so these two replicas in one test process meet only in the database, as
/// two processes do. Three rounds of four requests, two on each replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inzage_requests_at_once_on_two_replicas_get_distinct_ids() {
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "inzage_requests_at_once_on_two_replicas_get_distinct_ids",
    ) else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "inzage");
    let hubs = crate::support::start_replicas(&pki, &store, 2).await;
    let mut clients = Vec::new();
    for n in 0..4 {
        clients.push(officer(&pki, &hubs[n % 2], PO_GEMEENTE).await);
    }
    let mut ids = std::collections::BTreeSet::new();
    for round in 0..3 {
        let requests = clients
            .iter_mut()
            .enumerate()
            .map(|(n, client)| async move {
                client
                    .request_inzage(wire::InzageRequest {
                        client_request_id: format!("inzage-{round}-{n}"),
                        subject: Some(wire::SubjectPseudonym {
                            hex: "ab".repeat(32),
                        }),
                        received_on: String::new(),
                        reference: format!("AVG-{round}-{n}"),
                    })
                    .await
                    .expect("inzage")
                    .into_inner()
                    .id
            });
        let mut requests = requests.collect::<Vec<_>>().into_iter();
        let (a, b, c, d) = (
            requests.next().expect("1"),
            requests.next().expect("2"),
            requests.next().expect("3"),
            requests.next().expect("4"),
        );
        let (a, b, c, d) = tokio::join!(a, b, c, d);
        for id in [a, b, c, d] {
            assert!(ids.insert(id.clone()), "round {round}: {id} given twice");
        }
    }
    for hub in hubs {
        hub.stop().await;
    }
}
