//! The rules of article 13, as pure functions: when a version takes effect (13.1), what
//! a proposal must declare (13.2), and what this hub can switch to while running.
//!
//! What the hub derived from the covenant when it started, and how a switch treats it:
//! - the parties (Annex A, article 2.3): the party directory, the person registry
//!   checked against it, and the agents' links. A proposal whose party list differs in
//!   any way (OIN, name or kind) is refused with a `parties-changed` error: joining or
//!   leaving is a restart of the hub with the new covenant file, after it took effect
//!   (see `startup`), not a switch.
//! - the case policy: how long an emergency lasts (15.3) and the retention terms (9.1,
//!   9.2), which the case registry holds. A proposal changing any of them is refused
//!   with a `case-policy-changed` error, for the same reason: running cases and their
//!   deadlines were computed with them.
//! - everything else (categories, fields, recipients, purposes, phases, emergencies'
//!   categories, prohibited content) is read from the covenant in force per decision,
//!   so it switches atomically with [`crate::covenant_in_force::CovenantInForce`].

use treiter_policies::diagnostics::Problem;
use treiter_policies::syntax::parser;
use treiter_policies::syntax::{Line, Span};
use treiter_policies::{Covenant, PartyKind, Phase};

/// The largest text a proposal may have (privacy_officer.proto).
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// What article 13.1 still needs, given the kinds of the parties that approved (each
/// party once); `None` once it is met.
pub fn approvals_missing(approving_kinds: &[PartyKind]) -> Option<&'static str> {
    let gemeente = approving_kinds.contains(&PartyKind::Gemeente);
    match (approving_kinds.len(), gemeente) {
        (0, _) => Some(
            "needs approvals by privacy officers of at least two different parties, one of kind gemeente (art. 13.1)",
        ),
        (_, false) => {
            Some("needs an approval by a privacy officer of a party of kind gemeente (art. 13.1)")
        }
        (1, true) => Some(
            "needs an approval by a privacy officer of a second party, of any kind (art. 13.1)",
        ),
        _ => None,
    }
}

/// Where the text declares its version; the start of the text if it does not.
fn version_span(text: &str) -> Span {
    parser::parse(text)
        .0
        .into_iter()
        .find_map(|line| match line {
            Line::Version { span, .. } => Some(span),
            _ => None,
        })
        .unwrap_or_default()
}

/// Where the text lists its first party (Annex A).
fn parties_span(text: &str) -> Span {
    parser::parse(text)
        .0
        .into_iter()
        .find_map(|line| match line {
            Line::Party { oin, .. } => Some(oin.span),
            _ => None,
        })
        .unwrap_or_else(|| version_span(text))
}

/// Where the covenant encodes `article` (its first statement), or its version.
fn article_span(covenant: &Covenant, text: &str, article: &str) -> Span {
    covenant
        .statements()
        .iter()
        .find(|s| s.art.no.to_string() == article)
        .map(|s| s.span)
        .unwrap_or_else(|| version_span(text))
}

/// The problems that keep a valid `proposed` text from becoming a version of this hub:
/// its number must be above `highest` (every stored version, article 13.2), and it must
/// not change what the running hub cannot switch (module doc).
pub fn check_proposal(
    in_force: &Covenant,
    proposed: &Covenant,
    highest: u32,
    text: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if proposed.version() <= highest {
        problems.push(
            Problem::error(
                "covenant::version-not-increasing",
                version_span(text),
                format!(
                    "version {} is not higher than version {highest}, the highest this hub has",
                    proposed.version()
                ),
            )
            .with_help(format!(
                "article 13.2 numbers versions in increasing order: declare 'version {}' or higher",
                highest.saturating_add(1)
            )),
        );
    }
    let mut old: Vec<_> = in_force.parties().to_vec();
    let mut new: Vec<_> = proposed.parties().to_vec();
    old.sort_by(|a, b| a.oin.cmp(&b.oin));
    new.sort_by(|a, b| a.oin.cmp(&b.oin));
    if old != new {
        problems.push(
            Problem::error(
                "covenant::parties-changed",
                parties_span(text),
                format!(
                    "the parties (annex a, art. 2.3) differ from those of version {} in force; this hub cannot switch its parties while running",
                    in_force.version()
                ),
            )
            .with_help(
                "propose the same party list; a party joins or leaves with a new covenant file and a restart of the hub (`covenant diff` shows the difference)",
            ),
        );
    }
    let terms = [
        (
            "15.3",
            "how long an emergency lasts",
            in_force.emergency_hours(),
            proposed.emergency_hours(),
        ),
        (
            "9.1",
            "the retention after afgesloten",
            in_force.retention_months(Phase::Afgesloten),
            proposed.retention_months(Phase::Afgesloten),
        ),
        (
            "9.2",
            "the retention after buiten-aanpak",
            in_force.retention_months(Phase::BuitenAanpak),
            proposed.retention_months(Phase::BuitenAanpak),
        ),
    ];
    for (article, what, old, new) in terms {
        if old != new {
            problems.push(
                Problem::error(
                    "covenant::case-policy-changed",
                    article_span(proposed, text, article),
                    format!(
                        "{what} (art. {article}) differs from version {} in force; running cases and their deadlines were set with it, so this hub cannot switch it while running",
                        in_force.version()
                    ),
                )
                .with_help(format!(
                    "keep art. {article} as in version {}",
                    in_force.version()
                )),
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;

    fn v1() -> Covenant {
        Covenant::parse("v1", TREITERAANPAK_COVENANT).unwrap()
    }

    fn with_version(n: u32) -> String {
        TREITERAANPAK_COVENANT.replacen("version 1\n", &format!("version {n}\n"), 1)
    }

    #[test]
    fn article_13_1_needs_two_parties_one_a_gemeente() {
        use PartyKind::*;
        assert!(approvals_missing(&[]).is_some());
        assert!(
            approvals_missing(&[Gemeente])
                .unwrap()
                .contains("second party")
        );
        assert!(approvals_missing(&[Politie]).unwrap().contains("gemeente"));
        assert!(
            approvals_missing(&[Politie, Woningcorporatie])
                .unwrap()
                .contains("gemeente")
        );
        assert_eq!(approvals_missing(&[Politie, Gemeente]), None);
        assert_eq!(approvals_missing(&[Gemeente, Zorgpartner]), None);
    }

    #[test]
    fn a_higher_version_with_the_same_parties_and_terms_passes() {
        let text = with_version(2);
        let proposed = Covenant::parse("v2", &text).unwrap();
        assert!(check_proposal(&v1(), &proposed, 1, &text).is_empty());
    }

    #[test]
    fn an_equal_or_lower_version_is_refused_at_its_declaration() {
        let text = with_version(2);
        let proposed = Covenant::parse("v2", &text).unwrap();
        let problems = check_proposal(&v1(), &proposed, 2, &text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "covenant::version-not-increasing");
        let at = problems[0].span.start;
        // The span is the declared number, on the `version` line.
        assert!(text[..at].ends_with("version "), "{}", &text[at..at + 12]);
        assert!(text[at..].starts_with("2\n"));
    }

    #[test]
    fn a_changed_party_list_is_refused() {
        let text = with_version(2).replacen("\"GGD Amsterdam\"", "\"GGD Amstelland\"", 1);
        assert_ne!(text, with_version(2), "the fixture names the GGD");
        let proposed = Covenant::parse("v2", &text).unwrap();
        let problems = check_proposal(&v1(), &proposed, 1, &text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "covenant::parties-changed");
    }
}
