//! Every change to a case is a `case-change` entry in the decision log (article 10.1),
//! stored with the change: never a stored change without its entry.
//!
//! [`CaseRegistry::apply`] holds the registry's change lock across the steps: prepare
//! (validate, authorise, compute the new case and its event), then append the entry
//! and store the case and the idempotency record with it
//! ([`Log::append_recording`]). If the log cannot take the entry, nothing is stored and
//! the caller gets UNAVAILABLE. A retry with the same `client_request_id` after a
//! commit is answered from the idempotency record, with no second entry.
//!
//! **With PostgreSQL** the entry and the change are one transaction: the log holds
//! exactly the changes that took effect.
//!
//! **With files and sled** the entry is durable before the change is stored. After a
//! crash between the two, the log holds an entry for a change that was never applied,
//! and the client got no acknowledgement. It retries with the same request id; as no
//! idempotency record exists, the change is prepared again, logged again (a second
//! entry with a new leaf index) and stored. The log may so hold entries for changes
//! that did not happen, never a stored change without an entry. The same holds when
//! the store write fails after the append.
//!
//! The entry holds identifiers only (actor, case id, kind, subject pseudonym, category,
//! participant OIN, covenant version): never a label, note, reason or external
//! reference (article 12.3).

use treiter_policies::Oin;

use super::CaseError;
use super::model::{Case, CaseEvent, EventKind};
use super::registry::{CaseRegistry, Prepared};
use crate::log::entry::{
    CaseChange, CaseChangeKind, CaseId, LogTime, PersonId, Pseudonym, Requester,
};
use crate::log::{Entry, EntryError, Event, Log, RecordingError};

fn oin(what: &'static str, s: &str) -> Result<Oin, EntryError> {
    Oin::parse(s).ok_or(EntryError::BadValue {
        what,
        problem: "expected an OIN of 20 digits",
        length: s.chars().count(),
    })
}

/// The decision-log entry for one case event: identifiers only, no free text.
pub fn log_entry(
    case_id: &str,
    event: &CaseEvent,
    covenant_version: u32,
) -> Result<Entry, EntryError> {
    let change = match &event.kind {
        EventKind::CaseCreated => CaseChangeKind::CaseCreated,
        EventKind::PhaseMoved { from, to } => CaseChangeKind::PhaseMoved {
            from: *from,
            to: *to,
        },
        EventKind::Escalated => CaseChangeKind::Escalated,
        EventKind::ContactRecorded => CaseChangeKind::ContactRecorded,
        EventKind::SubjectAdded { subject, role } => CaseChangeKind::SubjectAdded {
            subject: Pseudonym::parse(subject)?,
            role: *role,
        },
        EventKind::SubjectUpdated { subject, role } => CaseChangeKind::SubjectUpdated {
            subject: Pseudonym::parse(subject)?,
            role: *role,
        },
        EventKind::SubjectRemoved { subject } => CaseChangeKind::SubjectRemoved {
            subject: Pseudonym::parse(subject)?,
        },
        EventKind::ConsentRecorded { subject, category } => CaseChangeKind::ConsentRecorded {
            subject: Pseudonym::parse(subject)?,
            category: *category,
        },
        EventKind::ConsentWithdrawn { subject, category } => CaseChangeKind::ConsentWithdrawn {
            subject: Pseudonym::parse(subject)?,
            category: *category,
        },
        EventKind::ParticipantAdded { party } => CaseChangeKind::ParticipantAdded {
            party: oin("participant", party)?,
        },
        EventKind::ParticipantRemoved { party } => CaseChangeKind::ParticipantRemoved {
            party: oin("participant", party)?,
        },
        EventKind::EmergencyDeclared => CaseChangeKind::EmergencyDeclared,
    };
    Ok(Entry {
        time: LogTime::from_datetime(event.at)?,
        covenant_version,
        event: Event::CaseChange(CaseChange {
            actor: Requester {
                party: oin("actor party", &event.actor.party)?,
                role: event.actor.role,
                person: PersonId::parse(&event.actor.person)?,
            },
            case: CaseId::parse(case_id)?,
            change,
        }),
    })
}

impl CaseRegistry {
    /// Runs one change: `prepare` (one of the registry's change methods) under the
    /// change lock, then the log append, then the commit (module doc). Returns the case
    /// and the event as stored, the event carrying its log leaf index.
    pub async fn apply<E: From<CaseError>>(
        &self,
        log: &Log,
        covenant_version: u32,
        prepare: impl FnOnce(&CaseRegistry) -> Result<Prepared, E>,
    ) -> Result<(Case, CaseEvent), E> {
        let _changes = self.changes.lock().await;
        // Replicas on one database: their case changes (and the case-id counter) are
        // serialised as this process's are.
        let _replicas = self
            .store()
            .lock_shared("case changes")
            .map_err(CaseError::from)?;
        let pending = match prepare(self)? {
            Prepared::Replayed(done) => return Ok(*done),
            Prepared::Pending(pending) => pending,
        };
        let case_id = pending.case().id.clone();
        let entry = log_entry(&case_id, pending.event(), covenant_version).map_err(|e| {
            CaseError::Corrupt(format!(
                "cannot form the decision-log entry for the change to case {case_id}: {e}"
            ))
        })?;
        let change = pending.event().kind.word();
        let (_, (case, event)) = log
            .append_recording(
                vec![entry],
                std::sync::Arc::clone(self.store()),
                move |indices: &[u64]| {
                    let leaf_index = indices.first().copied().ok_or_else(|| {
                        CaseError::Corrupt("the decision log gave the entry no index".into())
                    })?;
                    CaseRegistry::change_batch(*pending, leaf_index)
                },
            )
            .await
            .map_err(|e| match e {
                RecordingError::Log(source) => CaseError::LogUnavailable {
                    change,
                    case: case_id.clone(),
                    source,
                },
                RecordingError::Change(e) => e,
                RecordingError::Store(e) => CaseError::Store(e),
            })?;
        tracing::info!(
            case = %case.id,
            event = event.kind.word(),
            person = %event.actor.person,
            role = %event.actor.role,
            log_leaf_index = ?event.log_leaf_index,
            "case changed"
        );
        Ok((case, event))
    }
}
