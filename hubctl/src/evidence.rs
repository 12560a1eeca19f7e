//! `hubctl evidence`: an evidence bundle of the party's own decision-log entries for a
//! court or a supervisory authority, checked offline with `treiter-verify`.
//!
//! Everything in it comes from the privacy-officer API the hub already serves, with the
//! hub's rules: QueryLog (the entries the officer's party may see, article 10.3, with
//! their bytes), GetCheckpoint (signed checkpoints with the witnesses' cosignatures and
//! their keys), GetInclusionProof (refused by the hub for another party's entry) and
//! GetConsistencyProof. Coordinators and other roles are refused by the hub (article
//! 5.2). The bundle's format, its summary and its checks are `treiter_verify`'s; the
//! bundle is verified with that code before it is written.
//!
//! 1. The entries: by case, subject or period, and/or by leaf index (`--entries
//!    3,7,10-12`). An index the selection does not return is asked for its inclusion
//!    proof, so the hub itself refuses another party's entry (PERMISSION_DENIED, art.
//!    10.3).
//! 2. The latest checkpoint, waiting a few seconds for the witnesses' cosignatures when
//!    it has none yet. Its hub key must be the profile's `log_verifier` when the profile
//!    has one.
//! 3. With a checkpoint this profile verified before (`hubctl log verify`), that one too
//!    and the consistency proof from it: the bundle then also shows the log grew
//!    unchanged since the officer's own last check.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;
use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};
use treiter_translog::hash::Hash;
use treiter_verify::bundle::{self, Parts};
use treiter_verify::tar::File;

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, OfficerClient, Retry};
use crate::logverify::LogFailure;
use crate::queries::officer::{self as queries, LogFilter};

/// The most entries one bundle holds.
pub const MAX_ENTRIES: usize = 10_000;

/// What to put in the bundle.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub case_id: Option<String>,
    pub subject: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Leaf indices, as ranges; empty: every entry the filters select.
    pub entries: Vec<RangeInclusive<u64>>,
    /// The selection as the officer typed it, for the manifest.
    pub words: String,
}

/// Reads `--entries`: indices and ranges separated by commas (`3,7,10-12`).
pub fn parse_entries(text: &str) -> Result<Vec<RangeInclusive<u64>>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |t: &str| {
            t.trim().parse::<u64>().map_err(|_| {
                format!(
                    "--entries: '{}' is not a leaf index (a number from 0)",
                    t.escape_debug()
                )
            })
        };
        let range = match part.split_once('-') {
            Some((a, b)) => number(a)?..=number(b)?,
            None => number(part)?..=number(part)?,
        };
        if range.is_empty() {
            return Err(format!("--entries: the range {part} runs backwards"));
        }
        out.push(range);
    }
    if out.is_empty() {
        return Err("--entries: give leaf indices, e.g. 3,7,10-12".into());
    }
    Ok(out)
}

/// What was written.
pub struct Written {
    pub path: PathBuf,
    pub bytes: usize,
    pub sha256: String,
    pub entries: usize,
    /// (tree size, witnesses that cosigned) per checkpoint.
    pub checkpoints: Vec<(u64, usize)>,
    /// Cosignatures left out because the hub holds no key that verifies them.
    pub unkeyed_cosignatures: usize,
    pub hub_key: String,
}

impl Written {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "evidence bundle written to {} ({} bytes, SHA-256 {}): {} entr{} of your party",
            self.path.display(),
            self.bytes,
            self.sha256,
            self.entries,
            if self.entries == 1 { "y" } else { "ies" }
        );
        for (size, witnesses) in &self.checkpoints {
            s.push_str(&format!(
                "; checkpoint of {size} entries cosigned by {witnesses} witness(es)"
            ));
        }
        s.push('\n');
        if self.checkpoints.iter().all(|(_, w)| *w == 0) {
            s.push_str("warning: no witness has cosigned the checkpoint yet; the bundle rests on the hub's signature alone (run it again in a minute)\n");
        }
        if self.unkeyed_cosignatures > 0 {
            s.push_str(&format!(
                "note: {} cosignature(s) by a witness key the hub no longer holds cannot be checked and are not counted\n",
                self.unkeyed_cosignatures
            ));
        }
        s.push_str(&format!(
            "check it offline: treiter-verify {} --hub-key '{}'\n",
            self.path.display(),
            self.hub_key
        ));
        s
    }

    pub fn to_json(&self) -> Value {
        json!({
            "file": self.path.display().to_string(),
            "bytes": self.bytes,
            "sha256": self.sha256,
            "entries": self.entries,
            "checkpoints": self.checkpoints.iter().map(|(size, w)| json!({"tree_size": size, "cosigned_by": w})).collect::<Vec<_>>(),
            "unkeyed_cosignatures": self.unkeyed_cosignatures,
            "hub_key": self.hub_key,
        })
    }
}

fn bad(failure: LogFailure) -> Error {
    Error::LogNotVerified(failure)
}

fn hex(list: &[Vec<u8>], what: &'static str, entry: Option<u64>) -> Result<Vec<String>, Error> {
    list.iter()
        .map(|h| {
            Hash::from_slice(h)
                .map(|h| h.to_hex())
                .ok_or_else(|| bad(LogFailure::MalformedHash { what, entry }))
        })
        .collect()
}

async fn checkpoint_of(hub: &mut Hub, tree_size: u64) -> Result<wire::LogCheckpoint, Error> {
    hub.call_as(
        Retry::Once,
        CALL_TIMEOUT,
        |mut c: OfficerClient| async move {
            c.get_checkpoint(wire::GetCheckpointRequest { tree_size })
                .await
        },
    )
    .await
}

async fn inclusion(hub: &mut Hub, leaf_index: u64, tree_size: u64) -> Result<Vec<Vec<u8>>, Error> {
    let req = wire::InclusionProofRequest {
        leaf_index,
        tree_size,
    };
    let proof = hub
        .call_as(
            Retry::Once,
            CALL_TIMEOUT,
            |mut c: OfficerClient| async move { c.get_inclusion_proof(req).await },
        )
        .await?;
    Ok(proof.hashes)
}

/// The entries of the selection, with their bytes, in log order.
async fn entries(hub: &mut Hub, s: &Selection) -> Result<Vec<wire::LogEntry>, Error> {
    let filter = LogFilter {
        case_id: s.case_id.clone(),
        from: s.from,
        until: s.until,
        subject: s.subject.clone(),
        ..LogFilter::default()
    };
    let start = s.entries.iter().map(|r| *r.start()).min().unwrap_or(0);
    let mut found = queries::query_log(hub, filter.request(start, 0, true)).await?;
    if s.entries.is_empty() {
        return Ok(found);
    }
    found.retain(|e| s.entries.iter().any(|r| r.contains(&e.leaf_index)));
    // A single index the selection did not return: the hub says why (another party's
    // entry: PERMISSION_DENIED, art. 10.3; beyond the log: INVALID_ARGUMENT).
    let size = queries::latest_checkpoint(hub).await?.tree_size;
    for r in &s.entries {
        if r.start() != r.end() || found.iter().any(|e| e.leaf_index == *r.start()) {
            continue;
        }
        let index = *r.start();
        if index >= size {
            return Err(Error::Usage(format!(
                "--entries: entry {index} is beyond the log's latest checkpoint ({size} entries)"
            )));
        }
        inclusion(hub, index, size).await?;
        return Err(Error::Usage(format!(
            "--entries: entry {index} is one of your party's, but not about the case, subject or period given; leave those out to include it"
        )));
    }
    Ok(found)
}

/// The latest checkpoint; when no witness has cosigned it yet, asks again for up to
/// `wait` (the agents cosign within moments of receiving it).
async fn latest(hub: &mut Hub, wait: Duration) -> Result<wire::LogCheckpoint, Error> {
    let start = std::time::Instant::now();
    loop {
        let cp = queries::latest_checkpoint(hub).await?;
        if cp.cosignatures.iter().any(|c| !c.verifier_key.is_empty()) || start.elapsed() >= wait {
            return Ok(cp);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Makes the bundle and writes it to `out`.
pub async fn export(
    hub: &mut Hub,
    selection: &Selection,
    out: &Path,
    wait: Duration,
    now: OffsetDateTime,
) -> Result<Written, Error> {
    if out.exists() {
        return Err(Error::Usage(format!(
            "{} exists already; give another --out (a bundle is never overwritten)",
            out.display()
        )));
    }
    let me = hub.whoami().await?;
    let entries = entries(hub, selection).await?;
    if entries.is_empty() {
        return Err(Error::NotFound(
            "no decision-log entry of your party matches this selection".into(),
        ));
    }
    if entries.len() > MAX_ENTRIES {
        return Err(Error::Usage(format!(
            "the selection holds {} entries; a bundle holds at most {MAX_ENTRIES}: narrow it (--from/--until, --entries)",
            entries.len()
        )));
    }
    let head = latest(hub, wait).await?;

    // The hub's key: the profile's when it has one (then the hub's must be the same).
    let key = NoteVerifier::parse(&head.verifier_key).map_err(|e| {
        bad(LogFailure::Signature {
            detail: format!("the hub sent no usable verifier key: {e}"),
        })
    })?;
    if let Some(mine) = hub.profile().log_verifier.as_deref() {
        let mine = NoteVerifier::parse(mine).map_err(|e| {
            Error::Usage(format!(
                "the profile's `log_verifier` is not a verifier key: {e}"
            ))
        })?;
        if mine != key {
            return Err(bad(LogFailure::Signature {
                detail: "the hub signs with another key than the profile's `log_verifier`".into(),
            }));
        }
    }

    // The witnesses whose keys the hub holds, numbered in order of name.
    let mut witnesses: Vec<(String, String, String, String)> = Vec::new(); // name, key, oin, party
    let mut unkeyed = 0usize;
    let mut checkpoints = vec![head.clone()];
    // Only a profile with the hub's key keeps a verified checkpoint (`log verify`).
    let previous = if hub.profile().log_verifier.is_some() {
        crate::logverify::last_verified(hub.profile())?
    } else {
        None
    };
    if let Some(old) = previous.filter(|old| old.size > 0 && old.size < head.tree_size) {
        let cp = checkpoint_of(hub, old.size).await?;
        if cp.root_hash != old.root.as_bytes().to_vec() {
            return Err(bad(LogFailure::Fork { size: old.size }));
        }
        checkpoints.insert(0, cp);
    }
    for cp in &checkpoints {
        for c in &cp.cosignatures {
            let Ok(k) = NoteVerifier::parse(&c.verifier_key) else {
                unkeyed += 1;
                continue;
            };
            if !witnesses.iter().any(|w| w.0 == k.name()) {
                let party = c.witness.clone().unwrap_or_default();
                witnesses.push((k.name().to_owned(), k.to_string(), party.oin, party.name));
            }
        }
    }
    witnesses.sort();
    let all_keys: Vec<NoteVerifier> = std::iter::once(key.clone())
        .chain(
            witnesses
                .iter()
                .filter_map(|w| NoteVerifier::parse(&w.1).ok()),
        )
        .collect();

    let mut files = vec![File {
        path: bundle::HUB_KEY.into(),
        bytes: format!("{key}\n").into_bytes(),
    }];
    let mut manifest_witnesses = Vec::new();
    for (n, (name, text, oin, party)) in witnesses.iter().enumerate() {
        let path = bundle::witness_key_path(n + 1);
        files.push(File {
            path: path.clone(),
            bytes: format!("{text}\n").into_bytes(),
        });
        manifest_witnesses.push(bundle::Witness {
            name: name.clone(),
            party_oin: oin.clone(),
            party_name: party.clone(),
            key_file: path,
        });
    }
    let mut checkpoint_refs = Vec::new();
    for cp in &checkpoints {
        let opened = open_checkpoint(key.name(), &all_keys, &cp.note).map_err(|e| {
            bad(LogFailure::Signature {
                detail: e.to_string(),
            })
        })?;
        let mut by = opened.cosigned_by.clone();
        by.sort();
        let path = bundle::checkpoint_path(cp.tree_size);
        files.push(File {
            path: path.clone(),
            bytes: cp.note.clone(),
        });
        checkpoint_refs.push(bundle::CheckpointRef {
            tree_size: opened.checkpoint().size,
            root_hash: opened.checkpoint().root.to_hex(),
            file: path,
            cosigned_by: by,
        });
    }
    let mut consistency = Vec::new();
    for pair in checkpoints.windows(2) {
        let [old, new] = pair else { continue };
        let req = wire::ConsistencyProofRequest {
            from_tree_size: old.tree_size,
            to_tree_size: new.tree_size,
        };
        let proof = hub
            .call_as(
                Retry::Once,
                CALL_TIMEOUT,
                |mut c: OfficerClient| async move { c.get_consistency_proof(req).await },
            )
            .await?;
        let path = bundle::consistency_path(old.tree_size, new.tree_size);
        files.push(File {
            path: path.clone(),
            bytes: bundle::json_bytes(&bundle::ConsistencyFile {
                from_tree_size: old.tree_size,
                to_tree_size: new.tree_size,
                hashes: hex(&proof.hashes, "consistency proof", None)?,
            }),
        });
        consistency.push(bundle::ConsistencyRef {
            from_tree_size: old.tree_size,
            to_tree_size: new.tree_size,
            file: path,
        });
    }
    let mut entry_refs = Vec::new();
    for e in &entries {
        if e.leaf_index >= head.tree_size {
            return Err(bad(LogFailure::BeyondCheckpoint {
                entry: e.leaf_index,
                size: head.tree_size,
            }));
        }
        let proof = inclusion(hub, e.leaf_index, head.tree_size).await?;
        let (kind, case_id, logged_at) =
            treiter_verify::check::entry_facts(&e.entry).ok_or(bad(LogFailure::LeafHash {
                entry: e.leaf_index,
            }))?;
        files.push(File {
            path: bundle::entry_path(e.leaf_index),
            bytes: e.entry.clone(),
        });
        files.push(File {
            path: bundle::proof_path(e.leaf_index),
            bytes: bundle::json_bytes(&bundle::ProofFile {
                leaf_index: e.leaf_index,
                tree_size: head.tree_size,
                hashes: hex(&proof, "inclusion proof", Some(e.leaf_index))?,
            }),
        });
        entry_refs.push(bundle::EntryRef {
            leaf_index: e.leaf_index,
            leaf_hash: treiter_translog::hash::leaf_hash(&e.entry).to_hex(),
            kind,
            case_id,
            logged_at,
            file: bundle::entry_path(e.leaf_index),
            proof: bundle::proof_path(e.leaf_index),
        });
    }
    let party = me.party.clone().unwrap_or_default();
    let created_at = now
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let manifest = bundle::Manifest {
        format: bundle::FORMAT.into(),
        log_origin: key.name().to_owned(),
        maker: bundle::Maker {
            person: me.id.clone(),
            party_oin: party.oin,
            party_name: party.name,
            created_at,
            tool: format!("hubctl {}", env!("CARGO_PKG_VERSION")),
        },
        selection: selection.words.clone(),
        hub_key: bundle::HUB_KEY.into(),
        hub_key_sha256: treiter_translog::hash::sha256(key.public_key()).to_hex(),
        witnesses: manifest_witnesses,
        checkpoints: checkpoint_refs,
        consistency,
        entries: entry_refs,
        files: Vec::new(),
    };
    let counts = manifest
        .checkpoints
        .iter()
        .map(|c| (c.tree_size, c.cosigned_by.len()))
        .collect();
    let data = bundle::build(Parts { manifest, files })
        .map_err(|e| Error::Usage(format!("the bundle cannot be made: {e}")))?;
    // What the court will run, run here first: a bundle that does not verify is never
    // handed over.
    let options = treiter_verify::Options {
        hub_key: Some(treiter_verify::ExternalKey::Verifier(key.clone())),
        witness_keys: Vec::new(),
    };
    if let Err(failure) = treiter_verify::verify(&data, &options) {
        return Err(Error::EvidenceNotVerified(failure.to_string()));
    }
    write_new(out, &data)?;
    Ok(Written {
        path: out.to_path_buf(),
        bytes: data.len(),
        sha256: bundle::sha256_hex(&data),
        entries: entries.len(),
        checkpoints: counts,
        unkeyed_cosignatures: unkeyed,
        hub_key: key.to_string(),
    })
}

/// Writes a new file (never over an existing one), through a temporary file beside it.
fn write_new(path: &Path, data: &[u8]) -> Result<(), Error> {
    let cannot = |e: std::io::Error| Error::Usage(format!("cannot write {}: {e}", path.display()));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    std::io::Write::write_all(&mut tmp, data).map_err(cannot)?;
    tmp.as_file().sync_all().map_err(cannot)?;
    tmp.persist_noclobber(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_indices_and_ranges() {
        assert_eq!(
            parse_entries("3, 7,10-12").unwrap(),
            vec![3..=3, 7..=7, 10..=12]
        );
        assert!(parse_entries("12-10").unwrap_err().contains("backwards"));
        assert!(parse_entries("x").unwrap_err().contains("'x'"));
        assert!(
            parse_entries(",")
                .unwrap_err()
                .contains("give leaf indices")
        );
    }
}
