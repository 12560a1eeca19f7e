//! `Coordinator`: cases, subjects, consent, participants and emergencies, for
//! informatiemakelaars, stadsdeelregisseurs, the stedelijk-regisseur and partnercontacts.
//!
//! Thin handlers: authenticate the person (certificate + registry), parse the request's
//! vocabulary words, call the case registry, and render the case as the caller may see
//! it (working notes and consent for the case team only).

use std::sync::Arc;

use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use treiter_policies::vocab::{Category, Phase, Role, Stadsdeel, SubjectRole};
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_server::Coordinator;

use crate::cases::access::AccessKind;
use crate::cases::model::{ActorRef, Case, CaseEvent, EventKind, next_phases};
use crate::cases::{CaseRegistry, Change, LabelChange, ListFilter, Prepared};
use crate::identity::Oin;
use crate::parties::Party;
use crate::persons::Person;
use crate::state::Hub;

pub struct CoordinatorService {
    hub: Arc<Hub>,
}

impl CoordinatorService {
    pub fn new(hub: Arc<Hub>) -> Self {
        CoordinatorService { hub }
    }

    /// The person calling, or a refusal: coordinators need a person certificate, and
    /// a privacy officer (article 5.2) or an auditor (5.5) receives no case data.
    fn person<T>(&self, request: &Request<T>) -> Result<(Person, Party), Status> {
        self.hub.authenticate_person(request)
    }

    fn case_person<T>(&self, request: &Request<T>) -> Result<(Person, Party), Status> {
        let (person, party) = self.person(request)?;
        // The registry gives an auditor no other role (persons.rs), but refuse on the
        // role itself: an auditor must never reach a case, whatever else it holds.
        if person.has_role(Role::Auditor) {
            return Err(Status::permission_denied(format!(
                "person {} is an auditor: an auditor receives no case data and changes nothing; it reads the decision log's metadata (art. 5.5)",
                person.id
            )));
        }
        if person.roles.iter().all(|r| *r == Role::PrivacyOfficer) {
            return Err(Status::permission_denied(
                "a privacy-officer receives no case data (art. 5.2)",
            ));
        }
        Ok((person, party))
    }

    fn wire_person(&self, actor: &ActorRef) -> wire::Person {
        let party = Oin::parse(&actor.party)
            .ok()
            .and_then(|oin| self.hub.parties.get(&oin).ok().map(|p| p.to_proto()));
        let stadsdeel = Oin::parse(&actor.party)
            .ok()
            .and_then(|oin| self.hub.persons.resolve(&actor.person, &oin).ok())
            .and_then(|p| p.stadsdeel)
            .filter(|_| {
                matches!(
                    actor.role,
                    Role::Informatiemakelaar | Role::Stadsdeelregisseur
                )
            })
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        wire::Person {
            id: actor.person.clone(),
            party,
            roles: vec![actor.role.as_str().to_owned()],
            stadsdeel,
            name: self.hub.persons.name_of(&actor.person),
        }
    }

    fn wire_party(&self, oin: &str) -> Option<wire::Party> {
        Oin::parse(oin)
            .ok()
            .and_then(|oin| self.hub.parties.get(&oin).ok().map(|p| p.to_proto()))
    }

    fn wire_event(&self, event: &CaseEvent, team: bool) -> wire::CaseEvent {
        let (from_phase, to_phase, subject, category, party) = match &event.kind {
            EventKind::CaseCreated => (None, Some(Phase::Melding), None, None, None),
            EventKind::PhaseMoved { from, to } => (Some(*from), Some(*to), None, None, None),
            EventKind::SubjectAdded { subject, .. }
            | EventKind::SubjectUpdated { subject, .. }
            | EventKind::SubjectRemoved { subject } => (None, None, Some(subject), None, None),
            EventKind::ConsentRecorded { subject, category }
            | EventKind::ConsentWithdrawn { subject, category } => {
                (None, None, Some(subject), Some(*category), None)
            }
            EventKind::ParticipantAdded { party } | EventKind::ParticipantRemoved { party } => {
                (None, None, None, None, Some(party))
            }
            EventKind::Escalated | EventKind::ContactRecorded | EventKind::EmergencyDeclared => {
                (None, None, None, None, None)
            }
        };
        wire::CaseEvent {
            sequence: event.sequence,
            at: Some(timestamp(event.at)),
            actor: Some(self.wire_person(&event.actor)),
            kind: event.kind.word().to_owned(),
            summary: event.kind.summary(),
            from_phase: from_phase
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            to_phase: to_phase.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            subject: subject.map(|hex| wire::SubjectPseudonym { hex: hex.clone() }),
            category: category.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            party: party.and_then(|p| self.wire_party(p)),
            reason: if team {
                event.reason.clone()
            } else {
                String::new()
            },
            // Events stored before case changes were logged have no entry; 0 stands in.
            log_leaf_index: event.log_leaf_index.unwrap_or(0),
        }
    }

    /// The case as the caller may see it.
    fn wire_case(&self, case: &Case, person: &Person, now: OffsetDateTime) -> wire::Case {
        let acting = crate::cases::access::access(person, case, now);
        let team = acting.is_some_and(|a| a.access == AccessKind::CaseTeam);
        let declarer = acting.is_some_and(|a| a.access == AccessKind::Declarer);
        let contact = wire::ContactDeadline {
            due_at: Some(timestamp(case.contact_due)),
            status: case.contact_status(now).as_str().to_owned(),
            contacted_at: case.contact.as_ref().map(|c| timestamp(c.contacted_at)),
            recorded_at: case.contact.as_ref().map(|c| timestamp(c.recorded_at)),
            recorded_by: case
                .contact
                .as_ref()
                .map(|c| self.wire_person(&c.recorded_by)),
        };
        let emergency = |e: &crate::cases::model::Emergency| wire::CaseEmergency {
            declared_by: Some(self.wire_person(&e.declared_by)),
            declared_at: Some(timestamp(e.declared_at)),
            expires_at: Some(timestamp(e.expires_at)),
            active: e.active_at(now),
            reason: if team || declarer {
                e.reason.clone()
            } else {
                String::new()
            },
        };
        wire::Case {
            id: case.id.clone(),
            stadsdeel: case.stadsdeel.as_str().to_owned(),
            phase: case.phase.as_str().to_owned(),
            phase_since: Some(timestamp(case.phase_since)),
            allowed_next_phases: next_phases(case.phase)
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            melding_at: Some(timestamp(case.melding_at)),
            registered_at: Some(timestamp(case.registered_at)),
            registered_by: Some(self.wire_person(&case.registered_by)),
            external_reference: if team {
                case.external_reference.clone()
            } else {
                String::new()
            },
            contact: Some(contact),
            escalation: case.escalation.as_ref().map(|e| wire::Escalation {
                escalated_at: Some(timestamp(e.at)),
                escalated_by: Some(self.wire_person(&e.by)),
                reason: if team {
                    e.reason.clone()
                } else {
                    String::new()
                },
            }),
            subjects: case
                .subjects
                .iter()
                .map(|s| wire::Subject {
                    subject: Some(wire::SubjectPseudonym {
                        hex: s.pseudonym.clone(),
                    }),
                    role: s.role.as_str().to_owned(),
                    label: if team { s.label.clone() } else { String::new() },
                    added_at: Some(timestamp(s.added_at)),
                    added_by: Some(self.wire_person(&s.added_by)),
                    consent: if team {
                        s.consent_in_force()
                            .iter()
                            .map(|c| c.as_str().to_owned())
                            .collect()
                    } else {
                        Vec::new()
                    },
                    consent_history: if team {
                        s.consent_history
                            .iter()
                            .map(|r| wire::ConsentRecord {
                                category: r.category.as_str().to_owned(),
                                action: if r.given { "given" } else { "withdrawn" }.to_owned(),
                                date: r.date.clone(),
                                recorded_at: Some(timestamp(r.recorded_at)),
                                recorded_by: Some(self.wire_person(&r.recorded_by)),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            participants: case
                .participants
                .iter()
                .map(|p| wire::Participant {
                    party: self.wire_party(&p.party),
                    added_at: Some(timestamp(p.added_at)),
                    added_by: Some(self.wire_person(&p.added_by)),
                })
                .collect(),
            emergency: case.active_emergency(now).map(emergency),
            past_emergencies: case
                .emergencies
                .iter()
                .filter(|e| now > e.expires_at)
                .map(emergency)
                .collect(),
            retention_until: self.hub.cases.retention_until(case).map(timestamp),
            history: case
                .history
                .iter()
                .filter(|e| team || !e.kind.is_consent())
                .map(|e| self.wire_event(e, team))
                .collect(),
            caller_access: acting
                .map(|a| a.access.as_str().to_owned())
                .unwrap_or_default(),
            caller_role: acting
                .map(|a| a.role.as_str().to_owned())
                .unwrap_or_default(),
            as_of: Some(timestamp(now)),
        }
    }

    /// One case change: authenticate the person, take the request's idempotency key and
    /// fingerprint, prepare the change at the hub's time, log it in the decision log,
    /// store it (see [`CaseRegistry::apply`]: UNAVAILABLE, and nothing changed, when the
    /// log cannot take the entry), and render the result.
    async fn change<R: ChangeRequest>(
        &self,
        request: Request<R>,
        method: &str,
        prepare: impl FnOnce(
            &CaseRegistry,
            &Change<'_>,
            &Party,
            &R,
            OffsetDateTime,
        ) -> Result<Prepared, Status>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        let (person, party) = self.case_person(&request)?;
        let req = request.into_inner();
        let fingerprint = format!("{method}:{req:?}");
        let change = Change {
            person: &person,
            client_request_id: req.client_request_id(),
            fingerprint: &fingerprint,
        };
        let at = self.hub.clock.now();
        let done = self
            .hub
            .cases
            .apply(&self.hub.log, self.hub.covenant.version(), |cases| {
                prepare(cases, &change, &party, &req, at)
            })
            .await?;
        Ok(self.update(&person, done, at))
    }

    fn update(
        &self,
        person: &Person,
        (case, event): (Case, CaseEvent),
        now: OffsetDateTime,
    ) -> Response<wire::CaseUpdate> {
        let view = self.wire_case(&case, person, now);
        let team = view.caller_access == AccessKind::CaseTeam.as_str();
        Response::new(wire::CaseUpdate {
            event: Some(self.wire_event(&event, team)),
            case: Some(view),
        })
    }
}

/// A protobuf timestamp for an instant (kept here for the callers that name it so).
pub use crate::clock::timestamp;

fn instant(field: &str, ts: Option<prost_types::Timestamp>) -> Result<OffsetDateTime, Status> {
    let ts = ts.ok_or_else(|| Status::invalid_argument(format!("{field} is required")))?;
    OffsetDateTime::from_unix_timestamp(ts.seconds)
        .ok()
        .and_then(|t| t.replace_nanosecond(u32::try_from(ts.nanos).ok()?).ok())
        .ok_or_else(|| Status::invalid_argument(format!("{field} is not a valid time")))
}

fn word<T: std::str::FromStr<Err = treiter_policies::vocab::UnknownWord>>(
    field: &str,
    value: &str,
) -> Result<T, Status> {
    value
        .parse()
        .map_err(|e: treiter_policies::vocab::UnknownWord| {
            Status::invalid_argument(format!("{field}: {}", e.redacted()))
        })
}

fn pseudonym(subject: &Option<wire::SubjectPseudonym>) -> &str {
    subject.as_ref().map(|s| s.hex.as_str()).unwrap_or_default()
}

/// A request that changes a case, with its idempotency key.
trait ChangeRequest: std::fmt::Debug {
    fn client_request_id(&self) -> &str;
}

macro_rules! change_requests {
    ($($t:ident),* $(,)?) => {
        $(impl ChangeRequest for wire::$t {
            fn client_request_id(&self) -> &str {
                &self.client_request_id
            }
        })*
    };
}

change_requests!(
    CreateCaseRequest,
    MovePhaseRequest,
    EscalateRequest,
    RecordContactRequest,
    AddSubjectRequest,
    UpdateSubjectRequest,
    RemoveSubjectRequest,
    RecordConsentRequest,
    WithdrawConsentRequest,
    AddParticipantRequest,
    RemoveParticipantRequest,
    DeclareEmergencyRequest,
);

#[tonic::async_trait]
impl Coordinator for CoordinatorService {
    type WatchCaseFileStream =
        tokio_stream::wrappers::ReceiverStream<Result<wire::CaseFileEvent, Status>>;

    async fn who_am_i(
        &self,
        request: Request<wire::WhoAmIRequest>,
    ) -> Result<Response<wire::Person>, Status> {
        let (person, party) = self.person(&request)?;
        Ok(Response::new(wire::Person {
            id: person.id.clone(),
            party: Some(party.to_proto()),
            roles: person.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            stadsdeel: person
                .stadsdeel
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            name: person.name.clone().unwrap_or_default(),
        }))
    }

    async fn create_case(
        &self,
        request: Request<wire::CreateCaseRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "CreateCase", |cases, change, _, req, at| {
            let stadsdeel: Stadsdeel = word("stadsdeel", &req.stadsdeel)?;
            let melding_at = instant("melding_at", req.melding_at)?;
            Ok(cases.create(change, stadsdeel, melding_at, &req.external_reference, at)?)
        })
        .await
    }

    async fn get_case(
        &self,
        request: Request<wire::GetCaseRequest>,
    ) -> Result<Response<wire::Case>, Status> {
        let (person, _) = self.case_person(&request)?;
        let at = self.hub.clock.now();
        let (case, _) = self
            .hub
            .cases
            .get(&person, &request.get_ref().case_id, at)?;
        Ok(Response::new(self.wire_case(&case, &person, at)))
    }

    async fn list_cases(
        &self,
        request: Request<wire::ListCasesRequest>,
    ) -> Result<Response<wire::ListCasesResponse>, Status> {
        let (person, _) = self.case_person(&request)?;
        let req = request.into_inner();
        let filter = ListFilter {
            stadsdeel: if req.stadsdeel.is_empty() {
                None
            } else {
                Some(word("stadsdeel", &req.stadsdeel)?)
            },
            phases: req
                .phases
                .iter()
                .enumerate()
                .map(|(i, p)| word(&format!("phases[{i}]"), p))
                .collect::<Result<_, _>>()?,
            contact_overdue_only: req.contact_overdue_only,
            escalated_only: req.escalated_only,
            emergency_active_only: req.emergency_active_only,
        };
        let page_size = match req.page_size {
            0 => 100,
            n if n > 1000 => return Err(Status::invalid_argument("page_size is above 1000")),
            n => n as usize,
        };
        let offset: usize = if req.page_token.is_empty() {
            0
        } else {
            req.page_token.parse().map_err(|_| {
                Status::invalid_argument("page_token is not a token this hub gave out")
            })?
        };
        let at = self.hub.clock.now();
        let cases = self.hub.cases.list(&person, &filter, at)?;
        let total = cases.len();
        let summaries = cases
            .into_iter()
            .skip(offset)
            .take(page_size)
            .map(|(case, acting)| {
                let count = |role| case.subjects.iter().filter(|s| s.role == role).count() as u32;
                wire::CaseSummary {
                    id: case.id.clone(),
                    stadsdeel: case.stadsdeel.as_str().to_owned(),
                    phase: case.phase.as_str().to_owned(),
                    registered_at: Some(timestamp(case.registered_at)),
                    contact: Some(wire::ContactDeadline {
                        due_at: Some(timestamp(case.contact_due)),
                        status: case.contact_status(at).as_str().to_owned(),
                        contacted_at: case.contact.as_ref().map(|c| timestamp(c.contacted_at)),
                        recorded_at: case.contact.as_ref().map(|c| timestamp(c.recorded_at)),
                        recorded_by: case
                            .contact
                            .as_ref()
                            .map(|c| self.wire_person(&c.recorded_by)),
                    }),
                    escalated: case.escalated(),
                    emergency_expires_at: case
                        .active_emergency(at)
                        .map(|e| timestamp(e.expires_at)),
                    daders: count(SubjectRole::Dader),
                    slachtoffers: count(SubjectRole::Slachtoffer),
                    melders: count(SubjectRole::Melder),
                    participants: case.participants.len() as u32,
                    caller_access: acting.access.as_str().to_owned(),
                    subjects: case
                        .subjects
                        .iter()
                        .map(|s| wire::SubjectSummary {
                            subject: Some(wire::SubjectPseudonym {
                                hex: s.pseudonym.clone(),
                            }),
                            role: s.role.as_str().to_owned(),
                            // A working note: case team only (see coordinator.proto).
                            label: if acting.access == AccessKind::CaseTeam {
                                s.label.clone()
                            } else {
                                String::new()
                            },
                        })
                        .collect(),
                }
            })
            .collect();
        let next = offset + page_size;
        Ok(Response::new(wire::ListCasesResponse {
            as_of: Some(timestamp(at)),
            cases: summaries,
            next_page_token: if next < total {
                next.to_string()
            } else {
                String::new()
            },
        }))
    }

    async fn move_phase(
        &self,
        request: Request<wire::MovePhaseRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "MovePhase", |cases, change, _, req, at| {
            let to: Phase = word("to_phase", &req.to_phase)?;
            let expected: Option<Phase> = if req.expected_phase.is_empty() {
                None
            } else {
                Some(word("expected_phase", &req.expected_phase)?)
            };
            Ok(cases.move_phase(change, &req.case_id, to, &req.reason, expected, at)?)
        })
        .await
    }

    async fn escalate(
        &self,
        request: Request<wire::EscalateRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "Escalate", |cases, change, _, req, at| {
            Ok(cases.escalate(change, &req.case_id, &req.reason, at)?)
        })
        .await
    }

    async fn record_contact(
        &self,
        request: Request<wire::RecordContactRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "RecordContact", |cases, change, _, req, at| {
            let contacted_at = instant("contacted_at", req.contacted_at)?;
            Ok(cases.record_contact(change, &req.case_id, contacted_at, at)?)
        })
        .await
    }

    async fn add_subject(
        &self,
        request: Request<wire::AddSubjectRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "AddSubject", |cases, change, _, req, at| {
            let role: SubjectRole = word("role", &req.role)?;
            Ok(cases.add_subject(
                change,
                &req.case_id,
                pseudonym(&req.subject),
                role,
                &req.label,
                at,
            )?)
        })
        .await
    }

    async fn update_subject(
        &self,
        request: Request<wire::UpdateSubjectRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "UpdateSubject", |cases, change, _, req, at| {
            let role: Option<SubjectRole> = if req.role.is_empty() {
                None
            } else {
                Some(word("role", &req.role)?)
            };
            let label = match (req.clear_label, req.label.is_empty()) {
                (true, false) => {
                    return Err(Status::invalid_argument(
                        "label and clear_label cannot both be set",
                    ));
                }
                (true, true) => LabelChange::Clear,
                (false, true) => LabelChange::Keep,
                (false, false) => LabelChange::Set(req.label.clone()),
            };
            Ok(cases.update_subject(
                change,
                &req.case_id,
                pseudonym(&req.subject),
                role,
                label,
                at,
            )?)
        })
        .await
    }

    async fn remove_subject(
        &self,
        request: Request<wire::RemoveSubjectRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "RemoveSubject", |cases, change, _, req, at| {
            Ok(cases.remove_subject(
                change,
                &req.case_id,
                pseudonym(&req.subject),
                &req.reason,
                at,
            )?)
        })
        .await
    }

    async fn record_consent(
        &self,
        request: Request<wire::RecordConsentRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "RecordConsent", |cases, change, _, req, at| {
            let category: Category = word("category", &req.category)?;
            Ok(cases.consent(
                change,
                &req.case_id,
                pseudonym(&req.subject),
                category,
                true,
                &req.date,
                at,
            )?)
        })
        .await
    }

    async fn withdraw_consent(
        &self,
        request: Request<wire::WithdrawConsentRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "WithdrawConsent", |cases, change, _, req, at| {
            let category: Category = word("category", &req.category)?;
            Ok(cases.consent(
                change,
                &req.case_id,
                pseudonym(&req.subject),
                category,
                false,
                &req.date,
                at,
            )?)
        })
        .await
    }

    async fn add_participant(
        &self,
        request: Request<wire::AddParticipantRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        let parties = &self.hub.parties;
        self.change(request, "AddParticipant", |cases, change, _, req, at| {
            let oin = Oin::parse(&req.party_oin)
                .map_err(|e| Status::invalid_argument(format!("party_oin: {e}")))?;
            parties
                .get(&oin)
                .map_err(|e| Status::not_found(e.to_string()))?;
            Ok(cases.add_participant(change, &req.case_id, oin.as_str(), at)?)
        })
        .await
    }

    async fn remove_participant(
        &self,
        request: Request<wire::RemoveParticipantRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(request, "RemoveParticipant", |cases, change, _, req, at| {
            let oin = Oin::parse(&req.party_oin)
                .map_err(|e| Status::invalid_argument(format!("party_oin: {e}")))?;
            Ok(cases.remove_participant(change, &req.case_id, oin.as_str(), &req.reason, at)?)
        })
        .await
    }

    async fn declare_emergency(
        &self,
        request: Request<wire::DeclareEmergencyRequest>,
    ) -> Result<Response<wire::CaseUpdate>, Status> {
        self.change(
            request,
            "DeclareEmergency",
            |cases, change, party, req, at| {
                Ok(cases.declare_emergency(change, party.kind, &req.case_id, &req.reason, at)?)
            },
        )
        .await
    }

    async fn bevraag(
        &self,
        request: Request<wire::BevraagRequest>,
    ) -> Result<Response<wire::BevragingResult>, Status> {
        let (person, party) = self.case_person(&request)?;
        let result =
            crate::casefile::bevraag(&self.hub, &person, &party, request.get_ref()).await?;
        Ok(Response::new(result))
    }

    async fn request_case_file(
        &self,
        request: Request<wire::CaseFileRequest>,
    ) -> Result<Response<wire::CaseFile>, Status> {
        let (person, party) = self.case_person(&request)?;
        let file =
            crate::casefile::request_case_file(&self.hub, &person, &party, request.get_ref(), None)
                .await?;
        Ok(Response::new(file))
    }

    async fn watch_case_file(
        &self,
        request: Request<wire::CaseFileRequest>,
    ) -> Result<Response<Self::WatchCaseFileStream>, Status> {
        let (person, party) = self.case_person(&request)?;
        // Held until the assembly ends, also when the client went away before: the
        // bound is on the work the person keeps the hub and the agents doing.
        let slot = self.hub.streaming_call(&person)?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let hub = self.hub.clone();
        let req = request.into_inner();
        // Assembly goes on if the client goes away; GetCaseFile then shows the file.
        tokio::spawn(async move {
            let _slot = slot;
            let (events, mut steps) = tokio::sync::mpsc::channel(64);
            let assembly =
                crate::casefile::request_case_file(&hub, &person, &party, &req, Some(events));
            // The steps reach the client in order; the assembly's end (its events
            // sender dropped) ends the forwarding, and a failure comes last.
            let forward = async {
                while let Some(step) = steps.recv().await {
                    let _ = tx.send(Ok(step)).await;
                }
            };
            let (result, ()) = tokio::join!(assembly, forward);
            if let Err(error) = result {
                let _ = tx.send(Err(Status::from(error))).await;
            }
        });
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
            rx,
        )))
    }

    async fn get_case_file(
        &self,
        request: Request<wire::GetCaseFileRequest>,
    ) -> Result<Response<wire::CaseFile>, Status> {
        let (person, _) = self.case_person(&request)?;
        Ok(Response::new(crate::casefile::get_case_file(
            &self.hub,
            &person,
            &request.get_ref().case_file_id,
        )?))
    }

    async fn list_case_files(
        &self,
        request: Request<wire::ListCaseFilesRequest>,
    ) -> Result<Response<wire::ListCaseFilesResponse>, Status> {
        let (person, _) = self.case_person(&request)?;
        let files =
            crate::casefile::list_case_files(&self.hub, &person, &request.get_ref().case_id)?;
        Ok(Response::new(wire::ListCaseFilesResponse {
            case_files: files,
        }))
    }
}
