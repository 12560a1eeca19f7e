//! `hubctl console` end to end: the real binary, for people of the dev PKI, against an
//! in-process hub.
//!
//! - [`browser`]: headless Chromium over WebDriver, axe-core, the keyboard walk and
//!   screenshots.
//! - `pages`: each page in the browser, as a coordinator sees it (one test per page
//!   kind; new pages add theirs here).
//! - `covenant`: the Convenant pages, as two privacy officers of two parties propose
//!   and approve a covenant version (article 13.1).
//! - `forged`: every refusal of the console's door, with raw HTTP requests a browser
//!   could not be made to send (a forged Host, a missing CSRF token, a reused token).
//! - `casus`: Nieuwe casus and Casus in the browser, a case from registration to
//!   aanpak with subjects pseudonymised in the console (the typed name nowhere but in
//!   the browser's field), refusals in Dutch next to their field; and the same forms
//!   without JavaScript, each change made once when sent twice.
//! - `officer_pages`: the privacy officers' pages (Logboek, Verifieer, Meldingen,
//!   Inzage) as officers of four parties use them, and a coordinator refused.
//! - `dossier`: Bevraging and Casusdossier with a real agent per party: the case file
//!   filling in live, the report with its withheld lines, printing.

pub mod browser;
mod forged;
mod pages;
// Bevraging and Casusdossier, with real agents.
mod dossier;
// Casus / Nieuwe casus:
mod casus;
// The privacy officers' pages.
mod officer_pages;
// Convenant (pages::covenant): two privacy officers, two consoles.
mod covenant;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::support::workspace_bin;

/// A running `hubctl console`, killed when dropped.
pub struct ConsoleProcess {
    _child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The one-time sign-in link it printed.
    pub sign_in_url: String,
}

impl ConsoleProcess {
    /// Starts `hubctl console` for `profile` on a free loopback port and reads the
    /// sign-in link it prints.
    pub async fn start(profile: &Path) -> ConsoleProcess {
        let mut child = Command::new(workspace_bin("hubctl"))
            .args(["console", "--listen", "127.0.0.1:0"])
            .env("HUBCTL_PROFILE", profile)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("hubctl console starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        let sign_in_url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("http://") {
                    let url = line[at..].trim().to_owned();
                    if url.contains("/aanmelden?token=") {
                        return Some(url);
                    }
                }
                seen.push(line);
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("hubctl console printed no sign-in link; it printed {seen:?}"));
        // Keep reading standard output, so the console never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let host = sign_in_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host")
            .to_owned();
        ConsoleProcess {
            _child: child,
            host,
            sign_in_url,
        }
    }

    /// The address of a page of this console.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    /// The path and query of the sign-in link.
    pub fn sign_in_path(&self) -> String {
        self.sign_in_url
            .trim_start_matches("http://")
            .trim_start_matches(&self.host)
            .to_owned()
    }
}

/// One raw HTTP/1.1 answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` to the
/// console as raw bytes, so that any header can be forged; reads the whole answer.
pub async fn raw(console: &ConsoleProcess, head: &str, body: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(&console.host)
        .await
        .expect("connect to the console");
    let mut request = head.replace('\n', "\r\n");
    if !body.is_empty() {
        request.push_str(&format!("\r\nContent-Length: {}", body.len()));
    }
    request.push_str("\r\nConnection: close\r\n\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut bytes))
        .await
        .expect("the console answers within 60 s")
        .expect("read the answer");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}
