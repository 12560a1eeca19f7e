//! The hub's master key: it wraps every case key (never data itself).
//!
//! It comes from `master_key_file` in the configuration (32 random bytes, as base64 text
//! or raw, mode 0600) or, when no file is configured, from the environment variable
//! [`MASTER_KEY_ENV`] (base64). It is never kept in the data directory: a copy of the
//! data must not carry the key that opens it. `hub master-key generate` makes one.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::aead::{KEY_LEN, Key};

/// The environment variable that holds the master key (base64) when the configuration
/// names no `master_key_file`.
pub const MASTER_KEY_ENV: &str = "TREITER_HUB_MASTER_KEY";

/// Where a master key came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Env,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(path) => write!(f, "the master key file {}", path.display()),
            Origin::Env => write!(f, "the environment variable {MASTER_KEY_ENV}"),
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
}

/// The master key, kept in memory only as a ring key.
#[derive(Debug)]
pub struct MasterKey {
    key: Key,
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
            key: Key::new(&raw),
            origin,
        })
    }

    /// A master key from raw bytes (tests).
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        MasterKey {
            key: Key::new(bytes),
            origin: Origin::Env,
        }
    }

    pub(crate) fn key(&self) -> &Key {
        &self.key
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
