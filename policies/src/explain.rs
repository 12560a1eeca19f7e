//! A decision in plain words: which rules applied, in order, whether each held, and
//! why each field passed or was stripped. For privacy officers, not programmers.

use std::fmt::Write as _;

use crate::decide::{Step, StepRoute, decide_traced};
use crate::model::Covenant;
use crate::request::{Decision, DecisionRequest, Obligation, Outcome};

/// Explains the decision on one request.
pub fn explain(covenant: &Covenant, r: &DecisionRequest) -> String {
    let (d, steps) = decide_traced(covenant, r);
    let c = covenant.compiled();
    let art = |s: &Step| {
        s.article
            .and_then(|a| c.article(a))
            .map_or_else(|| " ".repeat(10), |a| format!("art. {:<5}", a.to_string()))
    };
    let party = |oin: &str| {
        covenant
            .party(oin)
            .map_or("not listed in the covenant", |p| p.name.as_str())
    };
    let mut out = String::new();
    let subject = r.case.subjects.iter().find(|s| s.id == r.subject);
    let _ = writeln!(
        out,
        "The share: {} about subject {} ({}), for {}",
        r.category,
        r.subject,
        subject.map_or("not a subject of the case", |s| s.role.as_str()),
        r.purpose
    );
    let _ = writeln!(
        out,
        "  from {} ({}, stated as {})",
        r.source.oin,
        party(&r.source.oin.to_string()),
        r.source.kind
    );
    let _ = writeln!(
        out,
        "  to {} {} of {} ({}, stated as {}){}, person {}",
        crate::vocab::a_an(r.recipient.role.as_str()),
        r.recipient.role,
        r.recipient.oin,
        party(&r.recipient.oin.to_string()),
        r.recipient.kind,
        r.recipient
            .stadsdeel
            .map(|s| format!(" in {s}"))
            .unwrap_or_default(),
        r.recipient.person
    );
    let _ = writeln!(
        out,
        "The case: {} in {}, phase {}, {}{}",
        r.case.id,
        r.case.stadsdeel,
        r.case.phase,
        if r.case.escalated {
            "escalated"
        } else {
            "not escalated"
        },
        match &r.case.emergency {
            Some(e) => format!(
                ", emergency declared by {} at {}",
                e.declared_by, e.declared_at
            ),
            None => String::new(),
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Decision: {} (covenant version {})",
        headline(&d),
        d.covenant_version
    );
    let _ = writeln!(out);

    // The route whose result stands: the emergency share's, or the ordinary one's.
    let winning = if d.emergency {
        StepRoute::Emergency
    } else {
        StepRoute::Ordinary
    };
    let _ = writeln!(out, "Rules applied, in order:");
    for (i, s) in steps.iter().enumerate() {
        let mark = match (
            s.held,
            s.fields.is_empty() && s.article != Some(c.art_unlisted),
        ) {
            (true, _) => "holds  ",
            (false, true) => "fails  ",
            (false, false) => "strips ",
        };
        let note = match s.route {
            StepRoute::Common => "",
            r if r == winning => "",
            _ => "  (not the route taken)",
        };
        let _ = writeln!(out, "  {:>2}. {} {mark}{}{note}", i + 1, art(s), s.what);
    }
    let _ = writeln!(out);

    if d.outcome == Outcome::Permit {
        let _ = writeln!(out, "Fields:");
        let width = r
            .fields
            .iter()
            .map(|f| f.chars().count())
            .max()
            .unwrap_or(0);
        for f in &r.fields {
            let reason = if d.passed.contains(f) {
                "passes".to_owned()
            } else {
                let id = c.field_ids.get(f.as_str()).copied();
                // The field steps of the route taken that failed for this field.
                let withheld_by: Vec<crate::compile::ArtId> = steps
                    .iter()
                    .filter(|s| !s.held && (s.route == winning || s.route == StepRoute::Common))
                    .filter(|s| match id {
                        Some(id) => s.fields.contains(id),
                        None => s.article == Some(c.art_unlisted),
                    })
                    .filter_map(|s| s.article)
                    .collect();
                let why = match id {
                    None => "the covenant lists no such field".to_owned(),
                    Some(_) if withheld_by.contains(&c.art_unlisted) => {
                        format!("{} does not list it", r.category)
                    }
                    Some(_) => "withheld from this recipient".to_owned(),
                };
                let arts: Vec<String> = withheld_by
                    .iter()
                    .filter_map(|a| c.article(*a))
                    .map(|a| format!("art. {a}"))
                    .collect();
                format!("stripped: {why} ({})", arts.join(", "))
            };
            let _ = writeln!(out, "  {f:<width$}  {reason}");
        }
        if r.fields.is_empty() {
            let _ = writeln!(out, "  (no fields offered)");
        }
        let _ = writeln!(out);
    } else if !r.fields.is_empty() {
        let _ = writeln!(
            out,
            "Fields: nothing passes; offered were {}",
            r.fields.join(", ")
        );
        let _ = writeln!(out);
    }

    let arts: Vec<String> = d.articles.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "The decision rests on: art. {}", arts.join(", art. "));
    // The encoding's lines for those articles, so they can be read next to the covenant.
    for a in &d.articles {
        for s in covenant.statements().iter().filter(|s| s.art.no == *a) {
            if matches!(s.body, crate::syntax::Body::Note { .. }) {
                continue;
            }
            let text = covenant
                .source()
                .get(s.span.start..s.span.end)
                .unwrap_or("");
            let _ = writeln!(out, "  line {:>3}: {}", s.line, text.trim());
        }
    }
    if !d.obligations.is_empty() {
        let obligations: Vec<String> = d
            .obligations
            .iter()
            .map(|o| match o {
                Obligation::Retention { article } => {
                    format!("keep and delete as art. {article} says")
                }
                Obligation::PurposeBinding { purpose, article } => {
                    format!("use only for {purpose} (art. {article})")
                }
                Obligation::Review { article } => {
                    format!("review as an emergency share (art. {article})")
                }
            })
            .collect();
        let _ = writeln!(out, "The recipient must: {}", obligations.join("; "));
    }
    if d.notify.is_empty() {
        let _ = writeln!(out, "No one is notified.");
    } else {
        for n in &d.notify {
            let _ = writeln!(
                out,
                "Notify: the privacy officer of {} ({}), under art. {}",
                n.oin,
                party(&n.oin.to_string()),
                n.article
            );
        }
    }
    out
}

fn headline(d: &Decision) -> String {
    match d.outcome {
        Outcome::Permit if d.emergency => "PERMIT, as an emergency share".into(),
        Outcome::Permit if d.stripped.is_empty() => "PERMIT".into(),
        Outcome::Permit => format!("PERMIT, with {} stripped", d.stripped.join(", ")),
        Outcome::Deny => "DENY: nothing passes".into(),
        Outcome::Reject => "REJECT: the share carries prohibited content; nothing passes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_a_stripped_field_and_the_rules_in_order() {
        let c = Covenant::parse("t", crate::TREITERAANPAK_COVENANT).unwrap();
        let text = r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"duiding","escalated":false,
            "participants":[],"subjects":[{"id":"S1","role":"dader","consent":[]}]},
            "source":{"oin":"00000002000000000002","kind":"politie"},
            "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"informatiemakelaar","stadsdeel":"oost","person":"p-1"},
            "subject":"S1","category":"politie-incidenten","purpose":"duiding","fields":["datum","samenvatting","kleur"]}"#;
        let Ok(crate::Requests::One(r)) = DecisionRequest::parse_json(text) else {
            panic!()
        };
        let e = explain(&c, &r);
        assert!(
            e.contains("Decision: PERMIT, with kleur, samenvatting stripped"),
            "{e}"
        );
        assert!(
            e.contains("samenvatting  stripped: withheld from this recipient (art. 6.3a)"),
            "{e}"
        );
        assert!(
            e.contains("kleur         stripped: the covenant lists no such field (art. 8.1)"),
            "{e}"
        );
        assert!(e.contains("datum         passes"), "{e}");
        assert!(
            e.contains("art. 2.3   holds  the source party is listed with kind politie"),
            "{e}"
        );
        assert!(
            e.contains("art. 4.2   holds  purpose duiding fits phase duiding"),
            "{e}"
        );
        assert!(
            e.contains("The decision rests on: art. 4.2, art. 6.3, art. 6.3a, art. 8.1"),
            "{e}"
        );
        assert!(e.contains("use only for duiding (art. 3.2)"), "{e}");
        assert!(
            e.contains("  line  69: art. 6.3a samenvatting of politie-incidenten is shared only with a stadsdeelregisseur or stedelijk-regisseur"),
            "{e}"
        );
    }

    #[test]
    fn a_field_of_another_category_is_named_as_not_listed() {
        let c = Covenant::parse("t", crate::TREITERAANPAK_COVENANT).unwrap();
        let text = r#"{"at":"2026-11-23T10:00:00Z","case":{"id":"C-1","stadsdeel":"oost","phase":"aanpak","escalated":false,
            "participants":[],"subjects":[{"id":"S1","role":"dader","consent":[]}]},
            "source":{"oin":"00000004000000000004","kind":"woningcorporatie"},
            "recipient":{"oin":"00000001000000000001","kind":"gemeente","role":"stadsdeelregisseur","stadsdeel":"oost","person":"p-1"},
            "subject":"S1","category":"identificatie","purpose":"aanpak","fields":["naam","bsn","samenvatting"]}"#;
        let Ok(crate::Requests::One(r)) = DecisionRequest::parse_json(text) else {
            panic!()
        };
        let e = explain(&c, &r);
        assert!(
            e.contains("samenvatting  stripped: identificatie does not list it (art. 8.1)"),
            "{e}"
        );
        assert!(
            e.contains("bsn           stripped: withheld from this recipient (art. 6.1a)"),
            "{e}"
        );
        assert!(e.contains("naam          passes"), "{e}");
    }

    /// "strips fields that huurgegevens does not list are stripped", and a field cut
    /// by a widening's "with field ... only" shown as failing with no article.
    #[test]
    fn strip_steps_read_once_and_name_their_article() {
        let c = Covenant::parse("t", crate::TREITERAANPAK_COVENANT).unwrap();
        let given = crate::covtest::parse_request(
            "r",
            "case in oost, phase aanpak; subject S1 is dader; participants politie; share huurgegevens about S1 for aanpak; from 00000004000000000004; to a partnercontact of politie; fields huurstatus, huurachterstand, kleur",
        )
        .unwrap();
        let r = crate::covtest::request_of(&c, &given).unwrap();
        let e = explain(&c, &r);
        assert!(
            e.contains("art. 8.1   strips the fields that huurgegevens does not list\n"),
            "{e}"
        );
        assert!(
            e.contains(
                "art. 6.5a  strips huurachterstand: only huurstatus passes to this recipient\n"
            ),
            "{e}"
        );
        assert!(
            e.contains("huurachterstand  stripped: withheld from this recipient (art. 6.5a)"),
            "{e}"
        );
        assert!(!e.contains("does not list are stripped\n  10"), "{e}");
    }
}
