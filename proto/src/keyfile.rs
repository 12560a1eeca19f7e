//! Private key files: one check for every secret the hub, the agents and hubctl read
//! from disk (TLS keys, the log's signing key, witness keys, the master key, the
//! pseudonym key, inbox keys).
//!
//! [`read_private`] opens the file first and judges the opened file, so the check and
//! the read are about the same file even if the path changes in between:
//! - a symlink is followed and its **target** is judged; messages name the resolved
//!   path as well, because that is the file whose mode must change;
//! - the target must be a regular file;
//! - group and others must have no access at all (`chmod 600`): anyone who can read a
//!   key can act as its owner (Unix only; elsewhere the file's ACLs are the operator's
//!   job);
//! - the file may not exceed [`MAX_KEY_FILE_BYTES`]: every key this project reads is a
//!   few kilobytes at most, and a huge file is a wrong setting, not a key.
//!
//! Messages name the file and its role ("the log key file"), the mode found, and the
//! command that fixes it. They never show the key's content.
//!
//! # Passphrase-protected keys
//! A TLS key may be kept encrypted: an encrypted PKCS#8 PEM file (`ENCRYPTED PRIVATE
//! KEY`, PBES2 as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it), or a PKCS#12
//! bundle (`.p12`/`.pfx`, a person certificate with its key and chain, as browsers
//! and Windows export them). The passphrase comes from a [`PassphraseSource`]: a
//! setting `key_passphrase = "file:PATH"` (a file that is checked like a key file),
//! `"env:NAME"` (an environment variable) or `"prompt"` (asked on the terminal,
//! without echo; interactive tools only). It is wiped from memory after use and never
//! appears in a message. An encrypted key without a configured passphrase is refused
//! as such ([`PassphraseError::Missing`]), never as a file that "holds no key".

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Where the passphrase of an encrypted private key comes from (module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PassphraseSource {
    /// No passphrase is configured: the key must not be encrypted.
    #[default]
    None,
    /// The environment variable of this name.
    Env(String),
    /// The first line of this file (checked like a private key file: `chmod 600`).
    File(PathBuf),
    /// Asked on the terminal, without echo.
    Prompt,
}

/// A passphrase: wiped from memory when dropped.
pub type Passphrase = zeroize::Zeroizing<String>;

/// A passphrase that cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// The key is encrypted, but no passphrase is configured.
    #[error(
        "{what} {path} is encrypted ({form}), but no passphrase is configured: set {setting} = \"file:PATH\" (a file holding the passphrase, mode 600) or \"env:NAME\" (an environment variable){prompt}"
    )]
    Missing {
        what: &'static str,
        path: PathBuf,
        /// `encrypted PKCS#8` or `a PKCS#12 bundle`.
        form: &'static str,
        /// The setting that configures it, e.g. `key_passphrase`.
        setting: &'static str,
        /// `, or "prompt"` where the tool may ask.
        prompt: &'static str,
    },
    /// The environment variable is not set (or not Unicode).
    #[error(
        "the passphrase of {what} {path} comes from the environment variable {name} (setting {setting}), which is not set"
    )]
    EnvUnset {
        what: &'static str,
        path: PathBuf,
        name: String,
        setting: &'static str,
    },
    /// The passphrase file cannot be used.
    #[error("the passphrase file of {what} {path} cannot be used: {source}")]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: KeyFileError,
    },
    /// The passphrase file is not UTF-8 text or is empty.
    #[error(
        "the passphrase file {file} is empty or not text: write the passphrase on its first line"
    )]
    FileContent { file: PathBuf },
    /// No terminal to ask on, or reading from it failed.
    #[error(
        "cannot ask for the passphrase of {what} {path} on the terminal: {source}; use key_passphrase = \"file:PATH\" or \"env:NAME\" instead"
    )]
    Prompt {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PassphraseSource {
    /// Parses a `key_passphrase` setting: `file:PATH` (relative to `base`), `env:NAME`
    /// or `prompt` (only where `prompt_allowed`). The error names the setting.
    pub fn parse(
        setting: &str,
        value: &str,
        base: &Path,
        prompt_allowed: bool,
    ) -> Result<PassphraseSource, String> {
        if let Some(path) = value.strip_prefix("file:") {
            let path = PathBuf::from(path);
            if path.as_os_str().is_empty() {
                return Err(format!("{setting} = \"file:\" names no file"));
            }
            return Ok(PassphraseSource::File(if path.is_absolute() {
                path
            } else {
                base.join(path)
            }));
        }
        if let Some(name) = value.strip_prefix("env:") {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(format!(
                    "{setting} = \"env:{name}\" does not name an environment variable"
                ));
            }
            return Ok(PassphraseSource::Env(name.to_owned()));
        }
        if value == "prompt" {
            if prompt_allowed {
                return Ok(PassphraseSource::Prompt);
            }
            return Err(format!(
                "{setting} = \"prompt\": a service cannot ask on a terminal; use \"file:PATH\" (mode 600) or \"env:NAME\""
            ));
        }
        Err(format!(
            "{setting} = \"{}\" is not a passphrase source: use \"file:PATH\", \"env:NAME\"{}",
            crate::text::escape_control(value),
            if prompt_allowed { " or \"prompt\"" } else { "" }
        ))
    }

    /// Whether a passphrase is configured.
    pub fn is_configured(&self) -> bool {
        !matches!(self, PassphraseSource::None)
    }

    /// The passphrase for the key `what` at `path`, or `None` when none is
    /// configured. `setting` names the setting in messages.
    pub fn read(
        &self,
        what: &'static str,
        path: &Path,
        setting: &'static str,
    ) -> Result<Option<Passphrase>, PassphraseError> {
        match self {
            PassphraseSource::None => Ok(None),
            PassphraseSource::Env(name) => match std::env::var(name) {
                Ok(value) => Ok(Some(zeroize::Zeroizing::new(value))),
                Err(_) => Err(PassphraseError::EnvUnset {
                    what,
                    path: path.to_path_buf(),
                    name: name.clone(),
                    setting,
                }),
            },
            PassphraseSource::File(file) => {
                let bytes =
                    zeroize::Zeroizing::new(read_private(file, "the passphrase file").map_err(
                        |source| PassphraseError::File {
                            what,
                            path: path.to_path_buf(),
                            source,
                        },
                    )?);
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| PassphraseError::FileContent { file: file.clone() })?;
                let line = text.lines().next().unwrap_or_default();
                if line.is_empty() {
                    return Err(PassphraseError::FileContent { file: file.clone() });
                }
                Ok(Some(zeroize::Zeroizing::new(line.to_owned())))
            }
            PassphraseSource::Prompt => {
                let question = format!("passphrase of {what} {}: ", path.display());
                rpassword::prompt_password(question)
                    .map(|p| Some(zeroize::Zeroizing::new(p)))
                    .map_err(|source| PassphraseError::Prompt {
                        what,
                        path: path.to_path_buf(),
                        source,
                    })
            }
        }
    }
}

/// The largest private key file any component reads (an RSA-8192 PKCS#8 PEM is about
/// 6.5 KB).
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// A private key file that must not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file cannot be opened or read (most often: it does not exist).
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path (or the file its symlink points at) is not a regular file.
    #[error("{what} {} is not a regular file", shown(path, resolved))]
    NotAFile {
        what: &'static str,
        path: PathBuf,
        resolved: PathBuf,
    },
    /// Group or others may access the file.
    #[error(
        "{what} {} has mode {mode:04o}: group or others can access it, and anyone who can read a private key can use it; run `chmod 600 {}`",
        shown(path, resolved),
        resolved.display()
    )]
    Permissions {
        what: &'static str,
        path: PathBuf,
        /// The file the path resolves to (the path itself when it is no symlink).
        resolved: PathBuf,
        /// The permission bits of `resolved`.
        mode: u32,
    },
    /// The file is larger than any key could be.
    #[error(
        "{what} {} is {len} bytes, larger than any key ({MAX_KEY_FILE_BYTES} bytes at most); check that the setting names the key file",
        shown(path, resolved)
    )]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        resolved: PathBuf,
        len: u64,
    },
}

impl KeyFileError {
    /// The path as configured.
    pub fn path(&self) -> &Path {
        match self {
            KeyFileError::Read { path, .. }
            | KeyFileError::NotAFile { path, .. }
            | KeyFileError::Permissions { path, .. }
            | KeyFileError::TooLarge { path, .. } => path,
        }
    }
}

/// `PATH` or `PATH (a symlink to TARGET)`.
fn shown(path: &Path, resolved: &Path) -> String {
    if path == resolved {
        path.display().to_string()
    } else {
        format!("{} (a symlink to {})", path.display(), resolved.display())
    }
}

/// Reads the private key file at `path` after the checks of the module doc. `what`
/// names the file's role in messages, e.g. `"the log key file"`.
pub fn read_private(path: &Path, what: &'static str) -> Result<Vec<u8>, KeyFileError> {
    let read_error = |source| KeyFileError::Read {
        what,
        path: path.to_path_buf(),
        source,
    };
    // Opening follows symlinks; the metadata of the open file is the target's.
    let mut file = File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    let resolved = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    if !meta.is_file() {
        return Err(KeyFileError::NotAFile {
            what,
            path: path.to_path_buf(),
            resolved,
        });
    }
    check_mode(path, &resolved, &meta, what)?;
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::TooLarge {
            what,
            path: path.to_path_buf(),
            resolved,
            len: meta.len(),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `take`: a file that grows after the size check still cannot exhaust memory.
    (&mut file)
        .take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::TooLarge {
            what,
            path: path.to_path_buf(),
            resolved,
            len: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn check_mode(
    path: &Path,
    resolved: &Path,
    meta: &std::fs::Metadata,
    what: &'static str,
) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            what,
            path: path.to_path_buf(),
            resolved: resolved.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(
    _path: &Path,
    _resolved: &Path,
    _meta: &std::fs::Metadata,
    _what: &'static str,
) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    const WHAT: &str = "the test key file";

    fn key_file(dir: &Path, mode: u32) -> PathBuf {
        let path = dir.join("test.key");
        std::fs::write(&path, b"secret").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn an_owner_only_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o400] {
            let path = key_file(dir.path(), mode);
            assert_eq!(read_private(&path, WHAT).unwrap(), b"secret");
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn group_or_world_access_is_refused_with_the_mode_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o640, 0o604, 0o644, 0o660, 0o610, 0o601] {
            let path = key_file(dir.path(), mode);
            let err = read_private(&path, WHAT).unwrap_err();
            assert!(
                matches!(&err, KeyFileError::Permissions { mode: m, .. } if *m == mode),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(text.contains(&format!("mode {mode:04o}")), "{text}");
            assert!(
                text.contains(&format!("chmod 600 {}", path.display())),
                "{text}"
            );
            assert!(text.starts_with("the test key file "), "{text}");
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn a_symlink_is_judged_by_its_target_and_the_message_names_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = key_file(dir.path(), 0o644);
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // The link itself is 0777 on Linux; only the target's mode counts.
        let err = read_private(&link, WHAT).unwrap_err();
        let resolved = std::fs::canonicalize(&target).unwrap();
        match &err {
            KeyFileError::Permissions {
                path,
                resolved: r,
                mode,
                ..
            } => {
                assert_eq!(path, &link);
                assert_eq!(r, &resolved);
                assert_eq!(*mode, 0o644);
            }
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("a symlink to"), "{text}");
        assert!(
            text.contains(&format!("chmod 600 {}", resolved.display())),
            "{text}"
        );
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_private(&link, WHAT).unwrap(), b"secret");
    }

    #[test]
    fn directories_missing_files_and_huge_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(
            read_private(&sub, WHAT),
            Err(KeyFileError::NotAFile { .. })
        ));
        assert!(matches!(
            read_private(&dir.path().join("missing"), WHAT),
            Err(KeyFileError::Read { .. })
        ));
        let big = dir.path().join("big.key");
        std::fs::write(&big, vec![b'a'; MAX_KEY_FILE_BYTES as usize + 1]).unwrap();
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            read_private(&big, WHAT),
            Err(KeyFileError::TooLarge { .. })
        ));
    }
}
