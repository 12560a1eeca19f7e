//! The forms of the **Casus** page ([`super::case`]): one `POST /casussen/{id}/...`
//! handler per change, each calling the same function of [`crate::changes`] that the
//! matching hubctl command calls, with the form's client request id
//! ([`crate::console::form`]).
//!
//! A change that works is answered with `303 See Other` to the case's page, which names
//! the change (`?vastgelegd=N`) and scrolls to where it shows (post/redirect/get). A
//! refused one is answered `422` with the case's page drawn again: the form as typed
//! (identifying data excepted), the refusal in Dutch next to the field it concerns, and
//! the hub's own text under "Technische toelichting".
//!
//! | form | route | hubctl |
//! |---|---|---|
//! | phase | `fase` | `case move` |
//! | contact | `contact` | `case contact` |
//! | add subject | `betrokkenen` | `subject add` |
//! | change subject | `betrokkenen/wijzigen` | `subject update` |
//! | remove subject | `betrokkenen/verwijderen` | `subject remove` |
//! | record consent | `toestemming` | `consent record` |
//! | withdraw consent | `toestemming/intrekken` | `consent withdraw` |
//! | add participant | `deelnemers` | `participant add` |
//! | end participation | `deelnemers/verwijderen` | `participant remove` |
//! | escalate | `escaleren` | `case escalate` |
//! | emergency | `spoed` | `emergency` |

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::case::{Failed, FormKey, case_path, is_case_id, show};
use super::not_found;
use crate::changes::{self, new_request_id, pick_party};
use crate::console::App;
use crate::console::form::{FormError, Posted};
use crate::console::identity::{self, IdentifyingData, MissingField};
use crate::console::refusal::{self, Concern, Refusal};
use crate::console::security::Session;
use crate::console::texts;
use crate::error::Error;
use crate::when::{parse_time, to_timestamp};

/// The fields of the Casus page's forms (the template uses the same names).
pub mod field {
    /// A reason (move, removal, escalation, emergency).
    pub const REASON: &str = "reden";
    /// The phase to move to (the button pressed).
    pub const TO: &str = "naar";
    /// The phase the page showed (a move from a stale page is refused).
    pub const EXPECTED: &str = "verwacht";
    /// The moment of the contact with the melder.
    pub const CONTACT_AT: &str = "contact_op";
    /// A subject's role.
    pub const ROLE: &str = "rol";
    /// A subject's label.
    pub const LABEL: &str = "label";
    /// The role the page showed (the update sends only what changed).
    pub const WAS_ROLE: &str = "was_rol";
    /// The label the page showed.
    pub const WAS_LABEL: &str = "was_label";
    /// The subject concerned, by pseudonym.
    pub const SUBJECT: &str = "betrokkene";
    /// A data category.
    pub const CATEGORY: &str = "categorie";
    /// The date of consent given or withdrawn.
    pub const DATE: &str = "datum";
    /// A party: by name (add), by OIN (the row of a participant).
    pub const PARTY: &str = "partij";
}

use field::*;

/// What a change came to: the hub's update, or a refusal in words.
type Outcome = Result<wire::CaseUpdate, Refusal>;

/// The form being handled: which one, its fields (each with what a refusal about it
/// concerns), where its result shows, and what to draw again if it is refused.
struct Handling {
    id: String,
    key: FormKey,
    fields: &'static [(&'static str, Concern)],
    anchor: String,
    rid: String,
    values: Vec<(String, String)>,
}

impl Handling {
    /// The form `key` of case `id` as posted: its request id (empty when it came
    /// without one) and the values of the fields `shown` (to draw it again).
    fn new(
        id: String,
        posted: &Posted,
        key: FormKey,
        fields: &'static [(&'static str, Concern)],
        anchor: String,
        shown: &[&str],
    ) -> Handling {
        let values = posted.values(shown);
        let rid = posted.request_id().unwrap_or_default();
        Handling {
            id,
            key,
            fields,
            anchor,
            rid,
            values,
        }
    }

    /// The answer to `outcome`: a redirect to what changed, or the page with the form
    /// refused.
    async fn finish(self, app: &App, session: &Session, outcome: Outcome) -> Response {
        match outcome {
            Ok(update) => {
                let mut to = case_path(&self.id);
                if let Some(event) = update.event {
                    to.push_str(&format!("?vastgelegd={}", event.sequence));
                }
                to.push('#');
                to.push_str(&self.anchor);
                Redirect::to(&to).into_response()
            }
            Err(refusal) => {
                let rid = if self.rid.is_empty() {
                    new_request_id()
                } else {
                    self.rid
                };
                let failed = Failed {
                    key: self.key,
                    rid,
                    values: self.values,
                    error: FormError::place(refusal, self.fields),
                };
                show(
                    app,
                    session,
                    &self.id,
                    Some(failed),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
    }

    /// The request id, or the refusal of a form that came without one.
    fn request_id(&self) -> Result<String, Refusal> {
        if self.rid.is_empty() {
            Err(Refusal::local(texts::FORM_INCOMPLETE, None))
        } else {
            Ok(self.rid.clone())
        }
    }
}

/// A hubctl error as a refusal.
fn refused(e: Error) -> Refusal {
    refusal::read(&e)
}

/// A free text as sent: trimmed, line breaks as `\n` (a browser sends `\r\n`).
fn text(posted: &Posted, name: &str) -> String {
    posted.trimmed(name).replace("\r\n", "\n")
}

/// The subject a form names, when it has a pseudonym's shape.
fn subject(posted: &Posted) -> Option<String> {
    let hex = posted.trimmed(SUBJECT);
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

/// The anchor of a subject's part of the page.
fn subject_anchor(hex: &str) -> String {
    let start: String = hex.chars().take(16).collect();
    format!("betrokkene-{start}")
}

/// The route's case id, when it has a case id's shape.
fn case_id(id: String) -> Option<String> {
    is_case_id(&id).then_some(id)
}

/// `POST /casussen/{id}/fase`: a move along article 4.1 (`hubctl case move`), refused
/// with ABORTED when the page showed another phase than the case is in now.
pub async fn move_phase(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[(REASON, Concern::Reason), (TO, Concern::Phase)];
    let form = Handling::new(id, &posted, FormKey::Move, FIELDS, "fase".into(), &[REASON]);
    let outcome = async {
        let request = wire::MovePhaseRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            to_phase: posted.trimmed(TO),
            reason: text(&posted, REASON),
            expected_phase: posted.trimmed(EXPECTED),
        };
        changes::move_phase(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/contact`: the contact with the melder (`hubctl case contact`).
pub async fn record_contact(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[(CONTACT_AT, Concern::Time)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::Contact,
        FIELDS,
        "contact".into(),
        &[CONTACT_AT],
    );
    let outcome = async {
        let at = parse_time(
            "contact_op",
            &posted.trimmed(CONTACT_AT),
            OffsetDateTime::now_utc(),
        )
        .map_err(|_| Refusal::local(texts::TIME_UNREADABLE, Some(Concern::Time)))?;
        let request = wire::RecordContactRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            contacted_at: Some(to_timestamp(at)),
        };
        changes::record_contact(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/betrokkenen`: a subject from identifying data, pseudonymised
/// here (article 8.4) by the function `hubctl subject add` uses; only the pseudonym is
/// sent. The identifying fields are never shown again, logged or kept: a refused form
/// comes back with them empty.
pub async fn add_subject(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    use identity::field as who;
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[
        (ROLE, Concern::Role),
        (LABEL, Concern::Label),
        (who::NAME, Concern::Name),
        (who::NAME, Concern::Subject),
        (who::BIRTH_DATE, Concern::BirthDate),
        (who::POSTCODE, Concern::Postcode),
        (who::HOUSE_NUMBER, Concern::HouseNumber),
    ];
    // Only role and label are shown again.
    let form = Handling::new(
        id,
        &posted,
        FormKey::AddSubject,
        FIELDS,
        "betrokkenen".into(),
        &[ROLE, LABEL],
    );
    let mut anchor = None;
    let outcome = async {
        let data = IdentifyingData::from_form(&posted.0).map_err(|MissingField(f)| {
            let concern = FIELDS.iter().find(|(name, _)| *name == f).map(|(_, c)| *c);
            Refusal::local(texts::identity_missing(f), concern)
        })?;
        let mut hub = app.hubs.lease();
        let hex = data.pseudonym(hub.profile()).map_err(refused)?;
        anchor = Some(subject_anchor(&hex));
        let request = wire::AddSubjectRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            subject: Some(wire::SubjectPseudonym { hex }),
            role: posted.trimmed(ROLE),
            label: posted.trimmed(LABEL),
        };
        changes::add_subject(&mut hub, request)
            .await
            .map_err(refused)
    }
    .await;
    drop(posted);
    let mut form = form;
    if let (Ok(_), Some(anchor)) = (&outcome, anchor) {
        form.anchor = anchor;
    }
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/betrokkenen/wijzigen`: a subject's role and/or label (`hubctl
/// subject update`). Only what differs from what the page showed is sent, so that a
/// form sent twice is the same request (and made once).
pub async fn update_subject(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    let Some(hex) = subject(&posted) else {
        return not_found().await;
    };
    const FIELDS: &[(&str, Concern)] = &[(ROLE, Concern::Role), (LABEL, Concern::Label)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::UpdateSubject(hex.clone()),
        FIELDS,
        subject_anchor(&hex),
        &[ROLE, LABEL],
    );
    let outcome = async {
        let (role, was_role) = (posted.trimmed(ROLE), posted.trimmed(WAS_ROLE));
        let (label, was_label) = (posted.trimmed(LABEL), posted.trimmed(WAS_LABEL));
        let role = if role == was_role {
            String::new()
        } else {
            role
        };
        let (label, clear_label) = if label == was_label {
            (String::new(), false)
        } else if label.is_empty() {
            (String::new(), true)
        } else {
            (label, false)
        };
        if role.is_empty() && label.is_empty() && !clear_label {
            return Err(Refusal::local(
                texts::NOTHING_TO_CHANGE,
                Some(Concern::Role),
            ));
        }
        let request = wire::UpdateSubjectRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            subject: Some(wire::SubjectPseudonym { hex: hex.clone() }),
            role,
            label,
            clear_label,
        };
        changes::update_subject(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/betrokkenen/verwijderen`: a subject added by mistake (`hubctl
/// subject remove`).
pub async fn remove_subject(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    let Some(hex) = subject(&posted) else {
        return not_found().await;
    };
    const FIELDS: &[(&str, Concern)] = &[(REASON, Concern::Reason)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::RemoveSubject(hex.clone()),
        FIELDS,
        "betrokkenen".into(),
        &[REASON],
    );
    let outcome = async {
        let request = wire::RemoveSubjectRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            subject: Some(wire::SubjectPseudonym { hex: hex.clone() }),
            reason: text(&posted, REASON),
        };
        changes::remove_subject(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// Consent recorded (`hubctl consent record`) or withdrawn (`hubctl consent withdraw`).
async fn consent(
    app: Arc<App>,
    session: Session,
    id: String,
    body: Bytes,
    given: bool,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    let Some(hex) = subject(&posted) else {
        return not_found().await;
    };
    const FIELDS: &[(&str, Concern)] = &[(CATEGORY, Concern::Category), (DATE, Concern::Date)];
    let key = if given {
        FormKey::RecordConsent(hex.clone())
    } else {
        FormKey::WithdrawConsent(hex.clone())
    };
    let form = Handling::new(
        id,
        &posted,
        key,
        FIELDS,
        subject_anchor(&hex),
        &[CATEGORY, DATE],
    );
    let outcome = async {
        let rid = form.request_id()?;
        let subject = Some(wire::SubjectPseudonym { hex: hex.clone() });
        let (category, date) = (posted.trimmed(CATEGORY), posted.trimmed(DATE));
        let mut hub = app.hubs.lease();
        if given {
            let request = wire::RecordConsentRequest {
                client_request_id: rid,
                case_id: form.id.clone(),
                subject,
                category,
                date,
            };
            changes::record_consent(&mut hub, request).await
        } else {
            let request = wire::WithdrawConsentRequest {
                client_request_id: rid,
                case_id: form.id.clone(),
                subject,
                category,
                date,
            };
            changes::withdraw_consent(&mut hub, request).await
        }
        .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/toestemming`.
pub async fn record_consent(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    consent(app, session, id, body, true).await
}

/// `POST /casussen/{id}/toestemming/intrekken`.
pub async fn withdraw_consent(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    consent(app, session, id, body, false).await
}

/// `POST /casussen/{id}/deelnemers`: a party by name (`hubctl participant add`), found
/// among the covenant's parties by [`pick_party`], as the command line finds it.
pub async fn add_participant(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[(PARTY, Concern::Party)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::AddParticipant,
        FIELDS,
        "deelnemers".into(),
        &[PARTY],
    );
    let outcome = async {
        let rid = form.request_id()?;
        let mut hub = app.hubs.lease();
        let known = hub.parties().await.map_err(refused)?;
        let named = posted.trimmed(PARTY);
        let oin = match pick_party(&known, &named) {
            Ok(p) => p.oin.clone(),
            Err(several) if !several.is_empty() => {
                let names: Vec<&str> = several.iter().map(|p| p.name.as_str()).collect();
                return Err(Refusal::local(
                    texts::party_ambiguous(&names),
                    Some(Concern::Party),
                ));
            }
            Err(_) => {
                return Err(Refusal::local(texts::PARTY_UNKNOWN, Some(Concern::Party)));
            }
        };
        let request = wire::AddParticipantRequest {
            client_request_id: rid,
            case_id: form.id.clone(),
            party_oin: oin,
        };
        changes::add_participant(&mut hub, request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/deelnemers/verwijderen`: the end of a party's participation
/// (`hubctl participant remove`); the row's form names the party by OIN.
pub async fn remove_participant(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    let oin = posted.trimmed(PARTY);
    if !(oin.len() == 20 && oin.bytes().all(|b| b.is_ascii_digit())) {
        return not_found().await;
    }
    const FIELDS: &[(&str, Concern)] = &[(REASON, Concern::Reason)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::RemoveParticipant(oin.clone()),
        FIELDS,
        "deelnemers".into(),
        &[REASON],
    );
    let outcome = async {
        let request = wire::RemoveParticipantRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            party_oin: oin.clone(),
            reason: text(&posted, REASON),
        };
        changes::remove_participant(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/escaleren`: escalation to city level (`hubctl case escalate`).
pub async fn escalate(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[(REASON, Concern::Reason)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::Escalate,
        FIELDS,
        "escalatie".into(),
        &[REASON],
    );
    let outcome = async {
        let request = wire::EscalateRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            reason: text(&posted, REASON),
        };
        changes::escalate(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}

/// `POST /casussen/{id}/spoed`: an emergency with its written reason (`hubctl
/// emergency`).
pub async fn declare_emergency(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = case_id(id) else {
        return not_found().await;
    };
    let posted = Posted(body);
    const FIELDS: &[(&str, Concern)] = &[(REASON, Concern::Reason)];
    let form = Handling::new(
        id,
        &posted,
        FormKey::Emergency,
        FIELDS,
        "spoed".into(),
        &[REASON],
    );
    let outcome = async {
        let request = wire::DeclareEmergencyRequest {
            client_request_id: form.request_id()?,
            case_id: form.id.clone(),
            reason: text(&posted, REASON),
        };
        changes::declare_emergency(&mut app.hubs.lease(), request)
            .await
            .map_err(refused)
    }
    .await;
    form.finish(&app, &session, outcome).await
}
