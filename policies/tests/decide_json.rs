//! Whole decisions as JSON, for the parts covenant tests do not show: whom a
//! notification names, the articles of obligations, and the engine's totality.

use serde_json::{Value, json};
use treiter_policies::{Covenant, DecisionRequest, Outcome, Requests, TREITERAANPAK_COVENANT};

fn covenant() -> Covenant {
    Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap()
}

fn request(patch: impl FnOnce(&mut Value)) -> DecisionRequest {
    let mut v = json!({
        "at": "2026-11-23T10:00:00Z",
        "case": {
            "id": "C-1", "stadsdeel": "oost", "phase": "aanpak", "escalated": false,
            "participants": ["00000002000000000002"],
            "subjects": [{ "id": "S1", "role": "dader", "consent": [] }],
            "emergency": { "declared_by": "p-politie-017", "declared_at": "2026-11-22T22:00:00Z", "reason": "x" }
        },
        "source": { "oin": "00000002000000000002", "kind": "politie" },
        "recipient": { "oin": "00000002000000000002", "kind": "politie", "role": "partnercontact", "person": "p-politie-017" },
        "subject": "S1", "category": "politie-incidenten", "purpose": "aanpak",
        "fields": ["datum", "samenvatting"]
    });
    patch(&mut v);
    DecisionRequest::from_value(v).unwrap()
}

#[test]
fn an_emergency_share_notifies_the_source_and_carries_review() {
    let d = covenant().decide(&request(|_| {}));
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({
            "outcome": "permit",
            "passed": ["datum"],
            "stripped": ["samenvatting"],
            "articles": ["4.2", "6.3", "6.3a", "15.1"],
            "obligations": [
                { "kind": "retention", "article": "9.1" },
                { "kind": "purpose-binding", "purpose": "aanpak", "article": "3.2" },
                { "kind": "review", "article": "15.2" }
            ],
            "emergency": true,
            "notify": [{ "kind": "privacy-officer", "oin": "00000002000000000002", "article": "15.2" }],
            "covenant_version": 1
        })
    );
}

#[test]
fn a_reject_notifies_the_source_once_per_article() {
    let d = covenant().decide(&request(|v| {
        v["source"] = json!({ "oin": "00000005000000000007", "kind": "zorgpartner" });
        v["category"] = json!("zorginhoud");
        v["fields"] = json!([
            "zorgsignalen",
            "diagnose",
            "medicatie",
            "opsporingsinformatie"
        ]);
    }));
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({
            "outcome": "reject",
            "passed": [],
            "stripped": [],
            "articles": ["7.1", "7.2"],
            "obligations": [],
            "emergency": false,
            "notify": [
                { "kind": "privacy-officer", "oin": "00000005000000000007", "article": "7.1" },
                { "kind": "privacy-officer", "oin": "00000005000000000007", "article": "7.2" }
            ],
            "covenant_version": 1
        })
    );
}

#[test]
fn a_request_the_case_cannot_place_is_denied_not_passed() {
    // Built in code, bypassing the request checks: the subject is not in the case.
    let mut r = request(|v| {
        v["case"]["emergency"] = Value::Null;
        v["recipient"] = json!({ "oin": "00000001000000000001", "kind": "gemeente", "role": "stadsdeelregisseur", "stadsdeel": "oost", "person": "p" });
    });
    r.subject = "S-unknown".into();
    let d = covenant().decide(&r);
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(
        d.articles
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["5.1"]
    );
    // A missing stadsdeel for a stadsdeelregisseur fails art. 5.3 rather than passing.
    let mut r = request(|v| {
        v["case"]["emergency"] = Value::Null;
        v["recipient"] = json!({ "oin": "00000001000000000001", "kind": "gemeente", "role": "stadsdeelregisseur", "stadsdeel": "oost", "person": "p" });
    });
    r.recipient.stadsdeel = None;
    let d = covenant().decide(&r);
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(
        d.articles
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["5.3"]
    );
}

#[test]
fn an_array_of_requests_reads_as_many() {
    let one = serde_json::to_string(&request(|_| {})).unwrap();
    let text = format!("[{one},{one}]");
    let Ok(Requests::Many(rs)) = DecisionRequest::parse_json(&text) else {
        panic!("array")
    };
    assert_eq!(rs.len(), 2);
}

#[test]
fn decisions_are_deterministic_and_round_trip() {
    let c = covenant();
    let r = request(|_| {});
    let a = c.decide(&r);
    let text = serde_json::to_string(&a).unwrap();
    let back: treiter_policies::Decision = serde_json::from_str(&text).unwrap();
    assert_eq!(a, back);
    assert_eq!(a, c.decide(&r));
}
