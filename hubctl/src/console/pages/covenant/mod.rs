//! **Convenant**, for privacy officers: the versions of the encoded covenant (article
//! 13), each version's text, the difference between two versions with what changes for
//! whom, a proposal editor that runs the engine's own check and the covenant tests as
//! the officer types, and approval bound to the text's hash.
//!
//! | page | route | module | template |
//! |---|---|---|---|
//! | versions in force and proposed | `GET /convenant` | [`versions`] | `covenant_list.html` |
//! | one version: facts and text | `GET /convenant/{n}` | [`versions`] | `covenant_version.html` |
//! | its text as a file | `GET /convenant/{n}/tekst` | [`versions`] | (plain text) |
//! | two versions side by side | `GET /convenant/verschil?van=A&naar=B` | [`compare`] | `covenant_diff.html` |
//! | the proposal editor | `GET /convenant/voorstel` | [`editor`] | `covenant_editor.html` |
//! | check (htmx: the result only) | `POST /convenant/voorstel/controle` | [`editor`] | `covenant_check.html` |
//! | propose (then to the version) | `POST /convenant/voorstel` | [`editor`] | |
//! | approve | `GET`/`POST /convenant/{n}/goedkeuren` | [`approve`] | `covenant_approve.html` |
//!
//! The hub is asked through [`crate::queries`] (`covenant_versions`,
//! `covenant_version`, `propose_covenant_version`, `approve_covenant_version`), the
//! functions `hubctl covenant` prints. The check, the covenant tests and `covenant diff`
//! are the policies crate's own functions, run here ([`check`], [`compare`]); nothing
//! is cached between requests.

pub mod approve;
pub mod check;
pub mod compare;
pub mod editor;
pub mod linediff;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use treiter_proto::v1 as wire;

use crate::console::App;
use crate::console::dates::{Moment, moment_ts};
use crate::console::layout::party_name;
use crate::console::texts;

/// The addresses of the pages.
pub mod path {
    /// The versions.
    pub const LIST: &str = "/convenant";
    /// The proposal editor (GET), and proposing (POST).
    pub const EDITOR: &str = "/convenant/voorstel";
    /// The check of a draft (POST).
    pub const CHECK: &str = "/convenant/voorstel/controle";
    /// Two versions side by side.
    pub const DIFF: &str = "/convenant/verschil";

    /// One version.
    pub fn version(n: u32) -> String {
        format!("/convenant/{n}")
    }

    /// One version's text as a file.
    pub fn text(n: u32) -> String {
        format!("/convenant/{n}/tekst")
    }

    /// Approving one version.
    pub fn approve(n: u32) -> String {
        format!("/convenant/{n}/goedkeuren")
    }

    /// Versions `from` and `to` side by side.
    pub fn diff(from: u32, to: u32) -> String {
        format!("/convenant/verschil?van={from}&naar={to}")
    }

    /// The editor, starting from version `n`'s text.
    pub fn editor_from(n: u32) -> String {
        format!("/convenant/voorstel?van={n}")
    }
}

/// The routes of these pages (merged into [`crate::console::router`]).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(path::LIST, get(versions::list))
        .route(path::DIFF, get(compare::page))
        .route(path::EDITOR, get(editor::page).post(editor::propose))
        .route(path::CHECK, axum::routing::post(editor::check_posted))
        .route("/convenant/{n}", get(versions::version))
        .route("/convenant/{n}/tekst", get(versions::text_file))
        .route(
            "/convenant/{n}/goedkeuren",
            get(approve::page).post(approve::approve),
        )
}

/// A version number from the address: digits only, above 0.
pub fn version_number(raw: &str) -> Option<u32> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok().filter(|n| *n > 0)
}

/// A hash as 64 lowercase hex characters.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 64 hex characters as 32 bytes.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..32)
        .map(|i| {
            text.get(2 * i..2 * i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// The SHA-256 of a text (what approvals bind to), as the hub computes it.
pub fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

/// A version's status in words.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "proposed" => texts::STATUS_PROPOSED,
        "approved" => texts::STATUS_APPROVED,
        "in-force" => texts::STATUS_IN_FORCE,
        "superseded" => texts::STATUS_SUPERSEDED,
        _ => "?",
    }
}

/// Who did something, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The party, by name.
    pub party: String,
    /// The party's OIN (to tell the caller's own party).
    pub oin: String,
    /// The person id.
    pub person: String,
    /// When.
    pub at: Option<Moment>,
}

impl Actor {
    fn new(p: Option<&wire::Person>, at: Option<&prost_types::Timestamp>) -> Actor {
        Actor {
            party: party_name(p.and_then(|p| p.party.as_ref())),
            oin: p
                .and_then(|p| p.party.as_ref())
                .map(|p| p.oin.clone())
                .unwrap_or_default(),
            person: p
                .map(crate::console::layout::person_name)
                .unwrap_or_default(),
            at: moment_ts(at),
        }
    }

    /// "Politie Eenheid Amsterdam (p-politie-090), ma 7 dec. 2026 10:00".
    pub fn words(&self) -> String {
        texts::actor_words(
            &self.party,
            &self.person,
            self.at.as_ref().map(|m| m.text.as_str()),
        )
    }
}

/// A version as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionView {
    /// Its number.
    pub number: u32,
    /// Its status (the hub's word).
    pub status: String,
    /// Its status in words.
    pub status_words: &'static str,
    /// The SHA-256 of its text, 64 hex characters.
    pub hash: String,
    /// The proposer's description.
    pub description: String,
    /// Who proposed it; `None` for the version the hub started with.
    pub proposed: Option<Actor>,
    /// The approvals so far, oldest first.
    pub approvals: Vec<Actor>,
    /// What article 13.1 still needs, in words; `None` once met (or not proposed).
    pub needed: Option<&'static str>,
    /// When it took effect.
    pub in_force_from: Option<Moment>,
    /// The version that superseded it, and when.
    pub superseded: Option<String>,
    /// The approval of the caller's party, if it approved.
    pub mine: Option<Actor>,
}

impl VersionView {
    /// Whether it is the version in force.
    pub fn in_force(&self) -> bool {
        self.status == "in-force"
    }

    /// Whether it awaits approvals.
    pub fn proposed(&self) -> bool {
        self.status == "proposed"
    }

    /// "Convenant versie 2".
    pub fn title(&self) -> String {
        texts::version_title(self.number)
    }

    /// Whether the caller's party may still approve it.
    pub fn approvable(&self) -> bool {
        self.proposed() && self.mine.is_none()
    }
}

/// A version as the pages show it, for a caller of party `my_oin`.
pub fn version_view(v: &wire::CovenantVersion, my_oin: &str) -> VersionView {
    let approvals: Vec<Actor> = v
        .approvals
        .iter()
        .map(|a| Actor::new(a.approver.as_ref(), a.approved_at.as_ref()))
        .collect();
    let gemeente = v.approvals.iter().any(|a| {
        a.approver
            .as_ref()
            .and_then(|p| p.party.as_ref())
            .is_some_and(|p| p.kind == "gemeente")
    });
    // The hub decides whether article 13.1 is met; the words say what it still needs.
    let needed = if v.approvals_missing.is_empty() {
        None
    } else {
        texts::approvals_needed(approvals.len(), gemeente)
    };
    VersionView {
        number: v.version,
        status: v.status.clone(),
        status_words: status_words(&v.status),
        hash: hex(&v.text_sha256),
        description: v.description.clone(),
        proposed: v
            .proposed_by
            .as_ref()
            .map(|p| Actor::new(Some(p), v.proposed_at.as_ref())),
        mine: approvals
            .iter()
            .find(|a| !my_oin.is_empty() && a.oin == my_oin)
            .cloned(),
        approvals,
        needed,
        in_force_from: moment_ts(v.in_force_from.as_ref()),
        superseded: (v.superseded_by != 0).then(|| {
            texts::superseded_words(
                v.superseded_by,
                moment_ts(v.superseded_at.as_ref())
                    .as_ref()
                    .map(|m| m.text.as_str()),
            )
        }),
    }
}

/// The caller's party's OIN.
pub fn my_oin(me: &wire::Person) -> String {
    me.party.as_ref().map(|p| p.oin.clone()).unwrap_or_default()
}

/// A text as received from a form: browsers send a textarea's line breaks as CR LF;
/// the covenant's texts (and their hashes and line diffs) have LF.
pub fn from_form(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[cfg(test)]
pub(crate) mod fixtures {
    use treiter_proto::v1 as wire;

    pub fn person(id: &str, oin: &str, name: &str, kind: &str) -> wire::Person {
        wire::Person {
            id: id.into(),
            party: Some(wire::Party {
                oin: oin.into(),
                name: name.into(),
                kind: kind.into(),
            }),
            roles: vec!["privacy-officer".into()],
            ..Default::default()
        }
    }

    pub fn politie_officer() -> wire::Person {
        person(
            "p-politie-090",
            "00000002000000000002",
            "Politie Eenheid Amsterdam",
            "politie",
        )
    }

    pub fn gemeente_officer() -> wire::Person {
        person(
            "p-gemeente-090",
            "00000001000000000001",
            "Gemeente Amsterdam",
            "gemeente",
        )
    }

    pub fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    /// Version 2, proposed by politie and approved by politie.
    pub fn proposed_v2() -> wire::CovenantVersion {
        wire::CovenantVersion {
            version: 2,
            status: "proposed".into(),
            text_sha256: vec![0xab; 32],
            description: "art. 6.3: locatie niet meer".into(),
            proposed_at: ts(1_796_000_000),
            proposed_by: Some(politie_officer()),
            approvals: vec![wire::CovenantApproval {
                approver: Some(politie_officer()),
                approved_at: ts(1_796_000_600),
                text_sha256: vec![0xab; 32],
            }],
            approvals_missing:
                "needs an approval by a privacy officer of a party of kind gemeente (art. 13.1)"
                    .into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn a_version_names_parties_and_what_article_13_1_still_needs() {
        let v = version_view(&proposed_v2(), "00000001000000000001");
        assert_eq!(v.status_words, "voorgesteld");
        assert_eq!(v.hash, "ab".repeat(32));
        assert_eq!(v.approvals.len(), 1);
        assert_eq!(
            v.approvals[0].words(),
            "Politie Eenheid Amsterdam (p-politie-090), ma 30 nov. 2026 02:03"
        );
        assert_eq!(
            v.needed,
            Some(
                "Nog nodig: goedkeuring door een privacy officer van een partij van soort gemeente (art. 13.1)."
            )
        );
        assert!(v.mine.is_none());
        assert!(v.approvable(), "the gemeente has not approved yet");
        // For politie's officer, the version is approved by their own party.
        let theirs = version_view(&proposed_v2(), "00000002000000000002");
        assert_eq!(
            theirs.mine.as_ref().map(|a| a.person.as_str()),
            Some("p-politie-090")
        );
        assert!(!theirs.approvable());
    }

    #[test]
    fn what_article_13_1_needs_follows_the_approving_kinds() {
        assert!(texts::approvals_needed(0, false).is_some_and(|t| t.contains("twee")));
        assert!(texts::approvals_needed(2, false).is_some_and(|t| t.contains("gemeente")));
        assert!(texts::approvals_needed(1, true).is_some_and(|t| t.contains("tweede partij")));
        assert_eq!(texts::approvals_needed(2, true), None);
        // Once the hub says 13.1 is met, nothing is needed, whatever the kinds.
        let mut v = proposed_v2();
        v.approvals_missing.clear();
        v.status = "in-force".into();
        assert_eq!(version_view(&v, "").needed, None);
    }

    #[test]
    fn version_numbers_and_hashes_are_read_strictly() {
        assert_eq!(version_number("2"), Some(2));
        assert_eq!(version_number("0"), None);
        assert_eq!(version_number("+2"), None);
        assert_eq!(version_number("2x"), None);
        assert_eq!(version_number(""), None);
        assert_eq!(parse_hex(&"ab".repeat(32)), Some(vec![0xab; 32]));
        assert_eq!(parse_hex(&"ab".repeat(31)), None);
        assert_eq!(parse_hex(&"zz".repeat(32)), None);
        assert_eq!(
            hex(&sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(from_form("a\r\nb\n"), "a\nb\n");
    }
}

/// The pages as HTML: the forms' CSRF tokens and htmx attributes, escaping, and what a
/// refusal leaves out.
#[cfg(test)]
mod render_tests {
    use askama::Template;
    use time::macros::datetime;

    use super::approve::{ApprovePage, approve_view};
    use super::check::check;
    use super::editor::{EditorForm, EditorPage};
    use super::fixtures::*;
    use super::versions::{Outcome, VersionPage, version_page_view};
    use crate::console::layout::{HubStatus, Layout, Nav};
    use crate::console::security::Session;

    fn layout(me: &treiter_proto::v1::Person) -> Layout {
        Layout::new(
            "t",
            Nav::Covenant,
            Some(me),
            HubStatus::new(None, datetime!(2026-12-01 10:00 UTC)),
            &Session {
                csrf: "c5rf".into(),
            },
        )
    }

    #[test]
    fn the_editor_posts_with_its_csrf_token_live_and_without_javascript() {
        let text = "version 2\n# </textarea><script>alert(1)</script>\n";
        let html = EditorPage {
            layout: layout(&politie_officer()),
            form: EditorForm {
                text: text.into(),
                request_id: "r-1".into(),
                ..EditorForm::default()
            },
            check: check(text, ""),
            refusal: None,
        }
        .render()
        .expect("renders");
        assert!(html.contains(
            r#"<form method="post" action="/convenant/voorstel" class="editor" id="voorstel">"#
        ));
        assert!(
            html.contains(r#"<input type="hidden" name="_csrf" value="c5rf">"#),
            "the form's CSRF token"
        );
        assert!(html.contains(
            r#"hx-post="/convenant/voorstel/controle" hx-trigger="input changed delay:500ms""#
        ));
        assert!(
            html.contains(r#"formaction="/convenant/voorstel/controle" formnovalidate"#),
            "Controleer without JavaScript"
        );
        assert!(
            html.contains(r#"<label for="tekst">"#)
                && html.contains(r#"<label for="toelichting">"#)
        );
        assert!(!html.contains("<script>alert"), "the text is escaped");
        assert!(
            html.contains("# &#60;/textarea&#62;&#60;script&#62;alert(1)"),
            "shown as typed"
        );
        assert!(
            html.contains(r#"<a href="/convenant" aria-current="page">"#),
            "the menu"
        );
    }

    #[test]
    fn the_approval_form_carries_the_hash_shown() {
        let html = ApprovePage {
            layout: layout(&gemeente_officer()),
            view: approve_view(&proposed_v2(), &gemeente_officer()),
        }
        .render()
        .expect("renders");
        let hash = "ab".repeat(32);
        assert!(html.contains(&format!(
            r#"<code class="hash" id="goed-te-keuren-hash">{hash}</code>"#
        )));
        assert!(html.contains(&format!(
            r#"<input type="hidden" name="sha256" value="{hash}">"#
        )));
        assert!(html.contains(r#"<input type="hidden" name="_csrf" value="c5rf">"#));
        assert!(
            html.contains("Politie Eenheid Amsterdam (p-politie-090)"),
            "who approved before"
        );
        // The party that approved already sees the refusal and nothing of the form.
        let refused = ApprovePage {
            layout: layout(&politie_officer()),
            view: approve_view(&proposed_v2(), &politie_officer()),
        }
        .render()
        .expect("renders");
        assert!(refused.contains(r#"id="al-goedgekeurd""#));
        assert!(!refused.contains(r#"name="sha256""#));
        assert!(!refused.contains(&hash), "not even the hash");
    }

    #[test]
    fn a_hidden_character_in_a_text_is_shown_by_its_code_point() {
        let mut v = proposed_v2();
        v.text = "version 2\n# a\u{202E}b\n".into();
        let list = treiter_proto::v1::ListCovenantVersionsResponse {
            in_force: 1,
            versions: vec![v.clone()],
        };
        let html = VersionPage {
            layout: layout(&gemeente_officer()),
            view: version_page_view(&v, &list, &gemeente_officer(), &Outcome::default()),
        }
        .render()
        .expect("renders");
        assert!(!html.contains('\u{202E}'));
        assert!(html.contains(r#"<span class="hidden-char"><span class="visually-hidden">onzichtbaar teken </span>U+202E</span>"#), "{html}");
    }
}
