//! The auditor (article 5.5 of covenant version 2): a read-only role in the hub's
//! person registry. Before a covenant with 5.5 is in force the role gives nothing; after
//! version 2 (policies/treiteraanpak.v2.covenant) is proposed and approved, the auditor
//! reads the decision log's metadata of every party, the evaluation figures and the
//! covenant versions, and verifies the whole log, with hubctl too. Every RPC of every
//! service is tried: each change and each call for case data is refused, and the list
//! of RPCs tried is checked against the .proto files, so a new RPC cannot be missed.

use std::collections::BTreeSet;
use std::path::Path;

use tonic::Code;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::agent_link_client::AgentLinkClient;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::hub_status_client::HubStatusClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;
use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};
use treiter_translog::hash::leaf_hash;
use treiter_translog::{Hash, verify_inclusion};

use crate::support::{Pki, TestHub, hubctl, hubctl_profile, log_verifier, person_channel};

const AUDITOR: &str = "p-gemeente-095";
const IM_OOST: &str = "p-gemeente-001";
const PO_GEMEENTE: &str = "p-gemeente-090";
const PO_POLITIE: &str = "p-politie-090";
const REFERENCE: &str = "14020-AUDIT-7";

fn v2_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.v2.covenant"),
    )
    .expect("policies/treiteraanpak.v2.covenant")
}

/// The RPC names of `service` in the .proto files.
fn rpcs_of(service: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto/treiter/hub/v1");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("proto dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("proto");
        let Some(start) = text.find(&format!("service {service} {{")) else {
            continue;
        };
        let body = &text[start..];
        let body = &body[..body.find("\n}").expect("service end")];
        for line in body.lines() {
            if let Some(rest) = line.trim().strip_prefix("rpc ") {
                out.insert(rest.split('(').next().expect("name").trim().to_owned());
            }
        }
    }
    assert!(!out.is_empty(), "no service {service} in {}", dir.display());
    out
}

/// What one call did: refused (PERMISSION_DENIED) or answered.
fn refused<T: std::fmt::Debug>(
    name: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
    tried: &mut BTreeSet<String>,
) -> tonic::Status {
    tried.insert(name.to_owned());
    match result {
        Err(status) => {
            assert_eq!(
                status.code(),
                Code::PermissionDenied,
                "{name}: {}",
                status.message()
            );
            status
        }
        Ok(answer) => panic!("{name} answered an auditor: {answer:?}"),
    }
}

/// Refused, saying why: the caller is an auditor.
fn refused_as_auditor<T: std::fmt::Debug>(
    name: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
    tried: &mut BTreeSet<String>,
) {
    let status = refused(name, result, tried);
    assert!(
        status.message().contains("auditor") && status.message().contains("5.5"),
        "{name}: {}",
        status.message()
    );
}

fn answered<T>(
    name: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
    tried: &mut BTreeSet<String>,
) -> T {
    tried.insert(name.to_owned());
    match result {
        Ok(answer) => answer.into_inner(),
        Err(status) => panic!("{name} was refused to an auditor: {status:?}"),
    }
}

async fn entries(
    client: &mut PrivacyOfficerClient<HubChannel>,
) -> Result<Vec<wire::LogEntry>, tonic::Status> {
    let mut stream = client
        .query_log(wire::QueryLogRequest {
            include_entry: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(entry) = stream.message().await? {
        out.push(entry);
    }
    Ok(out)
}

fn period() -> Option<wire::Period> {
    let now = std::time::SystemTime::now();
    let day = std::time::Duration::from_secs(24 * 3600);
    Some(wire::Period {
        from: Some(prost_types::Timestamp::from(now - 2 * day)),
        until: Some(prost_types::Timestamp::from(now + day)),
    })
}

/// Proposes policies/treiteraanpak.v2.covenant and has the gemeente's and the
/// politie's privacy officers approve it (article 13.1).
async fn approve_v2(
    po_gemeente: &mut PrivacyOfficerClient<HubChannel>,
    po_politie: &mut PrivacyOfficerClient<HubChannel>,
) {
    let proposed = po_gemeente
        .propose_covenant_version(wire::ProposeCovenantVersionRequest {
            client_request_id: "propose-auditor".into(),
            text: v2_text(),
            description: "art. 5.5: the auditor, read-only oversight of the whole log".into(),
        })
        .await
        .expect("propose")
        .into_inner();
    assert!(proposed.accepted, "{:?}", proposed.diagnostics);
    let version = proposed.version.expect("version");
    assert_eq!(version.version, 2);
    for (client, id) in [(po_gemeente, "approve-g"), (po_politie, "approve-p")] {
        client
            .approve_covenant_version(wire::ApproveCovenantVersionRequest {
                client_request_id: id.into(),
                version: 2,
                text_sha256: version.text_sha256.clone(),
            })
            .await
            .expect("approve");
    }
}

#[tokio::test]
async fn the_auditor_reads_every_partys_log_metadata_and_changes_nothing() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let addr = hub.addr;
    let mut im = CoordinatorClient::new(person_channel(&pki, IM_OOST, addr).await);
    let mut po_gemeente = PrivacyOfficerClient::new(person_channel(&pki, PO_GEMEENTE, addr).await);
    let mut po_politie = PrivacyOfficerClient::new(person_channel(&pki, PO_POLITIE, addr).await);
    let mut auditor = PrivacyOfficerClient::new(person_channel(&pki, AUDITOR, addr).await);

    // A case of the gemeente: the politie's privacy officer does not see its entries.
    let case = im
        .create_case(wire::CreateCaseRequest {
            client_request_id: "audit-1".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
            )),
            external_reference: REFERENCE.into(),
        })
        .await
        .expect("case")
        .into_inner()
        .case
        .expect("case");

    // Under version 1 the registry's auditor role gives nothing: no article allows it.
    let early = entries(&mut auditor).await.expect_err("no article 5.5 yet");
    assert_eq!(early.code(), Code::PermissionDenied);
    assert!(
        early.message().contains("covenant in force") && early.message().contains("5.5"),
        "{}",
        early.message()
    );

    approve_v2(&mut po_gemeente, &mut po_politie).await;

    let mut tried = BTreeSet::new();
    // --- What an auditor may do. ---
    let all = answered(
        "QueryLog",
        entries(&mut auditor).await.map(tonic::Response::new),
        &mut tried,
    );
    let checkpoint = answered(
        "GetCheckpoint",
        auditor
            .get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
            .await,
        &mut tried,
    );
    // Every entry of the log, of every party, in order: 0 .. the checkpoint's size.
    let indices: Vec<u64> = all.iter().map(|e| e.leaf_index).collect();
    assert_eq!(indices, (0..checkpoint.tree_size).collect::<Vec<_>>());
    let politie_sees = entries(&mut po_politie).await.expect("politie's entries");
    assert!(
        politie_sees.len() < all.len(),
        "the auditor sees entries the politie's officer does not"
    );
    let gemeente_case_entry = all
        .iter()
        .find(|e| e.case_id == case.id)
        .expect("the case's creation is in the auditor's view");
    assert!(
        !politie_sees.iter().any(|e| e.case_id == case.id),
        "the politie does not see the gemeente's case"
    );
    let kinds: BTreeSet<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains("case-change") && kinds.contains("covenant-approval"),
        "{kinds:?}"
    );
    // Metadata only: the case's reference never reaches the auditor.
    for entry in &all {
        assert!(
            !String::from_utf8_lossy(&entry.entry).contains(REFERENCE)
                && !format!("{entry:?}").contains(REFERENCE),
            "a case value reached the auditor"
        );
    }
    // The direction filter is a party's; the auditor is told so.
    let direction = auditor
        .query_log(wire::QueryLogRequest {
            direction: "provided".into(),
            ..Default::default()
        })
        .await
        .expect_err("no direction for an auditor");
    assert_eq!(direction.code(), Code::InvalidArgument);

    // The auditor verifies the whole log: the checkpoint with the hub's published
    // key, an inclusion proof of an entry of a party not its own view's, consistency.
    let verifier = NoteVerifier::parse(&log_verifier(&pki)).expect("verifier");
    let head = open_checkpoint(
        &checkpoint.origin,
        std::slice::from_ref(&verifier),
        &checkpoint.note,
    )
    .expect("the checkpoint verifies")
    .checkpoint()
    .clone();
    let proof = answered(
        "GetInclusionProof",
        auditor
            .get_inclusion_proof(wire::InclusionProofRequest {
                leaf_index: gemeente_case_entry.leaf_index,
                tree_size: head.size,
            })
            .await,
        &mut tried,
    );
    let hashes: Vec<Hash> = proof
        .hashes
        .iter()
        .map(|h| Hash::from_slice(h).expect("hash"))
        .collect();
    verify_inclusion(
        &leaf_hash(&proof.entry),
        proof.leaf_index,
        head.size,
        &hashes,
        &head.root,
    )
    .expect("the entry is in the log");
    // The politie's officer may not have that proof (10.3); the auditor may (5.5).
    let politie_proof = po_politie
        .get_inclusion_proof(wire::InclusionProofRequest {
            leaf_index: gemeente_case_entry.leaf_index,
            tree_size: head.size,
        })
        .await
        .expect_err("not the politie's entry");
    assert_eq!(politie_proof.code(), Code::PermissionDenied);
    answered(
        "GetConsistencyProof",
        auditor
            .get_consistency_proof(wire::ConsistencyProofRequest {
                from_tree_size: 1,
                to_tree_size: head.size,
            })
            .await,
        &mut tried,
    );
    let versions = answered(
        "ListCovenantVersions",
        auditor
            .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
            .await,
        &mut tried,
    );
    assert_eq!(versions.in_force, 2);
    let v2 = answered(
        "GetCovenantVersion",
        auditor
            .get_covenant_version(wire::GetCovenantVersionRequest {
                version: 2,
                include_text: true,
                ..Default::default()
            })
            .await,
        &mut tried,
    );
    assert!(
        v2.text.contains("art. 5.5"),
        "the auditor reads the article"
    );
    let figures = answered(
        "GetEvaluationFigures",
        auditor
            .get_evaluation_figures(wire::EvaluationFiguresRequest { period: period() })
            .await,
        &mut tried,
    );
    assert_eq!(figures.min_cell_size, 5);

    // --- Everything else of PrivacyOfficer: changes and a party's own work. ---
    refused_as_auditor(
        "RequestInzage",
        auditor
            .request_inzage(wire::InzageRequest {
                client_request_id: "i-1".into(),
                subject: Some(wire::SubjectPseudonym {
                    hex: "ab".repeat(32),
                }),
                ..Default::default()
            })
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "GetInzage",
        auditor.get_inzage(wire::GetInzageRequest::default()).await,
        &mut tried,
    );
    refused_as_auditor(
        "ListInzages",
        auditor
            .list_inzages(wire::ListInzagesRequest::default())
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "ListNotifications",
        auditor
            .list_notifications(wire::ListNotificationsRequest::default())
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "AcknowledgeNotification",
        auditor
            .acknowledge_notification(wire::AcknowledgeNotificationRequest::default())
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "RecordReview",
        auditor
            .record_review(wire::RecordReviewRequest::default())
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "ProposeCovenantVersion",
        auditor
            .propose_covenant_version(wire::ProposeCovenantVersionRequest {
                client_request_id: "p-3".into(),
                text: v2_text().replace("version 2\n", "version 3\n"),
                description: "more".into(),
            })
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "ApproveCovenantVersion",
        auditor
            .approve_covenant_version(wire::ApproveCovenantVersionRequest {
                client_request_id: "a-3".into(),
                version: 2,
                text_sha256: v2.text_sha256.clone(),
            })
            .await,
        &mut tried,
    );
    refused_as_auditor(
        "PreviewCovenantChange",
        auditor
            .preview_covenant_change(wire::PreviewCovenantChangeRequest {
                proposal: Some(wire::preview_covenant_change_request::Proposal::Version(2)),
                ..Default::default()
            })
            .await,
        &mut tried,
    );
    assert_eq!(
        tried,
        rpcs_of("PrivacyOfficer"),
        "every PrivacyOfficer RPC was tried"
    );

    // --- Coordinator: who am I, and nothing of any case. ---
    let mut coordinator = CoordinatorClient::new(person_channel(&pki, AUDITOR, addr).await);
    let mut tried = BTreeSet::new();
    let me = answered(
        "WhoAmI",
        coordinator.who_am_i(wire::WhoAmIRequest::default()).await,
        &mut tried,
    );
    assert_eq!(me.roles, ["auditor"]);
    let id = || case.id.clone();
    let c = &mut coordinator;
    let t = &mut tried;
    refused_as_auditor(
        "CreateCase",
        c.create_case(wire::CreateCaseRequest {
            client_request_id: "a-1".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(std::time::SystemTime::now())),
            external_reference: "x".into(),
        })
        .await,
        t,
    );
    refused_as_auditor(
        "GetCase",
        c.get_case(wire::GetCaseRequest { case_id: id() }).await,
        t,
    );
    refused_as_auditor(
        "ListCases",
        c.list_cases(wire::ListCasesRequest::default()).await,
        t,
    );
    refused_as_auditor(
        "MovePhase",
        c.move_phase(wire::MovePhaseRequest {
            client_request_id: "a-2".into(),
            case_id: id(),
            to_phase: "registratie".into(),
            reason: "audit".into(),
            expected_phase: String::new(),
        })
        .await,
        t,
    );
    refused_as_auditor(
        "Escalate",
        c.escalate(wire::EscalateRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "RecordContact",
        c.record_contact(wire::RecordContactRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "AddSubject",
        c.add_subject(wire::AddSubjectRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "UpdateSubject",
        c.update_subject(wire::UpdateSubjectRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "RemoveSubject",
        c.remove_subject(wire::RemoveSubjectRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "RecordConsent",
        c.record_consent(wire::RecordConsentRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "WithdrawConsent",
        c.withdraw_consent(wire::WithdrawConsentRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "AddParticipant",
        c.add_participant(wire::AddParticipantRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "RemoveParticipant",
        c.remove_participant(wire::RemoveParticipantRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "DeclareEmergency",
        c.declare_emergency(wire::DeclareEmergencyRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "Bevraag",
        c.bevraag(wire::BevraagRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "RequestCaseFile",
        c.request_case_file(wire::CaseFileRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "WatchCaseFile",
        c.watch_case_file(wire::CaseFileRequest {
            case_id: id(),
            ..Default::default()
        })
        .await,
        t,
    );
    refused_as_auditor(
        "GetCaseFile",
        c.get_case_file(wire::GetCaseFileRequest::default()).await,
        t,
    );
    refused_as_auditor(
        "ListCaseFiles",
        c.list_case_files(wire::ListCaseFilesRequest::default())
            .await,
        t,
    );
    assert_eq!(
        tried,
        rpcs_of("Coordinator"),
        "every Coordinator RPC was tried"
    );

    // --- AgentLink is for agents (organisation certificates) only. ---
    let mut link = AgentLinkClient::new(person_channel(&pki, AUDITOR, addr).await);
    let mut tried = BTreeSet::new();
    refused(
        "Link",
        link.link(tokio_stream::iter(Vec::<wire::AgentMessage>::new()))
            .await,
        &mut tried,
    );
    refused(
        "GetInclusionProof",
        link.get_inclusion_proof(wire::InclusionProofRequest::default())
            .await,
        &mut tried,
    );
    refused(
        "GetConsistencyProof",
        link.get_consistency_proof(wire::ConsistencyProofRequest::default())
            .await,
        &mut tried,
    );
    assert_eq!(tried, rpcs_of("AgentLink"), "every AgentLink RPC was tried");

    // --- HubStatus: any authenticated person may ask which agents are linked. ---
    let mut status = HubStatusClient::new(person_channel(&pki, AUDITOR, addr).await);
    let mut tried = BTreeSet::new();
    answered(
        "GetStatus",
        status.get_status(wire::GetStatusRequest::default()).await,
        &mut tried,
    );
    assert_eq!(tried, rpcs_of("HubStatus"), "every HubStatus RPC was tried");

    // Nothing the auditor tried changed the log: the same entries as before.
    let after = entries(&mut auditor).await.expect("entries");
    assert_eq!(after.len(), all.len(), "a refused call left an entry");

    // --- hubctl works for the auditor: whoami, the log, its verification, versions. ---
    let profile = hubctl_profile(&pki, addr, AUDITOR, None);
    std::fs::write(
        &profile,
        std::fs::read_to_string(&profile).expect("profile")
            + &format!("log_verifier = \"{}\"\n", log_verifier(&pki)),
    )
    .expect("profile");
    let run = hubctl(&profile, &["whoami"], None).await;
    assert!(run.ok().contains("auditor"), "{run:?}");
    let run = hubctl(&profile, &["log", "entries", "--format", "jsonl"], None).await;
    assert_eq!(run.ok().lines().count(), all.len(), "{run:?}");
    let run = hubctl(&profile, &["log", "verify"], None).await;
    assert!(run.ok().contains(&format!("{}", all.len())), "{run:?}");
    let run = hubctl(&profile, &["covenant", "list"], None).await;
    assert!(run.ok().contains('2'), "{run:?}");
    let run = hubctl(&profile, &["case", "list"], None).await;
    assert!(run.refused(6).contains("auditor"), "{run:?}");
    hub.stop().await;
}
