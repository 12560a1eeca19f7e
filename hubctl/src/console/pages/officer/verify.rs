//! **Verifieer** (`GET`/`POST /logboek/verifieer`, `templates/officer_verify.html`):
//! runs the checks of `hubctl log verify` ([`crate::logverify::verify`], the same
//! function, with the same state file beside the profile) and says plainly what they
//! proved, what they did not, or what failed, naming the entry.
//!
//! The GET page explains the checks, shows the checkpoint this profile verified last,
//! and offers the button; the POST runs them (it writes the state file, so it is a
//! form with a CSRF token) and answers with the result itself rather than a redirect:
//! the result is a finding of this moment that the console keeps nowhere (it holds no
//! state), and sending the form again only verifies again.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::entry::entry_path;
use super::open_officer;
use crate::console::App;
use crate::console::dates::{Moment, moment};
use crate::console::layout::{Layout, Nav, party_name, render, render_with};
use crate::console::security::Session;
use crate::console::texts::{self, Problem};
use crate::error::Error;
use crate::logverify::{self, LogFailure, Verified};
use crate::profile::Profile;

/// The page's address (GET shows, POST runs).
pub const PATH: &str = "/logboek/verifieer";

/// The checkpoint this profile verified before, as the page shows it.
#[derive(Debug, PartialEq, Eq)]
pub struct LastVerified {
    /// Its size.
    pub size: u64,
    /// Its root hash (hex).
    pub root: String,
}

/// What the verification proved, in sentences.
#[derive(Debug, PartialEq, Eq)]
pub struct Proved {
    /// When.
    pub at: Moment,
    /// What was proven.
    pub proved: Vec<String>,
    /// What was not (the limits of the proof).
    pub not_proved: Vec<String>,
    /// The parties whose agents cosigned the checkpoint (by name).
    pub witnesses: Vec<String>,
}

/// What failed.
#[derive(Debug, PartialEq, Eq)]
pub struct Failed {
    /// When.
    pub at: Moment,
    /// What failed, in Dutch.
    pub what: String,
    /// The entry it concerns, with the address of its page.
    pub entry: Option<(u64, String)>,
    /// hubctl's own message (English), for whoever investigates.
    pub detail: String,
}

/// The outcome of a run.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything verified.
    Proved(Proved),
    /// The log did not verify.
    Failed(Failed),
    /// The check could not be made (no key in the profile, the hub unreachable...).
    Problem(Problem),
}

/// The page.
#[derive(Template)]
#[template(path = "officer_verify.html")]
pub struct VerifyPage {
    /// The frame.
    pub layout: Layout,
    /// The checkpoint this profile verified before, if any.
    pub last: Option<LastVerified>,
    /// Why the check cannot be made from this profile, if so.
    pub setup: Option<Problem>,
    /// A run's outcome (POST only): what it proved,
    pub proved: Option<Proved>,
    /// or what failed,
    pub failed: Option<Failed>,
    /// or why it could not check.
    pub problem: Option<Problem>,
    /// The state file, for the explanation.
    pub state_file: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sentences about a verification that succeeded.
pub fn proved(v: &Verified) -> Proved {
    let mut proved = vec![texts::verified_signature(
        v.tree_size,
        &v.root.to_hex(),
        &v.origin,
    )];
    proved.push(match v.entry_range {
        Some((first, last)) => texts::verified_entries(v.entries, first, last, v.tree_size),
        None => texts::VERIFIED_NO_ENTRIES.to_owned(),
    });
    proved.push(match v.previous {
        Some(before) if before == v.tree_size => texts::verified_same(before),
        Some(before) => texts::verified_extends(before, v.tree_size),
        None => texts::verified_first(&v.state_file.display().to_string()),
    });
    let witnesses: Vec<String> = v
        .cosignatures
        .iter()
        .map(|c| match &c.witness {
            Some(p) => party_name(Some(p)),
            None => texts::UNKNOWN_WITNESS.to_owned(),
        })
        .collect();
    let mut not_proved = vec![
        texts::not_proved_other_parties(),
        texts::not_proved_after(v.tree_size),
        texts::NOT_PROVED_CONTENT.to_owned(),
    ];
    not_proved.push(if witnesses.is_empty() {
        texts::NOT_PROVED_NO_WITNESSES.to_owned()
    } else {
        texts::NOT_PROVED_WITNESS_SIGNATURES.to_owned()
    });
    if v.previous.is_none() {
        not_proved.push(texts::NOT_PROVED_FIRST_RUN.to_owned());
    }
    Proved {
        at: moment(v.at),
        proved,
        not_proved,
        witnesses,
    }
}

/// The words for a failure of the log.
pub fn failed(f: &LogFailure, at: OffsetDateTime) -> Failed {
    Failed {
        at: moment(at),
        what: texts::log_failure_words(f),
        entry: f.entry().map(|n| (n, entry_path(n))),
        detail: Error::LogNotVerified(f.clone()).to_string(),
    }
}

/// What a run that could not check says: the profile's setup in words of its own,
/// anything else as any problem with the hub.
pub fn cannot_check(e: &Error, profile: &Profile) -> Problem {
    let profile_path = profile.path.display().to_string();
    let words = |title: &str, advice: String| Problem {
        title: title.to_owned(),
        advice,
        detail: e.to_string(),
        unreachable: false,
    };
    match e {
        Error::NoLogVerifier { .. } => words(
            texts::VERIFY_NO_KEY_TITLE,
            texts::verify_no_key(&profile_path),
        ),
        Error::Usage(_) => words(
            texts::VERIFY_BAD_KEY_TITLE,
            texts::verify_bad_key(&profile_path),
        ),
        Error::LogState { path, .. } => words(
            texts::VERIFY_STATE_TITLE,
            texts::verify_state(&path.display().to_string()),
        ),
        other => texts::problem(other),
    }
}

/// The outcome of `result`.
pub fn outcome(result: Result<Verified, Error>, profile: &Profile, now: OffsetDateTime) -> Outcome {
    match result {
        Ok(v) => Outcome::Proved(proved(&v)),
        Err(Error::LogNotVerified(f)) => Outcome::Failed(failed(&f, now)),
        Err(e) => Outcome::Problem(cannot_check(&e, profile)),
    }
}

fn last_verified(profile: &Profile) -> (Option<LastVerified>, Option<Problem>) {
    match logverify::last_verified(profile) {
        Ok(last) => (
            last.map(|c| LastVerified {
                size: c.size,
                root: hex(c.root.as_bytes()),
            }),
            None,
        ),
        Err(e) => (None, Some(cannot_check(&e, profile))),
    }
}

/// `GET /logboek/verifieer`.
pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let opened = match open_officer(&app, &session, Nav::Log, texts::VERIFY_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let profile = opened.hub.profile().clone();
    let (last, setup) = last_verified(&profile);
    render(&VerifyPage {
        layout: opened.layout,
        last,
        setup,
        proved: None,
        failed: None,
        problem: None,
        state_file: profile.log_state_path().display().to_string(),
    })
}

/// `POST /logboek/verifieer`: runs the checks.
pub async fn run(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let mut opened = match open_officer(&app, &session, Nav::Log, texts::VERIFY_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let profile = opened.hub.profile().clone();
    let result = logverify::verify(&mut opened.hub, opened.now).await;
    let outcome = outcome(result, &profile, opened.now);
    let (last, setup) = last_verified(&profile);
    let status = match &outcome {
        Outcome::Proved(_) => StatusCode::OK,
        // A log that does not verify is the answer to the question asked, not an
        // error of the console; the page says so loudly.
        Outcome::Failed(_) => StatusCode::OK,
        Outcome::Problem(p) if p.unreachable => StatusCode::SERVICE_UNAVAILABLE,
        Outcome::Problem(_) => StatusCode::OK,
    };
    let (mut proved, mut failed, mut problem) = (None, None, None);
    match outcome {
        Outcome::Proved(p) => proved = Some(p),
        Outcome::Failed(f) => failed = Some(f),
        // The profile's own problem is shown once, where the form would be.
        Outcome::Problem(p) if setup.as_ref() != Some(&p) => problem = Some(p),
        Outcome::Problem(_) => {}
    }
    render_with(
        &VerifyPage {
            layout: opened.layout,
            last,
            setup,
            proved,
            failed,
            problem,
            state_file: profile.log_state_path().display().to_string(),
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use treiter_proto::v1 as wire;
    use treiter_translog::hash::Hash;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

    fn verified(previous: Option<u64>, witnesses: bool) -> Verified {
        Verified {
            origin: "treiteraanpak.test/hub-log".into(),
            tree_size: 40,
            root: Hash::from_slice(&[7u8; 32]).expect("hash"),
            entries: 6,
            entry_range: Some((3, 37)),
            previous,
            cosignatures: if witnesses {
                vec![wire::WitnessCosignature {
                    witness: Some(wire::Party {
                        oin: "00000002000000000002".into(),
                        name: "Politie Eenheid Amsterdam".into(),
                        kind: "politie".into(),
                    }),
                    signature_line: "— witness-00000002000000000002 abc".into(),
                    received_at: None,
                    verifier_key: String::new(),
                }]
            } else {
                Vec::new()
            },
            state_file: "/p/hubctl.toml.log-checkpoint".into(),
            at: NOW,
        }
    }

    #[test]
    fn a_verification_says_what_it_proved_and_what_not() {
        let p = proved(&verified(Some(31), true));
        assert_eq!(p.at.text, "vr 20 nov. 2026 13:00");
        let all = p.proved.join("\n");
        assert!(all.contains("Het checkpoint van 40 vermeldingen"), "{all}");
        assert!(all.contains("treiteraanpak.test/hub-log"), "{all}");
        assert!(
            all.contains("6 vermeldingen van uw partij (nr. 3 tot en met 37)"),
            "{all}"
        );
        assert!(all.contains("checkpoint van 31 vermeldingen"), "{all}");
        let not = p.not_proved.join("\n");
        assert!(not.contains("andere partijen"), "{not}");
        assert!(not.contains("na vermelding 39"), "{not}");
        assert_eq!(p.witnesses, ["Politie Eenheid Amsterdam"]);
        let first = proved(&verified(None, false));
        let all = first.proved.join("\n");
        assert!(all.contains("eerste verificatie"), "{all}");
        assert!(all.contains("/p/hubctl.toml.log-checkpoint"), "{all}");
        assert!(first.witnesses.is_empty());
        assert!(
            first
                .not_proved
                .iter()
                .any(|s| s == texts::NOT_PROVED_NO_WITNESSES)
        );
    }

    #[test]
    fn the_page_shows_proof_or_failure_and_the_form() {
        let layout = || crate::console::pages::officer::test_layout("Logboek verifiëren", Nav::Log);
        let ok = VerifyPage {
            layout: layout(),
            last: Some(LastVerified {
                size: 31,
                root: "ab".repeat(32),
            }),
            setup: None,
            proved: Some(proved(&verified(Some(31), true))),
            failed: None,
            problem: None,
            state_file: "/p/hubctl.toml.log-checkpoint".into(),
        };
        let html = ok.render().expect("render");
        assert!(html.contains("Het logboek is geverifieerd"), "{html}");
        assert!(
            html.contains("<li>Politie Eenheid Amsterdam</li>"),
            "{html}"
        );
        assert!(html.contains("action=\"/logboek/verifieer\""), "{html}");
        let bad = VerifyPage {
            layout: layout(),
            last: None,
            setup: None,
            proved: None,
            failed: Some(failed(&LogFailure::LeafHash { entry: 5 }, NOW)),
            problem: None,
            state_file: String::new(),
        };
        let html = bad.render().expect("render");
        assert!(html.contains("Het logboek is NIET geverifieerd"), "{html}");
        assert!(html.contains("href=\"/logboek/5\""), "{html}");
    }

    #[test]
    fn a_failure_names_the_entry() {
        let f = failed(
            &LogFailure::Inclusion {
                entry: 17,
                detail: "the proof does not lead to the root".into(),
            },
            NOW,
        );
        assert_eq!(f.entry, Some((17, "/logboek/17".to_owned())));
        assert!(f.what.contains("Vermelding 17"), "{}", f.what);
        assert!(f.detail.contains("does NOT verify"), "{}", f.detail);
        let fork = failed(&LogFailure::Fork { size: 12 }, NOW);
        assert_eq!(fork.entry, None);
        assert!(fork.what.contains("12 vermeldingen"), "{}", fork.what);
        let sig = failed(
            &LogFailure::Signature {
                detail: "no valid signature".into(),
            },
            NOW,
        );
        assert!(sig.what.contains("handtekening"), "{}", sig.what);
    }
}
