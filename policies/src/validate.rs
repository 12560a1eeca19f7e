//! Resolves the syntax tree against the fixed vocabulary, checks that the covenant
//! is complete and consistent, and builds the indexed form.
//!
//! Errors make the covenant unusable: unknown or undeclared words, a category without
//! sources or recipients, a field used but not listed, contradicting rules, an article
//! cited for two different things, a paragraph left unencoded, dangling references.
//! Warnings point at lines that can never decide anything (unreachable rules).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use crate::article::ArticleNo;
use crate::compile::{
    ArtId, AsRule, CategoryRules, Compiled, Declarer, EmergencyClass, EmergencyRules, FieldId,
    FieldSet, Grant, MAX_ARTICLES, MAX_FIELDS, Mask, Strip, StripTest, has,
};
use crate::diagnostics::Problem;
use crate::model::{Covenant, Party};
use crate::syntax::{ArtRef, Body, Line, Selector, SetAsideItem, Span, Statement, VocabList, Word};
use crate::vocab::{
    Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole, UnknownWord,
};

/// A vocabulary enum that a covenant declares with `<list> are ...`.
trait Vocab: FromStr<Err = UnknownWord> + Copy {
    const LIST: VocabList;
    fn bit_of(self) -> u32;
}

macro_rules! vocab_list {
    ($t:ty, $l:expr) => {
        impl Vocab for $t {
            const LIST: VocabList = $l;
            fn bit_of(self) -> u32 {
                self.bit()
            }
        }
    };
}
vocab_list!(SubjectRole, VocabList::SubjectRoles);
vocab_list!(Stadsdeel, VocabList::Stadsdelen);
vocab_list!(PartyKind, VocabList::PartyKinds);
vocab_list!(Purpose, VocabList::Purposes);
vocab_list!(Phase, VocabList::Phases);
vocab_list!(Role, VocabList::Roles);

/// What an article is about; one article may not be cited for two of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Subjects,
    Stadsdelen,
    Parties,
    Purposes,
    Phases,
    Recipients,
    Category(Category),
    Field(FieldId),
    Prohibited,
    Minimisation,
    Retention,
    Escalation,
    Emergency,
}

impl Topic {
    fn describe(self, fields: &[String]) -> String {
        match self {
            Topic::Subjects => "subject roles".into(),
            Topic::Stadsdelen => "stadsdelen".into(),
            Topic::Parties => "parties".into(),
            Topic::Purposes => "purposes".into(),
            Topic::Phases => "phases".into(),
            Topic::Recipients => "recipient roles".into(),
            Topic::Category(c) => format!("category {c}"),
            Topic::Field(f) => format!(
                "field {}",
                fields.get(usize::from(f)).map_or("?", String::as_str)
            ),
            Topic::Prohibited => "prohibited content".into(),
            Topic::Minimisation => "data minimisation".into(),
            Topic::Retention => "retention".into(),
            Topic::Escalation => "escalation".into(),
            Topic::Emergency => "emergencies".into(),
        }
    }
}

struct V<'p> {
    problems: &'p mut Vec<Problem>,
    /// Declared masks per list; a list that is not declared accepts every word, so
    /// that its absence is reported once and not at every use.
    declared: HashMap<VocabList, (Mask, ArtRef)>,
    /// Categories that have a `has fields` line.
    categories: u32,
    fields: Vec<String>,
    field_ids: HashMap<String, FieldId>,
    art_ids: BTreeMap<ArticleNo, ArtId>,
}

impl V<'_> {
    fn err(&mut self, p: Problem) {
        self.problems.push(p);
    }

    fn art(&self, a: ArtRef) -> ArtId {
        self.art_ids.get(&a.no).copied().unwrap_or(0)
    }

    fn unknown(&mut self, w: &Word, e: &UnknownWord) {
        let mut p = Problem::error(
            "covenant::unknown-word",
            w.span,
            format!("unknown {} '{}'", e.what, w.text),
        );
        let list = crate::vocab::plural(e.what);
        p = match e.suggestion {
            Some(s) => p.with_help(format!(
                "did you mean '{s}'? the {list} are: {}",
                e.expected
            )),
            None => p.with_help(format!("the {list} are: {}", e.expected)),
        };
        self.err(p);
    }

    /// A vocabulary word, which must also be declared by the covenant.
    fn word<T: Vocab>(&mut self, w: &Word) -> Option<T> {
        match w.text.parse::<T>() {
            Ok(v) => {
                if let Some((mask, decl)) = self.declared.get(&T::LIST).copied()
                    && !has(mask, v.bit_of())
                {
                    self.err(
                        Problem::error(
                            "covenant::undeclared-word",
                            w.span,
                            format!(
                                "'{}' is not among the {} of art. {}",
                                w.text,
                                T::LIST.phrase(),
                                decl.no
                            ),
                        )
                        .with_related(decl.span, "declared here")
                        .with_help(format!(
                            "add it to art. {}, or use a declared word",
                            decl.no
                        )),
                    );
                    return None;
                }
                Some(v)
            }
            Err(e) => {
                self.unknown(w, &e);
                None
            }
        }
    }

    fn mask<T: Vocab>(&mut self, ws: &[Word]) -> Mask {
        ws.iter()
            .filter_map(|w| self.word::<T>(w))
            .fold(0, |m, v| m | v.bit_of())
    }

    /// A category word, which must have a `has fields` line (unless `declaring`).
    fn category(&mut self, w: &Word) -> Option<Category> {
        match w.text.parse::<Category>() {
            Ok(c) if has(self.categories, c.bit()) => Some(c),
            Ok(c) => {
                self.err(
                    Problem::error(
                        "covenant::category-without-fields",
                        w.span,
                        format!("category '{c}' is used, but no line says which fields it has"),
                    )
                    .with_help(format!("add: art. N  category {c} has fields ...")),
                );
                None
            }
            Err(e) => {
                self.unknown(w, &e);
                None
            }
        }
    }

    fn categories(&mut self, ws: &[Word]) -> u32 {
        ws.iter()
            .filter_map(|w| self.category(w))
            .fold(0, |m, c| m | c.bit())
    }

    fn field(&mut self, w: &Word) -> Option<FieldId> {
        let id = self.field_ids.get(&w.text).copied();
        if id.is_none() {
            self.err(
                Problem::error(
                    "covenant::field-not-listed",
                    w.span,
                    format!("field '{}' is used, but no category lists it", w.text),
                )
                .with_help("list it in a 'category ... has fields' line, or correct its spelling"),
            );
        }
        id
    }

    fn selectors(&mut self, sel: &[Selector]) -> Vec<(Role, Mask, Span)> {
        sel.iter()
            .filter_map(|s| {
                let role = self.word::<Role>(&s.role)?;
                let kinds = match &s.of_kind {
                    Some(k) => self.word::<PartyKind>(k)?.bit(),
                    None => u32::MAX,
                };
                Some((role, kinds, s.role.span))
            })
            .collect()
    }
}

/// What the rules pass gathers for the checks that need the whole covenant.
#[derive(Default)]
struct Gathered {
    singletons: HashMap<&'static str, ArtRef>,
    sources_seen: HashMap<Category, Span>,
    grant_lines: Vec<(Category, Grant, Span)>,
    em: EmergencyRules,
    em_seen: HashMap<&'static str, ArtRef>,
    em_class: HashMap<Category, (EmergencyClass, Span)>,
    set_aside_refs: Vec<SetAsideItem>,
    keeps_refs: Vec<(Vec<ArtRef>, Vec<ArtRef>)>,
    retention_obligation: Option<ArtRef>,
    consent_refs: Vec<ArtRef>,
    fit_lines: Vec<(Mask, Span)>,
    strip_specs: Vec<(Option<Category>, FieldId, StripTest, ArtId, Span)>,
    listed_annex: Option<(Word, ArtRef)>,
}

/// Refuses control characters (but tab and line ends) and the invisible characters
/// that reorder or hide text (bidirectional overrides and isolates, zero-width
/// characters), one error per line. A covenant is read by people and decided by the
/// engine: it must read as it is parsed (an override can make a line look like another
/// one), and its names (parties, titles) are shown in `hub status` and hubctl's tables,
/// where a control character would act on the terminal.
fn hidden_characters(text: &str, problems: &mut Vec<Problem>) {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        // A byte-order mark is an editor's, at the very start only.
        let found = line.char_indices().find(|&(i, c)| {
            crate::diagnostics::is_hidden(c) && !(c == '\u{FEFF}' && line_start + i == 0)
        });
        if let Some((i, c)) = found {
            let at = line_start + i;
            problems.push(
                Problem::error(
                    "covenant::hidden-character",
                    Span::new(at, at + c.len_utf8()),
                    format!(
                        "this line holds a control or invisible character (U+{:04X}); a covenant is plain text that reads as it is parsed",
                        u32::from(c)
                    ),
                )
                .with_help("remove it: an editor may show it as ^[ or ? or not at all"),
            );
        }
        line_start += line.len();
    }
}

/// Warns about a rule line written twice, word for word (spacing aside): harmless to
/// a decision, but a sign that one of the two was meant to say something else (a
/// copied line whose edit was forgotten), and noise in every review of the text.
fn duplicate_lines(statements: &[Statement], text: &str, problems: &mut Vec<Problem>) {
    let mut first: HashMap<String, &Statement> = HashMap::new();
    for s in statements {
        let Some(line) = text.get(s.span.start..s.span.end) else {
            continue;
        };
        let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
        match first.get(&words) {
            Some(earlier) => problems.push(
                Problem::warning(
                    "covenant::duplicate-rule",
                    s.span,
                    format!(
                        "line {} repeats line {} word for word (art. {})",
                        s.line, earlier.line, s.art.no
                    ),
                )
                .with_related(earlier.span, "first written here")
                .with_help(format!(
                    "remove line {}, or correct it if it was meant to say something else",
                    s.line
                )),
            ),
            None => {
                first.insert(words, s);
            }
        }
    }
}

/// Warns about a category field whose name contains the name of a field article 7
/// refuses as a whole (`diagnose_code` beside `diagnose`): the engine refuses only a
/// field named exactly so, so `diagnose_code` passes wherever its category goes.
/// Whether it holds a diagnosis is for the privacy officer to decide, not the tool:
/// a warning, not an error.
fn prohibited_lookalikes(statements: &[Statement], problems: &mut Vec<Problem>) {
    let prohibited: Vec<(&Word, &Statement)> = statements
        .iter()
        .flat_map(|s| match &s.body {
            Body::Prohibited { fields } => fields.iter().map(|f| (f, s)).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    for s in statements {
        let Body::CategoryFields { category, fields } = &s.body else {
            continue;
        };
        for f in fields {
            let name = f.text.to_lowercase();
            for (p, rule) in &prohibited {
                let banned = p.text.to_lowercase();
                if banned.is_empty() || name == banned || !name.contains(&banned) {
                    continue;
                }
                problems.push(
                    Problem::warning(
                        "covenant::prohibited-lookalike",
                        f.span,
                        format!(
                            "field '{}' of category '{}' contains '{}', which art. {} refuses as a whole; only a field named exactly '{}' is refused, so '{}' is shared wherever '{}' goes",
                            f.text, category.text, p.text, rule.art.no, p.text, f.text, category.text
                        ),
                    )
                    .with_related(p.span, "refused as a whole here")
                    .with_help(format!(
                        "if '{}' holds prohibited content, remove it from the category or add it to art. {}; if it does not, leave it (the privacy officer decides)",
                        f.text, rule.art.no
                    )),
                );
            }
        }
    }
}

/// What [`validate`] builds from a covenant without errors.
pub(crate) fn validate(
    lines: Vec<Line>,
    problems: &mut Vec<Problem>,
    text: &str,
) -> Option<Covenant> {
    let file_start = Span::new(0, 0);
    let file_end = Span::new(text.len(), text.len());

    // Pass 1: the frame of the file.
    let mut title: Option<Word> = None;
    let mut version: Option<(u32, Span)> = None;
    let mut headings: Vec<(u32, Span, ArtRef, ArtRef)> = Vec::new();
    let mut annexes: Vec<Word> = Vec::new();
    let mut parties: Vec<(Word, Word, Word, Option<String>)> = Vec::new();
    let mut statements: Vec<Statement> = Vec::new();
    for line in lines {
        match line {
            Line::Covenant { title: t } => {
                if let Some(first) = &title {
                    problems.push(
                        Problem::error(
                            "covenant::duplicate",
                            t.span,
                            "the covenant's title is given twice",
                        )
                        .with_related(first.span, "first given here"),
                    );
                } else {
                    title = Some(t);
                }
            }
            Line::Version { number, span } => {
                if number == 0 {
                    problems.push(
                        Problem::error("covenant::version", span, "versions are numbered from 1")
                            .with_help("article 13.2: versions are numbered in increasing order"),
                    );
                }
                if let Some((_, first)) = version {
                    problems.push(
                        Problem::error("covenant::duplicate", span, "the version is given twice")
                            .with_related(first, "first given here"),
                    );
                } else {
                    version = Some((number, span));
                }
            }
            Line::Article {
                number,
                number_span,
                first,
                last,
                ..
            } => {
                if let Some((prev, _, _, _)) = headings.last()
                    && *prev >= number
                {
                    problems.push(Problem::error(
                        "covenant::article-order",
                        number_span,
                        format!("article {number} follows article {prev}; articles go in increasing order"),
                    ));
                }
                for r in [first, last] {
                    if u32::from(r.no.article) != number || r.no.letter.is_some() {
                        problems.push(Problem::error(
                            "covenant::article-range",
                            r.span,
                            format!(
                                "paragraph {} is not a plain paragraph of article {number}",
                                r.no
                            ),
                        ));
                    }
                }
                if first.no.paragraph > last.no.paragraph {
                    problems.push(Problem::error(
                        "covenant::article-range",
                        last.span,
                        format!(
                            "the paragraphs run from {} to {}: backwards",
                            first.no, last.no
                        ),
                    ));
                }
                headings.push((number, number_span, first, last));
            }
            Line::Annex { letter, .. } => annexes.push(letter),
            Line::Party { oin, name, kind } => {
                let annex = annexes.last().map(|a| a.text.clone());
                if annex.is_none() {
                    problems.push(
                        Problem::error(
                            "covenant::party-outside-annex",
                            oin.span,
                            "a party is listed outside an annex",
                        )
                        .with_help("list parties under an 'annex A \"...\"' line"),
                    );
                }
                parties.push((oin, name, kind, annex));
            }
            Line::Statement(s) => {
                match headings.last() {
                    Some((n, _, first, last)) if u32::from(s.art.no.article) == *n => {
                        let p = s.art.no.paragraph;
                        if p < first.no.paragraph || p > last.no.paragraph {
                            problems.push(
                                Problem::error(
                                    "covenant::article-range",
                                    s.art.span,
                                    format!(
                                        "art. {} is outside the paragraphs {} to {} of its article",
                                        s.art.no, first.no, last.no
                                    ),
                                )
                                .with_related(first.span, "the article's paragraphs"),
                            );
                        }
                    }
                    Some((n, span, _, _)) => problems.push(
                        Problem::error(
                            "covenant::wrong-article",
                            s.art.span,
                            format!("art. {} stands under article {n}", s.art.no),
                        )
                        .with_related(*span, "this article")
                        .with_help(format!("move it under 'article {} ...'", s.art.no.article)),
                    ),
                    None => problems.push(
                        Problem::error(
                            "covenant::wrong-article",
                            s.art.span,
                            format!("art. {} stands before any 'article' heading", s.art.no),
                        )
                        .with_help(
                            "start each article with: article N \"Title\", paragraphs N.1 to N.M",
                        ),
                    ),
                }
                statements.push(s);
            }
        }
    }
    if title.is_none() {
        problems.push(
            Problem::error("covenant::missing", file_start, "the covenant has no title")
                .with_help("start the file with: covenant \"Convenant ...\""),
        );
    }
    if version.is_none() {
        problems.push(
            Problem::error(
                "covenant::missing",
                file_start,
                "the covenant has no version",
            )
            .with_help("add: version 1 (article 13.2)"),
        );
    }

    duplicate_lines(&statements, text, problems);
    prohibited_lookalikes(&statements, problems);
    hidden_characters(text, problems);

    // Every paragraph of every article is encoded.
    for (number, span, first, last) in &headings {
        for p in first.no.paragraph..=last.no.paragraph {
            let here = statements
                .iter()
                .any(|s| u32::from(s.art.no.article) == *number && s.art.no.paragraph == p);
            if !here {
                problems.push(
                    Problem::error(
                        "covenant::paragraph-missing",
                        *span,
                        format!("paragraph {number}.{p} is not encoded"),
                    )
                    .with_help(format!(
                        "add a rule for art. {number}.{p}, or a note if this engine does not decide on it"
                    )),
                );
            }
        }
    }

    // Article ids in reading order.
    let mut art_ids = BTreeMap::new();
    for s in &statements {
        art_ids.insert(s.art.no, 0);
    }
    if art_ids.len() > MAX_ARTICLES {
        problems.push(Problem::error(
            "covenant::too-large",
            file_start,
            format!(
                "the covenant cites {} articles; at most {MAX_ARTICLES} are supported",
                art_ids.len()
            ),
        ));
        return None;
    }
    for (i, id) in art_ids.values_mut().enumerate() {
        *id = ArtId::try_from(i).unwrap_or(ArtId::MAX);
    }

    let mut v = V {
        problems,
        declared: HashMap::new(),
        categories: 0,
        fields: Vec::new(),
        field_ids: HashMap::new(),
        art_ids,
    };

    // Pass 2: declarations (vocabulary, categories, fields).
    for s in &statements {
        match &s.body {
            Body::Vocabulary { list, words } => {
                if let Some((_, first)) = v.declared.get(list) {
                    let first = *first;
                    v.err(
                        Problem::error(
                            "covenant::duplicate",
                            s.art.span,
                            format!("the {} are declared twice", list.phrase()),
                        )
                        .with_related(first.span, "first declared here"),
                    );
                    continue;
                }
                let mask = match list {
                    VocabList::SubjectRoles => declare::<SubjectRole>(&mut v, words),
                    VocabList::Stadsdelen => declare::<Stadsdeel>(&mut v, words),
                    VocabList::PartyKinds => declare::<PartyKind>(&mut v, words),
                    VocabList::Purposes => declare::<Purpose>(&mut v, words),
                    VocabList::Phases => declare::<Phase>(&mut v, words),
                    VocabList::Roles => declare::<Role>(&mut v, words),
                };
                v.declared.insert(*list, (mask, s.art));
            }
            Body::CategoryFields { category, fields } => {
                match category.text.parse::<Category>() {
                    Ok(c) if has(v.categories, c.bit()) => v.err(Problem::error(
                        "covenant::duplicate",
                        category.span,
                        format!("the fields of category '{c}' are given twice"),
                    )),
                    Ok(c) => v.categories |= c.bit(),
                    Err(e) => v.unknown(category, &e),
                }
                for f in fields {
                    intern_field(&mut v, f);
                }
            }
            Body::Prohibited { fields } => {
                for f in fields {
                    intern_field(&mut v, f);
                }
            }
            _ => {}
        }
    }
    for list in VocabList::ALL {
        if !v.declared.contains_key(&list) {
            v.err(
                Problem::error(
                    "covenant::missing",
                    file_end,
                    format!("the covenant does not declare its {}", list.phrase()),
                )
                .with_help(format!("add: art. N  {} are ...", list.phrase())),
            );
        }
    }

    // One meaning per article.
    let mut topics: HashMap<ArticleNo, (Topic, Span)> = HashMap::new();
    for s in &statements {
        let Some(topic) = topic_of(&s.body, &v.field_ids) else {
            continue;
        };
        match topics.get(&s.art.no) {
            Some((t, span)) if *t != topic => {
                let (t, span) = (*t, *span);
                let msg = format!(
                    "art. {} is cited for {} here, and for {} before",
                    s.art.no,
                    topic.describe(&v.fields),
                    t.describe(&v.fields)
                );
                v.err(
                    Problem::error("covenant::article-two-meanings", s.art.span, msg)
                        .with_related(span, "first meaning")
                        .with_help("check the article number: one article encodes one thing"),
                );
            }
            Some(_) => {}
            None => {
                topics.insert(s.art.no, (topic, s.art.span));
            }
        }
    }

    let mut c = Compiled {
        version: version.map_or(0, |(n, _)| n),
        articles: v.art_ids.keys().copied().collect(),
        categories: vec![CategoryRules::default(); Category::ALL.len()],
        ..Compiled::default()
    };
    for (list, (mask, art)) in &v.declared {
        let entry = (*mask, v.art(*art));
        match list {
            VocabList::SubjectRoles => c.subject_roles = entry,
            VocabList::Stadsdelen => c.stadsdelen = entry,
            VocabList::PartyKinds => c.kinds = entry,
            VocabList::Purposes => c.purposes = entry,
            VocabList::Phases => c.phases = entry,
            VocabList::Roles => c.roles = entry,
        }
    }

    // Parties.
    let mut out_parties = Vec::new();
    let mut seen_oins: HashMap<u128, Span> = HashMap::new();
    for (oin, name, kind, _) in &parties {
        let Some(k) = v.word::<PartyKind>(kind) else {
            continue;
        };
        let Some(n) = parse_oin(&oin.text) else {
            v.err(
                Problem::error(
                    "covenant::bad-oin",
                    oin.span,
                    format!("'{}' is not an OIN", oin.text),
                )
                .with_help("an OIN is 20 digits (article 2.2)"),
            );
            continue;
        };
        if let Some(first) = seen_oins.get(&n) {
            let first = *first;
            v.err(
                Problem::error(
                    "covenant::duplicate",
                    oin.span,
                    format!("party {} is listed twice", oin.text),
                )
                .with_related(first, "first listed here"),
            );
            continue;
        }
        seen_oins.insert(n, oin.span);
        if name.text.trim().is_empty() {
            v.err(Problem::error(
                "covenant::empty-name",
                name.span,
                "a party needs a name",
            ));
        }
        c.parties.push((n, k));
        out_parties.push(Party {
            oin: oin.text.clone(),
            name: name.text.clone(),
            kind: k,
        });
    }
    c.parties.sort_by_key(|(o, _)| *o);

    let gathered = gather_rules(&mut v, &mut c, &statements, &annexes);
    let no_parties = out_parties.is_empty();
    check_whole(&mut v, &mut c, &statements, gathered, file_end, no_parties);

    c.fields = v.fields.clone();
    c.field_ids = v.field_ids.iter().map(|(k, id)| (k.clone(), *id)).collect();
    let title = title.map(|t| t.text).unwrap_or_default();
    Some(Covenant {
        title,
        parties: out_parties,
        statements,
        compiled: c,
        warnings: Vec::new(),
        source: String::new(),
    })
}

/// Pass 3: compiles every rule, checking its words, and gathers what the
/// whole-covenant checks need.
fn gather_rules(
    v: &mut V<'_>,
    c: &mut Compiled,
    statements: &[Statement],
    annexes: &[Word],
) -> Gathered {
    let Gathered {
        mut singletons,
        mut sources_seen,
        mut grant_lines,
        mut em,
        mut em_seen,
        mut em_class,
        mut set_aside_refs,
        mut keeps_refs,
        mut retention_obligation,
        mut consent_refs,
        mut fit_lines,
        mut strip_specs,
        mut listed_annex,
    } = Gathered::default();
    for s in statements {
        let art = v.art(s.art);
        let once =
            |name: &'static str, singletons: &mut HashMap<&'static str, ArtRef>, v: &mut V<'_>| {
                if let Some(first) = singletons.get(name) {
                    v.err(
                        Problem::error(
                            "covenant::duplicate",
                            s.art.span,
                            format!("'{name}' is said twice"),
                        )
                        .with_related(first.span, "first said here"),
                    );
                } else {
                    singletons.insert(name, s.art);
                }
            };
        match &s.body {
            Body::Vocabulary { .. } | Body::Note { .. } => {}
            Body::PartiesListed { annex } => {
                once("only the parties listed", &mut singletons, v);
                if !annexes.iter().any(|a| a.text == annex.text) {
                    v.err(Problem::error(
                        "covenant::missing-annex",
                        annex.span,
                        format!("there is no annex {}", annex.text),
                    ));
                }
                listed_annex = Some((annex.clone(), s.art));
                c.art_parties = art;
            }
            Body::DefaultRefusal => {
                once(
                    "everything this covenant does not permit is refused",
                    &mut singletons,
                    v,
                );
                c.art_default = art;
            }
            Body::PurposeBinding => {
                once(
                    "every permitted share is bound to its purpose",
                    &mut singletons,
                    v,
                );
                c.purpose_binding = Some(art);
            }
            Body::RetentionObligation { term } => {
                once(
                    "every permitted share carries the retention of",
                    &mut singletons,
                    v,
                );
                retention_obligation = Some(*term);
            }
            Body::UnlistedStripped => {
                once(
                    "fields that a category does not list are stripped",
                    &mut singletons,
                    v,
                );
                c.art_unlisted = art;
            }
            Body::SourceRefused => {
                once(
                    "a category that a party kind may not provide is refused",
                    &mut singletons,
                    v,
                );
                c.art_source = art;
            }
            Body::PurposeBar { purposes } => {
                let m = v.mask::<Purpose>(purposes);
                c.purpose_bars.push((m, art));
            }
            Body::PhaseBar { phases } => {
                let m = v.mask::<Phase>(phases);
                c.phase_bars.push((m, art));
            }
            Body::PhaseFit { purpose, phases } => {
                let m = v.mask::<Phase>(phases);
                fit_lines.push((m, s.span));
                if let Some(p) = v.word::<Purpose>(purpose)
                    && let Some(slot) = c.phase_fit.get_mut(p.index())
                {
                    slot.0 |= m;
                    slot.1.insert(art);
                }
            }
            Body::RoleKinds { roles, kinds } => {
                let r = v.mask::<Role>(roles);
                let k = v.mask::<PartyKind>(kinds);
                c.role_kinds.push((r, k, art));
            }
            Body::RoleBar { roles } => {
                let m = v.mask::<Role>(roles);
                c.role_bars.push((m, art));
            }
            Body::OwnStadsdeel { roles } => {
                let m = v.mask::<Role>(roles);
                c.own_stadsdeel.push((m, art));
            }
            Body::Participation { roles } => {
                let m = v.mask::<Role>(roles);
                c.participation.push((m, art));
            }
            Body::CategoryFields { category, fields } => {
                if let Ok(cat) = category.text.parse::<Category>()
                    && let Some(rules) = c.categories.get_mut(cat.index())
                {
                    rules.encoded = true;
                    rules.art = art;
                    for f in fields {
                        if let Some(id) = v.field_ids.get(&f.text).copied() {
                            if rules.fields.contains(id) {
                                v.problems.push(Problem::warning(
                                    "covenant::duplicate",
                                    f.span,
                                    format!("field '{}' is listed twice", f.text),
                                ));
                            }
                            rules.fields.insert(id);
                        }
                    }
                }
            }
            Body::Sources { category, kinds } => {
                let Some(cat) = v.category(category) else {
                    continue;
                };
                let m = match kinds {
                    Some(k) => v.mask::<PartyKind>(k),
                    None => u32::MAX,
                };
                if let Some(first) = sources_seen.get(&cat) {
                    let first = *first;
                    v.err(
                        Problem::error(
                            "covenant::contradiction",
                            category.span,
                            format!("the sources of '{cat}' are given twice"),
                        )
                        .with_related(first, "first given here")
                        .with_help("give all sources of a category on one line"),
                    );
                    continue;
                }
                sources_seen.insert(cat, category.span);
                if let Some(r) = c.categories.get_mut(cat.index()) {
                    r.sources = m;
                }
            }
            Body::Recipients {
                category,
                widening,
                recipients,
                purposes,
                only_fields,
            } => {
                let Some(cat) = v.category(category) else {
                    continue;
                };
                let pm = v.mask::<Purpose>(purposes);
                let only = match only_fields {
                    Some(fs) => {
                        let mut set = FieldSet::EMPTY;
                        for f in fs {
                            if let Some(id) = v.field(f) {
                                let listed = c
                                    .categories
                                    .get(cat.index())
                                    .is_some_and(|r| r.fields.contains(id));
                                if listed {
                                    set.insert(id);
                                } else {
                                    v.err(Problem::error(
                                        "covenant::field-not-listed",
                                        f.span,
                                        format!("field '{}' is not a field of '{cat}'", f.text),
                                    ));
                                }
                            }
                        }
                        Some(set)
                    }
                    None => None,
                };
                for (role, kinds, span) in v.selectors(recipients) {
                    let g = Grant {
                        role,
                        kinds,
                        purposes: pm,
                        widening: *widening,
                        only,
                        art,
                    };
                    grant_lines.push((cat, g.clone(), span));
                    if let Some(r) = c.categories.get_mut(cat.index()) {
                        r.grants.push(g);
                    }
                }
            }
            Body::SubjectRoleOnly { category, roles } => {
                let Some(cat) = v.category(category) else {
                    continue;
                };
                let m = v.mask::<SubjectRole>(roles);
                let prev = c.categories.get(cat.index()).and_then(|r| r.subject_roles);
                match prev {
                    Some((pm, _)) => {
                        let msg = if pm == m {
                            format!("the subject role of '{cat}' is limited twice")
                        } else {
                            format!(
                                "the subject roles of '{cat}' are limited twice, differently: no share can meet both"
                            )
                        };
                        v.err(Problem::error(
                            "covenant::contradiction",
                            category.span,
                            msg,
                        ));
                    }
                    None => {
                        if let Some(r) = c.categories.get_mut(cat.index()) {
                            r.subject_roles = Some((m, art));
                        }
                    }
                }
            }
            Body::Consent {
                category,
                recorded_under,
            } => {
                let Some(cat) = v.category(category) else {
                    continue;
                };
                let alongside = recorded_under.map(|r| {
                    consent_refs.push(r);
                    v.art(r)
                });
                if let Some(r) = c.categories.get_mut(cat.index()) {
                    r.consent = Some((art, alongside));
                }
            }
            Body::StripUnlessRole {
                field,
                category,
                roles,
            } => {
                let m = v.mask::<Role>(roles);
                strip_field(
                    v,
                    &mut strip_specs,
                    field,
                    category.as_ref(),
                    StripTest::Roles(m),
                    art,
                    c,
                );
            }
            Body::StripUnlessKinds {
                field,
                category,
                kinds,
            } => {
                let m = v.mask::<PartyKind>(kinds);
                strip_field(
                    v,
                    &mut strip_specs,
                    field,
                    category.as_ref(),
                    StripTest::Kinds(m),
                    art,
                    c,
                );
            }
            Body::Prohibited { fields } => {
                let mut set = FieldSet::EMPTY;
                for f in fields {
                    if let Some(id) = v.field_ids.get(&f.text).copied() {
                        set.insert(id);
                        for cat in Category::ALL {
                            if c.categories
                                .get(cat.index())
                                .is_some_and(|r| r.fields.contains(id))
                            {
                                v.err(
                                    Problem::error(
                                        "covenant::contradiction",
                                        f.span,
                                        format!(
                                            "field '{}' is never shared, but category '{cat}' lists it",
                                            f.text
                                        ),
                                    )
                                    .with_help("remove it from the category, or from this rule"),
                                );
                            }
                        }
                    }
                }
                c.prohibited.push((set, art));
            }
            Body::Retention {
                months,
                months_span,
                phase,
            } => {
                if *months == 0 {
                    v.err(Problem::error(
                        "covenant::retention",
                        *months_span,
                        "a retention of 0 months",
                    ));
                }
                if let Some(p) = v.word::<Phase>(phase) {
                    if c.retention_terms.iter().any(|(q, _, _)| *q == p) {
                        v.err(Problem::error(
                            "covenant::contradiction",
                            phase.span,
                            format!("the retention after phase '{p}' is given twice"),
                        ));
                    }
                    c.retention_terms.push((p, *months, art));
                }
            }
            Body::Escalation {
                role,
                as_role,
                purposes,
            } => {
                let (Some(r), Some(a)) = (v.word::<Role>(role), v.word::<Role>(as_role)) else {
                    continue;
                };
                let pm = v.mask::<Purpose>(purposes);
                if r == a {
                    v.err(Problem::error(
                        "covenant::contradiction",
                        as_role.span,
                        format!("'{r}' receives what '{a}' receives: the same role"),
                    ));
                }
                c.as_rules.push(AsRule {
                    role: r,
                    as_role: a,
                    purposes: pm,
                    art,
                });
            }
            Body::EmergencyDeclarers { who } => {
                once_em("declarers", s.art, &mut em_seen, v);
                em.declarers = v
                    .selectors(who)
                    .into_iter()
                    .map(|(role, kinds, _)| Declarer { role, kinds })
                    .collect();
            }
            Body::EmergencyGrant {
                categories,
                as_role,
                purposes,
            } => {
                once_em("grant", s.art, &mut em_seen, v);
                em.categories = v.categories(categories);
                for w in categories {
                    if let Ok(cat) = w.text.parse::<Category>() {
                        classify(v, &mut em_class, cat, EmergencyClass::Granted, w.span);
                    }
                }
                em.as_role = v.word::<Role>(as_role);
                em.purposes = v.mask::<Purpose>(purposes);
                em.art = art;
            }
            Body::EmergencySetAside { items } => {
                once_em("set aside", s.art, &mut em_seen, v);
                set_aside_refs.extend(items.iter().cloned());
                for item in items {
                    match item {
                        SetAsideItem::Article(a) => em.set_aside.insert(v.art(*a)),
                        SetAsideItem::SubjectRoleOf(a) => {
                            em.set_aside_subject_role.insert(v.art(*a))
                        }
                    }
                }
            }
            Body::EmergencyDuration { hours, hours_span } => {
                once_em("duration", s.art, &mut em_seen, v);
                if *hours == 0 {
                    v.err(Problem::error(
                        "covenant::emergency",
                        *hours_span,
                        "an emergency of 0 hours",
                    ));
                }
                em.hours = *hours;
                em.art_duration = art;
            }
            Body::EmergencyReview => {
                once_em("review", s.art, &mut em_seen, v);
                em.review = Some(art);
            }
            Body::EmergencyKeeps { keeps, not } => {
                once_em("still apply", s.art, &mut em_seen, v);
                keeps_refs.push((keeps.clone(), not.clone()));
                for k in keeps {
                    em.keeps.insert(v.art(*k));
                }
                em.art_keeps = Some(art);
            }
            Body::EmergencyNever { categories } => {
                for w in categories {
                    if let Some(cat) = v.category(w) {
                        classify(v, &mut em_class, cat, EmergencyClass::Never, w.span);
                    }
                }
            }
            Body::EmergencyOtherArticles { categories } => {
                for w in categories {
                    if let Some(cat) = v.category(w) {
                        classify(v, &mut em_class, cat, EmergencyClass::OtherArticles, w.span);
                    }
                }
            }
        }
    }

    Gathered {
        singletons,
        sources_seen,
        grant_lines,
        em,
        em_seen,
        em_class,
        set_aside_refs,
        keeps_refs,
        retention_obligation,
        consent_refs,
        fit_lines,
        strip_specs,
        listed_annex,
    }
}

/// The checks that need the whole covenant: field rules expanded, required
/// statements, references, categories complete, contradictions, unreachable rules and
/// the emergency's references.
fn check_whole(
    v: &mut V<'_>,
    c: &mut Compiled,
    statements: &[Statement],
    g: Gathered,
    file_end: Span,
    no_parties: bool,
) {
    let Gathered {
        singletons,
        sources_seen,
        grant_lines,
        em,
        em_seen,
        em_class,
        set_aside_refs,
        keeps_refs,
        retention_obligation,
        consent_refs,
        fit_lines,
        strip_specs,
        listed_annex,
    } = g;
    // Field rules, expanded to every category that lists the field.
    let mut role_strips: Vec<(Vec<Category>, Mask, Span)> = Vec::new();
    for (cat, field, test, art, span) in strip_specs {
        let targets: Vec<Category> = match cat {
            Some(c1) => vec![c1],
            None => Category::ALL
                .iter()
                .copied()
                .filter(|k| {
                    c.categories
                        .get(k.index())
                        .is_some_and(|r| r.fields.contains(field))
                })
                .collect(),
        };
        if targets.is_empty() {
            v.err(Problem::error(
                "covenant::field-not-listed",
                span,
                "no category lists this field, so this rule never applies",
            ));
        }
        if let StripTest::Roles(m) = test {
            role_strips.push((targets.clone(), m, span));
        }
        for t in targets {
            if let Some(r) = c.categories.get_mut(t.index()) {
                let mut fs = FieldSet::EMPTY;
                fs.insert(field);
                r.strips.push(Strip {
                    fields: fs,
                    test,
                    art,
                });
            }
        }
    }

    // Required statements: the engine cites their articles.
    for (name, example) in [
        (
            "only the parties listed",
            "art. 2.3  only the parties listed in annex A take part",
        ),
        (
            "everything this covenant does not permit is refused",
            "art. 5.1  everything this covenant does not permit is refused",
        ),
        (
            "fields that a category does not list are stripped",
            "art. 8.1  fields that a category does not list are stripped",
        ),
        (
            "a category that a party kind may not provide is refused",
            "art. 8.2  a category that a party kind may not provide is refused",
        ),
    ] {
        if !singletons.contains_key(name) {
            v.err(
                Problem::error(
                    "covenant::missing",
                    file_end,
                    format!("the covenant does not say '{name}'"),
                )
                .with_help(format!("add, with the right article: {example}")),
            );
        }
    }
    if listed_annex.is_some() && no_parties {
        v.err(Problem::error(
            "covenant::missing",
            file_end,
            "the covenant lists no party",
        ));
    }
    let statement_arts: std::collections::HashSet<ArticleNo> =
        statements.iter().map(|s| s.art.no).collect();
    let dangling = |r: &ArtRef, v: &mut V<'_>| {
        if !statement_arts.contains(&r.no) {
            v.err(Problem::error(
                "covenant::dangling-reference",
                r.span,
                format!("art. {} is referred to, but not encoded", r.no),
            ));
            true
        } else {
            false
        }
    };
    for r in &consent_refs {
        dangling(r, v);
    }
    if let Some(term) = retention_obligation
        && !dangling(&term, v)
    {
        let is_term = statements
            .iter()
            .any(|s| s.art.no == term.no && matches!(s.body, Body::Retention { .. }));
        if is_term {
            c.retention = Some(v.art(term));
        } else {
            v.err(Problem::error(
                "covenant::dangling-reference",
                term.span,
                format!(
                    "art. {} says no retention term ('data is kept until ...')",
                    term.no
                ),
            ));
        }
    }

    // Categories: every encoded one has sources and recipients.
    for cat in Category::ALL {
        let Some(r) = c.categories.get(cat.index()) else {
            continue;
        };
        if !r.encoded {
            continue;
        }
        let span = statements
            .iter()
            .find(|s| matches!(&s.body, Body::CategoryFields { category, .. } if category.text == cat.as_str()))
            .map_or(file_end, |s| s.span);
        if !sources_seen.contains_key(cat) {
            v.err(
                Problem::error(
                    "covenant::category-without-source",
                    span,
                    format!("category '{cat}' has no source"),
                )
                .with_help(format!("add: art. N  {cat} comes from ...")),
            );
        }
        if !r.grants.iter().any(|g| !g.widening) {
            v.err(
                Problem::error(
                    "covenant::category-without-recipients",
                    span,
                    format!("category '{cat}' has no recipients"),
                )
                .with_help(format!("add: art. N  {cat} goes to ... for ...")),
            );
        }
    }

    // Contradictions and unreachable grants.
    for (i, (cat, g, span)) in grant_lines.iter().enumerate() {
        for (bars, bar_art) in &c.role_bars {
            if has(*bars, g.role.bit()) {
                v.err(contradiction(
                    *span,
                    format!("'{}' receives '{cat}'", g.role),
                    c,
                    *bar_art,
                    "nothing is shared with it",
                ));
            }
        }
        for (bars, bar_art) in &c.purpose_bars {
            if g.purposes & bars != 0 {
                v.err(contradiction(
                    *span,
                    format!("'{cat}' goes to '{}' for a barred purpose", g.role),
                    c,
                    *bar_art,
                    "nothing is shared for it",
                ));
            }
        }
        if g.kinds != u32::MAX && g.kinds & c.kinds_of_role(g.role) == 0 {
            let art = c
                .role_kinds
                .iter()
                .find(|(r, _, _)| has(*r, g.role.bit()))
                .map_or(0, |x| x.2);
            v.err(contradiction(
                *span,
                format!(
                    "'{}' is named for a party kind it does not belong to",
                    g.role
                ),
                c,
                art,
                "the role belongs to other kinds",
            ));
        }
        let reachable = Purpose::ALL
            .iter()
            .any(|p| has(g.purposes, p.bit()) && c.fit(*p).0 & !bars_mask(&c.phase_bars) != 0);
        if !reachable {
            v.problems.push(
                Problem::warning(
                    "covenant::unreachable",
                    *span,
                    format!("this grant of '{cat}' can never apply: none of its purposes fits an open phase"),
                )
                .with_help("check the purposes, and the 'purpose ... fits phases' rules"),
            );
        }
        let covered = grant_lines.iter().take(i).any(|(c2, g2, _)| {
            c2 == cat
                && g2.role == g.role
                && g2.kinds & g.kinds == g.kinds
                && g2.purposes & g.purposes == g.purposes
                && (!g2.widening || g.widening)
                && g2
                    .only
                    .is_none_or(|o| g.only.is_some_and(|o2| o2.minus(o).is_empty()))
        });
        if covered {
            v.problems.push(
                Problem::warning(
                    "covenant::unreachable",
                    *span,
                    format!("this grant of '{cat}' to '{}' never decides anything: an earlier line already grants it", g.role),
                )
                .with_help("remove the line, or correct it"),
            );
        }
    }
    for (fit_mask, span) in &fit_lines {
        for (bars, bar_art) in &c.phase_bars {
            if fit_mask & bars != 0 {
                v.err(contradiction(
                    *span,
                    "a purpose fits a phase".into(),
                    c,
                    *bar_art,
                    "nothing is shared in that phase",
                ));
            }
        }
    }

    // Escalation and emergency references.
    for item in &set_aside_refs {
        match item {
            SetAsideItem::Article(a) => {
                if dangling(a, v) {
                    continue;
                }
                let conditional = statements.iter().any(|s| {
                    s.art.no == a.no
                        && matches!(
                            s.body,
                            Body::PhaseFit { .. }
                                | Body::OwnStadsdeel { .. }
                                | Body::Participation { .. }
                        )
                });
                if !conditional {
                    v.err(Problem::error(
                        "covenant::emergency",
                        a.span,
                        format!("art. {} sets no condition that an emergency could set aside", a.no),
                    ).with_help("an emergency can set aside 'purpose fits phases', 'own stadsdeel' and 'takes part' rules, and the subject role of a category"));
                }
            }
            SetAsideItem::SubjectRoleOf(a) => {
                if dangling(a, v) {
                    continue;
                }
                let ok = statements
                    .iter()
                    .any(|s| s.art.no == a.no && matches!(s.body, Body::SubjectRoleOnly { .. }));
                if !ok {
                    v.err(Problem::error(
                        "covenant::emergency",
                        a.span,
                        format!("art. {} limits no subject role", a.no),
                    ));
                }
            }
        }
    }
    for (keeps, not) in &keeps_refs {
        for k in keeps {
            if dangling(k, v) {
                continue;
            }
            if em.set_aside.contains(v.art(*k)) {
                v.err(Problem::error(
                    "covenant::contradiction",
                    k.span,
                    format!("art. {} still applies during an emergency, but the emergency also sets it aside", k.no),
                ));
            }
        }
        for n in not {
            if dangling(n, v) {
                continue;
            }
            let widening = grant_lines
                .iter()
                .any(|(_, g, _)| g.widening && g.art == v.art(*n));
            if !widening {
                v.err(Problem::error(
                    "covenant::emergency",
                    n.span,
                    format!(
                        "art. {} widens no recipients, so it cannot limit an emergency share",
                        n.no
                    ),
                ));
            }
            if keeps.iter().any(|k| k.no == n.no) {
                v.err(Problem::error(
                    "covenant::contradiction",
                    n.span,
                    format!("art. {} both still applies and does not limit", n.no),
                ));
            }
        }
    }
    for rule in &c.as_rules {
        let any = c.categories.iter().any(|r| {
            r.grants
                .iter()
                .any(|g| g.role == rule.as_role && g.purposes & rule.purposes != 0)
        });
        if !any {
            v.problems.push(Problem::warning(
                "covenant::unreachable",
                file_end,
                format!("'{}' receives what '{}' receives, but that role receives nothing for those purposes", rule.role, rule.as_role),
            ));
        }
    }
    if !em_seen.is_empty() {
        for (name, form) in [
            ("declarers", "an emergency may be declared by ..."),
            (
                "grant",
                "during an emergency its declarer receives ... as the ... of the case, for ...",
            ),
            (
                "duration",
                "an emergency lasts N hours from its declaration",
            ),
        ] {
            if !em_seen.contains_key(name) {
                v.err(
                    Problem::error(
                        "covenant::emergency",
                        file_end,
                        format!("the emergency rules do not say: {form}"),
                    )
                    .with_help("an emergency needs its declarers, its grant and its duration"),
                );
            }
        }
        for cat in Category::ALL {
            if has(v.categories, cat.bit()) && !em_class.contains_key(cat) {
                v.err(
                    Problem::error(
                        "covenant::emergency",
                        file_end,
                        format!("the emergency rules do not say how category '{cat}' is treated"),
                    )
                    .with_help("name it in the emergency grant, in 'never during an emergency:', or in '... is decided by the other articles only'"),
                );
            }
        }
        for (cat, (class, _)) in &em_class {
            if let Some(r) = c.categories.get_mut(cat.index()) {
                r.emergency = *class;
            }
        }
        c.emergency = Some(em);
    }

    // A field rule that no recipient of its category can fail never strips anything.
    for (targets, allowed, span) in role_strips {
        let reached = targets
            .iter()
            .fold(0u32, |m, cat| m | roles_receiving(c, *cat));
        if reached != 0 && reached & !allowed == 0 {
            v.problems.push(
                Problem::warning(
                    "covenant::unreachable",
                    span,
                    "this field rule never strips anything: every role that receives the category may have the field",
                )
                .with_help("check the roles it names"),
            );
        }
    }
}

/// Every role that can receive a category: by its own lines, by receiving what
/// another role receives (art. 14.1), or by declaring an emergency (art. 15.1).
fn roles_receiving(c: &Compiled, cat: Category) -> Mask {
    let Some(rules) = c.categories.get(cat.index()) else {
        return 0;
    };
    let mut m = rules.grants.iter().fold(0, |m, g| m | g.role.bit());
    for r in &c.as_rules {
        if has(m, r.as_role.bit()) {
            m |= r.role.bit();
        }
    }
    if let Some(e) = &c.emergency
        && has(e.categories, cat.bit())
    {
        m = e.declarers.iter().fold(m, |m, d| m | d.role.bit());
    }
    m
}

fn bars_mask(bars: &[(Mask, ArtId)]) -> Mask {
    bars.iter().fold(0, |m, (b, _)| m | b)
}

fn contradiction(span: Span, what: String, c: &Compiled, art: ArtId, why: &str) -> Problem {
    let no = c.article(art).map_or_else(|| "?".into(), |a| a.to_string());
    Problem::error(
        "covenant::contradiction",
        span,
        format!("{what}, which contradicts art. {no}: {why}"),
    )
    .with_help("one of the two rules is wrong; correct or remove it")
}

fn declare<T: Vocab>(v: &mut V<'_>, words: &[Word]) -> Mask {
    let mut mask = 0;
    for w in words {
        match w.text.parse::<T>() {
            Ok(x) => {
                if has(mask, x.bit_of()) {
                    v.problems.push(Problem::warning(
                        "covenant::duplicate",
                        w.span,
                        format!("'{}' is declared twice", w.text),
                    ));
                }
                mask |= x.bit_of();
            }
            Err(e) => v.unknown(w, &e),
        }
    }
    mask
}

fn intern_field(v: &mut V<'_>, f: &Word) {
    if v.field_ids.contains_key(&f.text) {
        return;
    }
    let valid = !f.text.is_empty()
        && f.text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        v.err(
            Problem::error(
                "covenant::bad-field",
                f.span,
                format!("'{}' is not a field name", f.text),
            )
            .with_help("field names are lowercase letters, digits, '_' and '-'"),
        );
        return;
    }
    if v.fields.len() >= MAX_FIELDS {
        v.err(Problem::error(
            "covenant::too-large",
            f.span,
            format!("more than {MAX_FIELDS} different field names"),
        ));
        return;
    }
    let id = FieldId::try_from(v.fields.len()).unwrap_or(FieldId::MAX);
    v.fields.push(f.text.clone());
    v.field_ids.insert(f.text.clone(), id);
}

fn strip_field(
    v: &mut V<'_>,
    specs: &mut Vec<(Option<Category>, FieldId, StripTest, ArtId, Span)>,
    field: &Word,
    category: Option<&Word>,
    test: StripTest,
    art: ArtId,
    c: &Compiled,
) {
    let cat = match category {
        Some(w) => match v.category(w) {
            Some(x) => Some(x),
            None => return,
        },
        None => None,
    };
    let Some(id) = v.field(field) else { return };
    if let Some(k) = cat
        && !c
            .categories
            .get(k.index())
            .is_some_and(|r| r.fields.contains(id))
    {
        v.err(
            Problem::error(
                "covenant::field-not-listed",
                field.span,
                format!("field '{}' is not a field of '{k}'", field.text),
            )
            .with_help(format!(
                "list it in 'category {k} has fields ...', or correct its spelling"
            )),
        );
        return;
    }
    specs.push((cat, id, test, art, field.span));
}

fn once_em(
    name: &'static str,
    art: ArtRef,
    seen: &mut HashMap<&'static str, ArtRef>,
    v: &mut V<'_>,
) {
    if let Some(first) = seen.get(name) {
        let first = *first;
        v.err(
            Problem::error(
                "covenant::duplicate",
                art.span,
                format!("the emergency {name} is said twice"),
            )
            .with_related(first.span, "first said here"),
        );
    } else {
        seen.insert(name, art);
    }
}

fn classify(
    v: &mut V<'_>,
    classes: &mut HashMap<Category, (EmergencyClass, Span)>,
    cat: Category,
    class: EmergencyClass,
    span: Span,
) {
    if let Some((prev, first)) = classes.get(&cat) {
        let (prev, first) = (*prev, *first);
        let msg = if prev == class {
            format!("category '{cat}' is named twice in the emergency rules")
        } else {
            format!("category '{cat}' is treated two ways during an emergency")
        };
        v.err(
            Problem::error("covenant::contradiction", span, msg)
                .with_related(first, "first named here"),
        );
    } else {
        classes.insert(cat, (class, span));
    }
}

fn topic_of(body: &Body, fields: &HashMap<String, FieldId>) -> Option<Topic> {
    let cat = |w: &Word| w.text.parse::<Category>().ok().map(Topic::Category);
    Some(match body {
        Body::Note { .. } => return None,
        Body::Vocabulary { list, .. } => match list {
            VocabList::SubjectRoles => Topic::Subjects,
            VocabList::Stadsdelen => Topic::Stadsdelen,
            VocabList::PartyKinds => Topic::Parties,
            VocabList::Purposes => Topic::Purposes,
            VocabList::Phases => Topic::Phases,
            VocabList::Roles => Topic::Recipients,
        },
        Body::PartiesListed { .. } => Topic::Parties,
        Body::DefaultRefusal
        | Body::RoleKinds { .. }
        | Body::RoleBar { .. }
        | Body::OwnStadsdeel { .. }
        | Body::Participation { .. } => Topic::Recipients,
        Body::PurposeBinding | Body::PurposeBar { .. } => Topic::Purposes,
        Body::PhaseFit { .. } | Body::PhaseBar { .. } => Topic::Phases,
        Body::CategoryFields { category, .. }
        | Body::Sources { category, .. }
        | Body::Recipients { category, .. }
        | Body::SubjectRoleOnly { category, .. }
        | Body::Consent { category, .. } => return cat(category),
        Body::StripUnlessRole { field, .. } | Body::StripUnlessKinds { field, .. } => {
            return fields.get(&field.text).map(|f| Topic::Field(*f));
        }
        Body::Prohibited { .. } => Topic::Prohibited,
        Body::UnlistedStripped | Body::SourceRefused => Topic::Minimisation,
        Body::Retention { .. } | Body::RetentionObligation { .. } => Topic::Retention,
        Body::Escalation { .. } => Topic::Escalation,
        Body::EmergencyDeclarers { .. }
        | Body::EmergencyGrant { .. }
        | Body::EmergencySetAside { .. }
        | Body::EmergencyDuration { .. }
        | Body::EmergencyReview
        | Body::EmergencyKeeps { .. }
        | Body::EmergencyNever { .. }
        | Body::EmergencyOtherArticles { .. } => Topic::Emergency,
    })
}

/// An OIN as a number: exactly 20 ASCII digits.
pub fn parse_oin(s: &str) -> Option<u128> {
    if s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}
