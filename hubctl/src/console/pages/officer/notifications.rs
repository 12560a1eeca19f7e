//! **Meldingen** (`GET /meldingen`, `templates/officer_notifications.html`): what the
//! hub reported to the party's privacy officer about shares of which the party was the
//! source (ListNotifications, as `hubctl notifications list`):
//!
//! - emergency shares to review (article 15.2), grouped by the emergency they passed
//!   under (its case, declarer, moment and written reason), each group with its review
//!   form: every unreviewed share of the emergency ticked, the verdict, a note. The
//!   review is due within 1 working day; an overdue one is marked, in words as well as
//!   colour, and its group comes first;
//! - refused shares (article 7: prohibited content offered), each with the offered
//!   field names and a form to mark it as seen (one by one, or all open ones at once).
//!
//! Every form posts with the CSRF token and an idempotency key drawn when the page was
//! drawn (a form sent twice makes its change once); after a change the browser is sent
//! back to this page (post/redirect/get), which then says what was recorded. A refusal
//! of the hub is shown next to the form it concerns, in Dutch, with the form as it was
//! filled in.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use tonic::Code;
use treiter_proto::v1 as wire;

use super::entry::{entry_path, person, summary};
use super::{open_officer, query_string, request_id_from};
use crate::cli::{NOTIFICATION_KINDS, VERDICTS};
use crate::commands::new_request_id;
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{Layout, Nav, render_with};
use crate::console::pages::{Opened, problem_page};
use crate::console::security::Session;
use crate::console::texts;
use crate::error::Error;
use crate::queries::officer::{self as queries, NotificationFilter, NotificationList};
use crate::when::from_timestamp;

/// Where the "seen" form posts.
pub const ACK_PATH: &str = "/meldingen/gezien";
/// Where the review form posts.
pub const REVIEW_PATH: &str = "/meldingen/beoordeling";
/// The longest note the hub takes (RecordReviewRequest.note).
pub const MAX_NOTE_CHARS: usize = 2000;
/// The field names that article 7 forbids, marked among the offered fields.
const PROHIBITED: [&str; 4] = [
    "diagnose",
    "behandeling",
    "medicatie",
    "opsporingsinformatie",
];

/// The query and form parameters.
pub mod param {
    /// The kind shown (`reject`, `emergency-review`; empty: both).
    pub const KIND: &str = "soort";
    /// Only open notifications.
    pub const OPEN: &str = "open";
    /// Only notifications about this case.
    pub const CASE: &str = "casus";
    /// What was just recorded (`gezien`, `beoordeeld`), after a redirect.
    pub const DONE: &str = "gedaan";
    /// A notification id; repeated for several.
    pub const ID: &str = "melding";
    /// The form's idempotency key.
    pub const REQUEST: &str = "verzoek";
    /// The emergency group a review form belongs to.
    pub const GROUP: &str = "groep";
    /// The verdict (`justified`, `not-justified`).
    pub const VERDICT: &str = "oordeel";
    /// The note.
    pub const NOTE: &str = "toelichting";
}

/// The filter form as filled in.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct NoticeFilterForm {
    /// The kind chosen (empty: both).
    pub kind: String,
    /// The kind options.
    pub kinds: Vec<(&'static str, bool)>,
    /// Only open ones.
    pub open_only: bool,
    /// The case as typed.
    pub case: String,
    /// What is wrong with the kind chosen.
    pub kind_error: Option<&'static str>,
    /// Whether any filter is set.
    pub active: bool,
    /// The filter as a query string.
    pub query: String,
}

/// Reads the filter from the query.
pub fn read_filter(query: &[(String, String)]) -> (NoticeFilterForm, NotificationFilter) {
    let one = |name: &str| {
        query
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut form = NoticeFilterForm {
        kind: one(param::KIND),
        open_only: !one(param::OPEN).is_empty(),
        case: one(param::CASE),
        ..NoticeFilterForm::default()
    };
    if !form.kind.is_empty() && !NOTIFICATION_KINDS.contains(&form.kind.as_str()) {
        form.kind_error = Some(texts::NOTICE_FILTER_BAD_KIND);
    }
    form.kinds = NOTIFICATION_KINDS
        .iter()
        .map(|k| (*k, form.kind == *k))
        .collect();
    let mut pairs = Vec::new();
    if !form.kind.is_empty() {
        pairs.push((param::KIND, form.kind.clone()));
    }
    if form.open_only {
        pairs.push((param::OPEN, "1".to_owned()));
    }
    if !form.case.is_empty() {
        pairs.push((param::CASE, form.case.clone()));
    }
    form.active = !pairs.is_empty();
    form.query = query_string(&pairs);
    let filter = NotificationFilter {
        kinds: if form.kind.is_empty() {
            Vec::new()
        } else {
            vec![form.kind.clone()]
        },
        open_only: form.open_only,
        case_id: (!form.case.is_empty()).then(|| form.case.clone()),
        from: None,
        until: None,
    };
    (form, filter)
}

/// A refusal shown next to a form: what happened in Dutch, and hubctl's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// What was refused, and what to do.
    pub words: String,
    /// hubctl's own message (English), when the hub refused.
    pub detail: Option<String>,
}

impl FormError {
    fn local(words: &str) -> FormError {
        FormError {
            words: words.to_owned(),
            detail: None,
        }
    }
}

/// The "seen" form of one refused share.
#[derive(Debug, PartialEq, Eq)]
pub struct AckForm {
    /// Its idempotency key.
    pub request_id: String,
    /// The refusal, if the last try was refused.
    pub error: Option<FormError>,
}

/// The form that marks every open refused share as seen at once.
#[derive(Debug, PartialEq, Eq)]
pub struct AckAllForm {
    /// Its idempotency key.
    pub request_id: String,
    /// The open refused shares.
    pub ids: Vec<String>,
    /// The refusal, if the last try was refused.
    pub error: Option<FormError>,
}

/// One notification.
#[derive(Debug, PartialEq, Eq)]
pub struct NoticeView {
    /// The hub's id.
    pub id: String,
    /// The HTML id of its block (`melding-<id>`).
    pub anchor: String,
    /// What it is about, in Dutch with the article.
    pub title: String,
    /// When the hub raised it.
    pub raised: Option<Moment>,
    /// The share in one line.
    pub summary: String,
    /// The case.
    pub case_id: String,
    /// The log entry: number and address.
    pub entry: Option<(u64, String)>,
    /// The field names offered (refused shares: which prohibited field was offered).
    pub offered: Vec<String>,
    /// Which of them article 7 forbids.
    pub prohibited: Vec<String>,
    /// Where it stands, in words.
    pub status: String,
    /// Whether something is still to be done.
    pub open: bool,
    /// For an emergency share: when the review is due, in words.
    pub due: Option<String>,
    /// Whether the review is past due, unreviewed.
    pub overdue: bool,
    /// The "seen" form (refused shares not yet seen).
    pub ack: Option<AckForm>,
}

fn notice(n: &wire::PrivacyNotification, now: OffsetDateTime) -> NoticeView {
    let article = n
        .notification
        .as_ref()
        .map(|x| x.article.as_str())
        .unwrap_or_default();
    let entry = n.entry.as_ref();
    let offered: Vec<String> = entry
        .and_then(|e| e.share_decision.as_ref())
        .map(|d| d.fields_offered.clone())
        .unwrap_or_default();
    let prohibited = offered
        .iter()
        .filter(|f| PROHIBITED.contains(&f.as_str()))
        .cloned()
        .collect();
    let reviewed = n.review.is_some();
    let open = match n.kind.as_str() {
        "emergency-review" => !reviewed,
        _ => n.status == "open",
    };
    let due = (n.kind == "emergency-review" && !reviewed)
        .then(|| {
            n.review_due_at
                .as_ref()
                .and_then(from_timestamp)
                .map(|due| {
                    texts::review_due_words(
                        &crate::console::dates::moment(due).text,
                        n.overdue,
                        (due > now).then(|| due - now),
                    )
                })
        })
        .flatten();
    let status = if let Some(r) = &n.review {
        texts::reviewed_words(
            &texts::verdict_words(&r.verdict),
            &moment_ts(r.reviewed_at.as_ref())
                .map(|m| m.text)
                .unwrap_or_default(),
            &person(r.reviewed_by.as_ref()),
            r.late,
            &r.note,
        )
    } else if n.acknowledged_at.is_some() {
        texts::seen_words(
            &moment_ts(n.acknowledged_at.as_ref())
                .map(|m| m.text)
                .unwrap_or_default(),
            &person(n.acknowledged_by.as_ref()),
            n.kind == "emergency-review",
        )
    } else {
        texts::NOTICE_OPEN.to_owned()
    };
    NoticeView {
        id: n.id.clone(),
        anchor: format!("melding-{}", n.id),
        title: texts::notice_title(&n.kind, article),
        raised: moment_ts(n.raised_at.as_ref()),
        summary: entry.map(summary).unwrap_or_default(),
        case_id: entry.map(|e| e.case_id.clone()).unwrap_or_default(),
        entry: entry.map(|e| (e.leaf_index, entry_path(e.leaf_index))),
        offered,
        prohibited,
        status,
        open,
        due,
        overdue: n.overdue && !reviewed,
        ack: (n.kind != "emergency-review" && n.status == "open").then(|| AckForm {
            request_id: new_request_id(),
            error: None,
        }),
    }
}

/// The review form of one emergency.
#[derive(Debug, PartialEq, Eq)]
pub struct ReviewForm {
    /// Its idempotency key.
    pub request_id: String,
    /// The ids ticked (every unreviewed share of the emergency, unless the officer
    /// untickd some and was refused).
    pub ticked: Vec<String>,
    /// The verdict options (`justified`, `not-justified`) and whether each is chosen.
    pub verdicts: Vec<(&'static str, bool)>,
    /// The note as typed.
    pub note: String,
    /// What is wrong with the verdict.
    pub verdict_error: Option<&'static str>,
    /// What is wrong with the ticked shares.
    pub ids_error: Option<&'static str>,
    /// What is wrong with the note.
    pub note_error: Option<String>,
    /// The hub's refusal.
    pub error: Option<FormError>,
}

impl ReviewForm {
    /// Whether share `id` is ticked.
    pub fn is_ticked(&self, id: &str) -> bool {
        self.ticked.iter().any(|t| t == id)
    }

    /// Whether the form holds any error.
    pub fn has_errors(&self) -> bool {
        self.verdict_error.is_some()
            || self.ids_error.is_some()
            || self.note_error.is_some()
            || self.error.is_some()
    }
}

/// The emergency shares of one emergency, with one review form.
#[derive(Debug, PartialEq, Eq)]
pub struct EmergencyGroup {
    /// What identifies the emergency (case and moment of declaration).
    pub key: String,
    /// The HTML id of its block.
    pub anchor: String,
    /// The case.
    pub case_id: String,
    /// Who declared it, when, until when.
    pub declared: String,
    /// The written reason (article 15.1).
    pub reason: String,
    /// The earliest due moment of its unreviewed shares, in words.
    pub due: Option<String>,
    /// Whether any unreviewed share is past due.
    pub overdue: bool,
    /// The shares.
    pub shares: Vec<NoticeView>,
    /// The review form, while any share is unreviewed.
    pub form: Option<ReviewForm>,
}

fn group_key(n: &wire::PrivacyNotification) -> String {
    let case = n
        .entry
        .as_ref()
        .map(|e| e.case_id.as_str())
        .unwrap_or_default();
    let declared = n
        .emergency
        .as_ref()
        .and_then(|e| e.declared_at.as_ref())
        .map(|t| t.seconds)
        .unwrap_or_default();
    format!("{case}-{declared}")
}

/// The page's two lists: the emergency groups (overdue first, then open, then done)
/// and the refused shares (open first), each in the hub's order (newest first)
/// otherwise.
pub fn lists(
    notices: &[wire::PrivacyNotification],
    now: OffsetDateTime,
) -> (Vec<EmergencyGroup>, Vec<NoticeView>) {
    let mut groups: Vec<EmergencyGroup> = Vec::new();
    let mut rejects = Vec::new();
    for n in notices {
        if n.kind != "emergency-review" {
            rejects.push(notice(n, now));
            continue;
        }
        let key = group_key(n);
        let view = notice(n, now);
        let due_at = if view.open {
            n.review_due_at.as_ref().and_then(from_timestamp)
        } else {
            None
        };
        match groups.iter_mut().find(|g| g.key == key) {
            Some(g) => {
                g.overdue |= view.overdue;
                if view.open
                    && let Some(form) = g.form.as_mut()
                {
                    form.ticked.push(view.id.clone());
                }
                if view.open && g.form.is_none() {
                    g.form = Some(review_form(vec![view.id.clone()]));
                }
                if let Some(due) = due_at {
                    // Keep the earliest due moment (the list is newest first).
                    g.due = Some(texts::review_due_words(
                        &crate::console::dates::moment(due).text,
                        g.overdue,
                        (due > now).then(|| due - now),
                    ));
                }
                g.shares.push(view);
            }
            None => {
                let emergency = n.emergency.clone().unwrap_or_default();
                let declared = texts::declared_words(
                    &person(emergency.declared_by.as_ref()),
                    &moment_ts(emergency.declared_at.as_ref())
                        .map(|m| m.text)
                        .unwrap_or_default(),
                    &moment_ts(emergency.expires_at.as_ref())
                        .map(|m| m.text)
                        .unwrap_or_default(),
                );
                groups.push(EmergencyGroup {
                    anchor: format!("spoed-{key}"),
                    key,
                    case_id: view.case_id.clone(),
                    declared,
                    reason: emergency.reason,
                    due: view.due.clone(),
                    overdue: view.overdue,
                    form: view.open.then(|| review_form(vec![view.id.clone()])),
                    shares: vec![view],
                });
            }
        }
    }
    groups.sort_by_key(|g| (!g.overdue, g.form.is_none()));
    rejects.sort_by_key(|r| !r.open);
    (groups, rejects)
}

fn review_form(ticked: Vec<String>) -> ReviewForm {
    ReviewForm {
        request_id: new_request_id(),
        ticked,
        verdicts: VERDICTS.iter().map(|v| (*v, false)).collect(),
        note: String::new(),
        verdict_error: None,
        ids_error: None,
        note_error: None,
        error: None,
    }
}

/// The page.
#[derive(Template)]
#[template(path = "officer_notifications.html")]
pub struct NotificationsPage {
    /// The frame.
    pub layout: Layout,
    /// The filter form.
    pub filter: NoticeFilterForm,
    /// The party's counts, in words.
    pub counts: String,
    /// Whether any review is overdue (the counts are then marked).
    pub any_overdue: bool,
    /// What was just recorded.
    pub done: Option<&'static str>,
    /// A refusal whose form is gone from the page.
    pub error: Option<FormError>,
    /// The emergency groups; `None` when the filter is refused.
    pub groups: Option<Vec<EmergencyGroup>>,
    /// The refused shares.
    pub rejects: Vec<NoticeView>,
    /// The form that marks every open refused share as seen, when there are two or
    /// more.
    pub ack_all: Option<AckAllForm>,
    /// Where the forms post.
    pub ack_path: &'static str,
    /// See `ack_path`.
    pub review_path: &'static str,
}

/// A form sent back with what was wrong with it.
enum Returned {
    Ack {
        id: String,
        request_id: String,
        error: FormError,
    },
    AckAll {
        error: FormError,
    },
    Review {
        group: String,
        form: ReviewForm,
    },
}

async fn draw(
    mut opened: Opened<'_>,
    session: &Session,
    query: &[(String, String)],
    returned: Option<Returned>,
) -> Response {
    let (filter_form, filter) = read_filter(query);
    let done = query
        .iter()
        .find(|(k, _)| k == param::DONE)
        .and_then(|(_, v)| match v.as_str() {
            "gezien" => Some(texts::NOTICE_DONE_SEEN),
            "beoordeeld" => Some(texts::NOTICE_DONE_REVIEWED),
            _ => None,
        });
    let list = if filter_form.kind_error.is_some() {
        None
    } else {
        match queries::list_notifications(&mut opened.hub, &filter).await {
            Ok(list) => Some(list),
            Err(e) => {
                return problem_page(
                    texts::NOTICES_TITLE,
                    Nav::Notifications,
                    Some(&opened.me),
                    &e,
                    session,
                    opened.now,
                );
            }
        }
    };
    let NotificationList {
        notifications,
        open,
        overdue,
    } = list.clone().unwrap_or_default();
    let (mut groups, mut rejects) = lists(&notifications, opened.now);
    let open_rejects: Vec<String> = rejects
        .iter()
        .filter(|r| r.ack.is_some())
        .map(|r| r.id.clone())
        .collect();
    let mut ack_all = (open_rejects.len() > 1).then(|| AckAllForm {
        request_id: new_request_id(),
        ids: open_rejects,
        error: None,
    });
    let mut status = StatusCode::OK;
    // A refusal whose form is no longer there (someone else finished it meanwhile)
    // is shown above the lists.
    let mut unplaced = None;
    match returned {
        None => {}
        Some(Returned::Ack {
            id,
            request_id,
            error,
        }) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            match rejects
                .iter_mut()
                .find(|r| r.id == id)
                .and_then(|r| r.ack.as_mut())
            {
                Some(form) => {
                    form.request_id = request_id;
                    form.error = Some(error);
                }
                None => unplaced = Some(error),
            }
        }
        Some(Returned::AckAll { error }) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            match ack_all.as_mut() {
                Some(all) => all.error = Some(error),
                None => unplaced = Some(error),
            }
        }
        Some(Returned::Review { group, form }) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            match groups
                .iter_mut()
                .find(|g| g.key == group && g.form.is_some())
            {
                Some(g) => g.form = Some(form),
                None => unplaced = form.error.or(Some(FormError::local(texts::NOTICE_GONE))),
            }
        }
    }
    let counts = texts::notice_counts(open, overdue);
    let page = NotificationsPage {
        layout: opened.layout,
        filter: filter_form,
        counts,
        any_overdue: overdue > 0,
        done: if status == StatusCode::OK { done } else { None },
        error: unplaced,
        groups: list.map(|_| groups),
        rejects,
        ack_all,
        ack_path: ACK_PATH,
        review_path: REVIEW_PATH,
    };
    render_with(&page, status)
}

/// `GET /meldingen`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    match open_officer(&app, &session, Nav::Notifications, texts::NOTICES_TITLE).await {
        Ok(opened) => draw(opened, &session, &query, None).await,
        Err(page) => page,
    }
}

fn field<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn ids(form: &[(String, String)]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (k, v) in form {
        let v = v.trim();
        if k == param::ID && !v.is_empty() && !ids.iter().any(|i| i == v) {
            ids.push(v.to_owned());
        }
    }
    ids
}

/// The hub's refusal of a "seen" or a review, in Dutch.
pub fn refusal(e: &Error, review: bool) -> FormError {
    let words = match e {
        Error::Hub { code, .. } => match (code, review) {
            (Code::NotFound, _) => Some(texts::NOTICE_REFUSED_NOT_FOUND),
            (Code::FailedPrecondition, true) => Some(texts::NOTICE_REFUSED_NOT_A_REVIEW),
            (Code::AlreadyExists, true) => Some(texts::NOTICE_REFUSED_REVIEWED),
            (Code::InvalidArgument, true) => Some(texts::NOTICE_REFUSED_INVALID_REVIEW),
            _ => None,
        },
        _ => None,
    };
    let words = match words {
        Some(w) => w.to_owned(),
        None => {
            let p = texts::problem(e);
            format!("{} {}", p.title, p.advice)
        }
    };
    FormError {
        words,
        detail: Some(e.to_string()),
    }
}

fn unreadable_form() -> Response {
    crate::console::layout::MessagePage::new(texts::FORGED_TITLE, texts::FORGED)
        .with_home_link()
        .respond(StatusCode::BAD_REQUEST)
}

/// `POST /meldingen/gezien`: marks one refused share (or all open ones) as seen.
pub async fn acknowledge(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form();
    };
    let mut opened =
        match open_officer(&app, &session, Nav::Notifications, texts::NOTICES_TITLE).await {
            Ok(o) => o,
            Err(page) => return page,
        };
    let ids = ids(&form);
    let request_id = request_id_from(field(&form, param::REQUEST));
    let all = ids.len() > 1;
    let back = |error: FormError| match ids.first() {
        Some(id) if !all => Returned::Ack {
            id: id.clone(),
            request_id: request_id.clone(),
            error,
        },
        _ => Returned::AckAll { error },
    };
    if ids.is_empty() {
        let returned = back(FormError::local(texts::NOTICE_NONE_CHOSEN));
        return draw(opened, &session, &[], Some(returned)).await;
    }
    match queries::acknowledge_notifications(&mut opened.hub, &request_id, &ids).await {
        Ok(_) => Redirect::to(&format!(
            "{}?{}=gezien#melding-{}",
            Nav::Notifications.path(),
            param::DONE,
            super::query_value(&ids[0])
        ))
        .into_response(),
        Err(e) if texts::problem(&e).unreachable => problem_page(
            texts::NOTICES_TITLE,
            Nav::Notifications,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
        Err(e) => {
            let returned = back(refusal(&e, false));
            draw(opened, &session, &[], Some(returned)).await
        }
    }
}

/// Reads a review form: the form to show again (with what is wrong), or the request.
pub fn read_review(form: &[(String, String)]) -> (String, ReviewForm) {
    let group = field(form, param::GROUP).unwrap_or_default().to_owned();
    let ticked = ids(form);
    let verdict = field(form, param::VERDICT).unwrap_or_default().trim();
    let note = field(form, param::NOTE)
        .unwrap_or_default()
        .trim()
        .to_owned();
    let chars = note.chars().count();
    let review = ReviewForm {
        request_id: request_id_from(field(form, param::REQUEST)),
        verdicts: VERDICTS.iter().map(|v| (*v, *v == verdict)).collect(),
        verdict_error: (!VERDICTS.contains(&verdict)).then_some(texts::REVIEW_CHOOSE_VERDICT),
        ids_error: ticked.is_empty().then_some(texts::REVIEW_CHOOSE_SHARES),
        note_error: (chars > MAX_NOTE_CHARS).then(|| texts::note_too_long(chars, MAX_NOTE_CHARS)),
        error: None,
        ticked,
        note,
    };
    (group, review)
}

/// `POST /meldingen/beoordeling`: records the review of an emergency's shares.
pub async fn review(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form();
    };
    let mut opened =
        match open_officer(&app, &session, Nav::Notifications, texts::NOTICES_TITLE).await {
            Ok(o) => o,
            Err(page) => return page,
        };
    let (group, mut review) = read_review(&form);
    if review.has_errors() {
        return draw(
            opened,
            &session,
            &[],
            Some(Returned::Review {
                group,
                form: review,
            }),
        )
        .await;
    }
    let verdict = review
        .verdicts
        .iter()
        .find(|(_, chosen)| *chosen)
        .map(|(v, _)| *v)
        .unwrap_or_default();
    match queries::record_review(
        &mut opened.hub,
        &review.request_id,
        &review.ticked,
        verdict,
        &review.note,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "{}?{}=beoordeeld#spoed-{}",
            Nav::Notifications.path(),
            param::DONE,
            super::query_value(&group)
        ))
        .into_response(),
        Err(e) if texts::problem(&e).unreachable => problem_page(
            texts::NOTICES_TITLE,
            Nav::Notifications,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
        Err(e) => {
            review.error = Some(refusal(&e, true));
            draw(
                opened,
                &session,
                &[],
                Some(Returned::Review {
                    group,
                    form: review,
                }),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::pages::officer::entry::tests::share;
    use crate::when::to_timestamp;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn reject(id: &str, status: &str) -> wire::PrivacyNotification {
        wire::PrivacyNotification {
            id: id.into(),
            kind: "reject".into(),
            notification: Some(wire::Notification {
                kind: "privacy-officer".into(),
                oin: "00000005000000000006".into(),
                article: "7.1".into(),
            }),
            raised_at: Some(to_timestamp(NOW - Duration::hours(3))),
            entry: Some(share("reject")),
            status: status.into(),
            ..Default::default()
        }
    }

    fn review(
        id: &str,
        declared_at: i64,
        due: OffsetDateTime,
        overdue: bool,
    ) -> wire::PrivacyNotification {
        wire::PrivacyNotification {
            id: id.into(),
            kind: "emergency-review".into(),
            notification: Some(wire::Notification {
                kind: "privacy-officer".into(),
                oin: "00000004000000000004".into(),
                article: "15.2".into(),
            }),
            entry: Some(share("permit")),
            emergency: Some(wire::CaseEmergency {
                declared_by: Some(wire::Person {
                    name: String::new(),
                    id: "p-politie-017".into(),
                    party: Some(wire::Party {
                        oin: "00000002000000000002".into(),
                        name: "Politie Eenheid Amsterdam".into(),
                        kind: "politie".into(),
                    }),
                    roles: vec!["partnercontact".into()],
                    stadsdeel: String::new(),
                }),
                declared_at: Some(prost_types::Timestamp {
                    seconds: declared_at,
                    nanos: 0,
                }),
                reason: "acute dreiging".into(),
                ..Default::default()
            }),
            review_due_at: Some(to_timestamp(due)),
            status: "open".into(),
            overdue,
            ..Default::default()
        }
    }

    #[test]
    fn emergency_shares_are_grouped_with_one_review_form_overdue_first() {
        let notices = [
            review("N-3", 100, NOW + Duration::hours(5), false),
            reject("N-2", "open"),
            review("N-1", 50, NOW - Duration::hours(20), true),
            review("N-0", 50, NOW - Duration::hours(21), true),
        ];
        let (groups, rejects) = lists(&notices, NOW);
        assert_eq!(groups.len(), 2);
        assert!(groups[0].overdue, "the overdue emergency first");
        assert_eq!(
            groups[0]
                .shares
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["N-1", "N-0"]
        );
        let form = groups[0].form.as_ref().expect("a review form");
        assert_eq!(form.ticked, ["N-1", "N-0"]);
        assert!(
            groups[0]
                .due
                .as_deref()
                .is_some_and(|d| d.starts_with("Termijn verstreken")),
            "{:?}",
            groups[0].due
        );
        assert!(groups[0].shares[0].overdue);
        assert_eq!(groups[0].reason, "acute dreiging");
        assert!(
            groups[0]
                .declared
                .contains("Politie Eenheid Amsterdam, partnercontact (p-politie-017)"),
            "{}",
            groups[0].declared
        );
        assert!(!groups[1].overdue);
        assert_eq!(
            groups[1].due.as_deref(),
            Some("Beoordelen uiterlijk vr 20 nov. 2026 18:00 (nog 5 uur)")
        );
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].prohibited, ["diagnose"]);
        assert_eq!(
            rejects[0].title,
            "Geweigerde verstrekking: verboden inhoud (art. 7.1)"
        );
        assert!(rejects[0].ack.is_some());
        assert_eq!(rejects[0].entry, Some((12, "/logboek/12".to_owned())));
    }

    #[test]
    fn reviewed_and_seen_notifications_say_by_whom() {
        let mut seen = reject("N-2", "acknowledged");
        seen.acknowledged_at = Some(to_timestamp(NOW));
        seen.acknowledged_by = Some(wire::Person {
            name: String::new(),
            id: "p-ggd-090".into(),
            party: Some(wire::Party {
                oin: "00000005000000000006".into(),
                name: "GGD Amsterdam".into(),
                kind: "zorgpartner".into(),
            }),
            roles: vec!["privacy-officer".into()],
            stadsdeel: String::new(),
        });
        let mut done = review("N-1", 50, NOW - Duration::hours(20), false);
        done.status = "reviewed".into();
        done.review = Some(wire::EmergencyReview {
            verdict: "justified".into(),
            note: "terecht".into(),
            reviewed_at: Some(to_timestamp(NOW)),
            reviewed_by: seen.acknowledged_by.clone(),
            late: true,
        });
        let (groups, rejects) = lists(&[seen, done], NOW);
        assert!(rejects[0].ack.is_none());
        assert!(!rejects[0].open);
        assert_eq!(
            rejects[0].status,
            "gezien op vr 20 nov. 2026 13:00 door GGD Amsterdam, privacy-officer (p-ggd-090)"
        );
        assert!(groups[0].form.is_none(), "nothing left to review");
        assert_eq!(
            groups[0].shares[0].status,
            "beoordeeld als terecht op vr 20 nov. 2026 13:00 door GGD Amsterdam, privacy-officer (p-ggd-090), te laat (na de termijn van 1 werkdag); toelichting: terecht"
        );
    }

    #[test]
    fn a_review_form_says_what_is_missing() {
        let form = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let (group, r) = read_review(&form(&[("groep", "C-1-50"), ("toelichting", "x")]));
        assert_eq!(group, "C-1-50");
        assert_eq!(r.verdict_error, Some(texts::REVIEW_CHOOSE_VERDICT));
        assert_eq!(r.ids_error, Some(texts::REVIEW_CHOOSE_SHARES));
        assert_eq!(r.note, "x", "the note is shown again as typed");
        let long = "a".repeat(2001);
        let (_, r) = read_review(&form(&[
            ("melding", "N-1"),
            ("melding", "N-1"),
            ("melding", "N-0"),
            ("oordeel", "not-justified"),
            ("toelichting", &long),
        ]));
        assert_eq!(r.ticked, ["N-1", "N-0"]);
        assert!(r.verdicts.contains(&("not-justified", true)));
        assert!(r.note_error.as_deref().is_some_and(|e| e.contains("2001")));
        let (_, ok) = read_review(&form(&[("melding", "N-1"), ("oordeel", "justified")]));
        assert!(!ok.has_errors());
    }

    #[test]
    fn the_page_escapes_the_reason_and_carries_csrf_and_idempotency_keys() {
        let mut hostile = review("N-1", 50, NOW + Duration::hours(2), false);
        if let Some(e) = hostile.emergency.as_mut() {
            e.reason = "<script>alert(1)</script>".into();
        }
        let (groups, rejects) = lists(
            &[hostile, reject("N-2", "open"), reject("N-3", "open")],
            NOW,
        );
        let ids: Vec<String> = rejects.iter().map(|r| r.id.clone()).collect();
        let page = NotificationsPage {
            layout: crate::console::pages::officer::test_layout("Meldingen", Nav::Notifications),
            filter: read_filter(&[]).0,
            counts: texts::notice_counts(3, 0),
            any_overdue: false,
            done: Some(texts::NOTICE_DONE_SEEN),
            error: None,
            groups: Some(groups),
            rejects,
            ack_all: Some(AckAllForm {
                request_id: new_request_id(),
                ids,
                error: None,
            }),
            ack_path: ACK_PATH,
            review_path: REVIEW_PATH,
        };
        let html = page.render().expect("render");
        assert!(!html.contains("<script>alert"), "the reason is escaped");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        // Every form that changes something carries the session's CSRF token and its
        // own idempotency key.
        let forms = html.matches("method=\"post\"").count();
        assert_eq!(forms, 5, "sign-out, review, all seen, two seen: {html}");
        assert_eq!(html.matches(&"c5".repeat(32)).count(), forms);
        assert_eq!(html.matches("name=\"verzoek\"").count(), forms - 1);
        assert!(
            html.contains("name=\"melding\" value=\"N-1\" checked"),
            "{html}"
        );
        assert!(
            html.contains("Markeer alle 2 open weigeringen als gezien"),
            "{html}"
        );
        assert!(html.contains("role=\"status\" id=\"vastgelegd\""), "{html}");
    }

    #[test]
    fn the_hubs_refusals_read_in_dutch() {
        let hub = |code| Error::Hub {
            code,
            message: "reviewed already (art. 15.2)".into(),
            hint: None,
        };
        let r = refusal(&hub(Code::AlreadyExists), true);
        assert_eq!(r.words, texts::NOTICE_REFUSED_REVIEWED);
        assert!(r.detail.as_deref().is_some_and(|d| d.contains("15.2")));
        assert_eq!(
            refusal(&hub(Code::FailedPrecondition), true).words,
            texts::NOTICE_REFUSED_NOT_A_REVIEW
        );
        assert_eq!(
            refusal(&hub(Code::NotFound), false).words,
            texts::NOTICE_REFUSED_NOT_FOUND
        );
    }

    #[test]
    fn the_filter_takes_the_kinds_only() {
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let (form, filter) = read_filter(&q(&[("soort", "reject"), ("open", "1")]));
        assert_eq!(filter.kinds, ["reject"]);
        assert!(filter.open_only);
        assert_eq!(form.query, "soort=reject&open=1");
        let (form, _) = read_filter(&q(&[("soort", "alles")]));
        assert_eq!(form.kind_error, Some(texts::NOTICE_FILTER_BAD_KIND));
    }
}
