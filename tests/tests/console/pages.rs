//! The console's pages in a real browser, as an informatiemakelaar of stadsdeel oost
//! sees them, with cases created through the hub: what each page shows, axe-core on
//! each, a keyboard-only walk through each form, a screenshot of each, the status bar
//! when the hub cannot be reached, and signing out.

use serde_json::Value;
use tonic::Request;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;

use super::ConsoleProcess;
use super::browser::Browser;
use crate::support::{Pki, TestHub, hubctl_profile, person_channel};

const IM_OOST: &str = "p-gemeente-001";
const IM_WEST: &str = "p-gemeente-002";
const SDR_OOST: &str = "p-gemeente-004";
const PRIVACY_GEMEENTE: &str = "p-gemeente-090";

async fn coordinator(pki: &Pki, hub: &TestHub, person: &str) -> CoordinatorClient<HubChannel> {
    CoordinatorClient::new(person_channel(pki, person, hub.addr).await)
}

fn hours_ago(hours: i64) -> Option<prost_types::Timestamp> {
    let now = time::OffsetDateTime::now_utc() - time::Duration::hours(hours);
    Some(prost_types::Timestamp {
        seconds: now.unix_timestamp(),
        nanos: 0,
    })
}

async fn create(c: &mut CoordinatorClient<HubChannel>, id: &str, stadsdeel: &str) -> String {
    c.create_case(Request::new(wire::CreateCaseRequest {
        client_request_id: id.into(),
        stadsdeel: stadsdeel.into(),
        melding_at: hours_ago(1),
        external_reference: String::new(),
    }))
    .await
    .expect("case created")
    .into_inner()
    .case
    .expect("case")
    .id
}

async fn add_subject(
    c: &mut CoordinatorClient<HubChannel>,
    case: &str,
    n: u8,
    role: &str,
    label: &str,
) {
    c.add_subject(wire::AddSubjectRequest {
        client_request_id: format!("s-{case}-{n}"),
        case_id: case.into(),
        subject: Some(wire::SubjectPseudonym {
            hex: format!("{n:02x}").repeat(32),
        }),
        role: role.into(),
        label: label.into(),
    })
    .await
    .expect("subject added");
}

/// The text of every row of the case table, in order.
async fn case_rows(browser: &Browser) -> Vec<String> {
    let mut rows = Vec::new();
    for row in browser.find_all("#casussen tbody tr").await {
        rows.push(browser.text(&row).await);
    }
    rows
}

#[tokio::test]
async fn wie_ben_ik_and_mijn_casussen_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut im = coordinator(&pki, &hub, IM_OOST).await;
    let mut sdr = coordinator(&pki, &hub, SDR_OOST).await;
    let mut im_west = coordinator(&pki, &hub, IM_WEST).await;

    // Case A is registered, then five days pass on the hub's clock without contact
    // with the melder: its deadline of two working days (art. 4.3) has passed.
    let overdue = create(&mut im, "a", "oost").await;
    add_subject(&mut im, &overdue, 1, "melder", "melder via 14020").await;
    hub.hub.clock.advance(time::Duration::days(5));
    // Case B is new, with a labelled and an unlabelled subject and an emergency.
    let urgent = create(&mut sdr, "b", "oost").await;
    add_subject(&mut sdr, &urgent, 2, "slachtoffer", "buurvrouw 2-hoog").await;
    add_subject(&mut sdr, &urgent, 3, "dader", "").await;
    sdr.declare_emergency(wire::DeclareEmergencyRequest {
        client_request_id: "e".into(),
        case_id: urgent.clone(),
        reason: "acute dreiging".into(),
    })
    .await
    .expect("emergency declared");
    // Case C is west's: not for an informatiemakelaar of oost (art. 5.3).
    let elsewhere = create(&mut im_west, "c", "west").await;

    let profile = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let console = ConsoleProcess::start(&profile).await;

    // Signing in: the link's token becomes a cookie, and the browser lands on the
    // first page for an informatiemakelaar, without the token in its address.
    browser.goto(&console.sign_in_url).await;
    let url = browser.url().await;
    assert_eq!(url, console.url("/casussen"), "{url}");
    let port = console.host.rsplit(':').next().expect("port");
    let cookies = browser.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c["name"] == Value::String(format!("treiter_console_{port}")))
        .unwrap_or_else(|| panic!("no session cookie: {cookies:?}"));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    assert_eq!(
        browser
            .execute("return document.cookie;", serde_json::json!([]))
            .await,
        "",
        "scripts cannot read the session cookie"
    );

    // Mijn casussen: overdue first and marked, subjects by label, the emergency's
    // time left, and nothing of west.
    assert!(browser.title().await.starts_with("Mijn casussen"));
    assert!(
        browser
            .text_of("#hub-status")
            .await
            .contains("Verbonden met de hub"),
        "the status bar"
    );
    // htmx loaded from the console itself under the CSP, and the status bar's live
    // update (what htmx polls every 15 s) answers within the session.
    let refreshed = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               if (typeof htmx !== 'object') { done('htmx did not load'); return; }
               htmx.ajax('GET', '/status', { target: '#hub-status', swap: 'innerHTML' })
                 .then(() => done(document.querySelector('#hub-status').textContent))
                 .catch(e => done('failed: ' + e));"#,
        )
        .await;
    assert!(
        refreshed
            .as_str()
            .is_some_and(|t| t.contains("Verbonden met de hub")),
        "{refreshed}"
    );
    let rows = case_rows(&browser).await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows[0].starts_with(&overdue), "overdue first: {rows:#?}");
    assert!(rows[0].contains("Termijn verstreken"), "{}", rows[0]);
    assert!(rows[0].contains("melder via 14020"), "{}", rows[0]);
    assert!(rows[1].starts_with(&urgent), "{rows:#?}");
    assert!(
        rows[1].contains("slachtoffer — buurvrouw 2-hoog"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains("dader — pseudoniem 030303030303…"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains("actief — nog 2 dagen 23 uur van 72 uur"),
        "the emergency's time left, by the hub's clock: {}",
        rows[1]
    );
    assert!(!rows[1].contains("Termijn verstreken"), "{}", rows[1]);
    let main = browser.text_of("main").await;
    assert!(
        !main.contains(&elsewhere),
        "west's case is not shown: {main}"
    );
    assert!(!main.contains("00000001000000000001"), "no bare OIN");
    browser.axe("Mijn casussen").await;
    browser.keyboard_walk("Mijn casussen", "form.filter").await;
    browser.screenshot("mijn-casussen").await;

    // The filter form works without JavaScript (a plain GET form).
    let overdue_box = browser.find("input[name=verstreken]").await;
    browser.click(&overdue_box).await;
    let apply = browser.find("form.filter button[type=submit]").await;
    browser.click(&apply).await;
    browser.wait_for_url("verstreken=1").await;
    let rows = case_rows(&browser).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert!(rows[0].starts_with(&overdue), "{rows:#?}");
    browser.axe("Mijn casussen, gefilterd").await;

    // Wie ben ik: person, party by name (the OIN in a detail line), roles, stadsdeel,
    // and the certificate's validity (the dev certificate is far from expiry).
    let menu = browser.find("nav a[href='/wie-ben-ik']").await;
    browser.click(&menu).await;
    browser.wait_for_url("/wie-ben-ik").await;
    let facts = browser.text_of("dl.facts").await;
    for expected in [
        "p-gemeente-001",
        "Gemeente Amsterdam",
        "soort gemeente, OIN 00000001000000000001",
        "informatiemakelaar",
        "oost",
        "geldig tot",
    ] {
        assert!(
            facts.contains(expected),
            "Wie ben ik lacks {expected:?}: {facts}"
        );
    }
    assert!(
        browser
            .find_all("#certificaat-waarschuwing")
            .await
            .is_empty()
    );
    assert_eq!(
        browser.text_of("nav a[aria-current=page]").await,
        "Wie ben ik"
    );
    browser.axe("Wie ben ik").await;
    browser.keyboard_walk("Wie ben ik", "form.sign-out").await;
    browser.screenshot("wie-ben-ik").await;

    // A console whose hub cannot be reached says so in the status bar and the page.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_addr = dead.local_addr().expect("addr");
    drop(dead);
    let (cert, key) = pki.person(IM_OOST);
    let unreachable_profile =
        crate::support::hubctl_profile_with(&pki, dead_addr, "offline", &cert, &key, None);
    let offline = ConsoleProcess::start(&unreachable_profile).await;
    browser.goto(&offline.sign_in_url).await;
    let status = browser.text_of("#hub-status").await;
    assert!(status.contains("De hub is niet bereikbaar"), "{status}");
    let problem = browser.text_of("main").await;
    assert!(problem.contains("De hub is niet bereikbaar"), "{problem}");
    assert!(
        problem.contains("geldig tot"),
        "the certificate's validity is read locally, and shown all the same: {problem}"
    );
    browser.axe("hub onbereikbaar").await;
    browser.screenshot("hub-onbereikbaar").await;
    drop(offline);

    // A privacy officer receives no case data (art. 5.2): the console starts on Wie
    // ben ik and offers no Mijn casussen.
    let officer_profile = hubctl_profile(&pki, hub.addr, PRIVACY_GEMEENTE, None);
    let officer = ConsoleProcess::start(&officer_profile).await;
    browser.goto(&officer.sign_in_url).await;
    assert_eq!(browser.url().await, officer.url("/wie-ben-ik"));
    assert!(browser.find_all("nav a[href='/casussen']").await.is_empty());
    let facts = browser.text_of("dl.facts").await;
    assert!(facts.contains("privacy-officer"), "{facts}");
    assert!(
        facts.contains("geen (uw rol is niet aan een stadsdeel gebonden)"),
        "{facts}"
    );
    browser.axe("Wie ben ik (privacy officer)").await;
    drop(officer);

    // Signing out (a form with its CSRF token) ends the session for good.
    browser.goto(&console.url("/wie-ben-ik")).await;
    let sign_out = browser.find("form.sign-out button").await;
    browser.click(&sign_out).await;
    browser.wait_for_title("U bent afgemeld").await;
    browser.axe("afgemeld").await;
    browser.goto(&console.url("/casussen")).await;
    browser.wait_for_title("U bent niet aangemeld").await;

    drop(browser);
    drop(console);
    hub.stop().await;
}
