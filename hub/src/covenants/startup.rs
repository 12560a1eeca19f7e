//! Which covenant the hub starts with.
//!
//! - First start (no version stored): the configured covenant file is registered as the
//!   initial version, in force, without proposer or approvals.
//! - Later starts: the version in force in the store is used, whatever the file says,
//!   because an approved switch (article 13.1) must survive a restart. A file that
//!   declares the same version with another text, or a lower version, is named in a
//!   warning.
//! - A file declaring a HIGHER version than the one in force is refused: starting with
//!   it would put a version in force that no privacy officers approved. The message
//!   says to propose it (`hubctl covenant propose`) or to point `covenant` at the
//!   version in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use treiter_policies::Covenant;

use super::record::{self, VersionRecord, VersionStatus};
use crate::store::{Batch, Store, StoreError};

/// Why the hub cannot decide which covenant is in force.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the covenant file {path} declares version {configured}, higher than version {in_force} in force in the hub's store; a new version takes effect only when privacy officers approve it (art. 13.1): propose it with `hubctl covenant propose {path}`, and set `covenant` to the file of version {in_force} meanwhile"
    )]
    ConfiguredIsNewer {
        path: PathBuf,
        configured: u32,
        in_force: u32,
    },
    #[error(
        "the hub's store holds covenant versions but none in force; the store was changed outside the hub"
    )]
    NoneInForce,
    #[error(
        "covenant version {version} in force in the hub's store is not valid; the store was changed outside the hub:\n{report}"
    )]
    StoredInvalid { version: u32, report: String },
}

/// The covenant in force at start (module doc); registers `configured` on first start.
pub fn in_force_at_start(
    store: &dyn Store,
    configured: Covenant,
    path: &Path,
) -> Result<Arc<Covenant>, StartError> {
    let versions = record::all(store)?;
    if versions.is_empty() {
        let text = configured.source().to_owned();
        let mut batch = Batch::new();
        record::put(
            &mut batch,
            &VersionRecord {
                version: configured.version(),
                status: VersionStatus::InForce,
                sha256: crate::log::hash::sha256(text.as_bytes()).to_hex(),
                text,
                description: format!(
                    "the covenant the hub was first started with ({})",
                    path.display()
                ),
                proposed_at_ms: None,
                proposed_by: None,
                approvals: Vec::new(),
                in_force_from_ms: Some(now_ms()),
                superseded_at_ms: None,
                superseded_by: 0,
            },
        );
        store.apply(batch)?;
        tracing::info!(
            version = configured.version(),
            "registered the configured covenant as the initial version in force"
        );
        return Ok(Arc::new(configured));
    }
    let in_force = versions
        .iter()
        .rev()
        .find(|v| v.status == VersionStatus::InForce)
        .ok_or(StartError::NoneInForce)?;
    if configured.version() > in_force.version {
        return Err(StartError::ConfiguredIsNewer {
            path: path.to_path_buf(),
            configured: configured.version(),
            in_force: in_force.version,
        });
    }
    let covenant = in_force.covenant().map_err(|d| StartError::StoredInvalid {
        version: in_force.version,
        report: d.to_string(),
    })?;
    if configured.version() < in_force.version {
        tracing::warn!(
            path = %path.display(),
            configured = configured.version(),
            in_force = in_force.version,
            "the covenant file is older than the version in force; the hub uses the version in force from its store"
        );
    } else if configured.source() != in_force.text {
        tracing::warn!(
            path = %path.display(),
            version = in_force.version,
            "the covenant file declares the version in force but its text differs; the hub uses the approved text from its store"
        );
    }
    Ok(Arc::new(covenant))
}

pub(super) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;
    use treiter_policies::TREITERAANPAK_COVENANT;

    fn covenant(version: u32) -> Covenant {
        let text =
            TREITERAANPAK_COVENANT.replacen("version 1\n", &format!("version {version}\n"), 1);
        Covenant::parse("test", &text).unwrap()
    }

    #[test]
    fn registers_the_file_once_and_then_keeps_the_store_s_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(&dir.path().join("state")).unwrap();
        let path = Path::new("c.covenant");
        let first = in_force_at_start(&store, covenant(1), path).unwrap();
        assert_eq!(first.version(), 1);
        assert_eq!(record::all(&store).unwrap().len(), 1);
        // The same file again: nothing new is registered.
        in_force_at_start(&store, covenant(1), path).unwrap();
        assert_eq!(record::all(&store).unwrap().len(), 1);
        // A file declaring a higher version than the one in force is refused.
        let err = in_force_at_start(&store, covenant(2), path).unwrap_err();
        assert!(
            matches!(
                err,
                StartError::ConfiguredIsNewer {
                    configured: 2,
                    in_force: 1,
                    ..
                }
            ),
            "{err}"
        );
    }
}
