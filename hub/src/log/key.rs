//! The hub's log key: an Ed25519 key in a PKCS#8 file, loaded at start-up or generated
//! into the file on the first start.
//!
//! - The file holds one PEM `PRIVATE KEY` block (PKCS#8; raw DER is read too, and so is
//!   a key made with `openssl genpkey -algorithm ed25519 -out log.key`).
//! - Its mode must give no access to group or others (`chmod 600`); a readable key
//!   file is refused at start-up rather than used.
//! - If the file does not exist, [`LogKey::load_or_generate`] creates it with mode
//!   0600 (`O_CREAT|O_EXCL`, so an existing key is never overwritten), writes a new
//!   key, and syncs the file and its directory before the key is used.
//! - Keep the key file outside the data directory, and back it up: a new key makes a
//!   new log identity, and witnesses pin the old one.
//!
//! From the same key the log derives a second, secret key that authenticates every
//! stored record (HMAC-SHA-256, see the `store` module): someone who can write the
//! data directory but cannot read the key file cannot alter a record without
//! `verify` naming it. The derivation is `SHA-256(Ed25519-sign(key,
//! "treiter-hub log record key v1"))`: Ed25519 signatures are deterministic, the
//! message can never be a checkpoint note (it has no newline), and the result does not
//! depend on how the key file is encoded.
//!
//! The key can live in a hardware token instead ([`crate::hsm`], `[hsm] log_key_label`):
//! the token signs, with the same Ed25519 signatures, and the record key is derived the
//! same way from a signature the token makes at start.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;

use super::checkpoint::{Checkpoint, CheckpointError, NoteSigner, NoteVerifier, SignedCheckpoint};
use super::hash::sha256;
use crate::hsm::{HsmError, Token, TokenSigner};

const RECORD_KEY_LABEL: &[u8] = b"treiter-hub log record key v1";

/// The key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the log key file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file failed the check every private key file gets (owner only, symlinks
    /// judged by their target): [`treiter_proto::keyfile`].
    #[error(transparent)]
    File(#[from] treiter_proto::keyfile::KeyFileError),
    #[error("the log key file {path} does not hold an Ed25519 PKCS#8 private key")]
    NotAKey { path: PathBuf },
    #[error("cannot create the log key file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot generate a log key: the system random source failed")]
    Random,
    #[error("the log's origin cannot be a key name: {0}")]
    Name(#[from] CheckpointError),
    /// Boxed: a token's error is large, and this enum travels in every start-up error.
    #[error(transparent)]
    Hsm(Box<HsmError>),
    #[error(
        "the log key in the hardware token does not sign with its own public key ({location}): the private and public key of that label are not one pair"
    )]
    TokenMismatch { location: String },
    #[error(
        "the hardware token has no log key ({location}): `hub init` or the first `hub serve` generates it"
    )]
    NotInToken { location: String },
}

impl From<HsmError> for KeyError {
    fn from(error: HsmError) -> Self {
        KeyError::Hsm(Box::new(error))
    }
}

/// Whether the key was read or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Loaded,
    Generated,
}

/// Where the signing key is: in this process (from a file) or in a hardware token.
enum Signer {
    File(NoteSigner),
    Token {
        verifier: NoteVerifier,
        key: TokenSigner,
    },
}

/// The log's signing key (named by the log's origin) and the record key derived from it.
pub struct LogKey {
    signer: Signer,
    record_key: hmac::Key,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogKey({})", self.verifier())
    }
}

impl LogKey {
    /// A key from a PKCS#8 document (DER).
    pub fn from_pkcs8(origin: &str, pkcs8_der: &[u8]) -> Result<LogKey, CheckpointError> {
        let signer = NoteSigner::from_pkcs8(origin, pkcs8_der)?;
        let derived = sha256(&signer.sign_raw(RECORD_KEY_LABEL));
        let record_key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_bytes());
        Ok(LogKey {
            signer: Signer::File(signer),
            record_key,
        })
    }

    /// The key pair in a hardware token. The token signs the record-key label once
    /// here; that signature is checked with the token's public key, so a private key
    /// that does not belong to the published verifier key is refused before it signs
    /// a checkpoint. `location` describes the key for messages.
    pub fn from_token(origin: &str, key: TokenSigner, location: &str) -> Result<LogKey, KeyError> {
        let verifier = NoteVerifier::new(origin, *key.public_key())?;
        let signature = key.sign(RECORD_KEY_LABEL)?;
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.public_key())
            .verify(RECORD_KEY_LABEL, &signature)
            .map_err(|_| KeyError::TokenMismatch {
                location: location.to_owned(),
            })?;
        let derived = sha256(&signature);
        let record_key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_bytes());
        Ok(LogKey {
            signer: Signer::Token { verifier, key },
            record_key,
        })
    }

    /// The key pair labelled `label` in `token`; `None` when the token has none.
    pub fn load_from_token(
        token: &std::sync::Arc<Token>,
        label: &str,
        origin: &str,
        location: &str,
    ) -> Result<LogKey, KeyError> {
        match token.ed25519_key(label)? {
            Some(key) => LogKey::from_token(origin, key, location),
            None => Err(KeyError::NotInToken {
                location: location.to_owned(),
            }),
        }
    }

    /// The key pair labelled `label` in `token`, generated there if the token has none
    /// (as a key file is on the first start).
    pub fn load_or_generate_in_token(
        token: &std::sync::Arc<Token>,
        label: &str,
        origin: &str,
        location: &str,
    ) -> Result<(LogKey, KeySource), KeyError> {
        NoteVerifier::new(origin, [0u8; 32])?;
        match token.ed25519_key(label)? {
            Some(key) => Ok((
                LogKey::from_token(origin, key, location)?,
                KeySource::Loaded,
            )),
            None => {
                let key = token.generate_ed25519(label)?;
                Ok((
                    LogKey::from_token(origin, key, location)?,
                    KeySource::Generated,
                ))
            }
        }
    }

    /// Reads the key file, checking its mode (module doc).
    pub fn load(path: &Path, origin: &str) -> Result<LogKey, KeyError> {
        let bytes = treiter_proto::keyfile::read_private(path, "the log key file")?;
        let der = if bytes.starts_with(b"-----BEGIN") {
            PrivatePkcs8KeyDer::from_pem_slice(&bytes)
                .map_err(|_| KeyError::NotAKey {
                    path: path.to_path_buf(),
                })?
                .secret_pkcs8_der()
                .to_vec()
        } else {
            bytes
        };
        LogKey::from_pkcs8(origin, &der).map_err(|e| match e {
            CheckpointError::BadSigningKey(_) => KeyError::NotAKey {
                path: path.to_path_buf(),
            },
            other => KeyError::Name(other),
        })
    }

    /// Reads the key file, or creates it with a new key if it does not exist.
    pub fn load_or_generate(path: &Path, origin: &str) -> Result<(LogKey, KeySource), KeyError> {
        // Refuse a bad origin before anything is written.
        NoteVerifier::new(origin, [0u8; 32])?;
        match std::fs::symlink_metadata(path) {
            Ok(_) => return Ok((LogKey::load(path, origin)?, KeySource::Loaded)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(KeyError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let write_err = |source| KeyError::Write {
            path: path.to_path_buf(),
            source,
        };
        let pkcs8 = generate_pkcs8()?;
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(f) => f,
            // Created meanwhile by another process: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Ok((LogKey::load(path, origin)?, KeySource::Loaded));
            }
            Err(e) => return Err(write_err(e)),
        };
        file.write_all(pem(&pkcs8).as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(write_err)?;
        }
        let key = LogKey::from_pkcs8(origin, &pkcs8).map_err(|e| match e {
            CheckpointError::BadSigningKey(_) => KeyError::NotAKey {
                path: path.to_path_buf(),
            },
            other => KeyError::Name(other),
        })?;
        Ok((key, KeySource::Generated))
    }

    /// The log's origin (its key name).
    pub fn origin(&self) -> &str {
        self.verifier().name()
    }

    /// Signs a tree head: here, or in the hardware token.
    pub fn sign_checkpoint(
        &self,
        checkpoint: Checkpoint,
    ) -> Result<SignedCheckpoint, CheckpointError> {
        match &self.signer {
            Signer::File(signer) => SignedCheckpoint::sign(checkpoint, signer),
            Signer::Token { verifier, key } => {
                SignedCheckpoint::sign_with(checkpoint, verifier, |text| {
                    key.sign(text)
                        .map(|s| s.to_vec())
                        .map_err(|e| e.to_string())
                })
            }
        }
    }

    /// Whether the signing key is in a hardware token.
    pub fn in_token(&self) -> bool {
        matches!(self.signer, Signer::Token { .. })
    }

    /// The public verifier key, for agents and auditors.
    pub fn verifier(&self) -> &NoteVerifier {
        match &self.signer {
            Signer::File(signer) => signer.verifier(),
            Signer::Token { verifier, .. } => verifier,
        }
    }

    /// The authentication tag of a stored record: HMAC-SHA-256 over `parts`.
    pub(crate) fn record_tag(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.record_key);
        for p in parts {
            ctx.update(p);
        }
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Whether `tag` is the record tag of `parts`, compared in constant time.
    pub(crate) fn verify_record_tag(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        hmac::verify(&self.record_key, &parts.concat(), tag).is_ok()
    }
}

/// A new Ed25519 key as a PKCS#8 (v2) DER document.
pub fn generate_pkcs8() -> Result<Vec<u8>, KeyError> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| KeyError::Random)
}

fn pem(der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use treiter_proto::keyfile::KeyFileError;

    const ORIGIN: &str = "hub.treiteraanpak.example/decision-log";

    #[test]
    fn first_start_generates_a_private_key_file_and_later_starts_load_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        let (key, source) = LogKey::load_or_generate(&path, ORIGIN).unwrap();
        assert_eq!(source, KeySource::Generated);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        let (again, source) = LogKey::load_or_generate(&path, ORIGIN).unwrap();
        assert_eq!(source, KeySource::Loaded);
        assert_eq!(again.verifier(), key.verifier());
        // The record key is a function of the key, not of the file's encoding.
        assert_eq!(again.record_tag(&[b"x"]), key.record_tag(&[b"x"]));
        let der = PrivatePkcs8KeyDer::from_pem_slice(text.as_bytes()).unwrap();
        let der_path = dir.path().join("log.der");
        std::fs::write(&der_path, der.secret_pkcs8_der()).unwrap();
        std::fs::set_permissions(&der_path, std::fs::Permissions::from_mode(0o400)).unwrap();
        let from_der = LogKey::load(&der_path, ORIGIN).unwrap();
        assert_eq!(from_der.record_tag(&[b"x"]), key.record_tag(&[b"x"]));
        assert_eq!(key.origin(), ORIGIN);
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        LogKey::load_or_generate(&path, ORIGIN).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = LogKey::load_or_generate(&path, ORIGIN).unwrap_err();
            assert!(
                matches!(err, KeyError::File(KeyFileError::Permissions { mode: m, .. }) if m == mode),
                "{err:?}"
            );
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn other_files_are_not_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        std::fs::write(&path, b"not a key").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            LogKey::load(&path, ORIGIN),
            Err(KeyError::NotAKey { .. })
        ));
        assert!(matches!(
            LogKey::load(dir.path(), ORIGIN),
            Err(KeyError::File(KeyFileError::NotAFile { .. }))
        ));
        assert!(matches!(
            LogKey::load(&dir.path().join("missing"), ORIGIN),
            Err(KeyError::File(KeyFileError::Read { .. }))
        ));
        assert!(matches!(
            LogKey::load_or_generate(&dir.path().join("new.key"), "has space"),
            Err(KeyError::Name(_))
        ));
    }

    #[test]
    fn different_keys_give_different_record_keys() {
        let a = LogKey::from_pkcs8(ORIGIN, &generate_pkcs8().unwrap()).unwrap();
        let b = LogKey::from_pkcs8(ORIGIN, &generate_pkcs8().unwrap()).unwrap();
        assert_ne!(a.record_tag(&[b"x"]), b.record_tag(&[b"x"]));
        assert_ne!(a.record_tag(&[b"x"]), a.record_tag(&[b"y"]));
    }
}
