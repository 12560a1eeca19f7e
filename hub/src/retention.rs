//! The retention sweeper (article 9): cases 24 months after `afgesloten` (9.1) and 3
//! months after `buiten-aanpak` (9.2) are deleted; the months come from the covenant
//! encoding ([`CaseRegistry::retention_until`](crate::cases::CaseRegistry::retention_until)).
//!
//! One deletion, in this order:
//! 1. a `RetentionDeletion` entry is appended to the decision log, durably. If that
//!    fails, nothing is deleted and the next sweep tries again (fail closed: no
//!    deletion goes unlogged). The log outlives the case (article 10.4); its entries
//!    hold no personal data.
//! 2. the case key is deleted from the key store, durably (crypto-shredding): from here
//!    on no copy of the case's records, backups included, can be read.
//! 3. the case's records are deleted from the state store.
//!
//! A crash between 1 and 2 logs the deletion twice (the second sweep appends again); a
//! crash between 2 and 3 leaves unreadable records that the next sweep deletes.
//! Time is the hub's clock, so tests move it forward instead of waiting two years.

use std::time::Duration;

use time::OffsetDateTime;
use treiter_policies::ArticleNo;
use treiter_policies::vocab::Phase;

use crate::cases::model::Case;
use crate::config::RetentionSettings;
use crate::log::entry::{CaseId, LogTime, RetentionDeletion};
use crate::state::Hub;
use crate::store::StoreError;

/// The sweeper's settings and lock.
#[derive(Debug)]
pub struct Retention {
    pub settings: RetentionSettings,
    /// One sweep at a time: the background one and one run from a test or operator.
    sweeping: tokio::sync::Mutex<()>,
}

impl Retention {
    pub fn new(settings: RetentionSettings) -> Retention {
        Retention {
            settings,
            sweeping: tokio::sync::Mutex::new(()),
        }
    }
}

/// One case deleted by a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    pub case: String,
    /// 9.1 or 9.2.
    pub article: ArticleNo,
    /// The decision-log index of its `RetentionDeletion` entry.
    pub log_index: u64,
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Cases deleted by this sweep, in the order they were deleted.
    pub deleted: Vec<Deleted>,
    /// State-store records deleted (of these cases, and leftovers of earlier sweeps).
    pub records_deleted: usize,
}

/// A sweep stopped. Cases deleted before the failure stay deleted (and logged).
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(
        "the decision log refused the retention deletion of case {case}: {source}; nothing of it was deleted, the next sweep retries"
    )]
    LogRefused {
        case: String,
        #[source]
        source: crate::log::LogError,
    },
    #[error("the retention deletion of case {case} cannot be logged: {detail}")]
    Entry { case: String, detail: String },
    #[error("the retention sweep cannot use the store: {0}")]
    Store(#[from] StoreError),
    #[error(
        "cannot delete the key of case {case}: {detail}; its records stay until the next sweep"
    )]
    Key { case: String, detail: String },
}

impl Hub {
    /// Runs one retention sweep now, with the hub's clock.
    pub async fn sweep_retention(&self) -> Result<SweepReport, RetentionError> {
        let _one = self.retention.sweeping.lock().await;
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for (case, article, ended) in self.due(now)? {
            let entry = deletion_entry(&case, article, ended, now, self.covenant.version())
                .map_err(|detail| RetentionError::Entry {
                    case: case.clone(),
                    detail,
                })?;
            let log_index =
                self.log
                    .append(entry)
                    .await
                    .map_err(|source| RetentionError::LogRefused {
                        case: case.clone(),
                        source,
                    })?;
            self.sealed
                .keys()
                .shred(&case)
                .map_err(|e| RetentionError::Key {
                    case: case.clone(),
                    detail: e.to_string(),
                })?;
            tracing::info!(case = %case, article = %article, log_index, "case deleted under the retention rules");
            report.deleted.push(Deleted {
                case,
                article,
                log_index,
            });
        }
        // The records of every shredded case: this sweep's, and those a crash left.
        let deleted = self.sealed.delete_shredded()?;
        report.records_deleted = deleted.values().sum();
        if !report.deleted.is_empty()
            && let Err(error) = crate::witnesses::checkpoint(self).await
        {
            tracing::error!(%error, "cannot sign a log checkpoint after a retention sweep");
        }
        Ok(report)
    }

    /// The cases whose retention has run out at `now`: id, article, when they ended.
    fn due(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, ArticleNo, OffsetDateTime)>, StoreError> {
        let mut due = Vec::new();
        for (key, decoded) in crate::tables::cases::all(self.store.as_ref())? {
            let case: Case = match decoded {
                Ok(case) => case,
                Err(error) => {
                    tracing::error!(case = %key, %error,
                        "a case record cannot be read; the retention sweep skips it");
                    continue;
                }
            };
            let (Some(until), Some(ended)) =
                (self.cases.retention_until(&case), case.closed_since())
            else {
                continue;
            };
            if until <= now {
                let article = match case.phase {
                    Phase::BuitenAanpak => ArticleNo::new(9, 2),
                    _ => ArticleNo::new(9, 1),
                };
                due.push((case.id, article, ended));
            }
        }
        Ok(due)
    }
}

fn deletion_entry(
    case: &str,
    article: ArticleNo,
    ended: OffsetDateTime,
    now: OffsetDateTime,
    covenant_version: u32,
) -> Result<crate::log::Entry, String> {
    Ok(crate::log::Entry {
        time: LogTime::from_datetime(now).map_err(|e| e.to_string())?,
        covenant_version,
        event: crate::log::Event::RetentionDeletion(RetentionDeletion {
            case: CaseId::parse(case).map_err(|e| e.to_string())?,
            case_ended: LogTime::from_datetime(ended).map_err(|e| e.to_string())?,
            article,
        }),
    })
}

/// Sweeps every `sweep_interval` (the first right at start) until the hub shuts down.
pub async fn run(hub: std::sync::Arc<Hub>) {
    let mut shutdown = hub.shutdown_signal();
    let interval: Duration = hub.retention.settings.sweep_interval;
    loop {
        match hub.sweep_retention().await {
            Ok(report) if report.deleted.is_empty() && report.records_deleted == 0 => {}
            Ok(report) => tracing::info!(
                cases = report.deleted.len(),
                records = report.records_deleted,
                "retention sweep deleted cases"
            ),
            Err(error) => {
                tracing::error!(%error, "retention sweep failed; retrying at the next sweep")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
    }
}
