//! `hubctl` end to end: the real binary, run as the people of the dev PKI against an
//! in-process hub, with real agents answering from synthetic JSON exports. Each command
//! is shown to succeed and to be refused where the covenant says so, with the exit code
//! for the refusal and a message naming the article and who the caller is.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use treiter_proto::v1 as wire;
use treiter_pseudonym::{Identity, PseudonymKey};

use crate::support::{
    JsonAgents, Pki, TestHub, hubctl, hubctl_profile, hubctl_profile_with, write_export,
};

const IM_OOST: &str = "p-gemeente-001";
const IM_WEST: &str = "p-gemeente-002";
const SDR_OOST: &str = "p-gemeente-004";
const STEDELIJK: &str = "p-gemeente-005";
const POLITIE_CONTACT: &str = "p-politie-017";

/// Exit codes of `hubctl --help`.
const USAGE: i32 = 2;
const SETUP: i32 = 3;
const UNREACHABLE: i32 = 4;
const CERTIFICATE: i32 = 5;
const PERMISSION_DENIED: i32 = 6;
const NOT_FOUND: i32 = 7;
const STATE: i32 = 8;
const EXISTS: i32 = 9;
const INVALID: i32 = 10;

/// The test's covenant pseudonym key: 32 bytes of 0x42.
const KEY_BYTES: [u8; 32] = [0x42; 32];

/// Synthetic identifying data: (name, date of birth, postcode, house number).
const DADER: [&str; 4] = ["Tobias Testdader", "1980-01-01", "1091 AB", "12"];
const SLACHTOFFER: [&str; 4] = ["Sanne Slachtoffer", "1975-05-05", "1091 AB", "14-2"];

fn pseudonym_of(who: [&str; 4]) -> String {
    let key = PseudonymKey::from_bytes(&KEY_BYTES).expect("key");
    key.pseudonym(&Identity {
        name: who[0],
        birth_date: who[1],
        postcode: who[2],
        house_number: who[3],
    })
    .expect("pseudonym")
    .to_hex()
}

/// Writes the key file (mode 600) hubctl's profiles name.
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

fn records(reference: &str, fields: Value) -> Value {
    json!([{ "reference": reference, "recorded_at": "2026-11-01T09:00:00Z", "fields": fields }])
}

/// The partners' synthetic exports about the two subjects.
fn write_exports(root: &Path) {
    let d = pseudonym_of(DADER);
    let v = pseudonym_of(SLACHTOFFER);
    write_export(
        root,
        "politie",
        "politie-incidenten",
        &d,
        &records(
            "BVH-0001",
            json!({ "datum": "2026-10-30", "incidentsoort": "bedreiging",
                    "rol_betrokkene": "verdachte", "locatie": "Oost",
                    "samenvatting": "synthetische samenvatting" }),
        ),
    );
    write_export(
        root,
        "om",
        "justitiele-gegevens",
        &d,
        &records(
            "OM-77",
            json!({ "lopende_zaak": "ja", "afdoening": "geen", "maatregelen": "contactverbod" }),
        ),
    );
    write_export(
        root,
        "degracht",
        "huurgegevens",
        &d,
        &records(
            "DG-12",
            json!({ "huurder_sinds": "2015-04-01", "huurstatus": "actief",
                    "overlastdossier": "ja", "huurachterstand": "nee" }),
        ),
    );
    write_export(
        root,
        "ggd",
        "zorgbetrokkenheid",
        &d,
        &records(
            "GGD-5",
            json!({ "zorg_betrokken": "ja", "contactpersoon": "team Oost",
                    "diagnose": "synthetische diagnose" }),
        ),
    );
    write_export(
        root,
        "gemeente",
        "slachtofferinformatie",
        &v,
        &records(
            "GEM-S-9",
            json!({ "impact": "hoog", "behoeften": "rust", "veiligheidsrisico": "middel" }),
        ),
    );
}

fn identity_args(who: [&str; 4]) -> Vec<&str> {
    vec![
        "--name",
        who[0],
        "--birth-date",
        who[1],
        "--postcode",
        who[2],
        "--house-number",
        who[3],
    ]
}

/// `hubctl --json case create` in oost; returns the case id.
async fn create_case(profile: &Path) -> String {
    let run = hubctl(
        profile,
        &[
            "--json",
            "case",
            "create",
            "--stadsdeel",
            "oost",
            "--melding-at",
            "now-1h",
        ],
        None,
    )
    .await;
    run.ok();
    run.json()["case"]["id"]
        .as_str()
        .expect("case id")
        .to_owned()
}

async fn add(profile: &Path, args: &[&str]) -> String {
    hubctl(profile, args, None).await.ok().to_owned()
}

#[tokio::test]
async fn hubctl_changes_a_case_and_explains_each_refusal() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let key = key_file(&pki);
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, Some(&key));
    let im_no_key = hubctl_profile_with(
        &pki,
        hub.addr,
        "im-no-key",
        &pki.person(IM_OOST).0,
        &pki.person(IM_OOST).1,
        None,
    );
    let sdr = hubctl_profile(&pki, hub.addr, SDR_OOST, Some(&key));
    let stedelijk = hubctl_profile(&pki, hub.addr, STEDELIJK, None);
    let politie = hubctl_profile(&pki, hub.addr, POLITIE_CONTACT, None);

    // whoami: person, party by name, roles and stadsdeel from the hub's registry.
    let text = add(&im, &["whoami"]).await;
    assert!(
        text.contains("You are Anna Testpersoon (p-gemeente-001) of Gemeente Amsterdam"),
        "{text}"
    );
    let me = hubctl(&im, &["--json", "whoami"], None).await.json();
    assert_eq!(me["roles"], json!(["informatiemakelaar"]));
    assert_eq!(me["stadsdeel"], "oost");

    // case create: only in one's own stadsdeel (art. 5.3), and the refusal says who
    // the certificate is for.
    let run = hubctl(
        &im,
        &[
            "case",
            "create",
            "--stadsdeel",
            "west",
            "--melding-at",
            "now-1h",
        ],
        None,
    )
    .await;
    let err = run.refused(PERMISSION_DENIED);
    assert!(
        err.contains("5.3") && err.contains("permission denied"),
        "{err}"
    );
    assert!(
        err.contains(
            "your certificate is for Anna Testpersoon (person p-gemeente-001) of Gemeente Amsterdam"
        ),
        "{err}"
    );
    // The hub said the role and stadsdeel ("you are informatiemakelaar of oost"): not
    // said twice.
    assert!(
        err.contains("you are informatiemakelaar of oost") && !err.contains(", stadsdeel oost"),
        "{err}"
    );
    let err = hubctl(
        &im,
        &[
            "case",
            "create",
            "--stadsdeel",
            "oost",
            "--melding-at",
            "yesterday",
        ],
        None,
    )
    .await;
    assert!(err.refused(USAGE).contains("--melding-at"), "{err:?}");
    let err = hubctl(
        &im,
        &[
            "case",
            "create",
            "--stadsdeel",
            "oost",
            "--melding-at",
            "2099-01-01",
        ],
        None,
    )
    .await;
    assert!(err.refused(INVALID).contains("melding_at"), "{err:?}");
    let case = create_case(&im).await;

    // case list: the 2-working-day contact deadline is in view.
    let text = add(&im, &["case", "list"]).await;
    assert!(
        text.contains(&case) && text.contains("open — contact the melder by"),
        "{text}"
    );
    let listed = hubctl(&im, &["--json", "case", "list", "--phase", "melding"], None)
        .await
        .json();
    assert_eq!(listed["cases"][0]["contact"]["status"], "open");
    let run = hubctl(&im, &["case", "list", "--stadsdeel", "west"], None).await;
    assert!(run.refused(PERMISSION_DENIED).contains("5.3"), "{run:?}");

    // case contact, once (art. 4.3).
    let text = add(&im, &["case", "contact", &case, "--at", "now-10m"]).await;
    assert!(text.contains("contact with the melder recorded"), "{text}");
    assert!(text.contains("met — contacted"), "{text}");
    hubctl(&im, &["case", "contact", &case], None)
        .await
        .refused(EXISTS);

    // case move: only along article 4.1.
    let run = hubctl(
        &im,
        &["case", "move", &case, "aanpak", "--reason", "skip"],
        None,
    )
    .await;
    let err = run.refused(STATE);
    assert!(
        err.contains("4.1") && err.contains("allowed: registratie"),
        "{err}"
    );
    let text = add(
        &im,
        &["case", "move", &case, "registratie", "--reason", "complete"],
    )
    .await;
    assert!(text.contains("phase melding → registratie"), "{text}");

    // subject add from identifying data: pseudonymised locally, never sent or printed.
    let mut args = vec![
        "subject", "add", &case, "--role", "dader", "--label", "buurman",
    ];
    args.extend(identity_args(DADER));
    let run = hubctl(&im, &args, None).await;
    let text = run.ok();
    assert!(text.contains(&pseudonym_of(DADER)), "{text}");
    for secret in ["Tobias", "Testdader", "1091", "1980-01-01"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{run:?}"
        );
    }
    let victim = pseudonym_of(SLACHTOFFER);
    let run = hubctl(
        &im,
        &[
            "--json",
            "subject",
            "add",
            &case,
            "--role",
            "slachtoffer",
            "--label",
            "melder",
            "--stdin",
        ],
        Some("Sanne Slachtoffer\t1975-05-05\t1091 AB\t14-2\n"),
    )
    .await;
    run.ok();
    assert_eq!(run.json()["event"]["subject"], victim.as_str());
    assert!(!run.stdout.contains("Sanne"), "{run:?}");
    // The same subject again: ALREADY_EXISTS.
    hubctl(
        &im,
        &[
            "subject",
            "add",
            &case,
            "--role",
            "dader",
            "--pseudonym",
            &pseudonym_of(DADER),
        ],
        None,
    )
    .await
    .refused(EXISTS);
    // Identifying data that cannot be normalised: refused here, the value not shown.
    let mut args = vec!["subject", "add", &case, "--role", "dader"];
    args.extend(identity_args(["Jan Jansen", "1970-01-01", "99999ZZ", "1"]));
    let run = hubctl(&im, &args, None).await;
    let err = run.refused(SETUP);
    assert!(
        err.contains("postcode") && !err.contains("99999ZZ"),
        "{err}"
    );
    // Without the pseudonym key in the profile: refused before anything is sent.
    let mut args = vec!["subject", "add", &case, "--role", "dader"];
    args.extend(identity_args(DADER));
    let run = hubctl(&im_no_key, &args, None).await;
    assert!(run.refused(SETUP).contains("pseudonym_key"), "{run:?}");

    // subject update and remove, naming the subject by label or by the start of its
    // pseudonym.
    let neighbour = "ab".repeat(32);
    add(
        &im,
        &[
            "subject",
            "add",
            &case,
            "--role",
            "melder",
            "--pseudonym",
            &neighbour,
            "--label",
            "buurvrouw",
        ],
    )
    .await;
    let text = add(
        &im,
        &[
            "subject",
            "update",
            &case,
            "buurvrouw",
            "--label",
            "buurvrouw 2-hoog",
        ],
    )
    .await;
    assert!(text.contains("subject updated"), "{text}");
    let run = hubctl(&im, &["subject", "update", &case, "buurvrouw 2-hoog"], None).await;
    assert!(run.refused(INVALID).contains("changes nothing"), "{run:?}");
    let text = add(
        &im,
        &[
            "subject",
            "remove",
            &case,
            "abababab",
            "--reason",
            "by mistake",
        ],
    )
    .await;
    assert!(text.contains("subject removed"), "{text}");
    hubctl(
        &im,
        &["subject", "remove", &case, &neighbour, "--reason", "again"],
        None,
    )
    .await
    .refused(NOT_FOUND);
    let run = hubctl(
        &im,
        &["subject", "remove", &case, "Jan Jansen", "--reason", "x"],
        None,
    )
    .await;
    let err = run.refused(NOT_FOUND);
    assert!(
        !err.contains("Jan Jansen") && err.contains("buurman"),
        "{err}"
    );

    // consent record and withdraw (art. 11.3).
    let consent = |verb: &'static str| {
        let case = case.clone();
        let im = im.clone();
        async move {
            hubctl(
                &im,
                &[
                    "consent",
                    verb,
                    &case,
                    "--subject",
                    "melder",
                    "--category",
                    "slachtofferinformatie",
                    "--date",
                    "today",
                ],
                None,
            )
            .await
        }
    };
    assert!(
        consent("record")
            .await
            .ok()
            .contains("consent for slachtofferinformatie recorded")
    );
    consent("record").await.refused(EXISTS);
    assert!(consent("withdraw").await.ok().contains("withdrawn"));
    consent("withdraw").await.refused(STATE);

    // case show: subjects with labels and consent history, history in words.
    let text = add(&im, &["case", "show", &case]).await;
    assert!(
        text.contains("Subjects (2)") && text.contains("\"buurman\""),
        "{text}"
    );
    assert!(
        text.contains("consent withdrawn for slachtofferinformatie"),
        "{text}"
    );
    assert!(text.contains("next phases:  duiding"), "{text}");
    add(
        &im,
        &["case", "move", &case, "duiding", "--reason", "assess"],
    )
    .await;
    add(
        &im,
        &[
            "case", "move", &case, "aanpak", "--reason", "approach", "--expect", "duiding",
        ],
    )
    .await;
    hubctl(
        &im,
        &[
            "case",
            "move",
            &case,
            "afgesloten",
            "--reason",
            "x",
            "--expect",
            "duiding",
        ],
        None,
    )
    .await
    .refused(STATE);

    // participant add / remove: a stadsdeelregisseur's (art. 5.3, 5.4).
    let run = hubctl(
        &im,
        &["participant", "add", &case, "00000002000000000002"],
        None,
    )
    .await;
    let err = run.refused(PERMISSION_DENIED);
    assert!(
        err.contains("5.4") && err.contains("you are informatiemakelaar of oost"),
        "{err}"
    );
    let text = add(&sdr, &["participant", "add", &case, "00000002000000000002"]).await;
    assert!(
        text.contains("participant Politie Eenheid Amsterdam added"),
        "{text}"
    );
    // By name: hubctl knows every party of the covenant from the hub.
    hubctl(&sdr, &["participant", "add", &case, "politie"], None)
        .await
        .refused(EXISTS);
    let text = add(&sdr, &["participant", "add", &case, "ggd"]).await;
    assert!(text.contains("added"), "{text}");
    let run = hubctl(&sdr, &["participant", "add", &case, "Utrecht"], None).await;
    let err = run.refused(NOT_FOUND);
    assert!(
        err.contains("none of the parties of the covenant") && err.contains("De Gracht"),
        "{err}"
    );
    hubctl(
        &sdr,
        &["participant", "add", &case, "00000009000000000009"],
        None,
    )
    .await
    .refused(NOT_FOUND);
    let politie_list = add(&politie, &["case", "list"]).await;
    assert!(
        politie_list.contains(&case) && politie_list.contains("you: participant"),
        "{politie_list}"
    );
    let text = add(
        &sdr,
        &[
            "participant",
            "remove",
            &case,
            "Politie Eenheid Amsterdam",
            "--reason",
            "done",
        ],
    )
    .await;
    assert!(
        text.contains("participant Politie Eenheid Amsterdam removed"),
        "{text}"
    );
    hubctl(
        &sdr,
        &[
            "participant",
            "remove",
            &case,
            "00000002000000000002",
            "--reason",
            "again",
        ],
        None,
    )
    .await
    .refused(NOT_FOUND);

    // escalate: the stadsdeelregisseur's, once, in aanpak (art. 4.5).
    hubctl(&im, &["case", "escalate", &case, "--reason", "x"], None)
        .await
        .refused(PERMISSION_DENIED);
    let text = add(&sdr, &["case", "escalate", &case, "--reason", "city level"]).await;
    assert!(text.contains("escalated to city level"), "{text}");
    let run = hubctl(
        &sdr,
        &["case", "escalate", &case, "--reason", "again"],
        None,
    )
    .await;
    assert!(run.refused(STATE).contains("4.5"), "{run:?}");
    let text = add(&stedelijk, &["case", "list", "--escalated"]).await;
    assert!(text.contains(&case) && text.contains("escalated"), "{text}");

    // emergency: a stadsdeelregisseur or the politie's partnercontact (art. 15.1), one at
    // a time (art. 15.3).
    let run = hubctl(&im, &["emergency", &case, "--reason", "acute threat"], None).await;
    assert!(run.refused(PERMISSION_DENIED).contains("15.1"), "{run:?}");
    let text = add(&politie, &["emergency", &case, "--reason", "acute threat"]).await;
    assert!(
        text.contains("emergency declared") && text.contains("emergency active until"),
        "{text}"
    );
    let run = hubctl(&sdr, &["emergency", &case, "--reason", "again"], None).await;
    assert!(run.refused(STATE).contains("15.3"), "{run:?}");
    let text = add(&sdr, &["case", "list", "--emergency"]).await;
    assert!(text.contains("EMERGENCY until"), "{text}");

    // Closed: no more changes to subjects (art. 4.4).
    let text = add(
        &sdr,
        &["case", "move", &case, "afgesloten", "--reason", "ended"],
    )
    .await;
    assert!(text.contains("case data deleted"), "{text}");
    let run = hubctl(
        &sdr,
        &[
            "subject",
            "add",
            &case,
            "--role",
            "melder",
            "--pseudonym",
            &"cd".repeat(32),
        ],
        None,
    )
    .await;
    assert!(run.refused(STATE).contains("4.4"), "{run:?}");
    hubctl(&im, &["case", "show", "C-2026-9999"], None)
        .await
        .refused(NOT_FOUND);
    hub.stop().await;
}

#[tokio::test]
async fn hubctl_requests_case_files_from_real_agents() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    case_files_from_real_agents(&pki, vec![hub]).await;
}

/// The same case-file walk-through with the hub's state and case keys in a real
/// PostgreSQL (issue 21): the backend changes nothing a coordinator sees.
#[tokio::test]
async fn hubctl_requests_case_files_from_real_agents_on_postgres() {
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "hubctl_requests_case_files_from_real_agents_on_postgres",
    ) else {
        return;
    };
    let pki = Pki::new();
    let hub = TestHub::start_in(
        &pki,
        "127.0.0.1:0".parse().expect("addr"),
        &pki.dir.path().join("hub-data"),
        &crate::support::postgres_store_config(&postgres, "casefiles"),
    )
    .await;
    assert!(
        !pki.dir.path().join("hub-data").join("state").exists(),
        "the state is in PostgreSQL, not in sled"
    );
    assert!(
        !pki.dir.path().join("hub-data").join("log").exists(),
        "the decision log is in PostgreSQL, not in segment files"
    );
    case_files_from_real_agents(&pki, vec![hub]).await;
}

/// The same walk-through with three hub replicas on one PostgreSQL (issue 21): the 7
/// agents spread over them, the coordinators on different replicas. Every case file
/// needs agents of all three, so its questions and answers go through the database
/// between replicas; it completes as with one hub.
#[tokio::test]
async fn hubctl_requests_case_files_from_agents_spread_over_three_replicas() {
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "hubctl_requests_case_files_from_agents_spread_over_three_replicas",
    ) else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "replicas");
    let hubs = crate::support::start_replicas(&pki, &store, 3).await;
    case_files_from_real_agents(&pki, hubs).await;
}

/// Three replica processes on one PostgreSQL under a bounded load of registrations on
/// all three; one is killed with `kill -9` (issue 21). Every acknowledged registration
/// is there, the agents that were linked to it come back through the other replicas
/// (their `hub_urls`) within their backoff and answer a bevraging asked on another
/// replica, and the decision log in the database verifies.
#[tokio::test]
async fn a_replica_killed_under_load_loses_nothing_and_its_agents_move_to_the_others() {
    use crate::postgres::{
        all_cases, coordinator, create_request, melding_at, run_hub_command, spawn_hub,
    };
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "a_replica_killed_under_load_loses_nothing_and_its_agents_move_to_the_others",
    ) else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "killreplica");
    let (configs, addrs) = crate::support::replica_configs(&pki, &store, 3);
    let mut replicas: Vec<Option<crate::postgres::Process>> =
        configs.iter().map(|c| Some(spawn_hub(c))).collect();
    for addr in &addrs {
        coordinator(&pki, *addr).await;
    }
    let exports = pki.dir.path().join("exports");
    write_exports(&exports);
    let agents = JsonAgents::start_spread(&pki, &addrs, &exports, &[]).await;
    let key = key_file(&pki);
    let im = hubctl_profile(&pki, addrs[0], IM_OOST, Some(&key));
    let case = create_case(&im).await;
    add(
        &im,
        &["case", "move", &case, "registratie", "--reason", "complete"],
    )
    .await;
    let mut args = vec![
        "subject", "add", &case, "--role", "dader", "--label", "buurman",
    ];
    args.extend(identity_args(DADER));
    add(&im, &args).await;

    // The load: registrations on every replica at once until told to stop (or until
    // their replica dies), each acknowledged one noted.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut writers = Vec::new();
    for (n, addr) in addrs.iter().enumerate() {
        let mut client = coordinator(&pki, *addr).await;
        let acknowledged = Arc::clone(&acknowledged);
        let stopped = stopped.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..400 {
                if *stopped.borrow() {
                    return;
                }
                let id = format!("replica-{n}-case-{i}");
                match client.create_case(create_request(&id, melding_at())).await {
                    Ok(made) => acknowledged
                        .lock()
                        .expect("lock")
                        .push(made.into_inner().case.expect("case").id),
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut killed = replicas[1].take().expect("replica 1");
    killed.0.kill().expect("kill -9 replica 1");
    killed.0.wait().expect("reap replica 1");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send_replace(true);
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(20), writer)
            .await
            .expect("writers stop")
            .expect("writer");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 3, "the load ran: {acknowledged:?}");
    // Registered on three replicas at once: every case got its own id.
    let unique: std::collections::BTreeSet<_> = acknowledged.iter().collect();
    assert_eq!(
        unique.len(),
        acknowledged.len(),
        "a case id was handed out twice"
    );
    let mut client = coordinator(&pki, addrs[2]).await;
    let present = all_cases(&mut client).await;
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|c| !present.contains(c))
        .collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");

    // The agents of the killed replica come back through the others (backoff at most
    // 1 s): a bevraging on replica 0 reaches every partner again.
    let start = Instant::now();
    loop {
        let run = hubctl(
            &im,
            &["--json", "bevraag", &case, "--subject", "buurman"],
            None,
        )
        .await;
        let hits = run.json();
        let unanswered: Vec<String> = hits["partners"]
            .as_array()
            .expect("partners")
            .iter()
            .filter(|p| p["result"] == "no-answer")
            .map(|p| p["party"]["name"].to_string())
            .collect();
        if unanswered.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "partners still unreachable after the kill: {unanswered:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    agents.stop().await;
    drop(replicas);
    let verify = run_hub_command(&["log", "verify"], &configs[0]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    eprintln!(
        "{} registrations acknowledged across 3 replicas, one killed; none lost",
        acknowledged.len()
    );
}

/// A case file whose hub process is killed (`kill -9`) while it is assembled is not
/// lost (issue 21): the hub started again finishes it under the same id, for the same
/// requester, asking the partners again (`casefile::resume`).
#[tokio::test]
async fn a_case_file_whose_hub_was_killed_mid_assembly_is_finished_after_the_restart() {
    let pki = Pki::new();
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let listen = std::net::SocketAddr::new(ip, crate::support::stable_port(ip));
    let data_dir = pki.dir.path().join("hub-data");
    let config = pki.dir.path().join("hub.toml");
    std::fs::write(
        &config,
        crate::support::hub_config_text(&pki, listen, None, &data_dir),
    )
    .expect("write config");
    case_file_outlives_its_assembler(&pki, vec![config], vec![listen]).await;
}

/// The same with three replicas on one PostgreSQL: the replica assembling the file is
/// killed, and another one takes the file over once the dead one's time has passed.
#[tokio::test]
async fn a_case_file_whose_replica_was_killed_mid_assembly_is_finished_by_another() {
    let Some(postgres) = treiter_testpg::TestPostgres::start_or_skip(
        "a_case_file_whose_replica_was_killed_mid_assembly_is_finished_by_another",
    ) else {
        return;
    };
    let pki = Pki::new();
    let store = crate::support::postgres_store_config(&postgres, "takeover");
    let (configs, addrs) = crate::support::replica_configs(&pki, &store, 3);
    case_file_outlives_its_assembler(&pki, configs, addrs).await;
}

/// Starts the hub processes of `configs` (one, or replicas), requests a case file on the
/// first (with a `client_request_id`) while the police's agent is linked there and
/// silent, kills that process mid-assembly, and asks again with the same request id:
/// after a restart of the one hub, or on a surviving replica. The repeat gets the file
/// the first call started, finished by the process that took it over, complete with the
/// police's records; the requester has one file; the log verifies.
async fn case_file_outlives_its_assembler(
    pki: &Pki,
    configs: Vec<PathBuf>,
    addrs: Vec<SocketAddr>,
) {
    use crate::postgres::{coordinator, run_hub_command, spawn_hub};
    use std::time::{Duration, Instant};
    let mut hubs: Vec<Option<crate::postgres::Process>> =
        configs.iter().map(|c| Some(spawn_hub(c))).collect();
    for addr in &addrs {
        coordinator(pki, *addr).await;
    }
    let exports = pki.dir.path().join("exports");
    write_exports(&exports);
    let agents = JsonAgents::start_spread(pki, &addrs, &exports, &["politie"]).await;
    let key = key_file(pki);
    let im = hubctl_profile(pki, addrs[0], IM_OOST, Some(&key));
    let case = create_case(&im).await;
    add(
        &im,
        &["case", "move", &case, "registratie", "--reason", "complete"],
    )
    .await;
    let mut args = vec![
        "subject", "add", &case, "--role", "dader", "--label", "buurman",
    ];
    args.extend(identity_args(DADER));
    add(&im, &args).await;
    add(
        &im,
        &["case", "move", &case, "duiding", "--reason", "assess"],
    )
    .await;

    // The police's agent is linked to the first process and never answers: the file
    // waits for it there.
    let silent = crate::support::silent_link(pki, "politie", addrs[0]).await;
    let request = wire::CaseFileRequest {
        client_request_id: "kill-mid-assembly-1".into(),
        case_id: case.clone(),
        purpose: "duiding".into(),
        deadline_ms: 4000,
        ..Default::default()
    };
    let mut first = crate::postgres::try_coordinator_as(pki, addrs[0], IM_OOST)
        .await
        .expect("a connection to the first hub process");
    let interrupted = {
        let request = request.clone();
        tokio::spawn(async move { first.request_case_file(request).await })
    };
    let start = Instant::now();
    let file_id = loop {
        let list = hubctl(&im, &["--json", "casefile", "list", &case], None).await;
        if list.code == 0
            && let Some(id) = list.json()["case_files"]
                .as_array()
                .and_then(|files| files.first())
                .and_then(|file| file["id"].as_str())
        {
            break id.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the case file did not start: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut killed = hubs[0].take().expect("the first hub process");
    killed
        .0
        .kill()
        .expect("kill -9 the hub process assembling the file");
    killed.0.wait().expect("reap it");
    drop(silent);
    let interrupted = interrupted.await.expect("the request task");
    assert!(interrupted.is_err(), "the request outlived its hub");

    // Where the requester turns now: the hub started again, or another replica.
    let (reader, next) = if addrs.len() == 1 {
        hubs[0] = Some(spawn_hub(&configs[0]));
        coordinator(pki, addrs[0]).await;
        (im.clone(), addrs[0])
    } else {
        let (cert, key_pem) = pki.person(IM_OOST);
        let profile = crate::support::hubctl_profile_with(
            pki,
            addrs[1],
            "im-oost-replica-1",
            &cert,
            &key_pem,
            Some(&key),
        );
        (profile, addrs[1])
    };
    let live: Vec<SocketAddr> = if addrs.len() == 1 {
        addrs.clone()
    } else {
        addrs[1..].to_vec()
    };
    let others: Vec<&str> = treiter_certs_dev::PARTIES
        .iter()
        .map(|p| p.slug)
        .filter(|slug| *slug != "politie")
        .collect();
    let police = JsonAgents::start_spread(pki, &live, &exports, &others).await;

    // The client asks again with the same request id, as after any cut-off: it waits
    // for the file the first call started, finished by the process that took it over.
    let mut again = crate::postgres::try_coordinator_as(pki, next, IM_OOST)
        .await
        .expect("a connection to the hub process the requester turns to");
    let file = tokio::time::timeout(
        Duration::from_secs(90),
        again.request_case_file(request.clone()),
    )
    .await
    .expect("the repeated request ends")
    .expect("the repeated request gets the file")
    .into_inner();
    assert_eq!(file.id, file_id, "the repeat got another file");
    let shown = add(&reader, &["casefile", "show", &file_id]).await;
    assert!(shown.contains(&format!("CASE FILE {file_id}")), "{shown}");
    assert!(
        shown.contains("Politie Eenheid Amsterdam — answered"),
        "{shown}"
    );
    assert!(shown.contains("✓ politie-incidenten"), "{shown}");
    assert!(!shown.contains("synthetische samenvatting"), "{shown}");
    // One file, under the id the requester saw: nothing assembled twice.
    let list = hubctl(&reader, &["--json", "casefile", "list", &case], None)
        .await
        .json();
    let ids: Vec<&str> = list["case_files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, vec![file_id.as_str()], "{list}");
    // The same id for another request is refused.
    let other = again
        .request_case_file(wire::CaseFileRequest {
            deadline_ms: 3000,
            ..request
        })
        .await
        .expect_err("the same id for another request");
    assert_eq!(other.code(), tonic::Code::AlreadyExists, "{other:?}");

    police.stop().await;
    agents.stop().await;
    drop(hubs);
    let verify = run_hub_command(&["log", "verify"], &configs[0]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// The walk-through with `hubs` as replicas of one hub (one, or several on one
/// PostgreSQL): the agents spread over them, the informatiemakelaar on the first, the
/// stadsdeelregisseur on the second, the other informatiemakelaar on the third.
async fn case_files_from_real_agents(pki: &Pki, hubs: Vec<TestHub>) {
    let exports = pki.dir.path().join("exports");
    write_exports(&exports);
    let addrs: Vec<_> = hubs.iter().map(|h| h.addr).collect();
    let agents = JsonAgents::start_spread(pki, &addrs, &exports, &[]).await;
    let key = key_file(pki);
    let im = hubctl_profile(pki, addrs[0], IM_OOST, Some(&key));
    let im_west = hubctl_profile(pki, addrs[2 % addrs.len()], IM_WEST, None);
    let sdr = hubctl_profile(pki, addrs[1 % addrs.len()], SDR_OOST, Some(&key));

    let case = create_case(&im).await;
    add(
        &im,
        &["case", "move", &case, "registratie", "--reason", "complete"],
    )
    .await;
    for (who, role, label) in [
        (DADER, "dader", "buurman"),
        (SLACHTOFFER, "slachtoffer", "melder"),
    ] {
        let mut args = vec!["subject", "add", &case, "--role", role, "--label", label];
        args.extend(identity_args(who));
        add(&im, &args).await;
    }

    // bevraag: the partners that know the subject (pseudonyms computed by hubctl match
    // the partners' own).
    let text = add(&im, &["bevraag", &case, "--subject", "buurman"]).await;
    assert!(text.contains("Politie Eenheid Amsterdam"), "{text}");
    assert!(text.contains("HIT"), "{text}");
    assert!(
        !text.contains("00000002000000000002"),
        "parties by name: {text}"
    );
    let hits = hubctl(
        &im,
        &["--json", "bevraag", &case, "--subject", "buurman"],
        None,
    )
    .await
    .json();
    let result = |name: &str| {
        hits["partners"]
            .as_array()
            .expect("partners")
            .iter()
            .find(|p| p["party"]["name"] == name)
            .map(|p| p["result"].clone())
            .expect("listed")
    };
    assert_eq!(result("Politie Eenheid Amsterdam"), "hit", "{hits}");
    assert_eq!(result("Stichting Lieflijk Wonen"), "no-hit");
    hubctl(&im, &["bevraag", &case, "--subject", "nobody"], None)
        .await
        .refused(NOT_FOUND);
    let run = hubctl(
        &im_west,
        &["bevraag", &case, "--subject", &pseudonym_of(DADER)],
        None,
    )
    .await;
    assert!(run.refused(PERMISSION_DENIED).contains("5.3"), "{run:?}");

    // The informatiemakelaar in duiding: police incidents without samenvatting (6.3a),
    // and no justitiële gegevens from the OM (6.4).
    add(
        &im,
        &["case", "move", &case, "duiding", "--reason", "assess"],
    )
    .await;
    let run = hubctl(
        &im,
        &["casefile", "request", &case, "--purpose", "duiding"],
        None,
    )
    .await;
    let text = run.ok();
    assert!(
        text.contains("Politie Eenheid Amsterdam — answered"),
        "{text}"
    );
    assert!(text.contains("✓ politie-incidenten"), "{text}");
    assert!(
        text.contains("withheld fields: samenvatting (art. 6.3a)"),
        "{text}"
    );
    assert!(!text.contains("synthetische samenvatting"), "{text}");
    assert!(
        !text.contains("justitiele-gegevens ·") && !text.contains("contactverbod"),
        "{text}"
    );
    assert!(
        text.contains("Openbaar Ministerie, Arrondissementsparket Amsterdam — "),
        "{text}"
    );

    assert!(text.contains("reference BVH-0001"), "{text}");
    assert!(text.contains("use for duiding only (art. 3.2)"), "{text}");
    assert!(
        !text.contains("00000003000000000003"),
        "parties by name: {text}"
    );
    let file = hubctl(
        &im,
        &[
            "--json",
            "casefile",
            "request",
            &case,
            "--purpose",
            "duiding",
            "--category",
            "politie-incidenten,justitiele-gegevens",
        ],
        None,
    )
    .await
    .json();
    let entries: Vec<&Value> = file["partners"]
        .as_array()
        .expect("partners")
        .iter()
        .flat_map(|p| p["entries"].as_array().expect("entries").iter())
        .collect();
    assert!(
        entries
            .iter()
            .all(|e| e["category"] != "justitiele-gegevens")
    );
    let incident = entries
        .iter()
        .find(|e| e["category"] == "politie-incidenten")
        .expect("incident");
    assert_eq!(incident["decision"]["stripped"], json!(["samenvatting"]));

    // A purpose that does not fit the phase (art. 4.2); another stadsdeel (art. 5.3).
    let run = hubctl(
        &im,
        &["casefile", "request", &case, "--purpose", "aanpak"],
        None,
    )
    .await;
    assert!(run.refused(STATE).contains("4.2"), "{run:?}");
    let run = hubctl(
        &im_west,
        &["casefile", "request", &case, "--purpose", "duiding"],
        None,
    )
    .await;
    let err = run.refused(PERMISSION_DENIED);
    assert!(
        err.contains("5.3") && err.contains("you are informatiemakelaar of west"),
        "{err}"
    );

    // The stadsdeelregisseur in aanpak, watching: samenvatting and justitiële gegevens
    // pass; the GGD's record carrying `diagnose` is withheld whole (7.1).
    add(
        &sdr,
        &[
            "consent",
            "record",
            &case,
            "--subject",
            "melder",
            "--category",
            "slachtofferinformatie",
        ],
    )
    .await;
    add(
        &sdr,
        &["case", "move", &case, "aanpak", "--reason", "approach"],
    )
    .await;
    let text = add(
        &sdr,
        &[
            "casefile",
            "request",
            &case,
            "--purpose",
            "aanpak",
            "--watch",
        ],
    )
    .await;
    assert!(text.contains("synthetische samenvatting"), "{text}");
    assert!(text.contains("contactverbod"), "{text}");
    assert!(
        text.contains("GGD Amsterdam — withheld — art. 7.1"),
        "{text}"
    );
    // Withheld: the reason in words beside the article.
    assert!(
        text.contains("why: prohibited content (diagnosis, treatment or medication): the whole record is refused (art. 7.1)"),
        "{text}"
    );
    assert!(
        text.contains("the privacy officer of GGD Amsterdam is notified"),
        "{text}"
    );
    assert!(!text.contains("synthetische diagnose"), "{text}");
    assert!(
        text.contains("✓ slachtofferinformatie"),
        "consent (6.9): {text}"
    );
    assert!(
        text.contains("complete:") || text.contains(" complete: "),
        "{text}"
    );
    let run = hubctl(
        &sdr,
        &[
            "--json",
            "casefile",
            "request",
            &case,
            "--purpose",
            "aanpak",
            "--watch",
        ],
        None,
    )
    .await;
    let lines: Vec<Value> = run
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(
        lines.first().is_some_and(|l| l.get("started").is_some()),
        "{lines:?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.get("summary").is_some()),
        "{lines:?}"
    );

    // casefile list and show: the requester's own files.
    let list = hubctl(&sdr, &["--json", "casefile", "list", &case], None)
        .await
        .json();
    let files = list["case_files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    let id = files[0]["id"].as_str().expect("id").to_owned();
    let text = add(&sdr, &["casefile", "list", &case]).await;
    hubctl(&im_west, &["casefile", "list", &case], None)
        .await
        .refused(PERMISSION_DENIED);
    assert!(text.contains(&id), "{text}");
    let text = add(&sdr, &["casefile", "show", &id]).await;
    assert!(text.contains(&format!("CASE FILE {id}")), "{text}");
    assert!(
        text.contains("GGD Amsterdam — withheld — art. 7.1"),
        "{text}"
    );
    hubctl(&im, &["casefile", "show", &id], None)
        .await
        .refused(NOT_FOUND);

    // A party named by name, learnt from the case files.
    let text = add(&sdr, &["participant", "add", &case, "De Gracht"]).await;
    assert!(text.contains("Woonstichting De Gracht added"), "{text}");

    agents.stop().await;
    for hub in hubs {
        hub.stop().await;
    }
}

#[tokio::test]
async fn hubctl_says_why_it_cannot_connect() {
    use treiter_certs_dev::TestCert;
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;

    // An expired certificate: refused in the TLS handshake, and hubctl says so.
    let (cert, key) = pki.test_cert(TestCert::Expired);
    let expired = hubctl_profile_with(&pki, hub.addr, "expired", &cert, &key, None);
    let run = hubctl(&expired, &["whoami"], None).await;
    let err = run.refused(CERTIFICATE);
    assert!(
        err.contains("refused your certificate") && err.contains("expired or not yet valid"),
        "{err}"
    );
    assert!(err.contains("is valid from"), "{err}");

    // An organisation certificate (a node agent's) is not a person's.
    let (cert, key) = pki.party("gemeente");
    let org = hubctl_profile_with(&pki, hub.addr, "org", &cert, &key, None);
    let run = hubctl(&org, &["case", "list"], None).await;
    let err = run.refused(PERMISSION_DENIED);
    assert!(err.contains("organisation certificate"), "{err}");

    // A certificate without a well-formed OIN names no party at all: the hint says so,
    // and that no registration at the hub can fix it.
    for (which, why) in [
        (TestCert::MalformedOin, "serialNumber is not an OIN"),
        (TestCert::NoOin, "has no serialNumber"),
    ] {
        let (cert, key) = pki.test_cert(which);
        let profile = hubctl_profile_with(&pki, hub.addr, which.name(), &cert, &key, None);
        let run = hubctl(&profile, &["whoami"], None).await;
        let err = run.refused(CERTIFICATE);
        assert!(err.contains("names no party") && err.contains(why), "{err}");
        assert!(!err.contains("names no person"), "{err}");
        assert!(!err.contains("register this person"), "{err}");
    }

    // --json: the refusal as JSON on standard error.
    let im = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let run = hubctl(
        &im,
        &[
            "--json",
            "case",
            "create",
            "--stadsdeel",
            "west",
            "--melding-at",
            "now",
        ],
        None,
    )
    .await;
    run.refused(PERMISSION_DENIED);
    let error: Value = serde_json::from_str(run.stderr.trim()).expect("JSON error");
    assert_eq!(error["error"]["status"], "permission-denied");
    assert_eq!(error["error"]["exit_code"], PERMISSION_DENIED);
    assert!(
        error["error"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("your certificate is for Anna Testpersoon")),
        "{error}"
    );

    // The hub is gone: the message names its URL.
    let addr = hub.addr;
    hub.stop().await;
    let run = hubctl(&im, &["whoami"], None).await;
    let err = run.refused(UNREACHABLE);
    assert!(err.contains(&format!("https://{addr}")), "{err}");
}

/// A TCP proxy in front of the hub that cuts its FIRST connection at the moment the hub
/// has recorded a change to `case` (its history grew beyond `before`), so the client
/// never sees the answer; later connections pass untouched. Returns its address and
/// the number of connections it accepted.
async fn cutting_proxy(
    upstream: std::net::SocketAddr,
    took_effect: impl Fn() -> bool + Send + Sync + 'static,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    let took_effect = std::sync::Arc::new(took_effect);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let first = count.fetch_add(1, Ordering::SeqCst) == 0;
            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            let took_effect = took_effect.clone();
            tokio::spawn(async move {
                if !first {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    return;
                }
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if took_effect() {
                        // The hub's answer to the request: cut instead of passing it on.
                        break;
                    }
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    (addr, connections)
}

#[tokio::test]
async fn a_change_cut_off_in_transit_is_retried_once_with_the_same_request_id() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let direct = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let case = create_case(&direct).await;
    let before = hub
        .hub
        .cases
        .load(&case)
        .expect("load")
        .expect("case")
        .history
        .len();
    let changed = {
        let (hub, case) = (hub.hub.clone(), case.clone());
        move || {
            hub.cases
                .load(&case)
                .ok()
                .flatten()
                .is_some_and(|c| c.history.len() > before)
        }
    };
    let (proxy, connections) = cutting_proxy(hub.addr, changed).await;
    let (cert, key) = pki.person(IM_OOST);
    let via_proxy = hubctl_profile_with(&pki, proxy, "im-via-proxy", &cert, &key, None);

    // The first connection carries the request and the hub records the contact, but the
    // answer never arrives. hubctl sends the same request again on a new connection; had
    // it chosen a new client_request_id, the hub would refuse a second contact
    // (ALREADY_EXISTS, exit 9). The same id returns the first call's result.
    let run = hubctl(&via_proxy, &["case", "contact", &case], None).await;
    let text = run.ok();
    assert!(text.contains("contact with the melder recorded"), "{text}");
    // The request, the retry, and (hubctl checking that the break was no certificate
    // refusal) possibly a connection that only listens.
    assert!(
        connections.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the change was sent again on a new connection"
    );
    let after = hub.hub.cases.load(&case).expect("load").expect("case");
    assert_eq!(
        after.history.len(),
        before + 1,
        "the contact is recorded once"
    );
    hub.stop().await;
}

/// The same for a case file (hub README, "A coordinator's repeat finds the file"): the
/// hub stores the file but the connection carrying its answer is cut; hubctl asks again
/// on a new connection (a repeat with the same `client_request_id`, or following the
/// file it was told of) and shows that file, and no second file is made.
#[tokio::test]
async fn a_case_file_request_cut_off_in_transit_is_retried_once_and_makes_one_file() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let direct = hubctl_profile(&pki, hub.addr, IM_OOST, None);
    let case = create_case(&direct).await;
    for phase in ["registratie", "duiding"] {
        add(
            &direct,
            &["case", "move", &case, phase, "--reason", "assess"],
        )
        .await;
    }
    let files = {
        let hub = hub.hub.clone();
        move || {
            treiter_hub::casefile::record::all(hub.store.as_ref())
                .expect("case files")
                .len()
        }
    };
    assert_eq!(files(), 0);
    let stored = {
        let files = files.clone();
        move || files() > 0
    };
    let (proxy, connections) = cutting_proxy(hub.addr, stored).await;
    let (cert, key) = pki.person(IM_OOST);
    let via_proxy = hubctl_profile_with(&pki, proxy, "im-via-proxy", &cert, &key, None);

    let run = hubctl(
        &via_proxy,
        &["casefile", "request", &case, "--purpose", "duiding"],
        None,
    )
    .await;
    let text = run.ok();
    assert!(
        connections.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the request was sent again on a new connection: {text}"
    );
    assert_eq!(files(), 1, "one case file: {text}");
    let stored = treiter_hub::casefile::record::all(hub.hub.store.as_ref()).expect("case files");
    let id = stored[0].as_ref().expect("the file opens").id.clone();
    assert!(
        text.contains(&id),
        "the repeat answers with the stored file {id}: {text}"
    );
    hub.stop().await;
}
