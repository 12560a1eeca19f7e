//! **Inzage** (`GET`/`POST /inzage`, `templates/officer_inzage.html`), for the
//! gemeente's privacy officers (article 11.1): a data subject's request, the party's
//! requests with the 4-week due date of article 11.2, and the overview document
//! (`GET /inzage/{id}`, `templates/officer_inzage_document.html`), readable and
//! printable (the print rules are the "Inzage" block of `static/console.css`), with
//! the hub's own Markdown and JSON documents as downloads
//! (`/inzage/{id}/overzicht.md`, `/inzage/{id}/overzicht.json`).
//!
//! Article 8.4: the subject's identifying data typed into the request form is
//! pseudonymised in this process ([`crate::console::identity`], the function `hubctl
//! inzage request` uses) before anything is sent; only the pseudonym goes to the hub.
//! The data is never shown again (a refused form comes back with those fields empty),
//! logged or put in an error: an error names the field, never its value. A pseudonym
//! may be given instead, as `--pseudonym` allows.
//!
//! A privacy officer of another party is told in plain words why the hub makes the
//! overview for the gemeente only, and where to send the data subject.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Date, OffsetDateTime};
use treiter_proto::calendar;
use treiter_proto::v1 as wire;
use treiter_pseudonym::IdentityError;

use super::entry::{OutcomeView, person};
use super::notifications::FormError;
use super::{is_gemeente, not_the_gemeente, open_officer, query_value, request_id_from};
use crate::commands::new_request_id;
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::identity::{IdentifyingData, MissingField, field};
use crate::console::layout::{Layout, Nav, party_name, render, render_with};
use crate::console::pages::{Opened, problem_page};
use crate::console::security::{Session, form_value};
use crate::console::texts;
use crate::error::Error;
use crate::queries::officer as queries;
use crate::when::{BadDate, parse_date};

/// The longest reference the hub takes (InzageRequest.reference).
pub const MAX_REFERENCE_CHARS: usize = 100;
/// The weeks of article 11.2.
pub const ANSWER_WEEKS: u32 = 4;

/// The form's other fields (the identifying ones are [`field`]'s).
pub mod param {
    /// The subject's pseudonym, instead of the identifying data.
    pub const PSEUDONYM: &str = "pseudoniem";
    /// The date the gemeente received the request (YYYY-MM-DD; empty: today).
    pub const RECEIVED_ON: &str = "ontvangen";
    /// The gemeente's own reference.
    pub const REFERENCE: &str = "referentie";
    /// The form's idempotency key.
    pub const REQUEST: &str = "verzoek";
}

/// The request form, as shown (the identifying fields always empty).
#[derive(Debug, PartialEq, Eq)]
pub struct RequestForm {
    /// Its idempotency key.
    pub request_id: String,
    /// The pseudonym as typed.
    pub pseudonym: String,
    /// The date received as typed (today when first shown).
    pub received_on: String,
    /// The reference as typed.
    pub reference: String,
    /// Today in Amsterdam, the latest date the field takes.
    pub today: String,
    /// The identifying field that is wrong (a [`field`] name) and what is wrong with it
    /// (never its value).
    pub identity_error: Option<(&'static str, &'static str)>,
    /// What is wrong with the pseudonym.
    pub pseudonym_error: Option<&'static str>,
    /// What is wrong with the date.
    pub received_error: Option<String>,
    /// What is wrong with the reference.
    pub reference_error: Option<String>,
    /// The hub's refusal, or a problem with the profile's key.
    pub error: Option<FormError>,
}

impl RequestForm {
    /// An empty form for `now`.
    pub fn new(now: OffsetDateTime) -> RequestForm {
        let today = calendar::date_text(calendar::today(now));
        RequestForm {
            request_id: new_request_id(),
            pseudonym: String::new(),
            received_on: today.clone(),
            reference: String::new(),
            today,
            identity_error: None,
            pseudonym_error: None,
            received_error: None,
            reference_error: None,
            error: None,
        }
    }

    /// Whether the form holds an error.
    pub fn has_errors(&self) -> bool {
        self.identity_error.is_some()
            || self.pseudonym_error.is_some()
            || self.received_error.is_some()
            || self.reference_error.is_some()
            || self.error.is_some()
    }

    /// The error of identifying field `name`, if it is the one that is wrong.
    pub fn identity_error_of(&self, name: &str) -> Option<&'static str> {
        self.identity_error
            .filter(|(f, _)| *f == name)
            .map(|(_, words)| words)
    }
}

/// Who the request is about: the identifying data (to be pseudonymised here) or a
/// pseudonym.
pub enum Who {
    /// Typed in; pseudonymised before anything is sent.
    Identified(IdentifyingData),
    /// A pseudonym (64 lowercase hex characters).
    Pseudonym(String),
}

/// Reads the request form: the form to show again (with what is wrong), and, when
/// nothing is, who it is about, the date and the reference.
pub fn read_request(body: &Bytes, now: OffsetDateTime) -> (RequestForm, Option<Who>) {
    let value = |name: &str| form_value(body, name).map(|v| v.trim().to_owned());
    let mut form = RequestForm::new(now);
    form.request_id = request_id_from(value(param::REQUEST).as_deref());
    form.pseudonym = value(param::PSEUDONYM)
        .unwrap_or_default()
        .to_ascii_lowercase();
    form.reference = value(param::REFERENCE).unwrap_or_default();
    let received = value(param::RECEIVED_ON).unwrap_or_default();
    if !received.is_empty() {
        form.received_on = received.clone();
        match parse_date("ontvangen op", &received, now) {
            Ok(date) => form.received_on = date,
            Err(BadDate::Unreadable { .. }) => {
                form.received_error = Some(texts::INZAGE_BAD_DATE.to_owned());
            }
            Err(BadDate::InTheFuture(_)) => {
                form.received_error = Some(texts::inzage_future_date(&form.today));
            }
        }
    }
    let chars = form.reference.chars().count();
    if chars > MAX_REFERENCE_CHARS {
        form.reference_error = Some(texts::reference_too_long(chars, MAX_REFERENCE_CHARS));
    }
    let typed = field::ALL
        .iter()
        .any(|name| value(name).is_some_and(|v| !v.is_empty()));
    let who = match (form.pseudonym.is_empty(), typed) {
        (false, true) => {
            form.pseudonym_error = Some(texts::INZAGE_EITHER_OR);
            None
        }
        (false, false) => {
            if form.pseudonym.len() == 64 && form.pseudonym.bytes().all(|b| b.is_ascii_hexdigit()) {
                Some(Who::Pseudonym(form.pseudonym.clone()))
            } else {
                form.pseudonym_error = Some(texts::INZAGE_BAD_PSEUDONYM);
                None
            }
        }
        (true, _) => match IdentifyingData::from_form(body) {
            Ok(data) => Some(Who::Identified(data)),
            Err(MissingField(name)) => {
                form.identity_error = Some((name, texts::missing_identity_field(name)));
                None
            }
        },
    };
    let who = if form.has_errors() { None } else { who };
    (form, who)
}

/// A pseudonymisation refused: the field it concerns and what is wrong, in Dutch (the
/// value is never named).
pub fn identity_refusal(e: &IdentityError) -> (&'static str, &'static str) {
    match e {
        IdentityError::EmptyName | IdentityError::NameTooLong | IdentityError::NameCharacter(_) => {
            (field::NAME, texts::IDENTITY_BAD_NAME)
        }
        IdentityError::BirthDateFormat
        | IdentityError::BirthDateNotADay
        | IdentityError::BirthDateTooEarly => (field::BIRTH_DATE, texts::IDENTITY_BAD_BIRTH_DATE),
        IdentityError::Postcode => (field::POSTCODE, texts::IDENTITY_BAD_POSTCODE),
        IdentityError::HouseNumberMissing
        | IdentityError::HouseNumberRange
        | IdentityError::HouseNumberAddition => {
            (field::HOUSE_NUMBER, texts::IDENTITY_BAD_HOUSE_NUMBER)
        }
    }
}

/// A date in Dutch words: `di 15 dec. 2026`.
pub fn day_words(date: Date) -> String {
    let weekday = texts::WEEKDAYS[usize::from(date.weekday().number_days_from_monday())];
    let month = texts::MONTHS[usize::from(u8::from(date.month())) - 1];
    format!("{weekday} {} {month} {}", date.day(), date.year())
}

/// An API date (`YYYY-MM-DD`) in Dutch words; as given when it is not one.
pub fn date_words(text: &str) -> String {
    calendar::parse_date(text).map_or_else(|| text.to_owned(), day_words)
}

/// The due date of article 11.2 against today: its words, and whether it passed.
pub fn due_state(due_on: &str, now: OffsetDateTime) -> (String, bool) {
    let today = calendar::today(now);
    match calendar::parse_date(due_on) {
        Some(due) => {
            let days = (due - today).whole_days();
            (texts::inzage_due_words(&day_words(due), days), days < 0)
        }
        None => (due_on.to_owned(), false),
    }
}

/// One request in the list.
#[derive(Debug, PartialEq, Eq)]
pub struct InzageRow {
    /// The hub's id.
    pub id: String,
    /// The address of its overview.
    pub path: String,
    /// When it was received, in words.
    pub received_on: String,
    /// The due date and how far off it is.
    pub due: String,
    /// Whether the due date passed.
    pub overdue: bool,
    /// The subject's pseudonym, shortened.
    pub subject: String,
    /// The gemeente's reference.
    pub reference: String,
    /// Who produced it, and when.
    pub produced: String,
}

/// The rows of the list, in the hub's order (newest first).
pub fn rows(reports: &[wire::InzageReport], now: OffsetDateTime) -> Vec<InzageRow> {
    reports
        .iter()
        .map(|r| {
            let (due, overdue) = due_state(&r.due_on, now);
            InzageRow {
                id: r.id.clone(),
                path: format!("{}/{}", Nav::Inzage.path(), query_value(&r.id)),
                received_on: date_words(&r.received_on),
                due,
                overdue,
                subject: crate::report::short(
                    r.subject.as_ref().map(|s| s.hex.as_str()).unwrap_or(""),
                ),
                reference: r.reference.clone(),
                produced: texts::produced_words(
                    &moment_ts(r.produced_at.as_ref())
                        .map(|m| m.text)
                        .unwrap_or_default(),
                    &person(r.produced_by.as_ref()),
                ),
            }
        })
        .collect()
}

/// The page.
#[derive(Template)]
#[template(path = "officer_inzage.html")]
pub struct InzagePage {
    /// The frame.
    pub layout: Layout,
    /// The request form.
    pub form: RequestForm,
    /// The party's requests.
    pub rows: Vec<InzageRow>,
    /// The identifying fields' names.
    pub name_field: &'static str,
    /// See `name_field`.
    pub birth_date_field: &'static str,
    /// See `name_field`.
    pub postcode_field: &'static str,
    /// See `name_field`.
    pub house_number_field: &'static str,
}

async fn draw(mut opened: Opened<'_>, session: &Session, form: RequestForm) -> Response {
    let reports = match queries::list_inzages(&mut opened.hub).await {
        Ok(r) => r,
        Err(e) => {
            return problem_page(
                texts::INZAGE_TITLE,
                Nav::Inzage,
                Some(&opened.me),
                &e,
                session,
                opened.now,
            );
        }
    };
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_with(
        &InzagePage {
            rows: rows(&reports, opened.now),
            layout: opened.layout,
            form,
            name_field: field::NAME,
            birth_date_field: field::BIRTH_DATE,
            postcode_field: field::POSTCODE,
            house_number_field: field::HOUSE_NUMBER,
        },
        status,
    )
}

async fn open_gemeente<'a>(
    app: &'a App,
    session: &Session,
    title: &str,
) -> Result<Opened<'a>, Response> {
    let opened = open_officer(app, session, Nav::Inzage, title).await?;
    if is_gemeente(&opened.me) {
        Ok(opened)
    } else {
        Err(not_the_gemeente(opened, session))
    }
}

/// `GET /inzage`.
pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    match open_gemeente(&app, &session, texts::INZAGE_TITLE).await {
        Ok(opened) => {
            let form = RequestForm::new(opened.now);
            draw(opened, &session, form).await
        }
        Err(page) => page,
    }
}

/// `POST /inzage`: pseudonymises here, asks the hub for the overview, and shows it.
pub async fn request(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    body: Bytes,
) -> Response {
    let mut opened = match open_gemeente(&app, &session, texts::INZAGE_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (mut form, who) = read_request(&body, opened.now);
    // The body holds the identifying data: dropped as soon as it is read.
    drop(body);
    let Some(who) = who else {
        return draw(opened, &session, form).await;
    };
    let pseudonym = match who {
        Who::Pseudonym(hex) => hex,
        Who::Identified(data) => match data.pseudonym(opened.hub.profile()) {
            Ok(hex) => hex,
            Err(Error::Identity(e)) => {
                form.identity_error = Some(identity_refusal(&e));
                return draw(opened, &session, form).await;
            }
            Err(e) => {
                form.error = Some(FormError {
                    words: texts::pseudonymise_problem(&e),
                    detail: Some(e.to_string()),
                });
                return draw(opened, &session, form).await;
            }
        },
    };
    match queries::request_inzage(
        &mut opened.hub,
        &form.request_id,
        &pseudonym,
        &form.received_on,
        &form.reference,
    )
    .await
    {
        Ok(report) => Redirect::to(&format!(
            "{}/{}",
            Nav::Inzage.path(),
            query_value(&report.id)
        ))
        .into_response(),
        Err(e) if texts::problem(&e).unreachable => problem_page(
            texts::INZAGE_TITLE,
            Nav::Inzage,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
        Err(e) => {
            let p = texts::problem(&e);
            form.error = Some(FormError {
                words: format!("{} {}", p.title, p.advice),
                detail: Some(e.to_string()),
            });
            draw(opened, &session, form).await
        }
    }
}

/// A case of the overview.
#[derive(Debug, PartialEq, Eq)]
pub struct CaseLine {
    /// The case id.
    pub case_id: String,
    /// The subject's role (covenant word).
    pub role: String,
    /// What happened, in a sentence.
    pub words: String,
}

/// A share of the overview.
#[derive(Debug, PartialEq, Eq)]
pub struct ItemView {
    /// Its number in the overview, from 1.
    pub number: usize,
    /// When it was decided.
    pub decided_at: Option<Moment>,
    /// The category (covenant word).
    pub category: String,
    /// By whom: the source party.
    pub source: String,
    /// With whom: the recipient's party and role.
    pub recipient: String,
    /// The case.
    pub case_id: String,
    /// The purpose (covenant word) and what it means.
    pub purpose: String,
    /// What it means.
    pub purpose_words: String,
    /// The outcome.
    pub outcome: OutcomeView,
    /// Whether anything passed (`permit`).
    pub permitted: bool,
    /// The fields shared.
    pub passed: Vec<String>,
    /// The fields withheld.
    pub stripped: Vec<String>,
    /// Whether it was an emergency share.
    pub emergency: bool,
    /// The articles.
    pub articles: String,
    /// The log entry.
    pub leaf_index: u64,
}

/// The overview document.
#[derive(Debug, PartialEq, Eq)]
pub struct DocumentView {
    /// The request's id.
    pub id: String,
    /// When received, in words.
    pub received_on: String,
    /// When due, in words.
    pub due_on: String,
    /// How far off the due date is.
    pub due: String,
    /// Whether it passed.
    pub overdue: bool,
    /// The gemeente's reference.
    pub reference: String,
    /// The subject's pseudonym (in full).
    pub subject: String,
    /// Who produced it, and when.
    pub produced: String,
    /// When it was produced, in words.
    pub produced_at: String,
    /// How many log entries it covers.
    pub tree_size: u64,
    /// The cases.
    pub cases: Vec<CaseLine>,
    /// The shares.
    pub items: Vec<ItemView>,
}

/// The document of `r`, as the hub's Markdown words it, for a page.
pub fn document_view(r: &wire::InzageReport, now: OffsetDateTime) -> DocumentView {
    let (due, overdue) = due_state(&r.due_on, now);
    let moment_text =
        |ts: Option<&prost_types::Timestamp>| moment_ts(ts).map(|m| m.text).unwrap_or_default();
    DocumentView {
        id: r.id.clone(),
        received_on: date_words(&r.received_on),
        due_on: date_words(&r.due_on),
        due,
        overdue,
        reference: r.reference.clone(),
        subject: r
            .subject
            .as_ref()
            .map(|s| s.hex.clone())
            .unwrap_or_default(),
        produced: person(r.produced_by.as_ref()),
        produced_at: moment_text(r.produced_at.as_ref()),
        tree_size: r.tree_size,
        cases: r
            .cases
            .iter()
            .map(|c| CaseLine {
                case_id: c.case_id.clone(),
                role: c.role.clone(),
                words: texts::inzage_case_words(
                    &texts::subject_role_words(&c.role),
                    &moment_text(c.added_at.as_ref()),
                    c.removed_at
                        .is_some()
                        .then(|| moment_text(c.removed_at.as_ref())),
                    c.deleted_at
                        .is_some()
                        .then(|| moment_text(c.deleted_at.as_ref())),
                ),
            })
            .collect(),
        items: r
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| ItemView {
                number: i + 1,
                decided_at: moment_ts(item.decided_at.as_ref()),
                category: item.category.clone(),
                source: party_name(item.source.as_ref()),
                recipient: texts::recipient_words(
                    &party_name(item.recipient_party.as_ref()),
                    &item.recipient_role,
                ),
                case_id: item.case_id.clone(),
                purpose: item.purpose.clone(),
                purpose_words: texts::purpose_words(&item.purpose),
                outcome: OutcomeView {
                    words: texts::inzage_outcome_words(
                        &item.outcome,
                        !item.fields_stripped.is_empty(),
                    ),
                    ..super::entry::outcome(&wire::ShareDecision {
                        outcome: item.outcome.clone(),
                        ..Default::default()
                    })
                },
                permitted: item.outcome == "permit",
                passed: item.fields_passed.clone(),
                stripped: item.fields_stripped.clone(),
                emergency: item.emergency,
                articles: item.articles.join(", "),
                leaf_index: item.log_leaf_index,
            })
            .collect(),
    }
}

/// The overview page.
#[derive(Template)]
#[template(path = "officer_inzage_document.html")]
pub struct DocumentPage {
    /// The frame.
    pub layout: Layout,
    /// The document.
    pub doc: DocumentView,
    /// The download of the hub's Markdown document.
    pub markdown: String,
    /// The download of the hub's JSON document.
    pub json: String,
}

/// `GET /inzage/{id}`.
pub async fn document(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let title = texts::inzage_document_title(&id);
    let mut opened = match open_gemeente(&app, &session, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match queries::get_inzage(&mut opened.hub, &id).await {
        Ok(report) => {
            let base = format!("{}/{}", Nav::Inzage.path(), query_value(&report.id));
            render(&DocumentPage {
                doc: document_view(&report, opened.now),
                layout: opened.layout,
                markdown: format!("{base}/{MARKDOWN_FILE}"),
                json: format!("{base}/{JSON_FILE}"),
            })
        }
        Err(e) => problem_page(
            &title,
            Nav::Inzage,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
    }
}

/// The Markdown download's name in the address.
pub const MARKDOWN_FILE: &str = "overzicht.md";
/// The JSON download's name in the address.
pub const JSON_FILE: &str = "overzicht.json";

/// `GET /inzage/{id}/overzicht.md` and `.json`: the hub's own documents, as downloads
/// named after the request.
pub async fn download(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (content_type, extension) = match file.as_str() {
        MARKDOWN_FILE => ("text/markdown; charset=utf-8", "md"),
        JSON_FILE => ("application/json; charset=utf-8", "json"),
        _ => return crate::console::pages::not_found().await,
    };
    let title = texts::inzage_document_title(&id);
    let mut opened = match open_gemeente(&app, &session, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let report = match queries::get_inzage(&mut opened.hub, &id).await {
        Ok(r) => r,
        Err(e) => {
            return problem_page(
                &title,
                Nav::Inzage,
                Some(&opened.me),
                &e,
                &session,
                opened.now,
            );
        }
    };
    let body = match extension {
        "md" => report.markdown,
        _ => report.json,
    };
    // The id names the file: only its letters, digits and hyphens.
    let safe: String = report
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"inzage-{safe}.{extension}\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn body(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn identifying_data_is_never_shown_again_and_a_missing_field_is_named() {
        let (form, who) = read_request(
            &body(
                "naam=Sanne+Slachtoffer&geboortedatum=&postcode=1091+AB&huisnummer=14-2&ontvangen=2026-11-18&referentie=AVG-17",
            ),
            NOW,
        );
        assert!(who.is_none());
        assert_eq!(
            form.identity_error,
            Some((
                field::BIRTH_DATE,
                texts::missing_identity_field(field::BIRTH_DATE)
            ))
        );
        assert_eq!(form.received_on, "2026-11-18");
        assert_eq!(form.reference, "AVG-17");
        let shown = format!("{form:?}");
        assert!(
            !shown.contains("Sanne") && !shown.contains("1091"),
            "{shown}"
        );
    }

    #[test]
    fn a_complete_request_is_read() {
        let (form, who) = read_request(
            &body(
                "naam=Sanne+Slachtoffer&geboortedatum=1975-05-05&postcode=1091+AB&huisnummer=14-2&ontvangen=&referentie=",
            ),
            NOW,
        );
        assert!(!form.has_errors(), "{form:?}");
        assert!(matches!(who, Some(Who::Identified(_))));
        assert_eq!(form.received_on, "2026-11-20", "today when left empty");
        let hex = "5A".repeat(32);
        let text: &'static str = Box::leak(format!("pseudoniem={hex}").into_boxed_str());
        let (_, who) = read_request(&body(text), NOW);
        assert!(matches!(who, Some(Who::Pseudonym(ref p)) if *p == "5a".repeat(32)));
    }

    #[test]
    fn dates_pseudonyms_and_references_are_checked_here() {
        let (form, _) = read_request(&body("pseudoniem=abc&ontvangen=2026-11-21"), NOW);
        assert_eq!(form.pseudonym_error, Some(texts::INZAGE_BAD_PSEUDONYM));
        assert_eq!(
            form.received_error.as_deref(),
            Some(texts::inzage_future_date("2026-11-20").as_str())
        );
        let (form, _) = read_request(&body("pseudoniem=abc&naam=X&ontvangen=20-11-2026"), NOW);
        assert_eq!(form.pseudonym_error, Some(texts::INZAGE_EITHER_OR));
        assert_eq!(form.received_error.as_deref(), Some(texts::INZAGE_BAD_DATE));
        let long: &'static str =
            Box::leak(format!("referentie={}", "x".repeat(101)).into_boxed_str());
        let (form, _) = read_request(&body(long), NOW);
        assert!(form.reference_error.is_some());
    }

    #[test]
    fn the_due_date_of_article_11_2_is_counted_in_amsterdam_days() {
        assert_eq!(
            due_state("2026-12-18", NOW),
            ("vr 18 dec. 2026 — nog 28 dagen".to_owned(), false)
        );
        assert_eq!(
            due_state("2026-11-20", NOW),
            ("vr 20 nov. 2026 — vandaag".to_owned(), false)
        );
        assert_eq!(
            due_state("2026-11-18", NOW),
            (
                "wo 18 nov. 2026 — termijn verstreken, 2 dagen geleden".to_owned(),
                true
            )
        );
        // 23:30 UTC on 19 November is already the 20th in Amsterdam.
        assert_eq!(
            due_state("2026-11-20", datetime!(2026-11-19 23:30 UTC)).0,
            "vr 20 nov. 2026 — vandaag"
        );
    }

    #[test]
    fn a_refused_form_comes_back_without_the_identifying_data() {
        let (form, _) = read_request(
            &body(
                "naam=Sanne+Slachtoffer&geboortedatum=1976-06-07&postcode=&huisnummer=33-3&referentie=AVG-17",
            ),
            NOW,
        );
        let page = InzagePage {
            layout: crate::console::pages::officer::test_layout("Inzage", Nav::Inzage),
            form,
            rows: Vec::new(),
            name_field: field::NAME,
            birth_date_field: field::BIRTH_DATE,
            postcode_field: field::POSTCODE,
            house_number_field: field::HOUSE_NUMBER,
        };
        let html = page.render().expect("render");
        for typed in ["Sanne", "1976-06-07", "33-3"] {
            assert!(!html.contains(typed), "{typed} shown again: {html}");
        }
        assert!(
            html.contains("value=\"AVG-17\""),
            "the reference is kept: {html}"
        );
        assert!(html.contains("Vul ook de postcode in."), "{html}");
        assert!(
            html.contains("id=\"inzage-postcode\" name=\"postcode\" spellcheck=\"false\" aria-invalid=\"true\""),
            "{html}"
        );
    }

    #[test]
    fn identity_refusals_name_the_field_only() {
        assert_eq!(
            identity_refusal(&IdentityError::Postcode).0,
            field::POSTCODE
        );
        assert_eq!(
            identity_refusal(&IdentityError::BirthDateTooEarly).0,
            field::BIRTH_DATE
        );
    }

    #[test]
    fn the_document_reads_as_the_hubs_overview() {
        let gemeente = wire::Party {
            oin: "00000001000000000001".into(),
            name: "Gemeente Amsterdam".into(),
            kind: "gemeente".into(),
        };
        let report = wire::InzageReport {
            id: "I-2026-0001".into(),
            subject: Some(wire::SubjectPseudonym {
                hex: "5a".repeat(32),
            }),
            received_on: "2026-11-18".into(),
            due_on: "2026-12-16".into(),
            reference: "AVG-17".into(),
            tree_size: 40,
            cases: vec![wire::InzageCase {
                case_id: "C-2026-0001".into(),
                role: "dader".into(),
                ..Default::default()
            }],
            items: vec![wire::InzageItem {
                case_id: "C-2026-0001".into(),
                source: Some(wire::Party {
                    oin: "00000002000000000002".into(),
                    name: "Politie Eenheid Amsterdam".into(),
                    kind: "politie".into(),
                }),
                recipient_party: Some(gemeente),
                recipient_role: "stadsdeelregisseur".into(),
                category: "politie-incidenten".into(),
                purpose: "aanpak".into(),
                outcome: "permit".into(),
                fields_passed: vec!["datum".into()],
                fields_stripped: vec!["samenvatting".into()],
                articles: vec!["6.3".into(), "6.3a".into()],
                log_leaf_index: 9,
                ..Default::default()
            }],
            ..Default::default()
        };
        let d = document_view(&report, NOW);
        assert_eq!(d.received_on, "wo 18 nov. 2026");
        assert_eq!(d.due_on, "wo 16 dec. 2026");
        assert!(!d.overdue);
        assert!(
            d.cases[0]
                .words
                .contains("vermoedelijke veroorzaker (dader)")
        );
        let item = &d.items[0];
        assert_eq!(item.number, 1);
        assert_eq!(item.source, "Politie Eenheid Amsterdam");
        assert_eq!(
            item.recipient,
            "Gemeente Amsterdam, stadsdeelregisseur van de gemeente"
        );
        assert_eq!(item.outcome.words, "verstrekt, met weglating van gegevens");
        assert_eq!(item.articles, "6.3, 6.3a");
        assert!(item.purpose_words.contains("gezamenlijke aanpak"));
    }
}
