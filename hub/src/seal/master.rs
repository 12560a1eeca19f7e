//! The hub's master key: it wraps every case key (never data itself).
//!
//! It comes from `master_key_file` in the configuration (32 random bytes, as base64 text
//! or raw, mode 0600) or, when no file is configured, from the environment variable
//! [`MASTER_KEY_ENV`] (base64). It is never kept in the data directory: a copy of the
//! data must not carry the key that opens it. `hub master-key generate` makes one.
//!
//! Or it is an AES-256 key in a hardware token (`[hsm] master_key_label`, see
//! [`crate::hsm`]): then the case keys are wrapped and unwrapped by the token, with the
//! same AES-256-GCM layout, and the master key never enters the hub's memory.
//! `hub master-key generate --config FILE` makes it in the token.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::aead::{KEY_LEN, Key};
use crate::hsm::{GcmFailure, HsmError, TokenAesKey};

/// The environment variable that holds the master key (base64) when the configuration
/// names no `master_key_file`.
pub const MASTER_KEY_ENV: &str = "TREITER_HUB_MASTER_KEY";

/// Where a master key came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Env,
    /// A hardware token: where, in words (module, token, label).
    Token(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(path) => write!(f, "the master key file {}", path.display()),
            Origin::Env => write!(f, "the environment variable {MASTER_KEY_ENV}"),
            Origin::Token(location) => {
                write!(f, "the master key in the hardware token ({location})")
            }
        }
    }
}

/// The master key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error(
        "no master key: set `master_key_file` in the hub configuration or the environment variable {MASTER_KEY_ENV}; create one with `hub master-key generate --out FILE`"
    )]
    NotConfigured,
    /// The file failed the check every private key file gets (owner only, symlinks
    /// judged by their target): [`treiter_proto::keyfile`].
    #[error(transparent)]
    File(#[from] treiter_proto::keyfile::KeyFileError),
    #[error(
        "the master key {path} is inside the data directory {data_dir}: keep it elsewhere, so that a copy of the data does not carry the key that opens it"
    )]
    InsideDataDir { path: PathBuf, data_dir: PathBuf },
    #[error("{origin} is not a master key: {why}")]
    Malformed { origin: Origin, why: &'static str },
    #[error("{path} exists already; a master key is never overwritten")]
    Exists { path: PathBuf },
    #[error("cannot write the master key file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the system random generator failed")]
    Random,
    /// Boxed: a token's error is large, and this enum travels in every start-up error.
    #[error(transparent)]
    Hsm(Box<HsmError>),
    #[error(
        "the hardware token has no master key ({location}): make it with `hub master-key generate --config FILE`"
    )]
    NotInToken { location: String },
    #[error(
        "the configuration has no `[hsm] master_key_label`, so there is no token to make the master key in: write a master key file with `hub master-key generate --out FILE` instead, or add the label"
    )]
    NoTokenConfigured,
}

impl From<HsmError> for MasterKeyError {
    fn from(error: HsmError) -> Self {
        MasterKeyError::Hsm(Box::new(error))
    }
}

/// Where the master key is: in memory as a ring key, or in a hardware token.
#[derive(Debug)]
// One master key per hub: the size of its larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Backend {
    Memory(Key),
    Token(TokenAesKey),
}

/// The master key: in memory only as a ring key, or a handle of a key in a token.
#[derive(Debug)]
pub struct MasterKey {
    key: Backend,
    origin: Origin,
}

impl MasterKey {
    /// Loads the master key from `file`, or from the environment when `file` is `None`.
    /// `data_dir` is the hub's data directory, which must not hold the file.
    pub fn load(file: Option<&Path>, data_dir: &Path) -> Result<MasterKey, MasterKeyError> {
        match file {
            Some(path) => Self::load_file(path, data_dir),
            None => match std::env::var(MASTER_KEY_ENV) {
                Ok(text) => Self::from_text(text.as_bytes(), Origin::Env),
                Err(_) => Err(MasterKeyError::NotConfigured),
            },
        }
    }

    fn load_file(path: &Path, data_dir: &Path) -> Result<MasterKey, MasterKeyError> {
        if is_inside(path, data_dir) {
            return Err(MasterKeyError::InsideDataDir {
                path: path.to_path_buf(),
                data_dir: data_dir.to_path_buf(),
            });
        }
        let bytes = treiter_proto::keyfile::read_private(path, "the master key file")?;
        Self::from_text(&bytes, Origin::File(path.to_path_buf()))
    }

    /// A key from raw bytes (32) or base64 text of 32 bytes.
    fn from_text(bytes: &[u8], origin: Origin) -> Result<MasterKey, MasterKeyError> {
        let raw: [u8; KEY_LEN] = match <[u8; KEY_LEN]>::try_from(bytes) {
            Ok(raw) => raw,
            Err(_) => {
                let text = std::str::from_utf8(bytes).map_err(|_| MasterKeyError::Malformed {
                    origin: origin.clone(),
                    why: "expected 32 raw bytes or their base64 encoding",
                })?;
                let decoded =
                    STANDARD
                        .decode(text.trim())
                        .map_err(|_| MasterKeyError::Malformed {
                            origin: origin.clone(),
                            why: "expected 32 raw bytes or their base64 encoding",
                        })?;
                <[u8; KEY_LEN]>::try_from(decoded.as_slice()).map_err(|_| {
                    MasterKeyError::Malformed {
                        origin: origin.clone(),
                        why: "the base64 text does not decode to 32 bytes",
                    }
                })?
            }
        };
        Ok(MasterKey {
            key: Backend::Memory(Key::new(&raw)),
            origin,
        })
    }

    /// A master key from raw bytes (tests).
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        MasterKey {
            key: Backend::Memory(Key::new(bytes)),
            origin: Origin::Env,
        }
    }

    /// The AES-256 key in a hardware token; `location` describes it (module, token,
    /// label).
    pub fn from_token(key: TokenAesKey, location: String) -> MasterKey {
        MasterKey {
            key: Backend::Token(key),
            origin: Origin::Token(location),
        }
    }

    /// `nonce | ciphertext | tag` of `plaintext` bound to `aad`: AES-256-GCM, here or
    /// in the token.
    pub(crate) fn seal(
        &self,
        rng: &ring::rand::SystemRandom,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, MasterKeyError> {
        match &self.key {
            Backend::Memory(key) => key
                .seal(rng, aad, plaintext)
                .map_err(|_| MasterKeyError::Random),
            Backend::Token(key) => {
                let mut nonce = [0u8; 12];
                ring::rand::SecureRandom::fill(rng, &mut nonce)
                    .map_err(|_| MasterKeyError::Random)?;
                Ok(key.seal(nonce, aad, plaintext)?)
            }
        }
    }

    /// The plaintext of what [`MasterKey::seal`] made, or `None` when it does not open
    /// under this key (wrong key, damaged or moved). An error is a token that failed.
    pub(crate) fn open(
        &self,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Option<Vec<u8>>, MasterKeyError> {
        match &self.key {
            Backend::Memory(key) => Ok(key.open(aad, sealed).ok()),
            Backend::Token(key) => match key.open(aad, sealed) {
                Ok(plain) => Ok(Some(plain)),
                Err(GcmFailure::DoesNotOpen) => Ok(None),
                Err(GcmFailure::Token(e)) => Err(e.into()),
            },
        }
    }

    /// Where the key came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

/// Writes a new random master key to `out` as base64 text, mode 0600; refuses to
/// overwrite anything.
pub fn generate(out: &Path) -> Result<(), MasterKeyError> {
    let rng = ring::rand::SystemRandom::new();
    let key = super::aead::random_key(&rng).map_err(|_| MasterKeyError::Random)?;
    let write_error = |source| MasterKeyError::Write {
        path: out.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            MasterKeyError::Exists {
                path: out.to_path_buf(),
            }
        } else {
            write_error(e)
        }
    })?;
    file.write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())
        .map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    Ok(())
}

/// Whether `path` is `dir` or lies under it, after resolving what exists of both (so a
/// symlink or `..` does not hide it).
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    resolve(path).starts_with(resolve(dir))
}

fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    // Canonicalise the longest existing ancestor and keep the rest as written.
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_0600_loads_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        generate(&path).unwrap();
        let data = dir.path().join("data");
        MasterKey::load(Some(&path), &data).unwrap();
        assert!(matches!(
            generate(&path),
            Err(MasterKeyError::Exists { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_others_can_read_naming_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        generate(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load(Some(&path), &dir.path().join("data")).unwrap_err();
        assert!(
            matches!(
                err,
                MasterKeyError::File(treiter_proto::keyfile::KeyFileError::Permissions {
                    mode: 0o644,
                    ..
                })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn refuses_a_key_inside_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let path = data.join("sub/../master.key");
        std::fs::create_dir_all(data.join("sub")).unwrap();
        generate(&data.join("master.key")).unwrap();
        assert!(matches!(
            MasterKey::load(Some(&path), &data),
            Err(MasterKeyError::InsideDataDir { .. })
        ));
    }

    #[test]
    fn refuses_malformed_keys() {
        let err = MasterKey::from_text(b"not base64!", Origin::Env).unwrap_err();
        assert!(matches!(err, MasterKeyError::Malformed { .. }), "{err}");
        let short = STANDARD.encode([1u8; 16]);
        let err = MasterKey::from_text(short.as_bytes(), Origin::Env).unwrap_err();
        assert!(matches!(err, MasterKeyError::Malformed { .. }), "{err}");
        MasterKey::from_text(&[7u8; 32], Origin::Env).unwrap();
    }
}
