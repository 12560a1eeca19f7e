//! The bridge between a case file and the covenant engine: the decision request for one
//! share, and the engine's decision in wire form.

use std::sync::Arc;

use time::OffsetDateTime;
use treiter_policies::Covenant;
use treiter_policies::request::{
    self as engine, Decision, DecisionRequest, Obligation, Oin as EngineOin, Outcome, Timestamp,
};
use treiter_policies::vocab::{Category, Purpose, Role};
use treiter_proto::v1 as wire;

use crate::cases::model::Case;
use crate::parties::Party;
use crate::persons::Person;
use crate::service::coordinator::timestamp;

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

fn engine_oin(oin: &str) -> EngineOin {
    // OINs here come from the covenant's own party list and the registry, both
    // validated as 20 digits at start-up.
    EngineOin::parse(oin).unwrap_or(EngineOin(0))
}

impl ShareContext {
    /// The engine's view of the case.
    pub fn engine_case(&self) -> engine::Case {
        engine::Case {
            id: self.case.id.clone(),
            stadsdeel: self.case.stadsdeel,
            phase: self.case.phase,
            escalated: self.case.escalated(),
            participants: self
                .case
                .participants
                .iter()
                .map(|p| engine_oin(&p.party))
                .collect(),
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
        }
    }

    /// The decision request for one share from `source` about `subject`.
    pub fn request(
        &self,
        source: &Party,
        subject: &str,
        category: Category,
        fields: Vec<String>,
    ) -> DecisionRequest {
        DecisionRequest {
            at: Timestamp(self.at),
            case: self.engine_case(),
            source: engine::Source {
                oin: engine_oin(source.oin.as_str()),
                kind: source.kind,
            },
            recipient: engine::Recipient {
                oin: engine_oin(self.requester_party.oin.as_str()),
                kind: self.requester_party.kind,
                role: self.role,
                stadsdeel: self.requester.stadsdeel,
                person: self.requester.id.clone(),
            },
            subject: subject.to_owned(),
            category,
            purpose: self.purpose,
            fields,
        }
    }

    /// Decides one share.
    pub fn decide(
        &self,
        source: &Party,
        subject: &str,
        category: Category,
        fields: Vec<String>,
    ) -> Decision {
        self.covenant
            .decide(&self.request(source, subject, category, fields))
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

/// A decision in wire form.
pub fn wire_decision(decision: &Decision) -> wire::ShareDecision {
    wire::ShareDecision {
        outcome: decision.outcome.as_str().to_owned(),
        passed: decision.passed.clone(),
        stripped: decision.stripped.clone(),
        articles: decision.articles.iter().map(|a| a.to_string()).collect(),
        obligations: decision
            .obligations
            .iter()
            .map(|o| match o {
                Obligation::Retention { article } => wire::Obligation {
                    kind: "retention".into(),
                    article: article.to_string(),
                    purpose: String::new(),
                },
                Obligation::PurposeBinding { purpose, article } => wire::Obligation {
                    kind: "purpose-binding".into(),
                    article: article.to_string(),
                    purpose: purpose.as_str().to_owned(),
                },
                Obligation::Review { article } => wire::Obligation {
                    kind: "review".into(),
                    article: article.to_string(),
                    purpose: String::new(),
                },
            })
            .collect(),
        emergency: decision.emergency,
        notify: decision
            .notify
            .iter()
            .map(|n| wire::Notification {
                kind: "privacy-officer".into(),
                oin: format!("{:020}", n.oin.0),
                article: n.article.to_string(),
            })
            .collect(),
        covenant_version: decision.covenant_version,
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
    let recipient = engine_oin(ctx.requester_party.oin.as_str());
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
            source: engine_oin(source.oin.as_str()),
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
