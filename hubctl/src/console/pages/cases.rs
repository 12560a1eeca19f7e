//! **Mijn casussen** (`GET /casussen`, `templates/cases.html`): the cases the caller
//! may see (ListCases, as `hubctl case list`, through [`queries::list_cases`]), with
//! phase, stadsdeel, the subjects by label, the melder-contact deadline of article 4.3
//! (overdue cases first, and marked in words as well as colour) and an active
//! emergency's time left of its 72 hours (article 15.3). A filter form (GET, so it
//! needs no CSRF token and works as a bookmark) narrows the list as `case list`'s
//! options do.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::{open, problem_page};
use crate::cli::{PHASES, STADSDELEN};
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{Layout, Nav, render};
use crate::console::security::Session;
use crate::console::texts;
use crate::queries::{self, CaseFilter};
use crate::report::short;
use crate::when::from_timestamp;

/// The query parameters of the filter form.
pub mod param {
    /// One stadsdeel (empty: all).
    pub const STADSDEEL: &str = "stadsdeel";
    /// A phase; repeated for several.
    pub const PHASE: &str = "fase";
    /// Only overdue contact deadlines.
    pub const OVERDUE: &str = "verstreken";
    /// Only escalated cases.
    pub const ESCALATED: &str = "geescaleerd";
    /// Only active emergencies.
    pub const EMERGENCY: &str = "spoed";
}

/// The page.
#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    /// The frame.
    pub layout: Layout,
    /// The filter form as filled in.
    pub filter: FilterForm,
    /// The cases, in the order shown; `None` when the filter was refused.
    pub rows: Option<Vec<CaseRow>>,
}

/// The filter form, as the person filled it in, with what was wrong.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FilterForm {
    /// The stadsdeel options (covenant words) and whether each is chosen.
    pub stadsdelen: Vec<(&'static str, bool)>,
    /// The phase boxes (covenant words) and whether each is ticked.
    pub phases: Vec<(&'static str, bool)>,
    /// Only overdue contact deadlines.
    pub overdue: bool,
    /// Only escalated cases.
    pub escalated: bool,
    /// Only active emergencies.
    pub emergency: bool,
    /// What is wrong with the stadsdeel chosen.
    pub stadsdeel_error: Option<&'static str>,
    /// What is wrong with the phases ticked.
    pub phase_error: Option<&'static str>,
    /// Whether any filter is set (offers the reset link).
    pub active: bool,
}

impl FilterForm {
    /// Whether the form holds an error (then nothing is listed).
    pub fn has_errors(&self) -> bool {
        self.stadsdeel_error.is_some() || self.phase_error.is_some()
    }
}

/// Reads the filter from the query: the form to show again, and the filter to ask the
/// hub with (when the form holds no error). Words outside the covenant's lists are
/// refused next to their field, never passed on.
pub fn read_filter(query: &[(String, String)]) -> (FilterForm, CaseFilter) {
    fn values<'q>(query: &'q [(String, String)], name: &'q str) -> impl Iterator<Item = &'q str> {
        query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }
    let values = |name: &'static str| values(query, name);
    let flag = |name: &'static str| values(name).any(|v| !v.is_empty());
    let mut form = FilterForm {
        overdue: flag(param::OVERDUE),
        escalated: flag(param::ESCALATED),
        emergency: flag(param::EMERGENCY),
        ..FilterForm::default()
    };
    let stadsdeel = values(param::STADSDEEL).find(|v| !v.is_empty());
    if stadsdeel.is_some_and(|s| !STADSDELEN.contains(&s)) {
        form.stadsdeel_error = Some(texts::FILTER_BAD_STADSDEEL);
    }
    let phases: Vec<&str> = values(param::PHASE).filter(|v| !v.is_empty()).collect();
    if phases.iter().any(|p| !PHASES.contains(p)) {
        form.phase_error = Some(texts::FILTER_BAD_PHASE);
    }
    form.stadsdelen = STADSDELEN
        .iter()
        .map(|s| (*s, stadsdeel == Some(*s)))
        .collect();
    form.phases = PHASES.iter().map(|p| (*p, phases.contains(p))).collect();
    form.active = stadsdeel.is_some()
        || !phases.is_empty()
        || form.overdue
        || form.escalated
        || form.emergency;
    let filter = CaseFilter {
        stadsdeel: stadsdeel.map(str::to_owned),
        phases: phases.iter().map(|p| (*p).to_owned()).collect(),
        overdue: form.overdue,
        escalated: form.escalated,
        emergency: form.emergency,
    };
    (form, filter)
}

/// One case as a row.
#[derive(Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// The case id.
    pub id: String,
    /// The phase (covenant word).
    pub phase: String,
    /// The stadsdeel (covenant word).
    pub stadsdeel: String,
    /// Escalated to city level (`geescaleerd`).
    pub escalated: bool,
    /// The subjects: role (covenant word) and what names them for the case team.
    pub subjects: Vec<(String, String)>,
    /// The contact deadline in words.
    pub contact: String,
    /// When contact was due.
    pub contact_due: Option<Moment>,
    /// Whether the deadline passed without contact.
    pub overdue: bool,
    /// An active emergency's time left, in words.
    pub emergency: Option<String>,
}

/// The rows in the order shown: overdue contact deadlines first (the longest overdue
/// on top), then the others in the hub's order (newest registration first).
pub fn rows(cases: &[wire::CaseSummary], now: OffsetDateTime) -> Vec<CaseRow> {
    let mut rows: Vec<(Option<OffsetDateTime>, CaseRow)> = cases
        .iter()
        .map(|c| {
            let due = c
                .contact
                .as_ref()
                .and_then(|d| d.due_at.as_ref())
                .and_then(from_timestamp);
            (due, row(c, now))
        })
        .collect();
    // A stable sort keeps the hub's order within each group.
    rows.sort_by_key(|(due, row)| (!row.overdue, if row.overdue { *due } else { None }));
    rows.into_iter().map(|(_, row)| row).collect()
}

fn row(c: &wire::CaseSummary, now: OffsetDateTime) -> CaseRow {
    let contact = c.contact.clone().unwrap_or_default();
    let due = contact.due_at.as_ref().and_then(from_timestamp);
    let due_moment = moment_ts(contact.due_at.as_ref());
    let contacted = moment_ts(contact.contacted_at.as_ref());
    let left = due.map(|d| d - now).unwrap_or_default();
    let emergency = c
        .emergency_expires_at
        .as_ref()
        .and_then(from_timestamp)
        .filter(|until| *until >= now)
        .map(|until| {
            let until_text = crate::console::dates::moment(until).text;
            texts::emergency_words(until - now, &until_text)
        });
    CaseRow {
        id: c.id.clone(),
        phase: c.phase.clone(),
        stadsdeel: c.stadsdeel.clone(),
        escalated: c.escalated,
        subjects: c
            .subjects
            .iter()
            .map(|s| {
                let name = if s.label.is_empty() {
                    let hex = s.subject.as_ref().map(|p| p.hex.as_str()).unwrap_or("");
                    texts::unlabelled_subject(&short(hex))
                } else {
                    s.label.clone()
                };
                (s.role.clone(), name)
            })
            .collect(),
        contact: texts::contact_words(
            &contact.status,
            &due_moment
                .as_ref()
                .map(|m| m.text.clone())
                .unwrap_or_default(),
            &contacted.map(|m| m.text).unwrap_or_default(),
            left,
        ),
        contact_due: due_moment,
        overdue: contact.status == "overdue",
        emergency,
    }
}

/// `GET /casussen`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut opened = match open(&app, &session, Nav::Cases, texts::CASES_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (form, filter) = read_filter(&query);
    let rows = if form.has_errors() {
        None
    } else {
        match queries::list_cases(&mut opened.hub, &filter).await {
            // Time left counts from the hub's clock, the one its deadline states
            // hold for.
            Ok(list) => Some(rows(&list.cases, list.as_of.unwrap_or(opened.now))),
            Err(e) => {
                return problem_page(
                    texts::CASES_TITLE,
                    Nav::Cases,
                    Some(&opened.me),
                    &e,
                    &session,
                    opened.now,
                );
            }
        }
    };
    render(&CasesPage {
        layout: opened.layout,
        filter: form,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::to_timestamp;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn summary(id: &str, status: &str, due: OffsetDateTime) -> wire::CaseSummary {
        wire::CaseSummary {
            id: id.into(),
            stadsdeel: "oost".into(),
            phase: "melding".into(),
            contact: Some(wire::ContactDeadline {
                due_at: Some(to_timestamp(due)),
                status: status.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn overdue_cases_come_first_the_longest_overdue_on_top() {
        let cases = [
            summary("C-4", "open", NOW + Duration::days(1)),
            summary("C-3", "overdue", NOW - Duration::hours(2)),
            summary("C-2", "met", NOW - Duration::days(3)),
            summary("C-1", "overdue", NOW - Duration::days(2)),
        ];
        let shown: Vec<(String, bool)> = rows(&cases, NOW)
            .into_iter()
            .map(|r| (r.id, r.overdue))
            .collect();
        assert_eq!(
            shown,
            [
                ("C-1".to_owned(), true),
                ("C-3".to_owned(), true),
                ("C-4".to_owned(), false),
                ("C-2".to_owned(), false),
            ]
        );
        let overdue = &rows(&cases, NOW)[0];
        assert_eq!(
            overdue.contact,
            "verstreken 2 dagen geleden (was uiterlijk wo 18 nov. 2026 13:00); nog geen contact vastgelegd"
        );
        let open = &rows(&cases, NOW)[2];
        assert_eq!(
            open.contact,
            "open — neem contact op binnen 1 dag (uiterlijk za 21 nov. 2026 13:00)"
        );
    }

    #[test]
    fn an_active_emergency_shows_its_time_left() {
        let mut c = summary("C-1", "met", NOW);
        c.emergency_expires_at = Some(to_timestamp(NOW + Duration::minutes(41 * 60 + 20)));
        let row = &rows(&[c.clone()], NOW)[0];
        assert_eq!(
            row.emergency.as_deref(),
            Some("actief — nog 1 dag 17 uur van 72 uur (tot zo 22 nov. 2026 06:20)")
        );
        c.emergency_expires_at = Some(to_timestamp(NOW - Duration::minutes(1)));
        assert_eq!(rows(&[c], NOW)[0].emergency, None, "expired: not shown");
    }

    #[test]
    fn subjects_are_named_by_label_or_pseudonym_start() {
        let mut c = summary("C-1", "open", NOW);
        c.subjects = vec![
            wire::SubjectSummary {
                subject: Some(wire::SubjectPseudonym {
                    hex: "ab".repeat(32),
                }),
                role: "slachtoffer".into(),
                label: "buurvrouw 2-hoog".into(),
            },
            wire::SubjectSummary {
                subject: Some(wire::SubjectPseudonym {
                    hex: "cd".repeat(32),
                }),
                role: "dader".into(),
                label: String::new(),
            },
        ];
        assert_eq!(
            rows(&[c], NOW)[0].subjects,
            [
                ("slachtoffer".to_owned(), "buurvrouw 2-hoog".to_owned()),
                ("dader".to_owned(), "pseudoniem cdcdcdcdcdcd…".to_owned()),
            ]
        );
    }

    #[test]
    fn the_filter_takes_covenant_words_only() {
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let (form, filter) = read_filter(&q(&[
            ("stadsdeel", "nieuw-west"),
            ("fase", "duiding"),
            ("fase", "aanpak"),
            ("verstreken", "1"),
        ]));
        assert!(!form.has_errors());
        assert!(form.active);
        assert_eq!(filter.stadsdeel.as_deref(), Some("nieuw-west"));
        assert_eq!(filter.phases, ["duiding", "aanpak"]);
        assert!(filter.overdue && !filter.escalated && !filter.emergency);
        assert!(form.stadsdelen.contains(&("nieuw-west", true)));
        let (form, _) = read_filter(&q(&[("stadsdeel", "Nieuw-West"), ("fase", "x")]));
        assert_eq!(form.stadsdeel_error, Some(texts::FILTER_BAD_STADSDEEL));
        assert_eq!(form.phase_error, Some(texts::FILTER_BAD_PHASE));
        let (form, filter) = read_filter(&q(&[("stadsdeel", "")]));
        assert!(!form.active && !form.has_errors());
        assert_eq!(filter, CaseFilter::default());
    }
}
