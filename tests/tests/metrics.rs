//! The hub's `/metrics` on its admin endpoint, scraped after a real case file and
//! parsed: every family an operator monitors is there, and the counters moved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use treiter_certs_dev::PARTIES;
use treiter_node_agent::link::Agent;

use crate::casefile::{IM_OOST, Partners, case_file, case_in, client};
use crate::support::{Pki, TestHub, agent_config};

/// One scrape, parsed: the `# TYPE` of every family and the value of every sample
/// (keyed by the sample's name with its labels, as written).
struct Scrape {
    types: BTreeMap<String, String>,
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut types = BTreeMap::new();
        let mut samples = BTreeMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("a TYPE line names a kind");
                types.insert(name.to_owned(), kind.to_owned());
            } else if line.starts_with('#') || line.is_empty() {
                continue;
            } else {
                let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
                let value: f64 = value
                    .parse()
                    .unwrap_or_else(|_| panic!("not a number: {line}"));
                samples.insert(series.to_owned(), value);
            }
        }
        assert!(
            text.ends_with("# EOF\n"),
            "OpenMetrics text ends with # EOF"
        );
        Scrape { types, samples }
    }

    fn value(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("no sample {series} in {:#?}", self.samples))
    }

    /// The sum of every sample of `name` (with any labels).
    fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|(series, _)| {
                series.as_str() == name || series.starts_with(&format!("{name}{{"))
            })
            .map(|(_, v)| v)
            .sum()
    }
}

async fn scrape(admin: SocketAddr) -> (String, Scrape) {
    let mut stream = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect admin");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("answered in time")
    .expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("http");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    (body.to_owned(), Scrape::parse(body))
}

#[tokio::test]
async fn hub_metrics_show_every_family_and_count_a_case_file() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let admin_addr = admin.local_addr().expect("addr");
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = tokio::spawn(treiter_hub::admin::serve(hub.hub.clone(), admin, async {
        let _ = admin_stopped.await;
    }));

    let (_, before) = scrape(admin_addr).await;
    assert_eq!(before.sum("treiter_hub_decisions_total"), 0.0);
    assert_eq!(
        before.value("treiter_hub_case_file_duration_seconds_count"),
        0.0
    );
    assert_eq!(
        before.value("treiter_hub_log_last_checkpoint_age_seconds"),
        -1.0
    );

    let partners = Partners::start(&pki, &hub, &[]).await;
    // One refused agent: an OIN that is not a party.
    let (cert, key) = pki.test_cert(treiter_certs_dev::TestCert::UnknownOin);
    let refused = Agent::new(agent_config(&pki, &cert, &key, hub.addr)).expect("agent");
    refused.connect_once().await.expect_err("refused");

    let mut im = client(&pki, &hub, IM_OOST).await;
    let case = case_in(&mut im, "duiding").await;
    let file = case_file(&mut im, &case, "duiding", 5000)
        .await
        .expect("case file");
    assert!(file.complete, "every partner answers");
    let decided = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| e.decision.is_some())
        .count();
    assert!(decided > 0, "the case file has decided entries");

    // The agents cosign the checkpoint signed after the case file, asynchronously.
    let mut scraped = scrape(admin_addr).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while scraped
        .1
        .value("treiter_hub_witness_cosignatures_total{result=\"stored\"}")
        == 0.0
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        scraped = scrape(admin_addr).await;
    }
    let (text, after) = scraped;

    for (family, kind) in [
        ("treiter_hub_build_info", "gauge"),
        ("treiter_hub_covenant_version", "gauge"),
        ("treiter_hub_parties", "gauge"),
        ("treiter_hub_agents_linked", "gauge"),
        ("treiter_hub_refusals", "counter"),
        ("treiter_hub_decisions", "counter"),
        ("treiter_hub_decision_articles", "counter"),
        ("treiter_hub_case_files", "counter"),
        ("treiter_hub_case_file_duration_seconds", "histogram"),
        ("treiter_hub_log_entries", "gauge"),
        ("treiter_hub_log_checkpoint_size", "gauge"),
        ("treiter_hub_log_last_checkpoint_age_seconds", "gauge"),
        ("treiter_hub_witness_cosignatures", "counter"),
        ("treiter_hub_witness_refusals", "counter"),
        ("treiter_hub_store_errors", "counter"),
    ] {
        assert_eq!(
            after.types.get(family).map(String::as_str),
            Some(kind),
            "family {family} ({kind}) missing in\n{text}"
        );
    }
    assert_eq!(
        after.value(&format!(
            "treiter_hub_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    assert_eq!(
        after.value("treiter_hub_covenant_version"),
        f64::from(hub.hub.covenant.version())
    );
    assert_eq!(after.value("treiter_hub_parties"), PARTIES.len() as f64);
    assert_eq!(
        after.value("treiter_hub_agents_linked"),
        PARTIES.len() as f64
    );
    assert_eq!(
        after.value("treiter_hub_refusals_total{reason=\"oin-not-a-party\"}"),
        1.0
    );
    // Every decided entry of the file is one logged decision; the police incident is
    // permitted with 6.3a cited (samenvatting stripped).
    assert_eq!(after.sum("treiter_hub_decisions_total"), decided as f64);
    assert!(
        after.value("treiter_hub_decision_articles_total{outcome=\"permit\",article=\"6.3a\"}")
            >= 1.0
    );
    assert_eq!(
        after.value("treiter_hub_case_files_total{result=\"complete\"}"),
        1.0
    );
    assert_eq!(
        after.value("treiter_hub_case_file_duration_seconds_count"),
        1.0
    );
    assert!(after.value("treiter_hub_log_entries") >= decided as f64);
    assert_eq!(
        after.value("treiter_hub_log_checkpoint_size"),
        after.value("treiter_hub_log_entries")
    );
    assert!(after.value("treiter_hub_log_last_checkpoint_age_seconds") >= 0.0);
    assert!(after.value("treiter_hub_witness_cosignatures_total{result=\"stored\"}") >= 1.0);
    assert_eq!(
        after.value("treiter_hub_witness_cosignatures_total{result=\"rejected\"}"),
        0.0
    );
    assert_eq!(after.sum("treiter_hub_store_errors_total"), 0.0);
    // No pseudonym, case or person reaches the metrics.
    assert!(!text.contains(&case), "{text}");
    assert!(!text.contains(&crate::casefile::dader()), "{text}");
    assert!(!text.contains(IM_OOST), "{text}");

    partners.stop().await;
    let _ = stop_admin.send(());
    admin_task.await.expect("admin task").expect("admin served");
    hub.stop().await;
}
