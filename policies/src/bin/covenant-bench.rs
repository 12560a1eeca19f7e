//! `covenant-bench`: how fast the engine decides, on the real encoding.
//!
//! For four shares (a permit with a field stripped, a deny, a reject and an emergency
//! share) it measures, in one run on one thread:
//! - `evaluate`: the decision proper on a resolved request (the hot path: bit
//!   operations, no allocation);
//! - `decide`: resolving the request, evaluating and rendering the JSON decision;
//! - the baseline: reading the same request from its JSON text, which every decision
//!   the hub makes is preceded by. Figures are machine-dependent; the ratio is not.
//!
//! Run with `cargo run --release -p treiter-policies --bin covenant-bench`.

use std::hint::black_box;

use treiter_policies::decide::{NoTrace, evaluate, resolve};
use treiter_policies::timing::median_ns;
use treiter_policies::{Covenant, DecisionRequest, Requests, TREITERAANPAK_COVENANT};

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
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let compiled = covenant.compiled();
    println!(
        "covenant-bench: the Treiteraanpak encoding, version {}, one thread",
        covenant.version()
    );
    println!();
    println!(
        "| share | evaluate (ns) | decide (ns) | baseline: read request JSON (ns) | decide / baseline | decisions/s (decide) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, json) in SCENARIOS {
        let request = match DecisionRequest::parse_json(json) {
            Ok(Requests::One(r)) => *r,
            _ => anyhow::bail!("scenario {name} does not parse"),
        };
        let query = resolve(compiled, &request);
        let eval = median_ns(|| {
            black_box(evaluate(compiled, black_box(&query), &mut NoTrace));
        });
        let decide = median_ns(|| {
            black_box(covenant.decide(black_box(&request)));
        });
        let baseline = median_ns(|| {
            black_box(serde_json::from_str::<DecisionRequest>(black_box(json)).ok());
        });
        println!(
            "| {name} | {eval:.0} | {decide:.0} | {baseline:.0} | {:.3} | {:.0} |",
            decide / baseline,
            1e9 / decide
        );
    }
    Ok(())
}
