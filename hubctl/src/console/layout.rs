//! The frame of every page (`templates/layout.html`): skip link, header with the
//! person and the sign-out form, the main navigation, the status bar that says whether
//! the hub can be reached, and the footer. A page's template extends `layout.html` and
//! its struct has a `layout: Layout` field.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::dates;
use super::security::{CSRF_FIELD, SIGN_OUT_PATH, Session};
use super::texts::{self, Problem};

/// The pages in the main navigation, in menu order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// Mijn casussen (`pages::cases`).
    Cases,
    /// Wie ben ik (`pages::whoami`).
    WhoAmI,
    // Casus / Nieuwe casus:
    /// Nieuwe casus (`pages::new_case`).
    NewCase,
    // The privacy officers' pages (`pages::officer`).
    /// Logboek (`pages::officer::log`).
    Log,
    /// Meldingen (`pages::officer::notifications`).
    Notifications,
    /// Inzage (`pages::officer::inzage`).
    Inzage,
    // Convenant (pages::covenant).
    /// Convenant (`pages::covenant`), for privacy officers.
    Covenant,
}

impl Nav {
    /// Every page of the menu, in order.
    pub const ALL: [Nav; 7] = [
        Nav::Cases,
        Nav::WhoAmI,
        // Casus / Nieuwe casus:
        Nav::NewCase,
        // The privacy officers' pages.
        Nav::Log,
        Nav::Notifications,
        Nav::Inzage,
        // Convenant (pages::covenant).
        Nav::Covenant,
    ];

    /// The page's address.
    pub fn path(self) -> &'static str {
        match self {
            Nav::Cases => "/casussen",
            Nav::WhoAmI => "/wie-ben-ik",
            // Casus / Nieuwe casus:
            Nav::NewCase => "/casussen/nieuw",
            // The privacy officers' pages.
            Nav::Log => "/logboek",
            Nav::Notifications => "/meldingen",
            Nav::Inzage => "/inzage",
            // Convenant (pages::covenant).
            Nav::Covenant => "/convenant",
        }
    }

    /// The page's name in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Nav::Cases => texts::NAV_CASES,
            Nav::WhoAmI => texts::NAV_WHOAMI,
            // Casus / Nieuwe casus:
            Nav::NewCase => texts::NAV_NEW_CASE,
            // The privacy officers' pages.
            Nav::Log => texts::NAV_LOG,
            Nav::Notifications => texts::NAV_NOTIFICATIONS,
            Nav::Inzage => texts::NAV_INZAGE,
            // Convenant (pages::covenant).
            Nav::Covenant => texts::NAV_COVENANT,
        }
    }

    /// Whether a person with `roles` has a use for the page (the hub decides what
    /// they may see; the menu only leaves out what would be refused anyway).
    pub fn for_roles(self, roles: &[String]) -> bool {
        match self {
            Nav::Cases => roles.iter().any(|r| {
                matches!(
                    r.as_str(),
                    "informatiemakelaar"
                        | "stadsdeelregisseur"
                        | "stedelijk-regisseur"
                        | "partnercontact"
                )
            }),
            Nav::WhoAmI => true,
            // Casus / Nieuwe casus:
            Nav::NewCase => crate::console::pages::new_case::registers_cases(roles),
            // The privacy officers' pages: for privacy officers only (art. 5.2, 10.3).
            // Inzage is offered to every privacy officer: the page tells those of
            // parties other than the gemeente why they cannot ask for it (art. 11.1).
            Nav::Log | Nav::Notifications | Nav::Inzage => roles
                .iter()
                .any(|r| r == crate::console::pages::officer::ROLE),
            // Convenant (pages::covenant): article 13 is the privacy officers'.
            Nav::Covenant => roles.iter().any(|r| r == "privacy-officer"),
        }
    }
}

/// One link of the menu.
pub struct NavLink {
    /// The address.
    pub path: &'static str,
    /// The words.
    pub label: &'static str,
    /// Whether it is the page shown (`aria-current="page"`).
    pub current: bool,
}

/// What the status bar says.
pub struct HubStatus {
    /// The problem, if the last call failed.
    pub problem: Option<Problem>,
    /// When it was checked (Amsterdam clock time).
    pub checked_at: String,
}

impl HubStatus {
    /// The status after a call at `now` that ended with `problem` (or succeeded).
    pub fn new(problem: Option<Problem>, now: OffsetDateTime) -> HubStatus {
        HubStatus {
            problem,
            checked_at: dates::clock(now),
        }
    }
}

/// The status bar on its own (`GET /status`, which htmx polls).
#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusFragment {
    /// What it says.
    pub status: HubStatus,
}

/// Everything the frame of a page needs.
pub struct Layout {
    /// The page's title (also the `<h1>`).
    pub title: String,
    /// The menu.
    pub nav: Vec<NavLink>,
    /// "p-gemeente-001, informatiemakelaar oost, Gemeente Amsterdam", when known.
    pub person: Option<String>,
    /// The status bar.
    pub status: HubStatus,
    /// The session's CSRF token, for the sign-out form and the page's own forms.
    pub csrf: String,
    /// The name of the CSRF field.
    pub csrf_field: &'static str,
    /// Where the sign-out form posts.
    pub sign_out: &'static str,
}

impl Layout {
    /// The frame for page `current`, for the person the hub says the caller is (when
    /// it could say), with the hub's status.
    pub fn new(
        title: &str,
        current: Nav,
        me: Option<&wire::Person>,
        status: HubStatus,
        session: &Session,
    ) -> Layout {
        let roles = me.map(|p| p.roles.as_slice()).unwrap_or_default();
        let nav = Nav::ALL
            .iter()
            .filter(|n| me.is_none() || n.for_roles(roles) || **n == current)
            .map(|n| NavLink {
                path: n.path(),
                label: n.label(),
                current: *n == current,
            })
            .collect();
        Layout {
            title: title.to_owned(),
            nav,
            person: me.map(person_line),
            status,
            csrf: session.csrf.clone(),
            csrf_field: CSRF_FIELD,
            sign_out: SIGN_OUT_PATH,
        }
    }
}

/// The person in one line: name (the id when the registry has none), roles with
/// stadsdeel, party by name.
pub fn person_line(p: &wire::Person) -> String {
    let mut role = p.roles.join(", ");
    if !p.stadsdeel.is_empty() {
        role.push(' ');
        role.push_str(&p.stadsdeel);
    }
    let party = party_name(p.party.as_ref());
    let who = person_name(p);
    if role.is_empty() {
        format!("{who}, {party}")
    } else {
        format!("{who}, {role}, {party}")
    }
}

/// A party by its name; by its OIN only when the hub sent no name.
pub fn party_name(p: Option<&wire::Party>) -> String {
    match p {
        Some(p) if !p.name.is_empty() => p.name.clone(),
        Some(p) => texts::unnamed_party(&p.oin),
        None => texts::UNKNOWN_PARTY.to_owned(),
    }
}

/// A page whose content could not be fetched: the frame, and the problem in words.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    /// The frame.
    pub layout: Layout,
    /// What went wrong.
    pub problem: Problem,
}

/// A page outside the session (signing in, refusals, signed out): title, text, and a
/// link to the start.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The title (also the `<h1>`).
    pub title: &'static str,
    /// What happened and what to do.
    pub text: &'static str,
    /// Whether to offer a link to the start page (only inside a session).
    pub home_link: bool,
}

impl MessagePage {
    /// A message page.
    pub fn new(title: &'static str, text: &'static str) -> MessagePage {
        MessagePage {
            title,
            text,
            home_link: false,
        }
    }

    /// The same page with a link to the start page.
    pub fn with_home_link(mut self) -> MessagePage {
        self.home_link = true;
        self
    }

    /// The page as an answer with `status`.
    pub fn respond(&self, status: StatusCode) -> Response {
        render_with(self, status)
    }
}

/// A template as an HTML answer (200).
pub fn render(template: &impl Template) -> Response {
    render_with(template, StatusCode::OK)
}

/// A template as an HTML answer with `status`. A template that fails to render (a
/// formatting error; askama checked the rest at compile time) gives a bare 500.
pub fn render_with(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered\n",
        )
            .into_response(),
    }
}

/// A problem outside any page (no session yet to draw a frame with).
pub fn render_status(problem: &Problem, status: StatusCode) -> Response {
    #[derive(Template)]
    #[template(path = "bare_problem.html")]
    struct BareProblem<'a> {
        problem: &'a Problem,
    }
    render_with(&BareProblem { problem }, status)
}

// --- people by name (words): shared by every page that shows a person ---

/// A person by the name the hub's person registry gives; by id only when it gives none.
pub fn person_name(p: &wire::Person) -> String {
    let name = p.name.trim();
    if name.is_empty() {
        p.id.clone()
    } else {
        name.to_owned()
    }
}
