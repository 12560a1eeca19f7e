//! **Nieuwe casus** (`GET /casussen/nieuw`, `POST /casussen/nieuw`,
//! `templates/new_case.html`): registers a melding as a case (CreateCase, as `hubctl
//! case create`, through [`changes::create_case`]): the stadsdeel (the person's own
//! chosen), the moment of the melding (now, Amsterdam time, by default) and an optional
//! external reference. A registered case goes straight to its page, at the form that
//! adds its subjects.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::case::{case_path, is_case_id};
use super::open;
use crate::changes;
use crate::cli::STADSDELEN;
use crate::console::App;
use crate::console::form::{Form, FormError, Posted, local_input};
use crate::console::layout::{Layout, Nav, render_with};
use crate::console::refusal::{self, Concern, Refusal};
use crate::console::security::Session;
use crate::console::texts;
use crate::when::{parse_time, to_timestamp};

/// The form's fields.
pub mod field {
    /// The stadsdeel (article 1.5).
    pub const STADSDEEL: &str = "stadsdeel";
    /// The moment of the melding (`datetime-local`, Amsterdam time).
    pub const MELDING_AT: &str = "melding_op";
    /// The external reference.
    pub const REFERENCE: &str = "referentie";
}

use field::*;

/// The fields, with what a refusal about each concerns.
const FIELDS: &[(&str, Concern)] = &[
    (STADSDEEL, Concern::Stadsdeel),
    (MELDING_AT, Concern::Time),
    (REFERENCE, Concern::Reference),
];

/// The page.
#[derive(Template)]
#[template(path = "new_case.html")]
pub struct NewCasePage {
    /// The frame.
    pub layout: Layout,
    /// The form.
    pub form: Form,
    /// The stadsdeel chosen by default: the person's own.
    pub own: String,
    /// Now, Amsterdam time, for the melding's default and the latest moment allowed.
    pub now_local: String,
    /// Whether the person's roles register cases at all.
    pub allowed: bool,
    /// Where the form posts.
    pub action: &'static str,
}

/// Whether a person with `roles` registers cases (article 5.2: the informatiemakelaar
/// and the stadsdeelregisseur).
pub fn registers_cases(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| r == "informatiemakelaar" || r == "stadsdeelregisseur")
}

/// Reads the form into a request, or the console's own refusal of it.
pub fn request(posted: &Posted, now: OffsetDateTime) -> Result<wire::CreateCaseRequest, Refusal> {
    let stadsdeel = posted.trimmed(STADSDEEL);
    if !STADSDELEN.contains(&stadsdeel.as_str()) {
        return Err(Refusal::local(
            texts::STADSDEEL_UNKNOWN,
            Some(Concern::Stadsdeel),
        ));
    }
    let melding_at = parse_time("melding_op", &posted.trimmed(MELDING_AT), now)
        .map_err(|_| Refusal::local(texts::TIME_UNREADABLE, Some(Concern::Time)))?;
    let client_request_id = posted
        .request_id()
        .ok_or_else(|| Refusal::local(texts::FORM_INCOMPLETE, None))?;
    Ok(wire::CreateCaseRequest {
        client_request_id,
        stadsdeel,
        melding_at: Some(to_timestamp(melding_at)),
        external_reference: posted.trimmed(REFERENCE),
    })
}

async fn draw(app: &App, session: &Session, form: Option<Form>, status: StatusCode) -> Response {
    let opened = match open(app, session, Nav::NewCase, texts::NEW_CASE_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    render_with(
        &NewCasePage {
            layout: opened.layout,
            form: form.unwrap_or_else(|| Form::new("nieuwe-casus")),
            own: opened.me.stadsdeel.clone(),
            now_local: local_input(opened.now),
            allowed: registers_cases(&opened.me.roles),
            action: Nav::NewCase.path(),
        },
        status,
    )
}

/// `GET /casussen/nieuw`.
pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    draw(&app, &session, None, StatusCode::OK).await
}

/// `POST /casussen/nieuw`: registers the case and goes to its page, at the form that
/// adds subjects.
pub async fn create(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    body: Bytes,
) -> Response {
    let posted = Posted(body);
    let outcome = match request(&posted, OffsetDateTime::now_utc()) {
        Ok(request) => changes::create_case(&mut app.hubs.lease(), request)
            .await
            .map_err(|e| refusal::read(&e)),
        Err(refusal) => Err(refusal),
    };
    match outcome {
        Ok(update) => {
            let id = update.case.map(|c| c.id).unwrap_or_default();
            if !is_case_id(&id) {
                return Redirect::to(Nav::Cases.path()).into_response();
            }
            let mut to = case_path(&id);
            if let Some(event) = update.event {
                to.push_str(&format!("?vastgelegd={}", event.sequence));
            }
            to.push_str("#betrokkene-toevoegen");
            Redirect::to(&to).into_response()
        }
        Err(refusal) => {
            let rid = posted.request_id().unwrap_or_else(changes::new_request_id);
            let form = Form::refused(
                "nieuwe-casus",
                rid,
                posted.values(&[STADSDEEL, MELDING_AT, REFERENCE]),
                FormError::place(refusal, FIELDS),
            );
            draw(&app, &session, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn posted(body: &str) -> Posted {
        Posted(Bytes::from(body.to_owned()))
    }

    #[test]
    fn the_form_becomes_a_create_request_in_amsterdam_time() {
        let rid = changes::new_request_id();
        let r = request(
            &posted(&format!(
                "_rid={rid}&stadsdeel=oost&melding_op=2026-11-20T09%3A30&referentie=14020-123"
            )),
            NOW,
        )
        .expect("request");
        assert_eq!(r.client_request_id, rid);
        assert_eq!(r.stadsdeel, "oost");
        assert_eq!(r.external_reference, "14020-123");
        assert_eq!(
            r.melding_at,
            Some(to_timestamp(datetime!(2026-11-20 08:30 UTC))),
            "09:30 in Amsterdam is 08:30 UTC in November"
        );
    }

    #[test]
    fn the_console_refuses_what_it_can_tell_is_wrong() {
        let rid = changes::new_request_id();
        let refused = |body: String| request(&posted(&body), NOW).unwrap_err();
        let r = refused(format!(
            "_rid={rid}&stadsdeel=Oost&melding_op=2026-11-20T09%3A30"
        ));
        assert_eq!(r.concern, Some(Concern::Stadsdeel));
        let r = refused(format!("_rid={rid}&stadsdeel=oost&melding_op=gisteren"));
        assert_eq!(r.concern, Some(Concern::Time));
        assert_eq!(r.words, texts::TIME_UNREADABLE);
        let r = refused("stadsdeel=oost&melding_op=2026-11-20T09%3A30".to_owned());
        assert_eq!(r.concern, None);
        assert_eq!(r.words, texts::FORM_INCOMPLETE);
    }

    #[test]
    fn cases_are_registered_by_the_case_team() {
        let roles = |r: &[&str]| r.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(registers_cases(&roles(&["informatiemakelaar"])));
        assert!(registers_cases(&roles(&[
            "privacy-officer",
            "stadsdeelregisseur"
        ])));
        assert!(!registers_cases(&roles(&["stedelijk-regisseur"])));
        assert!(!registers_cases(&roles(&["partnercontact"])));
    }
}
