//! What AFL++ found stays fixed: every input kept under `fuzz/regressions/<target>/`
//! (a crash or hang found by the coverage-guided runs, `fuzz/run.sh`) is fed to the same
//! function the AFL++ target runs (`fuzz/src/targets.rs`, included here), on every
//! `cargo test`. Each such input also has a named regression test beside the fix, in
//! the crate of the parser it broke; this test keeps the raw files honest.

use std::path::{Path, PathBuf};

use super::{Kind, tally};

// The fuzz targets' bodies, shared with `fuzz/` (its own workspace, built instrumented
// by cargo-afl): one source for both, so a kept input runs exactly as AFL++ ran it.
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// The kept inputs of one target, sorted (none when the folder is absent).
fn inputs(target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(regressions_dir().join(target)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    out.sort();
    out
}

/// Every folder under `fuzz/regressions/` is named after a target, so that no kept
/// input is skipped because of a misspelt folder.
#[test]
fn every_regressions_folder_names_a_fuzz_target() {
    let Ok(entries) = std::fs::read_dir(regressions_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            targets::TARGETS.iter().any(|(target, _)| *target == name),
            "fuzz/regressions/{name} is not a fuzz target (fuzz/src/targets.rs, TARGETS)"
        );
    }
}

/// Every input AFL++ once crashed or hung on runs through its target without a panic.
#[test]
fn every_input_afl_found_runs_without_a_panic() {
    targets::warm_up();
    let mut ran = 0u64;
    let mut failed = Vec::new();
    for (target, body) in targets::TARGETS {
        for path in inputs(target) {
            let Ok(data) = std::fs::read(&path) else {
                failed.push(format!("{} (unreadable)", path.display()));
                continue;
            };
            ran += 1;
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                failed.push(format!("{target}: {}", path.display()));
            }
        }
    }
    tally(
        "fuzz_regressions",
        Kind::FuzzInputs,
        ran,
        0,
        failed.len() as u64,
    );
    assert!(failed.is_empty(), "inputs that still panic: {failed:#?}");
}
