//! The validated covenant: its parties, its statements, and the indexed form the
//! engine decides with.

use crate::compile::Compiled;
use crate::decide::{Decision, DecisionRequest};
use crate::diagnostics::{Diagnostics, Problem};
use crate::syntax::{Statement, parser};
use crate::vocab::{PartyKind, Phase};
use crate::{decide, validate};

/// Problems that a syntax error elsewhere can cause by itself.
const CASCADES: &[&str] = &[
    "covenant::category-without-source",
    "covenant::category-without-recipients",
    "covenant::category-without-fields",
    "covenant::paragraph-missing",
    "covenant::missing",
    "covenant::emergency",
    "covenant::dangling-reference",
    "covenant::unreachable",
];

/// A party to the covenant (article 2.3, annex A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Its OIN: 20 digits.
    pub oin: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: PartyKind,
}

/// A parsed and validated covenant, compiled for deciding.
#[derive(Debug, Clone)]
pub struct Covenant {
    pub(crate) title: String,
    pub(crate) parties: Vec<Party>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) compiled: Compiled,
    pub(crate) warnings: Vec<Problem>,
    /// The text it was parsed from (for showing rules as written).
    pub(crate) source: String,
}

/// Why a covenant file could not be loaded ([`Covenant::load`]).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the covenant {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text does not validate: every problem, with line and column.
    #[error("the covenant {path} is not valid")]
    Invalid {
        path: std::path::PathBuf,
        diagnostics: Diagnostics,
    },
}

impl Covenant {
    /// Reads and validates the covenant file at `path`, for the hub and the agents
    /// alike; the diagnostics name the file as it was given.
    pub fn load(path: &std::path::Path) -> Result<Covenant, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Covenant::parse(&path.display().to_string(), &text).map_err(|diagnostics| {
            LoadError::Invalid {
                path: path.to_path_buf(),
                diagnostics,
            }
        })
    }

    /// Parses and validates a covenant text. On failure, the diagnostics list every
    /// error (and warning) with its line and column.
    pub fn parse(source_name: &str, text: &str) -> Result<Covenant, Diagnostics> {
        let (lines, syntax_errors) = parser::parse(text);
        let mut problems: Vec<Problem> = syntax_errors
            .into_iter()
            .map(|e| {
                let p = Problem::error("covenant::syntax", e.span, e.message);
                match e.help {
                    Some(h) => p.with_help(h),
                    None => p,
                }
            })
            .collect();
        let syntax_failed = !problems.is_empty();
        let validated = validate::validate(lines, &mut problems, text);
        if syntax_failed {
            // A line that did not parse is missing from the checks of completeness, so
            // their complaints would be echoes of the syntax error, not news.
            problems.retain(|p| !CASCADES.contains(&p.code));
        }
        let diagnostics = Diagnostics::new(source_name, text, problems);
        match validated {
            Some(covenant) if !diagnostics.has_errors() => Ok(Covenant {
                warnings: diagnostics.problems().to_vec(),
                source: text.to_owned(),
                ..covenant
            }),
            _ => Err(diagnostics),
        }
    }

    /// The covenant's version (article 13.2).
    pub fn version(&self) -> u32 {
        self.compiled.version
    }

    /// The covenant's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The listed parties, in file order.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The party with this OIN.
    pub fn party(&self, oin: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.oin == oin)
    }

    /// The statements, in file order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The text the covenant was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Warnings found while validating (the covenant is usable).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// How many statements are rules and how many are notes (paragraphs the engine
    /// does not decide on).
    pub fn rules_and_notes(&self) -> (usize, usize) {
        let notes = self
            .statements
            .iter()
            .filter(|s| matches!(s.body, crate::syntax::Body::Note { .. }))
            .count();
        (self.statements.len() - notes, notes)
    }

    /// The line `covenant check` prints for a valid file named `source_name`:
    /// `treiteraanpak.covenant: valid, version 1, 7 parties, 96 rules and 35 notes, 0
    /// warning(s)`.
    pub fn valid_line(&self, source_name: &str) -> String {
        let (rules, notes) = self.rules_and_notes();
        format!(
            "{source_name}: valid, version {}, {} parties, {rules} rules and {notes} notes, {} warning(s)",
            self.version(),
            self.parties.len(),
            self.warnings.len()
        )
    }

    /// The indexed form.
    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// Decides one share (see [`decide::decide`]).
    pub fn decide(&self, request: &DecisionRequest) -> Decision {
        decide::decide(self, request)
    }

    /// How many months data is kept after a case reaches `phase` (article 9), if the
    /// covenant says.
    pub fn retention_months(&self, phase: Phase) -> Option<u32> {
        self.compiled
            .retention_terms
            .iter()
            .find(|(p, _, _)| *p == phase)
            .map(|(_, m, _)| *m)
    }

    /// Whether the covenant declares `role` among its roles (`roles are ...`, art.
    /// 5.2): the hub honours a registry role only when the covenant in force has it.
    pub fn declares_role(&self, role: crate::vocab::Role) -> bool {
        self.compiled.roles.0 & role.bit() != 0
    }

    /// How many hours an emergency lasts (article 15.3), if the covenant has emergencies.
    pub fn emergency_hours(&self) -> Option<u32> {
        self.compiled.emergency.as_ref().map(|e| e.hours)
    }
}

#[cfg(test)]
mod tests {

    /// The hub and the agents load a covenant file the same way: a file that cannot be
    /// read and a text that does not validate are told apart, with the path as given.
    #[test]
    fn load_tells_an_unreadable_file_from_an_invalid_text() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.covenant");
        assert!(matches!(
            Covenant::load(&missing),
            Err(LoadError::Read { path, .. }) if path == missing
        ));
        let invalid = dir.path().join("invalid.covenant");
        std::fs::write(&invalid, "covenant \"x\" version one\n").unwrap();
        match Covenant::load(&invalid) {
            Err(LoadError::Invalid { path, diagnostics }) => {
                assert_eq!(path, invalid);
                assert!(
                    diagnostics.plain().contains("invalid.covenant"),
                    "{}",
                    diagnostics.plain()
                );
            }
            other => panic!("{other:?}"),
        }
        let valid = dir.path().join("treiteraanpak.covenant");
        std::fs::write(&valid, crate::TREITERAANPAK_COVENANT).unwrap();
        Covenant::load(&valid).unwrap();
    }
    use super::*;

    #[test]
    fn the_valid_line_counts_rules_and_notes() {
        let c = Covenant::parse("t", crate::TREITERAANPAK_COVENANT).unwrap();
        let (rules, notes) = c.rules_and_notes();
        assert!(rules > 0 && notes > 0);
        assert_eq!(rules + notes, c.statements().len());
        assert_eq!(
            c.valid_line("x.covenant"),
            format!(
                "x.covenant: valid, version 1, 7 parties, {rules} rules and {notes} notes, 0 warning(s)"
            )
        );
    }
}
