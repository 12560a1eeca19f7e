//! Checking a bundle offline: [`verify`].
//!
//! In order, stopping at the first failure (which names the file and the reason):
//! 1. the archive is in the one form the hub's tools write ([`crate::tar`]);
//! 2. the manifest is canonical, of this format, and lists every other file with its
//!    SHA-256 and size, in archive order; every file matches;
//! 3. the hub's key is a signed-note verifier key named after the log, with the
//!    fingerprint the manifest states, and (when given) the key from outside;
//! 4. each witness key parses, is named as the manifest says, and (when given) is the
//!    key from outside;
//! 5. each checkpoint is signed by the hub's key, every cosignature by a witness key in
//!    the bundle verifies, and the witnesses that cosigned are exactly those the
//!    manifest lists;
//! 6. a consistency proof links each checkpoint to the next;
//! 7. each entry hashes to its leaf hash, says what the manifest says of it, and its
//!    inclusion proof leads to the root of a checkpoint in the bundle;
//! 8. `LEESMIJ.txt` is the summary of exactly this manifest.

use std::fmt;

use treiter_translog::checkpoint::{CheckpointError, NoteVerifier, open_checkpoint};
use treiter_translog::hash::{Hash, leaf_hash, sha256};
use treiter_translog::proof::{verify_consistency, verify_inclusion};

use crate::bundle::{self, ConsistencyFile, Manifest, ProofFile};
use crate::tar;

/// A key from outside the bundle, to check the bundle's key against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternalKey {
    /// The whole verifier key (`<name>+<id>+<base64>`).
    Verifier(NoteVerifier),
    /// The SHA-256 of the 32-byte public key.
    Fingerprint(Hash),
}

impl ExternalKey {
    /// Reads `--hub-key`: a verifier key, `sha256:<hex>`, or 64 hex digits.
    pub fn parse(text: &str) -> Result<ExternalKey, String> {
        let text = text.trim();
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        if let Some(h) = Some(hex)
            .filter(|h| h.len() == 64)
            .and_then(|h| Hash::from_hex(&h.to_ascii_lowercase()))
        {
            return Ok(ExternalKey::Fingerprint(h));
        }
        NoteVerifier::parse(text)
            .map(ExternalKey::Verifier)
            .map_err(|e| format!("neither a verifier key nor a SHA-256 fingerprint: {e}"))
    }
}

/// What the bundle is checked against from outside it.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The hub's key as the court got it from the hub's operator.
    pub hub_key: Option<ExternalKey>,
    /// Witness keys as the court got them from the parties.
    pub witness_keys: Vec<NoteVerifier>,
}

/// What failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The archive is not in the canonical form, or unreadable.
    Archive,
    /// The manifest is missing, malformed, not canonical, or of another format.
    Manifest,
    /// A file's bytes do not match the manifest's hash or size, or a file is missing
    /// or extra.
    FileHash,
    /// The hub's key in the bundle is malformed, misnamed, or not the stated fingerprint.
    HubKey,
    /// The hub's key in the bundle is not the one given from outside.
    WrongHubKey,
    /// A witness key in the bundle is malformed, misnamed, or not the one given.
    WitnessKey,
    /// A checkpoint is malformed or its hub signature does not verify.
    CheckpointSignature,
    /// A cosignature does not verify, or one the manifest lists is absent.
    Cosignature,
    /// A consistency proof is missing, malformed or fails.
    Consistency,
    /// An entry's bytes do not hash to its leaf hash, or differ from what the
    /// manifest says of it.
    Entry,
    /// An inclusion proof is malformed or does not lead to its checkpoint's root.
    Inclusion,
    /// `LEESMIJ.txt` is not the summary of the manifest.
    Summary,
}

impl Problem {
    /// The word `treiter-verify --json` writes.
    pub fn word(self) -> &'static str {
        match self {
            Problem::Archive => "archive",
            Problem::Manifest => "manifest",
            Problem::FileHash => "file-hash",
            Problem::HubKey => "hub-key",
            Problem::WrongHubKey => "wrong-hub-key",
            Problem::WitnessKey => "witness-key",
            Problem::CheckpointSignature => "checkpoint-signature",
            Problem::Cosignature => "cosignature",
            Problem::Consistency => "consistency",
            Problem::Entry => "entry",
            Problem::Inclusion => "inclusion",
            Problem::Summary => "summary",
        }
    }
}

impl Failure {
    /// What `treiter-verify --json` writes for a bundle that does not verify.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "verified": false,
            "problem": self.problem.word(),
            "file": self.file,
            "reason": self.reason,
        })
    }
}

/// Why the bundle does not verify: the file and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub problem: Problem,
    /// The file in the bundle (or the place in the archive).
    pub file: String,
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.reason)
    }
}

impl std::error::Error for Failure {}

fn fail(problem: Problem, file: &str, reason: impl Into<String>) -> Failure {
    Failure {
        problem,
        file: file.to_owned(),
        reason: reason.into(),
    }
}

/// A witness as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedWitness {
    pub name: String,
    pub party_name: String,
    pub party_oin: String,
    /// Its key was compared with one given from outside the bundle.
    pub confirmed: bool,
    /// The tree sizes of the checkpoints it cosigned.
    pub cosigned: Vec<u64>,
}

/// What a bundle that verifies proves.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub manifest: Manifest,
    /// The hub's key as in the bundle.
    pub hub_key: NoteVerifier,
    /// Whether it was compared with a key from outside the bundle.
    pub hub_key_confirmed: bool,
    pub witnesses: Vec<VerifiedWitness>,
}

impl Verdict {
    /// The verdict as `treiter-verify --json` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        let m = &self.manifest;
        serde_json::json!({
            "verified": true,
            "log_origin": m.log_origin,
            "hub_key": self.hub_key.to_string(),
            "hub_key_sha256": m.hub_key_sha256,
            "hub_key_confirmed": self.hub_key_confirmed,
            "selection": m.selection,
            "maker": m.maker,
            "entries": m.entries.iter().map(|e| serde_json::json!({
                "leaf_index": e.leaf_index,
                "leaf_hash": e.leaf_hash,
                "kind": e.kind,
                "case_id": e.case_id,
                "logged_at": e.logged_at,
            })).collect::<Vec<_>>(),
            "checkpoints": m.checkpoints.iter().map(|c| serde_json::json!({
                "tree_size": c.tree_size,
                "root_hash": c.root_hash,
                "cosigned_by": c.cosigned_by,
            })).collect::<Vec<_>>(),
            "witnesses": self.witnesses.iter().map(|w| serde_json::json!({
                "name": w.name,
                "party_oin": w.party_oin,
                "party_name": w.party_name,
                "key_confirmed": w.confirmed,
                "cosigned_tree_sizes": w.cosigned,
            })).collect::<Vec<_>>(),
        })
    }

    /// The verdict as `treiter-verify` prints it.
    pub fn to_text(&self) -> String {
        let m = &self.manifest;
        let mut s = String::new();
        let _ = fmt::Write::write_fmt(
            &mut s,
            format_args!(
                "VERIFIED: {} entr{} of the decision log {} are included, byte for byte, in checkpoints the hub signed\n",
                m.entries.len(),
                if m.entries.len() == 1 { "y" } else { "ies" },
                m.log_origin
            ),
        );
        s.push_str(&format!("  selection: {}\n", m.selection));
        s.push_str(&format!(
            "  made by {} ({}), {} with {}\n",
            m.maker.person, m.maker.party_name, m.maker.created_at, m.maker.tool
        ));
        for e in &m.entries {
            s.push_str(&format!(
                "  entry {} ({}, {}, case {}) proven included\n",
                e.leaf_index,
                e.kind,
                e.logged_at,
                if e.case_id.is_empty() {
                    "-"
                } else {
                    &e.case_id
                }
            ));
        }
        for c in &m.checkpoints {
            s.push_str(&format!(
                "  checkpoint of {} entries (root {}): signed by the hub; cosigned by {} witness(es){}\n",
                c.tree_size,
                c.root_hash,
                c.cosigned_by.len(),
                if c.cosigned_by.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.cosigned_by.join(", "))
                }
            ));
        }
        if m.checkpoints.len() > 1 {
            s.push_str(&format!(
                "  each checkpoint extends the one before unchanged ({} consistency proof(s))\n",
                m.consistency.len()
            ));
        }
        if self.hub_key_confirmed {
            s.push_str(&format!(
                "  the hub's key {} (SHA-256 {}) is the one given with --hub-key\n",
                self.hub_key.name(),
                m.hub_key_sha256
            ));
        } else {
            s.push_str(&format!(
                "  WARNING: the hub's key (SHA-256 {}) was taken from the bundle only; compare it with the key the hub's operator publishes (--hub-key)\n",
                m.hub_key_sha256
            ));
        }
        for w in &self.witnesses {
            s.push_str(&format!(
                "  witness {} ({}): key {}\n",
                w.name,
                w.party_name,
                if w.confirmed {
                    "confirmed with --witness-key"
                } else {
                    "taken from the bundle only"
                }
            ));
        }
        if m.checkpoints.iter().all(|c| c.cosigned_by.is_empty()) {
            s.push_str("  WARNING: no witness cosigned these checkpoints: they rest on the hub's signature alone\n");
        }
        s.push_str(if self.hub_key_confirmed {
            "Oordeel: de bundel is echt; de logregels staan ongewijzigd in het logboek dat de hub ondertekende.\n"
        } else {
            "Oordeel: de bundel is intern juist, maar de sleutel van de hub komt alleen uit de bundel zelf.\n"
        });
        s
    }
}

fn hex_hashes(list: &[String], file: &str, problem: Problem) -> Result<Vec<Hash>, Failure> {
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            Hash::from_hex(h).ok_or_else(|| {
                fail(
                    problem,
                    file,
                    format!("hash {} is not 64 lowercase hex digits", i + 1),
                )
            })
        })
        .collect()
}

fn parse_json<T: serde::de::DeserializeOwned + serde::Serialize>(
    bytes: &[u8],
    file: &str,
    problem: Problem,
) -> Result<T, Failure> {
    let value: T = serde_json::from_slice(bytes)
        .map_err(|e| fail(problem, file, format!("not readable: {e}")))?;
    if bundle::json_bytes(&value) != bytes {
        return Err(fail(
            problem,
            file,
            "not in the canonical form the hub's tools write",
        ));
    }
    Ok(value)
}

/// Reads a one-line key file: the key and a newline, nothing else.
fn key_text<'a>(bytes: &'a [u8], file: &str, problem: Problem) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.strip_suffix('\n'))
        .filter(|t| !t.contains('\n') && !t.contains('\r'))
        .ok_or_else(|| fail(problem, file, "not one line of text ending in a newline"))
}

/// What an entry's bytes say of it: its kind, its case (empty when none) and its time,
/// as the manifest records them.
pub fn entry_facts(bytes: &[u8]) -> Option<(String, String, String)> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let kind = v.get("event")?.get("kind")?.as_str()?.to_owned();
    let case = v
        .get("event")?
        .get("case")
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_owned();
    let time = v.get("time")?.as_str()?.to_owned();
    Some((kind, case, time))
}

fn has_control(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.chars().any(char::is_control),
        serde_json::Value::Array(a) => a.iter().any(has_control),
        serde_json::Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.chars().any(char::is_control) || has_control(v)),
        _ => false,
    }
}

/// Checks a bundle (its bytes) against `options`; see the module doc for the order.
pub fn verify(data: &[u8], options: &Options) -> Result<Verdict, Failure> {
    let files =
        tar::read(data).map_err(|e| fail(Problem::Archive, "the archive", e.to_string()))?;
    let get = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.bytes.as_slice())
    };

    // 2. The manifest and the files' hashes.
    let manifest_bytes = get(bundle::MANIFEST).ok_or_else(|| {
        fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "the bundle has no manifest",
        )
    })?;
    let m: Manifest = serde_json::from_slice(manifest_bytes).map_err(|e| {
        fail(
            Problem::Manifest,
            bundle::MANIFEST,
            format!("not readable: {e}"),
        )
    })?;
    if m.format != bundle::FORMAT {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            format!(
                "of format '{}'; this verifier reads '{}'",
                m.format.escape_debug(),
                bundle::FORMAT
            ),
        ));
    }
    // Its words reach a terminal (the verdict) and LEESMIJ.txt: no control characters.
    if has_control(&serde_json::to_value(&m).unwrap_or_default()) {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "a text in it holds a control character",
        ));
    }
    if m.to_bytes() != manifest_bytes {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "not in the canonical form the hub's tools write (changed by hand?)",
        ));
    }
    let others: Vec<&tar::File> = files
        .iter()
        .filter(|f| f.path != bundle::MANIFEST)
        .collect();
    for f in &others {
        let Some(listed) = m.files.iter().find(|r| r.path == f.path) else {
            return Err(fail(
                Problem::FileHash,
                &f.path,
                "in the archive but not in the manifest",
            ));
        };
        if listed.bytes != f.bytes.len() as u64 || listed.sha256 != bundle::sha256_hex(&f.bytes) {
            return Err(fail(
                Problem::FileHash,
                &f.path,
                "its bytes differ from the SHA-256 the manifest lists: the file was changed",
            ));
        }
    }
    for listed in &m.files {
        if !others.iter().any(|f| f.path == listed.path) {
            return Err(fail(
                Problem::FileHash,
                &listed.path,
                "listed in the manifest but not in the archive",
            ));
        }
    }
    if others
        .iter()
        .map(|f| &f.path)
        .ne(m.files.iter().map(|r| &r.path))
    {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "the files are not listed in archive order",
        ));
    }
    for named in bundle::named_files(&m) {
        if get(&named).is_none() {
            return Err(fail(
                Problem::Manifest,
                bundle::MANIFEST,
                format!("names {named}, which the bundle does not hold"),
            ));
        }
    }
    if m.entries.is_empty() {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "the bundle holds no entries: it proves nothing",
        ));
    }

    // 3. The hub's key.
    let hub_file = m.hub_key.as_str();
    let hub_bytes = get(hub_file).unwrap_or_default();
    let hub_key = NoteVerifier::parse(key_text(hub_bytes, hub_file, Problem::HubKey)?)
        .map_err(|e| fail(Problem::HubKey, hub_file, e.to_string()))?;
    if hub_key.name() != m.log_origin {
        return Err(fail(
            Problem::HubKey,
            hub_file,
            format!(
                "the key is named '{}', not after the log {}",
                hub_key.name().escape_debug(),
                m.log_origin.escape_debug()
            ),
        ));
    }
    let fingerprint = sha256(hub_key.public_key());
    if fingerprint.to_hex() != m.hub_key_sha256 {
        return Err(fail(
            Problem::HubKey,
            hub_file,
            "its fingerprint is not the one the manifest states",
        ));
    }
    let hub_key_confirmed = match &options.hub_key {
        None => false,
        Some(ExternalKey::Verifier(given)) if given == &hub_key => true,
        Some(ExternalKey::Fingerprint(given)) if given == &fingerprint => true,
        Some(_) => {
            return Err(fail(
                Problem::WrongHubKey,
                hub_file,
                format!(
                    "the bundle's hub key (SHA-256 {}) is not the key given with --hub-key: the bundle was not signed by that hub, or its key was replaced",
                    fingerprint.to_hex()
                ),
            ));
        }
    };

    // 4. The witnesses' keys.
    let mut verifiers = vec![hub_key.clone()];
    let mut witnesses = Vec::new();
    for w in &m.witnesses {
        let bytes = get(&w.key_file).unwrap_or_default();
        let key = NoteVerifier::parse(key_text(bytes, &w.key_file, Problem::WitnessKey)?)
            .map_err(|e| fail(Problem::WitnessKey, &w.key_file, e.to_string()))?;
        if key.name() != w.name || key.name() == m.log_origin {
            return Err(fail(
                Problem::WitnessKey,
                &w.key_file,
                "the key's name is not the witness's the manifest names",
            ));
        }
        if verifiers.iter().any(|v| v.name() == key.name()) {
            return Err(fail(
                Problem::WitnessKey,
                &w.key_file,
                "a second key of the same name",
            ));
        }
        let confirmed = match options.witness_keys.iter().find(|k| k.name() == key.name()) {
            None => false,
            Some(given) if given == &key => true,
            Some(_) => {
                return Err(fail(
                    Problem::WitnessKey,
                    &w.key_file,
                    format!(
                        "the witness key of {} is not the one given with --witness-key",
                        w.name
                    ),
                ));
            }
        };
        verifiers.push(key);
        witnesses.push(VerifiedWitness {
            name: w.name.clone(),
            party_name: w.party_name.clone(),
            party_oin: w.party_oin.clone(),
            confirmed,
            cosigned: Vec::new(),
        });
    }
    if let Some(missing) = options
        .witness_keys
        .iter()
        .find(|k| !m.witnesses.iter().any(|w| w.name == k.name()))
    {
        return Err(fail(
            Problem::WitnessKey,
            bundle::MANIFEST,
            format!(
                "the witness {} given with --witness-key has no key in the bundle",
                missing.name()
            ),
        ));
    }

    // 5. The checkpoints.
    let mut heads = Vec::new();
    for (i, c) in m.checkpoints.iter().enumerate() {
        if c.file != bundle::checkpoint_path(c.tree_size)
            || i > 0
                && m.checkpoints
                    .get(i - 1)
                    .is_some_and(|p| p.tree_size >= c.tree_size)
        {
            return Err(fail(
                Problem::Manifest,
                bundle::MANIFEST,
                "the checkpoints are not listed by increasing size under their own names",
            ));
        }
        let note = get(&c.file).unwrap_or_default();
        let opened = open_checkpoint(&m.log_origin, &verifiers, note).map_err(|e| match e {
            CheckpointError::BadSignature { name } if name != m.log_origin => fail(
                Problem::Cosignature,
                &c.file,
                format!(
                    "the cosignature of witness {name} does not verify: the checkpoint was altered"
                ),
            ),
            other => fail(Problem::CheckpointSignature, &c.file, other.to_string()),
        })?;
        let head = opened.checkpoint();
        if head.size != c.tree_size || head.root.to_hex() != c.root_hash {
            return Err(fail(
                Problem::CheckpointSignature,
                &c.file,
                "its size or root differs from what the manifest says",
            ));
        }
        let mut by = opened.cosigned_by.clone();
        by.sort();
        if let Some(absent) = c.cosigned_by.iter().find(|n| !by.contains(n)) {
            return Err(fail(
                Problem::Cosignature,
                &c.file,
                format!(
                    "the cosignature of witness {absent} that the manifest lists is not on the checkpoint (removed?)"
                ),
            ));
        }
        if by != c.cosigned_by {
            return Err(fail(
                Problem::Manifest,
                bundle::MANIFEST,
                format!(
                    "the checkpoint of {} entries carries cosignatures the manifest does not list",
                    c.tree_size
                ),
            ));
        }
        for w in &mut witnesses {
            if by.contains(&w.name) {
                w.cosigned.push(c.tree_size);
            }
        }
        heads.push(head.clone());
    }
    if heads.is_empty() {
        return Err(fail(
            Problem::Manifest,
            bundle::MANIFEST,
            "the bundle holds no checkpoint",
        ));
    }

    // 6. Consistency between consecutive checkpoints.
    if m.consistency.len() != heads.len() - 1 {
        return Err(fail(
            Problem::Consistency,
            bundle::MANIFEST,
            "there is not exactly one consistency proof between each two consecutive checkpoints",
        ));
    }
    for (pair, r) in heads.windows(2).zip(&m.consistency) {
        let [old, new] = pair else { continue };
        if r.from_tree_size != old.size
            || r.to_tree_size != new.size
            || r.file != bundle::consistency_path(old.size, new.size)
        {
            return Err(fail(
                Problem::Consistency,
                bundle::MANIFEST,
                format!(
                    "no consistency proof from {} to {} entries",
                    old.size, new.size
                ),
            ));
        }
        let proof: ConsistencyFile = parse_json(
            get(&r.file).unwrap_or_default(),
            &r.file,
            Problem::Consistency,
        )?;
        if proof.from_tree_size != old.size || proof.to_tree_size != new.size {
            return Err(fail(
                Problem::Consistency,
                &r.file,
                "the proof is between other sizes than its name says",
            ));
        }
        let hashes = hex_hashes(&proof.hashes, &r.file, Problem::Consistency)?;
        verify_consistency(old.size, new.size, &old.root, &new.root, &hashes).map_err(|e| {
            fail(
                Problem::Consistency,
                &r.file,
                format!(
                    "the log of {} entries does not extend the one of {} unchanged: {e}",
                    new.size, old.size
                ),
            )
        })?;
    }

    // 7. The entries and their inclusion proofs.
    let mut last: Option<u64> = None;
    for e in &m.entries {
        if last.is_some_and(|l| l >= e.leaf_index)
            || e.file != bundle::entry_path(e.leaf_index)
            || e.proof != bundle::proof_path(e.leaf_index)
        {
            return Err(fail(
                Problem::Manifest,
                bundle::MANIFEST,
                "the entries are not listed by increasing index under their own names",
            ));
        }
        last = Some(e.leaf_index);
        let bytes = get(&e.file).unwrap_or_default();
        let leaf = leaf_hash(bytes);
        if leaf.to_hex() != e.leaf_hash {
            return Err(fail(
                Problem::Entry,
                &e.file,
                format!(
                    "entry {} does not hash to its leaf hash: the entry was changed",
                    e.leaf_index
                ),
            ));
        }
        let facts = entry_facts(bytes);
        if facts != Some((e.kind.clone(), e.case_id.clone(), e.logged_at.clone())) {
            return Err(fail(
                Problem::Entry,
                &e.file,
                "its kind, case or time differ from what the manifest says of it",
            ));
        }
        let proof: ProofFile = parse_json(
            get(&e.proof).unwrap_or_default(),
            &e.proof,
            Problem::Inclusion,
        )?;
        if proof.leaf_index != e.leaf_index {
            return Err(fail(
                Problem::Inclusion,
                &e.proof,
                "the proof is of another entry",
            ));
        }
        let Some(head) = heads.iter().find(|h| h.size == proof.tree_size) else {
            return Err(fail(
                Problem::Inclusion,
                &e.proof,
                format!(
                    "it proves against a checkpoint of {} entries, which the bundle does not hold",
                    proof.tree_size
                ),
            ));
        };
        let hashes = hex_hashes(&proof.hashes, &e.proof, Problem::Inclusion)?;
        verify_inclusion(&leaf, e.leaf_index, head.size, &hashes, &head.root).map_err(|err| {
            fail(
                Problem::Inclusion,
                &e.proof,
                format!(
                    "entry {} is not proven included in the checkpoint of {} entries: {err}",
                    e.leaf_index, head.size
                ),
            )
        })?;
    }

    // 8. The summary.
    if get(bundle::LEESMIJ) != Some(crate::leesmij::text(&m).as_bytes()) {
        return Err(fail(
            Problem::Summary,
            bundle::LEESMIJ,
            "the summary is not the one of this bundle's manifest (changed?)",
        ));
    }

    Ok(Verdict {
        manifest: m,
        hub_key,
        hub_key_confirmed,
        witnesses,
    })
}
