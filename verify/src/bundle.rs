//! The evidence bundle: what it holds, where, and its manifest.
//!
//! A bundle is one ustar archive ([`crate::tar`]) holding, in this order:
//!
//! | path | what |
//! |---|---|
//! | `LEESMIJ.txt` | the Dutch summary: what the bundle proves and what not ([`crate::leesmij`]) |
//! | `MANIFEST.json` | the [`Manifest`]: who made it, the selection, every file's SHA-256 |
//! | `keys/hub.vkey` | the hub's log verifier key (signed-note text form), one line |
//! | `keys/witness-N.vkey` | each witness's (party agent's) verifier key, one line |
//! | `checkpoints/<size>.note` | each signed checkpoint with its cosignatures, as the hub stores it |
//! | `consistency/<from>-<to>.json` | a [`ConsistencyFile`] between consecutive checkpoints |
//! | `entries/<index>.json` | each log entry's bytes exactly as logged (canonical JSON) |
//! | `proofs/<index>.json` | each entry's [`ProofFile`]: its inclusion proof against a checkpoint |
//!
//! Sizes and indices are written with 20 digits, so the files sort in log order.
//! The manifest is canonical too: [`Manifest::to_bytes`] of what it parses to must give
//! its bytes back.

use serde::{Deserialize, Serialize};

use crate::tar::{self, File};

/// The format word in every manifest this version writes and reads.
pub const FORMAT: &str = "treiter-evidence/1";
/// The summary's path.
pub const LEESMIJ: &str = "LEESMIJ.txt";
/// The manifest's path.
pub const MANIFEST: &str = "MANIFEST.json";
/// The hub's key's path.
pub const HUB_KEY: &str = "keys/hub.vkey";

/// The path of witness key number `n` (from 1).
pub fn witness_key_path(n: usize) -> String {
    format!("keys/witness-{n}.vkey")
}

/// The path of the checkpoint of `size` entries.
pub fn checkpoint_path(size: u64) -> String {
    format!("checkpoints/{size:020}.note")
}

/// The path of the consistency proof from `from` to `to` entries.
pub fn consistency_path(from: u64, to: u64) -> String {
    format!("consistency/{from:020}-{to:020}.json")
}

/// The path of entry `index`.
pub fn entry_path(index: u64) -> String {
    format!("entries/{index:020}.json")
}

/// The path of entry `index`'s inclusion proof.
pub fn proof_path(index: u64) -> String {
    format!("proofs/{index:020}.json")
}

/// Who made the bundle (as the hub knows the person's certificate) and when. Stated by
/// the maker; nothing in the bundle signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maker {
    /// The privacy officer's person id.
    pub person: String,
    /// Their party's OIN.
    pub party_oin: String,
    /// Their party's name.
    pub party_name: String,
    /// When the bundle was made (RFC 3339, UTC).
    pub created_at: String,
    /// The tool that made it (`hubctl 0.1.0`).
    pub tool: String,
}

/// A witness: its key name, the party it belongs to, and its key file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// The key name (carries the party's OIN).
    pub name: String,
    /// The party whose agent holds the key (OIN), as the hub attributes it.
    pub party_oin: String,
    /// That party's name, as the hub lists it.
    pub party_name: String,
    /// The key's file in the bundle.
    pub key_file: String,
}

/// A checkpoint in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRef {
    /// Its tree size.
    pub tree_size: u64,
    /// Its root hash (hex).
    pub root_hash: String,
    /// The note's file.
    pub file: String,
    /// The key names of the witnesses whose cosignatures it carries, sorted.
    pub cosigned_by: Vec<String>,
}

/// A consistency proof in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyRef {
    pub from_tree_size: u64,
    pub to_tree_size: u64,
    pub file: String,
}

/// An entry in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// Its leaf hash (hex): SHA-256(0x00 ‖ entry bytes).
    pub leaf_hash: String,
    /// Its kind (`share-decision`, ...), read from the entry.
    pub kind: String,
    /// The case it is about, if any, read from the entry.
    pub case_id: String,
    /// When it was logged, read from the entry.
    pub logged_at: String,
    /// The entry's file.
    pub file: String,
    /// Its proof's file.
    pub proof: String,
}

/// A file and its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub path: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    pub bytes: u64,
}

/// `MANIFEST.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The log's origin (its name, and the hub key's name).
    pub log_origin: String,
    pub maker: Maker,
    /// The selection in words, as the maker asked for it (`zaak C-2026-0001`).
    pub selection: String,
    /// The hub's key file ([`HUB_KEY`]).
    pub hub_key: String,
    /// SHA-256 of the hub's 32-byte Ed25519 public key (hex): the fingerprint to compare
    /// with the one the hub's operator publishes.
    pub hub_key_sha256: String,
    pub witnesses: Vec<Witness>,
    /// The checkpoints, by increasing tree size.
    pub checkpoints: Vec<CheckpointRef>,
    /// A consistency proof between each two consecutive checkpoints.
    pub consistency: Vec<ConsistencyRef>,
    /// The entries, by increasing leaf index.
    pub entries: Vec<EntryRef>,
    /// Every file but the manifest, in archive order.
    pub files: Vec<FileRef>,
}

impl Manifest {
    /// The canonical bytes: pretty JSON (two-space indent) and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// An inclusion proof file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    pub leaf_index: u64,
    /// The checkpoint it proves against.
    pub tree_size: u64,
    /// The audit path, hex, leaf to root (RFC 9162 §2.1.3).
    pub hashes: Vec<String>,
}

/// A consistency proof file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyFile {
    pub from_tree_size: u64,
    pub to_tree_size: u64,
    /// The proof, hex (RFC 9162 §2.1.4).
    pub hashes: Vec<String>,
}

/// Canonical bytes of a proof file (pretty JSON and a newline).
pub fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    treiter_translog::hash::sha256(bytes).to_hex()
}

/// What a bundle is made of, before the summary and the manifest's file list: the
/// maker fills everything but `files`, and gives the other files' contents.
pub struct Parts {
    pub manifest: Manifest,
    /// Every file but `LEESMIJ.txt` and `MANIFEST.json`, by path.
    pub files: Vec<File>,
}

/// Why a bundle cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the bundle cannot hold the path {path}: {problem}")]
    BadPath { path: String, problem: &'static str },
    #[error("{path} is {size} bytes; a bundle file holds at most {max}")]
    TooLarge {
        path: String,
        size: usize,
        max: usize,
    },
    #[error("the manifest names {path}, which the bundle does not hold")]
    Missing { path: String },
}

/// Writes the bundle: the files in the canonical order, the manifest's file list and
/// the summary filled in.
pub fn build(parts: Parts) -> Result<Vec<u8>, BuildError> {
    let Parts {
        mut manifest,
        mut files,
    } = parts;
    files.sort_by_key(|a| order(&a.path));
    for f in &files {
        tar::check_path(&f.path).map_err(|problem| BuildError::BadPath {
            path: f.path.clone(),
            problem,
        })?;
        if f.bytes.len() > tar::MAX_FILE_BYTES {
            return Err(BuildError::TooLarge {
                path: f.path.clone(),
                size: f.bytes.len(),
                max: tar::MAX_FILE_BYTES,
            });
        }
    }
    for named in named_files(&manifest) {
        if !files.iter().any(|f| f.path == named) {
            return Err(BuildError::Missing { path: named });
        }
    }
    let leesmij = crate::leesmij::text(&manifest).into_bytes();
    let mut all = Vec::with_capacity(files.len() + 2);
    all.push(File {
        path: LEESMIJ.to_owned(),
        bytes: leesmij,
    });
    all.extend(files);
    manifest.files = all
        .iter()
        .map(|f| FileRef {
            path: f.path.clone(),
            sha256: sha256_hex(&f.bytes),
            bytes: f.bytes.len() as u64,
        })
        .collect();
    all.insert(
        1,
        File {
            path: MANIFEST.to_owned(),
            bytes: manifest.to_bytes(),
        },
    );
    Ok(tar::write(&all))
}

/// Every path the manifest refers to (other than its file list).
pub fn named_files(m: &Manifest) -> Vec<String> {
    let mut out = vec![m.hub_key.clone()];
    out.extend(m.witnesses.iter().map(|w| w.key_file.clone()));
    out.extend(m.checkpoints.iter().map(|c| c.file.clone()));
    out.extend(m.consistency.iter().map(|c| c.file.clone()));
    for e in &m.entries {
        out.push(e.file.clone());
        out.push(e.proof.clone());
    }
    out
}

/// The canonical order of the files: keys, checkpoints, consistency proofs, entries,
/// proofs, anything else; by path within each.
fn order(path: &str) -> (u8, String) {
    let group = match path.split('/').next() {
        Some("keys") if path == HUB_KEY => 0,
        Some("keys") => 1,
        Some("checkpoints") => 2,
        Some("consistency") => 3,
        Some("entries") => 4,
        Some("proofs") => 5,
        _ => 6,
    };
    (group, path.to_owned())
}
