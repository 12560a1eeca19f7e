//! Runs every covenant test under `tests/covenant/` against the real encoding.

use std::path::Path;

use treiter_policies::covtest::{self, Failure};
use treiter_policies::{Covenant, TREITERAANPAK_COVENANT};

fn suite() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/covenant");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "covtest"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_covenant_test_passes() {
    let covenant = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, text) in suite() {
        let file = match covtest::parse_tests(&name, &text) {
            Ok(f) => f,
            Err(d) => panic!("{d}"),
        };
        for r in covtest::run(&covenant, &file) {
            count += 1;
            if let Some(f) = r.failure {
                let extra = match (&f, &r.decision) {
                    (Failure::Mismatch(_), Some(d)) => serde_json::to_string(d).unwrap(),
                    _ => String::new(),
                };
                failures.push(format!(
                    "{name}:{} \"{}\": {f}\n    {extra}",
                    r.line, r.name
                ));
            }
        }
    }
    eprintln!("{count} covenant tests run");
    assert!(count > 0, "no covenant tests found");
    assert!(
        failures.is_empty(),
        "{} of {count} covenant tests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_compiled_in_suite_is_the_directory() {
    let compiled: Vec<(String, String)> = covtest::SUITE
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let names = |s: &[(String, String)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&compiled),
        names(&suite()),
        "covtest::SUITE must list every file of tests/covenant/, in name order"
    );
    assert_eq!(compiled, suite());
}
