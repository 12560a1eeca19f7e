//! The privacy-officer API end to end: a real hub, real agents answering from synthetic
//! exports (and one careless GGD link that offers `diagnose`), coordinators building a
//! case file, and privacy officers of several parties reading the decision log (article
//! 10.3), proving entries against signed checkpoints (10.2), asking for inzage (11),
//! and handling notifications of rejected (7) and emergency shares (15.2).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use tonic::Code;
use treiter_certs_dev::PARTIES;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;
use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};
use treiter_translog::hash::{Hash, leaf_hash};
use treiter_translog::proof::{verify_consistency, verify_inclusion};

use crate::casefile::{careless_partner, field};
use crate::support::{JsonAgents, Pki, TestHub, party_channel, person_channel, write_export};

const SDR_OOST: &str = "p-gemeente-004";
const POLITIE_CONTACT: &str = "p-politie-017";
const PO_GEMEENTE: &str = "p-gemeente-090";
const PO_POLITIE: &str = "p-politie-090";
const PO_DEGRACHT: &str = "p-degracht-090";
const PO_GGD: &str = "p-ggd-090";
const PO_OM: &str = "p-om-090";

/// Distinctive synthetic values planted in the partners' records: none of them may
/// ever appear in the log, an inzage overview or a notification.
pub(crate) const PLANTED: [&str; 4] = [
    "ZZQ-incident-7781",
    "ZZQ-huur-5524",
    "ZZQ-om-3310",
    "ZZQ-diagnose-9902",
];

pub(crate) fn oin(slug: &str) -> &'static str {
    PARTIES.iter().find(|p| p.slug == slug).expect("party").oin
}

/// The test's covenant pseudonym key (as in hubctl.rs): 32 bytes of 0x42.
pub(crate) const KEY_BYTES: [u8; 32] = [0x42; 32];
/// The dader's synthetic identifying data: name, date of birth, postcode, house number.
pub(crate) const DADER: [&str; 4] = ["Tobias Testdader", "1980-01-01", "1091 AB", "12"];

/// The dader's keyed pseudonym, as `hubctl subject add` computes it.
pub(crate) fn dader() -> String {
    treiter_pseudonym::PseudonymKey::from_bytes(&KEY_BYTES)
        .expect("key")
        .pseudonym(&treiter_pseudonym::Identity {
            name: DADER[0],
            birth_date: DADER[1],
            postcode: DADER[2],
            house_number: DADER[3],
        })
        .expect("pseudonym")
        .to_hex()
}

fn slachtoffer() -> String {
    "5b".repeat(32)
}

fn records(reference: &str, fields: serde_json::Value) -> serde_json::Value {
    json!([{ "reference": reference, "recorded_at": "2026-11-01T09:00:00Z", "fields": fields }])
}

fn write_exports(root: &Path) {
    let d = dader();
    write_export(
        root,
        "politie",
        "politie-incidenten",
        &d,
        &records(
            "BVH-9",
            json!({ "datum": "2026-10-30", "incidentsoort": "bedreiging",
                    "rol_betrokkene": "verdachte", "locatie": "Oost", "samenvatting": PLANTED[0] }),
        ),
    );
    write_export(
        root,
        "degracht",
        "huurgegevens",
        &d,
        &records(
            "DG-9",
            json!({ "huurder_sinds": "2015-04-01", "huurstatus": PLANTED[1],
                    "overlastdossier": "ja", "huurachterstand": "nee" }),
        ),
    );
    write_export(
        root,
        "om",
        "justitiele-gegevens",
        &d,
        &records(
            "OM-9",
            json!({ "lopende_zaak": "ja", "afdoening": PLANTED[2], "maatregelen": "geen" }),
        ),
    );
}

/// A hub with agents for every party but the GGD, whose link offers a record carrying
/// `diagnose` (so the hub itself rejects it, article 7.1).
pub(crate) struct World {
    pub(crate) pki: Pki,
    pub(crate) hub: TestHub,
    agents: JsonAgents,
    careless: tokio::task::JoinHandle<()>,
}

impl World {
    pub(crate) async fn start() -> World {
        let pki = Pki::new();
        let hub = TestHub::start(&pki).await;
        let exports = pki.dir.path().join("exports");
        write_exports(&exports);
        let agents = JsonAgents::start(&pki, hub.addr, &exports, &["ggd"]).await;
        let careless = careless_partner(
            &pki,
            &hub,
            "ggd",
            vec![wire::Record {
                category: "zorgbetrokkenheid".into(),
                fields: vec![field("zorg_betrokken", "ja"), field("diagnose", PLANTED[3])],
                source_reference: "GGD-9".into(),
                ..Default::default()
            }],
        )
        .await;
        World {
            pki,
            hub,
            agents,
            careless,
        }
    }

    pub(crate) async fn coordinator(&self, person: &str) -> CoordinatorClient<HubChannel> {
        CoordinatorClient::new(person_channel(&self.pki, person, self.hub.addr).await)
    }

    async fn officer(&self, person: &str) -> PrivacyOfficerClient<HubChannel> {
        PrivacyOfficerClient::new(person_channel(&self.pki, person, self.hub.addr).await)
    }

    /// A case in aanpak with a dader and a slachtoffer, and one case file for the
    /// stadsdeelregisseur: shares from politie, OM and De Gracht, and a rejected one
    /// from the GGD. Returns the case id.
    pub(crate) async fn case_with_shares(&self) -> String {
        let mut sdr = self.coordinator(SDR_OOST).await;
        let case = sdr
            .create_case(wire::CreateCaseRequest {
                client_request_id: "create".into(),
                stadsdeel: "oost".into(),
                melding_at: Some(prost_types::Timestamp::from(
                    std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
                )),
                external_reference: String::new(),
            })
            .await
            .expect("case")
            .into_inner()
            .case
            .expect("case")
            .id;
        for (subject, role) in [(dader(), "dader"), (slachtoffer(), "slachtoffer")] {
            sdr.add_subject(wire::AddSubjectRequest {
                client_request_id: format!("add-{role}"),
                case_id: case.clone(),
                subject: Some(wire::SubjectPseudonym { hex: subject }),
                role: role.into(),
                label: String::new(),
            })
            .await
            .expect("subject");
        }
        for next in ["registratie", "duiding", "aanpak"] {
            sdr.move_phase(wire::MovePhaseRequest {
                client_request_id: format!("move-{next}"),
                case_id: case.clone(),
                to_phase: next.into(),
                reason: "next step".into(),
                expected_phase: String::new(),
            })
            .await
            .expect("move");
        }
        self.case_file(&mut sdr, &case).await;
        case
    }

    pub(crate) async fn case_file(
        &self,
        c: &mut CoordinatorClient<HubChannel>,
        case: &str,
    ) -> wire::CaseFile {
        c.request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.into(),
            purpose: "aanpak".into(),
            subjects: Vec::new(),
            categories: Vec::new(),
            deadline_ms: 5000,
        })
        .await
        .expect("case file")
        .into_inner()
    }

    pub(crate) async fn stop(self) {
        self.careless.abort();
        self.agents.stop().await;
        self.hub.stop().await;
    }
}

async fn query(
    po: &mut PrivacyOfficerClient<HubChannel>,
    request: wire::QueryLogRequest,
) -> Vec<wire::LogEntry> {
    let mut stream = po.query_log(request).await.expect("query").into_inner();
    let mut out = Vec::new();
    while let Some(entry) = stream.message().await.expect("entry") {
        out.push(entry);
    }
    out
}

/// Whether a stored entry is a share `party` provided or received.
fn share_of(stored: &treiter_hub::log::StoredEntry, party: &str) -> bool {
    match &stored.entry.event {
        treiter_hub::log::Event::ShareDecision(d) => {
            format!("{:020}", d.source.0) == party || format!("{:020}", d.recipient.0) == party
        }
        _ => false,
    }
}

/// Whether a stored entry is a case change made by one of `party`'s persons (article
/// 10.1: case changes are logged too), or one that adds or removes it as participant.
fn own_case_change(stored: &treiter_hub::log::StoredEntry, party: &str) -> bool {
    match &stored.entry.event {
        treiter_hub::log::Event::CaseChange(c) => {
            use treiter_hub::log::entry::CaseChangeKind::{ParticipantAdded, ParticipantRemoved};
            let named = match &c.change {
                ParticipantAdded { party } | ParticipantRemoved { party } => Some(party.0),
                _ => None,
            };
            format!("{:020}", c.actor.party.0) == party
                || named.is_some_and(|p| format!("{p:020}") == party)
        }
        _ => false,
    }
}

fn source_and_recipient(entry: &wire::LogEntry) -> (String, String) {
    let d = entry.share_decision.as_ref().expect("a share decision");
    let party = |p: Option<&wire::Party>| p.map(|p| p.oin.clone()).unwrap_or_default();
    (
        party(d.source.as_ref()),
        party(d.recipient.as_ref().and_then(|r| r.party.as_ref())),
    )
}

#[tokio::test]
async fn each_party_reads_exactly_its_own_entries_and_proves_them() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let log = &world.hub.hub.log;

    // What each party may see, from the log itself (article 10.3).
    let everything = log.entries(0, log.tree_size()).expect("entries");
    assert!(everything.len() >= 4, "shares from several partners");
    for slug in [
        "politie",
        "degracht",
        "om",
        "ggd",
        "gemeente",
        "lieflijkwonen",
    ] {
        let expected: BTreeSet<u64> = everything
            .iter()
            .filter(|e| share_of(e, oin(slug)) || own_case_change(e, oin(slug)))
            .map(|e| e.index)
            .collect();
        let person = format!("p-{slug}-090");
        let mut po = world.officer(&person).await;
        let got = query(&mut po, wire::QueryLogRequest::default()).await;
        let indices: BTreeSet<u64> = got.iter().map(|e| e.leaf_index).collect();
        assert_eq!(indices, expected, "{slug} sees exactly its own entries");
        for entry in got.iter().filter(|e| e.share_decision.is_some()) {
            let (source, recipient) = source_and_recipient(entry);
            assert!(
                source == oin(slug) || recipient == oin(slug),
                "{slug}: {entry:?}"
            );
            let d = entry.share_decision.as_ref().expect("share");
            assert!(
                d.source.as_ref().is_some_and(|p| !p.name.is_empty()),
                "parties appear by name"
            );
        }
        if slug != "lieflijkwonen" {
            assert!(!expected.is_empty(), "{slug} provided or received a share");
        }
    }

    // Filters: the GGD's rejected share; politie's provided shares only.
    let mut ggd = world.officer(PO_GGD).await;
    let rejected = query(
        &mut ggd,
        wire::QueryLogRequest {
            outcomes: vec!["reject".into()],
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: dader() }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(rejected.len(), 1);
    let offered = &rejected[0]
        .share_decision
        .as_ref()
        .expect("share")
        .fields_offered;
    assert!(offered.contains(&"diagnose".to_owned()), "{offered:?}");
    let mut politie = world.officer(PO_POLITIE).await;
    let provided = query(
        &mut politie,
        wire::QueryLogRequest {
            direction: "provided".into(),
            include_entry: true,
            ..Default::default()
        },
    )
    .await;
    assert!(!provided.is_empty());
    let received = query(
        &mut politie,
        wire::QueryLogRequest {
            direction: "received".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(received.is_empty(), "politie received nothing in this case");
    let limited = query(
        &mut world.officer(PO_GEMEENTE).await,
        wire::QueryLogRequest {
            max_entries: 1,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(limited.len(), 1);
    let bad = politie
        .query_log(wire::QueryLogRequest {
            kinds: vec!["gossip".into()],
            ..Default::default()
        })
        .await
        .expect_err("unknown kind");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("gossip"), "{}", bad.message());

    // Every returned entry is provable against the signed checkpoint (10.2).
    let checkpoint = politie
        .get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
        .await
        .expect("checkpoint")
        .into_inner();
    let verifier = NoteVerifier::parse(&checkpoint.verifier_key).expect("verifier key");
    let opened = open_checkpoint(
        &checkpoint.origin,
        std::slice::from_ref(&verifier),
        &checkpoint.note,
    )
    .expect("the checkpoint verifies");
    let head = opened.checkpoint().clone();
    assert_eq!(head.size, checkpoint.tree_size);
    for entry in &provided {
        assert!(entry.leaf_index < head.size);
        let leaf = leaf_hash(&entry.entry);
        assert_eq!(leaf.as_bytes().as_slice(), entry.leaf_hash.as_slice());
        for text in PLANTED {
            assert!(
                !String::from_utf8_lossy(&entry.entry).contains(text),
                "a value reached the log"
            );
        }
        let proof = politie
            .get_inclusion_proof(wire::InclusionProofRequest {
                leaf_index: entry.leaf_index,
                tree_size: head.size,
            })
            .await
            .expect("proof")
            .into_inner();
        let hashes: Vec<Hash> = proof
            .hashes
            .iter()
            .map(|h| Hash::from_slice(h).expect("32 bytes"))
            .collect();
        verify_inclusion(&leaf, entry.leaf_index, head.size, &hashes, &head.root)
            .expect("included under the signed checkpoint");
    }

    // Another party's entry: refused under 10.3.
    let theirs = everything
        .iter()
        .find(|e| !share_of(e, oin("politie")))
        .expect("an entry politie has no part in");
    let refused = politie
        .get_inclusion_proof(wire::InclusionProofRequest {
            leaf_index: theirs.index,
            tree_size: head.size,
        })
        .await
        .expect_err("art. 10.3");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("10.3"), "{}", refused.message());

    // The log grows; the new checkpoint is consistent with the old one.
    let mut sdr = world.coordinator(SDR_OOST).await;
    world.case_file(&mut sdr, &case).await;
    let _ = query(&mut politie, wire::QueryLogRequest::default()).await;
    let newer = politie
        .get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
        .await
        .expect("checkpoint")
        .into_inner();
    let newer_head = open_checkpoint(&newer.origin, std::slice::from_ref(&verifier), &newer.note)
        .expect("verifies")
        .checkpoint()
        .clone();
    assert!(
        newer_head.size > head.size,
        "QueryLog signed a new checkpoint"
    );
    let consistency = politie
        .get_consistency_proof(wire::ConsistencyProofRequest {
            from_tree_size: head.size,
            to_tree_size: newer_head.size,
        })
        .await
        .expect("consistency proof")
        .into_inner();
    let hashes: Vec<Hash> = consistency
        .hashes
        .iter()
        .map(|h| Hash::from_slice(h).expect("32 bytes"))
        .collect();
    verify_consistency(
        head.size,
        newer_head.size,
        &head.root,
        &newer_head.root,
        &hashes,
    )
    .expect("the newer log extends the older one");
    let old = politie
        .get_checkpoint(wire::GetCheckpointRequest {
            tree_size: head.size,
        })
        .await
        .expect("the older checkpoint by size")
        .into_inner();
    // The same signed checkpoint; its note may have gained witnesses' cosignatures
    // since it was first read, so the checkpoint is compared, not the note's text.
    let old_head = open_checkpoint(&old.origin, std::slice::from_ref(&verifier), &old.note)
        .expect("verifies")
        .checkpoint()
        .clone();
    assert_eq!((old_head.size, old_head.root), (head.size, head.root));
    let missing = politie
        .get_checkpoint(wire::GetCheckpointRequest {
            tree_size: head.size + 1,
        })
        .await
        .expect_err("never signed");
    assert_eq!(missing.code(), Code::NotFound);
    world.stop().await;
}

#[tokio::test]
async fn coordinators_and_organisation_certificates_are_refused_every_rpc() {
    let world = World::start().await;
    let sdr = PrivacyOfficerClient::new(person_channel(&world.pki, SDR_OOST, world.hub.addr).await);
    let org =
        PrivacyOfficerClient::new(party_channel(&world.pki, "gemeente", world.hub.addr).await);
    for (mut client, who) in [(sdr, "coordinator"), (org, "organisation")] {
        let mut codes = Vec::new();
        codes.push(
            client
                .query_log(wire::QueryLogRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .get_checkpoint(wire::GetCheckpointRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .get_inclusion_proof(wire::InclusionProofRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .get_consistency_proof(wire::ConsistencyProofRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .request_inzage(wire::InzageRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .get_inzage(wire::GetInzageRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .list_inzages(wire::ListInzagesRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .list_notifications(wire::ListNotificationsRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .acknowledge_notification(wire::AcknowledgeNotificationRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .record_review(wire::RecordReviewRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
                .await
                .err(),
        );
        codes.push(
            client
                .get_evaluation_figures(wire::EvaluationFiguresRequest::default())
                .await
                .err(),
        );
        for status in codes {
            let status = status.unwrap_or_else(|| panic!("a {who} was let in"));
            assert_eq!(status.code(), Code::PermissionDenied, "{who}: {status:?}");
        }
    }
    world.stop().await;
}

#[tokio::test]
async fn the_gemeente_gets_an_inzage_overview_without_values() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let mut po = world.officer(PO_GEMEENTE).await;
    // 00:30 on a Monday in Amsterdam, still Sunday in UTC: the request is received on
    // Amsterdam's Monday (issue 16).
    world
        .hub
        .hub
        .clock
        .set(time::macros::datetime!(2026-12-06 23:30 UTC));
    let request = wire::InzageRequest {
        client_request_id: "inzage-1".into(),
        subject: Some(wire::SubjectPseudonym { hex: dader() }),
        received_on: String::new(),
        reference: "AVG-2026-17".into(),
    };
    let report = po
        .request_inzage(request.clone())
        .await
        .expect("inzage")
        .into_inner();
    assert!(report.id.starts_with("I-"), "{}", report.id);
    let sources: BTreeSet<&str> = report
        .items
        .iter()
        .filter_map(|i| i.source.as_ref().map(|p| p.oin.as_str()))
        .collect();
    for slug in ["politie", "om", "degracht", "ggd"] {
        assert!(
            sources.contains(oin(slug)),
            "{slug} shared about the dader: {sources:?}"
        );
    }
    assert!(report.items.iter().all(|i| i.case_id == case));
    assert!(report.items.iter().any(|i| i.outcome == "reject"));
    let received = time::Date::parse(
        &report.received_on,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .expect("date");
    let due = time::Date::parse(
        &report.due_on,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .expect("date");
    assert_eq!(due - received, time::Duration::days(28), "art. 11.2");
    assert_eq!(
        (report.received_on.as_str(), report.due_on.as_str()),
        ("2026-12-07", "2027-01-04")
    );
    let future = po
        .request_inzage(wire::InzageRequest {
            client_request_id: "inzage-future".into(),
            received_on: "2026-12-08".into(),
            ..request.clone()
        })
        .await
        .expect_err("received tomorrow");
    assert_eq!(future.code(), Code::InvalidArgument);
    assert_eq!(
        future.message(),
        "received_on 2026-12-08 is in the future: today is 2026-12-07 in Amsterdam"
    );
    for name in [
        "GGD Amsterdam",
        "Politie Eenheid Amsterdam",
        "Woonstichting De Gracht",
    ] {
        assert!(
            report.markdown.contains(name),
            "parties by name: {}",
            report.markdown
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report.json).expect("json");
    assert_eq!(
        json["items"].as_array().map(Vec::len),
        Some(report.items.len())
    );
    for text in PLANTED {
        assert!(!report.markdown.contains(text), "a value in the Markdown");
        assert!(!report.json.contains(text), "a value in the JSON");
        assert!(
            !format!("{report:?}").contains(text),
            "a value in the report"
        );
    }

    // Idempotent; the same id for another request is ALREADY_EXISTS.
    let again = po
        .request_inzage(request.clone())
        .await
        .expect("repeat")
        .into_inner();
    assert_eq!(again.id, report.id);
    let reused = po
        .request_inzage(wire::InzageRequest {
            subject: Some(wire::SubjectPseudonym { hex: slachtoffer() }),
            ..request.clone()
        })
        .await
        .expect_err("reused id");
    assert_eq!(reused.code(), Code::AlreadyExists);
    let listed = po
        .list_inzages(wire::ListInzagesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.inzages.len(), 1);
    assert!(listed.inzages[0].items.is_empty(), "listed without items");
    let fetched = po
        .get_inzage(wire::GetInzageRequest {
            inzage_id: report.id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(fetched.markdown, report.markdown);

    // A subject the log does not know: an empty overview, not an error.
    let empty = po
        .request_inzage(wire::InzageRequest {
            client_request_id: "inzage-2".into(),
            subject: Some(wire::SubjectPseudonym {
                hex: "ab".repeat(32),
            }),
            ..Default::default()
        })
        .await
        .expect("unknown subject")
        .into_inner();
    assert!(empty.items.is_empty());

    // Another party's privacy officer may not ask (11.1), nor read the gemeente's.
    let mut politie = world.officer(PO_POLITIE).await;
    let refused = politie
        .request_inzage(wire::InzageRequest {
            client_request_id: "x".into(),
            ..request
        })
        .await
        .expect_err("art. 11.1");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("11.1"), "{}", refused.message());
    let hidden = politie
        .get_inzage(wire::GetInzageRequest {
            inzage_id: report.id,
        })
        .await
        .expect_err("another party's");
    assert_eq!(hidden.code(), Code::NotFound);
    world.stop().await;
}

#[tokio::test]
async fn rejected_and_emergency_shares_notify_the_source_privacy_officer() {
    let world = World::start().await;
    let case = world.case_with_shares().await;

    // The GGD's rejected shares (7.1), one per subject.
    let mut ggd = world.officer(PO_GGD).await;
    let list = ggd
        .list_notifications(wire::ListNotificationsRequest::default())
        .await
        .expect("list")
        .into_inner();
    let reject = list
        .notifications
        .iter()
        .find(|n| n.kind == "reject")
        .expect("a reject notification")
        .clone();
    assert_eq!(reject.status, "open");
    let rejects: Vec<String> = list
        .notifications
        .iter()
        .filter(|n| n.kind == "reject")
        .map(|n| n.id.clone())
        .collect();
    assert_eq!(rejects.len(), 2, "one per subject: {list:?}");
    assert_eq!(list.open, 2);
    // Pages: one at a time, newest first.
    let first = ggd
        .list_notifications(wire::ListNotificationsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("page")
        .into_inner();
    assert_eq!(first.notifications.len(), 1);
    assert!(!first.next_page_token.is_empty());
    let second = ggd
        .list_notifications(wire::ListNotificationsRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("page")
        .into_inner();
    assert_eq!(second.notifications.len(), 1);
    assert_ne!(second.notifications[0].id, first.notifications[0].id);
    assert!(second.next_page_token.is_empty(), "the last page");
    assert_eq!(
        reject.notification.as_ref().map(|n| n.article.as_str()),
        Some("7.1")
    );
    let entry = reject.entry.as_ref().expect("the logged decision");
    let offered = &entry.share_decision.as_ref().expect("share").fields_offered;
    assert!(offered.contains(&"diagnose".to_owned()));
    assert!(!format!("{list:?}").contains(PLANTED[3]));
    let not_review = ggd
        .record_review(wire::RecordReviewRequest {
            client_request_id: "review-reject".into(),
            notification_ids: vec![reject.id.clone()],
            verdict: "justified".into(),
            note: String::new(),
        })
        .await
        .expect_err("a reject is not reviewed");
    assert_eq!(not_review.code(), Code::FailedPrecondition);
    let acked = ggd
        .acknowledge_notification(wire::AcknowledgeNotificationRequest {
            client_request_id: "ack-1".into(),
            notification_ids: rejects.clone(),
        })
        .await
        .expect("ack")
        .into_inner();
    assert_eq!(acked.notifications.len(), 2);
    assert_eq!(acked.notifications[0].status, "acknowledged");
    assert_eq!(
        acked.notifications[0]
            .acknowledged_by
            .as_ref()
            .map(|p| p.id.as_str()),
        Some(PO_GGD)
    );
    let open = ggd
        .list_notifications(wire::ListNotificationsRequest {
            open_only: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(open.notifications.is_empty());
    assert_eq!(open.open, 0);
    // Someone else's notification is NOT_FOUND.
    let mut degracht = world.officer(PO_DEGRACHT).await;
    let foreign = degracht
        .acknowledge_notification(wire::AcknowledgeNotificationRequest {
            client_request_id: "ack-x".into(),
            notification_ids: vec![reject.id.clone()],
        })
        .await
        .expect_err("not De Gracht's");
    assert_eq!(foreign.code(), Code::NotFound);

    // An emergency share from De Gracht to the politie's declarer (15.2).
    let mut politie = world.coordinator(POLITIE_CONTACT).await;
    politie
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "spoed".into(),
            case_id: case.clone(),
            reason: "acute dreiging".into(),
        })
        .await
        .expect("declared");
    let file = world.case_file(&mut politie, &case).await;
    assert!(file.under_emergency);
    let reviews = degracht
        .list_notifications(wire::ListNotificationsRequest {
            kinds: vec!["emergency-review".into()],
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(!reviews.notifications.is_empty(), "{reviews:?}");
    let review = &reviews.notifications[0];
    assert!(review.review_due_at.is_some());
    assert_eq!(
        review.emergency.as_ref().map(|e| e.reason.as_str()),
        Some("acute dreiging"),
        "the reviewer reads the written reason"
    );
    assert_eq!(reviews.overdue, 0);
    assert!(reviews.notifications.iter().all(|n| !n.overdue));
    let ids: Vec<String> = reviews.notifications.iter().map(|n| n.id.clone()).collect();
    // Seen is not reviewed: the review stays open.
    let seen = degracht
        .acknowledge_notification(wire::AcknowledgeNotificationRequest {
            client_request_id: "ack-review".into(),
            notification_ids: ids.clone(),
        })
        .await
        .expect("ack")
        .into_inner();
    assert!(
        seen.notifications
            .iter()
            .all(|n| n.status == "acknowledged")
    );
    // Four days later (over any weekend) the reviews are past their 1 working day.
    world.hub.hub.clock.advance(time::Duration::days(4));
    let late = degracht
        .list_notifications(wire::ListNotificationsRequest {
            open_only: true,
            kinds: vec!["emergency-review".into()],
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        late.notifications.len(),
        ids.len(),
        "acknowledged reviews stay open"
    );
    assert_eq!(late.overdue as usize, ids.len());
    assert!(late.notifications.iter().all(|n| n.overdue));
    let done = degracht
        .record_review(wire::RecordReviewRequest {
            client_request_id: "review-1".into(),
            notification_ids: ids.clone(),
            verdict: "justified".into(),
            note: "acuut gevaar, terecht".into(),
        })
        .await
        .expect("review")
        .into_inner();
    for n in &done.notifications {
        assert_eq!(n.status, "reviewed");
        let r = n.review.as_ref().expect("review");
        assert_eq!(r.verdict, "justified");
        assert!(r.late, "accepted, and marked late");
        assert!(!n.overdue);
    }
    let twice = degracht
        .record_review(wire::RecordReviewRequest {
            client_request_id: "review-2".into(),
            notification_ids: ids.clone(),
            verdict: "not-justified".into(),
            note: String::new(),
        })
        .await
        .expect_err("reviewed already");
    assert_eq!(twice.code(), Code::AlreadyExists);
    let bad = degracht
        .record_review(wire::RecordReviewRequest {
            client_request_id: "review-3".into(),
            notification_ids: ids,
            verdict: "maybe".into(),
            note: String::new(),
        })
        .await
        .expect_err("unknown verdict");
    assert_eq!(bad.code(), Code::InvalidArgument);
    world.stop().await;
}

#[tokio::test]
async fn evaluation_figures_are_counts_with_small_cells_suppressed() {
    let world = World::start().await;
    world.case_with_shares().await;
    let mut po = world.officer(PO_OM).await;
    let now = std::time::SystemTime::now();
    let day = std::time::Duration::from_secs(24 * 3600);
    let figures = po
        .get_evaluation_figures(wire::EvaluationFiguresRequest {
            period: Some(wire::Period {
                from: Some(prost_types::Timestamp::from(now - 2 * day)),
                until: Some(prost_types::Timestamp::from(now + day)),
            }),
        })
        .await
        .expect("figures")
        .into_inner();
    assert_eq!(figures.min_cell_size, 5);
    let registered = figures
        .figures
        .iter()
        .find(|f| f.measure == "cases-registered" && f.stadsdeel == "oost")
        .expect("one case registered in oost");
    assert!(registered.suppressed, "one case is below the cell size");
    assert_eq!(registered.count, 0);
    assert!(
        figures
            .figures
            .iter()
            .any(|f| f.measure == "share-decisions" && f.category == "zorgbetrokkenheid")
    );
    for f in &figures.figures {
        assert!(f.count == 0 || f.count >= 5, "a small count shown: {f:?}");
        assert_eq!(f.suppressed, f.count == 0, "{f:?}");
    }
    assert!(!format!("{figures:?}").contains(&dader()), "no pseudonyms");
    let missing = po
        .get_evaluation_figures(wire::EvaluationFiguresRequest { period: None })
        .await
        .expect_err("a period is required");
    assert_eq!(missing.code(), Code::InvalidArgument);
    world.stop().await;
}
