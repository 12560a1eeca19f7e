//! The library's errors. Each names the file or certificate it concerns.

use std::io;
use std::path::PathBuf;

/// Why writing or reading a development PKI failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The output directory already holds this file of a PKI. Replacing a CA key
    /// silently would invalidate every certificate issued under it, so that needs
    /// an explicit `force`.
    #[error(
        "refusing to overwrite {}: the directory already holds a development PKI; \
         pass --force to replace it, or choose a fresh directory",
        path.display()
    )]
    WouldOverwrite {
        /// The existing file (for a PKI, `ca/root.key`).
        path: PathBuf,
    },

    /// A directory of the tree could not be created.
    #[error("cannot create directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },

    /// A file of the tree could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },

    /// With `force`, a part of the previous PKI could not be removed.
    #[error("cannot remove previous {}", path.display())]
    Remove {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },

    /// A file or directory could not be read (listing a PKI).
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },

    /// A file of the PKI is not the PEM certificate or CRL it should be (listing a PKI).
    #[error("cannot parse {}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },

    /// rcgen refused to build a certificate, key or CRL.
    #[error("cannot build {what}")]
    Certificate {
        /// Which certificate, e.g. "party certificate for politie".
        what: String,
        /// rcgen's reason.
        #[source]
        source: rcgen::Error,
    },
}

impl Error {
    /// Wraps an rcgen error with the name of what was being built.
    pub(crate) fn certificate(what: impl Into<String>) -> impl FnOnce(rcgen::Error) -> Error {
        let what = what.into();
        move |source| Error::Certificate { what, source }
    }
}
