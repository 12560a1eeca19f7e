//! The node agent as a partner's operations team runs it (issue 11), against a real
//! hub: a SQLite source answering a bevraging and a case file without letting an
//! unmapped column out; the agent riding out a network cut (a loopback proxy that
//! drops connections) and a hub restart without losing an answer it gave; and a
//! certificate renewed on disk while the agent runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use treiter_certs_dev::PARTIES;
use treiter_hub::identity::Oin;
use treiter_hub::questions::AskOutcome;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::link::{Agent, LinkStatus};
use treiter_proto::v1 as wire;
use treiter_proto::v1::coordinator_client::CoordinatorClient;
use treiter_proto::v1::{answer, question};
use treiter_pseudonym::{Identity, PseudonymKey};

use crate::support::{Pki, TestHub, agent_config_text, person_channel, wait_until};

/// The examples' development pseudonym key (node-agent/examples/samples.rs).
const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const DEGRACHT_OIN: &str = "00000004000000000004";
const IM_OOST: &str = "p-gemeente-001";
const LIMIT: Duration = Duration::from_secs(15);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../node-agent/examples")
}

/// The SYNTHETIC person every example database knows as a dader.
fn tobias() -> String {
    PseudonymKey::from_hex(KEY)
        .expect("key")
        .pseudonym(&Identity {
            name: "Tobias Testdader",
            birth_date: "1980-01-01",
            postcode: "1091 AB",
            house_number: "12",
        })
        .expect("pseudonym")
        .to_hex()
}

/// De Gracht's synthetic database and the pseudonym key, in `dir`.
fn woningcorporatie_files(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let db = rusqlite::Connection::open(dir.join("wc.sqlite")).expect("db");
    for file in ["people.sql", "woningcorporatie/woningcorporatie.sql"] {
        db.execute_batch(&std::fs::read_to_string(examples().join(file)).expect("sql"))
            .expect("sql");
    }
    let key = dir.join("pseudonym.key");
    std::fs::write(&key, KEY).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

/// De Gracht's agent configuration: huurgegevens from SQLite (the `iban` column is not
/// mapped), a receipt log, /healthz and /metrics on `health`, and the certificate
/// files checked every second.
fn sqlite_config(
    pki: &Pki,
    dir: &Path,
    cert: &Path,
    key: &Path,
    hub: SocketAddr,
    health: SocketAddr,
) -> AgentConfig {
    woningcorporatie_files(dir);
    let text = format!(
        r#"pseudonym_key = "{dir}/pseudonym.key"
receipts = "{dir}/receipts.log"
categories = ["huurgegevens"]
{base}certificate_check_seconds = 1

[health]
listen = "{health}"

[category.huurgegevens]
kind = "sqlite"
database = "{dir}/wc.sqlite"
identity_query = "SELECT p.persoon_id, p.naam, p.geboortedatum, p.postcode, p.huisnummer FROM personen p JOIN huurcontracten h ON h.persoon_id = p.persoon_id"
records_query = "SELECT * FROM huurcontracten WHERE persoon_id = ?1"
reference_column = "contractnummer"
recorded_at_column = "bijgewerkt"
[category.huurgegevens.fields]
ingangsdatum = "huurder_sinds"
status = "huurstatus"
overlastdossier = "overlastdossier"
achterstand_eur = "huurachterstand"
"#,
        dir = dir.display(),
        base = agent_config_text(pki, cert, key, hub),
    );
    AgentConfig::parse(&text, Path::new("/")).expect("agent config")
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
}

/// Runs `agent` until the returned sender is set, serving /healthz and /metrics.
fn spawn_agent(agent: Arc<Agent>) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let health = match agent.config().health_listen {
            Some(addr) => {
                let listener = treiter_node_agent::health::bind(addr)
                    .await
                    .expect("health");
                let state = treiter_node_agent::health::HealthState {
                    status: agent.status(),
                    metrics: agent.metrics().clone(),
                };
                let mut s = stopped.clone();
                Some(tokio::spawn(treiter_node_agent::health::serve(
                    listener,
                    state,
                    async move {
                        let _ = s.wait_for(|s| *s).await;
                    },
                )))
            }
            None => None,
        };
        let mut s = stopped.clone();
        agent
            .run(async move {
                let _ = s.wait_for(|s| *s).await;
            })
            .await;
        if let Some(h) = health {
            let _ = h.await;
        }
    });
    (stop, task)
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect health");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("read");
    text
}

fn degracht() -> Oin {
    Oin::parse(DEGRACHT_OIN).expect("oin")
}

fn bevraging(subject: &str) -> question::Kind {
    question::Kind::Bevraging(wire::Bevraging {
        subject: Some(wire::SubjectPseudonym {
            hex: subject.into(),
        }),
        more_subjects: Vec::new(),
    })
}

fn is_hit(outcome: &AskOutcome) -> bool {
    matches!(outcome, AskOutcome::Answered(a) if matches!(&a.kind, Some(answer::Kind::Bevraging(b)) if b.hit))
}

fn connected(hub: &TestHub) -> bool {
    hub.hub
        .agents
        .snapshot(&hub.hub.parties.current())
        .iter()
        .any(|a| a.party.oin.as_str() == DEGRACHT_OIN && a.connected())
}

/// The expiry the hub's status reports for De Gracht's agent certificate, as Unix
/// seconds (the gRPC status report, which `hub status` and hubctl show too).
fn certificate_expiry(hub: &TestHub) -> Option<i64> {
    let report = treiter_hub::service::status::report(&hub.hub);
    report
        .agents
        .into_iter()
        .find(|a| a.party.as_ref().is_some_and(|p| p.oin == DEGRACHT_OIN))
        .and_then(|a| a.certificate_not_after)
        .map(|t| t.seconds)
}

fn links_opened(hub: &TestHub) -> u64 {
    hub.hub
        .agents
        .snapshot(&hub.hub.parties.current())
        .iter()
        .find(|a| a.party.oin.as_str() == DEGRACHT_OIN)
        .map_or(0, |a| a.links_opened)
}

#[tokio::test]
async fn a_sqlite_agent_answers_a_bevraging_and_a_case_file_without_unmapped_columns() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let dir = pki.dir.path().join("degracht");
    let (cert, key) = pki.party("degracht");
    let health = free_addr();
    let config = sqlite_config(&pki, &dir, &cert, &key, hub.addr, health);
    let agent = Arc::new(Agent::new(config).expect("agent"));
    let (stop, task) = spawn_agent(agent.clone());
    assert!(
        wait_until(LIMIT, || connected(&hub)).await,
        "the agent links"
    );
    let healthz = http_get(health, "/healthz").await;
    assert!(healthz.starts_with("HTTP/1.1 200"), "{healthz}");

    let channel = person_channel(&pki, IM_OOST, hub.addr).await;
    let mut im = CoordinatorClient::new(channel);
    let case = im
        .create_case(wire::CreateCaseRequest {
            client_request_id: "create".into(),
            stadsdeel: "oost".into(),
            melding_at: Some(prost_types::Timestamp::from(
                SystemTime::now() - Duration::from_secs(3600),
            )),
            external_reference: String::new(),
        })
        .await
        .expect("case")
        .into_inner()
        .case
        .expect("case")
        .id;
    im.add_subject(wire::AddSubjectRequest {
        client_request_id: "dader".into(),
        case_id: case.clone(),
        subject: Some(wire::SubjectPseudonym { hex: tobias() }),
        role: "dader".into(),
        label: String::new(),
    })
    .await
    .expect("subject");
    let hits = im
        .bevraag(wire::BevraagRequest {
            case_id: case.clone(),
            subject: Some(wire::SubjectPseudonym { hex: tobias() }),
            deadline_ms: 5000,
        })
        .await
        .expect("bevraging")
        .into_inner();
    let degracht = hits
        .partners
        .iter()
        .find(|p| p.party.as_ref().is_some_and(|p| p.oin == DEGRACHT_OIN))
        .expect("listed");
    assert_eq!(degracht.result, "hit", "the pseudonym index finds Tobias");

    for next in ["registratie", "duiding"] {
        im.move_phase(wire::MovePhaseRequest {
            client_request_id: format!("to-{next}"),
            case_id: case.clone(),
            to_phase: next.into(),
            reason: "next step".into(),
            expected_phase: String::new(),
        })
        .await
        .expect("move");
    }
    let file = im
        .request_case_file(wire::CaseFileRequest {
            client_request_id: String::new(),
            case_id: case.clone(),
            purpose: "duiding".into(),
            subjects: Vec::new(),
            categories: Vec::new(),
            deadline_ms: 5000,
        })
        .await
        .expect("case file")
        .into_inner();
    let huur: Vec<&wire::CaseFileEntry> = file
        .partners
        .iter()
        .flat_map(|p| p.entries.iter())
        .filter(|e| e.category == "huurgegevens")
        .collect();
    assert_eq!(huur.len(), 1, "{file:?}");
    let names: Vec<&str> = huur[0].fields.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"huurstatus"), "{names:?}");
    assert!(names.contains(&"huurder_sinds"), "{names:?}");
    // The unmapped column never left the agent: neither its name nor its value is
    // anywhere in what the hub passed on.
    let everything = format!("{file:?}");
    assert!(!everything.contains("iban"), "{everything}");
    assert!(!everything.contains("NL00TEST"), "{everything}");
    assert_eq!(
        huur[0]
            .provenance
            .as_ref()
            .expect("provenance")
            .source_reference,
        "DG-HC-0012"
    );

    // The receipt log names the share and its fields, never a value.
    let (receipts, torn) =
        treiter_node_agent::receipts::read(&dir.join("receipts.log")).expect("receipts");
    assert_eq!(torn, 0);
    assert!(
        receipts.iter().any(|r| matches!(&r.event,
            treiter_node_agent::receipts::Event::ShareSent { category, fields, reference, .. }
                if category == "huurgegevens" && fields.contains(&"huurstatus".to_owned()) && reference == "DG-HC-0012")),
        "{receipts:?}"
    );
    let log = std::fs::read_to_string(dir.join("receipts.log")).expect("log");
    assert!(
        !log.contains("actief") && !log.contains("NL00TEST"),
        "{log}"
    );
    // /metrics counts it.
    let metrics = http_get(health, "/metrics").await;
    assert!(metrics.contains("hub_agent_connected 1"), "{metrics}");
    assert!(
        metrics.contains(concat!(
            "hub_agent_build_info{version=\"",
            env!("CARGO_PKG_VERSION"),
            "\"} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("hub_agent_covenant_version 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hub_agent_questions_answered_total{kind=\"bevraging\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hub_agent_shares_sent_total{category=\"huurgegevens\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hub_agent_index_subjects{category=\"huurgegevens\"} 2"),
        "{metrics}"
    );
    stop.send_replace(true);
    task.await.expect("agent stops");
    hub.stop().await;
}

/// A TCP proxy on loopback between the agent and the hub, that can cut every
/// connection, refuse new ones, and swallow what the agent sends.
struct Proxy {
    addr: SocketAddr,
    /// New connections are refused while set.
    refuse: Arc<AtomicBool>,
    /// Bytes from the agent are dropped (not forwarded) while set.
    swallow: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let refuse = Arc::new(AtomicBool::new(false));
        let swallow = Arc::new(AtomicBool::new(false));
        let (cut, cuts) = watch::channel(0u64);
        let (r, s) = (refuse.clone(), swallow.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if r.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let swallow = s.clone();
                let mut cuts = cuts.clone();
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => {
                                    if swallow.load(Ordering::SeqCst) {
                                        continue;
                                    }
                                    if sw.write_all(&buf[..n]).await.is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    };
                    // Either direction ending, or a cut, drops both sockets.
                    tokio::select! {
                        () = up => {}
                        () = down => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            refuse,
            swallow,
            cut,
            task,
        }
    }

    /// Drops every open connection.
    fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

#[tokio::test]
async fn the_agent_rides_out_a_network_cut_and_a_hub_restart_without_losing_an_answer() {
    let pki = Pki::new();
    let data = pki.dir.path().join("hub-data-restart");
    let hub = TestHub::start_in(&pki, "127.0.0.1:0".parse().expect("addr"), &data, "").await;
    let hub_addr = hub.addr;
    let proxy = Proxy::start(hub_addr).await;
    let dir = pki.dir.path().join("degracht");
    let (cert, key) = pki.party("degracht");
    let config = sqlite_config(&pki, &dir, &cert, &key, proxy.addr, free_addr());
    let agent = Arc::new(Agent::new(config).expect("agent"));
    let (stop, task) = spawn_agent(agent.clone());
    assert!(
        wait_until(LIMIT, || connected(&hub)).await,
        "the agent links"
    );
    let answered = hub
        .hub
        .questioner
        .ask(&degracht(), bevraging(&tobias()), LIMIT, false)
        .await;
    assert!(is_hit(&answered), "{answered:?}");

    assert!(
        wait_until(LIMIT, || agent.pending().is_empty()).await,
        "the hub acknowledges the first answer"
    );
    // The network eats what the agent sends: it acknowledges and answers the question,
    // but nothing reaches the hub. Then the connection is cut.
    let mut late = hub.hub.questioner.late_answers();
    proxy.swallow.store(true, Ordering::SeqCst);
    let questioner = hub.hub.questioner.clone();
    let asking = tokio::spawn(async move {
        questioner
            .ask(&degracht(), bevraging(&tobias()), LIMIT, true)
            .await
    });
    assert!(
        wait_until(LIMIT, || agent.pending().len() == 1).await,
        "the agent answered and waits for the hub's Ack"
    );
    proxy.refuse.store(true, Ordering::SeqCst);
    proxy.cut_all();
    let outcome = asking.await.expect("ask");
    let AskOutcome::NoAnswer {
        queued: Some(queued),
        ..
    } = outcome
    else {
        panic!("the hub lost the link before the answer and queued the question: {outcome:?}");
    };
    let mut status = agent.status();
    tokio::time::timeout(
        LIMIT,
        status.wait_for(|s| !matches!(s, LinkStatus::Connected { .. })),
    )
    .await
    .expect("the agent notices the cut")
    .expect("agent alive");
    assert_eq!(
        agent.pending().len(),
        1,
        "the answer is kept across the cut"
    );

    // The network comes back: the agent reconnects by itself and the answer arrives.
    proxy.swallow.store(false, Ordering::SeqCst);
    proxy.refuse.store(false, Ordering::SeqCst);
    let late_answer = tokio::time::timeout(LIMIT, async {
        loop {
            match late.recv().await {
                Ok(a) if a.request_id == queued.request_id => return a,
                Ok(_) => continue,
                Err(e) => panic!("late answers: {e}"),
            }
        }
    })
    .await
    .expect("the answer given before the cut reaches the hub after it");
    assert!(
        matches!(&late_answer.answer.kind, Some(answer::Kind::Bevraging(b)) if b.hit),
        "{late_answer:?}"
    );
    assert!(
        wait_until(LIMIT, || agent.pending().is_empty()).await,
        "the hub acknowledged it"
    );

    // The hub restarts on the same address and data: the agent comes back by itself.
    hub.stop().await;
    tokio::time::timeout(
        LIMIT,
        status.wait_for(|s| !matches!(s, LinkStatus::Connected { .. })),
    )
    .await
    .expect("the agent notices the hub is gone")
    .expect("agent alive");
    let hub = TestHub::start_in(&pki, hub_addr, &data, "").await;
    assert!(
        wait_until(LIMIT, || connected(&hub)).await,
        "the agent is back"
    );
    let answered = hub
        .hub
        .questioner
        .ask(&degracht(), bevraging(&tobias()), LIMIT, false)
        .await;
    assert!(is_hit(&answered), "{answered:?}");
    let (receipts, _) =
        treiter_node_agent::receipts::read(&dir.join("receipts.log")).expect("receipts");
    assert!(receipts.iter().any(|r| matches!(&r.event,
        treiter_node_agent::receipts::Event::AnswerAcknowledged { request } if *request == queued.request_id.to_string())),
        "{receipts:?}");
    stop.send_replace(true);
    task.await.expect("agent stops");
    hub.stop().await;
}

/// Signs a De Gracht organisation certificate with the dev CA, valid until
/// `not_after`; writes it and its key as `<stem>.pem` and `<stem>.key` in `dir`.
fn issue_degracht(
    pki: &Pki,
    dir: &Path,
    stem: &str,
    not_after: time::OffsetDateTime,
    serial: u64,
) -> (PathBuf, PathBuf) {
    use rcgen::{
        CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, Issuer,
        KeyPair, KeyUsagePurpose, SerialNumber, string::PrintableString,
    };
    let ca_pem = std::fs::read_to_string(pki.layout.ca_cert()).expect("ca");
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(pki.layout.ca_key()).expect("ca key"))
        .expect("ca key");
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).expect("issuer");
    let party = PARTIES
        .iter()
        .find(|p| p.slug == "degracht")
        .expect("party");
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString(PrintableString::try_from("NL").expect("nl")),
    );
    dn.push(DnType::OrganizationName, party.name);
    dn.push(DnType::CommonName, format!("{} node agent", party.name));
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 5]),
        DnValue::PrintableString(PrintableString::try_from(party.oin).expect("oin")),
    );
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    params.not_after = not_after;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(SerialNumber::from(serial));
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &issuer).expect("sign");
    let (c, k) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&c, cert.pem()).expect("write cert");
    std::fs::write(&k, key.serialize_pem()).expect("write key");
    // A private key is owner-only, or the agent refuses it.
    std::fs::set_permissions(&k, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod key");
    (c, k)
}

/// Replaces `to` by `from` atomically (write elsewhere, rename over), as an operator
/// installing a renewed certificate should.
fn install(from: &Path, to: &Path) {
    let tmp = to.with_extension("new");
    std::fs::copy(from, &tmp).expect("copy");
    std::fs::rename(&tmp, to).expect("rename");
}

#[tokio::test]
async fn a_certificate_renewed_on_disk_is_used_for_the_next_link_without_losing_an_answer() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let dir = pki.dir.path().join("degracht");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // The certificate in use expires in a few seconds; once it has, the hub refuses
    // any new connection made with it, so a new link proves the renewed one is used.
    let old_until = time::OffsetDateTime::now_utc() + time::Duration::seconds(6);
    let (old_cert, old_key) = issue_degracht(&pki, &dir, "old", old_until, 0x5eed_0001);
    let (new_cert, new_key) = issue_degracht(
        &pki,
        &dir,
        "renewed",
        time::OffsetDateTime::now_utc() + time::Duration::days(365),
        0x5eed_0002,
    );
    let (cert, key) = (dir.join("agent.pem"), dir.join("agent.key"));
    install(&old_cert, &cert);
    install(&old_key, &key);
    let config = sqlite_config(&pki, &dir, &cert, &key, hub.addr, free_addr());
    let agent = Arc::new(Agent::new(config.clone()).expect("agent"));
    let (stop, task) = spawn_agent(agent.clone());
    assert!(
        wait_until(LIMIT, || connected(&hub)).await,
        "the agent links"
    );
    assert_eq!(links_opened(&hub), 1);
    assert_eq!(
        certificate_expiry(&hub),
        Some(old_until.unix_timestamp()),
        "the hub's status shows the expiry of the certificate the link was opened with"
    );
    let first = hub
        .hub
        .questioner
        .ask(&degracht(), bevraging(&tobias()), LIMIT, false)
        .await;
    assert!(is_hit(&first), "{first:?}");

    // Wait until the old certificate has expired: the open link stays (TLS checked it
    // when it was opened), but a second agent with it is refused by the hub.
    let wait = (old_until - time::OffsetDateTime::now_utc()) + time::Duration::milliseconds(1500);
    tokio::time::sleep(wait.try_into().unwrap_or(Duration::ZERO)).await;
    let expired = Agent::new(config.clone()).expect("agent with the old files");
    let refused = expired.connect_once().await.expect_err("expired");
    assert!(
        matches!(
            refused,
            treiter_node_agent::link::LinkError::CertificateRefused(
                treiter_node_agent::link::CertificateRefusal::ExpiredOrNotYetValid
            )
        ),
        "{refused:?}"
    );
    assert!(connected(&hub), "the running link is still up");

    // A question is being asked while the operator installs the renewed pair.
    let mut late = hub.hub.questioner.late_answers();
    let questioner = hub.hub.questioner.clone();
    let asking = tokio::spawn(async move {
        questioner
            .ask(&degracht(), bevraging(&tobias()), LIMIT, true)
            .await
    });
    install(&new_key, &key);
    install(&new_cert, &cert);
    assert!(
        wait_until(LIMIT, || links_opened(&hub) == 2 && connected(&hub)).await,
        "the agent reconnects with the renewed certificate (the old one is expired, so the hub accepted the new one); links opened: {}",
        links_opened(&hub)
    );
    assert_eq!(agent.metrics().certificate_reloads.get(), 1);
    let renewed = certificate_expiry(&hub).expect("expiry of the renewed certificate");
    assert!(
        renewed > time::OffsetDateTime::now_utc().unix_timestamp() + 300 * 86_400,
        "the hub's status shows the renewed certificate's expiry: {renewed}"
    );
    assert!(agent.metrics().certificate_expiry_seconds.get() > 300 * 86_400);
    // The question asked during the renewal got its answer: directly, or (if the old
    // link closed first) from the outbox on the new link.
    match asking.await.expect("ask") {
        outcome if is_hit(&outcome) => {}
        AskOutcome::NoAnswer {
            queued: Some(queued),
            ..
        } => {
            let late = tokio::time::timeout(LIMIT, async {
                loop {
                    if let Ok(a) = late.recv().await
                        && a.request_id == queued.request_id
                    {
                        return a;
                    }
                }
            })
            .await
            .expect("the queued question is answered on the new link");
            assert!(matches!(late.answer.kind, Some(answer::Kind::Bevraging(b)) if b.hit));
        }
        other => panic!("the question asked during the renewal was lost: {other:?}"),
    }
    let after = hub
        .hub
        .questioner
        .ask(&degracht(), bevraging(&tobias()), LIMIT, false)
        .await;
    assert!(is_hit(&after), "the new link answers: {after:?}");
    assert!(
        wait_until(LIMIT, || agent.pending().is_empty()).await,
        "every answer acknowledged"
    );
    stop.send_replace(true);
    task.await.expect("agent stops");
    hub.stop().await;
}
