//! The privacy officers' pages (article 5.2: a privacy officer manages the covenant
//! and inspects logs, and receives no case data):
//!
//! - [`log`]: **Logboek**, `GET /logboek`: the party's decision-log entries (article
//!   10.3) with the filters of `hubctl log entries`, paged; `GET
//!   /logboek/export.csv` and `/logboek/export.jsonl`: the same entries as `hubctl log
//!   entries --format csv/jsonl` writes them (`officer_log.html`);
//! - [`entry`]: one entry in Dutch words, `GET /logboek/{index}`
//!   (`officer_entry.html`); the log list and the notifications use its summaries;
//! - [`verify`]: **Verifieer**, `GET`/`POST /logboek/verifieer`: the checks of
//!   `hubctl log verify`, with what they proved and what not (`officer_verify.html`);
//! - [`notifications`]: **Meldingen**, `GET /meldingen`: refused shares (article 7)
//!   and emergency shares to review (article 15.2), with `POST /meldingen/gezien` and
//!   `POST /meldingen/beoordeling` (`officer_notifications.html`);
//! - [`inzage`]: **Inzage**, `GET`/`POST /inzage`, `GET /inzage/{id}` (the overview,
//!   printable) and its documents (`officer_inzage.html`,
//!   `officer_inzage_document.html`), for the gemeente's privacy officers (article
//!   11.1).
//!
//! Templates the pages share: `officer_fact.html` (one line of an entry),
//! `officer_form_error.html` (a refusal next to a form), `officer_refused.html` (a page
//! refused, [`RefusedPage`]) and `officer_entry_missing.html`.
//!
//! Every handler opens its page with [`open_officer`]: a person without the role
//! `privacy-officer` gets a page that says in plain words whose pages these are
//! (403), before anything is asked of the hub on their behalf. The hub decides all the
//! same: its refusal is shown as any other problem.
//!
//! The hub is asked through [`crate::queries::officer`], the functions `hubctl log`,
//! `notifications` and `inzage` use, and `log verify`'s own [`crate::logverify`].

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use treiter_proto::v1 as wire;

use super::{Opened, open};
use crate::console::App;
use crate::console::layout::{Layout, Nav, party_name, person_line, render_with};
use crate::console::security::Session;
use crate::console::texts;

pub mod entry;
pub mod inzage;
pub mod log;
pub mod notifications;
pub mod verify;

/// The registry role these pages are for (article 5.2).
pub const ROLE: &str = "privacy-officer";

/// The routes of the privacy officers' pages.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(Nav::Log.path(), get(log::page))
        .route(log::EXPORT_CSV, get(log::export_csv))
        .route(log::EXPORT_JSONL, get(log::export_jsonl))
        .route(verify::PATH, get(verify::page).post(verify::run))
        .route("/logboek/{index}", get(entry::page))
        .route(Nav::Notifications.path(), get(notifications::page))
        .route(notifications::ACK_PATH, post(notifications::acknowledge))
        .route(notifications::REVIEW_PATH, post(notifications::review))
        .route(Nav::Inzage.path(), get(inzage::page).post(inzage::request))
        .route("/inzage/{id}", get(inzage::document))
        .route("/inzage/{id}/{file}", get(inzage::download))
}

/// Whether `me` is a privacy officer.
pub fn is_officer(me: &wire::Person) -> bool {
    me.roles.iter().any(|r| r == ROLE)
}

/// Whether `me` acts for a party of kind `gemeente` (inzage, article 11.1).
pub fn is_gemeente(me: &wire::Person) -> bool {
    me.party.as_ref().is_some_and(|p| p.kind == "gemeente")
}

/// A page these pages refuse to someone, in plain words: why, who the hub says they
/// are, and what they can do instead.
#[derive(Template)]
#[template(path = "officer_refused.html")]
pub struct RefusedPage {
    /// The frame (titled with the refusal).
    pub layout: Layout,
    /// Why, with the article.
    pub why: &'static str,
    /// "U bent aangemeld als ...".
    pub who: String,
    /// What to do instead.
    pub instead: &'static str,
    /// A page that helps instead, if any: address and words.
    pub link: Option<(&'static str, &'static str)>,
}

/// The refusal of an officer page to someone without the role (a coordinator).
pub fn not_an_officer(opened: Opened<'_>, session: &Session, nav: Nav) -> Response {
    let layout = Layout::new(
        texts::OFFICER_ONLY_TITLE,
        nav,
        Some(&opened.me),
        crate::console::layout::HubStatus::new(None, opened.now),
        session,
    );
    render_with(
        &RefusedPage {
            layout,
            why: texts::OFFICER_ONLY,
            who: texts::signed_in_as(&person_line(&opened.me)),
            instead: texts::OFFICER_ONLY_INSTEAD,
            link: None,
        },
        StatusCode::FORBIDDEN,
    )
}

/// Opens an officer page: [`open`], then the role check of [`not_an_officer`].
pub async fn open_officer<'a>(
    app: &'a App,
    session: &Session,
    nav: Nav,
    title: &str,
) -> Result<Opened<'a>, Response> {
    let opened = open(app, session, nav, title).await?;
    if is_officer(&opened.me) {
        Ok(opened)
    } else {
        Err(not_an_officer(opened, session, nav))
    }
}

/// The refusal of inzage to a privacy officer of a party that is not the gemeente
/// (article 11.1).
pub fn not_the_gemeente(opened: Opened<'_>, session: &Session) -> Response {
    let party = party_name(opened.me.party.as_ref());
    let layout = Layout::new(
        texts::INZAGE_GEMEENTE_ONLY_TITLE,
        Nav::Inzage,
        Some(&opened.me),
        crate::console::layout::HubStatus::new(None, opened.now),
        session,
    );
    render_with(
        &RefusedPage {
            layout,
            why: texts::INZAGE_GEMEENTE_ONLY,
            who: texts::officer_of(&party),
            instead: texts::INZAGE_GEMEENTE_ONLY_INSTEAD,
            link: Some((Nav::Log.path(), texts::INZAGE_TO_LOG)),
        },
        StatusCode::FORBIDDEN,
    )
}

/// A value for a URL query: every byte but the unreserved ones percent-encoded (RFC
/// 3986), so that a case id or a date typed into a filter survives as it was typed.
pub fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `name=value&...` from pairs, each value through [`query_value`].
pub fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", query_value(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An idempotency key for a form that changes something: drawn when the form is
/// drawn and sent with it, so that sending the same form twice (a double click, the
/// browser's "send again") makes the change once. A key that is not one the console
/// drew (not a UUID) is replaced by a fresh one.
pub fn request_id_from(form_value: Option<&str>) -> String {
    match form_value {
        Some(v) if is_request_id(v) => v.to_owned(),
        _ => crate::commands::new_request_id(),
    }
}

fn is_request_id(v: &str) -> bool {
    v.len() == 36
        && v.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A frame for the templates' tests.
#[cfg(test)]
pub(crate) fn test_layout(title: &str, nav: Nav) -> Layout {
    let me = wire::Person {
        name: String::new(),
        id: "p-gemeente-090".into(),
        party: Some(wire::Party {
            oin: "00000001000000000001".into(),
            name: "Gemeente Amsterdam".into(),
            kind: "gemeente".into(),
        }),
        roles: vec![ROLE.into()],
        stadsdeel: String::new(),
    };
    Layout::new(
        title,
        nav,
        Some(&me),
        crate::console::layout::HubStatus::new(None, time::OffsetDateTime::UNIX_EPOCH),
        &Session {
            csrf: "c5".repeat(32),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_offers_these_pages_to_privacy_officers_only() {
        let officer = [ROLE.to_owned()];
        let coordinator = ["stadsdeelregisseur".to_owned()];
        for nav in [Nav::Log, Nav::Notifications, Nav::Inzage] {
            assert!(nav.for_roles(&officer), "{nav:?}");
            assert!(!nav.for_roles(&coordinator), "{nav:?}");
        }
        let menu: Vec<&str> = test_layout("x", Nav::Log)
            .nav
            .iter()
            .map(|l| l.label)
            .collect();
        assert_eq!(
            menu,
            ["Wie ben ik", "Logboek", "Meldingen", "Inzage", "Convenant"]
        );
    }

    #[test]
    fn the_refusal_says_whose_pages_these_are() {
        let page = RefusedPage {
            layout: test_layout(texts::OFFICER_ONLY_TITLE, Nav::Log),
            why: texts::OFFICER_ONLY,
            who: texts::signed_in_as("p-gemeente-004, stadsdeelregisseur oost, Gemeente Amsterdam"),
            instead: texts::OFFICER_ONLY_INSTEAD,
            link: None,
        };
        let html = page.render().expect("render");
        assert!(
            html.contains("<h1>Alleen voor privacy officers</h1>"),
            "{html}"
        );
        assert!(html.contains("art. 5.2 en 10.3"), "{html}");
        assert!(
            html.contains("U bent aangemeld als p-gemeente-004"),
            "{html}"
        );
    }

    #[test]
    fn query_values_survive_as_typed() {
        assert_eq!(query_value("C-2026-0001"), "C-2026-0001");
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            query_string(&[("van", "2026-11-01".into()), ("casus", "C 1".into())]),
            "van=2026-11-01&casus=C%201"
        );
    }

    #[test]
    fn only_a_drawn_request_id_is_reused() {
        let drawn = crate::commands::new_request_id();
        assert_eq!(request_id_from(Some(&drawn)), drawn);
        let fresh = request_id_from(Some("not-a-uuid"));
        assert!(is_request_id(&fresh), "{fresh}");
        assert_ne!(request_id_from(None), request_id_from(None));
    }

    #[test]
    fn officers_and_the_gemeente_are_told_apart() {
        let person = |role: &str, kind: &str| wire::Person {
            name: String::new(),
            id: "p-1".into(),
            party: Some(wire::Party {
                oin: "00000001000000000001".into(),
                name: "Gemeente Amsterdam".into(),
                kind: kind.into(),
            }),
            roles: vec![role.into()],
            stadsdeel: String::new(),
        };
        assert!(is_officer(&person("privacy-officer", "gemeente")));
        assert!(!is_officer(&person("stadsdeelregisseur", "gemeente")));
        assert!(is_gemeente(&person("privacy-officer", "gemeente")));
        assert!(!is_gemeente(&person("privacy-officer", "politie")));
    }
}
