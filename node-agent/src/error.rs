//! Why an agent cannot start: its settings, certificates, covenant or source.

use std::path::PathBuf;

use crate::sources::SourceError;
use crate::tls::TlsSetupError;

/// The agent cannot start with this configuration; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The certificate, key or trust anchors are unusable.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// The covenant file cannot be read.
    #[error("cannot read the covenant {path}: {source}")]
    CovenantRead {
        /// The covenant file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The covenant file is not a valid encoded covenant.
    #[error(
        "the covenant {path} is not valid; run `covenant check {path}` for the details:\n{report}"
    )]
    CovenantInvalid {
        /// The covenant file.
        path: PathBuf,
        /// One line per problem.
        report: String,
    },
    /// The data source cannot be opened.
    #[error("the data source cannot be used: {0}")]
    Source(#[from] SourceError),
}
