//! A real browser for the console's tests: Debian's headless `chromium`, driven over
//! W3C WebDriver by Debian's `chromedriver`, with the few WebDriver commands the tests
//! use (a small client over hyper on loopback, rather than a WebDriver crate with a
//! large dependency tree), and the checks every page gets:
//! - [`Browser::axe`]: axe-core (vendored in `tests/vendor/axe-core/`) on the page,
//!   failing on any serious or critical violation;
//! - [`Browser::keyboard_walk`]: Tab through the page with the keyboard only, from the
//!   skip link on, checking that every field of a form is reached and that focus is
//!   visible on each;
//! - [`Browser::screenshot`]: a PNG in `target/console-screenshots/`.
//!
//! Without chromium and chromedriver the tests fail and say how to install them
//! (`apt-get install -y chromium chromium-driver`; `.ci/run` does), unless
//! `TREITER_SKIP_BROWSER_TESTS=1` says to skip them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// The environment variable that skips the browser tests where no browser can be
/// installed.
pub const SKIP_ENV: &str = "TREITER_SKIP_BROWSER_TESTS";
/// Where Debian puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian puts the driver.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// axe-core, vendored.
const AXE: &str = include_str!("../../vendor/axe-core/axe.min.js");
/// How long one WebDriver command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The W3C key code of Tab.
const TAB: &str = "\u{E004}";
/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session, ended (browser and driver) when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver does not end its browser: Chromium's processes are
        // re-parented to init and keep running (a whole run once left 30 headless
        // browsers eating the CPU). So: end the session cleanly (the driver then quits
        // the browser), kill the driver, and kill whatever still runs with this
        // browser's own profile directory on its command line.
        if !self.session.is_empty() {
            end_session(self.port, &self.session);
        }
        let _ = self.driver.start_kill();
        let _ = std::process::Command::new("pkill")
            .arg("-KILL")
            .arg("-f")
            .arg(format!(
                "--user-data-dir={}",
                self._profile.path().display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `DELETE /session/{id}`, blocking, bounded to a few seconds (for [`Drop`], where
/// nothing can be awaited).
fn end_session(port: u16, session: &str) {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium session; `None` when the browser
    /// tests are to be skipped (see [`SKIP_ENV`]). Panics with the install command when
    /// the browser is missing and skipping was not asked for.
    pub async fn start() -> Option<Browser> {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] with JavaScript switched off in the pages (WebDriver itself
    /// still works): what a person without JavaScript gets.
    pub async fn start_without_javascript() -> Option<Browser> {
        Self::start_with(&["--blink-settings=scriptEnabled=false"]).await
    }

    async fn start_with(extra_args: &[&str]) -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            if std::env::var_os(SKIP_ENV).is_some_and(|v| v == "1") {
                eprintln!(
                    "skipping the console's browser tests: {} missing and {SKIP_ENV}=1",
                    missing.join(", ")
                );
                return None;
            }
            panic!(
                "the console's browser tests need Debian's chromium and chromium-driver ({} missing): install them with `apt-get update && apt-get install -y chromium chromium-driver` (.ci/run does), or set {SKIP_ENV}=1 to skip these tests",
                missing.join(", ")
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            // `.ci/run` runs the e2e tests a second time under libfaketime (a clock at
            // 23:30 UTC). The console under test must see that clock, the browser need
            // not: Chromium's thread pools and hang watchers spin under a faked clock
            // (load average 40 on two cores, every browser test timing out). So the
            // driver, and the browser it starts, run on the real clock.
            .env_remove("LD_PRELOAD")
            .env_remove("FAKETIME")
            .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("browser profile dir");
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        browser.wait_ready().await;
        let mut args = json!([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            "--lang=nl",
            format!("--user-data-dir={}", browser._profile.path().display()),
        ]);
        if let Some(list) = args.as_array_mut() {
            list.extend(extra_args.iter().map(|a| json!(a)));
        }
        let created = browser
            .post(
                "/session",
                json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                }}}),
            )
            .await;
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        browser
            .session_post("/timeouts", json!({ "script": 60_000, "pageLoad": 30_000 }))
            .await;
        Some(browser)
    }

    async fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            if let Ok(status) = self.request("GET", "/status", None).await
                && status["value"]["ready"] == true
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not become ready within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port))
            .header("content-type", "application/json; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(COMMAND_TIMEOUT, sender.send_request(request))
            .await
            .map_err(|_| format!("WebDriver {method} {path}: no answer within 60 s"))?
            .map_err(|e| e.to_string())?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| format!("WebDriver {method} {path}: {e}"))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let answer = self
            .request("POST", path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("WebDriver POST {path}: {e}"));
        if answer["value"]["error"].is_string() {
            panic!("WebDriver POST {path} failed: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    async fn session_post(&self, path: &str, body: Value) -> Value {
        self.post(&format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn session_get(&self, path: &str) -> Value {
        let full = format!("/session/{}{path}", self.session);
        let answer = self
            .request("GET", &full, None)
            .await
            .unwrap_or_else(|e| panic!("WebDriver GET {path}: {e}"));
        if answer["value"]["error"].is_string() {
            panic!("WebDriver GET {path} failed: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        // On a loaded machine chromedriver can give up waiting for the renderer after
        // its own fixed 5 s ("Timed out receiving message from renderer") although the
        // page loads; a navigation is safe to repeat, so it is tried up to 3 times.
        let path = format!("/session/{}/url", self.session);
        for attempt in 1..=3 {
            let answer = self
                .request("POST", &path, Some(json!({ "url": url })))
                .await
                .unwrap_or_else(|e| panic!("WebDriver POST /url: {e}"));
            let value = &answer["value"];
            if !value["error"].is_string() {
                return;
            }
            let renderer_timeout = value["error"] == "timeout"
                && value["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("receiving message from renderer"));
            if !(renderer_timeout && attempt < 3) {
                panic!("WebDriver POST /url failed: {value}");
            }
        }
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        self.session_get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (up to 10 s) until the address of the page shown contains `part`, as
    /// after a click that submits a form; returns the address.
    pub async fn wait_for_url(&self, part: &str) -> String {
        let start = Instant::now();
        loop {
            let url = self.url().await;
            if url.contains(part) {
                return url;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the browser did not reach an address with {part:?} within 10 s; it shows {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until the page's title starts with `start`, as after a click
    /// that submits a form.
    pub async fn wait_for_title(&self, start: &str) {
        let begun = Instant::now();
        loop {
            let title = self.title().await;
            if title.starts_with(start) {
                return;
            }
            assert!(
                begun.elapsed() < Duration::from_secs(10),
                "the page's title did not become {start:?} within 10 s; it is {title:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's title.
    pub async fn title(&self) -> String {
        self.session_get("/title")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .session_post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        Element(
            found[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {found}"))
                .to_owned(),
        )
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .session_post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The visible text of an element.
    pub async fn text(&self, element: &Element) -> String {
        self.session_get(&format!("/element/{}/text", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.text(&element).await
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) {
        self.session_post(&format!("/element/{}/click", element.0), json!({}))
            .await;
    }

    /// Types `text` into an element as a keyboard would (W3C "element send keys": the
    /// element is focused and, if it was not, the caret goes to the end of its text).
    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.session_post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// The `value` property of an element (what a field holds now).
    pub async fn value(&self, element: &Element) -> String {
        self.session_get(&format!("/element/{}/property/value", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` in the page (a function body; `arguments` holds `args`).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.session_post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs asynchronous `script` in the page: it ends by calling
    /// `arguments[arguments.length - 1]` with its result.
    pub async fn execute_async(&self, script: &str) -> Value {
        self.session_post("/execute/async", json!({ "script": script, "args": [] }))
            .await
    }

    /// The browser's cookies for the page.
    pub async fn cookies(&self) -> Vec<Value> {
        self.session_get("/cookie")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Presses Tab once, as a keyboard would.
    pub async fn tab(&self) {
        self.session_post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
                { "type": "keyDown", "value": TAB },
                { "type": "keyUp", "value": TAB },
            ]}]}),
        )
        .await;
    }

    /// Runs axe-core on the page; fails on any serious or critical violation (and
    /// prints the minor and moderate ones).
    pub async fn axe(&self, page: &str) {
        self.execute(&format!("{AXE}\n;return true;"), json!([]))
            .await;
        let violations = self
            .session_post(
                "/execute/async",
                json!({ "script": r#"
                    const done = arguments[arguments.length - 1];
                    axe.run(document, { resultTypes: ['violations'] })
                      .then(r => done(r.violations.map(v => ({
                          id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.map(n => n.target.join(' ')) }))))
                      .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));
                "#, "args": [] }),
            )
            .await;
        let all = violations.as_array().cloned().unwrap_or_default();
        let (grave, light): (Vec<Value>, Vec<Value>) = all
            .into_iter()
            .partition(|v| v["impact"] == "serious" || v["impact"] == "critical");
        for v in &light {
            eprintln!(
                "axe on {page} ({}): {} — {}: {}",
                v["impact"], v["id"], v["help"], v["nodes"]
            );
        }
        assert!(
            grave.is_empty(),
            "axe-core finds serious or critical violations on {page}: {}",
            serde_json::to_string_pretty(&grave).unwrap_or_default()
        );
    }

    /// Tabs through the whole page with the keyboard only, from the top: the first
    /// stop is the skip link; every visible field of every form matching `forms` is
    /// reached; focus is visible (an outline or a ring) at every stop.
    pub async fn keyboard_walk(&self, page: &str, forms: &str) {
        // Start from the top of a fresh page, with nothing focused.
        self.execute(
            "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return true;",
            json!([]),
        )
        .await;
        let fields = self
            .execute(
                r#"
                const fields = [];
                document.querySelectorAll(arguments[0]).forEach(form =>
                  form.querySelectorAll('input:not([type=hidden]), select, textarea, button')
                    .forEach(f => { if (!f.disabled && f.offsetParent !== null) fields.push(f); }));
                // A group of radio buttons is one stop for Tab (the arrow keys move
                // within it, as in every browser): its buttons share one number.
                const radioGroups = new Map();
                let n = 0;
                fields.forEach(f => {
                  if (f.type === 'radio' && f.name) {
                    const owner = f.form || document;
                    if (!radioGroups.has(owner)) radioGroups.set(owner, new Map());
                    const names = radioGroups.get(owner);
                    if (!names.has(f.name)) names.set(f.name, n++);
                    f.setAttribute('data-walk', String(names.get(f.name)));
                  } else {
                    f.setAttribute('data-walk', String(n++));
                  }
                });
                return n;
                "#,
                json!([forms]),
            )
            .await
            .as_u64()
            .unwrap_or(0);
        // A date or time field is several stops (day, month, year, hours, minutes).
        let stops = self
            .execute(
                "return document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex=\"-1\"])').length + 6 * document.querySelectorAll('input[type=date], input[type=datetime-local], input[type=time]').length;",
                json!([]),
            )
            .await
            .as_u64()
            .unwrap_or(0);
        let mut reached = std::collections::BTreeSet::new();
        for step in 0..stops + 3 {
            self.tab().await;
            let focus = self
                .execute(
                    r#"
                    const el = document.activeElement;
                    if (!el || el === document.body) return null;
                    const s = getComputedStyle(el);
                    const r = el.getBoundingClientRect();
                    return {
                      tag: el.tagName.toLowerCase(),
                      text: (el.textContent || el.name || el.id || '').trim().slice(0, 40),
                      walk: el.getAttribute('data-walk'),
                      skip: el.classList.contains('skip-link'),
                      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                      ring: s.boxShadow !== 'none',
                      onScreen: r.bottom > 0 && r.right > 0 && r.width > 0 && r.height > 0,
                    };
                    "#,
                    json!([]),
                )
                .await;
            if focus.is_null() {
                // Past the last stop, focus went to the browser's own UI.
                break;
            }
            if step == 0 {
                assert_eq!(
                    focus["skip"], true,
                    "on {page} the first Tab reaches the skip link, not {focus}"
                );
            }
            assert!(
                focus["outline"] == true || focus["ring"] == true,
                "on {page} focus is not visible on {focus}"
            );
            assert_eq!(
                focus["onScreen"], true,
                "on {page} the focused element is off screen: {focus}"
            );
            if let Some(i) = focus["walk"].as_str().and_then(|w| w.parse::<u64>().ok()) {
                reached.insert(i);
            }
        }
        let missed: Vec<u64> = (0..fields).filter(|i| !reached.contains(i)).collect();
        assert!(
            missed.is_empty(),
            "on {page} the keyboard does not reach field(s) {missed:?} of the forms {forms}"
        );
        assert!(fields > 0, "on {page} no form matches {forms}");
    }

    // The privacy officers' pages' tests (`officer_pages`) need this one (and
    // `send_keys` above).

    /// Renders the page for `media` (`print`, or `screen` / `""` for the screen again),
    /// through chromedriver's DevTools bridge (Emulation.setEmulatedMedia), as
    /// Chromium's print preview does: a test reads what the print stylesheet shows and
    /// hides, without printing.
    pub async fn emulate_media(&self, media: &str) {
        self.session_post(
            "/goog/cdp/execute",
            json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "media": media } }),
        )
        .await;
    }

    /// Writes a screenshot of the page to `target/console-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.session_get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot");
        path
    }
}

// Casus / Nieuwe casus: typing into fields.
impl Browser {
    /// Types `text` into the first element matching `css`, key by key, as a keyboard
    /// would (WebDriver "element send keys"), after what it holds already.
    pub async fn type_text(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.session_post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// Empties the first field matching `css` (WebDriver "element clear").
    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        self.session_post(&format!("/element/{}/clear", element.0), json!({}))
            .await;
    }
}

/// `target/console-screenshots/` (or under `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("console-screenshots")
}

/// A free loopback port (bound, then released for the driver).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}
