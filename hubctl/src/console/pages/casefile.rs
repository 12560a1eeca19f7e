//! **Casusdossier** (`GET /casusdossiers/{id}`, `templates/casefile.html` with
//! `casefile_body.html`): one case file as the hub holds it now (GetCaseFile, as
//! `hubctl casefile show`, through [`queries::get_case_file`]), first filling in live,
//! then as the report for the overleg.
//!
//! # Live
//! While the hub assembles the file, GetCaseFile shows it as it stands: the partners
//! that settled with their result, the others `pending` (see coordinator.proto). The
//! body then carries `hx-get="/casusdossiers/{id}/voortgang" hx-trigger="every 1s"`:
//! htmx replaces it every second with [`progress`]'s fragment (`casefile_fragment.html`),
//! which asks the hub again; the console keeps nothing between polls. Once the file
//! has settled, the fragment comes without the trigger and the polling stops. The one
//! sentence of progress sits outside the body in a `role="status"` region that the
//! fragment updates out of band (`hx-swap-oob`), so a screen reader hears the progress
//! and not the whole table. Without JavaScript the page shows the state of its load,
//! and a plain link (Vernieuwen) loads the current one.
//!
//! # The report
//! Per partner, by name: its status in words (asked, answered, nothing, withheld with
//! the articles, no answer in time, offline and queued until when, not asked with the
//! articles and their reasons in words); per record the fields that passed with their
//! values, the withheld field names with the article that withheld each, refused
//! records as withheld lines with their articles, the obligations (retention with its
//! date once the case is closed, purpose binding of article 3.2, the review of an
//! emergency share), and the provenance with the decision's leaf index in the log: a
//! link to `/logboek/{index}` for a privacy officer, the number as text for a
//! coordinator, who cannot read the log. `static/console.css` prints it without menu,
//! status bar or controls.
//!
//! Values from partners are outside input: their invisible and control characters are
//! written out ([`treiter_proto::text::escape_lines`], line breaks kept and shown), and
//! askama escapes the HTML, so a value shows as text and can do nothing else.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use treiter_proto::text::{escape_control, escape_lines};
use treiter_proto::v1 as wire;

use super::{open, problem_page};
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{
    HubStatus, Layout, MessagePage, Nav, ProblemPage, party_name, person_line, render,
};
use crate::console::security::Session;
use crate::console::texts::{self, Problem};
use crate::error::Error;
use crate::queries;
use crate::report::{short, strip_article};

/// The address of a case file's page.
pub fn path(id: &str) -> String {
    format!("/casusdossiers/{id}")
}

/// The address the live page polls.
pub fn progress_path(id: &str) -> String {
    format!("/casusdossiers/{id}/voortgang")
}

/// Where a privacy officer reads a log entry (the Logboek page).
pub fn log_path(index: u64) -> String {
    format!("/logboek/{index}")
}

/// The role that may read the decision log (article 10.3).
const PRIVACY_OFFICER: &str = "privacy-officer";

/// Whether `text` can be a case id or case file id (`C-2026-0001`,
/// `CF-2026-0001-0002`): a few letters, digits and dashes. Anything else in an address
/// is refused here, before it reaches the hub or a page.
pub fn plain_id(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The answer to an address whose id cannot be one.
pub fn bad_id() -> Response {
    MessagePage::new(texts::NOT_FOUND_TITLE, texts::BAD_ID)
        .with_home_link()
        .respond(StatusCode::NOT_FOUND)
}

/// The page.
#[derive(Template)]
#[template(path = "casefile.html")]
pub struct CaseFilePage {
    /// The frame.
    pub layout: Layout,
    /// The file.
    pub file: FileView,
}

/// What each poll returns: the body, and the progress sentence out of band; or, when
/// following stopped, why.
#[derive(Template)]
#[template(path = "casefile_fragment.html")]
pub struct CaseFileFragment {
    /// The file as it stands.
    pub file: Option<FileView>,
    /// Why it can no longer be shown.
    pub problem: Option<Problem>,
}

/// A case file as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// The case file id.
    pub id: String,
    /// The case id.
    pub case_id: String,
    /// "duiding (fase duiding bij het opvragen)".
    pub purpose: String,
    /// The requester, by person, role and party name.
    pub requester: String,
    /// When it was requested.
    pub requested_at: Option<Moment>,
    /// Requested under the requester's emergency (article 15.1).
    pub under_emergency: bool,
    /// The subjects: "dader — buurman".
    pub subjects: Vec<String>,
    /// The categories asked for (covenant words).
    pub categories: Vec<String>,
    /// "versie 1".
    pub covenant: String,
    /// Still being assembled (the page polls).
    pub assembling: bool,
    /// The progress sentence.
    pub progress: String,
    /// The counts of records, once settled.
    pub counts: Option<String>,
    /// Every party of the covenant, in the covenant's order.
    pub partners: Vec<PartnerRow>,
    /// Whether any partner's records (passed or withheld) are in the file.
    pub has_records: bool,
    /// Whether the reader may open the log (its entries are links).
    pub officer: bool,
}

/// How a partner stands, for the marker (the words say it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerState {
    /// Asked, not settled.
    Pending,
    /// Records passed.
    Answered,
    /// Nothing: no hit, or no records of the categories asked.
    Nothing,
    /// Every record it offered was refused.
    Withheld,
    /// No answer (in time).
    NoAnswer,
    /// Offline, its questions queued.
    Offline,
    /// Not asked: nothing it could provide may go to the requester.
    NotAsked,
}

impl PartnerState {
    /// The CSS class of its row.
    pub fn class(self) -> &'static str {
        match self {
            PartnerState::Pending => "partner-pending",
            PartnerState::Answered => "partner-answered",
            PartnerState::Nothing => "partner-nothing",
            PartnerState::Withheld => "partner-withheld",
            PartnerState::NoAnswer => "partner-no-answer",
            PartnerState::Offline => "partner-offline",
            PartnerState::NotAsked => "partner-not-asked",
        }
    }
}

/// One partner: its row in the status table, and its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRow {
    /// The element id of its records' section.
    pub anchor: String,
    /// The party's name.
    pub name: String,
    /// Its kind (covenant word).
    pub kind: String,
    /// How it stands.
    pub state: PartnerState,
    /// Its status in words: "ingehouden — art. 7.1".
    pub status: String,
    /// Why, in words.
    pub reason: Option<String>,
    /// Per subject, when there are several (or while asked): "dader — buurman: bekend".
    pub per_subject: Vec<String>,
    /// "antwoord in 12 ms", "later binnengekomen via de wachtrij".
    pub notes: Vec<String>,
    /// Its records, passed and withheld.
    pub records: Vec<RecordView>,
}

/// One record of a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// The category (covenant word).
    pub category: String,
    /// The subject: "dader — buurman".
    pub subject: String,
    /// Whether it passed (permit).
    pub passed: bool,
    /// An emergency share (article 15.5).
    pub emergency: bool,
    /// Arrived through the queue after the file was first ready.
    pub late: bool,
    /// The fields that passed: name and value, as text.
    pub fields: Vec<(String, String)>,
    /// The withheld fields: "samenvatting (art. 6.3a)".
    pub stripped: Vec<String>,
    /// For a refused record: "ingehouden — art. 7.1".
    pub withheld: Option<String>,
    /// For a refused record: why, and who was told.
    pub withheld_words: Vec<String>,
    /// The obligations in words.
    pub obligations: Vec<String>,
    /// Where it comes from and who decided: parts of one line.
    pub provenance: Vec<String>,
    /// The decision's log entry.
    pub log: Option<LogRef>,
}

/// A decision's entry in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRef {
    /// "logboek, regel 41".
    pub words: String,
    /// The Logboek page's entry, for a privacy officer.
    pub href: Option<String>,
}

impl LogRef {
    /// The entry at `index`, linked for a privacy officer.
    pub fn new(index: u64, officer: bool) -> LogRef {
        LogRef {
            words: texts::log_place(index),
            href: officer.then(|| log_path(index)),
        }
    }
}

/// A problem with a case file in words: a file whose assembly stopped is not the hub
/// being unreachable (the hub answered UNAVAILABLE for the file only).
pub fn file_problem(error: &Error) -> Problem {
    match error {
        Error::Hub {
            code: tonic::Code::Unavailable,
            ..
        } => texts::case_file_failed(error),
        other => texts::problem(other),
    }
}

/// Whether the person may read the log (and so gets links to its entries).
pub fn is_officer(me: &wire::Person) -> bool {
    me.roles.iter().any(|r| r == PRIVACY_OFFICER)
}

/// A party's name as shown: the name from the hub, hidden characters written out.
fn name_of(p: Option<&wire::Party>) -> String {
    escape_control(&party_name(p)).into_owned()
}

/// The subjects of a file, by pseudonym.
struct Subjects<'a>(&'a [wire::Subject]);

impl Subjects<'_> {
    /// "dader — buurman", or the start of the pseudonym without a label.
    fn name(&self, hex: &str, role: &str, label: &str) -> String {
        let known = self
            .0
            .iter()
            .find(|s| s.subject.as_ref().is_some_and(|p| p.hex == hex));
        let role = if role.is_empty() {
            known.map(|s| s.role.as_str()).unwrap_or_default()
        } else {
            role
        };
        let label = if label.is_empty() {
            known.map(|s| s.label.as_str()).unwrap_or_default()
        } else {
            label
        };
        subject_name(hex, role, label)
    }
}

/// A subject in words: role and label (or the start of its pseudonym).
pub fn subject_name(hex: &str, role: &str, label: &str) -> String {
    let name = if label.trim().is_empty() {
        texts::unlabelled_subject(&short(hex))
    } else {
        escape_control(label).into_owned()
    };
    if role.is_empty() {
        name
    } else {
        texts::subject_words(role, &name)
    }
}

fn hex_of(p: Option<&wire::SubjectPseudonym>) -> &str {
    p.map(|p| p.hex.as_str()).unwrap_or_default()
}

/// What the view needs besides the file.
pub struct Context<'a> {
    /// The case, when the hub gave it (for the retention date of a closed case).
    pub case: Option<&'a wire::Case>,
    /// Whether the reader is a privacy officer (log entries as links).
    pub officer: bool,
}

/// The view of `file`.
pub fn view(file: &wire::CaseFile, ctx: &Context<'_>) -> FileView {
    let subjects = Subjects(&file.subjects);
    let parties: Vec<&wire::Party> = file
        .partners
        .iter()
        .filter_map(|p| p.party.as_ref())
        .collect();
    let retention_until = ctx
        .case
        .filter(|c| c.id == file.case_id)
        .and_then(|c| moment_ts(c.retention_until.as_ref()));
    let partners: Vec<PartnerRow> = file
        .partners
        .iter()
        .enumerate()
        .map(|(i, p)| {
            partner_row(
                p,
                i,
                &subjects,
                &parties,
                retention_until.as_ref(),
                ctx.officer,
            )
        })
        .collect();
    let assembling = file.settled_at.is_none() || file.partners.iter().any(|p| p.status == PENDING);
    let progress = if assembling {
        let asked = file
            .partners
            .iter()
            .filter(|p| p.status != "not-asked")
            .count();
        let waiting: Vec<String> = partners
            .iter()
            .filter(|p| p.state == PartnerState::Pending)
            .map(|p| p.name.clone())
            .collect();
        texts::progress_assembling(asked - waiting.len(), asked, &waiting)
    } else {
        let at = moment_ts(file.settled_at.as_ref())
            .map(|m| m.text)
            .unwrap_or_default();
        texts::progress_settled(&at, file.complete)
    };
    let counts = file.summary.as_ref().filter(|_| !assembling).map(|s| {
        texts::file_counts(
            s.entries_passed,
            s.fields_stripped,
            s.entries_withheld,
            s.emergency_entries,
        )
    });
    FileView {
        id: file.id.clone(),
        case_id: file.case_id.clone(),
        purpose: texts::purpose_and_phase(&file.purpose, &file.phase),
        requester: file
            .requester
            .as_ref()
            .map(|p| escape_control(&person_line(p)).into_owned())
            .unwrap_or_default(),
        requested_at: moment_ts(file.requested_at.as_ref()),
        under_emergency: file.under_emergency,
        subjects: file
            .subjects
            .iter()
            .map(|s| subject_name(hex_of(s.subject.as_ref()), &s.role, &s.label))
            .collect(),
        categories: file.categories.clone(),
        covenant: texts::covenant_version(file.covenant_version),
        assembling,
        progress,
        counts,
        has_records: partners.iter().any(|p| !p.records.is_empty()),
        partners,
        officer: ctx.officer,
    }
}

/// The partner status of a file still being assembled (coordinator.proto).
pub const PENDING: &str = "pending";

fn partner_row(
    p: &wire::PartnerResult,
    index: usize,
    subjects: &Subjects<'_>,
    parties: &[&wire::Party],
    retention_until: Option<&Moment>,
    officer: bool,
) -> PartnerRow {
    let articles = p.articles.join(", ");
    let (state, status, reason) = match p.status.as_str() {
        PENDING => {
            let hit = p.subjects.iter().any(|s| s.status == "hit");
            let words = if hit {
                texts::PARTNER_HIT_WAITING
            } else {
                texts::PARTNER_ASKED
            };
            (PartnerState::Pending, words.to_owned(), None)
        }
        "answered" => {
            let passed = p.entries.iter().filter(|e| permitted(e)).count();
            (
                PartnerState::Answered,
                texts::PARTNER_ANSWERED.to_owned(),
                Some(texts::partner_records(passed, p.entries.len() - passed)),
            )
        }
        "withheld" => (
            PartnerState::Withheld,
            texts::partner_withheld(&articles),
            Some(texts::article_reasons(&p.articles)),
        ),
        "no-hit" => (
            PartnerState::Nothing,
            texts::PARTNER_NO_HIT.to_owned(),
            Some(texts::PARTNER_NO_HIT_WORDS.to_owned()),
        ),
        "no-records" => (
            PartnerState::Nothing,
            texts::PARTNER_NO_RECORDS.to_owned(),
            None,
        ),
        "no-answer" => {
            let words = match p.no_answer_reason.as_str() {
                "deadline" | "" => texts::PARTNER_NO_ANSWER.to_owned(),
                "offline" => texts::PARTNER_OFFLINE.to_owned(),
                "queue-expired" => texts::PARTNER_QUEUE_EXPIRED.to_owned(),
                other => texts::partner_could_not(&escape_control(other)),
            };
            let detail = (!p.no_answer_detail.is_empty())
                .then(|| escape_lines(&p.no_answer_detail).into_owned());
            (PartnerState::NoAnswer, words, detail)
        }
        "offline-queued" => {
            let until = moment_ts(p.queued_until.as_ref())
                .map(|m| m.text)
                .unwrap_or_default();
            (
                PartnerState::Offline,
                texts::partner_queued(&until),
                Some(texts::PARTNER_QUEUED_WORDS.to_owned()),
            )
        }
        "not-asked" => {
            let reasons = texts::article_reasons(&p.articles);
            let reason = if reasons.is_empty() {
                format!("{}.", texts::NOT_ASKED_LEAD)
            } else {
                format!("{} ({reasons}).", texts::NOT_ASKED_LEAD)
            };
            (
                PartnerState::NotAsked,
                texts::partner_not_asked(&articles),
                Some(reason),
            )
        }
        other => (
            PartnerState::NoAnswer,
            escape_control(other).into_owned(),
            None,
        ),
    };
    let asked_any = p.subjects.iter().any(|s| s.status != "not-asked");
    let per_subject = if asked_any && (p.subjects.len() > 1) {
        p.subjects
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    subjects.name(hex_of(s.subject.as_ref()), "", ""),
                    texts::subject_state(&s.status, &s.no_answer_reason)
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut notes = Vec::new();
    if p.latency_ms > 0 {
        notes.push(texts::latency(p.latency_ms));
    }
    if p.late {
        notes.push(texts::LATE.to_owned());
    }
    PartnerRow {
        anchor: format!("partner-{}", index + 1),
        name: name_of(p.party.as_ref()),
        kind: p.party.as_ref().map(|p| p.kind.clone()).unwrap_or_default(),
        state,
        status,
        reason,
        per_subject,
        notes,
        records: p
            .entries
            .iter()
            .map(|e| record(e, subjects, parties, retention_until, officer))
            .collect(),
    }
}

fn permitted(e: &wire::CaseFileEntry) -> bool {
    e.decision.as_ref().is_some_and(|d| d.outcome == "permit")
}

/// One record in words.
fn record(
    e: &wire::CaseFileEntry,
    subjects: &Subjects<'_>,
    parties: &[&wire::Party],
    retention_until: Option<&Moment>,
    officer: bool,
) -> RecordView {
    let d = e.decision.clone().unwrap_or_default();
    let p = e.provenance.clone().unwrap_or_default();
    let passed = d.outcome == "permit";
    let source = name_of(e.source.as_ref());
    let by_hub = e.decided_by != "source";
    let decided = texts::decided(
        &moment_ts(p.decided_at.as_ref())
            .map(|m| m.text)
            .unwrap_or_default(),
        &d.articles.join(", "),
        d.covenant_version,
    );
    let mut provenance = vec![source.clone()];
    if !p.source_reference.is_empty() {
        provenance.push(texts::source_reference(&escape_control(
            &p.source_reference,
        )));
    }
    if let Some(at) = moment_ts(p.recorded_at.as_ref()) {
        provenance.push(texts::recorded_at(&at.text));
    }
    if by_hub {
        provenance.push(decided);
    }
    let log = (by_hub && e.provenance.is_some()).then(|| LogRef::new(p.log_leaf_index, officer));
    let subject = subjects.name(
        hex_of(e.subject.as_ref()),
        &e.subject_role,
        &e.subject_label,
    );
    let mut view = RecordView {
        category: e.category.clone(),
        subject,
        passed,
        emergency: passed && d.emergency,
        late: e.late,
        fields: Vec::new(),
        stripped: Vec::new(),
        withheld: None,
        withheld_words: Vec::new(),
        obligations: Vec::new(),
        provenance,
        log,
    };
    if !passed {
        view.withheld = Some(texts::record_withheld(&d.articles.join(", ")));
        if d.outcome == "reject" {
            view.withheld_words.push(texts::REJECTED_WHOLE.to_owned());
        } else {
            view.withheld_words.push(texts::DENIED.to_owned());
        }
        let reasons = texts::article_reasons(&d.articles);
        if !reasons.is_empty() {
            view.withheld_words.push(format!("{reasons}."));
        }
        let notified: BTreeSet<String> = d
            .notify
            .iter()
            .map(|n| name_of_oin(parties, &n.oin))
            .collect();
        if !notified.is_empty() {
            view.withheld_words.push(texts::officers_notified(
                &notified.into_iter().collect::<Vec<_>>().join(", "),
            ));
        }
        if !by_hub {
            view.withheld_words
                .push(texts::DECIDED_BY_SOURCE.to_owned());
        }
        return view;
    }
    view.fields = e
        .fields
        .iter()
        .map(|f| {
            (
                escape_control(&f.name).into_owned(),
                escape_lines(&f.value).into_owned(),
            )
        })
        .collect();
    view.stripped = d
        .stripped
        .iter()
        .map(|f| {
            texts::stripped_field(
                &escape_control(f),
                strip_article(&e.category, f, &d.articles),
            )
        })
        .collect();
    view.obligations = d
        .obligations
        .iter()
        .map(|o| obligation(o, &source, retention_until))
        .collect();
    view
}

/// A party of the file by OIN (for notifications), by name.
fn name_of_oin(parties: &[&wire::Party], oin: &str) -> String {
    let found = parties.iter().copied().find(|p| p.oin == oin);
    match found {
        Some(p) => name_of(Some(p)),
        None => texts::unnamed_party(&escape_control(oin)),
    }
}

/// An obligation in words: retention (with its date once the case is closed), purpose
/// binding, the review of an emergency share by the source's privacy officer.
pub fn obligation(o: &wire::Obligation, source: &str, retention_until: Option<&Moment>) -> String {
    match o.kind.as_str() {
        "purpose-binding" => texts::obligation_purpose(&o.purpose, &o.article),
        "retention" => match retention_until {
            Some(until) => texts::obligation_retention_until(&until.text, &o.article),
            None => texts::obligation_retention(&o.article),
        },
        "review" => texts::obligation_review(source, &o.article),
        other => texts::obligation_other(&escape_control(other), &o.article),
    }
}

/// `GET /casusdossiers/{id}`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    if !plain_id(&id) {
        return bad_id();
    }
    let title = texts::case_file_title(&id);
    let mut opened = match open(&app, &session, Nav::Cases, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let file = match queries::get_case_file(&mut opened.hub, &id).await {
        Ok(file) => file,
        Err(e @ Error::Hub { .. }) => {
            return render(&ProblemPage {
                layout: Layout::new(
                    &title,
                    Nav::Cases,
                    Some(&opened.me),
                    HubStatus::new(None, opened.now),
                    &session,
                ),
                problem: file_problem(&e),
            });
        }
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
    // The case only adds the retention date of a closed case; without it the
    // obligation is stated without a date.
    let case = queries::get_case(&mut opened.hub, &file.case_id).await.ok();
    let view = view(
        &file,
        &Context {
            case: case.as_ref(),
            officer: is_officer(&opened.me),
        },
    );
    render(&CaseFilePage {
        layout: opened.layout,
        file: view,
    })
}

/// `GET /casusdossiers/{id}/voortgang`: the body of the page as it stands now, for
/// htmx. When the hub cannot be reached for a moment the answer is 204 (htmx keeps
/// what it shows and polls again); when the hub refuses (the file is gone, its
/// assembly failed), the fragment says so and the polling stops.
pub async fn progress(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    if !plain_id(&id) {
        return bad_id();
    }
    let mut hub = app.hubs.lease();
    let stopped = |e: &Error| {
        render(&CaseFileFragment {
            file: None,
            problem: Some(file_problem(e)),
        })
    };
    let me = match hub.whoami().await {
        Ok(me) => me,
        Err(e @ Error::Hub { .. }) => return stopped(&e),
        Err(_) => return StatusCode::NO_CONTENT.into_response(),
    };
    let file = match queries::get_case_file(&mut hub, &id).await {
        Ok(file) => file,
        Err(e @ Error::Hub { .. }) => return stopped(&e),
        Err(_) => return StatusCode::NO_CONTENT.into_response(),
    };
    let case = queries::get_case(&mut hub, &file.case_id).await.ok();
    render(&CaseFileFragment {
        file: Some(view(
            &file,
            &Context {
                case: case.as_ref(),
                officer: is_officer(&me),
            },
        )),
        problem: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::when::to_timestamp;
    use time::macros::datetime;

    fn party(oin: &str, name: &str, kind: &str) -> Option<wire::Party> {
        Some(wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: kind.into(),
        })
    }

    pub(crate) fn politie() -> Option<wire::Party> {
        party(
            "00000002000000000002",
            "Politie Eenheid Amsterdam",
            "politie",
        )
    }

    pub(crate) fn ggd() -> Option<wire::Party> {
        party("00000005000000000006", "GGD Amsterdam", "zorgpartner")
    }

    pub(crate) fn om() -> Option<wire::Party> {
        party(
            "00000003000000000003",
            "Openbaar Ministerie, Arrondissementsparket Amsterdam",
            "om",
        )
    }

    fn pseudonym(c: &str) -> Option<wire::SubjectPseudonym> {
        Some(wire::SubjectPseudonym { hex: c.repeat(32) })
    }

    fn incident() -> wire::CaseFileEntry {
        wire::CaseFileEntry {
            source: politie(),
            category: "politie-incidenten".into(),
            subject: pseudonym("d0"),
            subject_role: "dader".into(),
            subject_label: "buurman".into(),
            decision: Some(wire::ShareDecision {
                outcome: "permit".into(),
                passed: vec!["datum".into(), "incidentsoort".into()],
                stripped: vec!["samenvatting".into()],
                articles: vec!["6.3".into(), "6.3a".into()],
                obligations: vec![
                    wire::Obligation {
                        kind: "purpose-binding".into(),
                        article: "3.2".into(),
                        purpose: "duiding".into(),
                    },
                    wire::Obligation {
                        kind: "retention".into(),
                        article: "9.1".into(),
                        purpose: String::new(),
                    },
                ],
                covenant_version: 1,
                ..Default::default()
            }),
            fields: vec![
                wire::Field {
                    name: "datum".into(),
                    value: "2026-10-30".into(),
                },
                wire::Field {
                    name: "incidentsoort".into(),
                    value: "bedreiging".into(),
                },
            ],
            decided_by: "hub".into(),
            provenance: Some(wire::Provenance {
                source_reference: "BVH-2026-0001".into(),
                recorded_at: Some(to_timestamp(datetime!(2026-11-01 09:00 UTC))),
                decided_at: Some(to_timestamp(datetime!(2026-11-23 10:00 UTC))),
                log_leaf_index: 41,
            }),
            late: false,
        }
    }

    fn care(decided_by: &str) -> wire::CaseFileEntry {
        wire::CaseFileEntry {
            source: ggd(),
            category: "zorgbetrokkenheid".into(),
            subject: pseudonym("d0"),
            subject_role: "dader".into(),
            decision: Some(wire::ShareDecision {
                outcome: "reject".into(),
                articles: vec!["7.1".into()],
                notify: vec![wire::Notification {
                    kind: "privacy-officer".into(),
                    oin: "00000005000000000006".into(),
                    article: "7.1".into(),
                }],
                covenant_version: 1,
                ..Default::default()
            }),
            decided_by: decided_by.into(),
            provenance: Some(wire::Provenance {
                log_leaf_index: 42,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(crate) fn sample_file() -> wire::CaseFile {
        wire::CaseFile {
            id: "CF-2026-0001-0001".into(),
            case_id: "C-2026-0001".into(),
            purpose: "duiding".into(),
            phase: "duiding".into(),
            requester: Some(wire::Person {
                name: String::new(),
                id: "p-gemeente-004".into(),
                party: party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
                roles: vec!["stadsdeelregisseur".into()],
                stadsdeel: "oost".into(),
            }),
            requested_at: Some(to_timestamp(datetime!(2026-11-23 10:00 UTC))),
            settled_at: Some(to_timestamp(datetime!(2026-11-23 10:00:05 UTC))),
            subjects: vec![
                wire::Subject {
                    subject: pseudonym("d0"),
                    role: "dader".into(),
                    label: "buurman".into(),
                    ..Default::default()
                },
                wire::Subject {
                    subject: pseudonym("5a"),
                    role: "slachtoffer".into(),
                    ..Default::default()
                },
            ],
            categories: vec!["politie-incidenten".into()],
            covenant_version: 1,
            partners: vec![
                wire::PartnerResult {
                    party: politie(),
                    status: "answered".into(),
                    entries: vec![incident()],
                    latency_ms: 12,
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: om(),
                    status: "not-asked".into(),
                    articles: vec!["6.4".into()],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: ggd(),
                    status: "withheld".into(),
                    articles: vec!["7.1".into()],
                    entries: vec![care("hub")],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000004000000000005",
                        "Stichting Lieflijk Wonen",
                        "woningcorporatie",
                    ),
                    status: "offline-queued".into(),
                    queued_until: Some(to_timestamp(datetime!(2026-11-26 10:00 UTC))),
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000005000000000007",
                        "Zorgcollectief Amstel",
                        "zorgpartner",
                    ),
                    status: "no-answer".into(),
                    no_answer_reason: "deadline".into(),
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000004000000000004",
                        "Woonstichting De Gracht",
                        "woningcorporatie",
                    ),
                    status: "no-hit".into(),
                    ..Default::default()
                },
            ],
            summary: Some(wire::CaseFileSummary {
                entries_passed: 1,
                entries_withheld: 1,
                fields_stripped: 1,
                ..Default::default()
            }),
            complete: false,
            ..Default::default()
        }
    }

    fn coordinator() -> Context<'static> {
        Context {
            case: None,
            officer: false,
        }
    }

    fn row<'a>(view: &'a FileView, name: &str) -> &'a PartnerRow {
        view.partners
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no row {name}: {view:#?}"))
    }

    #[test]
    fn every_partner_state_reads_in_words() {
        let view = view(&sample_file(), &coordinator());
        assert!(!view.assembling);
        let politie = row(&view, "Politie Eenheid Amsterdam");
        assert_eq!(politie.state, PartnerState::Answered);
        assert_eq!(politie.status, "beantwoord");
        assert_eq!(politie.reason.as_deref(), Some("1 gegeven doorgegeven"));
        assert_eq!(politie.notes, ["antwoord in 12 ms"]);
        let om = row(
            &view,
            "Openbaar Ministerie, Arrondissementsparket Amsterdam",
        );
        assert_eq!(om.state, PartnerState::NotAsked);
        assert_eq!(om.status, "niet gevraagd — art. 6.4");
        assert_eq!(
            om.reason.as_deref(),
            Some(
                "Niets wat deze partner kan leveren mag voor dit doel naar u (art. 6.4: justitiele-gegevens alleen voor de stadsdeelregisseur, bij aanpak, en alleen over een dader)."
            )
        );
        let ggd = row(&view, "GGD Amsterdam");
        assert_eq!(ggd.state, PartnerState::Withheld);
        assert_eq!(ggd.status, "ingehouden — art. 7.1");
        let lieflijk = row(&view, "Stichting Lieflijk Wonen");
        assert_eq!(lieflijk.state, PartnerState::Offline);
        assert_eq!(
            lieflijk.status,
            "offline — in de wachtrij tot do 26 nov. 2026 11:00"
        );
        let amstel = row(&view, "Zorgcollectief Amstel");
        assert_eq!(amstel.state, PartnerState::NoAnswer);
        assert_eq!(amstel.status, "geen antwoord op tijd");
        let gracht = row(&view, "Woonstichting De Gracht");
        assert_eq!(gracht.state, PartnerState::Nothing);
        assert_eq!(gracht.status, "niets — kent de betrokkenen niet");
        assert!(
            view.progress.contains("in de wachtrij"),
            "not complete: {}",
            view.progress
        );
        assert_eq!(
            view.counts.as_deref(),
            Some("1 gegeven doorgegeven (1 veld ingehouden), 1 gegeven geheel ingehouden.")
        );
        assert_eq!(
            view.subjects,
            ["dader — buurman", "slachtoffer — pseudoniem 5a5a5a5a5a5a…"]
        );
        // Parties by name only.
        assert!(!format!("{view:?}").contains("00000005000000000006"));
    }

    #[test]
    fn a_file_being_assembled_polls_and_names_who_it_waits_for() {
        let mut file = sample_file();
        file.settled_at = None;
        file.summary = None;
        file.partners[2] = wire::PartnerResult {
            party: ggd(),
            status: "pending".into(),
            subjects: vec![
                wire::PartnerSubjectResult {
                    subject: pseudonym("d0"),
                    status: "hit".into(),
                    ..Default::default()
                },
                wire::PartnerSubjectResult {
                    subject: pseudonym("5a"),
                    status: "asked".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        file.partners[4].status = "pending".into();
        let view = view(&file, &coordinator());
        assert!(view.assembling);
        assert_eq!(view.counts, None);
        assert_eq!(
            view.progress,
            "Het casusdossier wordt samengesteld: 3 van de 5 gevraagde partners zijn klaar; wacht op GGD Amsterdam, Zorgcollectief Amstel."
        );
        let ggd = row(&view, "GGD Amsterdam");
        assert_eq!(ggd.state, PartnerState::Pending);
        assert_eq!(ggd.status, "bekend — gegevens gevraagd");
        assert_eq!(
            ggd.per_subject,
            [
                "dader — buurman: bekend, gegevens gevraagd",
                "slachtoffer — pseudoniem 5a5a5a5a5a5a…: gevraagd"
            ]
        );
        assert_eq!(
            row(&view, "Zorgcollectief Amstel").status,
            "gevraagd — wacht op antwoord"
        );
    }

    #[test]
    fn a_record_shows_its_fields_withheld_fields_obligations_and_provenance() {
        let view = view(&sample_file(), &coordinator());
        let record = &row(&view, "Politie Eenheid Amsterdam").records[0];
        assert!(record.passed);
        assert_eq!(record.subject, "dader — buurman");
        assert_eq!(
            record.fields,
            [
                ("datum".to_owned(), "2026-10-30".to_owned()),
                ("incidentsoort".to_owned(), "bedreiging".to_owned())
            ]
        );
        assert_eq!(record.stripped, ["samenvatting (art. 6.3a)"]);
        assert_eq!(
            record.obligations,
            [
                "Alleen gebruiken voor duiding (doelbinding, art. 3.2)",
                "Bewaren tot 24 maanden nadat de casus is afgesloten, daarna verwijderen (art. 9.1)"
            ]
        );
        assert_eq!(
            record.provenance,
            [
                "Politie Eenheid Amsterdam",
                "kenmerk BVH-2026-0001",
                "vastgelegd bij de bron op zo 1 nov. 2026 10:00",
                "besloten door de hub op ma 23 nov. 2026 11:00 onder art. 6.3, 6.3a (convenant versie 1)"
            ]
        );
        // A coordinator cannot read the log: the index as text.
        assert_eq!(
            record.log,
            Some(LogRef {
                words: "logboek, regel 41".into(),
                href: None
            })
        );
    }

    #[test]
    fn a_privacy_officer_gets_links_to_the_log_entries() {
        let officer = Context {
            case: None,
            officer: true,
        };
        let view = view(&sample_file(), &officer);
        let record = &row(&view, "Politie Eenheid Amsterdam").records[0];
        assert_eq!(
            record.log.as_ref().and_then(|l| l.href.as_deref()),
            Some("/logboek/41")
        );
        assert!(is_officer(&wire::Person {
            roles: vec!["privacy-officer".into()],
            ..Default::default()
        }));
        assert!(!is_officer(&wire::Person {
            roles: vec!["stadsdeelregisseur".into()],
            ..Default::default()
        }));
    }

    #[test]
    fn a_refused_record_is_a_withheld_line_with_its_article() {
        let view = view(&sample_file(), &coordinator());
        let record = &row(&view, "GGD Amsterdam").records[0];
        assert!(!record.passed);
        assert!(record.fields.is_empty());
        assert_eq!(record.withheld.as_deref(), Some("ingehouden — art. 7.1"));
        assert_eq!(
            record.withheld_words,
            [
                "Verboden inhoud: het hele gegeven is geweigerd, er is niets van doorgegeven.",
                "art. 7.1: verboden inhoud (diagnose, behandeling of medicatie): het hele gegeven is geweigerd.",
                "De privacy officer van GGD Amsterdam is ingelicht."
            ]
        );
        assert_eq!(
            record.log.as_ref().map(|l| l.words.as_str()),
            Some("logboek, regel 42")
        );
        // Refused by the partner's own check: no hub decision, no log entry of the hub.
        let mut file = sample_file();
        file.partners[2].entries = vec![care("source")];
        let view = super::view(&file, &coordinator());
        let record = &row(&view, "GGD Amsterdam").records[0];
        assert_eq!(record.log, None);
        assert!(
            record
                .withheld_words
                .contains(&texts::DECIDED_BY_SOURCE.to_owned())
        );
    }

    #[test]
    fn obligations_name_the_retention_date_once_the_case_is_closed_and_the_review() {
        let closed = wire::Case {
            id: "C-2026-0001".into(),
            retention_until: Some(to_timestamp(datetime!(2028-11-23 10:00 UTC))),
            ..Default::default()
        };
        let mut file = sample_file();
        let decision = file.partners[0].entries[0]
            .decision
            .as_mut()
            .expect("decision");
        decision.emergency = true;
        decision.obligations.push(wire::Obligation {
            kind: "review".into(),
            article: "15.2".into(),
            purpose: String::new(),
        });
        let view = view(
            &file,
            &Context {
                case: Some(&closed),
                officer: false,
            },
        );
        let record = &row(&view, "Politie Eenheid Amsterdam").records[0];
        assert!(record.emergency);
        assert_eq!(
            record.obligations[1],
            "Bewaren tot uiterlijk do 23 nov. 2028 11:00, daarna verwijderen (art. 9.1)"
        );
        assert_eq!(
            record.obligations[2],
            "Spoedverstrekking: gemeld aan de privacy officer van Politie Eenheid Amsterdam voor toetsing binnen 1 werkdag (art. 15.2)"
        );
    }

    #[test]
    fn values_from_partners_show_as_text() {
        let mut file = sample_file();
        let entry = &mut file.partners[0].entries[0];
        entry.fields[1].value = "<script>alert(1)</script>\nregel twee\u{202e}".into();
        entry.fields[1].name = "incident\u{1b}soort".into();
        entry
            .provenance
            .as_mut()
            .expect("provenance")
            .source_reference = "BVH\u{7}".into();
        let view = view(&file, &coordinator());
        let record = &row(&view, "Politie Eenheid Amsterdam").records[0];
        // Line breaks stay (shown as such); hidden characters are written out.
        assert_eq!(
            record.fields[1],
            (
                "incident\\u{1b}soort".to_owned(),
                "<script>alert(1)</script>\nregel twee\\u{202e}".to_owned()
            )
        );
        assert_eq!(record.provenance[1], "kenmerk BVH\\u{7}");
        // And askama escapes the markup on the page.
        let html = CaseFileFragment {
            file: Some(view),
            problem: None,
        }
        .render()
        .expect("renders");
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
    }

    #[test]
    fn a_file_whose_assembly_stopped_is_not_an_unreachable_hub() {
        let failed = Error::Hub {
            code: tonic::Code::Unavailable,
            message: "case file CF-1 could not be completed and was not stored".into(),
            hint: None,
        };
        let problem = file_problem(&failed);
        assert!(!problem.unreachable);
        assert_eq!(problem.title, "Dit casusdossier kon niet worden afgerond");
        assert!(problem.detail.contains("could not be completed"));
        let gone = Error::Hub {
            code: tonic::Code::NotFound,
            message: "no case file CF-1".into(),
            hint: None,
        };
        assert_eq!(file_problem(&gone).title, "Niet gevonden");
        let html = CaseFileFragment {
            file: None,
            problem: Some(problem),
        }
        .render()
        .expect("renders");
        assert!(!html.contains("hx-trigger"), "following stops: {html}");
        assert!(html.contains("hx-swap-oob"), "{html}");
    }

    #[test]
    fn only_plain_ids_reach_the_hub() {
        assert!(plain_id("CF-2026-0001-0002"));
        assert!(plain_id("C-2026-0001"));
        assert!(!plain_id(""));
        assert!(!plain_id("C-1/../x"));
        assert!(!plain_id("C 1"));
        assert!(!plain_id(&"C".repeat(65)));
    }

    #[test]
    fn the_live_body_polls_until_the_file_settles() {
        let mut assembling = sample_file();
        assembling.settled_at = None;
        let html = CaseFileFragment {
            file: Some(view(&assembling, &coordinator())),
            problem: None,
        }
        .render()
        .expect("renders");
        assert!(
            html.contains("hx-get=\"/casusdossiers/CF-2026-0001-0001/voortgang\""),
            "{html}"
        );
        assert!(html.contains("hx-trigger=\"every 1s\""), "{html}");
        assert!(html.contains("hx-swap-oob"), "{html}");
        let settled = CaseFileFragment {
            file: Some(view(&sample_file(), &coordinator())),
            problem: None,
        }
        .render()
        .expect("renders");
        assert!(!settled.contains("hx-trigger"), "{settled}");
    }
}
