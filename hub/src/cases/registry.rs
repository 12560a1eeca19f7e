//! The case registry: every change to a case is authorised from the caller's
//! certificate and the hub's person registry, checked against the case's state, recorded
//! in the case's history, logged in the decision log, and durably stored (with its
//! idempotency record, in one atomic batch) before it is acknowledged.
//!
//! A change runs in two phases: the methods here (`create`, `move_phase`, ...) only
//! *prepare* it — validate, authorise, compute the new case and its event — and return
//! a [`Prepared`]; [`CaseRegistry::apply`] (in `logged.rs`) appends the change to the
//! decision log and then commits it to the store. Preparing stores nothing.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use treiter_policies::vocab::{Category, PartyKind, Phase, Stadsdeel, SubjectRole};
use treiter_proto::calendar;

use super::CaseError;
use super::access::{Acting, Operation, access, authorise, authorise_create, authorise_emergency};
use super::model::{
    ActorRef, Case, CaseEvent, ConsentRecord, Contact, Emergency, Escalation, EventKind,
    Participant, Subject, is_closed, next_phases,
};
use crate::persons::Person;
use crate::store::{Batch, Store, StoreError};
use crate::tables::idempotency::{self, Requester};

/// Working days within which the melder is contacted (article 4.3).
const CONTACT_WORKING_DAYS: u32 = 2;
/// Longest free text a coordinator may give as a reason.
const MAX_REASON: usize = 2000;
/// Longest label or external reference.
const MAX_LABEL: usize = 100;

/// The covenant's numbers the registry applies (from the encoding, not from code).
#[derive(Clone, Copy, Debug)]
pub struct CasePolicy {
    /// How long an emergency lasts (article 15.3).
    pub emergency: Duration,
    /// Months case data is kept after `afgesloten` (article 9.1).
    pub retention_afgesloten_months: u32,
    /// Months case data is kept after `buiten-aanpak` (article 9.2).
    pub retention_buiten_aanpak_months: u32,
}

/// Who asks for a change, and the change's idempotency key.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub person: &'a Person,
    /// The client's id for this intended change (a retry reuses it).
    pub client_request_id: &'a str,
    /// A canonical rendering of the request: a repeat with the same id must match it.
    pub fingerprint: &'a str,
}

/// Filters for listing cases; `None`/empty matches everything.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub stadsdeel: Option<Stadsdeel>,
    pub phases: Vec<Phase>,
    pub contact_overdue_only: bool,
    pub escalated_only: bool,
    pub emergency_active_only: bool,
}

/// How a label changes in an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelChange {
    Keep,
    Set(String),
    Clear,
}

#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    fingerprint: String,
    case_id: String,
    sequence: u64,
}

/// A prepared change: the case as it will be stored, its new event, and what else the
/// commit writes. Nothing of it is stored yet.
#[derive(Debug)]
pub struct PendingChange {
    pub(super) case: Case,
    pub(super) event: CaseEvent,
    /// The person and client request id of the change: its idempotency record's key.
    requester: (String, String),
    fingerprint: String,
    /// Further writes of the same atomic batch (the case-number counter of a create).
    extra: Batch,
}

impl PendingChange {
    /// The case as it will be stored.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The event the change records.
    pub fn event(&self) -> &CaseEvent {
        &self.event
    }
}

/// What preparing a change gave.
#[derive(Debug)]
pub enum Prepared {
    /// A retry of a change already applied (same person and `client_request_id`, same
    /// request): its first result, to be returned as is, without a new log entry.
    Replayed(Box<(Case, CaseEvent)>),
    /// A new change, to be logged and then committed.
    Pending(Box<PendingChange>),
}

/// The registry of cases.
#[derive(Debug)]
pub struct CaseRegistry {
    store: Arc<dyn Store>,
    /// The case policy of the covenant in force; replaced when a version that changes it
    /// takes effect ([`CaseRegistry::set_policy`]).
    policy: std::sync::RwLock<CasePolicy>,
    /// Serialises whole changes, prepare → log append → commit. It is a tokio mutex
    /// because it is held across the (async, fsync-bound) log append: two changes of
    /// one case must not both prepare from the same stored case and then both commit
    /// (the second would overwrite the first, while the log holds both), and an id
    /// allocation or idempotency check must not race a commit. One change at a time,
    /// registry-wide, is plenty for a city's caseload and keeps create's case-number
    /// counter simple; the log's group commit still batches share decisions.
    pub(super) changes: tokio::sync::Mutex<()>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> CaseError {
    CaseError::InvalidArgument {
        field,
        message: message.into(),
    }
}

/// Checks a free text (a reason): required or not, at most `max` characters, line
/// breaks allowed but no other control or invisible character (it is shown in case
/// histories and hubctl's reports).
fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<(), CaseError> {
    if required && text.trim().is_empty() {
        return Err(invalid(field, "is required"));
    }
    treiter_proto::text::check_text(field, text, max).map_err(|e| text_refused(field, &e))
}

/// Checks a one-line text (a label, a reference): as [`check_text`], on one line.
fn check_line(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<(), CaseError> {
    if required && text.trim().is_empty() {
        return Err(invalid(field, "is required"));
    }
    treiter_proto::text::check_line(field, text, max).map_err(|e| text_refused(field, &e))
}

/// The refusal of a text, as "FIELD: what is wrong" (the value is never repeated).
fn text_refused(field: &'static str, e: &treiter_proto::text::TextError) -> CaseError {
    let message = e.to_string();
    let message = message
        .strip_prefix(field)
        .map(|rest| rest.trim_start().to_owned())
        .unwrap_or(message);
    invalid(field, message)
}

/// The message for an unknown case id. The id is echoed only when it has the shape of
/// a case id (`C-` then digits and dashes): a caller may have typed a name or a BSN
/// into the field, and error messages never carry personal data (article 12.3).
fn not_found(id: &str) -> String {
    let shaped = id.len() <= 32
        && id
            .strip_prefix("C-")
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    if shaped {
        format!("no case {id}")
    } else {
        "no case with that id (a case id has the form C-YYYY-NNNN; the value given is not echoed)"
            .to_owned()
    }
}

fn check_pseudonym(pseudonym: &str) -> Result<(), CaseError> {
    if pseudonym.len() == 64
        && pseudonym
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(invalid(
            "subject.hex",
            "is not a keyed pseudonym: expected 64 lowercase hex characters (article 8.4)",
        ))
    }
}

/// A moment given that has not come yet, shown in Amsterdam time beside the hub's
/// "now": a client whose clock runs ahead of the hub's sees by how much.
fn in_the_future(field: &'static str, given: OffsetDateTime, now: OffsetDateTime) -> CaseError {
    invalid(
        field,
        format!(
            "{} is in the future: it is {} in Amsterdam by the hub's clock",
            calendar::clock_text(given),
            calendar::clock_text(now)
        ),
    )
}

fn not_closed(case: &Case) -> Result<(), CaseError> {
    if is_closed(case.phase) {
        return Err(CaseError::FailedPrecondition(format!(
            "case {} is in phase {}: no new shares or changes take place (art. 4.4)",
            case.id, case.phase
        )));
    }
    Ok(())
}

impl CaseRegistry {
    /// The store the cases are in (for the change lock across replicas).
    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn new(store: Arc<dyn Store>, policy: CasePolicy) -> Self {
        CaseRegistry {
            store,
            policy: std::sync::RwLock::new(policy),
            changes: tokio::sync::Mutex::new(()),
        }
    }

    /// The case policy in force.
    pub fn policy(&self) -> CasePolicy {
        // A poisoned lock still holds a whole (Copy) policy.
        *self
            .policy
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies the case policy of a version that took effect (article 13.1): emergencies
    /// declared from now on last as it says (those declared before keep their end), and
    /// its retention terms apply to every closed case from now on.
    pub fn set_policy(&self, policy: CasePolicy) {
        *self
            .policy
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = policy;
    }

    /// When the case's data is deleted (article 9), for a closed case: the retention
    /// term in force, in months after it closed, on Amsterdam's calendar.
    pub fn retention_until(&self, case: &Case) -> Option<OffsetDateTime> {
        let since = case.closed_since()?;
        let policy = self.policy();
        let months = match case.phase {
            Phase::Afgesloten => policy.retention_afgesloten_months,
            Phase::BuitenAanpak => policy.retention_buiten_aanpak_months,
            _ => return None,
        };
        Some(calendar::add_months(since, months))
    }

    /// Loads a case without any access check (for the hub's own use).
    pub fn load(&self, id: &str) -> Result<Option<Case>, CaseError> {
        let stored = match crate::tables::cases::get(self.store.as_ref(), id) {
            // Its key was deleted under the retention rules (article 9) by a sweep that
            // stopped before it removed the record (a crash): the case is gone, as a
            // scan of the cases also shows it; the next sweep removes the record.
            Err(StoreError::Shredded { .. }) => return Ok(None),
            stored => stored?,
        };
        match stored {
            None => Ok(None),
            Some(decoded) => decoded
                .map(Some)
                .map_err(|e| CaseError::Corrupt(format!("case {id}: {e}"))),
        }
    }

    fn load_existing(&self, id: &str) -> Result<Case, CaseError> {
        self.load(id)?
            .ok_or_else(|| CaseError::NotFound(not_found(id)))
    }

    /// A case as `person` may see it, with how they have access.
    pub fn get(
        &self,
        person: &Person,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<(Case, Acting), CaseError> {
        let case = self.load_existing(id)?;
        authorise(person, &case, Operation::View, now)?;
        let acting = access(person, &case, now)
            .ok_or_else(|| CaseError::PermissionDenied(format!("no access to case {id}")))?;
        Ok((case, acting))
    }

    /// The cases `person` has access to, narrowed by `filter`, newest first.
    pub fn list(
        &self,
        person: &Person,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<(Case, Acting)>, CaseError> {
        if let Some(wanted) = filter.stadsdeel {
            let bound = person.roles.iter().all(|r| {
                matches!(
                    r,
                    treiter_policies::vocab::Role::Informatiemakelaar
                        | treiter_policies::vocab::Role::Stadsdeelregisseur
                )
            });
            if bound && person.stadsdeel != Some(wanted) {
                return Err(CaseError::PermissionDenied(format!(
                    "listing cases of stadsdeel {wanted} needs the case team of {wanted} (art. 5.3)"
                )));
            }
        }
        let mut cases = Vec::new();
        for (key, decoded) in crate::tables::cases::all(self.store.as_ref())? {
            let case: Case = decoded.map_err(|e| CaseError::Corrupt(format!("case {key}: {e}")))?;
            let Some(acting) = access(person, &case, now) else {
                continue;
            };
            let keep = filter.stadsdeel.is_none_or(|s| s == case.stadsdeel)
                && (filter.phases.is_empty() || filter.phases.contains(&case.phase))
                && (!filter.contact_overdue_only
                    || case.contact_status(now) == super::model::ContactStatus::Overdue)
                && (!filter.escalated_only || case.escalated())
                && (!filter.emergency_active_only || case.active_emergency(now).is_some());
            if keep {
                cases.push((case, acting));
            }
        }
        cases.sort_by(|a, b| {
            b.0.registered_at
                .cmp(&a.0.registered_at)
                .then(b.0.id.cmp(&a.0.id))
        });
        Ok(cases)
    }

    /// Who asked for `change`, and with which request id (the idempotency record's key).
    fn requester(change: &Change<'_>) -> (String, String) {
        (
            change.person.id.clone(),
            change.client_request_id.to_owned(),
        )
    }

    fn fingerprint(change: &Change<'_>) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, change.fingerprint.as_bytes());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A repeat of an earlier change: its result again, or ALREADY_EXISTS.
    fn replay(&self, change: &Change<'_>) -> Result<Option<(Case, CaseEvent)>, CaseError> {
        if change.client_request_id.is_empty()
            || treiter_proto::text::check_token("client_request_id", change.client_request_id, 128)
                .is_err()
        {
            return Err(invalid(
                "client_request_id",
                "is required (a random id per intended change, at most 128 printable ASCII characters without spaces)",
            ));
        }
        let requester = Requester::CaseChange {
            person: &change.person.id,
        };
        let Some(bytes) =
            idempotency::get(self.store.as_ref(), requester, change.client_request_id)?
        else {
            return Ok(None);
        };
        let record: IdempotencyRecord = serde_json::from_slice(&bytes)
            .map_err(|e| CaseError::Corrupt(format!("idempotency record: {e}")))?;
        if record.fingerprint != Self::fingerprint(change) {
            return Err(CaseError::AlreadyExists(format!(
                "client_request_id {} was used before for a different request",
                change.client_request_id
            )));
        }
        let case = self.load_existing(&record.case_id)?;
        let event = case
            .history
            .iter()
            .find(|e| e.sequence == record.sequence)
            .cloned()
            .ok_or_else(|| {
                CaseError::Corrupt(format!(
                    "case {} lacks event {}",
                    record.case_id, record.sequence
                ))
            })?;
        Ok(Some((case, event)))
    }

    /// A new change, with the idempotency record its commit writes.
    fn pending(change: &Change<'_>, case: Case, event: CaseEvent, extra: Batch) -> Prepared {
        Prepared::Pending(Box::new(PendingChange {
            case,
            event,
            requester: Self::requester(change),
            fingerprint: Self::fingerprint(change),
            extra,
        }))
    }

    /// The batch that stores a prepared change whose log entry has leaf index
    /// `leaf_index` — the case (with the leaf index in its new event) and the
    /// idempotency record, applied atomically — and the case and event as stored. Only
    /// [`CaseRegistry::apply`] stores it, holding `changes`, with the entry
    /// ([`crate::log::Log::append_recording`]).
    pub(super) fn change_batch(
        pending: PendingChange,
        leaf_index: u64,
    ) -> Result<(Batch, (Case, CaseEvent)), CaseError> {
        let PendingChange {
            mut case,
            mut event,
            requester,
            fingerprint,
            extra,
        } = pending;
        event.log_leaf_index = Some(leaf_index);
        if let Some(stored) = case
            .history
            .iter_mut()
            .rev()
            .find(|e| e.sequence == event.sequence)
        {
            stored.log_leaf_index = Some(leaf_index);
        }
        let mut batch = extra;
        crate::tables::cases::put(&mut batch, &case)
            .map_err(|e| CaseError::Corrupt(e.to_string()))?;
        let record = IdempotencyRecord {
            fingerprint,
            case_id: case.id.clone(),
            sequence: event.sequence,
        };
        let record = serde_json::to_vec(&record).map_err(|e| CaseError::Corrupt(e.to_string()))?;
        let (person, client_request_id) = requester;
        idempotency::Record::case_change(&person, &client_request_id, &case.id, record)
            .put(&mut batch);
        Ok((batch, (case, event)))
    }

    /// Prepares one change to an existing case. `apply` authorises, checks the state,
    /// changes the (loaded, not stored) case and says what happened.
    fn mutate(
        &self,
        change: &Change<'_>,
        id: &str,
        now: OffsetDateTime,
        apply: impl FnOnce(&mut Case) -> Result<(ActorRef, EventKind, String), CaseError>,
    ) -> Result<Prepared, CaseError> {
        if let Some((case, event)) = self.replay(change)? {
            return Ok(Prepared::Replayed(Box::new((case, event))));
        }
        let mut case = self.load_existing(id)?;
        let (actor, kind, reason) = apply(&mut case)?;
        let event = case.record(now, &actor, kind, &reason);
        Ok(Self::pending(change, case, event, Batch::new()))
    }

    /// Registers a new case in phase `melding` (article 4.1) and starts the contact
    /// deadline (article 4.3).
    pub fn create(
        &self,
        change: &Change<'_>,
        stadsdeel: Stadsdeel,
        melding_at: OffsetDateTime,
        external_reference: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        if let Some((case, event)) = self.replay(change)? {
            return Ok(Prepared::Replayed(Box::new((case, event))));
        }
        let actor = authorise_create(change.person, stadsdeel)?;
        if melding_at > now {
            return Err(in_the_future("melding_at", melding_at, now));
        }
        check_line("external_reference", external_reference, MAX_LABEL, false)?;
        // The case id carries the year of Amsterdam's calendar: a melding registered at
        // 00:30 on New Year's Day belongs to the new year.
        let year = calendar::today(now).year();
        let mut batch = Batch::new();
        let next = crate::tables::meta::next_counter(
            self.store.as_ref(),
            &format!("case-seq/{year}"),
            &mut batch,
        )?;
        let id = format!("C-{year}-{next:04}");
        let mut case = Case {
            id,
            stadsdeel,
            phase: Phase::Melding,
            phase_since: now,
            melding_at,
            registered_at: now,
            registered_by: actor.clone(),
            external_reference: external_reference.to_owned(),
            contact_due: calendar::add_working_days(now, CONTACT_WORKING_DAYS),
            contact: None,
            escalation: None,
            subjects: Vec::new(),
            participants: Vec::new(),
            emergencies: Vec::new(),
            history: Vec::new(),
        };
        let event = case.record(now, &actor, EventKind::CaseCreated, "");
        Ok(Self::pending(change, case, event, batch))
    }

    /// Moves a case along article 4.1.
    pub fn move_phase(
        &self,
        change: &Change<'_>,
        id: &str,
        to: Phase,
        reason: &str,
        expected: Option<Phase>,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_text("reason", reason, MAX_REASON, true)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Edit, now)?;
            if let Some(expected) = expected
                && expected != case.phase
            {
                return Err(CaseError::Aborted(format!(
                    "case {} is in phase {}, not {expected}: someone moved it first",
                    case.id, case.phase
                )));
            }
            let allowed = next_phases(case.phase);
            if !allowed.contains(&to) {
                let allowed: Vec<&str> = allowed.iter().map(|p| p.as_str()).collect();
                return Err(CaseError::FailedPrecondition(format!(
                    "case {} cannot move from {} to {to} (art. 4.1); allowed: {}",
                    case.id,
                    case.phase,
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            let from = case.phase;
            case.phase = to;
            case.phase_since = now;
            Ok((actor, EventKind::PhaseMoved { from, to }, reason.to_owned()))
        })
    }

    /// Escalates a case in `aanpak` to city level (articles 4.5, 14).
    pub fn escalate(
        &self,
        change: &Change<'_>,
        id: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_text("reason", reason, MAX_REASON, true)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Escalate, now)?;
            if case.phase != Phase::Aanpak {
                return Err(CaseError::FailedPrecondition(format!(
                    "case {} is in phase {}; only a case in aanpak can be escalated (art. 4.5)",
                    case.id, case.phase
                )));
            }
            if case.escalated() {
                return Err(CaseError::FailedPrecondition(format!(
                    "case {} is escalated already (art. 4.5)",
                    case.id
                )));
            }
            case.escalation = Some(Escalation {
                at: now,
                by: actor.clone(),
                reason: reason.to_owned(),
            });
            Ok((actor, EventKind::Escalated, reason.to_owned()))
        })
    }

    /// Records the contact with the melder (article 4.3), once.
    pub fn record_contact(
        &self,
        change: &Change<'_>,
        id: &str,
        contacted_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        if contacted_at > now {
            return Err(in_the_future("contacted_at", contacted_at, now));
        }
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::RecordContact, now)?;
            if case.contact.is_some() {
                return Err(CaseError::AlreadyExists(format!(
                    "contact with the melder of case {} is recorded already",
                    case.id
                )));
            }
            if contacted_at < case.melding_at {
                return Err(invalid("contacted_at", "is before the melding"));
            }
            case.contact = Some(Contact {
                contacted_at,
                recorded_at: now,
                recorded_by: actor.clone(),
            });
            Ok((actor, EventKind::ContactRecorded, String::new()))
        })
    }

    /// Adds a subject by keyed pseudonym (article 1.3, 8.4).
    pub fn add_subject(
        &self,
        change: &Change<'_>,
        id: &str,
        pseudonym: &str,
        role: SubjectRole,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_pseudonym(pseudonym)?;
        check_line("label", label, MAX_LABEL, false)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Edit, now)?;
            not_closed(case)?;
            if case.subject(pseudonym).is_some() {
                return Err(CaseError::AlreadyExists(format!(
                    "the subject is in case {} already; change its role with an update",
                    case.id
                )));
            }
            case.subjects.push(Subject {
                pseudonym: pseudonym.to_owned(),
                role,
                label: label.to_owned(),
                added_at: now,
                added_by: actor.clone(),
                consent_history: Vec::new(),
            });
            Ok((
                actor,
                EventKind::SubjectAdded {
                    subject: pseudonym.to_owned(),
                    role,
                },
                String::new(),
            ))
        })
    }

    /// Changes a subject's role and/or label.
    pub fn update_subject(
        &self,
        change: &Change<'_>,
        id: &str,
        pseudonym: &str,
        role: Option<SubjectRole>,
        label: LabelChange,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_pseudonym(pseudonym)?;
        if let LabelChange::Set(label) = &label {
            check_line("label", label, MAX_LABEL, true)?;
        }
        if role.is_none() && label == LabelChange::Keep {
            return Err(invalid("role", "the update changes nothing"));
        }
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Edit, now)?;
            not_closed(case)?;
            let case_id = case.id.clone();
            let subject = case.subject_mut(pseudonym).ok_or_else(|| {
                CaseError::NotFound(format!("the subject is not in case {case_id}"))
            })?;
            if let Some(role) = role {
                subject.role = role;
            }
            match label {
                LabelChange::Keep => {}
                LabelChange::Set(l) => subject.label = l,
                LabelChange::Clear => subject.label.clear(),
            }
            let role = subject.role;
            Ok((
                actor,
                EventKind::SubjectUpdated {
                    subject: pseudonym.to_owned(),
                    role,
                },
                String::new(),
            ))
        })
    }

    /// Removes a subject added by mistake.
    pub fn remove_subject(
        &self,
        change: &Change<'_>,
        id: &str,
        pseudonym: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_pseudonym(pseudonym)?;
        check_text("reason", reason, MAX_REASON, true)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Edit, now)?;
            not_closed(case)?;
            let before = case.subjects.len();
            case.subjects.retain(|s| s.pseudonym != pseudonym);
            if case.subjects.len() == before {
                return Err(CaseError::NotFound(format!(
                    "the subject is not in case {}",
                    case.id
                )));
            }
            Ok((
                actor,
                EventKind::SubjectRemoved {
                    subject: pseudonym.to_owned(),
                },
                reason.to_owned(),
            ))
        })
    }

    /// Records (`given`) or withdraws consent of a subject for a category (article 11.3).
    #[expect(
        clippy::too_many_arguments,
        reason = "a consent change is the change, the case, the subject, the category, given or withdrawn, its date and the time: each is a fact the log records"
    )]
    pub fn consent(
        &self,
        change: &Change<'_>,
        id: &str,
        pseudonym: &str,
        category: Category,
        given: bool,
        date: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_pseudonym(pseudonym)?;
        calendar::check_not_future("consent date", date, now)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::Edit, now)?;
            if given {
                // Withdrawal is allowed in every phase; new consent is not (art. 4.4).
                not_closed(case)?;
            }
            let case_id = case.id.clone();
            let subject = case.subject_mut(pseudonym).ok_or_else(|| {
                CaseError::NotFound(format!("the subject is not in case {case_id}"))
            })?;
            let in_force = subject.consent_in_force().contains(&category);
            if given && in_force {
                return Err(CaseError::AlreadyExists(format!(
                    "consent for {category} is in force already"
                )));
            }
            if !given && !in_force {
                return Err(CaseError::FailedPrecondition(format!(
                    "no consent for {category} is in force, so none can be withdrawn (art. 11.3)"
                )));
            }
            subject.consent_history.push(ConsentRecord {
                category,
                given,
                date: date.to_owned(),
                recorded_at: now,
                recorded_by: actor.clone(),
            });
            let subject = pseudonym.to_owned();
            let kind = if given {
                EventKind::ConsentRecorded { subject, category }
            } else {
                EventKind::ConsentWithdrawn { subject, category }
            };
            Ok((actor, kind, String::new()))
        })
    }

    /// Registers a party (its OIN checked by the caller against the covenant) as
    /// participant of the plan van aanpak (article 5.4).
    pub fn add_participant(
        &self,
        change: &Change<'_>,
        id: &str,
        party: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::ManageParticipants, now)?;
            not_closed(case)?;
            if case.is_participant(party) {
                return Err(CaseError::AlreadyExists(format!(
                    "party {party} participates in case {} already",
                    case.id
                )));
            }
            case.participants.push(Participant {
                party: party.to_owned(),
                added_at: now,
                added_by: actor.clone(),
            });
            Ok((
                actor,
                EventKind::ParticipantAdded {
                    party: party.to_owned(),
                },
                String::new(),
            ))
        })
    }

    /// Ends a party's participation (article 5.4).
    pub fn remove_participant(
        &self,
        change: &Change<'_>,
        id: &str,
        party: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_text("reason", reason, MAX_REASON, true)?;
        self.mutate(change, id, now, |case| {
            let actor = authorise(change.person, case, Operation::ManageParticipants, now)?;
            let before = case.participants.len();
            case.participants.retain(|p| p.party != party);
            if case.participants.len() == before {
                return Err(CaseError::NotFound(format!(
                    "party {party} does not participate in case {}",
                    case.id
                )));
            }
            Ok((
                actor,
                EventKind::ParticipantRemoved {
                    party: party.to_owned(),
                },
                reason.to_owned(),
            ))
        })
    }

    /// Declares an emergency (article 15.1) lasting the covenant's emergency period.
    pub fn declare_emergency(
        &self,
        change: &Change<'_>,
        party_kind: PartyKind,
        id: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Prepared, CaseError> {
        check_text("reason", reason, MAX_REASON, true)?;
        let actor = authorise_emergency(change.person, party_kind)?;
        let duration = self.policy().emergency;
        self.mutate(change, id, now, |case| {
            not_closed(case)?;
            if let Some(active) = case.active_emergency(now) {
                return Err(CaseError::FailedPrecondition(format!(
                    "an emergency is active on case {} until {} (art. 15.3); it is not extended or stacked",
                    case.id, active.expires_at
                )));
            }
            case.emergencies.push(Emergency {
                declared_by: actor.clone(),
                declared_at: now,
                expires_at: now + duration,
                reason: reason.to_owned(),
            });
            Ok((actor, EventKind::EmergencyDeclared, reason.to_owned()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Oin;
    use crate::store::SledStore;
    use time::macros::{date, datetime};
    use treiter_policies::vocab::Role;

    /// A registry on a fresh store, and a stadsdeelregisseur of oost.
    fn registry() -> (tempfile::TempDir, CaseRegistry, Person) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let policy = CasePolicy {
            emergency: Duration::hours(72),
            retention_afgesloten_months: 24,
            retention_buiten_aanpak_months: 3,
        };
        let person = Person {
            id: "p-gemeente-004".into(),
            name: None,
            party: Oin::parse("00000001000000000001").unwrap(),
            roles: vec![Role::Stadsdeelregisseur],
            stadsdeel: Some(Stadsdeel::Oost),
        };
        (dir, CaseRegistry::new(store, policy), person)
    }

    /// A sweep killed between deleting a case's key and removing its records leaves
    /// a record nobody can open: the case reads as gone (NOT_FOUND), not as a store
    /// failure (found by the crash points under a mixed load).
    #[test]
    fn a_case_whose_key_was_shredded_reads_as_gone() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("state")).unwrap());
        let keys = crate::seal::KeyStore::open(
            &dir.path().join("keys"),
            crate::seal::MasterKey::from_bytes(&[4; 32]),
        )
        .unwrap();
        let sealed = Arc::new(crate::seal::SealedStore::new(inner, Arc::new(keys)));
        let (_unused, plain, person) = registry();
        let registry = CaseRegistry::new(sealed.clone(), plain.policy());
        let now = datetime!(2026-12-06 10:00 UTC);
        let case = stored(
            &registry,
            registry.create(
                &change(&person, "create"),
                Stadsdeel::Oost,
                now - Duration::hours(1),
                "",
                now,
            ),
        );
        assert!(registry.load(&case.id).unwrap().is_some());
        sealed.keys().shred(&case.id).unwrap();
        assert!(registry.load(&case.id).unwrap().is_none());
        assert!(matches!(
            registry.load_existing(&case.id),
            Err(CaseError::NotFound(_))
        ));
    }

    fn change<'a>(person: &'a Person, id: &'a str) -> Change<'a> {
        Change {
            person,
            client_request_id: id,
            fingerprint: id,
        }
    }

    /// Stores a prepared change (as `apply` does, without the log).
    fn stored(registry: &CaseRegistry, prepared: Result<Prepared, CaseError>) -> Case {
        match prepared.unwrap() {
            Prepared::Pending(pending) => {
                let (batch, (case, _)) = CaseRegistry::change_batch(*pending, 0).unwrap();
                registry.store().apply(batch).unwrap();
                case
            }
            Prepared::Replayed(_) => panic!("a new change was replayed"),
        }
    }

    /// The instants the issue names, when Amsterdam's date is a day ahead of UTC's:
    /// 00:30 in winter and in summer, on both change days and the night after each.
    const NIGHTS: [OffsetDateTime; 6] = [
        datetime!(2026-12-06 23:30 UTC),
        datetime!(2026-07-01 22:30 UTC),
        datetime!(2026-03-28 23:30 UTC),
        datetime!(2026-03-29 22:30 UTC),
        datetime!(2026-10-24 22:30 UTC),
        datetime!(2026-10-25 23:30 UTC),
    ];

    #[test]
    fn a_switched_case_policy_applies_to_emergencies_declared_after_it() {
        let (_dir, registry, person) = registry();
        let now = datetime!(2026-11-02 10:00 UTC);
        let case = stored(
            &registry,
            registry.create(
                &change(&person, "create"),
                Stadsdeel::Oost,
                now - Duration::hours(1),
                "",
                now,
            ),
        );
        let before = stored(
            &registry,
            registry.declare_emergency(
                &change(&person, "spoed-1"),
                PartyKind::Gemeente,
                &case.id,
                "acute dreiging",
                now,
            ),
        );
        assert_eq!(before.emergencies[0].expires_at, now + Duration::hours(72));
        registry.set_policy(CasePolicy {
            emergency: Duration::hours(48),
            retention_afgesloten_months: 12,
            retention_buiten_aanpak_months: 1,
        });
        assert_eq!(registry.policy().emergency, Duration::hours(48));
        assert_eq!(registry.policy().retention_afgesloten_months, 12);
        // The emergency declared before keeps its end (it is stored with the case).
        let kept = registry.load(&case.id).unwrap().unwrap();
        assert_eq!(kept.emergencies[0].expires_at, now + Duration::hours(72));
        // One declared after it ended lasts as the new policy says.
        let later = now + Duration::hours(73);
        let after = stored(
            &registry,
            registry.declare_emergency(
                &change(&person, "spoed-2"),
                PartyKind::Gemeente,
                &case.id,
                "acute dreiging",
                later,
            ),
        );
        assert_eq!(after.emergencies[1].expires_at, later + Duration::hours(48));
    }

    #[test]
    fn consent_dated_today_in_amsterdam_is_taken_at_night() {
        for now in NIGHTS {
            let (_dir, registry, person) = registry();
            let melding = now - Duration::hours(1);
            let case = stored(
                &registry,
                registry.create(
                    &change(&person, "create"),
                    Stadsdeel::Oost,
                    melding,
                    "",
                    now,
                ),
            );
            let hex = "ab".repeat(32);
            stored(
                &registry,
                registry.add_subject(
                    &change(&person, "subject"),
                    &case.id,
                    &hex,
                    SubjectRole::Slachtoffer,
                    "",
                    now,
                ),
            );
            let today = calendar::date_text(calendar::today(now));
            let case = stored(
                &registry,
                registry.consent(
                    &change(&person, "consent"),
                    &case.id,
                    &hex,
                    Category::Slachtofferinformatie,
                    true,
                    &today,
                    now,
                ),
            );
            assert_eq!(
                case.subjects[0].consent_history[0].date, today,
                "consent dated today in Amsterdam at {now}"
            );
            let tomorrow = calendar::today(now).next_day().unwrap();
            let refused = registry
                .consent(
                    &change(&person, "withdraw"),
                    &case.id,
                    &hex,
                    Category::Slachtofferinformatie,
                    false,
                    &calendar::date_text(tomorrow),
                    now,
                )
                .unwrap_err();
            assert_eq!(
                refused.to_string(),
                format!(
                    "consent date {} is in the future: today is {today} in Amsterdam",
                    calendar::date_text(tomorrow)
                ),
                "at {now}"
            );
        }
    }

    #[test]
    fn a_melding_in_the_future_is_refused_in_amsterdam_time() {
        let (_dir, registry, person) = registry();
        let now = datetime!(2026-12-06 23:30 UTC);
        let refused = registry
            .create(
                &change(&person, "create"),
                Stadsdeel::Oost,
                now + Duration::minutes(10),
                "",
                now,
            )
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "melding_at 2026-12-07 00:40 CET is in the future: it is 2026-12-07 00:30 CET in \
             Amsterdam by the hub's clock"
        );
    }

    #[test]
    fn a_case_registered_on_new_years_night_has_the_new_year_in_its_id() {
        let (_dir, registry, person) = registry();
        let now = datetime!(2026-12-31 23:30 UTC);
        let Prepared::Pending(pending) = registry
            .create(&change(&person, "create"), Stadsdeel::Oost, now, "", now)
            .unwrap()
        else {
            panic!("a new case was replayed")
        };
        assert_eq!(pending.case.id, "C-2027-0001");
    }

    #[test]
    fn retention_counts_months_on_the_amsterdam_calendar() {
        let (_dir, registry, person) = registry();
        let case = Case {
            id: "C-2026-0001".into(),
            stadsdeel: Stadsdeel::Oost,
            phase: Phase::BuitenAanpak,
            // Closed Saturday 31 January 2026 at 00:30 in Amsterdam.
            phase_since: datetime!(2026-01-30 23:30 UTC),
            melding_at: datetime!(2026-01-05 09:00 UTC),
            registered_at: datetime!(2026-01-05 09:00 UTC),
            registered_by: ActorRef {
                person: person.id.clone(),
                party: person.party.to_string(),
                role: Role::Stadsdeelregisseur,
            },
            external_reference: String::new(),
            contact_due: datetime!(2026-01-07 09:00 UTC),
            contact: None,
            escalation: None,
            subjects: Vec::new(),
            participants: Vec::new(),
            emergencies: Vec::new(),
            history: Vec::new(),
        };
        // 3 months after 31 January (art. 9.2) is 30 April 00:30 in Amsterdam, not
        // 30 April 23:30 UTC (1 May in Amsterdam) as counting on UTC's 30 January gave.
        let until = registry.retention_until(&case).unwrap();
        assert_eq!(calendar::today(until), date!(2026 - 04 - 30));
        assert_eq!(until, datetime!(2026-04-29 22:30 UTC));
    }

    #[test]
    fn labels_and_reasons_are_bounded_and_printable() {
        // A label shows in case lists and case files: one line, no escapes.
        let e = check_line("label", "buurman\n  ✓ fake row", MAX_LABEL, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label holds a control or invisible character (U+000A) at character 8; only printable text is accepted, on one line"
        );
        let e = check_line("label", &"x".repeat(101), MAX_LABEL, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label is 101 characters long; at most 100 are accepted"
        );
        check_line("label", "buurvrouw 2-hoog — Zoë", MAX_LABEL, true).unwrap();
        // A reason may run over lines, but holds no terminal escape.
        check_text("reason", "regel een\nregel twee", MAX_REASON, true).unwrap();
        let e = check_text("reason", "reden\u{1b}[2J", MAX_REASON, true).unwrap_err();
        assert!(e.to_string().starts_with("reason holds a control"), "{e}");
        assert!(!e.to_string().contains("reden"), "{e}");
        let e = check_text("reason", "  ", MAX_REASON, true).unwrap_err();
        assert_eq!(e.to_string(), "reason is required");
    }

    #[test]
    fn an_unknown_case_id_is_echoed_only_when_it_looks_like_one() {
        assert_eq!(not_found("C-2026-0042"), "no case C-2026-0042");
        for typed in ["Jan Jansen", "123456782", "Kerkstraat 1", "C-Jan"] {
            let message = not_found(typed);
            assert!(!message.contains(typed), "{message}");
        }
    }
}
