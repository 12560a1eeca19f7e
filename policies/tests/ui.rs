//! Snapshots of what a privacy officer sees for broken covenant files: each
//! `tests/ui/NAME.covenant` is checked with `covenant --error-format plain check` and its
//! standard error must equal `tests/ui/NAME.stderr`. Files named `warnings*` are valid
//! covenants with warnings (exit 0); every other file is invalid (exit 3). After a deliberate change of
//! wording, run with `BLESS=1` to rewrite the snapshots, and review the diff.

use std::path::Path;
use std::process::Command;

#[test]
fn broken_covenants_give_these_diagnostics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(root.join("tests/ui"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "covenant")
                .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 3);
    let mut mismatches = Vec::new();
    for name in names {
        let file = format!("tests/ui/{name}.covenant");
        let out = Command::new(env!("CARGO_BIN_EXE_covenant"))
            .current_dir(root)
            .args(["--error-format", "plain", "check", &file])
            .output()
            .unwrap();
        if name.starts_with("warnings") {
            assert_eq!(out.status.code(), Some(0), "{file} should be valid");
        } else {
            assert_eq!(out.status.code(), Some(3), "{file} should be invalid");
        }
        let got = String::from_utf8_lossy(&out.stderr).into_owned();
        let snapshot = root.join(format!("tests/ui/{name}.stderr"));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&snapshot, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if got != want {
            mismatches.push(format!(
                "--- {name}.stderr (expected)\n{want}--- got\n{got}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
