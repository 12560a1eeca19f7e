//! `hubctl log verify`: does the hub's decision log hold what it showed this party, and
//! does it only grow (article 10.2)?
//!
//! 1. Reads the party's entries with their bytes (QueryLog signs a checkpoint covering
//!    them first), then the latest checkpoint, and opens it with the verifier key from
//!    the profile (`log_verifier`), not the one the hub sends along.
//! 2. Recomputes each entry's leaf hash from its bytes and checks its inclusion proof
//!    against that checkpoint.
//! 3. Checks a consistency proof from the checkpoint this profile verified last (kept
//!    in [`Profile::log_state_path`]) to the new one, then remembers the new one.
//!
//! All proof and signature checks are `treiter_proto::translog`'s, the code the agents
//! witness checkpoints with.

use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;
use treiter_proto::translog::checkpoint::{Checkpoint, NoteVerifier, open_checkpoint};
use treiter_proto::translog::hash::{Hash, leaf_hash};
use treiter_proto::translog::proof::{verify_consistency, verify_inclusion};
use treiter_proto::v1 as wire;

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, OfficerClient, Retry};
use crate::profile::Profile;
use crate::when;

/// What `log verify` found (when everything verified).
pub struct Verified {
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash,
    pub entries: usize,
    /// The checkpoint verified before, and that the new one extends it.
    pub previous: Option<u64>,
    pub state_file: std::path::PathBuf,
    pub at: OffsetDateTime,
}

impl Verified {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "decision log verified at {}: the checkpoint of {} entries (root {}) is signed by {}; {} entr{} of your party recomputed and proven included\n",
            when::show(self.at),
            self.tree_size,
            self.root.to_hex(),
            self.origin,
            self.entries,
            if self.entries == 1 { "y" } else { "ies" }
        );
        match self.previous {
            Some(size) => s.push_str(&format!(
                "it extends the checkpoint of {size} entries this profile verified before, unchanged (consistency proof)\n"
            )),
            None => s.push_str(&format!(
                "first verification with this profile; the checkpoint is remembered in {} for the next run\n",
                self.state_file.display()
            )),
        }
        s
    }

    pub fn to_json(&self) -> Value {
        json!({
            "verified": true,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root.to_hex(),
            "entries_proven": self.entries,
            "consistent_with_tree_size": self.previous,
            "state_file": self.state_file.display().to_string(),
        })
    }
}

fn bad(what: impl Into<String>) -> Error {
    Error::LogNotVerified(what.into())
}

fn hashes(list: &[Vec<u8>], what: &str) -> Result<Vec<Hash>, Error> {
    list.iter()
        .map(|h| {
            Hash::from_slice(h)
                .ok_or_else(|| bad(format!("the hub sent a {what} hash that is not 32 bytes")))
        })
        .collect()
}

fn verifier(profile: &Profile) -> Result<NoteVerifier, Error> {
    let text = profile
        .log_verifier
        .as_deref()
        .ok_or_else(|| Error::NoLogVerifier {
            profile: profile.path.clone(),
        })?;
    NoteVerifier::parse(text).map_err(|e| {
        Error::Usage(format!(
            "the profile {}: `log_verifier` is not a verifier key ({e}); copy the whole line the hub's operator gave you",
            profile.path.display()
        ))
    })
}

/// The checkpoint this profile verified last, if any (opened again with the key).
fn previous(path: &Path, key: &NoteVerifier) -> Result<Option<Checkpoint>, Error> {
    let note = match std::fs::read(path) {
        Ok(note) => note,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::LogState {
                path: path.to_path_buf(),
                detail: format!("cannot be read: {e}"),
            });
        }
    };
    let opened = open_checkpoint(key.name(), std::slice::from_ref(key), &note).map_err(|e| {
        Error::LogState {
            path: path.to_path_buf(),
            detail: format!(
                "does not hold a checkpoint signed with `log_verifier` ({e}); remove it only if the hub's log key was replaced on purpose"
            ),
        }
    })?;
    Ok(Some(opened.checkpoint().clone()))
}

fn remember(path: &Path, note: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, note)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::LogState {
            path: path.to_path_buf(),
            detail: format!("cannot be written: {e}"),
        })
}

/// Runs the verification; any failure of the hub's log is [`Error::LogNotVerified`].
pub async fn verify(hub: &mut Hub, now: OffsetDateTime) -> Result<Verified, Error> {
    let key = verifier(hub.profile())?;
    let state_file = hub.profile().log_state_path();
    let before = previous(&state_file, &key)?;

    let entries = crate::officer::query_log(
        hub,
        wire::QueryLogRequest {
            include_entry: true,
            ..Default::default()
        },
    )
    .await?;
    let latest = hub
        .call_as(
            Retry::Once,
            CALL_TIMEOUT,
            |mut c: OfficerClient| async move {
                c.get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
                    .await
            },
        )
        .await?;
    let opened =
        open_checkpoint(key.name(), std::slice::from_ref(&key), &latest.note).map_err(|e| {
            bad(format!(
                "the latest checkpoint does not verify with `log_verifier`: {e}"
            ))
        })?;
    let head = opened.checkpoint().clone();

    for entry in &entries {
        let leaf = leaf_hash(&entry.entry);
        if leaf.as_bytes().as_slice() != entry.leaf_hash.as_slice() {
            return Err(bad(format!(
                "entry {}: its bytes do not hash to the leaf hash the hub sent",
                entry.leaf_index
            )));
        }
        if entry.leaf_index >= head.size {
            return Err(bad(format!(
                "entry {} lies beyond the latest checkpoint ({} entries)",
                entry.leaf_index, head.size
            )));
        }
        let req = wire::InclusionProofRequest {
            leaf_index: entry.leaf_index,
            tree_size: head.size,
        };
        let proof = hub
            .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                let r = req;
                async move { c.get_inclusion_proof(r).await }
            })
            .await?;
        verify_inclusion(
            &leaf,
            entry.leaf_index,
            head.size,
            &hashes(&proof.hashes, "inclusion proof")?,
            &head.root,
        )
        .map_err(|e| bad(format!("entry {}: {e}", entry.leaf_index)))?;
    }

    let previous_size = match before {
        None => None,
        Some(old) if old.size > head.size => {
            return Err(bad(format!(
                "the log shrank: this profile verified {} entries before, the hub now signs {}",
                old.size, head.size
            )));
        }
        Some(old) if old.size == head.size => {
            if old.root != head.root {
                return Err(bad(format!(
                    "two different logs of {} entries were signed (a fork)",
                    head.size
                )));
            }
            Some(old.size)
        }
        Some(old) => {
            let req = wire::ConsistencyProofRequest {
                from_tree_size: old.size,
                to_tree_size: head.size,
            };
            let proof = hub
                .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                    let r = req;
                    async move { c.get_consistency_proof(r).await }
                })
                .await?;
            verify_consistency(
                old.size,
                head.size,
                &old.root,
                &head.root,
                &hashes(&proof.hashes, "consistency proof")?,
            )
            .map_err(|e| {
                bad(format!(
                    "the log of {} entries does not extend the one of {} verified before: {e}",
                    head.size, old.size
                ))
            })?;
            Some(old.size)
        }
    };
    remember(&state_file, &latest.note)?;
    Ok(Verified {
        origin: head.origin,
        tree_size: head.size,
        root: head.root,
        entries: entries.len(),
        previous: previous_size,
        state_file,
        at: now,
    })
}
