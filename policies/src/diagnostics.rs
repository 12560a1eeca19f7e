//! Problems found in a covenant file: what, where (line:column and span), and how to
//! fix it. Rendered by miette with the offending text underlined, or as plain lines
//! `file:line:col: error[code]: message` for logs and tests.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

use crate::syntax::Span;
use crate::syntax::span::LineIndex;

/// Whether `c` acts on a terminal or hides in a text instead of showing: a control
/// character other than tab and line ends, or an invisible format character
/// (bidirectional overrides and isolates, zero-width characters, a byte-order mark).
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `text` with every [`is_hidden`] character shown as `?` (one per byte, so that byte
/// spans into the text stay valid): what a diagnostic quotes or draws of a covenant
/// text can then not act on the terminal of the person reading it.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if is_hidden(c) {
                    "?".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The covenant cannot be used.
    Error,
    /// The covenant can be used, but a line probably does not say what was meant.
    Warning,
}

/// One problem, at one place.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Error or warning.
    pub level: Level,
    /// A stable code, e.g. `covenant::unknown-word`, for tests and documentation.
    pub code: &'static str,
    /// What is wrong, lowercase, quoting the word concerned.
    pub message: String,
    /// Where.
    pub span: Span,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that matter (e.g. the rule this one contradicts).
    pub related: Vec<(Span, String)>,
    source: Option<NamedSource<Arc<str>>>,
}

impl Problem {
    /// An error at `span`.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Problem {
            level: Level::Error,
            code,
            message: message.into(),
            span,
            line: 0,
            column: 0,
            help: None,
            related: Vec::new(),
            source: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Problem {
            level: Level::Warning,
            ..Problem::error(code, span, message)
        }
    }

    /// With a hint how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With another place that matters.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<Severity> {
        Some(match self.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let main = LabeledSpan::new_primary_with_span(Some("here".into()), self.span);
        let others = self
            .related
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(std::iter::once(main).chain(others)))
    }
}

/// Every problem found in one covenant file. Renders with miette (all problems,
/// each with its source excerpt) and, through `Display`, as one plain line per
/// problem with `file:line:col`.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    source_name: String,
    problems: Vec<Problem>,
}

impl Diagnostics {
    /// Places `problems` in `source` (line and column, source excerpt), errors first.
    pub fn new(source_name: &str, source: &str, mut problems: Vec<Problem>) -> Self {
        let named = NamedSource::new(shown(source_name), Arc::<str>::from(shown(source)));
        let lines = LineIndex::new(source);
        for p in &mut problems {
            if let Cow::Owned(m) = shown(&p.message) {
                p.message = m;
            }
            if let Some(Cow::Owned(h)) = p.help.as_deref().map(shown) {
                p.help = Some(h);
            }
            let (line, column) = lines.line_col(p.span.start);
            p.line = line;
            p.column = column;
            p.source = Some(named.clone());
        }
        problems.sort_by_key(|p| (p.level != Level::Error, p.span.start));
        Diagnostics {
            source_name: shown(source_name).into_owned(),
            problems,
        }
    }

    /// Every problem, errors first, each group in file order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.level == Level::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.level == Level::Warning)
    }

    /// Whether there is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The name of the file.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// One plain line per problem: `file:line:col: error[code]: message (help: ...)`.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            let level = match p.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            out.push_str(&format!(
                "{}:{}:{}: {level}[{}]: {}",
                self.source_name, p.line, p.column, p.code, p.message
            ));
            if let Some(h) = &p.help {
                out.push_str(&format!(" (help: {h})"));
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        let warnings = self.problems.len() - errors;
        writeln!(
            f,
            "{}: {errors} error(s), {warnings} warning(s)",
            self.source_name
        )?;
        f.write_str(self.plain().trim_end())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostic for Diagnostics {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("covenant::invalid"))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_carry_line_and_column() {
        let src = "version 1\nart. 6.3  foo\n";
        let d = Diagnostics::new(
            "x.covenant",
            src,
            vec![
                Problem::warning("covenant::w", Span::new(0, 7), "a warning"),
                Problem::error("covenant::e", Span::new(20, 23), "bad 'foo'")
                    .with_help("write bar"),
            ],
        );
        assert_eq!(
            d.plain(),
            "x.covenant:2:11: error[covenant::e]: bad 'foo' (help: write bar)\nx.covenant:1:1: warning[covenant::w]: a warning\n"
        );
        assert!(d.has_errors());
        assert_eq!(d.warnings().count(), 1);
    }

    #[test]
    fn miette_renders_every_problem_with_its_excerpt() {
        let src = "art. 6.3  foo\n";
        let d = Diagnostics::new(
            "x.covenant",
            src,
            vec![
                Problem::error("covenant::e", Span::new(10, 13), "bad 'foo'")
                    .with_help("write bar"),
            ],
        );
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &d)
            .unwrap();
        assert!(out.contains("bad 'foo'"), "{out}");
        assert!(out.contains("x.covenant:1:11"), "{out}");
        assert!(out.contains("write bar"), "{out}");
    }
}
