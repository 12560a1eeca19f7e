//! The covenant version in force, as the hub sends it (article 13.2).
//!
//! When the hub sends a `CovenantUpdate` (after the Welcome, or when an approved version
//! takes effect), the agent checks the text's SHA-256, parses and validates it as the
//! covenant tool does, keeps it in the file named by the `covenant_state` setting (so it
//! survives a restart), and switches its pre-check gate at once. It is applied before
//! the next message on the link is read, so the questions after it are pre-checked with
//! it.
//!
//! Refused, with the gate unchanged: a hash that does not match, an invalid text, and a
//! version lower than the agent's own (a downgrade). The agent's gate guards against a
//! misconfigured or compromised hub; it cannot check the approvals of article 13.1
//! itself (the hub holds them), so it trusts the hub on which version is in force but
//! never goes back to an older one.
//!
//! At start, [`load_in_force`] uses the kept version when it is higher than the
//! configured file's; otherwise the file.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use treiter_policies::Covenant;
use treiter_proto::v1::CovenantUpdate;

use crate::config::AgentConfig;
use crate::error::SetupError;
use crate::gate::Gate;

/// Why an update was not applied. Messages name versions and files, never content.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("the text of covenant version {version} does not match its SHA-256; ignored")]
    HashMismatch { version: u32 },
    #[error("covenant version {version} from the hub is not valid; ignored:\n{report}")]
    Invalid { version: u32, report: String },
    #[error("the hub's text declares version {declared}, the message says {version}; ignored")]
    VersionMismatch { version: u32, declared: u32 },
    #[error(
        "the hub sent covenant version {offered}, lower than version {current} this agent uses; a downgrade is refused"
    )]
    Downgrade { offered: u32, current: u32 },
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The gate decides with the new version from now on.
    Switched { from: u32, to: u32 },
    /// The agent had that version already.
    Unchanged,
}

/// Checks and applies `update` to `gate`, keeping it in `state` (when configured)
/// first, so a restart uses it too. A failure to keep it is logged, not fatal: the hub
/// sends its version again after the next Welcome.
pub fn apply(
    gate: &Gate,
    state: Option<&Path>,
    update: &CovenantUpdate,
) -> Result<Applied, UpdateError> {
    let digest = ring::digest::digest(&ring::digest::SHA256, update.text.as_bytes());
    if digest.as_ref() != update.text_sha256.as_slice() {
        return Err(UpdateError::HashMismatch {
            version: update.version,
        });
    }
    let current = gate.covenant();
    if update.version == current.version() && update.text == current.source() {
        return Ok(Applied::Unchanged);
    }
    if update.version < current.version() {
        return Err(UpdateError::Downgrade {
            offered: update.version,
            current: current.version(),
        });
    }
    let covenant = Covenant::parse(&format!("hub version {}", update.version), &update.text)
        .map_err(|d| UpdateError::Invalid {
            version: update.version,
            report: d.plain(),
        })?;
    if covenant.version() != update.version {
        return Err(UpdateError::VersionMismatch {
            version: update.version,
            declared: covenant.version(),
        });
    }
    if let Some(path) = state
        && let Err(error) = keep(path, &update.text)
    {
        tracing::error!(
            path = %path.display(),
            %error,
            "cannot keep the covenant version in force; a restart uses the configured file until the hub sends it again"
        );
    }
    let old = gate.replace(Arc::new(covenant));
    Ok(Applied::Switched {
        from: old.version(),
        to: update.version,
    })
}

/// Writes `text` to `path` durably: a temporary file, synced, renamed over it.
fn keep(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself is durable once the directory is synced.
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The covenant the agent starts with: the configured file, or the version kept from
/// the hub when that is higher (module doc). A kept file that cannot be used is
/// named in a warning and left aside: the hub sends its version after the Welcome.
pub fn load_in_force(config: &AgentConfig) -> Result<Covenant, SetupError> {
    let configured = crate::answer::load_covenant(&config.covenant)?;
    let Some(path) = &config.covenant_state else {
        return Ok(configured);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(configured),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot read the kept covenant version; using the configured file");
            return Ok(configured);
        }
    };
    match Covenant::parse(&path.display().to_string(), &text) {
        Ok(kept) if kept.version() > configured.version() => {
            tracing::info!(
                path = %path.display(),
                kept = kept.version(),
                configured = configured.version(),
                "using the covenant version the hub sent, which is newer than the configured file"
            );
            Ok(kept)
        }
        Ok(_) => Ok(configured),
        Err(d) => {
            tracing::warn!(path = %path.display(), report = %d.plain(), "the kept covenant version is not valid; using the configured file");
            Ok(configured)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_policies::TREITERAANPAK_COVENANT;

    fn text(version: u32) -> String {
        TREITERAANPAK_COVENANT.replacen("version 1\n", &format!("version {version}\n"), 1)
    }

    fn update(version: u32, text: &str) -> CovenantUpdate {
        CovenantUpdate {
            version,
            text: text.to_owned(),
            text_sha256: ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
                .as_ref()
                .to_vec(),
        }
    }

    fn gate() -> Gate {
        Gate::new(Covenant::parse("v1", TREITERAANPAK_COVENANT).unwrap())
    }

    #[test]
    fn a_newer_version_switches_the_gate_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("covenant-in-force.covenant");
        let gate = gate();
        let applied = apply(&gate, Some(&state), &update(2, &text(2))).unwrap();
        assert_eq!(applied, Applied::Switched { from: 1, to: 2 });
        assert_eq!(gate.covenant_version(), 2);
        assert_eq!(std::fs::read_to_string(&state).unwrap(), text(2));
        assert_eq!(
            apply(&gate, Some(&state), &update(2, &text(2))).unwrap(),
            Applied::Unchanged
        );
    }

    #[test]
    fn a_wrong_hash_an_invalid_text_and_a_downgrade_are_refused() {
        let gate = gate();
        let mut bad = update(2, &text(2));
        bad.text_sha256[0] ^= 1;
        assert!(matches!(
            apply(&gate, None, &bad),
            Err(UpdateError::HashMismatch { version: 2 })
        ));
        let broken = text(2).replacen("art. 1.5", "art. 1.5 nonsense", 1);
        assert!(matches!(
            apply(&gate, None, &update(2, &broken)),
            Err(UpdateError::Invalid { version: 2, .. })
        ));
        assert!(matches!(
            apply(&gate, None, &update(3, &text(2))),
            Err(UpdateError::VersionMismatch {
                version: 3,
                declared: 2
            })
        ));
        apply(&gate, None, &update(3, &text(3))).unwrap();
        assert!(matches!(
            apply(&gate, None, &update(2, &text(2))),
            Err(UpdateError::Downgrade {
                offered: 2,
                current: 3
            })
        ));
        assert_eq!(gate.covenant_version(), 3);
    }
}
