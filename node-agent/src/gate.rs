//! The agent's own pre-check of every outbound record (defence in depth): before a
//! record leaves the partner, the agent decides it with the same covenant engine the
//! hub uses, as the source party, for the recipient, purpose and moment the hub named.
//!
//! The hub decides every share again; this check exists so that a partner never sends
//! what the covenant would refuse, even to a hub that is misconfigured or compromised.
//! A permitted record leaves with only its passed fields; a denied or rejected one does
//! not leave at all, and the hub is told only that it was withheld, why (outcome and
//! articles), and which field names it had.

use std::fmt;

use time::OffsetDateTime;
use treiter_policies::request::{Case, Emergency, Recipient, Source, Subject};
use treiter_policies::{
    Category, Covenant, Decision, DecisionRequest, Oin, Outcome, PartyKind, Phase, Purpose, Role,
    Stadsdeel, SubjectRole, Timestamp, UnknownWord,
};
use treiter_proto::v1;
use treiter_pseudonym::Pseudonym;

/// The agent's own party, as the hub's Welcome named it: the source of every share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnParty {
    /// The OIN.
    pub oin: Oin,
    /// The party kind.
    pub kind: PartyKind,
}

impl OwnParty {
    /// Reads the party of the hub's Welcome.
    pub fn from_proto(party: &v1::Party) -> Result<OwnParty, MalformedQuestion> {
        Ok(OwnParty {
            oin: parse_oin("welcome.party.oin", &party.oin)?,
            kind: word("welcome.party.kind", &party.kind)?,
        })
    }
}

impl fmt::Display for OwnParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.oin, self.kind)
    }
}

/// A question whose content the engine cannot take: it names the message field and
/// what is wrong, quoting only vocabulary-shaped words (article 12.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct MalformedQuestion {
    /// The message field, e.g. `share_request.case.phase`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

fn malformed(field: impl Into<String>, problem: impl Into<String>) -> MalformedQuestion {
    MalformedQuestion {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Where in a question a value is, for the error that names it: a fixed path, or one
/// made only when there is an error ([`At`]): a share request names a path per subject,
/// consent and participant, and formatting them all for every answer was a good part
/// of reading a share request (in a profile, a tenth of a source agent's work per
/// share request; issue 20).
trait FieldPath {
    fn path(self) -> String;
}

impl FieldPath for &str {
    fn path(self) -> String {
        self.to_owned()
    }
}

/// A field path made when it is needed.
struct At<F>(F);

impl<F: FnOnce() -> String> FieldPath for At<F> {
    fn path(self) -> String {
        (self.0)()
    }
}

fn word<T: std::str::FromStr<Err = UnknownWord>>(
    field: impl FieldPath,
    text: &str,
) -> Result<T, MalformedQuestion> {
    text.parse()
        .map_err(|e: UnknownWord| malformed(field.path(), e.redacted()))
}

fn parse_oin(field: impl FieldPath, text: &str) -> Result<Oin, MalformedQuestion> {
    Oin::parse(text).ok_or_else(|| malformed(field.path(), "not an OIN (20 digits)"))
}

fn pseudonym(
    field: impl FieldPath,
    subject: Option<&v1::SubjectPseudonym>,
) -> Result<Pseudonym, MalformedQuestion> {
    let Some(subject) = subject else {
        return Err(malformed(field.path(), "missing"));
    };
    Pseudonym::parse(&subject.hex).map_err(|e| malformed(field.path(), e.to_string()))
}

/// Converts a protobuf timestamp; `None` when it is out of range.
pub fn timestamp(t: &prost_types::Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(t.seconds)
        .checked_mul(1_000_000_000)?
        .checked_add(i128::from(t.nanos))?;
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

fn required_time(
    field: &str,
    t: Option<&prost_types::Timestamp>,
) -> Result<Timestamp, MalformedQuestion> {
    let t = t.ok_or_else(|| malformed(field, "missing"))?;
    timestamp(t)
        .map(Timestamp)
        .ok_or_else(|| malformed(field, "not a valid timestamp"))
}

/// What a share request says about every record it asks for: the decision request
/// without category and fields.
#[derive(Debug, Clone)]
pub struct ShareContext {
    template: DecisionRequest,
    /// The subject the records are about.
    pub subject: Pseudonym,
    /// The categories asked for that are covenant words, in request order. Unknown
    /// words are left out (the agent cannot serve them) and counted in `unknown`.
    pub categories: Vec<Category>,
    /// How many of the requested categories were not covenant words.
    pub unknown_categories: usize,
}

impl ShareContext {
    /// Reads a share request as the engine needs it, with the agent's own party as the
    /// source. Every vocabulary word, OIN, pseudonym and timestamp is checked.
    pub fn from_request(
        request: &v1::ShareRequest,
        own: &OwnParty,
    ) -> Result<ShareContext, MalformedQuestion> {
        let base = base_request(request, own)?;
        ShareContext::for_subject(
            &base,
            "share_request",
            request.subject.as_ref(),
            &request.subject_role,
            &request.categories,
        )
    }

    /// Reads a share request for several subjects (`more_subjects`) as one context per
    /// subject, the request's `subject` first, each checked as
    /// [`ShareContext::from_request`] checks it (a further subject's fields named by
    /// its place).
    pub fn all_from_request(
        request: &v1::ShareRequest,
        own: &OwnParty,
    ) -> Result<Vec<ShareContext>, MalformedQuestion> {
        let base = base_request(request, own)?;
        let mut all = Vec::with_capacity(1 + request.more_subjects.len());
        all.push(ShareContext::for_subject(
            &base,
            "share_request",
            request.subject.as_ref(),
            &request.subject_role,
            &request.categories,
        )?);
        for (i, more) in request.more_subjects.iter().enumerate() {
            let at = format!("share_request.more_subjects[{i}]");
            let context = ShareContext::for_subject(
                &base,
                &at,
                more.subject.as_ref(),
                &more.subject_role,
                &more.categories,
            )?;
            // Asked twice, its records would be sent and receipted twice.
            if all.iter().any(|c| c.subject == context.subject) {
                return Err(MalformedQuestion {
                    field: format!("{at}.subject"),
                    problem: "the same subject is asked for earlier in this share request; \
                              each subject may appear once"
                        .into(),
                });
            }
            all.push(context);
        }
        Ok(all)
    }

    /// The context for the records of one subject (its role and categories asked, the
    /// fields named under `at`), from the request's `base`.
    fn for_subject(
        base: &DecisionRequest,
        at: &str,
        subject: Option<&v1::SubjectPseudonym>,
        role: &str,
        asked: &[String],
    ) -> Result<ShareContext, MalformedQuestion> {
        let subject = pseudonym(At(|| format!("{at}.subject")), subject)?;
        let role_field = || format!("{at}.subject_role");
        let role: SubjectRole = word(At(role_field), role)?;
        let subject_hex = subject.to_hex();
        let mut template = base.clone();
        match template.case.subjects.iter().find(|s| s.id == subject_hex) {
            Some(listed) if listed.role != role => {
                return Err(malformed(
                    role_field(),
                    format!(
                        "'{role}' contradicts the subject's role '{}' in the case",
                        listed.role
                    ),
                ));
            }
            Some(_) => {}
            // The hub did not list the subject in the case: take the role the request
            // states, and no consent, which can only make the decision stricter.
            None => template.case.subjects.push(Subject {
                id: subject_hex.clone(),
                role,
                consent: Vec::new(),
            }),
        }
        template.subject = subject_hex;
        let mut categories = Vec::with_capacity(asked.len());
        let mut unknown_categories = 0;
        for c in asked {
            match c.parse::<Category>() {
                Ok(c) if !categories.contains(&c) => categories.push(c),
                Ok(_) => {}
                Err(_) => unknown_categories += 1,
            }
        }
        // What the types cannot say (a subject listed twice, a stadsdeel missing for a
        // role that works in one): the same checks the covenant CLI makes.
        if let Some(e) = template.check().into_iter().next() {
            return Err(malformed(format!("share_request ({})", e.path), e.message));
        }
        Ok(ShareContext {
            template,
            subject,
            categories,
            unknown_categories,
        })
    }

    /// The decision request for one record.
    pub fn request(&self, category: Category, fields: Vec<String>) -> DecisionRequest {
        DecisionRequest {
            category,
            fields,
            ..self.template.clone()
        }
    }
}

/// What a share request says for every subject it asks about: the case, recipient,
/// purpose and moment (subject, category and fields are set per subject and record).
fn base_request(
    request: &v1::ShareRequest,
    own: &OwnParty,
) -> Result<DecisionRequest, MalformedQuestion> {
    let case = request
        .case
        .as_ref()
        .ok_or_else(|| malformed("share_request.case", "missing"))?;
    let mut subjects = Vec::with_capacity(case.subjects.len() + 1);
    for (i, s) in case.subjects.iter().enumerate() {
        let at = |f: &str| format!("share_request.case.subjects[{i}].{f}");
        let id = pseudonym(At(|| at("subject")), s.subject.as_ref())?;
        let mut consent = Vec::with_capacity(s.consent.len());
        for (j, c) in s.consent.iter().enumerate() {
            consent.push(word::<Category>(At(|| at(&format!("consent[{j}]"))), c)?);
        }
        subjects.push(Subject {
            id: id.to_hex(),
            role: word::<SubjectRole>(At(|| at("role")), &s.role)?,
            consent,
        });
    }
    let mut participants = Vec::with_capacity(case.participants.len());
    for (i, p) in case.participants.iter().enumerate() {
        participants.push(parse_oin(
            At(|| format!("share_request.case.participants[{i}]")),
            p,
        )?);
    }
    let emergency = match &case.emergency {
        None => None,
        Some(e) => Some(Emergency {
            declared_by: e.declared_by.clone(),
            declared_at: required_time(
                "share_request.case.emergency.declared_at",
                e.declared_at.as_ref(),
            )?,
            // The written reason never leaves the hub, and the engine does not
            // read it.
            reason: String::new(),
        }),
    };
    let recipient = request
        .recipient
        .as_ref()
        .ok_or_else(|| malformed("share_request.recipient", "missing"))?;
    let stadsdeel = if recipient.stadsdeel.is_empty() {
        None
    } else {
        Some(word::<Stadsdeel>(
            "share_request.recipient.stadsdeel",
            &recipient.stadsdeel,
        )?)
    };
    Ok(DecisionRequest {
        at: required_time("share_request.at", request.at.as_ref())?,
        case: Case {
            id: case.id.clone(),
            stadsdeel: word("share_request.case.stadsdeel", &case.stadsdeel)?,
            phase: word::<Phase>("share_request.case.phase", &case.phase)?,
            escalated: case.escalated,
            participants,
            subjects,
            emergency,
        },
        source: Source {
            oin: own.oin,
            kind: own.kind,
        },
        recipient: Recipient {
            oin: parse_oin("share_request.recipient.oin", &recipient.oin)?,
            kind: word("share_request.recipient.kind", &recipient.kind)?,
            role: word::<Role>("share_request.recipient.role", &recipient.role)?,
            stadsdeel,
            person: recipient.person.clone(),
        },
        // Placeholders: each subject and record sets its own.
        subject: String::new(),
        category: Category::Identificatie,
        purpose: word::<Purpose>("share_request.purpose", &request.purpose)?,
        fields: Vec::new(),
    })
}

/// The covenant engine as the agent's gate. The covenant is replaced whole when the hub
/// sends a new version in force (article 13.2); a decision takes one snapshot, so it
/// never mixes two versions.
#[derive(Debug)]
pub struct Gate {
    covenant: std::sync::RwLock<std::sync::Arc<Covenant>>,
}

impl Gate {
    /// A gate deciding with `covenant`.
    pub fn new(covenant: Covenant) -> Gate {
        Gate {
            covenant: std::sync::RwLock::new(std::sync::Arc::new(covenant)),
        }
    }

    /// The covenant's version (article 13.2), sent in Hello.
    pub fn covenant_version(&self) -> u32 {
        self.covenant().version()
    }

    /// A snapshot of the covenant the gate decides with now.
    pub fn covenant(&self) -> std::sync::Arc<Covenant> {
        // A poisoned lock still holds a whole Arc: a panic cannot leave half a swap.
        self.covenant
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Decides with `covenant` from now on; returns the one it replaces.
    pub fn replace(&self, covenant: std::sync::Arc<Covenant>) -> std::sync::Arc<Covenant> {
        let mut slot = self
            .covenant
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *slot, covenant)
    }

    /// Decides one record with the given field names, with the covenant in use now.
    pub fn decide(
        &self,
        context: &ShareContext,
        category: Category,
        fields: &[String],
    ) -> Decision {
        decide_with(&self.covenant(), context, category, fields)
    }
}

/// Decides one record with the given field names under `covenant`.
pub fn decide_with(
    covenant: &Covenant,
    context: &ShareContext,
    category: Category,
    fields: &[String],
) -> Decision {
    // Field names must be unique for the engine; a JSON object cannot repeat a
    // key, but another source might, and a repeated name adds nothing.
    let mut unique: Vec<String> = Vec::with_capacity(fields.len());
    for f in fields {
        if !unique.contains(f) {
            unique.push(f.clone());
        }
    }
    covenant.decide(&context.request(category, unique))
}

/// The decision as the wire carries it. For a refused record (`deny`/`reject`)
/// `stripped` lists the offered field names: nothing of the record passed, and the
/// message has no other place for the names the log must keep (article 10.1).
pub fn decision_to_proto(decision: &Decision, offered: &[String]) -> v1::ShareDecision {
    let mut wire = treiter_proto::decision::share_decision(decision);
    if decision.outcome != Outcome::Permit {
        let mut names = offered.to_vec();
        names.sort();
        names.dedup();
        wire.stripped = names;
    }
    wire
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const DADER: &str =
        "1111111111111111111111111111111111111111111111111111111111111111";

    fn covenant() -> Covenant {
        Covenant::parse(
            "treiteraanpak.covenant",
            treiter_policies::TREITERAANPAK_COVENANT,
        )
        .unwrap()
    }

    fn politie() -> OwnParty {
        OwnParty {
            oin: Oin::parse("00000002000000000002").unwrap(),
            kind: PartyKind::Politie,
        }
    }

    fn ts(s: &str) -> prost_types::Timestamp {
        let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        prost_types::Timestamp {
            seconds: t.unix_timestamp(),
            nanos: 0,
        }
    }

    fn request(role: &str, stadsdeel: &str, phase: &str, purpose: &str) -> v1::ShareRequest {
        v1::ShareRequest {
            case: Some(v1::CaseContext {
                id: "C-2026-0042".into(),
                stadsdeel: "oost".into(),
                phase: phase.into(),
                escalated: false,
                participants: vec![],
                subjects: vec![v1::CaseSubject {
                    subject: Some(v1::SubjectPseudonym { hex: DADER.into() }),
                    role: "dader".into(),
                    consent: vec![],
                }],
                emergency: None,
            }),
            subject: Some(v1::SubjectPseudonym { hex: DADER.into() }),
            subject_role: "dader".into(),
            categories: vec!["politie-incidenten".into()],
            purpose: purpose.into(),
            recipient: Some(v1::Recipient {
                oin: "00000001000000000001".into(),
                kind: "gemeente".into(),
                role: role.into(),
                stadsdeel: stadsdeel.into(),
                person: "p-gemeente-001".into(),
            }),
            at: Some(ts("2026-11-23T10:00:00Z")),
            covenant_version: 1,
            more_subjects: vec![],
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn strips_samenvatting_for_an_informatiemakelaar() {
        let gate = Gate::new(covenant());
        let ctx = ShareContext::from_request(
            &request("informatiemakelaar", "oost", "duiding", "duiding"),
            &politie(),
        )
        .unwrap();
        let d = gate.decide(
            &ctx,
            Category::PolitieIncidenten,
            &names(&["datum", "incidentsoort", "samenvatting"]),
        );
        assert_eq!(d.outcome, Outcome::Permit);
        assert_eq!(d.passed, ["datum", "incidentsoort"]);
        assert_eq!(d.stripped, ["samenvatting"]);
        let wire = decision_to_proto(&d, &[]);
        assert!(
            wire.articles.contains(&"6.3a".to_owned()),
            "{:?}",
            wire.articles
        );
    }

    #[test]
    fn rejects_a_record_with_a_diagnose_and_lists_the_offered_names() {
        let gate = Gate::new(covenant());
        let ctx = ShareContext::from_request(
            &request("stadsdeelregisseur", "oost", "duiding", "duiding"),
            &politie(),
        )
        .unwrap();
        let offered = names(&["datum", "diagnose"]);
        let d = gate.decide(&ctx, Category::PolitieIncidenten, &offered);
        assert_eq!(d.outcome, Outcome::Reject);
        let wire = decision_to_proto(&d, &offered);
        assert_eq!(wire.outcome, "reject");
        assert_eq!(wire.articles, ["7.1"]);
        assert!(wire.passed.is_empty());
        assert_eq!(wire.stripped, ["datum", "diagnose"]);
        assert_eq!(wire.notify.len(), 1);
    }

    #[test]
    fn denies_another_stadsdeel() {
        let gate = Gate::new(covenant());
        let ctx = ShareContext::from_request(
            &request("informatiemakelaar", "west", "duiding", "duiding"),
            &politie(),
        )
        .unwrap();
        let d = gate.decide(&ctx, Category::PolitieIncidenten, &names(&["datum"]));
        assert_eq!(d.outcome, Outcome::Deny);
        assert!(
            d.articles.iter().any(|a| a.to_string() == "5.3"),
            "{:?}",
            d.articles
        );
    }

    #[test]
    fn a_request_for_several_subjects_is_one_context_per_subject_each_checked() {
        const SLACHTOFFER: &str =
            "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
        let own = politie();
        let mut r = request("informatiemakelaar", "oost", "duiding", "duiding");
        if let Some(case) = r.case.as_mut() {
            case.subjects.push(v1::CaseSubject {
                subject: Some(v1::SubjectPseudonym {
                    hex: SLACHTOFFER.into(),
                }),
                role: "slachtoffer".into(),
                consent: vec!["zorgbetrokkenheid".into()],
            });
        }
        r.more_subjects.push(v1::SubjectShareRequest {
            subject: Some(v1::SubjectPseudonym {
                hex: SLACHTOFFER.into(),
            }),
            subject_role: "slachtoffer".into(),
            categories: vec!["zorgbetrokkenheid".into(), "geen-categorie".into()],
        });
        let all = ShareContext::all_from_request(&r, &own).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].subject.to_hex(), DADER);
        assert_eq!(all[0].categories, [Category::PolitieIncidenten]);
        assert_eq!(all[1].subject.to_hex(), SLACHTOFFER);
        assert_eq!(all[1].categories, [Category::Zorgbetrokkenheid]);
        assert_eq!(all[1].unknown_categories, 1);
        assert_eq!(
            all[1]
                .request(Category::Zorgbetrokkenheid, Vec::new())
                .case
                .subjects
                .len(),
            2,
            "the case as the hub listed it, the subject not added twice"
        );
        // A further subject's fields are named by its place.
        r.more_subjects[0].subject_role = "dader".into();
        let e = ShareContext::all_from_request(&r, &own).unwrap_err();
        assert_eq!(e.field, "share_request.more_subjects[0].subject_role");
        r.more_subjects[0].subject = None;
        let e = ShareContext::all_from_request(&r, &own).unwrap_err();
        assert_eq!(e.field, "share_request.more_subjects[0].subject");
        // A subject asked for twice (here the request's own) is refused, not answered
        // twice.
        r.more_subjects[0].subject = Some(v1::SubjectPseudonym { hex: DADER.into() });
        let e = ShareContext::all_from_request(&r, &own).unwrap_err();
        assert_eq!(e.field, "share_request.more_subjects[0].subject");
        assert_eq!(
            e.problem,
            "the same subject is asked for earlier in this share request; each subject may \
             appear once"
        );
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let own = politie();
        let mut r = request("informatiemakelaar", "oost", "gesloten", "duiding");
        let e = ShareContext::from_request(&r, &own).unwrap_err();
        assert_eq!(e.field, "share_request.case.phase");
        r = request("informatiemakelaar", "", "duiding", "duiding");
        let e = ShareContext::from_request(&r, &own).unwrap_err();
        assert!(e.field.contains("recipient.stadsdeel"), "{e}");
        r = request("informatiemakelaar", "oost", "duiding", "duiding");
        r.subject_role = "slachtoffer".into();
        let e = ShareContext::from_request(&r, &own).unwrap_err();
        assert_eq!(e.field, "share_request.subject_role");
        r = request("informatiemakelaar", "oost", "duiding", "duiding");
        r.at = None;
        assert_eq!(
            ShareContext::from_request(&r, &own).unwrap_err().field,
            "share_request.at"
        );
        r = request("informatiemakelaar", "oost", "duiding", "duiding");
        r.subject = Some(v1::SubjectPseudonym {
            hex: "../../etc/passwd".into(),
        });
        assert_eq!(
            ShareContext::from_request(&r, &own).unwrap_err().field,
            "share_request.subject"
        );
        r = request("informatiemakelaar", "oost", "duiding", "duiding");
        if let Some(rec) = r.recipient.as_mut() {
            rec.oin = "Jan Jansen".into();
        }
        let e = ShareContext::from_request(&r, &own).unwrap_err();
        assert!(!e.to_string().contains("Jansen"), "{e}");
    }

    /// The paths of the case's lists are made only for an error, and name the place.
    #[test]
    fn malformed_case_lists_name_the_place() {
        let own = politie();
        let field = |edit: &dyn Fn(&mut v1::CaseContext)| {
            let mut r = request("informatiemakelaar", "oost", "duiding", "duiding");
            if let Some(case) = r.case.as_mut() {
                case.subjects.push(case.subjects[0].clone());
                case.participants = vec!["00000001000000000001".into(); 3];
                edit(case);
            }
            ShareContext::from_request(&r, &own).unwrap_err().field
        };
        assert_eq!(
            field(&|c| c.subjects[1].subject = None),
            "share_request.case.subjects[1].subject"
        );
        assert_eq!(
            field(&|c| c.subjects[1].role = "buurman".into()),
            "share_request.case.subjects[1].role"
        );
        assert_eq!(
            field(&|c| {
                c.subjects[1].consent = vec![
                    "zorgbetrokkenheid".into(),
                    "politie-incidenten".into(),
                    "x".into(),
                ]
            }),
            "share_request.case.subjects[1].consent[2]"
        );
        assert_eq!(
            field(&|c| c.participants[2] = "123".into()),
            "share_request.case.participants[2]"
        );
    }

    #[test]
    fn a_subject_missing_from_the_case_is_added_without_consent() {
        let mut r = request("stadsdeelregisseur", "oost", "duiding", "duiding");
        if let Some(case) = r.case.as_mut() {
            case.subjects.clear();
        }
        let ctx = ShareContext::from_request(&r, &politie()).unwrap();
        let req = ctx.request(Category::PolitieIncidenten, vec![]);
        assert_eq!(req.case.subjects.len(), 1);
        assert!(req.case.subjects.iter().all(|s| s.consent.is_empty()));
    }

    #[test]
    fn unknown_categories_are_counted_not_fatal() {
        let mut r = request("stadsdeelregisseur", "oost", "duiding", "duiding");
        r.categories = vec![
            "politie-incidenten".into(),
            "zorgdossier".into(),
            "politie-incidenten".into(),
        ];
        let ctx = ShareContext::from_request(&r, &politie()).unwrap();
        assert_eq!(ctx.categories, [Category::PolitieIncidenten]);
        assert_eq!(ctx.unknown_categories, 1);
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp(&ts("2026-11-23T10:00:00Z")),
            Some(time::macros::datetime!(2026-11-23 10:00 UTC))
        );
        assert_eq!(
            timestamp(&prost_types::Timestamp {
                seconds: 0,
                nanos: -1
            }),
            None
        );
        assert_eq!(
            timestamp(&prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0
            }),
            None
        );
    }
}
