//! Slips in the words the engine prints (issue 18): a plural made by adding an "s",
//! a step of `explain` that says "stripped" twice.

use serde_json::json;
use treiter_policies::{Covenant, DecisionRequest, TREITERAANPAK_COVENANT};

#[test]
fn an_unknown_category_lists_the_categories() {
    let text = TREITERAANPAK_COVENANT.replacen(
        "art. 6.6  zorgbetrokkenheid comes from zorgpartner",
        "art. 6.6  zorgbetrokenheid comes from zorgpartner",
        1,
    );
    let Err(d) = Covenant::parse("t.covenant", &text) else {
        panic!("the covenant should not validate");
    };
    let help = d
        .errors()
        .filter(|p| p.code == "covenant::unknown-word")
        .find_map(|p| p.help.clone())
        .expect("a help line");
    assert!(help.contains("the categories are: "), "{help}");
    assert!(!help.contains("categorys"), "{help}");
}

#[test]
fn explain_says_stripped_once() {
    let c = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap();
    let r = DecisionRequest::from_value(json!({
        "at": "2026-11-23T10:00:00Z",
        "case": {
            "id": "C-1", "stadsdeel": "oost", "phase": "duiding", "escalated": false,
            "participants": [],
            "subjects": [{ "id": "S1", "role": "dader", "consent": [] }]
        },
        "source": { "oin": "00000002000000000002", "kind": "politie" },
        "recipient": { "oin": "00000001000000000001", "kind": "gemeente", "role": "informatiemakelaar", "stadsdeel": "oost", "person": "p-gemeente-001" },
        "subject": "S1", "category": "politie-incidenten", "purpose": "duiding",
        "fields": ["datum", "not_a_listed_field"]
    }))
    .unwrap();
    let text = treiter_policies::explain::explain(&c, &r);
    assert!(
        text.contains("strips the fields that politie-incidenten does not list"),
        "{text}"
    );
    assert!(
        !text.contains("politie-incidenten does not list are stripped"),
        "{text}"
    );
}
