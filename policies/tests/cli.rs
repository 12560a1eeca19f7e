//! The `covenant` command line: exit codes, standard output and standard error.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_covenant"))
}

fn encoding() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("treiteraanpak.covenant")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const REQUEST: &str = r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"duiding","escalated":false,
  "participants":[],"subjects":[{"id":"S1","role":"dader","consent":[]}]},
  "source":{"oin":"00000002000000000002","kind":"politie"},
  "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"informatiemakelaar","stadsdeel":"oost","person":"p-1"},
  "subject":"S1","category":"politie-incidenten","purpose":"duiding","fields":["datum","samenvatting"]}"#;

#[test]
fn check_accepts_the_encoding() {
    let out = run(&["check", encoding().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid, version 1, 7 parties"));
}

#[test]
fn check_reports_line_and_column_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.covenant");
    let src = std::fs::read_to_string(encoding())
        .unwrap()
        .replace("comes from om", "comes from omm");
    std::fs::write(&bad, src).unwrap();
    let out = run(
        &["--error-format", "plain", "check", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.covenant:72:42: error[covenant::unknown-word]: unknown party kind 'omm'"),
        "{err}"
    );
    let out = run(
        &["--error-format", "json", "check", bad.to_str().unwrap()],
        None,
    );
    let first: serde_json::Value =
        serde_json::from_str(text(&out.stderr).lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 72);
    assert_eq!(first["column"], 42);
}

#[test]
fn check_draws_the_first_fifty_problems_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("typos.covenant");
    let typos = "art. 5.2  nothing is shared with a privacy-oficer\n".repeat(60);
    let src = std::fs::read_to_string(encoding()).unwrap().replace(
        "art. 5.3  an informatiemakelaar",
        &format!("{typos}art. 5.3  an informatiemakelaar"),
    );
    std::fs::write(&bad, src).unwrap();
    let out = run(&["check", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("did you mean 'privacy-officer'?").count(),
        50,
        "{err}"
    );
    // 60 errors, then 59 warnings that a line repeats an earlier one.
    assert!(
        err.contains(
            "covenant: 69 more problem(s) not shown; --error-format plain lists every one"
        ),
        "{err}"
    );
    let out = run(
        &["--error-format", "plain", "check", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(
        text(&out.stderr)
            .matches("unknown role 'privacy-oficer'")
            .count(),
        60
    );
}

#[test]
fn decide_one_and_many() {
    let out = run(
        &["decide", encoding().to_str().unwrap(), "-"],
        Some(REQUEST),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["outcome"], "permit");
    assert_eq!(d["stripped"], serde_json::json!(["samenvatting"]));
    assert_eq!(d["articles"], serde_json::json!(["4.2", "6.3", "6.3a"]));
    let many = format!("[{REQUEST},{REQUEST}]");
    let out = run(&["decide", encoding().to_str().unwrap(), "-"], Some(&many));
    let ds: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ds.len(), 2);
}

#[test]
fn decide_input_errors_go_to_stderr_with_paths_and_exit_2() {
    let bad = REQUEST.replace("\"phase\":\"duiding\"", "\"phase\":\"klaar\"");
    let many = format!("[{REQUEST},{bad}]");
    let out = run(&["decide", encoding().to_str().unwrap(), "-"], Some(&many));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout on an input error");
    assert!(
        text(&out.stderr)
            .lines()
            .any(|l| l.starts_with("[1].case.phase: unknown phase 'klaar'")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn test_runs_the_suite_and_fails_on_a_wrong_expectation() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/covenant");
    let out = run(
        &["test", encoding().to_str().unwrap(), dir.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .ends_with("passed, 0 failed")
    );

    let tmp = tempfile::tempdir().unwrap();
    let wrong = tmp.path().join("wrong.covtest");
    std::fs::write(
        &wrong,
        "case in oost, phase aanpak\nsubject S1 is dader\n\ntest \"wrong\"\n  share identificatie about S1 for aanpak\n  from gemeente\n  to a stadsdeelregisseur of gemeente in oost\n  fields naam\n  expect deny\n",
    )
    .unwrap();
    let out = run(
        &[
            "test",
            encoding().to_str().unwrap(),
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains("expected deny, the decision is permit"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("0 passed, 1 failed"),
        "{stdout}"
    );
}

/// Two test files: one with a passing and a failing test, one with a syntax error.
fn two_test_files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("a-good.covtest");
    std::fs::write(
        &good,
        "case in oost, phase aanpak\nsubject S1 is dader\n\n\
test \"naam passes to a stadsdeelregisseur\"\n  share identificatie about S1 for aanpak\n  from gemeente\n  to a stadsdeelregisseur of gemeente in oost\n  fields naam\n  expect permit\n\n\
test \"a wrong expectation\"\n  share identificatie about S1 for aanpak\n  from gemeente\n  to a stadsdeelregisseur of gemeente in oost\n  fields naam\n  expect deny\n",
    )
    .unwrap();
    let broken = tmp.path().join("b-broken.covtest");
    std::fs::write(
        &broken,
        "case in oost, phase aanpak\nsubject S1 is dader\n\ntest \"broken\"\n  share identificatie abut S1 for aanpak\n  expect permit\n",
    )
    .unwrap();
    (tmp, good, broken)
}

#[test]
fn a_syntax_error_fails_its_file_and_the_other_files_still_run() {
    let (_tmp, good, broken) = two_test_files();
    let out = run(
        &[
            "--error-format",
            "plain",
            "test",
            encoding().to_str().unwrap(),
            broken.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "b-broken.covtest:5:23: error[covtest::syntax]: expected 'about', found 'abut'"
        ),
        "{stderr}"
    );
    assert!(
        stdout.contains(
            "b-broken.covtest:5: 1 syntax error(s), so none of its tests ran; fix the lines named"
        ),
        "{stdout}"
    );
    // The good file ran after the broken one.
    assert!(stdout.contains("ok      "), "{stdout}");
    assert!(
        stdout.trim_end().ends_with(&format!(
            "1 passed, 1 failed; 1 test file(s) could not be run: {}",
            broken.display()
        )),
        "{stdout}"
    );
}

#[test]
fn quiet_shows_only_failures_and_filter_picks_tests_by_name() {
    let (_tmp, good, _) = two_test_files();
    let covenant = encoding();
    let out = run(
        &[
            "test",
            "--quiet",
            covenant.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("ok      "), "{stdout}");
    assert!(
        stdout.contains("FAILED  ") && stdout.contains("a wrong expectation"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );

    let out = run(
        &[
            "test",
            "--filter",
            "STADSDEELREGISSEUR",
            covenant.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("naam passes to a stadsdeelregisseur"),
        "{stdout}"
    );
    assert!(!stdout.contains("a wrong expectation"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("1 passed, 0 failed, 1 not matching --filter"),
        "{stdout}"
    );
}

#[test]
fn explain_reads_a_request_written_as_covtest_lines() {
    let lines = "case in oost, phase duiding; subject S1 is dader; share politie-incidenten about S1 for duiding; from politie; to an informatiemakelaar of gemeente in oost; fields datum and samenvatting";
    let json = run(
        &["explain", encoding().to_str().unwrap(), "-"],
        Some(REQUEST),
    );
    let out = run(
        &["explain", encoding().to_str().unwrap(), "--covtest", lines],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The same request as the JSON one (but for the case id and the person), the same
    // explanation.
    let normal = |s: String| s.replace("C-TEST", "C-1").replace("p-test", "p-1");
    assert_eq!(normal(text(&out.stdout)), normal(text(&json.stdout)));
    // From a file (or standard input), line by line, as a test is written.
    let out = run(
        &["explain", encoding().to_str().unwrap(), "-"],
        Some(&lines.replace("; ", "\n")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(normal(text(&out.stdout)), normal(text(&json.stdout)));
    // Every problem at once.
    let out = run(
        &[
            "explain",
            encoding().to_str().unwrap(),
            "--covtest",
            "subject S1 is dader; share politie-incidenten about S1 for duiding; from \"Politie Amsterdm\"",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no 'case' line"), "{stderr}");
    assert!(stderr.contains("no 'to' line"), "{stderr}");
    assert!(
        stderr.contains("did you mean \"Politie Eenheid Amsterdam\"?"),
        "{stderr}"
    );
}

#[test]
fn explain_speaks_plainly() {
    let out = run(
        &["explain", encoding().to_str().unwrap(), "-"],
        Some(REQUEST),
    );
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("samenvatting  stripped: withheld from this recipient (art. 6.3a)"),
        "{s}"
    );
}

#[test]
fn fmt_check_accepts_the_encoding_and_diff_of_itself_is_empty() {
    let out = run(&["fmt", "--check", encoding().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        &[
            "diff",
            encoding().to_str().unwrap(),
            encoding().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Effect on decisions (0 kinds of share change)"));
}

#[test]
fn fmt_check_rejects_a_messy_file() {
    let tmp = tempfile::tempdir().unwrap();
    let messy = tmp.path().join("m.covenant");
    let src = std::fs::read_to_string(encoding())
        .unwrap()
        .replace("art. 3.3  nothing", "art. 3.3 nothing");
    std::fs::write(&messy, src).unwrap();
    let out = run(&["fmt", "--check", messy.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("m.covenant:35: not in canonical form"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `covenant test treiteraanpak.covenant tests/covenant | head -0`: the reader is
    // gone before the first result is written.
    let suite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/covenant");
    let mut child = bin()
        .args([
            "test",
            encoding().to_str().unwrap(),
            suite.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
