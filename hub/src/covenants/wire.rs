//! Covenant versions and validation messages in their wire form
//! (privacy_officer.proto).

use treiter_policies::diagnostics::{Diagnostics, Level, Problem};
use treiter_policies::syntax::span::LineIndex;
use treiter_policies::syntax::{Line, parser};
use treiter_proto::v1 as wire;

use super::record::{ActorRecord, VersionRecord};
use super::rules;
use crate::identity::Oin;
use crate::parties::PartyDirectory;

/// The diagnostics of a text, in text order, as the covenant tool reports them: line
/// and column from 1 (columns in characters), the end inclusive, the article encoded
/// at that place.
pub fn diagnostics(diagnostics: &Diagnostics, text: &str) -> Vec<wire::CovenantDiagnostic> {
    let statements: Vec<_> = parser::parse(text)
        .0
        .into_iter()
        .filter_map(|line| match line {
            Line::Statement(s) => Some((s.span, s.art.no.to_string())),
            _ => None,
        })
        .collect();
    let lines = LineIndex::new(text);
    let mut out: Vec<_> = diagnostics
        .problems()
        .iter()
        .map(|p| one(p, &lines, &statements))
        .collect();
    out.sort_by_key(|d| (d.line, d.column));
    out
}

fn one(
    p: &Problem,
    lines: &LineIndex<'_>,
    statements: &[(treiter_policies::syntax::Span, String)],
) -> wire::CovenantDiagnostic {
    let (line, column) = lines.line_col(p.span.start);
    let last = p.span.end.saturating_sub(1).max(p.span.start);
    let (end_line, end_column) = lines.line_col(last);
    // The statements are in text order and do not overlap: the last one starting at
    // or before the problem is the only one that can hold it.
    let before = statements.partition_point(|(span, _)| span.start <= p.span.start);
    let article = before
        .checked_sub(1)
        .and_then(|i| statements.get(i))
        .filter(|(span, _)| p.span.start < span.end.max(span.start + 1))
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    wire::CovenantDiagnostic {
        severity: match p.level {
            Level::Error => "error",
            Level::Warning => "warning",
        }
        .to_owned(),
        // The proto's codes are the bare words ("unknown-category"); the covenant tool
        // prefixes them with its own name.
        code: p
            .code
            .strip_prefix("covenant::")
            .unwrap_or(p.code)
            .to_owned(),
        message: p.message.clone(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
        end_line: u32::try_from(end_line).unwrap_or(u32::MAX),
        end_column: u32::try_from(end_column).unwrap_or(u32::MAX),
        help: p.help.clone().unwrap_or_default(),
        article,
    }
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// A privacy officer as a wire Person: the one role they act in.
pub fn person(actor: &ActorRecord, parties: &PartyDirectory) -> wire::Person {
    let party = Oin::parse(&actor.party)
        .ok()
        .and_then(|oin| parties.get(&oin).ok().map(|p| p.to_proto()))
        .or_else(|| {
            Some(wire::Party {
                oin: actor.party.clone(),
                ..Default::default()
            })
        });
    wire::Person {
        id: actor.person.clone(),
        party,
        roles: vec!["privacy-officer".to_owned()],
        stadsdeel: String::new(),
        // Filled in from the person registry by [`name_people`].
        name: String::new(),
    }
}

/// Gives the proposer and approvers of `version` their registered names.
pub fn name_people(
    mut version: wire::CovenantVersion,
    persons: &crate::persons::PersonRegistry,
) -> wire::CovenantVersion {
    let people = version.proposed_by.iter_mut().chain(
        version
            .approvals
            .iter_mut()
            .filter_map(|a| a.approver.as_mut()),
    );
    for p in people {
        p.name = persons.name_of(&p.id).to_owned();
    }
    version
}

/// The kinds of the parties that approved `record`.
pub fn approving_kinds(
    record: &VersionRecord,
    parties: &PartyDirectory,
) -> Vec<treiter_policies::PartyKind> {
    record
        .approvals
        .iter()
        .filter_map(|a| Oin::parse(&a.by.party).ok())
        .filter_map(|oin| parties.get(&oin).ok().map(|p| p.kind))
        .collect()
}

/// A version without text, diff or warnings; the caller adds what was asked for.
pub fn version(record: &VersionRecord, parties: &PartyDirectory) -> wire::CovenantVersion {
    let missing = match record.status {
        super::record::VersionStatus::Proposed => {
            rules::approvals_missing(&approving_kinds(record, parties)).unwrap_or_default()
        }
        // Nothing is missing for a version that took effect, and nothing can help one
        // that was superseded before it did.
        _ => "",
    };
    wire::CovenantVersion {
        version: record.version,
        status: record.status.as_str().to_owned(),
        text_sha256: crate::log::hash::Hash::from_hex(&record.sha256)
            .map(|h| h.0.to_vec())
            .unwrap_or_default(),
        text: String::new(),
        description: record.description.clone(),
        diff: String::new(),
        proposed_at: record.proposed_at_ms.map(timestamp),
        proposed_by: record.proposed_by.as_ref().map(|a| person(a, parties)),
        approvals: record
            .approvals
            .iter()
            .map(|a| wire::CovenantApproval {
                approver: Some(person(&a.by, parties)),
                approved_at: Some(timestamp(a.at_ms)),
                text_sha256: crate::log::hash::Hash::from_hex(&a.sha256)
                    .map(|h| h.0.to_vec())
                    .unwrap_or_default(),
            })
            .collect(),
        approvals_missing: missing.to_owned(),
        in_force_from: record.in_force_from_ms.map(timestamp),
        superseded_at: record.superseded_at_ms.map(timestamp),
        superseded_by: record.superseded_by,
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use treiter_policies::{Covenant, TREITERAANPAK_COVENANT};

    #[test]
    fn an_error_has_its_line_column_end_and_article_and_the_bare_code() {
        let text = TREITERAANPAK_COVENANT.replacen(
            "art. 6.3  category politie-incidenten",
            "art. 6.3  category politie-incidentn",
            1,
        );
        let diagnostics = Covenant::parse("proposal", &text).unwrap_err();
        let out = super::diagnostics(&diagnostics, &text);
        let first = out
            .iter()
            .find(|d| d.severity == "error")
            .expect("an error");
        assert!(!first.code.starts_with("covenant::"), "{first:?}");
        let line = text
            .lines()
            .position(|l| l.contains("politie-incidentn"))
            .expect("line")
            + 1;
        let at = out
            .iter()
            .find(|d| d.line as usize == line)
            .unwrap_or_else(|| panic!("an error on line {line}: {out:?}"));
        assert_eq!(at.article, "6.3");
        assert!(at.column >= 1 && at.end_line as usize == line && at.end_column >= at.column);
        assert!(
            out.windows(2)
                .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column))
        );
    }
}
