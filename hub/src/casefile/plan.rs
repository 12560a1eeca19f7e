//! Planning a case file or bevraging before anything is asked: the requester's
//! context (the case, their role, the purpose and whether it fits the phase), the
//! deadline, and, with the engine, which party could provide what.
//!
//! A party is asked about a subject only for the categories an (empty) share of which
//! the engine would permit: a partner for whom every such share is denied is not asked,
//! and so learns nothing (article 8.4). Nothing here asks or stores anything.

use std::collections::BTreeSet;
use std::time::Duration;

use time::OffsetDateTime;
use treiter_policies::vocab::{Category, Purpose};

use super::CaseFileError;
use super::decide::{ShareContext, permits};
use crate::cases::access::AccessKind;
use crate::parties::Party;
use crate::persons::Person;
use crate::state::Hub;

/// The longest per-partner deadline a request may ask for.
pub const MAX_DEADLINE: Duration = Duration::from_secs(60);

/// What was decided for one party and subject before anything was asked.
pub(super) struct Plan {
    pub party: Party,
    /// Per subject: the categories the party may provide to the requester.
    pub subjects: Vec<(String, Vec<Category>)>,
    /// Articles of the refusals, for subjects (or a party) with nothing to ask.
    pub refused: BTreeSet<String>,
}

/// Works out, with the engine, what each party could provide: a party is asked about a
/// subject only for the categories an (empty) share of which would be permitted.
pub(super) fn plan(
    hub: &Hub,
    ctx: &ShareContext,
    subjects: &[String],
    categories: &[Category],
) -> Result<Vec<Plan>, CaseFileError> {
    let mut plans = Vec::new();
    for party in hub.parties.current().iter() {
        // Gathered as numbers, written once each at the end: most categories are
        // refused for most partners, citing the same few articles (issue 20).
        let mut refused_articles = BTreeSet::new();
        let mut planned = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let mut allowed = Vec::new();
            let Some(first) = categories.first().copied() else {
                planned.push((subject.clone(), allowed));
                continue;
            };
            // One request per party and subject, its category changed in turn: the
            // engine's view of the case is built once, not for every category.
            let mut request = ctx.request(party, subject, first, Vec::new())?;
            for category in categories.iter().copied() {
                request.category = category;
                let decision = ctx.covenant.decide(&request);
                if permits(&decision) {
                    allowed.push(category);
                } else {
                    refused_articles.extend(decision.articles.iter().copied());
                }
            }
            planned.push((subject.clone(), allowed));
        }
        plans.push(Plan {
            party: party.clone(),
            subjects: planned,
            refused: refused_articles.iter().map(|a| a.to_string()).collect(),
        });
    }
    Ok(plans)
}

/// The requester's context for a case file or bevraging on `case_id`.
pub(super) fn context(
    hub: &Hub,
    person: &Person,
    party: &Party,
    case_id: &str,
    purpose: Purpose,
    at: OffsetDateTime,
) -> Result<(ShareContext, bool), CaseFileError> {
    let (case, acting) = hub.cases.get(person, case_id, at)?;
    if purpose == Purpose::Evaluatie {
        return Err(CaseFileError::EvaluatieSharesNothing);
    }
    if crate::cases::model::is_closed(case.phase) {
        return Err(CaseFileError::CaseClosed {
            case: case.id.clone(),
            phase: case.phase.to_string(),
        });
    }
    // Article 4.2, as the encoding states it; the requester's own active emergency sets
    // it aside for purpose aanpak (article 15.1).
    let fits = |p: Purpose| hub.covenant.current().compiled().fit(p).0 & case.phase.bit() != 0;
    let own_emergency = purpose == Purpose::Aanpak
        && case
            .active_emergency(at)
            .is_some_and(|e| e.declared_by.person == person.id);
    if !fits(purpose) && !own_emergency {
        let fitting: Vec<&str> = Purpose::ALL
            .iter()
            .filter(|p| fits(**p))
            .map(|p| p.as_str())
            .collect();
        return Err(CaseFileError::PurposeDoesNotFit {
            purpose: purpose.to_string(),
            phase: case.phase.to_string(),
            case: case.id.clone(),
            fitting: fitting.join(", "),
        });
    }
    let team = acting.access == AccessKind::CaseTeam;
    Ok((
        ShareContext {
            covenant: hub.covenant.current(),
            case,
            requester: person.clone(),
            requester_party: party.clone(),
            role: acting.role,
            purpose,
            at,
        },
        team,
    ))
}

/// The per-partner deadline a request asks for (`0`: the hub's default).
pub(super) fn deadline_of(hub: &Hub, ms: u32) -> Result<Duration, CaseFileError> {
    match ms {
        0 => Ok(hub.questions.answer_deadline),
        ms if Duration::from_millis(ms.into()) > MAX_DEADLINE => {
            Err(CaseFileError::DeadlineTooLong {
                max_ms: MAX_DEADLINE.as_millis(),
            })
        }
        ms => Ok(Duration::from_millis(ms.into())),
    }
}
