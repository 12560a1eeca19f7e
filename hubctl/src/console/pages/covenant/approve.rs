//! Approving a version (`GET`/`POST /convenant/{n}/goedkeuren`,
//! `covenant_approve.html`), as `hubctl covenant approve` does: the page shows the
//! exact text hash being approved, who approved before (party by name, person, when),
//! what article 13.1 still needs, and what the version changes for whom against the
//! version in force; the form carries that hash, and the approval the hub records is
//! bound to it (ApproveCovenantVersion with `text_sha256`), so a text that changed after
//! the page was drawn is refused by the hub, never approved unseen.
//!
//! A party counts once (article 13.1): when the caller's party approved already, the
//! page says so and shows nothing else (no form, no difference). So does a version that
//! is no longer proposed. The console checks that the text the hub sent has the hash
//! the hub names before it computes anything from it.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use treiter_proto::v1 as wire;

use super::compare::{ChangesView, diff_view_off_thread, verified_text};
use super::{Actor, VersionView, my_oin, parse_hex, path, version_number, version_view};
use crate::commands::new_request_id;
use crate::console::App;
use crate::console::layout::{Layout, Nav, party_name, render_with};
use crate::console::pages::{Opened, not_found, open, problem_page};
use crate::console::security::{Session, form_value};
use crate::console::texts::{self, Problem};
use crate::error::Error;
use crate::queries;

/// The form's fields.
pub mod field {
    /// The text hash the officer reviewed (64 hex characters).
    pub const SHA256: &str = "sha256";
    /// The box "I reviewed this text".
    pub const REVIEWED: &str = "beoordeeld";
    /// The approval's idempotency key.
    pub const REQUEST_ID: &str = "verzoek";
}

/// The page.
#[derive(Template)]
#[template(path = "covenant_approve.html")]
pub struct ApprovePage {
    /// The frame.
    pub layout: Layout,
    /// What it shows.
    pub view: ApproveView,
}

/// What the approval page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApproveView {
    /// The caller's party approved already: only that.
    AlreadyApproved {
        /// "Gemeente Amsterdam heeft versie 2 al goedgekeurd (...)".
        words: String,
        /// The version.
        number: u32,
        /// "Convenant versie 2" (the link to it).
        title: String,
    },
    /// The version is not (or no longer) proposed: only that.
    NotApprovable {
        /// Why.
        words: String,
        /// The version.
        number: u32,
        /// "Convenant versie 2" (the link to it).
        title: String,
    },
    /// The form.
    Form(Box<ApproveForm>),
}

/// The approval form, with everything the officer reviews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApproveForm {
    /// The version.
    pub version: VersionView,
    /// The caller's party, by name.
    pub party: String,
    /// The version in force (compared against).
    pub in_force: u32,
    /// What the version changes for whom; `None` when it could not be computed
    /// (`problem` says why).
    pub changes: Option<ChangesView>,
    /// The idempotency key of this approval.
    pub request_id: String,
    /// What is wrong with the form as sent.
    pub form_error: Option<&'static str>,
    /// The hub's refusal of the approval, or why the changes cannot be shown.
    pub problem: Option<Problem>,
}

impl ApproveForm {
    /// The introduction, naming the caller's party.
    pub fn intro(&self) -> String {
        texts::approve_intro(&self.party)
    }

    /// The link to the whole difference.
    pub fn full_diff_words(&self) -> String {
        texts::approve_full_diff(self.in_force)
    }

    /// The confirmation box's words.
    pub fn confirm_words(&self) -> String {
        texts::approve_confirm(self.version.number)
    }

    /// The button's words.
    pub fn button(&self) -> String {
        texts::approve_button(&self.party)
    }

    /// Those who approved before (all approvals: the caller's party has none).
    pub fn before(&self) -> &[Actor] {
        &self.version.approvals
    }
}

/// The approval page for `v`, as a caller of party `me` sees it: a refusal when the
/// party approved already or the version is not proposed, else the form (without the
/// changes, which the handler adds).
pub fn approve_view(v: &wire::CovenantVersion, me: &wire::Person) -> ApproveView {
    let version = version_view(v, &my_oin(me));
    if let Some(mine) = &version.mine {
        return ApproveView::AlreadyApproved {
            words: texts::already_approved(
                v.version,
                &mine.party,
                &mine.person,
                mine.at.as_ref().map_or("", |m| m.text.as_str()),
            ),
            number: v.version,
            title: texts::version_title(v.version),
        };
    }
    if !version.proposed() {
        return ApproveView::NotApprovable {
            words: texts::not_approvable(v.version, &v.status),
            number: v.version,
            title: texts::version_title(v.version),
        };
    }
    ApproveView::Form(Box::new(ApproveForm {
        version,
        party: party_name(me.party.as_ref()),
        in_force: 0,
        changes: None,
        request_id: new_request_id(),
        form_error: None,
        problem: None,
    }))
}

/// Draws the page for version `n`: asks the hub, refuses first when the party approved
/// already, else computes the changes against the version in force.
async fn draw(
    opened: &mut Opened<'_>,
    n: u32,
    form_error: Option<&'static str>,
    problem: Option<Problem>,
) -> Result<ApproveView, Error> {
    let v = queries::covenant_version(&mut opened.hub, n, true, false).await?;
    let mut view = approve_view(&v, &opened.me);
    if let ApproveView::Form(form) = &mut view {
        form.form_error = form_error;
        form.problem = problem;
        let in_force = queries::covenant_version(&mut opened.hub, 0, true, false).await?;
        form.in_force = in_force.version;
        let texts_of = verified_text(&v)
            .and_then(|new| Ok((verified_text(&in_force)?.to_owned(), new.to_owned())));
        match texts_of {
            Ok((old, new)) => {
                match diff_view_off_thread(in_force.version, old, v.version, new, false).await {
                    Ok(diff) => form.changes = Some(diff.changes),
                    Err(e) => form.problem = form.problem.take().or(Some(texts::problem(&e))),
                }
            }
            Err(_) => {
                // A text that is not the one hashed is not approved from this page.
                return Ok(ApproveView::NotApprovable {
                    words: format!("{} {}", texts::HASH_MISMATCH_TITLE, texts::HASH_MISMATCH),
                    number: v.version,
                    title: texts::version_title(v.version),
                });
            }
        }
    }
    Ok(view)
}

fn title(n: u32) -> String {
    texts::approve_title(n)
}

/// The status of the page for a view: a refusal is a conflict.
fn status_of(view: &ApproveView, refused: bool) -> StatusCode {
    match view {
        ApproveView::AlreadyApproved { .. } | ApproveView::NotApprovable { .. } => {
            StatusCode::CONFLICT
        }
        ApproveView::Form(_) if refused => StatusCode::UNPROCESSABLE_ENTITY,
        ApproveView::Form(_) => StatusCode::OK,
    }
}

/// `GET /convenant/{n}/goedkeuren`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
) -> Response {
    let Some(n) = version_number(&raw) else {
        return not_found().await;
    };
    let title = title(n);
    let mut opened = match open(&app, &session, Nav::Covenant, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match draw(&mut opened, n, None, None).await {
        Ok(view) => {
            let status = status_of(&view, false);
            render_with(
                &ApprovePage {
                    layout: opened.layout,
                    view,
                },
                status,
            )
        }
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

/// `POST /convenant/{n}/goedkeuren`: approves with the hash the form carries; on
/// success, to the version's page.
pub async fn approve(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Some(n) = version_number(&raw) else {
        return not_found().await;
    };
    let title = title(n);
    let mut opened = match open(&app, &session, Nav::Covenant, &title).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let reviewed = form_value(&body, field::REVIEWED).is_some_and(|v| !v.is_empty());
    let sha = form_value(&body, field::SHA256).and_then(|h| parse_hex(&h));
    let request_id = form_value(&body, field::REQUEST_ID)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .unwrap_or_else(new_request_id);
    let (form_error, problem) = match (sha, reviewed) {
        (None, _) => (Some(texts::APPROVE_BAD_HASH), None),
        (Some(_), false) => (Some(texts::APPROVE_CONFIRM_MISSING), None),
        (Some(sha), true) => {
            let request = wire::ApproveCovenantVersionRequest {
                client_request_id: request_id,
                version: n,
                text_sha256: sha,
            };
            match queries::approve_covenant_version(&mut opened.hub, request).await {
                Ok(v) => {
                    return Redirect::to(&format!("{}?goedgekeurd=1", path::version(v.version)))
                        .into_response();
                }
                Err(e) => (None, Some(texts::approval_refused(&e))),
            }
        }
    };
    match draw(&mut opened, n, form_error, problem).await {
        Ok(view) => {
            // Refused because the party approved meanwhile: the page says only that.
            let status = status_of(&view, true);
            render_with(
                &ApprovePage {
                    layout: opened.layout,
                    view,
                },
                status,
            )
        }
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_second_approval_by_the_same_party_is_refused_before_anything_else() {
        let view = approve_view(&proposed_v2(), &politie_officer());
        let ApproveView::AlreadyApproved { words, number, .. } = view else {
            panic!("refused first: {view:?}");
        };
        assert_eq!(number, 2);
        assert!(
            words.starts_with(
                "Politie Eenheid Amsterdam heeft versie 2 al goedgekeurd (p-politie-090,"
            ),
            "{words}"
        );
        assert!(words.contains("art. 13.1"), "{words}");
    }

    #[test]
    fn another_party_sees_the_hash_and_who_approved_before() {
        let ApproveView::Form(form) = approve_view(&proposed_v2(), &gemeente_officer()) else {
            panic!("the gemeente may approve");
        };
        assert_eq!(form.version.hash, "ab".repeat(32));
        assert_eq!(form.party, "Gemeente Amsterdam");
        assert_eq!(form.before().len(), 1);
        assert_eq!(form.before()[0].party, "Politie Eenheid Amsterdam");
        assert_eq!(form.before()[0].person, "p-politie-090");
        assert!(!form.request_id.is_empty());
    }

    #[test]
    fn a_version_no_longer_proposed_is_not_offered() {
        let mut v = proposed_v2();
        v.status = "in-force".into();
        v.approvals.clear();
        let view = approve_view(&v, &gemeente_officer());
        assert!(
            matches!(&view, ApproveView::NotApprovable { words, .. } if words.contains("al in kracht")),
            "{view:?}"
        );
        assert_eq!(status_of(&view, false), StatusCode::CONFLICT);
    }
}
