//! The bridge between a case file and the covenant engine: the decision request for one
//! share, and its decision-log entry. (The decision in wire form is
//! [`treiter_proto::decision::share_decision`], shared with the agents.)
//!
//! The engine decides with OINs as numbers. An OIN that does not parse is never
//! replaced by a stand-in: the request is not made and the share is refused
//! ([`CaseFileError::MalformedOin`]), so a damaged record fails closed, in words.

use std::sync::Arc;

use time::OffsetDateTime;
use treiter_policies::Covenant;
use treiter_policies::request::{
    self as engine, Decision, DecisionRequest, Oin as EngineOin, Outcome, Timestamp,
};
use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::v1 as wire;

use super::CaseFileError;
use crate::cases::model::Case;
use crate::clock::timestamp;
use crate::parties::Party;
use crate::persons::Person;

/// Everything fixed for one case-file request: the case as it is, the recipient, the
/// purpose and the moment of decision.
#[derive(Clone, Debug)]
pub struct ShareContext {
    pub covenant: Arc<Covenant>,
    pub case: Case,
    pub requester: Person,
    pub requester_party: Party,
    pub role: Role,
    pub purpose: Purpose,
    pub at: OffsetDateTime,
}

/// The engine's form of `oin`, the OIN of `what`; a malformed one refuses the share.
fn engine_oin(oin: &str, what: &'static str) -> Result<EngineOin, CaseFileError> {
    // OINs here come from the covenant's own party list, the registry and the case's
    // participants, all validated as 20 digits when they came in; one that does not
    // parse now was damaged since, and deciding with a stand-in could pass a share the
    // covenant would refuse.
    EngineOin::parse(oin).ok_or(CaseFileError::MalformedOin { what })
}

impl ShareContext {
    /// The engine's view of the case; refused when a participant's OIN is malformed.
    pub fn engine_case(&self) -> Result<engine::Case, CaseFileError> {
        Ok(engine::Case {
            id: self.case.id.clone(),
            stadsdeel: self.case.stadsdeel,
            phase: self.case.phase,
            escalated: self.case.escalated(),
            participants: self
                .case
                .participants
                .iter()
                .map(|p| engine_oin(&p.party, "case's participant list"))
                .collect::<Result<_, _>>()?,
            subjects: self
                .case
                .subjects
                .iter()
                .map(|s| engine::Subject {
                    id: s.pseudonym.clone(),
                    role: s.role,
                    consent: s.consent_in_force(),
                })
                .collect(),
            // The latest emergency, active or not: the engine times it against `at`
            // (article 15.3) and cites an expired one.
            emergency: self.case.emergencies.last().map(|e| engine::Emergency {
                declared_by: e.declared_by.person.clone(),
                declared_at: Timestamp(e.declared_at),
                reason: String::new(),
            }),
        })
    }

    /// The decision request for one share from `source` about `subject`; refused
    /// (never made with a stand-in) when an OIN it needs is malformed.
    pub fn request(
        &self,
        source: &Party,
        subject: &str,
        category: Category,
        fields: Vec<String>,
    ) -> Result<DecisionRequest, CaseFileError> {
        Ok(DecisionRequest {
            at: Timestamp(self.at),
            case: self.engine_case()?,
            source: engine::Source {
                oin: engine_oin(source.oin.as_str(), "source party")?,
                kind: source.kind,
            },
            recipient: engine::Recipient {
                oin: engine_oin(self.requester_party.oin.as_str(), "requester's party")?,
                kind: self.requester_party.kind,
                role: self.role,
                stadsdeel: self.requester.stadsdeel,
                person: self.requester.id.clone(),
            },
            subject: subject.to_owned(),
            category,
            purpose: self.purpose,
            fields,
        })
    }

    /// Decides one share; an error when the request cannot be made (then nothing of
    /// the share may pass).
    pub fn decide(
        &self,
        source: &Party,
        subject: &str,
        category: Category,
        fields: Vec<String>,
    ) -> Result<Decision, CaseFileError> {
        Ok(self
            .covenant
            .decide(&self.request(source, subject, category, fields)?))
    }

    /// The case as an agent needs it to pre-check its own shares.
    pub fn wire_context(&self) -> wire::CaseContext {
        wire::CaseContext {
            id: self.case.id.clone(),
            stadsdeel: self.case.stadsdeel.as_str().to_owned(),
            phase: self.case.phase.as_str().to_owned(),
            escalated: self.case.escalated(),
            participants: self
                .case
                .participants
                .iter()
                .map(|p| p.party.clone())
                .collect(),
            subjects: self
                .case
                .subjects
                .iter()
                .map(|s| wire::CaseSubject {
                    subject: Some(wire::SubjectPseudonym {
                        hex: s.pseudonym.clone(),
                    }),
                    role: s.role.as_str().to_owned(),
                    consent: s
                        .consent_in_force()
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect(),
                })
                .collect(),
            emergency: self.case.emergencies.last().map(|e| wire::Emergency {
                declared_by: e.declared_by.person.clone(),
                declared_at: Some(timestamp(e.declared_at)),
            }),
        }
    }

    /// The recipient as an agent needs it.
    pub fn wire_recipient(&self) -> wire::Recipient {
        wire::Recipient {
            oin: self.requester_party.oin.to_string(),
            kind: self.requester_party.kind.as_str().to_owned(),
            role: self.role.as_str().to_owned(),
            stadsdeel: self
                .requester
                .stadsdeel
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            person: self.requester.id.clone(),
        }
    }
}

/// Whether the decision lets the share pass.
pub fn permits(decision: &Decision) -> bool {
    decision.outcome == Outcome::Permit
}

/// The decision-log entry for one decided share (article 10.1): names, never values.
pub fn log_entry(
    ctx: &ShareContext,
    source: &Party,
    subject: &str,
    category: Category,
    offered: &[String],
    decision: &Decision,
) -> Result<crate::log::Entry, crate::log::EntryError> {
    use crate::log::entry::{
        CaseId, FieldNames, LogTime, Notification, PersonId, Pseudonym, Requester, ShareDecision,
    };
    let oin = |what: &'static str, oin: &str| {
        EngineOin::parse(oin).ok_or(crate::log::EntryError::BadValue {
            what,
            problem: "not an OIN of 20 digits",
            length: oin.chars().count(),
        })
    };
    let recipient = oin("recipient", ctx.requester_party.oin.as_str())?;
    let (fields_offered, withheld_field_names) = FieldNames::from_offered(offered);
    let (fields_stripped, _) = FieldNames::from_offered(&decision.stripped);
    Ok(crate::log::Entry {
        time: LogTime::from_datetime(ctx.at)?,
        covenant_version: decision.covenant_version,
        event: crate::log::Event::ShareDecision(ShareDecision {
            requester: Requester {
                party: recipient,
                role: ctx.role,
                person: PersonId::parse(&ctx.requester.id)?,
            },
            source: oin("source", source.oin.as_str())?,
            recipient,
            case: CaseId::parse(&ctx.case.id)?,
            subject: Pseudonym::parse(subject)?,
            category,
            purpose: ctx.purpose,
            fields_offered,
            fields_stripped,
            withheld_field_names,
            outcome: decision.outcome,
            articles: decision.articles.iter().copied().collect(),
            emergency: decision.emergency,
            notifications: decision
                .notify
                .iter()
                .map(|n| Notification {
                    party: n.oin,
                    article: n.article,
                })
                .collect(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::model::{ActorRef, Participant};
    use crate::identity::Oin;
    use treiter_policies::vocab::{PartyKind, Phase, Stadsdeel};

    const POLITIE: &str = "00000001003214345000";
    const GEMEENTE: &str = "00000001002564440000";

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("a moment")
    }

    fn party(oin: &str, kind: PartyKind) -> Party {
        Party {
            oin: Oin::parse(oin).expect("an OIN"),
            name: "partij".into(),
            kind,
        }
    }

    /// A context whose case lists `participant` as its participant's OIN.
    fn context(participant: &str) -> ShareContext {
        let actor = ActorRef {
            person: "p-1".into(),
            party: GEMEENTE.into(),
            role: Role::Stadsdeelregisseur,
        };
        ShareContext {
            covenant: Arc::new(
                Covenant::parse("t", treiter_policies::TREITERAANPAK_COVENANT).expect("covenant"),
            ),
            case: Case {
                id: "C-2026-0001".into(),
                stadsdeel: Stadsdeel::Oost,
                phase: Phase::Duiding,
                phase_since: at(),
                melding_at: at(),
                registered_at: at(),
                registered_by: actor.clone(),
                external_reference: String::new(),
                contact_due: at(),
                contact: None,
                escalation: None,
                subjects: Vec::new(),
                participants: vec![Participant {
                    party: participant.into(),
                    added_at: at(),
                    added_by: actor,
                }],
                emergencies: Vec::new(),
                history: Vec::new(),
            },
            requester: Person {
                id: "p-1".into(),
                name: None,
                party: Oin::parse(GEMEENTE).expect("an OIN"),
                roles: vec![Role::Stadsdeelregisseur],
                stadsdeel: Some(Stadsdeel::Oost),
            },
            requester_party: party(GEMEENTE, PartyKind::Gemeente),
            role: Role::Stadsdeelregisseur,
            purpose: Purpose::Duiding,
            at: at(),
        }
    }

    #[test]
    fn a_malformed_oin_in_the_case_refuses_the_share_instead_of_deciding_with_a_stand_in() {
        let source = party(POLITIE, PartyKind::Politie);
        let sound = context(POLITIE);
        assert!(
            sound
                .decide(&source, "ab", Category::PolitieIncidenten, Vec::new())
                .is_ok(),
            "a sound case is decided"
        );

        let damaged = context("0000000100321434500X");
        let refused = damaged
            .request(&source, "ab", Category::PolitieIncidenten, Vec::new())
            .expect_err("no request with a stand-in OIN");
        assert!(
            matches!(refused, CaseFileError::MalformedOin { .. }),
            "{refused:?}"
        );
        assert!(
            refused.to_string().contains("nothing is shared"),
            "{refused}"
        );
        assert!(
            damaged
                .decide(&source, "ab", Category::PolitieIncidenten, Vec::new())
                .is_err(),
            "no decision either"
        );
    }
}
