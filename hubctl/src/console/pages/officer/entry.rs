//! One decision-log entry in Dutch words (`GET /logboek/{index}`,
//! `templates/officer_entry.html`), and the one-line summaries the log list and the
//! notifications show.
//!
//! What an entry holds is what article 10.1 lists: for a share, who asked
//! (organisation by name, role, person), the source and the recipient by name, the
//! subject by pseudonym, category, purpose, the outcome with its articles, the fields
//! offered, passed and stripped (by name, never a value), the obligations, whom the hub
//! notified, and the covenant version. Parties appear by name, with their OIN in a
//! detail line. The entry's bytes as logged are shown too (they are what the leaf hash
//! covers, and hold no personal data either, article 12.3).
//!
//! Other pages link here with [`entry_path`]. An entry the party may not see (article
//! 10.3) and an entry that does not exist look the same: not found.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use treiter_proto::v1 as wire;

use super::open_officer;
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{Layout, Nav, party_name, render, render_with};
use crate::console::pages::problem_page;
use crate::console::security::Session;
use crate::console::texts;
use crate::queries::officer as queries;
use crate::report::short;

/// The address of entry `index`'s page.
pub fn entry_path(index: u64) -> String {
    format!("/logboek/{index}")
}

/// One line of an entry's detail list: a label, then what it says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fact {
    /// The label.
    pub label: &'static str,
    /// A covenant word (or a case id, a pseudonym) shown first, in `<code>`.
    pub code: Option<String>,
    /// Plain Dutch words.
    pub words: String,
    /// Names (field names, articles) shown as a list of `<code>`.
    pub names: Vec<String>,
    /// A detail line under it (an OIN, a person id, a full pseudonym).
    pub detail: Option<String>,
}

impl Fact {
    fn words(label: &'static str, words: impl Into<String>) -> Fact {
        Fact {
            label,
            words: words.into(),
            ..Fact::default()
        }
    }

    fn code(label: &'static str, code: impl Into<String>, words: impl Into<String>) -> Fact {
        Fact {
            label,
            code: Some(code.into()),
            words: words.into(),
            ..Fact::default()
        }
    }

    fn names(label: &'static str, names: &[String], none: &str) -> Fact {
        Fact {
            label,
            words: if names.is_empty() {
                none.to_owned()
            } else {
                String::new()
            },
            names: names.to_vec(),
            ..Fact::default()
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Fact {
        let detail = detail.into();
        if !detail.is_empty() {
            self.detail = Some(detail);
        }
        self
    }
}

/// The outcome of a share decision: the covenant word, what it means, and the class
/// that colours it (the words carry the meaning; the colour only repeats it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeView {
    /// `permit`, `deny` or `reject`.
    pub word: String,
    /// In Dutch.
    pub words: String,
    /// `outcome-permit`, `outcome-deny` or `outcome-reject`.
    pub class: &'static str,
}

/// The outcome of `d` in words.
pub fn outcome(d: &wire::ShareDecision) -> OutcomeView {
    OutcomeView {
        word: d.outcome.clone(),
        words: texts::outcome_words(&d.outcome, !d.stripped.is_empty(), d.emergency),
        class: match d.outcome.as_str() {
            "permit" => "outcome-permit",
            "reject" => "outcome-reject",
            _ => "outcome-deny",
        },
    }
}

/// A person in words: "Gemeente Amsterdam, stadsdeelregisseur oost (p-gemeente-004)";
/// the hub itself when absent.
pub fn person(p: Option<&wire::Person>) -> String {
    let Some(p) = p else {
        return texts::THE_HUB.to_owned();
    };
    let party = party_name(p.party.as_ref());
    let mut role = p.roles.join(", ");
    if !p.stadsdeel.is_empty() {
        role.push(' ');
        role.push_str(&p.stadsdeel);
    }
    let who = crate::console::layout::person_name(p);
    match (role.is_empty(), who.is_empty()) {
        (true, true) => party,
        (true, false) => format!("{party} ({who})"),
        (false, true) => format!("{party}, {role}"),
        (false, false) => format!("{party}, {role} ({who})"),
    }
}

/// A party's detail line: kind and OIN.
fn party_detail(p: Option<&wire::Party>) -> String {
    match p {
        Some(p) if !p.kind.is_empty() => texts::party_detail(&p.kind, &p.oin),
        Some(p) => texts::oin_detail(&p.oin),
        None => String::new(),
    }
}

/// The one-line summary of an entry, as the log list and the notifications show it:
/// "Politie Eenheid Amsterdam → Gemeente Amsterdam (stadsdeelregisseur oost) ·
/// politie-incidenten · aanpak".
pub fn summary(e: &wire::LogEntry) -> String {
    if let Some(d) = &e.share_decision {
        let recipient = d.recipient.as_ref();
        let mut role = recipient.map(|r| r.roles.join(", ")).unwrap_or_default();
        if let Some(r) = recipient
            && !r.stadsdeel.is_empty()
        {
            role.push(' ');
            role.push_str(&r.stadsdeel);
        }
        texts::share_summary(
            &party_name(d.source.as_ref()),
            &party_name(recipient.and_then(|r| r.party.as_ref())),
            &role,
            &d.category,
            &d.purpose,
        )
    } else if let Some(c) = &e.case_change {
        let mut s = texts::change_words(&c.change, &c.from_phase, &c.to_phase);
        s.push_str(&texts::by_whom(&person(c.actor.as_ref())));
        s
    } else if let Some(r) = &e.retention_deletion {
        texts::entry_retention_words(&r.article, &r.final_phase)
    } else if let Some(a) = &e.covenant_approval {
        let mut s = texts::approval_words(a.version, &a.action);
        s.push_str(&texts::by_whom(&person(a.actor.as_ref())));
        s
    } else {
        String::new()
    }
}

/// One entry, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    /// The leaf index.
    pub index: u64,
    /// When it was logged.
    pub logged_at: Option<Moment>,
    /// The kind (API word).
    pub kind: String,
    /// The kind in Dutch.
    pub kind_words: String,
    /// The summary line.
    pub summary: String,
    /// For a share decision: its outcome.
    pub outcome: Option<OutcomeView>,
    /// Every fact, in the order of article 10.1.
    pub facts: Vec<Fact>,
    /// The leaf hash (hex).
    pub leaf_hash: String,
    /// The entry's bytes as logged (JSON text), when the hub sent them.
    pub logged: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The view of entry `e`.
pub fn view(e: &wire::LogEntry) -> EntryView {
    let mut facts = vec![Fact::code(
        texts::FACT_KIND,
        e.kind.clone(),
        texts::kind_words(&e.kind),
    )];
    if !e.case_id.is_empty() {
        facts.push(Fact::code(texts::FACT_CASE, e.case_id.clone(), ""));
    }
    let mut outcome_view = None;
    if let Some(d) = &e.share_decision {
        let decision = d.decision.clone().unwrap_or_default();
        outcome_view = Some(outcome(&decision));
        share_facts(d, &decision, &mut facts);
    }
    if let Some(c) = &e.case_change {
        change_facts(c, &mut facts);
    }
    if let Some(r) = &e.retention_deletion {
        facts.push(Fact::code(
            texts::FACT_ARTICLE,
            r.article.clone(),
            texts::entry_retention_words(&r.article, &r.final_phase),
        ));
        facts.push(Fact::code(
            texts::FACT_FINAL_PHASE,
            r.final_phase.clone(),
            "",
        ));
        if let Some(m) = moment_ts(r.phase_entered_at.as_ref()) {
            facts.push(Fact::words(texts::FACT_PHASE_SINCE, m.text));
        }
        facts.push(Fact::words(
            texts::FACT_DELETED,
            texts::deleted_counts(r.subjects_deleted, r.case_files_deleted),
        ));
    }
    if let Some(a) = &e.covenant_approval {
        facts.push(Fact::words(texts::FACT_VERSION, a.version.to_string()));
        facts.push(Fact::code(
            texts::FACT_STEP,
            a.action.clone(),
            texts::approval_words(a.version, &a.action),
        ));
        if let Some(actor) = &a.actor {
            facts.push(
                Fact::words(texts::FACT_BY, person(Some(actor)))
                    .detail(party_detail(actor.party.as_ref())),
            );
        }
        facts.push(Fact::code(texts::FACT_TEXT_HASH, hex(&a.text_sha256), ""));
    }
    facts.push(Fact::words(
        texts::FACT_COVENANT_VERSION,
        e.covenant_version.to_string(),
    ));
    EntryView {
        index: e.leaf_index,
        logged_at: moment_ts(e.logged_at.as_ref()),
        kind: e.kind.clone(),
        kind_words: texts::kind_words(&e.kind),
        summary: summary(e),
        outcome: outcome_view,
        facts,
        leaf_hash: hex(&e.leaf_hash),
        logged: (!e.entry.is_empty()).then(|| String::from_utf8_lossy(&e.entry).into_owned()),
    }
}

fn share_facts(d: &wire::ShareDecisionLog, decision: &wire::ShareDecision, facts: &mut Vec<Fact>) {
    facts.push(
        Fact::words(texts::FACT_REQUESTER, person(d.requester.as_ref())).detail(party_detail(
            d.requester.as_ref().and_then(|p| p.party.as_ref()),
        )),
    );
    facts.push(
        Fact::words(texts::FACT_SOURCE, party_name(d.source.as_ref()))
            .detail(party_detail(d.source.as_ref())),
    );
    facts.push(
        Fact::words(texts::FACT_RECIPIENT, person(d.recipient.as_ref())).detail(party_detail(
            d.recipient.as_ref().and_then(|p| p.party.as_ref()),
        )),
    );
    let pseudonym = d.subject.as_ref().map(|s| s.hex.as_str()).unwrap_or("");
    facts.push(Fact {
        label: texts::FACT_SUBJECT,
        code: (!d.subject_role.is_empty()).then(|| d.subject_role.clone()),
        words: texts::pseudonym_words(&short(pseudonym)),
        detail: (!pseudonym.is_empty()).then(|| pseudonym.to_owned()),
        ..Fact::default()
    });
    facts.push(Fact::code(
        texts::FACT_CATEGORY,
        d.category.clone(),
        texts::category_article(&d.category)
            .map(|a| format!("art. {a}"))
            .unwrap_or_default(),
    ));
    facts.push(Fact::code(
        texts::FACT_PURPOSE,
        d.purpose.clone(),
        texts::purpose_words(&d.purpose),
    ));
    if let Some(context) = &d.case_context
        && !context.phase.is_empty()
    {
        facts.push(Fact::words(
            texts::FACT_CASE_AT_DECISION,
            texts::case_context_words(&context.phase, &context.stadsdeel, context.escalated),
        ));
    }
    facts.push(Fact::code(
        texts::FACT_OUTCOME,
        decision.outcome.clone(),
        texts::outcome_words(
            &decision.outcome,
            !decision.stripped.is_empty(),
            decision.emergency,
        ),
    ));
    facts.push(Fact::names(
        texts::FACT_ARTICLES,
        &decision.articles,
        texts::NONE,
    ));
    facts.push(Fact::names(
        texts::FACT_FIELDS_OFFERED,
        &d.fields_offered,
        texts::NONE,
    ));
    if decision.outcome == "permit" {
        facts.push(Fact::names(
            texts::FACT_FIELDS_PASSED,
            &decision.passed,
            texts::NO_FIELDS_PASSED,
        ));
        facts.push(Fact::names(
            texts::FACT_FIELDS_STRIPPED,
            &decision.stripped,
            texts::NONE,
        ));
    } else {
        facts.push(Fact::words(
            texts::FACT_FIELDS_PASSED,
            texts::NOTHING_PASSED_REFUSED,
        ));
    }
    if !decision.obligations.is_empty() {
        let words: Vec<String> = decision
            .obligations
            .iter()
            .map(|o| texts::obligation_words(&o.kind, &o.article, &o.purpose))
            .collect();
        facts.push(Fact::words(texts::FACT_OBLIGATIONS, words.join("; ")));
    }
    if !decision.notify.is_empty() {
        let source = d.source.as_ref();
        let words: Vec<String> = decision
            .notify
            .iter()
            .map(|n| {
                // The hub notifies the source party's privacy officer (articles 7 and
                // 15.2): named by the source's name when the OIN is the source's.
                let party = match source {
                    Some(s) if s.oin == n.oin => party_name(Some(s)),
                    _ => texts::unnamed_party(&n.oin),
                };
                texts::notified_words(&party, &n.article)
            })
            .collect();
        facts.push(Fact::words(texts::FACT_NOTIFIED, words.join("; ")));
    }
    facts.push(Fact::words(
        texts::FACT_DECIDED_BY,
        texts::decided_by_words(&d.decided_by),
    ));
    if let Some(m) = moment_ts(d.decided_at.as_ref()) {
        facts.push(Fact::words(texts::FACT_DECIDED_AT, m.text));
    }
    if !d.case_file_id.is_empty() {
        facts.push(Fact::code(
            texts::FACT_CASE_FILE,
            d.case_file_id.clone(),
            "",
        ));
    }
    if !d.source_reference.is_empty() {
        facts.push(Fact::code(
            texts::FACT_SOURCE_REFERENCE,
            d.source_reference.clone(),
            "",
        ));
    }
    if decision.covenant_version != 0 {
        facts.push(Fact::words(
            texts::FACT_DECIDED_UNDER,
            texts::covenant_version_words(decision.covenant_version),
        ));
    }
}

fn change_facts(c: &wire::CaseChangeLog, facts: &mut Vec<Fact>) {
    facts.push(
        Fact::words(texts::FACT_BY, person(c.actor.as_ref())).detail(party_detail(
            c.actor.as_ref().and_then(|p| p.party.as_ref()),
        )),
    );
    facts.push(Fact::code(
        texts::FACT_CHANGE,
        c.change.clone(),
        texts::change_words(&c.change, &c.from_phase, &c.to_phase),
    ));
    if !c.stadsdeel.is_empty() {
        facts.push(Fact::code(texts::FACT_STADSDEEL, c.stadsdeel.clone(), ""));
    }
    if let Some(s) = &c.subject {
        facts.push(Fact {
            label: texts::FACT_SUBJECT,
            code: (!c.subject_role.is_empty()).then(|| c.subject_role.clone()),
            words: texts::pseudonym_words(&short(&s.hex)),
            detail: Some(s.hex.clone()),
            ..Fact::default()
        });
    }
    if !c.category.is_empty() {
        facts.push(Fact::code(texts::FACT_CATEGORY, c.category.clone(), ""));
    }
    if let Some(p) = &c.party {
        facts.push(
            Fact::words(texts::FACT_PARTY, party_name(Some(p))).detail(party_detail(Some(p))),
        );
    }
    if let Some(m) = moment_ts(c.emergency_expires_at.as_ref()) {
        facts.push(Fact::words(texts::FACT_EMERGENCY_UNTIL, m.text));
    }
}

/// The page.
#[derive(Template)]
#[template(path = "officer_entry.html")]
pub struct EntryPage {
    /// The frame.
    pub layout: Layout,
    /// The entry.
    pub entry: EntryView,
    /// Where Verifieer lives.
    pub verify_path: &'static str,
}

/// The page of an entry that is not there for this party.
#[derive(Template)]
#[template(path = "officer_entry_missing.html")]
pub struct MissingPage {
    /// The frame.
    pub layout: Layout,
    /// What was asked for, as typed in the address.
    pub asked: String,
}

/// `GET /logboek/{index}`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(index): Path<String>,
) -> Response {
    let title = texts::entry_title(&index);
    let mut opened = match open_officer(&app, &session, Nav::Log, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let found = match index.parse::<u64>() {
        Ok(n) => queries::log_entry(&mut opened.hub, n).await,
        Err(_) => Ok(None),
    };
    match found {
        Ok(Some(e)) => render(&EntryPage {
            layout: opened.layout,
            entry: view(&e),
            verify_path: super::verify::PATH,
        }),
        Ok(None) => {
            let mut layout = opened.layout;
            layout.title = texts::ENTRY_MISSING_TITLE.to_owned();
            render_with(
                &MissingPage {
                    layout,
                    asked: index,
                },
                StatusCode::NOT_FOUND,
            )
        }
        Err(e) => problem_page(&title, Nav::Log, Some(&opened.me), &e, &session, opened.now),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn party(name: &str, kind: &str, oin: &str) -> wire::Party {
        wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: kind.into(),
        }
    }

    pub(crate) fn share(outcome: &str) -> wire::LogEntry {
        let ggd = party("GGD Amsterdam", "zorgpartner", "00000005000000000006");
        let gemeente = party("Gemeente Amsterdam", "gemeente", "00000001000000000001");
        let sdr = wire::Person {
            name: String::new(),
            id: "p-gemeente-004".into(),
            party: Some(gemeente),
            roles: vec!["stadsdeelregisseur".into()],
            stadsdeel: "oost".into(),
        };
        wire::LogEntry {
            leaf_index: 12,
            leaf_hash: vec![0xab; 32],
            kind: "share-decision".into(),
            covenant_version: 1,
            case_id: "C-2026-0001".into(),
            share_decision: Some(wire::ShareDecisionLog {
                requester: Some(sdr.clone()),
                source: Some(ggd.clone()),
                recipient: Some(sdr),
                subject: Some(wire::SubjectPseudonym {
                    hex: "5a".repeat(32),
                }),
                subject_role: "dader".into(),
                category: "zorgbetrokkenheid".into(),
                purpose: "aanpak".into(),
                fields_offered: vec!["diagnose".into(), "zorg_betrokken".into()],
                decision: Some(wire::ShareDecision {
                    outcome: outcome.into(),
                    articles: vec!["7.1".into()],
                    notify: vec![wire::Notification {
                        kind: "privacy-officer".into(),
                        oin: ggd.oin.clone(),
                        article: "7.1".into(),
                    }],
                    covenant_version: 1,
                    ..Default::default()
                }),
                decided_by: "hub".into(),
                ..Default::default()
            }),
            entry: br#"{"kind":"share-decision"}"#.to_vec(),
            ..Default::default()
        }
    }

    fn fact<'v>(v: &'v EntryView, label: &str) -> &'v Fact {
        v.facts
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("no fact {label}: {:#?}", v.facts))
    }

    #[test]
    fn a_refused_share_reads_in_dutch_with_names_and_offered_fields() {
        let v = view(&share("reject"));
        assert_eq!(v.index, 12);
        assert_eq!(
            v.summary,
            "GGD Amsterdam → Gemeente Amsterdam (stadsdeelregisseur oost) · zorgbetrokkenheid · aanpak"
        );
        let o = v.outcome.as_ref().expect("outcome");
        assert_eq!(o.word, "reject");
        assert_eq!(o.class, "outcome-reject");
        assert!(o.words.contains("verboden"), "{}", o.words);
        let requester = fact(&v, texts::FACT_REQUESTER);
        assert_eq!(
            requester.words,
            "Gemeente Amsterdam, stadsdeelregisseur oost (p-gemeente-004)"
        );
        assert_eq!(
            requester.detail.as_deref(),
            Some("soort gemeente, OIN 00000001000000000001")
        );
        assert_eq!(fact(&v, texts::FACT_SOURCE).words, "GGD Amsterdam");
        assert_eq!(
            fact(&v, texts::FACT_FIELDS_OFFERED).names,
            ["diagnose", "zorg_betrokken"]
        );
        assert_eq!(
            fact(&v, texts::FACT_FIELDS_PASSED).words,
            texts::NOTHING_PASSED_REFUSED
        );
        assert_eq!(fact(&v, texts::FACT_ARTICLES).names, ["7.1"]);
        assert_eq!(
            fact(&v, texts::FACT_NOTIFIED).words,
            "de privacy officer van GGD Amsterdam (art. 7.1)"
        );
        let category = fact(&v, texts::FACT_CATEGORY);
        assert_eq!(category.code.as_deref(), Some("zorgbetrokkenheid"));
        assert_eq!(category.words, "art. 6.6");
        let subject = fact(&v, texts::FACT_SUBJECT);
        assert_eq!(subject.code.as_deref(), Some("dader"));
        assert_eq!(subject.detail.as_deref(), Some("5a".repeat(32).as_str()));
        assert_eq!(v.logged.as_deref(), Some(r#"{"kind":"share-decision"}"#));
        // No bare OIN outside detail lines.
        for f in &v.facts {
            assert!(!f.words.contains("0000000"), "{f:?}");
        }
    }

    #[test]
    fn a_permit_names_passed_and_stripped_fields_and_its_obligations() {
        let mut e = share("permit");
        let d = e.share_decision.as_mut().expect("share");
        d.category = "politie-incidenten".into();
        let decision = d.decision.as_mut().expect("decision");
        decision.passed = vec!["datum".into(), "locatie".into()];
        decision.stripped = vec!["samenvatting".into()];
        decision.articles = vec!["6.3".into(), "6.3a".into()];
        decision.notify.clear();
        decision.obligations = vec![
            wire::Obligation {
                kind: "retention".into(),
                article: "9.1".into(),
                purpose: String::new(),
            },
            wire::Obligation {
                kind: "purpose-binding".into(),
                article: "3.2".into(),
                purpose: "aanpak".into(),
            },
        ];
        let v = view(&e);
        assert_eq!(
            fact(&v, texts::FACT_FIELDS_PASSED).names,
            ["datum", "locatie"]
        );
        assert_eq!(
            fact(&v, texts::FACT_FIELDS_STRIPPED).names,
            ["samenvatting"]
        );
        assert_eq!(
            v.outcome.as_ref().expect("outcome").words,
            "verstrekt, met weglating van velden (art. 8)"
        );
        assert_eq!(
            fact(&v, texts::FACT_OBLIGATIONS).words,
            "bewaren tot 24 maanden na het afsluiten van de casus, daarna verwijderen (art. 9.1); alleen te gebruiken voor aanpak (art. 3.2)"
        );
        assert!(v.facts.iter().all(|f| f.label != texts::FACT_NOTIFIED));
    }

    #[test]
    fn the_entry_page_names_parties_and_keeps_oins_in_detail_lines() {
        let page = EntryPage {
            layout: crate::console::pages::officer::test_layout(
                "Logboek — vermelding 12",
                Nav::Log,
            ),
            entry: view(&share("reject")),
            verify_path: "/logboek/verifieer",
        };
        let html = page.render().expect("render");
        assert!(html.contains("<dt>Gevraagd door</dt>"), "{html}");
        assert!(
            html.contains(
                "<span class=\"detail-line\">soort zorgpartner, OIN 00000005000000000006</span>"
            ),
            "{html}"
        );
        assert_eq!(
            html.matches("00000005000000000006").count(),
            1,
            "the source's OIN in its detail line only"
        );
        assert!(html.contains("<li><code>diagnose</code></li>"), "{html}");
        assert!(html.contains("outcome-reject"), "{html}");
        // The entry as logged is escaped, as every value.
        assert!(
            html.contains("{&#34;kind&#34;:&#34;share-decision&#34;}"),
            "{html}"
        );
    }

    #[test]
    fn case_changes_and_approvals_read_in_dutch() {
        let e = wire::LogEntry {
            leaf_index: 3,
            kind: "case-change".into(),
            case_id: "C-2026-0001".into(),
            case_change: Some(wire::CaseChangeLog {
                actor: Some(wire::Person {
                    name: String::new(),
                    id: "p-gemeente-004".into(),
                    party: Some(party("Gemeente Amsterdam", "gemeente", "1")),
                    roles: vec!["stadsdeelregisseur".into()],
                    stadsdeel: "oost".into(),
                }),
                change: "phase-moved".into(),
                from_phase: "duiding".into(),
                to_phase: "aanpak".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            summary(&e),
            "fase gewijzigd van duiding naar aanpak, door Gemeente Amsterdam, stadsdeelregisseur oost (p-gemeente-004)"
        );
        let approval = wire::LogEntry {
            kind: "covenant-approval".into(),
            covenant_approval: Some(wire::CovenantApprovalLog {
                version: 2,
                action: "in-force".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            summary(&approval),
            "convenantversie 2 in werking getreden (art. 13.1), door de hub zelf"
        );
        let v = view(&approval);
        assert_eq!(
            v.kind_words,
            "stap in de goedkeuring van het convenant (art. 13)"
        );
        assert!(v.outcome.is_none());
    }
}
