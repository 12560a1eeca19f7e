//! Who may talk to the console, and how every answer is hardened.
//!
//! The console serves one person, at this machine, with that person's certificate
//! behind it: anyone who can send it a request acts with the person's authority. So:
//!
//! | threat | rule | where |
//! |---|---|---|
//! | another machine | listen on loopback only | [`check_listen`] |
//! | another local user or program guessing in | a one-time sign-in token of 256 random bits, in a link only the terminal shows; it becomes a session cookie | [`Gate::sign_in`] |
//! | a web page in the same browser (DNS rebinding) | the `Host` header must be the bound `127.0.0.1:PORT` (or `[::1]:PORT`) or `localhost:PORT` | [`Gate::host_allowed`] |
//! | a web page in the same browser (CSRF) | the cookie is `SameSite=Strict`; every form that changes something carries a token bound to the session, compared in constant time; a form must be `application/x-www-form-urlencoded` and, if the browser says where it came from (`Origin`, `Sec-Fetch-Site`), come from the console itself | [`guard`] |
//! | script in a page (XSS) | templates escape every value; a strict Content-Security-Policy without inline script or style; the cookie is `HttpOnly` | [`harden`] |
//! | framing, sniffing, leaks | `frame-ancestors 'none'`, `nosniff`, `no-referrer`, `no-store` | [`harden`] |
//!
//! The cookie's name carries the port: cookies are not kept apart by port, and two
//! consoles (two profiles) on one machine must not overwrite each other's session.
//!
//! The token works once: the session is the console's only state, and there is at most
//! one. Signing out ends it for good (start `hubctl console` again for a new link).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

use super::App;
use super::layout::{MessagePage, render_status};
use super::texts;
use crate::error::Error;

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The path of the sign-in link.
pub const SIGN_IN_PATH: &str = "/aanmelden";
/// The path that signs out (a POST form).
pub const SIGN_OUT_PATH: &str = "/afmelden";
/// The prefix of the console's own static files (reachable without a session: they
/// hold nothing but the console's code and styles).
pub const STATIC_PREFIX: &str = "/static/";
/// The largest form body the console reads (a covenant proposal fits many times).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The Content-Security-Policy of every answer: the console's own files only, no
/// inline script or style, no framing, forms only to itself.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// 256 random bits from the operating system's generator.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl Secret {
    /// A fresh secret.
    pub fn random() -> Result<Secret, Error> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| Error::Console {
                what: "cannot draw a random token".to_owned(),
                source: std::io::Error::other("the operating system's random generator failed"),
            })?;
        Ok(Secret(bytes))
    }

    /// As 64 lowercase hex characters.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `text` is this secret in hex, compared in constant time (the length of
    /// a wrong guess is no secret).
    pub fn matches(&self, text: &str) -> bool {
        let Some(bytes) = decode_hex32(text) else {
            return false;
        };
        bool::from(self.0.ct_eq(&bytes))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        let (hi, lo) = (digit(pair[0])?, digit(pair[1])?);
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Refuses a listen address that is not loopback: the console is for the person at
/// this machine.
pub fn check_listen(addr: SocketAddr) -> Result<(), Error> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--listen {addr}: the console listens on loopback only (127.0.0.1 or [::1]), since whoever reaches it acts with your certificate; use e.g. --listen 127.0.0.1:8470"
        )))
    }
}

/// The session a request carries, as handlers receive it (an axum extension).
#[derive(Clone, Debug)]
pub struct Session {
    /// The CSRF token to put in every form ([`CSRF_FIELD`]).
    pub csrf: String,
}

enum Door {
    /// Nobody has signed in; the token in the printed link opens the door once.
    Waiting { token: Secret },
    /// Signed in: the cookie's value and the session's CSRF token.
    Open { session: Secret, csrf: Secret },
    /// Signed out: nothing opens it again.
    Closed,
}

/// The console's door: the sign-in token, then the one session.
pub struct Gate {
    hosts: Vec<String>,
    origin: String,
    cookie: String,
    door: Mutex<Door>,
}

impl Gate {
    /// A gate for a console bound to `addr`, with a fresh sign-in token (returned in
    /// hex, for the link).
    pub fn new(addr: SocketAddr) -> Result<(Gate, String), Error> {
        let token = Secret::random()?;
        let hex = token.hex();
        let port = addr.port();
        let hosts = vec![addr.to_string(), format!("localhost:{port}")];
        Ok((
            Gate {
                origin: format!("http://{addr}"),
                hosts,
                cookie: format!("treiter_console_{port}"),
                door: Mutex::new(Door::Waiting { token }),
            },
            hex,
        ))
    }

    fn door(&self) -> std::sync::MutexGuard<'_, Door> {
        self.door.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the request's `Host` names this console (DNS rebinding: a page of
    /// evil.example that resolves to 127.0.0.1 still says `Host: evil.example`).
    pub fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let mut hosts = headers.get_all(header::HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(host), None) => host
                .to_str()
                .is_ok_and(|h| self.hosts.iter().any(|ok| ok.eq_ignore_ascii_case(h))),
            _ => false,
        }
    }

    /// Opens the door with the sign-in token: the session cookie's `Set-Cookie` value,
    /// or `None` when the token is wrong or was used before.
    pub fn sign_in(&self, token: &str) -> Result<Option<String>, Error> {
        let mut door = self.door();
        let Door::Waiting { token: expected } = &*door else {
            return Ok(None);
        };
        if !expected.matches(token) {
            return Ok(None);
        }
        let session = Secret::random()?;
        let csrf = Secret::random()?;
        let cookie = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            self.cookie,
            session.hex()
        );
        *door = Door::Open { session, csrf };
        Ok(Some(cookie))
    }

    /// Ends the session for good; the `Set-Cookie` value that removes the cookie.
    pub fn sign_out(&self) -> String {
        *self.door() = Door::Closed;
        format!(
            "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
            self.cookie
        )
    }

    /// The session the request's cookie opens, if any.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let door = self.door();
        let Door::Open { session, csrf } = &*door else {
            return None;
        };
        let presented = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.cookie)
            .map(|(_, value)| value);
        // Every cookie of that name is compared, so that none is skipped early.
        let mut open = false;
        for value in presented {
            open |= session.matches(value);
        }
        open.then(|| Session { csrf: csrf.hex() })
    }

    /// Whether `token` is the CSRF token of the open session (constant time).
    fn csrf_ok(&self, token: &str) -> bool {
        match &*self.door() {
            Door::Open { csrf, .. } => csrf.matches(token),
            _ => false,
        }
    }

    /// Whether what the browser says about a form's origin (when it says anything) is
    /// this console. `Sec-Fetch-Site` is set by the browser itself and cannot be
    /// forged by a page; when it says `same-origin`, an `Origin: null` is what a
    /// browser sends under `Referrer-Policy: no-referrer` and is accepted. Without it
    /// (an older browser), an `Origin` must name this console.
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        let named = |o: &str| {
            o.eq_ignore_ascii_case(&self.origin)
                || self
                    .hosts
                    .iter()
                    .any(|h| o.eq_ignore_ascii_case(&format!("http://{h}")))
        };
        let origin = headers
            .get(header::ORIGIN)
            .map(|o| o.to_str().unwrap_or("?"));
        match headers.get("sec-fetch-site") {
            Some(site) => {
                (site == "same-origin" || site == "none")
                    && origin.is_none_or(|o| o == "null" || named(o))
            }
            None => origin.is_none_or(named),
        }
    }
}

/// Every request passes here first: Host, then session, then (for anything but GET
/// and HEAD) the form's origin, type and CSRF token. Every answer, refusals included,
/// leaves through [`harden`].
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = admit(&app, request, next).await;
    harden(response.headers_mut());
    response
}

async fn admit(app: &App, request: Request, next: Next) -> Response {
    let gate = &app.gate;
    if !gate.host_allowed(request.headers()) {
        // Plain text: a page (with its stylesheet link) would be served to a host name
        // that is not ours.
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "refused: the Host header does not name this console (protection against DNS rebinding); use the address hubctl console printed\n",
        )
            .into_response();
    }
    let path = request.uri().path();
    if path == SIGN_IN_PATH || path.starts_with(STATIC_PREFIX) {
        return next.run(request).await;
    }
    let Some(session) = gate.session(request.headers()) else {
        return MessagePage::new(texts::NO_SESSION_TITLE, texts::NO_SESSION)
            .respond(StatusCode::UNAUTHORIZED);
    };
    let request = if request.method() == Method::GET || request.method() == Method::HEAD {
        request
    } else {
        match checked_form(gate, request).await {
            Ok(request) => request,
            Err(refusal) => return refusal,
        }
    };
    let mut request = request;
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// A form that changes something: from this console, urlencoded, with the session's
/// CSRF token. Returns the request with its body restored for the handler.
async fn checked_form(gate: &Gate, request: Request) -> Result<Request, Response> {
    let forged =
        || MessagePage::new(texts::FORGED_TITLE, texts::FORGED).respond(StatusCode::FORBIDDEN);
    if !gate.same_origin(request.headers()) {
        return Err(forged());
    }
    let urlencoded = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !urlencoded {
        return Err(forged());
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let token = form_value(&bytes, CSRF_FIELD).unwrap_or_default();
    if !gate.csrf_ok(&token) {
        return Err(forged());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The value of field `name` in an urlencoded body (the first, if repeated).
pub fn form_value(body: &Bytes, name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let key = decode_component(halves.next()?)?;
        (key == name).then(|| decode_component(halves.next().unwrap_or_default()))?
    })
}

/// Percent-decoding with `+` as space (application/x-www-form-urlencoded).
fn decode_component(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The security headers of every answer.
pub fn harden(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
}

/// The sign-in link's query.
#[derive(serde::Deserialize)]
pub struct SignIn {
    token: Option<String>,
}

/// `GET /aanmelden?token=...`: the token becomes the session cookie, and the browser
/// goes on to an address without the token (so it is in no history or bookmark).
pub async fn sign_in(State(app): State<Arc<App>>, Query(q): Query<SignIn>) -> Response {
    match app.gate.sign_in(q.token.as_deref().unwrap_or_default()) {
        Ok(Some(cookie)) => {
            let mut response = Redirect::to("/").into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(None) => MessagePage::new(texts::SIGN_IN_REFUSED_TITLE, texts::SIGN_IN_REFUSED)
            .respond(StatusCode::FORBIDDEN),
        Err(e) => render_status(&texts::problem(&e), StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// `POST /afmelden`: ends the session for good.
pub async fn sign_out(State(app): State<Arc<App>>) -> Response {
    let cookie = app.gate.sign_out();
    let mut response =
        MessagePage::new(texts::SIGNED_OUT_TITLE, texts::SIGNED_OUT).respond(StatusCode::OK);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> (Gate, String) {
        Gate::new("127.0.0.1:8470".parse().expect("addr")).expect("gate")
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name.clone(), HeaderValue::from_str(value).expect("value"));
        }
        h
    }

    fn cookie_value(set_cookie: &str) -> String {
        set_cookie.split(';').next().expect("pair").to_owned()
    }

    #[test]
    fn only_loopback_is_listened_on() {
        check_listen("127.0.0.1:0".parse().expect("v4")).expect("loopback");
        check_listen("[::1]:0".parse().expect("v6")).expect("loopback");
        let refused = check_listen("0.0.0.0:8470".parse().expect("any")).unwrap_err();
        assert!(matches!(refused, Error::Usage(ref m) if m.contains("loopback only")));
        let refused = check_listen("192.168.1.5:8470".parse().expect("lan")).unwrap_err();
        assert_eq!(refused.exit(), crate::error::Exit::Usage);
    }

    #[test]
    fn tokens_are_256_random_bits() {
        let (a, ta) = gate();
        let (_, tb) = gate();
        assert_eq!(ta.len(), 64);
        assert_ne!(ta, tb);
        drop(a);
    }

    #[test]
    fn the_token_opens_the_door_once() {
        let (gate, token) = gate();
        assert_eq!(gate.sign_in("0".repeat(64).as_str()).expect("rng"), None);
        assert_eq!(gate.sign_in("not hex").expect("rng"), None);
        let cookie = gate.sign_in(&token).expect("rng").expect("first use");
        assert!(cookie.starts_with("treiter_console_8470="), "{cookie}");
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("; Path=/"), "{cookie}");
        assert_eq!(gate.sign_in(&token).expect("rng"), None, "used once");
        let session = gate.session(&headers(&[(header::COOKIE, &cookie_value(&cookie))]));
        assert!(session.is_some());
        gate.sign_out();
        assert!(
            gate.session(&headers(&[(header::COOKIE, &cookie_value(&cookie))]))
                .is_none(),
            "signed out for good"
        );
        assert_eq!(gate.sign_in(&token).expect("rng"), None);
    }

    #[test]
    fn only_the_session_cookie_opens() {
        let (gate, token) = gate();
        let cookie = cookie_value(&gate.sign_in(&token).expect("rng").expect("open"));
        let forged = format!("treiter_console_8470={}", "ab".repeat(32));
        assert!(
            gate.session(&headers(&[(header::COOKIE, &forged)]))
                .is_none()
        );
        assert!(gate.session(&HeaderMap::new()).is_none());
        // The same value under another port's name does not open this console.
        let other_port = cookie.replace("_8470=", "_8471=");
        assert!(
            gate.session(&headers(&[(header::COOKIE, &other_port)]))
                .is_none()
        );
        // Among other cookies, and with a forged one beside it.
        let mixed = format!("a=b; {forged}; {cookie}");
        assert!(
            gate.session(&headers(&[(header::COOKIE, &mixed)]))
                .is_some()
        );
    }

    #[test]
    fn only_the_bound_host_is_served() {
        let (gate, _) = gate();
        let ok = |host: &str| gate.host_allowed(&headers(&[(header::HOST, host)]));
        assert!(ok("127.0.0.1:8470"));
        assert!(ok("localhost:8470"));
        assert!(ok("LOCALHOST:8470"));
        assert!(!ok("evil.example:8470"), "DNS rebinding");
        assert!(!ok("127.0.0.1:8471"));
        assert!(!ok("127.0.0.1"));
        assert!(!gate.host_allowed(&HeaderMap::new()), "no Host at all");
        let two = headers(&[
            (header::HOST, "127.0.0.1:8470"),
            (header::HOST, "evil.example"),
        ]);
        assert!(!gate.host_allowed(&two));
    }

    #[test]
    fn forms_come_from_the_console_itself() {
        let (gate, _) = gate();
        let same = |pairs: &[(header::HeaderName, &str)]| gate.same_origin(&headers(pairs));
        assert!(same(&[]), "a browser that says nothing relies on the token");
        assert!(same(&[(header::ORIGIN, "http://127.0.0.1:8470")]));
        assert!(same(&[(header::ORIGIN, "http://localhost:8470")]));
        assert!(!same(&[(header::ORIGIN, "http://evil.example")]));
        assert!(!same(&[(header::ORIGIN, "null")]));
        let site = header::HeaderName::from_static("sec-fetch-site");
        assert!(same(&[(site.clone(), "same-origin")]));
        assert!(!same(&[(site.clone(), "cross-site")]));
        assert!(
            !same(&[(site.clone(), "same-site")]),
            "another port of 127.0.0.1"
        );
        // What Chromium sends for the console's own forms under no-referrer.
        assert!(same(&[
            (header::ORIGIN, "null"),
            (site.clone(), "same-origin")
        ]));
        assert!(!same(&[
            (header::ORIGIN, "null"),
            (site.clone(), "cross-site")
        ]));
        assert!(!same(&[
            (header::ORIGIN, "http://evil.example"),
            (site, "same-origin")
        ]));
    }

    #[test]
    fn form_values_are_decoded() {
        let body = Bytes::from_static(b"a=1&_csrf=ab%63d&name=Jan+de+Vries&empty");
        assert_eq!(form_value(&body, "_csrf").as_deref(), Some("abcd"));
        assert_eq!(form_value(&body, "name").as_deref(), Some("Jan de Vries"));
        assert_eq!(form_value(&body, "empty").as_deref(), Some(""));
        assert_eq!(form_value(&body, "missing"), None);
        assert_eq!(form_value(&Bytes::from_static(b"_csrf=%zz"), "_csrf"), None);
    }
}
