//! Log entries, parties and persons in wire form, for privacy officers.
//!
//! Parties are rendered with their names from the party directory, so a person reading
//! hubctl's output sees "GGD Amsterdam" rather than an OIN. Nothing here adds a value,
//! a name of a person or free text: the entries hold none (article 12.3).

use treiter_policies::request::Oin as EngineOin;
use treiter_policies::vocab::Role;
use treiter_proto::v1 as wire;

use crate::clock::timestamp;
use crate::identity::Oin;
use crate::log::entry::{ApprovalStep, CaseChangeKind, Requester};
use crate::log::{Entry, Event, StoredEntry};
use crate::state::Hub;

/// The engine's (numeric) OIN of a party.
pub fn engine_oin(oin: &Oin) -> EngineOin {
    // OINs from the registry and the covenant were checked as 20 digits at start-up.
    EngineOin::parse(oin.as_str()).unwrap_or(EngineOin(0))
}

fn hub_oin(oin: EngineOin) -> Option<Oin> {
    Oin::parse(&format!("{:020}", oin.0)).ok()
}

/// A party by OIN, with its name and kind when the covenant lists it (an OIN the
/// covenant no longer lists is shown by name when it left with a version that took
/// effect, else by number only).
pub fn party(hub: &Hub, oin: EngineOin) -> wire::Party {
    hub_oin(oin)
        .and_then(|o| {
            hub.parties
                .current()
                .named(&o)
                .map(crate::parties::Party::to_proto)
        })
        .unwrap_or_else(|| wire::Party {
            oin: format!("{:020}", oin.0),
            ..Default::default()
        })
}

/// A person acting in one role for a party; the stadsdeel only for the roles bound to
/// one (article 5.3).
pub fn person(hub: &Hub, party_oin: EngineOin, role: Role, id: &str) -> wire::Person {
    let stadsdeel = hub_oin(party_oin)
        .and_then(|o| hub.persons.resolve(id, &o).ok())
        .and_then(|p| p.stadsdeel)
        .filter(|_| matches!(role, Role::Informatiemakelaar | Role::Stadsdeelregisseur))
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    wire::Person {
        id: id.to_owned(),
        party: Some(party(hub, party_oin)),
        roles: vec![role.as_str().to_owned()],
        stadsdeel,
        name: hub.persons.name_of(id),
    }
}

fn requester(hub: &Hub, r: &Requester) -> wire::Person {
    person(hub, r.party, r.role, r.person.as_str())
}

/// The privacy officer calling, as a wire person acting as privacy officer.
pub fn officer(officer: &super::Officer) -> wire::Person {
    wire::Person {
        id: officer.person.id.clone(),
        party: Some(officer.party.to_proto()),
        roles: vec![Role::PrivacyOfficer.as_str().to_owned()],
        stadsdeel: String::new(),
        name: officer.person.name.clone().unwrap_or_default(),
    }
}

fn pseudonym(hex: &str) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: hex.to_owned(),
    })
}

fn logged_at(entry: &Entry) -> Option<prost_types::Timestamp> {
    entry.time.to_datetime().map(timestamp)
}

/// One stored entry in wire form; its bytes only when `include_entry`.
pub fn log_entry(hub: &Hub, stored: &StoredEntry, include_entry: bool) -> wire::LogEntry {
    let entry = &stored.entry;
    let mut out = wire::LogEntry {
        leaf_index: stored.index,
        leaf_hash: stored.leaf_hash().as_bytes().to_vec(),
        logged_at: logged_at(entry),
        kind: entry.kind().as_str().to_owned(),
        covenant_version: entry.covenant_version,
        case_id: entry
            .case()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        entry: if include_entry {
            stored.bytes.clone()
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    match &entry.event {
        Event::ShareDecision(d) => {
            let recipient = requester(hub, &d.requester);
            out.share_decision = Some(wire::ShareDecisionLog {
                // The log records one moment per decision: the engine's `at`.
                decided_at: logged_at(entry),
                requester: Some(recipient.clone()),
                source: Some(party(hub, d.source)),
                // The requester of a case file is the person the share is for.
                recipient: Some(recipient),
                subject: pseudonym(d.subject.as_str()),
                // The subject's role is not in the entry (it is in the case); left empty.
                subject_role: String::new(),
                category: d.category.as_str().to_owned(),
                purpose: d.purpose.as_str().to_owned(),
                fields_offered: d.fields_offered.iter().map(|f| f.to_string()).collect(),
                decision: Some(wire::ShareDecision {
                    outcome: d.outcome.as_str().to_owned(),
                    passed: d.fields_passed().iter().map(|f| f.to_string()).collect(),
                    stripped: d.fields_stripped.iter().map(|f| f.to_string()).collect(),
                    articles: d.articles.iter().map(|a| a.to_string()).collect(),
                    // Obligations are not logged (article 10.1 does not list them).
                    obligations: Vec::new(),
                    emergency: d.emergency,
                    notify: d
                        .notifications
                        .iter()
                        .map(|n| wire::Notification {
                            kind: "privacy-officer".into(),
                            oin: format!("{:020}", n.party.0),
                            article: n.article.to_string(),
                        })
                        .collect(),
                    covenant_version: entry.covenant_version,
                }),
                // Only the hub's own decisions are logged today.
                decided_by: "hub".into(),
                case_context: None,
                case_file_id: String::new(),
                source_reference: String::new(),
            });
        }
        Event::CaseChange(c) => {
            let mut log = wire::CaseChangeLog {
                actor: Some(requester(hub, &c.actor)),
                ..Default::default()
            };
            let (word, _) = case_change_word(&c.change);
            log.change = word.to_owned();
            match &c.change {
                CaseChangeKind::CaseCreated => log.to_phase = "melding".into(),
                CaseChangeKind::PhaseMoved { from, to } => {
                    log.from_phase = from.as_str().to_owned();
                    log.to_phase = to.as_str().to_owned();
                }
                CaseChangeKind::SubjectAdded { subject, role }
                | CaseChangeKind::SubjectUpdated { subject, role } => {
                    log.subject = pseudonym(subject.as_str());
                    log.subject_role = role.as_str().to_owned();
                }
                CaseChangeKind::SubjectRemoved { subject } => {
                    log.subject = pseudonym(subject.as_str());
                }
                CaseChangeKind::ConsentRecorded { subject, category }
                | CaseChangeKind::ConsentWithdrawn { subject, category } => {
                    log.subject = pseudonym(subject.as_str());
                    log.category = category.as_str().to_owned();
                }
                CaseChangeKind::ParticipantAdded { party: p }
                | CaseChangeKind::ParticipantRemoved { party: p } => {
                    log.party = Some(party(hub, *p));
                }
                CaseChangeKind::Escalated
                | CaseChangeKind::ContactRecorded
                | CaseChangeKind::EmergencyDeclared => {}
            }
            out.case_change = Some(log);
        }
        Event::RetentionDeletion(r) => {
            out.retention_deletion = Some(wire::RetentionDeletionLog {
                article: r.article.to_string(),
                final_phase: if r.article.to_string() == "9.2" {
                    "buiten-aanpak".into()
                } else {
                    "afgesloten".into()
                },
                phase_entered_at: r.case_ended.to_datetime().map(timestamp),
                ..Default::default()
            });
        }
        Event::CovenantApproval(a) => {
            out.covenant_approval = Some(wire::CovenantApprovalLog {
                version: a.version,
                text_sha256: a.text_hash.0.as_bytes().to_vec(),
                action: match a.step {
                    ApprovalStep::Proposed => "proposed",
                    ApprovalStep::Approved => "approved",
                    ApprovalStep::Activated => "in-force",
                }
                .into(),
                actor: Some(requester(hub, &a.actor)),
            });
        }
    }
    out
}

/// The CaseEvent word of a logged case change, and its party if it names one.
pub fn case_change_word(change: &CaseChangeKind) -> (&'static str, Option<EngineOin>) {
    match change {
        CaseChangeKind::CaseCreated => ("case-created", None),
        CaseChangeKind::PhaseMoved { .. } => ("phase-moved", None),
        CaseChangeKind::Escalated => ("escalated", None),
        CaseChangeKind::ContactRecorded => ("contact-recorded", None),
        CaseChangeKind::SubjectAdded { .. } => ("subject-added", None),
        CaseChangeKind::SubjectUpdated { .. } => ("subject-updated", None),
        CaseChangeKind::SubjectRemoved { .. } => ("subject-removed", None),
        CaseChangeKind::ConsentRecorded { .. } => ("consent-recorded", None),
        CaseChangeKind::ConsentWithdrawn { .. } => ("consent-withdrawn", None),
        CaseChangeKind::ParticipantAdded { party } => ("participant-added", Some(*party)),
        CaseChangeKind::ParticipantRemoved { party } => ("participant-removed", Some(*party)),
        CaseChangeKind::EmergencyDeclared => ("emergency-declared", None),
    }
}
