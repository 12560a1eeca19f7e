//! What the agent counts, for `/metrics` (Prometheus text format) and the tests.
//!
//! Only collects: every metric name is here, with the `hub_agent_` prefix and its unit
//! in the name; [`crate::health`] serves the text. No label carries a pseudonym,
//! a request id or a value: only categories and outcome words.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use treiter_translog::RefusalReason;

/// The kind of an answer, as a label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AnswerLabels {
    /// `bevraging`, `shares` or `unanswerable`.
    pub kind: String,
}

/// The outcome of the pre-check on a withheld record.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// The category.
    pub category: String,
    /// `deny` or `reject`.
    pub outcome: String,
}

/// A category, as a label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CategoryLabels {
    /// The category.
    pub category: String,
}

/// Why a checkpoint was refused, as a label: a word of
/// [`treiter_translog::RefusalReason`].
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The reason word, e.g. `wrong-from-size`.
    pub reason: String,
}

/// A `version` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    /// The agent's software version.
    pub version: String,
}

/// The agent's metrics. Clones of the metrics share their values.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// The version of the covenant the agent's pre-check decides with (article 13.2);
    /// 0 until the answerer sets it.
    pub covenant_version: Gauge,
    /// 1 while a link to the hub is open.
    pub connected: Gauge,
    /// Unix seconds of the last message heard from the hub (0: never).
    pub last_heartbeat_seconds: Gauge,
    /// Links opened since start.
    pub links_opened: Counter,
    /// Questions answered, by kind (a re-delivered question answered from the cache
    /// counts once).
    pub questions_answered: Family<AnswerLabels, Counter>,
    /// Records the pre-check withheld, by category and outcome.
    pub shares_refused: Family<RefusalLabels, Counter>,
    /// Records sent to the hub, by category.
    pub shares_sent: Family<CategoryLabels, Counter>,
    /// Answers waiting for the hub's Ack (they are sent again on the next link).
    pub queue_depth: Gauge,
    /// Certificate renewals picked up without a restart.
    pub certificate_reloads: Counter,
    /// Seconds until the agent's certificate expires (negative: expired).
    pub certificate_expiry_seconds: Gauge,
    /// Subjects in each SQLite category's pseudonym index.
    pub index_subjects: Family<CategoryLabels, Gauge>,
    /// Shares held in the inbox now.
    pub inbox_shares: Gauge,
    /// Shares the inbox deleted because their retention ended.
    pub inbox_deleted: Counter,
    /// Checkpoints of the hub's log this agent witnessed (verified and cosigned).
    pub checkpoints_witnessed: Counter,
    /// Checkpoints this agent refused to cosign (article 10.2), by reason: every one
    /// is an alert, see node-agent/README.md. Every reason is shown from the start,
    /// at 0.
    pub checkpoints_refused: Family<ReasonLabels, Counter>,
    /// Why the last checkpoint was refused, for `/healthz`; cleared by the next
    /// checkpoint that verifies. No personal data: sizes and hashes only.
    pub witness_alert: std::sync::RwLock<Option<String>>,
    /// Deliveries and retention notices the inbox could not store (a full or
    /// read-only disk; none of them was acknowledged, so the hub keeps them queued).
    pub inbox_store_failures: Counter,
    /// Why the inbox's last store failed, for `/healthz`; cleared by the next
    /// delivery or notice stored. Names a path and the OS error, never a value.
    pub inbox_failure: std::sync::RwLock<Option<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics, registered under the `hub_agent_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hub_agent");
        let build_info = Family::<VersionLabels, Gauge>::default();
        build_info
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "The node agent's software version (value 1)",
            build_info,
        );
        let m = Metrics {
            registry: Registry::default(),
            covenant_version: Gauge::default(),
            connected: Gauge::default(),
            last_heartbeat_seconds: Gauge::default(),
            links_opened: Counter::default(),
            questions_answered: Family::default(),
            shares_refused: Family::default(),
            shares_sent: Family::default(),
            queue_depth: Gauge::default(),
            certificate_reloads: Counter::default(),
            certificate_expiry_seconds: Gauge::default(),
            index_subjects: Family::default(),
            inbox_shares: Gauge::default(),
            inbox_deleted: Counter::default(),
            checkpoints_witnessed: Counter::default(),
            checkpoints_refused: Family::default(),
            witness_alert: std::sync::RwLock::new(None),
            inbox_store_failures: Counter::default(),
            inbox_failure: std::sync::RwLock::new(None),
        };
        registry.register(
            "covenant_version",
            "The version of the covenant the agent's pre-check decides with (article 13.2)",
            m.covenant_version.clone(),
        );
        registry.register(
            "connected",
            "1 while the link to the hub is open",
            m.connected.clone(),
        );
        registry.register(
            "last_heartbeat_seconds",
            "Unix time of the last message heard from the hub",
            m.last_heartbeat_seconds.clone(),
        );
        registry.register(
            "links_opened",
            "Links to the hub opened since start",
            m.links_opened.clone(),
        );
        registry.register(
            "questions_answered",
            "Questions answered, by kind of answer",
            m.questions_answered.clone(),
        );
        registry.register(
            "shares_refused",
            "Records withheld by the agent's own pre-check, by category and outcome",
            m.shares_refused.clone(),
        );
        registry.register(
            "shares_sent",
            "Records sent to the hub, by category",
            m.shares_sent.clone(),
        );
        registry.register(
            "queue_depth",
            "Answers waiting for the hub's acknowledgement",
            m.queue_depth.clone(),
        );
        registry.register(
            "certificate_reloads",
            "Certificate renewals picked up without a restart",
            m.certificate_reloads.clone(),
        );
        registry.register(
            "certificate_expiry_seconds",
            "Seconds until the agent's certificate expires",
            m.certificate_expiry_seconds.clone(),
        );
        registry.register(
            "index_subjects",
            "Subjects in the pseudonym index of a SQLite category",
            m.index_subjects.clone(),
        );
        registry.register(
            "inbox_shares",
            "Received shares held in the inbox",
            m.inbox_shares.clone(),
        );
        registry.register(
            "inbox_deleted",
            "Received shares the inbox deleted because their retention ended",
            m.inbox_deleted.clone(),
        );
        registry.register(
            "inbox_store_failures",
            "Deliveries and retention notices the inbox could not store (not acknowledged; the hub sends them again)",
            m.inbox_store_failures.clone(),
        );
        registry.register(
            "checkpoints_witnessed",
            "Checkpoints of the hub's log verified and cosigned",
            m.checkpoints_witnessed.clone(),
        );
        registry.register(
            "checkpoints_refused",
            "Checkpoints of the hub's log refused, by reason (every one is an alert)",
            m.checkpoints_refused.clone(),
        );
        for reason in RefusalReason::ALL {
            // Created at 0, so monitoring sees every reason before the first alert.
            let _created = m.checkpoints_refused.get_or_create(&ReasonLabels {
                reason: reason.as_str().to_owned(),
            });
        }
        Metrics { registry, ..m }
    }

    /// The metrics in the Prometheus/OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Counts one refused checkpoint.
    pub fn refused(&self, reason: RefusalReason) {
        self.checkpoints_refused
            .get_or_create(&ReasonLabels {
                reason: reason.as_str().to_owned(),
            })
            .inc();
    }

    /// How many checkpoints were refused for `reason`.
    pub fn refused_count(&self, reason: RefusalReason) -> u64 {
        self.checkpoints_refused
            .get_or_create(&ReasonLabels {
                reason: reason.as_str().to_owned(),
            })
            .get()
    }

    /// Counts one answer of `kind`.
    pub fn answered(&self, kind: &str) {
        self.questions_answered
            .get_or_create(&AnswerLabels { kind: kind.into() })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_with_the_prefix() {
        let m = Metrics::new();
        m.connected.set(1);
        m.covenant_version.set(2);
        m.answered("bevraging");
        m.shares_refused
            .get_or_create(&RefusalLabels {
                category: "zorgbetrokkenheid".into(),
                outcome: "reject".into(),
            })
            .inc();
        let text = m.render();
        for name in [
            "hub_agent_connected 1",
            concat!(
                "hub_agent_build_info{version=\"",
                env!("CARGO_PKG_VERSION"),
                "\"} 1"
            ),
            "hub_agent_covenant_version 2",
            "hub_agent_questions_answered_total{kind=\"bevraging\"} 1",
            "hub_agent_shares_refused_total{category=\"zorgbetrokkenheid\",outcome=\"reject\"} 1",
            "hub_agent_queue_depth 0",
            "hub_agent_last_heartbeat_seconds 0",
            "hub_agent_inbox_shares 0",
            "hub_agent_inbox_deleted_total 0",
            "hub_agent_checkpoints_refused_total{reason=\"wrong-from-size\"} 0",
            "hub_agent_checkpoints_refused_total{reason=\"state-unwritable\"} 0",
        ] {
            assert!(text.contains(name), "{name} missing in\n{text}");
        }
    }
}
