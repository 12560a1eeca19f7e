//! `hubctl console`: a web console on 127.0.0.1 for the person whose profile it is
//! given, for coordinators and privacy officers who work in a browser.
//!
//! # Design
//! - **Where it lives.** Here, a module of hubctl, not a crate of its own: the pages
//!   must call the same client functions hubctl's commands call ([`crate::hub`],
//!   [`crate::queries`], [`crate::commands`], [`crate::officer`], [`crate::covenant`]),
//!   and a console crate that depended on hubctl's library while hubctl's binary
//!   depended on the console would be a cycle. There is no second gRPC client: a page
//!   leases a [`Hub`] ([`hubs`]) and asks through it, with the person's own
//!   certificate, so the hub's identity model is unchanged.
//! - **No state but the session.** Every page asks the hub again; the console caches
//!   nothing the hub holds. Its only state is the sign-in token and then the one
//!   session ([`security`]).
//! - **Server-rendered HTML** with axum (HTTP/1.1 on loopback) and askama templates,
//!   which are checked at compile time and escape every value for HTML. Every page
//!   works with JavaScript off; htmx (vendored under `static/`) only makes parts live
//!   (the status bar polls `/status`).
//! - **Article 8.4.** Identifying data typed into a form is pseudonymised in this
//!   process with the profile's covenant key ([`identity`]), by the function `subject
//!   add` uses; it is never sent, logged or shown.
//! - **Security** (each rule with a test that a forged request is refused): loopback
//!   only, a one-time 256-bit sign-in token that becomes an `HttpOnly`,
//!   `SameSite=Strict` session cookie, the `Host` header checked against DNS rebinding,
//!   a CSRF token in every form that changes something, and a strict
//!   Content-Security-Policy with the other hardening headers on every answer. See
//!   [`security`] for the table of threats and rules.
//! - **Words.** Dutch, from one catalogue ([`texts`]), with the covenant's vocabulary
//!   exactly as docs/COVENANT.md writes it; parties by name (an OIN only in a detail line);
//!   moments in Amsterdam time ([`dates`]).
//! - **Accessibility (WCAG 2.1 AA).** Semantic HTML (landmarks, headings, tables with
//!   captions and header cells), a label for every field, a skip link, visible focus,
//!   contrast of at least 4.5:1, everything usable with the keyboard alone, and a print
//!   stylesheet (`static/console.css`). The browser tests run axe-core on every page.
//!
//! # Layout
//! - [`security`]: listen address, sign-in token, session cookie, Host and CSRF
//!   checks, hardening headers.
//! - [`hubs`]: the pool of hub connections the pages lease.
//! - [`layout`]: the frame of every page (`templates/layout.html`): skip link,
//!   header, menu ([`layout::Nav`]), status bar, footer; message and problem pages.
//! - [`texts`]: every Dutch word the console shows.
//! - [`dates`]: moments in Amsterdam time, in Dutch.
//! - [`identity`]: identifying data from forms, pseudonymised here (article 8.4).
//! - [`assets`]: the static files (`static/`: stylesheet, htmx).
//! - [`pages`]: one module per page, each with its template in `templates/`:
//!   - [`pages::cases`]: **Mijn casussen**, `GET /casussen` (`cases.html`);
//!   - [`pages::whoami`]: **Wie ben ik**, `GET /wie-ben-ik` (`whoami.html`);
//!   - [`pages`] itself: `/` (to the first page for the person's roles), `/status`
//!     (the status bar, for htmx), and the not-found page.
//!   - [`pages::bevraging`]: **Bevraging**, `GET`/`POST /casussen/{case}/bevraging`
//!     (`bevraging.html`);
//!   - [`pages::casefiles`]: **Casusdossiers** of a case and the request form,
//!     `GET`/`POST /casussen/{case}/casusdossiers` (`casefiles.html`);
//!   - [`pages::casefile`]: **Casusdossier**, `GET /casusdossiers/{id}` (`casefile.html`
//!     with `casefile_body.html`), live while assembled through
//!     `GET /casusdossiers/{id}/voortgang` (`casefile_fragment.html`), then the printable
//!     report.
//!   - [`pages::case`]: **Casus**, `GET /casussen/{id}` (`case.html`, its forms'
//!     fields drawn by `form_macros.html`), with its forms' handlers in
//!     [`pages::case_forms`], `POST /casussen/{id}/...` (phase, contact, subjects,
//!     consent, participants, escalation, emergency);
//!   - [`pages::new_case`]: **Nieuwe casus**, `GET` and `POST /casussen/nieuw`
//!     (`new_case.html`);
//!   - [`form`]: a form's request id (a change sent twice is made once), its values and
//!     refusal when drawn again; [`refusal`]: the hub's refusals read for the form
//!     they concern, in Dutch.
//!   - [`pages::officer`]: the privacy officers' pages: **Logboek** (`/logboek`, an
//!     entry at `/logboek/{index}`, exports), **Verifieer** (`/logboek/verifieer`),
//!     **Meldingen** (`/meldingen`) and **Inzage** (`/inzage`, an overview at
//!     `/inzage/{id}`); its module doc lists each file.
//!   - [`pages::covenant`]: **Convenant**, for privacy officers, under `/convenant`:
//!     the versions, a version's text, two versions side by side with what changes
//!     for whom, the proposal editor (checked live with htmx) and approval (its module
//!     doc has the table of routes and templates).
//!
//! # Adding a page
//! 1. Add `pages/<name>.rs` with a `#[derive(Template)]` struct that has a `layout:
//!    Layout` field, and `templates/<name>.html` that `{% extends "layout.html" %}` and
//!    fills `{% block content %}`. Take every word from [`texts`] (add the new ones
//!    there); show covenant words in `<code>`.
//! 2. The handler: `open(&app, &session, Nav::X, texts::TITLE)` (who am I, the frame,
//!    or the problem page when the hub cannot answer), then ask the hub through the
//!    shared functions of [`crate::queries`] (move a CLI command's call there first
//!    if it prints instead of returning data), build the view with a pure function
//!    that takes `now`, and `render` it. A refusal of the hub goes to
//!    [`pages::problem_page`], or next to the field it concerns.
//! 3. Add the page to [`layout::Nav`] if it belongs in the menu, and its route to
//!    [`router`].
//! 4. A form that changes something is `method="post"` and carries
//!    `<input type="hidden" name="{{ layout.csrf_field }}" value="{{ layout.csrf }}">`;
//!    the guard refuses it otherwise. After a change, answer with a redirect to the
//!    page that shows the result (post/redirect/get).
//! 5. Unit-test the view function in the module; add a browser test in
//!    `tests/tests/console/` that opens the page, asserts what it shows, runs axe
//!    and walks its forms with the keyboard (`tests/tests/console/browser.rs` has the
//!    helpers), and writes a screenshot.

pub mod assets;
pub mod dates;
pub mod hubs;
// Casus / Nieuwe casus:
pub mod form;
pub mod identity;
pub mod layout;
pub mod pages;
pub mod refusal;
pub mod security;
pub mod texts;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::error::Error;
use crate::hub::Hub;
use hubs::Hubs;
use security::{Gate, SIGN_IN_PATH, SIGN_OUT_PATH};

/// Everything the handlers share.
pub struct App {
    /// The sign-in token, then the session.
    pub gate: Gate,
    /// The connections to the hub.
    pub hubs: Hubs,
}

/// Every route of the console, behind [`security::guard`].
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route(layout::Nav::Cases.path(), get(pages::cases::page))
        .route(layout::Nav::WhoAmI.path(), get(pages::whoami::page))
        // Casus / Nieuwe casus:
        .route(
            layout::Nav::NewCase.path(),
            get(pages::new_case::page).post(pages::new_case::create),
        )
        .route("/casussen/{id}", get(pages::case::page))
        .route("/casussen/{id}/fase", post(pages::case_forms::move_phase))
        .route(
            "/casussen/{id}/contact",
            post(pages::case_forms::record_contact),
        )
        .route(
            "/casussen/{id}/betrokkenen",
            post(pages::case_forms::add_subject),
        )
        .route(
            "/casussen/{id}/betrokkenen/wijzigen",
            post(pages::case_forms::update_subject),
        )
        .route(
            "/casussen/{id}/betrokkenen/verwijderen",
            post(pages::case_forms::remove_subject),
        )
        .route(
            "/casussen/{id}/toestemming",
            post(pages::case_forms::record_consent),
        )
        .route(
            "/casussen/{id}/toestemming/intrekken",
            post(pages::case_forms::withdraw_consent),
        )
        .route(
            "/casussen/{id}/deelnemers",
            post(pages::case_forms::add_participant),
        )
        .route(
            "/casussen/{id}/deelnemers/verwijderen",
            post(pages::case_forms::remove_participant),
        )
        .route(
            "/casussen/{id}/escaleren",
            post(pages::case_forms::escalate),
        )
        .route(
            "/casussen/{id}/spoed",
            post(pages::case_forms::declare_emergency),
        )
        // Convenant (pages::covenant): its routes are listed in its module doc.
        .merge(pages::covenant::routes())
        .route("/status", get(pages::status))
        .route(SIGN_IN_PATH, get(security::sign_in))
        .route(SIGN_OUT_PATH, post(security::sign_out))
        .route("/static/{file}", get(assets::serve))
        // The privacy officers' pages (Logboek, Verifieer, Meldingen, Inzage).
        .merge(pages::officer::routes())
        // Bevraging and Casusdossier (pages::bevraging, pages::casefiles, pages::casefile).
        .route(
            "/casussen/{id}/bevraging",
            get(pages::bevraging::page).post(pages::bevraging::ask),
        )
        .route(
            "/casussen/{id}/casusdossiers",
            get(pages::casefiles::page).post(pages::casefiles::request),
        )
        .route("/casusdossiers/{id}", get(pages::casefile::page))
        .route(
            "/casusdossiers/{id}/voortgang",
            get(pages::casefile::progress),
        )
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security::guard,
        ))
        .with_state(app)
}

/// A console bound to its address, not yet serving.
pub struct Console {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The one-time sign-in link.
    pub sign_in_url: String,
}

impl Console {
    /// Binds `listen` (loopback only) for the person of `hub`'s profile.
    pub async fn bind(listen: SocketAddr, hub: Hub) -> Result<Console, Error> {
        security::check_listen(listen)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| Error::Console {
                what: format!(
                    "cannot listen on {listen}; choose another port with --listen 127.0.0.1:PORT"
                ),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Console {
            what: "cannot read its own address".to_owned(),
            source,
        })?;
        let (gate, token) = Gate::new(addr)?;
        Ok(Console {
            listener,
            app: Arc::new(App {
                gate,
                hubs: Hubs::new(hub),
            }),
            url: format!("http://{addr}/"),
            sign_in_url: format!("http://{addr}{SIGN_IN_PATH}?token={token}"),
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        axum::serve(self.listener, router(self.app))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| Error::Console {
                what: "stopped serving".to_owned(),
                source,
            })
    }
}

/// `hubctl console`: binds, prints the sign-in link (and opens it in the browser with
/// `--open`), and serves until Ctrl-C.
pub async fn run(
    hub: Hub,
    listen: SocketAddr,
    open: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let profile = hub.profile().path.display().to_string();
    let console = Console::bind(listen, hub).await?;
    let text = format!(
        "hubctl console for profile {profile} at {}\nopen this link once to sign in (it works once; keep it to yourself):\n  {}\nstop with Ctrl-C\n",
        console.url, console.sign_in_url
    );
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    // Kept until the console stops: the private file that hands the link to the
    // browser (see `open_in_browser`).
    let _handoff = if open {
        match open_in_browser(&console.sign_in_url) {
            Ok(dir) => Some(dir),
            Err(why) => {
                let line =
                    format!("could not open a browser ({why}); open the link above yourself\n");
                out.write_all(line.as_bytes()).map_err(Error::Output)?;
                None
            }
        }
    } else {
        None
    };
    console
        .serve(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Opens the sign-in link in the person's browser without putting the token on a
/// command line (which other users of the machine can read): the link goes into a
/// file only the person can read, and the browser opens that file, which forwards to
/// the link. Returns the directory holding the file (deleted when dropped).
fn open_in_browser(link: &str) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("hubctl-console-")
        .tempdir()
        .map_err(|e| format!("cannot create a private directory: {e}"))?;
    let file = dir.path().join("aanmelden.html");
    let html = format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={link}\"><title>Aanmelden</title></head><body><p><a href=\"{link}\">Aanmelden bij de console</a></p></body></html>\n"
    );
    std::fs::write(&file, html).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot protect {}: {e}", file.display()))?;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(opener)
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{opener}: {e}"))?;
    // Reaped in the background: the opener returns once the browser has the file.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(dir)
}
