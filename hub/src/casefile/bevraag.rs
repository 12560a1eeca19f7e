//! Bevraging on its own (article 8.4): asking every relevant party whether it knows
//! one subject of a case, hit or no hit, without asking for records. Nothing is queued
//! for offline partners: a bevraging is a question of the moment.

use std::sync::Arc;

use treiter_policies::vocab::{Category, Phase, Purpose};
use treiter_proto::v1 as wire;
use treiter_proto::v1::{answer, question};

use super::ask::no_answer;
use super::plan::{context, deadline_of, plan};
use super::{CaseFileError, subject_hex};
use crate::clock::timestamp;
use crate::fanout::{Ask, FanOut};
use crate::parties::Party;
use crate::persons::Person;
use crate::questions::AskOutcome;
use crate::state::Hub;

/// Asks every relevant party whether it knows one subject (article 8.4); nothing is
/// queued for offline partners.
pub async fn bevraag(
    hub: &Arc<Hub>,
    person: &Person,
    party: &Party,
    req: &wire::BevraagRequest,
) -> Result<wire::BevragingResult, CaseFileError> {
    let at = hub.clock.now();
    let subject = req
        .subject
        .as_ref()
        .map(|s| s.hex.clone())
        .unwrap_or_default();
    let (case, _) = hub.cases.get(person, &req.case_id, at)?;
    let purpose = match case.phase {
        Phase::Melding | Phase::Registratie => Purpose::Registratie,
        Phase::Duiding => Purpose::Duiding,
        _ => Purpose::Aanpak,
    };
    let (ctx, _) = context(hub, person, party, &req.case_id, purpose, at)?;
    if ctx.case.subject(&subject).is_none() {
        return Err(CaseFileError::SubjectNotInCase(ctx.case.id.clone()));
    }
    let wait = deadline_of(hub, req.deadline_ms)?;
    let plans = plan(hub, &ctx, std::slice::from_ref(&subject), Category::ALL)?;
    let mut partners: Vec<wire::PartnerHit> = plans
        .iter()
        .map(|plan| wire::PartnerHit {
            party: Some(plan.party.to_proto()),
            result: "not-asked".into(),
            articles: plan.refused.iter().cloned().collect(),
            ..Default::default()
        })
        .collect();
    // The positions (in `partners`) of the parties asked, in the order asked.
    let asked: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(_, plan)| plan.subjects.iter().any(|(_, c)| !c.is_empty()))
        .map(|(index, _)| index)
        .collect();
    let asks = asked
        .iter()
        .filter_map(|&index| plans.get(index))
        .map(|plan| Ask {
            party: plan.party.oin.clone(),
            question: question::Kind::Bevraging(wire::Bevraging {
                subject: subject_hex(&subject),
                more_subjects: Vec::new(),
            }),
        });
    let mut fan_out = FanOut::start(&hub.questioner, asks, wait, false);
    while let Some(settled) = fan_out.next().await {
        let Some(partner) = asked
            .get(settled.index)
            .and_then(|&index| partners.get_mut(index))
        else {
            continue;
        };
        partner.articles.clear();
        match &settled.outcome {
            AskOutcome::Answered(wire::Answer {
                kind: Some(answer::Kind::Bevraging(b)),
                ..
            }) => {
                partner.result = if b.hit { "hit" } else { "no-hit" }.into();
                partner.answered_at = Some(timestamp(hub.clock.now()));
            }
            other => {
                partner.result = "no-answer".into();
                partner.no_answer_reason = no_answer(other).0;
            }
        }
    }
    tracing::info!(case = %ctx.case.id, subject = %subject, requester = %person.id, "bevraging");
    Ok(wire::BevragingResult {
        case_id: ctx.case.id.clone(),
        subject: subject_hex(&subject),
        purpose: purpose.as_str().to_owned(),
        partners,
        asked_at: Some(timestamp(at)),
        log_leaf_index: 0,
    })
}
