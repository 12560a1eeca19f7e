//! The check of a draft, as the proposal editor shows it: the engine's own parse and
//! validation ([`Covenant::parse`], what `covenant check` runs), every problem with its
//! line, column, code, message and help as the covenant tool words them, the offending
//! text marked in its line; and, once the text is valid, the covenant tests.
//!
//! **Which tests.** The suite compiled into hubctl ([`covtest::SUITE`], the files of
//! `policies/tests/covenant/` this build of the engine was made with), plus tests the
//! officer pastes into the editor. Not files named by a path: a web page that reads any
//! path its user types would read any file of that user into a page, and files on one
//! officer's disk are not another's. The compiled-in suite is the same for every officer
//! and every console of one build, so two officers who check the same text see the same
//! results.
//!
//! Everything here is pure; the handlers run it off the async threads (a draft may be
//! up to 1 MiB).

use treiter_policies::Covenant;
use treiter_policies::covtest::{self, Failure};
use treiter_policies::diagnostics::{Diagnostics, Level, Problem};
use treiter_policies::syntax::span::line_col;
use treiter_proto::v1 as wire;

use super::linediff::{Piece, pieces};
use crate::console::texts;

/// The name a draft has in the check's messages.
pub const DRAFT_NAME: &str = "voorstel.covenant";

/// How many problems are drawn with their line; the rest are in the plain output
/// (as `covenant check` draws fifty and lists every one with `--error-format plain`).
pub const MAX_DRAWN: usize = 50;

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckView {
    /// Whether the text is valid (no error; warnings allowed).
    pub valid: bool,
    /// One sentence: valid with what, or how many errors.
    pub summary: String,
    /// The problems drawn, errors first, each group in text order.
    pub problems: Vec<ProblemView>,
    /// How many more problems there are than are drawn.
    pub not_drawn: usize,
    /// The check's output as `covenant check --error-format plain` gives it (and the
    /// valid line for a valid text).
    pub plain: String,
    /// The covenant tests; `None` while the text is invalid.
    pub tests: Option<TestsView>,
}

impl CheckView {
    /// The problems not drawn, in words.
    pub fn more_words(&self) -> String {
        texts::more_problems(self.not_drawn)
    }
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemView {
    /// An error (or a warning).
    pub error: bool,
    /// "fout" or "waarschuwing".
    pub level: &'static str,
    /// Where: 1-based line.
    pub line: usize,
    /// Where: 1-based column, in characters.
    pub column: usize,
    /// The code, e.g. `covenant::unknown-word`.
    pub code: String,
    /// What is wrong, as the covenant tool says it.
    pub message: String,
    /// How to fix it, as the covenant tool says it.
    pub help: Option<String>,
    /// The article the line encodes, when the hub says.
    pub article: Option<String>,
    /// The line, with the offending text marked.
    pub excerpt: Option<Excerpt>,
}

impl ProblemView {
    /// "regel 12, kolom 7".
    pub fn place(&self) -> String {
        texts::line_and_column(self.line, self.column)
    }
}

/// A problem's line: before, the offending text, after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The text before the mark.
    pub before: Vec<Piece>,
    /// The offending text; a space when the problem is at the end of the line (or of
    /// the text), so that the mark shows.
    pub marked: Vec<Piece>,
    /// The text after the mark.
    pub after: Vec<Piece>,
}

/// The line `line` of `text`, with columns `from` (1-based, in characters) up to and
/// including `to` (on the same line; else to its end) marked.
pub fn excerpt(
    text: &str,
    line: usize,
    from: usize,
    end: Option<(usize, usize)>,
) -> Option<Excerpt> {
    let content = text.split('\n').nth(line.checked_sub(1)?)?;
    let content = content.strip_suffix('\r').unwrap_or(content);
    let chars: Vec<char> = content.chars().collect();
    let start = from.saturating_sub(1).min(chars.len());
    let stop = match end {
        Some((end_line, end_column)) if end_line == line => end_column.max(from).min(chars.len()),
        _ => chars.len(),
    };
    let part = |a: usize, b: usize| -> String { chars[a..b.max(a)].iter().collect() };
    let marked = part(start, stop);
    Some(Excerpt {
        before: pieces(&part(0, start), false),
        marked: pieces(if marked.is_empty() { " " } else { &marked }, false),
        after: pieces(&part(stop.max(start), chars.len()), false),
    })
}

fn level_words(error: bool) -> &'static str {
    if error {
        texts::LEVEL_ERROR
    } else {
        texts::LEVEL_WARNING
    }
}

/// A problem the engine found in `text`.
pub fn problem_view(p: &Problem, text: &str) -> ProblemView {
    let error = p.level == Level::Error;
    let last = p.span.end.saturating_sub(1).max(p.span.start);
    let end = (p.span.end > p.span.start).then(|| line_col(text, last));
    ProblemView {
        error,
        level: level_words(error),
        line: p.line,
        column: p.column,
        code: p.code.to_owned(),
        message: p.message.clone(),
        help: p.help.clone(),
        article: None,
        excerpt: excerpt(text, p.line, p.column, end),
    }
}

/// A problem the hub reported about `text` (its codes come without the tool's
/// `covenant::` prefix, which is put back: the codes read as `covenant check` prints
/// them).
pub fn wire_problem_view(d: &wire::CovenantDiagnostic, text: &str) -> ProblemView {
    let error = d.severity == "error";
    let (line, column) = (d.line as usize, d.column as usize);
    ProblemView {
        error,
        level: level_words(error),
        line,
        column,
        code: if d.code.contains("::") {
            d.code.clone()
        } else {
            format!("covenant::{}", d.code)
        },
        message: d.message.clone(),
        help: (!d.help.is_empty()).then(|| d.help.clone()),
        article: (!d.article.is_empty()).then(|| d.article.clone()),
        excerpt: excerpt(
            text,
            line,
            column,
            Some((d.end_line as usize, d.end_column as usize)),
        ),
    }
}

/// The covenant tests' results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestsView {
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
    /// Per file (the compiled-in suite, then the officer's own tests).
    pub files: Vec<TestFileView>,
}

/// One test file's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFileView {
    /// Its name.
    pub name: String,
    /// The tests that passed: line and name.
    pub passed: Vec<(usize, String)>,
    /// The tests that failed.
    pub failed: Vec<FailedTest>,
    /// Why the file cannot be read (only the officer's own tests can fail to parse).
    pub problems: Vec<ProblemView>,
}

impl TestsView {
    /// "120 geslaagd, 2 gefaald.".
    pub fn summary(&self) -> String {
        texts::tests_summary(self.passed, self.failed)
    }
}

impl TestFileView {
    /// "118 geslaagde test(s)".
    pub fn passed_words(&self) -> String {
        texts::passed_tests(self.passed.len())
    }

    /// Each passed test: "regel 12: its name".
    pub fn passed_lines(&self) -> Vec<String> {
        self.passed
            .iter()
            .map(|(line, name)| texts::failed_test(*line, name))
            .collect()
    }

    /// "12 geslaagd, 1 gefaald".
    pub fn summary(&self) -> String {
        texts::test_file_summary(self.passed.len(), self.failed.len())
    }
}

/// A failed test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedTest {
    /// Its `test` line.
    pub line: usize,
    /// Its name.
    pub name: String,
    /// What differs, one line each, as `covenant test` prints them.
    pub details: Vec<String>,
}

impl FailedTest {
    /// "regel 12: art. 6.3: ...".
    pub fn words(&self) -> String {
        texts::failed_test(self.line, &self.name)
    }
}

fn run_file(covenant: &Covenant, name: &str, text: &str) -> TestFileView {
    let mut view = TestFileView {
        name: name.to_owned(),
        passed: Vec::new(),
        failed: Vec::new(),
        problems: Vec::new(),
    };
    match covtest::parse_tests(name, text) {
        Err(d) => {
            view.problems = d.problems().iter().map(|p| problem_view(p, text)).collect();
        }
        Ok(suite) => {
            for r in covtest::run(covenant, &suite) {
                match r.failure {
                    None => view.passed.push((r.line, r.name)),
                    Some(f) => view.failed.push(FailedTest {
                        line: r.line,
                        name: r.name,
                        details: match f {
                            Failure::Invalid(m) => vec![m],
                            Failure::Mismatch(ds) => ds,
                        },
                    }),
                }
            }
        }
    }
    view
}

/// Runs the compiled-in suite and `own_tests` (if any) against `covenant`.
pub fn run_tests(covenant: &Covenant, own_tests: &str) -> TestsView {
    let mut files: Vec<TestFileView> = covtest::SUITE
        .iter()
        .map(|(name, text)| run_file(covenant, name, text))
        .collect();
    if !own_tests.trim().is_empty() {
        files.push(run_file(covenant, texts::OWN_TESTS_NAME, own_tests));
    }
    TestsView {
        passed: files.iter().map(|f| f.passed.len()).sum(),
        failed: files.iter().map(|f| f.failed.len()).sum(),
        files,
    }
}

/// Checks `text` as `covenant check` does and, when it is valid, runs the covenant
/// tests (with `own_tests`).
pub fn check(text: &str, own_tests: &str) -> CheckView {
    match Covenant::parse(DRAFT_NAME, text) {
        Ok(covenant) => {
            let (rules, notes) = covenant.rules_and_notes();
            let warnings = Diagnostics::new(DRAFT_NAME, text, covenant.warnings().to_vec());
            let mut plain = warnings.plain();
            plain.push_str(&covenant.valid_line(DRAFT_NAME));
            plain.push('\n');
            let all: Vec<ProblemView> = warnings
                .problems()
                .iter()
                .map(|p| problem_view(p, text))
                .collect();
            let (problems, not_drawn) = drawn(all);
            CheckView {
                valid: true,
                summary: texts::check_valid(
                    covenant.version(),
                    covenant.parties().len(),
                    rules,
                    notes,
                    covenant.warnings().len(),
                ),
                problems,
                not_drawn,
                plain,
                tests: Some(run_tests(&covenant, own_tests)),
            }
        }
        Err(d) => {
            let errors = d.errors().count();
            let mut plain = d.plain();
            plain.push_str(&format!(
                "covenant: {DRAFT_NAME} is invalid: {errors} error(s)\n"
            ));
            let all: Vec<ProblemView> =
                d.problems().iter().map(|p| problem_view(p, text)).collect();
            let (problems, not_drawn) = drawn(all);
            CheckView {
                valid: false,
                summary: texts::check_invalid(errors, d.problems().len() - errors),
                problems,
                not_drawn,
                plain,
                tests: None,
            }
        }
    }
}

fn drawn(mut all: Vec<ProblemView>) -> (Vec<ProblemView>, usize) {
    let not_drawn = all.len().saturating_sub(MAX_DRAWN);
    all.truncate(MAX_DRAWN);
    (all, not_drawn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;

    fn text_of(pieces: &[Piece]) -> String {
        pieces.iter().map(|p| p.text.as_str()).collect()
    }

    fn with_typo() -> String {
        TREITERAANPAK_COVENANT.replacen(
            "art. 6.3  politie-incidenten comes from politie",
            "art. 6.3  politie-incidenten comes from politei",
            1,
        )
    }

    #[test]
    fn a_typo_is_shown_with_line_column_code_and_help_as_covenant_check_says_it() {
        let text = with_typo();
        assert_ne!(text, TREITERAANPAK_COVENANT, "the fixture has the line");
        let view = check(&text, "");
        assert!(!view.valid);
        assert!(view.tests.is_none(), "tests wait for a valid text");
        let expected = Covenant::parse(DRAFT_NAME, &text).unwrap_err();
        let first = &expected.problems()[0];
        let shown = &view.problems[0];
        assert!(shown.error);
        assert_eq!((shown.line, shown.column), (first.line, first.column));
        assert_eq!(shown.code, first.code);
        assert_eq!(shown.message, first.message);
        assert_eq!(shown.help, first.help);
        assert!(shown.message.contains("politei"), "{}", shown.message);
        assert!(
            shown.help.as_deref().is_some_and(|h| h.contains("politie")),
            "{:?}",
            shown.help
        );
        let excerpt = shown.excerpt.as_ref().expect("excerpt");
        assert_eq!(text_of(&excerpt.marked), "politei");
        assert!(text_of(&excerpt.before).ends_with("comes from "));
        assert_eq!(view.plain.lines().next(), expected.plain().lines().next());
        assert!(
            view.summary.starts_with("Ongeldig: 1 fout(en)"),
            "{}",
            view.summary
        );
    }

    #[test]
    fn a_valid_text_runs_the_compiled_in_tests_and_the_officers_own() {
        let own = "background\n  at 2026-11-23T10:00:00Z\n  case in oost, phase duiding\n  subject S1 is dader\n\ntest \"mine\"\n  share politie-incidenten about S1 for duiding\n  from politie\n  to an informatiemakelaar of gemeente in oost\n  fields datum\n  expect deny\n";
        let view = check(TREITERAANPAK_COVENANT, own);
        assert!(view.valid, "{:?}", view.problems);
        assert!(
            view.summary.starts_with("Geldig: versie 1, 7 partijen"),
            "{}",
            view.summary
        );
        assert!(view.plain.ends_with("0 warning(s)\n"), "{}", view.plain);
        let tests = view.tests.expect("tests");
        assert_eq!(tests.files.len(), covtest::SUITE.len() + 1);
        // The repository's suite passes against the repository's covenant; the
        // officer's own test expects the wrong outcome and fails, saying why.
        assert_eq!(tests.failed, 1);
        let mine = tests.files.last().expect("own tests");
        assert_eq!(mine.name, "eigen tests");
        assert_eq!(mine.failed.len(), 1);
        assert_eq!(mine.failed[0].line, 6);
        assert!(
            mine.failed[0].details.iter().any(|d| d.contains("permit")),
            "{:?}",
            mine.failed[0].details
        );
        assert!(tests.passed > 100, "{}", tests.passed);
    }

    #[test]
    fn a_change_of_outcome_shows_as_failing_tests() {
        let text = TREITERAANPAK_COVENANT
            .replacen("version 1\n", "version 2\n", 1)
            .replacen(
                "rol_betrokkene, locatie and samenvatting",
                "rol_betrokkene and samenvatting",
                1,
            );
        let view = check(&text, "");
        assert!(view.valid);
        let tests = view.tests.expect("tests");
        assert!(tests.failed > 0, "locatie no longer passes");
        assert!(
            tests
                .files
                .iter()
                .flat_map(|f| &f.failed)
                .flat_map(|t| &t.details)
                .any(|d| d.contains("locatie")),
            "{tests:?}"
        );
    }

    #[test]
    fn unreadable_own_tests_are_shown_with_their_lines() {
        let view = check(TREITERAANPAK_COVENANT, "test \"x\"\n  share nonsense\n");
        let tests = view.tests.expect("tests");
        let mine = tests.files.last().expect("own");
        assert!(
            mine.problems
                .iter()
                .any(|p| p.line == 2 && p.code == "covtest::syntax"),
            "{:?}",
            mine.problems
        );
    }

    #[test]
    fn excerpts_mark_the_span_and_the_end_of_a_line() {
        let text = "version 1\nart. 6.3  foo bar\n";
        let e = excerpt(text, 2, 11, Some((2, 13))).expect("line 2");
        assert_eq!(
            (text_of(&e.before), text_of(&e.marked), text_of(&e.after)),
            ("art. 6.3  ".into(), "foo".into(), " bar".into())
        );
        let at_end = excerpt(text, 1, 10, None).expect("line 1");
        assert_eq!(text_of(&at_end.marked), " ");
        assert!(excerpt(text, 9, 1, None).is_none());
        // A wire diagnostic gets its prefix back.
        let d = wire::CovenantDiagnostic {
            severity: "error".into(),
            code: "version-not-increasing".into(),
            message: "version 1 is not higher than version 1".into(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 9,
            help: "declare 'version 2' or higher".into(),
            article: String::new(),
        };
        let v = wire_problem_view(&d, text);
        assert_eq!(v.code, "covenant::version-not-increasing");
        assert_eq!(
            v.excerpt.map(|e| text_of(&e.marked)).as_deref(),
            Some("version 1")
        );
        assert_eq!(v.article, None);
    }
}
