//! **Bevraging** (`GET /casussen/{case}/bevraging`, `templates/bevraging.html`): who
//! knows a subject of the case, hit or no hit per partner and nothing more (article
//! 8.4), as `hubctl bevraag` asks it ([`queries::bevraag`]).
//!
//! The form (a `POST` to the same address, with its CSRF token: a bevraging asks every
//! partner and is logged) names the subject by choosing it from the case's subjects;
//! the hub picks the purpose that fits the phase (article 4.2). The answer is shown on
//! the page the `POST` returns: the hub keeps no bevraging to fetch again, and the
//! console keeps none either. Parties by name, every one of them: hit, no hit, not
//! asked with the articles and their reasons in words, no answer with why.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use treiter_proto::text::escape_control;
use treiter_proto::v1 as wire;

use super::casefile::{LogRef, bad_id, is_officer, plain_id, subject_name};
use super::casefiles::purpose_of_phase;
use super::{open, problem_page};
use crate::console::App;
use crate::console::dates::moment_ts;
use crate::console::layout::{Layout, Nav, party_name, render_with};
use crate::console::security::Session;
use crate::console::texts::{self, Problem};
use crate::queries;

/// The form's field: the subject, by pseudonym.
pub const SUBJECT_FIELD: &str = "betrokkene";

/// The address of a case's Bevraging page.
pub fn path(case_id: &str) -> String {
    format!("/casussen/{case_id}/bevraging")
}

/// The page.
#[derive(Template)]
#[template(path = "bevraging.html")]
pub struct BevragingPage {
    /// The frame.
    pub layout: Layout,
    /// The case.
    pub case_id: String,
    /// The purpose the bevraging serves, in words; `None` when the case is closed.
    pub purpose: Option<String>,
    /// Why nothing can be asked in this phase (article 4.4).
    pub closed: Option<String>,
    /// The case has no subjects yet.
    pub no_subjects: bool,
    /// The subject choice: pseudonym, words, chosen.
    pub subjects: Vec<(String, String, bool)>,
    /// What is wrong with the subject chosen.
    pub subject_error: Option<&'static str>,
    /// The hub's refusal.
    pub refusal: Option<Problem>,
    /// The answer.
    pub result: Option<BevragingView>,
}

/// One partner's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitRow {
    /// The party's name.
    pub name: String,
    /// Its kind (covenant word).
    pub kind: String,
    /// Whether it knows the subject.
    pub hit: bool,
    /// "bekend", "niet bekend", "niet gevraagd — art. 6.4", ...
    pub result: String,
    /// Why, in words.
    pub why: Option<String>,
}

/// A bevraging's answer as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BevragingView {
    /// The table's caption, naming the subject.
    pub caption: String,
    /// When, and for which purpose.
    pub asked: String,
    /// How many know the subject.
    pub hits: String,
    /// Every party of the covenant, in its order.
    pub rows: Vec<HitRow>,
    /// The bevraging's entry in the log, when the hub named one.
    pub log: Option<LogRef>,
}

/// The view of a bevraging's answer about `subject` (in words).
pub fn view(b: &wire::BevragingResult, subject: &str, officer: bool) -> BevragingView {
    let rows: Vec<HitRow> = b
        .partners
        .iter()
        .map(|p| {
            let articles = p.articles.join(", ");
            let (result, why) = match p.result.as_str() {
                "hit" => (texts::HIT.to_owned(), Some(texts::HIT_WORDS.to_owned())),
                "no-hit" => (texts::NO_HIT.to_owned(), None),
                "not-asked" => {
                    let reasons = texts::article_reasons(&p.articles);
                    (
                        texts::partner_not_asked(&articles),
                        Some(if reasons.is_empty() {
                            format!("{}.", texts::NOT_ASKED_LEAD)
                        } else {
                            format!("{} ({reasons}).", texts::NOT_ASKED_LEAD)
                        }),
                    )
                }
                "no-answer" => (
                    match p.no_answer_reason.as_str() {
                        "deadline" | "" => texts::PARTNER_NO_ANSWER.to_owned(),
                        "offline" => texts::PARTNER_OFFLINE.to_owned(),
                        "queue-expired" => texts::PARTNER_QUEUE_EXPIRED.to_owned(),
                        other => texts::partner_could_not(&escape_control(other)),
                    },
                    None,
                ),
                other => (escape_control(other).into_owned(), None),
            };
            HitRow {
                name: escape_control(&party_name(p.party.as_ref())).into_owned(),
                kind: p.party.as_ref().map(|p| p.kind.clone()).unwrap_or_default(),
                hit: p.result == "hit",
                result,
                why,
            }
        })
        .collect();
    let asked = b
        .partners
        .iter()
        .filter(|p| p.result != "not-asked")
        .count();
    let hits = rows.iter().filter(|r| r.hit).count();
    BevragingView {
        caption: texts::bevraging_caption(subject),
        asked: texts::bevraging_asked(
            &moment_ts(b.asked_at.as_ref())
                .map(|m| m.text)
                .unwrap_or_default(),
            &b.purpose,
        ),
        hits: texts::bevraging_hits(hits, asked),
        rows,
        // Leaf 0 is the log's first entry, which a bevraging never is (its case was
        // logged before it): 0 means the hub named no entry.
        log: (b.log_leaf_index > 0).then(|| LogRef::new(b.log_leaf_index, officer)),
    }
}

/// The page for `case` without an answer; `chosen` is the subject to preselect.
fn blank(layout: Layout, case: &wire::Case, chosen: Option<&str>) -> BevragingPage {
    let purpose = purpose_of_phase(&case.phase);
    let subjects = case
        .subjects
        .iter()
        .filter_map(|s| {
            let hex = s.subject.as_ref()?.hex.clone();
            let words = subject_name(&hex, &s.role, &s.label);
            let is_chosen = chosen == Some(hex.as_str());
            Some((hex, words, is_chosen))
        })
        .collect();
    BevragingPage {
        layout,
        case_id: case.id.clone(),
        purpose: purpose.map(|p| texts::purpose_for_phase_words(p, &case.phase)),
        closed: purpose.is_none().then(|| texts::closed_phase(&case.phase)),
        no_subjects: case.subjects.is_empty(),
        subjects,
        subject_error: None,
        refusal: None,
        result: None,
    }
}

/// `GET /casussen/{case}/bevraging`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(case_id): Path<String>,
) -> Response {
    if !plain_id(&case_id) {
        return bad_id();
    }
    let title = texts::bevraging_title(&case_id);
    let mut opened = match open(&app, &session, Nav::Cases, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match queries::get_case(&mut opened.hub, &case_id).await {
        Ok(case) => render_with(&blank(opened.layout, &case, None), StatusCode::OK),
        Err(e) => problem_page(
            &title,
            Nav::Cases,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
    }
}

/// `POST /casussen/{case}/bevraging`: asks, and shows the answer.
pub async fn ask(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(case_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if !plain_id(&case_id) {
        return bad_id();
    }
    let title = texts::bevraging_title(&case_id);
    let mut opened = match open(&app, &session, Nav::Cases, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let case = match queries::get_case(&mut opened.hub, &case_id).await {
        Ok(case) => case,
        Err(e) => {
            return problem_page(
                &title,
                Nav::Cases,
                Some(&opened.me),
                &e,
                &session,
                opened.now,
            );
        }
    };
    let chosen = pairs
        .iter()
        .find(|(k, _)| k == SUBJECT_FIELD)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    // Only a subject the form offered: whatever else was sent is not passed on.
    let subject = case.subjects.iter().find(|s| {
        s.subject
            .as_ref()
            .is_some_and(|p| !chosen.is_empty() && p.hex == chosen)
    });
    let officer = is_officer(&opened.me);
    let mut page = blank(opened.layout, &case, Some(&chosen));
    let Some(subject) = subject else {
        page.subject_error = Some(texts::BEVRAGING_PICK_SUBJECT);
        return render_with(&page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let words = subject_name(&chosen, &subject.role, &subject.label);
    match queries::bevraag(&mut opened.hub, &case.id, &chosen, None).await {
        Ok(b) => page.result = Some(view(&b, &words, officer)),
        Err(e) => page.refusal = Some(texts::problem(&e)),
    }
    render_with(&page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::pages::casefile::tests::{ggd, om, politie};
    use crate::when::to_timestamp;
    use time::macros::datetime;

    #[test]
    fn every_partner_answer_reads_in_words() {
        let b = wire::BevragingResult {
            case_id: "C-2026-0001".into(),
            purpose: "registratie".into(),
            asked_at: Some(to_timestamp(datetime!(2026-11-23 10:00 UTC))),
            log_leaf_index: 7,
            partners: vec![
                wire::PartnerHit {
                    party: politie(),
                    result: "hit".into(),
                    ..Default::default()
                },
                wire::PartnerHit {
                    party: om(),
                    result: "not-asked".into(),
                    articles: vec!["6.4".into()],
                    ..Default::default()
                },
                wire::PartnerHit {
                    party: ggd(),
                    result: "no-answer".into(),
                    no_answer_reason: "offline".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let view = view(&b, "dader — buurman", false);
        assert_eq!(view.caption, "Wie kent dader — buurman? (art. 8.4)");
        assert_eq!(
            view.asked,
            "Gevraagd op ma 23 nov. 2026 11:00, voor doel registratie."
        );
        assert_eq!(
            view.hits,
            "1 van de 2 gevraagde partners kent de betrokkene."
        );
        assert_eq!(view.rows[0].name, "Politie Eenheid Amsterdam");
        assert!(view.rows[0].hit);
        assert_eq!(view.rows[0].result, "bekend");
        assert_eq!(view.rows[1].result, "niet gevraagd — art. 6.4");
        assert!(
            view.rows[1]
                .why
                .as_deref()
                .is_some_and(|w| w.contains("alleen voor de stadsdeelregisseur, bij aanpak")),
            "{:?}",
            view.rows[1].why
        );
        assert_eq!(view.rows[2].result, "geen antwoord — offline");
        let log = view.log.expect("logged");
        assert_eq!(log.words, "logboek, regel 7");
        assert_eq!(log.href, None, "coordinators cannot read the log");
        let unnamed = wire::BevragingResult {
            log_leaf_index: 0,
            ..b
        };
        assert_eq!(super::view(&unnamed, "x", false).log, None);
    }
}
