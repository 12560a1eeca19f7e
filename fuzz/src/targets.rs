//! The fuzz targets' bodies: one function per target, each handed one input and
//! panicking when the parser under it panics or when the input shows a defect (an
//! error quoting a value). Shared by the AFL++ binaries (`fuzz/src/bin/`, through
//! `afl::fuzz!`) and by the regression test in the workspace
//! (`tests/tests/reliability/fuzz_regressions.rs`, through `#[path]`), which feeds every
//! input kept under `fuzz/regressions/<target>/` to the same function: what AFL++ found
//! once stays fixed, in the bounded `cargo test` run.
//!
//! Only product crates and `std` here, so the file compiles in both places. Work that
//! does not depend on the input (the covenant in the repository) is done once per
//! process: AFL++ runs many inputs in one process (persistent mode).

use std::path::Path;
use std::sync::OnceLock;

use treiter_hub::log::{Log, LogKey, LogOptions};
use treiter_policies::{Category, Covenant};

/// A target's body: one input, a panic when something is wrong.
pub type Body = fn(&[u8]);

/// Every target by name, as the folders under `fuzz/regressions/` and the binaries
/// under `fuzz/src/bin/` are named.
pub const TARGETS: &[(&str, Body)] = &[
    ("covenant", covenant),
    ("covtest", covtest),
    ("decision_json", decision_json),
    ("checkpoint_note", checkpoint_note),
    ("log_segment", log_segment),
    ("cert_identity", cert_identity),
    ("hub_config", hub_config),
    ("agent_config", agent_config),
    ("person_registry", person_registry),
    ("agent_json_export", agent_json_export),
];

/// Does once, before the first input, what the targets would otherwise do on their
/// first input only (parse the repository's covenant), so that AFL++ sees the same
/// path for the same input every time (its "stability").
pub fn warm_up() {
    let _ = real_parties();
}

/// The covenant in the repository (`policies/treiteraanpak.covenant`), parsed once.
fn real_covenant() -> Option<&'static Covenant> {
    static COVENANT: OnceLock<Option<Covenant>> = OnceLock::new();
    COVENANT
        .get_or_init(|| Covenant::parse("covenant", treiter_policies::TREITERAANPAK_COVENANT).ok())
        .as_ref()
}

/// The parties of the covenant in the repository, read once.
fn real_parties() -> Option<&'static treiter_hub::parties::PartyDirectory> {
    static PARTIES: OnceLock<Option<treiter_hub::parties::PartyDirectory>> = OnceLock::new();
    PARTIES
        .get_or_init(|| {
            real_covenant().and_then(|covenant| {
                treiter_hub::parties::PartyDirectory::from_covenant(covenant).ok()
            })
        })
        .as_ref()
}

/// The covenant language: parse, and when it parses, format it again.
pub fn covenant(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if Covenant::parse("fuzz", &text).is_ok() {
        let _ = treiter_policies::fmt::format(&text);
    }
}

/// `.covtest` files: parse, and when they parse, run them against the real covenant.
pub fn covtest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(tests) = treiter_policies::covtest::parse_tests("fuzz.covtest", &text)
        && let Some(covenant) = real_covenant()
    {
        let _ = treiter_policies::covtest::run(covenant, &tests);
    }
}

/// DECISION-JSON: read one request or many, and decide each with the real covenant.
pub fn decision_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some(covenant) = real_covenant() else {
        return;
    };
    match treiter_policies::DecisionRequest::parse_json(&text) {
        Ok(treiter_policies::Requests::One(request)) => {
            let _ = covenant.decide(&request);
        }
        Ok(treiter_policies::Requests::Many(requests)) => {
            for request in &requests {
                let _ = covenant.decide(request);
            }
        }
        Err(_) => {}
    }
}

/// The log's origin, shared by the checkpoint and log targets and their seeds.
pub const ORIGIN: &str = "hub.treiter.test/log";

/// Checkpoint notes (C2SP signed note): open against a fixed log key and a witness
/// key; verifier keys (`NoteVerifier::parse`).
pub fn checkpoint_note(data: &[u8]) {
    use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};
    let verifiers = [
        NoteVerifier::new(ORIGIN, [7; 32]),
        NoteVerifier::new("witness.treiter.test", [9; 32]),
    ];
    let verifiers: Vec<NoteVerifier> = verifiers.into_iter().flatten().collect();
    let _ = open_checkpoint(ORIGIN, &verifiers, data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = NoteVerifier::parse(text);
    }
}

/// The segment file a `log_segment` input holds.
pub const SEGMENT: &str = "00000000000000000000.seg";

/// The log key of the `log_segment` target and its seed: an Ed25519 PKCS#8 v1
/// document of the seed `[7; 32]`.
pub fn log_key() -> LogKey {
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend([7u8; 32]);
    LogKey::from_pkcs8(ORIGIN, &pkcs8).expect("a fixed valid key")
}

/// The decision log as it opens from disk: the segment scanner and the head record.
/// The input is a log directory in one file: a 4-byte big-endian length, that many
/// bytes of the segment [`SEGMENT`], and the rest as `HEAD` (absent when empty).
/// The log key is fixed ([`log_key`]), so a seed written with it opens, and mutations
/// explore past the records' MACs.
pub fn log_segment(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    let rest = &data[4..];
    let (segment, head) = rest.split_at(len.min(rest.len()));
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    if std::fs::write(dir.path().join(SEGMENT), segment).is_err() {
        return;
    }
    if !head.is_empty() && std::fs::write(dir.path().join("HEAD"), head).is_err() {
        return;
    }
    if let Ok((log, _)) = Log::open(dir.path(), log_key(), LogOptions::default()) {
        // What opened must read back: every entry it claims to hold.
        for index in 0..log.tree_size() {
            let _ = log.entry(index);
        }
    }
}

/// Identity extraction from a client certificate (DER): the OIN in `serialNumber`,
/// the person id in `UID`, as the hub's listener and services read it.
pub fn cert_identity(data: &[u8]) {
    let _ = treiter_hub::identity::identity_from_der(data);
}

/// The hub's configuration file (TOML), validated as `hub check-config` does.
pub fn hub_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = treiter_hub::config::HubConfig::parse(&text, Path::new("/etc/treiter-hub"));
}

/// The node agent's configuration file (TOML).
pub fn agent_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = treiter_node_agent::config::AgentConfig::parse(&text, Path::new("/etc/treiter-agent"));
}

/// The hub's person registry (`persons.toml`), against the parties of the covenant in
/// the repository.
pub fn person_registry(data: &[u8]) {
    use treiter_hub::persons::PersonRegistry;
    let Some(parties) = real_parties() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let _ = PersonRegistry::parse(Path::new("persons.toml"), &text, parties);
}

/// The node agent's JSON record exports (`<category>/<pseudonym>.json`), written by
/// the partner's own systems. An error must never quote a value of the file (article
/// 12.3): the marker `Testmarker` planted in the seeds panics when an error shows it.
pub fn agent_json_export(data: &[u8]) {
    let path = Path::new("/exports/politie-incidenten/subject.json");
    if let Err(error) = treiter_node_agent::sources::json_dir::parse_records(
        path,
        Category::PolitieIncidenten,
        data,
    ) {
        let message = format!("{error} {error:?}");
        for value in marked_values(data) {
            assert!(
                !message.contains(&value),
                "an error quotes a value of the export"
            );
        }
    }
}

/// The texts of `data` carrying the marker that an error must never quote: every string
/// value (not key) of the JSON holding "Testmarker" that no key holds too (an error may
/// name a field, which is a key, never a value); for a text that is not JSON, the
/// marker itself.
fn marked_values(data: &[u8]) -> Vec<String> {
    fn walk(value: &serde_json::Value, keys: &mut Vec<String>, values: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) if text.contains("Testmarker") => {
                values.push(text.clone());
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, keys, values);
                }
            }
            serde_json::Value::Object(fields) => {
                for (key, item) in fields {
                    keys.push(key.clone());
                    walk(item, keys, values);
                }
            }
            _ => {}
        }
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return vec!["Testmarker".to_owned()];
    };
    let (mut keys, mut values) = (Vec::new(), Vec::new());
    walk(&json, &mut keys, &mut values);
    values.retain(|v| !keys.iter().any(|k| k.contains(v.as_str())));
    values
}
