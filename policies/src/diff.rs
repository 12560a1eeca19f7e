//! What changes between two versions of the covenant, in words a privacy officer
//! reads before approving the new one (article 13.1):
//! - the version, and the parties added, removed or changed;
//! - the rules added and removed, by article;
//! - the effect on decisions: every kind of share (category, source kind, recipient
//!   role and kind, purpose, subject) whose decision changes, decided by both
//!   versions; and, when given, the effect on real past requests, replayed.
//!
//! [`changes`] returns the differences as data (what the web console renders as a
//! table); [`diff`] is their text, as `covenant diff` prints it, which is the
//! [`Display`](fmt::Display) of [`Changes`].
//!
//! A privacy officer reads the text as a lawyer, not as a programmer: it starts with a
//! summary in plain words ([`Changes::summary`]) that sorts every changed kind of
//! share into one [`EffectKind`] — new permissions, wider permits, narrower permits,
//! new refusals, other changes, and last the changes that only cite other articles —
//! so that the material changes come first and nine lines of "a deny now also cites
//! art. 6.3b" do not bury the one new permit. A field added to (or removed from) a
//! category's list reads "field X added" ([`FieldListChange`]), not as the old line
//! removed and the new one added.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::article::ArticleNo;
use crate::model::{Covenant, Party};
use crate::request::{
    Case, Decision, DecisionRequest, Emergency, Oin, Outcome, Recipient, Source, Subject, Timestamp,
};
use crate::syntax::Body;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole, a_an};

/// The differences, as text; empty sections are left out.
pub fn diff(old: &Covenant, new: &Covenant, replay: &[DecisionRequest]) -> String {
    changes(old, new, replay).to_string()
}

/// Everything that differs between `old` and `new`, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The old version's number.
    pub from_version: u32,
    /// The new version's number.
    pub to_version: u32,
    /// The parties added, changed and removed (annex A, article 2.3): first every
    /// party of the new version that is new or changed, in its order, then the
    /// removed ones in the old version's order.
    pub parties: Vec<PartyChange>,
    /// The rules removed, then the rules added, each group by article and text; a
    /// category whose field list changed is in [`Self::field_lists`] instead.
    pub rules: Vec<RuleChange>,
    /// The categories whose list of fields changed (article 6), by article.
    pub field_lists: Vec<FieldListChange>,
    /// Every kind of share decided differently, kinds with the same change merged,
    /// in the order of [`EffectKind::ALL`] (material changes first).
    pub effects: Vec<Effect>,
    /// The past requests replayed, when any were given.
    pub replayed: Option<Replayed>,
}

/// A party added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyChange {
    /// Listed in the new version only.
    Added(Party),
    /// Listed in both, with another kind.
    KindChanged {
        /// As the new version lists it.
        party: Party,
        /// Its kind in the old version.
        was: PartyKind,
    },
    /// Listed in both, with the same kind and another name.
    Renamed {
        /// As the new version lists it.
        party: Party,
        /// Its name in the old version.
        was: String,
    },
    /// Listed in the old version only: its shares are refused (article 2.3).
    Removed(Party),
}

/// A rule (a statement that is not a note) removed or added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    /// The article it encodes.
    pub article: ArticleNo,
    /// The rule as written, without its article, spacing normalised.
    pub text: String,
    /// Added (in the new version only) or removed (in the old one only).
    pub added: bool,
}

/// A category whose list of fields changed: `category X has fields ...` written with
/// fields added or removed, under the same article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldListChange {
    /// The article of the category's fields line.
    pub article: ArticleNo,
    /// The category (as written).
    pub category: String,
    /// The fields the new version adds, in its order.
    pub added: Vec<String>,
    /// The fields the new version no longer lists, in the old version's order.
    pub removed: Vec<String>,
}

impl FieldListChange {
    /// "field diagnose_code added; field locatie removed".
    pub fn words(&self) -> String {
        let part = |names: &[String], what: &str| {
            (!names.is_empty()).then(|| {
                format!(
                    "{} {} {what}",
                    if names.len() == 1 { "field" } else { "fields" },
                    names.join(", ")
                )
            })
        };
        [part(&self.added, "added"), part(&self.removed, "removed")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a changed kind of share amounts to, for a reader who wants the material
/// changes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EffectKind {
    /// Refused before, permitted now.
    NewPermission,
    /// Permitted before and now, passing more fields and none fewer.
    WiderPermit,
    /// Permitted before and now, passing fewer fields and none more.
    NarrowerPermit,
    /// Permitted before, refused (deny or reject) now.
    NewRefusal,
    /// Anything else that changes what happens: a deny that becomes a reject (or back),
    /// a permit that passes some fields more and others fewer, an emergency share that
    /// is no longer one.
    Other,
    /// The same outcome, passing the same fields: only the articles cited differ.
    CitationOnly,
}

impl EffectKind {
    /// Every kind, in the order the summary lists them: material changes first,
    /// citation-only last.
    pub const ALL: [EffectKind; 6] = [
        EffectKind::NewPermission,
        EffectKind::WiderPermit,
        EffectKind::NarrowerPermit,
        EffectKind::NewRefusal,
        EffectKind::Other,
        EffectKind::CitationOnly,
    ];

    /// Whether it changes what is shared or how (everything but citation-only).
    pub fn is_material(self) -> bool {
        self != EffectKind::CitationOnly
    }

    /// Whether it lets more data through than before.
    pub fn is_widening(self) -> bool {
        matches!(self, EffectKind::NewPermission | EffectKind::WiderPermit)
    }

    /// The group's name, plural ("new permissions").
    pub fn plural(self) -> &'static str {
        match self {
            EffectKind::NewPermission => "new permissions",
            EffectKind::WiderPermit => "wider permits",
            EffectKind::NarrowerPermit => "narrower permits",
            EffectKind::NewRefusal => "new refusals",
            EffectKind::Other => "other changes",
            EffectKind::CitationOnly => "citation-only changes",
        }
    }

    /// The group's name, singular ("new permission").
    pub fn singular(self) -> &'static str {
        match self {
            EffectKind::NewPermission => "new permission",
            EffectKind::WiderPermit => "wider permit",
            EffectKind::NarrowerPermit => "narrower permit",
            EffectKind::NewRefusal => "new refusal",
            EffectKind::Other => "other change",
            EffectKind::CitationOnly => "citation-only change",
        }
    }

    /// "2 wider permits", "no new refusals".
    pub fn count(self, n: usize) -> String {
        match n {
            0 => format!("no {}", self.plural()),
            1 => format!("1 {}", self.singular()),
            n => format!("{n} {}", self.plural()),
        }
    }
}

/// The subjects a kind of share is tried about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GridSubject {
    /// A `dader`.
    Dader,
    /// A `slachtoffer` who consented to every category.
    ConsentingSlachtoffer,
    /// A `slachtoffer` without any consent.
    SlachtofferWithoutConsent,
    /// A `melder`.
    Melder,
}

impl GridSubject {
    /// Every subject tried, in the order the text lists them.
    pub const ALL: [GridSubject; 4] = [
        GridSubject::Dader,
        GridSubject::ConsentingSlachtoffer,
        GridSubject::SlachtofferWithoutConsent,
        GridSubject::Melder,
    ];

    /// How the text names it ("a slachtoffer who consented").
    pub fn label(self) -> &'static str {
        match self {
            GridSubject::Dader => "a dader",
            GridSubject::ConsentingSlachtoffer => "a slachtoffer who consented",
            GridSubject::SlachtofferWithoutConsent => "a slachtoffer without consent",
            GridSubject::Melder => "a melder",
        }
    }

    fn role_and_consent(self) -> (SubjectRole, bool) {
        match self {
            GridSubject::Dader => (SubjectRole::Dader, false),
            GridSubject::ConsentingSlachtoffer => (SubjectRole::Slachtoffer, true),
            GridSubject::SlachtofferWithoutConsent => (SubjectRole::Slachtoffer, false),
            GridSubject::Melder => (SubjectRole::Melder, false),
        }
    }
}

/// When a change holds, as far as emergencies (article 15) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyScope {
    /// With and without an emergency alike.
    Always,
    /// Only during the recipient's own emergency on the case.
    DuringOwnEmergency,
    /// Only without an emergency.
    WithoutEmergency,
}

/// One kind of share that the new version decides differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The category shared.
    pub category: Category,
    /// The recipient's role.
    pub role: Role,
    /// The kind of the recipient's party.
    pub recipient_kind: PartyKind,
    /// The purpose.
    pub purpose: Purpose,
    /// The subjects it holds for, in [`GridSubject::ALL`] order.
    pub subjects: Vec<GridSubject>,
    /// With or without an emergency.
    pub emergency: EmergencyScope,
    /// The kinds of source party it holds for, in [`PartyKind::ALL`] order.
    pub sources: Vec<PartyKind>,
    /// The old version's decision.
    pub was: Decision,
    /// The new version's decision.
    pub now: Decision,
}

impl Effect {
    /// Whether it holds whatever the subject.
    pub fn about_any_subject(&self) -> bool {
        self.subjects.len() == GridSubject::ALL.len()
    }

    /// Whether it holds whatever the source party's kind.
    pub fn from_any_party(&self) -> bool {
        self.sources.len() == PartyKind::ALL.len()
    }

    /// What the change amounts to.
    pub fn kind(&self) -> EffectKind {
        let (was, now) = (&self.was, &self.now);
        match (was.outcome, now.outcome) {
            (Outcome::Permit, Outcome::Permit) => {
                let gained = now.passed.iter().any(|f| !was.passed.contains(f));
                let lost = was.passed.iter().any(|f| !now.passed.contains(f));
                match (gained, lost) {
                    (true, false) => EffectKind::WiderPermit,
                    (false, true) => EffectKind::NarrowerPermit,
                    (true, true) => EffectKind::Other,
                    (false, false) if was.emergency != now.emergency => EffectKind::Other,
                    (false, false) => EffectKind::CitationOnly,
                }
            }
            (Outcome::Permit, _) => EffectKind::NewRefusal,
            (_, Outcome::Permit) => EffectKind::NewPermission,
            (a, b) if a != b => EffectKind::Other,
            _ => EffectKind::CitationOnly,
        }
    }

    /// The change in a few words, for the summary: "huurgegevens to a partnercontact
    /// of politie for aanpak, now passing huurstatus".
    pub fn in_short(&self) -> String {
        let fields = |names: Vec<&String>| {
            if names.is_empty() {
                "no field".to_owned()
            } else {
                names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let (was, now) = (&self.was, &self.now);
        let how = match self.kind() {
            EffectKind::NewPermission => {
                format!(
                    "now permitted, passing {}",
                    fields(now.passed.iter().collect())
                )
            }
            EffectKind::WiderPermit => format!(
                "now also passing {}",
                fields(
                    now.passed
                        .iter()
                        .filter(|f| !was.passed.contains(f))
                        .collect()
                )
            ),
            EffectKind::NarrowerPermit => format!(
                "no longer passing {}",
                fields(
                    was.passed
                        .iter()
                        .filter(|f| !now.passed.contains(f))
                        .collect()
                )
            ),
            EffectKind::NewRefusal | EffectKind::Other | EffectKind::CitationOnly => {
                effect_change(was, now)
            }
        };
        format!("{}, {how}", effect_what(self))
    }
}

/// The changed kinds of share sorted into [`EffectKind`]s, every kind present (an
/// empty group says "no new refusals", which a reader wants to know too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Each kind with its effects, in [`EffectKind::ALL`] order.
    pub groups: Vec<(EffectKind, Vec<Effect>)>,
}

impl Summary {
    /// The effects of one kind.
    pub fn of(&self, kind: EffectKind) -> &[Effect] {
        self.groups
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, e)| e.as_slice())
    }

    /// The kinds of share that let more data through than before.
    pub fn widening(&self) -> impl Iterator<Item = &Effect> {
        self.groups
            .iter()
            .filter(|(k, _)| k.is_widening())
            .flat_map(|(_, e)| e)
    }

    /// Each kind's lines in few words, one per kind of share, duplicates (the same
    /// share about other subjects or from other sources) once.
    pub fn lines(&self, kind: EffectKind) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.of(kind)
            .iter()
            .map(Effect::in_short)
            .filter(|l| seen.insert(l.clone()))
            .collect()
    }
}

/// Past requests decided by both versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// How many were replayed.
    pub total: usize,
    /// Those decided differently, in the order given.
    pub changed: Vec<ReplayChange>,
}

/// One past request decided differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayChange {
    /// Its place among the requests given, from 0.
    pub index: usize,
    /// Its case.
    pub case_id: String,
    /// Its category.
    pub category: Category,
    /// Its purpose.
    pub purpose: Purpose,
    /// The old version's decision.
    pub was: Decision,
    /// The new version's decision.
    pub now: Decision,
}

/// Every difference between `old` and `new`; `replay` are past requests to decide
/// with both.
pub fn changes(old: &Covenant, new: &Covenant, replay: &[DecisionRequest]) -> Changes {
    let mut parties = Vec::new();
    for p in new.parties() {
        match old.party(&p.oin) {
            None => parties.push(PartyChange::Added(p.clone())),
            Some(o) if o.kind != p.kind => parties.push(PartyChange::KindChanged {
                party: p.clone(),
                was: o.kind,
            }),
            Some(o) if o.name != p.name => parties.push(PartyChange::Renamed {
                party: p.clone(),
                was: o.name.clone(),
            }),
            Some(_) => {}
        }
    }
    for p in old.parties() {
        if new.party(&p.oin).is_none() {
            parties.push(PartyChange::Removed(p.clone()));
        }
    }

    let rules = |c: &Covenant| -> BTreeSet<(ArticleNo, String)> {
        c.statements()
            .iter()
            .filter(|s| !matches!(s.body, Body::Note { .. }))
            .map(|s| (s.art.no, statement_text(c, s)))
            .collect()
    };
    let (old_rules, new_rules) = (rules(old), rules(new));
    let mut rule_changes: Vec<RuleChange> = old_rules
        .difference(&new_rules)
        .map(|(article, text)| RuleChange {
            article: *article,
            text: text.clone(),
            added: false,
        })
        .collect();
    rule_changes.extend(
        new_rules
            .difference(&old_rules)
            .map(|(article, text)| RuleChange {
                article: *article,
                text: text.clone(),
                added: true,
            }),
    );

    let field_lists = field_list_changes(old, new, &mut rule_changes);

    let replayed = (!replay.is_empty()).then(|| Replayed {
        total: replay.len(),
        changed: replay
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                let (was, now) = (old.decide(r), new.decide(r));
                (!same(&was, &now)).then(|| ReplayChange {
                    index,
                    case_id: r.case.id.clone(),
                    category: r.category,
                    purpose: r.purpose,
                    was,
                    now,
                })
            })
            .collect(),
    });

    Changes {
        from_version: old.version(),
        to_version: new.version(),
        parties,
        rules: rule_changes,
        field_lists,
        effects: {
            let mut effects = grid_changes(old, new);
            // Stable: within a kind, the order of the lines as before.
            effects.sort_by_key(Effect::kind);
            effects
        },
        replayed,
    }
}

impl Changes {
    /// The changed kinds of share sorted by what they amount to.
    pub fn summary(&self) -> Summary {
        Summary {
            groups: EffectKind::ALL
                .iter()
                .map(|&k| {
                    (
                        k,
                        self.effects
                            .iter()
                            .filter(|e| e.kind() == k)
                            .cloned()
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

/// How many lines of one group the summary shows before "and N more".
const SUMMARY_LINES: usize = 5;

impl fmt::Display for Changes {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "Version: {} -> {}", self.from_version, self.to_version)?;
        if self.to_version <= self.from_version {
            writeln!(
                out,
                "  warning: the new version is not higher than the old one (art. 13.2 numbers versions in increasing order)"
            )?;
        }
        let in_short = self.summary();
        writeln!(out, "\nIn short (material changes first):")?;
        for (kind, effects) in &in_short.groups {
            if effects.is_empty() && *kind == EffectKind::Other {
                continue;
            }
            let lines = in_short.lines(*kind);
            if *kind == EffectKind::CitationOnly {
                writeln!(
                    out,
                    "  {}{}",
                    kind.count(lines.len()),
                    if lines.is_empty() {
                        ""
                    } else {
                        ": the same outcome and fields, citing other articles (listed last below)"
                    }
                )?;
                continue;
            }
            writeln!(
                out,
                "  {}{}",
                kind.count(lines.len()),
                if lines.is_empty() { "" } else { ":" }
            )?;
            for l in lines.iter().take(SUMMARY_LINES) {
                writeln!(out, "    {l}")?;
            }
            if lines.len() > SUMMARY_LINES {
                writeln!(
                    out,
                    "    and {} more, listed below",
                    lines.len() - SUMMARY_LINES
                )?;
            }
        }
        for f in &self.field_lists {
            writeln!(out, "  category {}: {}", f.category, f.words())?;
        }
        if !self.parties.is_empty() {
            let count = |f: fn(&PartyChange) -> bool| self.parties.iter().filter(|p| f(p)).count();
            writeln!(
                out,
                "  parties: {} added, {} removed, {} changed (listed below)",
                count(|p| matches!(p, PartyChange::Added(_))),
                count(|p| matches!(p, PartyChange::Removed(_))),
                count(|p| matches!(
                    p,
                    PartyChange::KindChanged { .. } | PartyChange::Renamed { .. }
                )),
            )?;
        }
        if !self.parties.is_empty() {
            writeln!(out, "\nParties:")?;
            for p in &self.parties {
                match p {
                    PartyChange::Added(p) => {
                        writeln!(out, "  added: {} \"{}\", {}", p.oin, p.name, p.kind)?;
                    }
                    PartyChange::KindChanged { party: p, was } => writeln!(
                        out,
                        "  changed: {} \"{}\" is now {}, was {was}",
                        p.oin, p.name, p.kind
                    )?,
                    PartyChange::Renamed { party: p, was } => {
                        writeln!(out, "  renamed: {} \"{}\", was \"{was}\"", p.oin, p.name)?;
                    }
                    PartyChange::Removed(p) => writeln!(
                        out,
                        "  removed: {} \"{}\", {}: its shares are refused (art. 2.3)",
                        p.oin, p.name, p.kind
                    )?,
                }
            }
        }
        if !self.rules.is_empty() || !self.field_lists.is_empty() {
            writeln!(out, "\nRules:")?;
            for f in &self.field_lists {
                writeln!(
                    out,
                    "  art. {a:<5} changed: category {}: {}",
                    f.category,
                    f.words(),
                    a = f.article.to_string()
                )?;
            }
            for r in &self.rules {
                writeln!(
                    out,
                    "  art. {a:<5} {}{}",
                    if r.added { "added:   " } else { "removed: " },
                    r.text,
                    a = r.article.to_string()
                )?;
            }
        }
        let citing = in_short.of(EffectKind::CitationOnly).len();
        writeln!(
            out,
            "\nEffect on decisions ({}{}):",
            if self.effects.len() == 1 {
                "1 kind of share changes".to_owned()
            } else {
                format!("{} kinds of share change", self.effects.len())
            },
            if citing == 0 {
                String::new()
            } else {
                format!(", {citing} of them only in the articles cited")
            }
        )?;
        if self.effects.is_empty() {
            writeln!(out, "  none: every kind of share is decided as before")?;
        }
        for (kind, effects) in &in_short.groups {
            if effects.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({}):", kind.plural(), effects.len())?;
            for e in effects {
                writeln!(out, "    {}", effect_line(e))?;
            }
        }
        if let Some(replayed) = &self.replayed {
            writeln!(
                out,
                "\nReplayed requests: {} of {} decided differently",
                replayed.changed.len(),
                replayed.total
            )?;
            if in_short.widening().next().is_some() {
                writeln!(
                    out,
                    "  (only requests that were made can be replayed: a share the old version refused before anyone was asked is not among them, so see the new and wider permits above)"
                )?;
            }
            for c in &replayed.changed {
                writeln!(
                    out,
                    "  [{}] case {}, {} for {}: was {}, now {}",
                    c.index,
                    c.case_id,
                    c.category,
                    c.purpose,
                    summary(&c.was),
                    summary(&c.now)
                )?;
            }
        }
        Ok(())
    }
}

/// The categories whose `has fields` line changed under the same article: each is
/// taken out of `rules` (where it stood as a removed and an added line) and described
/// as the fields added and removed.
fn field_list_changes(
    old: &Covenant,
    new: &Covenant,
    rules: &mut Vec<RuleChange>,
) -> Vec<FieldListChange> {
    let lists = |c: &Covenant| -> BTreeMap<(ArticleNo, String), (String, Vec<String>)> {
        c.statements()
            .iter()
            .filter_map(|s| match &s.body {
                Body::CategoryFields { category, fields } => Some((
                    (s.art.no, category.text.clone()),
                    (
                        statement_text(c, s),
                        fields.iter().map(|f| f.text.clone()).collect(),
                    ),
                )),
                _ => None,
            })
            .collect()
    };
    let (was, now) = (lists(old), lists(new));
    let mut out = Vec::new();
    for (key, (old_text, old_fields)) in &was {
        let Some((new_text, new_fields)) = now.get(key) else {
            continue;
        };
        if old_text == new_text {
            continue;
        }
        let added: Vec<String> = new_fields
            .iter()
            .filter(|f| !old_fields.contains(f))
            .cloned()
            .collect();
        let removed: Vec<String> = old_fields
            .iter()
            .filter(|f| !new_fields.contains(f))
            .cloned()
            .collect();
        if added.is_empty() && removed.is_empty() {
            // Only the order or the spelling of the list changed: the lines say so.
            continue;
        }
        rules.retain(|r| {
            !(r.article == key.0
                && ((!r.added && r.text == *old_text) || (r.added && r.text == *new_text)))
        });
        out.push(FieldListChange {
            article: key.0,
            category: key.1.clone(),
            added,
            removed,
        });
    }
    out
}

/// What an effect is about: "politie-incidenten to an informatiemakelaar of gemeente
/// for duiding".
fn effect_what(e: &Effect) -> String {
    format!(
        "{} to {} {} of {} for {}",
        e.category,
        a_an(e.role.as_str()),
        e.role,
        e.recipient_kind,
        e.purpose
    )
}

/// How it changes: "was permit (...), now deny (...)".
fn effect_change(was: &Decision, now: &Decision) -> String {
    format!("was {}, now {}", summary(was), summary(now))
}

fn effect_line(e: &Effect) -> String {
    let from = if e.from_any_party() {
        "any party".to_owned()
    } else {
        e.sources
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let about = if e.about_any_subject() {
        "any subject".to_owned()
    } else {
        e.subjects
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let when = match e.emergency {
        EmergencyScope::Always => "",
        EmergencyScope::DuringOwnEmergency => ", during the recipient's own emergency",
        EmergencyScope::WithoutEmergency => ", without an emergency",
    };
    format!(
        "{}, about {about}{when}, from {from}: {}",
        effect_what(e),
        effect_change(&e.was, &e.now)
    )
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
/// merging kinds of share that differ only in the subject, the emergency or the
/// source's kind.
fn grid_changes(old: &Covenant, new: &Covenant) -> Vec<Effect> {
    let Some(at) = Timestamp::parse("2026-01-01T12:00:00Z") else {
        return Vec::new();
    };
    // Kinds of share with the same change are merged: the subjects, emergency or not,
    // and source kinds they cover are listed once. The key is the text of the change,
    // so that effects come in the order of their lines in `covenant diff`.
    struct Merged {
        subjects: BTreeSet<GridSubject>,
        emergency: BTreeSet<bool>,
        sources: BTreeSet<PartyKind>,
        first: Effect,
    }
    let mut merged: BTreeMap<(String, String), Merged> = BTreeMap::new();
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
                    for subject in GridSubject::ALL {
                        let (srole, consent) = subject.role_and_consent();
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
                                let first = Effect {
                                    category,
                                    role,
                                    recipient_kind: rkind,
                                    purpose,
                                    subjects: Vec::new(),
                                    emergency: EmergencyScope::Always,
                                    sources: Vec::new(),
                                    was: a,
                                    now: b,
                                };
                                let key =
                                    (effect_what(&first), effect_change(&first.was, &first.now));
                                let entry = merged.entry(key).or_insert_with(|| Merged {
                                    subjects: BTreeSet::new(),
                                    emergency: BTreeSet::new(),
                                    sources: BTreeSet::new(),
                                    first,
                                });
                                entry.subjects.insert(subject);
                                entry.emergency.insert(emergency);
                                entry.sources.insert(skind);
                            }
                        }
                    }
                }
            }
        }
    }
    merged
        .into_values()
        .map(|m| Effect {
            subjects: GridSubject::ALL
                .into_iter()
                .filter(|s| m.subjects.contains(s))
                .collect(),
            emergency: match (m.emergency.contains(&false), m.emergency.contains(&true)) {
                (true, true) => EmergencyScope::Always,
                (false, true) => EmergencyScope::DuringOwnEmergency,
                _ => EmergencyScope::WithoutEmergency,
            },
            sources: PartyKind::ALL
                .iter()
                .copied()
                .filter(|k| m.sources.contains(k))
                .collect(),
            ..m.first
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

    #[test]
    fn the_changes_as_data_say_for_whom() {
        let old = cov(crate::TREITERAANPAK_COVENANT);
        let text = crate::TREITERAANPAK_COVENANT
            .replace("art. 6.5a huurgegevens also goes to a partnercontact of politie for aanpak, with field huurstatus only", "art. 6.5a note: removed")
            .replace(", and art. 6.5a does not limit", "")
            .replace("version 1", "version 2");
        let new = cov(&text);
        let c = changes(&old, &new, &[]);
        assert_eq!((c.from_version, c.to_version), (1, 2));
        assert!(c.parties.is_empty());
        assert!(
            c.rules
                .iter()
                .any(|r| !r.added && r.article.to_string() == "6.5a"),
            "{:?}",
            c.rules
        );
        let lost = c
            .effects
            .iter()
            .find(|e| {
                e.category == Category::Huurgegevens
                    && e.role == Role::Partnercontact
                    && e.recipient_kind == PartyKind::Politie
                    && e.purpose == Purpose::Aanpak
                    && e.emergency == EmergencyScope::WithoutEmergency
                    && e.was.outcome == Outcome::Permit
            })
            .expect("the partnercontact of politie loses huurstatus");
        assert!(lost.about_any_subject());
        assert_eq!(lost.sources, [PartyKind::Woningcorporatie]);
        assert!(!lost.from_any_party());
        assert_eq!(lost.was.outcome, Outcome::Permit);
        assert_eq!(lost.was.passed, ["huurstatus"]);
        assert_eq!(lost.now.outcome, Outcome::Deny);
        // The text is the data's, line for line.
        assert_eq!(c.to_string(), diff(&old, &new, &[]));
        assert_eq!(
            c.to_string()
                .lines()
                .filter(|l| l.starts_with("  ") && l.contains(": was "))
                .count(),
            c.effects.len()
        );
    }

    #[test]
    fn parties_are_added_changed_renamed_and_removed() {
        let old = cov(crate::TREITERAANPAK_COVENANT);
        let text = crate::TREITERAANPAK_COVENANT
            .replace("version 1", "version 2")
            .replace(
                "\"Stichting Lieflijk Wonen\"",
                "\"Stichting Lieflijk Wonen en Zo\"",
            )
            .replace(
                "party 00000005000000000007 \"Zorgcollectief Amstel\" is zorgpartner\n",
                "",
            );
        let new = cov(&text);
        let c = changes(&old, &new, &[]);
        assert!(
            matches!(
                c.parties.as_slice(),
                [PartyChange::Renamed { party, was }, PartyChange::Removed(gone)]
                    if party.oin == "00000004000000000005"
                        && was == "Stichting Lieflijk Wonen"
                        && gone.name == "Zorgcollectief Amstel"
            ),
            "{:?}",
            c.parties
        );
        assert!(c.replayed.is_none());
    }

    /// Two edits as a privacy officer makes them: a field added to a category, and a
    /// new permit. The summary comes first, material changes before citation-only
    /// ones, and the field reads as added, not as a line removed and a line added.
    #[test]
    fn the_summary_puts_a_new_permit_and_an_added_field_first_in_plain_words() {
        let old = cov(crate::TREITERAANPAK_COVENANT);
        let text = crate::TREITERAANPAK_COVENANT
            .replace("version 1", "version 2")
            .replace(
                "politie-incidenten has fields datum, incidentsoort, rol_betrokkene, locatie and samenvatting",
                "politie-incidenten has fields datum, incidentsoort, rol_betrokkene, locatie, samenvatting and wijk",
            )
            .replace(
                "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\n",
                "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\nart. 6.6  zorgbetrokkenheid goes to an informatiemakelaar for duiding\n",
            );
        let new = cov(&text);
        let c = changes(&old, &new, &[]);

        // As data: the field list change, and no removed-and-added pair for it.
        assert_eq!(
            c.field_lists,
            [FieldListChange {
                article: "6.3".parse().unwrap(),
                category: "politie-incidenten".into(),
                added: vec!["wijk".into()],
                removed: vec![],
            }]
        );
        assert!(
            c.rules
                .iter()
                .all(|r| r.added && r.text.starts_with("zorgbetrokkenheid goes to")),
            "{:?}",
            c.rules
        );
        let summary = c.summary();
        let kinds: Vec<EffectKind> = summary.groups.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, EffectKind::ALL);
        assert!(
            summary.lines(EffectKind::NewPermission).iter().any(|l| l
                == "zorgbetrokkenheid to an informatiemakelaar of gemeente for duiding, now permitted, passing contactpersoon, zorg_betrokken"),
            "{:?}",
            summary.lines(EffectKind::NewPermission)
        );
        assert!(
            summary.lines(EffectKind::WiderPermit).iter().any(|l| l
                == "politie-incidenten to an informatiemakelaar of gemeente for duiding, now also passing wijk"),
            "{:?}",
            summary.lines(EffectKind::WiderPermit)
        );
        assert!(summary.of(EffectKind::NarrowerPermit).is_empty());
        assert!(summary.of(EffectKind::NewRefusal).is_empty());
        // The effects come material first, citation-only last.
        let order: Vec<EffectKind> = c.effects.iter().map(Effect::kind).collect();
        assert!(order.is_sorted(), "{order:?}");

        // As text: the summary opens the output, in the order of the groups.
        let d = c.to_string();
        let at = |needle: &str| {
            d.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing from:\n{d}"))
        };
        let short = at("In short (material changes first):");
        let permissions = at("  1 new permission:");
        let wider = at("  6 wider permits:");
        let narrower = at("  no narrower permits");
        let refusals = at("  no new refusals");
        let citing = at("citation-only change");
        let field = at("  category politie-incidenten: field wijk added");
        assert!(
            short < at("Rules:") && short < at("Effect on decisions"),
            "{d}"
        );
        assert!(
            permissions < wider && wider < narrower && narrower < refusals && refusals < citing,
            "{d}"
        );
        assert!(citing < field, "{d}");
        assert!(
            d.contains("art. 6.3   changed: category politie-incidenten: field wijk added"),
            "{d}"
        );
        assert!(!d.contains("removed: category politie-incidenten"), "{d}");
    }

    /// A replay of past requests cannot show a widening: the text says so next to it.
    #[test]
    fn a_replay_beside_a_widening_says_what_it_cannot_show() {
        let old = cov(crate::TREITERAANPAK_COVENANT);
        let new = cov(&crate::TREITERAANPAK_COVENANT
            .replace("version 1", "version 2")
            .replace(
                "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\n",
                "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\nart. 6.6  zorgbetrokkenheid goes to an informatiemakelaar for duiding\n",
            ));
        let given = crate::covtest::parse_request(
            "r",
            "case in oost, phase duiding; subject S1 is dader; share politie-incidenten about S1 for duiding; from politie; to an informatiemakelaar of gemeente in oost; fields datum",
        )
        .unwrap();
        let past = crate::covtest::request_of(&old, &given).unwrap();
        let d = diff(&old, &new, &[past]);
        assert!(
            d.contains("Replayed requests: 0 of 1 decided differently\n  (only requests that were made can be replayed"),
            "{d}"
        );
    }
}
