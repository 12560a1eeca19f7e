//! Covenant tests: cases a privacy officer writes in plain text, next to the
//! encoding, and the runner that decides each against a covenant.
//!
//! ```text
//! background
//!   at 2026-11-23T10:00:00Z
//!   case in oost, phase duiding
//!   subject S1 is dader
//!
//! test "an informatiemakelaar gets politie-incidenten without the samenvatting"
//!   share politie-incidenten about S1 for duiding
//!   from politie
//!   to an informatiemakelaar of gemeente in oost
//!   fields datum, locatie and samenvatting
//!   expect permit, passing datum and locatie, stripping samenvatting, citing 4.2, 6.3 and 6.3a
//! ```
//!
//! Lines before the first `test` are the background every test starts from; a test's
//! own lines add to it or replace it (a `subject` line replaces the subject with the
//! same id). A party is named by its OIN, by its name as annex A writes it (in quotes
//! when it has spaces: `from "Stichting Lieflijk Wonen"`; part of the name will do when
//! only one party's name holds it, as `hubctl` reads it, [`crate::party_name`]) or,
//! when the covenant lists one party of that kind, by its kind. Only what an `expect`
//! line states is checked.

use std::collections::BTreeSet;
use std::fmt;

use crate::article::ArticleNo;
use crate::diagnostics::{Diagnostics, Problem};
use crate::model::Covenant;
use crate::request::{
    Case, Decision, DecisionRequest, Emergency, Obligation, Oin, Outcome, Recipient, Source,
    Subject, Timestamp,
};
use crate::syntax::cursor::{Cursor, SyntaxError, Word};
use crate::syntax::lexer::{LexedLine, lex};
use crate::syntax::span::Span;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole};

/// The covenant tests this repository maintains the encoding with
/// (`policies/tests/covenant/*.covtest`), compiled in as `(file name, text)`, in file
/// name order: the suite a draft of a new version is checked against where no test
/// files are at hand (the web console's proposal editor), so that every privacy officer
/// runs the same tests as the engine's own build. `tests/covenant_suite.rs` checks that
/// the list holds every file of the directory.
pub const SUITE: [(&str, &str); 6] = [
    (
        "01-parties-purposes-phases.covtest",
        include_str!("../tests/covenant/01-parties-purposes-phases.covtest"),
    ),
    (
        "05-recipients.covtest",
        include_str!("../tests/covenant/05-recipients.covtest"),
    ),
    (
        "06-categories.covtest",
        include_str!("../tests/covenant/06-categories.covtest"),
    ),
    (
        "07-prohibited-minimisation.covtest",
        include_str!("../tests/covenant/07-prohibited-minimisation.covtest"),
    ),
    (
        "14-escalation.covtest",
        include_str!("../tests/covenant/14-escalation.covtest"),
    ),
    (
        "15-emergency.covtest",
        include_str!("../tests/covenant/15-emergency.covtest"),
    ),
];

/// A party as a test names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRef {
    /// An OIN, a party's name (or part of it) or a party kind.
    pub name: Word,
    /// `as KIND`: the kind stated in the request (default: the listed kind).
    pub stated_kind: Option<PartyKind>,
}

/// The case and share a test describes, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    /// `at ...`
    pub at: Option<Timestamp>,
    /// `case [ID] in STADSDEEL, phase PHASE[, escalated]`
    pub case: Option<(String, Stadsdeel, Phase, bool)>,
    /// `subject ID is ROLE [with consent for ...]`
    pub subjects: Vec<Subject>,
    /// `participants ...` (OINs, names or kinds)
    pub participants: Vec<Word>,
    /// `emergency declared by PERSON at TIME`
    pub emergency: Option<Emergency>,
    /// `share CATEGORY about SUBJECT for PURPOSE`
    pub share: Option<(Category, String, Purpose)>,
    /// `from PARTY [as KIND]`
    pub from: Option<PartyRef>,
    /// `to a ROLE of PARTY [as KIND] [in STADSDEEL][, person P]`
    pub to: Option<(Role, PartyRef, Option<Stadsdeel>, String)>,
    /// `fields ...`
    pub fields: Option<Vec<String>>,
}

/// What a test expects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The outcome.
    pub outcome: Option<Outcome>,
    /// `passing ...` (sorted).
    pub passed: Option<BTreeSet<String>>,
    /// `stripping ...`
    pub stripped: Option<BTreeSet<String>>,
    /// `citing ...`
    pub articles: Option<BTreeSet<ArticleNo>>,
    /// `as an emergency share` / `as an ordinary share`
    pub emergency: Option<bool>,
    /// `carrying retention, purpose-binding and review` (obligation kinds)
    pub carrying: Option<BTreeSet<String>>,
    /// `notifying the source's privacy officer under 7.1` / `notifying no one`
    pub notifying: Option<BTreeSet<ArticleNo>>,
}

/// One test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// 1-based line of its `test` line.
    pub line: usize,
    /// The given case and share (background included).
    pub given: Given,
    /// The expectation.
    pub expect: Expect,
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file's name.
    pub name: String,
    /// Its tests.
    pub tests: Vec<TestCase>,
}

/// Parses a covenant-test file; every malformed line is reported.
pub fn parse_tests(source_name: &str, text: &str) -> Result<TestFile, Diagnostics> {
    let (lines, unclosed) = lex(text);
    let mut problems: Vec<Problem> = unclosed
        .into_iter()
        .map(|u| Problem::error("covtest::syntax", u.span, "this quoted text is not closed"))
        .collect();
    let mut background = Given::default();
    let mut tests: Vec<TestCase> = Vec::new();
    for line in &lines {
        let end = Span::new(
            line.offset + line.text.trim_end().len(),
            line.offset + line.text.trim_end().len(),
        );
        let mut c = Cursor::new(&line.tokens, end);
        let result = if c.eat_kw("background") {
            if tests.is_empty() {
                c.expect_end()
            } else {
                Err(SyntaxError {
                    span: line.span(),
                    message: "'background' must come before the first test".into(),
                    help: None,
                })
            }
        } else if c.eat_kw("test") {
            c.quoted("the test's name in quotes").and_then(|name| {
                c.expect_end()?;
                tests.push(TestCase {
                    name: name.text,
                    line: line.number,
                    given: background.clone(),
                    expect: Expect::default(),
                });
                Ok(())
            })
        } else {
            match tests.last_mut() {
                Some(t) => {
                    if c.is_kw("expect") {
                        parse_expect(&mut c, &mut t.expect)
                    } else {
                        parse_given(&mut c, &mut t.given)
                    }
                }
                None => parse_given(&mut c, &mut background),
            }
        };
        if let Err(e) = result {
            let p = Problem::error("covtest::syntax", e.span, e.message);
            problems.push(match e.help {
                Some(h) => p.with_help(h),
                None => p,
            });
        }
    }
    for t in &tests {
        if t.expect == Expect::default() {
            let span = lines
                .iter()
                .find(|l| l.number == t.line)
                .map_or(Span::default(), LexedLine::span);
            problems.push(
                Problem::error(
                    "covtest::no-expectation",
                    span,
                    format!("test \"{}\" expects nothing", t.name),
                )
                .with_help("add a line: expect permit|deny|reject, citing ..."),
            );
        }
    }
    if problems.is_empty() {
        Ok(TestFile {
            name: source_name.to_owned(),
            tests,
        })
    } else {
        Err(Diagnostics::new(source_name, text, problems))
    }
}

/// Reads one request written as covenant-test lines (`covenant explain`): the lines
/// of one test, without `test` and `expect` (both are allowed and read over, so that
/// a test can be pasted whole). Lines are separated by line breaks or by `;`, so that
/// a request fits on a command line:
///
/// ```text
/// case in oost, phase duiding; subject S1 is dader; share politie-incidenten about S1 for duiding; from politie; to an informatiemakelaar of gemeente in oost; fields datum and samenvatting
/// ```
///
/// Every malformed line is reported, with its line and column in the text as given
/// (counting a `;` as a line break).
pub fn parse_request(source_name: &str, text: &str) -> Result<Given, Diagnostics> {
    // A `;` outside quotes ends a line; replacing it byte for byte keeps the spans.
    let mut quoted = false;
    let lines_text: String = text
        .chars()
        .map(|ch| match ch {
            '"' => {
                quoted = !quoted;
                ch
            }
            ';' if !quoted => '\n',
            _ => ch,
        })
        .collect();
    let (lines, unclosed) = lex(&lines_text);
    let mut problems: Vec<Problem> = unclosed
        .into_iter()
        .map(|u| Problem::error("covtest::syntax", u.span, "this quoted text is not closed"))
        .collect();
    let mut given = Given::default();
    let mut tests = 0;
    for line in &lines {
        let end = Span::new(
            line.offset + line.text.trim_end().len(),
            line.offset + line.text.trim_end().len(),
        );
        let mut c = Cursor::new(&line.tokens, end);
        let result = if c.is_kw("expect") {
            Ok(())
        } else if c.eat_kw("background") {
            c.expect_end()
        } else if c.eat_kw("test") {
            tests += 1;
            if tests > 1 {
                Err(SyntaxError {
                    span: line.span(),
                    message: "a second test: explain takes one request".into(),
                    help: Some("give the lines of one test only".into()),
                })
            } else {
                c.quoted("the test's name in quotes")
                    .and_then(|_| c.expect_end())
            }
        } else {
            parse_given(&mut c, &mut given)
        };
        if let Err(e) = result {
            let p = Problem::error("covtest::syntax", e.span, e.message);
            problems.push(match e.help {
                Some(h) => p.with_help(h),
                None => p,
            });
        }
    }
    if problems.is_empty() {
        Ok(given)
    } else {
        Err(Diagnostics::new(source_name, &lines_text, problems))
    }
}

fn vocab<T: std::str::FromStr<Err = crate::vocab::UnknownWord>>(
    w: &Word,
) -> Result<T, SyntaxError> {
    w.text.parse::<T>().map_err(|e| SyntaxError {
        span: w.span,
        message: e.to_string(),
        help: e.suggestion.map(|s| format!("did you mean '{s}'?")),
    })
}

fn timestamp(w: &Word) -> Result<Timestamp, SyntaxError> {
    Timestamp::parse(&w.text).ok_or_else(|| SyntaxError {
        span: w.span,
        message: format!("'{}' is not a timestamp", w.text),
        help: Some("write RFC 3339, e.g. 2026-11-23T10:00:00Z".into()),
    })
}

/// What a party is named by, in errors.
const A_PARTY: &str = "a party: its OIN, its name as annex A writes it (in quotes), or its kind";

fn party_ref(c: &mut Cursor<'_>) -> Result<PartyRef, SyntaxError> {
    let name = c.word_or_quoted(A_PARTY)?;
    let stated_kind = if c.eat_kw("as") {
        Some(vocab::<PartyKind>(&c.word("a party kind")?)?)
    } else {
        None
    };
    Ok(PartyRef { name, stated_kind })
}

/// `politie, "Stichting Lieflijk Wonen" and 00000004000000000004`: parties named by
/// OIN, name (quoted when it has spaces) or kind.
fn party_list(c: &mut Cursor<'_>) -> Result<Vec<Word>, SyntaxError> {
    let mut items = vec![c.word_or_quoted(A_PARTY)?];
    while c.eat_comma() || c.eat_kw("and") {
        items.push(c.word_or_quoted(A_PARTY)?);
    }
    Ok(items)
}

fn parse_given(c: &mut Cursor<'_>, g: &mut Given) -> Result<(), SyntaxError> {
    if c.eat_kw("at") {
        g.at = Some(timestamp(&c.word("a timestamp")?)?);
    } else if c.eat_kw("case") {
        let id = if c.is_kw("in") {
            "C-TEST".to_owned()
        } else {
            c.word("a case id or 'in'")?.text
        };
        c.expect_phrase("in")?;
        let stadsdeel = vocab::<Stadsdeel>(&c.word("a stadsdeel")?)?;
        c.expect_comma("phase")?;
        c.expect_phrase("phase")?;
        let phase = vocab::<Phase>(&c.word("a phase")?)?;
        let escalated = if c.eat_comma() {
            c.expect_phrase("escalated")?;
            true
        } else {
            false
        };
        g.case = Some((id, stadsdeel, phase, escalated));
    } else if c.eat_kw("subject") {
        let id = c.word("a subject id")?.text;
        c.expect_phrase("is")?;
        c.eat_kw("a");
        let role = vocab::<SubjectRole>(&c.word("a subject role")?)?;
        let mut consent = Vec::new();
        if c.eat_kw("with") {
            c.expect_phrase("consent for")?;
            for w in c.list("a category")? {
                consent.push(vocab::<Category>(&w)?);
            }
        }
        g.subjects.retain(|s| s.id != id);
        g.subjects.push(Subject { id, role, consent });
    } else if c.eat_kw("participants") {
        g.participants = party_list(c)?;
    } else if c.is_phrase("no participants") {
        c.expect_phrase("no participants")?;
        g.participants.clear();
    } else if c.is_phrase("no emergency") {
        c.expect_phrase("no emergency")?;
        g.emergency = None;
    } else if c.eat_kw("emergency") {
        c.expect_phrase("declared by")?;
        let person = c.word("the declarer's person id")?.text;
        c.expect_phrase("at")?;
        let at = timestamp(&c.word("a timestamp")?)?;
        g.emergency = Some(Emergency {
            declared_by: person,
            declared_at: at,
            reason: "covenant test".into(),
        });
    } else if c.eat_kw("share") {
        let cat = vocab::<Category>(&c.word("a category")?)?;
        c.expect_phrase("about")?;
        let subject = c.word("a subject id")?.text;
        c.expect_phrase("for")?;
        let purpose = vocab::<Purpose>(&c.word("a purpose")?)?;
        g.share = Some((cat, subject, purpose));
    } else if c.eat_kw("from") {
        g.from = Some(party_ref(c)?);
    } else if c.eat_kw("to") {
        if !(c.eat_kw("a") || c.eat_kw("an")) {
            c.eat_kw("the");
        }
        let role = vocab::<Role>(&c.word("a role")?)?;
        c.expect_phrase("of")?;
        let party = party_ref(c)?;
        let stadsdeel = if c.eat_kw("in") {
            Some(vocab::<Stadsdeel>(&c.word("a stadsdeel")?)?)
        } else {
            None
        };
        let person = if c.eat_comma() {
            c.expect_phrase("person")?;
            c.word("a person id")?.text
        } else {
            "p-test".to_owned()
        };
        g.to = Some((role, party, stadsdeel, person));
    } else if c.is_phrase("no fields") {
        c.expect_phrase("no fields")?;
        g.fields = Some(Vec::new());
    } else if c.eat_kw("fields") || c.eat_kw("field") {
        g.fields = Some(
            c.list("a field name")?
                .into_iter()
                .map(|w| w.text)
                .collect(),
        );
    } else {
        let mut e = c.error("a test line");
        e.help = Some(
            "test lines start with: test, at, case, subject, participants, emergency, share, from, to, fields, expect".into(),
        );
        return Err(e);
    }
    c.expect_end()
}

fn name_set(ws: Vec<Word>) -> BTreeSet<String> {
    ws.into_iter().map(|w| w.text).collect()
}

fn parse_expect(c: &mut Cursor<'_>, e: &mut Expect) -> Result<(), SyntaxError> {
    c.expect_phrase("expect")?;
    let w = c.word("permit, deny or reject")?;
    e.outcome = Some(match w.text.as_str() {
        "permit" => Outcome::Permit,
        "deny" => Outcome::Deny,
        "reject" => Outcome::Reject,
        _ => {
            return Err(SyntaxError {
                span: w.span,
                message: format!("expected permit, deny or reject, found '{}'", w.text),
                help: None,
            });
        }
    });
    while c.eat_comma() {
        if c.eat_kw("passing") {
            e.passed = Some(if c.eat_kw("nothing") {
                BTreeSet::new()
            } else {
                name_set(c.list("a field")?)
            });
        } else if c.eat_kw("stripping") {
            e.stripped = Some(if c.eat_kw("nothing") {
                BTreeSet::new()
            } else {
                name_set(c.list("a field")?)
            });
        } else if c.eat_kw("citing") {
            c.eat_kw("art.");
            let mut arts = BTreeSet::new();
            loop {
                arts.insert(c.article_no()?.no);
                if c.is_kw("and")
                    || matches!(c.peek(), Some(t) if t.kind == crate::syntax::lexer::TokenKind::Comma && c.peek_nth(1).is_some_and(|n| n.text.starts_with(|ch: char| ch.is_ascii_digit())))
                {
                    if !c.eat_comma() {
                        c.eat_kw("and");
                    }
                } else {
                    break;
                }
            }
            e.articles = Some(arts);
        } else if c.is_phrase("as an emergency share") {
            c.expect_phrase("as an emergency share")?;
            e.emergency = Some(true);
        } else if c.is_phrase("as an ordinary share") {
            c.expect_phrase("as an ordinary share")?;
            e.emergency = Some(false);
        } else if c.eat_kw("carrying") {
            e.carrying = Some(if c.eat_kw("nothing") {
                BTreeSet::new()
            } else {
                name_set(c.list("an obligation")?)
            });
        } else if c.eat_kw("notifying") {
            if c.eat_kw("no") {
                c.expect_phrase("one")?;
                e.notifying = Some(BTreeSet::new());
            } else {
                c.expect_phrase("the source's privacy officer under")?;
                c.eat_kw("art.");
                let mut arts = BTreeSet::from([c.article_no()?.no]);
                while c.eat_kw("and") {
                    c.eat_kw("art.");
                    arts.insert(c.article_no()?.no);
                }
                e.notifying = Some(arts);
            }
        } else {
            return Err(c.error("'passing', 'stripping', 'citing', 'as an emergency share', 'as an ordinary share', 'carrying' or 'notifying'"));
        }
    }
    c.expect_end()
}

/// Why a test could not be run or did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The test does not describe a valid request.
    Invalid(String),
    /// The decision differs from the expectation: each difference in words.
    Mismatch(Vec<String>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(m) => write!(f, "the test does not describe a valid share: {m}"),
            Failure::Mismatch(ds) => f.write_str(&ds.join("; ")),
        }
    }
}

/// The result of one test.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// Its line.
    pub line: usize,
    /// `None` when it passed.
    pub failure: Option<Failure>,
    /// The decision, when one was made.
    pub decision: Option<Decision>,
}

fn resolve_party(covenant: &Covenant, p: &PartyRef) -> Result<(Oin, PartyKind), String> {
    if let Some(oin) = Oin::parse(&p.name.text) {
        let listed = covenant.party(&p.name.text).map(|x| x.kind);
        return match (p.stated_kind, listed) {
            (Some(k), _) | (None, Some(k)) => Ok((oin, k)),
            (None, None) => Err(format!(
                "party {} is not listed: say its kind with 'as KIND'",
                p.name.text
            )),
        };
    }
    let listed = covenant.parties();
    if let Ok(kind) = p.name.text.parse::<PartyKind>() {
        let mut of_kind = listed.iter().filter(|x| x.kind == kind);
        return match (of_kind.next(), of_kind.next()) {
            (Some(x), None) => {
                let oin = Oin::parse(&x.oin)
                    .ok_or_else(|| format!("party {} has a malformed OIN", x.oin))?;
                Ok((oin, p.stated_kind.unwrap_or(kind)))
            }
            (Some(_), Some(_)) => Err(format!(
                "more than one party is of kind {kind}: name it by its name as annex A writes it, or its OIN"
            )),
            (None, _) => Err(format!("no party is of kind {kind}")),
        };
    }
    // A party's name is covenant text (annex A), not personal data: it is quoted
    // (escaped, since a test file may hold anything).
    let named = p.name.text.escape_debug().to_string();
    match crate::party_name::pick(listed, &p.name.text, |x| &x.name, |x| x.kind.as_str()) {
        Ok(x) => {
            let oin =
                Oin::parse(&x.oin).ok_or_else(|| format!("party {} has a malformed OIN", x.oin))?;
            Ok((oin, p.stated_kind.unwrap_or(x.kind)))
        }
        Err(several) if !several.is_empty() => Err(format!(
            "\"{named}\" matches several parties: {}; give more of the name, or the OIN",
            several
                .iter()
                .map(|x| format!("\"{}\"", x.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(_) => {
            let mean =
                crate::party_name::closest(&p.name.text, listed.iter().map(|x| x.name.as_str()))
                    .map(|n| format!("did you mean \"{n}\"? "))
                    .unwrap_or_default();
            Err(format!(
                "\"{named}\" is no party of the covenant: {mean}name a party by its OIN, its name as annex A writes it (in quotes), or its kind ({})",
                PartyKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// Builds the decision request a test describes; on failure, every problem found (a
/// line missing, a party not found, what [`DecisionRequest::check`] finds), joined.
pub fn request_of(covenant: &Covenant, g: &Given) -> Result<DecisionRequest, String> {
    let mut problems: Vec<String> = Vec::new();
    let mut missing = |what: &str, example: &str| {
        problems.push(format!("no '{what}' line (e.g. {example})"));
    };
    if g.case.is_none() {
        missing("case", "case in oost, phase duiding");
    }
    if g.share.is_none() {
        missing("share", "share politie-incidenten about S1 for duiding");
    }
    if g.from.is_none() {
        missing("from", "from politie");
    }
    if g.to.is_none() {
        missing("to", "to an informatiemakelaar of gemeente in oost");
    }
    let mut party = |p: &PartyRef, role: &str| match resolve_party(covenant, p) {
        Ok(found) => Some(found),
        Err(e) => {
            problems.push(format!("{role}: {e}"));
            None
        }
    };
    let source = g.from.as_ref().and_then(|p| party(p, "from"));
    let recipient = g.to.as_ref().and_then(|(_, p, _, _)| party(p, "to"));
    let mut participants = Vec::new();
    for p in &g.participants {
        let named = PartyRef {
            name: p.clone(),
            stated_kind: None,
        };
        if let Some((oin, _)) = party(&named, "participants") {
            participants.push(oin);
        }
    }
    let (
        Some((id, stadsdeel, phase, escalated)),
        Some((category, subject, purpose)),
        Some((soin, skind)),
        Some((role, _, rsd, person)),
        Some((roin, rkind)),
        true,
    ) = (
        g.case.clone(),
        g.share.clone(),
        source,
        g.to.clone(),
        recipient,
        problems.is_empty(),
    )
    else {
        return Err(problems.join("; "));
    };
    let request = DecisionRequest {
        at: g
            .at
            .or_else(|| Timestamp::parse("2026-11-23T10:00:00Z"))
            .ok_or("no 'at' line")?,
        case: Case {
            id,
            stadsdeel,
            phase,
            escalated,
            participants,
            subjects: g.subjects.clone(),
            emergency: g.emergency.clone(),
        },
        source: Source {
            oin: soin,
            kind: skind,
        },
        recipient: Recipient {
            oin: roin,
            kind: rkind,
            role,
            stadsdeel: rsd,
            person,
        },
        subject,
        category,
        purpose,
        fields: g.fields.clone().unwrap_or_default(),
    };
    let errors = request.check();
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn show<T: fmt::Display>(s: &BTreeSet<T>) -> String {
    if s.is_empty() {
        "nothing".into()
    } else {
        s.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Compares a decision with an expectation; each difference in words.
pub fn compare(d: &Decision, e: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(o) = e.outcome
        && o != d.outcome
    {
        out.push(format!(
            "expected {}, the decision is {}",
            o.as_str(),
            d.outcome.as_str()
        ));
    }
    let check =
        |out: &mut Vec<String>, what: &str, want: &Option<BTreeSet<String>>, got: &[String]| {
            if let Some(w) = want {
                let g: BTreeSet<String> = got.iter().cloned().collect();
                if *w != g {
                    out.push(format!(
                        "expected {what} {}, the decision has {}",
                        show(w),
                        show(&g)
                    ));
                }
            }
        };
    check(&mut out, "passing", &e.passed, &d.passed);
    check(&mut out, "stripping", &e.stripped, &d.stripped);
    if let Some(w) = &e.articles {
        let g: BTreeSet<ArticleNo> = d.articles.iter().copied().collect();
        if *w != g {
            out.push(format!(
                "expected citing {}, the decision cites {}",
                show(w),
                show(&g)
            ));
        }
    }
    if let Some(w) = e.emergency
        && w != d.emergency
    {
        out.push(if w {
            "expected an emergency share, it is an ordinary one".into()
        } else {
            "expected an ordinary share, it is an emergency share".into()
        });
    }
    if let Some(w) = &e.carrying {
        let g: BTreeSet<String> = d
            .obligations
            .iter()
            .map(|o| {
                match o {
                    Obligation::Retention { .. } => "retention",
                    Obligation::PurposeBinding { .. } => "purpose-binding",
                    Obligation::Review { .. } => "review",
                }
                .to_owned()
            })
            .collect();
        if *w != g {
            out.push(format!(
                "expected carrying {}, the decision carries {}",
                show(w),
                show(&g)
            ));
        }
    }
    if let Some(w) = &e.notifying {
        let g: BTreeSet<ArticleNo> = d.notify.iter().map(|n| n.article).collect();
        if *w != g {
            out.push(format!(
                "expected notifying the source's privacy officer under {}, the decision notifies under {}",
                show(w),
                show(&g)
            ));
        }
    }
    out
}

/// Runs every test of a file against a covenant.
pub fn run(covenant: &Covenant, file: &TestFile) -> Vec<TestResult> {
    file.tests
        .iter()
        .map(|t| match request_of(covenant, &t.given) {
            Err(m) => TestResult {
                name: t.name.clone(),
                line: t.line,
                failure: Some(Failure::Invalid(m)),
                decision: None,
            },
            Ok(r) => {
                let d = covenant.decide(&r);
                let diffs = compare(&d, &t.expect);
                TestResult {
                    name: t.name.clone(),
                    line: t.line,
                    failure: if diffs.is_empty() {
                        None
                    } else {
                        Some(Failure::Mismatch(diffs))
                    },
                    decision: Some(d),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
background
  at 2026-11-23T10:00:00Z
  case in oost, phase duiding
  subject S1 is dader

test "informatiemakelaar without samenvatting"
  share politie-incidenten about S1 for duiding
  from politie
  to an informatiemakelaar of gemeente in oost
  fields datum, locatie and samenvatting
  expect permit, passing datum and locatie, stripping samenvatting, citing 4.2, 6.3 and 6.3a

test "a wrong expectation"
  share politie-incidenten about S1 for duiding
  from politie
  to an informatiemakelaar of gemeente in oost
  fields datum
  expect deny, citing 5.3
"#;

    fn covenant() -> Covenant {
        Covenant::parse("t", crate::TREITERAANPAK_COVENANT).unwrap()
    }

    #[test]
    fn parses_and_runs() {
        let file = parse_tests("x.covtest", FILE).unwrap();
        assert_eq!(file.tests.len(), 2);
        let results = run(&covenant(), &file);
        assert_eq!(results.first().unwrap().failure, None);
        let Some(Failure::Mismatch(diffs)) = &results.get(1).unwrap().failure else {
            panic!("second test should fail");
        };
        assert_eq!(
            diffs,
            &vec![
                "expected deny, the decision is permit".to_owned(),
                "expected citing 5.3, the decision cites 4.2, 6.3".to_owned()
            ]
        );
    }

    #[test]
    fn malformed_lines_get_line_and_column() {
        let bad = "test \"x\"\n  share politie-incidenten abut S1 for duiding\n  expect perhaps\n";
        let d = parse_tests("bad.covtest", bad).unwrap_err();
        let plain = d.plain();
        assert!(
            plain.contains(
                "bad.covtest:2:28: error[covtest::syntax]: expected 'about', found 'abut'"
            ),
            "{plain}"
        );
        assert!(
            plain.contains(
                "bad.covtest:3:10: error[covtest::syntax]: expected permit, deny or reject"
            ),
            "{plain}"
        );
    }

    #[test]
    fn an_ambiguous_party_kind_is_an_invalid_test() {
        let text = "case in oost, phase aanpak\nsubject S1 is dader\ntest \"t\"\nshare huurgegevens about S1 for aanpak\nfrom woningcorporatie\nto a stadsdeelregisseur of gemeente in oost\nexpect permit\n";
        let file = parse_tests("x", text).unwrap();
        let r = run(&covenant(), &file);
        assert!(
            matches!(&r.first().unwrap().failure, Some(Failure::Invalid(m)) if m.contains("more than one party is of kind woningcorporatie"))
        );
    }

    #[test]
    fn a_party_is_named_as_annex_a_writes_it() {
        let text = r#"
case in oost, phase aanpak
subject S1 is dader
participants "Stichting Lieflijk Wonen" and politie

test "a woningcorporatie named by its name"
  share huurgegevens about S1 for aanpak
  from "Stichting Lieflijk Wonen"
  to a partnercontact of "Politie Eenheid Amsterdam"
  fields huurstatus
  expect permit, passing huurstatus

test "part of a name will do when only one party's name holds it"
  share huurgegevens about S1 for aanpak
  from "De Gracht"
  to a stadsdeelregisseur of gemeente in oost
  fields huurstatus
  expect permit, passing huurstatus

test "a misspelt name"
  share huurgegevens about S1 for aanpak
  from "Stichting Liefljk Wonen"
  to a stadsdeelregisseur of gemeente in oost
  expect permit
"#;
        let file = parse_tests("names.covtest", text).unwrap();
        let c = covenant();
        let results = run(&c, &file);
        let [named, part, typo] = results.as_slice() else {
            panic!("three results: {results:?}");
        };
        assert_eq!(named.failure, None, "{named:?}");
        assert_eq!(part.failure, None, "{part:?}");
        let request = request_of(&c, &file.tests[0].given).unwrap();
        assert_eq!(request.source.oin.to_string(), "00000004000000000005");
        assert_eq!(request.source.kind, PartyKind::Woningcorporatie);
        assert_eq!(request.case.participants.len(), 2);
        assert!(
            matches!(&typo.failure, Some(Failure::Invalid(m))
                if m.contains("\"Stichting Liefljk Wonen\" is no party of the covenant: did you mean \"Stichting Lieflijk Wonen\"?")),
            "{typo:?}"
        );
    }

    #[test]
    fn a_request_is_read_from_covtest_lines_on_one_line() {
        let given = parse_request(
            "request",
            "case in oost, phase duiding; subject S1 is dader; share politie-incidenten about S1 for duiding; from \"Politie Eenheid Amsterdam\"; to an informatiemakelaar of gemeente in oost; fields datum and samenvatting",
        )
        .unwrap();
        let r = request_of(&covenant(), &given).unwrap();
        assert_eq!(r.source.oin.to_string(), "00000002000000000002");
        assert_eq!(r.fields, ["datum", "samenvatting"]);
        let d = covenant().decide(&r);
        assert_eq!(d.outcome, Outcome::Permit);
        assert_eq!(d.stripped, ["samenvatting"]);
    }

    #[test]
    fn every_problem_of_a_request_is_reported() {
        let given = parse_request(
            "request",
            "subject S1 is dader; share politie-incidenten about S1 for duiding; from \"Politie Amsterdm\"",
        )
        .unwrap();
        let e = request_of(&covenant(), &given).unwrap_err();
        assert!(
            e.contains("no 'case' line (e.g. case in oost, phase duiding)"),
            "{e}"
        );
        assert!(e.contains("no 'to' line"), "{e}");
        assert!(
            e.contains("from: \"Politie Amsterdm\" is no party of the covenant: did you mean \"Politie Eenheid Amsterdam\"?"),
            "{e}"
        );
        let d = parse_request(
            "request",
            "case in oost, phase Duiding; share politie-incidenten abut S1",
        )
        .unwrap_err();
        let plain = d.plain();
        assert!(plain.contains("request:1:"), "{plain}");
        assert!(plain.contains("request:2:"), "{plain}");
    }
}
