//! Witnessing the hub's decision-log checkpoints (article 10.2).
//!
//! The hub pushes each signed checkpoint down the link with a consistency proof from
//! the checkpoint this agent holds. The agent verifies the hub's signature (with the
//! configured `log_verifier`), checks the proof, keeps the new checkpoint durably in
//! the `state` file (temp + fsync + rename), and sends its cosignature, made with its
//! own witness key (`key_file`, named `<OIN>.witness.treiteraanpak` so the hub and the
//! privacy officers can tell whose it is).
//!
//! A checkpoint that does not verify or is not consistent with the held one (a rewritten
//! or forked history, a smaller tree, the same size with another root, a proof that
//! starts from another size than the held one) is refused: not kept, not cosigned.
//! Every refusal, whatever its reason, takes one path ([`raise_alert`]): the `ALERT` log
//! line, the `checkpoints_refused_total{reason}` metric, `/healthz` degraded, the
//! `checkpoint-refused` receipt, and a CheckpointRefusal to the hub, so that the hub's
//! operator sees it too (see node-agent/README.md). The agent keeps its old checkpoint
//! and keeps running. On first use (no state yet) the first checkpoint that verifies is
//! trusted.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use treiter_proto::v1::{
    Checkpoint as WireCheckpoint, CheckpointRefusal, Cosignature, agent_message,
};
use treiter_translog::checkpoint::CheckpointError;
use treiter_translog::refusal::{MAX_DETAIL_CHARS, bound_text};
use treiter_translog::{
    Hash, NoteSigner, NoteVerifier, RefusalReason, SignedCheckpoint, WitnessError, open_checkpoint,
    witness_checkpoint,
};

use crate::config::{AgentConfig, WitnessSettings};
use crate::error::SetupError;
use crate::metrics::Metrics;
use crate::receipts::{Event, ReceiptLog};

/// The witness the configuration asks for: `None` without a `[witness]` table. The
/// party's OIN (for the key name) comes from the agent's certificate.
pub fn open(config: &AgentConfig) -> Result<Option<Witness>, SetupError> {
    let Some(settings) = &config.witness else {
        return Ok(None);
    };
    // The key is named after the OIN. A certificate without a readable OIN cannot link
    // (the hub refuses it), so there is nothing to witness: say so, do not refuse to
    // start (the link reports the certificate problem).
    let own = match crate::tls::own_certificate(&config.cert) {
        Ok(own) => own,
        Err(error) => {
            tracing::warn!(%error, "no OIN in the certificate: not witnessing the hub's log");
            return Ok(None);
        }
    };
    Ok(Some(Witness::open(settings, &own.oin)?))
}

/// What [`check`] found about the `[witness]` files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessCheck {
    /// The witness key file exists (and was loaded); `false`: the first start
    /// generates it.
    pub key_exists: bool,
    /// The size of the checkpoint witnessed so far, if any.
    pub held_size: Option<u64>,
}

/// Checks the `[witness]` settings for `check-config` without creating anything: the
/// verifier key parses, an existing key file loads (mode checked), an existing state
/// verifies. `None`: the agent does not witness.
pub fn check(config: &AgentConfig) -> Result<Option<WitnessCheck>, SetupError> {
    let Some(settings) = &config.witness else {
        return Ok(None);
    };
    let log = NoteVerifier::parse(&settings.log_verifier).map_err(WitnessSetupError::Verifier)?;
    let key_exists = std::fs::symlink_metadata(&settings.key_file).is_ok();
    if key_exists && let Ok(own) = crate::tls::own_certificate(&config.cert) {
        // The file exists, so this only loads it.
        load_or_generate_key(&settings.key_file, &own.oin)?;
    }
    let held_size = match std::fs::read(&settings.state) {
        Ok(bytes) => Some(
            open_checkpoint(log.name(), std::slice::from_ref(&log), &bytes)
                .map_err(|source| WitnessSetupError::StateInvalid {
                    path: settings.state.clone(),
                    source,
                })?
                .note
                .checkpoint()
                .size,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(WitnessSetupError::StateRead {
                path: settings.state.clone(),
                source,
            }
            .into());
        }
    };
    Ok(Some(WitnessCheck {
        key_exists,
        held_size,
    }))
}

/// What the link does with a checkpoint from the hub: witness it (when configured),
/// count, log and record the outcome, and return the reply to send: a Cosignature, or a
/// CheckpointRefusal after [`raise_alert`]. `None` when this agent does not witness.
/// Blocking (the state file and the receipt log are synced).
pub fn handle(
    witness: Option<&Witness>,
    metrics: &Metrics,
    receipts: Option<&ReceiptLog>,
    message: &WireCheckpoint,
) -> Option<agent_message::Body> {
    let now = time::OffsetDateTime::now_utc();
    let Some(witness) = witness else {
        // Not a witness: the receipt log keeps what was seen, for reconciliation.
        let digest = ring::digest::digest(&ring::digest::SHA256, &message.note);
        write_receipt(
            receipts,
            now,
            Event::Checkpoint {
                tree_size: stated_size(&message.note),
                note_sha256: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
            },
        );
        return None;
    };
    match witness.receive(message) {
        Ok(cosignature) => {
            tracing::info!(
                tree_size = cosignature.tree_size,
                "witnessed the hub's log checkpoint"
            );
            metrics.checkpoints_witnessed.inc();
            *metrics
                .witness_alert
                .write()
                .unwrap_or_else(|p| p.into_inner()) = None;
            let root = witness
                .held()
                .map(|cp| cp.checkpoint().root.to_base64())
                .unwrap_or_default();
            write_receipt(
                receipts,
                now,
                Event::CheckpointWitnessed {
                    tree_size: cosignature.tree_size,
                    root,
                },
            );
            Some(agent_message::Body::Cosignature(cosignature))
        }
        Err(refusal) => {
            let refused = raise_alert(
                metrics,
                receipts,
                now,
                message,
                witness.held_size(),
                &refusal,
            );
            Some(agent_message::Body::CheckpointRefusal(refused))
        }
    }
}

/// The one path of every refused checkpoint, whatever the reason: the `ALERT` log line,
/// `hub_agent_checkpoints_refused_total{reason}`, `/healthz` degraded with the reason,
/// the `checkpoint-refused` receipt, and the CheckpointRefusal that tells the hub.
pub fn raise_alert(
    metrics: &Metrics,
    receipts: Option<&ReceiptLog>,
    now: time::OffsetDateTime,
    message: &WireCheckpoint,
    held_size: u64,
    refusal: &Refusal,
) -> CheckpointRefusal {
    let reason = refusal.reason();
    let tree_size = stated_size(&message.note);
    let from_size = message.from_tree_size;
    // The text names sizes, hashes and the log's origin (cut by the note parser), never
    // personal data; bounded here so the receipt, the alert and the hub see the same.
    let detail = bound_text(&refusal.to_string(), MAX_DETAIL_CHARS);
    tracing::error!(
        reason = reason.as_str(),
        tree_size,
        from_size,
        held_size,
        error = %detail,
        "ALERT: refused the hub's log checkpoint (article 10.2); not cosigned, keeping the checkpoint held"
    );
    metrics.refused(reason);
    *metrics
        .witness_alert
        .write()
        .unwrap_or_else(|p| p.into_inner()) = Some(format!(
        "refused the hub's log checkpoint of size {tree_size} (proof from size {from_size}, holding size {held_size}): {reason}: {detail}"
    ));
    write_receipt(
        receipts,
        now,
        Event::CheckpointRefused {
            tree_size,
            held_size,
            reason: detail.clone(),
            code: reason.as_str().to_owned(),
            from_size,
        },
    );
    CheckpointRefusal {
        tree_size,
        from_tree_size: from_size,
        held_tree_size: held_size,
        reason: reason.as_str().to_owned(),
        detail,
    }
}

/// Appends one receipt; a receipt log that cannot be written is logged, not fatal.
fn write_receipt(receipts: Option<&ReceiptLog>, now: time::OffsetDateTime, event: Event) {
    if let Some(log) = receipts
        && let Err(error) = log.append(now, vec![event])
    {
        tracing::error!(%error, "cannot write the receipt log");
    }
}

/// The tree size a note states (its second line); 0 when unreadable.
fn stated_size(note: &[u8]) -> u64 {
    String::from_utf8_lossy(note)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

/// The witness key's name for a party: its OIN, so cosignatures can be attributed.
pub fn key_name(oin: &str) -> String {
    format!("{oin}.witness.treiteraanpak")
}

/// Why witnessing cannot start. The agent refuses to start with these.
#[derive(Debug, thiserror::Error)]
pub enum WitnessSetupError {
    #[error("witness.log_verifier is not a note verifier key (origin+keyid+base64): {0}")]
    Verifier(CheckpointError),
    /// The witness key file failed the check every private key file gets (owner only,
    /// symlinks judged by their target): [`treiter_proto::keyfile`].
    #[error("witness.key_file: {0}")]
    KeyFile(#[from] treiter_proto::keyfile::KeyFileError),
    #[error("cannot read the witness key {path} (witness.key_file): {source}")]
    KeyRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the witness key {path} (witness.key_file): {source}")]
    KeyWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the witness key {path} (witness.key_file) is not an Ed25519 PKCS#8 key")]
    KeyInvalid { path: PathBuf },
    #[error("the witness key name for OIN {oin} is not usable: {source}")]
    KeyName {
        oin: String,
        #[source]
        source: CheckpointError,
    },
    #[error("cannot read the witnessed checkpoint {path} (witness.state): {source}")]
    StateRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the witnessed checkpoint {path} (witness.state) does not verify with witness.log_verifier: {source}; restore it from backup, never delete it to silence this"
    )]
    StateInvalid {
        path: PathBuf,
        #[source]
        source: CheckpointError,
    },
}

/// Why a checkpoint was refused. Messages hold sizes and hashes, never entries. Every
/// refusal is an alert ([`raise_alert`]); [`Refusal::reason`] gives its wire word.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The note does not open with the hub's log key (bad signature, other log,
    /// malformed). A hub that signs with an unknown key, or an attacker in between.
    #[error("the checkpoint does not verify with the hub's log key: {0}")]
    BadNote(#[source] CheckpointError),
    /// A proof hash is not 32 bytes.
    #[error("the consistency proof has a hash of {len} bytes, not 32")]
    BadProofHash { len: usize },
    /// The history the hub shows is not an extension of the one this agent holds: a
    /// rewritten or forked log, or a rollback.
    #[error(transparent)]
    Inconsistent(#[from] WitnessError),
    /// The proof for a larger tree starts from another size than the held checkpoint's,
    /// so it cannot show that the new checkpoint extends the held one. An honest hub
    /// starts every proof at the size this agent holds (its Hello says which, and the
    /// hub tracks what it sent since): only a hub that hides a forked history, or one
    /// that lost track of this agent, sends another.
    #[error(
        "the consistency proof starts at tree size {from}, but this agent holds size {held}: it cannot show that the checkpoint extends the held one"
    )]
    ProofFromOtherSize { from: u64, held: u64 },
    /// The new checkpoint could not be kept; it is not cosigned.
    #[error("cannot keep the checkpoint in {path}: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Refusal {
    /// The reason word sent to the hub, counted and recorded.
    pub fn reason(&self) -> RefusalReason {
        match self {
            Refusal::BadNote(error) => match error {
                CheckpointError::BadSignature { .. }
                | CheckpointError::NotSignedByLog { .. }
                | CheckpointError::NoLogKey { .. } => RefusalReason::BadSignature,
                CheckpointError::WrongOrigin { .. } => RefusalReason::WrongOrigin,
                _ => RefusalReason::UnparsableNote,
            },
            Refusal::BadProofHash { .. } => RefusalReason::BadProof,
            Refusal::Inconsistent(WitnessError::OtherLog { .. }) => RefusalReason::WrongOrigin,
            Refusal::Inconsistent(WitnessError::Inconsistent {
                held_size,
                new_size,
                ..
            }) => match new_size.cmp(held_size) {
                std::cmp::Ordering::Less => RefusalReason::Rollback,
                std::cmp::Ordering::Equal => RefusalReason::ForkSameSize,
                std::cmp::Ordering::Greater => RefusalReason::Inconsistent,
            },
            Refusal::ProofFromOtherSize { .. } => RefusalReason::WrongFromSize,
            Refusal::Store { .. } => RefusalReason::StateUnwritable,
        }
    }
}

/// The agent's witness: the hub's log key, its own witness key, and the checkpoint it
/// holds.
#[derive(Debug)]
pub struct Witness {
    log: NoteVerifier,
    signer: NoteSigner,
    state: PathBuf,
    held: Mutex<Option<SignedCheckpoint>>,
}

impl Witness {
    /// Loads (or on the first start generates) the witness key and the held checkpoint.
    pub fn open(settings: &WitnessSettings, oin: &str) -> Result<Witness, WitnessSetupError> {
        let log =
            NoteVerifier::parse(&settings.log_verifier).map_err(WitnessSetupError::Verifier)?;
        let signer = load_or_generate_key(&settings.key_file, oin)?;
        let held = match std::fs::read(&settings.state) {
            Ok(bytes) => Some(
                open_checkpoint(log.name(), std::slice::from_ref(&log), &bytes)
                    .map_err(|source| WitnessSetupError::StateInvalid {
                        path: settings.state.clone(),
                        source,
                    })?
                    .note,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(WitnessSetupError::StateRead {
                    path: settings.state.clone(),
                    source,
                });
            }
        };
        Ok(Witness {
            log,
            signer,
            state: settings.state.clone(),
            held: Mutex::new(held),
        })
    }

    /// The witness key in verifier text form, for the Hello.
    pub fn verifier_text(&self) -> String {
        self.signer.verifier().to_string()
    }

    /// The hub log's verifier.
    pub fn log_verifier(&self) -> &NoteVerifier {
        &self.log
    }

    /// The held checkpoint, if any.
    pub fn held(&self) -> Option<SignedCheckpoint> {
        self.lock().clone()
    }

    /// The tree size of the held checkpoint (0: none), for the Hello.
    pub fn held_size(&self) -> u64 {
        self.lock().as_ref().map_or(0, |cp| cp.checkpoint().size)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SignedCheckpoint>> {
        // Replaced whole, never half-changed: a poisoned lock is still good.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Verifies, keeps and cosigns a checkpoint from the hub (blocking: it syncs).
    pub fn receive(&self, message: &WireCheckpoint) -> Result<Cosignature, Refusal> {
        let opened = open_checkpoint(
            self.log.name(),
            std::slice::from_ref(&self.log),
            &message.note,
        )
        .map_err(Refusal::BadNote)?;
        let proof = message
            .consistency_proof
            .iter()
            .map(|h| Hash::from_slice(h).ok_or(Refusal::BadProofHash { len: h.len() }))
            .collect::<Result<Vec<_>, _>>()?;
        let mut held = self.lock();
        if let Some(h) = held.as_ref() {
            let held_size = h.checkpoint().size;
            // A proof for a larger tree from another size says nothing about the held
            // checkpoint. A smaller tree, or another root at the held size, is refused
            // below whatever the proof (a rollback, a fork), and the very same head
            // needs no proof.
            if message.from_tree_size != held_size && opened.checkpoint().size > held_size {
                return Err(Refusal::ProofFromOtherSize {
                    from: message.from_tree_size,
                    held: held_size,
                });
            }
        }
        let held_head = held.as_ref().map(|h| h.checkpoint().clone());
        let proof = if held_head.as_ref() == Some(opened.checkpoint()) {
            Vec::new()
        } else {
            proof
        };
        let cosigned = witness_checkpoint(held_head.as_ref(), &opened, &proof, &self.signer)?;
        if held_head.as_ref() != Some(opened.checkpoint()) {
            store(&self.state, &opened.note).map_err(|source| Refusal::Store {
                path: self.state.clone(),
                source,
            })?;
            *held = Some(opened.note.clone());
        }
        Ok(Cosignature {
            tree_size: opened.checkpoint().size,
            signature_line: signature_line(&cosigned, self.signer.name()).unwrap_or_default(),
        })
    }
}

/// The signature line by `name` in a note, with its newline.
fn signature_line(note: &SignedCheckpoint, name: &str) -> Option<String> {
    let prefix = format!("\u{2014} {name} ");
    let text = note.to_text();
    let (_, sigs) = text.split_once("\n\n")?;
    sigs.lines()
        .find(|l| l.starts_with(&prefix))
        .map(|l| format!("{l}\n"))
}

/// Writes the note to `path` durably: a temporary file, fsync, rename, fsync of the
/// directory, so a crash leaves the old checkpoint or the new one, never a torn one.
fn store(path: &Path, note: &SignedCheckpoint) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(&note.to_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn load_or_generate_key(path: &Path, oin: &str) -> Result<NoteSigner, WitnessSetupError> {
    let name = key_name(oin);
    let invalid = || WitnessSetupError::KeyInvalid {
        path: path.to_path_buf(),
    };
    let der = match std::fs::symlink_metadata(path) {
        Ok(_) => {
            let bytes = treiter_proto::keyfile::read_private(path, "the witness key file")?;
            if bytes.starts_with(b"-----BEGIN") {
                PrivatePkcs8KeyDer::from_pem_slice(&bytes)
                    .map_err(|_| invalid())?
                    .secret_pkcs8_der()
                    .to_vec()
            } else {
                bytes
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let write_err = |source| WitnessSetupError::KeyWrite {
                path: path.to_path_buf(),
                source,
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(write_err)?;
            }
            let der =
                ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                    .map_err(|_| write_err(std::io::Error::other("no randomness")))?
                    .as_ref()
                    .to_vec();
            // create_new: never overwrite a key another process just wrote.
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(write_err)?;
            file.write_all(&der).map_err(write_err)?;
            file.sync_all().map_err(write_err)?;
            tracing::warn!(path = %path.display(), "generated a new witness key");
            der
        }
        Err(source) => {
            return Err(WitnessSetupError::KeyRead {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    NoteSigner::from_pkcs8(&name, &der).map_err(|e| match e {
        CheckpointError::BadSigningKey(_) => invalid(),
        source => WitnessSetupError::KeyName {
            oin: oin.to_owned(),
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use treiter_translog::Checkpoint;
    use treiter_translog::hash::leaf_hash;
    use treiter_translog::proof::consistency_proof;
    use treiter_translog::tree::MerkleTree;

    const ORIGIN: &str = "treiteraanpak.test/hub-log";

    fn signer(name: &str) -> NoteSigner {
        let der = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap();
        NoteSigner::from_pkcs8(name, der.as_ref()).unwrap()
    }

    fn tree(prefix: &str, n: u64) -> MerkleTree {
        MerkleTree::from_leaves((0..n).map(|i| leaf_hash(format!("{prefix}{i}").as_bytes())))
    }

    fn message(log: &NoteSigner, t: &MerkleTree, size: u64, from: u64) -> WireCheckpoint {
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: t.root_at(size).unwrap(),
        };
        let note = SignedCheckpoint::sign(cp, log).unwrap();
        let proof = if from == 0 || from > size {
            Vec::new()
        } else {
            consistency_proof(t, from, size).unwrap()
        };
        WireCheckpoint {
            note: note.to_bytes(),
            consistency_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
            from_tree_size: from,
        }
    }

    fn witness(dir: &Path, log: &NoteSigner) -> Witness {
        let settings = WitnessSettings {
            log_verifier: log.verifier().to_string(),
            key_file: dir.join("witness.key"),
            state: dir.join("witnessed.checkpoint"),
        };
        Witness::open(&settings, "00000001003214345000").unwrap()
    }

    #[test]
    fn witness_accepts_a_consistent_checkpoint_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        let t = tree("a", 40);
        let w = witness(dir.path(), &log);
        let first = w.receive(&message(&log, &t, 10, 0)).unwrap();
        assert_eq!(first.tree_size, 10);
        let second = w.receive(&message(&log, &t, 40, 10)).unwrap();
        assert_eq!(second.tree_size, 40);
        // The cosignature verifies with the witness key the Hello carries.
        let verifier = NoteVerifier::parse(&w.verifier_text()).unwrap();
        assert!(verifier.name().starts_with("00000001003214345000"));
        let mut note = String::from_utf8(message(&log, &t, 40, 10).note).unwrap();
        note.push_str(&second.signature_line);
        let opened =
            open_checkpoint(ORIGIN, &[log.verifier().clone(), verifier], note.as_bytes()).unwrap();
        assert_eq!(opened.cosigned_by.len(), 1);
        // Durable: a new process holds size 40.
        assert_eq!(witness(dir.path(), &log).held_size(), 40);
        let mode = std::fs::metadata(dir.path().join("witness.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn witness_refuses_a_forked_history() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        let w = witness(dir.path(), &log);
        w.receive(&message(&log, &tree("a", 40), 10, 0)).unwrap();
        let refused = w
            .receive(&message(&log, &tree("b", 40), 40, 10))
            .unwrap_err();
        assert!(matches!(
            refused,
            Refusal::Inconsistent(WitnessError::Inconsistent { .. })
        ));
        assert_eq!(refused.reason(), RefusalReason::Inconsistent);
        assert_eq!(w.held_size(), 10);
    }

    #[test]
    fn witness_refuses_a_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        let t = tree("a", 40);
        let w = witness(dir.path(), &log);
        w.receive(&message(&log, &t, 20, 0)).unwrap();
        let mut smaller = message(&log, &t, 10, 0);
        smaller.from_tree_size = 20;
        let refused = w.receive(&smaller).unwrap_err();
        assert!(matches!(refused, Refusal::Inconsistent(_)), "{refused:?}");
        assert_eq!(refused.reason(), RefusalReason::Rollback);
        assert_eq!(witness(dir.path(), &log).held_size(), 20);
    }

    #[test]
    fn witness_refuses_the_same_size_with_another_root() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        let w = witness(dir.path(), &log);
        w.receive(&message(&log, &tree("a", 20), 20, 0)).unwrap();
        let mut other = message(&log, &tree("b", 20), 20, 0);
        other.from_tree_size = 20;
        let refused = w.receive(&other).unwrap_err();
        assert!(matches!(refused, Refusal::Inconsistent(_)), "{refused:?}");
        assert_eq!(refused.reason(), RefusalReason::ForkSameSize);
    }

    #[test]
    fn witness_refuses_a_bad_signature() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        let impostor = signer(ORIGIN);
        let w = witness(dir.path(), &log);
        let refused = w
            .receive(&message(&impostor, &tree("a", 5), 5, 0))
            .unwrap_err();
        assert!(matches!(refused, Refusal::BadNote(_)), "{refused:?}");
        assert_eq!(refused.reason(), RefusalReason::BadSignature);
        assert_eq!(w.held_size(), 0);
        assert!(!dir.path().join("witnessed.checkpoint").exists());
    }

    #[test]
    fn witness_refuses_a_readable_key() {
        let dir = tempfile::tempdir().unwrap();
        let log = signer(ORIGIN);
        drop(witness(dir.path(), &log));
        let key = dir.path().join("witness.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let settings = WitnessSettings {
            log_verifier: log.verifier().to_string(),
            key_file: key,
            state: dir.path().join("witnessed.checkpoint"),
        };
        let refused = Witness::open(&settings, "00000001003214345000").unwrap_err();
        assert!(matches!(
            refused,
            WitnessSetupError::KeyFile(treiter_proto::keyfile::KeyFileError::Permissions {
                mode: 0o644,
                ..
            })
        ));
    }

    /// A witness holding the checkpoint of size `held` of the tree `t`, with a receipt
    /// log, fresh metrics, and the paths of its files.
    struct Alerting {
        dir: tempfile::TempDir,
        log: NoteSigner,
        witness: Witness,
        metrics: Metrics,
        receipts: ReceiptLog,
    }

    impl Alerting {
        fn holding(t: &MerkleTree, held: u64) -> Alerting {
            let dir = tempfile::tempdir().unwrap();
            let log = signer(ORIGIN);
            let witness = witness(dir.path(), &log);
            let metrics = Metrics::new();
            let receipts = ReceiptLog::open(&dir.path().join("receipts.log")).unwrap();
            let alerting = Alerting {
                dir,
                log,
                witness,
                metrics,
                receipts,
            };
            if held > 0 {
                let reply = alerting.handle(&message(&alerting.log, t, held, 0));
                assert!(
                    matches!(reply, Some(agent_message::Body::Cosignature(_))),
                    "{reply:?}"
                );
            }
            alerting
        }

        fn handle(&self, message: &WireCheckpoint) -> Option<agent_message::Body> {
            handle(
                Some(&self.witness),
                &self.metrics,
                Some(&self.receipts),
                message,
            )
        }

        /// Sends `message`, and checks that the whole alert was raised for `reason`:
        /// the refusal for the hub, the metric, the `/healthz` alert and the receipt;
        /// and that the held checkpoint did not change.
        fn refuses(&self, message: &WireCheckpoint, reason: RefusalReason) -> CheckpointRefusal {
            let held = self.witness.held_size();
            let reply = self.handle(message);
            let Some(agent_message::Body::CheckpointRefusal(refusal)) = reply else {
                panic!("not refused as {reason}: {reply:?}");
            };
            assert_eq!(refusal.reason, reason.as_str());
            assert_eq!(refusal.held_tree_size, held);
            assert_eq!(refusal.from_tree_size, message.from_tree_size);
            assert!(!refusal.detail.is_empty());
            assert!(refusal.detail.chars().count() <= MAX_DETAIL_CHARS);
            // The metric, by reason.
            assert_eq!(self.metrics.refused_count(reason), 1, "{reason}");
            let rendered = self.metrics.render();
            let line = format!("hub_agent_checkpoints_refused_total{{reason=\"{reason}\"}} 1");
            assert!(rendered.contains(&line), "{line} missing in\n{rendered}");
            // /healthz's alert names the sizes and the reason.
            let alert = self
                .metrics
                .witness_alert
                .read()
                .unwrap()
                .clone()
                .expect("the /healthz alert is set");
            assert!(alert.contains(&format!("holding size {held}")), "{alert}");
            assert!(alert.contains(reason.as_str()), "{alert}");
            // The receipt.
            let (receipts, bad) = crate::receipts::read(self.receipts.path()).unwrap();
            assert_eq!(bad, 0);
            let refused: Vec<_> = receipts
                .iter()
                .filter_map(|r| match &r.event {
                    Event::CheckpointRefused {
                        tree_size,
                        held_size,
                        code,
                        from_size,
                        reason,
                    } => Some((
                        *tree_size,
                        *held_size,
                        code.clone(),
                        *from_size,
                        reason.clone(),
                    )),
                    _ => None,
                })
                .collect();
            assert_eq!(
                refused,
                vec![(
                    refusal.tree_size,
                    held,
                    reason.as_str().to_owned(),
                    message.from_tree_size,
                    refusal.detail.clone()
                )]
            );
            // Not kept.
            assert_eq!(self.witness.held_size(), held);
            assert_eq!(witness(self.dir.path(), &self.log).held_size(), held);
            refusal
        }
    }

    #[test]
    fn alert_for_a_proof_from_another_size() {
        // The hub shows a forked history of size 40, with a proof that is valid for
        // that history but starts at 5, while this agent holds 10 of the real one.
        let real = tree("a", 40);
        let w = Alerting::holding(&real, 10);
        let forked = tree("b", 40);
        let sent = message(&w.log, &forked, 40, 5);
        let refusal = w.refuses(&sent, RefusalReason::WrongFromSize);
        assert_eq!(refusal.tree_size, 40);
        assert_eq!(refusal.from_tree_size, 5);
        // The same for the honest history: a proof that does not start at the held
        // size proves nothing about it.
        let w = Alerting::holding(&real, 10);
        w.refuses(
            &message(&w.log, &real, 40, 20),
            RefusalReason::WrongFromSize,
        );
    }

    #[test]
    fn alert_for_an_unparsable_note() {
        let w = Alerting::holding(&tree("a", 10), 10);
        let sent = WireCheckpoint {
            note: b"not a note\x1b[2J".to_vec(),
            consistency_proof: Vec::new(),
            from_tree_size: 10,
        };
        let refusal = w.refuses(&sent, RefusalReason::UnparsableNote);
        assert_eq!(refusal.tree_size, 0);
    }

    #[test]
    fn alert_for_a_bad_signature() {
        let t = tree("a", 20);
        let w = Alerting::holding(&t, 10);
        let impostor = signer(ORIGIN);
        w.refuses(&message(&impostor, &t, 20, 10), RefusalReason::BadSignature);
    }

    #[test]
    fn alert_for_another_log() {
        // Signed by the hub's log key, but the checkpoint names another log.
        let t = tree("a", 20);
        let w = Alerting::holding(&t, 10);
        let other = signer("other.test/log");
        let cp = Checkpoint {
            origin: "other.test/log".into(),
            size: 20,
            root: t.root_at(20).unwrap(),
        };
        let note = SignedCheckpoint::sign(cp, &other).unwrap().cosign(&w.log);
        let sent = WireCheckpoint {
            note: note.to_bytes(),
            consistency_proof: consistency_proof(&t, 10, 20)
                .unwrap()
                .iter()
                .map(|h| h.as_bytes().to_vec())
                .collect(),
            from_tree_size: 10,
        };
        w.refuses(&sent, RefusalReason::WrongOrigin);
    }

    #[test]
    fn alert_for_a_malformed_proof() {
        let t = tree("a", 20);
        let w = Alerting::holding(&t, 10);
        let mut sent = message(&w.log, &t, 20, 10);
        sent.consistency_proof[0].pop();
        w.refuses(&sent, RefusalReason::BadProof);
    }

    #[test]
    fn alert_for_a_rollback() {
        let t = tree("a", 40);
        // As a hub restored from an old backup sends it: from the size the agent holds,
        // without a proof; and with any other starting size.
        for from in [20, 0, 5] {
            let w = Alerting::holding(&t, 20);
            let mut sent = message(&w.log, &t, 10, 0);
            sent.from_tree_size = from;
            w.refuses(&sent, RefusalReason::Rollback);
        }
    }

    #[test]
    fn alert_for_a_fork_at_the_same_size() {
        let w = Alerting::holding(&tree("a", 20), 20);
        let mut sent = message(&w.log, &tree("b", 20), 20, 0);
        sent.from_tree_size = 20;
        w.refuses(&sent, RefusalReason::ForkSameSize);
    }

    #[test]
    fn alert_for_an_inconsistent_history() {
        let w = Alerting::holding(&tree("a", 40), 10);
        let forked = tree("b", 40);
        w.refuses(
            &message(&w.log, &forked, 40, 10),
            RefusalReason::Inconsistent,
        );
    }

    #[test]
    fn alert_when_the_checkpoint_cannot_be_kept() {
        let t = tree("a", 20);
        let w = Alerting::holding(&t, 10);
        // A directory where the state file goes: the rename over it fails (even as
        // root, where file modes would not stop the write).
        let state = w.dir.path().join("witnessed.checkpoint");
        std::fs::remove_file(&state).unwrap();
        std::fs::create_dir(&state).unwrap();
        std::fs::write(state.join("occupied"), b"x").unwrap();
        let reply = w.handle(&message(&w.log, &t, 20, 10));
        let Some(agent_message::Body::CheckpointRefusal(refusal)) = reply else {
            panic!("not refused: {reply:?}");
        };
        assert_eq!(refusal.reason, "state-unwritable");
        assert_eq!(refusal.held_tree_size, 10);
        assert_eq!(w.metrics.refused_count(RefusalReason::StateUnwritable), 1);
        assert!(w.metrics.witness_alert.read().unwrap().is_some());
        let (receipts, _) = crate::receipts::read(w.receipts.path()).unwrap();
        assert!(receipts.iter().any(|r| matches!(
            &r.event,
            Event::CheckpointRefused { code, .. } if code == "state-unwritable"
        )));
        assert_eq!(w.witness.held_size(), 10);
    }

    #[test]
    fn a_verified_checkpoint_clears_the_health_alert_but_not_the_count() {
        let t = tree("a", 40);
        let w = Alerting::holding(&t, 10);
        w.refuses(&message(&w.log, &t, 40, 20), RefusalReason::WrongFromSize);
        let reply = w.handle(&message(&w.log, &t, 40, 10));
        assert!(matches!(reply, Some(agent_message::Body::Cosignature(_))));
        assert!(w.metrics.witness_alert.read().unwrap().is_none());
        assert_eq!(w.metrics.refused_count(RefusalReason::WrongFromSize), 1);
    }

    #[test]
    fn the_very_same_head_is_cosigned_again_whatever_the_proof_start() {
        let t = tree("a", 20);
        let w = Alerting::holding(&t, 20);
        let reply = w.handle(&message(&w.log, &t, 20, 7));
        assert!(matches!(reply, Some(agent_message::Body::Cosignature(_))));
    }

    #[test]
    fn every_reason_is_raised_by_some_refusal() {
        // The reason words the tests above raise cover the whole vocabulary.
        let raised = [
            RefusalReason::WrongFromSize,
            RefusalReason::UnparsableNote,
            RefusalReason::BadSignature,
            RefusalReason::WrongOrigin,
            RefusalReason::BadProof,
            RefusalReason::Rollback,
            RefusalReason::ForkSameSize,
            RefusalReason::Inconsistent,
            RefusalReason::StateUnwritable,
        ];
        for reason in RefusalReason::ALL {
            assert!(raised.contains(&reason), "{reason} has no test");
        }
    }
}
