//! The inbox key and sealing one share with AES-256-GCM (article 12.2).
//!
//! The key file holds 32 random bytes and must be readable by the agent's user only
//! (mode 0600): whoever reads it reads every received share. It is generated on first
//! use. A sealed share is
//!
//! ```text
//! "TIB1" | nonce (12 bytes, random) | ciphertext | tag (16 bytes)
//! ```
//!
//! with the share's id as associated data, so a file renamed to another share's name
//! does not open.

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The first bytes of a sealed share: format and version.
const MAGIC: &[u8; 4] = b"TIB1";
/// The key's length in bytes.
pub const KEY_LEN: usize = 32;

/// The key file or a sealed share is unusable.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Reading or writing the key file failed.
    #[error("the inbox key file {path} cannot be used: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold exactly 32 bytes.
    #[error("the inbox key file {path} holds {len} bytes, not {KEY_LEN}")]
    KeyLength {
        /// The key file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The key file failed the check every private key file gets (owner only,
    /// symlinks judged by their target): [`treiter_proto::keyfile`].
    #[error(transparent)]
    KeyFile(#[from] treiter_proto::keyfile::KeyFileError),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
    /// The sealed share does not start with the inbox format's magic bytes.
    #[error("share {id} is not a sealed inbox share (unknown format)")]
    Format {
        /// The share's id.
        id: String,
    },
    /// Authentication failed: the file was changed, belongs to another id, or was
    /// sealed under another key.
    #[error("share {id} does not open: it was changed, renamed, or sealed under another inbox key")]
    Open {
        /// The share's id.
        id: String,
    },
}

/// The inbox key, ready to seal and open shares.
pub struct InboxKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for InboxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.write_str("InboxKey(..)")
    }
}

impl InboxKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> InboxKey {
        // ring refuses only a key of the wrong length, which the type excludes.
        let unbound = match UnboundKey::new(&AES_256_GCM, bytes) {
            Ok(key) => key,
            Err(_) => unreachable!("AES-256-GCM takes a 32-byte key"),
        };
        InboxKey {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// Reads the key file, or creates it (mode 0600, 32 random bytes) when absent.
    pub fn load_or_create(path: &Path) -> Result<InboxKey, SealError> {
        let io = |source| SealError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; KEY_LEN];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| SealError::Random)?;
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(io)?;
                file.write_all(&bytes).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(InboxKey::from_bytes(&bytes))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Reads an existing key file, checking its length and, as every private key
    /// file ([`treiter_proto::keyfile`]), its mode.
    pub fn load(path: &Path) -> Result<InboxKey, SealError> {
        let bytes = treiter_proto::keyfile::read_private(path, "the inbox key file")?;
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SealError::KeyLength {
                path: path.to_path_buf(),
                len: bytes.len(),
            })?;
        Ok(InboxKey::from_bytes(&key))
    }

    /// Seals `plaintext` for the share `id`.
    pub fn seal(&self, id: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(id.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::Random)?;
        let mut sealed = Vec::with_capacity(MAGIC.len() + NONCE_LEN + body.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Opens the sealed share `id`.
    pub fn open(&self, id: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let rest = sealed
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| SealError::Format { id: id.to_owned() })?;
        if rest.len() < NONCE_LEN {
            return Err(SealError::Format { id: id.to_owned() });
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| SealError::Format { id: id.to_owned() })?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(id.as_bytes()), &mut body)
            .map_err(|_| SealError::Open { id: id.to_owned() })?;
        Ok(plain.to_vec())
    }
}
