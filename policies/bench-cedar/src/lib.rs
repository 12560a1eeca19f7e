//! The Cedar baseline shared by the hand-timed comparison (`src/main.rs`) and the
//! criterion benchmark (`policies/benches/decide.rs`).
//!
//! Cedar (cedar-policy 4.x) gets the covenant's decision rules as policies
//! (`treiteraanpak.cedar`) and the parties as entities. A share is one Cedar
//! authorisation for the share and one per offered field (Cedar decides allow/deny,
//! so stripping a field is a decision of its own). Both sides start from the same
//! parsed `DecisionRequest` and end with outcome, passed and stripped fields.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context as _, anyhow};
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, RestrictedExpression,
};
use treiter_policies::{
    Covenant, DecisionRequest, Outcome, Requests, TREITERAANPAK_COVENANT, covtest,
};

/// Outcome, passed and stripped fields: what both engines are compared on.
pub type Verdict = (Outcome, Vec<String>, Vec<String>);

/// The real encoding, parsed.
pub fn covenant() -> anyhow::Result<Covenant> {
    Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).map_err(|d| anyhow!("{d}"))
}

/// The covenant's decision rules as Cedar policies, ready to authorise.
pub struct Cedar {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    party: EntityTypeName,
    share: EntityUid,
    pass_field: EntityUid,
    resource: EntityUid,
    /// The article of each policy, to tell a reject (art. 7) from a deny.
    articles: HashMap<PolicyId, String>,
}

impl Cedar {
    /// The policies of `treiteraanpak.cedar`, and the covenant's parties as entities.
    pub fn new(covenant: &Covenant) -> anyhow::Result<Cedar> {
        let text = include_str!("../treiteraanpak.cedar");
        let policies = PolicySet::from_str(text).map_err(|e| anyhow!("{e:?}"))?;
        let articles = policies
            .policies()
            .filter_map(|p| {
                p.annotation("article")
                    .map(|a| (p.id().clone(), a.to_owned()))
            })
            .collect();
        let mut json = vec![
            serde_json::json!({ "uid": { "type": "Covenant", "id": "v1" }, "attrs": {}, "parents": [] }),
        ];
        for p in covenant.parties() {
            json.push(serde_json::json!({
                "uid": { "type": "Party", "id": p.oin },
                "attrs": { "kind": p.kind.as_str() },
                "parents": [{ "type": "Covenant", "id": "v1" }]
            }));
        }
        let entities = Entities::from_json_value(serde_json::Value::Array(json), None)
            .map_err(|e| anyhow!("{e:?}"))?;
        let uid = |s: &str| EntityUid::from_str(s).map_err(|e| anyhow!("{e:?}"));
        Ok(Cedar {
            policies,
            entities,
            authorizer: Authorizer::new(),
            party: EntityTypeName::from_str("Party").map_err(|e| anyhow!("{e:?}"))?,
            share: uid(r#"Action::"share""#)?,
            pass_field: uid(r#"Action::"pass-field""#)?,
            resource: uid(r#"Share::"s""#)?,
            articles,
        })
    }

    /// The request's context for Cedar, `field` empty.
    fn pairs(&self, r: &DecisionRequest) -> anyhow::Result<Vec<(String, RestrictedExpression)>> {
        let subject = r
            .case
            .subjects
            .iter()
            .find(|s| s.id == r.subject)
            .context("subject")?;
        let em_declarer_active = r.case.emergency.as_ref().is_some_and(|e| {
            e.declared_by == r.recipient.person
                && e.declared_at <= r.at
                && e.declared_at
                    .0
                    .checked_add(time_hours(72))
                    .is_some_and(|end| r.at.0 <= end)
        });
        let s = |v: &str| RestrictedExpression::new_string(v.to_owned());
        let pairs: Vec<(String, RestrictedExpression)> = vec![
            (
                "source".into(),
                RestrictedExpression::new_entity_uid(EntityUid::from_type_name_and_id(
                    self.party.clone(),
                    EntityId::new(r.source.oin.to_string()),
                )),
            ),
            ("source_kind".into(), s(r.source.kind.as_str())),
            ("recipient_kind".into(), s(r.recipient.kind.as_str())),
            ("role".into(), s(r.recipient.role.as_str())),
            (
                "recipient_stadsdeel".into(),
                s(r.recipient.stadsdeel.map_or("", |x| x.as_str())),
            ),
            ("case_stadsdeel".into(), s(r.case.stadsdeel.as_str())),
            ("phase".into(), s(r.case.phase.as_str())),
            (
                "escalated".into(),
                RestrictedExpression::new_bool(r.case.escalated),
            ),
            (
                "participant".into(),
                RestrictedExpression::new_bool(r.case.participants.contains(&r.recipient.oin)),
            ),
            ("subject_role".into(), s(subject.role.as_str())),
            (
                "consented".into(),
                RestrictedExpression::new_bool(subject.consent.contains(&r.category)),
            ),
            ("category".into(), s(r.category.as_str())),
            ("purpose".into(), s(r.purpose.as_str())),
            (
                "em_declarer_active".into(),
                RestrictedExpression::new_bool(em_declarer_active),
            ),
            (
                "offered".into(),
                RestrictedExpression::new_set(r.fields.iter().map(|f| s(f))),
            ),
            ("field".into(), s("")),
        ];
        Ok(pairs)
    }

    /// One `is_authorized` call for `action` with this context.
    fn ask(
        &self,
        r: &DecisionRequest,
        action: &EntityUid,
        pairs: Vec<(String, RestrictedExpression)>,
    ) -> anyhow::Result<cedar_policy::Response> {
        let principal = EntityUid::from_type_name_and_id(
            self.party.clone(),
            EntityId::new(r.recipient.oin.to_string()),
        );
        let context = Context::from_pairs(pairs).map_err(|e| anyhow!("{e:?}"))?;
        let request = Request::new(
            principal,
            action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .map_err(|e| anyhow!("{e:?}"))?;
        Ok(self
            .authorizer
            .is_authorized(&request, &self.policies, &self.entities))
    }

    /// Only the share's own authorisation: one `is_authorized` call per share, the
    /// cheapest Cedar can decide a share (without stripping any field). True: allowed.
    pub fn authorize_share(&self, r: &DecisionRequest) -> anyhow::Result<bool> {
        let pairs = self.pairs(r)?;
        Ok(self.ask(r, &self.share, pairs)?.decision() == CedarDecision::Allow)
    }

    /// Outcome, passed and stripped fields of one share: one authorisation for the
    /// share plus one per offered field.
    pub fn decide(&self, r: &DecisionRequest) -> anyhow::Result<Verdict> {
        let mut pairs = self.pairs(r)?;
        let s = |v: &str| RestrictedExpression::new_string(v.to_owned());
        let ask = |action: &EntityUid, pairs: Vec<(String, RestrictedExpression)>| {
            self.ask(r, action, pairs)
        };
        let response = ask(&self.share, pairs.clone())?;
        if response.decision() == CedarDecision::Deny {
            // Cedar has no ranking among forbids; the covenant's: 2.3 first, then art. 7.
            let cited = |p: &dyn Fn(&str) -> bool| {
                response
                    .diagnostics()
                    .reason()
                    .any(|id| self.articles.get(id).is_some_and(|a| p(a)))
            };
            let reject = !cited(&|a| a == "2.3") && cited(&|a| a.starts_with("7."));
            return Ok((
                if reject {
                    Outcome::Reject
                } else {
                    Outcome::Deny
                },
                vec![],
                vec![],
            ));
        }
        let (mut passed, mut stripped) = (Vec::new(), Vec::new());
        for f in &r.fields {
            if let Some(last) = pairs.last_mut() {
                *last = ("field".into(), s(f));
            }
            if ask(&self.pass_field, pairs.clone())?.decision() == CedarDecision::Allow {
                passed.push(f.clone());
            } else {
                stripped.push(f.clone());
            }
        }
        passed.sort();
        stripped.sort();
        Ok((Outcome::Permit, passed, stripped))
    }
}

fn time_hours(h: i64) -> time::Duration {
    time::Duration::hours(h)
}

/// One share to time.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// A short name (criterion's benchmark group).
    pub id: &'static str,
    /// What the share is, in words.
    pub name: &'static str,
    /// The request, in the JSON of docs/DECISION-JSON.md.
    pub json: &'static str,
}

/// The four shares of the benchmarks: a permit with a field stripped, a deny, a reject
/// and an emergency share.
pub const SCENARIOS: [Scenario; 4] = [
    Scenario {
        id: "permit-stripped",
        name: "permit, samenvatting stripped",
        json: r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"duiding","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"informatiemakelaar","stadsdeel":"oost","person":"p-1"},
        "subject":"S1","category":"politie-incidenten","purpose":"duiding","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    },
    Scenario {
        id: "deny",
        name: "deny (5.4, 6.3)",
        json: r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000004000000000004","kind":"woningcorporatie","role":"partnercontact","person":"p-2"},
        "subject":"S1","category":"politie-incidenten","purpose":"aanpak","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    },
    Scenario {
        id: "reject",
        name: "reject (7.1)",
        json: r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000005000000000006","kind":"zorgpartner"},
        "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"stadsdeelregisseur","stadsdeel":"oost","person":"p-3"},
        "subject":"S2","category":"slachtofferinformatie","purpose":"aanpak","fields":["impact","behoeften","diagnose"]}"#,
    },
    Scenario {
        id: "emergency",
        name: "emergency share (15.1)",
        json: r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":[],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}],
        "emergency":{"declared_by":"p-politie-017","declared_at":"2026-11-22T22:00:00Z","reason":"dreiging"}},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000002000000000002","kind":"politie","role":"partnercontact","person":"p-politie-017"},
        "subject":"S1","category":"politie-incidenten","purpose":"aanpak","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    },
];

impl Scenario {
    /// The scenario's request.
    pub fn request(&self) -> anyhow::Result<DecisionRequest> {
        match DecisionRequest::parse_json(self.json) {
            Ok(Requests::One(r)) => Ok(*r),
            _ => Err(anyhow!("scenario {} does not parse", self.name)),
        }
    }
}

/// The engine's verdict on `r`, in the form Cedar gives.
pub fn engine_verdict(covenant: &Covenant, r: &DecisionRequest) -> Verdict {
    let d = covenant.decide(r);
    (d.outcome, d.passed, d.stripped)
}

/// Decides every covenant test under `policies/tests/covenant` with both engines:
/// how many tests there are, and a line for each on which they differ.
pub fn suite_agreement(covenant: &Covenant, cedar: &Cedar) -> anyhow::Result<(usize, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/covenant");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let (mut total, mut differ) = (0, Vec::new());
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "covtest"))
    {
        let suite = covtest::parse_tests(&p.display().to_string(), &std::fs::read_to_string(p)?)
            .map_err(|d| anyhow!("{d}"))?;
        for t in &suite.tests {
            let Ok(r) = covtest::request_of(covenant, &t.given) else {
                continue;
            };
            total += 1;
            let ours = engine_verdict(covenant, &r);
            let theirs = cedar.decide(&r)?;
            if ours != theirs {
                differ.push(format!(
                    "differs: {}:{} {}: engine {ours:?}, cedar {theirs:?}",
                    p.display(),
                    t.line,
                    t.name,
                ));
            }
        }
    }
    Ok((total, differ))
}
