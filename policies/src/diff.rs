//! What changes between two versions of the covenant, in words a privacy officer
//! reads before approving the new one (article 13.1):
//! - the version, and the parties added, removed or changed;
//! - the rules added and removed, by article;
//! - the effect on decisions: every kind of share (category, source kind, recipient
//!   role and kind, purpose, subject) whose decision changes, decided by both
//!   versions; and, when given, the effect on real past requests, replayed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::model::Covenant;
use crate::request::{
    Case, Decision, DecisionRequest, Emergency, Oin, Outcome, Recipient, Source, Subject, Timestamp,
};
use crate::syntax::Body;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole, a_an};

/// The differences, as text; empty sections are left out.
pub fn diff(old: &Covenant, new: &Covenant, replay: &[DecisionRequest]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Version: {} -> {}", old.version(), new.version());
    if new.version() <= old.version() {
        let _ = writeln!(
            out,
            "  warning: the new version is not higher than the old one (art. 13.2 numbers versions in increasing order)"
        );
    }

    let mut parties = Vec::new();
    for p in new.parties() {
        match old.party(&p.oin) {
            None => parties.push(format!("  added: {} \"{}\", {}", p.oin, p.name, p.kind)),
            Some(o) if o.kind != p.kind => {
                parties.push(format!(
                    "  changed: {} \"{}\" is now {}, was {}",
                    p.oin, p.name, p.kind, o.kind
                ));
            }
            Some(o) if o.name != p.name => {
                parties.push(format!(
                    "  renamed: {} \"{}\", was \"{}\"",
                    p.oin, p.name, o.name
                ));
            }
            Some(_) => {}
        }
    }
    for p in old.parties() {
        if new.party(&p.oin).is_none() {
            parties.push(format!(
                "  removed: {} \"{}\", {}: its shares are refused (art. 2.3)",
                p.oin, p.name, p.kind
            ));
        }
    }
    if !parties.is_empty() {
        let _ = writeln!(out, "\nParties:");
        for p in parties {
            let _ = writeln!(out, "{p}");
        }
    }

    let rules = |c: &Covenant| -> BTreeSet<(crate::ArticleNo, String)> {
        c.statements()
            .iter()
            .filter(|s| !matches!(s.body, Body::Note { .. }))
            .map(|s| (s.art.no, statement_text(c, s)))
            .collect()
    };
    let (old_rules, new_rules) = (rules(old), rules(new));
    let removed: Vec<_> = old_rules.difference(&new_rules).collect();
    let added: Vec<_> = new_rules.difference(&old_rules).collect();
    if !removed.is_empty() || !added.is_empty() {
        let _ = writeln!(out, "\nRules:");
        for (a, t) in removed {
            let _ = writeln!(out, "  art. {a:<5} removed: {t}", a = a.to_string());
        }
        for (a, t) in added {
            let _ = writeln!(out, "  art. {a:<5} added:   {t}", a = a.to_string());
        }
    }

    let changes = grid_changes(old, new);
    let _ = writeln!(
        out,
        "\nEffect on decisions ({}):",
        if changes.len() == 1 {
            "1 kind of share changes".to_owned()
        } else {
            format!("{} kinds of share change", changes.len())
        }
    );
    if changes.is_empty() {
        let _ = writeln!(out, "  none: every kind of share is decided as before");
    }
    for c in &changes {
        let _ = writeln!(out, "  {c}");
    }

    if !replay.is_empty() {
        let mut changed = 0;
        let mut lines = Vec::new();
        for (i, r) in replay.iter().enumerate() {
            let (a, b) = (old.decide(r), new.decide(r));
            if !same(&a, &b) {
                changed += 1;
                lines.push(format!(
                    "  [{i}] case {}, {} for {}: was {}, now {}",
                    r.case.id,
                    r.category,
                    r.purpose,
                    summary(&a),
                    summary(&b)
                ));
            }
        }
        let _ = writeln!(
            out,
            "\nReplayed requests: {changed} of {} decided differently",
            replay.len()
        );
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

/// A statement as one line of text, as written (spacing normalised), without its article.
fn statement_text(c: &Covenant, s: &crate::syntax::Statement) -> String {
    let line = c.source.get(s.span.start..s.span.end).unwrap_or("");
    line.split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
}

fn same(a: &Decision, b: &Decision) -> bool {
    a.outcome == b.outcome
        && a.passed == b.passed
        && a.stripped == b.stripped
        && a.emergency == b.emergency
        && a.articles == b.articles
}

fn summary(d: &Decision) -> String {
    let arts: Vec<String> = d.articles.iter().map(ToString::to_string).collect();
    let arts = format!("art. {}", arts.join(", "));
    match d.outcome {
        Outcome::Permit => {
            let mut s = format!(
                "permit{} (passing {}",
                if d.emergency {
                    " as an emergency share"
                } else {
                    ""
                },
                if d.passed.is_empty() {
                    "nothing".into()
                } else {
                    d.passed.join(", ")
                }
            );
            if !d.stripped.is_empty() {
                s.push_str(&format!("; stripping {}", d.stripped.join(", ")));
            }
            s.push_str(&format!("; {arts})"));
            s
        }
        Outcome::Deny => format!("deny ({arts})"),
        Outcome::Reject => format!("reject ({arts})"),
    }
}

/// The subjects a grid share can be about.
const SUBJECTS: [(&str, SubjectRole, bool); 4] = [
    ("a dader", SubjectRole::Dader, false),
    (
        "a slachtoffer who consented",
        SubjectRole::Slachtoffer,
        true,
    ),
    (
        "a slachtoffer without consent",
        SubjectRole::Slachtoffer,
        false,
    ),
    ("a melder", SubjectRole::Melder, false),
];

/// A phase the purpose fits (art. 4.2) under the new covenant, else under the old
/// one; a purpose that fits none (evaluatie) is tried in the first open phase.
fn natural_phase(old: &Covenant, new: &Covenant, p: Purpose) -> Phase {
    let first = |mask: u32| Phase::ALL.iter().copied().find(|ph| mask & ph.bit() != 0);
    first(new.compiled().fit(p).0)
        .or_else(|| first(old.compiled().fit(p).0))
        .or_else(|| {
            let closed = new.compiled().phase_bars.iter().fold(0, |m, (b, _)| m | b);
            first(!closed)
        })
        .unwrap_or(Phase::Aanpak)
}

fn first_of_kind(new: &Covenant, old: &Covenant, k: PartyKind) -> Option<Oin> {
    new.parties()
        .iter()
        .chain(old.parties())
        .find(|p| p.kind == k)
        .and_then(|p| Oin::parse(&p.oin))
}

/// Decides every kind of share with both covenants and describes those that change,
/// merging kinds of share that differ only in the source's kind.
fn grid_changes(old: &Covenant, new: &Covenant) -> Vec<String> {
    let Some(at) = Timestamp::parse("2026-01-01T12:00:00Z") else {
        return Vec::new();
    };
    // Kinds of share with the same change are merged: the subjects, emergency or not,
    // and source kinds they cover are listed once.
    type Covers = (BTreeSet<&'static str>, BTreeSet<bool>, BTreeSet<PartyKind>);
    let mut merged: BTreeMap<(String, String), Covers> = BTreeMap::new();
    for &category in Category::ALL {
        let fields: BTreeSet<String> = [old, new]
            .iter()
            .flat_map(|c| {
                let comp = c.compiled();
                comp.category(category)
                    .map(|r| {
                        r.fields
                            .iter()
                            .filter_map(|f| comp.fields.get(usize::from(f)).cloned())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
            .collect();
        for &role in Role::ALL {
            for &rkind in PartyKind::ALL {
                let Some(roin) = first_of_kind(new, old, rkind) else {
                    continue;
                };
                for &purpose in Purpose::ALL {
                    for (label, srole, consent) in SUBJECTS {
                        for emergency in [false, true] {
                            for &skind in PartyKind::ALL {
                                let Some(soin) = first_of_kind(new, old, skind) else {
                                    continue;
                                };
                                let r = DecisionRequest {
                                    at,
                                    case: Case {
                                        id: "grid".into(),
                                        stadsdeel: Stadsdeel::Centrum,
                                        phase: natural_phase(old, new, purpose),
                                        escalated: role == Role::StedelijkRegisseur,
                                        participants: vec![roin],
                                        subjects: vec![Subject {
                                            id: "S".into(),
                                            role: srole,
                                            consent: if consent {
                                                Category::ALL.to_vec()
                                            } else {
                                                Vec::new()
                                            },
                                        }],
                                        emergency: emergency.then(|| Emergency {
                                            declared_by: "p".into(),
                                            declared_at: at,
                                            reason: String::new(),
                                        }),
                                    },
                                    source: Source {
                                        oin: soin,
                                        kind: skind,
                                    },
                                    recipient: Recipient {
                                        oin: roin,
                                        kind: rkind,
                                        role,
                                        stadsdeel: Some(Stadsdeel::Centrum),
                                        person: "p".into(),
                                    },
                                    subject: "S".into(),
                                    category,
                                    purpose,
                                    fields: fields.iter().cloned().collect(),
                                };
                                let (a, b) = (old.decide(&r), new.decide(&r));
                                if same(&a, &b) {
                                    continue;
                                }
                                let what = format!(
                                    "{category} to {} {role} of {rkind} for {purpose}",
                                    a_an(role.as_str())
                                );
                                let change = format!("was {}, now {}", summary(&a), summary(&b));
                                let entry = merged.entry((what, change)).or_default();
                                entry.0.insert(label);
                                entry.1.insert(emergency);
                                entry.2.insert(skind);
                            }
                        }
                    }
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|((what, change), (subjects, emergency, kinds))| {
            let from = if kinds.len() == PartyKind::ALL.len() {
                "any party".to_owned()
            } else {
                kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let about = if subjects.len() == SUBJECTS.len() {
                "any subject".to_owned()
            } else {
                SUBJECTS
                    .iter()
                    .map(|(l, _, _)| *l)
                    .filter(|l| subjects.contains(l))
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            let when = match (emergency.contains(&false), emergency.contains(&true)) {
                (true, true) => "",
                (false, true) => ", during the recipient's own emergency",
                _ => ", without an emergency",
            };
            format!("{what}, about {about}{when}, from {from}: {change}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cov(text: &str) -> Covenant {
        Covenant::parse("t", text).unwrap()
    }

    #[test]
    fn the_same_covenant_changes_nothing() {
        let c = cov(crate::TREITERAANPAK_COVENANT);
        let d = diff(&c, &c, &[]);
        assert!(
            d.contains("Effect on decisions (0 kinds of share change)"),
            "{d}"
        );
        assert!(!d.contains("Rules:"), "{d}");
    }

    #[test]
    fn removing_a_widening_shows_who_loses_what() {
        let old = cov(crate::TREITERAANPAK_COVENANT);
        let text = crate::TREITERAANPAK_COVENANT
            .replace("art. 6.5a huurgegevens also goes to a partnercontact of politie for aanpak, with field huurstatus only", "art. 6.5a note: removed")
            .replace(", and art. 6.5a does not limit", "")
            .replace("version 1", "version 2");
        let new = cov(&text);
        let d = diff(&old, &new, &[]);
        assert!(d.contains("Version: 1 -> 2"), "{d}");
        assert!(d.contains("art. 6.5a  removed:"), "{d}");
        assert!(
            d.contains("huurgegevens to a partnercontact of politie for aanpak, about any subject, without an emergency, from woningcorporatie: was permit (passing huurstatus; stripping huurachterstand, huurder_sinds, overlastdossier; art. 4.2, 6.5, 6.5a), now deny (art. 6.5)"),
            "{d}"
        );
    }
}
