//! Every rule of the console's door, each with a forged request that is refused, then
//! the genuine one that passes (so a refusal is not just a broken console): the
//! one-time token, the Host header (DNS rebinding), the session cookie, the CSRF token
//! (missing, wrong, from another origin, in another encoding), and the hardening
//! headers on every answer, refusals included.

use super::{Answer, ConsoleProcess, raw};
use crate::support::{Pki, TestHub, hubctl_profile};

const IM_OOST: &str = "p-gemeente-001";

fn assert_hardened(answer: &Answer, what: &str) {
    let csp = answer
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy: {answer:?}"));
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{what}: the CSP lacks {part}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        answer.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        answer.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
}

/// The session cookie pair (`name=value`) from a sign-in answer.
fn session_cookie(answer: &Answer) -> String {
    let set = answer
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no Set-Cookie: {answer:?}"));
    set.split(';').next().expect("pair").to_owned()
}

/// The CSRF token in a page's forms.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"_csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in the page: {page}"));
    page[at + 20..at + 20 + 64].to_owned()
}

#[tokio::test]
async fn the_console_refuses_every_forged_request() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let profile = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let console = ConsoleProcess::start(&profile).await;
    let host = console.host.clone();
    let port = host.rsplit(':').next().expect("port").to_owned();
    let sign_in = console.sign_in_path();
    let token = sign_in.rsplit('=').next().expect("token").to_owned();
    assert_eq!(token.len(), 64, "a 256-bit token in hex: {sign_in}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    // No cookie: no page (and no hub call on the caller's behalf).
    let no_cookie = raw(
        &console,
        &format!("GET /casussen HTTP/1.1\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(no_cookie.status, 401, "{no_cookie:?}");
    assert!(
        no_cookie.body.contains("U bent niet aangemeld"),
        "{}",
        no_cookie.body
    );
    assert_hardened(&no_cookie, "no cookie");

    // A wrong token.
    let wrong = format!("/aanmelden?token={}", "0".repeat(64));
    let refused = raw(&console, &format!("GET {wrong} HTTP/1.1\nHost: {host}"), "").await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.header("set-cookie").is_none());

    // DNS rebinding: the right token, but a page of another site that resolves to
    // 127.0.0.1 sends its own host name. Refused, and the token is not used up.
    let rebinding = raw(
        &console,
        &format!("GET {sign_in} HTTP/1.1\nHost: evil.example:{port}"),
        "",
    )
    .await;
    assert_eq!(rebinding.status, 421, "{rebinding:?}");
    assert!(rebinding.header("set-cookie").is_none());
    assert_hardened(&rebinding, "wrong Host");

    // The genuine sign-in: a session cookie, and on to an address without the token.
    let signed_in = raw(
        &console,
        &format!("GET {sign_in} HTTP/1.1\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    assert_eq!(signed_in.header("location"), Some("/"));
    let set = signed_in.header("set-cookie").expect("cookie");
    assert!(
        set.starts_with(&format!("treiter_console_{port}=")),
        "{set}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            set.contains(attribute),
            "the cookie lacks {attribute}: {set}"
        );
    }
    assert_hardened(&signed_in, "sign-in");
    let cookie = session_cookie(&signed_in);

    // The token works once.
    let reused = raw(
        &console,
        &format!("GET {sign_in} HTTP/1.1\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(reused.status, 403, "{reused:?}");
    assert!(reused.body.contains("werkt niet (meer)"), "{}", reused.body);
    assert!(reused.header("set-cookie").is_none());

    // With the cookie, a page; with the cookie and a foreign Host, none.
    let page = raw(
        &console,
        &format!("GET /wie-ben-ik HTTP/1.1\nHost: {host}\nCookie: {cookie}"),
        "",
    )
    .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("p-gemeente-001"), "{}", page.body);
    assert_hardened(&page, "a page");
    let via_localhost = raw(
        &console,
        &format!("GET /wie-ben-ik HTTP/1.1\nHost: localhost:{port}\nCookie: {cookie}"),
        "",
    )
    .await;
    assert_eq!(
        via_localhost.status, 200,
        "localhost:PORT is this console too"
    );
    let rebound = raw(
        &console,
        &format!("GET /wie-ben-ik HTTP/1.1\nHost: evil.example:{port}\nCookie: {cookie}"),
        "",
    )
    .await;
    assert_eq!(rebound.status, 421, "{rebound:?}");
    assert!(!rebound.body.contains("p-gemeente-001"));

    // A forged cookie.
    let forged_cookie = format!("treiter_console_{port}={}", "ab".repeat(32));
    let forged = raw(
        &console,
        &format!("GET /wie-ben-ik HTTP/1.1\nHost: {host}\nCookie: {forged_cookie}"),
        "",
    )
    .await;
    assert_eq!(forged.status, 401, "{forged:?}");

    // CSRF: signing out is a form; every forged variant is refused and the session
    // stays.
    let csrf = csrf_of(&page.body);
    let head = |extra: &str| {
        format!(
            "POST /afmelden HTTP/1.1\nHost: {host}\nCookie: {cookie}\nContent-Type: application/x-www-form-urlencoded{extra}"
        )
    };
    let cases: [(&str, String, String); 7] = [
        ("no CSRF token", head(""), String::new()),
        (
            "a wrong CSRF token",
            head(""),
            format!("_csrf={}", "0".repeat(64)),
        ),
        (
            "another site's origin",
            head("\nOrigin: http://evil.example"),
            format!("_csrf={csrf}"),
        ),
        (
            "a cross-site fetch",
            head("\nSec-Fetch-Site: cross-site"),
            format!("_csrf={csrf}"),
        ),
        (
            "a sandboxed cross-site form",
            head("\nOrigin: null\nSec-Fetch-Site: cross-site"),
            format!("_csrf={csrf}"),
        ),
        (
            "another console on this machine (another port)",
            head("\nOrigin: http://127.0.0.1:1\nSec-Fetch-Site: same-site"),
            format!("_csrf={csrf}"),
        ),
        (
            "a text/plain form",
            format!(
                "POST /afmelden HTTP/1.1\nHost: {host}\nCookie: {cookie}\nContent-Type: text/plain"
            ),
            format!("_csrf={csrf}"),
        ),
    ];
    for (what, head, body) in cases {
        let answer = raw(&console, &head, &body).await;
        assert_eq!(answer.status, 403, "{what}: {answer:?}");
        assert!(
            answer.body.contains("Verzoek geweigerd"),
            "{what}: {}",
            answer.body
        );
        assert!(answer.header("set-cookie").is_none(), "{what}");
        assert_hardened(&answer, what);
        let still = raw(
            &console,
            &format!("GET /wie-ben-ik HTTP/1.1\nHost: {host}\nCookie: {cookie}"),
            "",
        )
        .await;
        assert_eq!(still.status, 200, "after {what} the session is still open");
    }
    // Without the cookie, even the right token does nothing.
    let no_session = raw(
        &console,
        &format!(
            "POST /afmelden HTTP/1.1\nHost: {host}\nContent-Type: application/x-www-form-urlencoded"
        ),
        &format!("_csrf={csrf}"),
    )
    .await;
    assert_eq!(no_session.status, 401, "{no_session:?}");

    // The genuine form, from the console's own origin: signed out for good.
    let out = raw(
        &console,
        &head(&format!(
            "\nOrigin: http://{host}\nSec-Fetch-Site: same-origin"
        )),
        &format!("_csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, 200, "{out:?}");
    assert!(out.body.contains("U bent afgemeld"), "{}", out.body);
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "{out:?}"
    );
    let after = raw(
        &console,
        &format!("GET /wie-ben-ik HTTP/1.1\nHost: {host}\nCookie: {cookie}"),
        "",
    )
    .await;
    assert_eq!(after.status, 401, "the session ended");
    let again = raw(
        &console,
        &format!("GET {sign_in} HTTP/1.1\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(again.status, 403, "and no token opens it again");

    // The static files need no session, carry the same headers, and are typed.
    let css = raw(
        &console,
        &format!("GET /static/console.css HTTP/1.1\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_hardened(&css, "a static file");
    drop(console);
    hub.stop().await;
}
