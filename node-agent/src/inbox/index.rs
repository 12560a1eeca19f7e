//! What the inbox knows of its shares without opening them: the deliveries per case,
//! and per delivery the shares held with their delete moments, so that a
//! RetentionNotice opens only its case's shares and a sweep only the ones due, however
//! many are held.
//!
//! Kept in memory (the files stay as they are) and built by opening every delivery
//! file once: at start in an agent with metrics, else at the first notice or sweep. It is bounded by the retention term, not
//! by a setting, so it is kept **per delivery, not per share**: a delivery's shares
//! share its id and its case, and are named `<delivery id>.<n>`, so each share costs
//! only its number and its moment (12 bytes), and the delivery's id and case are held
//! once (ids and cases are reference-counted, so the three maps below share one copy).
//! A recipient that stores about nine shares per case file holds about a ninth of
//! what an entry per share took.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A share whose delete moment is not known yet (no RetentionNotice, no `delete_at`).
const NO_MOMENT: i64 = i64::MAX;

/// The shares held of one delivery.
#[derive(Debug)]
struct Held {
    /// The case of the delivery (shared with the other maps).
    case: Arc<str>,
    /// Each share's number in the delivery and its delete moment (Unix seconds,
    /// [`NO_MOMENT`] while unknown), by number; its capacity kept to its length.
    shares: Vec<(u32, i64)>,
}

impl Held {
    /// The earliest delete moment of the delivery's shares, if any is known.
    fn earliest(&self) -> Option<i64> {
        self.shares
            .iter()
            .map(|&(_, at)| at)
            .min()
            .filter(|&at| at != NO_MOMENT)
    }
}

/// The index of an inbox's shares.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// The shares held, per delivery id.
    deliveries: HashMap<Arc<str>, Held>,
    /// The delivery ids per case.
    by_case: HashMap<Arc<str>, BTreeSet<Arc<str>>>,
    /// The deliveries with a share whose moment is known, by their earliest moment.
    by_moment: BTreeSet<(i64, Arc<str>)>,
    /// The number of shares in `deliveries`.
    shares: usize,
    /// File names in the shares folder that were not indexed: a delivery file that did
    /// not open when the index was built or holds a share the inbox never names so
    /// (not `<delivery id>.<n>`), or a share file of the format before that the
    /// migration left because it did not open. Reported (each counted as one share),
    /// never deleted.
    pub(super) unreadable: BTreeSet<String>,
}

/// A share id split into its delivery's id and its number.
pub(super) fn split(id: &str) -> Option<(&str, u32)> {
    let (delivery, n) = id.rsplit_once('.')?;
    if delivery.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((delivery, n.parse().ok()?))
}

impl Index {
    /// Indexes share `id` of `case` with its delete moment; a share indexed already
    /// takes the new case and moment. `false` (and nothing indexed) when `id` is not
    /// of the form `<delivery id>.<n>`, which the inbox never writes.
    pub(super) fn insert(&mut self, id: &str, case: &str, moment: Option<i64>) -> bool {
        let Some((delivery, n)) = split(id) else {
            return false;
        };
        self.remove(id);
        let at = moment.unwrap_or(NO_MOMENT);
        if let Some(held) = self.deliveries.get(delivery)
            && &*held.case == case
        {
            let key = self.key_of(delivery);
            self.change(&key, |held| {
                let place = held.shares.partition_point(|&(m, _)| m < n);
                held.shares.reserve_exact(1);
                held.shares.insert(place, (n, at));
            });
            self.shares += 1;
            return true;
        }
        // A new delivery (or, never written by this inbox, a share of a delivery id
        // under another case: it takes the new case, with all its shares).
        let old = self
            .deliveries
            .get(delivery)
            .map(|held| held.shares.clone());
        if let Some(old) = &old {
            for &(m, _) in old {
                self.remove(&format!("{delivery}.{m}"));
            }
        }
        let case: Arc<str> = match self.by_case.get_key_value(case) {
            Some((kept, _)) => kept.clone(),
            None => Arc::from(case),
        };
        let key: Arc<str> = Arc::from(delivery);
        let mut shares = old.unwrap_or_default();
        let place = shares.partition_point(|&(m, _)| m < n);
        shares.insert(place, (n, at));
        shares.shrink_to_fit();
        self.shares += shares.len();
        let held = Held {
            case: case.clone(),
            shares,
        };
        if let Some(at) = held.earliest() {
            self.by_moment.insert((at, key.clone()));
        }
        self.by_case.entry(case).or_default().insert(key.clone());
        self.deliveries.insert(key, held);
        true
    }

    /// The map's own copy of a delivery id held.
    fn key_of(&self, delivery: &str) -> Arc<str> {
        match self.deliveries.get_key_value(delivery) {
            Some((key, _)) => key.clone(),
            None => Arc::from(delivery),
        }
    }

    /// Changes the shares of a delivery held, keeping `by_moment`, `by_case` and the
    /// count in step; a delivery left without shares is dropped.
    fn change(&mut self, delivery: &Arc<str>, edit: impl FnOnce(&mut Held)) {
        let Some(held) = self.deliveries.get_mut(delivery) else {
            return;
        };
        let before = held.earliest();
        edit(held);
        let after = held.earliest();
        let empty = held.shares.is_empty();
        let case = held.case.clone();
        if before != after {
            if let Some(at) = before {
                self.by_moment.remove(&(at, delivery.clone()));
            }
            if let Some(at) = after
                && !empty
            {
                self.by_moment.insert((at, delivery.clone()));
            }
        }
        if empty {
            if let Some(at) = after {
                self.by_moment.remove(&(at, delivery.clone()));
            }
            self.deliveries.remove(delivery);
            if let Some(ids) = self.by_case.get_mut(&case) {
                ids.remove(delivery);
                if ids.is_empty() {
                    self.by_case.remove(&case);
                }
            }
        }
    }

    /// Takes share `id` out of the index (nothing when it is not in it).
    pub(super) fn remove(&mut self, id: &str) {
        let Some((delivery, n)) = split(id) else {
            return;
        };
        let Some(held) = self.deliveries.get(delivery) else {
            return;
        };
        if held.shares.binary_search_by_key(&n, |&(m, _)| m).is_err() {
            return;
        }
        let key = self.key_of(delivery);
        self.change(&key, |held| {
            if let Ok(place) = held.shares.binary_search_by_key(&n, |&(m, _)| m) {
                held.shares.remove(place);
                held.shares.shrink_to_fit();
            }
        });
        self.shares -= 1;
    }

    /// The ids of the shares of `case`, in delivery and number order.
    #[cfg(test)]
    pub(super) fn of_case(&self, case: &str) -> Vec<String> {
        let Some(deliveries) = self.by_case.get(case) else {
            return Vec::new();
        };
        deliveries
            .iter()
            .filter_map(|d| self.deliveries.get(d).map(|held| (d, held)))
            .flat_map(|(d, held)| held.shares.iter().map(move |(n, _)| format!("{d}.{n}")))
            .collect()
    }

    /// The ids of the deliveries of `case` with a share held, in id order.
    pub(super) fn deliveries_of(&self, case: &str) -> Vec<String> {
        self.by_case
            .get(case)
            .map(|ids| ids.iter().map(|d| d.to_string()).collect())
            .unwrap_or_default()
    }

    /// How many shares of `delivery` are held.
    pub(super) fn shares_of(&self, delivery: &str) -> usize {
        self.deliveries
            .get(delivery)
            .map_or(0, |held| held.shares.len())
    }

    /// Takes every share of `delivery` out of the index.
    pub(super) fn remove_delivery(&mut self, delivery: &str) {
        let held = self.shares_of(delivery);
        if held == 0 {
            return;
        }
        let key = self.key_of(delivery);
        self.change(&key, |held| held.shares.clear());
        self.shares -= held;
    }

    /// True when a share of `case` is held.
    pub(super) fn has_case(&self, case: &str) -> bool {
        self.by_case.contains_key(case)
    }

    /// The shares (id, case) whose moment is at or before `now`, in id order.
    pub(super) fn due(&self, now: i64) -> Vec<(String, String)> {
        let mut due: Vec<(String, String)> = self
            .by_moment
            .iter()
            .take_while(|(at, _)| *at <= now)
            .filter_map(|(_, d)| self.deliveries.get(d).map(|held| (d, held)))
            .flat_map(|(d, held)| {
                held.shares
                    .iter()
                    .filter(|&&(_, at)| at <= now)
                    .map(move |(n, _)| (format!("{d}.{n}"), held.case.to_string()))
            })
            .collect();
        due.sort();
        due
    }

    /// The shares indexed and the files not indexed (one each).
    pub(super) fn len(&self) -> usize {
        self.shares + self.unreadable.len()
    }

    /// How many entries the index keeps (deliveries, not shares): what its memory
    /// grows with.
    #[cfg(test)]
    pub(super) fn entries(&self) -> usize {
        self.deliveries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_keeps_one_entry_per_delivery_not_per_share() {
        let mut index = Index::default();
        for d in 0..10 {
            for n in 0..9 {
                assert!(index.insert(&format!("D-CF-2026-{d}-1.{n}"), "C-1", None));
            }
        }
        assert_eq!(index.len(), 90);
        assert_eq!(index.entries(), 10);
        assert_eq!(index.of_case("C-1").len(), 90);
        assert_eq!(index.deliveries_of("C-1").len(), 10);
        assert_eq!(index.shares_of("D-CF-2026-3-1"), 9);
        index.remove_delivery("D-CF-2026-3-1");
        assert_eq!((index.len(), index.entries()), (81, 9));
        assert_eq!(index.shares_of("D-CF-2026-3-1"), 0);
    }

    #[test]
    fn moments_are_kept_per_share_within_a_delivery() {
        let mut index = Index::default();
        index.insert("D-1.0", "C-1", Some(100));
        index.insert("D-1.1", "C-1", None);
        index.insert("D-1.2", "C-1", Some(300));
        index.insert("D-2.0", "C-2", Some(50));
        assert_eq!(
            index.due(100),
            [
                ("D-1.0".to_owned(), "C-1".to_owned()),
                ("D-2.0".to_owned(), "C-2".to_owned())
            ]
        );
        index.remove("D-1.0");
        index.remove("D-2.0");
        assert!(!index.has_case("C-2"));
        assert!(index.due(299).is_empty());
        assert_eq!(index.due(300), [("D-1.2".to_owned(), "C-1".to_owned())]);
        index.insert("D-1.1", "C-1", Some(10));
        assert_eq!(index.due(10), [("D-1.1".to_owned(), "C-1".to_owned())]);
        index.insert("D-1.2", "C-1", None);
        index.remove("D-1.1");
        assert!(index.due(i64::MAX - 1).is_empty());
        assert_eq!(index.len(), 1);
        index.remove("D-1.2");
        assert_eq!((index.len(), index.entries()), (0, 0));
        assert!(!index.has_case("C-1") && index.by_moment.is_empty());
    }

    #[test]
    fn a_delivery_taken_out_is_no_longer_due() {
        let mut index = Index::default();
        index.insert("D-1.0", "C-1", Some(100));
        index.insert("D-1.1", "C-1", Some(200));
        index.insert("D-2.0", "C-1", None);
        index.remove_delivery("D-1");
        assert!(index.due(i64::MAX - 1).is_empty());
        assert!(index.by_moment.is_empty());
        assert_eq!(index.deliveries_of("C-1"), ["D-2"]);
        index.remove_delivery("D-2");
        assert!(!index.has_case("C-1"));
        assert_eq!((index.len(), index.entries()), (0, 0));
    }

    #[test]
    fn a_share_indexed_again_replaces_its_entry() {
        let mut index = Index::default();
        index.insert("D-1.0", "C-1", Some(5));
        index.insert("D-1.0", "C-1", Some(7));
        assert_eq!(index.len(), 1);
        assert!(index.due(6).is_empty());
        assert_eq!(index.due(7).len(), 1);
    }

    #[test]
    fn a_name_the_inbox_never_writes_is_not_indexed() {
        let mut index = Index::default();
        assert!(!index.insert("no-number", "C-1", None));
        assert!(!index.insert("D-1.x", "C-1", None));
        assert!(!index.insert(".3", "C-1", None));
        assert_eq!(index.len(), 0);
    }
}
