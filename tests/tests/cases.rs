//! Cases over the coordinator API, with real person certificates: who may register,
//! see and change a case, the phase order of article 4.1, idempotent retries, what
//! non-team callers do not see, escalation and emergencies.

use tonic::Code;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use crate::support::{Pki, TestHub, person_channel};

const IM_OOST: &str = "p-gemeente-001";
const IM_WEST: &str = "p-gemeente-002";
const SDR_OOST: &str = "p-gemeente-004";
const STEDELIJK: &str = "p-gemeente-005";
const POLITIE_CONTACT: &str = "p-politie-017";
const DEGRACHT_CONTACT: &str = "p-degracht-010";
const PRIVACY_GEMEENTE: &str = "p-gemeente-090";
const DEGRACHT_OIN: &str = "00000004000000000004";

async fn client(pki: &Pki, hub: &TestHub, person: &str) -> CoordinatorClient<HubChannel> {
    let channel = person_channel(pki, person, hub.addr).await;
    CoordinatorClient::new(channel)
}

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

fn pseudonym(n: u8) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: format!("{n:02x}").repeat(32),
    })
}

async fn create(
    c: &mut CoordinatorClient<HubChannel>,
    id: &str,
    stadsdeel: &str,
) -> Result<wire::CaseUpdate, tonic::Status> {
    c.create_case(wire::CreateCaseRequest {
        client_request_id: id.into(),
        stadsdeel: stadsdeel.into(),
        melding_at: melding_at(),
        external_reference: "14020-123".into(),
    })
    .await
    .map(|r| r.into_inner())
}

/// An hour ago, fixed once per test run: a retried request must be the same request,
/// and `ts(-3600)` read twice may fall in two different seconds.
fn melding_at() -> Option<prost_types::Timestamp> {
    static AT: std::sync::OnceLock<Option<prost_types::Timestamp>> = std::sync::OnceLock::new();
    *AT.get_or_init(|| ts(-3600))
}

async fn move_to(
    c: &mut CoordinatorClient<HubChannel>,
    req: &str,
    case: &str,
    phase: &str,
) -> Result<wire::CaseUpdate, tonic::Status> {
    c.move_phase(wire::MovePhaseRequest {
        client_request_id: req.into(),
        case_id: case.into(),
        to_phase: phase.into(),
        reason: "assessment done".into(),
        expected_phase: String::new(),
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn registration_is_for_the_stadsdeel_team_and_phases_follow_article_4_1() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut im_oost = client(&pki, &hub, IM_OOST).await;
    let mut im_west = client(&pki, &hub, IM_WEST).await;

    let refused = create(&mut im_west, "r1", "oost")
        .await
        .expect_err("west may not register in oost");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("art. 5.2, 5.3"),
        "{}",
        refused.message()
    );

    let update = create(&mut im_oost, "r1", "oost").await.expect("created");
    let case = update.case.expect("case");
    assert!(
        case.id.starts_with("C-") && case.id.ends_with("-0001"),
        "{}",
        case.id
    );
    assert_eq!(case.phase, "melding");
    assert_eq!(case.allowed_next_phases, ["registratie"]);
    assert_eq!(case.caller_access, "case-team");
    assert_eq!(case.external_reference, "14020-123");
    let contact = case.contact.expect("contact deadline");
    assert_eq!(contact.status, "open");
    assert!(
        contact.due_at.expect("due").seconds > ts(24 * 3600).expect("ts").seconds,
        "two working days ahead"
    );
    assert_eq!(update.event.expect("event").kind, "case-created");

    // Retrying the same request returns the same case; reusing the id for another is refused.
    let again = create(&mut im_oost, "r1", "oost").await.expect("replayed");
    assert_eq!(again.case.expect("case").id, case.id);
    let reuse = create(&mut im_oost, "r1", "west")
        .await
        .expect_err("id reused");
    assert_eq!(reuse.code(), Code::AlreadyExists);

    let hidden = im_west
        .get_case(wire::GetCaseRequest {
            case_id: case.id.clone(),
        })
        .await
        .expect_err("west has no access");
    assert_eq!(hidden.code(), Code::PermissionDenied);
    assert!(
        hidden.message().contains("art. 5.3"),
        "{}",
        hidden.message()
    );

    let skip = move_to(&mut im_oost, "m0", &case.id, "aanpak")
        .await
        .expect_err("no skipping");
    assert_eq!(skip.code(), Code::FailedPrecondition);
    assert!(
        skip.message().contains("art. 4.1") && skip.message().contains("allowed: registratie"),
        "{}",
        skip.message()
    );
    move_to(&mut im_oost, "m1", &case.id, "registratie")
        .await
        .expect("melding -> registratie");
    let duiding = move_to(&mut im_oost, "m2", &case.id, "duiding")
        .await
        .expect("-> duiding");
    assert_eq!(
        duiding.case.expect("case").allowed_next_phases,
        ["aanpak", "buiten-aanpak"]
    );
    let stale = im_oost
        .move_phase(wire::MovePhaseRequest {
            client_request_id: "m3".into(),
            case_id: case.id.clone(),
            to_phase: "aanpak".into(),
            reason: "joint approach".into(),
            expected_phase: "registratie".into(),
        })
        .await
        .expect_err("someone moved it first");
    assert_eq!(stale.code(), Code::Aborted);
    let closed = move_to(&mut im_oost, "m4", &case.id, "buiten-aanpak")
        .await
        .expect("-> buiten-aanpak");
    let closed = closed.case.expect("case");
    assert!(closed.allowed_next_phases.is_empty());
    assert!(
        closed.retention_until.is_some(),
        "article 9.2 retention is shown"
    );
    let late = im_oost
        .add_subject(wire::AddSubjectRequest {
            client_request_id: "s1".into(),
            case_id: case.id.clone(),
            subject: pseudonym(1),
            role: "dader".into(),
            label: String::new(),
        })
        .await
        .expect_err("no changes after buiten-aanpak");
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("art. 4.4"), "{}", late.message());
    hub.stop().await;
}

#[tokio::test]
async fn participants_see_the_case_without_working_notes_or_consent() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let mut contact = client(&pki, &hub, DEGRACHT_CONTACT).await;
    let case = create(&mut sdr, "c", "oost")
        .await
        .expect("created")
        .case
        .expect("case")
        .id;

    sdr.add_subject(wire::AddSubjectRequest {
        client_request_id: "s".into(),
        case_id: case.clone(),
        subject: pseudonym(2),
        role: "slachtoffer".into(),
        label: "buurvrouw 2-hoog".into(),
    })
    .await
    .expect("subject added");
    let consent = sdr
        .record_consent(wire::RecordConsentRequest {
            client_request_id: "k".into(),
            case_id: case.clone(),
            subject: pseudonym(2),
            category: "slachtofferinformatie".into(),
            date: "2026-01-05".into(),
        })
        .await
        .expect("consent")
        .into_inner();
    assert_eq!(
        consent.case.expect("case").subjects[0].consent,
        ["slachtofferinformatie"]
    );
    let future = sdr
        .record_consent(wire::RecordConsentRequest {
            client_request_id: "k2".into(),
            case_id: case.clone(),
            subject: pseudonym(2),
            category: "bijzondere-kenmerken".into(),
            date: "2999-01-01".into(),
        })
        .await
        .expect_err("future date");
    assert_eq!(future.code(), Code::InvalidArgument);

    let not_yet = contact
        .get_case(wire::GetCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect_err("not a participant yet");
    assert_eq!(not_yet.code(), Code::PermissionDenied);
    let by_im = im
        .add_participant(wire::AddParticipantRequest {
            client_request_id: "p".into(),
            case_id: case.clone(),
            party_oin: DEGRACHT_OIN.into(),
        })
        .await
        .expect_err("participants are the stadsdeelregisseur's call");
    assert_eq!(by_im.code(), Code::PermissionDenied);
    let unknown = sdr
        .add_participant(wire::AddParticipantRequest {
            client_request_id: "p0".into(),
            case_id: case.clone(),
            party_oin: "00000009000000000009".into(),
        })
        .await
        .expect_err("not a party");
    assert_eq!(unknown.code(), Code::NotFound);
    sdr.add_participant(wire::AddParticipantRequest {
        client_request_id: "p".into(),
        case_id: case.clone(),
        party_oin: DEGRACHT_OIN.into(),
    })
    .await
    .expect("participant added");

    let seen = contact
        .get_case(wire::GetCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect("participant sees the case")
        .into_inner();
    assert_eq!(seen.caller_access, "participant");
    assert_eq!(seen.caller_role, "partnercontact");
    assert_eq!(
        seen.external_reference, "",
        "working notes are for the case team"
    );
    assert_eq!(seen.subjects[0].label, "");
    assert!(
        seen.subjects[0].consent.is_empty(),
        "consent is for the case team"
    );
    assert!(seen.history.iter().all(|e| !e.kind.starts_with("consent")));

    // A case list names the subjects too (the console's Mijn casussen), with the
    // label for the case team only.
    let listed = |c: wire::ListCasesResponse| {
        let case = c.cases.into_iter().find(|c| c.id == case).expect("listed");
        case.subjects
            .iter()
            .map(|s| (s.role.clone(), s.label.clone()))
            .collect::<Vec<_>>()
    };
    let team_list = sdr
        .list_cases(wire::ListCasesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(
        team_list.as_of.is_some(),
        "the hub's clock of the answer, which deadlines count from"
    );
    let for_team = listed(team_list);
    assert_eq!(
        for_team,
        [("slachtoffer".to_owned(), "buurvrouw 2-hoog".to_owned())]
    );
    let for_participant = listed(
        contact
            .list_cases(wire::ListCasesRequest::default())
            .await
            .expect("list")
            .into_inner(),
    );
    assert_eq!(
        for_participant,
        [("slachtoffer".to_owned(), String::new())],
        "labels are working notes of the case team"
    );

    let withdrawn = sdr
        .withdraw_consent(wire::WithdrawConsentRequest {
            client_request_id: "w".into(),
            case_id: case.clone(),
            subject: pseudonym(2),
            category: "slachtofferinformatie".into(),
            date: "2026-02-01".into(),
        })
        .await
        .expect("withdrawn")
        .into_inner();
    let subject = &withdrawn.case.expect("case").subjects[0];
    assert!(subject.consent.is_empty());
    assert_eq!(subject.consent_history.len(), 2);
    hub.stop().await;
}

#[tokio::test]
async fn escalation_and_emergency_widen_access_as_articles_14_and_15_say() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let mut stedelijk = client(&pki, &hub, STEDELIJK).await;
    let mut politie = client(&pki, &hub, POLITIE_CONTACT).await;
    let mut privacy = client(&pki, &hub, PRIVACY_GEMEENTE).await;
    let case = create(&mut sdr, "c", "oost")
        .await
        .expect("created")
        .case
        .expect("case")
        .id;

    let early = sdr
        .escalate(wire::EscalateRequest {
            client_request_id: "e0".into(),
            case_id: case.clone(),
            reason: "needs city level".into(),
        })
        .await
        .expect_err("only in aanpak");
    assert_eq!(early.code(), Code::FailedPrecondition);
    for (i, phase) in ["registratie", "duiding", "aanpak"].iter().enumerate() {
        move_to(&mut sdr, &format!("m{i}"), &case, phase)
            .await
            .expect("move");
    }
    let get = |c: &mut CoordinatorClient<HubChannel>| {
        let case = case.clone();
        let mut c = c.clone();
        async move { c.get_case(wire::GetCaseRequest { case_id: case }).await }
    };
    assert_eq!(
        get(&mut stedelijk).await.expect_err("not escalated").code(),
        Code::PermissionDenied
    );
    let by_im = im
        .escalate(wire::EscalateRequest {
            client_request_id: "e1".into(),
            case_id: case.clone(),
            reason: "x".into(),
        })
        .await
        .expect_err("escalation is the stadsdeelregisseur's");
    assert_eq!(by_im.code(), Code::PermissionDenied);
    sdr.escalate(wire::EscalateRequest {
        client_request_id: "e2".into(),
        case_id: case.clone(),
        reason: "needs city level".into(),
    })
    .await
    .expect("escalated");
    let seen = get(&mut stedelijk)
        .await
        .expect("stedelijk-regisseur after escalation")
        .into_inner();
    assert_eq!(seen.caller_role, "stedelijk-regisseur");
    assert_eq!(seen.caller_access, "case-team");

    // The politie partnercontact has no access, but may declare an emergency (art. 15.1).
    assert_eq!(
        get(&mut politie).await.expect_err("no access").code(),
        Code::PermissionDenied
    );
    let by_im = im
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "x".into(),
            case_id: case.clone(),
            reason: "acute threat".into(),
        })
        .await
        .expect_err("an informatiemakelaar does not declare emergencies");
    assert_eq!(by_im.code(), Code::PermissionDenied);
    assert!(by_im.message().contains("art. 15.1"), "{}", by_im.message());
    let declared = politie
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "x".into(),
            case_id: case.clone(),
            reason: "acute threat".into(),
        })
        .await
        .expect("declared")
        .into_inner();
    let emergency = declared.case.expect("case").emergency.expect("active");
    assert!(emergency.active);
    let hours = emergency.expires_at.expect("expiry").seconds
        - emergency.declared_at.expect("declared").seconds;
    assert_eq!(hours, 72 * 3600, "article 15.3, from the encoding");
    let seen = get(&mut politie)
        .await
        .expect("declarer has access")
        .into_inner();
    assert_eq!(seen.caller_access, "declarer");
    let again = sdr
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "y".into(),
            case_id: case.clone(),
            reason: "another".into(),
        })
        .await
        .expect_err("not stacked");
    assert_eq!(again.code(), Code::FailedPrecondition);

    let refused = get(&mut privacy)
        .await
        .expect_err("privacy officers receive no case data");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let me = privacy
        .who_am_i(wire::WhoAmIRequest {})
        .await
        .expect("whoami")
        .into_inner();
    assert_eq!(me.roles, ["privacy-officer"]);

    let listed = sdr
        .list_cases(wire::ListCasesRequest {
            emergency_active_only: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.cases.len(), 1);
    assert!(listed.cases[0].escalated);
    hub.stop().await;
}

/// Article 10.1: every case change is a `case-change` entry in the decision log,
/// durable before the change is stored; the update returns the entry's leaf index; an
/// idempotent retry adds no second entry; and when the log cannot write, nothing is
/// changed and the caller gets UNAVAILABLE.
#[tokio::test]
async fn case_changes_are_logged_before_they_are_stored() {
    use treiter_hub::log::Event;

    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let log = &hub.hub.log;
    let mut im = client(&pki, &hub, IM_OOST).await;

    let before = log.tree_size();
    let created = create(&mut im, "log-1", "oost").await.expect("create");
    let case = created.case.as_ref().expect("case").id.clone();
    let event = created.event.as_ref().expect("event");
    assert_eq!(log.tree_size(), before + 1, "one entry per change");
    assert_eq!(event.log_leaf_index, before, "the update names its entry");
    let stored = log.entry(event.log_leaf_index).expect("entry");
    match &stored.entry.event {
        Event::CaseChange(change) => assert_eq!(change.case.as_str(), case),
        other => panic!("expected a case-change entry, got {other:?}"),
    }
    assert_eq!(stored.entry.covenant_version, hub.hub.covenant.version());

    // A retry with the same request id returns the first result, with no new entry.
    let again = create(&mut im, "log-1", "oost").await.expect("retry");
    assert_eq!(again.event.as_ref().expect("event").log_leaf_index, before);
    assert_eq!(log.tree_size(), before + 1, "a retry is not logged twice");

    // The log fails closed: no entry, no change.
    let size = log.tree_size();
    hub.hub.log.faults().fail_writes();
    let refused = move_to(&mut im, "log-2", &case, "registratie")
        .await
        .expect_err("no durable entry, no change");
    assert_eq!(refused.code(), Code::Unavailable);
    assert!(
        refused.message().contains("decision log"),
        "{}",
        refused.message()
    );
    assert_eq!(log.tree_size(), size, "a failed append counts nothing");
    let unchanged = im
        .get_case(wire::GetCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(unchanged.phase, "melding");

    // The client's retry with the same request id works once the log can write.
    hub.hub.log.faults().clear();
    let moved = move_to(&mut im, "log-2", &case, "registratie")
        .await
        .expect("works again once the log can write");
    assert_eq!(moved.case.as_ref().expect("case").phase, "registratie");
    assert_eq!(moved.event.as_ref().expect("event").log_leaf_index, size);
    assert_eq!(log.tree_size(), size + 1);
    hub.stop().await;
}

/// Issue 16: from 00:00 to 01:00 in Amsterdam in winter (to 02:00 in summer) UTC's date
/// is still yesterday, and the hub called a consent dated "today" in Amsterdam (what
/// hubctl sends) "in the future". At 00:30 in Amsterdam in winter, in summer, on both
/// change days and the night after each, today's consent is taken and tomorrow's is
/// refused, naming the field, the date and today in Amsterdam.
#[tokio::test]
async fn consent_dated_today_in_amsterdam_is_taken_at_night() {
    use time::macros::datetime;

    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    for (n, (at, today, tomorrow)) in [
        (datetime!(2026-12-06 23:30 UTC), "2026-12-07", "2026-12-08"),
        (datetime!(2026-07-01 22:30 UTC), "2026-07-02", "2026-07-03"),
        (datetime!(2026-03-28 23:30 UTC), "2026-03-29", "2026-03-30"),
        (datetime!(2026-03-29 22:30 UTC), "2026-03-30", "2026-03-31"),
        (datetime!(2026-10-24 22:30 UTC), "2026-10-25", "2026-10-26"),
        (datetime!(2026-10-25 23:30 UTC), "2026-10-26", "2026-10-27"),
    ]
    .into_iter()
    .enumerate()
    {
        hub.hub.clock.set(at);
        let melding = at - time::Duration::hours(1);
        let case = sdr
            .create_case(wire::CreateCaseRequest {
                client_request_id: format!("night-{n}"),
                stadsdeel: "oost".into(),
                melding_at: Some(prost_types::Timestamp {
                    seconds: melding.unix_timestamp(),
                    nanos: 0,
                }),
                external_reference: String::new(),
            })
            .await
            .expect("created")
            .into_inner()
            .case
            .expect("case")
            .id;
        sdr.add_subject(wire::AddSubjectRequest {
            client_request_id: format!("night-{n}-subject"),
            case_id: case.clone(),
            subject: pseudonym(2),
            role: "slachtoffer".into(),
            label: String::new(),
        })
        .await
        .expect("subject added");
        let consent = |id: String, category: &str, date: &str| wire::RecordConsentRequest {
            client_request_id: id,
            case_id: case.clone(),
            subject: pseudonym(2),
            category: category.into(),
            date: date.into(),
        };
        let taken = sdr
            .record_consent(consent(
                format!("night-{n}-today"),
                "slachtofferinformatie",
                today,
            ))
            .await
            .unwrap_or_else(|e| panic!("consent dated {today} at {at}: {}", e.message()))
            .into_inner();
        assert_eq!(
            taken.case.expect("case").subjects[0].consent,
            ["slachtofferinformatie"],
            "at {at}"
        );
        let future = sdr
            .record_consent(consent(
                format!("night-{n}-tomorrow"),
                "bijzondere-kenmerken",
                tomorrow,
            ))
            .await
            .expect_err("tomorrow is in the future");
        assert_eq!(future.code(), Code::InvalidArgument, "at {at}");
        assert_eq!(
            future.message(),
            format!("consent date {tomorrow} is in the future: today is {today} in Amsterdam"),
            "at {at}"
        );
    }
    hub.stop().await;
}
