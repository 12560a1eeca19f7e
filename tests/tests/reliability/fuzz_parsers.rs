//! Bounded randomized runs of the parsers of outside input that need no running hub.
//! Each input is a few edits of a real, valid input (or random bytes), so most inputs
//! get deep into the parser before they go wrong.
//!
//! - The decision log on disk (segments, head record): a changed byte anywhere is never
//!   believed: a log that opens holds exactly the entries written, each unchanged.
//! - Checkpoint notes and verifier keys: a note that opens verifies, so it is the one
//!   signed (same size, same root).
//! - Certificates: identity extraction returns an OIN of the profile or an error.
//! - Hub and agent config files: a config or an error, never a panic.
//!
//! The covenant language, `.covtest` files and DECISION-JSON have their property tests
//! in `policies/tests/properties.rs`; the hub's RPCs are fuzzed in `fuzz_rpc`.
//!
//! A panic in a parser fails the test with the smallest input proptest finds; it then
//! becomes a named regression test beside the fix.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use proptest::test_runner::{TestCaseError, TestRunner};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use treiter_hub::config::HubConfig;
use treiter_hub::log::entry::{CaseId, Entry, Event, LogTime, RetentionDeletion};
use treiter_hub::log::{Log, LogKey, LogOptions, verify_dir};
use treiter_node_agent::config::AgentConfig;
use treiter_translog::checkpoint::{
    Checkpoint, NoteSigner, NoteVerifier, SignedCheckpoint, open_checkpoint,
};

use super::{Kind, config, fuzzed, tally};
use crate::support::{Pki, agent_config_text, hub_config_text};

const ORIGIN: &str = "hub.treiter.test/log";

/// Runs `check` on `cases` fuzzed inputs from `seeds`; panics (with the smallest
/// failing input) if any input panics or is wrongly accepted. Returns how many ran.
fn run(name: &str, cases: u32, seeds: Vec<Vec<u8>>, check: impl Fn(&[u8]) -> Result<(), String>) {
    let ran = Cell::new(0u64);
    let wrong = Cell::new(0u64);
    let panics = Cell::new(0u64);
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&fuzzed(seeds), |input| {
        ran.set(ran.get() + 1);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => {
                wrong.set(wrong.get() + 1);
                Err(TestCaseError::fail(why))
            }
            Err(_) => {
                panics.set(panics.get() + 1);
                Err(TestCaseError::fail("the parser panicked"))
            }
        }
    });
    // Shrinking reruns failing inputs; the tally counts the inputs of the search.
    tally(name, Kind::FuzzInputs, ran.get(), wrong.get(), panics.get());
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
}

fn log_key(pkcs8: &[u8]) -> LogKey {
    LogKey::from_pkcs8(ORIGIN, pkcs8).expect("log key")
}

fn deletion(n: u64) -> Entry {
    let at =
        time::OffsetDateTime::from_unix_timestamp(1_790_000_000 + i64::try_from(n).unwrap_or(0))
            .expect("time");
    Entry {
        time: LogTime::from_datetime(at).expect("log time"),
        covenant_version: 1,
        event: Event::RetentionDeletion(RetentionDeletion {
            case: CaseId::parse(&format!("C-2026-{n:04}")).expect("case id"),
            case_ended: LogTime::from_datetime(at).expect("log time"),
            article: "9.1".parse().expect("article"),
        }),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// A changed byte in a stored log (segments or head record) is never believed: the log
/// either refuses to open or opens with a prefix of the entries written, each unchanged.
#[test]
fn a_damaged_log_on_disk_is_refused_or_opens_with_entries_unchanged() {
    let pkcs8 = treiter_hub::log::key::generate_pkcs8().expect("key");
    let pristine = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let written: Vec<Vec<u8>> = {
        // Small segments, so a run damages boundaries between segments too.
        let options = LogOptions {
            segment_bytes: 2048,
            ..LogOptions::default()
        };
        let (log, _) = Log::open(pristine.path(), log_key(&pkcs8), options).expect("open");
        runtime.block_on(async {
            for n in 0..24 {
                log.append(deletion(n)).await.expect("append");
                if n % 8 == 7 {
                    log.checkpoint().await.expect("checkpoint");
                }
            }
        });
        let out = (0..24)
            .map(|i| log.entry(i).expect("entry").bytes)
            .collect();
        drop(log);
        out
    };
    let stored = files(pristine.path());
    let names: Vec<String> = stored
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .filter(|n| !n.contains("lock") && !n.contains("LOCK"))
        .collect();
    assert!(
        names.len() >= 3,
        "several segments and a head record: {names:?}"
    );
    // The seed is every stored file, each prefixed by its index, so a case picks one
    // file to damage (the first byte of the input) and damages it.
    let seeds: Vec<Vec<u8>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut seed = vec![u8::try_from(i).unwrap_or(0)];
            seed.extend(std::fs::read(pristine.path().join(name)).expect("read"));
            seed
        })
        .collect();
    run("log-on-disk", 160, seeds, |input| {
        let Some((which, bytes)) = input.split_first() else {
            return Ok(());
        };
        let name = &names[usize::from(*which) % names.len()];
        let copy = tempfile::tempdir().map_err(|e| e.to_string())?;
        for file in &stored {
            let Some(file_name) = file.file_name() else {
                continue;
            };
            std::fs::copy(file, copy.path().join(file_name)).map_err(|e| e.to_string())?;
        }
        std::fs::write(copy.path().join(name), bytes).map_err(|e| e.to_string())?;
        let verified = verify_dir(copy.path(), &log_key(&pkcs8), &[]);
        if let Ok((log, _)) = Log::open(copy.path(), log_key(&pkcs8), LogOptions::default()) {
            let size = log.tree_size();
            if size > written.len() as u64 {
                return Err(format!(
                    "the damaged log opened with {size} entries, more than written"
                ));
            }
            for index in 0..size {
                let entry = log
                    .entry(index)
                    .map_err(|e| format!("entry {index}: {e}"))?;
                if entry.bytes != written[usize::try_from(index).unwrap_or(0)] {
                    return Err(format!("entry {index} opened changed ({name} damaged)"));
                }
            }
            if let Ok(report) = verified
                && report.entries > size
            {
                return Err(format!(
                    "verify passed {} entries, open kept {size}",
                    report.entries
                ));
            }
        }
        Ok(())
    });
}

/// A checkpoint note that opens is the one the log signed: a changed byte never gives a
/// different size or root under a valid signature. Verifier keys (`name+id+key`) from
/// outside are parsed without panicking.
#[test]
fn a_damaged_checkpoint_note_never_opens_as_another_checkpoint() {
    let log = NoteSigner::from_pkcs8(
        ORIGIN,
        &treiter_hub::log::key::generate_pkcs8().expect("key"),
    )
    .expect("signer");
    let witness = NoteSigner::from_pkcs8(
        "witness.treiter.test",
        &treiter_hub::log::key::generate_pkcs8().expect("key"),
    )
    .expect("signer");
    let checkpoint = Checkpoint {
        origin: ORIGIN.to_owned(),
        size: 4242,
        root: treiter_translog::hash::leaf_hash(b"a synthetic root"),
    };
    let signed = SignedCheckpoint::sign(checkpoint.clone(), &log).expect("sign");
    let cosigned = signed.cosign(&witness);
    let verifiers = [log.verifier().clone(), witness.verifier().clone()];
    let seeds = vec![signed.to_bytes(), cosigned.to_bytes()];
    run("checkpoint-note", 600, seeds, |input| {
        if let Ok(opened) = open_checkpoint(ORIGIN, &verifiers, input)
            && *opened.checkpoint() != checkpoint
        {
            return Err(format!(
                "a damaged note opened as {:?}",
                opened.checkpoint()
            ));
        }
        Ok(())
    });
    let vkey = format!("{}+{}+{}", ORIGIN, hex(&log.verifier().key_id()), "AQ");
    let seeds = vec![vkey.into_bytes()];
    run("note-verifier-key", 300, seeds, |input| {
        let _ = NoteVerifier::parse(&String::from_utf8_lossy(input));
        Ok(())
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Identity extraction from a client certificate (the OIN in `serialNumber`, the
/// person in `UID`) returns an identity of the profile or an error for any DER.
#[test]
fn identity_extraction_from_damaged_certificates_never_panics() {
    let pki = Pki::new();
    let mut seeds = Vec::new();
    for path in [
        pki.party("om").0,
        pki.person("p-gemeente-004").0,
        pki.layout.ca_cert(),
    ] {
        let der = CertificateDer::from_pem_file(&path).expect("pem");
        seeds.push(der.as_ref().to_vec());
    }
    run("certificate-identity", 600, seeds, |input| {
        if let Ok(identity) = treiter_hub::identity::identity_from_der(input) {
            let oin = identity.oin().as_str();
            if oin.len() != 20 || !oin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("an OIN off the profile was accepted: {oin:?}"));
            }
        }
        Ok(())
    });
}

/// The hub's and the agent's config files: a config or an error naming the problem,
/// never a panic.
#[test]
fn damaged_config_files_are_refused_without_panicking() {
    let pki = Pki::new();
    let addr = "127.0.0.1:7443".parse().expect("addr");
    let data_dir = pki.dir.path().join("hub-data-fuzz");
    let hub_text = hub_config_text(&pki, addr, None, &data_dir);
    let (cert, key) = pki.party("om");
    let agent_text = agent_config_text(&pki, &cert, &key, addr);
    let base = pki.dir.path().to_owned();
    run("hub-config", 300, vec![hub_text.into_bytes()], |input| {
        let _ = HubConfig::parse(&String::from_utf8_lossy(input), &base);
        Ok(())
    });
    run(
        "agent-config",
        300,
        vec![agent_text.into_bytes()],
        |input| {
            let _ = AgentConfig::parse(&String::from_utf8_lossy(input), &base);
            Ok(())
        },
    );
}
