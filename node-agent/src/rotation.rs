//! Certificate rotation: noticing that the operator replaced the certificate and key
//! files, and loading them without a restart.
//!
//! Organisation certificates are renewed every year or two, and an agent restart means
//! a gap in the partner's availability. The agent checks the two files every
//! `link.certificate_check_seconds`; when their content changed and the new pair
//! loads (the key matches the certificate, the certificate names a party), the link
//! ([`crate::link`]) finishes what it is answering and reconnects with the new pair.
//! A pair that does not load yet (the operator copied the certificate but not yet the
//! key) is reported once and retried at the next check; the old pair stays in use.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::AgentConfig;
use crate::tls::{self, OwnCertificate, TlsSetupError};

/// A content fingerprint of the certificate and key files (SHA-256 over both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

/// Why the files could not be fingerprinted.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// The fingerprint of the configured certificate and key files now.
pub fn fingerprint(config: &AgentConfig) -> Result<Fingerprint, ReadError> {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for path in [&config.cert, &config.key] {
        let bytes = std::fs::read(path).map_err(|source| ReadError {
            path: path.clone(),
            source,
        })?;
        // The length first, so that moving bytes from one file to the other changes
        // the fingerprint.
        context.update(&(bytes.len() as u64).to_be_bytes());
        context.update(&bytes);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    Ok(Fingerprint(out))
}

/// A renewed certificate, loaded and ready to use.
#[derive(Debug)]
pub struct Renewal {
    /// The TLS client configuration with the new pair.
    pub tls: Arc<rustls::ClientConfig>,
    /// What the new certificate says.
    pub certificate: OwnCertificate,
}

/// Watches the certificate and key files.
#[derive(Debug)]
pub struct CertWatch {
    config: AgentConfig,
    interval: tokio::time::Interval,
    /// The pair in use.
    current: Option<Fingerprint>,
    /// A changed pair that did not load (reported once).
    failed: Option<Fingerprint>,
    /// The party (OIN) of the pair in use: a renewal is for the same party.
    oin: Option<String>,
}

impl CertWatch {
    /// Watches `config`'s files every `every`; the pair in the files now is the one
    /// in use.
    pub fn new(config: &AgentConfig, every: Duration) -> CertWatch {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        CertWatch {
            config: config.clone(),
            interval,
            current: fingerprint(config).ok(),
            failed: None,
            oin: tls::own_certificate(&config.cert).ok().map(|c| c.oin),
        }
    }

    /// Waits for the next check and returns a renewal if the files changed and the
    /// new pair loads. Cancel-safe: the interval keeps its state between calls.
    pub async fn next_check(&mut self) -> Option<Renewal> {
        self.interval.tick().await;
        self.check()
    }

    /// Checks the files now.
    pub fn check(&mut self) -> Option<Renewal> {
        let now = match fingerprint(&self.config) {
            Ok(f) => f,
            Err(error) => {
                // Mid-replacement (a file renamed away) or a permissions mistake: the
                // old pair stays in use.
                tracing::warn!(%error, "cannot read the certificate or key file; keeping the one in use");
                return None;
            }
        };
        if Some(now) == self.current || Some(now) == self.failed {
            return None;
        }
        match load(&self.config) {
            Ok(renewal)
                if self
                    .oin
                    .as_ref()
                    .is_some_and(|oin| *oin != renewal.certificate.oin) =>
            {
                self.failed = Some(now);
                tracing::error!(
                    new_oin = %renewal.certificate.oin,
                    oin = ?self.oin,
                    "the new certificate names another party; a renewal must be for the same party (restart the agent to change party)"
                );
                None
            }
            Ok(renewal) => {
                self.oin = Some(renewal.certificate.oin.clone());
                self.current = Some(now);
                self.failed = None;
                Some(renewal)
            }
            Err(error) => {
                self.failed = Some(now);
                tracing::warn!(
                    %error,
                    cert = %self.config.cert.display(),
                    key = %self.config.key.display(),
                    "the certificate or key file changed but cannot be used (yet); keeping the pair in use and checking again"
                );
                None
            }
        }
    }
}

/// Loads the pair the configuration names: the TLS configuration and what the
/// certificate says. The OIN must stay the same: a renewal is for the same party.
pub fn load(config: &AgentConfig) -> Result<Renewal, TlsSetupError> {
    let certificate = tls::own_certificate(&config.cert)?;
    let tls = Arc::new(tls::client_config(config)?);
    Ok(Renewal { tls, certificate })
}
