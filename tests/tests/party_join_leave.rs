//! A party joins and leaves the covenant while the hub runs (articles 2.3 and 13.1): a
//! version that lists it takes effect through propose + approve, and from then on its
//! agent links and answers; a version that no longer lists it ends its live link and
//! refuses it from then on, with the reason.
//!
//! The joining party is the dev PKI's `unknown-oin` organisation certificate: a
//! well-formed OIN of the dev CA that Annex A does not list.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tonic::Code;
use treiter_certs_dev::{TestCert, UNKNOWN_OIN};
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::{Agent, LinkStatus};
use treiter_proto::v1 as wire;
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;

use crate::covenant_versions::{PO_GEMEENTE, PO_POLITIE, covenant_text};
use crate::support::{JsonAgents, Pki, TestHub, agent_config_text, channel_with, person_channel};

const NEW_PARTY: &str = "Woonbron Nieuw-West";
const IM_OOST: &str = "p-gemeente-001";
/// The joining party's privacy officer, registered before it joins.
const NEW_OFFICER: &str = "p-nieuw-090";

/// `base` with the joining woningcorporatie listed in Annex A.
fn with_new_party(base: &str) -> String {
    let joined = base.replacen(
        "party 00000005000000000006",
        &format!(
            "party {UNKNOWN_OIN} \"{NEW_PARTY}\" is woningcorporatie\nparty 00000005000000000006"
        ),
        1,
    );
    assert_ne!(joined, base, "the fixture lists the GGD");
    joined
}

fn sha256(text: &str) -> Vec<u8> {
    treiter_translog::hash::sha256(text.as_bytes()).0.to_vec()
}

/// Proposes `text` by the politie's officer and approves it by politie and gemeente;
/// returns the proposal's diagnostics.
async fn take_effect(
    pki: &Pki,
    hub: &TestHub,
    text: &str,
    id: &str,
) -> Vec<wire::CovenantDiagnostic> {
    let mut politie = PrivacyOfficerClient::new(person_channel(pki, PO_POLITIE, hub.addr).await);
    let mut gemeente = PrivacyOfficerClient::new(person_channel(pki, PO_GEMEENTE, hub.addr).await);
    let proposed = politie
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: format!("{id}-propose"),
            text: text.into(),
            description: "synthetic test: a party joins or leaves".into(),
        })
        .await
        .expect("propose answers")
        .into_inner();
    assert!(proposed.accepted, "{:?}", proposed.diagnostics);
    let version = proposed.version.expect("stored").version;
    for (officer, who) in [(&mut politie, "p"), (&mut gemeente, "g")] {
        officer
            .approve_covenant_version(wire::ApproveCovenantVersionRequest {
                client_request_id: format!("{id}-{who}"),
                version,
                text_sha256: sha256(text),
            })
            .await
            .expect("approves");
    }
    assert_eq!(hub.hub.covenant.version(), version, "in force");
    proposed.diagnostics
}

/// Opens an agent link with the joining party's certificate and says Hello: the hub's
/// first answer, or its refusal.
async fn link_as_new_party(pki: &Pki, hub: &TestHub) -> Result<(), tonic::Status> {
    use treiter_proto::v1::{AgentMessage, Hello, agent_message};
    let (cert, key) = pki.test_cert(TestCert::UnknownOin);
    let channel = channel_with(pki, &cert, &key, hub.addr).await;
    let (outbound, rx) = tokio::sync::mpsc::channel(1);
    outbound
        .send(AgentMessage {
            body: Some(agent_message::Body::Hello(Hello {
                agent_version: "probe".into(),
                covenant_version: 1,
                instance_id: "probe".into(),
                ..Default::default()
            })),
        })
        .await
        .expect("hello");
    let mut inbound = AgentLinkClient::new(channel)
        .link(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await?
        .into_inner();
    inbound.message().await.map(|_| ())
}

async fn case_in_duiding(
    c: &mut CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    dader: &str,
) -> String {
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

#[tokio::test]
async fn a_party_joins_answers_and_leaves_by_approved_versions_while_the_hub_runs() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;

    // Before: not a party (article 2.3).
    let refused = link_as_new_party(&pki, &hub)
        .await
        .expect_err("not a party yet");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("not a party"), "{refused:?}");

    // Its privacy officer is registered beforehand (the hub reads the registry at start,
    // and again when a party joins).
    let registry = pki.layout.registry();
    let mut persons = std::fs::read_to_string(&registry).expect("registry");
    persons.push_str(&format!(
        "\n[[person]]\nid = \"{NEW_OFFICER}\"\nparty = \"{UNKNOWN_OIN}\"\nroles = [\"privacy-officer\"]\n"
    ));
    std::fs::write(&registry, persons).expect("registry");
    let oin = treiter_hub::identity::Oin::parse(UNKNOWN_OIN).expect("oin");
    hub.hub
        .persons
        .resolve(NEW_OFFICER, &oin)
        .expect_err("not read yet");

    // Version 2 lists it; the proposal tells the approvers it joins.
    let v2 = with_new_party(&covenant_text(2, false));
    let diagnostics = take_effect(&pki, &hub, &v2, "join").await;
    let officer = hub
        .hub
        .persons
        .resolve(NEW_OFFICER, &oin)
        .expect("the joined party's officer is known at once");
    assert!(officer.has_role(treiter_policies::vocab::Role::PrivacyOfficer));
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == "party-joins" && d.message.contains(NEW_PARTY)),
        "{diagnostics:?}"
    );

    // Its agent links, and answers a case-file question with its huurgegevens.
    let exports = pki.dir.path().join("exports");
    let dader = "d1".repeat(32);
    let data = exports.join("nieuw");
    crate::support::write_export(
        &exports,
        "nieuw",
        "huurgegevens",
        &dader,
        &json!([{ "reference": "HUUR-0001", "recorded_at": "2026-11-01T09:00:00Z", "fields": {
            "huurder_sinds": "2019-04-01", "huurstatus": "actief", "overlastdossier": "ja",
            "huurachterstand": "nee" } }]),
    );
    let (cert, key) = pki.test_cert(TestCert::UnknownOin);
    let config = format!(
        "{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
        agent_config_text(&pki, &cert, &key, hub.addr),
        data.display()
    );
    let agent = Arc::new(
        Agent::new(AgentConfig::parse(&config, Path::new("/")).expect("agent config"))
            .expect("agent"),
    );
    let mut status = agent.status();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn({
        let agent = agent.clone();
        async move {
            agent
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }
    });
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| matches!(s, LinkStatus::Connected { .. })),
    )
    .await
    .expect("the joined party's agent links within 10 s")
    .expect("agent alive");
    // De Gracht's agent, a party all along, keeps its link through both switches.
    let others = JsonAgents::start(
        &pki,
        hub.addr,
        &exports,
        &[
            "politie",
            "om",
            "ggd",
            "amstel",
            "gemeente",
            "lieflijkwonen",
        ],
    )
    .await;

    let mut im = CoordinatorClient::new(person_channel(&pki, IM_OOST, hub.addr).await);
    let case = case_in_duiding(&mut im, &dader).await;
    let file = im
        .request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.clone(),
            purpose: "duiding".into(),
            subjects: Vec::new(),
            categories: vec!["huurgegevens".into()],
            deadline_ms: 5000,
        })
        .await
        .expect("case file")
        .into_inner();
    let joined = file
        .partners
        .iter()
        .find(|p| p.party.as_ref().is_some_and(|p| p.oin == UNKNOWN_OIN))
        .unwrap_or_else(|| panic!("the joined party is asked: {:?}", file.partners));
    assert_eq!(joined.status, "answered", "{joined:?}");
    assert_eq!(
        joined.party.as_ref().map(|p| p.name.as_str()),
        Some(NEW_PARTY)
    );
    let entry = joined
        .entries
        .iter()
        .find(|e| e.category == "huurgegevens")
        .unwrap_or_else(|| panic!("its huurgegevens: {joined:?}"));
    assert!(
        entry.fields.iter().any(|f| f.name == "huurstatus"),
        "{entry:?}"
    );

    // Version 3 no longer lists it: its live link is ended with the reason.
    let v3 = covenant_text(3, false);
    let diagnostics = take_effect(&pki, &hub, &v3, "leave").await;
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == "party-leaves" && d.message.contains(NEW_PARTY)),
        "{diagnostics:?}"
    );
    let ended = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| {
            matches!(s, LinkStatus::Waiting { error, .. } if error.contains("no longer a party"))
        }),
    )
    .await
    .expect("the left party's link ends within 10 s")
    .expect("agent alive")
    .clone();
    assert!(
        matches!(&ended, LinkStatus::Waiting { error, .. } if error.contains("version 3")),
        "{ended:?}"
    );
    stop.send_replace(true);
    let _ = running.await;

    // A new link is refused, saying it left.
    let refused = link_as_new_party(&pki, &hub)
        .await
        .expect_err("no longer a party");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("no longer a party") && refused.message().contains(NEW_PARTY),
        "{refused:?}"
    );
    // The hub's status no longer lists it; De Gracht is still linked.
    let agents = hub.hub.agents.snapshot(&hub.hub.parties.current());
    assert!(agents.iter().all(|a| a.party.oin.as_str() != UNKNOWN_OIN));
    assert!(
        agents
            .iter()
            .any(|a| a.party.oin.as_str() == "00000004000000000004" && a.connected()),
        "{agents:?}"
    );
    others.stop().await;
    hub.stop().await;
}

const LIEFLIJK: &str = "00000004000000000005";
const PO_LIEFLIJK: &str = "p-lieflijkwonen-090";

/// The repository's covenant declaring `version`, without Stichting Lieflijk Wonen.
fn without_lieflijk(version: u32) -> String {
    let text = covenant_text(version, false);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("party {LIEFLIJK} ")))
        .expect("the fixture lists Stichting Lieflijk Wonen")
        .to_owned();
    text.replacen(&format!("{line}\n"), "", 1)
}

#[tokio::test]
async fn a_leaving_party_may_approve_its_leaving_and_stays_refused_after_a_restart() {
    let pki = Pki::new();
    let data = pki.dir.path().join("hub-data-leave");
    let addr = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, addr, &data, "").await;
    let text = without_lieflijk(2);

    // Proposed by the gemeente; approved by the leaving party itself (a party until the
    // version takes effect, art. 13.1) and the gemeente.
    let mut gemeente = PrivacyOfficerClient::new(person_channel(&pki, PO_GEMEENTE, hub.addr).await);
    let mut lieflijk = PrivacyOfficerClient::new(person_channel(&pki, PO_LIEFLIJK, hub.addr).await);
    let proposed = gemeente
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: "leave".into(),
            text: text.clone(),
            description: "synthetic test: Lieflijk Wonen leaves".into(),
        })
        .await
        .expect("propose")
        .into_inner();
    assert!(proposed.accepted, "{:?}", proposed.diagnostics);
    for (officer, id) in [(&mut lieflijk, "l"), (&mut gemeente, "g")] {
        officer
            .approve_covenant_version(wire::ApproveCovenantVersionRequest {
                client_request_id: id.into(),
                version: 2,
                text_sha256: sha256(&text),
            })
            .await
            .expect("approves");
    }
    assert_eq!(hub.hub.covenant.version(), 2);
    // From now on its persons are refused too.
    let refused = lieflijk
        .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
        .await
        .expect_err("no longer a party");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    hub.stop().await;

    // The hub starts again with the same person registry (which still names Lieflijk
    // Wonen's persons), and still refuses the party, saying when it left.
    let hub = TestHub::start_in(&pki, addr, &data, "").await;
    assert_eq!(hub.hub.covenant.version(), 2);
    let channel = crate::support::party_channel(&pki, "lieflijkwonen", hub.addr).await;
    let (outbound, rx) = tokio::sync::mpsc::channel(1);
    outbound
        .send(wire::AgentMessage {
            body: Some(wire::agent_message::Body::Hello(wire::Hello {
                agent_version: "probe".into(),
                covenant_version: 1,
                instance_id: "probe".into(),
                ..Default::default()
            })),
        })
        .await
        .expect("hello");
    let refused = AgentLinkClient::new(channel)
        .link(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect_err("refused after the restart");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("no longer a party") && refused.message().contains("version 2"),
        "{refused:?}"
    );
    hub.stop().await;
}
