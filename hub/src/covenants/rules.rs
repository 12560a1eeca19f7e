//! The rules of article 13, as pure functions: when a version takes effect (13.1), what
//! a proposal must declare (13.2), and what changes with it while the hub runs.
//!
//! Every change takes effect through propose + approve, while the hub runs:
//! - the parties (Annex A, article 2.3): a party joins or leaves with the version that
//!   lists it, or no longer does. The party directory switches with the covenant
//!   ([`crate::parties::PartiesInForce`]): a joined party's certificates are accepted
//!   from then on; a party that left has its agent's live link ended and its
//!   certificates refused, and what waited for it (queued questions, deliveries) is
//!   dropped. Who approves is article 13.1's rule, counted among the parties of the
//!   version in force: a joining party is not a party yet, so its privacy officer
//!   cannot approve (the hub refuses its certificates); a leaving party is a party
//!   until the version takes effect, so its approval counts like any other, and is not
//!   required (13.1 asks for any two parties, one of kind `gemeente`). Proposals are
//!   warned (`party-joins`, `party-leaves`) so approvers see it. The one change refused
//!   is another kind for a listed OIN (`party-kind-changed`): the person registry and
//!   past decisions placed its people by that kind; a party changes kind by leaving in
//!   one version and joining in a later one.
//! - the case policy (how long an emergency lasts, 15.3; the retention terms, 9.1 and
//!   9.2) switches with the covenant: an emergency declared before the switch keeps
//!   the end it was declared with, a new one lasts as the new version says; the
//!   retention terms apply to every case the hub holds from the switch on, and holders
//!   of delivered data get a new retention notice when the delete moment moved
//!   ([`crate::deliveries`]). A proposal changing them is warned (`case-policy-changes`).
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

/// Where the text lists the party with this OIN, or else its first party.
fn party_span(text: &str, oin: &str) -> Span {
    parser::parse(text)
        .0
        .into_iter()
        .find_map(|line| match line {
            Line::Party { oin: o, .. } if o.text == oin => Some(o.span),
            _ => None,
        })
        .unwrap_or_else(|| parties_span(text))
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

/// The problems that keep a valid `proposed` text from becoming a version of this hub
/// (its number must be above `highest`, every stored version, article 13.2; a listed
/// party keeps its kind), and the warnings that tell approvers what it changes beyond
/// the decisions: parties joining or leaving, the case policy (module doc).
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
    for new in proposed.parties() {
        let Some(old) = in_force.parties().iter().find(|p| p.oin == new.oin) else {
            problems.push(
                Problem::warning(
                    "covenant::party-joins",
                    party_span(text, &new.oin),
                    format!(
                        "{} ({}, {}) joins: when this version takes effect its agent and persons are accepted (art. 2.3); it is not a party before, so its privacy officer cannot approve this version (art. 13.1)",
                        new.name, new.oin, new.kind
                    ),
                )
                .with_help(
                    "register its persons in the hub's person registry; its agent needs an organisation certificate with this OIN",
                ),
            );
            continue;
        };
        if old.kind != new.kind {
            problems.push(
                Problem::error(
                    "covenant::party-kind-changed",
                    party_span(text, &new.oin),
                    format!(
                        "{} is of kind {} in version {} in force; this version makes it {}: the person registry and past decisions placed its people by its kind",
                        new.oin,
                        old.kind,
                        in_force.version(),
                        new.kind
                    ),
                )
                .with_help(format!(
                    "keep kind {}; a party changes kind by leaving in one version and joining in a later one",
                    old.kind
                )),
            );
        }
    }
    for old in in_force.parties() {
        if !proposed.parties().iter().any(|p| p.oin == old.oin) {
            problems.push(
                Problem::warning(
                    "covenant::party-leaves",
                    parties_span(text),
                    format!(
                        "{} ({}, {}) leaves: when this version takes effect its agent is disconnected and refused, and questions and deliveries waiting for it are dropped (art. 2.3)",
                        old.name, old.oin, old.kind
                    ),
                )
                .with_help(
                    "the decisions on shares it took part in stay in the log; cases keep their history",
                ),
            );
        }
    }
    let terms = [
        (
            "15.3",
            "how long an emergency lasts",
            "emergencies declared after the switch last as this version says; those declared before keep their end",
            in_force.emergency_hours(),
            proposed.emergency_hours(),
        ),
        (
            "9.1",
            "the retention after afgesloten",
            "from the switch on it applies to every afgesloten case; holders of delivered data get a new retention notice",
            in_force.retention_months(Phase::Afgesloten),
            proposed.retention_months(Phase::Afgesloten),
        ),
        (
            "9.2",
            "the retention after buiten-aanpak",
            "from the switch on it applies to every buiten-aanpak case; holders of delivered data get a new retention notice",
            in_force.retention_months(Phase::BuitenAanpak),
            proposed.retention_months(Phase::BuitenAanpak),
        ),
    ];
    for (article, what, effect, old, new) in terms {
        if old != new {
            problems.push(Problem::warning(
                "covenant::case-policy-changes",
                article_span(proposed, text, article),
                format!(
                    "{what} (art. {article}) differs from version {} in force: {effect}",
                    in_force.version()
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;
    use treiter_policies::diagnostics::Level;

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

    fn codes(problems: &[Problem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_renamed_party_passes_without_a_word() {
        let text = with_version(2).replacen("\"GGD Amsterdam\"", "\"GGD Amstelland\"", 1);
        assert_ne!(text, with_version(2), "the fixture names the GGD");
        let proposed = Covenant::parse("v2", &text).unwrap();
        assert!(check_proposal(&v1(), &proposed, 1, &text).is_empty());
    }

    #[test]
    fn a_joining_and_a_leaving_party_are_warnings_at_their_lines() {
        let text = with_version(2)
            .replacen(
                "party 00000004000000000005 \"Stichting Lieflijk Wonen\" is woningcorporatie\n",
                "",
                1,
            )
            .replacen(
                "party 00000005000000000007",
                "party 00000004000000000008 \"Woonbron Amstel\" is woningcorporatie\nparty 00000005000000000007",
                1,
            );
        let proposed = Covenant::parse("v2", &text).unwrap();
        let problems = check_proposal(&v1(), &proposed, 1, &text);
        assert_eq!(
            codes(&problems),
            ["covenant::party-joins", "covenant::party-leaves"]
        );
        assert!(problems.iter().all(|p| p.level == Level::Warning));
        let joins = &problems[0];
        assert!(text[joins.span.start..].starts_with("00000004000000000008"));
        assert!(
            joins.message.contains("cannot approve"),
            "{}",
            joins.message
        );
        assert!(problems[1].message.contains("Stichting Lieflijk Wonen"));
    }

    #[test]
    fn a_listed_party_of_another_kind_is_refused() {
        let text = with_version(2).replacen(
            "\"Stichting Lieflijk Wonen\" is woningcorporatie",
            "\"Stichting Lieflijk Wonen\" is zorgpartner",
            1,
        );
        let proposed = Covenant::parse("v2", &text).unwrap();
        let problems = check_proposal(&v1(), &proposed, 1, &text);
        assert_eq!(codes(&problems), ["covenant::party-kind-changed"]);
        assert_eq!(problems[0].level, Level::Error);
    }

    #[test]
    fn changed_case_policy_terms_are_warned_not_refused() {
        let text = with_version(2)
            .replacen("lasts 72 hours", "lasts 48 hours", 1)
            .replacen("until 24 months after", "until 12 months after", 1);
        let proposed = Covenant::parse("v2", &text).unwrap();
        assert_eq!(proposed.emergency_hours(), Some(48));
        let problems = check_proposal(&v1(), &proposed, 1, &text);
        assert_eq!(
            codes(&problems),
            [
                "covenant::case-policy-changes",
                "covenant::case-policy-changes"
            ]
        );
        assert!(problems.iter().all(|p| p.level == Level::Warning));
    }
}
