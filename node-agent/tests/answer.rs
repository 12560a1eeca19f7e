//! The agent's answering logic, fed questions directly (no hub): a politie agent with a
//! JSON export in a temporary directory, deciding with the workspace's covenant.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use treiter_node_agent::answer::{Answerer, reason};
use treiter_node_agent::gate::OwnParty;
use treiter_node_agent::receipts::{self, Event as ReceiptEvent, ReceiptLog};
use treiter_node_agent::sources::JsonDirSource;
use treiter_policies::{Category, Covenant, Oin, PartyKind};
use treiter_proto::v1::{
    Answer, Bevraging, CaseContext, CaseSubject, Question, Recipient, ShareAnswer, ShareRequest,
    SubjectPseudonym, answer, question,
};

/// A subject the politie export knows (a dader).
const KNOWN: &str = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
/// A subject it does not know.
const UNKNOWN: &str = "0000000000000000000000000000000000000000000000000000000000000001";
/// A subject whose record carries a `diagnose`.
const WITH_DIAGNOSE: &str = "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0";

const POLITIE: &str = "00000002000000000002";
const GEMEENTE: &str = "00000001000000000001";

fn covenant() -> Covenant {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant");
    let text = std::fs::read_to_string(path).expect("covenant");
    Covenant::parse("treiteraanpak.covenant", &text).expect("valid covenant")
}

fn own() -> OwnParty {
    OwnParty {
        oin: Oin::parse(POLITIE).expect("oin"),
        kind: PartyKind::Politie,
    }
}

fn write(root: &Path, category: &str, subject: &str, json: &str) {
    let dir = root.join(category);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(format!("{subject}.json")), json).expect("write");
}

/// A politie export: incidents for KNOWN (with a samenvatting) and for WITH_DIAGNOSE
/// (one record carrying a diagnose, one clean).
fn export() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "politie-incidenten",
        KNOWN,
        r#"[{"reference": "BVH-2026-0001", "recorded_at": "2026-11-01T09:00:00Z",
             "fields": {"datum": "2026-10-30", "incidentsoort": "bedreiging",
                        "rol_betrokkene": "verdachte", "locatie": "Javastraat",
                        "samenvatting": "SECRET-SUMMARY", "interne_notitie": "SECRET-NOTE"}}]"#,
    );
    write(
        dir.path(),
        "politie-incidenten",
        WITH_DIAGNOSE,
        r#"[{"reference": "BVH-2026-0002", "recorded_at": "2026-11-02T09:00:00Z",
             "fields": {"datum": "2026-11-01", "incidentsoort": "vernieling",
                        "diagnose": "SECRET-DIAGNOSIS"}},
            {"reference": "BVH-2026-0003", "recorded_at": "2026-11-03T09:00:00Z",
             "fields": {"datum": "2026-11-02", "incidentsoort": "overlast"}}]"#,
    );
    dir
}

fn answerer(dir: &Path) -> Answerer {
    let source = JsonDirSource::open(dir).expect("source");
    Answerer::new(
        covenant(),
        Some(Box::new(source)),
        vec![Category::PolitieIncidenten],
    )
}

fn ts(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn bevraging(id: &str, subject: &str) -> Question {
    Question {
        request_id: id.into(),
        deadline: Some(ts(now() + Duration::from_secs(60))),
        kind: Some(question::Kind::Bevraging(Bevraging {
            subject: Some(SubjectPseudonym {
                hex: subject.into(),
            }),
            more_subjects: Vec::new(),
        })),
    }
}

/// A bevraging about `first` and then `more`.
fn many(id: &str, first: &str, more: &[&str]) -> Question {
    let mut q = bevraging(id, first);
    if let Some(question::Kind::Bevraging(b)) = &mut q.kind {
        b.more_subjects = more
            .iter()
            .map(|s| SubjectPseudonym { hex: (*s).into() })
            .collect();
    }
    q
}

/// A share request from the informatiemakelaar of oost, in duiding.
fn share_request(id: &str, subject: &str) -> Question {
    let pseudonym = SubjectPseudonym {
        hex: subject.into(),
    };
    Question {
        request_id: id.into(),
        deadline: Some(ts(now() + Duration::from_secs(60))),
        kind: Some(question::Kind::ShareRequest(ShareRequest {
            case: Some(CaseContext {
                id: "C-2026-0042".into(),
                stadsdeel: "oost".into(),
                phase: "duiding".into(),
                escalated: false,
                participants: vec![],
                subjects: vec![CaseSubject {
                    subject: Some(pseudonym.clone()),
                    role: "dader".into(),
                    consent: vec![],
                }],
                emergency: None,
            }),
            subject: Some(pseudonym),
            subject_role: "dader".into(),
            categories: vec!["politie-incidenten".into(), "huurgegevens".into()],
            purpose: "duiding".into(),
            recipient: Some(Recipient {
                oin: GEMEENTE.into(),
                kind: "gemeente".into(),
                role: "informatiemakelaar".into(),
                stadsdeel: "oost".into(),
                person: "p-gemeente-001".into(),
            }),
            at: Some(ts(now())),
            covenant_version: 1,
            more_subjects: vec![],
        })),
    }
}

/// [`share_request`] about KNOWN, and about `more` subjects (dader, politie-incidenten)
/// in the same question (a hub that read the Hello's `share_request_of_many_subjects`).
fn share_request_for_many(id: &str, more: &[&str]) -> Question {
    let mut q = share_request(id, KNOWN);
    if let Some(question::Kind::ShareRequest(r)) = &mut q.kind {
        r.more_subjects = more
            .iter()
            .map(|s| treiter_proto::v1::SubjectShareRequest {
                subject: Some(SubjectPseudonym { hex: (*s).into() }),
                subject_role: "dader".into(),
                categories: vec!["politie-incidenten".into()],
            })
            .collect();
    }
    q
}

fn shares(answer: &Answer) -> &ShareAnswer {
    match &answer.kind {
        Some(answer::Kind::Shares(s)) => s,
        other => panic!("expected shares, got {other:?}"),
    }
}

fn unanswerable(answer: &Answer) -> (&str, &str) {
    match &answer.kind {
        Some(answer::Kind::Unanswerable(u)) => (u.reason.as_str(), u.detail.as_str()),
        other => panic!("expected unanswerable, got {other:?}"),
    }
}

fn hit(answer: &Answer) -> bool {
    match &answer.kind {
        Some(answer::Kind::Bevraging(b)) => b.hit,
        other => panic!("expected a bevraging answer, got {other:?}"),
    }
}

#[test]
fn bevraging_hit_and_no_hit() {
    let dir = export();
    let agent = answerer(dir.path());
    let a = agent.answer(&bevraging("q-hit", KNOWN), &own(), now());
    assert_eq!(a.request_id, "q-hit");
    assert!(hit(&a));
    assert!(!hit(&agent.answer(
        &bevraging("q-miss", UNKNOWN),
        &own(),
        now()
    )));
}

/// A bevraging about several subjects (a hub that read the Hello's
/// `bevraging_of_many_subjects`) gets a hit or no hit for each, in the order asked; one
/// beyond the bound, or a malformed one among them, makes the question malformed,
/// naming the field.
#[test]
fn a_bevraging_about_several_subjects_answers_each_in_order() {
    let dir = export();
    let agent = answerer(dir.path());
    let also_unknown = "0e".repeat(32);
    let a = agent.answer(
        &many("q-many", UNKNOWN, &[KNOWN, &also_unknown, WITH_DIAGNOSE]),
        &own(),
        now(),
    );
    match &a.kind {
        Some(answer::Kind::Bevraging(b)) => {
            assert!(!b.hit);
            assert_eq!(b.more_hits, vec![true, false, true]);
        }
        other => panic!("expected a bevraging answer, got {other:?}"),
    }
    let bad = agent.answer(&many("q-bad", KNOWN, &[UNKNOWN, "not-hex"]), &own(), now());
    let (reason, detail) = unanswerable(&bad);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(detail.contains("bevraging.more_subjects[1]"), "{detail}");
    // A subject asked about twice would be answered (and receipted) twice.
    let twice = agent.answer(
        &many("q-twice", KNOWN, &[UNKNOWN, WITH_DIAGNOSE, UNKNOWN]),
        &own(),
        now(),
    );
    let (reason, detail) = unanswerable(&twice);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(detail.contains("bevraging.more_subjects[2]"), "{detail}");
    assert!(detail.contains("asked about earlier"), "{detail}");
    let first_again = agent.answer(&many("q-again", KNOWN, &[KNOWN]), &own(), now());
    let (_, detail) = unanswerable(&first_again);
    assert!(detail.contains("bevraging.more_subjects[0]"), "{detail}");
    let too_many = vec![UNKNOWN; treiter_proto::limits::MAX_BEVRAGING_SUBJECTS];
    let over = agent.answer(&many("q-over", KNOWN, &too_many), &own(), now());
    let (reason, detail) = unanswerable(&over);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(detail.contains("bevraging.more_subjects"), "{detail}");
}

/// A json-dir source reads its files for a bevraging about a subject it has not read
/// (or whose files changed since): it is answered on a blocking thread, as every share
/// request is; once read and unchanged, from memory. An agent without a source answers
/// from memory.
#[test]
fn only_in_memory_bevragingen_skip_the_blocking_thread() {
    let dir = export();
    let agent = answerer(dir.path());
    let from_memory = |agent: &Answerer, q: &Question| agent.answer_from_memory(q, &own(), now());
    assert_eq!(from_memory(&agent, &bevraging("q", KNOWN)), None);
    assert_eq!(from_memory(&agent, &share_request("s", KNOWN)), None);
    let first = agent.answer(&bevraging("q", KNOWN), &own(), now());
    let again = from_memory(&agent, &bevraging("q2", KNOWN)).expect("from memory");
    assert_eq!(first.kind, again.kind);
    assert_eq!(again.request_id, "q2");
    assert_eq!(from_memory(&agent, &many("q3", KNOWN, &[UNKNOWN])), None);
    assert_eq!(from_memory(&agent, &share_request("s", KNOWN)), None);
    // Several subjects, each in its place; a question delivered again gets its answer.
    agent.answer(&many("m1", UNKNOWN, &[KNOWN]), &own(), now());
    let both = from_memory(&agent, &many("m2", UNKNOWN, &[KNOWN])).expect("from memory");
    assert_eq!(
        both.kind,
        Some(answer::Kind::Bevraging(
            treiter_proto::v1::BevragingAnswer {
                hit: false,
                more_hits: vec![true],
            }
        ))
    );
    assert_eq!(from_memory(&agent, &bevraging("q", KNOWN)), Some(first));
    let sourceless = Answerer::new(covenant(), None, vec![Category::PolitieIncidenten]);
    assert!(from_memory(&sourceless, &bevraging("q", KNOWN)).is_some());
    assert_eq!(from_memory(&sourceless, &share_request("s", KNOWN)), None);
}

#[test]
fn a_category_the_agent_does_not_serve_gives_no_hit_and_no_records() {
    let dir = export();
    let source = JsonDirSource::open(dir.path()).expect("source");
    let agent = Answerer::new(
        covenant(),
        Some(Box::new(source)),
        vec![Category::Huurgegevens],
    );
    assert!(!hit(&agent.answer(&bevraging("q", KNOWN), &own(), now())));
    let a = agent.answer(&share_request("s", KNOWN), &own(), now());
    let s = shares(&a);
    assert!(s.records.is_empty() && s.withheld.is_empty(), "{s:?}");
}

#[test]
fn an_informatiemakelaar_gets_incidents_without_samenvatting() {
    let dir = export();
    let agent = answerer(dir.path());
    let a = agent.answer(&share_request("s-1", KNOWN), &own(), now());
    let s = shares(&a);
    assert!(s.withheld.is_empty(), "{:?}", s.withheld);
    assert_eq!(s.records.len(), 1);
    let record = s.records.first().expect("one record");
    assert_eq!(record.category, "politie-incidenten");
    assert_eq!(record.source_reference, "BVH-2026-0001");
    assert_eq!(record.subject.as_ref().map(|p| p.hex.as_str()), Some(KNOWN));
    let names: Vec<&str> = record.fields.iter().map(|f| f.name.as_str()).collect();
    // Article 6.3a strips samenvatting; 8.1 strips the field the category does not list.
    assert_eq!(
        names,
        ["datum", "incidentsoort", "locatie", "rol_betrokkene"]
    );
    // The names (never the values) of what the pre-check stripped travel along, so the
    // hub's decision and log name them too (article 10.1).
    assert_eq!(
        record.stripped_at_source,
        ["interne_notitie", "samenvatting"]
    );
    let text = format!("{a:?}");
    assert!(!text.contains("SECRET-SUMMARY"), "{text}");
    assert!(!text.contains("SECRET-NOTE"), "{text}");
    assert!(text.contains("Javastraat"), "permitted values are sent");
}

#[test]
fn a_record_with_a_diagnose_is_withheld_whole_under_article_7_1() {
    let dir = export();
    let agent = answerer(dir.path());
    let a = agent.answer(&share_request("s-2", WITH_DIAGNOSE), &own(), now());
    let s = shares(&a);
    // The clean record passes; the one with a diagnose does not leave at all.
    assert_eq!(s.records.len(), 1);
    assert_eq!(
        s.records.first().map(|r| r.source_reference.as_str()),
        Some("BVH-2026-0003")
    );
    assert_eq!(s.withheld.len(), 1);
    let withheld = s.withheld.first().expect("withheld");
    assert_eq!(withheld.category, "politie-incidenten");
    let decision = withheld.decision.as_ref().expect("decision");
    assert_eq!(decision.outcome, "reject");
    assert_eq!(decision.articles, ["7.1"]);
    assert!(decision.passed.is_empty());
    assert_eq!(decision.stripped, ["datum", "diagnose", "incidentsoort"]);
    assert_eq!(decision.covenant_version, 1);
    let text = format!("{a:?}");
    assert!(!text.contains("SECRET-DIAGNOSIS"), "{text}");
    assert!(!text.contains("BVH-2026-0002"), "{text}");
    assert!(
        !text.contains("vernieling"),
        "no value of the rejected record leaves: {text}"
    );
}

#[test]
fn a_redelivered_request_id_gets_the_identical_answer() {
    let dir = export();
    let agent = answerer(dir.path());
    let first = agent.answer(&share_request("s-3", KNOWN), &own(), now());
    // The export changes and the deadline passes before the hub re-delivers.
    std::fs::remove_file(
        dir.path()
            .join("politie-incidenten")
            .join(format!("{KNOWN}.json")),
    )
    .expect("rm");
    let later = now() + Duration::from_secs(3600);
    let again = agent.answer(&share_request("s-3", KNOWN), &own(), later);
    assert_eq!(first, again);
    // A new request id is answered afresh.
    let fresh = agent.answer(&share_request("s-4", KNOWN), &own(), now());
    assert!(shares(&fresh).records.is_empty());
    let b1 = agent.answer(&bevraging("b-1", WITH_DIAGNOSE), &own(), now());
    let b2 = agent.answer(&bevraging("b-1", WITH_DIAGNOSE), &own(), now());
    assert_eq!(b1, b2);
}

/// The receipts in the log at `path`: (request, event kind) of every share receipt.
fn share_receipts(path: &Path) -> Vec<(String, &'static str)> {
    let (log, bad) = receipts::read(path).expect("read the receipts");
    assert_eq!(bad, 0);
    log.into_iter()
        .filter_map(|r| match r.event {
            ReceiptEvent::ShareSent { request, .. } => Some((request, "sent")),
            ReceiptEvent::ShareWithheld { request, .. } => Some((request, "withheld")),
            _ => None,
        })
        .collect()
}

/// An agent killed after it wrote an answer's receipts but before the hub had the
/// answer is asked the same request id again once it runs again (the hub queued the
/// question when the link went down). The new process answers it, but the receipts it
/// wrote before are not written a second time; an acknowledged answer's receipts, and
/// those of a new request, are written as always.
#[test]
fn an_answer_asked_again_after_a_restart_is_not_receipted_twice() {
    let dir = export();
    let state = tempfile::tempdir().expect("tmp");
    let path = state.path().join("receipts.log");
    let with_receipts = |export: &Path| {
        answerer(export)
            .with_receipts(Arc::new(
                ReceiptLog::open(&path).expect("open the receipts"),
            ))
            .expect("read the receipts")
    };
    let first = with_receipts(dir.path());
    // One record sent and one withheld whole (article 7.1) for s-10; s-11 was
    // acknowledged by the hub.
    let sent = first.answer(&share_request("s-10", WITH_DIAGNOSE), &own(), now());
    assert_eq!(shares(&sent).records.len(), 1);
    assert_eq!(shares(&sent).withheld.len(), 1);
    first.answer(&share_request("s-11", KNOWN), &own(), now());
    first
        .receipts()
        .expect("the log")
        .append(
            time::OffsetDateTime::now_utc(),
            vec![ReceiptEvent::AnswerAcknowledged {
                request: "s-11".into(),
            }],
        )
        .expect("acknowledged");
    let before = share_receipts(&path);
    assert_eq!(before.len(), 3, "{before:?}");
    drop(first);

    // The process is killed; the new one is asked s-10 and s-11 again, and s-12.
    let second = with_receipts(dir.path());
    let again = second.answer(&share_request("s-10", WITH_DIAGNOSE), &own(), now());
    assert_eq!(shares(&again).records, shares(&sent).records);
    second.answer(&share_request("s-11", KNOWN), &own(), now());
    second.answer(&share_request("s-12", KNOWN), &own(), now());
    let after = share_receipts(&path);
    let count = |request: &str| after.iter().filter(|(r, _)| r == request).count();
    assert_eq!(count("s-10"), 2, "s-10's two receipts once each: {after:?}");
    assert_eq!(
        count("s-11"),
        2,
        "an acknowledged answer asked again: {after:?}"
    );
    assert_eq!(count("s-12"), 1, "{after:?}");
}

/// A source that takes its time to read records, as a busy database does.
struct SlowSource(JsonDirSource);

impl treiter_node_agent::sources::Source for SlowSource {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn categories(&self) -> Vec<Category> {
        self.0.categories()
    }
    fn knows(
        &self,
        subject: &treiter_pseudonym::Pseudonym,
        categories: &[Category],
    ) -> Result<bool, treiter_node_agent::sources::SourceError> {
        self.0.knows(subject, categories)
    }
    fn records(
        &self,
        subject: &treiter_pseudonym::Pseudonym,
        categories: &[Category],
    ) -> Result<
        Vec<treiter_node_agent::sources::SourceRecord>,
        treiter_node_agent::sources::SourceError,
    > {
        std::thread::sleep(Duration::from_millis(200));
        self.0.records(subject, categories)
    }
}

/// A question delivered again while its first delivery is still being answered (the
/// old link's answer task runs on after the agent relinked, and the hub delivers its
/// queued question on the new link): both get the one answer, and its receipts are
/// written once.
#[test]
fn a_question_answered_twice_at_once_is_receipted_once() {
    let dir = export();
    let state = tempfile::tempdir().expect("tmp");
    let path = state.path().join("receipts.log");
    let source = SlowSource(JsonDirSource::open(dir.path()).expect("source"));
    let agent = Answerer::new(
        covenant(),
        Some(Box::new(source)),
        vec![Category::PolitieIncidenten],
    )
    .with_receipts(Arc::new(
        ReceiptLog::open(&path).expect("open the receipts"),
    ))
    .expect("read the receipts");
    let question = share_request("s-20", WITH_DIAGNOSE);
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| agent.answer(&question, &own(), now()));
        let second = s.spawn(|| agent.answer(&question, &own(), now()));
        (first.join().expect("first"), second.join().expect("second"))
    });
    assert_eq!(first, second);
    assert_eq!(shares(&first).records.len(), 1);
    let receipts = share_receipts(&path);
    assert_eq!(receipts.len(), 2, "one sent, one withheld: {receipts:?}");
}

#[test]
fn an_expired_question_is_refused() {
    let dir = export();
    let agent = answerer(dir.path());
    let mut q = share_request("s-5", KNOWN);
    q.deadline = Some(ts(now() - Duration::from_secs(1)));
    let a = agent.answer(&q, &own(), now());
    assert_eq!(unanswerable(&a).0, reason::EXPIRED);
    let mut q = bevraging("b-5", KNOWN);
    q.deadline = Some(ts(now() - Duration::from_secs(1)));
    assert_eq!(
        unanswerable(&agent.answer(&q, &own(), now())).0,
        reason::EXPIRED
    );
}

#[test]
fn without_a_source_every_question_is_source_unavailable() {
    let agent = Answerer::new(covenant(), None, vec![]);
    let a = agent.answer(&bevraging("b", KNOWN), &own(), now());
    assert_eq!(unanswerable(&a).0, reason::SOURCE_UNAVAILABLE);
    let a = agent.answer(&share_request("s", KNOWN), &own(), now());
    assert_eq!(unanswerable(&a).0, reason::SOURCE_UNAVAILABLE);
}

#[test]
fn a_broken_source_file_is_source_unavailable_without_paths_or_values() {
    let dir = export();
    write(
        dir.path(),
        "politie-incidenten",
        KNOWN,
        "[{\"reference\": \"Jansen\"",
    );
    let agent = answerer(dir.path());
    let a = agent.answer(&bevraging("b", KNOWN), &own(), now());
    let (reason, detail) = unanswerable(&a);
    assert_eq!(reason, reason::SOURCE_UNAVAILABLE);
    assert!(detail.contains("malformed"), "{detail}");
    assert!(!detail.contains("Jansen"), "{detail}");
    assert!(
        !detail.contains(&dir.path().display().to_string()),
        "{detail}"
    );
}

#[test]
fn a_malformed_question_is_refused_naming_the_field() {
    let dir = export();
    let agent = answerer(dir.path());
    let a = agent.answer(&bevraging("b", "../../etc/passwd"), &own(), now());
    let (reason, detail) = unanswerable(&a);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(
        detail.starts_with("bevraging.subject: malformed pseudonym"),
        "{detail}"
    );
    let mut q = share_request("s", KNOWN);
    if let Some(question::Kind::ShareRequest(r)) = q.kind.as_mut() {
        r.purpose = "nieuwsgierigheid".into();
    }
    let a = agent.answer(&q, &own(), now());
    let (reason, detail) = unanswerable(&a);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(
        detail.starts_with("share_request.purpose: unknown purpose"),
        "{detail}"
    );
}

#[test]
fn a_share_the_covenant_denies_is_withheld() {
    let dir = export();
    let agent = answerer(dir.path());
    // An informatiemakelaar of another stadsdeel (article 5.3).
    let mut q = share_request("s-6", KNOWN);
    if let Some(question::Kind::ShareRequest(r)) = q.kind.as_mut()
        && let Some(rec) = r.recipient.as_mut()
    {
        rec.stadsdeel = "west".into();
    }
    let a = agent.answer(&q, &own(), now());
    let s = shares(&a);
    assert!(s.records.is_empty());
    let decision = s
        .withheld
        .first()
        .and_then(|w| w.decision.as_ref())
        .expect("withheld");
    assert_eq!(decision.outcome, "deny");
    assert!(
        decision.articles.contains(&"5.3".to_owned()),
        "{:?}",
        decision.articles
    );
    assert!(!format!("{a:?}").contains("Javastraat"));
}

/// Article 13.2: an agent does not pre-check with a version other than the hub's; it
/// answers "covenant-version-mismatch", and after the hub's CovenantUpdate it answers
/// under the new version.
#[test]
fn a_share_request_of_another_covenant_version_is_not_pre_checked() {
    let dir = export();
    let agent = answerer(dir.path());
    let mut question = share_request("s-v2", KNOWN);
    if let Some(question::Kind::ShareRequest(r)) = &mut question.kind {
        r.covenant_version = 2;
    }
    let a = agent.answer(&question, &own(), now());
    let (reason, detail) = unanswerable(&a);
    assert_eq!(reason, "covenant-version-mismatch");
    assert!(
        detail.contains("version 2") && detail.contains("version 1"),
        "{detail}"
    );

    let text = treiter_policies::TREITERAANPAK_COVENANT.replacen("version 1\n", "version 2\n", 1);
    let update = treiter_proto::v1::CovenantUpdate {
        version: 2,
        text_sha256: ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
            .as_ref()
            .to_vec(),
        text,
    };
    treiter_node_agent::covenant_update::apply(agent.gate(), None, &update).expect("applied");
    assert_eq!(agent.covenant_version(), 2);
    question.request_id = "s-v2-again".into();
    let a = agent.answer(&question, &own(), now());
    assert_eq!(shares(&a).records.len(), 1, "{a:?}");
}

/// A share request for several subjects (a hub that read the Hello's
/// `share_request_of_many_subjects`) is answered for each in one answer that says so:
/// every record and withheld line names its subject, and so does every receipt. One
/// beyond the bound makes the question malformed.
#[test]
fn a_share_request_for_several_subjects_answers_each_and_receipts_each_subject() {
    let dir = export();
    let state = tempfile::tempdir().expect("tmp");
    let path = state.path().join("receipts.log");
    let agent = answerer(dir.path())
        .with_receipts(Arc::new(
            ReceiptLog::open(&path).expect("open the receipts"),
        ))
        .expect("read the receipts");
    let single = agent.answer(&share_request("s-1", KNOWN), &own(), now());
    assert!(!shares(&single).more_subjects_answered);

    let a = agent.answer(
        &share_request_for_many("s-2", &[WITH_DIAGNOSE]),
        &own(),
        now(),
    );
    let answer = shares(&a);
    assert!(answer.more_subjects_answered);
    let about = |s: Option<&SubjectPseudonym>| s.map(|s| s.hex.clone()).unwrap_or_default();
    let records: Vec<(String, String)> = answer
        .records
        .iter()
        .map(|r| (about(r.subject.as_ref()), r.source_reference.clone()))
        .collect();
    assert_eq!(
        records,
        [
            (KNOWN.to_owned(), "BVH-2026-0001".to_owned()),
            (WITH_DIAGNOSE.to_owned(), "BVH-2026-0003".to_owned())
        ]
    );
    assert_eq!(answer.withheld.len(), 1, "the record with a diagnose");
    assert_eq!(about(answer.withheld[0].subject.as_ref()), WITH_DIAGNOSE);

    let (log, bad) = receipts::read(&path).expect("read the receipts");
    assert_eq!(bad, 0);
    let receipted: Vec<(&str, String)> = log
        .into_iter()
        .filter_map(|r| match r.event {
            ReceiptEvent::ShareSent {
                request, subject, ..
            } if request == "s-2" => Some(("sent", subject)),
            ReceiptEvent::ShareWithheld {
                request, subject, ..
            } if request == "s-2" => Some(("withheld", subject)),
            _ => None,
        })
        .collect();
    assert_eq!(
        receipted,
        [
            ("sent", KNOWN.to_owned()),
            ("sent", WITH_DIAGNOSE.to_owned()),
            ("withheld", WITH_DIAGNOSE.to_owned())
        ]
    );

    let too_many = vec![UNKNOWN; treiter_proto::limits::MAX_BEVRAGING_SUBJECTS];
    let over = agent.answer(&share_request_for_many("s-3", &too_many), &own(), now());
    let (reason, detail) = unanswerable(&over);
    assert_eq!(reason, reason::MALFORMED_QUESTION);
    assert!(detail.contains("share_request.more_subjects"), "{detail}");
}

/// The records of several subjects that would not fit one link message together go
/// as the first subject's alone, not saying they cover the others (the hub then asks
/// for those one by one); exactly the bound of subjects is accepted.
#[test]
fn a_share_request_for_several_subjects_too_large_for_one_answer_answers_the_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let large = "x".repeat(2_500_000);
    for (subject, reference) in [(KNOWN, "BVH-LARGE-1"), (WITH_DIAGNOSE, "BVH-LARGE-2")] {
        write(
            dir.path(),
            "politie-incidenten",
            subject,
            &format!(
                r#"[{{"reference": "{reference}", "recorded_at": "2026-11-01T09:00:00Z",
                     "fields": {{"datum": "2026-10-30", "locatie": "{large}"}}}}]"#
            ),
        );
    }
    let agent = answerer(dir.path());
    let a = agent.answer(
        &share_request_for_many("s-large", &[WITH_DIAGNOSE]),
        &own(),
        now(),
    );
    let answer = shares(&a);
    assert!(!answer.more_subjects_answered);
    let references: Vec<&str> = answer
        .records
        .iter()
        .map(|r| r.source_reference.as_str())
        .collect();
    assert_eq!(references, ["BVH-LARGE-1"]);
    // Only what the answer carries counts as sent; the cut subject's record counts
    // when it is asked for alone.
    let sent = |agent: &Answerer| {
        agent
            .metrics()
            .shares_sent
            .get_or_create(&treiter_node_agent::metrics::CategoryLabels {
                category: "politie-incidenten".into(),
            })
            .get()
    };
    assert_eq!(sent(&agent), 1);
    let alone = agent.answer(&share_request("s-large-2", WITH_DIAGNOSE), &own(), now());
    assert_eq!(shares(&alone).records.len(), 1);
    assert_eq!(sent(&agent), 2);

    // Distinct subjects the source does not know, as many as one request may name.
    let at_the_bound: Vec<String> = (0..treiter_proto::limits::MAX_BEVRAGING_SUBJECTS - 1)
        .map(|i| format!("{i:064x}"))
        .collect();
    let at_the_bound: Vec<&str> = at_the_bound.iter().map(String::as_str).collect();
    let full = agent.answer(
        &share_request_for_many("s-full", &at_the_bound),
        &own(),
        now(),
    );
    assert!(
        shares(&full).more_subjects_answered,
        "{} subjects are within the bound",
        treiter_proto::limits::MAX_BEVRAGING_SUBJECTS
    );
}
