//! Every `deny` of the real encoding cites exactly the articles the covenant's
//! "Outcomes" rule names: "every article whose condition failed, except those set aside
//! by 14.1 or 15.1", where a widening article (6.5a, 14.1, 15.1) whose own condition
//! does not hold sets nothing aside.
//!
//! The expected citations come from an independent reading of docs/COVENANT.md written out
//! below ([`expected`]): tables of who provides and receives each category, copied from
//! the covenant text, not from the encoding or the engine. The search walks every
//! combination of category, source kind, recipient role and kind, phase, purpose,
//! escalation, emergency, subject role, consent, stadsdeel and participation (the
//! parties listed, no prohibited field: those are decided before any of this and have
//! their own tests), and compares the engine's outcome and, on a deny, its articles.

use std::collections::BTreeSet;

use treiter_policies::request::{Case, Emergency, Recipient, Source, Subject};
use treiter_policies::{
    Category, Covenant, DecisionRequest, Oin, Outcome, PartyKind, Phase, Purpose, Role, Stadsdeel,
    SubjectRole, TREITERAANPAK_COVENANT, Timestamp,
};

use Category as C;
use PartyKind as K;
use Purpose as P;
use Role as R;

/// One "goes to" line of article 6: a role (of some party kinds) for some purposes.
struct Grant {
    role: Role,
    kinds: &'static [PartyKind],
    purposes: &'static [Purpose],
}

const ANY: &[PartyKind] = PartyKind::ALL;
const RDA: &[Purpose] = &[P::Registratie, P::Duiding, P::Aanpak];
const DA: &[Purpose] = &[P::Duiding, P::Aanpak];
const A: &[Purpose] = &[P::Aanpak];

/// The category's own article, its sources, its recipients (article 6, without the
/// widening of 6.5a), its subject-role condition and whether it needs consent.
struct CategoryText {
    article: &'static str,
    sources: &'static [PartyKind],
    grants: Vec<Grant>,
    subject: Option<SubjectRole>,
    consent: bool,
}

fn text(c: Category) -> CategoryText {
    let g = |role, kinds, purposes| Grant {
        role,
        kinds,
        purposes,
    };
    match c {
        C::Identificatie => CategoryText {
            article: "6.1",
            sources: ANY,
            grants: vec![
                g(R::Informatiemakelaar, ANY, RDA),
                g(R::Stadsdeelregisseur, ANY, RDA),
                g(R::Partnercontact, ANY, RDA),
            ],
            subject: None,
            consent: false,
        },
        C::Overlastmeldingen => CategoryText {
            article: "6.2",
            sources: &[K::Gemeente, K::Woningcorporatie, K::Politie],
            grants: vec![
                g(R::Informatiemakelaar, ANY, RDA),
                g(R::Stadsdeelregisseur, ANY, RDA),
            ],
            subject: None,
            consent: false,
        },
        C::PolitieIncidenten => CategoryText {
            article: "6.3",
            sources: &[K::Politie],
            grants: vec![
                g(R::Informatiemakelaar, ANY, &[P::Registratie, P::Duiding]),
                g(R::Stadsdeelregisseur, ANY, DA),
            ],
            subject: None,
            consent: false,
        },
        C::JustitieleGegevens => CategoryText {
            article: "6.4",
            sources: &[K::Om],
            grants: vec![g(R::Stadsdeelregisseur, ANY, A)],
            subject: Some(SubjectRole::Dader),
            consent: false,
        },
        C::Huurgegevens => CategoryText {
            article: "6.5",
            sources: &[K::Woningcorporatie],
            grants: vec![
                g(R::Informatiemakelaar, ANY, &[P::Duiding]),
                g(R::Stadsdeelregisseur, ANY, DA),
            ],
            subject: None,
            consent: false,
        },
        C::Zorgbetrokkenheid => CategoryText {
            article: "6.6",
            sources: &[K::Zorgpartner],
            grants: vec![g(R::Stadsdeelregisseur, ANY, DA)],
            subject: None,
            consent: false,
        },
        C::Zorginhoud => CategoryText {
            article: "6.7",
            sources: &[K::Zorgpartner],
            grants: vec![g(R::Stadsdeelregisseur, ANY, A)],
            subject: None,
            consent: true,
        },
        C::Handhaving => CategoryText {
            article: "6.8",
            sources: &[K::Gemeente],
            grants: vec![
                g(R::Stadsdeelregisseur, ANY, A),
                g(R::Partnercontact, ANY, A),
            ],
            subject: None,
            consent: false,
        },
        C::Slachtofferinformatie => CategoryText {
            article: "6.9",
            sources: ANY,
            grants: vec![
                g(R::Stadsdeelregisseur, ANY, DA),
                g(R::Partnercontact, &[K::Zorgpartner], A),
            ],
            subject: Some(SubjectRole::Slachtoffer),
            consent: true,
        },
        C::BijzondereKenmerken => CategoryText {
            article: "6.10",
            sources: ANY,
            grants: vec![g(R::Stadsdeelregisseur, ANY, DA)],
            subject: Some(SubjectRole::Slachtoffer),
            consent: true,
        },
    }
}

fn receives(t: &CategoryText, role: Role, kind: PartyKind, purpose: Purpose) -> bool {
    t.grants
        .iter()
        .any(|g| g.role == role && g.kinds.contains(&kind) && g.purposes.contains(&purpose))
}

/// Whether the recipient is one 6.5a is about (a partnercontact of politie receiving
/// huurgegevens), and whether its condition holds (for aanpak).
fn art_65a(c: Category, role: Role, kind: PartyKind) -> bool {
    c == C::Huurgegevens && role == R::Partnercontact && kind == K::Politie
}

/// How the case's emergency stands for the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Em {
    /// None declared, or not by this recipient.
    None,
    /// Declared by the recipient, active.
    Active,
    /// Declared by the recipient, more than 72 hours ago.
    Expired,
}

/// One point of the search.
#[derive(Debug, Clone, Copy)]
struct Point {
    category: Category,
    source: PartyKind,
    role: Role,
    kind: PartyKind,
    phase: Phase,
    purpose: Purpose,
    escalated: bool,
    em: Em,
    subject: SubjectRole,
    consent: bool,
    own_stadsdeel: bool,
    participant: bool,
}

/// The conditions of the ordinary share (no emergency) that fail: the articles whose
/// condition failed, with the widening of 6.5a and 14.1 applied only where its own
/// condition holds.
fn ordinary_failures(p: &Point) -> BTreeSet<&'static str> {
    let t = text(p.category);
    let mut f = BTreeSet::new();
    // 4.4, 4.2.
    if matches!(p.phase, Phase::Afgesloten | Phase::BuitenAanpak) {
        f.insert("4.4");
    }
    let fits = match p.purpose {
        P::Registratie => matches!(p.phase, Phase::Melding | Phase::Registratie),
        P::Duiding => p.phase == Phase::Duiding,
        P::Aanpak => p.phase == Phase::Aanpak,
        P::Evaluatie => false,
    };
    if !fits {
        f.insert("4.2");
    }
    // 5.2: the gemeente's own roles, nothing to a privacy officer, and nothing to a
    // role that 5.2 of version 1 does not list (the auditor comes with version 2).
    let gemeente_role = matches!(
        p.role,
        R::Informatiemakelaar | R::Stadsdeelregisseur | R::StedelijkRegisseur
    );
    if matches!(p.role, R::PrivacyOfficer | R::Auditor) || (gemeente_role && p.kind != K::Gemeente)
    {
        f.insert("5.2");
    }
    // 5.3, 5.4.
    if matches!(p.role, R::Informatiemakelaar | R::Stadsdeelregisseur) && !p.own_stadsdeel {
        f.insert("5.3");
    }
    if p.role == R::Partnercontact && !p.participant {
        f.insert("5.4");
    }
    // 8.2: the category's source line.
    if !t.sources.contains(&p.source) {
        f.insert("8.2");
    }
    // Who receives the category: article 6, widened by 6.5a and 14.1 where their own
    // condition holds; where it does not, it sets nothing aside and fails with the
    // category's own article.
    if p.role == R::StedelijkRegisseur {
        let holds = p.escalated && p.purpose == P::Aanpak;
        if holds {
            // As the stadsdeelregisseur of the case (a gemeente role).
            if !receives(&t, R::Stadsdeelregisseur, K::Gemeente, p.purpose) {
                f.insert(t.article);
            }
        } else {
            f.insert("14.1");
            f.insert(t.article);
        }
    } else if !receives(&t, p.role, p.kind, p.purpose) {
        if art_65a(p.category, p.role, p.kind) {
            if p.purpose != P::Aanpak {
                f.insert("6.5a");
                f.insert(t.article);
            }
        } else {
            f.insert(t.article);
        }
    }
    // The subject's role, and consent (with 11.3 alongside).
    if t.subject.is_some_and(|r| r != p.subject) {
        f.insert(t.article);
    }
    if t.consent && !p.consent {
        f.insert(t.article);
        f.insert("11.3");
    }
    f
}

/// The outcome and, on a deny, the articles the covenant expects.
fn expected(p: &Point) -> (Outcome, BTreeSet<&'static str>) {
    if p.purpose == P::Evaluatie {
        return (Outcome::Deny, BTreeSet::from(["3.3"]));
    }
    let ordinary = ordinary_failures(p);
    if ordinary.is_empty() {
        return (Outcome::Permit, BTreeSet::new());
    }
    const EMERGENCY: &[Category] = &[
        C::Identificatie,
        C::Overlastmeldingen,
        C::PolitieIncidenten,
        C::JustitieleGegevens,
        C::Huurgegevens,
    ];
    let covered = EMERGENCY.contains(&p.category) && p.purpose == P::Aanpak;
    match (p.em, covered) {
        (Em::None, _) | (_, false) => (Outcome::Deny, ordinary),
        (Em::Expired, true) => {
            let mut a = ordinary;
            a.insert("15.1");
            a.insert("15.3");
            (Outcome::Deny, a)
        }
        (Em::Active, true) => {
            // 15.1 holds: 4.2, 5.3, 5.4, the subject role of 6.4 and the recipient
            // condition are set aside (every listed category goes to the
            // stadsdeelregisseur for aanpak); 4.4 and 8.2 still apply (15.4), and so
            // does 5.2 for the recipient's own role.
            let kept: BTreeSet<&str> = ordinary
                .iter()
                .copied()
                .filter(|a| matches!(*a, "4.4" | "8.2" | "5.2"))
                .collect();
            if kept.is_empty() {
                return (Outcome::Permit, BTreeSet::new());
            }
            let mut a = kept.clone();
            a.insert("15.1");
            if kept.contains("4.4") || kept.contains("8.2") {
                a.insert("15.4");
            }
            (Outcome::Deny, a)
        }
    }
}

/// A listed party of each kind (annex A).
fn party(k: PartyKind) -> Oin {
    let oin = match k {
        K::Gemeente => "00000001000000000001",
        K::Politie => "00000002000000000002",
        K::Om => "00000003000000000003",
        K::Woningcorporatie => "00000004000000000004",
        K::Zorgpartner => "00000005000000000006",
    };
    Oin::parse(oin).unwrap()
}

/// Whether this recipient may declare an emergency at all (art. 15.1).
fn may_declare(role: Role, kind: PartyKind) -> bool {
    role == R::Stadsdeelregisseur || (role == R::Partnercontact && kind == K::Politie)
}

fn request(p: &Point) -> DecisionRequest {
    let at = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
    let hours_ago = match p.em {
        Em::None => None,
        Em::Active => Some(12),
        Em::Expired => Some(73),
    };
    let recipient_oin = party(p.kind);
    let fields = match p.category {
        C::Identificatie => vec!["naam"],
        C::Overlastmeldingen | C::PolitieIncidenten | C::Handhaving => vec!["datum"],
        C::JustitieleGegevens => vec!["afdoening"],
        C::Huurgegevens => vec!["huurstatus"],
        C::Zorgbetrokkenheid => vec!["zorg_betrokken"],
        C::Zorginhoud => vec!["zorgsignalen"],
        C::Slachtofferinformatie => vec!["impact"],
        C::BijzondereKenmerken => vec!["motief"],
    };
    DecisionRequest {
        at,
        case: Case {
            id: "C1".into(),
            stadsdeel: Stadsdeel::Oost,
            phase: p.phase,
            escalated: p.escalated,
            participants: if p.participant {
                vec![recipient_oin]
            } else {
                vec![]
            },
            subjects: vec![Subject {
                id: "S1".into(),
                role: p.subject,
                consent: if p.consent { vec![p.category] } else { vec![] },
            }],
            emergency: hours_ago.map(|h| Emergency {
                declared_by: "p-1".into(),
                declared_at: Timestamp(at.0 - time::Duration::hours(h)),
                reason: "dreiging".into(),
            }),
        },
        source: Source {
            oin: party(p.source),
            kind: p.source,
        },
        recipient: Recipient {
            oin: recipient_oin,
            kind: p.kind,
            role: p.role,
            stadsdeel: Some(if p.own_stadsdeel {
                Stadsdeel::Oost
            } else {
                Stadsdeel::West
            }),
            person: "p-1".into(),
        },
        subject: "S1".into(),
        category: p.category,
        purpose: p.purpose,
        fields: fields.into_iter().map(String::from).collect(),
    }
}

/// Every point of the search. Dimensions that cannot change the outcome of a point
/// are not varied there, to keep the walk within seconds on two cores: one source kind
/// that provides the category and one that does not (art. 8.2); the subject's role only
/// for categories with a subject-role condition, consent only for those that need it;
/// escalation only for the stedelijk-regisseur; the emergency only for recipients that
/// may declare one; stadsdeel and participation only for the roles 5.3 and 5.4 concern.
fn points() -> Vec<Point> {
    let mut out = Vec::new();
    for &category in Category::ALL {
        let t = text(category);
        let consents: &[bool] = if t.consent { &[false, true] } else { &[true] };
        let subjects: &[SubjectRole] = if t.subject.is_some() {
            SubjectRole::ALL
        } else {
            &[SubjectRole::Dader]
        };
        let mut sources = vec![t.sources[0]];
        sources.extend(PartyKind::ALL.iter().find(|k| !t.sources.contains(k)));
        for &source in &sources {
            for &role in Role::ALL {
                for &kind in PartyKind::ALL {
                    let ems: &[Em] = if may_declare(role, kind) {
                        &[Em::None, Em::Active, Em::Expired]
                    } else {
                        &[Em::None]
                    };
                    let stadsdelen: &[bool] =
                        if matches!(role, R::Informatiemakelaar | R::Stadsdeelregisseur) {
                            &[false, true]
                        } else {
                            &[true]
                        };
                    let escalations: &[bool] = if role == R::StedelijkRegisseur {
                        &[false, true]
                    } else {
                        &[false]
                    };
                    let participations: &[bool] = if role == R::Partnercontact {
                        &[false, true]
                    } else {
                        &[true]
                    };
                    for &phase in Phase::ALL {
                        for &purpose in Purpose::ALL {
                            for &escalated in escalations {
                                for &em in ems {
                                    for &subject in subjects {
                                        for &consent in consents {
                                            for &own_stadsdeel in stadsdelen {
                                                for &participant in participations {
                                                    out.push(Point {
                                                        category,
                                                        source,
                                                        role,
                                                        kind,
                                                        phase,
                                                        purpose,
                                                        escalated,
                                                        em,
                                                        subject,
                                                        consent,
                                                        own_stadsdeel,
                                                        participant,
                                                    });
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_deny_cites_what_the_outcomes_rule_names() {
    let covenant = Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap();
    let mut checked = 0u32;
    let mut denies = 0u32;
    let mut permits = 0u32;
    let mut wrong = Vec::new();
    let mut classes = std::collections::BTreeMap::new();
    for p in points() {
        let r = request(&p);
        let d = covenant.decide(&r);
        let (outcome, articles) = expected(&p);
        let got: BTreeSet<String> = d.articles.iter().map(ToString::to_string).collect();
        let want: BTreeSet<String> = articles.iter().map(|a| a.to_string()).collect();
        checked += 1;
        match d.outcome {
            Outcome::Deny => denies += 1,
            Outcome::Permit => permits += 1,
            Outcome::Reject => {}
        }
        let ok = d.outcome == outcome && (outcome != Outcome::Deny || got == want);
        if !ok {
            // Grouped, so that a failure shows each kind of difference once.
            let missing: Vec<_> = want.difference(&got).cloned().collect();
            let extra: Vec<_> = got.difference(&want).cloned().collect();
            let class = format!(
                "{:?} of {:?}, {:?}, emergency {:?}: engine {}, covenant {}, missing {missing:?}, extra {extra:?}",
                p.role,
                p.kind,
                p.category,
                p.em,
                d.outcome.as_str(),
                outcome.as_str()
            );
            *classes.entry(class).or_insert(0u32) += 1;
            wrong.push(format!(
                "{p:?}: engine {} citing {got:?}, covenant {} citing {want:?}",
                d.outcome.as_str(),
                outcome.as_str()
            ));
        }
    }
    eprintln!("{checked} requests checked: {denies} denied, {permits} permitted");
    assert!(
        denies > 10_000,
        "the search reaches too few denies: {denies}"
    );
    assert!(
        permits > 100,
        "the search reaches too few permits: {permits}"
    );
    let summary: Vec<String> = classes.iter().map(|(k, n)| format!("{n:6} {k}")).collect();
    assert!(
        wrong.is_empty(),
        "{} of {checked} decisions differ from the Outcomes rule; by kind:\n{}\nfirst cases:\n{}",
        wrong.len(),
        summary.join("\n"),
        wrong.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}
