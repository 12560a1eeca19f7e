//! The Convenant pages in real browsers, as two privacy officers use them (article
//! 13.1): the officer of the politie proposes a new version in the proposal editor,
//! first with a typo (the engine's diagnostic appears live, with its line and column,
//! and again through the plain "Controleer" button), then fixed; approves it for the
//! politie, and is refused a second approval by the same party before anything else is
//! shown. The officer of the gemeente, in a browser with JavaScript switched off, sees
//! the politie's approval, checks a draft with "Controleer", and approves: the version
//! takes effect. Then the side-by-side difference, with what changes for whom. axe-core
//! on every page kind, the keyboard walk through every form, and screenshots
//! (`convenant`, `convenant-editor`, `convenant-diff`).

use std::time::{Duration, Instant};

use serde_json::json;
use treiter_policies::Covenant;

use super::ConsoleProcess;
use super::browser::Browser;
use crate::covenant_versions::{PO_GEMEENTE, PO_POLITIE, covenant_text};
use crate::support::{Pki, TestHub, hubctl_profile};

/// The line with the typo, as the repository's covenant has it and as typed.
const LINE: &str = "art. 6.3  politie-incidenten comes from politie";
const TYPO: &str = "art. 6.3  politie-incidenten comes from politei";

/// Waits (up to 20 s) until the element matching `css` exists and its text contains
/// `needle`, as after a live update; returns the text. Read in one script, so that an
/// element htmx replaces between two WebDriver commands is never asked for.
async fn wait_for_text(browser: &Browser, css: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let seen = browser
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                json!([css]),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if seen.contains(needle) {
            return seen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{css} did not come to say {needle:?} within 20 s; it says {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the engine places the first problem of `text`: "regel L, kolom C", with its
/// code, message and help, as the console must show them.
fn first_problem(text: &str) -> (String, String, String, String) {
    let problems = Covenant::parse("voorstel.covenant", text)
        .expect_err("the draft has an error")
        .problems()
        .to_vec();
    let p = &problems[0];
    (
        format!("regel {}, kolom {}", p.line, p.column),
        p.code.to_owned(),
        p.message.clone(),
        p.help.clone().unwrap_or_default(),
    )
}

fn sha256_hex(text: &str) -> String {
    treiter_translog::hash::sha256(text.as_bytes()).to_hex()
}

/// Puts `text` (which ends with a line break) in the editor: all but its last line
/// break as a paste would, then that line break with the keyboard, whose keystroke
/// starts the live check.
async fn type_text(browser: &Browser, text: &str) {
    let pasted = text
        .strip_suffix('\n')
        .expect("a text ends with a line break");
    browser
        .execute(
            "document.querySelector('#tekst').value = arguments[0]; return true;",
            json!([pasted]),
        )
        .await;
    let field = browser.find("#tekst").await;
    browser.send_keys(&field, "\n").await;
    assert_eq!(browser.value(&field).await, text);
}

#[tokio::test]
async fn two_privacy_officers_propose_and_approve_a_covenant_version_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let politie = ConsoleProcess::start(&hubctl_profile(&pki, hub.addr, PO_POLITIE, None)).await;
    let gemeente = ConsoleProcess::start(&hubctl_profile(&pki, hub.addr, PO_GEMEENTE, None)).await;

    // The politie's officer signs in; the menu offers Convenant.
    browser.goto(&politie.sign_in_url).await;
    let menu = browser.find("nav a[href='/convenant']").await;
    browser.click(&menu).await;
    browser.wait_for_url("/convenant").await;
    assert!(browser.title().await.starts_with("Convenant"));
    assert_eq!(
        browser.text_of("#in-kracht").await,
        "Nu in kracht: versie 1"
    );
    let row = browser.text_of("#versies tr[data-version='1']").await;
    assert!(row.contains("in kracht"), "{row}");
    assert!(row.contains("de versie waarmee de hub is gestart"), "{row}");
    let v1 = covenant_text(1, false);
    assert!(row.contains(&sha256_hex(&v1)), "the text hash: {row}");
    browser.axe("Convenant").await;
    browser.keyboard_walk("Convenant", "form.compare").await;

    // Version 1's text, line by line.
    browser.goto(&politie.url("/convenant/1")).await;
    let lines = browser.find_all("ol.source li").await;
    assert_eq!(lines.len(), v1.lines().count());
    assert_eq!(
        browser.text_of("#regel-17").await,
        v1.lines().nth(16).expect("line 17"),
        "line numbers are the file's"
    );
    browser.axe("Convenant versie 1").await;

    // The editor starts from the version in force, already numbered 2 (art. 13.2).
    browser.goto(&politie.url("/convenant")).await;
    let new = browser.find("a[href='/convenant/voorstel']").await;
    browser.click(&new).await;
    browser.wait_for_url("/convenant/voorstel").await;
    let field = browser.find("#tekst").await;
    assert_eq!(browser.value(&field).await, covenant_text(2, false));
    assert!(
        browser
            .text_of("#controle-samenvatting")
            .await
            .starts_with("Geldig: versie 2"),
        "the draft is checked when the page is drawn"
    );
    browser
        .keyboard_walk("Nieuwe versie voorstellen", "form.editor")
        .await;

    // A typo: the diagnostic appears as the officer types, with line and column.
    let with_typo = covenant_text(2, true).replacen(LINE, TYPO, 1);
    assert_ne!(
        with_typo,
        covenant_text(2, true),
        "the fixture has the line"
    );
    type_text(&browser, &with_typo).await;
    let typed = browser.value(&browser.find("#tekst").await).await;
    let (place, code, message, help) = first_problem(&typed);
    let shown = wait_for_text(&browser, "#controle", &place).await;
    assert!(shown.contains(&code), "{shown}");
    assert!(shown.contains(&message), "{shown}");
    assert!(shown.contains(&help), "the help: {shown}");
    assert!(shown.contains("Ongeldig: 1 fout(en)"), "{shown}");
    assert!(
        shown.contains("De tests draaien zodra de tekst geldig is."),
        "{shown}"
    );
    assert_eq!(
        browser.text_of("#controle mark.here").await,
        "politei",
        "the offending word is marked"
    );
    browser.axe("Nieuwe versie voorstellen (met fout)").await;
    // The screenshot shows the page from the top, with the line of the typo in view.
    let typo_line = typed.lines().position(|l| l == TYPO).expect("typo line");
    browser
        .execute(
            r#"const ta = document.querySelector('#tekst');
               ta.blur();
               const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
               ta.scrollTop = Math.max(0, (arguments[0] - 6) * lh);
               window.scrollTo(0, 0);
               return true;"#,
            json!([typo_line]),
        )
        .await;
    browser.screenshot("convenant-editor").await;

    // The same check without htmx: "Controleer" posts the form and shows the page.
    let check = browser.find("#controleer").await;
    browser.click(&check).await;
    browser.wait_for_url("/convenant/voorstel/controle").await;
    let page = wait_for_text(&browser, "#controle", &place).await;
    assert!(page.contains(&message), "{page}");
    assert_eq!(
        browser.value(&browser.find("#tekst").await).await,
        typed,
        "the text comes back as typed"
    );
    browser.axe("Controle zonder htmx").await;

    // What only the hub can know it refuses, and says why next to the editor: a
    // version number that is not above the highest it has (art. 13.2).
    let not_higher = covenant_text(1, true);
    type_text(&browser, &not_higher).await;
    wait_for_text(&browser, "#controle-samenvatting", "Geldig: versie 1").await;
    let description = browser.find("#toelichting").await;
    browser
        .send_keys(&description, "art. 6.3: locatie wordt niet meer verstrekt")
        .await;
    let propose = browser.find("#voorstellen").await;
    browser.click(&propose).await;
    let refusal = wait_for_text(
        &browser,
        "#weigering",
        "De hub heeft het voorstel niet aangenomen",
    )
    .await;
    let version_line = not_higher
        .lines()
        .position(|l| l == "version 1")
        .expect("the version line")
        + 1;
    assert!(
        refusal.contains(&format!("regel {version_line}, kolom 9")),
        "{refusal}"
    );
    assert!(
        refusal.contains("covenant::version-not-increasing"),
        "{refusal}"
    );
    assert!(refusal.contains("version 2"), "the hub's help: {refusal}");
    assert_eq!(hub.hub.covenant.version(), 1);
    browser.axe("Voorstel geweigerd").await;

    // Fixed: valid, and the covenant tests show what the change does (tests that
    // expect locatie to pass now fail).
    let fixed = covenant_text(2, true);
    type_text(&browser, &fixed).await;
    wait_for_text(&browser, "#controle-samenvatting", "Geldig: versie 2").await;
    let tests = browser.text_of("#tests-uitkomst").await;
    assert!(
        tests.contains("geslaagd") && !tests.contains(" 0 gefaald"),
        "{tests}"
    );
    let failed = browser.text_of("#controle .failed-tests").await;
    assert!(failed.contains("locatie"), "{failed}");
    browser.axe("Nieuwe versie voorstellen (geldig)").await;

    // Voorstellen (the description is still there): to the new version's page
    // (post/redirect/get).
    let proposed_text = browser.value(&browser.find("#tekst").await).await;
    let propose = browser.find("#voorstellen").await;
    browser.click(&propose).await;
    browser.wait_for_url("/convenant/2?voorgesteld=1").await;
    let banner = browser.text_of("#melding").await;
    assert!(banner.starts_with("Versie 2 is voorgesteld."), "{banner}");
    assert_eq!(proposed_text, fixed, "what was typed is what is proposed");
    let hash = sha256_hex(&proposed_text);
    assert_eq!(browser.text_of("#teksthash").await, hash);
    let facts = browser.text_of("#versie-feiten").await;
    assert!(
        facts.contains("Politie Eenheid Amsterdam (Niels Privacytest)"),
        "{facts}"
    );
    assert!(
        facts.contains("locatie wordt niet meer verstrekt"),
        "{facts}"
    );
    browser.axe("Convenant versie 2 (voorgesteld)").await;

    // The politie approves: the page shows the hash and that no one approved before.
    let approve = browser.find("a[href='/convenant/2/goedkeuren']").await;
    browser.click(&approve).await;
    browser.wait_for_url("/convenant/2/goedkeuren").await;
    assert_eq!(browser.text_of("#goed-te-keuren-hash").await, hash);
    assert_eq!(
        browser.text_of("#eerder").await,
        "Nog niemand heeft deze versie goedgekeurd."
    );
    let who = browser.text_of("#wie-merkt-het").await;
    assert!(who.contains("informatiemakelaar van gemeente"), "{who}");
    browser.axe("Versie 2 goedkeuren").await;
    browser
        .keyboard_walk("Versie 2 goedkeuren", "form.approve")
        .await;
    let reviewed = browser.find("#beoordeeld").await;
    browser.click(&reviewed).await;
    let button = browser.find("#goedkeuren-knop").await;
    assert_eq!(
        browser.text(&button).await,
        "Goedkeuren namens Politie Eenheid Amsterdam"
    );
    browser.click(&button).await;
    browser.wait_for_url("/convenant/2?goedgekeurd=1").await;
    assert_eq!(
        browser.text_of("#melding").await,
        "U hebt versie 2 goedgekeurd namens Politie Eenheid Amsterdam. Ze is nog niet in kracht."
    );
    assert_eq!(hub.hub.covenant.version(), 1, "one party is not enough");

    // A second approval by the same party is refused before anything else is shown.
    browser.goto(&politie.url("/convenant/2/goedkeuren")).await;
    let refused = browser.text_of("#al-goedgekeurd").await;
    assert!(
        refused.contains(
            "Politie Eenheid Amsterdam heeft versie 2 al goedgekeurd (Niels Privacytest,"
        ),
        "{refused}"
    );
    assert!(browser.find_all("form#goedkeuren").await.is_empty());
    assert!(browser.find_all("#goed-te-keuren-hash").await.is_empty());
    assert!(browser.find_all("#effecten").await.is_empty());
    browser.axe("Versie 2 goedkeuren (al goedgekeurd)").await;

    // The list: version 2 proposed, with the politie's approval and what 13.1 needs.
    browser.goto(&politie.url("/convenant")).await;
    let row = browser.text_of("#versies tr[data-version='2']").await;
    assert!(row.contains("voorgesteld"), "{row}");
    assert!(row.contains("uw partij heeft goedgekeurd"), "{row}");
    browser.screenshot("convenant").await;

    // The gemeente's officer, without JavaScript, sees the politie's approval.
    let Some(plain) = Browser::start_without_javascript().await else {
        return;
    };
    plain.goto(&gemeente.sign_in_url).await;
    plain.goto(&gemeente.url("/convenant")).await;
    assert_eq!(
        plain.execute("return typeof window.htmx;", json!([])).await,
        "undefined",
        "the page's scripts do not run"
    );
    let row = plain.text_of("#versies tr[data-version='2']").await;
    assert!(
        row.contains("Politie Eenheid Amsterdam (Niels Privacytest)"),
        "{row}"
    );
    assert!(
        row.contains(
            "Nog nodig: goedkeuring door een privacy officer van een partij van soort gemeente (art. 13.1)."
        ),
        "{row}"
    );

    // "Controleer" without JavaScript: a typed line with a typo, checked by the form.
    plain.goto(&gemeente.url("/convenant/voorstel")).await;
    let field = plain.find("#tekst").await;
    plain.send_keys(&field, &format!("\n{TYPO}")).await;
    let typed = plain.value(&plain.find("#tekst").await).await;
    assert!(typed.ends_with(TYPO), "typed at the end of the text");
    let (place, code, _, help) = first_problem(&typed);
    let check = plain.find("#controleer").await;
    plain.click(&check).await;
    plain.wait_for_url("/convenant/voorstel/controle").await;
    let shown = plain.text_of("#controle").await;
    assert!(shown.contains(&place), "{place}: {shown}");
    assert!(shown.contains(&code) && shown.contains(&help), "{shown}");

    // The gemeente approves the hash the page shows: article 13.1 is met.
    plain.goto(&gemeente.url("/convenant/2/goedkeuren")).await;
    assert_eq!(plain.text_of("#goed-te-keuren-hash").await, hash);
    let before = plain.text_of("#eerder").await;
    assert!(
        before.contains("Politie Eenheid Amsterdam (Niels Privacytest)"),
        "the second console sees the first approval: {before}"
    );
    let reviewed = plain.find("#beoordeeld").await;
    plain.click(&reviewed).await;
    let button = plain.find("#goedkeuren-knop").await;
    plain.click(&button).await;
    plain.wait_for_url("/convenant/2?goedgekeurd=1").await;
    let banner = plain.text_of("#melding").await;
    assert!(banner.contains("versie 2 is nu in kracht"), "{banner}");
    assert_eq!(hub.hub.covenant.version(), 2, "in force at the hub");
    plain.goto(&gemeente.url("/convenant")).await;
    assert_eq!(plain.text_of("#in-kracht").await, "Nu in kracht: versie 2");
    let old = plain.text_of("#versies tr[data-version='1']").await;
    assert!(
        old.contains("vervangen") && old.contains("door versie 2"),
        "{old}"
    );
    drop(plain);

    // What changed for whom, and both texts side by side.
    browser.goto(&politie.url("/convenant")).await;
    assert_eq!(
        browser.text_of("#in-kracht").await,
        "Nu in kracht: versie 2"
    );
    browser
        .goto(&politie.url("/convenant/verschil?van=1&naar=2"))
        .await;
    assert_eq!(
        browser.text_of("#verschil-kop").await,
        "Versie 1 → versie 2"
    );
    let count = browser.text_of("#aantal-veranderingen").await;
    assert!(count.contains("anders beslist"), "{count}");
    let who = browser.text_of("#wie-merkt-het").await;
    assert!(who.contains("informatiemakelaar van gemeente"), "{who}");
    assert!(who.contains("stadsdeelregisseur van gemeente"), "{who}");
    let effects = browser.text_of("#effecten").await;
    assert!(effects.contains("politie-incidenten"), "{effects}");
    assert!(browser.text_of("#regels").await.contains("art. 6.3"));
    let mut marked = Vec::new();
    for mark in browser.find_all("#naast-elkaar td.removed mark").await {
        marked.push(browser.text(&mark).await);
    }
    assert!(
        marked.iter().any(|m| m.contains("locatie")),
        "the removed words are marked: {marked:?}"
    );
    assert!(!browser.find_all("#naast-elkaar tr.fold").await.is_empty());
    browser.axe("Verschil tussen twee versies").await;
    browser
        .keyboard_walk("Verschil tussen twee versies", "form.compare")
        .await;
    browser
        .execute(
            "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return true;",
            json!([]),
        )
        .await;
    browser.screenshot("convenant-diff").await;
    let whole = browser.find("a[href$='hele=1']").await;
    browser.click(&whole).await;
    browser.wait_for_url("hele=1").await;
    assert!(browser.find_all("#naast-elkaar tr.fold").await.is_empty());

    drop(browser);
    drop(politie);
    drop(gemeente);
    hub.stop().await;
}
