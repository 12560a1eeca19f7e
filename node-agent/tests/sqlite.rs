//! The SQLite source adapter through the agent's configuration: what it answers, what
//! never leaves it, and the errors an operator sees for a wrong setting, each naming
//! the setting and the file.

use std::path::{Path, PathBuf};
use std::process::Command;

use treiter_node_agent::answer::Answerer;
use treiter_node_agent::config::AgentConfig;
use treiter_node_agent::error::SetupError;
use treiter_node_agent::sources::SourceError;
use treiter_policies::Category;
use treiter_pseudonym::{Identity, PseudonymKey};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn covenant_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/treiteraanpak.covenant")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A directory with the woningcorporatie example database and the key.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let db = rusqlite::Connection::open(dir.path().join("wc.sqlite")).expect("db");
    db.execute_batch(&std::fs::read_to_string(examples().join("people.sql")).expect("sql"))
        .expect("people");
    db.execute_batch(
        &std::fs::read_to_string(examples().join("woningcorporatie/woningcorporatie.sql"))
            .expect("sql"),
    )
    .expect("wc");
    let key = dir.path().join("pseudonym.key");
    std::fs::write(&key, KEY).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    dir
}

const RECORDS: &str = "SELECT * FROM huurcontracten WHERE persoon_id = ?1";
const IDENTITY: &str = "SELECT p.persoon_id, p.naam, p.geboortedatum, p.postcode, p.huisnummer FROM personen p JOIN huurcontracten h ON h.persoon_id = p.persoon_id";

fn config_text(database: &str, identity: &str, records: &str, fields: &str) -> String {
    format!(
        r#"hub_url = "https://127.0.0.1:7443"
cert = "unused.pem"
key = "unused.key"
trust_anchors = ["unused.pem"]
covenant = "{covenant}"
pseudonym_key = "pseudonym.key"

[category.huurgegevens]
kind = "sqlite"
database = "{database}"
identity_query = "{identity}"
records_query = "{records}"
reference_column = "contractnummer"
recorded_at_column = "bijgewerkt"
[category.huurgegevens.fields]
{fields}
"#,
        covenant = covenant_path().display()
    )
}

const FIELDS: &str = "status = \"huurstatus\"\ningangsdatum = \"huurder_sinds\"\n";

fn answerer(dir: &Path, text: &str) -> Result<Answerer, SetupError> {
    let config = AgentConfig::parse(text, dir).expect("config parses");
    Answerer::from_config(&config)
}

fn tobias() -> treiter_pseudonym::Pseudonym {
    PseudonymKey::from_hex(KEY)
        .expect("key")
        .pseudonym(&Identity {
            name: "TOBIAS TESTDADER",
            birth_date: "1980-01-01",
            postcode: "1091ab",
            house_number: "12",
        })
        .expect("pseudonym")
}

#[test]
fn reads_mapped_columns_only_through_the_index() {
    let dir = setup();
    let a = answerer(
        dir.path(),
        &config_text("wc.sqlite", IDENTITY, RECORDS, FIELDS),
    )
    .expect("opens");
    assert_eq!(a.categories(), [Category::Huurgegevens]);
    let plans = a.plans();
    let plan = plans[0].1.as_ref().expect("plan");
    assert_eq!(
        plan.subjects,
        Some(2),
        "Tobias and Sanne rent from De Gracht"
    );
    assert!(plan.never_sent.contains(&"iban".to_owned()), "{plan:?}");
    assert!(plan.never_sent.contains(&"overlastdossier".to_owned()));
    let plan_text = format!("{plan:?}");
    assert!(!plan_text.contains("NL00TEST"), "no values in a plan");
}

/// A SQLite source knows its subjects from its pseudonym index: a bevraging is
/// answered without a blocking thread; a share request reads the database and is not.
#[test]
fn a_bevraging_of_the_index_is_answered_from_memory() {
    use treiter_proto::v1::{Bevraging, Question, SubjectPseudonym, question};
    let dir = setup();
    let a = answerer(
        dir.path(),
        &config_text("wc.sqlite", IDENTITY, RECORDS, FIELDS),
    )
    .expect("opens");
    let ask = |kind| Question {
        request_id: "q".into(),
        deadline: None,
        kind: Some(kind),
    };
    let bevraging = ask(question::Kind::Bevraging(Bevraging {
        subject: Some(SubjectPseudonym {
            hex: tobias().to_string(),
        }),
        more_subjects: Vec::new(),
    }));
    let own = treiter_node_agent::gate::OwnParty {
        oin: treiter_policies::Oin::parse("00000004000000000004").expect("oin"),
        kind: treiter_policies::PartyKind::Woningcorporatie,
    };
    let now = std::time::SystemTime::now();
    assert!(a.answer_from_memory(&bevraging, &own, now).is_some());
    let share = ask(question::Kind::ShareRequest(Default::default()));
    assert!(a.answer_from_memory(&share, &own, now).is_none());
}

#[test]
fn a_missing_database_names_the_setting_and_file() {
    let dir = setup();
    let err = answerer(
        dir.path(),
        &config_text("gone.sqlite", IDENTITY, RECORDS, FIELDS),
    )
    .expect_err("missing database");
    let SetupError::Source(SourceError::DatabaseMissing { setting, path, .. }) = &err else {
        panic!("expected DatabaseMissing, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.database");
    assert!(path.ends_with("gone.sqlite"));
    assert!(err.to_string().contains("gone.sqlite"), "{err}");
}

#[test]
fn bad_sql_names_the_query_setting() {
    let dir = setup();
    let err = answerer(
        dir.path(),
        &config_text(
            "wc.sqlite",
            IDENTITY,
            "SELEC * FROM huurcontracten WHERE persoon_id = ?1",
            FIELDS,
        ),
    )
    .expect_err("bad sql");
    let SetupError::Source(SourceError::Sqlite {
        setting, detail, ..
    }) = &err
    else {
        panic!("expected Sqlite, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.records_query");
    assert!(detail.contains("syntax error"), "{detail}");
}

#[test]
fn a_writing_query_or_a_query_without_its_parameter_is_refused() {
    let dir = setup();
    let err = answerer(
        dir.path(),
        &config_text(
            "wc.sqlite",
            IDENTITY,
            "DELETE FROM huurcontracten WHERE persoon_id = ?1",
            FIELDS,
        ),
    )
    .expect_err("not read-only");
    let SetupError::Source(SourceError::Query {
        setting, problem, ..
    }) = &err
    else {
        panic!("expected Query, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.records_query");
    assert!(problem.contains("read-only"), "{problem}");
    let err = answerer(
        dir.path(),
        &config_text(
            "wc.sqlite",
            IDENTITY,
            "SELECT * FROM huurcontracten",
            FIELDS,
        ),
    )
    .expect_err("no parameter");
    let SetupError::Source(SourceError::Query { problem, .. }) = &err else {
        panic!("expected Query, got {err:?}");
    };
    assert!(problem.contains("exactly one"), "{problem}");
}

#[test]
fn a_mapped_column_the_query_lacks_or_an_unknown_field_is_refused() {
    let dir = setup();
    let err = answerer(
        dir.path(),
        &config_text("wc.sqlite", IDENTITY, RECORDS, "stat = \"huurstatus\"\n"),
    )
    .expect_err("missing column");
    let SetupError::Source(SourceError::Query { setting, .. }) = &err else {
        panic!("expected Query, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.fields.stat");
    let err = answerer(
        dir.path(),
        &config_text(
            "wc.sqlite",
            IDENTITY,
            RECORDS,
            "iban = \"rekeningnummer\"\n",
        ),
    )
    .expect_err("unknown field");
    let SetupError::UnknownField { setting, field, .. } = &err else {
        panic!("expected UnknownField, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.fields.iban");
    assert_eq!(field, "rekeningnummer");
    assert!(
        err.to_string().contains("huurstatus"),
        "lists the category's fields: {err}"
    );
}

#[test]
fn a_malformed_config_names_the_file_and_line() {
    let dir = setup();
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        config_text("wc.sqlite", IDENTITY, RECORDS, FIELDS)
            .replace("kind = \"sqlite\"", "kind = \"sqlite\"\ndatabse = \"x\""),
    )
    .expect("write");
    let err = AgentConfig::load(&path).expect_err("typo");
    let text = err.to_string();
    assert!(text.contains("agent.toml"), "{text}");
    // serde reports an unknown key of a tagged table at the table's header.
    assert!(text.contains("line 8"), "{text}");
    assert!(text.contains("unknown field `databse`"), "{text}");
    // A SQLite category needs the pseudonym key.
    std::fs::write(
        &path,
        config_text("wc.sqlite", IDENTITY, RECORDS, FIELDS)
            .replace("pseudonym_key = \"pseudonym.key\"\n", ""),
    )
    .expect("write");
    let text = AgentConfig::load(&path).expect_err("no key").to_string();
    assert!(text.contains("pseudonym_key is missing"), "{text}");
}

#[test]
fn identity_query_must_return_five_columns() {
    let dir = setup();
    let err = answerer(
        dir.path(),
        &config_text(
            "wc.sqlite",
            "SELECT persoon_id, naam FROM personen",
            RECORDS,
            FIELDS,
        ),
    )
    .expect_err("two columns");
    let SetupError::Source(SourceError::Query { setting, .. }) = &err else {
        panic!("expected Query, got {err:?}");
    };
    assert_eq!(setting, "category.huurgegevens.identity_query");
}

#[test]
fn answers_through_the_gate_without_unmapped_columns() {
    use treiter_proto::v1::{Bevraging, Question, SubjectPseudonym, answer, question};
    let dir = setup();
    let a = answerer(
        dir.path(),
        &config_text("wc.sqlite", IDENTITY, RECORDS, FIELDS),
    )
    .expect("opens");
    let own = treiter_node_agent::gate::OwnParty {
        oin: treiter_policies::Oin::parse("00000004000000000004").expect("oin"),
        kind: treiter_policies::PartyKind::Woningcorporatie,
    };
    let q = Question {
        request_id: "q-1".into(),
        deadline: None,
        kind: Some(question::Kind::Bevraging(Bevraging {
            subject: Some(SubjectPseudonym {
                hex: tobias().to_hex(),
            }),
            more_subjects: Vec::new(),
        })),
    };
    let ans = a.answer(&q, &own, std::time::SystemTime::now());
    assert!(
        matches!(ans.kind, Some(answer::Kind::Bevraging(b)) if b.hit),
        "Tobias is a tenant"
    );
}

/// Every example configuration passes `check-config` once its database, key and PKI
/// exist (built here in a temporary copy, as `--example samples` builds them).
#[test]
fn every_example_config_passes_check_config() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("examples");
    treiter_certs_dev::generate(
        &root.join("pki"),
        &treiter_certs_dev::Options {
            test_certs: false,
            now: time::OffsetDateTime::now_utc(),
            force: false,
        },
    )
    .expect("pki");
    let key = root.join("pseudonym.key");
    std::fs::write(&key, KEY).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let people = std::fs::read_to_string(examples().join("people.sql")).expect("people");
    for (kind, never_sent) in [
        ("politie", "opsporing_notitie"),
        ("om", "officier"),
        ("woningcorporatie", "iban"),
        ("zorgpartner", "diagnose"),
        ("gemeente", "gespreksverslag"),
    ] {
        let out_dir = root.join(kind);
        std::fs::create_dir_all(&out_dir).expect("mkdir");
        let db = rusqlite::Connection::open(out_dir.join(format!("{kind}.sqlite"))).expect("db");
        db.execute_batch(&people).expect("people");
        db.execute_batch(
            &std::fs::read_to_string(examples().join(kind).join(format!("{kind}.sql")))
                .expect("sql"),
        )
        .expect("sql");
        let text = std::fs::read_to_string(examples().join(kind).join("node-agent.toml"))
            .expect("config")
            .replace(
                "covenant = \"../../../policies/treiteraanpak.covenant\"",
                &format!("covenant = \"{}\"", covenant_path().display()),
            );
        let config = out_dir.join("node-agent.toml");
        std::fs::write(&config, text).expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_node-agent"))
            .args(["check-config", "--config"])
            .arg(&config)
            .env("RUST_LOG", "error")
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind}: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("configuration ok"), "{kind}: {stdout}");
        assert!(
            stdout.contains(never_sent),
            "{kind}: {never_sent} is listed as never sent:\n{stdout}"
        );
        assert!(!stdout.contains("warning:"), "{kind}: {stdout}");
        if kind == "woningcorporatie" {
            eprintln!("{stdout}");
        }
        if kind == "gemeente" {
            // The gemeente's example keeps delivered case data; check-config reports
            // the inbox the first start creates, and creates nothing itself.
            assert!(
                stdout.contains("key and inbox created on the first start"),
                "{stdout}"
            );
            assert!(!out_dir.join("state").exists(), "{stdout}");
        }
    }
}
