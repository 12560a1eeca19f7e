//! The inbox key and sealing with AES-256-GCM (article 12.2).
//!
//! The key file holds 32 random bytes and must be readable by the agent's user only
//! (mode 0600): whoever reads it reads every received share. It is generated on first
//! use. A sealed delivery file (all shares of one delivery) is
//!
//! ```text
//! "TID1" | nonce (12 bytes, random) | ciphertext | tag (16 bytes)
//! ```
//!
//! with `delivery <delivery id>` as associated data, so a file renamed to another
//! delivery's name does not open. A sealed share of the format before (one file per
//! share, read only to migrate it) starts with `"TIB1"` and has the share's id as
//! associated data; the two never open as each other (different associated data).

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The first bytes of a sealed share of the format before delivery files: format and
/// version.
const MAGIC: &[u8; 4] = b"TIB1";
/// The first bytes of a sealed delivery file: format and version.
const DELIVERY_MAGIC: &[u8; 4] = b"TID1";
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
    /// The sealed file does not start with the inbox format's magic bytes.
    #[error("the inbox file of {what} {id} is not a sealed inbox file (unknown format)")]
    Format {
        /// `delivery` or `share`.
        what: &'static str,
        /// The delivery's or share's id.
        id: String,
    },
    /// Authentication failed: the file was changed, belongs to another id, or was
    /// sealed under another key.
    #[error(
        "the inbox file of {what} {id} does not open: it was changed, renamed, or sealed under another inbox key"
    )]
    Open {
        /// `delivery` or `share`.
        what: &'static str,
        /// The delivery's or share's id.
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

    /// Seals `plaintext`, all shares of the delivery `delivery`.
    pub fn seal_delivery(&self, delivery: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_with(DELIVERY_MAGIC, &delivery_aad(delivery), plaintext)
    }

    /// Opens the sealed delivery file of `delivery`.
    pub fn open_delivery(&self, delivery: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        self.open_with(
            DELIVERY_MAGIC,
            &delivery_aad(delivery),
            sealed,
            "delivery",
            delivery,
        )
    }

    /// Seals `plaintext` for the share `id` in the format before delivery files (for
    /// tests of the migration: the inbox no longer writes it).
    pub fn seal(&self, id: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_with(MAGIC, id.as_bytes(), plaintext)
    }

    /// Opens the sealed share `id` of the format before delivery files.
    pub fn open(&self, id: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        self.open_with(MAGIC, id.as_bytes(), sealed, "share", id)
    }

    fn seal_with(
        &self,
        magic: &[u8; 4],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| SealError::Random)?;
        let mut sealed = Vec::with_capacity(magic.len() + NONCE_LEN + body.len());
        sealed.extend_from_slice(magic);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    fn open_with(
        &self,
        magic: &[u8; 4],
        aad: &[u8],
        sealed: &[u8],
        what: &'static str,
        id: &str,
    ) -> Result<Vec<u8>, SealError> {
        let format = || SealError::Format {
            what,
            id: id.to_owned(),
        };
        let rest = sealed.strip_prefix(magic.as_slice()).ok_or_else(format)?;
        if rest.len() < NONCE_LEN {
            return Err(format());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| format())?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut body)
            .map_err(|_| SealError::Open {
                what,
                id: id.to_owned(),
            })?;
        Ok(plain.to_vec())
    }
}

/// The associated data of a delivery file: never equal to a share id's (which has no
/// space), so a share file of the format before never opens as a delivery file.
fn delivery_aad(delivery: &str) -> Vec<u8> {
    format!("delivery {delivery}").into_bytes()
}
