//! The pages: one module each, with its template in `templates/<module>.html`.
//!
//! A page handler starts with [`open`], which leases a hub connection, asks the hub
//! who the caller is and draws the frame; when the hub cannot answer, `open` returns
//! the frame with the problem instead, and the handler returns that. Then the handler
//! asks the hub what it shows (a function of [`crate::queries`] or [`crate::hub`],
//! the same ones the CLI uses), turns the answer into a view (plain structs, built by
//! pure functions that the module's unit tests call with a fixed `now`), and renders.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::App;
use super::hubs::Lease;
use super::layout::{
    HubStatus, Layout, MessagePage, Nav, ProblemPage, StatusFragment, render, render_with,
};
use super::security::Session;
use super::texts;

pub mod cases;
pub mod whoami;
// Bevraging and Casusdossier.
pub mod bevraging;
pub mod casefile;
pub mod casefiles;
// Convenant (pages::covenant).
pub mod covenant;
// Casus / Nieuwe casus:
pub mod case;
pub mod case_forms;
pub mod new_case;
// The privacy officers' pages: Logboek, Verifieer, Meldingen, Inzage.
pub mod officer;

/// What a page handler has once [`open`] succeeded.
pub struct Opened<'a> {
    /// A connection to the hub for this request.
    pub hub: Lease<'a>,
    /// Who the hub says the caller is.
    pub me: wire::Person,
    /// The frame, ready for the page's template.
    pub layout: Layout,
    /// The moment of the request (every "now" of the page).
    pub now: OffsetDateTime,
}

/// Leases a connection, asks the hub who the caller is, and draws the frame of page
/// `nav` titled `title`; or, when the hub cannot answer, the whole page with the
/// problem (status bar and body), ready to return.
pub async fn open<'a>(
    app: &'a App,
    session: &Session,
    nav: Nav,
    title: &str,
) -> Result<Opened<'a>, Response> {
    let now = OffsetDateTime::now_utc();
    let mut hub = app.hubs.lease();
    match hub.whoami().await {
        Ok(me) => {
            let layout = Layout::new(title, nav, Some(&me), HubStatus::new(None, now), session);
            Ok(Opened {
                hub,
                me,
                layout,
                now,
            })
        }
        Err(e) => Err(problem_page(title, nav, None, &e, session, now)),
    }
}

/// A page whose content the hub would not or could not give: the frame with the
/// problem in the status bar and in the body.
pub fn problem_page(
    title: &str,
    nav: Nav,
    me: Option<&wire::Person>,
    error: &crate::error::Error,
    session: &Session,
    now: OffsetDateTime,
) -> Response {
    let problem = texts::problem(error);
    let status = if problem.unreachable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let layout = Layout::new(
        title,
        nav,
        me,
        HubStatus::new(Some(problem.clone()), now),
        session,
    );
    render_with(&ProblemPage { layout, problem }, status)
}

/// `GET /`: the first page that fits the person's roles.
pub async fn home(State(app): State<Arc<App>>) -> Response {
    let mut hub = app.hubs.lease();
    let target = match hub.whoami().await {
        Ok(me) if Nav::Cases.for_roles(&me.roles) => Nav::Cases,
        _ => Nav::WhoAmI,
    };
    Redirect::to(target.path()).into_response()
}

/// `GET /status`: the status bar's content, which htmx fetches every 15 seconds.
pub async fn status(State(app): State<Arc<App>>) -> Response {
    let mut hub = app.hubs.lease();
    let problem = hub.whoami().await.err().map(|e| texts::problem(&e));
    render(&StatusFragment {
        status: HubStatus::new(problem, OffsetDateTime::now_utc()),
    })
}

/// Any other address (behind the session: without one, the guard answers first).
pub async fn not_found() -> Response {
    MessagePage::new(texts::NOT_FOUND_TITLE, texts::NOT_FOUND)
        .with_home_link()
        .respond(StatusCode::NOT_FOUND)
}
