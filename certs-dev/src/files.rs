//! Writing the PKI to disk: keys private from birth, nothing ever overwritten.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
// Unix only: the key files' mode is set when they are created, never afterwards, so
// there is no moment at which another user could open a key that is still 0644.
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::Error;
use crate::layout::{Layout, OWNED_DIRS};

/// Mode of private key files: readable by their owner only.
const KEY_MODE: u32 = 0o600;

/// Mode of certificates, the CRL and the registry: public material.
const PUBLIC_MODE: u32 = 0o644;

/// One file to write.
pub(crate) struct Planned {
    pub(crate) path: PathBuf,
    pub(crate) contents: String,
    /// A private key: written with [`KEY_MODE`].
    pub(crate) secret: bool,
}

impl Planned {
    pub(crate) fn key(path: PathBuf, contents: String) -> Self {
        Planned {
            path,
            contents,
            secret: true,
        }
    }

    pub(crate) fn public(path: PathBuf, contents: String) -> Self {
        Planned {
            path,
            contents,
            secret: false,
        }
    }
}

/// Whether anything (a file, directory or even a dangling symlink) is at `path`.
pub(crate) fn occupied(path: &std::path::Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Removes every part of a previous PKI under `layout`: the directories it owns and
/// the registry. Anything else in the output directory is left alone, so `--force`
/// on the wrong directory cannot wipe unrelated files next to a PKI.
pub(crate) fn remove_previous(layout: &Layout) -> Result<(), Error> {
    for dir in OWNED_DIRS {
        let path = layout.root().join(dir);
        // `remove_dir_all` removes a symlink itself, not what it points to.
        match fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Remove { path, source }),
        }
    }
    let path = layout.registry();
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Remove { path, source }),
    }
}

/// Writes every planned file, in order, creating directories as needed.
///
/// All paths are checked before the first write, so a refusal leaves the directory
/// exactly as it was rather than holding half a PKI.
pub(crate) fn write_all(files: &[Planned]) -> Result<(), Error> {
    if let Some(taken) = files.iter().find(|f| occupied(&f.path)) {
        return Err(Error::WouldOverwrite {
            path: taken.path.clone(),
        });
    }
    for file in files {
        if let Some(parent) = file.path.parent() {
            fs::create_dir_all(parent).map_err(|source| Error::CreateDir {
                path: parent.to_owned(),
                source,
            })?;
        }
        write_new(file)?;
    }
    Ok(())
}

fn write_new(file: &Planned) -> Result<(), Error> {
    let mode = if file.secret { KEY_MODE } else { PUBLIC_MODE };
    let write_err = |source| Error::Write {
        path: file.path.clone(),
        source,
    };
    // `create_new`: even if something appeared since the check, it is not replaced.
    let mut handle = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&file.path)
        .map_err(|source| match source.kind() {
            ErrorKind::AlreadyExists => Error::WouldOverwrite {
                path: file.path.clone(),
            },
            _ => write_err(source),
        })?;
    handle
        .write_all(file.contents.as_bytes())
        .map_err(write_err)?;
    handle.sync_all().map_err(write_err)
}
