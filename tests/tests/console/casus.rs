//! Nieuwe casus and Casus: a stadsdeelregisseur of oost registers a case in the browser,
//! adds two subjects from identifying data (pseudonymised in the console: the pseudonym
//! reaches the hub, the typed name reaches nothing but the browser's field), moves the
//! case melding → registratie → duiding → aanpak, sees refusals explained in Dutch next
//! to the field they concern, records consent, adds a participant by name, declares an
//! emergency, escalates and records the contact; axe-core on every state, every form
//! walked with the keyboard, screenshots. And the same forms without any JavaScript (raw
//! HTTP): post/redirect/get, and a form sent twice is made once.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::Command;
use tonic::Request;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_pseudonym::{Identity, PseudonymKey};

use super::browser::Browser;
use super::{Answer, ConsoleProcess, raw};
use crate::support::{Pki, TestHub, hubctl_profile, person_channel, workspace_bin};

const SDR_OOST: &str = "p-gemeente-004";
const IM_OOST: &str = "p-gemeente-001";

/// The covenant pseudonym key of these tests: 32 bytes of 0x42.
const KEY_BYTES: [u8; 32] = [0x42; 32];

/// Synthetic people: name, date of birth, postcode, house number.
const VICTIM: [&str; 4] = ["Sanne Vonkelaar", "1976-04-23", "1091 AB", "14-2"];
const ACCUSED: [&str; 4] = ["Tobias Krabbendam", "1968-03-07", "1091 AB", "12"];
const OTHER: [&str; 4] = ["Wim Zeldenrust", "1990-10-10", "1092 CD", "3"];

/// What of the identifying data may show up nowhere (checked case-insensitively).
const NEVER_SEEN: [&str; 7] = [
    "vonkelaar",
    "krabbendam",
    "zeldenrust",
    "1976-04-23",
    "1968-03-07",
    "1990-10-10",
    "1092 cd",
];

fn pseudonym_of(who: [&str; 4]) -> String {
    PseudonymKey::from_bytes(&KEY_BYTES)
        .expect("key")
        .pseudonym(&Identity {
            name: who[0],
            birth_date: who[1],
            postcode: who[2],
            house_number: who[3],
        })
        .expect("pseudonym")
        .to_hex()
}

/// Writes the key file (mode 600) the console's profile names.
fn key_file(pki: &Pki) -> PathBuf {
    let path = pki.dir.path().join("pseudonym.key");
    let hex: String = KEY_BYTES.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("{hex}\n")).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// Starts `hubctl console` for `profile` as [`ConsoleProcess::start`] does, and keeps
/// everything it writes to standard output and standard error.
async fn start_recording(profile: &Path) -> (ConsoleProcess, Arc<Mutex<String>>) {
    let mut child = Command::new(workspace_bin("hubctl"))
        .args(["console", "--listen", "127.0.0.1:0"])
        .env("HUBCTL_PROFILE", profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("hubctl console starts");
    let output = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr");
    let kept = output.clone();
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes).await;
        kept.lock()
            .expect("output")
            .push_str(&String::from_utf8_lossy(&bytes));
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let sign_in_url = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            output.lock().expect("output").push_str(&line);
            if let Some(at) = line.find("http://")
                && line.contains("/aanmelden?token=")
            {
                return Some(line[at..].trim().to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("hubctl console prints its sign-in link");
    let kept = output.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            kept.lock().expect("output").push_str(&line);
        }
    });
    let host = sign_in_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host")
        .to_owned();
    (
        ConsoleProcess {
            _child: child,
            host,
            sign_in_url,
        },
        output,
    )
}

/// Every file under `dir` whose bytes hold one of `needles` (lowercase), ignoring case.
fn files_holding(dir: &Path, needles: &[&str]) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let lower = bytes.to_ascii_lowercase();
                for needle in needles {
                    if lower.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                        found.push((path.clone(), (*needle).to_owned()));
                    }
                }
            }
        }
    }
    found
}

/// Waits (up to 10 s) until the first element matching `css` shows `needle`; returns
/// its text.
async fn wait_for_text(browser: &Browser, css: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = browser
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                json!([css]),
            )
            .await;
        if let Some(text) = text.as_str()
            && text.contains(needle)
        {
            return text.trim().to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{css} did not come to show {needle:?} within 10 s; the page: {}",
            browser.text_of("main").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The whole page's HTML, as the browser holds it.
async fn page_source(browser: &Browser) -> String {
    browser
        .execute("return document.documentElement.outerHTML;", json!([]))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The value of the field matching `css`.
async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .execute(
            "return document.querySelector(arguments[0]).value;",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn click(browser: &Browser, css: &str) {
    let element = browser.find(css).await;
    browser.click(&element).await;
}

/// Fills in and sends the add-subject form.
async fn add_subject(browser: &Browser, who: [&str; 4], role: &str, label: &str) {
    let form = "#betrokkene-toevoegen";
    for (field, value) in ["naam", "geboortedatum", "postcode", "huisnummer"]
        .into_iter()
        .zip(who)
    {
        browser.type_text(&format!("{form}-{field}"), value).await;
    }
    click(browser, &format!("{form}-rol option[value='{role}']")).await;
    if !label.is_empty() {
        browser.type_text(&format!("{form}-label"), label).await;
    }
    click(browser, &format!("{form} button[type=submit]")).await;
}

/// Moves the case to `phase` with `reason`.
async fn move_to(browser: &Browser, phase: &str, reason: &str) {
    browser.clear("#fase-wijzigen-reden").await;
    browser.type_text("#fase-wijzigen-reden", reason).await;
    click(
        browser,
        &format!("#fase-wijzigen button[name=naar][value='{phase}']"),
    )
    .await;
}

#[tokio::test]
async fn a_case_from_melding_to_aanpak_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let key = key_file(&pki);
    let profile = hubctl_profile(&pki, hub.addr, SDR_OOST, Some(&key));
    let (console, output) = start_recording(&profile).await;
    let mut hub_view = CoordinatorClient::new(person_channel(&pki, SDR_OOST, hub.addr).await);

    browser.goto(&console.sign_in_url).await;
    browser.wait_for_url("/casussen").await;

    // Nieuwe casus, from the menu: the person's own stadsdeel and now filled in.
    click(&browser, "nav a[href='/casussen/nieuw']").await;
    browser.wait_for_title("Nieuwe casus").await;
    assert_eq!(value_of(&browser, "#nieuwe-casus-stadsdeel").await, "oost");
    assert_eq!(
        value_of(&browser, "#nieuwe-casus-melding_op").await.len(),
        16,
        "now, as YYYY-MM-DDTHH:MM"
    );
    browser.axe("Nieuwe casus").await;
    browser.keyboard_walk("Nieuwe casus", "form.change").await;
    browser.screenshot("nieuwe-casus").await;

    // Another stadsdeel than one's own is refused by the hub (art. 5.3), in Dutch,
    // next to the stadsdeel, with what was typed kept.
    click(&browser, "#nieuwe-casus-stadsdeel option[value=west]").await;
    browser
        .type_text("#nieuwe-casus-referentie", "14020-4711")
        .await;
    click(&browser, "#nieuwe-casus button[type=submit]").await;
    let refusal = wait_for_text(
        &browser,
        "#nieuwe-casus-stadsdeel-fout",
        "Een casus in stadsdeel west",
    )
    .await;
    assert_eq!(
        refusal,
        "Een casus in stadsdeel west registreert een informatiemakelaar of stadsdeelregisseur van west (art. 5.3). U bent stadsdeelregisseur van oost."
    );
    assert!(
        browser.text_of(".error-summary").await.contains(&refusal),
        "the summary at the top says it too"
    );
    assert_eq!(
        value_of(&browser, "#nieuwe-casus-referentie").await,
        "14020-4711"
    );
    assert!(
        page_source(&browser)
            .await
            .contains("registering a case in stadsdeel west needs"),
        "the hub's own words under Technische toelichting"
    );
    browser.axe("Nieuwe casus, geweigerd").await;

    // Its own stadsdeel: registered, and straight on to adding subjects.
    click(&browser, "#nieuwe-casus-stadsdeel option[value=oost]").await;
    click(&browser, "#nieuwe-casus button[type=submit]").await;
    let url = browser.wait_for_url("#betrokkene-toevoegen").await;
    let id = url
        .split("/casussen/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '#']).next())
        .expect("case id")
        .to_owned();
    assert!(id.starts_with("C-"), "{url}");
    assert_eq!(
        browser.title().await,
        format!("Casus {id} — Treiteraanpak — console")
    );
    wait_for_text(&browser, ".recorded", "casus geregistreerd in fase melding").await;
    let facts = browser.text_of("main dl.facts").await;
    assert!(facts.contains("14020-4711"), "{facts}");
    assert!(
        facts.contains("casusteam (art. 5.3), als stadsdeelregisseur"),
        "{facts}"
    );
    browser.axe("Casus, net geregistreerd").await;

    // Two subjects, from identifying data pseudonymised in the console (art. 8.4).
    add_subject(&browser, VICTIM, "slachtoffer", "buurvrouw 2-hoog").await;
    wait_for_text(
        &browser,
        ".recorded",
        "betrokkene buurvrouw 2-hoog toegevoegd",
    )
    .await;
    add_subject(&browser, ACCUSED, "dader", "buurman 3-hoog").await;
    wait_for_text(
        &browser,
        ".recorded",
        "betrokkene buurman 3-hoog toegevoegd",
    )
    .await;
    let (victim, accused) = (pseudonym_of(VICTIM), pseudonym_of(ACCUSED));
    let case = hub_view
        .get_case(Request::new(wire::GetCaseRequest {
            case_id: id.clone(),
        }))
        .await
        .expect("case")
        .into_inner();
    let at_hub: Vec<(String, String)> = case
        .subjects
        .iter()
        .map(|s| {
            (
                s.subject
                    .as_ref()
                    .map(|p| p.hex.clone())
                    .unwrap_or_default(),
                s.role.clone(),
            )
        })
        .collect();
    assert_eq!(
        at_hub,
        [
            (victim.clone(), "slachtoffer".to_owned()),
            (accused.clone(), "dader".to_owned())
        ],
        "the hub holds the pseudonyms hubctl subject add would compute"
    );
    let subjects = browser.text_of("#betrokkenen").await;
    assert!(subjects.contains(&victim) && subjects.contains(&accused));
    assert!(
        subjects.contains("slachtoffer — buurvrouw 2-hoog"),
        "{subjects}"
    );
    browser.axe("Casus, met betrokkenen").await;

    // The same person once more: refused by the hub, in Dutch next to the name, and
    // the identifying fields come back empty.
    add_subject(&browser, VICTIM, "melder", "").await;
    let refusal = wait_for_text(&browser, "#betrokkene-toevoegen-naam-fout", "al betrokkene").await;
    assert_eq!(
        refusal,
        "Deze persoon is al betrokkene in deze casus (hetzelfde pseudoniem). Wijzig zo nodig de rol van de betrokkene hierboven."
    );
    assert_eq!(value_of(&browser, "#betrokkene-toevoegen-naam").await, "");
    assert_eq!(
        value_of(&browser, "#betrokkene-toevoegen-rol").await,
        "melder"
    );
    browser.axe("Casus, betrokkene geweigerd").await;
    let page = page_source(&browser).await.to_lowercase();
    for never in NEVER_SEEN {
        assert!(!page.contains(never), "the refused page shows {never:?}");
    }

    // melding → registratie → duiding, each move a button of its own.
    move_to(&browser, "registratie", "melding bevestigd door 14020").await;
    wait_for_text(&browser, ".recorded", "fase melding → registratie").await;
    move_to(&browser, "duiding", "meerdere meldingen, structureel").await;
    wait_for_text(&browser, ".recorded", "fase registratie → duiding").await;
    let buttons: Vec<String> = {
        let mut all = Vec::new();
        for b in browser.find_all("#fase-wijzigen button[name=naar]").await {
            all.push(browser.text(&b).await);
        }
        all
    };
    assert_eq!(
        buttons,
        ["Naar aanpak", "Naar buiten-aanpak"],
        "art. 4.1 from duiding"
    );

    // A move article 4.1 does not allow (a page altered in the browser): the hub
    // refuses it, and the page says so in Dutch next to the moves, with the moves
    // that are allowed, and keeps the reason typed.
    browser.clear("#fase-wijzigen-reden").await;
    browser
        .type_text("#fase-wijzigen-reden", "dossier compleet")
        .await;
    browser
        .execute(
            "document.querySelector(\"#fase-wijzigen button[value='aanpak']\").value = 'afgesloten'; return true;",
            json!([]),
        )
        .await;
    click(&browser, "#fase-wijzigen button[value='afgesloten']").await;
    let refusal = wait_for_text(&browser, "#fase-wijzigen-naar-fout", "art. 4.1").await;
    assert_eq!(
        refusal,
        "Een casus in fase duiding kan niet naar fase afgesloten (art. 4.1). Vanuit duiding kan de casus alleen naar aanpak of buiten-aanpak."
    );
    let source = page_source(&browser).await;
    assert!(source.contains("<summary>Technische toelichting</summary>"));
    assert!(
        source.contains(
            "cannot move from duiding to afgesloten (art. 4.1); allowed: aanpak, buiten-aanpak"
        ),
        "the hub's own text"
    );
    assert_eq!(
        value_of(&browser, "#fase-wijzigen-reden").await,
        "dossier compleet"
    );
    browser.axe("Casus, overgang geweigerd").await;
    browser
        .execute(
            "document.querySelector('.error-summary').scrollIntoView(); return true;",
            json!([]),
        )
        .await;
    browser.screenshot("casus-geweigerd").await;
    click(&browser, "#fase-wijzigen button[value='aanpak']").await;
    wait_for_text(&browser, ".recorded", "fase duiding → aanpak").await;

    // Consent of the victim for slachtofferinformatie (art. 6.9), dated today in
    // Amsterdam by default; the history says when and who.
    let anchor = format!("#betrokkene-{}", &victim[..16]);
    assert_eq!(
        value_of(&browser, &format!("{anchor}-toestemming-categorie")).await,
        "slachtofferinformatie",
        "the category a slachtoffer's consent is for, first"
    );
    let today = treiter_proto::calendar::date_text(treiter_proto::calendar::today(
        time::OffsetDateTime::now_utc(),
    ));
    click(
        &browser,
        &format!("{anchor}-toestemming button[type=submit]"),
    )
    .await;
    wait_for_text(
        &browser,
        ".recorded",
        "toestemming voor slachtofferinformatie vastgelegd — buurvrouw 2-hoog",
    )
    .await;
    let consent = browser.text_of(&format!("{anchor} table.consent")).await;
    assert!(consent.contains("slachtofferinformatie"), "{consent}");
    assert!(consent.contains("van kracht"), "{consent}");
    assert!(
        consent.contains(&format!("gegeven op {today}; vastgelegd")),
        "{consent}"
    );
    assert!(consent.contains("door Daan Demonaam"), "{consent}");
    browser
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView(); return true;",
            json!([anchor]),
        )
        .await;
    browser.screenshot("casus-betrokkene").await;

    // A participant, chosen by name (art. 5.4).
    click(
        &browser,
        "#deelnemer-toevoegen-partij option[value='Politie Eenheid Amsterdam']",
    )
    .await;
    click(&browser, "#deelnemer-toevoegen button[type=submit]").await;
    wait_for_text(
        &browser,
        ".recorded",
        "Politie Eenheid Amsterdam neemt deel aan het plan van aanpak",
    )
    .await;
    let participants = browser.text_of("#deelnemers-tabel").await;
    assert!(
        participants.contains("Politie Eenheid Amsterdam"),
        "{participants}"
    );

    // Every form of the page now (move, contact, consent and its withdrawal, subject
    // changes, add subject, end participation, add participant, escalate, emergency),
    // with the keyboard only.
    // (From the top of the page: after a form, the address's #part is where Tab
    // would start.)
    browser.goto(&console.url(&format!("/casussen/{id}"))).await;
    browser.axe("Casus, in aanpak").await;
    browser.keyboard_walk("Casus", "form.change").await;

    // An emergency with its written reason (art. 15.1): the time left of its 72 hours.
    browser
        .type_text(
            "#spoed-verklaren-reden",
            "acute dreiging na incident in het portiek",
        )
        .await;
    click(&browser, "#spoed-verklaren button[type=submit]").await;
    wait_for_text(&browser, ".recorded", "spoed verklaard (art. 15.1)").await;
    let emergency = browser.text_of("#spoed-actief").await;
    assert!(
        emergency.starts_with("actief — nog 2 dagen 23 uur van 72 uur"),
        "{emergency}"
    );

    // Escalation to city level (art. 4.5, 14), only in aanpak.
    browser
        .type_text("#escaleren-reden", "aanpak in het stadsdeel loopt vast")
        .await;
    click(&browser, "#escaleren button[type=submit]").await;
    wait_for_text(&browser, ".recorded", "geescaleerd naar stedelijk niveau").await;
    let escalation = browser.text_of("#escalatie").await;
    assert!(escalation.contains("Geescaleerd op"), "{escalation}");
    assert!(
        escalation.contains("aanpak in het stadsdeel loopt vast"),
        "{escalation}"
    );

    // The contact with the melder (art. 4.3), now by default.
    click(&browser, "#contact-vastleggen button[type=submit]").await;
    wait_for_text(&browser, ".recorded", "contact met de melder vastgelegd").await;
    let contact = browser.text_of("#contact").await;
    assert!(contact.contains("op tijd — contact op"), "{contact}");
    browser.axe("Casus, geescaleerd, met spoed").await;
    browser
        .execute("window.scrollTo(0, 0); return true;", json!([]))
        .await;
    browser.screenshot("casus").await;

    // Mijn casussen links to the case.
    click(&browser, "nav a[href='/casussen']").await;
    browser.wait_for_title("Mijn casussen").await;
    click(&browser, &format!("#casussen a[href='/casussen/{id}']")).await;
    browser.wait_for_title(&format!("Casus {id}")).await;

    // What the hub holds now.
    let case = hub_view
        .get_case(Request::new(wire::GetCaseRequest {
            case_id: id.clone(),
        }))
        .await
        .expect("case")
        .into_inner();
    assert_eq!(case.phase, "aanpak");
    assert!(case.escalation.is_some());
    assert!(case.emergency.as_ref().is_some_and(|e| e.active));
    assert_eq!(case.subjects[0].consent, ["slachtofferinformatie"]);
    let parties: Vec<&str> = case
        .participants
        .iter()
        .filter_map(|p| p.party.as_ref().map(|p| p.name.as_str()))
        .collect();
    assert_eq!(parties, ["Politie Eenheid Amsterdam"]);
    assert_eq!(
        case.contact.as_ref().map(|c| c.status.as_str()),
        Some("met")
    );
    let moves = case
        .history
        .iter()
        .filter(|e| e.kind == "phase-moved")
        .count();
    assert_eq!(moves, 3, "the refused move changed nothing");

    // The identifying data typed into the form is nowhere: not in the page, not in
    // the hub's data (nor anywhere else in the test's directory), not in the console's
    // output.
    let page = page_source(&browser).await.to_lowercase();
    for never in NEVER_SEEN {
        assert!(!page.contains(never), "the page shows {never:?}");
    }
    drop(browser);
    drop(console);
    hub.stop().await;
    let found = files_holding(pki.dir.path(), &NEVER_SEEN);
    assert!(found.is_empty(), "identifying data on disk: {found:?}");
    let output = output.lock().expect("output").to_lowercase();
    assert!(output.contains("/aanmelden?token="), "the output was read");
    for never in NEVER_SEEN {
        assert!(
            !output.contains(never),
            "the console wrote {never:?}: {output}"
        );
    }
}

/// `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The value of the first `name="NAME" value="..."` after `from` in `page`.
fn hidden_after(page: &str, from: &str, name: &str) -> String {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in the page: {page}"));
    let marker = format!("name=\"{name}\" value=\"");
    let at = start
        + page[start..]
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} after {from}"))
        + marker.len();
    page[at..at + page[at..].find('"').expect("end of value")].to_owned()
}

/// A signed-in raw HTTP client of a console.
struct Raw<'a> {
    console: &'a ConsoleProcess,
    cookie: String,
}

impl Raw<'_> {
    async fn get(&self, path: &str) -> Answer {
        let host = &self.console.host;
        raw(
            self.console,
            &format!("GET {path} HTTP/1.1\nHost: {host}\nCookie: {}", self.cookie),
            "",
        )
        .await
    }

    async fn post(&self, path: &str, body: &str) -> Answer {
        let host = &self.console.host;
        raw(
            self.console,
            &format!(
                "POST {path} HTTP/1.1\nHost: {host}\nCookie: {}\nContent-Type: application/x-www-form-urlencoded",
                self.cookie
            ),
            body,
        )
        .await
    }
}

async fn case_of(hub: &mut CoordinatorClient<HubChannel>, id: &str) -> wire::Case {
    hub.get_case(Request::new(wire::GetCaseRequest {
        case_id: id.to_owned(),
    }))
    .await
    .expect("case")
    .into_inner()
}

#[tokio::test]
async fn the_forms_work_without_javascript_and_a_form_sent_twice_is_made_once() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let key = key_file(&pki);
    let profile = hubctl_profile(&pki, hub.addr, IM_OOST, Some(&key));
    let console = ConsoleProcess::start(&profile).await;
    let mut hub_view = CoordinatorClient::new(person_channel(&pki, IM_OOST, hub.addr).await);
    let signed_in = raw(
        &console,
        &format!(
            "GET {} HTTP/1.1\nHost: {}",
            console.sign_in_path(),
            console.host
        ),
        "",
    )
    .await;
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    let client = Raw {
        console: &console,
        cookie,
    };

    // Nieuwe casus, sent twice with the same request id: one case.
    let page = client.get("/casussen/nieuw").await.body;
    let csrf = hidden_after(&page, "<body", "_csrf");
    let rid = hidden_after(&page, "id=\"nieuwe-casus\"", "_rid");
    let an_hour_ago =
        treiter_proto::calendar::local(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let melding = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        an_hour_ago.year(),
        u8::from(an_hour_ago.month()),
        an_hour_ago.day(),
        an_hour_ago.hour(),
        an_hour_ago.minute()
    );
    let body = form(&[
        ("_csrf", &csrf),
        ("_rid", &rid),
        ("stadsdeel", "oost"),
        ("melding_op", &melding),
        ("referentie", ""),
    ]);
    let first = client.post("/casussen/nieuw", &body).await;
    assert_eq!(first.status, 303, "post/redirect/get: {first:?}");
    let location = first.header("location").expect("location").to_owned();
    assert!(
        location.starts_with("/casussen/C-")
            && location.ends_with("?vastgelegd=1#betrokkene-toevoegen"),
        "{location}"
    );
    let again = client.post("/casussen/nieuw", &body).await;
    assert_eq!(again.status, 303);
    assert_eq!(
        again.header("location"),
        Some(location.as_str()),
        "the same case"
    );
    let id = location
        .trim_start_matches("/casussen/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let cases = hub_view
        .list_cases(Request::new(wire::ListCasesRequest::default()))
        .await
        .expect("list")
        .into_inner()
        .cases;
    assert_eq!(cases.len(), 1, "one case for two sends");

    // A subject, sent twice: added once.
    let page = client.get(&format!("/casussen/{id}")).await;
    assert_eq!(page.status, 200);
    let rid = hidden_after(&page.body, "id=\"betrokkene-toevoegen\"", "_rid");
    let subject = |who: [&str; 4], rid: &str| {
        form(&[
            ("_csrf", &csrf),
            ("_rid", rid),
            ("naam", who[0]),
            ("geboortedatum", who[1]),
            ("postcode", who[2]),
            ("huisnummer", who[3]),
            ("rol", "slachtoffer"),
            ("label", "bewoner 1-hoog"),
        ])
    };
    let path = format!("/casussen/{id}/betrokkenen");
    let first = client.post(&path, &subject(VICTIM, &rid)).await;
    assert_eq!(first.status, 303, "{first:?}");
    let again = client.post(&path, &subject(VICTIM, &rid)).await;
    assert_eq!(again.header("location"), first.header("location"));
    let anchor = format!("#betrokkene-{}", &pseudonym_of(VICTIM)[..16]);
    assert!(
        first
            .header("location")
            .is_some_and(|l| l.ends_with(&anchor)),
        "to the new subject: {first:?}"
    );
    let case = case_of(&mut hub_view, &id).await;
    assert_eq!(case.subjects.len(), 1);
    let added = case
        .history
        .iter()
        .filter(|e| e.kind == "subject-added")
        .count();
    assert_eq!(added, 1, "added once");

    // The same request id for another change: refused by the hub, in Dutch, with
    // nothing changed and nothing of the identifying data shown.
    let reused = client.post(&path, &subject(OTHER, &rid)).await;
    assert_eq!(reused.status, 422, "{reused:?}");
    assert!(
        reused
            .body
            .contains("Dit formulier is eerder met andere waarden verstuurd."),
        "{}",
        reused.body
    );
    let lower = reused.body.to_lowercase();
    for never in NEVER_SEEN {
        assert!(!lower.contains(never), "the answer shows {never:?}");
    }
    // A form without its request id: refused by the console, nothing sent.
    let bare = form(&[
        ("_csrf", &csrf),
        ("verwacht", "melding"),
        ("reden", "zonder kenmerk"),
        ("naar", "registratie"),
    ]);
    let refused = client.post(&format!("/casussen/{id}/fase"), &bare).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Dit formulier is onvolledig"),
        "{}",
        refused.body
    );
    // A move from a page that showed another phase: ABORTED, in Dutch.
    let page = client.get(&format!("/casussen/{id}")).await.body;
    let rid = hidden_after(&page, "id=\"fase-wijzigen\"", "_rid");
    let stale = form(&[
        ("_csrf", &csrf),
        ("_rid", &rid),
        ("verwacht", "duiding"),
        ("reden", "van een oude pagina"),
        ("naar", "registratie"),
    ]);
    let refused = client.post(&format!("/casussen/{id}/fase"), &stale).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(
            "Iemand anders heeft de casus intussen verplaatst: hij staat nu in fase melding, niet meer in duiding."
        ),
        "{}",
        refused.body
    );
    let case = case_of(&mut hub_view, &id).await;
    assert_eq!(case.phase, "melding");
    assert_eq!(case.subjects.len(), 1);

    // Consent: dated in the future (refused by the hub, in Dutch, at the date), then
    // recorded; withdrawn for a category without consent in force (refused, at the
    // category), then for the one in force.
    let victim = pseudonym_of(VICTIM);
    let at = format!("id=\"betrokkene-{}", &victim[..16]);
    let page = client.get(&format!("/casussen/{id}")).await.body;
    let rid = hidden_after(&page, &format!("{at}-toestemming\""), "_rid");
    let tomorrow = treiter_proto::calendar::date_text(
        treiter_proto::calendar::today(time::OffsetDateTime::now_utc())
            .next_day()
            .expect("tomorrow"),
    );
    let consent = |rid: &str, category: &str, date: &str| {
        form(&[
            ("_csrf", &csrf),
            ("_rid", rid),
            ("betrokkene", &victim),
            ("categorie", category),
            ("datum", date),
        ])
    };
    let path = format!("/casussen/{id}/toestemming");
    let refused = client
        .post(&path, &consent(&rid, "slachtofferinformatie", &tomorrow))
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(&format!(
            "De datum {tomorrow} ligt in de toekomst: vandaag is het "
        )),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!(
            "{at}-toestemming-datum-fout\">De datum {tomorrow}"
        )),
        "next to the date field"
    );
    let today = treiter_proto::calendar::date_text(treiter_proto::calendar::today(
        time::OffsetDateTime::now_utc(),
    ));
    let recorded = client
        .post(&path, &consent(&rid, "slachtofferinformatie", &today))
        .await;
    assert_eq!(
        recorded.status, 303,
        "the same form, corrected: {recorded:?}"
    );
    let page = client.get(&format!("/casussen/{id}")).await.body;
    let rid = hidden_after(&page, &format!("{at}-intrekken\""), "_rid");
    let path = format!("/casussen/{id}/toestemming/intrekken");
    let refused = client
        .post(&path, &consent(&rid, "zorginhoud", &today))
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(&format!(
            "{at}-intrekken-categorie-fout\">Er is geen toestemming voor zorginhoud van kracht, dus er valt niets in te trekken (art. 11.3)."
        )),
        "{}",
        refused.body
    );
    let withdrawn = client
        .post(&path, &consent(&rid, "slachtofferinformatie", &today))
        .await;
    assert_eq!(withdrawn.status, 303, "{withdrawn:?}");
    assert!(
        case_of(&mut hub_view, &id).await.subjects[0]
            .consent
            .is_empty()
    );

    // A subject's role changed; the same form once more changes nothing (checked in
    // the console); then the subject removed.
    let page = client.get(&format!("/casussen/{id}")).await.body;
    let rid = hidden_after(&page, &format!("{at}-wijzigen\""), "_rid");
    let update = |was: &str| {
        form(&[
            ("_csrf", &csrf),
            ("_rid", &rid),
            ("betrokkene", &victim),
            ("was_rol", was),
            ("was_label", "bewoner 1-hoog"),
            ("rol", "melder"),
            ("label", "bewoner 1-hoog"),
        ])
    };
    let path = format!("/casussen/{id}/betrokkenen/wijzigen");
    assert_eq!(client.post(&path, &update("slachtoffer")).await.status, 303);
    let unchanged = client.post(&path, &update("melder")).await;
    assert_eq!(unchanged.status, 422);
    assert!(
        unchanged.body.contains("Er is niets gewijzigd"),
        "{}",
        unchanged.body
    );
    assert_eq!(case_of(&mut hub_view, &id).await.subjects[0].role, "melder");
    let page = client.get(&format!("/casussen/{id}")).await.body;
    let rid = hidden_after(&page, &format!("{at}-verwijderen\""), "_rid");
    let removed = client
        .post(
            &format!("/casussen/{id}/betrokkenen/verwijderen"),
            &form(&[
                ("_csrf", &csrf),
                ("_rid", &rid),
                ("betrokkene", &victim),
                ("reden", "per vergissing toegevoegd"),
            ]),
        )
        .await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert!(case_of(&mut hub_view, &id).await.subjects.is_empty());

    // An unknown address under /casussen is not asked of the hub.
    let odd = client.get("/casussen/Jan%20Jansen").await;
    assert_eq!(odd.status, 404);

    drop(console);
    hub.stop().await;
}
