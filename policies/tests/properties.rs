//! Property tests (proptest).
//!
//! - Random bytes, random strings, token soup and mutated copies of the real encoding
//!   and of the covenant tests never make the covenant parser, the test parser or the
//!   formatter panic; every problem they report has a line and column inside the text.
//! - Random JSON and mutated requests never make the request reader panic; every error
//!   it reports has a well-formed JSON path.
//! - Random valid-looking requests never make the engine panic, and every decision
//!   keeps the covenant's invariants ("Outcomes" in docs/COVENANT.md).
//!
//! Seeds are random on every run. A failing case is shrunk to a small one, printed, and
//! saved in `tests/properties.proptest-regressions`, which later runs replay first
//! (commit that file with the fix). The case counts are fixed (`PROPTEST_CASES` does
//! not change them) so that the whole suite stays within seconds on two cores; set
//! `POLICIES_PROPTEST_SCALE=10` for a ten times longer run.
//!
//! Each test counts the inputs it ran for the reliability suite's summary
//! (`scripts/reliability-summary.sh`, `RELIABILITY.md`): [`count`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use treiter_policies::request::{Case, Emergency, Recipient, Source, Subject};
use treiter_policies::{
    Category, Covenant, Decision, DecisionRequest, Diagnostics, InputError, Oin, Outcome,
    PartyKind, Phase, Purpose, Requests, Role, Stadsdeel, SubjectRole, TREITERAANPAK_COVENANT,
    Timestamp, covtest, decide_traced, explain, fmt,
};

// ---------------------------------------------------------------- set-up

/// Counts one input run by the test `test`, in
/// `target/reliability/policies-<test>.fuzz-inputs-run.tsv` (rewritten with the running
/// count, so the file holds the whole run's count when the test ends). A failing input
/// fails the test itself, so the file counts nothing wrong.
fn count(test: &str) {
    use std::sync::Mutex;
    static COUNTS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let Ok(mut counts) = COUNTS.lock() else {
        return;
    };
    let n = counts.entry(test.to_owned()).or_insert(0);
    *n += 1;
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
    .join("reliability");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(
            dir.join(format!("policies-{test}.fuzz-inputs-run.tsv")),
            format!("fuzz inputs run\t{n}\t0\t0\n"),
        );
    }
}

fn config(cases: u32) -> ProptestConfig {
    let scale = std::env::var("POLICIES_PROPTEST_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    ProptestConfig {
        cases: cases.saturating_mul(scale),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..ProptestConfig::default()
    }
}

static COVENANT: LazyLock<Covenant> =
    LazyLock::new(|| Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT).unwrap());

/// The covenant-test files: name and text.
static SUITE: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/covenant");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "covtest"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
});

/// The request of every covenant test: realistic shares, many of them permitted.
static SUITE_REQUESTS: LazyLock<Vec<DecisionRequest>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (name, text) in SUITE.iter() {
        let file = covtest::parse_tests(name, text).unwrap();
        for t in &file.tests {
            if let Ok(r) = covtest::request_of(&COVENANT, &t.given) {
                out.push(r);
            }
        }
    }
    assert!(out.len() > 100, "the covenant tests give requests");
    out
});

/// Every word and sign of the encoding and the covenant tests, to build token soup.
static TOKENS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut words: BTreeSet<String> = std::iter::once(TREITERAANPAK_COVENANT)
        .chain(SUITE.iter().map(|(_, t)| t.as_str()))
        .flat_map(|t| t.split_whitespace().map(str::to_owned))
        .collect();
    for w in [
        "\n", "\n  ", ",", "\"", "#", ".", ":", "and", "or", "art.", "9.99z", "\t",
    ] {
        words.insert(w.to_owned());
    }
    words.into_iter().collect()
});

const PROHIBITED_71: [&str; 3] = ["diagnose", "behandeling", "medicatie"];
const PROHIBITED_72: &str = "opsporingsinformatie";
/// The categories an emergency covers (art. 15.1).
const EMERGENCY_CATEGORIES: [Category; 5] = [
    Category::Identificatie,
    Category::Overlastmeldingen,
    Category::PolitieIncidenten,
    Category::JustitieleGegevens,
    Category::Huurgegevens,
];
const PERSONS: [&str; 3] = ["p-0", "p-1", "p-politie-017"];
const H72: i64 = 72 * 3600;
const BASE: &str = "2026-11-23T10:00:00Z";

fn oin_of(s: &str) -> Oin {
    Oin::parse(s).unwrap()
}

// ---------------------------------------------------------------- text input

/// An edit of a text, at positions that shrink towards its start.
#[derive(Debug, Clone)]
enum Edit {
    Delete(Index),
    Insert(Index, char),
    Replace(Index, char),
    DeleteRange(Index, usize),
    Swap(Index, Index),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Replaces the `n`th word of a line by a word of the encoding or the tests.
    ReplaceWord(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        select(
            &[
                '"', ',', ':', '\n', ' ', 'é', '\u{0}', '#', '.', '9', '\t', '\u{feff}'
            ][..]
        ),
        any::<char>(),
    ];
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<Index>(), ch).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<Index>(), 1..40usize).prop_map(|(i, n)| Edit::DeleteRange(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::Swap(i, j)),
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::SwapLines(i, j)),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(l, w, t)| Edit::ReplaceWord(l, w, t)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let mut lines: Vec<String> = chars
            .iter()
            .collect::<String>()
            .split('\n')
            .map(str::to_owned)
            .collect();
        let by_lines = |lines: Vec<String>| lines.join("\n").chars().collect::<Vec<char>>();
        match e {
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i.index(chars.len()));
            }
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = i.index(chars.len());
                chars[i] = *c;
            }
            Edit::DeleteRange(i, n) if !chars.is_empty() => {
                let a = i.index(chars.len());
                chars.drain(a..(a + n).min(chars.len()));
            }
            Edit::Swap(i, j) if !chars.is_empty() => {
                let (i, j) = (i.index(chars.len()), j.index(chars.len()));
                chars.swap(i, j);
            }
            Edit::DeleteLine(i) => {
                lines.remove(i.index(lines.len()));
                chars = by_lines(lines);
            }
            Edit::DuplicateLine(i) => {
                let i = i.index(lines.len());
                let l = lines[i].clone();
                lines.insert(i, l);
                chars = by_lines(lines);
            }
            Edit::SwapLines(i, j) => {
                let (i, j) = (i.index(lines.len()), j.index(lines.len()));
                lines.swap(i, j);
                chars = by_lines(lines);
            }
            Edit::ReplaceWord(l, w, t) => {
                let l = l.index(lines.len());
                let mut words: Vec<&str> = lines[l].split(' ').collect();
                let w = w.index(words.len());
                words[w] = &TOKENS[t.index(TOKENS.len())];
                lines[l] = words.join(" ");
                chars = by_lines(lines);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Mutated copies of `text`: one to eight edits.
fn mutated(text: &'static str) -> impl Strategy<Value = String> {
    vec(edit(), 1..8).prop_map(move |edits| apply(text, &edits))
}

/// Words of the encoding and the tests, joined by spaces and line breaks.
fn token_soup() -> impl Strategy<Value = String> {
    vec(
        (
            select(TOKENS.clone()),
            select(&[" ", " ", " ", "\n", "  ", ""][..]),
        ),
        0..80,
    )
    .prop_map(|ts| ts.into_iter().map(|(t, s)| t + s).collect())
}

/// Checks the diagnostics of a text that did not parse: every problem sits inside
/// the text, at a line and column that agree with its span, with a message; and they
/// render, plainly and with miette.
fn check_diagnostics(text: &str, d: &Diagnostics) -> Result<(), TestCaseError> {
    prop_assert!(d.has_errors(), "an Err without errors: {}", d.plain());
    let lines = text.split('\n').count();
    for p in d.problems() {
        prop_assert!(
            p.span.start <= p.span.end && p.span.end <= text.len(),
            "span {:?} outside the text of {} bytes: {p:?}",
            p.span,
            text.len()
        );
        prop_assert!(
            p.line >= 1 && p.line <= lines && p.column >= 1,
            "line {} column {} (the text has {lines} lines): {p:?}",
            p.line,
            p.column
        );
        let start = p.span.start.min(text.len());
        let start = (0..=start)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let before = &text[..start];
        prop_assert_eq!(p.line, before.matches('\n').count() + 1, "{:?}", p);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        prop_assert_eq!(
            p.column,
            before[line_start..].chars().count() + 1,
            "{:?}",
            p
        );
        prop_assert!(!p.message.is_empty(), "{:?}", p);
        prop_assert!(!p.code.is_empty(), "{:?}", p);
    }
    let plain = d.plain();
    let first = &d.problems()[0];
    let at = format!("{}:{}:{}: ", d.source_name(), first.line, first.column);
    prop_assert!(plain.starts_with(&at), "{plain}");
    prop_assert!(d.to_string().contains(&at), "{d}");
    let mut out = String::new();
    let rendered =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, d);
    prop_assert!(rendered.is_ok(), "miette cannot render {}", d.plain());
    Ok(())
}

/// Feeds one text to every reader of text: none may panic, and each error has a place.
fn read_every_way(text: &str) -> Result<(), TestCaseError> {
    match Covenant::parse("random", text) {
        Ok(c) => {
            let _ = explain::explain(&c, &SUITE_REQUESTS[0]);
        }
        Err(d) => check_diagnostics(text, &d)?,
    }
    match covtest::parse_tests("random", text) {
        Ok(f) => {
            let _ = covtest::run(&COVENANT, &f);
        }
        Err(d) => check_diagnostics(text, &d)?,
    }
    check_fmt(text)?;
    check_json(text)?;
    Ok(())
}

/// The formatter: idempotent where it succeeds, errors inside the text.
fn check_fmt(text: &str) -> Result<(), TestCaseError> {
    match fmt::format(text) {
        Ok(f) => {
            let again = fmt::format(&f).ok();
            prop_assert_eq!(again.as_deref(), Some(f.as_str()), "fmt is not idempotent");
        }
        Err(es) => {
            prop_assert!(!es.is_empty());
            for e in es {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
                prop_assert!(!e.message.is_empty());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        count("covenant-random-bytes");
        read_every_way(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_strings_never_panic(text in prop_oneof![
        any::<String>(),
        "(\\PC|\n|\r|\t){0,300}",
        token_soup(),
    ]) {
        count("covenant-random-strings");
        read_every_way(&text)?;
    }
}

proptest! {
    #![proptest_config(config(200))]

    /// A mutant of the encoding is refused with placed errors, or it still decides and
    /// explains without panicking. (`diff` is left out: it takes over a second per
    /// call in a debug build.)
    #[test]
    fn mutated_covenants_never_panic(
        text in mutated(TREITERAANPAK_COVENANT),
        requests in vec(request(), 0..6),
    ) {
        count("covenant-mutated");
        match Covenant::parse("mutant", &text) {
            Ok(c) => {
                for r in &requests {
                    let d = c.decide(r);
                    prop_assert_eq!(d.covenant_version, c.version());
                    prop_assert_eq!(&d, &c.decide(r));
                    prop_assert_eq!(&d, &decide_traced(&c, r).0);
                    let _ = explain::explain(&c, r);
                }
            }
            Err(d) => check_diagnostics(&text, &d)?,
        }
        check_fmt(&text)?;
    }

    /// A mutant of a covenant-test file is refused with placed errors, or it runs.
    #[test]
    fn mutated_covenant_tests_never_panic(
        (file, text) in (0..SUITE.len()).prop_flat_map(|i| {
            let text: &'static str = SUITE[i].1.as_str();
            (Just(i), mutated(text))
        }),
    ) {
        count("covtest-mutated");
        match covtest::parse_tests(&SUITE[file].0, &text) {
            Ok(f) => {
                let _ = covtest::run(&COVENANT, &f);
            }
            Err(d) => check_diagnostics(&text, &d)?,
        }
    }
}

// ---------------------------------------------------------------- requests

fn oin() -> impl Strategy<Value = Oin> {
    let listed: Vec<Oin> = COVENANT.parties().iter().map(|p| oin_of(&p.oin)).collect();
    prop_oneof![
        7 => select(listed),
        1 => (0..100_000_000_000_000_000_000u128).prop_map(Oin),
    ]
}

/// A party: its OIN, and mostly the kind the covenant lists it with.
fn party() -> impl Strategy<Value = (Oin, PartyKind)> {
    (oin(), select(PartyKind::ALL), prop::bool::weighted(0.9)).prop_map(|(oin, kind, listed)| {
        match COVENANT.party(&oin.to_string()) {
            Some(p) if listed => (oin, p.kind),
            _ => (oin, kind),
        }
    })
}

/// A field name: mostly one the covenant lists, sometimes a prohibited one, sometimes
/// a free one.
fn field() -> impl Strategy<Value = String> {
    let listed = COVENANT.compiled().fields.clone();
    prop_oneof![
        24 => select(listed),
        1 => select(&PROHIBITED_71[..]).prop_map(str::to_owned),
        1 => Just(PROHIBITED_72.to_owned()),
        2 => "[a-z_]{1,14}",
        2 => select(&["telefoonnummer", "x", "", "Datum", "datum ", "bsn\u{0}"][..])
            .prop_map(str::to_owned),
        1 => "\\PC{0,6}",
    ]
}

/// Offered fields, sometimes one twice (the reader refuses that; the engine must not
/// care).
fn fields() -> impl Strategy<Value = Vec<String>> {
    (vec(field(), 0..7), prop::bool::weighted(0.05)).prop_map(|(mut fs, twice)| {
        if twice && let Some(f) = fs.first().cloned() {
            fs.push(f);
        }
        fs
    })
}

/// Seconds between an emergency's declaration and the share: around the start and the
/// end of its 72 hours, and anywhere.
fn emergency_age() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(H72),
        Just(H72 + 1),
        (H72 - 120)..=(H72 + 120),
        -3600i64..=3600,
        (-100 * 3600i64)..=(200 * 3600),
    ]
}

fn timestamp(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// When the share takes place: mostly a fixed moment, sometimes the edges of time.
fn at() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        9 => Just(timestamp(BASE)),
        1 => select(&[
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-11-23T11:00:00+01:00",
            "2026-11-23T10:00:00.999999999Z",
        ][..]).prop_map(timestamp),
    ]
}

fn emergency(at: Timestamp, age: i64, declared_by: &str, far: bool) -> Emergency {
    let declared_at = if far {
        timestamp("9999-12-31T23:59:59Z")
    } else {
        at.0.checked_sub(time::Duration::seconds(age))
            .map_or(at, Timestamp)
    };
    Emergency {
        declared_by: declared_by.to_owned(),
        declared_at,
        reason: "dreiging".into(),
    }
}

prop_compose! {
    /// A valid-looking request built from the covenant's vocabulary and parties.
    fn random_request()(
        at in at(),
        (stadsdeel, phase, escalated) in (select(Stadsdeel::ALL), select(Phase::ALL), any::<bool>()),
        (participants, recipient_participates) in (vec(oin(), 0..4), prop::bool::weighted(0.4)),
        subjects in vec((select(SubjectRole::ALL), subsequence(Category::ALL, 0..=3)), 1..4),
        (subject, listed_subject) in (any::<Index>(), prop::bool::weighted(0.95)),
        em in prop::option::of((select(&PERSONS[..]), emergency_age(), prop::bool::weighted(0.02))),
        (soin, skind) in party(),
        (roin, rkind) in party(),
        (role, rsd, same_stadsdeel, person) in (
            select(Role::ALL),
            prop::option::weighted(0.8, select(Stadsdeel::ALL)),
            prop::bool::weighted(0.4),
            select(&PERSONS[..]),
        ),
        (category, purpose, fields) in (select(Category::ALL), select(Purpose::ALL), fields()),
        (fit_role, fit_phase) in (prop::bool::weighted(0.7), prop::bool::weighted(0.6)),
        (fit_source, source_pick) in (prop::bool::weighted(0.6), any::<Index>()),
    ) -> DecisionRequest {
        // Often a source of a kind that provides the category (art. 8.2), a role the
        // recipient's kind has (art. 5.2) and a phase the purpose fits (art. 4.2), so
        // that some random shares are permitted.
        let sources = COVENANT.compiled().category(category).map_or(0, |r| r.sources);
        let providers: Vec<(Oin, PartyKind)> = COVENANT
            .parties()
            .iter()
            .filter(|p| sources & p.kind.bit() != 0)
            .map(|p| (oin_of(&p.oin), p.kind))
            .collect();
        let (soin, skind) = match (fit_source, providers.is_empty()) {
            (true, false) => providers[source_pick.index(providers.len())],
            _ => (soin, skind),
        };
        let role = match (fit_role, rkind, role) {
            (true, PartyKind::Gemeente, _) | (false, _, _) => role,
            (true, _, _) => Role::Partnercontact,
        };
        let phase = match (fit_phase, purpose) {
            (true, Purpose::Registratie) => Phase::Registratie,
            (true, Purpose::Duiding) => Phase::Duiding,
            (true, Purpose::Aanpak) => Phase::Aanpak,
            _ => phase,
        };
        let subjects: Vec<Subject> = subjects
            .into_iter()
            .enumerate()
            .map(|(i, (role, consent))| Subject { id: format!("S{i}"), role, consent })
            .collect();
        let subject = if listed_subject {
            subjects[subject.index(subjects.len())].id.clone()
        } else {
            "S9".into()
        };
        let mut participants = participants;
        if recipient_participates {
            participants.push(roin);
        }
        // The recipient's own stadsdeel, often the case's (art. 5.3).
        let rsd = rsd.map(|s| if same_stadsdeel { stadsdeel } else { s });
        DecisionRequest {
            at,
            case: Case {
                id: "C".into(),
                stadsdeel,
                phase,
                escalated,
                participants,
                subjects,
                emergency: em.map(|(by, age, far)| emergency(at, age, by, far)),
            },
            source: Source { oin: soin, kind: skind },
            recipient: Recipient {
                oin: roin,
                kind: rkind,
                role,
                stadsdeel: rsd,
                person: person.to_owned(),
            },
            subject,
            category,
            purpose,
            fields,
        }
    }
}

/// One change to a covenant test's request.
#[derive(Debug, Clone)]
enum Tweak {
    Phase(Phase),
    Purpose(Purpose),
    Role(Role),
    Category(Category),
    RecipientStadsdeel(Option<Stadsdeel>),
    CaseStadsdeel(Stadsdeel),
    Escalated(bool),
    Source(Oin, PartyKind),
    Recipient(Oin, PartyKind),
    SubjectRole(SubjectRole),
    Consent(Vec<Category>),
    Participants(Vec<Oin>),
    DropField(Index),
    AddField(String),
    /// The recipient declared an emergency this many seconds before the share.
    Emergency(i64),
    NoEmergency,
}

fn tweak() -> impl Strategy<Value = Tweak> {
    prop_oneof![
        1 => select(Phase::ALL).prop_map(Tweak::Phase),
        1 => select(Purpose::ALL).prop_map(Tweak::Purpose),
        1 => select(Role::ALL).prop_map(Tweak::Role),
        1 => select(Category::ALL).prop_map(Tweak::Category),
        1 => prop::option::of(select(Stadsdeel::ALL)).prop_map(Tweak::RecipientStadsdeel),
        1 => select(Stadsdeel::ALL).prop_map(Tweak::CaseStadsdeel),
        1 => any::<bool>().prop_map(Tweak::Escalated),
        1 => party().prop_map(|(o, k)| Tweak::Source(o, k)),
        1 => party().prop_map(|(o, k)| Tweak::Recipient(o, k)),
        1 => select(SubjectRole::ALL).prop_map(Tweak::SubjectRole),
        1 => subsequence(Category::ALL, 0..=3).prop_map(Tweak::Consent),
        1 => vec(oin(), 0..3).prop_map(Tweak::Participants),
        2 => any::<Index>().prop_map(Tweak::DropField),
        2 => field().prop_map(Tweak::AddField),
        2 => emergency_age().prop_map(Tweak::Emergency),
        1 => Just(Tweak::NoEmergency),
    ]
}

fn apply_tweak(r: &mut DecisionRequest, t: Tweak) {
    match t {
        Tweak::Phase(p) => r.case.phase = p,
        Tweak::Purpose(p) => r.purpose = p,
        Tweak::Role(x) => r.recipient.role = x,
        Tweak::Category(c) => r.category = c,
        Tweak::RecipientStadsdeel(s) => r.recipient.stadsdeel = s,
        Tweak::CaseStadsdeel(s) => r.case.stadsdeel = s,
        Tweak::Escalated(b) => r.case.escalated = b,
        Tweak::Source(o, k) => r.source = Source { oin: o, kind: k },
        Tweak::Recipient(o, k) => (r.recipient.oin, r.recipient.kind) = (o, k),
        Tweak::SubjectRole(x) => {
            for s in r.case.subjects.iter_mut().filter(|s| s.id == r.subject) {
                s.role = x;
            }
        }
        Tweak::Consent(c) => {
            for s in r.case.subjects.iter_mut().filter(|s| s.id == r.subject) {
                s.consent = c.clone();
            }
        }
        Tweak::Participants(p) => r.case.participants = p,
        Tweak::DropField(i) if !r.fields.is_empty() => {
            r.fields.remove(i.index(r.fields.len()));
        }
        Tweak::DropField(_) => {}
        Tweak::AddField(f) => {
            if !r.fields.contains(&f) {
                r.fields.push(f);
            }
        }
        Tweak::Emergency(age) => {
            r.case.emergency = Some(emergency(r.at, age, &r.recipient.person, false));
        }
        Tweak::NoEmergency => r.case.emergency = None,
    }
}

/// A covenant test's request with up to three changes.
fn tweaked_request() -> impl Strategy<Value = DecisionRequest> {
    (select(SUITE_REQUESTS.clone()), vec(tweak(), 0..4)).prop_map(|(mut r, ts)| {
        for t in ts {
            apply_tweak(&mut r, t);
        }
        r
    })
}

fn request() -> impl Strategy<Value = DecisionRequest> {
    prop_oneof![random_request(), tweaked_request()]
}

// ---------------------------------------------------------------- the invariants

fn words<T: ToString>(xs: &[T]) -> Vec<String> {
    xs.iter().map(ToString::to_string).collect()
}

/// The articles under which the source's privacy officer is notified.
fn notified(d: &Decision) -> Vec<String> {
    d.notify.iter().map(|n| n.article.to_string()).collect()
}

fn listed(oin: Oin, kind: PartyKind) -> bool {
    COVENANT
        .party(&oin.to_string())
        .is_some_and(|p| p.kind == kind)
}

/// How the case's emergency stands for this recipient: `None` when it is not the
/// recipient's (no emergency, another declarer, or a role that may not declare one),
/// else whether it is active at `at` (art. 15.3: up to and including 72 hours).
fn own_emergency(r: &DecisionRequest) -> Option<bool> {
    let e = r.case.emergency.as_ref()?;
    let may_declare = r.recipient.role == Role::Stadsdeelregisseur
        || (r.recipient.role == Role::Partnercontact && r.recipient.kind == PartyKind::Politie);
    if e.declared_by != r.recipient.person || !may_declare {
        return None;
    }
    let end = e.declared_at.0.checked_add(time::Duration::hours(72));
    Some(e.declared_at <= r.at && end.is_some_and(|end| r.at.0 <= end))
}

/// What kind of decision a case produced, to show that the generator reaches them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seen {
    Permit,
    PermitStripping,
    Deny,
    DenyParties,
    DenyEvaluatie,
    Reject,
    EmergencyShare,
    EmergencyExpired,
}

/// Checks one decision of the real encoding against the covenant's "Outcomes".
fn check_decision(
    r: &DecisionRequest,
    seen: &mut BTreeMap<Seen, u32>,
) -> Result<(), TestCaseError> {
    let c = &*COVENANT;
    let d = c.decide(r);
    let ctx = serde_json::to_string(&d).unwrap();

    // Pure, order-blind, and the same decision as `explain` shows.
    prop_assert_eq!(&d, &c.decide(r), "not deterministic");
    prop_assert_eq!(&d, &decide_traced(c, r).0, "decide_traced differs");
    let mut reversed = r.clone();
    reversed.fields.reverse();
    prop_assert_eq!(&d, &c.decide(&reversed), "the order of the fields matters");

    prop_assert_eq!(d.covenant_version, 1);
    prop_assert!(!d.articles.is_empty(), "cites no article: {ctx}");
    prop_assert!(
        d.articles.windows(2).all(|w| w[0] < w[1]),
        "articles not sorted, or twice: {ctx}"
    );
    prop_assert!(
        d.passed.windows(2).all(|w| w[0] < w[1]),
        "passed not sorted: {ctx}"
    );
    prop_assert!(
        d.stripped.windows(2).all(|w| w[0] < w[1]),
        "stripped not sorted: {ctx}"
    );
    for n in &d.notify {
        prop_assert_eq!(n.oin, r.source.oin, "the source's privacy officer: {}", ctx);
    }
    let articles = words(&d.articles);
    let cites = |a: &str| articles.iter().any(|x| x == a);

    let parties_ok =
        listed(r.source.oin, r.source.kind) && listed(r.recipient.oin, r.recipient.kind);
    let carries_71 = r.fields.iter().any(|f| PROHIBITED_71.contains(&f.as_str()));
    let carries_72 = r.fields.iter().any(|f| f == PROHIBITED_72);
    let own = own_emergency(r);
    let covered = EMERGENCY_CATEGORIES.contains(&r.category) && r.purpose == Purpose::Aanpak;

    // 2.3 first, and alone.
    if !parties_ok {
        prop_assert_eq!(d.outcome, Outcome::Deny, "{}", ctx);
        prop_assert_eq!(&articles, &["2.3"], "{}", ctx);
        prop_assert!(d.notify.is_empty(), "{ctx}");
        *seen.entry(Seen::DenyParties).or_default() += 1;
    } else {
        // Then art. 7: reject exactly when a prohibited field is offered, citing the
        // article of each kind carried, and notifying once per article.
        prop_assert_eq!(
            d.outcome == Outcome::Reject,
            carries_71 || carries_72,
            "{}",
            ctx
        );
    }
    match d.outcome {
        Outcome::Permit => {
            let offered: BTreeSet<&String> = r.fields.iter().collect();
            let passed: BTreeSet<&String> = d.passed.iter().collect();
            let stripped: BTreeSet<&String> = d.stripped.iter().collect();
            prop_assert!(passed.is_disjoint(&stripped), "{ctx}");
            prop_assert_eq!(
                passed.union(&stripped).copied().collect::<BTreeSet<_>>(),
                offered,
                "passed and stripped are not what was offered: {}",
                ctx
            );
            // A name the covenant does not know is stripped under 8.1.
            let unknown = r
                .fields
                .iter()
                .any(|f| !c.compiled().field_ids.contains_key(f.as_str()));
            if unknown {
                prop_assert!(cites("8.1"), "an unlisted field without 8.1: {ctx}");
            }
            prop_assert!(r.purpose != Purpose::Evaluatie, "{ctx}");
            prop_assert!(
                !matches!(r.case.phase, Phase::Afgesloten | Phase::BuitenAanpak),
                "{ctx}"
            );
            prop_assert!(r.recipient.role != Role::PrivacyOfficer, "{ctx}");
            // Retention and purpose binding always, review on an emergency share.
            let obligations = serde_json::to_value(&d.obligations).unwrap();
            let mut expected = vec![
                serde_json::json!({ "kind": "retention", "article": "9.1" }),
                serde_json::json!({ "kind": "purpose-binding", "purpose": r.purpose, "article": "3.2" }),
            ];
            if d.emergency {
                expected.push(serde_json::json!({ "kind": "review", "article": "15.2" }));
            }
            prop_assert_eq!(obligations, Value::Array(expected), "{}", ctx);
            if d.emergency {
                // Only the declarer, with a role that may declare, while it lasts, for
                // the categories and purpose of 15.1; its privacy officer hears of it.
                prop_assert_eq!(
                    own,
                    Some(true),
                    "an emergency share for someone else: {}",
                    ctx
                );
                prop_assert!(covered, "an emergency share outside 15.1: {ctx}");
                prop_assert!(cites("15.1"), "{ctx}");
                prop_assert_eq!(notified(&d), ["15.2"], "{}", ctx);
                *seen.entry(Seen::EmergencyShare).or_default() += 1;
            } else {
                prop_assert!(d.notify.is_empty(), "{ctx}");
                prop_assert!(cites("4.2"), "an ordinary permit cites 4.2: {ctx}");
                *seen
                    .entry(if d.stripped.is_empty() {
                        Seen::Permit
                    } else {
                        Seen::PermitStripping
                    })
                    .or_default() += 1;
            }
        }
        Outcome::Deny | Outcome::Reject => {
            prop_assert!(
                d.passed.is_empty() && d.stripped.is_empty() && d.obligations.is_empty(),
                "a refusal passes or strips nothing: {ctx}"
            );
            prop_assert!(!d.emergency, "{ctx}");
            if d.outcome == Outcome::Reject {
                let mut expected = Vec::new();
                if carries_71 {
                    expected.push("7.1");
                }
                if carries_72 {
                    expected.push("7.2");
                }
                prop_assert_eq!(&articles, &expected, "{}", ctx);
                prop_assert_eq!(
                    notified(&d),
                    expected,
                    "one notification per cited article: {}",
                    ctx
                );
                *seen.entry(Seen::Reject).or_default() += 1;
            } else {
                prop_assert!(d.notify.is_empty(), "{ctx}");
                prop_assert!(!cites("7.1") && !cites("7.2"), "{ctx}");
                if parties_ok && r.purpose == Purpose::Evaluatie {
                    prop_assert_eq!(
                        &articles,
                        &["3.3"],
                        "evaluatie is denied under 3.3 only: {}",
                        ctx
                    );
                    *seen.entry(Seen::DenyEvaluatie).or_default() += 1;
                } else if parties_ok {
                    *seen.entry(Seen::Deny).or_default() += 1;
                }
            }
        }
    }
    // An emergency that has ended (or not begun) adds 15.1 and 15.3 to the deny of a
    // share it would have covered; nothing else cites 15.3.
    let expired_deny = parties_ok
        && !(carries_71 || carries_72)
        && covered
        && own == Some(false)
        && d.outcome == Outcome::Deny;
    prop_assert_eq!(cites("15.3"), expired_deny, "{}", ctx);
    if expired_deny {
        prop_assert!(cites("15.1"), "{ctx}");
        *seen.entry(Seen::EmergencyExpired).or_default() += 1;
    }
    Ok(())
}

/// Runs `check_decision` on `cases` requests, reporting the minimal failing request,
/// and returns how often each kind of decision was seen.
fn run_requests(
    cases: u32,
    strategy: impl Strategy<Value = DecisionRequest>,
) -> BTreeMap<Seen, u32> {
    let seen = RefCell::new(BTreeMap::new());
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&strategy, |r| {
        count("decision-requests");
        check_decision(&r, &mut seen.borrow_mut())
    });
    match result {
        Ok(()) => {
            let seen = seen.into_inner();
            eprintln!("decisions seen: {seen:?}");
            seen
        }
        Err(TestError::Fail(why, r)) => panic!(
            "{why}\nminimal failing request:\n{}",
            serde_json::to_string_pretty(&r).unwrap()
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn random_requests_keep_the_outcome_invariants() {
    let seen = run_requests(2500, random_request());
    assert!(
        seen.contains_key(&Seen::Permit) || seen.contains_key(&Seen::PermitStripping),
        "the generator never reached a permit: {seen:?}"
    );
    for s in [
        Seen::Deny,
        Seen::DenyParties,
        Seen::DenyEvaluatie,
        Seen::Reject,
    ] {
        assert!(
            seen.contains_key(&s),
            "the generator never reached {s:?}: {seen:?}"
        );
    }
}

#[test]
fn tweaked_covenant_test_requests_keep_the_outcome_invariants() {
    let seen = run_requests(2500, tweaked_request());
    for s in [
        Seen::Permit,
        Seen::PermitStripping,
        Seen::Deny,
        Seen::DenyParties,
        Seen::DenyEvaluatie,
        Seen::Reject,
        Seen::EmergencyShare,
        Seen::EmergencyExpired,
    ] {
        assert!(
            seen.contains_key(&s),
            "the generator never reached {s:?}: {seen:?}"
        );
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Art. 15.3: the declarer's emergency share exists from the declaration up to and
    /// including 72 hours after it; outside that the share is denied citing 15.1 and
    /// 15.3 (the politie partnercontact takes no part in the case, so 5.4 refuses it
    /// otherwise).
    #[test]
    fn an_emergency_lasts_72_hours_inclusive(
        age in emergency_age(),
        fields in subsequence(&["datum", "incidentsoort", "locatie", "rol_betrokkene", "samenvatting"][..], 1..=5),
    ) {
        let r = DecisionRequest {
            at: timestamp(BASE),
            case: Case {
                id: "C".into(),
                stadsdeel: Stadsdeel::Oost,
                phase: Phase::Aanpak,
                escalated: false,
                participants: vec![],
                subjects: vec![Subject { id: "S1".into(), role: SubjectRole::Dader, consent: vec![] }],
                emergency: Some(emergency(timestamp(BASE), age, "p-politie-017", false)),
            },
            source: Source { oin: oin_of("00000002000000000002"), kind: PartyKind::Politie },
            recipient: Recipient {
                oin: oin_of("00000002000000000002"),
                kind: PartyKind::Politie,
                role: Role::Partnercontact,
                stadsdeel: None,
                person: "p-politie-017".into(),
            },
            subject: "S1".into(),
            category: Category::PolitieIncidenten,
            purpose: Purpose::Aanpak,
            fields: fields.into_iter().map(str::to_owned).collect(),
        };
        let d = COVENANT.decide(&r);
        let active = (0..=H72).contains(&age);
        prop_assert_eq!(d.emergency, active, "{}", serde_json::to_string(&d).unwrap());
        if active {
            prop_assert_eq!(d.outcome, Outcome::Permit);
            prop_assert_eq!(d.notify.len(), 1);
        } else {
            prop_assert_eq!(d.outcome, Outcome::Deny);
            prop_assert_eq!(words(&d.articles), ["5.4", "6.3", "15.1", "15.3"]);
        }
        check_decision(&r, &mut BTreeMap::new())?;
    }
}

// ---------------------------------------------------------------- request JSON

/// Any JSON value.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        select(
            &[
                "aanpak",
                "oost",
                "dader",
                "00000002000000000002",
                "2026-11-23T10:00:00Z",
                "",
            ][..]
        )
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A change to one place of a request's JSON.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(Index, Value),
    Remove(Index),
    AddKey(Index, String, Value),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        (any::<Index>(), json()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        any::<Index>().prop_map(JsonEdit::Remove),
        (any::<Index>(), "[a-z_]{1,10}", json()).prop_map(|(i, k, v)| JsonEdit::AddKey(i, k, v)),
    ]
}

/// JSON pointers to every value inside `v`, the root first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                pointers(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

fn apply_json_edit(v: &mut Value, e: &JsonEdit) {
    let mut ps = Vec::new();
    pointers(v, String::new(), &mut ps);
    match e {
        JsonEdit::Replace(i, new) => {
            if let Some(x) = v.pointer_mut(&ps[i.index(ps.len())]) {
                *x = new.clone();
            }
        }
        JsonEdit::Remove(i) => {
            let p = &ps[i.index(ps.len())];
            if let Some((parent, key)) = p.rsplit_once('/')
                && let Some(x) = v.pointer_mut(parent)
            {
                match x {
                    Value::Object(m) => {
                        m.remove(key);
                    }
                    Value::Array(xs) => {
                        if let Ok(k) = key.parse::<usize>() {
                            xs.remove(k);
                        }
                    }
                    _ => {}
                }
            }
        }
        JsonEdit::AddKey(i, k, new) => {
            if let Some(Value::Object(m)) = v.pointer_mut(&ps[i.index(ps.len())]) {
                m.insert(k.clone(), new.clone());
            }
        }
    }
}

/// Request JSON: random values, edited requests, arrays of them, and edited text.
fn request_json() -> impl Strategy<Value = String> {
    let edited = || {
        (request(), vec(json_edit(), 0..3)).prop_map(|(r, es)| {
            let mut v = serde_json::to_value(&r).unwrap();
            for e in &es {
                apply_json_edit(&mut v, e);
            }
            v
        })
    };
    prop_oneof![
        json().prop_map(|v| v.to_string()),
        edited().prop_map(|v| v.to_string()),
        vec(edited(), 0..4).prop_map(|vs| Value::Array(vs).to_string()),
        (request(), vec(edit(), 1..6))
            .prop_map(|(r, es)| { apply(&serde_json::to_string_pretty(&r).unwrap(), &es) }),
    ]
}

/// One step of an error path.
#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Reads a path like `[3].case.subjects[0].id` or `case["x.y"]`; `None` if malformed.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            // A quoted key: a JSON string up to the closing `"]`.
            let end = (1..=r.len())
                .filter(|&i| r.is_char_boundary(i))
                .find(|&i| {
                    r[..i].ends_with("\"]")
                        && serde_json::from_str::<String>(&format!("\"{}", &r[..i - 1])).is_ok()
                })?;
            steps.push(Step::Key(
                serde_json::from_str(&format!("\"{}", &r[..end - 1])).ok()?,
            ));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else {
            let r = if steps.is_empty() {
                rest
            } else {
                rest.strip_prefix('.')?
            };
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return None;
            }
            steps.push(Step::Key(key.to_owned()));
            rest = &r[end..];
        }
    }
    Some(steps)
}

/// Checks that an error's path is `.` or leads to a place in `doc`: every key and
/// index exists, except a last key that the message says is missing.
fn check_path(e: &InputError, doc: &Value) -> Result<(), TestCaseError> {
    prop_assert!(!e.path.is_empty(), "an error without a path: {e}");
    if e.path == "." {
        return Ok(());
    }
    let steps = parse_path(&e.path);
    prop_assert!(steps.is_some(), "a malformed path: {e}");
    let steps = steps.unwrap_or_default();
    let mut at = doc;
    for (n, step) in steps.iter().enumerate() {
        let next = match step {
            Step::Key(k) => at.as_object().and_then(|m| m.get(k)),
            Step::Index(i) => at.as_array().and_then(|a| a.get(*i)),
        };
        match next {
            Some(v) => at = v,
            None => {
                prop_assert!(
                    n + 1 == steps.len() && e.message.starts_with("missing"),
                    "the path leads nowhere in the document: {e}"
                );
            }
        }
    }
    Ok(())
}

/// The request reader: on success every request decides and keeps the invariants; on
/// failure every error has a well-formed path into the document.
fn check_json(text: &str) -> Result<(), TestCaseError> {
    let doc: Option<Value> =
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok();
    match DecisionRequest::parse_json(text) {
        Ok(Requests::One(r)) => {
            prop_assert!(matches!(doc, Some(Value::Object(_))));
            check_decision(&r, &mut BTreeMap::new())?;
        }
        Ok(Requests::Many(rs)) => {
            prop_assert_eq!(
                doc.as_ref().and_then(Value::as_array).map(Vec::len),
                Some(rs.len())
            );
            for r in &rs {
                check_decision(r, &mut BTreeMap::new())?;
            }
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty(), "an Err without errors");
            match &doc {
                None => {
                    prop_assert_eq!(errors.len(), 1);
                    prop_assert_eq!(errors[0].path.as_str(), ".");
                    prop_assert!(errors[0].message.starts_with("not JSON"), "{}", errors[0]);
                }
                Some(doc) => {
                    for e in &errors {
                        prop_assert!(!e.message.starts_with("not JSON"), "{e}");
                        prop_assert!(!e.message.is_empty(), "{e}");
                        if doc.is_array() {
                            prop_assert!(e.path.starts_with('['), "{e}");
                        }
                        check_path(e, doc)?;
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn random_request_json_never_panics_and_errors_have_paths(text in request_json()) {
        count("decision-json");
        check_json(&text)?;
    }
}
