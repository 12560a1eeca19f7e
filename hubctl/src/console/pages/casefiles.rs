//! **Casusdossiers** of a case (`GET /casussen/{case}/casusdossiers`,
//! `templates/casefiles.html`): the caller's case files of the case, newest first
//! (ListCaseFiles, as `hubctl casefile list`, through [`queries::list_case_files`]),
//! and the form that requests a new one (`POST` to the same address, as `hubctl
//! casefile request`).
//!
//! The purpose is the one the case's phase allows (article 4.2), and also `aanpak`
//! while the caller's own emergency on the case is active (article 15.1); in phases
//! `buiten-aanpak` and `afgesloten` there is no form (article 4.4). Every subject is
//! ticked; untick to narrow. The request starts the assembly with WatchCaseFile and
//! waits only for its first event, which names the file; the browser is then sent to
//! the file's page (post/redirect/get), which follows it as the hub fills it in. The
//! watch is dropped there: the hub assembles on and holds the file as it stands, so
//! the console holds nothing.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::{Extension, response::IntoResponse};
use treiter_proto::text::escape_control;
use treiter_proto::v1 as wire;

use super::casefile::{self, bad_id, plain_id, subject_name};
use super::{open, problem_page};
use crate::commands::new_request_id;
use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::{Layout, Nav, render_with};
use crate::console::security::Session;
use crate::console::texts::{self, Problem};
use crate::error::Error;
use crate::queries;

/// The form's fields.
pub mod field {
    /// The purpose (a covenant word).
    pub const PURPOSE: &str = "doel";
    /// A subject to include, by pseudonym; repeated.
    pub const SUBJECT: &str = "betrokkene";
    /// How long the hub waits for each partner, in seconds (empty: the hub's default).
    pub const WAIT: &str = "wachttijd";
}

/// The waits on offer, in seconds (the hub allows at most 60): a known slow partner
/// can be given more time than the hub's default.
pub const WAITS: [u32; 3] = [10, 30, 60];

/// The address of a case's case files.
pub fn path(case_id: &str) -> String {
    format!("/casussen/{case_id}/casusdossiers")
}

/// The page.
#[derive(Template)]
#[template(path = "casefiles.html")]
pub struct CaseFilesPage {
    /// The frame.
    pub layout: Layout,
    /// The case.
    pub case_id: String,
    /// The request form, when a case file can be requested.
    pub form: Option<RequestForm>,
    /// Why none can be requested in this phase (article 4.4).
    pub closed: Option<String>,
    /// The case has no subjects yet.
    pub no_subjects: bool,
    /// The caller's case files of the case, newest first.
    pub rows: Vec<FileRow>,
}

/// A purpose on offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurposeOption {
    /// The covenant word.
    pub value: &'static str,
    /// What it is offered for.
    pub words: String,
    /// Whether it is chosen.
    pub chosen: bool,
}

/// A subject to tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectOption {
    /// Its pseudonym (the form's value).
    pub hex: String,
    /// "dader — buurman".
    pub words: String,
    /// Whether it is ticked.
    pub ticked: bool,
}

/// The request form, as filled in, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestForm {
    /// The purposes on offer (one, or two under the caller's emergency).
    pub purposes: Vec<PurposeOption>,
    /// The case's subjects.
    pub subjects: Vec<SubjectOption>,
    /// The waits on offer, in seconds (0: the hub's default), and which is chosen.
    pub waits: Vec<(u32, String, bool)>,
    /// What is wrong with the wait.
    pub wait_error: Option<&'static str>,
    /// What is wrong with the purpose.
    pub purpose_error: Option<&'static str>,
    /// What is wrong with the subjects.
    pub subjects_error: Option<&'static str>,
    /// The hub's refusal of the request.
    pub refusal: Option<Problem>,
}

/// One case file in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// The case file id.
    pub id: String,
    /// Its purpose (covenant word).
    pub purpose: String,
    /// When it was requested.
    pub requested: Option<Moment>,
    /// Being assembled, complete, or waiting for queued answers.
    pub state: &'static str,
    /// The counts in words.
    pub summary: String,
}

/// The purpose that fits a phase (article 4.2); `None` in the phases where nothing is
/// shared any more (article 4.4).
pub fn purpose_of_phase(phase: &str) -> Option<&'static str> {
    match phase {
        "melding" | "registratie" => Some("registratie"),
        "duiding" => Some("duiding"),
        "aanpak" => Some("aanpak"),
        _ => None,
    }
}

/// Whether `me` declared the emergency active on `case` (it lets them ask for
/// `aanpak` in any phase, article 15.1).
fn own_emergency(case: &wire::Case, me: &wire::Person) -> bool {
    case.emergency
        .as_ref()
        .is_some_and(|e| e.active && e.declared_by.as_ref().is_some_and(|p| p.id == me.id))
}

/// The purposes `me` may ask for on `case`, with the words that say why.
pub fn purposes(case: &wire::Case, me: &wire::Person) -> Vec<PurposeOption> {
    let mut out = Vec::new();
    if let Some(p) = purpose_of_phase(&case.phase) {
        out.push(PurposeOption {
            value: p,
            words: texts::purpose_for_phase_words(p, &case.phase),
            chosen: true,
        });
    }
    if own_emergency(case, me) && !out.iter().any(|o| o.value == "aanpak") {
        out.push(PurposeOption {
            value: "aanpak",
            words: format!("aanpak {}", texts::PURPOSE_UNDER_EMERGENCY),
            chosen: out.is_empty(),
        });
    }
    out
}

/// The subjects of `case`, each ticked when `ticked` says so.
/// The waits on offer, `chosen` chosen.
fn wait_options(chosen: u32) -> Vec<(u32, String, bool)> {
    std::iter::once(0)
        .chain(WAITS)
        .map(|s| (s, texts::wait_words(s), s == chosen))
        .collect()
}

fn subject_options(case: &wire::Case, ticked: impl Fn(&str) -> bool) -> Vec<SubjectOption> {
    case.subjects
        .iter()
        .filter_map(|s| {
            let hex = s.subject.as_ref()?.hex.clone();
            Some(SubjectOption {
                words: subject_name(&hex, &s.role, &s.label),
                ticked: ticked(&hex),
                hex,
            })
        })
        .collect()
}

/// What the page offers for `case`: the form, or why there is none.
pub fn request_state(
    case: &wire::Case,
    me: &wire::Person,
) -> (Option<RequestForm>, Option<String>, bool) {
    let purposes = purposes(case, me);
    if purposes.is_empty() {
        return (None, Some(texts::closed_phase(&case.phase)), false);
    }
    if case.subjects.is_empty() {
        return (None, None, true);
    }
    (
        Some(RequestForm {
            purposes,
            subjects: subject_options(case, |_| true),
            waits: wait_options(0),
            wait_error: None,
            purpose_error: None,
            subjects_error: None,
            refusal: None,
        }),
        None,
        false,
    )
}

/// A request read from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// The purpose.
    pub purpose: String,
    /// The subjects by pseudonym; empty for every subject of the case.
    pub subjects: Vec<String>,
    /// How long the hub waits for each partner, in seconds; 0 for its default.
    pub wait: u32,
}

/// Reads the form against `case`: the request, or the form again with what is wrong
/// next to its field. Only words and pseudonyms the form offered are taken.
pub fn read_request(
    pairs: &[(String, String)],
    case: &wire::Case,
    me: &wire::Person,
) -> Result<Requested, Box<RequestForm>> {
    let values = |name: &str| {
        pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let offered = purposes(case, me);
    let purpose = values(field::PURPOSE)
        .into_iter()
        .next()
        .unwrap_or_default();
    let purpose_ok = offered.iter().any(|o| o.value == purpose);
    let ticked = values(field::SUBJECT);
    let known: Vec<&str> = case
        .subjects
        .iter()
        .filter_map(|s| s.subject.as_ref().map(|p| p.hex.as_str()))
        .collect();
    let subjects_ok = !ticked.is_empty() && ticked.iter().all(|t| known.contains(&t.as_str()));
    let wait_text = values(field::WAIT).into_iter().next().unwrap_or_default();
    let wait = match wait_text.as_str() {
        "" | "0" => Some(0),
        other => other.parse::<u32>().ok().filter(|w| WAITS.contains(w)),
    };
    if let (true, true, Some(wait)) = (purpose_ok, subjects_ok, wait) {
        // Every subject ticked: ask for "every current subject", as hubctl does.
        let subjects = if known.iter().all(|k| ticked.iter().any(|t| t == k)) {
            Vec::new()
        } else {
            ticked
        };
        return Ok(Requested {
            purpose,
            subjects,
            wait,
        });
    }
    Err(Box::new(RequestForm {
        purposes: offered
            .into_iter()
            .map(|o| PurposeOption {
                chosen: if purpose_ok {
                    o.value == purpose
                } else {
                    o.chosen
                },
                ..o
            })
            .collect(),
        subjects: subject_options(case, |hex| ticked.iter().any(|t| t == hex)),
        waits: wait_options(wait.unwrap_or(0)),
        wait_error: wait.is_none().then_some(texts::REQUEST_PICK_WAIT),
        purpose_error: (!purpose_ok).then_some(texts::REQUEST_PICK_PURPOSE),
        subjects_error: (!subjects_ok).then_some(texts::REQUEST_PICK_SUBJECTS),
        refusal: None,
    }))
}

/// The case files as rows.
pub fn rows(files: &[wire::CaseFile]) -> Vec<FileRow> {
    files
        .iter()
        .map(|f| {
            let assembling =
                f.settled_at.is_none() || f.partners.iter().any(|p| p.status == casefile::PENDING);
            let state = if assembling {
                texts::FILE_ASSEMBLING
            } else if f.complete {
                texts::FILE_COMPLETE
            } else {
                texts::FILE_INCOMPLETE
            };
            let summary = match (&f.summary, assembling) {
                (Some(s), false) => texts::file_summary(
                    s.entries_passed,
                    s.entries_withheld,
                    s.answered,
                    s.no_hit + s.no_records,
                    s.no_answer + s.offline_queued,
                    s.not_asked,
                ),
                _ => {
                    let asked = f
                        .partners
                        .iter()
                        .filter(|p| p.status != "not-asked")
                        .count();
                    let pending = f
                        .partners
                        .iter()
                        .filter(|p| p.status == casefile::PENDING)
                        .count();
                    texts::file_partial(asked - pending, asked)
                }
            };
            FileRow {
                id: escape_control(&f.id).into_owned(),
                purpose: f.purpose.clone(),
                requested: moment_ts(f.requested_at.as_ref()),
                state,
                summary,
            }
        })
        .collect()
}

/// The page for `case`, with `form` in place of the empty one when given.
async fn page_for(
    opened: super::Opened<'_>,
    case: &wire::Case,
    form: Option<RequestForm>,
    status: StatusCode,
    session: &Session,
) -> Response {
    let super::Opened {
        mut hub,
        me,
        layout,
        now,
    } = opened;
    let files = match queries::list_case_files(&mut hub, &case.id).await {
        Ok(files) => files,
        Err(e) => {
            return problem_page(&layout.title, Nav::Cases, Some(&me), &e, session, now);
        }
    };
    let (empty, closed, no_subjects) = request_state(case, &me);
    render_with(
        &CaseFilesPage {
            layout,
            case_id: case.id.clone(),
            form: form.or(empty),
            closed,
            no_subjects,
            rows: rows(&files),
        },
        status,
    )
}

/// `GET /casussen/{case}/casusdossiers`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(case_id): Path<String>,
) -> Response {
    if !plain_id(&case_id) {
        return bad_id();
    }
    let title = texts::case_files_title(&case_id);
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
    page_for(opened, &case, None, StatusCode::OK, &session).await
}

/// `POST /casussen/{case}/casusdossiers`: requests a case file and sends the browser
/// to its page as soon as the hub has named it.
pub async fn request(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(case_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if !plain_id(&case_id) {
        return bad_id();
    }
    let title = texts::case_files_title(&case_id);
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
    let requested = match read_request(&pairs, &case, &opened.me) {
        Ok(r) => r,
        Err(form) => {
            return page_for(
                opened,
                &case,
                Some(*form),
                StatusCode::UNPROCESSABLE_ENTITY,
                &session,
            )
            .await;
        }
    };
    let req = wire::CaseFileRequest {
        client_request_id: new_request_id(),
        case_id: case.id.clone(),
        purpose: requested.purpose.clone(),
        subjects: requested
            .subjects
            .iter()
            .map(|hex| wire::SubjectPseudonym { hex: hex.clone() })
            .collect(),
        categories: Vec::new(),
        deadline_ms: requested.wait * 1000,
    };
    match start(&mut opened.hub, &req).await {
        Ok(id) => Redirect::to(&casefile::path(&id)).into_response(),
        Err(e) => {
            // The form again, as filled in, with the hub's refusal in words.
            let ticked = |hex: &str| {
                requested.subjects.is_empty() || requested.subjects.iter().any(|s| s == hex)
            };
            let form = RequestForm {
                purposes: purposes(&case, &opened.me)
                    .into_iter()
                    .map(|o| PurposeOption {
                        chosen: o.value == requested.purpose,
                        ..o
                    })
                    .collect(),
                subjects: subject_options(&case, ticked),
                waits: wait_options(requested.wait),
                wait_error: None,
                purpose_error: None,
                subjects_error: None,
                refusal: Some(texts::problem(&e)),
            };
            page_for(opened, &case, Some(form), StatusCode::OK, &session).await
        }
    }
}

/// Starts the assembly and returns the case file's id from its first event. The watch
/// is dropped: the hub assembles on.
async fn start(hub: &mut crate::hub::Hub, req: &wire::CaseFileRequest) -> Result<String, Error> {
    use wire::case_file_event::Event;
    // The first event comes before anyone is asked.
    let mut watch = queries::watch_case_file(hub, req, crate::hub::CALL_TIMEOUT).await?;
    match watch.next().await? {
        Some(wire::CaseFileEvent {
            event: Some(Event::Started(started)),
        }) if plain_id(&started.case_file_id) => Ok(started.case_file_id),
        _ => Err(Error::Hub {
            code: tonic::Code::Internal,
            message: "the hub's answer did not start by naming the case file; the list of case files shows it if it was started".to_owned(),
            hint: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudonym(c: &str) -> Option<wire::SubjectPseudonym> {
        Some(wire::SubjectPseudonym { hex: c.repeat(32) })
    }

    fn me() -> wire::Person {
        wire::Person {
            id: "p-gemeente-004".into(),
            roles: vec!["stadsdeelregisseur".into()],
            ..Default::default()
        }
    }

    fn case(phase: &str) -> wire::Case {
        wire::Case {
            id: "C-2026-0001".into(),
            phase: phase.into(),
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
            ..Default::default()
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_purpose_follows_the_phase_and_the_own_emergency() {
        let values = |c: &wire::Case| {
            purposes(c, &me())
                .into_iter()
                .map(|o| o.value)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&case("melding")), ["registratie"]);
        assert_eq!(values(&case("registratie")), ["registratie"]);
        assert_eq!(values(&case("duiding")), ["duiding"]);
        assert_eq!(values(&case("aanpak")), ["aanpak"]);
        assert!(values(&case("afgesloten")).is_empty());
        let (form, closed, _) = request_state(&case("buiten-aanpak"), &me());
        assert!(form.is_none());
        assert!(closed.is_some_and(|c| c.contains("art. 4.4")));

        let mut urgent = case("duiding");
        urgent.emergency = Some(wire::CaseEmergency {
            declared_by: Some(me()),
            active: true,
            ..Default::default()
        });
        assert_eq!(values(&urgent), ["duiding", "aanpak"]);
        // Someone else's emergency gives me nothing (article 15.1).
        urgent.emergency.as_mut().expect("emergency").declared_by = Some(wire::Person {
            id: "p-politie-017".into(),
            ..Default::default()
        });
        assert_eq!(values(&urgent), ["duiding"]);
    }

    #[test]
    fn every_subject_ticked_asks_for_every_subject() {
        let c = case("duiding");
        let d0 = "d0".repeat(32);
        let sa = "5a".repeat(32);
        let all = read_request(
            &pairs(&[
                ("doel", "duiding"),
                ("betrokkene", &d0),
                ("betrokkene", &sa),
            ]),
            &c,
            &me(),
        )
        .expect("valid");
        assert_eq!(
            all,
            Requested {
                purpose: "duiding".into(),
                subjects: Vec::new(),
                wait: 0,
            }
        );
        let one = read_request(
            &pairs(&[("doel", "duiding"), ("betrokkene", &d0)]),
            &c,
            &me(),
        )
        .expect("valid");
        assert_eq!(one.subjects, std::slice::from_ref(&d0));
    }

    #[test]
    fn a_wrong_form_comes_back_with_the_error_next_to_its_field() {
        let c = case("duiding");
        let d0 = "d0".repeat(32);
        let form = read_request(
            &pairs(&[("doel", "aanpak"), ("betrokkene", &d0)]),
            &c,
            &me(),
        )
        .expect_err("aanpak does not fit duiding");
        assert_eq!(form.purpose_error, Some(texts::REQUEST_PICK_PURPOSE));
        assert_eq!(form.subjects_error, None);
        assert!(form.subjects[0].ticked && !form.subjects[1].ticked);
        let form = read_request(&pairs(&[("doel", "duiding")]), &c, &me()).expect_err("none");
        assert_eq!(form.subjects_error, Some(texts::REQUEST_PICK_SUBJECTS));
        let form = read_request(
            &pairs(&[("doel", "duiding"), ("betrokkene", &"ee".repeat(32))]),
            &c,
            &me(),
        )
        .expect_err("not a subject of the case");
        assert_eq!(form.subjects_error, Some(texts::REQUEST_PICK_SUBJECTS));
        // Only the waits on offer (the hub allows at most 60 s).
        let d0 = pairs(&[
            ("doel", "duiding"),
            ("betrokkene", &d0),
            ("wachttijd", "30"),
        ]);
        assert_eq!(read_request(&d0, &c, &me()).expect("30 s").wait, 30);
        let mut long = d0.clone();
        long[2].1 = "600".into();
        let form = read_request(&long, &c, &me()).expect_err("600 s is not offered");
        assert_eq!(form.wait_error, Some(texts::REQUEST_PICK_WAIT));
        assert!(form.waits.iter().any(|(s, _, chosen)| *s == 0 && *chosen));
    }

    #[test]
    fn the_list_says_how_each_file_stands() {
        let settled = wire::CaseFile {
            id: "CF-2026-0001-0001".into(),
            purpose: "duiding".into(),
            settled_at: Some(prost_types::Timestamp::default()),
            complete: true,
            summary: Some(wire::CaseFileSummary {
                entries_passed: 3,
                entries_withheld: 1,
                answered: 2,
                no_hit: 3,
                not_asked: 1,
                complete: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut running = settled.clone();
        running.id = "CF-2026-0001-0002".into();
        running.settled_at = None;
        running.summary = None;
        running.partners = vec![
            wire::PartnerResult {
                status: "answered".into(),
                ..Default::default()
            },
            wire::PartnerResult {
                status: "pending".into(),
                ..Default::default()
            },
            wire::PartnerResult {
                status: "not-asked".into(),
                ..Default::default()
            },
        ];
        let rows = rows(&[running, settled]);
        assert_eq!(rows[0].state, texts::FILE_ASSEMBLING);
        assert_eq!(rows[0].summary, "1 van de 2 gevraagde partners klaar");
        assert_eq!(rows[1].state, texts::FILE_COMPLETE);
        assert_eq!(
            rows[1].summary,
            "3 gegevens doorgegeven, 1 ingehouden · 2 beantwoord, 3 niets, 0 geen antwoord, 1 niet gevraagd"
        );
    }
}
