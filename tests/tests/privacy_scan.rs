//! Article 12.3: personal data never appears in the clear in error messages or in the
//! hub's files (decision log included). Distinctive synthetic personal data goes in
//! through every free-text field of the coordinator API and through deliberately bad
//! inputs; then every returned error message and every file of the hub's data
//! directory are scanned for it, case-insensitively.
//!
//! Scope (see the report of issue 10): coordinator RPCs against an in-process hub.
//! Tracing output of hub and agent processes and agent sample records are not scanned
//! yet.

use tonic::Code;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use crate::support::{Pki, TestHub, person_channel};

const IM_OOST: &str = "p-gemeente-001";
const POLITIE_CONTACT: &str = "p-politie-017";

/// Synthetic, distinctive values. The BSN passes the 11-proof (9·1+8·1+7·1+6·2+5·2+
/// 4·2+3·3+2·3−1·3 = 66).
const NAME: &str = "Zwanetta Krabbelbosch";
const BSN: &str = "111222333";
const ADDRESS: &str = "Kwakkelsteeg 77";
const PHONE: &str = "0612398745";
const FREE_TEXT: &str = "Vlinderdassenmysterie";
const DISTINCTIVE: [&str; 5] = [NAME, BSN, ADDRESS, PHONE, FREE_TEXT];

fn hit(haystack: &[u8]) -> Option<&'static str> {
    let lower = haystack.to_ascii_lowercase();
    DISTINCTIVE.into_iter().find(|value| {
        let value = value.to_ascii_lowercase();
        lower.windows(value.len()).any(|w| w == value.as_bytes())
    })
}

fn now() -> Option<prost_types::Timestamp> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    Some(prost_types::Timestamp {
        seconds: seconds - 3600,
        nanos: 0,
    })
}

async fn client(pki: &Pki, hub: &TestHub, person: &str) -> CoordinatorClient<HubChannel> {
    CoordinatorClient::new(person_channel(pki, person, hub.addr).await)
}

#[tokio::test]
async fn no_personal_data_in_error_messages_or_hub_files() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("scan-hub-data");
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let mut politie = client(&pki, &hub, POLITIE_CONTACT).await;
    let subject = Some(wire::SubjectPseudonym {
        hex: "ab".repeat(32),
    });

    // A whole case, with personal data in every free-text field.
    let created = im
        .create_case(wire::CreateCaseRequest {
            client_request_id: "scan-1".into(),
            stadsdeel: "oost".into(),
            melding_at: now(),
            external_reference: format!("{BSN} {PHONE}"),
        })
        .await
        .expect("create")
        .into_inner();
    let case = created.case.expect("case").id;
    im.add_subject(wire::AddSubjectRequest {
        client_request_id: "scan-2".into(),
        case_id: case.clone(),
        subject: subject.clone(),
        role: "slachtoffer".into(),
        label: format!("{NAME}, {ADDRESS}"),
    })
    .await
    .expect("subject");
    im.move_phase(wire::MovePhaseRequest {
        client_request_id: "scan-3".into(),
        case_id: case.clone(),
        to_phase: "registratie".into(),
        reason: format!("{NAME} belde vanaf {PHONE} over {FREE_TEXT}"),
        expected_phase: String::new(),
    })
    .await
    .expect("moved");
    politie
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "scan-4".into(),
            case_id: case.clone(),
            reason: format!("{NAME} op {ADDRESS} acuut bedreigd ({FREE_TEXT})"),
        })
        .await
        .expect("emergency");

    // Deliberately bad inputs, personal data typed into the wrong field.
    let mut errors: Vec<tonic::Status> = Vec::new();
    for bad in [NAME, BSN, ADDRESS, PHONE] {
        errors.push(
            im.get_case(wire::GetCaseRequest {
                case_id: bad.into(),
            })
            .await
            .expect_err("no such case"),
        );
        errors.push(
            im.create_case(wire::CreateCaseRequest {
                client_request_id: format!("bad-create-{bad}"),
                stadsdeel: bad.into(),
                melding_at: now(),
                external_reference: String::new(),
            })
            .await
            .expect_err("no such stadsdeel"),
        );
        errors.push(
            im.add_subject(wire::AddSubjectRequest {
                client_request_id: format!("bad-subject-{bad}"),
                case_id: case.clone(),
                subject: Some(wire::SubjectPseudonym { hex: bad.into() }),
                role: bad.into(),
                label: String::new(),
            })
            .await
            .expect_err("not a pseudonym"),
        );
        errors.push(
            im.move_phase(wire::MovePhaseRequest {
                client_request_id: format!("bad-move-{bad}"),
                case_id: case.clone(),
                to_phase: bad.into(),
                reason: bad.into(),
                expected_phase: String::new(),
            })
            .await
            .expect_err("not a phase"),
        );
        errors.push(
            im.add_participant(wire::AddParticipantRequest {
                client_request_id: format!("bad-participant-{bad}"),
                case_id: case.clone(),
                party_oin: bad.into(),
            })
            .await
            .expect_err("not an OIN"),
        );
    }
    assert!(errors.iter().any(|e| e.code() == Code::NotFound));
    for status in &errors {
        assert_eq!(
            hit(status.message().as_bytes()),
            None,
            "{:?}: {}",
            status.code(),
            status.message()
        );
    }
    hub.stop().await;

    // Every file of the hub, the decision log's segments included.
    let mut stack = vec![data_dir.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).expect("read");
            assert_eq!(hit(&bytes), None, "in the clear in {}", path.display());
        }
    }
    assert!(files > 0, "the scan read the hub's files");
}
