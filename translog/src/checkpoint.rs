//! Signed checkpoints: the C2SP signed-note format (c2sp.org/signed-note) carrying a
//! C2SP tlog checkpoint (c2sp.org/tlog-checkpoint), signed with Ed25519 (ring).
//!
//! A checkpoint names the log (its origin), a tree size and the root hash at that size:
//!
//! ```text
//! treiter-hub.example/decision-log
//! 4
//! 037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=
//!
//! — treiter-hub.example/decision-log Az3grl…(base64 of key id || signature)
//! — agent.politie.example/witness Bm9ub3…(a witness's cosignature)
//! ```
//!
//! The note text is the three lines (each ending in a newline); a blank line follows,
//! then one signature line per key: an em dash (U+2014), a space, the key name, a
//! space, and the base64 of the 4-byte key id followed by the 64-byte Ed25519
//! signature over the note text. The key id is the first four bytes of
//! `SHA-256(name || 0x0A || 0x01 || public key)`.
//!
//! The hub signs with its log key, whose name is the origin. A **witness** (each
//! party's agent) checks that a new checkpoint is consistent with the last one it holds
//! and then **cosigns** it: it adds its own signature line, an ordinary Ed25519 note
//! signature by the witness's key over the same note text ([`witness_checkpoint`]).
//! (C2SP's timestamped `cosignature/v1`, type 0x04, would also record when the witness
//! saw it; moving to it changes only the signed message and the key id's type byte.)
//!
//! [`open_checkpoint`] is the only way to read a checkpoint: it parses the note and
//! verifies it completely — the log's own signature is required, every signature by a
//! known key must verify, unknown keys are ignored (as the spec requires), and the
//! origin must be the expected one.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{self, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};

use super::hash::{Hash, sha256};
use super::proof::{ConsistencyError, verify_consistency};

/// Notes larger than this are refused unread.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// At most this many signature lines (the spec requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 64;
/// The signature type byte of Ed25519 note signatures (c2sp.org/signed-note).
const SIG_TYPE_ED25519: u8 = 0x01;
/// The em dash and space that open a signature line.
const SIG_PREFIX: &str = "\u{2014} ";
const ED25519_SIG_LEN: usize = 64;

/// A note or checkpoint that is refused. Every case is a reason to distrust the hub
/// that sent it or the network between; messages say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the note is {size} bytes; at most {max} are accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the note is not valid UTF-8")]
    NotUtf8,
    #[error("the note contains a control character other than newline")]
    ControlCharacter,
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("the note has {count} signature lines; at most {max} are accepted")]
    TooManySignatures { count: usize, max: usize },
    #[error("malformed signature line {line}: {problem}")]
    BadSignatureLine { line: usize, problem: &'static str },
    /// A known key's signature does not verify: the note was altered or forged.
    #[error(
        "the signature of {name} does not verify: the checkpoint was altered or forged, refuse it"
    )]
    BadSignature { name: String },
    /// None of the keys given is the log's (named by the origin).
    #[error("no key for the log {origin} was given to verify its checkpoint with")]
    NoLogKey { origin: String },
    /// The log's own signature is absent.
    #[error("the checkpoint is not signed by the log {origin}")]
    NotSignedByLog { origin: String },
    #[error("the checkpoint is of log '{found}', expected '{expected}'")]
    WrongOrigin { expected: String, found: String },
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    #[error("the checkpoint has extension lines, which this log never writes")]
    ExtensionLines,
    #[error("invalid key name: {0}")]
    BadKeyName(&'static str),
    #[error("invalid verifier key: {0}")]
    BadVerifierKey(&'static str),
    #[error("invalid signing key: {0}")]
    BadSigningKey(&'static str),
    #[error("cannot add signatures of a different note")]
    DifferentNote,
    /// A signing key outside this process (a hardware token) failed to sign.
    #[error("the log's signing key failed to sign: {0}")]
    SigningFailed(String),
}

/// Checks a key name (and an origin): non-empty, no Unicode space, no '+'.
fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty() {
        return Err(CheckpointError::BadKeyName("it is empty"));
    }
    if name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(CheckpointError::BadKeyName("it contains a space or '+'"));
    }
    if name.chars().any(char::is_control) {
        return Err(CheckpointError::BadKeyName(
            "it contains a control character",
        ));
    }
    Ok(())
}

/// The key id of an Ed25519 note key: `SHA-256(name || 0x0A || 0x01 || public key)[:4]`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut data = Vec::with_capacity(name.len() + 2 + 32);
    data.extend_from_slice(name.as_bytes());
    data.push(b'\n');
    data.push(SIG_TYPE_ED25519);
    data.extend_from_slice(public_key);
    let h = sha256(&data);
    let [a, b, c, d, ..] = h.0;
    [a, b, c, d]
}

/// A key that verifies note signatures: a name, its key id and an Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    public_key: [u8; 32],
}

impl NoteVerifier {
    /// A verifier for `name` with this public key.
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, &public_key),
            public_key,
        })
    }

    /// Parses the text form `<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`
    /// (as Go's `golang.org/x/mod/sumdb/note` writes verifier keys).
    pub fn parse(vkey: &str) -> Result<Self, CheckpointError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CheckpointError::BadVerifierKey(
                "expected <name>+<key id>+<key>",
            ));
        };
        let id = u32::from_str_radix(id_hex, 16)
            .ok()
            .filter(|_| id_hex.len() == 8)
            .ok_or(CheckpointError::BadVerifierKey(
                "the key id is not 8 hex digits",
            ))?;
        let data = BASE64
            .decode(key_b64)
            .map_err(|_| CheckpointError::BadVerifierKey("the key is not base64"))?;
        let Some((&kind, public)) = data.split_first() else {
            return Err(CheckpointError::BadVerifierKey("the key is empty"));
        };
        if kind != SIG_TYPE_ED25519 {
            return Err(CheckpointError::BadVerifierKey(
                "not an Ed25519 key (type 0x01)",
            ));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| CheckpointError::BadVerifierKey("an Ed25519 public key is 32 bytes"))?;
        let v = NoteVerifier::new(name, public)?;
        if v.key_id != id.to_be_bytes() {
            return Err(CheckpointError::BadVerifierKey(
                "the key id does not match the name and key",
            ));
        }
        Ok(v)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    fn verifies(&self, text: &[u8], sig: &[u8]) -> bool {
        sig.len() == ED25519_SIG_LEN
            && UnparsedPublicKey::new(&signature::ED25519, &self.public_key)
                .verify(text, sig)
                .is_ok()
    }
}

impl fmt::Display for NoteVerifier {
    /// The text form that [`NoteVerifier::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = Vec::with_capacity(33);
        data.push(SIG_TYPE_ED25519);
        data.extend_from_slice(&self.public_key);
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            u32::from_be_bytes(self.key_id),
            BASE64.encode(data)
        )
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

/// A key that signs notes: a name and an Ed25519 key pair.
pub struct NoteSigner {
    keypair: Ed25519KeyPair,
    verifier: NoteVerifier,
}

impl NoteSigner {
    /// A signer from a PKCS#8 document (v1 as `openssl genpkey -algorithm ed25519`
    /// writes, or v2 as ring generates).
    pub fn from_pkcs8(name: &str, pkcs8: &[u8]) -> Result<Self, CheckpointError> {
        let keypair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|_| CheckpointError::BadSigningKey("not an Ed25519 PKCS#8 key"))?;
        let public: [u8; 32] = keypair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| CheckpointError::BadSigningKey("unexpected public key length"))?;
        let verifier = NoteVerifier::new(name, public)?;
        Ok(NoteSigner { keypair, verifier })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// The matching verifier, to give to those who check this key's signatures.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Signs a note text.
    pub fn sign(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.verifier.name.clone(),
            key_id: self.verifier.key_id,
            signature: self.keypair.sign(text.as_bytes()).as_ref().to_vec(),
        }
    }

    /// Signs arbitrary bytes. The hub derives its record key from this (Ed25519
    /// signatures are deterministic); never sign anything that parses as a note.
    pub fn sign_raw(&self, data: &[u8]) -> Vec<u8> {
        self.keypair.sign(data).as_ref().to_vec()
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSigner({})", self.verifier)
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut data = Vec::with_capacity(4 + self.signature.len());
        data.extend_from_slice(&self.key_id);
        data.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, BASE64.encode(data))
    }
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SignedNote {
    /// The text, including its final newline.
    text: String,
    signatures: Vec<NoteSignature>,
}

impl SignedNote {
    fn parse(bytes: &[u8]) -> Result<SignedNote, CheckpointError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(CheckpointError::TooLarge {
                size: bytes.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let all = std::str::from_utf8(bytes).map_err(|_| CheckpointError::NotUtf8)?;
        if all.chars().any(|c| c.is_ascii_control() && c != '\n') {
            return Err(CheckpointError::ControlCharacter);
        }
        if !all.ends_with('\n') {
            return Err(CheckpointError::Malformed("it does not end with a newline"));
        }
        // The text ends at the last blank line; it keeps its own final newline.
        let split = all.rfind("\n\n").ok_or(CheckpointError::Malformed(
            "no blank line before the signatures",
        ))?;
        let (text, rest) = all.split_at(split + 1);
        let sig_block = rest.strip_prefix('\n').ok_or(CheckpointError::Malformed(
            "no blank line before the signatures",
        ))?;
        if text.is_empty() || text == "\n" {
            return Err(CheckpointError::Malformed("the note text is empty"));
        }
        let lines: Vec<&str> = sig_block
            .strip_suffix('\n')
            .unwrap_or(sig_block)
            .split('\n')
            .collect();
        if sig_block.is_empty() || lines.is_empty() {
            return Err(CheckpointError::Malformed("no signature lines"));
        }
        if lines.len() > MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures {
                count: lines.len(),
                max: MAX_SIGNATURES,
            });
        }
        let mut signatures = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let bad = |problem| CheckpointError::BadSignatureLine {
                line: i + 1,
                problem,
            };
            let body = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| bad("it does not start with an em dash and a space"))?;
            let (name, b64) = body
                .split_once(' ')
                .ok_or_else(|| bad("expected a key name, a space and a signature"))?;
            check_key_name(name).map_err(|_| bad("the key name is empty or has a space or '+'"))?;
            let data = BASE64
                .decode(b64)
                .map_err(|_| bad("the signature is not base64"))?;
            if data.len() < 5 {
                return Err(bad("the signature is too short"));
            }
            let (id, sig) = data.split_at(4);
            let key_id: [u8; 4] = id.try_into().map_err(|_| bad("no key id"))?;
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id,
                signature: sig.to_vec(),
            });
        }
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out
    }

    /// Adds a signature, replacing an earlier one by the same key.
    fn add(&mut self, sig: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        self.signatures.push(sig);
    }
}

/// A tree head: the log's origin, a tree size and the root hash at that size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: origin, size and base64 root, each on its own line.
    pub fn to_note_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        )
    }

    fn parse_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MalformedCheckpoint(
                "the text does not end with a newline",
            ))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::MalformedCheckpoint(
                "expected an origin, a tree size and a root hash",
            ));
        };
        if lines.next().is_some() {
            return Err(CheckpointError::ExtensionLines);
        }
        if origin.is_empty() {
            return Err(CheckpointError::MalformedCheckpoint("the origin is empty"));
        }
        let size_ok = !size.is_empty()
            && size.len() <= 20
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 =
            size.parse()
                .ok()
                .filter(|_| size_ok)
                .ok_or(CheckpointError::MalformedCheckpoint(
                    "the tree size is not a decimal number without leading zeros",
                ))?;
        let root_hash = Hash::from_base64(root)
            .filter(|h| h.to_base64() == root)
            .ok_or(CheckpointError::MalformedCheckpoint(
                "the root hash is not the base64 of 32 bytes",
            ))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root: root_hash,
        })
    }
}

/// A checkpoint with its note and signatures, as sent, stored and cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: SignedNote,
}

impl SignedCheckpoint {
    /// The log signs a tree head. The signer's name must be the origin.
    pub fn sign(checkpoint: Checkpoint, log: &NoteSigner) -> Result<Self, CheckpointError> {
        check_key_name(&checkpoint.origin)?;
        if log.name() != checkpoint.origin {
            return Err(CheckpointError::BadKeyName(
                "the log's key name must be the checkpoint's origin",
            ));
        }
        let text = checkpoint.to_note_text();
        let sig = log.sign(&text);
        Ok(SignedCheckpoint {
            checkpoint,
            note: SignedNote {
                text,
                signatures: vec![sig],
            },
        })
    }

    /// The log signs a tree head with a key held elsewhere (a hardware token): `sign`
    /// makes a pure Ed25519 signature of the bytes it is given, and `log` is the key's
    /// verifier. The signature is checked with `log` before it is used, so a device
    /// that signs with another key is refused here rather than by every witness.
    pub fn sign_with(
        checkpoint: Checkpoint,
        log: &NoteVerifier,
        sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, String>,
    ) -> Result<Self, CheckpointError> {
        check_key_name(&checkpoint.origin)?;
        if log.name() != checkpoint.origin {
            return Err(CheckpointError::BadKeyName(
                "the log's key name must be the checkpoint's origin",
            ));
        }
        let text = checkpoint.to_note_text();
        let signature = sign(text.as_bytes()).map_err(CheckpointError::SigningFailed)?;
        if !log.verifies(text.as_bytes(), &signature) {
            return Err(CheckpointError::SigningFailed(
                "the signature does not verify with the log's public key: the device holds another key".into(),
            ));
        }
        Ok(SignedCheckpoint {
            checkpoint,
            note: SignedNote {
                text,
                signatures: vec![NoteSignature {
                    name: log.name().to_owned(),
                    key_id: log.key_id(),
                    signature,
                }],
            },
        })
    }

    /// The tree head.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signatures, in note order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.note.signatures
    }

    /// The whole note as text, as sent and stored.
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }

    /// The whole note as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_text().into_bytes()
    }

    /// The same note with the witness's signature added (replacing an earlier one by
    /// the same key). Check consistency first: see [`witness_checkpoint`].
    pub fn cosign(&self, witness: &NoteSigner) -> SignedCheckpoint {
        let mut out = self.clone();
        out.note.add(witness.sign(&out.note.text));
        out
    }

    /// Adds the signatures of another note over the same text.
    pub fn merge(&mut self, other: &SignedCheckpoint) -> Result<(), CheckpointError> {
        if other.note.text != self.note.text {
            return Err(CheckpointError::DifferentNote);
        }
        for s in &other.note.signatures {
            self.note.add(s.clone());
        }
        Ok(())
    }

    /// Whether `verifier` has a valid signature on this note.
    pub fn is_signed_by(&self, verifier: &NoteVerifier) -> bool {
        self.note.signatures.iter().any(|s| {
            s.name == verifier.name
                && s.key_id == verifier.key_id
                && verifier.verifies(self.note.text.as_bytes(), &s.signature)
        })
    }
}

/// A checkpoint that [`open_checkpoint`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedCheckpoint {
    /// The note, with every signature it carried (unknown ones included).
    pub note: SignedCheckpoint,
    /// The names of the other known keys (witnesses) whose signatures verified.
    pub cosigned_by: Vec<String>,
}

impl OpenedCheckpoint {
    /// The tree head.
    pub fn checkpoint(&self) -> &Checkpoint {
        self.note.checkpoint()
    }
}

/// Parses a signed checkpoint and verifies it completely.
///
/// `verifiers` must include the log's key (the one named `origin`); it may include
/// witness keys. The checkpoint is accepted only if the log's signature verifies, every
/// signature by a known key (same name and key id) verifies, and it is a well-formed
/// checkpoint of `origin` without extension lines. Signatures of unknown keys are
/// ignored but kept.
pub fn open_checkpoint(
    origin: &str,
    verifiers: &[NoteVerifier],
    bytes: &[u8],
) -> Result<OpenedCheckpoint, CheckpointError> {
    if !verifiers.iter().any(|v| v.name == origin) {
        return Err(CheckpointError::NoLogKey {
            origin: origin.to_owned(),
        });
    }
    let note = SignedNote::parse(bytes)?;
    let mut log_signed = false;
    let mut cosigned_by: Vec<String> = Vec::new();
    for sig in &note.signatures {
        let Some(v) = verifiers
            .iter()
            .find(|v| v.name == sig.name && v.key_id == sig.key_id)
        else {
            continue;
        };
        if !v.verifies(note.text.as_bytes(), &sig.signature) {
            return Err(CheckpointError::BadSignature {
                name: sig.name.clone(),
            });
        }
        if v.name == origin {
            log_signed = true;
        } else if !cosigned_by.contains(&v.name) {
            cosigned_by.push(v.name.clone());
        }
    }
    if !log_signed {
        return Err(CheckpointError::NotSignedByLog {
            origin: origin.to_owned(),
        });
    }
    let checkpoint = Checkpoint::parse_text(&note.text)?;
    if checkpoint.origin != origin {
        return Err(CheckpointError::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin.chars().take(100).collect(),
        });
    }
    Ok(OpenedCheckpoint {
        note: SignedCheckpoint { checkpoint, note },
        cosigned_by,
    })
}

/// Why a witness refuses to cosign a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The new checkpoint is not consistent with the one the witness holds: the log
    /// rewrote or forked its history. Alert; never cosign.
    #[error(
        "the log's checkpoint of size {new_size} is not consistent with the checkpoint of size {held_size} this witness holds: {source}"
    )]
    Inconsistent {
        held_size: u64,
        new_size: u64,
        #[source]
        source: ConsistencyError,
    },
    /// The checkpoint is of another log.
    #[error("the checkpoint is of log '{found}', the witness holds one of '{held}'")]
    OtherLog { held: String, found: String },
}

/// What a witness does with a new checkpoint (already opened with
/// [`open_checkpoint`]): check the consistency proof from the checkpoint it holds (if
/// any) to the new one and, if it holds, cosign the new one. The witness then stores
/// the new checkpoint as the one it holds.
pub fn witness_checkpoint(
    held: Option<&Checkpoint>,
    new: &OpenedCheckpoint,
    proof: &[Hash],
    witness: &NoteSigner,
) -> Result<SignedCheckpoint, WitnessError> {
    let next = new.checkpoint();
    if let Some(held) = held {
        if held.origin != next.origin {
            return Err(WitnessError::OtherLog {
                held: held.origin.clone(),
                found: next.origin.clone(),
            });
        }
        verify_consistency(held.size, next.size, &held.root, &next.root, proof).map_err(
            |source| WitnessError::Inconsistent {
                held_size: held.size,
                new_size: next.size,
                source,
            },
        )?;
    }
    Ok(new.note.cosign(witness))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::proof::consistency_proof;
    use crate::tree::MerkleTree;
    use ring::rand::SystemRandom;

    pub(crate) const ORIGIN: &str = "hub.treiteraanpak.example/decision-log";

    pub(crate) fn signer(name: &str) -> NoteSigner {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        NoteSigner::from_pkcs8(name, pkcs8.as_ref()).unwrap()
    }

    fn head(size: u64) -> Checkpoint {
        Checkpoint {
            origin: ORIGIN.to_owned(),
            size,
            root: leaf_hash(&size.to_be_bytes()),
        }
    }

    #[test]
    fn the_note_has_the_c2sp_layout() {
        let log = signer(ORIGIN);
        let cp = SignedCheckpoint::sign(head(20852163), &log).unwrap();
        let text = cp.to_text();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], ORIGIN);
        assert_eq!(lines[1], "20852163");
        assert_eq!(lines[2], head(20852163).root.to_base64());
        assert_eq!(lines[3], "");
        let sig_line = lines[4];
        let prefix = format!("\u{2014} {ORIGIN} ");
        assert!(sig_line.starts_with(&prefix), "{sig_line}");
        let data = BASE64.decode(&sig_line[prefix.len()..]).unwrap();
        assert_eq!(data.len(), 4 + 64);
        assert_eq!(data[..4], log.verifier().key_id());
        assert_eq!(lines[5], "");
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn the_key_id_follows_the_spec() {
        // key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
        let pk = [7u8; 32];
        let mut data = b"example.com/log".to_vec();
        data.push(0x0a);
        data.push(0x01);
        data.extend_from_slice(&pk);
        assert_eq!(key_id("example.com/log", &pk), sha256(&data).0[..4]);
    }

    #[test]
    fn a_signed_checkpoint_opens() {
        let log = signer(ORIGIN);
        let cp = SignedCheckpoint::sign(head(5), &log).unwrap();
        let opened = open_checkpoint(ORIGIN, &[log.verifier().clone()], &cp.to_bytes()).unwrap();
        assert_eq!(opened.checkpoint(), &head(5));
        assert!(opened.cosigned_by.is_empty());
        assert_eq!(opened.note, cp);
        // The empty tree is a checkpoint too.
        let empty = Checkpoint {
            origin: ORIGIN.into(),
            size: 0,
            root: crate::hash::empty_root(),
        };
        let cp = SignedCheckpoint::sign(empty.clone(), &log).unwrap();
        let opened = open_checkpoint(ORIGIN, &[log.verifier().clone()], &cp.to_bytes()).unwrap();
        assert_eq!(opened.checkpoint(), &empty);
    }

    #[test]
    fn verifier_keys_round_trip_and_are_checked() {
        let log = signer(ORIGIN);
        let text = log.verifier().to_string();
        assert!(text.starts_with(&format!("{ORIGIN}+")), "{text}");
        assert_eq!(NoteVerifier::parse(&text).as_ref(), Ok(log.verifier()));
        // A key id that does not match is refused.
        let mut parts: Vec<&str> = text.splitn(3, '+').collect();
        parts[1] = "00000000";
        assert_eq!(
            NoteVerifier::parse(&parts.join("+")),
            Err(CheckpointError::BadVerifierKey(
                "the key id does not match the name and key"
            ))
        );
        assert!(matches!(
            NoteVerifier::parse("no-plus-signs"),
            Err(CheckpointError::BadVerifierKey(_))
        ));
        assert!(matches!(
            NoteVerifier::new("has space", [0; 32]),
            Err(CheckpointError::BadKeyName(_))
        ));
    }

    #[test]
    fn tampering_is_refused() {
        let log = signer(ORIGIN);
        let vs = [log.verifier().clone()];
        let good = SignedCheckpoint::sign(head(9), &log).unwrap().to_text();

        // A different size or root under the log's signature.
        let other_size = good.replacen("\n9\n", "\n10\n", 1);
        assert_eq!(
            open_checkpoint(ORIGIN, &vs, other_size.as_bytes()),
            Err(CheckpointError::BadSignature {
                name: ORIGIN.to_owned()
            })
        );
        // Signed by another key that claims the log's name.
        let impostor = signer(ORIGIN);
        let forged = SignedCheckpoint::sign(head(9), &impostor)
            .unwrap()
            .to_text();
        assert_eq!(
            open_checkpoint(ORIGIN, &vs, forged.as_bytes()),
            Err(CheckpointError::NotSignedByLog {
                origin: ORIGIN.to_owned()
            })
        );
        // The signature removed.
        let unsigned = format!("{}\n", head(9).to_note_text());
        assert!(matches!(
            open_checkpoint(ORIGIN, &vs, unsigned.as_bytes()),
            Err(CheckpointError::Malformed(_))
        ));
        // Another origin, correctly signed by that log's key.
        let other_log = signer("other.example/log");
        let other = SignedCheckpoint::sign(
            Checkpoint {
                origin: "other.example/log".into(),
                ..head(9)
            },
            &other_log,
        )
        .unwrap();
        assert_eq!(
            open_checkpoint(
                "other.example/log",
                &[other_log.verifier().clone()],
                &other.to_bytes()
            )
            .map(|o| o.checkpoint().size),
            Ok(9)
        );
        assert_eq!(
            open_checkpoint(ORIGIN, &vs, &other.to_bytes()),
            Err(CheckpointError::NotSignedByLog {
                origin: ORIGIN.to_owned()
            })
        );
        // No key for the log given at all.
        assert_eq!(
            open_checkpoint(ORIGIN, &[], good.as_bytes()),
            Err(CheckpointError::NoLogKey {
                origin: ORIGIN.to_owned()
            })
        );
    }

    #[test]
    fn malformed_notes_are_refused() {
        let log = signer(ORIGIN);
        let vs = [log.verifier().clone()];
        let good = SignedCheckpoint::sign(head(9), &log).unwrap().to_text();
        let sig_line = good.lines().last().unwrap().to_owned();
        let cases: Vec<(String, &str)> = vec![
            (good.trim_end().to_owned(), "no final newline"),
            (good.replacen('\u{2014}', "-", 1), "hyphen for em dash"),
            (good.replacen("\n9\n", "\n09\n", 1), "leading zero"),
            (good.replacen("\n9\n", "\n-9\n", 1), "negative"),
            (
                good.replacen("\n9\n", "\n99999999999999999999\n", 1),
                "overflow",
            ),
            (good.replacen('\n', "\r\n", 1), "carriage return"),
            (
                good.replacen(&sig_line, &format!("{sig_line}\n"), 1),
                "blank line among signatures",
            ),
            (
                format!("{}ext\n\n{sig_line}\n", head(9).to_note_text()),
                "extension line",
            ),
            (format!("{ORIGIN}\n9\n\n{sig_line}\n"), "no root"),
        ];
        for (note, why) in cases {
            let r = open_checkpoint(ORIGIN, &vs, note.as_bytes());
            assert!(
                matches!(
                    r,
                    Err(CheckpointError::Malformed(_)
                        | CheckpointError::MalformedCheckpoint(_)
                        | CheckpointError::BadSignatureLine { .. }
                        | CheckpointError::ControlCharacter
                        | CheckpointError::ExtensionLines
                        | CheckpointError::BadSignature { .. })
                ),
                "{why}: {r:?}"
            );
        }
        assert!(matches!(
            open_checkpoint(ORIGIN, &vs, &[0xff, 0xfe]),
            Err(CheckpointError::NotUtf8)
        ));
        let huge = vec![b'a'; MAX_NOTE_BYTES + 1];
        assert!(matches!(
            open_checkpoint(ORIGIN, &vs, &huge),
            Err(CheckpointError::TooLarge { .. })
        ));
        let many = format!(
            "{}\n{}",
            head(9).to_note_text(),
            format!("{sig_line}\n").repeat(MAX_SIGNATURES + 1)
        );
        assert!(matches!(
            open_checkpoint(ORIGIN, &vs, many.as_bytes()),
            Err(CheckpointError::TooManySignatures { .. })
        ));
    }

    #[test]
    fn unknown_signatures_are_ignored_and_known_ones_must_verify() {
        let log = signer(ORIGIN);
        let stranger = signer("stranger.example/w");
        let witness = signer("agent.politie.example/witness");
        let cp = SignedCheckpoint::sign(head(12), &log).unwrap();
        let both = cp.cosign(&stranger).cosign(&witness);
        assert_eq!(both.signatures().len(), 3);
        let opened = open_checkpoint(
            ORIGIN,
            &[log.verifier().clone(), witness.verifier().clone()],
            &both.to_bytes(),
        )
        .unwrap();
        assert_eq!(opened.cosigned_by, ["agent.politie.example/witness"]);
        assert_eq!(
            opened.note.signatures().len(),
            3,
            "unknown signatures are kept"
        );
        // A known witness's signature that does not verify rejects the whole note.
        let text = both.to_text();
        let last = text.lines().last().unwrap();
        let (head_part, b64) = last.rsplit_once(' ').unwrap();
        let mut data = BASE64.decode(b64).unwrap();
        data[10] ^= 1;
        let broken = text.replacen(last, &format!("{head_part} {}", BASE64.encode(data)), 1);
        assert_eq!(
            open_checkpoint(
                ORIGIN,
                &[log.verifier().clone(), witness.verifier().clone()],
                broken.as_bytes()
            ),
            Err(CheckpointError::BadSignature {
                name: "agent.politie.example/witness".into()
            })
        );
        // Cosigning twice with one key keeps one signature.
        assert_eq!(both.cosign(&witness).signatures().len(), 3);
        assert!(both.is_signed_by(witness.verifier()));
        assert!(!cp.is_signed_by(witness.verifier()));
    }

    #[test]
    fn signatures_merge_only_for_the_same_note() {
        let log = signer(ORIGIN);
        let a = signer("a.example/w");
        let b = signer("b.example/w");
        let cp = SignedCheckpoint::sign(head(3), &log).unwrap();
        let mut merged = cp.cosign(&a);
        merged.merge(&cp.cosign(&b)).unwrap();
        assert!(merged.is_signed_by(a.verifier()) && merged.is_signed_by(b.verifier()));
        assert_eq!(merged.signatures().len(), 3);
        let other = SignedCheckpoint::sign(head(4), &log).unwrap();
        assert_eq!(merged.merge(&other), Err(CheckpointError::DifferentNote));
    }

    #[test]
    fn a_witness_cosigns_only_a_consistent_extension() {
        let log = signer(ORIGIN);
        let witness = signer("agent.gemeente.example/witness");
        let vs = [log.verifier().clone()];
        let leaves: Vec<Hash> = (0..30u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = MerkleTree::from_leaves(leaves.iter().copied());
        let at = |size: u64, tree: &MerkleTree| Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root_at(size).unwrap(),
        };
        let held = at(11, &tree);
        let new = SignedCheckpoint::sign(at(30, &tree), &log).unwrap();
        let opened = open_checkpoint(ORIGIN, &vs, &new.to_bytes()).unwrap();
        let proof = consistency_proof(&tree, 11, 30).unwrap();
        let cosigned = witness_checkpoint(Some(&held), &opened, &proof, &witness).unwrap();
        let reopened = open_checkpoint(
            ORIGIN,
            &[log.verifier().clone(), witness.verifier().clone()],
            &cosigned.to_bytes(),
        )
        .unwrap();
        assert_eq!(reopened.cosigned_by, ["agent.gemeente.example/witness"]);
        // The first checkpoint a witness sees needs no proof.
        assert_eq!(
            witness_checkpoint(None, &opened, &[], &witness).map(|c| c.signatures().len()),
            Ok(2)
        );

        // The hub rewrites entry 5 and signs the new history: the witness refuses.
        let mut rewritten = leaves.clone();
        rewritten[5] = leaf_hash(b"rewritten");
        let forked = MerkleTree::from_leaves(rewritten);
        let new = SignedCheckpoint::sign(at(30, &forked), &log).unwrap();
        let opened = open_checkpoint(ORIGIN, &vs, &new.to_bytes()).unwrap();
        let proof = consistency_proof(&forked, 11, 30).unwrap();
        assert_eq!(
            witness_checkpoint(Some(&held), &opened, &proof, &witness),
            Err(WitnessError::Inconsistent {
                held_size: 11,
                new_size: 30,
                source: ConsistencyError::OldRootMismatch { from: 11, to: 30 }
            })
        );
        // A log that shrinks is refused too.
        let smaller = open_checkpoint(
            ORIGIN,
            &vs,
            &SignedCheckpoint::sign(at(10, &tree), &log)
                .unwrap()
                .to_bytes(),
        )
        .unwrap();
        assert!(matches!(
            witness_checkpoint(Some(&held), &smaller, &[], &witness),
            Err(WitnessError::Inconsistent {
                source: ConsistencyError::SizesReversed { from: 11, to: 10 },
                ..
            })
        ));
    }
}
