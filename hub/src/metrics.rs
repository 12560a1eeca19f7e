//! What the hub counts, for `/metrics` on the admin endpoint (Prometheus/OpenMetrics
//! text format).
//!
//! Only collects: every metric name is here, with the `treiter_hub_` prefix and its
//! unit in the name; [`crate::admin`] serves the text. No label carries a pseudonym,
//! a person, a case or a value: only reason words, outcomes, article numbers and
//! operation names.
//!
//! Two kinds of values:
//! - counted where they happen: decisions (by outcome, and by outcome and article),
//!   case files (by result, with their duration), witness cosignatures, store errors;
//! - read from the hub's state when scraped ([`HubMetrics::render`]): the covenant
//!   version, the agents linked, the refusals by reason (the hub's own
//!   [`crate::refusals::Refusals`] counts), the witness refusals by reason, the log's
//!   size and the age of its last checkpoint.
//!
//! | family | kind | labels |
//! |---|---|---|
//! | `treiter_hub_build_info` | gauge (1) | `version` |
//! | `treiter_hub_covenant_version` | gauge | |
//! | `treiter_hub_parties` | gauge | |
//! | `treiter_hub_agents_linked` | gauge | |
//! | `treiter_hub_refusals_total` | counter | `reason` |
//! | `treiter_hub_decisions_total` | counter | `outcome` |
//! | `treiter_hub_decision_articles_total` | counter | `outcome`, `article` |
//! | `treiter_hub_case_files_total` | counter | `result` |
//! | `treiter_hub_case_file_duration_seconds` | histogram | |
//! | `treiter_hub_log_entries` | gauge | |
//! | `treiter_hub_log_checkpoint_size` | gauge | |
//! | `treiter_hub_log_last_checkpoint_age_seconds` | gauge | |
//! | `treiter_hub_witness_cosignatures_total` | counter | `result` |
//! | `treiter_hub_witness_refusals_total` | counter | `reason` |
//! | `treiter_hub_store_errors_total` | counter | `operation` |
//! | `treiter_hub_log_append_failures_total` | counter | |

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::{Batch, Entry, Space, Store, StoreError};

/// A `version` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    /// The hub's software version.
    pub version: String,
}

/// A `reason` label: a refusal's reason word.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The reason word, e.g. `oin-not-a-party`.
    pub reason: String,
}

/// An `outcome` label: `permit`, `deny` or `reject`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// The decision's outcome word.
    pub outcome: String,
}

/// An outcome and one article the decision cites.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ArticleLabels {
    /// The decision's outcome word.
    pub outcome: String,
    /// The article number, e.g. `8.2`.
    pub article: String,
}

/// A `result` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// See [`CaseFileResult`] and [`HubMetrics::cosignature`].
    pub result: String,
}

/// An `operation` label: `get`, `scan` or `apply`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// The store operation that failed.
    pub operation: String,
}

/// How a case file request ended, as a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseFileResult {
    /// Every partner answered or was settled.
    Complete,
    /// Stored, with a partner still queued or a hit still waiting for its records.
    Partial,
    /// Refused before anything was asked (a bad request, a phase or a right missing).
    Refused,
    /// Failed while being assembled (the log or the store refused a write).
    Failed,
}

impl CaseFileResult {
    /// The label word.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseFileResult::Complete => "complete",
            CaseFileResult::Partial => "partial",
            CaseFileResult::Refused => "refused",
            CaseFileResult::Failed => "failed",
        }
    }

    /// The result of a stored case file: complete or partial.
    pub fn stored(file: &treiter_proto::v1::CaseFile) -> CaseFileResult {
        if file.complete {
            CaseFileResult::Complete
        } else {
            CaseFileResult::Partial
        }
    }

    /// The result of a request that ended in an error: a failure when the hub's own
    /// troubles caused it (`by_the_hub`: the log or the store refused, an invariant
    /// broke), a refusal of the request otherwise (`casefile::CaseFileError::is_hub_fault`).
    pub fn ended(by_the_hub: bool) -> CaseFileResult {
        if by_the_hub {
            CaseFileResult::Failed
        } else {
            CaseFileResult::Refused
        }
    }
}

/// Bucket bounds of the case-file duration histogram, in seconds: a case file waits
/// at most its deadline (5 s by default, longer when a coordinator asks), so the
/// buckets cover 50 ms to 2 minutes.
const CASE_FILE_SECONDS_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 60.0, 120.0,
];

/// The hub's metrics. Shared by the services that count and the admin endpoint.
#[derive(Debug)]
pub struct HubMetrics {
    registry: Registry,
    covenant_version: Gauge,
    parties: Gauge,
    agents_linked: Gauge,
    refusals: Family<ReasonLabels, Counter>,
    decisions: Family<OutcomeLabels, Counter>,
    decision_articles: Family<ArticleLabels, Counter>,
    case_files: Family<ResultLabels, Counter>,
    case_file_seconds: Histogram,
    log_entries: Gauge,
    log_checkpoint_size: Gauge,
    last_checkpoint_age: Gauge,
    cosignatures: Family<ResultLabels, Counter>,
    witness_refusals: Family<ReasonLabels, Counter>,
    store_errors: Family<OperationLabels, Counter>,
    log_append_failures: Counter,
    /// Unix seconds at which this process last signed (or confirmed) a checkpoint;
    /// 0: none yet. A checkpoint note carries no time, so the age is what this
    /// process saw.
    last_checkpoint_unix: AtomicU64,
}

impl Default for HubMetrics {
    fn default() -> Self {
        HubMetrics::new()
    }
}

/// A value read from elsewhere, stored into a counter at scrape time. The sources are
/// counters themselves (they only grow while the hub runs), so the exposed counter
/// only grows too.
fn set_counter(counter: &Counter, value: u64) {
    counter.inner().store(value, Ordering::Relaxed);
}

fn to_gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl HubMetrics {
    /// Fresh metrics, registered under the `treiter_hub_` prefix.
    pub fn new() -> HubMetrics {
        let mut registry = Registry::with_prefix("treiter_hub");
        let build_info = Family::<VersionLabels, Gauge>::default();
        build_info
            .get_or_create(&VersionLabels {
                version: crate::state::HUB_VERSION.to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "The hub's software version (value 1)",
            build_info,
        );
        let m = HubMetrics {
            registry: Registry::default(),
            covenant_version: Gauge::default(),
            parties: Gauge::default(),
            agents_linked: Gauge::default(),
            refusals: Family::default(),
            decisions: Family::default(),
            decision_articles: Family::default(),
            case_files: Family::default(),
            case_file_seconds: Histogram::new(CASE_FILE_SECONDS_BUCKETS),
            log_entries: Gauge::default(),
            log_checkpoint_size: Gauge::default(),
            last_checkpoint_age: Gauge::default(),
            cosignatures: Family::default(),
            witness_refusals: Family::default(),
            store_errors: Family::default(),
            log_append_failures: Counter::default(),
            last_checkpoint_unix: AtomicU64::new(0),
        };
        registry.register(
            "covenant_version",
            "The version of the covenant in force (article 13)",
            m.covenant_version.clone(),
        );
        registry.register(
            "parties",
            "Parties of the covenant in force (Annex A)",
            m.parties.clone(),
        );
        registry.register(
            "agents_linked",
            "Parties whose node agent has its link to the hub open",
            m.agents_linked.clone(),
        );
        registry.register(
            "refusals",
            "Peers and records refused since start, by reason",
            m.refusals.clone(),
        );
        registry.register(
            "decisions",
            "Share decisions written to the decision log, by outcome",
            m.decisions.clone(),
        );
        registry.register(
            "decision_articles",
            "Share decisions by outcome and by each article they cite (a decision citing two articles counts under both)",
            m.decision_articles.clone(),
        );
        registry.register(
            "case_files",
            "Case file requests by result: complete, partial (a partner queued), refused (bad request), failed (log or store)",
            m.case_files.clone(),
        );
        registry.register_with_unit(
            "case_file_duration",
            "Time from a case file request to its answer",
            prometheus_client::registry::Unit::Seconds,
            m.case_file_seconds.clone(),
        );
        registry.register(
            "log_entries",
            "Durable entries in the decision log",
            m.log_entries.clone(),
        );
        registry.register(
            "log_append_failures",
            "Batches of decision-log entries that could not be written or synced (their changes and shares did not pass)",
            m.log_append_failures.clone(),
        );
        registry.register(
            "log_checkpoint_size",
            "Tree size of the decision log's last signed checkpoint (0: none yet)",
            m.log_checkpoint_size.clone(),
        );
        registry.register_with_unit(
            "log_last_checkpoint_age",
            "Time since this hub process last signed a checkpoint of the decision log (-1: none since start)",
            prometheus_client::registry::Unit::Seconds,
            m.last_checkpoint_age.clone(),
        );
        registry.register(
            "witness_cosignatures",
            "Cosignatures from the parties' agents (article 10.2): stored, or rejected because they do not verify",
            m.cosignatures.clone(),
        );
        registry.register(
            "witness_refusals",
            "Checkpoints the parties' agents refused to cosign, by reason (every one is an alert)",
            m.witness_refusals.clone(),
        );
        registry.register(
            "store_errors",
            "Errors of the hub's state store, by operation",
            m.store_errors.clone(),
        );
        for result in ["stored", "rejected"] {
            // Created at 0, so an alert on `rejected` has a series from the start.
            let _created = m.cosignatures.get_or_create(&ResultLabels {
                result: result.to_owned(),
            });
        }
        for operation in ["get", "scan", "apply"] {
            let _created = m.store_errors.get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            });
        }
        for result in [
            CaseFileResult::Complete,
            CaseFileResult::Partial,
            CaseFileResult::Refused,
            CaseFileResult::Failed,
        ] {
            let _created = m.case_files.get_or_create(&ResultLabels {
                result: result.as_str().to_owned(),
            });
        }
        for reason in crate::refusals::RefusalReason::ALL {
            let _created = m.refusals.get_or_create(&ReasonLabels {
                reason: reason.as_str().to_owned(),
            });
        }
        for reason in treiter_translog::RefusalReason::ALL {
            let _created = m.witness_refusals.get_or_create(&ReasonLabels {
                reason: reason.as_str().to_owned(),
            });
        }
        for outcome in ["permit", "deny", "reject"] {
            let _created = m.decisions.get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            });
        }
        m.last_checkpoint_age.set(-1);
        HubMetrics { registry, ..m }
    }

    /// Counts one share decision that the decision log holds.
    pub fn decision(&self, outcome: &str, articles: &[String]) {
        self.decisions
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
        for article in articles {
            self.decision_articles
                .get_or_create(&ArticleLabels {
                    outcome: outcome.to_owned(),
                    article: article.clone(),
                })
                .inc();
        }
    }

    /// Counts one answered case file request and its duration.
    pub fn case_file(&self, result: CaseFileResult, took: Duration) {
        self.case_files
            .get_or_create(&ResultLabels {
                result: result.as_str().to_owned(),
            })
            .inc();
        self.case_file_seconds.observe(took.as_secs_f64());
    }

    /// Counts one cosignature from an agent: `stored` when it verified.
    pub fn cosignature(&self, stored: bool) {
        let result = if stored { "stored" } else { "rejected" };
        self.cosignatures
            .get_or_create(&ResultLabels {
                result: result.to_owned(),
            })
            .inc();
    }

    /// Notes that a checkpoint was signed (or found current) at `at`.
    pub fn checkpoint_signed(&self, at: SystemTime) {
        let unix = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.last_checkpoint_unix.store(unix, Ordering::Relaxed);
    }

    /// Counts one failed store operation.
    pub fn store_error(&self, operation: &'static str) {
        self.store_errors
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .inc();
    }

    /// How many store operations of `operation` failed.
    pub fn store_errors(&self, operation: &'static str) -> u64 {
        self.store_errors
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .get()
    }

    /// The metrics in the Prometheus/OpenMetrics text format, with the values read
    /// from `hub` now.
    pub fn render(&self, hub: &crate::state::Hub) -> String {
        self.covenant_version.set(i64::from(hub.covenant.version()));
        let agents = hub.agents.snapshot(&hub.parties.current());
        self.parties.set(to_gauge(agents.len() as u64));
        self.agents_linked.set(to_gauge(
            agents.iter().filter(|a| a.connected()).count() as u64
        ));
        for (reason, count) in hub.refusals.counts() {
            set_counter(
                &self.refusals.get_or_create(&ReasonLabels {
                    reason: reason.as_str().to_owned(),
                }),
                count,
            );
        }
        for (reason, count) in hub.witnesses.alerts.counts() {
            set_counter(
                &self
                    .witness_refusals
                    .get_or_create(&ReasonLabels { reason }),
                count,
            );
        }
        self.log_entries.set(to_gauge(hub.log.tree_size()));
        set_counter(&self.log_append_failures, hub.log.stats().failed_batches);
        self.log_checkpoint_size.set(to_gauge(
            hub.log
                .latest_checkpoint()
                .map(|cp| cp.checkpoint().size)
                .unwrap_or(0),
        ));
        let signed = self.last_checkpoint_unix.load(Ordering::Relaxed);
        let age = if signed == 0 {
            -1
        } else {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            to_gauge(now.saturating_sub(signed))
        };
        self.last_checkpoint_age.set(age);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The hub's store with every failed operation counted in [`HubMetrics`]: the services
/// use this one, so a failing disk shows in `treiter_hub_store_errors_total` as well
/// as in the error each caller gets.
#[derive(Debug)]
pub struct CountingStore {
    inner: Arc<dyn Store>,
    metrics: Arc<HubMetrics>,
    /// The error of the last batch while it failed and none was applied since
    /// ([`Store::write_failure`], for `/healthz`).
    failing: std::sync::Mutex<Option<String>>,
}

impl CountingStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<HubMetrics>) -> CountingStore {
        CountingStore {
            inner,
            metrics,
            failing: std::sync::Mutex::new(None),
        }
    }

    fn counted<T>(
        &self,
        operation: &'static str,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if result.is_err() {
            self.metrics.store_error(operation);
        }
        result
    }
}

impl Store for CountingStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.counted("get", self.inner.get(space, key))
    }

    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.counted("scan", self.inner.scan(space, prefix))
    }

    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.counted("scan", self.inner.scan_keys(space, prefix))
    }

    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        self.counted("get", self.inner.contains(space, key))
    }

    fn owner(&self, space: Space, key: &[u8]) -> Result<Option<crate::store::Owner>, StoreError> {
        self.counted("get", self.inner.owner(space, key))
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let result = self.inner.apply(batch);
        *self.failing.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
        self.counted("apply", result)
    }

    fn apply_soon(&self, batch: Batch) -> Result<(), StoreError> {
        let result = self.inner.apply_soon(batch);
        *self.failing.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
        self.counted("apply", result)
    }

    fn data_database(&self) -> Option<String> {
        self.inner.data_database()
    }

    fn announce(&self, topic: &str) -> Result<(), StoreError> {
        self.inner.announce(topic)
    }

    fn listen(
        &self,
        topic: &str,
        wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Option<crate::store::postgres::Listener> {
        self.inner.listen(topic, wake)
    }

    fn record_rows(&self, batch: Batch) -> Result<crate::store::RecordRows, StoreError> {
        self.counted("apply", self.inner.record_rows(batch))
    }

    fn write_failure(&self) -> Option<String> {
        self.failing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock_shared(&self, name: &str) -> Result<Option<crate::store::SharedLock>, StoreError> {
        self.inner.lock_shared(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_reason_is_listed_once() {
        use crate::refusals::RefusalReason;
        // A new reason must join ALL: this match stops compiling without it here, and
        // the count below fails until ALL has it too.
        let listed = |r: RefusalReason| match r {
            RefusalReason::NoCertificate
            | RefusalReason::UnknownCa
            | RefusalReason::Expired
            | RefusalReason::NotYetValid
            | RefusalReason::Revoked
            | RefusalReason::NotForClientAuth
            | RefusalReason::KeyUsageWithoutDigitalSignature
            | RefusalReason::WeakKey
            | RefusalReason::CrlExpired
            | RefusalReason::BadCrl
            | RefusalReason::UnknownRevocationStatus
            | RefusalReason::BadCertificate
            | RefusalReason::ProtocolVersion
            | RefusalReason::Handshake
            | RefusalReason::HandshakeTimeout
            | RefusalReason::Http2NotStarted
            | RefusalReason::TooManyHandshakesFromAddress
            | RefusalReason::TooManyConnectionsForIdentity
            | RefusalReason::MalformedOin
            | RefusalReason::NotAParty
            | RefusalReason::PersonCertificateOnAgentLink
            | RefusalReason::OrganisationCertificateForPerson
            | RefusalReason::UnknownPerson
            | RefusalReason::PersonPartyMismatch
            | RefusalReason::UnaskedRecord
            | RefusalReason::TooManyHandshakes
            | RefusalReason::TooManyStreamingCalls => 1,
        };
        let words: std::collections::BTreeSet<_> =
            RefusalReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(words.len(), RefusalReason::ALL.len());
        assert_eq!(
            RefusalReason::ALL.iter().map(|r| listed(*r)).sum::<usize>(),
            27
        );
    }

    #[test]
    fn counted_values_render_with_the_prefix() {
        let m = HubMetrics::new();
        m.decision("permit", &["6.3a".to_owned(), "8.2".to_owned()]);
        m.case_file(CaseFileResult::Partial, Duration::from_millis(1200));
        m.cosignature(false);
        m.store_error("apply");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry).unwrap();
        for line in [
            "treiter_hub_decisions_total{outcome=\"permit\"} 1",
            "treiter_hub_decisions_total{outcome=\"reject\"} 0",
            "treiter_hub_decision_articles_total{outcome=\"permit\",article=\"8.2\"} 1",
            "treiter_hub_case_files_total{result=\"partial\"} 1",
            "treiter_hub_case_file_duration_seconds_bucket{le=\"2.0\"} 1",
            "treiter_hub_case_file_duration_seconds_bucket{le=\"1.0\"} 0",
            "treiter_hub_witness_cosignatures_total{result=\"rejected\"} 1",
            "treiter_hub_store_errors_total{operation=\"apply\"} 1",
            "treiter_hub_refusals_total{reason=\"unknown-ca\"} 0",
            "treiter_hub_witness_refusals_total{reason=\"wrong-from-size\"} 0",
            "treiter_hub_log_last_checkpoint_age_seconds -1",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
        assert_eq!(m.store_errors("apply"), 1);
    }
}
