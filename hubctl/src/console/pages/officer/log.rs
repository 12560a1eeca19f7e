//! **Logboek** (`GET /logboek`, `templates/officer_log.html`): the decision-log entries
//! of the officer's party (article 10.3: the shares it provided or received, its case
//! changes, the deletions and covenant steps it may see), with the filters `hubctl log
//! entries` has: period, case, category, outcome, direction, kind, purpose, subject and
//! emergency shares. The filter form is a GET form (a bookmark keeps it; no CSRF token
//! is needed to read). Dates are days in Amsterdam, the end day included: "van 1 nov.
//! tot en met 30 nov." asks the hub for the half-open period from 1 November 00:00 to 1
//! December 00:00, Amsterdam time.
//!
//! Paging follows the log's order: a page asks for [`PAGE_SIZE`] + 1 entries from a
//! leaf index on (the one extra says whether there is a next page), and the link to the
//! next page starts after the last one shown. The starts of the pages before travel in
//! the link (`vorige`), so "Vorige pagina" needs no state in the console.
//!
//! **Export** (`GET /logboek/export.csv`, `/logboek/export.jsonl`): every entry the
//! filter admits (no paging), as a download, byte for byte what `hubctl log entries
//! --format csv` (or `jsonl`) prints with the same filter: the same functions of
//! [`crate::officer_report`], the same escaping of hidden characters.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Date, OffsetDateTime};
use treiter_proto::calendar;
use treiter_proto::v1 as wire;

use super::entry::{OutcomeView, entry_path, outcome, summary};
use super::{open_officer, query_string};
use crate::cli::{ALL_PURPOSES, LOG_KINDS, OUTCOMES};
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{Layout, Nav, render};
use crate::console::pages::problem_page;
use crate::console::security::Session;
use crate::console::texts;
use crate::officer_report;
use crate::queries::officer::{self as queries, LogFilter};

/// Entries per page.
pub const PAGE_SIZE: u32 = 50;
/// How many earlier page starts a "Vorige pagina" link remembers.
const BACK_STEPS: usize = 50;
/// The CSV download.
pub const EXPORT_CSV: &str = "/logboek/export.csv";
/// The JSON-lines download.
pub const EXPORT_JSONL: &str = "/logboek/export.jsonl";

/// The categories of article 6, in the covenant's order: the filter's boxes.
pub const CATEGORIES: [&str; 10] = [
    "identificatie",
    "overlastmeldingen",
    "politie-incidenten",
    "justitiele-gegevens",
    "huurgegevens",
    "zorgbetrokkenheid",
    "zorginhoud",
    "handhaving",
    "slachtofferinformatie",
    "bijzondere-kenmerken",
];

/// The directions of a share, as the API words them.
pub const DIRECTIONS: [&str; 2] = ["provided", "received"];

/// The query parameters of the filter form.
pub mod param {
    /// The first day, YYYY-MM-DD (Amsterdam).
    pub const FROM: &str = "van";
    /// The last day, included, YYYY-MM-DD (Amsterdam).
    pub const UNTIL: &str = "tot";
    /// The case id.
    pub const CASE: &str = "casus";
    /// A category; repeated for several.
    pub const CATEGORY: &str = "categorie";
    /// An outcome; repeated for several.
    pub const OUTCOME: &str = "uitkomst";
    /// `provided` or `received`; empty for both.
    pub const DIRECTION: &str = "richting";
    /// A kind of entry; repeated for several.
    pub const KIND: &str = "soort";
    /// A purpose; repeated for several.
    pub const PURPOSE: &str = "doel";
    /// A subject's pseudonym.
    pub const SUBJECT: &str = "betrokkene";
    /// Only emergency shares.
    pub const EMERGENCY: &str = "spoed";
    /// The leaf index the page starts at.
    pub const START: &str = "vanaf";
    /// The starts of the pages before, most recent first, comma-separated.
    pub const BACK: &str = "vorige";
}

/// A box or option of the form: the word sent, and whether it is chosen.
pub type Choice = (&'static str, bool);

/// The filter form as the person filled it in, with what was wrong, field by field.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LogForm {
    /// The first day as typed.
    pub from: String,
    /// The last day as typed.
    pub until: String,
    /// The case id as typed.
    pub case: String,
    /// The subject's pseudonym as typed.
    pub subject: String,
    /// The category boxes.
    pub categories: Vec<Choice>,
    /// The outcome boxes.
    pub outcomes: Vec<Choice>,
    /// The kind boxes.
    pub kinds: Vec<Choice>,
    /// The purpose boxes.
    pub purposes: Vec<Choice>,
    /// The direction: `""` (both), `provided` or `received`.
    pub direction: String,
    /// Only emergency shares.
    pub emergency: bool,
    /// What is wrong with the first day.
    pub from_error: Option<&'static str>,
    /// What is wrong with the last day.
    pub until_error: Option<&'static str>,
    /// What is wrong with the pseudonym.
    pub subject_error: Option<&'static str>,
    /// What is wrong with the boxes (a word outside the lists).
    pub choice_error: Option<&'static str>,
    /// Whether any filter is set.
    pub active: bool,
    /// Whether a filter under "Meer filters" is set or wrong (then they are shown
    /// open).
    pub more_active: bool,
    /// The filter as a query string (no paging), for the export links and the pager.
    pub query: String,
}

impl LogForm {
    /// Whether the form holds an error (then nothing is asked of the hub).
    pub fn has_errors(&self) -> bool {
        self.from_error.is_some()
            || self.until_error.is_some()
            || self.subject_error.is_some()
            || self.choice_error.is_some()
    }
}

/// Where the page starts, and the starts of the pages before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The leaf index to read from.
    pub start: u64,
    /// The starts of earlier pages, most recent first.
    pub back: Vec<u64>,
}

fn values<'q>(query: &'q [(String, String)], name: &'q str) -> impl Iterator<Item = &'q str> {
    query
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn boxes(
    query: &[(String, String)],
    name: &str,
    words: &[&'static str],
    error: &mut Option<&'static str>,
) -> (Vec<Choice>, Vec<String>) {
    let chosen: Vec<&str> = values(query, name).collect();
    if chosen.iter().any(|c| !words.contains(c)) {
        *error = Some(texts::LOG_FILTER_BAD_CHOICE);
    }
    let choices = words.iter().map(|w| (*w, chosen.contains(w))).collect();
    let picked = words
        .iter()
        .filter(|w| chosen.contains(w))
        .map(|w| (*w).to_owned())
        .collect();
    (choices, picked)
}

fn day(text: &str) -> Option<Date> {
    calendar::parse_date(text)
}

/// Reads the filter and the page's place from the query: the form to show again, the
/// filter to ask the hub with (when the form holds no error), and the cursor.
pub fn read_filter(query: &[(String, String)]) -> (LogForm, LogFilter, Cursor) {
    let one = |name: &str| values(query, name).next().unwrap_or_default().to_owned();
    let mut form = LogForm {
        from: one(param::FROM),
        until: one(param::UNTIL),
        case: one(param::CASE),
        subject: one(param::SUBJECT).to_ascii_lowercase(),
        direction: one(param::DIRECTION),
        emergency: values(query, param::EMERGENCY).next().is_some(),
        ..LogForm::default()
    };
    let from = (!form.from.is_empty()).then(|| day(&form.from));
    let until = (!form.until.is_empty()).then(|| day(&form.until));
    if from == Some(None) {
        form.from_error = Some(texts::LOG_FILTER_BAD_DATE);
    }
    if until == Some(None) {
        form.until_error = Some(texts::LOG_FILTER_BAD_DATE);
    }
    let (from, until) = (from.flatten(), until.flatten());
    if let (Some(f), Some(u)) = (from, until)
        && f > u
    {
        form.until_error = Some(texts::LOG_FILTER_END_BEFORE_START);
    }
    if !form.subject.is_empty()
        && (form.subject.len() != 64 || !form.subject.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        form.subject_error = Some(texts::LOG_FILTER_BAD_PSEUDONYM);
    }
    if !form.direction.is_empty() && !DIRECTIONS.contains(&form.direction.as_str()) {
        form.choice_error = Some(texts::LOG_FILTER_BAD_CHOICE);
    }
    let mut error = None;
    let (categories, picked_categories) = boxes(query, param::CATEGORY, &CATEGORIES, &mut error);
    let (outcomes, picked_outcomes) = boxes(query, param::OUTCOME, &OUTCOMES, &mut error);
    let (kinds, picked_kinds) = boxes(query, param::KIND, &LOG_KINDS, &mut error);
    let (purposes, picked_purposes) = boxes(query, param::PURPOSE, &ALL_PURPOSES, &mut error);
    form.choice_error = form.choice_error.or(error);
    form.categories = categories;
    form.outcomes = outcomes;
    form.kinds = kinds;
    form.purposes = purposes;

    let filter = LogFilter {
        case_id: (!form.case.is_empty()).then(|| form.case.clone()),
        // The first day from its first moment, the last day up to the first moment of
        // the day after (the wire's period is half-open): whole Amsterdam days.
        from: from.map(calendar::start_of_day),
        until: until.and_then(|u| u.next_day()).map(calendar::start_of_day),
        kinds: picked_kinds,
        outcomes: picked_outcomes,
        categories: picked_categories,
        purposes: picked_purposes,
        subject: (!form.subject.is_empty()).then(|| form.subject.clone()),
        direction: (!form.direction.is_empty()).then(|| form.direction.clone()),
        emergency_only: form.emergency,
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (name, value) in [
        (param::FROM, &form.from),
        (param::UNTIL, &form.until),
        (param::CASE, &form.case),
        (param::DIRECTION, &form.direction),
        (param::SUBJECT, &form.subject),
    ] {
        if !value.is_empty() {
            pairs.push((name, value.clone()));
        }
    }
    for (name, list) in [
        (param::CATEGORY, &filter.categories),
        (param::OUTCOME, &filter.outcomes),
        (param::KIND, &filter.kinds),
        (param::PURPOSE, &filter.purposes),
    ] {
        for word in list {
            pairs.push((name, word.clone()));
        }
    }
    if form.emergency {
        pairs.push((param::EMERGENCY, "1".to_owned()));
    }
    form.active = !pairs.is_empty();
    form.more_active = !filter.kinds.is_empty()
        || !filter.purposes.is_empty()
        || filter.subject.is_some()
        || filter.emergency_only
        || form.subject_error.is_some()
        || form.choice_error.is_some();
    form.query = query_string(&pairs);

    let cursor = Cursor {
        start: one(param::START).parse().unwrap_or(0),
        back: one(param::BACK)
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .take(BACK_STEPS)
            .collect(),
    };
    (form, filter, cursor)
}

/// One entry as a row of the list.
#[derive(Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// The leaf index.
    pub index: u64,
    /// The address of its page.
    pub path: String,
    /// When it was logged.
    pub logged_at: Option<Moment>,
    /// The kind (API word).
    pub kind: String,
    /// The kind in Dutch.
    pub kind_words: String,
    /// The case, if any.
    pub case_id: String,
    /// What it says, in one line.
    pub summary: String,
    /// For a share decision: its outcome.
    pub outcome: Option<OutcomeView>,
    /// Whether the share was an emergency share.
    pub emergency: bool,
}

/// The rows of `entries`.
pub fn rows(entries: &[wire::LogEntry]) -> Vec<EntryRow> {
    entries
        .iter()
        .map(|e| {
            let decision = e.share_decision.as_ref().and_then(|d| d.decision.as_ref());
            EntryRow {
                index: e.leaf_index,
                path: entry_path(e.leaf_index),
                logged_at: moment_ts(e.logged_at.as_ref()),
                kind: e.kind.clone(),
                kind_words: texts::kind_words(&e.kind),
                case_id: e.case_id.clone(),
                summary: summary(e),
                outcome: decision.map(outcome),
                emergency: decision.is_some_and(|d| d.emergency),
            }
        })
        .collect()
}

/// The links to the pages before and after, and what the page shows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pager {
    /// "Vermeldingen 1 tot en met 50 ..." in words.
    pub shown: String,
    /// The first page, when this is not it.
    pub first: Option<String>,
    /// The page before.
    pub previous: Option<String>,
    /// The page after.
    pub next: Option<String>,
}

fn page_link(query: &str, start: u64, back: &[u64]) -> String {
    let mut link = format!("{}?", Nav::Log.path());
    if !query.is_empty() {
        link.push_str(query);
        link.push('&');
    }
    link.push_str(&format!("{}={start}", param::START));
    if !back.is_empty() {
        let list: Vec<String> = back.iter().map(u64::to_string).collect();
        link.push_str(&format!("&{}={}", param::BACK, list.join("%2C")));
    }
    link
}

/// The pager for a page that asked from `cursor` and got `got` entries (up to
/// [`PAGE_SIZE`] + 1), of which it shows the first [`PAGE_SIZE`].
pub fn pager(query: &str, cursor: &Cursor, shown: &[wire::LogEntry], more: bool) -> Pager {
    let first_shown = shown.first().map(|e| e.leaf_index);
    let last_shown = shown.last().map(|e| e.leaf_index);
    let next = match (more, last_shown) {
        (true, Some(last)) => {
            let mut back = vec![cursor.start];
            back.extend(cursor.back.iter().take(BACK_STEPS - 1));
            Some(page_link(query, last + 1, &back))
        }
        _ => None,
    };
    let previous = cursor
        .back
        .split_first()
        .map(|(start, back)| page_link(query, *start, back))
        .or_else(|| (cursor.start > 0).then(|| page_link(query, 0, &[])));
    let first = (cursor.start > 0).then(|| page_link(query, 0, &[]));
    Pager {
        shown: match (first_shown, last_shown) {
            (Some(a), Some(b)) => texts::entries_shown(shown.len(), a, b, more),
            _ => String::new(),
        },
        first,
        previous,
        next,
    }
}

/// The page.
#[derive(Template)]
#[template(path = "officer_log.html")]
pub struct LogPage {
    /// The frame.
    pub layout: Layout,
    /// The filter form.
    pub form: LogForm,
    /// The entries of this page; `None` when the form holds an error.
    pub rows: Option<Vec<EntryRow>>,
    /// The pager.
    pub pager: Pager,
    /// The export links.
    pub csv: String,
    /// See `csv`.
    pub jsonl: String,
    /// Where Verifieer lives.
    pub verify_path: &'static str,
    /// Today in Amsterdam (`YYYY-MM-DD`), the latest day the date fields offer.
    pub today: String,
}

/// The label of a category box: the word and its article.
pub fn category_label(word: &str) -> String {
    match texts::category_article(word) {
        Some(a) => format!("{word} (art. {a})"),
        None => word.to_owned(),
    }
}

fn export_link(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// `GET /logboek`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut opened = match open_officer(&app, &session, Nav::Log, texts::LOG_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (form, filter, cursor) = read_filter(&query);
    let today = calendar::date_text(calendar::today(opened.now));
    let (rows, pager) = if form.has_errors() {
        (None, Pager::default())
    } else {
        let req = filter.request(cursor.start, PAGE_SIZE + 1, false);
        match queries::query_log(&mut opened.hub, req).await {
            Ok(mut entries) => {
                let more = entries.len() > PAGE_SIZE as usize;
                entries.truncate(PAGE_SIZE as usize);
                let pager = pager(&form.query, &cursor, &entries, more);
                (Some(rows(&entries)), pager)
            }
            Err(e) => {
                return problem_page(
                    texts::LOG_TITLE,
                    Nav::Log,
                    Some(&opened.me),
                    &e,
                    &session,
                    opened.now,
                );
            }
        }
    };
    let csv = export_link(EXPORT_CSV, &form.query);
    let jsonl = export_link(EXPORT_JSONL, &form.query);
    render(&LogPage {
        layout: opened.layout,
        form,
        rows,
        pager,
        csv,
        jsonl,
        verify_path: super::verify::PATH,
        today,
    })
}

/// The two export forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// `hubctl log entries --format csv`.
    Csv,
    /// `hubctl log entries --format jsonl`.
    Jsonl,
}

/// The file's content: exactly what `hubctl log entries --format csv|jsonl` prints for
/// `entries` (hidden characters escaped as its output escapes them).
pub fn export_body(entries: &[wire::LogEntry], form: Export) -> String {
    match form {
        Export::Csv => {
            treiter_proto::text::escape_lines(&officer_report::entries_csv(entries)).into_owned()
        }
        Export::Jsonl => {
            let mut text = String::new();
            for e in entries {
                text.push_str(&officer_report::entry_json(e).to_string());
                text.push('\n');
            }
            treiter_proto::text::escape_json(&text).into_owned()
        }
    }
}

/// The download's file name: `logboek-2026-11-20.csv` (Amsterdam's date).
pub fn file_name(form: Export, now: OffsetDateTime) -> String {
    let extension = match form {
        Export::Csv => "csv",
        Export::Jsonl => "jsonl",
    };
    format!(
        "logboek-{}.{extension}",
        calendar::date_text(calendar::today(now))
    )
}

async fn export(
    app: Arc<App>,
    session: Session,
    query: Vec<(String, String)>,
    form: Export,
) -> Response {
    let mut opened = match open_officer(&app, &session, Nav::Log, texts::LOG_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (checked, filter, _) = read_filter(&query);
    if checked.has_errors() {
        // The list page shows what is wrong, next to the field.
        let pairs: Vec<(&str, String)> =
            query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        return Redirect::to(&format!("{}?{}", Nav::Log.path(), query_string(&pairs)))
            .into_response();
    }
    let entries = match queries::query_log(&mut opened.hub, filter.request(0, 0, false)).await {
        Ok(entries) => entries,
        Err(e) => {
            return problem_page(
                texts::LOG_TITLE,
                Nav::Log,
                Some(&opened.me),
                &e,
                &session,
                opened.now,
            );
        }
    };
    let content_type = match form {
        Export::Csv => "text/csv; charset=utf-8",
        Export::Jsonl => "application/jsonl; charset=utf-8",
    };
    let disposition = format!("attachment; filename=\"{}\"", file_name(form, opened.now));
    let mut response = (StatusCode::OK, export_body(&entries, form)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /logboek/export.csv`.
pub async fn export_csv(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    export(app, session, query, Export::Csv).await
}

/// `GET /logboek/export.jsonl`.
pub async fn export_jsonl(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    export(app, session, query, Export::Jsonl).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::pages::officer::entry::tests::share;
    use time::macros::datetime;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_end_day_is_included_in_amsterdam_time() {
        let (form, filter, _) = read_filter(&q(&[("van", "2026-11-01"), ("tot", "2026-11-30")]));
        assert!(!form.has_errors(), "{form:?}");
        // 1 November 00:00 and 1 December 00:00 in Amsterdam (CET, UTC+1).
        assert_eq!(filter.from, Some(datetime!(2026-10-31 23:00 UTC)));
        assert_eq!(filter.until, Some(datetime!(2026-11-30 23:00 UTC)));
        // Summer time: 30 June ends at 1 July 00:00 CEST, 22:00 UTC.
        let (_, summer, _) = read_filter(&q(&[("tot", "2026-06-30")]));
        assert_eq!(summer.until, Some(datetime!(2026-06-30 22:00 UTC)));
        assert_eq!(summer.from, None);
        let request = summer.request(0, 51, false);
        let period = request.period.expect("a period");
        assert!(period.from.is_none() && period.until.is_some());
    }

    #[test]
    fn the_filter_takes_the_clis_words_and_says_what_is_wrong() {
        let (form, filter, _) = read_filter(&q(&[
            ("casus", " C-2026-0001 "),
            ("categorie", "politie-incidenten"),
            ("uitkomst", "reject"),
            ("uitkomst", "deny"),
            ("richting", "provided"),
            ("soort", "share-decision"),
            ("doel", "aanpak"),
            ("spoed", "1"),
        ]));
        assert!(!form.has_errors());
        assert_eq!(filter.case_id.as_deref(), Some("C-2026-0001"));
        assert_eq!(filter.categories, ["politie-incidenten"]);
        assert_eq!(filter.outcomes, ["deny", "reject"], "in the list's order");
        assert_eq!(filter.direction.as_deref(), Some("provided"));
        assert_eq!(filter.kinds, ["share-decision"]);
        assert_eq!(filter.purposes, ["aanpak"]);
        assert!(filter.emergency_only);
        assert!(form.outcomes.contains(&("reject", true)));
        assert!(
            form.more_active,
            "kind, purpose and spoed are under Meer filters"
        );
        assert_eq!(
            form.query,
            "casus=C-2026-0001&richting=provided&categorie=politie-incidenten&uitkomst=deny&uitkomst=reject&soort=share-decision&doel=aanpak&spoed=1"
        );

        let (form, _, _) = read_filter(&q(&[
            ("van", "1 november"),
            ("betrokkene", "abc"),
            ("uitkomst", "maybe"),
        ]));
        assert_eq!(form.from_error, Some(texts::LOG_FILTER_BAD_DATE));
        assert_eq!(form.subject_error, Some(texts::LOG_FILTER_BAD_PSEUDONYM));
        assert_eq!(form.choice_error, Some(texts::LOG_FILTER_BAD_CHOICE));
        let (form, _, _) = read_filter(&q(&[("van", "2026-11-02"), ("tot", "2026-11-01")]));
        assert_eq!(form.until_error, Some(texts::LOG_FILTER_END_BEFORE_START));
        let (form, filter, _) = read_filter(&[]);
        assert!(!form.active && !form.more_active && !form.has_errors());
        assert_eq!(filter, LogFilter::default());
        assert_eq!(filter.request(0, 51, false).period, None);
    }

    #[test]
    fn pages_go_forward_and_back_without_state() {
        let entries: Vec<wire::LogEntry> = (10..13)
            .map(|i| {
                let mut e = share("permit");
                e.leaf_index = i;
                e
            })
            .collect();
        let first = pager("uitkomst=permit", &Cursor::default(), &entries, true);
        assert_eq!(first.previous, None);
        assert_eq!(first.first, None);
        let next = first.next.expect("a next page");
        assert_eq!(next, "/logboek?uitkomst=permit&vanaf=13&vorige=0");
        // On the next page (from 13, having come from 0), and one further.
        let (_, _, cursor) = read_filter(&q(&[("vanaf", "13"), ("vorige", "0")]));
        assert_eq!(
            cursor,
            Cursor {
                start: 13,
                back: vec![0]
            }
        );
        let second = pager("", &cursor, &entries, true);
        assert_eq!(second.previous.as_deref(), Some("/logboek?vanaf=0"));
        assert_eq!(
            second.next.as_deref(),
            Some("/logboek?vanaf=13&vorige=13%2C0")
        );
        let last = pager("", &cursor, &entries, false);
        assert_eq!(last.next, None);
        assert_eq!(last.shown, "3 vermeldingen, nr. 10 tot en met 12");
    }

    #[test]
    fn the_export_is_what_hubctl_prints() {
        let entries = [share("reject")];
        let csv = export_body(&entries, Export::Csv);
        assert_eq!(csv, officer_report::entries_csv(&entries));
        let jsonl = export_body(&entries, Export::Jsonl);
        assert_eq!(jsonl.lines().count(), 1);
        let line: serde_json::Value = serde_json::from_str(jsonl.trim()).expect("json");
        assert_eq!(line, officer_report::entry_json(&entries[0]));
        assert_eq!(
            file_name(Export::Csv, datetime!(2026-11-30 23:30 UTC)),
            "logboek-2026-12-01.csv",
            "Amsterdam's date"
        );
    }

    #[test]
    fn the_page_links_entries_exports_and_pages() {
        let (form, _, cursor) = read_filter(&q(&[("uitkomst", "reject"), ("vanaf", "12")]));
        let entries = [share("reject")];
        let page = LogPage {
            layout: crate::console::pages::officer::test_layout("Logboek", Nav::Log),
            pager: pager(&form.query, &cursor, &entries, true),
            csv: export_link(EXPORT_CSV, &form.query),
            jsonl: export_link(EXPORT_JSONL, &form.query),
            form,
            rows: Some(rows(&entries)),
            verify_path: "/logboek/verifieer",
            today: "2026-11-20".into(),
        };
        let html = page.render().expect("render");
        assert!(
            html.contains("href=\"/logboek/export.csv?uitkomst=reject\" download"),
            "{html}"
        );
        assert!(html.contains("href=\"/logboek/12\""), "{html}");
        assert!(html.contains("value=\"reject\" checked"), "{html}");
        assert!(html.contains("rel=\"next\""), "{html}");
        assert!(html.contains("rel=\"prev\""), "{html}");
        assert!(html.contains("max=\"2026-11-20\""), "{html}");
    }

    #[test]
    fn rows_name_parties_and_mark_outcomes() {
        let rows = rows(&[share("reject")]);
        assert_eq!(rows[0].path, "/logboek/12");
        assert_eq!(rows[0].kind_words, "besluit over een verstrekking");
        assert_eq!(
            rows[0].outcome.as_ref().map(|o| o.class),
            Some("outcome-reject")
        );
        assert!(
            rows[0]
                .summary
                .starts_with("GGD Amsterdam → Gemeente Amsterdam")
        );
    }
}
