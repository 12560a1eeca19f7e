//! The mutation test: remove each rule of the encoding in turn and show that the
//! covenant tests (or, for declarations the engine cannot do without, the validator)
//! notice. A rule whose removal nobody notices is a rule the tests do not pin down.
//!
//! A rule is removed by turning its line into a note of the same article, so that the
//! "every paragraph is encoded" check cannot be what catches it: only the decisions
//! (or a dangling reference, or a missing declaration) can. Party lines of annex A are
//! removed outright.

use std::path::Path;

use treiter_policies::covtest::{self, TestFile};
use treiter_policies::{Covenant, Phase, TREITERAANPAK_COVENANT};

/// The terms the hub reads from the encoding (not decisions): retention after each
/// end phase (art. 9.1, 9.2) and the length of an emergency (art. 15.3).
fn terms_hold(c: &Covenant) -> bool {
    c.retention_months(Phase::Afgesloten) == Some(24)
        && c.retention_months(Phase::BuitenAanpak) == Some(3)
        && c.emergency_hours() == Some(72)
}

fn suite() -> Vec<TestFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/covenant");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "covtest"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            covtest::parse_tests(&p.display().to_string(), &text).unwrap()
        })
        .collect()
}

/// The mutant of a line, if the line is a rule (not a note, comment, heading or blank line).
fn mutant(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with("party ") {
        return Some(String::new());
    }
    let rest = t.strip_prefix("art. ")?;
    let (number, body) = rest.split_once(' ')?;
    if body.trim_start().starts_with("note:") {
        return None;
    }
    Some(format!("art. {number} note: removed by the mutation test"))
}

#[test]
fn removing_any_rule_makes_a_covenant_test_or_the_validator_fail() {
    let files = suite();
    let lines: Vec<&str> = TREITERAANPAK_COVENANT.lines().collect();
    let reference = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap();
    assert!(terms_hold(&reference));
    let mut by_tests = 0;
    let mut by_validator = Vec::new();
    let mut survivors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(replacement) = mutant(line) else {
            continue;
        };
        let mut mutated = lines.clone();
        mutated[i] = &replacement;
        let text = mutated.join("\n");
        match Covenant::parse("mutant.covenant", &text) {
            Err(d) => {
                let first = d
                    .errors()
                    .next()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                by_validator.push(format!("line {}: {} -> {first}", i + 1, line.trim()));
            }
            Ok(c) => {
                let failed = files
                    .iter()
                    .flat_map(|f| covtest::run(&c, f))
                    .filter(|r| r.failure.is_some())
                    .count();
                if failed == 0 && terms_hold(&c) {
                    survivors.push(format!("line {}: {}", i + 1, line.trim()));
                } else {
                    by_tests += 1;
                }
            }
        }
    }
    eprintln!(
        "mutation test: {} rules removed; {by_tests} caught by covenant tests, {} by the validator:",
        by_tests + by_validator.len() + survivors.len(),
        by_validator.len()
    );
    for v in &by_validator {
        eprintln!("  validator: {v}");
    }
    assert!(
        survivors.is_empty(),
        "removing these rules changes no covenant test:\n{}",
        survivors.join("\n")
    );
    assert!(
        by_tests >= 35,
        "only {by_tests} rules are pinned down by covenant tests"
    );
}
