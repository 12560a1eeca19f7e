//! Who may see and change a case (articles 5.2, 5.3, 5.4, 14.1, 15.1).
//!
//! Three kinds of caller have access to a case: the case team (an informatiemakelaar or
//! stadsdeelregisseur of the case's stadsdeel, and the stedelijk-regisseur once the case
//! is escalated), a participant (a partnercontact of a party in the plan van aanpak),
//! and the declarer of the emergency active on the case. A person with several roles
//! acts in the first that gives access, in the order stadsdeelregisseur,
//! informatiemakelaar, stedelijk-regisseur, partnercontact.

use time::OffsetDateTime;
use treiter_policies::vocab::Role;

use super::CaseError;
use super::model::{ActorRef, Case};
use crate::persons::Person;

/// How a caller has access to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    CaseTeam,
    Participant,
    Declarer,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::CaseTeam => "case-team",
            AccessKind::Participant => "participant",
            AccessKind::Declarer => "declarer",
        }
    }
}

/// The role a caller acts in on a case and how they have access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acting {
    pub role: Role,
    pub access: AccessKind,
}

/// What a caller wants to do with a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// See the case.
    View,
    /// Move its phase, edit subjects and consent: the case team.
    Edit,
    /// Record contact with the melder: an informatiemakelaar or stadsdeelregisseur of
    /// the stadsdeel.
    RecordContact,
    /// Escalate: a stadsdeelregisseur of the stadsdeel.
    Escalate,
    /// Add or remove participants: a stadsdeelregisseur of the stadsdeel, or the
    /// stedelijk-regisseur on an escalated case.
    ManageParticipants,
}

const ORDER: [Role; 4] = [
    Role::Stadsdeelregisseur,
    Role::Informatiemakelaar,
    Role::StedelijkRegisseur,
    Role::Partnercontact,
];

/// How `person` has access to `case` at `at`, if at all.
pub fn access(person: &Person, case: &Case, at: OffsetDateTime) -> Option<Acting> {
    for role in ORDER {
        if !person.has_role(role) {
            continue;
        }
        let access = match role {
            Role::Stadsdeelregisseur | Role::Informatiemakelaar => {
                (person.stadsdeel == Some(case.stadsdeel)).then_some(AccessKind::CaseTeam)
            }
            Role::StedelijkRegisseur => case.escalated().then_some(AccessKind::CaseTeam),
            Role::Partnercontact => case
                .is_participant(person.party.as_str())
                .then_some(AccessKind::Participant),
            Role::PrivacyOfficer | Role::Auditor => None,
        };
        if let Some(access) = access {
            return Some(Acting { role, access });
        }
    }
    let emergency = case.active_emergency(at)?;
    (emergency.declared_by.person == person.id).then_some(Acting {
        role: emergency.declared_by.role,
        access: AccessKind::Declarer,
    })
}

fn describe(person: &Person) -> String {
    let roles: Vec<String> = person
        .roles
        .iter()
        .map(|r| match (r, person.stadsdeel) {
            (Role::Informatiemakelaar | Role::Stadsdeelregisseur, Some(s)) => format!("{r} of {s}"),
            _ => r.to_string(),
        })
        .collect();
    roles.join(", ")
}

/// Checks that `person` may do `op` on `case`; returns the actor to record.
pub fn authorise(
    person: &Person,
    case: &Case,
    op: Operation,
    at: OffsetDateTime,
) -> Result<ActorRef, CaseError> {
    let acting = access(person, case, at);
    let stadsdeel = case.stadsdeel;
    let allowed: &[Role] = match op {
        Operation::View => &[],
        Operation::Edit => &[
            Role::Stadsdeelregisseur,
            Role::Informatiemakelaar,
            Role::StedelijkRegisseur,
        ],
        Operation::RecordContact => &[Role::Stadsdeelregisseur, Role::Informatiemakelaar],
        Operation::Escalate => &[Role::Stadsdeelregisseur],
        Operation::ManageParticipants => &[Role::Stadsdeelregisseur, Role::StedelijkRegisseur],
    };
    let ok = match (acting, op) {
        (Some(_), Operation::View) => true,
        (Some(a), _) => a.access == AccessKind::CaseTeam && allowed.contains(&a.role),
        (None, _) => false,
    };
    if let Some(acting) = acting.filter(|_| ok) {
        return Ok(ActorRef {
            person: person.id.clone(),
            party: person.party.to_string(),
            role: acting.role,
        });
    }
    let needed = match op {
        Operation::View => format!(
            "access to case {} needs the case team of stadsdeel {stadsdeel} (art. 5.3), a partnercontact of a participating party (art. 5.4), or the stedelijk-regisseur once it is escalated (art. 14.1)",
            case.id
        ),
        Operation::Edit => format!(
            "changing case {} needs an informatiemakelaar or stadsdeelregisseur of stadsdeel {stadsdeel} (art. 5.3), or the stedelijk-regisseur once it is escalated (art. 14.1)",
            case.id
        ),
        Operation::RecordContact => format!(
            "recording contact on case {} needs an informatiemakelaar or stadsdeelregisseur of stadsdeel {stadsdeel} (art. 5.3)",
            case.id
        ),
        Operation::Escalate => format!(
            "escalating case {} needs a stadsdeelregisseur of stadsdeel {stadsdeel} (art. 5.3, 14)",
            case.id
        ),
        Operation::ManageParticipants => format!(
            "changing the participants of case {} needs a stadsdeelregisseur of stadsdeel {stadsdeel} (art. 5.3, 5.4), or the stedelijk-regisseur once it is escalated (art. 14.1)",
            case.id
        ),
    };
    Err(CaseError::PermissionDenied(format!(
        "{needed}; you are {}",
        describe(person)
    )))
}

/// Checks that `person` may register a case in `stadsdeel` (article 5.3).
pub fn authorise_create(
    person: &Person,
    stadsdeel: treiter_policies::vocab::Stadsdeel,
) -> Result<ActorRef, CaseError> {
    for role in [Role::Stadsdeelregisseur, Role::Informatiemakelaar] {
        if person.has_role(role) && person.stadsdeel == Some(stadsdeel) {
            return Ok(ActorRef {
                person: person.id.clone(),
                party: person.party.to_string(),
                role,
            });
        }
    }
    Err(CaseError::PermissionDenied(format!(
        "registering a case in stadsdeel {stadsdeel} needs an informatiemakelaar or stadsdeelregisseur of {stadsdeel} (art. 5.2, 5.3); you are {}",
        describe(person)
    )))
}

/// Checks that `person` may declare an emergency (article 15.1): any stadsdeelregisseur,
/// or a partnercontact of a party of kind `politie`.
pub fn authorise_emergency(
    person: &Person,
    party_kind: treiter_policies::vocab::PartyKind,
) -> Result<ActorRef, CaseError> {
    let role = if person.has_role(Role::Stadsdeelregisseur) {
        Some(Role::Stadsdeelregisseur)
    } else if person.has_role(Role::Partnercontact)
        && party_kind == treiter_policies::vocab::PartyKind::Politie
    {
        Some(Role::Partnercontact)
    } else {
        None
    };
    role.map(|role| ActorRef {
        person: person.id.clone(),
        party: person.party.to_string(),
        role,
    })
    .ok_or_else(|| {
        CaseError::PermissionDenied(format!(
            "an emergency is declared by a stadsdeelregisseur or a partnercontact of the politie (art. 15.1); you are {}",
            describe(person)
        ))
    })
}
