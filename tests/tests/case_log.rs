//! Article 10.1 for cases: every case change is a `case-change` entry in the decision
//! log, durable before the change is stored; the log fails closed; a retry with the
//! same request id neither logs twice nor changes twice.

use tonic::Code;
use treiter_hub::log::Event;
use treiter_hub::log::entry::CaseChangeKind;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use crate::support::{Pki, TestHub, person_channel};

const SDR_OOST: &str = "p-gemeente-004";
const DEGRACHT_OIN: &str = "00000004000000000004";
/// Free texts sent with the changes: none may reach the log (article 12.3).
const NOTES: [&str; 4] = [
    "Kwelgeest-Referentie-7731",
    "Buurvrouw Zwanenburg",
    "Reden-Spoed-Vlinderstraat",
    "Reden-Fase-Ooievaar",
];

fn ts(offset_seconds: i64) -> Option<prost_types::Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    Some(prost_types::Timestamp {
        seconds: now + offset_seconds,
        nanos: 0,
    })
}

fn subject(n: u8) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: format!("{n:02x}").repeat(32),
    })
}

/// The change's event must name the log entry that records it.
fn logged(hub: &TestHub, update: &wire::CaseUpdate, want: &str) -> CaseChangeKind {
    let event = update.event.as_ref().expect("event");
    assert_eq!(event.kind, want);
    let stored = hub
        .hub
        .log
        .entry(event.log_leaf_index)
        .expect("the event's leaf index is in the log");
    let Event::CaseChange(change) = &stored.entry.event else {
        panic!("entry {} is not a case change", event.log_leaf_index);
    };
    let case = update.case.as_ref().expect("case");
    assert_eq!(change.case.as_str(), case.id);
    assert_eq!(change.actor.person.as_str(), SDR_OOST);
    assert_eq!(stored.entry.covenant_version, hub.hub.covenant.version());
    change.change.clone()
}

#[tokio::test]
async fn every_case_change_is_logged_before_it_is_stored() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let channel = person_channel(&pki, SDR_OOST, hub.addr).await;
    let mut sdr: CoordinatorClient<HubChannel> = CoordinatorClient::new(channel);
    let before = hub.hub.log.tree_size();

    let created = sdr
        .create_case(wire::CreateCaseRequest {
            client_request_id: "create".into(),
            stadsdeel: "oost".into(),
            melding_at: ts(-3600),
            external_reference: NOTES[0].into(),
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(
        logged(&hub, &created, "case-created"),
        CaseChangeKind::CaseCreated
    );
    let case = created.case.expect("case").id;

    let u = sdr
        .record_contact(wire::RecordContactRequest {
            client_request_id: "contact".into(),
            case_id: case.clone(),
            contacted_at: ts(-60),
        })
        .await
        .expect("contact")
        .into_inner();
    assert_eq!(
        logged(&hub, &u, "contact-recorded"),
        CaseChangeKind::ContactRecorded
    );

    let u = sdr
        .add_subject(wire::AddSubjectRequest {
            client_request_id: "subject".into(),
            case_id: case.clone(),
            subject: subject(7),
            role: "slachtoffer".into(),
            label: NOTES[1].into(),
        })
        .await
        .expect("subject")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "subject-added"),
        CaseChangeKind::SubjectAdded { subject, .. } if subject.as_str() == "07".repeat(32)
    ));
    let u = sdr
        .update_subject(wire::UpdateSubjectRequest {
            client_request_id: "subject-update".into(),
            case_id: case.clone(),
            subject: subject(7),
            role: "melder".into(),
            label: String::new(),
            clear_label: false,
        })
        .await
        .expect("subject updated")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "subject-updated"),
        CaseChangeKind::SubjectUpdated { .. }
    ));
    let u = sdr
        .record_consent(wire::RecordConsentRequest {
            client_request_id: "consent".into(),
            case_id: case.clone(),
            subject: subject(7),
            category: "slachtofferinformatie".into(),
            date: "2026-01-05".into(),
        })
        .await
        .expect("consent")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "consent-recorded"),
        CaseChangeKind::ConsentRecorded { category, .. }
            if category.as_str() == "slachtofferinformatie"
    ));
    let u = sdr
        .withdraw_consent(wire::WithdrawConsentRequest {
            client_request_id: "withdraw".into(),
            case_id: case.clone(),
            subject: subject(7),
            category: "slachtofferinformatie".into(),
            date: "2026-02-01".into(),
        })
        .await
        .expect("withdrawn")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "consent-withdrawn"),
        CaseChangeKind::ConsentWithdrawn { .. }
    ));
    let u = sdr
        .add_participant(wire::AddParticipantRequest {
            client_request_id: "participant".into(),
            case_id: case.clone(),
            party_oin: DEGRACHT_OIN.into(),
        })
        .await
        .expect("participant")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "participant-added"),
        CaseChangeKind::ParticipantAdded { party } if party.to_string() == DEGRACHT_OIN
    ));
    let u = sdr
        .remove_participant(wire::RemoveParticipantRequest {
            client_request_id: "participant-gone".into(),
            case_id: case.clone(),
            party_oin: DEGRACHT_OIN.into(),
            reason: NOTES[3].into(),
        })
        .await
        .expect("participant removed")
        .into_inner();
    assert!(matches!(
        logged(&hub, &u, "participant-removed"),
        CaseChangeKind::ParticipantRemoved { .. }
    ));
    for (n, phase) in ["registratie", "duiding", "aanpak"].iter().enumerate() {
        let u = sdr
            .move_phase(wire::MovePhaseRequest {
                client_request_id: format!("phase-{n}"),
                case_id: case.clone(),
                to_phase: (*phase).into(),
                reason: NOTES[3].into(),
                expected_phase: String::new(),
            })
            .await
            .expect("moved")
            .into_inner();
        assert!(matches!(
            logged(&hub, &u, "phase-moved"),
            CaseChangeKind::PhaseMoved { to, .. } if to.as_str() == *phase
        ));
    }
    let u = sdr
        .escalate(wire::EscalateRequest {
            client_request_id: "escalate".into(),
            case_id: case.clone(),
            reason: NOTES[3].into(),
        })
        .await
        .expect("escalated")
        .into_inner();
    assert_eq!(logged(&hub, &u, "escalated"), CaseChangeKind::Escalated);
    let u = sdr
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "emergency".into(),
            case_id: case.clone(),
            reason: NOTES[2].into(),
        })
        .await
        .expect("emergency")
        .into_inner();
    assert_eq!(
        logged(&hub, &u, "emergency-declared"),
        CaseChangeKind::EmergencyDeclared
    );
    let removed = sdr
        .remove_subject(wire::RemoveSubjectRequest {
            client_request_id: "subject-gone".into(),
            case_id: case.clone(),
            subject: subject(7),
            reason: NOTES[3].into(),
        })
        .await
        .expect("subject removed")
        .into_inner();
    assert!(matches!(
        logged(&hub, &removed, "subject-removed"),
        CaseChangeKind::SubjectRemoved { .. }
    ));
    // 14 changes, 14 entries; the stored history carries the same leaf indices.
    let size = hub.hub.log.tree_size();
    assert_eq!(size - before, 14);
    let history = removed.case.expect("case").history;
    assert_eq!(history.len(), 14);
    for (i, event) in history.iter().enumerate() {
        assert_eq!(event.log_leaf_index, before + i as u64, "{}", event.kind);
    }

    // A retry with the same request id answers the first result and logs nothing.
    let again = sdr
        .escalate(wire::EscalateRequest {
            client_request_id: "escalate".into(),
            case_id: case.clone(),
            reason: NOTES[3].into(),
        })
        .await
        .expect("the retry gets the first answer")
        .into_inner();
    assert_eq!(again.event.expect("event").sequence, 12);
    assert_eq!(hub.hub.log.tree_size(), size, "no second entry");

    // No free text in any entry (article 12.3).
    for stored in hub.hub.log.entries(before, size).expect("entries") {
        let text = String::from_utf8_lossy(&stored.bytes).to_lowercase();
        for note in NOTES {
            assert!(!text.contains(&note.to_lowercase()), "{note} in {text}");
        }
    }

    // The log fails closed: no entry, no change, UNAVAILABLE.
    hub.hub.log.faults().fail_writes();
    let refused = sdr
        .add_subject(wire::AddSubjectRequest {
            client_request_id: "late-subject".into(),
            case_id: case.clone(),
            subject: subject(8),
            role: "dader".into(),
            label: String::new(),
        })
        .await
        .expect_err("no durable entry, no change");
    assert_eq!(refused.code(), Code::Unavailable);
    assert!(
        refused.message().contains("decision log") && refused.message().contains("retry"),
        "{}",
        refused.message()
    );
    assert_eq!(
        hub.hub.log.tree_size(),
        size,
        "a failed append counts nothing"
    );
    let stored = hub.hub.cases.load(&case).expect("load").expect("case");
    assert!(stored.subject(&"08".repeat(32)).is_none(), "not stored");
    assert_eq!(stored.history.len(), 14);

    // Once the log can write again it verifies without a gap, and the retry applies.
    hub.hub.log.faults().clear();
    hub.hub.log.verify().expect("the log verifies");
    let retried = sdr
        .add_subject(wire::AddSubjectRequest {
            client_request_id: "late-subject".into(),
            case_id: case.clone(),
            subject: subject(8),
            role: "dader".into(),
            label: String::new(),
        })
        .await
        .expect("the retry succeeds")
        .into_inner();
    let event = retried.event.as_ref().expect("event");
    assert_eq!(event.log_leaf_index, size, "the next leaf, no gap");
    assert_eq!(hub.hub.log.tree_size(), size + 1);
    hub.hub.log.verify().expect("the log verifies");
    hub.stop().await;
}
