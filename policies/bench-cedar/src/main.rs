//! The engine against Cedar, in one run, on the same requests.
//!
//! Cedar (cedar-policy 4.x) gets the covenant's decision rules as policies
//! (`treiteraanpak.cedar`) and the parties as entities. A share is one Cedar
//! authorisation for the share and one per offered field (Cedar decides allow/deny,
//! so stripping a field is a decision of its own). Both sides start from the same
//! parsed `DecisionRequest` and end with outcome, passed and stripped fields.
//!
//! First the covenant-test suite is decided by both, to show that the Cedar policies
//! are the same rules; then four shares are timed.
//!
//! Run: `cargo run --release --manifest-path policies/bench-cedar/Cargo.toml`

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, RestrictedExpression,
};
use treiter_policies::decide::{NoTrace, evaluate, resolve};
use treiter_policies::{
    Covenant, DecisionRequest, Outcome, Requests, TREITERAANPAK_COVENANT, covtest,
};

struct Cedar {
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
    fn new(covenant: &Covenant) -> anyhow::Result<Cedar> {
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

    /// Outcome, passed and stripped fields of one share.
    fn decide(&self, r: &DecisionRequest) -> anyhow::Result<(Outcome, Vec<String>, Vec<String>)> {
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
        let mut pairs: Vec<(String, RestrictedExpression)> = vec![
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
        let principal = EntityUid::from_type_name_and_id(
            self.party.clone(),
            EntityId::new(r.recipient.oin.to_string()),
        );
        let ask = |action: &EntityUid,
                   pairs: Vec<(String, RestrictedExpression)>|
         -> anyhow::Result<cedar_policy::Response> {
            let context = Context::from_pairs(pairs).map_err(|e| anyhow!("{e:?}"))?;
            let request = Request::new(
                principal.clone(),
                action.clone(),
                self.resource.clone(),
                context,
                None,
            )
            .map_err(|e| anyhow!("{e:?}"))?;
            Ok(self
                .authorizer
                .is_authorized(&request, &self.policies, &self.entities))
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

/// Median nanoseconds per call of `f`.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut batch: u32 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        if t.elapsed() >= Duration::from_millis(5) || batch >= 1 << 24 {
            break;
        }
        batch *= 2;
    }
    let mut samples: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

const SCENARIOS: [(&str, &str); 4] = [
    (
        "permit, samenvatting stripped",
        r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"duiding","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"informatiemakelaar","stadsdeel":"oost","person":"p-1"},
        "subject":"S1","category":"politie-incidenten","purpose":"duiding","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    ),
    (
        "deny (5.4, 6.3)",
        r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000004000000000004","kind":"woningcorporatie","role":"partnercontact","person":"p-2"},
        "subject":"S1","category":"politie-incidenten","purpose":"aanpak","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    ),
    (
        "reject (7.1)",
        r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":["00000002000000000002"],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}]},
        "source":{"oin":"00000005000000000006","kind":"zorgpartner"},
        "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"stadsdeelregisseur","stadsdeel":"oost","person":"p-3"},
        "subject":"S2","category":"slachtofferinformatie","purpose":"aanpak","fields":["impact","behoeften","diagnose"]}"#,
    ),
    (
        "emergency share (15.1)",
        r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
        "participants":[],"subjects":[{"id":"S1","role":"dader","consent":[]},{"id":"S2","role":"slachtoffer","consent":["slachtofferinformatie"]}],
        "emergency":{"declared_by":"p-politie-017","declared_at":"2026-11-22T22:00:00Z","reason":"dreiging"}},
        "source":{"oin":"00000002000000000002","kind":"politie"},
        "recipient":{"oin":"00000002000000000002","kind":"politie","role":"partnercontact","person":"p-politie-017"},
        "subject":"S1","category":"politie-incidenten","purpose":"aanpak","fields":["datum","incidentsoort","locatie","samenvatting"]}"#,
    ),
];

fn main() -> anyhow::Result<()> {
    let covenant = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT)
        .map_err(|d| anyhow!("{d}"))?;
    let cedar = Cedar::new(&covenant)?;

    // Same rules: the covenant-test suite, decided by both.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/covenant");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let (mut agree, mut total) = (0, 0);
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "covtest"))
    {
        let suite = covtest::parse_tests(&p.display().to_string(), &std::fs::read_to_string(p)?)
            .map_err(|d| anyhow!("{d}"))?;
        for t in &suite.tests {
            let Ok(r) = covtest::request_of(&covenant, &t.given) else {
                continue;
            };
            total += 1;
            let ours = covenant.decide(&r);
            let theirs = cedar.decide(&r)?;
            if (ours.outcome, ours.passed.clone(), ours.stripped.clone()) == theirs {
                agree += 1;
            } else {
                println!(
                    "differs: {}:{} {}: engine {:?} {:?} {:?}, cedar {:?}",
                    p.display(),
                    t.line,
                    t.name,
                    ours.outcome,
                    ours.passed,
                    ours.stripped,
                    theirs
                );
            }
        }
    }
    println!(
        "Same rules: the engine and Cedar agree on outcome, passed and stripped fields for {agree} of {total} covenant tests."
    );
    println!();
    println!(
        "| share | engine: evaluate (ns) | engine: decide (ns) | Cedar (ns) | Cedar / engine decide |"
    );
    println!("|---|---:|---:|---:|---:|");
    let compiled = covenant.compiled();
    for (name, json) in SCENARIOS {
        let r = match DecisionRequest::parse_json(json) {
            Ok(Requests::One(r)) => *r,
            _ => return Err(anyhow!("scenario {name} does not parse")),
        };
        let ours = covenant.decide(&r);
        let theirs = cedar.decide(&r)?;
        anyhow::ensure!(
            (ours.outcome, ours.passed.clone(), ours.stripped.clone()) == theirs,
            "{name}: the engines disagree: {ours:?} vs {theirs:?}"
        );
        let q = resolve(compiled, &r);
        let eval = median_ns(|| {
            black_box(evaluate(compiled, black_box(&q), &mut NoTrace));
        });
        let engine = median_ns(|| {
            black_box(covenant.decide(black_box(&r)));
        });
        let cedar_ns = median_ns(|| {
            black_box(cedar.decide(black_box(&r)).ok());
        });
        println!(
            "| {name} | {eval:.0} | {engine:.0} | {cedar_ns:.0} | {:.1}x |",
            cedar_ns / engine
        );
    }
    Ok(())
}
