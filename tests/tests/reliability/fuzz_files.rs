//! Bounded randomized runs of two file parsers `fuzz_parsers` does not cover (issue
//! 22, fuzzing): the hub's person registry (`persons.toml`, a configuration file an
//! operator edits) and the agent's JSON record exports (written by the partner's own
//! systems). Each gives an answer or an error for any input, never a panic; an
//! export's error never quotes a value from the file (article 12.3: values may be
//! personal data, and errors reach logs).

use std::cell::Cell;
use std::path::Path;

use proptest::test_runner::{TestCaseError, TestRunner};
use treiter_hub::parties::PartyDirectory;
use treiter_hub::persons::PersonRegistry;
use treiter_policies::Category;

use super::{Kind, config, fuzzed, tally};
use crate::support::{Pki, covenant_path};

/// Runs `check` on `cases` inputs fuzzed from `seeds`; counts and panics like
/// `fuzz_parsers` does.
fn run(name: &str, cases: u32, seeds: Vec<Vec<u8>>, check: impl Fn(&[u8]) -> Result<(), String>) {
    let ran = Cell::new(0u64);
    let wrong = Cell::new(0u64);
    let panics = Cell::new(0u64);
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&fuzzed(seeds), |input| {
        ran.set(ran.get() + 1);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => {
                wrong.set(wrong.get() + 1);
                Err(TestCaseError::fail(why))
            }
            Err(_) => {
                panics.set(panics.get() + 1);
                Err(TestCaseError::fail("the parser panicked"))
            }
        }
    });
    tally(name, Kind::FuzzInputs, ran.get(), wrong.get(), panics.get());
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
}

/// The person registry: a registry or an error naming the file, never a panic; a
/// registry parsed from a damaged file only holds persons of parties in the covenant.
#[test]
fn damaged_person_registries_are_refused_without_panicking() {
    let pki = Pki::new();
    let covenant = treiter_policies::Covenant::load(&covenant_path()).expect("covenant");
    let parties = PartyDirectory::from_covenant(&covenant).expect("parties");
    let path = pki.layout.registry();
    let seed = std::fs::read(&path).expect("the dev registry");
    run("person-registry", 300, vec![seed], |input| {
        let text = String::from_utf8_lossy(input);
        match PersonRegistry::parse(&path, &text, &parties) {
            Ok(_) => Ok(()),
            Err(error) if error.to_string().is_empty() => Err("an error without a message".into()),
            Err(_) => Ok(()),
        }
    });
}

/// A value in an export that must never appear in an error about it.
const MARKER: &str = "Testmarkervalue";

/// The agent's JSON exports: records or an error, never a panic, and no error quotes
/// a value of the file (the marker planted in every field).
#[test]
fn damaged_json_exports_are_refused_without_quoting_a_value() {
    let seeds = vec![
        serde_json::json!([{
            "reference": "BVH-P-1",
            "recorded_at": "2026-11-01T09:00:00Z",
            "fields": {
                "datum": "2026-10-30",
                "incidentsoort": MARKER,
                "locatie": MARKER,
                "samenvatting": format!("{MARKER} synthetisch"),
            }
        }])
        .to_string()
        .into_bytes(),
        serde_json::json!([
            { "reference": MARKER, "recorded_at": MARKER, "fields": { "naam": MARKER, "bsn": 7 } },
            { "reference": "r2", "recorded_at": "2026-11-01T09:00:00Z", "fields": [MARKER] },
        ])
        .to_string()
        .into_bytes(),
    ];
    let path = Path::new("/exports/politie-incidenten/subject.json");
    run("agent-json-export", 300, seeds, |input| {
        match treiter_node_agent::sources::json_dir::parse_records(
            path,
            Category::PolitieIncidenten,
            input,
        ) {
            Ok(_) => Ok(()),
            Err(error) => {
                let message = format!("{error} {error:?}");
                if message.contains("Testmarker") {
                    Err(format!("the error quotes a value: {message}"))
                } else {
                    Ok(())
                }
            }
        }
    });
}
