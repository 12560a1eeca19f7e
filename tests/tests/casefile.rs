//! Case files end to end: a real hub, a real agent per Annex A party answering from a
//! directory of synthetic JSON records, and coordinators with person certificates.
//! Every assertion is about what the requester receives: which fields pass, which are
//! stripped, which records are withheld and why, and what each partner's status is.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tonic::Code;
use treiter_certs_dev::PARTIES;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::{Agent, LinkStatus};
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use crate::support::{Pki, TestHub, agent_config_text, party_channel, person_channel};

pub(crate) const IM_OOST: &str = "p-gemeente-001";
const IM_WEST: &str = "p-gemeente-002";
pub(crate) const SDR_OOST: &str = "p-gemeente-004";
const POLITIE_CONTACT: &str = "p-politie-017";
const DEGRACHT_CONTACT: &str = "p-degracht-010";
const GGD_OIN: &str = "00000005000000000006";
const DEGRACHT_OIN: &str = "00000004000000000004";

/// The alleged harasser's and the victim's keyed pseudonyms (synthetic).
pub(crate) fn dader() -> String {
    "d0".repeat(32)
}
pub(crate) fn slachtoffer() -> String {
    "5a".repeat(32)
}

fn record(reference: &str, fields: serde_json::Value) -> serde_json::Value {
    json!([{ "reference": reference, "recorded_at": "2026-11-01T09:00:00Z", "fields": fields }])
}

/// Writes each party's synthetic export: `<root>/<slug>/<category>/<pseudonym>.json`.
pub(crate) fn write_sources(root: &Path) {
    let d = dader();
    let v = slachtoffer();
    let files: Vec<(&str, &str, &str, serde_json::Value)> = vec![
        (
            "politie",
            "politie-incidenten",
            &d,
            record(
                "BVH-0001",
                json!({
            "datum": "2026-10-30", "incidentsoort": "bedreiging", "rol_betrokkene": "verdachte",
            "locatie": "Oost", "samenvatting": "synthetische samenvatting" }),
            ),
        ),
        (
            "politie",
            "identificatie",
            &d,
            record(
                "BVH-P-1",
                json!({
            "naam": "T. Testdader", "adres": "Teststraat 1", "geboortedatum": "1980-01-01", "bsn": "000000000" }),
            ),
        ),
        (
            "om",
            "justitiele-gegevens",
            &d,
            record(
                "OM-77",
                json!({
            "lopende_zaak": "ja", "afdoening": "geen", "maatregelen": "contactverbod" }),
            ),
        ),
        (
            "degracht",
            "huurgegevens",
            &d,
            record(
                "DG-12",
                json!({
            "huurder_sinds": "2015-04-01", "huurstatus": "actief", "overlastdossier": "ja", "huurachterstand": "nee" }),
            ),
        ),
        (
            "degracht",
            "overlastmeldingen",
            &d,
            record(
                "DG-M-3",
                json!({
            "datum": "2026-10-01", "aard": "geluid", "locatie": "Oost", "omschrijving": "synthetisch",
            "melder_identiteit": "buurvrouw" }),
            ),
        ),
        (
            "ggd",
            "zorgbetrokkenheid",
            &d,
            record(
                "GGD-5",
                json!({
            "zorg_betrokken": "ja", "contactpersoon": "team Oost", "diagnose": "synthetisch" }),
            ),
        ),
        (
            "gemeente",
            "slachtofferinformatie",
            &v,
            record(
                "GEM-S-9",
                json!({
            "impact": "hoog", "behoeften": "rust", "veiligheidsrisico": "middel" }),
            ),
        ),
    ];
    for (slug, category, subject, value) in files {
        let dir = root.join(slug).join(category);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{subject}.json")), value.to_string()).expect("write");
    }
    for party in PARTIES {
        std::fs::create_dir_all(root.join(party.slug)).expect("mkdir");
    }
}

/// The agents of a test, each answering from its party's export.
pub(crate) struct Partners {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn config_for(pki: &Pki, hub: &TestHub, slug: &str) -> AgentConfig {
    let (cert, key) = pki.party(slug);
    let data = pki.dir.path().join("exports").join(slug);
    let text = format!(
        "{}\n[source]\nkind = \"json-dir\"\npath = \"{}\"\n",
        agent_config_text(pki, &cert, &key, hub.addr),
        data.display()
    );
    AgentConfig::parse(&text, Path::new("/")).expect("agent config")
}

impl Partners {
    /// Starts the agents of every party except `except`, and waits until they linked.
    pub(crate) async fn start(pki: &Pki, hub: &TestHub, except: &[&str]) -> Partners {
        write_sources(&pki.dir.path().join("exports"));
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        for party in PARTIES.iter().filter(|p| !except.contains(&p.slug)) {
            tasks.push(Self::spawn(config_for(pki, hub, party.slug), stopped.clone()).await);
        }
        Partners { stop, tasks }
    }

    pub(crate) async fn spawn(
        config: AgentConfig,
        mut stopped: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let agent = Arc::new(Agent::new(config).expect("agent"));
        let mut status = agent.status();
        let task = tokio::spawn(async move {
            agent
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
        .expect("agent links within 10 s")
        .expect("agent alive");
        task
    }

    pub(crate) async fn add(&mut self, pki: &Pki, hub: &TestHub, slug: &str) {
        let task = Self::spawn(config_for(pki, hub, slug), self.stop.subscribe()).await;
        self.tasks.push(task);
    }

    pub(crate) async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

pub(crate) async fn client(
    pki: &Pki,
    hub: &TestHub,
    person: &str,
) -> CoordinatorClient<HubChannel> {
    let channel = person_channel(pki, person, hub.addr).await;
    CoordinatorClient::new(channel)
}

fn now_ts() -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp::from(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    ))
}

/// Registers a case in oost with a dader and a slachtoffer, moved to `phase`.
pub(crate) async fn case_in(c: &mut CoordinatorClient<HubChannel>, phase: &str) -> String {
    let case = c
        .create_case(wire::CreateCaseRequest {
            client_request_id: "create".into(),
            stadsdeel: "oost".into(),
            melding_at: now_ts(),
            external_reference: String::new(),
        })
        .await
        .expect("case")
        .into_inner()
        .case
        .expect("case")
        .id;
    for (subject, role) in [(dader(), "dader"), (slachtoffer(), "slachtoffer")] {
        c.add_subject(wire::AddSubjectRequest {
            client_request_id: format!("add-{role}"),
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: subject }),
            role: role.into(),
            label: String::new(),
        })
        .await
        .expect("subject");
    }
    for next in ["registratie", "duiding", "aanpak", "afgesloten"] {
        let current = c
            .get_case(wire::GetCaseRequest {
                case_id: case.clone(),
            })
            .await
            .expect("case")
            .into_inner()
            .phase;
        if current == phase {
            break;
        }
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

pub(crate) async fn case_file(
    c: &mut CoordinatorClient<HubChannel>,
    case: &str,
    purpose: &str,
    deadline_ms: u32,
) -> Result<wire::CaseFile, tonic::Status> {
    c.request_case_file(wire::CaseFileRequest {
        client_request_id: String::new(),
        case_id: case.into(),
        purpose: purpose.into(),
        subjects: Vec::new(),
        categories: Vec::new(),
        deadline_ms,
    })
    .await
    .map(|r| r.into_inner())
}

pub(crate) fn partner<'a>(file: &'a wire::CaseFile, slug: &str) -> &'a wire::PartnerResult {
    let oin = PARTIES.iter().find(|p| p.slug == slug).expect("party").oin;
    file.partners
        .iter()
        .find(|p| p.party.as_ref().is_some_and(|p| p.oin == oin))
        .expect("every party is listed")
}

pub(crate) fn entries<'a>(
    file: &'a wire::CaseFile,
    category: &str,
) -> Vec<&'a wire::CaseFileEntry> {
    file.partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| e.category == category)
        .collect()
}

fn outcome(entry: &wire::CaseFileEntry) -> &str {
    entry
        .decision
        .as_ref()
        .map(|d| d.outcome.as_str())
        .unwrap_or("")
}

fn field_names(entry: &wire::CaseFileEntry) -> Vec<&str> {
    entry.fields.iter().map(|f| f.name.as_str()).collect()
}

#[tokio::test]
async fn a_case_from_melding_to_afgesloten_gets_what_the_covenant_permits() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut im, "duiding").await;

    // The informatiemakelaar in duiding: police incidents without samenvatting (6.3a),
    // no justitiële gegevens (6.4: stadsdeelregisseur, aanpak only).
    let file = case_file(&mut im, &case, "duiding", 5000)
        .await
        .expect("case file");
    assert_eq!(
        file.partners.len(),
        PARTIES.len(),
        "every party is listed once"
    );
    let incidents = entries(&file, "politie-incidenten");
    assert_eq!(incidents.len(), 1);
    assert_eq!(outcome(incidents[0]), "permit");
    assert!(!field_names(incidents[0]).contains(&"samenvatting"));
    let decision = incidents[0].decision.as_ref().expect("decision");
    assert_eq!(decision.stripped, ["samenvatting"]);
    assert!(
        decision.articles.contains(&"6.3a".to_owned()),
        "{:?}",
        decision.articles
    );
    assert!(
        decision
            .obligations
            .iter()
            .any(|o| o.kind == "purpose-binding" && o.purpose == "duiding")
    );
    assert_eq!(
        incidents[0]
            .provenance
            .as_ref()
            .expect("provenance")
            .source_reference,
        "BVH-0001"
    );
    assert!(entries(&file, "justitiele-gegevens").is_empty());
    // The OM may provide identificatie (6.1: any source), so it is asked, but only for
    // that; it holds none, so nothing of its justitiële gegevens is even requested.
    assert_eq!(partner(&file, "om").status, "no-records");
    // bsn passes only between gemeente and politie (6.1a): politie -> gemeente keeps it.
    let identificatie = entries(&file, "identificatie");
    assert!(field_names(identificatie[0]).contains(&"bsn"));
    // The melder's identity goes to an informatiemakelaar (8.3).
    let meldingen = entries(&file, "overlastmeldingen");
    assert!(field_names(meldingen[0]).contains(&"melder_identiteit"));
    assert_eq!(partner(&file, "politie").status, "answered");
    assert!(file.complete);

    // An informatiemakelaar of another stadsdeel gets nothing (5.3).
    let mut im_west = client(&pki, &hub, IM_WEST).await;
    let refused = case_file(&mut im_west, &case, "duiding", 5000)
        .await
        .expect_err("5.3");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("5.3"), "{}", refused.message());
    // A partnercontact of a party that does not participate gets nothing (5.4).
    let mut contact = client(&pki, &hub, DEGRACHT_CONTACT).await;
    let refused = case_file(&mut contact, &case, "aanpak", 5000)
        .await
        .expect_err("5.4");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("5.4"), "{}", refused.message());

    // The stadsdeelregisseur in aanpak: samenvatting and justitiële gegevens pass.
    sdr.record_consent(wire::RecordConsentRequest {
        client_request_id: "consent".into(),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym { hex: slachtoffer() }),
        category: "slachtofferinformatie".into(),
        date: "2026-11-01".into(),
    })
    .await
    .expect("consent");
    sdr.move_phase(wire::MovePhaseRequest {
        client_request_id: "to-aanpak".into(),
        case_id: case.clone(),
        to_phase: "aanpak".into(),
        reason: "joint approach".into(),
        expected_phase: "duiding".into(),
    })
    .await
    .expect("aanpak");
    let file = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect("case file");
    let incidents = entries(&file, "politie-incidenten");
    assert!(field_names(incidents[0]).contains(&"samenvatting"));
    let justitie = entries(&file, "justitiele-gegevens");
    assert_eq!(justitie.len(), 1);
    assert_eq!(outcome(justitie[0]), "permit");
    assert_eq!(field_names(justitie[0]).len(), 3);
    let victim = entries(&file, "slachtofferinformatie");
    assert_eq!(outcome(victim[0]), "permit", "consent recorded (6.9)");
    // The melder's identity is not for... the stadsdeelregisseur may have it too (8.3).
    // A record carrying `diagnose` is refused whole (7.1) and reported to the GGD's
    // privacy officer.
    let care = entries(&file, "zorgbetrokkenheid");
    assert_eq!(care.len(), 1);
    assert_eq!(outcome(care[0]), "reject");
    assert!(
        care[0].fields.is_empty(),
        "nothing of a rejected share passes"
    );
    assert!(
        care[0]
            .decision
            .as_ref()
            .expect("d")
            .articles
            .contains(&"7.1".to_owned())
    );
    assert_eq!(partner(&file, "ggd").status, "withheld");
    // The GGD's own pre-check refused it; the hub logs that refusal all the same
    // (article 10.1), with the names offered (diagnose among them), never a value.
    assert_eq!(care[0].decided_by, "source");
    let index = care[0]
        .provenance
        .as_ref()
        .expect("provenance")
        .log_leaf_index;
    let stored = hub.hub.log.entry(index).expect("the refusal is logged");
    let treiter_hub::log::Event::ShareDecision(logged) = &stored.entry.event else {
        panic!("entry {index} is not a share decision");
    };
    assert_eq!(logged.category.as_str(), "zorgbetrokkenheid");
    assert_eq!(logged.outcome.as_str(), "reject");
    assert!(logged.fields_offered.contains("diagnose"), "{logged:?}");
    assert!(!String::from_utf8_lossy(&stored.bytes).contains("synthetisch"));
    let notices = treiter_hub::casefile::notices::for_party(hub.hub.store.as_ref(), GGD_OIN)
        .expect("notices");
    assert!(
        notices
            .iter()
            .any(|n| n.article == "7.1" && n.case_id == case && n.log_leaf_index == Some(index)),
        "{notices:?}"
    );

    // Consent withdrawn: victim information is withheld from then on (11.3, 6.9).
    sdr.withdraw_consent(wire::WithdrawConsentRequest {
        client_request_id: "withdraw".into(),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym { hex: slachtoffer() }),
        category: "slachtofferinformatie".into(),
        date: "2026-11-20".into(),
    })
    .await
    .expect("withdrawn");
    let file = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect("case file");
    assert!(
        entries(&file, "slachtofferinformatie")
            .iter()
            .all(|e| outcome(e) != "permit"),
        "no victim information after the withdrawal"
    );
    // Without consent in force the hub does not even ask for it: the engine denies an
    // empty slachtofferinformatie share (6.9), so the gemeente only offers what else it
    // may, and it holds nothing else about these subjects.
    assert!(entries(&file, "slachtofferinformatie").is_empty());
    assert_eq!(partner(&file, "gemeente").status, "no-records");

    // Afgesloten: no new shares (4.4).
    sdr.move_phase(wire::MovePhaseRequest {
        client_request_id: "close".into(),
        case_id: case.clone(),
        to_phase: "afgesloten".into(),
        reason: "harassment ended".into(),
        expected_phase: String::new(),
    })
    .await
    .expect("afgesloten");
    let closed = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect_err("4.4");
    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert!(closed.message().contains("4.4"), "{}", closed.message());
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn an_emergency_share_passes_within_72_hours_and_not_after() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let mut politie = client(&pki, &hub, POLITIE_CONTACT).await;
    let case = case_in(&mut im, "duiding").await;

    let before = case_file(&mut politie, &case, "aanpak", 5000)
        .await
        .expect_err("no access yet");
    assert_eq!(before.code(), Code::PermissionDenied);
    politie
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "spoed".into(),
            case_id: case.clone(),
            reason: "acute dreiging".into(),
        })
        .await
        .expect("declared");
    let file = case_file(&mut politie, &case, "aanpak", 5000)
        .await
        .expect("emergency file");
    assert!(file.under_emergency);
    let tenancy = entries(&file, "huurgegevens");
    assert_eq!(
        tenancy.len(),
        1,
        "huurgegevens as the stadsdeelregisseur receives them (15.1, 15.4)"
    );
    let decision = tenancy[0].decision.as_ref().expect("decision");
    assert_eq!(decision.outcome, "permit");
    assert!(decision.emergency, "an emergency share (15.5)");
    assert!(decision.articles.contains(&"15.1".to_owned()));
    assert!(
        decision
            .notify
            .iter()
            .any(|n| n.article == "15.2" && n.oin == DEGRACHT_OIN)
    );
    assert!(decision.obligations.iter().any(|o| o.kind == "review"));
    assert!(
        entries(&file, "zorgbetrokkenheid").is_empty(),
        "never under an emergency (15.4)"
    );
    let notices = treiter_hub::casefile::notices::for_party(hub.hub.store.as_ref(), DEGRACHT_OIN)
        .expect("notices");
    assert!(notices.iter().any(|n| n.article == "15.2"));

    // 72 hours and a minute later the emergency is over (15.3): the declarer has no
    // access any more, so gets nothing.
    hub.hub
        .clock
        .advance(time::Duration::hours(72) + time::Duration::minutes(1));
    let after = case_file(&mut politie, &case, "aanpak", 5000)
        .await
        .expect_err("expired");
    assert_eq!(after.code(), Code::PermissionDenied);
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn offline_and_silent_partners_never_hold_up_the_others() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // The OM's agent is offline; Stichting Lieflijk Wonen's link is open but never
    // answers.
    let mut partners = Partners::start(&pki, &hub, &["om", "lieflijkwonen"]).await;
    let silent = crate::support::silent_link(&pki, "lieflijkwonen", hub.addr).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;

    let started = std::time::Instant::now();
    let file = case_file(&mut sdr, &case, "aanpak", 1500)
        .await
        .expect("case file");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the deadline bounds the wait"
    );
    let quiet = partner(&file, "lieflijkwonen");
    assert_eq!(quiet.status, "no-answer");
    assert_eq!(quiet.no_answer_reason, "deadline");
    assert_eq!(
        partner(&file, "politie").status,
        "answered",
        "others' data arrives"
    );
    let om = partner(&file, "om");
    assert_eq!(om.status, "offline-queued");
    assert!(om.queued_until.is_some());
    assert!(!file.complete, "the queued question may still add records");

    // The OM's agent comes back, receives the queued question, and its answer joins the
    // stored file.
    partners.add(&pki, &hub, "om").await;
    let id = file.id.clone();
    let mut joined = None;
    for _ in 0..100 {
        let now = sdr
            .get_case_file(wire::GetCaseFileRequest {
                case_file_id: id.clone(),
            })
            .await
            .expect("file")
            .into_inner();
        if partner(&now, "om").status == "answered" {
            joined = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = joined.expect("the queued question was answered after the reconnect");
    let om = partner(&joined, "om");
    assert!(om.late);
    let justitie = entries(&joined, "justitiele-gegevens");
    assert_eq!(justitie.len(), 1);
    assert!(justitie[0].late);
    assert_eq!(outcome(justitie[0]), "permit");
    drop(silent);
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn a_case_file_being_assembled_can_be_followed_by_its_requester() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // Stichting Lieflijk Wonen's link is open but never answers: the file stays
    // unsettled until the deadline, while the others settle.
    let partners = Partners::start(&pki, &hub, &["lieflijkwonen"]).await;
    let silent = crate::support::silent_link(&pki, "lieflijkwonen", hub.addr).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let case = case_in(&mut sdr, "duiding").await;

    let mut stream = sdr
        .watch_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.clone(),
            purpose: "duiding".into(),
            subjects: Vec::new(),
            categories: Vec::new(),
            deadline_ms: 10_000,
        })
        .await
        .expect("watch")
        .into_inner();
    let Some(wire::case_file_event::Event::Started(started)) =
        stream.message().await.expect("event").and_then(|e| e.event)
    else {
        panic!("the first event is CaseFileStarted");
    };
    // The client goes away; the assembly goes on, and GetCaseFile follows it.
    drop(stream);
    let id = started.case_file_id.clone();
    let get = |c: &mut CoordinatorClient<HubChannel>| {
        let req = wire::GetCaseFileRequest {
            case_file_id: id.clone(),
        };
        let mut c = c.clone();
        async move { c.get_case_file(req).await.map(|r| r.into_inner()) }
    };
    let mut seen = None;
    for _ in 0..200 {
        let now = get(&mut sdr).await.expect("the file as it stands");
        if partner(&now, "politie").status != "pending" {
            seen = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let now = seen.expect("the police settle before the deadline");
    assert!(now.settled_at.is_none(), "still assembling");
    assert!(now.summary.is_none());
    assert_eq!(partner(&now, "politie").status, "answered");
    assert!(!partner(&now, "politie").entries.is_empty());
    let quiet = partner(&now, "lieflijkwonen");
    assert_eq!(quiet.status, "pending");
    assert!(
        quiet.subjects.iter().all(|s| s.status == "asked"),
        "{quiet:?}"
    );
    let listed = sdr
        .list_case_files(wire::ListCaseFilesRequest {
            case_id: case.clone(),
        })
        .await
        .expect("list")
        .into_inner()
        .case_files;
    assert_eq!(listed.first().map(|f| f.id.as_str()), Some(id.as_str()));
    assert!(listed[0].settled_at.is_none());
    // Only the requester follows it.
    let other = get(&mut im).await.expect_err("another person");
    assert_eq!(other.code(), Code::NotFound);

    // At the deadline the file settles and is stored.
    let mut stored = None;
    for _ in 0..300 {
        let now = get(&mut sdr).await.expect("file");
        if now.settled_at.is_some() {
            stored = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = stored.expect("the file settles at the deadline");
    let quiet = partner(&stored, "lieflijkwonen");
    assert_eq!(quiet.status, "no-answer");
    assert_eq!(quiet.no_answer_reason, "deadline");
    assert!(stored.summary.is_some());
    let listed = sdr
        .list_case_files(wire::ListCaseFilesRequest {
            case_id: case.clone(),
        })
        .await
        .expect("list")
        .into_inner()
        .case_files;
    assert_eq!(listed.len(), 1, "listed once, from the store");
    drop(silent);
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn bad_case_file_requests_get_specific_statuses() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "duiding").await;
    let unknown = case_file(&mut sdr, "C-1999-0001", "duiding", 0)
        .await
        .expect_err("unknown case");
    assert_eq!(unknown.code(), Code::NotFound);
    let evaluatie = case_file(&mut sdr, &case, "evaluatie", 0)
        .await
        .expect_err("3.3");
    assert_eq!(evaluatie.code(), Code::InvalidArgument);
    assert!(evaluatie.message().contains("3.3"));
    let unfit = case_file(&mut sdr, &case, "aanpak", 0)
        .await
        .expect_err("aanpak does not fit duiding");
    assert_eq!(unfit.code(), Code::FailedPrecondition);
    assert!(
        unfit.message().contains("art. 4.2") && unfit.message().ends_with("duiding"),
        "{}",
        unfit.message()
    );
    let word = case_file(&mut sdr, &case, "onderzoek", 0)
        .await
        .expect_err("unknown purpose");
    assert_eq!(word.code(), Code::InvalidArgument);
    assert!(word.message().contains("purpose"));
    let long = case_file(&mut sdr, &case, "duiding", 600_000)
        .await
        .expect_err("deadline");
    assert_eq!(long.code(), Code::InvalidArgument);
    let malformed = sdr
        .add_subject(wire::AddSubjectRequest {
            client_request_id: "bad".into(),
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym {
                hex: "Jan Jansen".into(),
            }),
            role: "dader".into(),
            label: String::new(),
        })
        .await
        .expect_err("not a pseudonym");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert!(malformed.message().contains("subject.hex") && !malformed.message().contains("Jansen"));
    let oversized = sdr
        .create_case(wire::CreateCaseRequest {
            client_request_id: "big".into(),
            stadsdeel: "oost".into(),
            melding_at: now_ts(),
            external_reference: "x".repeat(1 << 20),
        })
        .await
        .expect_err("too large");
    assert_eq!(oversized.code(), Code::OutOfRange);
    assert!(
        oversized.message().contains("too large"),
        "{}",
        oversized.message()
    );
    // Nothing stored was changed by any of these.
    let after = sdr
        .get_case(wire::GetCaseRequest {
            case_id: case.clone(),
        })
        .await
        .expect("case")
        .into_inner();
    assert_eq!(after.phase, "duiding");
    assert_eq!(after.subjects.len(), 2);
    // A subject named twice is refused, naming both places, before anyone is asked.
    let named = |i: usize| after.subjects[i].subject.clone().expect("pseudonym");
    let twice = sdr
        .request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.clone(),
            purpose: "duiding".into(),
            subjects: vec![named(0), named(1), named(0)],
            categories: Vec::new(),
            deadline_ms: 0,
        })
        .await
        .expect_err("a subject named twice");
    assert_eq!(twice.code(), Code::InvalidArgument);
    assert!(
        twice.message().contains("subjects[2]") && twice.message().contains("subjects[0]"),
        "{}",
        twice.message()
    );
    let listed = sdr
        .list_cases(wire::ListCasesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.cases.len(), 1);
    hub.stop().await;
}

/// A partner without the agent's own pre-check: it answers every bevraging with a hit
/// and every share request with the records given, whatever they carry.
pub(crate) async fn careless_partner(
    pki: &Pki,
    hub: &TestHub,
    slug: &str,
    records: Vec<wire::Record>,
) -> tokio::task::JoinHandle<()> {
    use treiter_proto::v1::{
        AgentMessage, Answer, Hello, agent_message, answer, hub_message, question,
    };
    let channel = party_channel(pki, slug, hub.addr).await;
    let (outbound, rx) = tokio::sync::mpsc::channel(16);
    outbound
        .send(AgentMessage {
            body: Some(agent_message::Body::Hello(Hello {
                agent_version: "careless-test".into(),
                covenant_version: 1,
                instance_id: "careless".into(),
                ..Default::default()
            })),
        })
        .await
        .expect("hello");
    let mut inbound = treiter_proto::v1::agent_link_client::AgentLinkClient::new(channel)
        .link(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("link")
        .into_inner();
    tokio::spawn(async move {
        while let Ok(Some(message)) = inbound.message().await {
            let Some(hub_message::Body::Question(q)) = message.body else {
                continue;
            };
            let kind = match q.kind {
                Some(question::Kind::Bevraging(_)) => {
                    answer::Kind::Bevraging(wire::BevragingAnswer {
                        hit: true,
                        more_hits: Vec::new(),
                    })
                }
                Some(question::Kind::ShareRequest(r)) => answer::Kind::Shares(wire::ShareAnswer {
                    records: records
                        .iter()
                        .filter(|rec| r.categories.contains(&rec.category))
                        .cloned()
                        .map(|mut rec| {
                            rec.subject = r.subject.clone();
                            rec
                        })
                        .collect(),
                    withheld: Vec::new(),
                    more_subjects_answered: false,
                }),
                None => continue,
            };
            let reply = AgentMessage {
                body: Some(agent_message::Body::Answer(Answer {
                    request_id: q.request_id,
                    kind: Some(kind),
                })),
            };
            if outbound.send(reply).await.is_err() {
                return;
            }
        }
    })
}

pub(crate) fn field(name: &str, value: &str) -> wire::Field {
    wire::Field {
        name: name.into(),
        value: value.into(),
    }
}

#[tokio::test]
async fn the_hub_itself_rejects_prohibited_content_and_strips_unlisted_fields() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let careless = careless_partner(
        &pki,
        &hub,
        "ggd",
        vec![wire::Record {
            category: "zorgbetrokkenheid".into(),
            fields: vec![
                field("zorg_betrokken", "ja"),
                field("contactpersoon", "team Oost"),
                field("diagnose", "synthetisch"),
            ],
            source_reference: "GGD-X".into(),
            ..Default::default()
        }],
    )
    .await;
    let sloppy = careless_partner(
        &pki,
        &hub,
        "degracht",
        vec![wire::Record {
            category: "huurgegevens".into(),
            fields: vec![
                field("huurstatus", "actief"),
                field("huurachterstand", "nee"),
                field("telefoonnummer", "0600000000"),
            ],
            source_reference: "DG-X".into(),
            ..Default::default()
        }],
    )
    .await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 3000)
        .await
        .expect("case file");

    let care = entries(&file, "zorgbetrokkenheid");
    assert!(!care.is_empty());
    for entry in care {
        assert_eq!(entry.decided_by, "hub");
        assert_eq!(
            outcome(entry),
            "reject",
            "refused as a whole (7.1), not stripped"
        );
        assert!(entry.fields.is_empty());
        let decision = entry.decision.as_ref().expect("decision");
        assert_eq!(decision.articles, ["7.1"]);
        assert!(
            decision
                .notify
                .iter()
                .any(|n| n.oin == GGD_OIN && n.article == "7.1")
        );
    }
    let notices = treiter_hub::casefile::notices::for_party(hub.hub.store.as_ref(), GGD_OIN)
        .expect("notices");
    assert!(
        notices
            .iter()
            .any(|n| n.article == "7.1" && n.case_id == case)
    );

    let tenancy = entries(&file, "huurgegevens");
    assert!(!tenancy.is_empty());
    for entry in tenancy {
        assert_eq!(outcome(entry), "permit");
        assert_eq!(field_names(entry), ["huurachterstand", "huurstatus"]);
        let decision = entry.decision.as_ref().expect("decision");
        assert_eq!(
            decision.stripped,
            ["telefoonnummer"],
            "8.1: not a field of huurgegevens"
        );
        assert!(decision.articles.contains(&"8.1".to_owned()));
    }
    careless.abort();
    sloppy.abort();
    hub.stop().await;
}

#[tokio::test]
async fn bevraging_reports_hits_and_watching_streams_each_partner() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let case = case_in(&mut im, "registratie").await;
    let stranger = "ab".repeat(32);
    im.add_subject(wire::AddSubjectRequest {
        client_request_id: "stranger".into(),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym {
            hex: stranger.clone(),
        }),
        role: "melder".into(),
        label: String::new(),
    })
    .await
    .expect("subject");

    let result = |hits: &wire::BevragingResult, slug: &str| {
        let oin = PARTIES.iter().find(|p| p.slug == slug).expect("party").oin;
        hits.partners
            .iter()
            .find(|p| p.party.as_ref().is_some_and(|p| p.oin == oin))
            .map(|p| p.result.clone())
            .expect("listed")
    };
    let hits = im
        .bevraag(wire::BevraagRequest {
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: dader() }),
            deadline_ms: 3000,
        })
        .await
        .expect("bevraging")
        .into_inner();
    assert_eq!(
        hits.purpose, "registratie",
        "the purpose that fits the phase (4.2)"
    );
    assert_eq!(hits.partners.len(), PARTIES.len());
    assert_eq!(result(&hits, "politie"), "hit");
    assert_eq!(result(&hits, "degracht"), "hit");
    assert_eq!(result(&hits, "lieflijkwonen"), "no-hit");
    assert_eq!(
        result(&hits, "om"),
        "no-answer",
        "offline, and a bevraging is never queued"
    );
    let nobody = im
        .bevraag(wire::BevraagRequest {
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: stranger }),
            deadline_ms: 3000,
        })
        .await
        .expect("bevraging")
        .into_inner();
    assert!(
        nobody
            .partners
            .iter()
            .all(|p| p.result == "no-hit" || p.result == "not-asked" || p.result == "no-answer"),
        "nobody knows the stranger"
    );

    let mut stream = im
        .watch_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.clone(),
            purpose: "registratie".into(),
            subjects: Vec::new(),
            categories: Vec::new(),
            deadline_ms: 2000,
        })
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("event") {
        events.push(event.event.expect("event"));
    }
    use wire::case_file_event::Event;
    let Some(Event::Started(started)) = events.first() else {
        panic!("the first event is CaseFileStarted");
    };
    let asked = started.asked.len();
    assert_eq!(asked + started.not_asked.len(), PARTIES.len());
    let partner_events = events
        .iter()
        .filter(|e| matches!(e, Event::Partner(_)))
        .count();
    assert_eq!(partner_events, asked, "one result per asked party");
    let Some(Event::Summary(summary)) = events.last() else {
        panic!("the last event is the summary");
    };
    assert_eq!(summary.case_file_id, started.case_file_id);
    assert_eq!(
        summary.offline_queued, 1,
        "the OM's questions wait in its queue"
    );

    // The queue time runs out: the OM is then shown as not answering.
    hub.hub.clock.advance(time::Duration::hours(73));
    let later = im
        .get_case_file(wire::GetCaseFileRequest {
            case_file_id: started.case_file_id.clone(),
        })
        .await
        .expect("file")
        .into_inner();
    let om = partner(&later, "om");
    assert_eq!(om.status, "no-answer");
    assert_eq!(om.no_answer_reason, "queue-expired");
    partners.stop().await;
    hub.stop().await;
}

#[tokio::test]
async fn a_late_answer_kept_before_a_crash_joins_its_case_file_after_the_restart() {
    use treiter_hub::store::Store;
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("replay-hub-data");
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let first = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let partners = Partners::start(&pki, &first, &["om"]).await;
    let mut sdr = client(&pki, &first, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 2000)
        .await
        .expect("file");
    assert_eq!(partner(&file, "om").status, "offline-queued");
    partners.stop().await;
    first.stop().await;

    // What the hub writes when the OM's answer arrives, just before it would join the
    // file: the question leaves the outbox and the answer is kept. Then it "crashes".
    {
        let store: Arc<dyn Store> = crate::support::open_state_store(&pki, &data_dir).await;
        let om = treiter_hub::identity::Oin::parse("00000003000000000003").expect("oin");
        let outbox = treiter_hub::questions::outbox::Outbox::new(store.clone());
        let (queued, _) = outbox.for_party(&om).expect("outbox");
        assert_eq!(
            queued.len(),
            2,
            "the OM's bevraging per subject waits in the outbox"
        );
        for entry in queued {
            let request_id = entry.request_id().as_str().to_owned();
            let answer = wire::Answer {
                request_id: request_id.clone(),
                kind: Some(wire::answer::Kind::Bevraging(wire::BevragingAnswer {
                    hit: false,
                    more_hits: Vec::new(),
                })),
            };
            assert!(outbox.settle(&om, &request_id, &answer).expect("settle"));
            assert!(
                outbox
                    .kept_answers()
                    .expect("read")
                    .iter()
                    .any(|(_, kept, _)| *kept == request_id)
            );
        }
    }

    let second = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let mut sdr = client(&pki, &second, SDR_OOST).await;
    let mut joined = None;
    for _ in 0..100 {
        let now = sdr
            .get_case_file(wire::GetCaseFileRequest {
                case_file_id: file.id.clone(),
            })
            .await
            .expect("file")
            .into_inner();
        if partner(&now, "om").status == "no-hit" {
            joined = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let joined = joined.expect("the kept answer joined its case file after the restart");
    assert!(partner(&joined, "om").late);
    assert!(
        second
            .hub
            .questioner
            .outbox()
            .kept_answers()
            .expect("scan")
            .is_empty(),
        "forgotten in the same batch that stored the file"
    );
    second.stop().await;
}

#[tokio::test]
async fn every_decision_is_in_the_log_and_a_failing_log_passes_nothing() {
    use treiter_hub::log::hash::leaf_hash;
    use treiter_hub::log::proof::verify_inclusion;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect("case file");

    let log = &hub.hub.log;
    let checkpoint = log.latest_checkpoint().expect("a checkpoint was signed");
    let head = checkpoint.checkpoint().clone();
    let opened = treiter_hub::log::checkpoint::open_checkpoint(
        &head.origin,
        &[log.verifier()],
        &checkpoint.to_bytes(),
    )
    .expect("the checkpoint verifies with the hub's key");
    assert_eq!(opened.checkpoint().size, head.size);
    let hub_decided: Vec<_> = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| e.decided_by == "hub")
        .collect();
    assert!(!hub_decided.is_empty());
    for entry in hub_decided {
        let index = entry
            .provenance
            .as_ref()
            .expect("provenance")
            .log_leaf_index;
        let stored = log.entry(index).expect("logged");
        let treiter_hub::log::Event::ShareDecision(logged) = &stored.entry.event else {
            panic!("entry {index} is not a share decision");
        };
        assert_eq!(logged.category.as_str(), entry.category);
        assert_eq!(logged.case.as_str(), case);
        let decision = entry.decision.as_ref().expect("decision");
        assert_eq!(logged.outcome.as_str(), decision.outcome);
        // Names only: no value of any field is in the log.
        let text = String::from_utf8_lossy(&stored.bytes);
        for field in &entry.fields {
            let token = format!("\"{}\"", field.value);
            assert!(
                !text.contains(&token),
                "the value of {} reached the log: {text}",
                field.name
            );
        }
        let proof = log.inclusion_proof(index, head.size).expect("proof");
        verify_inclusion(
            &leaf_hash(&stored.bytes),
            index,
            head.size,
            &proof,
            &head.root,
        )
        .expect("the entry is included under the signed checkpoint");
    }

    // The log fails closed: when it cannot write, no case file passes anything.
    let before = log.tree_size();
    hub.hub.log.faults().fail_writes();
    let refused = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect_err("no durable log entry, no share");
    assert_eq!(refused.code(), Code::Unavailable);
    assert!(
        refused.message().contains("decision log"),
        "{}",
        refused.message()
    );
    assert_eq!(log.tree_size(), before, "a failed append counts nothing");
    hub.hub.log.faults().clear();
    case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect("works again once the log can write");
    partners.stop().await;
    hub.stop().await;
}

/// Article 12.2: the values a case file carries are stored sealed under the case's
/// key, so the data directory holds none of them in the clear (nor does the log).
#[tokio::test]
async fn case_file_values_are_encrypted_at_rest() {
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("sealed-hub-data");
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let hub = TestHub::start_in(&pki, loopback, &data_dir, "").await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 5000)
        .await
        .expect("case file");
    let values: Vec<&str> = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .flat_map(|e| e.fields.iter())
        .map(|f| f.value.as_str())
        .collect();
    // Distinctive synthetic values from the exports, which the file did pass on.
    let distinctive = ["synthetische samenvatting", "contactverbod"];
    for value in distinctive {
        assert!(
            values.contains(&value),
            "{value} is in the file: {values:?}"
        );
    }
    partners.stop().await;
    hub.stop().await;

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
            for value in distinctive {
                assert!(
                    !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                    "{value} is in the clear in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "the scan read the store's files");
}

/// Article 9: a case's files, and the questions still queued for it, go with the case
/// when its retention ends; its decision-log entries stay.
#[tokio::test]
async fn case_files_and_queued_questions_are_deleted_with_their_case() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // The OM's agent is offline: its questions wait in the outbox, for this case.
    let partners = Partners::start(&pki, &hub, &["om"]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let file = case_file(&mut sdr, &case, "aanpak", 3000)
        .await
        .expect("case file");
    assert_eq!(partner(&file, "om").status, "offline-queued");
    assert!(!hub.hub.questioner.outbox().is_empty().expect("outbox"));
    sdr.move_phase(wire::MovePhaseRequest {
        client_request_id: "close".into(),
        case_id: case.clone(),
        to_phase: "afgesloten".into(),
        reason: "done".into(),
        expected_phase: "aanpak".into(),
    })
    .await
    .expect("afgesloten");
    let entries_before = hub.hub.log.tree_size();

    hub.hub.clock.advance(time::Duration::days(745));
    let report = hub.hub.sweep_retention().await.expect("sweep");
    assert_eq!(report.deleted.len(), 1, "{report:?}");
    assert_eq!(report.deleted[0].case, case);
    let gone = sdr
        .get_case_file(wire::GetCaseFileRequest {
            case_file_id: file.id.clone(),
        })
        .await
        .expect_err("the case file is gone");
    assert_eq!(gone.code(), Code::NotFound, "{}", gone.message());
    let counts = hub.hub.sealed.record_counts().expect("scan");
    for space in [
        "cases",
        "case-files",
        "outbox",
        "late-answers",
        "idempotency",
    ] {
        assert_eq!(
            counts.get(space),
            Some(&0),
            "{space} still holds records of the deleted case"
        );
    }
    // The share decisions stay in the log; the deletion is added to them.
    assert_eq!(hub.hub.log.tree_size(), entries_before + 1);
    hub.hub.log.verify().expect("the log verifies");
    partners.stop().await;
    hub.stop().await;
}

/// A request sent again at once under the same `client_request_id` (a double submit,
/// a client's retry) gets the file the first started, however the two interleave: the
/// hub's async workers run side by side, and a repeat that found no earlier file before
/// the first was numbered must not start a second (its partners asked, its decisions
/// logged and its records delivered twice). Five rounds of eight at once, each on a
/// connection of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_sent_again_at_once_gets_the_file_the_first_started() {
    const REPEATS: usize = 8;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let mut clients = Vec::new();
    for _ in 0..REPEATS {
        clients.push(client(&pki, &hub, SDR_OOST).await);
    }
    for round in 0..5 {
        let at_once = Arc::new(tokio::sync::Barrier::new(REPEATS));
        let mut requests = tokio::task::JoinSet::new();
        for c in &clients {
            let (mut c, case, at_once) = (c.clone(), case.clone(), at_once.clone());
            requests.spawn(async move {
                at_once.wait().await;
                c.request_case_file(wire::CaseFileRequest {
                    client_request_id: format!("dubbel-verstuurd-{round}"),
                    case_id: case,
                    purpose: "aanpak".into(),
                    subjects: Vec::new(),
                    categories: Vec::new(),
                    deadline_ms: 3000,
                })
                .await
                .map(|r| r.into_inner())
            });
        }
        let mut ids = std::collections::BTreeSet::new();
        while let Some(done) = requests.join_next().await {
            ids.insert(done.expect("request task").expect("case file").id);
        }
        assert_eq!(
            ids.len(),
            1,
            "round {round}: one file for one request: {ids:?}"
        );
    }
    let stored = treiter_hub::casefile::record::all(hub.hub.store.as_ref())
        .expect("the case files read")
        .into_iter()
        .flatten()
        .filter(|f| f.case_id == case)
        .count();
    assert_eq!(stored, 5, "one file stored per request");
    partners.stop().await;
    hub.stop().await;
}

/// Case files requested at the same moment about one case each get a number of their
/// own: the hub's async workers run side by side, and taking the case's next number
/// (read the counter, then write it with the file's marker) must not hand one number to
/// two files (the second would overwrite the first when stored).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn case_files_requested_at_once_get_distinct_numbers() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "aanpak").await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (mut sdr, case) = (sdr.clone(), case.clone());
        requests.spawn(async move { case_file(&mut sdr, &case, "aanpak", 3000).await });
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut files = 0;
    while let Some(done) = requests.join_next().await {
        let file = done.expect("request task").expect("case file");
        ids.insert(file.id);
        files += 1;
    }
    assert_eq!(
        ids.len(),
        files,
        "every case file has its own number: {ids:?}"
    );
    // Each is stored, under its own id.
    for id in &ids {
        let stored = sdr
            .get_case_file(wire::GetCaseFileRequest {
                case_file_id: id.clone(),
            })
            .await
            .expect("stored file")
            .into_inner();
        assert_eq!(&stored.id, id);
    }
    partners.stop().await;
    hub.stop().await;
}
