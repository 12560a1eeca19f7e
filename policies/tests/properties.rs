//! Property tests: random and mutated input never makes the parser, the test parser,
//! the formatter, the request reader or the engine panic, and every decision keeps
//! the covenant's invariants ("Outcomes" in COVENANT.md).
//!
//! The random source is a small seeded xorshift generator rather than proptest, to
//! keep the build lean on a shared 2-core machine; the seed of a failing case is
//! printed so that it can be replayed.

use std::collections::BTreeSet;

use treiter_policies::request::{Case, Emergency, Recipient, Source, Subject};
use treiter_policies::{
    Category, Covenant, DecisionRequest, Oin, Outcome, PartyKind, Phase, Purpose, Role, Stadsdeel,
    SubjectRole, TREITERAANPAK_COVENANT, Timestamp, covtest, fmt,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn covenant() -> Covenant {
    Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap()
}

/// Random edits of a text: characters deleted, duplicated, replaced, lines swapped.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(8) {
        if chars.is_empty() {
            break;
        }
        let i = rng.below(chars.len());
        match rng.below(5) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(
                i,
                *rng.pick(&['"', ',', ':', '\n', ' ', 'é', '\u{0}', '#', '.', '9']),
            ),
            2 => chars[i] = char::from(b'a' + (rng.below(26) as u8)),
            3 => {
                let j = rng.below(chars.len());
                let (a, b) = (i.min(j), i.max(j));
                chars.drain(a..b.min(a + 40));
            }
            _ => {
                let j = rng.below(chars.len());
                chars.swap(i, j);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_bytes_and_mutated_covenants_never_panic() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..300 {
        let len = rng.below(400);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = Covenant::parse("random", &text);
        let _ = covtest::parse_tests("random", &text);
        let _ = fmt::format(&text);
        let _ = DecisionRequest::parse_json(&text);
    }
    for seed in 0..400u64 {
        let mut rng = Rng(0xC0FE_0000 + seed);
        let text = mutate(&mut rng, TREITERAANPAK_COVENANT);
        match Covenant::parse("mutant", &text) {
            Ok(c) => {
                // A mutant that still validates must still decide without panicking.
                let mut r2 = Rng(seed + 1);
                for _ in 0..20 {
                    let _ = c.decide(&random_request(&mut r2, &c));
                }
            }
            Err(d) => {
                assert!(d.has_errors(), "seed {seed}: an Err without errors");
                for p in d.problems() {
                    assert!(p.line >= 1 && p.column >= 1, "seed {seed}: {p:?}");
                }
            }
        }
        if let Ok(f) = fmt::format(&text) {
            assert_eq!(
                fmt::format(&f).ok().as_deref(),
                Some(f.as_str()),
                "seed {seed}: fmt is not idempotent"
            );
        }
    }
}

#[test]
fn mutated_request_json_never_panics_and_errors_have_paths() {
    let c = covenant();
    for seed in 0..400u64 {
        let mut rng = Rng(0xBEEF_0000 + seed);
        let r = random_request(&mut rng, &c);
        let json = serde_json::to_string(&r).unwrap();
        let text = mutate(&mut rng, &json);
        match DecisionRequest::parse_json(&text) {
            Ok(treiter_policies::Requests::One(r)) => {
                let _ = c.decide(&r);
            }
            Ok(treiter_policies::Requests::Many(rs)) => {
                for r in rs {
                    let _ = c.decide(&r);
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in errors {
                    assert!(!e.path.is_empty(), "seed {seed}: {e}");
                }
            }
        }
    }
}

fn random_oin(rng: &mut Rng, c: &Covenant) -> Oin {
    if rng.below(8) == 0 {
        Oin(rng.next() as u128 % 100_000_000_000_000_000_000)
    } else {
        Oin::parse(&rng.pick(c.parties()).oin).unwrap()
    }
}

fn random_request(rng: &mut Rng, c: &Covenant) -> DecisionRequest {
    let base = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
    let names: Vec<String> = c
        .compiled()
        .fields
        .iter()
        .cloned()
        .chain(["telefoonnummer".to_owned(), "x".to_owned()])
        .collect();
    let subjects: Vec<Subject> = (0..1 + rng.below(3))
        .map(|i| Subject {
            id: format!("S{i}"),
            role: *rng.pick(SubjectRole::ALL),
            consent: Category::ALL
                .iter()
                .copied()
                .filter(|_| rng.below(3) == 0)
                .collect(),
        })
        .collect();
    let subject = rng.pick(&subjects).id.clone();
    let party = |rng: &mut Rng| {
        let oin = random_oin(rng, c);
        let listed = c.party(&oin.to_string()).map(|p| p.kind);
        let kind = match listed {
            Some(k) if rng.below(10) != 0 => k,
            _ => *rng.pick(PartyKind::ALL),
        };
        (oin, kind)
    };
    let (soin, skind) = party(rng);
    let (roin, rkind) = party(rng);
    let mut fields: BTreeSet<String> = BTreeSet::new();
    for _ in 0..rng.below(6) {
        fields.insert(rng.pick(&names).clone());
    }
    let person = format!("p-{}", rng.below(3));
    let offset = time::Duration::hours(rng.below(200) as i64 - 100);
    DecisionRequest {
        at: base,
        case: Case {
            id: "C".into(),
            stadsdeel: *rng.pick(Stadsdeel::ALL),
            phase: *rng.pick(Phase::ALL),
            escalated: rng.coin(),
            participants: (0..rng.below(4)).map(|_| random_oin(rng, c)).collect(),
            subjects,
            emergency: rng.coin().then(|| Emergency {
                declared_by: format!("p-{}", rng.below(3)),
                declared_at: Timestamp(base.0 + offset),
                reason: "r".into(),
            }),
        },
        source: Source {
            oin: soin,
            kind: skind,
        },
        recipient: Recipient {
            oin: roin,
            kind: rkind,
            role: *rng.pick(Role::ALL),
            stadsdeel: rng.coin().then(|| *rng.pick(Stadsdeel::ALL)),
            person,
        },
        subject,
        category: *rng.pick(Category::ALL),
        purpose: *rng.pick(Purpose::ALL),
        fields: fields.into_iter().collect(),
    }
}

#[test]
fn every_decision_keeps_the_outcome_invariants() {
    let c = covenant();
    let prohibited: BTreeSet<&str> = [
        "diagnose",
        "behandeling",
        "medicatie",
        "opsporingsinformatie",
    ]
    .into();
    let mut seen = BTreeSet::new();
    for seed in 0..20_000u64 {
        let mut rng = Rng(0xDEC1_0000 + seed);
        let r = random_request(&mut rng, &c);
        let d = c.decide(&r);
        let ctx = || {
            format!(
                "seed {seed}: {}\n{}",
                serde_json::to_string(&r).unwrap(),
                serde_json::to_string(&d).unwrap()
            )
        };
        seen.insert(d.outcome.as_str());
        assert_eq!(d, c.decide(&r), "{}", ctx());
        assert_eq!(d.covenant_version, 1);
        assert!(
            !d.articles.is_empty(),
            "every decision cites an article: {}",
            ctx()
        );
        assert!(
            d.articles.windows(2).all(|w| w[0] < w[1]),
            "articles sorted, once: {}",
            ctx()
        );
        let listed =
            |oin: Oin, kind: PartyKind| c.party(&oin.to_string()).is_some_and(|p| p.kind == kind);
        let parties_ok =
            listed(r.source.oin, r.source.kind) && listed(r.recipient.oin, r.recipient.kind);
        let carries_prohibited = r.fields.iter().any(|f| prohibited.contains(f.as_str()));
        if !parties_ok {
            assert_eq!(d.outcome, Outcome::Deny, "{}", ctx());
            assert_eq!(
                d.articles
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
                ["2.3"],
                "{}",
                ctx()
            );
            assert!(d.notify.is_empty(), "{}", ctx());
        } else {
            assert_eq!(
                d.outcome == Outcome::Reject,
                carries_prohibited,
                "{}",
                ctx()
            );
        }
        match d.outcome {
            Outcome::Permit => {
                let offered: BTreeSet<&String> = r.fields.iter().collect();
                let passed: BTreeSet<&String> = d.passed.iter().collect();
                let stripped: BTreeSet<&String> = d.stripped.iter().collect();
                assert!(passed.is_disjoint(&stripped), "{}", ctx());
                assert_eq!(
                    passed.union(&stripped).copied().collect::<BTreeSet<_>>(),
                    offered,
                    "{}",
                    ctx()
                );
                assert!(d.obligations.len() >= 2, "{}", ctx());
                assert_eq!(d.emergency, d.obligations.len() == 3, "{}", ctx());
                assert_eq!(d.emergency, !d.notify.is_empty(), "{}", ctx());
                assert!(r.purpose != Purpose::Evaluatie, "{}", ctx());
                assert!(
                    !matches!(r.case.phase, Phase::Afgesloten | Phase::BuitenAanpak),
                    "{}",
                    ctx()
                );
                assert!(r.recipient.role != Role::PrivacyOfficer, "{}", ctx());
            }
            Outcome::Deny | Outcome::Reject => {
                assert!(
                    d.passed.is_empty() && d.stripped.is_empty() && d.obligations.is_empty(),
                    "{}",
                    ctx()
                );
                assert!(!d.emergency, "{}", ctx());
                if d.outcome == Outcome::Deny {
                    assert!(d.notify.is_empty(), "{}", ctx());
                } else {
                    assert_eq!(
                        d.notify.len(),
                        d.articles.len(),
                        "one notification per cited article: {}",
                        ctx()
                    );
                }
                if r.purpose == Purpose::Evaluatie && d.outcome == Outcome::Deny && parties_ok {
                    assert_eq!(
                        d.articles
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>(),
                        ["3.3"],
                        "{}",
                        ctx()
                    );
                }
            }
        }
    }
    assert_eq!(
        seen.len(),
        3,
        "the generator reaches every outcome: {seen:?}"
    );
}
