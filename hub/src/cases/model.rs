//! A case as the hub stores it (article 1.2), and the rules of its life cycle that are
//! about state rather than about a share: the phase order of article 4.1, the contact
//! deadline of 4.3, escalation (4.5), consent history (11.3), participants (5.4) and
//! emergencies (15.1, 15.3).
//!
//! Free texts (labels, reasons, the external reference) are gemeente working notes:
//! they are stored with the case, shown to the case team only, and never logged.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use treiter_policies::vocab::{Category, Phase, Role, Stadsdeel, SubjectRole};

/// Who did something: a person, the party they act for, and the role they acted in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRef {
    pub person: String,
    pub party: String,
    pub role: Role,
}

/// The phases a case may move to from `phase` (article 4.1).
pub fn next_phases(phase: Phase) -> &'static [Phase] {
    match phase {
        Phase::Melding => &[Phase::Registratie],
        Phase::Registratie => &[Phase::Duiding],
        Phase::Duiding => &[Phase::Aanpak, Phase::BuitenAanpak],
        Phase::Aanpak => &[Phase::Afgesloten],
        Phase::Afgesloten | Phase::BuitenAanpak => &[],
    }
}

/// Phases in which no new shares take place and the case is not changed further except
/// where the covenant allows (article 4.4).
pub fn is_closed(phase: Phase) -> bool {
    matches!(phase, Phase::Afgesloten | Phase::BuitenAanpak)
}

/// The contact with the melder (article 4.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(with = "time::serde::rfc3339")]
    pub contacted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub recorded_by: ActorRef,
}

/// The state of the contact deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactStatus {
    /// No contact recorded, deadline not passed.
    Open,
    /// No contact recorded, deadline passed.
    Overdue,
    /// Contact at or before the deadline.
    Met,
    /// Contact after the deadline.
    Late,
}

impl ContactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Open => "open",
            ContactStatus::Overdue => "overdue",
            ContactStatus::Met => "met",
            ContactStatus::Late => "late",
        }
    }
}

/// The escalation to city level (articles 4.5, 14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: ActorRef,
    pub reason: String,
}

/// One recording or withdrawal of consent (article 11.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub category: Category,
    pub given: bool,
    /// The date the subject gave or withdrew it, `YYYY-MM-DD`, as stated.
    pub date: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub recorded_by: ActorRef,
}

/// A subject of the case (article 1.3), known only by its keyed pseudonym.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub pseudonym: String,
    pub role: SubjectRole,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub added_by: ActorRef,
    pub consent_history: Vec<ConsentRecord>,
}

impl Subject {
    /// Categories with consent in force: the last record per category is a "given".
    pub fn consent_in_force(&self) -> Vec<Category> {
        let mut state: Vec<(Category, bool)> = Vec::new();
        for record in &self.consent_history {
            match state.iter_mut().find(|(c, _)| *c == record.category) {
                Some(entry) => entry.1 = record.given,
                None => state.push((record.category, record.given)),
            }
        }
        let mut given: Vec<Category> = state.into_iter().filter(|s| s.1).map(|s| s.0).collect();
        given.sort_by_key(|c| c.as_str());
        given
    }
}

/// A party in the plan van aanpak (article 5.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub party: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub added_by: ActorRef,
}

/// An emergency declared on the case (article 15.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    pub declared_by: ActorRef,
    #[serde(with = "time::serde::rfc3339")]
    pub declared_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub reason: String,
}

impl Emergency {
    /// Active from its declaration up to and including its expiry (article 15.3).
    pub fn active_at(&self, at: OffsetDateTime) -> bool {
        self.declared_at <= at && at <= self.expires_at
    }
}

/// What a case event records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventKind {
    CaseCreated,
    PhaseMoved { from: Phase, to: Phase },
    Escalated,
    ContactRecorded,
    SubjectAdded { subject: String, role: SubjectRole },
    SubjectUpdated { subject: String, role: SubjectRole },
    SubjectRemoved { subject: String },
    ConsentRecorded { subject: String, category: Category },
    ConsentWithdrawn { subject: String, category: Category },
    ParticipantAdded { party: String },
    ParticipantRemoved { party: String },
    EmergencyDeclared,
}

impl EventKind {
    /// The wire word of the event kind.
    pub fn word(&self) -> &'static str {
        match self {
            EventKind::CaseCreated => "case-created",
            EventKind::PhaseMoved { .. } => "phase-moved",
            EventKind::Escalated => "escalated",
            EventKind::ContactRecorded => "contact-recorded",
            EventKind::SubjectAdded { .. } => "subject-added",
            EventKind::SubjectUpdated { .. } => "subject-updated",
            EventKind::SubjectRemoved { .. } => "subject-removed",
            EventKind::ConsentRecorded { .. } => "consent-recorded",
            EventKind::ConsentWithdrawn { .. } => "consent-withdrawn",
            EventKind::ParticipantAdded { .. } => "participant-added",
            EventKind::ParticipantRemoved { .. } => "participant-removed",
            EventKind::EmergencyDeclared => "emergency-declared",
        }
    }

    /// A one-line description without personal data.
    pub fn summary(&self) -> String {
        match self {
            EventKind::CaseCreated => "case registered in phase melding".into(),
            EventKind::PhaseMoved { from, to } => format!("phase {from} -> {to}"),
            EventKind::Escalated => "escalated to city level".into(),
            EventKind::ContactRecorded => "contact with the melder recorded".into(),
            EventKind::SubjectAdded { role, .. } => format!("subject added as {role}"),
            EventKind::SubjectUpdated { role, .. } => format!("subject updated, role {role}"),
            EventKind::SubjectRemoved { .. } => "subject removed".into(),
            EventKind::ConsentRecorded { category, .. } => {
                format!("consent recorded for {category}")
            }
            EventKind::ConsentWithdrawn { category, .. } => {
                format!("consent withdrawn for {category}")
            }
            EventKind::ParticipantAdded { party } => format!("participant {party} added"),
            EventKind::ParticipantRemoved { party } => format!("participant {party} removed"),
            EventKind::EmergencyDeclared => "emergency declared".into(),
        }
    }

    /// Consent events are shown to the case team only.
    pub fn is_consent(&self) -> bool {
        matches!(
            self,
            EventKind::ConsentRecorded { .. } | EventKind::ConsentWithdrawn { .. }
        )
    }
}

/// One change in the case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub sequence: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: ActorRef,
    pub kind: EventKind,
    /// The reason given with the change; a working note, case team only.
    pub reason: String,
    /// The index of the change's `case-change` entry in the decision log (article
    /// 10.1). `None` only for events stored before changes were logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_leaf_index: Option<u64>,
}

/// A case (article 1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    pub stadsdeel: Stadsdeel,
    pub phase: Phase,
    #[serde(with = "time::serde::rfc3339")]
    pub phase_since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub melding_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub registered_by: ActorRef,
    pub external_reference: String,
    #[serde(with = "time::serde::rfc3339")]
    pub contact_due: OffsetDateTime,
    pub contact: Option<Contact>,
    pub escalation: Option<Escalation>,
    pub subjects: Vec<Subject>,
    pub participants: Vec<Participant>,
    pub emergencies: Vec<Emergency>,
    pub history: Vec<CaseEvent>,
}

impl Case {
    pub fn escalated(&self) -> bool {
        self.escalation.is_some()
    }

    /// The emergency active at `at`, if any.
    pub fn active_emergency(&self, at: OffsetDateTime) -> Option<&Emergency> {
        self.emergencies.iter().rev().find(|e| e.active_at(at))
    }

    /// The contact deadline's state at `at`.
    pub fn contact_status(&self, at: OffsetDateTime) -> ContactStatus {
        match &self.contact {
            Some(c) if c.contacted_at <= self.contact_due => ContactStatus::Met,
            Some(_) => ContactStatus::Late,
            None if at > self.contact_due => ContactStatus::Overdue,
            None => ContactStatus::Open,
        }
    }

    pub fn subject(&self, pseudonym: &str) -> Option<&Subject> {
        self.subjects.iter().find(|s| s.pseudonym == pseudonym)
    }

    pub fn subject_mut(&mut self, pseudonym: &str) -> Option<&mut Subject> {
        self.subjects.iter_mut().find(|s| s.pseudonym == pseudonym)
    }

    pub fn is_participant(&self, party: &str) -> bool {
        self.participants.iter().any(|p| p.party == party)
    }

    /// Since when the case is in a closed phase (retention counts from here).
    pub fn closed_since(&self) -> Option<OffsetDateTime> {
        is_closed(self.phase).then_some(self.phase_since)
    }

    /// Appends an event and returns it.
    pub fn record(
        &mut self,
        at: OffsetDateTime,
        actor: &ActorRef,
        kind: EventKind,
        reason: &str,
    ) -> CaseEvent {
        let event = CaseEvent {
            sequence: self.history.len() as u64 + 1,
            at,
            actor: actor.clone(),
            kind,
            reason: reason.to_owned(),
            log_leaf_index: None,
        };
        self.history.push(event.clone());
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_order_is_article_4_1() {
        assert_eq!(next_phases(Phase::Melding), [Phase::Registratie]);
        assert_eq!(
            next_phases(Phase::Duiding),
            [Phase::Aanpak, Phase::BuitenAanpak]
        );
        assert!(next_phases(Phase::Afgesloten).is_empty());
        assert!(next_phases(Phase::BuitenAanpak).is_empty());
        assert!(
            !next_phases(Phase::Registratie).contains(&Phase::Aanpak),
            "no skipping"
        );
    }

    #[test]
    fn consent_in_force_follows_the_last_record_per_category() {
        let actor = ActorRef {
            person: "p".into(),
            party: "00000001000000000001".into(),
            role: Role::Stadsdeelregisseur,
        };
        let at = OffsetDateTime::UNIX_EPOCH;
        let record = |category, given| ConsentRecord {
            category,
            given,
            date: "2026-11-01".into(),
            recorded_at: at,
            recorded_by: actor.clone(),
        };
        let subject = Subject {
            pseudonym: "a".repeat(64),
            role: SubjectRole::Slachtoffer,
            label: String::new(),
            added_at: at,
            added_by: actor.clone(),
            consent_history: vec![
                record(Category::Slachtofferinformatie, true),
                record(Category::BijzondereKenmerken, true),
                record(Category::Slachtofferinformatie, false),
            ],
        };
        assert_eq!(subject.consent_in_force(), [Category::BijzondereKenmerken]);
    }
}
