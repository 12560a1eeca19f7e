//! Two versions side by side (`GET /convenant/verschil?van=A&naar=B[&hele=1]`,
//! `covenant_diff.html`): first what the new version changes for whom — the
//! policies crate's `covenant diff` ([`treiter_policies::diff::changes`]) as tables:
//! which recipients (role, kind of party) notice it, the parties and rules that change,
//! and every kind of share whose decision changes (category, recipient, purpose,
//! subject, emergency, source; the decision before and after) — then both texts side by
//! side, line by line ([`super::linediff`]), and the tool's own text output.
//!
//! Both texts come from the hub (GetCovenantVersion); the console checks each against
//! the hash the hub gives for it before showing anything computed from it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use treiter_policies::diff::{Changes, EffectKind, EmergencyScope, PartyChange};
use treiter_policies::{Covenant, Decision, Outcome, PartyKind, Role};
use treiter_proto::v1 as wire;

use super::linediff::{SideBySide, side_by_side};
use super::versions::CompareForm;
use super::{hex, sha256};
use crate::console::App;
use crate::console::layout::{Layout, Nav, render};
use crate::console::pages::{open, problem_page};
use crate::console::security::Session;
use crate::console::texts;
use crate::error::Error;
use crate::queries;

/// Unchanged lines kept next to each change when the rest is folded.
pub const CONTEXT_LINES: usize = 3;

/// The page.
#[derive(Template)]
#[template(path = "covenant_diff.html")]
pub struct DiffPage {
    /// The frame.
    pub layout: Layout,
    /// The form, with the versions chosen.
    pub compare: CompareForm,
    /// The difference, when two versions were compared.
    pub diff: Option<DiffView>,
    /// Why there is no difference to show.
    pub message: Option<&'static str>,
}

/// The difference between two versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffView {
    /// The old version.
    pub from: u32,
    /// The new version.
    pub to: u32,
    /// Whether the new version's number is not the higher one (art. 13.2).
    pub not_higher: bool,
    /// What changes for whom.
    pub changes: ChangesView,
    /// Both texts, side by side.
    pub side: SideBySide,
    /// Whether every line is shown (or the unchanged runs folded).
    pub whole: bool,
    /// `covenant diff`'s text.
    pub plain: String,
}

impl DiffView {
    /// "Versie 1 → versie 2".
    pub fn heading(&self) -> String {
        texts::diff_heading(self.from, self.to)
    }

    /// The side-by-side table's caption.
    pub fn caption(&self) -> String {
        texts::side_by_side_caption(self.from, self.to, self.side.removed, self.side.added)
    }

    /// Column header.
    pub fn old_line_column(&self) -> String {
        texts::line_column(self.from)
    }

    /// Column header.
    pub fn new_line_column(&self) -> String {
        texts::line_column(self.to)
    }

    /// Column header.
    pub fn old_text_column(&self) -> String {
        texts::text_column(self.from)
    }

    /// Column header.
    pub fn new_text_column(&self) -> String {
        texts::text_column(self.to)
    }

    /// The address of the same comparison with every line shown, or folded.
    pub fn toggle_link(&self) -> String {
        if self.whole {
            super::path::diff(self.from, self.to)
        } else {
            format!("{}&hele=1", super::path::diff(self.from, self.to))
        }
    }
}

/// What changes for whom, for a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesView {
    /// "2 soorten verstrekking worden anders beslist."
    pub count: String,
    /// The summary in plain words, material changes first (`covenant diff`'s "In
    /// short"): every group, empty ones too ("geen nieuwe weigeringen").
    pub summary: Vec<SummaryGroup>,
    /// The categories whose field list changed: "veld wijk toegevoegd".
    pub field_lists: Vec<FieldListRow>,
    /// Who notices: each recipient (role, kind of party) with what changes for it.
    pub notices: Vec<Notice>,
    /// The parties added, changed or removed, in words.
    pub parties: Vec<String>,
    /// The rules removed and added.
    pub rules: Vec<RuleRow>,
    /// Every kind of share decided differently.
    pub effects: Vec<EffectRow>,
}

/// One group of the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryGroup {
    /// Which group.
    pub kind: EffectKind,
    /// "2 ruimere toestemmingen".
    pub title: String,
    /// One line per kind of share (none for the citation-only group, which has a note).
    pub lines: Vec<String>,
    /// For the citation-only group, when not empty: what it means.
    pub note: Option<&'static str>,
}

impl SummaryGroup {
    /// The group's `id`/class word in the page.
    pub fn class(&self) -> &'static str {
        match self.kind {
            EffectKind::NewPermission => "new-permissions",
            EffectKind::WiderPermit => "wider-permits",
            EffectKind::NarrowerPermit => "narrower-permits",
            EffectKind::NewRefusal => "new-refusals",
            EffectKind::Other => "other-changes",
            EffectKind::CitationOnly => "citation-only",
        }
    }
}

/// A category whose list of fields changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldListRow {
    /// Its article.
    pub article: String,
    /// The category (covenant word).
    pub category: String,
    /// "veld wijk toegevoegd".
    pub words: String,
}

/// The summary's groups: the same grouping as `covenant diff`'s text.
fn summary_groups(c: &Changes) -> Vec<SummaryGroup> {
    let summary = c.summary();
    summary
        .groups
        .iter()
        .filter(|(kind, effects)| *kind != EffectKind::Other || !effects.is_empty())
        .map(|(kind, effects)| {
            let mut seen = BTreeSet::new();
            let lines: Vec<String> = effects
                .iter()
                .map(|e| {
                    let fields: Vec<&String> = match kind {
                        EffectKind::NewPermission => e.now.passed.iter().collect(),
                        EffectKind::WiderPermit => e
                            .now
                            .passed
                            .iter()
                            .filter(|f| !e.was.passed.contains(f))
                            .collect(),
                        EffectKind::NarrowerPermit => e
                            .was
                            .passed
                            .iter()
                            .filter(|f| !e.now.passed.contains(f))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let fields = if fields.is_empty() {
                        texts::NOTHING.to_owned()
                    } else {
                        fields
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    texts::summary_line(
                        e.category.as_str(),
                        &format!("een {}", e.role),
                        e.recipient_kind.as_str(),
                        e.purpose.as_str(),
                        &texts::summary_how(*kind, &fields),
                    )
                })
                .filter(|l| seen.insert(l.clone()))
                .collect();
            let citation_only = *kind == EffectKind::CitationOnly;
            SummaryGroup {
                kind: *kind,
                title: texts::effect_kind_count(*kind, lines.len()),
                note: (citation_only && !lines.is_empty()).then_some(texts::CITATION_ONLY_NOTE),
                lines: if citation_only { Vec::new() } else { lines },
            }
        })
        .collect()
}

/// A recipient that notices the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Its role (covenant word).
    pub role: String,
    /// Its party's kind (covenant word).
    pub kind: String,
    /// How many kinds of share change for it, and in which categories.
    pub words: String,
}

/// A rule removed or added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRow {
    /// Its article.
    pub article: String,
    /// Added (or removed).
    pub added: bool,
    /// The rule as written.
    pub text: String,
}

/// A kind of share decided differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectRow {
    /// The category (covenant word).
    pub category: String,
    /// The recipient's role (covenant word).
    pub role: String,
    /// The recipient's party's kind (covenant word).
    pub kind: String,
    /// The purpose (covenant word).
    pub purpose: String,
    /// About which subjects, in words.
    pub about: String,
    /// With or without an emergency, in words.
    pub emergency: &'static str,
    /// From which kinds of source party (covenant words); `None` for any party.
    pub sources: Option<Vec<String>>,
    /// The old version's decision.
    pub was: DecisionWords,
    /// The new version's decision.
    pub now: DecisionWords,
}

/// A decision, for a table cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionWords {
    /// `permit`, `deny` or `reject` (the covenant's words).
    pub outcome: &'static str,
    /// An emergency share.
    pub emergency: bool,
    /// For a permit: the fields passed ("niets" for none).
    pub passed: Option<String>,
    /// For a permit: the fields stripped, if any.
    pub stripped: Option<String>,
    /// The articles it rests on: "4.2, 6.3".
    pub articles: String,
}

fn decision_words(d: &Decision) -> DecisionWords {
    let permit = d.outcome == Outcome::Permit;
    DecisionWords {
        outcome: match d.outcome {
            Outcome::Permit => "permit",
            Outcome::Deny => "deny",
            Outcome::Reject => "reject",
        },
        emergency: d.emergency,
        passed: permit.then(|| {
            if d.passed.is_empty() {
                texts::NOTHING.to_owned()
            } else {
                d.passed.join(", ")
            }
        }),
        stripped: (permit && !d.stripped.is_empty()).then(|| d.stripped.join(", ")),
        articles: d
            .articles
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The changes as the pages show them.
pub fn changes_view(c: &Changes) -> ChangesView {
    let parties = c
        .parties
        .iter()
        .map(|p| match p {
            PartyChange::Added(p) => texts::party_added(&p.name, p.kind.as_str(), &p.oin),
            PartyChange::KindChanged { party, was } => texts::party_kind_changed(
                &party.name,
                party.kind.as_str(),
                was.as_str(),
                &party.oin,
            ),
            PartyChange::Renamed { party, was } => {
                texts::party_renamed(&party.name, was, &party.oin)
            }
            PartyChange::Removed(p) => texts::party_removed(&p.name, p.kind.as_str(), &p.oin),
        })
        .collect();
    let rules = c
        .rules
        .iter()
        .map(|r| RuleRow {
            article: r.article.to_string(),
            added: r.added,
            text: r.text.clone(),
        })
        .collect();
    let mut who: BTreeMap<(Role, PartyKind), (usize, BTreeSet<String>)> = BTreeMap::new();
    for e in &c.effects {
        let entry = who.entry((e.role, e.recipient_kind)).or_default();
        entry.0 += 1;
        entry.1.insert(e.category.as_str().to_owned());
    }
    let notices = who
        .into_iter()
        .map(|((role, kind), (n, categories))| Notice {
            role: role.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            words: texts::notices_words(n, &categories.into_iter().collect::<Vec<_>>().join(", ")),
        })
        .collect();
    let effects = c
        .effects
        .iter()
        .map(|e| EffectRow {
            category: e.category.as_str().to_owned(),
            role: e.role.as_str().to_owned(),
            kind: e.recipient_kind.as_str().to_owned(),
            purpose: e.purpose.as_str().to_owned(),
            about: if e.about_any_subject() {
                texts::ANY_SUBJECT.to_owned()
            } else {
                e.subjects
                    .iter()
                    .map(|s| texts::grid_subject(*s))
                    .collect::<Vec<_>>()
                    .join(texts::SUBJECTS_OR)
            },
            emergency: match e.emergency {
                EmergencyScope::Always => texts::EMERGENCY_ALWAYS,
                EmergencyScope::DuringOwnEmergency => texts::EMERGENCY_DURING,
                EmergencyScope::WithoutEmergency => texts::EMERGENCY_WITHOUT,
            },
            sources: (!e.from_any_party())
                .then(|| e.sources.iter().map(|k| k.as_str().to_owned()).collect()),
            was: decision_words(&e.was),
            now: decision_words(&e.now),
        })
        .collect();
    ChangesView {
        count: texts::effects_count(c.effects.len()),
        summary: summary_groups(c),
        field_lists: c
            .field_lists
            .iter()
            .map(|f| FieldListRow {
                article: f.article.to_string(),
                category: f.category.clone(),
                words: texts::field_list_words(&f.added, &f.removed),
            })
            .collect(),
        notices,
        parties,
        rules,
        effects,
    }
}

/// A stored version's text, checked against the hash the hub gives for it.
pub fn verified_text(v: &wire::CovenantVersion) -> Result<&str, Error> {
    if sha256(&v.text) == v.text_sha256 {
        Ok(&v.text)
    } else {
        Err(Error::Hub {
            code: tonic::Code::DataLoss,
            message: format!(
                "the text the hub sent for covenant version {} does not have the hash {} it names for it",
                v.version,
                hex(&v.text_sha256)
            ),
            hint: Some("do not approve this version; tell the hub's operator".to_owned()),
        })
    }
}

/// Parses a stored (valid) version for comparing.
fn parsed(number: u32, text: &str) -> Result<Covenant, Error> {
    Covenant::parse(&format!("version {number}"), text).map_err(|d| {
        Error::Usage(format!(
            "covenant version {number} as stored does not parse ({} error(s)); it cannot be compared",
            d.errors().count()
        ))
    })
}

/// The difference between two versions' texts (pure; slow-ish: it decides every kind
/// of share twice, so callers run it off the async threads).
pub fn diff_view(
    from: u32,
    old_text: &str,
    to: u32,
    new_text: &str,
    whole: bool,
) -> Result<DiffView, Error> {
    let (old, new) = (parsed(from, old_text)?, parsed(to, new_text)?);
    let changes = treiter_policies::diff::changes(&old, &new, &[]);
    Ok(DiffView {
        from,
        to,
        not_higher: to <= from,
        plain: changes.to_string(),
        changes: changes_view(&changes),
        side: side_by_side(old_text, new_text, (!whole).then_some(CONTEXT_LINES)),
        whole,
    })
}

/// [`diff_view`] on a blocking thread.
pub async fn diff_view_off_thread(
    from: u32,
    old_text: String,
    to: u32,
    new_text: String,
    whole: bool,
) -> Result<DiffView, Error> {
    tokio::task::spawn_blocking(move || diff_view(from, &old_text, to, &new_text, whole))
        .await
        .unwrap_or_else(|e| {
            Err(Error::Usage(format!(
                "comparing versions {from} and {to} failed: {e}"
            )))
        })
}

/// The query: two version numbers and whether to show every line.
fn read_query(query: &[(String, String)]) -> (Option<u32>, Option<u32>, bool) {
    let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    (
        get("van").and_then(super::version_number),
        get("naar").and_then(super::version_number),
        get("hele").is_some_and(|v| !v.is_empty()),
    )
}

/// `GET /convenant/verschil`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut opened = match open(&app, &session, Nav::Covenant, texts::DIFF_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (from, to, whole) = read_query(&query);
    let problem = |e: &Error, opened: &crate::console::pages::Opened<'_>| {
        problem_page(
            texts::DIFF_TITLE,
            Nav::Covenant,
            Some(&opened.me),
            e,
            &session,
            opened.now,
        )
    };
    let list = match queries::covenant_versions(&mut opened.hub, Vec::new()).await {
        Ok(list) => list,
        Err(e) => return problem(&e, &opened),
    };
    let defaults = super::versions::list_view(&list, "").compare;
    let (from, to) = (from.unwrap_or(defaults.from), to.unwrap_or(defaults.to));
    let compare = CompareForm::new(&list, from, to);
    if from == to {
        return render(&DiffPage {
            layout: opened.layout,
            compare,
            diff: None,
            message: Some(texts::DIFF_SAME_VERSION),
        });
    }
    let texts_of = async {
        let old = queries::covenant_version(&mut opened.hub, from, true, false).await?;
        let new = queries::covenant_version(&mut opened.hub, to, true, false).await?;
        let old_text = verified_text(&old)?.to_owned();
        let new_text = verified_text(&new)?.to_owned();
        Ok::<_, Error>((old_text, new_text))
    }
    .await;
    let diff = match texts_of {
        Ok((old_text, new_text)) => diff_view_off_thread(from, old_text, to, new_text, whole).await,
        Err(e) => Err(e),
    };
    match diff {
        Ok(diff) => render(&DiffPage {
            layout: opened.layout,
            compare,
            diff: Some(diff),
            message: None,
        }),
        Err(e) => problem(&e, &opened),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;

    fn v2() -> String {
        TREITERAANPAK_COVENANT
            .replacen("version 1\n", "version 2\n", 1)
            .replacen(
                "rol_betrokkene, locatie and samenvatting",
                "rol_betrokkene and samenvatting",
                1,
            )
    }

    #[test]
    fn the_difference_says_for_whom_a_share_changes() {
        let view = diff_view(1, TREITERAANPAK_COVENANT, 2, &v2(), false).expect("diff");
        assert!(!view.not_higher);
        let changes = &view.changes;
        assert!(changes.parties.is_empty());
        // The field taken out of the category reads as such, not as a rule removed
        // and a rule added; the summary puts the narrower permits first.
        assert!(!changes.rules.iter().any(|r| r.article == "6.3"));
        assert_eq!(
            changes.field_lists,
            [FieldListRow {
                article: "6.3".into(),
                category: "politie-incidenten".into(),
                words: "veld locatie verwijderd".into(),
            }]
        );
        let titles: Vec<&str> = changes.summary.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(
            titles.first().copied(),
            Some("geen nieuwe toestemmingen"),
            "{titles:?}"
        );
        let narrower = changes
            .summary
            .iter()
            .find(|g| g.kind == EffectKind::NarrowerPermit)
            .expect("the narrower permits");
        assert!(
            narrower.lines.contains(
                &"politie-incidenten aan een informatiemakelaar van gemeente voor duiding: geeft locatie niet meer door"
                    .to_owned()
            ),
            "{:?}",
            narrower.lines
        );
        // politie-incidenten now strips locatie for both roles that receive it.
        let roles: BTreeSet<&str> = changes
            .effects
            .iter()
            .filter(|e| e.category == "politie-incidenten")
            .map(|e| e.role.as_str())
            .collect();
        assert!(roles.contains("informatiemakelaar"), "{roles:?}");
        assert!(roles.contains("stadsdeelregisseur"), "{roles:?}");
        let im = changes
            .effects
            .iter()
            .find(|e| {
                e.category == "politie-incidenten"
                    && e.role == "informatiemakelaar"
                    && e.purpose == "duiding"
                    && e.was.outcome == "permit"
            })
            .expect("the informatiemakelaar's duiding share");
        assert_eq!(im.kind, "gemeente");
        assert_eq!(im.sources, Some(vec!["politie".to_owned()]));
        assert!(
            im.was
                .passed
                .as_deref()
                .is_some_and(|p| p.contains("locatie"))
        );
        assert!(
            im.now
                .passed
                .as_deref()
                .is_some_and(|p| !p.contains("locatie"))
        );
        assert!(
            changes
                .notices
                .iter()
                .any(|n| n.role == "informatiemakelaar"
                    && n.kind == "gemeente"
                    && n.words.contains("politie-incidenten")),
            "{:?}",
            changes.notices
        );
        assert!(
            changes.count.contains("anders beslist"),
            "{}",
            changes.count
        );
        // The plain output is `covenant diff`'s.
        let old = Covenant::parse("a", TREITERAANPAK_COVENANT).expect("old");
        let new = Covenant::parse("b", &v2()).expect("new");
        assert_eq!(view.plain, treiter_policies::diff::diff(&old, &new, &[]));
        // Side by side: the version line and the 6.3 line, the rest folded.
        assert_eq!((view.side.removed, view.side.added), (2, 2));
        assert!(view.side.rows.iter().any(|r| r.fold.is_some()));
        assert_eq!(
            view.toggle_link(),
            "/convenant/verschil?van=1&naar=2&hele=1"
        );
    }

    #[test]
    fn decisions_read_as_outcome_fields_and_articles() {
        let d = Decision {
            outcome: Outcome::Permit,
            passed: vec![],
            stripped: vec!["bsn".into()],
            articles: vec!["6.1".parse().expect("art"), "6.1a".parse().expect("art")],
            obligations: vec![],
            emergency: true,
            notify: vec![],
            covenant_version: 2,
        };
        let w = decision_words(&d);
        assert_eq!(w.outcome, "permit");
        assert_eq!(w.passed.as_deref(), Some("niets"));
        assert_eq!(w.stripped.as_deref(), Some("bsn"));
        assert_eq!(w.articles, "6.1, 6.1a");
        assert!(w.emergency);
        let denied = decision_words(&Decision {
            outcome: Outcome::Deny,
            ..d
        });
        assert_eq!((denied.passed, denied.stripped), (None, None));
    }

    #[test]
    fn a_text_that_does_not_match_its_hash_is_refused() {
        let mut v = wire::CovenantVersion {
            version: 2,
            text: "version 2\n".into(),
            ..Default::default()
        };
        v.text_sha256 = sha256(&v.text);
        assert_eq!(verified_text(&v).ok(), Some("version 2\n"));
        v.text.push('x');
        let refused = verified_text(&v).unwrap_err();
        assert!(
            refused.to_string().contains("does not have the hash"),
            "{refused}"
        );
    }

    #[test]
    fn the_page_opens_what_changes_with_the_summary() {
        use askama::Template;
        use time::macros::datetime;

        use crate::console::layout::HubStatus;
        use crate::console::pages::covenant::fixtures::politie_officer;

        let view = diff_view(1, TREITERAANPAK_COVENANT, 2, &v2(), false).expect("diff");
        let html = DiffPage {
            layout: Layout::new(
                "t",
                Nav::Covenant,
                Some(&politie_officer()),
                HubStatus::new(None, datetime!(2026-12-01 10:00 UTC)),
                &Session {
                    csrf: "c5rf".into(),
                },
            ),
            compare: CompareForm {
                options: vec![(1, "1".into()), (2, "2".into())],
                from: 1,
                to: 2,
            },
            diff: Some(view),
            message: None,
        }
        .render()
        .expect("renders");
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing from the page"))
        };
        let summary = at(r#"<ul class="summary" id="samengevat">"#);
        assert!(summary < at(r#"id="regels""#) && summary < at(r#"id="effecten""#));
        assert!(
            at(r#"<li class="new-permissions">geen nieuwe toestemmingen"#)
                < at(r#"<li class="narrower-permits">"#)
        );
        assert!(
            html.contains(
                r#"<li class="field-list">Categorie <code>politie-incidenten</code>: veld locatie verwijderd</li>"#
            ),
            "the field list change in the summary"
        );
        assert!(
            html.contains(r#"<td>velden gewijzigd</td><td><code>politie-incidenten</code>: veld locatie verwijderd</td>"#),
            "the field list change among the rules"
        );
    }
}
