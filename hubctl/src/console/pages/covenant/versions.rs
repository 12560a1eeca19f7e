//! The versions of the encoded covenant (`GET /convenant`, `covenant_list.html`): the
//! version in force and every other, newest first, each with its number, status, text
//! hash, who proposed it, the approvals so far by party name and person, and what
//! article 13.1 still needs; a form to compare two versions. And one version (`GET
//! /convenant/{n}`, `covenant_version.html`): the same facts, the warnings of its check,
//! and its text with line numbers (`GET /convenant/{n}/tekst` as a file).

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use treiter_proto::v1 as wire;

use super::check::{ProblemView, wire_problem_view};
use super::linediff::{Piece, pieces};
use super::{VersionView, my_oin, path, version_number, version_view};
use crate::console::App;
use crate::console::layout::{Layout, Nav, party_name, render};
use crate::console::pages::{not_found, open, problem_page};
use crate::console::security::Session;
use crate::console::texts;
use crate::queries;

/// The versions page.
#[derive(Template)]
#[template(path = "covenant_list.html")]
pub struct ListPage {
    /// The frame.
    pub layout: Layout,
    /// What it shows.
    pub view: ListView,
}

/// What the versions page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListView {
    /// The version in force.
    pub in_force: u32,
    /// Every version, newest first.
    pub versions: Vec<VersionView>,
    /// The compare form: every version as an option, and the two chosen at first.
    pub compare: CompareForm,
}

impl ListView {
    /// "Nu in kracht: versie 1".
    pub fn in_force_words(&self) -> String {
        texts::in_force_now(self.in_force)
    }
}

/// The form that picks two versions to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareForm {
    /// Every version: number and words, newest first.
    pub options: Vec<(u32, String)>,
    /// The old version chosen.
    pub from: u32,
    /// The new version chosen.
    pub to: u32,
}

impl CompareForm {
    /// The form with `from` and `to` chosen, for the versions of `list`.
    pub fn new(list: &wire::ListCovenantVersionsResponse, from: u32, to: u32) -> CompareForm {
        CompareForm {
            options: list
                .versions
                .iter()
                .map(|v| {
                    (
                        v.version,
                        texts::version_option(v.version, super::status_words(&v.status)),
                    )
                })
                .collect(),
            from,
            to,
        }
    }
}

/// The versions page's view, for a caller of party `my_oin`. The compare form starts
/// with the version in force against the newest proposal (or the newest other
/// version).
pub fn list_view(list: &wire::ListCovenantVersionsResponse, my_oin: &str) -> ListView {
    let versions: Vec<VersionView> = list
        .versions
        .iter()
        .map(|v| version_view(v, my_oin))
        .collect();
    let to = versions
        .iter()
        .find(|v| v.proposed())
        .or_else(|| versions.iter().find(|v| v.number != list.in_force))
        .map_or(list.in_force, |v| v.number);
    ListView {
        in_force: list.in_force,
        compare: CompareForm::new(list, list.in_force, to),
        versions,
    }
}

/// `GET /convenant`.
pub async fn list(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let mut opened = match open(&app, &session, Nav::Covenant, texts::COVENANT_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match queries::covenant_versions(&mut opened.hub, Vec::new()).await {
        Ok(list) => render(&ListPage {
            view: list_view(&list, &my_oin(&opened.me)),
            layout: opened.layout,
        }),
        Err(e) => problem_page(
            texts::COVENANT_TITLE,
            Nav::Covenant,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
    }
}

/// One version's page.
#[derive(Template)]
#[template(path = "covenant_version.html")]
pub struct VersionPage {
    /// The frame.
    pub layout: Layout,
    /// What it shows.
    pub view: VersionPageView,
}

/// What one version's page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionPageView {
    /// The facts.
    pub version: VersionView,
    /// What just happened (after a proposal or an approval).
    pub banner: Option<String>,
    /// The warnings of its check.
    pub warnings: Vec<ProblemView>,
    /// Its text, line by line.
    pub lines: Vec<SourceLine>,
    /// The comparison to link to: the older and the newer version (this one and
    /// another), and the words of the link.
    pub compare_with: Option<(u32, u32, String)>,
}

/// One line of a covenant text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// Its number, from 1.
    pub number: usize,
    /// Its text.
    pub pieces: Vec<Piece>,
    /// A comment (`#`), shown muted.
    pub comment: bool,
}

/// A text, line by line.
pub fn source_lines(text: &str) -> Vec<SourceLine> {
    text.lines()
        .enumerate()
        .map(|(i, line)| SourceLine {
            number: i + 1,
            pieces: pieces(line, false),
            comment: line.trim_start().starts_with('#'),
        })
        .collect()
}

/// What a version's page says happened, from its query (post/redirect/get).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Outcome {
    /// The caller just proposed it.
    #[serde(default)]
    pub voorgesteld: Option<String>,
    /// The caller just approved it.
    #[serde(default)]
    pub goedgekeurd: Option<String>,
}

/// One version's page view: `v` (with its text), the versions of `list`, the caller's
/// party (OIN and name), and what just happened.
pub fn version_page_view(
    v: &wire::CovenantVersion,
    list: &wire::ListCovenantVersionsResponse,
    me: &wire::Person,
    outcome: &Outcome,
) -> VersionPageView {
    let in_force = list.in_force;
    let version = version_view(v, &my_oin(me));
    let banner = if outcome.goedgekeurd.is_some() && version.mine.is_some() {
        Some(texts::approved_banner(
            v.version,
            &party_name(me.party.as_ref()),
            version.in_force(),
        ))
    } else if outcome.voorgesteld.is_some() {
        Some(texts::proposed_banner(v.version))
    } else {
        None
    };
    // A version is compared with the version in force; the version in force with the
    // one before it.
    let compare_with = if v.version != in_force {
        let (from, to) = (v.version.min(in_force), v.version.max(in_force));
        Some((from, to, texts::ACTION_DIFF.to_owned()))
    } else {
        list.versions
            .iter()
            .map(|x| x.version)
            .filter(|n| *n < v.version)
            .max()
            .map(|n| (n, v.version, texts::diff_with_previous(n)))
    };
    VersionPageView {
        version,
        banner,
        warnings: v
            .warnings
            .iter()
            .map(|d| wire_problem_view(d, &v.text))
            .collect(),
        lines: source_lines(&v.text),
        compare_with,
    }
}

/// `GET /convenant/{n}`.
pub async fn version(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Response {
    let Some(n) = version_number(&raw) else {
        return not_found().await;
    };
    let title = texts::version_title(n);
    let mut opened = match open(&app, &session, Nav::Covenant, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let fetched = async {
        let v = queries::covenant_version(&mut opened.hub, n, true, false).await?;
        let list = queries::covenant_versions(&mut opened.hub, Vec::new()).await?;
        Ok::<_, crate::error::Error>((v, list))
    }
    .await;
    match fetched {
        Ok((v, list)) => render(&VersionPage {
            view: version_page_view(&v, &list, &opened.me, &outcome),
            layout: opened.layout,
        }),
        Err(e) => problem_page(
            &title,
            Nav::Covenant,
            Some(&opened.me),
            &e,
            &session,
            opened.now,
        ),
    }
}

/// `GET /convenant/{n}/tekst`: the text as a `.covenant` file.
pub async fn text_file(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
) -> Response {
    let Some(n) = version_number(&raw) else {
        return not_found().await;
    };
    let mut hub = app.hubs.lease();
    match queries::covenant_version(&mut hub, n, true, false).await {
        Ok(v) => {
            let mut response = (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                v.text,
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!(
                "attachment; filename=\"treiteraanpak-versie-{n}.covenant\""
            )) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(e) => {
            let title = texts::version_title(n);
            let me = hub.whoami().await.ok();
            let page = problem_page(
                &title,
                Nav::Covenant,
                me.as_ref(),
                &e,
                &session,
                time::OffsetDateTime::now_utc(),
            );
            if e.exit() == crate::error::Exit::NotFound {
                (StatusCode::NOT_FOUND, page).into_response()
            } else {
                page
            }
        }
    }
}

/// The link to a version's page (templates).
pub fn version_link(n: &u32) -> String {
    path::version(*n)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn list() -> wire::ListCovenantVersionsResponse {
        let mut v1 = wire::CovenantVersion {
            version: 1,
            status: "in-force".into(),
            text_sha256: vec![0x01; 32],
            in_force_from: ts(1_795_000_000),
            ..Default::default()
        };
        v1.approvals.clear();
        wire::ListCovenantVersionsResponse {
            in_force: 1,
            versions: vec![proposed_v2(), v1],
        }
    }

    #[test]
    fn the_list_shows_every_version_and_compares_the_proposal_with_the_version_in_force() {
        let view = list_view(&list(), "00000001000000000001");
        assert_eq!(view.in_force, 1);
        let shown: Vec<(u32, &str)> = view
            .versions
            .iter()
            .map(|v| (v.number, v.status_words))
            .collect();
        assert_eq!(shown, [(2, "voorgesteld"), (1, "in kracht")]);
        assert!(view.versions[0].approvable());
        assert_eq!(
            view.versions[1].proposed, None,
            "the version the hub started with"
        );
        assert_eq!((view.compare.from, view.compare.to), (1, 2));
        assert_eq!(
            view.compare.options,
            [
                (2, "versie 2 (voorgesteld)".to_owned()),
                (1, "versie 1 (in kracht)".to_owned())
            ]
        );
    }

    #[test]
    fn a_version_page_numbers_its_lines_and_says_what_just_happened() {
        let mut v = proposed_v2();
        v.text = "# a comment\nversion 2\n".into();
        let me = politie_officer();
        let approved = Outcome {
            goedgekeurd: Some("1".into()),
            voorgesteld: None,
        };
        let view = version_page_view(&v, &list(), &me, &approved);
        assert_eq!(view.lines.len(), 2);
        assert!(view.lines[0].comment && !view.lines[1].comment);
        assert_eq!(view.lines[1].number, 2);
        assert_eq!(
            view.banner.as_deref(),
            Some(
                "U hebt versie 2 goedgekeurd namens Politie Eenheid Amsterdam. Ze is nog niet in kracht."
            )
        );
        assert_eq!(
            view.compare_with.map(|(from, to, _)| (from, to)),
            Some((1, 2))
        );
        // A party that did not approve is not told it did.
        let gemeente = gemeente_officer();
        assert_eq!(
            version_page_view(&v, &list(), &gemeente, &approved).banner,
            None
        );
        // The version in force is compared with the one before it.
        let mut in_force = list();
        in_force.in_force = 2;
        let view = version_page_view(&v, &in_force, &gemeente, &Outcome::default());
        assert_eq!(
            view.compare_with,
            Some((1, 2, "Verschil met de vorige versie (1)".to_owned()))
        );
    }
}
