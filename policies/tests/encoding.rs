//! The real encoding: it parses, validates without warnings, lists Annex A, and
//! decides the documented example exactly as DECISION-JSON.md shows.

use treiter_policies::{Covenant, DecisionRequest, PartyKind, Requests, TREITERAANPAK_COVENANT};

fn covenant() -> Covenant {
    match Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT) {
        Ok(c) => c,
        Err(d) => panic!("{d}"),
    }
}

#[test]
fn the_encoding_is_valid_without_warnings() {
    let c = covenant();
    let warnings: Vec<String> = c
        .warnings()
        .iter()
        .map(|w| format!("{}:{} {}", w.line, w.column, w.message))
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(c.version(), 1);
    assert_eq!(c.title(), "Convenant Gegevensuitwisseling Treiteraanpak");
}

#[test]
fn a_covenant_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Covenant>();
    shared::<treiter_policies::Diagnostics>();
    shared::<treiter_policies::Decision>();
}

#[test]
fn annex_a_is_listed() {
    let c = covenant();
    assert_eq!(c.parties().len(), 7);
    let p = c.party("00000004000000000005").unwrap();
    assert_eq!(p.name, "Stichting Lieflijk Wonen");
    assert_eq!(p.kind, PartyKind::Woningcorporatie);
    assert_eq!(c.party("00000003000000000003").unwrap().kind, PartyKind::Om);
    assert!(c.party("00000009000000000009").is_none());
    assert_eq!(
        c.retention_months(treiter_policies::Phase::Afgesloten),
        Some(24)
    );
    assert_eq!(
        c.retention_months(treiter_policies::Phase::BuitenAanpak),
        Some(3)
    );
    assert_eq!(c.emergency_hours(), Some(72));
}

const EXAMPLE: &str = r#"{
  "at": "2026-11-23T10:00:00Z",
  "case": {
    "id": "C-2026-0042",
    "stadsdeel": "oost",
    "phase": "aanpak",
    "escalated": false,
    "participants": ["00000004000000000005"],
    "subjects": [
      { "id": "S1", "role": "dader", "consent": [] },
      { "id": "S2", "role": "slachtoffer",
        "consent": ["slachtofferinformatie"] }
    ],
    "emergency": {
      "declared_by": "p-politie-017",
      "declared_at": "2026-11-22T22:00:00Z",
      "reason": "dreiging met wapen"
    }
  },
  "source": { "oin": "00000002000000000002", "kind": "politie" },
  "recipient": {
    "oin": "00000001000000000001",
    "kind": "gemeente",
    "role": "stadsdeelregisseur",
    "stadsdeel": "oost",
    "person": "p-gemeente-004"
  },
  "subject": "S1",
  "category": "politie-incidenten",
  "purpose": "aanpak",
  "fields": ["datum", "incidentsoort", "samenvatting", "locatie"]
}"#;

const EXAMPLE_DECISION: &str = r#"{
  "outcome": "permit",
  "passed": ["datum", "incidentsoort", "locatie", "samenvatting"],
  "stripped": [],
  "articles": ["4.2", "6.3"],
  "obligations": [
    { "kind": "retention", "article": "9.1" },
    { "kind": "purpose-binding", "purpose": "aanpak", "article": "3.2" }
  ],
  "emergency": false,
  "notify": [],
  "covenant_version": 1
}"#;

#[test]
fn the_documented_example_decides_as_documented() {
    let c = covenant();
    let Ok(Requests::One(r)) = DecisionRequest::parse_json(EXAMPLE) else {
        panic!("example does not parse")
    };
    let got = serde_json::to_value(c.decide(&r)).unwrap();
    let want: serde_json::Value = serde_json::from_str(EXAMPLE_DECISION).unwrap();
    assert_eq!(got, want);
}

#[test]
fn a_file_saved_with_a_byte_order_mark_and_crlf_still_parses() {
    let windows = format!("\u{feff}{}", TREITERAANPAK_COVENANT.replace('\n', "\r\n"));
    let c = Covenant::parse("windows.covenant", &windows).unwrap();
    assert_eq!(c.parties().len(), 7);
    assert_eq!(
        treiter_policies::fmt::format(&windows).unwrap(),
        TREITERAANPAK_COVENANT
    );
}
