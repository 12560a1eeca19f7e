//! The privacy officers' pages in a real browser, against a real hub with real agents
//! (the world of `officer.rs`: a case with shares, and a careless GGD link whose
//! `diagnose` makes the hub refuse its shares, article 7.1):
//!
//! - a coordinator is refused every officer page (and form) in plain Dutch;
//! - the GGD's privacy officer filters the log, opens an entry, downloads CSV and JSON
//!   lines (byte for byte what `hubctl log entries` prints), verifies the log (the same
//!   state file as `hubctl log verify`), and marks a refused share as seen;
//! - De Gracht's privacy officer reviews, late, the emergency shares of the politie's
//!   emergency, and sees the hub refuse a second review in Dutch;
//! - the gemeente's privacy officer requests an inzage (identifying data typed in,
//!   pseudonymised in the console), opens the overview and checks its print rules;
//! - the politie's privacy officer is told why inzage is the gemeente's, and sees a
//!   verification with the wrong key fail.
//!
//! axe-core runs on every page, the keyboard walks every form, and the screenshots
//! `logboek`, `meldingen` and `inzage` are written.

use std::path::PathBuf;

use serde_json::{Value, json};
use treiter_proto::v1 as wire;

use super::browser::Browser;
use super::{ConsoleProcess, raw};
use crate::officer::{DADER, KEY_BYTES, PLANTED, World, dader};
use crate::support::{hubctl, hubctl_profile};

const SDR_OOST: &str = "p-gemeente-004";
const POLITIE_CONTACT: &str = "p-politie-017";
const PO_GEMEENTE: &str = "p-gemeente-090";
const PO_POLITIE: &str = "p-politie-090";
const PO_DEGRACHT: &str = "p-degracht-090";
const PO_GGD: &str = "p-ggd-090";

/// A profile for `person` with the covenant's pseudonym key and, if given, the log
/// verifier key.
fn profile(world: &World, person: &str, verifier: Option<&str>) -> PathBuf {
    let key = world.pki.dir.path().join("console-officer-pseudonym.key");
    let hex: String = KEY_BYTES.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&key, format!("{hex}\n")).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let path = hubctl_profile(&world.pki, world.hub.addr, person, Some(&key));
    if let Some(v) = verifier {
        let mut text = std::fs::read_to_string(&path).expect("profile");
        text.push_str(&format!("log_verifier = \"{v}\"\n"));
        std::fs::write(&path, text).expect("profile");
    }
    path
}

/// Signs the browser in to `console` and returns the session cookie (`name=value`),
/// for plain HTTP requests beside the browser.
async fn sign_in(browser: &Browser, console: &ConsoleProcess) -> String {
    browser.goto(&console.sign_in_url).await;
    let port = console.host.rsplit(':').next().expect("port");
    let name = format!("treiter_console_{port}");
    let cookies = browser.cookies().await;
    let cookie = cookies
        .iter()
        .find(|c| c["name"] == Value::String(name.clone()))
        .unwrap_or_else(|| panic!("no session cookie: {cookies:?}"));
    format!("{name}={}", cookie["value"].as_str().expect("value"))
}

/// A plain GET of `path` with the session cookie.
async fn get(console: &ConsoleProcess, cookie: &str, path: &str) -> super::Answer {
    raw(
        console,
        &format!(
            "GET {path} HTTP/1.1\nHost: {}\nCookie: {cookie}",
            console.host
        ),
        "",
    )
    .await
}

/// A plain form POST of `body` to `path` with the session cookie.
async fn post(console: &ConsoleProcess, cookie: &str, path: &str, body: &str) -> super::Answer {
    raw(
        console,
        &format!(
            "POST {path} HTTP/1.1\nHost: {}\nCookie: {cookie}\nContent-Type: application/x-www-form-urlencoded",
            console.host
        ),
        body,
    )
    .await
}

/// The CSRF token in a page's forms.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"_csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in the page: {page}"));
    page[at + 20..at + 20 + 64].to_owned()
}

/// The text of every row of a table's body.
async fn rows(browser: &Browser, table: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for row in browser.find_all(&format!("{table} tbody tr")).await {
        texts.push(browser.text(&row).await);
    }
    texts
}

/// The page's whole HTML as the browser holds it.
async fn source(browser: &Browser) -> String {
    browser
        .execute("return document.documentElement.outerHTML;", json!([]))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn privacy_officers_pages_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let verifier = world.hub.hub.log.verifier().to_string();

    // ------------------------------------------------------------------------------
    // A coordinator is refused every officer page, with a clear Dutch message, before
    // the console asks the hub anything on their behalf; forms too.
    let sdr_profile = profile(&world, SDR_OOST, None);
    let sdr = ConsoleProcess::start(&sdr_profile).await;
    let sdr_cookie = sign_in(&browser, &sdr).await;
    assert!(
        browser.find_all("nav a[href='/logboek']").await.is_empty(),
        "no officer pages in a coordinator's menu"
    );
    for path in [
        "/logboek",
        "/logboek/0",
        "/logboek/verifieer",
        "/logboek/export.csv",
        "/meldingen",
        "/inzage",
        "/inzage/I-2026-0001",
    ] {
        browser.goto(&sdr.url(path)).await;
        assert!(
            browser
                .title()
                .await
                .starts_with("Alleen voor privacy officers"),
            "{path}: {}",
            browser.title().await
        );
        let main = browser.text_of("main").await;
        assert!(main.contains("art. 5.2 en 10.3"), "{path}: {main}");
        assert!(
            main.contains(
                "U bent aangemeld als Daan Demonaam, stadsdeelregisseur oost, Gemeente Amsterdam"
            ),
            "{path}: {main}"
        );
        let answer = get(&sdr, &sdr_cookie, path).await;
        assert_eq!(answer.status, 403, "{path}: {answer:?}");
    }
    browser.axe("Alleen voor privacy officers").await;
    let page = get(&sdr, &sdr_cookie, "/wie-ben-ik").await.body;
    let refused = post(
        &sdr,
        &sdr_cookie,
        "/meldingen/gezien",
        &format!("_csrf={}&melding=N-1", csrf_of(&page)),
    )
    .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.body.contains("Alleen voor privacy officers"));
    drop(sdr);

    // ------------------------------------------------------------------------------
    // The GGD's privacy officer: the log, an entry, the exports, Verifieer.
    let ggd_profile = profile(&world, PO_GGD, Some(&verifier));
    let ggd = ConsoleProcess::start(&ggd_profile).await;
    let ggd_cookie = sign_in(&browser, &ggd).await;
    for (path, label) in [
        ("/logboek", "Logboek"),
        ("/meldingen", "Meldingen"),
        ("/inzage", "Inzage"),
    ] {
        let link = browser.find(&format!("nav a[href='{path}']")).await;
        assert_eq!(browser.text(&link).await, label);
    }
    assert!(browser.find_all("nav a[href='/casussen']").await.is_empty());
    let menu = browser.find("nav a[href='/logboek']").await;
    browser.click(&menu).await;
    browser.wait_for_url("/logboek").await;
    let all = rows(&browser, "#logboek").await;
    assert!(!all.is_empty(), "the GGD's entries");
    assert!(
        all.iter()
            .any(|r| r.contains("GGD Amsterdam → Gemeente Amsterdam (stadsdeelregisseur oost)")),
        "{all:#?}"
    );
    let main = browser.text_of("main").await;
    assert!(
        !main.contains("00000005000000000006"),
        "no bare OIN: {main}"
    );
    for planted in PLANTED {
        assert!(!main.contains(planted), "{planted} on the page");
    }
    browser.axe("Logboek").await;
    browser.screenshot("logboek").await;
    // The filters less often used are folded away; opened, the keyboard reaches all.
    browser
        .execute(
            "document.querySelector('details.more-filters').open = true; return true;",
            json!([]),
        )
        .await;
    browser.keyboard_walk("Logboek", "form.log-filter").await;

    // Filter with the form: refused shares the GGD provided.
    let reject = browser
        .find("form.log-filter input[name=uitkomst][value=reject]")
        .await;
    browser.click(&reject).await;
    let provided = browser
        .find("form.log-filter input[name=richting][value=provided]")
        .await;
    browser.click(&provided).await;
    let apply = browser.find("form.log-filter button[type=submit]").await;
    browser.click(&apply).await;
    let filtered_url = browser.wait_for_url("uitkomst=reject").await;
    assert!(filtered_url.contains("richting=provided"), "{filtered_url}");
    let refused_rows = rows(&browser, "#logboek").await;
    assert_eq!(refused_rows.len(), 2, "one per subject: {refused_rows:#?}");
    for row in &refused_rows {
        assert!(row.contains("reject"), "{row}");
        assert!(row.contains("zorgbetrokkenheid"), "{row}");
    }
    browser.axe("Logboek, gefilterd").await;
    // The period: whole Amsterdam days, the end day included. The day is the one the
    // entries were logged on (not the test's clock, which may have passed midnight).
    let logged = hubctl(
        &ggd_profile,
        &[
            "--json",
            "log",
            "entries",
            "--outcome",
            "reject",
            "--max",
            "1",
        ],
        None,
    )
    .await
    .json()[0]["logged_at"]
        .as_str()
        .expect("logged_at")
        .to_owned();
    let logged =
        time::OffsetDateTime::parse(&logged, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
    let day = treiter_proto::calendar::today(logged);
    let today_text = treiter_proto::calendar::date_text(day);
    let yesterday_text =
        treiter_proto::calendar::date_text(day.previous_day().expect("a day before"));
    browser
        .goto(&format!("{filtered_url}&van={today_text}&tot={today_text}"))
        .await;
    assert_eq!(rows(&browser, "#logboek").await.len(), 2, "today included");
    browser
        .goto(&format!("{filtered_url}&tot={yesterday_text}"))
        .await;
    assert_eq!(
        browser.text_of("#geen-vermeldingen").await,
        "Geen vermeldingen voor dit filter."
    );
    browser.goto(&format!("{filtered_url}&van=1-11-2026")).await;
    assert!(
        browser
            .text_of("form.log-filter")
            .await
            .contains("Vul een datum in als 2026-11-20"),
        "a date the form cannot read is named next to its field"
    );
    browser.goto(&filtered_url).await;

    // Download CSV and JSON lines: what hubctl prints with the same filter.
    let csv_path = browser
        .execute(
            "return document.querySelector('#export-csv').getAttribute('href');",
            json!([]),
        )
        .await
        .as_str()
        .expect("the CSV link")
        .to_owned();
    let before = treiter_proto::calendar::today(time::OffsetDateTime::now_utc());
    let csv = get(&ggd, &ggd_cookie, &csv_path).await;
    let after = treiter_proto::calendar::today(time::OffsetDateTime::now_utc());
    assert_eq!(csv.status, 200, "{csv:?}");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = csv.header("content-disposition").unwrap_or_default();
    assert!(
        [before, after].iter().any(|d| disposition
            == format!(
                "attachment; filename=\"logboek-{}.csv\"",
                treiter_proto::calendar::date_text(*d)
            )),
        "named after Amsterdam's date: {disposition}"
    );
    let cli_csv = hubctl(
        &ggd_profile,
        &[
            "log",
            "entries",
            "--format",
            "csv",
            "--outcome",
            "reject",
            "--direction",
            "provided",
        ],
        None,
    )
    .await;
    assert_eq!(csv.body, cli_csv.ok(), "the console's CSV is hubctl's");
    assert_eq!(csv.body.lines().count(), 3, "a header and two entries");
    assert!(csv.body.contains("diagnose;zorg_betrokken"), "{}", csv.body);
    let jsonl_path = csv_path.replace("export.csv", "export.jsonl");
    let jsonl = get(&ggd, &ggd_cookie, &jsonl_path).await;
    let cli_jsonl = hubctl(
        &ggd_profile,
        &[
            "log",
            "entries",
            "--format",
            "jsonl",
            "--outcome",
            "reject",
            "--direction",
            "provided",
        ],
        None,
    )
    .await;
    assert_eq!(
        jsonl.body,
        cli_jsonl.ok(),
        "the console's JSON lines are hubctl's"
    );

    // Open an entry: every fact of article 10.1 in Dutch, parties by name.
    let first = browser.find("#logboek tbody tr th a").await;
    browser.click(&first).await;
    browser.wait_for_title("Logboek — vermelding").await;
    let facts = browser.text_of("#vermelding").await;
    for expected in [
        "Gevraagd door",
        "Gemeente Amsterdam, stadsdeelregisseur oost (Daan Demonaam)",
        "Bron (verstrekkende partij)",
        "GGD Amsterdam",
        "soort zorgpartner, OIN 00000005000000000006",
        "zorgbetrokkenheid — art. 6.6",
        "aanpak — het besluiten over en uitvoeren van de gezamenlijke aanpak",
        "reject — geweigerd wegens verboden inhoud (art. 7)",
        "Aangeboden velden",
        "diagnose",
        "zorg_betrokken",
        "niets: bij een weigering wordt niets verstrekt",
        "de privacy officer van GGD Amsterdam (art. 7.1)",
        "Convenantversie bij het loggen",
    ] {
        assert!(
            facts.contains(expected),
            "the entry lacks {expected:?}: {facts}"
        );
    }
    assert!(!facts.contains(PLANTED[3]), "never a value");
    browser.axe("Logboek, vermelding").await;
    // An entry the GGD may not see is not there for it (art. 10.3).
    let other = get(&ggd, &ggd_cookie, "/logboek/999999").await;
    assert_eq!(other.status, 404);
    assert!(
        other.body.contains("Vermelding niet gevonden"),
        "{}",
        other.body
    );

    // Verifieer: the checks of hubctl log verify, in words, with the same state file.
    let to_verify = browser.find("a[href='/logboek/verifieer']").await;
    browser.click(&to_verify).await;
    browser.wait_for_title("Logboek verifiëren").await;
    assert_eq!(
        browser.text_of("#vorige-verificatie").await,
        "Met dit profiel is het logboek nog niet eerder geverifieerd."
    );
    browser.axe("Verifieer").await;
    browser.keyboard_walk("Verifieer", "form.verify-form").await;
    let run = browser.find("form.verify-form button").await;
    browser.click(&run).await;
    browser.wait_for_title("Logboek verifiëren").await;
    let verdict = wait_for_text(&browser, "#verificatie").await;
    for expected in [
        "Het logboek is geverifieerd",
        "is ondertekend met de sleutel van de hub uit uw profiel",
        "vermeldingen van uw partij",
        "bewezen opgenomen in het checkpoint",
        "Dit was de eerste verificatie met dit profiel",
        "Wat hiermee niet is bewezen",
        "die van andere partijen ziet u niet",
    ] {
        assert!(verdict.contains(expected), "{expected:?}: {verdict}");
    }
    browser.axe("Verifieer, geverifieerd").await;
    // hubctl reads the checkpoint the console remembered.
    let cli = hubctl(&ggd_profile, &["log", "verify"], None).await;
    assert!(
        cli.ok().contains("this profile verified before"),
        "{}",
        cli.stdout
    );
    browser.goto(&ggd.url("/logboek/verifieer")).await;
    assert!(
        browser
            .text_of("#vorige-verificatie")
            .await
            .starts_with("Dit profiel verifieerde eerder het checkpoint van"),
    );
    let run = browser.find("form.verify-form button").await;
    browser.click(&run).await;
    let again = wait_for_text(&browser, "#verificatie").await;
    assert!(again.contains("Het logboek is geverifieerd"), "{again}");
    assert!(!again.contains("eerste verificatie"), "{again}");

    // Meldingen: the refused shares, one marked as seen.
    browser.goto(&ggd.url("/meldingen")).await;
    assert_eq!(
        browser.text_of("#meldingen-stand").await,
        "2 meldingen staan open."
    );
    let notices = browser.text_of("main").await;
    assert!(
        notices.contains("Geweigerde verstrekking: verboden inhoud (art. 7.1)"),
        "{notices}"
    );
    assert!(notices.contains("diagnose (verboden, art. 7)"), "{notices}");
    assert!(!notices.contains(PLANTED[3]));
    browser.axe("Meldingen (weigeringen)").await;
    browser
        .keyboard_walk(
            "Meldingen (weigeringen)",
            "form.notice-filter, form.ack-form, form.ack-all-form",
        )
        .await;
    let ack = browser.find("form.ack-form button").await;
    browser.click(&ack).await;
    browser.wait_for_url("gedaan=gezien").await;
    assert_eq!(
        browser.text_of("#vastgelegd").await,
        "Vastgelegd: de melding is als gezien gemarkeerd."
    );
    assert_eq!(
        browser.text_of("#meldingen-stand").await,
        "1 melding staat open."
    );
    assert!(
        browser.text_of("main").await.contains("gezien op"),
        "who saw it, and when"
    );
    assert!(
        browser
            .text_of("main")
            .await
            .contains("door GGD Amsterdam, privacy-officer (Ruben Privacytest)")
    );
    browser.axe("Meldingen, gezien").await;
    drop(ggd);

    // ------------------------------------------------------------------------------
    // An emergency of the politie's partnercontact: De Gracht's shares to them are
    // emergency shares (15.2); four days later their review is overdue.
    let mut politie = world.coordinator(POLITIE_CONTACT).await;
    politie
        .declare_emergency(wire::DeclareEmergencyRequest {
            client_request_id: "spoed".into(),
            case_id: case.clone(),
            reason: "acute dreiging <geen namen>".into(),
        })
        .await
        .expect("declared");
    world.case_file(&mut politie, &case).await;
    world.hub.hub.clock.advance(time::Duration::days(4));

    let dg_profile = profile(&world, PO_DEGRACHT, None);
    let dg = ConsoleProcess::start(&dg_profile).await;
    let dg_cookie = sign_in(&browser, &dg).await;
    browser.goto(&dg.url("/meldingen")).await;
    let group = browser.find("article.notice-group").await;
    let text = browser.text(&group).await;
    for expected in [
        &format!("Spoed in casus {case}"),
        "Termijn verstreken",
        "Spoed verklaard door Politie Eenheid Amsterdam, partnercontact (Gerda Nepnaam)",
        "acute dreiging <geen namen>",
        "Woonstichting De Gracht → Politie Eenheid Amsterdam (partnercontact)",
        "huurgegevens",
    ] {
        assert!(text.contains(expected), "{expected:?}: {text}");
    }
    assert!(
        browser.find_all("article.notice-group.overdue").await.len() == 1,
        "the overdue emergency is marked"
    );
    assert!(
        browser
            .text_of("#meldingen-stand")
            .await
            .contains("beoordeling te laat")
            || browser
                .text_of("#meldingen-stand")
                .await
                .contains("beoordelingen te laat")
    );
    browser.axe("Meldingen (spoed)").await;
    browser.screenshot("meldingen").await;
    browser
        .keyboard_walk("Meldingen (spoed)", "form.review-form")
        .await;

    // Without a verdict: refused here, next to the field, the note kept.
    let note = browser.find("form.review-form textarea").await;
    browser.send_keys(&note, "acuut gevaar, terecht").await;
    let submit = browser.find("form.review-form button[type=submit]").await;
    browser.click(&submit).await;
    wait_for_words(
        &browser,
        "form.review-form",
        "Kies of de spoedverstrekking terecht was.",
    )
    .await;
    let kept = browser
        .execute(
            "return document.querySelector('form.review-form textarea').value;",
            json!([]),
        )
        .await;
    assert_eq!(kept, "acuut gevaar, terecht");
    browser.axe("Meldingen, oordeel ontbreekt").await;
    let justified = browser
        .find("form.review-form input[name=oordeel][value=justified]")
        .await;
    browser.click(&justified).await;
    let submit = browser.find("form.review-form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for_url("gedaan=beoordeeld").await;
    assert_eq!(
        browser.text_of("#vastgelegd").await,
        "Vastgelegd: uw beoordeling staat bij de spoedverstrekkingen."
    );
    let reviewed = browser.text_of("article.notice-group").await;
    assert!(reviewed.contains("beoordeeld als terecht op"), "{reviewed}");
    assert!(
        reviewed
            .contains("te laat (na de termijn van 1 werkdag); toelichting: acuut gevaar, terecht"),
        "{reviewed}"
    );
    assert!(browser.find_all("form.review-form").await.is_empty());
    browser.axe("Meldingen, beoordeeld").await;
    // A second review (another form, another key) is refused by the hub; the page
    // says so in Dutch.
    let ids: Vec<String> = hubctl(
        &dg_profile,
        &[
            "--json",
            "notifications",
            "list",
            "--kind",
            "emergency-review",
        ],
        None,
    )
    .await
    .json()["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    let page = get(&dg, &dg_cookie, "/meldingen").await.body;
    let twice = post(
        &dg,
        &dg_cookie,
        "/meldingen/beoordeling",
        &format!(
            "_csrf={}&groep=x&melding={}&oordeel=not-justified&toelichting=",
            csrf_of(&page),
            ids[0]
        ),
    )
    .await;
    assert_eq!(twice.status, 422, "{twice:?}");
    assert!(
        twice
            .body
            .contains("Deze spoedverstrekking is al beoordeeld"),
        "{}",
        twice.body
    );
    drop(dg);

    // ------------------------------------------------------------------------------
    // Inzage by the gemeente's privacy officer: identifying data typed in, a pseudonym
    // sent, the overview readable and printable.
    let po_profile = profile(&world, PO_GEMEENTE, None);
    let po = ConsoleProcess::start(&po_profile).await;
    let po_cookie = sign_in(&browser, &po).await;
    browser.goto(&po.url("/inzage")).await;
    assert_eq!(
        browser.text_of("#geen-inzage").await,
        "Er zijn nog geen inzageverzoeken."
    );
    browser.axe("Inzage").await;
    browser.keyboard_walk("Inzage", "form.inzage-form").await;
    for (field, value) in [
        ("naam", DADER[0]),
        ("geboortedatum", DADER[1]),
        ("postcode", DADER[2]),
        ("huisnummer", DADER[3]),
        ("referentie", "AVG-2026-17"),
    ] {
        let input = browser
            .find(&format!("form.inzage-form input[name={field}]"))
            .await;
        browser.send_keys(&input, value).await;
    }
    let submit = browser.find("form.inzage-form button[type=submit]").await;
    browser.click(&submit).await;
    let overview_url = browser.wait_for_url("/inzage/I-").await;
    let doc = browser.text_of("article.inzage-document").await;
    assert!(
        doc.contains("Overzicht van gedeelde gegevens (inzage, artikel 11)"),
        "{doc}"
    );
    assert!(doc.contains(&dader()), "the pseudonym computed here: {doc}");
    for name in [
        "Politie Eenheid Amsterdam",
        "Openbaar Ministerie",
        "Woonstichting De Gracht",
        "GGD Amsterdam",
        "vermoedelijke veroorzaker (dader)",
        "AVG-2026-17",
    ] {
        assert!(doc.contains(name), "{name}: {doc}");
    }
    let html = source(&browser).await;
    for typed in [DADER[0], "Testdader", DADER[1]] {
        assert!(!html.contains(typed), "{typed} in the page");
    }
    for planted in PLANTED {
        assert!(!html.contains(planted), "{planted} in the page");
    }
    browser.axe("Inzage, overzicht").await;
    browser.screenshot("inzage-overzicht").await;
    // On paper: the document only.
    browser.emulate_media("print").await;
    let shown = browser
        .execute(
            r#"const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
               return { nav: shown('nav.main-nav'), header: shown('header.site-header'), downloads: shown('.no-print'),
                        title: shown('main > h1'), document: shown('article.inzage-document') };"#,
            json!([]),
        )
        .await;
    browser.emulate_media("screen").await;
    assert_eq!(
        shown,
        json!({ "nav": false, "header": false, "downloads": false, "title": false, "document": true }),
        "the print rules"
    );
    // The hub's own Markdown document, as `hubctl inzage show` prints it.
    let id = overview_url.rsplit('/').next().expect("id").to_owned();
    let markdown = get(&po, &po_cookie, &format!("/inzage/{id}/overzicht.md")).await;
    assert_eq!(markdown.status, 200);
    assert_eq!(
        markdown.header("content-disposition"),
        Some(format!("attachment; filename=\"inzage-{id}.md\"").as_str())
    );
    let shown_by_cli = hubctl(&po_profile, &["inzage", "show", &id], None).await;
    assert_eq!(markdown.body, shown_by_cli.ok());
    // The list, with the 4 weeks of article 11.2.
    let back = browser.find("a[href='/inzage']").await;
    browser.click(&back).await;
    browser.wait_for_title("Inzage").await;
    let listed = rows(&browser, "#inzageverzoeken").await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(listed[0].starts_with(&id), "{}", listed[0]);
    // Received today; due in 4 weeks (27 if Amsterdam's midnight passed meanwhile).
    assert!(
        listed[0].contains("nog 28 dagen") || listed[0].contains("nog 27 dagen"),
        "{}",
        listed[0]
    );
    assert!(listed[0].contains("AVG-2026-17"), "{}", listed[0]);
    browser.axe("Inzage, lijst").await;
    browser.screenshot("inzage").await;
    // A missing field is named, never shown again.
    let name = browser.find("form.inzage-form input[name=naam]").await;
    browser.send_keys(&name, DADER[0]).await;
    let submit = browser.find("form.inzage-form button[type=submit]").await;
    browser.click(&submit).await;
    wait_for_words(&browser, "form.inzage-form", "Vul ook de geboortedatum in.").await;
    assert!(!source(&browser).await.contains(DADER[0]));
    browser.axe("Inzage, veld ontbreekt").await;
    drop(po);

    // ------------------------------------------------------------------------------
    // The politie's privacy officer: inzage is the gemeente's (11.1); a verification
    // with a key that is not the hub's fails, and says so.
    let other_key =
        treiter_translog::checkpoint::NoteVerifier::new(world.hub.hub.log.origin(), [7u8; 32])
            .expect("verifier")
            .to_string();
    let politie_profile = profile(&world, PO_POLITIE, Some(&other_key));
    let politie_po = ConsoleProcess::start(&politie_profile).await;
    sign_in(&browser, &politie_po).await;
    browser.goto(&politie_po.url("/inzage")).await;
    browser
        .wait_for_title("Inzage vraagt u aan bij de gemeente")
        .await;
    let main = browser.text_of("main").await;
    assert!(main.contains("art. 11.1"), "{main}");
    assert!(
        main.contains("U bent privacy officer van Politie Eenheid Amsterdam."),
        "{main}"
    );
    browser.axe("Inzage (politie)").await;
    browser.goto(&politie_po.url("/logboek/verifieer")).await;
    let run = browser.find("form.verify-form button").await;
    browser.click(&run).await;
    let failed = wait_for_text(&browser, "#verificatie").await;
    assert!(
        failed.contains("Het logboek is NIET geverifieerd"),
        "{failed}"
    );
    assert!(failed.contains("handtekening"), "{failed}");
    browser.axe("Verifieer, mislukt").await;
    drop(politie_po);

    drop(browser);
    world.stop().await;
}

/// Waits (up to 10 s) until an element matching `css` is on the page (after a form
/// was sent), and returns its text.
async fn wait_for_text(browser: &Browser, css: &str) -> String {
    wait_for_words(browser, css, "").await
}

/// Waits (up to 10 s) until an element matching `css` holds `words` (the page that
/// answers a form replaced the one that sent it), and returns its text.
async fn wait_for_words(browser: &Browser, css: &str, words: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        // One script finds the element and reads it, so that a page being replaced
        // between the two cannot leave a stale element behind.
        let text = browser
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                json!([css]),
            )
            .await;
        if let Some(text) = text.as_str()
            && text.contains(words)
        {
            return text.to_owned();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no {css} holding {words:?} on the page within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
