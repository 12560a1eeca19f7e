//! Why an agent cannot start: its settings, certificates, covenant, source, pseudonym
//! key or receipt log.

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
    /// The pseudonym key file is unusable.
    #[error(transparent)]
    PseudonymKey(#[from] treiter_pseudonym::KeyError),
    /// A SQLite category has no pseudonym key (the configuration normally refuses it).
    #[error("{setting} reads SQLite but pseudonym_key is not set")]
    MissingPseudonymKey {
        /// The category's setting.
        setting: String,
    },
    /// A column is mapped to a field the covenant does not list for the category:
    /// it would always be stripped (article 8.1), so the mapping is a mistake.
    #[error(
        "{setting} maps to the field '{field}', which the covenant does not list for '{category}' (article 6); its fields are: {listed}"
    )]
    UnknownField {
        /// The setting, e.g. `category.huurgegevens.fields.status`.
        setting: String,
        /// The field name mapped to.
        field: String,
        /// The category.
        category: treiter_policies::Category,
        /// The category's fields.
        listed: String,
    },
    /// The witness key, log verifier or witnessed checkpoint is unusable.
    #[error(transparent)]
    Witness(#[from] crate::witness::WitnessSetupError),
    /// The receipt log cannot be opened.
    #[error(transparent)]
    Receipts(#[from] crate::receipts::ReceiptError),
    /// The inbox directory or its key file is unusable.
    #[error(transparent)]
    Inbox(#[from] crate::inbox::InboxError),
}
