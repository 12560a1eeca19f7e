//! The proposal editor (`GET /convenant/voorstel[?van=N]`, `covenant_editor.html`):
//! a text area with the covenant's text, a description for the approvers, and optional
//! covenant tests of the officer's own; the check of [`super::check`] beside it.
//!
//! - **Live.** With JavaScript, htmx posts the form to `POST /convenant/voorstel/controle`
//!   half a second after the officer stops typing (`hx-trigger="input changed
//!   delay:500ms"`, the session's CSRF token in the form), and puts the answer (the
//!   check only, `covenant_check.html`) next to the editor.
//! - **Without JavaScript** the officer presses "Controleer": the same form, posted to
//!   the same address as a plain form, answers with the whole page and the same check.
//! - **Voorstellen** posts to `POST /convenant/voorstel`: the check runs first (a text
//!   with errors is not sent), then the hub is asked (ProposeCovenantVersion, article
//!   13). Accepted: a redirect to the new version's page (post/redirect/get). Refused:
//!   the editor again, with the text as typed and the hub's reasons next to it.
//!
//! The text starts as the version in force (or version `van`), with its version number
//! set one above the highest the hub has (article 13.2), so that the first thing the
//! officer sees is a valid draft.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use treiter_policies::syntax::{Line, parser};
use treiter_proto::v1 as wire;

use super::check::{CheckView, ProblemView, check, wire_problem_view};
use super::{from_form, path};
use crate::commands::new_request_id;
use crate::console::App;
use crate::console::layout::{Layout, Nav, render, render_with};
use crate::console::pages::{open, problem_page};
use crate::console::security::{Session, form_value};
use crate::console::texts::{self, Problem};
use crate::error::Error;
use crate::queries;

/// The form's fields.
pub mod field {
    /// The covenant's text.
    pub const TEXT: &str = "tekst";
    /// The description for the approvers.
    pub const DESCRIPTION: &str = "toelichting";
    /// The officer's own covenant tests.
    pub const TESTS: &str = "tests";
    /// The proposal's idempotency key (a retry of the same form is stored once).
    pub const REQUEST_ID: &str = "verzoek";
}

/// The longest description, in characters (privacy_officer.proto).
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// The editor page.
#[derive(Template)]
#[template(path = "covenant_editor.html")]
pub struct EditorPage {
    /// The frame.
    pub layout: Layout,
    /// The form as filled in.
    pub form: EditorForm,
    /// The check of its text.
    pub check: CheckView,
    /// Why the text was not proposed, if it was not.
    pub refusal: Option<Refusal>,
}

/// The check alone, as htmx asks for it: the result, and the one-line summary for the
/// live region (`hx-swap-oob`).
#[derive(Template)]
#[template(path = "covenant_check_fragment.html")]
pub struct CheckFragment {
    /// The check.
    pub check: CheckView,
}

/// The editor's form, as filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditorForm {
    /// The covenant's text.
    pub text: String,
    /// The description.
    pub description: String,
    /// The officer's own tests.
    pub own_tests: String,
    /// The idempotency key of the proposal this form makes.
    pub request_id: String,
    /// Where the text came from (on the first showing).
    pub start: Option<String>,
    /// What is wrong with the text field itself.
    pub text_error: Option<&'static str>,
    /// What is wrong with the description.
    pub description_error: Option<&'static str>,
}

impl EditorForm {
    /// The form of a posted body (line breaks as LF). A missing or malformed request
    /// id is replaced by a new one.
    pub fn from_body(body: &Bytes) -> EditorForm {
        let get = |name| {
            form_value(body, name)
                .map(|v| from_form(&v))
                .unwrap_or_default()
        };
        let request_id = form_value(body, field::REQUEST_ID)
            .filter(|id| {
                !id.is_empty()
                    && id.len() <= 128
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            .unwrap_or_else(new_request_id);
        EditorForm {
            text: get(field::TEXT),
            description: get(field::DESCRIPTION).trim().to_owned(),
            own_tests: get(field::TESTS),
            request_id,
            start: None,
            text_error: None,
            description_error: None,
        }
    }

    /// Checks the fields a proposal needs (the text's content is the check's job).
    pub fn validate_for_proposal(&mut self) -> bool {
        if self.text.trim().is_empty() {
            self.text_error = Some(texts::TEXT_REQUIRED);
        }
        if self.description.is_empty() {
            self.description_error = Some(texts::DESCRIPTION_REQUIRED);
        } else if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            self.description_error = Some(texts::DESCRIPTION_TOO_LONG);
        }
        self.text_error.is_none() && self.description_error.is_none()
    }
}

/// Why a text was not proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What happened, what to do, and hubctl's own message.
    pub problem: Problem,
    /// The hub's diagnostics (with line and column), when it gave any.
    pub problems: Vec<ProblemView>,
}

/// `text` declaring version `version` (the number of its `version` line replaced).
/// A text without a `version` line is returned as it is: the check will say so.
pub fn with_version(text: &str, version: u32) -> String {
    let span = parser::parse(text)
        .0
        .into_iter()
        .find_map(|line| match line {
            Line::Version { span, .. } => Some(span),
            _ => None,
        });
    match span {
        Some(span) if text.get(span.start..span.end).is_some() => {
            format!("{}{version}{}", &text[..span.start], &text[span.end..])
        }
        _ => text.to_owned(),
    }
}

/// The check on a blocking thread (a draft may be up to 1 MiB, and the tests decide
/// some hundreds of shares).
pub async fn check_off_thread(text: String, own_tests: String) -> CheckView {
    tokio::task::spawn_blocking(move || check(&text, &own_tests))
        .await
        .unwrap_or_else(|e| CheckView {
            valid: false,
            summary: texts::check_aborted(&e.to_string()),
            problems: Vec::new(),
            not_drawn: 0,
            plain: String::new(),
            tests: None,
        })
}

/// The starting version's number from the query (`van`), if any.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Start {
    /// The version whose text to start from (default: the version in force).
    #[serde(default)]
    pub van: Option<String>,
}

/// `GET /convenant/voorstel`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(start): Query<Start>,
) -> Response {
    let mut opened = match open(&app, &session, Nav::Covenant, texts::EDITOR_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let from = start
        .van
        .as_deref()
        .and_then(super::version_number)
        .unwrap_or(0);
    let fetched = async {
        let list = queries::covenant_versions(&mut opened.hub, Vec::new()).await?;
        let v = queries::covenant_version(&mut opened.hub, from, true, false).await?;
        Ok::<_, Error>((list, v))
    }
    .await;
    let (list, v) = match fetched {
        Ok(f) => f,
        Err(e) => {
            return problem_page(
                texts::EDITOR_TITLE,
                Nav::Covenant,
                Some(&opened.me),
                &e,
                &session,
                opened.now,
            );
        }
    };
    let highest = list
        .versions
        .iter()
        .map(|v| v.version)
        .chain([list.in_force])
        .max()
        .unwrap_or(0);
    let next = highest.saturating_add(1);
    let text = with_version(&v.text, next);
    let form = EditorForm {
        text: text.clone(),
        request_id: new_request_id(),
        start: Some(texts::editor_start(v.version, next)),
        ..EditorForm::default()
    };
    let check = check_off_thread(text, String::new()).await;
    render(&EditorPage {
        layout: opened.layout,
        form,
        check,
        refusal: None,
    })
}

/// Whether htmx sent the request (it then wants the fragment, not the page).
fn from_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// `POST /convenant/voorstel/controle`: the check of the posted text; the fragment for
/// htmx, the whole editor for a plain form.
pub async fn check_posted(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = EditorForm::from_body(&body);
    if from_htmx(&headers) {
        let check = check_off_thread(form.text, form.own_tests).await;
        return render(&CheckFragment { check });
    }
    let opened = match open(&app, &session, Nav::Covenant, texts::EDITOR_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let check = check_off_thread(form.text.clone(), form.own_tests.clone()).await;
    render(&EditorPage {
        layout: opened.layout,
        form,
        check,
        refusal: None,
    })
}

/// `POST /convenant/voorstel`: checks, then proposes to the hub; on success, to the new
/// version's page.
pub async fn propose(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    body: Bytes,
) -> Response {
    let mut form = EditorForm::from_body(&body);
    let mut opened = match open(&app, &session, Nav::Covenant, texts::EDITOR_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let fields_ok = form.validate_for_proposal();
    let check = check_off_thread(form.text.clone(), form.own_tests.clone()).await;
    let again = |layout, form, check, refusal| {
        render_with(
            &EditorPage {
                layout,
                form,
                check,
                refusal,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !fields_ok {
        return again(opened.layout, form, check, None);
    }
    if !check.valid {
        let refusal = Refusal {
            problem: Problem {
                title: texts::HUB_REFUSED_PROPOSAL.to_owned(),
                advice: texts::NOT_SENT_ERRORS.to_owned(),
                detail: String::new(),
                unreachable: false,
            },
            problems: Vec::new(),
        };
        return again(opened.layout, form, check, Some(refusal));
    }
    let request = wire::ProposeCovenantVersionRequest {
        client_request_id: form.request_id.clone(),
        text: form.text.clone(),
        description: form.description.clone(),
    };
    match queries::propose_covenant_version(&mut opened.hub, request).await {
        Ok(answer) => match (answer.accepted, &answer.version) {
            (true, Some(v)) => {
                Redirect::to(&format!("{}?voorgesteld=1", path::version(v.version))).into_response()
            }
            _ => {
                let refusal = Refusal {
                    problem: Problem {
                        title: texts::HUB_REFUSED_PROPOSAL.to_owned(),
                        advice: texts::HUB_REFUSED_PROPOSAL_ADVICE.to_owned(),
                        detail: String::new(),
                        unreachable: false,
                    },
                    problems: answer
                        .diagnostics
                        .iter()
                        .map(|d| wire_problem_view(d, &form.text))
                        .collect(),
                };
                // The refused proposal was not stored: a new key for the next try.
                form.request_id = new_request_id();
                again(opened.layout, form, check, Some(refusal))
            }
        },
        Err(e) => {
            let refusal = Refusal {
                problem: texts::proposal_refused(&e),
                problems: Vec::new(),
            };
            again(opened.layout, form, check, Some(refusal))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;

    #[test]
    fn the_draft_declares_the_next_version() {
        let text = with_version(TREITERAANPAK_COVENANT, 7);
        assert!(text.contains("\nversion 7\n"), "the version line");
        assert_eq!(
            text.len(),
            TREITERAANPAK_COVENANT.len(),
            "only the number changed"
        );
        assert_eq!(with_version("no version here\n", 2), "no version here\n");
    }

    #[test]
    fn the_posted_form_is_read_with_lf_line_breaks() {
        let body = Bytes::from_static(
            b"_csrf=x&tekst=version+2%0D%0Aart.+1.1++note%3A+x%0D%0A&toelichting=+art.+6.3+&verzoek=abc-123&tests=",
        );
        let mut form = EditorForm::from_body(&body);
        assert_eq!(form.text, "version 2\nart. 1.1  note: x\n");
        assert_eq!(form.description, "art. 6.3");
        assert_eq!(form.request_id, "abc-123");
        assert!(form.validate_for_proposal());
        // A forged or missing key is replaced; an empty description is refused by
        // name.
        let body = Bytes::from_static(b"tekst=x&toelichting=&verzoek=%0A");
        let mut form = EditorForm::from_body(&body);
        assert_ne!(form.request_id, "\n");
        assert!(!form.request_id.is_empty());
        assert!(!form.validate_for_proposal());
        assert_eq!(form.description_error, Some(texts::DESCRIPTION_REQUIRED));
        assert_eq!(form.text_error, None);
        let long = format!("tekst=x&toelichting={}", "a".repeat(2001));
        let mut form = EditorForm::from_body(&Bytes::from(long));
        assert!(!form.validate_for_proposal());
        assert_eq!(form.description_error, Some(texts::DESCRIPTION_TOO_LONG));
    }

    #[test]
    fn htmx_gets_the_fragment_and_a_plain_form_the_page() {
        let mut headers = HeaderMap::new();
        assert!(!from_htmx(&headers));
        headers.insert("hx-request", "true".parse().expect("value"));
        assert!(from_htmx(&headers));
        let fragment = CheckFragment {
            check: check("version 2\n", ""),
        }
        .render()
        .expect("renders");
        assert!(fragment.contains("hx-swap-oob"), "{fragment}");
        assert!(fragment.contains("Ongeldig"), "{fragment}");
        assert!(!fragment.contains("<html"), "a fragment, not a page");
    }
}
