//! **Casus** (`GET /casussen/{id}`, `templates/case.html`): one case as the caller may
//! see it (GetCase, as `hubctl case show`, through [`queries::get_case`]), with a form
//! for every change the caller's role can make (the POST handlers are in
//! [`super::case_forms`]):
//! - the phase, with a button for each move article 4.1 allows from it (the hub's
//!   `allowed_next_phases`, the list `hubctl case show` prints), and nothing else;
//! - the melder-contact deadline of article 4.3, and recording the contact;
//! - the subjects (label, role, pseudonym) with update and remove, and adding one from
//!   identifying data pseudonymised in this process ([`crate::console::identity`]);
//! - consent per subject and category, with its history (date, who recorded it), and
//!   recording and withdrawing it (the date defaults to today in Amsterdam);
//! - the parties of the plan van aanpak, added and removed by name;
//! - escalation (`geescaleerd`, article 14; only in `aanpak`);
//! - emergencies (article 15): the active one with the time left of its 72 hours, the
//!   past ones, and declaring one with a written reason;
//! - the case's history, each change with its log entry.
//!
//! The forms a role can never use are left out, with a line that says who can (the
//! hub decides; the page only spares a certain refusal). A change just made is named
//! at the top (`?vastgelegd=N`, the event's number in the case's history, from the
//! redirect after the form).

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

pub use super::case_forms::field;
use super::{not_found, open, problem_page};
use crate::cli::SUBJECT_ROLES;
use crate::console::App;
use crate::console::dates::{Moment, moment, moment_ts};
use crate::console::form::{Form, FormError, local_input};
use crate::console::layout::{Layout, Nav, party_name, person_line, render_with};
use crate::console::security::Session;
use crate::console::texts;
use crate::queries;
use crate::report::short;
use crate::when::from_timestamp;
use treiter_proto::calendar;

/// The data categories of article 6, in the covenant's order.
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

/// The categories whose shares depend on the subject's consent (articles 6.7, 6.9,
/// 6.10): offered first in the consent form.
pub const CONSENT_CATEGORIES: [&str; 3] = [
    "zorginhoud",
    "slachtofferinformatie",
    "bijzondere-kenmerken",
];

/// The phases after which nothing is added (article 4.4).
const CLOSED_PHASES: [&str; 2] = ["afgesloten", "buiten-aanpak"];

/// Whether `id` has the shape of a case id (`C-` then digits and dashes): anything else
/// is not asked of the hub, and never put into an address.
pub fn is_case_id(id: &str) -> bool {
    id.len() <= 32
        && id.strip_prefix("C-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        })
}

/// The address of a case's page.
pub fn case_path(id: &str) -> String {
    format!("/casussen/{id}")
}

/// Which form of the page: one per change, per subject or party where it concerns one
/// (by pseudonym, by OIN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormKey {
    /// The phase move.
    Move,
    /// Recording the contact with the melder.
    Contact,
    /// Adding a subject.
    AddSubject,
    /// Changing a subject's role or label.
    UpdateSubject(String),
    /// Removing a subject.
    RemoveSubject(String),
    /// Recording a subject's consent.
    RecordConsent(String),
    /// Withdrawing a subject's consent.
    WithdrawConsent(String),
    /// Adding a participant.
    AddParticipant,
    /// Ending a party's participation.
    RemoveParticipant(String),
    /// Escalating.
    Escalate,
    /// Declaring an emergency.
    Emergency,
}

/// A form that came back refused, to be drawn again in its place.
#[derive(Clone, Debug)]
pub struct Failed {
    /// Which form.
    pub key: FormKey,
    /// Its request id (still the same intended change).
    pub rid: String,
    /// What was typed (never identifying data).
    pub values: Vec<(String, String)>,
    /// The refusal.
    pub error: FormError,
}

/// The page.
#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    /// The frame.
    pub layout: Layout,
    /// The case.
    pub case: CaseView,
    /// The change just made (after a form's redirect).
    pub recorded: Option<EventView>,
}

/// What the caller's role can do on this case (the hub decides; the page leaves out
/// forms that would certainly be refused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct May {
    /// In the case team (article 5.3, or 14.1 once escalated).
    pub team: bool,
    /// Change subjects, consent, the phase: the team, in an open phase.
    pub edit: bool,
    /// Record the contact: an informatiemakelaar or stadsdeelregisseur of the team.
    pub contact: bool,
    /// Add or remove participants: the stadsdeelregisseur, or the stedelijk regisseur
    /// once escalated.
    pub participants: bool,
    /// Escalate: the stadsdeelregisseur of the case's stadsdeel.
    pub escalate: bool,
    /// Declare an emergency: any stadsdeelregisseur, a partnercontact of the politie.
    pub emergency: bool,
}

/// One case as the page shows it.
pub struct CaseView {
    /// The case id.
    pub id: String,
    /// The address of its page.
    pub path: String,
    /// The stadsdeel (covenant word).
    pub stadsdeel: String,
    /// The phase (covenant word).
    pub phase: String,
    /// Since when.
    pub phase_since: Option<Moment>,
    /// Whether the phase is one of article 4.4's.
    pub closed: bool,
    /// The melding.
    pub melding_at: Option<Moment>,
    /// The registration: moment and who.
    pub registered: String,
    /// The external reference (case team only).
    pub reference: String,
    /// How the caller has access.
    pub access: String,
    /// When the data is deleted (article 9), in words.
    pub retention: Option<String>,
    /// What the caller's role can do.
    pub may: May,
    /// The phase move (the team, an open phase).
    pub move_form: Option<Form>,
    /// The phases the case may move to (article 4.1).
    pub moves: Vec<String>,
    /// Whether a move ends the case (buiten-aanpak, afgesloten).
    pub moves_end: bool,
    /// The contact deadline in words.
    pub contact: String,
    /// Whether it passed without contact.
    pub contact_overdue: bool,
    /// Who recorded the contact, when.
    pub contact_recorded: Option<String>,
    /// Recording the contact (when not yet recorded).
    pub contact_form: Option<Form>,
    /// The default of the contact moment (now, Amsterdam, for `datetime-local`).
    pub now_local: String,
    /// The latest moment the browser lets one choose.
    pub today: String,
    /// The subjects.
    pub subjects: Vec<SubjectView>,
    /// Adding a subject.
    pub add_subject: Option<Form>,
    /// The participants.
    pub participants: Vec<ParticipantView>,
    /// Adding a participant, with the parties that can be added (by name).
    pub add_participant: Option<Form>,
    /// The parties not participating yet (names).
    pub parties: Vec<String>,
    /// Whether the list of parties could not be fetched.
    pub parties_unavailable: bool,
    /// The escalation, in words, when escalated.
    pub escalated: Option<String>,
    /// Its reason (case team only).
    pub escalation_reason: String,
    /// Escalating (the stadsdeelregisseur, in aanpak).
    pub escalate_form: Option<Form>,
    /// The active emergency.
    pub emergency: Option<EmergencyView>,
    /// The past emergencies, in words.
    pub past_emergencies: Vec<String>,
    /// Declaring an emergency.
    pub emergency_form: Option<Form>,
    /// The history, oldest first.
    pub history: Vec<EventView>,
    /// Where the error summary links to, and what it says (a refused form).
    pub failed: Option<(String, String)>,
}

/// A subject as the page shows it.
pub struct SubjectView {
    /// The pseudonym (64 hex).
    pub hex: String,
    /// The element id of its part of the page.
    pub anchor: String,
    /// The role (covenant word).
    pub role: String,
    /// Its label, or the start of its pseudonym.
    pub name: String,
    /// The label as is (for the update form).
    pub label: String,
    /// When and by whom it was added.
    pub added: String,
    /// Consent per category with its history.
    pub consent: Vec<ConsentLine>,
    /// The categories in force.
    pub in_force: Vec<String>,
    /// Changing its role or label.
    pub update: Option<Form>,
    /// Removing it.
    pub remove: Option<Form>,
    /// Recording consent.
    pub record: Option<Form>,
    /// The category offered first in the consent form.
    pub default_category: &'static str,
    /// Withdrawing consent (when any is in force).
    pub withdraw: Option<Form>,
}

/// A subject's consent for one category.
pub struct ConsentLine {
    /// The category (covenant word).
    pub category: String,
    /// Whether it is in force now.
    pub in_force: bool,
    /// Every recording and withdrawal, oldest first, in words.
    pub records: Vec<String>,
}

/// A participant.
pub struct ParticipantView {
    /// The party's name.
    pub name: String,
    /// Its kind and OIN.
    pub detail: String,
    /// Its OIN (the removal form names the party by it).
    pub oin: String,
    /// Since when.
    pub since: Option<Moment>,
    /// Who added it.
    pub by: String,
    /// Ending its participation.
    pub remove: Option<Form>,
}

/// The active emergency.
pub struct EmergencyView {
    /// The time left of its 72 hours, in words.
    pub left: String,
    /// Who declared it, when.
    pub declared: String,
    /// The written reason (case team and declarer).
    pub reason: String,
}

/// One event of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventView {
    /// Its number in the case's history.
    pub sequence: u64,
    /// When.
    pub at: Option<Moment>,
    /// Who.
    pub who: String,
    /// What, in words.
    pub what: String,
    /// The reason given (case team only).
    pub reason: String,
    /// Its log entry.
    pub log: String,
}

/// Who did something: the person's line, or the hub.
fn who(p: Option<&wire::Person>) -> String {
    p.map(person_line)
        .unwrap_or_else(|| texts::HUB_ACTOR.to_owned())
}

fn moment_text(ts: Option<&prost_types::Timestamp>) -> String {
    moment_ts(ts).map(|m| m.text).unwrap_or_default()
}

/// A subject by label, else by the start of its pseudonym.
fn subject_name(label: &str, hex: &str) -> String {
    if label.is_empty() {
        texts::unlabelled_subject(&short(hex))
    } else {
        label.to_owned()
    }
}

/// What the caller's role can do on `case`.
pub fn may(case: &wire::Case, me: &wire::Person) -> May {
    let has = |role: &str| me.roles.iter().any(|r| r == role);
    let team = case.caller_access == "case-team";
    let closed = CLOSED_PHASES.contains(&case.phase.as_str());
    let own_stadsdeel = !me.stadsdeel.is_empty() && me.stadsdeel == case.stadsdeel;
    let escalated = case.escalation.is_some();
    let police = me.party.as_ref().is_some_and(|p| p.kind == "politie");
    May {
        team,
        edit: team && !closed,
        contact: team && own_stadsdeel && (has("informatiemakelaar") || has("stadsdeelregisseur")),
        participants: team
            && ((own_stadsdeel && has("stadsdeelregisseur"))
                || (escalated && has("stedelijk-regisseur"))),
        escalate: team && own_stadsdeel && has("stadsdeelregisseur"),
        emergency: has("stadsdeelregisseur") || (police && has("partnercontact")),
    }
}

/// Builds the page's view of `case` for `me`: `parties` are the covenant's parties
/// (`None` when they could not be fetched), `failed` a form that came back refused,
/// `now` the console's clock (the forms' defaults). Time left counts from the hub's
/// clock (`case.as_of`), the one its deadline states hold for.
pub fn view(
    case: &wire::Case,
    me: &wire::Person,
    parties: Option<&[wire::Party]>,
    failed: Option<Failed>,
    now: OffsetDateTime,
) -> CaseView {
    let as_of = case.as_of.as_ref().and_then(from_timestamp).unwrap_or(now);
    let may = may(case, me);
    let closed = CLOSED_PHASES.contains(&case.phase.as_str());
    let failed_at = failed
        .as_ref()
        .map(|f| (f.key.clone(), f.error.words.clone()));
    let mut failed = failed;
    // The form `key` with element ids `id`: the refused one drawn again, or a fresh one.
    let mut form = |key: FormKey, id: String| -> Form {
        match failed.take_if(|f| f.key == key) {
            Some(f) => Form::refused(id, f.rid, f.values, f.error),
            None => Form::new(id),
        }
    };

    let contact = case.contact.clone().unwrap_or_default();
    let due = moment_ts(contact.due_at.as_ref());
    let left = contact
        .due_at
        .as_ref()
        .and_then(from_timestamp)
        .map(|d| d - as_of)
        .unwrap_or_default();
    let contact_words = texts::contact_words(
        &contact.status,
        &due.as_ref().map(|m| m.text.clone()).unwrap_or_default(),
        &moment_text(contact.contacted_at.as_ref()),
        left,
    );
    let contact_recorded = contact.recorded_at.as_ref().map(|at| {
        texts::contact_recorded(&moment_text(Some(at)), &who(contact.recorded_by.as_ref()))
    });

    let mut subjects = Vec::new();
    for s in &case.subjects {
        let hex = s
            .subject
            .as_ref()
            .map(|p| p.hex.clone())
            .unwrap_or_default();
        let short_id: String = hex.chars().take(16).collect();
        let anchor = format!("betrokkene-{short_id}");
        let mut consent: Vec<ConsentLine> = Vec::new();
        for r in &s.consent_history {
            let words = texts::consent_record(
                &r.action,
                &r.date,
                &moment_text(r.recorded_at.as_ref()),
                &who(r.recorded_by.as_ref()),
            );
            match consent.iter_mut().find(|c| c.category == r.category) {
                Some(line) => line.records.push(words),
                None => consent.push(ConsentLine {
                    category: r.category.clone(),
                    in_force: false,
                    records: vec![words],
                }),
            }
        }
        for line in &mut consent {
            line.in_force = s.consent.contains(&line.category);
        }
        let default_category = if s.role == "slachtoffer" {
            "slachtofferinformatie"
        } else {
            CONSENT_CATEGORIES[0]
        };
        subjects.push(SubjectView {
            name: subject_name(&s.label, &hex),
            role: s.role.clone(),
            label: s.label.clone(),
            added: texts::at_by(&moment_text(s.added_at.as_ref()), &who(s.added_by.as_ref())),
            consent,
            in_force: s.consent.clone(),
            update: may.edit.then(|| {
                form(
                    FormKey::UpdateSubject(hex.clone()),
                    format!("{anchor}-wijzigen"),
                )
            }),
            remove: may.edit.then(|| {
                form(
                    FormKey::RemoveSubject(hex.clone()),
                    format!("{anchor}-verwijderen"),
                )
            }),
            record: may.edit.then(|| {
                form(
                    FormKey::RecordConsent(hex.clone()),
                    format!("{anchor}-toestemming"),
                )
            }),
            default_category,
            // Withdrawal is allowed in every phase (article 11.3).
            withdraw: (may.team && !s.consent.is_empty()).then(|| {
                form(
                    FormKey::WithdrawConsent(hex.clone()),
                    format!("{anchor}-intrekken"),
                )
            }),
            anchor,
            hex,
        });
    }

    let participants = case
        .participants
        .iter()
        .map(|p| {
            let party = p.party.clone().unwrap_or_default();
            ParticipantView {
                name: party_name(p.party.as_ref()),
                detail: texts::party_detail(&party.kind, &party.oin),
                oin: party.oin.clone(),
                since: moment_ts(p.added_at.as_ref()),
                by: who(p.added_by.as_ref()),
                // Ending a participation is allowed in every phase (article 5.4).
                remove: may.participants.then(|| {
                    form(
                        FormKey::RemoveParticipant(party.oin.clone()),
                        format!("deelnemer-{}", party.oin),
                    )
                }),
            }
        })
        .collect();
    let taking_part: Vec<&str> = case
        .participants
        .iter()
        .filter_map(|p| p.party.as_ref().map(|p| p.oin.as_str()))
        .collect();
    let open_parties: Vec<String> = parties
        .unwrap_or_default()
        .iter()
        .filter(|p| !taking_part.contains(&p.oin.as_str()))
        .map(|p| p.name.clone())
        .collect();
    let can_add_party = may.participants && !closed && parties.is_some();

    let emergency = case.emergency.as_ref().filter(|e| e.active).map(|e| {
        let until = e.expires_at.as_ref().and_then(from_timestamp);
        EmergencyView {
            left: until
                .map(|u| texts::emergency_words(u - as_of, &moment(u).text))
                .unwrap_or_default(),
            declared: texts::emergency_declared(
                &moment_text(e.declared_at.as_ref()),
                &who(e.declared_by.as_ref()),
            ),
            reason: e.reason.clone(),
        }
    });

    let names: Vec<(String, String)> = case
        .subjects
        .iter()
        .filter_map(|s| {
            let hex = s.subject.as_ref()?.hex.clone();
            Some((hex.clone(), subject_name(&s.label, &hex)))
        })
        .collect();
    let history = case.history.iter().map(|e| event(e, &names)).collect();

    CaseView {
        id: case.id.clone(),
        path: case_path(&case.id),
        stadsdeel: case.stadsdeel.clone(),
        phase: case.phase.clone(),
        phase_since: moment_ts(case.phase_since.as_ref()),
        closed,
        melding_at: moment_ts(case.melding_at.as_ref()),
        registered: texts::at_by(
            &moment_text(case.registered_at.as_ref()),
            &who(case.registered_by.as_ref()),
        ),
        reference: case.external_reference.clone(),
        access: texts::access_words(&case.caller_access, &case.caller_role),
        retention: case
            .retention_until
            .as_ref()
            .map(|t| texts::retention_words(&moment_text(Some(t)))),
        may,
        move_form: (may.edit && !case.allowed_next_phases.is_empty())
            .then(|| form(FormKey::Move, "fase-wijzigen".to_owned())),
        moves: case.allowed_next_phases.clone(),
        moves_end: case
            .allowed_next_phases
            .iter()
            .any(|p| CLOSED_PHASES.contains(&p.as_str())),
        contact: contact_words,
        contact_overdue: contact.status == "overdue",
        contact_form: (may.contact && contact.contacted_at.is_none())
            .then(|| form(FormKey::Contact, "contact-vastleggen".to_owned())),
        contact_recorded,
        now_local: local_input(now),
        today: calendar::date_text(calendar::today(now)),
        subjects,
        add_subject: may
            .edit
            .then(|| form(FormKey::AddSubject, "betrokkene-toevoegen".to_owned())),
        participants,
        add_participant: (can_add_party && !open_parties.is_empty())
            .then(|| form(FormKey::AddParticipant, "deelnemer-toevoegen".to_owned())),
        parties: open_parties,
        parties_unavailable: may.participants && !closed && parties.is_none(),
        escalated: case.escalation.as_ref().map(|e| {
            texts::escalated_words(
                &moment_text(e.escalated_at.as_ref()),
                &who(e.escalated_by.as_ref()),
            )
        }),
        escalation_reason: case
            .escalation
            .as_ref()
            .map(|e| e.reason.clone())
            .unwrap_or_default(),
        escalate_form: (may.escalate && case.phase == "aanpak" && case.escalation.is_none())
            .then(|| form(FormKey::Escalate, "escaleren".to_owned())),
        emergency_form: (may.emergency && !closed && emergency.is_none())
            .then(|| form(FormKey::Emergency, "spoed-verklaren".to_owned())),
        emergency,
        past_emergencies: case
            .past_emergencies
            .iter()
            .map(|e| {
                texts::past_emergency(
                    &moment_text(e.declared_at.as_ref()),
                    &who(e.declared_by.as_ref()),
                    &moment_text(e.expires_at.as_ref()),
                )
            })
            .collect(),
        history,
        failed: failed_at.map(|(key, words)| (target(&key), words)),
    }
}

/// Where the error summary of a refused form `key` links to: the form's part of the
/// page (the template puts the form's own element there).
fn target(key: &FormKey) -> String {
    let subject = |hex: &str| {
        let short_id: String = hex.chars().take(16).collect();
        format!("betrokkene-{short_id}")
    };
    match key {
        FormKey::Move => "fase-wijzigen".to_owned(),
        FormKey::Contact => "contact-vastleggen".to_owned(),
        FormKey::AddSubject => "betrokkene-toevoegen".to_owned(),
        FormKey::UpdateSubject(hex) => format!("{}-wijzigen", subject(hex)),
        FormKey::RemoveSubject(hex) => format!("{}-verwijderen", subject(hex)),
        FormKey::RecordConsent(hex) => format!("{}-toestemming", subject(hex)),
        FormKey::WithdrawConsent(hex) => format!("{}-intrekken", subject(hex)),
        FormKey::AddParticipant => "deelnemer-toevoegen".to_owned(),
        FormKey::RemoveParticipant(oin) => format!("deelnemer-{oin}"),
        FormKey::Escalate => "escaleren".to_owned(),
        FormKey::Emergency => "spoed-verklaren".to_owned(),
    }
}

/// One history event, subjects by their names on this case.
pub fn event(e: &wire::CaseEvent, names: &[(String, String)]) -> EventView {
    let hex = e.subject.as_ref().map(|p| p.hex.as_str()).unwrap_or("");
    let subject = names
        .iter()
        .find(|(h, _)| h == hex)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| texts::unlabelled_subject(&short(hex)));
    EventView {
        sequence: e.sequence,
        at: moment_ts(e.at.as_ref()),
        who: who(e.actor.as_ref()),
        what: texts::event_words(
            &e.kind,
            &e.from_phase,
            &e.to_phase,
            &subject,
            &e.category,
            &party_name(e.party.as_ref()),
            &e.summary,
        ),
        reason: e.reason.clone(),
        log: texts::log_entry(e.log_leaf_index),
    }
}

/// The query of a case's page: `vastgelegd=N` after a change.
pub fn recorded_sequence(query: &[(String, String)]) -> Option<u64> {
    query
        .iter()
        .find(|(k, _)| k == "vastgelegd")
        .and_then(|(_, v)| v.parse().ok())
}

/// Draws the page of case `id`, with `failed` drawn again in its place and the change
/// `recorded` named at the top; answers with `status`.
pub async fn show(
    app: &App,
    session: &Session,
    id: &str,
    failed: Option<Failed>,
    recorded: Option<u64>,
    status: StatusCode,
) -> Response {
    let title = texts::case_title(id);
    let mut opened = match open(app, session, Nav::Cases, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let case = match queries::get_case(&mut opened.hub, id).await {
        Ok(c) => c,
        Err(e) => {
            return problem_page(
                &title,
                Nav::Cases,
                Some(&opened.me),
                &e,
                session,
                opened.now,
            );
        }
    };
    let may = may(&case, &opened.me);
    let parties = if may.participants {
        opened.hub.parties().await.ok()
    } else {
        None
    };
    let view = view(&case, &opened.me, parties.as_deref(), failed, opened.now);
    let recorded = recorded.and_then(|n| {
        let names: Vec<(String, String)> = case
            .subjects
            .iter()
            .filter_map(|s| {
                let hex = s.subject.as_ref()?.hex.clone();
                Some((hex.clone(), subject_name(&s.label, &hex)))
            })
            .collect();
        case.history
            .iter()
            .find(|e| e.sequence == n)
            .map(|e| event(e, &names))
    });
    render_with(
        &CasePage {
            layout: opened.layout,
            case: view,
            recorded,
        },
        status,
    )
}

/// `GET /casussen/{id}`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if !is_case_id(&id) {
        return not_found().await;
    }
    show(
        &app,
        &session,
        &id,
        None,
        recorded_sequence(&query),
        StatusCode::OK,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::to_timestamp;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn person(id: &str, roles: &[&str], stadsdeel: &str, kind: &str) -> wire::Person {
        wire::Person {
            name: String::new(),
            id: id.into(),
            party: Some(wire::Party {
                oin: "00000001000000000001".into(),
                name: if kind == "politie" {
                    "Politie Eenheid Amsterdam".into()
                } else {
                    "Gemeente Amsterdam".into()
                },
                kind: kind.into(),
            }),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            stadsdeel: stadsdeel.into(),
        }
    }

    fn sdr() -> wire::Person {
        person(
            "p-gemeente-004",
            &["stadsdeelregisseur"],
            "oost",
            "gemeente",
        )
    }

    fn hex(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    fn case(phase: &str, next: &[&str]) -> wire::Case {
        wire::Case {
            id: "C-2026-0001".into(),
            stadsdeel: "oost".into(),
            phase: phase.into(),
            allowed_next_phases: next.iter().map(|p| (*p).to_owned()).collect(),
            caller_access: "case-team".into(),
            caller_role: "stadsdeelregisseur".into(),
            as_of: Some(to_timestamp(NOW)),
            contact: Some(wire::ContactDeadline {
                due_at: Some(to_timestamp(NOW + Duration::days(1))),
                status: "open".into(),
                ..Default::default()
            }),
            subjects: vec![wire::Subject {
                subject: Some(wire::SubjectPseudonym { hex: hex(2) }),
                role: "slachtoffer".into(),
                label: "buurvrouw 2-hoog".into(),
                consent: vec!["slachtofferinformatie".into()],
                consent_history: vec![
                    wire::ConsentRecord {
                        category: "zorginhoud".into(),
                        action: "given".into(),
                        date: "2026-11-18".into(),
                        recorded_at: Some(to_timestamp(datetime!(2026-11-18 09:00 UTC))),
                        recorded_by: Some(sdr()),
                    },
                    wire::ConsentRecord {
                        category: "slachtofferinformatie".into(),
                        action: "given".into(),
                        date: "2026-11-19".into(),
                        recorded_at: Some(to_timestamp(datetime!(2026-11-19 09:00 UTC))),
                        recorded_by: Some(sdr()),
                    },
                    wire::ConsentRecord {
                        category: "zorginhoud".into(),
                        action: "withdrawn".into(),
                        date: "2026-11-20".into(),
                        recorded_at: Some(to_timestamp(datetime!(2026-11-20 10:00 UTC))),
                        recorded_by: Some(sdr()),
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn only_the_moves_of_article_4_1_are_offered() {
        let v = view(
            &case("duiding", &["aanpak", "buiten-aanpak"]),
            &sdr(),
            None,
            None,
            NOW,
        );
        assert_eq!(v.moves, ["aanpak", "buiten-aanpak"]);
        assert!(
            v.moves_end,
            "buiten-aanpak ends the case: the hint is shown"
        );
        assert!(v.move_form.is_some());
        let v = view(&case("melding", &["registratie"]), &sdr(), None, None, NOW);
        assert_eq!(v.moves, ["registratie"]);
        assert!(!v.moves_end);
        let v = view(&case("afgesloten", &[]), &sdr(), None, None, NOW);
        assert!(v.move_form.is_none(), "a closed case has no moves");
        assert!(v.add_subject.is_none(), "nothing is added (art. 4.4)");
        assert!(
            v.subjects[0].withdraw.is_some(),
            "withdrawal in every phase"
        );
        assert!(v.emergency_form.is_none());
    }

    #[test]
    fn consent_is_shown_per_category_with_its_history() {
        let v = view(&case("aanpak", &["afgesloten"]), &sdr(), None, None, NOW);
        let s = &v.subjects[0];
        assert_eq!(s.name, "buurvrouw 2-hoog");
        assert_eq!(s.default_category, "slachtofferinformatie");
        let lines: Vec<(&str, bool, usize)> = s
            .consent
            .iter()
            .map(|c| (c.category.as_str(), c.in_force, c.records.len()))
            .collect();
        assert_eq!(
            lines,
            [("zorginhoud", false, 2), ("slachtofferinformatie", true, 1)]
        );
        assert_eq!(
            s.consent[0].records[1],
            "ingetrokken op 2026-11-20; vastgelegd vr 20 nov. 2026 11:00 door p-gemeente-004, stadsdeelregisseur oost, Gemeente Amsterdam"
        );
    }

    #[test]
    fn forms_follow_the_callers_role() {
        let c = case("aanpak", &["afgesloten"]);
        let v = view(&c, &sdr(), None, None, NOW);
        assert!(v.escalate_form.is_some() && v.emergency_form.is_some());
        assert!(v.contact_form.is_some());
        assert!(v.parties_unavailable, "the parties could not be fetched");
        let im = person(
            "p-gemeente-001",
            &["informatiemakelaar"],
            "oost",
            "gemeente",
        );
        let v = view(&c, &im, Some(&[]), None, NOW);
        assert!(
            v.escalate_form.is_none(),
            "escalation is the stadsdeelregisseur's"
        );
        assert!(v.emergency_form.is_none(), "art. 15.1");
        assert!(v.add_participant.is_none());
        assert!(v.move_form.is_some() && v.add_subject.is_some());
        let mut seen = c.clone();
        seen.caller_access = "participant".into();
        let police = person("p-politie-001", &["partnercontact"], "", "politie");
        let v = view(&seen, &police, None, None, NOW);
        assert!(v.move_form.is_none() && v.add_subject.is_none());
        assert!(v.subjects[0].withdraw.is_none());
        assert!(
            v.emergency_form.is_some(),
            "a police partnercontact may (art. 15.1)"
        );
        let mut duiding = c;
        duiding.phase = "duiding".into();
        assert!(
            view(&duiding, &sdr(), None, None, NOW)
                .escalate_form
                .is_none()
        );
    }

    #[test]
    fn the_parties_offered_are_those_not_taking_part() {
        let mut c = case("aanpak", &["afgesloten"]);
        let party = |oin: &str, name: &str| wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: "politie".into(),
        };
        c.participants = vec![wire::Participant {
            party: Some(party("00000002000000000002", "Politie Eenheid Amsterdam")),
            ..Default::default()
        }];
        let all = [
            party("00000002000000000002", "Politie Eenheid Amsterdam"),
            party("00000005000000000005", "GGD Amsterdam"),
        ];
        let v = view(&c, &sdr(), Some(&all), None, NOW);
        assert_eq!(v.parties, ["GGD Amsterdam"]);
        assert!(v.add_participant.is_some());
        assert_eq!(v.participants[0].name, "Politie Eenheid Amsterdam");
        assert!(v.participants[0].detail.contains("00000002000000000002"));
        assert!(v.participants[0].remove.is_some());
    }

    #[test]
    fn an_active_emergency_shows_its_time_left_by_the_hubs_clock() {
        let mut c = case("aanpak", &["afgesloten"]);
        c.emergency = Some(wire::CaseEmergency {
            declared_by: Some(sdr()),
            declared_at: Some(to_timestamp(NOW - Duration::hours(30))),
            expires_at: Some(to_timestamp(NOW + Duration::hours(42))),
            active: true,
            reason: "acute dreiging".into(),
        });
        // The console's clock runs an hour ahead of the hub's: the hub's counts.
        let v = view(&c, &sdr(), None, None, NOW + Duration::hours(1));
        let e = v.emergency.expect("active");
        assert_eq!(
            e.left,
            "actief — nog 1 dag 18 uur van 72 uur (tot zo 22 nov. 2026 07:00)"
        );
        assert!(v.emergency_form.is_none(), "one at a time (art. 15.3)");
    }

    #[test]
    fn a_refused_form_is_drawn_again_in_its_place() {
        let c = case("duiding", &["aanpak", "buiten-aanpak"]);
        let failed = Failed {
            key: FormKey::RecordConsent(hex(2)),
            rid: "kept".into(),
            values: vec![("categorie".into(), "zorginhoud".into())],
            error: FormError {
                field: Some("datum"),
                words: "De datum ligt in de toekomst.".into(),
                detail: String::new(),
            },
        };
        let v = view(&c, &sdr(), None, Some(failed), NOW);
        let record = v.subjects[0].record.as_ref().expect("form");
        assert_eq!(record.rid, "kept");
        assert!(record.error_at("datum").is_some());
        assert_eq!(record.value("categorie"), "zorginhoud");
        assert!(v.move_form.as_ref().is_some_and(|f| f.error.is_none()));
        let (target, words) = v.failed.expect("summary");
        assert_eq!(target, format!("betrokkene-{}-toestemming", &hex(2)[..16]));
        assert_eq!(words, "De datum ligt in de toekomst.");
    }

    #[test]
    fn history_names_subjects_and_parties() {
        let mut c = case("registratie", &["duiding"]);
        c.history = vec![
            wire::CaseEvent {
                sequence: 1,
                kind: "phase-moved".into(),
                from_phase: "melding".into(),
                to_phase: "registratie".into(),
                actor: Some(sdr()),
                reason: "melding bevestigd".into(),
                log_leaf_index: 7,
                ..Default::default()
            },
            wire::CaseEvent {
                sequence: 2,
                kind: "consent-recorded".into(),
                category: "slachtofferinformatie".into(),
                subject: Some(wire::SubjectPseudonym { hex: hex(2) }),
                ..Default::default()
            },
        ];
        let v = view(&c, &sdr(), None, None, NOW);
        assert_eq!(v.history[0].what, "fase melding → registratie");
        assert_eq!(v.history[0].log, "logboekregel 7");
        assert_eq!(v.history[0].reason, "melding bevestigd");
        assert_eq!(
            v.history[1].what,
            "toestemming voor slachtofferinformatie vastgelegd — buurvrouw 2-hoog"
        );
        assert_eq!(v.history[1].who, "de hub");
        assert_eq!(
            recorded_sequence(&[("vastgelegd".into(), "2".into())]),
            Some(2)
        );
        assert_eq!(
            recorded_sequence(&[("vastgelegd".into(), "x".into())]),
            None
        );
    }

    fn render_page(case: &wire::Case, failed: Option<Failed>) -> String {
        use crate::console::layout::HubStatus;
        let me = sdr();
        let session = Session {
            csrf: "c".repeat(64),
        };
        let layout = Layout::new(
            &texts::case_title(&case.id),
            Nav::Cases,
            Some(&me),
            HubStatus::new(None, NOW),
            &session,
        );
        let page = CasePage {
            layout,
            case: view(case, &me, Some(&[]), failed, NOW),
            recorded: None,
        };
        page.render().expect("renders")
    }

    #[test]
    fn every_form_that_changes_something_carries_its_tokens() {
        let mut c = case("duiding", &["aanpak", "buiten-aanpak"]);
        c.participants = vec![wire::Participant {
            party: Some(wire::Party {
                oin: "00000002000000000002".into(),
                name: "Politie Eenheid Amsterdam".into(),
                kind: "politie".into(),
            }),
            ..Default::default()
        }];
        let html = render_page(&c, None);
        let forms = html.matches("<form method=\"post\"").count();
        // Sign-out; move; contact; the subject's consent, withdrawal, update and
        // removal; adding a subject; ending the participation; the emergency.
        assert_eq!(forms, 10, "{html}");
        assert_eq!(html.matches("name=\"_csrf\"").count(), forms);
        assert_eq!(
            html.matches("name=\"_rid\"").count(),
            forms - 1,
            "all but sign-out"
        );
        // Only the moves of article 4.1 from duiding.
        let moves: Vec<&str> = html
            .match_indices("name=\"naar\" value=\"")
            .map(|(at, m)| {
                let rest = &html[at + m.len()..];
                &rest[..rest.find('"').unwrap_or(0)]
            })
            .collect();
        assert_eq!(moves, ["aanpak", "buiten-aanpak"]);
        assert!(html.contains("<a href=\"#fase\">Fase</a>"));
        assert!(!html.contains("error-summary"));
    }

    #[test]
    fn a_refusal_is_drawn_next_to_its_field_with_the_hubs_text_below() {
        let c = case("duiding", &["aanpak", "buiten-aanpak"]);
        let failed = Failed {
            key: FormKey::Move,
            rid: crate::changes::new_request_id(),
            values: vec![("reden".into(), "typed <b>reason</b>".into())],
            error: FormError {
                field: Some("naar"),
                words: "Een casus in fase duiding kan niet naar fase afgesloten (art. 4.1).".into(),
                detail: "not possible in the case's current state: case C-2026-0001 cannot move from duiding to afgesloten (art. 4.1); allowed: aanpak, buiten-aanpak".into(),
            },
        };
        let html = render_page(&c, Some(failed));
        assert!(html.contains("class=\"error-summary\" role=\"alert\""));
        assert!(html.contains("<a href=\"#fase-wijzigen\">"));
        assert!(html.contains(
            "<fieldset id=\"fase-wijzigen-naar\" aria-describedby=\"fase-wijzigen-naar-fout\">"
        ));
        assert!(html.contains("<p id=\"fase-wijzigen-naar-fout\">Een casus in fase duiding"));
        assert!(html.contains("<summary>Technische toelichting</summary>"));
        assert!(html.contains("allowed: aanpak, buiten-aanpak"));
        assert!(
            html.contains("typed &#60;b&#62;reason&#60;/b&#62;"),
            "escaped and kept"
        );
    }

    #[test]
    fn only_case_ids_are_asked_for() {
        assert!(is_case_id("C-2026-0001"));
        assert!(!is_case_id("C-"));
        assert!(!is_case_id("nieuw"));
        assert!(!is_case_id("C-2026-0001\r\nLocation: x"));
        assert!(!is_case_id("Jan Jansen"));
    }
}
