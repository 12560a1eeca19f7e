//! Witness alerts (article 10.2): a party's agent refused a checkpoint of the hub's log.
//!
//! An agent that refuses a checkpoint (it does not verify, it is not consistent with the
//! one the agent holds, its proof starts from another size, or the agent cannot keep it)
//! says so on its link with a `CheckpointRefusal`. The hub ([`crate::witnesses`]) logs
//! it as an `ALERT` and records it here, where it is counted by reason and kept as the
//! party's open alert, which `hub status`, `HubStatus.GetStatus` and the admin
//! `/healthz` (503, degraded) show.
//!
//! **How long an alert stays.** An alert stays open until that party's agent cosigns a
//! checkpoint at least as large as the refused one: its witness then agrees with the
//! hub's log again. It is kept durably (in [`crate::tables::meta`], key `witness-alert/<OIN>`,
//! plain JSON: OINs, sizes, a reason word and the agent's escaped text, no personal
//! data), so a hub restart does not hide it. There is deliberately no way to
//! acknowledge it away: a fork or rollback that a witness saw is resolved by restoring
//! the log the witness agrees with, not by silencing the alert; a witness's own problem
//! (`state-unwritable`) resolves when it cosigns again.
//!
//! **Bounds.** One open alert per party (the latest refusal, with when the first came
//! and how many there were), so there are at most as many as the covenant has parties.
//! The reason word must have the shape of [`is_reason_word`] (anything else is kept as
//! `malformed-reason`); the agent's text is escaped and cut to
//! [`MAX_DETAIL_CHARS`] characters before it reaches a log line, the store or a status
//! page. Counts are kept per known reason word, plus `other` and `malformed-reason`.
//! A refusal identical to the party's open alert is counted in memory without another
//! store write, so a looping agent cannot make the hub write without end.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use treiter_proto::v1::CheckpointRefusal;
use treiter_translog::RefusalReason;
use treiter_translog::refusal::{MAX_DETAIL_CHARS, MAX_REASON_LEN, bound_text, is_reason_word};

use crate::identity::Oin;
use crate::store::{Batch, Store, StoreError};

/// The reason kept for a word that does not have the shape of a reason word.
pub const MALFORMED_REASON: &str = "malformed-reason";

/// The reason kept for a stored alert that cannot be read back (still an alert).
pub const UNREADABLE_RECORD: &str = "unreadable-record";

/// The count key of a well-formed reason word this hub does not know.
const OTHER_REASON: &str = "other";

/// A party's open witness alert: its agent's latest refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessAlert {
    /// The party's OIN.
    pub oin: String,
    /// The tree size of the refused checkpoint (0: the agent could not read it).
    pub tree_size: u64,
    /// The size the hub's consistency proof started from.
    pub from_tree_size: u64,
    /// The size of the checkpoint the agent holds.
    pub held_tree_size: u64,
    /// The reason word (checked, see the module doc).
    pub reason: String,
    /// The agent's explanation, escaped and bounded.
    pub detail: String,
    /// When the first refusal of this alert arrived (Unix seconds).
    pub first_refused_unix: u64,
    /// When the latest refusal arrived (Unix seconds).
    pub last_refused_unix: u64,
    /// Refusals since the alert opened.
    pub refusals: u64,
}

impl WitnessAlert {
    /// One line for a log, a terminal or `/healthz`: who refused which checkpoint and
    /// why. `party` is the party's name, when it is still listed.
    pub fn describe(&self, party: Option<&str>) -> String {
        let who = match party {
            Some(name) => format!("{name} ({})", self.oin),
            None => format!("party {}", self.oin),
        };
        format!(
            "{who} refused the log checkpoint of size {} (proof from size {}, holding size {}): {}: {} ({} refusal{})",
            self.tree_size,
            self.from_tree_size,
            self.held_tree_size,
            self.reason,
            self.detail,
            self.refusals,
            if self.refusals == 1 { "" } else { "s" },
        )
    }

    /// Whether `other` is the same refusal (apart from times and counts).
    fn same_refusal(&self, other: &WitnessAlert) -> bool {
        (
            self.tree_size,
            self.from_tree_size,
            self.held_tree_size,
            &self.reason,
            &self.detail,
        ) == (
            other.tree_size,
            other.from_tree_size,
            other.held_tree_size,
            &other.reason,
            &other.detail,
        )
    }
}

/// What [`WitnessAlerts::record`] made of a refusal.
#[derive(Debug)]
pub struct Recorded {
    /// The party's open alert, with this refusal.
    pub alert: WitnessAlert,
    /// The refusal is the same as the one already open (counted, not stored again).
    pub repeated: bool,
    /// Whether the alert was kept durably; an alert that was not is still shown
    /// until the hub restarts.
    pub stored: Result<(), StoreError>,
}

/// The open witness alerts and the refusal counts since start.
#[derive(Debug, Default)]
pub struct WitnessAlerts {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By OIN.
    open: BTreeMap<String, WitnessAlert>,
    /// Refusals since start, by reason word (bounded: see the module doc).
    counts: BTreeMap<String, u64>,
}

impl WitnessAlerts {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every change replaces whole values: a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The alerts kept in `store` by an earlier run. A record that cannot be read back
    /// stays an alert ([`UNREADABLE_RECORD`]): damage must not silence it.
    pub fn load(store: &dyn Store) -> Result<WitnessAlerts, StoreError> {
        let mut open = BTreeMap::new();
        for (oin, value) in crate::tables::meta::witness_alerts(store)? {
            let oin = bound_text(&oin, 40);
            let alert = match serde_json::from_slice::<WitnessAlert>(&value) {
                Ok(alert) if alert.oin == oin => alert,
                Ok(_) | Err(_) => {
                    tracing::error!(oin = %oin, "a stored witness alert cannot be read back; it stays open");
                    WitnessAlert {
                        oin: oin.clone(),
                        tree_size: 0,
                        from_tree_size: 0,
                        held_tree_size: 0,
                        reason: UNREADABLE_RECORD.to_owned(),
                        detail: "the stored alert is damaged; see the hub's log for the refusal"
                            .to_owned(),
                        first_refused_unix: 0,
                        last_refused_unix: 0,
                        refusals: 1,
                    }
                }
            };
            open.insert(oin, alert);
        }
        Ok(WitnessAlerts {
            inner: Mutex::new(Inner {
                open,
                counts: BTreeMap::new(),
            }),
        })
    }

    /// Records a refusal from the agent of the party `oin`, received at `now`: checked
    /// and bounded, counted, kept as the party's open alert, and stored.
    pub fn record(
        &self,
        store: &dyn Store,
        oin: &Oin,
        refusal: &CheckpointRefusal,
        now: SystemTime,
    ) -> Recorded {
        let at = unix(now);
        let (reason, count_key) = checked_reason(&refusal.reason);
        let detail = if reason == MALFORMED_REASON {
            bound_text(
                &format!(
                    "(reason sent as \"{}\") {}",
                    bound_text(&refusal.reason, MAX_REASON_LEN),
                    refusal.detail
                ),
                MAX_DETAIL_CHARS,
            )
        } else {
            bound_text(&refusal.detail, MAX_DETAIL_CHARS)
        };
        let oin = oin.to_string();
        let fresh = WitnessAlert {
            oin: oin.clone(),
            tree_size: refusal.tree_size,
            from_tree_size: refusal.from_tree_size,
            held_tree_size: refusal.held_tree_size,
            reason,
            detail,
            first_refused_unix: at,
            last_refused_unix: at,
            refusals: 1,
        };
        let mut inner = self.lock();
        *inner.counts.entry(count_key).or_default() += 1;
        let (alert, repeated) = match inner.open.get(&oin) {
            Some(open) if open.same_refusal(&fresh) => (
                WitnessAlert {
                    last_refused_unix: at,
                    refusals: open.refusals.saturating_add(1),
                    ..open.clone()
                },
                true,
            ),
            Some(open) => (
                WitnessAlert {
                    first_refused_unix: open.first_refused_unix,
                    refusals: open.refusals.saturating_add(1),
                    ..fresh
                },
                false,
            ),
            None => (fresh, false),
        };
        inner.open.insert(oin.clone(), alert.clone());
        // Under the lock, so the stored alert is never older than the one in memory.
        let stored = if repeated {
            Ok(())
        } else {
            let mut batch = Batch::new();
            // Serialising plain strings and numbers cannot fail.
            let value = serde_json::to_vec(&alert).unwrap_or_default();
            crate::tables::meta::put_witness_alert(&mut batch, &oin, value);
            store.apply(batch)
        };
        Recorded {
            alert,
            repeated,
            stored,
        }
    }

    /// The party `oin`'s agent cosigned a checkpoint of `cosigned_size`: its open alert,
    /// if that is at least the refused size, is resolved and returned.
    pub fn resolve(
        &self,
        store: &dyn Store,
        oin: &Oin,
        cosigned_size: u64,
    ) -> Option<Result<WitnessAlert, StoreError>> {
        let oin = oin.to_string();
        let mut inner = self.lock();
        if inner.open.get(&oin)?.tree_size > cosigned_size {
            return None;
        }
        // Deleted from the store first: an alert that cannot be deleted stays open (it
        // would come back at the next start).
        let mut batch = Batch::new();
        crate::tables::meta::delete_witness_alert(&mut batch, &oin);
        if let Err(error) = store.apply(batch) {
            return Some(Err(error));
        }
        inner.open.remove(&oin).map(Ok)
    }

    /// The open alerts, in OIN order.
    pub fn open(&self) -> Vec<WitnessAlert> {
        self.lock().open.values().cloned().collect()
    }

    /// Refusals since start, by reason word.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }
}

/// The reason word to keep and the key to count it under.
fn checked_reason(word: &str) -> (String, String) {
    if !is_reason_word(word) {
        return (MALFORMED_REASON.to_owned(), MALFORMED_REASON.to_owned());
    }
    match RefusalReason::parse(word) {
        Some(known) => (known.as_str().to_owned(), known.as_str().to_owned()),
        // A newer agent's word: shown as sent (it has a safe shape), counted as other.
        None => (word.to_owned(), OTHER_REASON.to_owned()),
    }
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sled_store::SledStore;
    use std::time::Duration;

    const POLITIE: &str = "00000002000000000002";
    const GGD: &str = "00000005000000000006";

    fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap()
    }

    fn refusal(tree_size: u64, reason: &str, detail: &str) -> CheckpointRefusal {
        CheckpointRefusal {
            tree_size,
            from_tree_size: 5,
            held_tree_size: 8,
            reason: reason.into(),
            detail: detail.into(),
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn an_alert_is_kept_across_a_restart_until_the_witness_cosigns_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let alerts = WitnessAlerts::load(&store).unwrap();
        let recorded = alerts.record(
            &store,
            &oin(POLITIE),
            &refusal(12, "wrong-from-size", "the proof starts at 5"),
            at(0),
        );
        recorded.stored.unwrap();
        assert!(!recorded.repeated);
        assert_eq!(recorded.alert.reason, "wrong-from-size");
        assert_eq!(
            alerts.counts(),
            BTreeMap::from([("wrong-from-size".to_owned(), 1)])
        );

        // A restart: the alert is still open (the counts start again).
        let again = WitnessAlerts::load(&store).unwrap();
        assert_eq!(again.open(), vec![recorded.alert.clone()]);
        assert!(again.counts().is_empty());

        // A cosignature of a smaller checkpoint resolves nothing; one of the refused
        // size or larger resolves it, durably.
        assert!(again.resolve(&store, &oin(POLITIE), 11).is_none());
        assert!(again.resolve(&store, &oin(GGD), 100).is_none());
        let resolved = again.resolve(&store, &oin(POLITIE), 12).unwrap().unwrap();
        assert_eq!(resolved.tree_size, 12);
        assert!(again.open().is_empty());
        assert!(WitnessAlerts::load(&store).unwrap().open().is_empty());
    }

    #[test]
    fn one_alert_per_party_keeps_the_first_time_and_counts_repeats_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let alerts = WitnessAlerts::default();
        let first = alerts.record(
            &store,
            &oin(POLITIE),
            &refusal(12, "inconsistent", "a"),
            at(0),
        );
        let repeat = alerts.record(
            &store,
            &oin(POLITIE),
            &refusal(12, "inconsistent", "a"),
            at(5),
        );
        assert!(repeat.repeated);
        assert_eq!(repeat.alert.refusals, 2);
        assert_eq!(
            repeat.alert.last_refused_unix,
            first.alert.first_refused_unix + 5
        );
        // The repeat was not written: the stored alert still says one refusal.
        assert_eq!(WitnessAlerts::load(&store).unwrap().open()[0].refusals, 1);
        let next = alerts.record(
            &store,
            &oin(POLITIE),
            &refusal(14, "inconsistent", "b"),
            at(9),
        );
        assert!(!next.repeated);
        assert_eq!(next.alert.tree_size, 14);
        assert_eq!(next.alert.refusals, 3);
        assert_eq!(
            next.alert.first_refused_unix,
            first.alert.first_refused_unix
        );
        alerts.record(&store, &oin(GGD), &refusal(14, "rollback", "c"), at(9));
        assert_eq!(alerts.open().len(), 2);
        assert_eq!(WitnessAlerts::load(&store).unwrap().open(), alerts.open());
    }

    #[test]
    fn the_agents_words_are_bounded_and_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let alerts = WitnessAlerts::default();
        let evil_detail = format!(
            "fork\n00000003000000000003  OM  connected\u{1b}[2J{}",
            "x".repeat(5000)
        );
        let recorded = alerts.record(
            &store,
            &oin(POLITIE),
            &refusal(12, "rollback\u{1b}[31m", &evil_detail),
            at(0),
        );
        let alert = recorded.alert;
        assert_eq!(alert.reason, MALFORMED_REASON);
        assert!(alert.detail.chars().count() <= MAX_DETAIL_CHARS);
        assert!(
            !alert.detail.chars().any(char::is_control),
            "{}",
            alert.detail
        );
        assert!(
            alert.detail.contains("rollback\\u{1b}[31m"),
            "{}",
            alert.detail
        );
        assert!(alert.detail.contains("fork\\u{a}0000"), "{}", alert.detail);
        let line = alert.describe(Some("Politie Eenheid Amsterdam"));
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line}");
        // A well-formed word this hub does not know is shown as sent, counted as other.
        alerts.record(&store, &oin(GGD), &refusal(1, "a-newer-reason", "d"), at(0));
        let counts = alerts.counts();
        assert_eq!(counts.get("other"), Some(&1));
        assert_eq!(counts.get(MALFORMED_REASON), Some(&1));
        assert_eq!(counts.len(), 2);
        assert!(alerts.open().iter().any(|a| a.reason == "a-newer-reason"));
    }

    #[test]
    fn a_damaged_stored_alert_stays_an_alert() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        crate::tables::meta::put_witness_alert(&mut batch, POLITIE, b"{not json".to_vec());
        store.apply(batch).unwrap();
        let alerts = WitnessAlerts::load(&store).unwrap();
        let open = alerts.open();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].oin, POLITIE);
        assert_eq!(open[0].reason, UNREADABLE_RECORD);
    }
}
