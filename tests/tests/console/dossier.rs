//! Bevraging and Casusdossier in a real browser, as a stadsdeelregisseur of oost, with a
//! real agent per party answering from its synthetic export (as `casefile.rs` runs
//! them): the OM's agent is offline, Zorgcollectief Amstel's link is driven by the test
//! (so its answer comes when the test says, and the page is seen waiting for it), the
//! GGD offers a record carrying `diagnose` (refused whole, article 7.1), and Stichting
//! Lieflijk Wonen a record with a field the category does not list (withheld, article
//! 8.1).

use serde_json::json;
use std::time::{Duration, Instant};

use super::browser::Browser;
use super::{ConsoleProcess, raw};
use crate::casefile::{Partners, SDR_OOST, case_in, client, dader};
use crate::questions::RawAgent;
use crate::support::{Pki, TestHub, hubctl_profile, write_export};

/// The visible text of the first element matching `css`, or `None` without one. Read
/// in one script, so that an element htmx replaces meanwhile is never half read (or
/// stale, as an element reference would be).
async fn text_now(browser: &Browser, css: &str) -> Option<String> {
    browser
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
            json!([css]),
        )
        .await
        .as_str()
        .map(str::to_owned)
}

/// The text of the row of `partner` (by name) in table `table`, or `None` without one.
async fn row_in(browser: &Browser, table: &str, partner: &str) -> Option<String> {
    text_now(browser, &format!("{table} tr[data-partner=\"{partner}\"]")).await
}

/// Waits (up to `limit`) until the page shown, as it is now and without reloading it,
/// satisfies `done`; returns the text of `main` then.
async fn wait_for_page(
    browser: &Browser,
    limit: Duration,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let start = Instant::now();
    loop {
        // Empty while a page is being replaced by the next.
        let main = text_now(browser, "main").await.unwrap_or_default();
        if done(&main) {
            return main;
        }
        assert!(
            start.elapsed() < limit,
            "the page did not show {what} within {limit:?}; it shows:\n{main}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scrolls the first element matching `css` to the top of the window.
async fn scroll_to(browser: &Browser, css: &str) {
    browser
        .execute(
            "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView(); return true;",
            json!([css]),
        )
        .await;
}

#[tokio::test]
async fn a_case_file_fills_in_live_and_reads_as_a_printable_report() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    // Stichting Lieflijk Wonen knows the dader: its tenancy record carries a field that
    // huurgegevens does not list (article 8.1 withholds it).
    write_export(
        &pki.dir.path().join("exports"),
        "lieflijkwonen",
        "huurgegevens",
        &dader(),
        &json!([{ "reference": "LW-88", "recorded_at": "2026-11-02T10:00:00Z", "fields": {
            "huurder_sinds": "2019-06-01", "huurstatus": "actief",
            "interne_notitie": "synthetische notitie" } }]),
    );
    // The OM's agent is offline; Amstel links later, by hand. (The agents find their
    // category folders when they start.)
    let partners = Partners::start(&pki, &hub, &["om", "amstel"]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let case = case_in(&mut sdr, "duiding").await;
    let profile = hubctl_profile(&pki, hub.addr, SDR_OOST, None);
    let console = ConsoleProcess::start(&profile).await;
    browser.goto(&console.sign_in_url).await;

    // Bevraging: who knows the dader (hit / no hit only, article 8.4).
    browser
        .goto(&console.url(&format!("/casussen/{case}/bevraging")))
        .await;
    assert!(browser.title().await.starts_with("Bevraging — casus"));
    browser.axe("Bevraging").await;
    browser.keyboard_walk("Bevraging", "form.bevraging").await;
    let ask = browser.find("form.bevraging button[type=submit]").await;
    browser.click(&ask).await;
    let shown = wait_for_page(
        &browser,
        Duration::from_secs(20),
        "the bevraging's answer",
        |t| t.contains("gevraagde partners"),
    )
    .await;
    let answer = |name: &str| {
        let name = name.to_owned();
        let browser = &browser;
        async move {
            row_in(browser, "#bevraging", &name)
                .await
                .unwrap_or_else(|| panic!("no row for {name}"))
        }
    };
    for knows in [
        "Politie Eenheid Amsterdam",
        "GGD Amsterdam",
        "Woonstichting De Gracht",
        "Stichting Lieflijk Wonen",
    ] {
        let line = answer(knows).await;
        assert!(
            line.contains("bekend") && !line.contains("niet bekend"),
            "{line}"
        );
    }
    assert!(
        answer("Gemeente Amsterdam").await.contains("niet bekend"),
        "{shown}"
    );
    for offline in [
        "Zorgcollectief Amstel",
        "Openbaar Ministerie, Arrondissementsparket Amsterdam",
    ] {
        let line = answer(offline).await;
        assert!(line.contains("geen antwoord — offline"), "{line}");
    }
    assert!(
        !shown.contains("00000002000000000002"),
        "parties by name: {shown}"
    );
    browser.axe("Bevraging, uitslag").await;
    browser.screenshot("bevraging").await;

    // Amstel links now, driven by the test: it receives its questions and answers only
    // when told.
    let mut amstel = RawAgent::link(&pki, "amstel", &hub).await;

    // Casusdossiers of the case: the request form, purpose from the phase.
    browser
        .goto(&console.url(&format!("/casussen/{case}/casusdossiers")))
        .await;
    let form = browser.text_of("form.request").await;
    assert!(
        form.contains("doel duiding (past bij fase duiding, art. 4.2)"),
        "{form}"
    );
    assert!(
        browser
            .text_of("main")
            .await
            .contains("U hebt voor deze casus nog geen casusdossier opgevraagd.")
    );
    browser.axe("Casusdossiers").await;
    browser.keyboard_walk("Casusdossiers", "form.request").await;
    // The longest wait on offer, so that Amstel is still being waited for when looked at.
    browser
        .execute(
            "document.querySelector('#verzoek-wachttijd').value = '60'; return true;",
            json!([]),
        )
        .await;
    let request = browser.find("form.request button[type=submit]").await;
    browser.click(&request).await;
    let url = browser.wait_for_url("/casusdossiers/CF-").await;
    let id = url.rsplit('/').next().expect("id").to_owned();

    // Live: the police's records arrive while Amstel is still asked.
    let live = wait_for_page(
        &browser,
        Duration::from_secs(30),
        "the police's answer while Amstel is asked",
        |t| {
            t.contains("wordt samengesteld") && t.contains("Politie Eenheid Amsterdam — beantwoord")
        },
    )
    .await;
    let amstel_row = row_in(&browser, "#partners", "Zorgcollectief Amstel")
        .await
        .expect("Amstel's row");
    assert!(
        amstel_row.contains("gevraagd — wacht op antwoord"),
        "{amstel_row}\n{live}"
    );
    // Amstel is among those waited for (on a loaded machine another partner may still
    // be answering too: "wacht op GGD Amsterdam, Zorgcollectief Amstel").
    assert!(
        live.lines()
            .any(|line| line.contains("wacht op") && line.contains("Zorgcollectief Amstel")),
        "{live}"
    );
    // From here on the page is not loaded again: what changes, htmx changes.
    browser
        .execute("window.treiterMarker = 'live'; return true;", json!([]))
        .await;
    browser.axe("Casusdossier, live").await;
    scroll_to(&browser, "#partners-titel").await;
    browser.screenshot("casusdossier-live").await;

    // Amstel answers: it knows neither subject (two questions, one per subject).
    let first = amstel.next_question().await;
    let second = amstel.next_question().await;
    amstel.answer(&first, false).await;
    amstel.answer(&second, false).await;

    let done = wait_for_page(
        &browser,
        Duration::from_secs(30),
        "every partner settled",
        |t| t.contains("Alle partners zijn afgehandeld"),
    )
    .await;
    assert_eq!(
        browser
            .execute("return window.treiterMarker || null;", json!([]))
            .await,
        "live",
        "the page filled in without being loaded again"
    );
    let status = |name: &str| {
        let name = name.to_owned();
        let browser = &browser;
        async move {
            row_in(browser, "#partners", &name)
                .await
                .unwrap_or_else(|| panic!("no row for {name}"))
        }
    };
    assert!(
        status("Zorgcollectief Amstel")
            .await
            .contains("niets — kent de betrokkenen niet")
    );
    assert!(
        status("Politie Eenheid Amsterdam")
            .await
            .contains("beantwoord")
    );
    assert!(
        status("Openbaar Ministerie, Arrondissementsparket Amsterdam")
            .await
            .contains("offline — in de wachtrij tot"),
        "{done}"
    );
    let ggd = status("GGD Amsterdam").await;
    assert!(ggd.contains("ingehouden — art. 7.1"), "{ggd}");
    assert!(ggd.contains("verboden inhoud"), "{ggd}");
    assert!(
        status("Gemeente Amsterdam").await.contains("niets"),
        "{done}"
    );

    // The report: fields with values, the withheld field with its article, the withheld
    // record with its article, obligations, provenance with the log entry as text.
    let report = text_now(&browser, "section.records")
        .await
        .expect("the records section");
    for expected in [
        "Politie Eenheid Amsterdam — beantwoord",
        "incidentsoort",
        "bedreiging",
        "synthetische samenvatting",
        "Stichting Lieflijk Wonen — beantwoord",
        "Ingehouden velden: interne_notitie (art. 8.1)",
        "GGD Amsterdam — ingehouden — art. 7.1",
        "zorgbetrokkenheid · dader",
        "Verboden inhoud: het hele gegeven is geweigerd",
        "De privacy officer van GGD Amsterdam is ingelicht.",
        "Alleen gebruiken voor duiding (doelbinding, art. 3.2)",
        "Bewaren tot 24 maanden nadat de casus is afgesloten",
        "kenmerk BVH-0001",
        "logboek, regel",
    ] {
        assert!(
            report.contains(expected),
            "the report lacks {expected:?}:\n{report}"
        );
    }
    assert!(
        !report.contains("synthetische notitie"),
        "the withheld value: {report}"
    );
    assert!(
        !report.contains("team Oost"),
        "nothing of the refused record passed: {report}"
    );
    assert!(
        !done.contains("00000005000000000006"),
        "parties by name: {done}"
    );
    assert!(
        browser
            .find_all("section.records a[href^='/logboek/']")
            .await
            .is_empty(),
        "a coordinator cannot read the log: the entry is text, not a link"
    );
    browser.axe("Casusdossier").await;
    browser.keyboard_walk("Casusdossier", "form.sign-out").await;
    // The tenancy record with its withheld field, and the refused care record.
    scroll_to(&browser, "section.partner-records:nth-of-type(4)").await;
    browser.screenshot("casusdossier").await;

    // Printed for the overleg: no menu, status bar or controls; the tables stay.
    browser.emulate_media("print").await;
    let shown = |css: &str| {
        let css = css.to_owned();
        let browser = &browser;
        async move {
            browser
                .execute(
                    "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).display : null;",
                    json!([css]),
                )
                .await
        }
    };
    for hidden in [
        ".main-nav",
        ".status-bar",
        ".dossier-actions",
        ".breadcrumb",
        ".skip-link",
    ] {
        assert_eq!(shown(hidden).await, "none", "{hidden} is printed");
    }
    assert_eq!(shown("#partners").await, "table");
    assert_eq!(shown("table.fields").await, "table");
    scroll_to(&browser, "body").await;
    browser.screenshot("casusdossier-print").await;
    browser.emulate_media("").await;

    // Without JavaScript the page is whole as served, with a plain link to reload it.
    let port = console.host.rsplit(':').next().expect("port").to_owned();
    let cookie = browser
        .cookies()
        .await
        .into_iter()
        .find(|c| c["name"] == format!("treiter_console_{port}"))
        .expect("session cookie");
    let cookie = format!(
        "{}={}",
        cookie["name"].as_str().expect("name"),
        cookie["value"].as_str().expect("value")
    );
    let page = raw(
        &console,
        &format!(
            "GET /casusdossiers/{id} HTTP/1.1\nHost: {}\nCookie: {cookie}",
            console.host
        ),
        "",
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!(
        "<a href=\"/casusdossiers/{id}\" class=\"refresh\">Vernieuwen</a>"
    )));
    assert!(page.body.contains("ingehouden — art. 7.1"));
    assert!(
        !page.body.contains("/voortgang"),
        "a settled file is not polled"
    );
    // A request without the form's CSRF token starts nothing.
    let forged = raw(
        &console,
        &format!(
            "POST /casussen/{case}/casusdossiers HTTP/1.1\nHost: {}\nCookie: {cookie}\nContent-Type: application/x-www-form-urlencoded",
            console.host
        ),
        "doel=duiding",
    )
    .await;
    assert_eq!(forged.status, 403);

    // The case's list of case files.
    browser
        .goto(&console.url(&format!("/casussen/{case}/casusdossiers")))
        .await;
    let list = browser.text_of("#casusdossiers").await;
    assert!(list.contains(&id), "{list}");
    assert!(
        list.contains("nog niet compleet: vragen in de wachtrij"),
        "{list}"
    );
    assert_eq!(
        browser.find_all("#casusdossiers tbody tr").await.len(),
        1,
        "the forged request started nothing: {list}"
    );
    browser.axe("Casusdossiers, met lijst").await;

    drop(amstel);
    drop(browser);
    drop(console);
    partners.stop().await;
    hub.stop().await;
}
