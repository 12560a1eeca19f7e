//! `hubctl evidence` and `treiter-verify`, and `hubctl log logboek`, end to end: a real
//! hub with real (witnessing) agents, a case with shares (the world of `officer.rs`),
//! the real hubctl and treiter-verify binaries.
//!
//! - A case's entries → a bundle → the offline verifier says VERIFIED; a changed entry,
//!   a changed proof, a removed cosignature and a wrong hub key each fail, naming the
//!   file and the reason.
//! - A coordinator is refused; an officer cannot put another party's entry in a bundle.
//! - The Logboek export validates against the field tables of docs/LOGBOEK.md.

use std::path::{Path, PathBuf};

use treiter_verify::bundle::{self, Manifest};
use treiter_verify::tar;
use treiter_verify::{ExternalKey, Options, Problem, verify};

use crate::officer::{KEY_BYTES, PLANTED, World, dader, oin};
use crate::support::{HubctlRun, hubctl, hubctl_profile, workspace_bin};

const SDR_OOST: &str = "p-gemeente-004";
const PO_POLITIE: &str = "p-politie-090";
const PO_DEGRACHT: &str = "p-degracht-090";

/// Exit codes of `hubctl --help` and `treiter-verify --help`.
const PERMISSION_DENIED: i32 = 6;
const LOG_NOT_VERIFIED: i32 = 11;
const VERIFIED: i32 = 0;
const NOT_VERIFIED: i32 = 1;
const KEY_FROM_BUNDLE_ONLY: i32 = 3;

fn profile(world: &World, person: &str, verifier: Option<&str>) -> PathBuf {
    let key = world.pki.dir.path().join("evidence-pseudonym.key");
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

/// Runs the treiter-verify binary.
async fn treiter_verify(args: Vec<String>) -> HubctlRun {
    let exe = workspace_bin("treiter-verify");
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(exe)
            .args(&args)
            .output()
            .expect("treiter-verify runs");
        HubctlRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("treiter-verify task")
}

fn path_arg(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

/// Changes one file of a bundle and writes the manifest's hashes again, as a careful
/// forger would, so the check the change touches is the one that fails.
fn tamper(bytes: &[u8], path: &str, change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut files = tar::read(bytes).expect("the bundle reads");
    let f = files
        .iter_mut()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} in the bundle"));
    change(&mut f.bytes);
    let mut m = manifest_of(&files);
    for r in &mut m.files {
        let f = files
            .iter()
            .find(|f| f.path == r.path)
            .expect("listed file");
        r.sha256 = bundle::sha256_hex(&f.bytes);
        r.bytes = f.bytes.len() as u64;
    }
    files
        .iter_mut()
        .find(|f| f.path == bundle::MANIFEST)
        .expect("manifest")
        .bytes = m.to_bytes();
    tar::write(&files)
}

fn manifest_of(files: &[tar::File]) -> Manifest {
    let f = files
        .iter()
        .find(|f| f.path == bundle::MANIFEST)
        .expect("manifest");
    serde_json::from_slice(&f.bytes).expect("manifest JSON")
}

/// Flips the first hex digit after `after` in the file's text.
fn flip_hex_after(b: &mut [u8], after: &str) {
    let text = String::from_utf8(b.to_vec()).expect("text");
    let start = text.find(after).expect("marker") + after.len();
    let pos = start
        + b[start..]
            .iter()
            .position(|c| c.is_ascii_hexdigit())
            .expect("a hex digit");
    b[pos] = if b[pos] == b'0' { b'1' } else { b'0' };
}

#[tokio::test]
async fn a_case_bundle_verifies_offline_and_each_tampering_is_named() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let key = world.hub.hub.log.verifier();
    let po = profile(&world, PO_POLITIE, Some(&key.to_string()));
    // The officer verified the log once; it grows after: the bundle then proves the
    // log extends the checkpoint verified then (two checkpoints, a consistency proof).
    hubctl(&po, &["log", "verify"], None).await.ok();
    let mut sdr = world.coordinator(SDR_OOST).await;
    world.case_file(&mut sdr, &case).await;

    let out = world.pki.dir.path().join("bewijs.tar");
    let made = hubctl(
        &po,
        &["evidence", "--case", &case, "--out", &path_arg(&out)],
        None,
    )
    .await;
    let said = made.ok();
    assert!(said.contains("evidence bundle written to"), "{said}");
    assert!(said.contains("treiter-verify"), "{said}");
    let data = std::fs::read(&out).expect("the bundle");

    // What is in it: the case's entries of politie only, two checkpoints cosigned by
    // witnesses whose keys are in it, and nothing the log does not hold.
    let files = tar::read(&data).expect("the bundle reads");
    let m = manifest_of(&files);
    assert!(!m.entries.is_empty());
    assert!(m.entries.iter().all(|e| e.case_id == case), "{m:?}");
    assert_eq!(m.checkpoints.len(), 2, "{m:?}");
    assert_eq!(m.consistency.len(), 1);
    assert!(!m.witnesses.is_empty(), "the agents' keys: {m:?}");
    let last = m.checkpoints.last().expect("checkpoint");
    assert!(!last.cosigned_by.is_empty(), "cosigned: {m:?}");
    assert_eq!(m.maker.person, PO_POLITIE);
    assert_eq!(m.maker.party_oin, oin("politie"));
    for f in &files {
        let text = String::from_utf8_lossy(&f.bytes);
        for planted in PLANTED {
            assert!(!text.contains(planted), "{planted} in {}", f.path);
        }
        if f.path.starts_with("entries/") {
            let v: serde_json::Value = serde_json::from_slice(&f.bytes).expect("entry JSON");
            let ev = &v["event"];
            if ev["kind"] == "share-decision" {
                assert!(
                    ev["source"] == oin("politie") || ev["recipient"] == oin("politie"),
                    "politie's share only: {v}"
                );
            }
        }
    }
    let leesmij = String::from_utf8(files[0].bytes.clone()).expect("LEESMIJ.txt");
    assert_eq!(files[0].path, "LEESMIJ.txt");
    assert!(
        leesmij.contains("WAT DEZE BUNDEL NIET BEWIJST"),
        "{leesmij}"
    );
    assert!(leesmij.contains(&format!("zaak {case}")), "{leesmij}");

    // The offline verifier, with the hub's published key: verified.
    let key_file = world.pki.dir.path().join("hub.vkey");
    std::fs::write(&key_file, format!("{key}\n")).expect("key file");
    let ok = treiter_verify(vec![
        path_arg(&out),
        "--hub-key".into(),
        path_arg(&key_file),
    ])
    .await;
    assert_eq!(ok.code, VERIFIED, "{ok:?}");
    assert!(ok.stdout.starts_with("VERIFIED: "), "{}", ok.stdout);
    assert!(ok.stdout.contains("is the one given with --hub-key"));
    assert!(ok.stdout.contains("Oordeel: de bundel is echt"));

    // Without a key from outside: verified, but said to rest on the bundle's own key.
    let bare = treiter_verify(vec![path_arg(&out)]).await;
    assert_eq!(bare.code, KEY_FROM_BUNDLE_ONLY, "{bare:?}");
    assert!(bare.stdout.contains("taken from the bundle only"));

    // A wrong key: another hub's.
    let other = treiter_translog::checkpoint::NoteVerifier::new(key.name(), [7u8; 32])
        .expect("verifier")
        .to_string();
    let wrong = treiter_verify(vec![path_arg(&out), "--hub-key".into(), other.clone()]).await;
    assert_eq!(wrong.code, NOT_VERIFIED, "{wrong:?}");
    assert!(
        wrong.stdout.contains("NOT VERIFIED: keys/hub.vkey:"),
        "{}",
        wrong.stdout
    );
    assert!(wrong.stdout.contains("not the key given with --hub-key"));
    let as_json = treiter_verify(vec![
        path_arg(&out),
        "--json".into(),
        "--hub-key".into(),
        other.clone(),
    ])
    .await;
    assert_eq!(as_json.code, NOT_VERIFIED, "{as_json:?}");
    let v: serde_json::Value = serde_json::from_str(&as_json.stdout).expect("JSON");
    assert_eq!(
        (
            v["verified"].clone(),
            v["problem"].clone(),
            v["file"].clone()
        ),
        (false.into(), "wrong-hub-key".into(), "keys/hub.vkey".into())
    );

    // One changed byte, not resealed: the file is named.
    let entry = m.entries[0].clone();
    let mut raw = files.clone();
    let f = raw
        .iter_mut()
        .find(|f| f.path == entry.file)
        .expect("entry");
    let mid = f.bytes.len() / 2;
    f.bytes[mid] ^= 0x01;
    let raw_path = world.pki.dir.path().join("raw.tar");
    std::fs::write(&raw_path, tar::write(&raw)).expect("write");
    let changed = treiter_verify(vec![path_arg(&raw_path)]).await;
    assert_eq!(changed.code, NOT_VERIFIED);
    assert!(
        changed
            .stdout
            .contains(&format!("NOT VERIFIED: {}: its bytes differ", entry.file)),
        "{}",
        changed.stdout
    );

    // Resealed changes, each caught by its own check, naming the file.
    let options = Options {
        hub_key: Some(ExternalKey::Verifier(key.clone())),
        witness_keys: Vec::new(),
    };
    let expect = |bad: Vec<u8>, problem: Problem, file: &str| {
        let failure = verify(&bad, &options).expect_err("the changed bundle is refused");
        assert_eq!(
            (failure.problem, failure.file.as_str()),
            (problem, file),
            "{failure}"
        );
        failure
    };
    // A changed entry: its case id (a different, well-formed one).
    let f = expect(
        tamper(&data, &entry.file, |b| {
            let text = String::from_utf8(b.clone()).expect("text");
            *b = text.replacen(&case, "C-2026-9999", 1).into_bytes();
        }),
        Problem::Entry,
        &entry.file,
    );
    assert!(f.reason.contains("was changed"), "{f}");
    // A changed inclusion proof.
    let f = expect(
        tamper(&data, &entry.proof, |b| flip_hex_after(b, "\"hashes\"")),
        Problem::Inclusion,
        &entry.proof,
    );
    assert!(f.reason.contains("not proven included"), "{f}");
    // A removed cosignature.
    let witness = last.cosigned_by[0].clone();
    let f = expect(
        tamper(&data, &last.file, |b| {
            let text = String::from_utf8(b.clone()).expect("note");
            *b = text
                .split_inclusive('\n')
                .filter(|l| !l.contains(&witness))
                .collect::<String>()
                .into_bytes();
        }),
        Problem::Cosignature,
        &last.file,
    );
    assert!(f.reason.contains(&witness), "{f}");
    // Another key put in the bundle in place of the hub's.
    let forged = tamper(&data, bundle::HUB_KEY, |b| {
        let other = treiter_translog::checkpoint::NoteVerifier::new(key.name(), [9u8; 32])
            .expect("verifier");
        *b = format!("{other}\n").into_bytes();
    });
    let failure = verify(&forged, &Options::default()).expect_err("refused");
    assert_eq!(
        (failure.problem, failure.file.as_str()),
        (Problem::HubKey, bundle::HUB_KEY)
    );
    world.stop().await;
}

#[tokio::test]
async fn evidence_is_for_the_officers_own_party_only() {
    let world = World::start().await;
    let case = world.case_with_shares().await;

    // A coordinator is refused (art. 5.2), and nothing is written.
    let sdr = profile(&world, SDR_OOST, None);
    let out = world.pki.dir.path().join("sdr.tar");
    let refused = hubctl(
        &sdr,
        &["evidence", "--case", &case, "--out", &path_arg(&out)],
        None,
    )
    .await;
    let stderr = refused.refused(PERMISSION_DENIED);
    assert!(stderr.contains("privacy officer"), "{stderr}");
    assert!(!out.exists());

    // De Gracht's officer: an entry only politie and the gemeente may see is refused
    // by the hub (art. 10.3), by its index.
    let log = &world.hub.hub.log;
    let politie = oin("politie");
    let degracht = oin("degracht");
    let foreign = (0..log.tree_size())
        .find(|&i| {
            let stored = log.entry(i).expect("entry");
            match &stored.entry.event {
                treiter_hub::log::Event::ShareDecision(d) => {
                    format!("{:020}", d.source.0) == politie
                        && format!("{:020}", d.recipient.0) != degracht
                }
                _ => false,
            }
        })
        .expect("a share politie provided");
    let po = profile(&world, PO_DEGRACHT, None);
    let other = world.pki.dir.path().join("other.tar");
    let refused = hubctl(
        &po,
        &[
            "evidence",
            "--entries",
            &foreign.to_string(),
            "--out",
            &path_arg(&other),
        ],
        None,
    )
    .await;
    let stderr = refused.refused(PERMISSION_DENIED);
    assert!(stderr.contains("10.3"), "{stderr}");
    assert!(!other.exists());

    // The whole case, for De Gracht: its own entries only.
    let own = world.pki.dir.path().join("degracht.tar");
    hubctl(
        &po,
        &["evidence", "--case", &case, "--out", &path_arg(&own)],
        None,
    )
    .await
    .ok();
    let data = std::fs::read(&own).expect("bundle");
    let verdict = verify(&data, &Options::default()).expect("verifies");
    assert!(
        verdict
            .manifest
            .entries
            .iter()
            .all(|e| e.leaf_index != foreign),
        "politie's entry is not in De Gracht's bundle"
    );
    // A profile whose `log_verifier` is not the key the hub signs with: no bundle.
    let other_key = treiter_translog::checkpoint::NoteVerifier::new(log.origin(), [7u8; 32])
        .expect("verifier")
        .to_string();
    let wary = profile(&world, PO_DEGRACHT, Some(&other_key));
    let elsewhere = world.pki.dir.path().join("elsewhere.tar");
    let refused = hubctl(
        &wary,
        &["evidence", "--case", &case, "--out", &path_arg(&elsewhere)],
        None,
    )
    .await;
    assert!(
        refused
            .refused(LOG_NOT_VERIFIED)
            .contains("another key than the profile's `log_verifier`"),
        "{refused:?}"
    );
    assert!(!elsewhere.exists());
    // Never over an existing file.
    let again = hubctl(
        &po,
        &["evidence", "--case", &case, "--out", &path_arg(&own)],
        None,
    )
    .await;
    assert!(again.refused(2).contains("exists already"));
    world.stop().await;
}

/// The rows (field name, verplicht) of a table of docs/LOGBOEK.md.
fn documented(table: &str) -> Vec<(String, bool)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/LOGBOEK.md"))
            .expect("docs/LOGBOEK.md");
    let marker = format!("<!-- logboek-fields: {table} -->");
    let start = doc.find(&marker).expect("table marker") + marker.len();
    doc[start..]
        .trim_start()
        .lines()
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_owned(),
                cells[2] == "verplicht",
            )
        })
        .collect()
}

/// Checks an object against a documented table: every verplicht field present, no
/// field the table does not list.
fn conforms(object: &serde_json::Value, table: &str) {
    let fields = documented(table);
    let object = object.as_object().expect("an object");
    for (name, required) in &fields {
        if *required {
            assert!(
                object.contains_key(name),
                "{table}: {name} missing in {object:?}"
            );
        }
    }
    for key in object.keys() {
        assert!(
            fields.iter().any(|(n, _)| n == key),
            "{table}: {key} is not documented"
        );
    }
}

#[tokio::test]
async fn the_logboek_export_validates_against_the_documented_fields() {
    let world = World::start().await;
    let case = world.case_with_shares().await;
    let po = profile(&world, PO_POLITIE, None);
    let run = hubctl(
        &po,
        &["log", "logboek", "--case", &case, "--subject", &dader()],
        None,
    )
    .await;
    let lines: Vec<&str> = run.ok().lines().collect();
    assert!(!lines.is_empty(), "{run:?}");
    assert!(run.stderr.contains("Logboek record(s) written"), "{run:?}");
    let mut permits = 0;
    for line in &lines {
        for planted in PLANTED {
            assert!(!line.contains(planted));
        }
        let r: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        conforms(&r, "record");
        conforms(&r["attributes"], "attributes");
        conforms(&r["resource"]["attributes"], "resource");
        assert_eq!(r["attributes"]["dpl.core.data_subject_id"], dader());
        assert!(
            ["Unset", "Ok"].contains(&r["status"].as_str().expect("status")),
            "{r}"
        );
        assert_eq!(r["trace_id"].as_str().map(str::len), Some(32));
        assert_eq!(r["span_id"].as_str().map(str::len), Some(16));
        if r["status"] == "Ok" && r["name"] == "share-decision permit" {
            permits += 1;
            assert!(
                r["attributes"]["dpl.core.processing_activity_id"]
                    .as_str()
                    .is_some_and(|a| a.ends_with(":aanpak")),
                "{r}"
            );
        }
    }
    assert!(permits > 0, "politie's permitted share: {lines:?}");

    // Coordinators are refused, as for every log command.
    let sdr = profile(&world, SDR_OOST, None);
    hubctl(&sdr, &["log", "logboek", "--case", &case], None)
        .await
        .refused(PERMISSION_DENIED);
    world.stop().await;
}
