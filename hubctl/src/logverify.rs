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
//! All proof and signature checks are `treiter_translog`'s, the code the agents
//! witness checkpoints with. The console's Verifieer page runs this same function (with
//! the same state file) and explains its [`Verified`] or [`LogFailure`] in Dutch.

use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;
use treiter_translog::checkpoint::{Checkpoint, NoteVerifier, open_checkpoint};
use treiter_translog::hash::{Hash, leaf_hash};
use treiter_translog::proof::{verify_consistency, verify_inclusion};

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, OfficerClient, Retry};
use crate::profile::Profile;
use crate::queries::officer as queries;
use crate::when;

/// What `log verify` found (when everything verified).
pub struct Verified {
    /// The log's name, as the checkpoint and the verifier key name it.
    pub origin: String,
    /// How many entries the verified checkpoint covers.
    pub tree_size: u64,
    /// Its root hash.
    pub root: Hash,
    /// How many of the party's entries were recomputed and proven included.
    pub entries: usize,
    /// The leaf indices of the first and last of them, when there were any.
    pub entry_range: Option<(u64, u64)>,
    /// The checkpoint verified before, and that the new one extends it.
    pub previous: Option<u64>,
    /// The witnesses' cosignatures the hub sent with the checkpoint (not checked here:
    /// the profile holds no witness keys; the hub checked them when it received them).
    pub cosignatures: Vec<wire::WitnessCosignature>,
    /// Where the checkpoint is remembered for the next run.
    pub state_file: std::path::PathBuf,
    /// When it was verified.
    pub at: OffsetDateTime,
}

impl Verified {
    /// What `hubctl log verify` prints.
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

    /// What `hubctl --json log verify` prints.
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

/// Why the hub's decision log did not verify: what failed, and where (the entry by its
/// leaf index, the checkpoint sizes). Its text is the sentence `hubctl log verify`
/// prints after "the hub's decision log does NOT verify: ".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogFailure {
    /// The latest checkpoint's signature does not verify with the profile's key.
    #[error("the latest checkpoint does not verify with `log_verifier`: {detail}")]
    Signature {
        /// The signed-note check's reason.
        detail: String,
    },
    /// A proof hash of the wrong length.
    #[error("the hub sent a {what} hash that is not 32 bytes")]
    MalformedHash {
        /// Which proof (`inclusion proof`, `consistency proof`).
        what: &'static str,
        /// The entry whose proof it was (inclusion proofs).
        entry: Option<u64>,
    },
    /// An entry's bytes do not hash to the leaf hash the hub sent with it.
    #[error("entry {entry}: its bytes do not hash to the leaf hash the hub sent")]
    LeafHash {
        /// The entry's leaf index.
        entry: u64,
    },
    /// An entry the hub sent lies beyond the checkpoint that should cover it.
    #[error("entry {entry} lies beyond the latest checkpoint ({size} entries)")]
    BeyondCheckpoint {
        /// The entry's leaf index.
        entry: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// An entry's inclusion proof does not lead to the checkpoint's root.
    #[error("entry {entry}: {detail}")]
    Inclusion {
        /// The entry's leaf index.
        entry: u64,
        /// The proof check's reason.
        detail: String,
    },
    /// The hub signs a smaller log than this profile verified before.
    #[error(
        "the log shrank: this profile verified {before} entries before, the hub now signs {now}"
    )]
    Shrank {
        /// The size verified before.
        before: u64,
        /// The size the hub signs now.
        now: u64,
    },
    /// Two different logs of the same size were signed.
    #[error("two different logs of {size} entries were signed (a fork)")]
    Fork {
        /// The size of both.
        size: u64,
    },
    /// The consistency proof from the checkpoint verified before fails.
    #[error(
        "the log of {now} entries does not extend the one of {before} verified before: {detail}"
    )]
    Inconsistent {
        /// The size verified before.
        before: u64,
        /// The size the hub signs now.
        now: u64,
        /// The proof check's reason.
        detail: String,
    },
}

impl LogFailure {
    /// The entry the failure is about, if it is about one.
    pub fn entry(&self) -> Option<u64> {
        match self {
            LogFailure::LeafHash { entry }
            | LogFailure::BeyondCheckpoint { entry, .. }
            | LogFailure::Inclusion { entry, .. } => Some(*entry),
            LogFailure::MalformedHash { entry, .. } => *entry,
            LogFailure::Signature { .. }
            | LogFailure::Shrank { .. }
            | LogFailure::Fork { .. }
            | LogFailure::Inconsistent { .. } => None,
        }
    }
}

fn bad(failure: LogFailure) -> Error {
    Error::LogNotVerified(failure)
}

fn hashes(list: &[Vec<u8>], what: &'static str, entry: Option<u64>) -> Result<Vec<Hash>, Error> {
    list.iter()
        .map(|h| Hash::from_slice(h).ok_or_else(|| bad(LogFailure::MalformedHash { what, entry })))
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

/// The checkpoint this profile verified last (opened again with the profile's key), if
/// any: what the next verification must extend.
pub fn last_verified(profile: &Profile) -> Result<Option<Checkpoint>, Error> {
    let key = verifier(profile)?;
    previous(&profile.log_state_path(), &key)
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

    let entries = queries::query_log(
        hub,
        wire::QueryLogRequest {
            include_entry: true,
            ..Default::default()
        },
    )
    .await?;
    let latest = queries::latest_checkpoint(hub).await?;
    let opened =
        open_checkpoint(key.name(), std::slice::from_ref(&key), &latest.note).map_err(|e| {
            bad(LogFailure::Signature {
                detail: e.to_string(),
            })
        })?;
    let head = opened.checkpoint().clone();

    for entry in &entries {
        let leaf = leaf_hash(&entry.entry);
        if leaf.as_bytes().as_slice() != entry.leaf_hash.as_slice() {
            return Err(bad(LogFailure::LeafHash {
                entry: entry.leaf_index,
            }));
        }
        if entry.leaf_index >= head.size {
            return Err(bad(LogFailure::BeyondCheckpoint {
                entry: entry.leaf_index,
                size: head.size,
            }));
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
            &hashes(&proof.hashes, "inclusion proof", Some(entry.leaf_index))?,
            &head.root,
        )
        .map_err(|e| {
            bad(LogFailure::Inclusion {
                entry: entry.leaf_index,
                detail: e.to_string(),
            })
        })?;
    }

    let previous_size = match before {
        None => None,
        Some(old) if old.size > head.size => {
            return Err(bad(LogFailure::Shrank {
                before: old.size,
                now: head.size,
            }));
        }
        Some(old) if old.size == head.size => {
            if old.root != head.root {
                return Err(bad(LogFailure::Fork { size: head.size }));
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
                &hashes(&proof.hashes, "consistency proof", None)?,
            )
            .map_err(|e| {
                bad(LogFailure::Inconsistent {
                    before: old.size,
                    now: head.size,
                    detail: e.to_string(),
                })
            })?;
            Some(old.size)
        }
    };
    remember(&state_file, &latest.note)?;
    let entry_range = entries
        .first()
        .zip(entries.last())
        .map(|(first, last)| (first.leaf_index, last.leaf_index));
    Ok(Verified {
        origin: head.origin,
        tree_size: head.size,
        root: head.root,
        entries: entries.len(),
        entry_range,
        previous: previous_size,
        cosignatures: latest.cosignatures,
        state_file,
        at: now,
    })
}
