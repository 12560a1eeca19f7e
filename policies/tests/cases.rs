//! Request and decision fixtures (`tests/cases/NAME.request.json` and
//! `NAME.decision.json`), exactly as docs/DECISION-JSON.md shapes them; other crates'
//! tests may reuse them. Each expected decision was checked by hand against
//! docs/COVENANT.md.

use std::path::Path;

use treiter_policies::{Covenant, DecisionRequest, Requests, TREITERAANPAK_COVENANT};

#[test]
fn every_fixture_decides_as_recorded() {
    let covenant = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".request.json") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(Requests::One(request)) = DecisionRequest::parse_json(&text) else {
            panic!("{name} is not one valid request");
        };
        let want: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{stem}.decision.json"))).unwrap(),
        )
        .unwrap();
        let got = serde_json::to_value(covenant.decide(&request)).unwrap();
        assert_eq!(got, want, "{stem}");
        n += 1;
    }
    assert!(n >= 4, "only {n} fixtures");
}
